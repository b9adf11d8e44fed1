//! The course as the tour walks it: one entry per stop, in order.
//!
//! ```text
//! echo lessons   1 2 3 . 5 . . . 9 9c 10c 11   run: server and client here,
//!                                              Eve on an honest run, Mallory
//!                                              once per attack
//! demo lessons   . . . 4 . 6 7 8 . .  .   .    named, with their program
//! ```
//!
//! Everything the tour knows about a lesson is in its entry in [`STOPS`]:
//! which wire it speaks (`endpoints.rs` turns that into the lesson's own
//! open, connect and accept calls), how Eve and Mallory cut its stream, and
//! which of Mallory's attacks are aimed at it. Nothing here says whether an
//! attack *works*: that is found out by running it (`verdict.rs`).
//!
//! Lesson 11 is one entry like the others: Eve and Mallory cut its TLS
//! records by their 5-byte headers, and Mallory's `mitm` brings a
//! certificate of her own.

use crate::lesson05_mac::SeqCheck;
use crate::lesson09_encrypted_echo::nonce::NonceMode;
use crate::tools::mallory::Attack;
use crate::tools::tap::Lesson;

/// How one echo lesson's server and client talk: which lesson's channel,
/// with which settings. `endpoints.rs` has the one `match` over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    /// Lesson 1: raw bytes, no framing.
    Plaintext,
    /// Lesson 2: length-prefixed plaintext records.
    Records,
    /// Lesson 3: AES-256-CTR under the shared key, in lesson 2 records.
    Ctr,
    /// Lesson 5: encrypt-then-MAC, with the server's sequence-number check
    /// as given (a test switches it off to watch replay come back).
    Mac(SeqCheck),
    /// Lesson 9: X25519, HKDF, ChaCha20-Poly1305 records, these nonces.
    Encrypted(NonceMode),
    /// Lesson 10: lesson 9 plus the server's Ed25519 signature.
    Signed(NonceMode),
    /// Lesson 11: TLS 1.3 with a throwaway CA and certificate.
    Tls13,
}

impl Wire {
    /// The nonce mode both ends use (random where the lesson has none):
    /// Mallory's `mitm` must use the same.
    pub fn nonce(self) -> NonceMode {
        // Mallory's two lesson 9 sessions must seal the way each end checks;
        // on other lessons the value is unused.
        match self {
            Wire::Encrypted(mode) | Wire::Signed(mode) => mode,
            _ => NonceMode::Random,
        }
    }
}

/// One echo lesson: a row of the tour's table.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The lesson's number, which `--lesson` picks.
    pub number: u8,
    /// The row's name in the table: the number, and the flag if the row
    /// runs the lesson with a non-default setting.
    pub label: &'static str,
    /// The lesson's idea, as a title.
    pub title: &'static str,
    /// What this lesson adds to the one before, in one line.
    pub adds: &'static str,
    /// The lesson's text, once it is written.
    pub text: Option<&'static str>,
    /// How its server and client talk.
    pub wire: Wire,
    /// How Eve and Mallory cut its stream into records.
    pub tap: Lesson,
    /// Mallory's attacks aimed at it; the rest are shown as "—", with
    /// [`Row::why_not`] saying why.
    pub attacks: &'static [Attack],
}

impl Row {
    /// Why `attack` is not run on this lesson.
    pub fn why_not(&self, attack: Attack) -> &'static str {
        // Only lessons without a handshake leave `mitm` out of their list,
        // so the first arm covers lessons 1 to 5.
        match (self.wire, attack) {
            // Lessons 1 and 2 have no key at all; 3 and 5 build theirs in.
            (Wire::Plaintext | Wire::Records, Attack::Mitm) => {
                "no handshake to hijack: nothing is encrypted"
            }
            (_, Attack::Mitm) => "no handshake to hijack: the key is built in",
            (Wire::Plaintext, Attack::Replay) => "no records: a raw byte stream has none to replay",
            _ => "not aimed at this lesson",
        }
    }
}

/// A lesson whose program is a demonstration, not a server and a client.
#[derive(Clone, Copy, Debug)]
pub struct Demo {
    /// The lesson's number.
    pub number: u8,
    /// The lesson's idea, as a title.
    pub title: &'static str,
    /// The program that shows it.
    pub program: &'static str,
    /// The lesson's text.
    pub text: &'static str,
}

/// One stop of the tour.
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    /// An echo lesson, run and attacked.
    Echo(Row),
    /// A demonstration, named.
    Demo(Demo),
}

impl Stop {
    /// The lesson's number.
    pub fn number(&self) -> u8 {
        match self {
            Stop::Echo(row) => row.number,
            Stop::Demo(demo) => demo.number,
        }
    }

    /// How the tour names it: `lesson 4`, `lesson 9 --nonce counter`.
    pub fn name(&self) -> String {
        match self {
            Stop::Echo(row) => format!("lesson {}", row.label),
            Stop::Demo(demo) => format!("lesson {}", demo.number),
        }
    }
}

/// Attacks on a lesson with records and no key exchange (no key, or one
/// key for both directions).
// No `mitm`: with no public key on the wire there is nothing for Mallory
// to substitute.
const RECORD_ATTACKS: &[Attack] = &[Attack::Flip, Attack::Replay, Attack::Reflect];
/// Every attack, for the lessons with a handshake.
// The record attacks stay in the list on lessons 9 to 11 to show that
// they now fail, each for its own reason: the tag (flip), the nonce check
// (replay, with counter nonces), the key per direction (reflect).
const ALL_ATTACKS: &[Attack] = &[Attack::Flip, Attack::Replay, Attack::Reflect, Attack::Mitm];

/// The whole tour, in course order.
pub const STOPS: &[Stop] = &[
    Stop::Echo(Row {
        number: 1,
        label: "1",
        title: "plaintext on the wire",
        adds: "nothing yet; the bytes cross the wire exactly as typed",
        text: Some("lessons/01-plaintext.md"),
        wire: Wire::Plaintext,
        tap: Lesson::Plaintext,
        // No replay: without framing, Mallory has no record to count, only
        // whatever one read returned (`options.rs` refuses it too).
        attacks: &[Attack::Flip, Attack::Reflect],
    }),
    Stop::Echo(Row {
        number: 2,
        label: "2",
        title: "records",
        adds: "a length before each message, so messages keep their edges",
        text: Some("lessons/02-records.md"),
        wire: Wire::Records,
        tap: Lesson::Records,
        attacks: RECORD_ATTACKS,
    }),
    Stop::Echo(Row {
        number: 3,
        label: "3",
        title: "AES-256-CTR under a shared key",
        adds: "encryption, under one key built into both programs",
        text: Some("lessons/03-ctr-channel.md"),
        wire: Wire::Ctr,
        tap: Lesson::CtrChannel,
        attacks: RECORD_ATTACKS,
    }),
    Stop::Demo(Demo {
        number: 4,
        title: "CTR malleability, step by step",
        program: "4-ctr-malleability",
        text: "lessons/04-ctr-malleability.md",
    }),
    Stop::Echo(Row {
        number: 5,
        label: "5",
        title: "encrypt-then-MAC and sequence numbers",
        adds: "an HMAC over seq || nonce || ciphertext, checked before decrypting",
        text: Some("lessons/05-mac.md"),
        // The server checks sequence numbers, as `5-mac-echo-server` does
        // unless told `--no-seq-check`: the row shows the defence on.
        wire: Wire::Mac(SeqCheck::Required),
        tap: Lesson::Mac,
        attacks: RECORD_ATTACKS,
    }),
    Stop::Demo(Demo {
        number: 6,
        title: "AEAD: ChaCha20-Poly1305",
        program: "6-aead-demo",
        text: "lessons/06-aead.md",
    }),
    Stop::Demo(Demo {
        number: 7,
        title: "key exchange: X25519",
        program: "7-key-exchange",
        text: "lessons/07-key-exchange.md",
    }),
    Stop::Demo(Demo {
        number: 8,
        title: "key derivation: HKDF, a key per direction",
        program: "8-key-split",
        text: "lessons/08-key-split.md",
    }),
    Stop::Echo(Row {
        number: 9,
        label: "9",
        title: "the encrypted echo",
        adds: "X25519 per connection, a key per direction, AEAD records, random nonces",
        text: Some("lessons/09-encrypted-echo.md"),
        // Random nonces, the program's default: the row where an AEAD
        // channel still falls to replay, because a random nonce is never
        // checked for freshness.
        wire: Wire::Encrypted(NonceMode::Random),
        tap: Lesson::EncryptedEcho,
        attacks: ALL_ATTACKS,
    }),
    Stop::Echo(Row {
        number: 9,
        label: "9 --nonce counter",
        title: "the encrypted echo, counter nonces",
        adds: "nonces count 0, 1, 2 in each direction; only the next one is accepted",
        text: Some("lessons/09-encrypted-echo.md"),
        // The same lesson with the nonce a counter: replay now fails, and
        // `mitm` still works, since counting does not say who the peer is.
        wire: Wire::Encrypted(NonceMode::Counter),
        tap: Lesson::EncryptedEcho,
        attacks: ALL_ATTACKS,
    }),
    Stop::Echo(Row {
        number: 10,
        label: "10 --nonce counter",
        title: "authentication: the server signs the handshake",
        adds: "an Ed25519 signature over both public keys, checked by the client",
        text: Some("lessons/10-authentication.md"),
        // Counter nonces: replay is already stopped, so the one verdict
        // this row changes is `mitm`'s, against the new signature.
        wire: Wire::Signed(NonceMode::Counter),
        tap: Lesson::Authentication,
        attacks: ALL_ATTACKS,
    }),
    Stop::Echo(Row {
        number: 11,
        label: "11",
        title: "real TLS 1.3",
        adds: "the same parts, wired as RFC 8446 says: certificates, a key schedule, TLS records",
        text: None,
        // No nonce flag: TLS 1.3 always derives the nonce from the count
        // (RFC 8446 5.3), so there is no random mode to fall back to.
        wire: Wire::Tls13,
        tap: Lesson::RealTls13,
        attacks: ALL_ATTACKS,
    }),
];

/// The echo lessons' rows, in order.
pub fn rows() -> impl Iterator<Item = &'static Row> {
    STOPS.iter().filter_map(|stop| match stop {
        Stop::Echo(row) => Some(row),
        Stop::Demo(_) => None,
    })
}

/// The row called `label` (`"5"`, `"9 --nonce counter"`).
pub fn row(label: &str) -> Option<&'static Row> {
    rows().find(|row| row.label == label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_lesson_from_1_to_11_has_a_stop_in_order() {
        let numbers: Vec<u8> = STOPS.iter().map(Stop::number).collect();
        let mut distinct = numbers.clone();
        distinct.dedup();
        assert_eq!(distinct, (1..=11).collect::<Vec<u8>>());
    }

    #[test]
    fn every_cited_text_exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let texts = STOPS.iter().filter_map(|stop| match stop {
            Stop::Echo(row) => row.text,
            Stop::Demo(demo) => Some(demo.text),
        });
        for text in texts {
            assert!(root.join(text).is_file(), "{text}");
        }
    }

    #[test]
    fn a_lesson_without_a_key_is_not_said_to_have_one() {
        for row in rows() {
            let why = row.why_not(Attack::Mitm);
            let keyless = matches!(row.wire, Wire::Plaintext | Wire::Records);
            assert_eq!(why.contains("key"), !keyless, "{}: {why}", row.label);
        }
    }

    #[test]
    fn mallory_accepts_every_attack_aimed_at_a_row() {
        use crate::tools::mallory::MalloryOptions;
        for row in rows() {
            for &attack in row.attacks {
                let mut options =
                    MalloryOptions::with_defaults(attack, Some(row.tap), Default::default());
                options.mitm.nonce = row.wire.nonce();
                assert!(options.lesson().is_ok(), "{} {attack:?}", row.label);
            }
        }
    }

    #[test]
    fn labels_are_unique_and_start_with_the_number() {
        let labels: Vec<&str> = rows().map(|row| row.label).collect();
        for (i, row) in rows().enumerate() {
            assert!(row.label.starts_with(&row.number.to_string()));
            assert_eq!(labels.iter().position(|l| *l == row.label), Some(i));
        }
        assert_eq!(row("9 --nonce counter").map(|r| r.number), Some(9));
    }
}
