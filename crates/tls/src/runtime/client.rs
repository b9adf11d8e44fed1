//! The echo client, written once for every lesson.
//!
//! Line mode (the default): each stdin line goes out as one message (without
//! its line ending), and each echo comes back to stdout followed by `\n`.
//! Stdout carries nothing but the echoes, so `printf 'a\nb\n' | client`
//! prints exactly `a\nb\n`; status goes to stderr. End of stdin ends the
//! client with success once every echo is in.
//!
//! ```text
//! stdin --> [writer thread] --line--> server        sending and reading at
//!                  |                    |           the same time, so a
//!                  +--what to expect--> |           64 MiB line cannot
//!                                       v           deadlock against the
//! stdout <-- [this thread] <---------- echo         server's echo
//! ```
//!
//! Chat mode (`--chat`, exercise 4 of lesson 9): the same two threads, but
//! this one prints whatever the server sends, when it sends it, with no
//! idea of what to expect; the server may push lines of its own.
//!
//! When something goes wrong, the client says what, and when the likely
//! cause is that another lesson's server is on the port (a common mistake:
//! every lesson uses 7878), it says that too.

use std::io::{self, BufRead, BufWriter, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::runtime::message::{MessageReader, MessageWriter};
use crate::runtime::socket::Socket;
use crate::runtime::sync::lock;

/// How long the client waits for the server's answer in line mode
/// (`--timeout`): for the handshake, and for each piece of an echo.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The client's modes and limits.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Read stdin and the socket independently (`--chat`).
    pub chat: bool,
    /// See [`DEFAULT_TIMEOUT`].
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            chat: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Connects to `addr`, runs the lesson's setup (its handshake, if it has
/// one), and echoes stdin.
pub fn run<R, W, F>(addr: &str, options: ClientOptions, setup: F) -> Result<()>
where
    R: MessageReader + 'static,
    W: MessageWriter + 'static,
    F: FnOnce(Socket) -> Result<(R, W)>,
{
    let stream = TcpStream::connect(addr).map_err(|source| Error::Connect {
        addr: addr.to_string(),
        source,
    })?;
    // One record, one write, sent now: see the Nagle note in lesson 9.
    stream.set_nodelay(true)?;
    // A server that says nothing (another lesson's server, waiting for
    // bytes we will never send) must not hang us for ever.
    stream.set_read_timeout(Some(options.timeout))?;
    let socket = Socket::new(stream);
    let control = socket.clone();
    let (reader, writer) = setup(socket).map_err(|e| handshake_hint(e, addr, &options))?;
    status!("connected to {addr}; type lines, end with Ctrl-D");
    if options.chat {
        // The server may stay quiet as long as it likes in a chat.
        control.stream().set_read_timeout(None)?;
        chat_loop(reader, writer, control)
    } else {
        let mut out = BufWriter::new(io::stdout().lock());
        echo_lines(
            io::BufReader::new(io::stdin()),
            &mut out,
            reader,
            writer,
            &control,
        )
        .map_err(|e| echo_hint(e, addr, &options))
    }
}

/// What the writer thread tells the reader: a line it is sending, so the
/// reader knows what the echo must be.
type Expected = Arc<Vec<u8>>;

/// Line mode: send every line of `input`, and print each echo to `output`
/// as it comes back, at the same time.
pub fn echo_lines<R, W>(
    input: impl BufRead + Send + 'static,
    output: &mut impl Write,
    mut reader: R,
    writer: W,
    control: &Socket,
) -> Result<()>
where
    R: MessageReader,
    W: MessageWriter + 'static,
{
    let (expect, expected) = mpsc::channel();
    let failed = Arc::new(Mutex::new(None));
    // The writer runs on its own thread, not a scoped one: it may be
    // waiting on an interactive stdin when we are done, and must not keep
    // the program alive.
    let sending = {
        let (control, failed) = (control.clone(), Arc::clone(&failed));
        thread::Builder::new()
            .name("send stdin".to_string())
            .spawn(move || send_lines(input, writer, &expect, &control, &failed))
    };
    if let Err(e) = sending {
        return Err(Error::Io(e));
    }
    let keeps_boundaries = reader.keeps_boundaries();
    let received = receive_echoes(&expected, &mut reader, output, keeps_boundaries);
    // If sending failed, that is the real story (the reader then only saw
    // the connection go away).
    let send_error = lock(&failed).take();
    match (send_error, received) {
        (Some(e), _) => Err(e),
        (None, result) => result,
    }
}

/// The writer thread: one message per line, then goodbye.
fn send_lines<W: MessageWriter>(
    input: impl BufRead,
    mut writer: W,
    expect: &Sender<Expected>,
    control: &Socket,
    failed: &Mutex<Option<Error>>,
) {
    let result = (|| -> Result<()> {
        for line in input.split(b'\n') {
            let line = Arc::new(strip_cr(line?));
            // Tell the reader first: its echo may start before the write
            // below returns.
            if expect.send(Arc::clone(&line)).is_err() {
                return Ok(()); // the reader has given up already
            }
            writer.write_message(&line)?;
        }
        // End of stdin: say goodbye the lesson's way (TLS sends
        // close_notify), then tell the server we are done sending. It
        // answers what is in flight and hangs up.
        writer.close()?;
        let _ = control.stream().shutdown(Shutdown::Write);
        Ok(())
    })();
    if let Err(e) = result {
        *lock(failed) = Some(e);
        // Wake the reader: no more echoes are coming.
        let _ = control.stream().shutdown(Shutdown::Both);
    }
}

/// This thread: for each line sent, read pieces until the whole echo is in,
/// checking it is what we sent, and print it.
fn receive_echoes<R: MessageReader>(
    expected: &Receiver<Expected>,
    reader: &mut R,
    output: &mut impl Write,
    keeps_boundaries: bool,
) -> Result<()> {
    // On a raw byte stream (lesson 1) one read may hold the end of one echo
    // and the start of the next: the extra bytes wait here for their line.
    let mut carried: Vec<u8> = Vec::new();
    // Ends when the writer thread is done and every echo is in.
    for line in expected.iter() {
        let mut echoed = 0;
        if !carried.is_empty() {
            let take = carried.len().min(line.len());
            echoed = check_and_print(
                &line,
                echoed,
                carried.get(..take).unwrap_or_default(),
                output,
            )?;
            carried.drain(..take);
        }
        // An empty line on a framed wire still comes back as one empty
        // record; on a raw byte stream it is nothing at all.
        let mut expect_one = keeps_boundaries;
        while echoed < line.len() || expect_one {
            expect_one = false;
            let Some(piece) = reader.read_message()? else {
                return Err(Error::EchoCutShort {
                    got: echoed,
                    sent: line.len(),
                });
            };
            // A record belongs to one line; a raw read may run past it.
            let (mine, rest) = if keeps_boundaries {
                (piece, &[][..])
            } else {
                piece.split_at(piece.len().min(line.len() - echoed))
            };
            echoed = check_and_print(&line, echoed, mine, output)?;
            carried.extend_from_slice(rest);
        }
        output.write_all(b"\n")?;
        output.flush()?;
    }
    // Anything left over is more than we ever sent.
    if carried.is_empty() {
        Ok(())
    } else {
        Err(Error::EchoMismatch)
    }
}

/// Checks that `piece` is the next part of `line` (from byte `echoed` on),
/// prints it, and returns how much of the line is now echoed.
fn check_and_print(
    line: &[u8],
    echoed: usize,
    piece: &[u8],
    output: &mut impl Write,
) -> Result<usize> {
    let end = echoed.saturating_add(piece.len());
    // The echo must be what we sent, byte for byte.
    if line.get(echoed..end) != Some(piece) {
        return Err(Error::EchoMismatch);
    }
    output.write_all(piece)?;
    Ok(end)
}

/// Chat mode: a thread sends stdin lines while this one prints whatever the
/// server sends, until the server closes the connection.
fn chat_loop<R, W>(mut reader: R, mut writer: W, control: Socket) -> Result<()>
where
    R: MessageReader,
    W: MessageWriter + 'static,
{
    thread::spawn(move || {
        let sent = io::stdin()
            .lock()
            .split(b'\n')
            .try_for_each(|line| writer.write_message(&strip_cr(line?)));
        if let Err(e) = sent {
            status!("cannot send: {e}");
            let _ = control.stream().shutdown(Shutdown::Both);
            return;
        }
        // End of stdin: say goodbye the lesson's way, then tell the server
        // we are done sending (half-close). It answers what is in flight,
        // then hangs up, which ends the reading loop below.
        let _ = writer.close();
        let _ = control.stream().shutdown(Shutdown::Write);
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

/// The question to ask when the server does not behave like this lesson's.
fn other_lesson(addr: &str) -> String {
    format!("is another lesson's server on {addr}?")
}

/// Adds the likely cause to a failed handshake.
fn handshake_hint(e: Error, addr: &str, options: &ClientOptions) -> Error {
    let hint = match &e {
        Error::Truncated => format!(
            "the server hung up during the handshake: it may be full (see its \
             --max-connections), or {}",
            other_lesson(addr)
        ),
        Error::TimedOut => format!(
            "no answer to the handshake within {:?} (--timeout): {}",
            options.timeout,
            other_lesson(addr)
        ),
        Error::EchoedKey | Error::BadPeerKey => other_lesson(addr),
        _ => return e,
    };
    Error::WithHint(Box::new(e), hint)
}

/// Adds the likely cause to a failure while echoing.
fn echo_hint(e: Error, addr: &str, options: &ClientOptions) -> Error {
    let hint = match &e {
        Error::TimedOut => format!(
            "no echo within {:?} (--timeout): {}",
            options.timeout,
            other_lesson(addr)
        ),
        Error::RecordTooLong(_) | Error::RecordTooShort(_) => other_lesson(addr),
        Error::Io(io_error)
            if matches!(
                io_error.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            ) =>
        {
            format!(
                "the server may have dropped us (see its log), or {}",
                other_lesson(addr)
            )
        }
        Error::EchoCutShort { .. } | Error::Truncated => format!(
            "the server may have dropped us (see its log), or {}",
            other_lesson(addr)
        ),
        Error::EchoMismatch | Error::Decrypt => {
            format!("someone changed it on the way, or {}", other_lesson(addr))
        }
        _ => return e,
    };
    Error::WithHint(Box::new(e), hint)
}

#[cfg(test)]
mod tests;
