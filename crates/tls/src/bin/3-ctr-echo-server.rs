//! Lesson 3: the "fake secure channel" echo server. AES-256-CTR under a
//! shared, hard-coded key, inside lesson 2 records. Eve sees noise; Mallory
//! can still change it (lesson 4).
//!
//! It prints each decrypted request and sends it back encrypted under a
//! fresh nonce.
//!
//! ```text
//! cargo run -p tls --bin 3-ctr-echo-server
//! # in another terminal:
//! cargo run -p tls --bin 3-ctr-echo-client
//! ```

use std::process::ExitCode;

use clap::Parser;
use tls::lesson03_ctr_channel;
use tls::runtime::cli::{ServerArgs, exit_status, parse};

/// Lesson 3 echo server: AES-256-CTR with a shared key. Encrypted, NOT authenticated.
///
/// Records carry `nonce(16) || AES-256-CTR ciphertext` under the shared key
/// 0123456789ABCDEF0123456789ABCDEF. Prints each decrypted request and
/// sends it back under a fresh nonce. In another terminal:
/// cargo run -p tls --bin 3-ctr-echo-client
#[derive(Parser, Debug)]
#[command(name = "3-ctr-echo-server", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let result = tls::runtime::run_server(&cli.server.addr, cli.server.options(), |socket| {
        Ok(lesson03_ctr_channel::open(socket))
    });
    exit_status("3-ctr-echo-server", result)
}
