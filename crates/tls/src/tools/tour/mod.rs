//! The tour: the whole course in one command, in one terminal.
//!
//! ```text
//! cargo run -p tls --bin tour            every lesson, then the table
//! cargo run -p tls --bin tour -- --lesson 5 --step
//! ```
//!
//! For each echo lesson the tour does what a learner does with three
//! terminals, but in this one process, on free loopback ports:
//!
//! ```text
//! 1. honest run    client --> eve ------> server   what can Eve read?
//! 2. one run per   client --> mallory --> server   flip, replay, reflect,
//!    attack                                        mitm: what got through?
//! ```
//!
//! The server is the lesson's real channel on the real runtime, the client
//! the real echo loop, and Eve and Mallory the real tools, their reports
//! kept in memory. Each verdict is judged from what those runs produced
//! (`verdict.rs`), and the table at the end is made of those verdicts: run
//! the tour against a weakened lesson and the table changes.
//!
//! The files:
//!
//! - [`lessons`]: the stops, in course order: each lesson's wire, how the
//!   tools cut it, which attacks are aimed at it.
//! - [`endpoints`]: each lesson's server and client, opened its own way.
//! - [`journal`]: what the server received, recorded around its reader.
//! - [`scenario`]: one run: server, Eve or Mallory, client.
//! - [`verdict`]: works or fails, judged from a run.
//! - [`narrate`]: the few lines said at each stop.
//! - [`table`]: the summary table, and the colours.

pub mod endpoints;
pub mod journal;
pub mod lessons;
pub mod narrate;
pub mod scenario;
pub mod table;
pub mod verdict;

use std::io::{self, BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};
use crate::runtime::output::{self, Stream};
use crate::tools::tour::lessons::{Row, STOPS, Stop};
use crate::tools::tour::scenario::{Front, Run};
use crate::tools::tour::table::{Line, Palette};
use crate::tools::tour::verdict::{Column, Verdict};

/// What the tour is asked to do.
#[derive(Clone, Copy, Debug)]
pub struct TourOptions {
    /// Only this lesson (`--lesson N`); every lesson if `None`.
    pub lesson: Option<u8>,
    /// Wait for Enter between lessons (`--step`).
    pub step: bool,
    /// Colour or not.
    pub palette: Palette,
}

/// Everything one echo lesson's runs found out.
#[derive(Clone, Debug)]
pub struct Findings {
    /// Eve's honest run.
    pub honest: Run,
    /// One verdict per column, in [`Column::ALL`] order.
    pub verdicts: Vec<(Column, Verdict)>,
}

impl Findings {
    /// The verdict in `column`.
    pub fn verdict(&self, column: Column) -> Option<&Verdict> {
        self.verdicts
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, verdict)| verdict)
    }
}

/// Runs one echo lesson: Eve's honest run, then each attack aimed at it.
/// Any [`Row`] will do, including one that is not in [`STOPS`], such as
/// lesson 5 with its sequence check switched off.
pub fn explore(row: &Row) -> Result<Findings> {
    // Eve first, on an honest run: a passive attacker changes nothing, so
    // what she reads is what any observer of this lesson's wire reads.
    let honest = scenario::run(row, Front::Eve)?;
    let mut verdicts = Vec::with_capacity(Column::ALL.len());
    for column in Column::ALL {
        let verdict = match column {
            Column::Eve => verdict::judge(column, &honest),
            // A fresh run per attack, with its own server and credentials:
            // a replay's refused connection cannot spoil the flip's run.
            Column::Attack(attack) if row.attacks.contains(&attack) => {
                verdict::judge(column, &scenario::run(row, Front::Mallory(attack))?)
            }
            // Not run, and said so with a reason, rather than marked
            // "fails": an attack that has nothing to aim at proves nothing.
            Column::Attack(attack) => Verdict::NotRun(row.why_not(attack)),
        };
        verdicts.push((column, verdict));
    }
    Ok(Findings { honest, verdicts })
}

/// The program: the tour on stdout, Enter read from stdin for `--step`.
///
/// The servers and tools it runs would log each connection on stderr; the
/// tour tells the story itself, so those lines are kept off the terminal
/// (stderr opens again only for the tour's own last words on failure).
pub fn run(options: &TourOptions) -> Result<()> {
    let stderr_open = hush_stderr();
    match tour(options, &mut io::stdout(), &mut io::stdin().lock()) {
        Ok(_) => Ok(()),
        // `tour | head`: the reader has seen enough; stop without a word.
        Err(Error::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            stderr_open.store(true, Ordering::SeqCst);
            Err(e)
        }
    }
}

/// The tour proper, writing to `out` and reading Enter from `input`.
/// Returns the table's lines.
pub fn tour(
    options: &TourOptions,
    out: &mut impl Write,
    input: &mut impl BufRead,
) -> Result<Vec<Line>> {
    let palette = options.palette;
    let stops: Vec<&Stop> = STOPS
        .iter()
        .filter(|stop| options.lesson.is_none_or(|n| stop.number() == n))
        .collect();
    writeln!(
        out,
        "{}",
        palette.bold("The tour: the course, run and attacked")
    )?;
    writeln!(out, "{INTRO}")?;
    let mut step = options.step;
    let mut lines = Vec::new();
    for (i, stop) in stops.iter().enumerate() {
        // --step: a pause before every stop but the first (Ctrl-D ends
        // the pausing, not the tour).
        if i > 0 {
            step = step && wait_for_enter(out, input, &stop.name())?;
        }
        match stop {
            // No server to attack: name the program to run by hand.
            Stop::Demo(demo) => write!(out, "{}", narrate::demo(demo, palette))?,
            // Run it, say what happened, keep its verdicts for the table.
            Stop::Echo(row) => {
                let findings = explore(row)?;
                let text = narrate::row(row, &findings.honest, &findings.verdicts, palette);
                write!(out, "{text}")?;
                lines.push(Line {
                    label: row.label,
                    verdicts: findings.verdicts.into_iter().map(|(_, v)| v).collect(),
                });
            }
        }
        writeln!(out)?;
        out.flush()?;
    }
    // The table, made of the verdicts just printed (a demo alone has none).
    if !lines.is_empty() {
        if step && stops.len() > 1 {
            wait_for_enter(out, input, "the table")?;
        }
        writeln!(out, "{}", palette.bold(TABLE_TITLE))?;
        write!(out, "{}", table::render(&lines, palette))?;
        writeln!(out, "{LEGEND}")?;
    }
    out.flush()?;
    Ok(lines)
}

/// Said once, at the start.
const INTRO: &str = "\
Each lesson's server and client run here, in this process, on free loopback
ports (7878 stays free). Eve watches an honest conversation, then Mallory
attacks it, one run per attack. The client always sends lesson 4's bank
request. Every verdict below is what those runs did.
";

/// The table's title.
const TABLE_TITLE: &str = "What each attack did, lesson by lesson:";

/// Under the table.
const LEGEND: &str = "\
works: the attack got through (Eve: she read the request); fails: a defence
held; —: not tried on that lesson. Each cell is a run made just now.";

/// `--step`: says what comes next and waits for Enter. Returns whether to
/// keep stepping: end of input (Ctrl-D, or no terminal) runs the rest
/// straight through.
fn wait_for_enter(out: &mut impl Write, input: &mut impl BufRead, next: &str) -> Result<bool> {
    write!(out, "[Enter: {next}; Ctrl-D: the rest without stopping] ")?;
    out.flush()?;
    let mut line = String::new();
    let more = input.read_line(&mut line)? > 0;
    if !more {
        writeln!(out)?;
    }
    Ok(more)
}

/// Sends the stderr lines of everything the tour runs into a sink that
/// drops them, until the returned switch is turned on.
fn hush_stderr() -> Arc<AtomicBool> {
    let open = Arc::new(AtomicBool::new(false));
    output::redirect(
        Stream::Stderr,
        Gate {
            open: Arc::clone(&open),
        },
    );
    open
}

/// Stderr, behind a switch.
struct Gate {
    open: Arc<AtomicBool>,
}

impl Write for Gate {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.open.load(Ordering::SeqCst) {
            io::stderr().write(buf)
        } else {
            Ok(buf.len())
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
