//! Lesson 1: the plaintext echo server. Every byte crosses the wire as is.
//!
//! It prints whatever each read from the socket returns, then sends those
//! bytes back. With no framing, one "message" is simply one read, which is
//! how lesson 2 shows that TCP glues and splits what you send.
//!
//! ```text
//! cargo run -p tls --bin 1-plain-echo-server
//! # in another terminal:
//! cargo run -p tls --bin 1-plain-echo-client
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tls::lesson01_plaintext::{self, DEFAULT_READ_SIZE};
use tls::runtime::cli::{ServerArgs, exit_status, parse};

/// Lesson 1 plaintext echo server: raw bytes over TCP, no framing, no crypto.
///
/// Prints each read's bytes and sends them back. In another terminal:
/// cargo run -p tls --bin 1-plain-echo-client
#[derive(Parser, Debug)]
#[command(name = "1-plain-echo-server", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// The most bytes one read from the socket returns (lesson 2: a longer
    /// send arrives split over several reads).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_READ_SIZE,
          value_parser = read_size)]
    read_size: usize,
    /// Wait this long before every read (lesson 2: sends that pile up
    /// meanwhile come out of one read, glued together).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    read_delay_ms: u64,
}

/// The read buffer is allocated per client, so keep it sensible: 1 byte to
/// 16 MiB.
fn read_size(text: &str) -> Result<usize, String> {
    const MAX_READ_SIZE: usize = 16 * 1024 * 1024;
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_READ_SIZE).contains(&n) => Ok(n),
        Ok(_) => Err(format!("must be between 1 and {MAX_READ_SIZE}")),
        Err(e) => Err(e.to_string()),
    }
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let (read_size, delay) = (cli.read_size, Duration::from_millis(cli.read_delay_ms));
    let result = tls::runtime::run_server(&cli.server.addr, cli.server.options(), move |socket| {
        Ok(lesson01_plaintext::open(socket, read_size, delay))
    });
    exit_status("1-plain-echo-server", result)
}
