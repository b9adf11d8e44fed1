//! Helpers for the end-to-end tests: build and find the lesson programs, start
//! a server on a free loopback port, run a client with piped stdin.
//!
//! Cargo only tells the `tls` package's own tests where its binaries are, so
//! this crate builds them itself (once per test run) with the same cargo and
//! profile, and looks them up in the target directory. That keeps the tests
//! independent of build order.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

pub mod bad_peer;
pub mod bad_peer11;
pub mod outside;

/// An address where nothing listens, for "connection refused" tests.
///
/// Not a port freed by dropping a listener: tests run in parallel, and the
/// next server bound to port 0 may be handed that very port. Port 1 is
/// outside the range the OS hands out for port 0, so no test server lands
/// there, and nothing on a test machine serves it.
pub const REFUSED_ADDR: &str = "127.0.0.1:1";

/// How long any single wait in a test may take before it is a failure.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Path to a program of the `tls` package, built on first use.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let release = !cfg!(debug_assertions);
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--locked", "-p", "tls", "--bins"]);
        // Cargo gives this test process the variables of the `e2e` package.
        // Passed on, they look like a changed environment to build scripts
        // that watch them (ring's watches CARGO_MANIFEST_DIR), and every
        // test run would rebuild ring and all that depends on it.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("CARGO_PKG_")
                || matches!(
                    name.as_ref(),
                    "CARGO_MANIFEST_DIR"
                        | "CARGO_MANIFEST_PATH"
                        | "CARGO_CRATE_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                )
            {
                build.env_remove(name.as_ref());
            }
        }
        if release {
            build.arg("--release");
        }
        let status = build
            .current_dir(workspace_root())
            .status()
            .expect("cannot run cargo to build the lesson programs");
        assert!(status.success(), "building the lesson programs failed");
        target_dir().join(if release { "release" } else { "debug" })
    });
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "no program {} (looked in {})",
        name,
        dir.display()
    );
    path
}

/// Cargo's target directory for this workspace.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// A path for a test's scratch file, inside the target directory: tests
/// leave nothing behind in the system's `/tmp`. The process id keeps two
/// test runs apart; any file already there is removed.
pub fn scratch(name: &str) -> PathBuf {
    let dir = target_dir().join("e2e-scratch");
    std::fs::create_dir_all(&dir).expect("create target/e2e-scratch");
    let path = dir.join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// The workspace's top directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives inside the workspace")
        .to_path_buf()
}

/// Text a child process has written so far, shared with a reader thread.
type Captured = Arc<Mutex<String>>;

fn capture(pipe: impl Read + Send + 'static, lines: Option<mpsc::Sender<String>>) -> Captured {
    let text: Captured = Arc::default();
    let sink = Arc::clone(&text);
    thread::spawn(move || {
        for line in BufReader::new(pipe).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line).into_owned();
            if let Some(tx) = &lines {
                let _ = tx.send(line.clone());
            }
            let mut all = sink.lock().unwrap();
            all.push_str(&line);
            all.push('\n');
        }
    });
    text
}

/// A server program running in the background on a free loopback port.
/// Killed when dropped.
pub struct Server {
    child: Child,
    /// The address it is listening on.
    pub addr: String,
    stdout: Captured,
    stderr: Captured,
    /// Its stdin, for `--chat` tests.
    pub stdin: Option<ChildStdin>,
    // A pipe held open and never read (see `Launch::unread`).
    _unread: Option<Box<dyn Read + Send>>,
}

/// Which of a server's output pipes a test leaves unread, like
/// `server | sleep 1000` would.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unread {
    /// Both are read (the usual case).
    #[default]
    Nothing,
    /// Stdout is a pipe nobody reads.
    Stdout,
    /// Stderr is a pipe nobody reads (after its `listening on` line).
    Stderr,
}

/// How to start a server: which pipe to leave unread, and an open-file
/// limit to run it under (`ulimit -n`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Launch {
    /// See [`Unread`].
    pub unread: Unread,
    /// Soft and hard open-file limit, set by `sh -c 'ulimit -n N'`.
    pub nofile: Option<u32>,
}

impl Server {
    /// Starts `name` with `--addr 127.0.0.1:0` and `args`, and waits until it
    /// says which port it got.
    pub fn start(name: &str, args: &[&str]) -> Server {
        Server::launch(name, args, Launch::default())
    }

    /// Like [`Server::start`], with a pipe left unread or a descriptor limit.
    pub fn launch(name: &str, args: &[&str], launch: Launch) -> Server {
        let program = bin(name);
        let mut command = match launch.nofile {
            // The shell lowers both limits, then becomes the server.
            Some(limit) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(&program);
                sh
            }
            None => Command::new(&program),
        };
        let mut child = command
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let out_pipe = child.stdout.take().unwrap();
        let err_pipe = child.stderr.take().unwrap();
        let (addr, stdout, stderr, unread): (_, _, _, Option<Box<dyn Read + Send>>) =
            match launch.unread {
                Unread::Nothing => {
                    let (tx, rx) = mpsc::channel();
                    let stdout = capture(out_pipe, None);
                    let stderr = capture(err_pipe, Some(tx));
                    (wait_for_listening(&rx), stdout, stderr, None)
                }
                Unread::Stdout => {
                    let (tx, rx) = mpsc::channel();
                    let stderr = capture(err_pipe, Some(tx));
                    let addr = wait_for_listening(&rx);
                    (addr, Captured::default(), stderr, Some(Box::new(out_pipe)))
                }
                Unread::Stderr => {
                    // Read just the `listening on` line, then never again.
                    let mut pipe = BufReader::new(err_pipe);
                    let mut first = String::new();
                    let _ = pipe.read_line(&mut first);
                    let addr = first
                        .strip_prefix("listening on ")
                        .and_then(|rest| rest.split_whitespace().next())
                        .map(str::to_string);
                    let stderr = Captured::new(Mutex::new(first));
                    (addr, capture(out_pipe, None), stderr, Some(Box::new(pipe)))
                }
            };
        Server::finish(name, child, addr, stdout, stderr, unread)
    }

    fn finish(
        name: &str,
        mut child: Child,
        addr: Option<String>,
        stdout: Captured,
        stderr: Captured,
        unread: Option<Box<dyn Read + Send>>,
    ) -> Server {
        let addr = addr.unwrap_or_else(|| {
            let _ = child.kill();
            panic!("{name} did not start listening")
        });
        let stdin = child.stdin.take();
        Server {
            child,
            addr,
            stdout,
            stderr,
            stdin,
            _unread: unread,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server has printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// Everything the server has printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The messages the server printed so far, in order: the text after
    /// `] ` on each `[peer] message` line of its stdout.
    pub fn printed_messages(&self) -> Vec<String> {
        self.stdout()
            .lines()
            .filter(|line| line.starts_with('['))
            .filter_map(|line| line.split_once("] ").map(|(_, m)| m.to_string()))
            .collect()
    }

    /// Waits until stdout contains `needle` `count` times; false on timeout.
    pub fn wait_stdout(&self, needle: &str, count: usize) -> bool {
        wait_until(|| self.stdout().matches(needle).count() >= count)
    }

    /// Waits until stderr contains `needle`; false on timeout.
    pub fn wait_stderr(&self, needle: &str) -> bool {
        wait_until(|| self.stderr().contains(needle))
    }

    /// True while the server process is running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for_listening(rx: &Receiver<String>) -> Option<String> {
    let deadline = Instant::now() + PATIENCE;
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if let Some(rest) = line.strip_prefix("listening on ") {
            return rest.split_whitespace().next().map(str::to_string);
        }
    }
    None
}

/// Polls `done` until it is true or [`PATIENCE`] runs out.
pub fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// Runs a client program to completion with `input` on stdin and returns
/// what it printed and how it exited. Panics if it takes longer than
/// [`PATIENCE`].
pub fn run_client(name: &str, args: &[&str], input: &[u8]) -> Output {
    run_client_within(name, args, input, PATIENCE)
}

/// Like [`run_client`], for work that takes longer than [`PATIENCE`]
/// (megabytes through a debug build).
pub fn run_client_within(name: &str, args: &[&str], input: &[u8], patience: Duration) -> Output {
    let mut child = Command::new(bin(name))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // Feed stdin from a thread so a large input cannot deadlock against a
    // full stdout pipe.
    let feeder = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let (out, err) = (read_all(Box::new(out)), read_all(Box::new(err)));
    let deadline = Instant::now() + patience;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{name} did not finish in time");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let _ = feeder.join();
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// A usage mistake: exit status 2, and clap's whole message on stderr,
/// which names what was wrong (`says`) and points at `--help`, with no
/// panic or backtrace.
pub fn assert_usage_error(out: &Output, says: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(says), "{err}");
    assert!(err.contains("--help"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

/// How a server prints `message`: escaped, and cut to a preview if long
/// (see `tls::runtime::output::preview`).
pub fn shown(message: &[u8]) -> String {
    tls::runtime::output::preview(message, tls::runtime::output::PREVIEW_BYTES)
}

/// The length of the message a printed line stands for: the `N` of a
/// preview's `... (N bytes)`, or the length of a line shown whole.
pub fn printed_len(printed: &str) -> usize {
    printed
        .rsplit_once("... (")
        .and_then(|(_, tail)| tail.strip_suffix(" bytes)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(printed.len())
}

/// Text of a byte buffer, for assertion messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// How to install the second tier's tools, for failure messages.
pub const INSTALL_HINT: &str = "install the second tier's tools: \
     Debian/Ubuntu: sudo apt install tshark tcpdump openssl curl python3-cryptography; \
     macOS: brew install wireshark openssl@3 && pip3 install cryptography, with \
     $(brew --prefix openssl@3)/bin first on PATH (see README.md)";

/// Path of a Python peer script in `tests/python/`, after checking that
/// python3 and its `cryptography` package are there. In the second tier a
/// missing package is a failure with the install line, never a skip.
pub fn python_peer(script: &str) -> String {
    let ok = Command::new("python3")
        .args(["-c", "import cryptography"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python3 with the `cryptography` package is required: {INSTALL_HINT}"
    );
    workspace_root()
        .join("tests/python")
        .join(script)
        .display()
        .to_string()
}
