//! The silence rule of SPEC §4: a side that offers nothing for TIMEOUT cycles while the other
//! side's words wait for it is faulty.
//!
//! * Elastic DUPLEX: a side "offers none" when it had no word at its port last cycle
//!   (registered) and none in its skew FIFO, while the other has one in its FIFO.
//! * Strict DUPLEX: a side counts while the strict check has it marked missing — the other
//!   side's word it did not match is then still pending (its partner could only be a later
//!   offer, which the check would have flagged), so the count runs from the cycle after the
//!   check first saw the one-sided offer, whatever the sinks do.
//!
//! One counter serves both sides. Elastic: A silent needs B's FIFO holding a word and A's
//! empty, B silent the reverse, and in DUPLEX a FIFO empties only by a pair pop (which needs
//! both holding one) or a reset (which empties both), so one side's silence never follows the
//! other's without a cycle of neither between, where the counter restarts: it counts exactly
//! what a counter per side would. Strict: at most one side is marked missing until the mode or
//! the check changes.
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct SilenceTimer {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// TIMEOUT in cycles (0 disables the rule; quasi-static, so registered here).
    pub timeout: Signal<In, Bits<32>>,
    /// Elastic DUPLEX now.
    pub elastic: Signal<In, Bit>,
    /// Strict DUPLEX now.
    pub strict: Signal<In, Bit>,
    /// Strict: CPU A is marked missing.
    pub a_missing: Signal<In, Bit>,
    /// Strict: CPU B is marked missing.
    pub b_missing: Signal<In, Bit>,
    /// Elastic: a word waits at the head of skew FIFO A.
    pub a_pending: Signal<In, Bit>,
    /// Elastic: a word waits at the head of skew FIFO B.
    pub b_pending: Signal<In, Bit>,
    /// CPU A offers a word at its port (registered here).
    pub a_valid: Signal<In, Bit>,
    /// CPU B offers a word at its port.
    pub b_valid: Signal<In, Bit>,
    /// Pulse: CPU A has been silent for TIMEOUT cycles.
    pub a_timeout: Signal<Out, Bit>,
    /// Pulse: CPU B has been silent for TIMEOUT cycles.
    pub b_timeout: Signal<Out, Bit>,

    a_valid_q: DFF<Bit>,
    b_valid_q: DFF<Bit>,
    /// TIMEOUT != 0 and TIMEOUT == 1, registered.
    tmo_on: DFF<Bit>,
    tmo_one: DFF<Bit>,
    /// Cycles the silent side has been silent.
    silent: DFF<Bits<32>>,
    /// The count reaches TIMEOUT this cycle if the side stays silent: registered, so the
    /// 32-bit compare is off the fault decision's path.
    near: DFF<Bit>,
    a_silent: Signal<Local, Bit>,
    b_silent: Signal<Local, Bit>,
}

impl Default for SilenceTimer {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            timeout: Default::default(),
            elastic: Default::default(),
            strict: Default::default(),
            a_missing: Default::default(),
            b_missing: Default::default(),
            a_pending: Default::default(),
            b_pending: Default::default(),
            a_valid: Default::default(),
            b_valid: Default::default(),
            a_timeout: Default::default(),
            b_timeout: Default::default(),
            a_valid_q: Default::default(),
            b_valid_q: Default::default(),
            tmo_on: Default::default(),
            tmo_one: Default::default(),
            silent: Default::default(),
            near: Default::default(),
            a_silent: Default::default(),
            b_silent: Default::default(),
        }
    }
}

impl Logic for SilenceTimer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, a_valid_q, b_valid_q, tmo_on, tmo_one, silent, near);
        self.a_valid_q.d.next = self.a_valid.val();
        self.b_valid_q.d.next = self.b_valid.val();
        self.tmo_on.d.next = self.timeout.val() != 0;
        self.tmo_one.d.next = self.timeout.val() == 1;
        self.a_silent.next = self.tmo_on.q.val()
            & ((self.strict.val() & self.a_missing.val())
                | (self.elastic.val() & self.b_pending.val() & !self.a_pending.val() & !self.a_valid_q.q.val()));
        self.b_silent.next = self.tmo_on.q.val()
            & ((self.strict.val() & self.b_missing.val())
                | (self.elastic.val() & self.a_pending.val() & !self.b_pending.val() & !self.b_valid_q.q.val()));
        self.silent.d.next = 0.into();
        self.near.d.next = self.tmo_one.q.val();
        if self.a_silent.val() | self.b_silent.val() {
            self.silent.d.next = self.silent.q.val() + 1;
            self.near.d.next = self.silent.q.val() + 2 == self.timeout.val();
        }
        self.a_timeout.next = self.a_silent.val() & self.near.q.val();
        self.b_timeout.next = self.b_silent.val() & self.near.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_timer_synthesizes() {
        let mut t = SilenceTimer::default();
        t.connect_all();
        yosys_validate("ftio_silence_timer", &generate_verilog(&t)).unwrap();
    }
}
