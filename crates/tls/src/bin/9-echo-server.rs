//! Lesson 9: the encrypted echo server (no authentication yet).
//!
//! Each client runs an X25519 handshake, then every message travels as a
//! ChaCha20-Poly1305 record under a key for its direction. Eve, watching the
//! wire, sees two public keys and then noise. Mallory can still sit in the
//! middle: nothing proves this server is who the client thinks.
//!
//! ```text
//! cargo run -p tls --bin 9-echo-server
//! # in another terminal:
//! cargo run -p tls --bin 9-echo-client
//! ```
//!
//! `--keylog FILE` appends each session's keys to FILE, for Eve or a
//! capture (see `lessons/wireshark.md`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tls::lesson09_encrypted_echo::channel;
use tls::lesson09_encrypted_echo::keylog::KeyLog;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::runtime::cli::{ServerArgs, exit_status, parse};

/// Lesson 9 encrypted echo server: X25519 + HKDF + ChaCha20-Poly1305.
///
/// Prints each decrypted message and sends it back encrypted. In another
/// terminal: cargo run -p tls --bin 9-echo-client
#[derive(Parser, Debug)]
#[command(name = "9-echo-server", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// How record nonces are chosen; the client must use the same.
    #[arg(long, value_enum, default_value_t = NonceMode::Random)]
    nonce: NonceMode,
    /// Append this session's keys to FILE so a capture can be decrypted
    /// (see lessons/wireshark.md). Anyone with the file can read the traffic.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    exit_status("9-echo-server", serve(cli))
}

fn serve(cli: Cli) -> tls::Result<()> {
    let nonce = cli.nonce;
    let keylog = KeyLog::create_if(cli.keylog.as_deref())?;
    tls::runtime::run_server(&cli.server.addr, cli.server.options(), move |socket| {
        let (reader, writer, session) = channel::accept(socket, nonce)?;
        if let Some(keylog) = &keylog {
            keylog.record(&session)?;
        }
        Ok((reader, writer))
    })
}
