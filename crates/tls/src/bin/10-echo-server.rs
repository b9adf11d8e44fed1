//! Lesson 10: the authenticated echo server.
//!
//! Lesson 9's server, plus an identity: after the two X25519 public keys it
//! sends an Ed25519 signature over `client_pub || server_pub`, made with the
//! secret key in `--key FILE`. A client that trusts the matching public key
//! knows it is talking to this server and not to Mallory. Records are
//! lesson 9's.
//!
//! ```text
//! cargo run -p tls --bin 10-genkey -- --out server.key > server.pub
//! cargo run -p tls --bin 10-echo-server -- --key server.key
//! # in another terminal:
//! cargo run -p tls --bin 10-echo-client -- --server-key server.pub
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tls::Error;
use tls::lesson09_encrypted_echo::keylog::KeyLog;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::lesson10_authentication::channel;
use tls::lesson10_authentication::identity::ServerIdentity;
use tls::lesson10_authentication::key_file::GENKEY_COMMAND;
use tls::runtime::cli::{ServerArgs, exit_status, parse};

/// Lesson 10 authenticated echo server: lesson 9 plus an Ed25519 signature.
///
/// Signs each handshake with the secret key in --key FILE, then echoes
/// lesson 9 records. Make a key first, then run a client in another terminal:
///   cargo run -p tls --bin 10-genkey -- --out server.key > server.pub
///   cargo run -p tls --bin 10-echo-server -- --key server.key
///   cargo run -p tls --bin 10-echo-client -- --server-key server.pub
#[derive(Parser, Debug)]
#[command(name = "10-echo-server", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// The server's secret key file, made by 10-genkey.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
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
    exit_status("10-echo-server", serve(cli))
}

fn serve(cli: Cli) -> tls::Result<()> {
    let Some(key) = cli.key else {
        return Err(Error::Usage(format!(
            "no server key: make one with `{GENKEY_COMMAND}`, then pass --key server.key"
        )));
    };
    let identity = ServerIdentity::read(&key)?;
    tls::status!(
        "server public key (give it to clients): {}",
        identity.public_key()
    );
    let nonce = cli.nonce;
    let keylog = KeyLog::create_if(cli.keylog.as_deref())?;
    tls::runtime::run_server(&cli.server.addr, cli.server.options(), move |socket| {
        let (reader, writer, session) = channel::accept(socket, &identity, nonce)?;
        if let Some(keylog) = &keylog {
            keylog.record(&session)?;
        }
        Ok((reader, writer))
    })
}
