//! Record protection (RFC 8446 5.2 to 5.4): lesson 6's AEAD sealing each
//! record, with lesson 9's counter nonces.
//!
//! ```text
//! An encrypted record's fragment:
//! +---------------------------------------------------------+----------+
//! | ChaCha20( content || real type (u8) || zero padding )   | tag (16) |
//! +---------------------------------------------------------+----------+
//!             \______ TLSInnerPlaintext ______/
//!
//! nonce = iv XOR (64-bit sequence number, left-padded with zeros to 12 bytes)
//! aad   = the 5-byte header of this very record
//! ```
//!
//! The real content type travels *inside* the encryption, so Eve sees only
//! "application_data" with a length; padding (`padding.rs`, off unless
//! `--pad`) blurs even the length. The sequence number is never sent: each side
//! counts records per direction, starting at 0 for every new key, so a
//! replayed, dropped or reordered record fails authentication (lesson 9's
//! counter mode, with the counter hidden).
//!
//! Framing, the header and its length limits, is `record.rs`'s job: a
//! fragment read off the wire reaches [`RecordKey::open`] whole and no
//! longer than 2^14 + 256 bytes. Opening is safe at any length (a fragment
//! too short for a tag is simply not authentic); the one limit left to
//! check here comes after the tag: the decrypted TLSInnerPlaintext may hold
//! at most 2^14 + 1 bytes.

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce, Tag};

use super::LEGACY_VERSION;
use super::key_schedule::{IV_LEN, Secret, TrafficKeys};
use super::padding::{MAX_INNER_PLAINTEXT_LEN, Padding};
use super::record::{ContentType, HEADER_LEN, Header, MAX_PLAINTEXT_LEN};
use super::tls_error::TlsError;

/// Bytes in a Poly1305 tag.
pub const TAG_LEN: usize = 16;

/// The per-record nonce (RFC 8446 5.3): the IV XOR the sequence number,
/// written big-endian into the last 8 of its 12 bytes.
pub fn nonce(iv: &[u8; IV_LEN], sequence: u64) -> [u8; IV_LEN] {
    let mut nonce = *iv;
    for (byte, seq_byte) in nonce[IV_LEN - 8..].iter_mut().zip(sequence.to_be_bytes()) {
        *byte ^= seq_byte;
    }
    nonce
}

/// One direction's record protection: the AEAD key, the IV, and the number
/// of the next record. A new traffic secret means a new `RecordKey`, with
/// its count back at 0.
pub struct RecordKey {
    cipher: ChaCha20Poly1305,
    iv: [u8; IV_LEN],
    sequence: u64,
}

impl RecordKey {
    /// Derives the key and IV from a traffic secret; the count starts at 0.
    pub fn new(secret: &Secret) -> RecordKey {
        RecordKey::at_sequence(secret, 0)
    }

    /// Like [`RecordKey::new`] with the count at `sequence`: for opening a
    /// captured record whose number is known (Eve), and for tests. Sealing
    /// with a count already used would repeat a nonce.
    pub fn at_sequence(secret: &Secret, sequence: u64) -> RecordKey {
        let keys = TrafficKeys::derive(secret);
        RecordKey {
            cipher: ChaCha20Poly1305::new(&keys.key.into()),
            iv: keys.iv,
            sequence,
        }
    }

    /// The number the next record will carry.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// Takes the next sequence number. The last value is never handed out,
    /// so the counter cannot wrap and a nonce can never repeat.
    fn next_nonce(&mut self) -> Result<[u8; IV_LEN], TlsError> {
        let sequence = self.sequence;
        self.sequence = sequence.checked_add(1).ok_or(TlsError::SequenceExhausted)?;
        Ok(nonce(&self.iv, sequence))
    }

    /// Encrypts `content` of type `content_type`, padded as `padding`
    /// says, and appends the whole record to `out`. `content` must be at
    /// most 2^14 bytes (callers split).
    pub fn seal(
        &mut self,
        content_type: ContentType,
        content: &[u8],
        padding: Padding,
        out: &mut Vec<u8>,
    ) -> Result<(), TlsError> {
        if content.len() > MAX_PLAINTEXT_LEN {
            return Err(TlsError::RecordOverflow(content.len()));
        }
        let nonce = self.next_nonce()?;
        // content || type || zeros (5.4: none unless --pad), then the tag.
        let zeros = padding.zeros_after(content.len() + 1);
        let length = content.len() + 1 + zeros + TAG_LEN;
        // The header is also the AAD: the outer type is always 23.
        let start = out.len();
        push_header(out, length);
        let aad: [u8; HEADER_LEN] = header_at(out, start);
        let body = out.len();
        out.extend_from_slice(content);
        out.push(content_type as u8);
        out.resize(out.len() + zeros, 0);
        // Encrypt content || type || zeros in place, then append the tag.
        let tag = self
            .cipher
            .encrypt_inout_detached(&Nonce::from(nonce), &aad, (&mut out[body..]).into())
            .map_err(|_| TlsError::RecordOverflow(length))?;
        out.extend_from_slice(&tag);
        Ok(())
    }

    /// Authenticates and decrypts one encrypted record in place, returning
    /// its real content type byte and its content (padding stripped).
    pub fn open<'a>(
        &mut self,
        header: &[u8; HEADER_LEN],
        fragment: &'a mut [u8],
    ) -> Result<(u8, &'a [u8]), TlsError> {
        let nonce = self.next_nonce()?;
        // ciphertext || tag; too short for a tag cannot be authentic.
        let (ciphertext, tag) = fragment
            .split_last_chunk_mut::<TAG_LEN>()
            .ok_or(TlsError::BadRecordMac)?;
        // Verify the tag over header and ciphertext; only then decrypt.
        self.cipher
            .decrypt_inout_detached(
                &Nonce::from(nonce),
                header,
                (&mut *ciphertext).into(),
                &Tag::from(*tag),
            )
            .map_err(|_| TlsError::BadRecordMac)?;
        if ciphertext.len() > MAX_INNER_PLAINTEXT_LEN {
            return Err(TlsError::RecordOverflow(ciphertext.len()));
        }
        split_inner_plaintext(ciphertext)
    }
}

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key and IV stay out of logs; the count is harmless.
        f.debug_struct("RecordKey")
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

/// Appends an encrypted record's header for a fragment of `length` bytes.
fn push_header(out: &mut Vec<u8>, length: usize) {
    out.push(ContentType::ApplicationData as u8);
    out.extend_from_slice(&LEGACY_VERSION.to_be_bytes());
    // At most 2^14 + 1 + 16: fits a u16 (seal checked the content length).
    out.extend_from_slice(&(length as u16).to_be_bytes());
}

/// The five header bytes written at `start` (just written by `push_header`).
fn header_at(out: &[u8], start: usize) -> [u8; HEADER_LEN] {
    let mut header = [0; HEADER_LEN];
    header.copy_from_slice(&out[start..start + HEADER_LEN]);
    header
}

/// TLSInnerPlaintext = content || type || zeros: the real type is the last
/// non-zero byte (RFC 8446 5.4). All zeros means there is no type at all.
pub fn split_inner_plaintext(inner: &[u8]) -> Result<(u8, &[u8]), TlsError> {
    let Some(type_at) = inner.iter().rposition(|&byte| byte != 0) else {
        return Err(TlsError::UnexpectedMessage(
            "an encrypted record with no content type (all padding)".into(),
        ));
    };
    let (content, rest) = inner.split_at(type_at);
    // `rest` starts with the non-zero type byte found above.
    let content_type = rest.first().copied().unwrap_or(0);
    Ok((content_type, content))
}

/// For the tools (Eve, Mallory): opens one captured encrypted record (header
/// included) with a traffic secret taken from a key log and the record's
/// sequence number under that secret. Returns the real content type byte and
/// the content.
pub fn open_with_traffic_secret(
    traffic_secret: &[u8; 32],
    sequence: u64,
    record: &[u8],
) -> Result<(u8, Vec<u8>), TlsError> {
    let (header, fragment) = record
        .split_first_chunk::<HEADER_LEN>()
        .ok_or(TlsError::Decode("record header"))?;
    if usize::from(Header::parse(*header).length) != fragment.len() {
        return Err(TlsError::Decode("record (length does not match)"));
    }
    let mut key = RecordKey::at_sequence(&Secret::from_bytes(*traffic_secret), sequence);
    let mut fragment = fragment.to_vec();
    let (content_type, content) = key.open(header, &mut fragment)?;
    Ok((content_type, content.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::from_bytes([0x42; 32])
    }

    fn sealed(content: &[u8], sequence: u64) -> Vec<u8> {
        let mut out = Vec::new();
        RecordKey::at_sequence(&secret(), sequence)
            .seal(
                ContentType::ApplicationData,
                content,
                Padding::NONE,
                &mut out,
            )
            .unwrap();
        out
    }

    fn opened(record: &[u8], sequence: u64) -> Result<(u8, Vec<u8>), TlsError> {
        open_with_traffic_secret(secret().as_bytes(), sequence, record)
    }

    #[test]
    fn seal_then_open_round_trips_with_the_type_inside() {
        let record = sealed(b"GET /transfer?to=bob&amount=100", 0);
        // Outside: type 23, version 0x0303, length = 31 + 1 + 16.
        assert_eq!(&record[..5], &[23, 3, 3, 0, 48]);
        assert_eq!(
            opened(&record, 0).unwrap(),
            (23, b"GET /transfer?to=bob&amount=100".to_vec())
        );
        // A handshake message sealed the same way says 23 outside too.
        let mut out = Vec::new();
        RecordKey::new(&secret())
            .seal(
                ContentType::Handshake,
                b"\x14\x00\x00\x00",
                Padding::NONE,
                &mut out,
            )
            .unwrap();
        assert_eq!(out[0], 23);
        assert_eq!(opened(&out, 0).unwrap().0, 22);
    }

    #[test]
    fn every_flipped_byte_is_rejected() {
        let record = sealed(b"amount=100", 7);
        for i in 0..record.len() {
            for bit in 0..8 {
                let mut bad = record.clone();
                bad[i] ^= 1 << bit;
                let result = opened(&bad, 7);
                // A flipped length byte fails the length check; anything else
                // (type, version, ciphertext, tag) fails authentication.
                assert!(result.is_err(), "flip of bit {bit} in byte {i} accepted");
                if !(3..5).contains(&i) {
                    assert_eq!(result, Err(TlsError::BadRecordMac), "byte {i}");
                }
            }
        }
    }

    #[test]
    fn the_nonce_is_the_iv_xor_the_sequence_number() {
        let iv = [0xff; 12];
        assert_eq!(nonce(&iv, 0), iv);
        let mut expected = iv;
        expected[11] = 0xfe;
        assert_eq!(nonce(&iv, 1), expected);
        expected[4] = 0x00;
        expected[11] = 0xff;
        assert_eq!(nonce(&iv, 0xff00_0000_0000_0000), expected);
    }

    #[test]
    fn a_record_opened_with_the_wrong_sequence_number_fails() {
        // This is what stops replay and reordering: record 3 is not record 4.
        let record = sealed(b"pay bob", 3);
        assert!(opened(&record, 3).is_ok());
        assert_eq!(opened(&record, 4), Err(TlsError::BadRecordMac));
        assert_eq!(opened(&record, 2), Err(TlsError::BadRecordMac));
    }

    #[test]
    fn the_sequence_number_never_wraps() {
        let mut key = RecordKey::at_sequence(&secret(), u64::MAX - 1);
        let mut out = Vec::new();
        key.seal(
            ContentType::ApplicationData,
            b"last",
            Padding::NONE,
            &mut out,
        )
        .unwrap();
        out.clear();
        assert_eq!(
            key.seal(
                ContentType::ApplicationData,
                b"one too many",
                Padding::NONE,
                &mut out
            ),
            Err(TlsError::SequenceExhausted)
        );
        assert!(out.is_empty(), "nothing was written");
    }

    #[test]
    fn padding_is_stripped_and_the_type_found() {
        assert_eq!(
            split_inner_plaintext(b"hi\x17\0\0\0").unwrap(),
            (23, &b"hi"[..])
        );
        assert_eq!(split_inner_plaintext(b"\x16").unwrap(), (22, &b""[..]));
        // Zeros inside the content stay; only trailing ones are padding.
        assert_eq!(
            split_inner_plaintext(b"a\0b\x17\0").unwrap(),
            (23, &b"a\0b"[..])
        );
        assert!(split_inner_plaintext(b"\0\0\0").is_err());
        assert!(split_inner_plaintext(b"").is_err());
    }

    #[test]
    fn largest_record_fits_and_one_more_byte_does_not() {
        let record = sealed(&[b'a'; MAX_PLAINTEXT_LEN], 0);
        assert_eq!(record.len(), HEADER_LEN + MAX_PLAINTEXT_LEN + 1 + TAG_LEN);
        assert_eq!(opened(&record, 0).unwrap().1.len(), MAX_PLAINTEXT_LEN);
        let mut out = Vec::new();
        assert_eq!(
            RecordKey::new(&secret()).seal(
                ContentType::ApplicationData,
                &[0; MAX_PLAINTEXT_LEN + 1],
                Padding::NONE,
                &mut out
            ),
            Err(TlsError::RecordOverflow(MAX_PLAINTEXT_LEN + 1))
        );
    }

    #[test]
    fn padding_past_the_inner_plaintext_limit_is_an_overflow() {
        // 2^14 bytes of content, the type, then 10 bytes of padding: the
        // ciphertext is within 2^14 + 256, but the inner plaintext is over
        // 2^14 + 1, which RFC 8446 5.4 forbids. Built by hand, since our
        // sender never pads.
        let keys = TrafficKeys::derive(&secret());
        let cipher = ChaCha20Poly1305::new(&keys.key.into());
        let mut inner = vec![1; MAX_PLAINTEXT_LEN];
        inner.push(23);
        inner.extend_from_slice(&[0; 10]);
        let length = u16::try_from(inner.len() + TAG_LEN).unwrap();
        let mut record = vec![23, 3, 3];
        record.extend_from_slice(&length.to_be_bytes());
        let aad: [u8; 5] = record.clone().try_into().unwrap();
        let tag = cipher
            .encrypt_inout_detached(&Nonce::from(keys.iv), &aad, (&mut inner[..]).into())
            .unwrap();
        record.extend_from_slice(&inner);
        record.extend_from_slice(&tag);
        assert_eq!(
            opened(&record, 0),
            Err(TlsError::RecordOverflow(MAX_PLAINTEXT_LEN + 11))
        );
    }
}
