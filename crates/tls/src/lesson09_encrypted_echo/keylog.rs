//! `--keylog FILE`: write each lesson 9 session's traffic keys to a file, so
//! a capture can be decrypted later.
//!
//! ⚠️ **A key log is a skeleton key.** Anyone holding the file can read every
//! session it lists. Browsers do the same thing with `SSLKEYLOGFILE` so that
//! Wireshark can decrypt TLS; it exists for debugging and teaching only.
//!
//! # Format
//!
//! Plain text, appended to, one key per line, in the spirit of the NSS key
//! log that `SSLKEYLOGFILE` writes:
//!
//! ```text
//! LESSON9_C2S <client public key, 64 hex digits> <c2s key, 64 hex digits>
//! LESSON9_S2C <client public key, 64 hex digits> <s2c key, 64 hex digits>
//! ```
//!
//! The client's public key names the session: it is the first thing on the
//! wire, so whoever holds a capture can find the matching lines. Lines that
//! start with `#`, blank lines and unknown labels are ignored when reading.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};
use crate::lesson07_key_exchange::PUBLIC_KEY_LEN;
use crate::lesson08_key_split::KEY_LEN;
use crate::lesson09_encrypted_echo::handshake::Session;
use crate::runtime::sync::lock;

/// Label of the line carrying the client-to-server key.
pub const C2S_LABEL: &str = "LESSON9_C2S";
/// Label of the line carrying the server-to-client key.
pub const S2C_LABEL: &str = "LESSON9_S2C";

/// An open key log that sessions are appended to.
#[derive(Debug)]
pub struct KeyLog {
    file: KeyLogFile,
}

impl KeyLog {
    /// Opens (or creates) `path` for appending, and says loudly on stderr
    /// that secrets are about to be written there.
    pub fn create(path: &Path) -> Result<KeyLog> {
        let file = KeyLogFile::create(path, "session keys")?;
        Ok(KeyLog { file })
    }

    /// Opens `path` if one was given.
    pub fn create_if(path: Option<&Path>) -> Result<Option<KeyLog>> {
        path.map(KeyLog::create).transpose()
    }

    /// Appends the two lines for `session`.
    pub fn record(&self, session: &Session) -> Result<()> {
        self.file.append(&format_lines(
            &session.client_public,
            session.keys.c2s(),
            session.keys.s2c(),
        ))
    }
}

/// The file under a key log, shared with lesson 11's NSS key log: created
/// owner-only, announced on stderr, appended to one write at a time.
#[derive(Debug)]
pub struct KeyLogFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl KeyLogFile {
    /// Opens (or creates, mode 0600) `path` for appending, and warns on
    /// stderr that `what` (say, "session keys") will be written there.
    pub fn create(path: &Path, what: &str) -> Result<KeyLogFile> {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        // A new key log is readable by its owner only: it unlocks traffic.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|source| Error::KeyLog {
            path: path.display().to_string(),
            source,
        })?;
        status!(
            "WARNING: writing {what} to {} -- anyone with this file can read the traffic",
            path.display()
        );
        Ok(KeyLogFile {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Appends `lines` in one write call, on a file opened for appending,
    /// so two programs logging to the same file do not interleave
    /// half-lines.
    pub fn append(&self, lines: &str) -> Result<()> {
        let mut file = lock(&self.file);
        file.write_all(lines.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|source| Error::KeyLog {
                path: self.path.display().to_string(),
                source,
            })
    }
}

/// The two key-log lines for one session.
pub fn format_lines(
    client_public: &[u8; PUBLIC_KEY_LEN],
    c2s: &[u8; KEY_LEN],
    s2c: &[u8; KEY_LEN],
) -> String {
    let id = crate::hex(client_public);
    format!(
        "{C2S_LABEL} {id} {}\n{S2C_LABEL} {id} {}\n",
        crate::hex(c2s),
        crate::hex(s2c)
    )
}

/// The keys of one session, as read back from a key log.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct LoggedKeys {
    /// The client-to-server key, if its line was found.
    pub c2s: Option<[u8; KEY_LEN]>,
    /// The server-to-client key, if its line was found.
    pub s2c: Option<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for LoggedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoggedKeys { .. }")
    }
}

/// Finds the keys of the session whose client sent `client_public`, in the
/// text of a key log. Malformed lines are skipped, never fatal.
pub fn find(log: &str, client_public: &[u8; PUBLIC_KEY_LEN]) -> Option<LoggedKeys> {
    let mut keys = LoggedKeys::default();
    for line in log.lines() {
        let mut words = line.split_whitespace();
        let (Some(label), Some(id), Some(key)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        if crate::unhex::<PUBLIC_KEY_LEN>(id).as_ref() != Some(client_public) {
            continue;
        }
        let Some(key) = crate::unhex::<KEY_LEN>(key) else {
            continue;
        };
        match label {
            C2S_LABEL => keys.c2s = Some(key),
            S2C_LABEL => keys.s2c = Some(key),
            _ => {}
        }
    }
    (keys.c2s.is_some() || keys.s2c.is_some()).then_some(keys)
}

/// Reads the key log at `path` and looks up one session. A file that does
/// not exist yet simply has no keys in it.
pub fn lookup(path: &Path, client_public: &[u8; PUBLIC_KEY_LEN]) -> Result<Option<LoggedKeys>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(find(&text, client_public)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::KeyLog {
            path: path.display().to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_through_find() {
        let text = format_lines(&[1; 32], &[2; 32], &[3; 32]);
        assert!(text.starts_with("LESSON9_C2S 0101"));
        assert_eq!(text.lines().count(), 2);
        let keys = find(&text, &[1; 32]).unwrap();
        assert_eq!(keys.c2s, Some([2; 32]));
        assert_eq!(keys.s2c, Some([3; 32]));
        assert!(find(&text, &[9; 32]).is_none(), "another session");
    }

    #[test]
    fn junk_lines_are_skipped() {
        let mut text = String::from("# comment\n\nLESSON9_C2S zz zz\nLESSON9_S2C 01\nGARBAGE\n");
        text.push_str(&format_lines(&[1; 32], &[2; 32], &[3; 32]));
        text.push_str("LESSON9_C2S 0101 é\n");
        assert_eq!(find(&text, &[1; 32]).unwrap().c2s, Some([2; 32]));
        assert_eq!(crate::unhex::<1>("é"), None);
        assert_eq!(crate::unhex::<1>("+1"), None);
    }
}
