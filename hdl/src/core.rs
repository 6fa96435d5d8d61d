//! `FtioCore`: the whole gateware of SPEC §3, with the eight links, the UART and `irq`.
use crate::bist::{BistChecker, BistGenerator};
use crate::cmd_parser::UartBridge;
use crate::commit_gate::CommitGate;
use crate::inject::{InjectCount, Injector};
use crate::disk_monitor::DiskMonitor;
use crate::fabric::{mode, Fabric};
use ftio_proto::Cause;
use crate::fault_log::FaultLog;
use crate::link::{LinkRx, LinkTx, Word};
use crate::link_check::{LinkChecker, ReadyChecker};
use crate::lockstep::Lockstep;
use crate::parity::ParityCheck;
use crate::regfile::RegFile;
use crate::uart::clocks_per_bit;
use rust_hdl::prelude::*;

pub use ftio_proto::BuildParams;

/// Egress side of a words-out port: drives the link from a stage, generates `cpar`, and
/// re-checks the carried data parity so that corruption inside the core is caught here.
#[derive(LogicBlock, Default)]
pub struct Egress {
    /// The link port.
    pub link: LinkTx,
    /// A word is waiting to leave.
    pub word_valid: Signal<In, Bit>,
    /// The word.
    pub word: Signal<In, Word>,
    /// The port's sink took the word this cycle.
    pub take: Signal<Out, Bit>,
    /// `rpar` disagrees with `ready` (every cycle).
    pub ready_error: Signal<Out, Bit>,
    /// The offered word's data fails its carried parity although it entered the core clean:
    /// a fault inside the core.
    pub egress_error: Signal<Out, Bit>,
    check: ParityCheck,
    ready_check: ReadyChecker,
}

impl Logic for Egress {
    #[hdl_gen]
    fn update(&mut self) {
        self.link.valid.next = self.word_valid.val();
        self.link.data.next = self.word.val().get_bits::<32>(0);
        self.link.par.next = self.word.val().get_bits::<4>(32);
        self.link.last.next = self.word.val().get_bit(36);
        self.link.abort.next = self.word.val().get_bit(37);
        self.link.cpar.next =
            !(self.word_valid.val() ^ self.word.val().get_bit(36) ^ self.word.val().get_bit(37));
        self.take.next = self.word_valid.val() & self.link.ready.val();
        self.ready_check.ready.next = self.link.ready.val();
        self.ready_check.rpar.next = self.link.rpar.val();
        self.ready_error.next = self.ready_check.error.val();
        self.check.data.next = self.word.val().get_bits::<32>(0);
        self.check.par.next = self.word.val().get_bits::<4>(32);
        self.egress_error.next =
            self.word_valid.val() & self.check.error.val() & !self.word.val().get_bit(38);
    }
}

/// A saturating event counter.
#[derive(LogicBlock)]
pub struct EventCounter {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Zero the count.
    pub clear: Signal<In, Bit>,
    /// Count one event this cycle.
    pub inc: Signal<In, Bit>,
    /// A second event in the same cycle (SPLIT moves two CPUs' words at once).
    pub inc2: Signal<In, Bit>,
    /// The count: events are counted one cycle after they happen. The events come out of the
    /// deepest logic of the core (a frame committed, a word moved), and registering them
    /// keeps the 32-bit adder off those paths.
    pub count: Signal<Out, Bits<32>>,
    value: DFF<Bits<32>>,
    inc_q: DFF<Bit>,
    inc2_q: DFF<Bit>,
    /// The largest count, 2^counter_width - 1: bits above the width stay 0.
    top: Constant<Bits<32>>,
}

/// 2^width - 1 as a 32-bit constant: the largest count of a core built at counter width
/// `width` (the statistics counters, and the BIST and injection counts).
pub(crate) fn count_top(width: u8) -> Constant<Bits<32>> {
    assert!((1..=32).contains(&width), "counter width {width}");
    Constant::new(((1u64 << width) - 1).to_bits())
}

impl EventCounter {
    /// A counter `width` bits wide (16..=32), saturating at 2^width - 1.
    pub fn new(width: u8) -> Self {
        Self {
            clock: Default::default(),
            clear: Default::default(),
            inc: Default::default(),
            inc2: Default::default(),
            count: Default::default(),
            value: Default::default(),
            inc_q: Default::default(),
            inc2_q: Default::default(),
            top: count_top(width),
        }
    }
}

impl Default for EventCounter {
    fn default() -> Self {
        Self::new(32)
    }
}

impl Logic for EventCounter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, value, inc_q, inc2_q);
        self.count.next = self.value.q.val();
        self.inc_q.d.next = self.inc.val() & !self.clear.val();
        self.inc2_q.d.next = self.inc2.val() & !self.clear.val();
        // Every branch masks with `top`, so the flops above the width have a constant 0 on
        // their D and their power-on 0: synthesis replaces them with 0 and drops the adder's
        // upper bits (a branch that kept them, `d = q`, would keep them alive).
        if self.clear.val() {
            self.value.d.next = 0.into();
        } else if (self.value.q.val() | 1) == self.top.val() {
            // Within 2 of the top: saturate.
            if self.inc_q.q.val() | self.inc2_q.q.val() {
                self.value.d.next = self.top.val();
            } else {
                self.value.d.next = self.value.q.val() & self.top.val();
            }
        } else {
            // One adder for both events: add 0, 1 or 2.
            self.value.d.next = (self.value.q.val()
                + bit_cast::<32, 1>(self.inc_q.q.val().into())
                + bit_cast::<32, 1>(self.inc2_q.q.val().into()))
                & self.top.val();
        }
    }
}

/// Skew FIFO depth (log2) of the core the rust-hdl simulator runs; `core_verilog` builds
/// any supported depth.
pub const DEFAULT_SW: usize = 6;
/// Strict-offset range (log2) of the default core.
pub const DEFAULT_OW: usize = 4;

/// The core with the default build parameters.
pub type FtioCore = Core<DEFAULT_SW, DEFAULT_OW>;

/// The core. Port names follow SPEC §3; the generated Verilog flattens `cpu_a_tx$data` to
/// `cpu_a_tx_data` (see [`crate::verilog`]). `SW`: log2 of every stream buffer's depth
/// (skew FIFOs, disk and return buffers). `OW`: log2 of the strict-offset range. The
/// store-and-forward frame buffer's depth is a run-time build parameter
/// (`BuildParams::frame_depth_log2`), not a type parameter, so it does not multiply the
/// instances `core_verilog` dispatches over.
///
/// Path of a write: port → [`LinkChecker`] → [`Lockstep`] (skew FIFOs, comparator, commit,
/// modes) → [`CommitGate`] (cut-through pass-through or store-and-forward frame buffer) →
/// [`Fabric`] (per-disk buffers, mirroring) → [`Egress`] → disk port. Returns:
/// disk port → checker → fabric (primary select, read-verify, per-CPU buffers, strict
/// replica) → egress → CPU port.
#[derive(LogicBlock)]
pub struct Core<const SW: usize, const OW: usize> {
    /// Core clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, active high (power-on state also comes from initial values).
    pub reset: Signal<In, Bit>,
    /// CPU A → core: storage commands and write data.
    pub cpu_a_tx: LinkRx,
    /// CPU B → core.
    pub cpu_b_tx: LinkRx,
    /// Core → CPU A: completions and read data.
    pub cpu_a_rx: LinkTx,
    /// Core → CPU B.
    pub cpu_b_rx: LinkTx,
    /// Core → SATA controller A: commands and write data.
    pub disk_a_tx: LinkTx,
    /// Core → SATA controller B.
    pub disk_b_tx: LinkTx,
    /// SATA controller A → core: completions and read data.
    pub disk_a_rx: LinkRx,
    /// SATA controller B → core.
    pub disk_b_rx: LinkRx,
    /// UART receive (8N1, idle high).
    pub uart_rx: Signal<In, Bit>,
    /// UART transmit (8N1, idle high).
    pub uart_tx: Signal<Out, Bit>,
    /// High while any unacknowledged fault is latched.
    pub irq: Signal<Out, Bit>,
    in_cpu_a: LinkChecker,
    in_cpu_b: LinkChecker,
    in_disk_a: LinkChecker,
    in_disk_b: LinkChecker,
    /// The lockstep write path and the mode state machine.
    pub lockstep: Lockstep<SW, OW>,
    /// The commit gate (CTRL.commit: cut-through or store-and-forward).
    pub gate: CommitGate,
    /// The switching fabric.
    pub fabric: Fabric<SW, OW>,
    out_disk_a: Egress,
    out_disk_b: Egress,
    out_cpu_a: Egress,
    out_cpu_b: Egress,
    /// Disk A's health.
    pub mon_disk_a: DiskMonitor,
    /// Disk B's health.
    pub mon_disk_b: DiskMonitor,
    /// Fault latch and first-fault capture.
    pub fault_log: FaultLog,
    /// Parity errors seen on CPU A's links (words in, and `rpar` of its return link).
    pub perr_cpu_a: EventCounter,
    /// Parity errors seen on CPU B's links.
    pub perr_cpu_b: EventCounter,
    /// Parity errors seen on disk A's links.
    pub perr_disk_a: EventCounter,
    /// Parity errors seen on disk B's links.
    pub perr_disk_b: EventCounter,
    /// Words that left the core with parity broken inside it.
    pub perr_egress: EventCounter,
    /// Words committed toward the disks (WORDS_FWD).
    pub words_fwd: EventCounter,
    /// Frames committed complete (FRAMES_FWD).
    pub frames_fwd: EventCounter,
    /// Frames ended with `last & abort` (FRAMES_ABORTED).
    pub frames_aborted: EventCounter,
    /// Mismatches (MISMATCHES).
    pub mismatches: EventCounter,
    /// CPU and disk timeouts (TIMEOUTS).
    pub timeouts: EventCounter,
    /// Words delivered to the CPUs, a word sent to both counted once (WORDS_RETURNED).
    pub words_returned: EventCounter,
    max_skew: DFF<Bits<16>>,
    /// BIST_WORDS (the lesser checker count) and BIST_ERRORS (their sum), registered: the
    /// 32-bit compare and adder stay off the register read path (a read sees them a cycle
    /// late).
    bist_words_q: DFF<Bits<32>>,
    bist_errors_q: DFF<Bits<32>>,
    /// Both checkers' errors, summed a bit wider than either: BIST_ERRORS stops at
    /// `bist_errors_top` (2^counter_width - 1) like the counts it sums, never wraps to 0.
    bist_errors_sum: Signal<Local, Bits<33>>,
    bist_errors_top: Constant<Bits<33>>,
    /// The skew FIFOs' fills, registered, and their difference a cycle later: MAX_SKEW is
    /// an observation, so it may lag, and the FIFO fill adders stay off its compare.
    fill_a_q: DFF<Bits<16>>,
    fill_b_q: DFF<Bits<16>>,
    skew: DFF<Bits<16>>,
    /// A skew FIFO's fill fits SW + 1 bits (it holds up to 2^SW + 1 words): the difference is
    /// masked to that, so synthesis keeps only those bits of `skew` and `max_skew`.
    fill_mask: Constant<Bits<16>>,
    /// The words the first-fault capture records: the compared pair for a mismatch, the
    /// words at the CPU ports otherwise (so a port parity fault shows the bad word).
    cap_word_a: Signal<Local, Word>,
    cap_word_b: Signal<Local, Word>,
    cap_valid_a: Signal<Local, Bit>,
    cap_valid_b: Signal<Local, Bit>,
    inj_cpu_a: Injector,
    inj_cpu_b: Injector,
    inj_disk_a: Injector,
    inj_disk_b: Injector,
    /// The injectors' shared N counter (one link is armed at a time).
    inj_n: InjectCount,
    /// Any injector fired, a cycle ago: registered so the four injectors' compares stay off
    /// the register file's paths (the injector's `done` keeps it from firing twice while
    /// INJ_CTRL.arm is cleared a cycle later).
    inj_fired_q: DFF<Bit>,
    inj_fired_seen: DFF<Bit>,
    inj_was_armed: DFF<Bit>,
    bist_gen_a: BistGenerator,
    bist_gen_b: BistGenerator,
    bist_chk_a: BistChecker,
    bist_chk_b: BistChecker,
    /// The BIST owns the CPU inputs.
    pub bist_active: DFF<Bit>,
    bist_done: DFF<Bit>,
    bist_pass: DFF<Bit>,
    bist_quiet: DFF<Bits<16>>,
    bist_faulted: DFF<Bit>,
    bist_finish: Signal<Local, Bit>,
    bist_moving: Signal<Local, Bit>,
    /// `bist_moving`, registered: the quiet count restarts a cycle after a move, so the
    /// links' handshakes do not reach its 16 flops' enable in the same cycle (the drain waits
    /// 4096 quiet cycles; one more changes nothing).
    bist_moving_q: DFF<Bit>,
    /// UART, command parser.
    bridge: UartBridge,
    /// The register file (SPEC §5).
    pub regs: RegFile,
    cfg_mode_set: Signal<Local, Bit>,
    cfg_mode: Signal<Local, Bits<3>>,
    cfg_strict: Signal<Local, Bit>,
    cfg_policy_halt: Signal<Local, Bit>,
    cfg_offset: Signal<Local, Bits<OW>>,
    cfg_timeout: Signal<Local, Bits<32>>,
    cfg_disk_timeout: Signal<Local, Bits<32>>,
    cfg_primary: Signal<Local, Bit>,
    cfg_read_verify: Signal<Local, Bit>,
    cfg_fault_clear: Signal<Local, Bit>,
    cfg_cnt_clear: Signal<Local, Bit>,
    /// Host-command pulses from the register file, registered (a write takes effect one
    /// cycle later, which nothing can see): they reach the ports' `ready` and wide enables.
    mode_set_q: DFF<Bit>,
    /// CTRL and OFFSET one cycle late, so a write that changes the lockstep kind, OFFSET or
    /// policy together with the mode takes effect in the same cycle as the mode pulse.
    strict_q: DFF<Bit>,
    saf_q: DFF<Bit>,
    policy_halt_q: DFF<Bit>,
    read_verify_q: DFF<Bit>,
    primary_q: DFF<Bit>,
    offset_q: DFF<Bits<16>>,
    mode_value_q: DFF<Bits<3>>,
    fault_clear_q: DFF<Bit>,
    cnt_clear_q: DFF<Bit>,
    bist_start_q: DFF<Bit>,
    bist_abort_q: DFF<Bit>,
    /// The CPU ports' words, registered, for the first-fault capture of a port parity error
    /// (the lockstep sees the error one cycle after the port).
    port_a_q: DFF<Word>,
    port_b_q: DFF<Word>,
    port_a_valid_q: DFF<Bit>,
    port_b_valid_q: DFF<Bit>,
    /// Parity evidence of the ports, registered before counters and the disk monitors.
    perr_cpu_a_q: DFF<Bit>,
    perr_cpu_b_q: DFF<Bit>,
    perr_disk_a_q: DFF<Bit>,
    perr_disk_b_q: DFF<Bit>,
    rx_err_disk_a_q: DFF<Bit>,
    rx_err_disk_b_q: DFF<Bit>,
    rdy_err_disk_a_q: DFF<Bit>,
    rdy_err_disk_b_q: DFF<Bit>,
    divergence_q: DFF<Bit>,
    /// Any egress parity error, registered: the four 32-bit parity checks at the ports stay
    /// off the fault log's capture enables (an internal fault is seen a cycle later).
    egress_q: DFF<Bit>,
    /// Return words CPU A has taken minus those CPU B has (two's complement): WORDS_RETURNED
    /// counts a word sent to both CPUs once, when the first of them takes it. One counter
    /// with one adder, not one per CPU: the HX8K has few cells to spare.
    ret_lead: DFF<Bits<16>>,
    /// What `ret_lead` changes by this cycle: 0, +1 or -1.
    ret_step: Signal<Local, Bits<16>>,
    /// Every fault cause pulse of this cycle (bit n: cause code n), as the fault log takes it.
    causes_now: Signal<Local, Bits<16>>,
    /// CTRL.policy = halt and a fault was latched: the core goes HALTED (as a host write of
    /// HALTED would: the frame in flight is ended with `last & abort`).
    halt_req_q: DFF<Bit>,
    /// CAP_WORD's source: words committed toward the disks since reset or the last fault
    /// clear (the lockstep's committed stream in DUPLEX and SIMPLEX, abort words not counted).
    word_index: DFF<Bits<32>>,
    /// The first-fault capture takes the disks' rx words, not the CPUs' (a disk parity error
    /// or a read-verify divergence this cycle, and no CPU parity error).
    cap_disk: Signal<Local, Bit>,
    /// A disk timeout is the first fault of this cycle: capture the words waiting on the
    /// disks' tx links.
    cap_disk_tx: Signal<Local, Bit>,
    /// The committed stream (into the fabric) is inside a frame; `c_boundary`: it is between
    /// frames after this cycle (a readmitted disk joins only there).
    c_in_frame: DFF<Bit>,
    c_boundary: Signal<Local, Bit>,
    /// Each disk's tx link is inside a frame (it has taken words of a frame but not its last).
    dtx_in_frame_a: DFF<Bit>,
    dtx_in_frame_b: DFF<Bit>,
    /// Each disk's rx (return) link is inside a frame.
    drx_in_frame_a: DFF<Bit>,
    drx_in_frame_b: DFF<Bit>,
    /// Each disk's rx link takes its word this cycle (the fabric's `ra_ready`/`rb_ready`, or
    /// a rebuilding disk's returns, taken and dropped). One Local feeds both the injector's
    /// ready and the frame tracking. Reading `fabric.ra_ready` again in the frame-tracking
    /// `if` is the same logic, but Verilator 5.006 then scheduled the core ⇄ fabric loop
    /// (UNOPTFLAT) so that the rx `ready` pin stayed 0 in the cycle a disk began to offer,
    /// where Verilog's semantics and rust-hdl give 1 (equivalence tests diverged at cycle 0
    /// on disk_a_rx_ready; the demo and the campaign's fault-free runs broke).
    rx_take_a: Signal<Local, Bit>,
    rx_take_b: Signal<Local, Bit>,
    /// What each disk's tx egress offers: the fabric's disk buffer, or for a failed disk
    /// nothing (its buffered words are discarded) but, once readmitted, the `last & abort`
    /// word that ends a frame it had half received.
    dtx_valid_a: Signal<Local, Bit>,
    dtx_word_a: Signal<Local, Word>,
    dtx_valid_b: Signal<Local, Bit>,
    dtx_word_b: Signal<Local, Word>,
    abort_word: Constant<Word>,
    /// The modes by name (`fabric::mode`).
    m_simplex_a: Constant<Bits<3>>,
    m_simplex_b: Constant<Bits<3>>,
    m_split: Constant<Bits<3>>,
    m_halted: Constant<Bits<3>>,
    /// The cause bits (FAULTS) that fail CPU A, and CPU B: parity and timeout.
    cpu_a_causes: Constant<Bits<16>>,
    cpu_b_causes: Constant<Bits<16>>,
}

impl<const SW: usize, const OW: usize> Core<SW, OW> {
    /// A core built with `params`; its buffer sizes must be the type's (`SW`, `OW`).
    pub fn new(params: &BuildParams) -> Self {
        params.validate().expect("invalid core parameters");
        assert_eq!(params.skew_depth_log2 as usize, SW, "skew depth does not match the core type");
        assert_eq!(params.offset_max_log2 as usize, OW, "offset range does not match the core type");
        check_register_layout();
        let cpb = clocks_per_bit(params.clock_hz, params.baud);
        Self {
            clock: Default::default(),
            reset: Default::default(),
            cpu_a_tx: Default::default(),
            cpu_b_tx: Default::default(),
            cpu_a_rx: Default::default(),
            cpu_b_rx: Default::default(),
            disk_a_tx: Default::default(),
            disk_b_tx: Default::default(),
            disk_a_rx: Default::default(),
            disk_b_rx: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            irq: Default::default(),
            in_cpu_a: Default::default(),
            in_cpu_b: Default::default(),
            in_disk_a: Default::default(),
            in_disk_b: Default::default(),
            lockstep: Default::default(),
            gate: CommitGate::new(params.frame_depth_log2 as usize),
            fabric: Default::default(),
            out_disk_a: Default::default(),
            out_disk_b: Default::default(),
            out_cpu_a: Default::default(),
            out_cpu_b: Default::default(),
            mon_disk_a: Default::default(),
            mon_disk_b: Default::default(),
            fault_log: Default::default(),
            perr_cpu_a: EventCounter::new(params.counter_width),
            perr_cpu_b: EventCounter::new(params.counter_width),
            perr_disk_a: EventCounter::new(params.counter_width),
            perr_disk_b: EventCounter::new(params.counter_width),
            perr_egress: EventCounter::new(params.counter_width),
            words_fwd: EventCounter::new(params.counter_width),
            frames_fwd: EventCounter::new(params.counter_width),
            frames_aborted: EventCounter::new(params.counter_width),
            mismatches: EventCounter::new(params.counter_width),
            timeouts: EventCounter::new(params.counter_width),
            words_returned: EventCounter::new(params.counter_width),
            max_skew: Default::default(),
            bist_words_q: Default::default(),
            bist_errors_q: Default::default(),
            bist_errors_sum: Default::default(),
            bist_errors_top: Constant::new(((1u64 << params.counter_width) - 1).to_bits()),
            fill_a_q: Default::default(),
            fill_b_q: Default::default(),
            skew: Default::default(),
            fill_mask: Constant::new(((2u64 << SW) - 1).to_bits()),
            cap_word_a: Default::default(),
            cap_word_b: Default::default(),
            cap_valid_a: Default::default(),
            cap_valid_b: Default::default(),
            inj_cpu_a: Injector::for_build(params),
            inj_cpu_b: Injector::for_build(params),
            inj_disk_a: Injector::for_build(params),
            inj_disk_b: Injector::for_build(params),
            inj_n: InjectCount::new(params.counter_width),
            inj_fired_q: Default::default(),
            inj_fired_seen: Default::default(),
            inj_was_armed: Default::default(),
            bist_gen_a: BistGenerator::for_build(params),
            bist_gen_b: BistGenerator::for_build(params),
            bist_chk_a: BistChecker::for_build(params),
            bist_chk_b: BistChecker::for_build(params),
            bist_active: Default::default(),
            bist_done: Default::default(),
            bist_pass: Default::default(),
            bist_quiet: Default::default(),
            bist_faulted: Default::default(),
            bist_finish: Default::default(),
            bist_moving: Default::default(),
            bist_moving_q: Default::default(),
            bridge: UartBridge::new(cpb),
            mode_set_q: Default::default(),
            strict_q: Default::default(),
            saf_q: Default::default(),
            policy_halt_q: Default::default(),
            read_verify_q: Default::default(),
            primary_q: Default::default(),
            offset_q: Default::default(),
            mode_value_q: Default::default(),
            fault_clear_q: Default::default(),
            cnt_clear_q: Default::default(),
            bist_start_q: Default::default(),
            bist_abort_q: Default::default(),
            port_a_q: Default::default(),
            port_b_q: Default::default(),
            port_a_valid_q: Default::default(),
            port_b_valid_q: Default::default(),
            perr_cpu_a_q: Default::default(),
            perr_cpu_b_q: Default::default(),
            perr_disk_a_q: Default::default(),
            perr_disk_b_q: Default::default(),
            rx_err_disk_a_q: Default::default(),
            rx_err_disk_b_q: Default::default(),
            rdy_err_disk_a_q: Default::default(),
            rdy_err_disk_b_q: Default::default(),
            divergence_q: Default::default(),
            egress_q: Default::default(),
            ret_lead: Default::default(),
            ret_step: Default::default(),
            causes_now: Default::default(),
            halt_req_q: Default::default(),
            word_index: Default::default(),
            cap_disk: Default::default(),
            cap_disk_tx: Default::default(),
            c_in_frame: Default::default(),
            c_boundary: Default::default(),
            dtx_in_frame_a: Default::default(),
            dtx_in_frame_b: Default::default(),
            drx_in_frame_a: Default::default(),
            drx_in_frame_b: Default::default(),
            rx_take_a: Default::default(),
            rx_take_b: Default::default(),
            dtx_valid_a: Default::default(),
            dtx_word_a: Default::default(),
            dtx_valid_b: Default::default(),
            dtx_word_b: Default::default(),
            abort_word: Constant::new(crate::lockstep::ABORT_WORD.to_bits()),
            m_simplex_a: Constant::new(mode::SIMPLEX_A.to_bits()),
            m_simplex_b: Constant::new(mode::SIMPLEX_B.to_bits()),
            m_split: Constant::new(mode::SPLIT.to_bits()),
            m_halted: Constant::new(mode::HALTED.to_bits()),
            cpu_a_causes: Constant::new(cause_bits(&[Cause::CpuAParity, Cause::CpuATimeout])),
            cpu_b_causes: Constant::new(cause_bits(&[Cause::CpuBParity, Cause::CpuBTimeout])),

            regs: RegFile::new(params),
            cfg_mode_set: Default::default(),
            cfg_mode: Default::default(),
            cfg_strict: Default::default(),
            cfg_policy_halt: Default::default(),
            cfg_offset: Default::default(),
            cfg_timeout: Default::default(),
            cfg_disk_timeout: Default::default(),
            cfg_primary: Default::default(),
            cfg_read_verify: Default::default(),
            cfg_fault_clear: Default::default(),
            cfg_cnt_clear: Default::default(),
        }
    }
}

/// FAULTS bits of `causes` (bit n: cause code n).
fn cause_bits(causes: &[Cause]) -> Bits<16> {
    causes.iter().fold(0u64, |m, &c| m | 1 << c as u64).to_bits()
}

/// The first-fault capture carries CAP_FLAGS in the fault log's 16-bit `flags` bus, packed
/// and unpacked in `update` at the register's positions: check them against the table. Every
/// other register field reaches the register file by name (its port, generated from the table).
fn check_register_layout() {
    use ftio_proto::reg;
    let at = |f: &str| (reg("CAP_FLAGS").f(f).lsb, reg("CAP_FLAGS").f(f).width);
    for (side, base) in [("a", 0), ("b", 8)] {
        assert_eq!(at(&format!("{side}_valid")), (base, 1));
        assert_eq!(at(&format!("{side}_last")), (base + 1, 1));
        assert_eq!(at(&format!("{side}_abort")), (base + 2, 1));
        assert_eq!(at(&format!("{side}_par")), (base + 3, 4));
        assert_eq!(at(&format!("{side}_perr")), (base + 7, 1));
    }
}

impl<const SW: usize, const OW: usize> Default for Core<SW, OW> {
    fn default() -> Self {
        Self::new(&BuildParams {
            skew_depth_log2: SW as u8,
            offset_max_log2: OW as u8,
            ..BuildParams::DEFAULT
        })
    }
}

impl<const SW: usize, const OW: usize> Logic for Core<SW, OW> {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, lockstep, gate, fabric, mon_disk_a, mon_disk_b, fault_log);
        clock!(self, clock, perr_cpu_a, perr_cpu_b, perr_disk_a, perr_disk_b, perr_egress);
        clock!(self, clock, words_fwd, frames_fwd, frames_aborted, mismatches, timeouts, words_returned);
        dff_setup!(self, clock, max_skew, fill_a_q, fill_b_q, skew);
        clock!(self, clock, bridge, regs, inj_cpu_a, inj_cpu_b, inj_disk_a, inj_disk_b, inj_n);
        clock!(self, clock, bist_gen_a, bist_gen_b, bist_chk_a, bist_chk_b);
        dff_setup!(self, clock, inj_fired_q, inj_fired_seen, inj_was_armed, bist_active, bist_done, bist_pass, bist_quiet, bist_faulted, bist_moving_q);
        dff_setup!(self, clock, strict_q, saf_q, policy_halt_q, read_verify_q, primary_q);
        dff_setup!(self, clock, mode_set_q, offset_q, mode_value_q, fault_clear_q, cnt_clear_q, bist_start_q, bist_abort_q);
        dff_setup!(self, clock, port_a_q, port_b_q, port_a_valid_q, port_b_valid_q);
        dff_setup!(self, clock, perr_cpu_a_q, perr_cpu_b_q, perr_disk_a_q, perr_disk_b_q);
        dff_setup!(self, clock, rx_err_disk_a_q, rx_err_disk_b_q, rdy_err_disk_a_q, rdy_err_disk_b_q, divergence_q, egress_q);
        dff_setup!(self, clock, ret_lead, bist_words_q, bist_errors_q);
        dff_setup!(self, clock, halt_req_q, word_index, c_in_frame, dtx_in_frame_a, dtx_in_frame_b, drx_in_frame_a, drx_in_frame_b);

        // Control plane: UART ⇄ parser ⇄ register file.
        self.bridge.reset.next = self.reset.val();
        self.bridge.uart_rx.next = self.uart_rx.val();
        self.uart_tx.next = self.bridge.uart_tx.val();
        self.regs.reset.next = self.reset.val();
        self.regs.addr.next = self.bridge.bus_addr.val();
        self.regs.wdata.next = self.bridge.bus_wdata.val();
        self.regs.we.next = self.bridge.bus_we.val();
        self.bridge.bus_rdata.next = self.regs.rdata.val();
        self.bridge.bus_readable.next = self.regs.readable.val();
        self.bridge.bus_writable.next = self.regs.writable.val();
        self.bridge.bus_write_refusal.next = self.regs.write_refusal.val();

        // Configuration from the registers.
        self.mode_set_q.d.next = self.regs.ctrl_mode_set.val();
        self.mode_value_q.d.next = self.regs.ctrl_mode_value.val();
        self.fault_clear_q.d.next = self.regs.ctrl_fault_clear.val();
        self.cnt_clear_q.d.next = self.regs.ctrl_cnt_clear.val();
        self.bist_start_q.d.next = self.regs.bist_ctrl_start.val();
        self.bist_abort_q.d.next = self.regs.bist_ctrl_abort.val();
        self.cfg_mode_set.next = self.mode_set_q.q.val();
        self.cfg_mode.next = self.mode_value_q.q.val();
        self.strict_q.d.next = self.regs.ctrl_lockstep.val();
        self.saf_q.d.next = self.regs.ctrl_commit.val();
        self.policy_halt_q.d.next = self.regs.ctrl_policy.val();
        self.read_verify_q.d.next = self.regs.ctrl_read_verify.val();
        self.primary_q.d.next = self.regs.ctrl_primary.val();
        self.offset_q.d.next = self.regs.offset.val();
        self.cfg_strict.next = self.strict_q.q.val();
        self.cfg_policy_halt.next = self.policy_halt_q.q.val();
        self.cfg_read_verify.next = self.read_verify_q.q.val();
        self.cfg_primary.next = self.primary_q.q.val();
        self.cfg_offset.next = self.offset_q.q.val().get_bits::<OW>(0);
        self.cfg_timeout.next = self.regs.timeout.val();
        self.cfg_disk_timeout.next = self.regs.disk_timeout.val();
        self.cfg_fault_clear.next = self.fault_clear_q.q.val();
        self.cfg_cnt_clear.next = self.cnt_clear_q.q.val();

        // Ingress: pins (or, while BIST runs, its generators for the CPU inputs) → fault
        // injector → link checker.
        self.inj_n.count.next = self.regs.inj_count.val();
        self.inj_n.load.next =
            !(self.inj_cpu_a.keep.val() | self.inj_cpu_b.keep.val() | self.inj_disk_a.keep.val() | self.inj_disk_b.keep.val());
        self.inj_n.step.next =
            self.inj_cpu_a.step.val() | self.inj_cpu_b.step.val() | self.inj_disk_a.step.val() | self.inj_disk_b.step.val();
        self.inj_cpu_a.arm.next = self.regs.inj_ctrl_arm.val()
            & (self.regs.inj_ctrl_link.val() == 0_u64);
        self.inj_cpu_a.kind.next = self.regs.inj_ctrl_kind.val();
        self.inj_cpu_a.bit_sel.next = self.regs.inj_ctrl_bit.val();
        self.inj_cpu_a.left_zero.next = self.inj_n.zero.val();
        self.inj_cpu_a.left_one.next = self.inj_n.one.val();
        if self.bist_active.q.val() {
            self.inj_cpu_a.pin_valid.next = self.bist_gen_a.valid.val();
            self.inj_cpu_a.pin_data.next = self.bist_gen_a.data.val();
            self.inj_cpu_a.pin_last.next = self.bist_gen_a.last.val();
            self.inj_cpu_a.pin_abort.next = false;
            self.inj_cpu_a.pin_par.next = self.bist_gen_a.par.val();
            self.inj_cpu_a.pin_cpar.next = !(self.bist_gen_a.valid.val() ^ self.bist_gen_a.last.val());
            self.bist_gen_a.ready.next = self.inj_cpu_a.pin_ready.val();
            self.cpu_a_tx.ready.next = false;
            self.cpu_a_tx.rpar.next = true;
        } else {
            self.inj_cpu_a.pin_valid.next = self.cpu_a_tx.valid.val();
            self.inj_cpu_a.pin_data.next = self.cpu_a_tx.data.val();
            self.inj_cpu_a.pin_last.next = self.cpu_a_tx.last.val();
            self.inj_cpu_a.pin_abort.next = self.cpu_a_tx.abort.val();
            self.inj_cpu_a.pin_par.next = self.cpu_a_tx.par.val();
            self.inj_cpu_a.pin_cpar.next = self.cpu_a_tx.cpar.val();
            self.bist_gen_a.ready.next = false;
            self.cpu_a_tx.ready.next = self.inj_cpu_a.pin_ready.val();
            self.cpu_a_tx.rpar.next = self.inj_cpu_a.pin_rpar.val();
        }
        self.in_cpu_a.valid.next = self.inj_cpu_a.valid.val();
        self.in_cpu_a.data.next = self.inj_cpu_a.data.val();
        self.in_cpu_a.last.next = self.inj_cpu_a.last.val();
        self.in_cpu_a.abort.next = self.inj_cpu_a.abort.val();
        self.in_cpu_a.par.next = self.inj_cpu_a.par.val();
        self.in_cpu_a.raw_data.next = self.inj_cpu_a.pin_data.val();
        self.in_cpu_a.raw_par.next = self.inj_cpu_a.pin_par.val();
        self.in_cpu_a.par_flip.next = self.inj_cpu_a.par_flip.val();
        self.in_cpu_a.cpar.next = self.inj_cpu_a.cpar.val();
        self.inj_cpu_b.arm.next = self.regs.inj_ctrl_arm.val()
            & (self.regs.inj_ctrl_link.val() == 1_u64);
        self.inj_cpu_b.kind.next = self.regs.inj_ctrl_kind.val();
        self.inj_cpu_b.bit_sel.next = self.regs.inj_ctrl_bit.val();
        self.inj_cpu_b.left_zero.next = self.inj_n.zero.val();
        self.inj_cpu_b.left_one.next = self.inj_n.one.val();
        if self.bist_active.q.val() {
            self.inj_cpu_b.pin_valid.next = self.bist_gen_b.valid.val();
            self.inj_cpu_b.pin_data.next = self.bist_gen_b.data.val();
            self.inj_cpu_b.pin_last.next = self.bist_gen_b.last.val();
            self.inj_cpu_b.pin_abort.next = false;
            self.inj_cpu_b.pin_par.next = self.bist_gen_b.par.val();
            self.inj_cpu_b.pin_cpar.next = !(self.bist_gen_b.valid.val() ^ self.bist_gen_b.last.val());
            self.bist_gen_b.ready.next = self.inj_cpu_b.pin_ready.val();
            self.cpu_b_tx.ready.next = false;
            self.cpu_b_tx.rpar.next = true;
        } else {
            self.inj_cpu_b.pin_valid.next = self.cpu_b_tx.valid.val();
            self.inj_cpu_b.pin_data.next = self.cpu_b_tx.data.val();
            self.inj_cpu_b.pin_last.next = self.cpu_b_tx.last.val();
            self.inj_cpu_b.pin_abort.next = self.cpu_b_tx.abort.val();
            self.inj_cpu_b.pin_par.next = self.cpu_b_tx.par.val();
            self.inj_cpu_b.pin_cpar.next = self.cpu_b_tx.cpar.val();
            self.bist_gen_b.ready.next = false;
            self.cpu_b_tx.ready.next = self.inj_cpu_b.pin_ready.val();
            self.cpu_b_tx.rpar.next = self.inj_cpu_b.pin_rpar.val();
        }
        self.in_cpu_b.valid.next = self.inj_cpu_b.valid.val();
        self.in_cpu_b.data.next = self.inj_cpu_b.data.val();
        self.in_cpu_b.last.next = self.inj_cpu_b.last.val();
        self.in_cpu_b.abort.next = self.inj_cpu_b.abort.val();
        self.in_cpu_b.par.next = self.inj_cpu_b.par.val();
        self.in_cpu_b.raw_data.next = self.inj_cpu_b.pin_data.val();
        self.in_cpu_b.raw_par.next = self.inj_cpu_b.pin_par.val();
        self.in_cpu_b.par_flip.next = self.inj_cpu_b.par_flip.val();
        self.in_cpu_b.cpar.next = self.inj_cpu_b.cpar.val();
        self.inj_disk_a.arm.next = self.regs.inj_ctrl_arm.val()
            & (self.regs.inj_ctrl_link.val() == 2_u64);
        self.inj_disk_a.kind.next = self.regs.inj_ctrl_kind.val();
        self.inj_disk_a.bit_sel.next = self.regs.inj_ctrl_bit.val();
        self.inj_disk_a.left_zero.next = self.inj_n.zero.val();
        self.inj_disk_a.left_one.next = self.inj_n.one.val();
        self.inj_disk_a.pin_valid.next = self.disk_a_rx.valid.val();
        self.inj_disk_a.pin_data.next = self.disk_a_rx.data.val();
        self.inj_disk_a.pin_last.next = self.disk_a_rx.last.val();
        self.inj_disk_a.pin_abort.next = self.disk_a_rx.abort.val();
        self.inj_disk_a.pin_par.next = self.disk_a_rx.par.val();
        self.inj_disk_a.pin_cpar.next = self.disk_a_rx.cpar.val();
        self.disk_a_rx.ready.next = self.inj_disk_a.pin_ready.val();
        self.disk_a_rx.rpar.next = self.inj_disk_a.pin_rpar.val();
        self.in_disk_a.valid.next = self.inj_disk_a.valid.val();
        self.in_disk_a.data.next = self.inj_disk_a.data.val();
        self.in_disk_a.last.next = self.inj_disk_a.last.val();
        self.in_disk_a.abort.next = self.inj_disk_a.abort.val();
        self.in_disk_a.par.next = self.inj_disk_a.par.val();
        self.in_disk_a.raw_data.next = self.inj_disk_a.pin_data.val();
        self.in_disk_a.raw_par.next = self.inj_disk_a.pin_par.val();
        self.in_disk_a.par_flip.next = self.inj_disk_a.par_flip.val();
        self.in_disk_a.cpar.next = self.inj_disk_a.cpar.val();
        self.inj_disk_b.arm.next = self.regs.inj_ctrl_arm.val()
            & (self.regs.inj_ctrl_link.val() == 3_u64);
        self.inj_disk_b.kind.next = self.regs.inj_ctrl_kind.val();
        self.inj_disk_b.bit_sel.next = self.regs.inj_ctrl_bit.val();
        self.inj_disk_b.left_zero.next = self.inj_n.zero.val();
        self.inj_disk_b.left_one.next = self.inj_n.one.val();
        self.inj_disk_b.pin_valid.next = self.disk_b_rx.valid.val();
        self.inj_disk_b.pin_data.next = self.disk_b_rx.data.val();
        self.inj_disk_b.pin_last.next = self.disk_b_rx.last.val();
        self.inj_disk_b.pin_abort.next = self.disk_b_rx.abort.val();
        self.inj_disk_b.pin_par.next = self.disk_b_rx.par.val();
        self.inj_disk_b.pin_cpar.next = self.disk_b_rx.cpar.val();
        self.disk_b_rx.ready.next = self.inj_disk_b.pin_ready.val();
        self.disk_b_rx.rpar.next = self.inj_disk_b.pin_rpar.val();
        self.in_disk_b.valid.next = self.inj_disk_b.valid.val();
        self.in_disk_b.data.next = self.inj_disk_b.data.val();
        self.in_disk_b.last.next = self.inj_disk_b.last.val();
        self.in_disk_b.abort.next = self.inj_disk_b.abort.val();
        self.in_disk_b.par.next = self.inj_disk_b.par.val();
        self.in_disk_b.raw_data.next = self.inj_disk_b.pin_data.val();
        self.in_disk_b.raw_par.next = self.inj_disk_b.pin_par.val();
        self.in_disk_b.par_flip.next = self.inj_disk_b.par_flip.val();
        self.in_disk_b.cpar.next = self.inj_disk_b.cpar.val();

        // Write path: the lockstep takes both CPUs' words.
        self.lockstep.reset.next = self.reset.val();
        // A host mode write, or the halt policy halting on a fault the lockstep does not halt
        // on itself (a disk fault, a divergence, ...): the same path as a host write of HALTED.
        self.lockstep.mode_set.next = self.cfg_mode_set.val() | self.halt_req_q.q.val();
        self.lockstep.mode_value.next = self.cfg_mode.val();
        if self.halt_req_q.q.val() {
            self.lockstep.mode_value.next = self.m_halted.val();
        }
        self.lockstep.strict.next = self.cfg_strict.val();
        // CTRL's stored lockstep bit as the write lands, in step with `mode_set` (cfg_strict
        // is a cycle behind it).
        self.lockstep.strict_set.next = self.regs.ctrl_lockstep.val();
        self.lockstep.policy_halt.next = self.cfg_policy_halt.val();
        self.lockstep.offset.next = self.cfg_offset.val();
        self.lockstep.timeout.next = self.cfg_timeout.val();
        self.lockstep.a_valid.next = self.inj_cpu_a.valid.val();
        self.lockstep.a_word.next = self.in_cpu_a.word.val();
        self.lockstep.a_error.next = self.in_cpu_a.error.val() | self.out_cpu_a.ready_error.val();
        self.lockstep.b_valid.next = self.inj_cpu_b.valid.val();
        self.lockstep.b_word.next = self.in_cpu_b.word.val();
        self.lockstep.b_error.next = self.in_cpu_b.error.val() | self.out_cpu_b.ready_error.val();
        self.lockstep.return_mismatch.next = self.fabric.strict_ready_mismatch.val();
        self.inj_cpu_a.ready.next = self.lockstep.a_ready.val();
        self.inj_cpu_a.rpar.next = !self.lockstep.a_ready.val();
        self.inj_cpu_b.ready.next = self.lockstep.b_ready.val();
        self.inj_cpu_b.rpar.next = !self.lockstep.b_ready.val();

        // Fabric: committed and SPLIT streams to the disks, returns to the CPUs.
        self.fabric.reset.next = self.reset.val();
        self.fabric.mode.next = self.lockstep.mode.val();
        self.fabric.primary.next = self.cfg_primary.val();
        self.fabric.read_verify.next = self.cfg_read_verify.val();
        self.fabric.strict.next = self.cfg_strict.val();
        self.fabric.offset.next = self.cfg_offset.val();
        // A rebuilding disk is out of the return path (never primary, never compared) but takes
        // every mirrored write.
        self.fabric.disk_a_failed.next = self.mon_disk_a.failed.val() | self.mon_disk_a.rebuilding.val();
        self.fabric.disk_b_failed.next = self.mon_disk_b.failed.val() | self.mon_disk_b.rebuilding.val();
        self.fabric.disk_a_rebuilding.next = self.mon_disk_a.rebuilding.val();
        self.fabric.disk_b_rebuilding.next = self.mon_disk_b.rebuilding.val();
        // Read-verify gives a silent secondary the patience a disk's tx_ready gets; a fault
        // clear puts a secondary that diverged back in step.
        self.fabric.disk_timeout.next = self.cfg_disk_timeout.val();
        self.fabric.resync.next = self.cfg_fault_clear.val();
        // Commit gate between the committed stream and the fabric: CTRL.commit = 1 holds each
        // frame until its last pair has agreed (store-and-forward).
        self.gate.reset.next = self.reset.val();
        self.gate.saf.next = self.saf_q.q.val();
        self.gate.in_valid.next = self.lockstep.c_valid.val();
        self.gate.in_word.next = self.lockstep.c_word.val();
        self.lockstep.c_ready.next = self.gate.in_ready.val();
        self.fabric.c_valid.next = self.gate.out_valid.val();
        self.fabric.c_word.next = self.gate.out_word.val();
        self.gate.out_ready.next = self.fabric.c_ready.val();
        self.fabric.sa_valid.next = self.lockstep.sa_valid.val();
        self.fabric.sa_word.next = self.lockstep.sa_word.val();
        self.lockstep.sa_ready.next = self.fabric.sa_ready.val();
        self.fabric.sb_valid.next = self.lockstep.sb_valid.val();
        self.fabric.sb_word.next = self.lockstep.sb_word.val();
        self.lockstep.sb_ready.next = self.fabric.sb_ready.val();
        // A rebuilding disk's returns are taken and dropped here, before the fabric: never
        // delivered, never compared, whatever the other disk's state.
        self.fabric.ra_valid.next = self.inj_disk_a.valid.val() & !self.mon_disk_a.rebuilding.val();
        self.fabric.ra_word.next = self.in_disk_a.word.val();
        self.rx_take_a.next = self.fabric.ra_ready.val() | self.mon_disk_a.rebuilding.val();
        self.inj_disk_a.ready.next = self.rx_take_a.val();
        self.inj_disk_a.rpar.next = !self.rx_take_a.val();
        self.fabric.rb_valid.next = self.inj_disk_b.valid.val() & !self.mon_disk_b.rebuilding.val();
        self.fabric.rb_word.next = self.in_disk_b.word.val();
        self.rx_take_b.next = self.fabric.rb_ready.val() | self.mon_disk_b.rebuilding.val();
        self.inj_disk_b.ready.next = self.rx_take_b.val();
        self.inj_disk_b.rpar.next = !self.rx_take_b.val();
        if self.inj_disk_a.valid.val() & self.rx_take_a.val() {
            self.drx_in_frame_a.d.next = !self.in_disk_a.word.val().get_bit(36);
        }
        if self.inj_disk_b.valid.val() & self.rx_take_b.val() {
            self.drx_in_frame_b.d.next = !self.in_disk_b.word.val().get_bit(36);
        }

        // Egress: each words-out port, with its own checks.
        LinkTx::link(&mut self.disk_a_tx, &mut self.out_disk_a.link);
        LinkTx::link(&mut self.disk_b_tx, &mut self.out_disk_b.link);
        LinkTx::link(&mut self.cpu_a_rx, &mut self.out_cpu_a.link);
        LinkTx::link(&mut self.cpu_b_rx, &mut self.out_cpu_b.link);
        // A failed disk gets nothing of its buffer: the fabric offers it nothing and empties
        // the buffer from the cycle it is marked failed (fabric.rs). Once it is readmitted, a
        // frame it had half received is ended with `last & abort` before it joins, so it
        // starts clean.
        self.dtx_valid_a.next = self.fabric.da_valid.val();
        self.dtx_word_a.next = self.fabric.da_word.val();
        self.fabric.da_take.next = self.out_disk_a.take.val();
        if self.mon_disk_a.failed.val() {
            self.dtx_valid_a.next = self.mon_disk_a.readmitted.val() & self.dtx_in_frame_a.q.val();
            self.dtx_word_a.next = self.abort_word.val();
            self.fabric.da_take.next = self.fabric.da_valid.val();
        }
        self.dtx_valid_b.next = self.fabric.db_valid.val();
        self.dtx_word_b.next = self.fabric.db_word.val();
        self.fabric.db_take.next = self.out_disk_b.take.val();
        if self.mon_disk_b.failed.val() {
            self.dtx_valid_b.next = self.mon_disk_b.readmitted.val() & self.dtx_in_frame_b.q.val();
            self.dtx_word_b.next = self.abort_word.val();
            self.fabric.db_take.next = self.fabric.db_valid.val();
        }
        self.out_disk_a.word_valid.next = self.dtx_valid_a.val();
        self.out_disk_a.word.next = self.dtx_word_a.val();
        self.out_disk_b.word_valid.next = self.dtx_valid_b.val();
        self.out_disk_b.word.next = self.dtx_word_b.val();
        if self.out_disk_a.take.val() {
            self.dtx_in_frame_a.d.next = !self.dtx_word_a.val().get_bit(36);
        }
        if self.out_disk_b.take.val() {
            self.dtx_in_frame_b.d.next = !self.dtx_word_b.val().get_bit(36);
        }
        // The committed stream's frames, for readmission at a frame boundary.
        self.c_boundary.next = !self.c_in_frame.q.val();
        if self.fabric.c_valid.val() & self.fabric.c_ready.val() {
            self.c_boundary.next = self.fabric.c_word.val().get_bit(36);
        }
        self.c_in_frame.d.next = !self.c_boundary.val();
        if self.reset.val() {
            self.c_in_frame.d.next = false;
            self.dtx_in_frame_a.d.next = false;
            self.dtx_in_frame_b.d.next = false;
            self.drx_in_frame_a.d.next = false;
            self.drx_in_frame_b.d.next = false;
        }
        self.out_cpu_a.word_valid.next = self.fabric.ca_valid.val();
        self.out_cpu_a.word.next = self.fabric.ca_word.val();
        self.fabric.ca_take.next = self.out_cpu_a.take.val();
        self.fabric.ca_ready.next = self.cpu_a_rx.ready.val();
        self.out_cpu_b.word_valid.next = self.fabric.cb_valid.val();
        self.out_cpu_b.word.next = self.fabric.cb_word.val();
        self.fabric.cb_take.next = self.out_cpu_b.take.val();
        self.fabric.cb_ready.next = self.cpu_b_rx.ready.val();

        // Disk health.
        // Disk states: a fault clear leaves them; the host readmits and says done.
        self.mon_disk_a.reset.next = self.reset.val();
        self.mon_disk_a.readmit.next = self.regs.ctrl_readmit_a.val();
        self.mon_disk_a.rebuilt.next = self.regs.ctrl_rebuilt_a.val();
        self.mon_disk_a.boundary.next = self.c_boundary.val();
        self.mon_disk_a.flushed.next = !self.fabric.da_valid.val() & !self.dtx_in_frame_a.q.val();
        self.mon_disk_a.returns_idle.next = !self.drx_in_frame_a.q.val()
            & !self.drx_in_frame_b.q.val()
            & !self.inj_disk_a.valid.val()
            & !self.inj_disk_b.valid.val();
        self.mon_disk_a.timeout.next = self.cfg_disk_timeout.val();
        self.rx_err_disk_a_q.d.next = self.in_disk_a.error.val();
        self.rdy_err_disk_a_q.d.next = self.out_disk_a.ready_error.val();
        self.mon_disk_a.rx_error.next = self.rx_err_disk_a_q.q.val();
        self.mon_disk_a.ready_error.next = self.rdy_err_disk_a_q.q.val();
        self.mon_disk_a.waiting.next = self.dtx_valid_a.val();
        self.mon_disk_a.ready.next = self.disk_a_tx.ready.val();
        self.mon_disk_b.reset.next = self.reset.val();
        self.mon_disk_b.readmit.next = self.regs.ctrl_readmit_b.val();
        self.mon_disk_b.rebuilt.next = self.regs.ctrl_rebuilt_b.val();
        self.mon_disk_b.boundary.next = self.c_boundary.val();
        self.mon_disk_b.flushed.next = !self.fabric.db_valid.val() & !self.dtx_in_frame_b.q.val();
        self.mon_disk_b.returns_idle.next = !self.drx_in_frame_a.q.val()
            & !self.drx_in_frame_b.q.val()
            & !self.inj_disk_a.valid.val()
            & !self.inj_disk_b.valid.val();
        self.mon_disk_b.timeout.next = self.cfg_disk_timeout.val();
        self.rx_err_disk_b_q.d.next = self.in_disk_b.error.val();
        self.rdy_err_disk_b_q.d.next = self.out_disk_b.ready_error.val();
        self.mon_disk_b.rx_error.next = self.rx_err_disk_b_q.q.val();
        self.mon_disk_b.ready_error.next = self.rdy_err_disk_b_q.q.val();
        self.mon_disk_b.waiting.next = self.dtx_valid_b.val();
        self.mon_disk_b.ready.next = self.disk_b_tx.ready.val();

        // Counters.
        self.perr_cpu_a.inc2.next = false;
        self.perr_cpu_a.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.perr_cpu_b.inc2.next = false;
        self.perr_cpu_b.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.perr_disk_a.inc2.next = false;
        self.perr_disk_a.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.perr_disk_b.inc2.next = false;
        self.perr_disk_b.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.perr_egress.inc2.next = false;
        self.perr_egress.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.words_fwd.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.frames_fwd.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.frames_aborted.inc2.next = false;
        self.frames_aborted.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.mismatches.inc2.next = false;
        self.mismatches.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.timeouts.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.words_returned.clear.next = self.reset.val() | self.cfg_cnt_clear.val();
        self.perr_cpu_a_q.d.next = self.in_cpu_a.error.val() | self.out_cpu_a.ready_error.val();
        self.perr_cpu_b_q.d.next = self.in_cpu_b.error.val() | self.out_cpu_b.ready_error.val();
        self.perr_disk_a_q.d.next = self.in_disk_a.error.val() | self.out_disk_a.ready_error.val();
        self.perr_disk_b_q.d.next = self.in_disk_b.error.val() | self.out_disk_b.ready_error.val();
        self.perr_cpu_a.inc.next = self.perr_cpu_a_q.q.val();
        self.perr_cpu_b.inc.next = self.perr_cpu_b_q.q.val();
        self.perr_disk_a.inc.next = self.perr_disk_a_q.q.val();
        self.perr_disk_b.inc.next = self.perr_disk_b_q.q.val();
        self.egress_q.d.next = self.out_disk_a.egress_error.val()
            | self.out_disk_b.egress_error.val()
            | self.out_cpu_a.egress_error.val()
            | self.out_cpu_b.egress_error.val();
        self.perr_egress.inc.next = self.egress_q.q.val();
        // What reaches the disks: in cut-through the committed stream itself; in store-and-
        // forward what leaves the commit gate, and the frames it drops (divergent or too long).
        // SPLIT forwards each CPU's own stream: those words count too (two in one cycle, two).
        if self.gate.saf_active.val() {
            self.words_fwd.inc.next = self.gate.word_out.val();
            self.frames_fwd.inc.next = self.gate.frame_out.val();
            self.frames_aborted.inc.next = self.gate.frame_dropped.val();
        } else {
            self.words_fwd.inc.next = self.lockstep.word_out.val();
            self.frames_fwd.inc.next = self.lockstep.frame_out.val();
            self.frames_aborted.inc.next = self.lockstep.frame_aborted.val();
        }
        if self.lockstep.sa_valid.val() & self.fabric.sa_ready.val() {
            self.words_fwd.inc.next = true;
            self.frames_fwd.inc.next = self.lockstep.sa_word.val().get_bit(36) & !self.lockstep.sa_word.val().get_bit(37);
        }
        self.words_fwd.inc2.next = self.lockstep.sb_valid.val() & self.fabric.sb_ready.val();
        self.frames_fwd.inc2.next =
            self.lockstep.sb_valid.val() & self.fabric.sb_ready.val() & self.lockstep.sb_word.val().get_bit(36) & !self.lockstep.sb_word.val().get_bit(37);
        self.mismatches.inc.next = self.lockstep.fault_mismatch.val();
        // TIMEOUTS counts CPU and disk timeouts (register table). A CPU and a disk may time
        // out in the same cycle, hence the second input; both disks at once count once.
        self.timeouts.inc.next = self.lockstep.fault_a_timeout.val() | self.lockstep.fault_b_timeout.val();
        self.timeouts.inc2.next = self.mon_disk_a.fail_timeout.val() | self.mon_disk_b.fail_timeout.val();
        // Words delivered to the CPUs, each once. Outside SPLIT both CPUs get the same stream,
        // each at its own pace, so a word counts when the first CPU takes it. After a
        // fail-over the served CPU first catches up with what the isolated one had already
        // taken (counted then); the isolated one only drains its buffer, words the served one
        // gets too. Counting one CPU's link instead miscounts a fail-over to SIMPLEX_B by the
        // distance between the CPUs at the switch.
        // `ret_lead` < 0: CPU B is ahead; > 0: CPU A is.
        self.ret_step.next = 0.into();
        self.words_returned.inc.next = false;
        self.words_returned.inc2.next = false;
        if self.lockstep.mode.val() == self.m_split.val() {
            // SPLIT: two different streams, every word counts.
            self.words_returned.inc.next = self.out_cpu_a.take.val();
            self.words_returned.inc2.next = self.out_cpu_b.take.val();
        } else if self.lockstep.mode.val() == self.m_simplex_a.val() {
            // SIMPLEX_A: words CPU B had already taken were counted then.
            if self.out_cpu_a.take.val() {
                if self.ret_lead.q.val().get_bit(15) {
                    self.ret_step.next = 1.into();
                } else {
                    self.words_returned.inc.next = true;
                }
            }
        } else if self.lockstep.mode.val() == self.m_simplex_b.val() {
            if self.out_cpu_b.take.val() {
                if !self.ret_lead.q.val().get_bit(15) & (self.ret_lead.q.val() != 0) {
                    self.ret_step.next = 0xFFFF_u64.into();
                } else {
                    self.words_returned.inc.next = true;
                }
            }
        } else if self.out_cpu_a.take.val() & self.out_cpu_b.take.val() {
            self.words_returned.inc.next = true;
        } else if self.out_cpu_a.take.val() {
            self.ret_step.next = 1.into();
            self.words_returned.inc.next = !self.ret_lead.q.val().get_bit(15);
        } else if self.out_cpu_b.take.val() {
            self.ret_step.next = 0xFFFF_u64.into();
            self.words_returned.inc.next = self.ret_lead.q.val().get_bit(15) | (self.ret_lead.q.val() == 0);
        }
        self.ret_lead.d.next = self.ret_lead.q.val() + self.ret_step.val();
        // SPLIT, and a host mode write, start a new stream relation (change modes with the
        // CPUs idle).
        if self.reset.val() | self.cfg_mode_set.val() | (self.lockstep.mode.val() == self.m_split.val()) {
            self.ret_lead.d.next = 0.into();
        }
        // Faults: bit n of `causes` is cause code n (ftio_proto::Cause).
        self.fault_log.reset.next = self.reset.val();
        self.fault_log.clear.next = self.cfg_fault_clear.val();
        self.causes_now.next = (bit_cast::<16, 1>(self.lockstep.fault_a_parity.val().into()) << 1)
            | (bit_cast::<16, 1>(self.lockstep.fault_b_parity.val().into()) << 2)
            | (bit_cast::<16, 1>(self.lockstep.fault_mismatch.val().into()) << 3)
            | (bit_cast::<16, 1>(self.lockstep.fault_a_timeout.val().into()) << 4)
            | (bit_cast::<16, 1>(self.lockstep.fault_b_timeout.val().into()) << 5)
            | (bit_cast::<16, 1>(self.mon_disk_a.fail_parity.val().into()) << 6)
            | (bit_cast::<16, 1>(self.mon_disk_b.fail_parity.val().into()) << 7)
            | (bit_cast::<16, 1>(self.mon_disk_a.fail_timeout.val().into()) << 8)
            | (bit_cast::<16, 1>(self.mon_disk_b.fail_timeout.val().into()) << 9)
            | (bit_cast::<16, 1>(self.divergence_q.q.val().into()) << 10)
            | (bit_cast::<16, 1>(self.egress_q.q.val().into()) << 12)
            | (bit_cast::<16, 1>(self.gate.frame_too_long.val().into()) << 13);
        self.fault_log.causes.next = self.causes_now.val();
        // The halt policy: every fault halts (SPEC §4), whatever its cause and mode.
        self.halt_req_q.d.next = self.cfg_policy_halt.val() & (self.causes_now.val() != 0);
        // CAP_WORD: the word index at the fault, counted from reset or the last fault clear.
        if self.lockstep.word_out.val() {
            self.word_index.d.next = self.word_index.q.val() + 1;
        }
        if self.reset.val() | self.cfg_fault_clear.val() {
            self.word_index.d.next = 0.into();
        }
        self.fault_log.word_index.next = self.word_index.q.val();
        self.divergence_q.d.next = self.fabric.divergence.val();
        // The words the capture shows a cycle later, when the registered evidence raises the
        // fault: the CPU ports' words, or for a disk parity error or a divergence the disks'
        // rx words (a CPU parity error in the same cycle has the lower cause code and wins).
        self.cap_disk.next = (self.in_disk_a.error.val()
            | self.in_disk_b.error.val()
            | self.out_disk_a.ready_error.val()
            | self.out_disk_b.ready_error.val()
            | self.fabric.divergence.val())
            & !(self.in_cpu_a.error.val()
                | self.in_cpu_b.error.val()
                | self.out_cpu_a.ready_error.val()
                | self.out_cpu_b.ready_error.val());
        self.port_a_q.d.next = self.in_cpu_a.word.val();
        self.port_b_q.d.next = self.in_cpu_b.word.val();
        self.port_a_valid_q.d.next = self.inj_cpu_a.valid.val();
        self.port_b_valid_q.d.next = self.inj_cpu_b.valid.val();
        if self.cap_disk.val() {
            self.port_a_q.d.next = self.in_disk_a.word.val();
            self.port_b_q.d.next = self.in_disk_b.word.val();
            self.port_a_valid_q.d.next = self.inj_disk_a.valid.val();
            self.port_b_valid_q.d.next = self.inj_disk_b.valid.val();
        }
        self.cap_word_a.next = self.port_a_q.q.val();
        self.cap_word_b.next = self.port_b_q.q.val();
        self.cap_valid_a.next = self.port_a_valid_q.q.val();
        self.cap_valid_b.next = self.port_b_valid_q.q.val();
        // A disk timeout with no lower cause in the same cycle: the words waiting on the
        // disks' tx links.
        self.cap_disk_tx.next = (self.mon_disk_a.fail_timeout.val() | self.mon_disk_b.fail_timeout.val())
            & (self.causes_now.val().get_bits::<7>(1) == 0);
        if self.cap_disk_tx.val() {
            self.cap_word_a.next = self.dtx_word_a.val();
            self.cap_word_b.next = self.dtx_word_b.val();
            self.cap_valid_a.next = self.dtx_valid_a.val();
            self.cap_valid_b.next = self.dtx_valid_b.val();
        }
        if self.lockstep.fault_mismatch.val() {
            self.cap_word_a.next = self.lockstep.head_a.val();
            self.cap_word_b.next = self.lockstep.head_b.val();
            self.cap_valid_a.next = self.lockstep.head_a_valid.val();
            self.cap_valid_b.next = self.lockstep.head_b_valid.val();
        }
        self.fault_log.data_a.next = self.cap_word_a.val().get_bits::<32>(0);
        self.fault_log.data_b.next = self.cap_word_b.val().get_bits::<32>(0);
        // CAP_FLAGS: a_valid[0] a_last[1] a_abort[2] a_par[6:3] a_perr[7], B the same from bit 8
        // (word bits: par 35:32, last 36, abort 37, perr 38).
        self.fault_log.flags.next = bit_cast::<16, 1>(self.cap_valid_a.val().into())
            | (bit_cast::<16, 2>(self.cap_word_a.val().get_bits::<2>(36)) << 1)
            | (bit_cast::<16, 4>(self.cap_word_a.val().get_bits::<4>(32)) << 3)
            | (bit_cast::<16, 1>(self.cap_word_a.val().get_bit(38).into()) << 7)
            | (bit_cast::<16, 1>(self.cap_valid_b.val().into()) << 8)
            | (bit_cast::<16, 2>(self.cap_word_b.val().get_bits::<2>(36)) << 9)
            | (bit_cast::<16, 4>(self.cap_word_b.val().get_bits::<4>(32)) << 11)
            | (bit_cast::<16, 1>(self.cap_word_b.val().get_bit(38).into()) << 15);
        self.irq.next = self.fault_log.fault.val();

        self.fill_a_q.d.next = self.lockstep.fill_a.val();
        self.fill_b_q.d.next = self.lockstep.fill_b.val();
        if self.fill_a_q.q.val() > self.fill_b_q.q.val() {
            self.skew.d.next = (self.fill_a_q.q.val() - self.fill_b_q.q.val()) & self.fill_mask.val();
        } else {
            self.skew.d.next = (self.fill_b_q.q.val() - self.fill_a_q.q.val()) & self.fill_mask.val();
        }
        if self.skew.q.val() > self.max_skew.q.val() {
            self.max_skew.d.next = self.skew.q.val();
        }
        if self.reset.val() | self.cfg_cnt_clear.val() {
            self.max_skew.d.next = 0.into();
        }

        // What the registers read.
        self.regs.ctrl_mode_now.next = self.lockstep.mode.val();
        self.regs.status_mode.next = self.lockstep.mode.val();
        self.regs.status_halted.next = self.lockstep.mode.val() == self.m_halted.val();
        // A CPU is failed when one of its causes (parity, timeout) has been seen.
        self.regs.status_cpu_a_failed.next = (self.fault_log.faults.val() & self.cpu_a_causes.val()) != 0;
        self.regs.status_cpu_b_failed.next = (self.fault_log.faults.val() & self.cpu_b_causes.val()) != 0;
        self.regs.status_disk_a_failed.next = self.mon_disk_a.failed.val();
        self.regs.status_disk_b_failed.next = self.mon_disk_b.failed.val();
        self.regs.status_cause.next = self.fault_log.first_cause.val();
        self.regs.status_fault.next = self.fault_log.fault.val();
        self.regs.status_bist_running.next = self.bist_active.q.val();
        self.regs.status_disk_a_rebuilding.next = self.mon_disk_a.rebuilding.val() | self.mon_disk_a.readmitted.val();
        self.regs.status_disk_b_rebuilding.next = self.mon_disk_b.rebuilding.val() | self.mon_disk_b.readmitted.val();
        self.regs.faults.next = bit_cast::<32, 16>(self.fault_log.faults.val());
        self.regs.skew_fill_a.next = self.lockstep.fill_a.val();
        self.regs.skew_fill_b.next = self.lockstep.fill_b.val();
        self.regs.cap_cause.next = self.fault_log.first_cause.val();
        self.regs.cap_cycle_lo.next = self.fault_log.cap_cycle.val().get_bits::<32>(0);
        self.regs.cap_cycle_hi.next = self.fault_log.cap_cycle.val().get_bits::<32>(32);
        self.regs.cap_word.next = self.fault_log.cap_word.val();
        self.regs.cap_data_a.next = self.fault_log.cap_data_a.val();
        self.regs.cap_data_b.next = self.fault_log.cap_data_b.val();
        self.regs.cap_flags_a_valid.next = self.fault_log.cap_flags.val().get_bit(0);
        self.regs.cap_flags_a_last.next = self.fault_log.cap_flags.val().get_bit(1);
        self.regs.cap_flags_a_abort.next = self.fault_log.cap_flags.val().get_bit(2);
        self.regs.cap_flags_a_par.next = self.fault_log.cap_flags.val().get_bits::<4>(3);
        self.regs.cap_flags_a_perr.next = self.fault_log.cap_flags.val().get_bit(7);
        self.regs.cap_flags_b_valid.next = self.fault_log.cap_flags.val().get_bit(8);
        self.regs.cap_flags_b_last.next = self.fault_log.cap_flags.val().get_bit(9);
        self.regs.cap_flags_b_abort.next = self.fault_log.cap_flags.val().get_bit(10);
        self.regs.cap_flags_b_par.next = self.fault_log.cap_flags.val().get_bits::<4>(11);
        self.regs.cap_flags_b_perr.next = self.fault_log.cap_flags.val().get_bit(15);
        // Fault injection: INJ_STATUS.fired is sticky until the next arming.
        self.inj_fired_q.d.next = self.inj_cpu_a.fired.val()
            | self.inj_cpu_b.fired.val()
            | self.inj_disk_a.fired.val()
            | self.inj_disk_b.fired.val();
        self.regs.inj_ctrl_arm_clear.next = self.inj_fired_q.q.val();
        if self.inj_fired_q.q.val() {
            self.inj_fired_seen.d.next = true;
        }
        self.inj_was_armed.d.next = self.regs.inj_ctrl_arm.val();
        if self.regs.inj_ctrl_arm.val() & !self.inj_was_armed.q.val() {
            self.inj_fired_seen.d.next = false;
        }
        self.regs.inj_status_fired.next = self.inj_fired_seen.q.val();
        self.regs.inj_status_armed.next = self.regs.inj_ctrl_arm.val();

        // BIST: generators feed both CPU inputs, checkers watch both disk outputs.
        self.bist_gen_a.start.next = self.bist_start_q.q.val();
        self.bist_gen_b.start.next = self.bist_start_q.q.val();
        self.bist_gen_a.stop.next = self.bist_abort_q.q.val();
        self.bist_gen_b.stop.next = self.bist_abort_q.q.val();
        self.bist_gen_a.seed.next = self.regs.bist_seed.val();
        self.bist_gen_b.seed.next = self.regs.bist_seed.val();
        self.bist_gen_a.len.next = self.regs.bist_len.val();
        self.bist_gen_b.len.next = self.regs.bist_len.val();
        self.bist_gen_a.frames.next = self.regs.bist_frames.val();
        self.bist_gen_b.frames.next = self.regs.bist_frames.val();
        self.bist_gen_a.delay.next = 0.into();
        self.bist_gen_b.delay.next = self.regs.bist_skew.val();
        self.bist_chk_a.start.next = self.bist_start_q.q.val();
        self.bist_chk_b.start.next = self.bist_start_q.q.val();
        self.bist_chk_a.seed.next = self.regs.bist_seed.val();
        self.bist_chk_b.seed.next = self.regs.bist_seed.val();
        self.bist_chk_a.len.next = self.regs.bist_len.val();
        self.bist_chk_b.len.next = self.regs.bist_len.val();
        self.bist_chk_a.frames.next = self.regs.bist_frames.val();
        self.bist_chk_b.frames.next = self.regs.bist_frames.val();
        self.bist_chk_a.enable.next = self.bist_active.q.val();
        self.bist_chk_b.enable.next = self.bist_active.q.val();
        self.bist_chk_a.take.next = self.out_disk_a.take.val();
        self.bist_chk_a.data.next = self.dtx_word_a.val().get_bits::<32>(0);
        self.bist_chk_a.par.next = self.dtx_word_a.val().get_bits::<4>(32);
        self.bist_chk_a.last.next = self.dtx_word_a.val().get_bit(36);
        self.bist_chk_a.abort.next = self.dtx_word_a.val().get_bit(37);
        self.bist_chk_b.take.next = self.out_disk_b.take.val();
        self.bist_chk_b.data.next = self.dtx_word_b.val().get_bits::<32>(0);
        self.bist_chk_b.par.next = self.dtx_word_b.val().get_bits::<4>(32);
        self.bist_chk_b.last.next = self.dtx_word_b.val().get_bit(36);
        self.bist_chk_b.abort.next = self.dtx_word_b.val().get_bit(37);
        // Finished when both disks have seen every word. If nothing moves anywhere for 4096
        // cycles the run is drained instead: every word still expected counts as an error,
        // so a lost word or a halted core cannot hang the BIST.
        self.bist_moving.next = (self.bist_gen_a.valid.val() & self.bist_gen_a.ready.val())
            | (self.bist_gen_b.valid.val() & self.bist_gen_b.ready.val())
            | self.out_disk_a.take.val()
            | self.out_disk_b.take.val();
        self.bist_moving_q.d.next = self.bist_moving.val();
        if self.bist_active.q.val() & !self.bist_moving_q.q.val() & (self.bist_quiet.q.val() != 4096_u64) {
            self.bist_quiet.d.next = self.bist_quiet.q.val() + 1;
        } else if self.bist_moving_q.q.val() {
            self.bist_quiet.d.next = 0.into();
        }
        self.bist_chk_a.drain.next = self.bist_active.q.val() & (self.bist_quiet.q.val() == 4096_u64);
        self.bist_chk_b.drain.next = self.bist_active.q.val() & (self.bist_quiet.q.val() == 4096_u64);
        self.bist_finish.next = self.bist_active.q.val()
            & self.bist_chk_a.complete.val()
            & self.bist_chk_b.complete.val()
            & !self.bist_gen_a.running.val()
            & !self.bist_gen_b.running.val();
        // A fault latched during the run fails it, even when every word arrived intact.
        if self.bist_active.q.val() & self.fault_log.fault.val() {
            self.bist_faulted.d.next = true;
        }
        if self.bist_finish.val() {
            self.bist_active.d.next = false;
            self.bist_done.d.next = true;
            self.bist_pass.d.next = (self.bist_chk_a.errors.val() == 0)
                & (self.bist_chk_b.errors.val() == 0)
                & !self.bist_faulted.q.val()
                & !self.fault_log.fault.val();
        }
        if self.bist_abort_q.q.val() {
            self.bist_active.d.next = false;
            self.bist_done.d.next = false;
            self.bist_pass.d.next = false;
        }
        if self.bist_start_q.q.val() {
            self.bist_active.d.next = true;
            self.bist_done.d.next = false;
            self.bist_pass.d.next = false;
            self.bist_faulted.d.next = false;
            self.bist_quiet.d.next = 0.into();
        }
        if self.reset.val() {
            self.bist_active.d.next = false;
            self.bist_done.d.next = false;
            self.bist_pass.d.next = false;
        }
        self.regs.bist_status_running.next = self.bist_active.q.val();
        self.regs.bist_status_done.next = self.bist_done.q.val();
        self.regs.bist_status_pass.next = self.bist_done.q.val() & self.bist_pass.q.val();
        self.regs.bist_status_fail.next = self.bist_done.q.val() & !self.bist_pass.q.val();
        // A word counts once both disks' copies have been checked.
        if self.bist_chk_a.words.val() < self.bist_chk_b.words.val() {
            self.bist_words_q.d.next = self.bist_chk_a.words.val();
        } else {
            self.bist_words_q.d.next = self.bist_chk_b.words.val();
        }
        self.bist_errors_sum.next =
            bit_cast::<33, 32>(self.bist_chk_a.errors.val()) + bit_cast::<33, 32>(self.bist_chk_b.errors.val());
        if self.bist_errors_sum.val() > self.bist_errors_top.val() {
            self.bist_errors_q.d.next = self.bist_errors_top.val().get_bits::<32>(0);
        } else {
            self.bist_errors_q.d.next = self.bist_errors_sum.val().get_bits::<32>(0);
        }
        self.regs.bist_words.next = self.bist_words_q.q.val();
        self.regs.bist_errors.next = self.bist_errors_q.q.val();
        self.regs.words_fwd.next = self.words_fwd.count.val();
        self.regs.frames_fwd.next = self.frames_fwd.count.val();
        self.regs.frames_aborted.next = self.frames_aborted.count.val();
        self.regs.mismatches.next = self.mismatches.count.val();
        self.regs.perr_cpu_a.next = self.perr_cpu_a.count.val();
        self.regs.perr_cpu_b.next = self.perr_cpu_b.count.val();
        self.regs.perr_disk_a.next = self.perr_disk_a.count.val();
        self.regs.perr_disk_b.next = self.perr_disk_b.count.val();
        self.regs.perr_egress.next = self.perr_egress.count.val();
        self.regs.timeouts.next = self.timeouts.count.val();
        self.regs.max_skew.next = bit_cast::<32, 16>(self.max_skew.q.val());
        self.regs.words_returned.next = self.words_returned.count.val();
        self.regs.cycles.next = self.fault_log.cycle.val().get_bits::<32>(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};

    fn step(c: &mut EventCounter, inc: bool, inc2: bool) -> u64 {
        c.inc.next = inc;
        c.inc2.next = inc2;
        low(c, |c| &mut c.clock);
        edge(c, |c| &mut c.clock);
        c.count.val().to_u64()
    }

    /// counter_width is real: a 4-bit counter counts 0..=15 and stays at 15, with one or two
    /// events a cycle; a 32-bit one counts two events in a cycle as two. Events show in the
    /// count one cycle after the cycle they happen in.
    #[test]
    fn counters_saturate_at_their_build_width() {
        let mut c = EventCounter::new(4);
        c.connect_all();
        c.clear.next = false;
        let mut n = 0;
        for i in 0..30 {
            let two = i % 3 == 0;
            assert_eq!(step(&mut c, true, two), n, "event {i}");
            n = (n + 1 + two as u64).min(15);
        }
        assert_eq!(step(&mut c, false, false), 15);
        assert_eq!(step(&mut c, false, false), 15);
        // An event in the cycle of a clear is dropped with the count.
        c.clear.next = true;
        assert_eq!(step(&mut c, true, false), 0);
        c.clear.next = false;
        assert_eq!(step(&mut c, true, true), 0);
        assert_eq!(step(&mut c, false, false), 2);
        let mut c = EventCounter::default();
        c.connect_all();
        c.clear.next = false;
        assert_eq!(step(&mut c, true, true), 0);
        assert_eq!(step(&mut c, false, true), 2);
        assert_eq!(step(&mut c, false, false), 3);
    }
}
