//! Built-in self-test (SPEC §6): a generator feeds both CPU inputs with identical
//! pseudo-random frames (B's copy starting `skew` cycles after A's), and a checker on each
//! disk output expects exactly that sequence — so a board with nothing but a UART proves the
//! whole data path: checkers, skew FIFOs, comparator, commit, fabric, egress.
//!
//! Words come from a 32-bit Galois LFSR (x^32 + x^22 + x^2 + x + 1) seeded by BIST_SEED (0
//! counts as 1); a frame is BIST_LEN words, the last with `last`; BIST_FRAMES frames.
use crate::event_counter::count_top;
use crate::parity::ParityGen;
use rust_hdl::prelude::*;

/// The LFSR step (software reference for tests and host tools).
pub fn lfsr_next(x: u32) -> u32 {
    (x >> 1) ^ if x & 1 == 1 { 0x8020_0003 } else { 0 }
}

/// Combinational LFSR step.
#[derive(LogicBlock, Default)]
pub struct LfsrStep {
    /// State now.
    pub state: Signal<In, Bits<32>>,
    /// State after one step.
    pub after: Signal<Out, Bits<32>>,
}

impl Logic for LfsrStep {
    #[hdl_gen]
    fn update(&mut self) {
        if self.state.val().get_bit(0) {
            self.after.next = (self.state.val() >> 1) ^ 0x8020_0003_u64;
        } else {
            self.after.next = self.state.val() >> 1;
        }
    }
}

/// Walks the expected word sequence: the LFSR word, and whether it ends a frame.
///
/// Both positions count down to their end (words left in the frame, frames left), so the
/// end tests compare a register with a constant rather than a counter with BIST_LEN /
/// BIST_FRAMES: four of these run at once, and on the iCE40 every up-counter-against-register
/// compare is a second carry chain.
///
/// BIST_FRAMES has the build's counter width: `top` (2^width - 1) masks every value
/// `frames_left` takes, so the flops above the width are constant and synthesis drops them.
#[derive(LogicBlock)]
pub struct BistSequence {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Restart from the seed.
    pub start: Signal<In, Bit>,
    /// Seed.
    pub seed: Signal<In, Bits<32>>,
    /// Words per frame (BIST_LEN is 16 bits wide).
    pub len: Signal<In, Bits<16>>,
    /// Frames.
    pub frames: Signal<In, Bits<32>>,
    /// Move to the next word.
    pub advance: Signal<In, Bit>,
    /// Words remain.
    pub more: Signal<Out, Bit>,
    /// The current word.
    pub data: Signal<Out, Bits<32>>,
    /// The current word ends its frame.
    pub last: Signal<Out, Bit>,
    lfsr: DFF<Bits<32>>,
    /// Words of the current frame from the current one on (1 at its last word).
    words_left: DFF<Bits<16>>,
    /// Frames from the current one on (0: the run is over).
    frames_left: DFF<Bits<32>>,
    /// `more` and `last`, registered: computed for the next state, off the data path.
    more_q: DFF<Bit>,
    last_q: DFF<Bit>,
    step: LfsrStep,
    len_eff: Signal<Local, Bits<16>>,
    top: Constant<Bits<32>>,
}

impl BistSequence {
    /// A sequence whose frame count is `width` bits wide.
    pub fn new(width: u8) -> Self {
        Self {
            clock: Default::default(),
            start: Default::default(),
            seed: Default::default(),
            len: Default::default(),
            frames: Default::default(),
            advance: Default::default(),
            more: Default::default(),
            data: Default::default(),
            last: Default::default(),
            lfsr: Default::default(),
            words_left: Default::default(),
            frames_left: Default::default(),
            more_q: Default::default(),
            last_q: Default::default(),
            step: Default::default(),
            len_eff: Default::default(),
            top: count_top(width),
        }
    }
}

impl Default for BistSequence {
    fn default() -> Self {
        Self::new(32)
    }
}

impl Logic for BistSequence {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, lfsr, words_left, frames_left, more_q, last_q);
        self.frames_left.d.next = self.frames_left.q.val() & self.top.val();
        self.step.state.next = self.lfsr.q.val();
        // BIST_LEN 0 acts as 1.
        self.len_eff.next = self.len.val();
        if self.len.val() == 0 {
            self.len_eff.next = 1.into();
        }
        self.more.next = self.more_q.q.val();
        self.data.next = self.lfsr.q.val();
        self.last.next = self.last_q.q.val();
        if self.start.val() {
            self.lfsr.d.next = self.seed.val();
            if self.seed.val() == 0 {
                self.lfsr.d.next = 1.into();
            }
            self.words_left.d.next = self.len_eff.val();
            self.frames_left.d.next = self.frames.val() & self.top.val();
            self.more_q.d.next = (self.frames.val() & self.top.val()) != 0;
            self.last_q.d.next = self.len_eff.val() == 1;
        } else if self.advance.val() & self.more_q.q.val() {
            self.lfsr.d.next = self.step.after.val();
            if self.last_q.q.val() {
                self.words_left.d.next = self.len_eff.val();
                self.frames_left.d.next = (self.frames_left.q.val() - 1) & self.top.val();
                self.more_q.d.next = self.frames_left.q.val() != 1;
                self.last_q.d.next = self.len_eff.val() == 1;
            } else {
                self.words_left.d.next = self.words_left.q.val() - 1;
                self.last_q.d.next = self.words_left.q.val() == 2;
            }
        }
    }
}

/// Generator for one CPU input: the sequence as link words, after `delay` cycles.
#[derive(LogicBlock)]
pub struct BistGenerator {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start (pulse).
    pub start: Signal<In, Bit>,
    /// Stop (pulse).
    pub stop: Signal<In, Bit>,
    /// Seed, words per frame, frames.
    pub seed: Signal<In, Bits<32>>,
    /// Words per frame.
    pub len: Signal<In, Bits<16>>,
    /// Frames.
    pub frames: Signal<In, Bits<32>>,
    /// Cycles to wait after start before the first word.
    pub delay: Signal<In, Bits<16>>,
    /// A word is offered.
    pub valid: Signal<Out, Bit>,
    /// The word.
    pub data: Signal<Out, Bits<32>>,
    /// Its parity.
    pub par: Signal<Out, Bits<4>>,
    /// It ends a frame.
    pub last: Signal<Out, Bit>,
    /// The core takes it.
    pub ready: Signal<In, Bit>,
    /// Still generating.
    pub running: Signal<Out, Bit>,
    seq: BistSequence,
    gen: ParityGen,
    active: DFF<Bit>,
    delay_left: DFF<Bits<16>>,
    /// `delay_left == 0`, registered.
    delay_done: DFF<Bit>,
    /// A build without the BIST (BuildParams::bist false): a start is never seen, so the
    /// generator never offers a word and synthesis removes it.
    left_out: Constant<Bit>,
}

impl BistGenerator {
    /// A generator whose frame count is `width` bits wide (the core's counter width).
    pub fn new(width: u8) -> Self {
        Self {
            clock: Default::default(),
            start: Default::default(),
            stop: Default::default(),
            seed: Default::default(),
            len: Default::default(),
            frames: Default::default(),
            delay: Default::default(),
            valid: Default::default(),
            data: Default::default(),
            par: Default::default(),
            last: Default::default(),
            ready: Default::default(),
            running: Default::default(),
            seq: BistSequence::new(width),
            gen: Default::default(),
            active: Default::default(),
            delay_left: Default::default(),
            delay_done: Default::default(),
            left_out: Constant::new(false),
        }
    }

    /// The generator of a core built with `params`: left out when `params.bist` is false.
    pub fn for_build(params: &ftio_proto::BuildParams) -> Self {
        Self { left_out: Constant::new(!params.bist), ..Self::new(params.counter_width) }
    }
}

impl Default for BistGenerator {
    fn default() -> Self {
        Self::new(32)
    }
}

impl Logic for BistGenerator {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, seq);
        dff_setup!(self, clock, active, delay_left, delay_done);
        self.seq.start.next = self.start.val() & !self.left_out.val();
        self.seq.seed.next = self.seed.val();
        self.seq.len.next = self.len.val();
        self.seq.frames.next = self.frames.val();
        self.valid.next = self.active.q.val() & self.delay_done.q.val() & self.seq.more.val();
        self.data.next = self.seq.data.val();
        self.gen.data.next = self.seq.data.val();
        self.par.next = self.gen.par.val();
        self.last.next = self.seq.last.val();
        // `valid`'s terms, not `valid`: the statement that reads `ready` writes no `valid`, so
        // the handshake through a link driven straight from the generator is no block-level
        // cycle (docs/simulation.md, "Block-level cycles").
        self.seq.advance.next = self.active.q.val() & self.delay_done.q.val() & self.seq.more.val() & self.ready.val();
        self.running.next = self.active.q.val();
        if self.active.q.val() & !self.delay_done.q.val() {
            self.delay_left.d.next = self.delay_left.q.val() - 1;
            self.delay_done.d.next = self.delay_left.q.val() == 1;
        }
        if self.active.q.val() & self.delay_done.q.val() & !self.seq.more.val() {
            self.active.d.next = false;
        }
        if self.start.val() & !self.left_out.val() {
            self.active.d.next = true;
            self.delay_left.d.next = self.delay.val();
            self.delay_done.d.next = self.delay.val() == 0;
        }
        if self.stop.val() {
            self.active.d.next = false;
        }
    }
}

/// Checker for one disk output: every word that leaves must be the next expected one, with
/// good parity, the right `last`, and no `abort`. Its counts have the build's counter width
/// and stop at 2^width - 1 (an error count that wrapped could read 0 after a failed run).
#[derive(LogicBlock)]
pub struct BistChecker {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start (pulse): expect the sequence from its first word.
    pub start: Signal<In, Bit>,
    /// Seed.
    pub seed: Signal<In, Bits<32>>,
    /// Words per frame.
    pub len: Signal<In, Bits<16>>,
    /// Frames.
    pub frames: Signal<In, Bits<32>>,
    /// Check words while high.
    pub enable: Signal<In, Bit>,
    /// Count every word still expected as an error (the run ended without them).
    pub drain: Signal<In, Bit>,
    /// A word left on the disk link this cycle.
    pub take: Signal<In, Bit>,
    /// Its data.
    pub data: Signal<In, Bits<32>>,
    /// Its parity.
    pub par: Signal<In, Bits<4>>,
    /// Its `last`.
    pub last: Signal<In, Bit>,
    /// Its `abort`.
    pub abort: Signal<In, Bit>,
    /// Words checked.
    pub words: Signal<Out, Bits<32>>,
    /// Words that were wrong (or unexpected).
    pub errors: Signal<Out, Bits<32>>,
    /// Every expected word has arrived, and its check is counted in `errors`.
    pub complete: Signal<Out, Bit>,
    seq: BistSequence,
    gen: ParityGen,
    n_words: DFF<Bits<32>>,
    n_errors: DFF<Bits<32>>,
    /// The word taken last cycle was wrong, or the drain found one still expected: the error
    /// count steps a cycle after the compare, and `complete` waits for it.
    wrong_q: DFF<Bit>,
    missing_q: DFF<Bit>,
    top: Constant<Bits<32>>,
    /// A build without the BIST: the checker never counts (its counts stay 0) and synthesis
    /// removes it.
    left_out: Constant<Bit>,
}

impl BistChecker {
    /// A checker whose counts (and frame count) are `width` bits wide.
    pub fn new(width: u8) -> Self {
        Self {
            clock: Default::default(),
            start: Default::default(),
            seed: Default::default(),
            len: Default::default(),
            frames: Default::default(),
            enable: Default::default(),
            drain: Default::default(),
            take: Default::default(),
            data: Default::default(),
            par: Default::default(),
            last: Default::default(),
            abort: Default::default(),
            words: Default::default(),
            errors: Default::default(),
            complete: Default::default(),
            seq: BistSequence::new(width),
            gen: Default::default(),
            n_words: Default::default(),
            n_errors: Default::default(),
            wrong_q: Default::default(),
            missing_q: Default::default(),
            top: count_top(width),
            left_out: Constant::new(false),
        }
    }

    /// The checker of a core built with `params`: left out when `params.bist` is false.
    pub fn for_build(params: &ftio_proto::BuildParams) -> Self {
        Self { left_out: Constant::new(!params.bist), ..Self::new(params.counter_width) }
    }
}

impl Default for BistChecker {
    fn default() -> Self {
        Self::new(32)
    }
}

impl Logic for BistChecker {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, seq);
        dff_setup!(self, clock, n_words, n_errors, wrong_q, missing_q);
        // Every value the counts take is masked with `top`, the holding one too.
        self.n_words.d.next = self.n_words.q.val() & self.top.val();
        self.n_errors.d.next = self.n_errors.q.val() & self.top.val();
        self.seq.start.next = self.start.val();
        self.seq.seed.next = self.seed.val();
        self.seq.len.next = self.len.val();
        self.seq.frames.next = self.frames.val();
        self.gen.data.next = self.data.val();
        self.seq.advance.next = ((self.enable.val() & self.take.val()) | self.drain.val()) & !self.left_out.val();
        self.missing_q.d.next = self.drain.val() & self.seq.more.val() & !self.left_out.val();
        self.wrong_q.d.next = false;
        if self.enable.val() & self.take.val() & !self.drain.val() & !self.left_out.val() {
            if self.n_words.q.val() != self.top.val() {
                self.n_words.d.next = (self.n_words.q.val() + 1) & self.top.val();
            }
            self.wrong_q.d.next = !self.seq.more.val()
                | (self.data.val() != self.seq.data.val())
                | (self.last.val() != self.seq.last.val())
                | self.abort.val()
                | (self.par.val() != self.gen.par.val());
        }
        if (self.wrong_q.q.val() | self.missing_q.q.val()) & (self.n_errors.q.val() != self.top.val()) {
            self.n_errors.d.next = (self.n_errors.q.val() + 1) & self.top.val();
        }
        if self.start.val() {
            self.n_words.d.next = 0.into();
            self.n_errors.d.next = 0.into();
            self.wrong_q.d.next = false;
            self.missing_q.d.next = false;
        }
        self.words.next = self.n_words.q.val();
        self.errors.next = self.n_errors.q.val();
        self.complete.next = !self.seq.more.val() & !self.wrong_q.q.val() & !self.missing_q.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};

    #[test]
    fn bist_blocks_synthesize() {
        let mut g = BistGenerator::default();
        g.connect_all();
        yosys_validate("ftio_bist_gen", &generate_verilog(&g)).unwrap();
        let mut c = BistChecker::default();
        c.connect_all();
        yosys_validate("ftio_bist_check", &generate_verilog(&c)).unwrap();
    }

    /// Generator straight into checker through a random-stall path: all words, no errors;
    /// one corrupted word: exactly one error.
    #[test]
    fn generator_into_checker_passes_and_a_bad_word_fails() {
        for corrupt in [None, Some(17usize)] {
            let mut g = BistGenerator::default();
            g.connect_all();
            let mut c = BistChecker::default();
            c.connect_all();
            let (frames, len, seed) = (6u64, 5u64, 0x1234u64);
            for b in [&mut g.frames, &mut c.frames] {
                b.next = frames.into();
            }
            for b in [&mut g.len, &mut c.len] {
                b.next = len.into();
            }
            g.seed.next = seed.into();
            c.seed.next = seed.into();
            g.delay.next = 3u64.into();
            c.enable.next = true;
            c.drain.next = false;
            let mut expect = seed as u32;
            let mut moved = 0usize;
            for t in 0..200 {
                g.start.next = t == 1;
                c.start.next = t == 1;
                let ready = t % 3 != 0;
                g.ready.next = ready;
                low(&mut g, |g| &mut g.clock);
                let take = g.valid.val() && ready;
                if take {
                    assert_eq!(g.data.val().to_u32(), expect);
                    assert_eq!(g.last.val(), moved % len as usize == len as usize - 1);
                    expect = lfsr_next(expect);
                }
                let mut data = g.data.val().to_u32();
                if take && corrupt == Some(moved) {
                    data ^= 4;
                }
                c.take.next = take;
                c.data.next = (data as u64).into();
                c.par.next = g.par.val();
                c.last.next = g.last.val();
                low(&mut c, |c| &mut c.clock);
                if take {
                    moved += 1;
                }
                edge(&mut g, |g| &mut g.clock);
                edge(&mut c, |c| &mut c.clock);
            }
            assert_eq!(moved, 30);
            assert!(!g.running.val());
            assert!(c.complete.val());
            assert_eq!(c.words.val().to_u32(), 30);
            assert_eq!(c.errors.val().to_u32(), u32::from(corrupt.is_some()));
        }
    }

    /// At counter width 4 the frame count keeps 4 bits (0x13 frames run 3) and the checker's
    /// counts stop at 15: twenty wrong words read 15 errors, not 4.
    #[test]
    fn counts_have_the_counter_width_and_stop_at_the_top() {
        let mut g = BistGenerator::new(4);
        g.connect_all();
        g.frames.next = 0x13u64.into();
        g.len.next = 2u64.into();
        g.seed.next = 5u64.into();
        g.delay.next = 0u64.into();
        g.ready.next = true;
        let mut words = 0;
        for t in 0..40 {
            g.start.next = t == 0;
            low(&mut g, |g| &mut g.clock);
            words += usize::from(g.valid.val());
            edge(&mut g, |g| &mut g.clock);
        }
        assert_eq!(words, 6, "3 frames of 2 words");
        let mut c = BistChecker::new(4);
        c.connect_all();
        c.frames.next = 0x1Fu64.into();
        c.len.next = 1u64.into();
        c.seed.next = 5u64.into();
        c.enable.next = true;
        c.drain.next = false;
        for t in 0..30 {
            c.start.next = t == 0;
            c.take.next = (1..=20).contains(&t);
            c.data.next = 0u64.into();
            low(&mut c, |c| &mut c.clock);
            edge(&mut c, |c| &mut c.clock);
        }
        assert_eq!(c.words.val().to_u32(), 15);
        assert_eq!(c.errors.val().to_u32(), 15);
    }

    /// Words that never arrive are counted when the run is drained; BIST_LEN 0 acts as 1.
    #[test]
    fn missing_words_count_as_errors_and_len_zero_is_one() {
        let mut c = BistChecker::default();
        c.connect_all();
        c.frames.next = 5u64.into();
        c.len.next = 0u64.into();
        c.seed.next = 9u64.into();
        c.enable.next = true;
        c.start.next = true;
        low(&mut c, |c| &mut c.clock);
        edge(&mut c, |c| &mut c.clock);
        c.start.next = false;
        // Two good words arrive, then the run is drained.
        let mut x = 9u32;
        for _ in 0..2 {
            c.take.next = true;
            c.data.next = (x as u64).into();
            c.par.next = (crate::link::byte_parity(x) as u64).into();
            c.last.next = true;
            low(&mut c, |c| &mut c.clock);
            edge(&mut c, |c| &mut c.clock);
            x = lfsr_next(x);
        }
        c.take.next = false;
        c.drain.next = true;
        for _ in 0..10 {
            low(&mut c, |c| &mut c.clock);
            edge(&mut c, |c| &mut c.clock);
        }
        assert_eq!(c.words.val().to_u32(), 2);
        assert_eq!(c.errors.val().to_u32(), 3, "three frames of one word never came");
        assert!(c.complete.val());
    }
}
