//! Bad input, lesson 9, after an honest handshake: short, cut, damaged,
//! forged, replayed and reordered records, and the legal extremes.
//!
//! The shared checks are in `tests/src/bad_peer.rs`.

use std::thread;
use std::time::Duration;

use e2e::bad_peer::*;
use e2e::*;
use tls::lesson08_key_split::Role;
use tls::lesson09_encrypted_echo::channel::SecureWriter;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::lesson09_encrypted_echo::record::{MAX_PLAINTEXT_LEN, NONCE_LEN, PREFIX_LEN, TAG_LEN};

fn short_length(len: u16) {
    let mut server = Server::start(SERVER9, &[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    peer.send(&len.to_be_bytes());
    assert_dropped_with(
        &server,
        peer.me,
        &format!("dropped: record length {len} is too short"),
    );
    assert_closed_by_server(&mut peer.stream);
    assert_still_serving(&mut server, CLIENT9, &[]);
}

#[test]
fn l9_record_length_0() {
    short_length(0);
}

#[test]
fn l9_record_length_1() {
    short_length(1);
}

/// One byte short of a nonce and a tag around nothing.
#[test]
fn l9_record_length_27() {
    short_length(27);
}

#[test]
fn l9_length_65535_with_a_short_body_then_close() {
    let mut server = Server::start(SERVER9, &[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    peer.send(&[0xff, 0xff]);
    peer.send(&[0xab; 1000]);
    drop(peer.stream);
    assert_dropped_with(&server, peer.me, &format!("dropped: {CLOSED_MID_MESSAGE}"));
    assert_still_serving(&mut server, CLIENT9, &[]);
}

/// Half a record, then nothing: the idle timeout covers reads inside a
/// record too.
#[test]
fn l9_peer_stops_mid_record() {
    let mut server = Server::start(SERVER9, &["--idle-timeout", "1"]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let record = &peer.seal(&[b"half of this never arrives"])[0];
    peer.send(&record[..record.len() / 2]);
    assert_dropped_with(&server, peer.me, &format!("dropped: {IDLE_TIMEOUT}"));
    assert_closed_by_server(&mut peer.stream);
    assert_still_serving(&mut server, CLIENT9, &[]);
}

#[test]
fn l9_peer_never_sends_after_the_handshake() {
    let mut server = Server::start(SERVER9, &["--idle-timeout", "1"]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    assert_dropped_with(&server, peer.me, &format!("dropped: {IDLE_TIMEOUT}"));
    assert_closed_by_server(&mut peer.stream);
    assert_still_serving(&mut server, CLIENT9, &[]);
}

fn damaged_record(index: impl Fn(usize) -> usize) {
    let mut server = Server::start(SERVER9, &[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let record = &peer.seal(&[b"amount=100"])[0];
    let body_len = record.len() - PREFIX_LEN;
    peer.send(&flip_body_bit(record, index(body_len)));
    assert_dropped_with(&server, peer.me, &format!("dropped: {BAD_TAG}"));
    assert_closed_by_server(&mut peer.stream);
    assert!(
        !server.stdout().contains("amount"),
        "a forged record was accepted"
    );
    assert_still_serving(&mut server, CLIENT9, &[]);
}

#[test]
fn l9_flipped_tag() {
    damaged_record(|len| len - 1);
}

#[test]
fn l9_flipped_nonce() {
    damaged_record(|_| 0);
}

#[test]
fn l9_flipped_ciphertext() {
    // Byte 7 of "amount=100" is the '1': the lesson 4 attack, now caught.
    damaged_record(|_| NONCE_LEN + 7);
}

#[test]
fn l9_random_ciphertext() {
    let mut server = Server::start(SERVER9, &[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let body = noise(NONCE_LEN + 40 + TAG_LEN, 7);
    let len = u16::try_from(body.len()).unwrap();
    peer.send(&[&len.to_be_bytes()[..], &body].concat());
    assert_dropped_with(&server, peer.me, &format!("dropped: {BAD_TAG}"));
    assert_still_serving(&mut server, CLIENT9, &[]);
}

/// Mallory reflects the server's key direction: a record sealed with the
/// server-to-client key, sent to the server.
#[test]
fn l9_record_sealed_with_the_wrong_directions_key() {
    let mut server = Server::start(SERVER9, &[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let mut wire = Vec::new();
    SecureWriter::new(
        &mut wire,
        &peer.session.keys,
        Role::Server,
        NonceMode::Random,
    )
    .write_record(b"reflected")
    .unwrap();
    peer.send(&wire);
    assert_dropped_with(&server, peer.me, &format!("dropped: {BAD_TAG}"));
    assert_still_serving(&mut server, CLIENT9, &[]);
}

/// A bad record followed at once by good ones: the server stops at the bad
/// one and never reads, prints or echoes what came after.
#[test]
fn l9_records_after_an_error() {
    let mut server = Server::start(SERVER9, &[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let records = peer.seal(&[b"forged", b"after-error-1", b"after-error-2"]);
    let bad = flip_body_bit(&records[0], 20);
    peer.send(&[bad.as_slice(), &records[1], &records[2]].concat());
    assert_dropped_with(&server, peer.me, &format!("dropped: {BAD_TAG}"));
    assert_closed_by_server(&mut peer.stream);
    // Give a wrongly-continuing server every chance to show itself.
    thread::sleep(Duration::from_millis(200));
    assert!(
        !server.stdout().contains("after-error"),
        "{}",
        server.stdout()
    );
    assert_still_serving(&mut server, CLIENT9, &[]);
}

/// Random nonces carry no order, so a replayed record is accepted. This is
/// the honest weakness lesson 9 teaches; counter mode is the fix.
#[test]
fn l9_replayed_record_is_accepted_with_random_nonces() {
    let mut server = Server::start(SERVER9, &[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let record = peer.seal(&[b"pay bob 100"]).remove(0);
    peer.send(&record);
    peer.send(&record);
    assert_eq!(peer.read_echo().as_deref(), Some(&b"pay bob 100"[..]));
    assert_eq!(peer.read_echo().as_deref(), Some(&b"pay bob 100"[..]));
    assert!(server.wait_stdout("pay bob 100", 2));
    drop(peer.stream);
    assert!(server.wait_stdout(&format!("{}: client disconnected", peer.me), 1));
    assert_still_serving(&mut server, CLIENT9, &[]);
}

#[test]
fn l9_replayed_record_is_rejected_with_counter_nonces() {
    let mut server = Server::start(SERVER9, &["--nonce", "counter"]);
    let mut peer = Peer::handshake(&server, NonceMode::Counter);
    let record = peer.seal(&[b"pay bob 100"]).remove(0);
    peer.send(&record);
    assert_eq!(peer.read_echo().as_deref(), Some(&b"pay bob 100"[..]));
    peer.send(&record);
    assert_dropped_with(
        &server,
        peer.me,
        "dropped: unexpected nonce 000000000000000000000000 (wanted counter 1)",
    );
    assert!(server.wait_stdout("pay bob 100", 1));
    assert_eq!(server.stdout().matches("pay bob 100").count(), 1);
    assert_still_serving(&mut server, CLIENT9, &["--nonce", "counter"]);
}

#[test]
fn l9_reordered_records_with_counter_nonces() {
    let mut server = Server::start(SERVER9, &["--nonce", "counter"]);
    let mut peer = Peer::handshake(&server, NonceMode::Counter);
    let records = peer.seal(&[b"first", b"second"]);
    peer.send(&records[1]);
    assert_dropped_with(&server, peer.me, "(wanted counter 0)");
    assert_still_serving(&mut server, CLIENT9, &["--nonce", "counter"]);
}

/// A client in random-nonce mode talking to a counter-mode server: its
/// first nonce is random, not counter 0.
#[test]
fn l9_random_nonce_client_against_a_counter_server() {
    let mut server = Server::start(SERVER9, &["--nonce", "counter"]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let record = peer.seal(&[b"hello"]).remove(0);
    peer.send(&record);
    assert_dropped_with(&server, peer.me, "(wanted counter 0)");
    assert_still_serving(&mut server, CLIENT9, &["--nonce", "counter"]);
}

/// Not an error: bytes that are not UTF-8 are echoed exactly, and printed
/// with each byte that is not UTF-8 shown escaped (`\xff`).
#[test]
fn l9_non_utf8_plaintext() {
    let mut server = Server::start(SERVER9, &[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let message: &[u8] = b"caf\xc3 \xff\xfe\x00 end";
    let record = peer.seal(&[message]).remove(0);
    peer.send(&record);
    assert_eq!(peer.read_echo().as_deref(), Some(message));
    assert!(server.wait_stdout("caf\\xc3 \\xff\\xfe\\x00 end", 1));
    assert_still_serving(&mut server, CLIENT9, &[]);
}

/// Not errors either: the smallest and the largest legal records.
#[test]
fn l9_empty_and_largest_records() {
    let mut server = Server::start(SERVER9, &[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let largest = vec![b'z'; MAX_PLAINTEXT_LEN];
    let records = peer.seal(&[b"", &largest]);
    assert_eq!(records[1].len(), PREFIX_LEN + 65535);
    peer.send(&records.concat());
    assert_eq!(peer.read_echo().as_deref(), Some(&b""[..]));
    assert_eq!(peer.read_echo(), Some(largest));
    assert_still_serving(&mut server, CLIENT9, &[]);
}
