//! The texts promise commands; this checks that every program they name
//! exists, so a learner never copies a `cargo run` that cannot work.

use std::fs;
use std::path::{Path, PathBuf};

use e2e::workspace_root;

fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            markdown_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
}

/// Every `--bin NAME` in a `cargo run` line of the given text.
fn programs_named(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.contains("cargo run"))
        .flat_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words
                .windows(2)
                .filter(|w| w[0] == "--bin")
                .map(|w| {
                    w[1].trim_matches(|c: char| c == '`' || c == ')' || c == ',')
                        .to_string()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_cargo_run_names_a_real_program() {
    let root = workspace_root();
    let mut files = vec![root.join("README.md")];
    markdown_files(&root.join("lessons"), &mut files);
    let mut checked = 0;
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for name in programs_named(&text) {
            let source = root.join("crates/tls/src/bin").join(format!("{name}.rs"));
            assert!(
                source.exists(),
                "{} runs `--bin {name}`, but there is no {}",
                file.display(),
                source.display()
            );
            checked += 1;
        }
    }
    // The README alone names the lesson 9 pair.
    assert!(checked >= 2, "found only {checked} cargo run commands");
}

#[test]
fn the_checker_sees_program_names() {
    let names = programs_named(
        "x\n  cargo run -p tls --bin 9-echo-server --addr a\n`cargo run --bin eve`)",
    );
    assert_eq!(names, ["9-echo-server", "eve"]);
}
