//! Mallory, the active attacker: she sits where Eve sits, but she edits.
//!
//! ```text
//! client ---> mallory ---> server
//!        <---         <---
//! ```
//!
//! Four attacks, each aimed at a property a secure channel must have:
//!
//! | attack    | what Mallory does                              | weak lesson    | defence that stops it             |
//! |-----------|------------------------------------------------|----------------|-----------------------------------|
//! | `flip`    | XORs `amount=100` into `amount=900` in flight  | 3 (CTR)        | 9: the AEAD tag (integrity)       |
//! | `replay`  | sends a client record to the server twice      | 3; 9 (random)  | 9 `--nonce counter` (sequence)    |
//! | `reflect` | sends a client record back to the client       | 3 (one key)    | 9: a key per direction            |
//! | `mitm`    | runs her own handshake with each side          | 9              | 10: the server signs (not yet)    |
//!
//! `flip`, `replay` and `reflect` never need a key: Mallory cuts the stream
//! into records exactly as Eve does (see `tap.rs`) and moves or edits whole
//! records. `mitm` needs no key either; she *makes* the keys, because nothing
//! in lesson 9 tells the client whose public key it received.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::channel::open_secure;
use crate::error::{Error, Result};
use crate::hexdump::{self, hex_spaced, quoted};
use crate::message::{MessageReader, MessageWriter, Role};
use crate::nonce::NonceMode;
use crate::proxy::{self, Pair};
use crate::tap::{Direction, Lesson, Splitter, Unit};

/// The request shape Mallory assumes: the bank client of lessons 3 and 4
/// sends `GET /transfer?to=bob&amount=100 HTTP/1.1`, where `amount=100`
/// starts at byte 21. Knowing the format is not knowing the key.
pub const DEFAULT_OFFSET: usize = 21;
/// How long a client may take to send its public key to a `mitm` Mallory.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Characters of plaintext shown per message.
const TEXT_LIMIT: usize = 200;

/// Which attack to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Attack {
    /// XOR the known plaintext into the wanted one inside each client record.
    Flip,
    /// Send one client record to the server a second time.
    Replay,
    /// Send every client record back to the client instead of the server.
    Reflect,
    /// Lesson 9: handshake with each side and read (or rewrite) everything.
    Mitm,
}

/// `FROM:TO`, for `--rewrite`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewrite {
    /// Bytes to look for in client messages.
    pub from: Vec<u8>,
    /// What to put in their place.
    pub to: Vec<u8>,
}

impl std::str::FromStr for Rewrite {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Rewrite, String> {
        match s.split_once(':') {
            Some((from, to)) if !from.is_empty() => Ok(Rewrite {
                from: from.as_bytes().to_vec(),
                to: to.as_bytes().to_vec(),
            }),
            _ => Err(format!(
                "expected FROM:TO, like amount=100:amount=900, not {s:?}"
            )),
        }
    }
}

/// Everything Mallory is told on the command line.
#[derive(Clone, Debug)]
pub struct MalloryOptions {
    /// The attack.
    pub attack: Attack,
    /// The wire format (`mitm` implies lesson 9).
    pub lesson: Option<Lesson>,
    /// `flip`: where the known text starts in the plaintext.
    pub offset: usize,
    /// `flip`: the plaintext Mallory knows is there.
    pub known: Vec<u8>,
    /// `flip`: the plaintext she wants the server to read.
    pub wanted: Vec<u8>,
    /// `replay`: which client record to send twice (1 = the first).
    pub record: u64,
    /// `mitm`: the nonce mode both real peers use.
    pub nonce: NonceMode,
    /// `mitm`: an optional edit of client messages.
    pub rewrite: Option<Rewrite>,
}

impl MalloryOptions {
    /// Refuses flag combinations that cannot work, before listening.
    pub fn lesson(&self) -> Result<Lesson> {
        let lesson = match (self.attack, self.lesson) {
            (Attack::Mitm, None | Some(Lesson::Encrypted)) => return Ok(Lesson::Encrypted),
            (Attack::Mitm, Some(other)) => {
                return Err(Error::Usage(format!(
                    "--attack mitm is for lesson 9 ({other} has no handshake to hijack)"
                )));
            }
            (_, None) => {
                return Err(Error::Usage(
                    "this attack needs --lesson N (1, 2, 3 or 9) to find the records".into(),
                ));
            }
            (_, Some(lesson)) => lesson,
        };
        if self.attack == Attack::Flip && self.known.len() != self.wanted.len() {
            return Err(Error::Usage(
                "--known and --wanted must be the same length: a flip changes bytes, it cannot add any"
                    .into(),
            ));
        }
        if self.attack == Attack::Replay && (lesson == Lesson::Plain || self.record == 0) {
            return Err(Error::Usage(
                "--attack replay needs records (lesson 2, 3 or 9) and --record 1 or more".into(),
            ));
        }
        Ok(lesson)
    }
}

/// Runs the chosen attack on every connection to `listen`.
pub fn run(listen: &str, upstream: &str, options: MalloryOptions) -> Result<()> {
    let lesson = options.lesson()?;
    let options = Arc::new(options);
    proxy::run("mallory", listen, upstream, move |pair| {
        match options.attack {
            Attack::Mitm => mitm(&pair, &options),
            _ => tamper(&pair, lesson, &options),
        }
    })
}

// ---------------------------------------------------------------------------
// flip, replay, reflect: move and edit whole records, no keys involved.

/// Relays one connection record by record, applying the attack to what the
/// client sends.
fn tamper(pair: &Pair, lesson: Lesson, options: &MalloryOptions) -> Result<()> {
    let id = pair.id;
    // Both threads may write to the client (the server's answers, and under
    // `reflect` the client's own records), so writes to it take turns.
    let to_client = Mutex::new(&pair.client);
    let send_to_client = |bytes: &[u8]| -> Result<()> {
        use std::io::Write as _;
        let mut client = to_client.lock().unwrap_or_else(PoisonError::into_inner);
        client.write_all(bytes)?;
        Ok(())
    };
    // `replay`: the number of the server's record that answers the replayed
    // copy. Swallowing it keeps the client in step, so it never notices.
    let swallow = AtomicU64::new(0);

    let client_to_server = || -> Result<()> {
        use std::io::Write as _;
        let mut server = &pair.server;
        let mut number = 0;
        each_unit(&pair.client, lesson, |unit| {
            let mut bytes = match unit {
                Unit::Record(bytes) | Unit::Chunk(bytes) => bytes,
                // Public keys and unparseable bytes pass untouched.
                other => {
                    server.write_all(other.bytes())?;
                    return Ok(());
                }
            };
            number += 1;
            let here = format!("#{id} client -> server  record #{number}");
            match options.attack {
                Attack::Flip => {
                    report(flip(&mut bytes, lesson, options, &here));
                    server.write_all(&bytes)?;
                }
                Attack::Replay if number == options.record => {
                    server.write_all(&bytes)?;
                    swallow.store(options.record.saturating_add(1), Ordering::SeqCst);
                    // -> the same record again: same nonce, same tag.
                    server.write_all(&bytes)?;
                    report(format!(
                        "{here}: forwarded, then REPLAYED ({} bytes sent twice)",
                        bytes.len()
                    ));
                }
                Attack::Reflect => {
                    // <- the client's own record, as if the server sent it.
                    send_to_client(&bytes)?;
                    report(format!(
                        "{here}: REFLECTED back to the client ({} bytes); the server never sees it",
                        bytes.len()
                    ));
                }
                _ => server.write_all(&bytes)?,
            }
            Ok(())
        })?;
        let _ = pair.server.shutdown(Shutdown::Write);
        Ok(())
    };

    let server_to_client = || -> Result<()> {
        let mut number = 0;
        each_unit(&pair.server, lesson, |unit| {
            if matches!(unit, Unit::Record(_) | Unit::Chunk(_)) {
                number += 1;
                if number == swallow.load(Ordering::SeqCst) {
                    report(format!(
                        "#{id} server -> client  record #{number}: SWALLOWED (the answer to the replay)"
                    ));
                    return Ok(());
                }
            }
            send_to_client(unit.bytes())
        })?;
        let _ = pair.client.shutdown(Shutdown::Write);
        Ok(())
    };

    proxy::both_ways(pair, client_to_server, server_to_client)
}

/// XORs `known ^ wanted` into the payload of one record, at `offset`.
/// Returns the line to report.
fn flip(bytes: &mut [u8], lesson: Lesson, options: &MalloryOptions, here: &str) -> String {
    // Where the (encrypted) message starts: after the prefix and the nonce.
    let payload = match lesson.layout() {
        Some(layout) => layout.payload_range(bytes.len()),
        None => 0..bytes.len(),
    };
    // Checked sums: --offset is the user's number and may be anything.
    let start = payload.start.checked_add(options.offset);
    let end = start.and_then(|s| s.checked_add(options.known.len()));
    let (Some(start), Some(end)) = (start, end) else {
        return format!("{here}: too short to hold the target; passed on unchanged");
    };
    if end > payload.end {
        return format!("{here}: too short to hold the target; passed on unchanged");
    }
    let Some(target) = bytes.get_mut(start..end) else {
        return format!("{here}: too short to hold the target; passed on unchanged");
    };
    let before = hex_spaced(target);
    // ciphertext ^= known ^ wanted: after decryption the plaintext becomes
    // known ^ (known ^ wanted) = wanted. The keystream cancels out.
    for ((byte, k), w) in target.iter_mut().zip(&options.known).zip(&options.wanted) {
        *byte ^= k ^ w;
    }
    format!(
        "{here}: FLIPPED wire bytes {start}..{end} ({} -> {})\n  before {before}\n  after  {}",
        quoted(&options.known, TEXT_LIMIT),
        quoted(&options.wanted, TEXT_LIMIT),
        hex_spaced(target)
    )
}

/// Reads `from` until it closes, handing each complete unit to `each`.
/// An unfinished unit at the end is handed over too, so nothing is lost.
fn each_unit(
    from: &TcpStream,
    lesson: Lesson,
    mut each: impl FnMut(Unit) -> Result<()>,
) -> Result<()> {
    use std::io::Read as _;
    let mut splitter = Splitter::new(lesson);
    let mut buf = vec![0u8; proxy::READ_CHUNK];
    let mut from = from;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        for unit in splitter.push(buf.get(..n).unwrap_or_default()) {
            each(unit)?;
        }
    }
    if let Some(rest) = splitter.finish() {
        each(rest)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// mitm: two handshakes, two sessions, Mallory in the middle of both.

/// Plays server to the client and client to the server, and relays the
/// plaintext between the two sessions.
fn mitm(pair: &Pair, options: &MalloryOptions) -> Result<()> {
    let id = pair.id;
    let nonce = options.nonce;
    // A client that never sends its key must not hold this thread forever.
    pair.client.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    // client -> mallory: "client_pub"; mallory -> client: HER key, not the server's.
    let (from_client, to_client, with_client) =
        open_secure(pair.client.try_clone()?, Role::Server, nonce)?;
    pair.client.set_read_timeout(None)?;
    // mallory -> server: HER key, not the client's; server -> mallory: server_pub.
    let (from_server, to_server, with_server) =
        open_secure(pair.server.try_clone()?, Role::Client, nonce)?;
    report(format!(
        "#{id} handshake with the client: client key {}\n\
         #{id}   the client now thinks the server's key is {} (it is mine)\n\
         #{id} handshake with the server: server key {}\n\
         #{id}   the server now thinks the client's key is {} (it is mine)\n\
         #{id} two sessions, both keyed by me: I read and can change everything",
        crate::hex(&with_client.client_public),
        crate::hex(&with_client.server_public),
        crate::hex(&with_server.server_public),
        crate::hex(&with_server.client_public),
    ));
    // Going to the server, apply the rewrite; coming back, undo it, so the
    // client gets exactly the echo it expects.
    let forward = options.rewrite.clone();
    let backward = forward.as_ref().map(|r| Rewrite {
        from: r.to.clone(),
        to: r.from.clone(),
    });
    proxy::both_ways(
        pair,
        || {
            relay_plaintext(
                id,
                Direction::ClientToServer,
                from_client,
                to_server,
                forward.as_ref(),
            )?;
            let _ = pair.server.shutdown(Shutdown::Write);
            Ok(())
        },
        || {
            relay_plaintext(
                id,
                Direction::ServerToClient,
                from_server,
                to_client,
                backward.as_ref(),
            )?;
            let _ = pair.client.shutdown(Shutdown::Write);
            Ok(())
        },
    )
}

/// Decrypts with one session, prints, edits, and encrypts with the other.
fn relay_plaintext(
    id: u64,
    direction: Direction,
    mut from: impl MessageReader,
    mut to: impl MessageWriter,
    rewrite: Option<&Rewrite>,
) -> Result<()> {
    while let Some(message) = from.read_message()? {
        let mut line = format!(
            "#{id} {direction}  plaintext {}",
            quoted(message, TEXT_LIMIT)
        );
        let edited = rewrite.map(|r| replace_all(message, &r.from, &r.to));
        match edited {
            Some(edited) if edited != message => {
                line.push_str(&format!("  REWRITTEN to {}", quoted(&edited, TEXT_LIMIT)));
                report(line);
                to.write_message(&edited)?;
            }
            _ => {
                report(line);
                to.write_message(message)?;
            }
        }
    }
    Ok(())
}

/// `haystack` with every `from` replaced by `to`.
pub fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    if from.is_empty() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if rest.starts_with(from) {
            out.extend_from_slice(to);
            rest = rest.get(from.len()..).unwrap_or_default();
        } else if let Some((first, tail)) = rest.split_first() {
            out.push(*first);
            rest = tail;
        }
    }
    out
}

/// One line (or a few) of Mallory's log, on stdout.
fn report(text: String) {
    hexdump::print(&format!("{text}\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(attack: Attack, lesson: Option<Lesson>) -> MalloryOptions {
        MalloryOptions {
            attack,
            lesson,
            offset: 0,
            known: b"amount=100".to_vec(),
            wanted: b"amount=900".to_vec(),
            record: 1,
            nonce: NonceMode::Random,
            rewrite: None,
        }
    }

    #[test]
    fn an_absurd_offset_passes_the_record_on_unchanged() {
        let mut opts = options(Attack::Flip, Some(Lesson::Ctr));
        opts.offset = usize::MAX;
        let mut record = vec![0, 0, 0, 40];
        record.extend([7u8; 40]);
        let before = record.clone();
        let report = flip(&mut record, Lesson::Ctr, &opts, "r");
        assert!(report.contains("passed on unchanged"), "{report}");
        assert_eq!(record, before);
    }

    #[test]
    fn flip_turns_the_ctr_plaintext_without_the_key() {
        use ctr::cipher::{KeyIvInit, StreamCipher};
        type Ctr = ctr::Ctr128BE<aes::Aes256>;
        let key = b"0123456789ABCDEF0123456789ABCDEF";
        let nonce = [0x42u8; 16];
        let request = b"GET /transfer?to=bob&amount=100 HTTP/1.1";
        // A lesson 3 record, built the way the client builds it.
        let mut ciphertext = request.to_vec();
        Ctr::new_from_slices(key, &nonce)
            .unwrap()
            .apply_keystream(&mut ciphertext);
        let mut record = ((16 + ciphertext.len()) as u32).to_be_bytes().to_vec();
        record.extend(nonce);
        record.extend(&ciphertext);
        // Mallory, who has no key, at the default offset.
        let mut opts = options(Attack::Flip, Some(Lesson::Ctr));
        opts.offset = DEFAULT_OFFSET;
        flip(&mut record, Lesson::Ctr, &opts, "r");
        // The server decrypts the edited record.
        let mut plaintext = record[20..].to_vec();
        Ctr::new_from_slices(key, &nonce)
            .unwrap()
            .apply_keystream(&mut plaintext);
        assert_eq!(plaintext, b"GET /transfer?to=bob&amount=900 HTTP/1.1");
    }

    #[test]
    fn flip_edits_only_the_payload() {
        // A lesson 3 record: len || nonce(16) || "ciphertext" (here: zeros).
        let mut record = vec![0, 0, 0, 26];
        record.extend([0u8; 16]);
        record.extend([0u8; 10]);
        let opts = options(Attack::Flip, Some(Lesson::Ctr));
        let line = flip(&mut record, Lesson::Ctr, &opts, "r");
        assert!(line.contains("FLIPPED wire bytes 20..30"), "{line}");
        // '1' ^ '9' = 0x08 at the digit, nothing anywhere else.
        let mut expected = vec![0u8; 30];
        expected[3] = 26;
        expected[27] = 0x08;
        assert_eq!(record, expected);
        // Too short: untouched.
        let mut short = vec![0, 0, 0, 18];
        short.extend([0u8; 18]);
        let copy = short.clone();
        assert!(flip(&mut short, Lesson::Ctr, &opts, "r").contains("too short"));
        assert_eq!(short, copy);
    }

    #[test]
    fn option_checks() {
        assert_eq!(
            options(Attack::Mitm, None).lesson().unwrap(),
            Lesson::Encrypted
        );
        assert!(options(Attack::Mitm, Some(Lesson::Ctr)).lesson().is_err());
        assert!(options(Attack::Flip, None).lesson().is_err());
        assert!(
            options(Attack::Replay, Some(Lesson::Plain))
                .lesson()
                .is_err()
        );
        let mut uneven = options(Attack::Flip, Some(Lesson::Ctr));
        uneven.wanted = b"amount=9000".to_vec();
        assert!(uneven.lesson().is_err());
    }

    #[test]
    fn rewrite_parses_and_replaces() {
        let r: Rewrite = "amount=100:amount=900".parse().unwrap();
        assert_eq!(r.from, b"amount=100");
        assert_eq!(
            replace_all(b"x amount=100 amount=100", &r.from, &r.to),
            b"x amount=900 amount=900"
        );
        assert!("nocolon".parse::<Rewrite>().is_err());
        assert_eq!(replace_all(b"abc", b"", b"x"), b"abc");
    }
}
