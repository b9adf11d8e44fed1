//! Lesson 5: integrity. Encrypt-then-MAC with HMAC-SHA256, and sequence
//! numbers.
//!
//! Lesson 4 changed `amount=100` into `amount=900` inside a lesson 3 record,
//! and the receiver had no way to notice. This lesson keeps lesson 3's
//! AES-256-CTR exactly as it was and adds a second key and a second
//! primitive: an HMAC-SHA256 tag over everything the receiver is about to
//! trust. Change one bit anywhere and the tag no longer matches.
//!
//! # Wire format
//!
//! Each message is one lesson 2 record. Its payload (byte for byte the
//! source series' part 2, `crypto_hmac_seq.py`):
//!
//! ```text
//! +--------------+-----------+--------------+-------------------+------------+
//! | length (u32) | seq (u64) | nonce (16 B) | ciphertext (N B)  | mac (32 B) |
//! +--------------+-----------+--------------+-------------------+------------+
//!   lesson 2       big-endian  random,        AES-256-CTR(enc_key, nonce, pt)
//!   = 56 + N       0, 1, 2...  per record     exactly as in lesson 3
//!                 \________________ covered by the mac ________/
//!
//! mac = HMAC-SHA256(mac_key, seq || nonce || ciphertext)
//! ```
//!
//! - **Encrypt, then MAC.** The tag is computed over the *ciphertext*, so the
//!   receiver can check it without decrypting anything. A forged record is
//!   thrown away before a single byte of it goes near AES (see `record.rs`
//!   for why the order matters so much).
//! - **The sequence number is inside the MAC.** Each direction counts its own
//!   records from 0. The tag ties a record to its place in the stream, and the
//!   receiver insists on exactly the next number, so an authentic record
//!   played twice, out of order, or after a dropped one is refused.
//! - **Two keys.** [`ENC_KEY`] is lesson 3's AES key; [`MAC_KEY`] is a second
//!   constant. Using one key for two different primitives is a classic way to
//!   get surprising interactions, so each gets its own.
//!
//! # The files
//!
//! - [`record`]: one payload: seal (encrypt, then MAC) and verify-then-open.
//! - [`channel`]: [`channel::MacReader`] and [`channel::MacWriter`], which
//!   count sequence numbers, one direction each, on top of lesson 2 records,
//!   and [`open`], which puts the two on a connection.
//!
//! # ⚠️ Still not a secure channel
//!
//! Both keys are constants in this file: anyone with the program can read
//! *and forge* every record. Both directions use the same keys, so a record
//! bounced back to its sender still carries a valid tag (the reflection
//! attack, lesson 8). Lesson 6 replaces the two primitives with one AEAD;
//! lesson 7 replaces the constants with a key exchange.

pub mod channel;
pub mod record;

use crate::lesson02_records;
use crate::lesson03_ctr_channel;

// The lesson's front door: `lesson05_mac::open(socket, seq_check)`.
pub use channel::open;

/// The AES-256 key: lesson 3's shared key, unchanged. The encryption half
/// of this lesson *is* lesson 3.
pub const ENC_KEY: &[u8; lesson03_ctr_channel::KEY_LEN] = lesson03_ctr_channel::SHARED_KEY;
/// Bytes in [`MAC_KEY`].
pub const MAC_KEY_LEN: usize = 31;
/// The HMAC key: the 31 ASCII bytes of the source series' part 2. Just as
/// public as [`ENC_KEY`]; see the banner above.
pub const MAC_KEY: &[u8; MAC_KEY_LEN] = b"HMAC_KEY_FOR_PART2_DEMO_1234567";

/// Bytes in the sequence number: a big-endian `u64`.
pub const SEQ_LEN: usize = 8;
/// Bytes of AES-CTR nonce, the same as lesson 3's.
pub const NONCE_LEN: usize = lesson03_ctr_channel::NONCE_LEN;
/// Bytes in an HMAC-SHA256 tag. Never truncated: the receiver wants all 32.
pub const TAG_LEN: usize = 32;
/// The smallest legal payload: an empty message still has a sequence
/// number, a nonce and a tag (8 + 16 + 32 = 56 bytes).
pub const MIN_PAYLOAD_LEN: usize = SEQ_LEN + NONCE_LEN + TAG_LEN;
/// The most plaintext one record can carry: lesson 2's 16 MiB limit minus
/// the 56 bytes around it. Longer messages are split.
pub const MAX_PLAINTEXT_LEN: usize = lesson02_records::MAX_PAYLOAD_LEN - MIN_PAYLOAD_LEN;

/// Whether the receiver insists on exactly the next sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqCheck {
    /// The only sensible setting: a record must carry the next number.
    Required,
    /// ⚠️ For the replay demonstration only (`5-mac-echo-server
    /// --no-seq-check`): any sequence number is accepted as long as the tag
    /// verifies, so a replayed record is served again.
    InsecurelySkipped,
}
