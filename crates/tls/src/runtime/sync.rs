//! Locks that survive a panicking thread.
//!
//! A client's thread that panics while holding a lock "poisons" it, and
//! `Mutex::lock` then returns an error to everyone else. The data behind
//! the course's locks (a socket's writer, a list of clients, a journal of
//! what was seen) stays usable after such a panic, so one bad connection
//! must not take the others down with it: every lock in the crate is taken
//! with [`lock`].

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Takes a lock even if another client's thread died holding it: the data
/// behind these locks (a socket writer, a list) stays usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
