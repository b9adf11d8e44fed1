//! The results, kept as the best of each round and printed as a Markdown
//! table (so a run can be pasted into BENCHMARKS.md as it is).

use crate::memory::Memory;

/// One measurement for the three contenders; higher is better.
#[derive(Clone, Copy, Default)]
pub struct Figures {
    pub plain: f64,
    pub lesson9: f64,
    pub rustls: f64,
}

/// The best figure each contender reached over the rounds.
#[derive(Default)]
pub struct Best(Option<Figures>);

impl Best {
    /// Keeps, per contender, the better of what we had and `round`.
    pub fn best(&mut self, round: Figures) {
        let kept = self.0.get_or_insert(round);
        kept.plain = kept.plain.max(round.plain);
        kept.lesson9 = kept.lesson9.max(round.lesson9);
        kept.rustls = kept.rustls.max(round.rustls);
    }
}

/// One measurement for lesson 11 and rustls in lesson 11's configuration.
#[derive(Clone, Copy, Default)]
pub struct Tls13Figures {
    pub lesson11: f64,
    pub rustls: f64,
}

/// The best figure each of the two reached over the rounds.
#[derive(Default)]
pub struct BestTls13(Option<Tls13Figures>);

impl BestTls13 {
    /// Keeps, per contender, the better of what we had and `round`.
    pub fn best(&mut self, round: Tls13Figures) {
        let kept = self.0.get_or_insert(round);
        kept.lesson11 = kept.lesson11.max(round.lesson11);
        kept.rustls = kept.rustls.max(round.rustls);
    }
}

/// Median milliseconds per lesson 9 round trip, four ways.
pub struct Nagle {
    pub one_write_nodelay: f64,
    pub one_write_nagle: f64,
    pub three_writes_nodelay: f64,
    pub three_writes_nagle: f64,
}

/// Everything one run measured.
#[derive(Default)]
pub struct Report {
    pub small: Best,
    pub bulk: Best,
    pub handshakes: Best,
    pub tls13_small: BestTls13,
    pub tls13_handshakes: BestTls13,
    pub memory: Option<Memory>,
    pub nagle: Option<Nagle>,
}

/// What lesson 9 must reach, as a ratio against one baseline.
enum Target {
    Plain(f64),
    Rustls(f64),
}

impl Report {
    /// Prints the table on stdout.
    pub fn print(&self, rounds: u32) {
        println!(
            "lesson 9 vs plain TCP vs rustls 0.23 (TLS 1.3, CHACHA20_POLY1305_SHA256), \
             loopback, best of {rounds} round(s)"
        );
        println!();
        println!(
            "| measurement | plain TCP | lesson 9 | rustls | 9 / plain | 9 / rustls | target |"
        );
        println!("|---|---:|---:|---:|---:|---:|---|");
        row("64-byte round trips/s", &self.small, Target::Plain(0.9));
        row("bulk echo MB/s", &self.bulk, Target::Rustls(1.2));
        row(
            "connect + handshake + echo /s",
            &self.handshakes,
            Target::Rustls(2.5),
        );
        if let Some(m) = &self.memory {
            let mib = kib_to_mib(m.loaded_kib);
            println!(
                "| server RSS, {} idle clients | | {mib:.1} MiB (idle: {:.1}) | | | | < 64 MiB: {} |",
                m.clients,
                kib_to_mib(m.idle_kib),
                verdict(mib < 64.0),
            );
        }
        println!();
        println!(
            "lesson 11 vs rustls 0.23, both TLS 1.3 with CHACHA20_POLY1305_SHA256, X25519 only, \
             an Ed25519 certificate from an Ed25519 CA and close_notify, best of {rounds} round(s)"
        );
        println!();
        println!("| measurement | lesson 11 | rustls | 11 / rustls |");
        println!("|---|---:|---:|---:|");
        tls13_row("TLS 1.3 64-byte round trips/s", &self.tls13_small);
        tls13_row(
            "TLS 1.3 connect + handshake + echo /s",
            &self.tls13_handshakes,
        );
        if let Some(n) = &self.nagle {
            println!();
            println!("| lesson 9 64-byte round trip, the Nagle trap | median ms |");
            println!("|---|---:|");
            let lines = [
                (
                    "1 write per record, TCP_NODELAY (lesson 9)",
                    n.one_write_nodelay,
                ),
                ("1 write per record, Nagle on", n.one_write_nagle),
                ("3 writes per record, TCP_NODELAY", n.three_writes_nodelay),
                ("3 writes per record, Nagle on", n.three_writes_nagle),
            ];
            for (what, ms) in lines {
                println!("| {what} | {ms:.3} |");
            }
        }
    }
}

fn row(what: &str, best: &Best, target: Target) {
    let f = best.0.unwrap_or_default();
    let vs_plain = f.lesson9 / f.plain;
    let vs_rustls = f.lesson9 / f.rustls;
    let goal = match target {
        Target::Plain(r) => format!(">= {r:.2}x plain: {}", verdict(vs_plain >= r)),
        Target::Rustls(r) => format!(">= {r:.2}x rustls: {}", verdict(vs_rustls >= r)),
    };
    println!(
        "| {what} | {} | {} | {} | {vs_plain:.2}x | {vs_rustls:.2}x | {goal} |",
        thousands(f.plain),
        thousands(f.lesson9),
        thousands(f.rustls),
    );
}

fn tls13_row(what: &str, best: &BestTls13) {
    let f = best.0.unwrap_or_default();
    println!(
        "| {what} | {} | {} | {:.2}x |",
        thousands(f.lesson11),
        thousands(f.rustls),
        f.lesson11 / f.rustls,
    );
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn kib_to_mib(kib: u64) -> f64 {
    // u64 to f64: exact for any memory size we will see.
    kib as f64 / 1024.0
}

/// `12345.6` as `12,346`.
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
