//! The benchmark program runs on a tiny workload and prints its whole table.
//!
//! Benchmarks are not timed tests: this checks that every contender and
//! every measurement works and yields a figure, never how big it is.

use std::process::Command;

/// The cells between the `|` of a table row, trimmed.
fn cells(line: &str) -> Vec<&str> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

/// `12,345` or `0.022` as a number.
fn number(cell: &str) -> f64 {
    cell.replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("{cell:?} is not a number"))
}

#[test]
fn quick_run_prints_every_row_with_real_figures() {
    let out = Command::new(env!("CARGO_BIN_EXE_bench"))
        .arg("--quick")
        .output()
        .expect("cannot run the bench program");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bench --quick failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = |label: &str| -> Vec<&str> {
        let line = stdout
            .lines()
            .find(|line| line.starts_with(&format!("| {label}")))
            .unwrap_or_else(|| panic!("no row {label:?} in:\n{stdout}"));
        cells(line)
    };

    // Lesson 9's three contenders, each with a positive figure, and both ratios.
    for label in [
        "64-byte round trips/s",
        "bulk echo MB/s",
        "connect + handshake + echo /s",
    ] {
        let cells = row(label);
        assert_eq!(cells.len(), 7, "{label}: {cells:?}");
        for figure in &cells[1..4] {
            assert!(number(figure) > 0.0, "{label}: {cells:?}");
        }
        assert!(cells[4].ends_with('x') && cells[5].ends_with('x'));
        assert!(cells[6].ends_with(": met") || cells[6].ends_with(": MISSED"));
    }

    // Lesson 11 and rustls in lesson 11's configuration, measured in the
    // same run, and their ratio.
    assert!(
        stdout.contains("lesson 11 vs rustls 0.23, both TLS 1.3 with CHACHA20_POLY1305_SHA256, X25519 only, an Ed25519 certificate"),
        "{stdout}"
    );
    for label in [
        "TLS 1.3 64-byte round trips/s",
        "TLS 1.3 connect + handshake + echo /s",
    ] {
        let cells = row(label);
        assert_eq!(cells.len(), 4, "{label}: {cells:?}");
        for figure in &cells[1..3] {
            assert!(number(figure) > 0.0, "{label}: {cells:?}");
        }
        let ratio = number(cells[3].trim_end_matches('x'));
        assert!(ratio > 0.0, "{label}: {cells:?}");
    }

    // The real server program, measured with its clients connected.
    let memory = row("server RSS, 20 idle clients");
    let mib = memory[2].split_whitespace().next().unwrap_or_default();
    assert!(number(mib) > 0.0, "{memory:?}");

    // The Nagle trap: four ways to send a record, each timed.
    for label in [
        "1 write per record, TCP_NODELAY (lesson 9)",
        "1 write per record, Nagle on",
        "3 writes per record, TCP_NODELAY",
        "3 writes per record, Nagle on",
    ] {
        assert!(number(row(label)[1]) > 0.0, "{label}");
    }
}
