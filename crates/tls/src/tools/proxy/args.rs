//! The flags every proxy takes: where it stands, and its limits.
//!
//! Eve and Mallory stand in the same place (between a client and its
//! server) under the same limits, so their command lines share these two
//! groups; each adds the flags of what it does with the bytes. In `--help`
//! they appear under their own headings.
//!
//! Every limit is refused at 0 by its parser, at the command line: the
//! standard library refuses a zero socket timeout (`set_read_timeout`
//! returns an error for it), so it would only fail later, on the first
//! connection; and a zero connection cap would make a proxy that refuses
//! everyone.

use std::time::Duration;

use clap::Args;

use crate::runtime::budget::DEFAULT_MEMORY_BUDGET;
use crate::runtime::cli::at_least_one;
use crate::tools::proxy::limits::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_WRITE_TIMEOUT,
    ProxyLimits,
};

/// Where the proxy listens, and where the real server is.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Where the proxy stands")]
pub struct ProxyAddrs {
    // Not the server's port: the client must be pointed at the attacker on
    // purpose, because on loopback she cannot sit on the path by herself.
    // `--addr` is kept as an alias, the name the echo programs use.
    /// Address to listen on; point the client here.
    #[arg(
        long,
        alias = "addr",
        value_name = "HOST:PORT",
        default_value = "127.0.0.1:7879"
    )]
    pub listen: String,
    // The course's one address (`DEFAULT_ADDR`, 7878), so `eve` and
    // `mallory` with no flags sit in front of a server started with none.
    /// Address of the real server.
    #[arg(long, value_name = "HOST:PORT", default_value = crate::DEFAULT_ADDR)]
    pub upstream: String,
}

/// The flags for [`ProxyLimits`], shared by `eve` and `mallory`.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Limits")]
pub struct ProxyArgs {
    // Each relayed connection costs two descriptors and one or two threads;
    // past the cap a client is refused with a line that says why.
    /// Connections relayed at once; more are refused.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = at_least_one::<usize>)]
    pub max_connections: usize,
    // The connect runs on the connection's own thread, so a slow upstream
    // holds one slot for this long, never the accepting loop.
    /// Seconds the connect to the real server may take.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_CONNECT_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECS))]
    pub connect_timeout: u64,
    // Long by default (five minutes): a learner types into the client by
    // hand, and an idle echo session is normal, not an attack.
    /// Seconds either side may stay silent before both are closed.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECS))]
    pub idle_timeout: u64,
    // A side that stops reading would otherwise park the forwarding thread
    // in `write` forever, with the other side's bytes queued behind it.
    /// Seconds one forward may wait for a side that is not reading.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_WRITE_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=MAX_SECS))]
    pub write_timeout: u64,
    // Cutting records means holding a partial record until its length is
    // met; a peer announcing huge records could make that a lot of memory.
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
        // The `.max(1)`s repeat what the parsers already refuse, for a
        // `ProxyArgs` built by hand rather than parsed. MiB to bytes
        // saturates: a huge budget means "no practical limit", not a wrap.
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
