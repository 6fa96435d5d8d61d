//! The comparator and the pair stage (SPEC §4 "Comparator", cut-through commit): the two skew
//! FIFO heads popped together (one head in SIMPLEX) into registers, with their comparison
//! registered beside them, so the 40-bit compare is off the commit path.
//!
//! Behind the stage is a skid register: a pair popped while the stage could not move waits
//! there and enters the stage next, so nothing is lost or reordered. Popping waits only for
//! the skid to be empty (a register), so the commit gate's and fabric's readiness never
//! reaches the skew FIFOs' read side in the same cycle; with every sink ready the stage moves
//! each cycle and the skid stays empty. A differing pair never leaves (the core halts on it),
//! so the stage makes room only by committing.
use crate::link::Word;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct PairStage {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Pop the heads into the stage (or the skid) this cycle.
    pub pop: Signal<In, Bit>,
    /// Head of skew FIFO A.
    pub a_head: Signal<In, Word>,
    /// Head of skew FIFO B.
    pub b_head: Signal<In, Word>,
    /// Both heads are valid (the comparison is of a real pair).
    pub heads_valid: Signal<In, Bit>,
    /// DUPLEX: the pair's comparison counts (in SIMPLEX one head is a don't-care).
    pub compare: Signal<In, Bit>,
    /// The stage's pair leaves on the committed stream this cycle.
    pub leave: Signal<In, Bit>,
    /// Empty the stage and the skid (reset, a mode write, a halt).
    pub flush: Signal<In, Bit>,

    /// The heads differ in data, `last` or `abort` (this cycle's comparison).
    pub heads_differ: Signal<Out, Bit>,
    /// The stage holds a pair.
    pub valid: Signal<Out, Bit>,
    /// Its words differ (DUPLEX).
    pub differ: Signal<Out, Bit>,
    /// CPU A's word of the pair.
    pub a_word: Signal<Out, Word>,
    /// CPU B's word of the pair.
    pub b_word: Signal<Out, Word>,
    /// The pair's words as the CPUs sent them, for the fault capture (hardened: the
    /// `last`/`abort` check unfolded, [`crate::lockstep::fold_check`]).
    pub a_sent: Signal<Out, Word>,
    pub b_sent: Signal<Out, Word>,
    /// The skid holds a pair (no pop until it has moved on).
    pub skid_full: Signal<Out, Bit>,
    /// Hardened build: the second comparator (an XOR-and-reduce beside the `!=` compare)
    /// disagrees with the first on a real pair. Low in the default build.
    pub compare_error: Signal<Out, Bit>,
    /// The stage's flags for the hardened build's shadow: valid, differ, skid valid, skid
    /// differ (bits 0-3); now and next.
    pub ctl_now: Signal<Out, Bits<4>>,
    pub ctl_next: Signal<Out, Bits<4>>,

    pa: DFF<Word>,
    pb: DFF<Word>,
    p_valid: DFF<Bit>,
    p_differ: DFF<Bit>,
    ka: DFF<Word>,
    kb: DFF<Word>,
    k_valid: DFF<Bit>,
    k_differ: DFF<Bit>,
    /// The stage is empty or its pair leaves this cycle.
    room: Signal<Local, Bit>,
    harden: Constant<Bit>,
    compare_mask: Constant<Bits<40>>,
    differ_chk: Signal<Local, Bit>,
}

impl Default for PairStage {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl PairStage {
    /// The stage; with `harden`, its comparator duplicated (`compare_error`).
    pub fn hardened(harden: bool) -> Self {
        Self {
            clock: Default::default(),
            pop: Default::default(),
            a_head: Default::default(),
            b_head: Default::default(),
            heads_valid: Default::default(),
            compare: Default::default(),
            leave: Default::default(),
            flush: Default::default(),
            heads_differ: Default::default(),
            valid: Default::default(),
            differ: Default::default(),
            a_word: Default::default(),
            b_word: Default::default(),
            a_sent: Default::default(),
            b_sent: Default::default(),
            skid_full: Default::default(),
            compare_error: Default::default(),
            ctl_now: Default::default(),
            ctl_next: Default::default(),
            pa: Default::default(),
            pb: Default::default(),
            p_valid: Default::default(),
            p_differ: Default::default(),
            ka: Default::default(),
            kb: Default::default(),
            k_valid: Default::default(),
            k_differ: Default::default(),
            room: Default::default(),
            harden: Constant::new(harden),
            compare_mask: Constant::new(0x30_FFFF_FFFF_u64.to_bits()),
            differ_chk: Default::default(),
        }
    }
}

impl Logic for PairStage {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, pa, pb, p_valid, p_differ, ka, kb, k_valid, k_differ);
        // Data, `last` and `abort` are compared; parity and `perr` are each side's own.
        self.heads_differ.next = (self.a_head.val().get_bits::<32>(0) != self.b_head.val().get_bits::<32>(0))
            | (self.a_head.val().get_bit(36) != self.b_head.val().get_bit(36))
            | (self.a_head.val().get_bit(37) != self.b_head.val().get_bit(37));
        self.room.next = !self.p_valid.q.val() | self.leave.val();
        if self.k_valid.q.val() {
            if self.room.val() {
                self.p_valid.d.next = true;
                self.pa.d.next = self.ka.q.val();
                self.pb.d.next = self.kb.q.val();
                self.p_differ.d.next = self.k_differ.q.val();
                self.k_valid.d.next = false;
            }
        } else if self.pop.val() {
            if self.room.val() {
                self.p_valid.d.next = true;
                self.pa.d.next = self.a_head.val();
                self.pb.d.next = self.b_head.val();
                self.p_differ.d.next = self.compare.val() & self.heads_differ.val();
            } else {
                self.k_valid.d.next = true;
                self.ka.d.next = self.a_head.val();
                self.kb.d.next = self.b_head.val();
                self.k_differ.d.next = self.compare.val() & self.heads_differ.val();
            }
        } else if self.leave.val() {
            self.p_valid.d.next = false;
        }
        if self.flush.val() {
            self.p_valid.d.next = false;
            self.k_valid.d.next = false;
        }
        self.valid.next = self.p_valid.q.val();
        self.differ.next = self.p_differ.q.val();
        self.a_word.next = self.pa.q.val();
        self.b_word.next = self.pb.q.val();
        self.skid_full.next = self.k_valid.q.val();
        self.a_sent.next = self.pa.q.val();
        self.b_sent.next = self.pb.q.val();
        if self.harden.val() {
            self.a_sent.next = self.pa.q.val()
                ^ (bit_cast::<40, 1>((self.pa.q.val().get_bit(36) ^ self.pa.q.val().get_bit(37)).into()) << 35);
            self.b_sent.next = self.pb.q.val()
                ^ (bit_cast::<40, 1>((self.pb.q.val().get_bit(36) ^ self.pb.q.val().get_bit(37)).into()) << 35);
        }
        self.differ_chk.next = ((self.a_head.val() ^ self.b_head.val()) & self.compare_mask.val()).any();
        self.compare_error.next =
            self.harden.val() & self.heads_valid.val() & (self.heads_differ.val() != self.differ_chk.val());
        self.ctl_now.next = bit_cast::<4, 1>(self.p_valid.q.val().into())
            | (bit_cast::<4, 1>(self.p_differ.q.val().into()) << 1)
            | (bit_cast::<4, 1>(self.k_valid.q.val().into()) << 2)
            | (bit_cast::<4, 1>(self.k_differ.q.val().into()) << 3);
        self.ctl_next.next = bit_cast::<4, 1>(self.p_valid.d.val().into())
            | (bit_cast::<4, 1>(self.p_differ.d.val().into()) << 1)
            | (bit_cast::<4, 1>(self.k_valid.d.val().into()) << 2)
            | (bit_cast::<4, 1>(self.k_differ.d.val().into()) << 3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_stage_synthesizes() {
        let mut p = PairStage::default();
        p.connect_all();
        yosys_validate("ftio_pair_stage", &generate_verilog(&p)).unwrap();
    }
}
