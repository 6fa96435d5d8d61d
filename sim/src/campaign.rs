//! `ftio campaign`: random single faults, each in a fresh Verilator run of the same lockstep
//! workload, each outcome classified against the fault-free (golden) run of its lockstep form.
//!
//! Lockstep form (one per run, drawn from the campaign seed, independently of the fault):
//! - *elastic* (power-on): CPU B starts `skew` cycles after CPU A and, because in elastic
//!   DUPLEX both CPUs get each completion in the same cycle, also thinks `skew` cycles longer;
//! - *strict* with D drawn from 0..OFFSET_MAX-1 of the build: the host writes OFFSET = D and
//!   CTRL.lockstep = strict over the UART while both CPUs are idle, then CPU A starts at
//!   [`STRICT_START`] and CPU B — the same deterministic model, same seed — exactly D cycles
//!   later; the core gives B exactly A's I/O D cycles later, so B is A's replica. Strict
//!   faults are drawn after [`STRICT_START`].
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
use ftio_hdl::BuildParams;
use ftio_proto::{reg, Cause, Mode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// Cycle at which both CPUs of a strict run may start (CPU B D cycles later): the host's
/// two register writes (OFFSET, then CTRL with lockstep = strict) take about 2 600 cycles on
/// the fast UART; [`run_campaign`] checks they were answered by then.
pub const STRICT_START: u64 = 3_000;

/// The lockstep form of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Form {
    /// Elastic lockstep (power-on), CPU B `skew` cycles behind.
    Elastic,
    /// Strict lockstep, CPU B exactly `offset` (= OFFSET = D) cycles behind CPU A.
    Strict {
        /// D.
        offset: u64,
    },
}

impl Form {
    /// "elastic" or "strict".
    pub fn kind(self) -> &'static str {
        match self {
            Form::Elastic => "elastic",
            Form::Strict { .. } => "strict",
        }
    }

    /// D of a strict run.
    pub fn offset(self) -> Option<u64> {
        match self {
            Form::Elastic => None,
            Form::Strict { offset } => Some(offset),
        }
    }

    /// The cycle from which faults are drawn: the workload's start.
    pub fn start(self) -> u64 {
        match self {
            Form::Elastic => 0,
            Form::Strict { .. } => STRICT_START,
        }
    }
}

impl std::fmt::Display for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Form::Elastic => write!(f, "elastic"),
            Form::Strict { offset } => write!(f, "strict D={offset}"),
        }
    }
}

/// The lockstep forms a campaign draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forms {
    /// Elastic runs only.
    Elastic,
    /// Strict runs only (D drawn per run).
    Strict,
    /// Each run elastic or strict with probability 1/2 (D drawn per strict run).
    Both,
}

impl std::str::FromStr for Forms {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "elastic" => Ok(Forms::Elastic),
            "strict" => Ok(Forms::Strict),
            "both" => Ok(Forms::Both),
            _ => Err(format!("unknown lockstep form {s:?}: elastic, strict or both")),
        }
    }
}

/// Draws the lockstep form of run `index` of a campaign with seed `seed`: D uniform in
/// `0..offset_max` (OFFSET_MAX of the build: 2^offset_max_log2).
pub fn draw_form(seed: u64, index: usize, forms: Forms, offset_max: u64) -> Form {
    // A stream of its own, so the faults drawn for a seed do not depend on the forms.
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ index as u64 ^ 0x5717_1C7F);
    let strict = match forms {
        Forms::Elastic => false,
        Forms::Strict => true,
        Forms::Both => rng.gen_bool(0.5),
    };
    if strict {
        Form::Strict { offset: rng.gen_range(0..offset_max.max(1)) }
    } else {
        Form::Elastic
    }
}

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

impl Fault {
    /// The cycle the fault happens (begins).
    pub fn cycle(&self) -> u64 {
        match self {
            Fault::Flip { cycle, .. } | Fault::Stop { cycle, .. } | Fault::Diverge { cycle, .. } => *cycle,
        }
    }

    /// The kind of fault, as the report's per-kind table groups them.
    pub fn kind(&self) -> String {
        match self {
            Fault::Flip { port: Port::Link(l, sig), .. } => {
                let who = match l {
                    Link::CpuATx | Link::CpuBTx => "CPU tx",
                    Link::CpuARx | Link::CpuBRx => "CPU rx",
                    Link::DiskARx | Link::DiskBRx => "disk rx",
                    Link::DiskATx | Link::DiskBTx => "disk tx",
                };
                let what = match sig {
                    LinkSignal::Data | LinkSignal::Par => "`data` / `par`",
                    LinkSignal::Ready | LinkSignal::Rpar => "`ready` / `rpar`",
                    _ => "`valid` / `last` / `abort` / `cpar`",
                };
                format!("flip {who} {what}")
            }
            Fault::Flip { port, .. } => format!("flip {port}"),
            Fault::Stop { unit: Unit::CpuA | Unit::CpuB, cycles: Some(n), .. } => format!("CPU stops {n} cycles"),
            Fault::Stop { unit: Unit::CpuA | Unit::CpuB, cycles: None, .. } => "CPU hangs".into(),
            Fault::Stop { cycles: Some(n), .. } => format!("disk stops {n} cycles"),
            Fault::Stop { cycles: None, .. } => "disk hangs".into(),
            Fault::Diverge { .. } => "CPU word differs (good parity)".into(),
        }
    }
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
    /// Lockstep form.
    pub form: Form,
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
    /// Elastic runs: CPU B behind CPU A, cycles.
    pub skew: u64,
    /// Lockstep forms drawn.
    pub forms: Forms,
    /// Core build: the default datapath with a fast UART (8 clocks per bit), so the final
    /// STATUS read costs about 1 500 cycles.
    pub params: BuildParams,
}

impl Default for CampaignConfig {
    fn default() -> Self {
        Self { faults: 100, seed: 1, workload_seed: 1, writes: 8, skew: 8, forms: Forms::Both, params: fast_uart_params() }
    }
}

/// The result of a campaign.
#[derive(Clone, Debug)]
pub struct CampaignReport {
    /// The configuration.
    pub config: CampaignConfig,
    /// Cycles of the golden run of each lockstep form the campaign drew.
    pub golden: BTreeMap<Form, u64>,
    /// One per fault.
    pub runs: Vec<RunResult>,
    /// Wall time, seconds.
    pub seconds: f64,
}

fn workload(cfg: &CampaignConfig, form: Form) -> (System, Vec<Op>, u64) {
    let capacity = 512;
    let ops = crate::demo::demo_workload(cfg.workload_seed, cfg.writes, capacity, 4);
    let cpu = CpuConfig { seed: cfg.workload_seed ^ 0xCA, gap: 0.05, stall: 0.1, data_fis_sectors: 2, think: 4, ..Default::default() };
    let disk = DiskConfig { seed: cfg.workload_seed ^ 0xDA, gap: 0.05, stall: 0.1, latency: 12, data_fis_sectors: 2 };
    let sys = match form {
        Form::Elastic => System::lockstep(cpu, &ops, cfg.skew, disk, capacity),
        Form::Strict { offset } => System::strict(cpu, &ops, STRICT_START, offset, disk, capacity),
    };
    (sys, ops, capacity)
}

/// Draws fault number `index` of a campaign with seed `seed`, in a cycle from `from + 1` up
/// to `golden_cycles - 1` (the golden run of the run's lockstep form; `from` is its
/// [`Form::start`]).
pub fn draw_fault(seed: u64, index: usize, from: u64, golden_cycles: u64) -> Fault {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index as u64);
    let cycle = rng.gen_range(from + 1..golden_cycles.max(from + 2));
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
    /// Strict runs: the host's OFFSET and CTRL writes were answered OK before
    /// [`STRICT_START`].
    setup: Result<(), String>,
}

fn run_one(lib: &Arc<VerilatedLib>, cfg: &CampaignConfig, form: Form, fault: Option<&Fault>, max_cycles: u64) -> Run {
    let (mut sys, _, _) = workload(cfg, form);
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
    if let Form::Strict { offset } = form {
        // As a host does it (ftctl set offset D; ftctl set lockstep strict), while the CPUs
        // are idle; CTRL written with mode DUPLEX, the rest power-on.
        let ctrl = reg("CTRL");
        rig.host.write("OFFSET", "OFFSET", offset as u32);
        rig.host.write("CTRL strict", "CTRL", ctrl.f("lockstep").insert(ctrl.f("mode").insert(0, 0), 1));
    }
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
    // The strict set-up: both writes answered OK before the CPUs started.
    let setup = match form {
        Form::Elastic => Ok(()),
        Form::Strict { .. } => {
            let writes = &rig.host.answers[..rig.host.answers.len().min(2)];
            match writes.iter().find(|a| a.result.is_err() || a.cycle >= STRICT_START) {
                _ if writes.len() < 2 => Err("the strict set-up writes were not answered".to_string()),
                Some(a) => Err(format!("set-up write {} at cycle {}: {:?}", a.label, a.cycle, a.result)),
                None => Ok(()),
            }
        }
    };
    Run { cycles: rig.cycle, irq_cycle, status, sys: rig.sys, waiting, setup }
}

fn op_name(op: &Op) -> String {
    match op {
        Op::Write { lba, data } => format!("write of {} sectors at {lba}", data.len() / crate::models::fis::SECTOR_BYTES),
        Op::Read { lba, sectors } => format!("read of {sectors} sectors at {lba}"),
    }
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
                // What the CPU itself noticed about it, if anything (its first error from the
                // cycle of that completion), so the report says what went wrong.
                let seen = cpu.errors.iter().find(|e| e.starts_with(&format!("cycle {}:", c.completed_at)));
                let what = match (&c.op, golden.get(i)) {
                    (op, Some(g)) if *op != g.op => format!("{op_kind} instead of the golden {g_kind}", op_kind = op_name(op), g_kind = op_name(&g.op)),
                    (op, _) => format!("{} with other data", op_name(op)),
                };
                return (
                    Outcome::SilentCorruption,
                    format!(
                        "{name} accepted a wrong completion for operation {i} at its cycle {} ({what}{})",
                        c.completed_at,
                        seen.map(|e| format!("; it noted: {}", e.split_once(": ").map_or(e.as_str(), |x| x.1))).unwrap_or_default()
                    ),
                );
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

/// The golden run of one lockstep form.
struct Golden {
    cycles: u64,
    completions: Vec<Completion>,
}

/// Runs the fault-free run of `form` and checks it completed cleanly.
fn golden_run(lib: &Arc<VerilatedLib>, cfg: &CampaignConfig, form: Form, prefixes: &[[u8; 32]]) -> Result<Golden, String> {
    let golden = run_one(lib, cfg, form, None, 5_000_000);
    golden.setup.clone().map_err(|e| format!("{form} golden run: {e}"))?;
    let g = &golden.sys;
    let image = prefixes.last().expect("the empty prefix at least");
    let golden_ok = g.cpu_a.done()
        && g.cpu_b.done()
        && g.cpu_a.errors.is_empty()
        && g.cpu_b.errors.is_empty()
        && golden.irq_cycle.is_none()
        && g.disk_a.image.sha256() == *image
        && g.disk_b.image.sha256() == *image
        && g.cpu_a.completions.len() == g.cpu_b.completions.len()
        && g.cpu_a.completions.iter().zip(&g.cpu_b.completions).all(|(a, b)| same(a, b));
    if !golden_ok {
        let errors: Vec<&String> = g.cpu_a.errors.iter().chain(&g.cpu_b.errors).take(3).collect();
        return Err(format!(
            "the fault-free {form} run did not complete cleanly (irq at {:?}, CPU errors {errors:?}): no golden reference",
            golden.irq_cycle
        ));
    }
    Ok(Golden { cycles: golden.cycles, completions: g.cpu_a.completions.clone() })
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
    let (_, ops, capacity) = workload(cfg, Form::Elastic);
    let writes: Vec<&Op> = ops.iter().filter(|o| matches!(o, Op::Write { .. })).collect();
    let prefixes: Vec<[u8; 32]> =
        (0..=writes.len()).map(|j| golden_sha256(capacity, &writes[..j].iter().map(|o| (*o).clone()).collect::<Vec<_>>())).collect();
    let offset_max = 1u64 << cfg.params.offset_max_log2;
    let mut goldens: BTreeMap<Form, Golden> = BTreeMap::new();
    let mut runs = vec![];
    for index in 0..cfg.faults {
        let form = draw_form(cfg.seed, index, cfg.forms, offset_max);
        if !goldens.contains_key(&form) {
            let g = golden_run(&lib, cfg, form, &prefixes)?;
            // Every form does the same operations and must get the same answers.
            if let Some(other) = goldens.values().next() {
                if other.completions.len() != g.completions.len()
                    || other.completions.iter().zip(&g.completions).any(|(a, b)| !same(a, b))
                {
                    return Err(format!("the fault-free {form} run's completions differ from the other forms'"));
                }
            }
            goldens.insert(form, g);
        }
        let golden = &goldens[&form];
        let fault = draw_fault(cfg.seed, index, form.start(), golden.cycles);
        let extra = match &fault {
            Fault::Stop { cycles: Some(n), .. } => *n,
            _ => 0,
        };
        let run = run_one(&lib, cfg, form, Some(&fault), 3 * golden.cycles + extra + 20_000);
        let (outcome, note) = match &run.setup {
            Err(e) => (Outcome::SilentDisruption, format!("strict set-up: {e}")),
            Ok(()) => classify(&run, Some(&fault), &golden.completions, &prefixes, &ops),
        };
        let st = |n: &str| run.status.map(|s| reg("STATUS").f(n).get(s));
        runs.push(RunResult {
            index,
            form,
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
    let golden = goldens.into_iter().map(|(f, g)| (f, g.cycles)).collect();
    Ok(CampaignReport { config: cfg.clone(), golden, runs, seconds: start.elapsed().as_secs_f64() })
}

impl CampaignReport {
    /// Runs of `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.runs.iter().filter(|r| r.outcome == outcome).count()
    }

    /// Runs of `outcome` in lockstep form `kind` ("elastic" or "strict").
    pub fn count_in(&self, kind: &str, outcome: Outcome) -> usize {
        self.runs.iter().filter(|r| r.form.kind() == kind && r.outcome == outcome).count()
    }

    /// Runs in lockstep form `kind`.
    pub fn runs_in(&self, kind: &str) -> usize {
        self.runs.iter().filter(|r| r.form.kind() == kind).count()
    }

    /// Runs that are failures of the core.
    pub fn failures(&self) -> usize {
        self.runs.iter().filter(|r| r.outcome.is_failure()).count()
    }

    /// Cycles of the golden run of `form` (if the campaign drew it).
    pub fn golden_cycles(&self, form: Form) -> Option<u64> {
        self.golden.get(&form).copied()
    }

    /// The table of every run, the totals per lockstep form, and per fault kind.
    pub fn text(&self) -> String {
        let c = &self.config;
        let strict_d: Vec<String> = self.golden.keys().filter_map(|f| f.offset()).map(|d| d.to_string()).collect();
        let mut s = format!(
            "ftio campaign: {} single faults, seed {}; workload: {} writes + read-backs in lockstep — elastic (CPU B {} cycles behind) \
             and strict (CPU B exactly D cycles behind, OFFSET_MAX {}; D drawn: {}); golden runs: {}\n\n",
            c.faults,
            c.seed,
            c.writes,
            c.skew,
            1u64 << c.params.offset_max_log2,
            if strict_d.is_empty() { "none".into() } else { strict_d.join(" ") },
            self.golden.iter().map(|(f, n)| format!("{f} {n}")).collect::<Vec<_>>().join(", ")
        );
        s += &format!("{:>5}  {:<11} {:<44} {:<24} {:>8}  {:<10} {}\n", "run", "lockstep", "fault", "outcome", "irq", "mode", "cause / note");
        for r in &self.runs {
            let cause = r.cause.filter(|&c| c != 0).map(Cause::name_of).unwrap_or_default();
            let note = if r.note.is_empty() { cause } else if cause.is_empty() { r.note.clone() } else { format!("{cause}; {}", r.note) };
            s += &format!(
                "{:>5}  {:<11} {:<44} {:<24} {:>8}  {:<10} {}\n",
                r.index,
                r.form.to_string(),
                r.fault.to_string(),
                r.outcome.name(),
                r.irq_cycle.map_or("-".into(), |c| c.to_string()),
                r.mode.map_or("?", |m| m.name()),
                note
            );
        }
        s += &format!("\n{:<24} {:>7} {:>7} {:>7}\n", "outcome", "elastic", "strict", "all");
        for o in Outcome::ALL {
            s += &format!("{:<24} {:>7} {:>7} {:>7}\n", o.name(), self.count_in("elastic", o), self.count_in("strict", o), self.count(o));
        }
        s += &format!("{:<24} {:>7} {:>7} {:>7}\n", "runs", self.runs_in("elastic"), self.runs_in("strict"), self.runs.len());
        for kind in ["elastic", "strict"] {
            if self.runs_in(kind) == 0 {
                continue;
            }
            s += &format!(
                "\n{kind}: by fault kind{:>w$}  runs  masked  recovered  halted  disrupted  disk-silent  silent-disruption  silent-corruption\n",
                "",
                w = 50 - kind.len() - 15
            );
            let mut kinds: BTreeMap<String, [usize; 7]> = BTreeMap::new();
            for r in self.runs.iter().filter(|r| r.form.kind() == kind) {
                let i = Outcome::ALL.iter().position(|&o| o == r.outcome).expect("listed");
                kinds.entry(r.fault.kind()).or_default()[i] += 1;
            }
            for (k, n) in &kinds {
                s += &format!(
                    "  {:<48} {:>5}  {:>6}  {:>9}  {:>6}  {:>9}  {:>11}  {:>17}  {:>17}\n",
                    k,
                    n.iter().sum::<usize>(),
                    n[0],
                    n[1],
                    n[2],
                    n[3],
                    n[4],
                    n[5],
                    n[6]
                );
            }
        }
        s += &format!(
            "\nftio campaign: {} runs ({} elastic, {} strict) in {:.1} s; {} silent failure{}\n",
            self.runs.len(),
            self.runs_in("elastic"),
            self.runs_in("strict"),
            self.seconds,
            self.failures(),
            if self.failures() == 1 { "" } else { "s" }
        );
        s
    }

    fn totals(&self, kind: Option<&str>) -> Json {
        Json::Obj(
            Outcome::ALL
                .iter()
                .map(|&o| (o.name().to_string(), kind.map_or(self.count(o), |k| self.count_in(k, o)).into()))
                .collect(),
        )
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
            ("offset_max", (1u64 << c.params.offset_max_log2).into()),
            (
                "golden_cycles",
                Json::Obj(self.golden.iter().map(|(f, n)| (f.to_string(), (*n).into())).collect()),
            ),
            ("totals", self.totals(None)),
            (
                "totals_by_lockstep",
                obj([("elastic", self.totals(Some("elastic"))), ("strict", self.totals(Some("strict")))]),
            ),
            ("runs_by_lockstep", obj([("elastic", self.runs_in("elastic").into()), ("strict", self.runs_in("strict").into())])),
            (
                "runs",
                Json::Arr(
                    self.runs
                        .iter()
                        .map(|r| {
                            obj([
                                ("run", r.index.into()),
                                ("lockstep", r.form.kind().into()),
                                ("offset", r.form.offset().into()),
                                ("fault", r.fault.to_string().into()),
                                ("fault_kind", r.fault.kind().into()),
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
