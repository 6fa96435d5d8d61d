//! Generates the register file's rust-hdl block from the register table in `ftio-proto`
//! (`ftio_proto::REGISTERS`), as OpenTitan's reggen generates register RTL from hjson: each
//! field's `hw` says what the block builds for it (a constant, a status input, a counter
//! input read through its snapshot, a stored control output, a pulse, a command). The ports,
//! the read mux, the write arms, the snapshot and the reset all come from the table, so adding
//! a register is one edit in `proto/src/regs.rs` plus its use in the core.
//!
//! Output: `$OUT_DIR/regfile_gen.rs`, included by `src/regfile.rs` (which holds the helpers
//! and the tests). `#[derive(LogicBlock)]` and `#[hdl_gen]` see the generated text like any
//! other source.
use ftio_proto::{Access, Hw, Part, Register, REGISTERS};
use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("regfile_gen.rs");
    std::fs::write(&out, generate()).unwrap();
}

fn lower(r: &Register) -> String {
    r.name.to_ascii_lowercase()
}

/// The rust-hdl type of a `width`-bit port.
fn ty(width: u8) -> String {
    if width == 1 {
        "Bit".into()
    } else {
        format!("Bits<{width}>")
    }
}

/// `value` (a `width`-bit expression) placed at `lsb` of a 32-bit word.
fn placed(value: &str, width: u8, lsb: u8) -> String {
    let wide = match width {
        32 => value.to_string(),
        1 => format!("bit_cast::<32, 1>({value}.into())"),
        w => format!("bit_cast::<32, {w}>({value})"),
    };
    if lsb == 0 {
        wide
    } else {
        format!("({wide} << {lsb})")
    }
}

/// Bits `[lsb +: width]` of a 32-bit expression, as a `width`-bit value.
fn slice(word: &str, width: u8, lsb: u8) -> String {
    match width {
        32 => word.to_string(),
        1 => format!("{word}.get_bit({lsb})"),
        w => format!("{word}.get_bits::<{w}>({lsb})"),
    }
}

/// First sentence of a description, for a port's doc comment.
fn summary(text: &str) -> &str {
    text.split(". ").next().unwrap_or(text).trim_end_matches('.')
}

fn stored(r: &Register) -> bool {
    r.fields.iter().any(|f| matches!(f.hw, Hw::Control | Hw::ControlHwClear))
}

fn counter(r: &Register) -> bool {
    r.fields.iter().any(|f| f.hw == Hw::Counter)
}

fn constant(r: &Register) -> bool {
    r.fields.iter().all(|f| f.hw == Hw::Const)
}

/// A writable register of a block a build may leave out: its writes are gated by the
/// constant `b_<register>` (false when not built), so synthesis drops its flops and pulses.
/// (A read-only one, INJ_STATUS, has no write to gate: its inputs are the left-out block's.)
fn optional(r: &Register) -> bool {
    r.part != Part::Core && r.is_writable()
}

/// A host write of `r` this cycle.
fn hit(r: &Register) -> String {
    format!("({})", hit_cond(r))
}

/// [`hit`] as an `if` condition.
fn hit_cond(r: &Register) -> String {
    let n = lower(r);
    if optional(r) {
        format!("self.bus.we.val() & (self.bus.addr.val() == self.a_{n}.val()) & self.b_{n}.val()")
    } else {
        format!("self.bus.we.val() & (self.bus.addr.val() == self.a_{n}.val())")
    }
}

/// A register only some of whose fields are lockable (CTRL): the lock compares the write
/// with what it holds there. A wholly locked register is refused by its address alone
/// (`m_locked`), with no compare of values: that is what keeps the lock a few cells.
fn lock_compared(r: &Register) -> bool {
    !r.wholly_locked() && r.fields.iter().any(|f| f.lockable)
}

/// [`lock_compared`] and it has lockable stored or pulse bits to compare with the stored word.
fn lock_compares_word(r: &Register) -> bool {
    lock_compared(r) && r.fields.iter().any(|f| f.lockable && matches!(f.hw, Hw::Control | Hw::ControlHwClear | Hw::Pulse))
}

/// The pulse field whose write copies every live counter into its snapshot.
fn snapshot_port() -> String {
    let (r, f) = ftio_proto::SNAPSHOT_PULSE;
    let r = ftio_proto::reg(r);
    assert_eq!(r.f(f).hw, Hw::Pulse, "the snapshot command is a pulse");
    match group_of(r) {
        Some(i) => format!("{}.{}", GROUPS[i].0, r.f(f).port_name(r)),
        None => r.f(f).port_name(r),
    }
}

/// Registers whose hardware fields one block of the core drives or uses, bundled: the
/// register file has one port `regs.<port>` (an interface `<Type>Port`) where the block has
/// its mirror (`<Type>`), and the core joins the two in one line. (port, type, registers.)
/// Every other field is a port of its own on the register file.
const GROUPS: &[(&str, &str, &[&str])] = &[
    ("ctrl", "CtrlRegs", &["CTRL", "OFFSET", "TIMEOUT", "DISK_TIMEOUT"]),
    (
        "counters",
        "CounterRegs",
        &[
            "WORDS_FWD", "FRAMES_FWD", "FRAMES_ABORTED", "MISMATCHES", "PERR_CPU_A", "PERR_CPU_B", "PERR_DISK_A",
            "PERR_DISK_B", "PERR_EGRESS", "TIMEOUTS", "MAX_SKEW", "WORDS_RETURNED",
        ],
    ),
    ("status", "StatusRegs", &["STATUS", "FAULTS", "SKEW", "CYCLES"]),
    ("capture", "CaptureRegs", &["CAP_CAUSE", "CAP_CYCLE_LO", "CAP_CYCLE_HI", "CAP_WORD", "CAP_DATA_A", "CAP_DATA_B"]),
    ("cap_flags", "CapFlagsRegs", &["CAP_FLAGS"]),
    ("inj", "InjectRegs", &["INJ_CTRL", "INJ_COUNT", "INJ_STATUS"]),
    (
        "bist",
        "BistRegs",
        &[
            "BIST_CTRL", "BIST_FRAMES", "BIST_LEN", "BIST_SKEW", "BIST_SEED", "BIST_STATUS", "BIST_WORDS", "BIST_ERRORS",
            "BIST_RET_WORDS", "BIST_RET_ERRORS",
        ],
    ),
];

/// The group `r` belongs to (its index in [`GROUPS`]).
fn group_of(r: &Register) -> Option<usize> {
    GROUPS.iter().position(|(_, _, regs)| regs.contains(&r.name))
}

/// The interfaces of [`GROUPS`]: each field port's declaration as the register file has it,
/// and its mirror for the block.
fn group_interfaces(decls: &[String]) -> String {
    let mut out = String::new();
    for (i, (port, ty, regs)) in GROUPS.iter().enumerate() {
        for name in regs.iter() {
            ftio_proto::reg(name);
        }
        let rf = &decls[i];
        let mirror = rf.replace("Signal<In,", "Signal<TMP,").replace("Signal<Out,", "Signal<In,").replace("Signal<TMP,", "Signal<Out,");
        writeln!(out, "/// The register file's end of {} (the core's `regs.{port}`; see [`{ty}`]).", regs.join(", ")).unwrap();
        writeln!(out, "#[derive(LogicInterface, Default, Clone)]\n#[join = \"{ty}\"]\npub struct {ty}Port {{\n{rf}}}\n").unwrap();
        writeln!(out, "/// The fields of {} as the block that reports or uses them sees them: one port, joined", regs.join(", ")).unwrap();
        writeln!(out, "/// to the register file's [`{ty}Port`] (generated from the register table).").unwrap();
        writeln!(out, "#[derive(LogicInterface, Default, Clone)]\n#[join = \"{ty}Port\"]\npub struct {ty} {{\n{mirror}}}\n").unwrap();
    }
    out
}

fn generate() -> String {
    let mut group_decls: Vec<String> = vec![String::new(); GROUPS.len()];
    let mut grouped_init = String::new();
    let mut port_init = String::new();
    let mut ports = String::new();
    let mut inner = String::new();
    let mut init = String::new();
    let mut dffs: Vec<String> = vec![];
    let mut rd_inputs = String::new();
    let mut rd_counters = String::new();
    let mut rd_config = String::new();
    let mut writes = String::new();
    let mut pulses = String::new();
    let mut snapshot = String::new();
    let mut reset = String::new();
    let mut outputs = String::new();
    let mut lock_checks = String::new();
    let mut value_checks = String::new();
    let mut lock_set = String::new();
    let snap = snapshot_port();

    for r in REGISTERS {
        let n = lower(r);
        writeln!(inner, "    a_{n}: Constant<Bits<16>>,").unwrap();
        writeln!(init, "            a_{n}: addr({:?}),", r.name).unwrap();
        let arm = format!("bit_cast::<16, 6>(self.addr6_q.q.val()) == self.a_{n}.val()");
        if optional(r) {
            writeln!(inner, "    /// {} is built ({}).\n    b_{n}: Constant<Bit>,", r.name, r.part.name()).unwrap();
            writeln!(init, "            b_{n}: Constant::new(params.builds(Part::{:?})),", r.part).unwrap();
        }
        if lock_compares_word(r) {
            // The stored word has 0 at pulse bits; a register of pulses only compares with 0.
            let changed = if stored(r) { format!("(self.bus.wdata.val() ^ self.r_{n}.q.val())") } else { "self.bus.wdata.val()".to_string() };
            writeln!(inner, "    lm_{n}: Constant<Bits<32>>,").unwrap();
            writeln!(init, "            lm_{n}: lock_mask({:?}, params),", r.name).unwrap();
            writeln!(
                lock_checks,
                "        if (self.bus.addr.val() == self.a_{n}.val()) & (({changed} & self.lm_{n}.val()) != 0) {{\n            self.locked_change.next = true;\n        }}"
            )
            .unwrap();
        }
        if constant(r) {
            writeln!(inner, "    v_{n}: Constant<Bits<32>>,").unwrap();
            writeln!(init, "            v_{n}: Constant::new(reset_of({:?}, params)),", r.name).unwrap();
            write!(rd_inputs, "        }} else if {arm} {{\n            self.rd_inputs.next = self.v_{n}.val();\n").unwrap();
            continue;
        }
        // The register's ports: on the register file, or in its group's interface.
        let (pdecl, pinit, g) = match group_of(r) {
            Some(i) => (&mut group_decls[i], &mut grouped_init, format!("{}.", GROUPS[i].0)),
            None => (&mut ports, &mut port_init, String::new()),
        };
        if counter(r) {
            let f = &r.fields[0];
            let p = f.port_name(r);
            writeln!(pdecl, "    /// The live {} ({}): the register reads its snapshot.", r.name, summary(f.description)).unwrap();
            writeln!(pdecl, "    pub {p}: Signal<In, Bits<32>>,").unwrap();
            writeln!(pinit, "            {p}: Default::default(),").unwrap();
            let p = format!("{g}{p}");
            writeln!(inner, "    s_{n}: DFF<Bits<32>>,").unwrap();
            writeln!(init, "            s_{n}: Default::default(),").unwrap();
            dffs.push(format!("s_{n}"));
            write!(rd_counters, "        }} else if {arm} {{\n            self.rd_counters.next = self.s_{n}.q.val();\n").unwrap();
            writeln!(snapshot, "        if self.{snap}.val() {{\n            self.s_{n}.d.next = self.{p}.val();\n        }}").unwrap();
            writeln!(reset, "            self.s_{n}.d.next = 0.into();").unwrap();
            continue;
        }
        // Status registers read their inputs; writable ones their stored fields and commands.
        let mut read: Vec<String> = vec![];
        if stored(r) {
            writeln!(inner, "    m_{n}: Constant<Bits<32>>,\n    r_{n}: DFFWithInit<Bits<32>>,\n    init_{n}: Constant<Bits<32>>,").unwrap();
            writeln!(init, "            m_{n}: store_mask({:?}, params),", r.name).unwrap();
            writeln!(init, "            r_{n}: DFFWithInit::new(reset_of({:?}, params)),", r.name).unwrap();
            writeln!(init, "            init_{n}: Constant::new(reset_of({:?}, params)),", r.name).unwrap();
            dffs.push(format!("r_{n}"));
            read.push(format!("self.r_{n}.q.val()"));
            writeln!(writes, "        if {} {{\n            self.r_{n}.d.next = self.bus.wdata.val() & self.m_{n}.val();\n        }}", hit_cond(r)).unwrap();
            writeln!(reset, "            self.r_{n}.d.next = self.init_{n}.val();").unwrap();
        }
        for f in r.fields {
            let p = f.port_name(r);
            // `gp`: the port as the register file's code reads or drives it.
            let gp = format!("{g}{p}");
            let doc = format!("{}.{}: {}", r.name, f.name, summary(f.description));
            match f.hw {
                Hw::Lock => {
                    // Set by a host write of 1, kept by a 0, cleared only by reset.
                    writeln!(lock_set, "        if {} & self.bus.wdata.val().get_bit({}) {{\n            self.locked.d.next = true;\n        }}", hit_cond(r), f.lsb).unwrap();
                    read.push(placed("self.locked.q.val()", f.width, f.lsb));
                }
                Hw::Const | Hw::Counter => panic!("{}.{}: {:?} in a register of other fields", r.name, f.name, f.hw),
                Hw::Status => {
                    writeln!(pdecl, "    /// {doc} (from the core).\n    pub {p}: Signal<In, {}>,", ty(f.width)).unwrap();
                    writeln!(pinit, "            {p}: Default::default(),").unwrap();
                    read.push(placed(&format!("self.{gp}.val()"), f.width, f.lsb));
                }
                Hw::Control | Hw::ControlHwClear => {
                    writeln!(pdecl, "    /// {doc} (stored).\n    pub {p}: Signal<Out, {}>,", ty(f.width)).unwrap();
                    writeln!(pinit, "            {p}: Default::default(),").unwrap();
                    writeln!(outputs, "        self.{gp}.next = {};", slice(&format!("self.r_{n}.q.val()"), f.width, f.lsb)).unwrap();
                    if f.hw == Hw::ControlHwClear {
                        writeln!(pdecl, "    /// Pulse from the core: clear {}.{} (a host write of {} in the same cycle wins).", r.name, f.name, r.name).unwrap();
                        writeln!(pdecl, "    pub {p}_clear: Signal<In, Bit>,").unwrap();
                        writeln!(pinit, "            {p}_clear: Default::default(),").unwrap();
                        writeln!(inner, "    m_{p}: Constant<Bits<32>>,").unwrap();
                        writeln!(init, "            m_{p}: field_mask({:?}, {:?}),", r.name, f.name).unwrap();
                        writeln!(
                            writes,
                            "        if self.{gp}_clear.val() & !{} {{\n            self.r_{n}.d.next = self.r_{n}.q.val() & !self.m_{p}.val();\n        }}",
                            hit(r)
                        )
                        .unwrap();
                    }
                }
                Hw::Pulse => {
                    writeln!(pdecl, "    /// {doc} (a one-cycle pulse).\n    pub {p}: Signal<Out, Bit>,").unwrap();
                    writeln!(pinit, "            {p}: Default::default(),").unwrap();
                    writeln!(pulses, "        self.{gp}.next = {} & self.bus.wdata.val().get_bit({});", hit(r), f.lsb).unwrap();
                }
                Hw::Command { refused } => {
                    let value = slice("self.bus.wdata.val()", f.width, f.lsb);
                    let keep = f.max();
                    writeln!(pdecl, "    /// {doc}: written with a value other than {keep} (keep) this cycle.").unwrap();
                    writeln!(pdecl, "    pub {p}_set: Signal<Out, Bit>,").unwrap();
                    writeln!(pdecl, "    /// The value written to {}.{}.\n    pub {p}_value: Signal<Out, {}>,", r.name, f.name, ty(f.width)).unwrap();
                    writeln!(pdecl, "    /// What {}.{} reads: the core's value now.\n    pub {p}_now: Signal<In, {}>,", r.name, f.name, ty(f.width)).unwrap();
                    for s in ["set", "value", "now"] {
                        writeln!(pinit, "            {p}_{s}: Default::default(),").unwrap();
                    }
                    writeln!(pulses, "        self.{gp}_set.next = {} & ({value} != {keep}_u64);", hit(r)).unwrap();
                    writeln!(pulses, "        self.{gp}_value.next = {value};").unwrap();
                    read.push(placed(&format!("self.{gp}_now.val()"), f.width, f.lsb));
                    for v in refused {
                        writeln!(
                            value_checks,
                            "        if (self.bus.addr.val() == self.a_{n}.val()) & ({value} == {v}_u64) {{\n            self.bus.write_refusal.next = 0x03_u64.into();\n        }}"
                        )
                        .unwrap();
                    }
                    if f.lockable && lock_compared(r) {
                        writeln!(
                            lock_checks,
                            "        if (self.bus.addr.val() == self.a_{n}.val()) & ({value} != {keep}_u64) {{\n            self.locked_change.next = true;\n        }}"
                        )
                        .unwrap();
                    }
                }
            }
        }
        let expr = if read.is_empty() { "0.into()".to_string() } else { read.join("\n                | ") };
        let part = if r.access == Access::RO { &mut rd_inputs } else { &mut rd_config };
        let which = if r.access == Access::RO { "rd_inputs" } else { "rd_config" };
        write!(part, "        }} else if {arm} {{\n            self.{which}.next = {expr};\n").unwrap();
    }

    for (port, ty, regs) in GROUPS {
        writeln!(ports, "    /// {}: joined to the block that reports or uses them.\n    pub {port}: {ty}Port,", regs.join(", ")).unwrap();
        writeln!(port_init, "            {port}: Default::default(),").unwrap();
    }
    let interfaces = group_interfaces(&group_decls);
    let mut dff_lines = String::new();
    for chunk in dffs.chunks(8) {
        writeln!(dff_lines, "        dff_setup!(self, clock, {});", chunk.join(", ")).unwrap();
    }
    format!(
        r#"// Generated by hdl/build.rs from ftio_proto::REGISTERS; do not edit.

{interfaces}
/// The register file of SPEC §5, generated from the register table (see `hdl/build.rs`).
#[derive(LogicBlock)]
pub struct RegFile {{
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: every register to its table reset value.
    pub reset: Signal<In, Bit>,
    /// The register bus from the UART command parser (see [`RegPort`]).
    pub bus: RegPort,
{ports}{inner}    /// One bit per address below 64: it is a register; it is writable; it belongs to a block
    /// this build leaves out.
    m_readable: Constant<Bits<64>>,
    m_writable: Constant<Bits<64>>,
    m_absent: Constant<Bits<64>>,
    absent_bits: Signal<Local, Bits<64>>,
    /// One bit per address below 64: a wholly locked register (any write refused when locked).
    m_locked: Constant<Bits<64>>,
    locked_bits: Signal<Local, Bits<64>>,
    /// CTRL.lock: set by the host, cleared only by reset.
    locked: DFF<Bit>,
    /// The write of `wdata` to `addr` is one the lock refuses: of a wholly locked register,
    /// or of CTRL changing one of its lockable fields.
    locked_change: Signal<Local, Bit>,
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
}}

impl RegFile {{
    /// A register file for a core built with `params` (they set CLOCK_HZ, BAUD, PARAMS and
    /// the counter-wide fields' store masks).
    pub fn new(params: &BuildParams) -> Self {{
        Self {{
            clock: Default::default(),
            reset: Default::default(),
            bus: Default::default(),
{port_init}{init}            m_readable: Constant::new(address_mask(|_| true)),
            m_writable: Constant::new(address_mask(|r| r.access != Access::RO)),
            m_absent: Constant::new(address_mask(|r| !params.builds(r.part))),
            absent_bits: Default::default(),
            m_locked: Constant::new(address_mask(|r| r.wholly_locked())),
            locked_bits: Default::default(),
            locked: Default::default(),
            locked_change: Default::default(),
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
        }}
    }}
}}

impl Logic for RegFile {{
    #[hdl_gen]
    fn update(&mut self) {{
{dff_lines}        dff_setup!(self, clock, addr6_q, hi_zero_q, rd_inputs_q, rd_counters_q, rd_config_q, locked);
        // Which addresses are registers, and which are writable: two bit masks from the table,
        // looked up with the low six bits (every address is below 64), so the decode the
        // parser checks in CHECK is a 64-entry lookup and a zero test, not a chain of 16-bit
        // compares.
        self.hi_zero.next = self.bus.addr.val().get_bits::<10>(6) == 0;
        self.readable_bits.next = self.m_readable.val() >> self.bus.addr.val().get_bits::<6>(0);
        self.writable_bits.next = self.m_writable.val() >> self.bus.addr.val().get_bits::<6>(0);
        self.bus.readable.next = self.hi_zero.val() & self.readable_bits.val().get_bit(0);
        self.bus.writable.next = self.hi_zero.val() & self.writable_bits.val().get_bit(0);

        // Read mux: one arm per register of the table, from the address registered, in three
        // parts (inputs and constants, counter snapshots, stored registers), each registered,
        // and their OR is `rdata`: `rdata` shows a register two cycles after its address
        // (the parser's reads are stable for a byte time), and the mux starts and ends in flops.
        self.addr6_q.d.next = self.bus.addr.val().get_bits::<6>(0);
        self.hi_zero_q.d.next = self.hi_zero.val();
        self.rd_inputs.next = 0.into();
        self.rd_counters.next = 0.into();
        self.rd_config.next = 0.into();
        // Three chains, not one: each part's mux tree is as deep as its own registers (one
        // chain of all 58 was too deep for the recursion of yosys's opt_muxtree in YoWASP's
        // WebAssembly stack: the ECP5 flow's synthesis died with "call stack exhausted").
        if !self.hi_zero_q.q.val() {{
            self.rd_inputs.next = 0.into();
{rd_inputs}        }}
        if !self.hi_zero_q.q.val() {{
            self.rd_counters.next = 0.into();
{rd_counters}        }}
        if !self.hi_zero_q.q.val() {{
            self.rd_config.next = 0.into();
{rd_config}        }}
        self.rd_inputs_q.d.next = self.rd_inputs.val();
        self.rd_counters_q.d.next = self.rd_counters.val();
        self.rd_config_q.d.next = self.rd_config.val();
        self.bus.rdata.next = self.rd_inputs_q.q.val() | self.rd_counters_q.q.val() | self.rd_config_q.q.val();

        // Writes: only the stored fields' bits; a core clear loses to a host write.
{writes}        // Pulses and commands, from the write as it lands.
{pulses}        // The lock: set by a write of CTRL.lock = 1, cleared only by reset (below).
{lock_set}        // Refusals, last assignment wins: 0x03 (a value not defined) over 0x06 (not built)
        // over 0x05 (locked). The parser asks with the address and the word it is checking,
        // before anything of the frame is written.
        self.locked_bits.next = self.m_locked.val() >> self.bus.addr.val().get_bits::<6>(0);
        self.locked_change.next = self.hi_zero.val() & self.locked_bits.val().get_bit(0);
{lock_checks}        self.absent_bits.next = self.m_absent.val() >> self.bus.addr.val().get_bits::<6>(0);
        self.bus.write_refusal.next = 0.into();
        if self.locked.q.val() & self.locked_change.val() {{
            self.bus.write_refusal.next = 0x05_u64.into();
        }}
        if self.hi_zero.val() & self.absent_bits.val().get_bit(0) {{
            self.bus.write_refusal.next = 0x06_u64.into();
        }}
{value_checks}        // Counter snapshot: all at once, so a read of the counters is one consistent view.
{snapshot}        if self.reset.val() {{
{reset}            self.locked.d.next = false;
        }}
{outputs}    }}
}}
"#
    )
}
