//! Strict lockstep's offset check (SPEC §4, docs/lockstep.md "Strict lockstep: fail-over and
//! silence"): CPU B's offer at t is checked against CPU A's at t−D, from the host write that
//! starts strict DUPLEX to the verdict the fault decision takes.
//!
//! * Both offering: the words' data, `last` and `abort` must agree.
//! * One offering alone marks the other side missing (sticky until the mode or the check
//!   changes; at most one side is ever marked). The marked side is not a mismatch yet: if it
//!   offers again at the check the timing differs and it is one; if it stays silent for
//!   TIMEOUT cycles the silence timer names it.
//! * The return-link ready check (`return_mismatch`) is a mismatch too.
//! * A parity error on either CPU registered in the same cycle excuses the check: the parity
//!   error names its side (SPEC §4: a word with a parity error is its side's, never a
//!   mismatch, at every D).
//! * A host write into strict DUPLEX at cycle w starts the check afresh: CPU B's words of the
//!   D cycles after it are dropped (they pair with the words of CPU A the write flushed from
//!   skew FIFO A), so every B word kept has been checked against A's offer D cycles before.
use crate::link::Word;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct StrictCheck<const OW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: the marks cleared.
    pub reset: Signal<In, Bit>,
    /// A host mode write this cycle: the marks are cleared and any drop ends.
    pub mode_set: Signal<In, Bit>,
    /// The write starts strict DUPLEX: B's words of the next D cycles are dropped.
    pub start: Signal<In, Bit>,
    /// Strict offset D.
    pub offset: Signal<In, Bits<OW>>,
    /// Strict DUPLEX now (the check's verdicts count).
    pub on: Signal<In, Bit>,
    /// The check is armed ([`crate::delay_line::ReplayArm`]): A's port D cycles ago is of
    /// this strict DUPLEX.
    pub armed: Signal<In, Bit>,
    /// CPU A offered a word D cycles ago.
    pub a_then_valid: Signal<In, Bit>,
    /// That word (data, `last`, `abort` are compared).
    pub a_then: Signal<In, Word>,
    /// CPU B offers a word now.
    pub b_valid: Signal<In, Bit>,
    /// The word.
    pub b_word: Signal<In, Word>,
    /// CPU B's return-link ready differed from CPU A's D cycles earlier.
    pub return_mismatch: Signal<In, Bit>,
    /// A parity error on either CPU's links is registered this cycle: the check is excused.
    pub parity_error: Signal<In, Bit>,

    /// CPU B's offer of last cycle failed the check (or the return-link ready check did), and
    /// no parity error names a side in this cycle.
    pub mismatch: Signal<Out, Bit>,
    /// CPU A is marked missing (it counts towards its timeout).
    pub a_missing: Signal<Out, Bit>,
    /// CPU B is marked missing.
    pub b_missing: Signal<Out, Bit>,
    /// CPU B's words are being dropped after the write into strict DUPLEX.
    pub b_dropping: Signal<Out, Bit>,
    /// The check's control state for the hardened build's shadow: `b_dropping`,
    /// `a_missing`, `b_missing`, then the drop count (bits 3 and up); now and next.
    pub ctl_now: Signal<Out, Bits<32>>,
    pub ctl_next: Signal<Out, Bits<32>>,

    /// The compare's reduction split across the register: which of the five compared slices
    /// of B's word (data bytes 0-3, last/abort) differ from A's at t−D, and both offering
    /// while armed. The last OR is made the cycle after, so the check counts at the cycle it
    /// did with one flop behind the whole compare, and B's injector and link checker feed
    /// only a byte compare.
    diff_q: DFF<Bits<5>>,
    both_q: DFF<Bit>,
    /// The side marked missing offered at the check: a timing difference.
    resume_q: DFF<Bit>,
    ret_mis_q: DFF<Bit>,
    a_missing_q: DFF<Bit>,
    b_missing_q: DFF<Bit>,
    /// Cycles of B's words still to drop, and `b_drop != 0` in a flop (so skew FIFO B's input
    /// waits for no compare).
    b_drop: DFF<Bits<OW>>,
    b_dropping_q: DFF<Bit>,
    /// The marks carry on into the next cycle.
    keep: Signal<Local, Bit>,
}

impl<const OW: usize> Default for StrictCheck<OW> {
    fn default() -> Self {
        assert!(OW + 3 <= 32, "the check's control state is 32 bits");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            mode_set: Default::default(),
            start: Default::default(),
            offset: Default::default(),
            on: Default::default(),
            armed: Default::default(),
            a_then_valid: Default::default(),
            a_then: Default::default(),
            b_valid: Default::default(),
            b_word: Default::default(),
            return_mismatch: Default::default(),
            parity_error: Default::default(),
            mismatch: Default::default(),
            a_missing: Default::default(),
            b_missing: Default::default(),
            b_dropping: Default::default(),
            ctl_now: Default::default(),
            ctl_next: Default::default(),
            diff_q: Default::default(),
            both_q: Default::default(),
            resume_q: Default::default(),
            ret_mis_q: Default::default(),
            a_missing_q: Default::default(),
            b_missing_q: Default::default(),
            b_drop: Default::default(),
            b_dropping_q: Default::default(),
            keep: Default::default(),
        }
    }
}

impl<const OW: usize> Logic for StrictCheck<OW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, diff_q, both_q, resume_q, ret_mis_q, a_missing_q, b_missing_q, b_drop, b_dropping_q);
        // Valid patterns: both offering → contents compared; one alone → the other marked
        // missing; a marked side offering at the check → a timing difference. Only valid bits
        // feed the marks, none of the byte compares.
        self.keep.next = self.on.val() & self.armed.val() & !self.mode_set.val() & !self.reset.val();
        self.both_q.d.next = self.armed.val() & self.b_valid.val() & self.a_then_valid.val();
        self.resume_q.d.next = self.armed.val()
            & ((self.a_missing_q.q.val() & self.a_then_valid.val()) | (self.b_missing_q.q.val() & self.b_valid.val()));
        self.a_missing_q.d.next = self.keep.val()
            & (self.a_missing_q.q.val()
                | (self.b_valid.val() & !self.a_then_valid.val() & !self.b_missing_q.q.val()));
        self.b_missing_q.d.next = self.keep.val()
            & (self.b_missing_q.q.val()
                | (!self.b_valid.val() & self.a_then_valid.val() & !self.a_missing_q.q.val()));
        self.diff_q.d.next = bit_cast::<5, 1>(
            (self.b_word.val().get_bits::<8>(0) != self.a_then.val().get_bits::<8>(0)).into(),
        ) | (bit_cast::<5, 1>((self.b_word.val().get_bits::<8>(8) != self.a_then.val().get_bits::<8>(8)).into()) << 1)
            | (bit_cast::<5, 1>((self.b_word.val().get_bits::<8>(16) != self.a_then.val().get_bits::<8>(16)).into()) << 2)
            | (bit_cast::<5, 1>((self.b_word.val().get_bits::<8>(24) != self.a_then.val().get_bits::<8>(24)).into()) << 3)
            | (bit_cast::<5, 1>((self.b_word.val().get_bits::<2>(36) != self.a_then.val().get_bits::<2>(36)).into()) << 4);
        self.ret_mis_q.d.next = self.return_mismatch.val();
        // A corrupted word reaches this check in the cycle its port's parity error is
        // registered (B's word at t; at D = 0 A's; at D >= 1 A's error failed over D cycles
        // before its word gets here), so a parity error on either side excuses it. The
        // return-link ready check is excused the same way (a flipped `ready` is caught by its
        // `rpar`). Both excuses are flops, more inputs to the OR the check already ends in.
        self.mismatch.next = ((self.both_q.q.val() & (self.diff_q.q.val() != 0))
            | self.resume_q.q.val()
            | (self.on.val() & self.ret_mis_q.q.val()))
            & !self.parity_error.val();

        // The drop after a write into strict DUPLEX (nothing is taken in the write's cycle).
        if self.b_dropping_q.q.val() {
            self.b_drop.d.next = self.b_drop.q.val() - 1;
            self.b_dropping_q.d.next = self.b_drop.q.val() != 1;
        }
        if self.mode_set.val() {
            self.b_drop.d.next = 0.into();
            self.b_dropping_q.d.next = false;
            if self.start.val() {
                self.b_drop.d.next = self.offset.val();
                self.b_dropping_q.d.next = self.offset.val() != 0;
            }
        }
        self.a_missing.next = self.a_missing_q.q.val();
        self.b_missing.next = self.b_missing_q.q.val();
        self.b_dropping.next = self.b_dropping_q.q.val();
        self.ctl_now.next = bit_cast::<32, 1>(self.b_dropping_q.q.val().into())
            | (bit_cast::<32, 1>(self.a_missing_q.q.val().into()) << 1)
            | (bit_cast::<32, 1>(self.b_missing_q.q.val().into()) << 2)
            | (bit_cast::<32, OW>(self.b_drop.q.val()) << 3);
        self.ctl_next.next = bit_cast::<32, 1>(self.b_dropping_q.d.val().into())
            | (bit_cast::<32, 1>(self.a_missing_q.d.val().into()) << 1)
            | (bit_cast::<32, 1>(self.b_missing_q.d.val().into()) << 2)
            | (bit_cast::<32, OW>(self.b_drop.d.val()) << 3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_check_synthesizes() {
        let mut c = StrictCheck::<4>::default();
        c.connect_all();
        yosys_validate("ftio_strict_check", &generate_verilog(&c)).unwrap();
    }
}
