//! Known answers for the lesson 3 cipher, AES-256-CTR with a 128-bit
//! big-endian counter.

use tls::lesson03_ctr_channel::{self as aes_ctr, SHARED_KEY};

/// NIST SP 800-38A, Appendix F.5.5 "CTR-AES256.Encrypt": four blocks from
/// the initial counter block f0f1...feff. The counter's low bytes go
/// ...feff, ...ff00, ...ff01, ...ff02, so the test also checks the carry
/// into the next byte.
const KEY: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
const INITIAL_COUNTER: &str = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
const PLAINTEXT: &str = "6bc1bee22e409f96e93d7e117393172a\
                         ae2d8a571e03ac9c9eb76fac45af8e51\
                         30c81c46a35ce411e5fbc1191a0a52ef\
                         f69f2445df4f9b17ad2b417be66c3710";
const CIPHERTEXT: &str = "601ec313775789a5b7a7f504bbf3d228\
                          f443e3ca4d62b59aca84e990cacaf5c5\
                          2b0930daa23de94ce87017ba2d84988d\
                          dfc9c58db67aada613c2dd08457941a6";

fn array<const N: usize>(hex_text: &str) -> [u8; N] {
    hex::decode(hex_text).unwrap().try_into().unwrap()
}

#[test]
fn sp800_38a_f_5_5_ctr_aes256_encrypt() {
    let (key, counter) = (array::<32>(KEY), array::<16>(INITIAL_COUNTER));
    let payload = aes_ctr::encrypt_with_nonce(&key, &counter, &hex::decode(PLAINTEXT).unwrap());
    // Our payload is nonce || ciphertext; the nonce is the initial counter.
    assert_eq!(hex::encode(&payload[..16]), INITIAL_COUNTER);
    assert_eq!(hex::encode(&payload[16..]), CIPHERTEXT);
}

#[test]
fn sp800_38a_f_5_6_ctr_aes256_decrypt() {
    // F.5.6 is F.5.5 backwards: the same keystream XORed off again.
    let (key, counter) = (array::<32>(KEY), array::<16>(INITIAL_COUNTER));
    let mut payload = counter.to_vec();
    payload.extend_from_slice(&hex::decode(CIPHERTEXT).unwrap());
    let plaintext = aes_ctr::decrypt(&key, &payload).unwrap();
    assert_eq!(hex::encode(plaintext), PLAINTEXT);
}

#[test]
fn the_shared_key_matches_pythons_cryptography_package() {
    // Computed once with Python's `cryptography` 48.0:
    //   Cipher(algorithms.AES(b"0123456789ABCDEF0123456789ABCDEF"),
    //          modes.CTR(bytes(range(16)))).encryptor().update(request)
    // and written here as nonce || ciphertext. The live interop test with
    // Python is tests/tests/ctr_interop.rs in the workspace.
    let expected = "000102030405060708090a0b0c0d0e0f\
                    120263ab00ed4e7c6f4917562e8fdc6cf84ba87fb8e466b4614412087610e68b05e04718e7e1adcc";
    let nonce: [u8; 16] = std::array::from_fn(|i| i as u8);
    let payload = aes_ctr::encrypt_with_nonce(
        SHARED_KEY,
        &nonce,
        b"GET /transfer?to=bob&amount=100 HTTP/1.1",
    );
    assert_eq!(hex::encode(payload), expected);
}
