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
//!
//! Where a proxy stands is where every network attacker of the course
//! stands: on the path, with every byte passing through her hands. The
//! client cannot tell: it connects to an address, and nothing in TCP says
//! who answers there. What the lessons add, one by one, is what she can
//! no longer do with those bytes; what she always keeps is their sizes
//! and their timing, which this file takes care not to disturb.
//!
//! One connection's life, in order:
//!
//! ```text
//! accept (gate.rs) -> slot in the gate? -> own thread -> connect upstream
//!   -> timeouts and no Nagle on both legs -> handle(pair) -> close, slot freed
//! ```

pub mod args;
pub mod limits;
pub mod relay;

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use crate::error::{Error, Result};
use crate::runtime::accept;
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
// `Fn`, not `FnMut`: `handle` runs on many connections' threads at once,
// so it must be shareable; what it must remember lives in its captures,
// behind an `Arc`.
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
    // Bound before anything is printed: a busy port is reported as the
    // listen error it is, and the program ends instead of serving nothing.
    let listener = accept::bind(listen)?;
    // The address actually bound: with port 0 the system picks one, and
    // the learner needs to know it to point the client there.
    let local = listener.local_addr()?;
    status!("listening on {local} (forwarding to {upstream}; Ctrl-C to stop)");
    serve(program, listener, upstream, limits, handle);
    Ok(())
}

/// Relays every client of an already bound `listener` to `upstream`,
/// forever.
// Split from `run` so that a caller that binds its own listener (the tour,
// which picks free ports for its scenarios) can run the same proxy on it.
pub fn serve<F>(
    program: &str,
    listener: TcpListener,
    upstream: &str,
    limits: ProxyLimits,
    handle: F,
) where
    F: Fn(Pair) -> Result<()> + Send + Sync + 'static,
{
    // The budget is process-wide: records buffered by every connection
    // count against one limit, so many slow senders cannot add up to more
    // memory than one flag allows.
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
    // From here on the lower of the two caps is the one in force, so the
    // gate refuses before `accept` itself would fail for lack of
    // descriptors.
    let limits = Arc::new(ProxyLimits {
        max_connections: max,
        ..limits
    });
    let handle = Arc::new(handle);
    let gate = Gate::new(limits.max_connections);
    // Numbered from 1 in the order they arrive, refused ones included: the
    // number ties together every log line about one connection, and a gap
    // in the relayed numbers shows that someone was turned away.
    // Relaxed: the counter only has to hand out distinct numbers.
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
        // Owned copies for the thread, which outlives this call's borrows.
        let (handle, limits) = (Arc::clone(&handle), Arc::clone(&limits));
        let (name, upstream) = (program.to_string(), upstream.to_string());
        // Everything that can wait (the connect to the server above all)
        // happens on the connection's own thread, never on this one.
        let spawned = thread::Builder::new()
            .name(format!("{name} #{id}"))
            .stack_size(RELAY_THREAD_STACK)
            .spawn(move || {
                // Held for the thread's whole life and given back when it
                // ends, however it ends (`gate.rs`).
                let _slot = slot;
                let server = match connect(&upstream, &limits) {
                    Ok(server) => server,
                    // No server, nothing to relay: the client is closed
                    // (dropped) rather than left waiting on a dead leg.
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
                // Whatever the caller does, an error ends one connection
                // and is logged with its number; the proxy goes on.
                match handle(pair) {
                    Ok(()) => status!("{name}: #{id} closed"),
                    Err(e) => status!("{name}: #{id} ended: {e}"),
                }
            });
        // Out of threads: the closure, and the client and slot it holds,
        // were dropped with the error, so the client is closed and the slot
        // freed.
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
    // A name like `localhost` may resolve to both ::1 and 127.0.0.1, and the
    // server may listen on only one of them: each is tried in turn, and the
    // last failure is the one reported. A name that resolves to nothing
    // reports "no address".
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
        // A read timeout is what turns a silent peer into an error that
        // ends the relay, instead of a thread parked forever.
        socket.set_read_timeout(Some(limits.idle_timeout))?;
        // A peer that stops reading fills its receive window, and then our
        // write blocks: this bounds how long.
        socket.set_write_timeout(Some(limits.write_timeout))?;
    }
    Ok(())
}
