//! Printing that never stops the server: the one place that writes the
//! programs' log and message lines.
//!
//! A write to stdout or stderr blocks when the reader on the other end is
//! slow or gone: `9-echo-server | sleep 1000` fills the 64 KiB pipe after a
//! few hundred sessions, and from then on every thread that prints waits
//! forever. If that thread is serving a client (or accepting new ones), the
//! whole server stops.
//!
//! So the serving threads never write themselves. They hand each line to a
//! queue and go on; one printer thread per stream takes lines off the queue
//! and does the (possibly blocking) write:
//!
//! ```text
//! client threads --line--> [ queue, 4096 lines ] --> printer thread --> stdout
//!                          full? drop the line and count it
//! ```
//!
//! When the queue is full the line is dropped, counted, and reported once
//! the printer catches up: `(37 lines not shown: stdout was not being read)`.
//!
//! [`preview`] makes a peer's bytes safe to print: control characters and
//! invalid UTF-8 are escaped (a message cannot forge a log line or send
//! escape sequences to the terminal of whoever watches the server), and a
//! long message is cut to a bounded preview with its full length.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Lines a stream's queue holds before new ones are dropped.
pub const QUEUE_LINES: usize = 4096;
/// Bytes of a message shown in a preview (before escaping).
pub const PREVIEW_BYTES: usize = 200;
/// How long a program waits at exit for its last lines to be written.
pub const EXIT_FLUSH: Duration = Duration::from_secs(2);

/// The two streams a program prints to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Messages and events (the server's log, Eve's dumps).
    Stdout,
    /// Status lines and errors.
    Stderr,
}

/// What the serving threads and the printer thread share.
#[derive(Default)]
struct Counters {
    /// Texts handed over and not yet written.
    pending: AtomicU64,
    /// Texts dropped because the queue was full, not yet reported.
    dropped: AtomicU64,
}

/// A queue in front of one output stream, and the thread that empties it.
pub struct Printer {
    queue: SyncSender<String>,
    counters: Arc<Counters>,
}

impl Printer {
    /// Starts a printer thread writing to `sink`; `name` appears in the
    /// "not shown" report. `None` if the thread cannot be started.
    pub fn start(name: &'static str, sink: impl Write + Send + 'static) -> Option<Printer> {
        let (queue, texts) = mpsc::sync_channel(QUEUE_LINES);
        let counters = Arc::new(Counters::default());
        let shared = Arc::clone(&counters);
        thread::Builder::new()
            .name(format!("{name} printer"))
            .stack_size(64 * 1024)
            .spawn(move || print_all(name, sink, &texts, &shared))
            .ok()?;
        Some(Printer { queue, counters })
    }

    /// Queues `text` (whole lines, each ending in `\n`) without ever
    /// waiting. Returns false if it was dropped because the queue is full.
    pub fn print(&self, text: String) -> bool {
        self.counters.pending.fetch_add(1, Ordering::SeqCst);
        match self.queue.try_send(text) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counters.pending.fetch_sub(1, Ordering::SeqCst);
                self.counters.dropped.fetch_add(1, Ordering::SeqCst);
                false
            }
        }
    }

    /// Waits, at most `limit`, until everything queued has been written.
    pub fn flush(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.counters.pending.load(Ordering::SeqCst) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(1));
        }
        true
    }
}

/// The printer thread: write each text, then say how many were dropped.
fn print_all(name: &str, mut sink: impl Write, texts: &Receiver<String>, counters: &Counters) {
    for text in texts {
        // A closed stream is ignored: a server whose terminal went away
        // keeps serving.
        let _ = sink.write_all(text.as_bytes()).and_then(|()| sink.flush());
        let dropped = counters.dropped.swap(0, Ordering::SeqCst);
        if dropped > 0 {
            let note = format!("({dropped} lines not shown: {name} was not being read)\n");
            let _ = sink.write_all(note.as_bytes()).and_then(|()| sink.flush());
        }
        counters.pending.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Where the program's printer for `stream` lives once it is started.
fn slot(stream: Stream) -> &'static OnceLock<Option<Printer>> {
    static STDOUT: OnceLock<Option<Printer>> = OnceLock::new();
    static STDERR: OnceLock<Option<Printer>> = OnceLock::new();
    match stream {
        Stream::Stdout => &STDOUT,
        Stream::Stderr => &STDERR,
    }
}

/// The program's printer for `stream`, started on first use.
fn printer(stream: Stream) -> Option<&'static Printer> {
    slot(stream)
        .get_or_init(|| match stream {
            Stream::Stdout => Printer::start("stdout", io::stdout()),
            Stream::Stderr => Printer::start("stderr", io::stderr()),
        })
        .as_ref()
}

/// Sends everything later printed to `stream` into `sink` instead of the
/// process's own stdout or stderr. The tour uses it to keep the log lines
/// of the servers and tools it runs off the terminal while it narrates.
///
/// Only the first use of a stream decides where it goes: this returns
/// false, and changes nothing, if something was already printed to
/// `stream` (or it was redirected before).
pub fn redirect(stream: Stream, sink: impl Write + Send + 'static) -> bool {
    let name = match stream {
        Stream::Stdout => "stdout",
        Stream::Stderr => "stderr",
    };
    let mut installed = false;
    slot(stream).get_or_init(|| {
        installed = true;
        Printer::start(name, sink)
    });
    installed
}

/// Queues `text` (one or more whole lines, each ending in `\n`) for
/// `stream`, without ever waiting. If the queue is full the text is dropped
/// and counted.
pub fn print(stream: Stream, text: String) {
    if text.is_empty() {
        return;
    }
    match printer(stream) {
        Some(printer) => {
            printer.print(text);
        }
        // No printer thread could be started: write directly (this is at
        // start-up, before there are clients to keep waiting).
        None => {
            let _ = match stream {
                Stream::Stdout => io::stdout().write_all(text.as_bytes()),
                Stream::Stderr => io::stderr().write_all(text.as_bytes()),
            };
        }
    }
}

/// Queues one line for stdout (a newline is added).
pub fn out_line(line: impl std::fmt::Display) {
    print(Stream::Stdout, format!("{line}\n"));
}

/// Queues one line for stderr (a newline is added).
pub fn err_line(line: impl std::fmt::Display) {
    print(Stream::Stderr, format!("{line}\n"));
}

/// Waits (at most `limit` in all) until every queued line has been written.
/// Called before a program exits, so its last words are not lost; a stream
/// nobody reads cannot hold the exit up for longer than `limit`.
pub fn flush(limit: Duration) {
    let deadline = Instant::now() + limit;
    for stream in [Stream::Stdout, Stream::Stderr] {
        if let Some(printer) = printer(stream) {
            printer.flush(deadline.saturating_duration_since(Instant::now()));
        }
    }
}

/// A peer's bytes, safe to print on one line of a terminal.
///
/// - printable UTF-8 is shown as is (so `amount=100` reads as `amount=100`);
/// - `\` becomes `\\`, newline, carriage return and tab become `\n`, `\r`,
///   `\t`, and every other control character (ESC included) becomes
///   `\u{1b}`-style `\x1b`, so nothing can start a new line or drive the
///   terminal;
/// - bytes that are not valid UTF-8 become `\xff`;
/// - only the first `limit` bytes are shown; a longer message ends with
///   `... (N bytes)`.
pub fn preview(bytes: &[u8], limit: usize) -> String {
    let shown = bytes.get(..limit).unwrap_or(bytes);
    let mut out = String::with_capacity(shown.len() + 16);
    for chunk in shown.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => {
                    // Control characters from C0, DEL and C1 (U+0080-U+009F,
                    // which some terminals also obey).
                    let _ = write!(out, "\\x{:02x}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    if bytes.len() > shown.len() {
        let _ = write!(out, "... ({} bytes)", bytes.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_shown_as_it_is() {
        assert_eq!(preview(b"amount=100", 200), "amount=100");
        assert_eq!(preview("café".as_bytes(), 200), "café");
    }

    #[test]
    fn a_message_cannot_forge_a_log_line_or_drive_the_terminal() {
        let forged = b"hi\n127.0.0.1:4444: client disconnected\r\x1b]0;owned\x07\x1b[2J";
        let shown = preview(forged, 200);
        assert_eq!(
            shown,
            "hi\\n127.0.0.1:4444: client disconnected\\r\\x1b]0;owned\\x07\\x1b[2J"
        );
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
    }

    #[test]
    fn invalid_utf8_and_c1_controls_are_escaped() {
        assert_eq!(
            preview(b"caf\xc3 \xff\xfe\x00 end", 200),
            "caf\\xc3 \\xff\\xfe\\x00 end"
        );
        // U+009B is a one-character "CSI" on some terminals.
        assert_eq!(preview("a\u{9b}2J".as_bytes(), 200), "a\\x9b2J");
        assert_eq!(preview(b"back\\slash", 200), "back\\\\slash");
    }

    #[test]
    fn long_messages_are_cut_with_their_length() {
        let long = vec![b'x'; 16 * 1024 * 1024];
        let shown = preview(&long, 10);
        assert_eq!(shown, "xxxxxxxxxx... (16777216 bytes)");
        // A cut through a multi-byte character shows its bytes, not U+FFFD.
        assert_eq!(preview("ééé".as_bytes(), 3), "é\\xc3... (6 bytes)");
    }

    /// A sink that blocks until told to go on, like a pipe nobody reads.
    struct Stuck {
        go: mpsc::Receiver<()>,
        written: Arc<std::sync::Mutex<Vec<u8>>>,
    }

    impl Write for Stuck {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let _ = self.go.recv();
            self.written.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stuck_stream_never_blocks_the_caller_and_drops_are_reported() {
        let (go, wait) = mpsc::channel();
        let written = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Stuck {
            go: wait,
            written: Arc::clone(&written),
        };
        let printer = Printer::start("test", sink).unwrap();
        // Far more lines than the queue holds, while the sink is stuck:
        // every call returns at once, and the excess is dropped.
        let started = Instant::now();
        let queued = (0..QUEUE_LINES * 2)
            .filter(|i| printer.print(format!("line {i}\n")))
            .count();
        assert!(started.elapsed() < Duration::from_secs(5));
        // The printer thread holds one line in its hand while it is stuck.
        assert!(
            (QUEUE_LINES..=QUEUE_LINES + 1).contains(&queued),
            "{queued}"
        );
        assert!(
            !printer.flush(Duration::from_millis(50)),
            "nothing was written yet"
        );
        // The reader comes back: everything queued is written, then the
        // count of what was dropped.
        for _ in 0..QUEUE_LINES * 4 {
            let _ = go.send(());
        }
        assert!(printer.flush(Duration::from_secs(10)));
        let text = String::from_utf8(written.lock().unwrap().clone()).unwrap();
        assert!(text.starts_with("line 0\n"), "{}", &text[..40]);
        let dropped = QUEUE_LINES * 2 - queued;
        assert!(
            text.contains(&format!(
                "({dropped} lines not shown: test was not being read)"
            )),
            "{}",
            &text[text.len() - 200..]
        );
    }
}
