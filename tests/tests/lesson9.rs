//! Lesson 9 end to end: the real `9-echo-server` and `9-echo-client`
//! programs over loopback, used the way the lesson tells a learner to.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::thread;

use e2e::*;
use tls::lesson09_encrypted_echo::channel;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::runtime::message::{MessageReader, MessageWriter};
use tls::runtime::socket::Socket;

#[test]
fn piped_file_round_trips_exactly_including_a_200_kb_line() {
    let server = Server::start("9-echo-server", &[]);
    let long_line = "0123456789".repeat(20_000); // 200,000 bytes: four records
    let input = format!("hello secret world\n\nline with spaces  \n{long_line}\nlast\n");
    let out = run_client("9-echo-client", &["--addr", &server.addr], input.as_bytes());
    assert!(out.status.success(), "client failed: {}", text(&out.stderr));
    // Stdout carries exactly the echoes; status went to stderr.
    assert_eq!(text(&out.stdout), input);
    assert!(text(&out.stderr).contains("connected to"));
    // The server printed the messages it decrypted, then the goodbye.
    assert!(
        server.wait_stdout("client disconnected", 1),
        "{}",
        server.stdout()
    );
    // Each record is printed as it arrives: the long line as four
    // previews, 3 x 65507 bytes and 3479, each ending with its length.
    let mut expected = vec![
        "hello secret world".to_string(),
        String::new(),
        "line with spaces  ".to_string(),
    ];
    expected.extend(long_line.as_bytes().chunks(65_507).map(shown));
    expected.push("last".to_string());
    assert_eq!(server.printed_messages(), expected);
    let lengths: Vec<usize> = expected[3..7].iter().map(|p| printed_len(p)).collect();
    assert_eq!(lengths, [65_507, 65_507, 65_507, 3479]);
    assert!(expected[6].ends_with("... (3479 bytes)"), "{}", expected[6]);
}

#[test]
fn crlf_line_endings_and_a_missing_final_newline() {
    let server = Server::start("9-echo-server", &[]);
    let out = run_client(
        "9-echo-client",
        &["--addr", &server.addr],
        b"dos\r\nno newline",
    );
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "dos\nno newline\n");
}

#[test]
fn counter_nonces_on_both_sides() {
    let server = Server::start("9-echo-server", &["--nonce", "counter"]);
    let input = "one\ntwo\nthree\n";
    let args = ["--addr", server.addr.as_str(), "--nonce", "counter"];
    let out = run_client("9-echo-client", &args, input.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
}

#[test]
fn mismatched_nonce_modes_are_caught() {
    // A random-nonce server answers a counter client: its first nonce is
    // (almost surely) not counter 0, and the client says so.
    let server = Server::start("9-echo-server", &[]);
    let args = ["--addr", server.addr.as_str(), "--nonce", "counter"];
    let out = run_client("9-echo-client", &args, b"hi\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unexpected nonce"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn twenty_clients_at_once_each_get_their_own_echo() {
    let server = Server::start("9-echo-server", &[]);
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let addr = server.addr.clone();
            thread::spawn(move || {
                let input: String = (0..50).map(|j| format!("client {i} line {j}\n")).collect();
                let out = run_client("9-echo-client", &["--addr", &addr], input.as_bytes());
                assert!(out.status.success(), "client {i}: {}", text(&out.stderr));
                assert_eq!(text(&out.stdout), input, "client {i}");
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a client thread failed");
    }
    assert!(server.wait_stdout("client disconnected", 20));
}

#[test]
fn server_survives_a_client_that_dies_mid_record() {
    let mut server = Server::start("9-echo-server", &[]);
    {
        // A client that completes the handshake, starts a record, and dies.
        let mut stream = TcpStream::connect(&server.addr).unwrap();
        let session =
            tls::lesson09_encrypted_echo::handshake::client_handshake(&mut stream).unwrap();
        let mut record = Vec::new();
        tls::lesson09_encrypted_echo::record::seal(
            &chacha20poly1305::KeyInit::new(session.keys.c2s().into()),
            &[0; 12],
            b"this record will never be finished",
            &mut record,
        )
        .unwrap();
        stream.write_all(&record[..20]).unwrap();
    } // dropped: connection closed half way through the record
    assert!(server.wait_stderr("dropped: peer closed the connection mid-message"));
    assert!(server.is_running());
    let out = run_client("9-echo-client", &["--addr", &server.addr], b"still here\n");
    assert_eq!(text(&out.stdout), "still here\n");
}

#[test]
fn killed_client_process_is_a_disconnect_and_the_next_client_is_served() {
    let mut server = Server::start("9-echo-server", &[]);
    for signal in ["-INT", "-KILL"] {
        let before = server.stdout().matches("client disconnected").count();
        // An interactive client: stdin stays open, so it waits for input.
        let mut client = Command::new(bin("9-echo-client"))
            .args(["--addr", &server.addr])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        assert!(server.wait_stdout("client connected", before + 1));
        // Ctrl-C (SIGINT), then a hard kill.
        let status = Command::new("kill")
            .args([signal, &client.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let _ = client.wait();
        assert!(server.wait_stdout("client disconnected", before + 1));
    }
    assert!(server.is_running());
    let out = run_client("9-echo-client", &["--addr", &server.addr], b"next\n");
    assert_eq!(text(&out.stdout), "next\n");
}

#[test]
fn garbage_client_does_not_disturb_a_good_one() {
    let mut server = Server::start("9-echo-server", &[]);
    // A good client, connected first and kept open throughout.
    let stream = TcpStream::connect(&server.addr).unwrap();
    let (mut reader, mut writer, _) =
        channel::connect(Socket::new(stream), NonceMode::Random).unwrap();
    writer.write_message(b"before").unwrap();
    assert_eq!(reader.read_message().unwrap(), Some(&b"before"[..]));

    // Garbage: a "public key" and then bytes that are not a record.
    let mut garbage = TcpStream::connect(&server.addr).unwrap();
    garbage.write_all(&[0x41; 32]).unwrap();
    let mut their_key = [0; 32];
    garbage.read_exact(&mut their_key).unwrap();
    garbage.write_all(&[0x00, 0x40]).unwrap();
    garbage.write_all(&[0x99; 64]).unwrap();
    // The server hangs up on it...
    let mut rest = Vec::new();
    let _ = garbage.read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "server answered garbage with {} bytes",
        rest.len()
    );
    assert!(server.wait_stderr("dropped: record failed authentication"));

    // ...and the good client never noticed.
    writer.write_message(b"after").unwrap();
    assert_eq!(reader.read_message().unwrap(), Some(&b"after"[..]));
    assert!(server.is_running());
}

#[test]
fn chat_mode_pushes_server_lines_to_the_client() {
    let mut server = Server::start("9-echo-server", &["--chat"]);
    let mut client = Command::new(bin("9-echo-client"))
        .args(["--addr", &server.addr, "--chat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(server.wait_stdout("client connected", 1));
    // The operator types a line on the server...
    let server_stdin = server.stdin.as_mut().unwrap();
    server_stdin.write_all(b"hello from the server\n").unwrap();
    server_stdin.flush().unwrap();
    // ...the client prints it without having sent anything. Then the client
    // sends a line of its own and ends its input.
    let mut client_stdout = client.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !text(&seen).contains("hello from the server\n") {
        let n = client_stdout.read(&mut buf).unwrap();
        assert!(n > 0, "client stdout closed early: {}", text(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    let mut client_stdin = client.stdin.take().unwrap();
    client_stdin.write_all(b"and back\n").unwrap();
    drop(client_stdin);
    client_stdout.read_to_end(&mut seen).unwrap();
    assert!(client.wait().unwrap().success());
    assert_eq!(text(&seen), "hello from the server\nand back\n");
    assert!(server.wait_stdout("] and back", 1));
}

#[test]
fn user_mistakes_end_with_one_clear_line() {
    // A flag that does not exist.
    let out = Command::new(bin("9-echo-client"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_usage_error(&out, "unexpected argument '--bogus'");

    // Nothing listening.
    let out = run_client("9-echo-client", &["--addr", REFUSED_ADDR], b"hi\n");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot connect to"), "{err}");

    // Port already taken.
    let server = Server::start("9-echo-server", &[]);
    let out = Command::new(bin("9-echo-server"))
        .args(["--addr", &server.addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot listen on"), "{err}");

    // An invalid nonce mode.
    let out = Command::new(bin("9-echo-server"))
        .args(["--nonce", "sometimes"])
        .output()
        .unwrap();
    assert_usage_error(&out, "[possible values: random, counter]");

    // --help explains and exits 0.
    let out = Command::new(bin("9-echo-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("--nonce"));
}
