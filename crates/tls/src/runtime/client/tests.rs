//! Tests for the echo client: stdin lines out, echoes back.

use super::*;
use crate::lesson02_records;
use std::net::TcpListener;

/// A lesson 2 echo server on loopback, for one connection.
fn echo_server() -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let (mut reader, mut writer) = lesson02_records::open(Socket::new(stream));
        while let Some(message) = reader.read_message().unwrap() {
            writer.write_message(message).unwrap();
        }
    });
    (addr, server)
}

fn connect(addr: &str) -> (Socket, impl MessageReader, impl MessageWriter + 'static) {
    let socket = Socket::new(TcpStream::connect(addr).unwrap());
    let (reader, writer) = lesson02_records::open(socket.clone());
    (socket, reader, writer)
}

#[test]
fn a_line_far_larger_than_the_socket_buffers_comes_back_whole() {
    // 24 MiB in one line: more than two lesson 2 records, and far more
    // than the kernel buffers, so sending and reading must overlap.
    let (addr, server) = echo_server();
    let (socket, reader, writer) = connect(&addr);
    let line: Vec<u8> = (0..24 * 1024 * 1024)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    let input = std::io::Cursor::new([line.clone(), b"\nend\n".to_vec()].concat());
    let mut output = Vec::new();
    echo_lines(input, &mut output, reader, writer, &socket).unwrap();
    assert_eq!(output.len(), line.len() + 5);
    assert!(output.starts_with(&line[..1000]) && output.ends_with(b"\nend\n"));
    server.join().unwrap();
}

#[test]
fn an_echo_that_is_not_what_we_sent_is_an_error() {
    // A "server" that answers with bytes of its own.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let (mut reader, mut writer) = lesson02_records::open(Socket::new(stream));
        let _ = reader.read_message();
        writer.write_message(b"something else").unwrap();
    });
    let (socket, reader, writer) = connect(&addr);
    let input = std::io::Cursor::new(b"hello there!!!\n".to_vec());
    let result = echo_lines(input, &mut Vec::new(), reader, writer, &socket);
    assert!(matches!(result, Err(Error::EchoMismatch)), "{result:?}");
    server.join().unwrap();
}
