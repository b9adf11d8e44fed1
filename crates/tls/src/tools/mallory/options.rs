//! What Mallory is told: the attack, the lesson, and each attack's flags.
//!
//! Every attack brings its own flags (`FlipArgs` in `flip.rs`, ...), so
//! this file only gathers them and refuses, before anything listens, the
//! combinations that cannot work.

use clap::ValueEnum;

use crate::error::{Error, Result};
use crate::tools::mallory::flip::FlipArgs;
use crate::tools::mallory::mitm::MitmArgs;
use crate::tools::mallory::replay::ReplayArgs;
use crate::tools::sink::Sink;
use crate::tools::tap::Lesson;

/// Which attack to run (`--attack`).
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

/// Everything Mallory is told on the command line.
#[derive(Clone, Debug)]
pub struct MalloryOptions {
    /// The attack.
    pub attack: Attack,
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
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            flip: FlipArgs,
            #[command(flatten)]
            replay: ReplayArgs,
            #[command(flatten)]
            mitm: MitmArgs,
        }
        // No arguments at all: clap fills in every default, and none of
        // these flags is required, so this cannot fail.
        let defaults = <Defaults as clap::Parser>::try_parse_from(["mallory"]);
        let Ok(Defaults { flip, replay, mitm }) = defaults else {
            unreachable!("every Mallory flag has a default")
        };
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
        // A flip changes bytes in place: it can neither add nor remove any.
        if self.attack == Attack::Flip && self.flip.known.len() != self.flip.wanted.len() {
            return Err(Error::Usage(
                "--known and --wanted must be the same length: a flip changes bytes, it cannot add any"
                    .into(),
            ));
        }
        // Lesson 1 has no records to count, and record 0 does not exist.
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
