//! Alerts (RFC 8446 section 6) and the lesson 11 error type.
//!
//! ```text
//! Alert record content, exactly two bytes:
//! +-------------+-----------------+
//! | level (u8)  | description (u8)|     level: 1 = warning, 2 = fatal
//! +-------------+-----------------+
//! ```
//!
//! When something goes wrong, TLS tells the peer why before hanging up: a
//! fatal alert naming the problem. Every [`TlsError`] knows which alert it
//! deserves ([`TlsError::alert`]), so the handshake and the channel send it
//! in one place. Errors that come *from* the peer (its own alert, a cut
//! connection) get no answer.
//!
//! `close_notify` is different: it is the clean goodbye. A reader that sees
//! the TCP connection end *without* it reports [`TlsError::Truncated`],
//! because an attacker can cut a connection but cannot forge an encrypted
//! `close_notify`.

use std::fmt;

/// An alert's level byte for `close_notify` (RFC 8446 6.1 closure alerts are
/// sent as warnings by every stack we test with).
pub const LEVEL_WARNING: u8 = 1;
/// An alert's level byte for every error alert (RFC 8446 6.2: "MUST be sent
/// with AlertLevel=fatal").
pub const LEVEL_FATAL: u8 = 2;

/// An alert description (RFC 8446 6), known or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertDescription(pub u8);

impl AlertDescription {
    /// The clean end of a direction: "I will send nothing more".
    pub const CLOSE_NOTIFY: AlertDescription = AlertDescription(0);
    /// A record or handshake message arrived when it was not allowed.
    pub const UNEXPECTED_MESSAGE: AlertDescription = AlertDescription(10);
    /// A record failed AEAD authentication.
    pub const BAD_RECORD_MAC: AlertDescription = AlertDescription(20);
    /// A record was longer than the protocol allows.
    pub const RECORD_OVERFLOW: AlertDescription = AlertDescription(22);
    /// No acceptable set of parameters could be agreed.
    pub const HANDSHAKE_FAILURE: AlertDescription = AlertDescription(40);
    /// A certificate was corrupt or did not check out.
    pub const BAD_CERTIFICATE: AlertDescription = AlertDescription(42);
    /// A certificate of an unsupported type (for us: not Ed25519).
    pub const UNSUPPORTED_CERTIFICATE: AlertDescription = AlertDescription(43);
    /// A certificate has expired or is not yet valid.
    pub const CERTIFICATE_EXPIRED: AlertDescription = AlertDescription(45);
    /// Some other certificate problem.
    pub const CERTIFICATE_UNKNOWN: AlertDescription = AlertDescription(46);
    /// A field was out of range or inconsistent.
    pub const ILLEGAL_PARAMETER: AlertDescription = AlertDescription(47);
    /// The chain does not lead to a CA we trust.
    pub const UNKNOWN_CA: AlertDescription = AlertDescription(48);
    /// A message could not be decoded.
    pub const DECODE_ERROR: AlertDescription = AlertDescription(50);
    /// A signature or Finished MAC did not verify.
    pub const DECRYPT_ERROR: AlertDescription = AlertDescription(51);
    /// The peer does not speak a version we speak (for us: TLS 1.3).
    pub const PROTOCOL_VERSION: AlertDescription = AlertDescription(70);
    /// A bug, or a resource limit, on the sender's side.
    pub const INTERNAL_ERROR: AlertDescription = AlertDescription(80);
    /// The user gave up; a close_notify follows.
    pub const USER_CANCELED: AlertDescription = AlertDescription(90);
    /// A mandatory extension was absent.
    pub const MISSING_EXTENSION: AlertDescription = AlertDescription(109);
    /// An extension appeared that was never asked for.
    pub const UNSUPPORTED_EXTENSION: AlertDescription = AlertDescription(110);
    /// The server (or the client) requires a certificate that was not sent.
    pub const CERTIFICATE_REQUIRED: AlertDescription = AlertDescription(116);
    /// No application protocol (ALPN) in common.
    pub const NO_APPLICATION_PROTOCOL: AlertDescription = AlertDescription(120);

    /// The RFC's name for this description, or `None` for one we do not know.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::CLOSE_NOTIFY => "close_notify",
            Self::UNEXPECTED_MESSAGE => "unexpected_message",
            Self::BAD_RECORD_MAC => "bad_record_mac",
            Self::RECORD_OVERFLOW => "record_overflow",
            Self::HANDSHAKE_FAILURE => "handshake_failure",
            Self::BAD_CERTIFICATE => "bad_certificate",
            Self::UNSUPPORTED_CERTIFICATE => "unsupported_certificate",
            Self::CERTIFICATE_EXPIRED => "certificate_expired",
            Self::CERTIFICATE_UNKNOWN => "certificate_unknown",
            Self::ILLEGAL_PARAMETER => "illegal_parameter",
            Self::UNKNOWN_CA => "unknown_ca",
            Self::DECODE_ERROR => "decode_error",
            Self::DECRYPT_ERROR => "decrypt_error",
            Self::PROTOCOL_VERSION => "protocol_version",
            Self::INTERNAL_ERROR => "internal_error",
            Self::USER_CANCELED => "user_canceled",
            Self::MISSING_EXTENSION => "missing_extension",
            Self::UNSUPPORTED_EXTENSION => "unsupported_extension",
            Self::CERTIFICATE_REQUIRED => "certificate_required",
            Self::NO_APPLICATION_PROTOCOL => "no_application_protocol",
            _ => return None,
        })
    }

    /// The two bytes of an alert record's content for this description.
    pub fn to_record_content(self) -> [u8; 2] {
        let level = if self == Self::CLOSE_NOTIFY {
            LEVEL_WARNING
        } else {
            LEVEL_FATAL
        };
        [level, self.0]
    }
}

impl fmt::Display for AlertDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown alert {}", self.0),
        }
    }
}

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
    fn every_error_alert_is_fatal_and_close_notify_is_a_warning() {
        assert_eq!(AlertDescription::CLOSE_NOTIFY.to_record_content(), [1, 0]);
        assert_eq!(
            AlertDescription::HANDSHAKE_FAILURE.to_record_content(),
            [2, 40]
        );
    }

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
