//! A first-word-fall-through FIFO of [`Word`]s in block RAM, with a bypass.
//!
//! A word written into an empty FIFO at cycle t is at the head at t+1, so a buffer costs one
//! cycle of latency, and with the head popped every cycle it moves one word per cycle in and
//! out. The memory is a synchronous-read RAM (it maps to SB_RAM40_4K / DP16KD); its read
//! address is aimed at the next head one cycle ahead, so there are no bubbles after stalls.
//! `in_ready` depends only on state (no combinational path from `out_pop`).
//!
//! Every word taken is written to the RAM, a bypassed one too, so the RAM also holds the
//! head's own word, at the address before the stored ones. A word written to the address the
//! RAM would be read at next (the only word it will hold for the head) cannot be read back in
//! the next cycle; the read is then aimed at the head's own word instead, and the forward
//! register `fwd_data` takes the new word xor the head's, so the read port, the RAM's word xor
//! `fwd_data` (zero while the RAM holds a word for the head and none was just forwarded),
//! shows the new word. The head's next value is then
//! one LUT4 a bit (the incoming word, or the RAM's bit xor the forward bit), and the forward
//! register's a LUT of its own (the incoming bit xor the head's) that packs with it: 2 iCE40
//! logic cells a bit, where a forward register that held the incoming word itself sat alone
//! in a cell (3 a bit; docs/boards.md, "The Alchitry Cu's core size"). The cost is that the
//! RAM must keep the head's word while it holds one for the head after it: AW >= 2.
//!
//! Capacity is 2^AW words in RAM plus the head register.
//!
//! Hardened build ([`StreamFifo::hardened`]): the control flops (`head_valid`, `stored`,
//! `full`, `count`, `rptr`, `wptr`) are checked by a [`ShadowCheck`] (a register holding a
//! code of their next value, see hdl/src/shadow.rs), and `internal_error` is high in any cycle
//! in which flops and shadow disagree — from the cycle an upset flips either. The words
//! themselves (head, RAM, forward register) are covered by the parity they carry
//! (`last`/`abort` by the check folded into it, see [`crate::lockstep::fold_check`]); an
//! upset of a forward bit flips that one bit of the word it forwards, and one of a head bit
//! while it is forwarded against that one bit of the forwarded word, which parity catches.
use crate::bram::Bram;
use crate::link::{Word, WORD_BITS};
use crate::shadow::ShadowCheck;
use rust_hdl::prelude::*;

/// The shadow code ([`crate::shadow`]), also under this path because the lockstep's and the
/// core's docs name it here.
pub use crate::shadow::shadow_code;

#[derive(LogicBlock)]
pub struct StreamFifo<const AW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: empties the FIFO.
    pub reset: Signal<In, Bit>,
    /// A word is offered.
    pub in_valid: Signal<In, Bit>,
    /// The offered word.
    pub in_data: Signal<In, Word>,
    /// The FIFO takes the offered word this cycle (it is not full).
    pub in_ready: Signal<Out, Bit>,
    /// A word is at the head.
    pub out_valid: Signal<Out, Bit>,
    /// The head word.
    pub out_data: Signal<Out, Word>,
    /// Remove the head word (ignored while `out_valid` is low).
    pub out_pop: Signal<In, Bit>,
    /// Words held, head included.
    pub fill: Signal<Out, Bits<16>>,
    /// Hardened build: a control flop and its shadow disagree (an upset inside the FIFO).
    /// Always low in the default build.
    pub internal_error: Signal<Out, Bit>,
    /// Hardened build: the part of `internal_error` that must stop a consumer in the same
    /// cycle: `head_valid` (packed first, so code bit 0: `!head_valid ^ stored`) or its
    /// shadow bit disagrees. `head_valid` is the one control flop that changes what the
    /// FIFO offers in the cycle it is upset (`out_valid` is its `q`); every other one changes
    /// the offered word or `out_valid` only through the head register, one edge later
    /// (`full` changes `in_ready` at once, but what that lets in is offered after an edge
    /// too). So a consumer may register the rest of
    /// `internal_error` and still stop before a word the upset spoils is offered (the disk
    /// buffers do: `DiskWrite`, hdl/src/fabric.rs). Always low in the default build.
    pub head_error: Signal<Out, Bit>,
    ram: Bram<WORD_BITS, AW>,
    head: DFF<Word>,
    head_valid: DFF<Bit>,
    count: DFF<Bits<16>>,
    rptr: DFF<Bits<AW>>,
    wptr: DFF<Bits<AW>>,
    /// Zero, but in the cycle after a word was written where the RAM is read next: that word
    /// xor the head's word, which the RAM is then read at (see `update`).
    fwd_data: DFF<Word>,
    /// `count != 0` and `count == 2^AW`, kept in flops and chosen from flop-only
    /// compares, so `out_pop` reaches the RAM address through a few gates and no compare.
    stored: DFF<Bit>,
    full: DFF<Bit>,
    /// Hardened build: the shadow of the control flops, packed into `ctl_now` (their `q`)
    /// and `ctl_next` (their `d`).
    shadow: ShadowCheck<64>,
    ctl_now: Signal<Local, Bits<64>>,
    ctl_next: Signal<Local, Bits<64>>,
    capacity_less_one: Constant<Bits<16>>,
    /// `count` and `fill` never pass 2^AW + 1: masking every value they take to AW + 1 bits
    /// leaves the flops and adders above constant, so synthesis drops them (and what the
    /// core builds on `fill`, MAX_SKEW, shrinks with them).
    count_mask: Constant<Bits<16>>,
    count_one: Signal<Local, Bit>,
    count_at_top: Signal<Local, Bit>,
    /// `rptr + 1` at the pointer's own width: compared inline, Verilog would widen the sum
    /// to 32 bits and never wrap it.
    rptr_inc: Signal<Local, Bits<AW>>,
    rptr_dec: Signal<Local, Bits<AW>>,
    push: Signal<Local, Bit>,
    /// A word taken now would be the only one the RAM holds for the head next cycle: the
    /// read port is aimed at the head's own word, and the word is forwarded.
    aim_head: Signal<Local, Bit>,
    head_free: Signal<Local, Bit>,
    bypass: Signal<Local, Bit>,
    refill: Signal<Local, Bit>,
    to_mem: Signal<Local, Bit>,
    mem_out: Signal<Local, Word>,
}

impl<const AW: usize> Default for StreamFifo<AW> {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl<const AW: usize> StreamFifo<AW> {
    /// The FIFO, with its control flops checked against shadows when `harden` is set.
    pub fn hardened(harden: bool) -> Self {
        assert!(AW >= 2 && AW <= 15, "the head's own word and the one after the next are two addresses apart");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            in_valid: Default::default(),
            in_data: Default::default(),
            in_ready: Default::default(),
            out_valid: Default::default(),
            out_data: Default::default(),
            out_pop: Default::default(),
            fill: Default::default(),
            ram: Default::default(),
            head: Default::default(),
            head_valid: Default::default(),
            count: Default::default(),
            rptr: Default::default(),
            wptr: Default::default(),
            fwd_data: Default::default(),
            stored: Default::default(),
            full: Default::default(),
            internal_error: Default::default(),
            head_error: Default::default(),
            shadow: ShadowCheck::hardened(harden),
            ctl_now: Default::default(),
            ctl_next: Default::default(),
            capacity_less_one: Constant::new(((1u64 << AW) - 1).to_bits()),
            count_mask: Constant::new(((2u64 << AW) - 1).to_bits()),
            count_one: Default::default(),
            count_at_top: Default::default(),
            rptr_inc: Default::default(),
            rptr_dec: Default::default(),
            push: Default::default(),
            aim_head: Default::default(),
            head_free: Default::default(),
            bypass: Default::default(),
            refill: Default::default(),
            to_mem: Default::default(),
            mem_out: Default::default(),
        }
    }
}

impl<const AW: usize> StreamFifo<AW> {
    /// Simulation-only fault hook (no hardware behind it): flips `xor` into the word held at
    /// the head, as a single-event upset inside the core would. Call between cycles. Used to
    /// prove that the egress parity re-check catches a fault inside the fabric.
    pub fn sim_corrupt_head(&mut self, xor: u64) {
        self.head.q.next = self.head.q.val() ^ xor;
    }
}

impl<const AW: usize> Logic for StreamFifo<AW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, head, head_valid, count, rptr, wptr, fwd_data, stored, full);
        clock!(self, clock, shadow);
        self.ram.write_clock.next = self.clock.val();
        self.ram.read_clock.next = self.clock.val();

        self.count_one.next = self.count.q.val() == 1;
        self.count_at_top.next = self.count.q.val() == self.capacity_less_one.val();
        self.rptr_inc.next = self.rptr.q.val() + 1;
        self.rptr_dec.next = self.rptr.q.val() - 1;

        self.in_ready.next = !self.full.q.val();
        self.push.next = self.in_valid.val() & !self.full.q.val();
        self.head_free.next = !self.head_valid.q.val() | self.out_pop.val();
        self.bypass.next = self.head_free.val() & !self.stored.q.val() & self.push.val();
        self.refill.next = self.head_free.val() & self.stored.q.val();
        self.to_mem.next = self.push.val() & !self.bypass.val();

        // The read port shows mem[rptr] (while the RAM holds a word for the head), the RAM's
        // word xor `fwd_data`, which is zero but in the cycle after a forward.
        self.mem_out.next = self.ram.read_data.val() ^ self.fwd_data.q.val();

        if self.bypass.val() {
            self.head.d.next = self.in_data.val();
            self.head_valid.d.next = true;
        } else if self.refill.val() {
            self.head.d.next = self.mem_out.val();
            self.head_valid.d.next = true;
        } else if self.head_free.val() {
            self.head_valid.d.next = false;
        }

        // Every word taken is written to the RAM at `wptr`, a bypassed one too, so the RAM
        // holds the head's own word one address before `rptr` (or at `rptr` while it holds no
        // word for the head: `rptr` then names the head's word, `wptr - 1`).
        self.ram.write_enable.next = self.push.val();
        self.ram.write_address.next = self.wptr.q.val();
        self.ram.write_data.next = self.in_data.val();
        if self.push.val() {
            self.wptr.d.next = self.wptr.q.val() + 1;
        }
        // `rptr` steps on when the head takes the word there (unless it was the last one and
        // nothing comes in: `rptr` then names the head's word) and, while the RAM holds no
        // word for the head, to each word taken (the bypassed head's, or the first stored).
        if self.stored.q.val() {
            if self.refill.val() & (!self.count_one.val() | self.push.val()) {
                self.rptr.d.next = self.rptr_inc.val();
            }
        } else if self.push.val() {
            self.rptr.d.next = self.wptr.q.val();
        }
        // A word written where the RAM is read next cannot be read back the next cycle (no
        // read-during-write): that happens when it is the only word the RAM will hold for the
        // head. The read port is then aimed at the head's own word, which the RAM holds
        // (`rptr - 1`, or `rptr` while no word is stored), and `fwd_data` takes the new word
        // xor the head's, so the read port shows the new word. Neither the read address nor
        // the forward register's select waits for `push` (only for the pop): without a push
        // the RAM then holds no word for the head next cycle, and the port is not read.
        if self.refill.val() {
            if self.count_one.val() {
                self.ram.read_address.next = self.rptr_dec.val();
            } else {
                self.ram.read_address.next = self.rptr_inc.val();
            }
        } else {
            self.ram.read_address.next = self.rptr.q.val();
        }
        if self.stored.q.val() {
            self.aim_head.next = self.refill.val() & self.count_one.val();
        } else {
            self.aim_head.next = !self.head_free.val();
        }
        self.fwd_data.d.next = 0.into();
        if self.aim_head.val() {
            self.fwd_data.d.next = self.in_data.val() ^ self.head.q.val();
        }

        if self.to_mem.val() & !self.refill.val() {
            self.count.d.next = (self.count.q.val() + 1) & self.count_mask.val();
            self.stored.d.next = true;
            self.full.d.next = self.count_at_top.val();
        } else if !self.to_mem.val() & self.refill.val() {
            self.count.d.next = (self.count.q.val() - 1) & self.count_mask.val();
            self.stored.d.next = !self.count_one.val();
            self.full.d.next = false;
        }

        if self.reset.val() {
            self.head_valid.d.next = false;
            self.count.d.next = 0.into();
            self.rptr.d.next = 0.into();
            self.wptr.d.next = 0.into();
            self.fwd_data.d.next = 0.into();
            self.stored.d.next = false;
            self.full.d.next = false;
        }

        // Hardened: the control flops side by side (`ctl_*`: head_valid, stored, full, a
        // zero, count, rptr, wptr), checked by their shadow.
        self.ctl_now.next = bit_cast::<64, 1>(self.head_valid.q.val().into())
            | (bit_cast::<64, 1>(self.stored.q.val().into()) << 1)
            | (bit_cast::<64, 1>(self.full.q.val().into()) << 2)
            | (bit_cast::<64, 16>(self.count.q.val()) << 4)
            | (bit_cast::<64, AW>(self.rptr.q.val()) << 20)
            | (bit_cast::<64, AW>(self.wptr.q.val()) << 35);
        self.ctl_next.next = bit_cast::<64, 1>(self.head_valid.d.val().into())
            | (bit_cast::<64, 1>(self.stored.d.val().into()) << 1)
            | (bit_cast::<64, 1>(self.full.d.val().into()) << 2)
            | (bit_cast::<64, 16>(self.count.d.val()) << 4)
            | (bit_cast::<64, AW>(self.rptr.d.val()) << 20)
            | (bit_cast::<64, AW>(self.wptr.d.val()) << 35);
        self.shadow.checked_q.next = self.ctl_now.val();
        self.shadow.checked_d.next = self.ctl_next.val();
        self.internal_error.next = self.shadow.bad.val();
        self.head_error.next = self.shadow.bad_bit0.val();
        self.out_valid.next = self.head_valid.q.val();
        self.out_data.next = self.head.q.val();
        self.fill.next = (self.count.q.val() + bit_cast::<16, 1>(self.head_valid.q.val().into())) & self.count_mask.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    fn fifo() -> StreamFifo<3> {
        let mut f = StreamFifo::<3>::default();
        f.connect_all();
        f
    }

    #[test]
    fn stream_fifo_synthesizes_into_block_ram() {
        let mut f = StreamFifo::<6>::default();
        f.connect_all();
        yosys_validate("ftio_stream_fifo", &generate_verilog(&f)).unwrap();
    }

    /// Random offers and pops at several rates: every word comes out once, in order; the
    /// FIFO holds exactly 2^AW + 1 words; and fill is exact.
    #[test]
    fn random_traffic_loses_nothing() {
        for (seed, p_in, p_out) in [(1, 0.9, 0.9), (2, 0.9, 0.3), (3, 0.3, 0.9), (4, 1.0, 1.0), (5, 0.5, 0.5)] {
            let mut f = fifo();
            let mut rng = StdRng::seed_from_u64(seed);
            let (mut next_in, mut next_out, mut offering) = (1u64, 1u64, false);
            let mut max_fill = 0;
            for _ in 0..3000 {
                if !offering && rng.gen_bool(p_in) {
                    offering = true;
                }
                f.in_valid.next = offering;
                f.in_data.next = next_in.into();
                let pop = rng.gen_bool(p_out);
                low(&mut f, |f| &mut f.clock);
                f.out_pop.next = pop;
                low(&mut f, |f| &mut f.clock);
                assert_eq!(f.fill.val().to_u64(), next_in - next_out - u64::from(false));
                max_fill = max_fill.max(f.fill.val().to_u64());
                if f.out_valid.val() && pop {
                    assert_eq!(f.out_data.val().to_u64(), next_out);
                    next_out += 1;
                }
                if offering && f.in_ready.val() {
                    next_in += 1;
                    offering = false;
                }
                edge(&mut f, |f| &mut f.clock);
            }
            assert!(next_out > 500, "seed {seed}: traffic moved ({next_out})");
            if p_out < 0.5 {
                assert_eq!(max_fill, 9, "capacity is 2^AW + 1");
            }
        }
    }

    /// Into an empty FIFO at t, out at t+1; back-to-back at one word per cycle, including
    /// right after a stall (no bubbles).
    #[test]
    fn latency_one_and_no_bubbles_after_a_stall() {
        let mut f = fifo();
        let mut seen = vec![];
        for t in 0..40u64 {
            f.in_valid.next = true;
            f.in_data.next = t.into();
            // Stall the output for cycles 10..13.
            f.out_pop.next = !(10..13).contains(&t);
            low(&mut f, |f| &mut f.clock);
            assert!(f.in_ready.val());
            if f.out_valid.val() && f.out_pop.val() {
                seen.push((t, f.out_data.val().to_u64()));
            }
            edge(&mut f, |f| &mut f.clock);
        }
        // Word t leaves at t+1 until the stall; afterwards three words queued and every
        // cycle still moves one.
        assert_eq!(seen[0], (1, 0));
        assert_eq!(&seen[..9], &(1..10).map(|t| (t, t - 1)).collect::<Vec<_>>()[..]);
        let after: Vec<u64> = seen.iter().filter(|(t, _)| *t >= 13).map(|(t, _)| *t).collect();
        assert_eq!(after, (13..40).collect::<Vec<_>>(), "one word every cycle after the stall");
        let data: Vec<u64> = seen.iter().map(|&(_, w)| w).collect();
        assert_eq!(data, (0..data.len() as u64).collect::<Vec<_>>());
    }

    /// Hardened: an upset of `head_valid` (what is offered this cycle) raises `head_error`
    /// and `internal_error` in that cycle; one of any other control flop `internal_error`
    /// only (the consumer that registers it is still in time: the flop reaches the head an
    /// edge later); the default build raises neither.
    #[test]
    fn a_flipped_head_valid_is_a_head_error_other_flops_internal_errors() {
        type Flip = fn(&mut StreamFifo<3>);
        let flips: [(&str, Flip, bool); 4] = [
            ("head_valid", |f| f.head_valid.q.next = !f.head_valid.q.val(), true),
            ("rptr", |f| f.rptr.q.next = f.rptr.q.val() ^ 1, false),
            ("count", |f| f.count.q.next = f.count.q.val() ^ 2, false),
            ("full", |f| f.full.q.next = !f.full.q.val(), false),
        ];
        for harden in [true, false] {
            for (name, flip, head) in flips {
                let mut f = StreamFifo::<3>::hardened(harden);
                f.connect_all();
                // Three words in, none popped: the head and two stored.
                for t in 0..4u64 {
                    f.in_valid.next = t < 3;
                    f.in_data.next = t.into();
                    f.out_pop.next = false;
                    low(&mut f, |f| &mut f.clock);
                    assert!(!f.internal_error.val() && !f.head_error.val(), "{name}, cycle {t}");
                    edge(&mut f, |f| &mut f.clock);
                }
                flip(&mut f);
                low(&mut f, |f| &mut f.clock);
                assert_eq!((f.internal_error.val(), f.head_error.val()), (harden, harden && head), "{name}, harden {harden}");
            }
        }
    }
}
