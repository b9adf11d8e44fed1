//! What Eve makes of lesson 11: real TLS 1.3 records, read from the wire.
//!
//! ```text
//! every record     type | legacy_version | length      always in the clear
//! handshake (22)   ClientHello, ServerHello           readable: the offer
//!                                                     and the choice
//! change_cipher_spec (20), alert (21)                 readable, if sent
//!                                                     before the keys
//! application_data (23)   "encrypted record"          everything after the
//!                                                     ServerHello, whatever
//!                                                     it really is
//! ```
//!
//! With a key log (`--keylog`, the NSS file the lesson 11 programs write)
//! Eve does what an endpoint does, from the outside:
//!
//! 1. she takes the client_random from the ClientHello: it names the
//!    connection in the key log;
//! 2. she looks up the four traffic secrets under it;
//! 3. she counts encrypted records per direction, because the sequence
//!    number is never sent: it only lives in the nonce (lesson 9's counter);
//! 4. each direction starts under its handshake secret and moves to its
//!    application secret after its own Finished (the count starting again
//!    at 0), and to the next secret after a KeyUpdate.
//!
//! Then each record opens, and she shows its real content type and what it
//! holds: EncryptedExtensions, Certificate, CertificateVerify, Finished, or
//! application data.
//!
//! ```text
//! an encrypted record, as Eve cuts it (RFC 8446 5.2):
//! | 23 | 03 03 | length | encrypted: content || type || zeros | tag (16) |
//!   \___ header, also the AAD ___/
//!
//! with the key log:  secret --(7.3)--> key, iv
//!                    nonce = iv XOR sequence (5.3), the count Eve keeps
//!                    open(key, nonce, aad = header) --> content, real type
//! ```
//!
//! Without the key log she still learns a good deal, and the output shows
//! all of it: who spoke when, how many records each side sent, and each
//! record's length field, which is its content's length plus 17 (a type
//! byte and the tag) when, as here, no padding is sent (5.4). RFC 8446
//! E.3 is plain that TLS does not hide these.
//!
//! Handshake messages are named record by record (`tls13_messages.rs`):
//! Eve holds no handshake bytes across records, so the only buffering is
//! the splitter's, under the budget. Each direction's secret and count are
//! kept in `phases.rs`; the key log is read by the rules of `keys.rs`.

mod phases;

use std::path::PathBuf;

use crate::lesson11_real_tls13::key_schedule::Secret;
use crate::lesson11_real_tls13::keylog::{self, LoggedSecrets};
use crate::lesson11_real_tls13::protection::{TAG_LEN, open_with_traffic_secret};
use crate::lesson11_real_tls13::record::{ContentType, HEADER_LEN, Header, INITIAL_RECORD_VERSION};
use crate::lesson11_real_tls13::{LEGACY_VERSION, RANDOM_LEN};
use crate::tools::annotate::{Annotated, Block, Decryption, Field, Heading, Kind, UnitKind};
use crate::tools::hexdump::{TEXT_LIMIT, quoted};
use crate::tools::keys::KeyLog;
use crate::tools::tap::{Direction, Lesson};
use crate::tools::tls13_messages::{alert_note, ccs_field, client_random_in, handshake_fields};
use phases::{Phase, Side, label, label_for, logged, side_index};

/// Eve's view of one lesson 11 connection.
#[derive(Debug)]
pub struct Tls13View {
    // `--keylog`: without it every encrypted record stays "encrypted".
    keylog: Option<KeyLog>,
    // The ClientHello's random: the name of this connection in the log.
    client_random: Option<[u8; RANDOM_LEN]>,
    // What the key log held for this connection at the last look.
    secrets: LoggedSecrets,
    // `[client's, server's]` phase, count and spill (`phases.rs`): the two
    // directions change keys at different moments.
    sides: [Side; 2],
}

impl Tls13View {
    /// A view before any record; `keylog` is the file to decrypt with.
    /// Both directions start in the handshake phase at count 0: that is
    /// where every TLS 1.3 connection's record protection starts.
    pub fn new(keylog: Option<PathBuf>) -> Tls13View {
        Tls13View {
            keylog: keylog.map(KeyLog::new),
            client_random: None,
            secrets: LoggedSecrets::default(),
            sides: [Side::new(); 2],
        }
    }

    /// The client_random from the ClientHello, once seen: the name the key
    /// log files this connection's secrets under.
    pub fn client_random(&self) -> Option<[u8; RANDOM_LEN]> {
        self.client_random
    }

    /// The block for one whole record (header included) that went by in
    /// `direction`, numbered `number` in that direction on connection `id`.
    pub fn describe(
        &mut self,
        id: u64,
        direction: Direction,
        number: u64,
        record: Vec<u8>,
    ) -> Block {
        // The splitter hands over whole records, header included and length
        // checked; the checked split keeps even a short one from panicking.
        let (header_bytes, fragment) = record
            .split_at_checked(HEADER_LEN)
            .unwrap_or((&record, &[]));
        let header = header_bytes
            .first_chunk::<HEADER_LEN>()
            .map(|h| Header::parse(*h));
        let content_type = header.and_then(|h| ContentType::from_u8(h.content_type));
        // The outer type tells Eve nothing of an encrypted record: TLS 1.3
        // labels every one of them application_data (5.2), a Finished as
        // much as an HTTP request.
        let what = match content_type {
            Some(ContentType::ApplicationData) => "encrypted record".to_string(),
            Some(other) => other.name().to_string(),
            None => "not a TLS record".to_string(),
        };
        let heading = Heading {
            connection: id,
            direction,
            lesson: Some(Lesson::RealTls13),
            unit: UnitKind::Record { number },
            // The size goes in the heading: with the direction and the
            // moment it went by, it is what encryption leaves in view.
            text: format!("record #{number}: {what}, {} bytes", record.len()),
        };
        let mut fields = header_fields(header_bytes);
        let side = side_index(direction);
        // What the fragment holds, by the outer type: only 23 is encrypted.
        // A handshake or alert record in the clear comes before its sender
        // has keys (the hellos, an early alert); change_cipher_spec is never
        // encrypted at all.
        match content_type {
            Some(ContentType::Handshake) => {
                // The ClientHello's random names the connection in the key
                // log. Taken from the client's direction only: a server's
                // random names nothing there.
                if direction == Direction::ClientToServer && self.client_random.is_none() {
                    self.client_random = client_random_in(fragment);
                }
                // Each direction frames its own messages: a spill is counted
                // per side.
                let continuing = &mut self.sides[side].continuing;
                fields.extend(handshake_fields(fragment, continuing));
            }
            // Sent between the hellos and the encrypted flights (D.4).
            Some(ContentType::ChangeCipherSpec) => fields.push(ccs_field(fragment)),
            // An alert before the keys: anyone on the path reads why the
            // handshake ended.
            Some(ContentType::Alert) => fields.push(
                Field::new("alert", Kind::Plaintext, fragment)
                    .with_note(format!("{}, in the clear", alert_note(fragment))),
            ),
            Some(ContentType::ApplicationData) => {
                // 5.2: the AEAD's 16-byte tag is the fragment's tail; all
                // before it is ciphertext. Eve can cut there without a key,
                // but not say where the content ends and the hidden type
                // and padding begin.
                let (ciphertext, tag) = fragment
                    .split_at_checked(fragment.len().saturating_sub(TAG_LEN))
                    .unwrap_or((fragment, &[]));
                fields.push(
                    Field::new("encrypted", Kind::Ciphertext, ciphertext)
                        .with_note("encrypted record: content || real type || padding, all hidden"),
                );
                fields.push(Field::new("tag", Kind::Tag, tag));
            }
            // The splitter lets no other type through; named all the same.
            None => fields.push(Field::new("fragment", Kind::Malformed, fragment)),
        }
        // Only an encrypted record has anything to open, and only a key log
        // can open it: the keys came from an X25519 exchange Eve saw only
        // the public halves of.
        let decrypted = (content_type == Some(ContentType::ApplicationData)
            && self.keylog.is_some())
        .then(|| self.decrypt(direction, &record));
        // The record itself is relayed untouched whatever happens here: Eve
        // opens a copy, and the plaintext is shown apart from the wire.
        Block {
            heading,
            wire: Annotated::new(record, fields),
            decrypted,
        }
    }

    /// Opens one encrypted record with the logged secret of its direction
    /// and phase, and says what was inside (or why it did not open).
    fn decrypt(&mut self, direction: Direction, record: &[u8]) -> Decryption {
        // Which secret and which number: neither is on the wire. The phase
        // is where this side's key changes have brought it; the count is
        // how many encrypted records it has sent under that secret.
        let side = side_index(direction);
        // A copy: the fallback below may move this side to a new phase.
        let Side {
            phase, sequence, ..
        } = self.sides[side];
        // The peer counts every record it receives; so does Eve. The count
        // moves even if this record will not open: its sender numbered it,
        // so the next record has the next number whatever happens here.
        self.sides[side].sequence = sequence.saturating_add(1);
        // No ClientHello seen yet, or one too short to hold its random: the
        // connection has no name, so no key log line can be found.
        let Some(client_random) = self.client_random else {
            return failed(
                "no ClientHello seen, so no client_random to look the keys up by".into(),
            );
        };
        // The NSS label of the secret wanted, e.g. SERVER_TRAFFIC_SECRET_0,
        // named in the report so a reader can look for the line.
        let label = label(direction, phase);
        let Some(secret) = self.secret(direction, phase, &client_random) else {
            return failed(format!("no {label} for this connection in the key log"));
        };
        // The lesson's own record protection: key and IV derived from the
        // secret (7.3), the nonce from the count (5.3), the header as the
        // associated data. A tag that does not verify opens nothing.
        let mut opened = open_with_traffic_secret(secret.as_bytes(), sequence, record);
        // What the title will name: the secret and count that opened it, so
        // a reader can check Eve's bookkeeping against the key log.
        let mut used = (label.to_string(), sequence);
        // Missed the Finished (say, a record that did not open)? Then the
        // application secret, counting from 0, is the other candidate. The
        // try is safe: under a wrong key the tag fails (but for odds too
        // small to matter); it does not hand back wrong plaintext.
        if opened.is_err()
            && phase == Phase::Handshake
            && let Some(next) =
                self.secret(direction, Phase::Application { updates: 0 }, &client_random)
            && let Ok(found) = open_with_traffic_secret(next.as_bytes(), 0, record)
        {
            // This record was number 0 under the application secret, so the
            // next one of this direction is number 1.
            opened = Ok(found);
            self.sides[side].phase = Phase::Application { updates: 0 };
            self.sides[side].sequence = 1;
            used = (label_for(direction, false).to_string(), 0);
        }
        // A wrong count, a wrong phase, or a record Mallory touched: the tag
        // cannot tell them apart, and neither can Eve.
        let Ok((inner_type, content)) = opened else {
            return failed(format!(
                "does not decrypt with the logged {label} at sequence {sequence}"
            ));
        };
        // Inside, the real content type: the last non-zero byte of the
        // plaintext (RFC 8446 5.2). Only now does Eve learn what the record
        // was; the outer 23 said nothing.
        let inner = ContentType::from_u8(inner_type);
        let title = format!(
            "decrypted with the key log ({}, sequence {}): {}",
            used.0,
            used.1,
            inner.map_or("unknown inner type", ContentType::name)
        );
        let fields = match inner {
            Some(ContentType::Handshake) => {
                // The messages are named first: this record was still under
                // the old secret. A Finished or KeyUpdate in it changes the
                // secret from the next record of this direction on (5.1
                // keeps such a message at the end of its record).
                let fields = handshake_fields(&content, &mut self.sides[side].continuing);
                self.sides[side].follow_key_changes(&content);
                fields
            }
            // The application's own bytes (lesson 11 carries HTTP), quoted so
            // the peer's text cannot drive Eve's terminal.
            Some(ContentType::ApplicationData) => vec![
                Field::new("plaintext", Kind::Plaintext, &content)
                    .with_note(format!("(key log) {}", quoted(&content, TEXT_LIMIT))),
            ],
            // An alert sent after the handshake keys, close_notify among
            // them (6.1): hidden on the wire, plain here.
            Some(ContentType::Alert) => {
                vec![Field::new("alert", Kind::Plaintext, &content).with_note(alert_note(&content))]
            }
            // Any other inner type is an error for a receiver: a protected
            // change_cipher_spec, say, aborts the handshake (RFC 8446 5).
            _ => vec![Field::new("content", Kind::Malformed, &content)],
        };
        Decryption {
            title,
            content: Annotated::new(content, fields),
        }
    }

    /// The secret a direction sends under in `phase`, from what the key log
    /// held at the last look, or else from a fresh look.
    fn secret(
        &mut self,
        direction: Direction,
        phase: Phase,
        client_random: &[u8; RANDOM_LEN],
    ) -> Option<Secret> {
        // Already in the last look: no file read. After a KeyUpdate this is
        // the usual case, since each next secret is derived from the logged
        // application secret (7.2), never looked up.
        if let Some(secret) = logged(&self.secrets, direction, phase) {
            return Some(secret);
        }
        // Only the client's direction waits: its secrets are always logged
        // before the client can send under them (by either side). The
        // server's flight, with only the *client's* key log, is logged after
        // the client reads it, and Eve holds that very chunk, so waiting
        // there would only stall.
        let wait = direction == Direction::ClientToServer;
        let secrets = &mut self.secrets;
        self.keylog.as_mut()?.find(wait, |path| {
            *secrets = keylog::lookup(path, client_random)?;
            Ok(logged(secrets, direction, phase))
        })
    }
}

/// A record the key log did not open: no plaintext, and why. Said beside
/// the record rather than hidden: a key log that does not fit is a lesson
/// too (the count, the phase, or the bytes are not what Eve thinks).
fn failed(why: String) -> Decryption {
    Decryption {
        title: "key log:".into(),
        content: Annotated::new(
            Vec::new(),
            vec![Field::new("plaintext", Kind::Malformed, &[]).with_note(why)],
        ),
    }
}

/// The record header as three named fields.
///
/// All three are in the clear on every record, encrypted or not (5.1). On
/// an encrypted record they are also the AEAD's associated data (5.2): Eve
/// can read them, and Mallory cannot change one without the record failing
/// to open. They share the `Length` kind, the colour of framing.
fn header_fields(header: &[u8]) -> Vec<Field> {
    // Checked reads: a header cut short becomes one malformed field.
    let part = |range: std::ops::Range<usize>| header.get(range).unwrap_or_default();
    // The lesson's own parser, so Eve reads the fields the endpoints read.
    let Some(parsed) = header
        .first_chunk::<HEADER_LEN>()
        .map(|h| Header::parse(*h))
    else {
        return vec![Field::new("header", Kind::Malformed, header)];
    };
    // On an encrypted record this is always 23, whatever it really holds.
    let type_name = ContentType::from_u8(parsed.content_type).map_or("not TLS", ContentType::name);
    // legacy_version is frozen for middleboxes; the real version was agreed
    // in the hellos' supported_versions. 5.1: every record says 0x0303,
    // except that an initial ClientHello may say 0x0301, and a receiver
    // ignores the field. Eve names an odd value but does not stop at it.
    let version = match parsed.legacy_version {
        LEGACY_VERSION => "0x0303: legacy_version, frozen at \"TLS 1.2\"".to_string(),
        INITIAL_RECORD_VERSION => {
            "0x0301: legacy_version, \"TLS 1.0\" (a first ClientHello may)".to_string()
        }
        other => format!("0x{other:04x}: not a version TLS 1.3 writes"),
    };
    // 5.1's layout: type at byte 0, legacy_version at 1..3, length at 3..5.
    vec![
        Field::new("type", Kind::Length, part(0..1))
            .with_note(format!("= {}: {type_name}", parsed.content_type)),
        Field::new("version", Kind::Length, part(1..3)).with_note(format!("= {version}")),
        Field::new("length", Kind::Length, part(3..5)).with_note(format!("= {}", parsed.length)),
    ]
}

#[cfg(test)]
mod tests;
