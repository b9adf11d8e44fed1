//! Eve on lesson 11: her record cutter and her TLS 1.3 view, on bytes
//! a hostile peer chooses.
//!
//! Eve reads both directions of any connection pointed at her, so nothing
//! on the wire may panic her. The input is read twice: as raw wire bytes
//! (the first byte says where the client's direction ends and the server's
//! begins; chunk sizes vary), and as the *content* of records sealed under
//! secrets a key log gives her, so that what she shows after decrypting
//! (handshake messages, alerts, data) is fuzzed too.

#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use tls::lesson11_real_tls13::LEGACY_VERSION;
use tls::lesson11_real_tls13::client_hello;
use tls::lesson11_real_tls13::key_schedule::Secret;
use tls::lesson11_real_tls13::keylog::{SERVER_HANDSHAKE_LABEL, SERVER_TRAFFIC_LABEL, format_line};
use tls::lesson11_real_tls13::padding::Padding;
use tls::lesson11_real_tls13::protection::RecordKey;
use tls::lesson11_real_tls13::record::{self, ContentType};
use tls::tools::annotate::Block;
use tls::tools::eve::{EveOptions, View};
use tls::tools::hexdump::{Style, render};
use tls::tools::sink::Sink;
use tls::tools::tap::{Direction, Lesson};

const RANDOM: [u8; 32] = [1; 32];
const HANDSHAKE: [u8; 32] = [2; 32];
const APPLICATION: [u8; 32] = [3; 32];

/// A key log holding the server's two secrets for RANDOM, written once.
fn keylog() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = PathBuf::from("target").join("eve11.keylog");
        let text = [
            format_line(
                SERVER_HANDSHAKE_LABEL,
                &RANDOM,
                &Secret::from_bytes(HANDSHAKE),
            ),
            format_line(
                SERVER_TRAFFIC_LABEL,
                &RANDOM,
                &Secret::from_bytes(APPLICATION),
            ),
        ]
        .concat();
        std::fs::write(&path, text).expect("write the key log");
        path
    })
}

/// Blocks as Eve prints them.
fn shown(blocks: Vec<Block>) -> String {
    blocks.iter().map(|b| render(b, &Style::plain())).collect()
}

fn view(keylog: Option<PathBuf>) -> View {
    let options = Arc::new(EveOptions {
        lesson: Lesson::RealTls13,
        keylog,
        style: Style::plain(),
        // The view returns its blocks; nothing here prints them.
        sink: Sink::memory(),
    });
    View::new(1, &options)
}

fuzz_target!(|data: &[u8]| {
    // 1. Raw wire bytes, both directions, in uneven chunks.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(pick).wrapping_mul(rest.len()) / 256;
    let (c2s, s2c) = rest.split_at(split.min(rest.len()));
    let mut raw = view(None);
    let piece = usize::from(pick % 61) + 1;
    for chunk in c2s.chunks(piece) {
        let _ = shown(raw.observe(Direction::ClientToServer, chunk));
    }
    for chunk in s2c.chunks(piece + 3) {
        let _ = shown(raw.observe(Direction::ServerToClient, chunk));
    }
    let _ = shown(raw.finish());

    // 2. The input as the content of the server's encrypted records.
    let content = rest.get(..record::MAX_PLAINTEXT_LEN).unwrap_or(rest);
    let mut keyed = view(Some(keylog().clone()));
    let mut hello = Vec::new();
    let message = client_hello::encode(&RANDOM, &[9; 32], Some("localhost"));
    record::push_plaintext(&mut hello, ContentType::Handshake, LEGACY_VERSION, &message);
    let _ = keyed.observe(Direction::ClientToServer, &hello);
    let inner = match pick % 4 {
        0 => ContentType::Handshake,
        1 => ContentType::Alert,
        2 => ContentType::ApplicationData,
        _ => ContentType::ChangeCipherSpec,
    };
    let mut wire = Vec::new();
    let mut key = RecordKey::new(&Secret::from_bytes(HANDSHAKE));
    key.seal(inner, content, Padding::NONE, &mut wire)
        .expect("fits");
    key.seal(
        ContentType::Handshake,
        content,
        Padding::to_multiple_of(64),
        &mut wire,
    )
    .expect("fits");
    RecordKey::new(&Secret::from_bytes(APPLICATION))
        .seal(inner, content, Padding::NONE, &mut wire)
        .expect("fits");
    // The model and the terminal renderer, both driven.
    let text = shown(keyed.observe(Direction::ServerToClient, &wire));
    assert!(text.contains("decrypted with the key log"), "{text}");
});
