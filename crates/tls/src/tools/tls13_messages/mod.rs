//! What the handshake messages in a lesson 11 record say, one line each,
//! for Eve: the offer in a ClientHello, the choice in a ServerHello, the
//! size of a certificate chain, a KeyUpdate's request, an alert's name.
//!
//! Each message is named record by record, from its 4-byte header
//! (type, u24 length). A message longer than its record (a large
//! Certificate) is shown as "continues in the next record", and its tail
//! as such: nothing is held across records, only a count of the bytes
//! still to come.
//!
//! Only our own suite and group are named; any other shows as its number,
//! so the one lesson 11 speaks stands out in a long offer (curl's lists
//! thirty suites).

use crate::lesson11_real_tls13::alert::Alert;
use crate::lesson11_real_tls13::client_hello::ClientHello;
use crate::lesson11_real_tls13::codec::{HANDSHAKE_HEADER_LEN, Reader, extensions};
use crate::lesson11_real_tls13::server_hello::HELLO_RETRY_REQUEST_RANDOM;
use crate::lesson11_real_tls13::server_messages::{parse_certificate, parse_key_update};
use crate::lesson11_real_tls13::{
    CIPHER_SUITE, GROUP_X25519, LEGACY_VERSION, RANDOM_LEN, SIGNATURE_ED25519, TLS13, extension,
    handshake_type,
};
use crate::tools::annotate::{Field, Kind};
use crate::tools::hexdump;

/// change_cipher_spec: one byte, 0x01, a relic for middleboxes.
pub(crate) fn ccs_field(fragment: &[u8]) -> Field {
    let note = if fragment == [1] {
        "change_cipher_spec: a dummy for middleboxes (RFC 8446 D.4); ignored"
    } else {
        "change_cipher_spec that is not the single byte 0x01: a receiver refuses it"
    };
    Field::new("ccs", Kind::Plaintext, fragment).with_note(note)
}

/// An alert in words, `fatal handshake_failure (40)`, read by the lesson's
/// own parser so that Eve and the connection never disagree about what an
/// alert says.
pub(crate) fn alert_note(content: &[u8]) -> String {
    match Alert::parse(content) {
        Some(alert) => format!(
            "{} {} ({})",
            alert.level_name(),
            alert.description,
            alert.description.0
        ),
        None => format!("a malformed alert ({} bytes, not 2)", content.len()),
    }
}

/// The handshake messages in one record's content, a field each, its note
/// starting with the message's name. `continuing` carries a message that spills over from
/// one record to the next (no bytes are kept, only the count).
pub(crate) fn handshake_fields(content: &[u8], continuing: &mut usize) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut rest = content;
    if *continuing > 0 {
        let (tail, after) = rest.split_at(rest.len().min(*continuing));
        *continuing -= tail.len();
        let more = if *continuing > 0 {
            format!("; {} more bytes in the next record", *continuing)
        } else {
            String::new()
        };
        fields.push(
            Field::new("(cont.)", Kind::Plaintext, tail).with_note(format!(
                "the rest of a handshake message begun in an earlier record{more}"
            )),
        );
        rest = after;
    }
    while !rest.is_empty() {
        let mut r = Reader::new(rest, "handshake header");
        let (Ok(message_type), Ok(length)) = (r.u8(), r.u24()) else {
            fields.push(
                Field::new("handshake", Kind::Malformed, rest)
                    .with_note("a handshake header cut by the end of the record"),
            );
            break;
        };
        let name = handshake_type::name(message_type);
        let total = length.saturating_add(HANDSHAKE_HEADER_LEN);
        let Some((message, after)) = rest.split_at_checked(total) else {
            *continuing = total - rest.len();
            fields.push(
                Field::new("message", Kind::Plaintext, rest).with_note(format!(
                    "{name}, {length} bytes (continues in the next record: {} more bytes)",
                    *continuing
                )),
            );
            break;
        };
        let body = message.get(HANDSHAKE_HEADER_LEN..).unwrap_or_default();
        fields.push(
            Field::new("message", Kind::Plaintext, message)
                .with_note(message_note(message_type, body)),
        );
        rest = after;
    }
    fields
}

/// (type, body) of each whole handshake message in `content`.
pub(crate) fn whole_messages(content: &[u8]) -> Vec<(u8, &[u8])> {
    let mut messages = Vec::new();
    let mut r = Reader::new(content, "handshake");
    while let (Ok(message_type), Ok(mut body)) = (r.u8(), r.vec_u24()) {
        messages.push((message_type, body.rest()));
    }
    messages
}

/// What one handshake message says, in a line.
fn message_note(message_type: u8, body: &[u8]) -> String {
    let name = handshake_type::name(message_type);
    let size = body.len();
    let says = match message_type {
        handshake_type::CLIENT_HELLO => client_hello_note(body),
        handshake_type::SERVER_HELLO => server_hello_note(body),
        handshake_type::ENCRYPTED_EXTENSIONS => "the server's extensions, now hidden".into(),
        handshake_type::CERTIFICATE => match parse_certificate(body) {
            Ok(chain) => format!(
                "a chain of {} certificate(s), who the server claims to be",
                chain.len()
            ),
            Err(e) => format!("does not parse: {e}"),
        },
        handshake_type::CERTIFICATE_VERIFY => {
            "a signature over the transcript, by the certificate's key".into()
        }
        handshake_type::FINISHED => "HMAC over the transcript; the keys change after it".into(),
        handshake_type::NEW_SESSION_TICKET => "a resumption ticket".into(),
        handshake_type::KEY_UPDATE => match parse_key_update(body) {
            Ok(asked) => {
                format!("the sender moves to its next secret (update_requested = {asked})")
            }
            Err(e) => format!("does not parse: {e}"),
        },
        _ => "a message lesson 11 does not use".into(),
    };
    format!("{name}, {size} bytes: {says}")
}

/// The readable offer: suites, groups with key shares, name.
fn client_hello_note(body: &[u8]) -> String {
    let hello = match ClientHello::parse(body) {
        Ok(hello) => hello,
        Err(e) => return format!("does not parse: {e}"),
    };
    let suites: Vec<String> = hello.cipher_suites.iter().map(|&s| suite_name(s)).collect();
    let shares: Vec<String> = hello
        .key_shares
        .iter()
        .flatten()
        .map(|(group, key)| format!("{} ({} bytes)", group_name(*group), key.len()))
        .collect();
    let versions = hello.versions.as_ref().map_or("none".into(), |v| {
        v.iter()
            .map(|&v| version_name(v))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let ed25519 = hello
        .signature_schemes
        .as_ref()
        .is_some_and(|s| s.contains(&SIGNATURE_ED25519));
    let name = hello.server_name.as_deref().map_or("(none)".into(), |n| {
        hexdump::quoted(n.as_bytes(), hexdump::TEXT_LIMIT)
    });
    format!(
        "cipher suites offered [{}], key shares [{}], supported_versions [{versions}], \
         ed25519 {}, server_name {name}",
        suites.join(", "),
        shares.join(", "),
        if ed25519 { "offered" } else { "NOT offered" },
    )
}

/// The readable choice: suite, group, version.
fn server_hello_note(body: &[u8]) -> String {
    let mut r = Reader::new(body, "ServerHello");
    let parsed = (|| {
        r.u16()?;
        let random: [u8; RANDOM_LEN] = r.array()?;
        r.vec_u8()?;
        let suite = r.u16()?;
        r.u8()?;
        let mut version = None;
        let mut group = None;
        for (extension_type, data) in extensions(r.vec_u16()?)? {
            let mut e = Reader::new(data, "ServerHello extension");
            match extension_type {
                extension::SUPPORTED_VERSIONS => version = Some(e.u16()?),
                extension::KEY_SHARE => group = Some(e.u16()?),
                _ => {}
            }
        }
        Ok::<_, crate::lesson11_real_tls13::TlsError>((random, suite, version, group))
    })();
    match parsed {
        Ok((random, ..)) if random == HELLO_RETRY_REQUEST_RANDOM => {
            "a HelloRetryRequest (lesson 11 never sends one)".into()
        }
        Ok((_, suite, version, group)) => format!(
            "cipher suite chosen {}, key share {}, version {}; everything after this is encrypted",
            suite_name(suite),
            group.map_or("(none)".into(), group_name),
            version.map_or("(none)".into(), version_name),
        ),
        Err(e) => format!("does not parse: {e}"),
    }
}

/// The client_random of a ClientHello record's fragment, read by hand so
/// that even a hello our server would refuse names its connection.
pub(crate) fn client_random_in(fragment: &[u8]) -> Option<[u8; RANDOM_LEN]> {
    let mut r = Reader::new(fragment, "ClientHello");
    if r.u8().ok()? != handshake_type::CLIENT_HELLO {
        return None;
    }
    r.u24().ok()?;
    r.u16().ok()?;
    r.array().ok()
}

/// Our suite by name, any other as hex.
fn suite_name(suite: u16) -> String {
    if suite == CIPHER_SUITE {
        "TLS_CHACHA20_POLY1305_SHA256".into()
    } else {
        format!("0x{suite:04x}")
    }
}

/// Our group by name, any other as hex.
fn group_name(group: u16) -> String {
    if group == GROUP_X25519 {
        "x25519".into()
    } else {
        format!("0x{group:04x}")
    }
}

fn version_name(version: u16) -> String {
    match version {
        TLS13 => "TLS 1.3".into(),
        LEGACY_VERSION => "TLS 1.2".into(),
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
