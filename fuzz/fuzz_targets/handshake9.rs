//! Lesson 9 handshake: the server side, reading an arbitrary byte stream.
//!
//! The input plays the client: its first 32 bytes are taken as the client's
//! public key, and whatever follows is read as records under the keys the
//! handshake produced. Nothing may panic, and the server must have written
//! exactly one 32-byte public key if it got that far.

#![no_main]

use std::io::{self, Read, Write};

use libfuzzer_sys::fuzz_target;
use tls::lesson07_key_exchange::PUBLIC_KEY_LEN;
use tls::lesson08_key_split::Role;
use tls::lesson09_encrypted_echo::channel::SecureReader;
use tls::lesson09_encrypted_echo::handshake::server_handshake;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::runtime::message::MessageReader;

/// A fake socket: reads come from the fuzz input, writes are collected.
struct Wire<'a> {
    input: &'a [u8],
    written: Vec<u8>,
}

impl Read for Wire<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Wire<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut wire = Wire {
        input: data,
        written: Vec::new(),
    };
    let result = server_handshake(&mut wire);
    if data.len() < PUBLIC_KEY_LEN {
        // Too short to hold a key: the server must not have answered.
        assert!(result.is_err());
        assert!(wire.written.is_empty());
        return;
    }
    // The server answers with its key before it checks the client's.
    assert_eq!(wire.written.len(), PUBLIC_KEY_LEN);
    let Ok(session) = result else { return };
    let mut reader = SecureReader::new(wire.input, &session.keys, Role::Server, NonceMode::Counter);
    while let Ok(Some(_message)) = reader.read_message() {}
});
