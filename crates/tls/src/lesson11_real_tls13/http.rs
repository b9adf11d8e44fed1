//! `--http`: instead of echoing, answer one HTTP/1.1 request per connection,
//! so that `curl --cacert lesson11-ca.pem https://localhost:7878/...` works.
//!
//! ```text
//! curl                                   11-tls13-server --http
//!   | == TLS 1.3 handshake ============================= |
//!   | -- GET /transfer?to=bob&amount=100 HTTP/1.1 -----> |  head read, at most 16 KiB
//!   | <----------------------------- HTTP/1.1 200 OK --- |  quotes the request line
//!   | <----------------------------------- close_notify  |
//! ```
//!
//! It plugs into the same seam as the echo: the reader hands the server
//! loop one "message", the request line, once the whole request head has
//! arrived; the server prints it and passes it to the writer, which answers
//! with a small text response and `close_notify` (`Connection: close`).
//! A head that is malformed or over [`MAX_REQUEST_HEAD`] gets a 400 and the
//! connection is closed. This is just enough HTTP for curl; request bodies
//! are not read.

use super::tls_error::TlsError;
use crate::error::Result;
use crate::runtime::message::{MessageReader, MessageWriter};

/// The most bytes of request line and headers we buffer.
pub const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// What every response says about the connection it came over.
const OVER: &str = "over TLS 1.3 (TLS_CHACHA20_POLY1305_SHA256, X25519, ed25519)";

/// Wraps an established connection's halves for `--http`. The reader keeps
/// a handle on the writer to send a 400 itself.
pub fn serve<R, W>(reader: R, writer: W) -> (HttpReader<R, W>, HttpWriter<W>)
where
    R: MessageReader,
    W: MessageWriter + Clone,
{
    let reader = HttpReader {
        inner: reader,
        writer: writer.clone(),
        head: Vec::new(),
        request_line: Vec::new(),
        answered: false,
    };
    (reader, HttpWriter { inner: writer })
}

/// Reads one request head and yields its request line as the message.
#[derive(Debug)]
pub struct HttpReader<R, W> {
    inner: R,
    writer: W,
    head: Vec<u8>,
    request_line: Vec<u8>,
    answered: bool,
}

impl<R: MessageReader, W: MessageWriter> HttpReader<R, W> {
    /// Sends a 400 with `why` in its body, then close_notify.
    fn refuse(&mut self, why: &'static str) -> crate::Error {
        let body = format!("lesson 11 server: bad request ({why})\n");
        let response = response("400 Bad Request", &body);
        // The client may be gone already; the error below is what matters.
        let _ = self.writer.write_message(&response);
        let _ = self.writer.close();
        TlsError::BadHttpRequest(why).into()
    }
}

impl<R: MessageReader, W: MessageWriter> MessageReader for HttpReader<R, W> {
    fn read_message(&mut self) -> Result<Option<&[u8]>> {
        // One request per connection (`Connection: close`).
        if self.answered {
            return Ok(None);
        }
        // Gather records until the blank line that ends the head.
        let head_len = loop {
            if let Some(end) = find_end_of_head(&self.head) {
                break end;
            }
            if self.head.len() > MAX_REQUEST_HEAD {
                return Err(self.refuse("request head over 16 KiB"));
            }
            match self.inner.read_message()? {
                Some(data) => self.head.extend_from_slice(data),
                // The client left before sending anything: a plain goodbye.
                None if self.head.is_empty() => return Ok(None),
                // It left in the middle of a head: close properly, and say
                // why in the server's log (an echo client's line ends here).
                None => {
                    let _ = self.writer.close();
                    return Err(TlsError::IncompleteHttpRequest.into());
                }
            }
        };
        if head_len > MAX_REQUEST_HEAD {
            return Err(self.refuse("request head over 16 KiB"));
        }
        let Some(line) = request_line(&self.head) else {
            return Err(self.refuse("malformed request line"));
        };
        self.request_line = line.to_vec();
        self.answered = true;
        Ok(Some(&self.request_line))
    }
}

/// Answers the request line it is given, then closes the connection.
#[derive(Debug)]
pub struct HttpWriter<W> {
    inner: W,
}

impl<W: MessageWriter> MessageWriter for HttpWriter<W> {
    fn write_message(&mut self, request_line: &[u8]) -> Result<()> {
        // "GET /transfer?to=bob&amount=100 HTTP/1.1" -> "GET /transfer?to=bob&amount=100"
        let asked = request_line
            .rsplit_once_byte(b' ')
            .map_or(request_line, |(asked, _version)| asked);
        let body = format!(
            "lesson 11 server: got {} {OVER}\n",
            String::from_utf8_lossy(asked)
        );
        self.inner.write_message(&response("200 OK", &body))?;
        self.inner.close()
    }

    fn close(&mut self) -> Result<()> {
        self.inner.close()
    }
}

/// A complete response with the headers curl needs.
fn response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Where the head ends: after the first blank line (CRLF CRLF, or a bare
/// LF LF from a hand-typed request).
fn find_end_of_head(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|at| at + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The request line (`METHOD target HTTP/1.x`), if it is well formed:
/// three parts, a method of capital letters, a target of visible ASCII, an
/// HTTP/1 version. Anything else is a 400.
fn request_line(head: &[u8]) -> Option<&[u8]> {
    let line = head.split(|&b| b == b'\n').next()?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut parts = line.split(|&b| b == b' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let well_formed = parts.next().is_none()
        && !method.is_empty()
        && method.iter().all(u8::is_ascii_uppercase)
        && !target.is_empty()
        && target.iter().all(u8::is_ascii_graphic)
        && version.starts_with(b"HTTP/1.");
    well_formed.then_some(line)
}

/// `rsplit_once` for byte slices.
trait RsplitOnceByte {
    fn rsplit_once_byte(&self, byte: u8) -> Option<(&[u8], &[u8])>;
}

impl RsplitOnceByte for [u8] {
    fn rsplit_once_byte(&self, byte: u8) -> Option<(&[u8], &[u8])> {
        let at = self.iter().rposition(|&b| b == byte)?;
        Some((self.get(..at)?, self.get(at + 1..)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A reader that hands out fixed pieces, then a clean end.
    struct Pieces(Vec<Vec<u8>>, Vec<u8>);

    impl MessageReader for Pieces {
        fn read_message(&mut self) -> Result<Option<&[u8]>> {
            if self.0.is_empty() {
                return Ok(None);
            }
            self.1 = self.0.remove(0);
            Ok(Some(&self.1))
        }
    }

    /// A writer that records what it sent, and whether it closed.
    #[derive(Clone, Default)]
    struct Sent(Arc<Mutex<(Vec<u8>, bool)>>);

    impl MessageWriter for Sent {
        fn write_message(&mut self, message: &[u8]) -> Result<()> {
            self.0.lock().unwrap().0.extend_from_slice(message);
            Ok(())
        }
        fn close(&mut self) -> Result<()> {
            self.0.lock().unwrap().1 = true;
            Ok(())
        }
    }

    fn run(pieces: &[&[u8]]) -> (Result<Option<Vec<u8>>>, String, bool) {
        let sent = Sent::default();
        let input = Pieces(pieces.iter().map(|p| p.to_vec()).collect(), Vec::new());
        let (mut reader, mut writer) = serve(input, sent.clone());
        let got = reader.read_message().map(|m| m.map(<[u8]>::to_vec));
        if let Ok(Some(line)) = &got {
            writer.write_message(line).unwrap();
            assert_eq!(reader.read_message().unwrap(), None, "one request only");
        }
        let (bytes, closed) = sent.0.lock().unwrap().clone();
        (got, String::from_utf8(bytes).unwrap(), closed)
    }

    #[test]
    fn a_request_split_over_records_is_answered_and_closed() {
        let (got, response, closed) = run(&[
            b"GET /transfer?to=bob&amount=100 HT",
            b"TP/1.1\r\nHost: localhost\r\n\r\n",
        ]);
        assert_eq!(
            got.unwrap().unwrap(),
            b"GET /transfer?to=bob&amount=100 HTTP/1.1"
        );
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.contains("Connection: close\r\n"));
        let body = "lesson 11 server: got GET /transfer?to=bob&amount=100 over TLS 1.3 \
                    (TLS_CHACHA20_POLY1305_SHA256, X25519, ed25519)\n";
        assert!(response.ends_with(body), "{response}");
        assert!(response.contains(&format!("Content-Length: {}\r\n", body.len())));
        assert!(closed);
    }

    #[test]
    fn malformed_and_oversized_heads_get_a_400() {
        for head in [
            &b"hello\r\n\r\n"[..],
            b"GET / HTTP/1.1 extra\r\n\r\n",
            b"get / HTTP/1.1\r\n\r\n",
            b"GET /\x01 HTTP/1.1\r\n\r\n",
        ] {
            let (got, response, closed) = run(&[head]);
            assert!(
                matches!(got, Err(crate::Error::Tls(TlsError::BadHttpRequest(_)))),
                "{head:?}"
            );
            assert!(response.starts_with("HTTP/1.1 400 Bad Request\r\n"));
            assert!(closed);
        }
        let big = vec![b'a'; 5000];
        let (got, response, _) = run(&[b"GET / HTTP/1.1\r\n", &big, &big, &big, &big]);
        assert!(matches!(
            got,
            Err(crate::Error::Tls(TlsError::BadHttpRequest(_)))
        ));
        assert!(response.contains("over 16 KiB"));
    }

    #[test]
    fn a_client_that_leaves_mid_request_gets_nothing_and_is_named() {
        for partial in [&b"GET / HTTP/1.1\r\n"[..], b"hello tls"] {
            let (got, response, closed) = run(&[partial]);
            assert!(
                matches!(got, Err(crate::Error::Tls(TlsError::IncompleteHttpRequest))),
                "{partial:?}"
            );
            assert!(response.is_empty());
            assert!(closed, "close_notify, so the client sees no truncation");
        }
    }

    #[test]
    fn a_client_that_leaves_before_a_byte_is_a_goodbye() {
        let (got, response, closed) = run(&[]);
        assert!(matches!(got, Ok(None)));
        assert!(response.is_empty());
        assert!(!closed);
    }
}
