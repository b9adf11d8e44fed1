//! The tour's verdicts come from runs, not from a list: weaken a lesson and
//! its row changes. Also the tour's own flow (`--lesson`, `--step`), driven
//! through the library with an in-memory terminal.

use std::io::Cursor;

use tls::lesson05_mac::SeqCheck;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::runtime::output::{self, Stream};
use tls::tools::mallory::Attack;
use tls::tools::tour::lessons::{Row, Wire, row};
use tls::tools::tour::table::Palette;
use tls::tools::tour::verdict::{Column, Verdict};
use tls::tools::tour::{TourOptions, explore, tour};

/// The servers and tools the tour runs log each connection on stderr; the
/// verdicts carry everything these tests look at, so keep the log quiet.
fn quiet() {
    output::redirect(Stream::Stderr, std::io::sink());
}

fn words(row: &Row) -> Vec<&'static str> {
    let findings = explore(row).unwrap();
    Column::ALL
        .iter()
        .map(|column| findings.verdict(*column).unwrap().word())
        .collect()
}

#[test]
fn switching_lesson5s_seq_check_off_lets_the_replay_through() {
    quiet();
    let lesson5 = *row("5").unwrap();
    let replay = Column::Attack(Attack::Replay);
    let defended = explore(&lesson5).unwrap();
    assert!(
        matches!(defended.verdict(replay), Some(Verdict::Fails(why)) if why.contains("wrong sequence number")),
        "{:?}",
        defended.verdict(replay)
    );

    // The same lesson, the server run as `5-mac-echo-server --no-seq-check`.
    let weakened = Row {
        wire: Wire::Mac(SeqCheck::InsecurelySkipped),
        ..lesson5
    };
    let findings = explore(&weakened).unwrap();
    assert_eq!(
        findings.verdict(replay),
        Some(&Verdict::Works("the server read the request twice".into()))
    );
    // Only the replay cell moved: the mac still refuses the flip.
    assert_eq!(words(&lesson5), ["fails", "fails", "fails", "works", "—"]);
    assert_eq!(words(&weakened), ["fails", "fails", "works", "works", "—"]);
}

#[test]
fn lesson9_replay_depends_on_the_nonce_mode_of_the_run() {
    quiet();
    let random = *row("9").unwrap();
    let counter = Row {
        wire: Wire::Encrypted(NonceMode::Counter),
        ..random
    };
    let replay = Column::Attack(Attack::Replay);
    assert_eq!(
        explore(&random).unwrap().verdict(replay).unwrap().word(),
        "works"
    );
    assert_eq!(
        explore(&counter).unwrap().verdict(replay).unwrap().word(),
        "fails"
    );
}

/// Runs the tour through the library and returns what it printed.
fn tour_text(lesson: Option<u8>, step: bool, enter: &str) -> (String, usize) {
    let options = TourOptions {
        lesson,
        step,
        palette: Palette::plain(),
    };
    let mut out = Vec::new();
    let lines = tour(
        &options,
        &mut out,
        &mut Cursor::new(enter.as_bytes().to_vec()),
    )
    .unwrap();
    (String::from_utf8(out).unwrap(), lines.len())
}

#[test]
fn one_lesson_gives_one_stop_and_its_rows() {
    quiet();
    let (text, rows) = tour_text(Some(10), false, "");
    assert_eq!(rows, 1);
    assert!(text.contains("Lesson 10 --nonce counter: "), "{text}");
    assert!(!text.contains("Lesson 9"), "{text}");
    assert!(
        text.contains("handshake: server's Ed25519 signature"),
        "{text}"
    );
}

#[test]
fn a_demo_lesson_names_its_program_and_has_no_table() {
    quiet();
    let (text, rows) = tour_text(Some(4), false, "");
    assert_eq!(rows, 0);
    assert!(
        text.contains("cargo run -p tls --bin 4-ctr-malleability"),
        "{text}"
    );
    assert!(!text.contains("Eve reads"), "{text}");
}

#[test]
fn step_waits_for_enter_and_ctrl_d_runs_the_rest() {
    quiet();
    // Lesson 9 has two rows: one prompt between them, one before the table.
    let (text, _) = tour_text(Some(9), true, "\n\n");
    assert_eq!(text.matches("[Enter: ").count(), 2, "{text}");
    assert!(text.contains("[Enter: lesson 9 --nonce counter;"), "{text}");
    assert!(text.contains("[Enter: the table;"), "{text}");
    // End of input at the first prompt: no more prompts, the rest still runs.
    let (text, rows) = tour_text(Some(9), true, "");
    assert_eq!(text.matches("[Enter: ").count(), 1, "{text}");
    assert_eq!(rows, 2);
    // Without --step, no prompt at all.
    let (text, _) = tour_text(Some(9), false, "\n\n");
    assert!(!text.contains("[Enter: "), "{text}");
}
