//! Second tier: the heavy reliability tests, which move hundreds of
//! megabytes or read the server's memory from Linux's /proc.
//!
//! - A 64 MiB line comes back whole from every lesson's real client and
//!   server (finding 2 of the audit: the line-mode client wrote the whole
//!   line before reading any echo, so both sides blocked on full socket
//!   buffers; lesson 9 failed at 12 MB, lesson 1 at 16-20 MB).
//! - Forty clients sending a 16 MiB message at once stay within the memory
//!   budget (finding 3: 40 clients took a lesson 2 server to about
//!   1.3 GiB), and an idle connection holds little afterwards (it kept
//!   32 MiB).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use e2e::bad_peer::frame;
use e2e::*;

/// One at a time: these move 128 MiB each through a debug build, and the
/// machines have two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// One 64 MiB line (plus a short one after it) through `client` and
/// `server`, with the client's own piped stdin, as a learner would run it.
fn a_64_mib_line(server: &str, server_args: &[&str], client: &str, client_args: &[&str]) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start(server, &[&["--quiet"], server_args].concat());
    let line: Vec<u8> = (0..64 * 1024 * 1024)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    let input = [line.as_slice(), b"\nafter\n"].concat();
    let mut args = vec!["--addr", server.addr.as_str()];
    args.extend_from_slice(client_args);
    let out = run_client_within(client, &args, &input, Duration::from_secs(180));
    assert!(out.status.success(), "{client}: {}", text(&out.stderr));
    assert_eq!(out.stdout.len(), input.len(), "{client}");
    assert!(out.stdout == input, "{client}: the echo differs");
}

#[test]
fn a_64_mib_line_comes_back_whole_on_lesson1() {
    a_64_mib_line("1-plain-echo-server", &[], "1-plain-echo-client", &[]);
}

#[test]
fn a_64_mib_line_comes_back_whole_on_lesson2() {
    a_64_mib_line("2-record-echo-server", &[], "2-record-echo-client", &[]);
}

#[test]
fn a_64_mib_line_comes_back_whole_on_lesson3() {
    a_64_mib_line("3-ctr-echo-server", &[], "3-ctr-echo-client", &[]);
}

#[test]
fn a_64_mib_line_comes_back_whole_on_lesson5() {
    a_64_mib_line("5-mac-echo-server", &[], "5-mac-echo-client", &[]);
}

#[test]
fn a_64_mib_line_comes_back_whole_on_lesson9() {
    a_64_mib_line("9-echo-server", &[], "9-echo-client", &[]);
}

#[test]
fn a_64_mib_line_comes_back_whole_on_lesson10() {
    let key = scratch("heavy-lesson10.key");
    let out = run_client("10-genkey", &["--out", key.to_str().unwrap()], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let public = text(&out.stdout).trim().to_string();
    a_64_mib_line(
        "10-echo-server",
        &["--key", key.to_str().unwrap()],
        "10-echo-client",
        &["--server-key", &public],
    );
    let _ = std::fs::remove_file(key);
}

#[test]
fn a_64_mib_line_comes_back_whole_on_lesson11() {
    let ca = scratch("heavy-lesson11-ca.pem");
    a_64_mib_line(
        "11-tls13-server",
        &["--ca-out", ca.to_str().unwrap()],
        "11-tls13-client",
        &["--ca", ca.to_str().unwrap()],
    );
    let _ = std::fs::remove_file(ca);
}

// ------------------------------------------------------------ memory

/// A value from /proc/PID/status, in MiB (`VmHWM` is the peak resident
/// size, `VmRSS` the current one).
fn memory_mib(pid: u32, field: &str) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<usize>()
                .ok()
        })
        .map(|kib| kib / 1024)
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Forty clients each send one 16 MiB lesson 2 record at once to
/// `server_name` (default budget, 256 MiB) and read back whatever comes.
/// Returns how many got their echo whole.
fn forty_clients_send_16_mib(server: &Server, payload: Arc<Vec<u8>>) -> usize {
    let clients: Vec<_> = (0..40)
        .map(|_| {
            let (addr, payload) = (server.addr.clone(), Arc::clone(&payload));
            thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream.set_read_timeout(Some(PATIENCE)).unwrap();
                let wire = frame(&payload);
                let writer = {
                    let mut stream = stream.try_clone().unwrap();
                    thread::spawn(move || stream.write_all(&wire).is_ok())
                };
                let mut echoed = 0usize;
                let mut buf = vec![0u8; 1 << 20];
                while echoed < 4 + payload.len() {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => echoed += n,
                    }
                }
                let _ = writer.join();
                // Stay connected, idle, for the memory reading after.
                (echoed == 4 + payload.len(), stream)
            })
        })
        .collect();
    let results: Vec<(bool, TcpStream)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let whole = results.iter().filter(|(ok, _)| *ok).count();
    // What the 40 idle connections leave resident is printed, not held to a
    // figure: every buffer gives its memory back (the unit tests check the
    // capacities), but whether the allocator hands it to the system at
    // once is its own business (measured here: 5 to 168 MiB).
    thread::sleep(Duration::from_millis(500));
    let idle = memory_mib(server.pid(), "VmRSS:");
    eprintln!("idle with {} connections open: {idle} MiB", results.len());
    drop(results);
    whole
}

/// Lesson 2: the budget bounds the bytes held at once, so peak memory stays
/// under twice the 256 MiB budget however many 16 MiB messages arrive at
/// once (the allocator keeps freed buffers for reuse, and threads and socket
/// buffers take some too: measured 227 to 320 MiB; it was 1,284 MiB before
/// the budget), and the clients the budget cannot hold are dropped with its
/// reason.
#[test]
fn forty_16_mib_messages_stay_within_the_budget_on_lesson2() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start("2-record-echo-server", &["--quiet"]);
    let whole = forty_clients_send_16_mib(&server, Arc::new(vec![b'x'; 16 << 20]));
    let peak = memory_mib(server.pid(), "VmHWM:");
    eprintln!("lesson 2: peak {peak} MiB, {whole} of 40 echoed whole");
    assert!(peak < 2 * 256, "peak {peak} MiB");
    assert!(whole >= 1, "no client was served");
    if whole < 40 {
        assert!(server.wait_stderr("past its memory budget of 256 MiB"));
    }
}

/// Lesson 3: the same, for the channel that also encrypts its echo.
#[test]
fn forty_16_mib_messages_stay_within_the_budget_on_lesson3() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start("3-ctr-echo-server", &["--quiet"]);
    let mut payload = vec![7u8; 16]; // a nonce
    payload.resize(16 << 20, b'y');
    let whole = forty_clients_send_16_mib(&server, Arc::new(payload));
    let peak = memory_mib(server.pid(), "VmHWM:");
    eprintln!("lesson 3: peak {peak} MiB, {whole} of 40 echoed whole");
    assert!(peak < 2 * 256, "peak {peak} MiB");
    assert!(whole >= 1, "no client was served");
}

// ------------------------------------------------------------ idle memory

/// What one idle connection costs the server, by lesson: 100 clients each
/// send one large message (lesson 1 a 4 KiB read, lessons 2, 3 and 5 a
/// 1 MiB record, 9 and 10 the largest record, 65,507 bytes, lesson 11 four
/// full TLS records), read the echo, and stay connected. The growth of the
/// server's resident memory, divided by 100, must stay under 512 KiB for
/// every lesson (it was 32 MiB for lesson 2 and 42 MiB for lesson 3 after
/// a 16 MiB message, before buffers shrank back). The figures are printed
/// for SECURITY.md.
#[test]
fn an_idle_connection_holds_little_memory_on_every_lesson() {
    use tls::runtime::message::{MessageReader, MessageWriter};
    use tls::runtime::socket::Socket;

    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    const CLIENTS: usize = 100;
    const LIMIT_KIB: usize = 512;

    fn echo_and_keep(
        mut reader: impl MessageReader + 'static,
        mut writer: impl MessageWriter + 'static,
        message: &[u8],
    ) -> Box<dyn std::any::Any> {
        writer.write_message(message).unwrap();
        let mut got = 0;
        while got < message.len() {
            got += reader.read_message().unwrap().unwrap().len();
        }
        Box::new((reader, writer))
    }

    let key = scratch("idle-lesson10.key");
    let out = run_client("10-genkey", &["--out", key.to_str().unwrap()], b"");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let public =
        tls::lesson10_authentication::identity::ServerPublicKey::from_arg(text(&out.stdout).trim())
            .unwrap();
    let ca = scratch("idle-lesson11-ca.pem");
    let key_arg = key.to_str().unwrap().to_string();
    let ca_arg = ca.to_str().unwrap().to_string();

    let lessons: [(u8, &str, Vec<&str>, usize); 7] = [
        (1, "1-plain-echo-server", vec![], 4096),
        (2, "2-record-echo-server", vec![], 1 << 20),
        (3, "3-ctr-echo-server", vec![], 1 << 20),
        (5, "5-mac-echo-server", vec![], 1 << 20),
        (9, "9-echo-server", vec![], 65_507),
        (10, "10-echo-server", vec!["--key", &key_arg], 65_507),
        (11, "11-tls13-server", vec!["--ca-out", &ca_arg], 4 * 16_384),
    ];
    for (lesson, program, args, size) in lessons {
        let server = Server::start(program, &[&["--quiet"][..], &args].concat());
        thread::sleep(Duration::from_millis(300));
        let before = memory_mib_kib(server.pid());
        let message = vec![b'i'; size];
        let mut idle = Vec::new();
        for _ in 0..CLIENTS {
            let stream = TcpStream::connect(&server.addr).unwrap();
            stream.set_read_timeout(Some(PATIENCE)).unwrap();
            let socket = Socket::new(stream);
            idle.push(match lesson {
                1 => {
                    let (r, w) = tls::lesson01_plaintext::open(socket, 65_536, Duration::ZERO);
                    echo_and_keep(r, w, &message)
                }
                2 => {
                    let (r, w) = tls::lesson02_records::open(socket);
                    echo_and_keep(r, w, &message)
                }
                3 => {
                    let (r, w) = tls::lesson03_ctr_channel::open(socket);
                    echo_and_keep(r, w, &message)
                }
                5 => {
                    let (r, w) =
                        tls::lesson05_mac::open(socket, tls::lesson05_mac::SeqCheck::Required);
                    echo_and_keep(r, w, &message)
                }
                9 => {
                    let mode = tls::lesson09_encrypted_echo::nonce::NonceMode::Random;
                    let (r, w, _) =
                        tls::lesson09_encrypted_echo::channel::connect(socket, mode).unwrap();
                    echo_and_keep(r, w, &message)
                }
                10 => {
                    let mode = tls::lesson09_encrypted_echo::nonce::NonceMode::Random;
                    let (r, w, _) =
                        tls::lesson10_authentication::channel::connect(socket, &public, mode)
                            .unwrap();
                    echo_and_keep(r, w, &message)
                }
                _ => {
                    use tls::lesson11_real_tls13::{
                        certs::ServerVerifier, channel, client::ClientConfig, padding::Padding,
                    };
                    let config = ClientConfig {
                        verifier: ServerVerifier::load(&ca, "localhost").unwrap(),
                        keylog: None,
                        padding: Padding::NONE,
                    };
                    let (r, w) = channel::connect(socket, &config).unwrap();
                    echo_and_keep(r, w, &message)
                }
            });
        }
        // Let every echo loop go back to waiting, with its buffers recycled.
        thread::sleep(Duration::from_millis(1000));
        let after = memory_mib_kib(server.pid());
        let each = after.saturating_sub(before) / CLIENTS;
        eprintln!(
            "lesson {lesson}: {CLIENTS} idle connections after a {size}-byte message: \
             {before} KiB -> {after} KiB, {each} KiB each"
        );
        assert!(
            each < LIMIT_KIB,
            "lesson {lesson}: {each} KiB per idle connection"
        );
        drop(idle);
    }
    let _ = std::fs::remove_file(key);
    let _ = std::fs::remove_file(ca);
}

/// The server's resident memory in KiB.
fn memory_mib_kib(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<usize>()
                .ok()
        })
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
}
