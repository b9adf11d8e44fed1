//! Lesson 9 record layer: arbitrary bytes as the stream after a handshake.
//!
//! Runs `record::read_body` and `record::open` with a fixed key over the
//! input, the way `SecureReader` does, and then the whole `SecureReader` in
//! both nonce modes. Nothing may panic; every record handed to `open` must
//! respect the limits the length check promises.

#![no_main]

use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use libfuzzer_sys::fuzz_target;
use tls::lesson08_key_split::{Role, SessionKeys};
use tls::lesson09_encrypted_echo::channel::SecureReader;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::lesson09_encrypted_echo::record::{
    self, MAX_PLAINTEXT_LEN, MAX_RECORD_LEN, MIN_RECORD_LEN,
};
use tls::runtime::budget::MessageBuffer;
use tls::runtime::message::MessageReader;

fuzz_target!(|data: &[u8]| {
    // The record functions, one by one.
    let cipher = ChaCha20Poly1305::new(&[7u8; 32].into());
    let mut stream = data;
    let mut body = MessageBuffer::new();
    while let Ok(true) = record::read_body(&mut stream, &mut body) {
        assert!((MIN_RECORD_LEN..=MAX_RECORD_LEN).contains(&body.as_slice().len()));
        // Never more than the announced length was allocated.
        assert!(body.capacity() <= MAX_RECORD_LEN);
        if let Ok((_nonce, plaintext)) = record::open(&cipher, body.as_mut_slice()) {
            assert!(plaintext.len() <= MAX_PLAINTEXT_LEN);
        }
    }

    // The reader the server uses, in both nonce modes.
    let keys = SessionKeys::derive(&[9u8; 32]);
    for mode in [NonceMode::Random, NonceMode::Counter] {
        let mut reader = SecureReader::new(data, &keys, Role::Server, mode);
        while let Ok(Some(message)) = reader.read_message() {
            assert!(message.len() <= MAX_PLAINTEXT_LEN);
        }
    }
});
