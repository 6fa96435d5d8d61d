//! `FaultLog`: every fault of the core, from its detector to the host (SPEC §4 faults, §5
//! STATUS.fault/.cause, FAULTS, CAP_*; §3 `irq`): the cycle's cause pulses packed by cause code
//! ([`FaultCauses`]), the words the first-fault capture records ([`FaultCapture`]), the latch
//! and the capture's registers ([`FaultLatch`]), and in the hardened build the internal fault
//! that stops the core.
use crate::disk_side::DiskStateIn;
use crate::fault_capture::FaultCapture;
use crate::fault_causes::FaultCauses;
use crate::fault_latch::FaultLatch;
use crate::link::{Word, WordTapIn};
use crate::lockstep::LockstepEventsIn;
use crate::regfile::{CapFlagsRegs, CaptureRegs};
use rust_hdl::prelude::*;

/// The detectors' pulses in, each on the cause it is (`ftio_proto::Cause`); out: `irq`, the
/// halt policy's `any`, the hardened build's `stop`, and the registers.
///
/// Hardened build (`BuildParams::harden`): an internal inconsistency found by a block
/// (`internal_error`: the lockstep, the fabric, the configuration's shadow, the disk skids;
/// registered here), or by a disk's write side (`write_error`: a word offered to a disk that
/// fails its check, or a disk buffer's `head_valid` against its shadow, in the cycle they
/// happen; the buffer's other control flops a cycle later, before the word they spoil is
/// offered — hdl/src/fabric.rs `DiskWrite`), is the cause INTERNAL. It latches `internal_q`; from that cycle (`stop`)
/// nothing more goes to the disks — each disk inside a frame gets the `last & abort` word
/// instead, the fabric's buffers are emptied — and the core is held HALTED until a fault clear.
#[derive(LogicBlock)]
pub struct FaultLog {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// CTRL.fault_clear: acknowledge, clear the latch, re-arm the capture, leave `stop`.
    pub clear: Signal<In, Bit>,
    /// The lockstep's fault pulses (CPU parity and timeout, mismatch) and its committed words
    /// (CAP_WORD counts them).
    pub lockstep: LockstepEventsIn,
    /// Pulse: the commit gate dropped a frame longer than its buffer.
    pub frame_too_long: Signal<In, Bit>,
    /// Disk A's failures (parity, timeout).
    pub disk_a: DiskStateIn,
    /// Disk B's failures.
    pub disk_b: DiskStateIn,
    /// A read-verify divergence this cycle (the cause is raised a cycle later, registered).
    pub divergence: Signal<In, Bit>,
    /// Any egress parity error, registered.
    pub egress_parity: Signal<In, Bit>,
    /// Hardened build: a block's internal inconsistency this cycle.
    pub internal_error: Signal<In, Bit>,
    /// Hardened build: a disk's write side found its word inconsistent.
    pub write_error: Signal<In, Bit>,
    /// Parity evidence on either CPU's links this cycle (as the ports see it).
    pub cpu_error: Signal<In, Bit>,
    /// Parity evidence on either disk's links this cycle.
    pub disk_error: Signal<In, Bit>,
    /// The words the capture may record: at the CPU ports, the disks' rx and tx links.
    pub cpu_a: WordTapIn,
    pub cpu_b: WordTapIn,
    pub disk_a_rx: WordTapIn,
    pub disk_b_rx: WordTapIn,
    pub disk_a_tx: WordTapIn,
    pub disk_b_tx: WordTapIn,
    /// The compared pair at the lockstep's comparator, and whether each side holds a word.
    pub pair_a_word: Signal<In, Word>,
    pub pair_a_valid: Signal<In, Bit>,
    pub pair_b_word: Signal<In, Word>,
    pub pair_b_valid: Signal<In, Bit>,
    /// A fault is latched (STATUS.fault, and the `irq` pin).
    pub fault: Signal<Out, Bit>,
    /// A fault cause this cycle (the halt policy halts on it).
    pub any: Signal<Out, Bit>,
    /// Hardened build: the core stops forwarding from this cycle (the internal fault now, or
    /// latched).
    pub stop: Signal<Out, Bit>,
    /// Hardened build: the internal fault is latched (the fabric empties its buffers).
    pub stopped: Signal<Out, Bit>,
    /// Cause code of the first fault (STATUS.cause, CAP_CAUSE).
    pub first_cause: Signal<Out, Bits<8>>,
    /// Every cause seen since the last clear (FAULTS).
    pub faults: Signal<Out, Bits<16>>,
    /// Free-running cycle counter (CYCLES).
    pub cycle: Signal<Out, Bits<64>>,
    /// CAP_CAUSE, CAP_CYCLE_LO/HI, CAP_WORD, CAP_DATA_A/B (generated from the register table).
    pub regs: CaptureRegs,
    /// CAP_FLAGS field by field.
    pub cap_flags_regs: CapFlagsRegs,
    detect: FaultCauses,
    capture: FaultCapture,
    /// The latch, with the capture as the CAP_* registers read it (`cap_word`, `cap_data_a`,
    /// ...: what the tests check).
    pub latch: FaultLatch,
    harden: Constant<Bit>,
    /// A read-verify divergence, registered.
    divergence_q: DFF<Bit>,
    internal_err_q: DFF<Bit>,
    internal_q: DFF<Bit>,
    internal_now: Signal<Local, Bit>,
}

impl FaultLog {
    /// The fault log of a core built with `harden` (the internal fault and `stop`), its
    /// capture choosing its words where `capture_choice` says (`BuildParams::capture_choice`).
    pub fn new(harden: bool, capture_choice: ftio_proto::CaptureChoice) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            clear: Default::default(),
            lockstep: Default::default(),
            frame_too_long: Default::default(),
            disk_a: Default::default(),
            disk_b: Default::default(),
            divergence: Default::default(),
            egress_parity: Default::default(),
            internal_error: Default::default(),
            write_error: Default::default(),
            cpu_error: Default::default(),
            disk_error: Default::default(),
            cpu_a: Default::default(),
            cpu_b: Default::default(),
            disk_a_rx: Default::default(),
            disk_b_rx: Default::default(),
            disk_a_tx: Default::default(),
            disk_b_tx: Default::default(),
            pair_a_word: Default::default(),
            pair_a_valid: Default::default(),
            pair_b_word: Default::default(),
            pair_b_valid: Default::default(),
            fault: Default::default(),
            any: Default::default(),
            stop: Default::default(),
            stopped: Default::default(),
            first_cause: Default::default(),
            faults: Default::default(),
            cycle: Default::default(),
            regs: Default::default(),
            cap_flags_regs: Default::default(),
            detect: Default::default(),
            capture: FaultCapture::new(capture_choice),
            latch: Default::default(),
            harden: Constant::new(harden),
            divergence_q: Default::default(),
            internal_err_q: Default::default(),
            internal_q: Default::default(),
            internal_now: Default::default(),
        }
    }
}

impl Default for FaultLog {
    fn default() -> Self {
        Self::new(false, ftio_proto::CaptureChoice::After)
    }
}

impl Logic for FaultLog {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, capture, latch);
        dff_setup!(self, clock, divergence_q, internal_err_q, internal_q);
        // Hardened build: an internal fault stops forwarding until a fault clear.
        self.internal_err_q.d.next = self.internal_error.val();
        self.internal_now.next = self.harden.val() & (self.internal_err_q.q.val() | self.write_error.val());
        self.stop.next = self.harden.val() & (self.internal_q.q.val() | self.internal_now.val());
        self.internal_q.d.next = self.stop.val() & !self.clear.val() & !self.reset.val();
        self.stopped.next = self.internal_q.q.val();

        // Each detector's pulse on the cause it is (ftio_proto::Cause).
        self.divergence_q.d.next = self.divergence.val();
        self.detect.cpu_a_parity.next = self.lockstep.fault_a_parity.val();
        self.detect.cpu_b_parity.next = self.lockstep.fault_b_parity.val();
        self.detect.mismatch.next = self.lockstep.fault_mismatch.val();
        self.detect.cpu_a_timeout.next = self.lockstep.fault_a_timeout.val();
        self.detect.cpu_b_timeout.next = self.lockstep.fault_b_timeout.val();
        self.detect.disk_a_parity.next = self.disk_a.fail_parity.val();
        self.detect.disk_b_parity.next = self.disk_b.fail_parity.val();
        self.detect.disk_a_timeout.next = self.disk_a.fail_timeout.val();
        self.detect.disk_b_timeout.next = self.disk_b.fail_timeout.val();
        self.detect.disk_divergence.next = self.divergence_q.q.val();
        self.detect.egress_parity.next = self.egress_parity.val();
        self.detect.frame_too_long.next = self.frame_too_long.val();
        self.detect.internal.next = self.internal_now.val();
        self.any.next = self.detect.any.val();

        // The first-fault capture: which words it records, CAP_WORD's count, CAP_FLAGS.
        self.capture.reset.next = self.reset.val();
        self.capture.clear.next = self.clear.val();
        self.capture.committed.next = self.lockstep.word_out.val();
        self.capture.frozen.next = self.latch.fault.val();
        self.capture.causes.next = self.detect.causes.val();
        self.capture.cpu_error.next = self.cpu_error.val();
        self.capture.disk_error.next = self.disk_error.val() | self.divergence.val();
        WordTapIn::link(&mut self.cpu_a, &mut self.capture.cpu_a);
        WordTapIn::link(&mut self.cpu_b, &mut self.capture.cpu_b);
        WordTapIn::link(&mut self.disk_a_rx, &mut self.capture.disk_a_rx);
        WordTapIn::link(&mut self.disk_b_rx, &mut self.capture.disk_b_rx);
        WordTapIn::link(&mut self.disk_a_tx, &mut self.capture.disk_a_tx);
        WordTapIn::link(&mut self.disk_b_tx, &mut self.capture.disk_b_tx);
        self.capture.pair_a_word.next = self.pair_a_word.val();
        self.capture.pair_a_valid.next = self.pair_a_valid.val();
        self.capture.pair_b_word.next = self.pair_b_word.val();
        self.capture.pair_b_valid.next = self.pair_b_valid.val();
        self.capture.captured_flags.next = self.latch.cap_flags.val();
        CapFlagsRegs::link(&mut self.cap_flags_regs, &mut self.capture.regs);

        // The latch: the first cause and its capture, the sticky bitmap, the cycle count.
        self.latch.reset.next = self.reset.val();
        self.latch.clear.next = self.clear.val();
        self.latch.causes.next = self.detect.causes.val();
        self.latch.word_index.next = self.capture.word_index.val();
        self.latch.data_a.next = self.capture.data_a.val();
        self.latch.data_b.next = self.capture.data_b.val();
        self.latch.flags.next = self.capture.flags.val();
        CaptureRegs::link(&mut self.regs, &mut self.latch.regs);
        self.fault.next = self.latch.fault.val();
        self.first_cause.next = self.latch.first_cause.val();
        self.faults.next = self.latch.faults.val();
        self.cycle.next = self.latch.cycle.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_log_synthesizes() {
        let mut log = FaultLog::new(true, ftio_proto::CaptureChoice::Before);
        log.connect_all();
        yosys_validate("ftio_fault_log", &generate_verilog(&log)).unwrap();
    }
}
