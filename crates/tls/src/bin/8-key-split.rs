//! Lesson 8: HKDF key derivation and the reflection attack, in one run.
//!
//! Turns a lesson 7 shared secret into a client-to-server and a
//! server-to-client key, seals a client record with lesson 6's AEAD, and
//! bounces it back to the client: refused under split keys, accepted when
//! both directions share one key (the mistake, shown on purpose).
//!
//! ```text
//! cargo run -p tls --bin 8-key-split
//! ```

use std::process::ExitCode;

use clap::Parser;
use tls::runtime::cli::{exit_status, parse};

/// Lesson 8: one key per direction with HKDF-SHA256, and why: the
/// reflection attack.
///
/// Derives c2s and s2c keys from a fresh X25519 secret, then has Mallory
/// send a client record back to the client: rejected with split keys,
/// accepted with one key for both directions.
#[derive(Parser, Debug)]
#[command(name = "8-key-split", version, verbatim_doc_comment)]
struct Cli {}

fn main() -> ExitCode {
    let _cli: Cli = parse();
    let result = tls::lesson08_key_split::run(&mut std::io::stdout().lock());
    exit_status("8-key-split", result)
}
