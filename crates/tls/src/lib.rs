//! A TLS-shaped secure channel, built one runnable lesson at a time.
//!
//! **This is a course, not a production TLS.** It has no certificates, no
//! negotiation and no review; use rustls for anything real.
//!
//! # Layout
//!
//! Each module is one idea; the number is the lesson that introduces it.
//!
//! - [`error`]: the one error type; every bad peer byte ends up here.
//! - [`message`]: the two traits (read a message, write a message) that every
//!   lesson's channel implements, so the echo loops are written once.
//! - [`server`], [`client`]: those echo loops (lesson 1 onwards), with the
//!   server's timeouts and connection limit.
//! - [`watchdog`]: one thread that cuts off handshakes running past their
//!   deadline.
//! - [`plain`] (1, 2): raw bytes, no framing; a read returns whatever arrived.
//! - [`framing`] (2): `len(u32) || payload` records, 16 MiB at most.
//! - [`aes_ctr`] (3): ⚠️ AES-256-CTR under a shared key, unauthenticated on purpose.
//! - [`malleability`] (4): the bit flip that turns `amount=100` into `amount=900`.
//! - [`handshake`] (9): X25519 key exchange, client first, low-order keys refused.
//! - [`keys`] (8, 9): HKDF-SHA256 split into a key per direction.
//! - [`record`] (9): `len(u16) || nonce(12) || ciphertext || tag(16)`.
//! - [`nonce`] (9): random or counter nonces, and the receiver's check.
//! - [`channel`] (9): handshake plus records, as a reader and a writer.
//! - [`cli`]: flags shared by the lesson programs.
//! - [`keylog`] (9): `--keylog FILE` writes the session keys, so a capture can be read.
//! - [`tap`] (tools): cuts a captured byte stream back into each lesson's records.
//! - [`hexdump`] (tools): labelled hex dumps, coloured only on a terminal.
//! - [`proxy`] (tools): accept a client, connect to the server, relay both ways.
//! - [`lesson11_real_tls13`] (11): real TLS 1.3 with the course's primitives, talking to rustls, OpenSSL, curl.
//! - [`eve`] (tools): the passive tap; prints every record, field by field.
//! - [`mallory`] (tools): the active attacker: flip, replay, reflect, mitm.
//!
//! The programs in `src/bin/` are thin: each parses its flags and calls one
//! function here.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Prints one status line on stderr, ignoring a closed stderr.
///
/// Status and diagnostics go to stderr so that a client's stdout carries
/// only echoed data.
#[macro_export]
macro_rules! status {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

pub mod aes_ctr;
pub mod channel;
pub mod cli;
pub mod client;
pub mod error;
pub mod eve;
pub mod framing;
pub mod handshake;
pub mod hexdump;
pub mod keylog;
pub mod keys;
pub mod lesson11_real_tls13;
pub mod malleability;
pub mod mallory;
pub mod message;
pub mod nonce;
pub mod plain;
pub mod proxy;
pub mod record;
pub mod server;
pub mod tap;
pub mod watchdog;

pub use error::{Error, Result};

/// Where every lesson listens and connects unless told otherwise. One port
/// for the whole course means one capture filter: `port 7878`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7878";

/// Lower-case hex of `bytes`, for diagnostics and key logs.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
