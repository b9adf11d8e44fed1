//! Bad input, lesson 5: everything the encrypt-then-MAC server refuses, and
//! the odd-but-honest messages it must still serve.
//!
//! A bad peer here holds the keys (they are constants in the source, which
//! is this lesson's remaining weakness), so it can seal perfectly good
//! records and then break exactly one rule at a time: a flipped byte in
//! each field, a sequence number out of step, a record cut short. Every
//! test ends by checking that the server is still serving a good client.
//! The shared checks are in `tests/src/bad_peer.rs`.

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use e2e::bad_peer::*;
use e2e::*;
use tls::lesson02_records::RecordReader;
use tls::lesson05_mac::channel::MacReader;
use tls::lesson05_mac::record::{RecordKeys, seal, seal_with_nonce};
use tls::lesson05_mac::{ENC_KEY, MAC_KEY, MIN_PAYLOAD_LEN, NONCE_LEN, SEQ_LEN, SeqCheck, TAG_LEN};
use tls::runtime::message::MessageReader;

const SERVER5: &str = "5-mac-echo-server";
const CLIENT5: &str = "5-mac-echo-client";
/// The one reason for any record whose mac does not verify.
const BAD_MAC: &str = "dropped: record failed authentication (bad mac)";

fn keys() -> RecordKeys {
    RecordKeys::new(ENC_KEY, MAC_KEY)
}

/// The lesson 5 payload of `plaintext` as record number `seq`, with a
/// fixed nonce so each test's bytes are the same every run.
fn payload(seq: u64, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    seal_with_nonce(&keys(), seq, &[0x5a; NONCE_LEN], plaintext, &mut out).unwrap();
    out
}

/// `payload` framed as a lesson 2 record, ready for the wire.
fn record(seq: u64, plaintext: &[u8]) -> Vec<u8> {
    frame(&payload(seq, plaintext))
}

/// Reads the server's echoes the way a good client does (mac, then seq,
/// then decrypt), from the server's own count of 0.
fn echoes(stream: &TcpStream) -> MacReader<TcpStream> {
    let read_half = stream.try_clone().unwrap();
    MacReader::new(RecordReader::new(read_half), keys(), SeqCheck::Required)
}

/// Sends one good record and then one with a single bit flipped at
/// `index` (of the payload), and checks the server refuses the second
/// with "bad mac" and never prints it.
fn flipped_at(index: usize) {
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&record(0, b"first, untouched")).unwrap();
    // Its echo comes back; after the flipped record, nothing more will.
    let echo = echoes(&stream).read_message().unwrap().map(<[u8]>::to_vec);
    assert_eq!(echo.as_deref(), Some(&b"first, untouched"[..]));
    let mut bad = payload(1, b"GET /transfer?to=bob&amount=100 HTTP/1.1");
    bad[index] ^= 0x08;
    stream.write_all(&frame(&bad)).unwrap();
    assert_dropped_with(&server, me, BAD_MAC);
    assert_closed_by_server(&mut stream);
    // The untouched record was served; of the flipped one, not a byte.
    // (Stdout and stderr are read by separate threads: wait for the line.)
    assert!(server.wait_stdout(&format!("[{me}] first, untouched"), 1));
    let mine: Vec<String> = server
        .stdout()
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("[{me}] ")).map(str::to_string))
        .collect();
    assert_eq!(mine, ["first, untouched"]);
    assert!(!server.stdout().contains("amount="), "{}", server.stdout());
    assert_still_serving(&mut server, CLIENT5, &[]);
}

// ------------------------------------------------------------ framing

#[test]
fn l5_length_over_16_mib() {
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    // 16 MiB + 1, refused from the 4-byte prefix alone.
    stream.write_all(&[0x01, 0x00, 0x00, 0x01]).unwrap();
    assert_dropped_with(&server, me, "dropped: record length 16777217 is too long");
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, CLIENT5, &[]);
}

#[test]
fn l5_payload_shorter_than_seq_nonce_and_mac() {
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    // 55 bytes cannot hold 8 + 16 + 32.
    stream.write_all(&frame(&[7; MIN_PAYLOAD_LEN - 1])).unwrap();
    assert_dropped_with(&server, me, "dropped: record length 55 is too short");
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, CLIENT5, &[]);
}

// ------------------------------------------------------------ the mac

#[test]
fn l5_flipped_mac() {
    flipped_at(SEQ_LEN + NONCE_LEN + 40 + TAG_LEN - 1);
}

#[test]
fn l5_flipped_ciphertext() {
    // Lesson 4's flip: the '1' of amount=100.
    flipped_at(SEQ_LEN + NONCE_LEN + 28);
}

#[test]
fn l5_flipped_seq() {
    // Record 1 relabelled as record 9: the mac covers the seq, so the edit
    // is caught before the seq is even read.
    flipped_at(SEQ_LEN - 1);
}

#[test]
fn l5_flipped_nonce() {
    flipped_at(SEQ_LEN);
}

#[test]
fn l5_random_bytes_in_a_record() {
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&frame(&noise(100, 5))).unwrap();
    assert_dropped_with(&server, me, BAD_MAC);
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, CLIENT5, &[]);
}

#[test]
fn l5_sealed_under_another_mac_key() {
    // Right format, right encryption key, wrong mac key: only a holder of
    // *this* mac key can make a record this server accepts.
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    let mut out = Vec::new();
    let stranger = RecordKeys::new(ENC_KEY, b"not the lesson 5 mac key");
    seal(&stranger, 0, b"hello", &mut out).unwrap();
    stream.write_all(&frame(&out)).unwrap();
    assert_dropped_with(&server, me, BAD_MAC);
    assert_still_serving(&mut server, CLIENT5, &[]);
}

// ------------------------------------------------------ sequence numbers

#[test]
fn l5_wrong_seq_skipped_one() {
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    // 0, then 2: record 1 went missing on the way.
    stream.write_all(&record(0, b"zero")).unwrap();
    stream.write_all(&record(2, b"two")).unwrap();
    assert_dropped_with(&server, me, "dropped: wrong sequence number 2 (expected 1)");
    assert!(server.wait_stdout(&format!("[{me}] zero"), 1));
    assert!(!server.stdout().contains(&format!("[{me}] two")));
    assert_still_serving(&mut server, CLIENT5, &[]);
}

#[test]
fn l5_wrong_seq_first_record_not_zero() {
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&record(5, b"five")).unwrap();
    assert_dropped_with(&server, me, "dropped: wrong sequence number 5 (expected 0)");
    assert_still_serving(&mut server, CLIENT5, &[]);
}

#[test]
fn l5_replay() {
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    let pay = record(0, b"pay bob 100");
    stream.write_all(&pay).unwrap();
    stream.write_all(&pay).unwrap();
    assert_dropped_with(&server, me, "dropped: wrong sequence number 0 (expected 1)");
    // Served once, not twice.
    assert!(server.wait_stdout(&format!("[{me}] pay bob 100"), 1));
    assert_eq!(
        server
            .stdout()
            .matches(&format!("[{me}] pay bob 100"))
            .count(),
        1
    );
    assert_still_serving(&mut server, CLIENT5, &[]);
}

#[test]
fn l5_reorder() {
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&record(1, b"second")).unwrap();
    stream.write_all(&record(0, b"first")).unwrap();
    assert_dropped_with(&server, me, "dropped: wrong sequence number 1 (expected 0)");
    assert!(!server.stdout().contains(&format!("[{me}] ")));
    assert_still_serving(&mut server, CLIENT5, &[]);
}

// ------------------------------------------------------- slow and stuck

#[test]
fn l5_peer_stops_mid_record() {
    let mut server = Server::start(SERVER5, &["--idle-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    let whole = record(0, b"never finished");
    stream.write_all(&whole[..whole.len() - 10]).unwrap();
    assert_dropped_with(&server, me, IDLE_TIMEOUT);
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, CLIENT5, &[]);
}

#[test]
fn l5_peer_closes_mid_record() {
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    let whole = record(0, b"cut short");
    stream.write_all(&whole[..whole.len() / 2]).unwrap();
    drop(stream);
    assert_dropped_with(&server, me, CLOSED_MID_MESSAGE);
    assert_still_serving(&mut server, CLIENT5, &[]);
}

#[test]
fn l5_peer_never_reads() {
    let mut server = Server::start(SERVER5, &["--write-timeout", "1", "--quiet"]);
    let (mut stream, me) = connect(&server);
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    // Good records, correctly numbered, 64 KiB each, and never a read: the
    // echoes pile up until the server's write waits past its timeout.
    let flooder = thread::spawn(move || {
        let message = vec![b'x'; 64 * 1024];
        let mut out = Vec::new();
        let mut seq = 0;
        while seq < 4096 {
            seal(&keys(), seq, &message, &mut out).unwrap();
            if stream.write_all(&frame(&out)).is_err() {
                break;
            }
            seq += 1;
        }
        seq
    });
    assert_dropped_with(&server, me, NOT_READING);
    assert!(flooder.join().unwrap() < 4096, "the server never blocked");
    assert_still_serving(&mut server, CLIENT5, &[]);
}

// ------------------------------------------- odd but honest: accepted

#[test]
fn l5_empty_and_non_utf8_messages_are_accepted() {
    let mut server = Server::start(SERVER5, &[]);
    let (mut stream, me) = connect(&server);
    let odd: [&[u8]; 3] = [b"", &[0xff, 0xfe, 0x00, b'a', 0xc3], b"\x1b[31mred\x1b[0m"];
    for (seq, message) in (0u64..).zip(odd) {
        stream.write_all(&record(seq, message)).unwrap();
    }
    // Each comes back, sealed by the server with its own numbers 0, 1, 2.
    let mut reader = echoes(&stream);
    for message in odd {
        assert_eq!(reader.read_message().unwrap(), Some(message));
    }
    assert!(server.wait_stdout(&format!("[{me}] "), 3));
    assert!(
        !server.stderr().contains(&format!("{me}: dropped")),
        "{}",
        server.stderr()
    );
    drop(reader);
    drop(stream);
    assert_still_serving(&mut server, CLIENT5, &[]);
}
