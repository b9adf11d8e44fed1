//! What Mallory is told: the attack, the lesson, and each attack's flags.
//!
//! Every attack brings its own flags (`FlipArgs` in `flip.rs`, ...), so
//! this file only gathers them and refuses, before anything listens, the
//! combinations that cannot work.
//!
//! Refusing early matters for a proxy: once a client has connected, a
//! mistake in Mallory's flags would look like a failure of the lesson's
//! channel, and teach the wrong thing. Each refusal below names the
//! reason in terms of the wire (no records to count, a flip cannot change
//! a length), so the learner reads why, not only that.
//!
//! ```text
//! --attack  needs                     because
//! flip      a lesson with records     the target is found by the record layout
//!           len(known) = len(wanted)  XOR keeps lengths; the length is in the clear
//! replay    lesson 2 or later, N >= 1 a record number needs records, counted from 1
//! reflect   a lesson                  to cut the stream into records
//! mitm      lesson 9, 10 or 11        only those have a handshake to stand in
//! ```

use clap::ValueEnum;

use crate::error::{Error, Result};
use crate::tools::mallory::flip::FlipArgs;
use crate::tools::mallory::mitm::MitmArgs;
use crate::tools::mallory::replay::ReplayArgs;
use crate::tools::sink::Sink;
use crate::tools::tap::Lesson;

/// Which attack to run (`--attack`).
// One variant per property of a secure channel: integrity (flip),
// freshness (replay), direction (reflect), authentication (mitm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
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

/// Every attack's flag group, as the program flattens them into its
/// command line (each keeps its own heading in `--help`).
#[derive(clap::Args, Clone, Debug)]
pub struct AttackFlags {
    /// `flip`'s flags.
    #[command(flatten)]
    pub flip: FlipArgs,
    /// `replay`'s flags.
    #[command(flatten)]
    pub replay: ReplayArgs,
    /// `mitm`'s flags.
    #[command(flatten)]
    pub mitm: MitmArgs,
}

/// Everything Mallory is told on the command line.
// Every attack's flags are always here, used or not: clap fills in their
// defaults, and an attack reads only its own group.
#[derive(Clone, Debug)]
pub struct MalloryOptions {
    /// The attack.
    pub attack: Attack,
    // `None` only when `--lesson` was not given; `lesson()` below decides
    // whether the attack can do without it.
    /// The wire format (`mitm` implies lesson 9).
    pub lesson: Option<Lesson>,
    /// `flip`'s flags.
    pub flip: FlipArgs,
    /// `replay`'s flags.
    pub replay: ReplayArgs,
    /// `mitm`'s flags.
    pub mitm: MitmArgs,
    /// Where her log goes: stdout for the program.
    pub sink: Sink,
}

impl MalloryOptions {
    /// What `mallory --attack ATTACK --lesson N` runs with: every attack's
    /// flags at their defaults (read from the flags themselves, so the two
    /// cannot drift apart), her log going to `sink`.
    pub fn with_defaults(attack: Attack, lesson: Option<Lesson>, sink: Sink) -> MalloryOptions {
        // A parser made of the same flag groups the program has: parsing
        // no arguments with it is how the defaults written on the flags
        // become values, with no second copy of them in this file.
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            flags: AttackFlags,
        }
        // No arguments at all: clap fills in every default, and none of
        // these flags is required, so this cannot fail.
        let defaults = <Defaults as clap::Parser>::try_parse_from(["mallory"]);
        // `unreachable!` is safe here: the input is the fixed argv above,
        // never a peer's bytes or the user's.
        let Ok(Defaults { flags }) = defaults else {
            unreachable!("every Mallory flag has a default")
        };
        MalloryOptions::new(attack, lesson, flags, sink)
    }

    /// Options from the command line's attack and lesson and every
    /// attack's flags, her log going to `sink`.
    pub fn new(
        attack: Attack,
        lesson: Option<Lesson>,
        flags: AttackFlags,
        sink: Sink,
    ) -> MalloryOptions {
        let AttackFlags { flip, replay, mitm } = flags;
        MalloryOptions {
            attack,
            lesson,
            flip,
            replay,
            mitm,
            sink,
        }
    }

    /// Refuses flag combinations that cannot work, before listening.
    pub fn lesson(&self) -> Result<Lesson> {
        // First the lesson: `mitm` knows its three lessons by their
        // handshakes and defaults to lesson 9's, the one it beats; every
        // record attack must be told the wire format to cut records by.
        let lesson = match (self.attack, self.lesson) {
            (Attack::Mitm, None | Some(Lesson::EncryptedEcho)) => return Ok(Lesson::EncryptedEcho),
            (Attack::Mitm, Some(lesson @ (Lesson::Authentication | Lesson::RealTls13))) => {
                return Ok(lesson);
            }
            // Lessons 1 to 5 have no key exchange (no key at all, or one
            // built into both programs): there is no public key in which
            // Mallory could put her own.
            (Attack::Mitm, Some(other)) => {
                return Err(Error::Usage(format!(
                    "--attack mitm is for lesson 9, 10 or 11 ({other} has no handshake to hijack)"
                )));
            }
            // Without a lesson the length could be a u32, a u16 or bytes 3
            // and 4 of a TLS header: a guess would cut the stream wrongly.
            (_, None) => {
                return Err(Error::Usage(
                    "this attack needs --lesson N (1, 2, 3, 5, 9, 10 or 11) to find the records"
                        .into(),
                ));
            }
            // A record attack on any wire format it was given.
            (_, Some(lesson)) => lesson,
        };
        // A flip changes bytes in place: it can neither add nor remove any.
        // The record's length is in its clear header, and changing it would
        // move the record's end; on lesson 11 the header is the AEAD's
        // additional data (RFC 8446 5.2), so it is covered by the tag too.
        if self.attack == Attack::Flip && self.flip.known.len() != self.flip.wanted.len() {
            return Err(Error::Usage(
                "--known and --wanted must be the same length: a flip changes bytes, it cannot add any"
                    .into(),
            ));
        }
        // Lesson 1 has no records to count, and record 0 does not exist.
        // (Record numbers come from the relay, which counts from 1 in each
        // direction, so 0 would silently replay nothing.)
        if self.attack == Attack::Replay && (lesson == Lesson::Plaintext || self.replay.record == 0)
        {
            return Err(Error::Usage(
                "--attack replay needs records (lesson 2, 3, 5, 9, 10 or 11) and --record 1 or more"
                    .into(),
            ));
        }
        Ok(lesson)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(attack: Attack, lesson: Option<Lesson>) -> MalloryOptions {
        MalloryOptions::with_defaults(attack, lesson, Sink::Stdout)
    }

    #[test]
    fn the_defaults_are_the_flags_defaults() {
        let o = options(Attack::Flip, Some(Lesson::CtrChannel));
        assert_eq!(o.flip.offset, 21);
        assert_eq!(
            (o.flip.known.as_str(), o.flip.wanted.as_str()),
            ("amount=100", "amount=900")
        );
        assert_eq!(o.replay.record, 1);
        assert_eq!(o.mitm.ca, std::path::PathBuf::from("lesson11-ca.pem"));
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
        for lesson in [Lesson::Authentication, Lesson::RealTls13] {
            assert_eq!(
                options(Attack::Mitm, Some(lesson)).lesson().unwrap(),
                lesson
            );
        }
        assert!(options(Attack::Flip, None).lesson().is_err());
        assert!(
            options(Attack::Replay, Some(Lesson::Plaintext))
                .lesson()
                .is_err()
        );
        let mut uneven = options(Attack::Flip, Some(Lesson::CtrChannel));
        uneven.flip.wanted = "amount=9000".into();
        assert!(uneven.lesson().is_err());
        let mut nothing = options(Attack::Replay, Some(Lesson::Records));
        nothing.replay.record = 0;
        assert!(nothing.lesson().is_err());
    }
}
