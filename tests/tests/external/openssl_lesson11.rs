//! Lesson 11 against OpenSSL's own programs, `openssl s_server` and
//! `openssl s_client`: a TLS 1.3 stack we did not write, in a separate
//! process, restricted to the course's configuration
//! (TLS_CHACHA20_POLY1305_SHA256, X25519, Ed25519 certificates).
//!
//! The certificates for `s_server` are made by `openssl` itself (a CA and a
//! `localhost` server certificate, both Ed25519), with the commands the
//! lesson text gives, so nothing on the server's side of those tests comes
//! from our code or rcgen.
//!
//! Needs `openssl` 1.1.1 or later on PATH (Debian: `apt-get install -y
//! openssl`). Without it the tests fail and print the install line.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::outside::{Background, require_tool, scratch_dir};
use e2e::{Server, shown};

/// Restricts either OpenSSL program to what lesson 11 speaks.
const COURSE_SUITE: [&str; 5] = [
    "-tls1_3",
    "-ciphersuites",
    "TLS_CHACHA20_POLY1305_SHA256",
    "-groups",
    "X25519",
];

/// A CA and a `localhost` server certificate, all made by `openssl`.
struct OpensslPki {
    dir: PathBuf,
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

impl Drop for OpensslPki {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Runs `openssl ARGS` in `dir`; panics with its stderr if it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cannot run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The commands of lessons/11-real-tls13.md, "Our client, OpenSSL's
/// server", word for word (run in a directory of their own).
fn openssl_pki(name: &str) -> OpensslPki {
    require_tool("openssl");
    let dir = scratch_dir(name);
    // The CA: an Ed25519 key and a self-signed certificate (`req -x509`
    // marks it CA:TRUE).
    openssl(
        &dir,
        &["genpkey", "-algorithm", "ed25519", "-out", "ca.key"],
    );
    #[rustfmt::skip]
    openssl(&dir, &[
        "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=my test CA",
        "-days", "30", "-out", "ca.pem",
    ]);
    // The server: an Ed25519 key, a request, and the CA's signature on it,
    // with the name `localhost` where clients look for it.
    openssl(
        &dir,
        &["genpkey", "-algorithm", "ed25519", "-out", "server.key"],
    );
    #[rustfmt::skip]
    openssl(&dir, &[
        "req", "-new", "-key", "server.key", "-subj", "/CN=localhost", "-out", "server.csr",
    ]);
    fs::write(dir.join("server.ext"), "subjectAltName = DNS:localhost\n").unwrap();
    #[rustfmt::skip]
    openssl(&dir, &[
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "30", "-extfile", "server.ext", "-out", "server.pem",
    ]);
    OpensslPki {
        ca: dir.join("ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        dir,
    }
}

/// `openssl s_server` for one connection on a free loopback port, with the
/// course's suite and group, `pki`'s certificate and `extra` options;
/// returns it and its address once it is listening.
fn s_server(pki: &OpensslPki, extra: &[&str]) -> (Background, String) {
    let mut command = Command::new("openssl");
    command
        .args(["s_server", "-accept", "127.0.0.1:0", "-naccept", "1"])
        .args(COURSE_SUITE)
        .args(extra)
        .arg("-cert")
        .arg(&pki.server_cert)
        .arg("-key")
        .arg(&pki.server_key);
    let server = Background::start(command);
    // "ACCEPT 127.0.0.1:PORT": the port the system gave it.
    server.expect_stdout("ACCEPT 127.0.0.1:");
    let stdout = server.stdout();
    let addr = stdout
        .lines()
        .find_map(|line| line.strip_prefix("ACCEPT "))
        .unwrap()
        .trim()
        .to_string();
    (server, addr)
}

/// Our client, in `--chat` mode, against `addr`, trusting `ca`.
fn our_chat_client(addr: &str, ca: &Path) -> Background {
    let ca = ca.to_str().unwrap();
    let client = Background::ours("11-tls13-client", &["--addr", addr, "--ca", ca, "--chat"]);
    client.expect_stderr("connected to");
    client
}

#[test]
fn our_client_talks_to_openssl_s_server_both_ways_and_closes_cleanly() {
    let pki = openssl_pki("openssl-s-server");
    let (mut server, addr) = s_server(&pki, &[]);
    let mut client = our_chat_client(&addr, &pki.ca);
    // Our client checked OpenSSL's chain and name, and names what it agreed.
    assert!(
        client.stderr().contains(
            "TLS 1.3 with localhost: TLS_CHACHA20_POLY1305_SHA256, X25519, ed25519 certificate checked"
        ),
        "{}",
        client.report()
    );

    // Client to server: s_server prints what it receives, as it is (our
    // client sends the line without its newline).
    client.write_stdin(b"hello from lesson 11\n");
    server.expect_stdout("hello from lesson 11");
    // Server to client: a line typed at s_server arrives whole.
    server.write_stdin(b"hello from openssl\n");
    client.expect_stdout("hello from openssl\n");

    // The end of our stdin: our close_notify, s_server's in answer.
    client.close_stdin();
    let status = client.wait();
    let said = client.stderr();
    assert!(status.success(), "{}", client.report());
    assert!(said.contains("server closed the connection"), "{said}");
    assert!(!said.contains("close_notify"), "{said}");
    assert_eq!(client.stdout(), "hello from openssl\n\n");
    assert!(server.wait().success(), "{}", server.report());

    // What OpenSSL saw agreed: our suite, our group, our signature scheme,
    // and our close_notify ("DONE" is how s_server reports a clean end).
    let seen = server.stdout();
    for line in [
        "CIPHER is TLS_CHACHA20_POLY1305_SHA256",
        "Shared groups: x25519",
        "Shared Signature Algorithms: ed25519",
        "hello from lesson 11DONE",
    ] {
        assert!(seen.contains(line), "s_server never said {line:?}:\n{seen}");
    }
}

#[test]
fn openssl_s_server_hanging_up_without_close_notify_is_reported_as_truncation() {
    // At the end of its stdin, s_server closes the TCP connection first and
    // only then tries to send close_notify, which never leaves. That is
    // exactly what an attacker cutting the connection looks like.
    let pki = openssl_pki("openssl-truncation");
    let (mut server, addr) = s_server(&pki, &[]);
    let mut client = our_chat_client(&addr, &pki.ca);
    server.write_stdin(b"amount=100\n");
    client.expect_stdout("amount=100\n");
    server.close_stdin();
    let status = client.wait();
    assert_eq!(status.code(), Some(1), "{}", client.report());
    assert!(
        client
            .stderr()
            .contains("11-tls13-client: peer closed the connection without close_notify"),
        "{}",
        client.report()
    );
    assert!(!client.stderr().contains("server closed the connection"));
}

#[test]
fn our_client_refuses_a_server_that_asks_for_a_client_certificate() {
    // `-Verify 1`: s_server demands a client certificate, which lesson 11
    // does not have. Our client says so and aborts with an alert.
    let pki = openssl_pki("openssl-client-auth");
    let (mut server, addr) = s_server(&pki, &["-Verify", "1"]);
    let ca = pki.ca.to_str().unwrap();
    let out = e2e::run_client("11-tls13-client", &["--addr", &addr, "--ca", ca], b"hi\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        e2e::text(&out.stderr).trim_end(),
        "11-tls13-client: peer wants a client certificate (CertificateRequest), \
         which lesson 11 does not implement"
    );
    server.wait();
    let said = server.stdout() + &server.stderr();
    assert!(said.contains("alert handshake failure"), "{said}");
}

/// `openssl s_client` against `server`, trusting `ca`, checking the name
/// `localhost` and aborting on any verification error: the lesson's
/// command. It offers OpenSSL's usual suites and groups (AES-GCM first,
/// several groups); our server picks the one of each it speaks.
fn s_client(server: &Server, ca: &Path) -> Background {
    s_client_with(server, ca, &["-verify_return_error"])
}

/// `openssl s_client` as above, with `extra` options instead of
/// `-verify_return_error`.
fn s_client_with(server: &Server, ca: &Path, extra: &[&str]) -> Background {
    let mut command = Command::new("openssl");
    command
        .args(["s_client", "-connect", &server.addr, "-tls1_3", "-CAfile"])
        .arg(ca)
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .args(extra);
    Background::start(command)
}

#[test]
fn openssl_s_client_verifies_our_server_and_gets_its_echo() {
    require_tool("openssl");
    let dir = scratch_dir("openssl-s-client");
    let ca = dir.join("ca.pem");
    let mut server = Server::start("11-tls13-server", &["--ca-out", ca.to_str().unwrap()]);
    let mut client = s_client(&server, &ca);

    // s_client sends the line with its newline; our server echoes it.
    let line = b"hello from openssl s_client\n";
    client.write_stdin(line);
    client.expect_stdout("hello from openssl s_client\n");
    assert!(server.wait_stdout(&shown(line), 1), "{}", server.stdout());

    // The end of s_client's stdin: its close_notify, a clean goodbye.
    client.close_stdin();
    assert!(client.wait().success(), "{}", client.report());
    assert!(
        server.wait_stdout("client disconnected", 1),
        "{}",
        server.stdout()
    );
    assert!(!server.stderr().contains("dropped"), "{}", server.stderr());
    assert!(server.is_running());

    // What OpenSSL checked and agreed.
    let seen = client.stdout();
    for line in [
        "Verification: OK",
        "Verified peername: localhost",
        "Peer signature type: ed25519",
        "Server Temp Key: X25519",
        "New, TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256",
        // The throwaway certificate's dates, from rcgen's defaults.
        "NotAfter: Jan  1 00:00:00 4096 GMT",
    ] {
        assert!(seen.contains(line), "s_client never said {line:?}:\n{seen}");
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn openssl_s_client_refuses_our_server_under_another_ca_and_says_why() {
    // The control for "Verification: OK": a CA that did not sign our
    // server's certificate (openssl's own) makes s_client refuse, and our
    // server hears the alert.
    let pki = openssl_pki("openssl-other-ca");
    let ours = pki.dir.join("ours.pem");
    let mut server = Server::start("11-tls13-server", &["--ca-out", ours.to_str().unwrap()]);
    let mut client = s_client(&server, &pki.ca);
    client.close_stdin();
    assert!(!client.wait().success(), "{}", client.report());
    let said = client.stdout() + &client.stderr();
    assert!(
        said.contains("unable to get local issuer certificate"),
        "{said}"
    );
    assert!(
        server.wait_stderr("handshake failed: peer sent alert unknown_ca"),
        "{}",
        server.stderr()
    );
    assert!(server.is_running());
}

#[test]
fn without_verify_return_error_s_client_reports_a_failed_check_and_carries_on() {
    // Why the lesson's s_client command has -verify_return_error: without
    // it, a certificate nobody trusts is reported, and then used anyway.
    let pki = openssl_pki("openssl-lax-client");
    let ours = pki.dir.join("ours.pem");
    let server = Server::start("11-tls13-server", &["--ca-out", ours.to_str().unwrap()]);
    let mut client = s_client_with(&server, &pki.ca, &[]);
    client.write_stdin(b"sent to an unverified server\n");
    client.expect_stdout("sent to an unverified server\n");
    client.close_stdin();
    client.wait();
    let seen = client.stdout();
    assert!(
        seen.contains("Verification error: unable to verify the first certificate"),
        "{seen}"
    );
    assert!(server.wait_stdout("client disconnected", 1));
}

#[test]
fn a_certificate_with_the_name_only_in_its_common_name_is_refused() {
    // The same openssl commands without the subjectAltName line: the
    // certificate says CN=localhost and nothing else. Clients look for
    // names in subjectAltName only, so this certificate names no host.
    let pki = openssl_pki("openssl-cn-only");
    fs::write(pki.dir.join("cn.ext"), "basicConstraints = CA:FALSE\n").unwrap();
    #[rustfmt::skip]
    openssl(&pki.dir, &[
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "30", "-extfile", "cn.ext", "-out", "cn-only.pem",
    ]);
    let cn_only = OpensslPki {
        dir: scratch_dir("openssl-cn-only-server"),
        ca: pki.ca.clone(),
        server_cert: pki.dir.join("cn-only.pem"),
        server_key: pki.server_key.clone(),
    };
    let (_server, addr) = s_server(&cn_only, &[]);
    let ca = pki.ca.to_str().unwrap();
    let out = e2e::run_client("11-tls13-client", &["--addr", &addr, "--ca", ca], b"hi\n");
    assert_eq!(out.status.code(), Some(1));
    let said = e2e::text(&out.stderr);
    assert!(
        said.contains("server certificate rejected: not valid for the name we asked for"),
        "{said}"
    );
    assert!(said.contains("presented: []"), "{said}");
}
