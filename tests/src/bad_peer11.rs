//! Helpers for lesson 11's bad-input matrix (`tests/tests/bad_input/lesson11_*.rs`).
//!
//! Before the ServerHello a refusal is a plaintext alert, read back byte
//! for byte: `21 03 03 00 02 02 <description>`. After it, the alert is
//! encrypted, so those cases use [`RawClient`], a hand-driven client that
//! holds the handshake keys (built from lesson 11's own parts) and can open
//! the server's answer. [`Hello`] is our client's ClientHello, built so that
//! a test can break one piece of it at a time.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};

use tls::Error;
use tls::lesson07_key_exchange::Handshake;
use tls::lesson11_real_tls13::client_hello;
use tls::lesson11_real_tls13::codec::{Prefix, handshake_message, put_extension, put_u16, put_vec};
use tls::lesson11_real_tls13::connection::Outgoing;
use tls::lesson11_real_tls13::incoming::{HandshakeMessage, Incoming, Received};
use tls::lesson11_real_tls13::key_schedule::{
    ApplicationSecrets, HandshakeSecrets, finished_verify_data,
};
use tls::lesson11_real_tls13::record::{self, ContentType};
use tls::lesson11_real_tls13::server_hello::ServerHello;
use tls::lesson11_real_tls13::server_messages::encode_finished;
use tls::lesson11_real_tls13::transcript::Transcript;
use tls::lesson11_real_tls13::{
    AlertDescription, CIPHER_SUITE, GROUP_X25519, LEGACY_VERSION, SIGNATURE_ED25519, TLS13,
    TlsError, extension, handshake_type,
};

use crate::bad_peer::{assert_dropped_with, assert_still_serving, connect};
use crate::{Server, scratch};

pub const SERVER11: &str = "11-tls13-server";
pub const CLIENT11: &str = "11-tls13-client";

/// `11-tls13-server` (with `args`) and the CA file it wrote.
pub fn start(name: &str, args: &[&str]) -> (Server, PathBuf) {
    let ca = scratch(&format!("bad-input-l11-{name}-ca.pem"));
    let mut all = vec!["--ca-out", ca.to_str().unwrap()];
    all.extend_from_slice(args);
    (Server::start(SERVER11, &all), ca)
}

/// The good client, trusting the server's CA, is still served.
pub fn still_serving(server: &mut Server, ca: &Path) {
    assert_still_serving(server, CLIENT11, &["--ca", ca.to_str().unwrap()]);
    let _ = std::fs::remove_file(ca);
}

/// One plaintext record.
pub fn plaintext(content_type: ContentType, version: u16, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    record::push_plaintext(&mut out, content_type, version, content);
    out
}

/// Everything the server sends until it hangs up: exactly one plaintext
/// fatal alert with `expected` as its description.
pub fn assert_plaintext_alert(stream: &mut TcpStream, expected: AlertDescription) {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert_eq!(
        answer,
        [21, 3, 3, 0, 2, 2, expected.0],
        "expected a plaintext {expected} alert"
    );
}

/// The server answered a hello: a plaintext ServerHello record, then its
/// four encrypted records (EncryptedExtensions .. Finished). All are read,
/// so closing afterwards is a clean close, not a reset.
pub fn assert_whole_flight(stream: &mut TcpStream) {
    let mut types = Vec::new();
    let mut fragment = Vec::new();
    for _ in 0..5 {
        let header = record::read_record(stream, &mut fragment).unwrap().unwrap();
        types.push(header[0]);
    }
    assert_eq!(types, [22, 23, 23, 23, 23]);
}

/// Sends `bytes` as the first thing on a new connection; returns the
/// stream and our address.
pub fn send_first(server: &Server, bytes: &[u8]) -> (TcpStream, SocketAddr) {
    let (mut stream, me) = connect(server);
    stream.write_all(bytes).unwrap();
    (stream, me)
}

/// A bad first flight: the plaintext alert back, the one line, still serving.
pub fn refused_first_flight(name: &str, flight: &[u8], alert: AlertDescription, says: &str) {
    let (mut server, ca) = start(name, &[]);
    let (mut stream, me) = send_first(&server, flight);
    assert_plaintext_alert(&mut stream, alert);
    assert_dropped_with(&server, me, &format!("handshake failed: {says}"));
    still_serving(&mut server, &ca);
}

// ----------------------------------------------------- ClientHello builder

/// A ClientHello we can break one piece at a time: our client's offer by
/// default (TLS 1.3, our suite, x25519 with a share, ed25519, localhost).
pub struct Hello {
    pub legacy_version: u16,
    pub suites: Vec<u16>,
    pub compression: Vec<u8>,
    pub extensions: Vec<(u16, Vec<u8>)>,
}

pub fn u16_list(prefix: Prefix, values: &[u16]) -> Vec<u8> {
    let mut out = Vec::new();
    put_vec(&mut out, prefix, |v| {
        values.iter().for_each(|&x| put_u16(v, x))
    });
    out
}

pub fn key_share(group: u16, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_vec(&mut out, Prefix::U16, |shares| {
        put_u16(shares, group);
        put_vec(shares, Prefix::U16, |k| k.extend_from_slice(key));
    });
    out
}

impl Hello {
    pub fn good() -> Hello {
        let mut sni = Vec::new();
        put_vec(&mut sni, Prefix::U16, |list| {
            list.push(0);
            put_vec(list, Prefix::U16, |n| n.extend_from_slice(b"localhost"));
        });
        Hello {
            legacy_version: LEGACY_VERSION,
            suites: vec![CIPHER_SUITE],
            compression: vec![0],
            extensions: vec![
                (extension::SERVER_NAME, sni),
                (
                    extension::SUPPORTED_VERSIONS,
                    u16_list(Prefix::U8, &[TLS13]),
                ),
                (
                    extension::SUPPORTED_GROUPS,
                    u16_list(Prefix::U16, &[GROUP_X25519]),
                ),
                (
                    extension::SIGNATURE_ALGORITHMS,
                    u16_list(Prefix::U16, &[SIGNATURE_ED25519]),
                ),
                (
                    extension::KEY_SHARE,
                    key_share(GROUP_X25519, &Handshake::new().public_key()),
                ),
            ],
        }
    }

    pub fn without(mut self, extension_type: u16) -> Hello {
        self.extensions.retain(|(t, _)| *t != extension_type);
        self
    }

    pub fn with(self, extension_type: u16, data: Vec<u8>) -> Hello {
        let mut hello = self.without(extension_type);
        hello.extensions.push((extension_type, data));
        hello
    }

    pub fn message(&self) -> Vec<u8> {
        handshake_message(handshake_type::CLIENT_HELLO, |m| {
            put_u16(m, self.legacy_version);
            m.extend_from_slice(&[0x5a; 32]);
            put_vec(m, Prefix::U8, |_| {});
            put_vec(m, Prefix::U16, |v| {
                self.suites.iter().for_each(|&s| put_u16(v, s))
            });
            put_vec(m, Prefix::U8, |v| v.extend_from_slice(&self.compression));
            put_vec(m, Prefix::U16, |exts| {
                for (extension_type, data) in &self.extensions {
                    put_extension(exts, *extension_type, |e| e.extend_from_slice(data));
                }
            });
        })
    }

    pub fn record(&self) -> Vec<u8> {
        plaintext(ContentType::Handshake, LEGACY_VERSION, &self.message())
    }
}

// ------------------------------------------------- a client we drive by hand

/// A client that has sent an honest ClientHello and read the server's whole
/// flight: it holds the handshake keys and the transcript, and can now send
/// whatever it likes and open what the server answers.
pub struct RawClient {
    pub stream: TcpStream,
    pub me: SocketAddr,
    pub transcript: Transcript,
    pub secrets: HandshakeSecrets,
    pub incoming: Incoming,
    pub outgoing: Outgoing,
}

impl RawClient {
    pub fn handshake(server: &Server) -> RawClient {
        let (mut stream, me) = connect(server);
        let ours = Handshake::new();
        let hello = client_hello::encode(&[0x33; 32], &ours.public_key(), Some("localhost"));
        let mut transcript = Transcript::new();
        transcript.add(&hello);
        stream
            .write_all(&plaintext(ContentType::Handshake, LEGACY_VERSION, &hello))
            .unwrap();
        let mut incoming = Incoming::new();
        let message = next_message(&mut incoming, &mut stream);
        let server_public = ServerHello::parse(message.body())
            .and_then(|hello| hello.accept(&[]))
            .expect("a good ServerHello");
        transcript.add(&message.bytes);
        let shared = ours.finish(&server_public).unwrap();
        let secrets = HandshakeSecrets::derive(shared.as_bytes(), &transcript.current());
        incoming.set_key(&secrets.server).unwrap();
        // {EncryptedExtensions} {Certificate} {CertificateVerify} {Finished}
        for expected in [
            handshake_type::ENCRYPTED_EXTENSIONS,
            handshake_type::CERTIFICATE,
            handshake_type::CERTIFICATE_VERIFY,
            handshake_type::FINISHED,
        ] {
            let message = next_message(&mut incoming, &mut stream);
            assert_eq!(message.handshake_type, expected);
            transcript.add(&message.bytes);
        }
        let mut outgoing = Outgoing::new();
        outgoing.set_key(&secrets.client);
        RawClient {
            stream,
            me,
            transcript,
            secrets,
            incoming,
            outgoing,
        }
    }

    /// Seals `content` as one record under our current key and sends it.
    pub fn send(&mut self, content_type: ContentType, content: &[u8]) {
        self.outgoing.queue(content_type, content).unwrap();
        self.outgoing.flush(&mut self.stream).unwrap();
    }

    /// Sends the Finished the server expects; our keys move on.
    pub fn finish(&mut self) -> ApplicationSecrets {
        let application = self.secrets.application(&self.transcript.current());
        let verify_data = finished_verify_data(&self.secrets.client, &self.transcript.current());
        self.send(ContentType::Handshake, &encode_finished(&verify_data));
        self.outgoing.set_key(&application.client);
        application
    }

    /// The server's next words must be an encrypted alert `expected`.
    pub fn assert_alert(&mut self, expected: AlertDescription) {
        match self.incoming.next(&mut self.stream) {
            Err(Error::Tls(TlsError::PeerAlert(alert))) => assert_eq!(alert, expected),
            other => panic!("expected an encrypted {expected} alert, got {other:?}"),
        }
    }
}

pub fn next_message(incoming: &mut Incoming, stream: &mut TcpStream) -> HandshakeMessage {
    match incoming.next(stream) {
        Ok(Received::Handshake(message)) => message,
        other => panic!("expected a handshake message, got {other:?}"),
    }
}
