//! The TLS 1.3 key schedule (RFC 8446 section 7.1): lesson 8's HKDF, run as
//! a chain of Extract and Expand steps, each labelled and each bound to the
//! transcript.
//!
//! ```text
//!              0 (32 zero bytes)
//!              |
//!    PSK (0) -> HKDF-Extract = Early Secret
//!              |
//!              Derive-Secret(., "derived", "")
//!              |
//!  X25519 --> HKDF-Extract = Handshake Secret
//!              +-----> Derive-Secret(., "c hs traffic", CH..SH) = client_handshake_traffic_secret
//!              +-----> Derive-Secret(., "s hs traffic", CH..SH) = server_handshake_traffic_secret
//!              |
//!              Derive-Secret(., "derived", "")
//!              |
//!     0 -----> HKDF-Extract = Master Secret
//!              +-----> Derive-Secret(., "c ap traffic", CH..server Finished) = client_application_traffic_secret_0
//!              +-----> Derive-Secret(., "s ap traffic", CH..server Finished) = server_application_traffic_secret_0
//! ```
//!
//! and from each traffic secret, with an empty context:
//!
//! ```text
//! key          = HKDF-Expand-Label(secret, "key", "", 32)      ChaCha20-Poly1305 key
//! iv           = HKDF-Expand-Label(secret, "iv", "", 12)       XORed with the sequence number
//! finished_key = HKDF-Expand-Label(secret, "finished", "", 32) HMAC key for Finished
//! ```
//!
//! As in lesson 8 there is one key per direction (the reflection attack
//! fails here too), and as in lesson 9 the nonce comes from a counter. The
//! new part is the transcript hash mixed into every traffic secret: keys
//! belong to *this* conversation and no other.
//!
//! No resumption, so the PSK is zero and the binder, resumption and early
//! traffic secrets are not computed. The exporter secret is left out too.

use std::fmt;

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::HASH_LEN;
use super::transcript::empty_hash;

/// Every label starts with this (RFC 8446 7.1, `HkdfLabel.label`).
pub const LABEL_PREFIX: &[u8] = b"tls13 ";
/// Derive-Secret label between the stages of the schedule.
pub const DERIVED: &[u8] = b"derived";
/// Label of client_handshake_traffic_secret.
pub const CLIENT_HANDSHAKE_TRAFFIC: &[u8] = b"c hs traffic";
/// Label of server_handshake_traffic_secret.
pub const SERVER_HANDSHAKE_TRAFFIC: &[u8] = b"s hs traffic";
/// Label of client_application_traffic_secret_0.
pub const CLIENT_APPLICATION_TRAFFIC: &[u8] = b"c ap traffic";
/// Label of server_application_traffic_secret_0.
pub const SERVER_APPLICATION_TRAFFIC: &[u8] = b"s ap traffic";
/// Label of the Finished MAC key (RFC 8446 4.4.4).
pub const FINISHED: &[u8] = b"finished";
/// Label of a record protection key (RFC 8446 7.3).
pub const KEY: &[u8] = b"key";
/// Label of a record protection IV (RFC 8446 7.3).
pub const IV: &[u8] = b"iv";
/// Label of the next traffic secret after a KeyUpdate (RFC 8446 7.2).
pub const TRAFFIC_UPDATE: &[u8] = b"traffic upd";

/// A ChaCha20-Poly1305 key's length.
pub const KEY_LEN: usize = 32;
/// The per-record IV's length, which is the AEAD nonce's length.
pub const IV_LEN: usize = 12;

/// One 32-byte secret of the schedule. Wiped on drop; `Debug` shows no bytes.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Secret([u8; HASH_LEN]);

impl Secret {
    /// Wraps bytes as a secret (known-answer tests, key logs).
    pub fn from_bytes(bytes: [u8; HASH_LEN]) -> Secret {
        Secret(bytes)
    }

    /// The bytes, for a key log or a test. Handle with care.
    pub fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// HKDF-Extract(salt, IKM) with SHA-256 (RFC 5869 2.2): the pseudorandom key.
pub fn hkdf_extract(salt: &[u8], ikm: &[u8]) -> Secret {
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), ikm);
    Secret(prk.into())
}

/// HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 7.1), with
/// `out.len()` as Length:
///
/// ```text
/// HkdfLabel = length (u16) || "tls13 " + Label (u8 vector) || Context (u8 vector)
/// output    = HKDF-Expand(Secret, HkdfLabel, Length)
/// ```
///
/// # Panics
///
/// If `out` is longer than 255 * 32 bytes or the label or context longer
/// than 255 bytes. Callers pass the constants above, a 32-byte hash at most,
/// and outputs of at most 32 bytes: a caller bug, never peer input.
pub fn hkdf_expand_label(secret: &Secret, label: &[u8], context: &[u8], out: &mut [u8]) {
    let length = u16::try_from(out.len()).expect("HKDF output fits a u16");
    let full_label_len = u8::try_from(LABEL_PREFIX.len() + label.len()).expect("label < 250 bytes");
    let context_len = u8::try_from(context.len()).expect("context < 256 bytes");
    let mut info = Vec::with_capacity(4 + usize::from(full_label_len) + context.len());
    info.extend_from_slice(&length.to_be_bytes());
    info.push(full_label_len);
    info.extend_from_slice(LABEL_PREFIX);
    info.extend_from_slice(label);
    info.push(context_len);
    info.extend_from_slice(context);
    // A PRK of 32 bytes is always long enough for SHA-256, and our outputs
    // are far below HKDF's 255 * 32 byte ceiling.
    let hkdf = Hkdf::<Sha256>::from_prk(&secret.0).expect("a 32-byte PRK is long enough");
    hkdf.expand(&info, out)
        .expect("output is at most 255 hash lengths");
}

/// Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret,
/// Label, Transcript-Hash(Messages), 32). Takes the hash, not the messages.
pub fn derive_secret(secret: &Secret, label: &[u8], transcript_hash: &[u8; HASH_LEN]) -> Secret {
    let mut out = [0; HASH_LEN];
    hkdf_expand_label(secret, label, transcript_hash, &mut out);
    Secret(out)
}

/// The Early Secret with no PSK: HKDF-Extract(salt = 0, IKM = 32 zeros).
/// (RFC 8446 7.1: "0" means a string of Hash.length zero bytes.)
pub fn early_secret() -> Secret {
    hkdf_extract(&[0; HASH_LEN], &[0; HASH_LEN])
}

/// The secrets available once both key shares are known.
#[derive(Debug)]
pub struct HandshakeSecrets {
    /// The Handshake Secret itself.
    pub handshake_secret: Secret,
    /// client_handshake_traffic_secret: protects the client's Finished.
    pub client: Secret,
    /// server_handshake_traffic_secret: protects EncryptedExtensions through
    /// the server's Finished.
    pub server: Secret,
}

impl HandshakeSecrets {
    /// Runs the schedule from the start up to the handshake traffic secrets.
    /// `shared` is the X25519 output, `hello_hash` the transcript hash of
    /// ClientHello..ServerHello.
    pub fn derive(shared: &[u8; 32], hello_hash: &[u8; HASH_LEN]) -> HandshakeSecrets {
        // salt for this stage = Derive-Secret(Early Secret, "derived", "")
        let salt = derive_secret(&early_secret(), DERIVED, &empty_hash());
        // Handshake Secret = HKDF-Extract(salt, (EC)DHE)
        let handshake_secret = hkdf_extract(salt.as_bytes(), shared);
        HandshakeSecrets {
            client: derive_secret(&handshake_secret, CLIENT_HANDSHAKE_TRAFFIC, hello_hash),
            server: derive_secret(&handshake_secret, SERVER_HANDSHAKE_TRAFFIC, hello_hash),
            handshake_secret,
        }
    }

    /// The Master Secret: HKDF-Extract(Derive-Secret(HS, "derived", ""), 0).
    pub fn master_secret(&self) -> Secret {
        let salt = derive_secret(&self.handshake_secret, DERIVED, &empty_hash());
        hkdf_extract(salt.as_bytes(), &[0; HASH_LEN])
    }

    /// The application traffic secrets, from the transcript hash of
    /// ClientHello..server Finished.
    pub fn application(&self, finished_hash: &[u8; HASH_LEN]) -> ApplicationSecrets {
        let master = self.master_secret();
        ApplicationSecrets {
            client: derive_secret(&master, CLIENT_APPLICATION_TRAFFIC, finished_hash),
            server: derive_secret(&master, SERVER_APPLICATION_TRAFFIC, finished_hash),
        }
    }
}

/// The first generation of application traffic secrets.
#[derive(Debug)]
pub struct ApplicationSecrets {
    /// client_application_traffic_secret_0: the client sends with it.
    pub client: Secret,
    /// server_application_traffic_secret_0: the server sends with it.
    pub server: Secret,
}

/// A record protection key and IV, derived from one traffic secret.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct TrafficKeys {
    /// The ChaCha20-Poly1305 key.
    pub key: [u8; KEY_LEN],
    /// The IV, XORed with each record's sequence number to make its nonce.
    pub iv: [u8; IV_LEN],
}

impl TrafficKeys {
    /// key = HKDF-Expand-Label(secret, "key", "", 32);
    /// iv = HKDF-Expand-Label(secret, "iv", "", 12).
    pub fn derive(secret: &Secret) -> TrafficKeys {
        let mut keys = TrafficKeys {
            key: [0; KEY_LEN],
            iv: [0; IV_LEN],
        };
        hkdf_expand_label(secret, KEY, &[], &mut keys.key);
        hkdf_expand_label(secret, IV, &[], &mut keys.iv);
        keys
    }
}

impl fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TrafficKeys { .. }")
    }
}

/// finished_key = HKDF-Expand-Label(BaseKey, "finished", "", 32), where
/// BaseKey is the sender's handshake traffic secret (RFC 8446 4.4.4).
pub fn finished_key(base_key: &Secret) -> Secret {
    let mut out = [0; HASH_LEN];
    hkdf_expand_label(base_key, FINISHED, &[], &mut out);
    Secret(out)
}

/// The Finished MAC over a transcript hash, without checking it.
fn finished_mac(base_key: &Secret, transcript_hash: &[u8; HASH_LEN]) -> Hmac<Sha256> {
    // HMAC accepts a key of any length, so this cannot fail.
    let key = finished_key(base_key);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(transcript_hash);
    mac
}

/// verify_data = HMAC(finished_key, Transcript-Hash(... up to here)).
pub fn finished_verify_data(base_key: &Secret, transcript_hash: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    finished_mac(base_key, transcript_hash)
        .finalize()
        .into_bytes()
        .into()
}

/// Checks a peer's verify_data in constant time (lesson 5: comparing MACs
/// byte by byte and stopping early would leak how many bytes were right).
pub fn verify_finished(
    base_key: &Secret,
    transcript_hash: &[u8; HASH_LEN],
    received: &[u8],
) -> bool {
    finished_mac(base_key, transcript_hash)
        .verify_slice(received)
        .is_ok()
}

/// The next generation of a traffic secret after a KeyUpdate (RFC 8446 7.2):
/// application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", 32).
pub fn next_traffic_secret(secret: &Secret) -> Secret {
    let mut out = [0; HASH_LEN];
    hkdf_expand_label(secret, TRAFFIC_UPDATE, &[], &mut out);
    Secret(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret_bytes() {
        let secret = Secret::from_bytes([0xab; 32]);
        assert_eq!(format!("{secret:?}"), "Secret(..)");
        let keys = TrafficKeys::derive(&secret);
        assert!(!format!("{keys:?}").contains("ab"));
    }

    #[test]
    fn each_direction_and_stage_gets_its_own_secret() {
        let secrets = HandshakeSecrets::derive(&[1; 32], &[2; 32]);
        assert_ne!(secrets.client, secrets.server);
        let app = secrets.application(&[3; 32]);
        assert_ne!(app.client, app.server);
        assert_ne!(app.client, secrets.client);
        // A different transcript gives different keys: they are bound to it.
        let other = HandshakeSecrets::derive(&[1; 32], &[9; 32]);
        assert_ne!(other.client, secrets.client);
    }

    #[test]
    fn finished_check_accepts_the_mac_and_nothing_else() {
        let base = Secret::from_bytes([5; 32]);
        let hash = [6; 32];
        let good = finished_verify_data(&base, &hash);
        assert!(verify_finished(&base, &hash, &good));
        for i in 0..good.len() {
            let mut bad = good;
            bad[i] ^= 1;
            assert!(!verify_finished(&base, &hash, &bad), "byte {i}");
        }
        assert!(!verify_finished(&base, &hash, &good[..31]), "short MAC");
        assert!(!verify_finished(&base, &[7; 32], &good), "other transcript");
    }

    #[test]
    fn key_update_moves_to_a_new_secret() {
        let first = Secret::from_bytes([1; 32]);
        let second = next_traffic_secret(&first);
        assert_ne!(first, second);
        assert_ne!(
            TrafficKeys::derive(&first).key,
            TrafficKeys::derive(&second).key
        );
    }
}
