//! Programs we did not write (`openssl`, `curl`, `tshark`, `tcpdump`), for
//! the second test tier: checking that one is installed, and running one in
//! the background while a test talks to it.
//!
//! Like [`crate::python_peer`], a missing tool is a failure that prints the
//! install line ([`crate::INSTALL_HINT`]), never a skipped test.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::{INSTALL_HINT, PATIENCE, wait_until};

/// Checks that the outside program `tool` is installed and runs, and
/// returns the first line of its version report (for failure messages).
///
/// `openssl` must be OpenSSL 1.1.1 or later: the tests need its TLS 1.3
/// (`-ciphersuites`) and Ed25519 keys, which LibreSSL (macOS's `openssl`)
/// does not offer in the same way.
pub fn require_tool(tool: &str) -> String {
    let version_arg = if tool == "openssl" {
        "version"
    } else {
        "--version"
    };
    let out = Command::new(tool)
        .arg(version_arg)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("`{tool}` is required and cannot be run ({e}): {INSTALL_HINT}"));
    // tcpdump writes its version to stderr, the others to stdout.
    let report = [&out.stdout, &out.stderr]
        .iter()
        .flat_map(|bytes| {
            String::from_utf8_lossy(bytes)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default();
    assert!(
        out.status.success(),
        "`{tool}` is required and does not run (`{tool} {version_arg}`: {}{}): {INSTALL_HINT}",
        out.status,
        if report.is_empty() {
            String::new()
        } else {
            format!(", {report}")
        },
    );
    if tool == "openssl" {
        assert!(
            report.starts_with("OpenSSL 3") || report.starts_with("OpenSSL 1.1.1"),
            "these tests need OpenSSL 1.1.1 or later (TLS 1.3, Ed25519), found {report:?}: {INSTALL_HINT}"
        );
    }
    report
}

/// A fresh, empty scratch directory (see [`crate::scratch`]).
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = crate::scratch(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

/// Everything a child has written to one pipe so far, as raw bytes: some
/// tools (s_server) print what they receive with no line ending.
type Captured = Arc<Mutex<Vec<u8>>>;

/// Reads `pipe` to its end on a thread; returns the bytes so far and the
/// thread (joined once the program has exited, to have them all).
fn capture_bytes(mut pipe: impl Read + Send + 'static) -> (Captured, JoinHandle<()>) {
    let all: Captured = Arc::default();
    let sink = Arc::clone(&all);
    let reader = thread::spawn(move || {
        let mut buf = [0; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    (all, reader)
}

/// A program running in the background with its stdin piped and its
/// stdout and stderr captured. Killed when dropped.
pub struct Background {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Captured,
    stderr: Captured,
    readers: Vec<JoinHandle<()>>,
}

impl Background {
    /// Starts `command` (its stdio is replaced by pipes).
    pub fn start(mut command: Command) -> Background {
        let name = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({e}): {INSTALL_HINT}"));
        let (stdout, out_reader) = capture_bytes(child.stdout.take().unwrap());
        let (stderr, err_reader) = capture_bytes(child.stderr.take().unwrap());
        let stdin = child.stdin.take();
        Background {
            name,
            child,
            stdin,
            stdout,
            stderr,
            readers: vec![out_reader, err_reader],
        }
    }

    /// One of our own programs (`crates/tls/src/bin/NAME.rs`) with `args`.
    pub fn ours(program: &str, args: &[&str]) -> Background {
        let mut command = Command::new(crate::bin(program));
        command.args(args);
        Background::start(command)
    }

    /// The process id, to signal it.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Everything it has printed on stdout so far.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// Everything it has printed on stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits until stdout contains `needle`; panics, showing both streams,
    /// if it does not within [`PATIENCE`].
    pub fn expect_stdout(&self, needle: &str) {
        let seen = wait_until(|| self.stdout().contains(needle));
        assert!(
            seen,
            "{} never printed {needle:?}\n{}",
            self.name,
            self.report()
        );
    }

    /// Waits until stderr contains `needle`; panics as [`Self::expect_stdout`].
    pub fn expect_stderr(&self, needle: &str) {
        let seen = wait_until(|| self.stderr().contains(needle));
        assert!(
            seen,
            "{} never said {needle:?}\n{}",
            self.name,
            self.report()
        );
    }

    /// Writes `bytes` to its stdin.
    pub fn write_stdin(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes its stdin: end of input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for it to exit, for at most [`PATIENCE`].
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Its pipes are closed now: take the last bytes from them.
                for reader in self.readers.drain(..) {
                    let _ = reader.join();
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit in time\n{}",
                self.name,
                self.report()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Both streams, for a failure message.
    pub fn report(&self) -> String {
        format!(
            "--- {} stdout:\n{}\n--- {} stderr:\n{}",
            self.name,
            self.stdout(),
            self.name,
            self.stderr()
        )
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tshark` with an empty home directory: no personal preferences or
/// plugins can change what it shows, so what a test sees is what stock
/// tshark does.
pub fn tshark(home: &Path) -> Command {
    let _ = std::fs::remove_dir_all(home);
    std::fs::create_dir_all(home).expect("create tshark's empty home");
    let mut command = Command::new("tshark");
    command.env("HOME", home).env_remove("XDG_CONFIG_HOME");
    command
}
