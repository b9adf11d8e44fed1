//! Bad input, lesson 9, before any record: peers that break the X25519
//! handshake (silence, drips, cut keys, low-order keys, the wrong protocol).
//!
//! Timeout cases start their server with one-second limits, so the whole
//! file stays quick. The shared checks are in `tests/src/bad_peer.rs`.

use std::io::{Read, Write};
use std::thread;
use std::time::Duration;

use e2e::bad_peer::*;
use e2e::*;

#[test]
fn l9_connect_and_close() {
    let mut server = Server::start(SERVER9, &[]);
    let (stream, me) = connect(&server);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        &format!("handshake failed: {CLOSED_MID_MESSAGE}"),
    );
    assert_still_serving(&mut server, CLIENT9, &[]);
}

#[test]
fn l9_partial_public_key_then_close() {
    let mut server = Server::start(SERVER9, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0x42; 17]).unwrap();
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        &format!("handshake failed: {CLOSED_MID_MESSAGE}"),
    );
    assert_still_serving(&mut server, CLIENT9, &[]);
}

#[test]
fn l9_partial_public_key_then_silence() {
    let mut server = Server::start(SERVER9, &["--handshake-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0x42; 17]).unwrap();
    assert_dropped_with(&server, me, HANDSHAKE_TIMEOUT);
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, CLIENT9, &[]);
}

#[test]
fn l9_connect_and_say_nothing() {
    let mut server = Server::start(SERVER9, &["--handshake-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    assert_dropped_with(&server, me, HANDSHAKE_TIMEOUT);
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, CLIENT9, &[]);
}

/// Each read gets its own timeout, so a peer that drips a byte just inside
/// it would stretch a 1 s limit to 32 s. The deadline covers the whole
/// handshake instead.
#[test]
fn l9_public_key_dripped_one_byte_at_a_time() {
    let mut server = Server::start(SERVER9, &["--handshake-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    let dripper = thread::spawn(move || {
        for _ in 0..32 {
            if stream.write_all(&[0x42]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(300));
        }
    });
    assert_dropped_with(&server, me, HANDSHAKE_TIMEOUT);
    dripper.join().unwrap();
    assert_still_serving(&mut server, CLIENT9, &[]);
}

/// The X25519 public keys that force an all-zero shared secret: the points
/// of small order, and non-canonical encodings of them (RFC 7748 masks the
/// top bit and reduces modulo p = 2^255 - 19, so these are the same points).
fn low_order_keys() -> Vec<(&'static str, [u8; 32])> {
    let hex = |s: &str| -> [u8; 32] {
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        bytes.try_into().unwrap()
    };
    let mut zero_high_bit = [0u8; 32];
    zero_high_bit[31] = 0x80;
    let mut one = [0u8; 32];
    one[0] = 1;
    vec![
        ("all zero (u = 0)", [0u8; 32]),
        ("u = 1", one),
        (
            "order 8, first",
            hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        ),
        (
            "order 8, second",
            hex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
        ),
        (
            "u = p - 1",
            hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        ),
        (
            "u = p (0, non-canonical)",
            hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        ),
        (
            "u = p + 1 (1, non-canonical)",
            hex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        ),
        ("u = 0 with the top bit set", zero_high_bit),
    ]
}

#[test]
fn l9_all_zero_public_key() {
    let mut server = Server::start(SERVER9, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0; 32]).unwrap();
    assert_dropped_with(&server, me, LOW_ORDER);
    assert_dropped_with(&server, me, "all-zero shared secret");
    assert_still_serving(&mut server, CLIENT9, &[]);
}

#[test]
fn l9_low_order_public_keys() {
    let mut server = Server::start(SERVER9, &[]);
    for (name, key) in low_order_keys() {
        let (mut stream, me) = connect(&server);
        stream.write_all(&key).unwrap();
        // The server answers with its own key, then refuses to go on.
        let mut server_public = [0u8; 32];
        stream.read_exact(&mut server_public).unwrap();
        let prefix = format!("{me}: handshake failed: peer public key is low-order");
        assert!(
            wait_until(|| server.stderr().lines().any(|l| l.starts_with(&prefix))),
            "low-order key {name} was not refused:\n{}",
            server.stderr()
        );
        assert_closed_by_server(&mut stream);
    }
    assert_still_serving(&mut server, CLIENT9, &[]);
}

/// Someone points a web browser at port 7878: the first 32 bytes of the
/// request are taken as a public key (any 32 bytes are a valid X25519 point),
/// and the rest is nonsense as a record.
#[test]
fn l9_http_request_instead_of_a_handshake() {
    let mut server = Server::start(SERVER9, &[]);
    let (mut stream, me) = connect(&server);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost:7878\r\nAccept: */*\r\n\r\n")
        .unwrap();
    let mut server_public = [0u8; 32];
    stream.read_exact(&mut server_public).unwrap();
    drop(stream);
    // What is left, "ept: */*\r\n\r\n", reads as length 0x6570 and a body
    // that never comes.
    assert_dropped_with(&server, me, &format!("dropped: {CLOSED_MID_MESSAGE}"));
    assert_still_serving(&mut server, CLIENT9, &[]);
}
