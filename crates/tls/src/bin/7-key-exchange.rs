//! Lesson 7: X25519 key exchange, start to finish, in one run.
//!
//! Alice and Bob each make a key pair, swap public keys and compute the
//! same secret. Eve, holding both public keys and a key pair of her own,
//! computes three other values. Then two low-order "public keys" (all
//! zeros, and a point of order 8) are refused.
//!
//! ```text
//! cargo run -p tls --bin 7-key-exchange
//! ```

use std::process::ExitCode;

use clap::Parser;
use tls::runtime::cli::{exit_status, parse};

/// Lesson 7: Alice and Bob agree on a secret over an open line with X25519;
/// Eve, who saw both public keys, cannot compute it.
///
/// Runs one exchange in this process and prints both public keys and both
/// results (the same), what Eve can compute instead, and how the lesson's
/// handshake refuses low-order public keys.
#[derive(Parser, Debug)]
#[command(name = "7-key-exchange", version, verbatim_doc_comment)]
struct Cli {}

fn main() -> ExitCode {
    let _cli: Cli = parse();
    let result = tls::lesson07_key_exchange::run(&mut std::io::stdout().lock());
    exit_status("7-key-exchange", result)
}
