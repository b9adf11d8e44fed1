//! Lesson 9 against plain TCP and rustls, and lesson 11 against rustls in
//! lesson 11's own configuration, measured in one run on loopback.
//!
//! ```text
//! cargo run --release -p bench            # the full run, about a minute
//! cargo run --release -p bench -- --quick # a tiny workload (CI runs this)
//! ```
//!
//! Every contender runs the same client code (`workloads.rs`) against its own
//! echo server in this process: plain TCP (`plain.rs`), the course's lesson 9
//! library (`lesson9.rs`), its lesson 11 TLS 1.3 (`lesson11.rs`) and rustls
//! (`real_tls.rs`, once configured as lesson 9's yardstick and once as
//! lesson 11's twin). Rounds interleave the contenders, so a burst of load
//! on a shared machine hits them all alike, and each figure is the best of
//! its rounds. Server memory is read from the
//! real `9-echo-server` program (`memory.rs`), and the Nagle trap is shown
//! with lesson 9 records sent in one write or three (`nagle.rs`).
//! See BENCHMARKS.md for results and what they mean.

mod lesson11;
mod lesson9;
mod memory;
mod nagle;
mod plain;
mod real_tls;
mod table;
mod workloads;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::table::{Figures, Nagle, Report, Tls13Figures};
use crate::workloads::{bulk, handshakes, round_trips};

/// Lesson 9 against plain TCP and rustls: round trips, bulk, handshakes,
/// memory; lesson 11 against rustls: round trips and handshakes.
#[derive(Parser, Debug)]
#[command(name = "bench", version, about, long_about = None)]
struct Cli {
    /// A tiny workload that only checks everything runs (seconds, not a
    /// minute); its figures mean nothing.
    #[arg(long)]
    quick: bool,
    /// Rounds of each measurement; the best round counts.
    #[arg(long, value_name = "N")]
    rounds: Option<u32>,
    /// Idle clients connected to the server for the memory figure.
    #[arg(long, value_name = "N")]
    clients: Option<usize>,
    /// Run one workload for a long time and print nothing (for profiling
    /// with `perf record`).
    #[arg(long, value_enum, value_name = "WORKLOAD")]
    profile: Option<Profile>,
}

/// A workload to run alone under a profiler, against lesson 9.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Profile {
    Small,
    Bulk,
    Handshakes,
}

/// How much work each measurement does.
struct Plan {
    rounds: u32,
    small_budget: Duration,
    bulk_bytes: usize,
    handshake_budget: Duration,
    clients: usize,
    nagle_trips: usize,
}

impl Plan {
    fn new(cli: &Cli) -> Plan {
        let mut plan = if cli.quick {
            Plan {
                rounds: 1,
                small_budget: Duration::from_millis(50),
                bulk_bytes: 2 << 20,
                handshake_budget: Duration::from_millis(50),
                clients: 20,
                nagle_trips: 3,
            }
        } else {
            Plan {
                rounds: 3,
                small_budget: Duration::from_millis(1500),
                bulk_bytes: 512 << 20,
                handshake_budget: Duration::from_millis(1500),
                clients: 1000,
                nagle_trips: 15,
            }
        };
        plan.rounds = cli.rounds.unwrap_or(plan.rounds).max(1);
        plan.clients = cli.clients.unwrap_or(plan.clients);
        plan
    }
}

fn main() -> ExitCode {
    let cli: Cli = tls::runtime::cli::parse();
    let result = match cli.profile {
        Some(workload) => profile(workload),
        None => run(&Plan::new(&cli)),
    };
    tls::runtime::cli::exit_status("bench", result)
}

/// Ten seconds of one workload against lesson 9, for `perf record`.
fn profile(workload: Profile) -> tls::Result<()> {
    let addr = lesson9::start_server()?;
    let secure = || lesson9::connect(addr);
    let ten = Duration::from_secs(10);
    match workload {
        Profile::Small => round_trips(secure, ten).map(drop),
        Profile::Bulk => bulk(secure, 4 << 30).map(drop),
        Profile::Handshakes => handshakes(secure, ten).map(drop),
    }
}

fn run(plan: &Plan) -> tls::Result<()> {
    // A thousand clients need a thousand and more file descriptors, here and
    // in the server (which inherits the limit): lift the soft limit.
    rlimit::increase_nofile_limit(u64::MAX)?;

    let plain_addr = plain::start_server()?;
    let lesson9_addr = lesson9::start_server()?;
    let rustls = real_tls::start_server()?;
    let lesson11 = lesson11::start_server()?;
    let rustls_twin = real_tls::start_lesson11_twin()?;
    let plain = || plain::connect(plain_addr);
    let secure = || lesson9::connect(lesson9_addr);
    let real = || rustls.connect();
    let graduate = || lesson11.connect();
    let twin = || rustls_twin.connect();

    let mut report = Report::default();
    for round in 1..=plan.rounds {
        tls::status!("round {round} of {}", plan.rounds);
        let small = plan.small_budget;
        report.small.best(Figures {
            plain: round_trips(plain, small)?,
            lesson9: round_trips(secure, small)?,
            rustls: round_trips(real, small)?,
        });
        report.bulk.best(Figures {
            plain: bulk(plain, plan.bulk_bytes)?,
            lesson9: bulk(secure, plan.bulk_bytes)?,
            rustls: bulk(real, plan.bulk_bytes)?,
        });
        let hs = plan.handshake_budget;
        report.handshakes.best(Figures {
            plain: handshakes(plain, hs)?,
            lesson9: handshakes(secure, hs)?,
            rustls: handshakes(real, hs)?,
        });
        report.tls13_small.best(Tls13Figures {
            lesson11: round_trips(graduate, small)?,
            rustls: round_trips(twin, small)?,
        });
        report.tls13_handshakes.best(Tls13Figures {
            lesson11: handshakes(graduate, hs)?,
            rustls: handshakes(twin, hs)?,
        });
    }

    tls::status!("memory: {} idle clients on 9-echo-server", plan.clients);
    report.memory = Some(memory::server_rss(plan.clients)?);

    tls::status!("the Nagle trap");
    let trips = plan.nagle_trips;
    report.nagle = Some(Nagle {
        one_write_nodelay: nagle::round_trip_ms(lesson9_addr, false, true, trips)?,
        one_write_nagle: nagle::round_trip_ms(lesson9_addr, false, false, trips)?,
        three_writes_nodelay: nagle::round_trip_ms(lesson9_addr, true, true, trips)?,
        three_writes_nagle: nagle::round_trip_ms(lesson9_addr, true, false, trips)?,
    });

    report.print(plan.rounds);
    Ok(())
}
