//! Command-line pieces every lesson program shares: the common flags, and
//! argument parsing that ends a user mistake with one clear line.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser};

use crate::DEFAULT_ADDR;
use crate::server::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, ServerOptions,
};

/// Flags every echo server takes.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    pub addr: String,
    /// Seconds a new client may take to finish its handshake.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_HANDSHAKE_TIMEOUT.as_secs())]
    pub handshake_timeout: u64,
    /// Seconds a client may stay silent before it is dropped.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs())]
    pub idle_timeout: u64,
    /// Clients served at once; more are turned away.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
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
            // A zero timeout would mean "wait forever" to the OS; make it 1 s.
            handshake_timeout: Duration::from_secs(self.handshake_timeout.max(1)),
            idle_timeout: Duration::from_secs(self.idle_timeout.max(1)),
            max_connections: self.max_connections,
            chat: self.chat,
            print_messages: !self.quiet,
            ..ServerOptions::default()
        }
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
}

/// Parses the command line. `--help` and `--version` print and exit 0; a
/// mistake prints clap's one-line diagnosis plus a hint, and exits 2.
pub fn parse<T: Parser>() -> T {
    match T::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            status!("{first} (see --help)");
            std::process::exit(2);
        }
    }
}

/// Turns a program's result into its exit status, printing a failure as one
/// line prefixed with the program's name.
pub fn exit_status(program: &str, result: crate::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            status!("{program}: {e}");
            ExitCode::FAILURE
        }
    }
}
