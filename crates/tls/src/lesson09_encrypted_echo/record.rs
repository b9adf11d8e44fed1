//! The lesson 9 record layer: how one encrypted message looks on the wire.
//!
//! ```text
//! +-----------+-------------+-------------------------------+-------------+
//! | len (u16) | nonce (12)  | ChaCha20 ciphertext (N bytes) |  tag (16)   |
//! +-----------+-------------+-------------------------------+-------------+
//!   2 bytes,   \__________________ len = 12 + N + 16 ________________/
//!   big-endian
//! ```
//!
//! `len` counts everything after itself, so `28 <= len <= 65535`, and one
//! record carries at most 65535 - 28 = 65507 bytes of plaintext. The
//! additional authenticated data is empty.
//!
//! The reader checks `len` *before* it allocates or decrypts anything: a peer
//! that announces a silly length is turned away for the price of two bytes.
//! Everything here is pure: bytes in, bytes out, no sockets, no nonce policy
//! (see `nonce.rs` and `channel.rs` for those).

use std::io::Read;

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};

use crate::error::{Error, Result};
use crate::lesson02_records::read_prefix_or_eof;
use crate::runtime::budget::MessageBuffer;

// The AEAD's sizes belong to lesson 6, which defines them once; the record
// layout below is built from them.
pub use crate::lesson06_aead::{NONCE_LEN, TAG_LEN};

/// Bytes in the length prefix.
pub const PREFIX_LEN: usize = 2;
/// The smallest legal `len`: a nonce and a tag around an empty plaintext.
pub const MIN_RECORD_LEN: usize = NONCE_LEN + TAG_LEN;
/// The largest `len` a `u16` can carry.
pub const MAX_RECORD_LEN: usize = u16::MAX as usize;
/// The most plaintext one record can hold. Longer messages are split.
pub const MAX_PLAINTEXT_LEN: usize = MAX_RECORD_LEN - MIN_RECORD_LEN;

/// Encrypts `plaintext` and appends the whole wire record (length prefix
/// included) to `out`, which is cleared first so it can be reused.
///
/// Building the record in one buffer means it leaves in one `write` call; see
/// the Nagle note in `lessons/09-encrypted-echo.md` for why that matters.
pub fn seal(
    cipher: &ChaCha20Poly1305,
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    if plaintext.len() > MAX_PLAINTEXT_LEN {
        return Err(Error::RecordTooLong(plaintext.len() + MIN_RECORD_LEN));
    }
    // Fits in a u16: checked just above.
    let len = (NONCE_LEN + plaintext.len() + TAG_LEN) as u16;
    out.clear();
    out.reserve(PREFIX_LEN + usize::from(len));
    // len || nonce || plaintext (about to become ciphertext)
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(nonce);
    out.extend_from_slice(plaintext);
    let body = PREFIX_LEN + NONCE_LEN;
    // Encrypt in place: the plaintext bytes in `out` turn into ciphertext.
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(*nonce), &[], (&mut out[body..]).into())
        .map_err(|_| Error::RecordTooLong(usize::from(len)))?;
    // || tag
    out.extend_from_slice(&tag);
    Ok(())
}

/// Reads one record's body (everything after the length prefix) into `buf`.
///
/// Returns `Ok(false)` if the peer closed the connection cleanly *between*
/// records, and [`Error::Truncated`] if it closed part-way through one (the
/// same rule as lesson 2's records). The body is then `buf.as_slice()`.
pub fn read_body<R: Read>(reader: &mut R, buf: &mut MessageBuffer) -> Result<bool> {
    buf.recycle();
    let mut prefix = [0u8; PREFIX_LEN];
    if !read_prefix_or_eof(reader, &mut prefix)? {
        return Ok(false);
    }
    let len = usize::from(u16::from_be_bytes(prefix));
    // Check the length before allocating or reading anything else. (A u16
    // cannot exceed MAX_RECORD_LEN, so only the lower bound can fail here.)
    if len < MIN_RECORD_LEN {
        return Err(Error::RecordTooShort(len));
    }
    buf.read_exact_from(reader, len)?;
    Ok(true)
}

/// Decrypts a record body in place and returns its nonce and plaintext.
///
/// Any change to any byte of the body (nonce, ciphertext or tag) makes this
/// fail with the single opaque [`Error::Decrypt`].
pub fn open<'a>(
    cipher: &ChaCha20Poly1305,
    body: &'a mut [u8],
) -> Result<([u8; NONCE_LEN], &'a [u8])> {
    let len = body.len();
    if len < MIN_RECORD_LEN {
        return Err(Error::RecordTooShort(len));
    }
    // nonce(12) || ciphertext || tag(16); both splits succeed after the check.
    let (nonce, rest) = body
        .split_first_chunk_mut::<NONCE_LEN>()
        .ok_or(Error::RecordTooShort(len))?;
    let (ciphertext, tag) = rest
        .split_last_chunk_mut::<TAG_LEN>()
        .ok_or(Error::RecordTooShort(len))?;
    // Verify the tag over the ciphertext, and only then decrypt it in place.
    cipher
        .decrypt_inout_detached(
            &Nonce::from(*nonce),
            &[],
            (&mut *ciphertext).into(),
            &Tag::from(*tag),
        )
        .map_err(|_| Error::Decrypt)?;
    Ok((*nonce, ciphertext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chacha20poly1305::KeyInit;

    fn cipher() -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&[9; 32].into())
    }

    fn sealed(plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        seal(&cipher(), &[3; NONCE_LEN], plaintext, &mut out).unwrap();
        out
    }

    #[test]
    fn round_trip_through_a_byte_stream() {
        let wire = sealed(b"meet at 3pm");
        // 2 + 12 + 11 + 16 bytes, and the prefix says 39.
        assert_eq!(wire.len(), 41);
        assert_eq!(&wire[..2], &[0, 39]);
        let mut reader = wire.as_slice();
        let mut buf = MessageBuffer::new();
        assert!(read_body(&mut reader, &mut buf).unwrap());
        let (nonce, plaintext) = open(&cipher(), buf.as_mut_slice()).unwrap();
        assert_eq!(nonce, [3; NONCE_LEN]);
        assert_eq!(plaintext, b"meet at 3pm");
        // Nothing left: the next read is a clean end of stream.
        assert!(!read_body(&mut reader, &mut buf).unwrap());
    }

    #[test]
    fn empty_plaintext_makes_the_smallest_record() {
        let wire = sealed(b"");
        assert_eq!(wire.len(), PREFIX_LEN + MIN_RECORD_LEN);
        let mut body = wire[PREFIX_LEN..].to_vec();
        assert_eq!(open(&cipher(), &mut body).unwrap().1, b"");
    }

    #[test]
    fn every_flipped_byte_is_rejected() {
        let wire = sealed(b"GET /transfer?to=bob&amount=100");
        // Flip each bit position of each body byte (nonce, ciphertext, tag).
        for i in PREFIX_LEN..wire.len() {
            for bit in 0..8 {
                let mut body = wire[PREFIX_LEN..].to_vec();
                body[i - PREFIX_LEN] ^= 1 << bit;
                let result = open(&cipher(), &mut body);
                assert!(
                    matches!(result, Err(Error::Decrypt)),
                    "flip of bit {bit} in byte {i} was not caught"
                );
            }
        }
    }

    #[test]
    fn flipped_length_prefix_is_rejected() {
        let wire = sealed(b"hello");
        for bit in 0..16u16 {
            let mut bad = wire.clone();
            let len = u16::from_be_bytes([bad[0], bad[1]]) ^ (1 << bit);
            bad[..2].copy_from_slice(&len.to_be_bytes());
            let mut reader = bad.as_slice();
            let mut buf = MessageBuffer::new();
            let outcome = read_body(&mut reader, &mut buf)
                .and_then(|_| open(&cipher(), buf.as_mut_slice()).map(|_| ()));
            assert!(outcome.is_err(), "length flip {bit} accepted");
        }
    }

    #[test]
    fn wrong_key_is_rejected() {
        let mut body = sealed(b"hello")[PREFIX_LEN..].to_vec();
        let other = ChaCha20Poly1305::new(&[8; 32].into());
        assert!(matches!(open(&other, &mut body), Err(Error::Decrypt)));
    }

    #[test]
    fn too_short_lengths_are_rejected_before_reading_a_body() {
        for len in [0u16, 1, 12, 27] {
            let bytes = len.to_be_bytes();
            let mut reader = bytes.as_slice();
            let result = read_body(&mut reader, &mut MessageBuffer::new());
            assert!(
                matches!(result, Err(Error::RecordTooShort(n)) if n == usize::from(len)),
                "length {len}"
            );
        }
    }

    #[test]
    fn truncated_records_are_errors_not_clean_closes() {
        let wire = sealed(b"hello");
        // Cut the stream at every point inside the record.
        for cut in 1..wire.len() {
            let mut reader = &wire[..cut];
            let result = read_body(&mut reader, &mut MessageBuffer::new());
            assert!(matches!(result, Err(Error::Truncated)), "cut at {cut}");
        }
        // Cut at zero is a clean close.
        let mut empty: &[u8] = &[];
        assert!(!read_body(&mut empty, &mut MessageBuffer::new()).unwrap());
    }

    #[test]
    fn maximum_length_with_short_body_is_truncated() {
        let mut bytes = vec![0xff, 0xff];
        bytes.extend_from_slice(&[0; 100]);
        let mut reader = bytes.as_slice();
        assert!(matches!(
            read_body(&mut reader, &mut MessageBuffer::new()),
            Err(Error::Truncated)
        ));
    }

    #[test]
    fn largest_plaintext_fits_and_one_more_byte_does_not() {
        let biggest = vec![b'a'; MAX_PLAINTEXT_LEN];
        let wire = sealed(&biggest);
        assert_eq!(wire.len(), PREFIX_LEN + MAX_RECORD_LEN);
        let mut out = Vec::new();
        let too_big = vec![b'a'; MAX_PLAINTEXT_LEN + 1];
        assert!(matches!(
            seal(&cipher(), &[0; NONCE_LEN], &too_big, &mut out),
            Err(Error::RecordTooLong(65536))
        ));
    }
}
