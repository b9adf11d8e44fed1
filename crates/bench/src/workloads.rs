//! The three workloads, written once over the course's `MessageReader` and
//! `MessageWriter` traits, so plain TCP, lessons 9 and 11 and rustls run exactly the
//! same client code and differ only in what is under those traits.

use std::thread;
use std::time::{Duration, Instant};

use tls::lesson09_encrypted_echo::record::MAX_PLAINTEXT_LEN;
use tls::runtime::message::{MessageReader, MessageWriter};
use tls::{Error, Result};

/// The size of one small message: a typical chat line or RPC.
pub const SMALL: usize = 64;

/// Sends `message` and waits until all of its echo is back. (A raw stream
/// may return the echo in pieces; framed ones return it whole.)
pub fn echo_once(
    reader: &mut impl MessageReader,
    writer: &mut impl MessageWriter,
    message: &[u8],
) -> Result<()> {
    writer.write_message(message)?;
    let mut echoed = 0;
    while echoed < message.len() {
        match reader.read_message()? {
            Some(piece) => echoed += piece.len(),
            None => return Err(Error::Truncated),
        }
    }
    Ok(())
}

/// 64-byte echo round trips per second over one connection, one message in
/// flight at a time: this measures latency, not bandwidth.
pub fn round_trips<R, W>(connect: impl Fn() -> Result<(R, W)>, budget: Duration) -> Result<f64>
where
    R: MessageReader,
    W: MessageWriter,
{
    let (mut reader, mut writer) = connect()?;
    let message = [b'Z'; SMALL];
    // Warm up: let both ends' buffers and the scheduler settle.
    for _ in 0..50 {
        echo_once(&mut reader, &mut writer, &message)?;
    }
    let start = Instant::now();
    let mut trips = 0u32;
    while start.elapsed() < budget {
        for _ in 0..50 {
            echo_once(&mut reader, &mut writer, &message)?;
        }
        trips += 50;
    }
    let rate = f64::from(trips) / start.elapsed().as_secs_f64();
    // Say goodbye the contender's way (TLS: close_notify; others: nothing).
    writer.close()?;
    Ok(rate)
}

/// Bulk echo throughput in MB/s (10^6 bytes of payload echoed per second).
///
/// One thread writes `total` bytes as 65,507-byte messages, the largest
/// plaintext a lesson 9 record holds, while another reads the echo, so many
/// records are in flight at once and both directions are busy.
pub fn bulk<R, W>(connect: impl Fn() -> Result<(R, W)>, total: usize) -> Result<f64>
where
    R: MessageReader,
    W: MessageWriter + 'static,
{
    let (mut reader, mut writer) = connect()?;
    // Text, like everything an echo server is for: the server validates
    // each message as UTF-8 (to print it), which is quick for text and much
    // slower for bytes that are not UTF-8.
    let chunk: Vec<u8> = b"lorem ipsum dolor sit amet, "
        .iter()
        .copied()
        .cycle()
        .take(MAX_PLAINTEXT_LEN)
        .collect();
    let start = Instant::now();
    let sender = thread::spawn(move || -> Result<()> {
        let mut sent = 0;
        while sent < total {
            let n = chunk.len().min(total - sent);
            writer.write_message(chunk.get(..n).unwrap_or_default())?;
            sent += n;
        }
        Ok(())
    });
    let mut echoed = 0;
    while echoed < total {
        match reader.read_message()? {
            Some(piece) => echoed += piece.len(),
            None => return Err(Error::Truncated),
        }
    }
    let elapsed = start.elapsed();
    sender
        .join()
        .map_err(|_| Error::Io(std::io::Error::other("writer thread panicked")))??;
    // usize to f64: exact below 2^53 bytes.
    Ok(total as f64 / elapsed.as_secs_f64() / 1e6)
}

/// New connections per second, one after another: connect, handshake, echo
/// one 64-byte message, close (with the contender's goodbye, if it has one:
/// close_notify for lesson 11 and its rustls twin). This is what a server sees from many
/// short-lived clients.
pub fn handshakes<R, W>(connect: impl Fn() -> Result<(R, W)>, budget: Duration) -> Result<f64>
where
    R: MessageReader,
    W: MessageWriter,
{
    let message = [b'<'; SMALL];
    let start = Instant::now();
    let mut done = 0u32;
    while start.elapsed() < budget || done == 0 {
        let (mut reader, mut writer) = connect()?;
        echo_once(&mut reader, &mut writer, &message)?;
        writer.close()?;
        done += 1;
    }
    Ok(f64::from(done) / start.elapsed().as_secs_f64())
}
