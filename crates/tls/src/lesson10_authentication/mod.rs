//! Lesson 10: authentication. The server signs the handshake, and Mallory's
//! man in the middle is caught.
//!
//! ```text
//! client                                             server
//!   | -- client_pub ---------------------------------> |   lesson 7: X25519
//!   | <--------------------------------- server_pub -- |
//!   | <-- Ed25519 signature over client_pub||server_pub |   lesson 10
//!   |   client: verify with the server key it trusts      (or refuse)
//!   |        keys = HKDF split of the shared secret       lesson 8
//!   | -- len || nonce || ChaCha20Poly1305(c2s) ------> |   lesson 9 records
//!   | <--- len || nonce || ChaCha20Poly1305(s2c) ----- |
//! ```
//!
//! Lesson 9 kept Eve out but not Mallory: nothing told the client whose
//! X25519 key it had received, so Mallory ran one handshake with each side.
//! Here the server owns a long-term Ed25519 key pair. The client is given
//! the public half in advance, and the server proves it holds the secret
//! half by signing the two public keys of *this* handshake.
//!
//! - [`identity`]: the key pair: signing, verifying, and the public key
//!   the client trusts (hex or a file).
//! - [`key_file`]: the two files it is kept in: the secret key file (mode
//!   0600, never overwritten) and the public key file, read with care.
//! - [`handshake`]: lesson 7's exchange, then `<- signature`, checked with
//!   `verify_strict`, then lesson 8's split.
//! - [`channel`]: the handshake plus lesson 9's reader and writer halves.
//!
//! The whole handshake, over loopback:
//!
//! ```
//! use std::net::{TcpListener, TcpStream};
//! use tls::lesson10_authentication::handshake::{client_handshake, server_handshake};
//! use tls::lesson10_authentication::identity::ServerIdentity;
//!
//! let identity = ServerIdentity::generate().unwrap();
//! let trusted = identity.public_key(); // what `10-genkey` prints
//!
//! let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//! let addr = listener.local_addr().unwrap();
//! let server = std::thread::spawn(move || {
//!     let (mut stream, _) = listener.accept().unwrap();
//!     server_handshake(&mut stream, &identity).unwrap()
//! });
//! let mut stream = TcpStream::connect(addr).unwrap();
//! let at_client = client_handshake(&mut stream, &trusted).unwrap();
//! let at_server = server.join().unwrap();
//! assert_eq!(at_client.keys.c2s(), at_server.keys.c2s());
//! ```
//!
//! Still missing: the client must already know the server's key; nothing
//! says who the *client* is; with random nonces a record can be replayed;
//! a connection cut between records looks like a goodbye. Lesson 11 (real
//! TLS 1.3) answers the first and the last with certificates and
//! `close_notify`.

pub mod channel;
pub mod handshake;
pub mod identity;
pub mod key_file;
