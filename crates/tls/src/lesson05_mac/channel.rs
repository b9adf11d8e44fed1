//! The lesson 5 channel: MAC'd records, numbered per direction.
//!
//! ```text
//! client                                                  server
//!   | -- seq 0 || nonce || ct || mac -----------------------> |  expects 0
//!   | <----------------------- seq 0 || nonce || ct || mac -- |  (its own count)
//!   | -- seq 1 || nonce || ct || mac -----------------------> |  expects 1
//!   | <----------------------- seq 1 || nonce || ct || mac -- |
//! ```
//!
//! Each half owns one direction's counter: the writer numbers what it sends
//! from 0, the reader expects what the peer sends to count from 0. A record
//! must pass two checks, in this order:
//!
//! 1. its tag (record.rs), which proves a key holder sealed *these* bytes,
//!    sequence number included;
//! 2. its sequence number, which proves it is the *next* record: not a copy
//!    of an earlier one, not one from further ahead.
//!
//! The tag alone cannot stop a replay: a record Mallory copied off the wire
//! is authentic, and stays authentic the second time. The tag makes the
//! sequence number impossible to edit; the check makes it count.

use std::io::{Read, Write};

use crate::error::{Error, Result};
use crate::lesson02_records::{self, RecordReader, RecordWriter, SocketReader};
use crate::lesson05_mac::record::{self, RecordKeys};
use crate::lesson05_mac::{ENC_KEY, MAC_KEY, MAX_PLAINTEXT_LEN, SeqCheck};
use crate::runtime::budget::KEEP_BYTES;
use crate::runtime::message::{MessageReader, MessageWriter, write_in_records};
use crate::runtime::socket::Socket;

/// The sending half: number, seal, frame, send.
pub struct MacWriter<W> {
    records: RecordWriter<W>,
    keys: RecordKeys,
    // The sequence number the next record will carry.
    next_seq: u64,
    // Reused for every record's payload.
    payload: Vec<u8>,
}

impl<W: Write> MacWriter<W> {
    /// Seals records for `records` with `keys`, numbering them from 0.
    pub fn new(records: RecordWriter<W>, keys: RecordKeys) -> MacWriter<W> {
        Self::starting_at_for_testing_only(records, keys, 0)
    }

    /// Starts numbering at `seq`, so a test can reach the end of the
    /// sequence space without sending 2^64 records.
    pub fn starting_at_for_testing_only(
        records: RecordWriter<W>,
        keys: RecordKeys,
        seq: u64,
    ) -> MacWriter<W> {
        MacWriter {
            records,
            keys,
            next_seq: seq,
            payload: Vec::new(),
        }
    }

    /// Seals `plaintext` (at most [`MAX_PLAINTEXT_LEN`] bytes) as the next
    /// record and sends it.
    pub fn write_record(&mut self, plaintext: &[u8]) -> Result<()> {
        // u64::MAX is never sent. Once we get there, every other number has
        // been used; the only way on is back to 0, and a receiver that sees
        // 0 again would take a replay of our first record for new. Refuse:
        // the connection has to end.
        if self.next_seq == u64::MAX {
            return Err(Error::SeqExhausted);
        }
        record::seal(&self.keys, self.next_seq, plaintext, &mut self.payload)?;
        // The number is spent once a record carries it, sent or not.
        self.next_seq += 1;
        // -> length || seq || nonce || ciphertext || mac, in one write.
        let sent = self.records.write_record(&self.payload);
        // After a large record, give the memory back: an idle connection
        // should hold little, whatever it sent last.
        if self.payload.capacity() > KEEP_BYTES {
            self.payload = Vec::new();
        }
        sent
    }
}

impl<W: Write + Send> MessageWriter for MacWriter<W> {
    fn write_message(&mut self, message: &[u8]) -> Result<()> {
        // One record per message (an empty one is 56 bytes of seq, nonce and
        // tag); a message too long for one record is split, each piece with
        // its own sequence number.
        write_in_records(message, MAX_PLAINTEXT_LEN, |piece| self.write_record(piece))
    }
}

/// The receiving half: read a record, verify its tag, check its number,
/// and only then decrypt it.
pub struct MacReader<R> {
    records: RecordReader<R>,
    keys: RecordKeys,
    seq_check: SeqCheck,
    // The sequence number the peer's next record must carry.
    expected_seq: u64,
}

impl<R: Read> MacReader<R> {
    /// Opens records from `records` with `keys`, expecting the peer to
    /// number them from 0 (unless `seq_check` says not to look).
    pub fn new(records: RecordReader<R>, keys: RecordKeys, seq_check: SeqCheck) -> MacReader<R> {
        MacReader {
            records,
            keys,
            seq_check,
            expected_seq: 0,
        }
    }
}

impl<R: Read + Send> MessageReader for MacReader<R> {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        let Some(payload) = self.records.read_record()? else {
            return Ok(None);
        };
        // 1. The tag, before anything else: a forgery or an edit ends here,
        //    and not one byte of it is decrypted (see record.rs).
        let authentic = record::verify(&self.keys, payload)?;

        // 2. Its place in the stream. Authentic is not enough: a replayed
        //    record is authentic too.
        let got = authentic.seq();
        match self.seq_check {
            SeqCheck::Required => {
                // The writer never sends u64::MAX, so it is never "next"
                // (and `expected_seq + 1` below cannot overflow).
                if got != self.expected_seq || got == u64::MAX {
                    return Err(Error::WrongSeq {
                        expected: self.expected_seq,
                        got,
                    });
                }
                self.expected_seq += 1;
            }
            // ⚠️ Any authentic record is served, in any order, any number
            // of times: this is how replay works (--no-seq-check).
            SeqCheck::InsecurelySkipped => {}
        }

        // 3. Only now: decrypt, in place, with lesson 3's code.
        Ok(Some(authentic.decrypt()?))
    }
}

/// Wraps the connection for lesson 5: lesson 2 records carrying
/// `seq || nonce || ciphertext || mac` under [`ENC_KEY`] and [`MAC_KEY`].
/// The client always passes [`SeqCheck::Required`].
pub fn open(socket: Socket, seq_check: SeqCheck) -> (MacReader<SocketReader>, MacWriter<Socket>) {
    let (records_in, records_out) = lesson02_records::open(socket);
    // One pair of keys for both directions: the weakness lesson 8 fixes.
    let keys = RecordKeys::new(ENC_KEY, MAC_KEY);
    (
        MacReader::new(records_in, keys.clone(), seq_check),
        MacWriter::new(records_out, keys),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson02_records::PREFIX_LEN;
    use crate::lesson05_mac::{MIN_PAYLOAD_LEN, SEQ_LEN};

    fn keys() -> RecordKeys {
        RecordKeys::new(ENC_KEY, MAC_KEY)
    }

    /// Seals each message as one record, in order, and returns each
    /// record's wire bytes separately so a test can replay, reorder or drop
    /// them.
    fn records_of(messages: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut wire = Vec::new();
        let mut w = MacWriter::new(RecordWriter::new(&mut wire), keys());
        for m in messages {
            w.write_record(m).unwrap();
        }
        let mut rest = wire.as_slice();
        messages
            .iter()
            .map(|m| {
                let (one, tail) = rest.split_at(PREFIX_LEN + MIN_PAYLOAD_LEN + m.len());
                rest = tail;
                one.to_vec()
            })
            .collect()
    }

    /// Plays the records in `order` to a reader; the messages it accepted
    /// before the first error, and that error.
    fn play(
        records: &[Vec<u8>],
        order: &[usize],
        seq_check: SeqCheck,
    ) -> (Vec<Vec<u8>>, Option<Error>) {
        let wire: Vec<u8> = order.iter().flat_map(|&i| records[i].clone()).collect();
        let mut r = MacReader::new(RecordReader::new(wire.as_slice()), keys(), seq_check);
        let mut accepted = Vec::new();
        loop {
            match r.read_message() {
                Ok(Some(m)) => accepted.push(m.to_vec()),
                Ok(None) => return (accepted, None),
                Err(e) => return (accepted, Some(e)),
            }
        }
    }

    #[test]
    fn messages_round_trip_numbered_from_zero() {
        let records = records_of(&[b"one", b"", b"three"]);
        for (n, record) in records.iter().enumerate() {
            let seq = &record[PREFIX_LEN..PREFIX_LEN + SEQ_LEN];
            assert_eq!(seq, &(n as u64).to_be_bytes());
        }
        let (got, error) = play(&records, &[0, 1, 2], SeqCheck::Required);
        assert_eq!(got, [&b"one"[..], b"", b"three"]);
        assert!(error.is_none());
    }

    #[test]
    fn replay_reorder_and_skip_are_refused() {
        let records = records_of(&[b"pay bob 100", b"r1", b"r2"]);
        // Replay: r0 again where r1 belongs.
        let (got, error) = play(&records, &[0, 0], SeqCheck::Required);
        assert_eq!(got, [b"pay bob 100"]);
        assert!(matches!(
            error,
            Some(Error::WrongSeq {
                expected: 1,
                got: 0
            })
        ));
        // Reorder: r1 before r0.
        let (got, error) = play(&records, &[1, 0], SeqCheck::Required);
        assert!(got.is_empty());
        assert!(matches!(
            error,
            Some(Error::WrongSeq {
                expected: 0,
                got: 1
            })
        ));
        // Skip: r1 dropped on the way.
        let (got, error) = play(&records, &[0, 2], SeqCheck::Required);
        assert_eq!(got.len(), 1);
        assert!(matches!(
            error,
            Some(Error::WrongSeq {
                expected: 1,
                got: 2
            })
        ));
    }

    #[test]
    fn without_the_seq_check_replay_and_reorder_are_served() {
        let records = records_of(&[b"pay bob 100", b"thanks"]);
        let (got, error) = play(&records, &[0, 0, 1], SeqCheck::InsecurelySkipped);
        assert_eq!(got, [&b"pay bob 100"[..], b"pay bob 100", b"thanks"]);
        assert!(error.is_none());
        let (got, _) = play(&records, &[1, 0], SeqCheck::InsecurelySkipped);
        assert_eq!(got, [&b"thanks"[..], b"pay bob 100"]);
        // The tag is still checked: a flipped byte is refused either way.
        let mut bad = records[0].clone();
        bad[PREFIX_LEN + SEQ_LEN + 20] ^= 1;
        let (got, error) = play(&[bad], &[0], SeqCheck::InsecurelySkipped);
        assert!(got.is_empty());
        assert!(matches!(error, Some(Error::BadMac)));
    }

    #[test]
    fn the_writer_refuses_to_wrap() {
        let mut wire = Vec::new();
        let mut w = MacWriter::starting_at_for_testing_only(
            RecordWriter::new(&mut wire),
            keys(),
            u64::MAX - 1,
        );
        w.write_message(b"last one").unwrap();
        assert!(matches!(
            w.write_message(b"one too many"),
            Err(Error::SeqExhausted)
        ));
        // And it keeps refusing: it never comes back round to 0.
        assert!(matches!(w.write_message(b""), Err(Error::SeqExhausted)));
        // Only the one legal record reached the wire, numbered u64::MAX - 1.
        assert_eq!(wire.len(), PREFIX_LEN + MIN_PAYLOAD_LEN + 8);
        assert_eq!(
            &wire[PREFIX_LEN..PREFIX_LEN + SEQ_LEN],
            &(u64::MAX - 1).to_be_bytes()
        );
    }

    #[test]
    fn the_reader_never_accepts_u64_max() {
        // A key holder could seal seq u64::MAX; our writer never does, so
        // the reader never expects it, even when it is "next".
        let mut payload = Vec::new();
        record::seal(&keys(), u64::MAX, b"x", &mut payload).unwrap();
        let mut wire = Vec::new();
        RecordWriter::new(&mut wire).write_record(&payload).unwrap();
        let mut r = MacReader::new(
            RecordReader::new(wire.as_slice()),
            keys(),
            SeqCheck::Required,
        );
        r.expected_seq = u64::MAX;
        assert!(matches!(r.read_message(), Err(Error::WrongSeq { .. })));
    }

    #[test]
    fn a_reflected_record_is_accepted_when_the_seqs_line_up() {
        // One pair of keys for both directions: the client's own record,
        // bounced back by Mallory, verifies at the client. Its seq 0 is just
        // what the client expects from the server's first record.
        let client_sent = records_of(&[b"is this the server?"]);
        let (got, error) = play(&client_sent, &[0], SeqCheck::Required);
        assert_eq!(got, [b"is this the server?"]);
        assert!(error.is_none());
    }

    #[test]
    fn a_reflected_record_is_refused_only_when_the_seqs_do_not_line_up() {
        // If the server had already sent one record (seq 0), the client
        // expects 1; its own reflected record 0 is then a wrong seq. The
        // seq check catches this only by luck of timing: lesson 8's key per
        // direction is the real fix.
        let server_sent = records_of(&[b"welcome"]);
        let client_sent = records_of(&[b"is this the server?"]);
        let wire = [server_sent[0].clone(), client_sent[0].clone()].concat();
        let mut at_client = MacReader::new(
            RecordReader::new(wire.as_slice()),
            keys(),
            SeqCheck::Required,
        );
        assert_eq!(at_client.read_message().unwrap(), Some(&b"welcome"[..]));
        assert!(matches!(
            at_client.read_message(),
            Err(Error::WrongSeq {
                expected: 1,
                got: 0
            })
        ));
    }

    #[test]
    fn each_direction_counts_on_its_own() {
        // A reader that has accepted three records does not move the
        // writer's count, and the other way round.
        let incoming = records_of(&[b"a", b"b", b"c"]).concat();
        let mut r = MacReader::new(
            RecordReader::new(incoming.as_slice()),
            keys(),
            SeqCheck::Required,
        );
        let mut outgoing = Vec::new();
        let mut w = MacWriter::new(RecordWriter::new(&mut outgoing), keys());
        while let Some(m) = r.read_message().unwrap() {
            let m = m.to_vec();
            w.write_message(&m).unwrap();
        }
        assert_eq!(r.expected_seq, 3);
        assert_eq!(w.next_seq, 3);
        assert_eq!(outgoing.len(), incoming.len());
        assert_eq!(
            &outgoing[PREFIX_LEN..PREFIX_LEN + SEQ_LEN],
            &0u64.to_be_bytes()
        );
    }
}
