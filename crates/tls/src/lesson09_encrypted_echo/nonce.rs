//! Where each record's 12-byte nonce comes from, and what the receiver
//! accepts.
//!
//! A ChaCha20-Poly1305 nonce must never repeat under one key: two records
//! with the same key and nonce leak the XOR of their plaintexts and let an
//! attacker forge tags. Lesson 9 offers two ways to keep that promise.
//!
//! ```text
//! random   nonce = 12 fresh bytes from the OS CSPRNG        (the default)
//! counter  nonce = 00 00 00 00 || seq as u64 big-endian     (TLS-style)
//!          seq = 0 for the first record in each direction, +1 per record
//! ```
//!
//! Random nonces need no state, but a receiver cannot tell a replayed record
//! from a new one. Counter nonces cost one `u64` per direction, and in return
//! the receiver can insist on *exactly* the next value, so a replayed,
//! dropped or reordered record ends the connection.

use std::fmt;

use crate::error::{Error, Result};
use crate::lesson09_encrypted_echo::record::NONCE_LEN;

/// Which nonce policy a connection uses. Both sides must agree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum NonceMode {
    /// 12 random bytes per record; any nonce is accepted.
    #[default]
    Random,
    /// A counter per direction; only the next counter is accepted.
    Counter,
}

impl fmt::Display for NonceMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NonceMode::Random => "random",
            NonceMode::Counter => "counter",
        })
    }
}

/// The nonce that carries counter value `seq`.
pub fn counter_nonce(seq: u64) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    let (_zeros, counter) = nonce.split_at_mut(NONCE_LEN - 8);
    counter.copy_from_slice(&seq.to_be_bytes());
    nonce
}

/// How many random nonces are fetched from the OS at once.
///
/// Speed: one `getrandom` system call costs about 0.5 µs on the course's
/// machines, as much as sealing a small record, so fetching nonces one by one
/// made random mode measurably slower than counter mode (see BENCHMARKS.md).
/// Fetching 32 per call makes each one cost a few tens of nanoseconds.
/// This is safe because nonces are not secret: each travels in the clear in
/// front of its record. All a nonce must be is never repeated under one key,
/// and bytes from the OS are that whether they are fetched 12 or 384 at a time.
const RANDOM_BATCH: usize = 32;

/// The sending side's nonce source.
#[derive(Debug)]
pub struct NonceSequence {
    mode: NonceMode,
    next: u64,
    // Random mode only: nonces fetched ahead from the OS, `used` of them
    // already handed out (all of them, until the first call).
    fetched: [[u8; NONCE_LEN]; RANDOM_BATCH],
    used: usize,
}

impl NonceSequence {
    /// A fresh sequence: for counters, the first nonce carries 0.
    pub fn new(mode: NonceMode) -> NonceSequence {
        Self::starting_at_for_testing_only(mode, 0)
    }

    /// Starts the counter at `seq`, so tests can reach the end of the counter
    /// space without sending 2^64 records.
    pub fn starting_at_for_testing_only(mode: NonceMode, seq: u64) -> NonceSequence {
        NonceSequence {
            mode,
            next: seq,
            fetched: [[0; NONCE_LEN]; RANDOM_BATCH],
            used: RANDOM_BATCH,
        }
    }

    /// The nonce for the next record.
    pub fn next_nonce(&mut self) -> Result<[u8; NONCE_LEN]> {
        match self.mode {
            NonceMode::Random => {
                // 12 fresh bytes from the OS CSPRNG, fetched in batches.
                if self.used == RANDOM_BATCH {
                    getrandom::fill(self.fetched.as_flattened_mut())?;
                    self.used = 0;
                }
                // In range: `used` is below RANDOM_BATCH after the refill.
                let nonce = self.fetched[self.used];
                self.used += 1;
                Ok(nonce)
            }
            NonceMode::Counter => {
                // u64::MAX is never used: once we get there, every value has
                // been spent and the only way on would be to wrap to 0 and
                // repeat a nonce. Refuse instead (the connection must end).
                if self.next == u64::MAX {
                    return Err(Error::NonceExhausted);
                }
                let nonce = counter_nonce(self.next);
                self.next += 1;
                Ok(nonce)
            }
        }
    }
}

/// The receiving side's nonce check.
#[derive(Debug)]
pub struct NonceCheck {
    mode: NonceMode,
    expected: u64,
}

impl NonceCheck {
    /// A fresh check: for counters, the first record must carry 0.
    pub fn new(mode: NonceMode) -> NonceCheck {
        NonceCheck { mode, expected: 0 }
    }

    /// Accepts `nonce` if the policy allows it, and moves the counter on.
    pub fn accept(&mut self, nonce: &[u8; NONCE_LEN]) -> Result<()> {
        match self.mode {
            // A random nonce could be anything, so there is nothing to check:
            // this is exactly why random nonces cannot stop a replay.
            NonceMode::Random => Ok(()),
            NonceMode::Counter => {
                if *nonce != counter_nonce(self.expected) || self.expected == u64::MAX {
                    return Err(Error::UnexpectedNonce {
                        expected: self.expected,
                        got: crate::hex(nonce),
                    });
                }
                self.expected += 1;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_nonce_layout() {
        assert_eq!(counter_nonce(0), [0; 12]);
        assert_eq!(
            counter_nonce(0x0102_0304_0506_0708),
            [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]
        );
    }

    #[test]
    fn counter_counts_from_zero() {
        let mut seq = NonceSequence::new(NonceMode::Counter);
        for n in 0..5 {
            assert_eq!(seq.next_nonce().unwrap(), counter_nonce(n));
        }
    }

    #[test]
    fn sender_refuses_to_wrap() {
        let mut seq = NonceSequence::starting_at_for_testing_only(NonceMode::Counter, u64::MAX - 2);
        assert_eq!(seq.next_nonce().unwrap(), counter_nonce(u64::MAX - 2));
        assert_eq!(seq.next_nonce().unwrap(), counter_nonce(u64::MAX - 1));
        assert!(matches!(seq.next_nonce(), Err(Error::NonceExhausted)));
        // And it keeps refusing: it never comes back round to zero.
        assert!(matches!(seq.next_nonce(), Err(Error::NonceExhausted)));
    }

    #[test]
    fn random_nonces_differ() {
        let mut seq = NonceSequence::new(NonceMode::Random);
        assert_ne!(seq.next_nonce().unwrap(), seq.next_nonce().unwrap());
    }

    #[test]
    fn random_nonces_never_repeat_across_batches() {
        // Several batches' worth: a refill bug (reusing a batch, or handing
        // out the zero-filled buffer) would repeat a nonce here.
        let mut seq = NonceSequence::new(NonceMode::Random);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..RANDOM_BATCH * 4 + 1 {
            let nonce = seq.next_nonce().unwrap();
            assert_ne!(nonce, [0; NONCE_LEN]);
            assert!(seen.insert(nonce), "nonce {nonce:?} handed out twice");
        }
    }

    #[test]
    fn receiver_demands_exactly_the_next_counter() {
        let mut check = NonceCheck::new(NonceMode::Counter);
        check.accept(&counter_nonce(0)).unwrap();
        check.accept(&counter_nonce(1)).unwrap();
        // Replay of 1.
        assert!(matches!(
            check.accept(&counter_nonce(1)),
            Err(Error::UnexpectedNonce { expected: 2, .. })
        ));
        // Skip to 3.
        let mut check = NonceCheck::new(NonceMode::Counter);
        check.accept(&counter_nonce(0)).unwrap();
        assert!(check.accept(&counter_nonce(2)).is_err());
        // A nonce with a non-zero prefix is not a counter nonce at all.
        let mut odd = counter_nonce(0);
        odd[0] = 1;
        assert!(NonceCheck::new(NonceMode::Counter).accept(&odd).is_err());
    }

    #[test]
    fn random_mode_accepts_anything() {
        let mut check = NonceCheck::new(NonceMode::Random);
        check.accept(&[0xaa; 12]).unwrap();
        check.accept(&[0xaa; 12]).unwrap();
    }
}
