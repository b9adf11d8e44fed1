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
use std::time::Duration;

use crate::error::Result;
use crate::lesson09_encrypted_echo::channel;
use crate::runtime::message::{MessageReader, MessageWriter};
use crate::runtime::socket::Socket;
use crate::tools::hexdump::TEXT_LIMIT;
use crate::tools::hexdump::quoted;
use crate::tools::mallory::{MalloryOptions, Rewrite};
use crate::tools::proxy::{self, Pair};
use crate::tools::tap::Direction;

/// How long a client may take to send its public key to a `mitm` Mallory.
pub(super) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Plays server to the client and client to the server, and relays the
/// plaintext between the two sessions.
pub(super) fn mitm(pair: &Pair, options: &MalloryOptions) -> Result<()> {
    let id = pair.id;
    let nonce = options.nonce;
    // A client that never sends its key must not hold this thread forever.
    pair.client.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    // client -> mallory: "client_pub"; mallory -> client: HER key, not the server's.
    let (from_client, to_client, with_client) =
        channel::accept(Socket::new(pair.client.try_clone()?), nonce)?;
    pair.client.set_read_timeout(None)?;
    // mallory -> server: HER key, not the client's; server -> mallory: server_pub.
    let (from_server, to_server, with_server) =
        channel::connect(Socket::new(pair.server.try_clone()?), nonce)?;
    options.report(format!(
        "#{id} handshake with the client: client key {}\n\
         #{id}   the client now thinks the server's key is {} (it is mine)\n\
         #{id} handshake with the server: server key {}\n\
         #{id}   the server now thinks the client's key is {} (it is mine)\n\
         #{id} two sessions, both keyed by me: I read and can change everything",
        crate::hex(&with_client.client_public),
        crate::hex(&with_client.server_public),
        crate::hex(&with_server.server_public),
        crate::hex(&with_server.client_public),
    ));
    // Going to the server, apply the rewrite; coming back, undo it, so the
    // client gets exactly the echo it expects.
    let forward = options.rewrite.clone();
    let backward = forward.as_ref().map(|r| Rewrite {
        from: r.to.clone(),
        to: r.from.clone(),
    });
    proxy::both_ways(
        pair,
        || {
            relay_plaintext(
                options,
                id,
                Direction::ClientToServer,
                from_client,
                to_server,
                forward.as_ref(),
            )?;
            let _ = pair.server.shutdown(Shutdown::Write);
            Ok(())
        },
        || {
            relay_plaintext(
                options,
                id,
                Direction::ServerToClient,
                from_server,
                to_client,
                backward.as_ref(),
            )?;
            let _ = pair.client.shutdown(Shutdown::Write);
            Ok(())
        },
    )
}

/// Decrypts with one session, prints, edits, and encrypts with the other.
pub(super) fn relay_plaintext(
    options: &MalloryOptions,
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
                options.report(line);
                to.write_message(&edited)?;
            }
            _ => {
                options.report(line);
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
