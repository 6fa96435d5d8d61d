//! `ftio demo`: the whole system in simulation — two CPU models in elastic lockstep running a
//! storage workload through the generated `ftio_core` (Verilator) to two disk models — with
//! one fault per scenario, a timeline of what the core did about it, the host's view over
//! the UART (registers read with SPEC §5 frames), the disk images against the golden image,
//! and a waveform of the cycles around the fault.
//!
//! Scenarios ([`DemoKind`]), each a fresh power-on run of the same workload (writes, then a
//! read-back of every range written). The fault hits write number `writes / 2` — the
//! *fault write* — at the 64th dword of its first Data FIS:
//! - `failover`: CPU A's link delivers that word with data bit 13 flipped and its parity as
//!   sent. The core sees the parity error, names CPU A, fails over to SIMPLEX_B without
//!   losing a word of CPU B's stream; the workload completes on CPU B; both disks golden.
//! - `mismatch`: CPU B sends that word with a different value and good parity (a CPU that
//!   computed something else). Nobody can tell which CPU is right: the core halts, the
//!   word never reaches a disk, the write's Data FIS is ended with the abort word on both
//!   disks, the CPUs are held off. Both disks hold exactly the writes before the fault.
//! - `disk-fault`: disk B hangs (stops taking words) once it has that word. After
//!   DISK_TIMEOUT (4096) cycles with a word waiting, the core marks it failed and mirrors to
//!   disk A alone; the workload completes; disk A golden, disk B the writes before the fault.
//! - `rebuild`: disk B hangs as in `disk-fault` and is failed; the host swaps in a blank disk
//!   B, acknowledges the fault (disk B stays failed), readmits it (rebuilding: it joins at a
//!   frame boundary), and the CPUs copy every sector — read from disk A, written back, so the
//!   mirror writes it to both — interleaved with the rest of the workload; with no command
//!   outstanding the host says the copy is done (disk B healthy). Both images golden.
use crate::error::{IoAt, SimError};
use crate::link::SourceFault;
use crate::models::image::ImageError;
use crate::models::cpu::{CpuConfig, CpuModel, Op};
use crate::models::disk::{DiskConfig, DiskModel};
use crate::models::fis::SECTOR_BYTES;
use crate::models::golden_sha256;
use crate::port::Link;
use crate::rig::{Answer, Pins, RegHost, Rig};
use crate::system::{Freeze, System, Trigger, Unit};
use crate::vcd::{vcd, Marker, Sample};
use crate::verilator::{load, VerilatedLib};
use ftio_hdl::BuildParams;
use ftio_proto::{by_addr, reg, Cause, Mode, MODE_KEEP};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// One demo scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoKind {
    /// A parity fault on CPU A's link: hitless fail-over to SIMPLEX_B.
    Failover,
    /// A content mismatch between the CPUs: containment and HALTED.
    Mismatch,
    /// Disk B hangs: degraded mirror on disk A.
    DiskFault,
    /// Disk B fails, is replaced blank, readmitted and rebuilt while the workload goes on.
    Rebuild,
}

impl DemoKind {
    /// Every scenario, in the order the demo runs them.
    pub const ALL: [DemoKind; 4] = [DemoKind::Failover, DemoKind::Mismatch, DemoKind::DiskFault, DemoKind::Rebuild];

    /// The name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            DemoKind::Failover => "failover",
            DemoKind::Mismatch => "mismatch",
            DemoKind::DiskFault => "disk-fault",
            DemoKind::Rebuild => "rebuild",
        }
    }

    /// One line saying what it shows.
    pub fn title(self) -> &'static str {
        match self {
            DemoKind::Failover => "parity fault on CPU A's link -> hitless fail-over to SIMPLEX_B",
            DemoKind::Mismatch => "CPU B computes a different word -> containment and HALTED",
            DemoKind::DiskFault => "disk B hangs -> degraded mirror, the workload completes on disk A",
            DemoKind::Rebuild => "disk B fails, a blank disk B is readmitted and rebuilt by the CPUs while the workload goes on",
        }
    }

    /// The scenario called `name`.
    pub fn parse(name: &str) -> Result<DemoKind, DemoError> {
        DemoKind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| DemoError::UnknownScenario {
            name: name.to_string(),
            demo: "",
            scenarios: DemoKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
        })
    }
}

/// Why a demo (`ftio demo`, with link-level CPU models or PicoRV32s) could not run or did
/// not finish.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// `--scenario` names no scenario of this demo (`demo`: "" or " for --cpu picorv32").
    #[error("unknown scenario `{name}`{demo}: the scenarios are {scenarios}")]
    UnknownScenario { name: String, demo: &'static str, scenarios: String },
    #[error("no scenario to run")]
    NoScenario,
    #[error("the workload needs at least 2 writes (the fault hits the middle one)")]
    TooFewWrites,
    #[error("max sectors per write must be 1..=16 and fit the {capacity}-sector disk")]
    MaxSectors { capacity: u64 },
    /// The strict offset D is beyond the build's OFFSET register.
    #[error("offset {offset} is beyond this build's OFFSET range 0..={max}")]
    Offset { offset: u64, max: u64 },
    /// The build parameters cannot be built.
    #[error(transparent)]
    Params(#[from] ftio_proto::ParamsError),
    /// A model (the core, or the PicoRV32 side) could not be built or loaded.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// An output directory or waveform could not be made or written (check `--out`).
    #[error(transparent)]
    Io(#[from] IoAt),
    /// A disk image could not be saved.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// A scenario ran out of cycles (`--max-cycles`) before its work was done; the message
    /// says how far each CPU got and the last events of its timeline.
    #[error("{0}")]
    NotFinished(String),
}

/// What the demo runs.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    /// Core build parameters (the demo runs the real default build).
    pub params: BuildParams,
    /// Seed of the workload and of the models' gaps and back-pressure.
    pub seed: u64,
    /// Writes in the workload (each then read back).
    pub writes: usize,
    /// Largest write, in sectors.
    pub max_sectors: u32,
    /// Disk size in sectors.
    pub capacity: u64,
    /// CPU B runs this many cycles behind CPU A (elastic lockstep skew).
    pub skew: u64,
    /// Scenarios to run, in order.
    pub kinds: Vec<DemoKind>,
    /// Cycles of waveform before the fault.
    pub vcd_before: u64,
    /// Cycles of waveform after the fault is detected.
    pub vcd_after: u64,
    /// Cycles the halted core is watched to show nothing more moves.
    pub halt_watch: u64,
    /// Give up on a scenario after this many cycles.
    pub max_cycles: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            params: BuildParams::default(),
            seed: 1,
            writes: 24,
            max_sectors: 8,
            capacity: 2048,
            skew: 24,
            kinds: DemoKind::ALL.to_vec(),
            vcd_before: 200,
            vcd_after: 200,
            halt_watch: 20_000,
            max_cycles: 20_000_000,
        }
    }
}

/// Where a scenario is, for a progress display.
#[derive(Clone, Debug)]
pub struct Progress<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// 1-based position and the number of scenarios.
    pub index: usize,
    /// Number of scenarios.
    pub of: usize,
    /// Cycles simulated in this scenario.
    pub cycle: u64,
    /// Operations completed by the CPU furthest ahead.
    pub ops_done: usize,
    /// Operations in the workload.
    pub ops_total: usize,
}

/// One line of a timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Core clock cycle (from power-on).
    pub cycle: u64,
    /// What happened.
    #[serde(rename = "event")]
    pub text: String,
}

/// One check of a scenario's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// What is claimed.
    #[serde(rename = "check")]
    pub what: String,
    /// Whether the run bears it out.
    pub ok: bool,
}

/// A disk image at the end of a run against what it should hold.
#[derive(Clone, Debug, Serialize)]
pub struct ImageResult {
    /// "disk A" / "disk B".
    pub disk: &'static str,
    /// SHA-256 of the image.
    pub sha256: String,
    /// SHA-256 it should have.
    #[serde(rename = "expected_sha256")]
    pub expected: String,
    /// What the expectation is ("all 24 writes", "the 12 writes before the fault").
    #[serde(rename = "expected")]
    pub expected_what: String,
    /// Whether the image holds what it should.
    pub matches: bool,
    /// The image file written.
    pub file: Option<PathBuf>,
}

impl ImageResult {
    /// `disk`'s image of SHA-256 `sha256` against the `expected` one (`what` says which).
    pub fn new(disk: &'static str, sha256: String, expected: String, what: String, file: Option<PathBuf>) -> Self {
        let matches = sha256 == expected;
        Self { disk, sha256, expected, expected_what: what, matches, file }
    }
}

/// Register values read at the end, as one JSON object in the order read.
pub(crate) fn registers_json(registers: &[(String, u32)]) -> Value {
    Value::Object(registers.iter().map(|(n, v)| (n.clone(), json!(v))).collect())
}

/// A waveform file and its cycle range, as JSON (`null` when none was written).
pub(crate) fn vcd_json(vcd: &Option<(PathBuf, u64, u64)>) -> Value {
    vcd.as_ref().map_or(Value::Null, |(p, a, b)| json!({ "file": p, "first_cycle": a, "last_cycle": b }))
}

/// The result of one scenario.
#[derive(Clone, Debug)]
pub struct ScenarioReport {
    /// Which.
    pub kind: DemoKind,
    /// The fault, in words.
    pub fault: String,
    /// Cycle the fault hit the core's pins.
    pub fault_cycle: Option<u64>,
    /// Cycle `irq` rose.
    pub irq_cycle: Option<u64>,
    /// Timeline.
    pub timeline: Vec<Event>,
    /// Register values the host read at the end (name, value), STATUS first.
    pub registers: Vec<(String, u32)>,
    /// Mode at the end (from STATUS).
    pub mode: Option<Mode>,
    /// First fault cause (from STATUS).
    pub cause: Option<u32>,
    /// Every fault cause latched (from FAULTS).
    pub faults: Vec<String>,
    /// Disk images.
    pub images: Vec<ImageResult>,
    /// SHA-256 of the golden image (every write of the workload applied to a blank disk).
    pub golden: String,
    /// Operations in the workload, writes among them.
    pub ops: (usize, usize),
    /// Operations each CPU completed (A, B).
    pub completed: (usize, usize),
    /// Words that moved on each link ([`Link`] order).
    pub link_words: [u64; 8],
    /// Frames each disk model received and executed (commands), A and B.
    pub disk_commands: (usize, usize),
    /// Checks.
    pub checks: Vec<Check>,
    /// The waveform file and its cycle range.
    pub vcd: Option<(PathBuf, u64, u64)>,
    /// Cycles simulated.
    pub cycles: u64,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl ScenarioReport {
    /// Every check holds.
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }

    /// A register the host read at the end.
    pub fn register(&self, name: &str) -> Option<u32> {
        self.registers.iter().find(|r| r.0 == name).map(|r| r.1)
    }
}

/// The whole demo.
#[derive(Clone, Debug)]
pub struct DemoReport {
    /// The configuration.
    pub config: DemoConfig,
    /// Output directory.
    pub out: PathBuf,
    /// One per scenario.
    pub scenarios: Vec<ScenarioReport>,
    /// Verilator model build time (seconds) and whether it came from the cache.
    pub build: (f64, bool),
    /// Wall time, seconds.
    pub seconds: f64,
}

impl DemoReport {
    /// Every scenario passed.
    pub fn passed(&self) -> bool {
        self.scenarios.iter().all(|s| s.passed())
    }
}

/// The demo workload: `writes` writes of 1..=`max_sectors` random sectors at random LBAs
/// (some overlap), then a read-back of every range written, in the same order.
pub fn demo_workload(seed: u64, writes: usize, capacity: u64, max_sectors: u32) -> Vec<Op> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0xD3_40);
    let mut ops = vec![];
    for _ in 0..writes {
        let sectors = rng.gen_range(1..=max_sectors);
        let lba = rng.gen_range(0..=capacity - sectors as u64);
        let mut data = vec![0u8; sectors as usize * SECTOR_BYTES];
        rng.fill(&mut data[..]);
        ops.push(Op::Write { lba, data });
    }
    let reads: Vec<Op> = ops.iter().map(|o| Op::Read { lba: o.lba(), sectors: o.sectors() }).collect();
    ops.extend(reads);
    ops
}

/// Words a CPU sends for `op` (Register H2D FIS, then its Data FISes of `fis_sectors`).
pub fn op_words(op: &Op, fis_sectors: u32) -> u64 {
    let data = match op {
        Op::Write { data, .. } => data.chunks(fis_sectors as usize * SECTOR_BYTES).map(|c| 1 + c.len() as u64 / 4).sum(),
        Op::Read { .. } => 0,
    };
    5 + data
}

pub(crate) fn hex(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

const CPU_FIS_SECTORS: u32 = 16;
/// Dword of the fault write's first Data FIS that the fault hits (0-based payload index).
pub const FAULT_DWORD: u64 = 63;

fn mode_name(m: u32) -> &'static str {
    Mode::from_field(m).name()
}

pub(crate) fn status_text(s: u32) -> String {
    let f = |n: &str| reg("STATUS").f(n).get(s);
    let mut t = format!("mode {}, cause {}", mode_name(f("mode")), Cause::name_of(f("cause")));
    for (field, what) in [
        ("cpu_a_failed", "CPU A failed"),
        ("cpu_b_failed", "CPU B failed"),
        ("disk_a_failed", "disk A failed"),
        ("disk_b_failed", "disk B failed"),
        ("disk_a_rebuilding", "disk A rebuilding"),
        ("disk_b_rebuilding", "disk B rebuilding"),
        ("halted", "halted"),
    ] {
        if f(field) == 1 {
            t += &format!(", {what}");
        }
    }
    t
}

pub(crate) fn fault_names(bits: u32) -> Vec<String> {
    (0..32).filter(|i| bits >> i & 1 == 1).map(Cause::name_of).collect()
}

/// Registers a read answer covered: (name, value).
pub(crate) fn named(a: &Answer) -> Vec<(String, u32)> {
    match &a.result {
        Ok(data) if a.req.cmd == ftio_proto::CMD_READ => data
            .iter()
            .enumerate()
            .filter_map(|(i, &v)| by_addr(a.req.addr + i as u16).map(|r| (r.name.to_string(), v)))
            .collect(),
        _ => vec![],
    }
}

pub(crate) fn describe_answer(a: &Answer) -> String {
    let regs = named(a);
    match &a.result {
        Err(e) => format!("host: {} failed: {}", a.label, crate::error::chain(e)),
        Ok(_) if a.req.cmd != ftio_proto::CMD_READ => format!("host: {} (write acknowledged)", a.label),
        Ok(_) => {
            let get = |n: &str| regs.iter().find(|r| r.0 == n).map(|r| r.1);
            if let Some(s) = get("STATUS") {
                let mut t = format!("host reads STATUS = {s:#010x}: {}", status_text(s));
                if let Some(f) = get("FAULTS") {
                    t += &format!("; FAULTS = {}", fault_names(f).join(" "));
                }
                t
            } else if let Some(c) = get("CAP_CAUSE") {
                let cyc = get("CAP_CYCLE_LO").unwrap_or(0) as u64 | (get("CAP_CYCLE_HI").unwrap_or(0) as u64) << 32;
                format!(
                    "host reads the first-fault capture: {} detected in cycle {cyc}, word pair #{}, data A {:#010x}, data B {:#010x}",
                    Cause::name_of(c),
                    get("CAP_WORD").unwrap_or(0),
                    get("CAP_DATA_A").unwrap_or(0),
                    get("CAP_DATA_B").unwrap_or(0)
                )
            } else {
                let list: Vec<String> = regs.iter().map(|(n, v)| format!("{n} {v}")).collect();
                format!("host reads {}: {}", a.label, list.join(", "))
            }
        }
    }
}

struct Timeline(Vec<Event>);

impl Timeline {
    fn push(&mut self, cycle: u64, text: impl Into<String>) {
        self.0.push(Event { cycle, text: text.into() });
    }

    /// A model scenario's first lines: the power-on state and the workload (`pacing`: how the
    /// CPUs run it).
    fn opening(cfg: &DemoConfig, pacing: &str) -> Self {
        let mut tl = Timeline(vec![]);
        tl.push(0, "power-on: DUPLEX, elastic lockstep, cut-through commit, auto fail-over, primary disk A");
        tl.push(
            0,
            format!("CPU A and CPU B start the same workload: {} writes of 1..{} sectors, then a read-back of each{pacing}", cfg.writes, cfg.max_sectors),
        );
        tl
    }
}

/// A model scenario's workload, its images and where the fault hits.
struct Workload {
    ops: Vec<Op>,
    /// SHA-256 of every write applied to a blank disk.
    golden: [u8; 32],
    /// The write the fault hits (the middle one).
    k: usize,
    /// SHA-256 of the writes before it.
    before_fault: [u8; 32],
    /// The word (0-based, in its sender's stream) the fault hits.
    fault_word: u64,
}

impl Workload {
    fn of(cfg: &DemoConfig) -> Self {
        let ops = demo_workload(cfg.seed, cfg.writes, cfg.capacity, cfg.max_sectors);
        let k = cfg.writes / 2;
        Workload { golden: golden_sha256(cfg.capacity, &ops), before_fault: golden_sha256(cfg.capacity, &ops[..k]), fault_word: fault_word_in(&ops, k), k, ops }
    }
}

/// Runs the demo: builds (or finds) the Verilator model, runs each scenario in a fresh
/// model, writes `out/<scenario>/{fault.vcd,disk_a.img,disk_b.img}` and returns the report.
/// `progress` is called every few thousand cycles.
pub fn run_demo(cfg: &DemoConfig, out: &Path, progress: &mut dyn FnMut(&Progress)) -> Result<DemoReport, DemoError> {
    if cfg.kinds.is_empty() {
        return Err(DemoError::NoScenario);
    }
    if cfg.writes < 2 {
        return Err(DemoError::TooFewWrites);
    }
    if cfg.max_sectors == 0 || cfg.max_sectors as u64 > cfg.capacity || cfg.max_sectors > 16 {
        return Err(DemoError::MaxSectors { capacity: cfg.capacity });
    }
    let start = Instant::now();
    let verilog = ftio_hdl::core_verilog(&cfg.params)?;
    let lib = load(&verilog)?;
    let mut scenarios = vec![];
    for (i, &kind) in cfg.kinds.iter().enumerate() {
        let dir = out.join(kind.name());
        std::fs::create_dir_all(&dir).map_err(IoAt::on("cannot create", &dir))?;
        let mut p = |cycle, done, total| {
            progress(&Progress { scenario: kind.name(), index: i + 1, of: cfg.kinds.len(), cycle, ops_done: done, ops_total: total })
        };
        if kind == DemoKind::Rebuild {
            scenarios.push(run_rebuild(&lib, cfg, &dir, &mut p)?);
        } else {
            scenarios.push(run_scenario(&lib, cfg, kind, &dir, &mut p)?);
        }
    }
    Ok(DemoReport {
        config: cfg.clone(),
        out: out.to_path_buf(),
        scenarios,
        build: (lib.info.seconds, lib.info.cached),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// What [`setup_scenario`] prepares for one fault scenario: the workload and its expected
/// images, the fault placed in the models, the rig around a fresh core.
struct Setup {
    ops: Vec<Op>,
    /// SHA-256 of every write applied to a blank disk.
    golden: [u8; 32],
    /// SHA-256 of the writes before the one the fault hits.
    before_fault: [u8; 32],
    /// The write the fault hits (the middle one).
    k: usize,
    /// The word (0-based, in its sender's stream) the fault hits.
    fault_word: u64,
    /// The fault, in words.
    fault: String,
    rig: Rig,
    tl: Timeline,
}

/// What the run saw, cycle by cycle ([`run_to_end`]).
#[derive(Default)]
struct Observed {
    fault_cycle: Option<u64>,
    irq_cycle: Option<u64>,
    /// Cycles in which the fault was on the pins (the waveform's marker).
    fault_marks: Vec<u64>,
    vcd_samples: Option<Vec<Sample>>,
    answers_seen: usize,
    writes_logged: bool,
    halted_at: Option<u64>,
    final_queued: bool,
    last_disk_move: [Option<u64>; 2],
    abort_at: [Option<u64>; 2],
    /// Cycle each CPU's faulted word was taken.
    taken: [Option<u64>; 2],
    last_cpu_move: Option<u64>,
    hang_logged: bool,
    cycles: u64,
}

/// The registers the host read, each at its last value, and what STATUS and FAULTS say.
pub(crate) struct FinalRegisters {
    pub(crate) registers: Vec<(String, u32)>,
    pub(crate) status: Option<u32>,
    pub(crate) mode: Option<Mode>,
    pub(crate) cause: Option<u32>,
    pub(crate) faults: Vec<String>,
}

impl FinalRegisters {
    /// From every answer the host got, in order.
    pub(crate) fn of(answers: &[Answer]) -> Self {
        let mut registers: Vec<(String, u32)> = vec![];
        for a in answers {
            for (n, v) in named(a) {
                registers.retain(|r| r.0 != n);
                registers.push((n, v));
            }
        }
        let find = |n: &str| registers.iter().find(|r| r.0 == n).map(|r| r.1);
        let status = find("STATUS");
        let st = reg("STATUS");
        let faults = find("FAULTS").map(fault_names).unwrap_or_default();
        Self { status, mode: status.map(|s| Mode::from_field(st.f("mode").get(s))), cause: status.map(|s| st.f("cause").get(s)), faults, registers }
    }

    /// A register's last value read.
    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        self.registers.iter().find(|r| r.0 == name).map(|r| r.1)
    }
}

/// The reads every scenario ends with: a counter snapshot, the counters, STATUS and FAULTS,
/// CTRL.
fn queue_final_reads(host: &mut RegHost) {
    host.write("counter snapshot (CTRL.cnt_snapshot, mode kept)", "CTRL", (1 << 9) | MODE_KEEP);
    host.read("counters", "WORDS_FWD", 13);
    host.read("STATUS and FAULTS", "STATUS", 2);
    host.read("CTRL", "CTRL", 1);
}

/// Writes `dir/fault.vcd` from the captured cycles of a core clocked at `clock_hz`; the file
/// and its cycle range.
pub(crate) fn write_waveform(dir: &Path, clock_hz: u32, samples: Option<Vec<Sample>>, marks: &[u64], comment: &str) -> Result<Option<(PathBuf, u64, u64)>, DemoError> {
    let Some(samples) = samples.filter(|s| !s.is_empty()) else { return Ok(None) };
    let path = dir.join("fault.vcd");
    let (first, last) = (samples[0].0, samples[samples.len() - 1].0);
    let period_ns = (1_000_000_000 / clock_hz as u64).max(2) & !1;
    let text = vcd(&samples, &[Marker { name: "fault_injected".into(), cycles: marks.to_vec() }], period_ns, comment);
    std::fs::write(&path, text).map_err(IoAt::on("cannot write", &path))?;
    Ok(Some((path, first, last)))
}

/// Saves both disk images into `dir` and compares each with what it should hold.
pub(crate) fn save_images(dir: &Path, disks: [&DiskModel; 2], expected: [([u8; 32], String); 2]) -> Result<Vec<ImageResult>, DemoError> {
    let mut images = vec![];
    for ((name, d), (exp, what)) in ["disk A", "disk B"].into_iter().zip(disks).zip(expected) {
        let path = dir.join(format!("{}.img", name.replace(' ', "_").to_lowercase()));
        d.image.save(&path)?;
        images.push(ImageResult::new(name, hex(&d.image.sha256()), hex(&exp), what, Some(path)));
    }
    Ok(images)
}

/// A CPU model saw no protocol error and no bad return word.
fn clean(c: &CpuModel) -> bool {
    c.errors.is_empty() && c.rx.errors.is_empty()
}

/// Both CPUs' first `n` completions exist and are identical (operation, status, data read).
fn same_completions(a: &CpuModel, b: &CpuModel, n: usize) -> bool {
    a.completions.len() >= n
        && b.completions.len() >= n
        && a.completions[..n].iter().zip(&b.completions[..n]).all(|(x, y)| (&x.op, x.status, x.error, &x.read_data) == (&y.op, y.status, y.error, &y.read_data))
}

/// The checks every scenario starts with: the fault reached the pins, each image holds what
/// it should.
fn common_checks(fault_cycle: Option<u64>, images: &[ImageResult]) -> Vec<Check> {
    let mut checks = vec![Check {
        what: format!("the fault reached the core's pins (cycle {})", fault_cycle.map_or("never".into(), |c| c.to_string())),
        ok: fault_cycle.is_some(),
    }];
    for img in images {
        checks.push(Check { what: format!("{} holds {}: sha256 {}", img.disk, img.expected_what, &img.expected[..16]), ok: img.matches });
    }
    checks
}

/// The CPU and disk models' settings of every model scenario (gaps and stalls from the seed).
fn model_configs(cfg: &DemoConfig) -> (CpuConfig, DiskConfig) {
    let cpu = CpuConfig { seed: cfg.seed ^ 0xC9, gap: 0.05, stall: 0.1, data_fis_sectors: CPU_FIS_SECTORS, think: 4, ..Default::default() };
    let disk = DiskConfig { seed: cfg.seed ^ 0xD1, gap: 0.05, stall: 0.1, latency: 20, data_fis_sectors: 16 };
    (cpu, disk)
}

/// The word (0-based, in a CPU's stream) the fault hits: dword [`FAULT_DWORD`] of write `k`'s
/// Data FIS (after the writes before it, its 5-word command FIS and the Data FIS header).
fn fault_word_in(ops: &[Op], k: usize) -> u64 {
    ops[..k].iter().map(|o| op_words(o, CPU_FIS_SECTORS)).sum::<u64>() + 5 + 1 + FAULT_DWORD
}

/// A fresh core from `lib` in a rig around `sys`, recording the last `vcd_before` cycles.
fn new_rig(lib: &Arc<VerilatedLib>, cfg: &DemoConfig, sys: System) -> Rig {
    let divider = ftio_hdl::uart::clocks_per_bit(cfg.params.clock_hz, cfg.params.baud);
    let mut rig = Rig::new(Box::new(lib.instantiate()), sys, divider);
    rig.rec.ring = cfg.vcd_before as usize;
    rig
}

/// One fault scenario (failover, mismatch, disk-fault): [`setup_scenario`], [`run_to_end`],
/// then its files, [`scenario_checks`] and the report.
fn run_scenario(
    lib: &Arc<VerilatedLib>,
    cfg: &DemoConfig,
    kind: DemoKind,
    dir: &Path,
    progress: &mut dyn FnMut(u64, usize, usize),
) -> Result<ScenarioReport, DemoError> {
    let t0 = Instant::now();
    let mut setup = setup_scenario(lib, cfg, kind);
    let seen = run_to_end(&mut setup, cfg, kind, progress)?;
    let regs = FinalRegisters::of(&setup.rig.host.answers);
    let vcd = write_waveform(dir, cfg.params.clock_hz, seen.vcd_samples.clone(), &seen.fault_marks, &format!("ftio demo {}: {}", kind.name(), setup.fault))?;
    let (golden, before) = (setup.golden, setup.before_fault);
    let all = || format!("all {} writes (golden)", cfg.writes);
    let expected = match kind {
        DemoKind::Failover => [(golden, all()), (golden, all())],
        DemoKind::Mismatch => {
            let w = format!("the {} writes before the fault", setup.k);
            [(before, w.clone()), (before, w)]
        }
        DemoKind::DiskFault | DemoKind::Rebuild => [(golden, all()), (before, format!("the {} writes before it hung", setup.k))],
    };
    let images = save_images(dir, [&setup.rig.sys.disk_a, &setup.rig.sys.disk_b], expected)?;
    let checks = scenario_checks(kind, cfg, &setup, &seen, &regs, &images);
    let outcome = Outcome { regs, images, checks, vcd };
    Ok(report(kind, &setup, &seen, outcome, (setup.ops.len(), cfg.writes), t0))
}

/// The workload, the fault of `kind` placed in the models, a fresh core in a rig, and the
/// timeline's first lines.
fn setup_scenario(lib: &Arc<VerilatedLib>, cfg: &DemoConfig, kind: DemoKind) -> Setup {
    let Workload { ops, golden, k, before_fault, fault_word } = Workload::of(cfg);
    let (cpu, disk) = model_configs(cfg);
    let mut sys = System::lockstep(cpu, &ops, cfg.skew, disk, cfg.capacity);
    let (lba, sectors) = (ops[k].lba(), ops[k].sectors());
    let where_ = format!("write #{k} of {} (LBA {lba}, {sectors} sectors), dword {} of its Data FIS", cfg.writes, FAULT_DWORD + 1);
    let fault = match kind {
        DemoKind::Failover => {
            sys.cpu_a.tx.faults.push(SourceFault::FlipData { word: fault_word, bit: 13 });
            format!("CPU A's link flips data bit 13 of CPU A's word {fault_word} ({where_}); its parity bits stay as sent")
        }
        DemoKind::Mismatch => {
            sys.cpu_b.tx.faults.push(SourceFault::ChangeData { word: fault_word, xor: 1 << 8 });
            format!("CPU B sends its word {fault_word} ({where_}) with bit 8 different and parity to match: a CPU that computed another value")
        }
        DemoKind::DiskFault | DemoKind::Rebuild => {
            sys.freezes.push(Freeze::new(Unit::DiskB, Trigger::AfterWordsIn(fault_word), None));
            format!("disk B stops taking words for good once it holds {fault_word} words (in {where_})")
        }
    };
    let rig = new_rig(lib, cfg, sys);
    let tl = Timeline::opening(cfg, &format!("; CPU B runs {} cycles behind", cfg.skew));
    Setup { ops, golden, before_fault, k, fault_word, fault, rig, tl }
}

/// Runs the rig until the scenario's work is done and the host has read the final registers,
/// writing the timeline as things happen.
fn run_to_end(s: &mut Setup, cfg: &DemoConfig, kind: DemoKind, progress: &mut dyn FnMut(u64, usize, usize)) -> Result<Observed, DemoError> {
    let mut seen = Observed::default();
    loop {
        if s.rig.cycle >= cfg.max_cycles {
            return Err(DemoError::NotFinished(did_not_finish(s, cfg, kind)));
        }
        let pins = s.rig.step();
        let c = s.rig.cycle - 1;
        seen.watch_fault(s, kind, c, &pins);
        if seen.fault_cycle == Some(c) {
            s.rig.rec.start_capture();
        }
        seen.watch_core(s, kind, c, &pins);
        seen.watch_window(&mut s.rig, cfg, c);
        seen.read_answers(s);
        let sys = &s.rig.sys;
        let lead = sys.cpu_a.completions.len().max(sys.cpu_b.completions.len());
        if !seen.writes_logged && lead >= cfg.writes {
            seen.writes_logged = true;
            let who = if sys.cpu_a.completions.len() >= cfg.writes { "CPU A" } else { "CPU B" };
            s.tl.push(c, format!("all {} writes acknowledged ({who}); the read-backs begin", cfg.writes));
        }
        if c % 4096 == 0 {
            progress(c, lead, s.ops.len());
        }
        // The end of the scenario's work.
        let finished = match kind {
            DemoKind::Failover => sys.cpu_b.done() && sys.disk_a.idle() && sys.disk_b.idle(),
            DemoKind::DiskFault | DemoKind::Rebuild => sys.cpu_a.done() && sys.cpu_b.done() && sys.disk_a.idle(),
            DemoKind::Mismatch => seen.halted_at.is_some_and(|h| c >= h + cfg.halt_watch),
        };
        if finished && !seen.final_queued && seen.vcd_samples.is_some() {
            seen.final_queued = true;
            let line = match kind {
                DemoKind::Mismatch => {
                    format!("still HALTED {} cycles after the host saw it: nothing more reaches a disk", c - seen.halted_at.unwrap_or(c))
                }
                _ => {
                    let who = if kind == DemoKind::Failover { "CPU B" } else { "both CPUs" };
                    format!("workload complete on {who}: every write acknowledged, every read-back checked")
                }
            };
            s.tl.push(c, line);
            queue_final_reads(&mut s.rig.host);
        }
        if seen.final_queued && s.rig.host.idle() {
            break;
        }
    }
    seen.cycles = s.rig.cycle;
    progress(seen.cycles, s.rig.sys.cpu_a.completions.len().max(s.rig.sys.cpu_b.completions.len()), s.ops.len());
    if kind == DemoKind::Mismatch {
        if let Some(m) = seen.last_cpu_move {
            s.tl.push(m, "the last CPU word the core takes: from here on both CPUs are held off (tx_ready low)");
        }
    }
    s.tl.0.sort_by_key(|e| e.cycle);
    Ok(seen)
}

/// The error of a scenario still running at `max_cycles`, with where each CPU got to.
fn did_not_finish(s: &Setup, cfg: &DemoConfig, kind: DemoKind) -> String {
    let last: Vec<String> = s.tl.0.iter().rev().take(6).rev().map(|e| format!("{}: {}", e.cycle, e.text)).collect();
    let sys = &s.rig.sys;
    format!(
        "scenario {} did not finish in {} cycles (CPU A {} and CPU B {} operations done, {} and {} outstanding; last events: {})",
        kind.name(),
        cfg.max_cycles,
        sys.cpu_a.completions.len(),
        sys.cpu_b.completions.len(),
        sys.cpu_a.outstanding(),
        sys.cpu_b.outstanding(),
        last.join(" | ")
    )
}

impl Observed {
    /// The waveform's window, cycle `c`: from `vcd_before` before the fault to `vcd_after`
    /// after irq (bounded if irq never rises).
    fn watch_window(&mut self, rig: &mut Rig, cfg: &DemoConfig, c: u64) {
        if !rig.rec.capturing() {
            return;
        }
        let end = match self.irq_cycle {
            Some(i) => c >= i + cfg.vcd_after,
            None => rig.rec.captured() as u64 >= 4096 + 3 * (cfg.vcd_before + cfg.vcd_after) + 2000,
        };
        if end {
            self.vcd_samples = Some(rig.rec.end_capture());
            rig.rec.ring = 0;
        }
    }

    /// The fault reaching the core's pins in cycle `c`.
    fn watch_fault(&mut self, s: &mut Setup, kind: DemoKind, c: u64, pins: &Pins) {
        let (sys, k, fault_word) = (&s.rig.sys, s.k, s.fault_word);
        let src = match kind {
            DemoKind::Failover => Some(&sys.cpu_a.tx),
            DemoKind::Mismatch => Some(&sys.cpu_b.tx),
            DemoKind::DiskFault | DemoKind::Rebuild => None,
        };
        if let Some(src) = src {
            if src.offered() == fault_word + 1 && src.driven().valid {
                self.fault_marks.push(c);
                if self.fault_cycle.is_none() {
                    self.fault_cycle = Some(c);
                    let who = if kind == DemoKind::Failover { "CPU A" } else { "CPU B" };
                    let what = if kind == DemoKind::Failover { "the word with the flipped bit" } else { "the different word" };
                    s.tl.push(c, format!("fault: {who} offers {what} (its word {fault_word}, in write #{k})"));
                }
            }
            for (i, (src, link)) in [(&sys.cpu_a.tx, Link::CpuATx), (&sys.cpu_b.tx, Link::CpuBTx)].into_iter().enumerate() {
                if src.offered() == fault_word + 1 && src.driven().valid && pins.moved[link.index()] {
                    self.taken[i] = Some(c);
                }
            }
        } else if let Some(started) = sys.freezes[0].started {
            if c >= started {
                self.fault_marks.push(c);
            }
            if self.fault_cycle.is_none() {
                self.fault_cycle = Some(started);
                s.tl.push(started, format!("fault: disk B hangs — its tx_ready stays low from now on, with write #{k} half received"));
            }
        }
    }

    /// The core's answer at its pins in cycle `c`: irq (and the host's reads it triggers),
    /// abort words, the CPUs' words stopping and flowing again.
    fn watch_core(&mut self, s: &mut Setup, kind: DemoKind, c: u64, pins: &Pins) {
        if pins.irq && self.irq_cycle.is_none() {
            self.irq_cycle = Some(c);
            let after = self.fault_cycle.map_or(String::new(), |f| {
                let n = c - f;
                format!(" ({n} cycle{} after the fault)", if n == 1 { "" } else { "s" })
            });
            s.tl.push(c, format!("irq rises: the core has latched a fault{after}"));
            s.rig.host.read("STATUS and FAULTS", "STATUS", 2);
            s.rig.host.read("first-fault capture", "CAP_CAUSE", 7);
        }
        for (i, link) in [Link::DiskATx, Link::DiskBTx].into_iter().enumerate() {
            if pins.abort[link.index()] && self.abort_at[i].is_none() {
                self.abort_at[i] = Some(c);
                s.tl.push(c, format!("{} takes the abort word (data 0, par 0xF, last, abort): the Data FIS in flight is void", ["disk A", "disk B"][i]));
            }
            if pins.moved[link.index()] {
                self.last_disk_move[i] = Some(c);
            }
        }
        let cpu_moved = pins.moved[Link::CpuATx.index()] || pins.moved[Link::CpuBTx.index()];
        if kind == DemoKind::DiskFault && cpu_moved && !self.hang_logged {
            if let (Some(i), Some(m)) = (self.irq_cycle, self.last_cpu_move) {
                self.hang_logged = true;
                if self.fault_cycle.is_some_and(|f| m >= f) {
                    s.tl.push(m + 1, "no CPU word taken from here on: disk B's buffer is full, and a mirrored word waits for both disks");
                }
                s.tl.push(c, format!("the CPUs' words flow again ({} cycles after irq), mirrored to disk A alone", c - i));
            }
        }
        if cpu_moved {
            self.last_cpu_move = Some(c);
        }
    }

    /// What the host read since the last look, onto the timeline.
    fn read_answers(&mut self, s: &mut Setup) {
        while self.answers_seen < s.rig.host.answers.len() {
            let a = &s.rig.host.answers[self.answers_seen];
            self.answers_seen += 1;
            s.tl.push(a.cycle, describe_answer(a));
            if let Some((_, st)) = named(a).into_iter().find(|r| r.0 == "STATUS") {
                if Mode::from_field(reg("STATUS").f("mode").get(st)) == Mode::Halted && self.halted_at.is_none() {
                    self.halted_at = Some(a.cycle);
                }
            }
        }
    }
}

/// What each scenario promises, checked against what the run saw, the registers the host
/// read and the images.
fn scenario_checks(kind: DemoKind, cfg: &DemoConfig, s: &Setup, seen: &Observed, regs: &FinalRegisters, images: &[ImageResult]) -> Vec<Check> {
    let (sys, ops, k) = (&s.rig.sys, &s.ops, s.k);
    let (mode, cause, status) = (regs.mode, regs.cause, regs.status);
    let regv = |n: &str| regs.get(n);
    let mut checks = common_checks(seen.fault_cycle, images);
    let mut check = |what: String, ok: bool| checks.push(Check { what, ok });
    let within = |a: Option<u64>, b: Option<u64>, lo: u64, hi: u64| matches!((a, b), (Some(f), Some(i)) if i >= f + lo && i <= f + hi);
    let (a, b) = (&sys.cpu_a, &sys.cpu_b);
    check(
        "no word with a parity error reached a disk".into(),
        sys.disk_a.rx.errors.is_empty() && sys.disk_b.rx.errors.is_empty() && sys.disk_a.errors.is_empty(),
    );
    match kind {
        DemoKind::Failover => {
            check("irq within 3 cycles of the bad word (SPEC §4 guarantee 3)".into(), within(seen.fault_cycle, seen.irq_cycle, 1, 3));
            check("STATUS: mode SIMPLEX_B".into(), mode == Some(Mode::SimplexB));
            check("STATUS: cause CPU_A_PARITY, CPU A failed".into(), cause == Some(Cause::CpuAParity.code()) && status.is_some_and(|s| reg("STATUS").f("cpu_a_failed").get(s) == 1));
            check(format!("CPU B completed all {} operations, every read-back as written", ops.len()), b.done() && clean(b) && b.completions.len() == ops.len());
            check("CPU A saw the same completions as CPU B until it was isolated".into(), clean(a) && same_completions(a, b, a.completions.len()));
            check(
                format!("PERR_CPU_A = {} (one per cycle the bad word was offered), no other parity error", seen.fault_marks.len()),
                regv("PERR_CPU_A") == Some(seen.fault_marks.len() as u32) && regv("PERR_CPU_B") == Some(0) && regv("PERR_DISK_A") == Some(0) && regv("PERR_DISK_B") == Some(0),
            );
            check("no frame aborted (hitless)".into(), regv("FRAMES_ABORTED") == Some(0));
            check(
                "the capture holds CPU A's bad word as it arrived (CAP_FLAGS: a_valid, a_perr)".into(),
                regv("CAP_FLAGS").is_some_and(|f| reg("CAP_FLAGS").f("a_valid").get(f) == 1 && reg("CAP_FLAGS").f("a_perr").get(f) == 1),
            );
        }
        DemoKind::Mismatch => {
            let later = seen.taken[0].zip(seen.taken[1]).map(|(a, b)| a.max(b));
            check(
                format!("irq within 3 cycles of the later word of the pair, taken in cycle {} (SPEC §4 guarantee 3)", later.map_or("?".into(), |c| c.to_string())),
                within(later, seen.irq_cycle, 1, 3),
            );
            check("STATUS: mode HALTED, cause MISMATCH".into(), mode == Some(Mode::Halted) && cause == Some(Cause::Mismatch.code()));
            check("both disks took the abort word".into(), seen.abort_at[0].is_some() && seen.abort_at[1].is_some());
            check("the diverging write reached neither disk (images differ from the write applied)".into(), images.iter().all(|i| i.sha256 != hex(&golden_sha256(cfg.capacity, &ops[..=k]))));
            check(format!("the capture holds both words: data A ^ data B = {:#x}", 1u32 << 8), regv("CAP_DATA_A").zip(regv("CAP_DATA_B")).is_some_and(|(a, b)| a ^ b == 1 << 8));
            check(
                "the abort word is the last word either disk took (FRAMES_ABORTED = 1)".into(),
                seen.abort_at[0].is_some() && seen.last_disk_move == seen.abort_at && regv("FRAMES_ABORTED") == Some(1),
            );
            check(format!("both CPUs saw the same {k} completions, all good, and none for the write that diverged"), clean(a) && clean(b) && a.completions.len() == k && b.completions.len() == k && same_completions(a, b, k));
            check(format!("both CPUs held off for the {} cycles watched", cfg.halt_watch), seen.last_cpu_move.is_some_and(|m| m + cfg.halt_watch <= seen.cycles));
        }
        DemoKind::DiskFault | DemoKind::Rebuild => {
            let hung = sys.freezes[0].started;
            check("disk B failed after DISK_TIMEOUT (4096) cycles with a word waiting, not before".into(), seen.irq_cycle.zip(hung).is_some_and(|(i, h)| i > h + 4096 && i < h + 4096 + 200));
            check("STATUS: mode DUPLEX, cause DISK_B_TIMEOUT, disk B failed".into(), mode == Some(Mode::Duplex) && cause == Some(Cause::DiskBTimeout.code()) && status.is_some_and(|s| reg("STATUS").f("disk_b_failed").get(s) == 1 && reg("STATUS").f("disk_a_failed").get(s) == 0));
            check(format!("both CPUs completed all {} operations with identical completions", ops.len()), a.done() && b.done() && clean(a) && clean(b) && same_completions(a, b, ops.len()));
            check("no frame aborted, no parity error".into(), regv("FRAMES_ABORTED") == Some(0) && ["PERR_CPU_A", "PERR_CPU_B", "PERR_DISK_A", "PERR_DISK_B"].iter().all(|n| regv(n) == Some(0)));
        }
    }
    check("the host read every register it asked for".into(), s.rig.host.answers.iter().all(|a| a.result.is_ok()));
    let mode_mask = reg("CTRL").f("mode").mask();
    check("CTRL: every setting still at power-on (elastic, cut-through, auto, read-verify off, primary A)".into(), regv("CTRL").is_some_and(|v| v & !mode_mask == 0));
    checks
}

/// What the rebuild scenario's driver hands the CPUs next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RebuildPhase {
    /// The workload, disk B in the mirror, then failed.
    Degraded,
    /// Readmitted: copying every sector, interleaved with the workload.
    Copying,
    /// Copy done: waiting for the array to be quiet to say so.
    Quiesce,
    /// The host's `rebuilt_b` is on its way.
    SayingDone,
    /// Disk B healthy: the rest of the workload.
    Healthy,
}

/// The sectors the copy handles per step (one read, one write back): a whole Data FIS.
const COPY_SECTORS: u32 = 16;

/// `rebuild`: disk B hangs (as in `disk-fault`) and is failed; the host swaps in a blank disk
/// B, acknowledges the fault, readmits disk B, and the CPUs copy every sector from the healthy
/// disk — a read (answered by disk A: a rebuilding disk never answers) and a write back of
/// what it read (mirrored to both) — one step between two workload operations; then, with
/// nothing outstanding, the host says the copy is done. The ops go to the CPUs one at a time
/// (the next when CPU A has finished the last), the same to both, so both CPUs issue the
/// same stream; a copy's write back carries the data of its read.
///
/// [`setup_rebuild`], [`Rebuild::run`], then its files, [`Rebuild::checks`] and the report.
fn run_rebuild(
    lib: &Arc<VerilatedLib>,
    cfg: &DemoConfig,
    dir: &Path,
    progress: &mut dyn FnMut(u64, usize, usize),
) -> Result<ScenarioReport, DemoError> {
    let t0 = Instant::now();
    let mut r = setup_rebuild(lib, cfg);
    r.run(cfg, progress)?;
    let regs = FinalRegisters::of(&r.s.rig.host.answers);
    let vcd = write_waveform(dir, cfg.params.clock_hz, r.seen.vcd_samples.take(), &r.seen.fault_marks, &format!("ftio demo rebuild: {}", r.s.fault))?;
    let all = format!("all {} writes (golden)", cfg.writes);
    let golden = r.s.golden;
    let images = save_images(dir, [&r.s.rig.sys.disk_a, &r.s.rig.sys.disk_b], [(golden, all.clone()), (golden, format!("{all}: rebuilt from blank"))])?;
    let checks = r.checks(cfg, &regs, &images);
    let outcome = Outcome { regs, images, checks, vcd };
    Ok(report(DemoKind::Rebuild, &r.s, &r.seen, outcome, (r.total_ops, cfg.writes), t0))
}

/// The rebuild scenario: the workload and the fault ([`Setup`]; its operations go to the CPUs
/// one at a time), where the host and the CPUs are in the rebuild, and what was seen of it.
struct Rebuild {
    s: Setup,
    seen: Observed,
    /// The disk models' settings (the blank disk B swapped in takes them, reseeded).
    disk: DiskConfig,
    /// The copy's reads (each with its write back).
    copy_steps: usize,
    /// Workload and copy operations, in all.
    total_ops: usize,
    /// Once disk B has failed, the workload's operations from this one on wait for the rebuild.
    hold_from: usize,
    phase: RebuildPhase,
    /// The next workload operation to hand out.
    next_op: usize,
    /// The next sector to copy.
    copy_next: u64,
    /// The copy's reads so far.
    copy_reads: usize,
    /// A copy read's write back to come (its LBA).
    pending_write_back: Option<u64>,
    /// The copy and the workload take turns.
    workload_turn: bool,
    /// The cycle the host saw disk B failed and swapped in a blank one.
    swapped_at: Option<u64>,
    /// After the fault clear: disk B still failed, the fault cleared.
    failed_through_clear: Option<bool>,
    joined_at: Option<u64>,
    copy_done_at: Option<u64>,
    healthy_at: Option<u64>,
    b_abort_at: Option<u64>,
}

/// The workload, disk B's hang placed in the models (the CPUs get their operations as the run
/// goes), a fresh core in a rig, and the timeline's first lines.
fn setup_rebuild(lib: &Arc<VerilatedLib>, cfg: &DemoConfig) -> Rebuild {
    let Workload { ops, golden, k, before_fault, fault_word } = Workload::of(cfg);
    let (cpu, disk) = model_configs(cfg);
    let mut sys = System::lockstep(cpu, &[], cfg.skew, disk.clone(), cfg.capacity);
    sys.freezes.push(Freeze::new(Unit::DiskB, Trigger::AfterWordsIn(fault_word), None));
    let (lba, sectors) = (ops[k].lba(), ops[k].sectors());
    let fault = format!(
        "disk B stops taking words for good once it holds {fault_word} words (in write #{k} of {}, LBA {lba}, {sectors} sectors); the host replaces it with a blank disk and rebuilds it",
        cfg.writes
    );
    let copy_steps = cfg.capacity.div_ceil(COPY_SECTORS as u64) as usize;
    let total_ops = ops.len() + 2 * copy_steps;
    let rig = new_rig(lib, cfg, sys);
    let tl = Timeline::opening(cfg, ", one operation at a time");
    Rebuild {
        s: Setup { ops, golden, before_fault, k, fault_word, fault, rig, tl },
        seen: Observed::default(),
        disk,
        copy_steps,
        total_ops,
        hold_from: (k + 3).min(cfg.writes),
        phase: RebuildPhase::Degraded,
        next_op: 0,
        copy_next: 0,
        copy_reads: 0,
        pending_write_back: None,
        workload_turn: true,
        swapped_at: None,
        failed_through_clear: None,
        joined_at: None,
        copy_done_at: None,
        healthy_at: None,
        b_abort_at: None,
    }
}

/// STATUS in a host answer, if it read it.
fn status_in(a: &Answer) -> Option<u32> {
    named(a).into_iter().find(|r| r.0 == "STATUS").map(|r| r.1)
}

/// Disk B's (failed, rebuilding) in a STATUS value.
fn disk_b_state(status: u32) -> (u32, u32) {
    let st = reg("STATUS");
    (st.f("disk_b_failed").get(status), st.f("disk_b_rebuilding").get(status))
}

impl Rebuild {
    /// Runs the rig until the workload and the rebuild are done and the host has read the
    /// final registers, writing the timeline as things happen.
    fn run(&mut self, cfg: &DemoConfig, progress: &mut dyn FnMut(u64, usize, usize)) -> Result<(), DemoError> {
        loop {
            if self.s.rig.cycle >= cfg.max_cycles {
                return Err(DemoError::NotFinished(format!("scenario rebuild did not finish in {} cycles", cfg.max_cycles)));
            }
            // Hand the CPUs their next operation once CPU A has finished the last.
            let sys = &self.s.rig.sys;
            if sys.cpu_a.done() && sys.cpu_b.outstanding() <= 1 && !self.seen.final_queued {
                if let Some(op) = self.next_op(cfg) {
                    // A write back is queued only after its read completed on both CPUs, so the
                    // data is checked the same on both.
                    self.s.rig.sys.cpu_a.queue([op.clone()]);
                    self.s.rig.sys.cpu_b.queue([op]);
                }
            }
            let pins = self.s.rig.step();
            let c = self.s.rig.cycle - 1;
            self.watch(c, &pins);
            self.seen.watch_window(&mut self.s.rig, cfg, c);
            self.read_answers(cfg);
            self.advance(c, cfg);
            let sys = &self.s.rig.sys;
            if c % 4096 == 0 {
                progress(c, sys.cpu_a.completions.len(), self.total_ops);
            }
            let finished = self.phase == RebuildPhase::Healthy
                && self.next_op >= self.s.ops.len()
                && sys.cpu_a.done()
                && sys.cpu_b.done()
                && sys.disk_a.idle()
                && sys.disk_b.idle();
            if finished && !self.seen.final_queued && self.seen.vcd_samples.is_some() {
                self.seen.final_queued = true;
                self.s.tl.push(c, "workload complete on both CPUs: every write acknowledged, every read-back checked");
                queue_final_reads(&mut self.s.rig.host);
            }
            if self.seen.final_queued && self.s.rig.host.idle() {
                break;
            }
        }
        self.seen.cycles = self.s.rig.cycle;
        progress(self.seen.cycles, self.s.rig.sys.cpu_a.completions.len(), self.total_ops);
        self.s.tl.0.sort_by_key(|e| e.cycle);
        Ok(())
    }

    /// The CPUs' next operation: a copy's write back after its read; else, while copying, a
    /// copy read and a workload operation in turn; else the workload, held while the array
    /// must be quiet.
    fn next_op(&mut self, cfg: &DemoConfig) -> Option<Op> {
        if let Some(lba) = self.pending_write_back.take() {
            // The copy's write back: what CPU A read (CPU B reads the same: the final check
            // compares every completion of the two CPUs).
            let a = self.s.rig.sys.cpu_a.completions.last().expect("the copy's read");
            return Some(Op::Write { lba, data: a.read_data.clone() });
        }
        let copying = self.phase == RebuildPhase::Copying && self.copy_next < cfg.capacity;
        let workload_left = self.next_op < self.s.ops.len();
        // Wait for a quiet array to say the copy is done; and once disk B has failed, keep the
        // rest of the workload (after two more degraded writes) for the rebuild, so it runs
        // while disk B is rebuilt whatever the UART's speed.
        let quiet_wanted = matches!(self.phase, RebuildPhase::Quiesce | RebuildPhase::SayingDone)
            || (self.phase == RebuildPhase::Degraded && self.seen.irq_cycle.is_some() && self.next_op >= self.hold_from);
        if copying && (!self.workload_turn || !workload_left) {
            let n = (COPY_SECTORS as u64).min(cfg.capacity - self.copy_next) as u32;
            let op = Op::Read { lba: self.copy_next, sectors: n };
            self.pending_write_back = Some(self.copy_next);
            self.copy_next += n as u64;
            self.copy_reads += 1;
            self.workload_turn = true;
            Some(op)
        } else if workload_left && !quiet_wanted {
            self.next_op += 1;
            self.workload_turn = false;
            Some(self.s.ops[self.next_op - 1].clone())
        } else {
            None
        }
    }

    /// Cycle `c`: the hang reaching the pins, irq (and the host's read it triggers), the new
    /// disk B's abort word.
    fn watch(&mut self, c: u64, pins: &Pins) {
        let (s, seen) = (&mut self.s, &mut self.seen);
        if let Some(start) = s.rig.sys.freezes[0].started {
            if c >= start && self.swapped_at.is_none() {
                seen.fault_marks.push(c);
            }
            if seen.fault_cycle.is_none() {
                seen.fault_cycle = Some(start);
                s.tl.push(start, format!("fault: disk B hangs — its tx_ready stays low from now on, with write #{} half received", s.k));
                s.rig.rec.start_capture();
            }
        }
        if pins.irq && seen.irq_cycle.is_none() {
            seen.irq_cycle = Some(c);
            s.tl.push(c, format!("irq rises: the core has latched a fault ({} cycles after the hang)", c - seen.fault_cycle.unwrap_or(c)));
            s.rig.host.read("STATUS and FAULTS", "STATUS", 2);
        }
        if pins.abort[Link::DiskBTx.index()] && self.b_abort_at.is_none() && self.swapped_at.is_some() {
            self.b_abort_at = Some(c);
            s.tl.push(c, "the new disk B takes one `last & abort` word: the frame the old disk had half received is void");
        }
    }

    /// What the host read since the last look, onto the timeline, and the host's next step of
    /// the rebuild from the STATUS it read: swap the disk and clear the fault, readmit, wait
    /// for disk B to join, then to be healthy.
    fn read_answers(&mut self, cfg: &DemoConfig) {
        while self.seen.answers_seen < self.s.rig.host.answers.len() {
            let a = self.s.rig.host.answers[self.seen.answers_seen].clone();
            self.seen.answers_seen += 1;
            self.s.tl.push(a.cycle, describe_answer(&a));
            let Some(st) = status_in(&a) else { continue };
            let (rig, tl) = (&mut self.s.rig, &mut self.s.tl);
            match self.phase {
                RebuildPhase::Degraded if self.swapped_at.is_none() && disk_b_state(st) == (1, 0) => {
                    // The operator pulls the hung disk and puts in a blank one.
                    let f = &mut rig.sys.freezes[0];
                    f.cycles = Some(a.cycle + 1 - f.started.unwrap_or(a.cycle));
                    rig.sys.disk_b = crate::models::disk::DiskModel::new(
                        DiskConfig { seed: self.disk.seed ^ 0x5A5A ^ 0xB1, ..self.disk.clone() },
                        crate::models::image::DiskImage::new(cfg.capacity),
                    );
                    self.swapped_at = Some(a.cycle);
                    tl.push(a.cycle, "the hung disk B is replaced by a blank one (its image all zeros)");
                    rig.host.write("fault clear (CTRL.fault_clear, mode kept)", "CTRL", (1 << 8) | MODE_KEEP);
                    rig.host.read("STATUS and FAULTS", "STATUS", 2);
                }
                RebuildPhase::Degraded if self.swapped_at.is_some() && self.failed_through_clear.is_none() => {
                    self.failed_through_clear = Some(disk_b_state(st) == (1, 0) && reg("STATUS").f("fault").get(st) == 0);
                    rig.host.write("readmit disk B (CTRL.readmit_b, mode kept)", "CTRL", reg("CTRL").f("readmit_b").mask() | MODE_KEEP);
                    rig.host.read("STATUS and FAULTS", "STATUS", 2);
                }
                RebuildPhase::Degraded if self.failed_through_clear.is_some() => {
                    if disk_b_state(st) == (0, 1) {
                        self.joined_at = Some(a.cycle);
                        self.phase = RebuildPhase::Copying;
                        tl.push(a.cycle, format!(
                            "disk B is rebuilding: the CPUs copy all {} sectors, {COPY_SECTORS} at a time (read from disk A, write back to both), between the workload's operations",
                            cfg.capacity
                        ));
                    } else {
                        rig.host.read("STATUS and FAULTS", "STATUS", 2);
                    }
                }
                RebuildPhase::SayingDone if disk_b_state(st) == (0, 0) => {
                    self.healthy_at = Some(a.cycle);
                    self.phase = RebuildPhase::Healthy;
                    tl.push(a.cycle, "disk B is healthy (active sync): the rest of the workload runs on the full mirror");
                }
                RebuildPhase::SayingDone => rig.host.read("STATUS and FAULTS", "STATUS", 2),
                _ => {}
            }
        }
    }

    /// Cycle `c`: the copy finished, then the array quiet: the host says the copy is done.
    fn advance(&mut self, c: u64, cfg: &DemoConfig) {
        let (sys, tl) = (&self.s.rig.sys, &mut self.s.tl);
        if self.phase == RebuildPhase::Copying && self.copy_next >= cfg.capacity && self.pending_write_back.is_none() && sys.cpu_a.done() && sys.cpu_b.done() {
            self.phase = RebuildPhase::Quiesce;
            self.copy_done_at = Some(c);
            tl.push(c, format!("every sector copied ({} reads and write backs)", self.copy_reads));
        }
        if self.phase == RebuildPhase::Quiesce && sys.cpu_a.done() && sys.cpu_b.done() && sys.disk_a.idle() && sys.disk_b.idle() && self.s.rig.host.idle() {
            self.phase = RebuildPhase::SayingDone;
            tl.push(c, "no command outstanding on either disk: the host says the copy is done");
            self.s.rig.host.write("disk B rebuilt (CTRL.rebuilt_b, mode kept)", "CTRL", reg("CTRL").f("rebuilt_b").mask() | MODE_KEEP);
            self.s.rig.host.read("STATUS and FAULTS", "STATUS", 2);
        }
    }

    /// What the rebuild promises, checked against what the run saw, the registers the host
    /// read and the images.
    fn checks(&self, cfg: &DemoConfig, regs: &FinalRegisters, images: &[ImageResult]) -> Vec<Check> {
        let (sys, seen) = (&self.s.rig.sys, &self.seen);
        let regv = |n: &str| regs.get(n);
        let mut checks = vec![];
        let mut check = |what: String, ok: bool| checks.push(Check { what, ok });
        let hung = sys.freezes[0].started;
        check(
            format!("the fault reached the core's pins (cycle {})", seen.fault_cycle.map_or("never".into(), |c| c.to_string())),
            seen.fault_cycle.is_some(),
        );
        check("disk B failed after DISK_TIMEOUT (4096) cycles with a word waiting, not before".into(), seen.irq_cycle.zip(hung).is_some_and(|(i, h)| i > h + 4096 && i < h + 4096 + 200));
        check("disk B stayed failed through the fault clear (STATUS: disk_b_failed, fault cleared)".into(), self.failed_through_clear == Some(true));
        check("readmitted, disk B joined as rebuilding (STATUS: disk_b_rebuilding, not failed)".into(), self.joined_at.is_some());
        check(
            format!("the CPUs copied all {} sectors in {} reads and write backs", cfg.capacity, self.copy_steps),
            self.copy_done_at.is_some() && self.copy_reads == self.copy_steps,
        );
        check("after the host's rebuilt_b, disk B is healthy (STATUS: neither failed nor rebuilding)".into(), self.healthy_at.is_some());
        for img in images {
            check(format!("{} holds {}: sha256 {}", img.disk, img.expected_what, &img.expected[..16]), img.sha256 == img.expected);
        }
        let (a, b) = (&sys.cpu_a, &sys.cpu_b);
        let n = a.completions.len();
        check(
            format!("both CPUs completed all {} workload operations and the copy ({} operations in all) with identical completions, every read as written", self.s.ops.len(), self.total_ops),
            n == self.total_ops && b.completions.len() == n && clean(a) && clean(b) && same_completions(a, b, n),
        );
        check(
            "no word with a parity error reached a disk, no frame the disk models could not parse".into(),
            sys.disk_a.rx.errors.is_empty() && sys.disk_b.rx.errors.is_empty() && sys.disk_a.errors.is_empty() && sys.disk_b.errors.is_empty(),
        );
        check(
            "at the end: mode DUPLEX, both disks healthy, no parity error".into(),
            regs.mode == Some(Mode::Duplex)
                && regs.status.is_some_and(|s| disk_b_state(s) == (0, 0) && reg("STATUS").f("disk_a_failed").get(s) == 0)
                && ["PERR_CPU_A", "PERR_CPU_B", "PERR_DISK_A", "PERR_DISK_B"].iter().all(|n| regv(n) == Some(0)),
        );
        check("the host read and wrote every register it asked for".into(), self.s.rig.host.answers.iter().all(|a| a.result.is_ok()));
        checks
    }
}

/// What a scenario leaves besides what it saw: the registers the host read, the images and
/// the waveform it wrote, its checks.
struct Outcome {
    regs: FinalRegisters,
    images: Vec<ImageResult>,
    checks: Vec<Check>,
    vcd: Option<(PathBuf, u64, u64)>,
}

/// A scenario's report. `ops`: (operations the CPUs ran, writes among them).
fn report(kind: DemoKind, s: &Setup, seen: &Observed, out: Outcome, ops: (usize, usize), t0: Instant) -> ScenarioReport {
    let sys = &s.rig.sys;
    ScenarioReport {
        kind,
        fault: s.fault.clone(),
        fault_cycle: seen.fault_cycle,
        irq_cycle: seen.irq_cycle,
        timeline: s.tl.0.clone(),
        mode: out.regs.mode,
        cause: out.regs.cause,
        faults: out.regs.faults,
        registers: out.regs.registers,
        images: out.images,
        golden: hex(&s.golden),
        ops,
        completed: (sys.cpu_a.completions.len(), sys.cpu_b.completions.len()),
        link_words: link_words(sys),
        disk_commands: (sys.disk_a.commands.len(), sys.disk_b.commands.len()),
        checks: out.checks,
        vcd: out.vcd,
        cycles: seen.cycles,
        seconds: t0.elapsed().as_secs_f64(),
    }
}

impl ScenarioReport {
    /// The human-readable report: timeline, summary, checks.
    pub fn text(&self, index: usize, of: usize) -> String {
        let mut s = String::new();
        let line = |s: &mut String, t: String| {
            s.push_str(&t);
            s.push('\n');
        };
        line(&mut s, format!("== {index}/{of} {}: {} ==", self.kind.name(), self.kind.title()));
        line(&mut s, format!("fault: {}", self.fault));
        line(&mut s, String::new());
        line(&mut s, format!("{:>9}  event", "cycle"));
        for e in &self.timeline {
            line(&mut s, format!("{:>9}  {}", e.cycle, e.text));
        }
        line(&mut s, String::new());
        line(&mut s, "summary".into());
        let r = |n: &str| self.register(n).map_or("?".into(), |v| v.to_string());
        line(
            &mut s,
            format!(
                "  workload      {} operations ({} writes, {} read-backs); completed: CPU A {}, CPU B {}",
                self.ops.0, self.ops.1, self.ops.0 - self.ops.1, self.completed.0, self.completed.1
            ),
        );
        line(
            &mut s,
            format!(
                "  core          frames forwarded {}, words forwarded {}, frames aborted {}, words returned {}, max skew {} words, {} cycles",
                r("FRAMES_FWD"), r("WORDS_FWD"), r("FRAMES_ABORTED"), r("WORDS_RETURNED"), r("MAX_SKEW"), r("CYCLES")
            ),
        );
        line(
            &mut s,
            format!(
                "  links         words in: cpu_a_tx {}, cpu_b_tx {}, disk_a_rx {}, disk_b_rx {}; out: disk_a_tx {}, disk_b_tx {}, cpu_a_rx {}, cpu_b_rx {}",
                self.link_words[0], self.link_words[1], self.link_words[6], self.link_words[7],
                self.link_words[4], self.link_words[5], self.link_words[2], self.link_words[3]
            ),
        );
        line(
            &mut s,
            format!(
                "  faults        detected: {} (parity errors: CPU A {}, CPU B {}, disk A {}, disk B {}; mismatches {}; timeouts {})",
                if self.faults.is_empty() { "none".into() } else { self.faults.join(", ") },
                r("PERR_CPU_A"), r("PERR_CPU_B"), r("PERR_DISK_A"), r("PERR_DISK_B"), r("MISMATCHES"), r("TIMEOUTS")
            ),
        );
        let attributed = match self.cause.and_then(Cause::from_code) {
            Some(Cause::CpuAParity | Cause::CpuATimeout) => "to CPU A",
            Some(Cause::CpuBParity | Cause::CpuBTimeout) => "to CPU B",
            Some(Cause::DiskAParity | Cause::DiskATimeout) => "to disk A",
            Some(Cause::DiskBParity | Cause::DiskBTimeout) => "to disk B",
            Some(Cause::Mismatch) => "to neither CPU (cannot be attributed: halt)",
            _ => "-",
        };
        line(
            &mut s,
            format!(
                "  attributed    {} ({}); mode now {}",
                attributed,
                self.cause.map_or("?".into(), Cause::name_of),
                self.mode.map_or("?", |m| m.name())
            ),
        );
        line(&mut s, format!("  golden image  sha256 {}", self.golden));
        for img in &self.images {
            let verdict = if img.sha256 == img.expected { "as expected" } else { "WRONG" };
            line(&mut s, format!("  {}        sha256 {}  {verdict}: {}", img.disk, img.sha256, img.expected_what));
        }
        if let Some((p, a, b)) = &self.vcd {
            line(&mut s, format!("  waveform      {} (cycles {a}..={b})", p.display()));
        }
        line(&mut s, format!("  simulated     {} cycles in {:.1} s", self.cycles, self.seconds));
        line(&mut s, String::new());
        for c in &self.checks {
            line(&mut s, format!("  [{}] {}", if c.ok { "ok" } else { "FAIL" }, c.what));
        }
        line(
            &mut s,
            format!("  => {}", if self.passed() { "PASS: nothing lost, nothing corrupted" } else { "FAIL" }),
        );
        s
    }

    /// The report as JSON.
    pub fn json(&self) -> Value {
        json!({
            "scenario": self.kind.name(),
            "title": self.kind.title(),
            "fault": self.fault,
            "fault_cycle": self.fault_cycle,
            "irq_cycle": self.irq_cycle,
            "timeline": self.timeline,
            "mode": self.mode.map(|m| m.name()),
            "cause": self.cause.map(Cause::name_of),
            "faults": self.faults,
            "registers": registers_json(&self.registers),
            "workload": {
                "operations": self.ops.0,
                "writes": self.ops.1,
                "completed_cpu_a": self.completed.0,
                "completed_cpu_b": self.completed.1,
                "disk_a_commands": self.disk_commands.0,
                "disk_b_commands": self.disk_commands.1,
            },
            "link_words": Value::Object(Link::all().map(|l| (l.name().to_string(), json!(self.link_words[l.index()]))).collect()),
            "golden_sha256": self.golden,
            "images": self.images,
            "vcd": vcd_json(&self.vcd),
            "checks": self.checks,
            "passed": self.passed(),
            "cycles": self.cycles,
            "seconds": self.seconds,
        })
    }
}

impl DemoReport {
    /// The human-readable report of every scenario and a closing line.
    pub fn text(&self) -> String {
        let mut s = format!(
            "ftio demo: seed {}, core {} Hz / {} baud, Verilator model {}\n\n",
            self.config.seed,
            self.config.params.clock_hz,
            self.config.params.baud,
            if self.build.1 { "from the cache".to_string() } else { format!("built in {:.1} s", self.build.0) }
        );
        let n = self.scenarios.len();
        for (i, sc) in self.scenarios.iter().enumerate() {
            s += &sc.text(i + 1, n);
            s.push('\n');
        }
        let passed = self.scenarios.iter().filter(|s| s.passed()).count();
        s += &format!(
            "ftio demo: {passed}/{n} scenarios passed in {:.1} s; report in {}\n",
            self.seconds,
            self.out.display()
        );
        s
    }

    /// The report as JSON.
    pub fn json(&self) -> Value {
        let c = &self.config;
        json!({
            "tool": "ftio demo",
            "seed": c.seed,
            "core": {
                "clock_hz": c.params.clock_hz,
                "baud": c.params.baud,
                "skew_depth": 1u64 << c.params.skew_depth_log2,
            },
            "workload": {
                "writes": c.writes,
                "max_sectors": c.max_sectors,
                "capacity_sectors": c.capacity,
                "skew_cycles": c.skew,
            },
            "verilator_build_seconds": self.build.0,
            "verilator_build_cached": self.build.1,
            "scenarios": self.scenarios.iter().map(|s| s.json()).collect::<Vec<_>>(),
            "passed": self.passed(),
            "seconds": self.seconds,
        })
    }
}

/// Words moved on each of the eight links (indexed by `Link::index`): what each unit's
/// transmitter sent and its receiver took.
fn link_words(sys: &System) -> [u64; 8] {
    let mut words = [0u64; 8];
    for u in Unit::ALL {
        let (tx, rx) = u.links();
        let (sent, taken) = match u {
            Unit::CpuA => (sys.cpu_a.tx.sent, sys.cpu_a.rx.taken),
            Unit::CpuB => (sys.cpu_b.tx.sent, sys.cpu_b.rx.taken),
            Unit::DiskA => (sys.disk_a.tx.sent, sys.disk_a.rx.taken),
            Unit::DiskB => (sys.disk_b.tx.sent, sys.disk_b.rx.taken),
        };
        words[tx.index()] = sent;
        words[rx.index()] = taken;
    }
    words
}
