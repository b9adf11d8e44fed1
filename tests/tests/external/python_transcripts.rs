//! The transcript known answers in `crates/tls/tests/transcripts.rs` were
//! printed by the Python peers. This checks that running the commands that
//! file names still prints exactly the constants committed there, so the
//! first tier's expected bytes really are the independent peers' bytes.

use std::process::Command;

use e2e::*;

/// Runs a Python peer with `args` and returns what it printed.
fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(python_peer(script))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{script}: {}", text(&out.stderr));
    text(&out.stdout)
}

fn committed() -> String {
    std::fs::read_to_string(workspace_root().join("crates/tls/tests/transcripts.rs")).unwrap()
}

/// `printed` must appear, whole and unchanged, in transcripts.rs, and the
/// file must name the command that printed it.
fn assert_committed(printed: &str, command: &str) {
    let file = committed();
    assert!(
        file.contains(command),
        "transcripts.rs does not name `{command}`"
    );
    assert!(printed.starts_with("const "), "{printed}");
    assert!(
        file.contains(printed.trim_end()),
        "the output of `{command}` is not what transcripts.rs holds; \
         paste it in again:\n{printed}"
    );
}

#[test]
fn lesson3_transcript_is_what_the_python_peer_prints() {
    let printed = python("ctr_peer.py", &["transcript"]);
    assert_committed(&printed, "python3 tests/python/ctr_peer.py transcript");
}

#[test]
fn lesson9_transcript_is_what_the_python_peer_prints() {
    let printed = python("lesson9_peer.py", &["transcript", "--nonce", "counter"]);
    assert_committed(
        &printed,
        "python3 tests/python/lesson9_peer.py transcript --nonce counter",
    );
    assert_eq!(printed.matches("const LESSON9_").count(), 2, "{printed}");
}

#[test]
fn lesson9_transcript_refuses_random_nonces() {
    let out = Command::new("python3")
        .arg(python_peer("lesson9_peer.py"))
        .args(["transcript", "--nonce", "random"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("counter nonces only"));
}
