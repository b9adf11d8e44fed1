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
//! into records exactly as Eve does (see `tap/`), and each attack, one file
//! apiece (`flip.rs`, `replay.rs`, `reflect.rs`), says what to do with each
//! record: pass it on (edited or not), send it twice, send it back, or
//! swallow it. The relay that carries that out (`relay.rs`) knows no attack
//! by name, so a new record attack touches no other attack's file: only the
//! list below and the `Attack` enum (`options.rs`). `mitm` needs no key either; she *makes* the keys,
//! because nothing in lesson 9 tells the client whose public key it received
//! (`mitm.rs`). On lesson 10 she runs the same two handshakes but must then
//! produce the server's signature over the client's keys, which she cannot
//! (`impersonate.rs`): the client refuses. On lesson 11 she brings a whole
//! certificate of her own, for the right name, from her own CA; the client
//! refuses it because it trusts only the CAs in its `--ca` (`tls13.rs`).
//! There `flip`, `replay` and `reflect` let the handshake through and aim
//! at the client's application data records.

mod flip;
mod impersonate;
mod mitm;
mod options;
mod reflect;
mod relay;
mod replay;
mod tls13;

pub use flip::{DEFAULT_OFFSET, FlipArgs};
pub use mitm::{ForgedSignature, MitmArgs, Rewrite, replace_all};
pub use options::{Attack, AttackFlags, MalloryOptions};
pub use replay::ReplayArgs;
pub use tls13::Impostor;

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::tools::proxy::{self, Pair, ProxyLimits};
use crate::tools::tap::Lesson;
use flip::Flip;
use reflect::Reflect;
use replay::Replay;

/// Runs the chosen attack on every connection to `listen`.
pub fn run(
    listen: &str,
    upstream: &str,
    options: MalloryOptions,
    limits: ProxyLimits,
) -> Result<()> {
    // Bad flag combinations are refused here, before anything listens.
    let lesson = options.lesson()?;
    // Lesson 11's mitm: her certificate is made once, before listening.
    // Once, because making a CA and a certificate is slow next to a
    // connection, and because `--ca-out` must hold the one CA that every
    // connection's certificate actually chains to.
    let impostor = if options.attack == Attack::Mitm && lesson == Lesson::RealTls13 {
        Some(Arc::new(Impostor::new(
            options.mitm.ca_out.as_deref(),
            &options.mitm.ca,
        )?))
    } else {
        None
    };
    // Shared, read-only, by every connection's thread.
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
    let log = &options.sink;
    // The list of attacks. Record attacks each say what to do with a record
    // and the relay does it; `mitm` runs whole handshakes of its own.
    // `mitm` is picked by lesson because each lesson's handshake is a
    // different protocol: lesson 9 has nothing to forge, lesson 10 needs a
    // signature, lesson 11 a certificate chain.
    match (options.attack, impostor) {
        (Attack::Flip, _) => relay::relay(pair, lesson, log, &Flip(options.flip.clone())),
        (Attack::Replay, _) => {
            let replay = Replay::new(options.replay.clone());
            relay::relay(pair, lesson, log, &replay)
        }
        (Attack::Reflect, _) => relay::relay(pair, lesson, log, &Reflect),
        (Attack::Mitm, Some(impostor)) => tls13::mitm(pair, impostor, log),
        (Attack::Mitm, None) if lesson == Lesson::Authentication => {
            impersonate::mitm_signed(pair, options.mitm.signature, log)
        }
        // Lesson 11 without her certificate: a caller's mistake, said as
        // such, never a lesson 9 attack run on TLS bytes.
        (Attack::Mitm, None) if lesson == Lesson::RealTls13 => Err(Error::Usage(
            "lesson 11's mitm needs her certificate: make one with Impostor::new".into(),
        )),
        // `lesson()` allows only 9, 10 and 11 for mitm: what is left is 9.
        (Attack::Mitm, None) => mitm::mitm(pair, &options.mitm, log),
    }
}
