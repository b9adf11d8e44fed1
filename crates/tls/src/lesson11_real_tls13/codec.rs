//! Reading and writing TLS's wire vocabulary: big-endian integers and
//! length-prefixed vectors (RFC 8446 section 3).
//!
//! ```text
//! uint8 / uint16 / uint24       1, 2, 3 bytes, big-endian
//! opaque x<0..2^8-1>            u8 length  || that many bytes
//! opaque x<0..2^16-1>           u16 length || that many bytes
//! opaque x<0..2^24-1>           u24 length || that many bytes
//!
//! Extension                     extension_type (u16) || extension_data <0..2^16-1>
//! Extension extensions<..>      a u16-prefixed run of those, no type twice
//! ```
//!
//! Everything a TLS message holds is one of those, nested: a ClientHello
//! is a u24-prefixed body holding a u16-prefixed list of extensions, each a
//! u16 type and a u16-prefixed body, and so on. Lesson 2's idea (a length
//! in front, checked before it is trusted) applied all the way down.
//!
//! [`Reader`] is the only way peer bytes are parsed in lesson 11. It never
//! indexes or panics: each read checks that the bytes are there, and a
//! shortfall becomes [`TlsError::Decode`] naming the message being read,
//! which the connection turns into a `decode_error` alert.
//!
//! The extension block is here too, not in a message's file, because every
//! hello and EncryptedExtensions frames its extensions the same way
//! (RFC 8446 4.2): what each message does with them is its own business.

use super::tls_error::TlsError;

/// A cursor over peer bytes. Every read either succeeds or returns a
/// decode error; none can read past the end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
    // What is being parsed, for the error message ("ClientHello", ...).
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Starts reading `bytes`, which hold a `what` (used in errors).
    pub fn new(bytes: &'a [u8], what: &'static str) -> Reader<'a> {
        Reader { rest: bytes, what }
    }

    /// The error for this message.
    pub fn error(&self) -> TlsError {
        TlsError::Decode(self.what)
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], TlsError> {
        // `split_at_checked` returns None instead of panicking when n is
        // past the end: the whole bounds check is this one call.
        let (head, tail) = self.rest.split_at_checked(n).ok_or(self.error())?;
        self.rest = tail;
        Ok(head)
    }

    /// Takes exactly `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], TlsError> {
        let (head, tail) = self.rest.split_first_chunk::<N>().ok_or(self.error())?;
        self.rest = tail;
        Ok(*head)
    }

    /// A `uint8`.
    pub fn u8(&mut self) -> Result<u8, TlsError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    /// A `uint16`, big-endian.
    pub fn u16(&mut self) -> Result<u16, TlsError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// A `uint24`, big-endian, widened to `usize`.
    pub fn u24(&mut self) -> Result<usize, TlsError> {
        let [a, b, c] = self.array()?;
        // Three bytes always fit a u32, and a u32 fits usize on every
        // platform this crate builds for (16-bit targets have no std::net).
        Ok(usize::try_from(u32::from_be_bytes([0, a, b, c])).unwrap_or(usize::MAX))
    }

    /// An `opaque x<0..2^8-1>`: a u8 length, then a reader over that many
    /// bytes.
    pub fn vec_u8(&mut self) -> Result<Reader<'a>, TlsError> {
        let len = self.u8()?;
        self.sub(usize::from(len))
    }

    /// An `opaque x<0..2^16-1>`: a u16 length, then a reader over that many
    /// bytes.
    pub fn vec_u16(&mut self) -> Result<Reader<'a>, TlsError> {
        let len = self.u16()?;
        self.sub(usize::from(len))
    }

    /// An `opaque x<0..2^24-1>`: a u24 length, then a reader over that many
    /// bytes.
    pub fn vec_u24(&mut self) -> Result<Reader<'a>, TlsError> {
        let len = self.u24()?;
        self.sub(len)
    }

    /// A reader over the next `len` bytes (the length was just read).
    fn sub(&mut self, len: usize) -> Result<Reader<'a>, TlsError> {
        Ok(Reader::new(self.take(len)?, self.what))
    }

    /// The bytes not read yet, consuming them.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    /// Whether everything has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Ends the read: bytes left over mean the lengths did not add up, which
    /// is as malformed as a length that runs past the end.
    pub fn finish(self) -> Result<(), TlsError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(self.error())
        }
    }
}

/// Bytes in a handshake message header: type (u8) and length (u24).
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// Builds a whole handshake message (RFC 8446 4):
///
/// ```text
/// +------------------+---------------+-------------------+
/// | msg_type (u8)    | length (u24)  | body (length)     |
/// +------------------+---------------+-------------------+
/// ```
///
/// These bytes, header included, are what goes into the transcript.
pub fn handshake_message(handshake_type: u8, body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut message = vec![handshake_type];
    put_vec(&mut message, Prefix::U24, body);
    message
}

/// Appends a `uint16`.
pub fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

/// How many bytes a vector's length prefix takes.
#[derive(Clone, Copy, Debug)]
pub enum Prefix {
    /// `<0..2^8-1>`
    U8 = 1,
    /// `<0..2^16-1>`
    U16 = 2,
    /// `<0..2^24-1>`
    U24 = 3,
}

/// Appends a length-prefixed vector whose contents `body` writes: a
/// placeholder length goes first and is filled in once the body's size is
/// known.
///
/// # Panics
///
/// If `body` writes more than the prefix can count. Only our own messages
/// are built here, and each is bounded by construction (the biggest, a
/// certificate chain, is capped when it is loaded; see `certs.rs`), so this
/// is a bug in this crate, never something a peer can cause.
pub fn put_vec(out: &mut Vec<u8>, prefix: Prefix, body: impl FnOnce(&mut Vec<u8>)) {
    let width = prefix as usize;
    let start = out.len();
    out.extend_from_slice(&[0; 3][..width]);
    body(out);
    let len = out.len() - start - width;
    assert!(len < 1 << (8 * width), "our own vector outgrew its prefix");
    // The low `width` bytes of the big-endian length, over the placeholder.
    let len_bytes = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
    out[start..start + width].copy_from_slice(&len_bytes[4 - width..]);
}

/// Appends one extension: its type, then its data with a u16 length.
pub fn put_extension(out: &mut Vec<u8>, extension_type: u16, data: impl FnOnce(&mut Vec<u8>)) {
    put_u16(out, extension_type);
    put_vec(out, Prefix::U16, data);
}

/// Splits an extension block into (type, data) pairs, refusing a type that
/// appears twice (RFC 8446 4.2).
pub fn extensions<'a>(mut r: Reader<'a>) -> Result<Vec<(u16, &'a [u8])>, TlsError> {
    let mut found: Vec<(u16, &'a [u8])> = Vec::new();
    // The types seen so far, in a set: a hello of 16k empty extensions
    // would otherwise cost 16k * 16k comparisons.
    let mut seen = std::collections::BTreeSet::new();
    while !r.is_empty() {
        let extension_type = r.u16()?;
        let data = r.vec_u16()?.rest();
        if !seen.insert(extension_type) {
            return Err(TlsError::IllegalParameter("an extension appears twice"));
        }
        found.push((extension_type, data));
    }
    Ok(found)
}

/// A vector of u16 values (suites, groups, schemes, versions).
pub fn u16_list(mut r: Reader<'_>) -> Result<Vec<u16>, TlsError> {
    let mut values = Vec::new();
    // An odd byte count leaves one byte over, which `u16` refuses.
    while !r.is_empty() {
        values.push(r.u16()?);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_big_endian() {
        let bytes = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06];
        let mut r = Reader::new(&bytes, "test");
        assert_eq!(r.u8().unwrap(), 0x01);
        assert_eq!(r.u16().unwrap(), 0x0203);
        assert_eq!(r.u24().unwrap(), 0x040506);
        assert!(r.is_empty());
        assert_eq!(r.u8(), Err(TlsError::Decode("test")));
    }

    #[test]
    fn every_truncation_of_a_vector_is_a_decode_error() {
        // u16 length 3, then "abc".
        let bytes = [0x00, 0x03, b'a', b'b', b'c'];
        for cut in 0..bytes.len() {
            let mut r = Reader::new(&bytes[..cut], "cut");
            assert_eq!(r.vec_u16().map(|_| ()), Err(TlsError::Decode("cut")));
        }
        let mut r = Reader::new(&bytes, "whole");
        assert_eq!(r.vec_u16().unwrap().rest(), b"abc");
    }

    #[test]
    fn a_length_past_the_end_is_refused_without_reading() {
        // A u24 length of 16 MiB - 1 over three bytes: no allocation, no
        // panic, just an error.
        let bytes = [0xff, 0xff, 0xff, 1, 2, 3];
        let mut r = Reader::new(&bytes, "huge");
        assert!(r.vec_u24().is_err());
        let mut r = Reader::new(&[0xff], "u8 vector");
        assert!(r.vec_u8().is_err());
    }

    #[test]
    fn leftover_bytes_fail_finish() {
        let mut r = Reader::new(&[1, 2], "leftover");
        r.u8().unwrap();
        assert_eq!(r.finish(), Err(TlsError::Decode("leftover")));
        assert_eq!(Reader::new(&[], "empty").finish(), Ok(()));
    }

    #[test]
    fn arrays_need_every_byte() {
        let mut r = Reader::new(&[0; 31], "random");
        assert!(r.array::<32>().is_err());
        let mut r = Reader::new(&[7; 32], "random");
        assert_eq!(r.array::<32>().unwrap(), [7; 32]);
    }

    #[test]
    fn vectors_are_written_with_their_length() {
        let mut out = Vec::new();
        put_vec(&mut out, Prefix::U8, |v| v.extend_from_slice(b"hi"));
        put_vec(&mut out, Prefix::U16, |v| put_u16(v, 0x1303));
        put_vec(&mut out, Prefix::U24, |v| {
            put_vec(v, Prefix::U8, |_| {});
        });
        assert_eq!(out, [2, b'h', b'i', 0, 2, 0x13, 0x03, 0, 0, 1, 0]);
        // And they read back.
        let mut r = Reader::new(&out, "round trip");
        assert_eq!(r.vec_u8().unwrap().rest(), b"hi");
        assert_eq!(r.vec_u16().unwrap().u16().unwrap(), 0x1303);
        let mut inner = r.vec_u24().unwrap();
        assert!(inner.vec_u8().unwrap().is_empty());
        r.finish().unwrap();
    }

    #[test]
    #[should_panic(expected = "outgrew")]
    fn our_own_oversized_vector_is_a_bug() {
        put_vec(&mut Vec::new(), Prefix::U8, |v| {
            v.extend_from_slice(&[0; 256])
        });
    }

    #[test]
    fn duplicate_extensions_are_refused() {
        let mut r = Vec::new();
        put_extension(&mut r, 99, |_| {});
        put_extension(&mut r, 99, |_| {});
        assert!(matches!(
            extensions(Reader::new(&r, "t")),
            Err(TlsError::IllegalParameter(_))
        ));
    }
}
