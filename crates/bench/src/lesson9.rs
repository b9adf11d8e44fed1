//! The contender: the course's own lesson 9 code, server and client.
//!
//! Nothing is re-implemented here. The server is `tls::runtime::accept::serve`,
//! the very loop behind `9-echo-server`, and the client is
//! `tls::lesson09_encrypted_echo::channel::connect`, the one behind
//! `9-echo-client`, so every figure in the table is about the code the
//! lessons teach.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

use tls::Result;
use tls::lesson09_encrypted_echo::channel::{self, SecureWriter, SocketReader};
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::runtime::accept::serve;
use tls::runtime::options::ServerOptions;
use tls::runtime::socket::Socket;

/// The client halves `channel::connect` returns.
pub type Client = (SocketReader, SecureWriter<Socket>);

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
        serve(listener, options, |socket| {
            let (reader, writer, _session) = channel::accept(socket, NonceMode::Random)?;
            Ok((reader, writer))
        });
    });
    Ok(addr)
}

/// Connects, runs the handshake, and returns the two halves.
pub fn connect(addr: SocketAddr) -> Result<Client> {
    let stream = TcpStream::connect(addr)?;
    // As `tls::runtime::client::run` does: one record, one write, sent at once.
    stream.set_nodelay(true)?;
    let (reader, writer, _session) = channel::connect(Socket::new(stream), NonceMode::Random)?;
    Ok((reader, writer))
}
