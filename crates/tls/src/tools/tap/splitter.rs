//! The [`Splitter`]: one direction of one connection, cut into units as
//! its bytes arrive (see the folder's `mod.rs` for the formats).

use crate::lesson07_key_exchange::PUBLIC_KEY_LEN;
use crate::lesson10_authentication::identity::SIGNATURE_LEN;
use crate::lesson11_real_tls13::record::{ContentType, HEADER_LEN, Header};
use crate::runtime::budget::{Charge, KEEP_BYTES};
use crate::tools::tap::{Direction, Layout, Lesson, Unit};

/// Where a splitter is in its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Lesson 9, before the public key has fully arrived.
    Handshake,
    /// Lesson 10, server to client: the key is in, the signature is next.
    Signature,
    /// Cutting records.
    Records,
    /// Cutting lesson 11's TLS records.
    TlsRecords,
    /// No framing (lesson 1), or framing was lost: pass chunks through.
    Raw,
}

/// Reassembles one direction of one connection into [`Unit`]s.
#[derive(Debug)]
pub struct Splitter {
    layout: Option<Layout>,
    // Lesson 10's server direction: a signature follows the public key.
    signed: bool,
    state: State,
    // Bytes received but not yet part of a complete unit, and their claim
    // on the memory budget.
    pending: Vec<u8>,
    charge: Charge,
}

impl Splitter {
    /// A splitter at the very start of the client's stream of `lesson`
    /// (in lessons 1-9 both directions look alike; see
    /// [`Splitter::for_direction`] for lesson 10).
    pub fn new(lesson: Lesson) -> Splitter {
        Splitter::for_direction(lesson, Direction::ClientToServer)
    }

    /// A splitter at the very start of one direction of `lesson`.
    pub fn for_direction(lesson: Lesson, direction: Direction) -> Splitter {
        let state = match (lesson.layout(), lesson.has_handshake()) {
            _ if lesson.has_tls_records() => State::TlsRecords,
            (None, _) => State::Raw,
            (Some(_), true) => State::Handshake,
            (Some(_), false) => State::Records,
        };
        Splitter {
            layout: lesson.layout(),
            signed: lesson.has_signature(direction),
            state,
            pending: Vec::new(),
            charge: Charge::default(),
        }
    }

    /// Feeds the next chunk read from the wire; returns every unit it
    /// completed, in order. A unit still missing bytes stays buffered.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Unit> {
        if self.state == State::Raw {
            return if chunk.is_empty() {
                Vec::new()
            } else {
                vec![Unit::Chunk(chunk.to_vec())]
            };
        }
        let mut units = Vec::new();
        // A record still arriving is held here until it is whole: claim the
        // memory first, and if the budget says no, stop cutting records
        // (the bytes are still relayed, shown raw, never dropped).
        let wanted = self.pending.len().saturating_add(chunk.len());
        if wanted > self.pending.capacity() && self.charge.set(wanted).is_err() {
            self.state = State::Raw;
            let mut bytes = std::mem::take(&mut self.pending);
            bytes.extend_from_slice(chunk);
            let _ = self.charge.set(0);
            units.push(Unit::Malformed {
                bytes,
                reason: "holding this record would pass the memory budget (--memory-budget); \
                         showing the rest of this direction raw"
                    .to_string(),
            });
            return units;
        }
        let mut pending = std::mem::take(&mut self.pending);
        if pending.try_reserve_exact(chunk.len()).is_err() {
            self.state = State::Raw;
            pending.clear();
            units.push(Unit::Chunk(chunk.to_vec()));
            return units;
        }
        pending.extend_from_slice(chunk);
        // Cut from the front; `used` bytes are consumed, drained once below.
        let mut used = 0;
        while let Some((unit, len)) = self.next_unit(pending.get(used..).unwrap_or_default()) {
            units.push(unit);
            used += len;
        }
        pending.drain(..used.min(pending.len()));
        // After a large record, give the memory back.
        if pending.capacity() > KEEP_BYTES && pending.len() <= KEEP_BYTES {
            pending.shrink_to(KEEP_BYTES);
        }
        let _ = self.charge.set(pending.capacity());
        self.pending = pending;
        units
    }

    /// The next complete unit at the front of `rest`, and how many bytes it
    /// took; `None` if more bytes are needed.
    fn next_unit(&mut self, rest: &[u8]) -> Option<(Unit, usize)> {
        match self.state {
            State::Handshake => {
                // -> / <- public key, 32 raw bytes, no length prefix.
                let key = rest.get(..PUBLIC_KEY_LEN)?;
                self.state = if self.signed {
                    State::Signature
                } else {
                    State::Records
                };
                Some((Unit::PublicKey(key.to_vec()), PUBLIC_KEY_LEN))
            }
            State::Signature => {
                // <- signature, 64 raw bytes, no length prefix (lesson 10).
                let signature = rest.get(..SIGNATURE_LEN)?;
                self.state = State::Records;
                Some((Unit::Signature(signature.to_vec()), SIGNATURE_LEN))
            }
            State::Records => {
                let layout = self.layout?;
                let len = layout.read_len(rest)?;
                // Check the length before waiting for (or buffering) the body.
                if len < layout.min_len() || len > layout.max_len {
                    self.state = State::Raw;
                    let reason = format!(
                        "length {len} is impossible here (must be {}..={}); \
                         showing the rest of this direction raw",
                        layout.min_len(),
                        layout.max_len
                    );
                    return Some((
                        Unit::Malformed {
                            bytes: rest.to_vec(),
                            reason,
                        },
                        rest.len(),
                    ));
                }
                let whole = layout.prefix + len;
                let record = rest.get(..whole)?;
                Some((Unit::Record(record.to_vec()), whole))
            }
            State::TlsRecords => self.next_tls_record(rest),
            State::Raw => (!rest.is_empty()).then(|| (Unit::Chunk(rest.to_vec()), rest.len())),
        }
    }

    /// Lesson 11: the next TLS record at the front of `rest`. The header is
    /// checked (a content type TLS has, a length within the limit for that
    /// type) before the body is waited for.
    fn next_tls_record(&mut self, rest: &[u8]) -> Option<(Unit, usize)> {
        let header = Header::parse(*rest.first_chunk::<HEADER_LEN>()?);
        let length = usize::from(header.length);
        let problem = if ContentType::from_u8(header.content_type).is_none() {
            Some(format!(
                "content type {} is not a TLS record type (20..=23)",
                header.content_type
            ))
        } else if length > header.max_length() {
            Some(format!(
                "length {length} is over the TLS limit for this type ({}); \
                 a receiver answers record_overflow",
                header.max_length()
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            self.state = State::Raw;
            let reason = format!("{problem}; showing the rest of this direction raw");
            return Some((
                Unit::Malformed {
                    bytes: rest.to_vec(),
                    reason,
                },
                rest.len(),
            ));
        }
        let whole = HEADER_LEN + length;
        let record = rest.get(..whole)?;
        Some((Unit::Record(record.to_vec()), whole))
    }

    /// Call at end of stream: bytes of an unfinished unit, if any.
    pub fn finish(&mut self) -> Option<Unit> {
        if self.pending.is_empty() {
            return None;
        }
        Some(Unit::Malformed {
            bytes: std::mem::take(&mut self.pending),
            reason: "the connection closed in the middle of this unit".to_string(),
        })
    }
}

#[cfg(test)]
mod tests;
