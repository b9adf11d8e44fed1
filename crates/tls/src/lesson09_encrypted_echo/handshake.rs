//! The lesson 9 handshake: the lesson 7 exchange, then the lesson 8 split.
//!
//! ```text
//! client                                   server
//!   | ---- client public key (32 bytes) ---> |   lesson 7
//!   | <--- server public key (32 bytes) ---- |
//!   keys = SessionKeys::derive(shared)           lesson 8
//! ```
//!
//! Nothing new is invented here: this file only composes the two earlier
//! lessons and keeps the public keys, which name the session in a key log.

use std::io::{Read, Write};

use crate::error::Result;
use crate::lesson07_key_exchange::{
    Exchange, Handshake, PUBLIC_KEY_LEN, client_exchange, server_exchange,
};
use crate::lesson08_key_split::SessionKeys;

/// What a finished handshake hands to the record layer.
#[derive(Debug)]
pub struct Session {
    /// The traffic keys, one per direction.
    pub keys: SessionKeys,
    /// The client's public key, as sent on the wire. It names the session in
    /// a key log.
    pub client_public: [u8; PUBLIC_KEY_LEN],
    /// The server's public key, as sent on the wire.
    pub server_public: [u8; PUBLIC_KEY_LEN],
}

impl Session {
    /// Derives the session's keys from a finished exchange. The shared
    /// secret is wiped when `exchange` is dropped, here.
    pub fn from_exchange(exchange: Exchange) -> Session {
        Session {
            keys: SessionKeys::derive(exchange.shared.as_bytes()),
            client_public: exchange.client_public,
            server_public: exchange.server_public,
        }
    }
}

/// Runs the client side with a fresh key: send first, then read.
pub fn client_handshake<S: Read + Write>(stream: &mut S) -> Result<Session> {
    client_handshake_with(stream, Handshake::new())
}

/// The client side with a key the caller made (tests fix it).
pub fn client_handshake_with<S: Read + Write>(stream: &mut S, ours: Handshake) -> Result<Session> {
    Ok(Session::from_exchange(client_exchange(stream, ours)?))
}

/// Runs the server side with a fresh key: read first, then answer.
pub fn server_handshake<S: Read + Write>(stream: &mut S) -> Result<Session> {
    server_handshake_with(stream, Handshake::new())
}

/// The server side with a key the caller made (tests fix it).
pub fn server_handshake_with<S: Read + Write>(stream: &mut S, ours: Handshake) -> Result<Session> {
    Ok(Session::from_exchange(server_exchange(stream, ours)?))
}
