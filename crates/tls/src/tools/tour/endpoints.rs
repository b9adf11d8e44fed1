//! Each lesson's server and client, opened the lesson's own way, in process.
//!
//! This is the one `match` over [`Wire`]: for every echo lesson, the same
//! calls its programs in `src/bin/` make (`lesson03_ctr_channel::open`,
//! `lesson09_encrypted_echo::channel::accept`, ...). The server then runs
//! on the real runtime (`runtime::accept::serve`), and the client on the
//! real echo loop (`runtime::client::echo_lines`), with the line to send
//! coming from memory instead of stdin.
//!
//! Lessons 10 and 11 need something the two ends share before they meet:
//! the server's Ed25519 key (the client pins its public half), or a
//! throwaway CA (the client trusts its certificate). Those are made fresh
//! for every run, as `10-genkey` and `11-tls13-server` would make them.
//!
//! Why the real calls and not a model of them: the tour's verdicts are only
//! worth what the code they run is worth. A server here refuses a flipped
//! record because lesson 5's `open` checks the tag, the very check the
//! `5-mac-echo-server` program runs; nothing in the tour decides that an
//! attack should fail.

use std::io::Cursor;
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::{Error, Result};
use crate::lesson01_plaintext::{self, DEFAULT_READ_SIZE};
use crate::lesson02_records;
use crate::lesson03_ctr_channel;
use crate::lesson05_mac::{self, SeqCheck};
use crate::lesson09_encrypted_echo::channel as lesson09;
use crate::lesson10_authentication::channel as lesson10;
use crate::lesson10_authentication::identity::{ServerIdentity, ServerPublicKey};
use crate::lesson11_real_tls13::certs::{self, DEFAULT_SERVER_NAME, ServerVerifier};
use crate::lesson11_real_tls13::channel as lesson11;
use crate::lesson11_real_tls13::client::ClientConfig;
use crate::lesson11_real_tls13::padding::Padding;
use crate::lesson11_real_tls13::server::ServerConfig;
use crate::runtime::accept;
use crate::runtime::client::echo_lines;
use crate::runtime::message::{MessageReader, MessageWriter};
use crate::runtime::options::ServerOptions;
use crate::runtime::socket::Socket;
use crate::tools::tour::journal::Journal;
use crate::tools::tour::lessons::Wire;

/// What the two ends of one run share before they meet.
// This is the whole of what a lesson's trust rests on, and what Mallory
// does not have: the signing key's secret half, or the CA the client
// trusts. Everything else she sees on the wire or can make herself.
enum Credentials {
    /// Lessons 1-9: nothing, or a key built into both programs.
    None,
    /// Lesson 10: the server's identity, and the public key its client pins.
    Signed {
        identity: Arc<ServerIdentity>,
        trusted: ServerPublicKey,
    },
    /// Lesson 11: the server's certificate (from a throwaway CA), and a
    /// client that trusts that CA.
    Tls {
        server: Arc<ServerConfig>,
        client: ClientConfig,
    },
}

/// One lesson's server and client, ready to be started.
pub struct Endpoints {
    wire: Wire,
    credentials: Credentials,
}

impl Endpoints {
    /// Makes whatever `wire` needs before its ends can meet.
    pub fn new(wire: Wire) -> Result<Endpoints> {
        let credentials = match wire {
            // The server keeps the secret half; the client is handed only
            // the public half, before any connection, as `10-genkey`'s
            // output is handed to `10-echo-client`.
            Wire::Signed(_) => {
                let identity = ServerIdentity::generate()?;
                let trusted = identity.public_key();
                Credentials::Signed {
                    identity: Arc::new(identity),
                    trusted,
                }
            }
            // A throwaway CA and a certificate for `localhost` signed by
            // it; the client trusts exactly that CA, as if given `--ca`.
            Wire::Tls13 => {
                let (identity, ca_pem) = certs::ServerIdentity::generate()?;
                let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes())
                    .map_err(|e| Error::Io(std::io::Error::other(e)))?;
                Credentials::Tls {
                    server: Arc::new(ServerConfig::new(identity, None)),
                    client: ClientConfig {
                        verifier: ServerVerifier::new(vec![ca], DEFAULT_SERVER_NAME)?,
                        // No key log: the tour's Eve runs without keys,
                        // as an eavesdropper would. No padding, so the
                        // record sizes are the programs' defaults.
                        keylog: None,
                        padding: Padding::NONE,
                    },
                }
            }
            // Lessons 1 to 9: lessons 3 and 5 build their key into both
            // programs, lesson 9 agrees one on the wire; nothing to make.
            _ => Credentials::None,
        };
        Ok(Endpoints { wire, credentials })
    }

    /// Starts the lesson's server on `listener`, on a thread of its own,
    /// writing what it receives into `journal`. It serves until the
    /// process ends.
    pub fn serve(
        &self,
        listener: TcpListener,
        options: ServerOptions,
        journal: &Arc<Journal>,
    ) -> Result<()> {
        let journal = Arc::clone(journal);
        // Each arm is what that lesson's server program does with an
        // accepted socket; lessons 9 to 11 run their handshake here, inside
        // the setup, so a refused handshake is recorded by the journal.
        match (self.wire, &self.credentials) {
            // No read delay: lesson 2's demonstration of sends gluing
            // together is not what the tour is about.
            (Wire::Plaintext, _) => serve_with(listener, options, journal, |socket| {
                Ok(lesson01_plaintext::open(
                    socket,
                    DEFAULT_READ_SIZE,
                    Duration::ZERO,
                ))
            }),
            (Wire::Records, _) => serve_with(listener, options, journal, |socket| {
                Ok(lesson02_records::open(socket))
            }),
            (Wire::Ctr, _) => serve_with(listener, options, journal, |socket| {
                Ok(lesson03_ctr_channel::open(socket))
            }),
            // The server's sequence check as the row says: `--no-seq-check`
            // is how lesson 5 shows that the tag alone does not stop replay.
            (Wire::Mac(seq_check), _) => serve_with(listener, options, journal, move |socket| {
                Ok(lesson05_mac::open(socket, seq_check))
            }),
            // The session (public keys, traffic keys) is only for `--keylog`;
            // the tour's server keeps none.
            (Wire::Encrypted(mode), _) => serve_with(listener, options, journal, move |socket| {
                let (reader, writer, _session) = lesson09::accept(socket, mode)?;
                Ok((reader, writer))
            }),
            (Wire::Signed(mode), Credentials::Signed { identity, .. }) => {
                let identity = Arc::clone(identity);
                serve_with(listener, options, journal, move |socket| {
                    let (reader, writer, _session) = lesson10::accept(socket, &identity, mode)?;
                    Ok((reader, writer))
                })
            }
            (Wire::Tls13, Credentials::Tls { server, .. }) => {
                let config = Arc::clone(server);
                serve_with(listener, options, journal, move |socket| {
                    lesson11::accept(socket, &config)
                })
            }
            // A wire without its credentials: `new` never builds one.
            _ => Err(mismatch()),
        }
    }

    /// Runs the lesson's client on `socket`: its handshake, then every line
    /// of `input` sent and its echo checked, exactly as the client program
    /// does with stdin. Returns what it would have printed.
    pub fn talk(&self, socket: Socket, input: &[u8]) -> Result<Vec<u8>> {
        match (self.wire, &self.credentials) {
            (Wire::Plaintext, _) => talk_with(socket, input, |socket| {
                Ok(lesson01_plaintext::open(
                    socket,
                    DEFAULT_READ_SIZE,
                    Duration::ZERO,
                ))
            }),
            (Wire::Records, _) => {
                talk_with(socket, input, |socket| Ok(lesson02_records::open(socket)))
            }
            (Wire::Ctr, _) => talk_with(socket, input, |socket| {
                Ok(lesson03_ctr_channel::open(socket))
            }),
            // The client always checks the server's sequence numbers.
            (Wire::Mac(_), _) => talk_with(socket, input, |socket| {
                Ok(lesson05_mac::open(socket, SeqCheck::Required))
            }),
            (Wire::Encrypted(mode), _) => talk_with(socket, input, |socket| {
                let (reader, writer, _session) = lesson09::connect(socket, mode)?;
                Ok((reader, writer))
            }),
            // The client verifies the signature with `trusted`, the key it
            // was handed, never with anything that arrives on the wire.
            (Wire::Signed(mode), Credentials::Signed { trusted, .. }) => {
                talk_with(socket, input, |socket| {
                    let (reader, writer, _session) = lesson10::connect(socket, trusted, mode)?;
                    Ok((reader, writer))
                })
            }
            // The client checks the chain against its CA and the name
            // `localhost`: Mallory's chain fails the first check.
            (Wire::Tls13, Credentials::Tls { client, .. }) => {
                talk_with(socket, input, |socket| lesson11::connect(socket, client))
            }
            _ => Err(mismatch()),
        }
    }
}

/// `new` always makes the credentials its wire needs; this cannot happen.
fn mismatch() -> Error {
    Error::Usage("the tour's endpoints lost their credentials".into())
}

/// Serves `listener` with the runtime, wrapping each connection's reader
/// so `journal` learns what it received.
fn serve_with<R, W, F>(
    listener: TcpListener,
    options: ServerOptions,
    journal: Arc<Journal>,
    open: F,
) -> Result<()>
where
    R: MessageReader + 'static,
    W: MessageWriter + 'static,
    F: Fn(Socket) -> Result<(R, W)> + Send + Sync + 'static,
{
    // The runtime's own accept loop: the same gate, timeouts and error
    // handling as the lesson's server program, so its reasons for dropping a
    // connection are the program's reasons.
    thread::Builder::new()
        .name("tour server".to_string())
        .spawn(move || {
            accept::serve(listener, options, move |socket| journal.open(socket, &open));
        })?;
    Ok(())
}

/// The client's side: the lesson's setup, then the runtime's echo loop
/// over `input`.
fn talk_with<R, W>(
    socket: Socket,
    input: &[u8],
    open: impl FnOnce(Socket) -> Result<(R, W)>,
) -> Result<Vec<u8>>
where
    R: MessageReader,
    W: MessageWriter + 'static,
{
    // A second handle on the same socket: the echo loop uses it to
    // half-close once the input is sent, after `open` has taken the first.
    let control = socket.clone();
    // A refused handshake (a bad signature, an untrusted CA) ends here, and
    // its error is the client's verdict.
    let (reader, writer) = open(socket)?;
    let mut printed = Vec::new();
    echo_lines(
        Cursor::new(input.to_vec()),
        &mut printed,
        reader,
        writer,
        &control,
    )?;
    Ok(printed)
}
