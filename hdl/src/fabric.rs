//! The switching fabric (SPEC §1, §4): connects each CPU to both I/O subsystems.
//!
//! Sources: the committed (compared) stream, CPU A's and CPU B's own streams (SPLIT), and the
//! two disks' returns. Sinks: the two disk links and the two CPU return links. The mode picks
//! the routes; words are never looked into except to compare disk returns (read-verify), and
//! parity travels through untouched so the egress checks catch a fault in here.
//!
//! Each sink has its own buffer, so one slow disk stalls the writers only once its buffer is
//! full, and in elastic lockstep each CPU drains its own copy of the returns at its own pace.
use crate::delay_line::{DelayLine, ReplayArm};
use crate::link::{StreamRx, StreamTx, Word};
use crate::lockstep::ABORT_WORD;
use crate::parity::ParityCheck;
use crate::stream_fifo::StreamFifo;
use rust_hdl::prelude::*;

/// CTRL.mode values (SPEC §4).
pub mod mode {
    pub const DUPLEX: u64 = 0;
    pub const SIMPLEX_A: u64 = 1;
    pub const SIMPLEX_B: u64 = 2;
    pub const SPLIT: u64 = 3;
    pub const HALTED: u64 = 4;
}

crate::one_way_bundle! {
    /// What the [`Fabric`] is told: the primary disk, read-verify, the lockstep kind, OFFSET (its
    /// low `OW` bits are used), DISK_TIMEOUT and the host's fault clear.
    /// [`crate::core_config::CoreConfig`] drives it ([`FabricConfigDrive`]).
    FabricConfigDrive "FabricConfigDrive" => FabricConfig "FabricConfig" {
        /// Primary disk for the return path: 0 = disk A, 1 = disk B.
        primary: Bit,
        /// Compare both disks' returns word by word.
        read_verify: Bit,
        /// Strict lockstep: CPU B's return link replays CPU A's exactly `offset` cycles later.
        strict: Bit,
        /// The strict offset D.
        offset: Bits<16>,
        /// DISK_TIMEOUT: with read-verify, a secondary that offers nothing for more than this
        /// many cycles in a row while the primary offers a word is a divergence.
        disk_timeout: Bits<32>,
        /// The host cleared the faults: a secondary put out of step by a divergence is taken to
        /// be in step again (the host clears with the disks idle).
        resync: Bit,
    }
}

/// `AW`: log2 of each sink buffer's depth. `OW`: log2 of the strict-offset range.
#[derive(LogicBlock)]
pub struct Fabric<const AW: usize, const OW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: empties the buffers.
    pub reset: Signal<In, Bit>,
    /// Operating mode (see [`mode`]).
    pub mode: Signal<In, Bits<3>>,
    /// Its configuration (from the core's CoreConfig).
    pub cfg: FabricConfig,
    /// Strict mode: CPU B's `rx_ready` differed from CPU A's D cycles earlier (a mismatch).
    pub strict_ready_mismatch: Signal<Out, Bit>,
    /// Disk A is marked failed: no writes to it, its returns are dropped.
    pub disk_a_failed: Signal<In, Bit>,
    /// Disk B is marked failed.
    pub disk_b_failed: Signal<In, Bit>,
    /// Disk A is rebuilding (the core also marks it failed, so it is out of the return path):
    /// it takes every mirrored write.
    pub disk_a_rebuilding: Signal<In, Bit>,
    /// Disk B is rebuilding.
    pub disk_b_rebuilding: Signal<In, Bit>,

    /// The committed stream (every mode but SPLIT): mirrored to every healthy disk.
    pub c: StreamRx,
    /// CPU A's own stream (SPLIT: to disk A).
    pub sa: StreamRx,
    /// CPU B's own stream (SPLIT: to disk B).
    pub sb: StreamRx,

    /// Disk A's returns.
    pub ra: StreamRx,
    /// Disk B's returns.
    pub rb: StreamRx,

    /// Disk A's buffer, toward disk A's link (`ready`: the disk side gives up the word: the
    /// disk took it, or a failed disk's buffer is emptied).
    pub da: StreamTx,
    /// Disk B's buffer.
    pub db: StreamTx,
    /// CPU A's return buffer, toward CPU A's return link (`ready`: CPU A's `rx_ready`, which
    /// strict mode also records for CPU B's comparison).
    pub ca: StreamTx,
    /// CPU B's return (in strict DUPLEX CPU A's, D cycles later).
    pub cb: StreamTx,

    /// Read-verify found the two disks' returns different (a pair differing in content or
    /// length, or the secondary silent too long): one pulse, then the secondary is out of
    /// step until `resync` or a disk failure.
    pub divergence: Signal<Out, Bit>,
    /// With `divergence`: disk A's word had a parity error (so disk A is to blame).
    pub divergence_perr_a: Signal<Out, Bit>,
    /// With `divergence`: disk B's word had a parity error.
    pub divergence_perr_b: Signal<Out, Bit>,
    /// Hardened build: the core has stopped on an internal fault: every buffer is emptied
    /// (and held empty) while it is high. The default build ignores it (`stop_now`), so its
    /// buffers are those the fabric's proof covers with `stop` left free.
    pub stop: Signal<In, Bit>,
    /// Hardened build, combinational, for the disks' egress in the same cycle: a disk
    /// buffer's control flop disagrees with its shadow, or a word offered to a disk fails
    /// its parity and `last`/`abort` check ([`crate::lockstep::fold_check`]) although it
    /// entered clean. The core must not let the offered words out in this cycle.
    pub write_error: Signal<Out, Bit>,
    /// Hardened build: a CPU return buffer's control flop disagrees with its shadow.
    pub internal_error: Signal<Out, Bit>,

    /// Hardened build: the disks' returns with the `last`/`abort` check folded in
    /// ([`crate::lockstep::fold_check`]), and CPU A's and B's return words unfolded.
    harden: Constant<Bit>,
    /// `stop`, in the hardened build only.
    stop_now: Signal<Local, Bit>,
    /// The disks' returns as they enter the fabric (hardened: the check folded in).
    ra_in: Signal<Local, Word>,
    rb_in: Signal<Local, Word>,
    m_duplex: Constant<Bits<3>>,
    m_simplex_a: Constant<Bits<3>>,
    m_simplex_b: Constant<Bits<3>>,
    m_split: Constant<Bits<3>>,
    /// The write side: disk buffers, mirroring, a failed disk offered nothing.
    write: DiskWrite<AW>,
    /// The return path: primary select, hitless fail-over, read-verify.
    returns: ReturnPath,
    /// CPU A's and CPU B's return buffers.
    buf_ca: StreamFifo<AW>,
    buf_cb: StreamFifo<AW>,
    /// CPU B's return port in strict DUPLEX: CPU A's, D cycles later.
    strict_b: StrictReplica<OW>,
    /// SPLIT: each CPU's own stream to its own disk, each disk's returns to its own CPU.
    split: Signal<Local, Bit>,
    /// The modes in which CPU A (DUPLEX, SIMPLEX_A), and CPU B (DUPLEX, SIMPLEX_B), get the
    /// primary's returns.
    to_a: Signal<Local, Bit>,
    to_b: Signal<Local, Bit>,
    /// Strict DUPLEX: CPU B's port replays CPU A's.
    replicate: Signal<Local, Bit>,
    /// Both disks healthy a cycle ago (a disk failure is the fall of `returns.both_ok`).
    both_ok_q: DFF<Bit>,
    /// Strict DUPLEX: CPU B's link has moved a word CPU A's did not, or missed one A's moved
    /// (B's `rx_ready` differed from A's D cycles earlier while the replayed word was valid).
    /// Replaying A's port any further would hand B a word twice or skip one, so B's port
    /// stays idle until the mode leaves strict DUPLEX (or the host clears the faults); B's
    /// buffer, popped only by B's own takes, then serves it from the word it is owed.
    b_unreplayed: DFF<Bit>,
}

impl<const AW: usize, const OW: usize> Default for Fabric<AW, OW> {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl<const AW: usize, const OW: usize> Fabric<AW, OW> {
    /// The fabric; with `harden`, its buffers checked (`write_error`, `internal_error`).
    pub fn hardened(harden: bool) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            mode: Default::default(),
            cfg: Default::default(),
            strict_ready_mismatch: Default::default(),
            disk_a_failed: Default::default(),
            disk_b_failed: Default::default(),
            disk_a_rebuilding: Default::default(),
            disk_b_rebuilding: Default::default(),
            c: Default::default(),
            sa: Default::default(),
            sb: Default::default(),
            ra: Default::default(),
            rb: Default::default(),
            da: Default::default(),
            db: Default::default(),
            ca: Default::default(),
            cb: Default::default(),
            divergence: Default::default(),
            divergence_perr_a: Default::default(),
            divergence_perr_b: Default::default(),
            stop: Default::default(),
            write_error: Default::default(),
            internal_error: Default::default(),
            harden: Constant::new(harden),
            stop_now: Default::default(),
            ra_in: Default::default(),
            rb_in: Default::default(),
            m_duplex: Constant::new(mode::DUPLEX.to_bits()),
            m_simplex_a: Constant::new(mode::SIMPLEX_A.to_bits()),
            m_simplex_b: Constant::new(mode::SIMPLEX_B.to_bits()),
            m_split: Constant::new(mode::SPLIT.to_bits()),
            write: DiskWrite::hardened(harden),
            returns: Default::default(),
            buf_ca: StreamFifo::hardened(harden),
            buf_cb: StreamFifo::hardened(harden),
            strict_b: Default::default(),
            split: Default::default(),
            to_a: Default::default(),
            to_b: Default::default(),
            replicate: Default::default(),
            both_ok_q: Default::default(),
            b_unreplayed: Default::default(),
        }
    }
}

impl<const AW: usize, const OW: usize> Fabric<AW, OW> {
    /// Simulation-only fault hook: flips `xor` into the head word of a sink buffer (0 disk A,
    /// 1 disk B, 2 CPU A, 3 CPU B). See [`StreamFifo::sim_corrupt_head`].
    pub fn sim_corrupt(&mut self, sink: usize, xor: u64) {
        match sink {
            0 => self.write.sim_corrupt(false, xor),
            1 => self.write.sim_corrupt(true, xor),
            2 => self.buf_ca.sim_corrupt_head(xor),
            _ => self.buf_cb.sim_corrupt_head(xor),
        }
    }
}

impl<const AW: usize, const OW: usize> Logic for Fabric<AW, OW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, write, returns, buf_ca, buf_cb, strict_b);
        dff_setup!(self, clock, both_ok_q, b_unreplayed);
        // Routes. Whatever the lockstep commits is mirrored in every mode but SPLIT: in
        // HALTED it offers only the `last & abort` word that ends a frame in flight.
        self.split.next = self.mode.val() == self.m_split.val();
        self.to_a.next = (self.mode.val() == self.m_duplex.val()) | (self.mode.val() == self.m_simplex_a.val());
        self.to_b.next = (self.mode.val() == self.m_duplex.val()) | (self.mode.val() == self.m_simplex_b.val());
        // Strict DUPLEX: CPU B's port is a replica of CPU A's (below), yet every return word
        // is written into B's buffer too, and popped as B takes its replayed copy. So B's
        // buffer always holds exactly the words B has not seen yet — those A took in the last
        // D cycles, then what A's buffer still queues — and after a fail-over to SIMPLEX_B,
        // B simply carries on from it: every word once, in order, whatever B's `rx_ready`.
        self.replicate.next = self.cfg.strict.val() & (self.mode.val() == self.m_duplex.val());
        // Hardened: the returns carry the `last`/`abort` check through the return buffers.
        self.ra_in.next = self.ra.data.val();
        self.rb_in.next = self.rb.data.val();
        if self.harden.val() {
            self.ra_in.next = self.ra.data.val()
                ^ (bit_cast::<40, 1>((self.ra.data.val().get_bit(36) ^ self.ra.data.val().get_bit(37)).into()) << 35);
            self.rb_in.next = self.rb.data.val()
                ^ (bit_cast::<40, 1>((self.rb.data.val().get_bit(36) ^ self.rb.data.val().get_bit(37)).into()) << 35);
        }
        // The default build ignores `stop`, so its buffers are those the fabric's proof
        // covers with `stop` free.
        self.stop_now.next = self.harden.val() & self.stop.val();

        // --- write side --------------------------------------------------------------------
        self.write.reset.next = self.reset.val() | self.stop_now.val();
        self.write.harden_check.next = self.harden.val();
        self.write_error.next = self.write.internal_error.val();
        self.write.split.next = self.split.val();
        self.write.disk_a_failed.next = self.disk_a_failed.val();
        self.write.disk_b_failed.next = self.disk_b_failed.val();
        self.write.disk_a_rebuilding.next = self.disk_a_rebuilding.val();
        self.write.disk_b_rebuilding.next = self.disk_b_rebuilding.val();
        StreamRx::link(&mut self.c, &mut self.write.c);
        StreamRx::link(&mut self.sa, &mut self.write.sa);
        StreamRx::link(&mut self.sb, &mut self.write.sb);
        StreamTx::link(&mut self.da, &mut self.write.da);
        StreamTx::link(&mut self.db, &mut self.write.db);

        // --- return side: the disks' returns into the CPUs' buffers ------------------------
        self.returns.reset.next = self.reset.val();
        self.returns.split.next = self.split.val();
        self.returns.to_a.next = self.to_a.val();
        self.returns.to_b.next = self.to_b.val();
        self.returns.primary.next = self.cfg.primary.val();
        self.returns.read_verify.next = self.cfg.read_verify.val();
        self.returns.disk_timeout.next = self.cfg.disk_timeout.val();
        self.returns.resync.next = self.cfg.resync.val();
        self.returns.disk_a_failed.next = self.disk_a_failed.val();
        self.returns.disk_b_failed.next = self.disk_b_failed.val();
        self.returns.both_ok_before.next = self.both_ok_q.q.val();
        self.both_ok_q.d.next = self.returns.both_ok.val();
        self.returns.ra.valid.next = self.ra.valid.val();
        self.returns.ra.data.next = self.ra_in.val();
        self.ra.ready.next = self.returns.ra.ready.val();
        self.returns.rb.valid.next = self.rb.valid.val();
        self.returns.rb.data.next = self.rb_in.val();
        self.rb.ready.next = self.returns.rb.ready.val();
        self.divergence.next = self.returns.divergence.val();
        self.divergence_perr_a.next = self.returns.divergence_perr_a.val();
        self.divergence_perr_b.next = self.returns.divergence_perr_b.val();
        self.returns.ca_room.next = self.buf_ca.in_ready.val();
        self.buf_ca.in_valid.next = self.returns.ca_in_valid.val();
        self.buf_ca.in_data.next = self.returns.ca_in_word.val();
        self.returns.cb_room.next = self.buf_cb.in_ready.val();
        self.buf_cb.in_valid.next = self.returns.cb_in_valid.val();
        self.buf_cb.in_data.next = self.returns.cb_in_word.val();
        self.buf_ca.reset.next = self.reset.val() | self.stop_now.val();
        self.buf_cb.reset.next = self.reset.val() | self.stop_now.val();
        self.internal_error.next = self.buf_ca.internal_error.val() | self.buf_cb.internal_error.val();

        // --- CPU A's return port: its buffer's head ----------------------------------------
        self.ca.valid.next = self.buf_ca.out_valid.val();
        self.ca.data.next = self.buf_ca.out_data.val();
        if self.harden.val() {
            self.ca.data.next = self.buf_ca.out_data.val()
                ^ (bit_cast::<40, 1>((self.buf_ca.out_data.val().get_bit(36) ^ self.buf_ca.out_data.val().get_bit(37)).into()) << 35);
        }
        self.buf_ca.out_pop.next = self.ca.valid.val() & self.ca.ready.val();

        // --- CPU B's return port: its own buffer's head, or in strict DUPLEX CPU A's port,
        // D cycles later -------------------------------------------------------------------
        self.strict_b.replicate.next = self.replicate.val();
        self.strict_b.offset.next = self.cfg.offset.val().get_bits::<OW>(0);
        self.strict_b.unreplayed.next = self.b_unreplayed.q.val();
        self.strict_b.a_valid.next = self.buf_ca.out_valid.val();
        self.strict_b.a_word.next = self.buf_ca.out_data.val();
        self.strict_b.a_ready.next = self.ca.ready.val();
        self.strict_b.own_valid.next = self.buf_cb.out_valid.val();
        self.strict_b.own_word.next = self.buf_cb.out_data.val();
        self.strict_b.b_ready.next = self.cb.ready.val();
        self.cb.valid.next = self.strict_b.b_valid.val();
        // (After `cb.valid`'s only assignment: the pop reads its final value.)
        self.buf_cb.out_pop.next = self.cb.valid.val() & self.cb.ready.val();
        self.cb.data.next = self.strict_b.b_word.val();
        if self.harden.val() {
            self.cb.data.next = self.strict_b.b_word.val()
                ^ (bit_cast::<40, 1>((self.strict_b.b_word.val().get_bit(36) ^ self.strict_b.b_word.val().get_bit(37)).into()) << 35);
        }
        self.strict_ready_mismatch.next = self.strict_b.ready_mismatch.val();
        self.b_unreplayed.d.next =
            self.replicate.val() & (self.b_unreplayed.q.val() | self.strict_b.moved_apart.val());
        if self.reset.val() | self.cfg.resync.val() {
            self.b_unreplayed.d.next = false;
        }
    }
}

/// The return path (SPEC §4, "Return path"): the primary disk answers (the other one if
/// the primary has failed) and its words go into the buffer of every CPU the mode serves;
/// in SPLIT each disk's returns go to its own CPU; in HALTED (and any mode CTRL does not
/// define) the disks' returns are taken and dropped.
///
/// Both disks execute the same commands, so they return the same words. While both are
/// healthy the secondary is kept in step with the primary: its words are dropped only as far
/// as the primary's have been delivered ([`SecondaryLag`]). When the primary fails, the
/// secondary first skips the words the CPUs already have, then carries on: no word lost,
/// repeated or spliced. A primary word with a parity error is held back while the secondary
/// is healthy — the primary is failed next cycle and the secondary supplies the good copy.
/// After a divergence ([`ReadVerify`]) the secondary is out of step (`stale`): not compared,
/// its words dropped as they come, and not a hitless fail-over source: a fail-over then ends
/// the CPUs' frame in flight with `last & abort` and drops the secondary up to its next frame
/// boundary ([`ReturnFrames`]), so the CPUs never get a frame spliced from two disks.
#[derive(LogicBlock)]
pub struct ReturnPath {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// SPLIT: disk A's returns to CPU A, disk B's to CPU B.
    pub split: Signal<In, Bit>,
    /// The mode gives CPU A, and CPU B, the primary's returns.
    pub to_a: Signal<In, Bit>,
    pub to_b: Signal<In, Bit>,
    /// The primary disk (0 = A), read-verify, DISK_TIMEOUT and the host's fault clear (see
    /// the [`Fabric`] ports of the same names).
    pub primary: Signal<In, Bit>,
    pub read_verify: Signal<In, Bit>,
    pub disk_timeout: Signal<In, Bits<32>>,
    pub resync: Signal<In, Bit>,
    pub disk_a_failed: Signal<In, Bit>,
    pub disk_b_failed: Signal<In, Bit>,
    /// Neither disk is failed.
    pub both_ok: Signal<Out, Bit>,
    /// `both_ok` a cycle ago (the fabric's flop: a disk failure is its fall).
    pub both_ok_before: Signal<In, Bit>,
    /// Disk A's return link (its word as it entered the fabric).
    pub ra: StreamRx,
    /// Disk B's return link.
    pub rb: StreamRx,
    /// CPU A's return buffer: it has room; the word written into it.
    pub ca_room: Signal<In, Bit>,
    pub ca_in_valid: Signal<Out, Bit>,
    pub ca_in_word: Signal<Out, Word>,
    /// CPU B's return buffer.
    pub cb_room: Signal<In, Bit>,
    pub cb_in_valid: Signal<Out, Bit>,
    pub cb_in_word: Signal<Out, Word>,
    /// Read-verify's verdict (see the [`Fabric`] ports of the same names).
    pub divergence: Signal<Out, Bit>,
    pub divergence_perr_a: Signal<Out, Bit>,
    pub divergence_perr_b: Signal<Out, Bit>,
    /// How far the secondary's returns are behind the primary's (hitless fail-over).
    sec_lag: SecondaryLag,
    /// Frame positions on the return side; what a fail-over to an out-of-step secondary owes.
    frames: ReturnFrames,
    /// Read-verify: the two disks' returns compared, the secondary's silence counted.
    check: ReadVerify,
    /// The mode serves a CPU; `drain`: it serves none and is not SPLIT (HALTED or undefined).
    returning: Signal<Local, Bit>,
    drain: Signal<Local, Bit>,
    /// The return source is disk B; its word, and the other disk's (the secondary).
    ret_from_b: Signal<Local, Bit>,
    ret_valid: Signal<Local, Bit>,
    ret_word: Signal<Local, Word>,
    sec_valid: Signal<Local, Bit>,
    sec_word: Signal<Local, Word>,
    /// The pair is compared: read-verify, both disks healthy, the secondary in step.
    verify: Signal<Local, Bit>,
    /// The return source is the secondary (the primary failed) and it still has to catch up.
    skip: Signal<Local, Bit>,
    /// The source's word may go on: no parity error, or no healthy secondary to supply it.
    ret_ok: Signal<Local, Bit>,
    /// The primary failed this cycle while the secondary was out of step.
    realign: Signal<Local, Bit>,
    /// The return source may not deliver this cycle (realigning after such a failure).
    hold_src: Signal<Local, Bit>,
    /// Every CPU that gets a copy of a return word has room for it.
    room: Signal<Local, Bit>,
    /// The source's word goes to the CPUs; the abort word goes to the CPUs.
    ret_go: Signal<Local, Bit>,
    abort_go: Signal<Local, Bit>,
    /// The source's word, and the secondary's, is consumed.
    ret_take: Signal<Local, Bit>,
    sec_take: Signal<Local, Bit>,
    abort_word: Constant<Word>,
}

impl Default for ReturnPath {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            split: Default::default(),
            to_a: Default::default(),
            to_b: Default::default(),
            primary: Default::default(),
            read_verify: Default::default(),
            disk_timeout: Default::default(),
            resync: Default::default(),
            disk_a_failed: Default::default(),
            disk_b_failed: Default::default(),
            both_ok: Default::default(),
            both_ok_before: Default::default(),
            ra: Default::default(),
            rb: Default::default(),
            ca_room: Default::default(),
            ca_in_valid: Default::default(),
            ca_in_word: Default::default(),
            cb_room: Default::default(),
            cb_in_valid: Default::default(),
            cb_in_word: Default::default(),
            divergence: Default::default(),
            divergence_perr_a: Default::default(),
            divergence_perr_b: Default::default(),
            sec_lag: Default::default(),
            frames: Default::default(),
            check: Default::default(),
            returning: Default::default(),
            drain: Default::default(),
            ret_from_b: Default::default(),
            ret_valid: Default::default(),
            ret_word: Default::default(),
            sec_valid: Default::default(),
            sec_word: Default::default(),
            verify: Default::default(),
            skip: Default::default(),
            ret_ok: Default::default(),
            realign: Default::default(),
            hold_src: Default::default(),
            room: Default::default(),
            ret_go: Default::default(),
            abort_go: Default::default(),
            ret_take: Default::default(),
            sec_take: Default::default(),
            abort_word: Constant::new(ABORT_WORD.to_bits()),
        }
    }
}

impl Logic for ReturnPath {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, sec_lag, frames, check);
        self.returning.next = self.to_a.val() | self.to_b.val();
        // HALTED (and any mode CTRL does not define): no CPU is served; the disks' returns are
        // taken and dropped so no controller is held back for good.
        self.drain.next = !self.returning.val() & !self.split.val();
        self.ret_from_b.next = (self.primary.val() & !self.disk_b_failed.val())
            | (!self.primary.val() & self.disk_a_failed.val());
        if self.ret_from_b.val() {
            self.ret_valid.next = self.rb.valid.val();
            self.ret_word.next = self.rb.data.val();
            self.sec_valid.next = self.ra.valid.val();
            self.sec_word.next = self.ra.data.val();
        } else {
            self.ret_valid.next = self.ra.valid.val();
            self.ret_word.next = self.ra.data.val();
            self.sec_valid.next = self.rb.valid.val();
            self.sec_word.next = self.rb.data.val();
        }
        self.both_ok.next = !self.disk_a_failed.val() & !self.disk_b_failed.val();
        self.verify.next = self.read_verify.val() & self.both_ok.val() & !self.sec_lag.stale.val();
        self.skip.next = (self.ret_from_b.val() != self.primary.val()) & self.sec_lag.behind.val() & !self.split.val();
        self.ret_ok.next = !self.ret_word.val().get_bit(38) | !self.both_ok.val();
        // The primary has just failed with the secondary out of step: its stream cannot be
        // joined word for word (`frames` ends the CPUs' frame and drops the secondary's).
        self.realign.next = self.both_ok_before.val()
            & !self.both_ok.val()
            & (self.ret_from_b.val() != self.primary.val())
            & self.sec_lag.stale.val();
        self.hold_src.next = self.realign.val() | self.frames.abort_due.val() | self.frames.drop_due.val();
        self.room.next = (!self.to_a.val() | self.ca_room.val()) & (!self.to_b.val() | self.cb_room.val());
        // A return word moves when every CPU that gets a copy has room, and with read-verify
        // only together with the other disk's word.
        self.ret_go.next = self.ret_valid.val()
            & self.returning.val()
            & !self.skip.val()
            & !self.hold_src.val()
            & self.ret_ok.val()
            & self.room.val()
            & (!self.verify.val() | (self.sec_valid.val() & !self.sec_lag.behind.val()));
        self.abort_go.next = self.frames.abort_due.val() & self.returning.val() & self.room.val();
        self.ret_take.next = self.ret_go.val()
            | (self.returning.val() & self.ret_valid.val() & (self.skip.val() | self.frames.drop_due.val()));
        // The secondary's word is dropped (or compared) only when it does not run ahead;
        // a failed disk's returns are always dropped so it cannot stall anything.
        self.sec_take.next = !self.both_ok.val()
            | (self.returning.val()
                & (self.ret_go.val() | (self.sec_valid.val() & (self.sec_lag.behind.val() | self.sec_lag.stale.val()))));

        self.check.verify.next = self.verify.val();
        self.check.waiting.next = self.returning.val() & self.ret_valid.val() & !self.skip.val();
        self.check.moved.next = self.ret_go.val();
        self.check.sec_valid.next = self.sec_valid.val();
        self.check.ret_word.next = self.ret_word.val();
        self.check.sec_word.next = self.sec_word.val();
        self.check.a_perr.next = self.ra.data.val().get_bit(38);
        self.check.b_perr.next = self.rb.data.val().get_bit(38);
        self.check.timeout.next = self.disk_timeout.val();
        self.divergence.next = self.check.divergence.val();
        self.divergence_perr_a.next = self.check.divergence_perr_a.val();
        self.divergence_perr_b.next = self.check.divergence_perr_b.val();

        self.sec_lag.clear.next = self.reset.val()
            | self.split.val()
            | self.drain.val()
            | self.resync.val()
            | (!self.both_ok.val() & !self.skip.val());
        self.sec_lag.skip.next = self.skip.val();
        self.sec_lag.source_taken.next = self.ret_take.val();
        self.sec_lag.delivered.next = self.ret_go.val();
        self.sec_lag.secondary_taken.next = self.sec_take.val() & self.sec_valid.val();
        self.sec_lag.divergence.next = self.check.divergence.val();
        // Frame positions: the CPUs' (a word delivered without `last` leaves a frame in
        // flight) and, while both disks are healthy, the secondary's. Dropping ends at the new
        // source's `last`, or if the primary is back (in service again, it answers: the drop
        // was meant for the other disk's stream).
        self.frames.delivered.next = self.ret_go.val();
        self.frames.source_last.next = self.ret_word.val().get_bit(36);
        self.frames.secondary_moved.next =
            self.both_ok.val() & self.sec_valid.val() & (self.sec_take.val() | self.drain.val());
        self.frames.secondary_last.next = self.sec_word.val().get_bit(36);
        self.frames.realign.next = self.realign.val();
        self.frames.abort_sent.next = self.abort_go.val();
        self.frames.drop_end.next = (self.frames.drop_due.val() & self.ret_take.val() & self.ret_word.val().get_bit(36))
            | self.both_ok.val();
        self.frames.clear.next = self.reset.val() | self.split.val() | self.drain.val();
        self.frames.clear_cpu.next = self.reset.val() | self.split.val();

        if self.split.val() {
            self.ca_in_valid.next = self.ra.valid.val();
            self.ca_in_word.next = self.ra.data.val();
            self.cb_in_valid.next = self.rb.valid.val();
            self.cb_in_word.next = self.rb.data.val();
            self.ra.ready.next = self.ca_room.val();
            self.rb.ready.next = self.cb_room.val();
        } else {
            self.ca_in_valid.next = (self.ret_go.val() | self.abort_go.val()) & self.to_a.val();
            self.cb_in_valid.next = (self.ret_go.val() | self.abort_go.val()) & self.to_b.val();
            if self.frames.abort_due.val() {
                self.ca_in_word.next = self.abort_word.val();
                self.cb_in_word.next = self.abort_word.val();
            } else {
                self.ca_in_word.next = self.ret_word.val();
                self.cb_in_word.next = self.ret_word.val();
            }
            if self.ret_from_b.val() {
                self.rb.ready.next = self.ret_take.val();
                self.ra.ready.next = self.sec_take.val();
            } else {
                self.ra.ready.next = self.ret_take.val();
                self.rb.ready.next = self.sec_take.val();
            }
            if self.drain.val() {
                self.ra.ready.next = true;
                self.rb.ready.next = true;
            }
        }
    }
}

/// Read-verify (SPEC §4): a pair of returns that differs in content, `last` or `abort` (so a
/// frame of a different length), or a secondary that offers nothing for more than
/// DISK_TIMEOUT cycles in a row while the primary offers a word, is a divergence.
///
/// Timing: the 38-bit pair compare and the silence count feed flops only (`stale`, the
/// silence count's, the core's registered DISK_DIVERGENCE); what decides a take (`ret_go`,
/// the disks' `ready`) reads only flops (`stale`, `abort_due`, `drop_due`, `both_ok_q`), so
/// the return handshake gains no compare in its path.
#[derive(LogicBlock, Default)]
pub struct ReadVerify {
    pub clock: Signal<In, Clock>,
    /// The pair is compared (read-verify on, both disks healthy, the secondary in step).
    pub verify: Signal<In, Bit>,
    /// The primary offers a word the CPUs are waiting for (not one skipped).
    pub waiting: Signal<In, Bit>,
    /// The primary's word moves to the CPUs (with the secondary's, when compared).
    pub moved: Signal<In, Bit>,
    /// The secondary offers a word.
    pub sec_valid: Signal<In, Bit>,
    /// The primary's word and the secondary's.
    pub ret_word: Signal<In, Word>,
    pub sec_word: Signal<In, Word>,
    /// Disk A's word, and disk B's, entered with a parity error.
    pub a_perr: Signal<In, Bit>,
    pub b_perr: Signal<In, Bit>,
    /// DISK_TIMEOUT.
    pub timeout: Signal<In, Bits<32>>,
    /// The disks diverge (see [`Fabric::divergence`]).
    pub divergence: Signal<Out, Bit>,
    /// With a compared pair: disk A's word had a parity error, and disk B's.
    pub divergence_perr_a: Signal<Out, Bit>,
    pub divergence_perr_b: Signal<Out, Bit>,
    /// Read-verify's silence count.
    silence: SilenceCount,
    /// The primary offers a word, read-verify waits for the secondary and it offers none.
    silent: Signal<Local, Bit>,
    /// The primary's and the secondary's words differ in data, `par`, `last` or `abort`.
    pair_differs: Signal<Local, Bit>,
}

impl Logic for ReadVerify {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, silence);
        self.silent.next = self.verify.val() & self.waiting.val() & !self.sec_valid.val();
        self.silence.silent.next = self.silent.val();
        self.silence.timeout.next = self.timeout.val();
        self.pair_differs.next = self.ret_word.val().get_bits::<38>(0) != self.sec_word.val().get_bits::<38>(0);
        self.divergence.next = (self.verify.val() & self.moved.val() & self.pair_differs.val())
            | (self.silent.val() & self.silence.over.val());
        self.divergence_perr_a.next = self.verify.val() & self.moved.val() & self.a_perr.val();
        self.divergence_perr_b.next = self.verify.val() & self.moved.val() & self.b_perr.val();
    }
}

/// The write side: the committed stream mirrored to every disk in service (healthy or
/// rebuilding), all or none; in SPLIT each CPU's own stream to its own disk. Each disk has
/// its own buffer, so a slow disk stalls the writers only once its buffer is full.
///
/// A failed disk (out of service until the host readmits it, SPEC §4) is offered nothing
/// from the cycle it is marked failed, and its buffer is emptied then: the words in it were
/// meant for a disk that is no longer trusted, and a readmitted disk must start with the
/// first word mirrored to it after it joins, never a stale one. (The core's egress ends a
/// frame the disk had half received with `last & abort`.)
#[derive(LogicBlock)]
pub struct DiskWrite<const AW: usize> {
    pub clock: Signal<In, Clock>,
    /// Empties both buffers.
    pub reset: Signal<In, Bit>,
    /// SPLIT: CPU A's stream to disk A, CPU B's to disk B; otherwise the committed stream.
    pub split: Signal<In, Bit>,
    pub disk_a_failed: Signal<In, Bit>,
    pub disk_b_failed: Signal<In, Bit>,
    pub disk_a_rebuilding: Signal<In, Bit>,
    pub disk_b_rebuilding: Signal<In, Bit>,
    pub c: StreamRx,
    pub sa: StreamRx,
    pub sb: StreamRx,
    pub da: StreamTx,
    pub db: StreamTx,
    /// Hardened build (constant): unfold and check the words offered to the disks.
    pub harden_check: Signal<In, Bit>,
    /// Hardened build: a buffer's control flop disagrees with its shadow (`head_valid`'s in
    /// the cycle it does, any other's a cycle later: `bad_da_q`), or an offered word fails
    /// its check (data parity, `last`/`abort` folded into parity bit 3) without having
    /// entered bad (`perr`).
    pub internal_error: Signal<Out, Bit>,
    buf_da: StreamFifo<AW>,
    buf_db: StreamFifo<AW>,
    /// Hardened build: disk A's buffer's shadow check (`StreamFifo::internal_error`, a wide
    /// compare) registered, so that it ends at a flop rather than in the core's `stop`. In
    /// time: of the buffer's control flops only `head_valid` changes what it offers in the
    /// cycle it is upset, and that one is checked in the same cycle (`head_error`); every
    /// other reaches the offered word or its valid only through the head register, that is
    /// in the cycle this flop holds the verdict, when `stop` already holds the word back.
    bad_da_q: DFF<Bit>,
    /// Disk B's buffer's, the same.
    bad_db_q: DFF<Bit>,
    check_a: ParityCheck,
    check_b: ParityCheck,
    want_a: Signal<Local, Bit>,
    want_b: Signal<Local, Bit>,
    /// Disk A is out of service (failed, not rebuilding): offered nothing, its buffer emptied.
    out_a: Signal<Local, Bit>,
    /// Disk B is out of service.
    out_b: Signal<Local, Bit>,
}

impl<const AW: usize> DiskWrite<AW> {
    /// The write side; with `harden`, its buffers' control flops shadowed.
    pub fn hardened(harden: bool) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            split: Default::default(),
            disk_a_failed: Default::default(),
            disk_b_failed: Default::default(),
            disk_a_rebuilding: Default::default(),
            disk_b_rebuilding: Default::default(),
            c: Default::default(),
            sa: Default::default(),
            sb: Default::default(),
            da: Default::default(),
            db: Default::default(),
            harden_check: Default::default(),
            internal_error: Default::default(),
            buf_da: StreamFifo::hardened(harden),
            buf_db: StreamFifo::hardened(harden),
            bad_da_q: Default::default(),
            bad_db_q: Default::default(),
            check_a: Default::default(),
            check_b: Default::default(),
            want_a: Default::default(),
            want_b: Default::default(),
            out_a: Default::default(),
            out_b: Default::default(),
        }
    }
}

impl<const AW: usize> Default for DiskWrite<AW> {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl<const AW: usize> Logic for DiskWrite<AW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, buf_da, buf_db);
        dff_setup!(self, clock, bad_da_q, bad_db_q);
        self.out_a.next = self.disk_a_failed.val() & !self.disk_a_rebuilding.val();
        self.out_b.next = self.disk_b_failed.val() & !self.disk_b_rebuilding.val();
        self.buf_da.reset.next = self.reset.val() | self.out_a.val();
        self.buf_db.reset.next = self.reset.val() | self.out_b.val();
        self.want_a.next = !self.split.val() & (!self.disk_a_failed.val() | self.disk_a_rebuilding.val());
        self.want_b.next = !self.split.val() & (!self.disk_b_failed.val() | self.disk_b_rebuilding.val());
        self.c.ready.next = (self.want_a.val() | self.want_b.val())
            & (!self.want_a.val() | self.buf_da.in_ready.val())
            & (!self.want_b.val() | self.buf_db.in_ready.val());
        self.sa.ready.next = self.split.val() & self.buf_da.in_ready.val();
        self.sb.ready.next = self.split.val() & self.buf_db.in_ready.val();
        if self.split.val() {
            self.buf_da.in_valid.next = self.sa.valid.val();
            self.buf_da.in_data.next = self.sa.data.val();
            self.buf_db.in_valid.next = self.sb.valid.val();
            self.buf_db.in_data.next = self.sb.data.val();
        } else {
            self.buf_da.in_valid.next = self.c.valid.val() & self.c.ready.val() & self.want_a.val();
            self.buf_da.in_data.next = self.c.data.val();
            self.buf_db.in_valid.next = self.c.valid.val() & self.c.ready.val() & self.want_b.val();
            self.buf_db.in_data.next = self.c.data.val();
        }
        self.da.valid.next = self.buf_da.out_valid.val() & !self.out_a.val();
        self.da.data.next = self.buf_da.out_data.val();
        self.buf_da.out_pop.next = self.da.valid.val() & self.da.ready.val();
        self.db.valid.next = self.buf_db.out_valid.val() & !self.out_b.val();
        self.db.data.next = self.buf_db.out_data.val();
        self.buf_db.out_pop.next = self.db.valid.val() & self.db.ready.val();
        // Hardened: the words leave with the `last`/`abort` check unfolded, and are checked
        // here, before the disks' egress, so that the core can hold back a bad one in the
        // cycle it is offered (the egress's own check reports; this one stops).
        if self.harden_check.val() {
            self.da.data.next = self.buf_da.out_data.val()
                ^ (bit_cast::<40, 1>((self.buf_da.out_data.val().get_bit(36) ^ self.buf_da.out_data.val().get_bit(37)).into()) << 35);
            self.db.data.next = self.buf_db.out_data.val()
                ^ (bit_cast::<40, 1>((self.buf_db.out_data.val().get_bit(36) ^ self.buf_db.out_data.val().get_bit(37)).into()) << 35);
        }
        self.check_a.data.next = self.da.data.val().get_bits::<32>(0);
        self.check_a.par.next = self.da.data.val().get_bits::<4>(32);
        self.check_b.data.next = self.db.data.val().get_bits::<32>(0);
        self.check_b.par.next = self.db.data.val().get_bits::<4>(32);
        self.bad_da_q.d.next = self.harden_check.val() & self.buf_da.internal_error.val();
        self.bad_db_q.d.next = self.harden_check.val() & self.buf_db.internal_error.val();
        self.internal_error.next = self.harden_check.val()
            & (self.buf_da.head_error.val()
                | self.buf_db.head_error.val()
                | self.bad_da_q.q.val()
                | self.bad_db_q.q.val()
                | (self.da.valid.val() & self.check_a.error.val() & !self.da.data.val().get_bit(38))
                | (self.db.valid.val() & self.check_b.error.val() & !self.db.data.val().get_bit(38)));
    }
}

impl<const AW: usize> DiskWrite<AW> {
    /// See [`Fabric::sim_corrupt`]: disk A's buffer (`false`) or disk B's.
    fn sim_corrupt(&mut self, disk_b: bool, xor: u64) {
        if disk_b {
            self.buf_db.sim_corrupt_head(xor)
        } else {
            self.buf_da.sim_corrupt_head(xor)
        }
    }
}

/// Read-verify's silence count, as in the disk monitor: a register counting down from
/// DISK_TIMEOUT while the secondary is `silent`, its end flagged a cycle ahead (`over`), so
/// the divergence it raises needs no wide compare.
#[derive(LogicBlock, Default)]
pub struct SilenceCount {
    pub clock: Signal<In, Clock>,
    /// The primary offers a word, read-verify waits for the secondary and it offers none.
    pub silent: Signal<In, Bit>,
    /// DISK_TIMEOUT.
    pub timeout: Signal<In, Bits<32>>,
    /// The silence has reached DISK_TIMEOUT cycles (with `silent` this cycle: a divergence).
    pub over: Signal<Out, Bit>,
    /// Silent cycles still allowed after this one.
    left: DFF<Bits<32>>,
    left_now: Signal<Local, Bits<32>>,
    /// The previous cycle was silent (`left` holds its count).
    in_silence: DFF<Bit>,
    over_q: DFF<Bit>,
}

impl Logic for SilenceCount {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, left, in_silence, over_q);
        self.left_now.next = self.timeout.val();
        if self.in_silence.q.val() {
            self.left_now.next = self.left.q.val();
        }
        if self.silent.val() {
            self.in_silence.d.next = true;
            self.left.d.next = 0.into();
            if self.left_now.val() != 0 {
                self.left.d.next = self.left_now.val() - 1;
            }
            self.over_q.d.next = self.left_now.val().get_bits::<31>(1) == 0;
        } else {
            self.in_silence.d.next = false;
            self.over_q.d.next = self.timeout.val() == 0;
        }
        self.over.next = self.over_q.q.val();
    }
}

/// How far the secondary disk's returns are behind the primary's while both are healthy:
/// the return words the primary delivered that the secondary has not yet matched. After a
/// fail-over of the primary the secondary skips exactly this many (hitless). After a
/// divergence, or when the count would overflow, the secondary is `stale`: out of step, no
/// longer tracked word for word.
#[derive(LogicBlock)]
pub struct SecondaryLag {
    pub clock: Signal<In, Clock>,
    /// Back in step, nothing owed (reset, SPLIT, HALTED, the host's clear, or a disk failed
    /// with nothing left to skip).
    pub clear: Signal<In, Bit>,
    /// The secondary is the return source now and skips the words the CPUs already have.
    pub skip: Signal<In, Bit>,
    /// The return source's word was consumed (delivered or skipped).
    pub source_taken: Signal<In, Bit>,
    /// The primary's word was delivered to the CPUs.
    pub delivered: Signal<In, Bit>,
    /// The secondary's word was consumed.
    pub secondary_taken: Signal<In, Bit>,
    /// Read-verify found the disks different.
    pub divergence: Signal<In, Bit>,
    /// Words still to skip (and the secondary in step).
    pub behind: Signal<Out, Bit>,
    /// The secondary is out of step.
    pub stale: Signal<Out, Bit>,
    lag: DFF<Bits<24>>,
    stale_q: DFF<Bit>,
    lag_max: Constant<Bits<24>>,
}

impl Default for SecondaryLag {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            clear: Default::default(),
            skip: Default::default(),
            source_taken: Default::default(),
            delivered: Default::default(),
            secondary_taken: Default::default(),
            divergence: Default::default(),
            behind: Default::default(),
            stale: Default::default(),
            lag: Default::default(),
            stale_q: Default::default(),
            lag_max: Constant::new(0xFF_FFFF_u64.to_bits()),
        }
    }
}

impl Logic for SecondaryLag {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, lag, stale_q);
        if self.clear.val() {
            self.lag.d.next = 0.into();
            self.stale_q.d.next = false;
        } else if self.skip.val() {
            if self.source_taken.val() {
                self.lag.d.next = self.lag.q.val() - 1;
            }
        } else if !self.stale_q.q.val() {
            // The count moves whether or not read-verify finds this pair different: once
            // `stale` it is read by nothing until `clear` zeroes it, so its enable need not
            // wait for the 38-bit compare (the return path's forward chain).
            if self.delivered.val() & !self.secondary_taken.val() {
                if self.lag.q.val() == self.lag_max.val() {
                    self.stale_q.d.next = true;
                } else {
                    self.lag.d.next = self.lag.q.val() + 1;
                }
            }
            if !self.delivered.val() & self.secondary_taken.val() {
                self.lag.d.next = self.lag.q.val() - 1;
            }
            if self.divergence.val() {
                // The disks disagree: the secondary's words no longer stand for the primary's.
                self.stale_q.d.next = true;
            }
        }
        self.behind.next = (self.lag.q.val() != 0) & !self.stale_q.q.val();
        self.stale.next = self.stale_q.q.val();
    }
}

/// Frame positions on the return side, and what a fail-over to an out-of-step secondary
/// owes: the CPUs' frame in flight is ended with `last & abort` (`abort_due`) and the new
/// source is dropped up to its next frame boundary (`drop_due`) before it answers, so the
/// CPUs never get a frame spliced from two disks.
#[derive(LogicBlock, Default)]
pub struct ReturnFrames {
    pub clock: Signal<In, Clock>,
    /// A return word went to the CPUs.
    pub delivered: Signal<In, Bit>,
    /// The return source's word is a `last`.
    pub source_last: Signal<In, Bit>,
    /// Both disks healthy and the secondary's word consumed.
    pub secondary_moved: Signal<In, Bit>,
    /// The secondary's word is a `last`.
    pub secondary_last: Signal<In, Bit>,
    /// The primary failed this cycle with the secondary out of step.
    pub realign: Signal<In, Bit>,
    /// The abort word went to the CPUs.
    pub abort_sent: Signal<In, Bit>,
    /// The dropping ends (the new source's `last` consumed, or both disks healthy again).
    pub drop_end: Signal<In, Bit>,
    /// Nothing owed, no frame position (reset, SPLIT, HALTED).
    pub clear: Signal<In, Bit>,
    /// No CPU frame in flight (reset, SPLIT).
    pub clear_cpu: Signal<In, Bit>,
    /// The CPUs are owed a `last & abort` word.
    pub abort_due: Signal<Out, Bit>,
    /// The new return source is dropped up to and including its next `last` word.
    pub drop_due: Signal<Out, Bit>,
    /// The CPUs' frame in flight: the last word delivered to them had no `last`.
    ret_mid: DFF<Bit>,
    /// The secondary's stream is inside a frame (its last word consumed had no `last`).
    sec_mid: DFF<Bit>,
    abort_q: DFF<Bit>,
    drop_q: DFF<Bit>,
}

impl Logic for ReturnFrames {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, ret_mid, sec_mid, abort_q, drop_q);
        if self.delivered.val() {
            self.ret_mid.d.next = !self.source_last.val();
        }
        if self.secondary_moved.val() {
            self.sec_mid.d.next = !self.secondary_last.val();
        }
        if self.realign.val() {
            self.abort_q.d.next = self.ret_mid.q.val();
            self.drop_q.d.next = self.sec_mid.q.val();
        }
        if self.abort_sent.val() {
            self.abort_q.d.next = false;
            self.ret_mid.d.next = false;
        }
        if self.drop_end.val() {
            self.drop_q.d.next = false;
        }
        if self.clear.val() {
            self.abort_q.d.next = false;
            self.drop_q.d.next = false;
            self.sec_mid.d.next = false;
        }
        if self.clear_cpu.val() {
            self.ret_mid.d.next = false;
        }
        self.abort_due.next = self.abort_q.q.val();
        self.drop_due.next = self.drop_q.q.val();
    }
}

/// Strict DUPLEX, CPU B's return port: a replica of CPU A's, D cycles later. CPU A's port is
/// recorded every cycle — valid, word, and its ready in the reserved word bit 39 — and
/// played to CPU B D cycles later. A's `valid` is recorded only while the replica is in use:
/// entering strict DUPLEX, CPU B (served from its own buffer until then, in step with A)
/// sees nothing for D cycles, then A's port from the first strict cycle on — never a word it
/// already took before the switch. Outside strict DUPLEX B's port is its own buffer's.
#[derive(LogicBlock, Default)]
pub struct StrictReplica<const OW: usize> {
    pub clock: Signal<In, Clock>,
    /// Strict DUPLEX.
    pub replicate: Signal<In, Bit>,
    /// D.
    pub offset: Signal<In, Bits<OW>>,
    /// CPU B's link moved apart from CPU A's (the fabric's `b_unreplayed`): B's port idle.
    pub unreplayed: Signal<In, Bit>,
    /// CPU A's return port: its buffer's head, and CPU A's `rx_ready`.
    pub a_valid: Signal<In, Bit>,
    pub a_word: Signal<In, Word>,
    pub a_ready: Signal<In, Bit>,
    /// CPU B's own buffer's head, and CPU B's `rx_ready`.
    pub own_valid: Signal<In, Bit>,
    pub own_word: Signal<In, Word>,
    pub b_ready: Signal<In, Bit>,
    /// CPU B's return port.
    pub b_valid: Signal<Out, Bit>,
    pub b_word: Signal<Out, Word>,
    /// CPU B's `rx_ready` differed from CPU A's D cycles earlier (a mismatch).
    pub ready_mismatch: Signal<Out, Bit>,
    /// The mismatch was on a valid replayed word: B's link moved a word A's did not, or
    /// missed one A's moved.
    pub moved_apart: Signal<Out, Bit>,
    replica: DelayLine<OW>,
    arm: ReplayArm<OW>,
}

impl<const OW: usize> Logic for StrictReplica<OW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, replica, arm);
        self.replica.delay.next = self.offset.val();
        self.replica.data_in.next = (bit_cast::<41, 40>(self.a_word.val()) & 0x7F_FFFF_FFFF_u64)
            | (bit_cast::<41, 1>(self.a_ready.val().into()) << 39)
            | (bit_cast::<41, 1>((self.a_valid.val() & self.replicate.val()).into()) << 40);
        // The history is only meaningful D cycles after strict mode began or D changed.
        self.arm.enable.next = self.replicate.val();
        self.arm.restart.next = false;
        self.arm.offset.next = self.offset.val();
        self.b_valid.next = self.own_valid.val();
        self.b_word.next = self.own_word.val();
        self.ready_mismatch.next = false;
        self.moved_apart.next = false;
        if self.replicate.val() {
            self.b_valid.next = self.replica.data_out.val().get_bit(40) & !self.unreplayed.val();
            self.b_word.next = bit_cast::<40, 41>(self.replica.data_out.val() & 0x7F_FFFF_FFFF_u64);
            self.ready_mismatch.next =
                self.arm.armed.val() & (self.b_ready.val() != self.replica.data_out.val().get_bit(39));
            self.moved_apart.next = self.ready_mismatch.val() & self.replica.data_out.val().get_bit(40);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};
    use rand::{rngs::StdRng, Rng, SeedableRng};
    use std::collections::VecDeque;

    type Fab = Fabric<4, 4>;

    /// A SPEC §2 source: offers the front of its queue at random and holds it until taken.
    #[derive(Default)]
    struct Src {
        queue: VecDeque<u64>,
        offering: bool,
    }

    impl Src {
        fn of(words: impl IntoIterator<Item = u64>) -> Self {
            Self { queue: words.into_iter().collect(), offering: false }
        }
        fn offer(&mut self, rng: &mut StdRng, p: f64) -> (bool, u64) {
            if !self.offering && !self.queue.is_empty() && rng.gen_bool(p) {
                self.offering = true;
            }
            (self.offering, self.queue.front().copied().unwrap_or(0))
        }
        fn moved(&mut self, ready: bool) {
            if self.offering && ready {
                self.queue.pop_front();
                self.offering = false;
            }
        }
    }

    struct Run {
        fab: Fab,
        rng: StdRng,
        c: Src,
        sa: Src,
        sb: Src,
        ra: Src,
        rb: Src,
        /// What each sink received: disk A, disk B, CPU A, CPU B.
        got: [Vec<u64>; 4],
        /// Probability each sink takes in a cycle.
        take_p: [f64; 4],
        c_stalls: usize,
        divergences: usize,
        /// Strict lockstep test: CPU B's ready replays CPU A's this many cycles later.
        b_follows_a: Option<usize>,
        /// ...except at this cycle, where B's ready is the opposite.
        b_flip_at: Option<usize>,
        a_ready_history: Vec<bool>,
        /// Cycle-stamped words seen by CPU A and CPU B.
        stamped: [Vec<(usize, u64)>; 2],
        strict_mismatches: Vec<usize>,
        cycle_no: usize,
        /// Disk A is marked failed from this cycle on.
        fail_a_at: Option<usize>,
        /// Mark disk A failed the cycle after it offers a word with `perr`, as the core's
        /// disk monitor does.
        fail_a_on_perr: bool,
        /// Largest number of words the secondary (disk B) was taken ahead of the primary.
        b_ahead_max: i64,
        /// Cycles with a `divergence` pulse.
        div_cycles: Vec<usize>,
        /// The mode is switched to this one at this cycle (CPU B's ready then runs free).
        mode_at: Option<(usize, u64)>,
        /// Cycle-stamped words disk A offered (first cycle of each offer).
        ra_offered: Vec<(usize, u64)>,
        /// Cycle-stamped words taken from disk A.
        ra_taken: Vec<(usize, u64)>,
        /// Probability a source with words starts offering in a cycle.
        offer_p: f64,
    }

    impl Run {
        fn new(mode: u64, seed: u64) -> Self {
            let mut fab = Fab::default();
            fab.connect_all();
            fab.mode.next = mode.into();
            fab.cfg.disk_timeout.next = 4096u64.into();
            Self {
                fab,
                rng: StdRng::seed_from_u64(seed),
                c: Src::default(),
                sa: Src::default(),
                sb: Src::default(),
                ra: Src::default(),
                rb: Src::default(),
                got: Default::default(),
                take_p: [1.0; 4],
                c_stalls: 0,
                divergences: 0,
                b_follows_a: None,
                b_flip_at: None,
                a_ready_history: vec![],
                stamped: Default::default(),
                strict_mismatches: vec![],
                cycle_no: 0,
                fail_a_at: None,
                fail_a_on_perr: false,
                b_ahead_max: 0,
                div_cycles: vec![],
                mode_at: None,
                ra_offered: vec![],
                ra_taken: vec![],
                offer_p: 0.9,
            }
        }

        fn cycle(&mut self) {
            let (r, p) = (&mut self.rng, self.offer_p);
            let (v, w) = self.c.offer(r, p);
            self.fab.c.valid.next = v;
            self.fab.c.data.next = w.into();
            let (v, w) = self.sa.offer(r, p);
            self.fab.sa.valid.next = v;
            self.fab.sa.data.next = w.into();
            let (v, w) = self.sb.offer(r, p);
            self.fab.sb.valid.next = v;
            self.fab.sb.data.next = w.into();
            if self.fail_a_at == Some(self.cycle_no)
                || (self.fail_a_on_perr && self.fab.ra.valid.val() && self.fab.ra.data.val().get_bit(38))
            {
                self.fab.disk_a_failed.next = true;
            }
            let was_offering = self.ra.offering;
            let (v, w) = self.ra.offer(r, p);
            if v && !was_offering {
                self.ra_offered.push((self.cycle_no, w));
            }
            self.fab.ra.valid.next = v;
            self.fab.ra.data.next = w.into();
            let (v, w) = self.rb.offer(r, p);
            self.fab.rb.valid.next = v;
            self.fab.rb.data.next = w.into();
            if let Some((t, m)) = self.mode_at {
                if t == self.cycle_no {
                    self.fab.mode.next = m.into();
                    self.b_follows_a = None;
                }
            }
            let mut wants: Vec<bool> = self.take_p.iter().map(|&p| r.gen_bool(p)).collect();
            self.a_ready_history.push(wants[2]);
            if let Some((t, _)) = self.mode_at {
                if (t..t + 3).contains(&self.cycle_no) {
                    // CPU B is not ready while the switch happens.
                    wants[3] = false;
                }
            }
            if let Some(d) = self.b_follows_a {
                let t = self.a_ready_history.len() - 1;
                wants[3] = if t >= d { self.a_ready_history[t - d] } else { false };
                if self.b_flip_at == Some(t) {
                    wants[3] = !wants[3];
                }
            }
            low(&mut self.fab, |f| &mut f.clock);
            let f = &mut self.fab;
            let outs = [
                (f.da.valid.val(), f.da.data.val()),
                (f.db.valid.val(), f.db.data.val()),
                (f.ca.valid.val(), f.ca.data.val()),
                (f.cb.valid.val(), f.cb.data.val()),
            ];
            for (i, (valid, word)) in outs.iter().enumerate() {
                if *valid && wants[i] {
                    self.got[i].push(word.to_u64());
                    if i >= 2 {
                        self.stamped[i - 2].push((self.cycle_no, word.to_u64()));
                    }
                }
            }
            f.da.ready.next = wants[0];
            f.db.ready.next = wants[1];
            f.ca.ready.next = wants[2];
            f.cb.ready.next = wants[3];
            low(f, |f| &mut f.clock);
            if self.c.offering && !f.c.ready.val() {
                self.c_stalls += 1;
            }
            if f.divergence.val() {
                self.divergences += 1;
                self.div_cycles.push(self.cycle_no);
            }
            if f.strict_ready_mismatch.val() {
                self.strict_mismatches.push(self.cycle_no);
            }
            if self.ra.offering && f.ra.ready.val() {
                self.ra_taken.push((self.cycle_no, self.ra.queue[0]));
            }
            self.cycle_no += 1;
            self.c.moved(f.c.ready.val());
            self.sa.moved(f.sa.ready.val());
            self.sb.moved(f.sb.ready.val());
            self.ra.moved(f.ra.ready.val());
            self.rb.moved(f.rb.ready.val());
            if !f.disk_a_failed.val() {
                self.b_ahead_max = self.b_ahead_max.max(self.ra.queue.len() as i64 - self.rb.queue.len() as i64);
            }
            edge(f, |f| &mut f.clock);
        }

        fn run(&mut self, cycles: usize) {
            for _ in 0..cycles {
                self.cycle();
            }
        }
    }

    fn words(base: u64, n: u64) -> Vec<u64> {
        (0..n).map(|i| base + i).collect()
    }

    #[test]
    fn fabric_synthesizes() {
        let mut uut = Fabric::<6, 4>::default();
        uut.connect_all();
        yosys_validate("ftio_fabric", &generate_verilog(&uut)).unwrap();
    }

    #[test]
    fn duplex_mirrors_identically_under_independent_backpressure() {
        let mut run = Run::new(mode::DUPLEX, 1);
        run.c = Src::of(words(0x100, 400));
        run.take_p = [0.7, 0.3, 1.0, 1.0];
        run.run(2000);
        assert_eq!(run.got[0], words(0x100, 400), "disk A gets every word once, in order");
        assert_eq!(run.got[1], words(0x100, 400), "disk B gets the same sequence");
        assert!(run.got[2].is_empty() && run.got[3].is_empty());
    }

    #[test]
    fn a_slow_disk_stalls_the_writer_only_when_its_buffer_is_full() {
        let mut run = Run::new(mode::DUPLEX, 2);
        run.c = Src::of(words(0, 200));
        run.take_p = [1.0, 0.0, 1.0, 1.0];
        run.run(40);
        // Disk B never takes: the writer moves exactly one buffer's worth, then stalls.
        let depth = run.got[0].len();
        assert!(depth >= 16 && depth <= 18, "moved {depth} words with disk B stuck");
        assert!(run.c_stalls > 0);
        run.take_p = [1.0, 1.0, 1.0, 1.0];
        run.run(600);
        assert_eq!(run.got[0], words(0, 200));
        assert_eq!(run.got[1], words(0, 200));
    }

    #[test]
    fn a_failed_disk_gets_nothing_and_the_other_carries_on() {
        let mut run = Run::new(mode::DUPLEX, 3);
        run.fab.disk_b_failed.next = true;
        run.c = Src::of(words(0x500, 100));
        run.take_p = [0.8, 0.0, 1.0, 1.0];
        run.run(400);
        assert_eq!(run.got[0], words(0x500, 100));
        assert!(run.got[1].is_empty());
    }

    /// A disk that fails with words in its buffer (it took none while they piled up) receives
    /// nothing from the cycle it is marked failed, however ready it is after, and the other
    /// disk still gets every word (SPEC §4: a failed disk is out of service).
    #[test]
    fn a_disk_failed_with_words_buffered_receives_nothing_after() {
        let mut run = Run::new(mode::DUPLEX, 5);
        run.c = Src::of(words(0x700, 60));
        run.take_p = [1.0, 0.0, 1.0, 1.0];
        run.run(12);
        assert!(run.fab.db.valid.val(), "disk B has words waiting");
        run.fab.disk_b_failed.next = true;
        run.take_p = [1.0, 1.0, 1.0, 1.0];
        run.run(200);
        assert!(run.got[1].is_empty(), "disk B received {:x?}", run.got[1]);
        assert_eq!(run.got[0], words(0x700, 60));
    }

    #[test]
    fn split_routes_each_side_to_its_own_disk_and_back() {
        let mut run = Run::new(mode::SPLIT, 4);
        run.sa = Src::of(words(0xA000, 150));
        run.sb = Src::of(words(0xB000, 150));
        run.ra = Src::of(words(0xCA00, 150));
        run.rb = Src::of(words(0xCB00, 150));
        run.c = Src::of(words(0xDEAD, 5));
        run.take_p = [0.6, 0.7, 0.8, 0.5];
        run.run(1500);
        assert_eq!(run.got[0], words(0xA000, 150));
        assert_eq!(run.got[1], words(0xB000, 150));
        assert_eq!(run.got[2], words(0xCA00, 150));
        assert_eq!(run.got[3], words(0xCB00, 150));
        assert_eq!(run.c.queue.len(), 5, "no compared stream in SPLIT");
    }

    #[test]
    fn duplex_returns_the_primary_to_both_cpus_each_at_its_own_pace() {
        for primary_b in [false, true] {
            let mut run = Run::new(mode::DUPLEX, 5);
            run.fab.cfg.primary.next = primary_b;
            run.ra = Src::of(words(0xA0, 300));
            run.rb = Src::of(words(0xB0, 300));
            run.take_p = [1.0, 1.0, 0.9, 0.4];
            run.run(2000);
            let expect = if primary_b { words(0xB0, 300) } else { words(0xA0, 300) };
            assert_eq!(run.got[2], expect, "CPU A");
            assert_eq!(run.got[3], expect, "CPU B");
            assert!(run.ra.queue.is_empty() && run.rb.queue.is_empty(), "the secondary is drained");
            assert_eq!(run.divergences, 0, "read-verify off");
        }
    }

    /// The primary fails at a random moment: the CPUs still get every return word exactly
    /// once, in order — the secondary, kept in step, skips what they already have.
    #[test]
    fn a_primary_failure_mid_stream_is_hitless() {
        for seed in 0..12u64 {
            let mut run = Run::new(mode::DUPLEX, 40 + seed);
            run.ra = Src::of(words(0x300, 300));
            run.rb = Src::of(words(0x300, 300));
            run.fail_a_at = Some(20 + 37 * seed as usize);
            if seed % 4 == 3 {
                // The primary is disk B this time and the one that fails is the secondary.
                run.fab.cfg.primary.next = true;
            }
            run.take_p = [1.0, 1.0, [1.0, 0.8, 0.5][seed as usize % 3], [1.0, 0.4, 0.9][seed as usize % 3]];
            run.run(1500);
            assert_eq!(run.got[2], words(0x300, 300), "seed {seed}: CPU A");
            assert_eq!(run.got[3], words(0x300, 300), "seed {seed}: CPU B");
            assert!(seed % 4 == 3 || run.b_ahead_max <= 0, "seed {seed}: the secondary never ran ahead of the primary");
        }
    }

    /// A primary word with a parity error is never delivered while the secondary is healthy:
    /// the primary is failed and the secondary's good copy of that word goes to the CPUs.
    #[test]
    fn a_bad_primary_word_is_replaced_by_the_secondarys_copy() {
        for (seed, bad) in [(60u64, 0usize), (61, 1), (62, 77), (63, 199)] {
            let mut run = Run::new(mode::DUPLEX, seed);
            let good = words(0x900, 200);
            let mut a = good.clone();
            a[bad] ^= 1 << 38 | 1 << 3;
            run.ra = Src::of(a);
            run.rb = Src::of(good.clone());
            run.fail_a_on_perr = true;
            run.take_p = [1.0, 1.0, 0.7, 0.9];
            run.run(1200);
            assert_eq!(run.got[2], good, "word {bad}: CPU A");
            assert_eq!(run.got[3], good, "word {bad}: CPU B");
        }
    }

    /// With no healthy secondary a bad word is delivered as it is (parity travels on, so the
    /// CPU sees the error) rather than withheld.
    #[test]
    fn without_a_healthy_secondary_a_bad_word_goes_on_with_its_error() {
        let mut run = Run::new(mode::DUPLEX, 64);
        run.fab.disk_b_failed.next = true;
        let mut a = words(0x10, 40);
        a[5] |= 1 << 38;
        run.ra = Src::of(a.clone());
        run.run(200);
        assert_eq!(run.got[2], a);
        assert_eq!(run.got[3], a);
    }

    /// Read-verify: the first pair that differs raises one divergence and the primary's word
    /// is delivered; the secondary is then out of step (neither compared nor waited for) until
    /// the host's fault clear (`resync`), after which a difference is flagged again.
    #[test]
    fn read_verify_flags_a_diverging_pair_and_delivers_the_primary() {
        let mut run = Run::new(mode::DUPLEX, 6);
        run.fab.cfg.read_verify.next = true;
        let a = words(0x40, 200);
        let mut b = a.clone();
        b[17] ^= 1 << 5;
        b[150] ^= 1 << 31;
        run.ra = Src::of(a.clone());
        run.rb = Src::of(b);
        run.take_p = [1.0, 1.0, 0.7, 0.7];
        run.run(800);
        assert_eq!(run.got[2], a);
        assert_eq!(run.got[3], a);
        let at = run.ra_taken.iter().find(|&&(_, w)| w == a[17]).unwrap().0;
        assert_eq!(run.div_cycles, vec![at], "in the cycle the pair moves; word 150 is not compared");
        assert!(run.rb.queue.is_empty(), "the secondary is drained");
        run.fab.cfg.resync.next = true;
        run.run(1);
        run.fab.cfg.resync.next = false;
        let a2 = words(0x400, 50);
        let mut b2 = a2.clone();
        b2[30] ^= 1 << 7;
        run.ra = Src::of(a2.clone());
        run.rb = Src::of(b2);
        run.run(300);
        assert_eq!(run.divergences, 2, "compared again after the fault clear");
        assert_eq!(run.got[2][200..], a2[..]);
    }

    /// A frame of `n` words from `base`, `last` on the final one.
    fn frame(base: u64, n: u64) -> Vec<u64> {
        (0..n).map(|i| base + i | ((i + 1 == n) as u64) << 36).collect()
    }

    /// Frames of different length (one disk's word has `last`, the other's not): one
    /// divergence in the cycle that pair moves; the CPUs get the primary's stream whole and
    /// the secondary is drained, nothing waits.
    #[test]
    fn read_verify_flags_frames_of_different_length_and_never_hangs() {
        for (seed, second) in [(80u64, 4u64), (81, 8)] {
            let mut run = Run::new(mode::DUPLEX, seed);
            run.fab.cfg.read_verify.next = true;
            let a = [frame(0x100, 6), frame(0x200, 6), frame(0x300, 6)].concat();
            let b = [frame(0x100, 6), frame(0x200, second), frame(0x300, 6)].concat();
            run.ra = Src::of(a.clone());
            run.rb = Src::of(b);
            run.take_p = [1.0, 1.0, 0.8, 0.9];
            run.run(200);
            assert_eq!(run.got[2], a, "second frame {second} words: CPU A");
            assert_eq!(run.got[3], a, "CPU B");
            // The first pair that differs: word 3 of frame 2 (the short one ends there) or
            // word 5 (the long one does not end there).
            let differs = a[6 + (second.min(6) - 1) as usize];
            let at = run.ra_taken.iter().find(|&&(_, w)| w == differs).unwrap().0;
            assert_eq!(run.div_cycles, vec![at], "second frame {second} words");
            assert!(run.rb.queue.is_empty() && run.ra.queue.is_empty(), "nothing held back");
        }
    }

    /// A secondary that stops returning while the primary offers a word: the divergence is
    /// raised in the primary's (DISK_TIMEOUT + 1)-th silent cycle, t0 + DISK_TIMEOUT (t0 the
    /// first), and that word goes to the CPUs the cycle after; the rest follows unverified.
    #[test]
    fn a_silent_secondary_is_a_divergence_after_disk_timeout_cycles() {
        for timeout in [0u64, 1, 20] {
            let mut run = Run::new(mode::DUPLEX, 90 + timeout);
            run.fab.cfg.read_verify.next = true;
            run.fab.cfg.disk_timeout.next = timeout.into();
            // Both disks offer whenever they have a word: the secondary is silent only once
            // its stream has ended.
            run.offer_p = 1.0;
            let a = words(0x40, 50);
            run.ra = Src::of(a.clone());
            run.rb = Src::of(a[..30].to_vec());
            run.run(150);
            assert_eq!(run.got[2], a, "DISK_TIMEOUT {timeout}: CPU A");
            assert_eq!(run.got[3], a, "CPU B");
            let t0 = run.ra_offered.iter().find(|&&(_, w)| w == a[30]).unwrap().0;
            assert_eq!(run.div_cycles, vec![t0 + timeout as usize], "DISK_TIMEOUT {timeout}");
            let taken = run.ra_taken.iter().find(|&&(_, w)| w == a[30]).unwrap().0;
            assert_eq!(taken, t0 + timeout as usize + 1, "the primary's word goes on");
        }
    }

    /// The primary fails while the secondary is out of step (after a length divergence):
    /// the CPUs' frame in flight is ended with `last & abort` and the secondary answers from
    /// its next frame boundary. Whatever the moment, each CPU gets a prefix of the primary's
    /// stream ending at a frame boundary (or ended by the abort word), then the secondary's
    /// stream from one of its frame starts: no frame spliced from two disks.
    #[test]
    fn a_read_fail_over_out_of_step_never_splices_a_frame() {
        let a = [frame(0x100, 5), frame(0x200, 8), frame(0x300, 8), frame(0x400, 8), frame(0x500, 8)].concat();
        let b = [frame(0x100, 4), frame(0x200, 8), frame(0x300, 8), frame(0x400, 8), frame(0x500, 8)].concat();
        let starts = |s: &[u64]| -> Vec<usize> {
            (0..=s.len()).filter(|&j| j == 0 || s[j - 1] >> 36 & 1 == 1).collect()
        };
        let mut aborted = 0;
        for seed in 0..8u64 {
            let mut run = Run::new(mode::DUPLEX, 100 + seed);
            run.fab.cfg.read_verify.next = true;
            run.ra = Src::of(a.clone());
            run.rb = Src::of(b.clone());
            run.fail_a_at = Some(14 + 3 * seed as usize);
            run.take_p = [1.0, 1.0, 0.9, 0.8];
            run.run(250);
            assert_eq!(run.div_cycles.len(), 1, "seed {seed}: the length divergence");
            let got = &run.got[2];
            assert_eq!(got, &run.got[3], "seed {seed}: both CPUs alike");
            let (head, tail) = match got.iter().position(|&w| w == ABORT_WORD) {
                Some(i) => {
                    aborted += 1;
                    assert!(a.starts_with(&got[..i]) && !starts(&a).contains(&i), "seed {seed}: aborted frame {got:x?}");
                    (i + 1, &got[i + 1..])
                }
                None => (0, &got[..]),
            };
            let ok = (head..=got.len()).any(|k| {
                (head > 0 || (a.starts_with(&got[..k]) && starts(&a).contains(&k)))
                    && (head == 0 || k == head)
                    && starts(&b).iter().any(|&j| b[j..] == got[k..])
            });
            assert!(ok, "seed {seed}: not a prefix of A then B from a frame start: {got:x?} (tail {tail:x?})");
            assert!(run.rb.queue.is_empty(), "seed {seed}: the secondary was served to its end");
        }
        assert!(aborted >= 4, "the failure hit a frame in flight in {aborted} of 8 seeds");
    }

    /// Strict DUPLEX, then a fail-over to SIMPLEX_B (CPU B not ready during the switch, then
    /// running free): CPU B gets every return word exactly once, in order — first those A
    /// took in the last D cycles, then those A's buffer still held. Before the switch B saw
    /// A's port exactly D cycles later. A, isolated, got a prefix. The same in elastic.
    #[test]
    fn strict_fail_over_to_simplex_b_gives_cpu_b_every_return_word_once() {
        for (d, switch, strict) in [(0usize, 60usize, true), (1, 45, true), (4, 80, true), (15, 50, true), (15, 130, true), (0, 70, false)] {
            let mut run = Run::new(mode::DUPLEX, 70 + d as u64 + switch as u64);
            run.fab.cfg.strict.next = strict;
            run.fab.cfg.offset.next = (d as u64).into();
            run.b_follows_a = Some(d).filter(|_| strict);
            run.ra = Src::of(words(0x700, 200));
            run.take_p = [1.0, 1.0, 0.6, 0.5];
            run.mode_at = Some((switch, mode::SIMPLEX_B));
            run.run(900);
            let what = format!("D={d}, switch at {switch}, strict {strict}");
            assert_eq!(run.got[3], words(0x700, 200), "{what}: CPU B");
            assert!(words(0x700, 200).starts_with(&run.got[2]), "{what}: CPU A, isolated, a prefix");
            if strict {
                let before: Vec<(usize, u64)> =
                    run.stamped[0].iter().filter(|&&(t, _)| t + d < switch).map(|&(t, w)| (t + d, w)).collect();
                assert_eq!(run.stamped[1][..before.len()], before[..], "{what}: B replayed A before the switch");
                let a_had = run.stamped[0].iter().filter(|&&(t, _)| t < switch).count();
                assert!(d < 4 || a_had > before.len(), "{what}: words were in the delay line at the switch");
            }
        }
    }

    /// Strict DUPLEX: CPU B's `rx_ready` differs from CPU A's D cycles earlier while the
    /// replayed word is valid, so B's link moves a word A's did not (or misses one). From the
    /// next cycle B's port replays nothing more (replaying A's port would hand B a word twice
    /// or skip one); the mode then changes as the core would make it — SIMPLEX_B (CPU A's
    /// `rpar` was the fault) or HALTED (a mismatch) — and CPU B's stream stays exactly the
    /// disk's: whole, once, in order after SIMPLEX_B; a prefix in HALTED.
    #[test]
    fn a_cpu_b_link_that_moved_apart_from_cpu_as_is_never_replayed_again() {
        let mut diverged = 0;
        for (d, flip, to) in [(0usize, 60usize, mode::SIMPLEX_B), (0, 75, mode::HALTED), (1, 50, mode::SIMPLEX_B), (4, 90, mode::HALTED), (9, 70, mode::SIMPLEX_B)] {
            let mut run = Run::new(mode::DUPLEX, 300 + d as u64 + flip as u64);
            run.fab.cfg.strict.next = true;
            run.fab.cfg.offset.next = (d as u64).into();
            run.b_follows_a = Some(d);
            run.b_flip_at = Some(flip);
            run.ra = Src::of(words(0x600, 150));
            run.take_p = [1.0, 1.0, 0.6, 0.6];
            run.run(flip + 1);
            let what = format!("D={d}, B's ready flipped at {flip}, then mode {to}");
            assert_eq!(run.strict_mismatches, vec![flip], "{what}");
            let replayed_valid = run.fab.b_unreplayed.q.val();
            diverged += replayed_valid as usize;
            let got_then = run.got[3].len();
            run.run(2);
            if replayed_valid {
                assert_eq!(run.got[3].len(), got_then, "{what}: nothing replayed after the divergence");
            }
            run.mode_at = Some((run.cycle_no, to));
            run.run(700);
            if to == mode::SIMPLEX_B {
                assert_eq!(run.got[3], words(0x600, 150), "{what}: CPU B whole, once, in order");
            } else {
                assert!(words(0x600, 150).starts_with(&run.got[3]), "{what}: CPU B a prefix {:x?}", run.got[3]);
            }
        }
        assert!(diverged >= 3, "the flip met a valid replayed word in {diverged} of 5 cases");
    }

    /// Strict DUPLEX, then a fail-over to SIMPLEX_A: A keeps its buffer and gets every word;
    /// B, isolated, gets a prefix.
    #[test]
    fn strict_fail_over_to_simplex_a_keeps_cpu_a_whole() {
        for (d, switch) in [(0usize, 40usize), (6, 90)] {
            let mut run = Run::new(mode::DUPLEX, 200 + d as u64);
            run.fab.cfg.strict.next = true;
            run.fab.cfg.offset.next = (d as u64).into();
            run.b_follows_a = Some(d);
            run.ra = Src::of(words(0x800, 150));
            run.take_p = [1.0, 1.0, 0.6, 0.5];
            run.mode_at = Some((switch, mode::SIMPLEX_A));
            run.run(700);
            assert_eq!(run.got[2], words(0x800, 150), "D={d}: CPU A");
            assert!(words(0x800, 150).starts_with(&run.got[3]), "D={d}: CPU B, isolated, a prefix");
        }
    }

    #[test]
    fn simplex_returns_to_one_cpu_and_halted_forwards_nothing_and_drains_returns() {
        let mut run = Run::new(mode::SIMPLEX_B, 7);
        run.ra = Src::of(words(0x10, 50));
        run.c = Src::of(words(0x20, 50));
        run.run(400);
        assert!(run.got[2].is_empty());
        assert_eq!(run.got[3], words(0x10, 50));
        assert_eq!(run.got[0], words(0x20, 50));
        assert_eq!(run.got[1], words(0x20, 50));

        // HALTED: no CPU stream is taken and no CPU gets a return; the disks' returns are
        // drained (taken and dropped) so no controller is held back; the committed stream
        // still carries the one abort word the lockstep may offer to end a frame in flight.
        let mut run = Run::new(mode::HALTED, 8);
        run.ra = Src::of(words(0x10, 5));
        run.rb = Src::of(words(0x10, 5));
        run.sa = Src::of(words(0x30, 5));
        run.sb = Src::of(words(0x30, 5));
        run.c = Src::of([0x30_0000_0000u64]);
        run.run(100);
        assert_eq!(run.got[0], vec![0x30_0000_0000u64]);
        assert_eq!(run.got[1], vec![0x30_0000_0000u64]);
        assert!(run.got[2].is_empty() && run.got[3].is_empty());
        assert!(run.ra.queue.is_empty() && run.rb.queue.is_empty(), "the disks' returns are drained");
        assert_eq!(run.sa.queue.len() + run.sb.queue.len(), 10, "no CPU stream taken");
    }

    #[test]
    fn strict_mode_replays_cpu_a_returns_to_cpu_b_exactly_d_cycles_later() {
        for d in [0usize, 1, 2, 5, 15] {
            let mut run = Run::new(mode::DUPLEX, 9 + d as u64);
            run.fab.cfg.strict.next = true;
            run.fab.cfg.offset.next = (d as u64).into();
            run.b_follows_a = Some(d);
            run.ra = Src::of(words(0x700, 200));
            run.take_p = [1.0, 1.0, 0.6, 0.6];
            run.run(800);
            assert_eq!(run.got[2], words(0x700, 200), "D={d}: CPU A gets every word");
            let shifted: Vec<(usize, u64)> = run.stamped[0].iter().map(|&(t, w)| (t + d, w)).collect();
            assert_eq!(run.stamped[1], shifted, "D={d}: CPU B sees A's I/O exactly D cycles later");
            assert!(run.strict_mismatches.is_empty(), "D={d}: no false mismatch");
        }
    }

    #[test]
    fn strict_mode_flags_a_cpu_b_ready_that_differs() {
        let d = 3;
        let mut run = Run::new(mode::DUPLEX, 21);
        run.fab.cfg.strict.next = true;
        run.fab.cfg.offset.next = (d as u64).into();
        run.b_follows_a = Some(d);
        run.b_flip_at = Some(120);
        run.ra = Src::of(words(0x900, 100));
        run.take_p = [1.0, 1.0, 0.5, 0.5];
        run.run(300);
        assert_eq!(run.strict_mismatches, vec![120], "exactly the cycle where B's ready differed");
    }
}
