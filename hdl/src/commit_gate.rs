//! The commit gate (SPEC §4 "Commit"): sits on the committed stream between the
//! [`Lockstep`](crate::lockstep::Lockstep) and the [`Fabric`](crate::fabric::Fabric).
//!
//! * **Cut-through** (`saf` low): a zero-latency pass-through. `tx.valid`/`tx.data` are
//!   `rx.valid`/`rx.data` and `rx.ready` is `tx.ready`, combinationally, so the cut-through
//!   latency of the core is unchanged.
//! * **Store-and-forward** (`saf` high): every word goes into a circular buffer of 2^FW
//!   (FW = `BuildParams::frame_depth_log2`)
//!   words in block RAM. A frame becomes visible to the output only once its `last` word
//!   (without `abort`) has been written; several complete frames may queue. A frame ended by
//!   a `last & abort` word (the Lockstep's containment word after a mismatch or a halt, or a
//!   frame the CPUs themselves void) is discarded whole: the write pointer goes back to the
//!   frame's start and nothing of it ever reaches the output. The output is a register
//!   holding the head word (mem[rptr]); the RAM's read port is aimed at the word after it,
//!   so taking the head loads the next one from the read port (a first-word-fall-through
//!   FIFO with a registered RAM output: the read port drives one LUT a bit into a flop,
//!   nothing else). A word written to the head's address goes straight into the head
//!   register; one written to the address to be read next is forwarded (the RAM is read at
//!   the head's own address instead, and a forwarding register holds the new word xor the
//!   head: the read port is the RAM's word xor that register, as in the stream FIFO), so
//!   released frames leave at one word per cycle and a frame's first word is in the head
//!   register when its `last` is written, however short the frame.
//!
//! Latency of store-and-forward: the `last` word taken on the input at cycle t is written
//! at the end of t; the frame's first word is offered on the output at t+1. Through the
//! whole core (docs/architecture.md, "cut-through latency" and "store-and-forward latency")
//! the frame whose `last` pair's later word is taken at T has its first word on both disk
//! links at T+4, against T+3 for each pair in cut-through (test
//! `saf_releases_the_frame_the_cycle_after_its_last_word` here,
//! `store_and_forward_latency_is_four_cycles` in `hdl/tests/core.rs`).
//!
//! Frame length: the longest frame that can be held is exactly 2^FW words (`last` word
//! included), because the buffer first drains the frames ahead of it. When the word
//! number 2^FW + 1 of a frame is taken without being an abort, `frame_too_long` pulses for
//! that cycle, everything of the frame written so far is discarded, and the rest of the
//! frame up to and including its `last` word is taken and dropped (the upstream is never
//! stalled by an oversize frame). The next frame goes through normally. Nothing of an
//! oversize frame is sent: no truncated frame reaches a disk.
//!
//! The buffer's depth is a run-time build parameter (`CommitGate::new(fw)`, from
//! `BuildParams::frame_depth_log2`, 2^4 to 2^12 words), not a const generic: the core's
//! Verilog generator already instantiates the whole core once per (skew depth, offset
//! range) pair, and a third type parameter would multiply that (and the crate's compile
//! time) by the number of depths. Its [`Bram`] is built with the run-time depth, so the Verilog
//! array is sized from it; the gate's pointers are 12 bits wide and masked to the depth.
//!
//! Switching `saf` is honoured only between frames on the input (no word of a frame taken
//! yet, or its `last` taken). To store-and-forward: at such a boundary the gate takes
//! nothing for one cycle and changes mode; if the word offered at the boundary was offered
//! the cycle before and not taken (the fabric stalled), the switch waits until it is taken
//! (it passes cut-through) and the next boundary, because SPEC §2 forbids withdrawing an
//! offered word before it is taken. To cut-through: at the boundary the gate stops
//! taking words until every held frame has left, then changes mode and passes through; so
//! frames never overtake one another and none is split between the two modes.
use crate::bram::Bram;
use crate::link::{StreamRx, StreamTx, Word, WORD_BITS};
use rust_hdl::prelude::*;

/// Address width of the frame buffer's pointers: depths up to 2^12 words.
pub const FRAME_ADDR_BITS: usize = 12;
/// Frame buffer depths (log2) the gate can be built with.
pub const FRAME_DEPTHS_LOG2: std::ops::RangeInclusive<u8> = ftio_proto::BuildParams::FRAME_DEPTH_LOG2;

crate::one_way_bundle! {
    /// What the [`CommitGate`] reports each cycle: its kind now and, in store-and-forward, the
    /// words and frames that leave it and the frames it drops. The counters take it
    /// ([`GateEventsIn`]); the fault causes read `frame_too_long`.
    GateEvents "GateEvents" => GateEventsIn "GateEventsIn" {
        /// The gate is in store-and-forward now.
        saf_active: Bit,
        /// Pulse (store-and-forward): a word left toward the disks.
        word_out: Bit,
        /// Pulse (store-and-forward): the `last` word of a frame left toward the disks.
        frame_out: Bit,
        /// Pulse (store-and-forward): a frame was discarded because it ended with
        /// `last & abort`, or because it was too long.
        frame_dropped: Bit,
        /// Pulse (store-and-forward): a frame longer than 2^fw words was discarded.
        frame_too_long: Bit,
    }
}

/// The commit gate; its frame buffer holds 2^fw words (`new(fw)`).
#[derive(LogicBlock)]
pub struct CommitGate {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: empties the buffer, cut-through.
    pub reset: Signal<In, Bit>,
    /// Store-and-forward requested (CTRL.commit); honoured between frames.
    pub saf: Signal<In, Bit>,
    /// The committed stream, from the lockstep.
    pub rx: StreamRx,
    /// The stream to the fabric (the disks).
    pub tx: StreamTx,
    /// What it reports each cycle: to the counters (and FRAME_TOO_LONG to the fault causes).
    pub events: GateEvents,
    /// Words held (written and not yet left), for observation.
    pub fill: Signal<Out, Bits<16>>,
    /// The stream to the fabric is between frames after this cycle (a readmitted disk joins
    /// only there).
    pub boundary: Signal<Out, Bit>,
    ram: Bram<WORD_BITS, FRAME_ADDR_BITS>,
    saf_q: DFF<Bit>,
    in_frame: DFF<Bit>,
    /// The stream to the fabric is inside a frame.
    tx_in_frame: DFF<Bit>,
    dropping: DFF<Bit>,
    /// Cut-through offered a word last cycle that was not taken: SPEC §2 holds the gate to
    /// offering it again, so a change to store-and-forward waits (it would withdraw it).
    ct_offer_held: DFF<Bit>,
    wptr: DFF<Bits<FRAME_ADDR_BITS>>,
    fstart: DFF<Bits<FRAME_ADDR_BITS>>,
    rptr: DFF<Bits<FRAME_ADDR_BITS>>,
    avail: DFF<Bits<16>>,
    partial: DFF<Bits<16>>,
    /// The head word (mem[rptr]): the output register, the only thing the RAM's read port
    /// feeds besides its own forwarding select.
    head: DFF<Word>,
    /// Zero, but in the cycle after the word after the head (mem[rptr + 1]) was written at
    /// the last edge: that word xor the head's, the RAM having been read at the head's own
    /// address (mem[rptr]) instead, so the read port (the RAM's word xor this) shows it.
    fwd_data: DFF<Word>,
    capacity: Constant<Bits<16>>,
    mask: Constant<Bits<FRAME_ADDR_BITS>>,
    /// `avail`, `partial` and `occupied` never pass 2^fw: every value they take is masked to
    /// fw + 1 bits, so synthesis drops the flops and adder bits above.
    count_mask: Constant<Bits<16>>,
    /// `avail + partial`, kept in a flop (summed from their next values) so `rx.ready` does
    /// not wait for a 16-bit adder.
    occupied: DFF<Bits<16>>,
    /// `partial == capacity`, kept in a flop (compared from `partial`'s next value) so
    /// `rx.ready` does not wait for a 16-bit compare.
    frame_full: DFF<Bit>,
    /// `occupied == capacity`, kept in a flop for the same reason.
    full: DFF<Bit>,
    capacity_less_one: Constant<Bits<16>>,
    /// Flop-only compares the strobes select from (the next `full`, `frame_full` and
    /// forwarding flag), so no 16-bit compare sits behind `rx.ready` or `tx.ready`.
    occ_at_top: Signal<Local, Bit>,
    occ_full: Signal<Local, Bit>,
    avail_full: Signal<Local, Bit>,
    partial_at_top: Signal<Local, Bit>,
    wptr_at_rptr: Signal<Local, Bit>,
    wptr_at_rptr_next: Signal<Local, Bit>,
    wptr_at_rptr_inc2: Signal<Local, Bit>,
    /// The read pointer's successor, masked to the depth: the pop's step and the
    /// forwarding compare share it.
    rptr_inc: Signal<Local, Bits<FRAME_ADDR_BITS>>,
    /// The word after that: where the RAM reads when the head is taken.
    rptr_inc2: Signal<Local, Bits<FRAME_ADDR_BITS>>,
    in_last: Signal<Local, Bit>,
    in_abort: Signal<Local, Bit>,
    switching: Signal<Local, Bit>,
    in_move: Signal<Local, Bit>,
    pop: Signal<Local, Bit>,
    wr: Signal<Local, Bit>,
    wr_ok: Signal<Local, Bit>,
    commit: Signal<Local, Bit>,
    discard: Signal<Local, Bit>,
    rptr_next: Signal<Local, Bits<FRAME_ADDR_BITS>>,
    /// The word written this cycle goes to the head's address after this edge.
    head_fwd: Signal<Local, Bit>,
    /// A word written now would be the one after the next head: the RAM is read at the head
    /// and the word forwarded.
    fwd: Signal<Local, Bit>,
    /// What the RAM's read port shows: its word xor `fwd_data`.
    mem_out: Signal<Local, Word>,
}

impl CommitGate {
    /// A gate whose store-and-forward buffer holds 2^fw words (fw 4 to 12).
    pub fn new(fw: usize) -> Self {
        assert!(FRAME_DEPTHS_LOG2.contains(&(fw as u8)), "frame buffer depth 2^{fw}");
        Self::with_buffer(fw)
    }

    /// The same gate with a buffer below the generator's range (2^1 to 2^3 words), for
    /// the formal proofs (`ftio prove`): the logic is the one `new` builds, the depth a
    /// run-time mask, so a small buffer lets a bounded proof fill, wrap and overflow it.
    pub fn for_proof(fw: usize) -> Self {
        assert!((1..=12).contains(&fw), "frame buffer depth 2^{fw}");
        Self::with_buffer(fw)
    }

    fn with_buffer(fw: usize) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            saf: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            events: Default::default(),
            fill: Default::default(),
            boundary: Default::default(),
            ram: Bram::with_depth(fw),
            saf_q: Default::default(),
            in_frame: Default::default(),
            tx_in_frame: Default::default(),
            dropping: Default::default(),
            ct_offer_held: Default::default(),
            wptr: Default::default(),
            fstart: Default::default(),
            rptr: Default::default(),
            avail: Default::default(),
            partial: Default::default(),
            head: Default::default(),
            fwd_data: Default::default(),
            capacity: Constant::new((1u64 << fw).to_bits()),
            mask: Constant::new(((1u64 << fw) - 1).to_bits()),
            count_mask: Constant::new(((2u64 << fw) - 1).to_bits()),
            occupied: Default::default(),
            full: Default::default(),
            frame_full: Default::default(),
            capacity_less_one: Constant::new(((1u64 << fw) - 1).to_bits()),
            occ_at_top: Default::default(),
            occ_full: Default::default(),
            avail_full: Default::default(),
            partial_at_top: Default::default(),
            wptr_at_rptr: Default::default(),
            wptr_at_rptr_next: Default::default(),
            wptr_at_rptr_inc2: Default::default(),
            rptr_inc: Default::default(),
            rptr_inc2: Default::default(),
            in_last: Default::default(),
            in_abort: Default::default(),
            switching: Default::default(),
            in_move: Default::default(),
            pop: Default::default(),
            wr: Default::default(),
            wr_ok: Default::default(),
            commit: Default::default(),
            discard: Default::default(),
            rptr_next: Default::default(),
            head_fwd: Default::default(),
            fwd: Default::default(),
            mem_out: Default::default(),
        }
    }
}

impl Logic for CommitGate {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, saf_q, in_frame, tx_in_frame, dropping, ct_offer_held, wptr, fstart, rptr, avail, partial, head, fwd_data, occupied, frame_full, full);
        self.ram.write_clock.next = self.clock.val();
        self.ram.read_clock.next = self.clock.val();

        self.in_last.next = self.rx.data.val().get_bit(36);
        self.in_abort.next = self.rx.data.val().get_bit(37);
        // Words in RAM: released frames not yet read, plus the frame being written.
        self.occ_at_top.next = self.occupied.q.val() == self.capacity_less_one.val();
        self.occ_full.next = self.occupied.q.val() == self.capacity.val();
        self.avail_full.next = self.avail.q.val() == self.capacity.val();
        self.partial_at_top.next = self.partial.q.val() == self.capacity_less_one.val();
        self.wptr_at_rptr.next = self.wptr.q.val() == self.rptr.q.val();
        self.rptr_inc.next = (self.rptr.q.val() + 1) & self.mask.val();
        self.wptr_at_rptr_next.next = self.wptr.q.val() == self.rptr_inc.val();
        self.rptr_inc2.next = (self.rptr.q.val() + 2) & self.mask.val();
        self.wptr_at_rptr_inc2.next = self.wptr.q.val() == self.rptr_inc2.val();
        // A requested change of kind, at a frame boundary on the input, and never while the
        // output still owes a word it offered (the switching cycle offers nothing).
        self.switching.next =
            !self.in_frame.q.val() & (self.saf.val() != self.saf_q.q.val()) & !self.ct_offer_held.q.val();

        if self.saf_q.q.val() {
            // An abort word, a dropped word or the word that makes a frame too long needs no
            // room, so an oversize frame or a containment never waits for the output.
            self.rx.ready.next = !self.switching.val()
                & (self.dropping.q.val()
                    | !self.full.q.val()
                    | self.frame_full.q.val()
                    | (self.in_last.val() & self.in_abort.val()));
            self.tx.valid.next = self.avail.q.val() != 0;
            self.tx.data.next = self.head.q.val();
        } else {
            self.rx.ready.next = self.tx.ready.val() & !self.switching.val();
            self.tx.valid.next = self.rx.valid.val() & !self.switching.val();
            self.tx.data.next = self.rx.data.val();
        }
        self.in_move.next = self.rx.valid.val() & self.rx.ready.val();
        self.ct_offer_held.d.next = !self.saf_q.q.val() & self.tx.valid.val() & !self.tx.ready.val();
        self.pop.next = self.saf_q.q.val() & self.tx.valid.val() & self.tx.ready.val();

        // --- write side (store-and-forward) ------------------------------------------------
        // A word is written when it is taken and is neither dropped, nor an abort word, nor
        // one too many: then `rx.ready` is `!switching & !full`, so the write is one AND of
        // flop-only terms with `rx.valid` and the word's last/abort bits, not the priority
        // chain below behind `in_move`.
        self.wr_ok.next = self.saf_q.q.val()
            & !self.switching.val()
            & !self.full.q.val()
            & !self.dropping.q.val()
            & !self.frame_full.q.val();
        self.wr.next = self.rx.valid.val() & self.wr_ok.val() & !(self.in_last.val() & self.in_abort.val());
        self.commit.next = self.wr.val() & self.in_last.val();
        self.discard.next = false;
        // The word that makes a frame too long, from the terms the branch below takes it
        // on (with `frame_full` and not dropping, `rx.ready` is `!switching`), so the
        // cause reaches the fault log without the `rx.ready` chain.
        self.events.frame_too_long.next = self.saf_q.q.val()
            & self.rx.valid.val()
            & !self.switching.val()
            & !self.dropping.q.val()
            & self.frame_full.q.val()
            & !(self.in_last.val() & self.in_abort.val());
        if self.saf_q.q.val() & self.in_move.val() {
            if self.dropping.q.val() {
                if self.in_last.val() {
                    self.dropping.d.next = false;
                }
            } else if self.in_last.val() & self.in_abort.val() {
                self.discard.next = true;
            } else if self.frame_full.q.val() {
                self.discard.next = true;
                self.dropping.d.next = !self.in_last.val();
            }
        }
        if self.in_move.val() {
            self.in_frame.d.next = !self.in_last.val();
        }
        self.ram.write_enable.next = self.wr.val();
        self.ram.write_address.next = self.wptr.q.val();
        self.ram.write_data.next = self.rx.data.val();
        if self.wr.val() {
            self.wptr.d.next = (self.wptr.q.val() + 1) & self.mask.val();
            self.partial.d.next = (self.partial.q.val() + 1) & self.count_mask.val();
        }
        if self.commit.val() {
            self.fstart.d.next = (self.wptr.q.val() + 1) & self.mask.val();
            self.partial.d.next = 0.into();
        }
        if self.discard.val() {
            self.wptr.d.next = self.fstart.q.val();
            self.partial.d.next = 0.into();
        }

        // --- read side -----------------------------------------------------------------------
        // `occupied` is `avail + partial`, so a commit (which writes) releases
        // `occupied + 1 - pop`; the sums come from flops, the strobes only select.
        if self.commit.val() & self.pop.val() {
            self.avail.d.next = self.occupied.q.val() & self.count_mask.val();
        } else if self.commit.val() {
            self.avail.d.next = (self.occupied.q.val() + 1) & self.count_mask.val();
        } else if self.pop.val() {
            self.avail.d.next = (self.avail.q.val() - 1) & self.count_mask.val();
        }
        self.rptr_next.next = self.rptr.q.val();
        if self.pop.val() {
            self.rptr_next.next = self.rptr_inc.val();
        }
        self.rptr.d.next = self.rptr_next.val();
        // The head register holds mem[rptr]; the RAM's read port shows the word after it
        // (read address aimed at rptr_next + 1), so a pop loads the next head straight from
        // the read port and the port feeds one LUT a bit into a flop. A word written now
        // to the head's address (the first word into an empty buffer, a 1-word frame's
        // `last`) goes straight to the head. One written to the read address could not be
        // read back next cycle (`no_rw_check`): when the read address is where the next
        // word will be written, the RAM is read at the head's own address instead (which
        // holds the head, the next head's predecessor or itself), and a word written there
        // now is forwarded as itself xor the head, so the port shows it. The read address
        // waits for the pop only; if nothing is written, the port shows no held word, and
        // none is read before one is written there (and forwarded). The forward register's
        // select does not wait for the write either: without one it holds junk, and the port
        // is not read before a word is written after the head.
        if self.pop.val() {
            if self.wptr_at_rptr_inc2.val() {
                self.ram.read_address.next = self.rptr.q.val();
            } else {
                self.ram.read_address.next = self.rptr_inc2.val();
            }
            self.head_fwd.next = self.wr.val() & self.wptr_at_rptr_next.val();
            self.fwd.next = self.wptr_at_rptr_inc2.val();
        } else {
            if self.wptr_at_rptr_next.val() {
                self.ram.read_address.next = self.rptr.q.val();
            } else {
                self.ram.read_address.next = self.rptr_inc.val();
            }
            self.head_fwd.next = self.wr.val() & self.wptr_at_rptr.val();
            self.fwd.next = self.wptr_at_rptr_next.val();
        }
        self.fwd_data.d.next = 0.into();
        if self.fwd.val() {
            self.fwd_data.d.next = self.rx.data.val() ^ self.head.q.val();
        }
        self.mem_out.next = self.ram.read_data.val() ^ self.fwd_data.q.val();
        if self.head_fwd.val() {
            self.head.d.next = self.rx.data.val();
        } else if self.pop.val() {
            self.head.d.next = self.mem_out.val();
        }

        // --- kind of commit ------------------------------------------------------------------
        if self.switching.val() {
            if self.saf.val() {
                self.saf_q.d.next = true;
            } else if self.avail.q.val() == 0 {
                self.saf_q.d.next = false;
            }
        }

        if self.reset.val() {
            self.saf_q.d.next = false;
            self.in_frame.d.next = false;
            self.dropping.d.next = false;
            self.ct_offer_held.d.next = false;
            self.wptr.d.next = 0.into();
            self.fstart.d.next = 0.into();
            self.rptr.d.next = 0.into();
            self.avail.d.next = 0.into();
            self.partial.d.next = 0.into();
            self.fwd_data.d.next = 0.into();
        }

        self.events.saf_active.next = self.saf_q.q.val();
        self.events.word_out.next = self.pop.val();
        self.events.frame_out.next = self.pop.val() & self.head.q.val().get_bit(36);
        self.events.frame_dropped.next = self.discard.val();
        // `avail + partial` one cycle on: a discard keeps only the released words, otherwise
        // a write adds one and a pop takes one. `full` and `frame_full` follow from the
        // same choice (a pop, or a discard with a pop, always leaves room).
        if self.reset.val() {
            self.occupied.d.next = 0.into();
            self.full.d.next = false;
        } else if self.discard.val() & self.pop.val() {
            self.occupied.d.next = (self.avail.q.val() - 1) & self.count_mask.val();
            self.full.d.next = false;
        } else if self.discard.val() {
            self.occupied.d.next = self.avail.q.val() & self.count_mask.val();
            self.full.d.next = self.avail_full.val();
        } else if self.wr.val() & !self.pop.val() {
            self.occupied.d.next = (self.occupied.q.val() + 1) & self.count_mask.val();
            self.full.d.next = self.occ_at_top.val();
        } else if self.pop.val() & !self.wr.val() {
            self.occupied.d.next = (self.occupied.q.val() - 1) & self.count_mask.val();
            self.full.d.next = false;
        } else {
            self.full.d.next = self.occ_full.val();
        }
        if self.reset.val() | self.commit.val() | self.discard.val() {
            self.frame_full.d.next = false;
        } else if self.wr.val() {
            self.frame_full.d.next = self.partial_at_top.val();
        }
        self.fill.next = self.occupied.q.val();
        self.boundary.next = !self.tx_in_frame.q.val();
        if self.tx.valid.val() & self.tx.ready.val() {
            self.boundary.next = self.tx.data.val().get_bit(36);
        }
        self.tx_in_frame.d.next = !self.boundary.val();
        if self.reset.val() {
            self.tx_in_frame.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{byte_parity, pack_word};
    use crate::lockstep::ABORT_WORD;
    use crate::testbench::{edge, low};
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use std::collections::VecDeque;

    const FW: usize = 4;
    const CAP: usize = 1 << FW;
    type Gate = CommitGate;

    fn w(data: u32, last: bool) -> u64 {
        pack_word(data, byte_parity(data), last, false, false)
    }

    /// A frame of `n` data words; with `abort` it is ended by the Lockstep's abort word
    /// instead of a `last` on its n-th word.
    fn frame(base: u32, n: usize, abort: bool) -> Vec<u64> {
        let mut v: Vec<u64> = (0..n).map(|i| w(base + i as u32, !abort && i + 1 == n)).collect();
        if abort {
            v.push(ABORT_WORD);
        }
        v
    }

    fn is_last(word: u64) -> bool {
        word >> 36 & 1 == 1
    }

    /// What store-and-forward sends of `words`: whole frames that end with `last` without
    /// `abort` and are at most 2^FW words; (output, frames too long, frames dropped).
    fn saf_model(words: &[u64]) -> (Vec<u64>, usize, usize) {
        let (mut out, mut too_long, mut dropped, mut cur) = (vec![], 0, 0, vec![]);
        for &x in words {
            let ends = is_last(x);
            let abort = x >> 37 & 1 == 1;
            if !(ends && abort) {
                cur.push(x);
            }
            if ends {
                if cur.len() > CAP {
                    too_long += 1;
                    dropped += 1;
                } else if abort {
                    dropped += 1;
                } else {
                    out.extend(cur.iter().copied());
                }
                cur.clear();
            }
        }
        (out, too_long, dropped)
    }

    struct Bench {
        g: Gate,
        rng: StdRng,
        queue: VecDeque<u64>,
        offering: bool,
        gap_p: f64,
        ready_p: f64,
        taken: Vec<(usize, u64)>,
        out: Vec<(usize, u64)>,
        too_long: Vec<usize>,
        dropped: Vec<usize>,
        cycle: usize,
        /// Check the cut-through pass-through every cycle while the gate is in it.
        check_pass: bool,
    }

    impl Bench {
        fn new(words: Vec<u64>, saf: bool, seed: u64) -> Self {
            let mut g = Gate::new(FW);
            g.connect_all();
            g.saf.next = saf;
            Self {
                g,
                rng: StdRng::seed_from_u64(seed),
                queue: words.into(),
                offering: false,
                gap_p: 0.0,
                ready_p: 1.0,
                taken: vec![],
                out: vec![],
                too_long: vec![],
                dropped: vec![],
                cycle: 0,
                check_pass: true,
            }
        }
        fn step(&mut self) {
            let t = self.cycle;
            if !self.offering && !self.queue.is_empty() && !self.rng.gen_bool(self.gap_p) {
                self.offering = true;
            }
            let ready = self.rng.gen_bool(self.ready_p);
            let g = &mut self.g;
            g.rx.valid.next = self.offering;
            g.rx.data.next = self.queue.front().copied().unwrap_or(0).into();
            g.tx.ready.next = ready;
            low(g, |g| &mut g.clock);
            if self.check_pass && !g.events.saf_active.val() && !g.saf.val() {
                assert_eq!(g.tx.valid.val(), g.rx.valid.val(), "pass-through valid at {t}");
                assert_eq!(g.tx.data.val(), g.rx.data.val(), "pass-through word at {t}");
                assert_eq!(g.rx.ready.val(), g.tx.ready.val(), "pass-through ready at {t}");
            }
            if g.tx.valid.val() && ready {
                self.out.push((t, g.tx.data.val().to_u64()));
            }
            if g.events.frame_too_long.val() {
                self.too_long.push(t);
            }
            if g.events.frame_dropped.val() {
                self.dropped.push(t);
            }
            if self.offering && g.rx.ready.val() {
                self.taken.push((t, self.queue.pop_front().unwrap()));
                self.offering = false;
            }
            edge(g, |g| &mut g.clock);
            self.cycle += 1;
        }
        fn run(&mut self, n: usize) {
            for _ in 0..n {
                self.step();
            }
        }
        fn words(&self) -> Vec<u64> {
            self.out.iter().map(|&(_, x)| x).collect()
        }
        /// Cycles at which the `last` words were taken on the input.
        fn lasts_taken(&self) -> Vec<usize> {
            self.taken.iter().filter(|&&(_, x)| is_last(x)).map(|&(t, _)| t).collect()
        }
    }

    #[test]
    fn commit_gate_synthesizes() {
        let mut g = CommitGate::new(9);
        g.connect_all();
        let v = generate_verilog(&g);
        yosys_validate("ftio_commit_gate", &v).unwrap();
        // The 512 x 40 buffer maps to iCE40 block RAM (five SB_RAM40_4K in 512 x 8 mode).
        let dir = std::env::temp_dir().join(format!("ftio-commit-gate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("gate.v"), &v).unwrap();
        let out = std::process::Command::new("yosys")
            .args(["-p", "read_verilog gate.v; synth_ice40 -top top; stat"])
            .current_dir(&dir)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("SB_RAM40_4K"), "no block RAM inferred:\n{text}");
    }

    /// Cut-through: out = in and ready = ready in the same cycle, every cycle, random gaps
    /// and back-pressure; abort words pass like any other.
    #[test]
    fn cut_through_is_a_zero_latency_pass_through() {
        let mut words = vec![];
        for f in 0..40u32 {
            words.extend(frame(f * 100, 1 + (f as usize * 7) % 23, f % 5 == 3));
        }
        let mut b = Bench::new(words.clone(), false, 1);
        b.gap_p = 0.3;
        b.ready_p = 0.6;
        b.run(3000);
        assert_eq!(b.words(), words);
        assert_eq!(b.out.iter().map(|&(t, _)| t).collect::<Vec<_>>(), b.taken.iter().map(|&(t, _)| t).collect::<Vec<_>>());
        assert!(b.too_long.is_empty() && b.dropped.is_empty());
    }

    /// Store-and-forward at full rate: a frame's first word is offered the cycle after its
    /// `last` word was taken (the S&F figure of the gate: +1), its words leave on consecutive
    /// cycles, and back-to-back frames keep both sides at one word per cycle.
    #[test]
    fn saf_releases_the_frame_the_cycle_after_its_last_word() {
        let len = 6;
        let mut words = vec![];
        for f in 0..30u32 {
            words.extend(frame(f * 100, len, false));
        }
        let mut b = Bench::new(words.clone(), true, 2);
        b.run(words.len() + 20);
        assert_eq!(b.words(), words);
        // The switch to store-and-forward takes one cycle (nothing taken at cycle 0).
        assert_eq!(b.taken[0].0, 1);
        let taken: Vec<usize> = b.taken.iter().map(|&(t, _)| t).collect();
        assert_eq!(taken, (1..=words.len()).collect::<Vec<_>>(), "input: one word per cycle");
        for (k, &t_last) in b.lasts_taken().iter().enumerate() {
            for i in 0..len {
                assert_eq!(b.out[k * len + i].0, t_last + 1 + i, "frame {k} word {i}");
            }
        }
        let (first, last) = (b.out[0].0, b.out.last().unwrap().0);
        assert_eq!(last - first + 1, words.len(), "output: one word per cycle");
    }

    /// Short frames at full rate (1, 2 and 3 words, back to back): the head register takes
    /// a 1-word frame's word as it is written and a 2-word frame's first word from the
    /// forwarding register (the RAM's read of a word written at the last edge is undefined),
    /// so each frame's first word is offered the cycle after its `last` was taken (or after
    /// the frame ahead of it has left), and its words one per cycle; then the same frames with
    /// the consumer stalled and released lose no word and keep their order.
    #[test]
    fn saf_short_frames_keep_the_cycle_after_last() {
        let mut words = vec![];
        let lens = [1usize, 2, 1, 1, 3, 2, 2, 1, 3, 1];
        for (f, &n) in lens.iter().enumerate() {
            words.extend(frame((f as u32 + 1) << 8, n, false));
        }
        let mut b = Bench::new(words.clone(), true, 8);
        b.run(words.len() + 10);
        assert_eq!(b.words(), words);
        // Each word leaves at the first cycle it may: its frame's first word the cycle after
        // its `last` was taken unless the previous frame is still leaving, every other word
        // the cycle after the word before it.
        let (mut k, mut prev) = (0, 0);
        for (f, &t_last) in b.lasts_taken().iter().enumerate() {
            for i in 0..lens[f] {
                let due = if i == 0 { (t_last + 1).max(prev + 1) } else { prev + 1 };
                assert_eq!(b.out[k].0, due, "frame {f} word {i}");
                prev = due;
                k += 1;
            }
        }
        for seed in 0..4u64 {
            let mut b = Bench::new(words.clone(), true, 20 + seed);
            b.ready_p = [0.3, 0.5, 0.7, 0.1][seed as usize];
            b.gap_p = [0.0, 0.3, 0.0, 0.5][seed as usize];
            b.run(400);
            assert_eq!(b.words(), words, "seed {seed}");
        }
    }

    /// Random frames (1 to 2^FW + 6 words, some ended by the abort word), random gaps in,
    /// random back-pressure out: the output is exactly the model's (whole good frames, in
    /// order, nothing lost, repeated or reordered), no frame leaves before its `last` was
    /// taken, and the too-long and dropped pulses match.
    #[test]
    fn saf_random_backpressure_is_exact() {
        for seed in 0..10u64 {
            let mut rng = StdRng::seed_from_u64(100 + seed);
            let mut words = vec![];
            for f in 0..60u32 {
                let n = rng.gen_range(1..=CAP + 6);
                let abort = rng.gen_bool(0.2);
                words.extend(frame(f << 8, n, abort));
            }
            let (expect, too_long, dropped) = saf_model(&words);
            let mut b = Bench::new(words.clone(), true, seed);
            b.gap_p = [0.0, 0.2, 0.5][seed as usize % 3];
            b.ready_p = [0.9, 0.5, 0.2, 1.0][seed as usize % 4];
            b.run(9000);
            assert!(b.queue.is_empty(), "seed {seed}: input drained");
            assert_eq!(b.words(), expect, "seed {seed}");
            assert_eq!(b.too_long.len(), too_long, "seed {seed}");
            assert_eq!(b.dropped.len(), dropped, "seed {seed}");
            // Each released frame left after its last word was taken.
            let lasts: Vec<(usize, u64)> = b.taken.iter().copied().filter(|&(_, x)| is_last(x)).collect();
            let mut j = 0;
            let mut first_of_frame = true;
            for &(t, x) in &b.out {
                if first_of_frame {
                    while lasts[j].1 >> 37 & 1 == 1 || lasts[j].1 & 0xFFFF_FF00 != x & 0xFFFF_FF00 {
                        j += 1;
                    }
                    assert!(t > lasts[j].0, "seed {seed}: word {x:#x} at {t} before its frame's last");
                }
                first_of_frame = is_last(x);
            }
            assert_eq!(b.g.fill.val().to_u64(), 0);
        }
    }

    /// A frame ended by the abort word sends nothing, even when the buffer is full and the
    /// output stalled (the abort word needs no room); the frames around it go intact.
    #[test]
    fn saf_aborted_frame_sends_nothing() {
        let f1 = frame(0x100, 10, false);
        let f2 = frame(0x200, 9, true);
        let f3 = frame(0x300, 4, false);
        let words = [f1.clone(), f2.clone(), f3.clone()].concat();
        let mut b = Bench::new(words, true, 3);
        b.ready_p = 0.0;
        b.run(40);
        // f1 (10) + 6 words of f2 fill the 16 words; then the stall holds f2's 7th word.
        assert_eq!(b.taken.len(), 16);
        assert!(b.out.is_empty());
        b.ready_p = 1.0;
        b.run(60);
        assert_eq!(b.words(), [f1, f3].concat());
        // Everything held leaves one word per cycle from the first ready cycle: no bubble
        // after the stall, none between the queued frames.
        assert_eq!(b.out.iter().map(|&(t, _)| t).collect::<Vec<_>>(), (40..54).collect::<Vec<_>>());
        assert_eq!(b.dropped.len(), 1);
        assert!(b.too_long.is_empty());
        // An abort word with the buffer full: fill the buffer with a held frame and a
        // partial one, then the abort word is taken at once.
        let f4 = frame(0x400, 12, false);
        let f5 = frame(0x500, 4, true);
        let mut b = Bench::new([f4.clone(), f5, frame(0x600, 2, false)].concat(), true, 4);
        b.ready_p = 0.0;
        b.run(30);
        assert_eq!(b.taken.len(), 12 + 5 + 2, "abort taken with the buffer full");
        assert_eq!(b.g.fill.val().to_u64(), 14);
        b.ready_p = 1.0;
        b.run(30);
        assert_eq!(b.words(), [f4, frame(0x600, 2, false)].concat());
    }

    /// Frames of exactly 2^FW words pass; a longer one is dropped whole: `frame_too_long`
    /// pulses the cycle its word 2^FW + 1 is taken, the rest up to its `last` is taken and
    /// dropped, and the next frame proceeds.
    #[test]
    fn saf_frame_too_long_is_dropped_whole() {
        let max = frame(0x1000, CAP, false);
        let over1 = frame(0x2000, CAP + 1, false);
        let over = frame(0x3000, 2 * CAP + 5, false);
        let next = frame(0x4000, 3, false);
        let words = [max.clone(), over1.clone(), over.clone(), next.clone(), max.clone()].concat();
        let mut b = Bench::new(words.clone(), true, 5);
        b.run(200);
        assert_eq!(b.words(), [max.clone(), next, max].concat());
        let pos = |x: u64| b.taken.iter().find(|&&(_, y)| y == x).unwrap().0;
        assert_eq!(b.too_long, vec![pos(over1[CAP]), pos(over[CAP])]);
        assert_eq!(b.dropped, b.too_long);
        assert_eq!(b.taken.len(), words.len(), "the oversize frames' tails were taken, not stalled");
    }

    /// SPEC §2 on the gate's output across a switch to store-and-forward: a word offered in
    /// cut-through and not taken (the fabric stalled) is still offered, unchanged, in the
    /// cycle `saf` is requested, and every cycle until it is taken; it passes cut-through,
    /// and the gate switches at the frame boundary after it. (Before, the switching cycle
    /// withdrew it: `tx.valid` low the cycle after it was offered; the formal proof's
    /// `out_holds` found it.)
    #[test]
    fn switch_to_saf_never_withdraws_an_offered_word() {
        let f0 = frame(0x100, 2, false);
        let f1 = frame(0x200, 3, false);
        let words = [f0.clone(), f1.clone()].concat();
        let mut b = Bench::new(words.clone(), false, 7);
        b.check_pass = false;
        b.ready_p = 0.0;
        b.run(1); // f0's first word offered, not taken
        assert!(b.g.tx.valid.val() && b.taken.is_empty());
        b.g.saf.next = true;
        for t in 1..4 {
            b.run(1); // requested at the boundary, the word still waiting
            assert!(b.g.tx.valid.val(), "offered word withdrawn at cycle {t}");
            assert_eq!(b.g.tx.data.val().to_u64(), f0[0], "offered word changed at cycle {t}");
            assert!(!b.g.events.saf_active.val(), "switched with a word owed at cycle {t}");
        }
        b.ready_p = 1.0;
        b.run(2); // f0 passes cut-through
        assert_eq!(b.words(), f0);
        assert_eq!(b.out.iter().map(|&(t, _)| t).collect::<Vec<_>>(), vec![4, 5]);
        b.run(1); // the switching cycle at the boundary after f0
        assert!(b.g.events.saf_active.val());
        assert_eq!(b.taken.len(), 2);
        b.run(10);
        assert_eq!(b.words(), words);
        // f1 was stored: its first word left after its last was taken.
        assert!(b.out[2].0 > b.lasts_taken()[1]);
    }

    /// `saf` changes are honoured only between frames: raised mid-frame, the frame finishes
    /// cut-through and the next is stored; lowered mid-frame with frames held, the gate
    /// finishes the frame, drains what it holds, then passes through. Order is kept.
    #[test]
    fn saf_switches_only_between_frames() {
        let mut words = vec![];
        for f in 0..12u32 {
            words.extend(frame(f << 8, 5, false));
        }
        let mut b = Bench::new(words.clone(), false, 6);
        b.check_pass = false;
        b.run(2);
        b.g.saf.next = true; // frame 0 is in flight
        b.run(3);
        // Frame 0's words went through in the cycle they were taken.
        assert_eq!(b.out.len(), 5);
        assert!(b.out.iter().zip(&b.taken).all(|(o, i)| o == i));
        b.run(1); // the switching cycle: nothing taken
        assert_eq!(b.taken.len(), 5);
        assert!(b.g.events.saf_active.val());
        b.run(12); // frame 1 and part of 2 stored; frame 1 released after its last
        b.g.saf.next = false;
        b.run(60);
        assert!(!b.g.events.saf_active.val());
        assert_eq!(b.words(), words);
        // Once back in cut-through, the words leave in the cycle they are taken.
        let tail = &b.out[b.out.len() - 10..];
        assert_eq!(tail, &b.taken[b.taken.len() - 10..]);
        // Every frame stored under store-and-forward left after its last was taken.
        let lasts = b.lasts_taken();
        for k in 1..3 {
            assert!(b.out[k * 5].0 > lasts[k], "frame {k}");
        }
    }
}
