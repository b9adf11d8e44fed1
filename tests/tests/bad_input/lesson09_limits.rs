//! Bad input, lesson 9: peers that attack the server's limits rather than
//! its parser (not reading, not reading `--chat` pushes, too many
//! connections).
//!
//! The shared checks are in `tests/src/bad_peer.rs`.

use std::io::Write;
use std::thread;
use std::time::Duration;

use e2e::bad_peer::*;
use e2e::*;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::lesson09_encrypted_echo::record::MAX_PLAINTEXT_LEN;

/// A peer that sends a lot and reads nothing. The echoes pile up in the
/// socket buffers until the server's send blocks; the write timeout ends
/// that wait, so the peer's thread cannot be held forever.
#[test]
fn l9_peer_never_reads() {
    let mut server = Server::start(SERVER9, &["--write-timeout", "1", "--quiet"]);
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
    assert_dropped_with(&server, peer.me, NOT_READING);
    let sent = flooder.join().unwrap();
    assert!(sent < 4096, "the server kept up with {sent} unread records");
    assert_still_serving(&mut server, CLIENT9, &[]);
}

/// The `--chat` push path has the same guard: a client that never reads
/// what the server pushes is cut off after the write timeout instead of
/// stalling the pusher (and every other client) forever.
#[test]
fn l9_chat_push_to_a_peer_that_never_reads() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut server = Server::start(SERVER9, &["--chat", "--write-timeout", "1"]);
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
    assert_dropped_with(&server, peer.me, NOT_READING);
    stop.store(true, Ordering::SeqCst);
    typist.join().unwrap();
    // The pusher drains what is still in the pipe, to nobody, and says when
    // stdin is done; only then can a new client not get one of those lines.
    assert!(
        server.wait_stderr("--chat: stdin ended"),
        "{}",
        server.stderr()
    );
    assert_still_serving(&mut server, CLIENT9, &[]);
}

/// More connections than `--max-connections`: the extra ones are refused
/// with a line each, the ones already in are unaffected, and once they
/// leave a new client is served.
#[test]
fn l9_flood_of_connections() {
    let mut server = Server::start(SERVER9, &["--max-connections", "3"]);
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
    assert_still_serving(&mut server, CLIENT9, &[]);
}
