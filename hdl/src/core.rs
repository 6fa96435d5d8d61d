//! `FtioCore`: the whole gateware of SPEC §3, with the eight links, the UART and `irq`.
use crate::link::{LinkRx, LinkTx, Word};
use crate::link_check::{LinkChecker, ReadyChecker};
use crate::parity::ParityCheck;
use crate::stage::Stage;
use rust_hdl::prelude::*;

/// Build parameters of the core (SPEC §3). The generator takes them as options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreParams {
    /// Core clock frequency in Hz (sets the UART divider).
    pub clock_hz: u64,
    /// UART baud rate.
    pub baud: u32,
    /// log2 of the skew FIFO depth (words per CPU side).
    pub skew_depth_log2: u8,
    /// log2 of the store-and-forward frame buffer depth (words).
    pub frame_depth_log2: u8,
    /// Width of the statistics counters in bits.
    pub counter_width: u8,
    /// log2 of the strict-lockstep offset maximum (D is 0 up to 2^n - 1).
    pub offset_max_log2: u8,
}

impl Default for CoreParams {
    fn default() -> Self {
        Self {
            clock_hz: 100_000_000,
            baud: 115_200,
            skew_depth_log2: 6,
            frame_depth_log2: 9,
            counter_width: 32,
            offset_max_log2: 4,
        }
    }
}

impl CoreParams {
    /// Rejects parameter combinations the gateware cannot be built with.
    pub fn validate(&self) -> Result<(), String> {
        if self.clock_hz == 0 || self.baud == 0 {
            return Err("clock and baud must be non-zero".into());
        }
        let divider = self.clock_hz / self.baud as u64;
        if divider < 8 {
            return Err(format!(
                "baud {} is too fast for a {} Hz clock: need at least 8 clocks per bit (got {divider})",
                self.baud, self.clock_hz
            ));
        }
        Ok(())
    }
}

/// Egress side of a words-out port: drives the link from a stage, generates `cpar`, and
/// re-checks the carried data parity so that corruption inside the core is caught here.
#[derive(LogicBlock, Default)]
pub struct Egress {
    /// The link port.
    pub link: LinkTx,
    /// A word is waiting to leave.
    pub word_valid: Signal<In, Bit>,
    /// The word.
    pub word: Signal<In, Word>,
    /// The port's sink took the word this cycle.
    pub take: Signal<Out, Bit>,
    /// `rpar` disagrees with `ready` (every cycle).
    pub ready_error: Signal<Out, Bit>,
    /// The offered word's data fails its carried parity although it entered the core clean:
    /// a fault inside the core.
    pub egress_error: Signal<Out, Bit>,
    check: ParityCheck,
    ready_check: ReadyChecker,
}

impl Logic for Egress {
    #[hdl_gen]
    fn update(&mut self) {
        self.link.valid.next = self.word_valid.val();
        self.link.data.next = self.word.val().get_bits::<32>(0);
        self.link.par.next = self.word.val().get_bits::<4>(32);
        self.link.last.next = self.word.val().get_bit(36);
        self.link.abort.next = self.word.val().get_bit(37);
        self.link.cpar.next =
            !(self.word_valid.val() ^ self.word.val().get_bit(36) ^ self.word.val().get_bit(37));
        self.take.next = self.word_valid.val() & self.link.ready.val();
        self.ready_check.ready.next = self.link.ready.val();
        self.ready_check.rpar.next = self.link.rpar.val();
        self.ready_error.next = self.ready_check.error.val();
        self.check.data.next = self.word.val().get_bits::<32>(0);
        self.check.par.next = self.word.val().get_bits::<4>(32);
        self.egress_error.next =
            self.word_valid.val() & self.check.error.val() & !self.word.val().get_bit(38);
    }
}

/// A saturating event counter.
#[derive(LogicBlock, Default)]
pub struct EventCounter {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Zero the count.
    pub clear: Signal<In, Bit>,
    /// Count one event this cycle.
    pub inc: Signal<In, Bit>,
    /// The count.
    pub count: Signal<Out, Bits<32>>,
    value: DFF<Bits<32>>,
}

impl Logic for EventCounter {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, value);
        self.count.next = self.value.q.val();
        if self.clear.val() {
            self.value.d.next = 0.into();
        } else if self.inc.val() & !self.value.q.val().all() {
            self.value.d.next = self.value.q.val() + 1;
        }
    }
}

/// The core. Port names follow SPEC §3; the generated Verilog flattens `cpu_a_tx$data` to
/// `cpu_a_tx_data` (see [`crate::verilog`]).
///
/// Status of this build: the links are checked and carried in SPLIT routing (A→disk A,
/// B→disk B, disk returns to their own CPU) through registered stages; the lockstep
/// datapath, fabric and control plane are composed in as they land.
#[derive(LogicBlock)]
pub struct FtioCore {
    /// Core clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, active high (power-on state also comes from initial values).
    pub reset: Signal<In, Bit>,
    /// CPU A → core: storage commands and write data.
    pub cpu_a_tx: LinkRx,
    /// CPU B → core.
    pub cpu_b_tx: LinkRx,
    /// Core → CPU A: completions and read data.
    pub cpu_a_rx: LinkTx,
    /// Core → CPU B.
    pub cpu_b_rx: LinkTx,
    /// Core → SATA controller A: commands and write data.
    pub disk_a_tx: LinkTx,
    /// Core → SATA controller B.
    pub disk_b_tx: LinkTx,
    /// SATA controller A → core: completions and read data.
    pub disk_a_rx: LinkRx,
    /// SATA controller B → core.
    pub disk_b_rx: LinkRx,
    /// UART receive (8N1, idle high).
    pub uart_rx: Signal<In, Bit>,
    /// UART transmit (8N1, idle high).
    pub uart_tx: Signal<Out, Bit>,
    /// High while any unacknowledged fault is latched.
    pub irq: Signal<Out, Bit>,
    in_cpu_a: LinkChecker,
    in_cpu_b: LinkChecker,
    in_disk_a: LinkChecker,
    in_disk_b: LinkChecker,
    st_cpu_a: Stage,
    st_cpu_b: Stage,
    st_disk_a: Stage,
    st_disk_b: Stage,
    out_disk_a: Egress,
    out_disk_b: Egress,
    out_cpu_a: Egress,
    out_cpu_b: Egress,
    /// Parity errors seen on CPU A's links (words in, and `rpar` of its return link).
    pub perr_cpu_a: EventCounter,
    /// Parity errors seen on CPU B's links.
    pub perr_cpu_b: EventCounter,
    /// Parity errors seen on disk A's links.
    pub perr_disk_a: EventCounter,
    /// Parity errors seen on disk B's links.
    pub perr_disk_b: EventCounter,
    /// Words that left the core with parity broken inside it.
    pub perr_egress: EventCounter,
    fault: DFF<Bit>,
}

impl FtioCore {
    /// A core built with `params`.
    pub fn new(params: &CoreParams) -> Self {
        params.validate().expect("invalid core parameters");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            cpu_a_tx: Default::default(),
            cpu_b_tx: Default::default(),
            cpu_a_rx: Default::default(),
            cpu_b_rx: Default::default(),
            disk_a_tx: Default::default(),
            disk_b_tx: Default::default(),
            disk_a_rx: Default::default(),
            disk_b_rx: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            irq: Default::default(),
            in_cpu_a: Default::default(),
            in_cpu_b: Default::default(),
            in_disk_a: Default::default(),
            in_disk_b: Default::default(),
            st_cpu_a: Default::default(),
            st_cpu_b: Default::default(),
            st_disk_a: Default::default(),
            st_disk_b: Default::default(),
            out_disk_a: Default::default(),
            out_disk_b: Default::default(),
            out_cpu_a: Default::default(),
            out_cpu_b: Default::default(),
            perr_cpu_a: Default::default(),
            perr_cpu_b: Default::default(),
            perr_disk_a: Default::default(),
            perr_disk_b: Default::default(),
            perr_egress: Default::default(),
            fault: Default::default(),
        }
    }
}

impl Default for FtioCore {
    fn default() -> Self {
        Self::new(&CoreParams::default())
    }
}

impl Logic for FtioCore {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, st_cpu_a, st_cpu_b, st_disk_a, st_disk_b);
        clock!(self, clock, perr_cpu_a, perr_cpu_b, perr_disk_a, perr_disk_b, perr_egress);
        dff_setup!(self, clock, fault);
        self.st_cpu_a.reset.next = self.reset.val();
        self.st_cpu_b.reset.next = self.reset.val();
        self.st_disk_a.reset.next = self.reset.val();
        self.st_disk_b.reset.next = self.reset.val();

        // Ingress: check every port that carries words into the core.
        self.in_cpu_a.valid.next = self.cpu_a_tx.valid.val();
        self.in_cpu_a.data.next = self.cpu_a_tx.data.val();
        self.in_cpu_a.last.next = self.cpu_a_tx.last.val();
        self.in_cpu_a.abort.next = self.cpu_a_tx.abort.val();
        self.in_cpu_a.par.next = self.cpu_a_tx.par.val();
        self.in_cpu_a.cpar.next = self.cpu_a_tx.cpar.val();
        self.in_cpu_b.valid.next = self.cpu_b_tx.valid.val();
        self.in_cpu_b.data.next = self.cpu_b_tx.data.val();
        self.in_cpu_b.last.next = self.cpu_b_tx.last.val();
        self.in_cpu_b.abort.next = self.cpu_b_tx.abort.val();
        self.in_cpu_b.par.next = self.cpu_b_tx.par.val();
        self.in_cpu_b.cpar.next = self.cpu_b_tx.cpar.val();
        self.in_disk_a.valid.next = self.disk_a_rx.valid.val();
        self.in_disk_a.data.next = self.disk_a_rx.data.val();
        self.in_disk_a.last.next = self.disk_a_rx.last.val();
        self.in_disk_a.abort.next = self.disk_a_rx.abort.val();
        self.in_disk_a.par.next = self.disk_a_rx.par.val();
        self.in_disk_a.cpar.next = self.disk_a_rx.cpar.val();
        self.in_disk_b.valid.next = self.disk_b_rx.valid.val();
        self.in_disk_b.data.next = self.disk_b_rx.data.val();
        self.in_disk_b.last.next = self.disk_b_rx.last.val();
        self.in_disk_b.abort.next = self.disk_b_rx.abort.val();
        self.in_disk_b.par.next = self.disk_b_rx.par.val();
        self.in_disk_b.cpar.next = self.disk_b_rx.cpar.val();

        // SPLIT routing through registered stages: A→disk A, B→disk B, returns to own CPU.
        self.st_cpu_a.in_valid.next = self.cpu_a_tx.valid.val();
        self.st_cpu_a.in_word.next = self.in_cpu_a.word.val();
        self.cpu_a_tx.ready.next = self.st_cpu_a.in_ready.val();
        self.cpu_a_tx.rpar.next = !self.st_cpu_a.in_ready.val();
        self.st_cpu_b.in_valid.next = self.cpu_b_tx.valid.val();
        self.st_cpu_b.in_word.next = self.in_cpu_b.word.val();
        self.cpu_b_tx.ready.next = self.st_cpu_b.in_ready.val();
        self.cpu_b_tx.rpar.next = !self.st_cpu_b.in_ready.val();
        self.st_disk_a.in_valid.next = self.disk_a_rx.valid.val();
        self.st_disk_a.in_word.next = self.in_disk_a.word.val();
        self.disk_a_rx.ready.next = self.st_disk_a.in_ready.val();
        self.disk_a_rx.rpar.next = !self.st_disk_a.in_ready.val();
        self.st_disk_b.in_valid.next = self.disk_b_rx.valid.val();
        self.st_disk_b.in_word.next = self.in_disk_b.word.val();
        self.disk_b_rx.ready.next = self.st_disk_b.in_ready.val();
        self.disk_b_rx.rpar.next = !self.st_disk_b.in_ready.val();

        // Egress: each words-out port, with its own checks.
        LinkTx::link(&mut self.disk_a_tx, &mut self.out_disk_a.link);
        LinkTx::link(&mut self.disk_b_tx, &mut self.out_disk_b.link);
        LinkTx::link(&mut self.cpu_a_rx, &mut self.out_cpu_a.link);
        LinkTx::link(&mut self.cpu_b_rx, &mut self.out_cpu_b.link);
        self.out_disk_a.word_valid.next = self.st_cpu_a.out_valid.val();
        self.out_disk_a.word.next = self.st_cpu_a.out_word.val();
        self.st_cpu_a.out_ready.next = self.out_disk_a.take.val();
        self.out_disk_b.word_valid.next = self.st_cpu_b.out_valid.val();
        self.out_disk_b.word.next = self.st_cpu_b.out_word.val();
        self.st_cpu_b.out_ready.next = self.out_disk_b.take.val();
        self.out_cpu_a.word_valid.next = self.st_disk_a.out_valid.val();
        self.out_cpu_a.word.next = self.st_disk_a.out_word.val();
        self.st_disk_a.out_ready.next = self.out_cpu_a.take.val();
        self.out_cpu_b.word_valid.next = self.st_disk_b.out_valid.val();
        self.out_cpu_b.word.next = self.st_disk_b.out_word.val();
        self.st_disk_b.out_ready.next = self.out_cpu_b.take.val();

        // Parity errors, counted per link: words in, and the ready pair of the return link.
        self.perr_cpu_a.clear.next = self.reset.val();
        self.perr_cpu_b.clear.next = self.reset.val();
        self.perr_disk_a.clear.next = self.reset.val();
        self.perr_disk_b.clear.next = self.reset.val();
        self.perr_egress.clear.next = self.reset.val();
        self.perr_cpu_a.inc.next = self.in_cpu_a.error.val() | self.out_cpu_a.ready_error.val();
        self.perr_cpu_b.inc.next = self.in_cpu_b.error.val() | self.out_cpu_b.ready_error.val();
        self.perr_disk_a.inc.next =
            self.in_disk_a.error.val() | self.out_disk_a.ready_error.val();
        self.perr_disk_b.inc.next =
            self.in_disk_b.error.val() | self.out_disk_b.ready_error.val();
        self.perr_egress.inc.next = self.out_disk_a.egress_error.val()
            | self.out_disk_b.egress_error.val()
            | self.out_cpu_a.egress_error.val()
            | self.out_cpu_b.egress_error.val();

        // Any fault latches irq until reset (the register file's fault clear comes with the
        // control plane).
        self.fault.d.next = self.fault.q.val()
            | self.perr_cpu_a.inc.val()
            | self.perr_cpu_b.inc.val()
            | self.perr_disk_a.inc.val()
            | self.perr_disk_b.inc.val()
            | self.perr_egress.inc.val();
        if self.reset.val() {
            self.fault.d.next = false;
        }
        self.irq.next = self.fault.q.val();
        // No UART yet: the line idles high.
        self.uart_tx.next = true;
    }
}
