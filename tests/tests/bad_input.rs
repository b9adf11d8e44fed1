//! The bad-input matrix: every server, fed one malformed input at a time.
//!
//! Each test starts a real server program, plays a misbehaving peer against
//! it over a raw socket, and then checks the two promises every server makes:
//!
//! 1. the bad peer is dropped with **one line on stderr** that names the
//!    reason (the line starts with the peer's own address, so we know it is
//!    about this peer and no other), and
//! 2. the server is **still running and still serving**: a good client run
//!    right afterwards gets its echo.
//!
//! To reach the record layer of lesson 9 a bad peer must first do a real
//! X25519 handshake, so these tests use the `tls` library itself to play the
//! client and then break the rules on purpose.
//!
//! Timeout cases start their server with one-second limits
//! (`--handshake-timeout 1` and friends), so the whole matrix stays quick.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use e2e::*;
use tls::channel::{SecureReader, SecureWriter};
use tls::handshake::{self, Session};
use tls::message::{MessageReader, Role};
use tls::nonce::NonceMode;
use tls::record::{LEN_PREFIX, MAX_PLAINTEXT_LEN, MIN_RECORD_LEN, NONCE_LEN, TAG_LEN};

const SERVER9: &str = "9-echo-server";
const CLIENT9: &str = "9-echo-client";

// ---------------------------------------------------------------------------
// The two checks every case ends with.
// ---------------------------------------------------------------------------

/// Waits for the one stderr line about `peer` and checks it names `reason`.
fn assert_dropped_with(server: &Server, peer: SocketAddr, reason: &str) {
    let prefix = format!("{peer}: ");
    let found = wait_until(|| {
        server
            .stderr()
            .lines()
            .any(|line| line.starts_with(&prefix) && line.contains(reason))
    });
    assert!(
        found,
        "no line `{prefix}...{reason}...` on the server's stderr:\n{}",
        server.stderr()
    );
    // Exactly one line about this peer: a reason, not a backtrace.
    let about_peer = server
        .stderr()
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .count();
    assert_eq!(about_peer, 1, "stderr:\n{}", server.stderr());
    assert_no_panic(server);
}

/// The server process is alive, has not panicked, and echoes for a good
/// lesson 9 client (run with `client_args`, e.g. the nonce mode).
fn assert_still_serving(server: &mut Server, client_args: &[&str]) {
    assert_still_serving_with(server, CLIENT9, client_args);
}

/// The same, with the good client of another lesson.
fn assert_still_serving_with(server: &mut Server, client: &str, client_args: &[&str]) {
    assert!(server.is_running(), "the server died:\n{}", server.stderr());
    let mut args = vec!["--addr", server.addr.as_str()];
    args.extend_from_slice(client_args);
    let out = run_client(client, &args, b"still here\n");
    assert!(
        out.status.success(),
        "good client failed: {}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "still here\n");
    assert!(server.is_running(), "the server died:\n{}", server.stderr());
    assert_no_panic(server);
}

fn assert_no_panic(server: &Server) {
    let stderr = server.stderr();
    assert!(
        !stderr.contains("panicked"),
        "the server panicked:\n{stderr}"
    );
}

// ---------------------------------------------------------------------------
// A peer that can break the rules.
// ---------------------------------------------------------------------------

/// Starts a lesson 9 server with `args`.
fn server9(args: &[&str]) -> Server {
    Server::start(SERVER9, args)
}

/// A raw connection to the server; reads give up after [`PATIENCE`] so a
/// hung server fails the test instead of hanging it.
fn connect(server: &Server) -> (TcpStream, SocketAddr) {
    let stream = TcpStream::connect(&server.addr).expect("connect to the server");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    let me = stream.local_addr().unwrap();
    (stream, me)
}

/// A peer that has done an honest handshake and now holds the keys.
struct Peer {
    stream: TcpStream,
    me: SocketAddr,
    session: Session,
    mode: NonceMode,
}

impl Peer {
    fn handshake(server: &Server, mode: NonceMode) -> Peer {
        let (mut stream, me) = connect(server);
        let session = handshake::client_handshake(&mut stream).expect("honest handshake");
        Peer {
            stream,
            me,
            session,
            mode,
        }
    }

    /// Seals each message as one record, in order, exactly as a good client
    /// would (same key, next nonce), and returns the records' wire bytes
    /// separately so a test can replay, reorder or damage them.
    fn seal(&self, messages: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut wire = Vec::new();
        let mut writer = SecureWriter::new(&mut wire, &self.session.keys, Role::Client, self.mode);
        for message in messages {
            writer.write_record(message).unwrap();
        }
        let mut rest = wire.as_slice();
        messages
            .iter()
            .map(|m| {
                let (record, tail) = rest.split_at(LEN_PREFIX + MIN_RECORD_LEN + m.len());
                rest = tail;
                record.to_vec()
            })
            .collect()
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send to the server");
    }

    /// Reads one echoed record (decrypted with the server's key).
    fn read_echo(&mut self) -> Option<Vec<u8>> {
        let read_half = self.stream.try_clone().unwrap();
        let mut reader = SecureReader::new(read_half, &self.session.keys, Role::Client, self.mode);
        reader
            .read_message()
            .expect("read an echo")
            .map(<[u8]>::to_vec)
    }
}

/// The server hung up on us: the next read sees end of stream or a reset,
/// never data and never a timeout.
fn assert_closed_by_server(stream: &mut TcpStream) {
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => {}
        Ok(_) => panic!("the server sent data after it should have hung up"),
        Err(e) => assert!(
            !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            "the server did not hang up: {e}"
        ),
    }
}

/// Flips one bit of byte `index` of the record body (after the length).
fn flip(record: &[u8], index: usize) -> Vec<u8> {
    let mut bad = record.to_vec();
    bad[LEN_PREFIX + index] ^= 0x01;
    bad
}

/// Deterministic noise (xorshift); the exact bytes do not matter.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()[0]
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Lesson 9: the handshake.
// ---------------------------------------------------------------------------

const CLOSED_MID_MESSAGE: &str = "peer closed the connection mid-message";
const LOW_ORDER: &str = "low-order";
const HANDSHAKE_TIMEOUT: &str = "not finished within 1s (--handshake-timeout)";
const IDLE_TIMEOUT: &str = "silent for 1s (--idle-timeout)";
const BAD_TAG: &str = "record failed authentication (bad tag)";

#[test]
fn l9_connect_and_close() {
    let mut server = server9(&[]);
    let (stream, me) = connect(&server);
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        &format!("handshake failed: {CLOSED_MID_MESSAGE}"),
    );
    assert_still_serving(&mut server, &[]);
}

#[test]
fn l9_partial_public_key_then_close() {
    let mut server = server9(&[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0x42; 17]).unwrap();
    drop(stream);
    assert_dropped_with(
        &server,
        me,
        &format!("handshake failed: {CLOSED_MID_MESSAGE}"),
    );
    assert_still_serving(&mut server, &[]);
}

#[test]
fn l9_partial_public_key_then_silence() {
    let mut server = server9(&["--handshake-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0x42; 17]).unwrap();
    assert_dropped_with(&server, me, HANDSHAKE_TIMEOUT);
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, &[]);
}

#[test]
fn l9_connect_and_say_nothing() {
    let mut server = server9(&["--handshake-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    assert_dropped_with(&server, me, HANDSHAKE_TIMEOUT);
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, &[]);
}

/// Each read gets its own timeout, so a peer that drips a byte just inside
/// it would stretch a 1 s limit to 32 s. The deadline covers the whole
/// handshake instead.
#[test]
fn l9_public_key_dripped_one_byte_at_a_time() {
    let mut server = server9(&["--handshake-timeout", "1"]);
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
    assert_still_serving(&mut server, &[]);
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
    let mut server = server9(&[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0; 32]).unwrap();
    assert_dropped_with(&server, me, LOW_ORDER);
    assert_dropped_with(&server, me, "all-zero shared secret");
    assert_still_serving(&mut server, &[]);
}

#[test]
fn l9_low_order_public_keys() {
    let mut server = server9(&[]);
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
    assert_still_serving(&mut server, &[]);
}

/// Someone points a web browser at port 7878: the first 32 bytes of the
/// request are taken as a public key (any 32 bytes are a valid X25519 point),
/// and the rest is nonsense as a record.
#[test]
fn l9_http_request_instead_of_a_handshake() {
    let mut server = server9(&[]);
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
    assert_still_serving(&mut server, &[]);
}

// ---------------------------------------------------------------------------
// Lesson 9: the record layer, after an honest handshake.
// ---------------------------------------------------------------------------

fn short_length(len: u16) {
    let mut server = server9(&[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    peer.send(&len.to_be_bytes());
    assert_dropped_with(
        &server,
        peer.me,
        &format!("dropped: record length {len} is too short"),
    );
    assert_closed_by_server(&mut peer.stream);
    assert_still_serving(&mut server, &[]);
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
    let mut server = server9(&[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    peer.send(&[0xff, 0xff]);
    peer.send(&[0xab; 1000]);
    drop(peer.stream);
    assert_dropped_with(&server, peer.me, &format!("dropped: {CLOSED_MID_MESSAGE}"));
    assert_still_serving(&mut server, &[]);
}

/// Half a record, then nothing: the idle timeout covers reads inside a
/// record too.
#[test]
fn l9_peer_stops_mid_record() {
    let mut server = server9(&["--idle-timeout", "1"]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let record = &peer.seal(&[b"half of this never arrives"])[0];
    peer.send(&record[..record.len() / 2]);
    assert_dropped_with(&server, peer.me, &format!("dropped: {IDLE_TIMEOUT}"));
    assert_closed_by_server(&mut peer.stream);
    assert_still_serving(&mut server, &[]);
}

#[test]
fn l9_peer_never_sends_after_the_handshake() {
    let mut server = server9(&["--idle-timeout", "1"]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    assert_dropped_with(&server, peer.me, &format!("dropped: {IDLE_TIMEOUT}"));
    assert_closed_by_server(&mut peer.stream);
    assert_still_serving(&mut server, &[]);
}

fn damaged_record(index: impl Fn(usize) -> usize) {
    let mut server = server9(&[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let record = &peer.seal(&[b"amount=100"])[0];
    let body_len = record.len() - LEN_PREFIX;
    peer.send(&flip(record, index(body_len)));
    assert_dropped_with(&server, peer.me, &format!("dropped: {BAD_TAG}"));
    assert_closed_by_server(&mut peer.stream);
    assert!(
        !server.stdout().contains("amount"),
        "a forged record was accepted"
    );
    assert_still_serving(&mut server, &[]);
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
    let mut server = server9(&[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let body = noise(NONCE_LEN + 40 + TAG_LEN, 7);
    let len = u16::try_from(body.len()).unwrap();
    peer.send(&[&len.to_be_bytes()[..], &body].concat());
    assert_dropped_with(&server, peer.me, &format!("dropped: {BAD_TAG}"));
    assert_still_serving(&mut server, &[]);
}

/// Mallory reflects the server's key direction: a record sealed with the
/// server-to-client key, sent to the server.
#[test]
fn l9_record_sealed_with_the_wrong_directions_key() {
    let mut server = server9(&[]);
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
    assert_still_serving(&mut server, &[]);
}

/// A bad record followed at once by good ones: the server stops at the bad
/// one and never reads, prints or echoes what came after.
#[test]
fn l9_records_after_an_error() {
    let mut server = server9(&[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let records = peer.seal(&[b"forged", b"after-error-1", b"after-error-2"]);
    let bad = flip(&records[0], 20);
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
    assert_still_serving(&mut server, &[]);
}

/// Random nonces carry no order, so a replayed record is accepted. This is
/// the honest weakness lesson 9 teaches; counter mode is the fix.
#[test]
fn l9_replayed_record_is_accepted_with_random_nonces() {
    let mut server = server9(&[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let record = peer.seal(&[b"pay bob 100"]).remove(0);
    peer.send(&record);
    peer.send(&record);
    assert_eq!(peer.read_echo().as_deref(), Some(&b"pay bob 100"[..]));
    assert_eq!(peer.read_echo().as_deref(), Some(&b"pay bob 100"[..]));
    assert!(server.wait_stdout("pay bob 100", 2));
    drop(peer.stream);
    assert!(server.wait_stdout(&format!("{}: client disconnected", peer.me), 1));
    assert_still_serving(&mut server, &[]);
}

#[test]
fn l9_replayed_record_is_rejected_with_counter_nonces() {
    let mut server = server9(&["--nonce", "counter"]);
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
    assert_still_serving(&mut server, &["--nonce", "counter"]);
}

#[test]
fn l9_reordered_records_with_counter_nonces() {
    let mut server = server9(&["--nonce", "counter"]);
    let mut peer = Peer::handshake(&server, NonceMode::Counter);
    let records = peer.seal(&[b"first", b"second"]);
    peer.send(&records[1]);
    assert_dropped_with(&server, peer.me, "(wanted counter 0)");
    assert_still_serving(&mut server, &["--nonce", "counter"]);
}

/// A client in random-nonce mode talking to a counter-mode server: its
/// first nonce is random, not counter 0.
#[test]
fn l9_random_nonce_client_against_a_counter_server() {
    let mut server = server9(&["--nonce", "counter"]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let record = peer.seal(&[b"hello"]).remove(0);
    peer.send(&record);
    assert_dropped_with(&server, peer.me, "(wanted counter 0)");
    assert_still_serving(&mut server, &["--nonce", "counter"]);
}

/// Not an error: bytes that are not UTF-8 are echoed exactly, and printed
/// with U+FFFD in place of what cannot be shown.
#[test]
fn l9_non_utf8_plaintext() {
    let mut server = server9(&[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let message: &[u8] = b"caf\xc3 \xff\xfe\x00 end";
    let record = peer.seal(&[message]).remove(0);
    peer.send(&record);
    assert_eq!(peer.read_echo().as_deref(), Some(message));
    assert!(server.wait_stdout("caf\u{fffd} \u{fffd}\u{fffd}\0 end", 1));
    assert_still_serving(&mut server, &[]);
}

/// Not errors either: the smallest and the largest legal records.
#[test]
fn l9_empty_and_largest_records() {
    let mut server = server9(&[]);
    let mut peer = Peer::handshake(&server, NonceMode::Random);
    let largest = vec![b'z'; MAX_PLAINTEXT_LEN];
    let records = peer.seal(&[b"", &largest]);
    assert_eq!(records[1].len(), LEN_PREFIX + 65535);
    peer.send(&records.concat());
    assert_eq!(peer.read_echo().as_deref(), Some(&b""[..]));
    assert_eq!(peer.read_echo(), Some(largest));
    assert_still_serving(&mut server, &[]);
}

/// A peer that sends a lot and reads nothing. The echoes pile up in the
/// socket buffers until the server's send blocks; the write timeout ends
/// that wait, so the peer's thread cannot be held forever.
#[test]
fn l9_peer_never_reads() {
    let mut server = server9(&["--write-timeout", "1", "--quiet"]);
    let peer = Peer::handshake(&server, NonceMode::Random);
    // One full record, replayed (random nonces accept that): the server
    // has to decrypt and echo each copy, and we never read one.
    let record = peer.seal(&[&vec![b'x'; MAX_PLAINTEXT_LEN]]).remove(0);
    let mut stream = peer.stream.try_clone().unwrap();
    // Our own sends block once the server stops reading; don't wait long.
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
    let reason = "dropped: not reading what we send; a write waited 1s (--write-timeout)";
    assert_dropped_with(&server, peer.me, reason);
    let sent = flooder.join().unwrap();
    assert!(sent < 4096, "the server kept up with {sent} unread records");
    assert_still_serving(&mut server, &[]);
}

/// The `--chat` push path has the same guard: a client that never reads
/// what the server pushes is cut off after the write timeout instead of
/// stalling the pusher (and every other client) forever.
#[test]
fn l9_chat_push_to_a_peer_that_never_reads() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut server = server9(&["--chat", "--write-timeout", "1"]);
    let peer = Peer::handshake(&server, NonceMode::Random);
    // Wait until the server has the peer on its chat list.
    assert!(server.wait_stdout(&format!("{}: client connected", peer.me), 1));
    let mut stdin = server.stdin.take().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stop_typing = Arc::clone(&stop);
    let typist = thread::spawn(move || {
        let line = [vec![b'p'; 60_000], vec![b'\n']].concat();
        while !stop_typing.load(Ordering::SeqCst) && stdin.write_all(&line).is_ok() {}
        // Dropping stdin ends the pusher once it has drained the pipe.
    });
    let reason = "dropped: not reading what we send; a write waited 1s (--write-timeout)";
    assert_dropped_with(&server, peer.me, reason);
    stop.store(true, Ordering::SeqCst);
    typist.join().unwrap();
    // Let the pusher drain what is still in the pipe, to nobody.
    thread::sleep(Duration::from_millis(300));
    assert_still_serving(&mut server, &[]);
}

/// More connections than `--max-connections`: the extra ones are refused
/// with a line each, the ones already in are unaffected, and once they
/// leave a new client is served.
#[test]
fn l9_flood_of_connections() {
    let mut server = server9(&["--max-connections", "3"]);
    let mut held: Vec<Peer> = (0..3)
        .map(|_| Peer::handshake(&server, NonceMode::Random))
        .collect();
    let mut flood = Vec::new();
    for _ in 0..8 {
        let (stream, me) = connect(&server);
        flood.push((stream, me));
    }
    for (stream, me) in &mut flood {
        assert_dropped_with(
            &server,
            *me,
            "refused: already serving 3 clients (--max-connections)",
        );
        assert_closed_by_server(stream);
    }
    // A good client is turned away too while every slot is taken...
    let out = run_client(CLIENT9, &["--addr", &server.addr], b"no room\n");
    assert!(!out.status.success());
    // ...but the clients already in still get their echoes.
    for peer in &mut held {
        let record = peer.seal(&[b"still in"]).remove(0);
        peer.send(&record);
        assert_eq!(peer.read_echo().as_deref(), Some(&b"still in"[..]));
    }
    let count = held.len();
    held.clear(); // they hang up
    assert!(server.wait_stdout("client disconnected", count));
    assert_still_serving(&mut server, &[]);
}

// ---------------------------------------------------------------------------
// Lessons 1-3: the same promises from the servers without a handshake.
// ---------------------------------------------------------------------------

const SERVER1: &str = "1-plain-echo-server";
const CLIENT1: &str = "1-plain-echo-client";
const SERVER2: &str = "2-record-echo-server";
const CLIENT2: &str = "2-record-echo-client";
const SERVER3: &str = "3-ctr-echo-server";
const CLIENT3: &str = "3-ctr-echo-client";

/// Reads exactly `n` bytes of echo.
fn read_n(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut got = vec![0; n];
    stream.read_exact(&mut got).expect("read the echo");
    got
}

/// Lesson 2 wire bytes for one record.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    tls::framing::encode(payload, &mut wire).unwrap();
    wire
}

/// A peer that sends a lot and never reads, against any lesson's server:
/// the write timeout must end the server's wait.
fn never_reads(server: &Server, one_send: &[u8]) -> SocketAddr {
    let (mut stream, me) = connect(server);
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let one_send = one_send.to_vec();
    let flooder = thread::spawn(move || {
        let mut sent = 0usize;
        while sent < 4096 && stream.write_all(&one_send).is_ok() {
            sent += 1;
        }
        sent
    });
    let reason = "dropped: not reading what we send; a write waited 1s (--write-timeout)";
    assert_dropped_with(server, me, reason);
    assert!(flooder.join().unwrap() < 4096, "the server never blocked");
    me
}

/// With no framing, every close is a clean one: a peer that connects and
/// leaves is simply a client that disconnected.
#[test]
fn l1_connect_and_close() {
    let mut server = Server::start(SERVER1, &[]);
    let (stream, me) = connect(&server);
    drop(stream);
    assert!(server.wait_stdout(&format!("{me}: client disconnected"), 1));
    assert_still_serving_with(&mut server, CLIENT1, &[]);
}

#[test]
fn l1_non_utf8_bytes_are_echoed_exactly() {
    let mut server = Server::start(SERVER1, &[]);
    let (mut stream, _me) = connect(&server);
    let bytes: &[u8] = b"\xff\x00\xfe plain \xc3";
    stream.write_all(bytes).unwrap();
    assert_eq!(read_n(&mut stream, bytes.len()), bytes);
    assert!(server.wait_stdout("\u{fffd}\0\u{fffd} plain \u{fffd}", 1));
    assert_still_serving_with(&mut server, CLIENT1, &[]);
}

#[test]
fn l1_peer_never_sends() {
    let mut server = Server::start(SERVER1, &["--idle-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    assert_dropped_with(&server, me, &format!("dropped: {IDLE_TIMEOUT}"));
    assert_closed_by_server(&mut stream);
    assert_still_serving_with(&mut server, CLIENT1, &[]);
}

#[test]
fn l1_peer_never_reads() {
    let mut server = Server::start(SERVER1, &["--write-timeout", "1", "--quiet"]);
    never_reads(&server, &[b'x'; 65536]);
    assert_still_serving_with(&mut server, CLIENT1, &[]);
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
    assert_still_serving_with(&mut server, CLIENT1, &[]);
}

#[test]
fn l2_length_over_16_mib() {
    let mut server = Server::start(SERVER2, &[]);
    let (mut stream, me) = connect(&server);
    let len = u32::try_from(tls::framing::MAX_RECORD_LEN + 1).unwrap();
    stream.write_all(&len.to_be_bytes()).unwrap();
    stream.write_all(b"whatever follows is never read").unwrap();
    assert_dropped_with(&server, me, "dropped: record length 16777217 is too long");
    assert_closed_by_server(&mut stream);
    assert_still_serving_with(&mut server, CLIENT2, &[]);
}

#[test]
fn l2_length_u32_max() {
    let mut server = Server::start(SERVER2, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0xff; 4]).unwrap();
    assert_dropped_with(&server, me, "dropped: record length 4294967295 is too long");
    assert_still_serving_with(&mut server, CLIENT2, &[]);
}

#[test]
fn l2_length_16_mib_with_a_short_body_then_close() {
    let mut server = Server::start(SERVER2, &[]);
    let (mut stream, me) = connect(&server);
    let len = u32::try_from(tls::framing::MAX_RECORD_LEN).unwrap();
    stream.write_all(&len.to_be_bytes()).unwrap();
    stream.write_all(&[0xab; 1000]).unwrap();
    drop(stream);
    assert_dropped_with(&server, me, &format!("dropped: {CLOSED_MID_MESSAGE}"));
    assert_still_serving_with(&mut server, CLIENT2, &[]);
}

#[test]
fn l2_partial_length_prefix_then_close() {
    let mut server = Server::start(SERVER2, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0, 0]).unwrap();
    drop(stream);
    assert_dropped_with(&server, me, &format!("dropped: {CLOSED_MID_MESSAGE}"));
    assert_still_serving_with(&mut server, CLIENT2, &[]);
}

#[test]
fn l2_peer_stops_mid_record() {
    let mut server = Server::start(SERVER2, &["--idle-timeout", "1"]);
    let (mut stream, me) = connect(&server);
    let record = frame(b"the second half never comes");
    stream.write_all(&record[..10]).unwrap();
    assert_dropped_with(&server, me, &format!("dropped: {IDLE_TIMEOUT}"));
    assert_still_serving_with(&mut server, CLIENT2, &[]);
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
    assert!(server.wait_stdout("\u{fffd}\u{fffd}\0 record \u{fffd}", 1));
    assert_still_serving_with(&mut server, CLIENT2, &[]);
}

#[test]
fn l2_peer_never_reads() {
    let mut server = Server::start(SERVER2, &["--write-timeout", "1", "--quiet"]);
    never_reads(&server, &frame(&[b'x'; 65536]));
    assert_still_serving_with(&mut server, CLIENT2, &[]);
}

/// Lesson 3 payloads start with a 16-byte nonce; a shorter one is refused.
#[test]
fn l3_payload_shorter_than_a_nonce() {
    let mut server = Server::start(SERVER3, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&frame(&[7; 15])).unwrap();
    assert_dropped_with(&server, me, "dropped: record length 15 is too short");
    assert_closed_by_server(&mut stream);
    assert_still_serving_with(&mut server, CLIENT3, &[]);
}

#[test]
fn l3_length_over_16_mib() {
    let mut server = Server::start(SERVER3, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0x7f, 0xff, 0xff, 0xff]).unwrap();
    assert_dropped_with(&server, me, "is too long");
    assert_still_serving_with(&mut server, CLIENT3, &[]);
}

/// The honest result for lesson 3: CTR has no integrity check, so a flipped
/// ciphertext byte is *accepted* and the server reads the attacker's text.
/// (Lesson 4 builds the attack on this; lesson 5 fixes it.)
#[test]
fn l3_flipped_ciphertext_is_accepted() {
    use tls::aes_ctr::{NONCE_LEN as CTR_NONCE_LEN, SHARED_KEY, encrypt_with_nonce};
    let mut server = Server::start(SERVER3, &[]);
    let (mut stream, _me) = connect(&server);
    let mut payload = encrypt_with_nonce(SHARED_KEY, &[9; CTR_NONCE_LEN], b"amount=100");
    // '1' xor '9' turns the '1' into a '9', without the key.
    payload[CTR_NONCE_LEN + 7] ^= b'1' ^ b'9';
    stream.write_all(&frame(&payload)).unwrap();
    assert!(server.wait_stdout("amount=900", 1), "{}", server.stdout());
    assert!(!server.stderr().contains("dropped"), "{}", server.stderr());
    assert_still_serving_with(&mut server, CLIENT3, &[]);
}

/// Random bytes "decrypt" to random bytes: nothing is refused, nothing
/// crashes, and the garbage is printed lossily.
#[test]
fn l3_random_payload_is_accepted_as_garbage() {
    let mut server = Server::start(SERVER3, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&frame(&noise(64, 3))).unwrap();
    assert!(server.wait_stdout(&format!("[{me}] "), 1));
    assert_still_serving_with(&mut server, CLIENT3, &[]);
}

#[test]
fn l3_peer_never_reads() {
    use tls::aes_ctr::{NONCE_LEN as CTR_NONCE_LEN, SHARED_KEY, encrypt_with_nonce};
    let mut server = Server::start(SERVER3, &["--write-timeout", "1", "--quiet"]);
    let payload = encrypt_with_nonce(SHARED_KEY, &[1; CTR_NONCE_LEN], &[b'x'; 65536]);
    never_reads(&server, &frame(&payload));
    assert_still_serving_with(&mut server, CLIENT3, &[]);
}
