//! Lesson 11 against rustls 0.23, in process: a TLS 1.3 stack we did not
//! write, restricted to the course's configuration (TLS13_CHACHA20_POLY1305_SHA256,
//! X25519, an Ed25519 certificate), over loopback on port 0.
//!
//! Both directions exchange application data both ways and end with
//! close_notify; then each way a connection must be refused is shown, with
//! the error our side reports and the alert the other side receives.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::crypto::ring::{cipher_suite, default_provider, kx_group};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConnection, ServerConnection, StreamOwned, SupportedCipherSuite};
use tls::Error;
use tls::lesson11_real_tls13::certs::{ServerIdentity, ServerVerifier};
use tls::lesson11_real_tls13::channel::{self, SocketTlsReader, SocketTlsWriter};
use tls::lesson11_real_tls13::client::ClientConfig;
use tls::lesson11_real_tls13::padding::Padding;
use tls::lesson11_real_tls13::server::{Corruption, ServerConfig};
use tls::lesson11_real_tls13::{AlertDescription, TlsError};
use tls::runtime::message::{MessageReader, MessageWriter};
use tls::runtime::socket::Socket;

/// No test may hang: every socket read gives up after this.
const PATIENCE: Duration = Duration::from_secs(10);

/// A CA and a `localhost` server certificate, both Ed25519, made with rcgen
/// directly (not through our `certs.rs`): the rustls server's identity.
struct Pki {
    ca: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivatePkcs8KeyDer<'static>,
}

fn make_pki(ca_name: &str) -> Pki {
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name = rcgen::DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, ca_name);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    Pki {
        ca: ca.der().clone(),
        server_chain: vec![cert.der().clone()],
        server_key: PrivatePkcs8KeyDer::from(key.serialize_der()),
    }
}

/// A ring provider limited to the given suites and groups.
fn provider(
    suites: &[SupportedCipherSuite],
    groups: &[&'static dyn rustls::crypto::SupportedKxGroup],
) -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: suites.to_vec(),
        kx_groups: groups.to_vec(),
        ..default_provider()
    })
}

/// The course's configuration, as rustls names it.
fn course_provider() -> Arc<CryptoProvider> {
    provider(
        &[cipher_suite::TLS13_CHACHA20_POLY1305_SHA256],
        &[kx_group::X25519],
    )
}

fn rustls_server_config(pki: &Pki, provider: Arc<CryptoProvider>) -> Arc<rustls::ServerConfig> {
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            pki.server_chain.clone(),
            PrivateKeyDer::Pkcs8(pki.server_key.clone_key()),
        )
        .unwrap();
    Arc::new(config)
}

fn rustls_client_config(
    ca: &CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// Runs `serve` on the first connection to a fresh loopback port, in a
/// thread; returns the address and the thread's result.
fn one_connection<T: Send + 'static>(
    serve: impl FnOnce(TcpStream) -> T + Send + 'static,
) -> (SocketAddr, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        serve(stream)
    });
    (addr, handle)
}

/// Our client's configuration, trusting `ca` for `name`.
fn our_client(ca: &CertificateDer<'static>, name: &str) -> ClientConfig {
    ClientConfig {
        verifier: ServerVerifier::new(vec![ca.clone()], name).unwrap(),
        keylog: None,
        padding: Padding::NONE,
    }
}

/// Connects our client to `addr`.
fn connect(
    addr: SocketAddr,
    config: &ClientConfig,
) -> tls::Result<(SocketTlsReader, SocketTlsWriter)> {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    channel::connect(Socket::new(stream), config)
}

/// Our server with a fresh throwaway identity, and the CA to trust it.
fn our_server_config() -> (ServerConfig, CertificateDer<'static>) {
    let (identity, ca_pem) = ServerIdentity::generate().unwrap();
    let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap();
    (ServerConfig::new(identity, None), ca)
}

/// A rustls client connection to `addr`, stepped through its handshake.
fn rustls_client(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> StreamOwned<ClientConnection, TcpStream> {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(PATIENCE)).unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let connection = ClientConnection::new(config, name).unwrap();
    StreamOwned::new(connection, tcp)
}

/// Reads from a rustls stream until it has `n` bytes.
fn read_exactly<S: Read>(stream: &mut S, n: usize) -> io::Result<Vec<u8>> {
    let mut got = vec![0; n];
    stream.read_exact(&mut got)?;
    Ok(got)
}

#[test]
fn our_client_talks_to_a_rustls_server_both_ways_and_closes_cleanly() {
    let pki = make_pki("rustls test CA");
    let config = rustls_server_config(&pki, course_provider());
    let (addr, server) = one_connection(move |tcp| -> io::Result<Vec<u8>> {
        let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
        let ping = read_exactly(&mut tls, 19)?;
        tls.write_all(b"pong from rustls")?;
        // Read to the end: Ok(0) only after our client's close_notify.
        let mut rest = Vec::new();
        tls.read_to_end(&mut rest)?;
        assert!(rest.is_empty());
        tls.conn.send_close_notify();
        tls.flush()?;
        Ok(ping)
    });
    // Our client pads (--pad 256); rustls reads through it.
    let mut ours = our_client(&pki.ca, "localhost");
    ours.padding = Padding::to_multiple_of(256);
    let (mut reader, mut writer) = connect(addr, &ours).unwrap();
    writer.write_message(b"ping from lesson 11").unwrap();
    // rustls sends session tickets first; our reader skips them.
    assert_eq!(
        reader.read_message().unwrap(),
        Some(&b"pong from rustls"[..])
    );
    writer.close().unwrap();
    assert_eq!(
        reader.read_message().unwrap(),
        None,
        "rustls's close_notify"
    );
    assert_eq!(server.join().unwrap().unwrap(), b"ping from lesson 11");
}

#[test]
fn a_rustls_client_talks_to_our_server_through_the_echo_runtime() {
    // rustls strips the padding (RFC 8446 5.4) as any TLS 1.3 peer must:
    // with `--pad 256` our server's records, full ones included, still read.
    for padding in [Padding::NONE, Padding::to_multiple_of(256)] {
        rustls_client_through_the_echo_runtime(padding);
    }
}

fn rustls_client_through_the_echo_runtime(padding: Padding) {
    let (mut config, ca) = our_server_config();
    config.padding = padding;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let options = tls::runtime::options::ServerOptions {
        print_messages: false,
        ..Default::default()
    };
    thread::spawn(move || {
        tls::runtime::accept::serve(listener, options, move |socket| {
            channel::accept(socket, &config)
        })
    });
    let mut tls = rustls_client(addr, rustls_client_config(&ca, course_provider()));
    tls.write_all(b"hello from rustls").unwrap();
    assert_eq!(read_exactly(&mut tls, 17).unwrap(), b"hello from rustls");
    // A long message comes back whole, across records of at most 2^14.
    let long: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    tls.write_all(&long).unwrap();
    assert_eq!(read_exactly(&mut tls, long.len()).unwrap(), long);
    // Our close_notify answers rustls's: read_to_end ends with Ok, not an
    // "unexpected EOF" (which is what rustls reports for a truncation).
    tls.conn.send_close_notify();
    tls.flush().unwrap();
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

#[test]
fn key_updates_from_a_rustls_server_are_followed() {
    let pki = make_pki("rustls test CA");
    let config = rustls_server_config(&pki, course_provider());
    let (addr, server) = one_connection(move |tcp| -> io::Result<Vec<u8>> {
        let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
        let first = read_exactly(&mut tls, 6)?;
        // KeyUpdate with update_requested: we move on, and so must they.
        tls.conn.refresh_traffic_keys().unwrap();
        tls.write_all(b"new keys")?;
        let second = read_exactly(&mut tls, 7)?;
        Ok([first, second].concat())
    });
    let (mut reader, mut writer) = connect(addr, &our_client(&pki.ca, "localhost")).unwrap();
    writer.write_message(b"before").unwrap();
    assert_eq!(reader.read_message().unwrap(), Some(&b"new keys"[..]));
    // This record goes under our updated key; rustls only reads it if our
    // answer to its KeyUpdate came first.
    writer.write_message(b"after!!").unwrap();
    assert_eq!(server.join().unwrap().unwrap(), b"beforeafter!!");
}

#[test]
fn a_certificate_from_another_ca_is_refused() {
    let pki = make_pki("the server's CA");
    let stranger = make_pki("some other CA");
    let config = rustls_server_config(&pki, course_provider());
    let (addr, server) = one_connection(move |tcp| {
        let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
        tls.read(&mut [0; 1]).unwrap_err().to_string()
    });
    let refused = connect(addr, &our_client(&stranger.ca, "localhost")).unwrap_err();
    assert!(
        matches!(
            refused,
            Error::Tls(TlsError::BadCertificate(webpki::Error::UnknownIssuer))
        ),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("not issued by a CA in --ca"),
        "{refused}"
    );
    let at_rustls = server.join().unwrap();
    assert!(at_rustls.contains("UnknownCA"), "rustls saw: {at_rustls}");
}

#[test]
fn the_wrong_server_name_is_refused() {
    let pki = make_pki("rustls test CA");
    let config = rustls_server_config(&pki, course_provider());
    let (addr, server) = one_connection(move |tcp| {
        let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
        tls.read(&mut [0; 1]).unwrap_err().to_string()
    });
    let refused = connect(addr, &our_client(&pki.ca, "bank.example")).unwrap_err();
    assert!(
        matches!(
            refused,
            Error::Tls(TlsError::BadCertificate(
                webpki::Error::CertNotValidForName(_)
            ))
        ),
        "{refused}"
    );
    assert!(server.join().unwrap().contains("BadCertificate"));
}

/// Our server, corrupted as asked, on one connection; returns its error.
fn corrupted_server(
    corruption: Corruption,
) -> (SocketAddr, JoinHandle<Error>, CertificateDer<'static>) {
    let (config, ca) = our_server_config();
    let config = config.corrupt_for_testing_only(corruption);
    let (addr, handle) =
        one_connection(move |tcp| channel::accept(Socket::new(tcp), &config).unwrap_err());
    (addr, handle, ca)
}

#[test]
fn a_certificate_verify_that_does_not_verify_is_refused() {
    // Our client.
    let (addr, server, ca) = corrupted_server(Corruption::CertificateVerify);
    let refused = connect(addr, &our_client(&ca, "localhost")).unwrap_err();
    assert!(
        matches!(refused, Error::Tls(TlsError::BadSignature)),
        "{refused}"
    );
    assert!(refused.to_string().contains("CertificateVerify"));
    let at_server = server.join().unwrap();
    assert!(
        matches!(
            at_server,
            Error::Tls(TlsError::PeerAlert(AlertDescription::DECRYPT_ERROR))
        ),
        "{at_server}"
    );
    // And rustls agrees the signature is bad.
    let (addr, server, ca) = corrupted_server(Corruption::CertificateVerify);
    let mut tls = rustls_client(addr, rustls_client_config(&ca, course_provider()));
    let at_rustls = tls.write_all(b"x").and_then(|()| tls.flush()).unwrap_err();
    assert!(
        at_rustls.to_string().contains("BadSignature"),
        "{at_rustls}"
    );
    assert!(matches!(
        server.join().unwrap(),
        Error::Tls(TlsError::PeerAlert(_))
    ));
}

#[test]
fn a_finished_that_does_not_verify_is_refused() {
    let (addr, server, ca) = corrupted_server(Corruption::Finished);
    let refused = connect(addr, &our_client(&ca, "localhost")).unwrap_err();
    assert!(
        matches!(refused, Error::Tls(TlsError::BadFinished)),
        "{refused}"
    );
    assert!(matches!(
        server.join().unwrap(),
        Error::Tls(TlsError::PeerAlert(AlertDescription::DECRYPT_ERROR))
    ));
    let (addr, server, ca) = corrupted_server(Corruption::Finished);
    let mut tls = rustls_client(addr, rustls_client_config(&ca, course_provider()));
    let at_rustls = tls.write_all(b"x").and_then(|()| tls.flush()).unwrap_err();
    assert!(
        at_rustls.to_string().contains("cannot decrypt"),
        "{at_rustls}"
    );
    assert!(matches!(
        server.join().unwrap(),
        Error::Tls(TlsError::PeerAlert(_))
    ));
}

/// A rustls client with `provider` against our server: what each side says.
fn rustls_client_refused(provider: Arc<CryptoProvider>) -> (String, Error) {
    let (config, ca) = our_server_config();
    let (addr, server) =
        one_connection(move |tcp| channel::accept(Socket::new(tcp), &config).unwrap_err());
    let mut tls = rustls_client(addr, rustls_client_config(&ca, provider));
    let at_rustls = tls.write_all(b"x").and_then(|()| tls.flush()).unwrap_err();
    (at_rustls.to_string(), server.join().unwrap())
}

#[test]
fn a_client_without_x25519_gets_a_handshake_failure_alert() {
    let (at_rustls, ours) = rustls_client_refused(provider(
        &[cipher_suite::TLS13_CHACHA20_POLY1305_SHA256],
        &[kx_group::SECP256R1],
    ));
    assert!(matches!(ours, Error::Tls(TlsError::NoX25519)), "{ours}");
    assert_eq!(ours.to_string(), "peer offers no X25519 key exchange");
    assert!(at_rustls.contains("HandshakeFailure"), "{at_rustls}");
}

#[test]
fn a_client_without_chacha20_poly1305_gets_a_handshake_failure_alert() {
    let (at_rustls, ours) = rustls_client_refused(provider(
        &[
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_AES_256_GCM_SHA384,
        ],
        &[kx_group::X25519],
    ));
    assert!(
        matches!(ours, Error::Tls(TlsError::NoCommonCipherSuite)),
        "{ours}"
    );
    assert_eq!(
        ours.to_string(),
        "peer offers no TLS_CHACHA20_POLY1305_SHA256"
    );
    assert!(at_rustls.contains("HandshakeFailure"), "{at_rustls}");
}

#[test]
fn a_client_that_lists_x25519_without_a_share_needs_a_retry_we_do_not_do() {
    // rustls sends a key share for its first group only: P-256 here, with
    // X25519 listed second. Answering would take a HelloRetryRequest.
    let (at_rustls, ours) = rustls_client_refused(provider(
        &[cipher_suite::TLS13_CHACHA20_POLY1305_SHA256],
        &[kx_group::SECP256R1, kx_group::X25519],
    ));
    assert!(
        matches!(ours, Error::Tls(TlsError::NeedsHelloRetryRequest)),
        "{ours}"
    );
    assert!(ours.to_string().contains("HelloRetryRequest"));
    assert!(at_rustls.contains("HandshakeFailure"), "{at_rustls}");
}

#[test]
fn our_client_gets_an_alert_not_a_hang_from_an_aes_only_server() {
    for provider in [
        provider(
            &[cipher_suite::TLS13_AES_256_GCM_SHA384],
            &[kx_group::X25519],
        ),
        provider(
            &[cipher_suite::TLS13_CHACHA20_POLY1305_SHA256],
            &[kx_group::SECP256R1],
        ),
    ] {
        let pki = make_pki("rustls test CA");
        let config = rustls_server_config(&pki, provider);
        let (addr, server) = one_connection(move |tcp| {
            let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
            tls.read(&mut [0; 1]).unwrap_err().to_string()
        });
        let refused = connect(addr, &our_client(&pki.ca, "localhost")).unwrap_err();
        assert!(
            matches!(
                refused,
                Error::Tls(TlsError::PeerAlert(AlertDescription::HANDSHAKE_FAILURE))
            ),
            "{refused}"
        );
        assert_eq!(refused.to_string(), "peer sent alert handshake_failure");
        let at_rustls = server.join().unwrap();
        // rustls: "peer is incompatible: NoCipherSuitesInCommon" (or NoKxGroupsInCommon).
        assert!(at_rustls.contains("peer is incompatible"), "{at_rustls}");
    }
}

#[test]
fn a_cut_connection_is_reported_as_truncation_both_ways() {
    // A rustls server that sends, then closes TCP without close_notify.
    let pki = make_pki("rustls test CA");
    let config = rustls_server_config(&pki, course_provider());
    let (addr, server) = one_connection(move |tcp| {
        let mut tls = StreamOwned::new(ServerConnection::new(config).unwrap(), tcp);
        read_exactly(&mut tls, 2).unwrap();
        tls.write_all(b"amount=100").unwrap();
        tls.flush().unwrap();
        // Dropping the stream closes the socket: no close_notify.
    });
    let (mut reader, mut writer) = connect(addr, &our_client(&pki.ca, "localhost")).unwrap();
    writer.write_message(b"hi").unwrap();
    assert_eq!(reader.read_message().unwrap(), Some(&b"amount=100"[..]));
    server.join().unwrap();
    let cut = reader.read_message().unwrap_err();
    assert!(matches!(cut, Error::Tls(TlsError::Truncated)), "{cut}");
    assert!(cut.to_string().contains("without close_notify"));

    // A rustls client that does the same to our server.
    let (config, ca) = our_server_config();
    let (addr, server) = one_connection(move |tcp| {
        let (mut reader, _writer) = channel::accept(Socket::new(tcp), &config).unwrap();
        assert_eq!(reader.read_message().unwrap(), Some(&b"amount=100"[..]));
        reader.read_message().unwrap_err()
    });
    let mut tls = rustls_client(addr, rustls_client_config(&ca, course_provider()));
    tls.write_all(b"amount=100").unwrap();
    tls.flush().unwrap();
    drop(tls);
    assert!(matches!(
        server.join().unwrap(),
        Error::Tls(TlsError::Truncated)
    ));
}

#[test]
fn an_oversized_record_is_refused_with_record_overflow() {
    // In the clear, as the very first record: the header alone is refused.
    let (config, _) = our_server_config();
    let (addr, server) =
        one_connection(move |tcp| channel::accept(Socket::new(tcp), &config).unwrap_err());
    let mut raw = TcpStream::connect(addr).unwrap();
    raw.set_read_timeout(Some(PATIENCE)).unwrap();
    // handshake record, 2^14 + 1 bytes announced; no body follows.
    raw.write_all(&[22, 3, 1, 0x40, 0x01]).unwrap();
    let mut alert = Vec::new();
    raw.read_to_end(&mut alert).unwrap();
    assert_eq!(
        alert,
        [21, 3, 3, 0, 2, 2, 22],
        "a plaintext record_overflow alert"
    );
    assert!(matches!(
        server.join().unwrap(),
        Error::Tls(TlsError::RecordOverflow(16385))
    ));

    // Encrypted, after a rustls handshake: 2^14 + 257 announced.
    let (config, ca) = our_server_config();
    let (addr, server) = one_connection(move |tcp| {
        let (mut reader, _writer) = channel::accept(Socket::new(tcp), &config).unwrap();
        reader.read_message().unwrap_err()
    });
    let mut tls = rustls_client(addr, rustls_client_config(&ca, course_provider()));
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).unwrap();
    }
    tls.sock.write_all(&[23, 3, 3, 0x41, 0x01]).unwrap();
    assert!(matches!(
        server.join().unwrap(),
        Error::Tls(TlsError::RecordOverflow(16641))
    ));
    let at_rustls = tls.read(&mut [0; 1]).unwrap_err();
    assert!(
        at_rustls.to_string().contains("RecordOverflow"),
        "{at_rustls}"
    );
}
