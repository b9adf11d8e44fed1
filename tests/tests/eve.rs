//! Eve, the passive tap, end to end: she changes no byte, and she shows
//! exactly what each lesson leaves readable on the wire.
//!
//! Every test runs the real programs: a lesson server, `eve` in front of it
//! (started with `--addr 127.0.0.1:0`, an alias of `--listen`), and the
//! lesson client pointed at Eve.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use e2e::*;

/// A line Eve must be able to read in lessons 1 and 2 and must not in 3 and 9.
const SECRET: &str = "the eagle lands at dawn";

/// Many lines: ordinary ones, an empty one, and one of 200 KB, which no
/// lesson sends in one record (lesson 9 splits it into four).
fn long_session() -> String {
    let mut input = String::new();
    for i in 0..50 {
        input.push_str(&format!("line {i}: {SECRET}\n"));
    }
    input.push('\n');
    let big: String = (0..200_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    input.push_str(&big);
    input.push('\n');
    input.push_str("GET /transfer?to=bob&amount=100 HTTP/1.1\nbye\n");
    input
}

/// Starts a lesson's server and Eve in front of it.
fn server_and_eve(lesson: &str, server: &str) -> (Server, Server) {
    let server = Server::start(server, &[]);
    let eve = Server::start("eve", &["--upstream", &server.addr, "--lesson", lesson]);
    (server, eve)
}

/// The same long session, once straight to the server and once through
/// Eve, gives the same client output: the input, byte for byte.
fn same_output_through_eve(lesson: &str, server: &str, client: &str) -> Server {
    let (server, eve) = server_and_eve(lesson, server);
    let input = long_session();
    let direct = run_client(client, &["--addr", &server.addr], input.as_bytes());
    assert!(direct.status.success(), "{}", text(&direct.stderr));
    let tapped = run_client(client, &["--addr", &eve.addr], input.as_bytes());
    assert!(tapped.status.success(), "{}", text(&tapped.stderr));
    assert_eq!(
        tapped.stdout, direct.stdout,
        "Eve changed what the client got"
    );
    assert_eq!(text(&tapped.stdout), input);
    // The server served the tapped session through to its end too.
    assert!(server.wait_stdout("client disconnected", 2));
    // Eve saw the whole conversation through to its close.
    assert!(eve.wait_stderr("#1 closed"), "{}", eve.stderr());
    eve
}

#[test]
fn lesson9_long_session_is_byte_for_byte_the_same_through_eve() {
    let eve = same_output_through_eve("9", "9-echo-server", "9-echo-client");
    let seen = eve.stdout();
    // Every field of the handshake and of a record is labelled.
    for label in [
        "client's X25519 public key",
        "server's X25519 public key",
        "client key ",
        "server key ",
        "length ",
        "nonce ",
        "ciphertext ",
        "tag ",
        "client -> server",
        "server -> client",
    ] {
        assert!(seen.contains(label), "Eve's dump has no {label:?}");
    }
    // The 200 KB line travels as full 65507-byte records: len = 65535.
    assert!(seen.contains("= 65535: nonce(12) + ciphertext(65507) + tag(16)"));
    // Without a key log, the plaintext is nowhere in what Eve printed.
    assert!(!seen.contains(SECRET), "Eve read lesson 9 plaintext");
    assert!(!seen.contains("amount=100"));
    // Plain text: no colour codes when stdout is not a terminal.
    assert!(!seen.contains('\x1b'));
}

#[test]
fn lesson3_long_session_is_byte_for_byte_the_same_through_eve() {
    let eve = same_output_through_eve("3", "3-ctr-echo-server", "3-ctr-echo-client");
    let seen = eve.stdout();
    for label in ["length ", "nonce ", "ciphertext ", "lesson 3 record #"] {
        assert!(seen.contains(label), "Eve's dump has no {label:?}");
    }
    // 19 + 16-byte nonce: "bye" is 3 bytes of ciphertext behind a nonce.
    assert!(seen.contains("= 19: nonce(16) + ciphertext(3)"), "{seen}");
    assert!(
        !seen.contains(SECRET),
        "the CTR ciphertext hides the text from Eve"
    );
}

#[test]
fn lesson1_long_session_is_byte_for_byte_the_same_through_eve() {
    let eve = same_output_through_eve("1", "1-plain-echo-server", "1-plain-echo-client");
    // Lesson 1 hides nothing: the text is right there in Eve's dump.
    // Her dumps go to stdout, read by another thread: wait for them.
    assert!(eve.wait_stdout(&format!("line 0: {SECRET}"), 1));
    assert!(eve.wait_stdout("lesson 1 chunk", 1));
}

#[test]
fn lesson2_records_show_length_and_readable_payload() {
    let (server, eve) = server_and_eve("2", "2-record-echo-server");
    let out = run_client(
        "2-record-echo-client",
        &["--addr", &eve.addr],
        format!("{SECRET}\n").as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{SECRET}\n"));
    assert!(
        eve.wait_stdout(&format!("\"{SECRET}\""), 2),
        "{}",
        eve.stdout()
    );
    assert!(eve.wait_stdout("= 23: payload(23)", 1));
    drop(server);
}

/// A peer that sends garbage: Eve forwards it all, unchanged, and survives.
/// Here the "server" is a raw echo socket and the bytes are not lesson 9 at
/// all, so Eve's parser gives up early and shows the rest raw.
#[test]
fn garbage_is_forwarded_unchanged_and_eve_keeps_serving() {
    let echo = TcpListener::bind("127.0.0.1:0").unwrap();
    let echo_addr = echo.local_addr().unwrap().to_string();
    thread::spawn(move || {
        for stream in echo.incoming().flatten() {
            thread::spawn(move || {
                let mut reader = stream.try_clone().unwrap();
                let mut writer = stream;
                let _ = std::io::copy(&mut reader, &mut writer);
            });
        }
    });
    let eve = Server::start("eve", &["--upstream", &echo_addr, "--lesson", "9"]);
    // A "public key", then a record length of 5 (shorter than any lesson 9
    // record can be), then 1 MB of noise, sent in odd-sized writes.
    let mut garbage = vec![0x42u8; 32];
    garbage.extend([0, 5]);
    garbage.extend((0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    for round in 0..2 {
        let mut stream = TcpStream::connect(&eve.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reader = stream.try_clone().unwrap();
        let expected = garbage.len();
        let collector = thread::spawn(move || {
            let mut got = Vec::with_capacity(expected);
            let _ = reader.read_to_end(&mut got);
            got
        });
        for piece in garbage.chunks(7_919) {
            stream.write_all(piece).unwrap();
        }
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let got = collector.join().unwrap();
        assert!(got == garbage, "round {round}: Eve changed or lost bytes");
    }
    assert!(eve.wait_stdout("malformed bytes", 1), "{}", eve.stdout());
}

#[test]
fn eve_without_a_reachable_server_drops_the_client_and_keeps_listening() {
    let dead = REFUSED_ADDR;
    let mut eve = Server::start("eve", &["--upstream", dead, "--lesson", "9"]);
    let out = run_client("9-echo-client", &["--addr", &eve.addr], b"hi\n");
    assert!(!out.status.success());
    assert!(
        eve.wait_stderr(&format!("cannot connect to {dead}")),
        "{}",
        eve.stderr()
    );
    assert!(eve.is_running());
}

#[test]
fn eve_refuses_a_lesson_it_does_not_know_and_says_which_it_knows() {
    let out = run_client("eve", &["--lesson", "7"], b"");
    assert_usage_error(&out, "invalid value '7' for '--lesson <N>'");
    assert!(text(&out.stderr).contains("lessons 1, 2, 3, 5, 9, 10 and 11"));
}

/// Clap's messages reach the user whole: the missing argument's name, the
/// suggestion for a misspelt flag.
#[test]
fn eve_usage_errors_name_the_argument_and_suggest_the_fix() {
    let out = run_client("eve", &[], b"");
    assert_usage_error(&out, "the following required arguments were not provided");
    assert!(
        text(&out.stderr).contains("--lesson <N>"),
        "{}",
        text(&out.stderr)
    );
    let out = run_client("eve", &["--lessen", "9"], b"");
    assert_usage_error(&out, "unexpected argument '--lessen'");
    assert!(
        text(&out.stderr).contains("'--lesson'"),
        "{}",
        text(&out.stderr)
    );
}
