//! Lesson 11 with the tools, end to end: Eve in front of `11-tls13-server`
//! (what TLS 1.3 leaves on the wire, and what a key log gives away), and
//! Mallory's four attacks through the real `mallory` program.
//!
//! | attack  | lesson 11 result                                                |
//! |---------|-----------------------------------------------------------------|
//! | flip    | FAILS: the Poly1305 tag; the server answers bad_record_mac      |
//! | replay  | FAILS: the copy is opened with the next sequence number         |
//! | reflect | FAILS: the client opens its own record with the server's key    |
//! | mitm    | FAILS: her certificate is not from a CA in the client's `--ca`  |
//!
//! Every client is given `--ca` the file the server wrote with `--ca-out`,
//! in this test's scratch space.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use e2e::*;

const SERVER: &str = "11-tls13-server";
const CLIENT: &str = "11-tls13-client";
const REQUEST: &str = "GET /transfer?to=bob&amount=100 HTTP/1.1";
const SECOND: &str = "and then pay carol 50";

/// `11-tls13-server` with a throwaway CA written to scratch (and `args`),
/// and the CA file for clients.
fn server(name: &str, args: &[&str]) -> (Server, PathBuf) {
    let ca = scratch(&format!("lesson11-{name}-ca.pem"));
    let mut all = vec!["--ca-out", ca.to_str().unwrap()];
    all.extend_from_slice(args);
    (Server::start(SERVER, &all), ca)
}

/// The client, through `via`, trusting `ca`.
fn client(via: &Server, ca: &Path, input: &str) -> Output {
    let args = ["--addr", via.addr.as_str(), "--ca", ca.to_str().unwrap()];
    run_client(CLIENT, &args, input.as_bytes())
}

// --------------------------------------------------------------------- eve

/// The server (with `server_args`) and Eve in front of it (with `eve_args`);
/// one session of two lines through Eve. Returns Eve's stdout.
fn through_eve(name: &str, server_args: &[&str], eve_args: &[&str]) -> String {
    let (server, ca) = server(name, server_args);
    let mut args = vec!["--upstream", server.addr.as_str(), "--lesson", "11"];
    args.extend_from_slice(eve_args);
    let eve = Server::start("eve", &args);
    let input = format!("{REQUEST}\n{SECOND}\n");
    let out = client(&eve, &ca, &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Eve changed nothing: the echo is exactly what was sent.
    assert_eq!(text(&out.stdout), input);
    assert!(server.wait_stdout("client disconnected", 1));
    assert!(eve.wait_stderr("#1 closed"), "{}", eve.stderr());
    let _ = fs::remove_file(ca);
    eve.stdout()
}

#[test]
fn eve_names_the_hellos_and_sees_only_encrypted_records_after_them() {
    let seen = through_eve("eve-plain", &[], &[]);
    for expected in [
        "lesson 11 record #1: handshake",
        "ClientHello, ",
        "cipher suites offered [TLS_CHACHA20_POLY1305_SHA256]",
        "server_name \"localhost\"",
        "ServerHello, ",
        "cipher suite chosen TLS_CHACHA20_POLY1305_SHA256, key share x25519",
        "encrypted record, ",
        "= 23: application_data",
    ] {
        assert!(seen.contains(expected), "no {expected:?} in:\n{seen}");
    }
    // The certificate and what was said: hidden. (The server's name is
    // not: the ClientHello's server_name above is in the clear.)
    for hidden in ["Certificate", "Finished", "amount=100", "carol"] {
        assert!(!seen.contains(hidden), "Eve read {hidden:?}:\n{seen}");
    }
}

/// The size of every encrypted record Eve printed (`record #N:
/// encrypted record, L bytes`), in order.
fn encrypted_record_sizes(seen: &str) -> Vec<usize> {
    seen.lines()
        .filter(|line| line.contains("encrypted record"))
        .filter_map(|line| line.rsplit(", ").next())
        .filter_map(|size| size.strip_suffix(" bytes")?.parse().ok())
        .collect()
}

#[test]
fn with_pad_256_eve_sees_one_record_size_for_lines_of_different_lengths() {
    let (server, ca) = server("eve-pad", &["--pad", "256"]);
    let eve_args = ["--upstream", server.addr.as_str(), "--lesson", "11"];
    let eve = Server::start("eve", &eve_args);
    let args = [
        "--addr",
        eve.addr.as_str(),
        "--ca",
        ca.to_str().unwrap(),
        "--pad",
        "256",
    ];
    // Three lines, 2, 40 and 200 bytes long.
    let input = format!("ok\n{REQUEST}\n{}\n", "x".repeat(200));
    let out = run_client(CLIENT, &args, input.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Padding changes nothing the programs say to each other.
    assert_eq!(text(&out.stdout), input);
    assert!(eve.wait_stderr("#1 closed"), "{}", eve.stderr());
    let sizes = encrypted_record_sizes(&eve.stdout());
    // Each line is one record, as is its echo; the handshake's encrypted
    // records are padded too. Every one is a header, a multiple of 256 and
    // a tag: the three lines (and their echoes) are 5 + 256 + 16 = 277
    // bytes each, however long they were.
    assert!(sizes.len() >= 6, "{sizes:?}");
    for size in &sizes {
        assert_eq!((size - 5 - 16) % 256, 0, "{size} in {sizes:?}");
    }
    assert!(
        sizes.iter().filter(|&&s| s == 5 + 256 + 16).count() >= 6,
        "{sizes:?}"
    );
    let _ = fs::remove_file(ca);
}

#[test]
fn without_pad_eve_reads_each_lines_exact_length() {
    let seen = through_eve("eve-nopad", &[], &[]);
    let sizes = encrypted_record_sizes(&seen);
    // Each line travels without its newline, as one record: header (5),
    // content, type byte (1), tag (16). Eve subtracts 22 and has the length.
    for line in [REQUEST, SECOND] {
        assert!(
            sizes.contains(&(line.len() + 1 + 16 + 5)),
            "{line:?}: {sizes:?}"
        );
    }
}

#[test]
fn eve_with_the_servers_key_log_opens_every_record() {
    let keylog = scratch("lesson11-eve.keylog");
    let path = keylog.to_str().unwrap();
    let seen = through_eve("eve-keylog", &["--keylog", path], &["--keylog", path]);
    for expected in [
        "(SERVER_HANDSHAKE_TRAFFIC_SECRET, sequence 0): handshake",
        "EncryptedExtensions, ",
        "Certificate, ",
        "CertificateVerify, ",
        "(SERVER_HANDSHAKE_TRAFFIC_SECRET, sequence 3): handshake",
        "(CLIENT_HANDSHAKE_TRAFFIC_SECRET, sequence 0): handshake",
        "Finished, 32 bytes",
        "(CLIENT_TRAFFIC_SECRET_0, sequence 0): application_data",
        "(key log) \"GET /transfer?to=bob&amount=100 HTTP/1.1\"",
        "(CLIENT_TRAFFIC_SECRET_0, sequence 1): application_data",
        "(key log) \"and then pay carol 50\"",
        "(SERVER_TRAFFIC_SECRET_0, sequence 0): application_data",
        "warning close_notify (0)",
    ] {
        assert!(seen.contains(expected), "no {expected:?} in:\n{seen}");
    }
    assert!(!seen.contains("does not decrypt"), "{seen}");
    assert!(!seen.contains("no CLIENT"), "{seen}");
    let _ = fs::remove_file(keylog);
}

// ----------------------------------------------------------------- mallory

/// The server and Mallory in front of it, running `attack` on lesson 11.
fn server_and_mallory(name: &str, attack: &[&str]) -> (Server, Server, PathBuf) {
    let (server, ca) = server(name, &[]);
    let mut args = vec!["--upstream", server.addr.as_str(), "--lesson", "11"];
    args.extend_from_slice(attack);
    let mallory = Server::start("mallory", &args);
    (server, mallory, ca)
}

/// The client failed with a one-line reason containing `says`.
fn client_failed(out: &Output, says: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("11-tls13-client: "), "{err}");
    assert!(last.contains(says), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn flip_fails_the_tag_and_the_server_answers_bad_record_mac() {
    let (server, mallory, ca) = server_and_mallory("flip", &["--attack", "flip"]);
    let out = client(&mallory, &ca, &format!("{REQUEST}\n"));
    // The client hears the server's alert.
    client_failed(&out, "peer sent alert bad_record_mac");
    assert_eq!(text(&out.stdout), "");
    assert!(
        mallory.wait_stdout(
            "application data record #1: FLIPPED wire bytes 26..36 (\"amount=100\" -> \"amount=900\")", 1),
        "{}",
        mallory.stdout()
    );
    assert!(
        server.wait_stderr("dropped: record failed authentication (bad_record_mac)"),
        "{}",
        server.stderr()
    );
    // Neither the forged amount nor the real one was printed.
    assert!(server.printed_messages().is_empty(), "{}", server.stdout());
    let _ = fs::remove_file(ca);
}

#[test]
fn replay_fails_on_the_sequence_number_in_the_nonce() {
    let (server, mallory, ca) = server_and_mallory("replay", &["--attack", "replay"]);
    let out = client(&mallory, &ca, &format!("{REQUEST}\n{SECOND}\n"));
    // The first line was echoed; then the server's alert ended the session.
    client_failed(&out, "peer sent alert bad_record_mac");
    assert_eq!(text(&out.stdout), format!("{REQUEST}\n"));
    assert!(
        mallory.wait_stdout("application data record #1: forwarded, then REPLAYED", 1),
        "{}",
        mallory.stdout()
    );
    assert!(
        server.wait_stderr("dropped: record failed authentication (bad_record_mac)"),
        "{}",
        server.stderr()
    );
    // The original once, the copy never (and nothing after it).
    assert_eq!(server.printed_messages(), [REQUEST]);
    let _ = fs::remove_file(ca);
}

#[test]
fn reflect_fails_on_the_other_directions_key() {
    let (server, mallory, ca) = server_and_mallory("reflect", &["--attack", "reflect"]);
    let out = client(&mallory, &ca, &format!("{REQUEST}\n"));
    // The client opened its own record with the server's key: refused.
    client_failed(&out, "record failed authentication (bad_record_mac)");
    assert_eq!(text(&out.stdout), "");
    assert!(
        mallory.wait_stdout(
            "application data record #1: REFLECTED back to the client",
            1
        ),
        "{}",
        mallory.stdout()
    );
    // The server finished the handshake, then heard nothing but a cut.
    assert!(server.wait_stderr("dropped: "), "{}", server.stderr());
    assert!(server.printed_messages().is_empty(), "{}", server.stdout());
    let _ = fs::remove_file(ca);
}

#[test]
fn mitm_with_her_own_ca_is_refused_by_the_client() {
    let (server, mallory, ca) = server_and_mallory("mitm", &["--attack", "mitm"]);
    let out = client(&mallory, &ca, &format!("{REQUEST}\n"));
    client_failed(
        &out,
        "server certificate rejected: not issued by a CA in --ca (UnknownIssuer)",
    );
    assert_eq!(text(&out.stdout), "");
    assert!(
        mallory.wait_stdout("the client REFUSED it (peer sent alert unknown_ca)", 1),
        "{}",
        mallory.stdout()
    );
    assert!(
        mallory.wait_stdout(
            "a certificate for localhost signed by my own throwaway CA",
            1
        ),
        "{}",
        mallory.stdout()
    );
    assert!(
        !mallory.stdout().contains("plaintext"),
        "{}",
        mallory.stdout()
    );
    // The server got a connection and no ClientHello at all.
    assert!(
        server.wait_stderr("handshake failed: peer closed the connection during the handshake"),
        "{}",
        server.stderr()
    );
    assert!(server.printed_messages().is_empty(), "{}", server.stdout());
    let _ = fs::remove_file(ca);
}

/// The other side of the same coin: a client that trusts Mallory's CA is
/// fooled completely. The CA file is the whole protection.
#[test]
fn mitm_reads_everything_from_a_client_that_trusts_her_ca() {
    let (server, server_ca) = server("mitm-trusted", &[]);
    let her_ca = scratch("lesson11-mitm-mallory-ca.pem");
    let args = [
        "--upstream",
        server.addr.as_str(),
        "--lesson",
        "11",
        "--attack",
        "mitm",
        "--ca-out",
        her_ca.to_str().unwrap(),
        "--ca",
        server_ca.to_str().unwrap(),
    ];
    let mallory = Server::start("mallory", &args);
    let out = client(&mallory, &her_ca, &format!("{REQUEST}\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{REQUEST}\n"));
    assert!(
        mallory.wait_stdout(&format!("plaintext \"{REQUEST}\""), 1),
        "{}",
        mallory.stdout()
    );
    assert!(mallory.wait_stdout("the client ACCEPTED my certificate", 1));
    // The real server served Mallory, not the client.
    assert_eq!(server.printed_messages(), [REQUEST]);
    let _ = fs::remove_file(server_ca);
    let _ = fs::remove_file(her_ca);
}

#[test]
fn the_tools_list_lesson_11_in_their_help_and_errors() {
    let out = run_client("mallory", &["--attack", "flip"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--lesson N (1, 2, 3, 5, 9, 10 or 11)"),
        "{}",
        text(&out.stderr)
    );
    let out = run_client("mallory", &["--attack", "mitm", "--lesson", "3"], b"");
    assert!(
        text(&out.stderr).contains("--attack mitm is for lesson 9, 10 or 11"),
        "{}",
        text(&out.stderr)
    );
    for tool in ["eve", "mallory"] {
        let out = run_client(tool, &["--help"], b"");
        assert!(out.status.success());
        assert!(
            text(&out.stdout).contains("1, 2, 3, 5, 9, 10 or 11"),
            "{}",
            text(&out.stdout)
        );
    }
}
