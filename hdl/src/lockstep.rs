//! The lockstep write path (SPEC §4): skew FIFOs, strict offset, comparator, cut-through
//! commit, and the mode state machine with attribution and fail-over.
//!
//! Each CPU's words go into its own skew FIFO (a [`StreamFifo`]: a word taken at t is at the
//! head at t+1). In DUPLEX both heads are popped together into a pair stage (registers) with
//! their comparison registered beside them; an agreed pair leaves the stage on the committed
//! stream (A's copy, parity as received) at t+2, so with a fall-through disk buffer behind it
//! a pair whose later word is taken at t is on the disk links at t+3. Port-side evidence (a
//! parity error, strict-offset checks, whether a side offered a word) is registered before it
//! reaches the commit decision, so no path runs from the pins to the commit in one cycle.
//!
//! * Elastic: either side may run ahead by up to the FIFO depth; if one side has words
//!   pending and the other offers none for TIMEOUT cycles, the silent side is faulty.
//! * Strict: CPU B's `tx_ready` is CPU A's delayed by exactly D cycles, and B's offer at t is
//!   checked against A's at t−D: different contents are a mismatch; a side that does not
//!   offer where the other does is marked missing, and is a mismatch if it offers again at
//!   the check, or times out if it stays silent for TIMEOUT cycles (docs/lockstep.md, "Strict
//!   lockstep: fail-over and silence"). A check result in a cycle in which a parity error on
//!   either CPU is registered is not a mismatch: the parity error names its side, at every D.
//! * Attribution: a parity error on a CPU's links (or a perr word at the comparator) names
//!   that CPU; so does a timeout. Auto policy: DUPLEX → SIMPLEX on the healthy side; the
//!   healthy FIFO simply keeps draining, so no word of the healthy stream is lost, repeated
//!   or reordered, and the frame in flight goes on with the healthy side's words. A mismatch
//!   with no parity error cannot be attributed: HALTED. Halt policy: every fault halts.
//! * Cut-through containment: a disagreeing pair is never sent; if a frame is in flight it
//!   is ended on the committed stream with one `last & abort` word (data 0, par 1111).
//! * SPLIT: A's FIFO feeds `sa`, B's feeds `sb`; no compare. A mode written by the host
//!   (`mode_set`) empties both skew FIFOs: change modes between frames, with the CPUs
//!   quiescent (words not yet committed are discarded; a frame in flight is ended with
//!   `last & abort` only when the new mode is HALTED). HALTED: both CPUs back-pressured. In SIMPLEX the isolated CPU's words are taken and dropped (so it never
//!   hangs on the link) and its FIFO is held empty.
use crate::delay_line::{DelayLine, ReplayArm};
use crate::fabric::mode;
use crate::link::Word;
use crate::stream_fifo::StreamFifo;
use rust_hdl::prelude::*;
use rust_hdl::widgets::prelude::DFFWithInit;

/// The word that ends a frame in flight: data 0 (odd parity 1111), `last`, `abort`.
/// (It is its own [`fold_check`]: `last ^ abort` is 0.)
pub const ABORT_WORD: u64 = (0xF << 32) | (1 << 36) | (1 << 37);

/// Hardened build: the check on `last` and `abort` that travels with a word inside the core.
/// Link parity covers only the data; inside the core the hardened build stores parity bit 3
/// (word bit 35) as `par[3] ^ last ^ abort`, so a flipped `last` or `abort` in any buffer,
/// register or RAM between the lockstep's input and the disks' egress (or between the disks'
/// ingress and the CPUs' egress) fails the parity re-check there, as a flipped data bit does.
/// Folding twice is the identity: the fabric unfolds where words leave the core.
pub fn fold_check(word: u64) -> u64 {
    word ^ ((((word >> 36) ^ (word >> 37)) & 1) << 35)
}

#[derive(LogicBlock)]
pub struct Lockstep<const SW: usize, const OW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: power-on state (DUPLEX, FIFOs empty).
    pub reset: Signal<In, Bit>,
    /// Write CTRL.mode this cycle.
    pub mode_set: Signal<In, Bit>,
    /// The mode written.
    pub mode_value: Signal<In, Bits<3>>,
    /// Lockstep kind: 0 elastic, 1 strict.
    pub strict: Signal<In, Bit>,
    /// The lockstep kind CTRL is being written with, valid with `mode_set` (`strict` follows
    /// a cycle later).
    pub strict_set: Signal<In, Bit>,
    /// Fault policy: 0 auto fail-over, 1 halt on every fault.
    pub policy_halt: Signal<In, Bit>,
    /// Strict offset D.
    pub offset: Signal<In, Bits<OW>>,
    /// TIMEOUT in cycles (0 disables the rule).
    pub timeout: Signal<In, Bits<32>>,

    /// CPU A offers a word at its port.
    pub a_valid: Signal<In, Bit>,
    /// The word (with `perr` from the link checker).
    pub a_word: Signal<In, Word>,
    /// CPU A's `tx_ready`.
    pub a_ready: Signal<Out, Bit>,
    /// A parity error on CPU A's links this cycle (its words, control, or return `rpar`).
    pub a_error: Signal<In, Bit>,
    /// CPU B offers a word at its port.
    pub b_valid: Signal<In, Bit>,
    /// The word.
    pub b_word: Signal<In, Word>,
    /// CPU B's `tx_ready`.
    pub b_ready: Signal<Out, Bit>,
    /// A parity error on CPU B's links this cycle.
    pub b_error: Signal<In, Bit>,
    /// Strict mode: CPU B's return-link ready differed from CPU A's D cycles earlier.
    pub return_mismatch: Signal<In, Bit>,

    /// The committed stream offers a word.
    pub c_valid: Signal<Out, Bit>,
    /// The committed word.
    pub c_word: Signal<Out, Word>,
    /// The fabric takes it.
    pub c_ready: Signal<In, Bit>,
    /// SPLIT: CPU A's stream.
    pub sa_valid: Signal<Out, Bit>,
    /// Its word.
    pub sa_word: Signal<Out, Word>,
    /// Taken.
    pub sa_ready: Signal<In, Bit>,
    /// SPLIT: CPU B's stream.
    pub sb_valid: Signal<Out, Bit>,
    /// Its word.
    pub sb_word: Signal<Out, Word>,
    /// Taken.
    pub sb_ready: Signal<In, Bit>,

    /// The mode now.
    pub mode: Signal<Out, Bits<3>>,
    /// Pulse: an attributable parity fault on CPU A while it was trusted.
    pub fault_a_parity: Signal<Out, Bit>,
    /// Pulse: an attributable parity fault on CPU B.
    pub fault_b_parity: Signal<Out, Bit>,
    /// Pulse: CPU A fell silent for TIMEOUT cycles.
    pub fault_a_timeout: Signal<Out, Bit>,
    /// Pulse: CPU B fell silent.
    pub fault_b_timeout: Signal<Out, Bit>,
    /// Pulse: the two streams disagree and no parity error says who is wrong.
    pub fault_mismatch: Signal<Out, Bit>,
    /// Pulse: a word left on the committed stream.
    pub word_out: Signal<Out, Bit>,
    /// Pulse: a frame completed on the committed stream (`last` without `abort`).
    pub frame_out: Signal<Out, Bit>,
    /// Pulse: a frame in flight was ended with `last & abort`.
    pub frame_aborted: Signal<Out, Bit>,
    /// Index of the word pair at the comparator (pairs compared since reset).
    pub pair_index: Signal<Out, Bits<32>>,
    /// Head of A's skew FIFO (data), for the fault capture.
    pub head_a: Signal<Out, Word>,
    /// Head of B's skew FIFO.
    pub head_b: Signal<Out, Word>,
    /// A's head is valid.
    pub head_a_valid: Signal<Out, Bit>,
    /// B's head is valid.
    pub head_b_valid: Signal<Out, Bit>,
    /// Words pending in A's skew FIFO.
    pub fill_a: Signal<Out, Bits<16>>,
    /// Words pending in B's skew FIFO.
    pub fill_b: Signal<Out, Bits<16>>,
    /// Hardened build: the lockstep found its own state inconsistent this cycle — a skew
    /// FIFO's control flop and its shadow, the pair stage's flags and their complemented
    /// shadows, the mode register and its one-hot decode, the two comparators, or the commit
    /// decision and its recomputation from the shadows disagree. Low in the default build.
    pub internal_error: Signal<Out, Bit>,

    fifo_a: StreamFifo<SW>,
    fifo_b: StreamFifo<SW>,
    replay: DelayLine<OW>,
    arm: ReplayArm<OW>,
    mode_q: DFF<Bits<3>>,
    /// `mode_q` decoded, in flops set from its next value: the readies, the pops and the
    /// commit start from a flop instead of a 3-bit compare.
    is_duplex: DFFWithInit<Bit>,
    is_simplex_a: DFF<Bit>,
    is_simplex_b: DFF<Bit>,
    is_split: DFF<Bit>,
    is_halted: DFF<Bit>,
    in_frame: DFF<Bit>,
    abort_pending: DFF<Bit>,
    /// Cycles the silent side has been silent. One counter serves both sides: elastic, A
    /// silent needs B's FIFO holding a word and A's empty, B silent the reverse, and in
    /// DUPLEX a FIFO empties only by a pair pop (which needs both holding one) or a reset
    /// (which empties both), so one side's silence never follows the other's without a cycle
    /// of neither between, where the counter restarts: it counts exactly what a counter per
    /// side would. Strict: at most one side is marked missing until the mode or the check
    /// changes.
    silent: DFF<Bits<32>>,
    pairs: DFF<Bits<32>>,
    /// Port-side fault evidence, registered: nothing from the pins reaches the commit
    /// decision in the cycle it arrives.
    a_err_q: DFF<Bit>,
    b_err_q: DFF<Bit>,
    a_valid_q: DFF<Bit>,
    b_valid_q: DFF<Bit>,
    /// The strict-offset check, its reduction split across the register: which of the five
    /// compared slices of B's word (data bytes 0-3, last/abort) differ from A's at t-D, and
    /// both offering while the check is armed. The last OR is made the cycle after, so the
    /// check still counts at the cycle it did with one flop behind the whole compare, and B's
    /// injector and link checker feed only a byte compare.
    strict_diff_q: DFF<Bits<5>>,
    strict_both_q: DFF<Bit>,
    /// Strict silence (docs/lockstep.md "Strict lockstep: fail-over and silence"): the check
    /// saw B offer where A had not D cycles before (A is missing), or the reverse. Sticky
    /// until the mode or the check changes: at most one side is ever marked. The marked side
    /// is not a mismatch yet: if it offers again at the check (registered below as
    /// `strict_resume_q`) the timing differs and it is one; if it stays silent for TIMEOUT
    /// cycles it times out, as in elastic.
    strict_a_missing: DFF<Bit>,
    strict_b_missing: DFF<Bit>,
    /// The side marked missing offered at the check: a timing difference.
    strict_resume_q: DFF<Bit>,
    /// Cycles left, after a host mode write into strict DUPLEX, in which CPU B's words are
    /// taken and dropped: they pair with the words of CPU A the write flushed from skew FIFO
    /// A (taken in the D cycles before it).
    b_drop: DFF<Bits<OW>>,
    /// `b_drop != 0`, kept in a flop so CPU B's FIFO input waits for no compare.
    b_dropping: DFF<Bit>,
    ret_mis_q: DFF<Bit>,
    /// TIMEOUT != 0 and TIMEOUT == 1, registered (TIMEOUT is quasi-static).
    tmo_on: DFF<Bit>,
    tmo_one: DFF<Bit>,
    /// The silent side's count reaches TIMEOUT this cycle if it stays silent.
    near: DFF<Bit>,
    /// The pair stage: the two heads popped together, and their comparison (registered).
    pa: DFF<Word>,
    pb: DFF<Word>,
    p_valid: DFF<Bit>,
    p_differ: DFF<Bit>,
    /// The skid register behind the pair stage: a pair popped while the stage could not
    /// move. Popping waits only for the skid to be empty (a register), so the commit gate's
    /// and fabric's readiness never reaches the skew FIFOs' read side in the same cycle.
    /// With every sink ready the stage moves each cycle and the skid stays empty.
    ka: DFF<Word>,
    kb: DFF<Word>,
    k_valid: DFF<Bit>,
    k_differ: DFF<Bit>,
    /// The pair stage is empty or its pair leaves this cycle.
    p_room: Signal<Local, Bit>,
    /// Hardened build: complemented shadows of the pair stage's and the frame state's flags
    /// (power-on all ones), the second comparator, the commit decision recomputed from the
    /// shadows, and the words as they enter the skew FIFOs (with the `last`/`abort` check
    /// folded in, [`fold_check`]).
    harden: Constant<Bit>,
    /// The shadow of `ctl_next` ([`crate::stream_fifo::shadow_code`]); `ctl_now`/`ctl_next`:
    /// p_valid, p_differ, k_valid, k_differ, abort_pending, in_frame, b_dropping,
    /// strict_a_missing, strict_b_missing, b_drop (bits 9 and up), now and next.
    shadow: DFFWithInit<Bits<32>>,
    ctl_now: Signal<Local, Bits<32>>,
    ctl_next: Signal<Local, Bits<32>>,
    differ_chk: Signal<Local, Bit>,
    c_valid_chk: Signal<Local, Bit>,
    mode_bad: Signal<Local, Bit>,
    a_in: Signal<Local, Word>,
    b_in: Signal<Local, Word>,
    compare_mask: Constant<Bits<40>>,
    m_duplex: Constant<Bits<3>>,
    m_simplex_a: Constant<Bits<3>>,
    m_simplex_b: Constant<Bits<3>>,
    m_split: Constant<Bits<3>>,
    m_halted: Constant<Bits<3>>,
    abort_word: Constant<Word>,
    duplex: Signal<Local, Bit>,
    strict_on: Signal<Local, Bit>,
    both: Signal<Local, Bit>,
    differ: Signal<Local, Bit>,
    head_perr_a: Signal<Local, Bit>,
    /// `b_ready` before a mode write's override.
    b_ready_run: Signal<Local, Bit>,
    head_perr_b: Signal<Local, Bit>,
    /// CPU A offered a word D cycles ago (the replay's valid bit).
    a_then: Signal<Local, Bit>,
    /// The strict-silence marks carry on into the next cycle.
    strict_keep: Signal<Local, Bit>,
    /// CPU B's offer of last cycle failed the strict-offset check (or the return-link ready
    /// check did), and no parity error names a side in the same cycle.
    strict_bad: Signal<Local, Bit>,
    /// This mode write starts strict DUPLEX.
    to_strict: Signal<Local, Bit>,
    bad_a: Signal<Local, Bit>,
    bad_b: Signal<Local, Bit>,
    unattributable: Signal<Local, Bit>,
    halt_now: Signal<Local, Bit>,
    /// DUPLEX stays DUPLEX: no side bad and no mismatch.
    stay_duplex: Signal<Local, Bit>,
    /// DUPLEX fails over to SIMPLEX_B (CPU A alone is bad, auto policy).
    fail_to_b: Signal<Local, Bit>,
    /// DUPLEX fails over to SIMPLEX_A.
    fail_to_a: Signal<Local, Bit>,
    c_move: Signal<Local, Bit>,
    silent_a_now: Signal<Local, Bit>,
    silent_b_now: Signal<Local, Bit>,
    stage_free: Signal<Local, Bit>,
    pop_pair: Signal<Local, Bit>,
    in_frame_next: Signal<Local, Bit>,
}

impl<const SW: usize, const OW: usize> Default for Lockstep<SW, OW> {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl<const SW: usize, const OW: usize> Lockstep<SW, OW> {
    /// The lockstep; with `harden`, checking its own state (`internal_error`).
    pub fn hardened(harden: bool) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            mode_set: Default::default(),
            mode_value: Default::default(),
            strict: Default::default(),
            strict_set: Default::default(),
            policy_halt: Default::default(),
            offset: Default::default(),
            timeout: Default::default(),
            a_valid: Default::default(),
            a_word: Default::default(),
            a_ready: Default::default(),
            a_error: Default::default(),
            b_valid: Default::default(),
            b_word: Default::default(),
            b_ready: Default::default(),
            b_error: Default::default(),
            return_mismatch: Default::default(),
            c_valid: Default::default(),
            c_word: Default::default(),
            c_ready: Default::default(),
            sa_valid: Default::default(),
            sa_word: Default::default(),
            sa_ready: Default::default(),
            sb_valid: Default::default(),
            sb_word: Default::default(),
            sb_ready: Default::default(),
            mode: Default::default(),
            fault_a_parity: Default::default(),
            fault_b_parity: Default::default(),
            fault_a_timeout: Default::default(),
            fault_b_timeout: Default::default(),
            fault_mismatch: Default::default(),
            word_out: Default::default(),
            frame_out: Default::default(),
            frame_aborted: Default::default(),
            pair_index: Default::default(),
            head_a: Default::default(),
            head_b: Default::default(),
            head_a_valid: Default::default(),
            head_b_valid: Default::default(),
            fill_a: Default::default(),
            fill_b: Default::default(),
            fifo_a: StreamFifo::hardened(harden),
            fifo_b: StreamFifo::hardened(harden),
            replay: Default::default(),
            arm: Default::default(),
            mode_q: Default::default(),
            is_duplex: DFFWithInit::new(true),
            is_simplex_a: Default::default(),
            is_simplex_b: Default::default(),
            is_split: Default::default(),
            is_halted: Default::default(),
            in_frame: Default::default(),
            abort_pending: Default::default(),
            silent: Default::default(),
            pairs: Default::default(),
            a_err_q: Default::default(),
            b_err_q: Default::default(),
            a_valid_q: Default::default(),
            b_valid_q: Default::default(),
            strict_diff_q: Default::default(),
            strict_both_q: Default::default(),
            strict_a_missing: Default::default(),
            strict_b_missing: Default::default(),
            strict_resume_q: Default::default(),
            b_drop: Default::default(),
            b_dropping: Default::default(),
            ret_mis_q: Default::default(),
            tmo_on: Default::default(),
            tmo_one: Default::default(),
            near: Default::default(),
            pa: Default::default(),
            pb: Default::default(),
            p_valid: Default::default(),
            p_differ: Default::default(),
            ka: Default::default(),
            kb: Default::default(),
            k_valid: Default::default(),
            k_differ: Default::default(),
            p_room: Default::default(),
            harden: Constant::new(harden),
            shadow: DFFWithInit::new(0xFFFF_FFFF_u64.to_bits()),
            ctl_now: Default::default(),
            ctl_next: Default::default(),
            differ_chk: Default::default(),
            c_valid_chk: Default::default(),
            mode_bad: Default::default(),
            a_in: Default::default(),
            b_in: Default::default(),
            compare_mask: Constant::new(0x30_FFFF_FFFF_u64.to_bits()),
            internal_error: Default::default(),
            m_duplex: Constant::new(mode::DUPLEX.to_bits()),
            m_simplex_a: Constant::new(mode::SIMPLEX_A.to_bits()),
            m_simplex_b: Constant::new(mode::SIMPLEX_B.to_bits()),
            m_split: Constant::new(mode::SPLIT.to_bits()),
            m_halted: Constant::new(mode::HALTED.to_bits()),
            abort_word: Constant::new(ABORT_WORD.to_bits()),
            duplex: Default::default(),
            strict_on: Default::default(),
            both: Default::default(),
            differ: Default::default(),
            head_perr_a: Default::default(),
            b_ready_run: Default::default(),
            head_perr_b: Default::default(),
            a_then: Default::default(),
            strict_keep: Default::default(),
            strict_bad: Default::default(),
            to_strict: Default::default(),
            bad_a: Default::default(),
            bad_b: Default::default(),
            unattributable: Default::default(),
            halt_now: Default::default(),
            stay_duplex: Default::default(),
            fail_to_b: Default::default(),
            fail_to_a: Default::default(),
            c_move: Default::default(),
            silent_a_now: Default::default(),
            silent_b_now: Default::default(),
            stage_free: Default::default(),
            pop_pair: Default::default(),
            in_frame_next: Default::default(),
        }
    }
}

impl<const SW: usize, const OW: usize> Logic for Lockstep<SW, OW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, fifo_a, fifo_b, replay, arm);
        dff_setup!(self, clock, is_duplex, is_simplex_a, is_simplex_b, is_split, is_halted);
        dff_setup!(self, clock, mode_q, in_frame, abort_pending, silent, pairs);
        dff_setup!(self, clock, a_err_q, b_err_q, a_valid_q, b_valid_q, ret_mis_q, b_drop, b_dropping);
        dff_setup!(self, clock, strict_diff_q, strict_both_q, strict_a_missing, strict_b_missing, strict_resume_q);
        dff_setup!(self, clock, tmo_on, tmo_one, near, pa, pb, p_valid, p_differ);
        dff_setup!(self, clock, ka, kb, k_valid, k_differ);
        dff_setup!(self, clock, shadow);
        self.a_err_q.d.next = self.a_error.val();
        self.b_err_q.d.next = self.b_error.val();
        self.a_valid_q.d.next = self.a_valid.val();
        self.b_valid_q.d.next = self.b_valid.val();
        self.ret_mis_q.d.next = self.return_mismatch.val();
        self.tmo_on.d.next = self.timeout.val() != 0;
        self.tmo_one.d.next = self.timeout.val() == 1;
        self.duplex.next = self.is_duplex.q.val();
        self.strict_on.next = self.duplex.val() & self.strict.val();

        // --- ingress -------------------------------------------------------------------
        // Strict: B's ready is A's, D cycles later; B's offer is checked against A's then.
        self.replay.delay.next = self.offset.val();
        // A host write into strict DUPLEX (at cycle w) starts the check afresh: CPU B's words of
        // the D cycles after it are dropped (they pair with A's words the write flushed), and
        // the check is armed from w + D + 1, the cycle of B's first word that is kept, which
        // meets A's first word after the write (w + 1) in the replay. So every word B hands
        // over in strict DUPLEX has been checked against A's offer D cycles before: a B word
        // with no A word D cycles before cannot slip into skew FIFO B unflagged (SPEC §4).
        self.to_strict.next = self.mode_set.val() & self.strict_set.val() & (self.mode_value.val() == self.m_duplex.val());
        self.arm.enable.next = self.strict_on.val() | self.to_strict.val();
        self.arm.restart.next = self.mode_set.val();
        self.arm.offset.next = self.offset.val();
        // Valid patterns: both offering → their contents are compared (below). One offering
        // alone marks the other side missing (sticky); a side already marked that offers at
        // the check again is a timing difference, registered as `strict_resume_q`. Only valid
        // bits feed these flops, none of the byte compares, so the compare path is as before.
        self.a_then.next = self.replay.data_out.val().get_bit(40);
        self.strict_keep.next =
            self.strict_on.val() & self.arm.armed.val() & !self.mode_set.val() & !self.reset.val();
        self.strict_both_q.d.next = self.arm.armed.val() & self.b_valid.val() & self.a_then.val();
        self.strict_resume_q.d.next = self.arm.armed.val()
            & ((self.strict_a_missing.q.val() & self.a_then.val())
                | (self.strict_b_missing.q.val() & self.b_valid.val()));
        self.strict_a_missing.d.next = self.strict_keep.val()
            & (self.strict_a_missing.q.val()
                | (self.b_valid.val() & !self.a_then.val() & !self.strict_b_missing.q.val()));
        self.strict_b_missing.d.next = self.strict_keep.val()
            & (self.strict_b_missing.q.val()
                | (!self.b_valid.val() & self.a_then.val() & !self.strict_a_missing.q.val()));
        self.strict_diff_q.d.next = bit_cast::<5, 1>(
            (self.b_word.val().get_bits::<8>(0) != self.replay.data_out.val().get_bits::<8>(0)).into(),
        ) | (bit_cast::<5, 1>(
            (self.b_word.val().get_bits::<8>(8) != self.replay.data_out.val().get_bits::<8>(8)).into(),
        ) << 1)
            | (bit_cast::<5, 1>(
                (self.b_word.val().get_bits::<8>(16) != self.replay.data_out.val().get_bits::<8>(16)).into(),
            ) << 2)
            | (bit_cast::<5, 1>(
                (self.b_word.val().get_bits::<8>(24) != self.replay.data_out.val().get_bits::<8>(24)).into(),
            ) << 3)
            | (bit_cast::<5, 1>(
                (self.b_word.val().get_bits::<2>(36) != self.replay.data_out.val().get_bits::<2>(36)).into(),
            ) << 4);
        // SPEC §4: a word with a parity error is its side's, never a mismatch, at every D. A
        // corrupted word reaches this check in the cycle its port's parity error is registered
        // (`b_err_q` for B's word at t; at D = 0 `a_err_q` for A's; at D >= 1 A's error failed
        // over D cycles before its word gets here), so a parity error on either side in this
        // cycle excuses the check: that side is named and taken out. The return-link ready
        // check is excused the same way (a flipped `ready` is caught by its `rpar`). Both
        // excuses are flops, two more inputs to the OR the check already ends in.
        self.strict_bad.next = ((self.strict_both_q.q.val() & (self.strict_diff_q.q.val() != 0))
            | self.strict_resume_q.q.val()
            | (self.strict_on.val() & self.ret_mis_q.q.val()))
            & !self.a_err_q.q.val()
            & !self.b_err_q.q.val();

        // A mode written by the host starts from empty skew FIFOs: after a halt they hold the
        // pair that diverged, which must not be compared again on resuming.
        self.fifo_a.reset.next = self.reset.val()
            | self.mode_set.val()
            | self.is_simplex_b.q.val();
        self.fifo_b.reset.next = self.reset.val()
            | self.mode_set.val()
            | self.is_simplex_a.q.val();
        self.a_ready.next = false;
        self.b_ready_run.next = false;
        if self.is_simplex_a.q.val() {
            self.a_ready.next = self.fifo_a.in_ready.val();
            self.b_ready_run.next = true;
        } else if self.is_simplex_b.q.val() {
            self.a_ready.next = true;
            self.b_ready_run.next = self.fifo_b.in_ready.val();
        } else if !self.is_halted.q.val() {
            self.a_ready.next = self.fifo_a.in_ready.val();
            if self.strict_on.val() {
                // At OFFSET 0 the replay is a wire and its bit 39 is `a_ready` of this very
                // cycle, i.e. skew FIFO A's `in_ready`: taken from that flop directly, so CPU
                // B's ready does not wait for A's mode selects and the line's output mux.
                if self.replay.direct.val() {
                    self.b_ready_run.next = self.fifo_a.in_ready.val() & self.fifo_b.in_ready.val();
                } else {
                    self.b_ready_run.next = self.replay.data_out.val().get_bit(39) & self.fifo_b.in_ready.val();
                }
            } else {
                self.b_ready_run.next = self.fifo_b.in_ready.val();
            }
        }
        self.b_ready.next = self.b_ready_run.val();
        // Nothing is taken in the cycle the FIFOs are emptied, so nothing taken is lost. Into
        // strict DUPLEX CPU B's ready stays CPU A's of D cycles before, as strict lockstep
        // promises, and B's words of the next D cycles are dropped with the A words they pair
        // with (flushed from skew FIFO A).
        if self.b_dropping.q.val() {
            self.b_drop.d.next = self.b_drop.q.val() - 1;
            self.b_dropping.d.next = self.b_drop.q.val() != 1;
        }
        if self.mode_set.val() {
            self.a_ready.next = false;
            // (At OFFSET 0 the replay's bit 39 is A's ready now, held low just above.)
            self.b_ready.next = self.to_strict.val() & !self.replay.direct.val() & self.replay.data_out.val().get_bit(39);
            self.b_drop.d.next = 0.into();
            self.b_dropping.d.next = false;
            if self.to_strict.val() {
                self.b_drop.d.next = self.offset.val();
                self.b_dropping.d.next = self.offset.val() != 0;
            }
        }
        // Record A's port as it really is (after the override above): in Verilog a read of
        // `a_ready` before the override would see the earlier value, unlike the simulator.
        // Only what the strict check compares is kept (data, last, abort): A's parity bits and
        // its link checker's `perr` would put the parity tree in front of the RAM's write.
        self.replay.data_in.next = (bit_cast::<41, 40>(self.a_word.val()) & 0x30_FFFF_FFFF_u64)
            | (bit_cast::<41, 1>(self.a_ready.val().into()) << 39)
            | (bit_cast::<41, 1>(self.a_valid.val().into()) << 40);
        // Hardened: the `last`/`abort` check folded into parity bit 3 (`fold_check`).
        self.a_in.next = self.a_word.val();
        self.b_in.next = self.b_word.val();
        if self.harden.val() {
            self.a_in.next = self.a_word.val()
                ^ (bit_cast::<40, 1>((self.a_word.val().get_bit(36) ^ self.a_word.val().get_bit(37)).into()) << 35);
            self.b_in.next = self.b_word.val()
                ^ (bit_cast::<40, 1>((self.b_word.val().get_bit(36) ^ self.b_word.val().get_bit(37)).into()) << 35);
        }
        self.fifo_a.in_valid.next = self.a_valid.val() & self.a_ready.val();
        self.fifo_a.in_data.next = self.a_in.val();
        // B's ready as it is outside a mode write (in one, nothing is taken): the mode write's
        // override of `b_ready` stays off skew FIFO B's push.
        self.fifo_b.in_valid.next =
            self.b_valid.val() & self.b_ready_run.val() & !self.mode_set.val() & !self.b_dropping.q.val();
        self.fifo_b.in_data.next = self.b_in.val();

        // --- comparator ------------------------------------------------------------------
        self.both.next = self.fifo_a.out_valid.val() & self.fifo_b.out_valid.val();
        self.head_perr_a.next = self.fifo_a.out_data.val().get_bit(38);
        self.head_perr_b.next = self.fifo_b.out_data.val().get_bit(38);
        self.differ.next = (self.fifo_a.out_data.val().get_bits::<32>(0)
            != self.fifo_b.out_data.val().get_bits::<32>(0))
            | (self.fifo_a.out_data.val().get_bit(36) != self.fifo_b.out_data.val().get_bit(36))
            | (self.fifo_a.out_data.val().get_bit(37) != self.fifo_b.out_data.val().get_bit(37));

        // --- timeout --------------------------------------------------------------------------
        // `near_x` is registered: it says the counter would reach TIMEOUT this cycle, so the
        // 32-bit compare is off the commit path. Elastic: a side "offers none" when it had no
        // word at its port last cycle (registered) and none in its skew FIFO, while the other
        // has one in its FIFO. Strict: a side counts while it is marked missing — the other
        // side's word it did not match is then still pending (its partner could only be a
        // later offer, which the check would have flagged), so the count runs from the cycle
        // after the check first saw the one-sided offer, whatever the sinks do.
        self.silent_a_now.next = self.tmo_on.q.val()
            & ((self.strict_on.val() & self.strict_a_missing.q.val())
                | (self.duplex.val() & !self.strict.val() & self.fifo_b.out_valid.val()
                    & !self.fifo_a.out_valid.val() & !self.a_valid_q.q.val()));
        self.silent_b_now.next = self.tmo_on.q.val()
            & ((self.strict_on.val() & self.strict_b_missing.q.val())
                | (self.duplex.val() & !self.strict.val() & self.fifo_a.out_valid.val()
                    & !self.fifo_b.out_valid.val() & !self.b_valid_q.q.val()));
        self.silent.d.next = 0.into();
        self.near.d.next = self.tmo_one.q.val();
        if self.silent_a_now.val() | self.silent_b_now.val() {
            self.silent.d.next = self.silent.q.val() + 1;
            self.near.d.next = self.silent.q.val() + 2 == self.timeout.val();
        }
        self.fault_a_timeout.next = self.silent_a_now.val() & self.near.q.val();
        self.fault_b_timeout.next = self.silent_b_now.val() & self.near.q.val();

        // --- attribution -----------------------------------------------------------------
        // A side is bad when its links carry a parity error, its word at the comparator does,
        // or it fell silent. Only the sides the current mode trusts matter.
        self.bad_a.next = self.a_err_q.q.val()
            | (self.both.val() & self.head_perr_a.val())
            | self.fault_a_timeout.val();
        self.bad_b.next = self.b_err_q.q.val()
            | (self.both.val() & self.head_perr_b.val())
            | self.fault_b_timeout.val();
        self.fault_a_parity.next = false;
        self.fault_b_parity.next = false;
        self.fault_mismatch.next = false;
        self.unattributable.next = false;
        if self.duplex.val() {
            self.fault_a_parity.next = self.a_err_q.q.val() | (self.both.val() & self.head_perr_a.val());
            self.fault_b_parity.next = self.b_err_q.q.val() | (self.both.val() & self.head_perr_b.val());
            self.fault_mismatch.next = (self.p_valid.q.val() & self.p_differ.q.val()) | self.strict_bad.val();
            self.unattributable.next =
                self.fault_mismatch.val() | (self.bad_a.val() & self.bad_b.val());
        } else if self.is_simplex_a.q.val() {
            self.fault_a_parity.next = self.a_err_q.q.val();
        } else if self.is_simplex_b.q.val() {
            self.fault_b_parity.next = self.b_err_q.q.val();
        }

        // --- the pair stage's commit (registered inputs only) -------------------------------
        self.c_valid.next = false;
        self.c_word.next = self.pa.q.val();
        if self.is_simplex_b.q.val() {
            self.c_word.next = self.pb.q.val();
        }
        if self.abort_pending.q.val() {
            self.c_valid.next = true;
            self.c_word.next = self.abort_word.val();
        } else if !self.is_halted.q.val() & !self.is_split.q.val() {
            self.c_valid.next = self.p_valid.q.val() & !(self.p_differ.q.val() & self.duplex.val());
        }
        self.c_move.next = self.c_valid.val() & self.c_ready.val();
        self.word_out.next = self.c_move.val() & !self.abort_pending.q.val();
        self.frame_out.next = self.word_out.val() & self.c_word.val().get_bit(36) & !self.c_word.val().get_bit(37);
        self.frame_aborted.next = self.c_move.val() & self.abort_pending.q.val();
        self.in_frame_next.next = self.in_frame.q.val();
        if self.c_move.val() {
            self.in_frame_next.next = !self.c_word.val().get_bit(36);
            if self.abort_pending.q.val() {
                self.abort_pending.d.next = false;
            }
        }

        // --- mode state machine ----------------------------------------------------------
        self.halt_now.next = false;
        if self.duplex.val() {
            if self.unattributable.val() | (self.policy_halt.val() & (self.bad_a.val() | self.bad_b.val())) {
                self.halt_now.next = true;
            } else if self.bad_a.val() {
                self.mode_q.d.next = self.m_simplex_b.val();
            } else if self.bad_b.val() {
                self.mode_q.d.next = self.m_simplex_a.val();
            }
        } else if self.is_simplex_a.q.val() & self.a_err_q.q.val() {
            self.halt_now.next = true;
        } else if self.is_simplex_b.q.val() & self.b_err_q.q.val() {
            self.halt_now.next = true;
        }
        if self.halt_now.val() {
            self.mode_q.d.next = self.m_halted.val();
            self.abort_pending.d.next = self.in_frame_next.val();
        }
        if self.mode_set.val() {
            self.mode_q.d.next = self.mode_value.val();
            if self.mode_value.val() == self.m_halted.val() {
                self.abort_pending.d.next = self.in_frame_next.val();
            }
        }

        // --- commit (cut-through) ----------------------------------------------------------
        // The pair stage: both heads are popped together (one head in SIMPLEX) into registers,
        // with their 40-bit comparison registered beside them, so the compare is off the
        // commit path. A pair whose heads carry a parity error is not popped: the fault
        // moves the mode and the healthy side's words stay in its FIFO. The stage commits
        // unless its pair differs (then the core halts and the pair is never sent); an
        // agreed pair still leaves in the cycle a fault is seen elsewhere. Heads are popped
        // while the skid register is empty; a pair popped when the stage cannot move waits
        // there and enters the stage next, so nothing is lost or reordered.
        self.stage_free.next = !self.abort_pending.q.val() & !self.k_valid.q.val();
        self.fifo_a.out_pop.next = false;
        self.fifo_b.out_pop.next = false;
        self.pop_pair.next = false;
        if self.duplex.val() {
            self.pop_pair.next = self.stage_free.val() & self.both.val() & !self.head_perr_a.val() & !self.head_perr_b.val();
            self.fifo_a.out_pop.next = self.pop_pair.val();
            self.fifo_b.out_pop.next = self.pop_pair.val();
        } else if self.is_simplex_a.q.val() {
            self.pop_pair.next = self.stage_free.val() & self.fifo_a.out_valid.val();
            self.fifo_a.out_pop.next = self.pop_pair.val();
        } else if self.is_simplex_b.q.val() {
            self.pop_pair.next = self.stage_free.val() & self.fifo_b.out_valid.val();
            self.fifo_b.out_pop.next = self.pop_pair.val();
        }
        // A differing pair never leaves (the core halts on it), so the stage makes room only
        // by committing.
        self.p_room.next = !self.p_valid.q.val() | (self.c_move.val() & !self.abort_pending.q.val());
        if self.k_valid.q.val() {
            if self.p_room.val() {
                self.p_valid.d.next = true;
                self.pa.d.next = self.ka.q.val();
                self.pb.d.next = self.kb.q.val();
                self.p_differ.d.next = self.k_differ.q.val();
                self.k_valid.d.next = false;
            }
        } else if self.pop_pair.val() {
            if self.p_room.val() {
                self.p_valid.d.next = true;
                self.pa.d.next = self.fifo_a.out_data.val();
                self.pb.d.next = self.fifo_b.out_data.val();
                self.p_differ.d.next = self.duplex.val() & self.differ.val();
            } else {
                self.k_valid.d.next = true;
                self.ka.d.next = self.fifo_a.out_data.val();
                self.kb.d.next = self.fifo_b.out_data.val();
                self.k_differ.d.next = self.duplex.val() & self.differ.val();
            }
        } else if self.c_move.val() & !self.abort_pending.q.val() {
            self.p_valid.d.next = false;
        }
        if self.reset.val() | self.mode_set.val() | self.halt_now.val() | self.is_halted.q.val() {
            self.p_valid.d.next = false;
            self.k_valid.d.next = false;
        }
        self.in_frame.d.next = self.in_frame_next.val();
        if self.duplex.val() & self.c_move.val() {
            self.pairs.d.next = self.pairs.q.val() + 1;
        }

        // --- SPLIT -----------------------------------------------------------------------
        self.sa_valid.next = false;
        self.sb_valid.next = false;
        self.sa_word.next = self.fifo_a.out_data.val();
        self.sb_word.next = self.fifo_b.out_data.val();
        if self.is_split.q.val() & !self.abort_pending.q.val() {
            self.sa_valid.next = self.fifo_a.out_valid.val();
            self.sb_valid.next = self.fifo_b.out_valid.val();
            self.fifo_a.out_pop.next = self.sa_ready.val();
            self.fifo_b.out_pop.next = self.sb_ready.val();
        }

        if self.reset.val() {
            self.mode_q.d.next = self.m_duplex.val();
            self.in_frame.d.next = false;
            self.abort_pending.d.next = false;
            self.pairs.d.next = 0.into();
        }
        // The one-hot flags straight from the transitions' terms (the same values as decoding
        // `mode_q.d`): the fault decision reaches them without the 3-bit choice, the mode
        // write's override and five compares behind it (the Cu's 75 MHz path).
        self.stay_duplex.next = !self.bad_a.val() & !self.bad_b.val() & !self.fault_mismatch.val();
        self.fail_to_b.next =
            self.bad_a.val() & !self.bad_b.val() & !self.fault_mismatch.val() & !self.policy_halt.val();
        self.fail_to_a.next =
            self.bad_b.val() & !self.bad_a.val() & !self.fault_mismatch.val() & !self.policy_halt.val();
        self.is_duplex.d.next = self.duplex.val() & self.stay_duplex.val();
        self.is_simplex_a.d.next = (self.is_simplex_a.q.val() & !self.a_err_q.q.val())
            | (self.duplex.val() & self.fail_to_a.val());
        self.is_simplex_b.d.next = (self.is_simplex_b.q.val() & !self.b_err_q.q.val())
            | (self.duplex.val() & self.fail_to_b.val());
        self.is_split.d.next = self.is_split.q.val();
        self.is_halted.d.next = self.is_halted.q.val() | self.halt_now.val();
        if self.mode_set.val() {
            self.is_duplex.d.next = self.mode_value.val() == self.m_duplex.val();
            self.is_simplex_a.d.next = self.mode_value.val() == self.m_simplex_a.val();
            self.is_simplex_b.d.next = self.mode_value.val() == self.m_simplex_b.val();
            self.is_split.d.next = self.mode_value.val() == self.m_split.val();
            self.is_halted.d.next = self.mode_value.val() == self.m_halted.val();
        }
        if self.reset.val() {
            self.is_duplex.d.next = true;
            self.is_simplex_a.d.next = false;
            self.is_simplex_b.d.next = false;
            self.is_split.d.next = false;
            self.is_halted.d.next = false;
        }
        self.mode.next = self.mode_q.q.val();
        self.pair_index.next = self.pairs.q.val();
        self.head_a.next = self.pa.q.val();
        self.head_b.next = self.pb.q.val();
        if self.harden.val() {
            // The capture shows the words as they came in (the check unfolded).
            self.head_a.next = self.pa.q.val()
                ^ (bit_cast::<40, 1>((self.pa.q.val().get_bit(36) ^ self.pa.q.val().get_bit(37)).into()) << 35);
            self.head_b.next = self.pb.q.val()
                ^ (bit_cast::<40, 1>((self.pb.q.val().get_bit(36) ^ self.pb.q.val().get_bit(37)).into()) << 35);
        }
        self.head_a_valid.next = self.p_valid.q.val();
        self.head_b_valid.next = self.p_valid.q.val();
        self.fill_a.next = self.fifo_a.fill.val();
        self.fill_b.next = self.fifo_b.fill.val();

        // --- hardened build: the lockstep checks its own state ---------------------------
        // Shadows take the complement of every next value. The mode register is checked
        // against its one-hot decode (exactly the decode of `mode_q`, flop for flop); the
        // comparator is duplicated (an XOR-and-reduce beside the `!=` compare) and the commit
        // decision recomputed from the shadows. Any disagreement is `internal_error`, in the
        // cycle the upset is seen.
        self.ctl_now.next = bit_cast::<32, 1>(self.p_valid.q.val().into())
            | (bit_cast::<32, 1>(self.p_differ.q.val().into()) << 1)
            | (bit_cast::<32, 1>(self.k_valid.q.val().into()) << 2)
            | (bit_cast::<32, 1>(self.k_differ.q.val().into()) << 3)
            | (bit_cast::<32, 1>(self.abort_pending.q.val().into()) << 4)
            | (bit_cast::<32, 1>(self.in_frame.q.val().into()) << 5)
            | (bit_cast::<32, 1>(self.b_dropping.q.val().into()) << 6)
            | (bit_cast::<32, 1>(self.strict_a_missing.q.val().into()) << 7)
            | (bit_cast::<32, 1>(self.strict_b_missing.q.val().into()) << 8)
            | (bit_cast::<32, OW>(self.b_drop.q.val()) << 9);
        self.ctl_next.next = bit_cast::<32, 1>(self.p_valid.d.val().into())
            | (bit_cast::<32, 1>(self.p_differ.d.val().into()) << 1)
            | (bit_cast::<32, 1>(self.k_valid.d.val().into()) << 2)
            | (bit_cast::<32, 1>(self.k_differ.d.val().into()) << 3)
            | (bit_cast::<32, 1>(self.abort_pending.d.val().into()) << 4)
            | (bit_cast::<32, 1>(self.in_frame.d.val().into()) << 5)
            | (bit_cast::<32, 1>(self.b_dropping.d.val().into()) << 6)
            | (bit_cast::<32, 1>(self.strict_a_missing.d.val().into()) << 7)
            | (bit_cast::<32, 1>(self.strict_b_missing.d.val().into()) << 8)
            | (bit_cast::<32, OW>(self.b_drop.d.val()) << 9);
        if self.harden.val() {
            self.shadow.d.next = !self.ctl_next.val() ^ (self.ctl_next.val() << 1) ^ (self.ctl_next.val() >> 1);
        }
        self.differ_chk.next =
            ((self.fifo_a.out_data.val() ^ self.fifo_b.out_data.val()) & self.compare_mask.val()).any();
        self.mode_bad.next = (self.is_duplex.q.val() != (self.mode_q.q.val() == self.m_duplex.val()))
            | (self.is_simplex_a.q.val() != (self.mode_q.q.val() == self.m_simplex_a.val()))
            | (self.is_simplex_b.q.val() != (self.mode_q.q.val() == self.m_simplex_b.val()))
            | (self.is_split.q.val() != (self.mode_q.q.val() == self.m_split.val()))
            | (self.is_halted.q.val() != (self.mode_q.q.val() == self.m_halted.val()));
        // The commit decision again, from the shadow: bits 4, 0 and 1 of the code are
        // `!abort_pending ^ in_frame ^ k_differ`, `!p_valid ^ p_differ` and
        // `!p_differ ^ p_valid ^ k_valid`; recovered with the other flags they combine.
        self.c_valid_chk.next = (!self.shadow.q.val().get_bit(4) ^ self.in_frame.q.val() ^ self.k_differ.q.val())
            | (!self.is_halted.q.val()
                & !self.is_split.q.val()
                & (!self.shadow.q.val().get_bit(0) ^ self.p_differ.q.val())
                & !((!self.shadow.q.val().get_bit(1) ^ self.p_valid.q.val() ^ self.k_valid.q.val()) & self.is_duplex.q.val()));
        self.internal_error.next = self.harden.val()
            & (self.fifo_a.internal_error.val()
                | self.fifo_b.internal_error.val()
                | self.mode_bad.val()
                | (self.shadow.q.val() != (!self.ctl_now.val() ^ (self.ctl_now.val() << 1) ^ (self.ctl_now.val() >> 1)))
                | (self.both.val() & (self.differ.val() != self.differ_chk.val()))
                | (self.c_valid.val() != self.c_valid_chk.val()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{byte_parity, control_parity, pack_word};
    use crate::testbench::{edge, low};
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use std::collections::VecDeque;

    type Ls = Lockstep<4, 4>;

    fn w(data: u32, last: bool) -> u64 {
        pack_word(data, byte_parity(data), last, false, false)
    }

    fn frames(n: usize, len: usize, base: u32) -> Vec<u64> {
        let mut v = vec![];
        for f in 0..n {
            for i in 0..len {
                v.push(w(base + (f * 100 + i) as u32, i + 1 == len));
            }
        }
        v
    }

    /// A CPU port driver: offers its queue with random gaps, SPEC §2 hold rule.
    struct Cpu {
        queue: VecDeque<u64>,
        offering: bool,
        gap_p: f64,
        start: usize,
        /// Word indices (0-based, counted as offered) whose data bit 0 is flipped, with the
        /// link checker reporting the parity error (perr set, error pulse while offered).
        parity_flip: Option<usize>,
        /// Word index whose data is changed with correct parity (a mismatch).
        content_flip: Option<usize>,
        /// (word index, cycles): stay silent for that many cycles before offering the word.
        pauses: Vec<(usize, usize)>,
        hold_until: usize,
        sent: usize,
    }

    /// A bench CPU port: what it shows the core each cycle, and what it sees of `ready`.
    trait Port {
        /// (valid, word with `perr` as the link checker packs it, the checker's parity error).
        fn drive(&mut self, cycle: usize, rng: &mut StdRng) -> (bool, u64, bool);
        fn moved(&mut self, ready: bool);
    }

    impl Cpu {
        fn new(words: Vec<u64>, gap_p: f64, start: usize) -> Self {
            Self {
                queue: words.into(),
                offering: false,
                gap_p,
                start,
                parity_flip: None,
                content_flip: None,
                pauses: vec![],
                hold_until: 0,
                sent: 0,
            }
        }
    }

    impl Port for Cpu {
        fn drive(&mut self, cycle: usize, rng: &mut StdRng) -> (bool, u64, bool) {
            if !self.offering {
                if let Some(i) = self.pauses.iter().position(|&(w, _)| w == self.sent) {
                    self.hold_until = cycle + self.pauses.remove(i).1;
                }
            }
            if !self.offering
                && cycle >= self.start
                && cycle >= self.hold_until
                && !self.queue.is_empty()
                && !rng.gen_bool(self.gap_p)
            {
                self.offering = true;
            }
            let mut word = self.queue.front().copied().unwrap_or(0);
            let mut error = false;
            if self.offering && self.parity_flip == Some(self.sent) {
                word ^= 1 | (1 << 38);
                error = true;
            }
            if self.offering && self.content_flip == Some(self.sent) {
                let data = (word as u32) ^ 0x8000_0000;
                word = pack_word(data, byte_parity(data), word >> 36 & 1 == 1, false, false);
            }
            (self.offering, word, error)
        }
        fn moved(&mut self, ready: bool) {
            if self.offering && ready {
                self.queue.pop_front();
                self.offering = false;
                self.sent += 1;
            }
        }
    }

    struct Bench<C: Port> {
        ls: Ls,
        rng: StdRng,
        a: C,
        b: C,
        out_ready_p: f64,
        committed: Vec<(usize, u64)>,
        taken_b: Vec<usize>,
        taken_a: Vec<usize>,
        faults: Vec<(usize, &'static str)>,
        cycle: usize,
    }

    impl<C: Port> Bench<C> {
        fn new(a: C, b: C, seed: u64) -> Self {
            let mut ls = Ls::default();
            ls.connect_all();
            ls.timeout.next = 256u64.into();
            Self {
                ls,
                rng: StdRng::seed_from_u64(seed),
                a,
                b,
                out_ready_p: 1.0,
                committed: vec![],
                taken_a: vec![],
                taken_b: vec![],
                faults: vec![],
                cycle: 0,
            }
        }
        fn step(&mut self) {
            let t = self.cycle;
            let (av, aw, ae) = self.a.drive(t, &mut self.rng);
            let (bv, bw, be) = self.b.drive(t, &mut self.rng);
            let ready = self.rng.gen_bool(self.out_ready_p);
            let l = &mut self.ls;
            l.a_valid.next = av;
            l.a_word.next = aw.into();
            l.a_error.next = ae;
            l.b_valid.next = bv;
            l.b_word.next = bw.into();
            l.b_error.next = be;
            l.c_ready.next = ready;
            l.sa_ready.next = true;
            l.sb_ready.next = true;
            low(l, |l| &mut l.clock);
            if l.c_valid.val() && ready {
                self.committed.push((t, l.c_word.val().to_u64()));
            }
            for (flag, name) in [
                (l.fault_a_parity.val(), "a_parity"),
                (l.fault_b_parity.val(), "b_parity"),
                (l.fault_a_timeout.val(), "a_timeout"),
                (l.fault_b_timeout.val(), "b_timeout"),
                (l.fault_mismatch.val(), "mismatch"),
            ] {
                if flag {
                    self.faults.push((t, name));
                }
            }
            if av && l.a_ready.val() {
                self.taken_a.push(t);
            }
            if bv && l.b_ready.val() {
                self.taken_b.push(t);
            }
            let (ar, br) = (l.a_ready.val(), l.b_ready.val());
            self.a.moved(ar);
            self.b.moved(br);
            edge(l, |l| &mut l.clock);
            self.cycle += 1;
        }
        fn run(&mut self, n: usize) {
            for _ in 0..n {
                self.step();
            }
        }
        fn words(&self) -> Vec<u64> {
            self.committed.iter().map(|&(_, w)| w).collect()
        }
        fn mode(&self) -> u64 {
            self.ls.mode.val().to_u64()
        }
    }

    #[test]
    fn lockstep_synthesizes() {
        let mut ls = Lockstep::<6, 4>::default();
        ls.connect_all();
        yosys_validate("ftio_lockstep", &generate_verilog(&ls)).unwrap();
    }

    /// Both CPUs at full rate: one word per cycle, and the pair taken at t is committed at t+2.
    #[test]
    fn full_rate_latency_two_through_the_lockstep() {
        let g = frames(10, 8, 0x1000);
        let mut b = Bench::new(Cpu::new(g.clone(), 0.0, 0), Cpu::new(g.clone(), 0.0, 0), 1);
        b.run(100);
        assert_eq!(b.words(), g);
        for (i, &(t, _)) in b.committed.iter().enumerate() {
            assert_eq!(t, b.taken_a[i].max(b.taken_b[i]) + 2, "word {i}");
        }
        assert_eq!(b.committed.last().unwrap().0 - b.committed[0].0 + 1, g.len(), "1 word/cycle");
        assert!(b.faults.is_empty());
        assert_eq!(b.mode(), mode::DUPLEX);
    }

    /// Random gaps on each side (skew), random back-pressure: the committed stream is the
    /// golden one exactly, and the later word of each pair decides when it leaves.
    #[test]
    fn elastic_random_skew_and_backpressure_is_exact() {
        for seed in 0..6 {
            let g = frames(20, 5, 0x2000);
            let mut b = Bench::new(Cpu::new(g.clone(), 0.3, 0), Cpu::new(g.clone(), 0.5, seed as usize * 3), seed);
            b.out_ready_p = 0.7;
            b.run(1500);
            assert_eq!(b.words(), g, "seed {seed}");
            assert!(b.faults.is_empty(), "seed {seed}: {:?}", b.faults);
            for (i, &(t, _)) in b.committed.iter().enumerate() {
                assert!(t > b.taken_a[i].max(b.taken_b[i]), "never before both words are in");
            }
        }
    }

    /// A parity error on one CPU: auto fail-over to the other, and every word of the
    /// healthy stream is committed exactly once, in order.
    #[test]
    fn parity_fault_fails_over_hitlessly() {
        for (seed, side_a, k) in [(1, true, 0), (2, true, 13), (3, false, 37), (4, false, 99), (5, true, 55)] {
            let g = frames(20, 5, 0x3000);
            let mut a = Cpu::new(g.clone(), 0.2, 0);
            let mut bb = Cpu::new(g.clone(), 0.4, 5);
            if side_a { a.parity_flip = Some(k) } else { bb.parity_flip = Some(k) }
            let mut b = Bench::new(a, bb, seed);
            b.out_ready_p = 0.8;
            b.run(1500);
            assert_eq!(b.words(), g, "seed {seed}: healthy stream intact");
            assert_eq!(b.mode(), if side_a { mode::SIMPLEX_B } else { mode::SIMPLEX_A });
            assert_eq!(b.faults[0].1, if side_a { "a_parity" } else { "b_parity" });
        }
    }

    /// A content mismatch: the disagreeing word is never sent, the frame in flight is ended
    /// with last & abort, and the core halts.
    #[test]
    fn mismatch_is_contained_and_halts() {
        let g = frames(10, 6, 0x4000);
        let mut bcpu = Cpu::new(g.clone(), 0.3, 2);
        bcpu.content_flip = Some(27); // frame 4, word 3: mid-frame
        let mut b = Bench::new(Cpu::new(g.clone(), 0.2, 0), bcpu, 9);
        b.out_ready_p = 0.6;
        b.run(600);
        let mut expect = g[..27].to_vec();
        expect.push(ABORT_WORD);
        assert_eq!(b.words(), expect);
        assert_eq!(b.mode(), mode::HALTED);
        assert_eq!(b.faults.iter().map(|f| f.1).collect::<Vec<_>>(), vec!["mismatch"]);
        // HALTED back-pressures both CPUs.
        assert!(!b.ls.a_ready.val() && !b.ls.b_ready.val());
    }

    #[test]
    fn mismatch_on_a_frame_boundary_sends_no_abort() {
        let g = frames(10, 6, 0x4000);
        let mut bcpu = Cpu::new(g.clone(), 0.0, 0);
        bcpu.content_flip = Some(24); // first word of frame 4
        let mut b = Bench::new(Cpu::new(g.clone(), 0.0, 0), bcpu, 9);
        b.run(100);
        assert_eq!(b.words(), g[..24].to_vec());
    }

    /// Detection: a mismatch is flagged in the cycle the pair reaches the pair stage — two
    /// cycles after the later word is taken.
    #[test]
    fn mismatch_detected_two_cycles_after_the_later_word_is_taken() {
        let g = frames(4, 4, 0x10);
        let mut bcpu = Cpu::new(g.clone(), 0.0, 3);
        bcpu.content_flip = Some(6);
        let mut b = Bench::new(Cpu::new(g.clone(), 0.0, 0), bcpu, 1);
        b.run(40);
        assert_eq!(b.faults, vec![(b.taken_b[6] + 2, "mismatch")]);
    }

    /// Elastic TIMEOUT: B stops after 30 words; after TIMEOUT cycles of A pending and B
    /// silent, B is named and A carries on alone with nothing lost.
    #[test]
    fn silent_side_times_out_and_the_other_carries_on() {
        let g = frames(10, 6, 0x5000);
        let mut b = Bench::new(Cpu::new(g.clone(), 0.0, 0), Cpu::new(g[..30].to_vec(), 0.0, 0), 2);
        b.ls.timeout.next = 20u64.into();
        b.run(200);
        assert_eq!(b.words(), g);
        assert_eq!(b.faults.len(), 1);
        assert_eq!(b.faults[0].1, "b_timeout");
        // Pair 30 sits at A's head from cycle 31 with B silent: the 20th silent cycle is 50.
        assert_eq!(b.faults[0].0, 50);
        assert_eq!(b.mode(), mode::SIMPLEX_A);
    }

    /// The same with the sides swapped: A is named at the same cycle (the two sides share
    /// one silence counter).
    #[test]
    fn silent_a_times_out_at_the_same_cycle() {
        let g = frames(10, 6, 0x5000);
        let mut b = Bench::new(Cpu::new(g[..30].to_vec(), 0.0, 0), Cpu::new(g.clone(), 0.0, 0), 2);
        b.ls.timeout.next = 20u64.into();
        b.run(200);
        assert_eq!(b.faults, vec![(50, "a_timeout")]);
        assert_eq!(b.mode(), mode::SIMPLEX_B);
        assert_eq!(b.words(), g);
    }

    /// Each side in turn falls silent for less than TIMEOUT (19 of 20 cycles): no fault, and
    /// the count starts again for every silence, whichever side it is.
    #[test]
    fn silences_shorter_than_timeout_on_either_side_never_fault() {
        let g = frames(10, 6, 0x5100);
        let mut a = Cpu::new(g.clone(), 0.0, 0);
        a.pauses = vec![(10, 19), (11, 19), (30, 19)];
        let mut bc = Cpu::new(g.clone(), 0.0, 0);
        bc.pauses = vec![(12, 19), (20, 19), (31, 19), (45, 19)];
        let mut b = Bench::new(a, bc, 2);
        b.ls.timeout.next = 20u64.into();
        b.run(600);
        assert!(b.faults.is_empty(), "{:?}", b.faults);
        assert_eq!(b.mode(), mode::DUPLEX);
        assert_eq!(b.words(), g);
    }

    #[test]
    fn halt_policy_halts_on_an_attributable_fault() {
        let g = frames(10, 6, 0x6000);
        let mut a = Cpu::new(g.clone(), 0.0, 0);
        a.parity_flip = Some(20);
        let mut b = Bench::new(a, Cpu::new(g.clone(), 0.0, 0), 3);
        b.ls.policy_halt.next = true;
        b.run(100);
        assert_eq!(b.mode(), mode::HALTED);
        let words = b.words();
        assert_eq!(*words.last().unwrap(), ABORT_WORD, "frame 3 was in flight");
        assert_eq!(&words[..words.len() - 1], &g[..words.len() - 1]);
        assert!(words.len() - 1 <= 20);
    }

    /// Strict: B's ready is A's delayed by D, and B offering exactly A's pattern D cycles
    /// later is clean; B one cycle late is a mismatch.
    #[test]
    fn strict_offset_ready_replay_and_timing_check() {
        for d in [0usize, 1, 3, 9] {
            let g = frames(8, 5, 0x7000);
            let mut b = Bench::new(Cpu::new(g.clone(), 0.0, 0), Cpu::new(g.clone(), 0.0, d), 4);
            b.ls.strict.next = true;
            b.ls.offset.next = (d as u64).into();
            b.run(120);
            assert!(b.faults.is_empty(), "D={d}: {:?}", b.faults);
            assert_eq!(b.words(), g);
            let shifted: Vec<usize> = b.taken_a.iter().map(|t| t + d).collect();
            assert_eq!(b.taken_b, shifted, "D={d}: B's words move exactly D cycles after A's");
        }
        let g = frames(8, 5, 0x7000);
        let mut b = Bench::new(Cpu::new(g.clone(), 0.0, 0), Cpu::new(g.clone(), 0.0, 4), 4);
        b.ls.strict.next = true;
        b.ls.offset.next = 3u64.into();
        b.run(60);
        assert_eq!(b.faults.first().map(|f| f.1), Some("mismatch"), "B a cycle late");
        assert_eq!(b.mode(), mode::HALTED);
    }

    /// Strict lockstep entered by a host write (CTRL: DUPLEX, strict; at cycle w = 1, `strict`
    /// following at w + 1, as the register file does), then CPU A sends from w + 2. CPU B
    /// exactly D cycles behind A is clean and moves each word exactly D cycles after A. CPU B
    /// one cycle early — its first word at w + D + 1, where A offered nothing D cycles before
    /// — is a timing difference (SPEC §4): A is marked missing at that check, A's first word
    /// one cycle later is the marked side offering again, so MISMATCH at w + D + 3 and HALTED.
    /// The words are all alike, so only the timing check can see it (the
    /// formal proof `lockstep_strict_ready` found B's extra word taken unchecked in the first
    /// cycle of the check, the stream one word ahead from then on).
    #[test]
    fn strict_timing_is_checked_from_the_first_kept_word_after_the_write() {
        let g = vec![w(0x5A5A_0001, false); 8];
        for d in [0usize, 1, 4, 15] {
            for early in [false, true] {
                let b_start = 3 + d - early as usize;
                let mut b = Bench::new(Cpu::new(g.clone(), 0.0, 3), Cpu::new(g.clone(), 0.0, b_start), 7);
                b.ls.offset.next = (d as u64).into();
                b.step(); // cycle 0: elastic DUPLEX
                b.ls.mode_set.next = true;
                b.ls.mode_value.next = mode::DUPLEX.into();
                b.ls.strict_set.next = true;
                b.step(); // cycle 1: the write
                b.ls.mode_set.next = false;
                b.ls.strict_set.next = false;
                b.ls.strict.next = true;
                b.run(30 + d);
                let case = format!("D={d} early={early}");
                if early {
                    assert_eq!(b.faults, vec![(4 + d, "mismatch")], "{case}");
                    assert_eq!(b.mode(), mode::HALTED, "{case}");
                    // Only agreed pairs leave: at D >= 1 A's first word (taken at w + 2) still
                    // pairs with B's, also taken at w + 2, and leaves in the cycle of the
                    // mismatch; the frame in flight is then ended with the abort word.
                    let words = b.words();
                    let n = words.len().saturating_sub(1);
                    assert!(words.is_empty() || (words[n] == ABORT_WORD && words[..n] == g[..n]), "{case}: {words:x?}");
                    if d == 0 {
                        assert!(words.is_empty(), "{case}: {words:x?}");
                    }
                } else {
                    assert!(b.faults.is_empty(), "{case}: {:?}", b.faults);
                    assert_eq!(b.words(), g, "{case}");
                    let shifted: Vec<usize> = b.taken_a.iter().map(|t| t + d).collect();
                    assert_eq!(b.taken_b, shifted, "{case}: B's words move exactly D cycles after A's");
                }
            }
        }
    }

    #[test]
    fn split_forwards_each_side_separately() {
        let ga = frames(5, 4, 0xA000);
        let gb = frames(5, 4, 0xB000);
        let mut b = Bench::new(Cpu::new(ga.clone(), 0.2, 0), Cpu::new(gb.clone(), 0.5, 0), 5);
        b.ls.mode_set.next = true;
        b.ls.mode_value.next = mode::SPLIT.into();
        b.step();
        b.ls.mode_set.next = false;
        let mut sa = vec![];
        let mut sb = vec![];
        for _ in 0..200 {
            low(&mut b.ls, |l| &mut l.clock);
            if b.ls.sa_valid.val() {
                sa.push(b.ls.sa_word.val().to_u64());
            }
            if b.ls.sb_valid.val() {
                sb.push(b.ls.sb_word.val().to_u64());
            }
            b.step();
        }
        assert_eq!(sa, ga);
        assert_eq!(sb, gb);
        assert!(b.committed.is_empty());
    }

    /// A single fault on one CPU's link, acting at its pins (before the link checker).
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Fault {
        /// Flipped for every cycle word k is offered: data bit 0 (parity left as sent), `par`
        /// bit 0, `last`, `abort` or `cpar`.
        Data(usize),
        Par(usize),
        Last(usize),
        Abort(usize),
        Cpar(usize),
        /// `valid` low at the pins for every cycle the source offers word k (`cpar` as the
        /// source drove it): a word the source moves meanwhile is lost to the core.
        Valid(usize),
        /// At the first cycle from this one in which the source offers nothing: `valid` high
        /// (a word from nowhere, data 0 with good `par`) or `cpar` flipped.
        IdleValid(usize),
        IdleCpar(usize),
        /// Word k's data changed with good parity: a mismatch nothing can attribute.
        Change(usize),
        /// The injector's "hold silent" from the cycle the source first offers word k, for n
        /// cycles: the pins show an idle link (correct `cpar`) and the source sees `ready` low.
        Silent(usize, usize),
    }

    /// A CPU whose gaps are a function of its own cycle count from its start (seeded), so the
    /// same program started D cycles later, under a `ready` delayed by D, makes exactly the
    /// same moves D cycles later: a strict-lockstep pair. Its fault acts at its pins.
    struct LinkCpu {
        queue: VecDeque<u64>,
        start: usize,
        gap_p: f64,
        seed: u64,
        fault: Option<Fault>,
        offering: bool,
        sent: usize,
        /// The cycle the source first offered each word (silenced or not).
        first_offer: Vec<usize>,
        silent_until: Option<usize>,
        silenced: bool,
        idle_fault_done: bool,
        /// First cycle the pins were corrupted (or silenced).
        fault_at: Option<usize>,
        /// Cycles the faulty word was offered with `ready` low.
        fault_held: usize,
        /// Words offered with `ready` low in some cycle.
        held: Vec<usize>,
    }

    impl LinkCpu {
        fn new(words: Vec<u64>, gap_p: f64, start: usize, seed: u64) -> Self {
            Self {
                queue: words.into(),
                start,
                gap_p,
                seed,
                fault: None,
                offering: false,
                sent: 0,
                first_offer: vec![],
                silent_until: None,
                silenced: false,
                idle_fault_done: false,
                fault_at: None,
                fault_held: 0,
                held: vec![],
            }
        }
        /// A gap at this cycle of the program: a hash of (seed, local cycle).
        fn gap(&self, local: usize) -> bool {
            let mut x = self.seed ^ (local as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^= x >> 31;
            (x >> 11) as f64 / (1u64 << 53) as f64 <= self.gap_p
        }
        fn on_word(&self) -> Option<Fault> {
            self.fault.filter(|f| match *f {
                Fault::Data(k) | Fault::Par(k) | Fault::Last(k) | Fault::Abort(k) | Fault::Cpar(k) | Fault::Valid(k) | Fault::Change(k) => {
                    self.offering && self.sent == k
                }
                _ => false,
            })
        }
    }

    impl Port for LinkCpu {
        fn drive(&mut self, cycle: usize, _rng: &mut StdRng) -> (bool, u64, bool) {
            if !self.offering && cycle >= self.start && !self.queue.is_empty() && !self.gap(cycle - self.start) {
                self.offering = true;
                self.first_offer.push(cycle);
            }
            if let Some(Fault::Silent(k, n)) = self.fault {
                if self.offering && self.sent == k && self.silent_until.is_none() {
                    self.silent_until = Some(cycle.saturating_add(n));
                    self.fault_at = Some(cycle);
                }
            }
            self.silenced = matches!(self.silent_until, Some(u) if cycle < u);
            let (mut valid, mut data, mut last, mut abort) = (false, 0u32, false, false);
            if self.offering {
                let w = *self.queue.front().unwrap();
                valid = true;
                data = w as u32;
                last = w >> 36 & 1 == 1;
                abort = w >> 37 & 1 == 1;
            }
            let mut par = byte_parity(data);
            let mut cpar = control_parity(valid, last, abort);
            let mut hit = true;
            match self.on_word() {
                Some(Fault::Data(_)) => data ^= 1,
                Some(Fault::Par(_)) => par ^= 1,
                Some(Fault::Last(_)) => last = !last,
                Some(Fault::Abort(_)) => abort = !abort,
                Some(Fault::Cpar(_)) => cpar = !cpar,
                Some(Fault::Valid(_)) => valid = false,
                Some(Fault::Change(_)) => {
                    data ^= 0x8000_0000;
                    par = byte_parity(data);
                }
                _ => hit = false,
            }
            if !self.offering && cycle >= self.start && !self.idle_fault_done {
                match self.fault {
                    Some(Fault::IdleValid(c)) if cycle >= c => {
                        valid = true;
                        self.idle_fault_done = true;
                        hit = true;
                    }
                    Some(Fault::IdleCpar(c)) if cycle >= c => {
                        cpar = !cpar;
                        self.idle_fault_done = true;
                        hit = true;
                    }
                    _ => {}
                }
            }
            if hit && self.fault_at.is_none() {
                self.fault_at = Some(cycle);
            }
            if self.silenced {
                (valid, last, abort) = (false, false, false);
                cpar = control_parity(false, false, false);
            }
            // The link checker (SPEC §2): byte parity of an offered word, `cpar` every cycle.
            let error = (valid && byte_parity(data) != par) || cpar != control_parity(valid, last, abort);
            (valid, pack_word(data, par, last, abort, error), error)
        }
        fn moved(&mut self, ready: bool) {
            let ready = ready && !self.silenced;
            if self.offering && !ready && self.on_word().is_some() {
                self.fault_held += 1;
            }
            if self.offering && !ready && self.held.last() != Some(&self.sent) {
                self.held.push(self.sent);
            }
            if self.offering && ready {
                self.queue.pop_front();
                self.offering = false;
                self.sent += 1;
            }
        }
    }

    const STRICT_TIMEOUT: u64 = 24;

    /// A strict-lockstep pair at offset `d` (A from cycle 2, B from 2 + d, same program: six
    /// frames of five words) with `fault` on one side, run for `cycles`.
    fn strict_run(d: usize, on_a: bool, fault: Fault, out_ready_p: f64, cycles: usize) -> (Bench<LinkCpu>, Vec<u64>) {
        strict_run_frames(6, d, on_a, fault, out_ready_p, cycles)
    }

    fn strict_run_frames(n: usize, d: usize, on_a: bool, fault: Fault, out_ready_p: f64, cycles: usize) -> (Bench<LinkCpu>, Vec<u64>) {
        let g = frames(n, 5, 0x7100);
        let seed = 0x5EED_0000 + d as u64;
        let mut a = LinkCpu::new(g.clone(), 0.25, 2, seed);
        let mut b = LinkCpu::new(g.clone(), 0.25, 2 + d, seed);
        if on_a { a.fault = Some(fault) } else { b.fault = Some(fault) }
        let mut bench = Bench::new(a, b, d as u64);
        bench.out_ready_p = out_ready_p;
        bench.ls.strict.next = true;
        bench.ls.offset.next = (d as u64).into();
        bench.ls.timeout.next = STRICT_TIMEOUT.into();
        bench.run(cycles);
        (bench, g)
    }

    const STRICT_DS: [usize; 4] = [0, 1, 4, 15];

    /// SPEC §4 (strict attributes and fails over exactly as elastic): every single fault on one
    /// CPU's tx link that its link checker catches — data, `par`, `last`, `abort`, `cpar`,
    /// `valid` dropped, a `valid` or `cpar` glitch while idle — at D = 0, 1, 4 and 15 (the
    /// maximum of this 4-bit offset): that side alone is named, one cycle after its pins were
    /// corrupted, the core goes SIMPLEX on the other, and the committed stream is the healthy
    /// stream exactly (nothing lost, repeated, reordered or aborted).
    #[test]
    fn strict_parity_faults_fail_over_at_every_offset() {
        for d in STRICT_DS {
            for on_a in [true, false] {
                for fault in [
                    Fault::Data(7),
                    Fault::Par(8),
                    Fault::Last(9),
                    Fault::Abort(10),
                    Fault::Cpar(11),
                    Fault::Valid(12),
                    Fault::IdleValid(20),
                    Fault::IdleCpar(21),
                ] {
                    let (b, g) = strict_run(d, on_a, fault, 1.0, 80 + d);
                    let case = format!("D={d} {} {fault:?}", if on_a { "A" } else { "B" });
                    let faulty = if on_a { &b.a } else { &b.b };
                    let at = faulty.fault_at.unwrap_or_else(|| panic!("{case}: the fault never happened"));
                    assert_eq!(b.faults, vec![(at + 1, if on_a { "a_parity" } else { "b_parity" })], "{case}");
                    assert_eq!(b.mode(), if on_a { mode::SIMPLEX_B } else { mode::SIMPLEX_A }, "{case}");
                    assert_eq!(b.words(), g, "{case}: the healthy stream, exactly");
                }
            }
        }
    }

    /// The same with the committed stream back-pressured (ready 25 %): the skew FIFOs fill, and
    /// the faulty word is one the same run without a fault offers while `ready` is low (A's
    /// FIFO full; for B, A's ready of D cycles before), so it is offered with `ready` low
    /// (asserted).
    #[test]
    fn strict_parity_faults_on_a_stalled_word_fail_over() {
        for d in [0, 4] {
            for on_a in [true, false] {
                let (clean, _) = strict_run_frames(10, d, on_a, Fault::Data(usize::MAX), 0.25, 320);
                let held = &(if on_a { &clean.a } else { &clean.b }).held;
                let ks: Vec<usize> = held.iter().copied().filter(|&k| k >= 30).take(3).collect();
                for fault in [Fault::Data(ks[0]), Fault::Last(ks[1]), Fault::Valid(ks[2])] {
                    let (b, g) = strict_run_frames(10, d, on_a, fault, 0.25, 320);
                    let case = format!("D={d} {} {fault:?}", if on_a { "A" } else { "B" });
                    let faulty = if on_a { &b.a } else { &b.b };
                    assert!(faulty.fault_held > 0, "{case}: offered while ready was low");
                    assert_eq!(b.faults, vec![(faulty.fault_at.unwrap() + 1, if on_a { "a_parity" } else { "b_parity" })], "{case}");
                    assert_eq!(b.mode(), if on_a { mode::SIMPLEX_B } else { mode::SIMPLEX_A }, "{case}");
                    assert_eq!(b.words(), g, "{case}");
                }
            }
        }
    }

    /// Strict silence (docs/lockstep.md): a side that stops offering where the other offers
    /// (aligned by D) is marked missing at the check; it counts from the next cycle and, still
    /// silent, times out exactly TIMEOUT cycles after the check first saw B's cycle of the
    /// missing word: B's first offer of word k for either side (A silent at s shows at the check
    /// at s + D). With all sinks ready and with a back-pressured committed stream alike.
    #[test]
    fn strict_silent_side_times_out_at_the_stated_cycle() {
        for d in STRICT_DS {
            for on_a in [true, false] {
                for out_ready_p in [1.0, 0.5] {
                    let (b, g) = strict_run(d, on_a, Fault::Silent(9, usize::MAX), out_ready_p, 200);
                    let case = format!("D={d} {} ready {out_ready_p}", if on_a { "A" } else { "B" });
                    let c = b.b.first_offer[9];
                    assert_eq!(c, b.a.first_offer[9] + d, "{case}: the pair is in lockstep up to the fault");
                    let name = if on_a { "a_timeout" } else { "b_timeout" };
                    assert_eq!(b.faults, vec![(c + STRICT_TIMEOUT as usize, name)], "{case}");
                    assert_eq!(b.mode(), if on_a { mode::SIMPLEX_B } else { mode::SIMPLEX_A }, "{case}");
                    assert_eq!(b.words(), g, "{case}: the healthy stream, exactly");
                }
            }
        }
    }

    /// A silence shorter than TIMEOUT is a timing difference (SPEC §4: any difference in
    /// timing is a mismatch): when the silent side offers again at the check — the cycle after
    /// B's check of that offer — the core halts. Every word committed was agreed: the stream's
    /// first words (for CPU A at D >= 1 its late words still pair with B's, which waited for
    /// them, in the D cycles before the check sees them), then the abort word.
    #[test]
    fn strict_short_silence_is_a_mismatch() {
        for d in [0, 4] {
            for on_a in [true, false] {
                let (b, g) = strict_run(d, on_a, Fault::Silent(9, 5), 1.0, 100);
                let case = format!("D={d} {}", if on_a { "A" } else { "B" });
                // The silenced side offers word 9 again 5 cycles after it first did; at the
                // check that is B's first offer of word 9 + 5 (A's comes D cycles later there).
                let resumed = b.b.first_offer[9] + 5;
                assert_eq!(b.faults, vec![(resumed + 1, "mismatch")], "{case}");
                assert_eq!(b.mode(), mode::HALTED, "{case}");
                let words = b.words();
                let n = words.len() - 1;
                assert!(n >= 9 && words[..n] == g[..n], "{case}: words 0-8 and then agreed ones only: {words:x?}");
                assert!(g[n - 1] >> 36 & 1 == 0, "{case}: a frame was in flight");
                assert_eq!(words[n], ABORT_WORD, "{case}");
                if !on_a || d == 0 {
                    assert_eq!(n, 9, "{case}: nothing after word 8 agreed");
                }
            }
        }
    }

    /// A content difference with clean parity still halts in strict mode, at every D and on
    /// either side: the changed word is never sent, the frame in flight is ended with the abort
    /// word, and it is flagged the cycle after B's check of it.
    #[test]
    fn strict_content_mismatch_with_clean_parity_halts() {
        for d in STRICT_DS {
            for on_a in [true, false] {
                let (b, g) = strict_run(d, on_a, Fault::Change(13), 1.0, 80 + d);
                let case = format!("D={d} {}", if on_a { "A" } else { "B" });
                assert_eq!(b.faults, vec![(b.b.first_offer[13] + 1, "mismatch")], "{case}");
                assert_eq!(b.mode(), mode::HALTED, "{case}");
                let mut expect = g[..13].to_vec();
                expect.push(ABORT_WORD);
                assert_eq!(b.words(), expect, "{case}");
            }
        }
    }
}

/// The hardened build's shadows survive synthesis (as Ibex checks for its shadow core): the
/// hardened lockstep and fabric, synthesised by yosys (`synth -flatten`), have exactly their
/// shadow bits more flip-flops than the default ones — none merged away with the flop it
/// shadows (a shadow stores the complement, which `opt_merge` cannot merge), none dropped.
#[cfg(test)]
mod shadow_synthesis {
    use super::*;
    use crate::fabric::Fabric;

    /// Flip-flop bits of a block after `synth -flatten` (yosys's generic cells).
    pub(crate) fn synthesized_flops(name: &str, verilog: &str) -> u64 {
        let dir = std::env::temp_dir().join(format!("ftio-shadows-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b.v"), verilog).unwrap();
        let out = std::process::Command::new("yosys")
            .args(["-q", "-p", "read_verilog b.v; synth -flatten -top top; tee -o stat.txt stat"])
            .current_dir(&dir)
            .output()
            .expect("yosys on PATH");
        let stat = std::fs::read_to_string(dir.join("stat.txt")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        stat.lines()
            .filter(|l| l.contains("DFF"))
            .filter_map(|l| l.split_whitespace().last().and_then(|n| n.parse::<u64>().ok()))
            .sum()
    }

    fn flops<B: Block>(name: &str, mut b: B) -> u64 {
        b.connect_all();
        synthesized_flops(name, &generate_verilog(&b))
    }

    /// Shadow bits of one hardened `StreamFifo<6>` that are not constant: the code's bits
    /// next to a control bit that changes — head_valid, fwd_valid, stored, full and the 7
    /// bits of count (code bits 0-11), rptr (19-26), wptr (34-41).
    const FIFO_SHADOW_BITS: u64 = 12 + 8 + 8;

    #[test]
    fn hardened_shadow_flops_survive_synthesis() {
        let plain = flops("ls0", Lockstep::<6, 4>::default());
        let hard = flops("ls1", Lockstep::<6, 4>::hardened(true));
        // Two skew FIFOs, and the pair stage's code: p_valid, p_differ, k_valid, k_differ,
        // abort_pending, in_frame, b_dropping, strict_a_missing, strict_b_missing, b_drop
        // (OW = 4 bits): code bits 0-13. (Lower bound: the checks keep a few more.)
        assert!(hard - plain >= 2 * FIFO_SHADOW_BITS + 14, "lockstep: {plain} flops, hardened {hard}");
        let plain = flops("fab0", Fabric::<6, 4>::default());
        let hard = flops("fab1", Fabric::<6, 4>::hardened(true));
        // Two disk buffers, two CPU return buffers.
        assert!(hard - plain >= 4 * FIFO_SHADOW_BITS, "fabric: {plain} flops, hardened {hard}");
    }
}
