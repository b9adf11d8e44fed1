//! Lesson 5: the encrypt-then-MAC echo server. Lesson 3's AES-256-CTR, plus
//! an HMAC-SHA256 tag over `seq || nonce || ciphertext` that it checks
//! before decrypting, plus a sequence number per direction.
//!
//! Mallory's lesson 4 flip is now refused (bad mac), and so is a replayed
//! record (wrong sequence number). `--no-seq-check` turns the second check
//! off, to show that a valid tag alone does not stop a replay.
//!
//! ```text
//! cargo run -p tls --bin 5-mac-echo-server
//! # in another terminal:
//! cargo run -p tls --bin 5-mac-echo-client
//! ```

use std::process::ExitCode;

use clap::Parser;
use tls::lesson05_mac::{self, SeqCheck};
use tls::runtime::cli::{ServerArgs, exit_status, parse};

/// Lesson 5 echo server: AES-256-CTR, then HMAC-SHA256 (encrypt-then-MAC).
///
/// Records carry `seq(8) || nonce(16) || ciphertext || mac(32)`. The mac is
/// checked first (a tampered record is dropped undecrypted), then the
/// sequence number (a replayed one is dropped too). Prints each decrypted
/// message and sends it back. In another terminal:
/// cargo run -p tls --bin 5-mac-echo-client
#[derive(Parser, Debug)]
#[command(name = "5-mac-echo-server", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// INSECURE, for the replay demo: accept any sequence number as long as
    /// the mac verifies, so a replayed record is served again.
    #[arg(long)]
    no_seq_check: bool,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let seq_check = if cli.no_seq_check {
        SeqCheck::InsecurelySkipped
    } else {
        SeqCheck::Required
    };
    let result = tls::runtime::run_server(&cli.server.addr, cli.server.options(), move |socket| {
        Ok(lesson05_mac::open(socket, seq_check))
    });
    exit_status("5-mac-echo-server", result)
}
