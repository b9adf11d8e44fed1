//! Which secret each direction of a TLS 1.3 connection is under, and at
//! which sequence number: what Eve must track to open a record with a key
//! log, since neither is ever on the wire.
//!
//! ```text
//! client -> server   handshake secret: seq 0, 1 .. Finished
//!                    application secret _0: seq 0, 1, .. KeyUpdate
//!                    application secret _1: seq 0, 1, ..
//! server -> client   the same, counted apart
//! ```
//!
//! Each direction starts under its handshake traffic secret, moves to its
//! application traffic secret after its own Finished, and to the next
//! secret (RFC 8446 7.2) after each KeyUpdate it sends; each move starts
//! the count again at 0 (5.3).
//!
//! Why the moves fall where they do: the handshake secrets exist as soon as
//! the ServerHello is out, from the X25519 secret and the hellos (7.1), so
//! every message after it is hidden; the application secrets also cover
//! the transcript up to the server's Finished, so they are not there any
//! earlier. A KeyUpdate (4.6.3) replaces only its sender's secret: the
//! other direction changes when the peer sends a KeyUpdate of its own.
//! The record that carries a Finished or a KeyUpdate is still under the old
//! secret; the change starts with the next record, which is why 5.1 keeps
//! those messages at the end of their record.

use crate::lesson11_real_tls13::handshake_type;
use crate::lesson11_real_tls13::key_schedule::{Secret, next_traffic_secret};
use crate::lesson11_real_tls13::keylog::{
    CLIENT_HANDSHAKE_LABEL, CLIENT_TRAFFIC_LABEL, LoggedSecrets, SERVER_HANDSHAKE_LABEL,
    SERVER_TRAFFIC_LABEL,
};
use crate::lesson11_real_tls13::server_messages::parse_key_update;
use crate::tools::tap::Direction;
use crate::tools::tls13_messages::whole_messages;

/// Which secret a direction is under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// The handshake traffic secret, until this side's Finished. On the
    /// server's side it hides EncryptedExtensions, the certificate,
    /// CertificateVerify and Finished; on the client's, its Finished.
    Handshake,
    /// The application traffic secret, after `updates` KeyUpdates this side
    /// has sent: `_0` as logged, then one 7.2 step per update.
    Application { updates: u32 },
}

/// One direction's count of what went by. Everything here is Eve's own
/// bookkeeping: an endpoint keeps the same facts, and none of them is sent.
#[derive(Clone, Copy, Debug)]
pub(super) struct Side {
    // Which secret this direction's next encrypted record is under.
    pub(super) phase: Phase,
    // The sequence number of the next encrypted record under this secret.
    pub(super) sequence: u64,
    // Bytes of a handshake message that spill into the next record.
    pub(super) continuing: usize,
}

impl Side {
    /// A direction before its first record: the handshake secret, at 0.
    pub(super) fn new() -> Side {
        Side {
            phase: Phase::Handshake,
            sequence: 0,
            continuing: 0,
        }
    }

    /// After a decrypted handshake record: a Finished moves this side to
    /// its application secret, a KeyUpdate to the next one; either way the
    /// count starts again at 0.
    pub(super) fn follow_key_changes(&mut self, content: &[u8]) {
        // Only whole messages count: a key change is never cut across
        // records (5.1).
        for (message_type, body) in whole_messages(content) {
            match (message_type, self.phase) {
                // 4.4.4: a side's Finished is the last message it sends under
                // its handshake secret. Each side has exactly one, so a
                // Finished seen later in the application phase changes
                // nothing.
                (handshake_type::FINISHED, Phase::Handshake) => {
                    // 5.3: a new key starts its count at 0.
                    self.phase = Phase::Application { updates: 0 };
                    self.sequence = 0;
                }
                // 4.6.3: a KeyUpdate comes only after its sender's Finished, and
                // only a well-formed one moves the keys: the peer answers a
                // malformed one with an alert instead of updating.
                (handshake_type::KEY_UPDATE, Phase::Application { updates })
                    if parse_key_update(body).is_ok() =>
                {
                    // A peer may send KeyUpdates without end; the count
                    // saturates rather than wraps (and 2^32 updates is far
                    // past any real connection).
                    self.phase = Phase::Application {
                        updates: updates.saturating_add(1),
                    };
                    self.sequence = 0;
                }
                // Every other message leaves the keys as they are.
                _ => {}
            }
        }
    }
}

/// `[client's, server's]`: where a direction's count is kept. The two are
/// never mixed: each direction has its own secrets and its own numbers.
pub(super) fn side_index(direction: Direction) -> usize {
    usize::from(direction == Direction::ServerToClient)
}

/// The secret for `direction` in `phase`, if the key log had it. The log
/// holds only the first application secret; each KeyUpdate's is derived
/// from it, as the endpoints derive theirs.
pub(super) fn logged(
    secrets: &LoggedSecrets,
    direction: Direction,
    phase: Phase,
) -> Option<Secret> {
    // What the last look at the log found, this direction's half of it.
    let (handshake, application) = match direction {
        Direction::ClientToServer => (&secrets.client_handshake, &secrets.client_traffic),
        Direction::ServerToClient => (&secrets.server_handshake, &secrets.server_traffic),
    };
    match phase {
        Phase::Handshake => handshake.clone(),
        Phase::Application { updates } => {
            // No `_0` logged yet: nothing to derive from either.
            let mut secret = application.clone()?;
            // Walked from `_0` on every call: one HKDF step per KeyUpdate
            // this direction has sent so far.
            for _ in 0..updates {
                secret = next_traffic_secret(&secret);
            }
            Some(secret)
        }
    }
}

/// The key log label of the secret `direction` uses in `phase`. The NSS
/// format has no label for a secret after a KeyUpdate (it is not logged,
/// only derived), so those are named as `_0` and a count.
pub(super) fn label(direction: Direction, phase: Phase) -> String {
    match phase {
        Phase::Handshake => label_for(direction, true).to_string(),
        Phase::Application { updates: 0 } => label_for(direction, false).to_string(),
        // Said in full, so the report shows how far the chain was walked.
        Phase::Application { updates } => {
            format!(
                "{} after {updates} KeyUpdate(s)",
                label_for(direction, false)
            )
        }
    }
}

/// The label of a direction's handshake or first application secret, the
/// four lines lesson 11 writes per connection.
pub(super) fn label_for(direction: Direction, handshake: bool) -> &'static str {
    match (direction, handshake) {
        (Direction::ClientToServer, true) => CLIENT_HANDSHAKE_LABEL,
        (Direction::ServerToClient, true) => SERVER_HANDSHAKE_LABEL,
        (Direction::ClientToServer, false) => CLIENT_TRAFFIC_LABEL,
        (Direction::ServerToClient, false) => SERVER_TRAFFIC_LABEL,
    }
}
