//! Datapath figures of the core, measured at its pins (issue 3 item 8, issue 4 item 7):
//! throughput and latency of the write path in every mode, detection latency of a parity
//! error and of a mismatch, throughput and latency of the return path, and how many words a
//! stalled disk absorbs before the CPUs are back-pressured.
//!
//! Every figure comes from a run of the Verilator model of the generated Verilog, made afresh
//! for each measurement: a fresh core, the mode set by register writes over the UART (SPEC
//! §5 frames from [`RegHost`]) before any traffic, then cycle-exact sources and sinks on the
//! links (a source offers its next word every cycle, each sink is ready every cycle unless the
//! measurement stalls it), and every take on every link stamped with its cycle. Nothing here
//! is a constant of the design: change the core and the figures change.
//!
//! Cycle convention (as in `hdl/tests/core.rs`): a word is *taken* in cycle t when `valid &
//! ready` after the clock-low settle of cycle t; `irq` "rises at t" when it is first seen high
//! after the settle of cycle t.
use crate::error::{check, RunError};
use crate::core_sim::CoreSim;
use crate::link::{frame, Beat, Word};
use crate::port::{Link, LinkSignal as S, Port, ALL_PORTS, PORT_COUNT};
use crate::rig::RegHost;
use crate::scenario::{fast_uart_params, FAST_UART_DIVIDER};
use crate::vcd::Sample;
use crate::verilator::{load, BuildInfo, VerilatedLib};
use ftio_hdl::link::byte_parity;
use ftio_hdl::BuildParams;
use ftio_proto::reg;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

/// What to measure with.
#[derive(Clone, Debug)]
pub struct DatapathConfig {
    /// Core build (the default datapath; a fast UART so that mode setting is quick).
    pub params: BuildParams,
    /// Clock cycles per UART bit of `params`.
    pub uart_divider: u64,
    /// Frames per write-path and return-path run.
    pub frames: usize,
    /// Words per frame.
    pub frame_len: usize,
    /// D for the strict-lockstep runs.
    pub offset: u64,
}

impl Default for DatapathConfig {
    fn default() -> Self {
        Self { params: fast_uart_params(), uart_divider: FAST_UART_DIVIDER, frames: 64, frame_len: 8, offset: 4 }
    }
}

/// Lockstep kind and commit kind of a DUPLEX run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Elastic lockstep, cut-through commit (power-on).
    ElasticCut,
    /// Strict lockstep (B exactly D cycles behind A), cut-through commit.
    StrictCut,
    /// Elastic lockstep, store-and-forward commit.
    ElasticSaf,
}

/// The modes whose write path the bench measures, in table order.
pub const WRITE_MODES: [BenchMode; 6] = [
    BenchMode::Duplex(Kind::ElasticCut),
    BenchMode::Duplex(Kind::StrictCut),
    BenchMode::Duplex(Kind::ElasticSaf),
    BenchMode::SimplexA,
    BenchMode::SimplexB,
    BenchMode::Split,
];

/// A mode as the bench sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchMode {
    /// DUPLEX with a lockstep and commit kind.
    Duplex(Kind),
    /// CPU A drives both disks.
    SimplexA,
    /// CPU B drives both disks.
    SimplexB,
    /// A to disk A, B to disk B.
    Split,
}

impl BenchMode {
    /// Name for the tables.
    pub fn name(self) -> &'static str {
        match self {
            BenchMode::Duplex(Kind::ElasticCut) => "DUPLEX elastic cut-through",
            BenchMode::Duplex(Kind::StrictCut) => "DUPLEX strict (D) cut-through",
            BenchMode::Duplex(Kind::ElasticSaf) => "DUPLEX elastic store-and-fwd",
            BenchMode::SimplexA => "SIMPLEX_A",
            BenchMode::SimplexB => "SIMPLEX_B",
            BenchMode::Split => "SPLIT",
        }
    }

    /// The `CTRL` value that selects it (auto policy, primary disk A).
    pub fn ctrl(self) -> u32 {
        let ctrl = reg("CTRL");
        let (mode, strict, saf) = match self {
            BenchMode::Duplex(k) => (0, k == Kind::StrictCut, k == Kind::ElasticSaf),
            BenchMode::SimplexA => (1, false, false),
            BenchMode::SimplexB => (2, false, false),
            BenchMode::Split => (3, false, false),
        };
        let v = ctrl.f("mode").insert(0, mode);
        let v = ctrl.f("lockstep").insert(v, strict as u32);
        ctrl.f("commit").insert(v, saf as u32)
    }

    /// Store-and-forward commit.
    pub fn is_saf(self) -> bool {
        self == BenchMode::Duplex(Kind::ElasticSaf)
    }

    /// Strict lockstep.
    pub fn is_strict(self) -> bool {
        self == BenchMode::Duplex(Kind::StrictCut)
    }
}

/// Smallest and largest of a set of cycle counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinMax {
    /// Smallest.
    pub min: i64,
    /// Largest.
    pub max: i64,
}

impl MinMax {
    fn of(v: impl IntoIterator<Item = i64>) -> Option<MinMax> {
        v.into_iter().fold(None, |m, x| match m {
            None => Some(MinMax { min: x, max: x }),
            Some(m) => Some(MinMax { min: m.min.min(x), max: m.max.max(x) }),
        })
    }
}

impl std::fmt::Display for MinMax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:>3} {:>3}", self.min, self.max)
    }
}

/// Words per cycle of takes stamped `cycles` (sorted): words / (last − first + 1).
fn rate(cycles: &[u64]) -> f64 {
    match (cycles.first(), cycles.last()) {
        (Some(a), Some(b)) => cycles.len() as f64 / (b - a + 1) as f64,
        _ => 0.0,
    }
}

/// One disk link in one write-path run.
#[derive(Clone, Debug)]
pub struct WriteRow {
    /// The mode.
    pub mode: BenchMode,
    /// `disk_a_tx` or `disk_b_tx`.
    pub link: Link,
    /// The CPU link(s) feeding it.
    pub from: &'static str,
    /// Words taken on the disk link (all checked against what was sent).
    pub words: usize,
    /// Sustained words/cycle on the disk link, first take to last.
    pub disk_rate: f64,
    /// Words/cycle taken from the feeding CPU link(s) over the same run.
    pub cpu_rate: f64,
    /// Cycles from the later take of a pair (the one CPU's take outside DUPLEX) to the word's
    /// take on the disk link; store-and-forward: from the later take of a frame's `last` pair
    /// to the take of the frame's first word.
    pub latency: MinMax,
}

/// One detection measurement.
#[derive(Clone, Debug)]
pub struct DetectRow {
    /// What was done.
    pub what: String,
    /// Cycles from the reference take to the cycle `irq` was first high.
    pub latency: i64,
    /// The reference take, as text.
    pub from: &'static str,
}

/// One CPU link in one return-path run.
#[derive(Clone, Debug)]
pub struct ReturnRow {
    /// The mode.
    pub mode: BenchMode,
    /// `cpu_a_rx` or `cpu_b_rx`.
    pub link: Link,
    /// Words taken on it (checked against what disk A sent).
    pub words: usize,
    /// Sustained words/cycle on the CPU link.
    pub rate: f64,
    /// Cycles from the word's take on `disk_a_rx` to its take on this link.
    pub latency: MinMax,
    /// Strict: this link's take minus CPU A's take of the same word.
    pub after_cpu_a: Option<MinMax>,
}

/// A disk that never takes a word while both CPUs offer every cycle (DUPLEX, cut-through).
#[derive(Clone, Debug)]
pub struct BackPressure {
    /// Words the stalled disk's path took (the mirror moves in step, so this is what the
    /// healthy disk received while the other was stalled).
    pub absorbed: usize,
    /// Words each CPU link took before its `tx_ready` was first low.
    pub cpu_taken: [usize; 2],
    /// Cycles from the first CPU take to the first cycle `tx_ready` was low.
    pub cycles_to_ready_low: u64,
    /// After the stall ends, both disks got every word once, in order, and no fault latched.
    pub lossless: bool,
}

/// The measurements.
#[derive(Clone, Debug)]
pub struct DatapathReport {
    /// The configuration.
    pub cfg: DatapathConfig,
    /// Write path, one row per disk link per mode.
    pub write: Vec<WriteRow>,
    /// Detection latencies.
    pub detection: Vec<DetectRow>,
    /// Return path, one row per CPU link that gets words.
    pub ret: Vec<ReturnRow>,
    /// Back-pressure.
    pub back_pressure: BackPressure,
    /// Cycles simulated in all.
    pub cycles: u64,
    /// Wall time of the runs (the model build excluded), seconds.
    pub seconds: f64,
    /// How the Verilator model was obtained.
    pub build: BuildInfo,
}

impl DatapathReport {
    /// The rows of one mode.
    pub fn write_rows(&self, mode: BenchMode) -> impl Iterator<Item = &WriteRow> {
        self.write.iter().filter(move |r| r.mode == mode)
    }
}

impl std::fmt::Display for DatapathReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.cfg;
        writeln!(
            f,
            "datapath figures, measured on the Verilator model of the generated ftio_core \
             (all sinks ready, sources offering every cycle, {} frames x {} words, D = {}{})",
            c.frames,
            c.frame_len,
            c.offset,
            match c.params.pipeline {
                0 => String::new(),
                n => format!(", pipeline {n}"),
            }
        )?;
        writeln!(f)?;
        writeln!(f, "write path (CPU tx -> disk tx)        link       from      words  disk w/c  cpu w/c  latency min max")?;
        for r in &self.write {
            let mut name = r.mode.name().replace("(D)", &format!("D={}", c.offset));
            if r.link == Link::DiskBTx {
                name = String::new();
            }
            writeln!(
                f,
                "  {:<35} {:<10} {:<9} {:>5}  {:>8.3}  {:>7.3}  {}{}",
                name,
                r.link.name(),
                r.from,
                r.words,
                r.disk_rate,
                r.cpu_rate,
                r.latency,
                if r.mode.is_saf() { "  (last pair -> first word)" } else { "" }
            )?;
        }
        writeln!(f, "  latency: cycles from the later CPU take of a pair (SIMPLEX/SPLIT: the one CPU's take) to the take on the disk link")?;
        writeln!(f)?;
        writeln!(f, "detection (DUPLEX, cut-through)                                          irq after")?;
        for d in &self.detection {
            writeln!(f, "  {:<70} {:>3}  ({})", d.what, d.latency, d.from)?;
        }
        writeln!(f)?;
        writeln!(f, "return path (disk A rx -> CPU rx)     link       words  cpu w/c  latency min max  after CPU A")?;
        let mut prev = None;
        for r in &self.ret {
            let name = if prev == Some(r.mode) {
                String::new()
            } else {
                r.mode.name().replace("(D)", &format!("D={}", c.offset))
            };
            prev = Some(r.mode);
            let after = r.after_cpu_a.map(|m| format!("          {m}")).unwrap_or_default();
            writeln!(
                f,
                "  {:<35} {:<10} {:>5}  {:>7.3}  {}{}",
                name,
                r.link.name(),
                r.words,
                r.rate,
                r.latency,
                after
            )?;
        }
        writeln!(f, "  primary disk A (disk B answers the same words); latency: cycles from the take on disk_a_rx to the take on the CPU link; after CPU A: this take minus CPU A's")?;
        writeln!(f)?;
        let b = &self.back_pressure;
        writeln!(f, "back-pressure (DUPLEX elastic cut-through, disk_b_tx never ready, both CPUs offering every cycle)")?;
        writeln!(f, "  words the stalled disk's buffer absorbed (disk_a_tx got the same, in step)  {:>5}", b.absorbed)?;
        writeln!(
            f,
            "  words each CPU link took before its tx_ready first went low (A / B)      {:>5} / {}  ({} cycles after the first take)",
            b.cpu_taken[0], b.cpu_taken[1], b.cycles_to_ready_low
        )?;
        writeln!(
            f,
            "  after disk B resumes: {}",
            if b.lossless { "every word on both disks once, in order, no fault" } else { "WORDS LOST, REPEATED OR A FAULT" }
        )?;
        write!(
            f,
            "{} cycles simulated in {:.2} s; verilator model build: {:.1} s{}",
            self.cycles,
            self.seconds,
            self.build.seconds,
            if self.build.cached { " (cached)" } else { "" }
        )
    }
}

/// A test source on an into-core link.
pub(crate) enum Src {
    /// Offers nothing.
    Idle,
    /// Offers its beats in order from cycle `start`, every cycle, holding each until taken.
    Queue { beats: VecDeque<Beat>, start: u64, sent: usize },
    /// Drives exactly what CPU A's link carried `delay` cycles earlier (strict lockstep),
    /// with the data of the listed words (by CPU A's word index) XORed, parity recomputed.
    FollowA { delay: u64, change: Vec<(usize, u32)> },
}

impl Src {
    pub(crate) fn queue(beats: Vec<Beat>, start: u64) -> Self {
        Src::Queue { beats: beats.into(), start, sent: 0 }
    }
}

/// The into-core links, in the order of `Harness::src`.
pub(crate) const INTO: [Link; 4] = [Link::CpuATx, Link::CpuBTx, Link::DiskARx, Link::DiskBRx];
/// The out-of-core links, in the order of `Harness::ready_from` and `Harness::stalls`.
pub(crate) const OUT: [Link; 4] = [Link::CpuARx, Link::CpuBRx, Link::DiskATx, Link::DiskBTx];

/// One fresh core with the test sources and sinks around it (also drives the timing
/// diagrams of [`crate::waves`]).
pub(crate) struct Harness {
    pub(crate) sim: Box<dyn CoreSim>,
    pub(crate) host: RegHost,
    pub(crate) cycle: u64,
    pub(crate) src: [Src; 4],
    /// Sinks on [`OUT`]: ready from this cycle on (None: never).
    pub(crate) ready_from: [Option<u64>; 4],
    /// Sinks on [`OUT`]: not ready in these cycles (back-pressure), whatever `ready_from` says.
    pub(crate) stalls: [Vec<std::ops::Range<u64>>; 4],
    /// Every take on every link: (cycle, beat), by `Link::index`.
    pub(crate) taken: [Vec<(u64, Beat)>; 8],
    /// CPU A's driven beat each cycle, with its word index.
    hist_a: Vec<Option<(usize, Beat)>>,
    /// `tx_ready` of CPU A and CPU B each cycle.
    tx_ready: Vec<[bool; 2]>,
    pub(crate) irq_at: Option<u64>,
    /// While `Some`: every port of every cycle, as it settled after the clock went low.
    pub(crate) record: Option<Vec<Sample>>,
}

impl Harness {
    pub(crate) fn new(lib: &Arc<VerilatedLib>, divider: u64) -> Self {
        Self {
            sim: Box::new(lib.instantiate()),
            host: RegHost::new(divider),
            cycle: 0,
            src: [Src::Idle, Src::Idle, Src::Idle, Src::Idle],
            ready_from: [Some(0); 4],
            stalls: Default::default(),
            taken: Default::default(),
            hist_a: vec![],
            tx_ready: vec![],
            irq_at: None,
            record: None,
        }
    }

    fn drive_src(&self, i: usize) -> (Option<usize>, Beat) {
        let t = self.cycle;
        match &self.src[i] {
            Src::Idle => (None, Beat::IDLE),
            Src::Queue { beats, start, sent } => match beats.front() {
                Some(b) if t >= *start => (Some(*sent), *b),
                _ => (None, Beat::IDLE),
            },
            Src::FollowA { delay, change } => {
                let Some(back) = t.checked_sub(*delay) else { return (None, Beat::IDLE) };
                match self.hist_a.get(back as usize).copied().flatten() {
                    None => (None, Beat::IDLE),
                    Some((k, mut b)) => {
                        for &(w, x) in change {
                            if w == k {
                                b.data ^= x;
                                b.par = byte_parity(b.data);
                            }
                        }
                        (Some(k), b)
                    }
                }
            }
        }
    }

    pub(crate) fn step(&mut self) {
        let t = self.cycle;
        let uart = self.host.drive(t);
        self.sim.set_bit(Port::UartRx, uart);
        self.sim.set_bit(Port::Reset, false);
        let mut beats = [Beat::IDLE; 4];
        let mut index = [None; 4];
        for (i, &l) in INTO.iter().enumerate() {
            let (k, b) = self.drive_src(i);
            index[i] = k;
            beats[i] = b;
            if i == 0 {
                // Before CPU B's turn, so that B can follow A with D = 0.
                self.hist_a.push(k.map(|k| (k, b)));
            }
            self.sim.set_bit(l.port(S::Valid), b.valid);
            self.sim.set(l.port(S::Data), b.data as u64);
            self.sim.set_bit(l.port(S::Last), b.last);
            self.sim.set_bit(l.port(S::Abort), b.abort);
            self.sim.set(l.port(S::Par), b.par as u64);
            self.sim.set_bit(l.port(S::Cpar), b.cpar);
        }
        let mut ready = [false; 4];
        for (i, &l) in OUT.iter().enumerate() {
            ready[i] = self.ready_from[i].is_some_and(|c| t >= c) && !self.stalls[i].iter().any(|r| r.contains(&t));
            self.sim.set_bit(l.port(S::Ready), ready[i]);
            self.sim.set_bit(l.port(S::Rpar), !ready[i]);
        }
        self.sim.low();
        if let Some(rec) = self.record.as_mut() {
            let mut s = [0u64; PORT_COUNT];
            for p in ALL_PORTS {
                s[p.index()] = self.sim.get(p);
            }
            rec.push((t, s));
        }
        for (i, &l) in INTO.iter().enumerate() {
            let r = self.sim.get_bit(l.port(S::Ready));
            if beats[i].valid && r {
                self.taken[l.index()].push((t, beats[i]));
                if let Src::Queue { beats, sent, .. } = &mut self.src[i] {
                    beats.pop_front();
                    *sent += 1;
                }
            }
        }
        self.tx_ready.push([self.sim.get_bit(Link::CpuATx.port(S::Ready)), self.sim.get_bit(Link::CpuBTx.port(S::Ready))]);
        for (i, &l) in OUT.iter().enumerate() {
            if ready[i] && self.sim.get_bit(l.port(S::Valid)) {
                let b = Beat {
                    valid: true,
                    data: self.sim.get(l.port(S::Data)) as u32,
                    last: self.sim.get_bit(l.port(S::Last)),
                    abort: self.sim.get_bit(l.port(S::Abort)),
                    par: self.sim.get(l.port(S::Par)) as u8,
                    cpar: self.sim.get_bit(l.port(S::Cpar)),
                };
                self.taken[l.index()].push((t, b));
            }
        }
        if self.irq_at.is_none() && self.sim.get_bit(Port::Irq) {
            self.irq_at = Some(t);
        }
        let tx = self.sim.get_bit(Port::UartTx);
        self.host.observe(tx, t);
        self.sim.edge();
        self.cycle += 1;
    }

    pub(crate) fn run(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
    }

    /// Writes the registers over the UART, reads each back to check it took, and waits for
    /// every answer; then a few idle cycles.
    pub(crate) fn configure(&mut self, writes: &[(&str, u32)]) -> Result<(), RunError> {
        for (name, v) in writes {
            self.host.write(&format!("write {name}"), name, *v);
        }
        for (name, _) in writes {
            self.host.read(&format!("read back {name}"), name, 1);
        }
        let n = 2 * writes.len();
        let limit = self.cycle + 20_000 * n as u64;
        while !(self.host.idle() && self.host.answers.len() == n) {
            if self.cycle > limit {
                return Err(check(format!("register writes {writes:?} not answered in time")));
            }
            self.step();
        }
        for a in &self.host.answers {
            if let Err(e) = &a.result {
                return Err(check(format!("{}: {}", a.label, crate::error::chain(e))));
            }
        }
        for ((name, v), a) in writes.iter().zip(&self.host.answers[writes.len()..]) {
            let mask = reg(name).store_mask();
            let got = a.result.as_ref().map(|d| d[0]).unwrap_or_default();
            if got & mask != v & mask {
                return Err(check(format!("{name} reads back {got:#x} after writing {v:#x}")));
            }
        }
        self.run(32);
        if let Some(t) = self.irq_at {
            return Err(check(format!("irq rose at cycle {t} while setting up")));
        }
        Ok(())
    }

    pub(crate) fn takes(&self, l: Link) -> &[(u64, Beat)] {
        &self.taken[l.index()]
    }

    pub(crate) fn cycles_of(&self, l: Link) -> Vec<u64> {
        self.takes(l).iter().map(|x| x.0).collect()
    }

    /// The words taken on `l` are exactly `want`, in order.
    pub(crate) fn check_words(&self, l: Link, want: &[Word], what: &str) -> Result<(), RunError> {
        let got: Vec<Word> = self.takes(l).iter().map(|x| x.1.word()).collect();
        if got != want {
            let first = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
            return Err(check(format!(
                "{what}: {} took {} words, {} expected; first difference at word {first}: got {:?}, want {:?}",
                l.name(),
                got.len(),
                want.len(),
                got.get(first),
                want.get(first)
            )));
        }
        Ok(())
    }
}

pub(crate) fn words(frames: usize, len: usize, base: u32) -> Vec<Word> {
    (0..frames).flat_map(|f| frame(&(0..len).map(|i| base + (f * len + i) as u32).collect::<Vec<_>>())).collect()
}

pub(crate) fn beats(w: &[Word]) -> Vec<Beat> {
    w.iter().map(|&w| Beat::offer(w)).collect()
}

/// Runs everything.
pub fn run_datapath(cfg: &DatapathConfig) -> Result<DatapathReport, RunError> {
    let verilog = ftio_hdl::core_verilog(&cfg.params)?;
    let lib = load(&verilog)?;
    let start = Instant::now();
    let mut cycles = 0;
    let mut write = vec![];
    for mode in WRITE_MODES {
        let (rows, n) = write_path(&lib, cfg, mode)?;
        write.extend(rows);
        cycles += n;
    }
    let (detection, n) = detection(&lib, cfg)?;
    cycles += n;
    let mut ret = vec![];
    for mode in [BenchMode::Duplex(Kind::ElasticCut), BenchMode::Duplex(Kind::StrictCut), BenchMode::SimplexB] {
        let (rows, n) = return_path(&lib, cfg, mode)?;
        ret.extend(rows);
        cycles += n;
    }
    let (back_pressure, n) = back_pressure(&lib, cfg)?;
    cycles += n;
    Ok(DatapathReport {
        cfg: cfg.clone(),
        write,
        detection,
        ret,
        back_pressure,
        cycles,
        seconds: start.elapsed().as_secs_f64(),
        build: lib.info.clone(),
    })
}

/// Sets `mode` (and OFFSET for strict) on a fresh core.
pub(crate) fn harness(lib: &Arc<VerilatedLib>, cfg: &DatapathConfig, mode: BenchMode) -> Result<Harness, RunError> {
    let mut h = Harness::new(lib, cfg.uart_divider);
    if mode.is_strict() {
        h.configure(&[("OFFSET", cfg.offset as u32), ("CTRL", mode.ctrl())])?;
    } else {
        h.configure(&[("CTRL", mode.ctrl())])?;
    }
    Ok(h)
}

fn write_path(lib: &Arc<VerilatedLib>, cfg: &DatapathConfig, mode: BenchMode) -> Result<(Vec<WriteRow>, u64), RunError> {
    let mut h = harness(lib, cfg, mode)?;
    let what = mode.name();
    let a = words(cfg.frames, cfg.frame_len, 0x0A00_0000);
    // Outside DUPLEX the two CPUs send different streams, so a word of the wrong one on a
    // disk cannot go unnoticed.
    let b = if matches!(mode, BenchMode::Duplex(_)) { a.clone() } else { words(cfg.frames, cfg.frame_len, 0x0B00_0000) };
    let t0 = h.cycle;
    h.src[0] = Src::queue(beats(&a), t0);
    h.src[1] = if mode.is_strict() { Src::FollowA { delay: cfg.offset, change: vec![] } } else { Src::queue(beats(&b), t0) };
    let n = a.len() as u64;
    h.run(n + cfg.offset + 64);
    while (h.takes(Link::DiskATx).len() < a.len() || h.takes(Link::DiskBTx).len() < a.len()) && h.cycle < t0 + 4 * n + 1000 {
        h.step();
    }
    if let Some(t) = h.irq_at {
        return Err(check(format!("{what}: irq rose at cycle {t} on clean traffic")));
    }
    let ta = h.cycles_of(Link::CpuATx);
    let tb = h.cycles_of(Link::CpuBTx);
    if mode.is_strict() && (tb.len() != ta.len() || ta.iter().zip(&tb).any(|(a, b)| a + cfg.offset != *b)) {
        return Err(check(format!("{what}: CPU B's words did not move exactly D = {} cycles after CPU A's", cfg.offset)));
    }
    let mut rows = vec![];
    for disk in [Link::DiskATx, Link::DiskBTx] {
        // Which stream, and the CPU takes each disk word is measured from.
        let (want, from, refs): (&[Word], &'static str, Vec<u64>) = match mode {
            BenchMode::Duplex(_) => {
                if ta.len() < a.len() || tb.len() < a.len() {
                    return Err(check(format!("{what}: the CPUs' words were not all taken")));
                }
                (&a, "cpu A+B", ta.iter().zip(&tb).map(|(x, y)| *x.max(y)).collect())
            }
            BenchMode::SimplexA => (&a, "cpu A", ta.clone()),
            BenchMode::SimplexB => (&b, "cpu B", tb.clone()),
            BenchMode::Split if disk == Link::DiskATx => (&a, "cpu A", ta.clone()),
            BenchMode::Split => (&b, "cpu B", tb.clone()),
        };
        h.check_words(disk, want, what)?;
        let td = h.cycles_of(disk);
        let latency = if mode.is_saf() {
            let len = cfg.frame_len;
            MinMax::of((0..cfg.frames).map(|k| td[k * len] as i64 - refs[k * len + len - 1] as i64))
        } else {
            MinMax::of(td.iter().zip(&refs).map(|(d, r)| *d as i64 - *r as i64))
        };
        let cpu_rate = match from {
            "cpu A+B" => rate(&ta).min(rate(&tb)),
            "cpu A" => rate(&ta),
            _ => rate(&tb),
        };
        rows.push(WriteRow {
            mode,
            link: disk,
            from,
            words: td.len(),
            disk_rate: rate(&td),
            cpu_rate,
            latency: latency.ok_or_else(|| check(format!("{what}: nothing reached {}", disk.name())))?,
        });
    }
    Ok((rows, h.cycle))
}

/// A DUPLEX run (elastic, or strict with B following A) with one word corrupted; the cycle
/// irq rose minus the reference take.
fn detection(lib: &Arc<VerilatedLib>, cfg: &DatapathConfig) -> Result<(Vec<DetectRow>, u64), RunError> {
    let k = 3 * cfg.frame_len + 3;
    let a = words(8.max(k / cfg.frame_len + 2), cfg.frame_len, 0x0D00_0000);
    let mut rows = vec![];
    let mut cycles = 0;
    // (what, corrupt CPU A's word, CPU B's, change B's data with good parity, strict)
    let cases: [(&str, bool, bool, bool, bool); 4] = [
        ("parity error on cpu_a_tx (one data bit flipped, par as sent), elastic", true, false, false, false),
        ("parity error on cpu_b_tx, elastic", false, true, false, false),
        ("mismatch (B's word different, its parity right), elastic", false, false, true, false),
        ("mismatch, strict lockstep (B follows A by D)", false, false, true, true),
    ];
    for (what, flip_a, flip_b, change, strict) in cases {
        let mode = BenchMode::Duplex(if strict { Kind::StrictCut } else { Kind::ElasticCut });
        let mut h = harness(lib, cfg, mode)?;
        let t0 = h.cycle;
        let mut ba = beats(&a);
        let mut bb = beats(&a);
        if flip_a {
            ba[k].data ^= 1 << 9;
        }
        if flip_b {
            bb[k].data ^= 1 << 9;
        }
        if change && !strict {
            bb[k].data ^= 0x00F0_0000;
            bb[k].par = byte_parity(bb[k].data);
        }
        h.src[0] = Src::queue(ba, t0);
        h.src[1] = if strict {
            Src::FollowA { delay: cfg.offset, change: vec![(k, 0x00F0_0000)] }
        } else {
            Src::queue(bb, t0)
        };
        h.run(k as u64 + cfg.offset + 40);
        let take = |l: Link| h.takes(l).get(k).map(|x| x.0 as i64).ok_or_else(|| check(format!("{what}: word {k} not taken on {}", l.name())));
        let (t, from) = if flip_a {
            (take(Link::CpuATx)?, "the bad word's take")
        } else if flip_b {
            (take(Link::CpuBTx)?, "the bad word's take")
        } else {
            (take(Link::CpuATx)?.max(take(Link::CpuBTx)?), "the later take of the pair")
        };
        let irq = h.irq_at.ok_or_else(|| check(format!("{what}: irq never rose")))?;
        rows.push(DetectRow { what: what.replace("by D", &format!("by D = {}", cfg.offset)), latency: irq as i64 - t, from });
        cycles += h.cycle;
    }
    Ok((rows, cycles))
}

fn return_path(lib: &Arc<VerilatedLib>, cfg: &DatapathConfig, mode: BenchMode) -> Result<(Vec<ReturnRow>, u64), RunError> {
    let mut h = harness(lib, cfg, mode)?;
    let what = mode.name();
    let r = words(cfg.frames, cfg.frame_len, 0x0E00_0000);
    let t0 = h.cycle;
    // Both disks answer the same (they executed the same commands); disk A is primary.
    h.src[2] = Src::queue(beats(&r), t0);
    h.src[3] = Src::queue(beats(&r), t0);
    let n = r.len() as u64;
    h.run(n + cfg.offset + 64);
    if let Some(t) = h.irq_at {
        return Err(check(format!("{what} return path: irq rose at cycle {t}")));
    }
    let td = h.cycles_of(Link::DiskARx);
    let ta = h.cycles_of(Link::CpuARx);
    let links: &[Link] = if mode == BenchMode::SimplexB { &[Link::CpuBRx] } else { &[Link::CpuARx, Link::CpuBRx] };
    if mode == BenchMode::SimplexB && !ta.is_empty() {
        return Err(check(format!("{what}: CPU A (isolated) got {} return words", ta.len())));
    }
    let mut rows = vec![];
    for &l in links {
        h.check_words(l, &r, &format!("{what} return path"))?;
        let tc = h.cycles_of(l);
        let after_cpu_a = if mode.is_strict() && l == Link::CpuBRx {
            MinMax::of(tc.iter().zip(&ta).map(|(b, a)| *b as i64 - *a as i64))
        } else {
            None
        };
        rows.push(ReturnRow {
            mode,
            link: l,
            words: tc.len(),
            rate: rate(&tc),
            latency: MinMax::of(tc.iter().zip(&td).map(|(c, d)| *c as i64 - *d as i64)).expect("words checked"),
            after_cpu_a,
        });
    }
    Ok((rows, h.cycle))
}

fn back_pressure(lib: &Arc<VerilatedLib>, cfg: &DatapathConfig) -> Result<(BackPressure, u64), RunError> {
    let mut h = harness(lib, cfg, BenchMode::Duplex(Kind::ElasticCut))?;
    // Enough words to fill every buffer on the way (a few skew depths), whatever `frames` is.
    let frames = cfg.frames.max((4usize << cfg.params.skew_depth_log2) / cfg.frame_len.max(1) + 1);
    let a = words(frames, cfg.frame_len, 0x0F00_0000);
    let t0 = h.cycle;
    h.src[0] = Src::queue(beats(&a), t0);
    h.src[1] = Src::queue(beats(&a), t0);
    let disk_b = OUT.iter().position(|&l| l == Link::DiskBTx).expect("in OUT");
    h.ready_from[disk_b] = None;
    let stall = 400u64.max(a.len() as u64 / 2);
    h.run(stall);
    let absorbed = h.takes(Link::DiskATx).len();
    let first = h.takes(Link::CpuATx).first().map(|x| x.0).ok_or_else(|| check("back-pressure: CPU A never taken".into()))?;
    let low = (first..h.cycle)
        .find(|&t| {
            let r = h.tx_ready[t as usize];
            !r[0] || !r[1]
        })
        .ok_or_else(|| check(format!("back-pressure: tx_ready never went low in {stall} cycles")))?;
    let before = |l: Link| h.takes(l).iter().filter(|x| x.0 < low).count();
    let cpu_taken = [before(Link::CpuATx), before(Link::CpuBTx)];
    h.ready_from[disk_b] = Some(h.cycle);
    h.run(a.len() as u64 * 2 + 200);
    let lossless = h.check_words(Link::DiskATx, &a, "back-pressure").is_ok()
        && h.check_words(Link::DiskBTx, &a, "back-pressure").is_ok()
        && h.irq_at.is_none();
    Ok((BackPressure { absorbed, cpu_taken, cycles_to_ready_low: low - first, lossless }, h.cycle))
}
