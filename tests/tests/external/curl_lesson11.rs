//! `11-tls13-server --http` against curl: the command the lesson text runs,
//! on a free port. curl is built on a TLS library we did not write
//! (OpenSSL on Debian), validates our server's certificate against the CA
//! file the server wrote, and checks the name `localhost`.
//!
//! Needs `curl` on PATH (Debian: `apt-get install -y curl`). Without it the
//! tests fail and print the install line.

use std::fs;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::process::{Command, Output};

use e2e::outside::{require_tool, scratch_dir};
use e2e::{Server, text};
use tls::lesson11_real_tls13::certs::ServerIdentity;

/// The request of the lesson's "done when".
const TRANSFER: &str = "/transfer?to=bob&amount=100";

/// Our server with `--http`, writing its throwaway CA to `ca`.
fn http_server(ca: &Path) -> Server {
    Server::start(
        "11-tls13-server",
        &["--http", "--ca-out", ca.to_str().unwrap()],
    )
}

/// `curl -sS -v --cacert CA https://localhost:PORT/PATH`.
///
/// The URL says `localhost`, the name in the server's certificate, and the
/// server listens on 127.0.0.1. Where `localhost` resolves to `::1` first,
/// `--resolve` pins the name to 127.0.0.1 for this port; curl still sends
/// and checks the name `localhost`.
fn curl(server: &Server, ca: &Path, path: &str) -> Output {
    require_tool("curl");
    Command::new("curl")
        .args(["-sS", "-v", "--max-time", "20", "--cacert"])
        .arg(ca)
        .args(localhost_pin(server))
        .arg(format!("https://localhost:{}{path}", port(server)))
        .output()
        .expect("cannot run curl")
}

/// The server's port.
fn port(server: &Server) -> u16 {
    server.addr.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// `--resolve localhost:PORT:127.0.0.1`, only where `localhost` does not
/// resolve to 127.0.0.1 first.
fn localhost_pin(server: &Server) -> Vec<String> {
    let port = port(server);
    let first = ("localhost", port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next());
    if first == Some(SocketAddr::from(([127, 0, 0, 1], port))) {
        Vec::new()
    } else {
        vec!["--resolve".into(), format!("localhost:{port}:127.0.0.1")]
    }
}

#[test]
fn curl_gets_the_http_answer_from_our_server() {
    let dir = scratch_dir("curl-http");
    let ca = dir.join("lesson11-ca.pem");
    let server = http_server(&ca);
    let out = curl(&server, &ca, TRANSFER);
    let (body, verbose) = (text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "curl failed ({}):\n{verbose}",
        out.status
    );
    assert_eq!(
        body,
        "lesson 11 server: got GET /transfer?to=bob&amount=100 over TLS 1.3 \
         (TLS_CHACHA20_POLY1305_SHA256, X25519, ed25519)\n"
    );
    // What curl's TLS library agreed and checked.
    for line in [
        "SSL connection using TLSv1.3 / TLS_CHACHA20_POLY1305_SHA256",
        "subjectAltName: host \"localhost\" matched cert's \"localhost\"",
        "SSL certificate verify ok.",
        "HTTP/1.1 200 OK",
    ] {
        assert!(
            verbose.contains(line),
            "curl -v never said {line:?}:\n{verbose}"
        );
    }
    // The server printed the request line it answered.
    assert!(
        server.wait_stdout("] GET /transfer?to=bob&amount=100 HTTP/1.1", 1),
        "{}",
        server.stdout()
    );
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn curl_refuses_our_server_under_another_ca_or_none() {
    // The control: the same request, trusting a CA that did not sign the
    // server's certificate. curl refuses (exit 60) before sending anything,
    // and its alert reaches our server. Then without --cacert at all.
    let dir = scratch_dir("curl-other-ca");
    let other = dir.join("other-ca.pem");
    let (_, other_ca) = ServerIdentity::generate().unwrap();
    fs::write(&other, other_ca).unwrap();
    let mut server = http_server(&dir.join("lesson11-ca.pem"));
    let out = curl(&server, &other, TRANSFER);
    let verbose = text(&out.stderr);
    assert_eq!(out.status.code(), Some(60), "{verbose}");
    assert!(
        verbose.contains("SSL certificate problem: unable to get local issuer certificate"),
        "{verbose}"
    );
    assert!(out.stdout.is_empty());
    assert!(
        server.wait_stderr("handshake failed: peer sent alert unknown_ca"),
        "{}",
        server.stderr()
    );
    assert!(!server.stdout().contains("GET"), "{}", server.stdout());
    assert!(server.is_running());

    // Without --cacert curl trusts only the system's CAs (exit 60 if it
    // has some, 77 if it has none): none of them signed our certificate.
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(localhost_pin(&server))
        .arg(format!("https://localhost:{}{TRANSFER}", port(&server)))
        .output()
        .expect("cannot run curl");
    assert!(
        matches!(out.status.code(), Some(60 | 77)),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert!(!server.stdout().contains("GET"), "{}", server.stdout());
    let _ = fs::remove_dir_all(&dir);
}
