//! Lesson 1: the plaintext echo client. Sends each stdin line as raw bytes.
//!
//! ```text
//! cargo run -p tls --bin 1-plain-echo-server          # terminal 1
//! echo "amount=100" | cargo run -p tls --bin 1-plain-echo-client
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tls::lesson01_plaintext::{self, DEFAULT_READ_SIZE};
use tls::runtime::cli::{ClientArgs, exit_status, parse};

/// Lesson 1 plaintext echo client: raw bytes over TCP, no framing, no crypto.
///
/// Sends each stdin line as raw bytes and prints the echo. Start the server
/// first: cargo run -p tls --bin 1-plain-echo-server
#[derive(Parser, Debug)]
#[command(name = "1-plain-echo-client", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let result = tls::runtime::run_client(&cli.client.addr, cli.client.options(), |socket| {
        Ok(lesson01_plaintext::open(
            socket,
            DEFAULT_READ_SIZE,
            Duration::ZERO,
        ))
    });
    exit_status("1-plain-echo-client", result)
}
