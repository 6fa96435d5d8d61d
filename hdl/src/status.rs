//! `Status`: what the core reports of its state (SPEC §5: STATUS, FAULTS, SKEW, CYCLES), each
//! field read by name from the block that knows it.
use crate::disk_side::DiskStateIn;
use crate::fabric::mode;
use crate::fault_capture::cause_bits;
use crate::lockstep::LockstepEventsIn;
use crate::regfile::StatusRegs;
use ftio_proto::Cause;
use rust_hdl::prelude::*;

/// The mode, the disks' health, the BIST, the fault log's latch, the skew FIFOs' fills and the
/// cycle count in; the register fields (generated from the register table, `hdl/build.rs`)
/// out. Combinational.
#[derive(LogicBlock)]
pub struct Status {
    /// The mode the core is in (the lockstep's).
    pub mode: Signal<In, Bits<3>>,
    /// The BIST is running.
    pub bist_running: Signal<In, Bit>,
    /// Disk A's health.
    pub disk_a: DiskStateIn,
    /// Disk B's health.
    pub disk_b: DiskStateIn,
    /// The lockstep's report: its skew FIFOs' fills.
    pub lockstep: LockstepEventsIn,
    /// The fault log: a fault is latched, its first cause, every cause since the last clear.
    pub fault: Signal<In, Bit>,
    pub first_cause: Signal<In, Bits<8>>,
    pub faults: Signal<In, Bits<16>>,
    /// The cycle count since power-on.
    pub cycle: Signal<In, Bits<64>>,
    /// STATUS, FAULTS, SKEW, CYCLES as the register file reads them.
    pub regs: StatusRegs,
    m_halted: Constant<Bits<3>>,
    /// The cause bits (FAULTS) that fail CPU A, and CPU B: parity and timeout.
    cpu_a_causes: Constant<Bits<16>>,
    cpu_b_causes: Constant<Bits<16>>,
}

impl Default for Status {
    fn default() -> Self {
        Self {
            mode: Default::default(),
            bist_running: Default::default(),
            disk_a: Default::default(),
            disk_b: Default::default(),
            lockstep: Default::default(),
            fault: Default::default(),
            first_cause: Default::default(),
            faults: Default::default(),
            cycle: Default::default(),
            regs: Default::default(),
            m_halted: Constant::new(mode::HALTED.to_bits()),
            cpu_a_causes: Constant::new(cause_bits([Cause::CpuAParity, Cause::CpuATimeout])),
            cpu_b_causes: Constant::new(cause_bits([Cause::CpuBParity, Cause::CpuBTimeout])),
        }
    }
}

impl Logic for Status {
    #[hdl_gen]
    fn update(&mut self) {
        self.regs.status_mode.next = self.mode.val();
        self.regs.status_halted.next = self.mode.val() == self.m_halted.val();
        // A CPU is failed when one of its causes (parity, timeout) has been seen.
        self.regs.status_cpu_a_failed.next = (self.faults.val() & self.cpu_a_causes.val()) != 0;
        self.regs.status_cpu_b_failed.next = (self.faults.val() & self.cpu_b_causes.val()) != 0;
        self.regs.status_disk_a_failed.next = self.disk_a.failed.val();
        self.regs.status_disk_b_failed.next = self.disk_b.failed.val();
        self.regs.status_cause.next = self.first_cause.val();
        self.regs.status_fault.next = self.fault.val();
        self.regs.status_bist_running.next = self.bist_running.val();
        self.regs.status_disk_a_rebuilding.next = self.disk_a.rebuilding.val() | self.disk_a.readmitted.val();
        self.regs.status_disk_b_rebuilding.next = self.disk_b.rebuilding.val() | self.disk_b.readmitted.val();
        self.regs.faults.next = bit_cast::<32, 16>(self.faults.val());
        self.regs.skew_fill_a.next = self.lockstep.fill_a.val();
        self.regs.skew_fill_b.next = self.lockstep.fill_b.val();
        self.regs.cycles.next = self.cycle.val().get_bits::<32>(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_synthesizes() {
        let mut s = Status::default();
        s.connect_all();
        yosys_validate("ftio_status", &generate_verilog(&s)).unwrap();
    }
}
