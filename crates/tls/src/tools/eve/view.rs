//! Eve's picture of one connection: the bytes of each direction in, blocks
//! out.
//!
//! Each direction has its own splitter (`tap/splitter.rs`), which cuts the
//! stream into the lesson's units exactly where the lesson's own reader
//! would. Every unit becomes one block (`annotate.rs`): a heading that says
//! where it was seen and what it is, and its bytes cut into fields. Lesson
//! 11's records are handed to [`Tls13View`], which knows TLS; lessons 9 and
//! 10's records are also opened when a key log is given, with the keys
//! found by the client's public key, the only name a lesson 9 session has.
//!
//! ```text
//! chunk (one read) --> Splitter of its direction --> units
//!                                                    |
//!   Chunk      lesson 1 text                         |  one Block each:
//!   PublicKey  lesson 9/10 handshake, in the clear   |    Heading (where, what)
//!   Signature  lesson 10, in the clear               +--> wire fields
//!   Record     lessons 2-10: fields.rs; 11: Tls13View     + decrypted, if a
//!   Malformed  the reason the format was lost               key log opens it
//! ```
//!
//! A lesson 9 record carries its nonce in the clear, so unlike TLS 1.3
//! there is no count for Eve to keep: with the direction's key, each
//! record opens on its own. Without the key it is a length, a nonce and
//! noise, and the view says no more than that.

use chacha20poly1305::{ChaCha20Poly1305, KeyInit};

use crate::lesson07_key_exchange::PUBLIC_KEY_LEN;
use crate::lesson09_encrypted_echo::keylog::{self, LoggedKeys};
use crate::lesson09_encrypted_echo::record;
use crate::tools::annotate::{Annotated, Block, Decryption, Field, Heading, Kind, UnitKind};
use crate::tools::eve::{EveOptions, record_fields};
use crate::tools::hexdump::{TEXT_LIMIT, quoted};
use crate::tools::keys::KeyLog;
use crate::tools::tap::{Direction, Lesson, Splitter, Unit};
use crate::tools::tls13_view::Tls13View;

/// Feed it what each direction carried; get back a block per unit.
pub struct View {
    // The connection's number, as the proxy accepted it: every heading
    // names it, since many connections' blocks interleave on one stdout.
    id: u64,
    // Which format to expect: the bytes cannot say it themselves.
    lesson: Lesson,
    // One splitter per direction: TCP carries the two streams apart, and a
    // record of one says nothing about where the other's records fall.
    c2s: Splitter,
    s2c: Splitter,
    // Records seen so far in each direction: [client's, server's]. Shown in
    // the headings, counted per direction as lesson 5's sequence numbers
    // and lesson 11's counts are (those start at 0, these at 1).
    records: [u64; 2],
    // Lessons 9 and 10: the client's public key names the session in the
    // key log; the keys, once found, serve every later record.
    client_public: Option<[u8; PUBLIC_KEY_LEN]>,
    // `--keylog`, kept only for lessons 9 and 10.
    keylog: Option<KeyLog>,
    // Both directions' keys, from one lookup; `None` until the log has them.
    keys: Option<LoggedKeys>,
    // Lesson 11's records and keys: TLS needs more state (phases, counts,
    // message spills), kept in its own view.
    tls13: Tls13View,
}

impl View {
    /// A view of connection number `id`, before any byte.
    pub fn new(id: u64, options: &EveOptions) -> View {
        let lesson = options.lesson;
        // Only lessons 9 and 10 use this key log; lesson 11's view has its
        // own.
        let lesson9_keys = matches!(lesson, Lesson::EncryptedEcho | Lesson::Authentication);
        // Lesson 10's server direction has a signature after its key, so
        // each splitter is told which direction it cuts.
        View {
            id,
            lesson,
            c2s: Splitter::for_direction(lesson, Direction::ClientToServer),
            s2c: Splitter::for_direction(lesson, Direction::ServerToClient),
            records: [0; 2],
            client_public: None,
            keylog: options
                .keylog
                .clone()
                .filter(|_| lesson9_keys)
                .map(KeyLog::new),
            keys: None,
            // Built for every lesson, used by 11 only; it reads no log until
            // a ClientHello has named the connection.
            tls13: Tls13View::new(options.keylog.clone()),
        }
    }

    /// Takes a chunk one direction just read; returns a block for every
    /// unit it completed. Called before the chunk is forwarded, so Eve has
    /// seen a record before its receiver has.
    pub fn observe(&mut self, direction: Direction, chunk: &[u8]) -> Vec<Block> {
        // Nothing is shown until a unit is whole: a record is named when its
        // last byte arrives, however many reads that took.
        let units = match direction {
            Direction::ClientToServer => self.c2s.push(chunk),
            Direction::ServerToClient => self.s2c.push(chunk),
        };
        units
            .into_iter()
            .map(|unit| self.describe(direction, unit))
            .collect()
    }

    /// What each direction left unfinished when the connection ended.
    /// A record cut by a close is still shown, as the bytes that came:
    /// lesson 2's point that a close inside a record is an error, not an
    /// end.
    pub fn finish(&mut self) -> Vec<Block> {
        let mut blocks = Vec::new();
        // In a fixed order, the client's first, so a report reads the same
        // however the two closes raced.
        for direction in [Direction::ClientToServer, Direction::ServerToClient] {
            let splitter = match direction {
                Direction::ClientToServer => &mut self.c2s,
                Direction::ServerToClient => &mut self.s2c,
            };
            if let Some(unit) = splitter.finish() {
                blocks.push(self.describe(direction, unit));
            }
        }
        blocks
    }

    /// One unit, as a block.
    fn describe(&mut self, direction: Direction, unit: Unit) -> Block {
        let lesson = self.lesson;
        // Every block names its connection, its direction and the lesson
        // its bytes were read as; only the unit and the text differ.
        let heading = |unit: UnitKind, text: String| Heading {
            connection: self.id,
            direction,
            lesson: Some(lesson),
            unit,
            text,
        };
        match unit {
            Unit::Chunk(bytes) => {
                // Lesson 1: no framing, so a chunk is all there is to name.
                // Its bytes are the very text typed, readable by anyone on
                // the path; that is lesson 1's point.
                let field = Field::new("text", Kind::Plaintext, &bytes)
                    .with_note(quoted(&bytes, TEXT_LIMIT));
                let heading = heading(UnitKind::Chunk, format!("chunk, {} bytes", bytes.len()));
                Block::new(heading, Annotated::new(bytes, vec![field]))
            }
            Unit::PublicKey(key) => {
                // Lesson 9's handshake is just two X25519 public keys, one
                // each way, then both sides derive the same keys (lesson 8).
                let (name, who) = match direction {
                    Direction::ClientToServer => ("client key", "client"),
                    Direction::ServerToClient => ("server key", "server"),
                };
                // The client's key is the session's name in a lesson 9 key log
                // (the first thing on the wire, so a capture can be matched
                // to its log lines); the server's names nothing.
                if direction == Direction::ClientToServer {
                    self.client_public = key.as_slice().try_into().ok();
                }
                // Public by design: without the matching secret it yields
                // nothing, which is the whole point of lesson 7.
                let field = Field::new(name, Kind::PublicKey, &key)
                    .with_note("sent in the clear; useless without the matching secret");
                let text = format!("handshake: {who}'s X25519 public key");
                Block::new(
                    heading(UnitKind::Handshake, text),
                    Annotated::new(key, vec![field]),
                )
            }
            Unit::Signature(signature) => {
                // Lesson 10: the server signs both public keys with its
                // long-term Ed25519 key, so Mallory cannot swap in her own
                // X25519 key. Eve may read it; it helps her not at all.
                let field = Field::new("signature", Kind::Signature, &signature).with_note(
                    "the server's Ed25519 signature over client key || server key; \
                     public, and it proves only who signed",
                );
                let text = "handshake: server's Ed25519 signature".to_string();
                Block::new(
                    heading(UnitKind::Handshake, text),
                    Annotated::new(signature, vec![field]),
                )
            }
            Unit::Record(bytes) => {
                // Numbered from 1 in each direction, as the headings show.
                let slot = usize::from(direction == Direction::ServerToClient);
                self.records[slot] += 1;
                let number = self.records[slot];
                // Lesson 11 builds its own block: its header, its hellos
                // and its key phases are TLS's, not lesson 2's frame.
                if lesson.has_tls_records() {
                    return self.tls13.describe(self.id, direction, number, bytes);
                }
                // The size is on the wire in every lesson: the length
                // prefix says it, encrypted or not.
                let text = format!("record #{number}, {} bytes", bytes.len());
                let heading = heading(UnitKind::Record { number }, text);
                // Cut with the lesson's own constants (`fields.rs`): length,
                // then sequence number, nonce, payload and tag as it has them.
                let fields = record_fields(lesson, &bytes);
                // The plaintext is not on the wire, so it is a part of its
                // own, with its own offsets.
                let decrypted = self.decrypt(direction, &bytes);
                let mut block = Block::new(heading, Annotated::new(bytes, fields));
                block.decrypted = decrypted;
                block
            }
            // A length the lesson would refuse, bytes that are not TLS, a
            // record the budget could not hold, or a close mid-record: the
            // splitter's reason is shown with the bytes.
            Unit::Malformed { bytes, reason } => {
                // Not the lesson's format, so no lesson in the heading.
                let heading = Heading {
                    lesson: None,
                    ..heading(
                        UnitKind::Malformed,
                        format!("{} malformed bytes: {reason}", bytes.len()),
                    )
                };
                let field = Field::new("bytes", Kind::Malformed, &bytes);
                Block::new(heading, Annotated::new(bytes, vec![field]))
            }
        }
    }

    /// With a key log, a lesson 9 (or 10) record is opened as its reader
    /// would open it, with the logged key of its direction.
    fn decrypt(&mut self, direction: Direction, record_bytes: &[u8]) -> Option<Decryption> {
        // `None` (no decryption shown at all) for lessons 2 to 5, for lesson
        // 9 without `--keylog`, and before the client's key has gone by.
        let client_public = self.client_public?;
        let keylog = self.keylog.as_mut()?;
        if self.keys.is_none() {
            // The server logs its keys just after it sends its public key,
            // so the client's first record may come first: wait a little.
            self.keys = keylog.find(true, |path| keylog::lookup(path, &client_public));
        }
        // Still not found: no decryption line at all, and the next record
        // looks again (without waiting, once one wait has run out: keys.rs).
        // Lesson 8's split: one key per direction, so a record reflected
        // back to its sender does not open there. Eve needs the right one.
        let key = match direction {
            Direction::ClientToServer => self.keys.as_ref()?.c2s,
            Direction::ServerToClient => self.keys.as_ref()?.s2c,
        };
        // The session is in the log but this direction's line is not: said
        // beside the record, so the missing line is plain to see.
        let Some(key) = key else {
            return Some(failed("no key for this direction in the key log"));
        };
        let cipher = ChaCha20Poly1305::new(&key.into());
        // The lesson's own `open`, on a copy of the body after the 2-byte
        // prefix: a record whose tag fails yields no plaintext at all, and
        // the relayed bytes are never touched.
        let mut body = record_bytes.get(record::PREFIX_LEN..)?.to_vec();
        // The nonce is not checked against a counter, as the lesson's
        // reader does: Eve shows what a record says, even a replayed one.
        let Ok((_nonce, plaintext)) = record::open(&cipher, &mut body) else {
            return Some(failed("does not decrypt with the logged key"));
        };
        // The echo's text, quoted so that a peer's bytes cannot drive Eve's
        // terminal; the full bytes are in the hex above the note.
        let plaintext = plaintext.to_vec();
        let field = Field::new("plaintext", Kind::Plaintext, &plaintext)
            .with_note(format!("(key log) {}", quoted(&plaintext, TEXT_LIMIT)));
        Some(Decryption {
            title: "decrypted with the key log:".into(),
            content: Annotated::new(plaintext, vec![field]),
        })
    }
}

/// A record the key log did not open: an empty plaintext and why. The
/// title is a success's, so the reason stands where the plaintext would.
fn failed(why: &str) -> Decryption {
    Decryption {
        title: "decrypted with the key log:".into(),
        content: Annotated::new(
            Vec::new(),
            vec![Field::new("plaintext", Kind::Malformed, &[]).with_note(why)],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::hexdump::{Style, render};
    use crate::tools::sink::Sink;

    fn shown(blocks: Vec<Block>) -> String {
        blocks.iter().map(|b| render(b, &Style::plain())).collect()
    }

    #[test]
    fn lesson10_shows_the_signature_as_its_own_field() {
        let options = EveOptions {
            lesson: Lesson::Authentication,
            keylog: None,
            style: Style::plain(),
            sink: Sink::Stdout,
        };
        let mut view = View::new(1, &options);
        let mut wire = vec![0x11; 32];
        wire.extend([0x22; 64]);
        let text = shown(view.observe(Direction::ServerToClient, &wire));
        assert!(
            text.contains("lesson 10 handshake: server's X25519 public key"),
            "{text}"
        );
        assert!(
            text.contains("lesson 10 handshake: server's Ed25519 signature"),
            "{text}"
        );
        assert!(text.contains("  signature "), "{text}");
        assert!(
            text.contains("Ed25519 signature over client key || server key"),
            "{text}"
        );
        // 64 bytes: four full lines of hex.
        assert_eq!(
            text.matches("22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22")
                .count(),
            4
        );
        // The client's direction has no signature.
        let text = shown(view.observe(Direction::ClientToServer, &[0x33; 32]));
        assert!(!text.contains("signature"), "{text}");
    }

    #[test]
    fn each_unit_is_a_block_that_says_what_it_is() {
        let options = EveOptions {
            lesson: Lesson::Records,
            keylog: None,
            style: Style::plain(),
            sink: Sink::Stdout,
        };
        let mut view = View::new(3, &options);
        // One record and the first byte of the next.
        let blocks = view.observe(Direction::ClientToServer, b"\0\0\0\x02hi\0");
        assert_eq!(blocks.len(), 1);
        let block = &blocks[0];
        assert_eq!(block.heading.connection, 3);
        assert_eq!(block.heading.unit, UnitKind::Record { number: 1 });
        assert_eq!(block.heading.text, "record #1, 6 bytes");
        assert_eq!(block.wire.bytes, b"\0\0\0\x02hi");
        assert!(block.reads(b"hi"));
        // The cut-off record is left over at the end.
        let rest = view.finish();
        assert_eq!(rest.len(), 1, "{rest:?}");
        assert_eq!(rest[0].wire.bytes, b"\0");
    }
}
