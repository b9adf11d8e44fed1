//! Lesson 6: AEAD. Secrecy and integrity from one primitive,
//! ChaCha20-Poly1305 (RFC 8439).
//!
//! Lesson 5 built integrity by hand: encrypt with AES-CTR, MAC the result
//! with HMAC-SHA256 under a second key, and on the way in check the MAC
//! before decrypting. Each of those choices (which bytes to MAC, in what
//! order to do things, how to compare tags) is a place to get it wrong. An
//! AEAD, *authenticated encryption with associated data*, makes them once,
//! inside the primitive:
//!
//! ```text
//! seal(key, nonce, aad, plaintext)          -> ciphertext || tag
//! open(key, nonce, aad, ciphertext || tag)  -> plaintext, or Error::Decrypt
//! ```
//!
//! - `key`: 32 bytes, one key for both jobs.
//! - `nonce`: 12 bytes, sent in the clear, **never used twice under one
//!   key**: a repeat gives away the XOR of two plaintexts and lets an
//!   attacker forge tags.
//! - `aad`: *associated data*. It is not encrypted and not part of the
//!   output, but the tag covers it, so the receiver must supply the same
//!   bytes to open. The demo uses the record's sequence number: a record
//!   then only opens at the place in the stream it was sealed for.
//! - `tag`: 16 bytes of Poly1305 over the aad and the ciphertext. `open`
//!   checks it first and decrypts only if it matches, so a changed byte
//!   anywhere yields no plaintext at all.
//!
//! The ciphertext is exactly as long as the plaintext (ChaCha20 is a stream
//! cipher, malleable on its own just like lesson 4's AES-CTR); the tag is
//! what takes the malleability away.
//!
//! - this file: the sizes and the two calls, [`seal`] and [`open`], with the
//!   crate called directly;
//! - [`demo`]: the `6-aead-demo` program: the experiments, which return
//!   what happened so tests can assert it, and their narration.

pub mod demo;

pub use demo::run;

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce, Tag};

use crate::error::{Error, Result};

/// Bytes in a ChaCha20-Poly1305 key.
pub const KEY_LEN: usize = 32;
/// Bytes in a ChaCha20-Poly1305 nonce (RFC 8439's 96-bit nonce).
pub const NONCE_LEN: usize = 12;
/// Bytes in a Poly1305 tag.
pub const TAG_LEN: usize = 16;

/// Encrypts `plaintext` and authenticates it together with `aad`. Returns
/// `ciphertext || tag`, [`TAG_LEN`] bytes longer than the plaintext.
///
/// The caller must never pass the same `nonce` twice with one `key`.
///
/// Fails only for a plaintext of more than 256 GiB, which RFC 8439's 32-bit
/// block counter cannot cover.
pub fn seal(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let cipher = ChaCha20Poly1305::new(key.into());
    let mut sealed = Vec::with_capacity(plaintext.len() + TAG_LEN);
    sealed.extend_from_slice(plaintext);
    // Encrypt in place, and get back the tag over aad and ciphertext.
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(*nonce), aad, sealed.as_mut_slice().into())
        .map_err(|_| Error::RecordTooLong(plaintext.len()))?;
    // ciphertext || tag
    sealed.extend_from_slice(&tag);
    Ok(sealed)
}

/// Checks the tag of `sealed` (`ciphertext || tag`) against `aad`, and only
/// if it matches, decrypts.
///
/// Any change to the ciphertext, the tag, the nonce, the aad or the key gives
/// the one opaque [`Error::Decrypt`]: the receiver learns that something was
/// wrong, never what, and gets no plaintext to act on. Input too short to
/// hold a tag is [`Error::RecordTooShort`].
pub fn open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Vec<u8>> {
    let (ciphertext, tag) = sealed
        .split_last_chunk::<TAG_LEN>()
        .ok_or(Error::RecordTooShort(sealed.len()))?;
    let cipher = ChaCha20Poly1305::new(key.into());
    let mut plaintext = ciphertext.to_vec();
    // Verify first; the crate decrypts only after the tag has matched.
    cipher
        .decrypt_inout_detached(
            &Nonce::from(*nonce),
            aad,
            plaintext.as_mut_slice().into(),
            &Tag::from(*tag),
        )
        .map_err(|_| Error::Decrypt)?;
    Ok(plaintext)
}

/// The associated data that ties a record to its place in the stream: its
/// sequence number as a u64, big-endian. Both sides count records, so the
/// number never needs to travel.
pub fn seq_aad(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Seals `plaintext` as record number `seq` of a stream: a fresh random
/// nonce, and the sequence number as the associated data. Returns what
/// travels, `nonce || ciphertext || tag`; the sequence number is not in it.
///
/// ```text
/// +------------+-------------------------------+----------+
/// | nonce (12) | ChaCha20 ciphertext (N bytes) | tag (16) |
/// +------------+-------------------------------+----------+
///   random      tag over aad = seq (u64 BE) and the ciphertext
/// ```
pub fn seal_record(key: &[u8; KEY_LEN], seq: u64, plaintext: &[u8]) -> Result<Vec<u8>> {
    let nonce = random_nonce()?;
    let sealed = seal(key, &nonce, &seq_aad(seq), plaintext)?;
    // nonce || ciphertext || tag
    Ok([nonce.as_slice(), &sealed].concat())
}

/// The receiving side of [`seal_record`]: takes the nonce off the front and
/// opens the rest as record number `seq`, the receiver's own count.
pub fn open_record(key: &[u8; KEY_LEN], seq: u64, record: &[u8]) -> Result<Vec<u8>> {
    let (nonce, sealed) = record
        .split_first_chunk::<NONCE_LEN>()
        .ok_or(Error::RecordTooShort(record.len()))?;
    open(key, nonce, &seq_aad(seq), sealed)
}

/// A fresh random key from the operating system, for the demos. (Where two
/// parties get a *shared* key from is lesson 7.)
pub fn random_key() -> Result<[u8; KEY_LEN]> {
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key)?;
    Ok(key)
}

/// A fresh random nonce from the operating system. Twelve random bytes
/// reach even odds of a repeat near 2^48 messages (the birthday bound), but
/// the safe limit is far lower: NIST SP 800-38D 8.3 allows at most 2^32
/// random nonces under one key. A demo sends a handful.
pub fn random_nonce() -> Result<[u8; NONCE_LEN]> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce)?;
    Ok(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; KEY_LEN] = [7; KEY_LEN];
    const NONCE: [u8; NONCE_LEN] = [1; NONCE_LEN];

    #[test]
    fn sealed_is_ciphertext_of_the_same_length_then_a_tag() {
        let sealed = seal(&KEY, &NONCE, b"", b"amount=100").unwrap();
        assert_eq!(sealed.len(), 10 + TAG_LEN);
        assert_ne!(&sealed[..10], b"amount=100");
        assert_eq!(open(&KEY, &NONCE, b"", &sealed).unwrap(), b"amount=100");
    }

    #[test]
    fn every_flipped_bit_of_ciphertext_or_tag_is_rejected() {
        let sealed = seal(&KEY, &NONCE, &seq_aad(0), b"amount=100").unwrap();
        for i in 0..sealed.len() {
            for bit in 0..8 {
                let mut bad = sealed.clone();
                bad[i] ^= 1 << bit;
                assert!(
                    matches!(open(&KEY, &NONCE, &seq_aad(0), &bad), Err(Error::Decrypt)),
                    "bit {bit} of byte {i}"
                );
            }
        }
    }

    #[test]
    fn the_aad_nonce_and_key_must_all_match() {
        let sealed = seal(&KEY, &NONCE, &seq_aad(3), b"hello").unwrap();
        assert_eq!(open(&KEY, &NONCE, &seq_aad(3), &sealed).unwrap(), b"hello");
        let wrong_aad = open(&KEY, &NONCE, &seq_aad(4), &sealed);
        let no_aad = open(&KEY, &NONCE, b"", &sealed);
        let wrong_nonce = open(&KEY, &[2; NONCE_LEN], &seq_aad(3), &sealed);
        let wrong_key = open(&[8; KEY_LEN], &NONCE, &seq_aad(3), &sealed);
        for outcome in [wrong_aad, no_aad, wrong_nonce, wrong_key] {
            assert!(matches!(outcome, Err(Error::Decrypt)));
        }
    }

    #[test]
    fn input_shorter_than_a_tag_is_an_error_not_a_panic() {
        for len in 0..TAG_LEN {
            assert!(matches!(
                open(&KEY, &NONCE, b"", &vec![0; len]),
                Err(Error::RecordTooShort(n)) if n == len
            ));
        }
        // Exactly a tag is an empty message, if the tag is right.
        let empty = seal(&KEY, &NONCE, b"", b"").unwrap();
        assert_eq!(empty.len(), TAG_LEN);
        assert_eq!(open(&KEY, &NONCE, b"", &empty).unwrap(), b"");
    }

    #[test]
    fn seq_aad_is_the_u64_big_endian() {
        assert_eq!(seq_aad(0), [0; 8]);
        assert_eq!(seq_aad(0x0102_0304_0506_0708), [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn records_carry_their_nonce_and_open_only_at_their_seq() {
        let record = seal_record(&KEY, 2, b"pay bob").unwrap();
        assert_eq!(record.len(), NONCE_LEN + 7 + TAG_LEN);
        assert_eq!(open_record(&KEY, 2, &record).unwrap(), b"pay bob");
        assert!(matches!(open_record(&KEY, 3, &record), Err(Error::Decrypt)));
        // Each record gets its own nonce.
        let again = seal_record(&KEY, 2, b"pay bob").unwrap();
        assert_ne!(record[..NONCE_LEN], again[..NONCE_LEN]);
        // Too short for a nonce and a tag: an error, not a panic.
        for len in 0..NONCE_LEN + TAG_LEN {
            assert!(matches!(
                open_record(&KEY, 2, &vec![0; len]),
                Err(Error::RecordTooShort(_))
            ));
        }
    }

    #[test]
    fn the_aad_binds_a_record_to_its_place_not_to_its_connection_or_direction() {
        // Record 0 of one conversation under KEY...
        let yesterday = seal_record(&KEY, 0, b"pay bob 100").unwrap();
        // ...is just as good a record 0 of any other conversation under
        // KEY, whichever side receives it: the aad says "record 0" and
        // nothing about which connection or which direction. Fresh keys per
        // connection (lesson 7) and per direction (lesson 8) close that.
        let on_a_new_connection = open_record(&KEY, 0, &yesterday).unwrap();
        assert_eq!(on_a_new_connection, b"pay bob 100");
        // Out of place it fails, on any connection.
        assert!(open_record(&KEY, 1, &yesterday).is_err());
    }

    #[test]
    fn a_repeated_nonce_leaks_the_xor_of_the_plaintexts() {
        // Why a nonce must never repeat under one key: ChaCha20 is a stream
        // cipher, so the same (key, nonce) means the same keystream.
        let a = seal(&KEY, &NONCE, b"", b"amount=100").unwrap();
        let b = seal(&KEY, &NONCE, b"", b"amount=900").unwrap();
        let xor = |x: &[u8], y: &[u8]| -> Vec<u8> { x.iter().zip(y).map(|(p, q)| p ^ q).collect() };
        assert_eq!(xor(&a[..10], &b[..10]), xor(b"amount=100", b"amount=900"));
    }

    #[test]
    fn random_keys_and_nonces_differ() {
        assert_ne!(random_key().unwrap(), random_key().unwrap());
        assert_ne!(random_nonce().unwrap(), random_nonce().unwrap());
    }
}
