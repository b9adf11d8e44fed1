//! The small seam between a lesson's channel and the echo programs.
//!
//! Every lesson moves *messages* over a TCP connection; they differ only in
//! what a message looks like on the wire (raw bytes, a length-prefixed record,
//! an encrypted record). Each lesson implements these two traits for its
//! reading and writing halves, and `server.rs` and `client.rs` run the same
//! echo loops over all of them.
//!
//! The halves are separate values so one thread can read while another
//! writes: the client sends a long line while it reads the echo, and
//! `--chat` pushes lines while the client's own thread reads.

use crate::error::Result;

/// The receiving half of a lesson's channel.
pub trait MessageReader: Send {
    /// The next message, or `Ok(None)` when the peer closed the connection
    /// cleanly between messages. The slice borrows an internal buffer that
    /// is reused for the next message.
    fn read_message(&mut self) -> Result<Option<&[u8]>>;

    /// Whether the wire keeps message boundaries. Framed channels deliver an
    /// empty message as an empty record; a raw byte stream (lesson 1) cannot
    /// send "nothing" at all, so the client must not wait for its echo.
    fn keeps_boundaries(&self) -> bool {
        true
    }
}

/// The sending half of a lesson's channel.
pub trait MessageWriter: Send {
    /// Sends `message`, splitting it over several records if the wire format
    /// needs that. Whatever the reader receives, concatenated, equals
    /// `message`.
    fn write_message(&mut self, message: &[u8]) -> Result<()>;

    /// Says goodbye at the end of a clean conversation. Most lessons have
    /// nothing to say: closing the socket is the goodbye.
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Cuts `message` into pieces of at most `max_piece` bytes and hands each to
/// `write_record`, in order.
///
/// This is the one place that decides how a message maps onto records:
///
/// - a message that fits goes out as one record;
/// - a longer one as several full records and the rest, so nothing is lost
///   and nothing is wrapped;
/// - an empty message still goes out as one empty record: on a framed wire
///   the boundary itself is something the receiver sees (and echoes).
pub fn write_in_records(
    message: &[u8],
    max_piece: usize,
    mut write_record: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    if message.is_empty() {
        return write_record(&[]);
    }
    // `max(1)`: a zero limit would be our own bug, not a reason to loop.
    for piece in message.chunks(max_piece.max(1)) {
        write_record(piece)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(message: &[u8], max: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        write_in_records(message, max, |piece| {
            out.push(piece.to_vec());
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn an_empty_message_is_one_empty_record() {
        assert_eq!(pieces(b"", 4), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn a_long_message_becomes_full_records_and_the_rest() {
        assert_eq!(pieces(b"abcdefghij", 4), [&b"abcd"[..], b"efgh", b"ij"]);
        assert_eq!(pieces(b"abcd", 4), [&b"abcd"[..]]);
    }

    #[test]
    fn the_first_failure_stops_the_rest() {
        let mut calls = 0;
        let result = write_in_records(b"abcdefgh", 2, |_| {
            calls += 1;
            if calls == 2 {
                Err(crate::Error::TimedOut)
            } else {
                Ok(())
            }
        });
        assert!(matches!(result, Err(crate::Error::TimedOut)));
        assert_eq!(calls, 2);
    }
}
