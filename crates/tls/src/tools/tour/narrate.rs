//! What the tour says at each stop: a few lines, all taken from the runs.
//!
//! ```text
//! Lesson 3: AES-256-CTR under a shared key  (lessons/03-ctr-channel.md)
//!   new: encryption, under one key built into both programs
//!   the client sent "GET /transfer?to=bob&amount=100 HTTP/1.1" and got it back
//!   Eve saw:
//!     client -> server  record #1, 60 bytes         <- her own dump,
//!       length       0000  00 00 00 38     ...8        the client's first
//!       ...                                            record
//!   Eve reads  fails  the request appears nowhere in what she printed
//!   flip       works  the server read "GET /transfer?to=bob&amount=900 HTTP/1.1"
//!   ...
//! ```
//!
//! Keys and nonces change on every run; the shape of the text does not.

use crate::runtime::output::{PREVIEW_BYTES, preview};
use crate::tools::annotate::{Block, UnitKind};
use crate::tools::hexdump::render;
use crate::tools::tap::Direction;
use crate::tools::tour::lessons::{Demo, Row};
use crate::tools::tour::scenario::{REQUEST, Run, eve_style};
use crate::tools::tour::table::Palette;
use crate::tools::tour::verdict::{Column, Verdict};

/// The longest line of Eve's dump the tour shows; longer ones (a note
/// quoting a whole binary record) are cut.
const MAX_LINE: usize = 100;

/// The text for one echo lesson.
pub fn row(row: &Row, honest: &Run, verdicts: &[(Column, Verdict)], palette: Palette) -> String {
    let mut out = title(
        &format!("Lesson {}: {}", row.label, row.title),
        row.text,
        palette,
    );
    out.push_str(&format!("  new: {}\n", row.adds));
    out.push_str(&format!("  {}\n", honest_summary(honest)));
    out.push_str("  Eve saw:\n");
    for line in eve_excerpt(&honest.blocks) {
        out.push_str(&format!("    {line}\n"));
    }
    let width = Column::ALL
        .iter()
        .map(|c| c.heading().len())
        .max()
        .unwrap_or(0);
    for (column, verdict) in verdicts {
        let word = palette.verdict(verdict, &format!("{:<5}", verdict.word()));
        out.push_str(&format!(
            "  {:<width$}  {word}  {}\n",
            column.heading(),
            verdict.detail()
        ));
    }
    out
}

/// The text for a demonstration lesson: its program, to run by hand.
pub fn demo(demo: &Demo, palette: Palette) -> String {
    let mut out = title(
        &format!("Lesson {}: {}", demo.number, demo.title),
        Some(demo.text),
        palette,
    );
    out.push_str(&format!(
        "  a demonstration without a server; run it: cargo run -p tls --bin {}\n",
        demo.program
    ));
    out
}

fn title(title: &str, text: Option<&str>, palette: Palette) -> String {
    match text {
        Some(text) => format!("{}  ({text})\n", palette.bold(title)),
        None => format!("{}\n", palette.bold(title)),
    }
}

/// One line on the honest run: did the client get its line back?
fn honest_summary(honest: &Run) -> String {
    let sent = format!("the client sent \"{}\"", preview(REQUEST, PREVIEW_BYTES));
    let mut expected = REQUEST.to_vec();
    expected.push(b'\n');
    match &honest.client {
        Ok(printed) if *printed == expected => format!("{sent} and got it back"),
        Ok(printed) => format!(
            "{sent} and got back \"{}\"",
            preview(printed, PREVIEW_BYTES)
        ),
        Err(why) => format!("{sent}; it failed: {why}"),
    }
}

/// What to show of what Eve saw: the headings of what came before the
/// client's first record or chunk (the handshake, if any), then that
/// record as she dumped it. Blocks are picked by what they are, not by
/// reading her text.
pub fn eve_excerpt(blocks: &[Block]) -> Vec<String> {
    let mut lines = Vec::new();
    for block in blocks {
        let heading = &block.heading;
        // Without the connection number and the lesson: the tour already
        // says which.
        lines.push(cut(&format!("{}  {}", heading.direction, heading.text)));
        let first_data = heading.direction == Direction::ClientToServer
            && matches!(heading.unit, UnitKind::Record { .. } | UnitKind::Chunk);
        if first_data {
            // Her field lines, as she prints them, under the heading.
            let text = render(block, &eve_style());
            lines.extend(text.lines().skip(1).map(|line| cut(line.trim_end())));
            return lines;
        }
    }
    if lines.is_empty() {
        lines.push("(nothing)".to_string());
    }
    lines
}

/// A line cut to [`MAX_LINE`] characters.
fn cut(line: &str) -> String {
    if line.chars().count() <= MAX_LINE {
        return line.to_string();
    }
    let kept: String = line.chars().take(MAX_LINE - 3).collect();
    format!("{kept}...")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::annotate::{Annotated, Field, Heading, Kind};
    use crate::tools::tap::Lesson;

    fn block(direction: Direction, unit: UnitKind, text: &str, bytes: &[u8]) -> Block {
        let heading = Heading {
            connection: 1,
            direction,
            lesson: Some(Lesson::EncryptedEcho),
            unit,
            text: text.into(),
        };
        let fields = vec![Field::new("key", Kind::PublicKey, bytes).with_note("a note")];
        Block::new(heading, Annotated::new(bytes.to_vec(), fields))
    }

    #[test]
    fn the_excerpt_is_the_handshake_then_the_first_client_record() {
        let record = UnitKind::Record { number: 1 };
        let blocks = [
            block(
                Direction::ClientToServer,
                UnitKind::Handshake,
                "handshake: client's X25519 public key",
                &[0x11, 0x22],
            ),
            block(
                Direction::ServerToClient,
                UnitKind::Handshake,
                "handshake: server's X25519 public key",
                &[0x33],
            ),
            block(
                Direction::ServerToClient,
                record,
                "record #1, 2 bytes",
                &[0x44],
            ),
            block(
                Direction::ClientToServer,
                record,
                "record #1, 2 bytes",
                &[0xaa, 0xbb],
            ),
            block(
                Direction::ClientToServer,
                UnitKind::Record { number: 2 },
                "record #2, 2 bytes",
                &[0xcc],
            ),
        ];
        assert_eq!(
            eve_excerpt(&blocks),
            [
                "client -> server  handshake: client's X25519 public key",
                "server -> client  handshake: server's X25519 public key",
                "server -> client  record #1, 2 bytes",
                "client -> server  record #1, 2 bytes",
                "  key          0000  aa bb                                            ..",
                "               a note",
            ]
        );
    }

    #[test]
    fn long_lines_are_cut_and_an_empty_report_says_so() {
        let long = "x".repeat(300);
        let blocks = [block(
            Direction::ClientToServer,
            UnitKind::Chunk,
            &long,
            b"x",
        )];
        let lines = eve_excerpt(&blocks);
        assert_eq!(lines[0].chars().count(), MAX_LINE);
        assert!(lines[0].ends_with("..."));
        assert_eq!(eve_excerpt(&[]), ["(nothing)"]);
    }
}
