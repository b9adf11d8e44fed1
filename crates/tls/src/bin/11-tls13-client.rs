//! Lesson 11: a real TLS 1.3 client, built from the course's own parts.
//!
//! Offers exactly TLS_CHACHA20_POLY1305_SHA256, X25519 and ed25519;
//! validates the server's certificate chain and name with rustls-webpki
//! against `--ca`, checks CertificateVerify and Finished itself, then
//! sends each stdin line and prints the echo.
//!
//! ```text
//! cargo run -p tls --bin 11-tls13-server        # terminal 1: writes lesson11-ca.pem
//! echo "hello TLS" | cargo run -p tls --bin 11-tls13-client
//! ```
//!
//! It talks to any TLS 1.3 server that offers those three, for example
//! `openssl s_server -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256
//! -groups X25519 ...` (use `--chat` there: s_server does not echo).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tls::lesson11_real_tls13::certs::{DEFAULT_CA_FILE, DEFAULT_SERVER_NAME, ServerVerifier};
use tls::lesson11_real_tls13::channel;
use tls::lesson11_real_tls13::client::ClientConfig;
use tls::lesson11_real_tls13::keylog::KeyLog;
use tls::lesson11_real_tls13::padding::Padding;
use tls::runtime::cli::{ClientArgs, exit_status, parse};

/// Lesson 11 TLS 1.3 client: ChaCha20-Poly1305, X25519, Ed25519 certificate.
///
/// Sends each stdin line and prints the echo. Start the server first:
/// cargo run -p tls --bin 11-tls13-server
#[derive(Parser, Debug)]
#[command(name = "11-tls13-client", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    client: ClientArgs,
    /// The CA certificate(s) to trust (PEM), e.g. the one the server wrote.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CA_FILE)]
    ca: PathBuf,
    /// The name the server's certificate must carry (DNS name or IP).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_SERVER_NAME)]
    server_name: String,
    /// Append this connection's TLS secrets to FILE (NSS key log format,
    /// for Wireshark). Anyone with the file can read the traffic.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Pad every encrypted record to a multiple of N bytes (RFC 8446 5.4),
    /// so an eavesdropper learns each message's length only to the nearest N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16384))]
    pad: Option<u16>,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    exit_status("11-tls13-client", connect(cli))
}

fn connect(cli: Cli) -> tls::Result<()> {
    let config = ClientConfig {
        verifier: ServerVerifier::load(&cli.ca, &cli.server_name)?,
        keylog: KeyLog::create_if(cli.keylog.as_deref())?.map(Arc::new),
        padding: Padding::from_flag(cli.pad),
    };
    tls::runtime::run_client(&cli.client.addr, cli.client.options(), |socket| {
        channel::connect(socket, &config)
    })
}
