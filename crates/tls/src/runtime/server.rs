//! The echo server's work for one client, written once for every lesson.
//!
//! ```text
//! accepted socket
//!   -> handshake (the lesson's setup), under the handshake deadline
//!   -> switch to the idle timeout
//!   -> loop: read a message -> print it -> send it back
//!        clean close between messages  -> "client disconnected"
//!        anything else                 -> one line on stderr, drop the client
//! ```
//!
//! A misbehaving client only ever ends its own thread: every error here
//! becomes a [`Dropped`] reason that the accept loop (`accept.rs`) prints
//! on one line, and the other clients never notice.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::runtime::chat::{Clients, Subscriber};
use crate::runtime::message::{MessageReader, MessageWriter};
use crate::runtime::options::{ServerOptions, say, write_failure};
use crate::runtime::output::{PREVIEW_BYTES, preview};
use crate::runtime::socket::Socket;
use crate::runtime::sync::lock;
use crate::runtime::watchdog::Watchdog;

/// Why a client was dropped, and at which stage. The stage decides the
/// words: a timeout while reading means the client went quiet, a timeout
/// while writing means it stopped reading.
pub enum Dropped {
    /// The lesson's setup (its handshake) failed or ran out of time.
    Handshake(Error),
    /// Reading the next message failed.
    Reading(Error),
    /// Sending the echo failed.
    Writing(Error),
}

impl Dropped {
    /// The one line the server prints about it (after the peer's address).
    pub fn reason(&self, options: &ServerOptions) -> String {
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

/// One client, from handshake to goodbye.
pub fn handle_client<R, W, F>(
    socket: Socket,
    peer: SocketAddr,
    options: &ServerOptions,
    setup: &F,
    clients: &Clients<W>,
    watchdog: &Arc<Watchdog>,
) -> std::result::Result<(), Dropped>
where
    R: MessageReader,
    W: MessageWriter,
    F: Fn(Socket) -> Result<(R, W)>,
{
    // Step 1: the lesson's handshake, with the whole of it under one
    // deadline (lessons 1-3 have no handshake; their setup is instant).
    let (mut reader, writer) = handshake(&socket, options, setup, watchdog)?;

    // Step 2: from now on, the client may be quiet for up to the idle
    // timeout between (and inside) messages.
    socket
        .stream()
        .set_read_timeout(Some(options.idle_timeout))
        .map_err(|e| Dropped::Reading(e.into()))?;

    // The sending half is shared with the `--chat` pusher, which may write
    // to this client from its own thread.
    let subscriber = Arc::new(Subscriber {
        peer,
        writer: Mutex::new(writer),
        socket: socket.clone(),
    });
    if options.chat {
        lock(clients).push(Arc::clone(&subscriber));
    }
    // Said once the client is fully in: from this line on, a `--chat` push
    // reaches it too.
    say(options, format_args!("{peer}: client connected"));

    // Step 3: the echo loop proper.
    let result = loop {
        // Read one whole message (the lesson decides what "whole" means).
        let message = match reader.read_message() {
            Ok(Some(message)) => message,
            // A close between messages: the client said goodbye.
            Ok(None) => break Ok(()),
            Err(e) => break Err(Dropped::Reading(e)),
        };
        // Print it for whoever watches the server, made safe for a
        // terminal: escaped, and cut to a preview if it is long.
        if options.print_messages {
            say(
                options,
                format_args!("[{peer}] {}", preview(message, PREVIEW_BYTES)),
            );
        }
        // Send the same bytes back.
        if let Err(e) = lock(&subscriber.writer).write_message(message) {
            break Err(Dropped::Writing(e));
        }
    };

    match &result {
        // Say goodbye the lesson's way (TLS sends close_notify), then close.
        Ok(()) => {
            let _ = lock(&subscriber.writer).close();
        }
        // Close now, even if the chat pusher still holds a handle: the peer
        // learns at once that it was dropped, and anything more it sends is
        // never read.
        Err(_) => {
            let _ = socket.stream().shutdown(Shutdown::Both);
        }
    }
    result
}

/// Runs the lesson's setup under the handshake deadline.
///
/// The socket's read timeout bounds each read; the watchdog (see
/// `watchdog.rs`) bounds the handshake as a whole, so a client cannot drip
/// its public key a byte at a time and hold the thread for minutes.
fn handshake<R, W, F>(
    socket: &Socket,
    options: &ServerOptions,
    setup: &F,
    watchdog: &Arc<Watchdog>,
) -> std::result::Result<(R, W), Dropped>
where
    F: Fn(Socket) -> Result<(R, W)>,
{
    let failed = |e: io::Error| Dropped::Handshake(e.into());
    let stream = socket.stream();
    // Records leave in one write each; don't let Nagle hold them back.
    stream.set_nodelay(true).map_err(failed)?;
    stream
        .set_read_timeout(Some(options.handshake_timeout))
        .map_err(failed)?;
    // The write timeout is set once and holds for the whole connection.
    stream
        .set_write_timeout(Some(options.write_timeout))
        .map_err(failed)?;

    let watch = watchdog.watch(socket.clone(), options.handshake_timeout);
    let result = setup(socket.clone());
    // If the watchdog fired, whatever the setup saw (a close, a reset) was
    // our doing: report the real reason.
    if watch.fired() {
        return Err(Dropped::Handshake(Error::TimedOut));
    }
    result.map_err(Dropped::Handshake)
}
