//! Disk link health (SPEC §4): a parity error on the disk's `rx` words or on its
//! `ready`/`rpar`, or its `tx_ready` held low with a word waiting for more than
//! `DISK_TIMEOUT` cycles, marks the disk failed. The core never interprets frame contents,
//! so a disk that sends nothing back is not a fault.
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct DiskMonitor {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, and CTRL.fault_clear: the disk is healthy again.
    pub clear: Signal<In, Bit>,
    /// DISK_TIMEOUT in cycles.
    pub timeout: Signal<In, Bits<32>>,
    /// A parity error on the disk's `rx` link this cycle (data or control).
    pub rx_error: Signal<In, Bit>,
    /// `rpar` disagreed with `ready` on the disk's `tx` link this cycle.
    pub ready_error: Signal<In, Bit>,
    /// A word is offered on the disk's `tx` link.
    pub waiting: Signal<In, Bit>,
    /// The disk's `tx_ready`.
    pub ready: Signal<In, Bit>,
    /// The disk is marked failed (sticky until `clear`).
    pub failed: Signal<Out, Bit>,
    /// Pulse: the disk fails this cycle through a parity error.
    pub fail_parity: Signal<Out, Bit>,
    /// Pulse: the disk fails this cycle through its `tx_ready` timeout.
    pub fail_timeout: Signal<Out, Bit>,
    /// Stalled cycles still allowed after this one, counting down from DISK_TIMEOUT (a
    /// register compared with a constant, not a counter with DISK_TIMEOUT: one carry chain,
    /// not two). A stall starts from DISK_TIMEOUT as it is then, so a new DISK_TIMEOUT
    /// applies from the next stall on.
    left: DFF<Bits<32>>,
    /// The previous cycle was a stall (`left` holds its count).
    in_stall: DFF<Bit>,
    left_now: Signal<Local, Bits<32>>,
    failed_q: DFF<Bit>,
    /// The stall has reached DISK_TIMEOUT cycles, computed a cycle ahead.
    over: DFF<Bit>,
}

impl Logic for DiskMonitor {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, left, in_stall, failed_q, over);
        self.left_now.next = self.timeout.val();
        if self.in_stall.q.val() {
            self.left_now.next = self.left.q.val();
        }
        if self.waiting.val() & !self.ready.val() {
            self.in_stall.d.next = true;
            self.left.d.next = 0.into();
            if self.left_now.val() != 0 {
                self.left.d.next = self.left_now.val() - 1;
            }
            // At most one cycle left after this one: the next stalled cycle is one too many.
            self.over.d.next = self.left_now.val().get_bits::<31>(1) == 0;
        } else {
            self.in_stall.d.next = false;
            self.over.d.next = self.timeout.val() == 0;
        }
        self.fail_parity.next =
            !self.failed_q.q.val() & (self.rx_error.val() | self.ready_error.val());
        self.fail_timeout.next = !self.failed_q.q.val()
            & !self.fail_parity.val()
            & self.over.q.val()
            & self.waiting.val()
            & !self.ready.val();
        if self.fail_parity.val() | self.fail_timeout.val() {
            self.failed_q.d.next = true;
        }
        if self.clear.val() {
            self.failed_q.d.next = false;
            self.in_stall.d.next = false;
            self.over.d.next = self.timeout.val() == 0;
        }
        self.failed.next = self.failed_q.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testbench::{edge, low};

    fn monitor(timeout: u64) -> DiskMonitor {
        let mut m = DiskMonitor::default();
        m.connect_all();
        m.timeout.next = timeout.into();
        m
    }

    #[test]
    fn disk_monitor_synthesizes() {
        yosys_validate("ftio_disk_monitor", &generate_verilog(&monitor(0))).unwrap();
    }

    /// Held low for exactly DISK_TIMEOUT cycles is fine; one more cycle fails the disk.
    #[test]
    fn tx_ready_timeout_fails_after_more_than_timeout_cycles() {
        let mut m = monitor(10);
        m.waiting.next = true;
        m.ready.next = false;
        let mut failed_at = None;
        for cycle in 0..20 {
            low(&mut m, |m| &mut m.clock);
            if m.fail_timeout.val() && failed_at.is_none() {
                failed_at = Some(cycle);
            }
            edge(&mut m, |m| &mut m.clock);
        }
        // Stalled cycles 0..=9 are ten cycles; the eleventh (cycle 10) is "more than 10".
        assert_eq!(failed_at, Some(10));
        assert!(m.failed.val());
        m.clear.next = true;
        low(&mut m, |m| &mut m.clock);
        edge(&mut m, |m| &mut m.clock);
        assert!(!m.failed.val(), "fault clear re-arms");
    }

    #[test]
    fn idle_or_moving_disk_never_times_out_and_parity_fails_at_once() {
        let mut m = monitor(3);
        for cycle in 0..50 {
            m.waiting.next = cycle % 2 == 0;
            m.ready.next = cycle % 5 != 0;
            low(&mut m, |m| &mut m.clock);
            edge(&mut m, |m| &mut m.clock);
        }
        // A disk that answers nothing but keeps taking is healthy.
        assert!(!m.failed.val());
        m.rx_error.next = true;
        low(&mut m, |m| &mut m.clock);
        assert!(m.fail_parity.val());
        edge(&mut m, |m| &mut m.clock);
        assert!(m.failed.val());
    }
}
