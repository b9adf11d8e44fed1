//! Lesson 11 records: the TLS 1.3 record layer a peer reaches first.
//!
//! The input is read as a record stream twice: by `Incoming` before any
//! key (plaintext handshake records, change_cipher_spec, alerts) and by an
//! `Incoming` already keyed for the application phase. Nothing may panic,
//! no application data may exceed 2^14 bytes, no handshake message our
//! limit. Random bytes almost never carry a valid tag, so the target also
//! seals the input itself (the first byte picks the sequence number and
//! the content type), checks it opens to the input, and that one flipped
//! bit is refused.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tls::lesson11_real_tls13::MAX_HANDSHAKE_MESSAGE_LEN;
use tls::lesson11_real_tls13::codec::HANDSHAKE_HEADER_LEN;
use tls::lesson11_real_tls13::incoming::{Incoming, Received};
use tls::lesson11_real_tls13::key_schedule::Secret;
use tls::lesson11_real_tls13::padding::Padding;
use tls::lesson11_real_tls13::protection::{RecordKey, open_with_traffic_secret};
use tls::lesson11_real_tls13::record::{ContentType, MAX_PLAINTEXT_LEN};
use tls::lesson11_real_tls13::tls_error::TlsError;

const SECRET: [u8; 32] = [0x42; 32];

/// Reads `data` with `incoming` until it ends or fails, checking limits.
fn drain(mut incoming: Incoming, data: &[u8]) {
    let mut reader = data;
    for _ in 0..10_000 {
        match incoming.next(&mut reader) {
            Ok(Received::ApplicationData) => {
                assert!(incoming.application_data().len() <= MAX_PLAINTEXT_LEN);
            }
            Ok(Received::Handshake(message)) => {
                assert!(message.bytes.len() <= HANDSHAKE_HEADER_LEN + MAX_HANDSHAKE_MESSAGE_LEN);
            }
            Ok(Received::CloseNotify | Received::Eof) | Err(_) => return,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let secret = Secret::from_bytes(SECRET);

    // Before any key: the server's view while it waits for a ClientHello.
    let mut plaintext = Incoming::new();
    plaintext.allow_compatibility_ccs();
    drain(plaintext, data);
    // During the handshake, keyed (the server reading the client Finished).
    let mut keyed = Incoming::new();
    keyed.set_key(&secret).expect("nothing buffered yet");
    drain(keyed, data);
    // After the handshake.
    drain(Incoming::established(&secret), data);

    // The input sealed honestly, then damaged by one bit.
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    if content.len() > MAX_PLAINTEXT_LEN {
        return;
    }
    let sequence = u64::from(pick);
    let content_type = match pick % 3 {
        0 => ContentType::ApplicationData,
        1 => ContentType::Handshake,
        _ => ContentType::Alert,
    };
    let mut record = Vec::new();
    // Padded to a multiple the input picks (0 and 1: none), so stripping
    // the padding is checked too.
    let padding = Padding::to_multiple_of(content.len() % 300);
    RecordKey::at_sequence(&secret, sequence)
        .seal(content_type, content, padding, &mut record)
        .expect("fits in one record");
    let (opened_type, opened) =
        open_with_traffic_secret(&SECRET, sequence, &record).expect("opens");
    assert_eq!(opened_type, content_type as u8);
    assert_eq!(opened, content);
    // Any other sequence number is a different nonce: refused.
    assert_eq!(
        open_with_traffic_secret(&SECRET, sequence.wrapping_add(1), &record),
        Err(TlsError::BadRecordMac)
    );
    let at = usize::from(pick).wrapping_mul(31) % record.len();
    record[at] ^= 1 << (pick % 8);
    assert!(open_with_traffic_secret(&SECRET, sequence, &record).is_err());
});
