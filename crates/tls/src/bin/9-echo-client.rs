//! Lesson 9: the encrypted echo client (no authentication yet).
//!
//! Sends its X25519 public key, reads the server's, derives one key per
//! direction, then sends each stdin line as an encrypted record and prints
//! the decrypted echo.
//!
//! ```text
//! cargo run -p tls --bin 9-echo-server          # terminal 1
//! echo "hello secret world" | cargo run -p tls --bin 9-echo-client
//! ```
//!
//! `--keylog FILE` appends the session's keys to FILE, for Eve or a capture
//! (see `lessons/wireshark.md`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tls::lesson09_encrypted_echo::channel;
use tls::lesson09_encrypted_echo::keylog::KeyLog;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::runtime::cli::{ClientArgs, exit_status, parse};

/// Lesson 9 encrypted echo client: X25519 + HKDF + ChaCha20-Poly1305.
///
/// Sends each stdin line encrypted and prints the echo. Start the server
/// first: cargo run -p tls --bin 9-echo-server
#[derive(Parser, Debug)]
#[command(name = "9-echo-client", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    client: ClientArgs,
    /// How record nonces are chosen; the server must use the same.
    #[arg(long, value_enum, default_value_t = NonceMode::Random)]
    nonce: NonceMode,
    /// Append this session's keys to FILE so a capture can be decrypted
    /// (see lessons/wireshark.md). Anyone with the file can read the traffic.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    exit_status("9-echo-client", connect(cli))
}

fn connect(cli: Cli) -> tls::Result<()> {
    let nonce = cli.nonce;
    let keylog = KeyLog::create_if(cli.keylog.as_deref())?;
    tls::runtime::run_client(&cli.client.addr, cli.client.options(), |socket| {
        let (reader, writer, session) = channel::connect(socket, nonce)?;
        // Logged before the first record leaves, so a tap always finds it.
        if let Some(keylog) = &keylog {
            keylog.record(&session)?;
        }
        Ok((reader, writer))
    })
}
