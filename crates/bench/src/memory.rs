//! Server memory with many idle clients, measured on the real program.
//!
//! The `9-echo-server` binary runs as a child process, so its resident set
//! (`VmRSS` in `/proc/<pid>/status`) holds nothing but the server: no
//! benchmark clients, no other contenders. Each client completes the
//! handshake and one echo (so the server has really taken it on), then sits
//! idle while we read the figure.

use std::io::{BufRead, BufReader, ErrorKind};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;

use tls::{Error, Result};

use crate::lesson9;
use crate::workloads::echo_once;

/// Resident memory of the server, before and after the clients connected.
pub struct Memory {
    /// RSS in KiB, listening, no clients.
    pub idle_kib: u64,
    /// RSS in KiB with every client connected.
    pub loaded_kib: u64,
    /// How many clients were connected.
    pub clients: usize,
}

/// Kills the server when the measurement ends, however it ends.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `9-echo-server`, connects `clients` idle clients, reads its RSS.
pub fn server_rss(clients: usize) -> Result<Memory> {
    let program = server_program()?;
    let child = Command::new(&program)
        .args(["--addr", "127.0.0.1:0", "--quiet", "--max-connections"])
        .arg((clients + 16).to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| other(format!("cannot start {}: {e}", program.display())))?;
    let mut server = ServerProcess(child);
    let addr = listening_addr(&mut server.0)?;
    let pid = server.0.id();

    let idle_kib = rss_kib(pid)?;
    let mut held = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (mut reader, mut writer) = lesson9::connect(addr)?;
        echo_once(&mut reader, &mut writer, b"hello")?;
        held.push((reader, writer));
    }
    let loaded_kib = rss_kib(pid)?;
    drop(held);
    Ok(Memory {
        idle_kib,
        loaded_kib,
        clients,
    })
}

/// Reads the server's "listening on ADDR" line, then keeps draining its
/// stderr in the background so it never blocks on a full pipe.
fn listening_addr(child: &mut Child) -> Result<SocketAddr> {
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| other("no stderr pipe".into()))?;
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().transpose()?.unwrap_or_default();
    thread::spawn(move || lines.for_each(drop));
    first
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|addr| addr.parse().ok())
        .ok_or_else(|| {
            other(format!(
                "9-echo-server said {first:?}, not where it listens"
            ))
        })
}

/// `VmRSS` of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| other(format!("no VmRSS line in /proc/{pid}/status")))
}

/// The `9-echo-server` program next to this one, built first when we run
/// under cargo so it is never stale.
fn server_program() -> Result<PathBuf> {
    let name = format!("9-echo-server{}", std::env::consts::EXE_SUFFIX);
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .ok_or_else(|| other("cannot find this program's directory".into()))?;
    if let Some(cargo) = std::env::var_os("CARGO") {
        let mut build = Command::new(cargo);
        build.args([
            "build",
            "--quiet",
            "--locked",
            "-p",
            "tls",
            "--bin",
            "9-echo-server",
        ]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let status = build.current_dir(workspace).status()?;
        if !status.success() {
            return Err(other("building 9-echo-server failed".into()));
        }
    }
    let program = dir.join(name);
    if !program.exists() {
        return Err(Error::Io(std::io::Error::new(
            ErrorKind::NotFound,
            format!(
                "no {} (build it with `cargo build --release -p tls --bins`)",
                program.display()
            ),
        )));
    }
    Ok(program)
}

fn other(message: String) -> Error {
    Error::Io(std::io::Error::other(message))
}
