//! Lesson 4: the CTR bit-flipping attack, start to finish, in one run.
//!
//! Encrypts `GET /transfer?to=bob&amount=100 HTTP/1.1` with the lesson 3
//! code, flips one ciphertext bit without the key so it decrypts to
//! `amount=900`, prints the XOR arithmetic, then tries the same flip on a
//! lesson 9 ChaCha20-Poly1305 record and shows it rejected.
//!
//! ```text
//! cargo run -p tls --bin 4-ctr-malleability
//! ```

use std::process::ExitCode;

use clap::Parser;
use tls::runtime::cli::{exit_status, parse};

/// Lesson 4: turn amount=100 into amount=900 in AES-CTR ciphertext without
/// the key, then watch ChaCha20-Poly1305 refuse the same trick.
///
/// Encrypts a transfer request with the lesson 3 code, flips one ciphertext
/// bit, and shows the receiver decrypt amount=900, step by step. Then tries
/// the same flip on a lesson 9 record and shows it rejected.
#[derive(Parser, Debug)]
#[command(name = "4-ctr-malleability", version, verbatim_doc_comment)]
struct Cli {}

fn main() -> ExitCode {
    let _cli: Cli = parse();
    let result = tls::lesson04_ctr_malleability::run(&mut std::io::stdout().lock());
    exit_status("4-ctr-malleability", result)
}
