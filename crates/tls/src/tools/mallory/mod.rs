//! Mallory, the active attacker: she sits where Eve sits, but she edits.
//!
//! ```text
//! client ---> mallory ---> server
//!        <---         <---
//! ```
//!
//! Four attacks, each aimed at a property a secure channel must have:
//!
//! | attack    | what Mallory does                             | works on                     | stopped by                            |
//! |-----------|-----------------------------------------------|------------------------------|---------------------------------------|
//! | `flip`    | XORs `amount=100` into `amount=900` in flight | 3 (CTR)                      | 5: the HMAC; 9, 10, 11: the AEAD tag  |
//! | `replay`  | sends a client record to the server twice     | 3; 5 `--no-seq-check`; 9, 10 random nonces | 5: seq numbers; 9, 10 `--nonce counter`; 11: the count in the nonce |
//! | `reflect` | sends a client record back to the client      | 3, 5 (same keys both ways)   | 9, 10, 11: a key per direction        |
//! | `mitm`    | runs her own handshake with each side         | 9                            | 10: the server signs the keys; 11: her certificate is not from a CA in `--ca` |
//!
//! `flip`, `replay` and `reflect` never need a key: Mallory cuts the stream
//! into records exactly as Eve does (see `tap.rs`) and moves or edits whole
//! records (`records.rs`). `mitm` needs no key either; she *makes* the keys,
//! because nothing in lesson 9 tells the client whose public key it received
//! (`mitm.rs`). On lesson 10 she runs the same two handshakes but must then
//! produce the server's signature over the client's keys, which she cannot
//! (`impersonate.rs`): the client refuses. On lesson 11 she brings a whole
//! certificate of her own, for the right name, from her own CA; the client
//! refuses it because it trusts only the CAs in its `--ca` (`tls13.rs`).
//! There `flip`, `replay` and `reflect` let the handshake through and aim
//! at the client's application data records.

mod impersonate;
mod mitm;
mod records;
mod tls13;

pub use mitm::replace_all;
pub use tls13::Impostor;

use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::lesson09_encrypted_echo::nonce::NonceMode;
use crate::tools::proxy::{self, Pair, ProxyLimits};
use crate::tools::sink::Sink;
use crate::tools::tap::Lesson;

/// The request shape Mallory assumes: the bank client of lessons 3 and 4
/// sends `GET /transfer?to=bob&amount=100 HTTP/1.1`, where `amount=100`
/// starts at byte 21. Knowing the format is not knowing the key.
pub const DEFAULT_OFFSET: usize = 21;

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
    /// Lesson 10: the same, but she cannot sign as the server; refused.
    /// Lesson 11: her own certificate from her own CA; refused.
    Mitm,
}

/// `mitm` on lesson 10: the signature Mallory sends the client in place of
/// the server's, since she cannot make the real one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ForgedSignature {
    /// Sign the client's two keys with a throwaway Ed25519 key of her own.
    #[default]
    Own,
    /// Pass on the real server's signature, made over the keys of her own
    /// session with the server.
    Forward,
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
    /// `mitm` on lesson 10: which signature to offer the client.
    pub signature: ForgedSignature,
    /// Where her log goes: stdout for the program.
    pub sink: Sink,
    /// `mitm` on lesson 11: where to write her throwaway CA certificate.
    pub ca_out: Option<PathBuf>,
    /// `mitm` on lesson 11: the real server's CA, for her onward connection.
    pub ca: PathBuf,
}

impl MalloryOptions {
    /// Refuses flag combinations that cannot work, before listening.
    pub fn lesson(&self) -> Result<Lesson> {
        let lesson = match (self.attack, self.lesson) {
            (Attack::Mitm, None | Some(Lesson::EncryptedEcho)) => return Ok(Lesson::EncryptedEcho),
            (Attack::Mitm, Some(lesson @ (Lesson::Authentication | Lesson::RealTls13))) => {
                return Ok(lesson);
            }
            (Attack::Mitm, Some(other)) => {
                return Err(Error::Usage(format!(
                    "--attack mitm is for lesson 9, 10 or 11 ({other} has no handshake to hijack)"
                )));
            }
            (_, None) => {
                return Err(Error::Usage(
                    "this attack needs --lesson N (1, 2, 3, 5, 9, 10 or 11) to find the records"
                        .into(),
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
        if self.attack == Attack::Replay && (lesson == Lesson::Plaintext || self.record == 0) {
            return Err(Error::Usage(
                "--attack replay needs records (lesson 2, 3, 5, 9, 10 or 11) and --record 1 or more"
                    .into(),
            ));
        }
        Ok(lesson)
    }

    /// One line (or a few) of Mallory's log.
    pub(crate) fn report(&self, text: String) {
        self.sink.print(&format!("{text}\n"));
    }
}

/// Runs the chosen attack on every connection to `listen`.
pub fn run(
    listen: &str,
    upstream: &str,
    options: MalloryOptions,
    limits: ProxyLimits,
) -> Result<()> {
    let lesson = options.lesson()?;
    // Lesson 11's mitm: her certificate is made once, before listening.
    let impostor = if options.attack == Attack::Mitm && lesson == Lesson::RealTls13 {
        Some(Arc::new(Impostor::new(
            options.ca_out.as_deref(),
            &options.ca,
        )?))
    } else {
        None
    };
    let options = Arc::new(options);
    proxy::run("mallory", listen, upstream, limits, move |pair| {
        attack_connection(&pair, lesson, &options, impostor.as_deref())
    })
}

/// Runs the attack on one relayed connection; `lesson` is what
/// [`MalloryOptions::lesson`] said, and `impostor` her identity for a
/// lesson 11 `mitm` (see [`Impostor::new`]). Public so that a caller with
/// its own listener (the tour) can run Mallory on [`proxy::serve`].
pub fn attack_connection(
    pair: &Pair,
    lesson: Lesson,
    options: &MalloryOptions,
    impostor: Option<&Impostor>,
) -> Result<()> {
    match (options.attack, impostor) {
        (Attack::Mitm, Some(impostor)) => tls13::mitm(pair, impostor, options),
        (Attack::Mitm, None) if lesson == Lesson::Authentication => {
            impersonate::mitm_signed(pair, options)
        }
        (Attack::Mitm, None) => mitm::mitm(pair, options),
        _ => records::tamper(pair, lesson, options),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(super) fn options(attack: Attack, lesson: Option<Lesson>) -> MalloryOptions {
        MalloryOptions {
            attack,
            lesson,
            offset: 0,
            known: b"amount=100".to_vec(),
            wanted: b"amount=900".to_vec(),
            record: 1,
            nonce: NonceMode::Random,
            rewrite: None,
            signature: ForgedSignature::Own,
            sink: Sink::Stdout,
            ca_out: None,
            ca: PathBuf::from("lesson11-ca.pem"),
        }
    }

    #[test]
    fn option_checks() {
        assert_eq!(
            options(Attack::Mitm, None).lesson().unwrap(),
            Lesson::EncryptedEcho
        );
        assert!(
            options(Attack::Mitm, Some(Lesson::CtrChannel))
                .lesson()
                .is_err()
        );
        assert_eq!(
            options(Attack::Mitm, Some(Lesson::Authentication))
                .lesson()
                .unwrap(),
            Lesson::Authentication
        );
        assert_eq!(
            options(Attack::Mitm, Some(Lesson::RealTls13))
                .lesson()
                .unwrap(),
            Lesson::RealTls13
        );
        assert!(options(Attack::Flip, None).lesson().is_err());
        assert!(
            options(Attack::Replay, Some(Lesson::Plaintext))
                .lesson()
                .is_err()
        );
        let mut uneven = options(Attack::Flip, Some(Lesson::CtrChannel));
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
