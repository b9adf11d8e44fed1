//! Padding (RFC 8446 5.4): hiding how long each message really is.
//!
//! Encryption hides the bytes of a message, never how many there are: a
//! record's length is in its clear header, and ChaCha20-Poly1305 adds a
//! fixed 16 bytes. Eve reads `length - 17` as the exact size of what was
//! said (17: the tag and the hidden content type), and sizes say a lot: a
//! "yes" from a "no", which page of a site, which key was typed.
//!
//! TLS 1.3 lets the sender add zeros after the content type, inside the
//! encryption:
//!
//! ```text
//! TLSInnerPlaintext = content || content type (1 byte) || zeros (any number)
//!                     \______ what was said ______/      \__ padding __/
//! ```
//!
//! The receiver strips trailing zeros back to the type byte (which is never
//! zero), so padding costs the protocol nothing but bytes. With
//! `--pad 256`, every inner plaintext is grown to the next multiple of 256
//! bytes: a 5-byte line and a 200-byte line then travel as records of the
//! same size (256 + 16), and Eve learns each message's length only to the
//! nearest 256. She still sees how many records there are and when they
//! go; padding hides sizes, not traffic patterns.
//!
//! One limit remains: no inner plaintext may pass 2^14 + 1 bytes (5.4), so
//! a record already near that size is padded only up to it.

use super::record::MAX_PLAINTEXT_LEN;

/// The most a TLSInnerPlaintext may hold, content, type byte and padding
/// together (5.4): 2^14 + 1. Padding never makes a record bigger than the
/// largest unpadded one.
pub const MAX_INNER_PLAINTEXT_LEN: usize = MAX_PLAINTEXT_LEN + 1;

/// How the sender pads each TLSInnerPlaintext.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Padding {
    // Grow each inner plaintext to a multiple of this; 0 or 1: no padding.
    multiple: usize,
}

impl Padding {
    /// No padding: every record is as long as its content, plus 17.
    pub const NONE: Padding = Padding { multiple: 0 };

    /// Pads each inner plaintext to a multiple of `multiple` bytes (`--pad`).
    pub fn to_multiple_of(multiple: usize) -> Padding {
        Padding { multiple }
    }

    /// What `--pad N` asks for; no flag, no padding.
    pub fn from_flag(pad: Option<u16>) -> Padding {
        pad.map_or(Padding::NONE, |n| Padding::to_multiple_of(usize::from(n)))
    }

    /// The multiple asked for (0 when none).
    pub fn multiple(self) -> usize {
        self.multiple
    }

    /// How many zeros follow the type byte of an inner plaintext that is
    /// `inner_len` bytes long (content and type): enough to reach the next
    /// multiple, but never past the largest inner plaintext allowed.
    pub fn zeros_after(self, inner_len: usize) -> usize {
        if self.multiple <= 1 {
            return 0;
        }
        // Round up; an overflowing product (impossible for a real record)
        // just means "as far as the limit".
        let target = inner_len
            .div_ceil(self.multiple)
            .saturating_mul(self.multiple)
            .min(MAX_INNER_PLAINTEXT_LEN);
        target.saturating_sub(inner_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson11_real_tls13::key_schedule::Secret;
    use crate::lesson11_real_tls13::protection::{RecordKey, TAG_LEN, open_with_traffic_secret};
    use crate::lesson11_real_tls13::record::{ContentType, HEADER_LEN};

    #[test]
    fn a_padded_record_hides_its_length_and_opens_to_the_same_content() {
        let secret = Secret::from_bytes([9; 32]);
        let pad = Padding::to_multiple_of(256);
        let (mut short, mut long) = (Vec::new(), Vec::new());
        let mut key = RecordKey::new(&secret);
        key.seal(ContentType::ApplicationData, b"yes", pad, &mut short)
            .unwrap();
        key.seal(ContentType::ApplicationData, &[b'n'; 200], pad, &mut long)
            .unwrap();
        // Both records are 5 + 256 + 16 bytes on the wire...
        assert_eq!(short.len(), HEADER_LEN + 256 + TAG_LEN);
        assert_eq!(long.len(), short.len());
        // ...and each opens to exactly what was sealed, padding stripped.
        let opened = open_with_traffic_secret(secret.as_bytes(), 0, &short).unwrap();
        assert_eq!(
            opened,
            (ContentType::ApplicationData as u8, b"yes".to_vec())
        );
        let opened = open_with_traffic_secret(secret.as_bytes(), 1, &long).unwrap();
        assert_eq!(opened.1, [b'n'; 200]);
    }

    #[test]
    fn short_and_longer_lines_grow_to_the_same_size() {
        let pad = Padding::to_multiple_of(256);
        // "hi" + type = 3 bytes, 200 + type = 201: both become 256.
        assert_eq!(3 + pad.zeros_after(3), 256);
        assert_eq!(201 + pad.zeros_after(201), 256);
        // Exactly a multiple already: nothing added. One more: a whole step.
        assert_eq!(pad.zeros_after(256), 0);
        assert_eq!(257 + pad.zeros_after(257), 512);
    }

    #[test]
    fn no_padding_adds_nothing_and_the_limit_is_never_passed() {
        for none in [Padding::NONE, Padding::to_multiple_of(1)] {
            assert_eq!(none.zeros_after(40), 0);
        }
        // 2^14 + 1 is the most an inner plaintext may hold: a nearly full
        // record is padded up to it, not to the next multiple past it.
        let pad = Padding::to_multiple_of(1000);
        let full = MAX_INNER_PLAINTEXT_LEN - 3;
        assert_eq!(full + pad.zeros_after(full), MAX_INNER_PLAINTEXT_LEN);
        assert_eq!(pad.zeros_after(MAX_INNER_PLAINTEXT_LEN), 0);
        // An absurd multiple cannot overflow.
        assert_eq!(
            Padding::to_multiple_of(usize::MAX).zeros_after(10),
            MAX_INNER_PLAINTEXT_LEN - 10
        );
    }
}
