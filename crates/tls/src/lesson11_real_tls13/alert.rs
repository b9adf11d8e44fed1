//! Alerts (RFC 8446 section 6): the two bytes a peer sends to say why it is
//! hanging up, or that it has said all it will.
//!
//! ```text
//! Alert record content, exactly two bytes:
//! +-------------+-----------------+
//! | level (u8)  | description (u8)|     level: 1 = warning, 2 = fatal
//! +-------------+-----------------+
//! ```
//!
//! When something goes wrong, TLS tells the peer why before hanging up: a
//! fatal alert naming the problem. Each lesson 11 error knows which alert it
//! deserves ([`TlsError::alert`](super::TlsError::alert), in
//! `tls_error.rs`), so the handshake and
//! the channel send it in one place. Coming the other way, [`Alert::parse`]
//! is the one reader of an alert's two bytes: the connection reads the
//! peer's alerts with it, and Eve names the alerts she sees with it.
//!
//! `close_notify` is different: it is the clean goodbye. A reader that sees
//! the TCP connection end *without* it reports
//! [`TlsError::Truncated`](super::TlsError::Truncated),
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

/// An alert as it arrives: a level and a description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert {
    /// [`LEVEL_WARNING`] or [`LEVEL_FATAL`]; any other value is the
    /// sender's mistake, and is kept as sent.
    pub level: u8,
    /// What the alert is about.
    pub description: AlertDescription,
}

impl Alert {
    /// Reads an alert record's content, which is exactly two bytes; `None`
    /// for any other length, which the connection answers with a
    /// `decode_error` and Eve reports as malformed. (It returns no
    /// `TlsError` so that this file, which `tls_error.rs` builds on, does
    /// not in turn depend on it.)
    ///
    /// The level is kept, but decides nothing: RFC 8446 6 treats every alert
    /// except close_notify and user_canceled as fatal, whatever its level
    /// says, so a reader goes by the description alone.
    pub fn parse(content: &[u8]) -> Option<Alert> {
        match content {
            [level, description] => Some(Alert {
                level: *level,
                description: AlertDescription(*description),
            }),
            _ => None,
        }
    }

    /// The RFC's name for the level, for someone reading a capture.
    pub fn level_name(&self) -> &'static str {
        match self.level {
            LEVEL_WARNING => "warning",
            LEVEL_FATAL => "fatal",
            _ => "unknown level",
        }
    }
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
    fn an_alert_is_exactly_two_bytes_and_reads_back() {
        let sent = AlertDescription::HANDSHAKE_FAILURE.to_record_content();
        let alert = Alert::parse(&sent).unwrap();
        assert_eq!(alert.description, AlertDescription::HANDSHAKE_FAILURE);
        assert_eq!(alert.level_name(), "fatal");
        assert_eq!(Alert::parse(&[1, 0]).unwrap().level_name(), "warning");
        assert_eq!(Alert::parse(&[7, 0]).unwrap().level_name(), "unknown level");
        for bad in [&[][..], &[2], &[2, 40, 0]] {
            assert_eq!(Alert::parse(bad), None);
        }
    }
}
