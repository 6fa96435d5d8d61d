//! `BistCheckPair`: what a pair of BIST checkers (one per disk, or one per CPU) reports as one
//! count: the words checked on both (the lesser count) and the errors of both (their sum).
use rust_hdl::prelude::*;

/// The summary of two [`crate::bist::BistChecker`]s, registered: the 32-bit compare and
/// adder stay off the register read path (a read sees them a cycle late).
#[derive(LogicBlock)]
pub struct BistCheckPair {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Checker A's words and errors.
    pub a_words: Signal<In, Bits<32>>,
    pub a_errors: Signal<In, Bits<32>>,
    /// Checker B's.
    pub b_words: Signal<In, Bits<32>>,
    pub b_errors: Signal<In, Bits<32>>,
    /// Words checked on both: a word counts once both copies have been checked.
    pub words: Signal<Out, Bits<32>>,
    /// Both checkers' errors, saturating at 2^counter_width - 1.
    pub errors: Signal<Out, Bits<32>>,
    words_q: DFF<Bits<32>>,
    errors_q: DFF<Bits<32>>,
    /// The sum, a bit wider than either count: it stops at `errors_top` like the counts it
    /// sums, never wraps to 0.
    errors_sum: Signal<Local, Bits<33>>,
    errors_top: Constant<Bits<33>>,
}

impl BistCheckPair {
    /// The summary of checkers whose counts are `width` bits wide (PARAMS.counter_width).
    pub fn new(width: u8) -> Self {
        Self {
            clock: Default::default(),
            a_words: Default::default(),
            a_errors: Default::default(),
            b_words: Default::default(),
            b_errors: Default::default(),
            words: Default::default(),
            errors: Default::default(),
            words_q: Default::default(),
            errors_q: Default::default(),
            errors_sum: Default::default(),
            errors_top: Constant::new(((1u64 << width) - 1).to_bits()),
        }
    }
}

impl Logic for BistCheckPair {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, words_q, errors_q);
        if self.a_words.val() < self.b_words.val() {
            self.words_q.d.next = self.a_words.val();
        } else {
            self.words_q.d.next = self.b_words.val();
        }
        self.errors_sum.next = bit_cast::<33, 32>(self.a_errors.val()) + bit_cast::<33, 32>(self.b_errors.val());
        if self.errors_sum.val() > self.errors_top.val() {
            self.errors_q.d.next = self.errors_top.val().get_bits::<32>(0);
        } else {
            self.errors_q.d.next = self.errors_sum.val().get_bits::<32>(0);
        }
        self.words.next = self.words_q.q.val();
        self.errors.next = self.errors_q.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};

    /// The lesser word count, and the error sum saturating at the counter width's top.
    #[test]
    fn the_pair_reports_the_lesser_count_and_the_saturating_sum() {
        let mut p = BistCheckPair::new(4);
        p.connect_all();
        for (aw, bw, ae, be, words, errors) in [(5, 3, 1, 2, 3, 3), (2, 9, 9, 9, 2, 15), (7, 7, 0, 0, 7, 0)] {
            p.a_words.next = (aw as u64).into();
            p.b_words.next = (bw as u64).into();
            p.a_errors.next = (ae as u64).into();
            p.b_errors.next = (be as u64).into();
            low(&mut p, |p| &mut p.clock);
            edge(&mut p, |p| &mut p.clock);
            assert_eq!((p.words.val().to_u32(), p.errors.val().to_u32()), (words, errors));
        }
    }
}
