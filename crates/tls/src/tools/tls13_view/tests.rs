//! Tests for the TLS 1.3 view: fields, decryption with the logged secrets, key phases.

use super::*;
use crate::lesson11_real_tls13::client_hello;
use crate::lesson11_real_tls13::handshake_type;
use crate::lesson11_real_tls13::key_schedule::next_traffic_secret;
use crate::lesson11_real_tls13::padding::Padding;
use crate::lesson11_real_tls13::protection::RecordKey;
use crate::lesson11_real_tls13::record;
use crate::lesson11_real_tls13::server_messages::{encode_finished, encode_key_update};
use crate::tools::hexdump::{Style, render};

const RANDOM: [u8; RANDOM_LEN] = [7; RANDOM_LEN];

fn plaintext(content_type: ContentType, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    record::push_plaintext(&mut out, content_type, LEGACY_VERSION, content);
    out
}

fn sealed(secret: &Secret, sequence: u64, content_type: ContentType, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    RecordKey::at_sequence(secret, sequence)
        .seal(content_type, content, Padding::NONE, &mut out)
        .unwrap();
    out
}

/// A view that has seen a ClientHello and holds the server's secrets
/// already (as if read from a key log; the path is never opened).
fn keyed_view(handshake: &Secret, application: &Secret) -> Tls13View {
    let mut view = Tls13View::new(Some(PathBuf::from("never-read.log")));
    let hello = client_hello::encode(&RANDOM, &[9; 32], None);
    view.describe(
        1,
        Direction::ClientToServer,
        1,
        plaintext(ContentType::Handshake, &hello),
    );
    assert_eq!(view.client_random(), Some(RANDOM));
    view.secrets.server_handshake = Some(handshake.clone());
    view.secrets.server_traffic = Some(application.clone());
    view
}

/// A server record, rendered as Eve prints it.
fn s2c(view: &mut Tls13View, number: u64, record: &[u8]) -> String {
    let block = view.describe(1, Direction::ServerToClient, number, record.to_vec());
    render(&block, &Style::plain())
}

#[test]
fn alerts_and_change_cipher_spec_in_the_clear_are_named() {
    let mut view = Tls13View::new(None);
    let text = s2c(&mut view, 1, &plaintext(ContentType::Alert, &[2, 40]));
    assert!(text.contains("record #1: alert, 7 bytes"), "{text}");
    assert!(
        text.contains("fatal handshake_failure (40), in the clear"),
        "{text}"
    );
    let text = s2c(
        &mut view,
        2,
        &plaintext(ContentType::ChangeCipherSpec, &[1]),
    );
    assert!(text.contains("record #2: change_cipher_spec"), "{text}");
    assert!(text.contains("a dummy for middleboxes"), "{text}");
    let text = s2c(
        &mut view,
        3,
        &plaintext(ContentType::ChangeCipherSpec, &[2]),
    );
    assert!(text.contains("a receiver refuses it"), "{text}");
    let text = s2c(&mut view, 4, &plaintext(ContentType::Alert, &[2]));
    assert!(
        text.contains("a malformed alert (1 bytes, not 2)"),
        "{text}"
    );
}

#[test]
fn a_message_longer_than_its_record_is_followed_into_the_next() {
    let mut view = Tls13View::new(None);
    // A 40-byte Certificate body announced, 20 bytes sent, then the rest
    // with a Finished behind it.
    let mut message = vec![handshake_type::CERTIFICATE, 0, 0, 40];
    message.extend([0xaa; 40]);
    let (first, second) = message.split_at(24);
    let text = s2c(&mut view, 1, &plaintext(ContentType::Handshake, first));
    assert!(
        text.contains("Certificate, 40 bytes (continues in the next record: 20 more bytes)"),
        "{text}"
    );
    let mut rest = second.to_vec();
    rest.extend(encode_finished(&[1; 32]));
    let text = s2c(&mut view, 2, &plaintext(ContentType::Handshake, &rest));
    assert!(
        text.contains("the rest of a handshake message begun in an earlier record"),
        "{text}"
    );
    assert!(text.contains("Finished, 32 bytes"), "{text}");
    // Three bytes cannot be a handshake header.
    let text = s2c(
        &mut view,
        3,
        &plaintext(ContentType::Handshake, &[20, 0, 0]),
    );
    assert!(
        text.contains("a handshake header cut by the end of the record"),
        "{text}"
    );
}

#[test]
fn finished_and_key_update_move_to_the_next_secret_and_restart_the_count() {
    let handshake = Secret::from_bytes([1; 32]);
    let application = Secret::from_bytes([2; 32]);
    let updated = next_traffic_secret(&application);
    let mut view = keyed_view(&handshake, &application);
    let records = [
        sealed(&handshake, 0, ContentType::Handshake, &[8, 0, 0, 2, 0, 0]),
        sealed(
            &handshake,
            1,
            ContentType::Handshake,
            &encode_finished(&[3; 32]),
        ),
        sealed(&application, 0, ContentType::ApplicationData, b"first"),
        sealed(
            &application,
            1,
            ContentType::Handshake,
            &encode_key_update(false),
        ),
        sealed(
            &updated,
            0,
            ContentType::ApplicationData,
            b"after the update",
        ),
    ];
    let text: String = records
        .iter()
        .enumerate()
        .map(|(i, r)| s2c(&mut view, i as u64 + 2, r))
        .collect();
    for expected in [
        "(SERVER_HANDSHAKE_TRAFFIC_SECRET, sequence 0): handshake",
        "EncryptedExtensions, 2 bytes",
        "(SERVER_HANDSHAKE_TRAFFIC_SECRET, sequence 1): handshake",
        "(SERVER_TRAFFIC_SECRET_0, sequence 0): application_data",
        "(key log) \"first\"",
        "KeyUpdate, 1 bytes: the sender moves to its next secret (update_requested = false)",
        "(SERVER_TRAFFIC_SECRET_0 after 1 KeyUpdate(s), sequence 0): application_data",
        "(key log) \"after the update\"",
    ] {
        assert!(text.contains(expected), "no {expected:?} in:\n{text}");
    }
    assert!(!text.contains("does not decrypt"), "{text}");
}

#[test]
fn a_missed_finished_is_found_by_trying_the_application_secret() {
    let handshake = Secret::from_bytes([1; 32]);
    let application = Secret::from_bytes([2; 32]);
    let mut view = keyed_view(&handshake, &application);
    // The flight went by unseen; the first record Eve sees is data.
    let record = sealed(&application, 0, ContentType::ApplicationData, b"hello");
    let text = s2c(&mut view, 6, &record);
    assert!(
        text.contains("(SERVER_TRAFFIC_SECRET_0, sequence 0): application_data"),
        "{text}"
    );
    // A record sealed under no logged secret does not open, and says so.
    let stranger = sealed(
        &Secret::from_bytes([5; 32]),
        1,
        ContentType::ApplicationData,
        b"x",
    );
    let text = s2c(&mut view, 7, &stranger);
    assert!(
        text.contains("does not decrypt with the logged SERVER_TRAFFIC_SECRET_0 at sequence 1"),
        "{text}"
    );
}
