//! The register file of SPEC §5, decoded from the one register table in `ftio-proto`.
//!
//! Every address, access, store mask, command-bit position and reset value below comes from
//! `ftio_proto::REGISTERS` when the block is built; `regfile_matches_the_table` walks the
//! table and checks each register answers as the table says (the same table generates
//! `docs/registers.md` and drives `ftctl`). This file was laid out by hand around that
//! table: one port per register, one read-mux arm per register.
//!
//! Semantics (as `ftio_proto::RegisterModel`): a write stores only the RW field bits;
//! write-1-pulse bits fire once and read 0; CTRL.mode reads the mode the core is in now and a
//! written mode of 7 (MODE_KEEP) leaves it alone; counters read the snapshot taken by
//! CTRL.cnt_snapshot (taken before a cnt_clear in the same write).
use ftio_proto::{reg, Access, BuildParams, REGISTERS};
use rust_hdl::prelude::*;
use rust_hdl::widgets::prelude::DFFWithInit;

fn addr(name: &str) -> Constant<Bits<16>> {
    Constant::new((reg(name).addr as u64).to_bits())
}

/// The bits a write stores in a core built with `params` (counter-wide fields keep
/// PARAMS.counter_width bits: the flops above are constant and synthesis drops them).
fn store_mask(name: &str, params: &BuildParams) -> Constant<Bits<32>> {
    Constant::new((reg(name).store_mask_for(params) as u64).to_bits())
}

fn field_mask(register: &str, field: &str) -> Constant<Bits<32>> {
    Constant::new((reg(register).f(field).mask() as u64).to_bits())
}

/// Bit `addr` set for each register of the table that `pick` takes (all addresses are below
/// 64, which the read decode relies on).
fn address_mask(pick: impl Fn(&ftio_proto::Register) -> bool) -> Bits<64> {
    let mut mask = 0u64;
    for r in REGISTERS.iter() {
        assert!(r.addr < 64, "{} at {}: the register file decodes six address bits", r.name, r.addr);
        if pick(r) {
            mask |= 1 << r.addr;
        }
    }
    mask.to_bits()
}

fn reset_of(name: &str, params: &BuildParams) -> Bits<32> {
    (reg(name).reset_value(params) as u64).to_bits()
}

#[derive(LogicBlock)]
pub struct RegFile {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: every register to its table reset value.
    pub reset: Signal<In, Bit>,
    /// Register index on the bus.
    pub addr: Signal<In, Bits<16>>,
    /// Data to write.
    pub wdata: Signal<In, Bits<32>>,
    /// Write `wdata` to `addr` this cycle (ignored unless `writable`).
    pub we: Signal<In, Bit>,
    /// The register at `addr` of two cycles before (the read mux starts and ends in flops).
    pub rdata: Signal<Out, Bits<32>>,
    /// `addr` is a register.
    pub readable: Signal<Out, Bit>,
    /// `addr` is a writable register.
    pub writable: Signal<Out, Bit>,
    /// Pulse: CTRL was written with a mode other than MODE_KEEP.
    pub mode_set: Signal<Out, Bit>,
    /// The mode written.
    pub mode_value: Signal<Out, Bits<3>>,
    /// The mode the core is in now (CTRL.mode and STATUS.mode read it).
    pub mode_now: Signal<In, Bits<3>>,
    /// CTRL's stored fields (lockstep, commit, policy, read_verify, primary).
    pub ctrl: Signal<Out, Bits<32>>,
    /// Pulse: CTRL.fault_clear.
    pub fault_clear: Signal<Out, Bit>,
    /// Pulse: CTRL.cnt_snapshot.
    pub cnt_snapshot: Signal<Out, Bit>,
    /// Pulse: CTRL.cnt_clear.
    pub cnt_clear: Signal<Out, Bit>,
    /// Pulse: CTRL.readmit_a.
    pub readmit_a: Signal<Out, Bit>,
    /// Pulse: CTRL.readmit_b.
    pub readmit_b: Signal<Out, Bit>,
    /// Pulse: CTRL.rebuilt_a.
    pub rebuilt_a: Signal<Out, Bit>,
    /// Pulse: CTRL.rebuilt_b.
    pub rebuilt_b: Signal<Out, Bit>,
    /// `wdata` is a value the register at `addr` does not define (CTRL with a reserved mode,
    /// 5 or 6): the parser refuses the write frame with status 0x03 and writes nothing.
    pub value_refused: Signal<Out, Bit>,
    /// Pulse: BIST_CTRL.start.
    pub bist_start: Signal<Out, Bit>,
    /// Pulse: BIST_CTRL.abort.
    pub bist_abort: Signal<Out, Bit>,
    /// Pulse from the injector: the armed injection fired (clears INJ_CTRL.arm).
    pub inj_fired: Signal<In, Bit>,
    /// SCRATCH (read-write).
    pub scratch: Signal<Out, Bits<32>>,
    /// OFFSET (read-write).
    pub offset: Signal<Out, Bits<32>>,
    /// TIMEOUT (read-write).
    pub timeout: Signal<Out, Bits<32>>,
    /// DISK_TIMEOUT (read-write).
    pub disk_timeout: Signal<Out, Bits<32>>,
    /// INJ_CTRL (read-write).
    pub inj_ctrl: Signal<Out, Bits<32>>,
    /// INJ_COUNT (read-write).
    pub inj_count: Signal<Out, Bits<32>>,
    /// BIST_FRAMES (read-write).
    pub bist_frames: Signal<Out, Bits<32>>,
    /// BIST_LEN (read-write).
    pub bist_len: Signal<Out, Bits<32>>,
    /// BIST_SKEW (read-write).
    pub bist_skew: Signal<Out, Bits<32>>,
    /// BIST_SEED (read-write).
    pub bist_seed: Signal<Out, Bits<32>>,
    /// STATUS (read-only, from the core).
    pub status: Signal<In, Bits<32>>,
    /// FAULTS (read-only, from the core).
    pub faults: Signal<In, Bits<32>>,
    /// SKEW (read-only, from the core).
    pub skew: Signal<In, Bits<32>>,
    /// CAP_CAUSE (read-only, from the core).
    pub cap_cause: Signal<In, Bits<32>>,
    /// CAP_CYCLE_LO (read-only, from the core).
    pub cap_cycle_lo: Signal<In, Bits<32>>,
    /// CAP_CYCLE_HI (read-only, from the core).
    pub cap_cycle_hi: Signal<In, Bits<32>>,
    /// CAP_WORD (read-only, from the core).
    pub cap_word: Signal<In, Bits<32>>,
    /// CAP_DATA_A (read-only, from the core).
    pub cap_data_a: Signal<In, Bits<32>>,
    /// CAP_DATA_B (read-only, from the core).
    pub cap_data_b: Signal<In, Bits<32>>,
    /// CAP_FLAGS (read-only, from the core).
    pub cap_flags: Signal<In, Bits<32>>,
    /// INJ_STATUS (read-only, from the core).
    pub inj_status: Signal<In, Bits<32>>,
    /// BIST_STATUS (read-only, from the core).
    pub bist_status: Signal<In, Bits<32>>,
    /// BIST_WORDS (read-only, from the core).
    pub bist_words: Signal<In, Bits<32>>,
    /// BIST_ERRORS (read-only, from the core).
    pub bist_errors: Signal<In, Bits<32>>,
    /// The live WORDS_FWD counter (the register reads its snapshot).
    pub cnt_words_fwd: Signal<In, Bits<32>>,
    /// The live FRAMES_FWD counter (the register reads its snapshot).
    pub cnt_frames_fwd: Signal<In, Bits<32>>,
    /// The live FRAMES_ABORTED counter (the register reads its snapshot).
    pub cnt_frames_aborted: Signal<In, Bits<32>>,
    /// The live MISMATCHES counter (the register reads its snapshot).
    pub cnt_mismatches: Signal<In, Bits<32>>,
    /// The live PERR_CPU_A counter (the register reads its snapshot).
    pub cnt_perr_cpu_a: Signal<In, Bits<32>>,
    /// The live PERR_CPU_B counter (the register reads its snapshot).
    pub cnt_perr_cpu_b: Signal<In, Bits<32>>,
    /// The live PERR_DISK_A counter (the register reads its snapshot).
    pub cnt_perr_disk_a: Signal<In, Bits<32>>,
    /// The live PERR_DISK_B counter (the register reads its snapshot).
    pub cnt_perr_disk_b: Signal<In, Bits<32>>,
    /// The live PERR_EGRESS counter (the register reads its snapshot).
    pub cnt_perr_egress: Signal<In, Bits<32>>,
    /// The live TIMEOUTS counter (the register reads its snapshot).
    pub cnt_timeouts: Signal<In, Bits<32>>,
    /// The live MAX_SKEW counter (the register reads its snapshot).
    pub cnt_max_skew: Signal<In, Bits<32>>,
    /// The live WORDS_RETURNED counter (the register reads its snapshot).
    pub cnt_words_returned: Signal<In, Bits<32>>,
    /// The live CYCLES counter (the register reads its snapshot).
    pub cnt_cycles: Signal<In, Bits<32>>,
    a_id: Constant<Bits<16>>,
    a_version: Constant<Bits<16>>,
    a_clock_hz: Constant<Bits<16>>,
    a_baud: Constant<Bits<16>>,
    a_params: Constant<Bits<16>>,
    a_status: Constant<Bits<16>>,
    a_faults: Constant<Bits<16>>,
    a_skew: Constant<Bits<16>>,
    a_cap_cause: Constant<Bits<16>>,
    a_cap_cycle_lo: Constant<Bits<16>>,
    a_cap_cycle_hi: Constant<Bits<16>>,
    a_cap_word: Constant<Bits<16>>,
    a_cap_data_a: Constant<Bits<16>>,
    a_cap_data_b: Constant<Bits<16>>,
    a_cap_flags: Constant<Bits<16>>,
    a_inj_status: Constant<Bits<16>>,
    a_bist_status: Constant<Bits<16>>,
    a_bist_words: Constant<Bits<16>>,
    a_bist_errors: Constant<Bits<16>>,
    a_words_fwd: Constant<Bits<16>>,
    a_frames_fwd: Constant<Bits<16>>,
    a_frames_aborted: Constant<Bits<16>>,
    a_mismatches: Constant<Bits<16>>,
    a_perr_cpu_a: Constant<Bits<16>>,
    a_perr_cpu_b: Constant<Bits<16>>,
    a_perr_disk_a: Constant<Bits<16>>,
    a_perr_disk_b: Constant<Bits<16>>,
    a_perr_egress: Constant<Bits<16>>,
    a_timeouts: Constant<Bits<16>>,
    a_max_skew: Constant<Bits<16>>,
    a_words_returned: Constant<Bits<16>>,
    a_cycles: Constant<Bits<16>>,
    a_scratch: Constant<Bits<16>>,
    a_offset: Constant<Bits<16>>,
    a_timeout: Constant<Bits<16>>,
    a_disk_timeout: Constant<Bits<16>>,
    a_inj_ctrl: Constant<Bits<16>>,
    a_inj_count: Constant<Bits<16>>,
    a_bist_frames: Constant<Bits<16>>,
    a_bist_len: Constant<Bits<16>>,
    a_bist_skew: Constant<Bits<16>>,
    a_bist_seed: Constant<Bits<16>>,
    a_ctrl: Constant<Bits<16>>,
    a_bist_ctrl: Constant<Bits<16>>,
    v_id: Constant<Bits<32>>,
    v_version: Constant<Bits<32>>,
    v_clock_hz: Constant<Bits<32>>,
    v_baud: Constant<Bits<32>>,
    v_params: Constant<Bits<32>>,
    m_scratch: Constant<Bits<32>>,
    r_scratch: DFFWithInit<Bits<32>>,
    init_scratch: Constant<Bits<32>>,
    m_offset: Constant<Bits<32>>,
    r_offset: DFFWithInit<Bits<32>>,
    init_offset: Constant<Bits<32>>,
    m_timeout: Constant<Bits<32>>,
    r_timeout: DFFWithInit<Bits<32>>,
    init_timeout: Constant<Bits<32>>,
    m_disk_timeout: Constant<Bits<32>>,
    r_disk_timeout: DFFWithInit<Bits<32>>,
    init_disk_timeout: Constant<Bits<32>>,
    m_inj_ctrl: Constant<Bits<32>>,
    r_inj_ctrl: DFFWithInit<Bits<32>>,
    init_inj_ctrl: Constant<Bits<32>>,
    m_inj_count: Constant<Bits<32>>,
    r_inj_count: DFFWithInit<Bits<32>>,
    init_inj_count: Constant<Bits<32>>,
    m_bist_frames: Constant<Bits<32>>,
    r_bist_frames: DFFWithInit<Bits<32>>,
    init_bist_frames: Constant<Bits<32>>,
    m_bist_len: Constant<Bits<32>>,
    r_bist_len: DFFWithInit<Bits<32>>,
    init_bist_len: Constant<Bits<32>>,
    m_bist_skew: Constant<Bits<32>>,
    r_bist_skew: DFFWithInit<Bits<32>>,
    init_bist_skew: Constant<Bits<32>>,
    m_bist_seed: Constant<Bits<32>>,
    r_bist_seed: DFFWithInit<Bits<32>>,
    init_bist_seed: Constant<Bits<32>>,
    m_ctrl: Constant<Bits<32>>,
    r_ctrl: DFFWithInit<Bits<32>>,
    init_ctrl: Constant<Bits<32>>,
    s_words_fwd: DFF<Bits<32>>,
    s_frames_fwd: DFF<Bits<32>>,
    s_frames_aborted: DFF<Bits<32>>,
    s_mismatches: DFF<Bits<32>>,
    s_perr_cpu_a: DFF<Bits<32>>,
    s_perr_cpu_b: DFF<Bits<32>>,
    s_perr_disk_a: DFF<Bits<32>>,
    s_perr_disk_b: DFF<Bits<32>>,
    s_perr_egress: DFF<Bits<32>>,
    s_timeouts: DFF<Bits<32>>,
    s_max_skew: DFF<Bits<32>>,
    s_words_returned: DFF<Bits<32>>,
    s_cycles: DFF<Bits<32>>,
    m_mode: Constant<Bits<32>>,
    m_fault_clear: Constant<Bits<32>>,
    m_cnt_snapshot: Constant<Bits<32>>,
    m_cnt_clear: Constant<Bits<32>>,
    m_readmit_a: Constant<Bits<32>>,
    m_readmit_b: Constant<Bits<32>>,
    m_rebuilt_a: Constant<Bits<32>>,
    m_rebuilt_b: Constant<Bits<32>>,
    m_bist_start: Constant<Bits<32>>,
    m_bist_abort: Constant<Bits<32>>,
    m_inj_arm: Constant<Bits<32>>,
    hit_ctrl: Signal<Local, Bit>,
    /// One bit per address below 64: it is a register; it is writable.
    m_readable: Constant<Bits<64>>,
    m_writable: Constant<Bits<64>>,
    hi_zero: Signal<Local, Bit>,
    readable_bits: Signal<Local, Bits<64>>,
    writable_bits: Signal<Local, Bits<64>>,
    /// The address, registered for the read mux (its low six bits; the rest are zero).
    addr6_q: DFF<Bits<6>>,
    hi_zero_q: DFF<Bit>,
    rd_inputs: Signal<Local, Bits<32>>,
    rd_counters: Signal<Local, Bits<32>>,
    rd_config: Signal<Local, Bits<32>>,
    /// The three parts of the read mux, registered (zero where `addr` is not theirs).
    rd_inputs_q: DFF<Bits<32>>,
    rd_counters_q: DFF<Bits<32>>,
    rd_config_q: DFF<Bits<32>>,
}

impl RegFile {
    /// A register file for a core built with `params` (they set CLOCK_HZ, BAUD, PARAMS).
    pub fn new(params: &BuildParams) -> Self {
        assert!(reg("CTRL").f("mode").lsb == 0 && reg("CTRL").f("mode").width == 3);
        let _ = REGISTERS;
        Self {
            clock: Default::default(),
            reset: Default::default(),
            addr: Default::default(),
            wdata: Default::default(),
            we: Default::default(),
            rdata: Default::default(),
            readable: Default::default(),
            writable: Default::default(),
            mode_set: Default::default(),
            mode_value: Default::default(),
            mode_now: Default::default(),
            ctrl: Default::default(),
            fault_clear: Default::default(),
            cnt_snapshot: Default::default(),
            cnt_clear: Default::default(),
            readmit_a: Default::default(),
            readmit_b: Default::default(),
            rebuilt_a: Default::default(),
            rebuilt_b: Default::default(),
            value_refused: Default::default(),
            bist_start: Default::default(),
            bist_abort: Default::default(),
            inj_fired: Default::default(),
            scratch: Default::default(),
            offset: Default::default(),
            timeout: Default::default(),
            disk_timeout: Default::default(),
            inj_ctrl: Default::default(),
            inj_count: Default::default(),
            bist_frames: Default::default(),
            bist_len: Default::default(),
            bist_skew: Default::default(),
            bist_seed: Default::default(),
            status: Default::default(),
            faults: Default::default(),
            skew: Default::default(),
            cap_cause: Default::default(),
            cap_cycle_lo: Default::default(),
            cap_cycle_hi: Default::default(),
            cap_word: Default::default(),
            cap_data_a: Default::default(),
            cap_data_b: Default::default(),
            cap_flags: Default::default(),
            inj_status: Default::default(),
            bist_status: Default::default(),
            bist_words: Default::default(),
            bist_errors: Default::default(),
            cnt_words_fwd: Default::default(),
            cnt_frames_fwd: Default::default(),
            cnt_frames_aborted: Default::default(),
            cnt_mismatches: Default::default(),
            cnt_perr_cpu_a: Default::default(),
            cnt_perr_cpu_b: Default::default(),
            cnt_perr_disk_a: Default::default(),
            cnt_perr_disk_b: Default::default(),
            cnt_perr_egress: Default::default(),
            cnt_timeouts: Default::default(),
            cnt_max_skew: Default::default(),
            cnt_words_returned: Default::default(),
            cnt_cycles: Default::default(),
            a_id: addr("ID"),
            a_version: addr("VERSION"),
            a_clock_hz: addr("CLOCK_HZ"),
            a_baud: addr("BAUD"),
            a_params: addr("PARAMS"),
            a_status: addr("STATUS"),
            a_faults: addr("FAULTS"),
            a_skew: addr("SKEW"),
            a_cap_cause: addr("CAP_CAUSE"),
            a_cap_cycle_lo: addr("CAP_CYCLE_LO"),
            a_cap_cycle_hi: addr("CAP_CYCLE_HI"),
            a_cap_word: addr("CAP_WORD"),
            a_cap_data_a: addr("CAP_DATA_A"),
            a_cap_data_b: addr("CAP_DATA_B"),
            a_cap_flags: addr("CAP_FLAGS"),
            a_inj_status: addr("INJ_STATUS"),
            a_bist_status: addr("BIST_STATUS"),
            a_bist_words: addr("BIST_WORDS"),
            a_bist_errors: addr("BIST_ERRORS"),
            a_words_fwd: addr("WORDS_FWD"),
            a_frames_fwd: addr("FRAMES_FWD"),
            a_frames_aborted: addr("FRAMES_ABORTED"),
            a_mismatches: addr("MISMATCHES"),
            a_perr_cpu_a: addr("PERR_CPU_A"),
            a_perr_cpu_b: addr("PERR_CPU_B"),
            a_perr_disk_a: addr("PERR_DISK_A"),
            a_perr_disk_b: addr("PERR_DISK_B"),
            a_perr_egress: addr("PERR_EGRESS"),
            a_timeouts: addr("TIMEOUTS"),
            a_max_skew: addr("MAX_SKEW"),
            a_words_returned: addr("WORDS_RETURNED"),
            a_cycles: addr("CYCLES"),
            a_scratch: addr("SCRATCH"),
            a_offset: addr("OFFSET"),
            a_timeout: addr("TIMEOUT"),
            a_disk_timeout: addr("DISK_TIMEOUT"),
            a_inj_ctrl: addr("INJ_CTRL"),
            a_inj_count: addr("INJ_COUNT"),
            a_bist_frames: addr("BIST_FRAMES"),
            a_bist_len: addr("BIST_LEN"),
            a_bist_skew: addr("BIST_SKEW"),
            a_bist_seed: addr("BIST_SEED"),
            a_ctrl: addr("CTRL"),
            a_bist_ctrl: addr("BIST_CTRL"),
            v_id: Constant::new(reset_of("ID", params)),
            v_version: Constant::new(reset_of("VERSION", params)),
            v_clock_hz: Constant::new(reset_of("CLOCK_HZ", params)),
            v_baud: Constant::new(reset_of("BAUD", params)),
            v_params: Constant::new(reset_of("PARAMS", params)),
            m_scratch: store_mask("SCRATCH", params),
            r_scratch: DFFWithInit::new(reset_of("SCRATCH", params)),
            init_scratch: Constant::new(reset_of("SCRATCH", params)),
            m_offset: store_mask("OFFSET", params),
            r_offset: DFFWithInit::new(reset_of("OFFSET", params)),
            init_offset: Constant::new(reset_of("OFFSET", params)),
            m_timeout: store_mask("TIMEOUT", params),
            r_timeout: DFFWithInit::new(reset_of("TIMEOUT", params)),
            init_timeout: Constant::new(reset_of("TIMEOUT", params)),
            m_disk_timeout: store_mask("DISK_TIMEOUT", params),
            r_disk_timeout: DFFWithInit::new(reset_of("DISK_TIMEOUT", params)),
            init_disk_timeout: Constant::new(reset_of("DISK_TIMEOUT", params)),
            m_inj_ctrl: store_mask("INJ_CTRL", params),
            r_inj_ctrl: DFFWithInit::new(reset_of("INJ_CTRL", params)),
            init_inj_ctrl: Constant::new(reset_of("INJ_CTRL", params)),
            m_inj_count: store_mask("INJ_COUNT", params),
            r_inj_count: DFFWithInit::new(reset_of("INJ_COUNT", params)),
            init_inj_count: Constant::new(reset_of("INJ_COUNT", params)),
            m_bist_frames: store_mask("BIST_FRAMES", params),
            r_bist_frames: DFFWithInit::new(reset_of("BIST_FRAMES", params)),
            init_bist_frames: Constant::new(reset_of("BIST_FRAMES", params)),
            m_bist_len: store_mask("BIST_LEN", params),
            r_bist_len: DFFWithInit::new(reset_of("BIST_LEN", params)),
            init_bist_len: Constant::new(reset_of("BIST_LEN", params)),
            m_bist_skew: store_mask("BIST_SKEW", params),
            r_bist_skew: DFFWithInit::new(reset_of("BIST_SKEW", params)),
            init_bist_skew: Constant::new(reset_of("BIST_SKEW", params)),
            m_bist_seed: store_mask("BIST_SEED", params),
            r_bist_seed: DFFWithInit::new(reset_of("BIST_SEED", params)),
            init_bist_seed: Constant::new(reset_of("BIST_SEED", params)),
            m_ctrl: store_mask("CTRL", params),
            r_ctrl: DFFWithInit::new(reset_of("CTRL", params)),
            init_ctrl: Constant::new(reset_of("CTRL", params)),
            s_words_fwd: Default::default(),
            s_frames_fwd: Default::default(),
            s_frames_aborted: Default::default(),
            s_mismatches: Default::default(),
            s_perr_cpu_a: Default::default(),
            s_perr_cpu_b: Default::default(),
            s_perr_disk_a: Default::default(),
            s_perr_disk_b: Default::default(),
            s_perr_egress: Default::default(),
            s_timeouts: Default::default(),
            s_max_skew: Default::default(),
            s_words_returned: Default::default(),
            s_cycles: Default::default(),
            m_mode: field_mask("CTRL", "mode"),
            m_fault_clear: field_mask("CTRL", "fault_clear"),
            m_cnt_snapshot: field_mask("CTRL", "cnt_snapshot"),
            m_cnt_clear: field_mask("CTRL", "cnt_clear"),
            m_readmit_a: field_mask("CTRL", "readmit_a"),
            m_readmit_b: field_mask("CTRL", "readmit_b"),
            m_rebuilt_a: field_mask("CTRL", "rebuilt_a"),
            m_rebuilt_b: field_mask("CTRL", "rebuilt_b"),
            m_bist_start: field_mask("BIST_CTRL", "start"),
            m_bist_abort: field_mask("BIST_CTRL", "abort"),
            m_inj_arm: field_mask("INJ_CTRL", "arm"),
            hit_ctrl: Default::default(),
            m_readable: Constant::new(address_mask(|_| true)),
            m_writable: Constant::new(address_mask(|r| r.access != Access::RO)),
            hi_zero: Default::default(),
            readable_bits: Default::default(),
            writable_bits: Default::default(),
            addr6_q: Default::default(),
            hi_zero_q: Default::default(),
            rd_inputs: Default::default(),
            rd_counters: Default::default(),
            rd_config: Default::default(),
            rd_inputs_q: Default::default(),
            rd_counters_q: Default::default(),
            rd_config_q: Default::default(),
        }
    }
}

impl Logic for RegFile {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r_scratch, r_offset, r_timeout, r_disk_timeout, r_inj_ctrl, r_inj_count, r_bist_frames, r_bist_len, r_bist_skew, r_bist_seed, r_ctrl);
        dff_setup!(self, clock, addr6_q, hi_zero_q, rd_inputs_q, rd_counters_q, rd_config_q);
        dff_setup!(self, clock, s_words_fwd, s_frames_fwd, s_frames_aborted, s_mismatches, s_perr_cpu_a, s_perr_cpu_b, s_perr_disk_a, s_perr_disk_b, s_perr_egress, s_timeouts, s_max_skew, s_words_returned, s_cycles);
        // Which addresses are registers, and which are writable: two bit masks from the table,
        // looked up with the low six bits (every address is below 64), so the decode the
        // parser checks in CHECK is a 64-entry lookup and a zero test, not a chain of 16-bit
        // compares.
        self.hi_zero.next = self.addr.val().get_bits::<10>(6) == 0;
        self.readable_bits.next = self.m_readable.val() >> self.addr.val().get_bits::<6>(0);
        self.writable_bits.next = self.m_writable.val() >> self.addr.val().get_bits::<6>(0);
        self.readable.next = self.hi_zero.val() & self.readable_bits.val().get_bit(0);
        self.writable.next = self.hi_zero.val() & self.writable_bits.val().get_bit(0);

        // Read mux: one arm per register of the table, from the address registered, in three
        // parts (inputs and constants, counter snapshots, stored registers), each registered,
        // and their OR is `rdata`: `rdata` shows a register two cycles after its address
        // (the parser's reads are stable for a byte time), and the mux starts and ends in flops.
        self.addr6_q.d.next = self.addr.val().get_bits::<6>(0);
        self.hi_zero_q.d.next = self.hi_zero.val();
        self.rd_inputs.next = 0.into();
        self.rd_counters.next = 0.into();
        self.rd_config.next = 0.into();
        if !self.hi_zero_q.q.val() {
            self.rd_inputs.next = 0.into();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_id.val() {
            self.rd_inputs.next = self.v_id.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_version.val() {
            self.rd_inputs.next = self.v_version.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_clock_hz.val() {
            self.rd_inputs.next = self.v_clock_hz.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_baud.val() {
            self.rd_inputs.next = self.v_baud.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_params.val() {
            self.rd_inputs.next = self.v_params.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_status.val() {
            self.rd_inputs.next = (self.status.val() & !self.m_mode.val()) | bit_cast::<32, 3>(self.mode_now.val());
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_faults.val() {
            self.rd_inputs.next = self.faults.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_skew.val() {
            self.rd_inputs.next = self.skew.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_cap_cause.val() {
            self.rd_inputs.next = self.cap_cause.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_cap_cycle_lo.val() {
            self.rd_inputs.next = self.cap_cycle_lo.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_cap_cycle_hi.val() {
            self.rd_inputs.next = self.cap_cycle_hi.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_cap_word.val() {
            self.rd_inputs.next = self.cap_word.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_cap_data_a.val() {
            self.rd_inputs.next = self.cap_data_a.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_cap_data_b.val() {
            self.rd_inputs.next = self.cap_data_b.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_cap_flags.val() {
            self.rd_inputs.next = self.cap_flags.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_inj_status.val() {
            self.rd_inputs.next = self.inj_status.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_bist_status.val() {
            self.rd_inputs.next = self.bist_status.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_bist_words.val() {
            self.rd_inputs.next = self.bist_words.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_bist_errors.val() {
            self.rd_inputs.next = self.bist_errors.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_words_fwd.val() {
            self.rd_counters.next = self.s_words_fwd.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_frames_fwd.val() {
            self.rd_counters.next = self.s_frames_fwd.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_frames_aborted.val() {
            self.rd_counters.next = self.s_frames_aborted.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_mismatches.val() {
            self.rd_counters.next = self.s_mismatches.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_perr_cpu_a.val() {
            self.rd_counters.next = self.s_perr_cpu_a.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_perr_cpu_b.val() {
            self.rd_counters.next = self.s_perr_cpu_b.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_perr_disk_a.val() {
            self.rd_counters.next = self.s_perr_disk_a.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_perr_disk_b.val() {
            self.rd_counters.next = self.s_perr_disk_b.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_perr_egress.val() {
            self.rd_counters.next = self.s_perr_egress.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_timeouts.val() {
            self.rd_counters.next = self.s_timeouts.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_max_skew.val() {
            self.rd_counters.next = self.s_max_skew.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_words_returned.val() {
            self.rd_counters.next = self.s_words_returned.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_cycles.val() {
            self.rd_counters.next = self.s_cycles.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_scratch.val() {
            self.rd_config.next = self.r_scratch.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_offset.val() {
            self.rd_config.next = self.r_offset.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_timeout.val() {
            self.rd_config.next = self.r_timeout.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_disk_timeout.val() {
            self.rd_config.next = self.r_disk_timeout.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_inj_ctrl.val() {
            self.rd_config.next = self.r_inj_ctrl.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_inj_count.val() {
            self.rd_config.next = self.r_inj_count.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_bist_frames.val() {
            self.rd_config.next = self.r_bist_frames.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_bist_len.val() {
            self.rd_config.next = self.r_bist_len.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_bist_skew.val() {
            self.rd_config.next = self.r_bist_skew.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_bist_seed.val() {
            self.rd_config.next = self.r_bist_seed.q.val();
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_ctrl.val() {
            self.rd_config.next = (self.r_ctrl.q.val() & !self.m_mode.val()) | bit_cast::<32, 3>(self.mode_now.val());
        } else if bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_bist_ctrl.val() {
            self.rd_config.next = 0.into();
        }

        self.rd_inputs_q.d.next = self.rd_inputs.val();
        self.rd_counters_q.d.next = self.rd_counters.val();
        self.rd_config_q.d.next = self.rd_config.val();
        self.rdata.next = self.rd_inputs_q.q.val() | self.rd_counters_q.q.val() | self.rd_config_q.q.val();

        // Writes: only the RW field bits are stored.
        if self.we.val() & (self.addr.val() == self.a_scratch.val()) {
            self.r_scratch.d.next = self.wdata.val() & self.m_scratch.val();
        }
        if self.we.val() & (self.addr.val() == self.a_offset.val()) {
            self.r_offset.d.next = self.wdata.val() & self.m_offset.val();
        }
        if self.we.val() & (self.addr.val() == self.a_timeout.val()) {
            self.r_timeout.d.next = self.wdata.val() & self.m_timeout.val();
        }
        if self.we.val() & (self.addr.val() == self.a_disk_timeout.val()) {
            self.r_disk_timeout.d.next = self.wdata.val() & self.m_disk_timeout.val();
        }
        if self.we.val() & (self.addr.val() == self.a_inj_ctrl.val()) {
            self.r_inj_ctrl.d.next = self.wdata.val() & self.m_inj_ctrl.val();
        }
        if self.we.val() & (self.addr.val() == self.a_inj_count.val()) {
            self.r_inj_count.d.next = self.wdata.val() & self.m_inj_count.val();
        }
        if self.we.val() & (self.addr.val() == self.a_bist_frames.val()) {
            self.r_bist_frames.d.next = self.wdata.val() & self.m_bist_frames.val();
        }
        if self.we.val() & (self.addr.val() == self.a_bist_len.val()) {
            self.r_bist_len.d.next = self.wdata.val() & self.m_bist_len.val();
        }
        if self.we.val() & (self.addr.val() == self.a_bist_skew.val()) {
            self.r_bist_skew.d.next = self.wdata.val() & self.m_bist_skew.val();
        }
        if self.we.val() & (self.addr.val() == self.a_bist_seed.val()) {
            self.r_bist_seed.d.next = self.wdata.val() & self.m_bist_seed.val();
        }
        self.hit_ctrl.next = self.we.val() & (self.addr.val() == self.a_ctrl.val());
        if self.hit_ctrl.val() {
            self.r_ctrl.d.next = self.wdata.val() & self.m_ctrl.val() & !self.m_mode.val();
        }
        self.mode_set.next =
            self.hit_ctrl.val() & ((self.wdata.val() & self.m_mode.val()) != self.m_mode.val());
        self.mode_value.next = self.wdata.val().get_bits::<3>(0);
        self.fault_clear.next = self.hit_ctrl.val() & ((self.wdata.val() & self.m_fault_clear.val()) != 0);
        self.cnt_snapshot.next =
            self.hit_ctrl.val() & ((self.wdata.val() & self.m_cnt_snapshot.val()) != 0);
        self.cnt_clear.next = self.hit_ctrl.val() & ((self.wdata.val() & self.m_cnt_clear.val()) != 0);
        self.readmit_a.next = self.hit_ctrl.val() & ((self.wdata.val() & self.m_readmit_a.val()) != 0);
        self.readmit_b.next = self.hit_ctrl.val() & ((self.wdata.val() & self.m_readmit_b.val()) != 0);
        self.rebuilt_a.next = self.hit_ctrl.val() & ((self.wdata.val() & self.m_rebuilt_a.val()) != 0);
        self.rebuilt_b.next = self.hit_ctrl.val() & ((self.wdata.val() & self.m_rebuilt_b.val()) != 0);
        // CTRL.mode 5 and 6 are not modes (ftio_proto::refused_value): the parser checks this
        // with the address, before anything of the frame is written.
        self.value_refused.next = (self.addr.val() == self.a_ctrl.val())
            & self.wdata.val().get_bit(2)
            & (self.wdata.val().get_bit(0) ^ self.wdata.val().get_bit(1));
        self.bist_start.next = self.we.val()
            & (self.addr.val() == self.a_bist_ctrl.val())
            & ((self.wdata.val() & self.m_bist_start.val()) != 0);
        self.bist_abort.next = self.we.val()
            & (self.addr.val() == self.a_bist_ctrl.val())
            & ((self.wdata.val() & self.m_bist_abort.val()) != 0);
        // The injector clears INJ_CTRL.arm when it fires, unless the host writes it now.
        if self.inj_fired.val() & !(self.we.val() & (self.addr.val() == self.a_inj_ctrl.val())) {
            self.r_inj_ctrl.d.next = self.r_inj_ctrl.q.val() & !self.m_inj_arm.val();
        }

        // Counter snapshot: all at once, so a read of the counters is one consistent view.
        if self.cnt_snapshot.val() {
            self.s_words_fwd.d.next = self.cnt_words_fwd.val();
        }
        if self.cnt_snapshot.val() {
            self.s_frames_fwd.d.next = self.cnt_frames_fwd.val();
        }
        if self.cnt_snapshot.val() {
            self.s_frames_aborted.d.next = self.cnt_frames_aborted.val();
        }
        if self.cnt_snapshot.val() {
            self.s_mismatches.d.next = self.cnt_mismatches.val();
        }
        if self.cnt_snapshot.val() {
            self.s_perr_cpu_a.d.next = self.cnt_perr_cpu_a.val();
        }
        if self.cnt_snapshot.val() {
            self.s_perr_cpu_b.d.next = self.cnt_perr_cpu_b.val();
        }
        if self.cnt_snapshot.val() {
            self.s_perr_disk_a.d.next = self.cnt_perr_disk_a.val();
        }
        if self.cnt_snapshot.val() {
            self.s_perr_disk_b.d.next = self.cnt_perr_disk_b.val();
        }
        if self.cnt_snapshot.val() {
            self.s_perr_egress.d.next = self.cnt_perr_egress.val();
        }
        if self.cnt_snapshot.val() {
            self.s_timeouts.d.next = self.cnt_timeouts.val();
        }
        if self.cnt_snapshot.val() {
            self.s_max_skew.d.next = self.cnt_max_skew.val();
        }
        if self.cnt_snapshot.val() {
            self.s_words_returned.d.next = self.cnt_words_returned.val();
        }
        if self.cnt_snapshot.val() {
            self.s_cycles.d.next = self.cnt_cycles.val();
        }

        if self.reset.val() {
            self.r_scratch.d.next = self.init_scratch.val();
            self.r_offset.d.next = self.init_offset.val();
            self.r_timeout.d.next = self.init_timeout.val();
            self.r_disk_timeout.d.next = self.init_disk_timeout.val();
            self.r_inj_ctrl.d.next = self.init_inj_ctrl.val();
            self.r_inj_count.d.next = self.init_inj_count.val();
            self.r_bist_frames.d.next = self.init_bist_frames.val();
            self.r_bist_len.d.next = self.init_bist_len.val();
            self.r_bist_skew.d.next = self.init_bist_skew.val();
            self.r_bist_seed.d.next = self.init_bist_seed.val();
            self.r_ctrl.d.next = self.init_ctrl.val();
            self.s_words_fwd.d.next = 0.into();
            self.s_frames_fwd.d.next = 0.into();
            self.s_frames_aborted.d.next = 0.into();
            self.s_mismatches.d.next = 0.into();
            self.s_perr_cpu_a.d.next = 0.into();
            self.s_perr_cpu_b.d.next = 0.into();
            self.s_perr_disk_a.d.next = 0.into();
            self.s_perr_disk_b.d.next = 0.into();
            self.s_perr_egress.d.next = 0.into();
            self.s_timeouts.d.next = 0.into();
            self.s_max_skew.d.next = 0.into();
            self.s_words_returned.d.next = 0.into();
            self.s_cycles.d.next = 0.into();
        }

        self.scratch.next = self.r_scratch.q.val();
        self.offset.next = self.r_offset.q.val();
        self.timeout.next = self.r_timeout.q.val();
        self.disk_timeout.next = self.r_disk_timeout.q.val();
        self.inj_ctrl.next = self.r_inj_ctrl.q.val();
        self.inj_count.next = self.r_inj_count.q.val();
        self.bist_frames.next = self.r_bist_frames.q.val();
        self.bist_len.next = self.r_bist_len.q.val();
        self.bist_skew.next = self.r_bist_skew.q.val();
        self.bist_seed.next = self.r_bist_seed.q.val();
        self.ctrl.next = self.r_ctrl.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};
    use ftio_proto::{by_addr, Access, RegisterModel};

    fn regfile() -> RegFile {
        let mut r = RegFile::new(&BuildParams::default());
        r.connect_all();
        r
    }

    fn read(r: &mut RegFile, addr: u16) -> Option<u32> {
        r.addr.next = (addr as u64).into();
        r.we.next = false;
        low(r, |r| &mut r.clock);
        let readable = r.readable.val();
        // `rdata` shows the register two cycles after its address.
        for _ in 0..2 {
            edge(r, |r| &mut r.clock);
            low(r, |r| &mut r.clock);
        }
        readable.then(|| r.rdata.val().to_u32())
    }

    fn write(r: &mut RegFile, addr: u16, value: u32) -> bool {
        r.addr.next = (addr as u64).into();
        r.wdata.next = (value as u64).into();
        r.we.next = true;
        low(r, |r| &mut r.clock);
        let ok = r.writable.val();
        edge(r, |r| &mut r.clock);
        r.we.next = false;
        ok
    }

    #[test]
    fn regfile_synthesizes() {
        yosys_validate("ftio_regfile", &generate_verilog(&regfile())).unwrap();
    }

    /// Every register of the table answers at its address with its power-on value, is
    /// writable exactly when the table says so, and stores exactly its RW bits — as the
    /// reference model does. Addresses outside the table are not registers.
    #[test]
    fn regfile_matches_the_table() {
        let params = BuildParams::default();
        let mut r = regfile();
        let mut model = RegisterModel::new(params.clone());
        for addr in 0..=80u16 {
            let expect = by_addr(addr).and_then(|_| model.read(addr));
            assert_eq!(read(&mut r, addr), expect, "power-on value at {addr}");
            match by_addr(addr) {
                None => assert!(!r.readable.val() && !r.writable.val(), "{addr} is not a register"),
                Some(reg) => {
                    assert_eq!(r.writable.val(), reg.access != Access::RO, "{} writable", reg.name);
                }
            }
        }
        for reg in REGISTERS.iter().filter(|g| g.access != Access::RO) {
            // All ones, except MODE_KEEP's 7 would leave the mode alone: use it, as ftctl does.
            assert!(write(&mut r, reg.addr, 0xFFFF_FFFF));
            model.execute(ftio_proto::CMD_WRITE, reg.addr, 1, &[0xFFFF_FFFF]);
            assert_eq!(read(&mut r, reg.addr), model.read(reg.addr), "{} after writing all ones", reg.name);
            assert!(write(&mut r, reg.addr, 0x1234_5670));
            model.execute(ftio_proto::CMD_WRITE, reg.addr, 1, &[0x1234_5670]);
            assert_eq!(read(&mut r, reg.addr), model.read(reg.addr), "{}", reg.name);
        }
        r.reset.next = true;
        low(&mut r, |r| &mut r.clock);
        edge(&mut r, |r| &mut r.clock);
        r.reset.next = false;
        let fresh = RegisterModel::new(params);
        for reg in REGISTERS.iter() {
            assert_eq!(read(&mut r, reg.addr), fresh.read(reg.addr), "{} after reset", reg.name);
        }
    }

    #[test]
    fn ctrl_mode_pulses_and_mode_keep() {
        let mut r = regfile();
        r.mode_now.next = 2u64.into();
        let ctrl = reg("CTRL").addr;
        assert_eq!(read(&mut r, ctrl).unwrap() & 7, 2, "CTRL.mode reads the mode now");
        r.addr.next = (ctrl as u64).into();
        r.wdata.next = (0x107u64).into();
        r.we.next = true;
        low(&mut r, |r| &mut r.clock);
        assert!(!r.mode_set.val(), "MODE_KEEP leaves the mode alone");
        assert!(r.fault_clear.val());
        r.wdata.next = (0x203u64).into();
        low(&mut r, |r| &mut r.clock);
        assert!(r.mode_set.val() && r.mode_value.val().to_u32() == 3);
        assert!(r.cnt_snapshot.val() && !r.fault_clear.val() && !r.cnt_clear.val());
    }

    #[test]
    fn counters_read_the_snapshot_taken_at_once() {
        let mut r = regfile();
        r.cnt_words_fwd.next = 10u64.into();
        r.cnt_cycles.next = 99u64.into();
        let words = reg("WORDS_FWD").addr;
        assert_eq!(read(&mut r, words), Some(0));
        write(&mut r, reg("CTRL").addr, 0x207);
        r.cnt_words_fwd.next = 11u64.into();
        assert_eq!(read(&mut r, words), Some(10));
        assert_eq!(read(&mut r, reg("CYCLES").addr), Some(99));
    }

    #[test]
    fn injection_fired_clears_arm() {
        let mut r = regfile();
        let inj = reg("INJ_CTRL").addr;
        write(&mut r, inj, 0x8000_0015);
        assert_eq!(read(&mut r, inj).unwrap() >> 31, 1);
        r.inj_fired.next = true;
        low(&mut r, |r| &mut r.clock);
        edge(&mut r, |r| &mut r.clock);
        r.inj_fired.next = false;
        assert_eq!(read(&mut r, inj), Some(0x15));
    }
}
