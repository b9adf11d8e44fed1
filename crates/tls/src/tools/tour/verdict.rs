//! Did it work? Each column of the tour's table, judged from what a run
//! produced, never written down in advance.
//!
//! | column    | works when                                         | evidence          |
//! |-----------|----------------------------------------------------|-------------------|
//! | Eve reads | a field she can read holds the request             | Eve's blocks      |
//! | flip      | the server read a message with `amount=900`        | server's journal  |
//! | replay    | the server read the request twice                  | server's journal  |
//! | reflect   | the client took an echo that never reached the server | client, journal |
//! | mitm      | Mallory printed the request and the client finished | her report, client |
//!
//! Anything else is "fails", with what did happen instead: the server's
//! reason for dropping the connection, or the client's for refusing.
//!
//! Each test asks the *victim*, not the attacker: Mallory always believes
//! she flipped or replayed something, since she did send the bytes. What
//! counts is whether the server acted on them (its journal) or the client
//! believed them (its result). Only for Eve and `mitm`, whose goal is to
//! read, is the attacker's own output the evidence.

use std::fmt;

use crate::runtime::output::{PREVIEW_BYTES, preview};
use crate::tools::mallory::Attack;
use crate::tools::tour::scenario::{REQUEST, Run, WANTED};

/// One column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// Can Eve, who only watches, read the request?
    Eve,
    /// One of Mallory's attacks.
    Attack(Attack),
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; 5] = [
        Column::Eve,
        Column::Attack(Attack::Flip),
        Column::Attack(Attack::Replay),
        Column::Attack(Attack::Reflect),
        Column::Attack(Attack::Mitm),
    ];

    /// The column's heading.
    pub fn heading(self) -> &'static str {
        match self {
            Column::Eve => "Eve reads",
            Column::Attack(Attack::Flip) => "flip",
            Column::Attack(Attack::Replay) => "replay",
            Column::Attack(Attack::Reflect) => "reflect",
            Column::Attack(Attack::Mitm) => "mitm",
        }
    }
}

/// How one attack (or Eve's look) went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The attacker got what she wanted; how we know.
    Works(String),
    /// A defence held (or there was nothing to get); what happened instead.
    Fails(String),
    /// Not run on this lesson; why.
    NotRun(&'static str),
}

impl Verdict {
    /// The word in the table: `works`, `fails` or `—`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Works(_) => "works",
            Verdict::Fails(_) => "fails",
            Verdict::NotRun(_) => "—",
        }
    }

    /// The one-line explanation beside it.
    pub fn detail(&self) -> &str {
        match self {
            Verdict::Works(why) | Verdict::Fails(why) => why,
            Verdict::NotRun(why) => why,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}  {}", self.word(), self.detail())
    }
}

/// Judges `column` from the run that tried it (Eve's honest run for
/// [`Column::Eve`], Mallory's run of that attack for the others).
pub fn judge(column: Column, run: &Run) -> Verdict {
    match column {
        Column::Eve => eve_reads(run),
        Column::Attack(Attack::Flip) => flip(run),
        Column::Attack(Attack::Replay) => replay(run),
        Column::Attack(Attack::Reflect) => reflect(run),
        Column::Attack(Attack::Mitm) => mitm(run),
    }
}

/// Eve reads the request if a field she can read (plaintext, on the wire
/// or decrypted) holds it.
// Only fields Eve can read count: from lesson 3 on, the request is there
// as ciphertext, and bytes she has but cannot read are not reading.
fn eve_reads(run: &Run) -> Verdict {
    if run.blocks.iter().any(|block| block.reads(REQUEST)) {
        Verdict::Works("the request is right there in her dump".into())
    } else {
        Verdict::Fails("the request appears nowhere in what she printed".into())
    }
}

/// The flip works if the server read `amount=900`.
fn flip(run: &Run) -> Verdict {
    // The edit is judged by what the server *read*: a record that reached
    // it and was refused by its MAC or tag never becomes a message.
    let flipped = run.server.messages.iter().find(|m| contains(m, WANTED));
    match (flipped, &run.server.dropped) {
        (Some(message), _) => Verdict::Works(format!("the server read {}", quoted(message))),
        // The usual failure from lesson 5 on: the tag check dropped it.
        (None, Some(reason)) => Verdict::Fails(format!("the server {reason}")),
        // Read, but unchanged: the flip did not land on the text.
        (None, None) if run.server.count(REQUEST) > 0 => {
            Verdict::Fails("the server read the request unchanged".into())
        }
        (None, None) => Verdict::Fails("the server never read amount=900".into()),
    }
}

/// The replay works if the server read the request twice.
fn replay(run: &Run) -> Verdict {
    // Counted on the server's side: twice is a transfer made twice, which
    // is the harm a replay does. Once, then a drop, is the sequence check
    // (lesson 5, counter nonces, lesson 11) refusing the copy.
    let times = run.server.count(REQUEST);
    match (times, &run.server.dropped) {
        (2, _) => Verdict::Works("the server read the request twice".into()),
        (3.., _) => Verdict::Works(format!("the server read the request {times} times")),
        (1, Some(reason)) => {
            Verdict::Fails(format!("the server read the request once, then {reason}"))
        }
        (_, Some(reason)) => Verdict::Fails(format!("the server {reason}")),
        (_, None) => Verdict::Fails(format!("the server read the request {times} time(s)")),
    }
}

/// The reflection works if the client accepted an echo although the server
/// never read anything: the echo was its own record, sent back.
// The server having read nothing is the proof: the only thing the client
// can have taken for an echo is its own record, bounced by Mallory.
fn reflect(run: &Run) -> Verdict {
    match &run.client {
        Ok(_) if run.server.messages.is_empty() => Verdict::Works(
            "the client took its own message, sent back by Mallory, for the server's echo".into(),
        ),
        Ok(_) => Verdict::Fails("the echo came from the server after all".into()),
        // From lesson 9 on: opened with the server-to-client key, the
        // client's own record fails its tag.
        Err(why) => Verdict::Fails(format!("the client refused it: {why}")),
    }
}

/// The man in the middle works if Mallory read the request and the client
/// finished its conversation none the wiser.
// Both halves are needed: Mallory reading proves nothing if the client
// noticed and hung up, and a client finishing proves nothing if she was
// only relaying ciphertext.
fn mitm(run: &Run) -> Verdict {
    match &run.client {
        Ok(_) if mentions_request(&run.report) => Verdict::Works(
            "Mallory read the request in the clear; the client noticed nothing".into(),
        ),
        Ok(_) => Verdict::Fails("the client finished, but Mallory read nothing".into()),
        // Lesson 10's signature check or lesson 11's certificate check.
        Err(why) => Verdict::Fails(format!("the client refused: {why}")),
    }
}

/// Whether a tool's report shows the request (as tools print text: the
/// terminal-safe preview, which for this request is the request itself).
fn mentions_request(report: &str) -> bool {
    report.contains(&preview(REQUEST, PREVIEW_BYTES))
}

// Called only with the non-empty `WANTED`: `windows(0)` would panic, and
// an empty needle would mean nothing anyway.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// A message the way the servers print them: quoted, terminal-safe.
fn quoted(message: &[u8]) -> String {
    format!("\"{}\"", preview(message, PREVIEW_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::annotate::{Annotated, Block, Field, Heading, Kind, UnitKind};
    use crate::tools::tap::{Direction, Lesson};
    use crate::tools::tour::journal::Seen;

    /// The request as one field of `kind`.
    fn chunk(kind: Kind) -> Block {
        let heading = Heading {
            connection: 1,
            direction: Direction::ClientToServer,
            lesson: Some(Lesson::Plaintext),
            unit: UnitKind::Chunk,
            text: "chunk".into(),
        };
        let fields = vec![Field::new("text", kind, REQUEST)];
        Block::new(heading, Annotated::new(REQUEST.to_vec(), fields))
    }

    fn run(client: Result<&[u8], &str>, messages: &[&[u8]], dropped: Option<&str>) -> Run {
        Run {
            client: client.map(<[u8]>::to_vec).map_err(str::to_string),
            server: Seen {
                messages: messages.iter().map(|m| m.to_vec()).collect(),
                dropped: dropped.map(str::to_string),
                opened: 1,
                closed: 1,
            },
            report: String::new(),
            blocks: Vec::new(),
        }
    }

    #[test]
    fn flip_is_judged_by_what_the_server_read() {
        let flipped = b"GET /transfer?to=bob&amount=900 HTTP/1.1";
        let worked = judge(
            Column::Attack(Attack::Flip),
            &run(Ok(b""), &[flipped], None),
        );
        assert_eq!(
            worked,
            Verdict::Works(format!(
                "the server read \"{}\"",
                String::from_utf8_lossy(flipped)
            ))
        );
        let refused = run(Err("x"), &[], Some("dropped the connection: bad mac"));
        assert_eq!(
            judge(Column::Attack(Attack::Flip), &refused).to_string(),
            "fails  the server dropped the connection: bad mac"
        );
    }

    #[test]
    fn replay_needs_the_request_twice() {
        let twice = run(Ok(b""), &[REQUEST, REQUEST], None);
        assert_eq!(
            judge(Column::Attack(Attack::Replay), &twice).word(),
            "works"
        );
        let once = run(
            Ok(b""),
            &[REQUEST],
            Some("dropped the connection: wrong seq"),
        );
        assert_eq!(
            judge(Column::Attack(Attack::Replay), &once).detail(),
            "the server read the request once, then dropped the connection: wrong seq"
        );
    }

    #[test]
    fn reflect_works_only_if_the_server_never_read_it() {
        let fooled = run(Ok(REQUEST), &[], None);
        assert_eq!(
            judge(Column::Attack(Attack::Reflect), &fooled).word(),
            "works"
        );
        let honest = run(Ok(REQUEST), &[REQUEST], None);
        assert_eq!(
            judge(Column::Attack(Attack::Reflect), &honest).word(),
            "fails"
        );
        let refused = run(Err("record failed authentication (bad tag)"), &[], None);
        assert_eq!(
            judge(Column::Attack(Attack::Reflect), &refused).word(),
            "fails"
        );
    }

    #[test]
    fn eve_is_judged_by_her_blocks_and_mitm_by_the_report() {
        let mut seen = run(Ok(REQUEST), &[REQUEST], None);
        assert_eq!(judge(Column::Eve, &seen).word(), "fails");
        assert_eq!(judge(Column::Attack(Attack::Mitm), &seen).word(), "fails");
        // The request as ciphertext: on the wire, but not read.
        seen.blocks = vec![chunk(Kind::Ciphertext)];
        assert_eq!(judge(Column::Eve, &seen).word(), "fails");
        seen.blocks = vec![chunk(Kind::Plaintext)];
        assert_eq!(judge(Column::Eve, &seen).word(), "works");
        seen.report = format!("#1 client -> server  plaintext \"{}\"", quoted(REQUEST));
        assert_eq!(judge(Column::Attack(Attack::Mitm), &seen).word(), "works");
        seen.client = Err("server signature check failed".into());
        assert_eq!(judge(Column::Attack(Attack::Mitm), &seen).word(), "fails");
    }
}
