//! The contender: the course's own lesson 9 code, server and client.
//!
//! Nothing is re-implemented here. The server is `tls::server::serve`, the
//! very loop behind `9-echo-server`, and the client is
//! `tls::channel::open_secure`, the one behind `9-echo-client`, so every
//! figure in the table is about the code the lessons teach.

use std::io::BufReader;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

use tls::Result;
use tls::channel::{SecureReader, SecureWriter, open_secure};
use tls::message::Role;
use tls::nonce::NonceMode;
use tls::server::{ServerOptions, serve};

/// The client halves `open_secure` returns.
pub type Client = (SecureReader<BufReader<TcpStream>>, SecureWriter<TcpStream>);

/// Starts the lesson 9 echo server on a free loopback port, in a
/// background thread that lives as long as the process.
///
/// It uses the default (random) nonces, as `9-echo-server` does.
pub fn start_server() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let options = ServerOptions {
        // Printing every message would measure the terminal, not the channel.
        print_messages: false,
        max_connections: 100_000,
        ..ServerOptions::default()
    };
    thread::spawn(move || {
        serve(listener, options, |stream, role| {
            let (reader, writer, _session) = open_secure(stream, role, NonceMode::Random)?;
            Ok((reader, writer))
        });
    });
    Ok(addr)
}

/// Connects, runs the handshake, and returns the two halves.
pub fn connect(addr: SocketAddr) -> Result<Client> {
    let stream = TcpStream::connect(addr)?;
    // As `tls::client::run` does: one record, one write, sent at once.
    stream.set_nodelay(true)?;
    let (reader, writer, _session) = open_secure(stream, Role::Client, NonceMode::Random)?;
    Ok((reader, writer))
}
