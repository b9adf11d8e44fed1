//! Lesson 2: the record echo server. Each message travels as
//! `length (u32, big-endian) || payload`, so boundaries survive TCP.
//!
//! Still plaintext: anyone on the wire reads every payload.
//!
//! ```text
//! cargo run -p tls --bin 2-record-echo-server
//! # in another terminal:
//! cargo run -p tls --bin 2-record-echo-client
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tls::lesson02_records;
use tls::runtime::cli::{ServerArgs, exit_status, parse};

/// Lesson 2 record echo server: length-prefixed plaintext records.
///
/// Each message is `length (u32, big-endian) || payload`. Prints each record
/// and sends it back. In another terminal:
/// cargo run -p tls --bin 2-record-echo-client
#[derive(Parser, Debug)]
#[command(name = "2-record-echo-server", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// Wait this long before every read from the socket. Records that pile
    /// up meanwhile arrive in one read, and still come out one by one.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    read_delay_ms: u64,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let delay = Duration::from_millis(cli.read_delay_ms);
    let result = tls::runtime::run_server(&cli.server.addr, cli.server.options(), move |socket| {
        Ok(lesson02_records::open_with_read_delay(socket, delay))
    });
    exit_status("2-record-echo-server", result)
}
