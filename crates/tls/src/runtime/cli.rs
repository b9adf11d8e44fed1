//! Command-line pieces every lesson program shares: the common flags, and
//! argument parsing that ends a user mistake with one clear line.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser};

use crate::DEFAULT_ADDR;
use crate::runtime::budget::DEFAULT_MEMORY_BUDGET;
use crate::runtime::client::{ClientOptions, DEFAULT_TIMEOUT};
use crate::runtime::options::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_WRITE_TIMEOUT, ServerOptions,
};

/// Flags every echo server takes. The limits are explained in `SECURITY.md`;
/// each must be at least 1 (a zero timeout would mean "wait forever" to the
/// operating system, and zero connections would serve nobody), and a
/// timeout at most a week.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    pub addr: String,
    /// Seconds a new client has to get going: to finish its whole handshake
    /// in lesson 9, to be accepted into the echo loop in lessons 1-3.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_HANDSHAKE_TIMEOUT.as_secs(),
          value_parser = seconds())]
    pub handshake_timeout: u64,
    /// Seconds a client may stay silent (even mid-record) before it is dropped.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs(),
          value_parser = seconds())]
    pub idle_timeout: u64,
    /// Seconds one send may wait for a client that is not reading.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_WRITE_TIMEOUT.as_secs(),
          value_parser = seconds())]
    pub write_timeout: u64,
    /// Clients served at once, handshakes included; more are refused. The
    /// open-file limit may allow fewer (the server says so at start).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = at_least_one::<usize>)]
    pub max_connections: usize,
    /// MiB of message bytes the server may buffer for all clients together;
    /// a client whose message would pass it is dropped.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_BUDGET_MIB,
          value_parser = clap::value_parser!(u64).range(1..=MAX_BUDGET_MIB))]
    pub memory_budget: u64,
    /// Also send each line typed on the server's stdin to every client.
    #[arg(long)]
    pub chat: bool,
    /// Do not print each message (for benchmarks).
    #[arg(long)]
    pub quiet: bool,
}

impl ServerArgs {
    /// The server options these flags ask for.
    pub fn options(&self) -> ServerOptions {
        ServerOptions {
            // The parser already refused 0; `max(1)` keeps a hand-built
            // `ServerArgs` from asking the OS to wait forever.
            handshake_timeout: Duration::from_secs(self.handshake_timeout.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout.max(1)),
            write_timeout: Duration::from_secs(self.write_timeout.max(1)),
            max_connections: self.max_connections.max(1),
            memory_budget: usize::try_from(self.memory_budget.max(1))
                .map_or(usize::MAX, |mib| mib.saturating_mul(MIB)),
            chat: self.chat,
            print_messages: !self.quiet,
        }
    }
}

/// Bytes in a MiB, the unit of `--memory-budget`.
const MIB: usize = 1024 * 1024;
/// The default `--memory-budget`, in MiB (the constant is in bytes).
const DEFAULT_BUDGET_MIB: u64 = (DEFAULT_MEMORY_BUDGET / MIB) as u64;
/// The largest `--memory-budget`: 1 TiB, far past any machine here.
const MAX_BUDGET_MIB: u64 = 1024 * 1024;

/// The longest timeout a flag accepts: a week. Anything longer is surely a
/// typo, and an absurd value would overflow the clock arithmetic.
pub const MAX_TIMEOUT_SECS: u64 = 7 * 24 * 60 * 60;

/// Parses a timeout in seconds: at least 1, at most [`MAX_TIMEOUT_SECS`].
fn seconds() -> clap::builder::RangedU64ValueParser {
    clap::value_parser!(u64).range(1..=MAX_TIMEOUT_SECS)
}

/// Parses a number of clients, which must be at least 1.
pub fn at_least_one<T>(text: &str) -> Result<T, String>
where
    T: std::str::FromStr<Err = std::num::ParseIntError> + From<u8> + PartialEq,
{
    match text.parse::<T>() {
        Ok(n) if n == T::from(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Flags every echo client takes.
#[derive(Args, Debug, Clone)]
pub struct ClientArgs {
    /// Address of the server.
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    pub addr: String,
    /// Read stdin and the socket at the same time, printing whatever the
    /// server sends as it arrives (lesson 9, exercise 4).
    #[arg(long)]
    pub chat: bool,
    /// Seconds to wait for the server's answer (the handshake, each piece
    /// of an echo) before giving up. Not used with --chat.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT.as_secs(),
          value_parser = seconds())]
    pub timeout: u64,
}

impl ClientArgs {
    /// The client options these flags ask for.
    pub fn options(&self) -> ClientOptions {
        ClientOptions {
            chat: self.chat,
            timeout: Duration::from_secs(self.timeout.max(1)),
        }
    }
}

/// Parses the command line. `--help` and `--version` print and exit 0; a
/// mistake prints clap's whole diagnosis (which argument, what it expected,
/// a suggestion for a misspelt flag, the usage line) on stderr and exits 2.
pub fn parse<T: Parser>() -> T {
    T::try_parse().unwrap_or_else(|e| e.exit())
}

/// Turns a program's result into its exit status, printing a failure as one
/// line prefixed with the program's name.
pub fn exit_status(program: &str, result: crate::Result<()>) -> ExitCode {
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            status!("{program}: {e}");
            ExitCode::FAILURE
        }
    };
    // The last words must reach the terminal before we exit, but a stream
    // nobody reads must not hold the exit up for long.
    crate::runtime::output::flush(crate::runtime::output::EXIT_FLUSH);
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        server: ServerArgs,
    }

    fn options(args: &[&str]) -> Result<ServerOptions, clap::Error> {
        let argv = std::iter::once("server").chain(args.iter().copied());
        Cli::try_parse_from(argv).map(|cli| cli.server.options())
    }

    #[test]
    fn defaults_are_the_named_limits() {
        let o = options(&[]).unwrap();
        assert_eq!(o.handshake_timeout, DEFAULT_HANDSHAKE_TIMEOUT);
        assert_eq!(o.idle_timeout, DEFAULT_IDLE_TIMEOUT);
        assert_eq!(o.write_timeout, DEFAULT_WRITE_TIMEOUT);
        assert_eq!(o.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(o.memory_budget, DEFAULT_MEMORY_BUDGET);
    }

    #[test]
    fn every_limit_has_a_flag() {
        let o = options(&[
            "--handshake-timeout",
            "1",
            "--idle-timeout",
            "2",
            "--write-timeout",
            "3",
            "--max-connections",
            "4",
            "--memory-budget",
            "5",
        ])
        .unwrap();
        assert_eq!(o.handshake_timeout, Duration::from_secs(1));
        assert_eq!(o.idle_timeout, Duration::from_secs(2));
        assert_eq!(o.write_timeout, Duration::from_secs(3));
        assert_eq!(o.max_connections, 4);
        assert_eq!(o.memory_budget, 5 * 1024 * 1024);
    }

    #[test]
    fn zero_limits_are_refused() {
        for flag in [
            "--handshake-timeout",
            "--idle-timeout",
            "--write-timeout",
            "--max-connections",
            "--memory-budget",
        ] {
            let e = options(&[flag, "0"]).unwrap_err().to_string();
            let refused = e.contains("must be at least 1") || e.contains("is not in 1..=");
            assert!(refused, "{flag}: {e}");
        }
    }

    #[test]
    fn absurd_timeouts_are_refused() {
        // Far past a week: would overflow the deadline arithmetic.
        for flag in ["--handshake-timeout", "--idle-timeout", "--write-timeout"] {
            let e = options(&[flag, "18446744073709551615"])
                .unwrap_err()
                .to_string();
            assert!(e.contains("is not in 1..=604800"), "{flag}: {e}");
        }
        let week = MAX_TIMEOUT_SECS.to_string();
        let o = options(&["--idle-timeout", &week]).unwrap();
        assert_eq!(o.idle_timeout, Duration::from_secs(MAX_TIMEOUT_SECS));
    }
}
