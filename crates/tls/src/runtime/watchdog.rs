//! One thread that enforces every client's handshake deadline.
//!
//! A socket read timeout bounds each *read*, not the handshake as a whole: a
//! client that drips its 32-byte public key one byte every 9 seconds would
//! pass a 10-second read timeout 32 times over. So the server also puts each
//! new socket on this watch list with a deadline. If the handshake is not
//! done by then, the watchdog shuts the socket down, and the handshake's next
//! read fails at once.
//!
//! One watchdog serves all clients: a thread per handshake would double the
//! cost of accepting a connection. Every deadline is "accepted + the same
//! limit", so a new entry is never earlier than the ones already waiting; the
//! thread only needs waking when the list was empty.

use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::runtime::socket::Socket;
use crate::runtime::sync::lock;

/// The shared watch list and the thread that patrols it.
pub struct Watchdog {
    watched: Mutex<Vec<Watched>>,
    wake: Condvar,
    next_id: AtomicU64,
}

struct Watched {
    id: u64,
    deadline: Instant,
    socket: Socket,
    fired: Arc<AtomicBool>,
}

impl Watchdog {
    /// Starts the watchdog thread. It runs for as long as the server does.
    pub fn start() -> std::io::Result<Arc<Watchdog>> {
        let dog = Arc::new(Watchdog {
            watched: Mutex::new(Vec::new()),
            wake: Condvar::new(),
            next_id: AtomicU64::new(0),
        });
        let patrol = Arc::clone(&dog);
        thread::Builder::new()
            .name("handshake watchdog".to_string())
            .stack_size(64 * 1024)
            .spawn(move || patrol.patrol())?;
        Ok(dog)
    }

    /// Watches `socket` (a handle to the client's socket) for `limit` from
    /// now. Dropping the returned guard takes it off the list.
    pub fn watch(self: &Arc<Self>, socket: Socket, limit: Duration) -> Watch {
        let fired = Arc::new(AtomicBool::new(false));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        // A limit too far away for the clock to represent is no limit at all
        // (the flags cap timeouts at a week, so this is for library users).
        if let Some(deadline) = Instant::now().checked_add(limit) {
            let mut watched = self.lock();
            watched.push(Watched {
                id,
                deadline,
                socket,
                fired: Arc::clone(&fired),
            });
            if watched.len() == 1 {
                // The thread was waiting with nothing to watch.
                self.wake.notify_one();
            }
        }
        Watch {
            dog: Arc::clone(self),
            id,
            fired,
        }
    }

    fn patrol(&self) {
        let mut watched = self.lock();
        loop {
            let now = Instant::now();
            // Cut off every handshake whose time is up.
            watched.retain(|w| {
                if w.deadline > now {
                    return true;
                }
                w.fired.store(true, Ordering::SeqCst);
                let _ = w.socket.stream().shutdown(Shutdown::Both);
                false
            });
            // Sleep until the next deadline, or until there is one.
            watched = match watched.iter().map(|w| w.deadline).min() {
                Some(next) => {
                    let nap = next.saturating_duration_since(now);
                    self.wake
                        .wait_timeout(watched, nap)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .wake
                    .wait(watched)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Watched>> {
        lock(&self.watched)
    }
}

/// One socket on the watch list.
pub struct Watch {
    dog: Arc<Watchdog>,
    id: u64,
    fired: Arc<AtomicBool>,
}

impl Watch {
    /// True if the deadline passed and the watchdog shut the socket.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.dog.lock().retain(|w| w.id != self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    fn pair() -> (TcpStream, Socket) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, Socket::new(server))
    }

    #[test]
    fn a_late_handshake_is_cut_off() {
        let dog = Watchdog::start().unwrap();
        let (_client, mut server) = pair();
        let watch = dog.watch(server.clone(), Duration::from_millis(100));
        // The read would wait forever; the watchdog ends it.
        let started = Instant::now();
        let n = server.read(&mut [0u8; 32]).unwrap_or(0);
        assert_eq!(n, 0);
        assert!(watch.fired());
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_finished_handshake_is_left_alone() {
        let dog = Watchdog::start().unwrap();
        let (mut client, server) = pair();
        let watch = dog.watch(server.clone(), Duration::from_millis(50));
        drop(watch); // handshake done in time
        thread::sleep(Duration::from_millis(150));
        // The socket still works both ways.
        std::io::Write::write_all(&mut client, b"x").unwrap();
        let mut byte = [0u8; 1];
        server.stream().read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"x");
        assert!(dog.lock().is_empty());
    }
}
