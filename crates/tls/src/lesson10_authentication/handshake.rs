//! The lesson 10 handshake: lesson 9's, plus one signature from the server.
//!
//! ```text
//! client                                             server
//! trusts server_key (--server-key)         holds its secret (--key)
//!   | ---- client_pub (32 bytes) ------------------------> |  lesson 7
//!   | <------------------------ server_pub (32 bytes) ---- |  lesson 7
//!   | <-- signature (64 bytes) ---------------------------- |  lesson 10
//!   |     = Ed25519(server secret, client_pub || server_pub)
//!   verify_strict(server_key, client_pub || server_pub, signature)
//!     fails => Error::BadSignature, connection refused
//!   keys = SessionKeys::derive(shared)                          lesson 8
//! ```
//!
//! # Why the signature covers *both* public keys
//!
//! In lesson 9 Mallory wins by answering the client with an X25519 key of
//! her own. To keep that trick now, she would have to send the client a
//! valid signature over the keys *this* client saw: the client's key and
//! hers. Only the holder of the server's secret key can make one.
//!
//! - Signing only `server_pub` would not be enough: Mallory could connect
//!   to the real server once, keep its `server_pub` and signature, and
//!   replay them to every client. She could not read that session (she lacks
//!   the server's X25519 secret), but the client would accept a handshake
//!   the server never made with it.
//! - Including `client_pub`, which is fresh for every connection, makes the
//!   signature good for this one session only. An old signature, or the
//!   real server's signature from Mallory's own session with it, is over
//!   other keys and does not verify.
//! - Including `server_pub` is what stops the man in the middle: the
//!   server vouches for the X25519 key the shared secret comes from, so
//!   the client knows it is doing Diffie-Hellman with the server and nobody
//!   else.
//!
//! The client checks the signature *before* it derives keys or sends a
//! record, so nothing it wants protected ever travels under a key that
//! Mallory might hold.

use std::io::{Read, Write};

use crate::error::{Error, Result};
use crate::lesson07_key_exchange::{Handshake, PUBLIC_KEY_LEN, client_exchange, server_exchange};
use crate::lesson09_encrypted_echo::handshake::Session;
use crate::lesson10_authentication::identity::{SIGNATURE_LEN, ServerIdentity, ServerPublicKey};

/// Bytes the server signs: the two X25519 public keys.
pub const SIGNED_LEN: usize = 2 * PUBLIC_KEY_LEN;

/// What the server signs: `client_pub || server_pub`, exactly as both were
/// sent on the wire (client first, as on the wire).
pub fn signed_message(
    client_public: &[u8; PUBLIC_KEY_LEN],
    server_public: &[u8; PUBLIC_KEY_LEN],
) -> [u8; SIGNED_LEN] {
    let mut message = [0u8; SIGNED_LEN];
    let (client, server) = message.split_at_mut(PUBLIC_KEY_LEN);
    client.copy_from_slice(client_public);
    server.copy_from_slice(server_public);
    message
}

/// The server's side with a fresh X25519 key: answer, then sign.
pub fn server_handshake<S: Read + Write>(
    stream: &mut S,
    identity: &ServerIdentity,
) -> Result<Session> {
    server_handshake_with(stream, identity, Handshake::new())
}

/// The server's side with an X25519 key the caller made (tests fix it).
pub fn server_handshake_with<S: Read + Write>(
    stream: &mut S,
    identity: &ServerIdentity,
    ours: Handshake,
) -> Result<Session> {
    // <- client_pub, -> server_pub, shared = X25519(s, client_pub) (lesson 7).
    // A low-order client key is refused in there, before we sign anything.
    let exchange = server_exchange(stream, ours)?;
    // -> signature over client_pub || server_pub (lesson 10)
    let signature = identity.sign(&signed_message(
        &exchange.client_public,
        &exchange.server_public,
    ));
    stream.write_all(&signature)?;
    stream.flush()?;
    // c2s and s2c keys from the shared secret (lesson 8, via lesson 9).
    Ok(Session::from_exchange(exchange))
}

/// The client's side with a fresh X25519 key: send, read, then check the
/// signature against `trusted`, the server key the user gave us.
pub fn client_handshake<S: Read + Write>(
    stream: &mut S,
    trusted: &ServerPublicKey,
) -> Result<Session> {
    client_handshake_with(stream, trusted, Handshake::new())
}

/// The client's side with an X25519 key the caller made (tests fix it).
pub fn client_handshake_with<S: Read + Write>(
    stream: &mut S,
    trusted: &ServerPublicKey,
    ours: Handshake,
) -> Result<Session> {
    // -> client_pub, <- server_pub, shared = X25519(c, server_pub) (lesson 7).
    let exchange = client_exchange(stream, ours)?;
    // <- signature (lesson 10)
    let signature = read_signature(stream)?;
    // The check: was this handshake, with these two keys, signed by the
    // server we trust? If Mallory swapped either key, or signed it herself,
    // the answer is no and we stop here, before a single record.
    let message = signed_message(&exchange.client_public, &exchange.server_public);
    trusted.verify(&message, &signature)?;
    Ok(Session::from_exchange(exchange))
}

/// Reads the server's 64-byte signature.
///
/// A server that hangs up, or goes quiet, right after its public key is
/// not speaking lesson 10 (lesson 9's server sends its key and then waits
/// for records): [`Error::NoSignature`] says so.
pub fn read_signature<R: Read>(stream: &mut R) -> Result<[u8; SIGNATURE_LEN]> {
    let mut signature = [0u8; SIGNATURE_LEN];
    stream
        .read_exact(&mut signature)
        .map_err(|e| match Error::from(e) {
            Error::Truncated | Error::TimedOut => Error::NoSignature,
            other => other,
        })?;
    Ok(signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// One end of an in-memory conversation: reads what the other end said,
    /// collects what this end says.
    struct Wire {
        incoming: Cursor<Vec<u8>>,
        outgoing: Vec<u8>,
    }

    impl Wire {
        fn hearing(bytes: Vec<u8>) -> Wire {
            Wire {
                incoming: Cursor::new(bytes),
                outgoing: Vec::new(),
            }
        }
    }

    impl Read for Wire {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.incoming.read(buf)
        }
    }

    impl Write for Wire {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.outgoing.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    // Fixed X25519 secrets, so the client's key is known before it is sent
    // and the server's answer can be computed (and bent) in advance.
    const CLIENT_SECRET: [u8; 32] = [0x11; 32];
    const SERVER_SECRET: [u8; 32] = [0x22; 32];

    fn client() -> Handshake {
        Handshake::from_secret_for_testing_only(CLIENT_SECRET)
    }

    /// What an honest server sends back to our fixed client: server_pub ||
    /// signature.
    fn server_answer(identity: &ServerIdentity) -> (Vec<u8>, Session) {
        let mut wire = Wire::hearing(client().public_key().to_vec());
        let ours = Handshake::from_secret_for_testing_only(SERVER_SECRET);
        let session = server_handshake_with(&mut wire, identity, ours).unwrap();
        (wire.outgoing, session)
    }

    fn client_hearing(answer: Vec<u8>, trusted: &ServerPublicKey) -> Result<Session> {
        client_handshake_with(&mut Wire::hearing(answer), trusted, client())
    }

    #[test]
    fn honest_server_is_accepted_and_both_ends_agree() {
        let identity = ServerIdentity::generate().unwrap();
        let (answer, at_server) = server_answer(&identity);
        assert_eq!(answer.len(), PUBLIC_KEY_LEN + SIGNATURE_LEN);
        let at_client = client_hearing(answer, &identity.public_key()).unwrap();
        assert_eq!(at_client.keys.c2s(), at_server.keys.c2s());
        assert_eq!(at_client.keys.s2c(), at_server.keys.s2c());
        assert_eq!(at_client.client_public, at_server.client_public);
    }

    #[test]
    fn a_flipped_signature_byte_is_refused() {
        let identity = ServerIdentity::generate().unwrap();
        let (answer, _) = server_answer(&identity);
        for index in PUBLIC_KEY_LEN..answer.len() {
            let mut bent = answer.clone();
            bent[index] ^= 0x01;
            let result = client_hearing(bent, &identity.public_key());
            assert!(
                matches!(result, Err(Error::BadSignature)),
                "byte {index} flipped and accepted"
            );
        }
    }

    #[test]
    fn a_swapped_server_key_is_refused() {
        // Mallory replaces server_pub with her own and keeps the signature.
        let identity = ServerIdentity::generate().unwrap();
        let (mut answer, _) = server_answer(&identity);
        let hers = Handshake::new().public_key();
        answer[..PUBLIC_KEY_LEN].copy_from_slice(&hers);
        let result = client_hearing(answer, &identity.public_key());
        assert!(matches!(result, Err(Error::BadSignature)));
    }

    #[test]
    fn a_signature_over_other_keys_is_refused() {
        // A genuine signature by the real server, but from another session
        // (other client key): exactly what a replayed old handshake carries.
        let identity = ServerIdentity::generate().unwrap();
        let (mut answer, _) = server_answer(&identity);
        let server_public: [u8; 32] = answer[..PUBLIC_KEY_LEN].try_into().unwrap();
        let other_client = Handshake::new().public_key();
        let old = identity.sign(&signed_message(&other_client, &server_public));
        answer[PUBLIC_KEY_LEN..].copy_from_slice(&old);
        let result = client_hearing(answer, &identity.public_key());
        assert!(matches!(result, Err(Error::BadSignature)));
        // And the keys in the other order are another message too.
        let swapped = identity.sign(&signed_message(&server_public, &client().public_key()));
        let (mut answer, _) = server_answer(&identity);
        answer[PUBLIC_KEY_LEN..].copy_from_slice(&swapped);
        let result = client_hearing(answer, &identity.public_key());
        assert!(matches!(result, Err(Error::BadSignature)));
    }

    #[test]
    fn a_different_server_key_is_refused() {
        // Mallory signs correctly, with a key of her own: not the one the
        // client was told to trust.
        let mallory = ServerIdentity::generate().unwrap();
        let (answer, _) = server_answer(&mallory);
        let trusted = ServerIdentity::generate().unwrap().public_key();
        assert!(matches!(
            client_hearing(answer, &trusted),
            Err(Error::BadSignature)
        ));
    }

    #[test]
    fn mallory_with_a_trusted_key_of_her_own_can_sign_the_real_servers_handshake() {
        // Identity misbinding (unknown key-share). The client trusts
        // Mallory's key: she runs a service of her own. She passes the
        // client's key to the real server unchanged, keeps the server's
        // key, and swaps only the signature for one of hers over the same
        // two keys: a message she can sign, since it names nobody.
        let (server, mallory) = (ServerIdentity::generate(), ServerIdentity::generate());
        let (server, mallory) = (server.unwrap(), mallory.unwrap());
        let (mut answer, at_server) = server_answer(&server);
        let server_public: [u8; 32] = answer[..PUBLIC_KEY_LEN].try_into().unwrap();
        let hers = mallory.sign(&signed_message(&client().public_key(), &server_public));
        answer[PUBLIC_KEY_LEN..].copy_from_slice(&hers);
        // The client accepts the session as Mallory's...
        let at_client = client_hearing(answer, &mallory.public_key()).unwrap();
        // ...yet shares its keys with the real server, which will read and
        // answer every record. Mallory reads none of it: she holds neither
        // X25519 secret. A fix must tie the signer to the shared secret
        // (lesson 11: the certificate travels under keys from it, and
        // Finished MACs the transcript that names it).
        assert_eq!(at_client.keys.c2s(), at_server.keys.c2s());
        assert_eq!(at_client.keys.s2c(), at_server.keys.s2c());
    }

    #[test]
    fn a_server_that_stops_after_its_key_sent_no_signature() {
        let identity = ServerIdentity::generate().unwrap();
        let (answer, _) = server_answer(&identity);
        // Lesson 9's server: the key and nothing more. Or a cut signature.
        for cut in [PUBLIC_KEY_LEN, PUBLIC_KEY_LEN + 63] {
            let result = client_hearing(answer[..cut].to_vec(), &identity.public_key());
            assert!(matches!(result, Err(Error::NoSignature)), "cut at {cut}");
        }
    }

    #[test]
    fn the_server_signs_nothing_for_a_low_order_key() {
        let identity = ServerIdentity::generate().unwrap();
        let mut wire = Wire::hearing(vec![0; PUBLIC_KEY_LEN]);
        let result = server_handshake_with(&mut wire, &identity, Handshake::new());
        assert!(matches!(result, Err(Error::BadPeerKey)));
        // Only the server's public key went out: no signature.
        assert_eq!(wire.outgoing.len(), PUBLIC_KEY_LEN);
    }

    #[test]
    fn anyone_with_the_public_key_can_check_a_captured_handshake() {
        // Eve holds the two public keys and the signature off the wire, and
        // the server's public key (it is public). She can tell WHICH server
        // this was; she learns nothing that helps her decrypt.
        let identity = ServerIdentity::generate().unwrap();
        let (answer, _) = server_answer(&identity);
        let client_public = client().public_key();
        let (server_public, signature) = answer.split_at(PUBLIC_KEY_LEN);
        let message = signed_message(&client_public, server_public.try_into().unwrap());
        let signature: [u8; SIGNATURE_LEN] = signature.try_into().unwrap();
        identity.public_key().verify(&message, &signature).unwrap();
        let another_server = ServerIdentity::generate().unwrap().public_key();
        assert!(another_server.verify(&message, &signature).is_err());
    }

    #[test]
    fn signed_message_is_client_key_then_server_key() {
        let message = signed_message(&[1; 32], &[2; 32]);
        assert_eq!(message[..32], [1; 32]);
        assert_eq!(message[32..], [2; 32]);
    }
}
