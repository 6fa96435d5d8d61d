//! One cycle-level testbench API for both simulators of `ftio_core`.
//!
//! A cycle is: [`CoreSim::set`] the inputs, [`CoreSim::low`] (clock low, logic settled: the
//! outputs now show this cycle's values), read outputs with [`CoreSim::get`], then
//! [`CoreSim::edge`] (rising edge: the cycle ends and registers take their next values).
use crate::link::Beat;
use crate::port::{Dir, Flow, Link, LinkSignal, Port, ALL_PORTS, PORT_COUNT};
use ftio_hdl::link::{LinkRx, LinkTx};
use ftio_hdl::testbench;
use ftio_hdl::{BuildParams, FtioCore};
use rust_hdl::prelude::*;

/// A simulated `ftio_core`, stepped one clock cycle at a time.
pub trait CoreSim {
    /// Sets input `port` to `v` (masked to the port's width). Panics on an output port.
    fn set(&mut self, port: Port, v: u64);
    /// The value of `port`: an output as of the last `low`/`edge`, an input as last set.
    fn get(&self, port: Port) -> u64;
    /// Clock low, logic settled: outputs show this cycle.
    fn low(&mut self);
    /// Rising clock edge, logic settled.
    fn edge(&mut self);
    /// Which simulator this is, for reports.
    fn kind(&self) -> &'static str;

    /// Inverts one state bit (an upset), between two cycles: call it after `edge`; the next
    /// `low` shows its effects. Only models built with state access can.
    fn flip_state(&mut self, bit: &crate::state::StateBit) -> Result<(), crate::error::StateAccessError> {
        Err(crate::error::StateAccessError::Unsupported { model: self.kind(), bit: bit.clone() })
    }

    /// `set` with a bool.
    fn set_bit(&mut self, port: Port, v: bool) {
        self.set(port, v as u64)
    }
    /// `get` as a bool (bit 0).
    fn get_bit(&self, port: Port) -> bool {
        self.get(port) & 1 == 1
    }
    /// Puts a source's beat on an into-core link: the six `set`s of its signals, which a
    /// simulator may do in one call (the models drive four links every cycle).
    fn set_beat(&mut self, link: Link, b: Beat) {
        self.set_bit(link.port(LinkSignal::Valid), b.valid);
        self.set(link.port(LinkSignal::Data), b.data as u64);
        self.set_bit(link.port(LinkSignal::Last), b.last);
        self.set_bit(link.port(LinkSignal::Abort), b.abort);
        self.set(link.port(LinkSignal::Par), b.par as u64);
        self.set_bit(link.port(LinkSignal::Cpar), b.cpar);
    }
    /// Puts a sink's (`ready`, `rpar`) on an out-of-core link.
    fn set_ready(&mut self, link: Link, (ready, rpar): (bool, bool)) {
        self.set_bit(link.port(LinkSignal::Ready), ready);
        self.set_bit(link.port(LinkSignal::Rpar), rpar);
    }
    /// What the core drives on an out-of-core link.
    fn beat(&self, link: Link) -> Beat {
        Beat {
            valid: self.get_bit(link.port(LinkSignal::Valid)),
            data: self.get(link.port(LinkSignal::Data)) as u32,
            last: self.get_bit(link.port(LinkSignal::Last)),
            abort: self.get_bit(link.port(LinkSignal::Abort)),
            par: self.get(link.port(LinkSignal::Par)) as u8,
            cpar: self.get_bit(link.port(LinkSignal::Cpar)),
        }
    }
    /// The core's (`ready`, `rpar`) on an into-core link.
    fn ready_pair(&self, link: Link) -> (bool, bool) {
        (self.get_bit(link.port(LinkSignal::Ready)), self.get_bit(link.port(LinkSignal::Rpar)))
    }
    /// Sets every input to its entry of `ports` (indexed by [`Port::index`]; output entries
    /// are ignored): a replayed cycle in one call.
    fn set_inputs(&mut self, ports: &[u64; PORT_COUNT]) {
        for p in Port::inputs() {
            self.set(p, ports[p.index()]);
        }
    }
    /// Every port by [`Port::index`], as `get` returns it.
    fn sample(&self) -> [u64; PORT_COUNT] {
        let mut s = [0; PORT_COUNT];
        for p in ALL_PORTS {
            s[p.index()] = self.get(p);
        }
        s
    }
    /// One whole cycle with the inputs as they are: `low` then `edge`.
    fn cycle(&mut self) {
        self.low();
        self.edge();
    }
}

/// `FtioCore` in rust-hdl's simulator, stepped with `ftio_hdl::testbench` (`low`/`edge`).
pub struct RustHdlCore {
    core: Box<FtioCore>,
}

impl RustHdlCore {
    /// A core built with `params`, connected and ready for its first cycle.
    pub fn new(params: &BuildParams) -> Self {
        let mut core = Box::new(FtioCore::new(params));
        core.connect_all();
        Self { core }
    }

    /// The rust-hdl block itself, e.g. to look at internal counters.
    pub fn core(&self) -> &FtioCore {
        &self.core
    }

    fn rx(&mut self, link: Link) -> &mut LinkRx {
        let c = &mut *self.core;
        match link {
            Link::CpuATx => &mut c.cpu_a_tx,
            Link::CpuBTx => &mut c.cpu_b_tx,
            Link::DiskARx => &mut c.disk_a_rx,
            Link::DiskBRx => &mut c.disk_b_rx,
            other => unreachable!("{} carries words out of the core", other.name()),
        }
    }

    fn tx(&mut self, link: Link) -> &mut LinkTx {
        let c = &mut *self.core;
        match link {
            Link::CpuARx => &mut c.cpu_a_rx,
            Link::CpuBRx => &mut c.cpu_b_rx,
            Link::DiskATx => &mut c.disk_a_tx,
            Link::DiskBTx => &mut c.disk_b_tx,
            other => unreachable!("{} carries words into the core", other.name()),
        }
    }

    fn rx_ref(&self, link: Link) -> &LinkRx {
        let c = &*self.core;
        match link {
            Link::CpuATx => &c.cpu_a_tx,
            Link::CpuBTx => &c.cpu_b_tx,
            Link::DiskARx => &c.disk_a_rx,
            Link::DiskBRx => &c.disk_b_rx,
            other => unreachable!("{} carries words out of the core", other.name()),
        }
    }

    fn tx_ref(&self, link: Link) -> &LinkTx {
        let c = &*self.core;
        match link {
            Link::CpuARx => &c.cpu_a_rx,
            Link::CpuBRx => &c.cpu_b_rx,
            Link::DiskATx => &c.disk_a_tx,
            Link::DiskBTx => &c.disk_b_tx,
            other => unreachable!("{} carries words into the core", other.name()),
        }
    }
}

impl CoreSim for RustHdlCore {
    fn set(&mut self, port: Port, v: u64) {
        assert_eq!(port.dir(), Dir::In, "{port} is an output of the core");
        let v = v & port.mask();
        let b = v != 0;
        match port {
            Port::Reset => self.core.reset.next = b,
            Port::UartRx => self.core.uart_rx.next = b,
            Port::Link(l, s) => match l.flow() {
                Flow::IntoCore => {
                    let rx = self.rx(l);
                    match s {
                        LinkSignal::Valid => rx.valid.next = b,
                        LinkSignal::Data => rx.data.next = v.into(),
                        LinkSignal::Last => rx.last.next = b,
                        LinkSignal::Abort => rx.abort.next = b,
                        LinkSignal::Par => rx.par.next = v.into(),
                        LinkSignal::Cpar => rx.cpar.next = b,
                        LinkSignal::Ready | LinkSignal::Rpar => unreachable!(),
                    }
                }
                Flow::OutOfCore => {
                    let tx = self.tx(l);
                    match s {
                        LinkSignal::Ready => tx.ready.next = b,
                        LinkSignal::Rpar => tx.rpar.next = b,
                        _ => unreachable!(),
                    }
                }
            },
            Port::UartTx | Port::Irq => unreachable!(),
        }
    }

    fn get(&self, port: Port) -> u64 {
        // Inputs read back what was last set (`next`), outputs what the logic settled to.
        match port {
            Port::Reset => self.core.reset.next as u64,
            Port::UartRx => self.core.uart_rx.next as u64,
            Port::UartTx => self.core.uart_tx.val() as u64,
            Port::Irq => self.core.irq.val() as u64,
            Port::Link(l, s) => match l.flow() {
                Flow::IntoCore => {
                    let rx = self.rx_ref(l);
                    match s {
                        LinkSignal::Valid => rx.valid.next as u64,
                        LinkSignal::Data => rx.data.next.to_u64(),
                        LinkSignal::Last => rx.last.next as u64,
                        LinkSignal::Abort => rx.abort.next as u64,
                        LinkSignal::Par => rx.par.next.to_u64(),
                        LinkSignal::Cpar => rx.cpar.next as u64,
                        LinkSignal::Ready => rx.ready.val() as u64,
                        LinkSignal::Rpar => rx.rpar.val() as u64,
                    }
                }
                Flow::OutOfCore => {
                    let tx = self.tx_ref(l);
                    match s {
                        LinkSignal::Valid => tx.valid.val() as u64,
                        LinkSignal::Data => tx.data.val().to_u64(),
                        LinkSignal::Last => tx.last.val() as u64,
                        LinkSignal::Abort => tx.abort.val() as u64,
                        LinkSignal::Par => tx.par.val().to_u64(),
                        LinkSignal::Cpar => tx.cpar.val() as u64,
                        LinkSignal::Ready => tx.ready.next as u64,
                        LinkSignal::Rpar => tx.rpar.next as u64,
                    }
                }
            },
        }
    }

    fn low(&mut self) {
        testbench::low(&mut *self.core, |c| &mut c.clock);
    }

    fn edge(&mut self) {
        testbench::edge(&mut *self.core, |c| &mut c.clock);
    }

    fn kind(&self) -> &'static str {
        "rust-hdl"
    }
}
