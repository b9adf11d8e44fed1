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
use crate::tools::tap::Lesson;
use crate::tools::tour::lessons::{Demo, Row};
use crate::tools::tour::scenario::{REQUEST, Run};
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
    for line in eve_excerpt(&honest.report, row.tap) {
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

/// What to show of Eve's report: the headings of what came before the
/// client's first record or chunk (the handshake, if any), then that
/// record as she dumped it.
pub fn eve_excerpt(report: &str, tap: Lesson) -> Vec<String> {
    let mut lines = Vec::new();
    for block in blocks(report) {
        let Some((heading, fields)) = block.split_first() else {
            continue;
        };
        let heading = tidy_heading(heading, tap);
        lines.push(cut(&heading));
        let first_data = heading.starts_with("client -> server")
            && (heading.contains(" record #") || heading.contains(" chunk,"));
        if first_data {
            // Her field lines keep their own indent under the heading.
            lines.extend(fields.iter().map(|field| cut(field.trim_end())));
            return lines;
        }
    }
    if lines.is_empty() {
        lines.push("(nothing)".to_string());
    }
    lines
}

/// Eve's report as blocks: a heading line (it starts in the first column)
/// and the indented lines under it.
fn blocks(report: &str) -> Vec<Vec<&str>> {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in report.lines() {
        match blocks.last_mut() {
            Some(block) if line.starts_with(' ') => block.push(line),
            _ => blocks.push(vec![line]),
        }
    }
    blocks
}

/// `#1 client -> server  lesson 3 record #1, 60 bytes` without the
/// connection number and the lesson (the tour already says which):
/// `client -> server  record #1, 60 bytes`.
fn tidy_heading(heading: &str, tap: Lesson) -> String {
    let heading = match heading.split_once(' ') {
        Some((number, rest)) if number.starts_with('#') => rest,
        _ => heading,
    };
    heading.replacen(&format!("{tap} "), "", 1)
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

    const LESSON9: &str = "\
#1 client -> server  lesson 9 handshake: client's X25519 public key
  client key   0000  11 22
               sent in the clear; useless without the matching secret
#1 server -> client  lesson 9 handshake: server's X25519 public key
  server key   0000  33 44
#1 client -> server  lesson 9 record #1, 70 bytes
  length       0000  00 44                                            .D
               = 68: nonce(12) + ciphertext(40) + tag(16)
  nonce        0002  aa bb
#1 server -> client  lesson 9 record #1, 70 bytes
  length       0000  00 44                                            .D
";

    #[test]
    fn the_excerpt_is_the_handshake_then_the_first_client_record() {
        let lines = eve_excerpt(LESSON9, Lesson::EncryptedEcho);
        assert_eq!(
            lines,
            [
                "client -> server  handshake: client's X25519 public key",
                "server -> client  handshake: server's X25519 public key",
                "client -> server  record #1, 70 bytes",
                "  length       0000  00 44                                            .D",
                "               = 68: nonce(12) + ciphertext(40) + tag(16)",
                "  nonce        0002  aa bb",
            ]
        );
    }

    #[test]
    fn long_lines_are_cut_and_an_empty_report_says_so() {
        let report = format!(
            "#1 client -> server  lesson 1 chunk, 300 bytes\n  text  {}\n",
            "x".repeat(300)
        );
        let lines = eve_excerpt(&report, Lesson::Plaintext);
        assert_eq!(lines[0], "client -> server  chunk, 300 bytes");
        assert_eq!(lines[1].chars().count(), MAX_LINE);
        assert!(lines[1].ends_with("..."));
        assert_eq!(eve_excerpt("", Lesson::Records), ["(nothing)"]);
    }
}
