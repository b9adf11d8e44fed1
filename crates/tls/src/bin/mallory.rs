//! Mallory: an active attacker between a client and a server. She flips
//! bits, replays and reflects records, or runs a full man-in-the-middle on
//! lesson 9, and prints what she did on stdout.
//!
//! Three terminals, the lesson 4 flip live:
//!
//! ```text
//! cargo run -p tls --bin 3-ctr-echo-server                                # 1
//! cargo run -p tls --bin mallory -- --attack flip --lesson 3              # 2
//! echo 'GET /transfer?to=bob&amount=100 HTTP/1.1' \
//!   | cargo run -p tls --bin 3-ctr-echo-client -- --addr 127.0.0.1:7879   # 3
//! ```
//!
//! The server prints `amount=900`. Against `5-mac-echo-server` (with
//! `--lesson 5`) the same flip is refused (bad mac), and against
//! `9-echo-server` (bad tag), and `11-tls13-server` with `--lesson 11`
//! (bad_record_mac). `--attack mitm` reads lesson 9 in the clear; against
//! lesson 10 (`--lesson 10`) she cannot sign as the server, and against
//! lesson 11 her certificate is not from a CA the client trusts: the
//! client refuses her.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::lesson11_real_tls13::certs::DEFAULT_CA_FILE;
use tls::runtime::cli::{exit_status, parse};
use tls::tools::mallory::{self, Attack, DEFAULT_OFFSET, ForgedSignature, MalloryOptions, Rewrite};
use tls::tools::proxy::ProxyArgs;
use tls::tools::sink::Sink;
use tls::tools::tap::Lesson;

/// Mallory, the active attacker: flip, replay, reflect, or man-in-the-middle.
///
/// Start the lesson's server, then `mallory --attack KIND --lesson N`, then
/// point the client at mallory (`--addr 127.0.0.1:7879`). She reports each
/// record she changed on stdout.
#[derive(Parser, Debug)]
#[command(name = "mallory", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    limits: ProxyArgs,
    /// Address to listen on; point the client here.
    #[arg(
        long,
        alias = "addr",
        value_name = "HOST:PORT",
        default_value = "127.0.0.1:7879"
    )]
    listen: String,
    /// Address of the real server.
    #[arg(long, value_name = "HOST:PORT", default_value = tls::DEFAULT_ADDR)]
    upstream: String,
    /// The attack to run.
    #[arg(long, value_enum)]
    attack: Attack,
    /// Which lesson's wire format to expect: 1, 2, 3, 5, 9, 10 or 11 (mitm:
    /// 9, 10 or 11; 9 if not given).
    #[arg(long, value_name = "N")]
    lesson: Option<Lesson>,
    /// flip: where the known text starts in each client message (21 is
    /// `amount=` in `GET /transfer?to=bob&amount=100 HTTP/1.1`).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_OFFSET)]
    offset: usize,
    /// flip: the plaintext Mallory knows is at --offset.
    #[arg(long, value_name = "TEXT", default_value = "amount=100")]
    known: String,
    /// flip: the plaintext she wants the server to read instead.
    #[arg(long, value_name = "TEXT", default_value = "amount=900")]
    wanted: String,
    /// replay: which client record to send twice (1 is the first; on lesson
    /// 11, the first application data record after the handshake).
    #[arg(long, value_name = "N", default_value_t = 1)]
    record: u64,
    /// mitm: the nonce mode the client and server use.
    #[arg(long, value_enum, default_value_t = NonceMode::Random)]
    nonce: NonceMode,
    /// mitm: rewrite client messages, e.g. amount=100:amount=900 (the echo
    /// is rewritten back, so the client sees what it sent).
    #[arg(long, value_name = "FROM:TO")]
    rewrite: Option<Rewrite>,
    /// mitm on lesson 10: the signature to offer the client, since she
    /// cannot make the server's: one by her own throwaway key, or the real
    /// server's, which covers the keys of her session with the server.
    #[arg(long, value_enum, default_value_t = ForgedSignature::Own)]
    signature: ForgedSignature,
    /// mitm on lesson 11: write Mallory's throwaway CA certificate here, to
    /// show that only a client trusting it (`--ca` FILE) is fooled.
    #[arg(long, value_name = "FILE")]
    ca_out: Option<PathBuf>,
    /// mitm on lesson 11: the real server's CA certificate (public), for
    /// her own connection to the server if a client accepts her.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CA_FILE)]
    ca: PathBuf,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let options = MalloryOptions {
        attack: cli.attack,
        lesson: cli.lesson,
        offset: cli.offset,
        known: cli.known.into_bytes(),
        wanted: cli.wanted.into_bytes(),
        record: cli.record,
        nonce: cli.nonce,
        rewrite: cli.rewrite,
        signature: cli.signature,
        sink: Sink::Stdout,
        ca_out: cli.ca_out,
        ca: cli.ca,
    };
    exit_status(
        "mallory",
        mallory::run(&cli.listen, &cli.upstream, options, cli.limits.limits()),
    )
}
