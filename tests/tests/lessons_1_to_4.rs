//! Lessons 1-4, end to end: the real programs over loopback, with piped
//! stdin, raw sockets playing Eve and Mallory, and every claim the lesson
//! texts make about what is on the wire.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use e2e::*;
use tls::lesson02_records as framing;
use tls::lesson03_ctr_channel::{self as aes_ctr, SHARED_KEY};

const REQUEST: &str = "GET /transfer?to=bob&amount=100 HTTP/1.1";

/// An empty line, a line far longer than one 4096-byte read, and two
/// ordinary lines around them.
fn mixed_input() -> String {
    let long = "0".repeat(100_000);
    format!("{REQUEST}\n\n{long}\nbye\n")
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream
}

fn read_exactly(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream.read_exact(&mut buf).unwrap();
    buf
}

// ---------------------------------------------------------------- lesson 1

#[test]
fn lesson1_echoes_piped_lines_including_empty_and_long_ones() {
    let server = Server::start("1-plain-echo-server", &[]);
    let input = mixed_input();
    let out = run_client(
        "1-plain-echo-client",
        &["--addr", &server.addr],
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    assert!(server.wait_stdout(&format!("] {REQUEST}"), 1));
    assert!(server.wait_stdout("client disconnected", 1));
}

/// What a wiretap saw: client to server, then server to client.
type Seen = std::thread::JoinHandle<(Vec<u8>, Vec<u8>)>;

/// A tap on the wire between the real client and server: it forwards every
/// byte both ways and keeps a copy of what each direction carried.
fn wiretap(upstream: &str) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let upstream = upstream.to_string();
    let tap = std::thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let server = TcpStream::connect(upstream).unwrap();
        let copy = |mut from: TcpStream, mut to: TcpStream| {
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    match from.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            seen.extend_from_slice(&buf[..n]);
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = to.shutdown(std::net::Shutdown::Write);
                seen
            })
        };
        let up = copy(client.try_clone().unwrap(), server.try_clone().unwrap());
        let down = copy(server, client);
        (up.join().unwrap(), down.join().unwrap())
    });
    (addr, tap)
}

#[test]
fn lesson1_the_wire_carries_the_plaintext_itself() {
    // Eve's view: the bytes on the socket are the message, nothing else.
    let server = Server::start("1-plain-echo-server", &[]);
    let (tap_addr, tap) = wiretap(&server.addr);
    let input = format!("{REQUEST}\n");
    let out = run_client(
        "1-plain-echo-client",
        &["--addr", &tap_addr],
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    let (client_to_server, server_to_client) = tap.join().unwrap();
    // Exactly the line (without its newline), both ways: no header, no
    // length, no encryption.
    assert_eq!(client_to_server, REQUEST.as_bytes());
    assert_eq!(server_to_client, REQUEST.as_bytes());
}

#[test]
fn lesson2_claim_sends_glue_together_without_framing() {
    // The command from lessons/02-records.md: a server that waits a second
    // before each read, and a client that sends three lines without waiting
    // for echoes. The three sends come out of one read, and the --chat
    // client, which prints whatever arrives, prints them glued too.
    let server = Server::start("1-plain-echo-server", &["--read-delay-ms", "1000"]);
    let out = run_client(
        "1-plain-echo-client",
        &["--addr", &server.addr, "--chat"],
        b"one\ntwo\nthree\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(server.wait_stdout("client disconnected", 1));
    assert_eq!(server.printed_messages(), ["onetwothree"]);
    assert_eq!(text(&out.stdout), "onetwothree\n");
}

#[test]
fn lesson2_claim_the_line_mode_client_cuts_a_glued_echo_by_what_it_sent() {
    // The same run without --chat: the server still reads one glued
    // message, but the client knows the three lines it sent and cuts the
    // echo to match them.
    let server = Server::start("1-plain-echo-server", &["--read-delay-ms", "1000"]);
    let out = run_client(
        "1-plain-echo-client",
        &["--addr", &server.addr],
        b"one\ntwo\nthree\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(server.wait_stdout("client disconnected", 1));
    assert_eq!(server.printed_messages(), ["onetwothree"]);
    assert_eq!(text(&out.stdout), "one\ntwo\nthree\n");
}

#[test]
fn lesson2_claim_one_send_arrives_split_without_framing() {
    // One 10000-byte send; the server reads at most 4096 bytes at a time,
    // so it sees (at least) three pieces, none of them the whole message.
    let server = Server::start("1-plain-echo-server", &[]);
    let line = format!("{:010000}", 7);
    let out = run_client(
        "1-plain-echo-client",
        &["--addr", &server.addr],
        format!("{line}\n").as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{line}\n"));
    assert!(server.wait_stdout("client disconnected", 1));
    let pieces: Vec<usize> = server
        .printed_messages()
        .iter()
        .map(|p| printed_len(p))
        .collect();
    assert!(pieces.len() >= 3, "{pieces:?}");
    assert!(pieces.iter().all(|&n| n <= 4096), "{pieces:?}");
    assert_eq!(pieces.iter().sum::<usize>(), line.len());
}

#[test]
fn lesson2_claim_a_small_read_size_splits_one_send() {
    // The `--read-size 16` command from lessons/02-records.md: one 40-byte
    // write comes out of the server's reads in pieces of at most 16 bytes.
    let server = Server::start("1-plain-echo-server", &["--read-size", "16"]);
    let out = run_client(
        "1-plain-echo-client",
        &["--addr", &server.addr],
        format!("{REQUEST}\n").as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{REQUEST}\n"));
    assert!(server.wait_stdout("client disconnected", 1));
    let pieces = server.printed_messages();
    assert!(pieces.len() >= 3, "{pieces:?}");
    assert!(pieces.iter().all(|p| p.len() <= 16), "{pieces:?}");
    assert_eq!(pieces.concat(), REQUEST);
}

// ---------------------------------------------------------------- lesson 2

#[test]
fn lesson2_echoes_piped_lines_including_empty_and_long_ones() {
    let server = Server::start("2-record-echo-server", &[]);
    let input = mixed_input();
    let out = run_client(
        "2-record-echo-client",
        &["--addr", &server.addr],
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    assert!(server.wait_stdout("client disconnected", 1));
    // One printed message per line, the empty one included, none split.
    let expected: Vec<String> = input.lines().map(|l| shown(l.as_bytes())).collect();
    assert_eq!(server.printed_messages(), expected);
}

#[test]
fn lesson2_records_stay_apart_even_when_they_arrive_glued() {
    // The same slow server and fast client as the lesson 1 demonstration,
    // with records: three messages in, three messages out.
    let server = Server::start("2-record-echo-server", &["--read-delay-ms", "1000"]);
    let out = run_client(
        "2-record-echo-client",
        &["--addr", &server.addr, "--chat"],
        b"one\ntwo\nthree\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(server.wait_stdout("client disconnected", 1));
    assert_eq!(server.printed_messages(), ["one", "two", "three"]);
    assert_eq!(text(&out.stdout), "one\ntwo\nthree\n");
}

#[test]
fn lesson2_wire_format_is_a_u32_length_then_the_bytes() {
    let server = Server::start("2-record-echo-server", &[]);
    let mut eve = connect(&server);
    // Two records in one write, the second split over two writes.
    eve.write_all(b"\x00\x00\x00\x05hello\x00\x00").unwrap();
    eve.write_all(b"\x00\x03bye").unwrap();
    assert_eq!(
        read_exactly(&mut eve, 9 + 7),
        b"\x00\x00\x00\x05hello\x00\x00\x00\x03bye"
    );
    assert!(server.wait_stdout("] hello\n", 1));
    assert!(server.wait_stdout("] bye\n", 1));
}

#[test]
fn lesson2_a_length_over_16_mib_is_refused_and_the_server_keeps_serving() {
    let mut server = Server::start("2-record-echo-server", &[]);
    let mut bad = connect(&server);
    let too_long = u32::try_from(framing::MAX_PAYLOAD_LEN + 1).unwrap();
    bad.write_all(&too_long.to_be_bytes()).unwrap();
    assert!(
        server.wait_stderr("record length 16777217 is too long"),
        "{}",
        server.stderr()
    );
    // A record cut short is reported too.
    let mut cut = connect(&server);
    cut.write_all(b"\x00\x00\x00\x0aabc").unwrap();
    drop(cut);
    assert!(server.wait_stderr("closed the connection mid-message"));
    // And an honest client is still served.
    let out = run_client(
        "2-record-echo-client",
        &["--addr", &server.addr],
        b"still here\n",
    );
    assert_eq!(text(&out.stdout), "still here\n");
    assert!(server.is_running());
}

// ---------------------------------------------------------------- lesson 3

#[test]
fn lesson3_echoes_piped_lines_and_the_server_prints_the_decrypted_request() {
    let server = Server::start("3-ctr-echo-server", &[]);
    let input = mixed_input();
    let out = run_client(
        "3-ctr-echo-client",
        &["--addr", &server.addr],
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    assert!(server.wait_stdout("client disconnected", 1));
    let expected: Vec<String> = input.lines().map(|l| shown(l.as_bytes())).collect();
    assert_eq!(server.printed_messages(), expected);
}

/// One lesson 3 record, as the client would send it.
fn ctr_record(plaintext: &[u8]) -> Vec<u8> {
    let mut record = Vec::new();
    framing::encode(
        &aes_ctr::encrypt(SHARED_KEY, plaintext).unwrap(),
        &mut record,
    )
    .unwrap();
    record
}

#[test]
fn lesson3_eve_sees_a_length_a_nonce_and_noise() {
    let server = Server::start("3-ctr-echo-server", &[]);
    let mut eve = connect(&server);
    let sent = ctr_record(REQUEST.as_bytes());
    eve.write_all(&sent).unwrap();
    // The echo: 4-byte length = 16 + 40, then the payload.
    let prefix = read_exactly(&mut eve, 4);
    assert_eq!(prefix, (16 + REQUEST.len() as u32).to_be_bytes());
    let payload = read_exactly(&mut eve, 16 + REQUEST.len());
    // Nothing readable on the wire, and the reply has its own nonce.
    assert!(!payload.windows(6).any(|w| w == b"amount"));
    assert_ne!(payload[..16], sent[4..20]);
    // With the (public) key, it is the request.
    assert_eq!(
        aes_ctr::decrypt(SHARED_KEY, &payload).unwrap(),
        REQUEST.as_bytes()
    );
}

#[test]
fn lesson3_the_server_accepts_a_flipped_record_and_prints_amount_900() {
    // Mallory on the wire: one XOR on the digit's ciphertext byte, no key.
    let server = Server::start("3-ctr-echo-server", &[]);
    let mut record = ctr_record(REQUEST.as_bytes());
    let digit = REQUEST.find("amount=").unwrap() + "amount=".len();
    record[framing::PREFIX_LEN + aes_ctr::NONCE_LEN + digit] ^= b'1' ^ b'9';
    let mut mallory = connect(&server);
    mallory.write_all(&record).unwrap();
    assert!(
        server.wait_stdout("] GET /transfer?to=bob&amount=900 HTTP/1.1\n", 1),
        "{}",
        server.stdout()
    );
    assert!(!server.stderr().contains("dropped"), "{}", server.stderr());
}

// ---------------------------------------------------------------- lesson 4

/// The hex byte after `label` on the line that contains it.
fn byte_after(out: &str, label: &str) -> u8 {
    let line = out.lines().find(|l| l.contains(label)).unwrap();
    let rest = line.split_once(label).unwrap().1.trim_start();
    let hex = rest.strip_prefix("0x").unwrap();
    u8::from_str_radix(&hex[..2], 16).unwrap()
}

#[test]
fn lesson4_turns_100_into_900_and_the_aead_refuses() {
    let out = run_client("4-ctr-malleability", &[], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = text(&out.stdout);
    // The arithmetic is on screen...
    assert!(out.contains("plaintext   GET /transfer?to=bob&amount=100 HTTP/1.1"));
    assert!(
        out.contains("mask = '1' ^ '9' = 0x31 ^ 0x39 = 0x08"),
        "{out}"
    );
    let before = byte_after(&out, "ciphertext[28] before");
    let after = byte_after(&out, "ciphertext[28] after");
    assert_eq!(before ^ after, 0x08, "{out}");
    // ...the CTR receiver delivers the forgery...
    assert!(out.contains("decrypted   GET /transfer?to=bob&amount=900 HTTP/1.1"));
    // ...and ChaCha20-Poly1305 does not.
    assert!(out.contains("untouched   opens to: GET /transfer?to=bob&amount=100 HTTP/1.1"));
    assert!(out.contains("tampered    REJECTED: record failed authentication (bad tag)"));
    assert!(!out.contains("ACCEPTED"));
}

// ------------------------------------------------------ every program's CLI

const PROGRAMS: [&str; 7] = [
    "1-plain-echo-server",
    "1-plain-echo-client",
    "2-record-echo-server",
    "2-record-echo-client",
    "3-ctr-echo-server",
    "3-ctr-echo-client",
    "4-ctr-malleability",
];

#[test]
fn every_program_explains_itself_with_help() {
    for name in PROGRAMS {
        let out = run_client(name, &["--help"], b"");
        assert!(out.status.success(), "{name} --help failed");
        let help = text(&out.stdout);
        assert!(help.contains("Usage:"), "{name}: {help}");
        let lesson = &name[..1];
        assert!(help.contains(&format!("Lesson {lesson}")), "{name}: {help}");
        if name.contains("server") || name.contains("client") {
            assert!(help.contains("--addr"), "{name}: {help}");
            assert!(help.contains("--chat"), "{name}: {help}");
        }
        // The flags lessons/01-plaintext.md lists for each side.
        let side: &[&str] = if name.contains("server") {
            &["--handshake-timeout", "--idle-timeout", "--max-connections"]
        } else if name.contains("client") {
            &["--timeout"]
        } else {
            &[]
        };
        for flag in side {
            assert!(help.contains(flag), "{name} --help has no {flag}: {help}");
        }
        if name == "1-plain-echo-server" {
            assert!(help.contains("--read-size") && help.contains("--read-delay-ms"));
        }
    }
}

#[test]
fn a_bad_flag_is_clap_s_whole_message_and_exit_2() {
    for name in PROGRAMS {
        let out = run_client(name, &["--no-such-flag"], b"");
        assert_usage_error(&out, "unexpected argument '--no-such-flag'");
    }
}

#[test]
fn a_port_in_use_and_a_refused_connection_are_one_clear_line() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    for name in [
        "1-plain-echo-server",
        "2-record-echo-server",
        "3-ctr-echo-server",
    ] {
        let out = run_client(name, &["--addr", &addr], b"");
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("cannot listen on {addr}")),
            "{name}: {err}"
        );
        // The likely cause, said: an earlier lesson's server still runs.
        assert!(
            err.contains("is another lesson's server still running?"),
            "{name}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
    }
    drop(taken);
    for name in [
        "1-plain-echo-client",
        "2-record-echo-client",
        "3-ctr-echo-client",
    ] {
        let out = run_client(name, &["--addr", REFUSED_ADDR], b"hello\n");
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("cannot connect to {REFUSED_ADDR}")),
            "{name}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
    }
}
