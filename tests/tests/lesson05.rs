//! Lesson 5 end to end: the real `5-mac-echo-server` and `5-mac-echo-client`
//! over loopback, watched by Eve and attacked by Mallory, exactly as
//! `lessons/05-mac.md` runs them.
//!
//! | attack  | lesson 5 (default)                | lesson 5 `--no-seq-check`      |
//! |---------|-----------------------------------|--------------------------------|
//! | flip    | fails: bad mac, nothing decrypted | fails the same way             |
//! | replay  | fails: wrong sequence number      | WORKS: the server acts twice   |
//! | replay on a new connection | WORKS: the count restarts at 0 under the same keys |
//! | reflect | WORKS: same keys both ways, and the seqs line up                   |
//! |         | (fails only when they do not, e.g. after a `--chat` push)          |

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Command, Stdio};

use e2e::*;

const SERVER: &str = "5-mac-echo-server";
const CLIENT: &str = "5-mac-echo-client";
const REQUEST: &str = "GET /transfer?to=bob&amount=100 HTTP/1.1";

/// A lesson 5 server with a tool (`eve` or `mallory`) in front of it.
fn server_and(tool: &str, server_args: &[&str], tool_args: &[&str]) -> (Server, Server) {
    let server = Server::start(SERVER, server_args);
    let mut args = vec!["--upstream", server.addr.as_str(), "--lesson", "5"];
    args.extend_from_slice(tool_args);
    let tool = Server::start(tool, &args);
    (server, tool)
}

// ------------------------------------------------------------ round trip

#[test]
fn piped_lines_round_trip_including_an_empty_and_a_200_kb_line() {
    let server = Server::start(SERVER, &[]);
    let long_line = "0123456789".repeat(20_000); // 200,000 bytes
    let input = format!("{REQUEST}\n\n{long_line}\nlast\n");
    let out = run_client(CLIENT, &["--addr", &server.addr], input.as_bytes());
    assert!(out.status.success(), "client failed: {}", text(&out.stderr));
    // Stdout carries exactly the echoes; status went to stderr.
    assert_eq!(text(&out.stdout), input);
    assert!(text(&out.stderr).contains("connected to"));
    // The server printed each message it verified and decrypted.
    assert!(server.wait_stdout("client disconnected", 1));
    assert_eq!(
        server.printed_messages(),
        [REQUEST, "", &shown(long_line.as_bytes()), "last"]
    );
    assert!(server.stderr().lines().all(|l| !l.contains("dropped")));
}

// ------------------------------------------------------------------- eve

#[test]
fn eve_sees_the_seq_in_the_clear_and_the_rest_as_noise_and_a_mac() {
    let (server, eve) = server_and("eve", &[], &[]);
    let input = format!("{REQUEST}\nthanks\n");
    let out = run_client(CLIENT, &["--addr", &eve.addr], input.as_bytes());
    // Eve changed nothing: the session works through her.
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    assert!(server.wait_stdout("client disconnected", 1));
    assert!(eve.wait_stderr("#1 closed"), "{}", eve.stderr());
    // Her dumps go to stdout, read by another thread: wait for the last.
    assert!(eve.wait_stdout("lesson 5 record #2", 2), "{}", eve.stdout());
    let seen = eve.stdout();
    // Every field is labelled, and the lengths add up: 8 + 16 + 40 + 32.
    for label in [
        "#1 client -> server  lesson 5 record #1, 100 bytes",
        "= 96: seq(8) + nonce(16) + ciphertext(40) + mac(32)",
        "#1 server -> client  lesson 5 record #1, 100 bytes",
        "#1 client -> server  lesson 5 record #2, 66 bytes",
        "  seq          0004  00 00 00 00 00 00 00 01",
        "  nonce ",
        "  ciphertext ",
        "  mac ",
    ] {
        assert!(seen.contains(label), "Eve's dump has no {label:?}:\n{seen}");
    }
    // Each direction counts from 0: two records numbered 0, two numbered 1.
    assert_eq!(seen.matches("               = 0\n").count(), 2, "{seen}");
    assert_eq!(seen.matches("               = 1\n").count(), 2, "{seen}");
    // The request itself is nowhere in what she saw.
    assert!(!seen.contains("amount"), "{seen}");
}

// ------------------------------------------------------------------ flip

#[test]
fn the_lesson4_flip_is_refused_with_bad_mac_and_nothing_is_printed() {
    let (server, mallory) = server_and("mallory", &[], &["--attack", "flip"]);
    let out = run_client(
        CLIENT,
        &["--addr", &mallory.addr],
        format!("{REQUEST}\nsecond line\n").as_bytes(),
    );
    // Mallory did exactly what she did to lesson 3: one byte of the
    // ciphertext, now found after the 8-byte seq and the 16-byte nonce.
    assert!(
        mallory.wait_stdout("FLIPPED wire bytes 49..59", 1),
        "{}",
        mallory.stdout()
    );
    // The server checked the mac before decrypting, and dropped the client
    // with the reason.
    assert!(
        server.wait_stderr("dropped: record failed authentication (bad mac)"),
        "{}",
        server.stderr()
    );
    // Neither Mallory's amount=900 nor Alice's amount=100 was ever printed:
    // the record was refused whole, undecrypted.
    assert!(
        server.printed_messages().is_empty(),
        "{:?}",
        server.printed_messages()
    );
    assert!(!server.stdout().contains("amount="), "{}", server.stdout());
    // The client lost its connection and says so; it printed no echo.
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains(
            "5-mac-echo-client: the server closed the connection after echoing 0 of 40 bytes: \
             the server may have dropped us (see its log)"
        ),
        "{}",
        text(&out.stderr)
    );
}

// ---------------------------------------------------------------- replay

/// Mallory forwards the first client record, then sends it again, and
/// swallows the server's answer to the copy.
fn replay(server_args: &[&str]) -> (Server, Server, std::process::Output) {
    let (server, mallory) = server_and("mallory", server_args, &["--attack", "replay"]);
    let out = run_client(CLIENT, &["--addr", &mallory.addr], b"pay bob 100\nthanks\n");
    assert!(mallory.wait_stdout("REPLAYED", 1), "{}", mallory.stdout());
    (server, mallory, out)
}

#[test]
fn a_replayed_record_is_refused_by_its_sequence_number() {
    let (server, _mallory, out) = replay(&[]);
    // The copy carried a valid mac (it is a genuine record) but seq 0 where
    // 1 was due.
    assert!(
        server.wait_stderr("dropped: wrong sequence number 0 (expected 1)"),
        "{}",
        server.stderr()
    );
    // The genuine record was served once; the copy never. (The server's
    // stdout is read by another thread than its stderr: wait for it.)
    assert!(server.wait_stdout("] pay bob 100", 1));
    assert_eq!(server.printed_messages(), ["pay bob 100"]);
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "pay bob 100\n");
    assert!(
        text(&out.stderr).contains(
            "5-mac-echo-client: the server closed the connection after echoing 0 of 6 bytes"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_replayed_record_is_accepted_without_the_seq_check() {
    let (server, mallory, out) = replay(&["--no-seq-check"]);
    // The mac alone cannot tell a copy from the original: the server pays
    // Bob twice.
    assert!(server.wait_stdout("client disconnected", 1));
    assert_eq!(
        server.printed_messages(),
        ["pay bob 100", "pay bob 100", "thanks"]
    );
    assert!(
        server.stderr().lines().all(|l| !l.contains("dropped")),
        "{}",
        server.stderr()
    );
    // The client still checks the server's numbers, so it notices the echo
    // Mallory swallowed, but only after the server has acted twice.
    assert!(mallory.wait_stdout("SWALLOWED", 1), "{}", mallory.stdout());
    assert_eq!(text(&out.stdout), "pay bob 100\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("5-mac-echo-client: wrong sequence number 2 (expected 1)"),
        "{}",
        text(&out.stderr)
    );
}

// --------------------------------------------------------------- reflect

/// Relays one connection from `listener` to `upstream`, keeping a copy of
/// every byte each side sent; returns (the client's, the server's) when
/// both sides are done. (Mallory's `replay later` in miniature: she only
/// needs to listen.)
fn record_one_session(
    listener: TcpListener,
    upstream: &str,
) -> std::thread::JoinHandle<(Vec<u8>, Vec<u8>)> {
    let upstream = upstream.to_string();
    std::thread::spawn(move || {
        let (mut client, _) = listener.accept().unwrap();
        let mut server = TcpStream::connect(&upstream).unwrap();
        let (mut client_back, mut server_back) =
            (client.try_clone().unwrap(), server.try_clone().unwrap());
        let answers = std::thread::spawn(move || copy_and_keep(&mut server_back, &mut client_back));
        let recorded = copy_and_keep(&mut client, &mut server);
        (recorded, answers.join().unwrap())
    })
}

/// Forwards `from` to `to` as it arrives, until `from` ends, and returns a
/// copy of all of it.
fn copy_and_keep(from: &mut TcpStream, to: &mut TcpStream) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = from.read(&mut buf) {
        kept.extend_from_slice(&buf[..n]);
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    kept
}

/// Sends `bytes` to the server on a connection of its own, as a client
/// would, and returns whatever comes back.
fn send_on_a_new_connection(server: &Server, bytes: &[u8]) -> Vec<u8> {
    let mut again = TcpStream::connect(&server.addr).unwrap();
    again.write_all(bytes).unwrap();
    again.shutdown(Shutdown::Write).unwrap();
    let mut echoed = Vec::new();
    again.read_to_end(&mut echoed).unwrap();
    echoed
}

#[test]
fn a_session_sent_again_on_a_new_connection_is_served_again_even_the_servers_half() {
    // The sequence number stops a copy on the same connection. It cannot
    // stop one on a new connection: the keys are built in, and each new
    // connection counts from 0 again, so yesterday's record 0 is a valid
    // record 0 today. Only fresh keys per connection (lesson 7 on) stop it.
    let server = Server::start(SERVER, &[]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let front = listener.local_addr().unwrap().to_string();
    let recording = record_one_session(listener, &server.addr);
    let out = run_client(
        CLIENT,
        &["--addr", &front],
        format!("{REQUEST}\n").as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (from_client, from_server) = recording.join().unwrap();
    assert!(server.wait_stdout("client disconnected", 1));
    // Later, a new connection, and the same bytes: no key needed.
    let echoed = send_on_a_new_connection(&server, &from_client);
    assert!(server.wait_stdout("client disconnected", 2));
    // The server acted on the request twice, and answered the copy.
    assert_eq!(server.printed_messages(), [REQUEST, REQUEST]);
    assert!(!echoed.is_empty());
    // Nor does a record say which way it went: the server's own echo,
    // sent to it as if a client had written it, is read as a request.
    send_on_a_new_connection(&server, &from_server);
    assert!(server.wait_stdout("client disconnected", 3));
    assert_eq!(server.printed_messages(), [REQUEST, REQUEST, REQUEST]);
}

#[test]
fn reflect_fools_the_lesson5_client_because_both_directions_share_keys() {
    let (server, mallory) = server_and("mallory", &[], &["--attack", "reflect"]);
    let out = run_client(
        CLIENT,
        &["--addr", &mallory.addr],
        b"is this the server?\nyes it is\n",
    );
    // The client's own records come back with valid macs (same mac key both
    // ways), and with seq 0 then 1: exactly what it expects from the
    // server. It takes them for echoes and exits happily...
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "is this the server?\nyes it is\n");
    // ...though the server never heard a word.
    assert!(server.wait_stdout("client disconnected", 1));
    assert!(
        server.printed_messages().is_empty(),
        "{:?}",
        server.printed_messages()
    );
    assert!(mallory.wait_stdout("REFLECTED", 2), "{}", mallory.stdout());
}

#[test]
fn reflect_is_caught_only_when_the_seqs_do_not_line_up() {
    // The server speaks first (--chat): its record 0 reaches the client,
    // which now expects the server's record 1. Then the client's own record
    // 0 comes back reflected: a valid mac, but the wrong number.
    let (mut server, mallory) = server_and("mallory", &["--chat"], &["--attack", "reflect"]);
    let mut client = Command::new(bin(CLIENT))
        .args(["--addr", &mallory.addr, "--chat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(server.wait_stdout("client connected", 1));
    let server_stdin = server.stdin.as_mut().unwrap();
    server_stdin.write_all(b"welcome\n").unwrap();
    server_stdin.flush().unwrap();
    // The push arrives: seq 0 from the server, accepted.
    let mut client_stdout = client.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !text(&seen).contains("welcome\n") {
        let n = client_stdout.read(&mut buf).unwrap();
        assert!(n > 0, "client stdout closed early: {}", text(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    // Now the client speaks, and Mallory bounces it straight back.
    let mut client_stdin = client.stdin.take().unwrap();
    client_stdin.write_all(b"is this the server?\n").unwrap();
    drop(client_stdin);
    client_stdout.read_to_end(&mut seen).unwrap();
    let mut err = String::new();
    client
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!client.wait().unwrap().success());
    assert!(mallory.wait_stdout("REFLECTED", 1), "{}", mallory.stdout());
    assert_eq!(text(&seen), "welcome\n", "the reflected line was printed");
    assert!(
        err.contains("5-mac-echo-client: wrong sequence number 0 (expected 1)"),
        "{err}"
    );
}

// ------------------------------------------------------------ user errors

#[test]
fn user_mistakes_end_with_one_clear_line() {
    // A flag that does not exist.
    let out = Command::new(bin(CLIENT)).arg("--bogus").output().unwrap();
    assert_usage_error(&out, "unexpected argument '--bogus'");
    let out = Command::new(bin(SERVER))
        .arg("--no-seq-chek")
        .output()
        .unwrap();
    assert_usage_error(&out, "unexpected argument '--no-seq-chek'");

    // Nothing listening.
    let out = run_client(CLIENT, &["--addr", REFUSED_ADDR], b"hi\n");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("5-mac-echo-client: cannot connect to"),
        "{err}"
    );

    // Port already taken.
    let server = Server::start(SERVER, &[]);
    let out = Command::new(bin(SERVER))
        .args(["--addr", &server.addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("5-mac-echo-server: cannot listen on"), "{err}");

    // --help explains, names the insecure switch, and exits 0.
    let out = Command::new(bin(SERVER)).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = text(&out.stdout);
    assert!(help.starts_with("Lesson 5 echo server"), "{help}");
    assert!(help.contains("--no-seq-check"), "{help}");
    assert!(
        help.contains("cargo run -p tls --bin 5-mac-echo-client"),
        "{help}"
    );
    let out = Command::new(bin(CLIENT)).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("Lesson 5 echo client"));
}
