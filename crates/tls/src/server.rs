//! The echo server loop, written once for every lesson.
//!
//! ```text
//! accept --> one thread per client:
//!              setup (handshake, if the lesson has one)  [handshake timeout]
//!              loop: read message --> print it --> send it back  [idle timeout]
//!              EOF between messages   --> "client disconnected"
//!              anything else          --> one line on stderr, drop the client
//! ```
//!
//! A misbehaving client only ever ends its own thread. The limits below keep
//! silent or greedy clients from piling up: every wait on the network has a
//! timeout, and the number of clients served at once is capped.

use std::io::{self, BufRead, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::message::{MessageReader, MessageWriter, Role};

/// How long a new client may take to finish its handshake.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connected client may stay silent before it is dropped.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long one write may wait for a client that is not reading.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How many clients are served at once; more are turned away.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Stack size for each client's thread: the echo loop needs little, and a
/// small stack keeps a thousand idle clients cheap.
const CLIENT_THREAD_STACK: usize = 256 * 1024;

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
            chat: false,
            print_messages: true,
        }
    }
}

/// Binds `addr` and serves forever. Only returns if binding fails.
pub fn run<R, W, F>(addr: &str, options: ServerOptions, setup: F) -> Result<()>
where
    R: MessageReader + 'static,
    W: MessageWriter + 'static,
    F: Fn(TcpStream, Role) -> Result<(R, W)> + Send + Sync + 'static,
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

/// The clients a `--chat` server pushes its stdin lines to.
type Clients<W> = Arc<Mutex<Vec<(SocketAddr, Arc<Mutex<W>>)>>>;

/// Serves clients on an already bound listener, forever.
pub fn serve<R, W, F>(listener: TcpListener, options: ServerOptions, setup: F)
where
    R: MessageReader + 'static,
    W: MessageWriter + 'static,
    F: Fn(TcpStream, Role) -> Result<(R, W)> + Send + Sync + 'static,
{
    let setup = Arc::new(setup);
    let active = Arc::new(AtomicUsize::new(0));
    let clients: Clients<W> = Arc::new(Mutex::new(Vec::new()));
    if options.chat {
        let clients = Arc::clone(&clients);
        thread::spawn(move || push_stdin_lines(&clients));
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
        if active.fetch_add(1, Ordering::SeqCst) >= options.max_connections {
            active.fetch_sub(1, Ordering::SeqCst);
            status!(
                "{peer}: refused: already serving {} clients (--max-connections)",
                options.max_connections
            );
            continue; // dropping `stream` closes it
        }
        let guard = ActiveGuard(Arc::clone(&active));
        let (setup, options, clients) = (Arc::clone(&setup), options.clone(), Arc::clone(&clients));
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .stack_size(CLIENT_THREAD_STACK)
            .spawn(move || {
                let _guard = guard;
                match handle_client(stream, peer, &options, &*setup, &clients) {
                    Ok(()) => say(&options, format_args!("{peer}: client disconnected")),
                    Err(e) => status!("{peer}: dropped: {e}"),
                }
                forget_client(&clients, peer);
            });
        if let Err(e) = spawned {
            status!("{peer}: refused: cannot start a thread: {e}");
        }
    }
}

/// One client, from handshake to goodbye.
fn handle_client<R, W, F>(
    stream: TcpStream,
    peer: SocketAddr,
    options: &ServerOptions,
    setup: &F,
    clients: &Clients<W>,
) -> Result<()>
where
    R: MessageReader,
    W: MessageWriter,
    F: Fn(TcpStream, Role) -> Result<(R, W)>,
{
    // Records leave in one write each; don't let Nagle hold them back.
    stream.set_nodelay(true)?;
    // The handshake gets a short leash: a client that connects and says
    // nothing must not hold a thread for long.
    stream.set_read_timeout(Some(options.handshake_timeout))?;
    stream.set_write_timeout(Some(options.write_timeout))?;
    // A handle to the same socket, to change its timeout after the handshake.
    let control = stream.try_clone()?;
    let (mut reader, writer) = setup(stream, Role::Server)?;
    control.set_read_timeout(Some(options.idle_timeout))?;
    say(options, format_args!("{peer}: client connected"));

    let writer = Arc::new(Mutex::new(writer));
    if options.chat {
        lock(clients).push((peer, Arc::clone(&writer)));
    }
    // The echo loop proper.
    while let Some(message) = reader.read_message()? {
        say(
            options,
            format_args!("[{peer}] {}", String::from_utf8_lossy(message)),
        );
        lock(&writer).write_message(message)?;
    }
    Ok(())
}

/// `--chat`: every line typed on the server's stdin goes to every client.
fn push_stdin_lines<W: MessageWriter>(clients: &Clients<W>) {
    for line in io::stdin().lock().split(b'\n') {
        let Ok(mut line) = line else { break };
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        // Copy the list so a slow client does not hold the lock for others.
        let targets: Vec<_> = lock(clients).clone();
        for (peer, writer) in targets {
            if let Err(e) = lock(&writer).write_message(&line) {
                status!("{peer}: push failed: {e}");
            }
        }
    }
}

fn forget_client<W>(clients: &Clients<W>, peer: SocketAddr) {
    lock(clients).retain(|(p, _)| *p != peer);
}

/// Takes a lock even if another client's thread died holding it: the data
/// behind these locks (a socket writer, a list) stays usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Prints one server event to stdout. A closed stdout is not worth dying for.
fn say(options: &ServerOptions, line: std::fmt::Arguments<'_>) {
    if options.print_messages {
        let _ = writeln!(io::stdout().lock(), "{line}");
    }
}

/// Gives a client's slot back when its thread ends, however it ends.
struct ActiveGuard(Arc<AtomicUsize>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
