//! Bad input, lesson 10: peers that break the signed handshake, and peers
//! that complete it honestly and then break lesson 9's record layer.
//!
//! Each case ends with a good `10-echo-client`, given the right
//! `--server-key`, served by the same server. The shared checks are in
//! `tests/src/bad_peer.rs`.

use std::io::{Read, Write};
use std::thread;
use std::time::Duration;

use e2e::bad_peer::*;
use e2e::*;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::lesson09_encrypted_echo::record::MAX_PLAINTEXT_LEN;
use tls::lesson10_authentication::handshake::client_handshake;
use tls::lesson10_authentication::identity::SIGNATURE_LEN;
use tls::lesson10_authentication::identity::{ServerIdentity, ServerPublicKey};

const SERVER10: &str = "10-echo-server";
const CLIENT10: &str = "10-echo-client";
/// The server's answer to a client's key: its own key, then the signature.
const ANSWER_LEN: usize = 32 + SIGNATURE_LEN;

/// A lesson 10 server with a fresh key (and `args`), and the key to trust.
fn start(name: &str, args: &[&str]) -> (Server, ServerPublicKey) {
    let path = scratch(&format!("bad-input-l10-{name}.key"));
    let identity = ServerIdentity::generate().unwrap();
    identity.write_new(&path).unwrap();
    let mut all = vec!["--key", path.to_str().unwrap()];
    all.extend_from_slice(args);
    (Server::start(SERVER10, &all), identity.public_key())
}

/// The good client, trusting `key`, is still served.
fn still_serving(server: &mut Server, key: &ServerPublicKey, extra: &[&str]) {
    let key = key.to_string();
    let mut args = vec!["--server-key", key.as_str()];
    args.extend_from_slice(extra);
    assert_still_serving(server, CLIENT10, &args);
}

/// A peer that runs the signed handshake honestly, signature check
/// included, and can then misbehave at the record layer.
fn signed_peer(server: &Server, key: &ServerPublicKey, mode: NonceMode) -> Peer {
    let (mut stream, me) = connect(server);
    let session = client_handshake(&mut stream, key).expect("honest signed handshake");
    Peer {
        stream,
        me,
        session,
        mode,
    }
}

// ------------------------------------------------------------- handshake

#[test]
fn l10_connect_and_close() {
    let (mut server, key) = start("close", &[]);
    let (stream, me) = connect(&server);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        &format!("handshake failed: {CLOSED_MID_MESSAGE}"),
    );
    still_serving(&mut server, &key, &[]);
}

#[test]
fn l10_partial_public_key_then_close() {
    let (mut server, key) = start("partial", &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0x42; 17]).unwrap();
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        &format!("handshake failed: {CLOSED_MID_MESSAGE}"),
    );
    still_serving(&mut server, &key, &[]);
}

#[test]
fn l10_connect_and_say_nothing() {
    let (mut server, key) = start("silence", &["--handshake-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    assert_dropped_with(&server, me, HANDSHAKE_TIMEOUT);
    assert_closed_by_server(&mut stream);
    still_serving(&mut server, &key, &[]);
}

/// A key dripped a byte at a time cannot stretch the handshake deadline.
#[test]
fn l10_public_key_dripped_one_byte_at_a_time() {
    let (mut server, key) = start("drip", &["--handshake-timeout", "1"]);
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
    still_serving(&mut server, &key, &[]);
}

/// A low-order key is refused before the server signs anything: the peer
/// gets the server's public key and then the close, no signature.
#[test]
fn l10_low_order_public_key_gets_no_signature() {
    let (mut server, key) = start("low-order", &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0; 32]).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert_eq!(answer.len(), 32, "the server sent more than its key");
    assert_dropped_with(&server, me, LOW_ORDER);
    assert_dropped_with(&server, me, "all-zero shared secret");
    still_serving(&mut server, &key, &[]);
}

/// A web browser pointed at the port: the first 32 bytes of the request
/// are taken as a public key (any 32 bytes are an X25519 point), the server
/// answers and signs, and the rest of the request is nonsense as a record.
#[test]
fn l10_http_request_instead_of_a_handshake() {
    let (mut server, key) = start("http", &[]);
    let (mut stream, me) = connect(&server);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost:7878\r\nAccept: */*\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; ANSWER_LEN];
    stream.read_exact(&mut answer).unwrap();
    drop(stream);
    // "ept: */*\r\n\r\n" reads as length 0x6570 and a body that never comes.
    assert_dropped_with(&server, me, &format!("dropped: {CLOSED_MID_MESSAGE}"));
    assert!(server.printed_messages().is_empty());
    still_serving(&mut server, &key, &[]);
}

/// A peer that reads the key and the signature and then says nothing.
#[test]
fn l10_silent_after_the_signature() {
    let (mut server, key) = start("silent-after", &["--idle-timeout", "1"]);
    let mut peer = signed_peer(&server, &key, NonceMode::Random);
    assert_dropped_with(&server, peer.me, &format!("dropped: {IDLE_TIMEOUT}"));
    assert_closed_by_server(&mut peer.stream);
    still_serving(&mut server, &key, &[]);
}

// --------------------------------------------- records, after the handshake

#[test]
fn l10_flipped_tag_after_an_honest_handshake() {
    let (mut server, key) = start("flipped-tag", &[]);
    let mut peer = signed_peer(&server, &key, NonceMode::Random);
    let record = &peer.seal(&[b"amount=100"])[0];
    let body_len = record.len() - 2;
    peer.send(&flip_body_bit(record, body_len - 1));
    assert_dropped_with(&server, peer.me, &format!("dropped: {BAD_TAG}"));
    assert_closed_by_server(&mut peer.stream);
    assert!(
        !server.stdout().contains("amount"),
        "a forged record was accepted"
    );
    still_serving(&mut server, &key, &[]);
}

#[test]
fn l10_short_record_length_after_an_honest_handshake() {
    let (mut server, key) = start("short-length", &[]);
    let mut peer = signed_peer(&server, &key, NonceMode::Random);
    peer.send(&27u16.to_be_bytes());
    assert_dropped_with(&server, peer.me, "dropped: record length 27 is too short");
    assert_closed_by_server(&mut peer.stream);
    still_serving(&mut server, &key, &[]);
}

#[test]
fn l10_record_cut_off_by_a_close() {
    let (mut server, key) = start("cut-record", &[]);
    let mut peer = signed_peer(&server, &key, NonceMode::Random);
    let record = &peer.seal(&[b"half of this never arrives"])[0];
    peer.send(&record[..record.len() / 2]);
    drop(peer.stream);
    assert_dropped_with(&server, peer.me, &format!("dropped: {CLOSED_MID_MESSAGE}"));
    still_serving(&mut server, &key, &[]);
}

#[test]
fn l10_replayed_record_with_counter_nonces() {
    let counter = ["--nonce", "counter"];
    let (mut server, key) = start("replay-counter", &counter);
    let mut peer = signed_peer(&server, &key, NonceMode::Counter);
    let record = peer.seal(&[b"pay bob 100"]).remove(0);
    peer.send(&record);
    assert_eq!(peer.read_echo().as_deref(), Some(&b"pay bob 100"[..]));
    peer.send(&record);
    assert_dropped_with(&server, peer.me, "(wanted counter 1)");
    assert!(server.wait_stdout("pay bob 100", 1));
    assert_eq!(server.printed_messages(), ["pay bob 100"]);
    still_serving(&mut server, &key, &counter);
}

/// A peer that sends a lot and reads nothing: the write timeout ends the
/// server's wait for it.
#[test]
fn l10_peer_never_reads() {
    let (mut server, key) = start("never-reads", &["--write-timeout", "1", "--quiet"]);
    let peer = signed_peer(&server, &key, NonceMode::Random);
    // One full record, sent again and again (random nonces accept that).
    let record = peer.seal(&[&vec![b'x'; MAX_PLAINTEXT_LEN]]).remove(0);
    let mut stream = peer.stream.try_clone().unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let flooder = thread::spawn(move || {
        let mut sent = 0usize;
        while stream.write_all(&record).is_ok() && sent < 4096 {
            sent += 1;
        }
        sent
    });
    assert_dropped_with(&server, peer.me, NOT_READING);
    let sent = flooder.join().unwrap();
    assert!(sent < 4096, "the server kept up with {sent} unread records");
    still_serving(&mut server, &key, &[]);
}
