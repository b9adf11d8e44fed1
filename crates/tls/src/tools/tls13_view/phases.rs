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
    /// The handshake traffic secret, until this side's Finished.
    Handshake,
    /// The application traffic secret, after `updates` KeyUpdates.
    Application { updates: u32 },
}

/// One direction's count of what went by.
#[derive(Clone, Copy, Debug)]
pub(super) struct Side {
    pub(super) phase: Phase,
    // The sequence number of the next encrypted record under this secret.
    pub(super) sequence: u64,
    // Bytes of a handshake message that spill into the next record.
    pub(super) continuing: usize,
}

impl Side {
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
        for (message_type, body) in whole_messages(content) {
            match (message_type, self.phase) {
                (handshake_type::FINISHED, Phase::Handshake) => {
                    self.phase = Phase::Application { updates: 0 };
                    self.sequence = 0;
                }
                (handshake_type::KEY_UPDATE, Phase::Application { updates })
                    if parse_key_update(body).is_ok() =>
                {
                    self.phase = Phase::Application {
                        updates: updates.saturating_add(1),
                    };
                    self.sequence = 0;
                }
                _ => {}
            }
        }
    }
}

/// `[client's, server's]`: where a direction's count is kept.
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
    let (handshake, application) = match direction {
        Direction::ClientToServer => (&secrets.client_handshake, &secrets.client_traffic),
        Direction::ServerToClient => (&secrets.server_handshake, &secrets.server_traffic),
    };
    match phase {
        Phase::Handshake => handshake.clone(),
        Phase::Application { updates } => {
            let mut secret = application.clone()?;
            for _ in 0..updates {
                secret = next_traffic_secret(&secret);
            }
            Some(secret)
        }
    }
}

/// The key log label of the secret `direction` uses in `phase`.
pub(super) fn label(direction: Direction, phase: Phase) -> String {
    match phase {
        Phase::Handshake => label_for(direction, true).to_string(),
        Phase::Application { updates: 0 } => label_for(direction, false).to_string(),
        Phase::Application { updates } => {
            format!(
                "{} after {updates} KeyUpdate(s)",
                label_for(direction, false)
            )
        }
    }
}

/// The label of a direction's handshake or first application secret.
pub(super) fn label_for(direction: Direction, handshake: bool) -> &'static str {
    match (direction, handshake) {
        (Direction::ClientToServer, true) => CLIENT_HANDSHAKE_LABEL,
        (Direction::ServerToClient, true) => SERVER_HANDSHAKE_LABEL,
        (Direction::ClientToServer, false) => CLIENT_TRAFFIC_LABEL,
        (Direction::ServerToClient, false) => SERVER_TRAFFIC_LABEL,
    }
}
