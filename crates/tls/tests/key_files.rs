//! Lesson 10's key files on disk: the secret key file is private and never
//! overwritten, both files read back, and every kind of broken file is
//! refused with one line that names it.
//!
//! These tests write real files, in cargo's scratch folder for integration
//! tests (`CARGO_TARGET_TMPDIR`), never in the system's `/tmp`.

use std::fs;
use std::path::PathBuf;

use tls::Error;
use tls::lesson10_authentication::identity::{ServerIdentity, ServerPublicKey};
use tls::lesson10_authentication::key_file::{PUBLIC_KEY_COMMENT, SECRET_KEY_HEADER};

/// A fresh path in cargo's scratch folder for this test binary.
fn scratch(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("key-files-{name}"));
    let _ = fs::remove_file(&path);
    path
}

/// RFC 8032 section 7.1, TEST 1: a key pair everyone knows, so the file's
/// exact contents can be checked.
const SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn test1() -> ServerIdentity {
    let secret: [u8; 32] = hex::decode(SECRET).unwrap().try_into().unwrap();
    ServerIdentity::from_secret_for_testing_only(secret)
}

#[test]
fn secret_key_file_format_and_round_trip() {
    let path = scratch("round-trip.key");
    test1().write_new(&path).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        format!("{SECRET_KEY_HEADER}\n{PUBLIC_KEY_COMMENT}{PUBLIC}\n{SECRET}\n")
    );
    let back = ServerIdentity::read(&path).unwrap();
    assert_eq!(back.public_key().to_string(), PUBLIC);
    // Signing with the key read back gives RFC 8032's TEST 1 signature.
    assert!(tls::hex(&back.sign(b"")).starts_with("e5564300c360ac72"));
    let _ = fs::remove_file(&path);
}

#[cfg(unix)]
#[test]
fn secret_key_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let path = scratch("mode.key");
    ServerIdentity::generate()
        .unwrap()
        .write_new(&path)
        .unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let _ = fs::remove_file(&path);
}

#[test]
fn an_existing_file_is_never_overwritten() {
    let path = scratch("exists.key");
    fs::write(&path, "someone else's file\n").unwrap();
    let e = ServerIdentity::generate()
        .unwrap()
        .write_new(&path)
        .unwrap_err();
    assert!(matches!(&e, Error::KeyFile { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "key file {} already exists; refusing to overwrite it",
            path.display()
        )
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "someone else's file\n");
    // Not even an earlier key file of our own.
    let key = scratch("exists-too.key");
    test1().write_new(&key).unwrap();
    assert!(ServerIdentity::generate().unwrap().write_new(&key).is_err());
    assert_eq!(
        ServerIdentity::read(&key).unwrap().public_key().to_string(),
        PUBLIC
    );
    let _ = fs::remove_file(&path);
    let _ = fs::remove_file(&key);
}

#[test]
fn public_key_file_as_genkey_prints_it() {
    let path = scratch("server.pub");
    fs::write(&path, format!("{PUBLIC}\n")).unwrap();
    let key = ServerPublicKey::from_arg(path.to_str().unwrap()).unwrap();
    assert_eq!(key.to_string(), PUBLIC);
    // A comment and blank lines around it are fine.
    fs::write(&path, format!("# the course server\n\n{PUBLIC}\n\n")).unwrap();
    assert_eq!(ServerPublicKey::read(&path).unwrap().to_string(), PUBLIC);
    let _ = fs::remove_file(&path);
}

/// Every broken file gives one line that names the file and what is wrong.
#[test]
fn broken_key_files_are_refused_with_one_line() {
    let cases: [(&str, &[u8], &str); 8] = [
        ("empty", b"", "no key in it"),
        ("comments-only", b"# nothing here\n", "no key in it"),
        (
            "garbage",
            b"hello world\n",
            "expected 64 hex digits, found 'h'",
        ),
        (
            "short",
            b"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f\n",
            "expected 64 hex digits, found 62",
        ),
        (
            "two-keys",
            b"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n\
              9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n",
            "expected one line of 64 hex digits, found 2 lines",
        ),
        ("binary", &[0xff, 0xfe, 0x00, 0x80], "not text"),
        ("huge", &[b'a'; 10_000], "too long to be a key file"),
        (
            "spaced",
            b"9d61 b19d effd 5a60 ba84 4af4 92ec 2cc4 4449 c569 7b32 6919 703b ac03 1cae 7f60\n",
            "expected 64 hex digits, found ' '",
        ),
    ];
    for (name, contents, why) in cases {
        let path = scratch(&format!("{name}.key"));
        fs::write(&path, contents).unwrap();
        for e in [
            ServerIdentity::read(&path).map(|_| ()).unwrap_err(),
            ServerPublicKey::read(&path).map(|_| ()).unwrap_err(),
        ] {
            let line = e.to_string();
            assert!(matches!(e, Error::BadKey { .. }), "{name}: {e:?}");
            assert!(
                line.starts_with(&format!("key file {}: ", path.display())),
                "{name}: {line}"
            );
            assert!(line.contains(why), "{name}: {line}");
            assert_eq!(line.lines().count(), 1, "{name}: {line}");
        }
        let _ = fs::remove_file(&path);
    }
}

#[test]
fn a_missing_file_names_its_path() {
    let path = scratch("not-there.key");
    let e = ServerIdentity::read(&path).unwrap_err();
    assert!(matches!(&e, Error::KeyFile { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("key file {}: ", path.display())),
        "{e}"
    );
    // A directory is not a key file either.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    assert!(ServerIdentity::read(&dir).is_err());
}

#[test]
fn the_secret_key_file_is_not_a_public_key() {
    let path = scratch("given-to-the-client.key");
    test1().write_new(&path).unwrap();
    let e = ServerPublicKey::from_arg(path.to_str().unwrap()).unwrap_err();
    assert!(
        e.to_string()
            .contains("this is the server's SECRET key file"),
        "{e}"
    );
    let _ = fs::remove_file(&path);
}
