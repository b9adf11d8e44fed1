//! What can go wrong in a lesson 11 connection, and what the peer is told.
//!
//! Every [`TlsError`] knows the alert it deserves ([`TlsError::alert`],
//! RFC 8446 6.2): a malformed message is a `decode_error`, a record whose tag
//! does not verify a `bad_record_mac`, a certificate from a stranger an
//! `unknown_ca`. The handshake and the channel send that alert in one place,
//! then give up. Errors that come *from* the peer (its own alert, a cut
//! connection) get no answer: it already knows, or it is gone.
//!
//! The messages say what to do next where a learner can do something
//! ("is another lesson's program on this port?"), and keep webpki's own
//! name for a certificate failure, so it can be looked up.

use std::fmt;

use super::alert::AlertDescription;

/// Everything that can go wrong in a lesson 11 connection.
///
/// Kept separate from the crate's [`crate::Error`] (which wraps it as
/// `Error::Tls`) because each variant carries its own alert.
#[derive(Debug, Clone, PartialEq)]
pub enum TlsError {
    /// A message did not parse: a length ran past its end, bytes were left
    /// over, a fixed-size field had the wrong size. Names what was parsed.
    Decode(&'static str),
    /// A record or handshake message arrived where the protocol does not
    /// allow it (for example a Certificate before the ServerHello).
    UnexpectedMessage(String),
    /// The first bytes are not a TLS record at all.
    NotTls(u8),
    /// A record failed AEAD authentication: tampered, replayed, reordered,
    /// or sealed under another key. Deliberately says nothing more.
    BadRecordMac,
    /// A record longer than the protocol allows, refused before allocating.
    RecordOverflow(usize),
    /// A handshake message announced more bytes than we accept.
    HandshakeMessageTooLong(usize),
    /// The peer does not offer TLS 1.3.
    NoTls13,
    /// The peer offers no `TLS_CHACHA20_POLY1305_SHA256`.
    NoCommonCipherSuite,
    /// The peer offers no X25519 key exchange at all.
    NoX25519,
    /// The peer lists X25519 but sent no X25519 key share: answering would
    /// take a HelloRetryRequest, which lesson 11 does not implement.
    NeedsHelloRetryRequest,
    /// The peer does not accept Ed25519 signatures.
    NoEd25519,
    /// A mandatory extension was absent.
    MissingExtension(&'static str),
    /// The peer sent an extension we did not ask for.
    UnsupportedExtension(u16),
    /// A field had a value the protocol forbids here.
    IllegalParameter(&'static str),
    /// The peer asked for a feature lesson 11 leaves out.
    Unsupported(&'static str),
    /// X25519 gave the all-zero secret: the peer sent a low-order point.
    BadKeyShare,
    /// The server's certificate did not validate (chain, dates, usage or
    /// name); the reason comes from rustls-webpki.
    BadCertificate(webpki::Error),
    /// The server's certificate holds a key that is not Ed25519.
    NotEd25519Certificate,
    /// The CertificateVerify signature did not verify: the server does not
    /// hold the private key of the certificate it sent.
    BadSignature,
    /// The peer's Finished MAC did not verify: the two sides did not see
    /// the same handshake, or do not share the same keys.
    BadFinished,
    /// The peer sent an error alert (or close_notify mid-handshake).
    PeerAlert(AlertDescription),
    /// The peer closed the connection during the handshake.
    ClosedDuringHandshake,
    /// The TCP connection ended without a close_notify: the data may have
    /// been cut short by an attacker (a truncation attack).
    Truncated,
    /// We have sent 2^64 - 1 records under one key; the next nonce would
    /// repeat, so we refuse to send.
    SequenceExhausted,
    /// Sending after the connection was closed (by us or by an alert).
    Closed,
    /// `--http`: the request was malformed or too large; a 400 was sent.
    BadHttpRequest(&'static str),
    /// `--http`: the client sent part of a request, then closed its side
    /// before the blank line that ends the head (say, the echo client).
    IncompleteHttpRequest,
    /// A certificate, key or CA file given on the command line is unusable.
    BadFile {
        /// The flag that named the file.
        flag: &'static str,
        /// The file as the user named it.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl TlsError {
    /// The alert this error sends to the peer, or `None` when no alert is
    /// owed: the peer already hung up, sent its own alert, or the problem
    /// is on our side of the table.
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        Some(match self {
            TlsError::Decode(_) | TlsError::HandshakeMessageTooLong(_) => A::DECODE_ERROR,
            TlsError::UnexpectedMessage(_) | TlsError::NotTls(_) => A::UNEXPECTED_MESSAGE,
            TlsError::BadRecordMac => A::BAD_RECORD_MAC,
            TlsError::RecordOverflow(_) => A::RECORD_OVERFLOW,
            TlsError::NoTls13 => A::PROTOCOL_VERSION,
            TlsError::NoCommonCipherSuite
            | TlsError::NoX25519
            | TlsError::NeedsHelloRetryRequest
            | TlsError::NoEd25519
            | TlsError::Unsupported(_) => A::HANDSHAKE_FAILURE,
            TlsError::MissingExtension(_) => A::MISSING_EXTENSION,
            TlsError::UnsupportedExtension(_) => A::UNSUPPORTED_EXTENSION,
            TlsError::IllegalParameter(_) | TlsError::BadKeyShare => A::ILLEGAL_PARAMETER,
            TlsError::BadCertificate(reason) => certificate_alert(reason),
            TlsError::NotEd25519Certificate => A::UNSUPPORTED_CERTIFICATE,
            TlsError::BadSignature | TlsError::BadFinished => A::DECRYPT_ERROR,
            TlsError::SequenceExhausted => A::INTERNAL_ERROR,
            TlsError::PeerAlert(_)
            | TlsError::ClosedDuringHandshake
            | TlsError::Truncated
            | TlsError::Closed
            | TlsError::BadHttpRequest(_)
            | TlsError::IncompleteHttpRequest
            | TlsError::BadFile { .. } => return None,
        })
    }
}

/// The most precise alert for a failed certificate check (RFC 8446 6.2).
fn certificate_alert(reason: &webpki::Error) -> AlertDescription {
    match reason {
        webpki::Error::UnknownIssuer => AlertDescription::UNKNOWN_CA,
        webpki::Error::CertExpired { .. } | webpki::Error::CertNotValidYet { .. } => {
            AlertDescription::CERTIFICATE_EXPIRED
        }
        _ => AlertDescription::BAD_CERTIFICATE,
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Decode(what) => write!(f, "malformed {what}"),
            TlsError::UnexpectedMessage(what) => write!(f, "unexpected message: {what}"),
            TlsError::NotTls(byte) => write!(
                f,
                "not a TLS record (first byte 0x{byte:02x}); is another lesson's program on this port?"
            ),
            TlsError::BadRecordMac => f.write_str("record failed authentication (bad_record_mac)"),
            TlsError::RecordOverflow(n) => {
                write!(
                    f,
                    "record of {n} bytes is over the TLS limit (record_overflow)"
                )
            }
            TlsError::HandshakeMessageTooLong(n) => {
                write!(f, "handshake message of {n} bytes is over our limit")
            }
            TlsError::NoTls13 => f.write_str("peer does not offer TLS 1.3"),
            TlsError::NoCommonCipherSuite => {
                f.write_str("peer offers no TLS_CHACHA20_POLY1305_SHA256")
            }
            TlsError::NoX25519 => f.write_str("peer offers no X25519 key exchange"),
            TlsError::NeedsHelloRetryRequest => f.write_str(
                "peer lists X25519 but sent no X25519 key share; asking for one needs a \
                 HelloRetryRequest, which lesson 11 does not implement",
            ),
            TlsError::NoEd25519 => f.write_str("peer does not accept ed25519 signatures"),
            TlsError::MissingExtension(name) => write!(f, "peer sent no {name} extension"),
            TlsError::UnsupportedExtension(n) => {
                write!(f, "peer sent extension {n}, which we never asked for")
            }
            TlsError::IllegalParameter(what) => write!(f, "illegal parameter: {what}"),
            TlsError::Unsupported(what) => {
                write!(f, "peer wants {what}, which lesson 11 does not implement")
            }
            TlsError::BadKeyShare => {
                f.write_str("peer key share is low-order (all-zero X25519 secret)")
            }
            TlsError::BadCertificate(reason) => {
                write!(f, "server certificate rejected: {}", explain(reason))
            }
            TlsError::NotEd25519Certificate => {
                f.write_str("server certificate key is not Ed25519, the only kind we check")
            }
            TlsError::BadSignature => f.write_str(
                "server CertificateVerify signature does not verify: it does not hold the \
                 certificate's key",
            ),
            TlsError::BadFinished => {
                f.write_str("peer Finished does not verify: the handshake was tampered with")
            }
            TlsError::PeerAlert(AlertDescription::CLOSE_NOTIFY) => {
                f.write_str("peer closed the connection during the handshake (close_notify)")
            }
            TlsError::PeerAlert(alert) => write!(f, "peer sent alert {alert}"),
            TlsError::ClosedDuringHandshake => f.write_str(
                "peer closed the connection during the handshake; is another lesson's \
                 program on this port?",
            ),
            TlsError::Truncated => f.write_str(
                "peer closed the connection without close_notify (truncated; the data may \
                 be cut short)",
            ),
            TlsError::SequenceExhausted => {
                f.write_str("record sequence number exhausted; refusing to reuse a nonce")
            }
            TlsError::Closed => f.write_str("the connection is already closed"),
            TlsError::BadHttpRequest(why) => write!(f, "bad HTTP request ({why}); sent 400"),
            TlsError::IncompleteHttpRequest => f.write_str(
                "the client stopped sending before its HTTP request ended (--http answers \
                 one HTTP request, from curl for example, not echo lines)",
            ),
            TlsError::BadFile { flag, path, reason } => write!(f, "{flag} {path}: {reason}"),
        }
    }
}

impl std::error::Error for TlsError {}

/// Words for the webpki failures a learner will meet, with webpki's own
/// name in brackets so it can be looked up.
fn explain(reason: &webpki::Error) -> String {
    let words = match reason {
        webpki::Error::UnknownIssuer => "not issued by a CA in --ca",
        webpki::Error::CertNotValidForName(_) => "not valid for the name we asked for",
        webpki::Error::CertExpired { .. } => "expired",
        webpki::Error::CertNotValidYet { .. } => "not valid yet",
        webpki::Error::RequiredEkuNotFoundContext(_) => "not allowed for TLS servers",
        _ => "invalid",
    };
    format!("{words} ({reason:?})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_caused_endings_get_no_answer() {
        assert_eq!(TlsError::Truncated.alert(), None);
        assert_eq!(
            TlsError::PeerAlert(AlertDescription::BAD_RECORD_MAC).alert(),
            None
        );
        assert_eq!(
            TlsError::BadRecordMac.alert(),
            Some(AlertDescription::BAD_RECORD_MAC)
        );
        assert_eq!(
            TlsError::BadCertificate(webpki::Error::UnknownIssuer).alert(),
            Some(AlertDescription::UNKNOWN_CA)
        );
    }

    #[test]
    fn messages_name_what_is_missing() {
        let text = TlsError::NoCommonCipherSuite.to_string();
        assert!(text.contains("TLS_CHACHA20_POLY1305_SHA256"), "{text}");
        let text = TlsError::NeedsHelloRetryRequest.to_string();
        assert!(text.contains("HelloRetryRequest"), "{text}");
        assert_eq!(
            AlertDescription(255).to_string(),
            "unknown alert 255".to_string()
        );
    }
}
