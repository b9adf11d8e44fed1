//! The ServerHello (RFC 8446 4.1.3): the server's answer to the offer, and
//! the last handshake message that travels in the clear.
//!
//! ```text
//! legacy_version           u16       0x0303, frozen at "TLS 1.2"
//! random                   32 bytes  fresh; SHA-256("HelloRetryRequest") in a retry
//! legacy_session_id_echo   <0..32>   the client's session id, byte for byte
//! cipher_suite             u16       one of the client's suites
//! legacy_compression       u8        0
//! extensions               <6..2^16-1> each: type (u16) || data <0..2^16-1>
//!   supported_versions (43)   one u16, not a list: 0x0304 is TLS 1.3
//!   key_share (51)            one KeyShareEntry: { group, key_exchange }
//! ```
//!
//! Reading one takes two steps, as the ClientHello does. [`ServerHello::parse`]
//! takes the bytes apart and refuses only what no ServerHello may be:
//! lengths that do not add up, an extension twice. [`ServerHello::accept`]
//! then holds the answer against our one offer and names the promise the
//! server broke: a suite, a group or an extension we never offered, a
//! version that is not TLS 1.3, a session id that is not ours. Parsing
//! judges nothing, so a test can build any answer and read it back.

use super::codec::{
    Prefix, Reader, extensions, handshake_message, put_extension, put_u16, put_vec,
};
use super::tls_error::TlsError;
use super::{
    CIPHER_SUITE, GROUP_X25519, LEGACY_VERSION, RANDOM_LEN, TLS13, X25519_KEY_LEN, extension,
    handshake_type,
};

/// The random of a HelloRetryRequest: SHA-256("HelloRetryRequest"). An HRR
/// is a ServerHello carrying this random (RFC 8446 4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; RANDOM_LEN] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// What a ServerHello says, field by field, before anyone has judged it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// legacy_version: 0x0303 from any TLS 1.3 server.
    pub legacy_version: u16,
    /// The server's random.
    pub random: [u8; RANDOM_LEN],
    /// legacy_session_id_echo: must equal what the client sent.
    pub session_id: Vec<u8>,
    /// The cipher suite the server picked.
    pub cipher_suite: u16,
    /// legacy_compression_method: 0 (none) in TLS 1.3.
    pub compression: u8,
    /// The version supported_versions names, if it was sent as the single
    /// u16 a ServerHello carries.
    pub selected_version: Option<u16>,
    /// key_share: the group and the server's public key, if sent. In a
    /// HelloRetryRequest the extension should hold the group alone, so the
    /// key is empty (or whatever bytes followed the group, unread).
    pub key_share: Option<(u16, Vec<u8>)>,
    /// The types of every other extension, in the order they came.
    pub other_extensions: Vec<u16>,
}

/// Builds our ServerHello: our suite, TLS 1.3, our X25519 share.
pub fn encode_server_hello(
    random: &[u8; RANDOM_LEN],
    session_id: &[u8],
    x25519_public: &[u8; X25519_KEY_LEN],
) -> Vec<u8> {
    handshake_message(handshake_type::SERVER_HELLO, |m| {
        put_u16(m, LEGACY_VERSION);
        m.extend_from_slice(random);
        // The client's session id, echoed (at most 32 bytes: checked on read).
        put_vec(m, Prefix::U8, |v| v.extend_from_slice(session_id));
        put_u16(m, CIPHER_SUITE);
        m.push(0); // legacy_compression_method: null
        put_vec(m, Prefix::U16, |exts| {
            // In a ServerHello, supported_versions holds one version, no list.
            put_extension(exts, extension::SUPPORTED_VERSIONS, |e| put_u16(e, TLS13));
            // key_share holds one KeyShareEntry: our answer in the client's group.
            put_extension(exts, extension::KEY_SHARE, |e| {
                put_u16(e, GROUP_X25519);
                put_vec(e, Prefix::U16, |k| k.extend_from_slice(x25519_public));
            });
        });
    })
}

impl ServerHello {
    /// Parses a ServerHello body (after the 4-byte handshake header).
    ///
    /// Fails only on a malformed message (`decode_error`) or an extension
    /// that appears twice (`illegal_parameter`); whether the answer suits
    /// us is [`ServerHello::accept`]'s question.
    pub fn parse(body: &[u8]) -> Result<ServerHello, TlsError> {
        let mut r = Reader::new(body, "ServerHello");
        // Fields are read in the order written, so in wire order.
        let mut hello = ServerHello {
            legacy_version: r.u16()?,
            random: r.array()?,
            session_id: r.vec_u8()?.rest().to_vec(),
            cipher_suite: r.u16()?,
            compression: r.u8()?,
            ..ServerHello::default()
        };
        // A hello with no extensions at all is an old (TLS 1.2 or earlier)
        // server; `accept` says so.
        if r.is_empty() {
            return Ok(hello);
        }
        let extensions = extensions(r.vec_u16()?)?;
        r.finish()?;
        for (extension_type, data) in extensions {
            match extension_type {
                // Anything but one u16 names no version we could speak, and
                // `accept` refuses it exactly as it refuses a missing one.
                extension::SUPPORTED_VERSIONS => {
                    hello.selected_version = <[u8; 2]>::try_from(data).ok().map(u16::from_be_bytes);
                }
                extension::KEY_SHARE => {
                    let mut r = Reader::new(data, "ServerHello key_share");
                    let group = r.u16()?;
                    // A retry carries only the group it wants a share for
                    // (KeyShareHelloRetryRequest, RFC 8446 4.2.8). Whatever
                    // else one holds is kept unread: `accept` refuses any
                    // retry by name, whatever its key_share says.
                    let key = if hello.is_retry_request() {
                        r.rest().to_vec()
                    } else {
                        r.vec_u16()?.rest().to_vec()
                    };
                    r.finish()?;
                    hello.key_share = Some((group, key));
                }
                other => hello.other_extensions.push(other),
            }
        }
        Ok(hello)
    }

    /// Whether this is a HelloRetryRequest: a ServerHello that asks for a
    /// second ClientHello instead of answering the first.
    pub fn is_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    /// Checks the answer against the offer our client made (one suite, one
    /// group, TLS 1.3 only, the session id `sent`) and returns the server's
    /// X25519 public key, or the promise the server broke.
    pub fn accept(&self, sent: &[u8]) -> Result<[u8; X25519_KEY_LEN], TlsError> {
        // A retry would need a second ClientHello, which lesson 11 never
        // sends; say so before the retry's odd fields confuse anything else.
        if self.is_retry_request() {
            return Err(TlsError::Unsupported("a HelloRetryRequest"));
        }
        // supported_versions is the real negotiation (RFC 8446 4.2.1); the
        // legacy field must still say TLS 1.2. Either wrong: not TLS 1.3.
        if self.selected_version != Some(TLS13) || self.legacy_version != LEGACY_VERSION {
            return Err(TlsError::NoTls13);
        }
        // The server must pick from what we offered (RFC 8446 4.1.3), and we
        // offered one suite and no compression.
        if self.cipher_suite != CIPHER_SUITE {
            return Err(TlsError::IllegalParameter(
                "server chose a cipher suite we did not offer",
            ));
        }
        if self.compression != 0 {
            return Err(TlsError::IllegalParameter("server chose compression"));
        }
        // We sent no pre_shared_key, so the server may not pick one; any
        // other extension was never asked for.
        if let Some(&other) = self.other_extensions.first() {
            return Err(TlsError::UnsupportedExtension(other));
        }
        let (group, key) = self
            .key_share
            .as_ref()
            .ok_or(TlsError::MissingExtension("key_share"))?;
        if *group != GROUP_X25519 {
            return Err(TlsError::IllegalParameter(
                "server chose a group we did not offer",
            ));
        }
        // An X25519 key_exchange is exactly 32 bytes (RFC 8446 4.2.8.2).
        let key = <[u8; X25519_KEY_LEN]>::try_from(key.as_slice())
            .map_err(|_| TlsError::Decode("ServerHello key_share"))?;
        // The echo proves the answer is to our hello (RFC 8446 4.1.3).
        if self.session_id != sent {
            return Err(TlsError::IllegalParameter("session id echo does not match"));
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson11_real_tls13::alert::AlertDescription;
    use crate::lesson11_real_tls13::codec::HANDSHAKE_HEADER_LEN;
    use sha2::{Digest, Sha256};

    fn body(message: &[u8]) -> &[u8] {
        &message[HANDSHAKE_HEADER_LEN..]
    }

    fn ours() -> ServerHello {
        let message = encode_server_hello(&[1; 32], &[], &[3; 32]);
        ServerHello::parse(body(&message)).unwrap()
    }

    #[test]
    fn hello_retry_request_random_is_the_hash_of_its_name() {
        let hash: [u8; 32] = Sha256::digest(b"HelloRetryRequest").into();
        assert_eq!(hash, HELLO_RETRY_REQUEST_RANDOM);
    }

    #[test]
    fn server_hello_round_trips_and_cuts_fail() {
        let message = encode_server_hello(&[1; 32], &[2; 32], &[3; 32]);
        let hello = ServerHello::parse(body(&message)).unwrap();
        assert_eq!(hello.random, [1; 32]);
        assert_eq!(hello.session_id, [2; 32]);
        assert_eq!(hello.accept(&[2; 32]), Ok([3; 32]));
        for cut in 0..body(&message).len() {
            // One cut (right after the compression method) is a complete
            // hello without extensions: it parses, and is then refused as
            // not TLS 1.3.
            let outcome =
                ServerHello::parse(&body(&message)[..cut]).and_then(|h| h.accept(&[2; 32]));
            assert!(outcome.is_err(), "cut {cut}");
        }
    }

    #[test]
    fn a_retry_request_is_refused_by_name() {
        let message = encode_server_hello(&HELLO_RETRY_REQUEST_RANDOM, &[], &[3; 32]);
        let refused = ServerHello::parse(body(&message))
            .and_then(|h| h.accept(&[]))
            .unwrap_err();
        assert!(
            refused.to_string().contains("HelloRetryRequest"),
            "{refused}"
        );
        // A real retry's key_share is the group alone (4.2.8): it parses.
        let message = handshake_message(handshake_type::SERVER_HELLO, |m| {
            put_u16(m, LEGACY_VERSION);
            m.extend_from_slice(&HELLO_RETRY_REQUEST_RANDOM);
            put_vec(m, Prefix::U8, |_| {});
            put_u16(m, CIPHER_SUITE);
            m.push(0);
            put_vec(m, Prefix::U16, |exts| {
                put_extension(exts, extension::SUPPORTED_VERSIONS, |e| put_u16(e, TLS13));
                put_extension(exts, extension::KEY_SHARE, |e| put_u16(e, 0x0017));
            });
        });
        let retry = ServerHello::parse(body(&message)).unwrap();
        assert!(retry.is_retry_request());
        assert_eq!(retry.key_share, Some((0x0017, Vec::new())));
        assert!(matches!(retry.accept(&[]), Err(TlsError::Unsupported(_))));
    }

    #[test]
    fn a_tls12_server_hello_is_a_version_failure() {
        // Legacy fields only, no supported_versions: TLS 1.2 talking.
        let message = handshake_message(handshake_type::SERVER_HELLO, |m| {
            put_u16(m, 0x0303);
            m.extend_from_slice(&[1; 32]);
            put_vec(m, Prefix::U8, |_| {});
            put_u16(m, 0xc02f);
            m.push(0);
        });
        let hello = ServerHello::parse(body(&message)).unwrap();
        assert_eq!(hello.selected_version, None);
        assert_eq!(hello.accept(&[]), Err(TlsError::NoTls13));
    }

    #[test]
    fn each_broken_promise_is_named_with_its_alert() {
        let alert = |hello: ServerHello| hello.accept(&[]).unwrap_err().alert();
        assert_eq!(ours().accept(&[]), Ok([3; 32]));

        let mut hello = ours();
        hello.selected_version = Some(0x0303);
        assert_eq!(alert(hello), Some(AlertDescription::PROTOCOL_VERSION));

        let mut hello = ours();
        hello.cipher_suite = 0x1301;
        assert_eq!(alert(hello), Some(AlertDescription::ILLEGAL_PARAMETER));

        let mut hello = ours();
        hello.compression = 1;
        assert_eq!(alert(hello), Some(AlertDescription::ILLEGAL_PARAMETER));

        let mut hello = ours();
        hello.other_extensions.push(extension::PRE_SHARED_KEY);
        assert_eq!(alert(hello), Some(AlertDescription::UNSUPPORTED_EXTENSION));

        let mut hello = ours();
        hello.key_share = None;
        assert_eq!(alert(hello), Some(AlertDescription::MISSING_EXTENSION));

        let mut hello = ours();
        hello.key_share = Some((0x0017, vec![4; 65]));
        assert_eq!(alert(hello), Some(AlertDescription::ILLEGAL_PARAMETER));

        let mut hello = ours();
        hello.key_share = Some((GROUP_X25519, vec![3; 31]));
        assert_eq!(alert(hello), Some(AlertDescription::DECODE_ERROR));

        // We sent an empty session id; an echo of anything else is not ours.
        let mut hello = ours();
        hello.session_id = vec![5; 32];
        assert_eq!(alert(hello), Some(AlertDescription::ILLEGAL_PARAMETER));
    }
}
