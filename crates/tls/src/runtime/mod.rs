//! The shared runtime: what every lesson's programs run on.
//!
//! A lesson only says what a message looks like on the wire (its reader and
//! writer, see [`message`]). Everything else, accepting clients, timeouts,
//! limits, reading stdin, printing, is written once here.
//!
//! - [`socket`]: one TCP connection, shared by its reading half, its writing
//!   half and the runtime, on one file descriptor.
//! - [`message`]: the two traits every lesson's channel implements, and the
//!   one helper that cuts a long message into records.
//! - [`server`]: the echo loop for one client (read, print, send back).
//! - [`accept`]: the accept loop around it: limits and refusals.
//! - [`gate`]: the front door the servers and the proxies share: accept,
//!   count each connection in, refuse past the maximum.
//! - [`options`]: the server's limits and modes, and the words naming them.
//! - [`chat`]: `--chat`, each line typed on the server's stdin to every
//!   client.
//! - [`limits`]: how many clients the open-file limit allows.
//! - [`watchdog`]: one thread that cuts off handshakes past their deadline.
//! - [`client`]: the echo client: stdin lines out, echoes back to stdout.
//! - [`output`]: printing that never blocks serving, and terminal-safe
//!   previews of a peer's bytes.
//! - [`budget`]: the memory budget for buffered messages, and the buffer
//!   that respects it.
//! - [`cli`]: the flags every program shares, and one-line user errors.
//! - [`sync`]: the one way the crate takes a lock.

pub mod accept;
pub mod budget;
pub mod chat;
pub mod cli;
pub mod client;
pub mod gate;
pub mod limits;
pub mod message;
pub mod options;
pub mod output;
pub mod server;
pub mod socket;
pub mod sync;
pub mod watchdog;

pub use accept::run as run_server;
pub use client::run as run_client;
pub use message::{MessageReader, MessageWriter};
pub use socket::Socket;
