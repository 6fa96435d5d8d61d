//! A registered pipeline stage for a stream of [`Word`]s: valid/ready on both sides, both
//! registered (a two-entry skid buffer), so stages can be chained without long
//! combinational ready paths while still moving one word per cycle.
use crate::link::Word;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct Stage {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: empties the stage.
    pub reset: Signal<In, Bit>,
    /// Upstream offers `in_word`.
    pub in_valid: Signal<In, Bit>,
    /// The offered word.
    pub in_word: Signal<In, Word>,
    /// The stage takes the word this cycle (registered: high while the skid slot is free).
    pub in_ready: Signal<Out, Bit>,
    /// A word is at the output.
    pub out_valid: Signal<Out, Bit>,
    /// The output word.
    pub out_word: Signal<Out, Word>,
    /// Downstream takes `out_word` this cycle.
    pub out_ready: Signal<In, Bit>,
    main_valid: DFF<Bit>,
    main_word: DFF<Word>,
    skid_valid: DFF<Bit>,
    skid_word: DFF<Word>,
}

impl Logic for Stage {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, main_valid, main_word, skid_valid, skid_word);
        self.in_ready.next = !self.skid_valid.q.val();
        self.out_valid.next = self.main_valid.q.val();
        self.out_word.next = self.main_word.q.val();
        if !self.main_valid.q.val() | self.out_ready.val() {
            // The output register frees up: refill it from the skid slot first (order!).
            if self.skid_valid.q.val() {
                self.main_word.d.next = self.skid_word.q.val();
                self.main_valid.d.next = true;
                self.skid_valid.d.next = false;
            } else {
                self.main_word.d.next = self.in_word.val();
                self.main_valid.d.next = self.in_valid.val();
            }
        } else if self.in_valid.val() & !self.skid_valid.q.val() {
            self.skid_word.d.next = self.in_word.val();
            self.skid_valid.d.next = true;
        }
        if self.reset.val() {
            self.main_valid.d.next = false;
            self.skid_valid.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};
    use rand::{Rng, SeedableRng};

    #[test]
    fn stage_synthesizes() {
        let mut uut = Stage::default();
        uut.connect_all();
        yosys_validate("ftio_stage", &generate_verilog(&uut)).unwrap();
    }

    /// Random valid on the input, random ready on the output: every word comes out once, in
    /// order; with both sides always willing, one word per cycle with latency 1.
    #[test]
    fn stage_loses_nothing_under_random_backpressure() {
        let mut uut = Stage::default();
        uut.connect_all();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut next_in = 1u64;
        let mut next_out = 1u64;
        let mut offering = false;
        let mut full_rate_moves = 0;
        for cycle in 0..6000 {
            let phase_full = cycle < 1000;
            if !offering && (phase_full || rng.gen_bool(0.6)) {
                offering = true;
            }
            uut.in_valid.next = offering;
            uut.in_word.next = next_in.into();
            uut.out_ready.next = phase_full || rng.gen_bool(0.5);
            low(&mut uut, |u| &mut u.clock);
            let took = offering && uut.in_ready.val();
            if uut.out_valid.val() && uut.out_ready.val() {
                assert_eq!(uut.out_word.val().to_u64(), next_out, "cycle {cycle}");
                next_out += 1;
                if phase_full && cycle > 0 {
                    full_rate_moves += 1;
                }
            }
            if took {
                next_in += 1;
                offering = false;
            }
            edge(&mut uut, |u| &mut u.clock);
        }
        assert_eq!(full_rate_moves, 999, "one word per cycle with both sides willing");
        assert!(next_out > 2000);
    }
}
