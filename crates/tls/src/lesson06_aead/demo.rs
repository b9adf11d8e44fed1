//! The `6-aead-demo` program: seal a request, attack it twice, and compare
//! the one AEAD call with lesson 5's three steps.
//!
//! The experiments ([`SealedRecord`], [`flip_attack`]) return what happened,
//! so the tests below can assert it; [`run`] only prints those values, so
//! every byte shown is a real one.
//!
//! ```text
//! Alice                          Mallory                        Bob
//! seal(key, nonce, aad = 0, p)
//!   -- nonce || ciphertext || tag -->  flip a bit  -->  open(key, nonce, aad = 0, ...)
//!                                                       Error::Decrypt: no plaintext
//!   -- the same record, again  ---->  replay      -->  open(..., aad = 1, ...)
//!                                                       Error::Decrypt: wrong place
//! ```

use std::io::{self, Write};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::lesson03_ctr_channel;
use crate::lesson04_ctr_malleability::narration::plaintext_line;
use crate::lesson04_ctr_malleability::{Flip, REQUEST, Target, flip};
use crate::lesson06_aead::{
    KEY_LEN, NONCE_LEN, TAG_LEN, open_record, random_key, seal_record, seq_aad,
};

/// One request sealed by Alice as record number `seq` of her stream.
///
/// The key is random for the demo; Alice and Bob both hold it (how they
/// could agree on it is lesson 7).
pub struct SealedRecord {
    /// The key Alice and Bob share.
    pub key: [u8; KEY_LEN],
    /// The record's place in Alice's stream, sealed in as the associated
    /// data. Never sent: Bob counts records too.
    pub seq: u64,
    /// What travels: `nonce || ciphertext || tag`.
    pub wire: Vec<u8>,
}

impl SealedRecord {
    /// Seals `plaintext` as record `seq`, under a fresh key and nonce.
    pub fn new(plaintext: &[u8], seq: u64) -> Result<SealedRecord> {
        let key = random_key()?;
        // aad = seq as u64 big-endian: authenticated, not encrypted, not sent.
        let wire = seal_record(&key, seq, plaintext)?;
        Ok(SealedRecord { key, seq, wire })
    }

    /// The nonce: the first [`NONCE_LEN`] bytes, in the clear.
    pub fn nonce(&self) -> &[u8] {
        self.wire.get(..NONCE_LEN).unwrap_or_default()
    }

    /// The ciphertext: everything between nonce and tag, as long as the
    /// plaintext.
    pub fn ciphertext(&self) -> &[u8] {
        let end = self.wire.len().saturating_sub(TAG_LEN);
        self.wire.get(NONCE_LEN..end).unwrap_or_default()
    }

    /// The tag: the last [`TAG_LEN`] bytes.
    pub fn tag(&self) -> &[u8] {
        let start = self.wire.len().saturating_sub(TAG_LEN);
        self.wire.get(start..).unwrap_or_default()
    }

    /// Bob opens the untouched record believing it is record number `seq`.
    pub fn open_as(&self, seq: u64) -> Result<Vec<u8>> {
        open_record(&self.key, seq, &self.wire)
    }
}

/// What lesson 4's flip did to the sealed record.
#[derive(Debug)]
pub struct FlipAttack {
    /// The edit in flight, on the wire bytes `nonce || ciphertext || tag`.
    pub flip: Flip,
    /// What Bob's `open` gave for the edited bytes: [`Error::Decrypt`].
    pub outcome: Result<Vec<u8>>,
}

/// Makes lesson 4's edit (XOR `target.mask()` into the ciphertext byte at
/// `target.offset`) on the wire, and lets Bob open the result at the right
/// place in the stream.
pub fn flip_attack(record: &SealedRecord, target: Target) -> Result<FlipAttack> {
    let mut wire = record.wire.clone();
    // The ciphertext starts after the nonce and lines up with the plaintext.
    let index = NONCE_LEN + target.offset;
    let flip = flip(&mut wire, index, target.mask()).ok_or_else(|| {
        Error::Usage(format!(
            "offset {} is past the end of the record",
            target.offset
        ))
    })?;
    let outcome = open_record(&record.key, record.seq, &wire);
    Ok(FlipAttack { flip, outcome })
}

/// Bytes lesson 5 adds to every message: `seq(u64) || nonce || ... ||
/// HMAC-SHA256 tag`, with lesson 3's 16-byte AES-CTR nonce. Worked out from
/// the parts, not copied from lesson 5.
pub fn lesson5_overhead() -> (usize, usize, usize) {
    (
        size_of::<u64>(),
        lesson03_ctr_channel::NONCE_LEN,
        <Sha256 as Digest>::output_size(),
    )
}

/// Runs the experiments on [`REQUEST`] and explains them on `out`.
pub fn run(out: &mut impl Write) -> Result<()> {
    let target = Target::first_digit_of_amount(REQUEST, b'9')
        .ok_or_else(|| Error::Usage("the request has no amount= field".to_string()))?;
    let record = SealedRecord::new(REQUEST, 0)?;
    let flipped = flip_attack(&record, target)?;
    narrate(out, &record, target, &flipped)?;
    Ok(())
}

/// `ACCEPTED: <plaintext>` or `REJECTED: <error>`: how the demos report
/// what an `open` gave.
pub fn verdict(outcome: &Result<Vec<u8>>) -> String {
    match outcome {
        Ok(plaintext) => format!("ACCEPTED: {}", String::from_utf8_lossy(plaintext)),
        Err(e) => format!("REJECTED: {e}"),
    }
}

fn narrate(
    out: &mut impl Write,
    record: &SealedRecord,
    target: Target,
    flipped: &FlipAttack,
) -> io::Result<()> {
    let seq = record.seq;
    let replayed_as = seq + 1;

    writeln!(
        out,
        "Lesson 6: AEAD, secrecy and integrity in one call (ChaCha20-Poly1305)"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 1. Alice seals her request: one key, a fresh nonce, and the record number as aad."
    )?;
    writeln!(
        out,
        "  key         {}  ({KEY_LEN} random bytes Alice and Bob share)",
        crate::short_hex(&record.key)
    )?;
    writeln!(
        out,
        "  nonce       {}  ({NONCE_LEN} fresh bytes, sent in the clear)",
        crate::hex(record.nonce())
    )?;
    writeln!(
        out,
        "  aad         {}  (record number {seq}, u64 big-endian; authenticated, never sent)",
        crate::hex(&seq_aad(seq))
    )?;
    plaintext_line(out, REQUEST)?;
    writeln!(out, "  ciphertext  {}", crate::hex(record.ciphertext()))?;
    writeln!(out, "  tag         {}", crate::hex(record.tag()))?;
    writeln!(
        out,
        "  sent        {NONCE_LEN} + {} + {TAG_LEN} = {} bytes: nonce, ciphertext, tag",
        record.ciphertext().len(),
        record.wire.len()
    )?;
    writeln!(
        out,
        "  Bob opens it as record {seq}: {}",
        verdict(&record.open_as(seq))
    )?;
    writeln!(out)?;

    let f = flipped.flip;
    writeln!(
        out,
        "Step 2. Mallory makes lesson 4's edit: ciphertext byte {} ^= 0x{:02x} ('{}' -> '{}').",
        target.offset,
        target.mask(),
        char::from(target.known),
        char::from(target.wanted)
    )?;
    writeln!(
        out,
        "  record byte {NONCE_LEN} + {} = {}: 0x{:02x} -> 0x{:02x}",
        target.offset, f.wire_index, f.before, f.after
    )?;
    writeln!(
        out,
        "  Bob opens it as record {seq}: {}",
        verdict(&flipped.outcome)
    )?;
    writeln!(
        out,
        "  The tag is checked before anything is decrypted: Bob gets no plaintext at all."
    )?;
    writeln!(out)?;

    writeln!(
        out,
        "Step 3. Mallory replays the untouched record. Bob has had record {seq}; he expects {replayed_as}."
    )?;
    writeln!(
        out,
        "  Bob opens it as record {replayed_as}: {}",
        verdict(&record.open_as(replayed_as))
    )?;
    writeln!(
        out,
        "  Same key, same nonce, same bytes; only the aad differs, and the tag covers the aad."
    )?;
    writeln!(
        out,
        "  A record opens only at the place in the stream it was sealed for."
    )?;
    writeln!(out)?;

    let (seq_len, ctr_nonce_len, hmac_len) = lesson5_overhead();
    writeln!(
        out,
        "Step 4. Lesson 5 (lessons/05-mac.md) took three steps and two keys; here it is one call."
    )?;
    writeln!(out, "  lesson 5, encrypt-then-MAC:")?;
    writeln!(
        out,
        "    send     1. ciphertext = AES-256-CTR(enc_key, nonce, plaintext)"
    )?;
    writeln!(
        out,
        "             2. tag = HMAC-SHA256(mac_key, seq || nonce || ciphertext)"
    )?;
    writeln!(
        out,
        "    receive  3. recompute the tag, compare in constant time, only then decrypt"
    )?;
    writeln!(out, "    keys     2: one for AES, one for HMAC")?;
    writeln!(
        out,
        "    extra    seq {seq_len} + nonce {ctr_nonce_len} + tag {hmac_len} = {} bytes per message",
        seq_len + ctr_nonce_len + hmac_len
    )?;
    writeln!(out, "  lesson 6, AEAD:")?;
    writeln!(
        out,
        "    send     ciphertext || tag = seal(key, nonce, aad = seq, plaintext)"
    )?;
    writeln!(
        out,
        "    receive  plaintext = open(key, nonce, aad = seq, ciphertext || tag)"
    )?;
    writeln!(out, "    keys     1")?;
    writeln!(
        out,
        "    extra    nonce {NONCE_LEN} + tag {TAG_LEN} = {} bytes per message (the seq is not sent)",
        NONCE_LEN + TAG_LEN
    )?;
    writeln!(out)?;

    let all_held = record.open_as(seq).is_ok()
        && flipped.outcome.is_err()
        && record.open_as(replayed_as).is_err();
    conclude(
        out,
        all_held,
        "the honest record opened; the flipped one and the replayed one were REJECTED.",
    )
}

/// The last line of this demo and of the ones after it: what was shown, if
/// every step came out as the lesson says it must, and a loud warning if
/// one did not (a demo that quietly printed its success line whatever
/// happened would prove nothing).
pub fn conclude(out: &mut impl Write, held: bool, shown: &str) -> io::Result<()> {
    if held {
        writeln!(out, "Result: {shown}")
    } else {
        writeln!(out, "Result: SOMETHING WENT WRONG: see the steps above.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target::first_digit_of_amount(REQUEST, b'9').unwrap()
    }

    #[test]
    fn the_request_seals_and_opens_at_its_own_place() {
        let record = SealedRecord::new(REQUEST, 0).unwrap();
        assert_eq!(record.ciphertext().len(), REQUEST.len());
        assert_eq!(record.tag().len(), TAG_LEN);
        assert_ne!(record.ciphertext(), REQUEST);
        assert_eq!(record.open_as(0).unwrap(), REQUEST);
    }

    #[test]
    fn lesson4_flip_is_rejected_with_decrypt() {
        let record = SealedRecord::new(REQUEST, 0).unwrap();
        let attack = flip_attack(&record, target()).unwrap();
        assert_eq!(attack.flip.wire_index, 12 + 28);
        assert_eq!(attack.flip.after, attack.flip.before ^ 0x08);
        assert!(matches!(attack.outcome, Err(Error::Decrypt)));
    }

    #[test]
    fn a_record_opened_at_another_seq_is_rejected() {
        let record = SealedRecord::new(REQUEST, 0).unwrap();
        assert_eq!(record.open_as(0).unwrap(), REQUEST);
        for other in [1, 2, u64::MAX] {
            assert!(matches!(record.open_as(other), Err(Error::Decrypt)));
        }
        // And the other way round: sealed as 5, it opens only as 5.
        let fifth = SealedRecord::new(REQUEST, 5).unwrap();
        assert!(matches!(fifth.open_as(0), Err(Error::Decrypt)));
        assert_eq!(fifth.open_as(5).unwrap(), REQUEST);
    }

    #[test]
    fn a_flip_past_the_end_is_an_error_not_a_panic() {
        let record = SealedRecord::new(b"short", 0).unwrap();
        let far = Target {
            offset: 1000,
            known: b'1',
            wanted: b'9',
        };
        assert!(matches!(flip_attack(&record, far), Err(Error::Usage(_))));
    }

    #[test]
    fn lesson5_adds_56_bytes_and_the_aead_28() {
        let (seq, nonce, tag) = lesson5_overhead();
        assert_eq!((seq, nonce, tag), (8, 16, 32));
        assert_eq!(NONCE_LEN + TAG_LEN, 28);
    }

    #[test]
    fn the_narration_shows_every_outcome() {
        let mut out = Vec::new();
        run(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let accepted =
            "Bob opens it as record 0: ACCEPTED: GET /transfer?to=bob&amount=100 HTTP/1.1";
        assert!(out.contains(accepted), "{out}");
        assert!(
            out.contains("Bob opens it as record 0: REJECTED: record failed authentication"),
            "{out}"
        );
        assert!(
            out.contains("Bob opens it as record 1: REJECTED: record failed authentication"),
            "{out}"
        );
        assert!(out.contains("ciphertext byte 28 ^= 0x08 ('1' -> '9')"));
        assert!(out.contains("record byte 12 + 28 = 40: 0x"), "{out}");
        assert!(out.contains("sent        12 + 40 + 16 = 68 bytes"));
        assert!(out.contains("seq 8 + nonce 16 + tag 32 = 56 bytes per message"));
        assert!(out.contains("nonce 12 + tag 16 = 28 bytes per message"));
        assert!(out.contains("aad         0000000000000000"));
        assert!(out.contains("Result: the honest record opened"));
        assert!(!out.contains("WRONG"));
    }
}
