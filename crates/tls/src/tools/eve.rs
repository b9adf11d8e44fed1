//! Eve, the passive observer: a forwarding tap that shows what the wire shows.
//!
//! ```text
//! client ---> eve ---> server        every byte forwarded unchanged;
//!        <---     <---               each record printed, field by field
//! ```
//!
//! Eve never changes or invents a byte: she reads a chunk, prints what it
//! completes, and forwards the same chunk. (With `--keylog` she may hold a
//! session's first record up to 2 s while its keys reach the log file.) What she can print
//! is the lesson's point:
//!
//! - lessons 1 and 2: the messages themselves, readable;
//! - lesson 3: lengths and nonces, then ciphertext (the key is a constant in
//!   the program, but Eve is only a wire here);
//! - lesson 5: the same, plus each record's sequence number (in the clear,
//!   counting 0, 1, 2 in each direction) and its 32-byte mac;
//! - lesson 9: two public keys, then length, nonce, ciphertext and tag, and
//!   nothing she can decrypt, *unless* someone hands her a key log
//!   (`--keylog`), in which case the plaintext appears beside each record;
//! - lesson 10: the same, plus the server's Ed25519 signature over both
//!   public keys. It is public on purpose: it proves who the server is, and
//!   tells Eve nothing about the traffic;
//! - lesson 11: each TLS record's header, the ClientHello and ServerHello
//!   in the clear (suites, key shares, server name), then only "encrypted
//!   record" and a length, certificate included; with the NSS key log the
//!   programs write, every record's real type and contents
//!   (`tls13_view.rs`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use chacha20poly1305::{ChaCha20Poly1305, KeyInit};

use crate::error::Result;
use crate::lesson07_key_exchange::PUBLIC_KEY_LEN;
use crate::lesson09_encrypted_echo::keylog::{self, LoggedKeys};
use crate::lesson09_encrypted_echo::record;
use crate::tools::hexdump::{self, Field, Kind, Sink, Style};
use crate::tools::proxy::{self, Pair, ProxyLimits};
use crate::tools::tap::{Direction, Layout, Lesson, Splitter, Unit};
use crate::tools::tls13_view::Tls13View;

/// How long Eve waits for a session's keys to appear in the key log. The
/// server logs its keys only after sending its public key, so the client's
/// first record can arrive a moment before the log line does.
const KEYLOG_PATIENCE: Duration = Duration::from_secs(2);

/// What Eve is told on the command line.
#[derive(Clone, Debug)]
pub struct EveOptions {
    /// Which wire format to expect.
    pub lesson: Lesson,
    /// Lesson 9, 10 or 11 key log to decrypt with.
    pub keylog: Option<PathBuf>,
    /// Colour and field length limits for the dump.
    pub style: Style,
    /// Where the dump goes: stdout for the program.
    pub sink: Sink,
}

/// Taps every connection to `listen`, forwarding it to `upstream`.
pub fn run(listen: &str, upstream: &str, options: EveOptions, limits: ProxyLimits) -> Result<()> {
    let options = Arc::new(options);
    proxy::run("eve", listen, upstream, limits, move |pair| {
        tap_connection(&pair, &options)
    })
}

/// Relays one connection both ways, printing as it goes. Public so that a
/// caller with its own listener (the tour) can run Eve on
/// [`proxy::serve`].
pub fn tap_connection(pair: &Pair, options: &Arc<EveOptions>) -> Result<()> {
    // Both directions share one observer, so the two threads take turns
    // printing and lesson 9's server-to-client records can use the session
    // found from the client's public key.
    let view = Mutex::new(View::new(pair.id, options));
    let observe = |direction, chunk: &[u8]| {
        let text = lock(&view).observe(direction, chunk);
        options.sink.print(&text);
    };
    let result = proxy::both_ways(
        pair,
        || {
            proxy::pump(&pair.client, &pair.server, |c| {
                observe(Direction::ClientToServer, c)
            })
        },
        || {
            proxy::pump(&pair.server, &pair.client, |c| {
                observe(Direction::ServerToClient, c)
            })
        },
    );
    options.sink.print(&lock(&view).finish());
    result
}

/// Eve's picture of one connection: feed it what each direction carried,
/// get back the text she prints.
pub struct View {
    id: u64,
    options: Arc<EveOptions>,
    c2s: Splitter,
    s2c: Splitter,
    records: [u64; 2],
    client_public: Option<[u8; PUBLIC_KEY_LEN]>,
    keys: Option<LoggedKeys>,
    // Set once we have waited for the key log in vain: no more waiting.
    gave_up_waiting: bool,
    // Lesson 11's records and keys.
    tls13: Tls13View,
}

impl View {
    /// A view of connection number `id`, before any byte.
    pub fn new(id: u64, options: &Arc<EveOptions>) -> View {
        View {
            id,
            options: Arc::clone(options),
            c2s: Splitter::for_direction(options.lesson, Direction::ClientToServer),
            s2c: Splitter::for_direction(options.lesson, Direction::ServerToClient),
            records: [0; 2],
            client_public: None,
            keys: None,
            gave_up_waiting: false,
            tls13: Tls13View::new(options.keylog.clone()),
        }
    }

    /// Takes a chunk one direction just read; returns the text to print for
    /// every unit it completed.
    pub fn observe(&mut self, direction: Direction, chunk: &[u8]) -> String {
        let units = match direction {
            Direction::ClientToServer => self.c2s.push(chunk),
            Direction::ServerToClient => self.s2c.push(chunk),
        };
        units
            .iter()
            .map(|unit| self.describe(direction, unit))
            .collect()
    }

    /// Leftovers at the end of the connection.
    pub fn finish(&mut self) -> String {
        let mut text = String::new();
        for direction in [Direction::ClientToServer, Direction::ServerToClient] {
            let splitter = match direction {
                Direction::ClientToServer => &mut self.c2s,
                Direction::ServerToClient => &mut self.s2c,
            };
            if let Some(unit) = splitter.finish() {
                text.push_str(&self.describe(direction, &unit));
            }
        }
        text
    }

    /// One unit, as a labelled hex dump.
    fn describe(&mut self, direction: Direction, unit: &Unit) -> String {
        let style = self.options.style;
        let lesson = self.options.lesson;
        let id = self.id;
        match unit {
            Unit::Chunk(bytes) => {
                let heading = format!("#{id} {direction}  {lesson} chunk, {} bytes", bytes.len());
                let field = Field::new("text", Kind::Plaintext, bytes)
                    .with_note(hexdump::quoted(bytes, hexdump::TEXT_LIMIT));
                hexdump::render(&heading, &[field], &style)
            }
            Unit::PublicKey(key) => {
                let (name, who) = match direction {
                    Direction::ClientToServer => ("client key", "client"),
                    Direction::ServerToClient => ("server key", "server"),
                };
                if direction == Direction::ClientToServer {
                    self.client_public = key.as_slice().try_into().ok();
                }
                let heading =
                    format!("#{id} {direction}  {lesson} handshake: {who}'s X25519 public key");
                let field = Field::new(name, Kind::PublicKey, key)
                    .with_note("sent in the clear; useless without the matching secret");
                hexdump::render(&heading, &[field], &style)
            }
            Unit::Signature(signature) => {
                let heading =
                    format!("#{id} {direction}  {lesson} handshake: server's Ed25519 signature");
                let field = Field::new("signature", Kind::Signature, signature).with_note(
                    "the server's Ed25519 signature over client key || server key; \
                     public, and it proves only who signed",
                );
                hexdump::render(&heading, &[field], &style)
            }
            Unit::Record(bytes) => {
                let slot = usize::from(direction == Direction::ServerToClient);
                self.records[slot] += 1;
                let number = self.records[slot];
                if lesson.has_tls_records() {
                    return self.tls13.describe(id, direction, number, bytes, &style);
                }
                let heading = format!(
                    "#{id} {direction}  {lesson} record #{number}, {} bytes",
                    bytes.len()
                );
                let mut text = hexdump::render(&heading, &record_fields(lesson, bytes), &style);
                // The plaintext is not on the wire, so it gets its own block
                // with its own offsets.
                if let Some(plaintext) = self.decrypt(direction, bytes) {
                    let heading = "  decrypted with the key log:";
                    text.push_str(&hexdump::render(heading, &[plaintext.field()], &style));
                }
                text
            }
            Unit::Malformed { bytes, reason } => {
                let heading = format!(
                    "#{id} {direction}  {} malformed bytes: {reason}",
                    bytes.len()
                );
                hexdump::render(
                    &heading,
                    &[Field::new("bytes", Kind::Malformed, bytes)],
                    &style,
                )
            }
        }
    }

    /// With a key log, lesson 9 (and 10) records are decrypted for display.
    fn decrypt(&mut self, direction: Direction, record_bytes: &[u8]) -> Option<Decrypted> {
        let path = self.options.keylog.clone()?;
        if !matches!(
            self.options.lesson,
            Lesson::EncryptedEcho | Lesson::Authentication
        ) {
            return None;
        }
        let client_public = self.client_public?;
        if self.keys.is_none() {
            self.keys = self.wait_for_keys(&path, &client_public);
        }
        let key = match direction {
            Direction::ClientToServer => self.keys.as_ref()?.c2s,
            Direction::ServerToClient => self.keys.as_ref()?.s2c,
        };
        let Some(key) = key else {
            return Some(Decrypted::Failed(
                "no key for this direction in the key log",
            ));
        };
        let cipher = ChaCha20Poly1305::new(&key.into());
        let mut body = record_bytes.get(record::PREFIX_LEN..)?.to_vec();
        match record::open(&cipher, &mut body) {
            Ok((_nonce, plaintext)) => Some(Decrypted::Plaintext(plaintext.to_vec())),
            Err(_) => Some(Decrypted::Failed("does not decrypt with the logged key")),
        }
    }

    /// Reads the key log until this session shows up, for a little while the
    /// first time and once per record after that.
    fn wait_for_keys(&mut self, path: &std::path::Path, id: &[u8; 32]) -> Option<LoggedKeys> {
        let deadline = Instant::now() + KEYLOG_PATIENCE;
        loop {
            match keylog::lookup(path, id) {
                Ok(Some(keys)) => return Some(keys),
                Ok(None) => {}
                Err(e) => {
                    status!("eve: {e}");
                    return None;
                }
            }
            if self.gave_up_waiting || Instant::now() >= deadline {
                self.gave_up_waiting = true;
                return None;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// What a key log made of one record.
enum Decrypted {
    Plaintext(Vec<u8>),
    Failed(&'static str),
}

impl Decrypted {
    fn field(&self) -> Field<'_> {
        match self {
            Decrypted::Plaintext(text) => Field::new("plaintext", Kind::Plaintext, text).with_note(
                format!("(key log) {}", hexdump::quoted(text, hexdump::TEXT_LIMIT)),
            ),
            Decrypted::Failed(why) => Field::new("plaintext", Kind::Malformed, &[]).with_note(*why),
        }
    }
}

/// A whole record cut into its named fields for `lesson`.
pub fn record_fields(lesson: Lesson, bytes: &[u8]) -> Vec<Field<'_>> {
    let Some(layout) = lesson.layout() else {
        return vec![Field::new("text", Kind::Plaintext, bytes)];
    };
    let part = |range: std::ops::Range<usize>| bytes.get(range).unwrap_or_default();
    let len = layout.read_len(bytes).unwrap_or(0);
    let payload = layout.payload_range(bytes.len());
    let mut fields = vec![
        Field::new("length", Kind::Length, part(0..layout.prefix))
            .with_note(length_note(lesson, &layout, len)),
    ];
    if layout.seq > 0 {
        let seq = part(layout.seq_range());
        let mut field = Field::new("seq", Kind::Sequence, seq);
        // A big-endian u64: readable by anyone, changeable by no one (the
        // mac covers it).
        if let Ok(value) = <[u8; 8]>::try_from(seq) {
            field = field.with_note(format!("= {}", u64::from_be_bytes(value)));
        }
        fields.push(field);
    }
    if layout.nonce > 0 {
        fields.push(Field::new("nonce", Kind::Nonce, part(layout.nonce_range())));
    }
    if lesson == Lesson::Records {
        let text = part(payload);
        fields.push(
            Field::new("payload", Kind::Plaintext, text)
                .with_note(hexdump::quoted(text, hexdump::TEXT_LIMIT)),
        );
    } else {
        fields.push(Field::new("ciphertext", Kind::Ciphertext, part(payload)));
    }
    if layout.tag > 0 {
        // Lesson 5's tag is an HMAC; lesson 9's is Poly1305's.
        let name = if lesson == Lesson::Mac { "mac" } else { "tag" };
        fields.push(Field::new(
            name,
            Kind::Tag,
            part(layout.tag_range(bytes.len())),
        ));
    }
    fields
}

/// `= 39: nonce(12) + ciphertext(11) + tag(16)`.
fn length_note(lesson: Lesson, layout: &Layout, len: usize) -> String {
    let payload = len.saturating_sub(layout.min_len());
    match lesson {
        Lesson::Records => format!("= {len}: payload({payload})"),
        Lesson::CtrChannel => format!("= {len}: nonce({}) + ciphertext({payload})", layout.nonce),
        Lesson::Mac => format!(
            "= {len}: seq({}) + nonce({}) + ciphertext({payload}) + mac({})",
            layout.seq, layout.nonce, layout.tag
        ),
        _ => format!(
            "= {len}: nonce({}) + ciphertext({payload}) + tag({})",
            layout.nonce, layout.tag
        ),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesson9_record_fields_are_named_and_sized() {
        let mut record = vec![0, 39];
        record.extend([0xaa; 12]);
        record.extend([0xbb; 11]);
        record.extend([0xcc; 16]);
        let fields = record_fields(Lesson::EncryptedEcho, &record);
        let names: Vec<_> = fields.iter().map(|f| (f.name, f.bytes.len())).collect();
        assert_eq!(
            names,
            [
                ("length", 2),
                ("nonce", 12),
                ("ciphertext", 11),
                ("tag", 16)
            ]
        );
        assert_eq!(
            fields[0].note.as_deref(),
            Some("= 39: nonce(12) + ciphertext(11) + tag(16)")
        );
    }

    #[test]
    fn lesson5_fields_show_the_seq_and_the_mac() {
        // len = 8 + 16 + 3 + 32 = 59
        let mut record = vec![0, 0, 0, 59];
        record.extend(2u64.to_be_bytes());
        record.extend([0xaa; 16]);
        record.extend([0xbb; 3]);
        record.extend([0xcc; 32]);
        let fields = record_fields(Lesson::Mac, &record);
        let names: Vec<_> = fields.iter().map(|f| (f.name, f.bytes.len())).collect();
        assert_eq!(
            names,
            [
                ("length", 4),
                ("seq", 8),
                ("nonce", 16),
                ("ciphertext", 3),
                ("mac", 32)
            ]
        );
        assert_eq!(
            fields[0].note.as_deref(),
            Some("= 59: seq(8) + nonce(16) + ciphertext(3) + mac(32)")
        );
        assert_eq!(fields[1].note.as_deref(), Some("= 2"));
        assert_eq!(fields[4].bytes, &[0xcc; 32]);
    }

    #[test]
    fn lesson10_shows_the_signature_as_its_own_field() {
        let options = Arc::new(EveOptions {
            lesson: Lesson::Authentication,
            keylog: None,
            style: Style::plain(),
            sink: Sink::Stdout,
        });
        let mut view = View::new(1, &options);
        let mut wire = vec![0x11; 32];
        wire.extend([0x22; 64]);
        let text = view.observe(Direction::ServerToClient, &wire);
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
        let text = view.observe(Direction::ClientToServer, &[0x33; 32]);
        assert!(!text.contains("signature"), "{text}");
    }

    #[test]
    fn lesson3_and_lesson2_fields() {
        let mut record = vec![0, 0, 0, 19];
        record.extend([1; 16]);
        record.extend(b"abc");
        let names: Vec<_> = record_fields(Lesson::CtrChannel, &record)
            .iter()
            .map(|f| (f.name, f.bytes.len()))
            .collect();
        assert_eq!(names, [("length", 4), ("nonce", 16), ("ciphertext", 3)]);
        let fields = record_fields(Lesson::Records, b"\0\0\0\x02hi");
        assert_eq!(fields[1].note.as_deref(), Some("\"hi\""));
    }
}
