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
//!
//! What each side computes, and why neither can tell:
//!
//! ```text
//! client: shared_1 = X25519(client_secret,   mallory_pub_1)  = Mallory's shared_1
//! server: shared_2 = X25519(server_secret,   mallory_pub_2)  = Mallory's shared_2
//! ```
//!
//! Both sides hold a shared secret, both derive lesson 8's two keys from it,
//! every record they exchange opens with a good tag: the AEAD proves the
//! record came from *whoever holds the key*, and that is Mallory. The
//! property missing is authentication: nothing says whose public key the
//! client received. This file is the attack that works (lesson 9);
//! `impersonate.rs` is the same attack against lesson 10, where the server
//! signs its keys, and `tls13.rs` against lesson 11's certificates.
//!
//! The relay at the end of this file is shared by lessons 9 and 11: once
//! Mallory holds two sessions, what she does with the plaintext between
//! them is the same whatever handshake made them.

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
    // Mallory runs two lesson 9 channels, and each end checks nonces the
    // way it was told to: she must seal with the mode the client and the
    // server expect, or her own records would be refused. Either mode
    // works for her: counter nonces stop a replay, not a middleman.
    /// mitm: the nonce mode the client and server use.
    #[arg(long, value_enum, default_value_t = NonceMode::Random)]
    pub nonce: NonceMode,
    // With the plaintext in hand she can change it and re-seal it under the
    // server's session: a valid tag, because she holds that key too.
    /// mitm: rewrite client messages, e.g. amount=100:amount=900 (the echo
    /// is rewritten back, so the client sees what it sent).
    #[arg(long, value_name = "FROM:TO")]
    pub rewrite: Option<Rewrite>,
    // Lesson 10 only: both choices fail, for two different reasons; the
    // flag exists so that a learner can watch each one fail.
    /// mitm on lesson 10: the signature to offer the client, since she
    /// cannot make the server's: one by her own throwaway key, or the real
    /// server's, which covers the keys of her session with the server.
    #[arg(long, value_enum, default_value_t = ForgedSignature::Own)]
    pub signature: ForgedSignature,
    // Lesson 11 only: a CA is only as good as the list of CAs a client
    // trusts. Writing hers out lets the learner put it on that list and see
    // the attack succeed, which is the point: trust is the client's choice.
    /// mitm on lesson 11: write Mallory's throwaway CA certificate here, to
    /// show that only a client trusting it (`--ca` FILE) is fooled.
    #[arg(long, value_name = "FILE")]
    pub ca_out: Option<PathBuf>,
    // Lesson 11 only: to relay, she must also be an ordinary client of the
    // real server, and an ordinary client checks the server's chain.
    /// mitm on lesson 11: the real server's CA certificate (public), for
    /// her own connection to the server if a client accepts her.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CA_FILE)]
    pub ca: PathBuf,
}

/// `mitm` on lesson 10: the signature Mallory sends the client in place of
/// the server's, since she cannot make the real one (`impersonate.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ForgedSignature {
    // Fails because the client verifies with the server's public key, which
    // it was given in advance (lesson 10), not with a key that arrives on
    // the wire.
    /// Sign the client's two keys with a throwaway Ed25519 key of her own.
    #[default]
    Own,
    // Fails because the signature covers the keys it was made over: the
    // server saw mallory_pub_2, the client saw mallory_pub_1.
    /// Pass on the real server's signature, made over the keys of her own
    /// session with the server.
    Forward,
}

/// `FROM:TO`, for `--rewrite`.
// Unlike `flip`, FROM and TO may differ in length: she re-encrypts the
// whole message, so the record's length is hers to choose. The only trace
// left for Eve is a record a few bytes longer or shorter than usual.
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
        // Split at the first colon only: TO may itself hold colons. An
        // empty FROM would match between every two bytes, so it is refused
        // here, at the command line, with the expected shape.
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
// The handshake is the only moment she must wait on the client before she
// has anything to do; afterwards the proxy's idle timeout governs.
pub(super) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Plays server to the client and client to the server, and relays the
/// plaintext between the two sessions.
pub(super) fn mitm(pair: &Pair, args: &MitmArgs, log: &Sink) -> Result<()> {
    // The client's handshake first, then the server's: if the client never
    // sends a key, or sends a bad one, the server never sees a handshake
    // from Mallory at all.
    let id = pair.id;
    let nonce = args.nonce;
    // A client that never sends its key must not hold this thread forever.
    pair.client.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    // client -> mallory: "client_pub"; mallory -> client: HER key, not the server's.
    // To the client this is lesson 9's server, byte for byte: 32 bytes in,
    // 32 bytes out. There is no field in which a real server would differ.
    let (from_client, to_client, with_client) =
        channel::accept(Socket::new(pair.client.try_clone()?), nonce)?;
    // The handshake is over: from here the relay waits for as long as the
    // client takes to type, under the proxy's own idle timeout.
    pair.client.set_read_timeout(None)?;
    // mallory -> server: HER key, not the client's; server -> mallory: server_pub.
    // Lesson 9's server has no idea who its clients are: a fresh key from
    // Mallory is as welcome as a fresh key from anyone.
    // Her second key pair is fresh, not a copy of the first: each session
    // gets its own secret, and neither side can compare keys to notice.
    let (from_server, to_server, with_server) =
        channel::connect(Socket::new(pair.server.try_clone()?), nonce)?;
    // The four public keys, printed in pairs: each side's view next to what
    // it should have seen. Eve, watching the same wire, would see exactly
    // these keys too; only the two sessions' secrets are Mallory's alone.
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
    // The echo server sends `amount=900` back; undoing the edit on the way
    // home hides it from the client, whose screen shows what it typed.
    let backward = rewrite.map(|r| Rewrite {
        from: r.to.clone(),
        to: r.from.clone(),
    });
    // Two threads, one per direction: an echo client may send its next
    // line before the previous answer arrives, and neither side may wait
    // on the other.
    proxy::both_ways(
        pair,
        || {
            let (direction, onward) = (Direction::ClientToServer, rewrite);
            relay_plaintext(log, id, direction, from_client, to_server, onward)?;
            // The client is done sending: tell the server the same way, so
            // it finishes its echo and closes in turn.
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
// Messages, not records: each leg is framed by its own session, so the
// record that leaves need not be the size of the one that came in (a
// rewrite changes it), and Eve, watching both legs, can see that.
pub(super) fn relay_plaintext(
    log: &Sink,
    id: u64,
    direction: Direction,
    mut from: impl MessageReader,
    mut to: impl MessageWriter,
    rewrite: Option<&Rewrite>,
) -> Result<()> {
    // `read_message` opens each record with the key of the session it came
    // in on: a good tag there only proves that the peer holds *that*
    // session's key. `None` is the peer's clean end of stream.
    while let Some(message) = from.read_message()? {
        // This line is the whole lesson: the plaintext, on a machine that
        // is neither the client nor the server.
        let mut line = format!(
            "#{id} {direction}  plaintext {}",
            quoted(message, TEXT_LIMIT)
        );
        // Edited only if the bytes are there: a message without FROM goes
        // on as it came, and the log says nothing was changed.
        let edited = rewrite.map(|r| replace_all(message, &r.from, &r.to));
        match edited {
            // Re-sealed under the other session: the receiver's tag check
            // passes, so the edit is invisible to it, unlike lesson 3's flip
            // on lesson 5, which breaks a tag it cannot remake.
            Some(edited) if edited != message => {
                line.push_str(&format!("  REWRITTEN to {}", quoted(&edited, TEXT_LIMIT)));
                report(log, line);
                to.write_message(&edited)?;
            }
            // Untouched, but still re-sealed: the receiver can only open
            // what was sealed under its own session's key.
            _ => {
                report(log, line);
                to.write_message(message)?;
            }
        }
    }
    Ok(())
}

/// `haystack` with every `from` replaced by `to`.
// The message is the peer's: this walks it with `starts_with`, `get` and
// `split_first`, which cannot index out of bounds whatever its length.
pub fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    // An empty pattern matches everywhere and consumes nothing: the loop
    // below would never advance, so there is nothing to replace.
    if from.is_empty() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    // Left to right, never overlapping: a match is consumed whole before
    // the search goes on, so `to` is never searched again.
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
