//! Lesson 5's wire format against an implementation we did not write: the
//! payloads below were produced by `tests/python/lesson5_peer.py`, which
//! encrypts with Python's `cryptography` package and MACs with Python's
//! standard `hmac` module, from the same fixed sequence numbers, nonces and
//! plaintexts. Regenerate them with:
//!
//! ```text
//! python3 tests/python/lesson5_peer.py kat
//! ```
//!
//! If our seal produces these bytes exactly, and our reader opens them,
//! both ends agree on every field: the u64 big-endian seq, the 128-bit CTR
//! counter, the two keys, and what the MAC covers.

use tls::Error;
use tls::lesson02_records::{self, RecordReader};
use tls::lesson05_mac::channel::MacReader;
use tls::lesson05_mac::record::{RecordKeys, open, seal_with_nonce};
use tls::lesson05_mac::{ENC_KEY, MAC_KEY, NONCE_LEN, SEQ_LEN, SeqCheck, TAG_LEN};
use tls::runtime::message::MessageReader;

const REQUEST: &[u8] = b"GET /transfer?to=bob&amount=100 HTTP/1.1";

/// One known answer: the inputs (the same as `KAT_CASES` in the Python
/// peer) and the payload Python sealed from them.
struct Known {
    name: &'static str,
    seq: u64,
    nonce: [u8; NONCE_LEN],
    plaintext: &'static [u8],
    payload: &'static str,
}

fn nonce_counting_from(first: u8) -> [u8; NONCE_LEN] {
    std::array::from_fn(|i| first + i as u8)
}

fn known() -> [Known; 5] {
    [
        Known {
            name: "client_seq0",
            seq: 0,
            nonce: nonce_counting_from(0),
            plaintext: REQUEST,
            payload: "0000000000000000000102030405060708090a0b0c0d0e0f120263ab00ed4e7c6f49\
                      17562e8fdc6cf84ba87fb8e466b4614412087610e68b05e04718e7e1adcc9b7c2a1f\
                      0abbf43f11869d64c97e6270e17132e811c874e0269d0932a18a3ac1",
        },
        // The 128-bit counter starts at ff..ff and wraps to 00..00 for the
        // second block of keystream.
        Known {
            name: "client_seq1_counter_wraps",
            seq: 1,
            nonce: [0xff; NONCE_LEN],
            plaintext: b"the counter wraps after one block",
            payload: "0000000000000001ffffffffffffffffffffffffffffffff721b98cdd815aea656e0\
                      ae7c28559bddd82b4067732e9807f9903a66ef9a9eb8dfa229ae7975860a355962a5\
                      1f4ccca36e898fe40f2f25a00a955c0ca13ccc693c",
        },
        // An empty message: seq, nonce and a tag over those 24 bytes.
        Known {
            name: "client_seq2_empty",
            seq: 2,
            nonce: [0x42; NONCE_LEN],
            plaintext: b"",
            payload: "000000000000000242424242424242424242424242424242a2912d673cd5066caa02\
                      12b2d52dcfa57c6ba8187243b7c15ae85ad5ea83a447",
        },
        // The server's first echo: seq 0 again, in its own direction.
        Known {
            name: "server_seq0",
            seq: 0,
            nonce: nonce_counting_from(16),
            plaintext: REQUEST,
            payload: "0000000000000000101112131415161718191a1b1c1d1e1f561c5e497855d22d7aba\
                      e6281342f13059ba057b97ec822eade620c2ac7a5dffdbbccb4804774a570de9f7ae\
                      1af971d8c8e8828be62e30b20f0927c03eb44a40107a70d9a43d84da",
        },
        // The largest sequence number a sender ever puts on the wire.
        Known {
            name: "last_seq_a_sender_uses",
            seq: u64::MAX - 1,
            nonce: [0x07; NONCE_LEN],
            plaintext: b"last",
            payload: "fffffffffffffffe07070707070707070707070707070707c16454cbcb4b8dafc8b8\
                      11fa2c086f941556ebc8e65e66ce319dc1b52cbf26da7d422b37",
        },
    ]
}

fn keys() -> RecordKeys {
    RecordKeys::new(ENC_KEY, MAC_KEY)
}

fn python_payload(k: &Known) -> Vec<u8> {
    hex::decode(k.payload).expect("valid hex in the test")
}

#[test]
fn our_seal_matches_python_byte_for_byte() {
    for k in known() {
        let mut ours = Vec::new();
        seal_with_nonce(&keys(), k.seq, &k.nonce, k.plaintext, &mut ours).unwrap();
        assert_eq!(
            hex::encode(&ours),
            hex::encode(python_payload(&k)),
            "{}",
            k.name
        );
        assert_eq!(
            ours.len(),
            SEQ_LEN + NONCE_LEN + k.plaintext.len() + TAG_LEN
        );
    }
}

#[test]
fn we_open_what_python_sealed() {
    for k in known() {
        let mut payload = python_payload(&k);
        let (seq, plaintext) = open(&keys(), &mut payload).unwrap();
        assert_eq!((seq, plaintext), (k.seq, k.plaintext), "{}", k.name);
    }
}

#[test]
fn python_client_transcript_reads_in_order_through_the_channel() {
    // The client's three records, framed as lesson 2 records, one stream.
    let mut wire = Vec::new();
    for k in known().iter().take(3) {
        let mut record = Vec::new();
        lesson02_records::encode(&python_payload(k), &mut record).unwrap();
        wire.extend(record);
    }
    let mut reader = MacReader::new(
        RecordReader::new(wire.as_slice()),
        keys(),
        SeqCheck::Required,
    );
    assert_eq!(reader.read_message().unwrap(), Some(REQUEST));
    assert_eq!(
        reader.read_message().unwrap(),
        Some(&b"the counter wraps after one block"[..])
    );
    assert_eq!(reader.read_message().unwrap(), Some(&b""[..]));
    assert_eq!(reader.read_message().unwrap(), None);
}

#[test]
fn one_flipped_bit_in_a_python_record_is_bad_mac() {
    let good = python_payload(&known()[0]);
    for i in [0, SEQ_LEN, SEQ_LEN + NONCE_LEN + 28, good.len() - 1] {
        let mut bad = good.clone();
        bad[i] ^= 0x08;
        assert!(
            matches!(open(&keys(), &mut bad), Err(Error::BadMac)),
            "byte {i}"
        );
    }
}
