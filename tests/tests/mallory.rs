//! Mallory, end to end: every attack once against the lesson it breaks and
//! once against the lesson that stops it, with what each side saw.
//!
//! | attack  | succeeds against          | fails against                      |
//! |---------|---------------------------|------------------------------------|
//! | flip    | lesson 3 (CTR, no tag)    | lesson 9: bad tag, dropped         |
//! | replay  | lesson 3; lesson 9 random | lesson 9 `--nonce counter`         |
//! | reflect | lesson 3 (one shared key) | lesson 9: a key per direction      |
//! | mitm    | lesson 9 (no auth)        | lesson 10: the signature check     |
//! |         |                           | (`tests/tests/lesson10.rs`); here: |
//! |         |                           | the key logs show two sessions     |

use std::fs;
use std::path::PathBuf;

use e2e::*;

const REQUEST: &str = "GET /transfer?to=bob&amount=100 HTTP/1.1";
const FLIPPED: &str = "GET /transfer?to=bob&amount=900 HTTP/1.1";

/// A lesson server with Mallory in front of it.
fn server_and_mallory(server: &str, server_args: &[&str], attack: &[&str]) -> (Server, Server) {
    let server = Server::start(server, server_args);
    let mut args = vec!["--upstream", server.addr.as_str()];
    args.extend_from_slice(attack);
    let mallory = Server::start("mallory", &args);
    (server, mallory)
}

// ------------------------------------------------------------------ flip

#[test]
fn flip_turns_amount_100_into_900_on_lesson3() {
    let (server, mallory) = server_and_mallory(
        "3-ctr-echo-server",
        &[],
        &["--attack", "flip", "--lesson", "3"],
    );
    let out = run_client(
        "3-ctr-echo-client",
        &["--addr", &mallory.addr],
        format!("{REQUEST}\n").as_bytes(),
    );
    // The client finds out only because this server echoes: the echo
    // (the server's view, 900) is not what it sent. A real bank would not
    // echo; it would just move the money.
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "");
    assert!(
        text(&out.stderr).contains("the echo is not what we sent: someone changed it on the way"),
        "{}",
        text(&out.stderr)
    );
    // The server decrypted Mallory's edit without a murmur.
    assert!(server.wait_stdout("client disconnected", 1));
    assert_eq!(server.printed_messages(), [FLIPPED]);
    assert!(!server.stderr().contains("dropped"), "{}", server.stderr());
    // Mallory says what she did, and she never had the key.
    assert!(
        mallory.wait_stdout("FLIPPED wire bytes 41..51", 1),
        "{}",
        mallory.stdout()
    );
}

#[test]
fn flip_is_caught_by_the_lesson9_tag() {
    let (server, mallory) =
        server_and_mallory("9-echo-server", &[], &["--attack", "flip", "--lesson", "9"]);
    let out = run_client(
        "9-echo-client",
        &["--addr", &mallory.addr],
        format!("{REQUEST}\nsecond line\n").as_bytes(),
    );
    assert!(mallory.wait_stdout("FLIPPED", 1), "{}", mallory.stdout());
    // The server refused the record before decrypting it, and said why.
    assert!(
        server.wait_stderr("dropped: record failed authentication (bad tag)"),
        "{}",
        server.stderr()
    );
    assert!(
        server.printed_messages().is_empty(),
        "server accepted {:?}",
        server.printed_messages()
    );
    // The client lost its connection and says so; it printed no echo.
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "");
    // (The first line is 40 bytes; the hint names the likely causes.)
    assert!(
        text(&out.stderr).contains(
            "9-echo-client: the server closed the connection after echoing 0 of 40 bytes: \
             the server may have dropped us (see its log)"
        ),
        "{}",
        text(&out.stderr)
    );
}

// ---------------------------------------------------------------- replay

/// Runs `replay` on the first record of a two-line session.
fn replay(
    server: &str,
    client: &str,
    lesson: &str,
    nonce: &[&str],
) -> (Server, Server, std::process::Output) {
    let (server, mallory) =
        server_and_mallory(server, nonce, &["--attack", "replay", "--lesson", lesson]);
    let mut args = vec!["--addr", mallory.addr.as_str()];
    args.extend_from_slice(nonce);
    let out = run_client(client, &args, b"pay bob 100\nthanks\n");
    (server, mallory, out)
}

#[test]
fn replay_pays_bob_twice_on_lesson3() {
    let (server, mallory, out) = replay("3-ctr-echo-server", "3-ctr-echo-client", "3", &[]);
    // Mallory swallowed the answer to her copy: the client sees a normal
    // session.
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "pay bob 100\nthanks\n");
    assert!(server.wait_stdout("client disconnected", 1));
    assert_eq!(
        server.printed_messages(),
        ["pay bob 100", "pay bob 100", "thanks"]
    );
    assert!(mallory.wait_stdout("REPLAYED", 1), "{}", mallory.stdout());
    assert!(mallory.wait_stdout("SWALLOWED", 1), "{}", mallory.stdout());
}

#[test]
fn replay_also_works_on_lesson9_with_random_nonces() {
    let (server, _mallory, out) = replay("9-echo-server", "9-echo-client", "9", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "pay bob 100\nthanks\n");
    assert!(server.wait_stdout("client disconnected", 1));
    // An authentic record is authentic twice: the tag cannot help here.
    assert_eq!(
        server.printed_messages(),
        ["pay bob 100", "pay bob 100", "thanks"]
    );
}

#[test]
fn replay_is_caught_by_lesson9_counter_nonces() {
    let (server, mallory, out) = replay(
        "9-echo-server",
        "9-echo-client",
        "9",
        &["--nonce", "counter"],
    );
    assert!(mallory.wait_stdout("REPLAYED", 1));
    assert!(
        server.wait_stderr("dropped: unexpected nonce 000000000000000000000000 (wanted counter 1)"),
        "{}",
        server.stderr()
    );
    // The first copy was genuine and served; the second never was.
    assert_eq!(server.printed_messages(), ["pay bob 100"]);
    // The client got its first echo, then lost the connection.
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "pay bob 100\n");
    assert!(
        text(&out.stderr).contains(
            "the server closed the connection after echoing 0 of 6 bytes: \
             the server may have dropped us (see its log)"
        ),
        "{}",
        text(&out.stderr)
    );
}

// --------------------------------------------------------------- reflect

#[test]
fn reflect_fools_the_lesson3_client() {
    let (server, mallory) = server_and_mallory(
        "3-ctr-echo-server",
        &[],
        &["--attack", "reflect", "--lesson", "3"],
    );
    let out = run_client(
        "3-ctr-echo-client",
        &["--addr", &mallory.addr],
        b"is this the server?\nyes it is\n",
    );
    // The client decrypted its own records with the one shared key and
    // took them for the server's answers...
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
fn reflect_is_caught_by_lesson9_direction_keys() {
    let (server, mallory) = server_and_mallory(
        "9-echo-server",
        &[],
        &["--attack", "reflect", "--lesson", "9"],
    );
    let out = run_client(
        "9-echo-client",
        &["--addr", &mallory.addr],
        b"is this the server?\n",
    );
    assert!(mallory.wait_stdout("REFLECTED", 1));
    // The client reads with s2c; its own record was sealed with c2s.
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "");
    // The client names the likely cause in the same line.
    assert!(
        text(&out.stderr).contains(
            "9-echo-client: record failed authentication (bad tag): \
             someone changed it on the way"
        ),
        "{}",
        text(&out.stderr)
    );
    assert!(server.printed_messages().is_empty());
}

// ------------------------------------------------------------------ mitm

fn temp_file(name: &str) -> PathBuf {
    let path = scratch(&format!("mallory-{name}"));
    let _ = fs::remove_file(&path);
    path
}

#[test]
fn mitm_reads_and_rewrites_lesson9_and_neither_side_can_tell() {
    let (server, mallory) = server_and_mallory(
        "9-echo-server",
        &[],
        &["--attack", "mitm", "--rewrite", "amount=100:amount=900"],
    );
    let input = format!("hello secret world\n{REQUEST}\n");
    let out = run_client(
        "9-echo-client",
        &["--addr", &mallory.addr],
        input.as_bytes(),
    );
    // The client got exactly the echo it expected.
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    // The server served a normal, authenticated session, of Mallory's text.
    assert!(server.wait_stdout("client disconnected", 1));
    assert_eq!(server.printed_messages(), ["hello secret world", FLIPPED]);
    assert!(!server.stderr().contains("dropped"));
    // Mallory read both directions in the clear.
    assert!(mallory.wait_stdout("server -> client", 2));
    let seen = mallory.stdout();
    assert!(
        seen.contains("client -> server  plaintext \"hello secret world\""),
        "{seen}"
    );
    assert!(
        seen.contains("server -> client  plaintext \"hello secret world\""),
        "{seen}"
    );
    assert!(
        seen.contains(&format!("REWRITTEN to \"{FLIPPED}\"")),
        "{seen}"
    );
}

/// Lesson 9 cannot stop Mallory, but the damage is visible from outside:
/// the client and the server did not share one session, they each had one
/// with her. Their key logs disagree about the client's public key. Lesson
/// 10's signature turns that mismatch into a refused connection.
#[test]
fn mitm_leaves_two_different_sessions_in_the_key_logs() {
    let (client_log, server_log) = (temp_file("client.log"), temp_file("server.log"));
    let server_log_arg = server_log.to_str().unwrap().to_string();
    let (server, mallory) = server_and_mallory(
        "9-echo-server",
        &["--keylog", &server_log_arg],
        &["--attack", "mitm"],
    );
    let client_args = ["--keylog", client_log.to_str().unwrap()];
    // Directly: one session, the same key-log lines at both ends.
    let direct: Vec<&str> = ["--addr", &server.addr]
        .into_iter()
        .chain(client_args)
        .collect();
    assert!(
        run_client("9-echo-client", &direct, b"hi\n")
            .status
            .success()
    );
    // Through Mallory.
    let tapped: Vec<&str> = ["--addr", &mallory.addr]
        .into_iter()
        .chain(client_args)
        .collect();
    assert!(
        run_client("9-echo-client", &tapped, b"hi\n")
            .status
            .success()
    );
    assert!(server.wait_stdout("client disconnected", 2));
    let client_lines = fs::read_to_string(&client_log).unwrap();
    let server_lines = fs::read_to_string(&server_log).unwrap();
    let _ = fs::remove_file(&client_log);
    let _ = fs::remove_file(&server_log);
    let client: Vec<&str> = client_lines.lines().collect();
    let server_side: Vec<&str> = server_lines.lines().collect();
    assert_eq!(client.len(), 4);
    assert_eq!(server_side.len(), 4);
    assert_eq!(client[..2], server_side[..2], "direct: one shared session");
    assert_ne!(client[2], server_side[2], "through Mallory: two sessions");
    let id = |line: &str| line.split_whitespace().nth(1).map(str::to_string);
    assert_ne!(id(client[2]), id(server_side[2]));
}

// ------------------------------------------------------------ user errors

#[test]
fn mallory_explains_flag_mistakes() {
    // Clap's own checks: its whole message, with the possible values.
    let out = run_client("mallory", &["--attack", "teleport"], b"");
    assert_usage_error(&out, "[possible values: flip, replay, reflect, mitm]");
    // Mallory's own checks, for flags that parse but do not fit together:
    // one line each.
    for (args, says) in [
        (&["--attack", "flip"][..], "needs --lesson"),
        (&["--attack", "mitm", "--lesson", "3"][..], "for lesson 9"),
        (
            &[
                "--attack",
                "flip",
                "--lesson",
                "3",
                "--wanted",
                "amount=1000",
            ][..],
            "same length",
        ),
    ] {
        let out = run_client("mallory", args, b"");
        assert!(!out.status.success(), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
