//! The register table: the one definition of the ftio register file (SPEC §5).
//!
//! The gateware decoder, `ftctl` and `docs/registers.{md,csv}` are all generated from
//! [`REGISTERS`]. Registers are addressed by index (not byte address) and are 32 bits wide;
//! bits not covered by any [`Field`] read 0 and ignore writes.

/// How the host may access a register or a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Read-only: a write to it answers status 0x03 and writes nothing.
    RO,
    /// Read-write: reads back the stored value (some fields are also changed by the core).
    RW,
    /// Write-1-pulse: writing 1 triggers a one-cycle action; the bit is self-clearing and reads 0.
    W1P,
}

impl Access {
    /// Short name used in the docs and the CSV (`RO`, `RW`, `W1P`).
    pub const fn name(self) -> &'static str {
        match self {
            Access::RO => "RO",
            Access::RW => "RW",
            Access::W1P => "W1P",
        }
    }
}

/// Power-on value of a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reset {
    /// A fixed value.
    Value(u32),
    /// The value is set by a build parameter (see [`BuildParams`]).
    Build,
}

pub use crate::params::BuildParams;

/// How the gateware uses a field: what the register file generated from this table
/// (`ftio_hdl::regfile`) builds for it, as OpenTitan's reggen does from `hwaccess`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hw {
    /// A build constant (the register's reset value): no port.
    Const,
    /// Read-only status the core drives: an input port, read live.
    Status,
    /// A statistics counter: the core drives the live count (an input port), reads see the
    /// snapshot CTRL.cnt_snapshot took, and a reset zeroes the snapshot.
    Counter,
    /// Stored by a host write (its RW bits): an output port the core reads.
    Control,
    /// Stored by a host write, and cleared by the core: an output port and an input pulse
    /// `<port>_clear` (a host write in the same cycle wins).
    ControlHwClear,
    /// Write-1-pulse: a one-cycle output pulse, reads 0.
    Pulse,
    /// The lock (CTRL.lock, as OpenTitan's REGWEN): a write of 1 sets it, a write of 0 leaves
    /// it, only the core's reset clears it. While it is set, a write of a register whose
    /// fields are all [`Field::lockable`] is refused whole with status 0x05 (nothing written),
    /// and so is a write that would change a lockable field of another (CTRL).
    Lock,
    /// A command value: a write that is not all ones (the keep value) pulses `<port>_set`
    /// with the value on `<port>_value`; nothing is stored and reads see the core's
    /// `<port>_now`. A write with one of `refused` is refused whole (status 0x03).
    Command {
        /// Values the field does not define.
        refused: &'static [u32],
    },
}

/// A bit range of a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// Field name (lower case, unique within its register).
    pub name: &'static str,
    /// Least significant bit.
    pub lsb: u8,
    /// Width in bits (1..=32).
    pub width: u8,
    /// Access of this field. Equal to the register's access except inside RW registers that
    /// carry write-1-pulse command bits (CTRL, BIST_CTRL).
    pub access: Access,
    /// What the field means (this text is the user documentation).
    pub description: &'static str,
    /// Only the low PARAMS.counter_width bits are built (the rest read 0 and ignore writes):
    /// the BIST and injection counts, sized like the statistics counters.
    pub counter_wide: bool,
    /// How the gateware uses the field.
    pub hw: Hw,
    /// CTRL.lock guards it: once locked, a write of its register is refused whole with status
    /// 0x05 if every field of the register is lockable; otherwise (CTRL) if the write would
    /// change this field (a stored field written with another value, a command field with
    /// anything but its keep value, a pulse bit with 1).
    pub lockable: bool,
}

/// Which part of the gateware a register belongs to: the injection and BIST registers are
/// left out with their blocks by a build without them (BuildParams::injection, ::bist).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// The core itself: always built.
    Core,
    /// Fault injection (SPEC §6).
    Injection,
    /// The built-in self-test (SPEC §6).
    Bist,
}

impl Part {
    /// The name `ftctl` and the docs use for the part.
    pub const fn name(self) -> &'static str {
        match self {
            Part::Core => "core",
            Part::Injection => "fault injection",
            Part::Bist => "BIST",
        }
    }
}

impl Field {
    /// The same field, built at the core's counter width.
    const fn at_counter_width(self) -> Field {
        Field { counter_wide: true, ..self }
    }

    /// The same field, used by the gateware as `hw` says.
    const fn hw(self, hw: Hw) -> Field {
        Field { hw, ..self }
    }

    /// The same field, guarded by CTRL.lock.
    const fn locked(self) -> Field {
        Field { lockable: true, ..self }
    }

    /// Whether writing `word` over `stored` (the register's value now) would change this
    /// field, as the lock judges it: a stored field written with other built bits, a command
    /// field written with anything but its keep value (all ones), a pulse bit written with 1.
    pub fn write_changes(&self, word: u32, stored: u32, params: &BuildParams) -> bool {
        match self.hw {
            Hw::Control | Hw::ControlHwClear => (word ^ stored) & self.built_mask(params) != 0,
            Hw::Command { .. } => self.get(word) != self.max(),
            Hw::Pulse => self.get(word) != 0,
            Hw::Lock | Hw::Const | Hw::Status | Hw::Counter => false,
        }
    }

    /// The name of the field's port on the register file: the field's name when it is the
    /// register's only field named like it (`WORDS_FWD.words_fwd`: `words_fwd`), else
    /// `register_field` in lower case (`STATUS.fault`: `status_fault`).
    pub fn port_name(&self, register: &Register) -> String {
        if register.name.eq_ignore_ascii_case(self.name) {
            self.name.to_string()
        } else {
            format!("{}_{}", register.name.to_ascii_lowercase(), self.name)
        }
    }

    /// The bits of the field a core built with `params` has.
    pub fn built_mask(&self, params: &BuildParams) -> u32 {
        if self.counter_wide {
            self.mask() & params.counter_mask()
        } else {
            self.mask()
        }
    }

    /// Largest value the field holds.
    pub const fn max(&self) -> u32 {
        if self.width >= 32 {
            u32::MAX
        } else {
            (1u32 << self.width) - 1
        }
    }

    /// The field's bits within the register word.
    pub const fn mask(&self) -> u32 {
        self.max() << self.lsb
    }

    /// Most significant bit.
    pub const fn msb(&self) -> u8 {
        self.lsb + self.width - 1
    }

    /// Extracts the field from a register value.
    pub const fn get(&self, word: u32) -> u32 {
        (word >> self.lsb) & self.max()
    }

    /// Returns `word` with the field replaced by `value`, or `None` if `value` does not fit.
    pub const fn try_insert(&self, word: u32, value: u32) -> Option<u32> {
        if value > self.max() {
            None
        } else {
            Some((word & !self.mask()) | (value << self.lsb))
        }
    }

    /// Returns `word` with the field replaced by `value`.
    ///
    /// # Panics
    /// If `value` does not fit in the field (use [`Field::try_insert`] for user input).
    pub fn insert(&self, word: u32, value: u32) -> u32 {
        match self.try_insert(word, value) {
            Some(w) => w,
            None => panic!(
                "value {value:#x} does not fit field {} ({} bits)",
                self.name, self.width
            ),
        }
    }

    /// Verilog-style bit range: `[7:0]`, or `[3]` for one bit.
    pub fn bits(&self) -> String {
        if self.width == 1 {
            format!("[{}]", self.lsb)
        } else {
            format!("[{}:{}]", self.msb(), self.lsb)
        }
    }
}

/// One 32-bit register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Register {
    /// Register name (upper case, unique).
    pub name: &'static str,
    /// Register index on the UART protocol.
    pub addr: u16,
    /// Access of the register as a whole: RO registers reject writes with status 0x03.
    pub access: Access,
    /// Power-on value (also the value after the core's synchronous `reset`).
    pub reset: Reset,
    /// Bit fields, in ascending bit order, non-overlapping.
    pub fields: &'static [Field],
    /// The part of the gateware it belongs to (not built: reads see its reset value, a write
    /// answers status 0x06).
    pub part: Part,
    /// What the register is for (this text is the user documentation).
    pub description: &'static str,
}

impl Register {
    /// The field called `name`, if any.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field called `name`.
    ///
    /// # Panics
    /// If the register has no such field (for gateware/tool code naming fields statically).
    pub fn f(&self, name: &str) -> &'static Field {
        self.field(name)
            .unwrap_or_else(|| panic!("register {} has no field {name:?}", self.name))
    }

    /// A host write is accepted (RW registers; RO registers answer 0x03).
    pub const fn is_writable(&self) -> bool {
        !matches!(self.access, Access::RO)
    }

    /// Bits covered by some field.
    pub fn defined_mask(&self) -> u32 {
        self.fields.iter().fold(0, |m, f| m | f.mask())
    }

    /// Bits a host write stores (RW fields of a writable register).
    pub fn store_mask(&self) -> u32 {
        self.store_mask_for(&BuildParams { counter_width: 32, ..BuildParams::default() })
    }

    /// Bits a host write stores in a core built with `params` (a counter-wide field keeps
    /// only PARAMS.counter_width bits).
    pub fn store_mask_for(&self, params: &BuildParams) -> u32 {
        if !self.is_writable() || !params.builds(self.part) {
            return 0;
        }
        self.fields
            .iter()
            .filter(|f| f.access == Access::RW && f.hw != Hw::Lock)
            .fold(0, |m, f| m | f.built_mask(params))
    }

    /// Bits that are write-1-pulse commands (always read 0).
    pub fn pulse_mask(&self) -> u32 {
        self.fields
            .iter()
            .filter(|f| f.access == Access::W1P)
            .fold(0, |m, f| m | f.mask())
    }

    /// Power-on value for the given build parameters.
    pub fn reset_value(&self, params: &BuildParams) -> u32 {
        match self.reset {
            Reset::Value(v) => v,
            Reset::Build => match self.name {
                "CLOCK_HZ" => params.clock_hz,
                "BAUD" => params.baud,
                "PARAMS" => params.params_word(),
                other => unreachable!("register {other} has a build reset but no build parameter"),
            },
        }
    }

    /// Reset as text: hex value, or `build`.
    pub fn reset_text(&self) -> String {
        match self.reset {
            Reset::Value(v) => format!("0x{v:08X}"),
            Reset::Build => "build".to_string(),
        }
    }

    /// Bits of lockable fields.
    pub fn lockable_mask(&self) -> u32 {
        self.fields.iter().filter(|f| f.lockable).fold(0, |m, f| m | f.mask())
    }

    /// Every field is lockable (OFFSET, TIMEOUT, DISK_TIMEOUT, the injection and BIST
    /// registers): while CTRL.lock is set, any write of it is refused, whatever it carries.
    pub fn wholly_locked(&self) -> bool {
        self.is_writable() && self.fields.iter().all(|f| f.lockable)
    }

    /// Whether CTRL.lock refuses a write of `word` over `stored` (the register's value now):
    /// any write of a [`Register::wholly_locked`] register; for a register with only some
    /// fields lockable (CTRL), a write that would change one of them. The gateware compares
    /// values only there (CTRL's seven lockable bits), so the lock costs a few cells.
    pub fn lock_refuses(&self, word: u32, stored: u32, params: &BuildParams) -> bool {
        self.wholly_locked() || self.fields.iter().any(|f| f.lockable && f.write_changes(word, stored, params))
    }

    /// Whether this is one of the statistics counters (read from the snapshot).
    pub fn is_counter(&self) -> bool {
        self.fields.iter().any(|f| f.hw == Hw::Counter)
    }
}

/// Value of the ID register: ASCII "FTIO".
pub const ID_VALUE: u32 = 0x4654_494F;

const fn parse_version_part(s: &[u8], mut i: usize) -> (u32, usize) {
    let mut v = 0u32;
    while i < s.len() && s[i] >= b'0' && s[i] <= b'9' {
        v = v * 10 + (s[i] - b'0') as u32;
        i += 1;
    }
    (v, i + 1)
}

const fn parse_version(s: &str) -> u32 {
    let b = s.as_bytes();
    let (major, i) = parse_version_part(b, 0);
    let (minor, i) = parse_version_part(b, i);
    let (patch, _) = parse_version_part(b, i);
    (major << 16) | (minor << 8) | patch
}

/// Value of the VERSION register: `major<<16 | minor<<8 | patch` of this crate's version.
pub const VERSION_VALUE: u32 = parse_version(env!("CARGO_PKG_VERSION"));

/// CTRL.mode value that, when written, leaves the mode unchanged (reads never return it).
pub const MODE_KEEP: u32 = 7;

/// The pulse (register, field) whose write copies every live counter into the snapshot the
/// counter registers read.
pub const SNAPSHOT_PULSE: (&str, &str) = ("CTRL", "cnt_snapshot");

/// First counter register address (WORDS_FWD).
pub const COUNTER_FIRST: u16 = 24;
/// Last counter register address (CYCLES).
pub const COUNTER_LAST: u16 = 36;

const fn field(name: &'static str, lsb: u8, width: u8, access: Access, hw: Hw, description: &'static str) -> Field {
    Field { name, lsb, width, access, description, counter_wide: false, hw, lockable: false }
}
/// A read-only field of the build (a constant).
const fn build(name: &'static str, lsb: u8, width: u8, description: &'static str) -> Field {
    field(name, lsb, width, Access::RO, Hw::Const, description)
}
/// A read-only field the core drives.
const fn ro(name: &'static str, lsb: u8, width: u8, description: &'static str) -> Field {
    field(name, lsb, width, Access::RO, Hw::Status, description)
}
/// A read-write field the core reads.
const fn rw(name: &'static str, lsb: u8, width: u8, description: &'static str) -> Field {
    field(name, lsb, width, Access::RW, Hw::Control, description)
}
/// A write-1-pulse command bit.
const fn w1p(name: &'static str, lsb: u8, description: &'static str) -> Field {
    field(name, lsb, 1, Access::W1P, Hw::Pulse, description)
}

macro_rules! counter {
    // An event counter (the core's `EventCounter`): saturates, never wraps.
    ($name:literal, $lower:literal, $addr:literal, $desc:literal) => {
        counter!($name, $lower, $addr, $desc, "the live counter is PARAMS.counter_width bits wide (upper bits read 0), stops at its largest value 2^counter_width - 1 instead of wrapping, and is zeroed by CTRL.cnt_clear.")
    };
    ($name:literal, $lower:literal, $addr:literal, $desc:literal, $live:literal) => {
        Register {
            name: $name,
            addr: $addr,
            access: Access::RO,
            reset: Reset::Value(0),
            part: Part::Core,
            fields: &[ro($lower, 0, 32, $desc).hw(Hw::Counter)],
            description: concat!($desc, " ", "Snapshot value: updated only by CTRL.cnt_snapshot; ", $live),
        }
    };
}

/// The register file, in address order.
pub static REGISTERS: &[Register] = &[
    Register {
        name: "ID",
        addr: 0,
        access: Access::RO,
        reset: Reset::Value(ID_VALUE),
        part: Part::Core,
        fields: &[build("id", 0, 32, "0x4654494F, ASCII \"FTIO\".")],
        description: "Identifies an ftio core. Host tools refuse to talk to anything else.",
    },
    Register {
        name: "VERSION",
        addr: 1,
        access: Access::RO,
        reset: Reset::Value(VERSION_VALUE),
        part: Part::Core,
        fields: &[
            build("patch", 0, 8, "Patch version."),
            build("minor", 8, 8, "Minor version."),
            build("major", 16, 8, "Major version."),
        ],
        description: "Version of the register map and protocol: major<<16 | minor<<8 | patch (the ftio-proto crate version the gateware was generated from).",
    },
    Register {
        name: "SCRATCH",
        addr: 2,
        access: Access::RW,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[rw("scratch", 0, 32, "Any value; no effect on the core.")],
        description: "Scratch register for link tests: reads back what was last written.",
    },
    Register {
        name: "CLOCK_HZ",
        addr: 3,
        access: Access::RO,
        reset: Reset::Build,
        part: Part::Core,
        fields: &[build("clock_hz", 0, 32, "Clock frequency in Hz.")],
        description: "Core clock frequency the gateware was built for (build parameter). Converts cycle counts to time.",
    },
    Register {
        name: "BAUD",
        addr: 4,
        access: Access::RO,
        reset: Reset::Build,
        part: Part::Core,
        fields: &[build("baud", 0, 32, "Baud rate in bit/s.")],
        description: "UART baud rate the gateware was built for (build parameter).",
    },
    Register {
        name: "PARAMS",
        addr: 5,
        access: Access::RO,
        reset: Reset::Build,
        part: Part::Core,
        fields: &[
            build("skew_depth_log2", 0, 4, "log2 of the skew FIFO depth in words per CPU side: how far one CPU may run ahead in elastic lockstep."),
            build("pipeline", 4, 4, "Register stages the build adds for a faster clock (`--pipeline N`, SPEC §4): each adds one cycle to the cut-through latency and to mismatch detection. 0: the default build. 1: each input link's checked word passes a registered stage before the lockstep and the disk sides."),
            build("frame_depth_log2", 8, 8, "log2 of the store-and-forward frame buffer depth in words: the longest frame store-and-forward commit can hold."),
            build("counter_width", 16, 8, "Width of the statistics counters in bits."),
            build("offset_max_log2", 24, 4, "log2 of the strict-lockstep offset range: OFFSET may be 0 up to 2^offset_max_log2 - 1."),
            build("injection", 28, 1, "1: fault injection is built (INJ_*). 0: a production build without it: the links pass straight through and a write of INJ_CTRL or INJ_COUNT answers status 0x06 (not built)."),
            build("bist", 29, 1, "1: the built-in self-test is built (BIST_*). 0: left out: the CPU inputs are never taken over and a write of a BIST register answers status 0x06 (not built)."),
            build("harden", 30, 1, "1: the hardened build (`--harden`): the core checks its own state (shadow copies of buffer pointers and of the lockstep's pair stage, the mode as a checked code, a check on last/abort of each buffered word, the words leaving for the disks) and an inconsistency is the fault cause INTERNAL (docs/upsets.md). 0: the default build."),
            build("bist_return", 31, 1, "1: the built-in self-test also proves the return path: while it runs two disk-side generators feed both disk inputs and two checkers watch the CPU outputs (BIST_RET_WORDS, BIST_RET_ERRORS). 0: not built (or no BIST): the self-test leaves the disk inputs alone and BIST_RET_* read 0; nothing is refused for it."),
        ],
        description: "Build parameters of the gateware.",
    },
    Register {
        name: "CTRL",
        addr: 8,
        access: Access::RW,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[
            rw("mode", 0, 3, "Operating mode: 0 DUPLEX, 1 SIMPLEX_A, 2 SIMPLEX_B, 3 SPLIT, 4 HALTED; 5 and 6 are reserved: a write of CTRL with mode 5 or 6 is refused with status 0x03 and changes nothing (no field, no command bit). Writing 7 (MODE_KEEP) leaves the mode as it is, so a write that only changes other fields or fires a command bit cannot undo a fail-over that happened since the host read CTRL. Reads back the mode the core is in now: the core changes it itself on fail-over (DUPLEX to SIMPLEX_x) or on a fault it cannot fail over from (to HALTED). Write it to leave HALTED or to return to DUPLEX after a resync.").hw(Hw::Command { refused: &[5, 6] }).locked(),
            rw("lockstep", 3, 1, "Lockstep kind: 0 elastic (streams compared word by word, either side may run ahead by up to the skew FIFO depth), 1 strict (CPU B runs exactly OFFSET cycles behind CPU A and sees exactly CPU A's I/O).").locked(),
            rw("commit", 4, 1, "Commit kind: 0 cut-through (agreed words go to the disks at once; a mismatch aborts the frame in flight with last & abort), 1 store-and-forward (a frame is held until its last pair has agreed; a divergent frame sends nothing; a frame longer than 2^PARAMS.frame_depth_log2 words is dropped whole with cause FRAME_TOO_LONG). A change takes effect between frames.").locked(),
            rw("policy", 5, 1, "Fail-over policy: 0 auto (an attributable CPU fault in DUPLEX switches to SIMPLEX on the healthy side; an unattributable mismatch, or a parity error of the one CPU in service in SIMPLEX, halts; a disk fault marks that disk failed and the core goes on; the other causes are latched and the core goes on), 1 halt (every fault halts, in every mode: every cause of the cause code table, CPU and disk faults, DISK_DIVERGENCE, EGRESS_PARITY and FRAME_TOO_LONG included; the core is HALTED a few cycles after the fault is latched, a frame in flight ended with last & abort; a disk fault also marks the disk failed).").locked(),
            rw("read_verify", 6, 1, "1: compare both disks' returns in DUPLEX; a difference in content or frame length, or a secondary that offers nothing for more than DISK_TIMEOUT cycles while the primary offers a word, is a DISK_DIVERGENCE fault (the primary's data is still delivered). The secondary is then no longer compared until a fault clear.").locked(),
            rw("primary", 7, 1, "Primary disk, whose returns go to the CPUs in DUPLEX: 0 disk A, 1 disk B."),
            w1p("fault_clear", 8, "Write 1: acknowledge faults. Clears STATUS.fault (and irq), STATUS.cause, the CPU failed flags and FAULTS, zeroes the CAP_* registers and the word index CAP_WORD counts, and re-arms the first-fault capture. Does not change the mode, and does not bring a failed disk back: a failed disk stays failed until readmit_a / readmit_b."),
            w1p("cnt_snapshot", 9, "Write 1: copy all live counters (WORDS_FWD..CYCLES) to the readable snapshot registers in the same cycle, so they are mutually consistent."),
            w1p("cnt_clear", 10, "Write 1: zero all live counters (WORDS_FWD..WORDS_RETURNED; not CYCLES, the free-running time base). The snapshot registers keep their values; with cnt_snapshot in the same write the snapshot takes the values before the clear (atomic read-and-clear)."),
            w1p("readmit_a", 11, "Write 1: readmit failed disk A (STATUS.disk_a_failed = 1): it becomes rebuilding. Its stale buffered words have been discarded since it failed, a frame it had half received is ended with last & abort, and it joins at the next frame boundary of the committed stream, so it never gets a partial frame; until then STATUS reads disk_a_failed = 1 and disk_a_rebuilding = 1. Ignored unless disk A is failed."),
            w1p("readmit_b", 12, "Write 1: readmit failed disk B (as readmit_a)."),
            w1p("rebuilt_a", 13, "Write 1: the host has copied every sector to rebuilding disk A: it becomes healthy (in sync), compared by read-verify and eligible as primary. Takes effect in the first cycle in which neither disk's return link is inside a frame or offering a word (STATUS.disk_a_rebuilding stays 1 until then); say it when no command is outstanding on either disk. Ignored unless disk A is rebuilding."),
            w1p("rebuilt_b", 14, "Write 1: rebuilding disk B is in sync (as rebuilt_a)."),
            field("lock", 15, 1, Access::RW, Hw::Lock, "Write 1: lock the configuration until the core's reset (a write of 0 leaves it set; nothing else clears it). While locked, these writes are refused whole with status 0x05 and write nothing: any write of OFFSET, TIMEOUT, DISK_TIMEOUT, INJ_CTRL, INJ_COUNT, BIST_CTRL, BIST_FRAMES, BIST_LEN, BIST_SKEW or BIST_SEED (even of the value it holds), and a write of CTRL whose mode is not 7 (MODE_KEEP) or whose lockstep, commit, policy or read_verify differs from the value it holds. A write of CTRL that keeps those seven bits is accepted: fault_clear, cnt_snapshot, cnt_clear, primary and the disk readmit/rebuilt commands stay allowed, as do SCRATCH and every read. Reads 1 while locked."),
        ],
        description: "Configuration and commands. Power-on: DUPLEX, elastic lockstep, cut-through commit, auto policy, read-verify off, primary disk A, unlocked. A write that only acknowledges faults or takes the counters writes MODE_KEEP and the other locked fields' present values, so it is allowed while locked.",
    },
    Register {
        name: "OFFSET",
        addr: 9,
        access: Access::RW,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[rw("offset", 0, 16, "D in cycles, 0 up to 2^PARAMS.offset_max_log2 - 1. The core uses the low offset_max_log2 bits; ftctl refuses larger values.").locked()],
        description: "Strict-lockstep offset D: CPU B runs exactly D cycles behind CPU A. Used only when CTRL.lockstep = 1. Change it only while the CPUs are idle or the core is HALTED.",
    },
    Register {
        name: "TIMEOUT",
        addr: 10,
        access: Access::RW,
        reset: Reset::Value(256),
        part: Part::Core,
        fields: &[rw("timeout", 0, 32, "Cycles.").locked()],
        description: "CPU silence timeout (cause CPU_A_TIMEOUT / CPU_B_TIMEOUT). Elastic lockstep: if one CPU has words pending and the other offers none for this many cycles, the silent side is faulty. Strict lockstep: a CPU that offered nothing where the other offered a word (aligned by OFFSET), and then offers nothing for this many cycles, is faulty; one that offers again sooner is a mismatch (docs/lockstep.md).",
    },
    Register {
        name: "DISK_TIMEOUT",
        addr: 11,
        access: Access::RW,
        reset: Reset::Value(4096),
        part: Part::Core,
        fields: &[rw("disk_timeout", 0, 32, "Cycles.").locked()],
        description: "Disk stall timeout: a disk whose tx_ready is held low with a word waiting for more than this many cycles is marked failed (cause DISK_A_TIMEOUT / DISK_B_TIMEOUT).",
    },
    Register {
        name: "STATUS",
        addr: 12,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[
            ro("mode", 0, 3, "The mode the core is in now (same encoding as CTRL.mode)."),
            ro("halted", 3, 1, "1 while the mode is HALTED: nothing is forwarded and the CPUs are back-pressured."),
            ro("cpu_a_failed", 4, 1, "CPU A has been found faulty (parity error or timeout on its link) since the last fault_clear."),
            ro("cpu_b_failed", 5, 1, "CPU B has been found faulty since the last fault_clear."),
            ro("disk_a_failed", 6, 1, "Disk A is failed: marked by a fault on its links (parity error on its rx or ready, or tx stall beyond DISK_TIMEOUT), in DUPLEX and SIMPLEX writes go on to disk B only, its buffered words are discarded and its returns dropped. Stays 1 through CTRL.fault_clear until CTRL.readmit_a takes effect (with disk_a_rebuilding = 1: readmitted, joining at the next frame boundary)."),
            ro("disk_b_failed", 7, 1, "Disk B is failed (as disk_a_failed; CTRL.readmit_b)."),
            ro("cause", 8, 8, "Cause code of the first fault since the last fault_clear (0 none; see the cause code table)."),
            ro("fault", 16, 1, "An unacknowledged fault is latched. Equal to the irq pin. Cleared by CTRL.fault_clear."),
            ro("bist_running", 17, 1, "The built-in self-test is running (the CPU inputs are fed by the BIST generator)."),
            ro("disk_a_rebuilding", 18, 1, "Disk A is rebuilding (disk_a_failed = 0): readmitted, it takes every mirrored write, is never primary, and its returns are neither delivered nor compared, until CTRL.rebuilt_a takes effect (healthy: both bits 0). A fault on its links makes it failed again. With disk_a_failed = 1: readmitted, not yet joined."),
            ro("disk_b_rebuilding", 19, 1, "Disk B is rebuilding (as disk_a_rebuilding)."),
        ],
        description: "Current state of the core.",
    },
    Register {
        name: "FAULTS",
        addr: 13,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[ro("faults", 0, 32, "Bit n is set when cause code n has been seen since the last CTRL.fault_clear (bit 0 unused).")],
        description: "Sticky bitmap of every fault cause seen since the last fault_clear.",
    },
    Register {
        name: "SKEW",
        addr: 14,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[
            ro("fill_a", 0, 16, "Words pending in CPU A's skew FIFO (A is ahead by this many words)."),
            ro("fill_b", 16, 16, "Words pending in CPU B's skew FIFO."),
        ],
        description: "Live fill of the two skew FIFOs in front of the lockstep comparator.",
    },
    Register {
        name: "CAP_CAUSE",
        addr: 16,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[ro("cap_cause", 0, 8, "Cause code of the captured fault (0: nothing captured).")],
        description: "First-fault capture: cause. The CAP_* registers hold the first fault since power-on or the last CTRL.fault_clear; later faults do not overwrite them.",
    },
    Register {
        name: "CAP_CYCLE_LO",
        addr: 17,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[ro("cap_cycle_lo", 0, 32, "Bits 31:0 of the cycle number.")],
        description: "First-fault capture: cycle (counted from power-on) in which the fault was detected, low word.",
    },
    Register {
        name: "CAP_CYCLE_HI",
        addr: 18,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[ro("cap_cycle_hi", 0, 32, "Bits 63:32 of the cycle number.")],
        description: "First-fault capture: cycle, high word.",
    },
    Register {
        name: "CAP_WORD",
        addr: 19,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[ro("cap_word", 0, 32, "Word index.")],
        description: "First-fault capture: word index of the fault, captured with it: the number of words the core had committed toward the disks (the compared stream in DUPLEX, the served CPU's stream in SIMPLEX, abort words not counted, SPLIT's words not counted) since power-on or the last fault_clear when the fault was detected. It is where the commit point stood at the fault, one count for every cause (a disk's word or a timeout has no index in a CPU's stream): the words before it had gone toward the disks, none after. For a mismatch it is the index of the pair that disagreed (0 = the first word after the clear). For a fault seen at a CPU port (a parity error) it is the faulty word's index in the committed stream when no earlier word was still between the port and the commit point (e.g. the first word of a frame sent after the previous frame was committed), and less by the words taken before it that were still between the port and the commit point otherwise (e.g. a word in the middle of a frame: its frame's previous word). 0 while nothing is captured.",
    },
    Register {
        name: "CAP_DATA_A",
        addr: 20,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[ro("cap_data_a", 0, 32, "Data word.")],
        description: "First-fault capture: side A's data word. What side A is depends on the cause (see the capture table under the cause codes): CPU A's word for CPU faults, disk A's for disk faults.",
    },
    Register {
        name: "CAP_DATA_B",
        addr: 21,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[ro("cap_data_b", 0, 32, "Data word.")],
        description: "First-fault capture: side B's data word: CPU B's word for CPU faults, disk B's for disk faults (see the capture table under the cause codes).",
    },
    Register {
        name: "CAP_FLAGS",
        addr: 22,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Core,
        fields: &[
            ro("a_valid", 0, 1, "Side A offered a word."),
            ro("a_last", 1, 1, "Side A's last."),
            ro("a_abort", 2, 1, "Side A's abort."),
            ro("a_par", 3, 4, "Side A's par as received."),
            ro("a_perr", 7, 1, "Side A's word failed its parity check."),
            ro("b_valid", 8, 1, "Side B offered a word."),
            ro("b_last", 9, 1, "Side B's last."),
            ro("b_abort", 10, 1, "Side B's abort."),
            ro("b_par", 11, 4, "Side B's par as received."),
            ro("b_perr", 15, 1, "Side B's word failed its parity check."),
        ],
        description: "First-fault capture: control and parity of both sides' words (the words of CAP_DATA_A and CAP_DATA_B).",
    },
    counter!("WORDS_FWD", "words_fwd", 24, "Words forwarded to the disks (a word mirrored to both disks counts once)."),
    counter!("FRAMES_FWD", "frames_fwd", 25, "Frames forwarded to the disks complete (ended with last and without abort)."),
    counter!("FRAMES_ABORTED", "frames_aborted", 26, "Frames ended with last & abort on the disk links (cut-through: a mismatch or halt with a frame in flight) or dropped whole by store-and-forward (divergent, or longer than the frame buffer: FRAME_TOO_LONG)."),
    counter!("MISMATCHES", "mismatches", 27, "Word pairs that disagreed in the lockstep comparator."),
    counter!("PERR_CPU_A", "perr_cpu_a", 28, "Parity errors on the cpu_a links (data parity of offered words, cpar and rpar)."),
    counter!("PERR_CPU_B", "perr_cpu_b", 29, "Parity errors on the cpu_b links."),
    counter!("PERR_DISK_A", "perr_disk_a", 30, "Parity errors on the disk_a links."),
    counter!("PERR_DISK_B", "perr_disk_b", 31, "Parity errors on the disk_b links."),
    counter!("PERR_EGRESS", "perr_egress", 32, "Words that entered clean and left an egress with bad parity (corruption inside the core)."),
    counter!("TIMEOUTS", "timeouts", 33, "CPU and disk timeouts."),
    counter!("MAX_SKEW", "max_skew", 34, "Largest difference seen between the two skew FIFOs' fills, in words (a high-water mark, not a count).", "the live value is zeroed by CTRL.cnt_clear."),
    counter!("WORDS_RETURNED", "words_returned", 35, "Words delivered from the disks to the CPUs (a word sent to both CPUs counts once)."),
    counter!("CYCLES", "cycles", 36, "Clock cycles since power-on: the time base for rates.", "the live value is the low 32 bits of the core's 64-bit cycle counter (the one CAP_CYCLE is taken from): it wraps every 2^32 cycles whatever PARAMS.counter_width is, and CTRL.cnt_clear does not zero it."),
    Register {
        name: "INJ_CTRL",
        addr: 40,
        access: Access::RW,
        reset: Reset::Value(0),
        part: Part::Injection,
        fields: &[
            rw("link", 0, 2, "Input link to inject on: 0 cpu_a_tx, 1 cpu_b_tx, 2 disk_a_rx, 3 disk_b_rx.").locked(),
            rw("kind", 2, 2, "0 flip a data bit, 1 flip a parity bit, 2 hold the link silent (valid forced low, the source sees ready low), 3 reserved (never fires).").locked(),
            rw("bit", 4, 5, "Bit to flip: data bit 0-31, or par bit 0-3 for kind 1.").locked(),
            rw("arm", 31, 1, "Write 1 to arm. Stays 1 until the injection has fired, then the core clears it. Write 0 to disarm.").hw(Hw::ControlHwClear).locked(),
        ],
        description: "Fault injection at an input link, after its parity checker's view of the source (the fault looks like one coming from the link). Set INJ_COUNT first, then write INJ_CTRL with arm = 1.",
    },
    Register {
        name: "INJ_COUNT",
        addr: 41,
        access: Access::RW,
        reset: Reset::Value(0),
        part: Part::Injection,
        fields: &[rw("inj_count", 0, 32, "N (PARAMS.counter_width bits; the bits above read 0 and ignore writes).").at_counter_width().locked()],
        description: "For flips: flip the Nth word offered on the link after arming (0 = the next one). For silence: the number of cycles the link is held silent.",
    },
    Register {
        name: "INJ_STATUS",
        addr: 42,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Injection,
        fields: &[
            ro("fired", 0, 1, "The last armed injection has fired (cleared when arming again)."),
            ro("armed", 1, 1, "An injection is armed and waiting (mirrors INJ_CTRL.arm)."),
        ],
        description: "Fault injection state.",
    },
    Register {
        name: "BIST_CTRL",
        addr: 48,
        access: Access::RW,
        reset: Reset::Value(0),
        part: Part::Bist,
        fields: &[
            w1p("start", 0, "Write 1: start the built-in self-test with BIST_FRAMES, BIST_LEN, BIST_SKEW, BIST_SEED. Clears BIST_WORDS, BIST_ERRORS, BIST_RET_WORDS and BIST_RET_ERRORS.").locked(),
            w1p("abort", 1, "Write 1: stop a running self-test (BIST_STATUS.done stays 0).").locked(),
        ],
        description: "Built-in self-test commands. While the test runs, the generator feeds both CPU inputs with identical pseudo-random frames (the CPU links are back-pressured) and a checker watches both disk outputs.",
    },
    Register {
        name: "BIST_FRAMES",
        addr: 49,
        access: Access::RW,
        reset: Reset::Value(16),
        part: Part::Bist,
        fields: &[rw("bist_frames", 0, 32, "Frames (PARAMS.counter_width bits; the bits above read 0 and ignore writes).").at_counter_width().locked()],
        description: "Number of frames the BIST generator sends.",
    },
    Register {
        name: "BIST_LEN",
        addr: 50,
        access: Access::RW,
        reset: Reset::Value(8),
        part: Part::Bist,
        fields: &[rw("bist_len", 0, 16, "Words per frame (1 or more; 0 acts as 1).").locked()],
        description: "Length of each BIST frame in words.",
    },
    Register {
        name: "BIST_SKEW",
        addr: 51,
        access: Access::RW,
        reset: Reset::Value(0),
        part: Part::Bist,
        fields: &[rw("bist_skew", 0, 16, "Cycles.").locked()],
        description: "Cycles by which CPU B's generator lags CPU A's (exercises the skew FIFOs; keep it below the skew FIFO depth and TIMEOUT for a passing run).",
    },
    Register {
        name: "BIST_SEED",
        addr: 52,
        access: Access::RW,
        reset: Reset::Value(1),
        part: Part::Bist,
        fields: &[rw("bist_seed", 0, 32, "Seed (0 acts as 1).").locked()],
        description: "Seed of the BIST pseudo-random data generator.",
    },
    Register {
        name: "BIST_STATUS",
        addr: 53,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Bist,
        fields: &[
            ro("running", 0, 1, "The self-test is running."),
            ro("done", 1, 1, "The last self-test ran to completion."),
            ro("pass", 2, 1, "The last self-test completed with every word checked correct on both disk outputs."),
            ro("fail", 3, 1, "The last self-test saw an error (wrong or missing word on a disk output or a CPU output, or a fault)."),
            ro("write_error", 4, 1, "The last self-test failed on the write path: a word arrived wrong or not at all on a disk output (BIST_ERRORS is not 0)."),
            ro("return_error", 5, 1, "The last self-test failed on the return path: a word arrived wrong or not at all on a CPU output (BIST_RET_ERRORS is not 0). Always 0 in a build without PARAMS.bist_return."),
            ro("fault", 6, 1, "A fault was latched while the last self-test ran (it fails the run even when every word arrived intact)."),
        ],
        description: "Self-test state. Cleared by BIST_CTRL.start.",
    },
    Register {
        name: "BIST_WORDS",
        addr: 54,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Bist,
        fields: &[ro("bist_words", 0, 32, "Words (PARAMS.counter_width bits; stops at 2^counter_width - 1).").at_counter_width()],
        description: "Words checked on both disk outputs by the running or last self-test (a word counts once when both disks' copies are checked). Complete at BIST_FRAMES * BIST_LEN.",
    },
    Register {
        name: "BIST_ERRORS",
        addr: 55,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Bist,
        fields: &[ro("bist_errors", 0, 32, "Errors, both disk outputs together (PARAMS.counter_width bits; stops at 2^counter_width - 1, so a failed run never reads 0).").at_counter_width()],
        description: "Words that arrived wrong or not at all on a disk output during the running or last self-test.",
    },
    Register {
        name: "BIST_RET_WORDS",
        addr: 56,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Bist,
        fields: &[ro("bist_ret_words", 0, 32, "Words (PARAMS.counter_width bits; stops at 2^counter_width - 1).").at_counter_width()],
        description: "Words checked on both CPU outputs by the running or last self-test: the disk-side generators' frames as the return path delivered them (a word counts once when both CPUs' copies are checked). Complete at BIST_FRAMES * BIST_LEN; 0 in a build without PARAMS.bist_return.",
    },
    Register {
        name: "BIST_RET_ERRORS",
        addr: 57,
        access: Access::RO,
        reset: Reset::Value(0),
        part: Part::Bist,
        fields: &[ro("bist_ret_errors", 0, 32, "Errors, both CPU outputs together (PARAMS.counter_width bits; stops at 2^counter_width - 1).").at_counter_width()],
        description: "Words that arrived wrong or not at all on a CPU output during the running or last self-test; 0 in a build without PARAMS.bist_return.",
    },
];

/// The register called `name` (exact, upper case).
///
/// # Panics
/// On an unknown name: for gateware and tool code that names registers statically.
pub fn reg(name: &str) -> &'static Register {
    by_name(name).unwrap_or_else(|| panic!("no register named {name:?} in the ftio register table"))
}

/// The register called `name`, ignoring case.
pub fn by_name(name: &str) -> Option<&'static Register> {
    REGISTERS.iter().find(|r| r.name.eq_ignore_ascii_case(name))
}

/// The register at address `addr`.
pub fn by_addr(addr: u16) -> Option<&'static Register> {
    REGISTERS.iter().find(|r| r.addr == addr)
}

/// The counters, in address order.
pub fn counters() -> impl Iterator<Item = &'static Register> {
    REGISTERS.iter().filter(|r| r.is_counter())
}

/// Every address from 0 to the highest register address (for reads in bursts).
pub fn max_addr() -> u16 {
    REGISTERS.iter().map(|r| r.addr).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let mut last_addr = None;
        for r in REGISTERS {
            if let Some(a) = last_addr {
                assert!(r.addr > a, "{} out of address order", r.name);
            }
            last_addr = Some(r.addr);
            assert!(!r.fields.is_empty(), "{} has no fields", r.name);
            assert_eq!(r.name, r.name.to_ascii_uppercase());
            let mut used = 0u32;
            let mut last_lsb = None;
            for f in r.fields {
                assert!(f.width >= 1 && f.lsb as u32 + f.width as u32 <= 32, "{}.{}", r.name, f.name);
                assert_eq!(used & f.mask(), 0, "{}.{} overlaps", r.name, f.name);
                used |= f.mask();
                if let Some(l) = last_lsb {
                    assert!(f.lsb > l, "{}.{} out of bit order", r.name, f.name);
                }
                last_lsb = Some(f.lsb);
                assert_eq!(f.name, f.name.to_ascii_lowercase());
                assert!(!f.description.is_empty());
                if f.counter_wide {
                    assert!(f.description.contains("PARAMS.counter_width"), "{}.{} must say it is counter-wide", r.name, f.name);
                    if let Reset::Value(v) = r.reset {
                        assert!(f.get(v) < 1 << 16, "{}.{} resets to a value the narrowest build holds", r.name, f.name);
                    }
                }
                match r.access {
                    Access::RO => assert_eq!(f.access, Access::RO, "{}.{}", r.name, f.name),
                    _ => assert_ne!(f.access, Access::RO, "{}.{}", r.name, f.name),
                }
                let hw_fits = match f.hw {
                    Hw::Const => f.access == Access::RO,
                    Hw::Status => f.access == Access::RO,
                    Hw::Counter => f.access == Access::RO && r.fields.len() == 1,
                    Hw::Control | Hw::ControlHwClear | Hw::Command { .. } => f.access == Access::RW,
                    Hw::Pulse => f.access == Access::W1P,
                    Hw::Lock => f.access == Access::RW && f.width == 1 && r.name == "CTRL",
                };
                assert!(!(f.lockable && matches!(f.hw, Hw::Lock | Hw::Const | Hw::Status | Hw::Counter)), "{}.{}: only what a host writes is lockable", r.name, f.name);
                assert!(hw_fits, "{}.{}: {:?} does not suit {:?}", r.name, f.name, f.hw, f.access);
                assert_eq!(r.fields.iter().filter(|o| o.port_name(r) == f.port_name(r)).count(), 1, "{}.{} port", r.name, f.name);
                if r.is_counter() {
                    assert!((COUNTER_FIRST..=COUNTER_LAST).contains(&r.addr), "{} counts: inside WORDS_FWD..CYCLES", r.name);
                }
                if let Reset::Value(v) = r.reset {
                    if f.access == Access::W1P {
                        assert_eq!(f.get(v), 0, "W1P field {}.{} must reset to 0", r.name, f.name);
                    }
                }
            }
            if let Reset::Value(v) = r.reset {
                assert_eq!(v & !used, 0, "{} reset sets undefined bits", r.name);
            }
            assert!(by_name(r.name).unwrap() == r);
            let n = REGISTERS.iter().filter(|o| o.name == r.name).count();
            assert_eq!(n, 1, "duplicate {}", r.name);
        }
    }

    #[test]
    fn counter_wide_fields_keep_the_builds_counter_width() {
        let narrow = BuildParams { counter_width: 16, ..BuildParams::default() };
        for name in ["BIST_FRAMES", "INJ_COUNT"] {
            assert_eq!(reg(name).store_mask(), u32::MAX, "{name}");
            assert_eq!(reg(name).store_mask_for(&narrow), 0xFFFF, "{name}");
            assert_eq!(reg(name).store_mask_for(&BuildParams::default()), u32::MAX, "{name}");
        }
        assert_eq!(reg("BIST_SEED").store_mask_for(&narrow), u32::MAX, "the seed is not a count");
        assert_eq!(reg("BIST_WORDS").fields[0].built_mask(&narrow), 0xFFFF);
    }

    #[test]
    fn fixed_registers() {
        assert_eq!(reg("ID").addr, 0);
        assert_eq!(reg("ID").reset, Reset::Value(0x4654494F));
        assert_eq!(&ID_VALUE.to_be_bytes(), b"FTIO");
        assert_eq!(reg("VERSION").addr, 1);
        assert_eq!(VERSION_VALUE, 0x00_01_00); // crate version 0.1.0
        assert_eq!(reg("SCRATCH").addr, 2);
        assert_eq!(reg("SCRATCH").access, Access::RW);
        assert!(!reg("ID").is_writable());
        assert!(!reg("VERSION").is_writable());
        assert_eq!(parse_version("12.34.56"), (12 << 16) | (34 << 8) | 56);
        assert_eq!(parse_version("1.2.3-rc.1"), (1 << 16) | (2 << 8) | 3);
    }

    #[test]
    fn field_helpers() {
        let ctrl = reg("CTRL");
        let mode = ctrl.f("mode");
        assert_eq!(mode.mask(), 0b111);
        let w = mode.insert(0xFFFF_FFFF, 4);
        assert_eq!(w, 0xFFFF_FFFC);
        assert_eq!(mode.get(w), 4);
        assert_eq!(mode.try_insert(0, 8), None);
        assert_eq!(ctrl.f("primary").mask(), 1 << 7);
        assert_eq!(ctrl.pulse_mask(), 0x7F << 8);
        assert_eq!(ctrl.store_mask(), 0xFF);
        assert_eq!(reg("SKEW").f("fill_b").bits(), "[31:16]");
        assert_eq!(ctrl.f("lockstep").bits(), "[3]");
        let full = reg("SCRATCH").f("scratch");
        assert_eq!(full.mask(), u32::MAX);
        assert_eq!(full.insert(0, 0xDEAD_BEEF), 0xDEAD_BEEF);
        assert!(ctrl.field("nope").is_none());
        assert!(by_addr(3).unwrap().name == "CLOCK_HZ");
        assert!(by_addr(6).is_none());
        assert!(by_name("ctrl").is_some());
    }

    #[test]
    #[should_panic(expected = "no register named")]
    fn unknown_register_panics() {
        reg("NOPE");
    }

    #[test]
    fn build_params_round_trip() {
        let p = BuildParams { clock_hz: 12_000_000, baud: 9600, skew_depth_log2: 5, frame_depth_log2: 10, counter_width: 24, offset_max_log2: 6, injection: false, bist: true, bist_return: true, harden: true, pipeline: 1, bist_skids: false, capture_choice: crate::params::CaptureChoice::After, disk_stage: true };
        let w = p.params_word();
        assert_eq!(w, 5 | (1 << 4) | (10 << 8) | (24 << 16) | (6 << 24) | (1 << 29) | (1 << 30) | (1 << 31));
        // Without the return path's test bit 31 reads 0; without the BIST too (nothing of it
        // is built).
        let no_ret = BuildParams { bist_return: false, ..p };
        assert_eq!(no_ret.params_word(), w & !(1 << 31));
        assert_eq!(BuildParams::from_registers(12_000_000, 9600, no_ret.params_word()), no_ret);
        assert_eq!(BuildParams { bist: false, ..p }.params_word() >> 29 & 0b101, 0);
        let full = BuildParams { injection: true, ..p };
        assert_eq!(BuildParams::from_registers(12_000_000, 9600, full.params_word()), full);
        assert_eq!(BuildParams::from_registers(12_000_000, 9600, w), p);
        assert_eq!(reg("CLOCK_HZ").reset_value(&p), 12_000_000);
        assert_eq!(reg("PARAMS").reset_value(&p), w);
        assert_eq!(p.offset_max(), 63);
    }

    /// The lock guards what the issue names (mode, lockstep, commit, policy, OFFSET, TIMEOUT,
    /// injection, BIST) and leaves fault acknowledgement and the counters' commands free.
    #[test]
    fn the_lock_guards_configuration_not_acknowledgement() {
        let ctrl = reg("CTRL");
        assert_eq!(REGISTERS.iter().flat_map(|r| r.fields).filter(|f| f.hw == Hw::Lock).count(), 1);
        assert_eq!(ctrl.f("lock").hw, Hw::Lock);
        for f in ["mode", "lockstep", "commit", "policy", "read_verify"] {
            assert!(ctrl.f(f).lockable, "CTRL.{f}");
        }
        for f in ["primary", "fault_clear", "cnt_snapshot", "cnt_clear", "readmit_a", "readmit_b", "rebuilt_a", "rebuilt_b", "lock"] {
            assert!(!ctrl.f(f).lockable, "CTRL.{f}");
        }
        for r in REGISTERS.iter().filter(|r| r.is_writable() && r.name != "CTRL") {
            let whole = matches!(r.part, Part::Injection | Part::Bist) || ["OFFSET", "TIMEOUT", "DISK_TIMEOUT"].contains(&r.name);
            assert_eq!(r.fields.iter().all(|f| f.lockable), whole, "{}", r.name);
            assert!(whole || r.fields.iter().all(|f| !f.lockable), "{}", r.name);
        }
        let p = BuildParams::default();
        // A fault acknowledgement written as ftctl writes it (MODE_KEEP, the other fields as read).
        let now = 0x0000_0038; // strict, store-and-forward, halt policy, DUPLEX
        assert!(!ctrl.lock_refuses(now | 7 | (1 << 8) | (1 << 9), now, &p));
        assert!(ctrl.lock_refuses(now | 3, now, &p), "a mode change");
        assert!(ctrl.lock_refuses((now & !0x08) | 7, now, &p), "back to elastic");
        assert!(!ctrl.lock_refuses(now | 7 | 0x80, now, &p), "the primary disk");
        assert!(!ctrl.wholly_locked());
        // A wholly locked register refuses any write, its present value included.
        for r in REGISTERS.iter().filter(|r| r.is_writable() && r.name != "CTRL") {
            assert_eq!(r.wholly_locked(), r.fields.iter().all(|f| f.lockable), "{}", r.name);
        }
        assert!(reg("BIST_CTRL").lock_refuses(1, 0, &p) && reg("BIST_CTRL").lock_refuses(0, 0, &p));
        assert!(reg("TIMEOUT").lock_refuses(257, 256, &p) && reg("TIMEOUT").lock_refuses(256, 256, &p));
        assert!(!reg("SCRATCH").wholly_locked() && !reg("SCRATCH").lock_refuses(1, 0, &p));
        let production = BuildParams { injection: false, bist: false, ..p };
        assert_eq!(reg("INJ_CTRL").store_mask_for(&production), 0);
        assert_eq!(reg("BIST_SEED").store_mask_for(&production), 0);
        assert_ne!(reg("SCRATCH").store_mask_for(&production), 0);
    }

    #[test]
    fn counters_are_contiguous() {
        let by_range = REGISTERS.iter().filter(|r| (COUNTER_FIRST..=COUNTER_LAST).contains(&r.addr)).count();
        assert_eq!(counters().count(), by_range, "every register of WORDS_FWD..CYCLES is a counter");
        let names: Vec<_> = counters().map(|r| r.name).collect();
        assert_eq!(names.first(), Some(&"WORDS_FWD"));
        assert_eq!(names.last(), Some(&"CYCLES"));
        assert_eq!(names.len(), (COUNTER_LAST - COUNTER_FIRST + 1) as usize);
    }
}
