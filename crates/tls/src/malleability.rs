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
//! Against an AEAD record (lesson 9's ChaCha20-Poly1305) the same edit fails:
//! the tag covers every ciphertext byte, and the receiver refuses the record
//! before decrypting anything.
//!
//! [`ctr_attack`] and [`aead_attack`] do the work and return what happened,
//! so tests can assert it; [`run`] narrates it for the `4-ctr-malleability`
//! program.

use std::io::{self, Write};

use chacha20poly1305::{ChaCha20Poly1305, KeyInit};

use crate::aes_ctr::{self, CtrReader, CtrWriter, SHARED_KEY};
use crate::error::{Error, Result};
use crate::framing::{self, RecordReader, RecordWriter};
use crate::message::{MessageReader, MessageWriter};
use crate::record;

/// The request Alice sends. Its layout is no secret: any client of this bank
/// sends the same shape of line.
pub const REQUEST: &[u8] = b"GET /transfer?to=bob&amount=100 HTTP/1.1";
/// The field Mallory aims at.
pub const FIELD: &[u8] = b"amount=";

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
    pub nonce: [u8; aes_ctr::NONCE_LEN],
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
pub fn ctr_attack(request: &[u8], target: Target) -> Result<CtrAttack> {
    // Alice: one lesson 3 record, len(4) || nonce(16) || ciphertext.
    let mut wire = Vec::new();
    CtrWriter::new(RecordWriter::new(&mut wire), SHARED_KEY).write_message(request)?;
    let body = framing::LEN_PREFIX + aes_ctr::NONCE_LEN;
    let nonce: [u8; aes_ctr::NONCE_LEN] = wire
        .get(framing::LEN_PREFIX..body)
        .and_then(|n| n.try_into().ok())
        .ok_or(Error::Truncated)?;
    let ciphertext = wire.get(body..).ok_or(Error::Truncated)?.to_vec();

    // Mallory: ciphertext byte `offset` sits at body + offset on the wire.
    let flip = flip(&mut wire, body + target.offset, target.mask()).ok_or(Error::Truncated)?;

    // Bob: the unchanged lesson 3 reader.
    let mut reader = CtrReader::new(RecordReader::new(wire.as_slice()), SHARED_KEY);
    let delivered = reader.read_message()?.ok_or(Error::Truncated)?.to_vec();

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

/// What happened to the lesson 9 record.
#[derive(Debug)]
pub struct AeadAttack {
    /// Length of the whole wire record.
    pub record_len: usize,
    /// What the untouched record opens to (proves the key and record are fine).
    pub untouched: Result<Vec<u8>>,
    /// The same edit as against CTR.
    pub flip: Flip,
    /// What opening the tampered record gives: [`Error::Decrypt`].
    pub tampered: Result<Vec<u8>>,
}

/// Seals `request` as a lesson 9 ChaCha20-Poly1305 record under a fresh
/// random key, makes the same flip, and tries to open both versions.
pub fn aead_attack(request: &[u8], target: Target) -> Result<AeadAttack> {
    let mut key = [0u8; 32];
    let mut nonce = [0u8; record::NONCE_LEN];
    getrandom::fill(&mut key).map_err(|e| Error::Io(io::Error::other(e)))?;
    getrandom::fill(&mut nonce).map_err(|e| Error::Io(io::Error::other(e)))?;
    let cipher = ChaCha20Poly1305::new(&key.into());

    // len(2) || nonce(12) || ciphertext || tag(16)
    let mut wire = Vec::new();
    record::seal(&cipher, &nonce, request, &mut wire)?;
    let untouched = open_record(&cipher, &wire);

    // The ciphertext starts after the length and the nonce, just as in CTR.
    let index = record::LEN_PREFIX + record::NONCE_LEN + target.offset;
    let flip = flip(&mut wire, index, target.mask()).ok_or(Error::Truncated)?;
    let tampered = open_record(&cipher, &wire);
    Ok(AeadAttack {
        record_len: wire.len(),
        untouched,
        flip,
        tampered,
    })
}

/// Reads and opens one lesson 9 record from `wire`.
fn open_record(cipher: &ChaCha20Poly1305, mut wire: &[u8]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    if !record::read_record(&mut wire, &mut body)? {
        return Err(Error::Truncated);
    }
    let (_nonce, plaintext) = record::open(cipher, &mut body)?;
    Ok(plaintext.to_vec())
}

/// Runs both attacks on [`REQUEST`] and explains them on `out`.
pub fn run(out: &mut impl Write) -> Result<()> {
    let target = Target::first_digit_of_amount(REQUEST, b'9').ok_or_else(|| {
        Error::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the request has no amount= field",
        ))
    })?;
    let ctr = ctr_attack(REQUEST, target)?;
    let aead = aead_attack(REQUEST, target)?;
    narrate(out, &ctr, &aead)?;
    Ok(())
}

/// `'1' = 0x31`, or the hex alone for a byte that is not printable.
fn show(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("'{}' = 0x{byte:02x}", char::from(byte))
    } else {
        format!("0x{byte:02x}")
    }
}

fn narrate(out: &mut impl Write, ctr: &CtrAttack, aead: &AeadAttack) -> io::Result<()> {
    let t = ctr.target;
    let (len_prefix, nonce_len) = (framing::LEN_PREFIX, aes_ctr::NONCE_LEN);
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();

    writeln!(
        out,
        "Lesson 4: flipping bits in AES-CTR ciphertext, without the key"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 1. Alice encrypts her request with the lesson 3 channel (AES-256-CTR, no MAC)."
    )?;
    writeln!(
        out,
        "  plaintext   {}  ({} bytes)",
        text(REQUEST),
        REQUEST.len()
    )?;
    writeln!(out, "  nonce       {}", crate::hex(&ctr.nonce))?;
    writeln!(out, "  ciphertext  {}", crate::hex(&ctr.ciphertext))?;
    writeln!(
        out,
        "              {}^^ byte {}",
        "  ".repeat(t.offset),
        t.offset
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 2. Mallory cannot decrypt, but she knows what such a request looks like."
    )?;
    writeln!(
        out,
        "  \"{}\" starts at offset {}, so the first digit is at offset {} + {} = {}.",
        text(FIELD),
        t.offset - FIELD.len(),
        t.offset - FIELD.len(),
        FIELD.len(),
        t.offset
    )?;
    let known = format!("plaintext[{}] is", t.offset);
    writeln!(out, "  {known:<18}{}", show(t.known))?;
    writeln!(out, "  {:<18}{}", "she wants", show(t.wanted))?;
    writeln!(
        out,
        "  mask = '{}' ^ '{}' = 0x{:02x} ^ 0x{:02x} = 0x{:02x}",
        char::from(t.known),
        char::from(t.wanted),
        t.known,
        t.wanted,
        t.mask()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 3. In flight, she XORs the mask into ciphertext byte {} (record byte {} + {} + {} = {}).",
        t.offset, len_prefix, nonce_len, t.offset, ctr.flip.wire_index
    )?;
    let f = ctr.flip;
    let (before, after) = (
        format!("ciphertext[{}] before", t.offset),
        format!("ciphertext[{}] after", t.offset),
    );
    writeln!(out, "  {before:<23}0x{:02x}  {:08b}", f.before, f.before)?;
    writeln!(
        out,
        "  {:<23}0x{:02x}  {:08b}  (XOR)",
        "mask",
        t.mask(),
        t.mask()
    )?;
    writeln!(out, "  {after:<23}0x{:02x}  {:08b}", f.after, f.after)?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 4. Bob decrypts with the right key: plaintext = ciphertext ^ keystream."
    )?;
    writeln!(
        out,
        "  keystream[{}] = 0x{:02x}  (only Bob can compute it; Mallory never needs it)",
        t.offset, ctr.keystream_byte
    )?;
    writeln!(
        out,
        "  as sent:      0x{:02x} ^ 0x{:02x} = {}",
        f.before,
        ctr.keystream_byte,
        show(f.before ^ ctr.keystream_byte)
    )?;
    writeln!(
        out,
        "  as received:  0x{:02x} ^ 0x{:02x} = {}",
        f.after,
        ctr.keystream_byte,
        show(f.after ^ ctr.keystream_byte)
    )?;
    writeln!(out, "  Bob's lesson 3 receiver delivers:")?;
    writeln!(out, "  decrypted   {}", text(&ctr.delivered))?;
    writeln!(out, "  No error, no warning: AES-CTR has nothing to check.")?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 5. The same flip against a lesson 9 record (ChaCha20-Poly1305, fresh random key)."
    )?;
    writeln!(
        out,
        "  record      {} + {} + {} + {} = {} bytes: len, nonce, ciphertext, tag",
        record::LEN_PREFIX,
        record::NONCE_LEN,
        REQUEST.len(),
        record::TAG_LEN,
        aead.record_len
    )?;
    match &aead.untouched {
        Ok(plaintext) => writeln!(out, "  untouched   opens to: {}", text(plaintext))?,
        Err(e) => writeln!(out, "  untouched   failed to open: {e}")?,
    }
    let g = aead.flip;
    writeln!(
        out,
        "  flip        record byte {} + {} + {} = {}: 0x{:02x} ^ 0x{:02x} = 0x{:02x}",
        record::LEN_PREFIX,
        record::NONCE_LEN,
        t.offset,
        g.wire_index,
        g.before,
        t.mask(),
        g.after
    )?;
    match &aead.tampered {
        Err(e) => {
            writeln!(out, "  tampered    REJECTED: {e}")?;
            writeln!(
                out,
                "  The tag covers every ciphertext byte, so Bob drops the record and decrypts nothing."
            )?;
        }
        Ok(plaintext) => writeln!(
            out,
            "  tampered    ACCEPTED (this must not happen): {}",
            text(plaintext)
        )?,
    }
    writeln!(out)?;
    let verdict = if aead.tampered.is_err() {
        "refused the change"
    } else {
        "ACCEPTED the change"
    };
    writeln!(
        out,
        "Result: AES-CTR delivered \"{}\"; ChaCha20-Poly1305 {}.",
        text(&ctr.delivered),
        verdict
    )?;
    Ok(())
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
        aes_ctr::apply_keystream(SHARED_KEY, &attack.nonce, &mut zeros);
        assert_eq!(zeros[28], attack.keystream_byte);
    }

    #[test]
    fn any_known_byte_can_be_rewritten() {
        // Not just digits: "bob" becomes "eve", byte by byte, same trick.
        let mut wire = Vec::new();
        CtrWriter::new(RecordWriter::new(&mut wire), SHARED_KEY)
            .write_message(REQUEST)
            .unwrap();
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
        assert_eq!(attack.flip.wire_index, 2 + 12 + 28);
        assert_eq!(attack.flip.after, attack.flip.before ^ 0x08);
        assert!(matches!(attack.tampered, Err(Error::Decrypt)));
        assert_eq!(attack.record_len, 2 + 12 + REQUEST.len() + 16);
    }

    #[test]
    fn the_narration_shows_the_arithmetic_and_both_outcomes() {
        let mut out = Vec::new();
        run(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("mask = '1' ^ '9' = 0x31 ^ 0x39 = 0x08"),
            "{out}"
        );
        assert!(out.contains("decrypted   GET /transfer?to=bob&amount=900 HTTP/1.1"));
        assert!(out.contains("REJECTED: record failed authentication (bad tag)"));
        assert!(out.contains("as received:") && out.contains("= '9' = 0x39"));
    }
}
