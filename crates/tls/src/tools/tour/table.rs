//! The summary table at the end of the tour, and the tour's colours.
//!
//! ```text
//! lesson              Eve reads  flip   replay  reflect  mitm
//! 3                   fails      works  works   works    —
//! 5                   fails      fails  fails   works    —
//! ```
//!
//! Every cell is a [`Verdict`] from a run made a moment earlier; the table
//! only lays them out. Cells are separated by at least two spaces, so a
//! script (or a test) can split a line back into its cells.
//!
//! Colour marks who won: red where the attack works, green where a defence
//! held. It is only used on a terminal, and never with `NO_COLOR` set
//! (the same rule as Eve's hex dumps); every fact is in the words anyway.

use std::fmt::Write as _;

use crate::tools::hexdump::Style;
use crate::tools::tour::verdict::{Column, Verdict};

/// The first column's heading.
pub const LESSON_HEADING: &str = "lesson";
/// What separates two cells.
const GAP: &str = "  ";

/// Whether to colour the tour's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    colour: bool,
}

impl Palette {
    /// Colour only if stdout is a terminal and `NO_COLOR` is unset.
    pub fn for_stdout() -> Palette {
        Palette {
            colour: Style::for_stdout(0).colour,
        }
    }

    /// No colour at all.
    pub fn plain() -> Palette {
        Palette { colour: false }
    }

    /// `text` in bold.
    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    /// `text` (a verdict's word, padded) in the verdict's colour: red when
    /// the attack works, green when it fails, dim when it was not run.
    pub fn verdict(&self, verdict: &Verdict, text: &str) -> String {
        let code = match verdict {
            Verdict::Works(_) => "1;31",
            Verdict::Fails(_) => "32",
            Verdict::NotRun(_) => "2",
        };
        self.paint(code, text)
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// One line of the table: a row's label and its verdicts, in
/// [`Column::ALL`] order.
#[derive(Clone, Debug)]
pub struct Line {
    /// The row's label (`"9 --nonce counter"`).
    pub label: &'static str,
    /// One verdict per column.
    pub verdicts: Vec<Verdict>,
}

/// The table: a heading line, then one line per row.
pub fn render(lines: &[Line], palette: Palette) -> String {
    // Widths from the plain text, before any colour codes go in.
    let label_width = lines
        .iter()
        .map(|line| line.label.chars().count())
        .chain([LESSON_HEADING.len()])
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = Column::ALL
        .iter()
        .map(|column| column.heading().len().max("works".len()))
        .collect();

    let mut out = String::new();
    let mut heading = format!("{LESSON_HEADING:<label_width$}");
    for (column, width) in Column::ALL.iter().zip(&widths) {
        let _ = write!(heading, "{GAP}{:<width$}", column.heading());
    }
    let _ = writeln!(out, "{}", palette.bold(heading.trim_end()));
    for line in lines {
        let _ = write!(out, "{:<label_width$}", line.label);
        let last = line.verdicts.len().saturating_sub(1);
        for (i, (verdict, width)) in line.verdicts.iter().zip(&widths).enumerate() {
            // No padding after the last cell: no trailing spaces.
            let cell = if i == last {
                verdict.word().to_string()
            } else {
                format!("{:<width$}", verdict.word())
            };
            let _ = write!(out, "{GAP}{}", palette.verdict(verdict, &cell));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(label: &'static str, words: [&str; 5]) -> Line {
        let verdicts = words
            .iter()
            .map(|word| match *word {
                "works" => Verdict::Works(String::new()),
                "fails" => Verdict::Fails(String::new()),
                _ => Verdict::NotRun(""),
            })
            .collect();
        Line { label, verdicts }
    }

    #[test]
    fn cells_line_up_and_split_back_on_two_spaces() {
        let lines = [
            line("3", ["fails", "works", "works", "works", "—"]),
            line(
                "9 --nonce counter",
                ["fails", "fails", "fails", "fails", "works"],
            ),
        ];
        let text = render(&lines, Palette::plain());
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(
            rows,
            [
                "lesson             Eve reads  flip   replay  reflect  mitm",
                "3                  fails      works  works   works    —",
                "9 --nonce counter  fails      fails  fails   fails    works",
            ]
        );
        let cells: Vec<&str> = rows[2]
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(
            cells,
            [
                "9 --nonce counter",
                "fails",
                "fails",
                "fails",
                "fails",
                "works"
            ]
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let lines = [line("1", ["works", "works", "—", "works", "—"])];
        assert!(!render(&lines, Palette::plain()).contains('\x1b'));
        let coloured = render(&lines, Palette { colour: true });
        assert!(coloured.contains("\x1b[1;31mworks"), "{coloured:?}");
        assert!(coloured.contains("\x1b[2m—"), "{coloured:?}");
    }
}
