//! One error type for the whole course.
//!
//! Every way a peer can misbehave has a variant here, so a bad byte on the
//! wire becomes a value the server can print and drop, never a panic. The
//! attack tests `match` on these variants to prove which defence fired.

use std::fmt;
use std::io;

/// Everything that can go wrong while talking to a peer.
#[derive(Debug)]
pub enum Error {
    /// The operating system reported an I/O error (reset, broken pipe, ...).
    Io(io::Error),
    /// The peer went quiet for longer than the timeout allows.
    TimedOut,
    /// The peer closed the connection in the middle of a handshake or a
    /// record. A close *between* records is not an error; readers return
    /// `Ok(None)` for that.
    Truncated,
    /// A length prefix announced a record shorter than the smallest legal one.
    RecordTooShort(usize),
    /// A length prefix (or a message we were asked to send) is larger than the
    /// format allows. Rejected before a single byte is allocated for it.
    RecordTooLong(usize),
    /// The AEAD tag did not verify: the record was forged, altered, replayed
    /// under the wrong key, or simply garbage. Deliberately says nothing more.
    Decrypt,
    /// A MAC did not verify (lesson 5).
    BadMac,
    /// The Diffie-Hellman result was all zeros: the peer sent a low-order
    /// public key, which would make the "shared secret" public knowledge.
    BadPeerKey,
    /// Counter nonces: the record did not carry the next expected counter, so
    /// it was replayed, reordered, or one before it was dropped.
    UnexpectedNonce {
        /// The counter the receiver was waiting for.
        expected: u64,
        /// The nonce the record actually carried, as hex.
        got: String,
    },
    /// Counter nonces: the sender has used every counter value. Wrapping
    /// around would reuse a nonce, so it refuses to send.
    NonceExhausted,
    /// A signature over the handshake did not verify (lesson 10).
    BadSignature,
    /// We could not listen on the address the user gave.
    Listen {
        /// The address as the user wrote it.
        addr: String,
        /// Why the operating system said no.
        source: io::Error,
    },
    /// We could not connect to the address the user gave.
    Connect {
        /// The address as the user wrote it.
        addr: String,
        /// Why the operating system said no.
        source: io::Error,
    },
    /// A key log (`--keylog FILE`) could not be opened, written or read.
    KeyLog {
        /// The file as the user named it.
        path: String,
        /// Why the operating system said no.
        source: io::Error,
    },
    /// Flags that parse but do not make sense together (Eve and Mallory).
    Usage(String),
    /// Lesson 11: a TLS 1.3 failure, with the alert it deserves.
    Tls(crate::lesson11_real_tls13::TlsError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "i/o error: {e}"),
            Error::TimedOut => f.write_str("peer was silent for too long (timeout)"),
            Error::Truncated => f.write_str("peer closed the connection mid-message"),
            Error::RecordTooShort(n) => write!(f, "record length {n} is too short"),
            Error::RecordTooLong(n) => write!(f, "record length {n} is too long"),
            Error::Decrypt => f.write_str("record failed authentication (bad tag)"),
            Error::BadMac => f.write_str("record failed authentication (bad mac)"),
            Error::BadPeerKey => {
                f.write_str("peer public key is low-order (all-zero shared secret)")
            }
            Error::UnexpectedNonce { expected, got } => {
                write!(f, "unexpected nonce {got} (wanted counter {expected})")
            }
            Error::NonceExhausted => f.write_str("nonce counter exhausted; refusing to wrap"),
            Error::BadSignature => f.write_str("server signature does not verify"),
            Error::Listen { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Error::Connect { addr, source } => write!(f, "cannot connect to {addr}: {source}"),
            Error::KeyLog { path, source } => write!(f, "key log {path}: {source}"),
            Error::Usage(why) => f.write_str(why),
            Error::Tls(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Listen { source, .. } | Error::Connect { source, .. } => Some(source),
            Error::KeyLog { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            // `read_exact` reports a close part-way through as UnexpectedEof.
            io::ErrorKind::UnexpectedEof => Error::Truncated,
            // A socket read timeout shows up as WouldBlock on Unix and
            // TimedOut on Windows; both mean "the peer said nothing".
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::TimedOut,
            _ => Error::Io(e),
        }
    }
}

impl From<crate::lesson11_real_tls13::TlsError> for Error {
    fn from(e: crate::lesson11_real_tls13::TlsError) -> Self {
        Error::Tls(e)
    }
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;
