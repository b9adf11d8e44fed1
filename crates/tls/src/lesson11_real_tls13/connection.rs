//! Records out, and the handshake's view of a connection: the stream, what
//! comes in ([`Incoming`]) and what goes out ([`Outgoing`]).
//!
//! ```text
//! handshake message --> queue: split into records of <= 2^14,
//!                              sealed if a key is set (plaintext before)
//!                   --> flush: the whole flight in one write
//! an error          --> fail: the alert it deserves, under the current key
//! ```
//!
//! After a fatal alert or a close_notify, this direction is closed: nothing
//! more may be sent (RFC 8446 6).

use std::io::{Read, Write};

use super::alert::AlertDescription;
use super::incoming::{HandshakeMessage, Incoming, Received, out_of_order, unexpected};
use super::key_schedule::Secret;
use super::padding::Padding;
use super::protection::{RecordKey, TAG_LEN};
use super::record::{self, ContentType, HEADER_LEN, INITIAL_RECORD_VERSION, MAX_PLAINTEXT_LEN};
use super::tls_error::TlsError;
use super::{LEGACY_VERSION, RANDOM_LEN};
use crate::error::{Error, Result};

/// A finished handshake: what the application phase needs.
#[derive(Debug)]
pub struct Established {
    /// The ClientHello's random, which names the connection in a key log.
    pub client_random: [u8; RANDOM_LEN],
    /// The traffic secret the peer sends with (we read with it).
    pub read_secret: Secret,
    /// The traffic secret we send with.
    pub write_secret: Secret,
    /// How we pad what we send (`--pad`; the peer needs no telling).
    pub padding: Padding,
}

/// The sending direction: the current key (none before the ServerHello)
/// and the records waiting to be written.
#[derive(Debug, Default)]
pub struct Outgoing {
    key: Option<RecordKey>,
    // Records built but not written yet; a whole flight leaves in one write.
    pending: Vec<u8>,
    // The first ClientHello may go out as 0x0301 on the record layer.
    first_record_version: Option<u16>,
    // An alert (or close_notify) has been sent: nothing more may follow.
    closed: bool,
    // How each sealed record is padded (5.4); plaintext ones never are.
    padding: Padding,
}

impl Outgoing {
    /// Before any key: plaintext records only.
    pub fn new() -> Outgoing {
        Outgoing::default()
    }

    /// For the application phase: already keyed.
    pub fn established(secret: &Secret) -> Outgoing {
        Outgoing {
            key: Some(RecordKey::new(secret)),
            ..Outgoing::default()
        }
    }

    /// The next plaintext record goes out with legacy_version 0x0301, as a
    /// first ClientHello's may.
    pub fn first_record_as_tls10(&mut self) {
        self.first_record_version = Some(INITIAL_RECORD_VERSION);
    }

    /// Pads every sealed record from now on as `padding` says.
    pub fn pad(&mut self, padding: Padding) {
        self.padding = padding;
    }

    /// Switches to a new write key; its sequence numbers start at 0.
    pub fn set_key(&mut self, secret: &Secret) {
        self.key = Some(RecordKey::new(secret));
    }

    /// Whether an alert or close_notify has gone out.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Queues `content` as records of `content_type`, at most 2^14 bytes
    /// each, sealed if a key is set. Empty content still makes one record
    /// (an empty application_data record is legal and shows we spoke).
    pub fn queue(&mut self, content_type: ContentType, content: &[u8]) -> Result<()> {
        if self.closed {
            return Err(TlsError::Closed.into());
        }
        let mut pieces = content.chunks(MAX_PLAINTEXT_LEN).peekable();
        if pieces.peek().is_none() {
            return self.queue_record(content_type, &[]);
        }
        for piece in pieces {
            self.queue_record(content_type, piece)?;
        }
        Ok(())
    }

    fn queue_record(&mut self, content_type: ContentType, content: &[u8]) -> Result<()> {
        match &mut self.key {
            Some(key) => key.seal(content_type, content, self.padding, &mut self.pending)?,
            None => {
                let version = self.first_record_version.take().unwrap_or(LEGACY_VERSION);
                record::push_plaintext(&mut self.pending, content_type, version, content);
            }
        }
        Ok(())
    }

    /// Queues the legacy change_cipher_spec record (always in the clear).
    pub fn queue_change_cipher_spec(&mut self) {
        record::push_plaintext(
            &mut self.pending,
            ContentType::ChangeCipherSpec,
            LEGACY_VERSION,
            &[1],
        );
    }

    /// Writes every queued record in one call, and clears the queue.
    pub fn flush<W: Write>(&mut self, writer: &mut W) -> Result<()> {
        if !self.pending.is_empty() {
            let written = writer
                .write_all(&self.pending)
                .and_then(|()| writer.flush());
            self.pending.clear();
            written?;
        }
        Ok(())
    }

    /// Sends an alert (best effort) and closes this direction: after a fatal
    /// alert or a close_notify, nothing more may be sent.
    pub fn send_alert<W: Write>(&mut self, writer: &mut W, alert: AlertDescription) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.pending.clear();
        let sent = self
            .queue(ContentType::Alert, &alert.to_record_content())
            .and_then(|()| self.flush(writer));
        self.closed = true;
        sent
    }
}

/// The handshake's view of a connection: the stream and both directions.
#[derive(Debug)]
pub struct Connection<'s, S> {
    /// The socket (or any byte stream).
    pub stream: &'s mut S,
    /// What we receive.
    pub incoming: Incoming,
    /// What we send.
    pub outgoing: Outgoing,
}

impl<'s, S: Read + Write> Connection<'s, S> {
    /// A fresh connection: no keys yet.
    pub fn new(stream: &'s mut S) -> Connection<'s, S> {
        Connection {
            stream,
            incoming: Incoming::new(),
            outgoing: Outgoing::new(),
        }
    }

    /// The next handshake message, whatever its type.
    pub fn receive(&mut self) -> Result<HandshakeMessage> {
        match self.incoming.next(self.stream)? {
            Received::Handshake(message) => Ok(message),
            Received::Eof => Err(TlsError::ClosedDuringHandshake.into()),
            // Application data and close_notify are refused inside `next`
            // until the handshake is over.
            Received::ApplicationData | Received::CloseNotify => {
                Err(unexpected("application data"))
            }
        }
    }

    /// The next handshake message, which must be of type `expected`.
    pub fn expect(&mut self, expected: u8) -> Result<HandshakeMessage> {
        let message = self.receive()?;
        if message.handshake_type != expected {
            return Err(out_of_order(&message, expected));
        }
        Ok(message)
    }

    /// Queues one handshake message.
    pub fn send(&mut self, message: &[u8]) -> Result<()> {
        self.outgoing.queue(ContentType::Handshake, message)
    }

    /// Writes everything queued.
    pub fn flush(&mut self) -> Result<()> {
        self.outgoing.flush(self.stream)
    }

    /// Ends a failed handshake: if the error deserves an alert, send it
    /// (under whatever key we have), then hand the error back.
    pub fn fail(&mut self, error: Error) -> Error {
        if let Error::Tls(tls) = &error
            && let Some(alert) = tls.alert()
        {
            // The peer may already be gone: the alert is a courtesy, and
            // the error that made us send it is what gets reported.
            let _ = self.outgoing.send_alert(self.stream, alert);
        }
        error
    }
}

/// How many bytes one encrypted record adds around its content: the
/// header, the inner type byte and the tag. Used by tests and the tools.
pub const RECORD_OVERHEAD: usize = HEADER_LEN + 1 + TAG_LEN;

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(byte: u8) -> Secret {
        Secret::from_bytes([byte; 32])
    }

    #[test]
    fn a_fatal_alert_closes_the_sending_side() {
        let mut out = Outgoing::new();
        let mut sent = Vec::new();
        out.send_alert(&mut sent, AlertDescription::HANDSHAKE_FAILURE)
            .unwrap();
        assert_eq!(sent, [21, 3, 3, 0, 2, 2, 40]);
        assert!(out.is_closed());
        assert!(matches!(
            out.queue(ContentType::ApplicationData, b"more"),
            Err(Error::Tls(TlsError::Closed))
        ));
    }

    #[test]
    fn long_content_is_split_into_records_of_2_14() {
        let mut out = Outgoing::established(&secret(4));
        out.queue(ContentType::ApplicationData, &vec![7; 40_000])
            .unwrap();
        let mut bytes = Vec::new();
        out.flush(&mut bytes).unwrap();
        assert_eq!(bytes.len(), 40_000 + 3 * RECORD_OVERHEAD);
        let mut incoming = Incoming::established(&secret(4));
        let mut reader = &bytes[..];
        let mut sizes = Vec::new();
        while let Received::ApplicationData = incoming.next(&mut reader).unwrap() {
            sizes.push(incoming.application_data().len());
        }
        assert_eq!(sizes, [16384, 16384, 7232]);
    }
}
