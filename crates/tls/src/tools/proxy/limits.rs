//! A proxy's limits, and the flags that set them.
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

use clap::Args;

use crate::runtime::budget::DEFAULT_MEMORY_BUDGET;
use crate::runtime::cli::at_least_one;

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

/// The flags for [`ProxyLimits`], shared by `eve` and `mallory`.
#[derive(Args, Debug, Clone)]
pub struct ProxyArgs {
    /// Connections relayed at once; more are refused.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = at_least_one::<usize>)]
    pub max_connections: usize,
    /// Seconds the connect to the real server may take.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_CONNECT_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECS))]
    pub connect_timeout: u64,
    /// Seconds either side may stay silent before both are closed.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECS))]
    pub idle_timeout: u64,
    /// Seconds one forward may wait for a side that is not reading.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_WRITE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECS))]
    pub write_timeout: u64,
    /// MiB the proxy may hold while it collects records, all connections
    /// together; past it, a direction is relayed raw (never dropped).
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_BUDGET_MIB,
          value_parser = clap::value_parser!(u64).range(1..=1024 * 1024))]
    pub memory_budget: u64,
}

/// The longest timeout the flags accept: a week.
const MAX_SECS: u64 = 7 * 24 * 60 * 60;
/// `--memory-budget`'s default, in MiB.
const DEFAULT_BUDGET_MIB: u64 = (DEFAULT_MEMORY_BUDGET / (1024 * 1024)) as u64;

impl ProxyArgs {
    /// The limits these flags ask for.
    pub fn limits(&self) -> ProxyLimits {
        ProxyLimits {
            max_connections: self.max_connections.max(1),
            connect_timeout: Duration::from_secs(self.connect_timeout.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout.max(1)),
            write_timeout: Duration::from_secs(self.write_timeout.max(1)),
            memory_budget: usize::try_from(self.memory_budget.max(1))
                .map_or(usize::MAX, |mib| mib.saturating_mul(1024 * 1024)),
        }
    }
}
