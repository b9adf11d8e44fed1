//! Interoperability for lesson 3: the Rust AES-256-CTR programs against an
//! independent peer in Python (`tests/python/ctr_peer.py`, using the
//! `cryptography` package), in the wire format of the source article:
//! `u32 BE length || nonce(16) || AES-256-CTR ciphertext`.
//!
//! Each echo crosses the wire once in each direction, so one run checks
//! that Python can read what Rust encrypts and Rust can read what Python
//! encrypts.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use e2e::*;

/// An empty line (a record holding only a nonce), the article's request,
/// and a line longer than any single read.
fn input() -> String {
    let long = "z".repeat(100_000);
    format!("GET /transfer?to=bob&amount=100 HTTP/1.1\n\n{long}\nbye\n")
}

#[test]
fn python_client_talks_to_the_rust_ctr_server() {
    let server = Server::start("3-ctr-echo-server", &[]);
    let input = input();
    let mut child = Command::new("python3")
        .args([&python_peer("ctr_peer.py"), "client", &server.addr])
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
    // The Rust server decrypted what Python encrypted.
    assert!(
        server.wait_stdout("] GET /transfer?to=bob&amount=100 HTTP/1.1\n", 1),
        "{}",
        server.stdout()
    );
    assert!(server.wait_stdout("] bye\n", 1));
}

#[test]
fn rust_ctr_client_talks_to_a_python_server() {
    let mut child = Command::new("python3")
        .args([&python_peer("ctr_peer.py"), "server"])
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
    let out = run_client("3-ctr-echo-client", &["--addr", &addr], input.as_bytes());
    assert!(out.status.success(), "rust client: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    let served = served.join().unwrap().unwrap();
    assert!(served.status.success());
    // Python decrypted what Rust encrypted: one line per record, in order.
    assert_eq!(text(&served.stdout), input);
}

#[test]
fn the_python_flip_from_lesson_4_makes_the_rust_server_print_amount_900() {
    // `python3 tests/python/ctr_flip.py`, as lessons/04-ctr-malleability.md
    // runs it, against the real lesson 3 server.
    let server = Server::start("3-ctr-echo-server", &[]);
    let script = workspace_root().join("tests/python/ctr_flip.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&server.addr)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("flipped ciphertext byte 28: 0x"), "{said}");
    assert!(said.contains("server echoed: GET /transfer?to=bob&amount=900 HTTP/1.1"));
    assert!(server.wait_stdout("] GET /transfer?to=bob&amount=900 HTTP/1.1\n", 1));
}
