//! The small seam between a lesson's channel and the echo programs.
//!
//! Every lesson moves *messages* over a TCP connection; they differ only in
//! what a message looks like on the wire (raw bytes, a length-prefixed record,
//! an encrypted record). Each lesson implements these two traits for its
//! reading and writing halves, and `server.rs` and `client.rs` run the same
//! echo loops over all of them.
//!
//! The halves are separate values so one thread can read while another
//! writes (the `--chat` mode does exactly that).

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

    /// Says goodbye at the end of a clean session: TLS (lesson 11) sends
    /// close_notify, so the peer can tell a real end from a cut connection.
    /// Lessons without such a message do nothing.
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Which end of the connection we are. The client sends first in every
/// handshake, and each direction has its own key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The side that connected.
    Client,
    /// The side that accepted.
    Server,
}
