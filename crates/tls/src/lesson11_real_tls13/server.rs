//! The server's side of the TLS 1.3 handshake (RFC 8446 2), one step per
//! message, each next to the line that does it.
//!
//! ```text
//! <- ClientHello                    must offer our suite, X25519 share, ed25519
//! -> ServerHello                    our share: handshake keys now
//! -> {EncryptedExtensions}
//! -> {Certificate}
//! -> {CertificateVerify}            Ed25519 over the transcript
//! -> {Finished}                     HMAC over the transcript
//!    (one write for the whole flight)
//! <- {Finished}                     the client saw the same handshake
//!    application keys both ways
//! ```
//!
//! A client that offers nothing we speak gets a `handshake_failure` (or
//! `protocol_version`, `missing_extension`) alert and a one-line reason on
//! our side, naming what was missing.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use x25519_dalek::{EphemeralSecret, PublicKey};

use super::certs::ServerIdentity;
use super::client_hello::ClientHello;
use super::connection::{Connection, Established};
use super::key_schedule::{HandshakeSecrets, finished_verify_data, verify_finished};
use super::keylog::KeyLog;
use super::padding::Padding;
use super::server_hello::encode_server_hello;
use super::server_messages::{
    certificate_verify_content, encode_certificate, encode_certificate_verify,
    encode_encrypted_extensions, encode_finished,
};
use super::tls_error::TlsError;
use super::transcript::Transcript;
use super::{RANDOM_LEN, handshake_type};
use crate::error::{Error, Result};

/// What the server brings to every handshake.
#[derive(Debug)]
pub struct ServerConfig {
    /// The certificate chain and its private key.
    pub identity: ServerIdentity,
    /// Where to write the secrets, if `--keylog` was given.
    pub keylog: Option<Arc<KeyLog>>,
    /// How to pad what we send (`--pad`); none unless asked.
    pub padding: Padding,
    // Tests only: a deliberately broken server, to prove the client checks.
    corruption: Option<Corruption>,
}

/// A way to break our own server, so tests can show that a client (ours,
/// or rustls) refuses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// Flip a bit of the CertificateVerify signature.
    CertificateVerify,
    /// Flip a bit of the server Finished MAC.
    Finished,
}

impl ServerConfig {
    /// A server with this identity.
    pub fn new(identity: ServerIdentity, keylog: Option<Arc<KeyLog>>) -> ServerConfig {
        ServerConfig {
            identity,
            keylog,
            padding: Padding::NONE,
            corruption: None,
        }
    }

    /// What the program's flags ask for: the identity from `--cert` and
    /// `--key`, or a throwaway one whose CA certificate goes to `ca_out`
    /// (saying where, and how to use it, on stderr); and the key log.
    pub fn from_flags(
        cert_and_key: Option<(&Path, &Path)>,
        ca_out: &Path,
        addr: &str,
        keylog: Option<&Path>,
    ) -> Result<ServerConfig> {
        let identity = match cert_and_key {
            Some((cert, key)) => ServerIdentity::load(cert, key)?,
            None => {
                let identity = ServerIdentity::generate_into(ca_out)?;
                let ca = ca_out.display();
                // With port 0 the system picks the port: the hints say PORT,
                // and the "listening on" line that follows gives it.
                let port = match addr.rsplit_once(':').map_or("7878", |(_, port)| port) {
                    "0" => "PORT",
                    port => port,
                };
                let addr = match addr.rsplit_once(':') {
                    Some((host, "0")) => format!("{host}:PORT"),
                    _ => addr.to_string(),
                };
                status!(
                    "made a throwaway CA and a certificate for localhost; CA certificate: {ca}"
                );
                status!(
                    "  client: cargo run -p tls --bin 11-tls13-client -- --ca {ca} --addr {addr}"
                );
                status!(
                    "  curl (server with --http): curl --cacert {ca} \"https://localhost:{port}/transfer?to=bob&amount=100\""
                );
                identity
            }
        };
        let keylog = KeyLog::create_if(keylog)?.map(Arc::new);
        Ok(ServerConfig::new(identity, keylog))
    }

    /// ⚠️ Makes every handshake send a broken CertificateVerify or Finished.
    /// For tests that prove the peer refuses it; never for a real server.
    pub fn corrupt_for_testing_only(mut self, corruption: Corruption) -> ServerConfig {
        self.corruption = Some(corruption);
        self
    }
}

/// Runs the server handshake on `stream`. On failure the alert the error
/// calls for has been sent, and the error says what went wrong.
pub fn handshake<S: Read + Write>(stream: &mut S, config: &ServerConfig) -> Result<Established> {
    let mut connection = Connection::new(stream);
    // From EncryptedExtensions, our first encrypted record, on.
    connection.outgoing.pad(config.padding);
    run(&mut connection, config).map_err(|e| connection.fail(e))
}

fn run<S: Read + Write>(c: &mut Connection<'_, S>, config: &ServerConfig) -> Result<Established> {
    // Our key pair and random first: they do not depend on the client, so
    // the work overlaps with the client's (as in lesson 9).
    let ours = EphemeralSecret::random();
    let our_public = PublicKey::from(&ours);
    let mut server_random = [0; RANDOM_LEN];
    getrandom::fill(&mut server_random).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    let mut transcript = Transcript::new();

    // <- ClientHello (RFC 8446 4.1.2): the client's whole offer.
    let message = c.expect(handshake_type::CLIENT_HELLO)?;
    // A client in middlebox compatibility mode (curl, OpenSSL) now sends a
    // change_cipher_spec record; it is dropped.
    c.incoming.allow_compatibility_ccs();
    let hello = ClientHello::parse(message.body())?;
    // Our one configuration must be in the offer, or we say what is missing.
    let client_public = hello.choose()?;
    transcript.add(&message.bytes);

    // -> ServerHello (4.1.3): TLS 1.3, our suite, our X25519 share (lesson 7),
    //    and the client's session id echoed back.
    let server_hello =
        encode_server_hello(&server_random, &hello.session_id, our_public.as_bytes());
    transcript.add(&server_hello);
    c.send(&server_hello)?;
    // Middlebox compatibility (RFC 8446 D.4): a client that sent a session
    // id expects a change_cipher_spec right after the ServerHello.
    if !hello.session_id.is_empty() {
        c.outgoing.queue_change_cipher_spec();
    }

    // The shared X25519 secret (lesson 7); all zeros means a low-order point.
    let shared = ours.diffie_hellman(&PublicKey::from(client_public));
    if !shared.was_contributory() {
        return Err(TlsError::BadKeyShare.into());
    }
    // Handshake traffic secrets (lesson 8, RFC 8446 7.1), bound to
    // Transcript-Hash(ClientHello, ServerHello).
    let secrets = HandshakeSecrets::derive(shared.as_bytes(), &transcript.current());
    if let Some(keylog) = &config.keylog {
        keylog.log_handshake(&hello.random, &secrets)?;
    }
    // From here on, each direction encrypts under its own key (lesson 8),
    // with nonces counted per record (lesson 9).
    c.outgoing.set_key(&secrets.server);
    c.incoming.set_key(&secrets.client)?;

    // -> {EncryptedExtensions} (4.3.1): nothing to add.
    let extensions = encode_encrypted_extensions();
    transcript.add(&extensions);
    c.send(&extensions)?;

    // -> {Certificate} (4.4.2): our chain, end entity first.
    let certificate = encode_certificate(config.identity.chain());
    transcript.add(&certificate);
    c.send(&certificate)?;

    // -> {CertificateVerify} (4.4.3): Ed25519 over the transcript so far
    //    (lesson 10): proof that we hold the certificate's private key.
    let mut signature = config
        .identity
        .sign(&certificate_verify_content(&transcript.current()));
    if config.corruption == Some(Corruption::CertificateVerify) {
        signature[0] ^= 1;
    }
    let certificate_verify = encode_certificate_verify(&signature);
    transcript.add(&certificate_verify);
    c.send(&certificate_verify)?;

    // -> {Finished} (4.4.4): HMAC(our finished_key, transcript so far).
    let mut verify_data = finished_verify_data(&secrets.server, &transcript.current());
    if config.corruption == Some(Corruption::Finished) {
        verify_data[0] ^= 1;
    }
    let finished = encode_finished(&verify_data);
    transcript.add(&finished);
    c.send(&finished)?;
    // The whole flight leaves in one write.
    c.flush()?;

    // Application traffic secrets, bound to Transcript-Hash(CH..server Finished).
    let application = secrets.application(&transcript.current());
    if let Some(keylog) = &config.keylog {
        keylog.log_application(&hello.random, &application)?;
    }

    // <- {Finished} from the client: HMAC(client finished_key, CH..server
    //    Finished), checked in constant time (lesson 5). If Mallory changed
    //    any message on the way (a suite struck from the ClientHello, say),
    //    the transcripts differ and this fails.
    let message = c.expect(handshake_type::FINISHED)?;
    if !verify_finished(&secrets.client, &transcript.current(), message.body()) {
        return Err(TlsError::BadFinished.into());
    }
    // (The client Finished would enter the transcript for resumption
    // secrets; without resumption nothing needs it.)

    // Both sides now switch to application keys; the client's must start on
    // a record boundary (checked by `set_key`).
    c.incoming.set_key(&application.client)?;
    Ok(Established {
        client_random: hello.random,
        read_secret: application.client.clone(),
        write_secret: application.server.clone(),
        padding: config.padding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson11_real_tls13::client_hello;
    use crate::lesson11_real_tls13::connection::Outgoing;
    use crate::lesson11_real_tls13::record::ContentType;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// A byte stream in memory: reads come from `input`, writes pile up.
    struct Duplex<'a> {
        input: &'a [u8],
        output: Vec<u8>,
    }

    impl Read for Duplex<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Duplex<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.output.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn config() -> &'static ServerConfig {
        static CONFIG: OnceLock<ServerConfig> = OnceLock::new();
        CONFIG.get_or_init(|| ServerConfig::new(ServerIdentity::generate().unwrap().0, None))
    }

    /// A real first flight: our ClientHello in one plaintext record.
    fn client_flight() -> Vec<u8> {
        let hello = client_hello::encode(&[1; 32], &[9; 32], Some("localhost"));
        let mut out = Outgoing::new();
        out.queue(ContentType::Handshake, &hello).unwrap();
        let mut wire = Vec::new();
        out.flush(&mut wire).unwrap();
        wire
    }

    /// Runs the server on `input`; returns what it wrote, and its error.
    fn serve(input: &[u8]) -> (Vec<u8>, Error) {
        let mut stream = Duplex {
            input,
            output: Vec::new(),
        };
        let error = handshake(&mut stream, config()).expect_err("no client Finished was sent");
        (stream.output, error)
    }

    #[test]
    fn a_good_hello_gets_the_whole_flight_then_a_cut_is_reported() {
        let (written, error) = serve(&client_flight());
        // ServerHello in the clear, then encrypted records.
        assert_eq!(&written[..2], &[22, 3]);
        assert!(
            written.len() > 300,
            "EncryptedExtensions..Finished followed"
        );
        assert!(
            matches!(error, Error::Tls(TlsError::ClosedDuringHandshake)),
            "{error}"
        );
    }

    #[test]
    fn a_hello_without_our_suite_gets_a_plaintext_handshake_failure() {
        let mut flight = client_flight();
        // The suite list's one entry, 0x1303, sits after the record header
        // (5), handshake header (4), version (2), random (32), session id
        // length (1) and suite list length (2).
        let at = 5 + 4 + 2 + 32 + 1 + 2;
        assert_eq!(&flight[at..at + 2], &[0x13, 0x03]);
        flight[at + 1] = 0x01;
        let (written, error) = serve(&flight);
        assert_eq!(written, [21, 3, 3, 0, 2, 2, 40]);
        assert!(matches!(error, Error::Tls(TlsError::NoCommonCipherSuite)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn random_bytes_never_panic_the_server(input in prop::collection::vec(any::<u8>(), 0..600)) {
            let _ = serve(&input);
        }

        #[test]
        fn a_mutated_hello_never_panics_the_server(
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut flight = client_flight();
            for (at, byte) in flips {
                let at = at.index(flight.len());
                flight[at] = byte;
            }
            let keep = cut.index(flight.len() + 1);
            let _ = serve(&flight[..keep.max(1)]);
        }
    }
}
