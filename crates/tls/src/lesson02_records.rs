//! Lesson 2: records. Put message boundaries back on top of a byte stream.
//!
//! TCP hands the receiver a stream of bytes; how they are cut into `read`
//! results has nothing to do with how they were written (see lesson 1).
//! So every message goes out with its length in front:
//!
//! ```text
//! +----------------------+---------------------------+
//! | length (u32, 4 B BE) | payload (length bytes)    |
//! +----------------------+---------------------------+
//!   00 00 00 05            68 65 6c 6c 6f   ("hello")
//! ```
//!
//! The receiver reads exactly four bytes, learns how many follow, and reads
//! exactly that many, whatever pieces the network delivers them in.
//!
//! Three rules keep a hostile length harmless:
//! - a length over [`MAX_PAYLOAD_LEN`] (16 MiB) is refused *before* anything
//!   is allocated for it;
//! - an allowed length is charged to the server's memory budget (see
//!   `runtime/budget.rs`) before any of it is read, so many large messages
//!   at once cannot exhaust the machine;
//! - even then it is not allocated up front: the buffer grows as bytes
//!   actually arrive, so announcing 16 MiB and sending nothing costs the
//!   sender more than it costs us.
//!
//! A close between records is the normal end of a conversation (`Ok(None)`);
//! a close inside a record is [`Error::Truncated`].

use std::io::{BufReader, ErrorKind, IoSlice, Read, Write};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::lesson01_plaintext::DelayedReads;
use crate::runtime::budget::MessageBuffer;
use crate::runtime::message::{MessageReader, MessageWriter, write_in_records};
use crate::runtime::socket::Socket;

/// Bytes in the length prefix.
pub const PREFIX_LEN: usize = 4;
/// The largest payload one record may carry: 16 MiB. A `u32` could announce
/// 4 GiB; we refuse anything over this before allocating a byte for it.
pub const MAX_PAYLOAD_LEN: usize = 16 * 1024 * 1024;

/// The read half of a connection as lessons 2, 3 and 5 use it: buffered (a
/// record takes at least two reads to parse), with an optional pause before
/// each read from the socket.
pub type SocketReader = BufReader<DelayedReads<Socket>>;

/// Wraps the connection for lesson 2: length-prefixed records.
pub fn open(socket: Socket) -> (RecordReader<SocketReader>, RecordWriter<Socket>) {
    open_with_read_delay(socket, Duration::ZERO)
}

/// Like [`open`], but pauses `delay` before every read from the socket, so a
/// learner can watch several records arrive in one read and still come out
/// one by one.
pub fn open_with_read_delay(
    socket: Socket,
    delay: Duration,
) -> (RecordReader<SocketReader>, RecordWriter<Socket>) {
    let read_half = BufReader::new(DelayedReads::new(socket.clone(), delay));
    (RecordReader::new(read_half), RecordWriter::new(socket))
}

/// Builds the whole record `length || payload` in `out` (cleared first).
/// Tools and tests use it; [`RecordWriter`] sends without the copy.
pub fn encode(payload: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let prefix = prefix(payload.len())?;
    out.clear();
    out.reserve(PREFIX_LEN + payload.len());
    // length (4 bytes, big-endian) || payload
    out.extend_from_slice(&prefix);
    out.extend_from_slice(payload);
    Ok(())
}

/// Reads one record's payload into `buf`.
///
/// Returns `Ok(false)` if the peer closed cleanly before the first byte of a
/// record, and [`Error::Truncated`] if it closed part-way through one. The
/// payload is then `buf.as_slice()`.
pub fn read_payload<R: Read>(reader: &mut R, buf: &mut MessageBuffer) -> Result<bool> {
    // The last message has been dealt with: give back what it needed, so an
    // idle connection holds little while it waits for the next one.
    buf.recycle();
    let mut prefix = [0u8; PREFIX_LEN];
    if !read_prefix_or_eof(reader, &mut prefix)? {
        return Ok(false);
    }
    let announced = u32::from_be_bytes(prefix);
    // On a 16-bit machine a u32 may not fit a usize; treat that as too long.
    let len = usize::try_from(announced).unwrap_or(usize::MAX);
    // Check the announced length before allocating anything for it.
    if len > MAX_PAYLOAD_LEN {
        return Err(Error::RecordTooLong(len));
    }
    // Read exactly `len` bytes: charged to the budget first, and taken from
    // memory only as fast as bytes really arrive.
    buf.read_exact_from(reader, len)?;
    Ok(true)
}

/// Fills `prefix` completely, or reports a clean end of stream if the very
/// first read finds the connection closed.
///
/// This is where "a close between records" and "a close inside a record"
/// part ways: every framed lesson (2, 3, 5, 9) reads its length prefix with
/// it.
pub fn read_prefix_or_eof<R: Read>(reader: &mut R, prefix: &mut [u8]) -> Result<bool> {
    let mut filled = 0;
    while filled < prefix.len() {
        // In range: the loop runs only while `filled < prefix.len()`.
        match reader.read(&mut prefix[filled..]) {
            // EOF before the first byte: a clean close between records.
            Ok(0) if filled == 0 => return Ok(false),
            // EOF after some bytes of the prefix: the record was cut short.
            Ok(0) => return Err(Error::Truncated),
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

/// The receiving half: one record in, one payload out.
pub struct RecordReader<R> {
    reader: R,
    payload: MessageBuffer,
}

impl<R: Read> RecordReader<R> {
    /// Reads records from `reader` (give it a buffered reader: a record is
    /// read with at least two calls).
    pub fn new(reader: R) -> RecordReader<R> {
        RecordReader {
            reader,
            payload: MessageBuffer::new(),
        }
    }

    /// The next record's payload, or `None` after a clean close. Mutable so
    /// that lesson 3 can decrypt it where it lies.
    pub fn read_record(&mut self) -> Result<Option<&mut [u8]>> {
        if read_payload(&mut self.reader, &mut self.payload)? {
            Ok(Some(self.payload.as_mut_slice()))
        } else {
            Ok(None)
        }
    }
}

impl<R: Read + Send> MessageReader for RecordReader<R> {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        Ok(self.read_record()?.map(|payload| &*payload))
    }
}

/// The sending half: one message out, one record (or several, past 16 MiB).
pub struct RecordWriter<W> {
    writer: W,
}

impl<W: Write> RecordWriter<W> {
    /// Writes records to `writer`.
    pub fn new(writer: W) -> RecordWriter<W> {
        RecordWriter { writer }
    }

    /// Sends `payload` as exactly one record.
    ///
    /// The prefix and the payload go to the kernel in one call (`writev`),
    /// so a small record leaves as one packet, and a large one is never
    /// copied into a second buffer first.
    pub fn write_record(&mut self, payload: &[u8]) -> Result<()> {
        let prefix = prefix(payload.len())?;
        write_all_vectored(&mut self.writer, &prefix, payload)?;
        self.writer.flush()?;
        Ok(())
    }
}

/// The 4-byte length prefix for a payload of `len` bytes, or
/// [`Error::RecordTooLong`] past 16 MiB.
pub fn prefix(len: usize) -> Result<[u8; PREFIX_LEN]> {
    if len > MAX_PAYLOAD_LEN {
        return Err(Error::RecordTooLong(len));
    }
    let len = u32::try_from(len).map_err(|_| Error::RecordTooLong(len))?;
    Ok(len.to_be_bytes())
}

/// Writes `head` then `body` with vectored writes, as few calls as the
/// kernel allows (std's `write_all_vectored` is not stable yet).
pub fn write_all_vectored<W: Write>(
    writer: &mut W,
    head: &[u8],
    body: &[u8],
) -> std::io::Result<()> {
    let mut slices = [IoSlice::new(head), IoSlice::new(body)];
    let mut rest = &mut slices[..];
    // Skip empty slices up front, so an empty body is not a zero write.
    IoSlice::advance_slices(&mut rest, 0);
    while !rest.is_empty() {
        match writer.write_vectored(rest) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl<W: Write + Send> MessageWriter for RecordWriter<W> {
    fn write_message(&mut self, message: &[u8]) -> Result<()> {
        // One record per message; past 16 MiB, several full records.
        write_in_records(message, MAX_PAYLOAD_LEN, |piece| self.write_record(piece))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire_of(messages: &[&[u8]]) -> Vec<u8> {
        let mut wire = Vec::new();
        let mut w = RecordWriter::new(&mut wire);
        for m in messages {
            w.write_message(m).unwrap();
        }
        wire
    }

    #[test]
    fn hello_is_length_five_then_the_bytes() {
        assert_eq!(wire_of(&[b"hello"]), b"\x00\x00\x00\x05hello");
    }

    #[test]
    fn glued_records_come_apart_again() {
        // All three records in one buffer, as one slow read would see them.
        let wire = wire_of(&[b"one", b"", b"three"]);
        let mut r = RecordReader::new(wire.as_slice());
        assert_eq!(r.read_message().unwrap(), Some(&b"one"[..]));
        assert_eq!(r.read_message().unwrap(), Some(&b""[..]));
        assert_eq!(r.read_message().unwrap(), Some(&b"three"[..]));
        assert_eq!(r.read_message().unwrap(), None);
    }

    /// A reader that hands out one byte per call: the most split a stream
    /// can possibly be.
    struct OneByteAtATime<'a>(&'a [u8]);

    impl Read for OneByteAtATime<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn split_records_are_put_back_together() {
        let wire = wire_of(&[b"hello", b"world"]);
        let mut r = RecordReader::new(OneByteAtATime(&wire));
        assert_eq!(r.read_message().unwrap(), Some(&b"hello"[..]));
        assert_eq!(r.read_message().unwrap(), Some(&b"world"[..]));
        assert_eq!(r.read_message().unwrap(), None);
    }

    #[test]
    fn over_16_mib_is_refused_before_reading_the_body() {
        let too_long = (MAX_PAYLOAD_LEN as u32 + 1).to_be_bytes();
        let mut reader = too_long.as_slice();
        let result = read_payload(&mut reader, &mut MessageBuffer::new());
        assert!(matches!(result, Err(Error::RecordTooLong(n)) if n == MAX_PAYLOAD_LEN + 1));
        let largest = u32::MAX.to_be_bytes();
        let result = read_payload(&mut largest.as_slice(), &mut MessageBuffer::new());
        assert!(matches!(result, Err(Error::RecordTooLong(n)) if n == u32::MAX as usize));
    }

    #[test]
    fn exactly_16_mib_is_allowed_and_round_trips() {
        let big = vec![0xab; MAX_PAYLOAD_LEN];
        let wire = wire_of(&[&big]);
        assert_eq!(&wire[..4], &(MAX_PAYLOAD_LEN as u32).to_be_bytes());
        let mut r = RecordReader::new(wire.as_slice());
        assert_eq!(
            r.read_message().unwrap().map(<[u8]>::len),
            Some(MAX_PAYLOAD_LEN)
        );
    }

    #[test]
    fn a_message_over_16_mib_is_split_and_nothing_is_lost() {
        let big: Vec<u8> = (0..MAX_PAYLOAD_LEN + 10).map(|i| (i % 253) as u8).collect();
        let wire = wire_of(&[&big]);
        let mut r = RecordReader::new(wire.as_slice());
        let mut got = Vec::new();
        let mut records = 0;
        while let Some(piece) = r.read_message().unwrap() {
            got.extend_from_slice(piece);
            records += 1;
        }
        assert_eq!(records, 2);
        assert_eq!(got, big);
    }

    #[test]
    fn encode_refuses_a_payload_over_the_limit() {
        let too_big = vec![0; MAX_PAYLOAD_LEN + 1];
        assert!(matches!(
            encode(&too_big, &mut Vec::new()),
            Err(Error::RecordTooLong(n)) if n == MAX_PAYLOAD_LEN + 1
        ));
    }

    #[test]
    fn a_close_inside_a_record_is_truncation_between_records_is_clean() {
        let wire = wire_of(&[b"hello"]);
        for cut in 1..wire.len() {
            let mut reader = &wire[..cut];
            let result = read_payload(&mut reader, &mut MessageBuffer::new());
            assert!(matches!(result, Err(Error::Truncated)), "cut at {cut}");
        }
        let mut empty: &[u8] = &[];
        assert!(!read_payload(&mut empty, &mut MessageBuffer::new()).unwrap());
    }

    #[test]
    fn after_a_16_mib_record_the_reader_keeps_little() {
        // The buffer fits a 16 MiB payload exactly while it is in use (not
        // the doubling a growing Vec would give), then shrinks back.
        let big = vec![0x5a; MAX_PAYLOAD_LEN];
        let wire = wire_of(&[&big, b"small"]);
        let mut r = RecordReader::new(wire.as_slice());
        assert_eq!(
            r.read_message().unwrap().map(<[u8]>::len),
            Some(MAX_PAYLOAD_LEN)
        );
        assert_eq!(r.payload.capacity(), MAX_PAYLOAD_LEN);
        assert_eq!(r.read_message().unwrap(), Some(&b"small"[..]));
        assert!(r.payload.capacity() <= crate::runtime::budget::KEEP_BYTES);
    }

    #[test]
    fn a_big_announced_length_with_no_body_allocates_little() {
        // 16 MiB announced, 3 bytes sent, then a close.
        let mut wire = (MAX_PAYLOAD_LEN as u32).to_be_bytes().to_vec();
        wire.extend_from_slice(b"abc");
        let mut buf = MessageBuffer::new();
        let result = read_payload(&mut wire.as_slice(), &mut buf);
        assert!(matches!(result, Err(Error::Truncated)));
        assert!(buf.capacity() < 1024 * 1024, "allocated {}", buf.capacity());
    }
}
