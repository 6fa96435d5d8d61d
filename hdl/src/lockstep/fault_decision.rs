//! Attribution and the mode that follows (SPEC §4), one cycle's decision, combinational.
//!
//! | mode now  | evidence                                        | fault named   | next mode |
//! |-----------|-------------------------------------------------|---------------|-----------|
//! | DUPLEX    | none                                            | —             | DUPLEX    |
//! | DUPLEX    | A bad only (parity or timeout), auto policy     | A             | SIMPLEX_B |
//! | DUPLEX    | B bad only, auto policy                         | B             | SIMPLEX_A |
//! | DUPLEX    | A or B bad, halt policy                         | that side     | HALTED    |
//! | DUPLEX    | both bad, or a mismatch (pair or strict check)  | mismatch/both | HALTED    |
//! | SIMPLEX_A | parity error on A's links                       | A             | HALTED    |
//! | SIMPLEX_B | parity error on B's links                       | B             | HALTED    |
//! | any       | host mode write                                 | —             | the mode written |
//! | any       | reset                                           | —             | DUPLEX    |
//!
//! A side is bad when its links carry a parity error (registered), its word at the comparator
//! does (with both heads present), or it fell silent for TIMEOUT cycles. Only the sides the
//! mode trusts matter. The next mode comes out twice: as the 3-bit value STATUS reports and,
//! computed separately, as the one-hot flags the datapath runs on. The flags take the
//! transitions' terms directly, so the fault evidence reaches their flops without the 3-bit
//! choice, the override and a decode behind it (the critical path of the Cu at 75 MHz); the
//! hardened build checks the two against each other.
use crate::fabric::mode;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct FaultDecision {
    /// The mode now, as a 3-bit value (the mode register).
    pub mode_now: Signal<In, Bits<3>>,
    /// The mode now, one-hot (the flag flops).
    pub duplex: Signal<In, Bit>,
    pub simplex_a: Signal<In, Bit>,
    pub simplex_b: Signal<In, Bit>,
    pub split: Signal<In, Bit>,
    pub halted: Signal<In, Bit>,
    /// A parity error on CPU A's links, registered.
    pub a_error: Signal<In, Bit>,
    /// A parity error on CPU B's links, registered.
    pub b_error: Signal<In, Bit>,
    /// Both skew FIFO heads are present (a pair at the comparator).
    pub heads_valid: Signal<In, Bit>,
    /// CPU A's head word carries `perr`.
    pub a_head_perr: Signal<In, Bit>,
    /// CPU B's head word carries `perr`.
    pub b_head_perr: Signal<In, Bit>,
    /// CPU A fell silent for TIMEOUT cycles.
    pub a_timeout: Signal<In, Bit>,
    /// CPU B fell silent.
    pub b_timeout: Signal<In, Bit>,
    /// The pair stage holds a differing pair.
    pub pair_differs: Signal<In, Bit>,
    /// The strict-offset check failed.
    pub strict_mismatch: Signal<In, Bit>,
    /// Fault policy: halt on every fault.
    pub policy_halt: Signal<In, Bit>,
    /// A host mode write this cycle, and the mode written.
    pub mode_set: Signal<In, Bit>,
    pub mode_value: Signal<In, Bits<3>>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,

    /// Pulses: the faults named this cycle.
    pub fault_a_parity: Signal<Out, Bit>,
    pub fault_b_parity: Signal<Out, Bit>,
    pub fault_mismatch: Signal<Out, Bit>,
    /// A fault halts the core this cycle.
    pub halt_now: Signal<Out, Bit>,
    /// The next mode, as a 3-bit value.
    pub mode_next: Signal<Out, Bits<3>>,
    /// The next mode, one-hot.
    pub duplex_next: Signal<Out, Bit>,
    pub simplex_a_next: Signal<Out, Bit>,
    pub simplex_b_next: Signal<Out, Bit>,
    pub split_next: Signal<Out, Bit>,
    pub halted_next: Signal<Out, Bit>,

    bad_a: Signal<Local, Bit>,
    bad_b: Signal<Local, Bit>,
    /// DUPLEX fails over to SIMPLEX_B: CPU A alone is bad, auto policy.
    fail_to_b: Signal<Local, Bit>,
    /// DUPLEX fails over to SIMPLEX_A.
    fail_to_a: Signal<Local, Bit>,
    /// A transition leaves the mode now (a fail-over or a halt).
    moving: Signal<Local, Bit>,
    /// DUPLEX halts on a mismatch (the pair stage's or the strict check's): the latest
    /// evidence of the cycle (the strict check's compare reduction), kept apart so it meets
    /// the next mode in the last gate (issue 26: the Cu at 75 MHz).
    mismatch_halt: Signal<Local, Bit>,
    /// The other halts: both sides bad, one bad under the halt policy, a parity error on the
    /// trusted side in SIMPLEX.
    other_halt: Signal<Local, Bit>,
    /// A alone (B alone) is bad under the auto policy, mismatch or not: the 3-bit next mode's
    /// fail-over terms (a mismatch halts, and the halt is applied after them).
    only_a_bad: Signal<Local, Bit>,
    only_b_bad: Signal<Local, Bit>,
    m_duplex: Constant<Bits<3>>,
    m_simplex_a: Constant<Bits<3>>,
    m_simplex_b: Constant<Bits<3>>,
    m_split: Constant<Bits<3>>,
    m_halted: Constant<Bits<3>>,
}

impl Default for FaultDecision {
    fn default() -> Self {
        Self {
            mode_now: Default::default(),
            duplex: Default::default(),
            simplex_a: Default::default(),
            simplex_b: Default::default(),
            split: Default::default(),
            halted: Default::default(),
            a_error: Default::default(),
            b_error: Default::default(),
            heads_valid: Default::default(),
            a_head_perr: Default::default(),
            b_head_perr: Default::default(),
            a_timeout: Default::default(),
            b_timeout: Default::default(),
            pair_differs: Default::default(),
            strict_mismatch: Default::default(),
            policy_halt: Default::default(),
            mode_set: Default::default(),
            mode_value: Default::default(),
            reset: Default::default(),
            fault_a_parity: Default::default(),
            fault_b_parity: Default::default(),
            fault_mismatch: Default::default(),
            halt_now: Default::default(),
            mode_next: Default::default(),
            duplex_next: Default::default(),
            simplex_a_next: Default::default(),
            simplex_b_next: Default::default(),
            split_next: Default::default(),
            halted_next: Default::default(),
            bad_a: Default::default(),
            bad_b: Default::default(),
            fail_to_b: Default::default(),
            fail_to_a: Default::default(),
            moving: Default::default(),
            mismatch_halt: Default::default(),
            other_halt: Default::default(),
            only_a_bad: Default::default(),
            only_b_bad: Default::default(),
            m_duplex: Constant::new(mode::DUPLEX.to_bits()),
            m_simplex_a: Constant::new(mode::SIMPLEX_A.to_bits()),
            m_simplex_b: Constant::new(mode::SIMPLEX_B.to_bits()),
            m_split: Constant::new(mode::SPLIT.to_bits()),
            m_halted: Constant::new(mode::HALTED.to_bits()),
        }
    }
}

impl Logic for FaultDecision {
    #[hdl_gen]
    fn update(&mut self) {
        // --- attribution ---------------------------------------------------------------
        self.bad_a.next = self.a_error.val() | (self.heads_valid.val() & self.a_head_perr.val()) | self.a_timeout.val();
        self.bad_b.next = self.b_error.val() | (self.heads_valid.val() & self.b_head_perr.val()) | self.b_timeout.val();
        self.fault_a_parity.next = false;
        self.fault_b_parity.next = false;
        self.fault_mismatch.next = false;
        if self.duplex.val() {
            self.fault_a_parity.next = self.a_error.val() | (self.heads_valid.val() & self.a_head_perr.val());
            self.fault_b_parity.next = self.b_error.val() | (self.heads_valid.val() & self.b_head_perr.val());
            self.fault_mismatch.next = self.pair_differs.val() | self.strict_mismatch.val();
        } else if self.simplex_a.val() {
            self.fault_a_parity.next = self.a_error.val();
        } else if self.simplex_b.val() {
            self.fault_b_parity.next = self.b_error.val();
        }

        // --- DUPLEX's three ways out, and the halts --------------------------------------
        self.fail_to_b.next =
            self.bad_a.val() & !self.bad_b.val() & !self.fault_mismatch.val() & !self.policy_halt.val();
        self.fail_to_a.next =
            self.bad_b.val() & !self.bad_a.val() & !self.fault_mismatch.val() & !self.policy_halt.val();
        // DUPLEX halts unless it stays or fails over: on a mismatch, on both sides bad, or on
        // one side bad under the halt policy (the same terms, the mismatch kept last).
        self.mismatch_halt.next = self.duplex.val() & (self.pair_differs.val() | self.strict_mismatch.val());
        self.other_halt.next = (self.duplex.val()
            & ((self.bad_a.val() & self.bad_b.val()) | (self.policy_halt.val() & (self.bad_a.val() | self.bad_b.val()))))
            | (self.simplex_a.val() & self.a_error.val())
            | (self.simplex_b.val() & self.b_error.val());
        self.halt_now.next = self.mismatch_halt.val() | self.other_halt.val();

        // --- the next mode, as the 3-bit value ------------------------------------------
        // Priority: reset, then a host write, then a halt, then a fail-over. The mismatch's
        // halt is applied last, under the write and the reset, so it passes one gate.
        self.only_a_bad.next = self.bad_a.val() & !self.bad_b.val() & !self.policy_halt.val();
        self.only_b_bad.next = self.bad_b.val() & !self.bad_a.val() & !self.policy_halt.val();
        self.mode_next.next = self.mode_now.val();
        if self.duplex.val() & self.only_a_bad.val() {
            self.mode_next.next = self.m_simplex_b.val();
        }
        if self.duplex.val() & self.only_b_bad.val() {
            self.mode_next.next = self.m_simplex_a.val();
        }
        if self.other_halt.val() {
            self.mode_next.next = self.m_halted.val();
        }
        if self.mode_set.val() {
            self.mode_next.next = self.mode_value.val();
        }
        if self.reset.val() {
            self.mode_next.next = self.m_duplex.val();
        }
        if self.mismatch_halt.val() & !self.mode_set.val() & !self.reset.val() {
            self.mode_next.next = self.m_halted.val();
        }

        // --- the next mode, one-hot, from the same terms --------------------------------
        // A flag is set by its transition, or held while the mode register says that mode and
        // no transition leaves it: the decode of the 3-bit next mode, term by term, so an upset
        // of a flag lasts one cycle and an upset of the mode register moves the flags with it.
        self.moving.next = (self.duplex.val() & (self.fail_to_a.val() | self.fail_to_b.val())) | self.halt_now.val();
        self.duplex_next.next = !self.moving.val() & (self.mode_now.val() == self.m_duplex.val());
        self.simplex_a_next.next = (self.duplex.val() & self.fail_to_a.val())
            | (!self.moving.val() & (self.mode_now.val() == self.m_simplex_a.val()));
        self.simplex_b_next.next = (self.duplex.val() & self.fail_to_b.val())
            | (!self.moving.val() & (self.mode_now.val() == self.m_simplex_b.val()));
        self.split_next.next = !self.moving.val() & (self.mode_now.val() == self.m_split.val());
        self.halted_next.next = self.halt_now.val() | (!self.moving.val() & (self.mode_now.val() == self.m_halted.val()));
        if self.mode_set.val() {
            self.duplex_next.next = self.mode_value.val() == self.m_duplex.val();
            self.simplex_a_next.next = self.mode_value.val() == self.m_simplex_a.val();
            self.simplex_b_next.next = self.mode_value.val() == self.m_simplex_b.val();
            self.split_next.next = self.mode_value.val() == self.m_split.val();
            self.halted_next.next = self.mode_value.val() == self.m_halted.val();
        }
        if self.reset.val() {
            self.duplex_next.next = true;
            self.simplex_a_next.next = false;
            self.simplex_b_next.next = false;
            self.split_next.next = false;
            self.halted_next.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::settle;

    #[test]
    fn fault_decision_synthesizes() {
        let mut d = FaultDecision::default();
        d.connect_all();
        yosys_validate("ftio_fault_decision", &generate_verilog(&d)).unwrap();
    }

    /// Every input combination from each valid mode: the one-hot next mode is the decode of the
    /// 3-bit next mode, so the hardened build's check of one against the other is silent in a
    /// healthy core.
    #[test]
    fn the_flags_are_the_decode_of_the_next_mode() {
        let mut d = FaultDecision::default();
        d.connect_all();
        for m in [mode::DUPLEX, mode::SIMPLEX_A, mode::SIMPLEX_B, mode::SPLIT, mode::HALTED] {
            for ev in 0u32..(1 << 11) {
                let bit = |i: u32| ev >> i & 1 == 1;
                d.mode_now.next = m.into();
                d.duplex.next = m == mode::DUPLEX;
                d.simplex_a.next = m == mode::SIMPLEX_A;
                d.simplex_b.next = m == mode::SIMPLEX_B;
                d.split.next = m == mode::SPLIT;
                d.halted.next = m == mode::HALTED;
                d.a_error.next = bit(0);
                d.b_error.next = bit(1);
                d.heads_valid.next = bit(2);
                d.a_head_perr.next = bit(3);
                d.b_head_perr.next = bit(4);
                d.a_timeout.next = bit(5);
                d.b_timeout.next = bit(6);
                d.pair_differs.next = bit(7);
                d.strict_mismatch.next = bit(8);
                d.policy_halt.next = bit(9);
                d.mode_set.next = bit(10) && ev % 3 == 0;
                d.mode_value.next = ((ev >> 3) as u64 % 5).into();
                d.reset.next = bit(10) && ev % 7 == 1;
                settle(&mut d);
                let next = d.mode_next.val().to_u64();
                let flags = [
                    d.duplex_next.val(),
                    d.simplex_a_next.val(),
                    d.simplex_b_next.val(),
                    d.split_next.val(),
                    d.halted_next.val(),
                ];
                for (k, f) in flags.iter().enumerate() {
                    assert_eq!(*f, next == k as u64, "mode {m}, evidence {ev:#x}: next {next}, flags {flags:?}");
                }
            }
        }
    }
}
