//! Disk link health and the disk's state (SPEC §4): healthy, failed, rebuilding.
//!
//! A parity error on the disk's `rx` words or on its `ready`/`rpar`, or its `tx_ready` held
//! low with a word waiting for more than `DISK_TIMEOUT` cycles, marks the disk failed. The
//! core never interprets frame contents, so a disk that sends nothing back is not a fault.
//!
//! A failed disk stays failed through a fault clear (only `reset` makes it healthy at once)
//! until the host readmits it (CTRL.readmit_x). Readmission waits until the disk's link is
//! clean — its stale buffered words discarded and a frame it had half received ended with
//! `last & abort` (`flushed`, from the core) — and for a frame boundary of the committed
//! stream (`boundary`), so the disk's first word is the first word of a frame. From then on
//! the disk is rebuilding: the fabric writes it every mirrored word, and its returns are
//! dropped. CTRL.rebuilt_x makes it healthy once both return links are idle between frames
//! (`returns_idle`), so the two return streams start in step. A fault while rebuilding makes
//! it failed again.
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct DiskMonitor {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: the disk is healthy (a fault clear does not touch the disk state).
    pub reset: Signal<In, Bit>,
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
    /// Pulse: CTRL.readmit_x (ignored unless the disk is failed).
    pub readmit: Signal<In, Bit>,
    /// Pulse: CTRL.rebuilt_x (ignored unless the disk is rebuilding).
    pub rebuilt: Signal<In, Bit>,
    /// The committed stream is between frames after this cycle (no word of a frame has gone
    /// to the healthy disk that this disk would miss).
    pub boundary: Signal<In, Bit>,
    /// The disk's buffer is empty and its link is not inside a frame.
    pub flushed: Signal<In, Bit>,
    /// Neither disk's return link is inside a frame or offering a word.
    pub returns_idle: Signal<In, Bit>,
    /// The disk is failed: out of service (includes a readmitted disk not yet joined).
    pub failed: Signal<Out, Bit>,
    /// The disk is readmitted and waits to join (with `failed`).
    pub readmitted: Signal<Out, Bit>,
    /// The disk is rebuilding: in service for writes, its returns dropped.
    pub rebuilding: Signal<Out, Bit>,
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
    readmit_q: DFF<Bit>,
    rebuilding_q: DFF<Bit>,
    /// CTRL.rebuilt_x was written; waiting for the return links to be idle.
    rebuilt_q: DFF<Bit>,
    /// The stall has reached DISK_TIMEOUT cycles, computed a cycle ahead.
    over: DFF<Bit>,
}

impl Logic for DiskMonitor {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, left, in_stall, failed_q, readmit_q, rebuilding_q, rebuilt_q, over);
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
        // Readmission: failed → readmitted → (clean link, frame boundary) → rebuilding.
        if self.readmit.val() & self.failed_q.q.val() {
            self.readmit_q.d.next = true;
        }
        if self.readmit_q.q.val() & self.boundary.val() & self.flushed.val() {
            self.readmit_q.d.next = false;
            self.failed_q.d.next = false;
            self.rebuilding_q.d.next = true;
        }
        // The host's copy is done: healthy once the return streams are between frames.
        if self.rebuilt.val() & self.rebuilding_q.q.val() {
            self.rebuilt_q.d.next = true;
        }
        if self.rebuilt_q.q.val() & self.returns_idle.val() {
            self.rebuilt_q.d.next = false;
            self.rebuilding_q.d.next = false;
        }
        // A fault, healthy or rebuilding: failed.
        if self.fail_parity.val() | self.fail_timeout.val() {
            self.failed_q.d.next = true;
            self.rebuilding_q.d.next = false;
            self.rebuilt_q.d.next = false;
        }
        if self.reset.val() {
            self.failed_q.d.next = false;
            self.readmit_q.d.next = false;
            self.rebuilding_q.d.next = false;
            self.rebuilt_q.d.next = false;
            self.in_stall.d.next = false;
            self.over.d.next = self.timeout.val() == 0;
        }
        self.failed.next = self.failed_q.q.val();
        self.readmitted.next = self.readmit_q.q.val();
        self.rebuilding.next = self.rebuilding_q.q.val();
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
        m.reset.next = true;
        low(&mut m, |m| &mut m.clock);
        edge(&mut m, |m| &mut m.clock);
        assert!(!m.failed.val(), "reset makes the disk healthy");
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

    fn step(m: &mut DiskMonitor) {
        low(m, |m| &mut m.clock);
        edge(m, |m| &mut m.clock);
    }

    /// failed → (readmit) readmitted → (boundary and flushed together) rebuilding → (rebuilt,
    /// returns idle) healthy; a fault while rebuilding → failed; commands in the wrong state
    /// do nothing.
    #[test]
    fn disk_state_machine() {
        let mut m = monitor(100);
        let state = |m: &DiskMonitor| (m.failed.val(), m.readmitted.val(), m.rebuilding.val());
        // Commands to a healthy disk are ignored.
        m.readmit.next = true;
        m.rebuilt.next = true;
        m.boundary.next = true;
        m.flushed.next = true;
        m.returns_idle.next = true;
        step(&mut m);
        m.readmit.next = false;
        m.rebuilt.next = false;
        step(&mut m);
        assert_eq!(state(&m), (false, false, false));
        m.rx_error.next = true;
        step(&mut m);
        m.rx_error.next = false;
        assert_eq!(state(&m), (true, false, false));
        // Readmitted: joins only in a cycle with both a boundary and a clean link.
        m.boundary.next = false;
        m.flushed.next = true;
        m.readmit.next = true;
        step(&mut m);
        m.readmit.next = false;
        for _ in 0..5 {
            step(&mut m);
            assert_eq!(state(&m), (true, true, false));
        }
        m.boundary.next = true;
        m.flushed.next = false;
        step(&mut m);
        assert_eq!(state(&m), (true, true, false));
        m.flushed.next = true;
        step(&mut m);
        assert_eq!(state(&m), (false, false, true), "joined");
        // rebuilt waits for idle returns.
        m.returns_idle.next = false;
        m.rebuilt.next = true;
        step(&mut m);
        m.rebuilt.next = false;
        step(&mut m);
        assert_eq!(state(&m), (false, false, true));
        m.returns_idle.next = true;
        step(&mut m);
        assert_eq!(state(&m), (false, false, false), "healthy");
        // A fault while rebuilding: failed again, and a pending rebuilt is forgotten.
        m.rx_error.next = true;
        step(&mut m);
        m.rx_error.next = false;
        m.readmit.next = true;
        step(&mut m);
        m.readmit.next = false;
        step(&mut m);
        assert_eq!(state(&m), (false, false, true));
        m.returns_idle.next = false;
        m.rebuilt.next = true;
        step(&mut m);
        m.rebuilt.next = false;
        m.ready_error.next = true;
        step(&mut m);
        m.ready_error.next = false;
        m.returns_idle.next = true;
        step(&mut m);
        assert_eq!(state(&m), (true, false, false), "a fault while rebuilding fails the disk");
    }
}
