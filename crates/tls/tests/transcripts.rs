//! Transcript known answers: the exact bytes lessons 3 and 9 put on the
//! wire for fixed keys and nonces, as produced by the independent Python
//! peers in `tests/python/` (which use Python's `cryptography`, not our
//! code). Our writers must produce these bytes, and our readers must read
//! them. The expected bytes are committed here, so this test needs no
//! Python; the second tier (`tests/tests/external/python_transcripts.rs`)
//! checks that the Python peers still print exactly these constants.
//!
//! To regenerate, from the workspace root, and paste the output over the
//! constant(s) it names:
//!
//! ```text
//! python3 tests/python/ctr_peer.py transcript
//! python3 tests/python/lesson9_peer.py transcript --nonce counter
//! ```

use std::io::{self, Read, Write};

use tls::lesson02_records::{RecordReader, RecordWriter};
use tls::lesson03_ctr_channel::{
    CtrReader, NONCE_LEN as CTR_NONCE_LEN, SHARED_KEY, encrypt_with_nonce,
};
use tls::lesson07_key_exchange::Handshake;
use tls::lesson08_key_split::Role;
use tls::lesson09_encrypted_echo::channel::{SecureReader, SecureWriter};
use tls::lesson09_encrypted_echo::handshake::{client_handshake_with, server_handshake_with};
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::runtime::message::{MessageReader, MessageWriter};

/// The fields of a transcript, joined into the bytes they spell.
fn bytes(fields: &[&str]) -> Vec<u8> {
    hex::decode(fields.concat()).expect("transcript constants are hex")
}

// ---------------------------------------------------------------- lesson 3

/// The inputs `ctr_peer.py transcript` uses: a nonce and a message per
/// record. The second nonce is all ones, so the 128-bit counter wraps to
/// zero after the first block.
const LESSON3_INPUTS: [([u8; CTR_NONCE_LEN], &[u8]); 2] = [
    (
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        b"GET /transfer?to=bob&amount=100 HTTP/1.1",
    ),
    ([0xff; CTR_NONCE_LEN], b"hello from the transcript"),
];

const LESSON3_STREAM: &[&str] = &[
    // record 1: length (u32) = 16 + 40
    "00000038",
    // nonce
    "000102030405060708090a0b0c0d0e0f",
    // AES-256-CTR ciphertext of "GET /transfer?to=bob&amount=100 HTTP/1.1"
    "120263ab00ed4e7c6f4917562e8fdc6cf84ba87fb8e466b4614412087610e68b05e04718e7e1adcc",
    // record 2: length (u32) = 16 + 25
    "00000029",
    // nonce
    "ffffffffffffffffffffffffffffffff",
    // AES-256-CTR ciphertext of "hello from the transcript"
    "6e169181d45abdba4de8fc283742dad9d96a4f7264398357e2",
];

#[test]
fn lesson3_writer_output_is_the_python_peers_bytes() {
    // Lesson 3's sender: encrypt under the fixed nonce, frame as lesson 2.
    let mut wire = Vec::new();
    let mut records = RecordWriter::new(&mut wire);
    for (nonce, message) in LESSON3_INPUTS {
        records
            .write_record(&encrypt_with_nonce(SHARED_KEY, &nonce, message))
            .unwrap();
    }
    assert_eq!(hex::encode(&wire), hex::encode(bytes(LESSON3_STREAM)));
}

#[test]
fn lesson3_reader_decrypts_the_python_peers_bytes() {
    let python = bytes(LESSON3_STREAM);
    let mut reader = CtrReader::new(RecordReader::new(python.as_slice()), SHARED_KEY);
    for (_, message) in LESSON3_INPUTS {
        assert_eq!(reader.read_message().unwrap(), Some(message));
    }
    assert_eq!(reader.read_message().unwrap(), None);
}

// ---------------------------------------------------------------- lesson 9

/// RFC 7748 section 6.1's private keys: Alice is the client, Bob the server.
const ALICE_PRIVATE: &str = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const BOB_PRIVATE: &str = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";

/// What the client says, in order; the server echoes each one.
const LESSON9_MESSAGES: [&[u8]; 2] = [b"GET /transfer?to=bob&amount=100 HTTP/1.1", b""];

const LESSON9_CLIENT_TO_SERVER: &[&str] = &[
    // client public key (Alice's)
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
    // record 0: len (u16) = 12 + 40 + 16
    "0044",
    // nonce: counter 0
    "000000000000000000000000",
    // ChaCha20 ciphertext of "GET /transfer?to=bob&amount=100 HTTP/1.1"
    "edbb2b58552a2c0af71edf60a60ebe723ea1904ef4f0caf74d59b7b9bac6f6f660d9c2ef62e083de",
    // Poly1305 tag
    "08e65b2a366548efd0b5d261f8e532dc",
    // record 1: len (u16) = 12 + 0 + 16
    "001c",
    // nonce: counter 1
    "000000000000000000000001",
    // ChaCha20 ciphertext of ""
    "",
    // Poly1305 tag
    "f61342bdeae8b7929c342769b6522be3",
];

const LESSON9_SERVER_TO_CLIENT: &[&str] = &[
    // server public key (Bob's)
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
    // record 0: len (u16) = 12 + 40 + 16
    "0044",
    // nonce: counter 0
    "000000000000000000000000",
    // ChaCha20 ciphertext of "GET /transfer?to=bob&amount=100 HTTP/1.1"
    "1279ecafed79d135c1d8c19e5ce92d310172b5116a0326fc0d8655812334f8e4c54f921128911b61",
    // Poly1305 tag
    "9f7ca47e04750a3db1aa7631f9a5eaf4",
    // record 1: len (u16) = 12 + 0 + 16
    "001c",
    // nonce: counter 1
    "000000000000000000000001",
    // ChaCha20 ciphertext of ""
    "",
    // Poly1305 tag
    "da7fb7070643e24441103c178a3eba4d",
];

fn fixed_handshake(private_hex: &str) -> Handshake {
    let secret = hex::decode(private_hex).unwrap().try_into().unwrap();
    Handshake::from_secret_for_testing_only(secret)
}

/// A stand-in for a TCP connection: reads are served from a script of what
/// the peer sends, and everything written is kept.
struct ScriptedStream<'a> {
    incoming: &'a [u8],
    sent: Vec<u8>,
}

impl<'a> ScriptedStream<'a> {
    fn new(incoming: &'a [u8]) -> ScriptedStream<'a> {
        ScriptedStream {
            incoming,
            sent: Vec::new(),
        }
    }
}

impl Read for ScriptedStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.incoming.read(buf)
    }
}

impl Write for ScriptedStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sent.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn lesson9_client_sends_exactly_the_python_clients_bytes() {
    // The server's side of the conversation, as Python sent it.
    let from_server = bytes(LESSON9_SERVER_TO_CLIENT);
    let mut stream = ScriptedStream::new(&from_server);
    // -> client public key, <- server public key, then the key split.
    let session = client_handshake_with(&mut stream, fixed_handshake(ALICE_PRIVATE)).unwrap();
    // Then records: the same connection, split into its two halves.
    let ScriptedStream { incoming, mut sent } = stream;
    let mut reader = SecureReader::new(incoming, &session.keys, Role::Client, NonceMode::Counter);
    let mut writer = SecureWriter::new(&mut sent, &session.keys, Role::Client, NonceMode::Counter);
    for message in LESSON9_MESSAGES {
        writer.write_message(message).unwrap();
        // Python's echo opens under our s2c key with the next counter.
        assert_eq!(reader.read_message().unwrap(), Some(message));
    }
    assert_eq!(reader.read_message().unwrap(), None);
    drop(writer);
    assert_eq!(
        hex::encode(&sent),
        hex::encode(bytes(LESSON9_CLIENT_TO_SERVER))
    );
}

#[test]
fn lesson9_server_sends_exactly_the_python_servers_bytes() {
    let from_client = bytes(LESSON9_CLIENT_TO_SERVER);
    let mut stream = ScriptedStream::new(&from_client);
    // <- client public key, -> server public key, then the key split.
    let session = server_handshake_with(&mut stream, fixed_handshake(BOB_PRIVATE)).unwrap();
    let ScriptedStream { incoming, mut sent } = stream;
    let mut reader = SecureReader::new(incoming, &session.keys, Role::Server, NonceMode::Counter);
    let mut writer = SecureWriter::new(&mut sent, &session.keys, Role::Server, NonceMode::Counter);
    // The echo loop: every message Python's client sent comes back.
    let mut echoed = 0;
    while let Some(message) = reader.read_message().unwrap() {
        assert_eq!(message, LESSON9_MESSAGES[echoed]);
        writer.write_message(message).unwrap();
        echoed += 1;
    }
    assert_eq!(echoed, LESSON9_MESSAGES.len());
    drop(writer);
    assert_eq!(
        hex::encode(&sent),
        hex::encode(bytes(LESSON9_SERVER_TO_CLIENT))
    );
}

#[test]
fn lesson9_transcript_starts_with_rfc7748_public_keys() {
    // A check on the constants themselves: the first 32 bytes each way are
    // the RFC's public keys for the RFC's private keys.
    assert_eq!(
        LESSON9_CLIENT_TO_SERVER[0],
        hex::encode(fixed_handshake(ALICE_PRIVATE).public_key())
    );
    assert_eq!(
        LESSON9_SERVER_TO_CLIENT[0],
        hex::encode(fixed_handshake(BOB_PRIVATE).public_key())
    );
    assert_eq!(
        LESSON9_CLIENT_TO_SERVER[0],
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    );
}
