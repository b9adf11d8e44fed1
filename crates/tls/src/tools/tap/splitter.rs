//! The [`Splitter`]: one direction of one connection, cut into units as
//! its bytes arrive (see the folder's `mod.rs` for the formats).
//!
//! Its input is whatever one `read` on the relayed socket returned: TCP
//! keeps the order of the bytes but not the edges of the writes, so a
//! chunk may hold half a record, or the end of one and three more. The
//! splitter does what each lesson's reader does, from the outside: read
//! the length, check it, wait for that many bytes. Every state below is
//! one step of the lesson's own reading:
//!
//! ```text
//! lesson 1        Raw
//! lessons 2, 3, 5 Records -> Records -> ...
//! lesson 9        Handshake --32 B key--> Records -> ...
//! lesson 10       Handshake --32 B key--> Signature --64 B--> Records -> ...
//!                 (the server's direction; the client's is lesson 9's)
//! lesson 11       TlsRecords -> TlsRecords -> ...
//!
//! any state --impossible length, not TLS, over budget--> Raw, for good
//! ```
//!
//! Eve holds no key for this: every boundary is in the clear. That is a
//! lesson of its own: encryption hides what a record says, not where it
//! starts, how long it is, or when it was sent (RFC 8446 E.3 says the
//! same of TLS).

use crate::lesson07_key_exchange::PUBLIC_KEY_LEN;
use crate::lesson10_authentication::identity::SIGNATURE_LEN;
use crate::lesson11_real_tls13::record::{ContentType, HEADER_LEN, Header};
use crate::runtime::budget::{Charge, KEEP_BYTES};
use crate::tools::tap::{Direction, Layout, Lesson, Unit};

/// Where a splitter is in its stream: what the next byte to arrive will
/// be the start of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Lesson 9, before the public key has fully arrived. The key has no
    /// length prefix: lesson 7 fixed its size at 32 bytes, so both sides
    /// (and Eve) know where it ends.
    Handshake,
    /// Lesson 10, server to client: the key is in, the signature is next.
    Signature,
    /// Cutting records: a big-endian length, then that many bytes.
    Records,
    /// Cutting lesson 11's TLS records: a 5-byte header whose last two
    /// bytes are the length (RFC 8446 5.1).
    TlsRecords,
    /// No framing (lesson 1), or framing was lost: pass chunks through.
    Raw,
}

/// Reassembles one direction of one connection into [`Unit`]s.
#[derive(Debug)]
pub struct Splitter {
    // Where the length, sequence number, nonce and tag sit in a record;
    // `None` for the lessons that are not cut by a `Layout` (1 and 11).
    layout: Option<Layout>,
    // Lesson 10's server direction: a signature follows the public key.
    signed: bool,
    // What the next byte starts; only ever moves forward, and once Raw it
    // stays Raw.
    state: State,
    // Bytes received but not yet part of a complete unit, and their claim
    // on the memory budget.
    pending: Vec<u8>,
    charge: Charge,
}

impl Splitter {
    /// A splitter at the very start of the client's stream of `lesson`. In
    /// lessons 1 to 9 and 11 both directions are cut alike; see
    /// [`Splitter::for_direction`] for lesson 10.
    pub fn new(lesson: Lesson) -> Splitter {
        Splitter::for_direction(lesson, Direction::ClientToServer)
    }

    /// A splitter at the very start of one direction of `lesson`.
    pub fn for_direction(lesson: Lesson, direction: Direction) -> Splitter {
        // The first byte of a direction is the start of the lesson's first
        // unit: a TLS header, a public key (lessons 9 and 10 send one each
        // way before any record), a length prefix, or text with no frame.
        // Lesson 11 is tested first: it has no `Layout`, yet is framed.
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
        // Without framing (lesson 1, or after a length that could not be
        // believed) a read is the only edge there is: pass it through and
        // hold nothing.
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
        // (the bytes are still relayed, shown raw, never dropped). The
        // budget is the one every buffer of the process shares
        // (`runtime/budget.rs`), so a peer announcing huge records in many
        // connections at once is refused, not obeyed. Only growth is asked
        // for: capacity already held is already charged.
        let wanted = self.pending.len().saturating_add(chunk.len());
        if wanted > self.pending.capacity() && self.charge.set(wanted).is_err() {
            self.state = State::Raw;
            let mut bytes = std::mem::take(&mut self.pending);
            bytes.extend_from_slice(chunk);
            // Nothing is held any more: the whole claim goes back (lowering
            // a claim cannot fail).
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
        // Within budget, but the allocator may still say no: then stop
        // cutting, and pass this chunk on raw. The part-record held so far
        // is let go unshown; the peer's bytes were relayed all the same.
        if pending.try_reserve_exact(chunk.len()).is_err() {
            self.state = State::Raw;
            pending.clear();
            // Nothing is held any more: give the claim back, as above, or
            // it would stay charged until the connection ends.
            let _ = self.charge.set(0);
            units.push(Unit::Chunk(chunk.to_vec()));
            return units;
        }
        // The memory is granted and reserved: from here the append cannot
        // fail, and the budget already counts it.
        pending.extend_from_slice(chunk);
        // Cut from the front; `used` bytes are consumed, drained once below
        // (draining after each unit would move the rest of the buffer once
        // per record: slow for a chunk of many small ones). One chunk can
        // finish many units (TCP may deliver a whole flight in one read), so
        // cut until `next_unit` asks for more bytes.
        let mut used = 0;
        while let Some((unit, len)) = self.next_unit(pending.get(used..).unwrap_or_default()) {
            units.push(unit);
            used += len;
        }
        // Keep only the start of the unit still arriving.
        pending.drain(..used.min(pending.len()));
        // After a large record, give the memory back: a connection that once
        // carried a 16 MiB lesson 2 record should not keep 16 MiB while idle.
        if pending.capacity() > KEEP_BYTES && pending.len() <= KEEP_BYTES {
            pending.shrink_to(KEEP_BYTES);
        }
        // Charge what the buffer really holds, which after a shrink is less
        // than was claimed. The result is ignored: giving bytes back cannot
        // fail, and if the budget refused an allocator's rounding-up, the
        // claim granted above stays in place.
        let _ = self.charge.set(pending.capacity());
        self.pending = pending;
        units
    }

    /// The next complete unit at the front of `rest`, and how many bytes it
    /// took; `None` if more bytes are needed.
    fn next_unit(&mut self, rest: &[u8]) -> Option<(Unit, usize)> {
        // Every arm reads with `get`, never by index: a peer decides how
        // many bytes have arrived, and too few only means "wait".
        match self.state {
            State::Handshake => {
                // -> / <- public key, 32 raw bytes, no length prefix.
                // Lesson 9 sends it in the clear on purpose: an X25519
                // public key gives Eve nothing she can use (lesson 7).
                let key = rest.get(..PUBLIC_KEY_LEN)?;
                // Lesson 10's server signs the two keys right after its own,
                // so its direction has one more fixed-size unit to cut.
                self.state = if self.signed {
                    State::Signature
                } else {
                    State::Records
                };
                Some((Unit::PublicKey(key.to_vec()), PUBLIC_KEY_LEN))
            }
            State::Signature => {
                // <- signature, 64 raw bytes, no length prefix (lesson 10).
                // Ed25519 signatures are always 64 bytes, so again the size
                // is the frame. It too is public: it proves who signed, and
                // reveals nothing of the session keys.
                let signature = rest.get(..SIGNATURE_LEN)?;
                self.state = State::Records;
                Some((Unit::Signature(signature.to_vec()), SIGNATURE_LEN))
            }
            State::Records => {
                // Records is only entered with a layout; `?` keeps that a
                // fact of the code rather than a possible panic.
                let layout = self.layout?;
                // Lesson 2's prefix: 4 bytes (2 in lesson 9), big-endian. Not
                // all of it yet: wait for the rest of the prefix.
                let len = layout.read_len(rest)?;
                // Check the length before waiting for (or buffering) the body.
                // Too short to hold the sequence number, nonce and tag: the
                // lesson's reader would refuse it. Over the lesson's limit: a
                // peer asking us to wait for (and hold) more than any real
                // record. Either way the format is lost from here, since the
                // next record would start at a place we cannot trust.
                if len < layout.min_len() || len > layout.max_len {
                    // The rest of the buffer becomes one malformed unit,
                    // consumed whole; later chunks pass through raw.
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
                // At most 4 + 16 MiB (the check above): no overflow. The
                // record is handed on with its prefix, as it was on the wire.
                let whole = layout.prefix + len;
                // Not all here yet: keep the bytes and wait for the next read.
                let record = rest.get(..whole)?;
                // Copied out, so that the buffer can be drained and reused.
                Some((Unit::Record(record.to_vec()), whole))
            }
            State::TlsRecords => self.next_tls_record(rest),
            // Framing was lost inside this chunk: what is left goes out raw.
            State::Raw => (!rest.is_empty()).then(|| (Unit::Chunk(rest.to_vec()), rest.len())),
        }
    }

    /// Lesson 11: the next TLS record at the front of `rest`. The header is
    /// checked (a content type TLS has, a length within the limit for that
    /// type) before the body is waited for.
    fn next_tls_record(&mut self, rest: &[u8]) -> Option<(Unit, usize)> {
        // 5.1: the header is never encrypted, even on an encrypted record:
        // a receiver must find where a record ends before it can open it. So
        // Eve cuts TLS records exactly as the endpoints do, with the lesson's
        // own header parser, and sees every record's type and length.
        let header = Header::parse(*rest.first_chunk::<HEADER_LEN>()?);
        let length = usize::from(header.length);
        // The same two checks as lesson 11's `read_record`, in the same
        // order: a type byte TLS 1.3 does not have means this is not TLS at
        // all (lesson 9's random public key, say), and a length over 2^14
        // (2^14 + 256 for an encrypted record, 5.2) is what a receiver
        // refuses with record_overflow before reading the body.
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
        // Past a bad header, no later byte can be placed in a record: show
        // the rest as it comes, as the lesson's reader would have given up.
        if let Some(problem) = problem {
            self.state = State::Raw;
            // The bad header and all after it, as one unit: Eve shows the
            // bytes and the reason a TLS receiver would have stopped.
            let reason = format!("{problem}; showing the rest of this direction raw");
            return Some((
                Unit::Malformed {
                    bytes: rest.to_vec(),
                    reason,
                },
                rest.len(),
            ));
        }
        // The whole record, header included: `tls13_view` needs the header
        // too, because it is the AEAD's associated data (5.2).
        let whole = HEADER_LEN + length;
        let record = rest.get(..whole)?;
        Some((Unit::Record(record.to_vec()), whole))
    }

    /// Call at end of stream: bytes of an unfinished unit, if any. The
    /// pending bytes are handed over, so their claim on the budget goes
    /// with the splitter itself.
    pub fn finish(&mut self) -> Option<Unit> {
        // A close between units leaves nothing; a close inside one is lesson
        // 2's truncated record, and Eve shows the bytes that did arrive.
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
