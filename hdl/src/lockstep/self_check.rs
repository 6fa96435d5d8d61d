//! The hardened build's self-check of the lockstep (SPEC §6, docs/upsets.md): the lockstep
//! finds its own state inconsistent, in the cycle an upset is seen.
//!
//! * The control flags (pair stage, skid, frame state, the strict check's marks and drop
//!   count) have a shadow ([`ShadowCheck`]: the [`crate::shadow::shadow_code`] of their next
//!   value, power-on all ones); a flop that differs from its shadow is an error.
//! * The mode register is checked against its one-hot flags (computed separately by the
//!   fault decision, so a flip of either shows).
//! * The commit decision is recomputed from the shadow and compared with the one made.
//! * The skew FIFOs' own checks and the pair stage's second comparator are gathered here.
//!
//! In the default build (`harden` false) the shadow stays at its power-on value, synthesis
//! removes it, and `internal_error` is low.
use crate::shadow::ShadowCheck;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct SelfCheck {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The control flags now and next: p_valid, p_differ, k_valid, k_differ, abort_pending,
    /// in_frame (bits 0-5), then the strict check's (6 and up).
    pub ctl_now: Signal<In, Bits<32>>,
    pub ctl_next: Signal<In, Bits<32>>,
    /// The mode register.
    pub mode: Signal<In, Bits<3>>,
    /// The one-hot mode flags.
    pub duplex: Signal<In, Bit>,
    pub simplex_a: Signal<In, Bit>,
    pub simplex_b: Signal<In, Bit>,
    pub split: Signal<In, Bit>,
    pub halted: Signal<In, Bit>,
    /// The commit decision as made (the committed stream's `valid`).
    pub c_valid: Signal<In, Bit>,
    /// The skew FIFOs' own checks and the second comparator's.
    pub parts_error: Signal<In, Bit>,
    /// Hardened build: the state is inconsistent this cycle.
    pub internal_error: Signal<Out, Bit>,

    harden: Constant<Bit>,
    /// The control flags' shadow.
    flags: ShadowCheck<32>,
    mode_bad: Signal<Local, Bit>,
    c_valid_chk: Signal<Local, Bit>,
    m_duplex: Constant<Bits<3>>,
    m_simplex_a: Constant<Bits<3>>,
    m_simplex_b: Constant<Bits<3>>,
    m_split: Constant<Bits<3>>,
    m_halted: Constant<Bits<3>>,
}

impl SelfCheck {
    /// The check; without `harden` it is nothing.
    pub fn hardened(harden: bool) -> Self {
        use crate::fabric::mode;
        Self {
            clock: Default::default(),
            ctl_now: Default::default(),
            ctl_next: Default::default(),
            mode: Default::default(),
            duplex: Default::default(),
            simplex_a: Default::default(),
            simplex_b: Default::default(),
            split: Default::default(),
            halted: Default::default(),
            c_valid: Default::default(),
            parts_error: Default::default(),
            internal_error: Default::default(),
            harden: Constant::new(harden),
            flags: ShadowCheck::hardened(harden),
            mode_bad: Default::default(),
            c_valid_chk: Default::default(),
            m_duplex: Constant::new(mode::DUPLEX.to_bits()),
            m_simplex_a: Constant::new(mode::SIMPLEX_A.to_bits()),
            m_simplex_b: Constant::new(mode::SIMPLEX_B.to_bits()),
            m_split: Constant::new(mode::SPLIT.to_bits()),
            m_halted: Constant::new(mode::HALTED.to_bits()),
        }
    }
}

impl Default for SelfCheck {
    fn default() -> Self {
        Self::hardened(false)
    }
}

impl Logic for SelfCheck {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, flags);
        self.flags.checked_q.next = self.ctl_now.val();
        self.flags.checked_d.next = self.ctl_next.val();
        self.mode_bad.next = (self.duplex.val() != (self.mode.val() == self.m_duplex.val()))
            | (self.simplex_a.val() != (self.mode.val() == self.m_simplex_a.val()))
            | (self.simplex_b.val() != (self.mode.val() == self.m_simplex_b.val()))
            | (self.split.val() != (self.mode.val() == self.m_split.val()))
            | (self.halted.val() != (self.mode.val() == self.m_halted.val()));
        // The commit decision again, from the shadow: bits 4, 0 and 1 of the code are
        // `!abort_pending ^ in_frame ^ k_differ`, `!p_valid ^ p_differ` and
        // `!p_differ ^ p_valid ^ k_valid`; recovered with the other flags they combine.
        self.c_valid_chk.next = (!self.flags.stored.val().get_bit(4) ^ self.ctl_now.val().get_bit(5) ^ self.ctl_now.val().get_bit(3))
            | (!self.halted.val()
                & !self.split.val()
                & (!self.flags.stored.val().get_bit(0) ^ self.ctl_now.val().get_bit(1))
                & !((!self.flags.stored.val().get_bit(1) ^ self.ctl_now.val().get_bit(0) ^ self.ctl_now.val().get_bit(2))
                    & self.duplex.val()));
        self.internal_error.next = self.harden.val()
            & (self.parts_error.val()
                | self.mode_bad.val()
                | self.flags.bad.val()
                | (self.c_valid.val() != self.c_valid_chk.val()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_check_synthesizes() {
        let mut c = SelfCheck::hardened(true);
        c.connect_all();
        yosys_validate("ftio_self_check", &generate_verilog(&c)).unwrap();
    }
}
