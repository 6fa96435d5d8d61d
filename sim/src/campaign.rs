//! `ftio campaign`: random single faults, each in a fresh Verilator run of the same lockstep
//! workload, each outcome classified against the fault-free (golden) run.
//!
//! Fault model (one per run, drawn from the campaign seed):
//! - a bit flip on one input pin for one cycle: `valid`, `data`, `last`, `abort`, `par` or
//!   `cpar` of any into-core link, or `ready`/`rpar` of any out-of-core link;
//! - a CPU that stops (offers nothing, takes nothing) for 100, 400 or 2000 cycles;
//! - a disk that stops for 1000 or 6000 cycles, or hangs for good;
//! - a CPU word that differs in one data bit with its parity bit flipped to match (a CPU
//!   that computed another value: a mismatch no parity error can attribute).
//!
//! Oracle, after the run (the host reads STATUS over the UART at the end):
//! - *live* CPUs are those the final mode trusts (DUPLEX: both; SIMPLEX_A/B: one; HALTED:
//!   none); *healthy* disks those not marked failed;
//! - *corruption*: a CPU accepted a completion that differs from the golden run's (same
//!   operation, good status, clean link parity, different data), or a healthy disk holds
//!   anything but the golden image of a prefix of the writes that includes every write a CPU
//!   had acknowledged;
//! - classes: `silent-corruption` (any corruption); `masked` (nothing flagged, every result
//!   as in the golden run); `silent-disruption` (nothing flagged, but the workload did not
//!   complete as in the golden run); `halted` (flagged, HALTED, no corruption); `recovered`
//!   (flagged, every live CPU completed the whole workload exactly as in the golden run);
//!   `disrupted` (flagged, not halted, no corruption, but a live CPU did not complete
//!   cleanly — it saw a link parity error or a completion went missing).
//!
//!   `disk-silent`: a disk hung for good with no word waiting for it, nothing flagged —
//!   SPEC §4: "a disk that sends nothing back is not a fault" (the host's command timeout
//!   notices; the core cannot without interpreting frames).
//!
//! `silent-corruption` and `silent-disruption` are failures of the core.
use crate::json::{obj, Json};
use crate::models::cpu::{Completion, CpuConfig, CpuModel, Op};
use crate::models::disk::DiskConfig;
use crate::models::golden_sha256;
use crate::port::{Flow, Link, LinkSignal, Port};
use crate::rig::Rig;
use crate::scenario::{fast_uart_params, FAST_UART_DIVIDER};
use crate::system::{Freeze, PinFlip, System, Trigger, Unit};
use crate::verilator::{load, VerilatedLib};
use ftio_hdl::CoreParams;
use ftio_proto::{reg, Cause, Mode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::Instant;

/// One injected fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Bit `bit` of input `port` inverted in cycle `cycle`.
    Flip { cycle: u64, port: Port, bit: u8 },
    /// `unit` stops from `cycle` for `cycles` cycles, or for good.
    Stop { cycle: u64, unit: Unit, cycles: Option<u64> },
    /// The word CPU `unit` offers in `cycle` differs in data bit `bit`, with its parity bit
    /// flipped to match: a CPU that computed another value (no parity error to blame it).
    Diverge { cycle: u64, unit: Unit, bit: u8 },
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Flip { cycle, port, bit } if port.width() > 1 => write!(f, "flip {port}[{bit}] at cycle {cycle}"),
            Fault::Flip { cycle, port, .. } => write!(f, "flip {port} at cycle {cycle}"),
            Fault::Stop { cycle, unit, cycles: Some(n) } => write!(f, "{} stops for {n} cycles at cycle {cycle}", unit.name()),
            Fault::Stop { cycle, unit, cycles: None } => write!(f, "{} hangs at cycle {cycle}", unit.name()),
            Fault::Diverge { cycle, unit, bit } => write!(f, "{} word differs, bit {bit}, cycle {cycle}", unit.name()),
        }
    }
}

/// How a run ended, against the golden run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Nothing flagged, every result as in the golden run.
    Masked,
    /// Flagged; every live CPU completed the whole workload as in the golden run.
    Recovered,
    /// Flagged; the core halted; nothing wrong stored or accepted.
    Halted,
    /// Flagged, not halted, nothing wrong stored or accepted, but a live CPU did not finish
    /// cleanly (it saw a link parity error, or a completion never came).
    Disrupted,
    /// A disk stopped while no word was waiting for it, so it only failed to answer: SPEC §4
    /// says the core never interprets frames and "a disk that sends nothing back is not a
    /// fault"; the host's command timeout is what notices. Nothing flagged, nothing wrong
    /// stored or accepted, the CPUs wait. Not counted as a failure of the core.
    DiskSilent,
    /// Nothing flagged and the workload did not complete as in the golden run.
    SilentDisruption,
    /// Wrong data on a healthy disk or accepted by a CPU.
    SilentCorruption,
}

impl Outcome {
    /// Every outcome, in table order.
    pub const ALL: [Outcome; 7] = [
        Outcome::Masked,
        Outcome::Recovered,
        Outcome::Halted,
        Outcome::Disrupted,
        Outcome::DiskSilent,
        Outcome::SilentDisruption,
        Outcome::SilentCorruption,
    ];

    /// Its name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Masked => "masked",
            Outcome::Recovered => "detected-and-recovered",
            Outcome::Halted => "detected-and-halted",
            Outcome::Disrupted => "detected-disrupted",
            Outcome::DiskSilent => "disk-silent",
            Outcome::SilentDisruption => "silent-disruption",
            Outcome::SilentCorruption => "silent-corruption",
        }
    }

    /// A failure of the core's fault tolerance.
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::SilentDisruption | Outcome::SilentCorruption)
    }
}

/// One run of a campaign.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// Position in the campaign (0-based).
    pub index: usize,
    /// The fault.
    pub fault: Fault,
    /// Classification.
    pub outcome: Outcome,
    /// Cycle irq first rose.
    pub irq_cycle: Option<u64>,
    /// Mode at the end (STATUS read over the UART).
    pub mode: Option<Mode>,
    /// First cause latched.
    pub cause: Option<u32>,
    /// Why the run was classified so (the first thing that differed, if anything).
    pub note: String,
    /// Cycles run.
    pub cycles: u64,
}

/// What a campaign runs.
#[derive(Clone, Debug)]
pub struct CampaignConfig {
    /// Faults (runs).
    pub faults: usize,
    /// Seed of the fault draw (the workload is fixed by `workload_seed`).
    pub seed: u64,
    /// Seed of the workload and the models' gaps and back-pressure.
    pub workload_seed: u64,
    /// Writes in the workload (each read back).
    pub writes: usize,
    /// CPU B behind CPU A, cycles.
    pub skew: u64,
    /// Core build: the default datapath with a fast UART (8 clocks per bit), so the final
    /// STATUS read costs about 1 500 cycles.
    pub params: CoreParams,
}

impl Default for CampaignConfig {
    fn default() -> Self {
        Self { faults: 100, seed: 1, workload_seed: 1, writes: 8, skew: 8, params: fast_uart_params() }
    }
}

/// The result of a campaign.
#[derive(Clone, Debug)]
pub struct CampaignReport {
    /// The configuration.
    pub config: CampaignConfig,
    /// Cycles of the golden run.
    pub golden_cycles: u64,
    /// One per fault.
    pub runs: Vec<RunResult>,
    /// Wall time, seconds.
    pub seconds: f64,
}

fn workload(cfg: &CampaignConfig) -> (System, Vec<Op>, u64) {
    let capacity = 512;
    let ops = crate::demo::demo_workload(cfg.workload_seed, cfg.writes, capacity, 4);
    let cpu = CpuConfig { seed: cfg.workload_seed ^ 0xCA, gap: 0.05, stall: 0.1, data_fis_sectors: 2, think: 4, ..Default::default() };
    let disk = DiskConfig { seed: cfg.workload_seed ^ 0xDA, gap: 0.05, stall: 0.1, latency: 12, data_fis_sectors: 2 };
    (System::lockstep(cpu, &ops, cfg.skew, disk, capacity), ops, capacity)
}

/// Draws fault number `index` of a campaign with seed `seed`, within the first
/// `golden_cycles` cycles.
pub fn draw_fault(seed: u64, index: usize, golden_cycles: u64) -> Fault {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64);
    let cycle = rng.gen_range(1..golden_cycles.max(2));
    let kind = rng.gen_range(0..100);
    if kind < 8 {
        let unit = if rng.gen_bool(0.5) { Unit::CpuA } else { Unit::CpuB };
        Fault::Diverge { cycle, unit, bit: rng.gen_range(0..32) }
    } else if kind < 70 {
        let inputs: Vec<Port> = Link::all()
            .flat_map(|l| {
                let sigs: &[LinkSignal] = match l.flow() {
                    Flow::IntoCore => &[
                        LinkSignal::Valid,
                        LinkSignal::Data,
                        LinkSignal::Last,
                        LinkSignal::Abort,
                        LinkSignal::Par,
                        LinkSignal::Cpar,
                    ],
                    Flow::OutOfCore => &[LinkSignal::Ready, LinkSignal::Rpar],
                };
                sigs.iter().map(move |&s| l.port(s)).collect::<Vec<_>>()
            })
            .collect();
        let port = inputs[rng.gen_range(0..inputs.len())];
        let bit = rng.gen_range(0..port.width()) as u8;
        Fault::Flip { cycle, port, bit }
    } else if kind < 85 {
        let unit = if rng.gen_bool(0.5) { Unit::CpuA } else { Unit::CpuB };
        Fault::Stop { cycle, unit, cycles: Some([100, 400, 2000][rng.gen_range(0..3)]) }
    } else {
        let unit = if rng.gen_bool(0.5) { Unit::DiskA } else { Unit::DiskB };
        let cycles = [Some(1000), Some(6000), None][rng.gen_range(0..3)];
        Fault::Stop { cycle, unit, cycles }
    }
}

/// Everything one run produced that the oracle looks at.
struct Run {
    sys: System,
    irq_cycle: Option<u64>,
    status: Option<u32>,
    cycles: u64,
    /// At the end, a word waited on disk A's / disk B's link.
    waiting: [bool; 2],
}

fn run_one(lib: &Arc<VerilatedLib>, cfg: &CampaignConfig, fault: Option<&Fault>, max_cycles: u64) -> Run {
    let (mut sys, _, _) = workload(cfg);
    match fault {
        Some(Fault::Flip { cycle, port, bit }) => sys.flips.push(PinFlip { cycle: *cycle, port: *port, bit: *bit }),
        Some(Fault::Stop { cycle, unit, cycles }) => sys.freezes.push(Freeze::new(*unit, Trigger::AtCycle(*cycle), *cycles)),
        Some(Fault::Diverge { cycle, unit, bit }) => {
            let link = if *unit == Unit::CpuA { Link::CpuATx } else { Link::CpuBTx };
            sys.flips.push(PinFlip { cycle: *cycle, port: link.port(LinkSignal::Data), bit: *bit });
            sys.flips.push(PinFlip { cycle: *cycle, port: link.port(LinkSignal::Par), bit: *bit / 8 });
        }
        None => {}
    }
    let mut rig = Rig::new(Box::new(lib.instantiate()), sys, FAST_UART_DIVIDER);
    let mut irq_cycle = None;
    let mut last_move = 0;
    let mut asked = false;
    // STATUS is read only once the fault has happened and had time to show.
    let settle = match fault {
        Some(Fault::Flip { cycle, .. } | Fault::Stop { cycle, .. } | Fault::Diverge { cycle, .. }) => cycle + 64,
        None => 0,
    };
    loop {
        let pins = rig.step();
        let c = rig.cycle - 1;
        if pins.irq && irq_cycle.is_none() {
            irq_cycle = Some(c);
        }
        if pins.moved.iter().any(|&m| m) {
            last_move = c;
        }
        let s = &rig.sys;
        let disks_idle = (s.disk_a.idle() || s.is_frozen(Unit::DiskA)) && (s.disk_b.idle() || s.is_frozen(Unit::DiskB));
        let finished = (s.cpu_a.done() && s.cpu_b.done() && disks_idle)
            || ((s.cpu_a.done() || s.cpu_b.done()) && disks_idle && c > last_move + 2_000)
            || c > last_move + 10_000
            || c >= max_cycles;
        if finished && !asked && c >= settle {
            asked = true;
            rig.host.read("STATUS", "STATUS", 1);
        }
        if asked && rig.host.idle() {
            break;
        }
    }
    let status = rig.host.answers.last().and_then(|a| a.result.as_ref().ok()).and_then(|d| d.first().copied());
    let waiting = [Link::DiskATx, Link::DiskBTx].map(|l| rig.sim.get_bit(l.port(LinkSignal::Valid)));
    Run { cycles: rig.cycle, irq_cycle, status, sys: rig.sys, waiting }
}

fn same(a: &Completion, b: &Completion) -> bool {
    (&a.op, a.status, a.error, &a.read_data) == (&b.op, b.status, b.error, &b.read_data)
}

fn classify(run: &Run, fault: Option<&Fault>, golden: &[Completion], prefixes: &[[u8; 32]], ops: &[Op]) -> (Outcome, String) {
    let st = |n: &str| run.status.map(|s| reg("STATUS").f(n).get(s));
    let mode = st("mode").map(Mode::from_field);
    let live: Vec<&CpuModel> = match mode {
        Some(Mode::Duplex) => vec![&run.sys.cpu_a, &run.sys.cpu_b],
        Some(Mode::SimplexA) => vec![&run.sys.cpu_a],
        Some(Mode::SimplexB) => vec![&run.sys.cpu_b],
        _ => vec![],
    };
    // Corruption: a CPU the final mode trusts accepted something the golden run did not give
    // it. An isolated CPU is out of the system (its fault was its own link's: a lost or extra
    // word on it is what isolated it), so what it accepts is not the core's output.
    let trusted = |name: &str| match mode {
        Some(Mode::SimplexA) => name == "CPU A",
        Some(Mode::SimplexB) => name == "CPU B",
        _ => true,
    };
    for (name, cpu) in [("CPU A", &run.sys.cpu_a), ("CPU B", &run.sys.cpu_b)] {
        if !trusted(name) {
            continue;
        }
        for (i, c) in cpu.completions.iter().enumerate() {
            let accepted = !c.parity_error && c.status & 1 == 0;
            if accepted && (i >= golden.len() || c.op != golden[i].op || c.read_data != golden[i].read_data) {
                return (Outcome::SilentCorruption, format!("{name} accepted a wrong completion for operation {i}"));
            }
        }
    }
    let acked = |cpu: &CpuModel| {
        cpu.completions.iter().filter(|c| matches!(c.op, Op::Write { .. }) && c.status & 1 == 0).count()
    };
    let acked = acked(&run.sys.cpu_a).max(acked(&run.sys.cpu_b));
    for (name, failed, disk) in [("disk A", "disk_a_failed", &run.sys.disk_a), ("disk B", "disk_b_failed", &run.sys.disk_b)] {
        if st(failed) == Some(1) {
            continue;
        }
        let h = disk.image.sha256();
        match prefixes.iter().position(|p| *p == h) {
            Some(j) if j >= acked => {}
            Some(j) => {
                return (Outcome::SilentCorruption, format!("healthy {name} lacks acknowledged writes ({j} of {acked})"));
            }
            None => return (Outcome::SilentCorruption, format!("healthy {name} holds data no prefix of the writes gives")),
        }
    }
    let clean = |c: &CpuModel| {
        c.errors.is_empty()
            && c.rx.errors.is_empty()
            && c.completions.len() == ops.len()
            && c.completions.iter().zip(golden).all(|(x, y)| same(x, y))
    };
    let flagged = run.irq_cycle.is_some();
    let mode_name = mode.map_or("?", |m| m.name());
    if run.status.is_none() {
        return (Outcome::SilentDisruption, "the host got no STATUS answer".into());
    }
    if !flagged {
        if clean(&run.sys.cpu_a) && clean(&run.sys.cpu_b) && prefixes.last().is_some_and(|g| *g == run.sys.disk_a.image.sha256() && *g == run.sys.disk_b.image.sha256()) {
            return (Outcome::Masked, String::new());
        }
        // Only a disk that hung for good with nothing waiting for it: one that stopped for a
        // while and was not flagged must have been masked.
        if let Some(Fault::Stop { unit: unit @ (Unit::DiskA | Unit::DiskB), cycles: None, .. }) = fault {
            let i = if *unit == Unit::DiskA { 0 } else { 1 };
            if !run.waiting[i] {
                return (Outcome::DiskSilent, "no word waits for it: the CPUs wait for its answer".into());
            }
        }
        return (Outcome::SilentDisruption, format!("nothing flagged, mode {mode_name}, workload not as in the golden run"));
    }
    if mode == Some(Mode::Halted) {
        return (Outcome::Halted, String::new());
    }
    if !live.is_empty() && live.iter().all(|c| clean(c)) {
        return (Outcome::Recovered, String::new());
    }
    let why = live
        .iter()
        .find(|c| !clean(c))
        .map(|c| {
            c.errors.first().cloned().unwrap_or_else(|| format!("{} of {} operations completed", c.completions.len(), ops.len()))
        })
        .unwrap_or_default();
    (Outcome::Disrupted, why)
}

/// Runs a campaign; `progress(done, total)` after each run.
pub fn run_campaign(cfg: &CampaignConfig, progress: &mut dyn FnMut(usize, usize)) -> Result<CampaignReport, String> {
    if cfg.faults == 0 {
        return Err("a campaign needs at least one fault".into());
    }
    if cfg.writes == 0 {
        return Err("the workload needs at least one write".into());
    }
    let start = Instant::now();
    let lib = load(&ftio_hdl::core_verilog(&cfg.params)?)?;
    let (_, ops, capacity) = workload(cfg);
    let writes: Vec<&Op> = ops.iter().filter(|o| matches!(o, Op::Write { .. })).collect();
    let prefixes: Vec<[u8; 32]> =
        (0..=writes.len()).map(|j| golden_sha256(capacity, &writes[..j].iter().map(|o| (*o).clone()).collect::<Vec<_>>())).collect();
    let golden = run_one(&lib, cfg, None, 5_000_000);
    let g = &golden.sys;
    let golden_ok = g.cpu_a.done() && g.cpu_b.done() && g.cpu_a.errors.is_empty() && g.cpu_b.errors.is_empty()
        && golden.irq_cycle.is_none()
        && g.disk_a.image.sha256() == prefixes[writes.len()]
        && g.disk_b.image.sha256() == prefixes[writes.len()];
    if !golden_ok {
        return Err("the fault-free run did not complete cleanly: no golden reference".into());
    }
    let golden_cycles = golden.cycles;
    let golden_completions = g.cpu_a.completions.clone();
    let mut runs = vec![];
    for index in 0..cfg.faults {
        let fault = draw_fault(cfg.seed, index, golden_cycles);
        let extra = match &fault {
            Fault::Stop { cycles: Some(n), .. } => *n,
            _ => 0,
        };
        let run = run_one(&lib, cfg, Some(&fault), 3 * golden_cycles + extra + 20_000);
        let (outcome, note) = classify(&run, Some(&fault), &golden_completions, &prefixes, &ops);
        let st = |n: &str| run.status.map(|s| reg("STATUS").f(n).get(s));
        runs.push(RunResult {
            index,
            fault,
            outcome,
            irq_cycle: run.irq_cycle,
            mode: st("mode").map(Mode::from_field),
            cause: st("cause"),
            note,
            cycles: run.cycles,
        });
        progress(index + 1, cfg.faults);
    }
    Ok(CampaignReport { config: cfg.clone(), golden_cycles, runs, seconds: start.elapsed().as_secs_f64() })
}

impl CampaignReport {
    /// Runs of `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.runs.iter().filter(|r| r.outcome == outcome).count()
    }

    /// Runs that are failures of the core.
    pub fn failures(&self) -> usize {
        self.runs.iter().filter(|r| r.outcome.is_failure()).count()
    }

    /// The table of every run and the totals.
    pub fn text(&self) -> String {
        let c = &self.config;
        let mut s = format!(
            "ftio campaign: {} single faults, seed {}; workload: {} writes + read-backs in lockstep (CPU B {} cycles behind), golden run {} cycles\n\n",
            c.faults, c.seed, c.writes, c.skew, self.golden_cycles
        );
        s += &format!("{:>5}  {:<44} {:<24} {:>8}  {:<10} {}\n", "run", "fault", "outcome", "irq", "mode", "cause / note");
        for r in &self.runs {
            let cause = r.cause.filter(|&c| c != 0).map(Cause::name_of).unwrap_or_default();
            let note = if r.note.is_empty() { cause } else if cause.is_empty() { r.note.clone() } else { format!("{cause}; {}", r.note) };
            s += &format!(
                "{:>5}  {:<44} {:<24} {:>8}  {:<10} {}\n",
                r.index,
                r.fault.to_string(),
                r.outcome.name(),
                r.irq_cycle.map_or("-".into(), |c| c.to_string()),
                r.mode.map_or("?", |m| m.name()),
                note
            );
        }
        s += "\noutcome                   runs\n";
        for o in Outcome::ALL {
            s += &format!("{:<24} {:>5}\n", o.name(), self.count(o));
        }
        s += &format!(
            "\nftio campaign: {} runs in {:.1} s; {} silent failure{}\n",
            self.runs.len(),
            self.seconds,
            self.failures(),
            if self.failures() == 1 { "" } else { "s" }
        );
        s
    }

    /// The report as JSON.
    pub fn json(&self) -> Json {
        let c = &self.config;
        obj([
            ("tool", "ftio campaign".into()),
            ("faults", c.faults.into()),
            ("seed", c.seed.into()),
            ("workload_seed", c.workload_seed.into()),
            ("writes", c.writes.into()),
            ("skew_cycles", c.skew.into()),
            ("golden_cycles", self.golden_cycles.into()),
            (
                "totals",
                Json::Obj(Outcome::ALL.iter().map(|o| (o.name().to_string(), self.count(*o).into())).collect()),
            ),
            (
                "runs",
                Json::Arr(
                    self.runs
                        .iter()
                        .map(|r| {
                            obj([
                                ("run", r.index.into()),
                                ("fault", r.fault.to_string().into()),
                                ("outcome", r.outcome.name().into()),
                                ("irq_cycle", r.irq_cycle.into()),
                                ("mode", r.mode.map(|m| m.name()).into()),
                                ("cause", r.cause.map(Cause::name_of).into()),
                                ("note", r.note.clone().into()),
                                ("cycles", r.cycles.into()),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("silent_failures", self.failures().into()),
            ("seconds", self.seconds.into()),
        ])
    }
}
