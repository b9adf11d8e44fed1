//! Moving bytes between the two legs of a relayed connection.
//!
//! ```text
//! client --pump--> proxy --> server        (one thread)
//! client <--pump-- proxy <-- server        (another)
//! ```
//!
//! A relayed connection is two copies running at once, one per direction.
//! [`each_chunk`] is the read loop both Eve's plain copy ([`pump`]) and
//! Mallory's record-by-record relay are built on; [`both_ways`] runs the
//! two directions and makes sure one failing side ends the other.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;

use crate::error::{Error, Result};

/// Bytes read from a socket at a time.
// A read returns what has arrived, up to this: the size of a chunk says
// nothing about records, which is why the record cutter keeps state.
pub const READ_CHUNK: usize = 64 * 1024;
/// Stack size for each relay thread: the relay needs little.
pub(super) const RELAY_THREAD_STACK: usize = 256 * 1024;

/// One client and the connection opened to the server on its behalf.
#[derive(Debug)]
pub struct Pair {
    /// Counts connections from 1, to tell them apart in the output.
    pub id: u64,
    /// Where the client connected from.
    pub client_addr: SocketAddr,
    /// The accepted client socket.
    pub client: TcpStream,
    /// The socket to the real server.
    pub server: TcpStream,
}

/// Reads `from` until it closes cleanly, handing each chunk to `each` as it
/// arrives. A read interrupted by a signal is simply tried again; any other
/// read error, or an error from `each`, ends the loop with that error.
pub fn each_chunk(mut from: &TcpStream, mut each: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        // `get` rather than `[..n]`: `n` never exceeds the buffer, but a
        // slice that cannot panic needs no argument to say so.
        each(buf.get(..n).unwrap_or_default())?;
    }
}

/// Copies `from` to `to` until `from` closes, calling `observe` on each
/// chunk before it is forwarded. The chunk goes out exactly as it came in.
///
/// On a clean end of stream the write side of `to` is shut down, so the
/// other end sees the same half-close the sender made.
pub fn pump(from: &TcpStream, mut to: &TcpStream, mut observe: impl FnMut(&[u8])) -> Result<()> {
    each_chunk(from, |chunk| {
        observe(chunk);
        to.write_all(chunk)?;
        Ok(())
    })?;
    let _ = to.shutdown(Shutdown::Write);
    Ok(())
}

/// Runs `a_to_b` on a second thread and `b_to_a` on this one, then waits for
/// both. If either direction fails, both sockets stop reading, so the other
/// direction wakes up, forwards what had already arrived and ends; the first
/// error is returned.
pub fn both_ways<A, B>(pair: &Pair, a_to_b: A, b_to_a: B) -> Result<()>
where
    A: FnOnce() -> Result<()> + Send,
    B: FnOnce() -> Result<()>,
{
    // Reading stops on both legs; writing does not. A side that fails often
    // said something just before it went: a TLS server that refuses a
    // replayed record sends its bad_record_mac alert and closes, and the
    // next forward to it fails. The other direction still has that alert
    // to deliver (on Linux a read after this shutdown returns what had
    // already arrived, then the end), so the client hears why. Shutting the
    // writes too would cut the client off first, and it would see a bare
    // close. A forward stuck writing to a side that does not read is not
    // woken by this; the write timeout ends it.
    let abort = || {
        let _ = pair.client.shutdown(Shutdown::Read);
        let _ = pair.server.shutdown(Shutdown::Read);
    };
    thread::scope(|scope| {
        // No second thread, no relay: close both ends and say why (a
        // scoped `spawn` would panic here instead).
        let forward = match thread::Builder::new()
            .stack_size(RELAY_THREAD_STACK)
            .spawn_scoped(scope, || {
                let result = a_to_b();
                if result.is_err() {
                    abort();
                }
                result
            }) {
            Ok(forward) => forward,
            Err(e) => {
                abort();
                return Err(Error::Io(e));
            }
        };
        let back = b_to_a();
        if back.is_err() {
            abort();
        }
        let forward = forward
            .join()
            .unwrap_or_else(|_| Err(Error::Io(std::io::Error::other("relay thread panicked"))));
        back.and(forward)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A relayed pair over loopback: (the client's end, the server's end,
    /// and the proxy's `Pair` in between).
    fn relayed() -> (TcpStream, TcpStream, Pair) {
        let front = TcpListener::bind("127.0.0.1:0").unwrap();
        let back = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(front.local_addr().unwrap()).unwrap();
        let (accepted, client_addr) = front.accept().unwrap();
        let to_server = TcpStream::connect(back.local_addr().unwrap()).unwrap();
        let (server, _) = back.accept().unwrap();
        let pair = Pair {
            id: 1,
            client_addr,
            client: accepted,
            server: to_server,
        };
        (client, server, pair)
    }

    #[test]
    fn what_a_failed_side_said_last_still_reaches_the_other() {
        let (mut client, mut server, pair) = relayed();
        // The server's last words (an alert, say), then it is gone.
        server.write_all(b"last words").unwrap();
        drop(server);
        let (failed, after_failure) = mpsc::channel();
        let result = both_ways(
            &pair,
            || {
                // The forward to the server fails first...
                let _ = failed.send(());
                Err(Error::Io(std::io::Error::from(ErrorKind::BrokenPipe)))
            },
            || {
                // ...and only then does the other direction get to read.
                after_failure.recv().unwrap();
                thread::sleep(Duration::from_millis(100));
                pump(&pair.server, &pair.client, |_| {})
            },
        );
        assert!(result.is_err());
        drop(pair);
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut heard = Vec::new();
        client.read_to_end(&mut heard).unwrap();
        assert_eq!(heard, b"last words");
    }

    #[test]
    fn a_failed_side_wakes_the_other_direction_from_its_read() {
        let (_client, _server, pair) = relayed();
        // Neither peer ever sends: only the abort can end the pump.
        let result = both_ways(
            &pair,
            || {
                thread::sleep(Duration::from_millis(100));
                Err(Error::Io(std::io::Error::from(ErrorKind::ConnectionReset)))
            },
            || pump(&pair.server, &pair.client, |_| {}),
        );
        assert!(result.is_err());
    }
}
