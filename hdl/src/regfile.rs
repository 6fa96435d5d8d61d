//! The register file of SPEC §5, generated from the one register table in `ftio-proto`.
//!
//! `hdl/build.rs` walks `ftio_proto::REGISTERS` and writes the block (`RegFile`): one port
//! per field, named `register_field` (or the field's name where it names its register:
//! `WORDS_FWD` is `words_fwd`), typed by its width and directed by the field's `hw` (status and
//! counters in, controls, pulses and commands out); one read-mux arm, write arm, snapshot and
//! reset per register. The core reads and drives fields by name. `regfile_matches_the_table`
//! walks the table and checks each register answers as the table says (the same table
//! generates `docs/registers.md` and drives `ftctl`).
//!
//! Semantics (as `ftio_proto::RegisterModel`): a write stores only the stored fields' bits;
//! write-1-pulse bits fire once and read 0; CTRL.mode (a command field) reads the mode the core
//! is in now and a written mode of 7 (MODE_KEEP) leaves it alone; counters read the snapshot
//! taken by CTRL.cnt_snapshot (taken before a cnt_clear in the same write).
use ftio_proto::{reg, Access, BuildParams, Hw, Part, REGISTERS};
use rust_hdl::prelude::*;
use rust_hdl::widgets::prelude::DFFWithInit;

/// The register bus, on the side that drives it: the [`crate::cmd_parser::CmdParser`] and the
/// [`crate::uart_bridge::UartBridge`] around it (which links its own to the parser's). The
/// core joins it to the register file's [`RegPort`]. The answers (`rdata`, `readable`,
/// `writable`, `write_refusal`) are of `addr` and `wdata` as they are now, except `rdata`,
/// which shows the register two cycles after its address.
#[derive(LogicInterface, Default, Clone)]
#[join = "RegPort"]
pub struct RegBus {
    /// Register index.
    pub addr: Signal<Out, Bits<16>>,
    /// Data to write.
    pub wdata: Signal<Out, Bits<32>>,
    /// Write `wdata` to `addr` this cycle (ignored unless `writable`).
    pub we: Signal<Out, Bit>,
    /// The register at `addr` of two cycles before (the read mux starts and ends in flops).
    pub rdata: Signal<In, Bits<32>>,
    /// `addr` is a register.
    pub readable: Signal<In, Bit>,
    /// `addr` is a writable register.
    pub writable: Signal<In, Bit>,
    /// The status a write of `wdata` to `addr` is refused with, 0 if none: 0x03 a value the
    /// register does not define, 0x06 a block the build leaves out, 0x05 locked (CTRL.lock),
    /// as `ftio_proto::write_refusal`. The parser refuses the whole frame with it.
    pub write_refusal: Signal<In, Bits<3>>,
}

/// The register file's side of the [`RegBus`].
#[derive(LogicInterface, Default, Clone)]
#[join = "RegBus"]
pub struct RegPort {
    /// Register index.
    pub addr: Signal<In, Bits<16>>,
    /// Data to write.
    pub wdata: Signal<In, Bits<32>>,
    /// Write `wdata` to `addr` this cycle.
    pub we: Signal<In, Bit>,
    /// The register at `addr` of two cycles before.
    pub rdata: Signal<Out, Bits<32>>,
    /// `addr` is a register.
    pub readable: Signal<Out, Bit>,
    /// `addr` is a writable register.
    pub writable: Signal<Out, Bit>,
    /// The status a write of `wdata` to `addr` is refused with (see [`RegBus::write_refusal`]).
    pub write_refusal: Signal<Out, Bits<3>>,
}

fn addr(name: &str) -> Constant<Bits<16>> {
    Constant::new((reg(name).addr as u64).to_bits())
}

/// The bits a write stores in a core built with `params`: the stored (control) fields'
/// (counter-wide fields keep PARAMS.counter_width bits: the flops above are constant and
/// synthesis drops them; a command field is not stored).
fn store_mask(name: &str, params: &BuildParams) -> Constant<Bits<32>> {
    let r = reg(name);
    let commands = r.fields.iter().filter(|f| matches!(f.hw, Hw::Command { .. })).fold(0, |m, f| m | f.mask());
    Constant::new(((r.store_mask_for(params) & !commands) as u64).to_bits())
}

/// The bits of a register whose change CTRL.lock refuses and that are compared with the
/// stored word: lockable stored fields (only the bits a core built with `params` has: a
/// write of the others changes nothing) and lockable pulse bits.
fn lock_mask(name: &str, params: &BuildParams) -> Constant<Bits<32>> {
    let r = reg(name);
    let m = r
        .fields
        .iter()
        .filter(|f| f.lockable)
        .fold(0, |m, f| match f.hw {
            Hw::Control | Hw::ControlHwClear => m | f.built_mask(params),
            Hw::Pulse => m | f.mask(),
            _ => m,
        });
    Constant::new((m as u64).to_bits())
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

include!(concat!(env!("OUT_DIR"), "/regfile_gen.rs"));

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
        r.bus.addr.next = (addr as u64).into();
        r.bus.we.next = false;
        low(r, |r| &mut r.clock);
        let readable = r.bus.readable.val();
        // `rdata` shows the register two cycles after its address.
        for _ in 0..2 {
            edge(r, |r| &mut r.clock);
            low(r, |r| &mut r.clock);
        }
        readable.then(|| r.bus.rdata.val().to_u32())
    }

    fn write(r: &mut RegFile, addr: u16, value: u32) -> bool {
        r.bus.addr.next = (addr as u64).into();
        r.bus.wdata.next = (value as u64).into();
        r.bus.we.next = true;
        low(r, |r| &mut r.clock);
        let ok = r.bus.writable.val();
        edge(r, |r| &mut r.clock);
        r.bus.we.next = false;
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
                None => assert!(!r.bus.readable.val() && !r.bus.writable.val(), "{addr} is not a register"),
                Some(reg) => {
                    assert_eq!(r.bus.writable.val(), reg.access != Access::RO, "{} writable", reg.name);
                }
            }
        }
        for reg in REGISTERS.iter().filter(|g| g.access != Access::RO) {
            // All ones (MODE_KEEP's 7 leaves the mode alone, as ftctl writes it) but CTRL.lock,
            // which would make the model refuse the rest (the lock has a test of its own).
            let ones = !reg.fields.iter().filter(|f| f.hw == Hw::Lock).fold(0, |m, f| m | f.mask());
            assert!(write(&mut r, reg.addr, ones));
            model.execute(ftio_proto::CMD_WRITE, reg.addr, 1, &[ones]);
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

    /// The status the register file refuses a write with (`write_refusal`), for every writable
    /// register and words that change each lockable field or keep it, unlocked and locked,
    /// in a full and a production build: as `ftio_proto::write_refusal` says. CTRL.lock is set
    /// by a 1, kept by a 0, and cleared only by reset.
    #[test]
    fn refusals_match_the_model_locked_or_not_and_in_a_production_build() {
        let full = BuildParams::default();
        let production = BuildParams { injection: false, bist: false, counter_width: 16, ..full };
        for params in [full, production] {
            let mut r = RegFile::new(&params);
            r.connect_all();
            let ctrl = reg("CTRL");
            let lock = ctrl.f("lock");
            // Configure something to compare against: strict, halt policy; OFFSET 3.
            write(&mut r, ctrl.addr, 0x28 | 7);
            write(&mut r, reg("OFFSET").addr, 3);
            let mut checked = 0;
            for locked in [false, true] {
                if locked {
                    write(&mut r, ctrl.addr, lock.insert(0x28 | 7, 1));
                    write(&mut r, ctrl.addr, 0x28 | 7); // a 0 leaves the lock set
                    assert_eq!(read(&mut r, ctrl.addr).map(|v| lock.get(v)), Some(1), "locked");
                }
                for g in REGISTERS.iter().filter(|g| g.is_writable()) {
                    let stored = read(&mut r, g.addr).unwrap();
                    let mut words = vec![0, u32::MAX, stored, stored | 7, stored ^ 0x1_0001, 0x8000_0000];
                    for f in g.fields {
                        words.push(f.insert(stored, f.get(stored) ^ 1));
                        if let Hw::Command { refused } = f.hw {
                            words.extend(refused.iter().map(|&v| f.insert(stored, v)));
                            words.push(f.insert(stored, f.max()));
                        }
                    }
                    for w in words {
                        r.bus.addr.next = (g.addr as u64).into();
                        r.bus.wdata.next = (w as u64).into();
                        r.bus.we.next = false;
                        low(&mut r, |r| &mut r.clock);
                        let expect = ftio_proto::write_refusal(g, w, stored, locked, &params).map_or(0, |s| s.code() as u32);
                        assert_eq!(r.bus.write_refusal.val().to_u32(), expect, "{} <- {w:#010x} (holds {stored:#010x}), locked {locked}, {params:?}", g.name);
                        checked += 1;
                    }
                }
            }
            assert!(checked > 100);
            r.reset.next = true;
            low(&mut r, |r| &mut r.clock);
            edge(&mut r, |r| &mut r.clock);
            r.reset.next = false;
            assert_eq!(read(&mut r, ctrl.addr).map(|v| lock.get(v)), Some(0), "reset unlocks");
        }
    }

    /// A production build's injection and BIST registers read their reset values whatever
    /// reaches their write port (the parser never lets a write through: 0x06), so their flops
    /// are constants synthesis removes, and their pulses never fire.
    #[test]
    fn registers_of_a_block_not_built_hold_their_reset_values() {
        let params = BuildParams { injection: false, bist: false, ..BuildParams::default() };
        let mut r = RegFile::new(&params);
        r.connect_all();
        for g in REGISTERS.iter().filter(|g| g.part != Part::Core) {
            if g.is_writable() {
                r.bus.addr.next = (g.addr as u64).into();
                r.bus.wdata.next = (u32::MAX as u64).into();
                r.bus.we.next = true;
                low(&mut r, |r| &mut r.clock);
                assert!(!r.bist.bist_ctrl_start.val() && !r.bist.bist_ctrl_abort.val(), "{}: no pulse", g.name);
                edge(&mut r, |r| &mut r.clock);
                r.bus.we.next = false;
            }
            assert_eq!(read(&mut r, g.addr), Some(g.reset_value(&params)), "{}", g.name);
        }
    }

    #[test]
    fn ctrl_mode_pulses_and_mode_keep() {
        let mut r = regfile();
        r.ctrl.ctrl_mode_now.next = 2u64.into();
        let ctrl = reg("CTRL").addr;
        assert_eq!(read(&mut r, ctrl).unwrap() & 7, 2, "CTRL.mode reads the mode now");
        r.bus.addr.next = (ctrl as u64).into();
        r.bus.wdata.next = (0x107u64).into();
        r.bus.we.next = true;
        low(&mut r, |r| &mut r.clock);
        assert!(!r.ctrl.ctrl_mode_set.val(), "MODE_KEEP leaves the mode alone");
        assert!(r.ctrl.ctrl_fault_clear.val());
        r.bus.wdata.next = (0x203u64).into();
        low(&mut r, |r| &mut r.clock);
        assert!(r.ctrl.ctrl_mode_set.val() && r.ctrl.ctrl_mode_value.val().to_u32() == 3);
        assert!(r.ctrl.ctrl_cnt_snapshot.val() && !r.ctrl.ctrl_fault_clear.val() && !r.ctrl.ctrl_cnt_clear.val());
    }

    #[test]
    fn counters_read_the_snapshot_taken_at_once() {
        let mut r = regfile();
        r.counters.words_fwd.next = 10u64.into();
        r.status.cycles.next = 99u64.into();
        let words = reg("WORDS_FWD").addr;
        assert_eq!(read(&mut r, words), Some(0));
        write(&mut r, reg("CTRL").addr, 0x207);
        r.counters.words_fwd.next = 11u64.into();
        assert_eq!(read(&mut r, words), Some(10));
        assert_eq!(read(&mut r, reg("CYCLES").addr), Some(99));
    }

    #[test]
    fn injection_fired_clears_arm() {
        let mut r = regfile();
        let inj = reg("INJ_CTRL").addr;
        write(&mut r, inj, 0x8000_0015);
        assert_eq!(read(&mut r, inj).unwrap() >> 31, 1);
        r.inj.inj_ctrl_arm_clear.next = true;
        low(&mut r, |r| &mut r.clock);
        edge(&mut r, |r| &mut r.clock);
        r.inj.inj_ctrl_arm_clear.next = false;
        assert_eq!(read(&mut r, inj), Some(0x15));
    }
}
