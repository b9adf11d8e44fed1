//! What the handshake messages in a lesson 11 record say, one line each,
//! for Eve: the offer in a ClientHello, the choice in a ServerHello, the
//! size of a certificate chain, a KeyUpdate's request, an alert's name.
//!
//! The input is one record's content, as `tls13_view` hands it over: the
//! fragment of a plaintext record, or what a key log opened of an encrypted
//! one. Inside a handshake record, messages sit back to back, each behind
//! its own 4-byte header (RFC 8446 4):
//!
//! ```text
//! record content:  | type | length (u24) | body ... | type | length | body ...
//!                    1 B    3 B            length B
//!                    \__ one message ____________/   \__ the next ...
//!
//! a long message:  record n    | type | length | first part of the body |
//!                  record n+1  | rest of the body | next message ...
//! ```
//!
//! The record layer may glue several messages into one record, or cut one
//! message across several (RFC 8446 5.1): the two framings are independent,
//! as lesson 2's records were of TCP's reads. Each message is named record
//! by record, from its header. A message longer than its record (a large
//! Certificate) is shown as "continues in the next record", and its tail
//! as such: nothing is held across records, only a count of the bytes
//! still to come, so a peer that announces a 16 MB message costs Eve a
//! number, not a buffer.
//!
//! Only our own suite and group are named; any other shows as its number,
//! so the one lesson 11 speaks stands out in a long offer (curl's lists
//! thirty suites). The hellos, the only messages Eve reads without keys,
//! are summarised in `hellos.rs`.

mod hellos;

pub(crate) use hellos::client_random_in;

use crate::lesson11_real_tls13::alert::Alert;
use crate::lesson11_real_tls13::codec::{HANDSHAKE_HEADER_LEN, Reader};
use crate::lesson11_real_tls13::handshake_type;
use crate::lesson11_real_tls13::server_messages::{parse_certificate, parse_key_update};
use crate::tools::annotate::{Field, Kind};
use hellos::{client_hello_note, server_hello_note};

/// change_cipher_spec: one byte, 0x01, a relic for middleboxes.
pub(crate) fn ccs_field(fragment: &[u8]) -> Field {
    // TLS 1.3 has no cipher spec to change; the record is sent only so that
    // the handshake looks like a TLS 1.2 resumption to boxes that inspect it
    // (D.4). It is never encrypted, so it takes no sequence number, and
    // RFC 8446 5 has a receiver drop the single byte 0x01 unread and refuse
    // any other value with unexpected_message.
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
    // RFC 8446 6: an alert is two bytes, a level and a description. Sent
    // before the keys exist it is in the clear, so anyone on the path
    // learns why a handshake failed; after, it is encrypted like any record
    // and only its outer length (2 + 1 + 16, unpadded) hints at what it is.
    match Alert::parse(content) {
        Some(alert) => format!(
            "{} {} ({})",
            alert.level_name(),
            alert.description,
            alert.description.0
        ),
        // Not two bytes: the lesson's reader would refuse it, so say so
        // rather than guess at a level.
        None => format!("a malformed alert ({} bytes, not 2)", content.len()),
    }
}

/// The handshake messages in one record's content, a field each, its note
/// starting with the message's name. `continuing` carries a message that spills over from
/// one record to the next (no bytes are kept, only the count).
pub(crate) fn handshake_fields(content: &[u8], continuing: &mut usize) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut rest = content;
    // An earlier record announced more body than it held: this record
    // opens with the rest of that body, not with a header. The count says
    // how much of it to skip; a record shorter than the count is all tail.
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
    // Then whole headers, one after another, until the record runs out.
    while !rest.is_empty() {
        // 4: msg_type (u8), then the body's length (u24). The Reader checks
        // that each byte is there, so a record that ends inside a header
        // becomes a field of its own instead of a panic.
        let mut r = Reader::new(rest, "handshake header");
        let (Ok(message_type), Ok(length)) = (r.u8(), r.u24()) else {
            fields.push(
                Field::new("handshake", Kind::Malformed, rest)
                    .with_note("a handshake header cut by the end of the record"),
            );
            break;
        };
        let name = handshake_type::name(message_type);
        // Under 2^24 plus 4 fits any usize of 32 bits or more; saturating
        // says so with no arithmetic a peer's number could make panic.
        let total = length.saturating_add(HANDSHAKE_HEADER_LEN);
        // The announced message is longer than what is left of the record:
        // 5.1 lets it continue in the next one. Remember only how many
        // bytes are still due, never the bytes.
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
        // The whole message is here: its body is what follows the header.
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
///
/// This is what `tls13_view`'s phases read to see a Finished or a
/// KeyUpdate go by. A message cut across records is skipped, which 5.1
/// makes safe for those two: no handshake message may span a key change,
/// so a Finished or a KeyUpdate always ends its record. It reads from the
/// record's first byte, though, so a record that opens with the tail of a
/// longer message yields nothing here (the view retries a missed Finished
/// with the application secret; a missed KeyUpdate it does not).
pub(crate) fn whole_messages(content: &[u8]) -> Vec<(u8, &[u8])> {
    let mut messages = Vec::new();
    let mut r = Reader::new(content, "handshake");
    // vec_u24 reads the u24 length and takes exactly that many bytes, or
    // fails: the loop stops at the first message that is not all here.
    while let (Ok(message_type), Ok(mut body)) = (r.u8(), r.vec_u24()) {
        messages.push((message_type, body.rest()));
    }
    messages
}

/// What one handshake message says, in a line.
///
/// Only the hellos can be read off the wire; every other message here
/// travels encrypted (RFC 8446 2: all that follows the ServerHello is), so
/// Eve sees these notes only with a key log. They say what each message is for in
/// the handshake, which is what a learner watching the bytes needs.
fn message_note(message_type: u8, body: &[u8]) -> String {
    let name = handshake_type::name(message_type);
    let size = body.len();
    let says = match message_type {
        handshake_type::CLIENT_HELLO => client_hello_note(body),
        handshake_type::SERVER_HELLO => server_hello_note(body),
        // 4.3.1: the extensions that need not be seen to agree on keys go
        // here, under the handshake keys, instead of in the ServerHello.
        handshake_type::ENCRYPTED_EXTENSIONS => "the server's extensions, now hidden".into(),
        // 4.4.2: the server's chain. In TLS 1.2 it crossed the wire in the
        // clear; in 1.3 a passive Eve learns only its size.
        handshake_type::CERTIFICATE => match parse_certificate(body) {
            Ok(chain) => format!(
                "a chain of {} certificate(s), who the server claims to be",
                chain.len()
            ),
            Err(e) => format!("does not parse: {e}"),
        },
        // 4.4.3: lesson 10's signature, now over the transcript hash: it
        // ties the key exchange to the certificate's key.
        handshake_type::CERTIFICATE_VERIFY => {
            "a signature over the transcript, by the certificate's key".into()
        }
        // 4.4.4: the MAC that proves both sides saw the same handshake. The
        // sender's next record is under its application secret.
        handshake_type::FINISHED => "HMAC over the transcript; the keys change after it".into(),
        // 4.6.1: sent after the handshake, under the application keys.
        handshake_type::NEW_SESSION_TICKET => "a resumption ticket".into(),
        // 4.6.3 and 7.2: the sender's next record uses the next secret;
        // update_requested asks the peer to send a KeyUpdate of its own.
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
