//! The client's side of the TLS 1.3 handshake (RFC 8446 2, the full 1-RTT
//! handshake), one step per message, each next to the line that does it.
//!
//! ```text
//! -> ClientHello                    X25519 share, our suite, ed25519
//! <- ServerHello                    the server's share: handshake keys now
//! <- {EncryptedExtensions}
//! <- {Certificate}                  webpki: chain to --ca, name
//! <- {CertificateVerify}            Ed25519 over the transcript: holds the key
//! <- {Finished}                     HMAC over the transcript: nothing changed
//! -> {Finished}
//!    application keys both ways
//! ```
//!
//! The order is enforced simply by asking for the next message by type:
//! anything else is an `unexpected_message`. When any step fails, the
//! connection sends the alert the error calls for, then gives up.

use std::io::{Read, Write};
use std::sync::Arc;

use x25519_dalek::{EphemeralSecret, PublicKey};

use super::certs::{ServerVerifier, verify_signature};
use super::client_hello;
use super::connection::{Connection, Established};
use super::incoming::out_of_order;
use super::key_schedule::{HandshakeSecrets, finished_verify_data, verify_finished};
use super::keylog::KeyLog;
use super::padding::Padding;
use super::server_hello::ServerHello;
use super::server_messages::{
    certificate_verify_content, encode_finished, parse_certificate, parse_certificate_verify,
    parse_encrypted_extensions,
};
use super::tls_error::TlsError;
use super::transcript::Transcript;
use super::{RANDOM_LEN, handshake_type};
use crate::error::{Error, Result};

/// What the client brings to a handshake.
#[derive(Debug)]
pub struct ClientConfig {
    /// The CAs we trust and the name the server must have.
    pub verifier: ServerVerifier,
    /// Where to write the secrets, if `--keylog` was given.
    pub keylog: Option<Arc<KeyLog>>,
    /// How to pad what we send (`--pad`).
    pub padding: Padding,
}

/// Runs the client handshake on `stream`. On failure the alert the error
/// calls for has been sent, and the error says what went wrong.
pub fn handshake<S: Read + Write>(stream: &mut S, config: &ClientConfig) -> Result<Established> {
    let mut connection = Connection::new(stream);
    // From our first encrypted record (our Finished) on.
    connection.outgoing.pad(config.padding);
    run(&mut connection, config).map_err(|e| connection.fail(e))
}

fn run<S: Read + Write>(c: &mut Connection<'_, S>, config: &ClientConfig) -> Result<Established> {
    // A fresh X25519 key pair for this connection only (lesson 7): once the
    // handshake is over it is gone, so a stolen server key later cannot
    // decrypt this traffic (forward secrecy).
    let ours = EphemeralSecret::random();
    let our_public = PublicKey::from(&ours);
    let mut client_random = [0; RANDOM_LEN];
    getrandom::fill(&mut client_random).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    let mut transcript = Transcript::new();

    // -> ClientHello (RFC 8446 4.1.2): our suite, our X25519 share (lesson 7),
    //    ed25519, TLS 1.3 only, and the server's name for its certificate.
    let hello = client_hello::encode(&client_random, our_public.as_bytes(), config.verifier.sni());
    transcript.add(&hello);
    c.outgoing.first_record_as_tls10();
    c.send(&hello)?;
    c.flush()?;
    // From here the server may send a legacy change_cipher_spec; drop it.
    c.incoming.allow_compatibility_ccs();

    // <- ServerHello (4.1.3): the server's choice and its X25519 share,
    //    parsed, then held against our offer: our suite, our group, TLS 1.3,
    //    and the empty session id we sent, echoed.
    let message = c.expect(handshake_type::SERVER_HELLO)?;
    let server_public = ServerHello::parse(message.body())?.accept(&[])?;
    transcript.add(&message.bytes);

    // Both sides now compute the same X25519 secret (lesson 7); an all-zero
    // one means the server sent a low-order point.
    let shared = ours.diffie_hellman(&PublicKey::from(server_public));
    if !shared.was_contributory() {
        return Err(TlsError::BadKeyShare.into());
    }
    // Handshake traffic secrets from the key schedule (lesson 8, RFC 8446 7.1),
    // bound to Transcript-Hash(ClientHello, ServerHello).
    let secrets = HandshakeSecrets::derive(shared.as_bytes(), &transcript.current());
    if let Some(keylog) = &config.keylog {
        keylog.log_handshake(&client_random, &secrets)?;
    }
    // Everything after the ServerHello is encrypted, each way with its own
    // key (lesson 8), nonces counted per record (lesson 9).
    c.incoming.set_key(&secrets.server)?;
    c.outgoing.set_key(&secrets.client);

    // <- {EncryptedExtensions} (4.3.1): only answers to what we asked.
    let message = c.expect(handshake_type::ENCRYPTED_EXTENSIONS)?;
    parse_encrypted_extensions(message.body())?;
    transcript.add(&message.bytes);

    // <- {Certificate} (4.4.2). A CertificateRequest instead means the
    //    server wants a client certificate, which we do not have.
    let message = c.receive()?;
    if message.handshake_type == handshake_type::CERTIFICATE_REQUEST {
        return Err(TlsError::Unsupported("a client certificate (CertificateRequest)").into());
    }
    if message.handshake_type != handshake_type::CERTIFICATE {
        return Err(out_of_order(&message, handshake_type::CERTIFICATE));
    }
    let chain = parse_certificate(message.body())?;
    // webpki: the chain leads to a CA from --ca, is in date, is for a TLS
    // server, and names the host we asked for. We get its Ed25519 key back.
    let server_key = config.verifier.verify(&chain)?;
    transcript.add(&message.bytes);

    // <- {CertificateVerify} (4.4.3): the server signs the transcript so far
    //    with the certificate's key (lesson 10, now over the whole handshake).
    //    Only the holder of that private key can produce it, so a Mallory who
    //    replays the certificate is caught here.
    let message = c.expect(handshake_type::CERTIFICATE_VERIFY)?;
    let signature = parse_certificate_verify(message.body())?;
    let signed = certificate_verify_content(&transcript.current());
    verify_signature(&server_key, &signed, &signature)?;
    transcript.add(&message.bytes);

    // <- {Finished} (4.4.4): HMAC(server finished_key, transcript), checked
    //    in constant time (lesson 5). Proves the server saw exactly the
    //    messages we saw and derived the same keys.
    let message = c.expect(handshake_type::FINISHED)?;
    if !verify_finished(&secrets.server, &transcript.current(), message.body()) {
        return Err(TlsError::BadFinished.into());
    }
    transcript.add(&message.bytes);

    // Application traffic secrets, bound to Transcript-Hash(CH..server Finished).
    let application = secrets.application(&transcript.current());
    if let Some(keylog) = &config.keylog {
        keylog.log_application(&client_random, &application)?;
    }

    // -> {Finished}: our MAC over the same transcript, under our handshake key.
    let verify_data = finished_verify_data(&secrets.client, &transcript.current());
    c.send(&encode_finished(&verify_data))?;
    c.flush()?;
    // The server's next records use its application key; the switch must
    // fall on a record boundary (checked by `set_key`).
    c.incoming.set_key(&application.server)?;

    Ok(Established {
        client_random,
        read_secret: application.server.clone(),
        write_secret: application.client.clone(),
        padding: config.padding,
    })
}
