//! Where Eve gets keys: a key log that the endpoints are still writing.
//!
//! A key log (`--keylog FILE` on a lesson 9, 10 or 11 program) is how an
//! endpoint hands its session keys to someone it trusts, a debugger or
//! Wireshark; for Eve it stands for a leaked key. Both views read it the
//! same way, and this is the one place the rules are written:
//!
//! - The log is read afresh at each lookup: the programs append to it as
//!   sessions start, and Eve may be watching one that is newer than her
//!   last look.
//! - A record can reach Eve a moment before its keys reach the file (the
//!   writer logs after it sends), so a lookup that is allowed to wait tries
//!   again every `POLL` (50 ms) for up to [`PATIENCE`].
//! - Eve waits in vain at most once per connection. After that she still
//!   looks, but never waits: a log that lacks a session would otherwise cost
//!   every record two seconds, holding the relay still.
//! - A log that cannot be read is said once on stderr; the view goes on
//!   without it.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::Result;

/// The longest one lookup waits for its keys to appear.
pub const PATIENCE: Duration = Duration::from_secs(2);
/// How often a waiting lookup reads the file again.
const POLL: Duration = Duration::from_millis(50);

/// One connection's access to a live key log.
#[derive(Debug)]
pub struct KeyLog {
    path: PathBuf,
    // Set once a wait ran out (or the file could not be read): no more
    // waiting on this connection.
    gave_up_waiting: bool,
}

impl KeyLog {
    /// The key log at `path`, not read yet.
    pub fn new(path: PathBuf) -> KeyLog {
        KeyLog {
            path,
            gave_up_waiting: false,
        }
    }

    /// Reads the log with `lookup` until it finds what it looks for. With
    /// `wait`, and if no earlier wait on this connection ran out, it keeps
    /// trying for up to [`PATIENCE`]; otherwise it looks once.
    pub fn find<T>(
        &mut self,
        wait: bool,
        mut lookup: impl FnMut(&Path) -> Result<Option<T>>,
    ) -> Option<T> {
        let patience = if wait && !self.gave_up_waiting {
            PATIENCE
        } else {
            Duration::ZERO
        };
        let deadline = Instant::now() + patience;
        loop {
            match lookup(&self.path) {
                Ok(Some(found)) => return Some(found),
                Ok(None) => {}
                Err(e) => {
                    status!("eve: {e}");
                    self.gave_up_waiting = true;
                    return None;
                }
            }
            if Instant::now() >= deadline {
                // Waited once in vain: from now on look, but do not wait.
                self.gave_up_waiting |= !patience.is_zero();
                return None;
            }
            thread::sleep(POLL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn a_found_key_returns_at_once_and_a_missing_one_waits_only_once() {
        let mut log = KeyLog::new(PathBuf::from("unused"));
        assert_eq!(log.find(true, |_| Ok(Some(7))), Some(7));
        // Missing: the first wait runs to its end...
        let mut looks = 0;
        let started = Instant::now();
        assert_eq!(
            log.find(true, |_| {
                looks += 1;
                Ok(None::<u8>)
            }),
            None
        );
        assert!(started.elapsed() >= PATIENCE);
        assert!(looks > 1);
        // ...and after it, a lookup looks once and does not wait.
        looks = 0;
        assert_eq!(
            log.find(true, |_| {
                looks += 1;
                Ok(None::<u8>)
            }),
            None
        );
        assert_eq!(looks, 1);
    }

    #[test]
    fn a_lookup_told_not_to_wait_looks_once() {
        let mut log = KeyLog::new(PathBuf::from("unused"));
        let mut looks = 0;
        let _ = log.find(false, |_| {
            looks += 1;
            Ok(None::<u8>)
        });
        assert_eq!(looks, 1);
        // Not waiting is not giving up: a later lookup may still wait.
        assert!(!log.gave_up_waiting);
    }

    #[test]
    fn an_unreadable_log_stops_the_waiting() {
        let mut log = KeyLog::new(PathBuf::from("unused"));
        let mut looks = 0;
        let found = log.find(true, |_| {
            looks += 1;
            Err::<Option<u8>, _>(Error::Io(std::io::Error::other("gone")))
        });
        assert_eq!((found, looks), (None, 1));
        assert!(log.gave_up_waiting);
    }
}
