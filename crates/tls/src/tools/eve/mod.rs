//! Eve, the passive observer: a forwarding tap that shows what the wire shows.
//!
//! ```text
//! client ---> eve ---> server        every byte forwarded unchanged;
//!        <---     <---               each record printed, field by field
//! ```
//!
//! Eve never changes or invents a byte: she reads a chunk, prints what it
//! completes, and forwards the same chunk. (With `--keylog` she may hold a
//! session's first record up to 2 s while its keys reach the log file:
//! `keys.rs`.) What she can print is the lesson's point:
//!
//! - lessons 1 and 2: the messages themselves, readable;
//! - lesson 3: lengths and nonces, then ciphertext (the key is a constant in
//!   the program, but Eve is only a wire here);
//! - lesson 5: the same, plus each record's sequence number (in the clear,
//!   counting 0, 1, 2 in each direction) and its 32-byte mac;
//! - lesson 9: two public keys, then length, nonce, ciphertext and tag, and
//!   nothing she can decrypt, *unless* someone hands her a key log
//!   (`--keylog`), in which case the plaintext appears beside each record;
//! - lesson 10: the same, plus the server's Ed25519 signature over both
//!   public keys. It is public on purpose: it proves who the server is, and
//!   tells Eve nothing about the traffic;
//! - lesson 11: each TLS record's header, the ClientHello and ServerHello
//!   in the clear (suites, key shares, server name), then only "encrypted
//!   record" and a length, certificate included; with the NSS key log the
//!   programs write, every record's real type and contents
//!   (`tls13_view/`).
//!
//! The work is split by idea: this file relays and hands what she sees to
//! the sink; `view.rs` turns the bytes of each direction into blocks (the
//! model of `annotate.rs`); `fields.rs` names the fields of lessons 2 to
//! 10's records. How the blocks look is the renderer's business
//! (`hexdump.rs`), not hers.

mod fields;
mod view;

pub use fields::record_fields;
pub use view::View;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::error::Result;
use crate::runtime::sync::lock;
use crate::tools::hexdump::Style;
use crate::tools::proxy::{self, Pair, ProxyLimits};
use crate::tools::sink::Sink;
use crate::tools::tap::{Direction, Lesson};

/// What Eve is told on the command line.
#[derive(Clone, Debug)]
pub struct EveOptions {
    /// Which wire format to expect.
    pub lesson: Lesson,
    /// Lesson 9, 10 or 11 key log to decrypt with.
    pub keylog: Option<PathBuf>,
    /// Colour and field length limits for the dump.
    pub style: Style,
    /// Where the dump goes: stdout for the program.
    pub sink: Sink,
}

/// Taps every connection to `listen`, forwarding it to `upstream`.
pub fn run(listen: &str, upstream: &str, options: EveOptions, limits: ProxyLimits) -> Result<()> {
    let options = Arc::new(options);
    proxy::run("eve", listen, upstream, limits, move |pair| {
        tap_connection(&pair, &options)
    })
}

/// Relays one connection both ways, showing as it goes. Public so that a
/// caller with its own listener (the tour) can run Eve on
/// [`proxy::serve`].
pub fn tap_connection(pair: &Pair, options: &Arc<EveOptions>) -> Result<()> {
    // Both directions share one view, so the two threads take turns and
    // lesson 9's server-to-client records can use the session found from
    // the client's public key.
    let view = Mutex::new(View::new(pair.id, options));
    let observe = |direction, chunk: &[u8]| {
        // Called before the chunk is forwarded (`proxy::pump`).
        let blocks = lock(&view).observe(direction, chunk);
        options.sink.show(blocks, &options.style);
    };
    let result = proxy::both_ways(
        pair,
        || {
            proxy::pump(&pair.client, &pair.server, |c| {
                observe(Direction::ClientToServer, c)
            })
        },
        || {
            proxy::pump(&pair.server, &pair.client, |c| {
                observe(Direction::ServerToClient, c)
            })
        },
    );
    // Whatever each direction left unfinished when it closed.
    options.sink.show(lock(&view).finish(), &options.style);
    result
}
