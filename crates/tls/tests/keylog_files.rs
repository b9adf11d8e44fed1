//! Key logs on disk: what `--keylog FILE` writes can be read back, and Eve
//! decrypts lesson 9 with it (and with nothing else).
//!
//! These tests write real files, so they live here rather than beside the
//! code: cargo gives integration tests a scratch folder inside `target/`
//! (`CARGO_TARGET_TMPDIR`), and nothing lands in the system's `/tmp`.

use std::path::PathBuf;
use std::sync::Arc;

use tls::lesson07_key_exchange::Handshake;
use tls::lesson08_key_split::Role;
use tls::lesson09_encrypted_echo::channel::SecureWriter;
use tls::lesson09_encrypted_echo::handshake::Session;
use tls::lesson09_encrypted_echo::keylog::{self, KeyLog};
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::runtime::message::MessageWriter;
use tls::tools::annotate::Block;
use tls::tools::eve::{EveOptions, View};
use tls::tools::hexdump::{Style, render};
use tls::tools::sink::Sink;
use tls::tools::tap::{Direction, Lesson};

/// Blocks as Eve prints them.
fn shown(blocks: Vec<Block>) -> String {
    blocks.iter().map(|b| render(b, &Style::plain())).collect()
}

/// A fresh path in cargo's scratch folder for this test binary.
fn scratch(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// Both ends of a real handshake, run in memory.
fn session() -> Session {
    let client = Handshake::new();
    let server = Handshake::new();
    let client_public = client.public_key();
    let server_public = server.public_key();
    let shared = client.finish(&server_public).unwrap();
    Session {
        keys: tls::lesson08_key_split::SessionKeys::derive(shared.as_bytes()),
        client_public,
        server_public,
    }
}

#[test]
fn a_key_log_is_appended_to_and_read_back() {
    let path = scratch("appended.keylog");
    let session = session();
    assert!(
        keylog::lookup(&path, &session.client_public)
            .unwrap()
            .is_none(),
        "a missing file has no keys"
    );
    let log = KeyLog::create(&path).unwrap();
    log.record(&session).unwrap();
    log.record(&session).unwrap();
    let found = keylog::lookup(&path, &session.client_public)
        .unwrap()
        .unwrap();
    assert_eq!(found.c2s.as_ref(), Some(session.keys.c2s()));
    assert_eq!(found.s2c.as_ref(), Some(session.keys.s2c()));
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 4);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn eve_decrypts_a_session_with_its_key_log_and_not_with_swapped_keys() {
    let path = scratch("eve.keylog");
    let session = session();
    let mut wire = session.client_public.to_vec();
    SecureWriter::new(&mut wire, &session.keys, Role::Client, NonceMode::Random)
        .write_message(b"attack at dawn")
        .unwrap();
    let options = Arc::new(EveOptions {
        lesson: Lesson::EncryptedEcho,
        keylog: Some(path.clone()),
        style: Style::plain(),
        sink: Sink::Stdout,
    });

    // The right log: Eve prints the plaintext beside the record.
    std::fs::write(
        &path,
        keylog::format_lines(
            &session.client_public,
            session.keys.c2s(),
            session.keys.s2c(),
        ),
    )
    .unwrap();
    let text = shown(View::new(1, &options).observe(Direction::ClientToServer, &wire));
    assert!(text.contains("client key"), "{text}");
    assert!(text.contains("(key log) \"attack at dawn\""), "{text}");

    // The same log with the two keys swapped: the tag refuses it.
    std::fs::write(
        &path,
        keylog::format_lines(
            &session.client_public,
            session.keys.s2c(),
            session.keys.c2s(),
        ),
    )
    .unwrap();
    let text = shown(View::new(2, &options).observe(Direction::ClientToServer, &wire));
    let _ = std::fs::remove_file(&path);
    assert!(
        text.contains("does not decrypt with the logged key"),
        "{text}"
    );
    assert!(!text.contains("attack at dawn"), "{text}");
}
