//! `mitm`: two handshakes, two sessions, Mallory in the middle of both.
//!
//! ```text
//! client --(client_pub)--> mallory --(mallory_pub_2)--> server
//! client <--(mallory_pub_1)-- mallory <--(server_pub)-- server
//! ```
//!
//! Lesson 9's handshake has nothing that ties a public key to its owner, so
//! each side finishes a perfectly good handshake, with Mallory. She decrypts
//! with one session and re-encrypts with the other.

use std::net::Shutdown;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::error::Result;
use crate::lesson09_encrypted_echo::channel;
use crate::lesson09_encrypted_echo::nonce::NonceMode;
use crate::lesson11_real_tls13::certs::DEFAULT_CA_FILE;
use crate::runtime::message::{MessageReader, MessageWriter};
use crate::runtime::socket::Socket;
use crate::tools::hexdump::TEXT_LIMIT;
use crate::tools::hexdump::quoted;
use crate::tools::mallory::relay::report;
use crate::tools::proxy::{self, Pair};
use crate::tools::sink::Sink;
use crate::tools::tap::Direction;

/// `--attack mitm`'s flags, for all three lessons it runs on.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "mitm")]
pub struct MitmArgs {
    /// mitm: the nonce mode the client and server use.
    #[arg(long, value_enum, default_value_t = NonceMode::Random)]
    pub nonce: NonceMode,
    /// mitm: rewrite client messages, e.g. amount=100:amount=900 (the echo
    /// is rewritten back, so the client sees what it sent).
    #[arg(long, value_name = "FROM:TO")]
    pub rewrite: Option<Rewrite>,
    /// mitm on lesson 10: the signature to offer the client, since she
    /// cannot make the server's: one by her own throwaway key, or the real
    /// server's, which covers the keys of her session with the server.
    #[arg(long, value_enum, default_value_t = ForgedSignature::Own)]
    pub signature: ForgedSignature,
    /// mitm on lesson 11: write Mallory's throwaway CA certificate here, to
    /// show that only a client trusting it (`--ca` FILE) is fooled.
    #[arg(long, value_name = "FILE")]
    pub ca_out: Option<PathBuf>,
    /// mitm on lesson 11: the real server's CA certificate (public), for
    /// her own connection to the server if a client accepts her.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CA_FILE)]
    pub ca: PathBuf,
}

/// `mitm` on lesson 10: the signature Mallory sends the client in place of
/// the server's, since she cannot make the real one (`impersonate.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ForgedSignature {
    /// Sign the client's two keys with a throwaway Ed25519 key of her own.
    #[default]
    Own,
    /// Pass on the real server's signature, made over the keys of her own
    /// session with the server.
    Forward,
}

/// `FROM:TO`, for `--rewrite`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewrite {
    /// Bytes to look for in client messages.
    pub from: Vec<u8>,
    /// What to put in their place.
    pub to: Vec<u8>,
}

impl std::str::FromStr for Rewrite {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Rewrite, String> {
        match s.split_once(':') {
            Some((from, to)) if !from.is_empty() => Ok(Rewrite {
                from: from.as_bytes().to_vec(),
                to: to.as_bytes().to_vec(),
            }),
            _ => Err(format!(
                "expected FROM:TO, like amount=100:amount=900, not {s:?}"
            )),
        }
    }
}

/// How long a client may take to send its public key to a `mitm` Mallory.
pub(super) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Plays server to the client and client to the server, and relays the
/// plaintext between the two sessions.
pub(super) fn mitm(pair: &Pair, args: &MitmArgs, log: &Sink) -> Result<()> {
    let id = pair.id;
    let nonce = args.nonce;
    // A client that never sends its key must not hold this thread forever.
    pair.client.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    // client -> mallory: "client_pub"; mallory -> client: HER key, not the server's.
    let (from_client, to_client, with_client) =
        channel::accept(Socket::new(pair.client.try_clone()?), nonce)?;
    pair.client.set_read_timeout(None)?;
    // mallory -> server: HER key, not the client's; server -> mallory: server_pub.
    let (from_server, to_server, with_server) =
        channel::connect(Socket::new(pair.server.try_clone()?), nonce)?;
    report(
        log,
        format!(
            "#{id} handshake with the client: client key {}\n\
         #{id}   the client now thinks the server's key is {} (it is mine)\n\
         #{id} handshake with the server: server key {}\n\
         #{id}   the server now thinks the client's key is {} (it is mine)\n\
         #{id} two sessions, both keyed by me: I read and can change everything",
            crate::hex(&with_client.client_public),
            crate::hex(&with_client.server_public),
            crate::hex(&with_server.server_public),
            crate::hex(&with_server.client_public),
        ),
    );
    relay_both_ways(
        pair,
        log,
        (from_client, to_client),
        (from_server, to_server),
        args.rewrite.as_ref(),
    )
}

/// Relays the two sessions' plaintext both ways at once: the client's to
/// the server, edited by `rewrite`, and the server's back to the client,
/// edited the other way, so the client gets exactly the echo it expects.
/// Each direction's end is passed on as a half-close, as a proxy would.
pub(super) fn relay_both_ways(
    pair: &Pair,
    log: &Sink,
    (from_client, to_client): (impl MessageReader, impl MessageWriter),
    (from_server, to_server): (impl MessageReader, impl MessageWriter),
    rewrite: Option<&Rewrite>,
) -> Result<()> {
    let id = pair.id;
    let backward = rewrite.map(|r| Rewrite {
        from: r.to.clone(),
        to: r.from.clone(),
    });
    proxy::both_ways(
        pair,
        || {
            let (direction, onward) = (Direction::ClientToServer, rewrite);
            relay_plaintext(log, id, direction, from_client, to_server, onward)?;
            let _ = pair.server.shutdown(Shutdown::Write);
            Ok(())
        },
        || {
            let (direction, back) = (Direction::ServerToClient, backward.as_ref());
            relay_plaintext(log, id, direction, from_server, to_client, back)?;
            let _ = pair.client.shutdown(Shutdown::Write);
            Ok(())
        },
    )
}

/// Decrypts with one session, prints, edits, and encrypts with the other.
pub(super) fn relay_plaintext(
    log: &Sink,
    id: u64,
    direction: Direction,
    mut from: impl MessageReader,
    mut to: impl MessageWriter,
    rewrite: Option<&Rewrite>,
) -> Result<()> {
    while let Some(message) = from.read_message()? {
        let mut line = format!(
            "#{id} {direction}  plaintext {}",
            quoted(message, TEXT_LIMIT)
        );
        let edited = rewrite.map(|r| replace_all(message, &r.from, &r.to));
        match edited {
            Some(edited) if edited != message => {
                line.push_str(&format!("  REWRITTEN to {}", quoted(&edited, TEXT_LIMIT)));
                report(log, line);
                to.write_message(&edited)?;
            }
            _ => {
                report(log, line);
                to.write_message(message)?;
            }
        }
    }
    Ok(())
}

/// `haystack` with every `from` replaced by `to`.
pub fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    if from.is_empty() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if rest.starts_with(from) {
            out.extend_from_slice(to);
            rest = rest.get(from.len()..).unwrap_or_default();
        } else if let Some((first, tail)) = rest.split_first() {
            out.push(*first);
            rest = tail;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_parses_and_replaces() {
        let r: Rewrite = "amount=100:amount=900".parse().unwrap();
        assert_eq!(r.from, b"amount=100");
        assert_eq!(
            replace_all(b"x amount=100 amount=100", &r.from, &r.to),
            b"x amount=900 amount=900"
        );
        assert!("nocolon".parse::<Rewrite>().is_err());
        assert_eq!(replace_all(b"abc", b"", b"x"), b"abc");
    }
}
