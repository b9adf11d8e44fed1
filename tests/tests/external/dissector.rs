//! The Wireshark dissector (`lessons/wireshark/lesson9.lua`), run by the real
//! `tshark` over a capture this test writes itself.
//!
//! The capture is a genuine lesson 9 session (keys and records made by the
//! `tls` library), wrapped in Ethernet/IPv4/TCP frames by hand, and cut
//! into segments the way TCP is allowed to cut it: a public key split in
//! two, a record split in two, two records in one segment, and a record that
//! ends in the same segment another begins. Writing the file ourselves makes
//! the test independent of capture privileges and of how the kernel
//! happened to segment a live connection.
//!
//! Lesson 10 runs on the same port with the same records; the dissector's
//! `signed` preference makes it read the server's 64-byte signature after
//! its public key. That is checked here too.
//!
//! Needs `tshark` (Debian: `apt-get install -y tshark`). Without it the test
//! fails and says so: a dissector nobody ran is not tested.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::workspace_root;
use tls::lesson07_key_exchange::Handshake;
use tls::lesson08_key_split::{Role, SessionKeys};
use tls::lesson09_encrypted_echo::channel::SecureWriter;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::lesson10_authentication::handshake::signed_message;
use tls::lesson10_authentication::identity::ServerIdentity;

const CLIENT_PORT: u16 = 51_000;

/// One lesson 9 record as the library writes it.
struct Record {
    bytes: Vec<u8>,
}

impl Record {
    fn len_field(&self) -> u16 {
        u16::from_be_bytes([self.bytes[0], self.bytes[1]])
    }
    fn nonce_hex(&self) -> String {
        tls::hex(&self.bytes[2..14])
    }
    fn tag_hex(&self) -> String {
        tls::hex(&self.bytes[self.bytes.len() - 16..])
    }
}

/// A real session: both public keys, client records and the server's echoes.
struct Session {
    client_public: [u8; 32],
    server_public: [u8; 32],
    c2s: Vec<Record>,
    s2c: Vec<Record>,
}

fn session(messages: &[&[u8]]) -> Session {
    let client = Handshake::new();
    let server = Handshake::new();
    let (client_public, server_public) = (client.public_key(), server.public_key());
    let keys = SessionKeys::derive(client.finish(&server_public).unwrap().as_bytes());
    let seal = |role: Role| -> Vec<Record> {
        messages
            .iter()
            .map(|m| {
                let mut bytes = Vec::new();
                SecureWriter::new(&mut bytes, &keys, role, NonceMode::Random)
                    .write_record(m)
                    .unwrap();
                Record { bytes }
            })
            .collect()
    };
    Session {
        client_public,
        server_public,
        c2s: seal(Role::Client),
        s2c: seal(Role::Server),
    }
}

// ------------------------------------------------------- pcap by hand

/// Builds a classic pcap file of one TCP connection on 127.0.0.1.
struct Capture {
    bytes: Vec<u8>,
    server_port: u16,
    // Next sequence number per direction: [client, server].
    seq: [u32; 2],
    time: u32,
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;

impl Capture {
    fn new(server_port: u16) -> Capture {
        let mut bytes = Vec::new();
        bytes.extend(0xa1b2_c3d4u32.to_le_bytes()); // magic: microsecond pcap
        bytes.extend(2u16.to_le_bytes()); // version 2.4
        bytes.extend(4u16.to_le_bytes());
        bytes.extend(0i32.to_le_bytes()); // GMT offset
        bytes.extend(0u32.to_le_bytes()); // timestamp accuracy
        bytes.extend(262_144u32.to_le_bytes()); // snap length
        bytes.extend(1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        let mut capture = Capture {
            bytes,
            server_port,
            seq: [1_000, 5_000],
            time: 0,
        };
        // The three-way handshake, so sequence numbers start where TCP says.
        capture.segment(true, SYN, &[]);
        capture.segment(false, SYN | ACK, &[]);
        capture.segment(true, ACK, &[]);
        capture
    }

    /// One TCP segment from the client (`from_client`) or the server.
    fn segment(&mut self, from_client: bool, flags: u8, payload: &[u8]) {
        let (me, peer) = if from_client { (0, 1) } else { (1, 0) };
        let (src_port, dst_port) = if from_client {
            (CLIENT_PORT, self.server_port)
        } else {
            (self.server_port, CLIENT_PORT)
        };
        let seq = self.seq[me];
        let ack = if flags & ACK != 0 { self.seq[peer] } else { 0 };
        // SYN takes one sequence number; data takes its length.
        self.seq[me] = seq.wrapping_add(payload.len() as u32 + u32::from(flags & SYN != 0));

        let mut tcp = Vec::new();
        tcp.extend(src_port.to_be_bytes());
        tcp.extend(dst_port.to_be_bytes());
        tcp.extend(seq.to_be_bytes());
        tcp.extend(ack.to_be_bytes());
        tcp.push(5 << 4); // header length: 5 words, no options
        tcp.push(flags);
        tcp.extend(65_535u16.to_be_bytes()); // window
        tcp.extend([0, 0, 0, 0]); // checksum (filled below), urgent pointer
        tcp.extend_from_slice(payload);
        let localhost = [127, 0, 0, 1];
        // TCP checksum over the IPv4 pseudo-header and the segment.
        let mut pseudo = Vec::new();
        pseudo.extend(localhost);
        pseudo.extend(localhost);
        pseudo.extend([0, 6]);
        pseudo.extend((tcp.len() as u16).to_be_bytes());
        pseudo.extend(&tcp);
        let sum = checksum(&pseudo);
        tcp[16..18].copy_from_slice(&sum.to_be_bytes());

        let mut ip = vec![0x45, 0];
        ip.extend(((20 + tcp.len()) as u16).to_be_bytes());
        ip.extend([0, 0, 0x40, 0, 64, 6, 0, 0]); // id, DF, ttl, TCP, checksum
        ip.extend(localhost);
        ip.extend(localhost);
        let sum = checksum(&ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());

        let mut frame = vec![0u8; 12]; // two zero MAC addresses
        frame.extend(0x0800u16.to_be_bytes()); // IPv4
        frame.extend(ip);
        frame.extend(tcp);

        self.time += 1;
        self.bytes.extend(0u32.to_le_bytes()); // seconds
        self.bytes.extend((self.time * 1000).to_le_bytes()); // microseconds
        self.bytes.extend((frame.len() as u32).to_le_bytes());
        self.bytes.extend((frame.len() as u32).to_le_bytes());
        self.bytes.extend(frame);
    }

    fn data(&mut self, from_client: bool, payload: &[u8]) {
        self.segment(from_client, PSH_ACK, payload);
    }
}

/// The Internet checksum (RFC 1071).
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The session cut into awkward segments. Frame numbers (1-based, after
/// the three handshake frames) are noted for the assertions below.
fn write_capture(path: &Path, s: &Session, server_port: u16) {
    let mut cap = Capture::new(server_port);
    let (a, b, c) = (&s.c2s[0].bytes, &s.c2s[1].bytes, &s.c2s[2].bytes);
    let (ea, eb, ec) = (&s.s2c[0].bytes, &s.s2c[1].bytes, &s.s2c[2].bytes);
    cap.data(true, &s.client_public); // 4: client key, whole
    cap.data(false, &s.server_public[..20]); // 5: server key, first part
    cap.data(false, &s.server_public[20..]); // 6: server key, the rest
    cap.data(true, &a[..5]); // 7: record A cut inside its nonce...
    cap.data(true, &a[5..]); // 8: ...and completed
    cap.data(true, &[b.as_slice(), c].concat()); // 9: records B and C together
    cap.data(false, &[ea.as_slice(), &eb[..30]].concat()); // 10: echo A + start of B
    cap.data(false, &[&eb[30..], ec.as_slice()].concat()); // 11: rest of B + echo C
    fs::write(path, cap.bytes).unwrap();
}

// ------------------------------------------------------------ tshark

/// `tshark` with an empty home directory: no personal preferences, and no
/// personally installed copy of the plugin (which would clash with `-X`).
fn tshark() -> Command {
    let home = e2e::scratch("dissector-home");
    let _ = fs::remove_dir_all(&home);
    fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new("tshark");
    cmd.env("HOME", &home).env_remove("XDG_CONFIG_HOME");
    cmd
}

fn tshark_fields(capture: &Path, extra: &[&str]) -> Vec<Vec<String>> {
    let script = workspace_root().join("lessons/wireshark/lesson9.lua");
    let mut cmd = tshark();
    cmd.arg("-X")
        .arg(format!("lua_script:{}", script.display()))
        .args(["-o", "tcp.desegment_tcp_streams:TRUE"])
        .args(extra)
        .arg("-r")
        .arg(capture)
        .args(["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]);
    for field in [
        "frame.number",
        "lesson9.client_public",
        "lesson9.server_public",
        "lesson9.length",
        "lesson9.nonce",
        "lesson9.ciphertext_len",
        "lesson9.tag",
        "lesson9.signature",
    ] {
        cmd.args(["-e", field]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run tshark ({e}): {}", e2e::INSTALL_HINT));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tshark failed: {stderr}");
    assert!(
        !stderr.contains("Lua: Error"),
        "the dissector failed to load: {stderr}"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

/// Row of frame `n`.
fn frame(rows: &[Vec<String>], n: usize) -> &[String] {
    rows.iter()
        .find(|r| r[0] == n.to_string())
        .unwrap_or_else(|| panic!("no frame {n} in tshark output"))
}

fn temp(name: &str) -> PathBuf {
    e2e::scratch(&format!("dissector-{name}.pcap"))
}

fn check(rows: &[Vec<String>], s: &Session) {
    let lens = |rs: &[&Record]| {
        rs.iter()
            .map(|r| r.len_field().to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let nonces = |rs: &[&Record]| {
        rs.iter()
            .map(|r| r.nonce_hex())
            .collect::<Vec<_>>()
            .join(",")
    };
    let cts = |rs: &[&Record]| {
        rs.iter()
            .map(|r| (r.len_field() - 28).to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let tags = |rs: &[&Record]| rs.iter().map(|r| r.tag_hex()).collect::<Vec<_>>().join(",");
    let expect = |n: usize, rs: &[&Record]| {
        let row = frame(rows, n);
        assert_eq!(row[3], lens(rs), "frame {n} lengths");
        assert_eq!(row[4], nonces(rs), "frame {n} nonces");
        assert_eq!(row[5], cts(rs), "frame {n} ciphertext lengths");
        assert_eq!(row[6], tags(rs), "frame {n} tags");
    };
    // The public keys, named and in full.
    assert_eq!(frame(rows, 4)[1], tls::hex(&s.client_public));
    assert_eq!(frame(rows, 4)[2], "");
    assert_eq!(
        frame(rows, 6)[2],
        tls::hex(&s.server_public),
        "split key reassembled"
    );
    assert_eq!(frame(rows, 5)[2], "", "half a key is not a key yet");
    // Record A appears once, in the frame that completes it.
    expect(7, &[]);
    expect(8, &[&s.c2s[0]]);
    // Two records in one segment: both.
    expect(9, &[&s.c2s[1], &s.c2s[2]]);
    // Echo A completes in 10; B is reassembled in 11, then C follows it.
    expect(10, &[&s.s2c[0]]);
    expect(11, &[&s.s2c[1], &s.s2c[2]]);
}

#[test]
fn dissector_names_keys_and_record_fields_across_segments() {
    let s = session(&[
        b"hello secret world",
        b"GET /transfer?to=bob&amount=100 HTTP/1.1",
        b"",
    ]);
    // The capture filter port of the whole course: registered by default.
    let path = temp("7878");
    write_capture(&path, &s, 7878);
    let rows = tshark_fields(&path, &[]);
    let _ = fs::remove_file(&path);
    check(&rows, &s);
}

#[test]
fn dissector_works_on_another_port_with_decode_as() {
    let s = session(&[b"one", &[b'x'; 300], b"three"]);
    let path = temp("9999");
    write_capture(&path, &s, 9_999);
    let rows = tshark_fields(&path, &["-d", "tcp.port==9999,lesson9"]);
    let _ = fs::remove_file(&path);
    check(&rows, &s);
}

/// The control: without the script, tshark sees only TCP on port 7878, so
/// the fields above really come from `lesson9.lua`.
#[test]
fn without_the_dissector_the_port_is_just_tcp() {
    let s = session(&[b"a", b"b", b"c"]);
    let path = temp("plain");
    write_capture(&path, &s, 7878);
    let out = tshark()
        .arg("-r")
        .arg(&path)
        .args(["-T", "fields", "-e", "frame.protocols"])
        .output()
        .expect("cannot run tshark: apt-get install -y tshark");
    let _ = fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(!text.contains("lesson9"), "{text}");
    assert!(text.contains("eth:ethertype:ip:tcp"), "{text}");
}

// -------------------------------------------------------------- lesson 10

/// Lesson 10 on the wire: lesson 9's session, plus the server's signature
/// over both public keys right after its own key.
fn signed_session(messages: &[&[u8]]) -> (Session, [u8; 64]) {
    let s = session(messages);
    let identity = ServerIdentity::generate().unwrap();
    let signature = identity.sign(&signed_message(&s.client_public, &s.server_public));
    (s, signature)
}

/// The server's answer (its key, then its signature) cut at `cut`: inside
/// the signature, between the two, or not at all (`cut` = 96). Frames 4 to
/// 8: client key, the answer in one or two segments, record A, echo A.
fn write_signed_capture(path: &Path, s: &Session, signature: &[u8; 64], cut: usize) {
    let mut cap = Capture::new(7878);
    let answer = [s.server_public.as_slice(), signature].concat();
    cap.data(true, &s.client_public); // 4: client key
    cap.data(false, &answer[..cut]); // 5: key (and maybe some signature)
    if cut < answer.len() {
        cap.data(false, &answer[cut..]); // 6: the rest
    }
    cap.data(true, &s.c2s[0].bytes); // 6 or 7: record A
    cap.data(false, &s.s2c[0].bytes); // 7 or 8: echo A
    fs::write(path, cap.bytes).unwrap();
}

#[test]
fn dissector_shows_the_lesson10_signature_with_the_signed_preference() {
    for cut in [52, 32, 96] {
        let (s, signature) = signed_session(&[b"hello secret world"]);
        let path = temp(&format!("lesson10-{cut}"));
        write_signed_capture(&path, &s, &signature, cut);
        let rows = tshark_fields(&path, &["-o", "lesson9.signed:TRUE"]);
        let _ = fs::remove_file(&path);
        let (a, echo) = (&s.c2s[0], &s.s2c[0]);
        assert_eq!(frame(&rows, 4)[1], tls::hex(&s.client_public), "cut {cut}");
        assert_eq!(frame(&rows, 4)[7], "", "the client sends no signature");
        assert_eq!(frame(&rows, 5)[2], tls::hex(&s.server_public), "cut {cut}");
        // The signature appears once, in the segment that completes it.
        let (signature_frame, record_frame) = if cut < 96 {
            assert_eq!(frame(&rows, 5)[7], "", "cut {cut}: not complete yet");
            (6, 7)
        } else {
            (5, 6)
        };
        assert_eq!(
            frame(&rows, signature_frame)[7],
            tls::hex(&signature),
            "cut {cut}"
        );
        let signatures = rows.iter().filter(|row| !row[7].is_empty()).count();
        assert_eq!(signatures, 1, "cut {cut}: {rows:?}");
        // After the signature, lesson 9 records as before, both ways.
        for (n, record) in [(record_frame, a), (record_frame + 1, echo)] {
            let row = frame(&rows, n);
            assert_eq!(row[3], record.len_field().to_string(), "cut {cut}");
            assert_eq!(row[4], record.nonce_hex(), "cut {cut}");
            assert_eq!(row[6], record.tag_hex(), "cut {cut}");
        }
    }
}

/// Without the preference the same capture reads as lesson 9: the
/// signature is taken for a record, so no signature field appears. The
/// preference is what the fields above depend on.
#[test]
fn without_the_signed_preference_there_is_no_signature_field() {
    let (s, signature) = signed_session(&[b"hello"]);
    let path = temp("lesson10-unsigned");
    write_signed_capture(&path, &s, &signature, 32);
    let rows = tshark_fields(&path, &[]);
    let _ = fs::remove_file(&path);
    assert!(rows.iter().all(|row| row[7].is_empty()), "{rows:?}");
    assert_eq!(frame(&rows, 5)[2], tls::hex(&s.server_public));
}
