//! Key hygiene: secrets are wiped when dropped and never printed.
//!
//! Wiping is checked at compile time: each type that holds a secret must
//! implement `ZeroizeOnDrop`, the marker the `zeroize` crate gives types
//! whose `Drop` overwrites their bytes. If a dependency's `zeroize` feature
//! were switched off, or a new secret type forgot it, this file would stop
//! compiling.
//!
//! Printing is checked by formatting every value that carries a key with
//! `{:?}` and looking for the key's bytes in any spelling.

use chacha20poly1305::ChaCha20Poly1305;
use x25519_dalek::{EphemeralSecret, SharedSecret, StaticSecret};
use zeroize::ZeroizeOnDrop;

use tls::lesson07_key_exchange::Handshake;
use tls::lesson08_key_split::SessionKeys;
use tls::lesson09_encrypted_echo::handshake::{Session, client_handshake, server_handshake};

/// Compiles only for types that wipe themselves on drop.
fn wiped_on_drop<T: ZeroizeOnDrop>() {}

#[test]
fn every_secret_type_is_wiped_on_drop() {
    // The two traffic keys (lesson 8).
    wiped_on_drop::<SessionKeys>();
    // The ephemeral X25519 secret, the fixed one known-answer tests use, and
    // the raw shared secret (lesson 7); x25519-dalek's default `zeroize`
    // feature provides these.
    wiped_on_drop::<EphemeralSecret>();
    wiped_on_drop::<StaticSecret>();
    wiped_on_drop::<SharedSecret>();
    // The AEAD's copy of the key inside each reader and writer
    // (chacha20poly1305's `zeroize` feature, on in Cargo.toml).
    wiped_on_drop::<ChaCha20Poly1305>();
}

/// Every way `bytes` might show up in text: hex, either case, and Rust's
/// `Debug` of the array.
fn spellings(bytes: &[u8; 32]) -> Vec<String> {
    let lower = tls::hex(bytes);
    vec![lower.to_uppercase(), format!("{bytes:?}"), lower]
}

fn assert_hidden(shown: &str, keys: &SessionKeys) {
    for key in [keys.c2s(), keys.s2c()] {
        for spelling in spellings(key) {
            assert!(!shown.contains(&spelling), "key bytes printed in {shown}");
        }
        // Even a fragment: the first eight bytes in hex.
        assert!(!shown.contains(&tls::hex(&key[..8])), "{shown}");
    }
}

/// A real handshake over loopback, so the keys are real ones.
fn session_pair() -> (Session, Session) {
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        server_handshake(&mut stream).unwrap()
    });
    let mut stream = TcpStream::connect(addr).unwrap();
    let client = client_handshake(&mut stream).unwrap();
    (client, server.join().unwrap())
}

#[test]
fn debug_output_carries_no_key_material() {
    let (client, server) = session_pair();
    assert_eq!(client.keys.c2s(), server.keys.c2s());
    // The keys on their own, and inside the session.
    assert_eq!(format!("{:?}", client.keys), "SessionKeys { .. }");
    assert_hidden(&format!("{client:?}"), &client.keys);
    assert_hidden(&format!("{server:#?}"), &server.keys);
    // The session does show the public keys, byte for byte: they are
    // public, and they name the session in a key log.
    let shown = format!("{client:?}");
    assert!(
        shown.contains(&format!("{:?}", client.client_public)),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("{:?}", client.server_public)),
        "{shown}"
    );
}

#[test]
fn a_handshake_in_progress_shows_only_its_public_key() {
    let handshake = Handshake::new();
    let public = handshake.public_key();
    let shown = format!("{handshake:?}");
    assert!(shown.contains(&format!("{public:?}")), "{shown}");
    assert!(!shown.contains("secret"), "{shown}");
}
