//! A proxy's limits (the flags that set them are in `args.rs`).
//!
//! A proxy is a server too, so it needs the same kind of limits as the echo
//! servers, for the same reason: a client that connects and goes silent,
//! or a server that never answers, must not hold a thread forever.
//!
//! - a cap on connections relayed at once (also kept under the open-file
//!   limit: two descriptors a connection, the client's and the server's);
//! - a timeout on the connect to the upstream, taken on the connection's
//!   own thread, so one black-holed connect cannot stop the accepting;
//! - idle and write timeouts on both legs;
//! - the memory budget for what the proxy buffers to cut records
//!   (`runtime/budget.rs`).

use std::time::Duration;

use crate::runtime::budget::DEFAULT_MEMORY_BUDGET;

/// Connections relayed at once unless told otherwise (`--max-connections`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// How long the connect to the real server may take (`--connect-timeout`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long either side may stay silent before the relay gives up on both
/// (`--idle-timeout`).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long one forward may wait for a side that is not reading
/// (`--write-timeout`).
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// A proxy's limits.
#[derive(Clone, Debug)]
pub struct ProxyLimits {
    /// See [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// See [`DEFAULT_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// See [`DEFAULT_WRITE_TIMEOUT`].
    pub write_timeout: Duration,
    /// Bytes the proxy may hold while it waits for the rest of a record,
    /// all connections together (see `runtime/budget.rs`).
    pub memory_budget: usize,
}

impl Default for ProxyLimits {
    fn default() -> Self {
        ProxyLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            memory_budget: DEFAULT_MEMORY_BUDGET,
        }
    }
}
