//! `mitm` on lesson 10: Mallory tries lesson 9's trick and is caught.
//!
//! ```text
//! client --(client_pub)-----------> mallory --(mallory_pub_2)--------> server
//! client <--(mallory_pub_1)-------- mallory <--(server_pub)----------- server
//! client <--(a signature: whose?)-- mallory <--(sig over mallory_pub_2
//!                                                 || server_pub)------- server
//! client: verify(server key, client_pub || mallory_pub_1, sig) -> FAILS
//! ```
//!
//! The handshakes go exactly as on lesson 9, up to the last message. The
//! client now wants a signature by the *server's* key over the two keys it
//! saw, `client_pub || mallory_pub_1`. Mallory has two things to offer, and
//! `--signature` picks one:
//!
//! - `own`: she signs those exact bytes with a throwaway key of her own. The
//!   signature is perfectly valid, under a key the client does not trust.
//! - `forward`: she passes on the real server's signature. It is genuine,
//!   made with the right key, but over `mallory_pub_2 || server_pub`: the
//!   keys of *her* session with the server, not the client's.
//!
//! Either way the client refuses before sending a record, and Mallory has
//! nothing to read.
//!
//! The property tested is authentication, and it rests on two facts at
//! once: the signature is checked with a key the client had *before* the
//! connection (so a key she sends proves nothing), and it covers the
//! public keys of *this* handshake (so a signature from another handshake,
//! even a real one, proves nothing here). Drop either and lesson 9's
//! attack is back.
//!
//! Mallory never gets a session with the client, so, unlike `mitm.rs`,
//! this file has no relay: it ends by watching how the client hangs up.

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;

use crate::error::Result;
use crate::lesson07_key_exchange::{Handshake, client_exchange, server_exchange};
use crate::lesson10_authentication::handshake::{read_signature, signed_message};
use crate::lesson10_authentication::identity::ServerIdentity;
use crate::tools::mallory::mitm::{ForgedSignature, HANDSHAKE_TIMEOUT};
use crate::tools::mallory::relay::report;
use crate::tools::proxy::Pair;
use crate::tools::sink::Sink;

/// Runs lesson 9's two handshakes against lesson 10 and reports how the
/// client took the signature she had to make up.
pub(super) fn mitm_signed(pair: &Pair, signature: ForgedSignature, log: &Sink) -> Result<()> {
    let id = pair.id;
    let (mut client, mut server) = (&pair.client, &pair.server);
    // A client that never sends its key must not hold this thread forever.
    // The server too: a lesson 9 server sends no signature, and without a
    // timeout `read_signature` would wait for one as long as it stays up.
    pair.client.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    pair.server.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;

    // client -> mallory: client_pub; mallory -> client: HER key, not the server's.
    // Lesson 7's bare exchange, not lesson 10's server handshake: that one
    // would sign with a server identity, which is exactly what she lacks.
    let with_client = server_exchange(&mut client, Handshake::new())?;
    // mallory -> server: HER key; server -> mallory: server_pub, signature.
    let with_server = client_exchange(&mut server, Handshake::new())?;
    // 64 bytes of Ed25519, straight after the server's key. She cannot
    // re-aim it at other bytes: a signature over a new message needs the
    // server's secret key, which never leaves the server.
    let servers_signature = read_signature(&mut server)?;

    // What the client will check: client_pub || mallory_pub_1, by the server.
    // The client computes these same 64 bytes from what it sent and what
    // it received, so they are fixed before she chooses any signature.
    let wanted = signed_message(&with_client.client_public, &with_client.server_public);
    let (signature, how) = match signature {
        // Right message, wrong key: the client verifies with the server's
        // public key, and this signature only verifies under hers.
        ForgedSignature::Own => {
            let throwaway = ServerIdentity::generate()?;
            (
                throwaway.sign(&wanted),
                format!(
                    "a valid signature by a throwaway key of mine ({}), not by the server's key",
                    throwaway.public_key()
                ),
            )
        }
        // Right key, wrong message: genuine, but over `mallory_pub_2 ||
        // server_pub`, while the client checks `client_pub || mallory_pub_1`.
        ForgedSignature::Forward => (
            servers_signature,
            "the server's own signature, but it covers my second key and the server's \
             (my session with the server), not the client's two keys"
                .to_string(),
        ),
    };
    // <- "signature" (lesson 10), the best she has.
    client.write_all(&signature)?;
    client.flush()?;
    report(
        log,
        format!(
            "#{id} handshake with the client: client key {}; I answered with my key {}\n\
         #{id} handshake with the server: I sent my second key {}; server key {},\n\
         #{id}   and the server's signature over those two\n\
         #{id} lesson 10: the client wants the SERVER's signature over the client's key || my first key,\n\
         #{id}   and I do not have the server's secret key. I sent {how}",
            crate::hex(&with_client.client_public),
            crate::hex(&with_client.server_public),
            crate::hex(&with_server.client_public),
            crate::hex(&with_server.server_public),
        ),
    );

    // The server gets nothing from her: she never got a session with the
    // client to relay from.
    // Closing it now means the server sees a handshake and then a
    // hang-up, never a record.
    let _ = pair.server.shutdown(Shutdown::Both);
    report(log, format!("#{id} {}", client_verdict(&pair.client)));
    let _ = pair.client.shutdown(Shutdown::Both);
    Ok(())
}

/// What the client did after the made-up signature: a client that checks
/// hangs up at once; one that sends a record did not check at all.
// One byte is enough to tell: a refusing client sends nothing at all, and
// a client that skipped the check sends its first record. The handshake
// timeout set above still bounds this read.
fn client_verdict(mut client: &std::net::TcpStream) -> &'static str {
    let mut byte = [0u8; 1];
    match client.read(&mut byte) {
        // A clean end of stream: the client read the signature, found it
        // bad, and closed.
        Ok(0) => {
            "the client hung up without sending a record: it REFUSED my signature. \
             I read nothing, and the server heard nothing."
        }
        Ok(_) => {
            "the client sent a record anyway: it never checked the signature \
             (a lesson 9 client?)"
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            "the client went quiet after my signature; giving up"
        }
        // A reset is a refusal too: a client that closes with unread bytes
        // in its socket, or that aborts, makes the kernel send RST.
        Err(_) => {
            "the client reset the connection without sending a record: it REFUSED my \
             signature. I read nothing, and the server heard nothing."
        }
    }
}
