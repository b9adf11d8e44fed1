//! The terminal renderer: how Eve's blocks (`annotate.rs`) become the text
//! she prints.
//!
//! One block is printed as a heading (the connection, the direction arrow
//! and what the bytes are) and then one paragraph per field, each with its
//! name, its offset inside the unit, sixteen bytes of hex per line and the
//! printable ASCII beside them. This is exactly what Eve prints for a
//! 41-byte lesson 9 record (the example runs as a test, so it cannot go
//! stale):
//!
//! ```
//! use tls::tools::annotate::{Annotated, Block, Heading, UnitKind};
//! use tls::tools::eve::record_fields;
//! use tls::tools::hexdump::{Style, render};
//! use tls::tools::tap::{Direction, Lesson};
//!
//! let record = vec![
//!     0x00, 0x27, // length: 39
//!     0x5b, 0x0e, 0x91, 0xc4, 0x7a, 0x2d, 0x18, 0xf0, 0x33, 0x6a, 0x9c, 0x01, // nonce
//!     0xc1, 0x7f, 0x20, 0x9a, 0x55, 0xe3, 0x0b, 0x48, 0xd2, 0x6c, 0x1f, // ciphertext
//!     0x8e, 0x44, 0xa0, 0x1b, 0x3c, 0x7d, 0x92, 0x5f, // tag...
//!     0xe6, 0x08, 0xb1, 0x2a, 0x4f, 0x70, 0xc3, 0x19,
//! ];
//! let heading = Heading {
//!     connection: 1,
//!     direction: Direction::ClientToServer,
//!     lesson: Some(Lesson::EncryptedEcho),
//!     unit: UnitKind::Record { number: 1 },
//!     text: "record #1, 41 bytes".into(),
//! };
//! let fields = record_fields(Lesson::EncryptedEcho, &record);
//! let block = Block::new(heading, Annotated::new(record, fields));
//! assert_eq!(
//!     render(&block, &Style::plain()),
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

use crate::tools::annotate::{Annotated, Block, Field, Heading, Kind};

/// Bytes shown per hex line.
pub const BYTES_PER_LINE: usize = 16;
/// How many bytes of one field are shown before the rest is summarised.
/// A 200 KB message would otherwise scroll past as thousands of lines.
pub const DEFAULT_FIELD_LIMIT: usize = 64;
/// Characters of a message's plaintext shown in a note, by every tool.
pub const TEXT_LIMIT: usize = 200;
/// Width of the field-name column.
const NAME_WIDTH: usize = 11;

/// The ANSI colour a kind of field is painted in: one colour per kind, so
/// the eye finds every nonce, every tag, every readable byte.
fn ansi(kind: Kind) -> &'static str {
    match kind {
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
            format!("\x1b[{}m{text}\x1b[0m", ansi(kind))
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

/// A whole block: its heading, its fields and, under them, what a key log
/// decrypted (a second set of fields, with offsets of its own: the
/// plaintext is not on the wire).
pub fn render(block: &Block, style: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.bold(&heading_line(&block.heading)));
    out.push_str(&render_fields(&block.wire, style));
    if let Some(decrypted) = &block.decrypted {
        let _ = writeln!(out, "{}", style.bold(&format!("  {}", decrypted.title)));
        out.push_str(&render_fields(&decrypted.content, style));
    }
    out
}

/// `#1 client -> server  lesson 9 record #1, 41 bytes`.
pub fn heading_line(heading: &Heading) -> String {
    let lesson = heading
        .lesson
        .map(|lesson| format!("{lesson} "))
        .unwrap_or_default();
    format!(
        "#{} {}  {lesson}{}",
        heading.connection, heading.direction, heading.text
    )
}

/// The field paragraphs of `annotated`, each line ending in a newline.
pub fn render_fields(annotated: &Annotated, style: &Style) -> String {
    let mut out = String::new();
    for (offset, field, bytes) in annotated.parts() {
        render_field(&mut out, field, bytes, offset, style);
    }
    out
}

/// One field: name, then hex lines, then the "more bytes" summary and note.
fn render_field(out: &mut String, field: &Field, bytes: &[u8], start: usize, style: &Style) {
    // A peer picks the sizes: a 16 MiB lesson 2 record would be a million
    // lines. Only the first `field_limit` bytes are drawn, and the rest is
    // counted, so the output stays proportional to what a reader can use.
    let shown = bytes.get(..style.field_limit).unwrap_or(bytes);
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
        // Offsets are into the unit, as the lesson's own diagrams count
        // them: the first byte of the length prefix is 0000.
        let offset = start + i * BYTES_PER_LINE;
        let hex = style.paint(field.kind, &format!("{:<47}", hex_line(line)));
        let _ = writeln!(out, "  {label}  {offset:04x}  {hex}  {}", ascii(line));
    }
    if let Some(hidden) = bytes.len().checked_sub(shown.len()).filter(|&n| n > 0) {
        let _ = writeln!(out, "  {blank}  ... {hidden} more bytes");
    }
    // The note is the decoded meaning (a length's value, a message's name),
    // under the bytes it explains.
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

/// The printable-ASCII column: anything else becomes a dot. A peer's
/// bytes reach the terminal only this way or quoted, never raw, so they
/// cannot carry escape sequences to the reader's screen.
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
    use crate::tools::annotate::tests::block;

    #[test]
    fn fields_get_names_offsets_hex_and_ascii() {
        let record = [0x00, 0x05, b'h', b'e', b'l', b'l', b'o'];
        let fields = vec![
            Field::new("length", Kind::Length, &record[..2]).with_note("= 5"),
            Field::new("payload", Kind::Plaintext, &record[2..]),
        ];
        let text = render(&block(&record, fields), &Style::plain());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "#1 client -> server  h");
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
        let fields = vec![Field::new("ciphertext", Kind::Ciphertext, &bytes)];
        let text = render(&block(&bytes, fields), &style);
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
        let fields = vec![Field::new("tag", Kind::Tag, &[1, 2])];
        let text = render(&block(&[1, 2], fields), &style);
        assert!(text.contains("\x1b[35m"), "{text:?}");
    }

    #[test]
    fn quoted_escapes_and_cuts() {
        assert_eq!(quoted(b"a\nb", 10), "\"a\\nb\"");
        assert_eq!(quoted(b"abcdef", 3), "\"abc... (6 bytes)\"");
        assert_eq!(quoted(b"\x1b[2J", 10), "\"\\x1b[2J\"");
    }
}
