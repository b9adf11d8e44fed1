//! The application phase: TLS records as the course's message reader and
//! writer, so the echo loops of every lesson run over real TLS 1.3.
//!
//! ```text
//! write_message(m) --> records of <= 2^14 bytes, each sealed, each one write
//! read_message()   --> the next application_data record's content
//!                      NewSessionTicket  -> ignored (we never resume)
//!                      KeyUpdate         -> next read key; answered if asked
//!                      close_notify      -> Ok(None): a clean end
//!                      TCP close alone   -> error: truncated
//! close()          --> close_notify
//! ```
//!
//! Unlike lesson 9, the reader sometimes has to *send*: an alert when a
//! record fails, a KeyUpdate when the peer asks for one. So the sending
//! state (socket, key, sequence number) lives behind one lock that the
//! writer and the reader share; everything about receiving stays in the
//! reader alone.
//!
//! KeyUpdate (RFC 8446 4.6.3) is handled rather than refused because
//! OpenSSL and rustls can send one at any time, and it is three lines of
//! key schedule: `secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", 32)`.

use std::io::{BufReader, Read, Write};
use std::sync::{Arc, Mutex};

use super::alert::AlertDescription;
use super::client::{self, ClientConfig};
use super::connection::{Established, Outgoing};
use super::handshake_type;
use super::incoming::{HandshakeMessage, Incoming, Received};
use super::key_schedule::{Secret, next_traffic_secret};
use super::record::{ContentType, MAX_PLAINTEXT_LEN};
use super::server::{self, ServerConfig};
use super::server_messages::{encode_key_update, parse_key_update};
use super::tls_error::TlsError;
use crate::error::{Error, Result};
use crate::lesson08_key_split::Role;
use crate::runtime::message::{MessageReader, MessageWriter};
use crate::runtime::socket::Socket;
// The sending lock is taken even if a thread died holding it: the state
// behind it is still usable (at worst the connection is already broken).
use crate::runtime::sync::lock;

/// The reading half over a TCP connection.
pub type SocketTlsReader = TlsReader<BufReader<Socket>, Socket>;
/// The writing half over a TCP connection.
pub type SocketTlsWriter = TlsWriter<Socket>;

/// Connects as a client: runs the handshake on `socket` and returns the
/// two halves. (The runtime bounds each read with the client's
/// `--timeout`.)
pub fn connect(
    mut socket: Socket,
    config: &ClientConfig,
) -> Result<(SocketTlsReader, SocketTlsWriter)> {
    let established = client::handshake(&mut socket, config)?;
    status!(
        "TLS 1.3 with {}: TLS_CHACHA20_POLY1305_SHA256, X25519, ed25519 certificate checked",
        config.verifier.server_name()
    );
    let read_half = BufReader::new(socket.clone());
    Ok(split(read_half, socket, established, Role::Client))
}

/// Accepts as a server: runs the handshake on `socket` (under the runtime's
/// handshake deadline) and returns the two halves.
pub fn accept(
    mut socket: Socket,
    config: &ServerConfig,
) -> Result<(SocketTlsReader, SocketTlsWriter)> {
    let established = server::handshake(&mut socket, config)?;
    let read_half = BufReader::new(socket.clone());
    Ok(split(read_half, socket, established, Role::Server))
}

/// Builds the two halves of an established connection from a reading and a
/// writing handle on the same stream.
pub fn split<R: Read, W: Write>(
    read_half: R,
    write_half: W,
    established: Established,
    role: Role,
) -> (TlsReader<R, W>, TlsWriter<W>) {
    let mut outgoing = Outgoing::established(&established.write_secret);
    outgoing.pad(established.padding);
    let sender = Arc::new(Mutex::new(Sender {
        outgoing,
        secret: established.write_secret,
        stream: write_half,
    }));
    let reader = TlsReader {
        stream: read_half,
        incoming: Incoming::established(&established.read_secret),
        secret: established.read_secret,
        sender: Arc::clone(&sender),
        role,
        peer_closed: false,
    };
    (reader, TlsWriter { sender })
}

/// Everything about sending: the socket, the key and its sequence number,
/// and the secret it came from (for KeyUpdate).
#[derive(Debug)]
struct Sender<W> {
    stream: W,
    outgoing: Outgoing,
    secret: Secret,
}

impl<W: Write> Sender<W> {
    /// Sends `message` as application data: records of at most 2^14 bytes,
    /// each in one write call (one record, one TCP segment: lesson 9's
    /// Nagle note). An empty message is one empty record.
    fn send(&mut self, message: &[u8]) -> Result<()> {
        let mut pieces = message.chunks(MAX_PLAINTEXT_LEN).peekable();
        if pieces.peek().is_none() {
            return self.send_record(ContentType::ApplicationData, &[]);
        }
        for piece in pieces {
            self.send_record(ContentType::ApplicationData, piece)?;
        }
        Ok(())
    }

    fn send_record(&mut self, content_type: ContentType, content: &[u8]) -> Result<()> {
        self.outgoing.queue(content_type, content)?;
        self.outgoing.flush(&mut self.stream)
    }

    /// Answers a KeyUpdate that asked for one: tell the peer (under the old
    /// key), then move to the next sending secret.
    fn update_keys(&mut self) -> Result<()> {
        self.send_record(ContentType::Handshake, &encode_key_update(false))?;
        self.secret = next_traffic_secret(&self.secret);
        self.outgoing.set_key(&self.secret);
        Ok(())
    }

    /// Sends an alert, after which nothing more goes out.
    fn alert(&mut self, alert: AlertDescription) -> Result<()> {
        self.outgoing.send_alert(&mut self.stream, alert)
    }
}

/// Sends application data with our application traffic key. A clone
/// shares the same sending state (the `--http` reader keeps one for its 400).
#[derive(Debug)]
pub struct TlsWriter<W> {
    sender: Arc<Mutex<Sender<W>>>,
}

impl<W> Clone for TlsWriter<W> {
    fn clone(&self) -> Self {
        TlsWriter {
            sender: Arc::clone(&self.sender),
        }
    }
}

impl<W: Write + Send> MessageWriter for TlsWriter<W> {
    fn write_message(&mut self, message: &[u8]) -> Result<()> {
        lock(&self.sender).send(message)
    }

    /// Sends close_notify (once; later calls do nothing).
    fn close(&mut self) -> Result<()> {
        lock(&self.sender).alert(AlertDescription::CLOSE_NOTIFY)
    }
}

/// Receives application data with the peer's application traffic key.
#[derive(Debug)]
pub struct TlsReader<R, W> {
    stream: R,
    incoming: Incoming,
    // The peer's current traffic secret, for KeyUpdate.
    secret: Secret,
    sender: Arc<Mutex<Sender<W>>>,
    role: Role,
    peer_closed: bool,
}

impl<R: Read, W: Write> TlsReader<R, W> {
    /// A handshake message after the handshake (RFC 8446 4.6).
    fn post_handshake(&mut self, message: &HandshakeMessage) -> Result<()> {
        match message.handshake_type {
            // Tickets are for resumption, which we do not do.
            handshake_type::NEW_SESSION_TICKET if self.role == Role::Client => Ok(()),
            handshake_type::KEY_UPDATE => {
                let requested = parse_key_update(message.body())?;
                // The peer's next records use its next secret (RFC 8446 7.2);
                // the change must fall on a record boundary.
                self.secret = next_traffic_secret(&self.secret);
                self.incoming.set_key(&self.secret)?;
                if requested {
                    lock(&self.sender).update_keys()?;
                }
                Ok(())
            }
            _ => Err(TlsError::UnexpectedMessage(format!(
                "{} after the handshake",
                message.name()
            ))
            .into()),
        }
    }

    /// Sends the alert `error` calls for (best effort), then returns it.
    fn fail(&mut self, error: Error) -> Error {
        if let Error::Tls(tls) = &error
            && let Some(alert) = tls.alert()
        {
            let _ = lock(&self.sender).alert(alert);
        }
        error
    }
}

impl<R: Read + Send, W: Write + Send> MessageReader for TlsReader<R, W> {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        if self.peer_closed {
            return Ok(None);
        }
        loop {
            match self.incoming.next(&mut self.stream) {
                Ok(Received::ApplicationData) => break,
                Ok(Received::Handshake(message)) => {
                    if let Err(e) = self.post_handshake(&message) {
                        return Err(self.fail(e));
                    }
                }
                // The peer's authenticated goodbye: the only clean end.
                Ok(Received::CloseNotify) => {
                    self.peer_closed = true;
                    return Ok(None);
                }
                // The socket closed, but no close_notify came first: someone
                // may have cut the connection to truncate what we read.
                Ok(Received::Eof) => return Err(TlsError::Truncated.into()),
                Err(e) => return Err(self.fail(e)),
            }
        }
        Ok(Some(self.incoming.application_data()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson11_real_tls13::padding::Padding;

    fn established(client: u8, server: u8) -> Established {
        Established {
            client_random: [0; 32],
            read_secret: Secret::from_bytes([server; 32]),
            write_secret: Secret::from_bytes([client; 32]),
            padding: Padding::NONE,
        }
    }

    /// The server's view of the same connection: read with the client's key.
    fn mirrored(e: &Established) -> Established {
        Established {
            client_random: e.client_random,
            read_secret: e.write_secret.clone(),
            write_secret: e.read_secret.clone(),
            padding: e.padding,
        }
    }

    #[test]
    fn messages_go_through_and_close_notify_ends_reading() {
        let at_client = established(1, 2);
        let at_server = mirrored(&at_client);
        let (_, mut writer) = split(&[][..], Vec::new(), at_client, Role::Client);
        writer.write_message(b"hello").unwrap();
        writer.write_message(b"").unwrap();
        writer.write_message(&vec![9; 40_000]).unwrap();
        writer.close().unwrap();
        writer.close().unwrap(); // a second close does nothing
        assert!(writer.write_message(b"after close").is_err());
        let wire = lock(&writer.sender).stream.clone();
        let (mut reader, _) = split(&wire[..], Vec::new(), at_server, Role::Server);
        assert_eq!(reader.read_message().unwrap(), Some(&b"hello"[..]));
        assert_eq!(reader.read_message().unwrap(), Some(&b""[..]));
        let mut long = 0;
        for _ in 0..3 {
            long += reader.read_message().unwrap().unwrap().len();
        }
        assert_eq!(long, 40_000);
        assert_eq!(reader.read_message().unwrap(), None);
        assert_eq!(reader.read_message().unwrap(), None);
    }

    #[test]
    fn a_cut_without_close_notify_is_truncation() {
        let at_client = established(1, 2);
        let at_server = mirrored(&at_client);
        let (_, mut writer) = split(&[][..], Vec::new(), at_client, Role::Client);
        writer.write_message(b"transfer $100").unwrap();
        let wire = lock(&writer.sender).stream.clone();
        let (mut reader, _) = split(&wire[..], Vec::new(), at_server, Role::Server);
        assert!(reader.read_message().unwrap().is_some());
        assert!(matches!(
            reader.read_message(),
            Err(Error::Tls(TlsError::Truncated))
        ));
    }

    #[test]
    fn a_bad_record_gets_an_alert_back() {
        let at_client = established(1, 2);
        let at_server = mirrored(&at_client);
        let (_, mut writer) = split(&[][..], Vec::new(), at_client, Role::Client);
        writer.write_message(b"amount=100").unwrap();
        let mut wire = lock(&writer.sender).stream.clone();
        let last = wire.len() - 1;
        wire[last] ^= 1;
        let (mut reader, _) = split(&wire[..], Vec::new(), at_server, Role::Server);
        assert!(matches!(
            reader.read_message(),
            Err(Error::Tls(TlsError::BadRecordMac))
        ));
        // The alert went out encrypted: 5-byte header, 2 + 1 + 16 bytes.
        assert_eq!(lock(&reader.sender).stream.len(), 5 + 19);
    }

    #[test]
    fn key_update_is_followed_and_answered() {
        let at_client = established(1, 2);
        let at_server = mirrored(&at_client);
        // The client asks for a key update, then writes under its next key.
        let (_, mut writer) = split(&[][..], Vec::new(), at_client, Role::Client);
        {
            let mut sender = lock(&writer.sender);
            sender
                .send_record(ContentType::Handshake, &encode_key_update(true))
                .unwrap();
            sender.secret = next_traffic_secret(&sender.secret);
            let next = sender.secret.clone();
            sender.outgoing.set_key(&next);
        }
        writer.write_message(b"under the new key").unwrap();
        let wire = lock(&writer.sender).stream.clone();
        let (mut reader, _) = split(&wire[..], Vec::new(), at_server, Role::Server);
        assert_eq!(
            reader.read_message().unwrap(),
            Some(&b"under the new key"[..])
        );
        // The server answered with its own KeyUpdate (not requesting one).
        let answer = lock(&reader.sender).stream.clone();
        let (mut client_reader, _) =
            split(&answer[..], Vec::new(), established(1, 2), Role::Client);
        // Nothing but the KeyUpdate, then the end of the stream: truncated.
        assert!(matches!(
            client_reader.read_message(),
            Err(Error::Tls(TlsError::Truncated))
        ));
        assert_eq!(
            client_reader.secret,
            next_traffic_secret(&Secret::from_bytes([2; 32]))
        );
    }

    #[test]
    fn a_ticket_is_ignored_by_a_client_and_refused_by_a_server() {
        let at_server = established(2, 1);
        let (_, mut writer) = split(&[][..], Vec::new(), at_server, Role::Server);
        lock(&writer.sender)
            .send_record(ContentType::Handshake, &[4, 0, 0, 1, 0])
            .unwrap();
        writer.write_message(b"after the ticket").unwrap();
        let wire = lock(&writer.sender).stream.clone();
        let (mut client, _) = split(&wire[..], Vec::new(), established(1, 2), Role::Client);
        assert_eq!(
            client.read_message().unwrap(),
            Some(&b"after the ticket"[..])
        );
        let (mut server, _) = split(&wire[..], Vec::new(), established(1, 2), Role::Server);
        assert!(matches!(
            server.read_message(),
            Err(Error::Tls(TlsError::UnexpectedMessage(_)))
        ));
    }
}
