//! Lesson 5: the encrypt-then-MAC echo client. Encrypts each stdin line with
//! AES-256-CTR, MACs `seq || nonce || ciphertext` with HMAC-SHA256, and
//! checks the server's echoes the same way (tag first, then sequence
//! number, then decrypt).
//!
//! ```text
//! cargo run -p tls --bin 5-mac-echo-server          # terminal 1
//! echo "GET /transfer?to=bob&amount=100 HTTP/1.1" | cargo run -p tls --bin 5-mac-echo-client
//! ```

use std::process::ExitCode;

use clap::Parser;
use tls::lesson05_mac::{self, SeqCheck};
use tls::runtime::cli::{ClientArgs, exit_status, parse};

/// Lesson 5 echo client: AES-256-CTR, then HMAC-SHA256 (encrypt-then-MAC).
///
/// Seals each stdin line as `seq || nonce || ciphertext || mac` and prints
/// the echo once its mac and sequence number check out. Start the server
/// first: cargo run -p tls --bin 5-mac-echo-server
#[derive(Parser, Debug)]
#[command(name = "5-mac-echo-client", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    client: ClientArgs,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let result = tls::runtime::run_client(&cli.client.addr, cli.client.options(), |socket| {
        // The client always checks the server's sequence numbers.
        Ok(lesson05_mac::open(socket, SeqCheck::Required))
    });
    exit_status("5-mac-echo-client", result)
}
