//! The models around a simulated core: CPU A and B on the `cpu_*` links, disk A and B on the
//! `disk_*` links. A [`System`] is a [`Stimulus`], so a model workload is also a scenario for
//! the cross-simulator equivalence check.
use crate::core_sim::CoreSim;
use crate::equivalence::Stimulus;
use crate::link::{drive_beat, drive_ready, read_beat, read_ready};
use crate::models::cpu::{CpuConfig, CpuModel, Op};
use crate::models::disk::{DiskConfig, DiskModel};
use crate::models::image::DiskImage;
use crate::models::Endpoint;
use crate::port::{Link, Port};

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
}

/// Where an endpoint sits: the link it transmits on and the link it receives on.
fn links(i: usize) -> (Link, Link) {
    match i {
        0 => (Link::CpuATx, Link::CpuARx),
        1 => (Link::CpuBTx, Link::CpuBRx),
        2 => (Link::DiskARx, Link::DiskATx),
        _ => (Link::DiskBRx, Link::DiskBTx),
    }
}

impl System {
    /// The four models, UART idle.
    pub fn new(cpu_a: CpuModel, cpu_b: CpuModel, disk_a: DiskModel, disk_b: DiskModel) -> Self {
        Self { cpu_a, cpu_b, disk_a, disk_b, uart_rx: true }
    }

    /// Two CPUs doing the same `ops` with the same config, CPU B started `offset` cycles after
    /// CPU A (strict lockstep offset D, or elastic skew), and two disks of `capacity` sectors
    /// with the same config.
    pub fn lockstep(cpu: CpuConfig, ops: &[Op], offset: u64, disk: DiskConfig, capacity: u64) -> Self {
        let mut a = CpuModel::new(cpu.clone());
        let mut b = CpuModel::new(CpuConfig { start_delay: cpu.start_delay + offset, ..cpu });
        a.queue(ops.iter().cloned());
        b.queue(ops.iter().cloned());
        let d = |seed| DiskModel::new(DiskConfig { seed, ..disk.clone() }, DiskImage::new(capacity));
        Self::new(a, b, d(disk.seed), d(disk.seed ^ 0x5A5A))
    }

    fn endpoints(&mut self) -> [&mut dyn Endpoint; 4] {
        [&mut self.cpu_a, &mut self.cpu_b, &mut self.disk_a, &mut self.disk_b]
    }

    /// Both CPUs have finished their work and both disks are idle.
    pub fn done(&self) -> bool {
        self.cpu_a.done() && self.cpu_b.done() && self.disk_a.idle() && self.disk_b.idle()
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
}

impl Stimulus for System {
    fn drive(&mut self, _cycle: u64, sim: &mut dyn CoreSim) {
        sim.set_bit(Port::Reset, false);
        sim.set_bit(Port::UartRx, self.uart_rx);
        for (i, e) in self.endpoints().into_iter().enumerate() {
            let (tx, rx) = links(i);
            let pins = e.drive();
            drive_beat(sim, tx, pins.tx);
            drive_ready(sim, rx, pins.rx_ready);
        }
    }

    fn observe(&mut self, _cycle: u64, sim: &dyn CoreSim) {
        for (i, e) in self.endpoints().into_iter().enumerate() {
            let (tx, rx) = links(i);
            e.observe(read_ready(sim, tx), read_beat(sim, rx));
        }
    }
}
