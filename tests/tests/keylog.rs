//! `--keylog FILE` on the lesson 9 programs: what the file holds, that the
//! keys in it really decrypt the traffic, and that writing it is loud.

use std::fs;
use std::path::PathBuf;

use e2e::*;
use tls::lesson09_encrypted_echo::keylog;

fn temp_file(name: &str) -> PathBuf {
    let path = scratch(&format!("keylog-{name}"));
    let _ = fs::remove_file(&path);
    path
}

/// `LABEL <64 hex> <64 hex>`.
fn well_formed(line: &str, label: &str) -> bool {
    let words: Vec<&str> = line.split(' ').collect();
    words.len() == 3
        && words[0] == label
        && words[1..]
            .iter()
            .all(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn server_and_client_log_the_same_two_labelled_keys() {
    let (server_log, client_log) = (temp_file("server"), temp_file("client"));
    let server = Server::start("9-echo-server", &["--keylog", server_log.to_str().unwrap()]);
    // Loud: the server says it is writing secrets, and where.
    assert!(server.wait_stderr("WARNING: writing session keys to"));
    let out = run_client(
        "9-echo-client",
        &[
            "--addr",
            &server.addr,
            "--keylog",
            client_log.to_str().unwrap(),
        ],
        b"hello\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("WARNING: writing session keys to"));
    assert!(server.wait_stdout("client disconnected", 1));
    let server_text = fs::read_to_string(&server_log).unwrap();
    let client_text = fs::read_to_string(&client_log).unwrap();
    let _ = fs::remove_file(&server_log);
    let _ = fs::remove_file(&client_log);
    // Both ends derived the same keys for the same session.
    assert_eq!(server_text, client_text);
    let lines: Vec<&str> = server_text.lines().collect();
    assert_eq!(lines.len(), 2, "{server_text}");
    assert!(well_formed(lines[0], keylog::C2S_LABEL), "{}", lines[0]);
    assert!(well_formed(lines[1], keylog::S2C_LABEL), "{}", lines[1]);
    // Same session id on both lines, two different keys.
    let words: Vec<Vec<&str>> = lines.iter().map(|l| l.split(' ').collect()).collect();
    assert_eq!(words[0][1], words[1][1]);
    assert_ne!(words[0][2], words[1][2]);
}

#[cfg(unix)]
#[test]
fn a_new_key_log_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let log = temp_file("private");
    let server = Server::start("9-echo-server", &["--keylog", log.to_str().unwrap()]);
    let out = run_client("9-echo-client", &["--addr", &server.addr], b"hi\n");
    assert!(out.status.success());
    assert!(server.wait_stdout("client disconnected", 1));
    let mode = fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    let _ = fs::remove_file(&log);
    assert_eq!(mode, 0o600, "key log mode {mode:o}");
}

#[test]
fn without_the_flag_no_key_is_written_or_printed() {
    let server = Server::start("9-echo-server", &[]);
    let out = run_client("9-echo-client", &["--addr", &server.addr], b"hello\n");
    assert!(out.status.success());
    assert!(server.wait_stdout("client disconnected", 1));
    // No warning, and nothing that looks like a 32-byte key in hex, on any
    // of the four output streams.
    let looks_like_a_key = |s: &str| {
        s.split(|c: char| !c.is_ascii_hexdigit())
            .any(|word| word.len() >= 64)
    };
    for (what, output) in [
        ("server stdout", server.stdout()),
        ("server stderr", server.stderr()),
        ("client stdout", text(&out.stdout)),
        ("client stderr", text(&out.stderr)),
    ] {
        assert!(!output.contains("WARNING"), "{what}: {output}");
        assert!(!looks_like_a_key(&output), "{what}: {output}");
    }
}

/// The server alone logs; Eve, handed the same file, prints every record's
/// plaintext, both directions, the 200 KB line's pieces included.
#[test]
fn eve_decrypts_lesson9_with_the_servers_key_log() {
    let log = temp_file("eve");
    let log_arg = log.to_str().unwrap().to_string();
    let server = Server::start("9-echo-server", &["--keylog", &log_arg]);
    let eve = Server::start(
        "eve",
        &[
            "--upstream",
            &server.addr,
            "--lesson",
            "9",
            "--keylog",
            &log_arg,
        ],
    );
    let big = "z".repeat(200_000);
    let input = format!("attack at dawn\n{big}\nbye\n");
    let out = run_client("9-echo-client", &["--addr", &eve.addr], input.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    assert!(eve.wait_stderr("#1 closed"), "{}", eve.stderr());
    let _ = fs::remove_file(&log);
    let seen = eve.stdout();
    // Once per direction: the request and its echo.
    assert_eq!(
        seen.matches("(key log) \"attack at dawn\"").count(),
        2,
        "{seen}"
    );
    assert_eq!(seen.matches("(key log) \"bye\"").count(), 2, "{seen}");
    // The long line's records decrypt too (4 per direction).
    assert_eq!(seen.matches("(key log) \"zzzz").count(), 8, "{seen}");
    assert!(!seen.contains("does not decrypt"), "{seen}");
}

/// A key log of some other session decrypts nothing: keys belong to one
/// handshake, and Eve finds them by the client's public key.
#[test]
fn a_key_log_of_another_session_does_not_help() {
    let other_log = temp_file("other");
    let server = Server::start("9-echo-server", &[]);
    let first = run_client(
        "9-echo-client",
        &[
            "--addr",
            &server.addr,
            "--keylog",
            other_log.to_str().unwrap(),
        ],
        b"first\n",
    );
    assert!(first.status.success());
    let eve = Server::start(
        "eve",
        &[
            "--upstream",
            &server.addr,
            "--lesson",
            "9",
            "--keylog",
            other_log.to_str().unwrap(),
        ],
    );
    let out = run_client("9-echo-client", &["--addr", &eve.addr], b"second\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "second\n");
    assert!(eve.wait_stderr("#1 closed"));
    let _ = fs::remove_file(&other_log);
    let seen = eve.stdout();
    assert!(seen.contains("lesson 9 record #1"), "{seen}");
    assert!(!seen.contains("(key log)"), "{seen}");
    assert!(!seen.contains("second"), "{seen}");
}

#[test]
fn an_unwritable_key_log_is_one_clear_line() {
    let out = run_client(
        "9-echo-server",
        &[
            "--addr",
            "127.0.0.1:0",
            "--keylog",
            "/nonexistent-dir/keys.log",
        ],
        b"",
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("9-echo-server: key log /nonexistent-dir/keys.log:"),
        "{err}"
    );
}
