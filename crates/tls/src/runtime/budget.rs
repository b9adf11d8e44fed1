//! The memory budget: a limit on message bytes buffered across all
//! connections, and the buffer that respects it.
//!
//! Lesson 2 allows a record of 16 MiB, and the server must hold a whole
//! record before it can print and echo it. Forty clients sending 16 MiB at
//! once would ask for 640 MiB; a thousand would ask for 16 GiB, and the
//! operating system would end the server (Rust aborts when an allocation
//! fails). So every message buffer is charged against one budget shared by
//! the whole process:
//!
//! ```text
//! record header says 16 MiB --> budget: 200 MiB used of 256?  --> fits: read it
//!                                                             --> too much: drop
//!                                                                 this client
//! ```
//!
//! A client that would push the server past its budget is dropped with a
//! reason, and everyone else carries on. After a large message the buffer
//! shrinks back (to [`KEEP_BYTES`]) before the next one is awaited, so an
//! idle connection holds little, however big its last message was.
//!
//! The budget is a process-wide setting because a server process serves
//! one lesson. Clients never set it, so for them it is unlimited.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// The default budget for all buffered message bytes: 256 MiB
/// (`--memory-budget`). Sixteen 16 MiB lesson 2 messages at once, or about
/// two thousand lesson 9 connections' record buffers.
pub const DEFAULT_MEMORY_BUDGET: usize = 256 * 1024 * 1024;
/// What a buffer keeps between messages: one lesson 9 record's worth.
/// Anything larger is given back before the next message is awaited.
pub const KEEP_BYTES: usize = 64 * 1024;
/// How much a buffer grows by at first while a large message arrives; it
/// then doubles, never past the message's announced length.
const FIRST_STEP: usize = 64 * 1024;

static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);
static USED: AtomicUsize = AtomicUsize::new(0);

/// Sets the budget for this process (servers call it once at start).
pub fn set_limit(bytes: usize) {
    LIMIT.store(bytes, Ordering::SeqCst);
}

/// The budget in force.
pub fn limit() -> usize {
    LIMIT.load(Ordering::SeqCst)
}

/// Bytes charged to the budget right now, across every connection.
pub fn in_use() -> usize {
    USED.load(Ordering::SeqCst)
}

/// Takes `bytes` from the budget, or refuses if that would pass the limit.
/// `message` is the size of the message asking, for the error.
fn charge(bytes: usize, message: usize) -> Result<()> {
    let limit = limit();
    USED.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
        used.checked_add(bytes).filter(|&total| total <= limit)
    })
    .map(|_| ())
    .map_err(|_| Error::OverBudget {
        wanted: message,
        budget: limit,
    })
}

/// Gives `bytes` back to the budget.
fn release(bytes: usize) {
    USED.fetch_sub(bytes, Ordering::SeqCst);
}

/// A claim on the budget for memory held some other way (the tools'
/// record splitter holds part-records in a plain `Vec`). Dropping it gives
/// the bytes back.
#[derive(Debug, Default)]
pub struct Charge {
    bytes: usize,
}

impl Charge {
    /// Makes the claim exactly `bytes`, or refuses (and leaves it as it
    /// was) if that would pass the limit.
    pub fn set(&mut self, bytes: usize) -> Result<()> {
        if bytes > self.bytes {
            charge(bytes - self.bytes, bytes)?;
        } else {
            release(self.bytes - bytes);
        }
        self.bytes = bytes;
        Ok(())
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        release(self.bytes);
    }
}

/// A buffer for one message at a time, charged against the budget for
/// every byte of capacity it holds.
#[derive(Debug, Default)]
pub struct MessageBuffer {
    bytes: Vec<u8>,
    charged: usize,
}

impl MessageBuffer {
    /// An empty buffer; it holds (and is charged for) nothing yet.
    pub fn new() -> MessageBuffer {
        MessageBuffer::default()
    }

    /// Forgets the last message and, if it was large, gives its memory
    /// back. Call it before waiting for the next message.
    pub fn recycle(&mut self) {
        self.bytes.clear();
        if self.bytes.capacity() > KEEP_BYTES {
            self.bytes = Vec::new();
        }
        self.settle();
    }

    /// Reads exactly `len` bytes from `reader` into the (recycled) buffer.
    ///
    /// The budget is charged for all `len` bytes first, so a client that
    /// announces a large message is refused before anything is read. The
    /// memory itself is taken only as bytes arrive (doubling, never past
    /// `len`), so announcing 16 MiB and sending nothing costs little.
    /// A close before `len` bytes is [`Error::Truncated`].
    pub fn read_exact_from<R: Read>(&mut self, reader: &mut R, len: usize) -> Result<&mut [u8]> {
        self.recycle();
        self.reserve_budget(len)?;
        while self.bytes.len() < len {
            if self.bytes.len() == self.bytes.capacity() {
                let target = self
                    .bytes
                    .capacity()
                    .saturating_mul(2)
                    .clamp(FIRST_STEP.min(len), len);
                self.grow_to(target, len)?;
            }
            // Read no further than the room we have, and never past this
            // message's end (a buffer kept from an earlier message may be
            // larger than this one).
            let room = self.bytes.capacity().min(len) - self.bytes.len();
            let room = u64::try_from(room).unwrap_or(u64::MAX);
            let got = reader.take(room).read_to_end(&mut self.bytes)?;
            if got == 0 {
                return Err(Error::Truncated);
            }
        }
        self.settle();
        Ok(&mut self.bytes)
    }

    /// A zeroed slice of exactly `len` bytes, charged to the budget (for
    /// readers that fill a fixed-size buffer themselves).
    pub fn zeroed(&mut self, len: usize) -> Result<&mut [u8]> {
        self.bytes.clear();
        self.reserve_budget(len)?;
        self.grow_to(len, len)?;
        self.bytes.resize(len, 0);
        self.settle();
        Ok(&mut self.bytes)
    }

    /// The message read last.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// The message read last, to decrypt where it lies.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// Bytes of memory this buffer holds (its capacity).
    pub fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// Makes sure the budget covers `len` bytes of capacity.
    fn reserve_budget(&mut self, len: usize) -> Result<()> {
        if len > self.charged {
            charge(len - self.charged, len)?;
            self.charged = len;
        }
        Ok(())
    }

    /// Grows the capacity to exactly `target`, refusing (instead of
    /// aborting the process) if the allocator says no.
    fn grow_to(&mut self, target: usize, message: usize) -> Result<()> {
        let extra = target.saturating_sub(self.bytes.len());
        self.bytes
            .try_reserve_exact(extra)
            .map_err(|_| Error::OutOfMemory(message))
    }

    /// Makes the charge match what the buffer really holds.
    fn settle(&mut self) {
        let holds = self.bytes.capacity();
        if self.charged > holds {
            release(self.charged - holds);
            self.charged = holds;
        }
    }
}

impl Drop for MessageBuffer {
    fn drop(&mut self) {
        release(self.charged);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The budget is process-wide, and unit tests run in parallel: these
    // tests never change the limit (unlimited here). The limit itself is
    // tested in its own process, in crates/tls/tests/budget.rs.

    #[test]
    fn a_message_is_read_whole_and_the_buffer_fits_it_exactly() {
        let data: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
        let mut buffer = MessageBuffer::new();
        let got = buffer
            .read_exact_from(&mut data.as_slice(), data.len())
            .unwrap();
        assert_eq!(got, &data[..]);
        assert_eq!(buffer.capacity(), data.len());
    }

    #[test]
    fn a_kept_buffer_never_reads_past_the_message() {
        // Two messages back to back: the second, shorter one must not take
        // bytes of the third just because the buffer has room for them.
        let wire = b"0123456789abcdefXYZ";
        let mut reader = &wire[..];
        let mut buffer = MessageBuffer::new();
        assert_eq!(
            buffer.read_exact_from(&mut reader, 10).unwrap(),
            b"0123456789"
        );
        assert_eq!(buffer.read_exact_from(&mut reader, 6).unwrap(), b"abcdef");
        assert_eq!(reader, b"XYZ");
    }

    #[test]
    fn a_large_buffer_shrinks_back_before_the_next_message() {
        let big = vec![7u8; 1_000_000];
        let mut buffer = MessageBuffer::new();
        buffer
            .read_exact_from(&mut big.as_slice(), big.len())
            .unwrap();
        assert_eq!(buffer.charged, 1_000_000);
        buffer.recycle();
        assert_eq!(buffer.capacity(), 0);
        assert_eq!(buffer.charged, 0);
        // A small message keeps its buffer between messages.
        buffer.read_exact_from(&mut &b"hello"[..], 5).unwrap();
        buffer.recycle();
        assert!(buffer.capacity() <= KEEP_BYTES);
    }

    #[test]
    fn an_announced_length_with_no_body_takes_little_memory() {
        let mut buffer = MessageBuffer::new();
        let mut three: &[u8] = b"abc";
        let result = buffer.read_exact_from(&mut three, 16 * 1024 * 1024);
        assert!(matches!(result, Err(Error::Truncated)));
        assert!(buffer.capacity() <= FIRST_STEP, "{}", buffer.capacity());
    }

    #[test]
    fn the_charge_follows_the_memory_held() {
        let mut buffer = MessageBuffer::new();
        assert_eq!(buffer.zeroed(10_000).unwrap().len(), 10_000);
        assert_eq!(buffer.charged, buffer.capacity());
        buffer.recycle();
        assert_eq!(buffer.charged, buffer.capacity());
        assert!(buffer.charged <= KEEP_BYTES);
    }
}
