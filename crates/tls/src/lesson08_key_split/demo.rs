//! The `8-key-split` program: one shared secret becomes two keys, and the
//! reflection attack is tried against split keys and against one key.
//!
//! ```text
//! client                          Mallory                         server
//!   | -- record sealed with c2s --> |
//!   | <-- the same bytes, bounced - |          (the server never sees it)
//! open with s2c: REJECTED        split keys
//! open with the one key: ACCEPTED   ⚠️ one key for both directions
//! ```
//!
//! The records are lesson 6's (ChaCha20-Poly1305, `nonce || ciphertext ||
//! tag`, the record number as associated data). The experiment
//! ([`reflect`]) returns what happened, so the tests below can assert it;
//! [`run`] prints those values.

use std::io::{self, Write};

use hkdf::Hkdf;
use sha2::Sha256;

use crate::error::Result;
use crate::lesson04_ctr_malleability::REQUEST;
use crate::lesson06_aead::demo::{conclude, verdict};
use crate::lesson06_aead::{NONCE_LEN, TAG_LEN, open_record, seal_record};
use crate::lesson07_key_exchange::Handshake;
use crate::lesson08_key_split::{C2S_LABEL, HKDF_SALT, KEY_LEN, Role, S2C_LABEL, SessionKeys};

/// The HKDF `info` label of the demo's deliberate mistake. Nothing but
/// [`insecure_one_key_for_both_directions`] uses it.
pub const ONE_KEY_LABEL_FOR_THE_MISTAKE: &[u8] = b"one key for both directions";

/// ⚠️ **The mistake this lesson exists to show**: one key, derived with the
/// same HKDF, used by both ends to send *and* to receive. A record then
/// decrypts in either direction, so Mallory can send it back where it came
/// from. Never use this; [`SessionKeys::derive`] is the fix.
pub fn insecure_one_key_for_both_directions(shared_secret: &[u8; 32]) -> [u8; KEY_LEN] {
    let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), shared_secret);
    let mut key = [0u8; KEY_LEN];
    // 32 bytes is far below HKDF's limit of 255 * 32, so this cannot fail.
    let expanded = hk.expand(ONE_KEY_LABEL_FOR_THE_MISTAKE, &mut key);
    debug_assert!(expanded.is_ok(), "32-byte HKDF output is always valid");
    key
}

/// A lesson 7 exchange in memory. Returns what each end computed: the
/// client's X25519 result and the server's, the same 32 bytes.
pub fn exchange() -> Result<([u8; 32], [u8; 32])> {
    let client = Handshake::new();
    let server = Handshake::new();
    let (client_public, server_public) = (client.public_key(), server.public_key());
    let at_client = client.finish(&server_public)?;
    let at_server = server.finish(&client_public)?;
    Ok((at_client.to_bytes(), at_server.to_bytes()))
}

/// The three keys one reflection involves.
#[derive(Clone, Copy)]
pub struct Keys<'a> {
    /// What the client seals its records with.
    pub client_sends: &'a [u8; KEY_LEN],
    /// What the server opens the client's records with.
    pub server_reads: &'a [u8; KEY_LEN],
    /// What the client opens "the server's" records with.
    pub client_reads: &'a [u8; KEY_LEN],
}

impl<'a> Keys<'a> {
    /// The keys lesson 8's split hands each end: each derived its own
    /// [`SessionKeys`] from its own copy of the shared secret.
    pub fn split(client: &'a SessionKeys, server: &'a SessionKeys) -> Keys<'a> {
        Keys {
            client_sends: client.sending_key(Role::Client),
            server_reads: server.receiving_key(Role::Server),
            client_reads: client.receiving_key(Role::Client),
        }
    }

    /// ⚠️ The mistake: each end has one key, and uses it both ways.
    pub fn one(client: &'a [u8; KEY_LEN], server: &'a [u8; KEY_LEN]) -> Keys<'a> {
        Keys {
            client_sends: client,
            server_reads: server,
            client_reads: client,
        }
    }
}

/// What happened to one client record.
#[derive(Debug)]
pub struct Reflection {
    /// The record as the client sent it: `nonce || ciphertext || tag`.
    pub record: Vec<u8>,
    /// The server opening it, where it was meant to go.
    pub at_server: Result<Vec<u8>>,
    /// The client opening the same bytes, bounced back by Mallory, as the
    /// server's record 0.
    pub reflected: Result<Vec<u8>>,
}

/// The client seals `request` as its record 0. The server opens it; then
/// Mallory sends the very same bytes back to the client, which opens them as
/// the first record from the server, also number 0.
pub fn reflect(keys: Keys<'_>, request: &[u8]) -> Result<Reflection> {
    // client -> server, record 0 of the client's stream
    let record = seal_record(keys.client_sends, 0, request)?;
    let at_server = open_record(keys.server_reads, 0, &record);
    // Mallory: server <- client becomes client <- "server". Each direction
    // counts from 0, so lesson 6's sequence number in the aad matches too.
    let reflected = open_record(keys.client_reads, 0, &record);
    Ok(Reflection {
        record,
        at_server,
        reflected,
    })
}

/// Runs the split and both reflections, and explains them on `out`.
pub fn run(out: &mut impl Write) -> Result<()> {
    let (at_client, at_server) = exchange()?;
    // Each end runs the key schedule on its own copy of the secret.
    let client_keys = SessionKeys::derive(&at_client);
    let server_keys = SessionKeys::derive(&at_server);
    let split = reflect(Keys::split(&client_keys, &server_keys), REQUEST)?;
    // The mistake, made the same way at both ends.
    let client_one = insecure_one_key_for_both_directions(&at_client);
    let server_one = insecure_one_key_for_both_directions(&at_server);
    let mistake = reflect(Keys::one(&client_one, &server_one), REQUEST)?;
    narrate(
        out,
        (&at_client, &at_server),
        &client_keys,
        &client_one,
        &split,
        &mistake,
    )?;
    Ok(())
}

fn narrate(
    out: &mut impl Write,
    (at_client, at_server): (&[u8; 32], &[u8; 32]),
    keys: &SessionKeys,
    one_key: &[u8; KEY_LEN],
    split: &Reflection,
    mistake: &Reflection,
) -> io::Result<()> {
    let label = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let salt = label(HKDF_SALT);

    writeln!(
        out,
        "Lesson 8: HKDF key derivation, one key per direction, and the reflection attack"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 1. A lesson 7 exchange, in memory, gives client and server the same secret."
    )?;
    writeln!(
        out,
        "  at the client  shared = {}",
        crate::short_hex(at_client)
    )?;
    writeln!(
        out,
        "  at the server  shared = {}",
        crate::short_hex(at_server)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 2. Each end runs HKDF-SHA256 on it and gets the same two keys, one per direction."
    )?;
    writeln!(
        out,
        "  c2s_key = HKDF(salt \"{salt}\", ikm shared, info \"{}\", {KEY_LEN} bytes) = {}",
        label(C2S_LABEL),
        crate::short_hex(keys.c2s())
    )?;
    writeln!(
        out,
        "  s2c_key = HKDF(salt \"{salt}\", ikm shared, info \"{}\", {KEY_LEN} bytes) = {}",
        label(S2C_LABEL),
        crate::short_hex(keys.s2c())
    )?;
    writeln!(
        out,
        "  The client seals with c2s_key and opens with s2c_key; the server the other way round."
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 3. The client seals a request as its record 0 (lesson 6: ChaCha20-Poly1305, aad = 0)."
    )?;
    writeln!(out, "  plaintext  {}", label(REQUEST))?;
    writeln!(
        out,
        "  record     {NONCE_LEN} + {} + {TAG_LEN} = {} bytes: nonce, ciphertext, tag",
        REQUEST.len(),
        split.record.len()
    )?;
    writeln!(
        out,
        "  the server opens it with c2s_key:   {}",
        verdict(&split.at_server)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 4. Mallory reflects it: she sends the client's own record back to the client."
    )?;
    writeln!(
        out,
        "  the client opens it with s2c_key:   {}",
        verdict(&split.reflected)
    )?;
    writeln!(
        out,
        "  The direction is part of the key, so a record cannot be turned around."
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 5. THE MISTAKE: one key for both directions (never do this)."
    )?;
    writeln!(
        out,
        "  one_key = HKDF(salt \"{salt}\", ikm shared, info \"{}\", {KEY_LEN} bytes)",
        label(ONE_KEY_LABEL_FOR_THE_MISTAKE),
    )?;
    writeln!(out, "          = {}", crate::short_hex(one_key))?;
    writeln!(
        out,
        "  the client seals the same request with one_key; Mallory reflects it again."
    )?;
    writeln!(
        out,
        "  the server opens it with one_key:   {}",
        verdict(&mistake.at_server)
    )?;
    writeln!(
        out,
        "  the client opens it with one_key:   {}",
        verdict(&mistake.reflected)
    )?;
    writeln!(
        out,
        "  The client now believes the server sent that. Lesson 6's record number does not"
    )?;
    writeln!(
        out,
        "  help: the client's record 0 comes back as the server's record 0."
    )?;
    writeln!(out)?;

    let as_expected = split.at_server.is_ok()
        && split.reflected.is_err()
        && mistake.at_server.is_ok()
        && mistake.reflected.is_ok();
    conclude(
        out,
        as_expected,
        "with split keys the reflected record was REJECTED; with one key it was ACCEPTED.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn split_keys() -> (SessionKeys, SessionKeys) {
        let (at_client, at_server) = exchange().unwrap();
        (
            SessionKeys::derive(&at_client),
            SessionKeys::derive(&at_server),
        )
    }

    #[test]
    fn both_ends_derive_the_same_two_keys() {
        let (client, server) = split_keys();
        assert_eq!(client.c2s(), server.c2s());
        assert_eq!(client.s2c(), server.s2c());
        assert_ne!(client.c2s(), client.s2c());
    }

    #[test]
    fn reflection_fails_with_split_keys() {
        let (client, server) = split_keys();
        let r = reflect(Keys::split(&client, &server), REQUEST).unwrap();
        assert_eq!(r.at_server.unwrap(), REQUEST);
        assert!(matches!(r.reflected, Err(Error::Decrypt)));
    }

    #[test]
    fn reflection_succeeds_with_one_key_for_both_directions() {
        let (at_client, at_server) = exchange().unwrap();
        let client_one = insecure_one_key_for_both_directions(&at_client);
        let server_one = insecure_one_key_for_both_directions(&at_server);
        let r = reflect(Keys::one(&client_one, &server_one), REQUEST).unwrap();
        assert_eq!(r.at_server.unwrap(), REQUEST);
        // The attack works: the client accepts its own words as the server's.
        assert_eq!(r.reflected.unwrap(), REQUEST);
    }

    #[test]
    fn the_one_key_is_neither_direction_key_but_is_hkdf_too() {
        let shared = [7; 32];
        let keys = SessionKeys::derive(&shared);
        let one = insecure_one_key_for_both_directions(&shared);
        assert_ne!(&one, keys.c2s());
        assert_ne!(&one, keys.s2c());
        // Plain HKDF-SHA256 with the course's salt and the mistake's label.
        let mut by_hand = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"salam"), &shared)
            .expand(b"one key for both directions", &mut by_hand)
            .unwrap();
        assert_eq!(one, by_hand);
    }

    #[test]
    fn the_exchange_gives_a_fresh_secret_each_time() {
        assert_ne!(exchange().unwrap().0, exchange().unwrap().0);
    }

    #[test]
    fn the_narration_shows_both_outcomes() {
        let mut out = Vec::new();
        run(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let request = "GET /transfer?to=bob&amount=100 HTTP/1.1";
        assert!(out.contains(&format!(
            "the server opens it with c2s_key:   ACCEPTED: {request}"
        )));
        assert!(
            out.contains(
                "the client opens it with s2c_key:   REJECTED: record failed authentication (bad tag)"
            ),
            "{out}"
        );
        assert!(out.contains(&format!(
            "the client opens it with one_key:   ACCEPTED: {request}"
        )));
        assert!(
            out.contains("c2s_key = HKDF(salt \"salam\", ikm shared, info \"c2s\", 32 bytes) = ")
        );
        assert!(
            out.contains("s2c_key = HKDF(salt \"salam\", ikm shared, info \"s2c\", 32 bytes) = ")
        );
        assert!(out.contains("record     12 + 40 + 16 = 68 bytes"));
        assert!(out.contains("Result: with split keys the reflected record was REJECTED"));
        assert!(!out.contains("WRONG"));
    }
}
