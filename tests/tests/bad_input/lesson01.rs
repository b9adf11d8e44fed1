//! Bad input, lesson 1: raw bytes have no format to break, so these are
//! about closes, silence, odd bytes, not reading and floods.
//!
//! The shared checks are in `tests/src/bad_peer.rs`.

use std::io::{Read, Write};

use e2e::bad_peer::*;
use e2e::*;

/// With no framing, every close is a clean one: a peer that connects and
/// leaves is simply a client that disconnected.
#[test]
fn l1_connect_and_close() {
    let mut server = Server::start(SERVER1, &[]);
    let (stream, me) = connect(&server);
    drop(stream);
    assert!(server.wait_stdout(&format!("{me}: client disconnected"), 1));
    assert_still_serving(&mut server, CLIENT1, &[]);
}

#[test]
fn l1_non_utf8_bytes_are_echoed_exactly() {
    let mut server = Server::start(SERVER1, &[]);
    let (mut stream, _me) = connect(&server);
    let bytes: &[u8] = b"\xff\x00\xfe plain \xc3";
    stream.write_all(bytes).unwrap();
    assert_eq!(read_n(&mut stream, bytes.len()), bytes);
    assert!(server.wait_stdout("\\xff\\x00\\xfe plain \\xc3", 1));
    assert_still_serving(&mut server, CLIENT1, &[]);
}

#[test]
fn l1_peer_never_sends() {
    let mut server = Server::start(SERVER1, &["--idle-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    assert_dropped_with(&server, me, &format!("dropped: {IDLE_TIMEOUT}"));
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, CLIENT1, &[]);
}

#[test]
fn l1_peer_never_reads() {
    let mut server = Server::start(SERVER1, &["--write-timeout", "1", "--quiet"]);
    never_reads(&server, &[b'x'; 65536]);
    assert_still_serving(&mut server, CLIENT1, &[]);
}

#[test]
fn l1_flood_of_connections() {
    let mut server = Server::start(SERVER1, &["--max-connections", "2"]);
    let held: Vec<_> = (0..2).map(|_| connect(&server)).collect();
    // Make sure both are in before the flood: each gets its echo.
    for (stream, _) in &held {
        let mut stream = stream;
        stream.write_all(b"in").unwrap();
        let mut echo = [0u8; 2];
        stream.read_exact(&mut echo).unwrap();
    }
    for _ in 0..5 {
        let (mut stream, me) = connect(&server);
        assert_dropped_with(
            &server,
            me,
            "refused: already serving 2 clients (--max-connections)",
        );
        assert_closed_by_server(&mut stream);
    }
    drop(held);
    assert!(server.wait_stdout("client disconnected", 2));
    assert_still_serving(&mut server, CLIENT1, &[]);
}
