//! Lesson 11: a real TLS 1.3 server, built from the course's own parts.
//!
//! TLS_CHACHA20_POLY1305_SHA256, X25519, an Ed25519 certificate: the same
//! primitives as lessons 6-10, wired the way RFC 8446 says, so curl,
//! OpenSSL and rustls can talk to it. Without `--cert`/`--key` it makes a
//! throwaway CA and a `localhost` certificate, and writes the CA
//! certificate to `--ca-out` (default `lesson11-ca.pem`) for the client.
//!
//! ```text
//! cargo run -p tls --bin 11-tls13-server
//! # in another terminal:
//! cargo run -p tls --bin 11-tls13-client
//! # or, with --http on the server:
//! curl --cacert lesson11-ca.pem "https://localhost:7878/transfer?to=bob&amount=100"
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tls::lesson11_real_tls13::certs::DEFAULT_CA_FILE;
use tls::lesson11_real_tls13::padding::Padding;
use tls::lesson11_real_tls13::server::ServerConfig;
use tls::lesson11_real_tls13::{channel, http};
use tls::runtime::accept;
use tls::runtime::cli::{ServerArgs, exit_status, parse};

/// Lesson 11 TLS 1.3 server: ChaCha20-Poly1305, X25519, Ed25519 certificate.
///
/// Prints each decrypted message and echoes it back (or, with --http,
/// answers one HTTP request per connection). In another terminal:
/// cargo run -p tls --bin 11-tls13-client
#[derive(Parser, Debug)]
#[command(name = "11-tls13-server", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// Certificate chain (PEM, end entity first). Without --cert and --key,
    /// a throwaway CA and a localhost certificate are made at start.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The certificate's private key (PEM PKCS#8 Ed25519, e.g. from
    /// `openssl genpkey -algorithm ed25519`).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Where to write the throwaway CA certificate for clients (--ca).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CA_FILE, conflicts_with = "cert")]
    ca_out: PathBuf,
    /// Answer one HTTP/1.1 request per connection instead of echoing, so
    /// curl can be the client.
    #[arg(long)]
    http: bool,
    /// Append the TLS secrets of each connection to FILE (NSS key log
    /// format, for Wireshark). Anyone with the file can read the traffic.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Pad every encrypted record to a multiple of N bytes (RFC 8446 5.4),
    /// so an eavesdropper learns each message's length only to the nearest N.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16384))]
    pad: Option<u16>,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    exit_status("11-tls13-server", serve(cli))
}

fn serve(cli: Cli) -> tls::Result<()> {
    // The port first: a second server that cannot have it must fail before
    // it replaces the CA file the running server's clients trust.
    let listener = accept::bind(&cli.server.addr)?;
    let mut config = ServerConfig::from_flags(
        cli.cert.as_deref().zip(cli.key.as_deref()),
        &cli.ca_out,
        &cli.server.addr,
        cli.keylog.as_deref(),
    )?;
    config.padding = Padding::from_flag(cli.pad);
    let options = cli.server.options();
    if cli.http {
        accept::run_on(listener, options, move |socket| {
            let (reader, writer) = channel::accept(socket, &config)?;
            Ok(http::serve(reader, writer))
        })
    } else {
        accept::run_on(listener, options, move |socket| {
            channel::accept(socket, &config)
        })
    }
}
