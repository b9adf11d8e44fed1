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

use std::process::ExitCode;

use clap::Parser;
use tls::runtime::cli::{exit_status, parse};
use tls::tools::mallory::{self, Attack, AttackFlags, MalloryOptions};
use tls::tools::proxy::{ProxyAddrs, ProxyArgs};
use tls::tools::sink::Sink;
use tls::tools::tap::Lesson;

/// Mallory, the active attacker: flip, replay, reflect, or man-in-the-middle.
///
/// Start the lesson's server, then `mallory --attack KIND --lesson N`, then
/// point the client at mallory (`--addr 127.0.0.1:7879`). She reports each
/// record she changed on stdout. Each attack's flags are listed under its
/// name below.
#[derive(Parser, Debug)]
#[command(name = "mallory", version, verbatim_doc_comment)]
struct Cli {
    /// The attack to run.
    #[arg(long, value_enum)]
    attack: Attack,
    /// Which lesson's wire format to expect: 1, 2, 3, 5, 9, 10 or 11 (mitm:
    /// 9, 10 or 11; 9 if not given).
    #[arg(long, value_name = "N")]
    lesson: Option<Lesson>,
    #[command(flatten)]
    flags: AttackFlags,
    #[command(flatten)]
    addrs: ProxyAddrs,
    #[command(flatten)]
    limits: ProxyArgs,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let options = MalloryOptions::new(cli.attack, cli.lesson, cli.flags, Sink::Stdout);
    let (listen, upstream) = (&cli.addrs.listen, &cli.addrs.upstream);
    exit_status(
        "mallory",
        mallory::run(listen, upstream, options, cli.limits.limits()),
    )
}
