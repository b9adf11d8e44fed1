//! One TCP connection, shared without duplicating its file descriptor.
//!
//! A connection is used from several places at once: a lesson's reading
//! half, its writing half, and the runtime, which changes timeouts and may
//! shut the connection from another thread (the handshake watchdog, the
//! `--chat` pusher). `TcpStream::try_clone` would give each of them its own
//! descriptor, so a client would cost the server three or four; a server
//! with the usual limit of 1024 open files would then fill at about 250
//! clients.
//!
//! A [`Socket`] is a shared handle instead: cloning it is cheap and shares
//! the one descriptor. Reading and writing work through `&TcpStream`, which
//! the standard library allows from several threads at once (one reader and
//! one writer is exactly what a full-duplex socket is for).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

/// A cloneable handle to one TCP connection. The connection closes when the
/// last handle is dropped.
#[derive(Clone, Debug)]
pub struct Socket(Arc<TcpStream>);

impl Socket {
    /// Takes ownership of a connected stream.
    pub fn new(stream: TcpStream) -> Socket {
        Socket(Arc::new(stream))
    }

    /// The stream itself, for timeouts, addresses and `shutdown`.
    pub fn stream(&self) -> &TcpStream {
        &self.0
    }
}

impl From<TcpStream> for Socket {
    fn from(stream: TcpStream) -> Socket {
        Socket::new(stream)
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.0).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&*self.0).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self.0).flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn clones_share_one_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let mut reader = Socket::new(server);
        let mut writer = reader.clone();
        writer.write_all(b"ping").unwrap();
        let mut got = [0u8; 4];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"ping");
        client.write_all(b"pong").unwrap();
        reader.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"pong");
        // Shutting down through one handle ends the connection for all.
        writer.stream().shutdown(std::net::Shutdown::Both).unwrap();
        assert_eq!(reader.read(&mut got).unwrap(), 0);
    }
}
