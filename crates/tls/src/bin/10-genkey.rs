//! Lesson 10: make the server's Ed25519 identity.
//!
//! Writes a new secret key to FILE (mode 0600; an existing file is never
//! overwritten) and prints the matching public key, 64 hex digits, on
//! stdout. The server reads the file; every client is given the public key.
//!
//! ```text
//! cargo run -p tls --bin 10-genkey -- --out server.key > server.pub
//! cargo run -p tls --bin 10-echo-server -- --key server.key             # terminal 1
//! echo hello | cargo run -p tls --bin 10-echo-client -- --server-key server.pub
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tls::lesson10_authentication::identity::ServerIdentity;
use tls::runtime::cli::{exit_status, parse};

/// Lesson 10: make the server's Ed25519 key pair.
///
/// Writes the secret key to FILE (readable by you only; an existing file is
/// never overwritten) and prints the public key, 64 hex digits, on stdout.
/// Give the file to the server and the public key to clients:
///   cargo run -p tls --bin 10-genkey -- --out server.key > server.pub
///   cargo run -p tls --bin 10-echo-server -- --key server.key
///   cargo run -p tls --bin 10-echo-client -- --server-key server.pub
#[derive(Parser, Debug)]
#[command(name = "10-genkey", version, verbatim_doc_comment)]
struct Cli {
    /// Where to write the new secret key. Must not exist yet.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    exit_status("10-genkey", genkey(&cli))
}

fn genkey(cli: &Cli) -> tls::Result<()> {
    let identity = ServerIdentity::generate()?;
    identity.write_new(&cli.out)?;
    // Stdout carries only the public key, so `> server.pub` saves just that.
    println!("{}", identity.public_key());
    tls::status!(
        "wrote the secret key to {} (keep it private); give clients the public key \
         printed on stdout (--server-key)",
        cli.out.display()
    );
    Ok(())
}
