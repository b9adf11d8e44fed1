//! The transcript hash (RFC 8446 4.4.1): SHA-256 over every handshake
//! message so far, each with its 4-byte handshake header, in wire order.
//!
//! ```text
//! Transcript-Hash(M1, M2, ... Mn) = SHA-256(M1 || M2 || ... || Mn)
//! ```
//!
//! This is what binds the keys to the conversation. Each traffic secret is
//! derived from the hash at one point of the handshake, CertificateVerify
//! signs the hash up to the Certificate, and each Finished MACs the hash up
//! to just before it. If Mallory changes a single byte of any message (to
//! strip our cipher suite from a ClientHello, say), the two sides hash
//! different transcripts and the Finished MACs fail. Lesson 10 signed
//! `client_pub || server_pub`; TLS signs the whole conversation.
//!
//! Records, alerts and change_cipher_spec are not part of the transcript:
//! only handshake messages are.

use sha2::{Digest, Sha256};

use super::HASH_LEN;

/// A running SHA-256 over the handshake messages seen so far.
#[derive(Clone, Default)]
pub struct Transcript {
    hash: Sha256,
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Transcript {
        Transcript::default()
    }

    /// Adds one whole handshake message (header included).
    pub fn add(&mut self, message: &[u8]) {
        self.hash.update(message);
    }

    /// The hash of everything added so far. The running state is cloned, so
    /// more messages can still be added afterwards.
    pub fn current(&self) -> [u8; HASH_LEN] {
        self.hash.clone().finalize().into()
    }
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Transcript({})", crate::hex(&self.current()))
    }
}

/// SHA-256 of nothing: the "transcript" Derive-Secret uses for the
/// `derived` steps of the key schedule.
pub fn empty_hash() -> [u8; HASH_LEN] {
    Sha256::digest([]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_of_nothing_is_the_sha256_of_the_empty_string() {
        assert_eq!(
            crate::hex(&empty_hash()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Transcript::new().current(), empty_hash());
    }

    #[test]
    fn current_does_not_stop_the_running_hash() {
        let mut t = Transcript::new();
        t.add(b"client hello");
        let first = t.current();
        t.add(b"server hello");
        assert_ne!(t.current(), first);
        let mut whole = Transcript::new();
        whole.add(b"client helloserver hello");
        assert_eq!(
            t.current(),
            whole.current(),
            "hashing is of the concatenation"
        );
    }
}
