//! Lesson 11's two programs, `11-tls13-server` and `11-tls13-client`, run
//! the way lessons/11-real-tls13.md tells a learner to: the echo with the
//! throwaway CA, what each side prints, the certificate checks that refuse
//! a server, the key logs, and the mistakes that end in one line.
//!
//! Only Rust is needed here. OpenSSL, curl and tshark against the same
//! programs are the second tier (`tests/tests/external/*_lesson11.rs`).

use std::fs;
use std::path::{Path, PathBuf};

use e2e::*;
use tls::lesson11_real_tls13::certs::ServerIdentity;

/// A fresh scratch path for a test's CA file.
fn ca_path(name: &str) -> PathBuf {
    scratch(&format!("lesson11-{name}-ca.pem"))
}

/// `11-tls13-server` with its throwaway CA written to `ca`.
fn server(ca: &Path, args: &[&str]) -> Server {
    let mut all = vec!["--ca-out", ca.to_str().unwrap()];
    all.extend_from_slice(args);
    Server::start("11-tls13-server", &all)
}

/// `11-tls13-client --addr ADDR --ca CA ARGS` with `input` on stdin.
fn client(server: &Server, ca: &str, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut all = vec!["--addr", server.addr.as_str(), "--ca", ca];
    all.extend_from_slice(args);
    run_client("11-tls13-client", &all, input)
}

#[test]
fn the_echo_runs_over_tls13_with_the_throwaway_ca() {
    let ca = ca_path("echo");
    let server = server(&ca, &[]);
    // The server made a CA, wrote its certificate where it said, and told
    // the learner the two commands to run next.
    let said = server.stderr();
    assert!(
        said.contains(&format!(
            "made a throwaway CA and a certificate for localhost; CA certificate: {}",
            ca.display()
        )),
        "{said}"
    );
    assert!(said.contains("  client: cargo run -p tls --bin 11-tls13-client -- --ca "));
    assert!(said.contains("  curl (server with --http): curl --cacert "));
    assert!(
        fs::read_to_string(&ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    let out = client(&server, ca.to_str().unwrap(), &[], b"hello TLS\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello TLS\n");
    assert!(
        text(&out.stderr).contains(
            "TLS 1.3 with localhost: TLS_CHACHA20_POLY1305_SHA256, X25519, ed25519 certificate checked"
        ),
        "{}",
        text(&out.stderr)
    );
    assert!(
        server.wait_stdout("client disconnected", 1),
        "{}",
        server.stdout()
    );
    assert_eq!(server.printed_messages(), ["hello TLS"]);
    assert!(server.stdout().contains(": client connected"));
    assert!(!server.stderr().contains("dropped"), "{}", server.stderr());
    let _ = fs::remove_file(&ca);
}

#[test]
fn a_long_line_crosses_many_records_and_comes_back_whole() {
    // 100,000 bytes: seven records of at most 2^14 bytes each way.
    let ca = ca_path("long");
    let server = server(&ca, &[]);
    let line: Vec<u8> = (0..100_000).map(|i| b'a' + (i % 26) as u8).collect();
    let input = [line.as_slice(), b"\n"].concat();
    let out = client(&server, ca.to_str().unwrap(), &[], &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout, input);
    let _ = fs::remove_file(&ca);
}

#[test]
fn a_server_whose_certificate_another_ca_signed_is_refused() {
    let ca = ca_path("theirs");
    let mut server = server(&ca, &[]);
    // A CA of our own, which never signed the server's certificate.
    let ours = ca_path("ours");
    let (_, other_ca) = ServerIdentity::generate().unwrap();
    fs::write(&ours, other_ca).unwrap();
    let out = client(&server, ours.to_str().unwrap(), &[], b"amount=100\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        text(&out.stderr).lines().last().unwrap(),
        "11-tls13-client: server certificate rejected: not issued by a CA in --ca (UnknownIssuer)"
    );
    // The client said why with an alert; the server heard nothing else.
    assert!(
        server.wait_stderr("handshake failed: peer sent alert unknown_ca"),
        "{}",
        server.stderr()
    );
    assert!(server.printed_messages().is_empty());
    assert!(server.is_running());
    let _ = fs::remove_file(&ca);
    let _ = fs::remove_file(&ours);
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let ca = ca_path("name");
    let server = server(&ca, &[]);
    let ca_arg = ca.to_str().unwrap();
    let out = client(&server, ca_arg, &["--server-name", "bank.example"], b"hi\n");
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert!(
        said.contains(
            "11-tls13-client: server certificate rejected: not valid for the name we asked for"
        ),
        "{said}"
    );
    assert!(server.wait_stderr("handshake failed: peer sent alert bad_certificate"));
    // The certificate also names 127.0.0.1, so that name is accepted.
    let out = client(&server, ca_arg, &["--server-name", "127.0.0.1"], b"hi\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hi\n");
    let _ = fs::remove_file(&ca);
}

/// The echo client against a `--http` server (a learner mixing up the two
/// ways to run lesson 11): the server says in one line that this was not
/// an HTTP request, the client says the server dropped it, and the server
/// keeps running (curl against `--http` is in the second tier).
#[test]
fn the_echo_client_against_the_http_server_is_named_on_both_sides() {
    let ca = ca_path("http-echo");
    let mut server = server(&ca, &["--http"]);
    let out = client(&server, ca.to_str().unwrap(), &[], b"hello tls\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let said = text(&out.stderr);
    assert!(
        said.contains("the server may have dropped us (see its log)"),
        "{said}"
    );
    assert!(
        server.wait_stderr(
            "the client stopped sending before its HTTP request ended (--http answers one \
             HTTP request, from curl for example, not echo lines)"
        ),
        "{}",
        server.stderr()
    );
    assert!(server.is_running());
    let _ = fs::remove_file(&ca);
}

#[test]
fn both_key_logs_name_the_same_session() {
    let ca = ca_path("keylog");
    let (server_log, client_log) = (
        scratch("lesson11-server.keys"),
        scratch("lesson11-client.keys"),
    );
    let server = server(&ca, &["--keylog", server_log.to_str().unwrap()]);
    let ca_arg = ca.to_str().unwrap();
    let out = client(
        &server,
        ca_arg,
        &["--keylog", client_log.to_str().unwrap()],
        b"hello secret world\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Both programs say loudly that they are writing secrets.
    let warning = "WARNING: writing TLS secrets to";
    assert!(text(&out.stderr).contains(warning));
    assert!(server.stderr().contains(warning), "{}", server.stderr());
    assert!(server.wait_stdout("client disconnected", 1));
    let (at_client, at_server) = (
        fs::read_to_string(&client_log).unwrap(),
        fs::read_to_string(&server_log).unwrap(),
    );
    // Four secrets, each on a line with the ClientHello's random; the
    // server's lines are the client's: one session, the same keys.
    let labels: Vec<&str> = at_client
        .lines()
        .map(|line| line.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0",
            "SERVER_TRAFFIC_SECRET_0"
        ]
    );
    let randoms: Vec<&str> = at_client
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), 3, "{line}");
            assert!(fields[1..].iter().all(|f| f.len() == 64), "{line}");
            fields[1]
        })
        .collect();
    assert!(randoms.iter().all(|r| *r == randoms[0]), "{at_client}");
    let mut sorted_client: Vec<&str> = at_client.lines().collect();
    let mut sorted_server: Vec<&str> = at_server.lines().collect();
    sorted_client.sort_unstable();
    sorted_server.sort_unstable();
    assert_eq!(sorted_client, sorted_server);
    for path in [&ca, &server_log, &client_log] {
        let _ = fs::remove_file(path);
    }
}

#[test]
fn a_second_server_on_a_taken_port_leaves_the_first_one_s_ca_alone() {
    let ca = ca_path("taken-port");
    let first = server(&ca, &[]);
    let trusted = fs::read(&ca).unwrap();
    // The same command again (a second terminal, a forgotten server): it
    // must fail on the port before it writes a CA of its own over the file.
    let out = run_client(
        "11-tls13-server",
        &["--addr", &first.addr, "--ca-out", ca.to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on {}", first.addr)),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(fs::read(&ca).unwrap(), trusted, "the CA file was replaced");
    // And the first server's clients still trust it.
    let echoed = client(&first, ca.to_str().unwrap(), &[], b"still here\n");
    assert!(echoed.status.success(), "{}", text(&echoed.stderr));
    assert!(text(&echoed.stdout).contains("still here"));
}

#[test]
fn a_missing_ca_file_is_one_line() {
    let out = run_client(
        "11-tls13-client",
        &["--addr", REFUSED_ADDR, "--ca", "no-such-ca.pem"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.starts_with("11-tls13-client: --ca no-such-ca.pem: "),
        "{said}"
    );
    assert!(!said.contains("panicked"));
}

#[test]
fn usage_mistakes_are_shown_whole() {
    let out = run_client("11-tls13-server", &["--cert", "only.pem"], b"");
    assert_usage_error(&out, "--key <FILE>");
    let out = run_client("11-tls13-client", &["--keylgo", "x"], b"");
    assert_usage_error(&out, "--keylog");
}
