//! The Nagle trap, measured: the same lesson 9 record, sent as one `write`
//! or as three (length, nonce, then ciphertext and tag), with and without
//! `TCP_NODELAY` on the client.
//!
//! ```text
//! client (Nagle on, 3 writes)                server (waits for a whole record)
//!   write len   ---- 2 bytes ------------>   not a record yet: nothing to send,
//!   write nonce: held back, "len" unacked      so the ACK is delayed (~40 ms)
//!   ...                        <--- ACK ----   delayed-ACK timer fires
//!   nonce + body ----------------------->   record complete, echo it
//! ```
//!
//! Nagle's algorithm holds a small segment while earlier data is unacked;
//! the receiver delays its ACK hoping to piggyback it on a reply that cannot
//! come until the rest of the record arrives. Each waits for the other.

use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use tls::Result;
use tls::lesson08_key_split::Role;
use tls::lesson09_encrypted_echo::channel::{SecureReader, SecureWriter};
use tls::lesson09_encrypted_echo::handshake::client_handshake;
use tls::lesson09_encrypted_echo::nonce::NonceMode;
use tls::lesson09_encrypted_echo::record::{NONCE_LEN, PREFIX_LEN};

use crate::workloads::{SMALL, echo_once};

/// Passes each record on as three `write` calls, split where a naive sender
/// splits it: the length, the nonce, then the ciphertext and tag.
struct ThreeWrites(TcpStream);

impl Write for ThreeWrites {
    fn write(&mut self, record: &[u8]) -> io::Result<usize> {
        if record.len() <= PREFIX_LEN + NONCE_LEN {
            return self.0.write(record);
        }
        let (len, rest) = record.split_at(PREFIX_LEN);
        let (nonce, body) = rest.split_at(NONCE_LEN);
        self.0.write_all(len)?;
        self.0.write_all(nonce)?;
        self.0.write_all(body)?;
        Ok(record.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Median milliseconds per 64-byte echo round trip against the lesson 9
/// server at `addr`, over `trips` trips after a short warm-up.
pub fn round_trip_ms(
    addr: SocketAddr,
    three_writes: bool,
    nodelay: bool,
    trips: usize,
) -> Result<f64> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(nodelay)?;
    let session = client_handshake(&mut stream)?;
    let keys = &session.keys;
    let read_half = BufReader::new(stream.try_clone()?);
    let mut reader = SecureReader::new(read_half, keys, Role::Client, NonceMode::Random);
    let write_half: Box<dyn Write + Send> = if three_writes {
        Box::new(ThreeWrites(stream))
    } else {
        Box::new(stream)
    };
    let mut writer = SecureWriter::new(write_half, keys, Role::Client, NonceMode::Random);

    let message = [0x42; SMALL];
    // Linux acknowledges the first segments of a connection at once
    // ("quick ACK" mode); the trap only shows once that has passed.
    for _ in 0..20 {
        echo_once(&mut reader, &mut writer, &message)?;
    }
    let mut times = Vec::with_capacity(trips);
    for _ in 0..trips.max(1) {
        let start = Instant::now();
        echo_once(&mut reader, &mut writer, &message)?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times.get(times.len() / 2).copied().unwrap_or_default())
}
