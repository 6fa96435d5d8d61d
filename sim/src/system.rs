//! The models around a simulated core: CPU A and B on the `cpu_*` links, disk A and B on the
//! `disk_*` links. A [`System`] is a [`Stimulus`], so a model workload is also a scenario for
//! the cross-simulator equivalence check.
//!
//! Faults a system can carry, applied on the core's pins:
//! - [`PinFlip`]: one bit of one input port inverted in one cycle, after the models drove it
//!   (a glitch on a wire; the model that drives the pin does not know).
//! - [`Freeze`]: a model stops for a while or for good — drives nothing on its transmit link,
//!   holds its receive link's `ready` low (with `rpar` correct), and its own time stands
//!   still, so after a finite freeze it carries on as if nothing happened, only later.
use crate::core_sim::CoreSim;
use crate::equivalence::Stimulus;
use crate::link::{drive_beat, drive_ready, read_beat, read_ready, Beat};
use crate::models::cpu::{CpuConfig, CpuModel, Op};
use crate::models::disk::{DiskConfig, DiskModel};
use crate::models::image::DiskImage;
use crate::models::{Endpoint, EndpointPins};
use crate::port::{Dir, Link, Port};

/// One of the four models of a [`System`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// On `cpu_a_tx` / `cpu_a_rx`.
    CpuA,
    /// On `cpu_b_tx` / `cpu_b_rx`.
    CpuB,
    /// On `disk_a_rx` / `disk_a_tx`.
    DiskA,
    /// On `disk_b_rx` / `disk_b_tx`.
    DiskB,
}

impl Unit {
    /// All four, in [`System`] order.
    pub const ALL: [Unit; 4] = [Unit::CpuA, Unit::CpuB, Unit::DiskA, Unit::DiskB];

    /// "CPU A", "disk B", ...
    pub fn name(self) -> &'static str {
        match self {
            Unit::CpuA => "CPU A",
            Unit::CpuB => "CPU B",
            Unit::DiskA => "disk A",
            Unit::DiskB => "disk B",
        }
    }

    /// The link it transmits on (into the core) and the link it receives on (out of it).
    pub fn links(self) -> (Link, Link) {
        match self {
            Unit::CpuA => (Link::CpuATx, Link::CpuARx),
            Unit::CpuB => (Link::CpuBTx, Link::CpuBRx),
            Unit::DiskA => (Link::DiskARx, Link::DiskATx),
            Unit::DiskB => (Link::DiskBRx, Link::DiskBTx),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// When a [`Freeze`] begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// In this cycle.
    AtCycle(u64),
    /// In the first cycle after the unit has received this many words.
    AfterWordsIn(u64),
    /// In the first cycle after the unit has sent this many words.
    AfterWordsOut(u64),
}

/// A model that stops: nothing offered on its transmit link, `ready` low on its receive link,
/// its own clock stopped; for `cycles` cycles, or for good when `cycles` is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Freeze {
    /// Which model.
    pub unit: Unit,
    /// When it stops.
    pub from: Trigger,
    /// How long, `None` = for ever (a hung device).
    pub cycles: Option<u64>,
    /// The cycle it stopped, once it has.
    pub started: Option<u64>,
}

impl Freeze {
    /// A freeze of `unit` from `from` for `cycles` (or for ever).
    pub fn new(unit: Unit, from: Trigger, cycles: Option<u64>) -> Self {
        Self { unit, from, cycles, started: None }
    }

    fn covers(&self, cycle: u64) -> bool {
        match (self.started, self.cycles) {
            (Some(s), Some(n)) => cycle >= s && cycle < s + n,
            (Some(s), None) => cycle >= s,
            (None, _) => false,
        }
    }
}

/// One input bit of the core inverted in one cycle, after the models drove it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinFlip {
    /// The cycle.
    pub cycle: u64,
    /// An input port (a source signal of an into-core link, or `ready`/`rpar` of an
    /// out-of-core link).
    pub port: Port,
    /// The bit of the port (0 for 1-bit ports).
    pub bit: u8,
}

/// Two CPUs and two disks around the core.
#[derive(Clone, Debug)]
pub struct System {
    /// On `cpu_a_tx` / `cpu_a_rx`.
    pub cpu_a: CpuModel,
    /// On `cpu_b_tx` / `cpu_b_rx`.
    pub cpu_b: CpuModel,
    /// On `disk_a_tx` / `disk_a_rx`.
    pub disk_a: DiskModel,
    /// On `disk_b_tx` / `disk_b_rx`.
    pub disk_b: DiskModel,
    /// `uart_rx` level (idle high).
    pub uart_rx: bool,
    /// Pin glitches to apply.
    pub flips: Vec<PinFlip>,
    /// Models to stop.
    pub freezes: Vec<Freeze>,
    frozen: [bool; 4],
}

impl System {
    /// The four models, UART idle, no faults.
    pub fn new(cpu_a: CpuModel, cpu_b: CpuModel, disk_a: DiskModel, disk_b: DiskModel) -> Self {
        Self { cpu_a, cpu_b, disk_a, disk_b, uart_rx: true, flips: vec![], freezes: vec![], frozen: [false; 4] }
    }

    /// Elastic lockstep: two CPUs doing the same `ops` with the same config, CPU B `skew`
    /// cycles behind CPU A. B starts `skew` cycles later and, because in DUPLEX both CPUs get
    /// each completion in the same cycle, also takes `skew` cycles longer over every
    /// completion before its next command (it is a CPU running `skew` cycles behind, so it
    /// notices the completion that much later). Two disks of `capacity` sectors, same config
    /// (disk B with its own random seed).
    pub fn lockstep(cpu: CpuConfig, ops: &[Op], skew: u64, disk: DiskConfig, capacity: u64) -> Self {
        let mut a = CpuModel::new(cpu.clone());
        let mut b = CpuModel::new(CpuConfig { start_delay: cpu.start_delay + skew, think: cpu.think + skew, ..cpu });
        a.queue(ops.iter().cloned());
        b.queue(ops.iter().cloned());
        let d = |seed| DiskModel::new(DiskConfig { seed, ..disk.clone() }, DiskImage::new(capacity));
        Self::new(a, b, d(disk.seed), d(disk.seed ^ 0x5A5A))
    }

    /// Strict lockstep (SPEC §4): two CPUs doing the same `ops` with the same config, both
    /// idle (ready, offering nothing, drawing nothing) until cycle `start` — the time the
    /// host takes to set OFFSET and CTRL.lockstep — and CPU B released exactly `offset`
    /// cycles after CPU A. The core gives CPU B exactly CPU A's I/O `offset` cycles later
    /// (its `tx_ready`, every `rx` word and its `valid`), so B, a deterministic replica of A,
    /// does exactly what A did, `offset` cycles later: its gaps, its back-pressure and its
    /// think time are A's. Two disks as in [`System::lockstep`].
    pub fn strict(cpu: CpuConfig, ops: &[Op], start: u64, offset: u64, disk: DiskConfig, capacity: u64) -> Self {
        let mut a = CpuModel::new(CpuConfig { start_delay: cpu.start_delay + start, ..cpu.clone() });
        let mut b = CpuModel::new(CpuConfig { start_delay: cpu.start_delay + start + offset, ..cpu });
        a.queue(ops.iter().cloned());
        b.queue(ops.iter().cloned());
        let d = |seed| DiskModel::new(DiskConfig { seed, ..disk.clone() }, DiskImage::new(capacity));
        Self::new(a, b, d(disk.seed), d(disk.seed ^ 0x5A5A))
    }

    /// The CPU model on side `a` (true) or `b`.
    pub fn cpu(&self, unit: Unit) -> &CpuModel {
        match unit {
            Unit::CpuA => &self.cpu_a,
            Unit::CpuB => &self.cpu_b,
            other => panic!("{} is not a CPU", other.name()),
        }
    }

    /// The disk model of `unit`.
    pub fn disk(&self, unit: Unit) -> &DiskModel {
        match unit {
            Unit::DiskA => &self.disk_a,
            Unit::DiskB => &self.disk_b,
            other => panic!("{} is not a disk", other.name()),
        }
    }

    fn endpoints(&mut self) -> [&mut dyn Endpoint; 4] {
        [&mut self.cpu_a, &mut self.cpu_b, &mut self.disk_a, &mut self.disk_b]
    }

    /// Both CPUs have finished their work and both disks are idle.
    pub fn done(&self) -> bool {
        self.cpu_a.done() && self.cpu_b.done() && self.disk_a.idle() && self.disk_b.idle()
    }

    /// `unit` is frozen in the current cycle (as of the last `drive`).
    pub fn is_frozen(&self, unit: Unit) -> bool {
        self.frozen[unit.index()]
    }

    /// Runs on `sim` until [`System::done`] or `max_cycles`; returns the cycles run.
    pub fn run(&mut self, sim: &mut dyn CoreSim, max_cycles: u64) -> u64 {
        for cycle in 0..max_cycles {
            if self.done() {
                return cycle;
            }
            self.drive(cycle, sim);
            sim.low();
            self.observe(cycle, sim);
            sim.edge();
        }
        max_cycles
    }

    fn words_in(&self, unit: Unit) -> u64 {
        match unit {
            Unit::CpuA => self.cpu_a.rx.taken,
            Unit::CpuB => self.cpu_b.rx.taken,
            Unit::DiskA => self.disk_a.rx.taken,
            Unit::DiskB => self.disk_b.rx.taken,
        }
    }

    fn words_out(&self, unit: Unit) -> u64 {
        match unit {
            Unit::CpuA => self.cpu_a.tx.sent,
            Unit::CpuB => self.cpu_b.tx.sent,
            Unit::DiskA => self.disk_a.tx.sent,
            Unit::DiskB => self.disk_b.tx.sent,
        }
    }

    fn update_freezes(&mut self, cycle: u64) {
        let mut frozen = [false; 4];
        for i in 0..self.freezes.len() {
            let f = &self.freezes[i];
            if f.started.is_none() {
                let go = match f.from {
                    Trigger::AtCycle(c) => cycle >= c,
                    Trigger::AfterWordsIn(n) => self.words_in(f.unit) >= n,
                    Trigger::AfterWordsOut(n) => self.words_out(f.unit) >= n,
                };
                if go {
                    self.freezes[i].started = Some(cycle);
                }
            }
            let f = &self.freezes[i];
            frozen[f.unit.index()] |= f.covers(cycle);
        }
        self.frozen = frozen;
    }
}

impl Stimulus for System {
    fn drive(&mut self, cycle: u64, sim: &mut dyn CoreSim) {
        self.update_freezes(cycle);
        let frozen = self.frozen;
        sim.set_bit(Port::Reset, false);
        sim.set_bit(Port::UartRx, self.uart_rx);
        for (i, e) in self.endpoints().into_iter().enumerate() {
            let (tx, rx) = Unit::ALL[i].links();
            let pins = if frozen[i] { EndpointPins { tx: Beat::IDLE, rx_ready: (false, true) } } else { e.drive() };
            drive_beat(sim, tx, pins.tx);
            drive_ready(sim, rx, pins.rx_ready);
        }
        for f in self.flips.iter().filter(|f| f.cycle == cycle) {
            assert_eq!(f.port.dir(), Dir::In, "{} is not an input of the core", f.port);
            let v = sim.get(f.port) ^ (1 << f.bit);
            sim.set(f.port, v);
        }
    }

    fn observe(&mut self, _cycle: u64, sim: &dyn CoreSim) {
        let frozen = self.frozen;
        for (i, e) in self.endpoints().into_iter().enumerate() {
            if frozen[i] {
                continue;
            }
            let (tx, rx) = Unit::ALL[i].links();
            e.observe(read_ready(sim, tx), read_beat(sim, rx));
        }
    }
}
