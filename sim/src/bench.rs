//! Simulation speed of the whole core, rust-hdl against Verilator, on the same workload: the
//! four models ([`System`]) doing random writes and reads with back-pressure on every link.
//!
//! Three figures: rust-hdl with the models in the loop; Verilator with the models in the
//! loop; and Verilator replaying the rust-hdl run's recorded inputs (no models: the model
//! alone plus the per-port calls). The Verilator build is timed separately and is not in
//! any speed figure.
use crate::core_sim::{CoreSim, RustHdlCore};
use crate::error::{check, RunError};
use crate::equivalence::{record, replay, run, Trace};
use crate::models::cpu::CpuConfig;
use crate::models::disk::DiskConfig;
use crate::models::random_workload;
use crate::system::System;
use crate::verilator::{load, BuildInfo};
use ftio_hdl::BuildParams;
use std::time::Instant;

/// What to measure.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Core build parameters.
    pub params: BuildParams,
    /// Cycles to run in rust-hdl (slow: keep to tens of thousands).
    pub rust_hdl_cycles: u64,
    /// Cycles to run in Verilator.
    pub verilator_cycles: u64,
    /// Workload seed.
    pub seed: u64,
}

impl Default for BenchConfig {
    fn default() -> Self {
        Self { params: BuildParams::default(), rust_hdl_cycles: 20_000, verilator_cycles: 1_000_000, seed: 1 }
    }
}

/// One measured speed.
#[derive(Clone, Debug)]
pub struct SimSpeed {
    /// What ran.
    pub what: String,
    /// Cycles simulated.
    pub cycles: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// The measuring thread's CPU time, seconds (on a loaded machine the wall time also
    /// counts the time other processes had the CPU).
    pub cpu_seconds: f64,
    /// Words that moved on the eight links (shows the workload was busy).
    pub words_moved: u64,
}

impl SimSpeed {
    /// Cycles per second.
    pub fn cycles_per_second(&self) -> f64 {
        self.cycles as f64 / self.seconds.max(1e-9)
    }
    /// Cycles per second of CPU time.
    pub fn cycles_per_cpu_second(&self) -> f64 {
        self.cycles as f64 / self.cpu_seconds.max(1e-9)
    }
}

/// Wall and CPU time of the calling thread since `start()`.
struct Clock {
    wall: Instant,
    cpu: f64,
}

impl Clock {
    fn start() -> Self {
        Self { wall: Instant::now(), cpu: thread_cpu_seconds() }
    }
    /// (wall, CPU) seconds.
    fn stop(&self) -> (f64, f64) {
        (self.wall.elapsed().as_secs_f64(), thread_cpu_seconds() - self.cpu)
    }
}

fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// The measurements.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// What was measured.
    pub config: BenchConfig,
    /// rust-hdl, models in the loop.
    pub rust_hdl: SimSpeed,
    /// Verilator, models in the loop.
    pub verilator: SimSpeed,
    /// Verilator replaying the rust-hdl run's inputs (and checking its outputs).
    pub verilator_replay: SimSpeed,
    /// How the Verilator model was obtained (build time, cache hit).
    pub verilator_build: BuildInfo,
    /// Lines of the core's generated Verilog (what the figures are of).
    pub verilog_lines: usize,
}

/// The goals of issue 28 for one `ftio bench --speed` run (docs/simulation.md).
pub const GOAL_VERILATOR: f64 = 3e6;
/// Replay without models, cycles/s.
pub const GOAL_REPLAY: f64 = 6e6;
/// Verilator with the models against rust-hdl with the models.
pub const GOAL_RATIO: f64 = 150.0;

impl BenchReport {
    /// The three speeds, in table order.
    pub fn speeds(&self) -> [&SimSpeed; 3] {
        [&self.rust_hdl, &self.verilator, &self.verilator_replay]
    }

    /// `s` against rust-hdl with the models.
    pub fn ratio(&self, s: &SimSpeed) -> f64 {
        s.cycles_per_second() / self.rust_hdl.cycles_per_second().max(1e-9)
    }
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for s in self.speeds() {
            writeln!(
                f,
                "{:<40} {:>9} cycles {:>8.3} s {:>10.0} cycles/s {:>5.0}x rust-hdl; CPU {:>7.3} s {:>10.0} cycles/s ({} words moved)",
                s.what,
                s.cycles,
                s.seconds,
                s.cycles_per_second(),
                self.ratio(s),
                s.cpu_seconds,
                s.cycles_per_cpu_second(),
                s.words_moved
            )?;
        }
        writeln!(
            f,
            "goals: Verilator + models {:.0} cycles/s of {:.0} ({}), replay {:.0} of {:.0} ({}), {:.0}x rust-hdl of {:.0}x ({})",
            self.verilator.cycles_per_second(),
            GOAL_VERILATOR,
            met(self.verilator.cycles_per_second() >= GOAL_VERILATOR),
            self.verilator_replay.cycles_per_second(),
            GOAL_REPLAY,
            met(self.verilator_replay.cycles_per_second() >= GOAL_REPLAY),
            self.ratio(&self.verilator),
            GOAL_RATIO,
            met(self.ratio(&self.verilator) >= GOAL_RATIO),
        )?;
        write!(
            f,
            "verilator model build: {:.1} s{}; core: {} lines of Verilog",
            self.verilator_build.seconds,
            if self.verilator_build.cached { " (cached)" } else { "" },
            self.verilog_lines
        )
    }
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "not met"
    }
}

/// The benchmark workload for `cycles` cycles: both CPUs in elastic lockstep (the same
/// random writes of 1..16 sectors and reads, CPU B 5 cycles behind), enough work to keep the
/// links busy the whole time, with gaps and back-pressure everywhere.
pub fn workload(seed: u64, cycles: u64) -> System {
    let capacity = 1 << 14;
    let writes = (cycles / 400 + 16) as usize;
    let ops = random_workload(seed, writes, capacity, 16);
    let cpu = CpuConfig { seed, gap: 0.05, stall: 0.1, ..Default::default() };
    let disk = DiskConfig { seed: seed + 2, gap: 0.05, stall: 0.1, latency: 8, ..Default::default() };
    System::lockstep(cpu, &ops, 5, disk, capacity)
}

fn words_moved(trace: &Trace) -> u64 {
    use crate::port::{Link, LinkSignal as S};
    let mut n = 0;
    for s in &trace.samples {
        for l in Link::all() {
            n += s[l.port(S::Valid).index()] & s[l.port(S::Ready).index()];
        }
    }
    n
}

fn moved_by(sys: &System) -> u64 {
    sys.cpu_a.tx.sent + sys.cpu_b.tx.sent + sys.disk_a.tx.sent + sys.disk_b.tx.sent
        + sys.cpu_a.rx.taken + sys.cpu_b.rx.taken + sys.disk_a.rx.taken + sys.disk_b.rx.taken
}

/// Runs the benchmark.
///
/// The replay figure replays the rust-hdl run's recorded cycles as many times as it takes to
/// reach `verilator_cycles` (each pass on a fresh model, every output checked in every cycle),
/// so that it is timed over as long a run as the models figure, not over a few milliseconds.
pub fn run_bench(cfg: &BenchConfig) -> Result<BenchReport, RunError> {
    // Verilator build first (timed on its own).
    let verilog = ftio_hdl::core_verilog(&cfg.params)?;
    let lib = load(&verilog)?;

    let mut sys = workload(cfg.seed, cfg.rust_hdl_cycles);
    let mut golden = RustHdlCore::new(&cfg.params);
    let t = Clock::start();
    let trace = record(&mut golden, &mut sys, cfg.rust_hdl_cycles);
    let (seconds, cpu_seconds) = t.stop();
    let rust_hdl = SimSpeed {
        what: "rust-hdl FtioCore + models".into(),
        cycles: cfg.rust_hdl_cycles,
        seconds,
        cpu_seconds,
        words_moved: words_moved(&trace),
    };

    let passes = (cfg.verilator_cycles / cfg.rust_hdl_cycles.max(1)).max(1);
    let t = Clock::start();
    for _ in 0..passes {
        let mut model = lib.instantiate();
        replay(&trace, &mut model, golden.kind())?;
    }
    let (seconds, cpu_seconds) = t.stop();
    let verilator_replay = SimSpeed {
        what: "verilator ftio_core, replayed inputs".into(),
        cycles: cfg.rust_hdl_cycles * passes,
        seconds,
        cpu_seconds,
        words_moved: words_moved(&trace) * passes,
    };

    let mut sys = workload(cfg.seed, cfg.verilator_cycles);
    let mut model = lib.instantiate();
    let t = Clock::start();
    run(&mut model as &mut dyn CoreSim, &mut sys, cfg.verilator_cycles);
    let (seconds, cpu_seconds) = t.stop();
    let verilator = SimSpeed {
        what: "verilator ftio_core + models".into(),
        cycles: cfg.verilator_cycles,
        seconds,
        cpu_seconds,
        words_moved: moved_by(&sys),
    };
    for (name, c) in [("A", &sys.cpu_a), ("B", &sys.cpu_b)] {
        if !c.errors.is_empty() {
            return Err(check(format!("benchmark workload: CPU {name} saw errors: {:?}", &c.errors[..c.errors.len().min(3)])));
        }
    }
    Ok(BenchReport {
        config: cfg.clone(),
        rust_hdl,
        verilator,
        verilator_replay,
        verilator_build: lib.info.clone(),
        verilog_lines: verilog.lines().count(),
    })
}

/// Where docs/simulation.md's speed table begins and ends; `ftio bench --speed --write-docs`
/// rewrites what is between.
pub const DOCS_BEGIN: &str = "<!-- ftio bench --speed --write-docs: begin -->";
/// See [`DOCS_BEGIN`].
pub const DOCS_END: &str = "<!-- ftio bench --speed --write-docs: end -->";

/// How far the core may have grown or shrunk (lines of generated Verilog) since the table was
/// measured before [`check_docs_table`] calls it stale.
pub const DOCS_SIZE_TOLERANCE: f64 = 0.10;

/// The command that measures `cfg`.
pub fn command(cfg: &BenchConfig) -> String {
    format!(
        "cargo run --release -- bench --speed --rust-hdl-cycles {} --verilator-cycles {} --seed {}",
        cfg.rust_hdl_cycles, cfg.verilator_cycles, cfg.seed
    )
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The block docs/simulation.md shows between [`DOCS_BEGIN`] and [`DOCS_END`] (markers
/// included): the command, the machine's load while it ran, the table with the ratios, the
/// build time and the size of the core measured. `load` is the 1-minute load average and the
/// number of CPUs.
pub fn docs_table(r: &BenchReport, load: Option<(f64, usize)>) -> String {
    let mut s = format!("{DOCS_BEGIN}\nMeasured by `{}`", command(&r.config));
    match load {
        Some((l, cpus)) => s += &format!(" with a load average of {l:.1} on {cpus} CPUs"),
        None => s += " (load average not known)",
    }
    s += &format!(
        ", on a core of {} lines of Verilog (`cargo run --release -- verilog`):\n\n",
        thousands(r.verilog_lines as u64)
    );
    s += "| simulator | cycles | seconds | cycles/s | vs rust-hdl | CPU seconds | cycles/s of CPU time |\n";
    s += "|---|---:|---:|---:|---:|---:|---:|\n";
    for sp in r.speeds() {
        s += &format!(
            "| {} | {} | {:.3} | {} | {:.0}× | {:.3} | {} |\n",
            sp.what,
            thousands(sp.cycles),
            sp.seconds,
            thousands(sp.cycles_per_second().round() as u64),
            r.ratio(sp),
            sp.cpu_seconds,
            thousands(sp.cycles_per_cpu_second().round() as u64),
        );
    }
    s += &format!(
        "\nVerilator model build: {:.1} s{}, in none of the speeds.\n{DOCS_END}",
        r.verilator_build.seconds,
        if r.verilator_build.cached { " (cached)" } else { "" }
    );
    s
}

/// `doc` with its speed table replaced by [`docs_table`] of `r`.
pub fn write_docs_table(doc: &str, r: &BenchReport, load: Option<(f64, usize)>) -> Result<String, DocsTableError> {
    let (begin, end) = table_span(doc)?;
    Ok(format!("{}{}{}", &doc[..begin], docs_table(r, load), &doc[end..]))
}

/// Why docs/simulation.md's speed table could not be written or does not pass its check.
#[derive(Debug, thiserror::Error)]
pub enum DocsTableError {
    /// The document has no table markers to write between.
    #[error("no `{DOCS_BEGIN}` marker")]
    NoBegin,
    #[error("no `{DOCS_END}` after `{DOCS_BEGIN}`")]
    NoEnd,
    /// The table is not what the default command measures today (`why` says how); the fix
    /// is to measure again.
    #[error("docs/simulation.md's speed table: {why}; re-measure with `{command} --write-docs`")]
    Stale { why: String, command: String },
}

fn table_span(doc: &str) -> Result<(usize, usize), DocsTableError> {
    let begin = doc.find(DOCS_BEGIN).ok_or(DocsTableError::NoBegin)?;
    let end = doc[begin..].find(DOCS_END).ok_or(DocsTableError::NoEnd)? + begin;
    Ok((begin, end + DOCS_END.len()))
}

/// Checks docs/simulation.md's speed table without measuring anything: it is in the shape
/// [`docs_table`] writes, measured by the default command ([`BenchConfig::default`]), its
/// ratios agree with its own figures, and it is of a core within [`DOCS_SIZE_TOLERANCE`] of
/// `verilog_lines` (a core that grew since — the way the Verilator speed once fell 5–8×
/// unnoticed — needs `ftio bench --speed --write-docs` again).
pub fn check_docs_table(doc: &str, verilog_lines: usize) -> Result<(), DocsTableError> {
    let stale = |why: String| DocsTableError::Stale { why, command: command(&BenchConfig::default()) };
    let (begin, end) = table_span(doc).map_err(|e| stale(e.to_string()))?;
    let block = &doc[begin..end];
    let want_cmd = format!("Measured by `{}`", command(&BenchConfig::default()));
    if !block.contains(&want_cmd) {
        return Err(stale(format!("not measured by the default command (want `{want_cmd}`)")));
    }
    let lines_in_doc: usize = block
        .split("on a core of ")
        .nth(1)
        .and_then(|t| t.split(" lines").next())
        .map(|n| n.replace(' ', ""))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| stale("no `on a core of N lines` (the size of the core measured)".into()))?;
    let drift = (verilog_lines as f64 - lines_in_doc as f64).abs() / lines_in_doc as f64;
    if drift > DOCS_SIZE_TOLERANCE {
        return Err(stale(format!(
            "measured on a core of {lines_in_doc} lines of Verilog, today's has {verilog_lines} ({:.0} % apart)",
            drift * 100.0
        )));
    }
    let rows: Vec<Vec<String>> = block
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| simulator"))
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect())
        .collect();
    let names = ["rust-hdl FtioCore + models", "verilator ftio_core + models", "verilator ftio_core, replayed inputs"];
    if rows.len() != 3 || rows.iter().zip(names).any(|(r, n)| r.len() != 7 || r[0] != n) {
        return Err(stale(format!(
            "want the rows {names:?}, each with cycles, seconds, cycles/s, vs rust-hdl, CPU seconds and cycles/s of CPU time"
        )));
    }
    let num = |c: &str| c.replace(' ', "").trim_end_matches('×').parse::<f64>().map_err(|_| stale(format!("`{c}` is not a number")));
    let rust_hdl = num(&rows[0][3])?;
    for r in &rows {
        let (cycles, seconds, cps, ratio) = (num(&r[1])?, num(&r[2])?, num(&r[3])?, num(&r[4])?);
        if (cycles / seconds - cps).abs() > 0.01 * cps + 1.0 {
            return Err(stale(format!("{}: {cycles} cycles in {seconds} s is not {cps} cycles/s", r[0])));
        }
        if (cps / rust_hdl - ratio).abs() > 0.01 * ratio + 0.5 {
            return Err(stale(format!("{}: {cps} cycles/s is not {ratio}× rust-hdl's {rust_hdl}", r[0])));
        }
        let (cpu, cpu_cps) = (num(&r[5])?, num(&r[6])?);
        if (cycles / cpu - cpu_cps).abs() > 0.01 * cpu_cps + 1.0 {
            return Err(stale(format!("{}: {cycles} cycles in {cpu} CPU seconds is not {cpu_cps} cycles/s", r[0])));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn report(lines: usize) -> BenchReport {
        let sp = |what: &str, cycles, seconds: f64| SimSpeed {
            what: what.into(),
            cycles,
            seconds,
            cpu_seconds: seconds / 2.0,
            words_moved: 1,
        };
        BenchReport {
            config: BenchConfig::default(),
            rust_hdl: sp("rust-hdl FtioCore + models", 20_000, 8.0),
            verilator: sp("verilator ftio_core + models", 1_000_000, 1.7),
            verilator_replay: sp("verilator ftio_core, replayed inputs", 1_000_000, 1.25),
            verilator_build: BuildInfo { path: PathBuf::new(), cached: false, seconds: 30.0 },
            verilog_lines: lines,
        }
    }

    #[test]
    fn the_written_table_passes_the_check_and_a_grown_core_fails_it() {
        let doc = format!("# x\n\n{DOCS_BEGIN}\nold\n{DOCS_END}\n\nafter\n");
        let doc = write_docs_table(&doc, &report(21_181), Some((1.5, 2))).unwrap();
        assert!(doc.starts_with("# x\n\n") && doc.ends_with("\n\nafter\n"), "{doc}");
        assert!(doc.contains("| verilator ftio_core + models | 1 000 000 | 1.700 | 588 235 | 235× | 0.850 | 1 176 471 |"), "{doc}");
        assert!(doc.contains("on a core of 21 181 lines of Verilog"), "{doc}");
        check_docs_table(&doc, 21_181).unwrap();
        check_docs_table(&doc, 22_000).unwrap();
        // A core 20 % bigger than the one measured: the figures are stale.
        let e = check_docs_table(&doc, 25_500).unwrap_err().to_string();
        assert!(e.contains("21181 lines") && e.contains("--write-docs"), "{e}");
        // A hand-edited figure that its own ratio does not bear out.
        let edited = doc.replace("| 588 235 | 235× |", "| 588 235 | 300× |");
        assert!(check_docs_table(&edited, 21_181).unwrap_err().to_string().contains("300"));
        // Another command than the default one.
        let other = doc.replace("--seed 1`", "--seed 2`");
        assert!(check_docs_table(&other, 21_181).unwrap_err().to_string().contains("default command"));
        assert!(check_docs_table("no table", 21_181).is_err());
    }
}
