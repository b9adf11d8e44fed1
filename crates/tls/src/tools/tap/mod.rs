//! Cutting a captured byte stream back into the lesson's messages.
//!
//! Someone on the wire sees TCP deliver bytes in whatever pieces it likes:
//! half a record in one read, three records glued together in the next (that
//! is lesson 2's whole point). To say "this is a length, this is a nonce",
//! Eve and Mallory first have to find where each record starts and ends.
//! A [`Splitter`] does that for one direction of one connection: feed it
//! every chunk as it is read, and it hands back each complete unit once all
//! its bytes have arrived.
//!
//! ```text
//! lesson 1   raw bytes, no framing          -> each chunk as it was read
//! lesson 2   len(u32 BE) || payload         -> one unit per record
//! lesson 3   len(u32 BE) || nonce(16) || AES-256-CTR ciphertext
//! lesson 5   len(u32 BE) || seq(8) || nonce(16) || ciphertext || mac(32)
//! lesson 9   public key (32), once per direction, then
//!            len(u16 BE) || nonce(12) || ChaCha20 ciphertext || tag(16)
//! lesson 10  as lesson 9, but the server's direction opens with its public
//!            key (32) AND an Ed25519 signature (64); then lesson 9 records
//! lesson 11  TLS records: type(1) || legacy_version(2) || length(u16 BE)
//!            || fragment; the length sits *after* two other fields, so
//!            these get their own state rather than a [`Layout`]
//! ```
//!
//! Every field the splitter needs is in the clear in every lesson: the
//! lengths (a reader must know them before it can decrypt), the nonces
//! where a lesson sends them (the receiver needs them too), the public
//! keys and the signature. That is why Eve can draw each record's layout
//! without any key, and why the lengths and the timing are what
//! encryption leaves her.
//!
//! The splitter only *reads* the format; it never needs a key. A length it
//! cannot believe (too short, or over the lesson's limit) is reported once as
//! malformed, and from then on the direction is shown as raw chunks, so a
//! hostile peer can neither crash the tap nor make it buffer without bound.

mod splitter;

pub use splitter::Splitter;

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::lesson02_records;
use crate::lesson03_ctr_channel;
use crate::lesson05_mac;
use crate::lesson09_encrypted_echo::record as lesson09_record;

/// The lessons whose wire format the tools understand, named after their
/// texts in `lessons/` and modules in the library.
///
/// Lessons 4, 6, 7 and 8 have no variant: each runs as one demo program
/// (`4-ctr-malleability`, `6-aead-demo`, ...) with no connection for a tool
/// to stand on. Their ideas reach the wire in the lessons that follow:
/// lesson 5 answers 4, and lesson 9 puts 6, 7 and 8 together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lesson {
    /// Lesson 1, `lesson01_plaintext`: raw bytes, no framing.
    Plaintext,
    /// Lesson 2, `lesson02_records`: length-prefixed plaintext records.
    Records,
    /// Lesson 3, `lesson03_ctr_channel`: lesson 2 records carrying
    /// AES-256-CTR under one shared key.
    CtrChannel,
    /// Lesson 5, `lesson05_mac`: lesson 2 records carrying a sequence
    /// number, AES-256-CTR and an HMAC-SHA256 tag.
    Mac,
    /// Lesson 9, `lesson09_encrypted_echo`: X25519 handshake, then
    /// ChaCha20-Poly1305 records.
    EncryptedEcho,
    /// Lesson 10, `lesson10_authentication`: lesson 9 with the server's
    /// Ed25519 signature after its public key.
    Authentication,
    /// Lesson 11, `lesson11_real_tls13`: real TLS 1.3 records, a 5-byte
    /// header (type, legacy_version, length) and then the fragment.
    RealTls13,
}

impl Lesson {
    /// The lesson's number in the course.
    pub fn number(self) -> u8 {
        match self {
            Lesson::Plaintext => 1,
            Lesson::Records => 2,
            Lesson::CtrChannel => 3,
            Lesson::Mac => 5,
            Lesson::EncryptedEcho => 9,
            Lesson::Authentication => 10,
            Lesson::RealTls13 => 11,
        }
    }

    /// Where the parts of a record sit, or `None` for lesson 1 (no records)
    /// and lesson 11 (TLS records, cut by their own header: see
    /// [`Lesson::has_tls_records`]). Every number comes from the lesson's
    /// own constants.
    pub fn layout(self) -> Option<Layout> {
        // Taken from the lessons rather than written again here, so that a
        // lesson that changes its format changes what Eve cuts with it.
        match self {
            Lesson::Plaintext | Lesson::RealTls13 => None,
            // Lesson 2: a length and the text it frames, nothing else.
            Lesson::Records => Some(Layout {
                prefix: lesson02_records::PREFIX_LEN,
                seq: 0,
                nonce: 0,
                tag: 0,
                max_len: lesson02_records::MAX_PAYLOAD_LEN,
            }),
            // Lesson 3: the same frame; the body starts with a fresh 16-byte
            // CTR nonce, and nothing at the end proves the body unchanged.
            Lesson::CtrChannel => Some(Layout {
                prefix: lesson02_records::PREFIX_LEN,
                seq: 0,
                nonce: lesson03_ctr_channel::NONCE_LEN,
                tag: 0,
                max_len: lesson02_records::MAX_PAYLOAD_LEN,
            }),
            // Lesson 5: a sequence number first (so a replayed or reordered
            // record is refused), then lesson 3's body, then the HMAC-SHA256
            // tag over sequence number, nonce and ciphertext.
            Lesson::Mac => Some(Layout {
                prefix: lesson02_records::PREFIX_LEN,
                seq: lesson05_mac::SEQ_LEN,
                nonce: lesson05_mac::NONCE_LEN,
                tag: lesson05_mac::TAG_LEN,
                max_len: lesson02_records::MAX_PAYLOAD_LEN,
            }),
            // Lesson 10 changed the handshake, not the records. Lesson 9's
            // prefix is two bytes, so a record holds at most 64 KiB - 1.
            Lesson::EncryptedEcho | Lesson::Authentication => Some(Layout {
                prefix: lesson09_record::PREFIX_LEN,
                seq: 0,
                nonce: lesson09_record::NONCE_LEN,
                tag: lesson09_record::TAG_LEN,
                max_len: lesson09_record::MAX_RECORD_LEN,
            }),
        }
    }

    /// Lessons 9 and 10 open each direction with a public key: 32 bytes
    /// with no prefix, before the first record.
    pub fn has_handshake(self) -> bool {
        matches!(self, Lesson::EncryptedEcho | Lesson::Authentication)
    }

    /// Lesson 11: TLS 1.3 records, each behind a 5-byte header. Its length
    /// comes after the type and version, so a `Layout` cannot describe it.
    pub fn has_tls_records(self) -> bool {
        self == Lesson::RealTls13
    }

    /// Lesson 10: the server's public key is followed by its signature. The
    /// client proves nothing about itself, so its direction has none.
    pub fn has_signature(self, direction: Direction) -> bool {
        self == Lesson::Authentication && direction == Direction::ServerToClient
    }
}

impl fmt::Display for Lesson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lesson {}", self.number())
    }
}

impl FromStr for Lesson {
    type Err = String;

    /// `"1"`, `"2"`, `"3"`, `"5"`, `"9"`, `"10"` or `"11"`, as typed after
    /// `--lesson`. The tools cannot tell one lesson's bytes from another's
    /// (a lesson 2 length and lesson 3's look the same), so they are told.
    fn from_str(s: &str) -> Result<Lesson, String> {
        match s.trim() {
            "1" => Ok(Lesson::Plaintext),
            "2" => Ok(Lesson::Records),
            "3" => Ok(Lesson::CtrChannel),
            "5" => Ok(Lesson::Mac),
            "9" => Ok(Lesson::EncryptedEcho),
            "10" => Ok(Lesson::Authentication),
            "11" => Ok(Lesson::RealTls13),
            other => Err(format!(
                "the tools understand lessons 1, 2, 3, 5, 9, 10 and 11, not {other:?}"
            )),
        }
    }
}

/// The shape of one lesson's record: where each part sits, in the order
/// the lesson's writer puts them down.
///
/// ```text
/// | prefix | seq | nonce | payload ........ | tag |
///   length counts everything after the prefix
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Bytes in the big-endian length prefix (2 or 4).
    pub prefix: usize,
    /// Bytes of sequence number right after the prefix (0 if none).
    pub seq: usize,
    /// Bytes of nonce at the start of the body (0 if none).
    pub nonce: usize,
    /// Bytes of tag at the end of the body (0 if none).
    pub tag: usize,
    /// The largest length the lesson accepts: the bound that stops a peer
    /// from making a reader (or Eve) wait for, and hold, any length it
    /// likes.
    pub max_len: usize,
}

impl Layout {
    /// The smallest length that can hold the sequence number, the nonce
    /// and the tag. A length below it cannot be one of the lesson's
    /// records: its parts would overlap.
    pub fn min_len(&self) -> usize {
        self.seq + self.nonce + self.tag
    }

    /// Reads the length prefix at the start of `bytes`, if all of it is there.
    pub fn read_len(&self, bytes: &[u8]) -> Option<usize> {
        // `None` while the prefix is still arriving: TCP may cut a record
        // anywhere, even inside its first four bytes.
        let prefix = bytes.get(..self.prefix)?;
        // Big-endian: the first byte is the most significant. At most four
        // bytes, so the value always fits a usize of 32 bits or more.
        Some(
            prefix
                .iter()
                .fold(0usize, |len, &b| (len << 8) | usize::from(b)),
        )
    }

    /// Where the sequence number sits in a whole record (prefix included).
    /// The ranges are offsets into the record as the splitter hands it
    /// over, prefix first, so Eve's field offsets match a capture's.
    pub fn seq_range(&self) -> Range<usize> {
        self.prefix..self.prefix + self.seq
    }

    /// Where the nonce sits in a whole record (prefix included).
    pub fn nonce_range(&self) -> Range<usize> {
        let start = self.seq_range().end;
        start..start + self.nonce
    }

    /// Where the payload (plaintext or ciphertext) sits in a whole record of
    /// `record_len` bytes.
    pub fn payload_range(&self, record_len: usize) -> Range<usize> {
        // The tag is found from the end, since its size is fixed and the
        // payload's is not; a record too short for a tag gets an empty
        // payload instead of a range that runs backwards.
        let start = self.nonce_range().end;
        start..record_len.saturating_sub(self.tag).max(start)
    }

    /// Where the tag sits in a whole record of `record_len` bytes.
    pub fn tag_range(&self, record_len: usize) -> Range<usize> {
        self.payload_range(record_len).end..record_len
    }
}

/// The two directions of a connection. Each has its own stream, cut by
/// its own splitter: TCP carries them independently, in lessons 5 and 11
/// each has its own count of records, and from lesson 9 on its own key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Bytes the client sends.
    ClientToServer,
    /// Bytes the server sends.
    ServerToClient,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::ClientToServer => "client -> server",
            Direction::ServerToClient => "server -> client",
        })
    }
}

/// One complete piece of a stream: what Eve prints one block for, and the
/// piece Mallory's record attacks flip or replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Lesson 1 (or after a malformed length): bytes exactly as one read
    /// returned them. Without framing there is nothing better to go by.
    Chunk(Vec<u8>),
    /// Lesson 9: the 32-byte public key that opens the direction.
    PublicKey(Vec<u8>),
    /// Lesson 10: the server's 64-byte Ed25519 signature over both public
    /// keys, right after its own key.
    Signature(Vec<u8>),
    /// A whole record, length prefix (lesson 11: the 5-byte header) included.
    Record(Vec<u8>),
    /// Bytes that cannot be a record; the reason says why.
    Malformed {
        /// The bytes, as far as they had arrived.
        bytes: Vec<u8>,
        /// Why they were refused.
        reason: String,
    },
}

impl Unit {
    /// The unit's bytes, exactly as they were on the wire (a record keeps
    /// its prefix or header, so Mallory can send it on as it came).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Unit::Chunk(b) | Unit::PublicKey(b) | Unit::Signature(b) | Unit::Record(b) => b,
            Unit::Malformed { bytes, .. } => bytes,
        }
    }
}
