//! The shape of the code, checked like any other claim.
//!
//! The course is read file by file, in course order, so its structure is
//! part of what it teaches. This test reads the `tls` crate's own imports
//! (no compiler involved: the source text, the way a reader follows it) and
//! holds them to three rules:
//!
//! 1. No import circles between files. A file that uses another which uses
//!    it back cannot be read first, and one of the two belongs elsewhere.
//! 2. Nothing a lesson or the runtime builds depends on the attacker's
//!    tools: `tools/` sits on top of the lessons, never under them.
//! 3. No source file longer than 400 lines (test files aside): one idea a
//!    file.
//!
//! What counts as an import: every `use` path and every path written out
//! in the code (`crate::runtime::output::preview(..)`), resolved to the file
//! that defines the module it names. A `pub use` in a folder's `mod.rs`
//! only hands a name on (it is the folder's face, not a use), so it draws
//! no arrow itself, and a path through it is followed to the file that
//! really defines the name. Test code (`tests.rs` files and everything
//! after a file's `#[cfg(test)]`) is left out: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use e2e::workspace_root;

/// The longest a source file may be.
const MAX_LINES: usize = 400;

/// A module's path inside the crate: `["tools", "proxy", "relay"]`.
type ModPath = Vec<String>;

/// One source file of the crate, as the checker sees it.
struct Source {
    /// Where it is, relative to the crate's `src/`, for messages.
    file: String,
    /// Its code, comments and test code removed.
    code: String,
}

/// Every file of the library crate (not its programs, which are crates of
/// their own), by module path.
fn crate_sources(src: &Path) -> BTreeMap<ModPath, Source> {
    let mut sources = BTreeMap::new();
    for path in rust_files(src) {
        let relative = path.strip_prefix(src).unwrap().to_path_buf();
        if relative.starts_with("bin") || is_test_file(&relative) {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        sources.insert(
            module_path(&relative),
            Source {
                file: relative.display().to_string(),
                code: without_tests(&text),
            },
        );
    }
    sources
}

/// All `.rs` files under `dir`, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// A file that holds only tests: `tests.rs` beside the code it tests.
fn is_test_file(relative: &Path) -> bool {
    relative.file_name().is_some_and(|name| name == "tests.rs")
}

/// `lib.rs` is the crate, `a/mod.rs` and `a.rs` are `a`, `a/b.rs` is `a::b`.
fn module_path(relative: &Path) -> ModPath {
    let mut parts: ModPath = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code a reader follows: up to the file's `#[cfg(test)]` (test
/// modules come last in this crate), without `//` comments.
fn without_tests(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// One `use` declaration: the paths it brings in, and whether it is a
/// `pub use` (a re-export).
struct Use {
    paths: Vec<ModPath>,
    public: bool,
}

/// The `use` declarations of a file's code, each written as rustfmt writes
/// them: at the start of a line, ending at the first `;`.
fn uses(code: &str) -> Vec<Use> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some((at, public)) = find_use(rest) {
        let after = &rest[at + "use ".len()..];
        let end = after.find(';').unwrap_or(after.len());
        found.push(Use {
            paths: expand(&tidy(&after[..end])),
            public,
        });
        rest = &after[end..];
    }
    found
}

/// Where the next `use` keyword stands at the start of a line (after
/// indentation), and whether a `pub`, `pub(crate)` or `pub(super)` makes it
/// a re-export.
fn find_use(code: &str) -> Option<(usize, bool)> {
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let body = line.trim_start();
        let unexported = ["pub(crate) ", "pub(super) ", "pub "]
            .iter()
            .find_map(|p| body.strip_prefix(p));
        let public = unexported.is_some();
        let body = unexported.unwrap_or(body);
        if body.starts_with("use ") {
            return Some((offset + line.len() - body.len(), public));
        }
        offset += line.len();
    }
    None
}

/// A use tree on one line, without the spaces rustfmt puts around its
/// punctuation: `a::{b, c as d}` reads `a::{b,c as d}`.
fn tidy(tree: &str) -> String {
    let mut text = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    for mark in ["::", "{", "}", ","] {
        text = text.replace(&format!(" {mark}"), mark);
        text = text.replace(&format!("{mark} "), mark);
    }
    text
}

/// `a::{b, c::{d, e as f}, self}` becomes `a::b`, `a::c::d`, `a::c::e`, `a`.
fn expand(tree: &str) -> Vec<ModPath> {
    let Some(open) = tree.find('{') else {
        // `e as f` brings in `e`, under another name.
        return vec![segments(tree.split(" as ").next().unwrap_or(tree))];
    };
    let prefix = segments(tree[..open].trim_end_matches("::"));
    let inner = tree[open + 1..]
        .strip_suffix('}')
        .unwrap_or(&tree[open + 1..]);
    let mut paths = Vec::new();
    for branch in split_top_level(inner) {
        for mut tail in expand(branch) {
            if tail == ["self"] {
                tail.clear();
            }
            paths.push(prefix.iter().cloned().chain(tail).collect());
        }
    }
    paths
}

/// Splits `b,c::{d,e},f` at the commas that are not inside braces.
fn split_top_level(list: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// `crate::a::B` as `["crate", "a", "B"]`.
fn segments(path: &str) -> ModPath {
    path.split("::")
        .filter(|s| !s.is_empty())
        .map(|s| s.to_string())
        .collect()
}

/// The paths written out in code outside `use` lines: every `x::y` in the
/// text (`crate::x::y`, `super::z`, `child::item`, but also `std::mem` and
/// `Self::new`, which [`absolute`] then leaves out as not ours).
fn inline_paths(code: &str) -> Vec<ModPath> {
    let mut paths = Vec::new();
    let is_path_char = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    for line in code.lines() {
        if find_use(line).is_some() {
            continue;
        }
        let mut rest = line;
        while let Some(begin) = rest.find(|c: char| c.is_alphabetic() || c == '_') {
            let token_len = rest[begin..]
                .find(|c| !is_path_char(c))
                .unwrap_or(rest.len() - begin);
            let token = &rest[begin..begin + token_len];
            if token.contains("::") {
                paths.push(segments(token));
            }
            rest = &rest[begin + token_len..];
        }
    }
    paths
}

/// The crate's import graph: an arrow from each file to each file it uses.
struct Graph {
    /// File -> the files it imports, each with the path that made the arrow.
    arrows: BTreeMap<String, BTreeMap<String, String>>,
}

/// Reads every file's imports and resolves them to files.
fn graph(sources: &BTreeMap<ModPath, Source>) -> Graph {
    // What each module hands on: `pub use x::y::Name` lets `module::Name`
    // stand for `x::y::Name`.
    let mut faces: BTreeMap<ModPath, BTreeMap<String, ModPath>> = BTreeMap::new();
    for (module, source) in sources {
        for declaration in uses(&source.code).into_iter().filter(|u| u.public) {
            for path in declaration.paths {
                if let (Some(name), Some(absolute)) =
                    (path.last(), absolute(module, &path, sources))
                {
                    faces
                        .entry(module.clone())
                        .or_default()
                        .insert(name.clone(), absolute);
                }
            }
        }
    }
    let mut arrows: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (module, source) in sources {
        let private_uses = uses(&source.code)
            .into_iter()
            .filter(|u| !u.public)
            .flat_map(|u| u.paths);
        for path in private_uses.chain(inline_paths(&source.code)) {
            let Some(absolute) = absolute(module, &path, sources) else {
                continue; // another crate's path (std, clap, ...)
            };
            let Some(target) = defining_file(&absolute, sources, &faces) else {
                continue;
            };
            if target != source.file {
                arrows
                    .entry(source.file.clone())
                    .or_default()
                    .entry(target)
                    .or_insert_with(|| path.join("::"));
            }
        }
    }
    Graph { arrows }
}

/// A path as seen from `module`, made absolute (from the crate root), or
/// `None` if it names another crate.
fn absolute(
    module: &ModPath,
    path: &ModPath,
    sources: &BTreeMap<ModPath, Source>,
) -> Option<ModPath> {
    let mut base = module.clone();
    let mut rest = path.as_slice();
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("super") | Some("self") => {
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        Some(first) => {
            // A bare path is ours only if it starts with a child module.
            let mut child = module.clone();
            child.push(first.to_string());
            if !sources.contains_key(&child) {
                return None;
            }
        }
        None => return None,
    }
    Some(base.into_iter().chain(rest.iter().cloned()).collect())
}

/// The file that defines what `path` names: the longest prefix that is a
/// module, followed through that module's re-exports.
fn defining_file(
    path: &ModPath,
    sources: &BTreeMap<ModPath, Source>,
    faces: &BTreeMap<ModPath, BTreeMap<String, ModPath>>,
) -> Option<String> {
    let mut path = path.clone();
    // A re-export may lead to another; the crate has no chains longer than
    // a few, and a loop of re-exports would not compile.
    for _ in 0..8 {
        let module_len = (0..=path.len())
            .rev()
            .find(|&n| sources.contains_key(&path[..n]))?;
        let module = path[..module_len].to_vec();
        let handed_on = path
            .get(module_len)
            .and_then(|name| faces.get(&module).and_then(|face| face.get(name)));
        match handed_on {
            Some(source) if *source != path => {
                path = source
                    .iter()
                    .chain(path.get(module_len + 1..).unwrap_or_default())
                    .cloned()
                    .collect();
            }
            _ => return sources.get(&module).map(|s| s.file.clone()),
        }
    }
    None
}

impl Graph {
    /// Every circle, as the files on it, each found once.
    fn circles(&self) -> Vec<Vec<String>> {
        let mut circles = BTreeSet::new();
        for start in self.arrows.keys() {
            // The shortest way back to `start`, by breadth-first search.
            let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
            let mut frontier = vec![start.as_str()];
            'search: while !frontier.is_empty() {
                let mut next = Vec::new();
                for file in frontier {
                    for target in self.arrows.get(file).into_iter().flat_map(|a| a.keys()) {
                        if target == start {
                            let mut circle = vec![file.to_string()];
                            let mut at = file;
                            while let Some(&previous) = came_from.get(at) {
                                circle.push(previous.to_string());
                                at = previous;
                            }
                            circle.reverse();
                            // The same circle found from each of its files
                            // is kept once: rotated to its smallest name.
                            let least = circle.iter().enumerate().min_by_key(|(_, f)| *f);
                            let turn = least.map_or(0, |(i, _)| i);
                            circle.rotate_left(turn);
                            circles.insert(circle);
                            break 'search;
                        }
                        if target != start && !came_from.contains_key(target.as_str()) {
                            came_from.insert(target, file);
                            next.push(target.as_str());
                        }
                    }
                }
                frontier = next;
            }
        }
        circles.into_iter().collect()
    }

    /// Each circle said as `a.rs -> b.rs (path) -> a.rs`.
    fn describe(&self, circle: &[String]) -> String {
        let mut text = String::new();
        for (i, file) in circle.iter().enumerate() {
            let next = &circle[(i + 1) % circle.len()];
            let why = &self.arrows[file][next];
            text.push_str(&format!("{file} -> ({why}) "));
        }
        text.push_str(&circle[0]);
        text
    }

    /// Arrows from the lessons, the runtime and the crate's root files into
    /// `tools/`.
    fn arrows_into_tools(&self) -> Vec<String> {
        let mut wrong = Vec::new();
        for (file, targets) in &self.arrows {
            if file.starts_with("tools/") {
                continue;
            }
            for (target, why) in targets {
                if target.starts_with("tools/") {
                    wrong.push(format!("{file} -> {target} ({why})"));
                }
            }
        }
        wrong
    }
}

fn tls_sources() -> BTreeMap<ModPath, Source> {
    crate_sources(&workspace_root().join("crates/tls/src"))
}

#[test]
fn no_file_imports_itself_through_others() {
    let sources = tls_sources();
    let graph = graph(&sources);
    // The graph must have been read at all: a parser that found nothing
    // would pass every rule below.
    let arrows: usize = graph.arrows.values().map(BTreeMap::len).sum();
    assert!(
        arrows > 300,
        "only {arrows} arrows read: the parser is broken"
    );
    let circles: Vec<String> = graph.circles().iter().map(|c| graph.describe(c)).collect();
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn lessons_and_the_runtime_never_import_the_tools() {
    let graph = graph(&tls_sources());
    assert!(graph.arrows.contains_key("tools/eve/mod.rs"));
    let wrong = graph.arrows_into_tools();
    assert!(
        wrong.is_empty(),
        "arrows into tools/:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_source_file_is_longer_than_400_lines() {
    let root = workspace_root();
    let mut long = Vec::new();
    let mut read = 0;
    for folder in ["crates", "tests/src", "fuzz/fuzz_targets"] {
        for path in rust_files(&root.join(folder)) {
            let relative = path.strip_prefix(&root).unwrap();
            // Test files may be long: a table of cases reads best whole.
            let in_tests = relative.components().any(|c| c.as_os_str() == "tests");
            if in_tests || is_test_file(relative) || relative.starts_with("crates/target") {
                continue;
            }
            read += 1;
            let lines = fs::read_to_string(&path).unwrap().lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} has {lines} lines", relative.display()));
            }
        }
    }
    assert!(read > 100, "only {read} files read");
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The checker itself, on a made-up crate: it must find what it looks for.
mod checker {
    use super::*;

    fn made_up(files: &[(&str, &str)]) -> BTreeMap<ModPath, Source> {
        files
            .iter()
            .map(|(file, code)| {
                let module = module_path(Path::new(file));
                let source = Source {
                    file: file.to_string(),
                    code: without_tests(code),
                };
                (module, source)
            })
            .collect()
    }

    #[test]
    fn a_circle_through_a_use_group_and_an_inline_path_is_found() {
        let sources = made_up(&[
            ("lib.rs", "pub mod a;\npub mod b;\n"),
            ("a/mod.rs", "use crate::b::{self, Thing as Other};\n"),
            ("b.rs", "fn f() { crate::a::helper(); }\n"),
        ]);
        let graph = graph(&sources);
        let circles = graph.circles();
        assert_eq!(
            circles,
            vec![vec!["a/mod.rs".to_string(), "b.rs".to_string()]]
        );
        assert_eq!(
            graph.describe(&circles[0]),
            "a/mod.rs -> (crate::b) b.rs -> (crate::a::helper) a/mod.rs"
        );
    }

    #[test]
    fn a_re_export_is_followed_to_the_file_that_defines_the_name() {
        let sources = made_up(&[
            ("lib.rs", "pub mod p;\n"),
            (
                "p/mod.rs",
                "pub mod relay;\npub use relay::pump;\npub struct Pair;\n",
            ),
            ("p/relay.rs", "use crate::p::Pair;\n"),
            ("q.rs", "use crate::p::pump;\n"),
        ]);
        let graph = graph(&sources);
        // relay -> mod is a use; mod -> relay is only a face: no circle.
        assert!(graph.circles().is_empty());
        assert!(graph.arrows["q.rs"].contains_key("p/relay.rs"));
        assert!(!graph.arrows.contains_key("p/mod.rs"));
    }

    #[test]
    fn an_arrow_from_a_lesson_into_the_tools_is_found_and_tests_are_not_read() {
        let sources = made_up(&[
            ("lib.rs", ""),
            ("lesson01.rs", "use super::tools::hexdump;\n"),
            (
                "runtime/x.rs",
                "#[cfg(test)]\nmod tests { use crate::tools::y; }\n",
            ),
            ("tools/hexdump.rs", "// crate::runtime::x in a comment\n"),
            ("tools/y.rs", ""),
        ]);
        let graph = graph(&sources);
        assert_eq!(
            graph.arrows_into_tools(),
            vec!["lesson01.rs -> tools/hexdump.rs (super::tools::hexdump)".to_string()]
        );
        assert!(!graph.arrows.contains_key("tools/hexdump.rs"));
    }
}
