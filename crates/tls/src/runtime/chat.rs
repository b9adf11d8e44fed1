//! `--chat`: the server pushes each line typed on its stdin to every client.
//!
//! ```text
//! server stdin --line--> copy the list of subscribers
//!                        -> one short-lived thread per client: write_message
//!                           (a client that does not read is cut off after
//!                            one --write-timeout, and forgotten)
//! ```
//!
//! Each client's echo loop (`server.rs`) adds its sending half here once
//! its handshake is done, and the accept loop (`accept.rs`) forgets it when
//! its thread ends.

use std::io::{self, BufRead};
use std::net::{Shutdown, SocketAddr};
use std::sync::{Arc, Mutex};
use std::thread;

use crate::runtime::message::MessageWriter;
use crate::runtime::options::{ServerOptions, write_failure};
use crate::runtime::socket::Socket;
use crate::runtime::sync::lock;

/// Stack size for a `--chat` push thread, which only writes one line.
const PUSH_THREAD_STACK: usize = 64 * 1024;

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

/// `--chat`: every line typed on the server's stdin goes to every client.
///
/// The pushes to the clients happen at the same time, one short-lived
/// thread each, and a client that does not read is cut off after one write
/// timeout. So a slow client delays the others by at most one write
/// timeout per line in all, however many slow clients there are.
pub fn push_stdin_lines<W: MessageWriter>(clients: &Clients<W>, options: &ServerOptions) {
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

/// Takes a client off the list, once its thread has ended.
pub fn forget_client<W>(clients: &Clients<W>, peer: SocketAddr) {
    lock(clients).retain(|client| client.peer != peer);
}
