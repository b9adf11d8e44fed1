//! Helpers for the bad-input matrix (`tests/tests/bad_input/`): play a
//! misbehaving peer against a real server, then check the two promises
//! every server makes:
//!
//! 1. the bad peer is dropped with **one line on stderr** that names the
//!    reason (the line starts with the peer's own address, so we know it is
//!    about this peer and no other), and
//! 2. the server is **still running and still serving**: a good client run
//!    right afterwards gets its echo.
//!
//! To reach the record layer of lesson 9 a bad peer must first do a real
//! X25519 handshake, so [`Peer`] uses the `tls` library itself to play the
//! client and then breaks the rules on purpose.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use tls::lesson08_key_split::Role;
use tls::lesson09_encrypted_echo::channel::{SecureReader, SecureWriter};
use tls::lesson09_encrypted_echo::handshake::{self, Session};
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::lesson09_encrypted_echo::record::{MIN_RECORD_LEN, PREFIX_LEN};
use tls::runtime::message::MessageReader;

use crate::{PATIENCE, Server, run_client, text, wait_until};

/// The lesson servers and their good clients.
pub const SERVER1: &str = "1-plain-echo-server";
/// See [`SERVER1`].
pub const CLIENT1: &str = "1-plain-echo-client";
/// See [`SERVER1`].
pub const SERVER2: &str = "2-record-echo-server";
/// See [`SERVER1`].
pub const CLIENT2: &str = "2-record-echo-client";
/// See [`SERVER1`].
pub const SERVER3: &str = "3-ctr-echo-server";
/// See [`SERVER1`].
pub const CLIENT3: &str = "3-ctr-echo-client";
/// See [`SERVER1`].
pub const SERVER9: &str = "9-echo-server";
/// See [`SERVER1`].
pub const CLIENT9: &str = "9-echo-client";

/// What the server says about a peer that closed inside a message.
pub const CLOSED_MID_MESSAGE: &str = "peer closed the connection mid-message";
/// The reason for a refused X25519 key.
pub const LOW_ORDER: &str = "low-order";
/// The reason for a handshake past `--handshake-timeout 1`.
pub const HANDSHAKE_TIMEOUT: &str = "not finished within 1s (--handshake-timeout)";
/// The reason for a peer silent past `--idle-timeout 1`.
pub const IDLE_TIMEOUT: &str = "silent for 1s (--idle-timeout)";
/// The reason for a record whose AEAD tag does not verify.
pub const BAD_TAG: &str = "record failed authentication (bad tag)";
/// The reason for a peer that stopped reading, with `--write-timeout 1`.
pub const NOT_READING: &str =
    "dropped: not reading what we send; a write waited 1s (--write-timeout)";

/// Waits for the one stderr line about `peer` and checks it names `reason`.
pub fn assert_dropped_with(server: &Server, peer: SocketAddr, reason: &str) {
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
/// `client` (run with `client_args`, e.g. the nonce mode).
pub fn assert_still_serving(server: &mut Server, client: &str, client_args: &[&str]) {
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

/// Like [`assert_still_serving`], for a server whose slots were all just
/// released: it frees a slot only once it has seen the close, so the good
/// client is retried (each refusal is immediate) until one is served.
pub fn assert_serves_again(server: &mut Server, client: &str, client_args: &[&str]) {
    let addr = server.addr.clone();
    let served = wait_until(|| {
        let mut args = vec!["--addr", addr.as_str()];
        args.extend_from_slice(client_args);
        run_client(client, &args, b"again\n").status.success()
    });
    assert!(served, "never served again:\n{}", server.stderr());
    assert_still_serving(server, client, client_args);
}

/// No backtrace anywhere in the server's stderr.
pub fn assert_no_panic(server: &Server) {
    let stderr = server.stderr();
    assert!(
        !stderr.contains("panicked"),
        "the server panicked:\n{stderr}"
    );
}

/// A raw connection to the server; reads give up after [`PATIENCE`] so a
/// hung server fails the test instead of hanging it.
pub fn connect(server: &Server) -> (TcpStream, SocketAddr) {
    let stream = TcpStream::connect(&server.addr).expect("connect to the server");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    let me = stream.local_addr().unwrap();
    (stream, me)
}

/// The server hung up on us: the next read sees end of stream or a reset,
/// never data and never a timeout.
pub fn assert_closed_by_server(stream: &mut TcpStream) {
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

/// Deterministic noise (xorshift); the exact bytes do not matter.
pub fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()[0]
        })
        .collect()
}

/// Reads exactly `n` bytes of echo.
pub fn read_n(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut got = vec![0; n];
    stream.read_exact(&mut got).expect("read the echo");
    got
}

/// Lesson 2 wire bytes for one record.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    tls::lesson02_records::encode(payload, &mut wire).unwrap();
    wire
}

/// A peer that sends a lot and never reads, against any lesson's server
/// started with `--write-timeout 1`: the write timeout must end the
/// server's wait.
pub fn never_reads(server: &Server, one_send: &[u8]) -> SocketAddr {
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
    assert_dropped_with(server, me, NOT_READING);
    assert!(flooder.join().unwrap() < 4096, "the server never blocked");
    me
}

/// A lesson 9 peer that has done an honest handshake and now holds the
/// keys.
pub struct Peer {
    /// The connection.
    pub stream: TcpStream,
    /// Our own address, as the server names us.
    pub me: SocketAddr,
    /// The keys.
    pub session: Session,
    /// The nonce mode we seal with.
    pub mode: NonceMode,
}

impl Peer {
    /// Connects and runs the lesson 9 handshake honestly.
    pub fn handshake(server: &Server, mode: NonceMode) -> Peer {
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
    pub fn seal(&self, messages: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut wire = Vec::new();
        let mut writer = SecureWriter::new(&mut wire, &self.session.keys, Role::Client, self.mode);
        for message in messages {
            writer.write_record(message).unwrap();
        }
        let mut rest = wire.as_slice();
        messages
            .iter()
            .map(|m| {
                let (record, tail) = rest.split_at(PREFIX_LEN + MIN_RECORD_LEN + m.len());
                rest = tail;
                record.to_vec()
            })
            .collect()
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send to the server");
    }

    /// Reads one echoed record (decrypted with the server's key).
    pub fn read_echo(&mut self) -> Option<Vec<u8>> {
        let read_half = self.stream.try_clone().unwrap();
        let mut reader = SecureReader::new(read_half, &self.session.keys, Role::Client, self.mode);
        reader
            .read_message()
            .expect("read an echo")
            .map(<[u8]>::to_vec)
    }
}

/// Flips one bit of byte `index` of a lesson 9 record's body (after the
/// length).
pub fn flip_body_bit(record: &[u8], index: usize) -> Vec<u8> {
    let mut bad = record.to_vec();
    bad[PREFIX_LEN + index] ^= 0x01;
    bad
}
