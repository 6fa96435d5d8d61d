//! The fault causes of one cycle, packed by name: bit n of `causes` is cause code n of
//! `ftio_proto::Cause` (SPEC §5 FAULTS), as the fault log and the first-fault capture take
//! them. Each detector's pulse goes in on the port named after its cause; the bit it lands
//! on is `Cause::code()`, so no position is written twice.
use ftio_proto::Cause;
use rust_hdl::prelude::*;

fn at(cause: Cause) -> Constant<Bits<4>> {
    Constant::new((cause.code() as u64).to_bits())
}

#[derive(LogicBlock)]
pub struct FaultCauses {
    /// One pulse per cause, named as `ftio_proto::Cause` names it.
    pub cpu_a_parity: Signal<In, Bit>,
    pub cpu_b_parity: Signal<In, Bit>,
    pub mismatch: Signal<In, Bit>,
    pub cpu_a_timeout: Signal<In, Bit>,
    pub cpu_b_timeout: Signal<In, Bit>,
    pub disk_a_parity: Signal<In, Bit>,
    pub disk_b_parity: Signal<In, Bit>,
    pub disk_a_timeout: Signal<In, Bit>,
    pub disk_b_timeout: Signal<In, Bit>,
    pub disk_divergence: Signal<In, Bit>,
    pub egress_parity: Signal<In, Bit>,
    pub frame_too_long: Signal<In, Bit>,
    pub internal: Signal<In, Bit>,
    /// Bit n: cause code n this cycle.
    pub causes: Signal<Out, Bits<16>>,
    /// Any cause this cycle.
    pub any: Signal<Out, Bit>,
    at_cpu_a_parity: Constant<Bits<4>>,
    at_cpu_b_parity: Constant<Bits<4>>,
    at_mismatch: Constant<Bits<4>>,
    at_cpu_a_timeout: Constant<Bits<4>>,
    at_cpu_b_timeout: Constant<Bits<4>>,
    at_disk_a_parity: Constant<Bits<4>>,
    at_disk_b_parity: Constant<Bits<4>>,
    at_disk_a_timeout: Constant<Bits<4>>,
    at_disk_b_timeout: Constant<Bits<4>>,
    at_disk_divergence: Constant<Bits<4>>,
    at_egress_parity: Constant<Bits<4>>,
    at_frame_too_long: Constant<Bits<4>>,
    at_internal: Constant<Bits<4>>,
}

impl Default for FaultCauses {
    fn default() -> Self {
        Self {
            cpu_a_parity: Default::default(),
            cpu_b_parity: Default::default(),
            mismatch: Default::default(),
            cpu_a_timeout: Default::default(),
            cpu_b_timeout: Default::default(),
            disk_a_parity: Default::default(),
            disk_b_parity: Default::default(),
            disk_a_timeout: Default::default(),
            disk_b_timeout: Default::default(),
            disk_divergence: Default::default(),
            egress_parity: Default::default(),
            frame_too_long: Default::default(),
            internal: Default::default(),
            causes: Default::default(),
            any: Default::default(),
            at_cpu_a_parity: at(Cause::CpuAParity),
            at_cpu_b_parity: at(Cause::CpuBParity),
            at_mismatch: at(Cause::Mismatch),
            at_cpu_a_timeout: at(Cause::CpuATimeout),
            at_cpu_b_timeout: at(Cause::CpuBTimeout),
            at_disk_a_parity: at(Cause::DiskAParity),
            at_disk_b_parity: at(Cause::DiskBParity),
            at_disk_a_timeout: at(Cause::DiskATimeout),
            at_disk_b_timeout: at(Cause::DiskBTimeout),
            at_disk_divergence: at(Cause::DiskDivergence),
            at_egress_parity: at(Cause::EgressParity),
            at_frame_too_long: at(Cause::FrameTooLong),
            at_internal: at(Cause::Internal),
        }
    }
}

impl Logic for FaultCauses {
    #[hdl_gen]
    fn update(&mut self) {
        self.causes.next = (bit_cast::<16, 1>(self.cpu_a_parity.val().into()) << self.at_cpu_a_parity.val())
            | (bit_cast::<16, 1>(self.cpu_b_parity.val().into()) << self.at_cpu_b_parity.val())
            | (bit_cast::<16, 1>(self.mismatch.val().into()) << self.at_mismatch.val())
            | (bit_cast::<16, 1>(self.cpu_a_timeout.val().into()) << self.at_cpu_a_timeout.val())
            | (bit_cast::<16, 1>(self.cpu_b_timeout.val().into()) << self.at_cpu_b_timeout.val())
            | (bit_cast::<16, 1>(self.disk_a_parity.val().into()) << self.at_disk_a_parity.val())
            | (bit_cast::<16, 1>(self.disk_b_parity.val().into()) << self.at_disk_b_parity.val())
            | (bit_cast::<16, 1>(self.disk_a_timeout.val().into()) << self.at_disk_a_timeout.val())
            | (bit_cast::<16, 1>(self.disk_b_timeout.val().into()) << self.at_disk_b_timeout.val())
            | (bit_cast::<16, 1>(self.disk_divergence.val().into()) << self.at_disk_divergence.val())
            | (bit_cast::<16, 1>(self.egress_parity.val().into()) << self.at_egress_parity.val())
            | (bit_cast::<16, 1>(self.frame_too_long.val().into()) << self.at_frame_too_long.val())
            | (bit_cast::<16, 1>(self.internal.val().into()) << self.at_internal.val());
        self.any.next = self.cpu_a_parity.val()
            | self.cpu_b_parity.val()
            | self.mismatch.val()
            | self.cpu_a_timeout.val()
            | self.cpu_b_timeout.val()
            | self.disk_a_parity.val()
            | self.disk_b_parity.val()
            | self.disk_a_timeout.val()
            | self.disk_b_timeout.val()
            | self.disk_divergence.val()
            | self.egress_parity.val()
            | self.frame_too_long.val()
            | self.internal.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::settle;

    /// Each port lands on its cause's bit, alone.
    #[test]
    fn each_cause_lands_on_its_code() {
        let mut f = FaultCauses::default();
        f.connect_all();
        yosys_validate("ftio_fault_causes", &generate_verilog(&f)).unwrap();
        settle(&mut f);
        assert_eq!(f.causes.val().to_u64(), 0);
        assert!(!f.any.val());
        let ports: [(Cause, fn(&mut FaultCauses) -> &mut Signal<In, Bit>); 13] = [
            (Cause::CpuAParity, |f| &mut f.cpu_a_parity),
            (Cause::CpuBParity, |f| &mut f.cpu_b_parity),
            (Cause::Mismatch, |f| &mut f.mismatch),
            (Cause::CpuATimeout, |f| &mut f.cpu_a_timeout),
            (Cause::CpuBTimeout, |f| &mut f.cpu_b_timeout),
            (Cause::DiskAParity, |f| &mut f.disk_a_parity),
            (Cause::DiskBParity, |f| &mut f.disk_b_parity),
            (Cause::DiskATimeout, |f| &mut f.disk_a_timeout),
            (Cause::DiskBTimeout, |f| &mut f.disk_b_timeout),
            (Cause::DiskDivergence, |f| &mut f.disk_divergence),
            (Cause::EgressParity, |f| &mut f.egress_parity),
            (Cause::FrameTooLong, |f| &mut f.frame_too_long),
            (Cause::Internal, |f| &mut f.internal),
        ];
        for (cause, port) in ports {
            port(&mut f).next = true;
            settle(&mut f);
            assert_eq!(f.causes.val().to_u64(), 1 << cause.code(), "{cause:?}");
            assert!(f.any.val(), "{cause:?}");
            port(&mut f).next = false;
        }
    }
}
