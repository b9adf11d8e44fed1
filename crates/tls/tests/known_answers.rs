//! Known-answer tests: the primitives lessons 6-9 are built from, checked
//! against the test vectors printed in their RFCs. If any of these fail, the
//! crypto crates (or the way we call them) disagree with the standard.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).expect("test vector is valid hex")
}

fn array32(s: &str) -> [u8; 32] {
    unhex(s).try_into().expect("32-byte test vector")
}

/// RFC 7748 section 6.1: Alice and Bob's X25519 exchange.
#[test]
fn rfc7748_section_6_1_x25519() {
    let alice_private = array32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    let alice_public = array32("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    let bob_private = array32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    let bob_public = array32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    let shared = array32("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    let base = x25519_dalek::X25519_BASEPOINT_BYTES;

    // Each public key is the private key times the base point.
    assert_eq!(x25519_dalek::x25519(alice_private, base), alice_public);
    assert_eq!(x25519_dalek::x25519(bob_private, base), bob_public);
    // Both sides arrive at the same shared secret.
    assert_eq!(x25519_dalek::x25519(alice_private, bob_public), shared);
    assert_eq!(x25519_dalek::x25519(bob_private, alice_public), shared);
}

/// RFC 5869 appendix A.1: HKDF-SHA256, basic test case.
#[test]
fn rfc5869_a1_hkdf_sha256() {
    let ikm = unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    let salt = unhex("000102030405060708090a0b0c");
    let info = unhex("f0f1f2f3f4f5f6f7f8f9");
    let prk = unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    let okm = unhex(
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf
         34007208d5b887185865",
    );

    let (got_prk, hk) = Hkdf::<Sha256>::extract(Some(&salt), &ikm);
    assert_eq!(got_prk.as_slice(), prk.as_slice());
    let mut got_okm = [0u8; 42];
    hk.expand(&info, &mut got_okm)
        .expect("42 bytes is a valid length");
    assert_eq!(got_okm.as_slice(), okm.as_slice());
}

/// RFC 8439 section 2.8.2: ChaCha20-Poly1305 AEAD encryption example.
#[test]
fn rfc8439_section_2_8_2_chacha20_poly1305() {
    let key = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    let nonce = unhex("070000004041424344454647");
    let aad = unhex("50515253c0c1c2c3c4c5c6c7");
    let plaintext: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you \
only one tip for the future, sunscreen would be it.";
    let ciphertext = unhex(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
         3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
         92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
         3ff4def08e4b7a9de576d26586cec64b6116",
    );
    let tag = unhex("1ae10b594f09e26a7e902ecbd0600691");

    let cipher = ChaCha20Poly1305::new_from_slice(&key).expect("32-byte key");
    let nonce = Nonce::try_from(nonce.as_slice()).expect("12-byte nonce");
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .expect("encryption cannot fail for this size");
    assert_eq!(sealed, [ciphertext.clone(), tag].concat());

    let opened = cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &sealed,
                aad: &aad,
            },
        )
        .expect("the RFC's own ciphertext authenticates");
    assert_eq!(opened, plaintext);

    // Tweak the first byte: the tag no longer matches.
    let mut tampered = sealed.clone();
    tampered[0] ^= 1;
    assert!(
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &tampered,
                    aad: &aad
                }
            )
            .is_err()
    );
}

/// RFC 8439 section 2.8.2 again, through lesson 6's own `seal` and `open`,
/// with the RFC's associated data: the course's helpers, not just the crate,
/// agree with the standard.
#[test]
fn rfc8439_section_2_8_2_through_lesson6_seal_and_open() {
    use tls::error::Error;
    use tls::lesson06_aead::{open, seal};

    let key = array32("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    let nonce: [u8; 12] = unhex("070000004041424344454647").try_into().unwrap();
    let aad = unhex("50515253c0c1c2c3c4c5c6c7");
    let plaintext: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you \
only one tip for the future, sunscreen would be it.";
    let expected = unhex(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
         3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
         92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
         3ff4def08e4b7a9de576d26586cec64b6116
         1ae10b594f09e26a7e902ecbd0600691",
    );

    let sealed = seal(&key, &nonce, &aad, plaintext).unwrap();
    assert_eq!(sealed, expected);
    assert_eq!(open(&key, &nonce, &aad, &expected).unwrap(), plaintext);
    // Without the RFC's aad, or with the first byte tweaked: Error::Decrypt.
    assert!(matches!(
        open(&key, &nonce, b"", &expected),
        Err(Error::Decrypt)
    ));
    let mut tampered = expected.clone();
    tampered[0] ^= 1;
    assert!(matches!(
        open(&key, &nonce, &aad, &tampered),
        Err(Error::Decrypt)
    ));
}

/// The lesson 9 key schedule is HKDF-SHA256 with the course's salt and
/// labels: recompute it by hand and compare with `SessionKeys::derive`.
#[test]
fn lesson9_key_schedule_matches_plain_hkdf() {
    let shared = array32("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    let keys = tls::lesson08_key_split::SessionKeys::derive(&shared);
    let hk = Hkdf::<Sha256>::new(Some(b"salam"), &shared);
    let (mut c2s, mut s2c) = ([0u8; 32], [0u8; 32]);
    hk.expand(b"c2s", &mut c2s).unwrap();
    hk.expand(b"s2c", &mut s2c).unwrap();
    assert_eq!(keys.c2s(), &c2s);
    assert_eq!(keys.s2c(), &s2c);
}
