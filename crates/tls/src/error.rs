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
    /// `Ok(None)` for that. Only ever about a peer's bytes.
    Truncated,
    /// A length prefix announced a record shorter than the smallest legal one.
    RecordTooShort(usize),
    /// A length prefix (or a message we were asked to send) is larger than the
    /// format allows. Rejected before a single byte is allocated for it.
    RecordTooLong(usize),
    /// The AEAD tag did not verify: the record was forged, altered, replayed
    /// under the wrong key, or simply garbage. Deliberately says nothing more.
    Decrypt,
    /// Lesson 5: the record's HMAC did not verify. Someone changed a byte of
    /// its sequence number, nonce or ciphertext, or the tag itself, or made
    /// the record up. Checked before anything is decrypted, and deliberately
    /// says nothing more.
    BadMac,
    /// Lesson 5: an authentic record carried the wrong sequence number, so it
    /// was replayed, reordered, or one before it went missing.
    WrongSeq {
        /// The sequence number the receiver was waiting for.
        expected: u64,
        /// The sequence number the record carried.
        got: u64,
    },
    /// Lesson 5: the sender has used every sequence number. Wrapping around
    /// to 0 would let old records be replayed, so it refuses to send.
    SeqExhausted,
    /// The Diffie-Hellman result was all zeros: the peer sent a low-order
    /// public key, which would make the "shared secret" public knowledge.
    BadPeerKey,
    /// The server sent our own public key back: it is echoing, not doing a
    /// handshake (another lesson's server).
    EchoedKey,
    /// The server's echo was not what we sent.
    EchoMismatch,
    /// The server closed the connection before echoing the whole line.
    EchoCutShort {
        /// Bytes of the echo that did arrive.
        got: usize,
        /// Bytes we sent.
        sent: usize,
    },
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
    /// The operating system could not supply random bytes (for a key or a
    /// nonce). A broken machine, never something a peer can cause.
    Rng(getrandom::Error),
    /// A message would take the server past its memory budget
    /// (`--memory-budget`): the client is dropped, the others go on.
    OverBudget {
        /// The size of the message that asked.
        wanted: usize,
        /// The budget, in bytes.
        budget: usize,
    },
    /// The allocator refused memory for a message of this size. Reported
    /// instead of aborting the whole process.
    OutOfMemory(usize),
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
    /// An error, and what most likely caused it (the client's guess, such
    /// as another lesson's server on the port).
    WithHint(Box<Error>, String),
    /// A key log (`--keylog FILE`) could not be opened, written or read.
    KeyLog {
        /// The file as the user named it.
        path: String,
        /// Why the operating system said no.
        source: io::Error,
    },
    /// A request that cannot work: flags that parse but do not fit together
    /// (Eve and Mallory), or an attack aimed past the end of a message.
    Usage(String),
    /// Lesson 10: the server's Ed25519 signature over `client_pub ||
    /// server_pub` does not verify under the key the client trusts. Either
    /// the server is not the one we were told about, or someone in the
    /// middle swapped a public key. Says nothing more, like [`Error::Decrypt`].
    BadSignature,
    /// Lesson 10: the server sent its public key but no signature after it,
    /// before the deadline or before hanging up: not a lesson 10 server.
    NoSignature,
    /// Lesson 10: a key file could not be created, opened or read.
    KeyFile {
        /// The file as the user named it.
        path: String,
        /// Why the operating system said no.
        source: io::Error,
    },
    /// Lesson 10: a key (in a file or on the command line) is not what it
    /// should be: not 64 hex digits, or not a usable Ed25519 public key.
    BadKey {
        /// Where the key came from: `key file server.key`, `--server-key 12ab`.
        origin: String,
        /// What is wrong with it.
        why: String,
    },
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
            Error::WrongSeq { expected, got } => {
                write!(f, "wrong sequence number {got} (expected {expected})")
            }
            Error::SeqExhausted => f.write_str("sequence number exhausted; refusing to wrap"),
            Error::BadPeerKey => {
                f.write_str("peer public key is low-order (all-zero shared secret)")
            }
            Error::EchoedKey => {
                f.write_str("the server sent our own public key back, like an echo server")
            }
            Error::EchoMismatch => f.write_str("the echo is not what we sent"),
            Error::EchoCutShort { got, sent } => write!(
                f,
                "the server closed the connection after echoing {got} of {sent} bytes"
            ),
            Error::WithHint(e, hint) => write!(f, "{e}: {hint}"),
            Error::UnexpectedNonce { expected, got } => {
                write!(f, "unexpected nonce {got} (wanted counter {expected})")
            }
            Error::NonceExhausted => f.write_str("nonce counter exhausted; refusing to wrap"),
            Error::Rng(e) => write!(f, "the system random number generator failed: {e}"),
            Error::OverBudget { wanted, budget } => write!(
                f,
                "a message of {wanted} bytes would take the server past its memory budget \
                 of {} MiB (--memory-budget)",
                budget / (1024 * 1024)
            ),
            Error::OutOfMemory(n) => write!(f, "cannot allocate {n} bytes for a message"),
            // The usual cause, when learners run one lesson after another:
            // the last lesson's server still holds the port.
            Error::Listen { addr, source } if source.kind() == io::ErrorKind::AddrInUse => write!(
                f,
                "cannot listen on {addr}: {source} (is another lesson's server still running? \
                 stop it, or pass --addr)"
            ),
            Error::Listen { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Error::Connect { addr, source } => write!(f, "cannot connect to {addr}: {source}"),
            Error::KeyLog { path, source } => write!(f, "key log {path}: {source}"),
            Error::Usage(why) => f.write_str(why),
            Error::BadSignature => f.write_str(
                "server signature check failed: the handshake was not signed by the server key \
                 you trust; someone may be in the middle (connection refused)",
            ),
            Error::NoSignature => f.write_str(
                "the server sent no signature after its public key \
                 (is another lesson's server listening there?)",
            ),
            Error::KeyFile { path, source } if source.kind() == io::ErrorKind::AlreadyExists => {
                write!(
                    f,
                    "key file {path} already exists; refusing to overwrite it"
                )
            }
            Error::KeyFile { path, source } => write!(f, "key file {path}: {source}"),
            Error::BadKey { origin, why } => write!(f, "{origin}: {why}"),
            Error::Tls(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Listen { source, .. } | Error::Connect { source, .. } => Some(source),
            Error::KeyLog { source, .. } | Error::KeyFile { source, .. } => Some(source),
            Error::WithHint(e, _) => Some(e),
            _ => None,
        }
    }
}

impl From<getrandom::Error> for Error {
    fn from(e: getrandom::Error) -> Self {
        Error::Rng(e)
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
