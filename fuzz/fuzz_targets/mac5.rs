//! Lesson 5 records: lesson 2 framing carrying
//! `seq(8) || nonce(16) || AES-256-CTR ciphertext || HMAC-SHA256(32)`.
//!
//! Nothing may panic. Random bytes almost never carry a valid tag, so the
//! target also seals the input itself (the first byte picks the seq, the
//! nonce and which bit to flip), checks that the untouched record opens to
//! the input, and that one flipped bit is `BadMac` with the buffer left
//! exactly as it was: nothing decrypted before the tag was checked.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tls::Error;
use tls::lesson02_records::RecordReader;
use tls::lesson05_mac::channel::MacReader;
use tls::lesson05_mac::record::{RecordKeys, open, seal_with_nonce, verify};
use tls::lesson05_mac::{ENC_KEY, MAC_KEY, MAX_PLAINTEXT_LEN, NONCE_LEN, SeqCheck};
use tls::runtime::message::MessageReader;

fuzz_target!(|data: &[u8]| {
    let keys = RecordKeys::new(ENC_KEY, MAC_KEY);

    // The input as a record stream, through the reader the server uses,
    // with and without the sequence check.
    for check in [SeqCheck::Required, SeqCheck::InsecurelySkipped] {
        let mut reader = MacReader::new(RecordReader::new(data), keys.clone(), check);
        while let Ok(Some(message)) = reader.read_message() {
            assert!(message.len() <= MAX_PLAINTEXT_LEN);
        }
    }

    // The input as a plaintext, sealed honestly, then damaged by one bit.
    let Some((&pick, plaintext)) = data.split_first() else {
        return;
    };
    let seq = u64::from(pick);
    let mut payload = Vec::new();
    seal_with_nonce(&keys, seq, &[pick; NONCE_LEN], plaintext, &mut payload).expect("fits");
    let mut untouched = payload.clone();
    assert_eq!(
        open(&keys, &mut untouched).expect("opens"),
        (seq, plaintext)
    );
    let at = usize::from(pick).wrapping_mul(31) % payload.len();
    let mut flipped = payload;
    flipped[at] ^= 1 << (pick % 8);
    let before = flipped.clone();
    assert!(matches!(verify(&keys, &mut flipped), Err(Error::BadMac)));
    assert_eq!(
        flipped, before,
        "bytes were touched before the tag was checked"
    );
});
