//! The server's encrypted handshake messages, both Finished messages, and
//! the two post-handshake messages a client meets (RFC 8446 4.3, 4.4, 4.6).
//! The ServerHello, the server's one message in the clear, has its own file
//! (`server_hello.rs`).
//!
//! ```text
//! EncryptedExtensions  extensions <0..2^16-1>          (ours is empty)
//! Certificate          request_context <0..255> (empty)
//!                      | certificate_list <0..2^24-1> of { cert_data <1..2^24-1>,
//!                                                          extensions <0..2^16-1> }
//! CertificateVerify    scheme (u16 0x0807) | signature <0..2^16-1> (64 bytes)
//! Finished             verify_data (32 bytes, no length prefix)
//! KeyUpdate            request_update (u8: 0 or 1)
//! ```
//!
//! All of these travel encrypted, the handshake messages under the handshake
//! keys and KeyUpdate under the application keys. That is why the
//! certificate (and so who the client is talking to) is hidden from Eve in
//! TLS 1.3.

use super::codec::{Prefix, Reader, extensions, handshake_message, put_u16, put_vec};
use super::tls_error::TlsError;
use super::{ED25519_SIGNATURE_LEN, HASH_LEN, SIGNATURE_ED25519, extension, handshake_type};

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
    use crate::lesson11_real_tls13::codec::{HANDSHAKE_HEADER_LEN, put_extension};

    fn body(message: &[u8]) -> &[u8] {
        &message[HANDSHAKE_HEADER_LEN..]
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
