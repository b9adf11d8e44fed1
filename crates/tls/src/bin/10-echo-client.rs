//! Lesson 10: the authenticated echo client.
//!
//! Lesson 9's client, plus one check: after the two X25519 public keys, the
//! server must send an Ed25519 signature over `client_pub || server_pub`
//! that verifies under `--server-key`. If it does not, the client refuses
//! the connection before sending a single record. There is no way to skip
//! the check.
//!
//! ```text
//! cargo run -p tls --bin 10-genkey -- --out server.key > server.pub
//! cargo run -p tls --bin 10-echo-server -- --key server.key          # terminal 1
//! echo "hello secret world" | cargo run -p tls --bin 10-echo-client -- --server-key server.pub
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tls::lesson09_encrypted_echo::keylog::KeyLog;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::lesson10_authentication::channel;
use tls::lesson10_authentication::identity::ServerPublicKey;
use tls::runtime::cli::{ClientArgs, exit_status, parse};

/// Lesson 10 authenticated echo client: refuses a server that cannot sign.
///
/// Checks the server's Ed25519 signature over both X25519 public keys
/// against --server-key, then sends each stdin line encrypted and prints
/// the echo. Start the server first:
///   cargo run -p tls --bin 10-echo-server -- --key server.key
#[derive(Parser, Debug)]
#[command(name = "10-echo-client", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    client: ClientArgs,
    /// The server's public key: 64 hex digits (what 10-genkey printed), or
    /// a file holding them.
    #[arg(long, value_name = "HEX|FILE")]
    server_key: String,
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
    exit_status("10-echo-client", connect(cli))
}

fn connect(cli: Cli) -> tls::Result<()> {
    // Read the trusted key before connecting: a typo is found at once.
    let trusted = ServerPublicKey::from_arg(&cli.server_key)?;
    let nonce = cli.nonce;
    let keylog = KeyLog::create_if(cli.keylog.as_deref())?;
    tls::runtime::run_client(&cli.client.addr, cli.client.options(), |socket| {
        let (reader, writer, session) = channel::connect(socket, &trusted, nonce)?;
        // Logged before the first record leaves, so a tap always finds it.
        if let Some(keylog) = &keylog {
            keylog.record(&session)?;
        }
        Ok((reader, writer))
    })
}
