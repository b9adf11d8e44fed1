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
pub trait RecordAttack: Sync {
    /// The client sent `record` (which may be edited in place).
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
#[derive(Debug, Default)]
pub struct ClientRecords {
    encrypted: u64,
}

impl ClientRecords {
    /// `Some(n)` if `record` is the client's n-th application data record
    /// (counting from 1), `None` if it belongs to the handshake.
    pub fn application_record(&mut self, record: &[u8]) -> Option<u64> {
        if record.first() != Some(&(ContentType::ApplicationData as u8)) {
            return None;
        }
        self.encrypted += 1;
        // Record 1 is the Finished.
        self.encrypted.checked_sub(1).filter(|&n| n > 0)
    }
}

/// One line (or a few) of Mallory's log.
pub fn report(log: &Sink, text: String) {
    log.print(&format!("{text}\n"));
}

/// Relays one connection record by record, letting `attack` decide the
/// fate of each.
pub fn relay(pair: &Pair, lesson: Lesson, log: &Sink, attack: &impl RecordAttack) -> Result<()> {
    let id = pair.id;
    // Both threads may write to the client (the server's answers, and a
    // client record sent `Back`), so writes to it take turns.
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
                other => {
                    server.write_all(other.bytes())?;
                    return Ok(());
                }
            };
            let name = if lesson.has_tls_records() {
                // Lesson 11: the handshake passes; application data is the target.
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
                Action::Twice => {
                    server.write_all(&bytes)?;
                    server.write_all(&bytes)?;
                }
                // <- the client's own record, as if the server sent it.
                Action::Back => send_to_client(&bytes)?,
            }
            Ok(())
        })?;
        let _ = pair.server.shutdown(Shutdown::Write);
        Ok(())
    };

    let server_to_client = || -> Result<()> {
        let mut number = 0;
        each_unit(&pair.server, lesson, Direction::ServerToClient, |unit| {
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
    let mut splitter = Splitter::for_direction(lesson, direction);
    proxy::each_chunk(from, |chunk| {
        for unit in splitter.push(chunk) {
            each(unit)?;
        }
        Ok(())
    })?;
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
