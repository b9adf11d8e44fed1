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
    id: u64,
    lesson: Lesson,
    c2s: Splitter,
    s2c: Splitter,
    // Records seen so far in each direction: [client's, server's].
    records: [u64; 2],
    // Lessons 9 and 10: the client's public key names the session in the
    // key log; the keys, once found, serve every later record.
    client_public: Option<[u8; PUBLIC_KEY_LEN]>,
    keylog: Option<KeyLog>,
    keys: Option<LoggedKeys>,
    // Lesson 11's records and keys.
    tls13: Tls13View,
}

impl View {
    /// A view of connection number `id`, before any byte.
    pub fn new(id: u64, options: &EveOptions) -> View {
        let lesson = options.lesson;
        // Only lessons 9 and 10 use this key log; lesson 11's view has its
        // own.
        let lesson9_keys = matches!(lesson, Lesson::EncryptedEcho | Lesson::Authentication);
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
            tls13: Tls13View::new(options.keylog.clone()),
        }
    }

    /// Takes a chunk one direction just read; returns a block for every
    /// unit it completed.
    pub fn observe(&mut self, direction: Direction, chunk: &[u8]) -> Vec<Block> {
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
    pub fn finish(&mut self) -> Vec<Block> {
        let mut blocks = Vec::new();
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
                let field = Field::new("text", Kind::Plaintext, &bytes)
                    .with_note(quoted(&bytes, TEXT_LIMIT));
                let heading = heading(UnitKind::Chunk, format!("chunk, {} bytes", bytes.len()));
                Block::new(heading, Annotated::new(bytes, vec![field]))
            }
            Unit::PublicKey(key) => {
                let (name, who) = match direction {
                    Direction::ClientToServer => ("client key", "client"),
                    Direction::ServerToClient => ("server key", "server"),
                };
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
                let slot = usize::from(direction == Direction::ServerToClient);
                self.records[slot] += 1;
                let number = self.records[slot];
                if lesson.has_tls_records() {
                    return self.tls13.describe(self.id, direction, number, bytes);
                }
                let text = format!("record #{number}, {} bytes", bytes.len());
                let heading = heading(UnitKind::Record { number }, text);
                let fields = record_fields(lesson, &bytes);
                // The plaintext is not on the wire, so it is a part of its
                // own, with its own offsets.
                let decrypted = self.decrypt(direction, &bytes);
                let mut block = Block::new(heading, Annotated::new(bytes, fields));
                block.decrypted = decrypted;
                block
            }
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
        let client_public = self.client_public?;
        let keylog = self.keylog.as_mut()?;
        if self.keys.is_none() {
            // The server logs its keys just after it sends its public key,
            // so the client's first record may come first: wait a little.
            self.keys = keylog.find(true, |path| keylog::lookup(path, &client_public));
        }
        let key = match direction {
            Direction::ClientToServer => self.keys.as_ref()?.c2s,
            Direction::ServerToClient => self.keys.as_ref()?.s2c,
        };
        let Some(key) = key else {
            return Some(failed("no key for this direction in the key log"));
        };
        let cipher = ChaCha20Poly1305::new(&key.into());
        let mut body = record_bytes.get(record::PREFIX_LEN..)?.to_vec();
        let Ok((_nonce, plaintext)) = record::open(&cipher, &mut body) else {
            return Some(failed("does not decrypt with the logged key"));
        };
        let plaintext = plaintext.to_vec();
        let field = Field::new("plaintext", Kind::Plaintext, &plaintext)
            .with_note(format!("(key log) {}", quoted(&plaintext, TEXT_LIMIT)));
        Some(Decryption {
            title: "decrypted with the key log:".into(),
            content: Annotated::new(plaintext, vec![field]),
        })
    }
}

/// A record the key log did not open: an empty plaintext and why.
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
