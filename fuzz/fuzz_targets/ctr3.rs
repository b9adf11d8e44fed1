//! Lesson 3 records: lesson 2 framing carrying `nonce(16) || AES-256-CTR`.
//!
//! Nothing may panic. CTR has no integrity check, so any payload of at least
//! 16 bytes "decrypts": the target checks that the plaintext is exactly the
//! payload minus its nonce, and that encrypting it again under the same
//! nonce gives the payload back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tls::lesson02_records::{self as framing, RecordReader};
use tls::lesson03_ctr_channel::{self as aes_ctr, CtrReader, NONCE_LEN, SHARED_KEY};
use tls::runtime::budget::MessageBuffer;
use tls::runtime::message::MessageReader;

fuzz_target!(|data: &[u8]| {
    let mut reader = CtrReader::new(RecordReader::new(data), SHARED_KEY);
    while let Ok(Some(_plaintext)) = reader.read_message() {}

    let mut stream = data;
    let mut buffer = MessageBuffer::new();
    while let Ok(true) = framing::read_payload(&mut stream, &mut buffer) {
        let payload = buffer.as_slice();
        let Some(nonce) = payload.first_chunk::<NONCE_LEN>().copied() else {
            assert!(aes_ctr::decrypt(SHARED_KEY, payload).is_err());
            continue;
        };
        let plaintext = aes_ctr::decrypt(SHARED_KEY, payload).expect("long enough");
        assert_eq!(plaintext.len(), payload.len() - NONCE_LEN);
        let again = aes_ctr::encrypt_with_nonce(SHARED_KEY, &nonce, &plaintext);
        assert_eq!(again, payload);
    }
});
