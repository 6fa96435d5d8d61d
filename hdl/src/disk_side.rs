//! `DiskSide`: what the core keeps for one disk between the fabric and the disk's links
//! (SPEC §4, a failed disk and its readmission): the disk's health ([`DiskMonitor`]), the
//! frames on its tx and rx links, the words its tx link is offered, and its returns while it
//! is rebuilding.
use crate::disk_monitor::DiskMonitor;
use crate::link::{StreamRx, StreamTx, Word, WordTap};
use rust_hdl::prelude::*;

crate::one_way_bundle! {
    /// One disk's health as the rest of the core reads it: the STATUS bits and the fault
    /// log's causes ([`DiskStateIn`]).
    DiskState "DiskState" => DiskStateIn "DiskStateIn" {
        /// The disk is failed (includes a readmitted disk not yet joined).
        failed: Bit,
        /// The disk is readmitted and waits to join.
        readmitted: Bit,
        /// The disk is rebuilding: written every mirrored word, its returns dropped.
        rebuilding: Bit,
        /// Pulse: the disk fails this cycle through a parity error.
        fail_parity: Bit,
        /// Pulse: the disk fails this cycle through its `tx_ready` timeout.
        fail_timeout: Bit,
    }
}

crate::one_way_bundle! {
    /// What a [`DiskSide`] is told by the host ([`crate::core_config::CoreConfig`] drives it).
    DiskConfigDrive "DiskConfigDrive" => DiskConfig "DiskConfig" {
        /// DISK_TIMEOUT in cycles.
        timeout: Bits<32>,
        /// Pulse: CTRL.readmit_x, as it lands (acted on at a frame boundary).
        readmit: Bit,
        /// Pulse: CTRL.rebuilt_x.
        rebuilt: Bit,
    }
}

/// One disk's side of the core, instantiated per disk as [`crate::egress::Egress`] is per port.
///
/// - **tx**: the disk's link is offered the fabric's buffer for it; a failed disk is offered
///   nothing (the buffer is emptied as it fills: `buf.ready`) but, once readmitted, the
///   `last & abort` word that ends a frame it had half received, so it starts clean.
/// - **rx**: the disk's returns go to the fabric, except a rebuilding disk's: taken here and
///   dropped (never delivered, never compared, whatever the other disk's state).
/// - **health**: the link's parity evidence, registered, and its `tx_ready` stalls make the
///   disk failed; the host readmits it, and it joins at a frame boundary of the committed
///   stream once its link is clean (no buffered word, not inside a frame).
#[derive(LogicBlock)]
pub struct DiskSide {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// The disk's returns, checked (from its ingress).
    pub rx: StreamRx,
    /// The returns toward the fabric (nothing from a rebuilding disk).
    pub returns: StreamTx,
    /// The fabric's buffer for this disk. `ready`: the buffer gives up its word (the disk
    /// takes it, or the disk is failed and the word is discarded).
    pub buf: StreamRx,
    /// The words offered to the disk (into its egress); `ready` is the disk's `tx_ready`.
    pub tx: StreamTx,
    /// The word on `tx` moves this cycle.
    pub tx_moved: Signal<Out, Bit>,
    /// `tx`'s offer, for the first-fault capture.
    pub tx_tap: WordTap,
    /// A parity error on the disk's rx link this cycle (data or control).
    pub rx_error: Signal<In, Bit>,
    /// `rpar` disagreed with `ready` on the disk's tx link this cycle.
    pub ready_error: Signal<In, Bit>,
    /// DISK_TIMEOUT, CTRL.readmit_x and rebuilt_x.
    pub cfg: DiskConfig,
    /// The committed stream is between frames after this cycle.
    pub boundary: Signal<In, Bit>,
    /// Hardened build: the core has stopped on an internal fault (cause INTERNAL). The disk
    /// is offered nothing more of its buffer (emptied as a failed disk's is) but, inside a
    /// frame, the `last & abort` word that ends it. Always low in the default build.
    pub stop: Signal<In, Bit>,
    /// Neither disk's return link is inside a frame or offering a word (both disks'
    /// `rx_quiet`).
    pub returns_idle: Signal<In, Bit>,
    /// This disk's return link is not inside a frame and offers no word.
    pub rx_quiet: Signal<Out, Bit>,
    /// The disk's health: failed, readmitted, rebuilding, and the cause of a failure.
    pub state: DiskState,
    health: DiskMonitor,
    /// The link's parity evidence, registered before the monitor.
    rx_error_q: DFF<Bit>,
    ready_error_q: DFF<Bit>,
    /// The tx link is inside a frame (it has taken words of a frame but not its last).
    tx_in_frame: DFF<Bit>,
    /// The rx (return) link is inside a frame.
    rx_in_frame: DFF<Bit>,
    /// The rx link's word is taken this cycle (by the fabric, or dropped while rebuilding).
    /// One Local feeds both the ingress's `ready` and the frame tracking: reading
    /// `returns.ready` again in the frame-tracking `if` is the same logic, but Verilator 5.006
    /// then scheduled the core ⇄ fabric loop (UNOPTFLAT) so that the rx `ready` pin stayed 0
    /// in the cycle a disk began to offer, where Verilog's semantics and rust-hdl give 1.
    rx_take: Signal<Local, Bit>,
    /// What the tx link is offered this cycle.
    offer_valid: Signal<Local, Bit>,
    offer_word: Signal<Local, Word>,
    moved: Signal<Local, Bit>,
    abort_word: Constant<Word>,
}

impl Default for DiskSide {
    fn default() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            rx: Default::default(),
            returns: Default::default(),
            buf: Default::default(),
            tx: Default::default(),
            tx_moved: Default::default(),
            tx_tap: Default::default(),
            rx_error: Default::default(),
            ready_error: Default::default(),
            cfg: Default::default(),
            boundary: Default::default(),
            stop: Default::default(),
            returns_idle: Default::default(),
            rx_quiet: Default::default(),
            state: Default::default(),
            health: Default::default(),
            rx_error_q: Default::default(),
            ready_error_q: Default::default(),
            tx_in_frame: Default::default(),
            rx_in_frame: Default::default(),
            rx_take: Default::default(),
            offer_valid: Default::default(),
            offer_word: Default::default(),
            moved: Default::default(),
            abort_word: Constant::new(crate::lockstep::ABORT_WORD.to_bits()),
        }
    }
}

impl Logic for DiskSide {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, health);
        dff_setup!(self, clock, rx_error_q, ready_error_q, tx_in_frame, rx_in_frame);
        // rx: a rebuilding disk's returns are taken and dropped here, before the fabric.
        self.returns.valid.next = self.rx.valid.val() & !self.health.rebuilding.val();
        self.returns.data.next = self.rx.data.val();
        self.rx_take.next = self.returns.ready.val() | self.health.rebuilding.val();
        self.rx.ready.next = self.rx_take.val();
        // Frames on the rx and tx links (word bit 36: last), for readmission.
        if self.rx.valid.val() & self.rx_take.val() {
            self.rx_in_frame.d.next = !self.rx.data.val().get_bit(36);
        }
        self.rx_quiet.next = !self.rx_in_frame.q.val() & !self.rx.valid.val();
        // tx: the fabric's buffer, or for a failed disk nothing but, once readmitted, the
        // `last & abort` that ends a frame it had half received; after an internal fault
        // (`stop`) nothing but the `last & abort` that ends the frame in flight.
        self.offer_valid.next = self.buf.valid.val();
        self.offer_word.next = self.buf.data.val();
        if self.health.failed.val() {
            self.offer_valid.next = self.health.readmitted.val() & self.tx_in_frame.q.val();
            self.offer_word.next = self.abort_word.val();
        }
        if self.stop.val() & !self.health.failed.val() {
            self.offer_valid.next = self.tx_in_frame.q.val();
            self.offer_word.next = self.abort_word.val();
        }
        self.moved.next = self.offer_valid.val() & self.tx.ready.val();
        self.buf.ready.next = self.tx.ready.val() | self.health.failed.val() | self.stop.val();
        self.tx.valid.next = self.offer_valid.val();
        self.tx.data.next = self.offer_word.val();
        self.tx_moved.next = self.moved.val();
        self.tx_tap.valid.next = self.offer_valid.val();
        self.tx_tap.data.next = self.offer_word.val();
        if self.moved.val() {
            self.tx_in_frame.d.next = !self.offer_word.val().get_bit(36);
        }
        if self.reset.val() {
            self.tx_in_frame.d.next = false;
            self.rx_in_frame.d.next = false;
        }
        // Health. A fault clear leaves the disk state; the host readmits and says done.
        self.rx_error_q.d.next = self.rx_error.val();
        self.ready_error_q.d.next = self.ready_error.val();
        self.health.reset.next = self.reset.val();
        self.health.readmit.next = self.cfg.readmit.val();
        self.health.rebuilt.next = self.cfg.rebuilt.val();
        self.health.boundary.next = self.boundary.val();
        self.health.flushed.next = !self.buf.valid.val() & !self.tx_in_frame.q.val();
        self.health.returns_idle.next = self.returns_idle.val();
        self.health.timeout.next = self.cfg.timeout.val();
        self.health.rx_error.next = self.rx_error_q.q.val();
        self.health.ready_error.next = self.ready_error_q.q.val();
        self.health.waiting.next = self.offer_valid.val();
        self.health.ready.next = self.tx.ready.val();
        self.state.failed.next = self.health.failed.val();
        self.state.readmitted.next = self.health.readmitted.val();
        self.state.rebuilding.next = self.health.rebuilding.val();
        self.state.fail_parity.next = self.health.fail_parity.val();
        self.state.fail_timeout.next = self.health.fail_timeout.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::pack_word;
    use crate::testbench::{edge, low};

    fn side() -> DiskSide {
        let mut d = DiskSide::default();
        d.connect_all();
        d.cfg.timeout.next = 1000u64.into();
        d
    }

    fn step(d: &mut DiskSide) {
        low(d, |d| &mut d.clock);
        edge(d, |d| &mut d.clock);
    }

    fn word(data: u32, last: bool) -> u64 {
        pack_word(data, crate::link::byte_parity(data), last, false, false)
    }

    #[test]
    fn disk_side_synthesizes() {
        yosys_validate("ftio_disk_side", &generate_verilog(&side())).unwrap();
    }

    /// A healthy disk: the buffer's words go out as the disk takes them, the returns reach the
    /// fabric with the fabric's `ready`, and the rx link is quiet only between frames.
    #[test]
    fn a_healthy_disk_passes_words_both_ways() {
        let mut d = side();
        d.buf.valid.next = true;
        d.buf.data.next = word(7, false).into();
        d.tx.ready.next = false;
        low(&mut d, |d| &mut d.clock);
        assert!(d.tx.valid.val() && !d.tx_moved.val() && !(d.buf.valid.val() && d.buf.ready.val()), "offered, not taken");
        assert_eq!(d.tx.data.val().to_u64(), word(7, false));
        d.tx.ready.next = true;
        low(&mut d, |d| &mut d.clock);
        assert!(d.tx_moved.val() && (d.buf.valid.val() && d.buf.ready.val()));
        edge(&mut d, |d| &mut d.clock);
        d.rx.valid.next = true;
        d.rx.data.next = word(9, false).into();
        d.returns.ready.next = false;
        low(&mut d, |d| &mut d.clock);
        assert!(d.returns.valid.val() && !d.rx.ready.val() && !d.rx_quiet.val());
        d.returns.ready.next = true;
        low(&mut d, |d| &mut d.clock);
        assert!(d.rx.ready.val());
        edge(&mut d, |d| &mut d.clock);
        d.rx.valid.next = false;
        low(&mut d, |d| &mut d.clock);
        assert!(!d.rx_quiet.val(), "inside a return frame");
        assert!(!d.state.failed.val() && !d.state.rebuilding.val());
    }

    /// A parity error fails the disk a cycle after the registered evidence; the failed disk's
    /// buffer is discarded and it is offered nothing; readmitted in mid-frame, it is offered
    /// `last & abort`, then joins at a boundary and drops its returns while rebuilding.
    #[test]
    fn a_failed_disk_is_cut_off_then_readmitted_at_a_frame_boundary() {
        let mut d = side();
        // Half a frame reaches the disk.
        d.buf.valid.next = true;
        d.buf.data.next = word(1, false).into();
        d.tx.ready.next = true;
        step(&mut d);
        d.rx_error.next = true;
        step(&mut d);
        d.rx_error.next = false;
        low(&mut d, |d| &mut d.clock);
        assert!(d.state.fail_parity.val(), "the registered evidence fails the disk");
        edge(&mut d, |d| &mut d.clock);
        assert!(d.state.failed.val());
        low(&mut d, |d| &mut d.clock);
        assert!(!d.tx.valid.val() && (d.buf.valid.val() && d.buf.ready.val()), "nothing offered, the buffer discarded");
        // Readmitted: the half frame is ended with last & abort; it waits for a boundary.
        d.cfg.readmit.next = true;
        step(&mut d);
        d.cfg.readmit.next = false;
        d.buf.valid.next = false;
        d.tx.ready.next = false;
        low(&mut d, |d| &mut d.clock);
        assert!(d.state.readmitted.val() && d.tx.valid.val());
        assert_eq!(d.tx.data.val().to_u64(), crate::lockstep::ABORT_WORD);
        d.boundary.next = true;
        step(&mut d);
        assert!(d.state.failed.val(), "not flushed: the abort word has not gone");
        d.tx.ready.next = true;
        step(&mut d);
        step(&mut d);
        assert!(!d.state.failed.val() && d.state.rebuilding.val(), "joined at a boundary, link clean");
        // Rebuilding: its returns are taken and dropped, never offered to the fabric.
        d.rx.valid.next = true;
        d.rx.data.next = word(5, true).into();
        d.returns.ready.next = false;
        low(&mut d, |d| &mut d.clock);
        assert!(!d.returns.valid.val() && d.rx.ready.val());
    }
}
