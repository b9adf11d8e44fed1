//! Property tests: claims that must hold for *every* input, checked on many
//! random ones (proptest shrinks any failure to a small example).
//!
//! - lesson 9 records: seal then open gives the plaintext back, for any
//!   plaintext up to the maximum; any change to any byte of a record on the
//!   wire is rejected; the reader survives arbitrary bytes and never
//!   allocates more than the length prefix announced.
//! - lesson 9 nonces: counter mode accepts exactly the records in the order
//!   they were sent, and the sender's counter never repeats or wraps.
//! - lesson 2 framing: arbitrary bytes never panic, lengths over 16 MiB are
//!   rejected before anything is allocated, and encode/read round-trips.
//! - lesson 3 CTR: decrypt undoes encrypt, and (the lesson 4 weakness) a bit
//!   flipped in the ciphertext flips the same bit of the plaintext.
//!
//! Case counts are kept modest so the whole file runs in seconds in a debug
//! build.

use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use proptest::prelude::*;
use proptest::sample::Index;

use tls::Error;
use tls::lesson02_records as framing;
use tls::lesson03_ctr_channel as aes_ctr;
use tls::lesson08_key_split::{Role, SessionKeys};
use tls::lesson09_encrypted_echo::channel::{SecureReader, SecureWriter};
use tls::lesson09_encrypted_echo::nonce::{NonceMode, NonceSequence, counter_nonce};
use tls::lesson09_encrypted_echo::record::{
    self, MAX_PLAINTEXT_LEN, MAX_RECORD_LEN, MIN_RECORD_LEN, NONCE_LEN, PREFIX_LEN,
};
use tls::runtime::budget::MessageBuffer;
use tls::runtime::message::MessageReader;

fn cipher(key: [u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(&key.into())
}

/// `len` bytes of cheap deterministic filler; proptest picks `len` and
/// `seed`, which is much faster than generating 65507 separate bytes.
fn filler(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// Any plaintext length from 0 to the maximum, with the two ends always
/// among the cases.
fn plaintext_len() -> impl Strategy<Value = usize> {
    prop_oneof![Just(0), Just(MAX_PLAINTEXT_LEN), 0..=MAX_PLAINTEXT_LEN]
}

/// Reads and opens one record from `wire`, the way `SecureReader` does.
fn read_and_open(
    cipher: &ChaCha20Poly1305,
    wire: &[u8],
) -> Result<([u8; NONCE_LEN], Vec<u8>), Error> {
    let mut stream = wire;
    let mut body = MessageBuffer::new();
    if !record::read_body(&mut stream, &mut body)? {
        return Err(Error::Truncated);
    }
    let (nonce, plaintext) = record::open(cipher, body.as_mut_slice())?;
    Ok((nonce, plaintext.to_vec()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// seal then open is the identity, for every length up to the maximum.
    #[test]
    fn seal_open_round_trip(
        len in plaintext_len(),
        seed: u64,
        key: [u8; 32],
        nonce: [u8; NONCE_LEN],
    ) {
        let plaintext = filler(len, seed);
        let mut wire = Vec::new();
        record::seal(&cipher(key), &nonce, &plaintext, &mut wire).unwrap();
        prop_assert_eq!(wire.len(), PREFIX_LEN + MIN_RECORD_LEN + len);
        let (got_nonce, got) = read_and_open(&cipher(key), &wire).unwrap();
        prop_assert_eq!(got_nonce, nonce);
        prop_assert_eq!(got, plaintext);
    }

    /// One byte over the maximum is refused by the sealer, never truncated.
    #[test]
    fn seal_refuses_oversized_plaintext(extra in 1usize..1000) {
        let plaintext = vec![0u8; MAX_PLAINTEXT_LEN + extra];
        let mut wire = Vec::new();
        let result = record::seal(&cipher([1; 32]), &[0; NONCE_LEN], &plaintext, &mut wire);
        prop_assert!(matches!(result, Err(Error::RecordTooLong(_))));
        prop_assert!(wire.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// XOR any non-zero value into any one byte of a record on the wire
    /// (length prefix, nonce, ciphertext or tag): it does not get through.
    #[test]
    fn any_single_byte_change_is_rejected(
        plaintext in proptest::collection::vec(any::<u8>(), 0..200),
        key: [u8; 32],
        nonce: [u8; NONCE_LEN],
        at: Index,
        xor in 1u8..=255,
    ) {
        let mut wire = Vec::new();
        record::seal(&cipher(key), &nonce, &plaintext, &mut wire).unwrap();
        let i = at.index(wire.len());
        wire[i] ^= xor;
        let result = read_and_open(&cipher(key), &wire);
        // A changed length prefix may also end in Truncated or too short;
        // what matters is that nothing is accepted.
        prop_assert!(result.is_err(), "change {xor:#04x} at byte {i} accepted");
        if i >= PREFIX_LEN {
            prop_assert!(matches!(result, Err(Error::Decrypt)));
        }
    }

    /// Arbitrary bytes: no panic, and a record body is exactly as long as
    /// its prefix said, with no more memory than that.
    #[test]
    fn read_record_survives_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut stream = bytes.as_slice();
        let mut body = MessageBuffer::new();
        let announced = bytes
            .first_chunk::<2>()
            .map(|p| usize::from(u16::from_be_bytes(*p)));
        match record::read_body(&mut stream, &mut body) {
            Ok(false) => prop_assert!(bytes.is_empty()),
            Ok(true) => {
                let announced = announced.unwrap();
                prop_assert_eq!(body.as_slice().len(), announced);
                prop_assert!(body.capacity() <= announced);
            }
            Err(Error::RecordTooShort(n)) => {
                prop_assert!(n < MIN_RECORD_LEN);
                prop_assert_eq!(body.capacity(), 0, "allocated for a refused record");
            }
            Err(Error::Truncated) => {
                prop_assert!(body.capacity() <= announced.unwrap_or(0));
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }

    /// Any announced length with a body that may be short: the allocation
    /// never exceeds the announcement (at most 65535 bytes).
    #[test]
    fn read_record_allocates_at_most_the_announced_length(
        len: u16,
        body in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let wire = [&len.to_be_bytes()[..], &body].concat();
        let mut stream = wire.as_slice();
        let mut buf = MessageBuffer::new();
        let _ = record::read_body(&mut stream, &mut buf);
        prop_assert!(buf.capacity() <= usize::from(len));
        prop_assert!(buf.capacity() <= MAX_RECORD_LEN);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Counter mode: deliver the sent records in any order, with repeats and
    /// gaps. The receiver accepts exactly the in-order prefix and stops at
    /// the first replayed, skipped or reordered record.
    #[test]
    fn counter_mode_accepts_only_the_sent_order(
        sent in 1usize..6,
        delivered in proptest::collection::vec(0usize..6, 0..10),
    ) {
        let keys = SessionKeys::derive(&[5; 32]);
        let mut stream = Vec::new();
        let mut writer = SecureWriter::new(&mut stream, &keys, Role::Client, NonceMode::Counter);
        for i in 0..sent {
            writer.write_record(&[i as u8]).unwrap();
        }
        let one = PREFIX_LEN + MIN_RECORD_LEN + 1;
        let records: Vec<&[u8]> = stream.chunks(one).collect();
        let delivered: Vec<usize> = delivered.into_iter().filter(|&i| i < sent).collect();
        let wire: Vec<u8> = delivered.iter().flat_map(|&i| records[i].to_vec()).collect();

        let in_order = delivered.iter().enumerate().take_while(|(k, i)| k == *i).count();
        let mut reader = SecureReader::new(wire.as_slice(), &keys, Role::Server, NonceMode::Counter);
        for k in 0..in_order {
            prop_assert_eq!(reader.read_message().unwrap(), Some(&[k as u8][..]));
        }
        if in_order < delivered.len() {
            let refused = matches!(
                reader.read_message(),
                Err(Error::UnexpectedNonce { expected, .. }) if expected == in_order as u64
            );
            prop_assert!(refused);
        } else {
            prop_assert_eq!(reader.read_message().unwrap(), None);
        }
    }

    /// The sender's counter nonces are exactly 0, 1, 2, ... from wherever it
    /// starts, never repeat, and stop (rather than wrap) at the end.
    #[test]
    fn counter_nonces_never_repeat_or_wrap(back in 0u64..40, steps in 0usize..60) {
        let start = u64::MAX - back;
        let mut seq = NonceSequence::starting_at_for_testing_only(NonceMode::Counter, start);
        let mut seen = std::collections::HashSet::new();
        for k in 0..steps as u64 {
            match seq.next_nonce() {
                Ok(nonce) => {
                    prop_assert!(start + k < u64::MAX);
                    prop_assert_eq!(nonce, counter_nonce(start + k));
                    prop_assert!(seen.insert(nonce), "nonce repeated");
                }
                // Refused exactly from u64::MAX on (`None`: past the end).
                Err(Error::NonceExhausted) => {
                    prop_assert!(start.checked_add(k).is_none_or(|n| n == u64::MAX));
                }
                Err(other) => prop_assert!(false, "unexpected error {other}"),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Lesson 2: arbitrary bytes never panic; what is accepted is within
    /// the limit and was really delivered.
    #[test]
    fn framing_survives_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut stream = bytes.as_slice();
        let mut payload = MessageBuffer::new();
        let mut consumed = 0;
        while let Ok(true) = framing::read_payload(&mut stream, &mut payload) {
            consumed += framing::PREFIX_LEN + payload.as_slice().len();
            prop_assert!(payload.as_slice().len() <= framing::MAX_PAYLOAD_LEN);
            prop_assert!(consumed <= bytes.len());
        }
    }

    /// Lesson 2: any length over 16 MiB is refused on sight, before a byte
    /// of payload is read or allocated.
    #[test]
    fn framing_rejects_lengths_over_the_limit(
        len in (framing::MAX_PAYLOAD_LEN as u32 + 1)..=u32::MAX,
        tail in proptest::collection::vec(any::<u8>(), 0..50),
    ) {
        let wire = [&len.to_be_bytes()[..], &tail].concat();
        let mut stream = wire.as_slice();
        let mut payload = MessageBuffer::new();
        let result = framing::read_payload(&mut stream, &mut payload);
        prop_assert!(matches!(result, Err(Error::RecordTooLong(n)) if n == len as usize));
        prop_assert_eq!(payload.capacity(), 0);
        // Only the four prefix bytes were consumed.
        prop_assert_eq!(stream.len(), tail.len());
    }

    /// Lesson 2: encode then read gives back the payload, for any payload.
    #[test]
    fn framing_round_trip(payload in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut wire = Vec::new();
        framing::encode(&payload, &mut wire).unwrap();
        let mut stream = wire.as_slice();
        let mut got = MessageBuffer::new();
        prop_assert!(framing::read_payload(&mut stream, &mut got).unwrap());
        prop_assert_eq!(got.as_slice(), &payload[..]);
        prop_assert!(stream.is_empty());
    }

    /// Lesson 3: decryption undoes encryption under any nonce...
    #[test]
    fn ctr_round_trip(
        plaintext in proptest::collection::vec(any::<u8>(), 0..500),
        nonce: [u8; aes_ctr::NONCE_LEN],
    ) {
        let payload = aes_ctr::encrypt_with_nonce(aes_ctr::SHARED_KEY, &nonce, &plaintext);
        prop_assert_eq!(aes_ctr::decrypt(aes_ctr::SHARED_KEY, &payload).unwrap(), plaintext);
    }

    /// ...and that is all it does: flip any bit of the ciphertext and the
    /// same bit of the plaintext flips, with no error (lesson 4).
    #[test]
    fn ctr_is_malleable(
        plaintext in proptest::collection::vec(any::<u8>(), 1..500),
        nonce: [u8; aes_ctr::NONCE_LEN],
        at: Index,
        xor in 1u8..=255,
    ) {
        let mut payload = aes_ctr::encrypt_with_nonce(aes_ctr::SHARED_KEY, &nonce, &plaintext);
        let i = at.index(plaintext.len());
        payload[aes_ctr::NONCE_LEN + i] ^= xor;
        let mut expected = plaintext.clone();
        expected[i] ^= xor;
        prop_assert_eq!(aes_ctr::decrypt(aes_ctr::SHARED_KEY, &payload).unwrap(), expected);
    }
}
