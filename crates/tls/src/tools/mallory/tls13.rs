//! Mallory against lesson 11: real TLS 1.3.
//!
//! `flip`, `replay` and `reflect` act on the client's application data
//! records, exactly as on lessons 9 and 10, and TLS refuses each one:
//!
//! ```text
//! flip     XOR into the ciphertext    -> the Poly1305 tag fails: bad_record_mac
//! replay   a record sent twice        -> the copy is opened with the NEXT
//!                                        sequence number (the nonce is the IV
//!                                        XOR the count): bad_record_mac
//! reflect  a record sent back         -> the client opens it with the
//!                                        SERVER's key: bad_record_mac
//! ```
//!
//! `mitm` is lesson 9's attack with a certificate: Mallory answers the
//! client's ClientHello as a server, with a throwaway CA of her own and a
//! certificate it signed for the very name the client asked for. The
//! handshake is perfect, except that the chain leads to her CA and not to
//! one in the client's `--ca`: the client refuses ("not issued by a CA in
//! --ca", alert unknown_ca) before sending a byte of data, and Mallory never
//! connects onward. Only a client that trusts her CA (`--ca-out` writes it,
//! to show exactly that) is fooled; then she connects to the real server as
//! an ordinary client and reads everything in between.
//!
//! What she can and cannot see of a lesson 11 record without keys:
//!
//! ```text
//! +------+----------------+--------+------------------------------------+----------+
//! | 0x17 | 0x03 0x03      | length | ChaCha20(content || type || zeros) | tag (16) |
//! +------+----------------+--------+------------------------------------+----------+
//!  clear: always 23,  clear   clear     hidden: the real type (5.2)
//!  whatever the real type             and any padding (5.4)
//! \_______ the AEAD's additional data ______/
//! ```
//!
//! Every attack here is a property of RFC 8446 5.2 and 5.3: the tag covers
//! the header and the whole ciphertext (flip), the nonce is derived from a
//! sequence number each side counts and never sends (replay), and each
//! direction has its own traffic secret (reflect). The certificate check
//! against `mitm` is 4.4.2.4 and the client's list of trusted CAs.

use std::net::Shutdown;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::lesson11_real_tls13::certs::{DEFAULT_SERVER_NAME, ServerIdentity, ServerVerifier};
use crate::lesson11_real_tls13::channel;
use crate::lesson11_real_tls13::client::ClientConfig;
use crate::lesson11_real_tls13::padding::Padding;
use crate::lesson11_real_tls13::protection::TAG_LEN;
use crate::lesson11_real_tls13::record::HEADER_LEN;
use crate::lesson11_real_tls13::server::ServerConfig;
use crate::runtime::socket::Socket;
use crate::tools::mallory::mitm::{HANDSHAKE_TIMEOUT, relay_both_ways};
use crate::tools::mallory::relay::report;
use crate::tools::proxy::Pair;
use crate::tools::sink::Sink;

/// Where the encrypted content sits in a whole record of `len` bytes: after
/// the header, before the inner type byte and the tag. ChaCha20 is a stream
/// cipher, so content byte i is ciphertext byte i: a flip lands exactly
/// where it is aimed (and the tag then fails).
// The peer's length, so saturating and floored at the header: a record too
// short to hold a tag gives an empty range, never a backwards one. With
// `--pad` the range runs on into the type byte and the zeros, which
// Mallory cannot tell apart from content; a flip there fails the tag all
// the same.
pub(super) fn content_range(len: usize) -> Range<usize> {
    let end = len.saturating_sub(TAG_LEN + 1).max(HEADER_LEN);
    HEADER_LEN..end
}

/// Mallory's own identity for `mitm`: a throwaway CA and a certificate for
/// the name clients ask for, made once at start.
// A real certificate chain, made properly: the attack is not a broken
// certificate but a good one from the wrong authority.
#[derive(Debug)]
pub struct Impostor {
    config: ServerConfig,
    // The real server's CA (public, like every CA certificate), for her own
    // connection onward, should a client ever accept her.
    upstream_ca: PathBuf,
}

impl Impostor {
    /// Makes the throwaway CA and certificate; writes the CA to `ca_out` if
    /// given. `upstream_ca` is the real server's CA file.
    pub fn new(ca_out: Option<&Path>, upstream_ca: &Path) -> Result<Impostor> {
        // A fresh CA each run: nothing about it is secret except its key,
        // which lives only in this process.
        let identity = match ca_out {
            Some(path) => ServerIdentity::generate_into(path)?,
            None => ServerIdentity::generate()?.0,
        };
        // No key log: Mallory's own sessions are hers to read already.
        Ok(Impostor {
            config: ServerConfig::new(identity, None),
            upstream_ca: upstream_ca.to_path_buf(),
        })
    }
}

/// Plays the server to the client with her own certificate; if the client
/// accepts it, plays the client to the server and relays the plaintext.
pub(super) fn mitm(pair: &Pair, impostor: &Impostor, log: &Sink) -> Result<()> {
    let id = pair.id;
    // A client that never sends its ClientHello must not hold this thread.
    pair.client.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    // <- ClientHello; -> ServerHello and {Certificate}: HERS, for localhost.
    let accepted = channel::accept(Socket::new(pair.client.try_clone()?), &impostor.config);
    // The client checks her chain against its `--ca` before it sends its
    // Finished, so a refusal arrives as an alert during the handshake, and
    // no application data ever leaves the client.
    let (from_client, to_client) = match accepted {
        Ok(halves) => halves,
        Err(e) => {
            report(
                log,
                format!(
                    "#{id} I answered the ClientHello as the server, with a certificate for \
                 {DEFAULT_SERVER_NAME} signed by my own throwaway CA\n\
                 #{id} the client REFUSED it ({e}): my CA is not one it trusts.\n\
                 #{id} I read nothing, and I never connected onward: the server heard nothing."
                ),
            );
            // A refused handshake is the lesson working, not Mallory
            // failing: it is reported as her log line, and not as an error.
            let _ = pair.server.shutdown(Shutdown::Both);
            let _ = pair.client.shutdown(Shutdown::Both);
            return Ok(());
        }
    };
    pair.client.set_read_timeout(None)?;
    report(
        log,
        format!(
            "#{id} the client ACCEPTED my certificate: it trusts my CA. Connecting to the real \
         server as a client (trusting {})",
            impostor.upstream_ca.display()
        ),
    );
    // -> ClientHello to the real server, as any client would send.
    // Only now, with a client that accepted her: connecting earlier would
    // show the server a handshake for a client that was going to refuse.
    // She checks the real server's chain like an honest client; without a
    // key log or padding, she looks like any other client to the server.
    let upstream = ClientConfig {
        verifier: ServerVerifier::load(&impostor.upstream_ca, DEFAULT_SERVER_NAME)?,
        keylog: None,
        padding: Padding::NONE,
    };
    let (from_server, to_server) =
        channel::connect(Socket::new(pair.server.try_clone()?), &upstream)?;
    report(
        log,
        format!("#{id} two TLS sessions, both ending at me: I read and can change everything"),
    );
    // No rewrite on lesson 11: `--rewrite` is lesson 9's demonstration;
    // here the point is that she gets this far only if trusted.
    relay_both_ways(
        pair,
        log,
        (from_client, to_client),
        (from_server, to_server),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_sits_between_header_and_type_byte() {
        // 5 header + 10 content + 1 type + 16 tag.
        assert_eq!(content_range(32), 5..15);
        // Too short for anything: an empty range, never a panic.
        assert_eq!(content_range(3), 5..5);
    }

    #[test]
    fn a_flip_fails_the_tag() {
        use crate::lesson11_real_tls13::TlsError;
        use crate::lesson11_real_tls13::key_schedule::Secret;
        use crate::lesson11_real_tls13::protection::{RecordKey, open_with_traffic_secret};
        use crate::lesson11_real_tls13::record::ContentType;
        use crate::tools::mallory::flip::{DEFAULT_OFFSET, FlipArgs, flip};
        use crate::tools::tap::Lesson;
        let secret = Secret::from_bytes([4; 32]);
        let mut record = Vec::new();
        RecordKey::new(&secret)
            .seal(
                ContentType::ApplicationData,
                b"GET /transfer?to=bob&amount=100 HTTP/1.1",
                Padding::NONE,
                &mut record,
            )
            .unwrap();
        let args = FlipArgs {
            offset: DEFAULT_OFFSET,
            known: "amount=100".into(),
            wanted: "amount=900".into(),
        };
        let line = flip(&mut record, Lesson::RealTls13, &args, "r");
        // 5 + 21: the ciphertext of "amount=100".
        assert!(line.contains("FLIPPED wire bytes 26..36"), "{line}");
        assert_eq!(
            open_with_traffic_secret(secret.as_bytes(), 0, &record),
            Err(TlsError::BadRecordMac)
        );
    }
}
