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

use std::io::{self, BufRead};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::runtime::budget;
use crate::runtime::limits;
use crate::runtime::message::{MessageReader, MessageWriter};
use crate::runtime::server::{handle_client, lock, say, write_failure};
use crate::runtime::socket::Socket;
use crate::runtime::watchdog::Watchdog;

/// How long a new client has, from the moment it is accepted, to finish the
/// whole handshake (`--handshake-timeout`). A client that connects and says
/// nothing, or drips its public key a byte at a time, is dropped after this.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connected client may stay silent before it is dropped
/// (`--idle-timeout`). It bounds every read after the handshake, including
/// a read in the middle of a record whose sender stopped half way.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long one send may wait for a client that is not reading
/// (`--write-timeout`). Without it, a client that sends a lot and reads
/// nothing would fill the socket buffers and block its echo forever.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How many clients are served at once, handshakes included
/// (`--max-connections`). One more is accepted, told nothing, and closed.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Stack size for each client's thread: the echo loop needs little, and a
/// small stack keeps a thousand idle clients cheap.
const CLIENT_THREAD_STACK: usize = 256 * 1024;
/// Stack size for a `--chat` push thread, which only writes one line.
const PUSH_THREAD_STACK: usize = 64 * 1024;

/// The server's limits and modes.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// See [`DEFAULT_HANDSHAKE_TIMEOUT`].
    pub handshake_timeout: Duration,
    /// See [`DEFAULT_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// See [`DEFAULT_WRITE_TIMEOUT`].
    pub write_timeout: Duration,
    /// See [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// Bytes of buffered messages allowed across all clients; see
    /// [`budget::DEFAULT_MEMORY_BUDGET`].
    pub memory_budget: usize,
    /// Also send each line typed on the server's stdin to every client.
    pub chat: bool,
    /// Print each received message on stdout (benchmarks turn this off).
    pub print_messages: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            memory_budget: budget::DEFAULT_MEMORY_BUDGET,
            chat: false,
            print_messages: true,
        }
    }
}

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
    let listener = TcpListener::bind(addr).map_err(|source| Error::Listen {
        addr: addr.to_string(),
        source,
    })?;
    let local = listener.local_addr()?;
    status!("listening on {local} (Ctrl-C to stop)");
    serve(listener, options, setup);
    Ok(())
}

/// One connected client, as the `--chat` pusher sees it: its sending half,
/// and the socket, so a client that stops reading can be cut off.
pub struct Subscriber<W> {
    /// The client's address, to name it in the log.
    pub peer: SocketAddr,
    /// Its sending half, shared with its own echo loop.
    pub writer: Mutex<W>,
    /// Its connection, to cut it off.
    pub socket: Socket,
}

/// The clients a `--chat` server pushes its stdin lines to.
pub type Clients<W> = Arc<Mutex<Vec<Arc<Subscriber<W>>>>>;

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
    let active = Arc::new(AtomicUsize::new(0));
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
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                // Usually "too many open files": back off instead of spinning.
                status!("accept failed: {e}");
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let peer = match stream.peer_addr() {
            Ok(peer) => peer,
            Err(_) => continue, // already gone
        };
        // Count ourselves in; turn the client away if that makes too many.
        // The accept loop itself never waits on a client, so a flood cannot
        // stop it from accepting (and refusing) the next connection.
        if active.fetch_add(1, Ordering::SeqCst) >= options.max_connections {
            active.fetch_sub(1, Ordering::SeqCst);
            status!(
                "{peer}: refused: already serving {} clients (--max-connections)",
                options.max_connections
            );
            let _ = stream.shutdown(Shutdown::Both);
            continue; // dropping `stream` closes it
        }
        let guard = ActiveGuard(Arc::clone(&active));
        let (setup, options, clients) = (Arc::clone(&setup), options.clone(), Arc::clone(&clients));
        let watchdog = Arc::clone(&watchdog);
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .stack_size(CLIENT_THREAD_STACK)
            .spawn(move || {
                let _guard = guard;
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
    }
}

/// `--chat`: every line typed on the server's stdin goes to every client.
///
/// The pushes to the clients happen at the same time, one short-lived
/// thread each, and a client that does not read is cut off after one write
/// timeout. So a slow client delays the others by at most one write
/// timeout per line in all, however many slow clients there are.
fn push_stdin_lines<W: MessageWriter>(clients: &Clients<W>, options: &ServerOptions) {
    for line in io::stdin().lock().split(b'\n') {
        let Ok(mut line) = line else { break };
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        // Copy the list so a slow client does not hold the lock for others.
        let targets: Vec<_> = lock(clients).clone();
        thread::scope(|scope| {
            for client in &targets {
                let line = &line;
                let pushed = thread::Builder::new()
                    .stack_size(PUSH_THREAD_STACK)
                    .spawn_scoped(scope, move || push(client, line, clients, options));
                if pushed.is_err() {
                    // No thread for it: push from here instead (this one
                    // client's wait then delays the rest, but nothing is
                    // lost).
                    push(client, line, clients, options);
                }
            }
        });
    }
    // Stdin closed (or unreadable): the server goes on echoing, with nothing
    // more to push.
    status!("--chat: stdin ended, so no more lines will be pushed");
}

/// Sends one pushed line to one client, cutting it off if the send fails.
fn push<W: MessageWriter>(
    client: &Subscriber<W>,
    line: &[u8],
    clients: &Clients<W>,
    options: &ServerOptions,
) {
    if let Err(e) = lock(&client.writer).write_message(line) {
        // A record may be half sent: the stream is no longer well-formed,
        // so the connection cannot go on.
        status!("{}: dropped: {}", client.peer, write_failure(&e, options));
        let _ = client.socket.stream().shutdown(Shutdown::Both);
        forget_client(clients, client.peer);
    }
}

fn forget_client<W>(clients: &Clients<W>, peer: SocketAddr) {
    lock(clients).retain(|client| client.peer != peer);
}

/// Gives a client's slot back when its thread ends, however it ends.
struct ActiveGuard(Arc<AtomicUsize>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
