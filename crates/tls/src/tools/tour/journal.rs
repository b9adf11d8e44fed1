//! What the server received: a recording around the lesson's own reader.
//!
//! The tour judges an attack by what reached the server (did it read
//! `amount=900`? the same request twice?) and, when it refused something,
//! by the reason it gave. The server is the real runtime
//! (`runtime::accept::serve`) running the lesson's real channel; the only
//! addition is this wrapper, put around the lesson's reader in the setup
//! closure the runtime calls for every connection:
//!
//! ```text
//! runtime --socket--> setup: lesson's accept/open --> (reader, writer)
//!                            wrapped:  (Recording(reader), writer)
//! Recording::read_message --> the lesson's read_message
//!                             Ok(message)  -> journal: message
//!                             Ok(None)     -> journal: closed cleanly
//!                             Err(e)       -> journal: dropped, e
//! dropping the Recording   -> journal: connection over
//! ```
//!
//! The runtime drops the reader when it has finished with a connection,
//! however that ended, so "connection over" is the signal the tour waits
//! for before it reads the journal.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::runtime::message::MessageReader;
use crate::runtime::socket::Socket;
use crate::runtime::sync::lock;

/// What the server has seen so far, over all its connections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// Every message the server read, in order.
    pub messages: Vec<Vec<u8>>,
    /// What the server did when it gave up on a connection, if it did (the
    /// first time): "dropped the connection: REASON" for a message it
    /// refused, "refused the handshake: REASON" for a handshake.
    // Only the first: a later reason is usually a consequence of it (an
    // alert sent, then the socket closed), and the first one is the why.
    pub dropped: Option<String>,
    /// Connections the server started to serve.
    pub opened: usize,
    /// Connections it has finished with.
    pub closed: usize,
}

impl Seen {
    /// How many times the server read exactly `message`.
    pub fn count(&self, message: &[u8]) -> usize {
        self.messages
            .iter()
            .filter(|m| m.as_slice() == message)
            .count()
    }
}

/// The shared record one server writes and the tour reads.
#[derive(Debug, Default)]
pub struct Journal {
    seen: Mutex<Seen>,
    changed: Condvar,
}

impl Journal {
    /// An empty journal, to share between a server and the tour.
    pub fn new() -> Arc<Journal> {
        Arc::default()
    }

    /// The setup for one connection: runs the lesson's `open` (its
    /// handshake, if it has one) and wraps the reader it returns.
    pub fn open<R, W>(
        self: &Arc<Self>,
        socket: Socket,
        open: impl FnOnce(Socket) -> Result<(R, W)>,
    ) -> Result<(Recording<R>, W)> {
        // Counted before the handshake: a client refused mid-handshake is a
        // connection the tour must still wait for.
        self.update(|seen| seen.opened += 1);
        match open(socket) {
            Ok((reader, writer)) => Ok((
                Recording {
                    inner: reader,
                    journal: Arc::clone(self),
                },
                writer,
            )),
            Err(e) => {
                // No reader will ever be dropped for this one: the
                // connection is over now.
                self.update(|seen| {
                    seen.dropped
                        .get_or_insert(format!("refused the handshake: {e}"));
                    seen.closed += 1;
                });
                Err(e)
            }
        }
    }

    /// A copy of what has been seen so far.
    pub fn seen(&self) -> Seen {
        self.lock().clone()
    }

    /// Waits until at least one connection was opened and every opened one
    /// is over, or `limit` has passed; then returns what was seen.
    pub fn wait_until_over(&self, limit: Duration) -> Seen {
        let deadline = Instant::now() + limit;
        let mut seen = self.lock();
        // `opened == 0` too: the tour may get here before the server has
        // even accepted, and zero of zero closed is not "over".
        while seen.opened == 0 || seen.closed < seen.opened {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            seen = self
                .changed
                .wait_timeout(seen, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        seen.clone()
    }

    fn update(&self, change: impl FnOnce(&mut Seen)) {
        change(&mut self.lock());
        self.changed.notify_all();
    }

    /// Takes the lock even if a server thread died holding it.
    fn lock(&self) -> MutexGuard<'_, Seen> {
        lock(&self.seen)
    }
}

/// A lesson's reader that tells the journal what it read.
pub struct Recording<R> {
    inner: R,
    journal: Arc<Journal>,
}

impl<R: MessageReader> MessageReader for Recording<R> {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        let journal = &self.journal;
        match self.inner.read_message() {
            // Only what the lesson's reader accepted reaches here: for
            // lessons 5 and later, a message whose tag (and sequence
            // number) checked out. That is what the verdicts count.
            Ok(Some(message)) => {
                journal.update(|seen| seen.messages.push(message.to_vec()));
                Ok(Some(message))
            }
            Ok(None) => Ok(None),
            // The lesson's refusal, in its own words: bad MAC, wrong
            // sequence number, bad_record_mac.
            Err(e) => {
                journal.update(|seen| {
                    seen.dropped
                        .get_or_insert(format!("dropped the connection: {e}"));
                });
                Err(e)
            }
        }
    }

    fn keeps_boundaries(&self) -> bool {
        self.inner.keeps_boundaries()
    }
}

impl<R> Drop for Recording<R> {
    fn drop(&mut self) {
        self.journal.update(|seen| seen.closed += 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    /// A reader that hands out a fixed script of results.
    struct Script(Vec<Result<Option<Vec<u8>>>>, Vec<u8>);

    impl MessageReader for Script {
        fn read_message(&mut self) -> Result<Option<&[u8]>> {
            if self.0.is_empty() {
                return Ok(None);
            }
            match self.0.remove(0) {
                Ok(Some(message)) => {
                    self.1 = message;
                    Ok(Some(&self.1))
                }
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            }
        }
    }

    fn socket() -> Socket {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        Socket::new(client)
    }

    #[test]
    fn messages_the_reason_and_the_end_are_recorded() {
        let journal = Journal::new();
        let script = Script(
            vec![Ok(Some(b"one".to_vec())), Err(Error::BadMac)],
            Vec::new(),
        );
        let (mut reader, ()) = journal.open(socket(), |_| Ok((script, ()))).unwrap();
        assert_eq!(reader.read_message().unwrap(), Some(&b"one"[..]));
        assert!(matches!(reader.read_message(), Err(Error::BadMac)));
        assert_eq!(
            journal.seen().closed,
            0,
            "still open while the reader lives"
        );
        drop(reader);
        let seen = journal.wait_until_over(Duration::from_secs(5));
        assert_eq!(seen.messages, [b"one".to_vec()]);
        assert_eq!(seen.count(b"one"), 1);
        assert_eq!(
            seen.dropped.as_deref(),
            Some("dropped the connection: record failed authentication (bad mac)")
        );
        assert_eq!((seen.opened, seen.closed), (1, 1));
    }

    #[test]
    fn a_failed_handshake_is_over_at_once() {
        let journal = Journal::new();
        let failed = journal.open::<Script, ()>(socket(), |_| Err(Error::BadSignature));
        assert!(failed.is_err());
        let seen = journal.wait_until_over(Duration::from_secs(5));
        assert_eq!((seen.opened, seen.closed), (1, 1));
        assert!(seen.dropped.unwrap().starts_with("refused the handshake: "));
    }

    #[test]
    fn waiting_for_a_connection_that_never_comes_ends_at_the_limit() {
        let seen = Journal::new().wait_until_over(Duration::from_millis(20));
        assert_eq!(seen, Seen::default());
    }
}
