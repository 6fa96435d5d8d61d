//! `docs/registers.md` and `docs/registers.csv`, generated from the register table.
//!
//! Regenerate with `cargo run -p ftio-proto --bin ftio-regdoc -- docs/`.

use crate::enums::{Cause, Mode};
use crate::frame::{INTERBYTE_TIMEOUT_BITS, MAX_COUNT};
use crate::regs::{BuildParams, Part, Register, Reset, REGISTERS};
use std::fmt::Write;

/// The command that regenerates the docs.
pub const REGENERATE: &str = "cargo run -p ftio-proto --bin ftio-regdoc -- docs/";

fn csv_quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The register map as CSV: `register,address,access,reset,field,lsb,width,description`, one
/// row per field. `access` is the field's access; `reset` is the register's power-on value
/// (`build` for build parameters); `description` is the field's.
pub fn csv() -> String {
    let mut out = String::from("register,address,access,reset,field,lsb,width,description\n");
    for r in REGISTERS {
        for f in r.fields {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                r.name,
                r.addr,
                f.access.name(),
                reset_csv(r),
                f.name,
                f.lsb,
                f.width,
                csv_quote(f.description)
            )
            .unwrap();
        }
    }
    out
}

fn reset_csv(r: &Register) -> String {
    match r.reset {
        Reset::Value(v) => format!("0x{v:08X}"),
        Reset::Build => "build".into(),
    }
}

fn anchor(r: &Register) -> String {
    r.name.to_ascii_lowercase()
}

/// The register map as Markdown (overview, one section per register, modes, cause codes and
/// the protocol rules the parser follows).
pub fn markdown() -> String {
    let d = BuildParams::default();
    let mut o = String::new();
    writeln!(o, "# ftio registers").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "<!-- Generated from proto/src/regs.rs by `{REGENERATE}`. Do not edit: a test fails when this file is stale. -->").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "The register file is reached over the UART protocol of SPEC §5 (summarised below). Registers are 32 bits,").unwrap();
    writeln!(o, "addressed by index. Bits outside the listed fields read 0 and ignore writes. The same table is in").unwrap();
    writeln!(o, "[`registers.csv`](registers.csv) (one row per field).").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "Access: **RO** read-only (a write answers status 0x03 and writes nothing); **RW** read-write; **W1P**").unwrap();
    writeln!(o, "write-1-pulse (writing 1 triggers the action once; the bit reads 0). Reset is the power-on value, also").unwrap();
    writeln!(o, "taken on the core's synchronous `reset`; `build` means it is set by a build parameter (defaults:").unwrap();
    writeln!(o, "CLOCK_HZ {}, BAUD {}, PARAMS 0x{:08X}). **locked**: once CTRL.lock is set, a write is refused with", d.clock_hz, d.baud, d.params_word()).unwrap();
    writeln!(o, "status 0x05: any write of a register whose fields are all locked, a write of CTRL that would change a").unwrap();
    writeln!(o, "locked field (see [the lock](#the-lock-ctrllock)).").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "## Map").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "| addr | register | access | reset | summary |").unwrap();
    writeln!(o, "|---:|---|---|---|---|").unwrap();
    for r in REGISTERS {
        let summary = r.description.split(". ").next().unwrap_or("").trim_end_matches('.');
        writeln!(
            o,
            "| {} (0x{:02X}) | [{}](#{}) | {} | {} | {} |",
            r.addr,
            r.addr,
            r.name,
            anchor(r),
            r.access.name(),
            r.reset_text(),
            md_cell(summary)
        )
        .unwrap();
    }
    writeln!(o).unwrap();
    writeln!(o, "## Registers").unwrap();
    for r in REGISTERS {
        writeln!(o).unwrap();
        writeln!(o, "### {}", r.name).unwrap();
        writeln!(o).unwrap();
        writeln!(o, "Address {} (0x{:02X}), {}, reset {}.", r.addr, r.addr, r.access.name(), r.reset_text()).unwrap();
        writeln!(o).unwrap();
        writeln!(o, "{}", r.description).unwrap();
        if r.part != Part::Core {
            writeln!(o).unwrap();
            writeln!(o, "Part of {}: a build without it (PARAMS.{} = 0) reads the reset value here and refuses writes with status 0x06.", r.part.name(), if r.part == Part::Injection { "injection" } else { "bist" }).unwrap();
        }
        writeln!(o).unwrap();
        writeln!(o, "| bits | field | access | locked | description |").unwrap();
        writeln!(o, "|---|---|---|---|---|").unwrap();
        for f in r.fields {
            let locked = if f.lockable { "yes" } else { "" };
            writeln!(o, "| {} | `{}` | {} | {} | {} |", f.bits(), f.name, f.access.name(), locked, md_cell(f.description)).unwrap();
        }
    }
    writeln!(o).unwrap();
    writeln!(o, "## Modes (CTRL.mode, STATUS.mode)").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "| code | mode |").unwrap();
    writeln!(o, "|---:|---|").unwrap();
    for m in Mode::ALL {
        writeln!(o, "| {} | {} |", m.code(), m.name()).unwrap();
    }
    writeln!(o, "| 5, 6 | reserved: a write of CTRL with mode 5 or 6 is refused with status 0x03 (nothing written, no command fired); never read |").unwrap();
    writeln!(o, "| 7 | MODE_KEEP: written, leaves the mode unchanged; never read |").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "## Fault cause codes (STATUS.cause, CAP_CAUSE, FAULTS bit n)").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "| code | cause | meaning |").unwrap();
    writeln!(o, "|---:|---|---|").unwrap();
    for c in Cause::ALL {
        writeln!(o, "| {} | {} | {} |", c.code(), c.name(), c.description()).unwrap();
    }
    // The reserved codes: those below the highest cause that no cause has, then the rest.
    let top = Cause::ALL.iter().map(|c| c.code()).max().unwrap_or(0);
    let mut reserved: Vec<String> =
        (1..top).filter(|n| Cause::ALL.iter().all(|c| c.code() != *n)).map(|n| n.to_string()).collect();
    reserved.push(format!("{}-255", top + 1));
    writeln!(o, "| {} | reserved | never raised |", reserved.join(", ")).unwrap();
    writeln!(o).unwrap();
    writeln!(o, "When several faults are detected in the same cycle, the lowest code is the first cause.").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "With CTRL.policy = halt every one of these causes halts the core, in every mode.").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "## First-fault capture per cause (CAP_DATA_A, CAP_DATA_B, CAP_FLAGS)").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "CAP_FLAGS holds the valid, last, abort, par and parity-error bits of the same two words. CAP_WORD is the same for every cause: the words committed toward the disks when the fault was detected (see CAP_WORD).").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "| cause | side A (CAP_DATA_A, CAP_FLAGS.a_*) | side B (CAP_DATA_B, CAP_FLAGS.b_*) |").unwrap();
    writeln!(o, "|---|---|---|").unwrap();
    for c in Cause::ALL.iter().filter(|c| **c != Cause::None) {
        let (a, b) = c.capture();
        writeln!(o, "| {} | {} | {} |", c.name(), a, b).unwrap();
    }
    writeln!(o).unwrap();
    writeln!(o, "## Disk states (STATUS.disk_x_failed, STATUS.disk_x_rebuilding)").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "| failed | rebuilding | state | writes | returns |").unwrap();
    writeln!(o, "|---:|---:|---|---|---|").unwrap();
    for (f, r, state, writes, returns) in [
        (0, 0, "healthy (in sync)", "every mirrored write", "delivered if primary; compared with read-verify"),
        (1, 0, "failed (a fault on its links; stays failed through fault_clear)", "none; its buffered words are discarded", "dropped"),
        (1, 1, "readmitted (CTRL.readmit_x), waiting for a frame boundary of the committed stream", "none yet", "dropped"),
        (0, 1, "rebuilding", "every mirrored write, from a frame boundary on", "dropped: never delivered, never compared, never primary"),
    ] {
        writeln!(o, "| {f} | {r} | {state} | {writes} | {returns} |").unwrap();
    }
    writeln!(o).unwrap();
    writeln!(o, "A rebuilding disk becomes healthy on CTRL.rebuilt_x (at the first cycle both disks' return links are idle between frames); a fault on its links makes it failed again. Only the synchronous reset makes a failed disk healthy without a rebuild.").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "## Protocol rules (SPEC §5 and the choices it leaves open)").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "The reference model of these rules is `ftio_proto::RegisterModel`; the gateware is tested against it.").unwrap();
    writeln!(o).unwrap();
    for line in [
        "Request `A5 | cmd | addr(2) | count | data(4×count, writes only) | crc(2)`; response `5A | status | count | data(4×count, good reads only) | crc(2)`. Big-endian. CRC-16/IBM-3740 (poly 0x1021, init 0xFFFF, no reflection, xorout 0) over every byte after the sync byte, high byte first.",
        "The parser hunts for `A5`; other bytes are ignored.",
        "The frame length follows from `cmd` and `count` alone: a write (0x02) carries 4×count data bytes for any count, 0 to 255; any other command carries none.",
        "A complete frame is checked in the order CRC (0x01), command (0x02), count 1..=16 (0x04), address (0x03); the first failure is answered with count 0 and no data. A bad-CRC frame is never executed.",
        "Address check: every register from `addr` to `addr+count-1` must exist (there are holes in the map) and, for a write, be writable (not RO). Otherwise 0x03 and nothing at all is read or written. Addresses do not wrap past 0xFFFF.",
        "A write is also checked word by word with its address, and the first refusal answers (nothing in the frame is written or fired): 0x03 for a value the register does not define (CTRL.mode 5 or 6), else 0x06 (not built) for a register of a block the build leaves out (PARAMS.injection / PARAMS.bist = 0), else 0x05 (locked) while CTRL.lock is set for any write of a wholly locked register or a write of CTRL that would change a locked field. 0x05 and 0x06 extend SPEC §5's status codes; a read is never refused by them.",
        "A good read answers `count` and the data; a good write answers `count` and no data. A write stores the RW field bits; W1P bits fire once per frame in address order and read 0.",
    ] {
        writeln!(o, "- {line}").unwrap();
    }
    writeln!(
        o,
        "- If more than {INTERBYTE_TIMEOUT_BITS} bit times pass between two bytes of a frame, the frame is dropped without a response and the parser hunts for `A5` again. At most {MAX_COUNT} registers per frame."
    )
    .unwrap();
    writeln!(o, "- Counters: CTRL.cnt_snapshot copies every live counter to the readable registers in one cycle; CTRL.cnt_clear zeroes the live counters only. Both in one write: snapshot, then clear (an atomic read-and-clear).").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "## The lock (CTRL.lock)").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "Like OpenTitan's REGWEN registers: the host configures the core, then writes CTRL with lock = 1. From then until the core's synchronous reset (nothing else clears it; writing 0 leaves it set), these writes are refused whole with status 0x05 and write or fire nothing of the frame: any write of a register marked \"the whole register\" below, whatever it carries (its present value too: the lock compares no values there), and a write of CTRL whose mode is not 7 (MODE_KEEP) or whose lockstep, commit, policy or read_verify bit differs from the value stored (the only comparison the lock makes: CTRL's seven lockable bits). So a write of CTRL that keeps those seven bits is accepted: a fault acknowledgement (CTRL.fault_clear with MODE_KEEP, as `ftctl clear` sends it), the counters' snapshot and clear, the primary disk and the disk readmit/rebuilt commands stay with the host, and so do SCRATCH and reads of everything.").unwrap();
    writeln!(o).unwrap();
    writeln!(o, "| locked | registers and fields |").unwrap();
    writeln!(o, "|---|---|").unwrap();
    for r in REGISTERS.iter().filter(|r| r.fields.iter().any(|f| f.lockable)) {
        let fields: Vec<_> = r.fields.iter().filter(|f| f.lockable).map(|f| format!("`{}`", f.name)).collect();
        let all = r.fields.iter().all(|f| f.lockable);
        writeln!(o, "| {} | {} |", r.name, if all { "the whole register".to_string() } else { fields.join(", ") }).unwrap();
    }
    writeln!(o).unwrap();
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_one_row_per_field() {
        let c = csv();
        let rows: Vec<&str> = c.lines().collect();
        assert_eq!(rows[0], "register,address,access,reset,field,lsb,width,description");
        let nfields: usize = REGISTERS.iter().map(|r| r.fields.len()).sum();
        assert_eq!(rows.len(), 1 + nfields);
        assert!(rows.iter().any(|r| r.starts_with("ID,0,RO,0x4654494F,id,0,32,")));
        assert!(rows.iter().any(|r| r.starts_with("CLOCK_HZ,3,RO,build,clock_hz,0,32,")));
        assert!(rows.iter().any(|r| r.starts_with("CTRL,8,W1P,0x00000000,fault_clear,8,1,")));
    }

    #[test]
    fn markdown_names_every_register_and_field() {
        let m = markdown();
        for r in REGISTERS {
            assert!(m.contains(&format!("### {}", r.name)));
            for f in r.fields {
                assert!(m.contains(&format!("`{}`", f.name)), "{}.{}", r.name, f.name);
            }
        }
    }
}
