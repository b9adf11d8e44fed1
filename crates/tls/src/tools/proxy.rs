//! The part Eve and Mallory share: stand between a client and a server.
//!
//! ```text
//! client ---> [ listen ADDR ]  eve / mallory  [ connect UPSTREAM ] ---> server
//! ```
//!
//! Each accepted client gets its own thread, which connects to the real
//! server on its behalf; what happens to the bytes in between is up to the
//! caller. A connection that goes wrong is reported on stderr and closed;
//! the proxy keeps accepting.
//!
//! A proxy is a server too, so it has the same kind of limits
//! ([`ProxyLimits`], each a flag): a cap on connections (also kept under
//! the open-file limit, two descriptors a connection), a timeout on the
//! connect to the upstream (made on the connection's own thread, so one
//! black-holed connect cannot stop the accepting), idle and write timeouts
//! on both legs, and the memory budget for what it buffers to cut records.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use clap::Args;

use crate::error::{Error, Result};
use crate::runtime::budget::{self, DEFAULT_MEMORY_BUDGET};
use crate::runtime::cli::at_least_one;
use crate::runtime::limits;

/// Bytes read from a socket at a time.
pub const READ_CHUNK: usize = 64 * 1024;
/// Connections relayed at once unless told otherwise (`--max-connections`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// How long the connect to the real server may take (`--connect-timeout`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long either side may stay silent before the relay gives up on both
/// (`--idle-timeout`).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long one forward may wait for a side that is not reading
/// (`--write-timeout`).
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Stack size for each relay thread.
const RELAY_THREAD_STACK: usize = 256 * 1024;

/// A proxy's limits.
#[derive(Clone, Debug)]
pub struct ProxyLimits {
    /// See [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// See [`DEFAULT_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// See [`DEFAULT_WRITE_TIMEOUT`].
    pub write_timeout: Duration,
    /// Bytes the proxy may hold while it waits for the rest of a record,
    /// all connections together (see `runtime/budget.rs`).
    pub memory_budget: usize,
}

impl Default for ProxyLimits {
    fn default() -> Self {
        ProxyLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            memory_budget: DEFAULT_MEMORY_BUDGET,
        }
    }
}

/// The flags for [`ProxyLimits`], shared by `eve` and `mallory`.
#[derive(Args, Debug, Clone)]
pub struct ProxyArgs {
    /// Connections relayed at once; more are refused.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = at_least_one::<usize>)]
    pub max_connections: usize,
    /// Seconds the connect to the real server may take.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_CONNECT_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECS))]
    pub connect_timeout: u64,
    /// Seconds either side may stay silent before both are closed.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECS))]
    pub idle_timeout: u64,
    /// Seconds one forward may wait for a side that is not reading.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_WRITE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECS))]
    pub write_timeout: u64,
    /// MiB the proxy may hold while it collects records, all connections
    /// together; past it, a direction is relayed raw (never dropped).
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_BUDGET_MIB,
          value_parser = clap::value_parser!(u64).range(1..=1024 * 1024))]
    pub memory_budget: u64,
}

/// The longest timeout the flags accept: a week.
const MAX_SECS: u64 = 7 * 24 * 60 * 60;
/// `--memory-budget`'s default, in MiB.
const DEFAULT_BUDGET_MIB: u64 = (DEFAULT_MEMORY_BUDGET / (1024 * 1024)) as u64;

impl ProxyArgs {
    /// The limits these flags ask for.
    pub fn limits(&self) -> ProxyLimits {
        ProxyLimits {
            max_connections: self.max_connections.max(1),
            connect_timeout: Duration::from_secs(self.connect_timeout.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout.max(1)),
            write_timeout: Duration::from_secs(self.write_timeout.max(1)),
            memory_budget: usize::try_from(self.memory_budget.max(1))
                .map_or(usize::MAX, |mib| mib.saturating_mul(1024 * 1024)),
        }
    }
}

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
pub fn run<F>(
    program: &str,
    listen: &str,
    upstream: &str,
    limits: ProxyLimits,
    handle: F,
) -> Result<()>
where
    F: Fn(Pair) -> Result<()> + Send + Sync + 'static,
{
    let listener = TcpListener::bind(listen).map_err(|source| Error::Listen {
        addr: listen.to_string(),
        source,
    })?;
    let local = listener.local_addr()?;
    status!("listening on {local} (forwarding to {upstream}; Ctrl-C to stop)");
    serve(program, listener, upstream, limits, handle);
    Ok(())
}

/// Relays every client of an already bound `listener` to `upstream`,
/// forever.
pub fn serve<F>(
    program: &str,
    listener: TcpListener,
    upstream: &str,
    limits: ProxyLimits,
    handle: F,
) where
    F: Fn(Pair) -> Result<()> + Send + Sync + 'static,
{
    budget::set_limit(limits.memory_budget);
    // Two descriptors a relayed connection: the client's and the server's.
    let (max, by_descriptors) = limits::effective_max(limits.max_connections, 2);
    if by_descriptors {
        status!(
            "{program}: the open-file limit allows {max} connections at once, fewer than \
             --max-connections {}",
            limits.max_connections
        );
    }
    let limits = Arc::new(ProxyLimits {
        max_connections: max,
        ..limits
    });
    let handle = Arc::new(handle);
    let active = Arc::new(AtomicUsize::new(0));
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
        // Count ourselves in; turn the client away if that makes too many.
        if active.fetch_add(1, Ordering::SeqCst) >= limits.max_connections {
            active.fetch_sub(1, Ordering::SeqCst);
            status!(
                "{program}: #{id} from {client_addr} refused: already relaying {} connections \
                 (--max-connections)",
                limits.max_connections
            );
            continue; // dropping `client` closes it
        }
        let slot = Slot(Arc::clone(&active));
        let (handle, limits) = (Arc::clone(&handle), Arc::clone(&limits));
        let (name, upstream) = (program.to_string(), upstream.to_string());
        // Everything that can wait (the connect to the server above all)
        // happens on the connection's own thread, never on this one.
        let spawned = thread::Builder::new()
            .name(format!("{name} #{id}"))
            .stack_size(RELAY_THREAD_STACK)
            .spawn(move || {
                let _slot = slot;
                let server = match connect(&upstream, &limits) {
                    Ok(server) => server,
                    Err(e) => {
                        status!("{name}: #{id} from {client_addr}: {e}; closing the client");
                        return;
                    }
                };
                if let Err(e) = prepare(&client, &server, &limits) {
                    status!("{name}: #{id} ended: {e}");
                    return;
                }
                status!("{name}: #{id} {client_addr} connected, relaying to {upstream}");
                let pair = Pair {
                    id,
                    client_addr,
                    client,
                    server,
                };
                match handle(pair) {
                    Ok(()) => status!("{name}: #{id} closed"),
                    Err(e) => status!("{name}: #{id} ended: {e}"),
                }
            });
        if let Err(e) = spawned {
            status!("{program}: #{id} refused: cannot start a thread: {e}");
        }
    }
}

/// Connects to `upstream` (trying each address it names) within the
/// connect timeout.
fn connect(upstream: &str, limits: &ProxyLimits) -> Result<TcpStream> {
    let failed = |source| Error::Connect {
        addr: upstream.to_string(),
        source,
    };
    let mut last = std::io::Error::new(ErrorKind::NotFound, "no address");
    for addr in upstream.to_socket_addrs().map_err(failed)? {
        match TcpStream::connect_timeout(&addr, limits.connect_timeout) {
            Ok(server) => return Ok(server),
            Err(e) => last = e,
        }
    }
    Err(failed(last))
}

/// Timeouts and Nagle for both legs of a relayed connection.
fn prepare(client: &TcpStream, server: &TcpStream, limits: &ProxyLimits) -> Result<()> {
    for socket in [client, server] {
        // Forward each piece as soon as it arrives; no Nagle delays on
        // either leg, so the timing looks like a direct connection.
        socket.set_nodelay(true)?;
        socket.set_read_timeout(Some(limits.idle_timeout))?;
        socket.set_write_timeout(Some(limits.write_timeout))?;
    }
    Ok(())
}

/// Gives a connection's slot back when its thread ends, however it ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
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
    use std::sync::mpsc;

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
