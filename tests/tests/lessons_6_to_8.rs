//! Lessons 6-8, end to end: each one-process demo program run for real, and
//! its output checked against what the lesson texts say it shows. Keys are
//! random on every run, so the checks are on shape and outcomes, and on
//! relations between printed values (equal here, different there), never
//! on the key bytes themselves.

use e2e::*;

const REQUEST: &str = "GET /transfer?to=bob&amount=100 HTTP/1.1";
const BAD_TAG: &str = "REJECTED: record failed authentication (bad tag)";

/// Runs a demo program with no input and returns its stdout, after checking
/// that it succeeded and said nothing on stderr.
fn demo(name: &str) -> String {
    let out = run_client(name, &[], b"");
    assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "{name}");
    text(&out.stdout)
}

/// The value after `label` on the line that contains it, up to the next
/// space.
fn value_after<'a>(out: &'a str, label: &str) -> &'a str {
    let line = out
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no line with {label:?} in:\n{out}"));
    let rest = line.split_once(label).unwrap().1.trim_start();
    rest.split_whitespace().next().unwrap_or("")
}

fn is_hex(s: &str, digits: usize) -> bool {
    s.len() == digits && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `0123456789abcdef...`: 8 bytes in hex and an ellipsis.
fn is_short_hex(s: &str) -> bool {
    s.strip_suffix("...").is_some_and(|h| is_hex(h, 16))
}

// ---------------------------------------------------------------- lesson 6

#[test]
fn lesson6_seals_opens_and_rejects_the_flip_and_the_replay() {
    let out = demo("6-aead-demo");
    // Step 1: the parts of a sealed record, with their real sizes.
    assert!(is_short_hex(value_after(&out, "  key  ")), "{out}");
    assert!(is_hex(value_after(&out, "  nonce  "), 24), "{out}");
    assert_eq!(value_after(&out, "  aad  "), "0000000000000000");
    assert!(is_hex(value_after(&out, "  ciphertext  "), 80), "{out}");
    assert!(is_hex(value_after(&out, "  tag  "), 32), "{out}");
    assert!(out.contains("sent        12 + 40 + 16 = 68 bytes: nonce, ciphertext, tag"));
    assert!(out.contains(&format!("Bob opens it as record 0: ACCEPTED: {REQUEST}")));
    // Step 2: lesson 4's flip, one bit, refused.
    assert!(out.contains("ciphertext byte 28 ^= 0x08 ('1' -> '9')"));
    let flip_line = out
        .lines()
        .find(|l| l.contains("record byte 12 + 28 = 40: "))
        .unwrap();
    let (before, after) = flip_line
        .rsplit_once(": ")
        .unwrap()
        .1
        .split_once(" -> ")
        .unwrap();
    let byte = |s: &str| u8::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    assert_eq!(byte(before) ^ byte(after), 0x08, "{flip_line}");
    // The ciphertext byte it changed is the one printed in step 1.
    let ciphertext = value_after(&out, "  ciphertext  ");
    assert_eq!(&ciphertext[56..58], before.trim_start_matches("0x"));
    assert!(
        out.contains(&format!("Bob opens it as record 0: {BAD_TAG}")),
        "{out}"
    );
    // Step 3: the untouched record, at the wrong place, refused.
    assert!(
        out.contains(&format!("Bob opens it as record 1: {BAD_TAG}")),
        "{out}"
    );
    // Step 4: the comparison with lesson 5.
    assert!(out.contains("2. tag = HMAC-SHA256(mac_key, seq || nonce || ciphertext)"));
    assert!(out.contains("seq 8 + nonce 16 + tag 32 = 56 bytes per message"));
    assert!(out.contains("nonce 12 + tag 16 = 28 bytes per message (the seq is not sent)"));
    assert!(out.contains(
        "Result: the honest record opened; the flipped one and the replayed one were REJECTED."
    ));
    // Nothing that opened should not have.
    assert_eq!(out.matches("ACCEPTED").count(), 1, "{out}");
}

#[test]
fn lesson6_uses_a_fresh_key_and_nonce_every_run() {
    let (a, b) = (demo("6-aead-demo"), demo("6-aead-demo"));
    assert_ne!(value_after(&a, "  key  "), value_after(&b, "  key  "));
    assert_ne!(value_after(&a, "  nonce  "), value_after(&b, "  nonce  "));
}

// ---------------------------------------------------------------- lesson 7

#[test]
fn lesson7_both_sides_agree_eve_differs_and_low_order_keys_are_refused() {
    let out = demo("7-key-exchange");
    let alice_public = value_after(&out, "  -> A  ");
    let bob_public = value_after(&out, "  <- B  ");
    assert!(is_hex(alice_public, 64) && is_hex(bob_public, 64), "{out}");
    assert_ne!(alice_public, bob_public);
    // Both ends print the same secret, which is neither public key.
    let at_alice = value_after(&out, "Alice  X25519(a, B) = ");
    let at_bob = value_after(&out, "Bob    X25519(b, A) = ");
    assert!(is_short_hex(at_alice), "{out}");
    assert_eq!(at_alice, at_bob);
    assert!(out.contains("EQUAL: both ends hold the same 32 bytes"));
    assert!(!alice_public.starts_with(&at_alice[..16]));
    // Eve's three values, each printed, each different from the secret.
    for label in [
        "X25519(A, B), a public key as the secret",
        "X25519(e, A), her secret, Alice's key",
        "X25519(e, B), her secret, Bob's key",
    ] {
        let line = out.lines().find(|l| l.contains(label)).unwrap();
        let value = value_after(line, "= ");
        assert!(is_short_hex(value), "{line}");
        assert_ne!(value, at_alice, "{line}");
        assert!(line.ends_with("differs"), "{line}");
    }
    // The two low-order keys: zero out of X25519, refused by the handshake.
    assert!(out.contains(&format!("all zeros      {}", "0".repeat(64))));
    assert!(out.contains(
        "order-8 point  e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"
    ));
    assert_eq!(
        out.matches("X25519(fresh secret, key) = 0000000000000000...")
            .count(),
        2
    );
    assert_eq!(
        out.matches(
            "Handshake::finish: REFUSED: peer public key is low-order (all-zero shared secret)"
        )
        .count(),
        2,
        "{out}"
    );
    assert!(out.contains(
        "Result: Alice and Bob share a secret; Eve's tries all differ; both low-order keys REFUSED."
    ));
    assert!(!out.contains("must not happen"));
}

#[test]
fn lesson7_every_run_is_a_new_exchange() {
    let (a, b) = (demo("7-key-exchange"), demo("7-key-exchange"));
    assert_ne!(value_after(&a, "  -> A  "), value_after(&b, "  -> A  "));
    assert_ne!(
        value_after(&a, "Alice  X25519(a, B) = "),
        value_after(&b, "Alice  X25519(a, B) = ")
    );
}

// ---------------------------------------------------------------- lesson 8

#[test]
fn lesson8_split_keys_stop_reflection_and_one_key_does_not() {
    let out = demo("8-key-split");
    let at_client = value_after(&out, "at the client  shared = ");
    let at_server = value_after(&out, "at the server  shared = ");
    assert!(is_short_hex(at_client), "{out}");
    assert_eq!(at_client, at_server);
    // Two keys with the lesson 9 salt and labels, different from each other.
    let c2s = value_after(
        &out,
        "c2s_key = HKDF(salt \"salam\", ikm shared, info \"c2s\", 32 bytes) = ",
    );
    let s2c = value_after(
        &out,
        "s2c_key = HKDF(salt \"salam\", ikm shared, info \"s2c\", 32 bytes) = ",
    );
    assert!(is_short_hex(c2s) && is_short_hex(s2c), "{out}");
    assert_ne!(c2s, s2c);
    // The honest direction works; the reflection fails under split keys...
    assert!(out.contains("record     12 + 40 + 16 = 68 bytes: nonce, ciphertext, tag"));
    assert!(out.contains(&format!(
        "the server opens it with c2s_key:   ACCEPTED: {REQUEST}"
    )));
    assert!(
        out.contains(&format!("the client opens it with s2c_key:   {BAD_TAG}")),
        "{out}"
    );
    // ...and succeeds under the one shared key, which is labelled as the mistake.
    assert!(out.contains("THE MISTAKE: one key for both directions (never do this)."));
    let one_key = value_after(&out, "          = ");
    assert!(is_short_hex(one_key), "{out}");
    assert!(one_key != c2s && one_key != s2c);
    assert!(out.contains(&format!(
        "the server opens it with one_key:   ACCEPTED: {REQUEST}"
    )));
    assert!(out.contains(&format!(
        "the client opens it with one_key:   ACCEPTED: {REQUEST}"
    )));
    assert!(out.contains(
        "Result: with split keys the reflected record was REJECTED; with one key it was ACCEPTED."
    ));
}

// ------------------------------------------------------ every program's CLI

const PROGRAMS: [&str; 3] = ["6-aead-demo", "7-key-exchange", "8-key-split"];

#[test]
fn every_program_explains_itself_with_help() {
    for name in PROGRAMS {
        let out = run_client(name, &["--help"], b"");
        assert!(out.status.success(), "{name} --help failed");
        let help = text(&out.stdout);
        assert!(help.contains(&format!("Usage: {name}")), "{name}: {help}");
        let lesson = &name[..1];
        assert!(help.contains(&format!("Lesson {lesson}")), "{name}: {help}");
    }
}

#[test]
fn a_bad_flag_is_clap_s_whole_message_and_exit_2() {
    for name in PROGRAMS {
        let out = run_client(name, &["--no-such-flag"], b"");
        assert_usage_error(&out, "unexpected argument '--no-such-flag'");
        assert!(out.stdout.is_empty(), "{name}");
    }
}
