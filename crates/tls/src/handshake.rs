//! The lesson 9 handshake: an unauthenticated X25519 exchange.
//!
//! ```text
//! client                                   server
//!   | ---- client public key (32 bytes) ---> |
//!   | <--- server public key (32 bytes) ---- |
//!   |                                        |
//!   shared = X25519(own secret, peer public)   (both sides, independently)
//!   keys   = HKDF split of shared              (see keys.rs)
//! ```
//!
//! No length prefix is needed: both messages are exactly 32 bytes.
//!
//! Nothing here proves *who* sent a public key. Eve, who only watches, cannot
//! compute `shared`; Mallory, who can answer in the server's place, simply
//! runs this handshake twice, once with each side. Lesson 10 fixes that.
//!
//! A full handshake in memory, both roles at once:
//!
//! ```
//! use tls::handshake::Handshake;
//!
//! let client = Handshake::new();
//! let server = Handshake::new();
//! let client_public = client.public_key();
//! let server_public = server.public_key();
//!
//! // Each side sends its public key and finishes with the other's.
//! let at_client = client.finish(&server_public).unwrap();
//! let at_server = server.finish(&client_public).unwrap();
//! assert_eq!(at_client.c2s(), at_server.c2s());
//! assert_eq!(at_client.s2c(), at_server.s2c());
//! ```

use std::fmt;
use std::io::{Read, Write};

use x25519_dalek::{EphemeralSecret, PublicKey};

use crate::error::{Error, Result};
use crate::keys::SessionKeys;

/// Size of an X25519 public key on the wire.
pub const PUBLIC_KEY_LEN: usize = 32;

/// One side's half of a handshake in progress: a fresh ephemeral secret.
///
/// [`Handshake::finish`] takes `self` by value, so the secret is used exactly
/// once and then wiped; the type system will not let it be reused.
pub struct Handshake {
    secret: EphemeralSecret,
    public: PublicKey,
}

impl Handshake {
    /// Picks a new random X25519 secret from the operating system's CSPRNG.
    ///
    /// # Panics
    ///
    /// If the operating system cannot supply random bytes. That is a broken
    /// machine, not something a peer can cause.
    pub fn new() -> Handshake {
        let secret = EphemeralSecret::random();
        let public = PublicKey::from(&secret);
        Handshake { secret, public }
    }

    /// The public key to send to the peer.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.public.to_bytes()
    }

    /// Combines our secret with the peer's public key and derives the session
    /// keys.
    ///
    /// Refuses a peer key that yields an all-zero shared secret: the X25519
    /// low-order points do that, and a secret of zero is known to everyone.
    pub fn finish(self, peer_public: &[u8; PUBLIC_KEY_LEN]) -> Result<SessionKeys> {
        // shared = X25519(our secret, their public)
        let shared = self.secret.diffie_hellman(&PublicKey::from(*peer_public));
        // `was_contributory` is false exactly when the result is all zeros
        // (RFC 7748 section 6.1 allows this check; we make it).
        if !shared.was_contributory() {
            return Err(Error::BadPeerKey);
        }
        Ok(SessionKeys::derive(shared.as_bytes()))
    }
}

impl Default for Handshake {
    fn default() -> Self {
        Handshake::new()
    }
}

impl fmt::Debug for Handshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The public key is public; the secret is not printed.
        f.debug_struct("Handshake")
            .field("public", &self.public.as_bytes())
            .finish_non_exhaustive()
    }
}

/// What a finished handshake hands to the record layer.
#[derive(Debug)]
pub struct Session {
    /// The traffic keys, one per direction.
    pub keys: SessionKeys,
    /// The client's public key, as sent on the wire. It names the session in
    /// a key log.
    pub client_public: [u8; PUBLIC_KEY_LEN],
    /// The server's public key, as sent on the wire.
    pub server_public: [u8; PUBLIC_KEY_LEN],
}

/// Runs the client side over a connected stream: send first, then read.
pub fn client_handshake<S: Read + Write>(stream: &mut S) -> Result<Session> {
    let ours = Handshake::new();
    let client_public = ours.public_key();
    // -> client public key
    stream.write_all(&client_public)?;
    stream.flush()?;
    // <- server public key
    let server_public = read_public_key(stream)?;
    let keys = ours.finish(&server_public)?;
    Ok(Session {
        keys,
        client_public,
        server_public,
    })
}

/// Runs the server side over an accepted stream: read first, then answer.
pub fn server_handshake<S: Read + Write>(stream: &mut S) -> Result<Session> {
    // Make our key pair first: it does not depend on the client's key, so
    // the work overlaps with the client making its own.
    let ours = Handshake::new();
    let server_public = ours.public_key();
    // <- client public key
    let client_public = read_public_key(stream)?;
    // -> server public key
    stream.write_all(&server_public)?;
    stream.flush()?;
    let keys = ours.finish(&client_public)?;
    Ok(Session {
        keys,
        client_public,
        server_public,
    })
}

/// Reads exactly one 32-byte public key. A close before all 32 bytes arrive
/// is [`Error::Truncated`].
fn read_public_key<R: Read>(stream: &mut R) -> Result<[u8; PUBLIC_KEY_LEN]> {
    let mut key = [0; PUBLIC_KEY_LEN];
    stream.read_exact(&mut key)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_order_peer_key_is_refused() {
        // The all-zero point has order 1: X25519 of anything with it is zero.
        let result = Handshake::new().finish(&[0; 32]);
        assert!(matches!(result, Err(Error::BadPeerKey)));
        // u = 1 is another low-order point: it too forces a zero result.
        let mut u_is_one = [0u8; 32];
        u_is_one[0] = 1;
        assert!(matches!(
            Handshake::new().finish(&u_is_one),
            Err(Error::BadPeerKey)
        ));
    }

    #[test]
    fn truncated_public_key_is_an_error() {
        let mut short: &[u8] = &[1; 31];
        assert!(matches!(read_public_key(&mut short), Err(Error::Truncated)));
    }

    #[test]
    fn each_handshake_uses_a_fresh_key() {
        assert_ne!(Handshake::new().public_key(), Handshake::new().public_key());
    }
}
