//! `tour`, the course's first command: the real program, run as a learner
//! runs it. It needs nothing started first, uses no fixed port, finishes in
//! seconds, and ends with a table whose every cell is a run it just made;
//! here that table must say what the course claims, lesson by lesson.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use e2e::{assert_usage_error, run_client, text, workspace_root};

/// What the tour's table must say: for each row, Eve reads, flip, replay,
/// reflect, mitm. These are the outcomes the spec states and the other
/// end-to-end tests (mallory.rs, lesson05.rs, lesson10.rs) prove one by one.
const EXPECTED: &[(&str, [&str; 5])] = &[
    ("1", ["works", "works", "—", "works", "—"]),
    ("2", ["works", "works", "works", "works", "—"]),
    ("3", ["fails", "works", "works", "works", "—"]),
    ("5", ["fails", "fails", "fails", "works", "—"]),
    ("9", ["fails", "fails", "works", "fails", "works"]),
    (
        "9 --nonce counter",
        ["fails", "fails", "fails", "fails", "works"],
    ),
    (
        "10 --nonce counter",
        ["fails", "fails", "fails", "fails", "fails"],
    ),
    // Until the tools cut TLS records, lesson 11 is watched, not attacked.
    ("11", ["fails", "fails", "fails", "fails", "fails"]),
];

/// The table at the end of the tour's output: label -> its five cells.
fn table(stdout: &str) -> BTreeMap<String, Vec<String>> {
    let mut lines = stdout
        .lines()
        .skip_while(|line| !(line.starts_with("lesson ") && line.contains("Eve reads")));
    let heading = lines.next().expect("no table in the output");
    let columns: Vec<&str> = cells(heading);
    assert_eq!(
        columns,
        ["lesson", "Eve reads", "flip", "replay", "reflect", "mitm"]
    );
    lines
        .take_while(|line| line.starts_with(|c: char| c.is_ascii_digit()))
        .map(|line| {
            let mut cells = cells(line).into_iter().map(str::to_string);
            let label = cells.next().unwrap_or_default();
            (label, cells.collect())
        })
        .collect()
}

/// The lines of the README's ```text block whose first line starts with
/// `first`.
fn readme_block(first: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let block: Vec<String> = readme
        .split("```text\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(block, _)| block))
        .find(|block| block.starts_with(first))
        .unwrap_or_else(|| panic!("no README block starting with {first:?}"))
        .lines()
        .map(str::to_string)
        .collect();
    block
}

/// A table line's cells: they are separated by two spaces or more.
fn cells(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect()
}

fn expected(labels: &[&str]) -> BTreeMap<String, Vec<String>> {
    EXPECTED
        .iter()
        .filter(|(label, _)| labels.is_empty() || labels.contains(label))
        .map(|(label, words)| {
            let words = words.iter().map(|w| w.to_string()).collect();
            (label.to_string(), words)
        })
        .collect()
}

#[test]
fn the_whole_tour_runs_in_seconds_and_its_table_says_what_the_course_claims() {
    // Hold the course's port while the tour runs (if nobody else does
    // already): the tour must not need it.
    let _port_7878 = TcpListener::bind("127.0.0.1:7878");
    let started = Instant::now();
    let out = run_client("tour", &[], b"");
    let took = started.elapsed();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(took < Duration::from_secs(30), "the tour took {took:?}");
    assert_eq!(table(&stdout), expected(&[]), "{stdout}");
    // The README shows this table as it is printed.
    let readme = readme_block("lesson ");
    let printed: Vec<&str> = stdout
        .lines()
        .skip_while(|line| *line != readme[0])
        .take(readme.len())
        .collect();
    assert_eq!(printed, readme, "{stdout}");
    // Every lesson 1-11 has its stop, in order.
    let stops: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("Lesson "))
        .filter_map(|rest| rest.split([':', ' ']).next())
        .collect();
    assert_eq!(
        stops,
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "9", "10", "11"],
        "{stdout}"
    );
    // Piped: no colour codes. The servers' and tools' own log lines stay
    // off stderr; the tour says everything on stdout.
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn lesson_3_alone_runs_only_lesson_3() {
    let out = run_client("tour", &["--lesson", "3"], b"");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let stops: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("Lesson "))
        .collect();
    assert_eq!(
        stops,
        ["Lesson 3: AES-256-CTR under a shared key  (lessons/03-ctr-channel.md)"]
    );
    assert_eq!(table(&stdout), expected(&["3"]), "{stdout}");
    // The README's excerpt is this output: every line but the random
    // nonce and ciphertext bytes.
    for line in readme_block("Lesson 3: ") {
        let random = line.starts_with("      nonce ") || line.starts_with("      ciphertext ");
        assert!(
            random || stdout.contains(&line),
            "{line:?} not in\n{stdout}"
        );
    }
    // What Eve saw is her own dump of the client's first record.
    assert!(
        stdout.contains("client -> server  record #1, 60 bytes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("= 56: nonce(16) + ciphertext(40)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "flip       works  the server read \"GET /transfer?to=bob&amount=900 HTTP/1.1\""
        ),
        "{stdout}"
    );
}

#[test]
fn a_wrong_flag_or_lesson_is_a_usage_error() {
    assert_usage_error(&run_client("tour", &["--lessen", "3"], b""), "--lesson");
    assert_usage_error(&run_client("tour", &["--lesson", "12"], b""), "1..=11");
    assert_usage_error(
        &run_client("tour", &["--lesson", "x"], b""),
        "invalid value",
    );
}

#[test]
fn step_reads_enter_from_stdin_and_help_names_the_flags() {
    let out = run_client("tour", &["--lesson", "9", "--step"], b"\n\n");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert_eq!(stdout.matches("[Enter: ").count(), 2, "{stdout}");
    assert_eq!(table(&stdout), expected(&["9", "9 --nonce counter"]));

    let help = text(&run_client("tour", &["--help"], b"").stdout);
    for flag in ["--lesson <N>", "--step", "7878"] {
        assert!(help.contains(flag), "{help}");
    }
}
