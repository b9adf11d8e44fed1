//! Lesson 8: key derivation. One shared secret in, one key per direction out.
//!
//! ```text
//! c2s_key = HKDF-SHA256(salt = "salam", ikm = shared, info = "c2s", L = 32)
//! s2c_key = HKDF-SHA256(salt = "salam", ikm = shared, info = "s2c", L = 32)
//! ```
//!
//! The X25519 result of lesson 7 is a point on a curve, not a uniformly
//! random key; HKDF (RFC 5869) first *extracts* a uniform key from it, then
//! *expands* that into as many independent keys as we ask for, one per label.
//!
//! Why two keys? With one key for both directions, Mallory could take a
//! record the client sent and bounce it straight back to the client, which
//! would decrypt it happily and believe the server said it (the *reflection*
//! attack). With a key per direction, a client-to-server record simply fails
//! to authenticate when the client tries to read it with `s2c_key`.
//! [`SessionKeys::sending_key`] is the whole defence, in one `match`.
//!
//! - this file: the key schedule ([`SessionKeys::derive`]) and which key
//!   each end uses ([`Role`]), as lesson 9 runs them;
//! - [`demo`]: the `8-key-split` program: the split, and the reflection
//!   attack against split keys and against one shared key.

pub mod demo;

pub use demo::run;

use std::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// HKDF salt. The reference course uses this exact value; changing it breaks
/// compatibility with every other implementation of lesson 9.
pub const HKDF_SALT: &[u8] = b"salam";
/// HKDF `info` label for the client-to-server key.
pub const C2S_LABEL: &[u8] = b"c2s";
/// HKDF `info` label for the server-to-client key.
pub const S2C_LABEL: &[u8] = b"s2c";
/// Length of each derived key: one ChaCha20-Poly1305 key (lesson 6's
/// `KEY_LEN`, 32 bytes), so each key feeds lesson 6's AEAD directly.
pub use crate::lesson06_aead::KEY_LEN;

/// Which end of the connection we are. Each end sends with one key and
/// reads with the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The side that connected.
    Client,
    /// The side that accepted.
    Server,
}

/// The two traffic keys of one session.
///
/// The bytes are wiped when this value is dropped, and `Debug` prints no key
/// material, so a stray `{:?}` in a log cannot leak a session.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SessionKeys {
    c2s: [u8; KEY_LEN],
    s2c: [u8; KEY_LEN],
}

impl SessionKeys {
    /// Runs the key schedule over a Diffie-Hellman shared secret.
    pub fn derive(shared_secret: &[u8; 32]) -> SessionKeys {
        // Extract: mix the salt and the shared secret into one pseudorandom key.
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), shared_secret);
        let mut keys = SessionKeys {
            c2s: [0; KEY_LEN],
            s2c: [0; KEY_LEN],
        };
        // Expand twice with different labels: two unrelated keys. HKDF can
        // only refuse an output longer than 255 * 32 bytes; 32 never is.
        let c2s = hk.expand(C2S_LABEL, &mut keys.c2s);
        let s2c = hk.expand(S2C_LABEL, &mut keys.s2c);
        debug_assert!(
            c2s.is_ok() && s2c.is_ok(),
            "32-byte HKDF output is always valid"
        );
        keys
    }

    /// The key `role` sends with: the client writes with `c2s`, the server
    /// with `s2c`. This is the protocol decision that defeats reflection.
    pub fn sending_key(&self, role: Role) -> &[u8; KEY_LEN] {
        match role {
            Role::Client => &self.c2s,
            Role::Server => &self.s2c,
        }
    }

    /// The key `role` reads with: whatever the *other* end sends with.
    pub fn receiving_key(&self, role: Role) -> &[u8; KEY_LEN] {
        self.sending_key(match role {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        })
    }

    /// The key that protects records from the client to the server.
    pub fn c2s(&self) -> &[u8; KEY_LEN] {
        &self.c2s
    }

    /// The key that protects records from the server to the client.
    pub fn s2c(&self) -> &[u8; KEY_LEN] {
        &self.s2c
    }
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeys { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_get_different_keys() {
        let keys = SessionKeys::derive(&[7; 32]);
        assert_ne!(keys.c2s(), keys.s2c());
    }

    #[test]
    fn each_end_reads_what_the_other_sends() {
        let keys = SessionKeys::derive(&[7; 32]);
        assert_eq!(keys.sending_key(Role::Client), keys.c2s());
        assert_eq!(keys.sending_key(Role::Server), keys.s2c());
        assert_eq!(
            keys.receiving_key(Role::Server),
            keys.sending_key(Role::Client)
        );
        assert_eq!(
            keys.receiving_key(Role::Client),
            keys.sending_key(Role::Server)
        );
    }

    #[test]
    fn hkdf_here_is_one_hmac_to_extract_and_one_per_key_to_expand() {
        use hmac::{Hmac, KeyInit, Mac};
        let hmac = |key: &[u8], parts: &[&[u8]]| -> [u8; 32] {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
            for part in parts {
                mac.update(part);
            }
            mac.finalize().into_bytes().into()
        };
        let shared = [7; 32];
        // prk = HMAC(salt, shared); key = HMAC(prk, label || 0x01)
        let prk = hmac(HKDF_SALT, &[&shared]);
        let keys = SessionKeys::derive(&shared);
        assert_eq!(keys.c2s(), &hmac(&prk, &[C2S_LABEL, &[1]]));
        assert_eq!(keys.s2c(), &hmac(&prk, &[S2C_LABEL, &[1]]));
    }

    #[test]
    fn debug_prints_no_key_bytes() {
        let keys = SessionKeys::derive(&[7; 32]);
        let shown = format!("{keys:?}");
        assert_eq!(shown, "SessionKeys { .. }");
    }

    #[test]
    fn zeroize_wipes_both_keys() {
        let mut keys = SessionKeys::derive(&[7; 32]);
        keys.zeroize();
        assert_eq!(keys.c2s(), &[0; KEY_LEN]);
        assert_eq!(keys.s2c(), &[0; KEY_LEN]);
    }
}
