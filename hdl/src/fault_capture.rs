//! `FaultCapture`: what the first-fault capture records (SPEC §5: CAP_WORD, CAP_DATA_A/B,
//! CAP_FLAGS), handed to the [`crate::fault_log::FaultLog`] that latches it.
use crate::link::{Word, WordTapIn};
use crate::regfile::CapFlagsRegs;
use ftio_proto::{reg, Cause};
use rust_hdl::prelude::*;

/// Chooses the two words the capture shows for this cycle's fault (`ftio_proto::Cause::capture`
/// says which, per cause), packs CAP_FLAGS, and counts CAP_WORD's word index:
///
/// - a mismatch: the compared pair (the lockstep's heads);
/// - a disk timeout and no lower cause this cycle: the words waiting on the disks' tx links;
/// - otherwise the words at the CPU ports, registered (the lockstep sees a port's parity error
///   a cycle after the port), or for a disk parity error or a read-verify divergence with no
///   CPU parity error the disks' rx words.
///
/// Where the choice between the CPU ports' and the disks' rx words is made is a build setting
/// (`BuildParams::capture_choice`, docs/boards.md "The capture's choice"): before the
/// registers (one registered pair, loaded from either: the smaller, the iCE40's) or after them
/// (both pairs registered every cycle with the evidence: the faster, the ECP5's). Both show
/// the same words in the same cycle.
///
/// CAP_WORD's count stops while a fault is latched (`frozen`), so the latch reads it as
/// captured instead of keeping a copy: it counts each committed word a cycle late
/// (`committed_q`), so a word committed in the fault's own cycle is not counted, as it was not
/// when the index was copied in that cycle.
///
/// CAP_FLAGS travels through the fault log as a 16-bit bus laid out as the register: its
/// fields are placed (`flags`) and read back (`a_valid` ... `b_perr`) at the positions the
/// `ftio-proto` table gives them.
#[derive(LogicBlock)]
pub struct FaultCapture {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// CTRL.fault_clear: the word index restarts from 0.
    pub clear: Signal<In, Bit>,
    /// The lockstep committed a word toward the disks (CAP_WORD counts these).
    pub committed: Signal<In, Bit>,
    /// A fault is latched (the latch's flop): the word index holds still, as CAP_WORD.
    pub frozen: Signal<In, Bit>,
    /// This cycle's fault causes, bit n for cause code n (as the fault log takes them).
    pub causes: Signal<In, Bits<16>>,
    /// Parity evidence on either CPU's links this cycle (as the ports see it).
    pub cpu_error: Signal<In, Bit>,
    /// Parity evidence on either disk's links, or a read-verify divergence, this cycle.
    pub disk_error: Signal<In, Bit>,
    /// CPU A's offer at its port (from its ingress).
    pub cpu_a: WordTapIn,
    /// CPU B's offer at its port.
    pub cpu_b: WordTapIn,
    /// Disk A's rx offer (from its ingress).
    pub disk_a_rx: WordTapIn,
    /// Disk B's rx offer.
    pub disk_b_rx: WordTapIn,
    /// The offer on disk A's tx link (from its side).
    pub disk_a_tx: WordTapIn,
    /// The offer on disk B's tx link.
    pub disk_b_tx: WordTapIn,
    /// The compared pair at the lockstep's comparator: CPU A's word.
    pub pair_a_word: Signal<In, Word>,
    /// CPU A's side of the pair holds a word.
    pub pair_a_valid: Signal<In, Bit>,
    /// CPU B's word of the pair.
    pub pair_b_word: Signal<In, Word>,
    /// CPU B's side of the pair holds a word.
    pub pair_b_valid: Signal<In, Bit>,
    /// To the fault log: the word index (CAP_WORD's source), counted a cycle late: the words
    /// committed before the previous cycle; while `frozen`, those before the fault's cycle.
    pub word_index: Signal<Out, Bits<32>>,
    /// To the fault log: side A's data (CAP_DATA_A).
    pub data_a: Signal<Out, Bits<32>>,
    /// To the fault log: side B's data (CAP_DATA_B).
    pub data_b: Signal<Out, Bits<32>>,
    /// To the fault log: CAP_FLAGS.
    pub flags: Signal<Out, Bits<16>>,
    /// From the fault log: CAP_FLAGS as captured.
    pub captured_flags: Signal<In, Bits<16>>,
    /// CAP_FLAGS, field by field as captured, as the register file reads them (generated
    /// from the register table, `hdl/build.rs`).
    pub regs: CapFlagsRegs,
    /// The CPU ports' words, registered.
    port_a_q: DFF<Word>,
    port_b_q: DFF<Word>,
    port_a_valid_q: DFF<Bit>,
    port_b_valid_q: DFF<Bit>,
    /// Words committed toward the disks since reset or the last fault clear (the lockstep's
    /// committed stream in DUPLEX and SIMPLEX, abort words not counted), a cycle late, held
    /// while `frozen`.
    count: DFF<Bits<32>>,
    /// A word was committed the cycle before (cleared with the count, so a word committed in
    /// the clear's cycle is not counted).
    committed_q: DFF<Bit>,
    /// The choice is made before the registers (`CaptureChoice::Before`): the ports' registers
    /// take the disks' rx words when this cycle's evidence says so, `disk_*_q` and
    /// `from_disks` are unused (synthesis removes them).
    choice_before: Constant<Bit>,
    /// This cycle's evidence chooses the disks' rx words.
    disks_now: Signal<Local, Bit>,
    /// The disks' rx words, registered beside the CPU ports' (both kept every cycle, so the
    /// choice between them is made after the registers, from `from_disks`).
    disk_a_q: DFF<Word>,
    disk_b_q: DFF<Word>,
    disk_a_valid_q: DFF<Bit>,
    disk_b_valid_q: DFF<Bit>,
    /// The capture shows the disks' rx words, not the CPU ports' (this cycle's parity evidence,
    /// registered with the words it chooses between).
    from_disks: DFF<Bit>,
    /// The words the capture records this cycle.
    word_a: Signal<Local, Word>,
    word_b: Signal<Local, Word>,
    valid_a: Signal<Local, Bit>,
    valid_b: Signal<Local, Bit>,
    /// Cause bits: a mismatch; a disk timeout; every cause below a disk timeout.
    mismatch: Constant<Bits<16>>,
    disk_timeout: Constant<Bits<16>>,
    below_disk_timeout: Constant<Bits<16>>,
    /// CAP_FLAGS field positions, from the table.
    at_a_valid: Constant<Bits<16>>,
    at_a_last: Constant<Bits<16>>,
    at_a_abort: Constant<Bits<16>>,
    at_a_par: Constant<Bits<16>>,
    at_a_perr: Constant<Bits<16>>,
    at_b_valid: Constant<Bits<16>>,
    at_b_last: Constant<Bits<16>>,
    at_b_abort: Constant<Bits<16>>,
    at_b_par: Constant<Bits<16>>,
    at_b_perr: Constant<Bits<16>>,
}

/// FAULTS bits of `causes` (bit n: cause code n).
pub fn cause_bits(causes: impl IntoIterator<Item = Cause>) -> Bits<16> {
    causes.into_iter().fold(0u64, |m, c| m | 1 << c.code()).to_bits()
}

/// The position of CAP_FLAGS field `name`, which the capture handles as `width` bits.
fn at(name: &str, width: u8) -> Constant<Bits<16>> {
    let f = reg("CAP_FLAGS").f(name);
    assert_eq!(f.width, width, "CAP_FLAGS.{name} is {} bits wide, the capture gives it {width}", f.width);
    Constant::new((f.lsb as u64).to_bits())
}

impl Default for FaultCapture {
    fn default() -> Self {
        Self::new(ftio_proto::CaptureChoice::After)
    }
}

impl FaultCapture {
    /// The capture with its choice between the CPU ports' and the disks' rx words made where
    /// `choice` says.
    pub fn new(choice: ftio_proto::CaptureChoice) -> Self {
        let below = (Cause::None.code() + 1..Cause::DiskATimeout.code()).filter_map(Cause::from_code);
        Self {
            clock: Default::default(),
            reset: Default::default(),
            clear: Default::default(),
            committed: Default::default(),
            frozen: Default::default(),
            causes: Default::default(),
            cpu_error: Default::default(),
            disk_error: Default::default(),
            cpu_a: Default::default(),
            cpu_b: Default::default(),
            disk_a_rx: Default::default(),
            disk_b_rx: Default::default(),
            disk_a_tx: Default::default(),
            disk_b_tx: Default::default(),
            pair_a_word: Default::default(),
            pair_a_valid: Default::default(),
            pair_b_word: Default::default(),
            pair_b_valid: Default::default(),
            word_index: Default::default(),
            data_a: Default::default(),
            data_b: Default::default(),
            flags: Default::default(),
            captured_flags: Default::default(),
            regs: Default::default(),
            port_a_q: Default::default(),
            port_b_q: Default::default(),
            port_a_valid_q: Default::default(),
            port_b_valid_q: Default::default(),
            disk_a_q: Default::default(),
            disk_b_q: Default::default(),
            disk_a_valid_q: Default::default(),
            disk_b_valid_q: Default::default(),
            count: Default::default(),
            committed_q: Default::default(),
            choice_before: Constant::new(choice == ftio_proto::CaptureChoice::Before),
            disks_now: Default::default(),
            from_disks: Default::default(),
            word_a: Default::default(),
            word_b: Default::default(),
            valid_a: Default::default(),
            valid_b: Default::default(),
            mismatch: Constant::new(cause_bits([Cause::Mismatch])),
            disk_timeout: Constant::new(cause_bits([Cause::DiskATimeout, Cause::DiskBTimeout])),
            below_disk_timeout: Constant::new(cause_bits(below)),
            at_a_valid: at("a_valid", 1),
            at_a_last: at("a_last", 1),
            at_a_abort: at("a_abort", 1),
            at_a_par: at("a_par", 4),
            at_a_perr: at("a_perr", 1),
            at_b_valid: at("b_valid", 1),
            at_b_last: at("b_last", 1),
            at_b_abort: at("b_abort", 1),
            at_b_par: at("b_par", 4),
            at_b_perr: at("b_perr", 1),
        }
    }
}

impl Logic for FaultCapture {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, port_a_q, port_b_q, port_a_valid_q, port_b_valid_q, disk_a_q, disk_b_q, disk_a_valid_q,
            disk_b_valid_q, from_disks, count, committed_q
        );
        // CAP_WORD: the word index at the fault, counted from reset or the last fault clear. A
        // word counts the cycle after its commit; while a fault is latched nothing counts, so
        // the count holds the words committed before the fault's cycle (CAP_WORD as captured).
        self.committed_q.d.next = self.committed.val() & !self.reset.val() & !self.clear.val();
        if self.committed_q.q.val() & !self.frozen.val() {
            self.count.d.next = self.count.q.val() + 1;
        }
        if self.reset.val() | self.clear.val() {
            self.count.d.next = 0.into();
        }
        self.word_index.next = self.count.q.val();
        // The words the capture shows a cycle later, when the registered evidence raises the
        // fault: the CPU ports' words, or for a disk parity error or a divergence the disks'
        // rx words (a CPU parity error in the same cycle has the lower cause code and wins).
        // After the registers (the ECP5's): both pairs are registered every cycle and the
        // evidence with them, since the parity checks behind `cpu_error` / `disk_error` are deep
        // and as the select of 80 register inputs they were the full core's slowest endpoints
        // on the ECP5 (docs/timing-history.md). Before them (the iCE40's): one pair, ~100
        // logic cells fewer (docs/boards.md "The capture's choice").
        self.disks_now.next = self.disk_error.val() & !self.cpu_error.val();
        self.from_disks.d.next = self.disks_now.val();
        self.port_a_q.d.next = self.cpu_a.data.val();
        self.port_b_q.d.next = self.cpu_b.data.val();
        self.port_a_valid_q.d.next = self.cpu_a.valid.val();
        self.port_b_valid_q.d.next = self.cpu_b.valid.val();
        if self.choice_before.val() & self.disks_now.val() {
            self.port_a_q.d.next = self.disk_a_rx.data.val();
            self.port_b_q.d.next = self.disk_b_rx.data.val();
            self.port_a_valid_q.d.next = self.disk_a_rx.valid.val();
            self.port_b_valid_q.d.next = self.disk_b_rx.valid.val();
        }
        self.disk_a_q.d.next = self.disk_a_rx.data.val();
        self.disk_b_q.d.next = self.disk_b_rx.data.val();
        self.disk_a_valid_q.d.next = self.disk_a_rx.valid.val();
        self.disk_b_valid_q.d.next = self.disk_b_rx.valid.val();
        self.word_a.next = self.port_a_q.q.val();
        self.word_b.next = self.port_b_q.q.val();
        self.valid_a.next = self.port_a_valid_q.q.val();
        self.valid_b.next = self.port_b_valid_q.q.val();
        if !self.choice_before.val() & self.from_disks.q.val() {
            self.word_a.next = self.disk_a_q.q.val();
            self.word_b.next = self.disk_b_q.q.val();
            self.valid_a.next = self.disk_a_valid_q.q.val();
            self.valid_b.next = self.disk_b_valid_q.q.val();
        }
        // A disk timeout with no lower cause in the same cycle: the words waiting on the
        // disks' tx links.
        if ((self.causes.val() & self.disk_timeout.val()) != 0) & ((self.causes.val() & self.below_disk_timeout.val()) == 0) {
            self.word_a.next = self.disk_a_tx.data.val();
            self.word_b.next = self.disk_b_tx.data.val();
            self.valid_a.next = self.disk_a_tx.valid.val();
            self.valid_b.next = self.disk_b_tx.valid.val();
        }
        if (self.causes.val() & self.mismatch.val()) != 0 {
            self.word_a.next = self.pair_a_word.val();
            self.word_b.next = self.pair_b_word.val();
            self.valid_a.next = self.pair_a_valid.val();
            self.valid_b.next = self.pair_b_valid.val();
        }
        self.data_a.next = self.word_a.val().get_bits::<32>(0);
        self.data_b.next = self.word_b.val().get_bits::<32>(0);
        // CAP_FLAGS by field (word bits, link::word: par 35:32, last 36, abort 37, perr 38).
        self.flags.next = (bit_cast::<16, 1>(self.valid_a.val().into()) << self.at_a_valid.val())
            | (bit_cast::<16, 1>(self.word_a.val().get_bit(36).into()) << self.at_a_last.val())
            | (bit_cast::<16, 1>(self.word_a.val().get_bit(37).into()) << self.at_a_abort.val())
            | (bit_cast::<16, 4>(self.word_a.val().get_bits::<4>(32)) << self.at_a_par.val())
            | (bit_cast::<16, 1>(self.word_a.val().get_bit(38).into()) << self.at_a_perr.val())
            | (bit_cast::<16, 1>(self.valid_b.val().into()) << self.at_b_valid.val())
            | (bit_cast::<16, 1>(self.word_b.val().get_bit(36).into()) << self.at_b_last.val())
            | (bit_cast::<16, 1>(self.word_b.val().get_bit(37).into()) << self.at_b_abort.val())
            | (bit_cast::<16, 4>(self.word_b.val().get_bits::<4>(32)) << self.at_b_par.val())
            | (bit_cast::<16, 1>(self.word_b.val().get_bit(38).into()) << self.at_b_perr.val());
        // CAP_FLAGS as captured, field by field.
        self.regs.cap_flags_a_valid.next = self.captured_flags.val().get_bit(self.at_a_valid.val().index());
        self.regs.cap_flags_a_last.next = self.captured_flags.val().get_bit(self.at_a_last.val().index());
        self.regs.cap_flags_a_abort.next = self.captured_flags.val().get_bit(self.at_a_abort.val().index());
        self.regs.cap_flags_a_par.next = self.captured_flags.val().get_bits::<4>(self.at_a_par.val().index());
        self.regs.cap_flags_a_perr.next = self.captured_flags.val().get_bit(self.at_a_perr.val().index());
        self.regs.cap_flags_b_valid.next = self.captured_flags.val().get_bit(self.at_b_valid.val().index());
        self.regs.cap_flags_b_last.next = self.captured_flags.val().get_bit(self.at_b_last.val().index());
        self.regs.cap_flags_b_abort.next = self.captured_flags.val().get_bit(self.at_b_abort.val().index());
        self.regs.cap_flags_b_par.next = self.captured_flags.val().get_bits::<4>(self.at_b_par.val().index());
        self.regs.cap_flags_b_perr.next = self.captured_flags.val().get_bit(self.at_b_perr.val().index());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::{byte_parity, pack_word};
    use crate::testbench::{edge, low};
    use ftio_proto::{reg, CaptureChoice};

    fn step(c: &mut FaultCapture) {
        low(c, |c| &mut c.clock);
        edge(c, |c| &mut c.clock);
    }

    fn capture() -> FaultCapture {
        let mut c = FaultCapture::default();
        c.connect_all();
        c
    }

    #[test]
    fn fault_capture_synthesizes() {
        yosys_validate("ftio_fault_capture", &generate_verilog(&capture())).unwrap();
    }

    /// CAP_FLAGS as the register table lays it out: each field of the captured words lands
    /// where `reg("CAP_FLAGS").f(..)` says, and reads back by name.
    #[test]
    fn flags_are_packed_and_read_by_the_table() {
        let mut c = capture();
        let (da, db) = (0x1234_5678, 0x0BAD_F00D);
        c.pair_a_word.next = pack_word(da, 0x5, true, false, true).into();
        c.pair_a_valid.next = true;
        c.pair_b_word.next = pack_word(db, 0xA, true, true, false).into();
        c.pair_b_valid.next = false;
        c.causes.next = cause_bits([Cause::Mismatch]);
        low(&mut c, |c| &mut c.clock);
        let f = |name: &str| reg("CAP_FLAGS").f(name);
        let expect = [("a_valid", 1), ("a_last", 1), ("a_abort", 0), ("a_par", 0x5), ("a_perr", 1)]
            .into_iter()
            .chain([("b_valid", 0), ("b_last", 1), ("b_abort", 1), ("b_par", 0xA), ("b_perr", 0)])
            .fold(0u32, |m, (name, v)| m | v << f(name).lsb);
        assert_eq!(c.flags.val().to_u32(), expect);
        assert_eq!((c.data_a.val().to_u32(), c.data_b.val().to_u32()), (da, db));
        c.captured_flags.next = c.flags.val();
        low(&mut c, |c| &mut c.clock);
        assert!(c.regs.cap_flags_a_valid.val() && c.regs.cap_flags_a_last.val() && !c.regs.cap_flags_a_abort.val() && c.regs.cap_flags_a_perr.val());
        assert!(!c.regs.cap_flags_b_valid.val() && c.regs.cap_flags_b_last.val() && c.regs.cap_flags_b_abort.val() && !c.regs.cap_flags_b_perr.val());
        assert_eq!((c.regs.cap_flags_a_par.val().to_u32(), c.regs.cap_flags_b_par.val().to_u32()), (0x5, 0xA));
    }

    /// Which words: the CPU ports' a cycle late; the disks' rx words for disk-side evidence
    /// without CPU evidence; the disks' tx words for a disk timeout with no lower cause.
    #[test]
    fn the_words_follow_the_cause() {
        let mut c = capture();
        let w = |d: u32| pack_word(d, byte_parity(d), false, false, false);
        c.cpu_a.data.next = w(0xA).into();
        c.cpu_b.data.next = w(0xB).into();
        c.cpu_a.valid.next = true;
        c.disk_a_rx.data.next = w(0xDA).into();
        c.disk_b_rx.data.next = w(0xDB).into();
        c.disk_a_tx.data.next = w(0x7A).into();
        c.disk_b_tx.data.next = w(0x7B).into();
        step(&mut c);
        assert_eq!((c.data_a.val().to_u32(), c.data_b.val().to_u32()), (0xA, 0xB), "CPU ports, registered");
        c.disk_error.next = true;
        step(&mut c);
        assert_eq!((c.data_a.val().to_u32(), c.data_b.val().to_u32()), (0xDA, 0xDB), "disk rx words");
        c.cpu_error.next = true;
        step(&mut c);
        assert_eq!(c.data_a.val().to_u32(), 0xA, "a CPU parity error wins");
        c.causes.next = cause_bits([Cause::DiskBTimeout]);
        low(&mut c, |c| &mut c.clock);
        assert_eq!((c.data_a.val().to_u32(), c.data_b.val().to_u32()), (0x7A, 0x7B), "disk tx words");
        c.causes.next = cause_bits([Cause::DiskBTimeout, Cause::DiskAParity]);
        low(&mut c, |c| &mut c.clock);
        assert_eq!(c.data_a.val().to_u32(), 0xA, "a lower cause's words");
    }

    /// CAP_WORD's source counts committed words a cycle late, restarts at a clear, and holds
    /// while frozen.
    #[test]
    fn word_index_counts_committed_words() {
        let mut c = capture();
        c.committed.next = true;
        for _ in 0..5 {
            step(&mut c);
        }
        assert_eq!(c.word_index.val().to_u32(), 4, "the words before the previous cycle");
        // A fault in the previous cycle (the fifth): frozen at the words before it.
        c.frozen.next = true;
        step(&mut c);
        step(&mut c);
        assert_eq!(c.word_index.val().to_u32(), 4, "the words committed before the fault's cycle, held");
        c.frozen.next = false;
        c.clear.next = true;
        step(&mut c);
        c.clear.next = false;
        assert_eq!(c.word_index.val().to_u32(), 0);
        step(&mut c);
        assert_eq!(c.word_index.val().to_u32(), 0, "a word committed in the clear's cycle is not counted");
        step(&mut c);
        assert_eq!(c.word_index.val().to_u32(), 1);
    }

    /// Both choices (before and after the registers) show the same words, flags and word
    /// index in every cycle of random traffic, parity evidence, causes, clears and faults, and
    /// they are the words the capture is specified to show; the frozen count is the index the
    /// latch copied before it stopped keeping a copy: the words committed since the last clear
    /// before the fault's cycle (a model of the latch drives `frozen`).
    #[test]
    fn both_choices_capture_the_same_words_and_the_frozen_count_is_the_index() {
        use rand::{rngs::StdRng, Rng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(26);
        let mut cs = [FaultCapture::new(CaptureChoice::Before), FaultCapture::new(CaptureChoice::After)];
        cs.iter_mut().for_each(|c| c.connect_all());
        let causes = [
            Cause::CpuAParity,
            Cause::Mismatch,
            Cause::DiskAParity,
            Cause::DiskBParity,
            Cause::DiskATimeout,
            Cause::DiskBTimeout,
            Cause::DiskDivergence,
        ];
        // The model: the words committed since the clear (the old count), the latch, its copy,
        // and last cycle's port words and evidence.
        let (mut count, mut latched, mut copy) = (0u32, false, 0u32);
        let (mut prev_ports, mut prev_disks, mut prev_from_disks) = ((0u64, false, 0u64, false), (0u64, false, 0u64, false), false);
        let (mut faults, mut from_disks_seen) = (0, 0);
        for cycle in 0..3000 {
            let word = |rng: &mut StdRng| pack_word(rng.gen(), rng.gen::<u8>() & 0xF, rng.gen(), rng.gen(), rng.gen());
            let (cpu_a, cpu_b, rx_a, rx_b, tx_a, tx_b, pa, pb) =
                (word(&mut rng), word(&mut rng), word(&mut rng), word(&mut rng), word(&mut rng), word(&mut rng), word(&mut rng), word(&mut rng));
            let v: [bool; 8] = std::array::from_fn(|_| rng.gen());
            let committed = rng.gen_bool(0.6);
            let clear = rng.gen_bool(0.01);
            let cpu_error = rng.gen_bool(0.2);
            let disk_error = rng.gen_bool(0.3);
            let fault: Vec<Cause> = if rng.gen_bool(0.03) {
                (0..rng.gen_range(1..=2)).map(|_| causes[rng.gen_range(0..causes.len())]).collect()
            } else {
                vec![]
            };
            for c in cs.iter_mut() {
                c.cpu_a.data.next = cpu_a.into();
                c.cpu_b.data.next = cpu_b.into();
                c.disk_a_rx.data.next = rx_a.into();
                c.disk_b_rx.data.next = rx_b.into();
                c.disk_a_tx.data.next = tx_a.into();
                c.disk_b_tx.data.next = tx_b.into();
                c.pair_a_word.next = pa.into();
                c.pair_b_word.next = pb.into();
                c.cpu_a.valid.next = v[0];
                c.cpu_b.valid.next = v[1];
                c.disk_a_rx.valid.next = v[2];
                c.disk_b_rx.valid.next = v[3];
                c.disk_a_tx.valid.next = v[4];
                c.disk_b_tx.valid.next = v[5];
                c.pair_a_valid.next = v[6];
                c.pair_b_valid.next = v[7];
                c.committed.next = committed;
                c.clear.next = clear;
                c.cpu_error.next = cpu_error;
                c.disk_error.next = disk_error;
                c.causes.next = cause_bits(fault.iter().copied());
                c.frozen.next = latched;
                low(c, |c| &mut c.clock);
            }
            let [before, after] = &cs;
            let seen = |c: &FaultCapture| (c.data_a.val().to_u32(), c.data_b.val().to_u32(), c.flags.val().to_u32(), c.word_index.val().to_u32());
            assert_eq!(seen(before), seen(after), "cycle {cycle}: the choice before the registers differs from the choice after");
            // The words specified for this cycle's causes.
            let has = |c: Cause| fault.contains(&c);
            let lower_than_timeout = fault.iter().any(|c| c.code() < Cause::DiskATimeout.code());
            let expect = if has(Cause::Mismatch) {
                (pa, v[6], pb, v[7])
            } else if (has(Cause::DiskATimeout) || has(Cause::DiskBTimeout)) && !lower_than_timeout {
                (tx_a, v[4], tx_b, v[5])
            } else if prev_from_disks {
                prev_disks
            } else {
                prev_ports
            };
            from_disks_seen += (prev_from_disks && fault.is_empty()) as u32;
            assert_eq!((before.data_a.val().to_u32(), before.data_b.val().to_u32()), (expect.0 as u32, expect.2 as u32), "cycle {cycle}");
            let f = before.flags.val().to_u32();
            let field = |n: &str| reg("CAP_FLAGS").f(n).get(f);
            assert_eq!((field("a_valid") != 0, field("b_valid") != 0), (expect.1, expect.3), "cycle {cycle}");
            assert_eq!(field("a_par") as u64, expect.0 >> 32 & 0xF, "cycle {cycle}");
            assert_eq!(field("b_perr") as u64, expect.2 >> 38 & 1, "cycle {cycle}");
            // CAP_WORD: while latched the count is the copy the latch used to take.
            if latched {
                assert_eq!(before.word_index.val().to_u32(), copy, "cycle {cycle}: the frozen count");
            }
            if !latched && !fault.is_empty() {
                copy = count;
                faults += 1;
            }
            latched = (latched || !fault.is_empty()) && !clear;
            count = if clear { 0 } else { count + committed as u32 };
            prev_ports = (cpu_a, v[0], cpu_b, v[1]);
            prev_disks = (rx_a, v[2], rx_b, v[3]);
            prev_from_disks = disk_error && !cpu_error;
            for c in cs.iter_mut() {
                edge(c, |c| &mut c.clock);
            }
        }
        assert!(faults > 10 && from_disks_seen > 100, "the scenarios reach the cases: {faults} faults latched, {from_disks_seen} cycles on the disks' words");
    }
}
