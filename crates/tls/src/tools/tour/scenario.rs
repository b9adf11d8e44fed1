//! One run: a lesson's server, Eve or Mallory in front of it, and one
//! client, all in this process, on free loopback ports.
//!
//! ```text
//! client --> [127.0.0.1:0]  eve or mallory  --> [127.0.0.1:0]  server
//!            proxy::serve, report kept        accept::serve, journal kept
//!            in memory                        (what it read, why it dropped)
//! ```
//!
//! Every run gets its own server and its own Eve or Mallory, on ports the
//! operating system picks, so runs cannot disturb each other and nothing
//! the learner has on 7878 is touched. The client sends one line, the bank
//! request of lessons 3 and 4, and the run waits until the client, the tool
//! and the server are all done with it; then [`Run`] holds what each of
//! them saw, for `verdict.rs` to judge.
//!
//! The servers and tools of finished runs stay parked in `accept` until the
//! program ends; they hold a listener and a thread each, nothing more.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::runtime::options::ServerOptions;
use crate::runtime::socket::Socket;
use crate::runtime::sync::lock;
use crate::tools::annotate::Block;
use crate::tools::eve::{self, EveOptions};
use crate::tools::hexdump::Style;
use crate::tools::mallory::{self, Attack, Impostor, MalloryOptions};
use crate::tools::proxy::{self, ProxyLimits};
use crate::tools::sink::Sink;
use crate::tools::tap::Lesson;
use crate::tools::tour::endpoints::Endpoints;
use crate::tools::tour::journal::{Journal, Seen};
use crate::tools::tour::lessons::Row;

/// Where every listener of the tour binds: loopback, and a port the
/// operating system chooses (never the course's 7878).
pub const FREE_LOOPBACK_PORT: &str = "127.0.0.1:0";
/// The line the client sends: lesson 4's bank request.
// Its shape is what Mallory's `flip` assumes (`amount=100` at byte 21): an
// attacker who knows the format of a message knows where to aim, with no
// key at all.
pub const REQUEST: &[u8] = crate::lesson04_ctr_malleability::REQUEST;
/// What Mallory's `flip` wants the server to read (her `--wanted` default,
/// which the tour runs her with).
pub const WANTED: &[u8] = b"amount=900";
/// How long any one wait in a run may take. Runs normally finish in
/// milliseconds; this only bounds a run that went wrong.
const PATIENCE: Duration = Duration::from_secs(10);
/// Bytes of each field Eve shows (her program's default is 64).
const EVE_FIELD_LIMIT: usize = 16;

/// How the tour shows Eve's blocks: plain text (the tour colours its own
/// headings), short fields.
pub fn eve_style() -> Style {
    Style {
        colour: false,
        field_limit: EVE_FIELD_LIMIT,
    }
}

/// Who stands between the client and the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Front {
    /// Eve, watching an honest conversation.
    Eve,
    /// Mallory, running one attack.
    Mallory(Attack),
}

/// What one run produced.
#[derive(Clone, Debug)]
pub struct Run {
    /// The client's result: what it printed, or why it failed.
    pub client: std::result::Result<Vec<u8>, String>,
    /// What the server read, and why it dropped the connection if it did.
    pub server: Seen,
    /// What Eve or Mallory printed.
    pub report: String,
    /// What Eve saw, as blocks (none for Mallory).
    pub blocks: Vec<Block>,
}

/// Runs `row`'s lesson once with `front` in the middle.
pub fn run(row: &Row, front: Front) -> Result<Run> {
    // The server, on a port of its own.
    // Fresh credentials each run (lesson 10's key, lesson 11's CA): no run
    // can lean on what an earlier one left behind.
    let endpoints = Endpoints::new(row.wire)?;
    let journal = Journal::new();
    let server = bind_free_port()?;
    let upstream = server.local_addr()?.to_string();
    endpoints.serve(server, server_options(), &journal)?;

    // Eve or Mallory, in front of it on another port.
    // Her report goes to memory, not stdout: the tour prints it later,
    // next to the verdict it supports.
    let sink = Sink::memory();
    let over = Arc::new(Flag::default());
    let tool = bind_free_port()?;
    let tool_addr = tool.local_addr()?;
    start_front(row, front, tool, upstream, sink.clone(), &over)?;

    // The client, talking to the tool as if it were the server.
    // It is given the tool's address and nothing else: like every client of
    // the course, it cannot tell who answers there except by what the
    // handshake (if any) proves.
    let mut input = REQUEST.to_vec();
    input.push(b'\n');
    let client = connect(tool_addr)
        .and_then(|socket| endpoints.talk(socket, &input))
        // A client error is an outcome, not a failure of the run: a client
        // refusing Mallory's signature is the lesson working.
        .map_err(|e| e.to_string());

    // Done once the tool has let go of the connection and the server has
    // finished with its end.
    // Both waits matter: the client may finish before the server has read
    // a replayed copy, or before Mallory has written her last line.
    over.wait(PATIENCE);
    let server = journal.wait_until_over(PATIENCE);
    Ok(Run {
        client,
        server,
        report: sink.text(),
        blocks: sink.blocks(),
    })
}

/// A listener on loopback, on a port the operating system picks.
pub fn bind_free_port() -> Result<TcpListener> {
    let listener = TcpListener::bind(FREE_LOOPBACK_PORT)?;
    // Port 0 asks for a free port; it can never be the course's 7878,
    // which is below the range the system hands out.
    debug_assert_ne!(
        Some(listener.local_addr()?.port()),
        crate::DEFAULT_ADDR
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
    );
    Ok(listener)
}

/// The server's limits: short, so a run that goes wrong ends in seconds.
// A run has one client: four is room enough, and few enough that a run
// gone wrong cannot pile up connections.
fn server_options() -> ServerOptions {
    ServerOptions {
        handshake_timeout: PATIENCE,
        idle_timeout: PATIENCE,
        write_timeout: PATIENCE,
        max_connections: 4,
        print_messages: false,
        ..ServerOptions::default()
    }
}

/// The same for Eve and Mallory.
fn proxy_limits() -> ProxyLimits {
    ProxyLimits {
        max_connections: 4,
        connect_timeout: PATIENCE,
        idle_timeout: PATIENCE,
        write_timeout: PATIENCE,
        ..ProxyLimits::default()
    }
}

/// Starts Eve or Mallory on `listener`, relaying to `upstream`, with her
/// report going to `sink`; `over` is raised when she lets go of the
/// connection, however that ends.
fn start_front(
    row: &Row,
    front: Front,
    listener: TcpListener,
    upstream: String,
    sink: Sink,
    over: &Arc<Flag>,
) -> Result<()> {
    let over = Arc::clone(over);
    let serve: Box<dyn FnOnce() + Send> = match front {
        Front::Eve => {
            let options = Arc::new(EveOptions {
                lesson: row.tap,
                keylog: None,
                style: eve_style(),
                sink,
            });
            Box::new(move || {
                proxy::serve("eve", listener, &upstream, proxy_limits(), move |pair| {
                    let _raise = RaiseOnDrop(Arc::clone(&over));
                    eve::tap_connection(&pair, &options)
                });
            })
        }
        Front::Mallory(attack) => {
            // Her defaults, as `mallory --attack ATTACK --lesson N` has them
            // (her lesson 11 `--ca` is only read if a client accepts her
            // certificate; none does), and the row's nonce mode.
            let mut options = MalloryOptions::with_defaults(attack, Some(row.tap), sink);
            options.mitm.nonce = row.wire.nonce();
            let lesson = options.lesson()?;
            // Lesson 11's mitm: her own throwaway CA and certificate.
            let impostor = if attack == Attack::Mitm && lesson == Lesson::RealTls13 {
                Some(Arc::new(Impostor::new(None, &options.mitm.ca)?))
            } else {
                None
            };
            Box::new(move || {
                proxy::serve(
                    "mallory",
                    listener,
                    &upstream,
                    proxy_limits(),
                    move |pair| {
                        let _raise = RaiseOnDrop(Arc::clone(&over));
                        mallory::attack_connection(&pair, lesson, &options, impostor.as_deref())
                    },
                );
            })
        }
    };
    thread::Builder::new()
        .name("tour front".to_string())
        .spawn(serve)?;
    Ok(())
}

/// The client's connection, with the limits the client program sets.
// No Nagle, as the client program has it: a small record leaves at once
// instead of waiting for the peer to acknowledge the one before.
fn connect(addr: SocketAddr) -> Result<Socket> {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    Ok(Socket::new(stream))
}

/// A flag one thread raises and another waits for.
// Raised from a drop (see `RaiseOnDrop`), so it goes up however Eve's or
// Mallory's handler ends, with an error included.
#[derive(Debug, Default)]
struct Flag {
    raised: Mutex<bool>,
    changed: Condvar,
}

impl Flag {
    fn raise(&self) {
        *lock(&self.raised) = true;
        self.changed.notify_all();
    }

    /// Waits until raised, at most `limit`.
    fn wait(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut raised = lock(&self.raised);
        while !*raised {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            raised = self
                .changed
                .wait_timeout(raised, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// Raises the flag when the connection's handler is over, even if it
/// ended in a panic.
struct RaiseOnDrop(Arc<Flag>);

impl Drop for RaiseOnDrop {
    fn drop(&mut self) {
        self.0.raise();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::tour::lessons::row;

    #[test]
    fn listeners_bind_loopback_on_a_port_the_system_picks() {
        let listener = bind_free_port().unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        assert_ne!(addr.port(), 0);
        assert_ne!(addr.port(), 7878);
        assert!(FREE_LOOPBACK_PORT.ends_with(":0"));
    }

    #[test]
    fn an_honest_lesson3_run_with_eve() {
        let run = run(row("3").unwrap(), Front::Eve).unwrap();
        let mut printed = REQUEST.to_vec();
        printed.push(b'\n');
        assert_eq!(run.client.as_deref(), Ok(&printed[..]));
        assert_eq!(run.server.messages, [REQUEST.to_vec()]);
        assert_eq!(run.server.dropped, None);
        assert!(run.report.contains("lesson 3 record #1"), "{}", run.report);
    }

    #[test]
    fn a_flip_on_lesson3_reaches_the_server_as_amount_900() {
        let run = run(row("3").unwrap(), Front::Mallory(Attack::Flip)).unwrap();
        let flipped = String::from_utf8_lossy(REQUEST).replace("amount=100", "amount=900");
        assert_eq!(run.server.messages, [flipped.into_bytes()]);
        assert!(run.report.contains("FLIPPED"), "{}", run.report);
    }
}
