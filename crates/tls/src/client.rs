//! The echo client loop, written once for every lesson.
//!
//! Line mode (the default): read a line from stdin, send it without its line
//! ending, wait for the whole echo, print it. Stdout carries nothing but the
//! echoes, so `printf 'a\nb\n' | client` prints exactly `a\nb\n`; status goes
//! to stderr. End of stdin ends the client with success.
//!
//! Chat mode (`--chat`, exercise 4 of lesson 9): stdin and the socket are
//! read at the same time, by two threads, so lines the server pushes appear
//! as they arrive instead of waiting for the next line we type.

use std::io::{self, BufRead, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;

use crate::error::{Error, Result};
use crate::message::{MessageReader, MessageWriter, Role};

/// Connects to `addr`, runs the lesson's setup, and echoes stdin.
pub fn run<R, W, F>(addr: &str, chat: bool, setup: F) -> Result<()>
where
    R: MessageReader + 'static,
    W: MessageWriter + 'static,
    F: FnOnce(TcpStream, Role) -> Result<(R, W)>,
{
    let stream = TcpStream::connect(addr).map_err(|source| Error::Connect {
        addr: addr.to_string(),
        source,
    })?;
    // One record, one write, sent now: see the Nagle note in lesson 9.
    stream.set_nodelay(true)?;
    let control = stream.try_clone()?;
    let (reader, writer) = setup(stream, Role::Client)?;
    status!("connected to {addr}; type lines, end with Ctrl-D");
    if chat {
        chat_loop(reader, writer, control)
    } else {
        echo_lines(io::stdin().lock(), &mut io::stdout().lock(), reader, writer)
    }
}

/// Line mode: send each line and print its echo before reading the next.
pub fn echo_lines<R, W>(
    input: impl BufRead,
    output: &mut impl Write,
    mut reader: R,
    mut writer: W,
) -> Result<()>
where
    R: MessageReader,
    W: MessageWriter,
{
    for line in input.split(b'\n') {
        let line = strip_cr(line?);
        writer.write_message(&line)?;
        // The echo may come back in several records (a long line is split),
        // so collect until we have as many bytes as we sent. An empty line
        // on a framed channel still comes back as one empty record.
        let mut echoed = 0;
        let mut expect_one = reader.keeps_boundaries();
        while echoed < line.len() || expect_one {
            expect_one = false;
            let Some(piece) = reader.read_message()? else {
                return Err(Error::Truncated);
            };
            output.write_all(piece)?;
            echoed += piece.len();
        }
        output.write_all(b"\n")?;
        output.flush()?;
    }
    // End of stdin: a clean goodbye (close_notify in lesson 11).
    writer.close()
}

/// Chat mode: a thread sends stdin lines while this one prints whatever the
/// server sends, until the server closes the connection.
fn chat_loop<R, W>(mut reader: R, mut writer: W, control: TcpStream) -> Result<()>
where
    R: MessageReader,
    W: MessageWriter + 'static,
{
    thread::spawn(move || {
        let sent = io::stdin()
            .lock()
            .split(b'\n')
            .try_for_each(|line| writer.write_message(&strip_cr(line?)))
            .and_then(|()| writer.close());
        if let Err(e) = sent {
            status!("cannot send: {e}");
            let _ = control.shutdown(Shutdown::Both);
            return;
        }
        // End of stdin: tell the server we are done sending (half-close).
        // It answers what is in flight, then hangs up, which ends the
        // reading loop below.
        let _ = control.shutdown(Shutdown::Write);
    });
    let mut out = io::stdout().lock();
    while let Some(message) = reader.read_message()? {
        out.write_all(message)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    status!("server closed the connection");
    Ok(())
}

/// Drops the `\r` of a Windows line ending; the `\n` is already gone.
fn strip_cr(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}
