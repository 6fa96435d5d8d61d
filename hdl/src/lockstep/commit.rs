//! The committed stream (SPEC §4, cut-through commit): the pair stage's word leaves unless the
//! pair differs, and a frame in flight when the mode becomes HALTED is ended with one
//! `last & abort` word ([`crate::lockstep::ABORT_WORD`]). Everything here starts from flops:
//! the pair stage's registers, the mode flags and the frame state.
//!
//! | state                          | committed stream offers                    |
//! |--------------------------------|--------------------------------------------|
//! | abort word pending             | the abort word (nothing else moves)        |
//! | HALTED or SPLIT                | nothing                                    |
//! | DUPLEX, pair agreed            | A's word of the pair                       |
//! | DUPLEX, pair differs           | nothing (the core halts on it)             |
//! | SIMPLEX_A / SIMPLEX_B          | the healthy side's word                    |
use crate::link::Word;
use crate::lockstep::ABORT_WORD;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Commit {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: no frame in flight.
    pub reset: Signal<In, Bit>,
    /// The mode now (one-hot flags).
    pub duplex: Signal<In, Bit>,
    pub simplex_b: Signal<In, Bit>,
    pub split: Signal<In, Bit>,
    pub halted: Signal<In, Bit>,
    /// The pair stage holds a pair, whose words differ (DUPLEX), and its words.
    pub pair_valid: Signal<In, Bit>,
    pub pair_differ: Signal<In, Bit>,
    pub a_word: Signal<In, Word>,
    pub b_word: Signal<In, Word>,
    /// The mode becomes HALTED this cycle (a fault or a host write): a frame in flight ends.
    pub halt: Signal<In, Bit>,
    /// The fabric takes the committed word.
    pub c_ready: Signal<In, Bit>,

    /// The committed stream offers a word, and the word.
    pub c_valid: Signal<Out, Bit>,
    pub c_word: Signal<Out, Word>,
    /// A word (the pair's or the abort word) moved this cycle.
    pub moved: Signal<Out, Bit>,
    /// The pair stage's pair left this cycle.
    pub leave: Signal<Out, Bit>,
    /// Pulses: a pair's word left; a frame completed (`last` without `abort`); a frame in
    /// flight was ended with the abort word.
    pub word_out: Signal<Out, Bit>,
    pub frame_out: Signal<Out, Bit>,
    pub frame_aborted: Signal<Out, Bit>,
    /// The abort word waits to be sent.
    pub abort_pending: Signal<Out, Bit>,
    /// The frame state for the hardened build's shadow: abort pending, in frame (bits 0-1);
    /// now and next.
    pub ctl_now: Signal<Out, Bits<2>>,
    pub ctl_next: Signal<Out, Bits<2>>,

    in_frame: DFF<Bit>,
    abort_pending_q: DFF<Bit>,
    in_frame_next: Signal<Local, Bit>,
    abort_word: Constant<Word>,
}

impl Default for Commit {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            duplex: Default::default(),
            simplex_b: Default::default(),
            split: Default::default(),
            halted: Default::default(),
            pair_valid: Default::default(),
            pair_differ: Default::default(),
            a_word: Default::default(),
            b_word: Default::default(),
            halt: Default::default(),
            c_ready: Default::default(),
            c_valid: Default::default(),
            c_word: Default::default(),
            moved: Default::default(),
            leave: Default::default(),
            word_out: Default::default(),
            frame_out: Default::default(),
            frame_aborted: Default::default(),
            abort_pending: Default::default(),
            ctl_now: Default::default(),
            ctl_next: Default::default(),
            in_frame: Default::default(),
            abort_pending_q: Default::default(),
            in_frame_next: Default::default(),
            abort_word: Constant::new(ABORT_WORD.to_bits()),
        }
    }
}

impl Logic for Commit {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, in_frame, abort_pending_q);
        self.c_valid.next = false;
        self.c_word.next = self.a_word.val();
        if self.simplex_b.val() {
            self.c_word.next = self.b_word.val();
        }
        if self.abort_pending_q.q.val() {
            self.c_valid.next = true;
            self.c_word.next = self.abort_word.val();
        } else if !self.halted.val() & !self.split.val() {
            self.c_valid.next = self.pair_valid.val() & !(self.pair_differ.val() & self.duplex.val());
        }
        self.moved.next = self.c_valid.val() & self.c_ready.val();
        self.leave.next = self.moved.val() & !self.abort_pending_q.q.val();
        self.word_out.next = self.leave.val();
        self.frame_out.next = self.leave.val() & self.c_word.val().get_bit(36) & !self.c_word.val().get_bit(37);
        self.frame_aborted.next = self.moved.val() & self.abort_pending_q.q.val();
        self.in_frame_next.next = self.in_frame.q.val();
        if self.moved.val() {
            self.in_frame_next.next = !self.c_word.val().get_bit(36);
            if self.abort_pending_q.q.val() {
                self.abort_pending_q.d.next = false;
            }
        }
        if self.halt.val() {
            self.abort_pending_q.d.next = self.in_frame_next.val();
        }
        self.in_frame.d.next = self.in_frame_next.val();
        if self.reset.val() {
            self.in_frame.d.next = false;
            self.abort_pending_q.d.next = false;
        }
        self.abort_pending.next = self.abort_pending_q.q.val();
        self.ctl_now.next = bit_cast::<2, 1>(self.abort_pending_q.q.val().into()) | (bit_cast::<2, 1>(self.in_frame.q.val().into()) << 1);
        self.ctl_next.next = bit_cast::<2, 1>(self.abort_pending_q.d.val().into()) | (bit_cast::<2, 1>(self.in_frame.d.val().into()) << 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_synthesizes() {
        let mut c = Commit::default();
        c.connect_all();
        yosys_validate("ftio_commit", &generate_verilog(&c)).unwrap();
    }
}
