//! The front door every listening program shares: accept, count, refuse.
//!
//! ```text
//! accept --> failed (out of descriptors?)  --> say so, back off, go on
//!        --> peer already gone             --> skip it
//!        --> gate full (--max-connections) --> the caller refuses it
//!        --> a slot: the caller serves it on its own thread
//! ```
//!
//! The echo servers (`accept.rs`) and the proxies Eve and Mallory
//! (`tools/proxy`) both stand at such a door. What they do with a client
//! differs; how they let it in does not, so that is written once, here.
//! The accepting thread itself never waits on a client: a flood can fill
//! every slot, but it cannot stop the next connection from being accepted
//! and refused with a line that says why.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

/// How long to wait after a failed `accept` before the next. A failure is
/// usually "too many open files", which retrying at once cannot fix: the
/// pause keeps the loop from spinning until a client leaves.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Counts the connections being served, up to a maximum.
#[derive(Debug)]
pub struct Gate {
    active: Arc<AtomicUsize>,
    max: usize,
}

impl Gate {
    /// A gate that lets at most `max` connections in at once.
    pub fn new(max: usize) -> Gate {
        Gate {
            active: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// The most connections served at once.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Counts one more connection in, or `None` if that would make too
    /// many. The count is taken first and given back on refusal, so two
    /// clients arriving together can never both take the last slot.
    pub fn enter(&self) -> Option<Slot> {
        if self.active.fetch_add(1, Ordering::SeqCst) >= self.max {
            self.active.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Slot(Arc::clone(&self.active)))
    }
}

/// One connection's place inside the gate. It is given back when dropped,
/// however the connection's thread ends (a clean close, an error, a panic).
#[derive(Debug)]
pub struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts connections on `listener` forever, handing each to `each` with
/// the address it came from. A failed accept is reported on stderr (after
/// `who`, the program's prefix, which may be empty) and followed by a short
/// pause; a client gone before we could ask its address is skipped.
pub fn accept_each(listener: &TcpListener, who: &str, mut each: impl FnMut(TcpStream, SocketAddr)) {
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                status!("{who}accept failed: {e}");
                thread::sleep(ACCEPT_BACKOFF);
                continue;
            }
        };
        let Ok(peer) = stream.peer_addr() else {
            continue; // already gone
        };
        each(stream, peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_refuses_past_its_maximum_and_reopens_when_a_slot_is_dropped() {
        let gate = Gate::new(2);
        let first = gate.enter().expect("a first slot");
        let _second = gate.enter().expect("a second slot");
        assert!(gate.enter().is_none(), "a third must be refused");
        // A refusal takes nothing: the count is still two, not three.
        drop(first);
        assert!(gate.enter().is_some(), "the freed slot is free again");
    }

    #[test]
    fn a_slot_is_given_back_when_its_thread_panics() {
        let gate = Gate::new(1);
        let slot = gate.enter().expect("the only slot");
        let died = thread::spawn(move || {
            let _slot = slot;
            panic!("the connection's thread dies");
        })
        .join();
        assert!(died.is_err());
        assert!(gate.enter().is_some());
    }
}
