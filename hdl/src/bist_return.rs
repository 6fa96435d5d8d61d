//! `BistReturn`: the BIST's proof of the return path (issue 26, deliverable 3). While the
//! self-test runs, two disk-side generators feed both disk inputs with identical frames (the
//! sequence of `!BIST_SEED`, so the return stream differs from the write stream), and two
//! checkers on the CPU outputs expect that sequence: disk ingress → fabric (primary select,
//! read-verify, per-CPU buffers, strict replica) → CPU egress, the path a board whose disk
//! inputs are tied idle never exercises (and synthesis would remove).
use crate::bist::{BistChecker, BistGenerator};
use crate::bist_pair::BistCheckPair;
use crate::link::{LinkTx, Word};
use crate::skid::Skid;
use rust_hdl::prelude::*;

/// A skid buffer between a BIST generator and the link it feeds: a [`Skid`] (the generator's
/// `ready` is its flop, `!skid_valid`) followed by an output register, so the sink's `ready`
/// (a long path through the disk ingress) ends at this stage's enables and never reaches the
/// generator's LFSR or the BIST's quiet counter, and the generator's next-word logic stays off
/// the disk ingress's forward path. A word a cycle passes through; a word offered at t leaves
/// at t+1 at the earliest; two words held at most.
#[derive(LogicBlock, Default)]
pub struct BistSkid {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Empty it (a new run, an abort).
    pub flush: Signal<In, Bit>,
    /// The generator offers a word.
    pub in_valid: Signal<In, Bit>,
    /// Its data.
    pub in_data: Signal<In, Bits<32>>,
    /// Its parity.
    pub in_par: Signal<In, Bits<4>>,
    /// It ends a frame.
    pub in_last: Signal<In, Bit>,
    /// The stage takes the generator's word (registered: the skid register is empty).
    pub in_ready: Signal<Out, Bit>,
    /// The link to the disk ingress's BIST input.
    pub link: LinkTx,
    /// A word left on the link this cycle.
    pub moved: Signal<Out, Bit>,
    /// A word is held (the generator's run has not all left yet).
    pub busy: Signal<Out, Bit>,
    skid: Skid,
    out_valid: DFF<Bit>,
    out_word: DFF<Word>,
    /// The output register takes the skid's word: it is empty, or its word leaves.
    load: Signal<Local, Bit>,
}

impl Logic for BistSkid {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, skid);
        dff_setup!(self, clock, out_valid, out_word);
        // The generator's word packed as the core's words are (data 31:0, par 35:32, last 36).
        self.skid.flush.next = self.flush.val();
        self.skid.rx.valid.next = self.in_valid.val();
        self.skid.rx.data.next = bit_cast::<40, 32>(self.in_data.val())
            | (bit_cast::<40, 4>(self.in_par.val()) << 32)
            | (bit_cast::<40, 1>(self.in_last.val().into()) << 36);
        self.in_ready.next = self.skid.rx.ready.val();
        self.load.next = !self.out_valid.q.val() | self.link.ready.val();
        self.skid.tx.ready.next = self.load.val();
        if self.load.val() {
            self.out_valid.d.next = self.skid.tx.valid.val();
            self.out_word.d.next = self.skid.tx.data.val();
        }
        if self.flush.val() {
            self.out_valid.d.next = false;
        }
        self.link.valid.next = self.out_valid.q.val();
        self.link.data.next = self.out_word.q.val().get_bits::<32>(0);
        self.link.par.next = self.out_word.q.val().get_bits::<4>(32);
        self.link.last.next = self.out_word.q.val().get_bit(36);
        self.link.abort.next = false;
        self.link.cpar.next = !(self.out_valid.q.val() ^ self.out_word.q.val().get_bit(36));
        self.moved.next = self.out_valid.q.val() & self.link.ready.val();
        self.busy.next = self.out_valid.q.val() | self.skid.held.val();
    }
}

/// The return path's half of the BIST: disk-side generators (through [`BistSkid`]s) into both
/// disk inputs, checkers on both CPU outputs, and their counts. Built only with
/// `BuildParams::bist_return` (and `bist`): otherwise nothing starts, the counts stay 0,
/// `active` stays low (the disk inputs stay the pins') and `complete` is high.
#[derive(LogicBlock)]
pub struct BistReturn {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// A run starts (pulse, BIST_CTRL.start registered).
    pub start: Signal<In, Bit>,
    /// A run is aborted (pulse).
    pub stop: Signal<In, Bit>,
    /// The run is on (BIST_STATUS.running).
    pub enable: Signal<In, Bit>,
    /// Count every word still expected as an error (the run went quiet).
    pub drain: Signal<In, Bit>,
    /// BIST_SEED (the return stream is the sequence of its complement).
    pub seed: Signal<In, Bits<32>>,
    /// BIST_LEN.
    pub len: Signal<In, Bits<16>>,
    /// BIST_FRAMES.
    pub frames: Signal<In, Bits<32>>,
    /// Generator link into disk A's ingress.
    pub disk_a: LinkTx,
    /// Generator link into disk B's ingress.
    pub disk_b: LinkTx,
    /// The disk inputs are the BIST's (the ingresses' `bist_select`).
    pub active: Signal<Out, Bit>,
    /// The word offered to CPU A.
    pub cpu_a_word: Signal<In, Word>,
    /// CPU A took it.
    pub cpu_a_moved: Signal<In, Bit>,
    /// The word offered to CPU B.
    pub cpu_b_word: Signal<In, Word>,
    /// CPU B took it.
    pub cpu_b_moved: Signal<In, Bit>,
    /// Something moved on a return link last cycle (registered per link).
    pub moved: Signal<Out, Bit>,
    /// Every word has left the generators and reached both CPU checkers, or the run is
    /// drained and the checkers have counted what is missing (high when not built).
    pub complete: Signal<Out, Bit>,
    /// BIST_RET_WORDS: words checked on both CPU outputs (the lesser count), registered.
    pub words: Signal<Out, Bits<32>>,
    /// BIST_RET_ERRORS: both checkers' errors, registered, stopping at the count's top.
    pub errors: Signal<Out, Bits<32>>,
    /// Some checker has counted an error.
    pub any_error: Signal<Out, Bit>,
    gen_a: BistGenerator,
    gen_b: BistGenerator,
    skid_a: BistSkid,
    skid_b: BistSkid,
    chk_a: BistChecker,
    chk_b: BistChecker,
    /// The CPU outputs' words and moves, registered: the fabric's return select stays off the
    /// checkers' compare and counters.
    cpu_a_word_q: DFF<Word>,
    cpu_a_moved_q: DFF<Bit>,
    cpu_b_word_q: DFF<Word>,
    cpu_b_moved_q: DFF<Bit>,
    /// Per-link move flags for the quiet counter (disk links and CPU links).
    disk_a_moved_q: DFF<Bit>,
    disk_b_moved_q: DFF<Bit>,
    /// The checkers' summary: words checked on both, both checkers' errors.
    pair: BistCheckPair,
    /// Not built (`!bist_return` or `!bist`).
    left_out: Constant<Bit>,
}

impl BistReturn {
    /// The return path's BIST with counts `width` bits wide, built when `built`.
    pub fn new(width: u8, built: bool) -> Self {
        let params = ftio_proto::BuildParams { counter_width: width, bist: built, ..ftio_proto::BuildParams::DEFAULT };
        Self {
            clock: Default::default(),
            start: Default::default(),
            stop: Default::default(),
            enable: Default::default(),
            drain: Default::default(),
            seed: Default::default(),
            len: Default::default(),
            frames: Default::default(),
            disk_a: Default::default(),
            disk_b: Default::default(),
            active: Default::default(),
            cpu_a_word: Default::default(),
            cpu_a_moved: Default::default(),
            cpu_b_word: Default::default(),
            cpu_b_moved: Default::default(),
            moved: Default::default(),
            complete: Default::default(),
            words: Default::default(),
            errors: Default::default(),
            any_error: Default::default(),
            gen_a: BistGenerator::for_build(&params),
            gen_b: BistGenerator::for_build(&params),
            skid_a: Default::default(),
            skid_b: Default::default(),
            chk_a: BistChecker::for_build(&params),
            chk_b: BistChecker::for_build(&params),
            cpu_a_word_q: Default::default(),
            cpu_a_moved_q: Default::default(),
            cpu_b_word_q: Default::default(),
            cpu_b_moved_q: Default::default(),
            disk_a_moved_q: Default::default(),
            disk_b_moved_q: Default::default(),
            pair: BistCheckPair::new(width),
            left_out: Constant::new(!built),
        }
    }

    /// The return path's BIST of a core built with `params`.
    pub fn for_build(params: &ftio_proto::BuildParams) -> Self {
        Self::new(params.counter_width, params.bist && params.bist_return)
    }
}

impl Logic for BistReturn {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, gen_a, gen_b, skid_a, skid_b, chk_a, chk_b, pair);
        dff_setup!(self, clock, cpu_a_word_q, cpu_a_moved_q, cpu_b_word_q, cpu_b_moved_q, disk_a_moved_q, disk_b_moved_q);
        // Disk-side generators: both disks answer the same frames, at once.
        self.gen_a.start.next = self.start.val();
        self.gen_b.start.next = self.start.val();
        self.gen_a.stop.next = self.stop.val();
        self.gen_b.stop.next = self.stop.val();
        self.gen_a.seed.next = !self.seed.val();
        self.gen_b.seed.next = !self.seed.val();
        self.gen_a.len.next = self.len.val();
        self.gen_b.len.next = self.len.val();
        self.gen_a.frames.next = self.frames.val();
        self.gen_b.frames.next = self.frames.val();
        self.gen_a.delay.next = 0.into();
        self.gen_b.delay.next = 0.into();
        self.skid_a.flush.next = self.start.val() | self.stop.val();
        self.skid_a.in_valid.next = self.gen_a.valid.val();
        self.skid_a.in_data.next = self.gen_a.data.val();
        self.skid_a.in_par.next = self.gen_a.par.val();
        self.skid_a.in_last.next = self.gen_a.last.val();
        self.gen_a.ready.next = self.skid_a.in_ready.val();
        self.skid_b.flush.next = self.start.val() | self.stop.val();
        self.skid_b.in_valid.next = self.gen_b.valid.val();
        self.skid_b.in_data.next = self.gen_b.data.val();
        self.skid_b.in_par.next = self.gen_b.par.val();
        self.skid_b.in_last.next = self.gen_b.last.val();
        self.gen_b.ready.next = self.skid_b.in_ready.val();
        LinkTx::link(&mut self.disk_a, &mut self.skid_a.link);
        LinkTx::link(&mut self.disk_b, &mut self.skid_b.link);
        self.active.next = self.enable.val() & !self.left_out.val();
        // Checkers on the CPU outputs, a cycle late (word bits: data 31:0, par 35:32, last 36,
        // abort 37).
        self.cpu_a_word_q.d.next = self.cpu_a_word.val();
        self.cpu_a_moved_q.d.next = self.cpu_a_moved.val();
        self.cpu_b_word_q.d.next = self.cpu_b_word.val();
        self.cpu_b_moved_q.d.next = self.cpu_b_moved.val();
        self.chk_a.start.next = self.start.val();
        self.chk_b.start.next = self.start.val();
        self.chk_a.seed.next = !self.seed.val();
        self.chk_b.seed.next = !self.seed.val();
        self.chk_a.len.next = self.len.val();
        self.chk_b.len.next = self.len.val();
        self.chk_a.frames.next = self.frames.val();
        self.chk_b.frames.next = self.frames.val();
        self.chk_a.enable.next = self.enable.val();
        self.chk_b.enable.next = self.enable.val();
        self.chk_a.drain.next = self.drain.val();
        self.chk_b.drain.next = self.drain.val();
        self.chk_a.take.next = self.cpu_a_moved_q.q.val();
        self.chk_a.data.next = self.cpu_a_word_q.q.val().get_bits::<32>(0);
        self.chk_a.par.next = self.cpu_a_word_q.q.val().get_bits::<4>(32);
        self.chk_a.last.next = self.cpu_a_word_q.q.val().get_bit(36);
        self.chk_a.abort.next = self.cpu_a_word_q.q.val().get_bit(37);
        self.chk_b.take.next = self.cpu_b_moved_q.q.val();
        self.chk_b.data.next = self.cpu_b_word_q.q.val().get_bits::<32>(0);
        self.chk_b.par.next = self.cpu_b_word_q.q.val().get_bits::<4>(32);
        self.chk_b.last.next = self.cpu_b_word_q.q.val().get_bit(36);
        self.chk_b.abort.next = self.cpu_b_word_q.q.val().get_bit(37);
        // The quiet counter's evidence, one flop per link.
        self.disk_a_moved_q.d.next = self.skid_a.moved.val();
        self.disk_b_moved_q.d.next = self.skid_b.moved.val();
        self.moved.next = self.disk_a_moved_q.q.val()
            | self.disk_b_moved_q.q.val()
            | self.cpu_a_moved_q.q.val()
            | self.cpu_b_moved_q.q.val();
        // A drained run ends without the generators: a disk input held silent keeps its
        // generator's words, and they must not reach the checkers after the run.
        self.complete.next = self.left_out.val()
            | (self.chk_a.complete.val()
                & self.chk_b.complete.val()
                & (self.drain.val()
                    | (!self.gen_a.running.val()
                        & !self.gen_b.running.val()
                        & !self.skid_a.busy.val()
                        & !self.skid_b.busy.val())));
        // A word counts once both CPUs' copies have been checked.
        self.pair.a_words.next = self.chk_a.words.val();
        self.pair.a_errors.next = self.chk_a.errors.val();
        self.pair.b_words.next = self.chk_b.words.val();
        self.pair.b_errors.next = self.chk_b.errors.val();
        self.words.next = self.pair.words.val();
        self.errors.next = self.pair.errors.val();
        self.any_error.next = (self.chk_a.errors.val() != 0) | (self.chk_b.errors.val() != 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};

    /// The skid stage passes every word in order under random stalls, a word a cycle when the
    /// sink is always ready, and its `in_ready` is a flop (it does not follow `link.ready`).
    #[test]
    fn bist_skid_keeps_order_and_rate() {
        for stall_every in [0usize, 3, 2] {
            let mut s = BistSkid::default();
            s.connect_all();
            let (mut next_in, mut next_out, mut t) = (0u32, 0u32, 0usize);
            while next_out < 40 && t < 400 {
                let ready = stall_every == 0 || t % stall_every != 0;
                s.link.ready.next = ready;
                s.in_valid.next = next_in < 40;
                s.in_data.next = (next_in as u64).into();
                s.in_last.next = next_in % 4 == 3;
                low(&mut s, |s| &mut s.clock);
                let in_ready = s.in_ready.val();
                s.link.ready.next = !ready;
                low(&mut s, |s| &mut s.clock);
                assert_eq!(s.in_ready.val(), in_ready, "in_ready follows the sink's ready");
                s.link.ready.next = ready;
                low(&mut s, |s| &mut s.clock);
                if s.link.valid.val() && ready {
                    assert_eq!(s.link.data.val().to_u32(), next_out);
                    assert_eq!(s.link.last.val(), next_out % 4 == 3);
                    assert!(s.moved.val());
                    next_out += 1;
                }
                if next_in < 40 && in_ready {
                    next_in += 1;
                }
                edge(&mut s, |s| &mut s.clock);
                t += 1;
            }
            assert_eq!(next_out, 40, "stall every {stall_every}");
            if stall_every == 0 {
                assert_eq!(t, 41, "a word a cycle after one cycle of latency");
            }
        }
    }
}
