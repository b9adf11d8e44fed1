//! Known answers from RFC 8448 ("Example Handshake Traces for TLS 1.3"),
//! section 3 ("Simple 1-RTT Handshake"), run through lesson 11's own key
//! schedule.
//!
//! The trace uses TLS_AES_128_GCM_SHA256, not our ChaCha20-Poly1305 suite,
//! but both hash with SHA-256, so every secret of the schedule is the same
//! computation; only the record key is 16 bytes there instead of our 32,
//! and `hkdf_expand_label` takes the length from its output buffer.
//!
//! The inputs are the trace's own: the X25519 shared secret ("IKM" of
//! "{server} extract secret handshake") and the transcript hashes it prints
//! as "hash" in each "derive secret" step. Every hex string below is copied
//! from RFC 8448 section 3.

use tls::lesson11_real_tls13::key_schedule::{
    self, HandshakeSecrets, Secret, derive_secret, early_secret, finished_key,
    finished_verify_data, hkdf_expand_label,
};
use tls::lesson11_real_tls13::transcript::empty_hash;

/// Hex with spaces (as the RFC prints it) to bytes.
fn unhex(text: &str) -> Vec<u8> {
    let digits: String = text.split_whitespace().collect();
    hex::decode(digits).expect("RFC hex")
}

fn bytes32(text: &str) -> [u8; 32] {
    unhex(text).try_into().expect("32 bytes")
}

/// "{server} extract secret handshake", IKM: the (EC)DHE shared secret.
const SHARED: &str = "8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d
    35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d";
/// "derive secret tls13 c hs traffic", hash: Transcript-Hash(ClientHello, ServerHello).
const HELLO_HASH: &str = "86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed
    d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8";
/// "derive secret tls13 c ap traffic", hash: Transcript-Hash(ClientHello..server Finished).
const FINISHED_HASH: &str = "96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a
    00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13";

fn handshake() -> HandshakeSecrets {
    HandshakeSecrets::derive(&bytes32(SHARED), &bytes32(HELLO_HASH))
}

#[test]
fn early_secret_and_the_first_derived_salt() {
    // "{server} extract secret early": salt 0, IKM 32 zeros.
    assert_eq!(
        early_secret().as_bytes(),
        &bytes32(
            "33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2
             10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a"
        )
    );
    // "{server} derive secret for handshake tls13 derived".
    let derived = derive_secret(&early_secret(), key_schedule::DERIVED, &empty_hash());
    assert_eq!(
        derived.as_bytes(),
        &bytes32(
            "6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97
             16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba"
        )
    );
}

#[test]
fn handshake_secret_and_handshake_traffic_secrets() {
    let secrets = handshake();
    // "{server} extract secret handshake".
    assert_eq!(
        secrets.handshake_secret.as_bytes(),
        &bytes32(
            "1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01
             04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac"
        )
    );
    // "{server} derive secret tls13 c hs traffic".
    assert_eq!(
        secrets.client.as_bytes(),
        &bytes32(
            "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f
             3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21"
        )
    );
    // "{server} derive secret tls13 s hs traffic".
    assert_eq!(
        secrets.server.as_bytes(),
        &bytes32(
            "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4
             e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38"
        )
    );
}

#[test]
fn master_secret_and_application_traffic_secrets() {
    let secrets = handshake();
    // "{server} derive secret for master tls13 derived".
    let derived = derive_secret(
        &secrets.handshake_secret,
        key_schedule::DERIVED,
        &empty_hash(),
    );
    assert_eq!(
        derived.as_bytes(),
        &bytes32(
            "43 de 77 e0 c7 77 13 85 9a 94 4d b9 db 25 90 b5
             31 90 a6 5b 3e e2 e4 f1 2d d7 a0 bb 7c e2 54 b4"
        )
    );
    // "{server} extract secret master".
    assert_eq!(
        secrets.master_secret().as_bytes(),
        &bytes32(
            "18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47
             80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19"
        )
    );
    let application = secrets.application(&bytes32(FINISHED_HASH));
    // "{server} derive secret tls13 c ap traffic".
    assert_eq!(
        application.client.as_bytes(),
        &bytes32(
            "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52
             87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5"
        )
    );
    // "{server} derive secret tls13 s ap traffic".
    assert_eq!(
        application.server.as_bytes(),
        &bytes32(
            "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32
             82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43"
        )
    );
}

#[test]
fn finished_keys_and_the_client_finished() {
    let secrets = handshake();
    // "{server} calculate finished tls13 finished": the server's finished_key.
    assert_eq!(
        finished_key(&secrets.server).as_bytes(),
        &bytes32(
            "00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f
             c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8"
        )
    );
    // "{client} calculate finished tls13 finished": the client's finished_key.
    assert_eq!(
        finished_key(&secrets.client).as_bytes(),
        &bytes32(
            "b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d 6b f8
             3f 84 82 1d 1f 87 fd c7 d3 c7 5b 5a 7b 42 d9 c4"
        )
    );
    // "{client} construct a Finished handshake message": its verify_data,
    // an HMAC over Transcript-Hash(ClientHello..server Finished).
    let verify_data = finished_verify_data(&secrets.client, &bytes32(FINISHED_HASH));
    assert_eq!(
        verify_data.to_vec(),
        unhex(
            "a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03
             9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61"
        )
    );
}

#[test]
fn traffic_keys_and_ivs() {
    // "{server} derive write traffic keys for handshake data" and the
    // client's, then the same for application data: key (16 bytes for the
    // trace's AES-128) and iv (12 bytes) from each traffic secret.
    let secrets = handshake();
    let application = secrets.application(&bytes32(FINISHED_HASH));
    let cases: [(&Secret, &str, &str); 4] = [
        (
            &secrets.server,
            "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc",
            "5d 31 3e b2 67 12 76 ee 13 00 0b 30",
        ),
        (
            &secrets.client,
            "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01",
            "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f",
        ),
        (
            &application.server,
            "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56",
            "cf 78 2b 88 dd 83 54 9a ad f1 e9 84",
        ),
        (
            &application.client,
            "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51",
            "5b 78 92 3d ee 08 57 90 33 e5 23 d9",
        ),
    ];
    for (secret, key, iv) in cases {
        let mut derived_key = [0; 16];
        hkdf_expand_label(secret, key_schedule::KEY, &[], &mut derived_key);
        assert_eq!(derived_key.to_vec(), unhex(key));
        let mut derived_iv = [0; 12];
        hkdf_expand_label(secret, key_schedule::IV, &[], &mut derived_iv);
        assert_eq!(derived_iv.to_vec(), unhex(iv));
        // Our 32-byte ChaCha20 key uses the same IV derivation.
        assert_eq!(
            key_schedule::TrafficKeys::derive(secret).iv.to_vec(),
            unhex(iv)
        );
    }
}
