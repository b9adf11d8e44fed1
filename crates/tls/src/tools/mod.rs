//! The tools: programs that stand on the wire between a lesson's client and
//! server. They know every lesson's format; no lesson knows about them.
//!
//! - [`tap`]: cuts a captured byte stream back into each lesson's records,
//!   using the lessons' own wire constants.
//! - [`annotate`]: the model of what Eve sees: blocks of bytes cut into
//!   named fields, with no colour or layout in them.
//! - [`hexdump`]: the terminal renderer: blocks as labelled hex dumps,
//!   coloured only on a terminal.
//! - [`sink`]: where a report goes: stdout, or memory for the tour.
//! - [`keys`]: reading a key log that is still being written.
//! - [`proxy`]: accept a client, connect to the server, relay both ways.
//! - [`eve`]: the passive tap; prints every record, field by field.
//! - [`tls13_view`]: what Eve makes of lesson 11's TLS 1.3 records, and how
//!   she decrypts them with a key log; [`tls13_messages`] says in a line
//!   what each handshake message holds.
//! - [`mallory`]: the active attacker: flip, replay, reflect, mitm.
//! - [`tour`]: every lesson run in process with Eve and Mallory, and the
//!   table of what worked.

pub mod annotate;
pub mod eve;
pub mod hexdump;
pub mod keys;
pub mod mallory;
pub mod proxy;
pub mod sink;
pub mod tap;
pub mod tls13_messages;
pub mod tls13_view;
pub mod tour;
