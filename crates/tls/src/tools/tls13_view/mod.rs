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
    keylog: Option<KeyLog>,
    client_random: Option<[u8; RANDOM_LEN]>,
    // What the key log held for this connection at the last look.
    secrets: LoggedSecrets,
    sides: [Side; 2],
}

impl Tls13View {
    /// A view before any record; `keylog` is the file to decrypt with.
    pub fn new(keylog: Option<PathBuf>) -> Tls13View {
        Tls13View {
            keylog: keylog.map(KeyLog::new),
            client_random: None,
            secrets: LoggedSecrets::default(),
            sides: [Side::new(); 2],
        }
    }

    /// The client_random from the ClientHello, once seen.
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
        let (header_bytes, fragment) = record
            .split_at_checked(HEADER_LEN)
            .unwrap_or((&record, &[]));
        let header = header_bytes
            .first_chunk::<HEADER_LEN>()
            .map(|h| Header::parse(*h));
        let content_type = header.and_then(|h| ContentType::from_u8(h.content_type));
        // The outer type is all Eve learns of an encrypted record: TLS 1.3
        // labels every one of them application_data.
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
            text: format!("record #{number}: {what}, {} bytes", record.len()),
        };
        let mut fields = header_fields(header_bytes);
        let side = side_index(direction);
        match content_type {
            Some(ContentType::Handshake) => {
                // The ClientHello's random names the connection in the key
                // log.
                if direction == Direction::ClientToServer && self.client_random.is_none() {
                    self.client_random = client_random_in(fragment);
                }
                let continuing = &mut self.sides[side].continuing;
                fields.extend(handshake_fields(fragment, continuing));
            }
            Some(ContentType::ChangeCipherSpec) => fields.push(ccs_field(fragment)),
            Some(ContentType::Alert) => fields.push(
                Field::new("alert", Kind::Plaintext, fragment)
                    .with_note(format!("{}, in the clear", alert_note(fragment))),
            ),
            Some(ContentType::ApplicationData) => {
                let (ciphertext, tag) = fragment
                    .split_at_checked(fragment.len().saturating_sub(TAG_LEN))
                    .unwrap_or((fragment, &[]));
                fields.push(
                    Field::new("encrypted", Kind::Ciphertext, ciphertext)
                        .with_note("encrypted record: content || real type || padding, all hidden"),
                );
                fields.push(Field::new("tag", Kind::Tag, tag));
            }
            None => fields.push(Field::new("fragment", Kind::Malformed, fragment)),
        }
        let decrypted = (content_type == Some(ContentType::ApplicationData)
            && self.keylog.is_some())
        .then(|| self.decrypt(direction, &record));
        Block {
            heading,
            wire: Annotated::new(record, fields),
            decrypted,
        }
    }

    /// Opens one encrypted record with the logged secret of its direction
    /// and phase, and says what was inside (or why it did not open).
    fn decrypt(&mut self, direction: Direction, record: &[u8]) -> Decryption {
        let side = side_index(direction);
        let Side {
            phase, sequence, ..
        } = self.sides[side];
        // The peer counts every record it receives; so does Eve.
        self.sides[side].sequence = sequence.saturating_add(1);
        let Some(client_random) = self.client_random else {
            return failed(
                "no ClientHello seen, so no client_random to look the keys up by".into(),
            );
        };
        let label = label(direction, phase);
        let Some(secret) = self.secret(direction, phase, &client_random) else {
            return failed(format!("no {label} for this connection in the key log"));
        };
        let mut opened = open_with_traffic_secret(secret.as_bytes(), sequence, record);
        let mut used = (label.to_string(), sequence);
        // Missed the Finished (say, a record that did not open)? Then the
        // application secret, counting from 0, is the other candidate.
        if opened.is_err()
            && phase == Phase::Handshake
            && let Some(next) =
                self.secret(direction, Phase::Application { updates: 0 }, &client_random)
            && let Ok(found) = open_with_traffic_secret(next.as_bytes(), 0, record)
        {
            opened = Ok(found);
            self.sides[side].phase = Phase::Application { updates: 0 };
            self.sides[side].sequence = 1;
            used = (label_for(direction, false).to_string(), 0);
        }
        let Ok((inner_type, content)) = opened else {
            return failed(format!(
                "does not decrypt with the logged {label} at sequence {sequence}"
            ));
        };
        // Inside, the real content type: the last non-zero byte of the
        // plaintext (RFC 8446 5.2).
        let inner = ContentType::from_u8(inner_type);
        let title = format!(
            "decrypted with the key log ({}, sequence {}): {}",
            used.0,
            used.1,
            inner.map_or("unknown inner type", ContentType::name)
        );
        let fields = match inner {
            Some(ContentType::Handshake) => {
                let fields = handshake_fields(&content, &mut self.sides[side].continuing);
                self.sides[side].follow_key_changes(&content);
                fields
            }
            Some(ContentType::ApplicationData) => vec![
                Field::new("plaintext", Kind::Plaintext, &content)
                    .with_note(format!("(key log) {}", quoted(&content, TEXT_LIMIT))),
            ],
            Some(ContentType::Alert) => {
                vec![Field::new("alert", Kind::Plaintext, &content).with_note(alert_note(&content))]
            }
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

/// A record the key log did not open: no plaintext, and why.
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
fn header_fields(header: &[u8]) -> Vec<Field> {
    let part = |range: std::ops::Range<usize>| header.get(range).unwrap_or_default();
    let Some(parsed) = header
        .first_chunk::<HEADER_LEN>()
        .map(|h| Header::parse(*h))
    else {
        return vec![Field::new("header", Kind::Malformed, header)];
    };
    let type_name = ContentType::from_u8(parsed.content_type).map_or("not TLS", ContentType::name);
    // legacy_version is frozen for middleboxes; the real version was agreed
    // in the hellos' supported_versions.
    let version = match parsed.legacy_version {
        LEGACY_VERSION => "0x0303: legacy_version, frozen at \"TLS 1.2\"".to_string(),
        INITIAL_RECORD_VERSION => {
            "0x0301: legacy_version, \"TLS 1.0\" (a first ClientHello may)".to_string()
        }
        other => format!("0x{other:04x}: not a version TLS 1.3 writes"),
    };
    vec![
        Field::new("type", Kind::Length, part(0..1))
            .with_note(format!("= {}: {type_name}", parsed.content_type)),
        Field::new("version", Kind::Length, part(1..3)).with_note(format!("= {version}")),
        Field::new("length", Kind::Length, part(3..5)).with_note(format!("= {}", parsed.length)),
    ]
}

#[cfg(test)]
mod tests;
