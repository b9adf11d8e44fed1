//! Hex dumps with field labels: how Eve and Mallory show bytes to a person.
//!
//! One record is printed as a heading (the direction arrow and what the bytes
//! are) and then one block per field, each with its name, its offset inside
//! the record, sixteen bytes of hex per line and the printable ASCII beside
//! them. This is exactly what Eve prints for a 41-byte lesson 9 record (the
//! example runs as a test, so it cannot go stale):
//!
//! ```
//! use tls::tools::eve::record_fields;
//! use tls::tools::hexdump::{Style, render};
//! use tls::tools::tap::Lesson;
//!
//! let record = [
//!     0x00, 0x27, // length: 39
//!     0x5b, 0x0e, 0x91, 0xc4, 0x7a, 0x2d, 0x18, 0xf0, 0x33, 0x6a, 0x9c, 0x01, // nonce
//!     0xc1, 0x7f, 0x20, 0x9a, 0x55, 0xe3, 0x0b, 0x48, 0xd2, 0x6c, 0x1f, // ciphertext
//!     0x8e, 0x44, 0xa0, 0x1b, 0x3c, 0x7d, 0x92, 0x5f, // tag...
//!     0xe6, 0x08, 0xb1, 0x2a, 0x4f, 0x70, 0xc3, 0x19,
//! ];
//! let heading = "#1 client -> server  lesson 9 record #1, 41 bytes";
//! let fields = record_fields(Lesson::EncryptedEcho, &record);
//! assert_eq!(
//!     render(heading, &fields, &Style::plain()),
//!     "\
//! #1 client -> server  lesson 9 record #1, 41 bytes
//!   length       0000  00 27                                            .'
//!                = 39: nonce(12) + ciphertext(11) + tag(16)
//!   nonce        0002  5b 0e 91 c4 7a 2d 18 f0 33 6a 9c 01              [...z-..3j..
//!   ciphertext   000e  c1 7f 20 9a 55 e3 0b 48 d2 6c 1f                 .. .U..H.l.
//!   tag          0019  8e 44 a0 1b 3c 7d 92 5f e6 08 b1 2a 4f 70 c3 19  .D..<}._...*Op..
//! "
//! );
//! ```
//!
//! Colour is a help, never a requirement: every fact is in the text, and
//! colour is only switched on when stdout is a terminal (and `NO_COLOR` is
//! not set), so piped or captured output stays plain.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};

/// Bytes shown per hex line.
pub const BYTES_PER_LINE: usize = 16;
/// How many bytes of one field are shown before the rest is summarised.
/// A 200 KB message would otherwise scroll past as thousands of lines.
pub const DEFAULT_FIELD_LIMIT: usize = 64;
/// Characters of a message's plaintext shown in a note, by every tool.
pub const TEXT_LIMIT: usize = 200;
/// Width of the field-name column.
const NAME_WIDTH: usize = 11;

/// What a field is, which decides its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A length prefix.
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

impl Kind {
    /// The ANSI colour code used for this kind of field.
    fn ansi(self) -> &'static str {
        match self {
            Kind::Length => "36",      // cyan
            Kind::PublicKey => "32",   // green
            Kind::Sequence => "34",    // blue
            Kind::Signature => "94",   // bright blue
            Kind::Nonce => "33",       // yellow
            Kind::Ciphertext => "31",  // red
            Kind::Tag => "35",         // magenta
            Kind::Plaintext => "1;37", // bold white
            Kind::Malformed => "1;31", // bold red
        }
    }
}

/// One labelled run of bytes inside a record.
#[derive(Clone, Debug)]
pub struct Field<'a> {
    /// The label printed in the left column.
    pub name: &'static str,
    /// What the bytes are.
    pub kind: Kind,
    /// The bytes themselves.
    pub bytes: &'a [u8],
    /// An optional line printed under the bytes (a decoded length, text...).
    pub note: Option<String>,
}

impl<'a> Field<'a> {
    /// A field with no note.
    pub fn new(name: &'static str, kind: Kind, bytes: &'a [u8]) -> Field<'a> {
        Field {
            name,
            kind,
            bytes,
            note: None,
        }
    }

    /// The same field with a note under it.
    pub fn with_note(mut self, note: impl Into<String>) -> Field<'a> {
        self.note = Some(note.into());
        self
    }
}

/// Whether to colour, and how much of each field to show.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    /// Emit ANSI colour codes.
    pub colour: bool,
    /// Bytes shown per field before the rest is summarised.
    pub field_limit: usize,
}

impl Style {
    /// Plain text, fields cut at [`DEFAULT_FIELD_LIMIT`] bytes.
    pub fn plain() -> Style {
        Style {
            colour: false,
            field_limit: DEFAULT_FIELD_LIMIT,
        }
    }

    /// Colour only if stdout is a terminal and `NO_COLOR` is unset.
    pub fn for_stdout(field_limit: usize) -> Style {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Style {
            colour,
            field_limit,
        }
    }

    /// `text` wrapped in the colour for `kind`, or unchanged without colour.
    pub fn paint(&self, kind: Kind, text: &str) -> String {
        if self.colour {
            format!("\x1b[{}m{text}\x1b[0m", kind.ansi())
        } else {
            text.to_string()
        }
    }

    /// `text` in bold, or unchanged without colour.
    pub fn bold(&self, text: &str) -> String {
        if self.colour {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Renders a heading line and the fields under it, offsets counted from the
/// first byte of the first field.
pub fn render(heading: &str, fields: &[Field<'_>], style: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.bold(heading));
    let mut offset = 0;
    for field in fields {
        render_field(&mut out, field, offset, style);
        offset += field.bytes.len();
    }
    out
}

/// One field: name, then hex lines, then the "more bytes" summary and note.
fn render_field(out: &mut String, field: &Field<'_>, start: usize, style: &Style) {
    let shown = field.bytes.get(..style.field_limit).unwrap_or(field.bytes);
    let name = format!("{:<NAME_WIDTH$}", field.name);
    let blank = " ".repeat(NAME_WIDTH);
    if shown.is_empty() {
        let _ = writeln!(
            out,
            "  {}  {start:04x}  (empty)",
            style.paint(field.kind, &name)
        );
    }
    for (i, line) in shown.chunks(BYTES_PER_LINE).enumerate() {
        let label = if i == 0 {
            style.paint(field.kind, &name)
        } else {
            blank.clone()
        };
        let offset = start + i * BYTES_PER_LINE;
        let hex = style.paint(field.kind, &format!("{:<47}", hex_line(line)));
        let _ = writeln!(out, "  {label}  {offset:04x}  {hex}  {}", ascii(line));
    }
    if let Some(hidden) = field
        .bytes
        .len()
        .checked_sub(shown.len())
        .filter(|&n| n > 0)
    {
        let _ = writeln!(out, "  {blank}  ... {hidden} more bytes");
    }
    if let Some(note) = &field.note {
        let _ = writeln!(out, "  {blank}  {note}");
    }
}

/// `00 27 5b ...`: the bytes of one line, space separated.
fn hex_line(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The printable-ASCII column: anything else becomes a dot.
fn ascii(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        })
        .collect()
}

/// Queues a report (Eve's dump, Mallory's log) for stdout, whole, without
/// ever waiting: a relay must not stop because nobody reads the report.
pub fn print(text: &str) {
    crate::runtime::output::print(crate::runtime::output::Stream::Stdout, text.to_string());
}

/// Where a tool's report goes: Eve's dumps, Mallory's log.
///
/// The programs print to stdout; the tour runs Eve and Mallory in its own
/// process and reads their reports back, so it keeps them in memory.
#[derive(Clone, Debug, Default)]
pub enum Sink {
    /// Queued for stdout with [`print()`], never waiting: the programs.
    #[default]
    Stdout,
    /// Appended to a string the caller reads: the tour. Unbounded, so
    /// only for the short conversations the tour itself makes.
    Memory(Arc<Mutex<String>>),
}

impl Sink {
    /// An empty in-memory sink.
    pub fn memory() -> Sink {
        Sink::Memory(Arc::default())
    }

    /// Hands over one piece of a report (whole lines).
    pub fn print(&self, text: &str) {
        match self {
            Sink::Stdout => print(text),
            Sink::Memory(kept) => lock(kept).push_str(text),
        }
    }

    /// Everything kept so far (nothing, for stdout).
    pub fn text(&self) -> String {
        match self {
            Sink::Stdout => String::new(),
            Sink::Memory(kept) => lock(kept).clone(),
        }
    }
}

/// Takes the lock even if a relay thread died holding it: a string stays
/// usable.
fn lock(kept: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    kept.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `00 27 5b`: bytes as space-separated hex, for one-line reports.
pub fn hex_spaced(bytes: &[u8]) -> String {
    hex_line(bytes)
}

/// Bytes as a quoted string, terminal-safe (see `runtime::output::preview`)
/// and cut after `limit` bytes: how readable text is shown beside its hex.
pub fn quoted(bytes: &[u8], limit: usize) -> String {
    format!("\"{}\"", crate::runtime::output::preview(bytes, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_get_names_offsets_hex_and_ascii() {
        let record = [0x00, 0x05, b'h', b'e', b'l', b'l', b'o'];
        let fields = [
            Field::new("length", Kind::Length, &record[..2]).with_note("= 5"),
            Field::new("payload", Kind::Plaintext, &record[2..]),
        ];
        let text = render("client -> server  record #1", &fields, &Style::plain());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "client -> server  record #1");
        assert!(
            lines[1].starts_with("  length       0000  00 05 "),
            "{text}"
        );
        assert!(lines[2].trim_start().starts_with("= 5"), "{text}");
        assert!(lines[3].starts_with("  payload      0002  68 65 6c 6c 6f"));
        assert!(lines[3].ends_with("  hello"), "{text}");
        assert!(!text.contains('\x1b'), "no colour in plain style");
    }

    #[test]
    fn long_fields_wrap_and_are_cut() {
        let bytes: Vec<u8> = (0..100).collect();
        let style = Style {
            colour: false,
            field_limit: 32,
        };
        let text = render(
            "h",
            &[Field::new("ciphertext", Kind::Ciphertext, &bytes)],
            &style,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[2].contains(" 0010  10 11 "),
            "second line at offset 16"
        );
        assert!(lines[3].contains("... 68 more bytes"));
    }

    #[test]
    fn colour_wraps_labels_when_asked() {
        let style = Style {
            colour: true,
            field_limit: 16,
        };
        let text = render("h", &[Field::new("tag", Kind::Tag, &[1, 2])], &style);
        assert!(text.contains("\x1b[35m"), "{text:?}");
    }

    #[test]
    fn quoted_escapes_and_cuts() {
        assert_eq!(quoted(b"a\nb", 10), "\"a\\nb\"");
        assert_eq!(quoted(b"abcdef", 3), "\"abc... (6 bytes)\"");
        assert_eq!(quoted(b"\x1b[2J", 10), "\"\\x1b[2J\"");
    }
}
