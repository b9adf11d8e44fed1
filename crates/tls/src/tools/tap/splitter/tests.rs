//! Tests for the splitter: units cut out of a stream however TCP splits it.

use super::*;

fn l9_record(body_len: u16) -> Vec<u8> {
    let mut r = body_len.to_be_bytes().to_vec();
    r.extend((0..body_len).map(|i| i as u8));
    r
}

/// Feeds `wire` to `s` in the pieces `cuts` marks (each cut an offset into
/// `wire`, in order; the rest goes last) and gathers the units it gives.
fn push_in_pieces(s: &mut Splitter, wire: &[u8], cuts: Vec<usize>) -> Vec<Unit> {
    let mut got = Vec::new();
    let mut at = 0;
    for cut in cuts.into_iter().chain([wire.len()]) {
        let cut = cut.min(wire.len());
        got.extend(s.push(&wire[at..cut]));
        at = cut;
    }
    got
}

#[test]
fn lesson9_key_then_records_split_and_glued() {
    let key = vec![7u8; 32];
    let (a, b) = (l9_record(30), l9_record(40));
    let wire = [key.clone(), a.clone(), b.clone()].concat();
    // Feed in awkward pieces: inside the key, inside a prefix, and two
    // records' worth at once.
    for cuts in [vec![5, 33, 40], vec![1, 2, 3], vec![64], vec![34, 66]] {
        let mut s = Splitter::new(Lesson::EncryptedEcho);
        let got = push_in_pieces(&mut s, &wire, cuts);
        assert_eq!(
            got,
            vec![
                Unit::PublicKey(key.clone()),
                Unit::Record(a.clone()),
                Unit::Record(b.clone())
            ]
        );
        assert_eq!(s.finish(), None);
    }
}

#[test]
fn lesson10_server_direction_carries_a_signature_after_its_key() {
    let key = vec![7u8; 32];
    let signature = vec![9u8; 64];
    let record = l9_record(30);
    let wire = [key.clone(), signature.clone(), record.clone()].concat();
    // Inside the key, at the key's end, inside the signature, and whole.
    for cuts in [vec![5, 40, 100], vec![32, 96], vec![1, 95, 97], vec![]] {
        let mut s = Splitter::for_direction(Lesson::Authentication, Direction::ServerToClient);
        let got = push_in_pieces(&mut s, &wire, cuts);
        assert_eq!(
            got,
            vec![
                Unit::PublicKey(key.clone()),
                Unit::Signature(signature.clone()),
                Unit::Record(record.clone())
            ]
        );
    }
    // The client's direction has no signature: records follow the key.
    let mut s = Splitter::for_direction(Lesson::Authentication, Direction::ClientToServer);
    let wire = [key.clone(), record.clone()].concat();
    assert_eq!(
        s.push(&wire),
        vec![Unit::PublicKey(key), Unit::Record(record)]
    );
    assert_eq!("10".parse::<Lesson>(), Ok(Lesson::Authentication));
    assert_eq!(Lesson::Authentication.number(), 10);
    assert_eq!(
        Lesson::Authentication.layout(),
        Lesson::EncryptedEcho.layout()
    );
}

#[test]
fn byte_at_a_time_gives_the_same_units() {
    let mut wire = Vec::new();
    for payload in [&b"nonce-sixteen-bytes!hello"[..], b"0123456789abcdefX"] {
        wire.extend((payload.len() as u32).to_be_bytes());
        wire.extend_from_slice(payload);
    }
    let mut s = Splitter::new(Lesson::CtrChannel);
    let units: Vec<Unit> = wire.iter().flat_map(|b| s.push(&[*b])).collect();
    assert_eq!(units.len(), 2);
    assert_eq!(
        units.iter().map(|u| u.bytes().len()).sum::<usize>(),
        wire.len()
    );
}

#[test]
fn impossible_lengths_switch_to_raw() {
    // Lesson 9: 10 is shorter than nonce + tag.
    let mut s = Splitter::new(Lesson::EncryptedEcho);
    let mut wire = vec![1u8; 32];
    wire.extend([0, 10, 0xaa]);
    let units = s.push(&wire);
    assert!(matches!(&units[1], Unit::Malformed { bytes, .. } if bytes == &[0, 10, 0xaa]));
    assert_eq!(s.push(b"more"), vec![Unit::Chunk(b"more".to_vec())]);
    // Lesson 3: a 4 GiB length is refused without buffering anything.
    let mut s = Splitter::new(Lesson::CtrChannel);
    assert!(matches!(
        s.push(&[0xff, 0xff, 0xff, 0xff])[0],
        Unit::Malformed { .. }
    ));
}

#[test]
fn lesson5_refuses_a_length_too_short_for_seq_nonce_and_mac() {
    let mut s = Splitter::new(Lesson::Mac);
    // 55 bytes cannot hold 8 + 16 + 32.
    assert!(matches!(
        &s.push(&[0, 0, 0, 55])[..],
        [Unit::Malformed { reason, .. }] if reason.contains("must be 56..=")
    ));
    // 56 is an empty message: one whole record once all of it is there.
    let mut s = Splitter::new(Lesson::Mac);
    let mut record = vec![0, 0, 0, 56];
    record.extend([0u8; 56]);
    assert!(s.push(&record[..59]).is_empty());
    assert_eq!(s.push(&record[59..]), vec![Unit::Record(record)]);
}

/// A lesson 11 record: type, legacy_version 0x0303, u16 length, body.
fn tls_record(content_type: u8, body_len: usize) -> Vec<u8> {
    let mut r = vec![content_type, 3, 3];
    r.extend(u16::try_from(body_len).unwrap().to_be_bytes());
    r.extend((0..body_len).map(|i| i as u8));
    r
}

#[test]
fn lesson11_cuts_tls_records_however_tcp_splits_them() {
    use crate::lesson11_real_tls13::record::MAX_CIPHERTEXT_LEN;
    let hello = tls_record(22, 200);
    let ccs = tls_record(20, 1);
    let sealed = tls_record(23, MAX_CIPHERTEXT_LEN);
    let wire = [hello.clone(), ccs.clone(), sealed.clone()].concat();
    // Inside a header, at a header's end, inside a body, and whole.
    for cuts in [
        vec![3, 205, 206, 300],
        vec![5, 210],
        vec![1, 2, 3, 4],
        vec![],
    ] {
        let mut s = Splitter::new(Lesson::RealTls13);
        let got = push_in_pieces(&mut s, &wire, cuts);
        assert_eq!(
            got,
            vec![
                Unit::Record(hello.clone()),
                Unit::Record(ccs.clone()),
                Unit::Record(sealed.clone())
            ]
        );
        assert_eq!(s.finish(), None);
    }
    assert_eq!("11".parse::<Lesson>(), Ok(Lesson::RealTls13));
    assert_eq!(Lesson::RealTls13.number(), 11);
    assert_eq!(Lesson::RealTls13.to_string(), "lesson 11");
    assert!(
        "12".parse::<Lesson>()
            .unwrap_err()
            .contains("1, 2, 3, 5, 9, 10 and 11")
    );
}

#[test]
fn lesson11_refuses_a_bad_header_before_buffering_the_body() {
    // A plaintext record one byte over 2^14: refused at its header.
    let mut s = Splitter::new(Lesson::RealTls13);
    let units = s.push(&[22, 3, 1, 0x40, 0x01]);
    assert!(
        matches!(&units[..], [Unit::Malformed { reason, .. }] if reason.contains("record_overflow")),
        "{units:?}"
    );
    assert_eq!(s.push(b"more"), vec![Unit::Chunk(b"more".to_vec())]);
    // 2^14 + 256 is allowed for an encrypted record, one more is not.
    let mut s = Splitter::new(Lesson::RealTls13);
    assert!(s.push(&[23, 3, 3, 0x41, 0x00]).is_empty());
    let mut s = Splitter::new(Lesson::RealTls13);
    assert!(matches!(
        &s.push(&[23, 3, 3, 0x41, 0x01])[..],
        [Unit::Malformed { .. }]
    ));
    // Not TLS at all: an HTTP request's "GET /".
    let mut s = Splitter::new(Lesson::RealTls13);
    assert!(matches!(
        &s.push(b"GET / HTTP/1.1\r\n")[..],
        [Unit::Malformed { reason, .. }] if reason.contains("content type 71")
    ));
}

#[test]
fn lesson1_passes_chunks_through() {
    let mut s = Splitter::new(Lesson::Plaintext);
    assert_eq!(s.push(b"hi"), vec![Unit::Chunk(b"hi".to_vec())]);
    assert_eq!(s.finish(), None);
}

#[test]
fn unfinished_record_is_reported_at_the_end() {
    let mut s = Splitter::new(Lesson::Records);
    assert!(s.push(&[0, 0, 0, 9, b'x']).is_empty());
    assert!(matches!(s.finish(), Some(Unit::Malformed { bytes, .. }) if bytes.len() == 5));
}

#[test]
fn ranges_cover_the_record() {
    let l9 = Lesson::EncryptedEcho.layout().unwrap();
    assert_eq!(l9.nonce_range(), 2..14);
    assert_eq!(l9.payload_range(41), 14..25);
    assert_eq!(l9.tag_range(41), 25..41);
    let l3 = Lesson::CtrChannel.layout().unwrap();
    assert_eq!(l3.payload_range(30), 20..30);
    assert_eq!(l3.read_len(&[0, 0, 1, 2]), Some(258));
    // Lesson 5: len(4) || seq(8) || nonce(16) || ciphertext || mac(32).
    let l5 = Lesson::Mac.layout().unwrap();
    assert_eq!(l5.seq_range(), 4..12);
    assert_eq!(l5.nonce_range(), 12..28);
    assert_eq!(l5.payload_range(4 + 56 + 5), 28..33);
    assert_eq!(l5.tag_range(4 + 56 + 5), 33..65);
    assert_eq!(l5.min_len(), 56);
    assert_eq!("5".parse::<Lesson>(), Ok(Lesson::Mac));
    assert!("4".parse::<Lesson>().is_err());
}
