//! The `4-ctr-malleability` program's story: both attacks, step by step,
//! with the XOR arithmetic written out.
//!
//! The work is done in `mod.rs`; this file only prints what happened, from
//! the values the attacks returned, so every number shown is a real one.

use std::io::{self, Write};

use crate::error::{Error, Result};
use crate::lesson02_records::PREFIX_LEN;
use crate::lesson03_ctr_channel::NONCE_LEN;
use crate::lesson04_ctr_malleability::{
    AEAD_NONCE_LEN, AEAD_TAG_LEN, AeadAttack, CtrAttack, FIELD, REQUEST, Target, aead_attack,
    ctr_attack,
};

/// Runs both attacks on [`REQUEST`] and explains them on `out`.
pub fn run(out: &mut impl Write) -> Result<()> {
    let target = Target::first_digit_of_amount(REQUEST, b'9')
        .ok_or_else(|| Error::Usage("the request has no amount= field".to_string()))?;
    let ctr = ctr_attack(REQUEST, target)?;
    let aead = aead_attack(REQUEST, target)?;
    narrate(out, &ctr, &aead)?;
    Ok(())
}

/// The demo line that shows the message before it is sealed: as text, and
/// its length, which every later lesson's ciphertext keeps (a stream cipher
/// or an AEAD hides the bytes, not how many there are).
pub fn plaintext_line(out: &mut impl Write, plaintext: &[u8]) -> io::Result<()> {
    let text = String::from_utf8_lossy(plaintext);
    writeln!(out, "  plaintext   {text}  ({} bytes)", plaintext.len())
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
    let (len_prefix, nonce_len) = (PREFIX_LEN, NONCE_LEN);
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
    plaintext_line(out, REQUEST)?;
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
        "Step 5. The same flip against ChaCha20-Poly1305 (an AEAD, lesson 6; fresh random key)."
    )?;
    writeln!(
        out,
        "  sealed      {} + {} + {} = {} bytes: nonce, ciphertext, tag",
        AEAD_NONCE_LEN,
        REQUEST.len(),
        AEAD_TAG_LEN,
        aead.sealed_len
    )?;
    match &aead.untouched {
        Ok(plaintext) => writeln!(out, "  untouched   opens to: {}", text(plaintext))?,
        Err(e) => writeln!(out, "  untouched   failed to open: {e}")?,
    }
    let g = aead.flip;
    writeln!(
        out,
        "  flip        byte {} + {} = {}: 0x{:02x} ^ 0x{:02x} = 0x{:02x}",
        AEAD_NONCE_LEN,
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
                "  The tag covers every ciphertext byte, so Bob drops the message and decrypts nothing."
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
        assert!(out.contains("flip        byte 12 + 28 = 40:"), "{out}");
    }
}
