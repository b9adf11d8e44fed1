//! `flip`, `replay` and `reflect`: move and edit whole records, no keys
//! involved.
//!
//! Mallory reads each direction through a [`Splitter`], the same record
//! cutter Eve uses, so she always acts on whole records however TCP chopped
//! them up.
//!
//! On lesson 11 the handshake must go through for there to be any
//! application data to attack, so she lets the client's handshake records
//! pass (its ClientHello, and its Finished: the first record it encrypts)
//! and aims at the records after them, numbered from 1 (`tls13.rs`).

use std::net::{Shutdown, TcpStream};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Result;
use crate::runtime::sync::lock;
use crate::tools::hexdump::TEXT_LIMIT;
use crate::tools::hexdump::{hex_spaced, quoted};
use crate::tools::mallory::tls13::{self, ClientRecords};
use crate::tools::mallory::{Attack, MalloryOptions};
use crate::tools::proxy::{self, Pair};
use crate::tools::tap::{Direction, Lesson, Splitter, Unit};

/// Relays one connection record by record, applying the attack to what the
/// client sends.
pub(super) fn tamper(pair: &Pair, lesson: Lesson, options: &MalloryOptions) -> Result<()> {
    let id = pair.id;
    // Both threads may write to the client (the server's answers, and under
    // `reflect` the client's own records), so writes to it take turns.
    let to_client = Mutex::new(&pair.client);
    let send_to_client = |bytes: &[u8]| -> Result<()> {
        use std::io::Write as _;
        let mut client = lock(&to_client);
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
        let mut tls13 = ClientRecords::default();
        each_unit(&pair.client, lesson, Direction::ClientToServer, |unit| {
            let mut bytes = match unit {
                Unit::Record(bytes) | Unit::Chunk(bytes) => bytes,
                // Public keys, signatures and unparseable bytes pass untouched.
                other => {
                    server.write_all(other.bytes())?;
                    return Ok(());
                }
            };
            let here = if lesson.has_tls_records() {
                // Lesson 11: the handshake passes; application data is the target.
                let Some(n) = tls13.application_record(&bytes) else {
                    server.write_all(&bytes)?;
                    return Ok(());
                };
                number = n;
                format!("#{id} client -> server  application data record #{number}")
            } else {
                number += 1;
                format!("#{id} client -> server  record #{number}")
            };
            match options.attack {
                Attack::Flip => {
                    options.report(flip(&mut bytes, lesson, options, &here));
                    server.write_all(&bytes)?;
                }
                Attack::Replay if number == options.record => {
                    server.write_all(&bytes)?;
                    // (Lesson 11 refuses the copy with an alert: nothing to swallow.)
                    if !lesson.has_tls_records() {
                        swallow.store(options.record.saturating_add(1), Ordering::SeqCst);
                    }
                    // -> the same record again: same nonce, same tag.
                    server.write_all(&bytes)?;
                    options.report(format!(
                        "{here}: forwarded, then REPLAYED ({} bytes sent twice)",
                        bytes.len()
                    ));
                }
                Attack::Reflect => {
                    // <- the client's own record, as if the server sent it.
                    send_to_client(&bytes)?;
                    options.report(format!(
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
        each_unit(&pair.server, lesson, Direction::ServerToClient, |unit| {
            if matches!(unit, Unit::Record(_) | Unit::Chunk(_)) {
                number += 1;
                if number == swallow.load(Ordering::SeqCst) {
                    options.report(format!(
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
pub(super) fn flip(
    bytes: &mut [u8],
    lesson: Lesson,
    options: &MalloryOptions,
    here: &str,
) -> String {
    // Where the (encrypted) message starts: after the prefix, the sequence
    // number (lesson 5) and the nonce; it ends before any tag.
    let payload = match lesson.layout() {
        Some(layout) => layout.payload_range(bytes.len()),
        None if lesson.has_tls_records() => tls13::content_range(bytes.len()),
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
    direction: Direction,
    mut each: impl FnMut(Unit) -> Result<()>,
) -> Result<()> {
    use std::io::Read as _;
    let mut splitter = Splitter::for_direction(lesson, direction);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::mallory::{DEFAULT_OFFSET, tests::options};

    #[test]
    fn an_absurd_offset_passes_the_record_on_unchanged() {
        let mut opts = options(Attack::Flip, Some(Lesson::CtrChannel));
        opts.offset = usize::MAX;
        let mut record = vec![0, 0, 0, 40];
        record.extend([7u8; 40]);
        let before = record.clone();
        let report = flip(&mut record, Lesson::CtrChannel, &opts, "r");
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
        let mut opts = options(Attack::Flip, Some(Lesson::CtrChannel));
        opts.offset = DEFAULT_OFFSET;
        flip(&mut record, Lesson::CtrChannel, &opts, "r");
        // The server decrypts the edited record.
        let mut plaintext = record[20..].to_vec();
        Ctr::new_from_slices(key, &nonce)
            .unwrap()
            .apply_keystream(&mut plaintext);
        assert_eq!(plaintext, b"GET /transfer?to=bob&amount=900 HTTP/1.1");
    }

    #[test]
    fn lesson5_flip_lands_in_the_ciphertext_after_seq_and_nonce() {
        use crate::lesson05_mac::record::{RecordKeys, open, seal_with_nonce};
        use crate::lesson05_mac::{ENC_KEY, MAC_KEY, NONCE_LEN, SEQ_LEN};
        let keys = RecordKeys::new(ENC_KEY, MAC_KEY);
        let request = b"GET /transfer?to=bob&amount=100 HTTP/1.1";
        let mut payload = Vec::new();
        seal_with_nonce(&keys, 0, &[0x42; NONCE_LEN], request, &mut payload).unwrap();
        let mut record = (payload.len() as u32).to_be_bytes().to_vec();
        record.extend(&payload);
        let original = record.clone();
        let mut opts = options(Attack::Flip, Some(Lesson::Mac));
        opts.offset = DEFAULT_OFFSET;
        let line = flip(&mut record, Lesson::Mac, &opts, "r");
        // 4 + 8 + 16 + 21 = 49: the ciphertext of "amount=100", nothing else.
        assert!(line.contains("FLIPPED wire bytes 49..59"), "{line}");
        let changed: Vec<usize> = (0..record.len())
            .filter(|&i| record[i] != original[i])
            .collect();
        assert_eq!(changed, [4 + SEQ_LEN + NONCE_LEN + 28]);
        // Without the mac the edit would read amount=900 (lesson 4); with it,
        // the receiver refuses the record.
        let mut body = record[4..].to_vec();
        assert!(matches!(
            open(&keys, &mut body),
            Err(crate::error::Error::BadMac)
        ));
    }

    #[test]
    fn flip_edits_only_the_payload() {
        // A lesson 3 record: len || nonce(16) || "ciphertext" (here: zeros).
        let mut record = vec![0, 0, 0, 26];
        record.extend([0u8; 16]);
        record.extend([0u8; 10]);
        let opts = options(Attack::Flip, Some(Lesson::CtrChannel));
        let line = flip(&mut record, Lesson::CtrChannel, &opts, "r");
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
        assert!(flip(&mut short, Lesson::CtrChannel, &opts, "r").contains("too short"));
        assert_eq!(short, copy);
    }
}
