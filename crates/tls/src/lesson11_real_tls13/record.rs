//! The TLS 1.3 record layer's framing (RFC 8446 5.1): lesson 2's
//! length-prefixed records, with a content type in front.
//!
//! ```text
//! TLSPlaintext / TLSCiphertext: a 5-byte header, then the fragment
//! +--------------+----------------------+--------------+---------------------+
//! | type (u8)    | legacy_version (u16) | length (u16) | fragment (length)   |
//! +--------------+----------------------+--------------+---------------------+
//!   20 change_cipher_spec  0x0303 (0x0301 on    <= 2^14 in the clear,
//!   21 alert               a first ClientHello) <= 2^14 + 256 encrypted
//!   22 handshake
//!   23 application_data   (every encrypted record says 23 outside)
//! ```
//!
//! This file only cuts the byte stream into records, the way lesson 2 did:
//! read the header, check it, then read exactly the fragment it announces.
//! The checks come before a byte is allocated: a type that is not one of
//! the four is not TLS at all, and a plaintext record over 2^14 bytes or a
//! ciphertext over 2^14 + 256 is a `record_overflow`, refused at its header.
//!
//! What an encrypted fragment holds, and how it is sealed and opened, is
//! record protection (RFC 8446 5.2), in `protection.rs`. The header is
//! where the two meet: it is the AEAD's associated data, so a record
//! cannot be moved under another header.

use std::io::Read;

use super::tls_error::TlsError;
use crate::error::Result;

/// Bytes in a record header: type, legacy_version, length.
pub const HEADER_LEN: usize = 5;
/// The most content one record may carry (RFC 8446 5.1): 2^14 bytes.
pub const MAX_PLAINTEXT_LEN: usize = 1 << 14;
/// The longest encrypted fragment allowed (RFC 8446 5.2): 2^14 + 256.
pub const MAX_CIPHERTEXT_LEN: usize = MAX_PLAINTEXT_LEN + 256;
/// The legacy_version a client may put on its first ClientHello record, as
/// curl, OpenSSL and rustls do, for servers that choke on 0x0303 there.
pub const INITIAL_RECORD_VERSION: u16 = 0x0301;

/// The four record content types TLS 1.3 uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    /// A single byte 0x01, ignored; sent only for middlebox compatibility.
    ChangeCipherSpec = 20,
    /// Two bytes: level and description.
    Alert = 21,
    /// Handshake messages, possibly several per record or one over several.
    Handshake = 22,
    /// Application data, and the outer type of every encrypted record.
    ApplicationData = 23,
}

impl ContentType {
    /// The content type with this wire value, if it is one of ours.
    pub fn from_u8(byte: u8) -> Option<ContentType> {
        match byte {
            20 => Some(ContentType::ChangeCipherSpec),
            21 => Some(ContentType::Alert),
            22 => Some(ContentType::Handshake),
            23 => Some(ContentType::ApplicationData),
            _ => None,
        }
    }

    /// The RFC's name for it.
    pub fn name(self) -> &'static str {
        match self {
            ContentType::ChangeCipherSpec => "change_cipher_spec",
            ContentType::Alert => "alert",
            ContentType::Handshake => "handshake",
            ContentType::ApplicationData => "application_data",
        }
    }
}

/// A record header, as read from the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The outer content type byte.
    pub content_type: u8,
    /// 0x0303 (or 0x0301); ignored on receipt, as RFC 8446 5.1 requires.
    pub legacy_version: u16,
    /// How many fragment bytes follow.
    pub length: u16,
}

impl Header {
    /// Splits the five header bytes into their fields.
    pub fn parse(bytes: [u8; HEADER_LEN]) -> Header {
        let [content_type, v1, v2, l1, l2] = bytes;
        Header {
            content_type,
            legacy_version: u16::from_be_bytes([v1, v2]),
            length: u16::from_be_bytes([l1, l2]),
        }
    }

    /// The longest fragment a record of this type may announce.
    pub fn max_length(&self) -> usize {
        if self.content_type == ContentType::ApplicationData as u8 {
            MAX_CIPHERTEXT_LEN
        } else {
            MAX_PLAINTEXT_LEN
        }
    }
}

/// Appends an unprotected record (before keys exist, and for
/// change_cipher_spec). `content` must be at most 2^14 bytes.
pub fn push_plaintext(out: &mut Vec<u8>, content_type: ContentType, version: u16, content: &[u8]) {
    debug_assert!(content.len() <= MAX_PLAINTEXT_LEN);
    out.push(content_type as u8);
    out.extend_from_slice(&version.to_be_bytes());
    // At most 2^14 (callers split), so it fits the u16 length.
    out.extend_from_slice(&(content.len() as u16).to_be_bytes());
    out.extend_from_slice(content);
}

/// Reads one record: the header, its length checked against the limit for
/// its type, then exactly that many bytes into `fragment`.
///
/// `Ok(None)` means the peer closed the connection cleanly before the first
/// header byte; a close part-way through a record is an error.
pub fn read_record<R: Read>(
    reader: &mut R,
    fragment: &mut Vec<u8>,
) -> Result<Option<[u8; HEADER_LEN]>> {
    let mut header = [0; HEADER_LEN];
    if !crate::lesson02_records::read_prefix_or_eof(reader, &mut header)? {
        return Ok(None);
    }
    let parsed = Header::parse(header);
    // Not one of the four types: not TLS at all (or a TLS we do not speak).
    if ContentType::from_u8(parsed.content_type).is_none() {
        return Err(TlsError::NotTls(parsed.content_type).into());
    }
    // The length is checked before anything is allocated for it.
    let length = usize::from(parsed.length);
    if length > parsed.max_length() {
        return Err(TlsError::RecordOverflow(length).into());
    }
    fragment.clear();
    fragment.resize(length, 0);
    reader.read_exact(fragment)?;
    Ok(Some(header))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::lesson11_real_tls13::LEGACY_VERSION;

    #[test]
    fn oversized_records_are_refused_before_reading_the_body() {
        // Header only: had the reader trusted the length it would wait for
        // (or allocate) the body. It must stop at the header.
        for (header, limit) in [
            ([23u8, 3, 3, 0x41, 0x01], MAX_CIPHERTEXT_LEN), // 2^14 + 257
            ([22u8, 3, 1, 0x40, 0x01], MAX_PLAINTEXT_LEN),  // 2^14 + 1
            ([21u8, 3, 3, 0xff, 0xff], MAX_PLAINTEXT_LEN),
        ] {
            let mut reader = &header[..];
            let mut fragment = Vec::new();
            match read_record(&mut reader, &mut fragment) {
                Err(Error::Tls(TlsError::RecordOverflow(n))) => assert!(n > limit),
                other => panic!("{header:?}: {other:?}"),
            }
            assert_eq!(fragment.capacity(), 0, "nothing allocated");
        }
    }

    #[test]
    fn non_tls_bytes_are_named() {
        // Lesson 9's first bytes are a public key: random, so almost never a
        // TLS content type.
        let mut reader = &[0x8a_u8, 1, 2, 3, 4][..];
        let result = read_record(&mut reader, &mut Vec::new());
        assert!(matches!(result, Err(Error::Tls(TlsError::NotTls(0x8a)))));
    }

    #[test]
    fn clean_close_and_cut_record_differ() {
        let mut record = Vec::new();
        push_plaintext(
            &mut record,
            ContentType::Handshake,
            LEGACY_VERSION,
            b"hello",
        );
        let mut reader = &record[..];
        assert!(read_record(&mut reader, &mut Vec::new()).unwrap().is_some());
        assert!(read_record(&mut reader, &mut Vec::new()).unwrap().is_none());
        for cut in 1..record.len() {
            let mut reader = &record[..cut];
            let result = read_record(&mut reader, &mut Vec::new());
            assert!(matches!(result, Err(Error::Truncated)), "cut at {cut}");
        }
    }
}
