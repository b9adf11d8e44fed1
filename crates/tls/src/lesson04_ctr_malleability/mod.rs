//! Lesson 4: CTR malleability. Change `amount=100` into `amount=900`
//! without ever knowing the key.
//!
//! CTR encryption is `ciphertext = plaintext XOR keystream`. XOR a mask into
//! a ciphertext byte and, after decryption, the same mask is XORed into the
//! plaintext byte:
//!
//! ```text
//! (p XOR k) XOR m  decrypts to  ((p XOR k) XOR m) XOR k  =  p XOR m
//! ```
//!
//! An attacker who knows (or guesses) the plaintext byte `p` at some offset
//! and wants `w` there uses `m = p XOR w`. For `'1'` (0x31) to `'9'` (0x39)
//! that is 0x08: one flipped bit. The keystream `k` cancels out, so the key
//! is never needed. Requests have a known shape, so `p` is easy to know.
//!
//! Against an AEAD (ChaCha20-Poly1305, the primitive lesson 6 teaches) the
//! same edit fails: the tag covers every ciphertext byte, and the receiver
//! refuses the message before decrypting anything. [`aead_attack`] shows
//! that here with the crate called directly; lessons 5 and 6 build the fix
//! properly.
//!
//! - this file: [`ctr_attack`] and [`aead_attack`] do the work and return
//!   what happened, so tests can assert it;
//! - [`narration`]: [`run`] explains it step by step for the
//!   `4-ctr-malleability` program.

pub mod narration;

pub use narration::run;

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce, Tag};

use crate::error::{Error, Result};
use crate::lesson02_records::{PREFIX_LEN, RecordReader, RecordWriter};
use crate::lesson03_ctr_channel::{self, CtrReader, NONCE_LEN, SHARED_KEY};
use crate::runtime::message::MessageReader;

/// The request Alice sends. Its layout is no secret: any client of this bank
/// sends the same shape of line.
pub const REQUEST: &[u8] = b"GET /transfer?to=bob&amount=100 HTTP/1.1";
/// The field Mallory aims at.
pub const FIELD: &[u8] = b"amount=";
/// ChaCha20-Poly1305's nonce and tag sizes, for the AEAD comparison.
pub const AEAD_NONCE_LEN: usize = 12;
/// See [`AEAD_NONCE_LEN`].
pub const AEAD_TAG_LEN: usize = 16;

/// Where to strike: a plaintext offset, the byte known to be there, and the
/// byte wanted instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// Offset of the byte within the plaintext.
    pub offset: usize,
    /// The plaintext byte the attacker knows is there.
    pub known: u8,
    /// The plaintext byte the attacker wants the receiver to see.
    pub wanted: u8,
}

impl Target {
    /// The first digit after `amount=` in `request`, to become `wanted`.
    /// `None` if the request has no such field.
    pub fn first_digit_of_amount(request: &[u8], wanted: u8) -> Option<Target> {
        let start = request
            .windows(FIELD.len())
            .position(|window| window == FIELD)?;
        let offset = start + FIELD.len();
        let known = *request.get(offset)?;
        Some(Target {
            offset,
            known,
            wanted,
        })
    }

    /// The bits to flip: `known XOR wanted`.
    pub fn mask(&self) -> u8 {
        self.known ^ self.wanted
    }
}

/// One ciphertext byte, before and after the attacker's XOR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flip {
    /// Index of the byte in the whole wire record.
    pub wire_index: usize,
    /// The byte as it was sent.
    pub before: u8,
    /// The byte as the receiver gets it.
    pub after: u8,
}

/// XORs `mask` into `wire[index]`. This is all an on-path attacker does.
/// `None` if the record is too short to have that byte.
pub fn flip(wire: &mut [u8], index: usize, mask: u8) -> Option<Flip> {
    let byte = wire.get_mut(index)?;
    let before = *byte;
    *byte ^= mask;
    Some(Flip {
        wire_index: index,
        before,
        after: *byte,
    })
}

/// What happened to the lesson 3 record.
#[derive(Debug)]
pub struct CtrAttack {
    /// The byte Mallory aimed at.
    pub target: Target,
    /// The nonce at the front of the payload (sent in the clear).
    pub nonce: [u8; NONCE_LEN],
    /// The ciphertext as Alice sent it.
    pub ciphertext: Vec<u8>,
    /// The edit in flight.
    pub flip: Flip,
    /// The keystream byte at the target offset. Mallory never learns it;
    /// the narration shows it to explain why the flip passes through.
    pub keystream_byte: u8,
    /// What the lesson 3 receiver hands to the application.
    pub delivered: Vec<u8>,
}

/// Encrypts `request` with the lesson 3 channel into a wire record, flips
/// `target` in flight, and reads it back with the lesson 3 receiver.
///
/// Fails only if `target` lies outside the request.
pub fn ctr_attack(request: &[u8], target: Target) -> Result<CtrAttack> {
    // Alice: nonce(16) || AES-256-CTR(request), framed as a lesson 2 record.
    let nonce = random_nonce()?;
    let payload = lesson03_ctr_channel::encrypt_with_nonce(SHARED_KEY, &nonce, request);
    let ciphertext = payload.get(NONCE_LEN..).unwrap_or_default().to_vec();
    let mut wire = Vec::new();
    RecordWriter::new(&mut wire).write_record(&payload)?;

    // Mallory: ciphertext byte `offset` sits after the length and the nonce.
    let index = PREFIX_LEN + NONCE_LEN + target.offset;
    let flip = flip(&mut wire, index, target.mask()).ok_or_else(|| off_the_end(target))?;

    // Bob: the unchanged lesson 3 reader, on the edited bytes.
    let mut reader = CtrReader::new(RecordReader::new(wire.as_slice()), SHARED_KEY);
    let delivered = match reader.read_message()? {
        Some(plaintext) => plaintext.to_vec(),
        None => Vec::new(),
    };

    // For the narration only: keystream = ciphertext XOR plaintext.
    let keystream_byte = flip.before ^ target.known;
    Ok(CtrAttack {
        target,
        nonce,
        ciphertext,
        flip,
        keystream_byte,
        delivered,
    })
}

/// What happened to the AEAD message.
#[derive(Debug)]
pub struct AeadAttack {
    /// Length of the whole sealed message: nonce, ciphertext and tag.
    pub sealed_len: usize,
    /// What the untouched message opens to (proves the key is fine).
    pub untouched: Result<Vec<u8>>,
    /// The same edit as against CTR.
    pub flip: Flip,
    /// What opening the tampered message gives: [`Error::Decrypt`].
    pub tampered: Result<Vec<u8>>,
}

/// Seals `request` with ChaCha20-Poly1305 under a fresh random key as
/// `nonce(12) || ciphertext || tag(16)`, makes the same flip, and tries to
/// open both versions.
pub fn aead_attack(request: &[u8], target: Target) -> Result<AeadAttack> {
    let mut key = [0u8; 32];
    let mut nonce = [0u8; AEAD_NONCE_LEN];
    getrandom::fill(&mut key)?;
    getrandom::fill(&mut nonce)?;
    let cipher = ChaCha20Poly1305::new(&key.into());

    // nonce || ciphertext || tag
    let mut sealed = nonce.to_vec();
    let mut ciphertext = request.to_vec();
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(nonce), &[], ciphertext.as_mut_slice().into())
        .map_err(|_| Error::RecordTooLong(request.len()))?;
    sealed.extend_from_slice(&ciphertext);
    sealed.extend_from_slice(&tag);
    let untouched = open(&cipher, &sealed);

    // The ciphertext starts after the nonce, just as in CTR.
    let index = AEAD_NONCE_LEN + target.offset;
    let flip = flip(&mut sealed, index, target.mask()).ok_or_else(|| off_the_end(target))?;
    let tampered = open(&cipher, &sealed);
    Ok(AeadAttack {
        sealed_len: sealed.len(),
        untouched,
        flip,
        tampered,
    })
}

/// Opens `nonce || ciphertext || tag`: checks the tag, then decrypts.
fn open(cipher: &ChaCha20Poly1305, sealed: &[u8]) -> Result<Vec<u8>> {
    let (nonce, rest) = sealed
        .split_first_chunk::<AEAD_NONCE_LEN>()
        .ok_or(Error::RecordTooShort(sealed.len()))?;
    let (ciphertext, tag) = rest
        .split_last_chunk::<AEAD_TAG_LEN>()
        .ok_or(Error::RecordTooShort(sealed.len()))?;
    let mut plaintext = ciphertext.to_vec();
    cipher
        .decrypt_inout_detached(
            &Nonce::from(*nonce),
            &[],
            plaintext.as_mut_slice().into(),
            &Tag::from(*tag),
        )
        .map_err(|_| Error::Decrypt)?;
    Ok(plaintext)
}

fn random_nonce() -> Result<[u8; NONCE_LEN]> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce)?;
    Ok(nonce)
}

/// The error for a target past the end of the message: a caller's mistake.
fn off_the_end(target: Target) -> Error {
    Error::Usage(format!(
        "offset {} is past the end of the message",
        target.offset
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target::first_digit_of_amount(REQUEST, b'9').unwrap()
    }

    #[test]
    fn the_target_is_found_from_the_known_plaintext() {
        let t = target();
        assert_eq!(t.offset, "GET /transfer?to=bob&amount=".len());
        assert_eq!(t.known, b'1');
        assert_eq!(t.mask(), 0x08);
        assert_eq!(Target::first_digit_of_amount(b"GET / HTTP/1.1", b'9'), None);
        assert_eq!(Target::first_digit_of_amount(b"amount=", b'9'), None);
    }

    #[test]
    fn ctr_delivers_amount_900_without_the_key() {
        let attack = ctr_attack(REQUEST, target()).unwrap();
        assert_eq!(
            attack.delivered,
            b"GET /transfer?to=bob&amount=900 HTTP/1.1"
        );
        assert_eq!(attack.flip.after, attack.flip.before ^ 0x08);
        assert_eq!(attack.flip.wire_index, 4 + 16 + 28);
        // The narration's keystream byte really is the keystream.
        let mut zeros = vec![0u8; REQUEST.len()];
        lesson03_ctr_channel::apply_keystream(SHARED_KEY, &attack.nonce, &mut zeros);
        assert_eq!(zeros[28], attack.keystream_byte);
    }

    #[test]
    fn any_known_byte_can_be_rewritten() {
        // Not just digits: "bob" becomes "eve", byte by byte, same trick.
        let payload = lesson03_ctr_channel::encrypt(SHARED_KEY, REQUEST).unwrap();
        let mut wire = Vec::new();
        RecordWriter::new(&mut wire).write_record(&payload).unwrap();
        let at = REQUEST.windows(3).position(|w| w == b"bob").unwrap();
        for (i, (known, wanted)) in b"bob".iter().zip(b"eve").enumerate() {
            flip(&mut wire, 4 + 16 + at + i, known ^ wanted).unwrap();
        }
        let mut r = CtrReader::new(RecordReader::new(wire.as_slice()), SHARED_KEY);
        assert_eq!(
            r.read_message().unwrap().unwrap(),
            b"GET /transfer?to=eve&amount=100 HTTP/1.1"
        );
    }

    #[test]
    fn aead_rejects_the_same_flip() {
        let attack = aead_attack(REQUEST, target()).unwrap();
        assert_eq!(attack.untouched.unwrap(), REQUEST);
        assert_eq!(attack.flip.wire_index, 12 + 28);
        assert_eq!(attack.flip.after, attack.flip.before ^ 0x08);
        assert!(matches!(attack.tampered, Err(Error::Decrypt)));
        assert_eq!(attack.sealed_len, 12 + REQUEST.len() + 16);
    }

    #[test]
    fn a_target_past_the_end_is_an_error_not_a_panic() {
        let far = Target {
            offset: 1000,
            known: b'1',
            wanted: b'9',
        };
        assert!(matches!(ctr_attack(REQUEST, far), Err(Error::Usage(_))));
        assert!(matches!(aead_attack(REQUEST, far), Err(Error::Usage(_))));
    }
}
