//! Lesson 7: key exchange. Two strangers agree on a secret over an open line.
//!
//! Lesson 3's key was printed in the source code, so anyone could read it.
//! X25519 (RFC 7748) removes the shared key altogether: each side makes a
//! fresh secret, sends only the matching *public* key, and combines its own
//! secret with the other's public key. Both arrive at the same 32 bytes;
//! someone who saw both public keys cannot.
//!
//! ```text
//! client                                   server
//!   | ---- client public key (32 bytes) ---> |
//!   | <--- server public key (32 bytes) ---- |
//!   |                                        |
//!   shared = X25519(own secret, peer public)   (both sides, independently)
//! ```
//!
//! No length prefix is needed: both messages are exactly 32 bytes. This is
//! the handshake lesson 9 runs before its first record (lesson 8 turns
//! `shared` into keys).
//!
//! Nothing here proves *who* sent a public key. Eve, who only watches,
//! cannot compute `shared`; Mallory, who can answer in the server's place,
//! simply runs this exchange twice, once with each side. Lesson 10 fixes
//! that.
//!
//! - this file: [`Handshake`] (one side's key pair, used up by
//!   [`Handshake::finish`]) and the exchange over a stream
//!   ([`client_exchange`], [`server_exchange`]), which lesson 9 runs;
//! - [`demo`]: the `7-key-exchange` program: Alice, Bob and Eve in one
//!   process, and two low-order keys refused.
//!
//! A full exchange in memory, both roles at once:
//!
//! ```
//! use tls::lesson07_key_exchange::Handshake;
//!
//! let client = Handshake::new();
//! let server = Handshake::new();
//! let client_public = client.public_key();
//! let server_public = server.public_key();
//!
//! // Each side sends its public key and finishes with the other's.
//! let at_client = client.finish(&server_public).unwrap();
//! let at_server = server.finish(&client_public).unwrap();
//! assert_eq!(at_client.as_bytes(), at_server.as_bytes());
//! ```

pub mod demo;

pub use demo::run;

use std::fmt;
use std::io::{Read, Write};

use x25519_dalek::{EphemeralSecret, PublicKey, SharedSecret, StaticSecret};

use crate::error::{Error, Result};

/// Size of an X25519 public key on the wire (and of the shared secret).
pub const PUBLIC_KEY_LEN: usize = 32;

/// One side's half of an exchange in progress: a fresh secret and its
/// public key.
///
/// [`Handshake::finish`] takes `self` by value, so the secret is used exactly
/// once and then wiped; the type system will not let it be reused.
pub struct Handshake {
    secret: Secret,
    public: PublicKey,
}

/// Where the secret came from.
enum Secret {
    /// Fresh from the operating system's CSPRNG: every real handshake.
    Ephemeral(EphemeralSecret),
    /// Fixed by a known-answer test (RFC 7748's example key pairs), so the
    /// whole wire transcript is predictable. Never used by the programs.
    FixedForTesting(StaticSecret),
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
        Handshake {
            secret: Secret::Ephemeral(secret),
            public,
        }
    }

    /// A handshake with a secret chosen by the caller, for known-answer
    /// tests only: a secret anyone can name protects nothing.
    pub fn from_secret_for_testing_only(secret: [u8; PUBLIC_KEY_LEN]) -> Handshake {
        let secret = StaticSecret::from(secret);
        let public = PublicKey::from(&secret);
        Handshake {
            secret: Secret::FixedForTesting(secret),
            public,
        }
    }

    /// The public key to send to the peer.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.public.to_bytes()
    }

    /// Combines our secret with the peer's public key.
    ///
    /// Refuses a peer key that yields an all-zero shared secret: the X25519
    /// low-order points do that, and a secret of zero is known to everyone.
    pub fn finish(self, peer_public: &[u8; PUBLIC_KEY_LEN]) -> Result<SharedSecret> {
        let peer = PublicKey::from(*peer_public);
        // shared = X25519(our secret, their public)
        let shared = match self.secret {
            Secret::Ephemeral(secret) => secret.diffie_hellman(&peer),
            Secret::FixedForTesting(secret) => secret.diffie_hellman(&peer),
        };
        // `was_contributory` is false exactly when the result is all zeros
        // (RFC 7748 section 6.1 allows this check; we make it).
        if !shared.was_contributory() {
            return Err(Error::BadPeerKey);
        }
        Ok(shared)
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

/// What one exchange produced, at either end.
pub struct Exchange {
    /// The X25519 result, the same at both ends. Wiped when dropped.
    pub shared: SharedSecret,
    /// The client's public key, as sent on the wire.
    pub client_public: [u8; PUBLIC_KEY_LEN],
    /// The server's public key, as sent on the wire.
    pub server_public: [u8; PUBLIC_KEY_LEN],
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("client_public", &self.client_public)
            .field("server_public", &self.server_public)
            .finish_non_exhaustive()
    }
}

/// The client's side over a connected stream: send first, then read.
pub fn client_exchange<S: Read + Write>(stream: &mut S, ours: Handshake) -> Result<Exchange> {
    let client_public = ours.public_key();
    // -> client public key
    stream.write_all(&client_public)?;
    stream.flush()?;
    // <- server public key
    let server_public = read_public_key(stream)?;
    // Our own key coming back is no handshake at all: an echo server (say,
    // lesson 1's) is on the other end. Say so, rather than "succeed".
    if server_public == client_public {
        return Err(Error::EchoedKey);
    }
    let shared = ours.finish(&server_public)?;
    Ok(Exchange {
        shared,
        client_public,
        server_public,
    })
}

/// The server's side over an accepted stream: read first, then answer.
///
/// The server makes its key pair (`ours`) before the client's key arrives:
/// it does not depend on the client's key, so the work overlaps.
pub fn server_exchange<S: Read + Write>(stream: &mut S, ours: Handshake) -> Result<Exchange> {
    let server_public = ours.public_key();
    // <- client public key
    let client_public = read_public_key(stream)?;
    // -> server public key
    stream.write_all(&server_public)?;
    stream.flush()?;
    let shared = ours.finish(&client_public)?;
    Ok(Exchange {
        shared,
        client_public,
        server_public,
    })
}

/// Reads exactly one 32-byte public key. A close before all 32 bytes arrive
/// is [`Error::Truncated`].
pub fn read_public_key<R: Read>(stream: &mut R) -> Result<[u8; PUBLIC_KEY_LEN]> {
    let mut key = [0; PUBLIC_KEY_LEN];
    stream.read_exact(&mut key)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_order_peer_key_is_refused() {
        // u = 0 (the point of order 2, whose encoding the identity shares):
        // X25519 of anything with it is zero.
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

    #[test]
    fn a_fixed_secret_gives_its_known_public_key() {
        // RFC 7748 section 6.1, Alice.
        let alice = Handshake::from_secret_for_testing_only(
            *b"\x77\x07\x6d\x0a\x73\x18\xa5\x7d\x3c\x16\xc1\x72\x51\xb2\x66\x45\
               \xdf\x4c\x2f\x87\xeb\xc0\x99\x2a\xb1\x77\xfb\xa5\x1d\xb9\x2c\x2a",
        );
        assert_eq!(
            crate::hex(&alice.public_key()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
    }
}
