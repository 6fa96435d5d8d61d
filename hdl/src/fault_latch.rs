//! `FaultLatch`: fault latching and the first-fault capture's registers (SPEC §5: STATUS,
//! FAULTS, CAP_*; §3: `irq`), inside the [`crate::fault_log::FaultLog`].
//!
//! Every detector in the core raises a one-cycle pulse on its bit of `causes` (bit n = cause
//! code n of `ftio_proto`). The first fault after power-on or a fault clear is captured with
//! the cycle it happened in, the word index, and both sides' words (what a side is depends
//! on the cause: `ftio_proto::Cause::capture`); later faults only add to the sticky `faults`
//! bitmap. A clear zeroes the capture. `irq` is high while any
//! fault is latched and unacknowledged.
use crate::regfile::CaptureRegs;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct FaultLatch {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// CTRL.fault_clear: acknowledge, clear the latch and re-arm the capture.
    pub clear: Signal<In, Bit>,
    /// One pulse per detected fault, bit n for cause code n (bit 0 unused).
    pub causes: Signal<In, Bits<16>>,
    /// The word index as captured: the capture's count, which holds still from the cycle
    /// after the first fault while the fault is latched (`FaultCapture::frozen`), so it is
    /// read here, not copied.
    pub word_index: Signal<In, Bits<32>>,
    /// Side A's word at the comparator (or the faulty link's word).
    pub data_a: Signal<In, Bits<32>>,
    /// Side B's word.
    pub data_b: Signal<In, Bits<32>>,
    /// Both sides' control and parity, laid out as CAP_FLAGS.
    pub flags: Signal<In, Bits<16>>,
    /// A fault is latched (STATUS.fault, and the `irq` pin).
    pub fault: Signal<Out, Bit>,
    /// Cause code of the first fault (STATUS.cause, CAP_CAUSE).
    pub first_cause: Signal<Out, Bits<8>>,
    /// Every cause seen since the last clear (FAULTS).
    pub faults: Signal<Out, Bits<16>>,
    /// Cycle of the first fault, counted from power-on (CAP_CYCLE_HI:LO).
    pub cap_cycle: Signal<Out, Bits<64>>,
    /// CAP_WORD.
    pub cap_word: Signal<Out, Bits<32>>,
    /// CAP_DATA_A.
    pub cap_data_a: Signal<Out, Bits<32>>,
    /// CAP_DATA_B.
    pub cap_data_b: Signal<Out, Bits<32>>,
    /// CAP_FLAGS.
    pub cap_flags: Signal<Out, Bits<16>>,
    /// Free-running cycle counter (also the CYCLES counter's source).
    pub cycle: Signal<Out, Bits<64>>,
    /// CAP_CAUSE, CAP_CYCLE_LO/HI, CAP_WORD, CAP_DATA_A/B, as the register file reads them
    /// (generated from the register table, `hdl/build.rs`).
    pub regs: CaptureRegs,
    cycles: DFF<Bits<64>>,
    latched: DFF<Bit>,
    /// The capture (`cause`, `c_*`): loaded every cycle while no fault is latched, frozen
    /// from the cycle after the first (so it holds that cycle's values), read as 0 while
    /// nothing is latched. CAP_WORD has no copy here: its count stops itself (`word_index`). Its enable is then the flop `latched`, not the decode of this
    /// cycle's causes: that decode reached the ~190 capture flops through a global buffer
    /// and was the Cu's critical path at 75 MHz (docs/timing-history.md).
    cause: DFF<Bits<8>>,
    seen: DFF<Bits<16>>,
    c_cycle: DFF<Bits<64>>,
    c_a: DFF<Bits<32>>,
    c_b: DFF<Bits<32>>,
    c_flags: DFF<Bits<16>>,
    code: Signal<Local, Bits<8>>,
}

impl Logic for FaultLatch {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, cycles, latched, cause, seen, c_cycle, c_a, c_b, c_flags);
        self.cycles.d.next = self.cycles.q.val() + 1;
        // Lowest cause code wins when several faults land in one cycle: codes 15 down to 1,
        // the last one that fires stays. `code` is only written here, never read back, so
        // the simulator and the Verilog see the same value (docs/architecture.md,
        // "Simulation and Verilog agree").
        self.code.next = 0.into();
        for i in 0..15 {
            if self.causes.val().get_bit(15 - i) {
                self.code.next = (15 - i).to_bits();
            }
        }
        self.seen.d.next = self.seen.q.val() | (self.causes.val() & 0xFFFE_u64);
        if !self.latched.q.val() {
            self.cause.d.next = self.code.val();
            self.c_cycle.d.next = self.cycles.q.val();
            self.c_a.d.next = self.data_a.val();
            self.c_b.d.next = self.data_b.val();
            self.c_flags.d.next = self.flags.val();
        }
        if self.code.val() != 0 {
            self.latched.d.next = true;
        }
        // A clear empties the capture too: CAP_* read 0 until the next first fault.
        if self.clear.val() | self.reset.val() {
            self.latched.d.next = false;
            self.seen.d.next = 0.into();
        }
        if self.reset.val() {
            self.cycles.d.next = 0.into();
        }
        self.fault.next = self.latched.q.val();
        self.first_cause.next = 0.into();
        self.cap_cycle.next = 0.into();
        self.cap_word.next = 0.into();
        self.cap_data_a.next = 0.into();
        self.cap_data_b.next = 0.into();
        self.cap_flags.next = 0.into();
        if self.latched.q.val() {
            self.first_cause.next = self.cause.q.val();
            self.cap_cycle.next = self.c_cycle.q.val();
            self.cap_word.next = self.word_index.val();
            self.cap_data_a.next = self.c_a.q.val();
            self.cap_data_b.next = self.c_b.q.val();
            self.cap_flags.next = self.c_flags.q.val();
        }
        self.faults.next = self.seen.q.val();
        self.cycle.next = self.cycles.q.val();
        self.regs.cap_cause.next = self.first_cause.val();
        self.regs.cap_cycle_lo.next = self.cap_cycle.val().get_bits::<32>(0);
        self.regs.cap_cycle_hi.next = self.cap_cycle.val().get_bits::<32>(32);
        self.regs.cap_word.next = self.cap_word.val();
        self.regs.cap_data_a.next = self.cap_data_a.val();
        self.regs.cap_data_b.next = self.cap_data_b.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};

    fn step(log: &mut FaultLatch) {
        low(log, |l| &mut l.clock);
        edge(log, |l| &mut l.clock);
    }

    #[test]
    fn fault_latch_synthesizes() {
        let mut log = FaultLatch::default();
        log.connect_all();
        yosys_validate("ftio_fault_latch", &generate_verilog(&log)).unwrap();
    }

    #[test]
    fn first_fault_is_captured_later_ones_only_accumulate() {
        let mut log = FaultLatch::default();
        log.connect_all();
        for _ in 0..5 {
            step(&mut log);
        }
        assert!(!log.fault.val());
        // Two causes in one cycle: the lower code is the first cause.
        log.causes.next = ((1u64 << 3) | (1 << 6)).into();
        log.word_index.next = 42u64.into();
        log.data_a.next = 0xAAAAu64.into();
        log.data_b.next = 0xBBBBu64.into();
        log.flags.next = 0x0303u64.into();
        step(&mut log);
        log.causes.next = 0u64.into();
        assert!(log.fault.val(), "latched by the next cycle");
        assert_eq!(log.first_cause.val().to_u32(), 3);
        assert_eq!(log.cap_cycle.val().to_u64(), 5);
        assert_eq!(log.cap_word.val().to_u32(), 42);
        assert_eq!(log.cap_data_a.val().to_u32(), 0xAAAA);
        assert_eq!(log.cap_data_b.val().to_u32(), 0xBBBB);
        assert_eq!(log.cap_flags.val().to_u32(), 0x0303);
        // Later faults leave the capture alone (the word index holds still by itself while a
        // fault is latched: FaultCapture's count stops).
        log.causes.next = (1u64 << 8).into();
        log.data_a.next = 0x9999u64.into();
        step(&mut log);
        log.causes.next = 0u64.into();
        step(&mut log);
        assert_eq!(log.first_cause.val().to_u32(), 3, "first fault stays");
        assert_eq!(log.cap_data_a.val().to_u32(), 0xAAAA);
        assert_eq!(log.faults.val().to_u32(), (1 << 3) | (1 << 6) | (1 << 8));
        log.clear.next = true;
        step(&mut log);
        log.clear.next = false;
        assert!(!log.fault.val());
        assert_eq!(log.faults.val().to_u32(), 0);
        assert_eq!(
            (log.cap_word.val().to_u32(), log.cap_data_a.val().to_u32(), log.cap_flags.val().to_u32(), log.cap_cycle.val().to_u64()),
            (0, 0, 0, 0),
            "a clear empties the capture"
        );
        log.causes.next = (1u64 << 12).into();
        step(&mut log);
        assert_eq!(log.first_cause.val().to_u32(), 12, "re-armed after clear");
    }
}
