//! The accept loop: the server's front door, and its limits.
//!
//! ```text
//! accept --> too many clients already?  --> refuse: one line, close
//!        --> one thread per client, running server::handle_client
//! ```
//!
//! The limits below keep silent, slow or greedy clients from piling up:
//! every wait on the network has a timeout, the number of clients served at
//! once is capped (by `--max-connections`, and by the open-file limit: see
//! `limits.rs`), and the bytes they make us buffer share one memory budget
//! (see `budget.rs`). Each limit has a flag (see `cli.rs`) and a line in
//! `SECURITY.md`.
//!
//! These limits are deliberately basic. They stop a client from holding a
//! thread *forever*; they do not stop a determined flood (a thousand clients
//! that each connect and wait still fill every slot for a while).

use std::net::{Shutdown, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::error::{Error, Result};
use crate::runtime::budget;
use crate::runtime::chat::{Clients, forget_client, push_stdin_lines};
use crate::runtime::gate::{Gate, accept_each};
use crate::runtime::limits;
use crate::runtime::message::{MessageReader, MessageWriter};
use crate::runtime::options::{ServerOptions, say};
use crate::runtime::server::handle_client;
use crate::runtime::socket::Socket;
use crate::runtime::watchdog::Watchdog;

/// Stack size for each client's thread: the echo loop needs little, and a
/// small stack keeps a thousand idle clients cheap.
const CLIENT_THREAD_STACK: usize = 256 * 1024;

/// Binds `addr` and serves forever. Only returns if binding fails.
///
/// `setup` turns an accepted socket into the lesson's reader and writer; for
/// lessons with a handshake, it runs the handshake.
pub fn run<R, W, F>(addr: &str, options: ServerOptions, setup: F) -> Result<()>
where
    R: MessageReader + 'static,
    W: MessageWriter + 'static,
    F: Fn(Socket) -> Result<(R, W)> + Send + Sync + 'static,
{
    run_on(bind(addr)?, options, setup)
}

/// Takes the port, or says in one line why not. A program that writes
/// files at start (lesson 11's CA certificate) binds first: a second copy
/// that cannot have the port must not overwrite what the running one's
/// clients rely on.
pub fn bind(addr: &str) -> Result<TcpListener> {
    TcpListener::bind(addr).map_err(|source| Error::Listen {
        addr: addr.to_string(),
        source,
    })
}

/// Says where it listens, then serves on `listener` forever.
pub fn run_on<R, W, F>(listener: TcpListener, options: ServerOptions, setup: F) -> Result<()>
where
    R: MessageReader + 'static,
    W: MessageWriter + 'static,
    F: Fn(Socket) -> Result<(R, W)> + Send + Sync + 'static,
{
    let local = listener.local_addr()?;
    status!("listening on {local} (Ctrl-C to stop)");
    serve(listener, options, setup);
    Ok(())
}

/// Serves clients on an already bound listener, forever.
pub fn serve<R, W, F>(listener: TcpListener, mut options: ServerOptions, setup: F)
where
    R: MessageReader + 'static,
    W: MessageWriter + 'static,
    F: Fn(Socket) -> Result<(R, W)> + Send + Sync + 'static,
{
    // The memory budget, for every client's buffered messages together.
    budget::set_limit(options.memory_budget);
    // Never more clients than the open-file limit can hold (one descriptor
    // each), so a flood is refused politely instead of breaking `accept`.
    let (max, by_descriptors) = limits::effective_max(options.max_connections, 1);
    if by_descriptors {
        status!(
            "the open-file limit allows {max} clients at once, fewer than --max-connections {}",
            options.max_connections
        );
    }
    options.max_connections = max;
    let setup = Arc::new(setup);
    let watchdog = match Watchdog::start() {
        Ok(watchdog) => watchdog,
        Err(e) => {
            status!("cannot start the handshake watchdog: {e}");
            return;
        }
    };
    let clients: Clients<W> = Arc::new(Mutex::new(Vec::new()));
    if options.chat {
        let (clients, options) = (Arc::clone(&clients), options.clone());
        thread::spawn(move || push_stdin_lines(&clients, &options));
    }
    let gate = Gate::new(options.max_connections);
    accept_each(&listener, "", |stream, peer| {
        // Count the client in; turn it away if that makes too many. The
        // accept loop itself never waits on a client, so a flood cannot
        // stop it from accepting (and refusing) the next connection.
        let Some(slot) = gate.enter() else {
            status!(
                "{peer}: refused: already serving {} clients (--max-connections)",
                gate.max()
            );
            let _ = stream.shutdown(Shutdown::Both);
            return; // dropping `stream` closes it
        };
        let (setup, options, clients) = (Arc::clone(&setup), options.clone(), Arc::clone(&clients));
        let watchdog = Arc::clone(&watchdog);
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .stack_size(CLIENT_THREAD_STACK)
            .spawn(move || {
                let _slot = slot;
                let socket = Socket::new(stream);
                match handle_client(socket, peer, &options, &*setup, &clients, &watchdog) {
                    Ok(()) => say(&options, format_args!("{peer}: client disconnected")),
                    Err(ending) => status!("{peer}: {}", ending.reason(&options)),
                }
                forget_client(&clients, peer);
            });
        if let Err(e) = spawned {
            status!("{peer}: refused: cannot start a thread: {e}");
        }
    });
}
