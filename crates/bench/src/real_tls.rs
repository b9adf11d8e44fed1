//! The yardstick: rustls 0.23, TLS 1.3 with `TLS13_CHACHA20_POLY1305_SHA256`
//! only, the same AEAD lesson 9 uses, and X25519 key exchange.
//!
//! The server proves its identity with a self-signed ECDSA P-256 certificate
//! made at start-up, and the client checks it against that certificate. That
//! signature and its check are work lesson 9 does not do (it has no
//! authentication until lesson 10): the table shows what it costs.
//!
//! Every connection is a full handshake: session tickets and resumption are
//! off, as lesson 9 has neither.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use rustls::client::Resumption;
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
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
}

/// ring's provider, cut down to one cipher suite.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: vec![ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256],
        ..ring::default_provider()
    })
}

/// Turns any library error into our I/O error variant.
fn other(e: impl std::error::Error + Send + Sync + 'static) -> tls::Error {
    tls::Error::Io(io::Error::other(e))
}

/// Makes a certificate, starts a rustls echo server on a free loopback port
/// (in background threads that live as long as the process), and returns
/// the client configuration that trusts it.
pub fn start_server() -> Result<RustlsPair> {
    let certified =
        rcgen::generate_simple_self_signed(vec![SERVER_NAME.to_string()]).map_err(other)?;
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));

    let mut server = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&version::TLS13])
        .map_err(other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .map_err(other)?;
    server.send_tls13_tickets = 0;
    let server = Arc::new(server);

    let mut roots = RootCertStore::empty();
    roots.add(cert).map_err(other)?;
    let mut client = ClientConfig::builder_with_provider(provider())
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
    })
}

/// One client: decrypt what arrives, send it back encrypted. The handshake
/// happens inside the first `read`.
fn echo(config: Arc<ServerConfig>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(conn) = ServerConnection::new(config) else {
        return;
    };
    let mut tls = StreamOwned::new(conn, stream);
    let mut buf = vec![0; READ_CHUNK];
    while let Ok(n @ 1..) = tls.read(&mut buf) {
        if tls.write_all(buf.get(..n).unwrap_or_default()).is_err() {
            break;
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
}
