//! The `7-key-exchange` program: Alice and Bob agree on a secret, Eve
//! watches and cannot, and Mallory's low-order keys are refused.
//!
//! ```text
//! Alice                         Eve (copies both)                  Bob
//! secret a, public A                                 secret b, public B
//!   | ------------------------------ A --------------------------> |
//!   | <----------------------------- B --------------------------- |
//! X25519(a, B)            has A, B, and her own e            X25519(b, A)
//!      \______________ the same 32 bytes ___________________/
//! ```
//!
//! The experiments ([`agree`], [`eve_tries`], [`low_order_tries`]) return
//! what happened, so the tests below can assert it; [`run`] prints those
//! values. Everything runs in one process: the "wire" is two variables.

use std::io::{self, Write};

use x25519_dalek::{PublicKey, SharedSecret, StaticSecret};

use crate::error::Result;
use crate::lesson06_aead::demo::conclude;
use crate::lesson07_key_exchange::{Handshake, PUBLIC_KEY_LEN};

/// A point of order 8 on Curve25519, as a public key (little-endian u).
/// X25519 multiplies by a multiple of 8, so with this "public key" every
/// secret gives all zeros. It is one of the low-order keys the Wycheproof
/// X25519 tests send.
pub const ORDER_8_POINT: [u8; PUBLIC_KEY_LEN] = [
    0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
    0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
];

/// The two public keys Mallory tries in place of a real one.
pub const LOW_ORDER_KEYS: [(&str, [u8; PUBLIC_KEY_LEN]); 2] = [
    ("all zeros", [0; PUBLIC_KEY_LEN]),
    ("order-8 point", ORDER_8_POINT),
];

/// One honest exchange: what crossed the wire and what each side computed.
pub struct Agreement {
    /// Alice's public key, as sent.
    pub alice_public: [u8; PUBLIC_KEY_LEN],
    /// Bob's public key, as sent.
    pub bob_public: [u8; PUBLIC_KEY_LEN],
    /// X25519(a, B), computed by Alice. Wiped when dropped.
    pub at_alice: SharedSecret,
    /// X25519(b, A), computed by Bob. Wiped when dropped.
    pub at_bob: SharedSecret,
}

/// Alice and Bob each make a key pair, swap public keys, and finish.
pub fn agree() -> Result<Agreement> {
    let alice = Handshake::new();
    let bob = Handshake::new();
    // -> A (Alice's public key)
    let alice_public = alice.public_key();
    // <- B (Bob's public key)
    let bob_public = bob.public_key();
    // Each side: X25519(own secret, the other's public key). `finish`
    // consumes the handshake, so neither secret can be used again.
    let at_alice = alice.finish(&bob_public)?;
    let at_bob = bob.finish(&alice_public)?;
    Ok(Agreement {
        alice_public,
        bob_public,
        at_alice,
        at_bob,
    })
}

/// What Eve can compute from what she saw, plus a key pair of her own.
#[derive(Debug)]
pub struct EveTries {
    /// Eve's own public key.
    pub eve_public: [u8; PUBLIC_KEY_LEN],
    /// X25519(A, B): one public key used as if it were a secret.
    pub publics_combined: [u8; PUBLIC_KEY_LEN],
    /// X25519(e, A): her own secret with Alice's public key.
    pub eve_with_alice: [u8; PUBLIC_KEY_LEN],
    /// X25519(e, B): her own secret with Bob's public key.
    pub eve_with_bob: [u8; PUBLIC_KEY_LEN],
}

impl EveTries {
    /// Every value Eve computed, labelled for printing.
    pub fn all(&self) -> [(&'static str, &[u8; PUBLIC_KEY_LEN]); 3] {
        [
            (
                "X25519(A, B), a public key as the secret",
                &self.publics_combined,
            ),
            (
                "X25519(e, A), her secret, Alice's key",
                &self.eve_with_alice,
            ),
            ("X25519(e, B), her secret, Bob's key", &self.eve_with_bob),
        ]
    }
}

/// Eve holds both public keys (she copied them off the wire) and makes a
/// key pair of her own. These are the things she can compute.
pub fn eve_tries(
    alice_public: &[u8; PUBLIC_KEY_LEN],
    bob_public: &[u8; PUBLIC_KEY_LEN],
) -> EveTries {
    // A public key is 32 bytes like a secret, so X25519 will take it as
    // one. But A is a times the base point, not a, so this is a stranger's
    // point times another stranger's point: unrelated to the shared secret.
    let publics_combined = x25519_dalek::x25519(*alice_public, *bob_public);
    // Her own secret e, used with each of theirs: X25519(e, A) is the secret
    // Eve would share with Alice, which is not the one Alice shares with Bob.
    let eve = StaticSecret::random();
    let eve_public = PublicKey::from(&eve).to_bytes();
    let eve_with_alice = eve
        .diffie_hellman(&PublicKey::from(*alice_public))
        .to_bytes();
    let eve_with_bob = eve.diffie_hellman(&PublicKey::from(*bob_public)).to_bytes();
    EveTries {
        eve_public,
        publics_combined,
        eve_with_alice,
        eve_with_bob,
    }
}

/// One low-order key Mallory sends in place of her public key.
#[derive(Debug)]
pub struct LowOrderTry {
    /// What the key is.
    pub name: &'static str,
    /// The 32 bytes she sends.
    pub key: [u8; PUBLIC_KEY_LEN],
    /// What plain X25519 makes of it with a fresh secret: all zeros.
    pub raw: [u8; PUBLIC_KEY_LEN],
    /// What the lesson's `Handshake::finish` says: `Error::BadPeerKey`.
    pub outcome: Result<()>,
}

/// Bob, with a fresh key pair each time, receives each of
/// [`LOW_ORDER_KEYS`] as Alice's public key.
pub fn low_order_tries() -> Vec<LowOrderTry> {
    LOW_ORDER_KEYS
        .iter()
        .map(|&(name, key)| {
            // Without the check: the "shared secret" anyone can predict.
            let raw = StaticSecret::random()
                .diffie_hellman(&PublicKey::from(key))
                .to_bytes();
            // With it: the lesson's handshake refuses the key.
            let outcome = Handshake::new().finish(&key).map(|_| ());
            LowOrderTry {
                name,
                key,
                raw,
                outcome,
            }
        })
        .collect()
}

/// Runs the three experiments and explains them on `out`.
pub fn run(out: &mut impl Write) -> Result<()> {
    let agreement = agree()?;
    let eve = eve_tries(&agreement.alice_public, &agreement.bob_public);
    let low_order = low_order_tries();
    narrate(out, &agreement, &eve, &low_order)?;
    Ok(())
}

fn narrate(
    out: &mut impl Write,
    agreement: &Agreement,
    eve: &EveTries,
    low_order: &[LowOrderTry],
) -> io::Result<()> {
    let shared = agreement.at_alice.as_bytes();
    let same = agreement.at_alice.as_bytes() == agreement.at_bob.as_bytes();

    writeln!(
        out,
        "Lesson 7: X25519 key exchange, two strangers agree on a secret in the open"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 1. Alice and Bob each make a fresh key pair; the secret half never leaves them."
    )?;
    writeln!(
        out,
        "  Alice  secret a (32 random bytes), public A = X25519(a, 9)"
    )?;
    writeln!(
        out,
        "  Bob    secret b (32 random bytes), public B = X25519(b, 9)"
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 2. They swap public keys over the open line. Eve copies both."
    )?;
    writeln!(
        out,
        "  -> A  {}  ({PUBLIC_KEY_LEN} bytes)",
        crate::hex(&agreement.alice_public)
    )?;
    writeln!(
        out,
        "  <- B  {}  ({PUBLIC_KEY_LEN} bytes)",
        crate::hex(&agreement.bob_public)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 3. Each combines its own secret with the other's public key."
    )?;
    writeln!(
        out,
        "  Alice  X25519(a, B) = {}",
        crate::short_hex(agreement.at_alice.as_bytes())
    )?;
    writeln!(
        out,
        "  Bob    X25519(b, A) = {}",
        crate::short_hex(agreement.at_bob.as_bytes())
    )?;
    if same {
        writeln!(
            out,
            "  EQUAL: both ends hold the same 32 bytes, and neither secret crossed the wire."
        )?;
    } else {
        writeln!(out, "  DIFFERENT (this must not happen)")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Step 4. Eve has A and B, and makes a key pair of her own (e, E = {}).",
        crate::short_hex(&eve.eve_public)
    )?;
    for (how, value) in eve.all() {
        let verdict = if *value == *shared {
            "SAME (this must not happen)"
        } else {
            "differs"
        };
        writeln!(out, "  {how:<42} = {}  {verdict}", crate::short_hex(value))?;
    }
    writeln!(
        out,
        "  The real one needs a or b. Finding a from A is the elliptic-curve discrete log"
    )?;
    writeln!(
        out,
        "  problem, and no known method solves it for X25519 in any useful time."
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Step 5. Mallory sends a low-order \"public key\": with it, every secret gives all zeros."
    )?;
    for t in low_order {
        writeln!(out, "  {:<14} {}", t.name, crate::hex(&t.key))?;
        writeln!(
            out,
            "  {:<14} X25519(fresh secret, key) = {}",
            "",
            crate::short_hex(&t.raw)
        )?;
        match &t.outcome {
            Err(e) => writeln!(out, "  {:<14} Handshake::finish: REFUSED: {e}", "")?,
            Ok(()) => writeln!(
                out,
                "  {:<14} Handshake::finish: ACCEPTED (this must not happen)",
                ""
            )?,
        }
    }
    writeln!(
        out,
        "  A shared secret of zero is known to everyone, so the handshake stops there."
    )?;
    writeln!(out)?;

    let eve_missed = eve.all().iter().all(|(_, value)| **value != *shared);
    let refused = low_order.iter().all(|t| t.outcome.is_err());
    conclude(
        out,
        same && eve_missed && refused,
        "Alice and Bob share a secret; Eve's tries all differ; both low-order keys REFUSED.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn both_sides_compute_the_same_secret() {
        let a = agree().unwrap();
        assert_eq!(a.at_alice.as_bytes(), a.at_bob.as_bytes());
        assert_ne!(a.alice_public, a.bob_public);
        // The secret is not either public key, and not zero.
        assert_ne!(a.at_alice.as_bytes(), &a.alice_public);
        assert_ne!(a.at_alice.as_bytes(), &a.bob_public);
        assert_ne!(a.at_alice.as_bytes(), &[0; 32]);
    }

    #[test]
    fn everything_eve_computes_differs_from_the_secret() {
        let a = agree().unwrap();
        let eve = eve_tries(&a.alice_public, &a.bob_public);
        for (how, value) in eve.all() {
            assert_ne!(value, a.at_alice.as_bytes(), "{how}");
        }
        // Swapping the roles of A and B does not help her either.
        let swapped = x25519_dalek::x25519(a.bob_public, a.alice_public);
        assert_ne!(&swapped, a.at_alice.as_bytes());
    }

    #[test]
    fn both_low_order_keys_force_zero_and_are_refused() {
        let tries = low_order_tries();
        assert_eq!(tries.len(), 2);
        for t in &tries {
            assert_eq!(t.raw, [0; 32], "{}", t.name);
            assert!(matches!(t.outcome, Err(Error::BadPeerKey)), "{}", t.name);
        }
    }

    #[test]
    fn the_order_8_point_is_not_one_of_the_smaller_orders() {
        // The points whose order divides 8 have u = 0 (order 2), u = 1 and
        // u = p - 1 (order 4), and two u of order 8. X25519 sending every
        // secret to zero shows the order divides 8 (checked above); not
        // being 0, 1 or p - 1 leaves exactly 8.
        let mut one = [0u8; 32];
        one[0] = 1;
        let mut p_minus_1 = [0xffu8; 32];
        p_minus_1[0] = 0xec;
        p_minus_1[31] = 0x7f;
        for small in [[0u8; 32], one, p_minus_1] {
            assert_ne!(ORDER_8_POINT, small);
        }
    }

    #[test]
    fn the_narration_shows_every_outcome() {
        let mut out = Vec::new();
        run(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("  EQUAL: both ends hold the same 32 bytes"),
            "{out}"
        );
        assert_eq!(out.matches("  differs").count(), 3, "{out}");
        assert_eq!(
            out.matches("REFUSED: peer public key is low-order (all-zero shared secret)")
                .count(),
            2,
            "{out}"
        );
        assert_eq!(
            out.matches("X25519(fresh secret, key) = 0000000000000000...")
                .count(),
            2
        );
        assert!(out.contains("order-8 point  e0eb7a7c3b41b8ae"), "{out}");
        assert!(out.contains("Result: Alice and Bob share a secret"));
        assert!(!out.contains("must not happen") && !out.contains("WRONG"));
    }
}
