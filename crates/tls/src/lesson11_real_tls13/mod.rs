//! Lesson 11: real TLS 1.3 (RFC 8446), built from the parts of lessons 1-10.
//!
//! One configuration only, exactly the course's primitives: cipher suite
//! `TLS_CHACHA20_POLY1305_SHA256`, key exchange X25519, signatures Ed25519,
//! a SHA-256 transcript. That is enough to talk to rustls, OpenSSL and curl,
//! because every TLS 1.3 stack offers all three.
//!
//! ```text
//! client                                                      server
//!   | -- ClientHello: random, our suite, X25519 share -------------> |
//!   | <------------- ServerHello: random, suite, X25519 share ------ |
//!   |            both: X25519 -> HKDF key schedule -> handshake keys |
//!   | <------------------- {EncryptedExtensions} ------------------- |
//!   | <------------------- {Certificate}         ------------------- |
//!   | <------------------- {CertificateVerify}   ------------------- |
//!   | <------------------- {Finished}            ------------------- |
//!   |            both: key schedule -> application keys              |
//!   | -- {Finished} ------------------------------------------------> |
//!   | <=================== [application data] =====================> |
//!   | -- [close_notify] --------------------------------------------> |
//! ```
//!
//! `{...}` is encrypted under a handshake key, `[...]` under an application
//! key. Nothing here is new cryptography: every step is an idea an earlier
//! lesson taught, wired together the way RFC 8446 says.
//!
//! | TLS 1.3 step                                    | idea, and the lesson that taught it |
//! |-------------------------------------------------|-------------------------------------|
//! | records with a length prefix (`record.rs`)      | framing a byte stream: lesson 2     |
//! | record protection (`protection.rs`)             | AEAD: lesson 6                      |
//! | nonce = IV XOR sequence number                  | counter nonces, replay refused: lesson 9 |
//! | key_share with X25519                           | key exchange: lesson 7              |
//! | the key schedule (HKDF-Extract / Expand-Label)  | key derivation, a key per direction: lesson 8 |
//! | CertificateVerify: Ed25519 over the transcript  | signing the handshake: lesson 10    |
//! | Finished: HMAC over the transcript              | MACs: lesson 5                      |
//! | certificate chain and name                      | new here (done by rustls-webpki)    |
//!
//! # The files
//!
//! - [`codec`]: a bounds-checked reader for TLS vectors, their writers, and the
//!   extension block every hello shares; every length is checked.
//! - [`alert`]: alerts, the two bytes a peer hangs up with: their one reader
//!   and their names.
//! - [`tls_error`]: [`TlsError`], each failure with the alert it sends.
//! - [`record`]: framing (RFC 8446 5.1): the 5-byte header, its length
//!   limits, reading a record off the stream.
//! - [`padding`]: `--pad N` (5.4): zeros inside the encryption, so a
//!   record's length says less about its message.
//! - [`protection`]: record protection (5.2): the nonce, sealing and opening
//!   with ChaCha20-Poly1305, TLSInnerPlaintext's hidden type and padding.
//! - [`transcript`]: the running SHA-256 hash of the handshake messages.
//! - [`key_schedule`]: RFC 8446 section 7: secrets, traffic keys, Finished keys.
//! - [`client_hello`]: building and reading the ClientHello and its extensions.
//! - [`server_hello`]: the ServerHello, parsed, then held against our offer.
//! - [`server_messages`]: EncryptedExtensions, Certificate, CertificateVerify,
//!   Finished, and the post-handshake messages.
//! - [`incoming`]: records in: reassembly of handshake messages, key
//!   changes on record boundaries, alerts, change_cipher_spec.
//! - [`connection`]: records out, and the handshake's view of a connection.
//! - [`certs`]: the server's certificate and key, and the client's check of them.
//! - [`client`], [`server`]: the two handshake state machines.
//! - [`keylog`]: `--keylog FILE` in the NSS format Wireshark reads.
//! - [`channel`]: the application phase as a message reader and writer.
//! - [`http`]: `--http`: answer one HTTP/1.1 request, for curl.
//!
//! **Not for production**: no resumption, no 0-RTT, no HelloRetryRequest,
//! no client certificates, one cipher suite. Use rustls for anything real.

pub mod alert;
pub mod certs;
pub mod channel;
pub mod client;
pub mod client_hello;
pub mod codec;
pub mod connection;
pub mod http;
pub mod incoming;
pub mod key_schedule;
pub mod keylog;
pub mod padding;
pub mod protection;
pub mod record;
pub mod server;
pub mod server_hello;
pub mod server_messages;
pub mod tls_error;
pub mod transcript;

pub use alert::AlertDescription;
pub use tls_error::TlsError;

/// `TLS_CHACHA20_POLY1305_SHA256` (RFC 8446 appendix B.4): the only cipher
/// suite we speak. ChaCha20-Poly1305 protects records, SHA-256 drives HKDF
/// and the transcript.
pub const CIPHER_SUITE: u16 = 0x1303;
/// The group `x25519` (RFC 8446 4.2.7), for the key_share.
pub const GROUP_X25519: u16 = 0x001d;
/// The signature scheme `ed25519` (RFC 8446 4.2.3), for CertificateVerify.
pub const SIGNATURE_ED25519: u16 = 0x0807;
/// TLS 1.3 as it appears in supported_versions (RFC 8446 4.2.1).
pub const TLS13: u16 = 0x0304;
/// TLS 1.2's number, which TLS 1.3 still writes in the legacy version
/// fields of hellos and records so that old middleboxes let it through.
pub const LEGACY_VERSION: u16 = 0x0303;

/// Bytes in a hello's random.
pub const RANDOM_LEN: usize = 32;
/// Bytes in an X25519 public key (the key_share's key_exchange field).
pub const X25519_KEY_LEN: usize = 32;
/// Bytes in an Ed25519 signature.
pub const ED25519_SIGNATURE_LEN: usize = 64;
/// Bytes in a SHA-256 hash, and so in every secret of the key schedule.
pub const HASH_LEN: usize = 32;
/// The longest legacy_session_id a ClientHello may carry (RFC 8446 4.1.2).
pub const MAX_SESSION_ID_LEN: usize = 32;

/// The largest handshake message we accept. The biggest one we meet is a
/// Certificate chain, a few kilobytes; a peer announcing more is refused
/// before we buffer it.
pub const MAX_HANDSHAKE_MESSAGE_LEN: usize = 64 * 1024;

/// Handshake message types (RFC 8446 4), the first byte of each handshake
/// message. Eve uses [`handshake_type::name`] to label what she sees.
pub mod handshake_type {
    /// ClientHello: the client's offer.
    pub const CLIENT_HELLO: u8 = 1;
    /// ServerHello: the server's choice.
    pub const SERVER_HELLO: u8 = 2;
    /// NewSessionTicket: a resumption ticket, sent after the handshake.
    pub const NEW_SESSION_TICKET: u8 = 4;
    /// EndOfEarlyData: the end of 0-RTT data.
    pub const END_OF_EARLY_DATA: u8 = 5;
    /// EncryptedExtensions: the server's encrypted answers to extensions.
    pub const ENCRYPTED_EXTENSIONS: u8 = 8;
    /// Certificate: the certificate chain.
    pub const CERTIFICATE: u8 = 11;
    /// CertificateRequest: the server asks for a client certificate.
    pub const CERTIFICATE_REQUEST: u8 = 13;
    /// CertificateVerify: a signature over the transcript.
    pub const CERTIFICATE_VERIFY: u8 = 15;
    /// Finished: a MAC over the transcript.
    pub const FINISHED: u8 = 20;
    /// KeyUpdate: "I am moving to my next traffic secret".
    pub const KEY_UPDATE: u8 = 24;

    /// The RFC's name for a handshake message type.
    pub fn name(handshake_type: u8) -> &'static str {
        match handshake_type {
            CLIENT_HELLO => "ClientHello",
            SERVER_HELLO => "ServerHello",
            NEW_SESSION_TICKET => "NewSessionTicket",
            END_OF_EARLY_DATA => "EndOfEarlyData",
            ENCRYPTED_EXTENSIONS => "EncryptedExtensions",
            CERTIFICATE => "Certificate",
            CERTIFICATE_REQUEST => "CertificateRequest",
            CERTIFICATE_VERIFY => "CertificateVerify",
            FINISHED => "Finished",
            KEY_UPDATE => "KeyUpdate",
            _ => "unknown handshake message",
        }
    }
}

/// Extension numbers we read or write (RFC 8446 4.2). Others are skipped
/// in a ClientHello, and refused anywhere else.
pub mod extension {
    /// server_name (RFC 6066): the host name the client wants.
    pub const SERVER_NAME: u16 = 0;
    /// supported_groups: the key exchange groups the client can do.
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// signature_algorithms: the signatures the client can check.
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// pre_shared_key: resumption, which we never offer or accept.
    pub const PRE_SHARED_KEY: u16 = 41;
    /// early_data: 0-RTT, which we refuse.
    pub const EARLY_DATA: u16 = 42;
    /// supported_versions: how TLS 1.3 is really negotiated.
    pub const SUPPORTED_VERSIONS: u16 = 43;
    /// key_share: the X25519 public keys.
    pub const KEY_SHARE: u16 = 51;
}
