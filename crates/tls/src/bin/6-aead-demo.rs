//! Lesson 6: ChaCha20-Poly1305, an AEAD, in one run.
//!
//! Seals `GET /transfer?to=bob&amount=100 HTTP/1.1` with the record number
//! as associated data, then shows lesson 4's one-bit flip rejected, the same
//! record rejected at another place in the stream, and lesson 5's three
//! steps (AES-CTR, HMAC, verify before decrypting) next to the one call.
//!
//! ```text
//! cargo run -p tls --bin 6-aead-demo
//! ```

use std::process::ExitCode;

use clap::Parser;
use tls::runtime::cli::{exit_status, parse};

/// Lesson 6: seal a request with ChaCha20-Poly1305 and watch a flipped bit
/// and a replayed record both fail to open.
///
/// Seals a transfer request with the record number as associated data,
/// tries lesson 4's bit flip on it, opens the untouched record at the wrong
/// place in the stream, and sets lesson 5's encrypt-then-MAC beside the one
/// AEAD call. Everything happens in this one process.
#[derive(Parser, Debug)]
#[command(name = "6-aead-demo", version, verbatim_doc_comment)]
struct Cli {}

fn main() -> ExitCode {
    let _cli: Cli = parse();
    let result = tls::lesson06_aead::run(&mut std::io::stdout().lock());
    exit_status("6-aead-demo", result)
}
