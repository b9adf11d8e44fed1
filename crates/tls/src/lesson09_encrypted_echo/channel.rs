//! The lesson 9 channel: a handshake, then encrypted records both ways.
//!
//! ```text
//! client                                           server
//!   | -- client_pub ------------------------------> |   handshake.rs
//!   | <------------------------------ server_pub -- |
//!   | -- len || nonce || ChaCha20Poly1305(c2s) ---> |   record.rs
//!   | <--- len || nonce || ChaCha20Poly1305(s2c) -- |
//! ```
//!
//! [`connect`] (the client) and [`accept`] (the server) run the handshake
//! and return the two halves. Each half owns one direction's key and nonce
//! state, so a reading thread and a writing thread never share anything
//! mutable.

use std::io::{BufReader, Read, Write};

use chacha20poly1305::{ChaCha20Poly1305, KeyInit};

use crate::error::Result;
use crate::lesson08_key_split::{Role, SessionKeys};
use crate::lesson09_encrypted_echo::handshake::{self, Session};
use crate::lesson09_encrypted_echo::nonce::{NonceCheck, NonceMode, NonceSequence};
use crate::lesson09_encrypted_echo::record::{self, MAX_PLAINTEXT_LEN};
use crate::runtime::budget::MessageBuffer;
use crate::runtime::message::{MessageReader, MessageWriter, write_in_records};
use crate::runtime::socket::Socket;

/// The reading half as the programs use it: buffered, so a record's two
/// reads (length, then body) usually cost one system call.
pub type SocketReader = SecureReader<BufReader<Socket>>;

/// The client: runs the handshake on `socket`, then builds both halves.
///
/// The [`Session`] comes back too: it carries the public keys (and the
/// traffic keys, for `--keylog`).
pub fn connect(
    mut socket: Socket,
    mode: NonceMode,
) -> Result<(SocketReader, SecureWriter<Socket>, Session)> {
    let session = handshake::client_handshake(&mut socket)?;
    let (reader, writer) = halves(socket, &session, Role::Client, mode);
    Ok((reader, writer, session))
}

/// The server: answers the handshake on `socket`, then builds both halves.
pub fn accept(
    mut socket: Socket,
    mode: NonceMode,
) -> Result<(SocketReader, SecureWriter<Socket>, Session)> {
    let session = handshake::server_handshake(&mut socket)?;
    let (reader, writer) = halves(socket, &session, Role::Server, mode);
    Ok((reader, writer, session))
}

/// The two halves of a connection whose handshake is done.
pub fn halves(
    socket: Socket,
    session: &Session,
    role: Role,
    mode: NonceMode,
) -> (SocketReader, SecureWriter<Socket>) {
    let reader = SecureReader::new(BufReader::new(socket.clone()), &session.keys, role, mode);
    let writer = SecureWriter::new(socket, &session.keys, role, mode);
    (reader, writer)
}

/// Sends messages as encrypted records with this side's sending key.
pub struct SecureWriter<W> {
    writer: W,
    cipher: ChaCha20Poly1305,
    nonces: NonceSequence,
    // Reused for every record, so sending allocates nothing once warm.
    record: Vec<u8>,
}

impl<W: Write> SecureWriter<W> {
    /// Sends with `role`'s sending key (lesson 8: the client's is `c2s`).
    pub fn new(writer: W, keys: &SessionKeys, role: Role, mode: NonceMode) -> SecureWriter<W> {
        Self::with_nonces(writer, keys, role, NonceSequence::new(mode))
    }

    /// Like [`SecureWriter::new`] with a nonce sequence of the caller's
    /// choosing (tests use it to start near the end of the counter space).
    pub fn with_nonces(
        writer: W,
        keys: &SessionKeys,
        role: Role,
        nonces: NonceSequence,
    ) -> SecureWriter<W> {
        SecureWriter {
            writer,
            cipher: ChaCha20Poly1305::new(keys.sending_key(role).into()),
            nonces,
            record: Vec::new(),
        }
    }

    /// Encrypts one record's worth of plaintext and writes it in one call.
    pub fn write_record(&mut self, plaintext: &[u8]) -> Result<()> {
        let nonce = self.nonces.next_nonce()?;
        record::seal(&self.cipher, &nonce, plaintext, &mut self.record)?;
        self.writer.write_all(&self.record)?;
        Ok(())
    }
}

impl<W: Write + Send> MessageWriter for SecureWriter<W> {
    fn write_message(&mut self, message: &[u8]) -> Result<()> {
        // One record per message; anything over 65507 bytes goes out as
        // several full records. Each record leaves in its own write.
        write_in_records(message, MAX_PLAINTEXT_LEN, |piece| self.write_record(piece))?;
        self.writer.flush()?;
        Ok(())
    }
}

/// Receives encrypted records with the peer's sending key.
pub struct SecureReader<R> {
    reader: R,
    cipher: ChaCha20Poly1305,
    nonces: NonceCheck,
    // The current record body; decrypted in place and lent to the caller.
    record: MessageBuffer,
}

impl<R: Read> SecureReader<R> {
    /// Reads with `role`'s receiving key: what the other end sends with.
    pub fn new(reader: R, keys: &SessionKeys, role: Role, mode: NonceMode) -> SecureReader<R> {
        SecureReader {
            reader,
            cipher: ChaCha20Poly1305::new(keys.receiving_key(role).into()),
            nonces: NonceCheck::new(mode),
            record: MessageBuffer::new(),
        }
    }
}

impl<R: Read + Send> MessageReader for SecureReader<R> {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        if !record::read_body(&mut self.reader, &mut self.record)? {
            return Ok(None);
        }
        // Authenticate and decrypt first: a tampered record is a forgery,
        // whatever its nonce says.
        let (nonce, plaintext) = record::open(&self.cipher, self.record.as_mut_slice())?;
        // Then the nonce policy: an authentic record that arrives twice, or
        // out of order, is refused here (counter mode only).
        self.nonces.accept(&nonce)?;
        Ok(Some(plaintext))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::lesson07_key_exchange::Handshake;

    fn keys() -> SessionKeys {
        let client = Handshake::new();
        let server = Handshake::new();
        let server_public = server.public_key();
        SessionKeys::derive(client.finish(&server_public).unwrap().as_bytes())
    }

    fn server_reading(
        wire: Vec<u8>,
        keys: &SessionKeys,
        mode: NonceMode,
    ) -> SecureReader<std::io::Cursor<Vec<u8>>> {
        SecureReader::new(std::io::Cursor::new(wire), keys, Role::Server, mode)
    }

    #[test]
    fn messages_round_trip_in_order() {
        let keys = keys();
        let mut wire = Vec::new();
        let mut w = SecureWriter::new(&mut wire, &keys, Role::Client, NonceMode::Counter);
        w.write_message(b"one").unwrap();
        w.write_message(b"").unwrap();
        w.write_message(b"three").unwrap();
        let mut r = server_reading(wire, &keys, NonceMode::Counter);
        assert_eq!(r.read_message().unwrap(), Some(&b"one"[..]));
        assert_eq!(r.read_message().unwrap(), Some(&b""[..]));
        assert_eq!(r.read_message().unwrap(), Some(&b"three"[..]));
        assert_eq!(r.read_message().unwrap(), None);
    }

    #[test]
    fn long_message_is_split_and_nothing_is_lost() {
        let keys = keys();
        let message: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut wire = Vec::new();
        SecureWriter::new(&mut wire, &keys, Role::Client, NonceMode::Random)
            .write_message(&message)
            .unwrap();
        let mut r = server_reading(wire, &keys, NonceMode::Random);
        let mut got = Vec::new();
        let mut records = 0;
        while let Some(piece) = r.read_message().unwrap() {
            assert!(piece.len() <= MAX_PLAINTEXT_LEN);
            got.extend_from_slice(piece);
            records += 1;
        }
        assert_eq!(records, 4); // 3 full records of 65507 bytes and the rest
        assert_eq!(got, message);
    }

    #[test]
    fn reflected_record_fails_with_the_other_directions_key() {
        let keys = keys();
        let mut wire = Vec::new();
        SecureWriter::new(&mut wire, &keys, Role::Client, NonceMode::Random)
            .write_message(b"amount=100")
            .unwrap();
        // Mallory bounces the client's own record back to the client.
        let mut at_client =
            SecureReader::new(wire.as_slice(), &keys, Role::Client, NonceMode::Random);
        assert!(matches!(at_client.read_message(), Err(Error::Decrypt)));
    }

    #[test]
    fn counter_mode_rejects_replay_reorder_and_skip() {
        let keys = keys();
        let mut stream = Vec::new();
        let mut w = SecureWriter::new(&mut stream, &keys, Role::Client, NonceMode::Counter);
        let mut records = Vec::new();
        for m in [&b"r0"[..], b"r1", b"r2"] {
            w.write_record(m).unwrap();
        }
        // Cut the stream back into its three records (each 2 + 12 + 2 + 16).
        for chunk in stream.chunks(32) {
            records.push(chunk.to_vec());
        }
        let play = |order: &[usize]| -> std::result::Result<usize, Error> {
            let wire: Vec<u8> = order.iter().flat_map(|&i| records[i].clone()).collect();
            let mut r = server_reading(wire, &keys, NonceMode::Counter);
            let mut accepted = 0;
            while r.read_message()?.is_some() {
                accepted += 1;
            }
            Ok(accepted)
        };
        assert_eq!(play(&[0, 1, 2]).unwrap(), 3);
        // Replay: r1 twice.
        assert!(matches!(
            play(&[0, 1, 1]),
            Err(Error::UnexpectedNonce { expected: 2, .. })
        ));
        // Reorder: r1 before r0.
        assert!(matches!(
            play(&[1, 0]),
            Err(Error::UnexpectedNonce { expected: 0, .. })
        ));
        // Skip: r1 lost.
        assert!(matches!(
            play(&[0, 2]),
            Err(Error::UnexpectedNonce { expected: 1, .. })
        ));
        // In random mode the same replay sails through: the lesson's point.
        let mut stream = Vec::new();
        SecureWriter::new(&mut stream, &keys, Role::Client, NonceMode::Random)
            .write_record(b"pay")
            .unwrap();
        let twice = [stream.clone(), stream].concat();
        let mut r = server_reading(twice, &keys, NonceMode::Random);
        assert_eq!(r.read_message().unwrap(), Some(&b"pay"[..]));
        assert_eq!(r.read_message().unwrap(), Some(&b"pay"[..]));
    }

    #[test]
    fn writer_refuses_to_wrap_the_counter() {
        let keys = keys();
        let mut wire = Vec::new();
        let nonces = NonceSequence::starting_at_for_testing_only(NonceMode::Counter, u64::MAX - 1);
        let mut w = SecureWriter::with_nonces(&mut wire, &keys, Role::Client, nonces);
        w.write_message(b"last one").unwrap();
        assert!(matches!(
            w.write_message(b"one too many"),
            Err(Error::NonceExhausted)
        ));
        // Only the one legal record reached the wire.
        assert_eq!(wire.len(), 2 + 12 + 8 + 16);
    }
}
