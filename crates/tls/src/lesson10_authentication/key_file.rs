//! How the server's identity is kept on disk: the secret key file and the
//! public key the client trusts, and the careful reading of both.
//!
//! Both are short text files, so `cat` shows what they hold.
//!
//! The **secret key file**, written by `10-genkey --out FILE` with mode
//! 0600 (readable by its owner only), never over an existing file:
//!
//! ```text
//! # lesson 10 server secret key (Ed25519). Keep it private: whoever holds it can be the server.
//! # public key: 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c
//! 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb
//! ```
//!
//! The last line is the 32-byte secret key (RFC 8032 calls it the seed) as
//! 64 hex digits. Lines starting with `#` are comments; the public key is
//! repeated there only for the reader's convenience and is never trusted.
//!
//! The **public key** is 64 hex digits, exactly what `10-genkey` prints.
//! The client takes it on the command line, or from a file holding it (for
//! example `10-genkey ... > server.pub`); such a file may also carry `#`
//! comment lines.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The first line of every secret key file. It also lets the client
/// recognise a secret key file handed to it by mistake.
pub const SECRET_KEY_HEADER: &str =
    "# lesson 10 server secret key (Ed25519). Keep it private: whoever holds it can be the server.";
/// The comment line that repeats the public key inside a secret key file.
pub const PUBLIC_KEY_COMMENT: &str = "# public key: ";
/// How to make a key, for error messages.
pub const GENKEY_COMMAND: &str = "cargo run -p tls --bin 10-genkey -- --out server.key";
/// Key files are a few lines long. Anything longer is the wrong file (or
/// `/dev/zero`), and is refused before it is read into memory.
const MAX_KEY_FILE_LEN: u64 = 4096;

/// A key error that names where the key came from.
pub(super) fn bad(origin: String, why: impl Into<String>) -> Error {
    Error::BadKey {
        origin,
        why: why.into(),
    }
}

/// Reads a key file as text, refusing anything longer than a key file can
/// be. The buffer is wiped afterwards: it may hold a secret.
pub(super) fn read_key_file(path: &Path) -> Result<Zeroizing<String>> {
    let failed = |source| Error::KeyFile {
        path: path.display().to_string(),
        source,
    };
    let mut bytes = Zeroizing::new(Vec::new());
    File::open(path)
        .and_then(|file| file.take(MAX_KEY_FILE_LEN + 1).read_to_end(&mut bytes))
        .map_err(failed)?;
    let origin = || format!("key file {}", path.display());
    if bytes.len() as u64 > MAX_KEY_FILE_LEN {
        return Err(bad(origin(), "too long to be a key file"));
    }
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_string())),
        Err(_) => Err(bad(origin(), "not text (expected 64 hex digits)")),
    }
}

/// The one line of a key file that is not blank and not a `#` comment,
/// `Ok(None)` if there is none, or why there are too many.
pub(super) fn key_line(text: &str) -> std::result::Result<Option<&str>, String> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    let first = lines.next();
    let extra = lines.count();
    if extra > 0 {
        return Err(format!(
            "expected one line of 64 hex digits, found {} lines",
            extra + 1
        ));
    }
    Ok(first)
}

/// Why `line` is not 64 hex digits.
pub(super) fn hex_problem(line: &str) -> String {
    match line.chars().find(|c| !c.is_ascii_hexdigit()) {
        Some(c) => format!("expected 64 hex digits, found {c:?}"),
        None => format!("expected 64 hex digits, found {}", line.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_line_skips_comments_and_refuses_extra_lines() {
        assert_eq!(key_line("# hi\n\n  abc \n").unwrap(), Some("abc"));
        assert_eq!(key_line("# only a comment\n").unwrap(), None);
        assert!(key_line("abc\ndef\n").is_err());
        assert_eq!(hex_problem("12zz"), "expected 64 hex digits, found 'z'");
        assert_eq!(hex_problem("1234"), "expected 64 hex digits, found 4");
    }
}
