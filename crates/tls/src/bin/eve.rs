//! Eve: a passive tap. She forwards every byte between a client and a
//! server unchanged and prints, per direction and per record, what anyone
//! on the wire can see, field by field.
//!
//! Three terminals:
//!
//! ```text
//! cargo run -p tls --bin 9-echo-server                      # 1: server on 7878
//! cargo run -p tls --bin eve -- --lesson 9                  # 2: eve on 7879 -> 7878
//! cargo run -p tls --bin 9-echo-client -- --addr 127.0.0.1:7879   # 3: client via eve
//! ```
//!
//! With `--keylog FILE` (the same file the server or client was started
//! with), Eve also prints each lesson 9 or 10 record's plaintext, and on
//! lesson 11 each record's real type and contents:
//!
//! ```text
//! cargo run -p tls --bin 11-tls13-server -- --keylog keys.log           # 1
//! cargo run -p tls --bin eve -- --lesson 11 --keylog keys.log           # 2
//! cargo run -p tls --bin 11-tls13-client -- --addr 127.0.0.1:7879       # 3
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tls::runtime::cli::{exit_status, parse};
use tls::tools::eve::{self, EveOptions};
use tls::tools::hexdump::{DEFAULT_FIELD_LIMIT, Style};
use tls::tools::proxy::{ProxyAddrs, ProxyArgs};
use tls::tools::sink::Sink;
use tls::tools::tap::Lesson;

/// Eve, the passive tap: relays a connection unchanged and prints every record.
///
/// Start the lesson's server, then `eve --lesson N`, then point the client at
/// eve (`--addr 127.0.0.1:7879`). Each record is printed field by field
/// (length, nonce, ciphertext, tag; lesson 9 also shows the public keys,
/// lesson 10 the server's signature too; lesson 11 each TLS record's header,
/// the hellos, and "encrypted record" for the rest).
#[derive(Parser, Debug)]
#[command(name = "eve", version, verbatim_doc_comment)]
struct Cli {
    /// Which lesson's wire format to expect: 1, 2, 3, 5, 9, 10 or 11.
    #[arg(long, value_name = "N")]
    lesson: Lesson,
    /// Lesson 9, 10 or 11 key log (from `--keylog` on the server or client):
    /// decrypt and print the plaintext beside each record.
    #[arg(long, value_name = "FILE")]
    keylog: Option<PathBuf>,
    /// Bytes of each field to show before summarising the rest.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_FIELD_LIMIT)]
    field_limit: usize,
    #[command(flatten)]
    addrs: ProxyAddrs,
    #[command(flatten)]
    limits: ProxyArgs,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let options = EveOptions {
        lesson: cli.lesson,
        keylog: cli.keylog,
        style: Style::for_stdout(cli.field_limit),
        sink: Sink::Stdout,
    };
    exit_status(
        "eve",
        eve::run(
            &cli.addrs.listen,
            &cli.addrs.upstream,
            options,
            cli.limits.limits(),
        ),
    )
}
