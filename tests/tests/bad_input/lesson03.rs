//! Bad input, lesson 3: what the unauthenticated CTR server refuses (not
//! much) and what it swallows (anything that decrypts, which is anything).
//!
//! The shared checks are in `tests/src/bad_peer.rs`.

use std::io::Write;

use e2e::bad_peer::*;
use e2e::*;

/// Lesson 3 payloads start with a 16-byte nonce; a shorter one is refused.
#[test]
fn l3_payload_shorter_than_a_nonce() {
    let mut server = Server::start(SERVER3, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&frame(&[7; 15])).unwrap();
    assert_dropped_with(&server, me, "dropped: record length 15 is too short");
    assert_closed_by_server(&mut stream);
    assert_still_serving(&mut server, CLIENT3, &[]);
}

#[test]
fn l3_length_over_16_mib() {
    let mut server = Server::start(SERVER3, &[]);
    let (mut stream, me) = connect(&server);
    stream.write_all(&[0x7f, 0xff, 0xff, 0xff]).unwrap();
    assert_dropped_with(&server, me, "is too long");
    assert_still_serving(&mut server, CLIENT3, &[]);
}

/// The honest result for lesson 3: CTR has no integrity check, so a flipped
/// ciphertext byte is *accepted* and the server reads the attacker's text.
/// (Lesson 4 builds the attack on this; lesson 5 fixes it.)
#[test]
fn l3_flipped_ciphertext_is_accepted() {
    use tls::lesson03_ctr_channel::{NONCE_LEN as CTR_NONCE_LEN, SHARED_KEY, encrypt_with_nonce};
    let mut server = Server::start(SERVER3, &[]);
    let (mut stream, _me) = connect(&server);
    let mut payload = encrypt_with_nonce(SHARED_KEY, &[9; CTR_NONCE_LEN], b"amount=100");
    // '1' xor '9' turns the '1' into a '9', without the key.
    payload[CTR_NONCE_LEN + 7] ^= b'1' ^ b'9';
    stream.write_all(&frame(&payload)).unwrap();
    assert!(server.wait_stdout("amount=900", 1), "{}", server.stdout());
    assert!(!server.stderr().contains("dropped"), "{}", server.stderr());
    assert_still_serving(&mut server, CLIENT3, &[]);
}

/// Random bytes "decrypt" to random bytes: nothing is refused, nothing
/// crashes, and the server treats the garbage as a real message: it echoes
/// back exactly what the noise decrypts to under the shared key.
#[test]
fn l3_random_payload_is_accepted_as_garbage() {
    use tls::lesson03_ctr_channel::{SHARED_KEY, decrypt};
    let mut server = Server::start(SERVER3, &[]);
    let (mut stream, me) = connect(&server);
    let garbage = noise(64, 3);
    stream.write_all(&frame(&garbage)).unwrap();
    // The echo: one lesson 3 record (length, fresh nonce, ciphertext).
    let header = read_n(&mut stream, 4);
    let len = u32::from_be_bytes(header.try_into().unwrap()) as usize;
    let echo = read_n(&mut stream, len);
    // What the server believed it received is what it sent back.
    let believed = decrypt(SHARED_KEY, &garbage).unwrap();
    assert_eq!(decrypt(SHARED_KEY, &echo).unwrap(), believed);
    assert_eq!(
        believed.len(),
        64 - 16,
        "the nonce is not part of the message"
    );
    assert!(server.wait_stdout(&format!("[{me}] "), 1));
    assert!(!server.stderr().contains("dropped"), "{}", server.stderr());
    assert_still_serving(&mut server, CLIENT3, &[]);
}

#[test]
fn l3_peer_never_reads() {
    use tls::lesson03_ctr_channel::{NONCE_LEN as CTR_NONCE_LEN, SHARED_KEY, encrypt_with_nonce};
    let mut server = Server::start(SERVER3, &["--write-timeout", "1", "--quiet"]);
    let payload = encrypt_with_nonce(SHARED_KEY, &[1; CTR_NONCE_LEN], &[b'x'; 65536]);
    never_reads(&server, &frame(&payload));
    assert_still_serving(&mut server, CLIENT3, &[]);
}
