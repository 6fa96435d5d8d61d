//! Fault injection on one input link (SPEC §6), between the pins and the link checker.
//!
//! The link passes straight through (no added latency) until an injection is armed:
//! * flip data bit `bit` (kind 0) or parity bit `bit[1:0]` (kind 1) of the Nth word offered
//!   after arming (N = `count`, 0 = the next word). The word is corrupted for every cycle it
//!   is held, so the core sees one consistent bad word; the injection fires when it moves.
//! * hold silent (kind 2) for `count` cycles: the core sees an idle link (valid 0, correct
//!   `cpar`) and the source sees `ready` low, so nothing moves and nothing is lost.
//! `fired` pulses once; the register file then clears INJ_CTRL.arm.
//!
//! INJ_CTRL arms one link at a time, so the four injectors share one N counter
//! ([`InjectCount`]): it follows INJ_COUNT until a link is armed and then counts that link's
//! words or cycles. Four 32-bit counters were the largest part of the injectors.
//!
//! Whether the word on the link is held silent or gets the flip is decided a cycle ahead into
//! two flops (`silent_q`, `flip_q`), so a word's `valid` and `data` leaving the injector are
//! the pins' gated by one flop: the injector is at the head of the return path's forward
//! chain (docs/timing-history.md, "The return path's forward chain cut").
use rust_hdl::prelude::*;

/// The N counter the four injectors share: words (or cycles of silence) still to pass.
/// INJ_COUNT has the build's counter width: every value `left` takes is masked to it, so
/// synthesis drops the flops above.
#[derive(LogicBlock)]
pub struct InjectCount {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// No injector keeps its arming into the next cycle: follow `count`.
    pub load: Signal<In, Bit>,
    /// N (INJ_COUNT).
    pub count: Signal<In, Bits<32>>,
    /// The armed injector passes a word or a cycle of silence: count down.
    pub step: Signal<In, Bit>,
    /// Nothing left to pass (a flop: the test on the link's path is not a 32-bit compare).
    pub zero: Signal<Out, Bit>,
    /// One left: this step is the last.
    pub one: Signal<Out, Bit>,
    /// N (INJ_COUNT) is 0: what `zero` becomes when the counter loads (the injectors decide
    /// a cycle ahead whether the next word is theirs to drop or corrupt).
    pub count_zero: Signal<Out, Bit>,
    /// Counting down to 0 keeps the tests against INJ_COUNT constant compares, off the link's
    /// path.
    left: DFF<Bits<32>>,
    left_zero: DFF<Bit>,
    top: Constant<Bits<32>>,
}

impl InjectCount {
    /// A counter `width` bits wide (the core's counter width).
    pub fn new(width: u8) -> Self {
        Self {
            clock: Default::default(),
            load: Default::default(),
            count: Default::default(),
            step: Default::default(),
            zero: Default::default(),
            one: Default::default(),
            count_zero: Default::default(),
            left: Default::default(),
            left_zero: Default::default(),
            top: crate::event_counter::count_top(width),
        }
    }
}

impl Default for InjectCount {
    fn default() -> Self {
        Self::new(32)
    }
}

impl Logic for InjectCount {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, left, left_zero);
        self.left.d.next = self.left.q.val() & self.top.val();
        self.zero.next = self.left_zero.q.val();
        self.one.next = self.left.q.val() == 1;
        self.count_zero.next = (self.count.val() & self.top.val()) == 0;
        // `left_zero` follows `left` from the same choices, each decided on flops (`left == 1`
        // before a step, `count == 0` before arming), so link handshakes only pick among them.
        if self.load.val() {
            self.left.d.next = self.count.val() & self.top.val();
            self.left_zero.d.next = self.count_zero.val();
        } else if self.step.val() {
            self.left.d.next = (self.left.q.val() - 1) & self.top.val();
            self.left_zero.d.next = self.left.q.val() == 1;
        }
    }
}

#[derive(LogicBlock)]
pub struct Injector {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// An injection is armed on this link (level; drops after `fired`).
    pub arm: Signal<In, Bit>,
    /// 0 flip a data bit, 1 flip a parity bit, 2 hold silent.
    pub kind: Signal<In, Bits<2>>,
    /// Which bit.
    pub bit_sel: Signal<In, Bits<5>>,
    /// The shared N counter (see [`InjectCount`]) is at 0.
    pub left_zero: Signal<In, Bit>,
    /// It is at 1.
    pub left_one: Signal<In, Bit>,
    /// N (INJ_COUNT) is 0: the counter's `zero` after it loads.
    pub count_zero: Signal<In, Bit>,
    /// Count a word or a cycle of silence off N.
    pub step: Signal<Out, Bit>,
    /// This injector stays armed into the next cycle: the shared counter keeps its count
    /// (otherwise it reloads N, as every unarmed injector's count would).
    pub keep: Signal<Out, Bit>,
    /// Pulse: the injection happened.
    pub fired: Signal<Out, Bit>,
    /// From the pins: `valid`.
    pub pin_valid: Signal<In, Bit>,
    /// From the pins: `data`.
    pub pin_data: Signal<In, Bits<32>>,
    /// From the pins: `last`.
    pub pin_last: Signal<In, Bit>,
    /// From the pins: `abort`.
    pub pin_abort: Signal<In, Bit>,
    /// From the pins: `par`.
    pub pin_par: Signal<In, Bits<4>>,
    /// From the pins: `cpar`.
    pub pin_cpar: Signal<In, Bit>,
    /// To the pins: `ready`.
    pub pin_ready: Signal<Out, Bit>,
    /// To the pins: `rpar`.
    pub pin_rpar: Signal<Out, Bit>,
    /// To the core: `valid`.
    pub valid: Signal<Out, Bit>,
    /// To the core: `data`.
    pub data: Signal<Out, Bits<32>>,
    /// To the core: `last`.
    pub last: Signal<Out, Bit>,
    /// To the core: `abort`.
    pub abort: Signal<Out, Bit>,
    /// To the core: `par`.
    pub par: Signal<Out, Bits<4>>,
    /// To the link checker: the bytes whose parity check this cycle's flip inverts (one
    /// flipped data or parity bit inverts its byte's check), so the checker can check the
    /// pins' word and stay off the flip's path.
    pub par_flip: Signal<Out, Bits<4>>,
    /// To the core: `cpar`.
    pub cpar: Signal<Out, Bit>,
    /// From the core: `ready`.
    pub ready: Signal<In, Bit>,
    /// From the core: `rpar`.
    pub rpar: Signal<In, Bit>,
    /// `arm`, registered: the register file's INJ_CTRL stays off the link's path (arming
    /// takes effect a cycle later, which no host can tell).
    arm_q: DFF<Bit>,
    was_armed: DFF<Bit>,
    done: DFF<Bit>,
    skip_held: DFF<Bit>,
    was_valid: DFF<Bit>,
    /// The bit to flip in `data` (kind 0) or `par` (kind 1), decoded a cycle ahead.
    data_mask: DFF<Bits<32>>,
    par_mask: DFF<Bits<4>>,
    /// The byte of that bit, decoded with it.
    byte_mask: DFF<Bits<4>>,
    /// `kind` is 2 (silence), registered with the arm bit (`arm_q`), so the link's path
    /// starts from a flop rather than a compare of INJ_CTRL.
    kind_silence: DFF<Bit>,
    /// Whether the word on the link is held silent (`silent`), and whether it gets the flip
    /// if it is valid (`flip_if_valid`), decided a cycle ahead from the arming's next state:
    /// the word the core sees is the pins' gated by one flop, not by the arming logic.
    silent_q: DFF<Bit>,
    flip_q: DFF<Bit>,
    /// A production build leaves fault injection out (BuildParams::injection false): the
    /// arming is never seen, so the link passes straight through and synthesis removes the
    /// rest of the block (the default, false, builds it).
    left_out: Constant<Bit>,
    fresh: Signal<Local, Bit>,
    /// The word on the link gets the flip if it is valid: computed without `valid`, which
    /// comes late from the source and does not matter when low (an invalid word is ignored).
    flip_if_valid: Signal<Local, Bit>,
    /// The word on the link is a held one, if it is valid.
    held_if_valid: Signal<Local, Bit>,
    held_now: Signal<Local, Bit>,
    active: Signal<Local, Bit>,
    silent: Signal<Local, Bit>,
    flip_now: Signal<Local, Bit>,
    /// Next cycle's arming, counter at 0, and held word (for `silent_q`, `flip_q`).
    arm_next: Signal<Local, Bit>,
    zero_next: Signal<Local, Bit>,
    held_next: Signal<Local, Bit>,
    active_next: Signal<Local, Bit>,
}

impl Injector {
    /// An injector, or (`built` false) one left out of the build.
    pub fn new(built: bool) -> Self {
        Self {
            clock: Default::default(),
            arm: Default::default(),
            kind: Default::default(),
            bit_sel: Default::default(),
            left_zero: Default::default(),
            left_one: Default::default(),
            count_zero: Default::default(),
            step: Default::default(),
            keep: Default::default(),
            fired: Default::default(),
            pin_valid: Default::default(),
            pin_data: Default::default(),
            pin_last: Default::default(),
            pin_abort: Default::default(),
            pin_par: Default::default(),
            pin_cpar: Default::default(),
            pin_ready: Default::default(),
            pin_rpar: Default::default(),
            valid: Default::default(),
            data: Default::default(),
            last: Default::default(),
            abort: Default::default(),
            par: Default::default(),
            par_flip: Default::default(),
            cpar: Default::default(),
            ready: Default::default(),
            rpar: Default::default(),
            arm_q: Default::default(),
            was_armed: Default::default(),
            done: Default::default(),
            skip_held: Default::default(),
            was_valid: Default::default(),
            data_mask: Default::default(),
            par_mask: Default::default(),
            byte_mask: Default::default(),
            kind_silence: Default::default(),
            silent_q: Default::default(),
            flip_q: Default::default(),
            left_out: Constant::new(!built),
            fresh: Default::default(),
            flip_if_valid: Default::default(),
            held_if_valid: Default::default(),
            held_now: Default::default(),
            active: Default::default(),
            silent: Default::default(),
            flip_now: Default::default(),
            arm_next: Default::default(),
            zero_next: Default::default(),
            held_next: Default::default(),
            active_next: Default::default(),
        }
    }

    /// The injector of a core built with `params`: left out when `params.injection` is false.
    pub fn for_build(params: &ftio_proto::BuildParams) -> Self {
        Self::new(params.injection)
    }
}

impl Default for Injector {
    fn default() -> Self {
        Self::new(true)
    }
}

impl Logic for Injector {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, arm_q, was_armed, done, skip_held, was_valid, data_mask, par_mask, byte_mask, kind_silence, silent_q, flip_q);
        self.kind_silence.d.next = self.kind.val() == 2;
        self.data_mask.d.next = 0.into();
        self.par_mask.d.next = 0.into();
        self.byte_mask.d.next = 0.into();
        if self.kind.val() == 0 {
            self.data_mask.d.next = bit_cast::<32, 1>(true.into()) << bit_cast::<32, 5>(self.bit_sel.val());
            self.byte_mask.d.next = bit_cast::<4, 1>(true.into()) << bit_cast::<4, 2>(self.bit_sel.val().get_bits::<2>(3));
        }
        if self.kind.val() == 1 {
            self.par_mask.d.next = bit_cast::<4, 1>(true.into()) << bit_cast::<4, 2>(self.bit_sel.val().get_bits::<2>(0));
            self.byte_mask.d.next = bit_cast::<4, 1>(true.into()) << bit_cast::<4, 2>(self.bit_sel.val().get_bits::<2>(0));
        }
        self.arm_q.d.next = self.arm.val() & !self.left_out.val();
        self.was_armed.d.next = self.arm_q.q.val();
        self.fresh.next = self.arm_q.q.val() & !self.was_armed.q.val();
        // Counting starts in the cycle the arming is first seen: N = 0 is the first word
        // offered from then on. Until then the counter follows INJ_COUNT (written at least a
        // cycle before the arm bit: the register file takes one register a cycle), so it
        // holds N when the arming is seen. A word already held when arming happens is not
        // counted and passes unchanged, so the core never sees a held word change.
        self.keep.next = self.arm.val() & self.arm_q.q.val();
        self.step.next = false;
        if !self.arm_q.q.val() {
            self.done.d.next = false;
        }
        // Held = a word offered before the arming (fresh: offered last cycle too) or one
        // skipped since; the fresh test needs `valid` now, which `held_if_valid` leaves out.
        if self.fresh.val() {
            self.held_if_valid.next = self.was_valid.q.val();
        } else {
            self.held_if_valid.next = self.skip_held.q.val();
        }
        self.held_now.next = self.held_if_valid.val() & (self.pin_valid.val() | !self.fresh.val());
        self.was_valid.d.next = self.pin_valid.val() & !self.ready.val();
        self.active.next = self.arm_q.q.val() & !self.done.q.val();
        // silent = active & kind_silence & !left_zero, flip_if_valid = active & !kind_silence
        // & !held_if_valid & left_zero: both registered, computed below a cycle ahead.
        self.silent.next = self.silent_q.q.val();
        self.flip_if_valid.next = self.flip_q.q.val();
        self.flip_now.next = self.flip_if_valid.val() & self.pin_valid.val();
        self.skip_held.d.next = self.held_now.val() & !(self.pin_valid.val() & self.ready.val());

        self.valid.next = self.pin_valid.val();
        self.data.next = self.pin_data.val();
        self.last.next = self.pin_last.val();
        self.abort.next = self.pin_abort.val();
        self.par.next = self.pin_par.val();
        self.cpar.next = self.pin_cpar.val();
        self.pin_ready.next = self.ready.val();
        self.pin_rpar.next = self.rpar.val();
        self.fired.next = false;
        self.par_flip.next = 0.into();
        if self.flip_if_valid.val() {
            self.data.next = self.pin_data.val() ^ self.data_mask.q.val();
            self.par.next = self.pin_par.val() ^ self.par_mask.q.val();
            self.par_flip.next = self.byte_mask.q.val();
        }

        if self.silent.val() {
            self.valid.next = false;
            self.last.next = false;
            self.abort.next = false;
            self.cpar.next = true;
            self.pin_ready.next = false;
            self.pin_rpar.next = true;
            self.step.next = true;
            if self.left_one.val() {
                self.fired.next = true;
                self.done.d.next = true;
            }
        } else if self.active.val() & self.kind_silence.q.val() {
            // Silence of zero cycles: fire at once.
            self.fired.next = true;
            self.done.d.next = true;
        } else if self.active.val() {
            if self.pin_valid.val() & self.ready.val() & !self.held_now.val() {
                self.step.next = true;
                if self.flip_now.val() {
                    self.fired.next = true;
                    self.done.d.next = true;
                }
            }
        }

        // Next cycle's `silent` and `flip_if_valid`, from the next values of the flops they
        // are defined on (read after their last assignment above). The counter: INJ_CTRL
        // names one link, so only this injector can keep or step it while armed here; if it
        // does not keep it, the counter loads N (no other injector is armed next cycle).
        self.arm_next.next = self.arm_q.d.val();
        self.zero_next.next = self.count_zero.val();
        if self.keep.val() {
            self.zero_next.next = self.left_zero.val();
            if self.step.val() {
                self.zero_next.next = self.left_one.val();
            }
        }
        self.held_next.next = self.skip_held.d.val();
        if self.arm_next.val() & !self.arm_q.q.val() {
            self.held_next.next = self.was_valid.d.val();
        }
        self.active_next.next = self.arm_next.val() & !self.done.d.val();
        self.silent_q.d.next = self.active_next.val() & self.kind_silence.d.val() & !self.zero_next.val();
        self.flip_q.d.next =
            self.active_next.val() & !self.kind_silence.d.val() & !self.held_next.val() & self.zero_next.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::byte_parity;
    use crate::testbench::{edge, low};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    /// `arm` rises at this cycle; the injector sees it (registered) a cycle later.
    const ARMED_AT: usize = 5;
    const SEEN_AT: usize = ARMED_AT + 1;

    /// The counter's outputs are flops (and a compare of one): settle it, then the injector,
    /// then the counter again with the injector's step.
    fn settle(inj: &mut Injector, n: &mut InjectCount) {
        low(n, |n| &mut n.clock);
        inj.left_zero.next = n.zero.val();
        inj.left_one.next = n.one.val();
        inj.count_zero.next = n.count_zero.val();
        low(inj, |i| &mut i.clock);
        n.load.next = !inj.keep.val();
        n.step.next = inj.step.val();
        low(n, |n| &mut n.clock);
    }

    /// Runs a source of words 0.. through the injector with random ready; returns what the
    /// core side took (data, par), the cycles the source saw ready low while the core never
    /// did, and when `fired` pulsed.
    fn run(kind: u64, bit: u64, count: u64, seed: u64) -> (Vec<(u32, u8)>, usize, Vec<usize>, usize) {
        let mut inj = Injector::default();
        inj.connect_all();
        let mut n = InjectCount::default();
        n.connect_all();
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut next, mut offering) = (0u32, false);
        let (mut took, mut silenced, mut fired) = (vec![], 0, vec![]);
        let mut first_after_arming = None;
        let mut was_offering = false;
        let mut held_word: Option<(bool, u32, u8)> = None;
        for t in 0..300 {
            inj.arm.next = t >= ARMED_AT && fired.is_empty();
            inj.kind.next = kind.into();
            inj.bit_sel.next = bit.into();
            n.count.next = count.into();
            if !offering && rng.gen_bool(0.8) {
                offering = true;
            }
            // The first word whose offer begins at or after the cycle the arming is seen.
            if t >= SEEN_AT && first_after_arming.is_none() && offering && !(was_offering && t == SEEN_AT) {
                first_after_arming = Some(next as usize);
            }
            let ready = rng.gen_bool(0.7);
            inj.pin_valid.next = offering;
            inj.pin_data.next = (next as u64).into();
            inj.pin_par.next = (byte_parity(next) as u64).into();
            inj.pin_cpar.next = !offering;
            inj.ready.next = ready;
            inj.rpar.next = !ready;
            settle(&mut inj, &mut n);
            assert_eq!(inj.cpar.val(), !inj.valid.val(), "cpar stays correct");
            assert_eq!(inj.pin_rpar.val(), !inj.pin_ready.val());
            if inj.valid.val() {
                // `par_flip` names exactly the bytes whose parity the word offered differs in.
                let (d, p) = (inj.data.val().to_u32(), inj.par.val().to_u8());
                assert_eq!(inj.par_flip.val().to_u8(), byte_parity(d) ^ p, "par_flip at cycle {t}");
            }
            if inj.valid.val() && ready {
                took.push((inj.data.val().to_u32(), inj.par.val().to_u8()));
            }
            if ready && !inj.pin_ready.val() {
                silenced += 1;
            }
            if inj.fired.val() {
                fired.push(t);
            }
            // SPEC §2 at the core side: a held word does not change, injection or not.
            let core_word = (inj.valid.val(), inj.data.val().to_u32(), inj.par.val().to_u8());
            if let Some(held) = held_word {
                if inj.valid.val() {
                    assert_eq!(core_word, held, "a held word changed at cycle {t}");
                }
            }
            held_word = (inj.valid.val() && !ready).then_some(core_word);
            was_offering = offering && !inj.pin_ready.val();
            if offering && inj.pin_ready.val() {
                next += 1;
                offering = false;
            }
            edge(&mut inj, |i| &mut i.clock);
            edge(&mut n, |n| &mut n.clock);
        }
        (took, silenced, fired, first_after_arming.unwrap())
    }

    /// `silent_q` and `flip_q`, decided a cycle ahead, equal in every cycle what they stand
    /// for on the current flops (`silent` = active & kind 2 & N not 0, `flip_if_valid` =
    /// active & kind 0/1 & not a held word & N at 0), under random arming, disarming, kind,
    /// N, `valid` and `ready` — INJ_CTRL rewritten while armed included.
    #[test]
    fn the_registered_decisions_match_their_definitions() {
        let mut inj = Injector::default();
        inj.connect_all();
        let mut n = InjectCount::new(4);
        n.connect_all();
        let mut rng = StdRng::seed_from_u64(26);
        let (mut silent_seen, mut flip_seen) = (0, 0);
        let mut arm = false;
        for t in 0..20_000 {
            if rng.gen_bool(if arm { 0.05 } else { 0.1 }) {
                arm = !arm;
            }
            inj.arm.next = arm;
            if rng.gen_bool(0.05) {
                inj.kind.next = rng.gen_range(0..3u64).into();
                inj.bit_sel.next = rng.gen_range(0..32u64).into();
            }
            if rng.gen_bool(0.05) {
                n.count.next = rng.gen_range(0..20u64).into();
            }
            inj.pin_valid.next = rng.gen_bool(0.6);
            inj.pin_data.next = rng.gen_range(0..1u64 << 32).into();
            inj.ready.next = rng.gen_bool(0.6);
            settle(&mut inj, &mut n);
            let active = inj.arm_q.q.val() & !inj.done.q.val();
            let k = inj.kind_silence.q.val();
            let z = n.zero.val();
            let held = if inj.arm_q.q.val() & !inj.was_armed.q.val() { inj.was_valid.q.val() } else { inj.skip_held.q.val() };
            assert_eq!(inj.silent.val(), active & k & !z, "silent at cycle {t}");
            assert_eq!(inj.flip_if_valid.val(), active & !k & !held & z, "flip_if_valid at cycle {t}");
            silent_seen += inj.silent.val() as usize;
            flip_seen += inj.flip_if_valid.val() as usize;
            edge(&mut inj, |i| &mut i.clock);
            edge(&mut n, |n| &mut n.clock);
        }
        assert!(silent_seen > 100 && flip_seen > 100, "both decisions exercised: {silent_seen} {flip_seen}");
    }

    #[test]
    fn injector_synthesizes() {
        let mut inj = Injector::default();
        inj.connect_all();
        yosys_validate("ftio_injector", &generate_verilog(&inj)).unwrap();
        let mut n = InjectCount::default();
        n.connect_all();
        yosys_validate("ftio_inject_count", &generate_verilog(&n)).unwrap();
    }

    #[test]
    fn flips_exactly_the_nth_word_once() {
        for (kind, bit, n) in [(0u64, 0u64, 0u64), (0, 31, 7), (1, 2, 3), (0, 13, 20)] {
            let (took, _, fired, first_after_arming) = run(kind, bit, n, n + 1);
            assert_eq!(fired.len(), 1, "fires once");
            // Words before the arming is seen pass clean; count from the first word offered
            // from then on.
            let flipped: Vec<usize> = took
                .iter()
                .enumerate()
                .filter(|(i, &(d, p))| d != *i as u32 || p != byte_parity(*i as u32))
                .map(|(i, _)| i)
                .collect();
            assert_eq!(flipped.len(), 1, "exactly one word corrupted");
            assert_eq!(flipped[0], first_after_arming + n as usize, "the Nth word offered after arming");
            let (d, p) = took[flipped[0]];
            if kind == 0 {
                assert_eq!(d ^ flipped[0] as u32, 1 << bit);
            } else {
                assert_eq!(p ^ byte_parity(flipped[0] as u32), 1 << bit);
            }
        }
    }

    #[test]
    fn silence_holds_exactly_n_cycles_and_loses_nothing() {
        for n in [0u64, 1, 7, 25] {
            let (took, silenced, fired, _) = run(2, 0, n, 3);
            assert_eq!(fired.len(), 1);
            assert!(silenced <= n as usize);
            for (i, &(d, _)) in took.iter().enumerate() {
                assert_eq!(d as usize, i, "nothing lost");
            }
            // Arming seen at cycle 6: silent for cycles 6 .. 6+N-1, fires on the last of them
            // (or at once for N = 0).
            assert_eq!(fired[0], SEEN_AT + (n as usize).saturating_sub(1), "N = {n}");
        }
    }
}
