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
//!
//! The blocks, one job each (sub-modules): [`strict_check::StrictCheck`] (the strict-offset
//! check and its start after a host write), [`silence_timer::SilenceTimer`] (the TIMEOUT
//! rule), [`pair_stage::PairStage`] (comparator, pair stage and skid),
//! [`port_readies::PortReadies`] (the CPUs' `tx_ready` per mode, what enters the skew FIFOs),
//! [`commit::Commit`] (the committed stream and the frame state),
//! [`fault_decision::FaultDecision`] (attribution and the next mode, a truth table) and
//! [`self_check::SelfCheck`] (the hardened build's check of the lockstep's own state). This
//! block holds the skew FIFOs, the strict delay line, the mode register and its one-hot flags,
//! and wires the others.
use crate::delay_line::{DelayLine, ReplayArm};
use crate::fabric::mode;
use crate::link::{StreamRx, StreamTx, Word};
use crate::stream_fifo::StreamFifo;
use rust_hdl::prelude::*;
use rust_hdl::widgets::prelude::DFFWithInit;

pub mod commit;
pub mod fault_decision;
pub mod pair_stage;
pub mod port_readies;
pub mod self_check;
pub mod silence_timer;
pub mod strict_check;
use commit::Commit;
use fault_decision::FaultDecision;
use pair_stage::PairStage;
use port_readies::PortReadies;
use self_check::SelfCheck;
use silence_timer::SilenceTimer;
use strict_check::StrictCheck;

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

crate::one_way_bundle! {
    /// What the [`Lockstep`] reports each cycle: its fault pulses (each attributed to a cause),
    /// the committed stream's words and frames, and the skew FIFOs' fills. The counters take it
    /// ([`LockstepEventsIn`]); the fault causes, the capture and the registers read it.
    LockstepEvents "LockstepEvents" => LockstepEventsIn "LockstepEventsIn" {
        /// Pulse: an attributable parity fault on CPU A while it was trusted.
        fault_a_parity: Bit,
        /// Pulse: an attributable parity fault on CPU B.
        fault_b_parity: Bit,
        /// Pulse: CPU A fell silent for TIMEOUT cycles.
        fault_a_timeout: Bit,
        /// Pulse: CPU B fell silent.
        fault_b_timeout: Bit,
        /// Pulse: the two streams disagree and no parity error says who is wrong.
        fault_mismatch: Bit,
        /// Pulse: a word left on the committed stream.
        word_out: Bit,
        /// Pulse: a frame completed on the committed stream (`last` without `abort`).
        frame_out: Bit,
        /// Pulse: a frame in flight was ended with `last & abort`.
        frame_aborted: Bit,
        /// Words pending in A's skew FIFO.
        fill_a: Bits<16>,
        /// Words pending in B's skew FIFO.
        fill_b: Bits<16>,
    }
}

crate::one_way_bundle! {
    /// What the [`Lockstep`] is told: the mode command (a host write, or HALTED by the halt
    /// policy), the lockstep kind, the fail-over policy, OFFSET (its low `OW` bits are used) and
    /// TIMEOUT. [`crate::core_config::CoreConfig`] drives it ([`LockstepConfigDrive`]).
    LockstepConfigDrive "LockstepConfigDrive" => LockstepConfig "LockstepConfig" {
        /// Write CTRL.mode this cycle.
        mode_set: Bit,
        /// The mode written.
        mode_value: Bits<3>,
        /// Lockstep kind: 0 elastic, 1 strict.
        strict: Bit,
        /// A host write into strict DUPLEX this cycle: `mode_set` with `mode_value` DUPLEX and
        /// CTRL being written with lockstep = strict (`strict` follows a cycle later). From
        /// flops (CoreConfig): it overrides CPU B's `ready`.
        to_strict: Bit,
        /// Fault policy: 0 auto fail-over, 1 halt on every fault.
        policy_halt: Bit,
        /// Strict offset D.
        offset: Bits<16>,
        /// TIMEOUT in cycles (0 disables the rule).
        timeout: Bits<32>,
    }
}

#[derive(LogicBlock)]
pub struct Lockstep<const SW: usize, const OW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: power-on state (DUPLEX, FIFOs empty).
    pub reset: Signal<In, Bit>,
    /// Its configuration (from the core's CoreConfig).
    pub cfg: LockstepConfig,

    /// CPU A's words at its port (with `perr` from the link checker); `ready` is CPU A's
    /// `tx_ready`.
    pub a: StreamRx,
    /// A parity error on CPU A's links this cycle (its words, control, or return `rpar`).
    pub a_error: Signal<In, Bit>,
    /// CPU B's words; `ready` is CPU B's `tx_ready`.
    pub b: StreamRx,
    /// A parity error on CPU B's links this cycle.
    pub b_error: Signal<In, Bit>,
    /// Strict mode: CPU B's return-link ready differed from CPU A's D cycles earlier.
    pub return_mismatch: Signal<In, Bit>,

    /// The committed stream (every mode but SPLIT), to the commit gate.
    pub c: StreamTx,
    /// SPLIT: CPU A's stream.
    pub sa: StreamTx,
    /// SPLIT: CPU B's stream.
    pub sb: StreamTx,

    /// The mode now.
    pub mode: Signal<Out, Bits<3>>,
    /// What it reports each cycle (fault pulses, the committed stream's words and frames, the skew FIFOs' fills): to the counters, the fault causes and the registers.
    pub events: LockstepEvents,
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
    /// Hardened build: the lockstep found its own state inconsistent this cycle — a skew
    /// FIFO's control flop and its shadow, the pair stage's flags and their complemented
    /// shadows, the mode register and its one-hot decode, the two comparators, or the commit
    /// decision and its recomputation from the shadows disagree. Low in the default build.
    pub internal_error: Signal<Out, Bit>,

    fifo_a: StreamFifo<SW>,
    fifo_b: StreamFifo<SW>,
    replay: DelayLine<OW>,
    arm: ReplayArm<OW>,
    readies: PortReadies,
    strict_check: StrictCheck<OW>,
    silence: SilenceTimer,
    pair: PairStage,
    commit: Commit,
    decision: FaultDecision,
    /// Hardened build: the self-check and its shadow of the control flags.
    shadow: SelfCheck,
    /// The mode register (STATUS.mode).
    mode_q: DFF<Bits<3>>,
    /// The mode again, one-hot, each flag taken from the fault decision's terms: the readies,
    /// the pops and the commit start from a flop instead of a 3-bit compare.
    is_duplex: DFFWithInit<Bit>,
    is_simplex_a: DFF<Bit>,
    is_simplex_b: DFF<Bit>,
    is_split: DFF<Bit>,
    is_halted: DFF<Bit>,
    pairs: DFF<Bits<32>>,
    /// Port-side parity errors, registered: nothing from the pins reaches the commit
    /// decision in the cycle it arrives.
    a_err_q: DFF<Bit>,
    b_err_q: DFF<Bit>,
    m_halted: Constant<Bits<3>>,
    duplex: Signal<Local, Bit>,
    /// Strict DUPLEX.
    strict_on: Signal<Local, Bit>,
    /// Both skew FIFO heads are valid.
    both: Signal<Local, Bit>,
    head_perr_a: Signal<Local, Bit>,
    head_perr_b: Signal<Local, Bit>,
    /// This mode write starts strict DUPLEX.
    to_strict: Signal<Local, Bit>,
    /// Heads may be popped: no abort word to send and the skid empty.
    stage_free: Signal<Local, Bit>,
    pop_pair: Signal<Local, Bit>,
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
            cfg: Default::default(),
            a: Default::default(),
            a_error: Default::default(),
            b: Default::default(),
            b_error: Default::default(),
            return_mismatch: Default::default(),
            c: Default::default(),
            sa: Default::default(),
            sb: Default::default(),
            mode: Default::default(),
            events: Default::default(),
            pair_index: Default::default(),
            head_a: Default::default(),
            head_b: Default::default(),
            head_a_valid: Default::default(),
            head_b_valid: Default::default(),
            internal_error: Default::default(),
            fifo_a: StreamFifo::hardened(harden),
            fifo_b: StreamFifo::hardened(harden),
            replay: Default::default(),
            arm: Default::default(),
            readies: PortReadies::hardened(harden),
            strict_check: Default::default(),
            silence: Default::default(),
            pair: PairStage::hardened(harden),
            commit: Default::default(),
            decision: Default::default(),
            shadow: SelfCheck::hardened(harden),
            mode_q: Default::default(),
            is_duplex: DFFWithInit::new(true),
            is_simplex_a: Default::default(),
            is_simplex_b: Default::default(),
            is_split: Default::default(),
            is_halted: Default::default(),
            pairs: Default::default(),
            a_err_q: Default::default(),
            b_err_q: Default::default(),
            m_halted: Constant::new(mode::HALTED.to_bits()),
            duplex: Default::default(),
            strict_on: Default::default(),
            both: Default::default(),
            head_perr_a: Default::default(),
            head_perr_b: Default::default(),
            to_strict: Default::default(),
            stage_free: Default::default(),
            pop_pair: Default::default(),
        }
    }
}

impl<const SW: usize, const OW: usize> Logic for Lockstep<SW, OW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, fifo_a, fifo_b, replay, arm, strict_check, silence, pair, commit, shadow);
        dff_setup!(self, clock, mode_q, is_duplex, is_simplex_a, is_simplex_b, is_split, is_halted);
        dff_setup!(self, clock, pairs, a_err_q, b_err_q);
        self.a_err_q.d.next = self.a_error.val();
        self.b_err_q.d.next = self.b_error.val();
        self.duplex.next = self.is_duplex.q.val();
        self.strict_on.next = self.duplex.val() & self.cfg.strict.val();

        // --- strict offset: B's ready is A's D cycles later, B's offer checked against A's then
        self.replay.delay.next = self.cfg.offset.val().get_bits::<OW>(0);
        // A host write into strict DUPLEX (at cycle w) starts the check afresh: B's words of
        // the D cycles after it are dropped, and the check is armed from w + D + 1, the cycle
        // of B's first word that is kept, which meets A's first word after the write (w + 1)
        // in the replay (SPEC §4: no B word slips into skew FIFO B unchecked).
        self.to_strict.next = self.cfg.to_strict.val();
        self.arm.enable.next = self.strict_on.val() | self.to_strict.val();
        self.arm.restart.next = self.cfg.mode_set.val();
        self.arm.offset.next = self.cfg.offset.val().get_bits::<OW>(0);
        self.strict_check.reset.next = self.reset.val();
        self.strict_check.mode_set.next = self.cfg.mode_set.val();
        self.strict_check.start.next = self.to_strict.val();
        self.strict_check.offset.next = self.cfg.offset.val().get_bits::<OW>(0);
        self.strict_check.on.next = self.strict_on.val();
        self.strict_check.armed.next = self.arm.armed.val();
        self.strict_check.a_then_valid.next = self.replay.data_out.val().get_bit(40);
        self.strict_check.a_then.next = self.replay.data_out.val().get_bits::<40>(0);
        self.strict_check.b_valid.next = self.b.valid.val();
        self.strict_check.b_word.next = self.b.data.val();
        self.strict_check.return_mismatch.next = self.return_mismatch.val();
        self.strict_check.parity_error.next = self.a_err_q.q.val() | self.b_err_q.q.val();

        // --- the CPUs' readies and the skew FIFOs' inputs -----------------------------------
        // A mode written by the host starts from empty skew FIFOs: after a halt they hold the
        // pair that diverged, which must not be compared again on resuming. In SIMPLEX the
        // isolated side's FIFO is held empty and its words are taken and dropped.
        self.fifo_a.reset.next = self.reset.val() | self.cfg.mode_set.val() | self.is_simplex_b.q.val();
        self.fifo_b.reset.next = self.reset.val() | self.cfg.mode_set.val() | self.is_simplex_a.q.val();
        self.readies.simplex_a.next = self.is_simplex_a.q.val();
        self.readies.simplex_b.next = self.is_simplex_b.q.val();
        self.readies.halted.next = self.is_halted.q.val();
        self.readies.strict_on.next = self.strict_on.val();
        self.readies.mode_set.next = self.cfg.mode_set.val();
        self.readies.to_strict.next = self.to_strict.val();
        self.readies.a_room.next = self.fifo_a.in_ready.val();
        self.readies.b_room.next = self.fifo_b.in_ready.val();
        self.readies.a_ready_then.next = self.replay.data_out.val().get_bit(39);
        self.readies.offset_zero.next = self.replay.direct.val();
        self.readies.b_dropping.next = self.strict_check.b_dropping.val();
        self.readies.a_word.next = self.a.data.val();
        self.readies.b_word.next = self.b.data.val();
        self.a.ready.next = self.readies.a_ready.val();
        self.b.ready.next = self.readies.b_ready.val();
        self.fifo_a.in_valid.next = self.a.valid.val() & self.readies.a_ready.val();
        self.fifo_a.in_data.next = self.readies.a_in.val();
        self.fifo_b.in_valid.next = self.b.valid.val() & self.readies.b_take.val();
        self.fifo_b.in_data.next = self.readies.b_in.val();
        // The strict check's record of A's port as it really is (a mode write's override
        // included). Only what the check compares is kept (data, last, abort): A's parity
        // bits and its link checker's `perr` would put the parity tree in front of the RAM.
        self.replay.data_in.next = (bit_cast::<41, 40>(self.a.data.val()) & 0x30_FFFF_FFFF_u64)
            | (bit_cast::<41, 1>(self.a.ready.val().into()) << 39)
            | (bit_cast::<41, 1>(self.a.valid.val().into()) << 40);

        // --- evidence: the heads, the silence rule ---------------------------------------
        self.both.next = self.fifo_a.out_valid.val() & self.fifo_b.out_valid.val();
        self.head_perr_a.next = self.fifo_a.out_data.val().get_bit(38);
        self.head_perr_b.next = self.fifo_b.out_data.val().get_bit(38);
        self.silence.timeout.next = self.cfg.timeout.val();
        self.silence.elastic.next = self.duplex.val() & !self.cfg.strict.val();
        self.silence.strict.next = self.strict_on.val();
        self.silence.a_missing.next = self.strict_check.a_missing.val();
        self.silence.b_missing.next = self.strict_check.b_missing.val();
        self.silence.a_pending.next = self.fifo_a.out_valid.val();
        self.silence.b_pending.next = self.fifo_b.out_valid.val();
        self.silence.a_valid.next = self.a.valid.val();
        self.silence.b_valid.next = self.b.valid.val();
        self.events.fault_a_timeout.next = self.silence.a_timeout.val();
        self.events.fault_b_timeout.next = self.silence.b_timeout.val();

        // --- attribution and the next mode ---------------------------------------------------
        self.decision.mode_now.next = self.mode_q.q.val();
        self.decision.duplex.next = self.duplex.val();
        self.decision.simplex_a.next = self.is_simplex_a.q.val();
        self.decision.simplex_b.next = self.is_simplex_b.q.val();
        self.decision.split.next = self.is_split.q.val();
        self.decision.halted.next = self.is_halted.q.val();
        self.decision.a_error.next = self.a_err_q.q.val();
        self.decision.b_error.next = self.b_err_q.q.val();
        self.decision.heads_valid.next = self.both.val();
        self.decision.a_head_perr.next = self.head_perr_a.val();
        self.decision.b_head_perr.next = self.head_perr_b.val();
        self.decision.a_timeout.next = self.silence.a_timeout.val();
        self.decision.b_timeout.next = self.silence.b_timeout.val();
        self.decision.pair_differs.next = self.pair.valid.val() & self.pair.differ.val();
        self.decision.strict_mismatch.next = self.strict_check.mismatch.val();
        self.decision.policy_halt.next = self.cfg.policy_halt.val();
        self.decision.mode_set.next = self.cfg.mode_set.val();
        self.decision.mode_value.next = self.cfg.mode_value.val();
        self.decision.reset.next = self.reset.val();
        self.events.fault_a_parity.next = self.decision.fault_a_parity.val();
        self.events.fault_b_parity.next = self.decision.fault_b_parity.val();
        self.events.fault_mismatch.next = self.decision.fault_mismatch.val();
        self.mode_q.d.next = self.decision.mode_next.val();
        self.is_duplex.d.next = self.decision.duplex_next.val();
        self.is_simplex_a.d.next = self.decision.simplex_a_next.val();
        self.is_simplex_b.d.next = self.decision.simplex_b_next.val();
        self.is_split.d.next = self.decision.split_next.val();
        self.is_halted.d.next = self.decision.halted_next.val();

        // --- commit (cut-through), from the pair stage's registers ([`Commit`]) ------------
        self.commit.reset.next = self.reset.val();
        self.commit.duplex.next = self.duplex.val();
        self.commit.simplex_b.next = self.is_simplex_b.q.val();
        self.commit.split.next = self.is_split.q.val();
        self.commit.halted.next = self.is_halted.q.val();
        self.commit.pair_valid.next = self.pair.valid.val();
        self.commit.pair_differ.next = self.pair.differ.val();
        self.commit.a_word.next = self.pair.a_word.val();
        self.commit.b_word.next = self.pair.b_word.val();
        self.commit.halt.next =
            self.decision.halt_now.val() | (self.cfg.mode_set.val() & (self.cfg.mode_value.val() == self.m_halted.val()));
        self.commit.c_ready.next = self.c.ready.val();
        self.c.valid.next = self.commit.c_valid.val();
        self.c.data.next = self.commit.c_word.val();
        self.events.word_out.next = self.commit.word_out.val();
        self.events.frame_out.next = self.commit.frame_out.val();
        self.events.frame_aborted.next = self.commit.frame_aborted.val();
        if self.duplex.val() & self.commit.moved.val() {
            self.pairs.d.next = self.pairs.q.val() + 1;
        }

        // --- the pair stage: heads popped together (one head in SIMPLEX) -------------------
        // A pair whose heads carry a parity error is not popped: the fault moves the mode and
        // the healthy side's words stay in its FIFO.
        self.stage_free.next = !self.commit.abort_pending.val() & !self.pair.skid_full.val();
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
        self.pair.pop.next = self.pop_pair.val();
        self.pair.a_head.next = self.fifo_a.out_data.val();
        self.pair.b_head.next = self.fifo_b.out_data.val();
        self.pair.heads_valid.next = self.both.val();
        self.pair.compare.next = self.duplex.val();
        self.pair.leave.next = self.commit.leave.val();
        self.pair.flush.next =
            self.reset.val() | self.cfg.mode_set.val() | self.decision.halt_now.val() | self.is_halted.q.val();

        // --- SPLIT: each side's FIFO feeds its own stream, no compare -------------------------
        self.sa.valid.next = false;
        self.sb.valid.next = false;
        self.sa.data.next = self.fifo_a.out_data.val();
        self.sb.data.next = self.fifo_b.out_data.val();
        if self.is_split.q.val() & !self.commit.abort_pending.val() {
            self.sa.valid.next = self.fifo_a.out_valid.val();
            self.sb.valid.next = self.fifo_b.out_valid.val();
            self.fifo_a.out_pop.next = self.sa.ready.val();
            self.fifo_b.out_pop.next = self.sb.ready.val();
        }

        if self.reset.val() {
            self.pairs.d.next = 0.into();
        }
        self.mode.next = self.mode_q.q.val();
        self.pair_index.next = self.pairs.q.val();
        self.head_a.next = self.pair.a_sent.val();
        self.head_b.next = self.pair.b_sent.val();
        self.head_a_valid.next = self.pair.valid.val();
        self.head_b_valid.next = self.pair.valid.val();
        self.events.fill_a.next = self.fifo_a.fill.val();
        self.events.fill_b.next = self.fifo_b.fill.val();

        // --- hardened build: the lockstep checks its own state ([`SelfCheck`]) ------------
        self.shadow.ctl_now.next = bit_cast::<32, 4>(self.pair.ctl_now.val())
            | (bit_cast::<32, 2>(self.commit.ctl_now.val()) << 4)
            | (self.strict_check.ctl_now.val() << 6);
        self.shadow.ctl_next.next = bit_cast::<32, 4>(self.pair.ctl_next.val())
            | (bit_cast::<32, 2>(self.commit.ctl_next.val()) << 4)
            | (self.strict_check.ctl_next.val() << 6);
        self.shadow.mode.next = self.mode_q.q.val();
        self.shadow.duplex.next = self.is_duplex.q.val();
        self.shadow.simplex_a.next = self.is_simplex_a.q.val();
        self.shadow.simplex_b.next = self.is_simplex_b.q.val();
        self.shadow.split.next = self.is_split.q.val();
        self.shadow.halted.next = self.is_halted.q.val();
        self.shadow.c_valid.next = self.c.valid.val();
        self.shadow.parts_error.next =
            self.fifo_a.internal_error.val() | self.fifo_b.internal_error.val() | self.pair.compare_error.val();
        self.internal_error.next = self.shadow.internal_error.val();
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
            ls.cfg.timeout.next = 256u64.into();
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
            l.a.valid.next = av;
            l.a.data.next = aw.into();
            l.a_error.next = ae;
            l.b.valid.next = bv;
            l.b.data.next = bw.into();
            l.b_error.next = be;
            l.c.ready.next = ready;
            l.sa.ready.next = true;
            l.sb.ready.next = true;
            low(l, |l| &mut l.clock);
            if l.c.valid.val() && ready {
                self.committed.push((t, l.c.data.val().to_u64()));
            }
            for (flag, name) in [
                (l.events.fault_a_parity.val(), "a_parity"),
                (l.events.fault_b_parity.val(), "b_parity"),
                (l.events.fault_a_timeout.val(), "a_timeout"),
                (l.events.fault_b_timeout.val(), "b_timeout"),
                (l.events.fault_mismatch.val(), "mismatch"),
            ] {
                if flag {
                    self.faults.push((t, name));
                }
            }
            if av && l.a.ready.val() {
                self.taken_a.push(t);
            }
            if bv && l.b.ready.val() {
                self.taken_b.push(t);
            }
            let (ar, br) = (l.a.ready.val(), l.b.ready.val());
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
        assert!(!b.ls.a.ready.val() && !b.ls.b.ready.val());
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
        b.ls.cfg.timeout.next = 20u64.into();
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
        b.ls.cfg.timeout.next = 20u64.into();
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
        b.ls.cfg.timeout.next = 20u64.into();
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
        b.ls.cfg.policy_halt.next = true;
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
            b.ls.cfg.strict.next = true;
            b.ls.cfg.offset.next = (d as u64).into();
            b.run(120);
            assert!(b.faults.is_empty(), "D={d}: {:?}", b.faults);
            assert_eq!(b.words(), g);
            let shifted: Vec<usize> = b.taken_a.iter().map(|t| t + d).collect();
            assert_eq!(b.taken_b, shifted, "D={d}: B's words move exactly D cycles after A's");
        }
        let g = frames(8, 5, 0x7000);
        let mut b = Bench::new(Cpu::new(g.clone(), 0.0, 0), Cpu::new(g.clone(), 0.0, 4), 4);
        b.ls.cfg.strict.next = true;
        b.ls.cfg.offset.next = 3u64.into();
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
                b.ls.cfg.offset.next = (d as u64).into();
                b.step(); // cycle 0: elastic DUPLEX
                b.ls.cfg.mode_set.next = true;
                b.ls.cfg.mode_value.next = mode::DUPLEX.into();
                b.ls.cfg.to_strict.next = true;
                b.step(); // cycle 1: the write
                b.ls.cfg.mode_set.next = false;
                b.ls.cfg.to_strict.next = false;
                b.ls.cfg.strict.next = true;
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
        b.ls.cfg.mode_set.next = true;
        b.ls.cfg.mode_value.next = mode::SPLIT.into();
        b.step();
        b.ls.cfg.mode_set.next = false;
        let mut sa = vec![];
        let mut sb = vec![];
        for _ in 0..200 {
            low(&mut b.ls, |l| &mut l.clock);
            if b.ls.sa.valid.val() {
                sa.push(b.ls.sa.data.val().to_u64());
            }
            if b.ls.sb.valid.val() {
                sb.push(b.ls.sb.data.val().to_u64());
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
        bench.ls.cfg.strict.next = true;
        bench.ls.cfg.offset.next = (d as u64).into();
        bench.ls.cfg.timeout.next = STRICT_TIMEOUT.into();
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
    /// next to a control bit that changes — head_valid, stored, full (a constant bit 3) and
    /// the 7 bits of count (code bits 0-11), rptr (19-26), wptr (34-41).
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
