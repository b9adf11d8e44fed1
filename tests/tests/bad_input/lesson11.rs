//! Bad input, lesson 11: peers that break TLS 1.3 against `11-tls13-server`.
//!
//! Before the ServerHello a refusal is a plaintext alert, read back here
//! byte for byte: `21 03 03 00 02 02 <description>`. After it, the alert is
//! encrypted, so those cases use [`RawClient`], a hand-driven client that
//! holds the handshake keys (built from lesson 11's own parts) and can open
//! the server's answer. Every case ends with the server's one line about
//! the peer and a good `11-tls13-client` (given the server's CA) served
//! afterwards. The shared checks are in `tests/src/bad_peer.rs`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;

use e2e::bad_peer::*;
use e2e::*;
use tls::Error;
use tls::lesson07_key_exchange::Handshake;
use tls::lesson11_real_tls13::client_hello::{self, put_extension};
use tls::lesson11_real_tls13::codec::{Prefix, handshake_message, put_u16, put_vec};
use tls::lesson11_real_tls13::connection::Outgoing;
use tls::lesson11_real_tls13::incoming::{Incoming, Received};
use tls::lesson11_real_tls13::key_schedule::{
    ApplicationSecrets, HandshakeSecrets, finished_verify_data,
};
use tls::lesson11_real_tls13::record::{self, ContentType};
use tls::lesson11_real_tls13::server_messages::{ServerHello, encode_finished};
use tls::lesson11_real_tls13::transcript::Transcript;
use tls::lesson11_real_tls13::{
    AlertDescription, CIPHER_SUITE, GROUP_X25519, LEGACY_VERSION, SIGNATURE_ED25519, TLS13,
    TlsError, extension, handshake_type,
};

const SERVER11: &str = "11-tls13-server";
const CLIENT11: &str = "11-tls13-client";

/// `11-tls13-server` (with `args`) and the CA file it wrote.
fn start(name: &str, args: &[&str]) -> (Server, PathBuf) {
    let ca = scratch(&format!("bad-input-l11-{name}-ca.pem"));
    let mut all = vec!["--ca-out", ca.to_str().unwrap()];
    all.extend_from_slice(args);
    (Server::start(SERVER11, &all), ca)
}

/// The good client, trusting the server's CA, is still served.
fn still_serving(server: &mut Server, ca: &Path) {
    assert_still_serving(server, CLIENT11, &["--ca", ca.to_str().unwrap()]);
    let _ = std::fs::remove_file(ca);
}

/// One plaintext record.
fn plaintext(content_type: ContentType, version: u16, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    record::push_plaintext(&mut out, content_type, version, content);
    out
}

/// Everything the server sends until it hangs up: exactly one plaintext
/// fatal alert with `expected` as its description.
fn assert_plaintext_alert(stream: &mut TcpStream, expected: AlertDescription) {
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
fn assert_whole_flight(stream: &mut TcpStream) {
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
fn send_first(server: &Server, bytes: &[u8]) -> (TcpStream, SocketAddr) {
    let (mut stream, me) = connect(server);
    stream.write_all(bytes).unwrap();
    (stream, me)
}

/// A bad first flight: the plaintext alert back, the one line, still serving.
fn refused_first_flight(name: &str, flight: &[u8], alert: AlertDescription, says: &str) {
    let (mut server, ca) = start(name, &[]);
    let (mut stream, me) = send_first(&server, flight);
    assert_plaintext_alert(&mut stream, alert);
    assert_dropped_with(&server, me, &format!("handshake failed: {says}"));
    still_serving(&mut server, &ca);
}

// ----------------------------------------------------- ClientHello builder

/// A ClientHello we can break one piece at a time: our client's offer by
/// default (TLS 1.3, our suite, x25519 with a share, ed25519, localhost).
struct Hello {
    legacy_version: u16,
    suites: Vec<u16>,
    compression: Vec<u8>,
    extensions: Vec<(u16, Vec<u8>)>,
}

fn u16_list(prefix: Prefix, values: &[u16]) -> Vec<u8> {
    let mut out = Vec::new();
    put_vec(&mut out, prefix, |v| {
        values.iter().for_each(|&x| put_u16(v, x))
    });
    out
}

fn key_share(group: u16, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_vec(&mut out, Prefix::U16, |shares| {
        put_u16(shares, group);
        put_vec(shares, Prefix::U16, |k| k.extend_from_slice(key));
    });
    out
}

impl Hello {
    fn good() -> Hello {
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

    fn without(mut self, extension_type: u16) -> Hello {
        self.extensions.retain(|(t, _)| *t != extension_type);
        self
    }

    fn with(self, extension_type: u16, data: Vec<u8>) -> Hello {
        let mut hello = self.without(extension_type);
        hello.extensions.push((extension_type, data));
        hello
    }

    fn message(&self) -> Vec<u8> {
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

    fn record(&self) -> Vec<u8> {
        plaintext(ContentType::Handshake, LEGACY_VERSION, &self.message())
    }
}

// ------------------------------------------------- a client we drive by hand

/// A client that has sent an honest ClientHello and read the server's whole
/// flight: it holds the handshake keys and the transcript, and can now send
/// whatever it likes and open what the server answers.
struct RawClient {
    stream: TcpStream,
    me: SocketAddr,
    transcript: Transcript,
    secrets: HandshakeSecrets,
    incoming: Incoming,
    outgoing: Outgoing,
}

impl RawClient {
    fn handshake(server: &Server) -> RawClient {
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
        let server_hello = ServerHello::parse(message.body()).expect("a good ServerHello");
        transcript.add(&message.bytes);
        let shared = ours.finish(&server_hello.x25519_public).unwrap();
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
    fn send(&mut self, content_type: ContentType, content: &[u8]) {
        self.outgoing.queue(content_type, content).unwrap();
        self.outgoing.flush(&mut self.stream).unwrap();
    }

    /// Sends the Finished the server expects; our keys move on.
    fn finish(&mut self) -> ApplicationSecrets {
        let application = self.secrets.application(&self.transcript.current());
        let verify_data = finished_verify_data(&self.secrets.client, &self.transcript.current());
        self.send(ContentType::Handshake, &encode_finished(&verify_data));
        self.outgoing.set_key(&application.client);
        application
    }

    /// The server's next words must be an encrypted alert `expected`.
    fn assert_alert(&mut self, expected: AlertDescription) {
        match self.incoming.next(&mut self.stream) {
            Err(Error::Tls(TlsError::PeerAlert(alert))) => assert_eq!(alert, expected),
            other => panic!("expected an encrypted {expected} alert, got {other:?}"),
        }
    }
}

fn next_message(
    incoming: &mut Incoming,
    stream: &mut TcpStream,
) -> tls::lesson11_real_tls13::incoming::HandshakeMessage {
    match incoming.next(stream) {
        Ok(Received::Handshake(message)) => message,
        other => panic!("expected a handshake message, got {other:?}"),
    }
}

// ------------------------------------------------------- connection level

#[test]
fn l11_connect_and_close() {
    let (mut server, ca) = start("close", &[]);
    let (stream, me) = connect(&server);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        "handshake failed: peer closed the connection during the handshake",
    );
    still_serving(&mut server, &ca);
}

#[test]
fn l11_connect_and_say_nothing() {
    let (mut server, ca) = start("silence", &["--handshake-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    assert_dropped_with(&server, me, HANDSHAKE_TIMEOUT);
    assert_closed_by_server(&mut stream);
    still_serving(&mut server, &ca);
}

#[test]
fn l11_client_hello_record_cut_short() {
    let (mut server, ca) = start("cut-hello", &[]);
    let record = Hello::good().record();
    let (stream, me) = send_first(&server, &record[..record.len() / 2]);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        &format!("handshake failed: {CLOSED_MID_MESSAGE}"),
    );
    still_serving(&mut server, &ca);
}

/// Only the header is sent: the answer comes at once, so the server did not
/// wait for (or allocate) the 16 KiB + 1 it announced.
#[test]
fn l11_record_over_2_14_is_refused_at_its_header() {
    refused_first_flight(
        "overflow",
        &[22, 3, 1, 0x40, 0x01],
        AlertDescription::RECORD_OVERFLOW,
        "record of 16385 bytes is over the TLS limit (record_overflow)",
    );
}

#[test]
fn l11_handshake_message_over_our_limit_is_refused_at_its_header() {
    // A record of 4 bytes: a ClientHello header announcing 16 MiB - 1.
    let flight = plaintext(
        ContentType::Handshake,
        LEGACY_VERSION,
        &[1, 0xff, 0xff, 0xff],
    );
    refused_first_flight(
        "huge-message",
        &flight,
        AlertDescription::DECODE_ERROR,
        "handshake message of 16777215 bytes is over our limit",
    );
}

#[test]
fn l11_handshake_message_longer_than_its_record_then_close() {
    let (mut server, ca) = start("long-message", &[]);
    let message = Hello::good().message();
    // The record carries only the first 40 bytes of the message.
    let flight = plaintext(ContentType::Handshake, LEGACY_VERSION, &message[..40]);
    let (stream, me) = send_first(&server, &flight);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        &format!("handshake failed: {CLOSED_MID_MESSAGE}"),
    );
    still_serving(&mut server, &ca);
}

#[test]
fn l11_empty_handshake_record() {
    refused_first_flight(
        "empty",
        &plaintext(ContentType::Handshake, LEGACY_VERSION, &[]),
        AlertDescription::DECODE_ERROR,
        "malformed empty handshake record",
    );
}

/// RFC 8446 5.1: legacy_record_version "MUST be ignored". So the server
/// answers; this case checks that it does, and that nothing else breaks.
#[test]
fn l11_odd_record_version_is_ignored_as_the_rfc_says() {
    let (mut server, ca) = start("record-version", &[]);
    let mut flight = Hello::good().record();
    flight[1..3].copy_from_slice(&[0x7f, 0x7f]);
    let (mut stream, me) = send_first(&server, &flight);
    assert_whole_flight(&mut stream);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        "handshake failed: peer closed the connection during the handshake",
    );
    still_serving(&mut server, &ca);
}

/// RFC 8446 4.2.1: with supported_versions present, the server "MUST NOT
/// use the ClientHello.legacy_version value for version negotiation".
#[test]
fn l11_odd_legacy_version_in_the_hello_is_ignored_as_the_rfc_says() {
    let (mut server, ca) = start("hello-version", &[]);
    let mut hello = Hello::good();
    hello.legacy_version = 0x0301;
    let (mut stream, me) = send_first(&server, &hello.record());
    assert_whole_flight(&mut stream);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        "handshake failed: peer closed the connection during the handshake",
    );
    still_serving(&mut server, &ca);
}

// ---------------------------------------------------- what the hello offers

#[test]
fn l11_tls12_hello_without_supported_versions() {
    refused_first_flight(
        "tls12",
        &Hello::good()
            .without(extension::SUPPORTED_VERSIONS)
            .record(),
        AlertDescription::PROTOCOL_VERSION,
        "peer does not offer TLS 1.3",
    );
}

#[test]
fn l11_supported_versions_without_tls13() {
    let hello = Hello::good().with(
        extension::SUPPORTED_VERSIONS,
        u16_list(Prefix::U8, &[0x0303, 0x0302]),
    );
    refused_first_flight(
        "tls12-only",
        &hello.record(),
        AlertDescription::PROTOCOL_VERSION,
        "peer does not offer TLS 1.3",
    );
}

#[test]
fn l11_no_key_share() {
    refused_first_flight(
        "no-key-share",
        &Hello::good().without(extension::KEY_SHARE).record(),
        AlertDescription::MISSING_EXTENSION,
        "peer sent no key_share extension",
    );
}

#[test]
fn l11_x25519_key_share_of_31_bytes() {
    let hello = Hello::good().with(extension::KEY_SHARE, key_share(GROUP_X25519, &[7; 31]));
    refused_first_flight(
        "short-share",
        &hello.record(),
        AlertDescription::ILLEGAL_PARAMETER,
        "illegal parameter: X25519 key share is not 32 bytes",
    );
}

#[test]
fn l11_all_zero_x25519_key_share() {
    let hello = Hello::good().with(extension::KEY_SHARE, key_share(GROUP_X25519, &[0; 32]));
    refused_first_flight(
        "zero-share",
        &hello.record(),
        AlertDescription::ILLEGAL_PARAMETER,
        "peer key share is low-order (all-zero X25519 secret)",
    );
}

#[test]
fn l11_low_order_x25519_key_share() {
    // u = 1: a point of order 4; every secret maps it to the all-zero result.
    let mut one = [0u8; 32];
    one[0] = 1;
    let hello = Hello::good().with(extension::KEY_SHARE, key_share(GROUP_X25519, &one));
    refused_first_flight(
        "one-share",
        &hello.record(),
        AlertDescription::ILLEGAL_PARAMETER,
        "peer key share is low-order (all-zero X25519 secret)",
    );
}

#[test]
fn l11_no_chacha20_poly1305_offered() {
    let mut hello = Hello::good();
    hello.suites = vec![0x1301, 0x1302];
    refused_first_flight(
        "no-chacha",
        &hello.record(),
        AlertDescription::HANDSHAKE_FAILURE,
        "peer offers no TLS_CHACHA20_POLY1305_SHA256",
    );
}

#[test]
fn l11_no_ed25519_in_signature_algorithms() {
    let hello = Hello::good().with(
        extension::SIGNATURE_ALGORITHMS,
        u16_list(Prefix::U16, &[0x0403, 0x0804]),
    );
    refused_first_flight(
        "no-ed25519",
        &hello.record(),
        AlertDescription::HANDSHAKE_FAILURE,
        "peer does not accept ed25519 signatures",
    );
}

#[test]
fn l11_compression_offered() {
    let mut hello = Hello::good();
    hello.compression = vec![1, 0];
    refused_first_flight(
        "compression",
        &hello.record(),
        AlertDescription::ILLEGAL_PARAMETER,
        "illegal parameter: compression offered",
    );
}

#[test]
fn l11_early_data_asked_for() {
    let hello = Hello::good().with(extension::EARLY_DATA, Vec::new());
    refused_first_flight(
        "early-data",
        &hello.record(),
        AlertDescription::HANDSHAKE_FAILURE,
        "peer wants 0-RTT early data, which lesson 11 does not implement",
    );
}

// ------------------------------------------- the wrong thing in the clear

#[test]
fn l11_unknown_content_type() {
    refused_first_flight(
        "content-type",
        &[0x63, 3, 3, 0, 1, 0],
        AlertDescription::UNEXPECTED_MESSAGE,
        "not a TLS record (first byte 0x63)",
    );
}

#[test]
fn l11_application_data_before_the_handshake() {
    refused_first_flight(
        "early-app-data",
        &plaintext(ContentType::ApplicationData, LEGACY_VERSION, &[0; 32]),
        AlertDescription::UNEXPECTED_MESSAGE,
        "unexpected message: application_data here",
    );
}

#[test]
fn l11_a_finished_where_the_client_hello_belongs() {
    refused_first_flight(
        "out-of-order",
        &plaintext(
            ContentType::Handshake,
            LEGACY_VERSION,
            &encode_finished(&[0; 32]),
        ),
        AlertDescription::UNEXPECTED_MESSAGE,
        "unexpected message: Finished where ClientHello belongs",
    );
}

#[test]
fn l11_http_request_instead_of_a_client_hello() {
    refused_first_flight(
        "http",
        b"GET / HTTP/1.1\r\nHost: localhost:7878\r\n\r\n",
        AlertDescription::UNEXPECTED_MESSAGE,
        "not a TLS record (first byte 0x47)",
    );
}

#[test]
fn l11_random_bytes() {
    let garbage = noise(300, 11);
    assert!(!(20..=23).contains(&garbage[0]), "pick another seed");
    refused_first_flight(
        "noise",
        &garbage,
        AlertDescription::UNEXPECTED_MESSAGE,
        &format!("not a TLS record (first byte 0x{:02x})", garbage[0]),
    );
}

/// An alert is how a peer gives up; the server answers nothing and drops it.
#[test]
fn l11_alert_instead_of_a_client_hello() {
    let (mut server, ca) = start("alert", &[]);
    let flight = plaintext(ContentType::Alert, LEGACY_VERSION, &[2, 40]);
    let (mut stream, me) = send_first(&server, &flight);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(
        answer.is_empty(),
        "the server answered an alert: {answer:?}"
    );
    assert_dropped_with(
        &server,
        me,
        "handshake failed: peer sent alert handshake_failure",
    );
    still_serving(&mut server, &ca);
}

// ----------------------------------- after the ServerHello: encrypted alerts

#[test]
fn l11_second_client_hello_after_the_first() {
    let (mut server, ca) = start("second-hello", &[]);
    let mut peer = RawClient::handshake(&server);
    peer.stream.write_all(&Hello::good().record()).unwrap();
    peer.assert_alert(AlertDescription::UNEXPECTED_MESSAGE);
    assert_dropped_with(
        &server,
        peer.me,
        "handshake failed: unexpected message: handshake here",
    );
    still_serving(&mut server, &ca);
}

#[test]
fn l11_change_cipher_spec_with_a_wrong_body() {
    let (mut server, ca) = start("bad-ccs", &[]);
    let mut peer = RawClient::handshake(&server);
    let ccs = plaintext(ContentType::ChangeCipherSpec, LEGACY_VERSION, &[2]);
    peer.stream.write_all(&ccs).unwrap();
    peer.assert_alert(AlertDescription::UNEXPECTED_MESSAGE);
    assert_dropped_with(
        &server,
        peer.me,
        "handshake failed: unexpected message: change_cipher_spec here",
    );
    still_serving(&mut server, &ca);
}

#[test]
fn l11_client_finished_that_does_not_verify() {
    let (mut server, ca) = start("bad-finished", &[]);
    let mut peer = RawClient::handshake(&server);
    peer.send(ContentType::Handshake, &encode_finished(&[0x77; 32]));
    peer.assert_alert(AlertDescription::DECRYPT_ERROR);
    assert_dropped_with(
        &server,
        peer.me,
        "handshake failed: peer Finished does not verify",
    );
    assert!(server.printed_messages().is_empty());
    still_serving(&mut server, &ca);
}

#[test]
fn l11_undecryptable_record_after_the_client_finished() {
    let (mut server, ca) = start("garbage-after-finished", &[]);
    let mut peer = RawClient::handshake(&server);
    let application = peer.finish();
    // Right shape (type 23, a tag's worth and more), wrong bytes.
    let mut garbage = vec![23, 3, 3, 0, 40];
    garbage.extend(noise(40, 5));
    peer.stream.write_all(&garbage).unwrap();
    // The answer is sealed under the server's application key.
    peer.incoming = Incoming::established(&application.server);
    peer.assert_alert(AlertDescription::BAD_RECORD_MAC);
    assert_dropped_with(
        &server,
        peer.me,
        "dropped: record failed authentication (bad_record_mac)",
    );
    assert!(server.printed_messages().is_empty());
    still_serving(&mut server, &ca);
}

#[test]
fn l11_peer_that_never_reads() {
    let (mut server, ca) = start("never-reads", &["--write-timeout", "1"]);
    let mut peer = RawClient::handshake(&server);
    peer.finish();
    let me = peer.me;
    // Echo requests, as fast as they go, never reading an echo back.
    let flooder = thread::spawn(move || {
        let chunk = vec![b'x'; 16 * 1024];
        let mut sent = 0usize;
        while sent < 4096 {
            if peer
                .outgoing
                .queue(ContentType::ApplicationData, &chunk)
                .is_err()
                || peer.outgoing.flush(&mut peer.stream).is_err()
            {
                break;
            }
            sent += 1;
        }
        sent
    });
    assert_dropped_with(&server, me, NOT_READING);
    assert!(flooder.join().unwrap() < 4096, "the server never blocked");
    still_serving(&mut server, &ca);
}
