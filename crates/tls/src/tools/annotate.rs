//! What Eve makes of the bytes she sees, before anyone decides how to show
//! it: the one model every view of hers is drawn from.
//!
//! ```text
//! Block      #1 client -> server  lesson 9 record #1, 41 bytes   <- Heading
//!   wire       00 27 | 5b 0e .. 9c 01 | c1 7f .. 1f | 8e 44 .. 19    <- the bytes
//!              length  nonce            ciphertext    tag            <- Fields, in order
//!   decrypted  (with a key log) the plaintext, cut into its own fields
//! ```
//!
//! A block holds the bytes of one unit the tap cut from the stream (a
//! record, a public key, a chunk of plaintext) and, in order, the names of
//! the runs they are made of: field after field, each a length and a kind,
//! so the first field starts at byte 0 and each next one where the last
//! ended. There is no colour and no layout here. The terminal renderer
//! (`hexdump.rs`) turns a block into the text Eve prints; the tour picks
//! blocks by what they are (`Heading::unit`), never by reading that text.

use crate::tools::tap::{Direction, Lesson};

/// What a run of bytes is: the fact a renderer colours by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A length prefix (and, in TLS, the rest of the record header).
    Length,
    /// A public key sent in the clear.
    PublicKey,
    /// A record sequence number, sent in the clear (lesson 5).
    Sequence,
    /// A signature sent in the clear (lesson 10).
    Signature,
    /// A nonce.
    Nonce,
    /// Encrypted bytes.
    Ciphertext,
    /// An authentication tag.
    Tag,
    /// Bytes anyone can read: plaintext on the wire, or decrypted with a key
    /// log.
    Plaintext,
    /// Bytes that did not parse.
    Malformed,
}

/// One named run of bytes: it starts where the field before it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The label, e.g. `nonce`.
    pub name: &'static str,
    /// What the bytes are.
    pub kind: Kind,
    /// How many bytes of the block the field covers.
    pub len: usize,
    /// What Eve can say about them: a decoded length, the text, a message's
    /// name.
    pub note: Option<String>,
}

impl Field {
    /// A field made of `bytes`, the next run of the block it goes in. Only
    /// their length is kept: the block holds the bytes once.
    pub fn new(name: &'static str, kind: Kind, bytes: &[u8]) -> Field {
        Field {
            name,
            kind,
            len: bytes.len(),
            note: None,
        }
    }

    /// The same field with a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Field {
        self.note = Some(note.into());
        self
    }
}

/// Bytes and the fields they are cut into.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotated {
    /// The bytes, exactly as they went by (or as they decrypted).
    pub bytes: Vec<u8>,
    /// Their runs, in order from byte 0.
    pub fields: Vec<Field>,
}

impl Annotated {
    /// `bytes`, cut into `fields`.
    pub fn new(bytes: Vec<u8>, fields: Vec<Field>) -> Annotated {
        Annotated { bytes, fields }
    }

    /// Each field with its offset and its bytes. A field that would run
    /// past the end (only a bug could make one) gets the bytes that exist.
    pub fn parts(&self) -> impl Iterator<Item = (usize, &Field, &[u8])> {
        let mut offset = 0;
        self.fields.iter().map(move |field| {
            let start = offset.min(self.bytes.len());
            let end = offset.saturating_add(field.len).min(self.bytes.len());
            let bytes = self.bytes.get(start..end).unwrap_or_default();
            let at = offset;
            offset = offset.saturating_add(field.len);
            (at, field, bytes)
        })
    }
}

/// What kind of unit a block shows: what the tour picks blocks by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitKind {
    /// Raw bytes as they came (lesson 1 has no records).
    Chunk,
    /// A handshake value sent in the clear (a public key, a signature).
    Handshake,
    /// Record number `number` in its direction.
    Record {
        /// 1 for the first record in this direction.
        number: u64,
    },
    /// Bytes that do not fit the lesson's format.
    Malformed,
}

/// Where a block was seen and what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    /// The connection, numbered from 1 as Eve accepted them.
    pub connection: u64,
    /// Which way the bytes went.
    pub direction: Direction,
    /// The lesson whose format they were read as; `None` when they did not
    /// fit it.
    pub lesson: Option<Lesson>,
    /// What kind of unit this is.
    pub unit: UnitKind,
    /// The rest of the heading, e.g. `record #1, 41 bytes`.
    pub text: String,
}

/// Plaintext Eve worked out with a key log: not on the wire, so it has its
/// own bytes and offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decryption {
    /// What it is and how it was found (`decrypted with the key log: ...`),
    /// or why it could not be.
    pub title: String,
    /// The plaintext, cut into fields (none when it did not decrypt).
    pub content: Annotated,
}

/// One unit Eve saw, as she understands it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Where and what.
    pub heading: Heading,
    /// The bytes on the wire and their fields.
    pub wire: Annotated,
    /// With a key log: what was inside.
    pub decrypted: Option<Decryption>,
}

impl Block {
    /// A block with nothing decrypted.
    pub fn new(heading: Heading, wire: Annotated) -> Block {
        Block {
            heading,
            wire,
            decrypted: None,
        }
    }

    /// Whether any field Eve can read holds `needle`: her fields of kind
    /// [`Kind::Plaintext`], on the wire or decrypted.
    pub fn reads(&self, needle: &[u8]) -> bool {
        let inner = self.decrypted.iter().map(|d| &d.content);
        std::iter::once(&self.wire).chain(inner).any(|annotated| {
            annotated
                .parts()
                .any(|(_, field, bytes)| field.kind == Kind::Plaintext && contains(bytes, needle))
        })
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `fields` over `bytes`, under the heading `#1 client -> server  h`
    /// (the renderers' tests use it too).
    pub(crate) fn block(bytes: &[u8], fields: Vec<Field>) -> Block {
        let heading = Heading {
            connection: 1,
            direction: Direction::ClientToServer,
            lesson: None,
            unit: UnitKind::Record { number: 1 },
            text: "h".into(),
        };
        Block::new(heading, Annotated::new(bytes.to_vec(), fields))
    }

    #[test]
    fn fields_follow_each_other_from_byte_zero() {
        let bytes = b"\0\x02hi";
        let b = block(
            bytes,
            vec![
                Field::new("length", Kind::Length, &bytes[..2]),
                Field::new("payload", Kind::Plaintext, &bytes[2..]),
            ],
        );
        let parts: Vec<_> = b
            .wire
            .parts()
            .map(|(at, f, bytes)| (at, f.name, bytes))
            .collect();
        assert_eq!(
            parts,
            [(0, "length", &b"\0\x02"[..]), (2, "payload", &b"hi"[..])]
        );
    }

    #[test]
    fn a_field_past_the_end_gets_only_the_bytes_there_are() {
        let b = block(b"abc", vec![Field::new("x", Kind::Plaintext, &[0; 10])]);
        let (_, _, bytes) = b.wire.parts().next().unwrap();
        assert_eq!(bytes, b"abc");
    }

    #[test]
    fn eve_reads_only_what_is_plaintext() {
        let bytes = b"\0\x02hi";
        let readable = block(
            bytes,
            vec![
                Field::new("length", Kind::Length, &bytes[..2]),
                Field::new("payload", Kind::Plaintext, &bytes[2..]),
            ],
        );
        assert!(readable.reads(b"hi"));
        let sealed = block(
            bytes,
            vec![
                Field::new("length", Kind::Length, &bytes[..2]),
                Field::new("ciphertext", Kind::Ciphertext, &bytes[2..]),
            ],
        );
        assert!(!sealed.reads(b"hi"));
    }
}
