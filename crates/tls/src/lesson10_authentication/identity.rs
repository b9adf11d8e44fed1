//! The server's identity: one Ed25519 key pair that lives much longer than
//! any connection.
//!
//! The X25519 keys of lessons 7 and 9 are made fresh for every connection
//! and thrown away after it. This key is made once, by `10-genkey`, and
//! kept. Its secret half stays with the server (`--key FILE`); its public
//! half is handed to every client ahead of time (`--server-key`), and it is
//! the only thing a client has to recognise the real server by.
//!
//! The two files it is kept in, and how they are read, are in
//! [`key_file`](super::key_file).

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::lesson10_authentication::key_file::{
    PUBLIC_KEY_COMMENT, SECRET_KEY_HEADER, bad, hex_problem, key_line, read_key_file,
};

/// Bytes in an Ed25519 secret key (the RFC 8032 seed).
pub const SECRET_KEY_LEN: usize = ed25519_dalek::SECRET_KEY_LENGTH;
/// Bytes in an Ed25519 public key.
pub const IDENTITY_KEY_LEN: usize = ed25519_dalek::PUBLIC_KEY_LENGTH;
/// Bytes in an Ed25519 signature, as it travels: `R` (32) then `s` (32).
pub const SIGNATURE_LEN: usize = ed25519_dalek::SIGNATURE_LENGTH;

/// The server's secret signing key.
///
/// The key bytes are wiped when this value is dropped (ed25519-dalek's
/// `zeroize` feature), and `Debug` shows only the public half.
pub struct ServerIdentity {
    key: SigningKey,
}

impl ServerIdentity {
    /// A new identity from 32 bytes of the operating system's CSPRNG.
    pub fn generate() -> Result<ServerIdentity> {
        let mut secret = Zeroizing::new([0u8; SECRET_KEY_LEN]);
        getrandom::fill(secret.as_mut_slice())?;
        Ok(ServerIdentity {
            key: SigningKey::from_bytes(&secret),
        })
    }

    /// An identity with a secret chosen by the caller, for known-answer tests
    /// (RFC 8032's examples) only: a secret anyone can name protects nothing.
    pub fn from_secret_for_testing_only(secret: [u8; SECRET_KEY_LEN]) -> ServerIdentity {
        ServerIdentity {
            key: SigningKey::from_bytes(&secret),
        }
    }

    /// The public half, to hand to clients.
    pub fn public_key(&self) -> ServerPublicKey {
        ServerPublicKey {
            key: self.key.verifying_key(),
        }
    }

    /// Signs `message` (Ed25519, RFC 8032: deterministic, no randomness
    /// needed at signing time).
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.key.sign(message).to_bytes()
    }

    /// Writes the secret key file at `path` (format above), readable by its
    /// owner only, and refuses if anything already exists there: replacing a
    /// server's key by accident would lock out every client that trusts it.
    pub fn write_new(&self, path: &Path) -> Result<()> {
        let failed = |source| Error::KeyFile {
            path: path.display().to_string(),
            source,
        };
        let mut options = OpenOptions::new();
        // `create_new`: fail with AlreadyExists rather than truncate.
        options.write(true).create_new(true);
        // The mode is set as the file is created, so there is no moment when
        // the secret sits in a file that others may read.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(failed)?;
        let text = Zeroizing::new(format!(
            "{SECRET_KEY_HEADER}\n{PUBLIC_KEY_COMMENT}{}\n{}\n",
            self.public_key(),
            crate::hex(self.key.as_bytes())
        ));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(failed)
    }

    /// Reads a secret key file written by [`ServerIdentity::write_new`].
    pub fn read(path: &Path) -> Result<ServerIdentity> {
        let origin = || format!("key file {}", path.display());
        let text = read_key_file(path)?;
        let Some(line) = key_line(&text).map_err(|why| bad(origin(), why))? else {
            return Err(bad(
                origin(),
                "no key in it (expected a line of 64 hex digits)",
            ));
        };
        let secret = crate::unhex::<SECRET_KEY_LEN>(line)
            .map(Zeroizing::new)
            .ok_or_else(|| bad(origin(), hex_problem(line)))?;
        Ok(ServerIdentity {
            key: SigningKey::from_bytes(&secret),
        })
    }
}

impl fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The public key is public; the secret is not printed.
        f.debug_struct("ServerIdentity")
            .field("public", &self.public_key().to_string())
            .finish_non_exhaustive()
    }
}

/// The server's public key, as a client knows it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ServerPublicKey {
    key: VerifyingKey,
}

impl ServerPublicKey {
    /// Accepts 32 bytes that decode to a usable Ed25519 public key.
    ///
    /// A small-order point is refused: many signatures verify under such a
    /// key, so trusting one would trust anybody.
    pub fn from_bytes(bytes: &[u8; IDENTITY_KEY_LEN]) -> std::result::Result<Self, &'static str> {
        let key = VerifyingKey::from_bytes(bytes)
            .map_err(|_| "not an Ed25519 public key (not a point on the curve)")?;
        if key.is_weak() {
            return Err("a small-order Ed25519 point, which would accept forged signatures");
        }
        Ok(ServerPublicKey { key })
    }

    /// Reads `--server-key HEX|FILE`: 64 hex digits, or else the name of a
    /// file holding them.
    pub fn from_arg(arg: &str) -> Result<ServerPublicKey> {
        let origin = || format!("--server-key {arg}");
        if let Some(bytes) = crate::unhex::<IDENTITY_KEY_LEN>(arg.trim()) {
            return ServerPublicKey::from_bytes(&bytes).map_err(|why| bad(origin(), why));
        }
        // Not 64 hex digits, so it names a file. If there is no such file,
        // say both things: the learner may have meant either.
        let path = Path::new(arg);
        if !path.exists() {
            let why = if arg.chars().all(|c| c.is_ascii_hexdigit()) {
                format!(
                    "expected 64 hex digits, got {} (and no file has that name)",
                    arg.len()
                )
            } else {
                "no such file (and not 64 hex digits either)".to_string()
            };
            return Err(bad(origin(), why));
        }
        ServerPublicKey::read(path)
    }

    /// Reads a public key file: one line of 64 hex digits.
    pub fn read(path: &Path) -> Result<ServerPublicKey> {
        let origin = || format!("key file {}", path.display());
        let text = read_key_file(path)?;
        if text.starts_with(SECRET_KEY_HEADER) {
            return Err(bad(
                origin(),
                "this is the server's SECRET key file; give the client the public key \
                 that 10-genkey printed (the `# public key:` line in this file)",
            ));
        }
        let Some(line) = key_line(&text).map_err(|why| bad(origin(), why))? else {
            return Err(bad(origin(), "no key in it (expected 64 hex digits)"));
        };
        let bytes = crate::unhex::<IDENTITY_KEY_LEN>(line)
            .ok_or_else(|| bad(origin(), hex_problem(line)))?;
        ServerPublicKey::from_bytes(&bytes).map_err(|why| bad(origin(), why))
    }

    /// The key's 32 bytes.
    pub fn to_bytes(&self) -> [u8; IDENTITY_KEY_LEN] {
        self.key.to_bytes()
    }

    /// Checks that `signature` was made over `message` by this key's owner.
    ///
    /// RFC 8032 (5.1.7) already refuses a signature whose `s` is not below
    /// the group order, so `s + L` is no second signature: ed25519-dalek's
    /// plain `verify` refuses it too. What `verify_strict` adds is refusing
    /// small-order points, as the public key or as `R`: for a small-order
    /// key, one fixed signature "verifies" every message under the plain
    /// check (the test below shows it). Our keys are checked for that when
    /// they are read as well (`from_bytes`); the strict check makes sure.
    pub fn verify(&self, message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> Result<()> {
        let signature = Signature::from_bytes(signature);
        self.key
            .verify_strict(message, &signature)
            .map_err(|_| Error::BadSignature)
    }
}

impl fmt::Display for ServerPublicKey {
    /// 64 lower-case hex digits, as `10-genkey` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::hex(self.key.as_bytes()))
    }
}

impl fmt::Debug for ServerPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerPublicKey({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify_round_trips() {
        let identity = ServerIdentity::generate().unwrap();
        let signature = identity.sign(b"client_pub || server_pub");
        identity
            .public_key()
            .verify(b"client_pub || server_pub", &signature)
            .unwrap();
    }

    #[test]
    fn another_message_or_another_key_is_refused() {
        let identity = ServerIdentity::generate().unwrap();
        let signature = identity.sign(b"one message");
        let result = identity.public_key().verify(b"another message", &signature);
        assert!(matches!(result, Err(Error::BadSignature)));
        let stranger = ServerIdentity::generate().unwrap().public_key();
        let result = stranger.verify(b"one message", &signature);
        assert!(matches!(result, Err(Error::BadSignature)));
    }

    #[test]
    fn every_flipped_signature_bit_is_refused() {
        let identity = ServerIdentity::generate().unwrap();
        let signature = identity.sign(b"message");
        for byte in 0..SIGNATURE_LEN {
            for bit in 0..8 {
                let mut bent = signature;
                bent[byte] ^= 1 << bit;
                assert!(
                    matches!(
                        identity.public_key().verify(b"message", &bent),
                        Err(Error::BadSignature)
                    ),
                    "flip of bit {bit} in byte {byte} accepted"
                );
            }
        }
    }

    #[test]
    fn each_generated_identity_is_new() {
        let (a, b) = (ServerIdentity::generate(), ServerIdentity::generate());
        assert_ne!(a.unwrap().public_key(), b.unwrap().public_key());
    }

    #[test]
    fn public_key_argument_as_hex() {
        // RFC 8032 section 7.1, TEST 2.
        let hex = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
        let key = ServerPublicKey::from_arg(hex).unwrap();
        assert_eq!(key.to_string(), hex);
        // Upper case and surrounding spaces are fine too.
        let shouted = format!("  {}  ", hex.to_uppercase());
        assert_eq!(ServerPublicKey::from_arg(&shouted).unwrap(), key);
    }

    #[test]
    fn bad_hex_arguments_are_refused_with_a_reason() {
        let short = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660";
        let e = ServerPublicKey::from_arg(short).unwrap_err().to_string();
        assert!(e.contains("expected 64 hex digits, got 63"), "{e}");
        let e = ServerPublicKey::from_arg("no-such-key.pub")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--server-key no-such-key.pub: no such file"),
            "{e}"
        );
    }

    #[test]
    fn keys_that_are_not_usable_points_are_refused() {
        // y = 2 is not the y-coordinate of any point on the curve.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        assert!(ServerPublicKey::from_bytes(&not_a_point).is_err());
        // The identity point (y = 1) has order 1: a "key" anyone can sign for.
        let mut identity_point = [0u8; 32];
        identity_point[0] = 1;
        let e = ServerPublicKey::from_bytes(&identity_point).unwrap_err();
        assert!(e.contains("small-order"), "{e}");
        let e = ServerPublicKey::from_arg(&crate::hex(&identity_point)).unwrap_err();
        assert!(matches!(e, Error::BadKey { .. }), "{e}");
    }

    /// Ed25519's group order L (RFC 8032 5.1), little-endian.
    const GROUP_ORDER: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];

    #[test]
    fn s_plus_the_group_order_is_refused_by_plain_verify_too() {
        use ed25519_dalek::Verifier as _;
        let identity = ServerIdentity::from_secret_for_testing_only([7; 32]);
        let signature = identity.sign(b"message");
        // s is the second half, a little-endian number below L; s + L
        // still fits in 32 bytes and is the same number modulo L.
        let mut bent = signature;
        let mut carry = 0u16;
        for (byte, l) in bent[32..].iter_mut().zip(GROUP_ORDER) {
            let sum = u16::from(*byte) + u16::from(l) + carry;
            *byte = sum.to_le_bytes()[0];
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        let dalek = VerifyingKey::from_bytes(&identity.public_key().to_bytes()).unwrap();
        assert!(
            dalek
                .verify(b"message", &Signature::from_bytes(&signature))
                .is_ok()
        );
        // The plain check refuses it (5.1.7: s must be below L)...
        assert!(
            dalek
                .verify(b"message", &Signature::from_bytes(&bent))
                .is_err()
        );
        // ...and so, of course, does ours.
        assert!(matches!(
            identity.public_key().verify(b"message", &bent),
            Err(Error::BadSignature)
        ));
    }

    #[test]
    fn verify_strict_refuses_the_small_order_key_that_plain_verify_lets_sign_anything() {
        use ed25519_dalek::Verifier as _;
        // The identity point as the key, and as R with s = 0: then
        // [s]B = R + [k]A holds for every message, since both sides are
        // the identity, whatever k = SHA-512(R || A || M) is.
        let mut identity_point = [0u8; 32];
        identity_point[0] = 1;
        let weak = VerifyingKey::from_bytes(&identity_point).unwrap();
        let mut anything = [0u8; SIGNATURE_LEN];
        anything[0] = 1;
        let signature = Signature::from_bytes(&anything);
        for message in [&b"pay bob 100"[..], b"pay mallory 900"] {
            assert!(weak.verify(message, &signature).is_ok(), "plain verify");
            assert!(weak.verify_strict(message, &signature).is_err(), "strict");
        }
    }

    #[test]
    fn debug_prints_no_secret() {
        let secret = [0x5a; 32];
        let shown = format!("{:?}", ServerIdentity::from_secret_for_testing_only(secret));
        assert!(!shown.contains(&crate::hex(&secret)), "{shown}");
        assert!(shown.starts_with("ServerIdentity { public: "), "{shown}");
    }
}
