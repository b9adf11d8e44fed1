//! The echo server loop, written once for every lesson.
//!
//! ```text
//! accept --> too many clients already?  --> refuse: one line, close
//!        --> one thread per client:
//!              setup (handshake, if the lesson has one)  [handshake timeout]
//!              loop: read message --> print it --> send it back
//!                      [idle timeout on reads, write timeout on sends]
//!              EOF between messages   --> "client disconnected"
//!              anything else          --> one line on stderr, drop the client
//! ```
//!
//! A misbehaving client only ever ends its own thread. The limits below keep
//! silent, slow or greedy clients from piling up: every wait on the network
//! has a timeout, and the number of clients served at once is capped. Each
//! limit has a flag (see `cli.rs`) and a line in `SECURITY.md`.
//!
//! These limits are deliberately basic. They stop a client from holding a
//! thread *forever*; they do not stop a determined flood (a thousand clients
//! that each connect and wait still fill every slot for a while).

use std::io::{self, BufRead, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::message::{MessageReader, MessageWriter, Role};
use crate::watchdog::Watchdog;

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

/// One connected client, as the `--chat` pusher sees it: its sending half,
/// and the socket, so a client that stops reading can be cut off.
struct Client<W> {
    peer: SocketAddr,
    writer: Mutex<W>,
    socket: TcpStream,
}

/// The clients a `--chat` server pushes its stdin lines to.
type Clients<W> = Arc<Mutex<Vec<Arc<Client<W>>>>>;

/// Serves clients on an already bound listener, forever.
pub fn serve<R, W, F>(listener: TcpListener, options: ServerOptions, setup: F)
where
    R: MessageReader + 'static,
    W: MessageWriter + 'static,
    F: Fn(TcpStream, Role) -> Result<(R, W)> + Send + Sync + 'static,
{
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
                match handle_client(stream, peer, &options, &*setup, &clients, &watchdog) {
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

/// Why a client was dropped, and at which stage. The stage decides the
/// words: a timeout while reading means the client went quiet, a timeout
/// while writing means it stopped reading.
enum Dropped {
    Handshake(Error),
    Reading(Error),
    Writing(Error),
}

impl Dropped {
    /// The one line the server prints about it (after the peer's address).
    fn reason(&self, options: &ServerOptions) -> String {
        match self {
            Dropped::Handshake(Error::TimedOut) => format!(
                "handshake failed: not finished within {:?} (--handshake-timeout)",
                options.handshake_timeout
            ),
            Dropped::Handshake(e) => format!("handshake failed: {e}"),
            Dropped::Reading(Error::TimedOut) => format!(
                "dropped: silent for {:?} (--idle-timeout)",
                options.idle_timeout
            ),
            Dropped::Reading(e) => format!("dropped: {e}"),
            Dropped::Writing(e) => format!("dropped: {}", write_failure(e, options)),
        }
    }
}

/// Words for a send that failed.
fn write_failure(e: &Error, options: &ServerOptions) -> String {
    match e {
        Error::TimedOut => format!(
            "not reading what we send; a write waited {:?} (--write-timeout)",
            options.write_timeout
        ),
        e => format!("cannot send to it: {e}"),
    }
}

/// One client, from handshake to goodbye.
fn handle_client<R, W, F>(
    stream: TcpStream,
    peer: SocketAddr,
    options: &ServerOptions,
    setup: &F,
    clients: &Clients<W>,
    watchdog: &Arc<Watchdog>,
) -> std::result::Result<(), Dropped>
where
    R: MessageReader,
    W: MessageWriter,
    F: Fn(TcpStream, Role) -> Result<(R, W)>,
{
    // A handle to the same socket, to change its timeouts after the
    // handshake and to close it from outside.
    let control = stream
        .try_clone()
        .map_err(|e| Dropped::Handshake(e.into()))?;
    let (mut reader, writer) = handshake(stream, &control, options, setup, watchdog)?;
    control
        .set_read_timeout(Some(options.idle_timeout))
        .map_err(|e| Dropped::Reading(e.into()))?;
    say(options, format_args!("{peer}: client connected"));

    let socket = control
        .try_clone()
        .map_err(|e| Dropped::Reading(e.into()))?;
    let client = Arc::new(Client {
        peer,
        writer: Mutex::new(writer),
        socket,
    });
    if options.chat {
        lock(clients).push(Arc::clone(&client));
    }
    // The echo loop proper.
    let result = loop {
        let message = match reader.read_message() {
            Ok(Some(message)) => message,
            Ok(None) => {
                // The client closed cleanly: say goodbye too (close_notify in
                // lesson 11). It may already be gone, so a failure is no news.
                let _ = lock(&client.writer).close();
                break Ok(());
            }
            Err(e) => break Err(Dropped::Reading(e)),
        };
        // Only pay for the UTF-8 conversion if the line will be printed.
        if options.print_messages {
            say(
                options,
                format_args!("[{peer}] {}", String::from_utf8_lossy(message)),
            );
        }
        if let Err(e) = lock(&client.writer).write_message(message) {
            break Err(Dropped::Writing(e));
        }
    };
    if result.is_err() {
        // Close now, even if the chat pusher still holds a handle: the peer
        // learns at once that it was dropped, and anything more it sends is
        // never read.
        let _ = control.shutdown(Shutdown::Both);
    }
    result
}

/// Runs the lesson's setup under the handshake deadline.
///
/// The socket's read timeout bounds each read; the watchdog (see
/// `watchdog.rs`) bounds the handshake as a whole, so a client cannot drip
/// its public key a byte at a time and hold the thread for minutes.
fn handshake<R, W, F>(
    stream: TcpStream,
    control: &TcpStream,
    options: &ServerOptions,
    setup: &F,
    watchdog: &Arc<Watchdog>,
) -> std::result::Result<(R, W), Dropped>
where
    F: Fn(TcpStream, Role) -> Result<(R, W)>,
{
    let failed = |e: io::Error| Dropped::Handshake(e.into());
    // Records leave in one write each; don't let Nagle hold them back.
    stream.set_nodelay(true).map_err(failed)?;
    stream
        .set_read_timeout(Some(options.handshake_timeout))
        .map_err(failed)?;
    // The write timeout is set once and holds for the whole connection (the
    // socket option is shared by every handle to the socket).
    stream
        .set_write_timeout(Some(options.write_timeout))
        .map_err(failed)?;

    let watch = watchdog.watch(
        control.try_clone().map_err(failed)?,
        options.handshake_timeout,
    );
    let result = setup(stream, Role::Server);
    // If the watchdog fired, whatever the setup saw (a close, a reset) was
    // our doing: report the real reason.
    if watch.fired() {
        return Err(Dropped::Handshake(Error::TimedOut));
    }
    result.map_err(Dropped::Handshake)
}

/// `--chat`: every line typed on the server's stdin goes to every client.
///
/// A client that does not read its pushes is cut off after one write
/// timeout, so it cannot hold up the others for longer than that.
fn push_stdin_lines<W: MessageWriter>(clients: &Clients<W>, options: &ServerOptions) {
    for line in io::stdin().lock().split(b'\n') {
        let Ok(mut line) = line else { break };
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        // Copy the list so a slow client does not hold the lock for others.
        let targets: Vec<_> = lock(clients).clone();
        for client in targets {
            if let Err(e) = lock(&client.writer).write_message(&line) {
                // A record may be half sent: the stream is no longer
                // well-formed, so the connection cannot go on.
                status!("{}: dropped: {}", client.peer, write_failure(&e, options));
                let _ = client.socket.shutdown(Shutdown::Both);
                forget_client(clients, client.peer);
            }
        }
    }
}

fn forget_client<W>(clients: &Clients<W>, peer: SocketAddr) {
    lock(clients).retain(|client| client.peer != peer);
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
