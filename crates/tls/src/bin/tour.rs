//! The tour: the whole course in one command and one terminal.
//!
//! Runs every lesson's server and client in this one process, on free
//! loopback ports (never 7878), with Eve watching an honest conversation
//! and Mallory attacking it once per attack. For each lesson it says what
//! Eve saw and which attacks got through, and it ends with the table of
//! what worked where, made from those runs.
//!
//! ```text
//! cargo run -p tls --bin tour
//! cargo run -p tls --bin tour -- --lesson 9 --step
//! ```
//!
//! Then run any lesson by hand, in two terminals, as its text shows.

use std::process::ExitCode;

use clap::Parser;
use tls::runtime::cli::{exit_status, parse};
use tls::tools::tour::table::Palette;
use tls::tools::tour::{self, TourOptions};

/// Lessons 1-11 in one run: each lesson's server and client, Eve, Mallory.
///
/// Runs every echo lesson in this process on free loopback ports, with Eve
/// watching and Mallory trying flip, replay, reflect and mitm, and prints
/// what Eve saw, which attacks worked, and a table of it all. Nothing to
/// start first; port 7878 is not used.
#[derive(Parser, Debug)]
#[command(name = "tour", version, verbatim_doc_comment)]
struct Cli {
    /// Only this lesson (1-11).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=11))]
    lesson: Option<u8>,
    /// Wait for Enter between lessons.
    #[arg(long)]
    step: bool,
}

fn main() -> ExitCode {
    let cli: Cli = parse();
    let options = TourOptions {
        lesson: cli.lesson,
        step: cli.step,
        palette: Palette::for_stdout(),
    };
    exit_status("tour", tour::run(&options))
}
