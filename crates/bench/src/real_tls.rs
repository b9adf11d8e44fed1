//! The yardstick: rustls 0.23, TLS 1.3 with `TLS13_CHACHA20_POLY1305_SHA256`
//! only, the same AEAD the course uses, and X25519 key exchange. Two pairs
//! of server and client, one for each lesson measured against it:
//!
//! - for lesson 9 ([`start_server`]): a self-signed ECDSA P-256 certificate
//!   made at start-up and checked by the client. That signature and its
//!   check are work lesson 9 does not do (it has no authentication until
//!   lesson 10): the table shows what it costs.
//! - for lesson 11 ([`start_lesson11_twin`]): lesson 11's exact
//!   configuration: an Ed25519 CA and an Ed25519 `localhost` certificate it
//!   signed, X25519 as the only group, and close_notify at the end of each
//!   connection, as lesson 11 sends it.
//!
//! Every connection is a full handshake: session tickets and resumption are
//! off, as neither lesson has them.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use rustls::client::Resumption;
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use rustls::{StreamOwned, version};
use tls::Result;
use tls::runtime::message::{MessageReader, MessageWriter};

/// Plaintext read at once, on both sides.
const READ_CHUNK: usize = 64 * 1024;

/// The name in the certificate, and the one the client asks for.
const SERVER_NAME: &str = "localhost";

/// A server and the client configuration that trusts it.
pub struct RustlsPair {
    /// Where the server listens.
    pub addr: SocketAddr,
    client: Arc<ClientConfig>,
    /// Whether our client ends a connection with close_notify.
    close_notify: bool,
}

/// ring's provider, cut down to one cipher suite.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: vec![ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256],
        ..ring::default_provider()
    })
}

/// Turns any library error into our I/O error variant.
pub fn other(e: impl std::error::Error + Send + Sync + 'static) -> tls::Error {
    tls::Error::Io(io::Error::other(e))
}

/// What the server presents (its chain and key) and what the client trusts.
struct Pki {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    trusted: CertificateDer<'static>,
}

/// A self-signed ECDSA P-256 certificate for `localhost`, trusted as is.
fn self_signed_p256() -> Result<Pki> {
    let certified =
        rcgen::generate_simple_self_signed(vec![SERVER_NAME.to_string()]).map_err(other)?;
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    Ok(Pki {
        chain: vec![cert.clone()],
        key,
        trusted: cert,
    })
}

/// An Ed25519 CA and an Ed25519 certificate for `localhost` that it signed:
/// the shape of lesson 11's throwaway identity (the client checks one
/// signature in the chain, then CertificateVerify).
fn ed25519_ca_and_server() -> Result<Pki> {
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(other)?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(other)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "bench CA");
    let ca = ca_params.self_signed(&ca_key).map_err(other)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(other)?;
    let params = rcgen::CertificateParams::new(vec![SERVER_NAME.to_string()]).map_err(other)?;
    let cert = params.signed_by(&key, &issuer).map_err(other)?;
    Ok(Pki {
        chain: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        trusted: ca.der().clone(),
    })
}

/// The pair lesson 9 is measured against (see the module comment).
pub fn start_server() -> Result<RustlsPair> {
    start(self_signed_p256()?, provider(), false)
}

/// The pair lesson 11 is measured against: its suite, its one group, its
/// certificate type and chain, its close_notify.
pub fn start_lesson11_twin() -> Result<RustlsPair> {
    let x25519_only = Arc::new(CryptoProvider {
        kx_groups: vec![ring::kx_group::X25519],
        ..Arc::unwrap_or_clone(provider())
    });
    start(ed25519_ca_and_server()?, x25519_only, true)
}

/// Starts a rustls echo server with `pki` on a free loopback port (in
/// background threads that live as long as the process), and returns the
/// client configuration that trusts it.
fn start(pki: Pki, provider: Arc<CryptoProvider>, close_notify: bool) -> Result<RustlsPair> {
    let mut server = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&version::TLS13])
        .map_err(other)?
        .with_no_client_auth()
        .with_single_cert(pki.chain, pki.key)
        .map_err(other)?;
    server.send_tls13_tickets = 0;
    let server = Arc::new(server);

    let mut roots = RootCertStore::empty();
    roots.add(pki.trusted).map_err(other)?;
    let mut client = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&version::TLS13])
        .map_err(other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.resumption = Resumption::disabled();

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = Arc::clone(&server);
            thread::spawn(move || echo(config, stream));
        }
    });
    Ok(RustlsPair {
        addr,
        client: Arc::new(client),
        close_notify,
    })
}

/// One client: decrypt what arrives, send it back encrypted. The handshake
/// happens inside the first `read`. A client's close_notify is answered
/// with ours, as lesson 11's server does.
fn echo(config: Arc<ServerConfig>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(conn) = ServerConnection::new(config) else {
        return;
    };
    let mut tls = StreamOwned::new(conn, stream);
    let mut buf = vec![0; READ_CHUNK];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => {
                tls.conn.send_close_notify();
                let _ = tls.flush();
                return;
            }
            Ok(n) => {
                if tls.write_all(buf.get(..n).unwrap_or_default()).is_err() {
                    return;
                }
            }
            // Includes a close without close_notify (lesson 9's pair).
            Err(_) => return,
        }
    }
}

impl RustlsPair {
    /// Connects and completes the handshake, then splits the connection so a
    /// reading thread and a writing thread can share it.
    ///
    /// A rustls connection is one value holding both directions' state, so
    /// the halves share it behind a mutex. Socket I/O happens outside the
    /// lock; only encrypting and decrypting happen inside it.
    pub fn connect(&self) -> Result<(RustlsReader, RustlsWriter)> {
        let name = ServerName::try_from(SERVER_NAME).map_err(other)?;
        let mut conn = ClientConnection::new(Arc::clone(&self.client), name).map_err(other)?;
        // Bulk writes hand over a whole 64 KiB message at once.
        conn.set_buffer_limit(None);
        let mut stream = TcpStream::connect(self.addr)?;
        stream.set_nodelay(true)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut stream)?;
        }
        let conn = Arc::new(Mutex::new(conn));
        let reader = RustlsReader {
            conn: Arc::clone(&conn),
            stream: stream.try_clone()?,
            net: vec![0; READ_CHUNK],
            filled: 0..0,
            plain: vec![0; READ_CHUNK],
        };
        let writer = RustlsWriter {
            conn,
            stream,
            out: Vec::new(),
            close_notify: self.close_notify,
        };
        Ok((reader, writer))
    }
}

fn lock(conn: &Mutex<ClientConnection>) -> std::sync::MutexGuard<'_, ClientConnection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The receiving half of a rustls client connection.
pub struct RustlsReader {
    conn: Arc<Mutex<ClientConnection>>,
    stream: TcpStream,
    /// TLS bytes read from the socket; `filled` is the part not yet handed
    /// to rustls.
    net: Vec<u8>,
    filled: std::ops::Range<usize>,
    plain: Vec<u8>,
}

impl MessageReader for RustlsReader {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        loop {
            {
                let mut conn = lock(&self.conn);
                // Plaintext already decrypted and waiting?
                match conn.reader().read(&mut self.plain) {
                    Ok(0) => return Ok(None), // close_notify
                    Ok(n) => return Ok(self.plain.get(..n)),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e.into()),
                }
                // Hand rustls the TLS bytes we hold, and let it decrypt.
                if !self.filled.is_empty() {
                    let mut pending = self.net.get(self.filled.clone()).unwrap_or_default();
                    let used = conn.read_tls(&mut pending)?;
                    self.filled.start += used;
                    conn.process_new_packets().map_err(other)?;
                    continue;
                }
            }
            // Nothing left: wait for the network, without holding the lock.
            let n = self.stream.read(&mut self.net)?;
            if n == 0 {
                return Ok(None);
            }
            self.filled = 0..n;
        }
    }
}

/// The sending half of a rustls client connection.
pub struct RustlsWriter {
    conn: Arc<Mutex<ClientConnection>>,
    stream: TcpStream,
    out: Vec<u8>,
    close_notify: bool,
}

impl MessageWriter for RustlsWriter {
    fn write_message(&mut self, message: &[u8]) -> Result<()> {
        self.out.clear();
        {
            // Encrypt into records (at most 16 KiB each, TLS's limit) ...
            let mut conn = lock(&self.conn);
            conn.writer().write_all(message)?;
            while conn.wants_write() {
                conn.write_tls(&mut self.out)?;
            }
        }
        // ... and send them all with one write.
        self.stream.write_all(&self.out)?;
        Ok(())
    }

    /// Sends close_notify, for the pair that mirrors lesson 11.
    fn close(&mut self) -> Result<()> {
        if !self.close_notify {
            return Ok(());
        }
        self.out.clear();
        {
            let mut conn = lock(&self.conn);
            conn.send_close_notify();
            while conn.wants_write() {
                conn.write_tls(&mut self.out)?;
            }
        }
        self.stream.write_all(&self.out)?;
        Ok(())
    }
}
