//! Bad input, lesson 2: lengths over the limit, cut records, odd payloads.
//!
//! The shared checks are in `tests/src/bad_peer.rs`.

use std::io::Write;

use e2e::bad_peer::*;
use e2e::*;

#[test]
fn l2_length_over_16_mib() {
    let mut server = Server::start(SERVER2, &[]);
    let (mut stream, me) = connect(&server);
    let len = u32::try_from(tls::lesson02_records::MAX_PAYLOAD_LEN + 1).unwrap();
    stream.write_all(&len.to_be_bytes()).unwrap();
    stream.write_all(b"whatever follows is never read").unwrap();
    assert_dropped_with(&server, me, "dropped: record length 16777217 is too long");
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, CLIENT2, &[]);
}

#[test]
fn l2_length_u32_max() {
    let mut server = Server::start(SERVER2, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0xff; 4]).unwrap();
    assert_dropped_with(&server, me, "dropped: record length 4294967295 is too long");
    assert_still_serving(&mut server, CLIENT2, &[]);
}

#[test]
fn l2_length_16_mib_with_a_short_body_then_close() {
    let mut server = Server::start(SERVER2, &[]);
    let (mut stream, me) = connect(&server);
    let len = u32::try_from(tls::lesson02_records::MAX_PAYLOAD_LEN).unwrap();
    stream.write_all(&len.to_be_bytes()).unwrap();
    stream.write_all(&[0xab; 1000]).unwrap();
    drop(stream);
    assert_dropped_with(&server, me, &format!("dropped: {CLOSED_MID_MESSAGE}"));
    assert_still_serving(&mut server, CLIENT2, &[]);
}

#[test]
fn l2_partial_length_prefix_then_close() {
    let mut server = Server::start(SERVER2, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0, 0]).unwrap();
    drop(stream);
    assert_dropped_with(&server, me, &format!("dropped: {CLOSED_MID_MESSAGE}"));
    assert_still_serving(&mut server, CLIENT2, &[]);
}

#[test]
fn l2_peer_stops_mid_record() {
    let mut server = Server::start(SERVER2, &["--idle-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    let record = frame(b"the second half never comes");
    stream.write_all(&record[..10]).unwrap();
    assert_dropped_with(&server, me, &format!("dropped: {IDLE_TIMEOUT}"));
    assert_still_serving(&mut server, CLIENT2, &[]);
}

/// Not errors: an empty record and bytes that are not UTF-8 come back as
/// they were sent.
#[test]
fn l2_empty_and_non_utf8_records() {
    let mut server = Server::start(SERVER2, &[]);
    let (mut stream, _me) = connect(&server);
    let odd: &[u8] = b"\xff\xfe\x00 record \xc3";
    let wire = [frame(b""), frame(odd)].concat();
    stream.write_all(&wire).unwrap();
    assert_eq!(read_n(&mut stream, wire.len()), wire);
    assert!(server.wait_stdout("\\xff\\xfe\\x00 record \\xc3", 1));
    assert_still_serving(&mut server, CLIENT2, &[]);
}

#[test]
fn l2_peer_never_reads() {
    let mut server = Server::start(SERVER2, &["--write-timeout", "1", "--quiet"]);
    never_reads(&server, &frame(&[b'x'; 65536]));
    assert_still_serving(&mut server, CLIENT2, &[]);
}
