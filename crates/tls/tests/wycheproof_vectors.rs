//! Project Wycheproof's test sets for the three primitives of lesson 9.
//! Unlike the RFC examples, these include the nasty cases: modified tags,
//! edge-case ciphertexts, low-order X25519 points, oversized HKDF output.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;
use wycheproof::TestResult;

#[test]
fn wycheproof_chacha20_poly1305() {
    use wycheproof::aead::{TestName, TestSet};
    let set = TestSet::load(TestName::ChaCha20Poly1305).expect("test set loads");
    let mut checked = 0;
    for group in set.test_groups {
        // The set also probes other nonce sizes; ChaCha20-Poly1305 (RFC 8439)
        // only has 96-bit nonces, which is all lesson 9 uses.
        if group.nonce_size != 96 {
            continue;
        }
        for test in group.tests {
            let cipher = ChaCha20Poly1305::new_from_slice(&test.key).expect("256-bit key");
            let nonce = Nonce::try_from(test.nonce.as_slice()).expect("96-bit nonce");
            let sealed = [test.ct.as_slice(), test.tag.as_slice()].concat();
            let opened = cipher.decrypt(
                &nonce,
                Payload {
                    msg: &sealed,
                    aad: &test.aad,
                },
            );
            // Lesson 6's `open` must give the same verdict as the crate.
            let key: [u8; 32] = test.key.as_slice().try_into().expect("256-bit key");
            let nonce_bytes: [u8; 12] = test.nonce.as_slice().try_into().expect("96-bit nonce");
            let lesson6 = tls::lesson06_aead::open(&key, &nonce_bytes, &test.aad, &sealed);
            assert_eq!(
                lesson6.as_deref().ok(),
                opened.as_deref().ok(),
                "tc {}: lesson 6 disagrees",
                test.tc_id
            );
            match test.result {
                TestResult::Invalid => {
                    assert!(
                        opened.is_err(),
                        "tc {} ({}) accepted",
                        test.tc_id,
                        test.comment
                    )
                }
                _ => {
                    assert_eq!(
                        opened.as_deref().ok(),
                        Some(test.pt.as_slice()),
                        "tc {}",
                        test.tc_id
                    );
                    let again = cipher
                        .encrypt(
                            &nonce,
                            Payload {
                                msg: &test.pt,
                                aad: &test.aad,
                            },
                        )
                        .expect("encrypt");
                    assert_eq!(again, sealed, "tc {}", test.tc_id);
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} cases ran");
}

#[test]
fn wycheproof_x25519() {
    use wycheproof::xdh::{TestFlag, TestName, TestSet};
    let set = TestSet::load(TestName::X25519).expect("test set loads");
    let (mut checked, mut zero_cases) = (0, 0);
    for group in set.test_groups {
        for test in group.tests {
            let (Ok(private), Ok(public)) = (
                <[u8; 32]>::try_from(test.private_key.as_slice()),
                <[u8; 32]>::try_from(test.public_key.as_slice()),
            ) else {
                // Wrong-length keys cannot even be expressed in our types.
                assert!(test.result.must_fail(), "tc {}", test.tc_id);
                continue;
            };
            let shared = x25519_dalek::x25519(private, public);
            if test.result.must_fail() {
                assert_ne!(
                    shared.as_slice(),
                    test.shared_secret.as_slice(),
                    "tc {}",
                    test.tc_id
                );
            } else {
                assert_eq!(
                    shared.as_slice(),
                    test.shared_secret.as_slice(),
                    "tc {}",
                    test.tc_id
                );
            }
            // The low-order cases give an all-zero secret: exactly what
            // `Handshake::finish` refuses.
            if test.flags.contains(&TestFlag::ZeroSharedSecret) {
                assert_eq!(shared, [0; 32], "tc {}", test.tc_id);
                zero_cases += 1;
            }
            checked += 1;
        }
    }
    assert!(checked > 400, "only {checked} cases ran");
    assert!(zero_cases > 0, "no zero-secret cases seen");
}

#[test]
fn wycheproof_hkdf_sha256() {
    use wycheproof::hkdf::{TestName, TestSet};
    let set = TestSet::load(TestName::HkdfSha256).expect("test set loads");
    let mut checked = 0;
    for group in set.test_groups {
        for test in group.tests {
            let hk = Hkdf::<Sha256>::new(Some(&test.salt), &test.ikm);
            let mut okm = vec![0u8; test.size];
            let result = hk.expand(&test.info, &mut okm);
            if test.result.must_fail() {
                // Only too-long outputs are invalid for HKDF.
                assert!(result.is_err(), "tc {} ({})", test.tc_id, test.comment);
            } else {
                assert!(result.is_ok(), "tc {}", test.tc_id);
                assert_eq!(okm.as_slice(), test.okm.as_slice(), "tc {}", test.tc_id);
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} cases ran");
}
