//! The part Eve and Mallory share: stand between a client and a server.
//!
//! ```text
//! client ---> [ listen ADDR ]  eve / mallory  [ connect UPSTREAM ] ---> server
//! ```
//!
//! Each accepted client gets its own connection to the real server and its
//! own thread; what happens to the bytes in between is up to the caller. A
//! connection that goes wrong is reported on stderr and closed; the proxy
//! keeps accepting.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use crate::error::{Error, Result};

/// Bytes read from a socket at a time.
pub const READ_CHUNK: usize = 64 * 1024;

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

/// Listens on `listen` and, for every client, connects to `upstream` and
/// runs `handle` on its own thread. Only returns if binding fails.
pub fn run<F>(program: &str, listen: &str, upstream: &str, handle: F) -> Result<()>
where
    F: Fn(Pair) -> Result<()> + Send + Sync + 'static,
{
    let listener = TcpListener::bind(listen).map_err(|source| Error::Listen {
        addr: listen.to_string(),
        source,
    })?;
    let local = listener.local_addr()?;
    status!("listening on {local} (forwarding to {upstream}; Ctrl-C to stop)");
    let handle = Arc::new(handle);
    let next_id = AtomicU64::new(1);
    for client in listener.incoming() {
        let client = match client {
            Ok(client) => client,
            Err(e) => {
                status!("{program}: accept failed: {e}");
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let Ok(client_addr) = client.peer_addr() else {
            continue; // gone already
        };
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        let server = match TcpStream::connect(upstream) {
            Ok(server) => server,
            Err(source) => {
                let e = Error::Connect {
                    addr: upstream.to_string(),
                    source,
                };
                status!("{program}: #{id} from {client_addr}: {e}; closing the client");
                continue;
            }
        };
        // Forward each piece as soon as it arrives; no Nagle delays on
        // either leg, so the timing looks like a direct connection.
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        status!("{program}: #{id} {client_addr} connected, relaying to {upstream}");
        let pair = Pair {
            id,
            client_addr,
            client,
            server,
        };
        let handle = Arc::clone(&handle);
        let name = program.to_string();
        let spawned = thread::Builder::new()
            .name(format!("{name} #{id}"))
            .spawn(move || match handle(pair) {
                Ok(()) => status!("{name}: #{id} closed"),
                Err(e) => status!("{name}: #{id} ended: {e}"),
            });
        if let Err(e) = spawned {
            status!("{program}: #{id} refused: cannot start a thread: {e}");
        }
    }
    Ok(())
}

/// Copies `from` to `to` until `from` closes, calling `observe` on each
/// chunk before it is forwarded. The chunk goes out exactly as it came in.
///
/// On a clean end of stream the write side of `to` is shut down, so the
/// other end sees the same half-close the sender made.
pub fn pump(
    mut from: &TcpStream,
    mut to: &TcpStream,
    mut observe: impl FnMut(&[u8]),
) -> Result<()> {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        observe(chunk);
        to.write_all(chunk)?;
    }
    let _ = to.shutdown(Shutdown::Write);
    Ok(())
}

/// Runs `a_to_b` on a second thread and `b_to_a` on this one, then waits for
/// both. If either direction fails, both sockets are shut so the other one
/// stops too; the first error is returned.
pub fn both_ways<A, B>(pair: &Pair, a_to_b: A, b_to_a: B) -> Result<()>
where
    A: FnOnce() -> Result<()> + Send,
    B: FnOnce() -> Result<()>,
{
    let abort = || {
        let _ = pair.client.shutdown(Shutdown::Both);
        let _ = pair.server.shutdown(Shutdown::Both);
    };
    thread::scope(|scope| {
        let forward = scope.spawn(|| {
            let result = a_to_b();
            if result.is_err() {
                abort();
            }
            result
        });
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
