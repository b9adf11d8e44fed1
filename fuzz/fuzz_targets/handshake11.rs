//! Lesson 11 handshake: the server side reading an arbitrary byte stream
//! as the client, and every handshake-message parser on the raw input.
//!
//! Nothing may panic. Whatever the server writes must be TLS records: a
//! ServerHello in the clear and encrypted records, or an alert.

#![no_main]

use std::io::{self, Read, Write};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tls::lesson11_real_tls13::certs::ServerIdentity;
use tls::lesson11_real_tls13::client_hello::ClientHello;
use tls::lesson11_real_tls13::record::{ContentType, HEADER_LEN, Header};
use tls::lesson11_real_tls13::server::{ServerConfig, handshake};
use tls::lesson11_real_tls13::server_hello::ServerHello;
use tls::lesson11_real_tls13::server_messages::{
    parse_certificate, parse_certificate_verify, parse_encrypted_extensions, parse_key_update,
};

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

fn config() -> &'static ServerConfig {
    static CONFIG: OnceLock<ServerConfig> = OnceLock::new();
    CONFIG.get_or_init(|| ServerConfig::new(ServerIdentity::generate().expect("identity").0, None))
}

fuzz_target!(|data: &[u8]| {
    // The parsers, each on the raw bytes as a message body.
    if let Ok(hello) = ClientHello::parse(data) {
        let _ = hello.choose();
    }
    if let Ok(hello) = ServerHello::parse(data) {
        let _ = hello.accept(&[]);
    }
    let _ = parse_encrypted_extensions(data);
    let _ = parse_certificate(data);
    let _ = parse_certificate_verify(data);
    let _ = parse_key_update(data);

    // The whole server handshake with the input as the client's bytes.
    let mut wire = Wire {
        input: data,
        written: Vec::new(),
    };
    let result = handshake(&mut wire, config());
    assert!(
        result.is_err(),
        "random bytes cannot carry a client Finished"
    );
    // What went out is a sequence of whole records of known types.
    let mut out = wire.written.as_slice();
    while let Some((header, rest)) = out.split_first_chunk::<HEADER_LEN>() {
        let header = Header::parse(*header);
        assert!(ContentType::from_u8(header.content_type).is_some());
        let length = usize::from(header.length);
        assert!(length <= header.max_length());
        out = rest.get(length..).expect("a whole record");
    }
    assert!(out.is_empty(), "half a record written");
});
