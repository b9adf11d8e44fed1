//! The tools: programs that stand on the wire between a lesson's client and
//! server. They know every lesson's format; no lesson knows about them.
//!
//! - [`tap`]: cuts a captured byte stream back into each lesson's records,
//!   using the lessons' own wire constants.
//! - [`hexdump`]: labelled hex dumps, coloured only on a terminal.
//! - [`proxy`]: accept a client, connect to the server, relay both ways.
//! - [`eve`]: the passive tap; prints every record, field by field.
//! - [`tls13_view`]: what Eve makes of lesson 11's TLS 1.3 records, and how
//!   she decrypts them with a key log; [`tls13_messages`] says in a line
//!   what each handshake message holds.
//! - [`mallory`]: the active attacker: flip, replay, reflect, mitm.
//! - [`tour`]: every lesson run in process with Eve and Mallory, and the
//!   table of what worked.

pub mod eve;
pub mod hexdump;
pub mod mallory;
pub mod proxy;
pub mod tap;
pub mod tls13_messages;
pub mod tls13_view;
pub mod tour;
