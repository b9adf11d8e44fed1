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

/// Where a report goes.
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
        if blocks.is_empty() {
            return;
        }
        let text: String = blocks.iter().map(|b| hexdump::render(b, style)).collect();
        match self {
            Sink::Stdout => output::print(Stream::Stdout, text),
            Sink::Memory(kept) => {
                let mut kept = lock(kept);
                kept.text.push_str(&text);
                kept.blocks.extend(blocks);
            }
        }
    }

    /// Hands over whole lines of text (Mallory's log).
    pub fn print(&self, text: &str) {
        match self {
            Sink::Stdout => output::print(Stream::Stdout, text.to_string()),
            Sink::Memory(kept) => lock(kept).text.push_str(text),
        }
    }

    /// The text kept so far (nothing, for stdout).
    pub fn text(&self) -> String {
        match self {
            Sink::Stdout => String::new(),
            Sink::Memory(kept) => lock(kept).text.clone(),
        }
    }

    /// The blocks kept so far (none, for stdout).
    pub fn blocks(&self) -> Vec<Block> {
        match self {
            Sink::Stdout => Vec::new(),
            Sink::Memory(kept) => lock(kept).blocks.clone(),
        }
    }
}
