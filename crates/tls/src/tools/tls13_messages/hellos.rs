//! The two hellos, as Eve reads them: the only handshake messages of
//! lesson 11 that cross the wire in the clear.
//!
//! ```text
//! ClientHello (4.1.2)                     ServerHello (4.1.3)
//!   legacy_version        0x0303            legacy_version         0x0303
//!   random                32 B (*)          random                 32 B
//!   legacy_session_id     <0..32>           legacy_session_id_echo <0..32>
//!   cipher_suites         <2..2^16-2>       cipher_suite           one, chosen
//!   legacy_compression    <1..2^8-1>        legacy_compression     0
//!   extensions            <8..2^16-1>       extensions             <6..2^16-1>
//!     supported_versions, key_share,          supported_versions (0x0304),
//!     signature_algorithms, server_name       key_share (group, key)
//!
//! (*) the name of the connection in an NSS key log
//! ```
//!
//! Before the key exchange there is nothing to encrypt with, so the offer
//! and the choice are public: which suites and groups a client speaks, the
//! name of the site it wants (server_name, RFC 6066 3), and which version
//! was agreed. The key shares are public too, and that is harmless: they
//! are lesson 7's public keys. What an eavesdropper cannot get from them
//! is the shared secret, and so every key after the ServerHello.
//!
//! A hello that the lesson's server would refuse is still summarised (or
//! named as not parsing): Eve reports what went by, she does not judge it.

use crate::lesson11_real_tls13::client_hello::ClientHello;
use crate::lesson11_real_tls13::codec::{Reader, extensions};
use crate::lesson11_real_tls13::handshake_type;
use crate::lesson11_real_tls13::server_hello::HELLO_RETRY_REQUEST_RANDOM;
use crate::lesson11_real_tls13::{
    CIPHER_SUITE, GROUP_X25519, LEGACY_VERSION, RANDOM_LEN, SIGNATURE_ED25519, TLS13, extension,
};
use crate::tools::hexdump;

/// The readable offer: suites, groups with key shares, name.
pub(super) fn client_hello_note(body: &[u8]) -> String {
    // The lesson's own parser, so Eve reads the offer exactly as the
    // server does; one that does not parse is reported, not guessed at.
    let hello = match ClientHello::parse(body) {
        Ok(hello) => hello,
        Err(e) => return format!("does not parse: {e}"),
    };
    // 4.1.2: the suites in the client's order of preference. A TLS 1.3
    // suite names only the AEAD and the hash; the key exchange is agreed
    // apart, in key_share, where TLS 1.2 folded it into the suite.
    let suites: Vec<String> = hello.cipher_suites.iter().map(|&s| suite_name(s)).collect();
    // 4.2.8: one public key per group the client guesses the server will
    // take. Groups offered without a share are left out: if the server
    // wants one of those, it must first send a HelloRetryRequest. Only the
    // length is shown: the key itself is in the hex above.
    let shares: Vec<String> = hello
        .key_shares
        .iter()
        .flatten()
        .map(|(group, key)| format!("{} ({} bytes)", group_name(*group), key.len()))
        .collect();
    // 4.2.1: the real version offer. Without this extension a client is
    // asking for TLS 1.2 at most, whatever legacy_version says.
    let versions = hello.versions.as_ref().map_or("none".into(), |v| {
        v.iter()
            .map(|&v| version_name(v))
            .collect::<Vec<_>>()
            .join(", ")
    });
    // 4.2.3: lesson 11's certificate is Ed25519, so a client that does not
    // list that scheme cannot accept our CertificateVerify.
    let ed25519 = hello
        .signature_schemes
        .as_ref()
        .is_some_and(|s| s.contains(&SIGNATURE_ED25519));
    // The host name is text the client chose: quoted, so it cannot play
    // tricks on Eve's terminal.
    let name = hello.server_name.as_deref().map_or("(none)".into(), |n| {
        hexdump::quoted(n.as_bytes(), hexdump::TEXT_LIMIT)
    });
    // One line with what a server must find in the offer to answer it: a
    // suite, a group with a share, TLS 1.3 among the versions, a scheme it
    // can sign with; and then for whom.
    format!(
        "cipher suites offered [{}], key shares [{}], supported_versions [{versions}], \
         ed25519 {}, server_name {name}",
        suites.join(", "),
        shares.join(", "),
        if ed25519 { "offered" } else { "NOT offered" },
    )
}

/// The readable choice: suite, group, version.
pub(super) fn server_hello_note(body: &[u8]) -> String {
    // Read field by field with the codec, in the order of 4.1.3: Eve keeps
    // only the random, the suite and two extensions, and whether the
    // choice suits lesson 11 (`ServerHello::accept`) is not her question.
    // Every read is checked, so a short body is "does not parse".
    let mut r = Reader::new(body, "ServerHello");
    let parsed = (|| {
        // legacy_version: 0x0303 always; the version is in the extension.
        r.u16()?;
        let random: [u8; RANDOM_LEN] = r.array()?;
        // legacy_session_id_echo: the client's, for middleboxes (D.4).
        r.vec_u8()?;
        let suite = r.u16()?;
        // legacy_compression_method: a single 0.
        r.u8()?;
        let mut version = None;
        let mut group = None;
        // 4.2: each extension is a u16 type and a u16-framed body; the
        // codec refuses a type that appears twice, and the rest of the
        // extensions are skipped: Eve needs two of them.
        for (extension_type, data) in extensions(r.vec_u16()?)? {
            let mut e = Reader::new(data, "ServerHello extension");
            match extension_type {
                // 4.2.1: a ServerHello's supported_versions is the one
                // version chosen, 0x0304 for TLS 1.3.
                extension::SUPPORTED_VERSIONS => version = Some(e.u16()?),
                // 4.2.8: the server's share starts with its group; the key
                // that follows is shown in the hex, not here.
                extension::KEY_SHARE => group = Some(e.u16()?),
                _ => {}
            }
        }
        Ok::<_, crate::lesson11_real_tls13::TlsError>((random, suite, version, group))
    })();
    match parsed {
        // 4.1.3: a HelloRetryRequest is a ServerHello with this fixed
        // random, asking the client to try again with another share.
        Ok((random, ..)) if random == HELLO_RETRY_REQUEST_RANDOM => {
            "a HelloRetryRequest (lesson 11 never sends one)".into()
        }
        // After this message both sides derive the handshake secrets, and
        // every later record is encrypted (its outer type says 23).
        Ok((_, suite, version, group)) => format!(
            "cipher suite chosen {}, key share {}, version {}; everything after this is encrypted",
            suite_name(suite),
            group.map_or("(none)".into(), group_name),
            version.map_or("(none)".into(), version_name),
        ),
        // A body too short for its fields, or extensions framed wrong: the
        // codec's error names what was being read.
        Err(e) => format!("does not parse: {e}"),
    }
}

/// The client_random of a ClientHello record's fragment, read by hand so
/// that even a hello our server would refuse names its connection.
pub(crate) fn client_random_in(fragment: &[u8]) -> Option<[u8; RANDOM_LEN]> {
    // The NSS key log names a connection by this random, so it is the
    // first thing Eve needs. It sits at a fixed place: after the handshake
    // header (type, u24 length) and the u16 legacy_version.
    // `None` for a first record that is not a ClientHello, or one too short
    // to hold the random: the connection then has no name yet, and the view
    // tries again with the next handshake record.
    let mut r = Reader::new(fragment, "ClientHello");
    if r.u8().ok()? != handshake_type::CLIENT_HELLO {
        return None;
    }
    r.u24().ok()?;
    r.u16().ok()?;
    r.array().ok()
}

/// Our suite by name, any other as hex: the one lesson 11 can speak
/// stands out in a browser's long list.
fn suite_name(suite: u16) -> String {
    // 0x1303: the one suite lesson 11 implements (B.4).
    if suite == CIPHER_SUITE {
        "TLS_CHACHA20_POLY1305_SHA256".into()
    } else {
        format!("0x{suite:04x}")
    }
}

/// Our group by name, any other as hex.
fn group_name(group: u16) -> String {
    // 0x001d: lesson 7's X25519 (4.2.7).
    if group == GROUP_X25519 {
        "x25519".into()
    } else {
        format!("0x{group:04x}")
    }
}

/// A protocol version's name: 0x0304 is TLS 1.3, 0x0303 the "TLS 1.2"
/// that legacy fields are frozen at.
fn version_name(version: u16) -> String {
    match version {
        TLS13 => "TLS 1.3".into(),
        LEGACY_VERSION => "TLS 1.2".into(),
        // Anything else shows as its number: an older version, a draft's,
        // or a GREASE value (RFC 8701) a browser adds to test servers.
        other => format!("0x{other:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellos_are_summarised_even_when_odd() {
        assert!(client_hello_note(b"nonsense").starts_with("does not parse"));
        assert!(server_hello_note(&[3, 3]).starts_with("does not parse"));
        let mut hrr = vec![3, 3];
        hrr.extend(HELLO_RETRY_REQUEST_RANDOM);
        hrr.extend([0, 0x13, 0x01, 0, 0, 0]);
        assert!(server_hello_note(&hrr).contains("HelloRetryRequest"));
        assert_eq!(suite_name(0x1301), "0x1301");
        assert_eq!(group_name(0x0017), "0x0017");
        assert_eq!(client_random_in(&[2, 0, 0, 0]), None);
    }
}
