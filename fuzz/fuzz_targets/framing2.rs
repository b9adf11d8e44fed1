//! Lesson 2 framing: `u32 BE length || payload`, over arbitrary bytes.
//!
//! Nothing may panic, no payload may exceed the 16 MiB limit, and a reader's
//! memory follows the bytes that really arrived, not the length a peer
//! announced: a peer that *announces* 16 MiB and sends 5 bytes gets one
//! first step of memory (64 KiB), and after that at most twice what it sent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tls::lesson02_records::{self as framing, MAX_PAYLOAD_LEN, PREFIX_LEN, RecordReader};
use tls::runtime::budget::{KEEP_BYTES, MessageBuffer};
use tls::runtime::message::MessageReader;

fuzz_target!(|data: &[u8]| {
    let mut stream = data;
    let mut payload = MessageBuffer::new();
    let mut consumed = 0;
    while let Ok(true) = framing::read_payload(&mut stream, &mut payload) {
        consumed += PREFIX_LEN + payload.as_slice().len();
        assert!(payload.as_slice().len() <= MAX_PAYLOAD_LEN);
        assert!(consumed <= data.len());
        // Growth follows the bytes that arrived, not the announced length
        // (the first step, and what a buffer keeps between messages, is
        // KEEP_BYTES).
        assert!(payload.capacity() <= (2 * data.len()).max(KEEP_BYTES));
    }

    // The same through the reader the server uses, and back out: whatever
    // it accepts, re-encoding gives the bytes it consumed.
    let mut reader = RecordReader::new(data);
    let mut offset = 0;
    let mut encoded = Vec::new();
    while let Ok(Some(message)) = reader.read_message() {
        framing::encode(message, &mut encoded).expect("a read record re-encodes");
        let end = offset + encoded.len();
        assert_eq!(data.get(offset..end), Some(encoded.as_slice()));
        offset = end;
    }
});
