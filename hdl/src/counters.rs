//! `Counters`: the statistics of SPEC §5 (WORDS_FWD ... WORDS_RETURNED, MAX_SKEW), from the
//! events the core's blocks report.
use crate::event_counter::EventCounter;
use crate::fabric::mode;
use crate::commit_gate::GateEventsIn;
use crate::link::Word;
use crate::lockstep::LockstepEventsIn;
use crate::regfile::CounterRegs;
use rust_hdl::prelude::*;

/// The event counters, one [`EventCounter`] each in `counter`, cleared together, and
/// MAX_SKEW. Every count leaves by its register's name, in `regs`.
#[derive(LogicBlock)]
pub struct Counters {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// CTRL.cnt_clear: zero every counter and MAX_SKEW.
    pub cnt_clear: Signal<In, Bit>,
    /// The mode now, and a host mode write this cycle (WORDS_RETURNED's pairing restarts).
    pub mode: Signal<In, Bits<3>>,
    /// A host mode write this cycle.
    pub mode_set: Signal<In, Bit>,
    /// Parity evidence on each port's links this cycle (words in, and `rpar` of its return).
    pub perr_cpu_a: Signal<In, Bit>,
    /// CPU B's.
    pub perr_cpu_b: Signal<In, Bit>,
    /// Disk A's.
    pub perr_disk_a: Signal<In, Bit>,
    /// Disk B's.
    pub perr_disk_b: Signal<In, Bit>,
    /// A word left the core with parity broken inside it.
    pub perr_egress: Signal<In, Bit>,
    /// The commit gate's events (store-and-forward: what leaves it, what it drops).
    pub gate: GateEventsIn,
    /// The lockstep's events (the committed stream, mismatches, timeouts, skew FIFO fills).
    pub lockstep: LockstepEventsIn,
    /// SPLIT: CPU A's own stream moved a word toward its disk, and the word.
    pub split_a_moved: Signal<In, Bit>,
    /// The word.
    pub split_a_word: Signal<In, Word>,
    /// SPLIT: CPU B's.
    pub split_b_moved: Signal<In, Bit>,
    /// The word.
    pub split_b_word: Signal<In, Word>,
    /// A disk timed out.
    pub disk_timeout: Signal<In, Bit>,
    /// CPU A took a return word; CPU B took one.
    pub returned_a: Signal<In, Bit>,
    /// CPU B took a return word.
    pub returned_b: Signal<In, Bit>,
    /// The live counts, by their registers' names (WORDS_FWD ... WORDS_RETURNED, MAX_SKEW;
    /// generated from the register table, `hdl/build.rs`): the register file reads them
    /// through its snapshot.
    pub regs: CounterRegs,
    /// The counters: 0 WORDS_FWD, 1 FRAMES_FWD, 2 FRAMES_ABORTED, 3 MISMATCHES, 4..=7
    /// PERR_CPU_A, PERR_CPU_B, PERR_DISK_A, PERR_DISK_B, 8 PERR_EGRESS, 9 TIMEOUTS,
    /// 10 WORDS_RETURNED (literal indices: rust-hdl's Verilog takes no named index).
    counter: [EventCounter; 11],
    /// Parity evidence, registered before the counters.
    perr_q: [DFF<Bit>; 4],
    /// Return words CPU A has taken minus those CPU B has (two's complement): WORDS_RETURNED
    /// counts a word sent to both CPUs once, when the first of them takes it. One counter
    /// with one adder, not one per CPU: the HX8K has few cells to spare.
    ret_lead: DFF<Bits<16>>,
    /// What `ret_lead` changes by this cycle: 0, +1 or -1.
    ret_step: Signal<Local, Bits<16>>,
    /// The skew FIFOs' fills, registered, and their difference a cycle later: MAX_SKEW is
    /// an observation, so it may lag, and the FIFO fill adders stay off its compare.
    fill_a_q: DFF<Bits<16>>,
    fill_b_q: DFF<Bits<16>>,
    skew: DFF<Bits<16>>,
    max_skew_q: DFF<Bits<16>>,
    /// A skew FIFO's fill fits SW + 1 bits (it holds up to 2^SW + 1 words): the difference is
    /// masked to that, so synthesis keeps only those bits of `skew` and `max_skew`.
    fill_mask: Constant<Bits<16>>,
    m_simplex_a: Constant<Bits<3>>,
    m_simplex_b: Constant<Bits<3>>,
    m_split: Constant<Bits<3>>,
}

impl Counters {
    /// Counters `width` bits wide (PARAMS.counter_width), for skew FIFOs of 2^`sw` words.
    pub fn new(width: u8, sw: usize) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            cnt_clear: Default::default(),
            mode: Default::default(),
            mode_set: Default::default(),
            perr_cpu_a: Default::default(),
            perr_cpu_b: Default::default(),
            perr_disk_a: Default::default(),
            perr_disk_b: Default::default(),
            perr_egress: Default::default(),
            gate: Default::default(),
            lockstep: Default::default(),
            split_a_moved: Default::default(),
            split_a_word: Default::default(),
            split_b_moved: Default::default(),
            split_b_word: Default::default(),
            disk_timeout: Default::default(),
            returned_a: Default::default(),
            returned_b: Default::default(),
            regs: Default::default(),
            counter: std::array::from_fn(|_| EventCounter::new(width)),
            perr_q: Default::default(),
            ret_lead: Default::default(),
            ret_step: Default::default(),
            fill_a_q: Default::default(),
            fill_b_q: Default::default(),
            skew: Default::default(),
            max_skew_q: Default::default(),
            fill_mask: Constant::new(((2u64 << sw) - 1).to_bits()),
            m_simplex_a: Constant::new(mode::SIMPLEX_A.to_bits()),
            m_simplex_b: Constant::new(mode::SIMPLEX_B.to_bits()),
            m_split: Constant::new(mode::SPLIT.to_bits()),
        }
    }
}

impl Logic for Counters {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, ret_lead, fill_a_q, fill_b_q, skew, max_skew_q);
        // Every counter: clocked, cleared together, one event a cycle unless said below.
        for i in 0..11 {
            self.counter[i].clock.next = self.clock.val();
            self.counter[i].clear.next = self.reset.val() | self.cnt_clear.val();
            self.counter[i].inc2.next = false;
        }
        for i in 0..4 {
            self.perr_q[i].clock.next = self.clock.val();
        }
        // Parity evidence of the ports, registered (PERR_CPU_A .. PERR_DISK_B: 4..=7).
        self.perr_q[0].d.next = self.perr_cpu_a.val();
        self.perr_q[1].d.next = self.perr_cpu_b.val();
        self.perr_q[2].d.next = self.perr_disk_a.val();
        self.perr_q[3].d.next = self.perr_disk_b.val();
        for i in 0..4 {
            self.counter[i + 4].inc.next = self.perr_q[i].q.val();
        }
        self.counter[8].inc.next = self.perr_egress.val();
        // WORDS_FWD (0), FRAMES_FWD (1), FRAMES_ABORTED (2): what reaches the disks. In
        // cut-through the committed stream itself; in store-and-forward what leaves the commit
        // gate, and the frames it drops. SPLIT forwards each CPU's own stream: those words
        // count too (two in one cycle, two).
        if self.gate.saf_active.val() {
            self.counter[0].inc.next = self.gate.word_out.val();
            self.counter[1].inc.next = self.gate.frame_out.val();
            self.counter[2].inc.next = self.gate.frame_dropped.val();
        } else {
            self.counter[0].inc.next = self.lockstep.word_out.val();
            self.counter[1].inc.next = self.lockstep.frame_out.val();
            self.counter[2].inc.next = self.lockstep.frame_aborted.val();
        }
        // Word bits (link::word): last 36, abort 37.
        if self.split_a_moved.val() {
            self.counter[0].inc.next = true;
            self.counter[1].inc.next = self.split_a_word.val().get_bit(36) & !self.split_a_word.val().get_bit(37);
        }
        self.counter[0].inc2.next = self.split_b_moved.val();
        self.counter[1].inc2.next =
            self.split_b_moved.val() & self.split_b_word.val().get_bit(36) & !self.split_b_word.val().get_bit(37);
        // MISMATCHES (3).
        self.counter[3].inc.next = self.lockstep.fault_mismatch.val();
        // TIMEOUTS (9) counts CPU and disk timeouts (register table). A CPU and a disk may time
        // out in the same cycle, hence the second input; both disks at once count once.
        self.counter[9].inc.next = self.lockstep.fault_a_timeout.val() | self.lockstep.fault_b_timeout.val();
        self.counter[9].inc2.next = self.disk_timeout.val();
        // WORDS_RETURNED (10): words delivered to the CPUs, each once. Outside SPLIT both CPUs
        // get the same stream, each at its own pace, so a word counts when the first CPU takes
        // it. After a fail-over the served CPU first catches up with what the isolated one had
        // already taken (counted then); the isolated one only drains its buffer, words the
        // served one gets too. Counting one CPU's link instead miscounts a fail-over to
        // SIMPLEX_B by the distance between the CPUs at the switch.
        // `ret_lead` < 0: CPU B is ahead; > 0: CPU A is.
        self.ret_step.next = 0.into();
        self.counter[10].inc.next = false;
        if self.mode.val() == self.m_split.val() {
            // SPLIT: two different streams, every word counts.
            self.counter[10].inc.next = self.returned_a.val();
            self.counter[10].inc2.next = self.returned_b.val();
        } else if self.mode.val() == self.m_simplex_a.val() {
            // SIMPLEX_A: words CPU B had already taken were counted then.
            if self.returned_a.val() {
                if self.ret_lead.q.val().get_bit(15) {
                    self.ret_step.next = 1.into();
                } else {
                    self.counter[10].inc.next = true;
                }
            }
        } else if self.mode.val() == self.m_simplex_b.val() {
            if self.returned_b.val() {
                if !self.ret_lead.q.val().get_bit(15) & (self.ret_lead.q.val() != 0) {
                    self.ret_step.next = 0xFFFF_u64.into();
                } else {
                    self.counter[10].inc.next = true;
                }
            }
        } else if self.returned_a.val() & self.returned_b.val() {
            self.counter[10].inc.next = true;
        } else if self.returned_a.val() {
            self.ret_step.next = 1.into();
            self.counter[10].inc.next = !self.ret_lead.q.val().get_bit(15);
        } else if self.returned_b.val() {
            self.ret_step.next = 0xFFFF_u64.into();
            self.counter[10].inc.next = self.ret_lead.q.val().get_bit(15) | (self.ret_lead.q.val() == 0);
        }
        self.ret_lead.d.next = self.ret_lead.q.val() + self.ret_step.val();
        // SPLIT, and a host mode write, start a new stream relation (change modes with the
        // CPUs idle).
        if self.reset.val() | self.mode_set.val() | (self.mode.val() == self.m_split.val()) {
            self.ret_lead.d.next = 0.into();
        }
        // MAX_SKEW: the largest difference of the skew FIFOs' fills.
        self.fill_a_q.d.next = self.lockstep.fill_a.val();
        self.fill_b_q.d.next = self.lockstep.fill_b.val();
        if self.fill_a_q.q.val() > self.fill_b_q.q.val() {
            self.skew.d.next = (self.fill_a_q.q.val() - self.fill_b_q.q.val()) & self.fill_mask.val();
        } else {
            self.skew.d.next = (self.fill_b_q.q.val() - self.fill_a_q.q.val()) & self.fill_mask.val();
        }
        if self.skew.q.val() > self.max_skew_q.q.val() {
            self.max_skew_q.d.next = self.skew.q.val();
        }
        if self.reset.val() | self.cnt_clear.val() {
            self.max_skew_q.d.next = 0.into();
        }
        self.regs.max_skew.next = bit_cast::<32, 16>(self.max_skew_q.q.val());
        self.regs.words_fwd.next = self.counter[0].count.val();
        self.regs.frames_fwd.next = self.counter[1].count.val();
        self.regs.frames_aborted.next = self.counter[2].count.val();
        self.regs.mismatches.next = self.counter[3].count.val();
        self.regs.perr_cpu_a.next = self.counter[4].count.val();
        self.regs.perr_cpu_b.next = self.counter[5].count.val();
        self.regs.perr_disk_a.next = self.counter[6].count.val();
        self.regs.perr_disk_b.next = self.counter[7].count.val();
        self.regs.perr_egress.next = self.counter[8].count.val();
        self.regs.timeouts.next = self.counter[9].count.val();
        self.regs.words_returned.next = self.counter[10].count.val();
    }
}
