//! `ftio demo --cpu picorv32`: the real-CPU system in simulation — two PicoRV32 CPU sides
//! ([`crate::cpu_side`], Verilator), each with its own RAM holding the same firmware image
//! ([`crate::firmware`]) and its own CPU port, the generated `ftio_core` (Verilator), and two
//! disk models ([`crate::models::disk`]) — with one fault per scenario, a timeline, the host's
//! view over the UART, the disk images against the golden image and a waveform around the
//! fault. See `docs/cpu.md`.
//!
//! The system ([`CpuSystem`]) is composed cycle by cycle here: each cycle the CPU sides'
//! link outputs (functions of their registers only) go into the core, the core settles, its
//! outputs go into the CPU sides and disks, and everything is clocked.
use crate::core_sim::CoreSim;
use crate::error::IoAt;
use crate::cpu_side::{self, CpuSide, CpuSideLib};
use crate::demo::{describe_answer, DemoError, hex, named, registers_json, save_images, write_waveform, Check, Event, FinalRegisters, ImageResult};
use serde_json::{json, Value};
use crate::firmware::{self, RESULT_PASS, WBUF_ADDR};
use crate::link::{drive_beat, drive_ready, read_beat, read_ready, Beat};
use crate::models::disk::{DiskConfig, DiskModel};
use crate::models::image::DiskImage;
use crate::models::{Endpoint, EndpointPins};
use crate::port::{Link, Port};
use crate::rig::{Pins, Recorder, RegHost};
use crate::vcd::Sample;
use crate::verilator::{load, VerilatedLib};
use ftio_hdl::BuildParams;
use ftio_proto::{reg, Cause, Mode, MODE_KEEP};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Disk size in sectors (the firmware writes below LBA 5 + 37 * 7 + 4).
pub const CAPACITY: u64 = 512;

/// A scenario of the real-CPU demo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuScenario {
    /// No fault, elastic lockstep: both firmwares finish and pass, both disks golden.
    Duplex,
    /// No fault, strict lockstep: CPU B released exactly OFFSET cycles after CPU A.
    Strict,
    /// A data bit of one of CPU A's words flipped on its link: fail-over to SIMPLEX_B.
    Failover,
    /// A bit of CPU B's write buffer flipped in its RAM: its store differs, the core halts.
    Upset,
    /// Disk B hangs: degraded mirror, both firmwares finish.
    DiskFault,
}

impl CpuScenario {
    /// Every scenario, in the order the demo runs them.
    pub const ALL: [CpuScenario; 5] =
        [CpuScenario::Duplex, CpuScenario::Strict, CpuScenario::Failover, CpuScenario::Upset, CpuScenario::DiskFault];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            CpuScenario::Duplex => "duplex",
            CpuScenario::Strict => "strict",
            CpuScenario::Failover => "failover",
            CpuScenario::Upset => "upset",
            CpuScenario::DiskFault => "disk-fault",
        }
    }

    /// What it shows.
    pub fn title(self) -> &'static str {
        match self {
            CpuScenario::Duplex => "no fault, elastic lockstep: both firmwares pass, both disks golden",
            CpuScenario::Strict => "no fault, strict lockstep: CPU B released OFFSET cycles after CPU A, sees its I/O OFFSET cycles later",
            CpuScenario::Failover => "parity fault on CPU A's link -> fail-over to SIMPLEX_B, CPU B's firmware finishes",
            CpuScenario::Upset => "bit upset in CPU B's RAM -> its store differs: containment and HALTED",
            CpuScenario::DiskFault => "disk B hangs -> degraded mirror, both firmwares finish",
        }
    }

    /// The scenario called `name`.
    pub fn parse(name: &str) -> Result<CpuScenario, DemoError> {
        CpuScenario::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| DemoError::UnknownScenario {
            name: name.to_string(),
            demo: " for --cpu picorv32",
            scenarios: CpuScenario::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
        })
    }
}

/// What the demo runs.
#[derive(Clone, Debug)]
pub struct CpuDemoConfig {
    /// Core build parameters.
    pub params: BuildParams,
    /// Elastic lockstep: CPU B released this many cycles after CPU A.
    pub skew: u64,
    /// Strict lockstep: OFFSET D.
    pub offset: u64,
    /// Scenarios, in order.
    pub scenarios: Vec<CpuScenario>,
    /// Cycles of waveform before the fault and after it is detected.
    pub vcd_window: u64,
    /// Cycles the halted core is watched.
    pub halt_watch: u64,
    /// Give up after this many cycles.
    pub max_cycles: u64,
}

impl Default for CpuDemoConfig {
    fn default() -> Self {
        Self {
            params: BuildParams::default(),
            skew: 3,
            offset: 4,
            scenarios: CpuScenario::ALL.to_vec(),
            vcd_window: 200,
            halt_watch: 20_000,
            max_cycles: 3_000_000,
        }
    }
}

/// The write the faults hit (`WRITES / 2`) and the dword of its Data FIS payload.
pub const FAULT_WRITE: u32 = firmware::WRITES / 2;
/// Payload dword of the fault write hit by the fault (0-based).
pub const FAULT_DWORD: u64 = 63;

/// Index (0-based) in a CPU's `tx` stream of the word the faults hit.
pub fn fault_word() -> u64 {
    (0..FAULT_WRITE).map(firmware::write_words).sum::<u64>() + 5 + 1 + FAULT_DWORD
}

/// Two CPU sides, two disks, and the faults to apply.
pub struct CpuSystem {
    /// CPU A (on `cpu_a_*`).
    pub cpu_a: CpuSide,
    /// CPU B (on `cpu_b_*`).
    pub cpu_b: CpuSide,
    /// Disk A.
    pub disk_a: DiskModel,
    /// Disk B.
    pub disk_b: DiskModel,
    /// Cycles CPU A and CPU B are released.
    pub release: [Option<u64>; 2],
    /// Flip this data bit of CPU A's `tx` word with this index, in every cycle it is offered
    /// (a fault on the wire: the CPU's parity stays as made).
    pub flip_a: Option<(u64, u8)>,
    /// Cycles the flip was on the pins.
    pub flip_marks: Vec<u64>,
    /// Disk B hangs for good once it has taken this many words.
    pub hang_b_after: Option<u64>,
    /// Cycle disk B hung.
    pub hung_at: Option<u64>,
    /// Upset: once CPU B has sent this many words, flip bit `.2` of RAM word `.1`.
    pub upset_b: Option<(u64, u32, u8)>,
    /// Cycle of the upset and the word's value before and after.
    pub upset_at: Option<(u64, u32, u32)>,
}

impl CpuSystem {
    /// Two CPU sides with the firmware image, two blank disks of [`CAPACITY`] sectors.
    pub fn new(lib: &Arc<CpuSideLib>) -> Self {
        let image = firmware::image_words();
        let disk = |seed| {
            DiskModel::new(DiskConfig { seed, gap: 0.05, stall: 0.1, latency: 20, data_fis_sectors: 16 }, DiskImage::new(CAPACITY))
        };
        Self {
            cpu_a: CpuSide::new(lib, &image),
            cpu_b: CpuSide::new(lib, &image),
            disk_a: disk(0xD1),
            disk_b: disk(0xD1 ^ 0x5A5A),
            release: [None, None],
            flip_a: None,
            flip_marks: vec![],
            hang_b_after: None,
            hung_at: None,
            upset_b: None,
            upset_at: None,
        }
    }

    /// Drive half of cycle `c`: releases, faults, every model's outputs onto the core's pins.
    pub fn drive(&mut self, c: u64, sim: &mut dyn CoreSim) {
        for (i, side) in [&mut self.cpu_a, &mut self.cpu_b].into_iter().enumerate() {
            if side.held && self.release[i].is_some_and(|r| c >= r) {
                side.release(c);
            }
        }
        if let Some((after, word, bit)) = self.upset_b {
            if self.upset_at.is_none() && self.cpu_b.tx_sent >= after {
                let old = self.cpu_b.peek(word);
                let new = old ^ (1 << bit);
                self.cpu_b.poke(word, new);
                self.upset_at = Some((c, old, new));
            }
        }
        if self.hung_at.is_none() && self.hang_b_after.is_some_and(|n| self.disk_b.rx.taken >= n) {
            self.hung_at = Some(c);
        }
        sim.set_bit(Port::Reset, false);
        let (mut a_tx, a_rr) = self.cpu_a.drive();
        if let Some((word, bit)) = self.flip_a {
            if a_tx.valid && self.cpu_a.tx_sent == word {
                a_tx.data ^= 1 << bit;
                self.flip_marks.push(c);
            }
        }
        let (b_tx, b_rr) = self.cpu_b.drive();
        drive_beat(sim, Link::CpuATx, a_tx);
        drive_ready(sim, Link::CpuARx, a_rr);
        drive_beat(sim, Link::CpuBTx, b_tx);
        drive_ready(sim, Link::CpuBRx, b_rr);
        let da = self.disk_a.drive();
        let db = if self.hung_at.is_some() { EndpointPins { tx: Beat::IDLE, rx_ready: (false, true) } } else { self.disk_b.drive() };
        drive_beat(sim, Link::DiskARx, da.tx);
        drive_ready(sim, Link::DiskATx, da.rx_ready);
        drive_beat(sim, Link::DiskBRx, db.tx);
        drive_ready(sim, Link::DiskBTx, db.rx_ready);
    }

    /// Observe half of cycle `c` (after the core settled): the core's outputs into every
    /// model, which is clocked.
    pub fn observe(&mut self, c: u64, sim: &dyn CoreSim) {
        self.cpu_a.step(c, read_ready(sim, Link::CpuATx), read_beat(sim, Link::CpuARx));
        self.cpu_b.step(c, read_ready(sim, Link::CpuBTx), read_beat(sim, Link::CpuBRx));
        self.disk_a.observe(read_ready(sim, Link::DiskARx), read_beat(sim, Link::DiskATx));
        if self.hung_at.is_none() {
            self.disk_b.observe(read_ready(sim, Link::DiskBRx), read_beat(sim, Link::DiskBTx));
        }
    }
}

/// The system around one core with the register host on its UART.
pub struct CpuRig {
    /// The core.
    pub sim: Box<dyn CoreSim>,
    /// The models.
    pub sys: CpuSystem,
    /// The host on the UART.
    pub host: RegHost,
    /// Next cycle.
    pub cycle: u64,
    /// The ports kept for a waveform.
    pub rec: Recorder,
}

impl CpuRig {
    /// One cycle; what it showed at the pins the demo watches.
    pub fn step(&mut self) -> Pins {
        let c = self.cycle;
        let uart = self.host.drive(c);
        self.sys.drive(c, self.sim.as_mut());
        self.sim.set_bit(Port::UartRx, uart);
        self.sim.low();
        self.rec.record(c, self.sim.as_ref());
        let pins = Pins::of(self.sim.as_ref());
        self.sys.observe(c, self.sim.as_ref());
        self.host.observe(self.sim.get_bit(Port::UartTx), c);
        self.sim.edge();
        self.cycle += 1;
        pins
    }
}

/// The result of one scenario.
#[derive(Clone, Debug)]
pub struct CpuScenarioReport {
    /// Which.
    pub scenario: CpuScenario,
    /// The fault, in words ("none").
    pub fault: String,
    /// Cycle the fault hit.
    pub fault_cycle: Option<u64>,
    /// Cycle `irq` rose.
    pub irq_cycle: Option<u64>,
    /// Timeline.
    pub timeline: Vec<Event>,
    /// Registers the host read at the end.
    pub registers: Vec<(String, u32)>,
    /// Mode at the end.
    pub mode: Option<Mode>,
    /// First cause.
    pub cause: Option<u32>,
    /// Causes latched.
    pub faults: Vec<String>,
    /// Disk images.
    pub images: Vec<ImageResult>,
    /// Golden image (all writes).
    pub golden: String,
    /// RESULT of each firmware (A, B) with its cycle.
    pub results: [Option<(u64, u32)>; 2],
    /// Console output of each CPU.
    pub consoles: [String; 2],
    /// Words each CPU sent and took (A tx, A rx, B tx, B rx).
    pub cpu_words: [u64; 4],
    /// Commands each disk executed.
    pub disk_commands: (usize, usize),
    /// Checks.
    pub checks: Vec<Check>,
    /// Waveform file and cycle range.
    pub vcd: Option<(PathBuf, u64, u64)>,
    /// Cycles simulated.
    pub cycles: u64,
    /// Wall time, seconds.
    pub seconds: f64,
}

impl CpuScenarioReport {
    /// Every check holds.
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }

    fn register(&self, name: &str) -> Option<u32> {
        self.registers.iter().find(|r| r.0 == name).map(|r| r.1)
    }

    /// Human-readable report.
    pub fn text(&self, index: usize, of: usize) -> String {
        let mut s = format!("== {index}/{of} {}: {} ==\nfault: {}\n\n{:>9}  event\n", self.scenario.name(), self.scenario.title(), self.fault, "cycle");
        for e in &self.timeline {
            s += &format!("{:>9}  {}\n", e.cycle, e.text);
        }
        let r = |n: &str| self.register(n).map_or("?".into(), |v| v.to_string());
        let res = |x: &Option<(u64, u32)>| match x {
            Some((c, v)) if *v == RESULT_PASS => format!("PASS (cycle {c})"),
            Some((c, v)) => format!("FAIL {v:#010x} (cycle {c})"),
            None => "none (did not finish)".into(),
        };
        s += "\nsummary\n";
        s += &format!("  firmware      CPU A {}, CPU B {}\n", res(&self.results[0]), res(&self.results[1]));
        s += &format!(
            "  CPU links     CPU A sent {} words, took {}; CPU B sent {}, took {}; disk commands A {}, B {}\n",
            self.cpu_words[0], self.cpu_words[1], self.cpu_words[2], self.cpu_words[3], self.disk_commands.0, self.disk_commands.1
        );
        s += &format!(
            "  core          frames forwarded {}, words forwarded {}, frames aborted {}, words returned {}, max skew {} words, {} cycles\n",
            r("FRAMES_FWD"), r("WORDS_FWD"), r("FRAMES_ABORTED"), r("WORDS_RETURNED"), r("MAX_SKEW"), r("CYCLES")
        );
        s += &format!(
            "  faults        detected: {} (parity errors: CPU A {}, CPU B {}, disk A {}, disk B {}; mismatches {}; timeouts {}); mode now {}\n",
            if self.faults.is_empty() { "none".into() } else { self.faults.join(", ") },
            r("PERR_CPU_A"), r("PERR_CPU_B"), r("PERR_DISK_A"), r("PERR_DISK_B"), r("MISMATCHES"), r("TIMEOUTS"),
            self.mode.map_or("?", |m| m.name())
        );
        s += &format!("  golden image  sha256 {}\n", self.golden);
        for img in &self.images {
            let verdict = if img.sha256 == img.expected { "as expected" } else { "WRONG" };
            s += &format!("  {}        sha256 {}  {verdict}: {}\n", img.disk, img.sha256, img.expected_what);
        }
        if let Some((p, a, b)) = &self.vcd {
            s += &format!("  waveform      {} (cycles {a}..={b})\n", p.display());
        }
        s += &format!("  simulated     {} cycles in {:.1} s\n", self.cycles, self.seconds);
        for (who, con) in [("CPU A", &self.consoles[0]), ("CPU B", &self.consoles[1])] {
            let lines: Vec<&str> = con.lines().collect();
            let tail = &lines[lines.len().saturating_sub(3)..];
            s += &format!("  console {who}  {}\n", if tail.is_empty() { "(nothing)".into() } else { tail.join(" | ") });
        }
        s += "\n";
        for c in &self.checks {
            s += &format!("  [{}] {}\n", if c.ok { "ok" } else { "FAIL" }, c.what);
        }
        s += &format!("  => {}\n", if self.passed() { "PASS" } else { "FAIL" });
        s
    }

    /// The report as JSON.
    pub fn json(&self) -> Value {
        let res = |x: &Option<(u64, u32)>| x.map(|(cycle, result)| json!({ "cycle": cycle, "result": result }));
        json!({
            "scenario": self.scenario.name(),
            "title": self.scenario.title(),
            "fault": self.fault,
            "fault_cycle": self.fault_cycle,
            "irq_cycle": self.irq_cycle,
            "timeline": self.timeline,
            "mode": self.mode.map(|m| m.name()),
            "cause": self.cause.map(Cause::name_of),
            "faults": self.faults,
            "registers": registers_json(&self.registers),
            "firmware_result_cpu_a": res(&self.results[0]),
            "firmware_result_cpu_b": res(&self.results[1]),
            "console_cpu_a": self.consoles[0],
            "console_cpu_b": self.consoles[1],
            "golden_sha256": self.golden,
            "images": self.images,
            "checks": self.checks,
            "passed": self.passed(),
            "cycles": self.cycles,
            "seconds": self.seconds,
        })
    }
}

/// The whole real-CPU demo.
#[derive(Clone, Debug)]
pub struct CpuDemoReport {
    /// One per scenario.
    pub scenarios: Vec<CpuScenarioReport>,
    /// Model build times (core, CPU side) and whether cached.
    pub builds: [(f64, bool); 2],
    /// Wall time.
    pub seconds: f64,
    /// Output directory.
    pub out: PathBuf,
}

impl CpuDemoReport {
    /// Every scenario passed.
    pub fn passed(&self) -> bool {
        self.scenarios.iter().all(|s| s.passed())
    }

    /// Human-readable report.
    pub fn text(&self) -> String {
        let b = |(s, c): (f64, bool)| if c { "from the cache".to_string() } else { format!("built in {s:.1} s") };
        let mut s = format!(
            "ftio demo --cpu picorv32: firmware {} bytes (rv32i), core model {}, CPU side model {}\n\n",
            firmware::IMAGE.len(),
            b(self.builds[0]),
            b(self.builds[1])
        );
        let n = self.scenarios.len();
        for (i, sc) in self.scenarios.iter().enumerate() {
            s += &sc.text(i + 1, n);
            s.push('\n');
        }
        let passed = self.scenarios.iter().filter(|s| s.passed()).count();
        s += &format!("ftio demo --cpu picorv32: {passed}/{n} scenarios passed in {:.1} s; report in {}\n", self.seconds, self.out.display());
        s
    }

    /// JSON report.
    pub fn json(&self) -> Value {
        json!({
            "tool": "ftio demo --cpu picorv32",
            "firmware_bytes": firmware::IMAGE.len(),
            "scenarios": self.scenarios.iter().map(|s| s.json()).collect::<Vec<_>>(),
            "passed": self.passed(),
            "seconds": self.seconds,
        })
    }
}

/// Runs the scenarios of `cfg`, writing `out/<scenario>/{fault.vcd,disk_a.img,disk_b.img}`.
pub fn run_cpu_demo(cfg: &CpuDemoConfig, out: &Path, progress: &mut dyn FnMut(&str, u64)) -> Result<CpuDemoReport, DemoError> {
    if cfg.scenarios.is_empty() {
        return Err(DemoError::NoScenario);
    }
    let max_offset = (1u64 << cfg.params.offset_max_log2) - 1;
    if cfg.offset > max_offset {
        return Err(DemoError::Offset { offset: cfg.offset, max: max_offset });
    }
    let t0 = Instant::now();
    let core = load(&ftio_hdl::core_verilog(&cfg.params)?)?;
    let side = cpu_side::load()?;
    let mut scenarios = vec![];
    for &sc in &cfg.scenarios {
        let dir = out.join(format!("cpu-{}", sc.name()));
        std::fs::create_dir_all(&dir).map_err(IoAt::on("cannot create", &dir))?;
        scenarios.push(run_scenario(&core, &side, cfg, sc, &dir, progress)?);
    }
    Ok(CpuDemoReport {
        scenarios,
        builds: [(core.info.seconds, core.info.cached), (side.info.seconds, side.info.cached)],
        seconds: t0.elapsed().as_secs_f64(),
        out: out.to_path_buf(),
    })
}

/// One scenario: [`setup_scenario`], [`run_to_end`], then its files, [`scenario_checks`] and
/// the report.
fn run_scenario(
    core: &Arc<VerilatedLib>,
    side: &Arc<CpuSideLib>,
    cfg: &CpuDemoConfig,
    sc: CpuScenario,
    dir: &Path,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<CpuScenarioReport, DemoError> {
    let t0 = Instant::now();
    let mut s = setup_scenario(core, side, cfg, sc);
    let mut seen = run_to_end(&mut s, cfg, progress)?;
    let regs = FinalRegisters::of(&s.rig.host.answers);
    let marks = match sc {
        CpuScenario::Failover => s.rig.sys.flip_marks.clone(),
        _ => seen.fault_cycle.into_iter().collect(),
    };
    let comment = format!("ftio demo --cpu picorv32 {}: {}", sc.name(), s.fault);
    let vcd = write_waveform(dir, cfg.params.clock_hz, seen.vcd_samples.take(), &marks, &comment)?;
    let k = FAULT_WRITE;
    let all = format!("all {} writes (golden)", firmware::WRITES);
    let some = format!("the {k} writes before the fault");
    let (golden, before) = (s.golden, s.before);
    let expected = match sc {
        CpuScenario::Upset => [(before, some.clone()), (before, some)],
        CpuScenario::DiskFault => [(golden, all), (before, format!("the {k} writes before it hung"))],
        _ => [(golden, all.clone()), (golden, all)],
    };
    let images = save_images(dir, [&s.rig.sys.disk_a, &s.rig.sys.disk_b], expected)?;
    let checks = scenario_checks(&s, cfg, &seen, &regs, &images);
    let sys = &s.rig.sys;
    Ok(CpuScenarioReport {
        scenario: sc,
        fault: s.fault.clone(),
        fault_cycle: seen.fault_cycle,
        irq_cycle: seen.irq_cycle,
        timeline: s.tl.clone(),
        registers: regs.registers,
        mode: regs.mode,
        cause: regs.cause,
        faults: regs.faults,
        images,
        golden: hex(&golden),
        results: [sys.cpu_a.result, sys.cpu_b.result],
        consoles: [sys.cpu_a.console.clone(), sys.cpu_b.console.clone()],
        cpu_words: [sys.cpu_a.tx_sent, sys.cpu_a.rx_taken, sys.cpu_b.tx_sent, sys.cpu_b.rx_taken],
        disk_commands: (sys.disk_a.commands.len(), sys.disk_b.commands.len()),
        checks,
        vcd,
        cycles: seen.cycles,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// What [`setup_scenario`] prepares for one scenario: its fault placed in the CPU system, the
/// rig around a fresh core, the timeline's first lines.
struct Setup {
    sc: CpuScenario,
    strict: bool,
    /// The word (0-based, in a CPU's stream) the fault hits.
    fw: u64,
    /// SHA-256 of every write of the firmware applied to a blank disk.
    golden: [u8; 32],
    /// SHA-256 of the writes before the one the fault hits.
    before: [u8; 32],
    /// The fault, in words ("none").
    fault: String,
    rig: CpuRig,
    tl: Vec<Event>,
}

impl Setup {
    fn event(&mut self, cycle: u64, text: String) {
        self.tl.push(Event { cycle, text });
    }
}

/// What the run saw, cycle by cycle ([`run_to_end`]).
#[derive(Default)]
struct Observed {
    fault_cycle: Option<u64>,
    irq_cycle: Option<u64>,
    vcd_samples: Option<Vec<Sample>>,
    answers_seen: usize,
    halted_at: Option<u64>,
    final_queued: bool,
    abort_at: [Option<u64>; 2],
    last_disk_move: [Option<u64>; 2],
    last_cpu_move: Option<u64>,
    released_logged: [bool; 2],
    results_logged: [bool; 2],
    cycles: u64,
}

/// The fault of `sc` placed in a fresh CPU system, the rig around a fresh core, the host's
/// strict-lockstep configuration (or both CPUs' release cycles), the timeline's first line.
fn setup_scenario(core: &Arc<VerilatedLib>, side: &Arc<CpuSideLib>, cfg: &CpuDemoConfig, sc: CpuScenario) -> Setup {
    let k = FAULT_WRITE;
    let fw = fault_word();
    let mut sys = CpuSystem::new(side);
    let strict = sc == CpuScenario::Strict;
    let where_ = format!("write #{k} (LBA {}, {} sector(s)), dword {} of its Data FIS payload", firmware::write_lba(k), firmware::write_sectors(k), FAULT_DWORD + 1);
    let fault = match sc {
        CpuScenario::Duplex | CpuScenario::Strict => "none".to_string(),
        CpuScenario::Failover => {
            sys.flip_a = Some((fw, 13));
            format!("data bit 13 of CPU A's word {fw} ({where_}) flipped on the link; its parity as CPU A's port made it")
        }
        CpuScenario::Upset => {
            let before_words = (0..k).map(firmware::write_words).sum::<u64>() + 5;
            sys.upset_b = Some((before_words, WBUF_ADDR / 4 + FAULT_DWORD as u32, 8));
            format!("bit 8 of CPU B's RAM word {:#x} (its write buffer, dword {} of {where_}) flips once CPU B has sent write #{k}'s command", WBUF_ADDR + 4 * FAULT_DWORD as u32, FAULT_DWORD)
        }
        CpuScenario::DiskFault => {
            sys.hang_b_after = Some(fw);
            format!("disk B stops taking words for good once it holds {fw} words (in {where_})")
        }
    };
    sys.cpu_a.log_moves = strict || sc == CpuScenario::Upset;
    sys.cpu_b.log_moves = sys.cpu_a.log_moves;
    let divider = ftio_hdl::uart::clocks_per_bit(cfg.params.clock_hz, cfg.params.baud);
    let mut rig = CpuRig { sim: Box::new(core.instantiate()), sys, host: RegHost::new(divider), cycle: 0, rec: Recorder::new(cfg.vcd_window as usize) };
    if strict {
        rig.host.write("OFFSET", "OFFSET", cfg.offset as u32);
        rig.host.write("CTRL: strict lockstep (mode kept)", "CTRL", (1 << reg("CTRL").f("lockstep").lsb) | MODE_KEEP);
        rig.host.read("CTRL", "CTRL", 1);
        rig.host.read("OFFSET", "OFFSET", 1);
    } else {
        rig.sys.release = [Some(10), Some(10 + cfg.skew)];
    }
    let tl = vec![Event {
        cycle: 0,
        text: "power-on: DUPLEX, elastic lockstep, cut-through commit, auto fail-over, primary disk A; both CPUs held in reset with the firmware loaded".into(),
    }];
    let golden = firmware::golden_sha256(CAPACITY, firmware::WRITES);
    let before = firmware::golden_sha256(CAPACITY, k);
    Setup { sc, strict, fw, golden, before, fault, rig, tl }
}

/// Runs the rig until the scenario's work is done and the host has read the final registers,
/// writing the timeline as things happen.
fn run_to_end(s: &mut Setup, cfg: &CpuDemoConfig, progress: &mut dyn FnMut(&str, u64)) -> Result<Observed, DemoError> {
    let mut seen = Observed::default();
    loop {
        if s.rig.cycle >= cfg.max_cycles {
            return Err(DemoError::NotFinished(did_not_finish(s, cfg)));
        }
        let pins = s.rig.step();
        let c = s.rig.cycle - 1;
        // Strict: both CPUs released once the host's configuration is acknowledged.
        if s.strict && s.rig.sys.release[0].is_none() && s.rig.host.idle() {
            s.rig.sys.release = [Some(c + 1), Some(c + 1 + cfg.offset)];
        }
        seen.watch_cpus(s);
        seen.watch_fault(s);
        seen.watch_core(s, c, &pins);
        seen.watch_window(s, cfg, c);
        seen.read_answers(s);
        if c % 16384 == 0 {
            progress(s.sc.name(), c);
        }
        if seen.finished(s, cfg, c) && !seen.final_queued {
            seen.final_queued = true;
            if s.sc == CpuScenario::Upset {
                s.event(c, format!("still HALTED {} cycles after the host saw it: nothing more reaches a disk", c - seen.halted_at.unwrap_or(c)));
            }
            queue_final_reads(&mut s.rig.host, s.strict);
        }
        if seen.final_queued && s.rig.host.idle() {
            break;
        }
    }
    seen.cycles = s.rig.cycle;
    if s.sc == CpuScenario::Upset {
        if let Some(m) = seen.last_cpu_move {
            s.event(m, "the last CPU word the core takes: from here on both CPUs are held off".into());
        }
    }
    s.tl.sort_by_key(|e| e.cycle);
    Ok(seen)
}

/// The error of a scenario still running at `max_cycles`, with where each CPU got to.
fn did_not_finish(s: &Setup, cfg: &CpuDemoConfig) -> String {
    let sys = &s.rig.sys;
    format!(
        "scenario {} did not finish in {} cycles (CPU A sent {} words, result {:?}; CPU B sent {}, result {:?}; last events: {})",
        s.sc.name(),
        cfg.max_cycles,
        sys.cpu_a.tx_sent,
        sys.cpu_a.result,
        sys.cpu_b.tx_sent,
        sys.cpu_b.result,
        s.tl.iter().rev().take(4).map(|e| format!("{}: {}", e.cycle, e.text)).collect::<Vec<_>>().join(" | ")
    )
}

/// The reads every scenario ends with: a counter snapshot (CTRL is written whole: the
/// lockstep kind the scenario set is kept), the counters, STATUS and FAULTS, CTRL, OFFSET.
fn queue_final_reads(host: &mut RegHost, strict: bool) {
    let lockstep = (strict as u32) << reg("CTRL").f("lockstep").lsb;
    host.write("counter snapshot (CTRL.cnt_snapshot, mode and lockstep kept)", "CTRL", (1 << 9) | lockstep | MODE_KEEP);
    host.read("counters", "WORDS_FWD", 13);
    host.read("STATUS and FAULTS", "STATUS", 2);
    host.read("CTRL", "CTRL", 1);
    host.read("OFFSET", "OFFSET", 1);
}

impl Observed {
    /// Each CPU's release from reset and its firmware's RESULT, once each.
    fn watch_cpus(&mut self, s: &mut Setup) {
        for i in 0..2 {
            let side = if i == 0 { &s.rig.sys.cpu_a } else { &s.rig.sys.cpu_b };
            let who = ["A", "B"][i];
            if let (Some(r), false) = (side.released_at, self.released_logged[i]) {
                self.released_logged[i] = true;
                s.tl.push(Event { cycle: r, text: format!("CPU {who} released from reset: PicoRV32 starts the firmware at address 0") });
            }
            if let (Some((rc, v)), false) = (side.result, self.results_logged[i]) {
                self.results_logged[i] = true;
                let last = side.console.lines().last().unwrap_or("").to_string();
                let verdict = if v == RESULT_PASS { "pass" } else { "FAIL" };
                s.tl.push(Event { cycle: rc, text: format!("CPU {who}'s firmware reports RESULT {v:#x} ({verdict}): \"{last}\"") });
            }
        }
    }

    /// The fault reaching the pins (once), which starts the waveform's capture.
    fn watch_fault(&mut self, s: &mut Setup) {
        let hit = match s.sc {
            CpuScenario::Failover => s.rig.sys.flip_marks.first().copied(),
            CpuScenario::Upset => s.rig.sys.upset_at.map(|u| u.0),
            CpuScenario::DiskFault => s.rig.sys.hung_at,
            _ => None,
        };
        let (Some(h), None) = (hit, self.fault_cycle) else { return };
        self.fault_cycle = Some(h);
        let text = match s.sc {
            CpuScenario::Failover => format!("fault: CPU A's port offers its word {} and the link flips data bit 13", s.fw),
            CpuScenario::Upset => {
                let (_, old, new) = s.rig.sys.upset_at.expect("upset");
                format!("fault: CPU B's RAM word {:#x} flips from {old:#010x} to {new:#010x} (its write buffer, not yet sent)", WBUF_ADDR + 4 * FAULT_DWORD as u32)
            }
            _ => format!("fault: disk B hangs — its tx_ready stays low from now on, with write #{FAULT_WRITE} half received"),
        };
        s.event(h, text);
        s.rig.rec.start_capture();
    }

    /// The core's answer at its pins in cycle `c`: irq (and the host's reads it triggers),
    /// abort words, the last words the disks and the CPUs moved.
    fn watch_core(&mut self, s: &mut Setup, c: u64, pins: &Pins) {
        if pins.irq && self.irq_cycle.is_none() {
            self.irq_cycle = Some(c);
            s.event(c, format!("irq rises: the core has latched a fault ({} cycles after the fault)", c - self.fault_cycle.unwrap_or(c)));
            s.rig.host.read("STATUS and FAULTS", "STATUS", 2);
            s.rig.host.read("first-fault capture", "CAP_CAUSE", 7);
        }
        for (i, l) in [Link::DiskATx, Link::DiskBTx].into_iter().enumerate() {
            if pins.abort[l.index()] && self.abort_at[i].is_none() {
                self.abort_at[i] = Some(c);
                s.event(c, format!("{} takes the abort word (last & abort): the Data FIS in flight is void", ["disk A", "disk B"][i]));
            }
            if pins.moved[l.index()] {
                self.last_disk_move[i] = Some(c);
            }
        }
        if pins.moved[Link::CpuATx.index()] || pins.moved[Link::CpuBTx.index()] {
            self.last_cpu_move = Some(c);
        }
    }

    /// The waveform's window, cycle `c`: from the fault to `vcd_window` after irq (bounded if
    /// irq never rises).
    fn watch_window(&mut self, s: &mut Setup, cfg: &CpuDemoConfig, c: u64) {
        if !s.rig.rec.capturing() {
            return;
        }
        let end = match self.irq_cycle {
            Some(i) => c >= i + cfg.vcd_window,
            None => s.rig.rec.captured() as u64 >= 4096 + 4 * cfg.vcd_window,
        };
        if end {
            self.vcd_samples = Some(s.rig.rec.end_capture());
            s.rig.rec.ring = 0;
        }
    }

    /// What the host read since the last look, onto the timeline; when it first saw HALTED.
    fn read_answers(&mut self, s: &mut Setup) {
        while self.answers_seen < s.rig.host.answers.len() {
            let a = &s.rig.host.answers[self.answers_seen];
            self.answers_seen += 1;
            s.tl.push(Event { cycle: a.cycle, text: describe_answer(a) });
            if let Some((_, st)) = named(a).into_iter().find(|r| r.0 == "STATUS") {
                if Mode::from_field(reg("STATUS").f("mode").get(st)) == Mode::Halted && self.halted_at.is_none() {
                    self.halted_at = Some(a.cycle);
                }
            }
        }
    }

    /// The scenario's work is done in cycle `c`, and its waveform taken (if there is a fault).
    fn finished(&self, s: &Setup, cfg: &CpuDemoConfig, c: u64) -> bool {
        let sys = &s.rig.sys;
        let done = match s.sc {
            CpuScenario::Duplex | CpuScenario::Strict | CpuScenario::DiskFault => sys.cpu_a.result.is_some() && sys.cpu_b.result.is_some() && sys.disk_a.idle(),
            CpuScenario::Failover => sys.cpu_b.result.is_some() && sys.disk_a.idle() && sys.disk_b.idle(),
            CpuScenario::Upset => self.halted_at.is_some_and(|h| c >= h + cfg.halt_watch),
        };
        done && (self.vcd_samples.is_some() || self.fault_cycle.is_none())
    }
}

/// What each scenario promises, checked against what the run saw, the registers the host
/// read and the images.
fn scenario_checks(s: &Setup, cfg: &CpuDemoConfig, seen: &Observed, regs: &FinalRegisters, images: &[ImageResult]) -> Vec<Check> {
    let (sys, k, fw) = (&s.rig.sys, FAULT_WRITE, s.fw);
    let (mode, cause, status) = (regs.mode, regs.cause, regs.status);
    let regv = |n: &str| regs.get(n);
    let mut checks = vec![];
    let mut check = |what: String, ok: bool| checks.push(Check { what, ok });
    let pass = |s: &CpuSide| s.result.is_some_and(|r| r.1 == RESULT_PASS) && s.console.contains("PASS");
    let sane = |s: &CpuSide| s.trapped.is_none() && s.bus_error.is_none();
    let within = |a: Option<u64>, b: Option<u64>, lo: u64, hi: u64| matches!((a, b), (Some(f), Some(i)) if i >= f + lo && i <= f + hi);
    let sf = |s: Option<u32>, f: &str| s.is_some_and(|s| reg("STATUS").f(f).get(s) == 1);
    for img in images {
        check(format!("{} holds {}: sha256 {}", img.disk, img.expected_what, &img.expected[..16]), img.sha256 == img.expected);
    }
    check("no word with a parity error reached a disk; the disks saw no malformed frame".into(), sys.disk_a.rx.errors.is_empty() && sys.disk_b.rx.errors.is_empty() && sys.disk_a.errors.is_empty() && sys.disk_b.errors.is_empty());
    check("neither CPU trapped or touched an address outside its memory map".into(), sane(&sys.cpu_a) && sane(&sys.cpu_b));
    check("the host read every register it asked for".into(), s.rig.host.answers.iter().all(|a| a.result.is_ok()));
    let no_errors = ["PERR_CPU_A", "PERR_CPU_B", "PERR_DISK_A", "PERR_DISK_B", "MISMATCHES"].iter().all(|n| regv(n) == Some(0));
    match s.sc {
        CpuScenario::Duplex | CpuScenario::Strict => {
            check("both firmwares report PASS (every sector read back as written)".into(), pass(&sys.cpu_a) && pass(&sys.cpu_b));
            check("both CPUs printed the same console output".into(), sys.cpu_a.console == sys.cpu_b.console);
            check("no fault: irq never rose, mode DUPLEX, no parity error, no mismatch, no frame aborted".into(), seen.irq_cycle.is_none() && mode == Some(Mode::Duplex) && no_errors && regv("FRAMES_ABORTED") == Some(0));
            let frames = 2 * firmware::WRITES as u64 + firmware::WRITES as u64;
            check(format!("FRAMES_FWD = {frames} (a command and a Data FIS per write, a command per read)"), regv("FRAMES_FWD") == Some(frames as u32));
            if s.strict {
                for c in strict_checks(s, cfg, regs) {
                    check(c.what, c.ok);
                }
            }
        }
        CpuScenario::Failover => {
            check("irq within 3 cycles of the bad word (SPEC §4 guarantee 3)".into(), within(seen.fault_cycle, seen.irq_cycle, 1, 3));
            check("STATUS: mode SIMPLEX_B, cause CPU_A_PARITY, CPU A failed".into(), mode == Some(Mode::SimplexB) && cause == Some(Cause::CpuAParity.code()) && sf(status, "cpu_a_failed"));
            check("CPU B's firmware reports PASS: every sector read back as written".into(), pass(&sys.cpu_b));
            check("CPU A's firmware never reported (isolated mid-write)".into(), sys.cpu_a.result.is_none());
            check(format!("PERR_CPU_A = {} (one per cycle the bad word was offered), no other parity error", sys.flip_marks.len()), regv("PERR_CPU_A") == Some(sys.flip_marks.len() as u32) && regv("PERR_CPU_B") == Some(0) && regv("PERR_DISK_A") == Some(0) && regv("PERR_DISK_B") == Some(0));
            check("no frame aborted (hitless)".into(), regv("FRAMES_ABORTED") == Some(0));
        }
        CpuScenario::Upset => {
            let later = sys.cpu_a.tx_log.get(fw as usize).zip(sys.cpu_b.tx_log.get(fw as usize)).map(|(a, b)| a.0.max(b.0));
            check(
                format!("irq within 3 cycles of the later word of the diverging pair, taken in cycle {} (SPEC §4 guarantee 3)", later.map_or("?".into(), |c| c.to_string())),
                within(later, seen.irq_cycle, 1, 3),
            );
            check("STATUS: mode HALTED, cause MISMATCH (a difference with good parity cannot be attributed)".into(), mode == Some(Mode::Halted) && cause == Some(Cause::Mismatch.code()));
            check("both disks took the abort word, and it is the last word either took (FRAMES_ABORTED = 1)".into(), seen.abort_at[0].is_some() && seen.abort_at[1].is_some() && seen.last_disk_move == seen.abort_at && regv("FRAMES_ABORTED") == Some(1));
            check("the capture holds both words: data A ^ data B = 0x100".into(), regv("CAP_DATA_A").zip(regv("CAP_DATA_B")).is_some_and(|(a, b)| a ^ b == 1 << 8));
            check(format!("the diverging write reached neither disk: each executed exactly the {k} writes before it"), sys.disk_a.commands.len() == k as usize && sys.disk_b.commands.len() == k as usize);
            check("neither firmware reported: both CPUs held off".into(), sys.cpu_a.result.is_none() && sys.cpu_b.result.is_none());
            check(format!("both CPUs held off for the {} cycles watched", cfg.halt_watch), seen.last_cpu_move.is_some_and(|m| m + cfg.halt_watch <= seen.cycles));
        }
        CpuScenario::DiskFault => {
            check("disk B failed after DISK_TIMEOUT (4096) cycles with a word waiting, not before".into(), seen.irq_cycle.zip(sys.hung_at).is_some_and(|(i, h)| i > h + 4096 && i < h + 4096 + 200));
            check("STATUS: mode DUPLEX, cause DISK_B_TIMEOUT, disk B failed".into(), mode == Some(Mode::Duplex) && cause == Some(Cause::DiskBTimeout.code()) && sf(status, "disk_b_failed") && !sf(status, "disk_a_failed"));
            check("both firmwares report PASS, with the same console output".into(), pass(&sys.cpu_a) && pass(&sys.cpu_b) && sys.cpu_a.console == sys.cpu_b.console);
            check("no frame aborted, no CPU parity error, no mismatch".into(), regv("FRAMES_ABORTED") == Some(0) && regv("PERR_CPU_A") == Some(0) && regv("PERR_CPU_B") == Some(0) && regv("MISMATCHES") == Some(0));
        }
    }
    checks
}

/// Strict lockstep: CPU B exactly OFFSET cycles behind CPU A in every word it sent and took
/// and in its RESULT; the host saw strict lockstep configured before the release.
fn strict_checks(s: &Setup, cfg: &CpuDemoConfig, regs: &FinalRegisters) -> Vec<Check> {
    let (d, a, b) = (cfg.offset, &s.rig.sys.cpu_a, &s.rig.sys.cpu_b);
    let same = |x: &[(u64, u32, bool)], y: &[(u64, u32, bool)]| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| q.0 == p.0 + d && q.1 == p.1 && q.2 == p.2);
    let same_rx = a.rx_log.len() == b.rx_log.len() && a.rx_log.iter().zip(&b.rx_log).all(|(p, q)| q.0 == p.0 + d && q.1 == p.1);
    let strict_before_release = s.rig.host.answers.iter().any(|ans| {
        ans.cycle < a.released_at.unwrap_or(0) && named(ans).iter().any(|(n, v)| n == "CTRL" && reg("CTRL").f("lockstep").get(*v) == 1)
    });
    vec![
        Check { what: format!("strict: every word CPU B sent moved exactly {d} cycles after CPU A's same word ({} words)", a.tx_log.len()), ok: same(&a.tx_log, &b.tx_log) },
        Check { what: format!("strict: every word CPU B took moved exactly {d} cycles after CPU A took it ({} words)", a.rx_log.len()), ok: same_rx },
        Check { what: format!("strict: CPU B's firmware finished exactly {d} cycles after CPU A's"), ok: a.result.zip(b.result).is_some_and(|(x, y)| y.0 == x.0 + d) },
        Check {
            what: "the host read CTRL.lockstep = 1 (strict) before releasing the CPUs, and at the end; OFFSET as set".into(),
            ok: strict_before_release && regs.get("CTRL").is_some_and(|v| reg("CTRL").f("lockstep").get(v) == 1) && regs.get("OFFSET") == Some(d as u32),
        },
    ]
}
