//! Simulation speed of the whole core, rust-hdl against Verilator, on the same workload: the
//! four models ([`System`]) doing random writes and reads with back-pressure on every link.
//!
//! Three figures: rust-hdl with the models in the loop; Verilator with the models in the
//! loop; and Verilator replaying the rust-hdl run's recorded inputs (no models: the model
//! alone plus the per-port calls). The Verilator build is timed separately and is not in
//! any speed figure.
use crate::core_sim::{CoreSim, RustHdlCore};
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
    /// Words that moved on the eight links (shows the workload was busy).
    pub words_moved: u64,
}

impl SimSpeed {
    /// Cycles per second.
    pub fn cycles_per_second(&self) -> f64 {
        self.cycles as f64 / self.seconds.max(1e-9)
    }
}

/// The measurements.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// rust-hdl, models in the loop.
    pub rust_hdl: SimSpeed,
    /// Verilator, models in the loop.
    pub verilator: SimSpeed,
    /// Verilator replaying the rust-hdl run's inputs (and checking its outputs).
    pub verilator_replay: SimSpeed,
    /// How the Verilator model was obtained (build time, cache hit).
    pub verilator_build: BuildInfo,
}

impl BenchReport {
    /// A speed's ratio to rust-hdl's.
    pub fn ratio(&self, s: &SimSpeed) -> f64 {
        s.cycles_per_second() / self.rust_hdl.cycles_per_second().max(1e-9)
    }
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for s in [&self.rust_hdl, &self.verilator, &self.verilator_replay] {
            writeln!(
                f,
                "{:<40} {:>9} cycles {:>8.3} s {:>12.0} cycles/s {:>7.1}x rust-hdl ({} words moved)",
                s.what,
                s.cycles,
                s.seconds,
                s.cycles_per_second(),
                self.ratio(s),
                s.words_moved
            )?;
        }
        write!(
            f,
            "verilator model build: {:.1} s{}",
            self.verilator_build.seconds,
            if self.verilator_build.cached { " (cached)" } else { "" }
        )
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
pub fn run_bench(cfg: &BenchConfig) -> Result<BenchReport, String> {
    // Verilator build first (timed on its own).
    let verilog = ftio_hdl::core_verilog(&cfg.params)?;
    let lib = load(&verilog)?;

    let mut sys = workload(cfg.seed, cfg.rust_hdl_cycles);
    let mut golden = RustHdlCore::new(&cfg.params);
    let t = Instant::now();
    let trace = record(&mut golden, &mut sys, cfg.rust_hdl_cycles);
    let rust_hdl = SimSpeed {
        what: "rust-hdl FtioCore + models".into(),
        cycles: cfg.rust_hdl_cycles,
        seconds: t.elapsed().as_secs_f64(),
        words_moved: words_moved(&trace),
    };

    let mut model = lib.instantiate();
    let t = Instant::now();
    replay(&trace, &mut model, golden.kind()).map_err(|d| d.to_string())?;
    let verilator_replay = SimSpeed {
        what: "verilator ftio_core, replayed inputs".into(),
        cycles: cfg.rust_hdl_cycles,
        seconds: t.elapsed().as_secs_f64(),
        words_moved: words_moved(&trace),
    };

    let mut sys = workload(cfg.seed, cfg.verilator_cycles);
    let mut model = lib.instantiate();
    let t = Instant::now();
    run(&mut model as &mut dyn CoreSim, &mut sys, cfg.verilator_cycles);
    let verilator = SimSpeed {
        what: "verilator ftio_core + models".into(),
        cycles: cfg.verilator_cycles,
        seconds: t.elapsed().as_secs_f64(),
        words_moved: moved_by(&sys),
    };
    for (name, c) in [("A", &sys.cpu_a), ("B", &sys.cpu_b)] {
        if !c.errors.is_empty() {
            return Err(format!("benchmark workload: CPU {name} saw errors: {:?}", &c.errors[..c.errors.len().min(3)]));
        }
    }
    Ok(BenchReport { rust_hdl, verilator, verilator_replay, verilator_build: lib.info.clone() })
}

/// The start and end markers of the block `ftio bench --speed --write-docs` keeps in
/// docs/simulation.md.
pub const DOC_BEGIN: &str = "<!-- ftio bench --speed --write-docs: begin -->";
/// See [`DOC_BEGIN`].
pub const DOC_END: &str = "<!-- ftio bench --speed --write-docs: end -->";

/// The first 16 hex digits of the SHA-256 of the core's Verilog: the doc block names the core
/// its figures were measured on, and a test fails when the core has changed since.
pub fn core_fingerprint(verilog: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(verilog.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The doc block for a measured report: the command, the machine's load when it ran, the core
/// fingerprint, and the three speeds with their ratios to rust-hdl.
pub fn doc_block(report: &BenchReport, cfg: &BenchConfig, fingerprint: &str, load: &str) -> String {
    let mut o = String::new();
    o.push_str(DOC_BEGIN);
    o.push('\n');
    o.push_str(&format!(
        "\nMeasured by `ftio bench --speed --rust-hdl-cycles {} --verilator-cycles {} --seed {} --write-docs` (release build) on core `{fingerprint}` (the first 16 hex digits of the SHA-256 of its default-build Verilog; `cargo test --release -p ftio-sim --lib bench` fails when the core has changed since), load average {load} when it ran on this 2-core machine:\n\n",
        cfg.rust_hdl_cycles, cfg.verilator_cycles, cfg.seed
    ));
    o.push_str("| simulator | cycles | seconds | cycles/s | vs rust-hdl |\n|---|---:|---:|---:|---:|\n");
    for s in [&report.rust_hdl, &report.verilator, &report.verilator_replay] {
        o.push_str(&format!("| {} | {} | {:.3} | {:.0} | {:.1}x |\n", s.what, s.cycles, s.seconds, s.cycles_per_second(), report.ratio(s)));
    }
    o.push_str(&format!("\nVerilator model build: {:.1} s{}.\n\n", report.verilator_build.seconds, if report.verilator_build.cached { " (cached)" } else { "" }));
    o.push_str(DOC_END);
    o
}

/// `doc` with its bench block replaced by `block` (an error if the markers are missing).
pub fn replace_doc_block(doc: &str, block: &str) -> Result<String, String> {
    let (a, b) = (doc.find(DOC_BEGIN), doc.find(DOC_END));
    match (a, b) {
        (Some(a), Some(b)) if a < b => Ok(format!("{}{}{}", &doc[..a], block, &doc[b + DOC_END.len()..])),
        _ => Err(format!("the document has no `{DOC_BEGIN}` ... `{DOC_END}` block")),
    }
}

/// The core fingerprint a doc's bench block names, if it has one.
pub fn doc_fingerprint(doc: &str) -> Option<String> {
    let a = doc.find(DOC_BEGIN)?;
    let block = &doc[a..doc[a..].find(DOC_END)? + a];
    let at = block.find("on core `")? + "on core `".len();
    Some(block[at..].split('`').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/simulation.md's speeds were measured on the core as it is now: when the gateware
    /// changes, this fails until `ftio bench --speed --write-docs` measures it again (the
    /// figures themselves are timing and are not checked: the machine is shared).
    #[test]
    fn simulation_doc_speeds_are_of_the_current_core() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/simulation.md")).unwrap();
        let named = doc_fingerprint(&doc).expect("docs/simulation.md has the `ftio bench --speed --write-docs` block");
        let verilog = ftio_hdl::core_verilog(&BuildParams::default()).unwrap();
        assert_eq!(
            named,
            core_fingerprint(&verilog),
            "docs/simulation.md's simulation speeds were measured on another core: run `cargo run --release -- bench --speed --write-docs`"
        );
    }

    #[test]
    fn doc_block_round_trips() {
        let speed = |what: &str, cycles, seconds| SimSpeed { what: what.into(), cycles, seconds, words_moved: 1 };
        let report = BenchReport {
            rust_hdl: speed("rust-hdl", 20_000, 10.0),
            verilator: speed("verilator", 1_000_000, 2.0),
            verilator_replay: speed("replay", 20_000, 0.01),
            verilator_build: BuildInfo { path: "x".into(), seconds: 8.0, cached: false },
        };
        let block = doc_block(&report, &BenchConfig::default(), "0123456789abcdef", "1.00");
        assert!(block.contains("| verilator | 1000000 | 2.000 | 500000 | 250.0x |"), "{block}");
        let doc = format!("a\n{DOC_BEGIN}\nold\n{DOC_END}\nb\n");
        let new = replace_doc_block(&doc, &block).unwrap();
        assert_eq!(doc_fingerprint(&new).as_deref(), Some("0123456789abcdef"));
        assert!(new.starts_with("a\n") && new.ends_with("\nb\n"));
        assert!(replace_doc_block("no block", &block).is_err());
    }
}
