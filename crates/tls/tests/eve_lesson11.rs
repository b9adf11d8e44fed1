//! Eve on lesson 11, in process: our TLS 1.3 client and server run a real
//! handshake over loopback, every byte each side writes is recorded, and
//! the two streams are fed to Eve's view, without and then with the key
//! log the server wrote.

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tls::lesson08_key_split::Role;
use tls::lesson11_real_tls13::certs::{ServerIdentity, ServerVerifier};
use tls::lesson11_real_tls13::channel;
use tls::lesson11_real_tls13::client::{self, ClientConfig};
use tls::lesson11_real_tls13::keylog::KeyLog;
use tls::lesson11_real_tls13::padding::Padding;
use tls::lesson11_real_tls13::server::{self, ServerConfig};
use tls::runtime::message::{MessageReader, MessageWriter};
use tls::tools::annotate::Block;
use tls::tools::eve::{EveOptions, View};
use tls::tools::hexdump::{Style, render};
use tls::tools::tap::{Direction, Lesson};

const REQUEST: &[u8] = b"GET /transfer?to=bob&amount=100 HTTP/1.1";

/// A stream that keeps a copy of everything written to it.
struct Recorder {
    stream: TcpStream,
    written: Arc<Mutex<Vec<u8>>>,
}

impl Read for Recorder {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stream.read(buf)
    }
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.stream.write(buf)?;
        self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

fn recorder(stream: &TcpStream, written: &Arc<Mutex<Vec<u8>>>) -> Recorder {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    Recorder {
        stream: stream.try_clone().unwrap(),
        written: Arc::clone(written),
    }
}

/// One real connection: the client sends REQUEST, the server echoes it,
/// both close with close_notify. Returns (client's bytes, server's bytes)
/// and the server's key log.
fn capture(name: &str) -> (Vec<u8>, Vec<u8>, PathBuf) {
    let keylog = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("eve-l11-{name}.log"));
    let _ = std::fs::remove_file(&keylog);
    let (identity, ca_pem) = ServerIdentity::generate().unwrap();
    let server_config =
        ServerConfig::new(identity, Some(Arc::new(KeyLog::create(&keylog).unwrap())));
    let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap();
    let client_config = ClientConfig {
        verifier: ServerVerifier::new(vec![ca], "localhost").unwrap(),
        keylog: None,
        padding: Padding::NONE,
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (c2s, s2c) = (Arc::default(), Arc::default());
    let server_side = Arc::clone(&s2c);
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut io = recorder(&stream, &server_side);
        let established = server::handshake(&mut io, &server_config).unwrap();
        let read_half = BufReader::new(recorder(&stream, &server_side));
        let (mut reader, mut writer) = channel::split(read_half, io, established, Role::Server);
        while let Some(message) = reader.read_message().unwrap() {
            let echo = message.to_vec();
            writer.write_message(&echo).unwrap();
        }
        writer.close().unwrap();
    });
    let stream = TcpStream::connect(addr).unwrap();
    let mut io = recorder(&stream, &c2s);
    let established = client::handshake(&mut io, &client_config).unwrap();
    let read_half = BufReader::new(recorder(&stream, &c2s));
    let (mut reader, mut writer) = channel::split(read_half, io, established, Role::Client);
    writer.write_message(REQUEST).unwrap();
    assert_eq!(reader.read_message().unwrap(), Some(REQUEST));
    writer.close().unwrap();
    assert_eq!(reader.read_message().unwrap(), None);
    server.join().unwrap();
    let c2s = c2s.lock().unwrap().clone();
    let s2c = s2c.lock().unwrap().clone();
    (c2s, s2c, keylog)
}

/// What Eve prints for the two streams, fed in pieces of `piece` bytes.
fn eve(c2s: &[u8], s2c: &[u8], keylog: Option<PathBuf>, piece: usize) -> String {
    let options = Arc::new(EveOptions {
        lesson: Lesson::RealTls13,
        keylog,
        style: Style::plain(),
        sink: Default::default(),
    });
    let mut view = View::new(1, &options);
    let mut text = String::new();
    // The ClientHello comes first on the wire, so the client's stream is fed
    // first: Eve needs its client_random before any record can open.
    let mut show = |blocks: Vec<Block>| {
        for block in blocks {
            text.push_str(&render(&block, &options.style));
        }
    };
    for chunk in c2s.chunks(piece) {
        show(view.observe(Direction::ClientToServer, chunk));
    }
    for chunk in s2c.chunks(piece) {
        show(view.observe(Direction::ServerToClient, chunk));
    }
    show(view.finish());
    text
}

#[test]
fn without_a_key_log_eve_reads_the_hellos_and_nothing_else() {
    let (c2s, s2c, keylog) = capture("plain");
    let seen = eve(&c2s, &s2c, None, 64 * 1024);
    for expected in [
        "#1 client -> server  lesson 11 record #1: handshake",
        "= 22: handshake",
        "= 0x0301: legacy_version",
        "ClientHello, ",
        "cipher suites offered [TLS_CHACHA20_POLY1305_SHA256]",
        "key shares [x25519 (32 bytes)]",
        "supported_versions [TLS 1.3]",
        "ed25519 offered",
        "server_name \"localhost\"",
        "#1 server -> client  lesson 11 record #1: handshake",
        "ServerHello, ",
        "cipher suite chosen TLS_CHACHA20_POLY1305_SHA256, key share x25519, version TLS 1.3",
        "lesson 11 record #2: encrypted record",
        "encrypted record: content || real type || padding, all hidden",
    ] {
        assert!(seen.contains(expected), "no {expected:?} in:\n{seen}");
    }
    // The certificate, the Finished messages and the data are all hidden.
    for hidden in ["Certificate", "Finished", "amount=100", "close_notify"] {
        assert!(!seen.contains(hidden), "Eve read {hidden:?}:\n{seen}");
    }
    let _ = std::fs::remove_file(keylog);
}

#[test]
fn with_the_servers_key_log_eve_opens_every_record() {
    let (c2s, s2c, keylog) = capture("keylog");
    let seen = eve(&c2s, &s2c, Some(keylog.clone()), 64 * 1024);
    // The server's flight: one record per message, counted 0..3 under the
    // server's handshake secret.
    for (sequence, name) in [
        "EncryptedExtensions",
        "Certificate",
        "CertificateVerify",
        "Finished",
    ]
    .iter()
    .enumerate()
    {
        let line = format!(
            "decrypted with the key log (SERVER_HANDSHAKE_TRAFFIC_SECRET, sequence {sequence}): handshake"
        );
        assert!(seen.contains(&line), "no {line:?} in:\n{seen}");
        assert!(seen.contains(&format!("{name}, ")), "no {name} in:\n{seen}");
    }
    assert!(seen.contains("a chain of 1 certificate(s)"), "{seen}");
    // The client's Finished under its handshake secret, then its data
    // under its application secret, counted from 0 again.
    for expected in [
        "(CLIENT_HANDSHAKE_TRAFFIC_SECRET, sequence 0): handshake",
        "(CLIENT_TRAFFIC_SECRET_0, sequence 0): application_data",
        "(CLIENT_TRAFFIC_SECRET_0, sequence 1): alert",
        "(SERVER_TRAFFIC_SECRET_0, sequence 0): application_data",
        "(SERVER_TRAFFIC_SECRET_0, sequence 1): alert",
        "(key log) \"GET /transfer?to=bob&amount=100 HTTP/1.1\"",
        "warning close_notify (0)",
    ] {
        assert!(seen.contains(expected), "no {expected:?} in:\n{seen}");
    }
    assert!(!seen.contains("does not decrypt"), "{seen}");
    // However TCP cuts the bytes, Eve prints the same thing.
    assert_eq!(eve(&c2s, &s2c, Some(keylog.clone()), 1), seen);
    assert_eq!(eve(&c2s, &s2c, Some(keylog.clone()), 7), seen);
    let _ = std::fs::remove_file(keylog);
}

#[test]
fn a_key_log_of_another_connection_opens_nothing() {
    let (c2s, s2c, _) = capture("first");
    let (_, _, other) = capture("second");
    let seen = eve(&c2s, &s2c, Some(other.clone()), 64 * 1024);
    assert!(
        seen.contains("no CLIENT_HANDSHAKE_TRAFFIC_SECRET for this connection in the key log"),
        "{seen}"
    );
    assert!(!seen.contains("amount=100"), "{seen}");
    let _ = std::fs::remove_file(other);
}
