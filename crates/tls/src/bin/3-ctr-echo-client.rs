//! Lesson 3: the "fake secure channel" echo client. Encrypts each stdin line
//! with AES-256-CTR under the shared key and a fresh random nonce.
//!
//! ```text
//! cargo run -p tls --bin 3-ctr-echo-server          # terminal 1
//! echo "GET /transfer?to=bob&amount=100 HTTP/1.1" | cargo run -p tls --bin 3-ctr-echo-client
//! ```

use std::process::ExitCode;

use clap::Parser;
use tls::lesson03_ctr_channel;
use tls::runtime::cli::{ClientArgs, exit_status, parse};

/// Lesson 3 echo client: AES-256-CTR with a shared key. Encrypted, NOT authenticated.
///
/// Encrypts each stdin line under the shared key and a fresh nonce, and
/// prints the decrypted echo. Start the server first:
/// cargo run -p tls --bin 3-ctr-echo-server
#[derive(Parser, Debug)]
#[command(name = "3-ctr-echo-client", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let result = tls::runtime::run_client(&cli.client.addr, cli.client.options(), |socket| {
        Ok(lesson03_ctr_channel::open(socket))
    });
    exit_status("3-ctr-echo-client", result)
}
