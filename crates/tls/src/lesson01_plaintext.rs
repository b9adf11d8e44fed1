//! Lesson 1: plaintext over TCP. The bytes you send are the bytes on the wire.
//!
//! ```text
//! client                          server
//!   | -- "amount=100" (raw) -------> |     anyone on the path reads it,
//!   | <------- "amount=100" (raw) -- |     and can change it
//! ```
//!
//! There is no format at all: a "message" is whatever one `read` call
//! happens to return. That is the point of lesson 2: TCP delivers a stream of
//! bytes, not the messages you wrote. Two sends may come out of one read
//! (glued), and one send may need several reads (split). [`DelayedReads`]
//! lets a learner make the gluing happen on purpose: a reader that is slower
//! than its writer finds several sends waiting in the socket at once.

use std::io::{ErrorKind, Read, Write};
use std::thread;
use std::time::Duration;

use crate::error::Result;
use crate::runtime::budget::MessageBuffer;
use crate::runtime::message::{MessageReader, MessageWriter};
use crate::runtime::socket::Socket;

/// How many bytes one `read` asks for unless told otherwise. Small on
/// purpose, like a classic `recv(4096)`: a longer send cannot come out of a
/// single read, so the split is easy to see.
pub const DEFAULT_READ_SIZE: usize = 4096;

/// Wraps the connection for lesson 1: raw bytes, no framing.
///
/// `read_size` is the most one read returns (see [`DEFAULT_READ_SIZE`]) and
/// `read_delay` a pause before every read (zero for none; lesson 2 uses it
/// to show sends gluing together).
pub fn open(
    socket: Socket,
    read_size: usize,
    read_delay: Duration,
) -> (PlainReader<DelayedReads<Socket>>, PlainWriter<Socket>) {
    let read_half = DelayedReads::new(socket.clone(), read_delay);
    (
        PlainReader::new(read_half, read_size),
        PlainWriter::new(socket),
    )
}

/// The receiving half: each "message" is simply the bytes one read returned.
pub struct PlainReader<R> {
    reader: R,
    read_size: usize,
    // Allocated (and charged to the server's memory budget) on first use.
    buf: MessageBuffer,
}

impl<R: Read> PlainReader<R> {
    /// Reads at most `read_size` bytes at a time (at least one).
    pub fn new(reader: R, read_size: usize) -> PlainReader<R> {
        PlainReader {
            reader,
            read_size: read_size.max(1),
            buf: MessageBuffer::new(),
        }
    }
}

impl<R: Read + Send> MessageReader for PlainReader<R> {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        if self.buf.as_slice().len() != self.read_size {
            self.buf.zeroed(self.read_size)?;
        }
        let buf = self.buf.as_mut_slice();
        loop {
            match self.reader.read(buf) {
                // The peer closed its side. With no framing, every close is
                // "clean": we cannot tell a finished message from a cut one.
                Ok(0) => return Ok(None),
                // Whatever arrived: part of a send, one send, or several.
                Ok(n) => return Ok(buf.get(..n)),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// A raw byte stream has no boundaries: an empty message is nothing at
    /// all on the wire, so nobody may wait for its echo.
    fn keeps_boundaries(&self) -> bool {
        false
    }
}

/// The sending half: writes the message's bytes and nothing else.
pub struct PlainWriter<W> {
    writer: W,
}

impl<W: Write> PlainWriter<W> {
    /// Sends on `writer`.
    pub fn new(writer: W) -> PlainWriter<W> {
        PlainWriter { writer }
    }
}

impl<W: Write + Send> MessageWriter for PlainWriter<W> {
    fn write_message(&mut self, message: &[u8]) -> Result<()> {
        // No length, no delimiter: the receiver gets a stream of bytes and
        // has no way to know where this message ends and the next begins.
        self.writer.write_all(message)?;
        self.writer.flush()?;
        Ok(())
    }
}

/// A reader that waits `delay` before every read: a stand-in for a busy
/// program that does not get round to reading its socket straight away.
///
/// Meanwhile the operating system keeps accepting bytes into the socket's
/// receive buffer, so the next read returns everything that piled up,
/// however many sends it came from. With a zero delay it is a plain reader.
pub struct DelayedReads<R> {
    inner: R,
    delay: Duration,
}

impl<R> DelayedReads<R> {
    /// Pauses for `delay` before each read of `inner`.
    pub fn new(inner: R, delay: Duration) -> DelayedReads<R> {
        DelayedReads { inner, delay }
    }
}

impl<R: Read> Read for DelayedReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.delay.is_zero() {
            thread::sleep(self.delay);
        }
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn the_wire_carries_exactly_the_message_bytes() {
        let mut wire = Vec::new();
        PlainWriter::new(&mut wire)
            .write_message(b"amount=100")
            .unwrap();
        assert_eq!(wire, b"amount=100");
    }

    #[test]
    fn an_empty_message_puts_nothing_on_the_wire() {
        let mut wire = Vec::new();
        PlainWriter::new(&mut wire).write_message(b"").unwrap();
        assert!(wire.is_empty());
        assert!(!PlainReader::new(wire.as_slice(), 8).keeps_boundaries());
    }

    #[test]
    fn a_read_returns_at_most_read_size_bytes() {
        let data = [7u8; 10];
        let mut reader = PlainReader::new(&data[..], 4);
        let mut sizes = Vec::new();
        while let Some(chunk) = reader.read_message().unwrap() {
            sizes.push(chunk.len());
        }
        assert_eq!(sizes, [4, 4, 2]);
    }

    /// The lesson 2 claim, over a real loopback socket: three sends, one
    /// slow read, one glued chunk. Without the delay the reader might well
    /// keep up and see them one by one; with it, they pile up.
    #[test]
    fn sends_glue_together_when_the_reader_is_slower() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let sender = std::thread::spawn(move || {
            let stream = TcpStream::connect(addr).unwrap();
            stream.set_nodelay(true).unwrap();
            let mut w = PlainWriter::new(stream);
            for word in [&b"one"[..], b"two", b"three"] {
                w.write_message(word).unwrap();
            }
            // Dropping `w` closes the connection.
        });
        let (stream, _) = listener.accept().unwrap();
        sender.join().unwrap(); // every send has completed
        let (mut reader, _writer) = open(Socket::new(stream), 4096, Duration::from_millis(50));
        assert_eq!(reader.read_message().unwrap(), Some(&b"onetwothree"[..]));
        assert_eq!(reader.read_message().unwrap(), None);
    }
}
