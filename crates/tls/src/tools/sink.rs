//! Where a tool's report goes: Eve's blocks, Mallory's log lines.
//!
//! The programs print to stdout, and must never wait to do it: a relay that
//! stops because nobody reads its report would stop the conversation it
//! relays. The tour runs Eve and Mallory in its own process and reads their
//! reports back, so it keeps them in memory: Eve's as blocks, which it
//! picks by what they are, and the text as the programs would print it.

use std::sync::{Arc, Mutex};

use crate::runtime::output::{self, Stream};
use crate::runtime::sync::lock;
use crate::tools::annotate::Block;
use crate::tools::hexdump::{self, Style};

/// Where a report goes. One sink serves every connection of a tool, so a
/// call hands over whole blocks or whole lines: two connections' reports
/// interleave block by block, never inside one.
#[derive(Clone, Debug, Default)]
pub enum Sink {
    /// Rendered and queued for stdout, never waiting: the programs.
    #[default]
    Stdout,
    /// Kept for the caller to read: the tour. Unbounded, so only for the
    /// short conversations the tour itself makes.
    Memory(Arc<Mutex<Kept>>),
}

/// What a memory sink has been given so far.
#[derive(Clone, Debug, Default)]
pub struct Kept {
    /// Every block, in the order they were shown.
    pub blocks: Vec<Block>,
    /// All of the report as text, blocks rendered as on stdout.
    pub text: String,
}

impl Sink {
    /// An empty in-memory sink.
    pub fn memory() -> Sink {
        Sink::Memory(Arc::default())
    }

    /// Shows blocks, rendered in `style` (Eve's dump).
    pub fn show(&self, blocks: Vec<Block>, style: &Style) {
        // A read that completes no unit (a record still arriving) has
        // nothing to render, and takes no lock.
        if blocks.is_empty() {
            return;
        }
        // Rendered once, outside any lock: the memory sink keeps the same
        // text stdout would have shown, so the tour reads what a user sees.
        let text: String = blocks.iter().map(|b| hexdump::render(b, style)).collect();
        match self {
            // Queued for the runtime's printer thread, which writes in order;
            // if its queue is full the text is dropped and counted rather
            // than stall the relaying thread, which goes back to its bytes.
            Sink::Stdout => output::print(Stream::Stdout, text),
            // Text and blocks under one lock, so the two never disagree.
            Sink::Memory(kept) => {
                let mut kept = lock(kept);
                kept.text.push_str(&text);
                kept.blocks.extend(blocks);
            }
        }
    }

    /// Hands over whole lines of text (Mallory's log): already words, so
    /// nothing to render.
    pub fn print(&self, text: &str) {
        match self {
            Sink::Stdout => output::print(Stream::Stdout, text.to_string()),
            Sink::Memory(kept) => lock(kept).text.push_str(text),
        }
    }

    /// The text kept so far (nothing, for stdout: what was printed is
    /// gone).
    pub fn text(&self) -> String {
        match self {
            Sink::Stdout => String::new(),
            Sink::Memory(kept) => lock(kept).text.clone(),
        }
    }

    /// The blocks kept so far (none, for stdout). A copy, so the tour can
    /// pick from them while the tools are still relaying.
    pub fn blocks(&self) -> Vec<Block> {
        match self {
            Sink::Stdout => Vec::new(),
            Sink::Memory(kept) => lock(kept).blocks.clone(),
        }
    }
}
