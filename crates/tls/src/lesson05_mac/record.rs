//! One lesson 5 payload: seal it (encrypt, then MAC) and open it (verify,
//! then decrypt).
//!
//! ```text
//!            lesson 3 payload, built by lesson 3's own code
//!           /                                           \
//! +-----------+--------------+-------------------------+------------+
//! | seq (u64) | nonce (16 B) | AES-256-CTR ciphertext  | mac (32 B) |
//! +-----------+--------------+-------------------------+------------+
//!  \___________________ HMAC-SHA256 input _____________/
//! ```
//!
//! Sealing is lesson 3's `encrypt` with a sequence number in front and a tag
//! behind. Opening goes the other way round, in a strict order: the tag is
//! checked first, over the bytes exactly as they arrived, and only an
//! [`Authentic`] payload (which only [`verify`] can make) can be decrypted.
//! Nothing here knows about sockets or which sequence number comes next;
//! that is `channel.rs`.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::lesson03_ctr_channel::{self, KEY_LEN};
use crate::lesson05_mac::{MAX_PLAINTEXT_LEN, MIN_PAYLOAD_LEN, NONCE_LEN, SEQ_LEN, TAG_LEN};

/// HMAC over SHA-256, as the `hmac` and `sha2` crates spell it.
pub type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 state already keyed with `mac_key`, ready to be cloned
/// once per tag (cloning skips hashing the key again).
pub fn keyed_hmac(mac_key: &[u8]) -> HmacSha256 {
    // HMAC is defined for keys of any length (RFC 2104: a long key is hashed
    // first, a short one padded with zeros), and the `hmac` crate never
    // returns its length error for it. The key is ours, never a peer's.
    <HmacSha256 as KeyInit>::new_from_slice(mac_key).expect("HMAC accepts keys of any length")
}

/// HMAC-SHA256 over the concatenation of `covered`, under the key in `mac`.
pub fn compute_tag(mac: &HmacSha256, covered: &[&[u8]]) -> [u8; TAG_LEN] {
    let mut mac = mac.clone();
    for part in covered {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Checks `tag` against HMAC-SHA256 over the concatenation of `covered`, in
/// constant time. A tag of any other length than [`TAG_LEN`] is refused:
/// lesson 5 never accepts a truncated tag.
pub fn verify_tag(mac: &HmacSha256, covered: &[&[u8]], tag: &[u8]) -> Result<()> {
    let mut mac = mac.clone();
    for part in covered {
        mac.update(part);
    }
    // `verify_slice` compares all 32 bytes whatever they contain, so the
    // time it takes says nothing about *where* a forged tag went wrong. A
    // plain `==` stops at the first differing byte; timing it lets an
    // attacker find a valid tag one byte at a time, with no key at all.
    mac.verify_slice(tag).map_err(|_| Error::BadMac)
}

/// The two keys of lesson 5: one for AES-256-CTR, one for HMAC-SHA256.
#[derive(Clone)]
pub struct RecordKeys {
    enc_key: [u8; KEY_LEN],
    mac: HmacSha256,
}

impl RecordKeys {
    /// Keys for sealing and opening payloads. The programs use
    /// [`super::ENC_KEY`] and [`super::MAC_KEY`].
    pub fn new(enc_key: &[u8; KEY_LEN], mac_key: &[u8]) -> RecordKeys {
        RecordKeys {
            enc_key: *enc_key,
            mac: keyed_hmac(mac_key),
        }
    }
}

impl fmt::Debug for RecordKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No key bytes in logs, even for keys as public as these.
        f.debug_struct("RecordKeys").finish_non_exhaustive()
    }
}

/// Seals `plaintext` as record number `seq` under a fresh random nonce,
/// writing `seq || nonce || ciphertext || mac` into `out` (cleared first).
pub fn seal(keys: &RecordKeys, seq: u64, plaintext: &[u8], out: &mut Vec<u8>) -> Result<()> {
    check_plaintext_len(plaintext)?;
    // nonce || ciphertext: lesson 3's payload, fresh nonce and all.
    let lesson3_payload = lesson03_ctr_channel::encrypt(&keys.enc_key, plaintext)?;
    attach_seq_and_mac(keys, seq, &lesson3_payload, out);
    Ok(())
}

/// Like [`seal`] with a nonce of the caller's choosing. Known-answer tests
/// use it; a real sender must never repeat a nonce under one key.
pub fn seal_with_nonce(
    keys: &RecordKeys,
    seq: u64,
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    check_plaintext_len(plaintext)?;
    let lesson3_payload = lesson03_ctr_channel::encrypt_with_nonce(&keys.enc_key, nonce, plaintext);
    attach_seq_and_mac(keys, seq, &lesson3_payload, out);
    Ok(())
}

/// Refuses a plaintext whose payload would not fit one lesson 2 record.
fn check_plaintext_len(plaintext: &[u8]) -> Result<()> {
    if plaintext.len() > MAX_PLAINTEXT_LEN {
        return Err(Error::RecordTooLong(plaintext.len() + MIN_PAYLOAD_LEN));
    }
    Ok(())
}

/// `out = seq || lesson3_payload || HMAC(seq || lesson3_payload)`.
fn attach_seq_and_mac(keys: &RecordKeys, seq: u64, lesson3_payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(SEQ_LEN + lesson3_payload.len() + TAG_LEN);
    // seq (8 bytes, big-endian) || nonce || ciphertext
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(lesson3_payload);
    // || mac over everything before it. Encrypt-then-MAC: the tag covers
    // the ciphertext, so the receiver can check it without decrypting.
    let tag = compute_tag(&keys.mac, &[out.as_slice()]);
    out.extend_from_slice(&tag);
}

/// A payload whose tag has verified. Only [`verify`] makes one, so holding
/// an `Authentic` is proof that the bytes are exactly what a key holder
/// sealed, and [`Authentic::decrypt`] is the only way to plaintext.
pub struct Authentic<'k, 'p> {
    seq: u64,
    // nonce || ciphertext, still encrypted.
    lesson3_payload: &'p mut [u8],
    enc_key: &'k [u8; KEY_LEN],
}

impl<'p> Authentic<'_, 'p> {
    /// The sequence number the sender put in the record. Authentic, so it is
    /// the one the sender chose; whether it is the *next* one is the
    /// channel's question.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Decrypts in place (lesson 3's code) and returns the plaintext.
    pub fn decrypt(self) -> Result<&'p [u8]> {
        lesson03_ctr_channel::decrypt_in_place(self.enc_key, self.lesson3_payload)
    }
}

impl fmt::Debug for Authentic<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The sequence number and the size; never the key.
        f.debug_struct("Authentic")
            .field("seq", &self.seq)
            .field("len", &self.lesson3_payload.len())
            .finish_non_exhaustive()
    }
}

/// Checks the tag of `payload` (`seq || nonce || ciphertext || mac`) and, if
/// it verifies, hands back the still-encrypted record as [`Authentic`].
///
/// On any error the payload is left exactly as it came: nothing has been
/// decrypted.
pub fn verify<'k, 'p>(keys: &'k RecordKeys, payload: &'p mut [u8]) -> Result<Authentic<'k, 'p>> {
    let len = payload.len();
    // Too short to hold seq, nonce and tag: not even worth a MAC.
    if len < MIN_PAYLOAD_LEN {
        return Err(Error::RecordTooShort(len));
    }
    // seq || nonce || ciphertext  |  mac. The split cannot fail after the
    // check above, but peer bytes never meet an index here.
    let (covered, tag) = payload
        .split_last_chunk_mut::<TAG_LEN>()
        .ok_or(Error::RecordTooShort(len))?;

    // THE RULE OF THIS LESSON: verify before you decrypt, before you parse,
    // before you do anything at all with the bytes.
    //
    // Until the tag checks out, these bytes are the attacker's. Every step a
    // receiver takes with them (decrypting, unpadding, parsing, even failing
    // in two different ways) is a question the attacker gets to ask, and the
    // answers add up: padding oracles in CBC and the Lucky Thirteen timing
    // attack on TLS both came from receivers that decrypted first and
    // checked the MAC afterwards. Moxie Marlinspike called this the
    // cryptographic doom principle: any cryptographic work done on a message
    // before its MAC is verified will sooner or later lead to doom. So the
    // tag is checked here, first, over exactly the bytes that arrived, and a
    // failure is one opaque `BadMac` whatever was wrong.
    verify_tag(&keys.mac, &[covered], tag)?;

    // Only now is the sequence number worth reading.
    let (seq, lesson3_payload) = covered
        .split_first_chunk_mut::<SEQ_LEN>()
        .ok_or(Error::RecordTooShort(len))?;
    Ok(Authentic {
        seq: u64::from_be_bytes(*seq),
        lesson3_payload,
        enc_key: &keys.enc_key,
    })
}

/// [`verify`], then decrypt, with no sequence policy: the record's own
/// sequence number and its plaintext.
pub fn open<'p>(keys: &RecordKeys, payload: &'p mut [u8]) -> Result<(u64, &'p [u8])> {
    let authentic = verify(keys, payload)?;
    let seq = authentic.seq();
    Ok((seq, authentic.decrypt()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson05_mac::{ENC_KEY, MAC_KEY};

    const REQUEST: &[u8] = b"GET /transfer?to=bob&amount=100 HTTP/1.1";

    fn keys() -> RecordKeys {
        RecordKeys::new(ENC_KEY, MAC_KEY)
    }

    fn sealed(seq: u64, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        seal(&keys(), seq, plaintext, &mut out).unwrap();
        out
    }

    #[test]
    fn round_trip_and_the_layout() {
        let payload = sealed(7, REQUEST);
        assert_eq!(payload.len(), SEQ_LEN + NONCE_LEN + REQUEST.len() + TAG_LEN);
        assert_eq!(&payload[..SEQ_LEN], &7u64.to_be_bytes());
        // The middle is exactly a lesson 3 payload: lesson 3 decrypts it.
        let middle = &payload[SEQ_LEN..payload.len() - TAG_LEN];
        assert_eq!(
            lesson03_ctr_channel::decrypt(ENC_KEY, middle).unwrap(),
            REQUEST
        );
        // And the tag is HMAC-SHA256 over everything before it.
        let tag = compute_tag(&keyed_hmac(MAC_KEY), &[&payload[..payload.len() - TAG_LEN]]);
        assert_eq!(&payload[payload.len() - TAG_LEN..], &tag);
        let mut copy = payload.clone();
        assert_eq!(open(&keys(), &mut copy).unwrap(), (7, REQUEST));
    }

    #[test]
    fn an_empty_message_is_the_smallest_payload() {
        let mut payload = sealed(0, b"");
        assert_eq!(payload.len(), MIN_PAYLOAD_LEN);
        assert_eq!(open(&keys(), &mut payload).unwrap(), (0, &b""[..]));
    }

    #[test]
    fn every_flipped_bit_is_bad_mac_and_nothing_is_decrypted() {
        let payload = sealed(3, REQUEST);
        // Every bit of seq, nonce, ciphertext and tag.
        for i in 0..payload.len() {
            for bit in 0..8 {
                let mut tampered = payload.clone();
                tampered[i] ^= 1 << bit;
                let before = tampered.clone();
                let result = verify(&keys(), &mut tampered).map(|a| a.seq());
                assert!(
                    matches!(result, Err(Error::BadMac)),
                    "flip of bit {bit} in byte {i} was not caught"
                );
                // Decryption is in place: an unchanged buffer means not one
                // byte of the forgery went through AES.
                assert_eq!(tampered, before, "byte {i} bit {bit}: buffer touched");
            }
        }
    }

    #[test]
    fn the_lesson4_flip_is_now_refused() {
        // Lesson 4's attack, byte for byte: '1' ^ '9' into the digit.
        let mut payload = sealed(0, REQUEST);
        payload[SEQ_LEN + NONCE_LEN + 28] ^= b'1' ^ b'9';
        assert!(matches!(open(&keys(), &mut payload), Err(Error::BadMac)));
    }

    #[test]
    fn a_truncated_or_lengthened_tag_is_bad_mac() {
        let payload = sealed(1, REQUEST);
        // Cut 1..=31 bytes off the end: with a 40-byte message what is left
        // is still long enough for seq, nonce and a tag, so only the MAC can
        // object (it now reads part of the ciphertext as the tag).
        for cut in 1..TAG_LEN {
            let mut short = payload[..payload.len() - cut].to_vec();
            let result = open(&keys(), &mut short).map(|(seq, _)| seq);
            assert!(matches!(result, Err(Error::BadMac)), "cut {cut}");
        }
        let mut longer = payload.clone();
        longer.push(0);
        assert!(matches!(open(&keys(), &mut longer), Err(Error::BadMac)));
    }

    #[test]
    fn a_payload_shorter_than_seq_nonce_and_tag_is_too_short() {
        for len in 0..MIN_PAYLOAD_LEN {
            let mut short = vec![0xa5; len];
            assert!(
                matches!(open(&keys(), &mut short), Err(Error::RecordTooShort(n)) if n == len),
                "length {len}"
            );
        }
    }

    #[test]
    fn the_wrong_keys_are_bad_mac() {
        let mut payload = sealed(0, b"hello");
        let other_mac = RecordKeys::new(ENC_KEY, b"another mac key");
        assert!(matches!(open(&other_mac, &mut payload), Err(Error::BadMac)));
    }

    #[test]
    fn seal_refuses_more_than_one_record_can_hold() {
        let too_big = vec![0; MAX_PLAINTEXT_LEN + 1];
        let result = seal(&keys(), 0, &too_big, &mut Vec::new());
        assert!(
            matches!(result, Err(Error::RecordTooLong(n)) if n == crate::lesson02_records::MAX_PAYLOAD_LEN + 1)
        );
    }

    #[test]
    fn fixed_nonce_gives_fixed_bytes_and_fresh_nonces_differ() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        seal_with_nonce(&keys(), 5, &[9; NONCE_LEN], b"same", &mut a).unwrap();
        seal_with_nonce(&keys(), 5, &[9; NONCE_LEN], b"same", &mut b).unwrap();
        assert_eq!(a, b);
        assert_ne!(sealed(5, b"same"), sealed(5, b"same"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// For any seq, nonce and plaintext: the sealed record opens to
        /// the plaintext, and one flipped bit anywhere is `BadMac` with the
        /// buffer untouched. (The same claim `fuzz/fuzz_targets/mac5.rs`
        /// checks under libFuzzer.)
        #[test]
        fn any_record_opens_and_any_flip_is_refused_undecrypted(
            seq: u64,
            nonce: [u8; NONCE_LEN],
            plaintext in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            at: proptest::sample::Index,
            bit in 0u8..8,
        ) {
            let mut payload = Vec::new();
            seal_with_nonce(&keys(), seq, &nonce, &plaintext, &mut payload).unwrap();
            let mut untouched = payload.clone();
            let (got_seq, got) = open(&keys(), &mut untouched).unwrap();
            proptest::prop_assert_eq!((got_seq, got), (seq, plaintext.as_slice()));
            let i = at.index(payload.len());
            let mut flipped = payload;
            flipped[i] ^= 1 << bit;
            let before = flipped.clone();
            let refused = matches!(verify(&keys(), &mut flipped), Err(Error::BadMac));
            proptest::prop_assert!(refused);
            proptest::prop_assert_eq!(flipped, before);
        }
    }

    #[test]
    fn debug_prints_no_key_bytes() {
        let shown = format!("{:?}", keys());
        assert_eq!(shown, "RecordKeys { .. }");
    }
}
