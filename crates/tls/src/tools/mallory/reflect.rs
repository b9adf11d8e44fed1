//! `reflect`: send the client's records back to the client.
//!
//! ```text
//! client --record--> mallory          server (hears nothing)
//! client <--record-- mallory
//! ```
//!
//! An echo client expects its own words back, so a record bounced to it
//! looks like the server's echo if the client can open it. Where both
//! directions share one key (lessons 3 and 5), it can: the client reads its
//! own message and believes the server sent it. From lesson 8 on each
//! direction has its own key, and the client, opening with the server's,
//! finds a bad tag.
//!
//! The property it tests is that a record says which way it was going.
//! Nothing in a record's bytes names its direction; the key does, once
//! there are two (lesson 8's `c2s` and `s2c`). On lesson 11 the client and
//! server traffic secrets are derived with different labels (RFC 8446 7.1),
//! so a reflected record fails there as well.
//!
//! The server hears nothing: the record is not forwarded, so the server
//! has nothing to answer and the client's only reply is the reflection.

use crate::tools::mallory::relay::{Action, Here, RecordAttack, report};
use crate::tools::sink::Sink;

/// The attack: every client record goes back where it came from.
#[derive(Debug)]
pub struct Reflect;

impl RecordAttack for Reflect {
    // Every record, unchanged: reflection needs no edit, because a
    // client-to-server record is already a well-formed record in the other
    // direction; what differs is only who sealed it.
    fn client_record(&self, record: &mut [u8], here: &Here, log: &Sink) -> Action {
        report(
            log,
            format!(
                "{}: REFLECTED back to the client ({} bytes); the server never sees it",
                here.name,
                record.len()
            ),
        );
        Action::Back
    }
}
