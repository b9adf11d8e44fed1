//! HMAC-SHA256, lesson 5's MAC, against published answers: RFC 4231
//! section 4 (test cases 1-7) and Project Wycheproof's HMAC-SHA256 set.
//!
//! Every case goes through the very functions the lesson 5 record layer
//! calls (`keyed_hmac`, `compute_tag`, `verify_tag` in
//! `lesson05_mac/record.rs`), not through the `hmac` crate directly, so a
//! slip in how lesson 5 feeds or checks the MAC would show up here.

use tls::Error;
use tls::lesson05_mac::TAG_LEN;
use tls::lesson05_mac::record::{compute_tag, keyed_hmac, verify_tag};

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).expect("valid hex in the test")
}

/// One RFC 4231 case: key, data, and HMAC-SHA-256 (all 32 bytes, or the
/// left 16 for case 5).
struct Rfc4231 {
    case: u8,
    key: Vec<u8>,
    data: Vec<u8>,
    mac: &'static str,
}

fn rfc4231_cases() -> Vec<Rfc4231> {
    vec![
        // 4.2: a 20-byte key.
        Rfc4231 {
            case: 1,
            key: vec![0x0b; 20],
            data: b"Hi There".to_vec(),
            mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        },
        // 4.3: a key shorter than the output.
        Rfc4231 {
            case: 2,
            key: b"Jefe".to_vec(),
            data: b"what do ya want for nothing?".to_vec(),
            mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        },
        // 4.4: 50 bytes of 0xdd.
        Rfc4231 {
            case: 3,
            key: vec![0xaa; 20],
            data: vec![0xdd; 50],
            mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        },
        // 4.5: key 0x01..0x19.
        Rfc4231 {
            case: 4,
            key: (1..=25).collect(),
            data: vec![0xcd; 50],
            mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        },
        // 4.6: output truncated to 128 bits.
        Rfc4231 {
            case: 5,
            key: vec![0x0c; 20],
            data: b"Test With Truncation".to_vec(),
            mac: "a3b6167473100ee06e0c796c2955552b",
        },
        // 4.7: a key longer than SHA-256's 64-byte block: hashed first.
        Rfc4231 {
            case: 6,
            key: vec![0xaa; 131],
            data: b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        },
        // 4.8: a long key and long data.
        Rfc4231 {
            case: 7,
            key: vec![0xaa; 131],
            data: b"This is a test using a larger than block-size key and a larger \
                    than block-size data. The key needs to be hashed before being \
                    used by the HMAC algorithm."
                .to_vec(),
            mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        },
    ]
}

#[test]
fn rfc4231_hmac_sha256_cases_1_to_7() {
    let cases = rfc4231_cases();
    assert_eq!(cases.len(), 7);
    for Rfc4231 {
        case,
        key,
        data,
        mac,
    } in cases
    {
        let expected = unhex(mac);
        let keyed = keyed_hmac(&key);
        let tag = compute_tag(&keyed, &[&data]);
        // Case 5 publishes only the left 128 bits; the others all 256.
        assert_eq!(&tag[..expected.len()], expected.as_slice(), "case {case}");
        // The receiver's check accepts the full tag...
        assert!(verify_tag(&keyed, &[&data], &tag).is_ok(), "case {case}");
        // ...and only the full tag: lesson 5 wants all 32 bytes, so even a
        // correct truncated tag (case 5's) is refused.
        if expected.len() < TAG_LEN {
            assert!(
                matches!(verify_tag(&keyed, &[&data], &expected), Err(Error::BadMac)),
                "case {case}: a truncated tag was accepted"
            );
        }
    }
}

#[test]
fn the_mac_input_may_arrive_in_pieces() {
    // Lesson 5 feeds seq, nonce and ciphertext as one run of bytes; the tag
    // must not depend on how that run is cut.
    let keyed = keyed_hmac(b"Jefe");
    let whole = compute_tag(&keyed, &[b"what do ya want for nothing?"]);
    let pieces = compute_tag(&keyed, &[b"what do ", b"", b"ya want for nothing?"]);
    assert_eq!(whole, pieces);
    assert_eq!(
        hex::encode(whole),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn wycheproof_hmac_sha256() {
    use wycheproof::TestResult;
    use wycheproof::mac::{TestName, TestSet};
    let set = TestSet::load(TestName::HmacSha256).expect("test set loads");
    let (mut full, mut truncated) = (0, 0);
    for group in set.test_groups {
        for test in group.tests {
            let keyed = keyed_hmac(&test.key);
            let msg: &[u8] = &test.msg;
            let tag: &[u8] = &test.tag;
            let computed = compute_tag(&keyed, &[msg]);
            let verified = verify_tag(&keyed, &[msg], tag);
            let id = format!("tc {} ({})", test.tc_id, test.comment);
            if group.tag_size == 8 * TAG_LEN {
                // Full-length tags: exactly lesson 5's case.
                match test.result {
                    TestResult::Invalid => {
                        assert!(matches!(verified, Err(Error::BadMac)), "{id} accepted");
                    }
                    _ => {
                        assert!(verified.is_ok(), "{id} refused");
                        assert_eq!(computed.as_slice(), tag, "{id}");
                    }
                }
                full += 1;
            } else {
                // Truncated tags: the MAC itself must still agree on the
                // left bytes, but lesson 5 refuses every truncated tag,
                // valid or not.
                let agrees = computed.get(..tag.len()) == Some(tag);
                assert_eq!(agrees, !test.result.must_fail(), "{id}");
                assert!(matches!(verified, Err(Error::BadMac)), "{id} accepted");
                truncated += 1;
            }
        }
    }
    // The set has 174 cases: 87 with 256-bit tags, 87 with 128-bit ones.
    assert_eq!((full, truncated), (87, 87));
}
