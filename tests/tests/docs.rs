//! The texts promise commands, files and tests; this checks that each one
//! they cite exists, so a learner never copies a `cargo run` that cannot
//! work or looks for a test that is not there.
//!
//! These kinds of citation are checked, in README.md, SECURITY.md,
//! BENCHMARKS.md, fuzz/README.md and every text under lessons/:
//!
//! - `--bin NAME`: a program `crates/*/src/bin/NAME.rs`;
//! - `--test NAME` (in a `cargo test` command): a test target, a file
//!   `tests/NAME.rs` of some package or a `[[test]]` named so;
//! - a file path in backticks or a markdown link (`crates/tls/src/...`,
//!   `lessons/wireshark/lesson9.lua`, `../SECURITY.md`): the file or
//!   folder exists;
//! - a test, `file.rs::test_name` (or `path/file.rs::test_name`), and the
//!   bare names that continue such a list (`a.rs::one`, `two`, `three`): a
//!   file of that name has `fn test_name`;
//! - an item, `module::NAME` or `module::tests::name` (a leading `tls::` is
//!   dropped), where `module` is one of our source files or folders: that
//!   file or folder defines `NAME` (a fn, const, type, module or variant).
//!
//! The counts at the bottom are exact on purpose: if a change to a text
//! makes the checker see fewer citations than before (a format it no longer
//! recognises), the test says so instead of passing on nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use e2e::workspace_root;

/// The texts a learner reads.
fn texts() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files: Vec<PathBuf> = [
        "README.md",
        "SECURITY.md",
        "BENCHMARKS.md",
        "fuzz/README.md",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    markdown_files(&root.join("lessons"), &mut files);
    files
}

fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            markdown_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "md") {
            found.push(path);
        }
    }
}

/// Every `--bin NAME` in the text.
fn programs_named(text: &str) -> Vec<String> {
    named_after(text, "--bin")
}

/// Every `--test NAME` in the text: a test target of some package.
fn test_targets_named(text: &str) -> Vec<String> {
    named_after(text, "--test")
}

/// Every word that follows `flag` in the text.
fn named_after(text: &str, flag: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0].trim_start_matches('`') == flag)
        .map(|w| {
            w[1].trim_matches(|c: char| "`),.;:".contains(c))
                .to_string()
        })
        .collect()
}

/// True if a package of the workspace has a test target `name`: a file
/// `tests/NAME.rs`, or a `[[test]]` of that name in its Cargo.toml. A
/// quoted pattern such as `'external_*'` (cargo's glob) must match at
/// least one `[[test]]` name.
fn test_target_exists(root: &Path, name: &str) -> bool {
    let name = name.trim_matches('\'');
    ["crates/tls", "crates/bench", "tests"]
        .iter()
        .any(|package| {
            let dir = root.join(package);
            let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
            match name.strip_suffix('*') {
                Some(prefix) => manifest.contains(&format!("name = \"{prefix}")),
                None => {
                    dir.join("tests").join(format!("{name}.rs")).exists()
                        || manifest.contains(&format!("name = \"{name}\""))
                }
            }
        })
}

/// Everything between backticks on one line, in order.
fn backticked(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// The targets of markdown links, `[text](target)`, that are not web links
/// or anchors.
fn link_targets(line: &str) -> Vec<&str> {
    line.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &line[at + 2..];
            let end = rest.find(')')?;
            let target = rest[..end].split('#').next().unwrap_or("");
            (!target.is_empty() && !target.contains("://") && !target.starts_with("mailto:"))
                .then_some(target)
        })
        .collect()
}

/// The top-level names a repository path in the texts may start with.
const ROOTS: [&str; 7] = [
    "crates/", "lessons/", "tests/", "fuzz/", ".ci/", ".cargo/", "../",
];

/// Whether a backticked token is meant as a path in this repository.
fn looks_like_path(token: &str) -> bool {
    let plain = token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c));
    plain
        && !token.contains("::")
        && (ROOTS.iter().any(|r| token.starts_with(r))
            || [
                "README.md",
                "SECURITY.md",
                "BENCHMARKS.md",
                "Cargo.toml",
                "Cargo.lock",
                "rust-toolchain.toml",
            ]
            .contains(&token))
}

/// `file.rs::name` split into the file and the name.
fn test_citation(token: &str) -> Option<(&str, &str)> {
    let (file, name) = token.split_once(".rs::")?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_/".contains(c))
    };
    (ok(file) && ok(name) && !name.contains('/')).then_some((file, name))
}

/// A bare `snake_case_name` continuing a list of test citations.
fn is_bare_test_name(token: &str) -> bool {
    token.contains('_')
        && token
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `module::a::NAME` split into the module and the name, for tokens that
/// name code (not files, not test citations).
fn item_citation(token: &str) -> Option<(&str, &str)> {
    let token = token.strip_prefix("tls::").unwrap_or(token);
    let shape_ok = token.contains("::")
        && !token.contains(".rs")
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    if !shape_ok {
        return None;
    }
    let module = token.split("::").next()?;
    let name = token.rsplit("::").next()?;
    (!module.is_empty() && !name.is_empty()).then_some((module, name))
}

/// Crates and standard modules the texts may name; any other lower-case
/// `module::` must be one of ours.
const OUTSIDE_MODULES: [&str; 19] = [
    "std",
    "core",
    "io",
    "ctr",
    "aes",
    "chacha20poly1305",
    "x25519_dalek",
    "ed25519_dalek",
    "hkdf",
    "hmac",
    "sha2",
    "rustls",
    "webpki",
    "rcgen",
    "u8",
    "u16",
    "u32",
    "u64",
    "usize",
];

/// The files that define type `name` (`struct`, `enum` or `trait`).
fn type_files(files: &BTreeMap<String, Vec<PathBuf>>, name: &str) -> Vec<PathBuf> {
    files
        .values()
        .flatten()
        .filter(|path| {
            let source = fs::read_to_string(path).unwrap_or_default();
            ["struct", "enum", "trait"].iter().any(|kw| {
                [" ", "<", "(", ";", "{"]
                    .iter()
                    .any(|end| source.contains(&format!("{kw} {name}{end}")))
            })
        })
        .cloned()
        .collect()
}

/// The source files that make up module `module`: `module.rs`, or every file
/// in a folder `module/`.
fn module_files(files: &BTreeMap<String, Vec<PathBuf>>, module: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = files
        .get(&format!("{module}.rs"))
        .cloned()
        .unwrap_or_default();
    for paths in files.values() {
        for path in paths {
            let in_folder = path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|dir| dir == module);
            if in_folder {
                found.push(path.clone());
            }
        }
    }
    found
}

/// True if one of `sources` defines `name`.
fn defines(sources: &[PathBuf], name: &str) -> bool {
    sources.iter().any(|path| {
        let source = fs::read_to_string(path).unwrap_or_default();
        [
            "fn", "const", "struct", "enum", "type", "mod", "static", "trait",
        ]
        .iter()
        .any(|kw| {
            source.contains(&format!("{kw} {name}("))
                || source.contains(&format!("{kw} {name} "))
                || source.contains(&format!("{kw} {name}<"))
                || source.contains(&format!("{kw} {name}:"))
                || source.contains(&format!("{kw} {name};"))
        }) || source.contains(&format!(" as {name};"))
            || source.lines().any(|line| {
                let line = line.trim_start();
                line.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with([',', '(', ' ', '{']))
            })
    })
}

/// Every `.rs` file in the workspace (and fuzz/), by file name.
fn rust_files() -> BTreeMap<String, Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut BTreeMap<String, Vec<PathBuf>>) {
        for entry in fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    walk(&path, out);
                }
            } else if name.ends_with(".rs") {
                out.entry(name).or_default().push(path);
            }
        }
    }
    let root = workspace_root();
    let mut out = BTreeMap::new();
    for dir in ["crates", "tests", "fuzz"] {
        walk(&root.join(dir), &mut out);
    }
    out
}

/// True if a file named like `file` (a bare name, or a path ending in it)
/// defines `fn name`, itself or in the `tests.rs` beside it (`client.rs`'s
/// tests may live in `client/tests.rs`).
fn test_exists(files: &BTreeMap<String, Vec<PathBuf>>, file: &str, name: &str) -> bool {
    let base = file.rsplit('/').next().unwrap_or(file);
    let Some(candidates) = files.get(&format!("{base}.rs")) else {
        return false;
    };
    candidates
        .iter()
        .filter(|path| path.to_string_lossy().ends_with(&format!("{file}.rs")))
        .any(|path| {
            [path.clone(), path.with_extension("").join("tests.rs")]
                .iter()
                .any(|file| {
                    let source = fs::read_to_string(file).unwrap_or_default();
                    source.contains(&format!("fn {name}("))
                })
        })
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Checked {
    programs: usize,
    test_targets: usize,
    paths: usize,
    tests: usize,
    items: usize,
}

#[test]
fn every_cited_program_path_and_test_exists() {
    let root = workspace_root();
    let files = rust_files();
    let mut checked = Checked::default();
    let mut missing = Vec::new();
    for text_file in texts() {
        let text = fs::read_to_string(&text_file).unwrap();
        let shown = text_file.strip_prefix(&root).unwrap().display().to_string();
        let here = text_file.parent().unwrap();

        for name in programs_named(&text) {
            checked.programs += 1;
            let found = ["tls", "bench"].iter().any(|krate| {
                root.join("crates")
                    .join(krate)
                    .join("src/bin")
                    .join(format!("{name}.rs"))
                    .exists()
            });
            if !found {
                missing.push(format!("{shown}: `--bin {name}`: no such program"));
            }
        }

        for name in test_targets_named(&text) {
            checked.test_targets += 1;
            if !test_target_exists(&root, &name) {
                missing.push(format!("{shown}: `--test {name}`: no such test target"));
            }
        }

        for line in text.lines() {
            for target in link_targets(line) {
                checked.paths += 1;
                if !here.join(target).exists() {
                    missing.push(format!("{shown}: link to {target}: no such file"));
                }
            }
            let mut current_test_file: Option<&str> = None;
            let tokens = backticked(line);
            for (i, token) in tokens.iter().enumerate() {
                if let Some((file, name)) = test_citation(token) {
                    checked.tests += 1;
                    current_test_file = Some(file);
                    if !test_exists(&files, file, name) {
                        missing.push(format!("{shown}: `{token}`: no such test"));
                    }
                } else if let Some(file) = current_test_file.filter(|_| is_bare_test_name(token)) {
                    // Only a list continuation: `a.rs::x`, `y` or `a.rs::x` and `y`.
                    let between = line
                        .split('`')
                        .nth(2 * i)
                        .unwrap_or("")
                        .trim_end_matches(' ');
                    if [",", "and", ", and", ", or", "or"]
                        .iter()
                        .any(|sep| between.trim() == *sep)
                    {
                        checked.tests += 1;
                        if !test_exists(&files, file, token) {
                            missing
                                .push(format!("{shown}: `{token}` (in {file}.rs): no such test"));
                        }
                    } else {
                        current_test_file = None;
                    }
                } else if let Some((module, name)) = item_citation(token) {
                    current_test_file = None;
                    // `Type::member`: checked where the type is one of ours.
                    let sources = if module.starts_with(|c: char| c.is_ascii_uppercase()) {
                        type_files(&files, module)
                    } else {
                        module_files(&files, module)
                    };
                    if sources.is_empty() {
                        let ours = module.starts_with(|c: char| c.is_ascii_lowercase())
                            && !OUTSIDE_MODULES.contains(&module);
                        if ours {
                            checked.items += 1;
                            missing.push(format!("{shown}: `{token}`: no module {module}"));
                        }
                        continue;
                    }
                    checked.items += 1;
                    if !defines(&sources, name) {
                        missing.push(format!("{shown}: `{token}`: {module} has no {name}"));
                    }
                } else if looks_like_path(token) {
                    current_test_file = None;
                    checked.paths += 1;
                    let path = if token.starts_with("../") {
                        here.join(token)
                    } else {
                        root.join(token)
                    };
                    if !path.exists() {
                        missing.push(format!("{shown}: `{token}`: no such file"));
                    }
                } else {
                    current_test_file = None;
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    // Update these when a text gains or loses citations.
    assert_eq!(
        checked,
        Checked {
            programs: 100,
            test_targets: 38,
            paths: 208,
            tests: 163,
            items: 138,
        },
        "the texts' citations changed: check the list above is right, then update the counts"
    );
}

#[test]
fn the_checker_sees_each_kind_of_citation() {
    let names = programs_named(
        "x\n  cargo run -p tls --bin 9-echo-server --addr a\n`cargo run --bin eve`)",
    );
    assert_eq!(names, ["9-echo-server", "eve"]);
    let targets = test_targets_named("cargo test -p e2e --test lesson9 --test `keylog`.");
    assert_eq!(targets, ["lesson9", "keylog"]);
    let root = workspace_root();
    assert!(test_target_exists(&root, "lesson9"));
    assert!(test_target_exists(&root, "aes_ctr_vectors"));
    assert!(test_target_exists(&root, "external_python_lesson03"));
    assert!(!test_target_exists(&root, "ctr_interop"));
    assert!(test_target_exists(&root, "'external_*'"));
    assert!(!test_target_exists(&root, "'nonexistent_*'"));
    assert_eq!(
        backticked("see `crates/tls/src/lib.rs` and `a.rs::b`, `c`"),
        ["crates/tls/src/lib.rs", "a.rs::b", "c"]
    );
    assert!(looks_like_path("crates/tls/src/lib.rs"));
    assert!(looks_like_path("../SECURITY.md"));
    assert!(!looks_like_path("127.0.0.1:7878"));
    assert!(!looks_like_path("/transfer?to=bob"));
    assert_eq!(
        test_citation("tests/tests/eve.rs::some_test"),
        Some(("tests/tests/eve", "some_test"))
    );
    assert_eq!(test_citation("record.rs"), None);
    assert_eq!(
        link_targets("[a](lessons/01-plaintext.md) [w](https://x.y/z) [s](#top)"),
        ["lessons/01-plaintext.md"]
    );
    let files = rust_files();
    assert!(test_exists(
        &files,
        "docs",
        "the_checker_sees_each_kind_of_citation"
    ));
    assert!(!test_exists(&files, "docs", "no_such_test_anywhere"));
    assert_eq!(
        item_citation("tls::lesson02_records::MAX_PAYLOAD_LEN"),
        Some(("lesson02_records", "MAX_PAYLOAD_LEN"))
    );
    assert_eq!(item_citation("a.rs::b"), None);
    let lesson2 = module_files(&files, "lesson02_records");
    assert!(defines(&lesson2, "MAX_PAYLOAD_LEN"));
    assert!(defines(
        &lesson2,
        "a_close_inside_a_record_is_truncation_between_records_is_clean"
    ));
    assert!(!defines(&lesson2, "MAX_RECORD_LEN"));
    assert!(defines(&module_files(&files, "tap"), "EncryptedEcho"));
    assert!(defines(&type_files(&files, "Handshake"), "finish"));
    assert!(type_files(&files, "NoSuchType").is_empty());
}
