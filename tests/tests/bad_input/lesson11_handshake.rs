//! Bad input, lesson 11, the handshake: ClientHellos that offer the wrong
//! thing (no TLS 1.3, no X25519 share, a bad key, no ChaCha20-Poly1305, no
//! Ed25519, compression, early data), and, after the ServerHello, a second
//! hello, a bad change_cipher_spec, a client Finished that does not verify,
//! garbage after it and a peer that never reads. Before the ServerHello the
//! server's alert is in the clear; after it, it is encrypted and opened by
//! [`RawClient`].
//!
//! Every case ends with the server's one line about the peer and a good
//! `11-tls13-client` (given the server's CA) served afterwards. The shared
//! pieces are in `tests/src/bad_peer.rs` and `tests/src/bad_peer11.rs`.

use std::io::Write;
use std::thread;

use e2e::bad_peer::*;
use e2e::bad_peer11::*;
use tls::lesson11_real_tls13::codec::Prefix;
use tls::lesson11_real_tls13::incoming::Incoming;
use tls::lesson11_real_tls13::record::ContentType;
use tls::lesson11_real_tls13::server_messages::encode_finished;
use tls::lesson11_real_tls13::{AlertDescription, GROUP_X25519, LEGACY_VERSION, extension};

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
