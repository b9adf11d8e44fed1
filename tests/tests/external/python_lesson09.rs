//! Interoperability: the Rust lesson 9 programs against an independent peer
//! written in Python with the `cryptography` package (tests/python/).
//! If both agree, the wire format matches the spec and not just itself.

use std::process::{Command, Stdio};

use e2e::*;

fn python_client_against_rust_server(nonce: &str) {
    let server = Server::start("9-echo-server", &["--nonce", nonce]);
    let long = "x".repeat(70_000); // two records each way
    let input = format!("from python\n\n{long}\nbye\n");
    let out = Command::new("python3")
        .args([
            &python_peer("lesson9_peer.py"),
            "client",
            &server.addr,
            "--nonce",
            nonce,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(input.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "python client: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    assert!(server.wait_stdout("] from python", 1));
}

fn rust_client_against_python_server(nonce: &str) {
    let mut child = Command::new("python3")
        .args([&python_peer("lesson9_peer.py"), "server", "--nonce", nonce])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The python server prints "listening on ADDR" on stderr, like ours.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("python server said {line:?}"))
        .to_string();
    // Drain the python server's stdout as it goes, or a long line fills the
    // pipe and it stops reading its socket.
    let served = std::thread::spawn(move || child.wait_with_output());
    let long = "y".repeat(70_000);
    let input = format!("from rust\n{long}\n");
    let out = run_client(
        "9-echo-client",
        &["--addr", &addr, "--nonce", nonce],
        input.as_bytes(),
    );
    assert!(out.status.success(), "rust client: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    let served = served.join().unwrap().unwrap();
    assert!(served.status.success());
    // The python server printed what it decrypted, one line per record.
    assert!(text(&served.stdout).starts_with("from rust\n"));
}

#[test]
fn python_client_talks_to_rust_server_random_nonces() {
    python_client_against_rust_server("random");
}

#[test]
fn python_client_talks_to_rust_server_counter_nonces() {
    python_client_against_rust_server("counter");
}

#[test]
fn rust_client_talks_to_python_server_random_nonces() {
    rust_client_against_python_server("random");
}

#[test]
fn rust_client_talks_to_python_server_counter_nonces() {
    rust_client_against_python_server("counter");
}
