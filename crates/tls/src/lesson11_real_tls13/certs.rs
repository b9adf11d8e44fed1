//! Certificates: who the server is, and how the client decides to believe it.
//!
//! Lesson 10 pinned the server's Ed25519 key: the client had to be given
//! the exact 32 bytes in advance. A certificate moves that trust one step
//! up: a CA signs "this key belongs to `localhost`", and the client only
//! needs the CA's certificate. The chain and the name are checked by
//! rustls-webpki, a maintained path-validation library (X.509 parsing is
//! the one part of TLS this course does not write by hand). Everything
//! that ties the certificate to *this connection* is ours:
//!
//! ```text
//! webpki:  chain -> trust anchor from --ca, dates, serverAuth usage, name
//! ours:    the certificate's Ed25519 key (SubjectPublicKeyInfo, 44 bytes)
//!            --> checks CertificateVerify = Ed25519(transcript)   (lesson 10)
//! ```
//!
//! The server side either loads `--cert`/`--key` or, for a first run, makes
//! a throwaway CA and a `localhost` certificate with rcgen, writing the CA
//! certificate where the client (or curl) can find it.

use std::fs;
use std::path::Path;

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::tls_error::TlsError;
use super::{ED25519_SIGNATURE_LEN, MAX_HANDSHAKE_MESSAGE_LEN};
use crate::error::Result;

/// Where the throwaway CA certificate goes unless `--ca-out` says otherwise,
/// and where the client looks for it unless `--ca` says otherwise.
pub const DEFAULT_CA_FILE: &str = "lesson11-ca.pem";
/// The name the throwaway certificate is for, and the client's default
/// `--server-name`.
pub const DEFAULT_SERVER_NAME: &str = "localhost";

/// The DER prefix of every Ed25519 SubjectPublicKeyInfo (RFC 8410 4):
///
/// ```text
/// 30 2a                 SEQUENCE, 42 bytes
///    30 05              SEQUENCE, 5 bytes (AlgorithmIdentifier)
///       06 03 2b 65 70  OID 1.3.101.112 (id-Ed25519), no parameters
///    03 21 00           BIT STRING, 33 bytes, 0 unused bits
///       <32-byte public key>
/// ```
pub const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The 32-byte Ed25519 key inside a SubjectPublicKeyInfo, if it is exactly
/// the shape above; any other key type (RSA, ECDSA) is refused.
pub fn ed25519_key_from_spki(spki: &[u8]) -> std::result::Result<VerifyingKey, TlsError> {
    let key = spki
        .strip_prefix(&ED25519_SPKI_PREFIX)
        .and_then(|key| <&[u8; 32]>::try_from(key).ok())
        .ok_or(TlsError::NotEd25519Certificate)?;
    VerifyingKey::from_bytes(key).map_err(|_| TlsError::NotEd25519Certificate)
}

/// The public key of a certificate, which must be Ed25519.
fn certificate_key(der: &[u8]) -> std::result::Result<VerifyingKey, TlsError> {
    let der = CertificateDer::from(der);
    let cert = webpki::EndEntityCert::try_from(&der).map_err(TlsError::BadCertificate)?;
    ed25519_key_from_spki(&cert.subject_public_key_info())
}

/// The server's identity: its certificate chain and the matching key.
pub struct ServerIdentity {
    chain: Vec<Vec<u8>>,
    key: SigningKey,
}

impl ServerIdentity {
    /// Loads a PEM certificate chain (end entity first) and a PEM PKCS#8
    /// Ed25519 key, as rcgen or `openssl genpkey -algorithm ed25519` write.
    pub fn load(cert: &Path, key: &Path) -> Result<ServerIdentity> {
        let bad = |flag, path: &Path, reason: String| TlsError::BadFile {
            flag,
            path: path.display().to_string(),
            reason,
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| bad("--cert", cert, e.to_string()))?
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| bad("--cert", cert, e.to_string()))?;
        let Some(end_entity) = chain.first() else {
            return Err(bad("--cert", cert, "no CERTIFICATE in it".into()).into());
        };
        // The chain goes out in one Certificate message: keep it small
        // enough that building that message can never overflow.
        let total: usize = chain.iter().map(|c| c.len() + 5).sum();
        if total > MAX_HANDSHAKE_MESSAGE_LEN / 2 {
            return Err(bad(
                "--cert",
                cert,
                format!("chain of {total} bytes is too long"),
            )
            .into());
        }
        let public = certificate_key(end_entity)
            .map_err(|e| bad("--cert", cert, format!("first certificate: {e}")))?;
        let pem = fs::read_to_string(key).map_err(|e| bad("--key", key, e.to_string()))?;
        let key_pair = SigningKey::from_pkcs8_pem(&pem)
            .map_err(|e| bad("--key", key, format!("not a PKCS#8 Ed25519 key ({e})")))?;
        if key_pair.verifying_key() != public {
            return Err(bad("--key", key, "does not match the key in --cert".into()).into());
        }
        Ok(ServerIdentity {
            chain,
            key: key_pair,
        })
    }

    /// Makes a throwaway Ed25519 CA and, signed by it, an Ed25519 server
    /// certificate for `localhost` and 127.0.0.1. Returns the identity and
    /// the CA certificate as PEM (for the client's `--ca`).
    pub fn generate() -> Result<(ServerIdentity, String)> {
        let failed = |e: rcgen::Error| TlsError::BadFile {
            flag: "(generated)",
            path: "certificate".into(),
            reason: e.to_string(),
        };
        // The CA: may sign certificates, nothing else.
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(failed)?;
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        // A name of its own: a client holding an older throwaway CA then
        // hears "unknown issuer", not a puzzling signature failure.
        let mut tag = [0; 4];
        getrandom::fill(&mut tag).map_err(|e| crate::Error::Io(std::io::Error::other(e)))?;
        ca_params.distinguished_name =
            name(&format!("lesson 11 throwaway CA {}", crate::hex(&tag)));
        let ca_cert = ca_params.self_signed(&ca_key).map_err(failed)?;
        let issuer = rcgen::Issuer::new(ca_params, ca_key);

        // The server: localhost (a DNS name) and 127.0.0.1 (an IP name).
        let server_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(failed)?;
        let mut params =
            rcgen::CertificateParams::new(vec![DEFAULT_SERVER_NAME.into(), "127.0.0.1".into()])
                .map_err(failed)?;
        params.distinguished_name = name(DEFAULT_SERVER_NAME);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let server_cert = params.signed_by(&server_key, &issuer).map_err(failed)?;

        // The same key, now as ed25519-dalek's type: we sign with it ourselves.
        let key = SigningKey::from_pkcs8_der(server_key.serialized_der()).map_err(|e| {
            TlsError::BadFile {
                flag: "(generated)",
                path: "key".into(),
                reason: e.to_string(),
            }
        })?;
        let chain = vec![server_cert.der().to_vec()];
        Ok((ServerIdentity { chain, key }, ca_cert.pem()))
    }

    /// [`ServerIdentity::generate`], writing the CA certificate to `ca_out`.
    pub fn generate_into(ca_out: &Path) -> Result<ServerIdentity> {
        let (identity, ca_pem) = ServerIdentity::generate()?;
        fs::write(ca_out, ca_pem).map_err(|e| TlsError::BadFile {
            flag: "--ca-out",
            path: ca_out.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(identity)
    }

    /// The certificate chain, end entity first, as DER.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// Signs `message` with the certificate's key (lesson 10).
    pub fn sign(&self, message: &[u8]) -> [u8; ED25519_SIGNATURE_LEN] {
        self.key.sign(message).to_bytes()
    }
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("certificates", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// A distinguished name with just a common name.
fn name(common_name: &str) -> rcgen::DistinguishedName {
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, common_name);
    name
}

/// What the client trusts: the CA certificates from `--ca`, and the name
/// the server must prove (`--server-name`).
#[derive(Debug, Clone)]
pub struct ServerVerifier {
    anchors: Vec<CertificateDer<'static>>,
    server_name: ServerName<'static>,
}

impl ServerVerifier {
    /// Reads the CA certificates in `ca` (PEM) and checks now, not at the
    /// first connection, that each can serve as a trust anchor.
    pub fn load(ca: &Path, server_name: &str) -> Result<ServerVerifier> {
        let bad = |reason: String| TlsError::BadFile {
            flag: "--ca",
            path: ca.display().to_string(),
            reason,
        };
        let anchors = CertificateDer::pem_file_iter(ca)
            .map_err(|e| bad(e.to_string()))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| bad(e.to_string()))?;
        if anchors.is_empty() {
            return Err(bad("no CERTIFICATE in it (is this the CA file?)".into()).into());
        }
        // `new` names the CA by its subject; here the file's name is better.
        ServerVerifier::new(anchors, server_name).map_err(|e| match e {
            crate::Error::Tls(TlsError::BadFile {
                flag: "--ca",
                reason,
                ..
            }) => bad(reason).into(),
            other => other,
        })
    }

    /// Trusts `anchors` (DER) for servers named `server_name`.
    pub fn new(anchors: Vec<CertificateDer<'static>>, server_name: &str) -> Result<ServerVerifier> {
        for anchor in &anchors {
            webpki::anchor_from_trusted_cert(anchor).map_err(|e| TlsError::BadFile {
                flag: "--ca",
                path: "(CA certificate)".into(),
                reason: format!("not a usable CA certificate ({e:?})"),
            })?;
        }
        let server_name = ServerName::try_from(server_name)
            .map_err(|e| TlsError::BadFile {
                flag: "--server-name",
                path: server_name.to_string(),
                reason: e.to_string(),
            })?
            .to_owned();
        Ok(ServerVerifier {
            anchors,
            server_name,
        })
    }

    /// The name to send in server_name (SNI): DNS names only.
    pub fn sni(&self) -> Option<&str> {
        match &self.server_name {
            ServerName::DnsName(name) => Some(name.as_ref()),
            _ => None,
        }
    }

    /// The name as given, for messages.
    pub fn server_name(&self) -> String {
        self.server_name.to_str().into_owned()
    }

    /// Validates the server's chain (end entity first) against our CAs and
    /// name, and returns the end entity's Ed25519 key for CertificateVerify.
    pub fn verify(&self, chain: &[Vec<u8>]) -> std::result::Result<VerifyingKey, TlsError> {
        let chain: Vec<CertificateDer<'_>> = chain
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let (end_entity, intermediates) = chain
            .split_first()
            .ok_or(TlsError::Decode("Certificate (no certificates)"))?;
        let cert = webpki::EndEntityCert::try_from(end_entity).map_err(TlsError::BadCertificate)?;
        let anchors = self
            .anchors
            .iter()
            .map(webpki::anchor_from_trusted_cert)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(TlsError::BadCertificate)?;
        // The chain: signed (with Ed25519) up to one of our CAs, in date,
        // and allowed for TLS servers.
        cert.verify_for_usage(
            &[webpki::ring::ED25519],
            &anchors,
            intermediates,
            UnixTime::now(),
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(TlsError::BadCertificate)?;
        // The name: the certificate is for the host we meant to reach.
        cert.verify_is_valid_for_subject_name(&self.server_name)
            .map_err(TlsError::BadCertificate)?;
        // The key that must have signed this handshake.
        ed25519_key_from_spki(&cert.subject_public_key_info())
    }
}

/// Checks an Ed25519 signature (strictly: no malleable encodings, no
/// small-order keys), as CertificateVerify needs.
pub fn verify_signature(
    key: &VerifyingKey,
    message: &[u8],
    signature: &[u8; ED25519_SIGNATURE_LEN],
) -> std::result::Result<(), TlsError> {
    key.verify_strict(message, &Signature::from_bytes(signature))
        .map_err(|_| TlsError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_anchor(pem: &str) -> Vec<CertificateDer<'static>> {
        vec![CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()]
    }

    #[test]
    fn generated_identity_validates_for_localhost_and_127_0_0_1() {
        let (identity, ca_pem) = ServerIdentity::generate().unwrap();
        for name in ["localhost", "127.0.0.1"] {
            let verifier = ServerVerifier::new(ca_anchor(&ca_pem), name).unwrap();
            let key = verifier.verify(identity.chain()).unwrap();
            let signature = identity.sign(b"transcript");
            assert_eq!(verify_signature(&key, b"transcript", &signature), Ok(()));
            assert_eq!(
                verify_signature(&key, b"another transcript", &signature),
                Err(TlsError::BadSignature)
            );
        }
    }

    #[test]
    fn wrong_name_and_wrong_ca_are_refused() {
        let (identity, ca_pem) = ServerIdentity::generate().unwrap();
        let verifier = ServerVerifier::new(ca_anchor(&ca_pem), "example.com").unwrap();
        assert!(matches!(
            verifier.verify(identity.chain()),
            Err(TlsError::BadCertificate(
                webpki::Error::CertNotValidForName(_)
            ))
        ));
        let (_, other_ca) = ServerIdentity::generate().unwrap();
        let verifier = ServerVerifier::new(ca_anchor(&other_ca), "localhost").unwrap();
        assert_eq!(
            verifier.verify(identity.chain()),
            Err(TlsError::BadCertificate(webpki::Error::UnknownIssuer))
        );
    }

    #[test]
    fn only_the_exact_ed25519_spki_shape_is_accepted() {
        let mut spki = ED25519_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(VerifyingKey::from(&SigningKey::from_bytes(&[1; 32])).as_bytes());
        assert!(ed25519_key_from_spki(&spki).is_ok());
        // One byte short, one byte long, another OID (Ed448 is 1.3.101.113).
        assert!(ed25519_key_from_spki(&spki[..43]).is_err());
        assert!(ed25519_key_from_spki(&[spki.as_slice(), &[0]].concat()).is_err());
        let mut ed448 = spki.clone();
        ed448[8] = 0x71;
        assert_eq!(
            ed25519_key_from_spki(&ed448),
            Err(TlsError::NotEd25519Certificate)
        );
    }
}
