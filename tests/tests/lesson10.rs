//! Lesson 10 end to end: `10-genkey`, `10-echo-server` and `10-echo-client`
//! used the way the lesson tells a learner to, and Mallory's four attacks
//! through the real `mallory` program.
//!
//! | attack  | lesson 10 result                                              |
//! |---------|---------------------------------------------------------------|
//! | mitm    | FAILS: the client's signature check refuses her handshake     |
//! | flip    | fails: bad tag (lesson 9's records)                           |
//! | replay  | fails with `--nonce counter`; WORKS with random nonces        |
//! | reflect | fails: a key per direction (lesson 8)                         |

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::*;
use tls::lesson10_authentication::identity::ServerIdentity;

const REQUEST: &str = "GET /transfer?to=bob&amount=100 HTTP/1.1";
/// The words the client uses when the signature does not verify.
const REFUSED: &str = "10-echo-client: server signature check failed";

/// A fresh server key file for one test, and the public key as hex.
fn server_key(name: &str) -> (PathBuf, String) {
    let path = scratch(&format!("lesson10-{name}.key"));
    let identity = ServerIdentity::generate().unwrap();
    identity.write_new(&path).unwrap();
    (path, identity.public_key().to_string())
}

/// `10-echo-server` with a new key (and `args`), and the key clients trust.
fn server(name: &str, args: &[&str]) -> (Server, String) {
    let (key, public) = server_key(name);
    let mut all = vec!["--key", key.to_str().unwrap()];
    all.extend_from_slice(args);
    (Server::start("10-echo-server", &all), public)
}

fn is_64_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ---------------------------------------------------------------- genkey

#[test]
fn genkey_prints_64_hex_digits_and_writes_a_private_file() {
    let path = scratch("lesson10-genkey.key");
    let out = run_client("10-genkey", &["--out", path.to_str().unwrap()], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Stdout is the public key and nothing else, so `> server.pub` works.
    let printed = text(&out.stdout);
    let public = printed.strip_suffix('\n').unwrap();
    assert!(is_64_hex(public), "{printed:?}");
    assert!(text(&out.stderr).contains("wrote the secret key to"));
    // The file holds the matching secret, readable by its owner only.
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    let identity = ServerIdentity::read(&path).unwrap();
    assert_eq!(identity.public_key().to_string(), public);
    let contents = fs::read_to_string(&path).unwrap();
    assert!(contents.contains(&format!("# public key: {public}")));
    // Two runs, two different keys.
    let other = scratch("lesson10-genkey-other.key");
    let again = run_client("10-genkey", &["--out", other.to_str().unwrap()], b"");
    assert_ne!(again.stdout, out.stdout);
    let _ = fs::remove_file(&path);
    let _ = fs::remove_file(&other);
}

#[test]
fn genkey_refuses_to_overwrite_a_file() {
    let path = scratch("lesson10-exists.key");
    fs::write(&path, "precious\n").unwrap();
    let out = run_client("10-genkey", &["--out", path.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "",
        "no key printed for a key not written"
    );
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("already exists; refusing to overwrite it"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "precious\n");
    let _ = fs::remove_file(&path);
    // Forgetting --out is clap's usage error.
    let out = Command::new(bin("10-genkey")).output().unwrap();
    assert_usage_error(&out, "--out <FILE>");
}

// ------------------------------------------------------------ round trips

#[test]
fn piped_stdin_round_trips_with_the_key_as_hex() {
    let (server, public) = server("round-trip", &[]);
    let long_line = "0123456789".repeat(20_000); // four records
    let input = format!("hello secret world\n\n{long_line}\n{REQUEST}\n");
    let args = ["--addr", server.addr.as_str(), "--server-key", &public];
    let out = run_client("10-echo-client", &args, input.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
    assert!(server.wait_stdout("client disconnected", 1));
    assert!(server.stdout().contains("] hello secret world"));
    // The server says which key it holds, so the learner can check it.
    assert!(
        server
            .stderr()
            .contains(&format!("server public key (give it to clients): {public}"))
    );
}

#[test]
fn server_key_from_a_file_written_by_genkey() {
    // The lesson's recipe: `10-genkey --out server.key > server.pub`.
    let key = scratch("lesson10-file.key");
    let public_file = scratch("lesson10-file.pub");
    let out = run_client("10-genkey", &["--out", key.to_str().unwrap()], b"");
    assert!(out.status.success());
    fs::write(&public_file, &out.stdout).unwrap();
    let server = Server::start("10-echo-server", &["--key", key.to_str().unwrap()]);
    let args = [
        "--addr",
        server.addr.as_str(),
        "--server-key",
        public_file.to_str().unwrap(),
    ];
    let out = run_client("10-echo-client", &args, b"from a file\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "from a file\n");
    let _ = fs::remove_file(&key);
    let _ = fs::remove_file(&public_file);
}

#[test]
fn counter_nonces_on_both_sides() {
    let (server, public) = server("counter", &["--nonce", "counter"]);
    let args = [
        "--addr",
        server.addr.as_str(),
        "--server-key",
        &public,
        "--nonce",
        "counter",
    ];
    let out = run_client("10-echo-client", &args, b"one\ntwo\nthree\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "one\ntwo\nthree\n");
}

// ------------------------------------------------------ the signature check

#[test]
fn a_wrong_server_key_is_refused_and_the_server_hears_nothing() {
    let (server, _right) = server("wrong-key", &[]);
    let (_, wrong) = server_key("wrong-key-other");
    let args = ["--addr", server.addr.as_str(), "--server-key", &wrong];
    let out = run_client("10-echo-client", &args, format!("{REQUEST}\n").as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(err.contains(REFUSED), "{err}");
    assert!(err.contains("someone may be in the middle"), "{err}");
    // The client hung up before its first record: nothing to print.
    assert!(server.wait_stdout("client disconnected", 1));
    assert!(
        server.printed_messages().is_empty(),
        "{:?}",
        server.printed_messages()
    );
}

#[test]
fn a_lesson9_server_is_named_not_waited_for_forever() {
    // Lesson 9's server sends its key and then waits for records: no
    // signature ever comes. The client gives up after its --timeout.
    let server = Server::start("9-echo-server", &[]);
    let (_, public) = server_key("lesson9-server");
    let args = [
        "--addr",
        server.addr.as_str(),
        "--server-key",
        &public,
        "--timeout",
        "2",
    ];
    let out = run_client("10-echo-client", &args, b"hello\n");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("10-echo-client: the server sent no signature after its public key"),
        "{err}"
    );
    assert!(err.contains("another lesson's server"), "{err}");
    assert!(server.printed_messages().is_empty());
}

#[test]
fn key_mistakes_end_with_one_clear_line() {
    let one_line = |out: &std::process::Output, says: &str| {
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    // The server without --key says how to make one.
    let out = Command::new(bin("10-echo-server")).output().unwrap();
    one_line(
        &out,
        "no server key: make one with `cargo run -p tls --bin 10-genkey -- --out server.key`",
    );
    // A key file that is not there, or not a key.
    let missing = scratch("lesson10-missing.key");
    let out = Command::new(bin("10-echo-server"))
        .args(["--key", missing.to_str().unwrap()])
        .output()
        .unwrap();
    one_line(&out, &format!("key file {}: ", missing.display()));
    let garbled = scratch("lesson10-garbled.key");
    fs::write(&garbled, "not a key at all\n").unwrap();
    let out = Command::new(bin("10-echo-server"))
        .args(["--key", garbled.to_str().unwrap()])
        .output()
        .unwrap();
    one_line(&out, "expected 64 hex digits");

    // The client without --server-key: clap's usage error.
    let out = Command::new(bin("10-echo-client")).output().unwrap();
    assert_usage_error(&out, "--server-key <HEX|FILE>");
    // A wrong key file path, checked before connecting.
    let out = run_client(
        "10-echo-client",
        &[
            "--addr",
            REFUSED_ADDR,
            "--server-key",
            missing.to_str().unwrap(),
        ],
        b"hi\n",
    );
    one_line(&out, "no such file (and not 64 hex digits either)");
    // 63 hex digits.
    let out = run_client(
        "10-echo-client",
        &["--addr", REFUSED_ADDR, "--server-key", &"a".repeat(63)],
        b"hi\n",
    );
    one_line(&out, "expected 64 hex digits, got 63");
    // The server's secret key file handed to the client by mistake.
    let (secret, _) = server_key("given-to-client");
    let out = run_client(
        "10-echo-client",
        &[
            "--addr",
            REFUSED_ADDR,
            "--server-key",
            secret.to_str().unwrap(),
        ],
        b"hi\n",
    );
    one_line(&out, "this is the server's SECRET key file");
    // --help shows how to run the pair.
    let out = Command::new(bin("10-echo-client"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("--server-key <HEX|FILE>"));
    // The wait before "the server sent no signature" (lessons/10-authentication.md).
    let help = text(&out.stdout);
    let timeout = help.split("--timeout <SECS>").nth(1).unwrap_or_default();
    assert!(timeout.contains("[default: 30]"), "{help}");
    let _ = fs::remove_file(&garbled);
    let _ = fs::remove_file(&secret);
}

/// Still broken in lesson 10: nothing marks the end of a conversation, so
/// a connection cut between two records (by the client, or by Mallory)
/// looks exactly like a goodbye.
#[test]
fn a_cut_between_records_looks_like_a_goodbye() {
    use std::net::TcpStream;
    use tls::lesson09_encrypted_echo::nonce::NonceMode;
    use tls::lesson10_authentication::channel;
    use tls::lesson10_authentication::identity::ServerPublicKey;
    use tls::runtime::message::{MessageReader, MessageWriter};
    use tls::runtime::socket::Socket;
    let (server, public) = server("cut", &[]);
    let trusted = ServerPublicKey::from_arg(&public).unwrap();
    let stream = TcpStream::connect(&server.addr).unwrap();
    let (mut reader, mut writer, _) =
        channel::connect(Socket::new(stream), &trusted, NonceMode::Random).unwrap();
    writer.write_message(b"pay bob 100").unwrap();
    assert_eq!(reader.read_message().unwrap(), Some(&b"pay bob 100"[..]));
    // "...and then pay carol 50" never arrives: the wire is cut here.
    drop((reader, writer));
    assert!(server.wait_stdout("client disconnected", 1));
    assert_eq!(server.printed_messages(), ["pay bob 100"]);
    assert!(!server.stderr().contains("dropped"), "{}", server.stderr());
}

// ---------------------------------------------------------------- mallory

/// `10-echo-server` with Mallory in front, and the key the client trusts.
fn server_and_mallory(
    name: &str,
    server_args: &[&str],
    attack: &[&str],
) -> (Server, Server, String) {
    let (server, public) = server(name, server_args);
    let mut args = vec!["--upstream", server.addr.as_str()];
    args.extend_from_slice(attack);
    let mallory = Server::start("mallory", &args);
    (server, mallory, public)
}

fn through_mallory(
    mallory: &Server,
    public: &str,
    extra: &[&str],
    input: &str,
) -> std::process::Output {
    let mut args = vec!["--addr", mallory.addr.as_str(), "--server-key", public];
    args.extend_from_slice(extra);
    run_client("10-echo-client", &args, input.as_bytes())
}

fn mitm_is_refused(signature: &str, mallory_says: &str) {
    let (server, mallory, public) = server_and_mallory(
        &format!("mitm-{signature}"),
        &[],
        &[
            "--attack",
            "mitm",
            "--lesson",
            "10",
            "--signature",
            signature,
            "--rewrite",
            "amount=100:amount=900",
        ],
    );
    let out = through_mallory(&mallory, &public, &[], &format!("{REQUEST}\n"));
    // The client refuses, says why, and exits non-zero.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(err.contains(REFUSED), "{err}");
    // Mallory saw the refusal and read nothing.
    assert!(
        mallory.wait_stdout("it REFUSED my signature", 1),
        "{}",
        mallory.stdout()
    );
    assert!(mallory.wait_stdout(mallory_says, 1), "{}", mallory.stdout());
    assert!(
        !mallory.stdout().contains("plaintext"),
        "{}",
        mallory.stdout()
    );
    // The server never saw the client's plaintext, nor Mallory's rewrite.
    assert!(server.wait_stdout("client disconnected", 1));
    assert!(
        server.printed_messages().is_empty(),
        "{:?}",
        server.printed_messages()
    );
}

#[test]
fn mitm_with_mallorys_own_signature_fails() {
    mitm_is_refused("own", "a valid signature by a throwaway key of mine");
}

#[test]
fn mitm_forwarding_the_real_servers_signature_fails() {
    mitm_is_refused("forward", "the server's own signature");
}

#[test]
fn flip_is_caught_by_the_tag() {
    let (server, mallory, public) =
        server_and_mallory("flip", &[], &["--attack", "flip", "--lesson", "10"]);
    let out = through_mallory(&mallory, &public, &[], &format!("{REQUEST}\n"));
    assert!(mallory.wait_stdout("FLIPPED", 1), "{}", mallory.stdout());
    assert!(
        server.wait_stderr("dropped: record failed authentication (bad tag)"),
        "{}",
        server.stderr()
    );
    assert!(server.printed_messages().is_empty());
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn replay_works_with_random_nonces() {
    // Honest about it: the signature authenticates the handshake, not the
    // order of records. An authentic record is authentic twice.
    let (server, mallory, public) = server_and_mallory(
        "replay-random",
        &[],
        &["--attack", "replay", "--lesson", "10"],
    );
    let out = through_mallory(&mallory, &public, &[], "pay bob 100\nthanks\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "pay bob 100\nthanks\n");
    assert!(mallory.wait_stdout("REPLAYED", 1));
    assert!(server.wait_stdout("client disconnected", 1));
    assert_eq!(
        server.printed_messages(),
        ["pay bob 100", "pay bob 100", "thanks"]
    );
}

#[test]
fn replay_is_caught_by_counter_nonces() {
    let counter = ["--nonce", "counter"];
    let (server, mallory, public) = server_and_mallory(
        "replay-counter",
        &counter,
        &["--attack", "replay", "--lesson", "10"],
    );
    let out = through_mallory(&mallory, &public, &counter, "pay bob 100\nthanks\n");
    assert!(mallory.wait_stdout("REPLAYED", 1));
    assert!(
        server.wait_stderr("dropped: unexpected nonce 000000000000000000000000 (wanted counter 1)"),
        "{}",
        server.stderr()
    );
    // The first copy was genuine and served; the second never was.
    assert!(server.wait_stdout("pay bob 100", 1));
    assert_eq!(server.printed_messages(), ["pay bob 100"]);
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "pay bob 100\n");
}

#[test]
fn reflect_is_caught_by_direction_keys() {
    let (server, mallory, public) =
        server_and_mallory("reflect", &[], &["--attack", "reflect", "--lesson", "10"]);
    let out = through_mallory(&mallory, &public, &[], "is this the server?\n");
    assert!(mallory.wait_stdout("REFLECTED", 1));
    assert!(!out.status.success());
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "10-echo-client: record failed authentication (bad tag): \
             someone changed it on the way"
        ),
        "{err}"
    );
    assert!(server.printed_messages().is_empty());
}

// -------------------------------------------------------------------- eve

#[test]
fn eve_sees_the_signature_in_the_clear_and_no_plaintext() {
    let (server, public) = server("eve", &[]);
    let eve = Server::start("eve", &["--upstream", &server.addr, "--lesson", "10"]);
    let args = ["--addr", eve.addr.as_str(), "--server-key", &public];
    let out = run_client("10-echo-client", &args, b"the eagle lands at dawn\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "the eagle lands at dawn\n");
    assert!(eve.wait_stderr("#1 closed"), "{}", eve.stderr());
    let seen = eve.stdout();
    for label in [
        "lesson 10 handshake: client's X25519 public key",
        "lesson 10 handshake: server's X25519 public key",
        "lesson 10 handshake: server's Ed25519 signature",
        "  signature ",
        "the server's Ed25519 signature over client key || server key",
        "lesson 10 record #1",
    ] {
        assert!(seen.contains(label), "Eve's dump has no {label:?}:\n{seen}");
    }
    // Exactly one signature, and the plaintext nowhere.
    assert_eq!(seen.matches("Ed25519 signature\n").count(), 1, "{seen}");
    assert!(!seen.contains("eagle"), "{seen}");
}

#[test]
fn keylog_lets_eve_decrypt_lesson10_as_on_lesson9() {
    let log = scratch("lesson10-keylog");
    let (server, public) = server("keylog", &[]);
    let eve = Server::start(
        "eve",
        &[
            "--upstream",
            &server.addr,
            "--lesson",
            "10",
            "--keylog",
            log.to_str().unwrap(),
        ],
    );
    let args = [
        "--addr",
        eve.addr.as_str(),
        "--server-key",
        &public,
        "--keylog",
        log.to_str().unwrap(),
    ];
    let out = run_client("10-echo-client", &args, b"hello secret world\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(eve.wait_stderr("#1 closed"), "{}", eve.stderr());
    let seen = eve.stdout();
    assert_eq!(
        seen.matches("(key log) \"hello secret world\"").count(),
        2,
        "{seen}"
    );
    let _ = fs::remove_file(&log);
}
