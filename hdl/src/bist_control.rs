//! `BistControl`: the built-in self-test of SPEC §6 run end to end: two generators in place of
//! the CPUs, two checkers on the disk outputs, and BIST_STATUS / BIST_WORDS / BIST_ERRORS; and
//! (`BuildParams::bist_return`, [`BistReturn`]) two generators in place of the disks, two
//! checkers on the CPU outputs, BIST_RET_WORDS / BIST_RET_ERRORS.
use crate::bist::{BistChecker, BistGenerator};
use crate::bist_pair::BistCheckPair;
use crate::bist_return::{BistReturn, BistSkid};
use crate::link::{LinkTx, Word};
use crate::regfile::BistRegs;
use rust_hdl::prelude::*;

/// BIST_CTRL.start starts a run: the generators own the CPU inputs (`active`; the core's
/// ingresses take their links) and send BIST_FRAMES frames of BIST_LEN words, CPU B's
/// BIST_SKEW cycles behind A's; the checkers compare each disk's output with the same
/// sequence. With the return path's test built, the disk-side generators own the disk inputs
/// too (`disk_active`) and answer BIST_FRAMES frames of BIST_LEN words from `!BIST_SEED`, and
/// the return checkers compare what reaches each CPU output. The run is done when both disks
/// and both CPUs have seen every word, or after 4096 quiet cycles (then every word still
/// expected is an error, so a lost word or a halted core cannot hang it); it passes with no
/// error anywhere and no fault latched during it. BIST_CTRL.abort stops it.
#[derive(LogicBlock)]
pub struct BistControl {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Its registers (generated from the register table, `hdl/build.rs`): BIST_CTRL,
    /// BIST_SEED, BIST_LEN, BIST_FRAMES, BIST_SKEW in; BIST_STATUS, BIST_WORDS (both disks'
    /// checked words, the lesser count, registered), BIST_ERRORS (both checkers' errors,
    /// registered), BIST_RET_WORDS, BIST_RET_ERRORS out.
    pub regs: BistRegs,
    /// A fault is latched (it fails the run).
    pub fault: Signal<In, Bit>,
    /// Generator A's link, into CPU A's ingress.
    pub cpu_a: LinkTx,
    /// Generator B's link, into CPU B's ingress.
    pub cpu_b: LinkTx,
    /// The word offered to disk A, and it moves this cycle.
    pub disk_a_word: Signal<In, Word>,
    /// Disk A took its word.
    pub disk_a_moved: Signal<In, Bit>,
    /// The word offered to disk B.
    pub disk_b_word: Signal<In, Word>,
    /// Disk B took its word.
    pub disk_b_moved: Signal<In, Bit>,
    /// Disk-side generator A's link, into disk A's ingress.
    pub disk_a: LinkTx,
    /// Disk-side generator B's link, into disk B's ingress.
    pub disk_b: LinkTx,
    /// The BIST owns the disk inputs (running, and the return path's test is built).
    pub disk_active: Signal<Out, Bit>,
    /// The word offered to CPU A's output, and it moves this cycle.
    pub cpu_a_word: Signal<In, Word>,
    /// CPU A took its word.
    pub cpu_a_moved: Signal<In, Bit>,
    /// The word offered to CPU B's output.
    pub cpu_b_word: Signal<In, Word>,
    /// CPU B took its word.
    pub cpu_b_moved: Signal<In, Bit>,
    /// The BIST owns the CPU inputs (BIST_STATUS.running).
    pub active: Signal<Out, Bit>,
    gen_a: BistGenerator,
    gen_b: BistGenerator,
    /// The generators' skid stages (issue 26, the Cu at 75 MHz; `BuildParams::bist_skids`):
    /// a generator's `ready` is a flop, so the CPU ingress's `ready` (through the skew FIFO or
    /// the strict offset) ends at the stage and never reaches the generator's LFSR and
    /// counters; the ingress sees a flop's `valid`. Both links are a cycle later, so
    /// BIST_SKEW is unchanged. Without them (`skids` low) the generators drive the links
    /// directly and synthesis removes the stages (nothing reads them).
    skid_a: BistSkid,
    skid_b: BistSkid,
    /// The skid stages are in the build (`BuildParams::bist_skids`).
    skids: Constant<Bit>,
    chk_a: BistChecker,
    chk_b: BistChecker,
    /// The return path's generators and checkers.
    ret: BistReturn,
    /// BIST_CTRL's pulses, registered (a write takes effect one cycle later).
    start_q: DFF<Bit>,
    abort_q: DFF<Bit>,
    active_q: DFF<Bit>,
    done_q: DFF<Bit>,
    pass_q: DFF<Bit>,
    quiet: DFF<Bits<16>>,
    faulted: DFF<Bit>,
    /// Why the last run failed (BIST_STATUS.write_error, return_error, fault), set when it ends.
    write_error_q: DFF<Bit>,
    return_error_q: DFF<Bit>,
    fault_q: DFF<Bit>,
    finish: Signal<Local, Bit>,
    /// Something moved on a BIST link a cycle ago: the per-link move flags are flops, so the
    /// links' handshakes (the CPU ingresses' `ready`, the disk sides' moves) do not reach the
    /// quiet count's 16 flops' enable in the same cycle (the drain waits 4096 quiet cycles;
    /// one more changes nothing).
    moving: Signal<Local, Bit>,
    cpu_a_moved_q: DFF<Bit>,
    cpu_b_moved_q: DFF<Bit>,
    disk_a_moved_q: DFF<Bit>,
    disk_b_moved_q: DFF<Bit>,
    /// The checkers' summary: words checked on both, both checkers' errors.
    pair: BistCheckPair,
}

impl BistControl {
    /// A BIST with counts `width` bits wide (PARAMS.counter_width).
    pub fn new(width: u8) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            regs: Default::default(),
            fault: Default::default(),
            cpu_a: Default::default(),
            cpu_b: Default::default(),
            disk_a_word: Default::default(),
            disk_a_moved: Default::default(),
            disk_b_word: Default::default(),
            disk_b_moved: Default::default(),
            disk_a: Default::default(),
            disk_b: Default::default(),
            disk_active: Default::default(),
            cpu_a_word: Default::default(),
            cpu_a_moved: Default::default(),
            cpu_b_word: Default::default(),
            cpu_b_moved: Default::default(),
            active: Default::default(),
            gen_a: BistGenerator::new(width),
            gen_b: BistGenerator::new(width),
            skid_a: Default::default(),
            skid_b: Default::default(),
            skids: Constant::new(false),
            chk_a: BistChecker::new(width),
            chk_b: BistChecker::new(width),
            ret: BistReturn::new(width, true),
            start_q: Default::default(),
            abort_q: Default::default(),
            active_q: Default::default(),
            done_q: Default::default(),
            pass_q: Default::default(),
            quiet: Default::default(),
            faulted: Default::default(),
            write_error_q: Default::default(),
            return_error_q: Default::default(),
            fault_q: Default::default(),
            finish: Default::default(),
            moving: Default::default(),
            cpu_a_moved_q: Default::default(),
            cpu_b_moved_q: Default::default(),
            disk_a_moved_q: Default::default(),
            disk_b_moved_q: Default::default(),
            pair: BistCheckPair::new(width),
        }
    }

    /// The BIST of a core built with `params`: its generators and checkers are left out when
    /// `params.bist` is false, the return path's when `params.bist_return` is.
    pub fn for_build(params: &ftio_proto::BuildParams) -> Self {
        Self {
            gen_a: BistGenerator::for_build(params),
            gen_b: BistGenerator::for_build(params),
            chk_a: BistChecker::for_build(params),
            chk_b: BistChecker::for_build(params),
            ret: BistReturn::for_build(params),
            skids: Constant::new(params.bist && params.bist_skids),
            ..Self::new(params.counter_width)
        }
    }
}

impl Logic for BistControl {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, gen_a, gen_b, skid_a, skid_b, chk_a, chk_b, pair, ret);
        dff_setup!(self, clock, start_q, abort_q, active_q, done_q, pass_q, quiet, faulted);
        dff_setup!(self, clock, write_error_q, return_error_q, fault_q);
        dff_setup!(self, clock, cpu_a_moved_q, cpu_b_moved_q, disk_a_moved_q, disk_b_moved_q);
        self.start_q.d.next = self.regs.bist_ctrl_start.val();
        self.abort_q.d.next = self.regs.bist_ctrl_abort.val();
        // Generators: the CPU inputs' links.
        self.gen_a.start.next = self.start_q.q.val();
        self.gen_b.start.next = self.start_q.q.val();
        self.gen_a.stop.next = self.abort_q.q.val();
        self.gen_b.stop.next = self.abort_q.q.val();
        self.gen_a.seed.next = self.regs.bist_seed.val();
        self.gen_b.seed.next = self.regs.bist_seed.val();
        self.gen_a.len.next = self.regs.bist_len.val();
        self.gen_b.len.next = self.regs.bist_len.val();
        self.gen_a.frames.next = self.regs.bist_frames.val();
        self.gen_b.frames.next = self.regs.bist_frames.val();
        self.gen_a.delay.next = 0.into();
        self.gen_b.delay.next = self.regs.bist_skew.val();
        // Each through its skid stage where built (`cpar` over valid and last, no abort:
        // BistSkid; a new run or an abort empties it), else straight onto its link.
        self.skid_a.flush.next = self.start_q.q.val() | self.abort_q.q.val();
        self.skid_a.in_valid.next = self.gen_a.valid.val();
        self.skid_a.in_data.next = self.gen_a.data.val();
        self.skid_a.in_par.next = self.gen_a.par.val();
        self.skid_a.in_last.next = self.gen_a.last.val();
        self.skid_a.link.ready.next = self.cpu_a.ready.val();
        self.skid_a.link.rpar.next = self.cpu_a.rpar.val();
        self.skid_b.flush.next = self.start_q.q.val() | self.abort_q.q.val();
        self.skid_b.in_valid.next = self.gen_b.valid.val();
        self.skid_b.in_data.next = self.gen_b.data.val();
        self.skid_b.in_par.next = self.gen_b.par.val();
        self.skid_b.in_last.next = self.gen_b.last.val();
        self.skid_b.link.ready.next = self.cpu_b.ready.val();
        self.skid_b.link.rpar.next = self.cpu_b.rpar.val();
        if self.skids.val() {
            self.cpu_a.valid.next = self.skid_a.link.valid.val();
            self.cpu_a.data.next = self.skid_a.link.data.val();
            self.cpu_a.last.next = self.skid_a.link.last.val();
            self.cpu_a.abort.next = self.skid_a.link.abort.val();
            self.cpu_a.par.next = self.skid_a.link.par.val();
            self.cpu_a.cpar.next = self.skid_a.link.cpar.val();
            self.gen_a.ready.next = self.skid_a.in_ready.val();
            self.cpu_b.valid.next = self.skid_b.link.valid.val();
            self.cpu_b.data.next = self.skid_b.link.data.val();
            self.cpu_b.last.next = self.skid_b.link.last.val();
            self.cpu_b.abort.next = self.skid_b.link.abort.val();
            self.cpu_b.par.next = self.skid_b.link.par.val();
            self.cpu_b.cpar.next = self.skid_b.link.cpar.val();
            self.gen_b.ready.next = self.skid_b.in_ready.val();
        } else {
            self.cpu_a.valid.next = self.gen_a.valid.val();
            self.cpu_a.data.next = self.gen_a.data.val();
            self.cpu_a.last.next = self.gen_a.last.val();
            self.cpu_a.abort.next = false;
            self.cpu_a.par.next = self.gen_a.par.val();
            self.cpu_a.cpar.next = !(self.gen_a.valid.val() ^ self.gen_a.last.val());
            self.gen_a.ready.next = self.cpu_a.ready.val();
            self.cpu_b.valid.next = self.gen_b.valid.val();
            self.cpu_b.data.next = self.gen_b.data.val();
            self.cpu_b.last.next = self.gen_b.last.val();
            self.cpu_b.abort.next = false;
            self.cpu_b.par.next = self.gen_b.par.val();
            self.cpu_b.cpar.next = !(self.gen_b.valid.val() ^ self.gen_b.last.val());
            self.gen_b.ready.next = self.cpu_b.ready.val();
        }
        // Checkers on the disk outputs (word bits, link::word: data 31:0, par 35:32, last
        // 36, abort 37).
        self.chk_a.start.next = self.start_q.q.val();
        self.chk_b.start.next = self.start_q.q.val();
        self.chk_a.seed.next = self.regs.bist_seed.val();
        self.chk_b.seed.next = self.regs.bist_seed.val();
        self.chk_a.len.next = self.regs.bist_len.val();
        self.chk_b.len.next = self.regs.bist_len.val();
        self.chk_a.frames.next = self.regs.bist_frames.val();
        self.chk_b.frames.next = self.regs.bist_frames.val();
        self.chk_a.enable.next = self.active_q.q.val();
        self.chk_b.enable.next = self.active_q.q.val();
        self.chk_a.take.next = self.disk_a_moved.val();
        self.chk_a.data.next = self.disk_a_word.val().get_bits::<32>(0);
        self.chk_a.par.next = self.disk_a_word.val().get_bits::<4>(32);
        self.chk_a.last.next = self.disk_a_word.val().get_bit(36);
        self.chk_a.abort.next = self.disk_a_word.val().get_bit(37);
        self.chk_b.take.next = self.disk_b_moved.val();
        self.chk_b.data.next = self.disk_b_word.val().get_bits::<32>(0);
        self.chk_b.par.next = self.disk_b_word.val().get_bits::<4>(32);
        self.chk_b.last.next = self.disk_b_word.val().get_bit(36);
        self.chk_b.abort.next = self.disk_b_word.val().get_bit(37);
        // The return path: disk-side generators into the disk inputs, checkers on the CPU
        // outputs (bist_return.rs).
        self.ret.start.next = self.start_q.q.val();
        self.ret.stop.next = self.abort_q.q.val();
        self.ret.enable.next = self.active_q.q.val();
        self.ret.seed.next = self.regs.bist_seed.val();
        self.ret.len.next = self.regs.bist_len.val();
        self.ret.frames.next = self.regs.bist_frames.val();
        LinkTx::link(&mut self.disk_a, &mut self.ret.disk_a);
        LinkTx::link(&mut self.disk_b, &mut self.ret.disk_b);
        self.disk_active.next = self.ret.active.val();
        self.ret.cpu_a_word.next = self.cpu_a_word.val();
        self.ret.cpu_a_moved.next = self.cpu_a_moved.val();
        self.ret.cpu_b_word.next = self.cpu_b_word.val();
        self.ret.cpu_b_moved.next = self.cpu_b_moved.val();
        // Finished when both disks and both CPUs have seen every word. If nothing moves
        // anywhere for 4096 cycles the run is drained instead.
        self.cpu_a_moved_q.d.next = self.gen_a.valid.val() & self.gen_a.ready.val();
        self.cpu_b_moved_q.d.next = self.gen_b.valid.val() & self.gen_b.ready.val();
        if self.skids.val() {
            self.cpu_a_moved_q.d.next = self.skid_a.moved.val();
            self.cpu_b_moved_q.d.next = self.skid_b.moved.val();
        }
        self.disk_a_moved_q.d.next = self.disk_a_moved.val();
        self.disk_b_moved_q.d.next = self.disk_b_moved.val();
        self.moving.next = self.cpu_a_moved_q.q.val()
            | self.cpu_b_moved_q.q.val()
            | self.disk_a_moved_q.q.val()
            | self.disk_b_moved_q.q.val()
            | self.ret.moved.val();
        if self.active_q.q.val() & !self.moving.val() & (self.quiet.q.val() != 4096_u64) {
            self.quiet.d.next = self.quiet.q.val() + 1;
        } else if self.moving.val() {
            self.quiet.d.next = 0.into();
        }
        self.chk_a.drain.next = self.active_q.q.val() & (self.quiet.q.val() == 4096_u64);
        self.chk_b.drain.next = self.active_q.q.val() & (self.quiet.q.val() == 4096_u64);
        self.ret.drain.next = self.active_q.q.val() & (self.quiet.q.val() == 4096_u64);
        self.finish.next = self.active_q.q.val()
            & self.chk_a.complete.val()
            & self.chk_b.complete.val()
            & !self.gen_a.running.val()
            & !self.gen_b.running.val()
            & !(self.skids.val() & (self.skid_a.busy.val() | self.skid_b.busy.val()))
            & self.ret.complete.val();
        // A fault latched during the run fails it, even when every word arrived intact.
        if self.active_q.q.val() & self.fault.val() {
            self.faulted.d.next = true;
        }
        if self.finish.val() {
            self.active_q.d.next = false;
            self.done_q.d.next = true;
            self.pass_q.d.next = (self.chk_a.errors.val() == 0)
                & (self.chk_b.errors.val() == 0)
                & !self.ret.any_error.val()
                & !self.faulted.q.val()
                & !self.fault.val();
            self.write_error_q.d.next = (self.chk_a.errors.val() != 0) | (self.chk_b.errors.val() != 0);
            self.return_error_q.d.next = self.ret.any_error.val();
            self.fault_q.d.next = self.faulted.q.val() | self.fault.val();
        }
        if self.abort_q.q.val() {
            self.active_q.d.next = false;
            self.done_q.d.next = false;
            self.pass_q.d.next = false;
        }
        if self.start_q.q.val() {
            self.active_q.d.next = true;
            self.done_q.d.next = false;
            self.pass_q.d.next = false;
            self.faulted.d.next = false;
            self.write_error_q.d.next = false;
            self.return_error_q.d.next = false;
            self.fault_q.d.next = false;
            self.quiet.d.next = 0.into();
        }
        if self.reset.val() {
            self.active_q.d.next = false;
            self.done_q.d.next = false;
            self.pass_q.d.next = false;
        }
        self.active.next = self.active_q.q.val();
        self.regs.bist_status_running.next = self.active_q.q.val();
        self.regs.bist_status_done.next = self.done_q.q.val();
        self.regs.bist_status_pass.next = self.done_q.q.val() & self.pass_q.q.val();
        self.regs.bist_status_fail.next = self.done_q.q.val() & !self.pass_q.q.val();
        self.regs.bist_status_write_error.next = self.done_q.q.val() & self.write_error_q.q.val();
        self.regs.bist_status_return_error.next = self.done_q.q.val() & self.return_error_q.q.val();
        self.regs.bist_status_fault.next = self.done_q.q.val() & self.fault_q.q.val();
        // A word counts once both disks' copies have been checked.
        self.pair.a_words.next = self.chk_a.words.val();
        self.pair.a_errors.next = self.chk_a.errors.val();
        self.pair.b_words.next = self.chk_b.words.val();
        self.pair.b_errors.next = self.chk_b.errors.val();
        self.regs.bist_words.next = self.pair.words.val();
        self.regs.bist_errors.next = self.pair.errors.val();
        self.regs.bist_ret_words.next = self.ret.words.val();
        self.regs.bist_ret_errors.next = self.ret.errors.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::pack_word;
    use crate::testbench::{edge, low};

    /// Loops each generator's link straight back to its disk's checker, and each disk-side
    /// generator's to its CPU's checker: a run of 2 frames of 3 words passes with 6 words
    /// checked on both paths; a run with a word corrupted on disk B fails with one error and
    /// `write_error`, the return path untouched. With the CPU-side skid stages and without.
    #[test]
    fn bist_runs_passes_and_fails() {
        for (skids, corrupt) in [(false, false), (false, true), (true, false), (true, true)] {
            let mut b = BistControl::new(16);
            // With and without the CPU-side skid stages (BuildParams::bist_skids).
            b.skids = Constant::new(skids);
            b.connect_all();
            b.regs.bist_seed.next = 0xC0DE.into();
            b.regs.bist_len.next = 3.into();
            b.regs.bist_frames.next = 2.into();
            b.regs.bist_skew.next = 2.into();
            b.regs.bist_ctrl_start.next = true;
            let (mut cycles, mut corrupted) = (0, false);
            loop {
                b.cpu_a.ready.next = true;
                b.cpu_b.ready.next = true;
                low(&mut b, |b| &mut b.clock);
                let word = |v: bool, d: u64, p: u64, l: bool| pack_word(d as u32, p as u8, l, false, false) * v as u64;
                let a = word(b.cpu_a.valid.val(), b.cpu_a.data.val().to_u64(), b.cpu_a.par.val().to_u64(), b.cpu_a.last.val());
                let mut w_b = word(b.cpu_b.valid.val(), b.cpu_b.data.val().to_u64(), b.cpu_b.par.val().to_u64(), b.cpu_b.last.val());
                if corrupt && !corrupted && cycles >= 4 && b.cpu_b.valid.val() {
                    w_b ^= 1;
                    corrupted = true;
                }
                b.disk_a_word.next = a.into();
                b.disk_a_moved.next = b.cpu_a.valid.val();
                b.disk_b_word.next = w_b.into();
                b.disk_b_moved.next = b.cpu_b.valid.val();
                // The disk-side generators' links straight back to the CPU outputs' checkers.
                b.disk_a.ready.next = true;
                b.disk_b.ready.next = true;
                let ra = word(b.disk_a.valid.val(), b.disk_a.data.val().to_u64(), b.disk_a.par.val().to_u64(), b.disk_a.last.val());
                let rb = word(b.disk_b.valid.val(), b.disk_b.data.val().to_u64(), b.disk_b.par.val().to_u64(), b.disk_b.last.val());
                b.cpu_a_word.next = ra.into();
                b.cpu_a_moved.next = b.disk_a.valid.val();
                b.cpu_b_word.next = rb.into();
                b.cpu_b_moved.next = b.disk_b.valid.val();
                low(&mut b, |b| &mut b.clock);
                edge(&mut b, |b| &mut b.clock);
                b.regs.bist_ctrl_start.next = false;
                cycles += 1;
                if b.regs.bist_status_done.val() || cycles > 100 {
                    break;
                }
            }
            for _ in 0..2 {
                low(&mut b, |b| &mut b.clock);
                edge(&mut b, |b| &mut b.clock);
            }
            assert!(b.regs.bist_status_done.val() && !b.active.val(), "done after {cycles} cycles");
            assert_eq!((b.regs.bist_status_pass.val(), b.regs.bist_status_fail.val()), (!corrupt, corrupt));
            assert_eq!(b.regs.bist_words.val().to_u32(), 6);
            assert_eq!(b.regs.bist_errors.val().to_u32(), corrupt as u32);
            assert_eq!(b.regs.bist_ret_words.val().to_u32(), 6);
            assert_eq!(b.regs.bist_ret_errors.val().to_u32(), 0);
            assert_eq!((b.regs.bist_status_write_error.val(), b.regs.bist_status_return_error.val(), b.regs.bist_status_fault.val()), (corrupt, false, false));
        }
    }
}
