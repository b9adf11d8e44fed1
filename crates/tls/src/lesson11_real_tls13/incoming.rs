//! Records in: the layer between the socket and the handshake messages,
//! used by both the handshake and the application phase.
//!
//! ```text
//! socket --> read_record --> open (if a key is set) --> by real content type:
//!              handshake         -> reassembly buffer -> whole messages out
//!              application_data  -> to the caller (after the handshake only)
//!              alert             -> close_notify ends reading; others are errors
//!              change_cipher_spec-> dropped, during the handshake only
//! ```
//!
//! Handshake messages and records do not line up: one record may carry
//! several messages (rustls sends EncryptedExtensions through Finished in
//! one), and a large Certificate may span several records. [`Incoming`]
//! keeps the bytes in a buffer and hands out one whole message at a time,
//! refusing any message longer than [`MAX_HANDSHAKE_MESSAGE_LEN`] as soon
//! as its header arrives.
//!
//! A key change must fall on a record boundary (RFC 8446 5.1): when a new
//! read key is installed, no half message may be left in the buffer,
//! otherwise an attacker could splice bytes across keys.

use std::io::Read;

use super::alert::{Alert, AlertDescription};
use super::codec::{HANDSHAKE_HEADER_LEN, Reader};
use super::key_schedule::Secret;
use super::protection::RecordKey;
use super::record::{self, ContentType};
use super::tls_error::TlsError;
use super::{MAX_HANDSHAKE_MESSAGE_LEN, handshake_type};
use crate::error::{Error, Result};

/// One whole handshake message, header included (as the transcript wants).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// The message type (see [`handshake_type`]).
    pub handshake_type: u8,
    /// The whole message: type, u24 length, body.
    pub bytes: Vec<u8>,
}

impl HandshakeMessage {
    /// The body, after the 4-byte header.
    pub fn body(&self) -> &[u8] {
        self.bytes.get(HANDSHAKE_HEADER_LEN..).unwrap_or_default()
    }

    /// The RFC name of this message's type.
    pub fn name(&self) -> &'static str {
        handshake_type::name(self.handshake_type)
    }
}

/// What [`Incoming::next`] found.
#[derive(Debug)]
pub enum Received {
    /// A whole handshake message.
    Handshake(HandshakeMessage),
    /// One application_data record (possibly empty); its content is
    /// [`Incoming::application_data`].
    ApplicationData,
    /// The peer's encrypted close_notify: it will send nothing more.
    CloseNotify,
    /// The TCP connection ended between records, with no close_notify.
    Eof,
}

/// The receiving direction: the current key (none before the ServerHello),
/// the record buffer, and the handshake reassembly buffer.
#[derive(Default)]
pub struct Incoming {
    key: Option<RecordKey>,
    // The record being read; application data is lent out of it.
    record: Vec<u8>,
    // How many bytes at the front of `record` are application data.
    data_len: usize,
    // Handshake bytes received but not yet handed out as whole messages.
    handshake: Vec<u8>,
    // True once the handshake is over: application data is allowed,
    // change_cipher_spec no longer is.
    established: bool,
    // change_cipher_spec may be dropped only after the first ClientHello.
    compatibility_ccs: bool,
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Sizes only: the buffers hold decrypted data.
        f.debug_struct("Incoming")
            .field("key", &self.key)
            .field("buffered_handshake_bytes", &self.handshake.len())
            .field("established", &self.established)
            .finish_non_exhaustive()
    }
}

impl Incoming {
    /// Before any key: plaintext records only.
    pub fn new() -> Incoming {
        Incoming::default()
    }

    /// For the application phase: already keyed, handshake over.
    pub fn established(secret: &Secret) -> Incoming {
        Incoming {
            key: Some(RecordKey::new(secret)),
            established: true,
            ..Incoming::default()
        }
    }

    /// Switches to a new read key (RFC 8446 5.1: only on a record boundary).
    pub fn set_key(&mut self, secret: &Secret) -> std::result::Result<(), TlsError> {
        if !self.handshake.is_empty() {
            return Err(TlsError::UnexpectedMessage(
                "handshake message split across a key change".into(),
            ));
        }
        self.key = Some(RecordKey::new(secret));
        Ok(())
    }

    /// From now on a legacy change_cipher_spec record is dropped (it is
    /// allowed once a ClientHello has been sent or received).
    pub fn allow_compatibility_ccs(&mut self) {
        self.compatibility_ccs = true;
    }

    /// The handshake is over: application data is allowed, and a
    /// change_cipher_spec record is now an error.
    pub fn finish_handshake(&mut self) {
        self.established = true;
        self.compatibility_ccs = false;
    }

    /// The next thing the peer sent: a whole handshake message, application
    /// data, a close, or an error (which the caller answers with an alert).
    pub fn next<R: Read>(&mut self, reader: &mut R) -> Result<Received> {
        loop {
            // A whole message may already be waiting from an earlier record.
            if let Some(message) = self.take_handshake_message()? {
                return Ok(Received::Handshake(message));
            }
            let Some(header) = record::read_record(reader, &mut self.record)? else {
                // EOF: legal between records only if nothing is half-read.
                if !self.handshake.is_empty() {
                    return Err(Error::Truncated);
                }
                return Ok(Received::Eof);
            };
            let [outer_type, ..] = header;
            match (ContentType::from_u8(outer_type), &mut self.key) {
                // Middlebox compatibility (RFC 8446 5, D.4): a single 0x01,
                // sent in the clear during the handshake, is dropped.
                (Some(ContentType::ChangeCipherSpec), _) => {
                    if !self.compatibility_ccs || self.record != [1] {
                        return Err(unexpected("change_cipher_spec"));
                    }
                }
                // A plaintext alert is how a peer aborts before it has our
                // keys. It can only end the handshake, never close cleanly.
                (Some(ContentType::Alert), _) if !self.established => {
                    let alert = Alert::parse(&self.record).ok_or(TlsError::Decode("alert"))?;
                    return Err(TlsError::PeerAlert(alert.description).into());
                }
                (Some(ContentType::Handshake), None) => {
                    if self.record.is_empty() {
                        return Err(TlsError::Decode("empty handshake record").into());
                    }
                    self.handshake.extend_from_slice(&self.record);
                }
                (Some(ContentType::ApplicationData), Some(key)) => {
                    let (inner_type, content) = key.open(&header, &mut self.record)?;
                    match ContentType::from_u8(inner_type) {
                        Some(ContentType::Handshake) if !content.is_empty() => {
                            self.handshake.extend_from_slice(content);
                        }
                        // The level is not consulted: RFC 8446 6 goes by the
                        // description (see `Alert::parse`).
                        Some(ContentType::Alert) => match Alert::parse(content)
                            .ok_or(TlsError::Decode("alert"))?
                            .description
                        {
                            AlertDescription::CLOSE_NOTIFY if self.established => {
                                return Ok(Received::CloseNotify);
                            }
                            // user_canceled is followed by a close_notify.
                            AlertDescription::USER_CANCELED if self.established => {}
                            alert => return Err(TlsError::PeerAlert(alert).into()),
                        },
                        Some(ContentType::ApplicationData) if self.established => {
                            // Data may not be interleaved with a half message.
                            if !self.handshake.is_empty() {
                                return Err(unexpected(
                                    "application data inside a handshake message",
                                ));
                            }
                            // `open` decrypted in place: the content is the
                            // front of the record buffer.
                            self.data_len = content.len();
                            return Ok(Received::ApplicationData);
                        }
                        _ => return Err(unexpected("an encrypted record of the wrong type")),
                    }
                }
                (Some(other), _) => return Err(unexpected(other.name())),
                (None, _) => return Err(TlsError::NotTls(outer_type).into()),
            }
        }
    }

    /// The content of the application_data record `next` just returned.
    pub fn application_data(&self) -> &[u8] {
        self.record.get(..self.data_len).unwrap_or_default()
    }

    /// Splits one whole message off the front of the reassembly buffer.
    fn take_handshake_message(&mut self) -> Result<Option<HandshakeMessage>> {
        let mut r = Reader::new(&self.handshake, "handshake header");
        let (Ok(handshake_type), Ok(length)) = (r.u8(), r.u24()) else {
            return Ok(None); // fewer than 4 bytes so far
        };
        // Refuse an absurd length now, before waiting to buffer it.
        if length > MAX_HANDSHAKE_MESSAGE_LEN {
            return Err(TlsError::HandshakeMessageTooLong(length).into());
        }
        let total = HANDSHAKE_HEADER_LEN + length;
        if self.handshake.len() < total {
            return Ok(None);
        }
        let rest = self.handshake.split_off(total);
        let bytes = std::mem::replace(&mut self.handshake, rest);
        Ok(Some(HandshakeMessage {
            handshake_type,
            bytes,
        }))
    }
}

/// The error for a handshake message that is not the one the protocol
/// says comes next.
pub fn out_of_order(message: &HandshakeMessage, expected: u8) -> Error {
    let wanted = handshake_type::name(expected);
    TlsError::UnexpectedMessage(format!("{} where {wanted} belongs", message.name())).into()
}

pub(super) fn unexpected(what: &str) -> Error {
    TlsError::UnexpectedMessage(format!("{what} here")).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson11_real_tls13::connection::Outgoing;

    fn secret(byte: u8) -> Secret {
        Secret::from_bytes([byte; 32])
    }

    /// Seals `records` (type, content) under `key` into one byte stream.
    fn wire(key: &Secret, records: &[(ContentType, &[u8])]) -> Vec<u8> {
        let mut out = Outgoing::established(key);
        for (content_type, content) in records {
            out.queue(*content_type, content).unwrap();
        }
        let mut bytes = Vec::new();
        out.flush(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn messages_are_reassembled_across_and_within_records() {
        // Two messages: the first split over two records, the second in the
        // same record as the first one's tail.
        let first = [8u8, 0, 0, 3, b'a', b'b', b'c'];
        let second = [20u8, 0, 0, 1, b'z'];
        let mut tail = first[5..].to_vec();
        tail.extend_from_slice(&second);
        let bytes = wire(
            &secret(1),
            &[
                (ContentType::Handshake, &first[..5]),
                (ContentType::Handshake, &tail),
            ],
        );
        let mut incoming = Incoming::new();
        incoming.set_key(&secret(1)).unwrap();
        let mut reader = &bytes[..];
        let Received::Handshake(m) = incoming.next(&mut reader).unwrap() else {
            panic!()
        };
        assert_eq!(m.bytes, first);
        let Received::Handshake(m) = incoming.next(&mut reader).unwrap() else {
            panic!()
        };
        assert_eq!(m.body(), b"z");
        assert!(matches!(incoming.next(&mut reader).unwrap(), Received::Eof));
    }

    #[test]
    fn an_absurd_handshake_length_is_refused_at_its_header() {
        let bytes = wire(
            &secret(1),
            &[(ContentType::Handshake, &[11, 0xff, 0xff, 0xff])],
        );
        let mut incoming = Incoming::new();
        incoming.set_key(&secret(1)).unwrap();
        let result = incoming.next(&mut &bytes[..]);
        assert!(matches!(
            result,
            Err(Error::Tls(TlsError::HandshakeMessageTooLong(0xff_ffff)))
        ));
    }

    #[test]
    fn a_key_change_inside_a_message_is_refused() {
        let bytes = wire(&secret(1), &[(ContentType::Handshake, &[8, 0, 0, 9, 1])]);
        let mut incoming = Incoming::new();
        incoming.set_key(&secret(1)).unwrap();
        let mut reader = &bytes[..];
        // The half message is buffered, then the stream ends: a cut.
        assert!(matches!(incoming.next(&mut reader), Err(Error::Truncated)));
        assert!(matches!(
            incoming.set_key(&secret(2)),
            Err(TlsError::UnexpectedMessage(_))
        ));
    }

    #[test]
    fn change_cipher_spec_is_dropped_only_during_the_handshake() {
        let mut bytes = Vec::new();
        record::push_plaintext(&mut bytes, ContentType::ChangeCipherSpec, 0x0303, &[1]);
        bytes.extend(wire(&secret(1), &[(ContentType::ApplicationData, b"hi")]));
        let mut during = Incoming::new();
        during.allow_compatibility_ccs();
        during.set_key(&secret(1)).unwrap();
        // Skipped, then the data is refused: the handshake is not over.
        assert!(matches!(
            during.next(&mut &bytes[..]),
            Err(Error::Tls(TlsError::UnexpectedMessage(_)))
        ));
        let mut after = Incoming::established(&secret(1));
        assert!(matches!(
            after.next(&mut &bytes[..]),
            Err(Error::Tls(TlsError::UnexpectedMessage(_)))
        ));
        // A change_cipher_spec with any other byte is always refused.
        let mut odd = Vec::new();
        record::push_plaintext(&mut odd, ContentType::ChangeCipherSpec, 0x0303, &[2]);
        assert!(during.next(&mut &odd[..]).is_err());
    }

    #[test]
    fn close_notify_is_a_clean_end_and_eof_is_not() {
        let bytes = wire(
            &secret(3),
            &[
                (ContentType::ApplicationData, b"last words"),
                (
                    ContentType::Alert,
                    &AlertDescription::CLOSE_NOTIFY.to_record_content(),
                ),
            ],
        );
        let mut incoming = Incoming::established(&secret(3));
        let mut reader = &bytes[..];
        assert!(matches!(
            incoming.next(&mut reader).unwrap(),
            Received::ApplicationData
        ));
        assert_eq!(incoming.application_data(), b"last words");
        assert!(matches!(
            incoming.next(&mut reader).unwrap(),
            Received::CloseNotify
        ));
        // Without the alert, the same stream ends in Eof (the caller's
        // truncation error).
        let cut = wire(&secret(3), &[(ContentType::ApplicationData, b"last words")]);
        let mut incoming = Incoming::established(&secret(3));
        let mut reader = &cut[..];
        incoming.next(&mut reader).unwrap();
        assert!(matches!(incoming.next(&mut reader).unwrap(), Received::Eof));
    }

    #[test]
    fn a_plaintext_close_notify_after_the_handshake_is_refused() {
        // Mallory cannot forge an encrypted close_notify, but she can write
        // a plaintext one. It must not count as a clean close.
        let mut bytes = Vec::new();
        record::push_plaintext(&mut bytes, ContentType::Alert, 0x0303, &[1, 0]);
        let mut incoming = Incoming::established(&secret(3));
        assert!(matches!(
            incoming.next(&mut &bytes[..]),
            Err(Error::Tls(TlsError::UnexpectedMessage(_)))
        ));
    }
}
