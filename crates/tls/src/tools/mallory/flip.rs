//! `flip`: change what the server reads without knowing the key.
//!
//! ```text
//! ciphertext ^= known ^ wanted   =>   plaintext' = plaintext ^ known ^ wanted
//!                                                = wanted   (where plaintext = known)
//! ```
//!
//! A stream cipher (lesson 3's AES-CTR, and the ChaCha20 inside every AEAD)
//! encrypts by XOR, byte for byte, so a byte flipped in the ciphertext
//! flips the same byte of the plaintext. Mallory needs no key, only the
//! shape of the message (the bank request puts `amount=` at byte 21) and
//! the record layout, to find where the message's bytes sit. Lesson 3
//! believes the edit; from lesson 5 on a MAC or a tag notices it, and the
//! record is refused before anything is decrypted.
//!
//! Which property it tests, lesson by lesson:
//!
//! ```text
//! lesson 3    AES-CTR, no MAC            the server reads amount=900: confidentiality
//!                                        is not integrity
//! lesson 5    HMAC over seq||nonce||ct   the MAC no longer matches: refused
//! lessons 9+  ChaCha20-Poly1305          the tag no longer matches: refused
//! lesson 11   the same AEAD, TLS framing bad_record_mac, and an alert
//! ```
//!
//! The flip needs the plaintext at that spot to be what Mallory thinks:
//! where it is not, the server reads garbage instead of `amount=900`, and
//! on lesson 3 nothing notices that either.

use clap::Args;

use crate::tools::hexdump::{TEXT_LIMIT, hex_spaced, quoted};
use crate::tools::mallory::relay::{Action, Here, RecordAttack, report};
use crate::tools::mallory::tls13;
use crate::tools::sink::Sink;
use crate::tools::tap::Lesson;

/// The request shape Mallory assumes: the bank client of lessons 3 and 4
/// sends `GET /transfer?to=bob&amount=100 HTTP/1.1`, where `amount=100`
/// starts at byte 21. Knowing the format is not knowing the key.
pub const DEFAULT_OFFSET: usize = 21;

/// `--attack flip`'s flags.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "flip")]
pub struct FlipArgs {
    /// flip: where the known text starts in each client message (21 is
    /// `amount=` in `GET /transfer?to=bob&amount=100 HTTP/1.1`).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_OFFSET)]
    pub offset: usize,
    /// flip: the plaintext Mallory knows is at --offset.
    #[arg(long, value_name = "TEXT", default_value = "amount=100")]
    pub known: String,
    /// flip: the plaintext she wants the server to read instead.
    #[arg(long, value_name = "TEXT", default_value = "amount=900")]
    pub wanted: String,
}

/// The attack: every client record, flipped where the known text sits,
/// then passed on.
// Every record, not one: the request may come in any record, and a record
// that does not hold the target is only left alone (the range check in
// `flip`), so aiming at all of them costs nothing.
#[derive(Debug)]
pub struct Flip(pub FlipArgs);

impl RecordAttack for Flip {
    fn client_record(&self, record: &mut [u8], here: &Here, log: &Sink) -> Action {
        report(log, flip(record, here.lesson, &self.0, &here.name));
        Action::Forward
    }
}

/// XORs `known ^ wanted` into the payload of one record, at `offset`.
/// Returns the line to report.
pub(super) fn flip(bytes: &mut [u8], lesson: Lesson, args: &FlipArgs, here: &str) -> String {
    // Where the (encrypted) message starts: after the prefix, the sequence
    // number (lesson 5) and the nonce; it ends before any tag.
    // All of these sit at fixed offsets and are sent in the clear, so the
    // layout alone (no key) says where ciphertext byte 0 is. Lesson 1 has no
    // framing: the message is the whole chunk.
    let payload = match lesson.layout() {
        Some(layout) => layout.payload_range(bytes.len()),
        None if lesson.has_tls_records() => tls13::content_range(bytes.len()),
        None => 0..bytes.len(),
    };
    // Checked sums: --offset is the user's number and may be anything.
    // The range must also fit inside the payload, not merely inside the
    // record: a flip that reached into the tag would be a different (and
    // less instructive) failure.
    let start = payload.start.checked_add(args.offset);
    let end = start.and_then(|s| s.checked_add(args.known.len()));
    let (Some(start), Some(end)) = (start, end) else {
        return format!("{here}: too short to hold the target; passed on unchanged");
    };
    if end > payload.end {
        return format!("{here}: too short to hold the target; passed on unchanged");
    }
    let Some(target) = bytes.get_mut(start..end) else {
        return format!("{here}: too short to hold the target; passed on unchanged");
    };
    // The ciphertext bytes before the edit, for the report: the learner
    // sees that the bytes she changes look random, yet the change is exact.
    let before = hex_spaced(target);
    // ciphertext ^= known ^ wanted: after decryption the plaintext becomes
    // known ^ (known ^ wanted) = wanted. The keystream cancels out.
    for ((byte, k), w) in target
        .iter_mut()
        .zip(args.known.as_bytes())
        .zip(args.wanted.as_bytes())
    {
        *byte ^= k ^ w;
    }
    format!(
        "{here}: FLIPPED wire bytes {start}..{end} ({} -> {})\n  before {before}\n  after  {}",
        quoted(args.known.as_bytes(), TEXT_LIMIT),
        quoted(args.wanted.as_bytes(), TEXT_LIMIT),
        hex_spaced(target)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flags' defaults but for the offset: `amount=100` at `offset`.
    fn at(offset: usize) -> FlipArgs {
        FlipArgs {
            offset,
            known: "amount=100".into(),
            wanted: "amount=900".into(),
        }
    }

    #[test]
    fn an_absurd_offset_passes_the_record_on_unchanged() {
        let opts = at(usize::MAX);
        let mut record = vec![0, 0, 0, 40];
        record.extend([7u8; 40]);
        let before = record.clone();
        let report = flip(&mut record, Lesson::CtrChannel, &opts, "r");
        assert!(report.contains("passed on unchanged"), "{report}");
        assert_eq!(record, before);
    }

    #[test]
    fn flip_turns_the_ctr_plaintext_without_the_key() {
        use ctr::cipher::{KeyIvInit, StreamCipher};
        type Ctr = ctr::Ctr128BE<aes::Aes256>;
        let key = b"0123456789ABCDEF0123456789ABCDEF";
        let nonce = [0x42u8; 16];
        let request = b"GET /transfer?to=bob&amount=100 HTTP/1.1";
        // A lesson 3 record, built the way the client builds it.
        let mut ciphertext = request.to_vec();
        Ctr::new_from_slices(key, &nonce)
            .unwrap()
            .apply_keystream(&mut ciphertext);
        let mut record = ((16 + ciphertext.len()) as u32).to_be_bytes().to_vec();
        record.extend(nonce);
        record.extend(&ciphertext);
        // Mallory, who has no key, at the default offset.
        let opts = at(DEFAULT_OFFSET);
        flip(&mut record, Lesson::CtrChannel, &opts, "r");
        // The server decrypts the edited record.
        let mut plaintext = record[20..].to_vec();
        Ctr::new_from_slices(key, &nonce)
            .unwrap()
            .apply_keystream(&mut plaintext);
        assert_eq!(plaintext, b"GET /transfer?to=bob&amount=900 HTTP/1.1");
    }

    #[test]
    fn lesson5_flip_lands_in_the_ciphertext_after_seq_and_nonce() {
        use crate::lesson05_mac::record::{RecordKeys, open, seal_with_nonce};
        use crate::lesson05_mac::{ENC_KEY, MAC_KEY, NONCE_LEN, SEQ_LEN};
        let keys = RecordKeys::new(ENC_KEY, MAC_KEY);
        let request = b"GET /transfer?to=bob&amount=100 HTTP/1.1";
        let mut payload = Vec::new();
        seal_with_nonce(&keys, 0, &[0x42; NONCE_LEN], request, &mut payload).unwrap();
        let mut record = (payload.len() as u32).to_be_bytes().to_vec();
        record.extend(&payload);
        let original = record.clone();
        let opts = at(DEFAULT_OFFSET);
        let line = flip(&mut record, Lesson::Mac, &opts, "r");
        // 4 + 8 + 16 + 21 = 49: the ciphertext of "amount=100", nothing else.
        assert!(line.contains("FLIPPED wire bytes 49..59"), "{line}");
        let changed: Vec<usize> = (0..record.len())
            .filter(|&i| record[i] != original[i])
            .collect();
        assert_eq!(changed, [4 + SEQ_LEN + NONCE_LEN + 28]);
        // Without the mac the edit would read amount=900 (lesson 4); with it,
        // the receiver refuses the record.
        let mut body = record[4..].to_vec();
        assert!(matches!(
            open(&keys, &mut body),
            Err(crate::error::Error::BadMac)
        ));
    }

    #[test]
    fn flip_edits_only_the_payload() {
        // A lesson 3 record: len || nonce(16) || "ciphertext" (here: zeros).
        let mut record = vec![0, 0, 0, 26];
        record.extend([0u8; 16]);
        record.extend([0u8; 10]);
        let opts = at(0);
        let line = flip(&mut record, Lesson::CtrChannel, &opts, "r");
        assert!(line.contains("FLIPPED wire bytes 20..30"), "{line}");
        // '1' ^ '9' = 0x08 at the digit, nothing anywhere else.
        let mut expected = vec![0u8; 30];
        expected[3] = 26;
        expected[27] = 0x08;
        assert_eq!(record, expected);
        // Too short: untouched.
        let mut short = vec![0, 0, 0, 18];
        short.extend([0u8; 18]);
        let copy = short.clone();
        assert!(flip(&mut short, Lesson::CtrChannel, &opts, "r").contains("too short"));
        assert_eq!(short, copy);
    }
}
