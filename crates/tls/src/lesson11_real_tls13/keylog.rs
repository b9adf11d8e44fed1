//! `--keylog FILE`: the four traffic secrets of each connection, in the NSS
//! key log format that browsers write for `SSLKEYLOGFILE` and that stock
//! Wireshark and tshark read (`-o tls.keylog_file:FILE`).
//!
//! ⚠️ **A key log is a skeleton key.** Anyone holding the file can decrypt
//! every connection it lists. It exists for debugging and teaching only.
//!
//! ```text
//! CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random, 64 hex> <secret, 64 hex>
//! SERVER_HANDSHAKE_TRAFFIC_SECRET <client random, 64 hex> <secret, 64 hex>
//! CLIENT_TRAFFIC_SECRET_0         <client random, 64 hex> <secret, 64 hex>
//! SERVER_TRAFFIC_SECRET_0         <client random, 64 hex> <secret, 64 hex>
//! ```
//!
//! The ClientHello's random names the connection: it is in the clear, so
//! whoever holds a capture can find the lines that unlock it. From a traffic
//! secret the reader derives the key and IV exactly as the endpoints do
//! (`record::open_with_traffic_secret` does that for Eve).

use std::io::ErrorKind;
use std::path::Path;

use super::RANDOM_LEN;
use super::key_schedule::{ApplicationSecrets, HandshakeSecrets, Secret};
use crate::error::{Error, Result};
use crate::lesson09_encrypted_echo::keylog::KeyLogFile;

/// Label of client_handshake_traffic_secret.
pub const CLIENT_HANDSHAKE_LABEL: &str = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
/// Label of server_handshake_traffic_secret.
pub const SERVER_HANDSHAKE_LABEL: &str = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
/// Label of client_application_traffic_secret_0.
pub const CLIENT_TRAFFIC_LABEL: &str = "CLIENT_TRAFFIC_SECRET_0";
/// Label of server_application_traffic_secret_0.
pub const SERVER_TRAFFIC_LABEL: &str = "SERVER_TRAFFIC_SECRET_0";

/// An open key log that connections append to. The file itself (owner
/// only, announced on stderr, one write per group of lines) is lesson 9's.
#[derive(Debug)]
pub struct KeyLog {
    file: KeyLogFile,
}

impl KeyLog {
    /// Opens (or creates, mode 0600) `path` for appending, and says loudly
    /// on stderr that secrets are about to be written there.
    pub fn create(path: &Path) -> Result<KeyLog> {
        let file = KeyLogFile::create(path, "TLS secrets")?;
        Ok(KeyLog { file })
    }

    /// Opens `path` if one was given.
    pub fn create_if(path: Option<&Path>) -> Result<Option<KeyLog>> {
        path.map(KeyLog::create).transpose()
    }

    /// Appends the two handshake traffic secrets. Called as soon as they
    /// exist, so a live tap can decrypt the server's encrypted flight.
    pub fn log_handshake(
        &self,
        client_random: &[u8; RANDOM_LEN],
        secrets: &HandshakeSecrets,
    ) -> Result<()> {
        self.append(&[
            format_line(CLIENT_HANDSHAKE_LABEL, client_random, &secrets.client),
            format_line(SERVER_HANDSHAKE_LABEL, client_random, &secrets.server),
        ])
    }

    /// Appends the two application traffic secrets.
    pub fn log_application(
        &self,
        client_random: &[u8; RANDOM_LEN],
        secrets: &ApplicationSecrets,
    ) -> Result<()> {
        self.append(&[
            format_line(CLIENT_TRAFFIC_LABEL, client_random, &secrets.client),
            format_line(SERVER_TRAFFIC_LABEL, client_random, &secrets.server),
        ])
    }

    /// Appends a group of lines in one write.
    fn append(&self, lines: &[String]) -> Result<()> {
        self.file.append(&lines.concat())
    }
}

/// One key log line: `LABEL <client random hex> <secret hex>\n`.
pub fn format_line(label: &str, client_random: &[u8; RANDOM_LEN], secret: &Secret) -> String {
    format!(
        "{label} {} {}\n",
        crate::hex(client_random),
        crate::hex(secret.as_bytes())
    )
}

/// The secrets of one connection, as read back from a key log (for Eve).
#[derive(Debug, Default, Clone)]
pub struct LoggedSecrets {
    /// client_handshake_traffic_secret, if logged.
    pub client_handshake: Option<Secret>,
    /// server_handshake_traffic_secret, if logged.
    pub server_handshake: Option<Secret>,
    /// client_application_traffic_secret_0, if logged.
    pub client_traffic: Option<Secret>,
    /// server_application_traffic_secret_0, if logged.
    pub server_traffic: Option<Secret>,
}

/// Finds the secrets of the connection whose ClientHello carried
/// `client_random`, in the text of a key log. Comments, blank lines,
/// unknown labels and malformed lines are skipped.
pub fn find(log: &str, client_random: &[u8; RANDOM_LEN]) -> LoggedSecrets {
    let wanted = crate::hex(client_random);
    let mut found = LoggedSecrets::default();
    for line in log.lines() {
        let mut words = line.split_whitespace();
        let (Some(label), Some(random), Some(secret)) = (words.next(), words.next(), words.next())
        else {
            continue;
        };
        if !random.eq_ignore_ascii_case(&wanted) {
            continue;
        }
        let Some(secret) = unhex32(secret) else {
            continue;
        };
        let slot = match label {
            CLIENT_HANDSHAKE_LABEL => &mut found.client_handshake,
            SERVER_HANDSHAKE_LABEL => &mut found.server_handshake,
            CLIENT_TRAFFIC_LABEL => &mut found.client_traffic,
            SERVER_TRAFFIC_LABEL => &mut found.server_traffic,
            _ => continue,
        };
        *slot = Some(Secret::from_bytes(secret));
    }
    found
}

/// Reads the key log at `path` and looks up one connection. A file that
/// does not exist yet simply holds no secrets.
pub fn lookup(path: &Path, client_random: &[u8; RANDOM_LEN]) -> Result<LoggedSecrets> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(find(&text, client_random)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(LoggedSecrets::default()),
        Err(source) => Err(Error::KeyLog {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// 64 hex digits as 32 bytes, or `None`.
fn unhex32(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    // Digits only: `from_str_radix` alone would also take a leading '+'.
    if digits.len() != 64 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_the_nss_shape_and_read_back() {
        let secrets = HandshakeSecrets::derive(&[1; 32], &[2; 32]);
        let app = secrets.application(&[3; 32]);
        let random = [0xab; 32];
        let text = [
            format_line(CLIENT_HANDSHAKE_LABEL, &random, &secrets.client),
            format_line(SERVER_HANDSHAKE_LABEL, &random, &secrets.server),
            "# a comment\n\nCLIENT_RANDOM zz zz\n".to_string(),
            format_line(CLIENT_TRAFFIC_LABEL, &random, &app.client),
            format_line(SERVER_TRAFFIC_LABEL, &random, &app.server),
        ]
        .concat();
        let first = text.lines().next().unwrap();
        let words: Vec<&str> = first.split(' ').collect();
        assert_eq!(words[0], "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
        assert_eq!(words[1], "ab".repeat(32));
        assert_eq!(words[2].len(), 64);
        let found = find(&text, &random);
        assert_eq!(found.client_handshake.as_ref(), Some(&secrets.client));
        assert_eq!(found.server_handshake.as_ref(), Some(&secrets.server));
        assert_eq!(found.client_traffic.as_ref(), Some(&app.client));
        assert_eq!(found.server_traffic.as_ref(), Some(&app.server));
        assert!(
            find(&text, &[0; 32]).client_traffic.is_none(),
            "another connection"
        );
    }

    #[test]
    fn malformed_hex_is_skipped() {
        assert_eq!(unhex32(&"0".repeat(63)), None);
        assert_eq!(unhex32(&"g".repeat(64)), None);
        assert_eq!(unhex32(&"+1".repeat(32)), None);
        assert_eq!(unhex32(&"é".repeat(32)), None);
        assert_eq!(unhex32(&"0F".repeat(32)), Some([0x0f; 32]));
    }
}
