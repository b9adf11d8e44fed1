//! The ClientHello (RFC 8446 4.1.2): the client's whole offer, in the clear.
//!
//! ```text
//! legacy_version           u16       0x0303, frozen at "TLS 1.2"
//! random                   32 bytes  fresh per connection
//! legacy_session_id        <0..32>   echoed by the server (curl sends 32 bytes)
//! cipher_suites            <2..2^16-2> list of u16
//! legacy_compression       <1..2^8-1>  exactly [0] in TLS 1.3
//! extensions               <8..2^16-1> each: type (u16) || data <0..2^16-1>
//!   supported_versions (43)   [0x0304]: this is how TLS 1.3 is asked for
//!   supported_groups (10)     groups the client can do      [x25519 ...]
//!   signature_algorithms (13) signatures it can check      [ed25519 ...]
//!   key_share (51)            a public key per group, sent in advance
//!   server_name (0)           the host name, so one IP can serve many
//! ```
//!
//! A real client (curl, OpenSSL, rustls, a browser) offers far more than we
//! speak: several suites, several groups, PSK modes, ALPN, GREASE values.
//! The server skips what it does not know and checks that our one
//! configuration is in the offer; [`ClientHello::choose`] says exactly what
//! is missing when it is not.

use super::codec::{
    Prefix, Reader, extensions, handshake_message, put_extension, put_u16, put_vec, u16_list,
};
use super::tls_error::TlsError;
use super::{
    CIPHER_SUITE, GROUP_X25519, LEGACY_VERSION, MAX_SESSION_ID_LEN, RANDOM_LEN, SIGNATURE_ED25519,
    TLS13, X25519_KEY_LEN, extension, handshake_type,
};

/// What a server reads from a ClientHello.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClientHello {
    /// The client's random.
    pub random: [u8; RANDOM_LEN],
    /// legacy_session_id, echoed in the ServerHello.
    pub session_id: Vec<u8>,
    /// The cipher suites offered.
    pub cipher_suites: Vec<u16>,
    /// supported_versions, if sent.
    pub versions: Option<Vec<u16>>,
    /// supported_groups, if sent.
    pub groups: Option<Vec<u16>>,
    /// signature_algorithms, if sent.
    pub signature_schemes: Option<Vec<u16>>,
    /// key_share entries (group, public key), if sent.
    pub key_shares: Option<Vec<(u16, Vec<u8>)>>,
    /// The first host name in server_name, if any.
    pub server_name: Option<String>,
    /// The client wants to send 0-RTT data.
    pub early_data: bool,
    /// The client offers a pre-shared key (resumption).
    pub pre_shared_key: bool,
}

impl ClientHello {
    /// Parses a ClientHello body (after the 4-byte handshake header).
    pub fn parse(body: &[u8]) -> Result<ClientHello, TlsError> {
        let mut r = Reader::new(body, "ClientHello");
        let mut hello = ClientHello {
            // The legacy version says nothing in TLS 1.3; supported_versions
            // does the negotiating.
            random: {
                r.u16()?;
                r.array()?
            },
            ..ClientHello::default()
        };
        let session_id = r.vec_u8()?.rest();
        if session_id.len() > MAX_SESSION_ID_LEN {
            return Err(TlsError::IllegalParameter(
                "legacy_session_id over 32 bytes",
            ));
        }
        hello.session_id = session_id.to_vec();
        hello.cipher_suites = u16_list(r.vec_u16()?)?;
        // TLS 1.3 forbids compression: the only allowed list is [null].
        if r.vec_u8()?.rest() != [0] {
            return Err(TlsError::IllegalParameter("compression offered"));
        }
        // A hello with no extensions at all is an old (pre-TLS 1.2) client;
        // it will fail the version check in `choose`.
        if r.is_empty() {
            return Ok(hello);
        }
        let extensions = extensions(r.vec_u16()?)?;
        r.finish()?;
        // pre_shared_key must come last (RFC 8446 4.2.11).
        let psk_at = extensions
            .iter()
            .position(|(t, _)| *t == extension::PRE_SHARED_KEY);
        if psk_at.is_some_and(|at| at + 1 != extensions.len()) {
            return Err(TlsError::IllegalParameter(
                "pre_shared_key is not the last extension",
            ));
        }
        for (extension_type, data) in extensions {
            let mut r = Reader::new(data, "ClientHello extension");
            match extension_type {
                extension::SUPPORTED_VERSIONS => hello.versions = Some(u16_list(r.vec_u8()?)?),
                extension::SUPPORTED_GROUPS => hello.groups = Some(u16_list(r.vec_u16()?)?),
                extension::SIGNATURE_ALGORITHMS => {
                    hello.signature_schemes = Some(u16_list(r.vec_u16()?)?);
                }
                extension::KEY_SHARE => hello.key_shares = Some(key_shares(r.vec_u16()?)?),
                extension::SERVER_NAME => hello.server_name = host_name(r.vec_u16()?)?,
                extension::EARLY_DATA => hello.early_data = true,
                extension::PRE_SHARED_KEY => hello.pre_shared_key = true,
                // Everything else (ALPN, PSK modes, GREASE, ...) is ignored,
                // as RFC 8446 4.1.2 lets a server do.
                _ => {
                    r.rest();
                }
            }
            r.finish()?;
        }
        Ok(hello)
    }

    /// Checks the offer against our one configuration and returns the
    /// client's X25519 public key, or the reason we cannot talk to it.
    ///
    /// An offered PSK is ignored: we never issue tickets, so it cannot be
    /// one of ours, and RFC 8446 lets a server fall back to a full
    /// handshake. 0-RTT data is refused, since skipping it would need the
    /// trial-decryption RFC 8446 4.2.10 describes.
    pub fn choose(&self) -> Result<[u8; X25519_KEY_LEN], TlsError> {
        // supported_versions must name TLS 1.3 (RFC 8446 4.2.1).
        if !self.versions.as_ref().is_some_and(|v| v.contains(&TLS13)) {
            return Err(TlsError::NoTls13);
        }
        if !self.cipher_suites.contains(&CIPHER_SUITE) {
            return Err(TlsError::NoCommonCipherSuite);
        }
        if self.early_data {
            return Err(TlsError::Unsupported("0-RTT early data"));
        }
        let schemes = self
            .signature_schemes
            .as_ref()
            .ok_or(TlsError::MissingExtension("signature_algorithms"))?;
        if !schemes.contains(&SIGNATURE_ED25519) {
            return Err(TlsError::NoEd25519);
        }
        // key_share without supported_groups is malformed (RFC 8446 9.2).
        let groups = self
            .groups
            .as_ref()
            .ok_or(TlsError::MissingExtension("supported_groups"))?;
        let shares = self
            .key_shares
            .as_ref()
            .ok_or(TlsError::MissingExtension("key_share"))?;
        match shares.iter().find(|(group, _)| *group == GROUP_X25519) {
            Some((_, key)) => <[u8; X25519_KEY_LEN]>::try_from(key.as_slice())
                .map_err(|_| TlsError::IllegalParameter("X25519 key share is not 32 bytes")),
            // X25519 is listed but no share was sent in advance: the server
            // would have to ask for one with a HelloRetryRequest.
            None if groups.contains(&GROUP_X25519) => Err(TlsError::NeedsHelloRetryRequest),
            None => Err(TlsError::NoX25519),
        }
    }
}

/// Builds our ClientHello (the whole handshake message): our one suite, our
/// one group with its key share, our one signature scheme, TLS 1.3 only.
///
/// `server_name` is sent as SNI only if it is a DNS name: RFC 6066 does not
/// allow IP addresses there.
pub fn encode(
    random: &[u8; RANDOM_LEN],
    x25519_public: &[u8; X25519_KEY_LEN],
    server_name: Option<&str>,
) -> Vec<u8> {
    handshake_message(handshake_type::CLIENT_HELLO, |m| {
        put_u16(m, LEGACY_VERSION);
        m.extend_from_slice(random);
        // legacy_session_id: empty; we do not use middlebox compatibility mode.
        put_vec(m, Prefix::U8, |_| {});
        put_vec(m, Prefix::U16, |v| put_u16(v, CIPHER_SUITE));
        // legacy_compression_methods: [null]
        put_vec(m, Prefix::U8, |v| v.push(0));
        put_vec(m, Prefix::U16, |exts| {
            if let Some(name) = server_name {
                put_extension(exts, extension::SERVER_NAME, |e| {
                    // ServerNameList: one entry, name_type 0 = host_name.
                    put_vec(e, Prefix::U16, |list| {
                        list.push(0);
                        put_vec(list, Prefix::U16, |n| n.extend_from_slice(name.as_bytes()));
                    });
                });
            }
            put_extension(exts, extension::SUPPORTED_VERSIONS, |e| {
                put_vec(e, Prefix::U8, |v| put_u16(v, TLS13));
            });
            put_extension(exts, extension::SUPPORTED_GROUPS, |e| {
                put_vec(e, Prefix::U16, |v| put_u16(v, GROUP_X25519));
            });
            put_extension(exts, extension::SIGNATURE_ALGORITHMS, |e| {
                put_vec(e, Prefix::U16, |v| put_u16(v, SIGNATURE_ED25519));
            });
            put_extension(exts, extension::KEY_SHARE, |e| {
                // client_shares: one KeyShareEntry { group, key_exchange }.
                put_vec(e, Prefix::U16, |shares| {
                    put_u16(shares, GROUP_X25519);
                    put_vec(shares, Prefix::U16, |k| k.extend_from_slice(x25519_public));
                });
            });
        });
    })
}

/// client_shares: KeyShareEntry { group (u16), key_exchange <1..2^16-1> }.
fn key_shares(mut r: Reader<'_>) -> Result<Vec<(u16, Vec<u8>)>, TlsError> {
    let mut shares = Vec::new();
    while !r.is_empty() {
        let group = r.u16()?;
        shares.push((group, r.vec_u16()?.rest().to_vec()));
    }
    Ok(shares)
}

/// The first host_name in a ServerNameList, as text (for status lines).
fn host_name(mut r: Reader<'_>) -> Result<Option<String>, TlsError> {
    let mut name = None;
    while !r.is_empty() {
        let name_type = r.u8()?;
        let bytes = r.vec_u16()?.rest();
        if name_type == 0 && name.is_none() {
            name = Some(String::from_utf8_lossy(bytes).into_owned());
        }
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson11_real_tls13::codec::HANDSHAKE_HEADER_LEN;

    fn ours() -> ClientHello {
        let message = encode(&[7; 32], &[9; 32], Some("localhost"));
        ClientHello::parse(&message[HANDSHAKE_HEADER_LEN..]).unwrap()
    }

    #[test]
    fn our_hello_parses_and_is_accepted() {
        let hello = ours();
        assert_eq!(hello.random, [7; 32]);
        assert_eq!(hello.server_name.as_deref(), Some("localhost"));
        assert_eq!(hello.cipher_suites, [CIPHER_SUITE]);
        assert_eq!(hello.choose(), Ok([9; 32]));
    }

    #[test]
    fn each_missing_piece_is_named() {
        let mut hello = ours();
        hello.cipher_suites = vec![0x1301, 0x1302];
        assert_eq!(hello.choose(), Err(TlsError::NoCommonCipherSuite));

        let mut hello = ours();
        hello.versions = Some(vec![0x0303]);
        assert_eq!(hello.choose(), Err(TlsError::NoTls13));

        let mut hello = ours();
        hello.signature_schemes = Some(vec![0x0403]);
        assert_eq!(hello.choose(), Err(TlsError::NoEd25519));

        let mut hello = ours();
        hello.key_shares = Some(vec![(0x0017, vec![4; 65])]);
        assert_eq!(hello.choose(), Err(TlsError::NeedsHelloRetryRequest));
        hello.groups = Some(vec![0x0017]);
        assert_eq!(hello.choose(), Err(TlsError::NoX25519));

        let mut hello = ours();
        hello.key_shares = Some(vec![(GROUP_X25519, vec![1; 31])]);
        assert!(matches!(hello.choose(), Err(TlsError::IllegalParameter(_))));

        let mut hello = ours();
        hello.early_data = true;
        assert!(matches!(hello.choose(), Err(TlsError::Unsupported(_))));
    }

    #[test]
    fn every_truncation_is_a_decode_error_not_a_panic() {
        let message = encode(&[7; 32], &[9; 32], Some("localhost"));
        let body = &message[HANDSHAKE_HEADER_LEN..];
        for cut in 0..body.len() {
            // One cut (right after the compression methods) is a complete
            // pre-extension hello: it parses, and is then refused as not TLS 1.3.
            let outcome = ClientHello::parse(&body[..cut]).and_then(|hello| hello.choose());
            assert!(outcome.is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn unknown_extensions_and_extra_offers_are_skipped() {
        // A hello shaped like curl's: three suites, a 32-byte session id,
        // GREASE and ALPN extensions, two key shares.
        let message = handshake_message(handshake_type::CLIENT_HELLO, |m| {
            put_u16(m, LEGACY_VERSION);
            m.extend_from_slice(&[1; 32]);
            put_vec(m, Prefix::U8, |v| v.extend_from_slice(&[5; 32]));
            put_vec(m, Prefix::U16, |v| {
                for suite in [0x1302, 0x1303, 0x1301] {
                    put_u16(v, suite);
                }
            });
            put_vec(m, Prefix::U8, |v| v.push(0));
            put_vec(m, Prefix::U16, |e| {
                put_extension(e, 0x0a0a, |_| {}); // GREASE
                put_extension(e, 16, |d| d.extend_from_slice(b"\x00\x03\x02h2")); // ALPN
                put_extension(e, extension::SUPPORTED_VERSIONS, |d| {
                    put_vec(d, Prefix::U8, |v| {
                        put_u16(v, TLS13);
                        put_u16(v, 0x0303);
                    });
                });
                put_extension(e, extension::SUPPORTED_GROUPS, |d| {
                    put_vec(d, Prefix::U16, |v| {
                        put_u16(v, 0x0017);
                        put_u16(v, GROUP_X25519);
                    });
                });
                put_extension(e, extension::SIGNATURE_ALGORITHMS, |d| {
                    put_vec(d, Prefix::U16, |v| {
                        put_u16(v, 0x0403);
                        put_u16(v, SIGNATURE_ED25519);
                    });
                });
                put_extension(e, extension::KEY_SHARE, |d| {
                    put_vec(d, Prefix::U16, |s| {
                        put_u16(s, 0x0017);
                        put_vec(s, Prefix::U16, |k| k.extend_from_slice(&[4; 65]));
                        put_u16(s, GROUP_X25519);
                        put_vec(s, Prefix::U16, |k| k.extend_from_slice(&[3; 32]));
                    });
                });
            });
        });
        let hello = ClientHello::parse(&message[HANDSHAKE_HEADER_LEN..]).unwrap();
        assert_eq!(hello.session_id, [5; 32]);
        assert_eq!(hello.choose(), Ok([3; 32]));
    }

    #[test]
    fn compression_is_refused() {
        let mut message = encode(&[0; 32], &[0; 32], None);
        // random ends at 4 + 2 + 32; then session id (1), suites (2 + 2),
        // compression: length 1, then the method byte.
        let method = HANDSHAKE_HEADER_LEN + 2 + 32 + 1 + 4 + 1;
        assert_eq!(message[method], 0);
        message[method] = 1;
        assert!(matches!(
            ClientHello::parse(&message[HANDSHAKE_HEADER_LEN..]),
            Err(TlsError::IllegalParameter(_))
        ));
    }
}
