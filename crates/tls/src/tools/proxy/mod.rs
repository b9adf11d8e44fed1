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
//! A proxy is a server too: it lets clients in through the same front door
//! as the echo servers (`runtime/gate.rs`), under limits of its own
//! ([`limits`]). What it does with the bytes of each connection is the
//! caller's business; the copying both callers build on is in [`relay`].

pub mod args;
pub mod limits;
pub mod relay;

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use crate::error::{Error, Result};
use crate::runtime::budget;
use crate::runtime::gate::{Gate, accept_each};
use crate::runtime::limits as descriptors;

pub use args::{ProxyAddrs, ProxyArgs};
pub use limits::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_WRITE_TIMEOUT,
    ProxyLimits,
};
use relay::RELAY_THREAD_STACK;
pub use relay::{Pair, READ_CHUNK, both_ways, each_chunk, pump};

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
    let (max, by_descriptors) = descriptors::effective_max(limits.max_connections, 2);
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
    let gate = Gate::new(limits.max_connections);
    let next_id = AtomicU64::new(1);
    let who = format!("{program}: ");
    accept_each(&listener, &who, |client, client_addr| {
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        // Count the connection in; turn the client away if that makes too
        // many.
        let Some(slot) = gate.enter() else {
            status!(
                "{program}: #{id} from {client_addr} refused: already relaying {} connections \
                 (--max-connections)",
                gate.max()
            );
            return; // dropping `client` closes it
        };
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
    });
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
