//! The lesson 9 channel: a handshake, then encrypted records both ways.
//!
//! ```text
//! client                                           server
//!   | -- client_pub ------------------------------> |   handshake.rs
//!   | <------------------------------ server_pub -- |
//!   | -- len || nonce || ChaCha20Poly1305(c2s) ---> |   record.rs, keys.rs
//!   | <--- len || nonce || ChaCha20Poly1305(s2c) -- |
//! ```
//!
//! [`open_secure`] runs the handshake and returns the two halves. Each half
//! owns one direction's key and nonce state, so a reading thread and a
//! writing thread never share anything mutable.

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;

use chacha20poly1305::{ChaCha20Poly1305, KeyInit};

use crate::error::Result;
use crate::handshake::{self, Session};
use crate::keys::SessionKeys;
use crate::message::{MessageReader, MessageWriter, Role};
use crate::nonce::{NonceCheck, NonceMode, NonceSequence};
use crate::record::{self, MAX_PLAINTEXT_LEN};

/// Runs the lesson 9 handshake on `stream` and builds both halves.
///
/// The [`Session`] comes back too: it carries the public keys (and the
/// traffic keys, for `--keylog`).
pub fn open_secure(
    mut stream: TcpStream,
    role: Role,
    mode: NonceMode,
) -> Result<(
    SecureReader<BufReader<TcpStream>>,
    SecureWriter<TcpStream>,
    Session,
)> {
    let session = match role {
        Role::Client => handshake::client_handshake(&mut stream)?,
        Role::Server => handshake::server_handshake(&mut stream)?,
    };
    let read_half = BufReader::new(stream.try_clone()?);
    let reader = SecureReader::new(read_half, &session.keys, role, mode);
    let writer = SecureWriter::new(stream, &session.keys, role, mode);
    Ok((reader, writer, session))
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
    /// The client sends with `c2s`, the server with `s2c`.
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
        let key = match role {
            Role::Client => keys.c2s(),
            Role::Server => keys.s2c(),
        };
        SecureWriter {
            writer,
            cipher: ChaCha20Poly1305::new(key.into()),
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
        // An empty message is still a record: the peer sees that we spoke.
        if message.is_empty() {
            return self.write_record(&[]);
        }
        // Anything over 65507 bytes goes out as several full records.
        for piece in message.chunks(MAX_PLAINTEXT_LEN) {
            self.write_record(piece)?;
        }
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
    record: Vec<u8>,
}

impl<R: Read> SecureReader<R> {
    /// The client reads with `s2c`, the server with `c2s`.
    pub fn new(reader: R, keys: &SessionKeys, role: Role, mode: NonceMode) -> SecureReader<R> {
        let key = match role {
            Role::Client => keys.s2c(),
            Role::Server => keys.c2s(),
        };
        SecureReader {
            reader,
            cipher: ChaCha20Poly1305::new(key.into()),
            nonces: NonceCheck::new(mode),
            record: Vec::new(),
        }
    }
}

impl<R: Read + Send> MessageReader for SecureReader<R> {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        if !record::read_record(&mut self.reader, &mut self.record)? {
            return Ok(None);
        }
        // Authenticate and decrypt first: a tampered record is a forgery,
        // whatever its nonce says.
        let (nonce, plaintext) = record::open(&self.cipher, &mut self.record)?;
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
    use crate::handshake::Handshake;

    fn keys() -> SessionKeys {
        let client = Handshake::new();
        let server = Handshake::new();
        let server_public = server.public_key();
        client.finish(&server_public).unwrap()
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
