//! The core's registered configuration (SPEC §5 CTRL and OFFSET as the core applies them),
//! the halt policy's mode command, and, in the hardened build, their shadow check.
//!
//! The register file's control fields and host-command pulses are registered here: a write
//! takes effect one cycle later, which nothing can see, and every field of one write takes
//! effect in the same cycle (a write that changes the lockstep kind, OFFSET or the policy
//! together with the mode is applied with the mode pulse). The registered pulses reach the
//! ports' `ready` and wide enables from a flop.
//!
//! The halt policy (SPEC §4): with CTRL.policy = halt, any fault cause halts the core the
//! cycle after (`halt_req_q`), as a host write of HALTED would; a stopped hardened core
//! (`stop`) requests HALTED whatever the policy. `lockstep.mode_set`/`mode_value` are the mode
//! command the lockstep takes: the host's write or the halt request. `lockstep.to_strict`
//! (a host write into strict DUPLEX, which overrides CPU B's `ready`) is the AND of three
//! flops: `duplex_set_q` (the host's write of DUPLEX, decoded a cycle early from the write as
//! it lands, so in step with `mode_set_q`), no halt request, and CTRL.lockstep as stored —
//! no mode decode between the registered write and CPU B's `ready` (issue 26, the Cu at
//! 75 MHz).
//!
//! Hardened build: the flops above are checked by a [`ShadowCheck`]; `shadow_bad` is high
//! in the cycle one of them, or a shadow bit, was flipped (a flipped OFFSET or a spurious mode
//! write is an internal fault). The flops are packed for the check at the positions of
//! [`pack`].
use crate::disk_side::DiskConfigDrive;
use crate::fabric::mode;
use crate::fabric::FabricConfigDrive;
use crate::lockstep::LockstepConfigDrive;
use crate::regfile::CtrlRegs;
use crate::shadow::ShadowCheck;
use rust_hdl::prelude::*;

/// Where each configuration flop sits in the word [`ShadowCheck`] checks (LSB first; bits 29
/// to 31 are zero). Neighbours share code bits, so the order only decides which flops share.
pub mod pack {
    /// OFFSET, 16 bits.
    pub const OFFSET: u64 = 0;
    /// CTRL.mode as written, 3 bits.
    pub const MODE_VALUE: u64 = 16;
    pub const MODE_SET: u64 = 19;
    pub const FAULT_CLEAR: u64 = 20;
    pub const CNT_CLEAR: u64 = 21;
    pub const STRICT: u64 = 22;
    pub const SAF: u64 = 23;
    pub const POLICY_HALT: u64 = 24;
    pub const READ_VERIFY: u64 = 25;
    pub const PRIMARY: u64 = 26;
    pub const HALT_REQ: u64 = 27;
    pub const DUPLEX_SET: u64 = 28;
}

fn at(position: u64) -> Constant<Bits<5>> {
    Constant::new(position.to_bits())
}

#[derive(LogicBlock)]
pub struct CoreConfig {
    /// Core clock.
    pub clock: Signal<In, Clock>,
    /// CTRL and OFFSET as the register file has them this cycle (generated from the register
    /// table, `hdl/build.rs`; named as the register file names them: CTRL.mode's write is
    /// `ctrl_mode_set`). CTRL.mode reads `mode_now`.
    pub regs: CtrlRegs,
    /// The mode the core is in now (the lockstep's), which CTRL.mode reads.
    pub mode_now: Signal<In, Bits<3>>,
    /// To disk A's side: DISK_TIMEOUT, and CTRL.readmit_a, rebuilt_a as they land (the disk
    /// sides act on them at a frame boundary).
    pub disk_a: DiskConfigDrive,
    /// To disk B's side.
    pub disk_b: DiskConfigDrive,
    /// A fault cause this cycle (any bit of the fault log's `causes`).
    pub fault: Signal<In, Bit>,
    /// Hardened build: the core is stopped by an internal fault.
    pub stop: Signal<In, Bit>,
    /// The host's mode write, registered (without the halt request).
    pub host_mode_set: Signal<Out, Bit>,
    /// To the lockstep: the mode command (the host's write, or HALTED on a halt request), the
    /// registered lockstep kind, CTRL.lockstep as stored (in step with the mode command),
    /// the policy (halt), OFFSET and TIMEOUT.
    pub lockstep: LockstepConfigDrive,
    /// To the fabric: the registered primary, read_verify, lockstep kind and OFFSET,
    /// DISK_TIMEOUT, and the fault clear (which puts a diverged secondary back in step).
    pub fabric: FabricConfigDrive,
    /// The registered pulses and controls others use: CTRL.fault_clear, cnt_clear,
    /// lockstep = strict, commit = store-and-forward; OFFSET.
    pub fault_clear: Signal<Out, Bit>,
    pub cnt_clear: Signal<Out, Bit>,
    pub strict: Signal<Out, Bit>,
    pub saf: Signal<Out, Bit>,
    pub offset_now: Signal<Out, Bits<16>>,
    /// Hardened build: a configuration flop or its shadow was flipped (see [`ShadowCheck`]).
    pub shadow_bad: Signal<Out, Bit>,
    mode_set_q: DFF<Bit>,
    mode_value_q: DFF<Bits<3>>,
    fault_clear_q: DFF<Bit>,
    cnt_clear_q: DFF<Bit>,
    strict_q: DFF<Bit>,
    saf_q: DFF<Bit>,
    policy_halt_q: DFF<Bit>,
    read_verify_q: DFF<Bit>,
    primary_q: DFF<Bit>,
    offset_q: DFF<Bits<16>>,
    halt_req_q: DFF<Bit>,
    /// The host writes CTRL.mode = DUPLEX (with `mode_set_q`; `mode_value_q` == DUPLEX).
    duplex_set_q: DFF<Bit>,
    /// The shadow of all the flops above, packed as [`pack`] says.
    shadow: ShadowCheck<32>,
    m_halted: Constant<Bits<3>>,
    at_mode_value: Constant<Bits<5>>,
    at_mode_set: Constant<Bits<5>>,
    at_fault_clear: Constant<Bits<5>>,
    at_cnt_clear: Constant<Bits<5>>,
    at_strict: Constant<Bits<5>>,
    at_saf: Constant<Bits<5>>,
    at_policy_halt: Constant<Bits<5>>,
    at_read_verify: Constant<Bits<5>>,
    at_primary: Constant<Bits<5>>,
    at_halt_req: Constant<Bits<5>>,
    at_duplex_set: Constant<Bits<5>>,
    m_duplex: Constant<Bits<3>>,
}

impl CoreConfig {
    /// The configuration; with `harden` its flops are shadow-checked.
    pub fn hardened(harden: bool) -> Self {
        assert_eq!(pack::OFFSET, 0, "OFFSET is packed unshifted");
        Self {
            clock: Default::default(),
            regs: Default::default(),
            mode_now: Default::default(),
            disk_a: Default::default(),
            disk_b: Default::default(),
            fault: Default::default(),
            stop: Default::default(),
            host_mode_set: Default::default(),
            lockstep: Default::default(),
            fabric: Default::default(),
            fault_clear: Default::default(),
            cnt_clear: Default::default(),
            strict: Default::default(),
            saf: Default::default(),
            offset_now: Default::default(),
            shadow_bad: Default::default(),
            mode_set_q: Default::default(),
            mode_value_q: Default::default(),
            fault_clear_q: Default::default(),
            cnt_clear_q: Default::default(),
            strict_q: Default::default(),
            saf_q: Default::default(),
            policy_halt_q: Default::default(),
            read_verify_q: Default::default(),
            primary_q: Default::default(),
            offset_q: Default::default(),
            halt_req_q: Default::default(),
            duplex_set_q: Default::default(),
            shadow: ShadowCheck::hardened(harden),
            m_halted: Constant::new(mode::HALTED.to_bits()),
            at_mode_value: at(pack::MODE_VALUE),
            at_mode_set: at(pack::MODE_SET),
            at_fault_clear: at(pack::FAULT_CLEAR),
            at_cnt_clear: at(pack::CNT_CLEAR),
            at_strict: at(pack::STRICT),
            at_saf: at(pack::SAF),
            at_policy_halt: at(pack::POLICY_HALT),
            at_read_verify: at(pack::READ_VERIFY),
            at_primary: at(pack::PRIMARY),
            at_halt_req: at(pack::HALT_REQ),
            at_duplex_set: at(pack::DUPLEX_SET),
            m_duplex: Constant::new(mode::DUPLEX.to_bits()),
        }
    }
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl Logic for CoreConfig {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, mode_set_q, mode_value_q, fault_clear_q, cnt_clear_q, strict_q, saf_q);
        dff_setup!(self, clock, policy_halt_q, read_verify_q, primary_q, offset_q, halt_req_q, duplex_set_q);
        clock!(self, clock, shadow);
        self.mode_set_q.d.next = self.regs.ctrl_mode_set.val();
        self.mode_value_q.d.next = self.regs.ctrl_mode_value.val();
        self.duplex_set_q.d.next = self.regs.ctrl_mode_set.val() & (self.regs.ctrl_mode_value.val() == self.m_duplex.val());
        self.fault_clear_q.d.next = self.regs.ctrl_fault_clear.val();
        self.cnt_clear_q.d.next = self.regs.ctrl_cnt_clear.val();
        self.strict_q.d.next = self.regs.ctrl_lockstep.val();
        self.saf_q.d.next = self.regs.ctrl_commit.val();
        self.policy_halt_q.d.next = self.regs.ctrl_policy.val();
        self.read_verify_q.d.next = self.regs.ctrl_read_verify.val();
        self.primary_q.d.next = self.regs.ctrl_primary.val();
        self.offset_q.d.next = self.regs.offset.val();
        // What passes through: CTRL.mode reads the mode now; the lockstep kind as stored, and
        // the disks' pulses, unregistered.
        self.regs.ctrl_mode_now.next = self.mode_now.val();
        self.disk_a.readmit.next = self.regs.ctrl_readmit_a.val();
        self.disk_b.readmit.next = self.regs.ctrl_readmit_b.val();
        self.disk_a.rebuilt.next = self.regs.ctrl_rebuilt_a.val();
        self.disk_b.rebuilt.next = self.regs.ctrl_rebuilt_b.val();
        self.halt_req_q.d.next = (self.policy_halt_q.q.val() & self.fault.val()) | self.stop.val();

        self.host_mode_set.next = self.mode_set_q.q.val();
        self.lockstep.mode_set.next = self.mode_set_q.q.val() | self.halt_req_q.q.val();
        self.lockstep.mode_value.next = self.mode_value_q.q.val();
        if self.halt_req_q.q.val() {
            self.lockstep.mode_value.next = self.m_halted.val();
        }
        self.lockstep.strict.next = self.strict_q.q.val();
        // A host write into strict DUPLEX: as `mode_set & mode_value == DUPLEX & CTRL.lockstep`
        // of the command above (a halt request writes HALTED), from three flops.
        self.lockstep.to_strict.next = self.duplex_set_q.q.val() & !self.halt_req_q.q.val() & self.regs.ctrl_lockstep.val();
        self.lockstep.policy_halt.next = self.policy_halt_q.q.val();
        self.lockstep.offset.next = self.offset_q.q.val();
        self.lockstep.timeout.next = self.regs.timeout.val();
        self.fabric.primary.next = self.primary_q.q.val();
        self.fabric.read_verify.next = self.read_verify_q.q.val();
        self.fabric.strict.next = self.strict_q.q.val();
        self.fabric.offset.next = self.offset_q.q.val();
        self.fabric.disk_timeout.next = self.regs.disk_timeout.val();
        self.fabric.resync.next = self.fault_clear_q.q.val();
        self.fault_clear.next = self.fault_clear_q.q.val();
        self.cnt_clear.next = self.cnt_clear_q.q.val();
        self.strict.next = self.strict_q.q.val();
        self.saf.next = self.saf_q.q.val();
        self.offset_now.next = self.offset_q.q.val();
        self.disk_a.timeout.next = self.regs.disk_timeout.val();
        self.disk_b.timeout.next = self.regs.disk_timeout.val();

        // The shadow check: every flop above as it is, and as it will be after the edge.
        self.shadow.checked_q.next = bit_cast::<32, 16>(self.offset_q.q.val())
            | (bit_cast::<32, 3>(self.mode_value_q.q.val()) << self.at_mode_value.val())
            | (bit_cast::<32, 1>(self.mode_set_q.q.val().into()) << self.at_mode_set.val())
            | (bit_cast::<32, 1>(self.fault_clear_q.q.val().into()) << self.at_fault_clear.val())
            | (bit_cast::<32, 1>(self.cnt_clear_q.q.val().into()) << self.at_cnt_clear.val())
            | (bit_cast::<32, 1>(self.strict_q.q.val().into()) << self.at_strict.val())
            | (bit_cast::<32, 1>(self.saf_q.q.val().into()) << self.at_saf.val())
            | (bit_cast::<32, 1>(self.policy_halt_q.q.val().into()) << self.at_policy_halt.val())
            | (bit_cast::<32, 1>(self.read_verify_q.q.val().into()) << self.at_read_verify.val())
            | (bit_cast::<32, 1>(self.primary_q.q.val().into()) << self.at_primary.val())
            | (bit_cast::<32, 1>(self.halt_req_q.q.val().into()) << self.at_halt_req.val())
            | (bit_cast::<32, 1>(self.duplex_set_q.q.val().into()) << self.at_duplex_set.val());
        self.shadow.checked_d.next = bit_cast::<32, 16>(self.offset_q.d.val())
            | (bit_cast::<32, 3>(self.mode_value_q.d.val()) << self.at_mode_value.val())
            | (bit_cast::<32, 1>(self.mode_set_q.d.val().into()) << self.at_mode_set.val())
            | (bit_cast::<32, 1>(self.fault_clear_q.d.val().into()) << self.at_fault_clear.val())
            | (bit_cast::<32, 1>(self.cnt_clear_q.d.val().into()) << self.at_cnt_clear.val())
            | (bit_cast::<32, 1>(self.strict_q.d.val().into()) << self.at_strict.val())
            | (bit_cast::<32, 1>(self.saf_q.d.val().into()) << self.at_saf.val())
            | (bit_cast::<32, 1>(self.policy_halt_q.d.val().into()) << self.at_policy_halt.val())
            | (bit_cast::<32, 1>(self.read_verify_q.d.val().into()) << self.at_read_verify.val())
            | (bit_cast::<32, 1>(self.primary_q.d.val().into()) << self.at_primary.val())
            | (bit_cast::<32, 1>(self.halt_req_q.d.val().into()) << self.at_halt_req.val())
            | (bit_cast::<32, 1>(self.duplex_set_q.d.val().into()) << self.at_duplex_set.val());
        self.shadow_bad.next = self.shadow.bad.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shadow::shadow_code;
    use crate::testbench::{edge, low};

    fn config(harden: bool) -> CoreConfig {
        let mut c = CoreConfig::hardened(harden);
        c.connect_all();
        c
    }

    #[test]
    fn core_config_synthesizes() {
        yosys_validate("ftio_core_config", &generate_verilog(&config(true))).unwrap();
    }

    /// `lockstep.to_strict` (from flops) is `mode_set & mode_value == DUPLEX & strict_set` of
    /// the mode command as it was decoded before: high in the cycle of a host write of strict
    /// DUPLEX only, low for an elastic or another mode's write, low when a halt request lands
    /// with the write (the command is HALTED then).
    #[test]
    fn to_strict_is_the_mode_command_s_write_into_strict_duplex() {
        for (value, strict, fault) in [(0u64, true, false), (0, false, false), (1, true, false), (3, true, false), (0, true, true)] {
            let mut c = config(false);
            c.regs.ctrl_policy.next = true;
            low(&mut c, |c| &mut c.clock);
            edge(&mut c, |c| &mut c.clock);
            c.regs.ctrl_mode_set.next = true;
            c.regs.ctrl_mode_value.next = value.into();
            c.fault.next = fault;
            low(&mut c, |c| &mut c.clock);
            assert!(!c.lockstep.to_strict.val());
            edge(&mut c, |c| &mut c.clock);
            // The register file stores CTRL.lockstep with the write: it reads so from this cycle.
            c.regs.ctrl_lockstep.next = strict;
            c.regs.ctrl_mode_set.next = false;
            c.fault.next = false;
            low(&mut c, |c| &mut c.clock);
            let command = c.lockstep.mode_set.val() && c.lockstep.mode_value.val().to_u64() == mode::DUPLEX && strict;
            assert_eq!(c.lockstep.to_strict.val(), command, "value {value} strict {strict} fault {fault}");
            assert_eq!(c.lockstep.to_strict.val(), value == 0 && strict && !fault);
            edge(&mut c, |c| &mut c.clock);
            low(&mut c, |c| &mut c.clock);
            assert!(!c.lockstep.to_strict.val(), "one cycle");
        }
    }

    /// A write is applied one cycle later, every field together; a fault under the halt
    /// policy (or a stop) commands HALTED the cycle after; the hardened shadow stores the code
    /// of the flops packed as `pack` says, and flags a flipped flop.
    #[test]
    fn the_configuration_is_registered_and_shadowed() {
        let mut c = config(true);
        c.regs.ctrl_mode_set.next = true;
        c.regs.ctrl_mode_value.next = 2.into();
        c.regs.ctrl_lockstep.next = true;
        c.regs.ctrl_policy.next = true;
        c.regs.offset.next = 0x00A5.into();
        low(&mut c, |c| &mut c.clock);
        assert!(!c.lockstep.mode_set.val() && !c.strict.val() && c.offset_now.val() == 0, "not before the edge");
        edge(&mut c, |c| &mut c.clock);
        c.regs.ctrl_mode_set.next = false;
        low(&mut c, |c| &mut c.clock);
        assert!(c.lockstep.mode_set.val() && c.host_mode_set.val() && c.strict.val() && c.lockstep.policy_halt.val());
        assert_eq!(c.lockstep.mode_value.val().to_u64(), 2);
        assert!(!c.lockstep.to_strict.val(), "a write of SIMPLEX_B is no write into strict DUPLEX");
        assert_eq!(c.offset_now.val().to_u64(), 0xA5);
        assert!(!c.shadow_bad.val());
        let packed = 0xA5
            | 2 << pack::MODE_VALUE
            | 1 << pack::MODE_SET
            | 1 << pack::STRICT
            | 1 << pack::POLICY_HALT;
        assert_eq!(c.shadow.code.q.val().to_u64(), shadow_code(packed) & 0xFFFF_FFFF);
        // A fault under the halt policy: HALTED is commanded the cycle after.
        edge(&mut c, |c| &mut c.clock);
        low(&mut c, |c| &mut c.clock);
        assert!(!c.lockstep.mode_set.val() && c.strict.val(), "a pulse lasts one cycle, a control stays");
        c.fault.next = true;
        low(&mut c, |c| &mut c.clock);
        assert!(!c.lockstep.mode_set.val(), "the request is registered");
        edge(&mut c, |c| &mut c.clock);
        c.fault.next = false;
        low(&mut c, |c| &mut c.clock);
        assert!(c.lockstep.mode_set.val() && !c.host_mode_set.val());
        assert_eq!(c.lockstep.mode_value.val(), c.m_halted.val());
        edge(&mut c, |c| &mut c.clock);
        low(&mut c, |c| &mut c.clock);
        assert!(!c.lockstep.mode_set.val(), "one request per fault");
        assert!(!c.shadow_bad.val());
        // An upset in OFFSET.
        c.offset_q.q.next = c.offset_q.q.val() ^ 0x100;
        low(&mut c, |c| &mut c.clock);
        assert!(c.shadow_bad.val(), "a flipped OFFSET bit");
    }
}
