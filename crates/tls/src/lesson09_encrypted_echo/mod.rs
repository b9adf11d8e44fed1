//! Lesson 9: the encrypted echo. Lessons 7 and 8 plus AEAD records.
//!
//! ```text
//! client                                           server
//!   | -- client_pub ------------------------------> |   lesson 7: X25519
//!   | <------------------------------ server_pub -- |
//!   |        keys = HKDF split of the shared secret    lesson 8: c2s, s2c
//!   | -- len || nonce || ChaCha20Poly1305(c2s) ---> |   record.rs
//!   | <--- len || nonce || ChaCha20Poly1305(s2c) -- |
//! ```
//!
//! - [`handshake`]: the lesson 7 exchange followed by the lesson 8 split.
//! - [`record`]: one encrypted record on the wire: seal, read, open.
//! - [`nonce`]: random or counter nonces, and the receiver's check.
//! - [`channel`]: handshake plus records, as a reader and a writer.
//! - [`keylog`]: `--keylog FILE` writes the session keys, so a capture can
//!   be read.
//!
//! Still missing: nothing says *who* is on the other end (lesson 10).

pub mod channel;
pub mod handshake;
pub mod keylog;
pub mod nonce;
pub mod record;
