//! The lesson 10 channel: the signed handshake, then lesson 9's records.
//!
//! ```text
//! client                                           server
//!   | -- client_pub ------------------------------> |   handshake.rs
//!   | <------------------------------ server_pub -- |
//!   | <------------------------------- signature -- |
//!   | -- len || nonce || ChaCha20Poly1305(c2s) ---> |   lesson 9 records,
//!   | <--- len || nonce || ChaCha20Poly1305(s2c) -- |   unchanged
//! ```
//!
//! Only the handshake is new. Once it has succeeded, the two halves are
//! exactly lesson 9's: the same record layer, the same nonce modes, the
//! same key per direction. Authentication does not change how a record is
//! protected, only who we know is holding the other key.

use crate::error::Result;
use crate::lesson08_key_split::Role;
use crate::lesson09_encrypted_echo::channel::{SecureWriter, SocketReader, halves};
use crate::lesson09_encrypted_echo::handshake::Session;
use crate::lesson09_encrypted_echo::nonce::NonceMode;
use crate::lesson10_authentication::handshake;
use crate::lesson10_authentication::identity::{ServerIdentity, ServerPublicKey};
use crate::runtime::socket::Socket;

/// The client: runs the signed handshake on `socket`, checking the server's
/// signature against `trusted`, then builds lesson 9's two halves.
///
/// Fails with [`Error::BadSignature`](crate::Error::BadSignature) if the
/// server (or someone in its place) cannot prove it holds the secret key
/// behind `trusted`; not one record has been sent by then. Each read is
/// bounded by the client's `--timeout` (set by the runtime): a lesson 9
/// server sends its key and then waits for records, so without it the
/// client would wait forever for a signature that is never coming.
pub fn connect(
    mut socket: Socket,
    trusted: &ServerPublicKey,
    mode: NonceMode,
) -> Result<(SocketReader, SecureWriter<Socket>, Session)> {
    let session = handshake::client_handshake(&mut socket, trusted)?;
    let (reader, writer) = halves(socket, &session, Role::Client, mode);
    Ok((reader, writer, session))
}

/// The server: answers the handshake on `socket` and signs it with
/// `identity`, then builds lesson 9's two halves. (The runtime bounds the
/// whole handshake with `--handshake-timeout`.)
pub fn accept(
    mut socket: Socket,
    identity: &ServerIdentity,
    mode: NonceMode,
) -> Result<(SocketReader, SecureWriter<Socket>, Session)> {
    let session = handshake::server_handshake(&mut socket, identity)?;
    let (reader, writer) = halves(socket, &session, Role::Server, mode);
    Ok((reader, writer, session))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::runtime::message::{MessageReader, MessageWriter};
    use std::net::{TcpListener, TcpStream};
    use std::thread;

    /// One connection over loopback: the server half runs on a thread.
    fn run(
        identity: ServerIdentity,
        trusted: ServerPublicKey,
    ) -> (Result<Vec<u8>>, Result<Option<Vec<u8>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || -> Result<Option<Vec<u8>>> {
            let (stream, _) = listener.accept()?;
            let (mut reader, mut writer, _) =
                accept(Socket::new(stream), &identity, NonceMode::Counter)?;
            let Some(message) = reader.read_message()? else {
                return Ok(None);
            };
            let message = message.to_vec();
            writer.write_message(&message)?;
            Ok(Some(message))
        });
        let client = (|| -> Result<Vec<u8>> {
            let stream = TcpStream::connect(addr)?;
            let (mut reader, mut writer, _) =
                connect(Socket::new(stream), &trusted, NonceMode::Counter)?;
            writer.write_message(b"amount=100")?;
            Ok(reader.read_message()?.unwrap_or_default().to_vec())
        })();
        (client, server.join().unwrap())
    }

    #[test]
    fn trusted_server_echoes() {
        let identity = ServerIdentity::generate().unwrap();
        let trusted = identity.public_key();
        let (client, server) = run(identity, trusted);
        assert_eq!(client.unwrap(), b"amount=100");
        assert_eq!(server.unwrap().unwrap(), b"amount=100");
    }

    #[test]
    fn untrusted_server_hears_nothing() {
        let identity = ServerIdentity::generate().unwrap();
        let someone_else = ServerIdentity::generate().unwrap().public_key();
        let (client, server) = run(identity, someone_else);
        assert!(matches!(client, Err(Error::BadSignature)));
        // The client hung up without sending a record: a clean close.
        assert_eq!(server.unwrap(), None);
    }
}
