//! Lesson 3: the fake secure channel. AES-256-CTR under a shared key.
//!
//! # ⚠️ HAZMAT: NOT AUTHENTICATED, ON PURPOSE ⚠️
//!
//! **This module encrypts but does not protect integrity.** Anyone on the
//! path can flip ciphertext bits and the same bits flip in the plaintext the
//! receiver gets, with no error anywhere (lesson 4 does exactly that). The
//! key is a constant printed in this file, so it is not even secret. It
//! exists to be broken. Lesson 5 adds a MAC; lesson 6 uses an AEAD; lesson 9
//! is the channel to copy.
//!
//! # Wire format
//!
//! Each message is one lesson 2 record whose payload is a fresh random nonce
//! followed by the ciphertext:
//!
//! ```text
//! +--------------+--------------+--------------------------------------+
//! | length (u32) | nonce (16 B) | AES-256-CTR(key, nonce, plaintext)   |
//! +--------------+--------------+--------------------------------------+
//!   big-endian,    random         same length as the plaintext: no tag,
//!   = 16 + N       per message    no padding, nothing to check
//! ```
//!
//! CTR turns AES into a stream cipher. The 16-byte nonce is the first
//! counter block, read as one 128-bit big-endian number and incremented by 1
//! per 16-byte block (wrapping at 2^128):
//!
//! ```text
//! keystream  = AES(key, nonce) || AES(key, nonce + 1) || AES(key, nonce + 2) ...
//! ciphertext = plaintext XOR keystream
//! ```
//!
//! This is byte for byte what Python's `cryptography` package does with
//! `Cipher(algorithms.AES(key), modes.CTR(nonce))`, so a Python peer using
//! the same key interoperates (see `tests/python/ctr_peer.py`).

use std::io::{Read, Write};

use aes::Aes256;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};

use crate::error::{Error, Result};
use crate::lesson02_records::{self, RecordReader, SocketReader};
use crate::runtime::message::{MessageReader, MessageWriter, write_in_records};
use crate::runtime::socket::Socket;

/// The key both ends share: the 32 ASCII bytes `0123456789ABCDEF` twice.
/// Hard-coded and public; lesson 7 shows how two strangers agree on a key
/// nobody else knows.
pub const SHARED_KEY: &[u8; KEY_LEN] = b"0123456789ABCDEF0123456789ABCDEF";
/// AES-256 key length in bytes.
pub const KEY_LEN: usize = 32;
/// Bytes of nonce in front of every ciphertext: one whole AES block.
pub const NONCE_LEN: usize = 16;
/// The most plaintext one record can carry: the record limit minus the nonce.
pub const MAX_PLAINTEXT_LEN: usize = lesson02_records::MAX_PAYLOAD_LEN - NONCE_LEN;

/// AES-256 in counter mode, the whole 16-byte block as a big-endian counter.
type Aes256Ctr = Ctr128BE<Aes256>;

/// XORs the keystream for `(key, nonce)` into `data`. Encrypting and
/// decrypting are the same operation: `x XOR k XOR k = x`.
pub fn apply_keystream(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], data: &mut [u8]) {
    let mut cipher = Aes256Ctr::new(key.into(), nonce.into());
    // A 128-bit counter cannot run out within one message (that would take
    // 2^132 bytes), so this never fails; the error is ignored rather than
    // unwrapped to keep panics out of reach of peer bytes.
    let _ = cipher.try_apply_keystream(data);
}

/// Builds the payload `nonce || ciphertext` with the given nonce.
///
/// Tests use a fixed nonce to get known answers. Real senders call
/// [`encrypt`], which draws a fresh one: a nonce used twice under one key
/// gives away the XOR of the two plaintexts.
pub fn encrypt_with_nonce(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let mut payload = Vec::with_capacity(NONCE_LEN + plaintext.len());
    // nonce || plaintext, then encrypt the plaintext part in place.
    payload.extend_from_slice(nonce);
    payload.extend_from_slice(plaintext);
    if let Some(body) = payload.get_mut(NONCE_LEN..) {
        apply_keystream(key, nonce, body);
    }
    payload
}

/// Builds the payload `nonce || ciphertext` with 16 fresh random bytes as
/// the nonce.
pub fn encrypt(key: &[u8; KEY_LEN], plaintext: &[u8]) -> Result<Vec<u8>> {
    Ok(encrypt_with_nonce(key, &random_nonce()?, plaintext))
}

/// Decrypts a payload `nonce || ciphertext` in place and returns the
/// plaintext, which lives where the ciphertext was.
///
/// Note what cannot fail here: any ciphertext of any content "decrypts".
/// The only error is a payload too short to hold a nonce.
pub fn decrypt_in_place<'a>(key: &[u8; KEY_LEN], payload: &'a mut [u8]) -> Result<&'a [u8]> {
    let len = payload.len();
    let (nonce, body) = payload
        .split_first_chunk_mut::<NONCE_LEN>()
        .ok_or(Error::RecordTooShort(len))?;
    apply_keystream(key, nonce, body);
    Ok(body)
}

/// Like [`decrypt_in_place`], on a copy.
pub fn decrypt(key: &[u8; KEY_LEN], payload: &[u8]) -> Result<Vec<u8>> {
    let mut copy = payload.to_vec();
    Ok(decrypt_in_place(key, &mut copy)?.to_vec())
}

fn random_nonce() -> Result<[u8; NONCE_LEN]> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce)?;
    Ok(nonce)
}

/// Wraps the connection for lesson 3: lesson 2 records carrying
/// `nonce || ciphertext` under [`SHARED_KEY`].
pub fn open(socket: Socket) -> (CtrReader<SocketReader>, CtrWriter<Socket>) {
    // Records in are read by lesson 2's reader; records out are written
    // here, a chunk at a time (see `CtrWriter::write_record`).
    let (records_in, _) = lesson02_records::open(socket.clone());
    (
        CtrReader::new(records_in, SHARED_KEY),
        CtrWriter::new(socket, SHARED_KEY),
    )
}

/// The receiving half: read a record, decrypt it, hand over whatever came
/// out. Tampered or not, it cannot tell.
pub struct CtrReader<R> {
    records: RecordReader<R>,
    key: [u8; KEY_LEN],
}

impl<R: Read> CtrReader<R> {
    /// Decrypts records from `records` with `key`.
    pub fn new(records: RecordReader<R>, key: &[u8; KEY_LEN]) -> CtrReader<R> {
        CtrReader { records, key: *key }
    }
}

impl<R: Read + Send> MessageReader for CtrReader<R> {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        let Some(payload) = self.records.read_record()? else {
            return Ok(None);
        };
        // nonce(16) || ciphertext  -->  plaintext. No check of any kind.
        Ok(Some(decrypt_in_place(&self.key, payload)?))
    }
}

/// The sending half: a fresh nonce per record, encrypt, frame, send.
pub struct CtrWriter<W> {
    writer: W,
    key: [u8; KEY_LEN],
    // Reused for every record: the prefix, the nonce and up to one chunk of
    // ciphertext, so a record of any size costs at most one chunk of memory.
    scratch: Vec<u8>,
}

/// Ciphertext bytes encrypted and sent at a time. A record no longer than
/// this leaves in one write; a 16 MiB one is encrypted and sent a chunk at
/// a time, so the writer never holds a second copy of a large message.
const CHUNK: usize = 64 * 1024;

impl<W: Write> CtrWriter<W> {
    /// Encrypts records for `writer` with `key`.
    pub fn new(writer: W, key: &[u8; KEY_LEN]) -> CtrWriter<W> {
        CtrWriter {
            writer,
            key: *key,
            scratch: Vec::new(),
        }
    }

    /// Encrypts `plaintext` (at most [`MAX_PLAINTEXT_LEN`] bytes) into one
    /// lesson 2 record and sends it.
    pub fn write_record(&mut self, plaintext: &[u8]) -> Result<()> {
        let nonce = random_nonce()?;
        // len(4) || nonce(16): the payload is the nonce and the ciphertext.
        let prefix = lesson02_records::prefix(NONCE_LEN + plaintext.len())?;
        self.scratch.clear();
        self.scratch.extend_from_slice(&prefix);
        self.scratch.extend_from_slice(&nonce);
        // || ciphertext: the keystream runs on from chunk to chunk, exactly
        // as if the whole message were encrypted at once.
        let mut cipher = Aes256Ctr::new((&self.key).into(), (&nonce).into());
        let mut chunks = plaintext.chunks(CHUNK).peekable();
        while let Some(chunk) = chunks.next() {
            let start = self.scratch.len();
            self.scratch.extend_from_slice(chunk);
            if let Some(fresh) = self.scratch.get_mut(start..) {
                // Cannot fail: a 128-bit counter does not run out in 16 MiB.
                let _ = cipher.try_apply_keystream(fresh);
            }
            // Send now unless a small record can still gather its rest.
            if chunks.peek().is_some() || self.scratch.len() >= CHUNK {
                self.writer.write_all(&self.scratch)?;
                self.scratch.clear();
            }
        }
        self.writer.write_all(&self.scratch)?;
        self.writer.flush()?;
        Ok(())
    }
}

impl<W: Write + Send> MessageWriter for CtrWriter<W> {
    fn write_message(&mut self, message: &[u8]) -> Result<()> {
        // One record per message (an empty one holds just a nonce); a
        // message too long for one record is split.
        write_in_records(message, MAX_PLAINTEXT_LEN, |piece| self.write_record(piece))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_nonce_then_ciphertext_of_the_same_length() {
        let payload = encrypt(SHARED_KEY, b"amount=100").unwrap();
        assert_eq!(payload.len(), NONCE_LEN + 10);
        assert_ne!(&payload[NONCE_LEN..], b"amount=100");
        assert_eq!(decrypt(SHARED_KEY, &payload).unwrap(), b"amount=100");
    }

    #[test]
    fn each_message_gets_a_fresh_nonce() {
        let a = encrypt(SHARED_KEY, b"same").unwrap();
        let b = encrypt(SHARED_KEY, b"same").unwrap();
        assert_ne!(a[..NONCE_LEN], b[..NONCE_LEN]);
        assert_ne!(a, b);
    }

    #[test]
    fn the_counter_wraps_like_a_128_bit_number() {
        use aes::cipher::{BlockCipherEncrypt, KeyInit};
        // With nonce ff..ff the second block's counter is 00..00.
        let mut data = [0u8; 32];
        apply_keystream(SHARED_KEY, &[0xff; 16], &mut data);
        let aes = Aes256::new(SHARED_KEY.into());
        let mut zero = aes::Block::default();
        aes.encrypt_block(&mut zero);
        let mut ones = aes::Block::from([0xff; 16]);
        aes.encrypt_block(&mut ones);
        assert_eq!(&data[..16], ones.as_slice());
        assert_eq!(&data[16..], zero.as_slice());
    }

    #[test]
    fn nonces_one_apart_share_all_but_a_block_of_keystream() {
        // Keystream is what encrypting zeros gives. Message A starts at
        // counter n and runs two blocks; message B starts at n + 1.
        let (n, mut next) = ([7u8; NONCE_LEN], [7u8; NONCE_LEN]);
        next[NONCE_LEN - 1] += 1;
        let (mut a, mut b) = ([0u8; 32], [0u8; 16]);
        apply_keystream(SHARED_KEY, &n, &mut a);
        apply_keystream(SHARED_KEY, &next, &mut b);
        // Different nonces, and still A's second block is B's first: the
        // counter ranges overlap, and that is what must never happen.
        assert_eq!(a[16..], b);
        assert_ne!(a[..16], b);
    }

    #[test]
    fn a_payload_shorter_than_a_nonce_is_an_error_not_a_panic() {
        for len in 0..NONCE_LEN {
            let mut short = vec![0; len];
            assert!(matches!(
                decrypt_in_place(SHARED_KEY, &mut short),
                Err(Error::RecordTooShort(n)) if n == len
            ));
        }
        // Exactly a nonce is an empty message.
        assert_eq!(decrypt(SHARED_KEY, &[0; NONCE_LEN]).unwrap(), b"");
    }

    #[test]
    fn messages_round_trip_through_records() {
        let mut wire = Vec::new();
        let mut w = CtrWriter::new(&mut wire, SHARED_KEY);
        w.write_message(b"hello").unwrap();
        w.write_message(b"").unwrap();
        // 4 + 16 + 5, then 4 + 16 + 0.
        assert_eq!(wire.len(), 25 + 20);
        assert_eq!(&wire[..4], &[0, 0, 0, 21]);
        let mut r = CtrReader::new(RecordReader::new(wire.as_slice()), SHARED_KEY);
        assert_eq!(r.read_message().unwrap(), Some(&b"hello"[..]));
        assert_eq!(r.read_message().unwrap(), Some(&b""[..]));
        assert_eq!(r.read_message().unwrap(), None);
    }

    #[test]
    fn a_large_record_is_encrypted_in_chunks_and_decrypts_whole() {
        // Several chunks and a ragged end: the keystream must run on across
        // chunk boundaries for the receiver to get the message back.
        let message: Vec<u8> = (0..3 * CHUNK + 1000).map(|i| (i % 251) as u8).collect();
        let mut wire = Vec::new();
        CtrWriter::new(&mut wire, SHARED_KEY)
            .write_record(&message)
            .unwrap();
        assert_eq!(wire.len(), 4 + NONCE_LEN + message.len());
        let mut r = CtrReader::new(RecordReader::new(wire.as_slice()), SHARED_KEY);
        assert_eq!(r.read_message().unwrap(), Some(&message[..]));
    }

    #[test]
    fn a_flipped_ciphertext_bit_is_accepted_and_flips_the_plaintext() {
        // The flaw lesson 4 exploits, in three lines.
        let mut payload = encrypt(SHARED_KEY, b"amount=100").unwrap();
        payload[NONCE_LEN + 7] ^= b'1' ^ b'9';
        assert_eq!(decrypt(SHARED_KEY, &payload).unwrap(), b"amount=900");
    }
}
