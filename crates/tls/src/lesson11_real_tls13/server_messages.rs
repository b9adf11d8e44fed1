//! The server's handshake messages, both Finished messages, and the two
//! post-handshake messages a client meets (RFC 8446 4.1.3, 4.3, 4.4, 4.6).
//!
//! ```text
//! ServerHello          legacy_version 0x0303 | random (32) | session id echo <0..32>
//!                      | cipher_suite (u16) | compression 0 | extensions:
//!                        supported_versions [0x0304], key_share { x25519, 32 bytes }
//! EncryptedExtensions  extensions <0..2^16-1>          (ours is empty)
//! Certificate          request_context <0..255> (empty)
//!                      | certificate_list <0..2^24-1> of { cert_data <1..2^24-1>,
//!                                                          extensions <0..2^16-1> }
//! CertificateVerify    scheme (u16 0x0807) | signature <0..2^16-1> (64 bytes)
//! Finished             verify_data (32 bytes, no length prefix)
//! KeyUpdate            request_update (u8: 0 or 1)
//! ```
//!
//! Only ServerHello travels in the clear; everything after it is encrypted
//! under the handshake keys, which is why the certificate (and so who the
//! client is talking to) is hidden from Eve in TLS 1.3.

use super::alert::TlsError;
use super::codec::{
    Prefix, Reader, extensions, handshake_message, put_extension, put_u16, put_vec,
};
use super::{
    CIPHER_SUITE, ED25519_SIGNATURE_LEN, GROUP_X25519, HASH_LEN, LEGACY_VERSION, RANDOM_LEN,
    SIGNATURE_ED25519, TLS13, X25519_KEY_LEN, extension, handshake_type,
};

/// The random of a HelloRetryRequest: SHA-256("HelloRetryRequest"). An HRR
/// is a ServerHello carrying this random (RFC 8446 4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; RANDOM_LEN] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// What the client takes from a ServerHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// The server's random.
    pub random: [u8; RANDOM_LEN],
    /// legacy_session_id_echo: must equal what the client sent.
    pub session_id: Vec<u8>,
    /// The server's X25519 public key.
    pub x25519_public: [u8; X25519_KEY_LEN],
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
    /// Parses and checks a ServerHello body against the offer we made.
    pub fn parse(body: &[u8]) -> Result<ServerHello, TlsError> {
        let mut r = Reader::new(body, "ServerHello");
        let legacy_version = r.u16()?;
        let random: [u8; RANDOM_LEN] = r.array()?;
        if random == HELLO_RETRY_REQUEST_RANDOM {
            return Err(TlsError::Unsupported("a HelloRetryRequest"));
        }
        let session_id = r.vec_u8()?.rest().to_vec();
        let cipher_suite = r.u16()?;
        let compression = r.u8()?;
        // A server without extensions is an old TLS server; say so before
        // complaining about anything else.
        let extensions = if r.is_empty() {
            Vec::new()
        } else {
            extensions(r.vec_u16()?)?
        };
        r.finish()?;
        let version = extensions
            .iter()
            .find(|(t, _)| *t == extension::SUPPORTED_VERSIONS);
        let Some((_, version)) = version else {
            return Err(TlsError::NoTls13);
        };
        if *version != TLS13.to_be_bytes() || legacy_version != LEGACY_VERSION {
            return Err(TlsError::NoTls13);
        }
        if cipher_suite != CIPHER_SUITE {
            return Err(TlsError::IllegalParameter(
                "server chose a cipher suite we did not offer",
            ));
        }
        if compression != 0 {
            return Err(TlsError::IllegalParameter("server chose compression"));
        }
        let mut x25519_public = None;
        for (extension_type, data) in extensions {
            let mut r = Reader::new(data, "ServerHello key_share");
            match extension_type {
                extension::SUPPORTED_VERSIONS => {}
                extension::KEY_SHARE => {
                    if r.u16()? != GROUP_X25519 {
                        return Err(TlsError::IllegalParameter(
                            "server chose a group we did not offer",
                        ));
                    }
                    let mut key = r.vec_u16()?;
                    x25519_public = Some(key.array()?);
                    key.finish()?;
                    r.finish()?;
                }
                // We sent no pre_shared_key, so the server may not pick one;
                // any other extension was never asked for.
                other => return Err(TlsError::UnsupportedExtension(other)),
            }
        }
        Ok(ServerHello {
            random,
            session_id,
            x25519_public: x25519_public.ok_or(TlsError::MissingExtension("key_share"))?,
        })
    }
}

/// Our EncryptedExtensions: nothing to say, so an empty list.
pub fn encode_encrypted_extensions() -> Vec<u8> {
    handshake_message(handshake_type::ENCRYPTED_EXTENSIONS, |m| {
        put_vec(m, Prefix::U16, |_| {});
    })
}

/// Checks a server's EncryptedExtensions: it may acknowledge our
/// server_name (with empty data) and list its groups; it may not answer an
/// extension we never sent.
pub fn parse_encrypted_extensions(body: &[u8]) -> Result<(), TlsError> {
    let mut r = Reader::new(body, "EncryptedExtensions");
    let list = extensions(r.vec_u16()?)?;
    r.finish()?;
    for (extension_type, _) in list {
        match extension_type {
            extension::SERVER_NAME | extension::SUPPORTED_GROUPS => {}
            other => return Err(TlsError::UnsupportedExtension(other)),
        }
    }
    Ok(())
}

/// Our Certificate: the chain (DER certificates, end entity first), each
/// with no extensions, and an empty request context.
pub fn encode_certificate(chain: &[Vec<u8>]) -> Vec<u8> {
    handshake_message(handshake_type::CERTIFICATE, |m| {
        put_vec(m, Prefix::U8, |_| {});
        put_vec(m, Prefix::U24, |list| {
            for der in chain {
                put_vec(list, Prefix::U24, |c| c.extend_from_slice(der));
                put_vec(list, Prefix::U16, |_| {});
            }
        });
    })
}

/// The DER certificates of a server's Certificate message, end entity first.
pub fn parse_certificate(body: &[u8]) -> Result<Vec<Vec<u8>>, TlsError> {
    let mut r = Reader::new(body, "Certificate");
    if !r.vec_u8()?.is_empty() {
        return Err(TlsError::IllegalParameter(
            "server Certificate has a request context",
        ));
    }
    let mut list = r.vec_u24()?;
    r.finish()?;
    let mut chain = Vec::new();
    while !list.is_empty() {
        let der = list.vec_u24()?.rest();
        if der.is_empty() {
            return Err(TlsError::Decode("Certificate (empty certificate)"));
        }
        // We asked for no OCSP or SCT, so entries must carry no extensions.
        if let Some((other, _)) = extensions(list.vec_u16()?)?.first() {
            return Err(TlsError::UnsupportedExtension(*other));
        }
        chain.push(der.to_vec());
    }
    // An empty chain is a decode_error (RFC 8446 4.4.2.4).
    if chain.is_empty() {
        return Err(TlsError::Decode("Certificate (no certificates)"));
    }
    Ok(chain)
}

/// What CertificateVerify signs (RFC 8446 4.4.3): 64 spaces, a context
/// string, a zero byte, then the transcript hash up to the Certificate.
///
/// ```text
/// 0x20 * 64 || "TLS 1.3, server CertificateVerify" || 0x00 || Transcript-Hash(CH..Certificate)
/// ```
///
/// The spaces make the signed bytes useless as a TLS 1.2 signature, and the
/// context string makes a server's signature useless as a client's.
pub fn certificate_verify_content(transcript_hash: &[u8; HASH_LEN]) -> Vec<u8> {
    let mut content = vec![0x20; 64];
    content.extend_from_slice(b"TLS 1.3, server CertificateVerify");
    content.push(0);
    content.extend_from_slice(transcript_hash);
    content
}

/// Our CertificateVerify: ed25519 and the 64-byte signature.
pub fn encode_certificate_verify(signature: &[u8; ED25519_SIGNATURE_LEN]) -> Vec<u8> {
    handshake_message(handshake_type::CERTIFICATE_VERIFY, |m| {
        put_u16(m, SIGNATURE_ED25519);
        put_vec(m, Prefix::U16, |s| s.extend_from_slice(signature));
    })
}

/// The signature of a CertificateVerify, which must use ed25519: the only
/// scheme we offered.
pub fn parse_certificate_verify(body: &[u8]) -> Result<[u8; ED25519_SIGNATURE_LEN], TlsError> {
    let mut r = Reader::new(body, "CertificateVerify");
    if r.u16()? != SIGNATURE_ED25519 {
        return Err(TlsError::IllegalParameter(
            "CertificateVerify scheme is not ed25519",
        ));
    }
    let mut signature = r.vec_u16()?;
    r.finish()?;
    let bytes = signature.array()?;
    signature.finish()?;
    Ok(bytes)
}

/// A Finished message: just the verify_data, no length prefix.
pub fn encode_finished(verify_data: &[u8; HASH_LEN]) -> Vec<u8> {
    handshake_message(handshake_type::FINISHED, |m| {
        m.extend_from_slice(verify_data)
    })
}

/// A KeyUpdate: `update_requested` asks the peer to update its keys too.
pub fn encode_key_update(update_requested: bool) -> Vec<u8> {
    handshake_message(handshake_type::KEY_UPDATE, |m| {
        m.push(u8::from(update_requested))
    })
}

/// Whether a KeyUpdate asks us to update our sending keys as well.
pub fn parse_key_update(body: &[u8]) -> Result<bool, TlsError> {
    match body {
        [0] => Ok(false),
        [1] => Ok(true),
        [_] => Err(TlsError::IllegalParameter("KeyUpdate value is not 0 or 1")),
        _ => Err(TlsError::Decode("KeyUpdate")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson11_real_tls13::codec::HANDSHAKE_HEADER_LEN;
    use sha2::{Digest, Sha256};

    fn body(message: &[u8]) -> &[u8] {
        &message[HANDSHAKE_HEADER_LEN..]
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
        assert_eq!(hello.x25519_public, [3; 32]);
        for cut in 0..body(&message).len() {
            assert!(
                ServerHello::parse(&body(&message)[..cut]).is_err(),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn a_retry_request_is_refused_by_name() {
        let message = encode_server_hello(&HELLO_RETRY_REQUEST_RANDOM, &[], &[3; 32]);
        let refused = ServerHello::parse(body(&message)).unwrap_err();
        assert!(
            refused.to_string().contains("HelloRetryRequest"),
            "{refused}"
        );
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
        assert_eq!(ServerHello::parse(body(&message)), Err(TlsError::NoTls13));
    }

    #[test]
    fn certificate_round_trips_and_an_empty_chain_is_refused() {
        let chain = vec![vec![0x30, 1, 2], vec![0x30, 3]];
        let message = encode_certificate(&chain);
        assert_eq!(parse_certificate(body(&message)).unwrap(), chain);
        let empty = encode_certificate(&[]);
        assert!(matches!(
            parse_certificate(body(&empty)),
            Err(TlsError::Decode(_))
        ));
    }

    #[test]
    fn certificate_verify_content_has_the_rfc_shape() {
        let content = certificate_verify_content(&[0xaa; 32]);
        assert_eq!(content.len(), 64 + 33 + 1 + 32);
        assert!(content[..64].iter().all(|&b| b == b' '));
        assert_eq!(&content[64..97], b"TLS 1.3, server CertificateVerify");
        assert_eq!(content[97], 0);
    }

    #[test]
    fn certificate_verify_must_be_ed25519_and_64_bytes() {
        let message = encode_certificate_verify(&[5; 64]);
        assert_eq!(parse_certificate_verify(body(&message)), Ok([5; 64]));
        let mut other_scheme = message.clone();
        other_scheme[HANDSHAKE_HEADER_LEN + 1] = 0x04; // 0x0804: rsa_pss
        assert!(matches!(
            parse_certificate_verify(body(&other_scheme)),
            Err(TlsError::IllegalParameter(_))
        ));
    }

    #[test]
    fn key_update_takes_exactly_zero_or_one() {
        assert_eq!(parse_key_update(body(&encode_key_update(true))), Ok(true));
        assert_eq!(parse_key_update(&[0]), Ok(false));
        assert!(matches!(
            parse_key_update(&[2]),
            Err(TlsError::IllegalParameter(_))
        ));
        assert!(matches!(parse_key_update(&[]), Err(TlsError::Decode(_))));
    }

    #[test]
    fn encrypted_extensions_refuse_what_we_never_asked_for() {
        assert_eq!(
            parse_encrypted_extensions(body(&encode_encrypted_extensions())),
            Ok(())
        );
        let mut with_alpn = Vec::new();
        put_vec(&mut with_alpn, Prefix::U16, |e| {
            put_extension(e, 16, |_| {})
        });
        assert_eq!(
            parse_encrypted_extensions(&with_alpn),
            Err(TlsError::UnsupportedExtension(16))
        );
    }
}
