//! Interoperability for lesson 5: the Rust encrypt-then-MAC programs against
//! an independent peer in Python (`tests/python/lesson5_peer.py`: AES from
//! the `cryptography` package, HMAC-SHA256 from Python's `hmac` module), in
//! the wire format of the source series' part 2:
//! `u32 BE length || seq(u64 BE) || nonce(16) || ciphertext || mac(32)`.
//!
//! Each echo crosses the wire once in each direction, and each side checks
//! the other's mac and sequence numbers, so one run proves Python accepts
//! what Rust seals and Rust accepts what Python seals, in order.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use e2e::*;

/// The article's request, an empty line (a record of just seq, nonce and
/// mac), a line longer than any single read, and a last one.
fn input() -> String {
    let long = "q".repeat(200_000);
    format!("GET /transfer?to=bob&amount=100 HTTP/1.1\n\n{long}\nbye\n")
}

#[test]
fn python_client_talks_to_the_rust_mac_server() {
    let server = Server::start("5-mac-echo-server", &[]);
    let input = input();
    let mut child = Command::new("python3")
        .args([&python_peer("lesson5_peer.py"), "client", &server.addr])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feed = input.clone();
    let feeder = std::thread::spawn(move || stdin.write_all(feed.as_bytes()));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(out.status.success(), "python client: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    // The Rust server verified and decrypted what Python sealed, in order.
    assert!(server.wait_stdout("client disconnected", 1));
    let printed = server.printed_messages();
    assert_eq!(printed.len(), 4, "{printed:?}");
    assert_eq!(printed[0], "GET /transfer?to=bob&amount=100 HTTP/1.1");
    assert_eq!(printed[1], "");
    assert_eq!(printed[3], "bye");
    assert!(!server.stderr().contains("dropped"), "{}", server.stderr());
}

#[test]
fn rust_mac_client_talks_to_a_python_server() {
    let mut child = Command::new("python3")
        .args([&python_peer("lesson5_peer.py"), "server"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("python server said {line:?}"))
        .to_string();
    // Drain the python server's stdout while it runs, so a long line cannot
    // fill the pipe and stall it.
    let served = std::thread::spawn(move || child.wait_with_output());
    let input = input();
    let out = run_client("5-mac-echo-client", &["--addr", &addr], input.as_bytes());
    assert!(out.status.success(), "rust client: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    let served = served.join().unwrap().unwrap();
    assert!(served.status.success(), "python server failed");
    // Python verified and decrypted what Rust sealed: one line per record.
    assert_eq!(text(&served.stdout), input);
}

#[test]
fn the_committed_known_answers_are_what_python_prints_today() {
    // crates/tls/tests/lesson05_transcript.rs holds these payloads as
    // constants; regenerate and compare, so the two cannot drift apart.
    let out = Command::new("python3")
        .args([&python_peer("lesson5_peer.py"), "kat"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let committed =
        std::fs::read_to_string(workspace_root().join("crates/tls/tests/lesson05_transcript.rs"))
            .unwrap();
    // The Rust file splits each hex string over lines with `\` + indent.
    let joined: String = committed
        .lines()
        .map(|l| l.trim_start().trim_end_matches('\\'))
        .collect();
    let printed = text(&out.stdout);
    assert_eq!(printed.lines().count(), 5, "{printed}");
    for line in printed.lines() {
        let (name, hex) = line.split_once(' ').unwrap();
        assert!(
            joined.contains(hex),
            "{name}: python now prints {hex}, not what the Rust test holds"
        );
    }
}
