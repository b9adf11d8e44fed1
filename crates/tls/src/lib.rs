//! A TLS-shaped secure channel, built one runnable lesson at a time.
//!
//! **This is a course, not a production TLS.** Do not attempt to protect
//! anything real with it; use rustls for that.
//!
//! # Layout
//!
//! The modules read in course order. Lesson N's code is in `lessonNN_*`,
//! named after its text in `lessons/`; a lesson uses only earlier lessons
//! and the runtime, never a later lesson or a tool.
//!
//! - [`lesson01_plaintext`]: raw bytes over TCP; a "message" is whatever one
//!   read returns.
//! - [`lesson02_records`]: `len(u32) || payload` records put message
//!   boundaries back on the byte stream; 16 MiB at most.
//! - [`lesson03_ctr_channel`]: ⚠️ AES-256-CTR under a shared key, inside
//!   lesson 2 records. Encrypted, not authenticated, on purpose.
//! - [`lesson04_ctr_malleability`]: the bit flip that turns `amount=100`
//!   into `amount=900` without the key.
//! - [`lesson05_mac`]: encrypt-then-MAC. Lesson 3's CTR plus HMAC-SHA256
//!   over `seq || nonce || ciphertext`, checked before decrypting; a
//!   sequence number per direction stops replays.
//! - [`lesson06_aead`]: ChaCha20-Poly1305: secrecy and integrity in one
//!   call; the associated data pins a record to its place in the stream.
//! - [`lesson07_key_exchange`]: X25519: two strangers agree on a secret in
//!   the open; low-order keys refused.
//! - [`lesson08_key_split`]: HKDF-SHA256 turns that secret into one key per
//!   direction, which stops reflection.
//! - [`lesson09_encrypted_echo`]: lessons 7 and 8 plus lesson 6's AEAD in
//!   records (`len(u16) || nonce(12) || ciphertext || tag(16)`): the
//!   encrypted echo, still unauthenticated.
//! - [`lesson10_authentication`]: the server signs `client_pub || server_pub`
//!   with its Ed25519 key; the client refuses a handshake that does not
//!   verify, so Mallory's man in the middle is caught.
//! - [`lesson11_real_tls13`]: real TLS 1.3 (RFC 8446) built from the
//!   course's parts, talking to rustls, OpenSSL and curl.
//!
//! Beside the lessons:
//!
//! - [`runtime`]: the echo server and client loops every lesson runs on,
//!   their limits and the shared command-line flags.
//! - [`tools`]: Eve (the passive tap) and Mallory (the active attacker),
//!   and the tour that runs every lesson past them. They understand every
//!   lesson's wire format; no lesson uses them.
//! - [`error`]: the one error type; every bad peer byte ends up here.
//!
//! The programs in `src/bin/` are thin: each parses its flags and calls one
//! function here.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Queues one status line for stderr; never waits (see `runtime::output`).
///
/// Status and diagnostics go to stderr so that a client's stdout carries
/// only echoed data.
#[macro_export]
macro_rules! status {
    ($($arg:tt)*) => {
        $crate::runtime::output::err_line(format_args!($($arg)*))
    };
}

pub mod error;
pub mod runtime;

pub mod lesson01_plaintext;
pub mod lesson02_records;
pub mod lesson03_ctr_channel;
pub mod lesson04_ctr_malleability;
pub mod lesson05_mac;
pub mod lesson06_aead;
pub mod lesson07_key_exchange;
pub mod lesson08_key_split;
pub mod lesson09_encrypted_echo;
pub mod lesson10_authentication;
pub mod lesson11_real_tls13;

pub mod tools;

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

/// The first 8 bytes of `bytes` in hex, then `...`: enough to see that a
/// key is there and changes on every run, without filling the screen.
pub fn short_hex(bytes: &[u8]) -> String {
    let head = bytes.get(..8).unwrap_or(bytes);
    format!("{}...", hex(head))
}

/// Decodes exactly `N` bytes from `2 * N` hex digits (either case), or
/// `None` if `text` is anything else: the inverse of [`hex`].
pub fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = (nibble(*high)? << 4) | nibble(*low)?;
    }
    Some(out)
}

/// The value of one hex digit (either case).
fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}
