//! The baseline: raw bytes over TCP, as in lesson 1, with no framing and no
//! crypto. Whatever lesson 9 costs on top of this is the price of the record
//! layer and the cipher.
//!
//! Written here with `std` alone (not with the lesson 1 module) so the
//! baseline is as lean as TCP gets: read whatever arrived, write it back.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

use tls::Result;
use tls::runtime::message::{MessageReader, MessageWriter};

/// Largest read the server and the client ask the kernel for at once.
const READ_CHUNK: usize = 64 * 1024;

/// Starts a raw echo server on a free loopback port, on background threads
/// that live as long as the process.
pub fn start_server() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || echo(stream));
        }
    });
    Ok(addr)
}

/// One client: send back every byte, in the chunks it arrived in.
fn echo(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0; READ_CHUNK];
    while let Ok(n @ 1..) = stream.read(&mut buf) {
        if stream.write_all(buf.get(..n).unwrap_or_default()).is_err() {
            break;
        }
    }
}

/// Connects to a raw echo server and returns the two halves.
pub fn connect(addr: SocketAddr) -> Result<(RawReader, RawWriter)> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let reader = RawReader {
        stream: stream.try_clone()?,
        buf: vec![0; READ_CHUNK],
    };
    Ok((reader, RawWriter { stream }))
}

/// Receives whatever bytes have arrived: a raw stream has no messages.
pub struct RawReader {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl MessageReader for RawReader {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        let n = self.stream.read(&mut self.buf)?;
        Ok(match n {
            0 => None,
            n => self.buf.get(..n),
        })
    }

    fn keeps_boundaries(&self) -> bool {
        false
    }
}

/// Sends bytes with one `write_all`.
pub struct RawWriter {
    stream: TcpStream,
}

impl MessageWriter for RawWriter {
    fn write_message(&mut self, message: &[u8]) -> Result<()> {
        self.stream.write_all(message)?;
        Ok(())
    }
}
