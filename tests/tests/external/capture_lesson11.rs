//! A live capture of lesson 11, read by stock tshark: no dissector of ours,
//! only the NSS key log our programs write with `--keylog` and tshark's own
//! TLS dissector (`-d tcp.port==PORT,tls` just says which port is TLS).
//!
//! tcpdump records the real loopback traffic of our client and our server
//! (or curl and our server); tshark then decrypts it with the key log and
//! shows what went inside: the encrypted handshake messages, the
//! application data, close_notify. The same capture read without the key
//! log is the control: there tshark sees only the two hellos and opaque
//! records.
//!
//! Needs `tcpdump` allowed to capture on the loopback interface (`lo`;
//! `lo0` on macOS): as root, as CI runs it, or with CAP_NET_RAW. Also
//! `tshark`, run with an empty HOME so no personal preference or plugin
//! takes part, and `curl` for the second test. Debian: `apt-get install -y
//! tcpdump tshark curl`. A missing tool, or a tcpdump that may not capture,
//! fails the test with its message.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::outside::{Background, require_tool, scratch_dir, tshark};
use e2e::{Server, run_client, text, wait_until};

/// The loopback interface's name.
const LOOPBACK: &str = if cfg!(target_os = "macos") {
    "lo0"
} else {
    "lo"
};

/// A tcpdump writing one port's packets to a file.
struct Capture {
    tcpdump: Background,
    file: PathBuf,
}

impl Capture {
    /// Starts tcpdump and waits until it says it is listening, so nothing
    /// started afterwards is missed.
    fn start(port: u16, file: PathBuf) -> Capture {
        require_tool("tcpdump");
        let mut command = Command::new("tcpdump");
        // -U: write each packet as it comes; -Z root: as root, do not
        // switch to the `tcpdump` user, who may not write in target/.
        command
            .args(["-i", LOOPBACK, "-U", "-Z", "root", "-w"])
            .arg(&file)
            .args(["tcp", "port", &port.to_string()]);
        let tcpdump = Background::start(command);
        let listening = wait_until(|| tcpdump.stderr().contains("listening on"));
        assert!(
            listening,
            "tcpdump cannot capture on {LOOPBACK} (it needs root or CAP_NET_RAW):\n{}",
            tcpdump.report()
        );
        Capture { tcpdump, file }
    }

    /// Waits until `complete` says the file holds everything the test
    /// needs (tcpdump writes packets as the kernel hands them over, a
    /// little after they were sent), then stops tcpdump with SIGINT.
    fn stop_when(mut self, complete: impl Fn(&Path) -> bool) -> PathBuf {
        let got_all = wait_until(|| complete(&self.file));
        let pid = self.tcpdump.id().to_string();
        let interrupted = Command::new("kill").args(["-INT", &pid]).status();
        assert!(
            interrupted.is_ok_and(|s| s.success()),
            "cannot signal tcpdump"
        );
        self.tcpdump.wait();
        assert!(got_all, "the capture never held the whole session");
        self.file.clone()
    }
}

/// The port of an address `127.0.0.1:PORT`.
fn port_of(addr: &str) -> u16 {
    addr.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// One frame as tshark reports it: `field -> value` (several values of one
/// field, as in a frame with several records, are joined with commas).
type Row = std::collections::BTreeMap<String, String>;

/// Stock tshark on `capture`, with the key log if given, reporting `fields`
/// for every frame. `extra` adds options (e.g. `-d` for HTTP). An error
/// while tcpdump is still writing (a packet cut short) is not a failure
/// yet: see [`tshark_rows`].
fn try_tshark_rows(
    capture: &Path,
    port: u16,
    keylog: Option<&Path>,
    extra: &[&str],
    fields: &[&str],
) -> Result<Vec<Row>, String> {
    require_tool("tshark");
    let mut command = tshark(&capture.with_extension("tshark-home"));
    command
        .arg("-r")
        .arg(capture)
        .args(["-d", &format!("tcp.port=={port},tls")])
        .args(extra);
    if let Some(keylog) = keylog {
        command
            .arg("-o")
            .arg(format!("tls.keylog_file:{}", keylog.display()));
    }
    command.args(["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]);
    for field in fields {
        command.args(["-e", field]);
    }
    let out = command.output().expect("cannot run tshark");
    if !out.status.success() {
        return Err(format!("tshark failed: {}", text(&out.stderr)));
    }
    Ok(text(&out.stdout)
        .lines()
        .map(|line| {
            fields
                .iter()
                .map(|f| f.to_string())
                .zip(line.split('|').map(str::to_string))
                .collect()
        })
        .collect())
}

/// [`try_tshark_rows`] on a finished capture, where any error is a failure.
fn tshark_rows(
    capture: &Path,
    port: u16,
    keylog: Option<&Path>,
    extra: &[&str],
    fields: &[&str],
) -> Vec<Row> {
    try_tshark_rows(capture, port, keylog, extra, fields).unwrap_or_else(|e| panic!("{e}"))
}

/// The fields the echo test reads.
const TLS_FIELDS: [&str; 9] = [
    "tcp.srcport",
    "tls.record.opaque_type",
    "tls.record.content_type",
    "tls.handshake.type",
    "tls.handshake.ciphersuite",
    "tls.handshake.extensions_key_share_group",
    "tls.handshake.sig_hash_alg",
    "tls.alert_message.desc",
    "data.data",
];

/// The value of `field` in `row`.
fn field<'a>(row: &'a Row, field: &str) -> &'a str {
    row.get(field).map_or("", String::as_str)
}

/// The decrypted application data tshark shows, per direction, as text.
fn application_data(rows: &[Row], from_port: u16) -> Vec<String> {
    rows.iter()
        .filter(|row| field(row, "tcp.srcport") == from_port.to_string())
        .map(|row| field(row, "data.data"))
        .filter(|hex| !hex.is_empty())
        .map(|hex| text(&hex_bytes(hex)))
        .collect()
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Every value of `name` in the frames sent from `from_port`.
fn values(rows: &[Row], from_port: u16, name: &str) -> Vec<String> {
    rows.iter()
        .filter(|row| field(row, "tcp.srcport") == from_port.to_string())
        .flat_map(|row| {
            field(row, name)
                .split(',')
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|value| !value.is_empty())
        .collect()
}

#[test]
fn stock_tshark_decrypts_our_client_and_server_with_the_clients_key_log() {
    let dir = scratch_dir("capture-echo");
    let (ca, keylog) = (dir.join("ca.pem"), dir.join("client.keylog"));
    let server = Server::start("11-tls13-server", &["--ca-out", ca.to_str().unwrap()]);
    let port = port_of(&server.addr);
    let capture = Capture::start(port, dir.join("echo.pcap"));

    let lines = [
        "hello secret world",
        "GET /transfer?to=bob&amount=100 HTTP/1.1",
    ];
    let out = run_client(
        "11-tls13-client",
        &[
            "--addr",
            &server.addr,
            "--ca",
            ca.to_str().unwrap(),
            "--keylog",
            keylog.to_str().unwrap(),
        ],
        format!("{}\n{}\n", lines[0], lines[1]).as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{}\n{}\n", lines[0], lines[1]));

    // Wait for both echoes, then stop the capture.
    let capture = capture.stop_when(|file| {
        try_tshark_rows(file, port, Some(&keylog), &[], &TLS_FIELDS)
            .is_ok_and(|rows| application_data(&rows, port).len() == 2)
    });
    let rows = tshark_rows(&capture, port, Some(&keylog), &[], &TLS_FIELDS);
    let client_port: u16 = rows
        .iter()
        .map(|row| field(row, "tcp.srcport"))
        .find(|p| *p != port.to_string())
        .unwrap()
        .parse()
        .unwrap();

    // With the key log, stock tshark reads the application data both ways.
    assert_eq!(application_data(&rows, client_port), lines, "{rows:#?}");
    assert_eq!(application_data(&rows, port), lines, "{rows:#?}");
    // ... the encrypted part of the server's handshake: EncryptedExtensions,
    // Certificate, CertificateVerify (signed with ed25519), Finished ...
    let server_handshake = values(&rows, port, "tls.handshake.type");
    assert_eq!(server_handshake, ["2", "8", "11", "15", "20"], "{rows:#?}");
    assert_eq!(
        values(&rows, port, "tls.handshake.sig_hash_alg"),
        ["0x0807"]
    );
    assert_eq!(
        values(&rows, client_port, "tls.handshake.type"),
        ["1", "20"]
    );
    // ... the suite and group both hellos name ...
    for from in [client_port, port] {
        let suites = values(&rows, from, "tls.handshake.ciphersuite");
        assert_eq!(suites, ["0x1303"], "from {from}: {rows:#?}");
        let groups = values(&rows, from, "tls.handshake.extensions_key_share_group");
        assert_eq!(groups, ["29"], "x25519, from {from}");
    }
    // ... and our client's close_notify (alert description 0).
    assert_eq!(values(&rows, client_port, "tls.alert_message.desc"), ["0"]);

    // The control: the same capture without the key log. tshark sees the
    // two hellos in the clear and nothing else: no data, no certificate,
    // and every later record labelled application_data (23) outside.
    let blind = tshark_rows(&capture, port, None, &[], &TLS_FIELDS);
    assert!(application_data(&blind, port).is_empty(), "{blind:#?}");
    assert!(application_data(&blind, client_port).is_empty());
    assert_eq!(values(&blind, port, "tls.handshake.type"), ["2"]);
    assert_eq!(values(&blind, client_port, "tls.handshake.type"), ["1"]);
    assert!(values(&blind, port, "tls.alert_message.desc").is_empty());
    let outside = values(&blind, client_port, "tls.record.opaque_type");
    assert!(
        outside.len() >= 4,
        "Finished, two lines, close_notify: {blind:#?}"
    );
    assert!(outside.iter().all(|t| t == "23"), "{outside:?}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn stock_tshark_reads_curls_request_with_our_servers_key_log() {
    require_tool("curl");
    let dir = scratch_dir("capture-http");
    let (ca, keylog) = (dir.join("ca.pem"), dir.join("server.keylog"));
    let server = Server::start(
        "11-tls13-server",
        &[
            "--http",
            "--ca-out",
            ca.to_str().unwrap(),
            "--keylog",
            keylog.to_str().unwrap(),
        ],
    );
    let port = port_of(&server.addr);
    let capture = Capture::start(port, dir.join("http.pcap"));
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(&ca)
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .arg(format!(
            "https://localhost:{port}/transfer?to=bob&amount=100"
        ))
        .output()
        .expect("cannot run curl");
    assert!(out.status.success(), "{}", text(&out.stderr));

    // tshark's own HTTP dissector finds the request inside the decrypted
    // TLS by itself, as in the lesson's command (`-Y http`).
    let http = ["-Y", "http"];
    let fields = [
        "tcp.srcport",
        "http.request.method",
        "http.request.uri",
        "http.response.code",
    ];
    let read = |file: &Path, keylog: Option<&Path>| {
        try_tshark_rows(file, port, keylog, &http, &fields)
            .unwrap_or_default()
            .into_iter()
            .filter(|row| {
                !field(row, "http.request.method").is_empty()
                    || !field(row, "http.response.code").is_empty()
            })
            .map(|row| {
                format!(
                    "{} {}{}",
                    field(&row, "http.request.method"),
                    field(&row, "http.request.uri"),
                    field(&row, "http.response.code")
                )
            })
            .collect::<Vec<_>>()
    };
    let capture = capture.stop_when(|file| read(file, Some(&keylog)).len() == 2);
    // The finished file reads without error, with and without the key log.
    tshark_rows(&capture, port, None, &http, &fields);
    assert_eq!(
        read(&capture, Some(&keylog)),
        ["GET /transfer?to=bob&amount=100", " 200"]
    );
    // Without the server's key log: no HTTP at all.
    assert!(read(&capture, None).is_empty());
    let _ = fs::remove_dir_all(&dir);
}
