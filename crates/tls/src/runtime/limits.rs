//! File descriptors: how many clients this process can really hold.
//!
//! Every connection costs a file descriptor, and a process may only have so
//! many open (`ulimit -n`, often 1024). A server that accepts past that
//! point gets "Too many open files" from `accept`, and worse, from whatever
//! else it tries to open. So at start the server raises its limit as far as
//! the system allows, counts what it already uses, and never accepts more
//! clients than the rest can serve: the excess is refused with the usual
//! line, like any client over `--max-connections`.
//!
//! ```text
//! open-file limit        1024   (after raising the soft limit to the hard one)
//!  - already open           5   (stdin, stdout, stderr, the listener, ...)
//!  - spare                 16   (refusing one more client needs a descriptor too)
//!  = clients served      1003   (each holds one: see `socket.rs`)
//! ```

/// Descriptors kept free for work that is not a client: accepting (and
/// refusing) one more connection, a key log, the program's own files.
pub const SPARE_DESCRIPTORS: usize = 16;

/// Raises the open-file limit as far as the system allows and returns how
/// many connections this process can hold, if each costs
/// `per_connection` descriptors. `None` if the system will not say.
pub fn connection_capacity(per_connection: usize) -> Option<usize> {
    // Soft limit up to the hard limit (and no further: only root can raise
    // the hard one).
    let limit = rlimit::increase_nofile_limit(u64::MAX).ok()?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let free = limit
        .saturating_sub(open_descriptors())
        .saturating_sub(SPARE_DESCRIPTORS);
    Some(free / per_connection.max(1))
}

/// How many descriptors this process has open now. Linux and macOS list
/// them in a folder; elsewhere assume the usual handful.
fn open_descriptors() -> usize {
    ["/proc/self/fd", "/dev/fd"]
        .iter()
        .find_map(|dir| std::fs::read_dir(dir).ok())
        .map(|entries| entries.count())
        .unwrap_or(8)
}

/// The number of connections to allow: what the user asked for, or fewer
/// if the descriptors run out first. The second value says which it was.
pub fn effective_max(requested: usize, per_connection: usize) -> (usize, bool) {
    match connection_capacity(per_connection) {
        Some(capacity) if capacity < requested => (capacity.max(1), true),
        _ => (requested, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capacity_leaves_room_for_what_is_already_open() {
        let (soft, _hard) = rlimit::Resource::NOFILE.get().unwrap();
        let one_each = connection_capacity(1).unwrap();
        let soft = usize::try_from(soft).unwrap_or(usize::MAX);
        assert!(one_each + SPARE_DESCRIPTORS <= soft, "{one_each} of {soft}");
        // Two descriptors a connection: half as many connections.
        let two_each = connection_capacity(2).unwrap();
        assert!(two_each <= one_each / 2 + 1);
        // Asking for fewer than the capacity gets what was asked.
        assert_eq!(effective_max(3, 1), (3, false));
    }
}
