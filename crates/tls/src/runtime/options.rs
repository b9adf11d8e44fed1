//! The server's limits and modes, and the words that name them.
//!
//! Every limit here has a flag (see `cli.rs`) and a line in `SECURITY.md`.
//! The lines the server prints about a limit name the flag that sets it, so
//! a learner who hits one knows what to change.

use std::time::Duration;

use crate::error::Error;
use crate::runtime::budget;
use crate::runtime::output::out_line;

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

/// Words for a send that failed.
pub fn write_failure(e: &Error, options: &ServerOptions) -> String {
    match e {
        Error::TimedOut => format!(
            "not reading what we send; a write waited {:?} (--write-timeout)",
            options.write_timeout
        ),
        e => format!("cannot send to it: {e}"),
    }
}

/// Queues one server event for stdout; never waits (see `output.rs`).
pub fn say(options: &ServerOptions, line: std::fmt::Arguments<'_>) {
    if options.print_messages {
        out_line(line);
    }
}
