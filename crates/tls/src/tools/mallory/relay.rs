//! The record relay: Mallory's hands, which know no attack by name.
//!
//! ```text
//! client --records--> [ attack.client_record ] --Forward / Twice--> server
//!                                              --Back-------------> client
//! client <--records-- [ attack.swallow_server_record? ] <---------- server
//! ```
//!
//! Mallory reads each direction through a [`Splitter`], the same record
//! cutter Eve uses, so she always acts on whole records however TCP chopped
//! them up. For each record the attack in play (`flip.rs`, `replay.rs`,
//! `reflect.rs`, ...) says what to do with it, an [`Action`]; this file only
//! carries that out. A new attack is a new file with a [`RecordAttack`] in
//! it, and nothing here changes.
//!
//! She can cut records without a key because every lesson from 2 on puts
//! the length in the clear, in front of the record: it has to be, or the
//! receiver could not find where the record ends before decrypting it.
//!
//! ```text
//! lessons 2, 3, 5   len (u32) | [seq (8)] | [nonce (16)] | ciphertext | [mac (32)]
//! lessons 9, 10     len (u16) | nonce (12) | ciphertext | tag (16)
//! lesson 11         type (1) | legacy_version (2) | length (2) | fragment
//! ```
//!
//! On lesson 11 the handshake must go through for there to be any
//! application data to attack, so the relay lets the client's handshake
//! records pass (its ClientHello, and its Finished: the first record it
//! encrypts) and numbers the records after them from 1 ([`ClientRecords`]).

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::Mutex;

use crate::error::Result;
use crate::lesson11_real_tls13::record::ContentType;
use crate::runtime::sync::lock;
use crate::tools::proxy::{self, Pair};
use crate::tools::sink::Sink;
use crate::tools::tap::{Direction, Lesson, Splitter, Unit};

/// What to do with one record.
// Three verbs are all a network attacker without keys has: she can change
// bytes, repeat them, or send them elsewhere (and, with `swallow`, drop
// them). Everything a MAC, a sequence number or a key per direction
// defends against is some mix of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Pass it on to where it was going (edited or not).
    Forward,
    /// Pass it on, then send the very same bytes again.
    Twice,
    /// Send it back to the side that sent it, and not on.
    Back,
}

/// Which record this is, for the attack and for its report.
#[derive(Debug)]
pub struct Here {
    /// The lesson's wire format (where a record's fields are).
    pub lesson: Lesson,
    /// The record's number in its direction, from 1 (on lesson 11, the
    /// client's application data records, from 1).
    pub number: u64,
    /// How the report names it: `#1 client -> server  record #2`.
    pub name: String,
}

/// An attack that works record by record: what to do with each.
// `Sync`: the relay's two directions run on two threads and share the one
// attack value (replay's direction-crossing state is an atomic for that).
pub trait RecordAttack: Sync {
    /// The client sent `record` (which may be edited in place).
    // In place, because an edit that keeps the length is all a flip needs,
    // and a record's length is in its own header: changing it would be a
    // different attack, on the framing rather than on the contents.
    fn client_record(&self, record: &mut [u8], here: &Here, log: &Sink) -> Action;

    /// Whether to swallow the server's record number `here.number` instead
    /// of passing it on. Most attacks leave the server's records alone.
    fn swallow_server_record(&self, _here: &Here, _log: &Sink) -> bool {
        false
    }
}

/// Counts the client's records to find its application data: the first
/// record it encrypts is its Finished, every later one is data (or its
/// close_notify). Plaintext records (ClientHello, change_cipher_spec) are
/// handshake.
// Mallory has no keys, so she cannot read the real content type: RFC 8446
// 5.2 hides it inside the encryption and writes application_data (23) in
// every encrypted record's header. What she can see is that header byte,
// and the order of the client's flight: its only encrypted handshake
// message is Finished (no client certificate in this lesson), so counting
// is enough.
#[derive(Debug, Default)]
pub struct ClientRecords {
    encrypted: u64,
}

impl ClientRecords {
    /// `Some(n)` if `record` is the client's n-th application data record
    /// (counting from 1), `None` if it belongs to the handshake.
    pub fn application_record(&mut self, record: &[u8]) -> Option<u64> {
        // 5.1: the outer content type is the header's first byte, in the
        // clear. `first` rather than `[0]`: a record cut short by the peer
        // may be empty, and the peer's bytes must never panic us.
        if record.first() != Some(&(ContentType::ApplicationData as u8)) {
            return None;
        }
        self.encrypted += 1;
        // Record 1 is the Finished.
        self.encrypted.checked_sub(1).filter(|&n| n > 0)
    }
}

/// One line (or a few) of Mallory's log.
// One `print` per report, newline included: the two directions' threads
// both report, and a report must not be split by the other's.
pub fn report(log: &Sink, text: String) {
    log.print(&format!("{text}\n"));
}

/// Relays one connection record by record, letting `attack` decide the
/// fate of each.
pub fn relay(pair: &Pair, lesson: Lesson, log: &Sink, attack: &impl RecordAttack) -> Result<()> {
    let id = pair.id;
    // Both threads may write to the client (the server's answers, and a
    // client record sent `Back`), so writes to it take turns.
    // A record is written with one `write_all` under the lock, so two
    // records never interleave their bytes on the client's stream.
    let to_client = Mutex::new(&pair.client);
    let send_to_client = |bytes: &[u8]| -> Result<()> {
        lock(&to_client).write_all(bytes)?;
        Ok(())
    };

    let client_to_server = || -> Result<()> {
        let mut server = &pair.server;
        let mut number = 0;
        let mut tls13 = ClientRecords::default();
        each_unit(&pair.client, lesson, Direction::ClientToServer, |unit| {
            let mut bytes = match unit {
                Unit::Record(bytes) | Unit::Chunk(bytes) => bytes,
                // Public keys, signatures and unparseable bytes pass untouched.
                // The record attacks aim at the channel, not the handshake:
                // lesson 9's handshake is `mitm`'s business, and a broken
                // key would only end the connection, which teaches nothing.
                other => {
                    server.write_all(other.bytes())?;
                    return Ok(());
                }
            };
            let name = if lesson.has_tls_records() {
                // Lesson 11: the handshake passes; application data is the target.
                // Breaking the handshake is easy (any flipped byte fails the
                // transcript's Finished check), and would hide what the
                // lesson is about: the record layer's own defences.
                let Some(n) = tls13.application_record(&bytes) else {
                    server.write_all(&bytes)?;
                    return Ok(());
                };
                number = n;
                format!("#{id} client -> server  application data record #{number}")
            } else {
                number += 1;
                format!("#{id} client -> server  record #{number}")
            };
            let here = Here {
                lesson,
                number,
                name,
            };
            match attack.client_record(&mut bytes, &here, log) {
                Action::Forward => server.write_all(&bytes)?,
                // -> the same record again: same nonce, same tag.
                // Two writes, not one: the server's reader cuts records by
                // their length, so back to back they arrive as two records.
                Action::Twice => {
                    server.write_all(&bytes)?;
                    server.write_all(&bytes)?;
                }
                // <- the client's own record, as if the server sent it.
                // The framing is the same both ways on every lesson, so the
                // client's reader accepts the bytes as a record; only the
                // key (one per direction from lesson 8 on) can tell.
                Action::Back => send_to_client(&bytes)?,
            }
            Ok(())
        })?;
        // The client has finished sending: pass that on as a half-close so
        // the server finishes its answers and ends the connection itself.
        let _ = pair.server.shutdown(Shutdown::Write);
        Ok(())
    };

    let server_to_client = || -> Result<()> {
        let mut number = 0;
        each_unit(&pair.server, lesson, Direction::ServerToClient, |unit| {
            // Only records are counted: the server's public key (lesson 9)
            // and signature (lesson 10) are not answers to anything.
            if let Unit::Record(_) | Unit::Chunk(_) = unit {
                number += 1;
                let here = Here {
                    lesson,
                    number,
                    name: format!("#{id} server -> client  record #{number}"),
                };
                if attack.swallow_server_record(&here, log) {
                    return Ok(());
                }
            }
            send_to_client(unit.bytes())
        })?;
        let _ = pair.client.shutdown(Shutdown::Write);
        Ok(())
    };

    proxy::both_ways(pair, client_to_server, server_to_client)
}

/// Reads `from` until it closes, handing each complete unit to `each`.
/// An unfinished unit at the end is handed over too, so nothing is lost.
fn each_unit(
    from: &TcpStream,
    lesson: Lesson,
    direction: Direction,
    mut each: impl FnMut(Unit) -> Result<()>,
) -> Result<()> {
    // One splitter per direction: the two directions' framing differs on
    // lesson 10 (the server's key is followed by a signature), and each
    // keeps its own half-record between reads.
    let mut splitter = Splitter::for_direction(lesson, direction);
    proxy::each_chunk(from, |chunk| {
        // A chunk is whatever one read returned: part of a record, or
        // several. The splitter keeps the rest until the length is met.
        for unit in splitter.push(chunk) {
            each(unit)?;
        }
        Ok(())
    })?;
    // A proxy that dropped a half-record would change what the receiver
    // sees: it must get the same truncated bytes it would get directly.
    if let Some(rest) = splitter.finish() {
        each(rest)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handshake_passes_and_data_records_are_numbered_from_1() {
        let mut records = ClientRecords::default();
        let hello = [22, 3, 1, 0, 1, 1];
        let ccs = [20, 3, 3, 0, 1, 1];
        let encrypted = [23, 3, 3, 0, 1, 1];
        assert_eq!(records.application_record(&hello), None);
        assert_eq!(records.application_record(&ccs), None);
        // The Finished.
        assert_eq!(records.application_record(&encrypted), None);
        assert_eq!(records.application_record(&encrypted), Some(1));
        assert_eq!(records.application_record(&encrypted), Some(2));
        assert_eq!(records.application_record(&[]), None);
    }
}
