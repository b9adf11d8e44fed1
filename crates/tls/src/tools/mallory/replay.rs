//! `replay`: send one of the client's records to the server a second time.
//!
//! ```text
//! client --record n--> mallory --record n, record n--> server
//! client <--answer n-- mallory <--answer n, answer n'-- server   (n' swallowed)
//! ```
//!
//! The copy is byte for byte the client's: same nonce, same tag, so every
//! check that asks "did a key holder seal this?" says yes. Only a receiver
//! that knows which record it expects next can refuse it: lesson 5's
//! sequence numbers, lesson 9 and 10's `--nonce counter`, lesson 11's
//! count inside the nonce. With random nonces (lessons 9 and 10 by
//! default) the server acts on the request twice.
//!
//! Where the server answers the copy, Mallory swallows that answer, so the
//! client gets exactly one echo per line and never notices. (Lesson 11
//! refuses the copy with an alert: there is nothing to swallow.)
//!
//! The property it tests is freshness, which a tag cannot give: a tag
//! proves who sealed the bytes, never *when*, or how many times they were
//! meant to arrive.
//!
//! ```text
//! lesson 3                no check at all              the server acts twice
//! lesson 5                the copy's seq is not next   refused (--no-seq-check: acts twice)
//! lessons 9, 10 random    a nonce is never checked     the server acts twice
//! lessons 9, 10 counter   the copy's nonce is not next refused
//! lesson 11               opened with the next seq     the tag fails: bad_record_mac
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use clap::Args;

use crate::tools::mallory::relay::{Action, Here, RecordAttack, report};
use crate::tools::sink::Sink;

/// `--attack replay`'s flags.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "replay")]
pub struct ReplayArgs {
    /// replay: which client record to send twice (1 is the first; on lesson
    /// 11, the first application data record after the handshake).
    // 1 by default: the first record after any handshake is the client's
    // first request, the one a learner typed and will recognise.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub record: u64,
}

/// The attack, with what it must remember across the two directions.
#[derive(Debug)]
pub struct Replay {
    args: ReplayArgs,
    // The number of the server's record that answers the copy; 0: none.
    // Set by the client's direction, read by the server's.
    swallow: AtomicU64,
}

impl Replay {
    /// Replays record `args.record`.
    pub fn new(args: ReplayArgs) -> Replay {
        Replay {
            args,
            swallow: AtomicU64::new(0),
        }
    }
}

impl RecordAttack for Replay {
    fn client_record(&self, record: &mut [u8], here: &Here, log: &Sink) -> Action {
        // One record only: replaying every record would double the whole
        // conversation, and the point is one request the server accepts
        // twice (a transfer made twice) with the client none the wiser.
        if here.number != self.args.record {
            return Action::Forward;
        }
        // An echo server answers record n with its record n, and the copy
        // with record n + 1: that one must not reach the client.
        // Lesson 11's server never answers the copy (the AEAD refuses it, and
        // the server ends the connection), so there is no answer to hide;
        // swallowing its record n + 1 would drop a real one.
        if !here.lesson.has_tls_records() {
            let answer = self.args.record.saturating_add(1);
            self.swallow.store(answer, Ordering::SeqCst);
        }
        report(
            log,
            format!(
                "{}: forwarded, then REPLAYED ({} bytes sent twice)",
                here.name,
                record.len()
            ),
        );
        Action::Twice
    }

    fn swallow_server_record(&self, here: &Here, log: &Sink) -> bool {
        // Numbers start at 1, so the initial 0 matches no record: until the
        // replay happens, nothing is swallowed. SeqCst because the value is
        // stored by the client's thread and read by the server's.
        if here.number != self.swallow.load(Ordering::SeqCst) {
            return false;
        }
        report(
            log,
            format!("{}: SWALLOWED (the answer to the replay)", here.name),
        );
        true
    }
}
