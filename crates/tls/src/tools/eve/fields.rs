//! The fields of lessons 2 to 10's records, named from the lessons' own
//! wire constants (`tap::Layout`), so Eve cuts a record exactly where its
//! reader does:
//!
//! ```text
//! lesson 2    length(4) | payload
//! lesson 3    length(4) | nonce(16) | ciphertext
//! lesson 5    length(4) | seq(8) | nonce(16) | ciphertext | mac(32)
//! lesson 9    length(2) | nonce(12) | ciphertext | tag(16)     (10 too)
//! ```
//!
//! What is in the clear is named for what it is; only lesson 2's payload
//! is readable, so only it gets a quoted note.
//!
//! Read down the table and the course's progress shows in what Eve loses:
//! in lesson 2 she reads everything; from lesson 3 the payload is noise
//! (though lesson 3's key is a constant in the program, and lesson 4 shows
//! the noise can still be steered); lesson 5 adds a sequence number she
//! can read but no one can change unseen; lesson 9's keys come from a key
//! exchange she only saw the public half of. The length, though, is always
//! hers: it is the first field of every record, and no lesson hides it.
//!
//! Input: one whole record from the splitter, prefix included, whose
//! length it has already checked against the lesson's limits. The fields
//! are still cut with checked reads, so a record that did not match its
//! length would show short fields, not crash Eve.

use crate::tools::annotate::{Field, Kind};
use crate::tools::hexdump::{TEXT_LIMIT, quoted};
use crate::tools::tap::{Layout, Lesson};

/// A whole record cut into its named fields for `lesson`.
pub fn record_fields(lesson: Lesson, bytes: &[u8]) -> Vec<Field> {
    // Lesson 1 (and 11, which `tls13_view` cuts) has no layout: the whole
    // unit is one run of text.
    let Some(layout) = lesson.layout() else {
        return vec![Field::new("text", Kind::Plaintext, bytes)];
    };
    let part = |range: std::ops::Range<usize>| bytes.get(range).unwrap_or_default();
    // The prefix's value, for the note; the parts themselves are placed by
    // the record's real size, so the fields always add up to the bytes.
    let len = layout.read_len(bytes).unwrap_or(0);
    let payload = layout.payload_range(bytes.len());
    let mut fields = vec![
        Field::new("length", Kind::Length, part(0..layout.prefix))
            .with_note(length_note(lesson, &layout, len)),
    ];
    // Lesson 5 only: the sequence number rides in the clear, right after
    // the prefix.
    if layout.seq > 0 {
        let seq = part(layout.seq_range());
        let mut field = Field::new("seq", Kind::Sequence, seq);
        // A big-endian u64: readable by anyone, changeable by no one (the
        // mac covers it).
        if let Ok(value) = <[u8; 8]>::try_from(seq) {
            field = field.with_note(format!("= {}", u64::from_be_bytes(value)));
        }
        fields.push(field);
    }
    // Lessons 3 to 10: the nonce is sent so the receiver can decrypt. It is
    // no secret: its job is to differ for every record under one key
    // (random in lessons 3 and 5; random or a counter in lesson 9).
    if layout.nonce > 0 {
        fields.push(Field::new("nonce", Kind::Nonce, part(layout.nonce_range())));
    }
    // Lesson 2 sends the message itself; every later lesson sends it
    // encrypted, and without a key Eve can only name it ciphertext.
    if lesson == Lesson::Records {
        let text = part(payload);
        fields
            .push(Field::new("payload", Kind::Plaintext, text).with_note(quoted(text, TEXT_LIMIT)));
    } else {
        fields.push(Field::new("ciphertext", Kind::Ciphertext, part(payload)));
    }
    if layout.tag > 0 {
        // Lesson 5's tag is an HMAC; lesson 9's is Poly1305's.
        let name = if lesson == Lesson::Mac { "mac" } else { "tag" };
        fields.push(Field::new(
            name,
            Kind::Tag,
            part(layout.tag_range(bytes.len())),
        ));
    }
    fields
}

/// `= 39: nonce(12) + ciphertext(11) + tag(16)`.
///
/// The length counts everything after the prefix, so the note shows what
/// it is made of; the ciphertext's share is then the message's exact size,
/// since neither cipher pads (CTR and ChaCha20 are stream ciphers).
fn length_note(lesson: Lesson, layout: &Layout, len: usize) -> String {
    // Saturating: a length below the minimum never reaches here (the
    // splitter refused it), but the note is safe even so.
    let payload = len.saturating_sub(layout.min_len());
    match lesson {
        Lesson::Records => format!("= {len}: payload({payload})"),
        Lesson::CtrChannel => format!("= {len}: nonce({}) + ciphertext({payload})", layout.nonce),
        Lesson::Mac => format!(
            "= {len}: seq({}) + nonce({}) + ciphertext({payload}) + mac({})",
            layout.seq, layout.nonce, layout.tag
        ),
        _ => format!(
            "= {len}: nonce({}) + ciphertext({payload}) + tag({})",
            layout.nonce, layout.tag
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::annotate::Annotated;

    #[test]
    fn lesson9_record_fields_are_named_and_sized() {
        let mut record = vec![0, 39];
        record.extend([0xaa; 12]);
        record.extend([0xbb; 11]);
        record.extend([0xcc; 16]);
        let fields = record_fields(Lesson::EncryptedEcho, &record);
        let names: Vec<_> = fields.iter().map(|f| (f.name, f.len)).collect();
        assert_eq!(
            names,
            [
                ("length", 2),
                ("nonce", 12),
                ("ciphertext", 11),
                ("tag", 16)
            ]
        );
        assert_eq!(
            fields[0].note.as_deref(),
            Some("= 39: nonce(12) + ciphertext(11) + tag(16)")
        );
    }

    #[test]
    fn lesson5_fields_show_the_seq_and_the_mac() {
        // len = 8 + 16 + 3 + 32 = 59
        let mut record = vec![0, 0, 0, 59];
        record.extend(2u64.to_be_bytes());
        record.extend([0xaa; 16]);
        record.extend([0xbb; 3]);
        record.extend([0xcc; 32]);
        let fields = record_fields(Lesson::Mac, &record);
        let names: Vec<_> = fields.iter().map(|f| (f.name, f.len)).collect();
        assert_eq!(
            names,
            [
                ("length", 4),
                ("seq", 8),
                ("nonce", 16),
                ("ciphertext", 3),
                ("mac", 32)
            ]
        );
        assert_eq!(
            fields[0].note.as_deref(),
            Some("= 59: seq(8) + nonce(16) + ciphertext(3) + mac(32)")
        );
        assert_eq!(fields[1].note.as_deref(), Some("= 2"));
        // The fields follow each other: the mac is the last 32 bytes.
        let annotated = Annotated::new(record, fields);
        let (at, mac, bytes) = annotated.parts().nth(4).unwrap();
        assert_eq!((at, mac.name, bytes), (31, "mac", &[0xcc; 32][..]));
    }

    #[test]
    fn lesson3_and_lesson2_fields() {
        let mut record = vec![0, 0, 0, 19];
        record.extend([1; 16]);
        record.extend(b"abc");
        let names: Vec<_> = record_fields(Lesson::CtrChannel, &record)
            .iter()
            .map(|f| (f.name, f.len))
            .collect();
        assert_eq!(names, [("length", 4), ("nonce", 16), ("ciphertext", 3)]);
        let fields = record_fields(Lesson::Records, b"\0\0\0\x02hi");
        assert_eq!(fields[1].note.as_deref(), Some("\"hi\""));
    }
}
