//! Lesson 2: the record echo client. Sends each stdin line as one
//! length-prefixed record and prints the echoed record.
//!
//! ```text
//! cargo run -p tls --bin 2-record-echo-server          # terminal 1
//! printf 'one\ntwo\nthree\n' | cargo run -p tls --bin 2-record-echo-client
//! ```

use std::process::ExitCode;

use clap::Parser;
use tls::lesson02_records;
use tls::runtime::cli::{ClientArgs, exit_status, parse};

/// Lesson 2 record echo client: length-prefixed plaintext records.
///
/// Sends each stdin line as one record and prints the echo. Start the server
/// first: cargo run -p tls --bin 2-record-echo-server
#[derive(Parser, Debug)]
#[command(name = "2-record-echo-client", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let result = tls::runtime::run_client(&cli.client.addr, cli.client.options(), |socket| {
        Ok(lesson02_records::open(socket))
    });
    exit_status("2-record-echo-client", result)
}
