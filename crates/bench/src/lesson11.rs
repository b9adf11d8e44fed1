//! The graduate: lesson 11's hand-written TLS 1.3, server and client,
//! measured against rustls in the very same configuration
//! (`real_tls::start_lesson11_twin`): TLS13_CHACHA20_POLY1305_SHA256, X25519,
//! an Ed25519 server certificate issued by an Ed25519 CA, full handshakes.
//!
//! The server is `tls::runtime::accept::serve` with
//! `tls::lesson11_real_tls13::channel::accept`, the pair behind
//! `11-tls13-server`. The client runs what `channel::connect` (behind
//! `11-tls13-client`) runs, the client handshake and `channel::split`, but
//! not its status line: one stderr line per connection would measure the
//! terminal, not TLS.

use std::io::BufReader;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tls::Result;
use tls::lesson08_key_split::Role;
use tls::lesson11_real_tls13::certs::{DEFAULT_SERVER_NAME, ServerIdentity, ServerVerifier};
use tls::lesson11_real_tls13::channel::{self, SocketTlsReader, SocketTlsWriter};
use tls::lesson11_real_tls13::client::{self, ClientConfig};
use tls::lesson11_real_tls13::padding::Padding;
use tls::lesson11_real_tls13::server::ServerConfig;
use tls::runtime::accept::serve;
use tls::runtime::options::ServerOptions;
use tls::runtime::socket::Socket;

use crate::real_tls::other;

/// A running lesson 11 server and the client configuration that trusts it.
pub struct Lesson11 {
    /// Where the server listens.
    pub addr: SocketAddr,
    client: ClientConfig,
}

/// Makes a throwaway CA and `localhost` certificate (as `11-tls13-server`
/// does without `--cert`), starts the server on a free loopback port in a
/// background thread that lives as long as the process, and returns the
/// client configuration that trusts that CA.
pub fn start_server() -> Result<Lesson11> {
    let (identity, ca_pem) = ServerIdentity::generate()?;
    let config = ServerConfig::new(identity, None);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let options = ServerOptions {
        // As for lesson 9: printing would measure the terminal.
        print_messages: false,
        max_connections: 100_000,
        ..ServerOptions::default()
    };
    thread::spawn(move || {
        serve(listener, options, move |socket| {
            channel::accept(socket, &config)
        });
    });
    let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).map_err(other)?;
    let client = ClientConfig {
        verifier: ServerVerifier::new(vec![ca], DEFAULT_SERVER_NAME)?,
        keylog: None,
        padding: Padding::NONE,
    };
    Ok(Lesson11 { addr, client })
}

impl Lesson11 {
    /// Connects, runs the whole handshake (the certificate chain and name
    /// checked, CertificateVerify and Finished verified), and returns the
    /// two halves.
    pub fn connect(&self) -> Result<(SocketTlsReader, SocketTlsWriter)> {
        let stream = TcpStream::connect(self.addr)?;
        // As `tls::runtime::client::run` does: one record, one write.
        stream.set_nodelay(true)?;
        let mut socket = Socket::new(stream);
        let established = client::handshake(&mut socket, &self.client)?;
        let read_half = BufReader::new(socket.clone());
        Ok(channel::split(read_half, socket, established, Role::Client))
    }
}
