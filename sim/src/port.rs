//! The ports of `ftio_core` (SPEC §3), as one table from which everything else is derived:
//! the [`Port`] list, each port's Verilog name, direction and width, the Verilator shim's
//! accessors, and the rust-hdl accessors.
//!
//! `clock` is not a [`Port`]: it is driven by [`crate::CoreSim::low`] and
//! [`crate::CoreSim::edge`], never set directly.

/// The eight links of SPEC §3, in the order of the Verilog port list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Link {
    /// CPU A → core: storage commands and write data.
    CpuATx,
    /// CPU B → core.
    CpuBTx,
    /// Core → CPU A: completions and read data.
    CpuARx,
    /// Core → CPU B.
    CpuBRx,
    /// Core → SATA controller A: commands and write data.
    DiskATx,
    /// Core → SATA controller B.
    DiskBTx,
    /// SATA controller A → core: completions and read data.
    DiskARx,
    /// SATA controller B → core.
    DiskBRx,
}

/// Which way a link's words travel, seen from the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flow {
    /// Words come into the core (the core is the sink: it drives `ready`/`rpar`).
    IntoCore,
    /// Words leave the core (the core is the source).
    OutOfCore,
}

/// The signals of one link (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkSignal {
    /// A word is offered this cycle.
    Valid,
    /// The word.
    Data,
    /// Final word of a frame.
    Last,
    /// With `last`: the frame is void.
    Abort,
    /// Odd parity per data byte.
    Par,
    /// Odd parity over `valid`, `last`, `abort`.
    Cpar,
    /// The sink takes the word this cycle.
    Ready,
    /// `~ready`.
    Rpar,
}

/// Who drives a link signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Driver {
    /// The link's source (the end that offers words).
    Source,
    /// The link's sink.
    Sink,
}

/// Direction of a port, seen from the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Driven by the testbench.
    In,
    /// Driven by the core.
    Out,
}

/// THE table of links: variant, Verilog prefix, flow.
pub const LINKS: [(Link, &str, Flow); 8] = [
    (Link::CpuATx, "cpu_a_tx", Flow::IntoCore),
    (Link::CpuBTx, "cpu_b_tx", Flow::IntoCore),
    (Link::CpuARx, "cpu_a_rx", Flow::OutOfCore),
    (Link::CpuBRx, "cpu_b_rx", Flow::OutOfCore),
    (Link::DiskATx, "disk_a_tx", Flow::OutOfCore),
    (Link::DiskBTx, "disk_b_tx", Flow::OutOfCore),
    (Link::DiskARx, "disk_a_rx", Flow::IntoCore),
    (Link::DiskBRx, "disk_b_rx", Flow::IntoCore),
];

/// THE table of link signals: variant, Verilog suffix, width, driver.
pub const LINK_SIGNALS: [(LinkSignal, &str, u32, Driver); 8] = [
    (LinkSignal::Valid, "valid", 1, Driver::Source),
    (LinkSignal::Data, "data", 32, Driver::Source),
    (LinkSignal::Last, "last", 1, Driver::Source),
    (LinkSignal::Abort, "abort", 1, Driver::Source),
    (LinkSignal::Par, "par", 4, Driver::Source),
    (LinkSignal::Cpar, "cpar", 1, Driver::Source),
    (LinkSignal::Ready, "ready", 1, Driver::Sink),
    (LinkSignal::Rpar, "rpar", 1, Driver::Sink),
];

/// THE table of the ports that are not links: port, Verilog name, direction, width. `reset`
/// comes before the links in the Verilog port list, the others after.
pub const OTHER_PORTS: [(Port, &str, Dir, u32); 4] = [
    (Port::Reset, "reset", Dir::In, 1),
    (Port::UartRx, "uart_rx", Dir::In, 1),
    (Port::UartTx, "uart_tx", Dir::Out, 1),
    (Port::Irq, "irq", Dir::Out, 1),
];

/// One port of `ftio_core` other than `clock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Port {
    /// Synchronous reset, active high.
    Reset,
    /// One signal of one link, e.g. `Port::Link(Link::CpuATx, LinkSignal::Data)` is
    /// `cpu_a_tx_data`.
    Link(Link, LinkSignal),
    /// UART receive (8N1, idle high).
    UartRx,
    /// UART transmit.
    UartTx,
    /// Fault interrupt.
    Irq,
}

/// Number of ports (all but `clock`).
pub const PORT_COUNT: usize = 1 + 8 * 8 + 3;

const fn build_all() -> [Port; PORT_COUNT] {
    let mut all = [Port::Reset; PORT_COUNT];
    let mut i = 0;
    while i < 8 {
        let mut s = 0;
        while s < 8 {
            all[1 + i * 8 + s] = Port::Link(LINKS[i].0, LINK_SIGNALS[s].0);
            s += 1;
        }
        i += 1;
    }
    all[65] = Port::UartRx;
    all[66] = Port::UartTx;
    all[67] = Port::Irq;
    all
}

/// Every port, in the order of the Verilog port list (with `clock` left out). A port's
/// position here is its [`Port::index`].
pub const ALL_PORTS: [Port; PORT_COUNT] = build_all();

impl Link {
    /// Position in [`LINKS`].
    pub const fn index(self) -> usize {
        self as usize
    }
    /// Verilog prefix, e.g. `cpu_a_tx`.
    pub const fn name(self) -> &'static str {
        LINKS[self as usize].1
    }
    /// Which way its words go.
    pub const fn flow(self) -> Flow {
        LINKS[self as usize].2
    }
    /// Every link.
    pub fn all() -> impl Iterator<Item = Link> {
        LINKS.iter().map(|l| l.0)
    }
    /// The links whose words come into the core (the testbench is their source).
    pub fn into_core() -> impl Iterator<Item = Link> {
        Link::all().filter(|l| l.flow() == Flow::IntoCore)
    }
    /// The links whose words leave the core (the testbench is their sink).
    pub fn out_of_core() -> impl Iterator<Item = Link> {
        Link::all().filter(|l| l.flow() == Flow::OutOfCore)
    }
    /// The port of one of this link's signals.
    pub const fn port(self, s: LinkSignal) -> Port {
        Port::Link(self, s)
    }
}

impl LinkSignal {
    /// Verilog suffix, e.g. `data`.
    pub const fn name(self) -> &'static str {
        LINK_SIGNALS[self as usize].1
    }
    /// Width in bits.
    pub const fn width(self) -> u32 {
        LINK_SIGNALS[self as usize].2
    }
    /// Which end of the link drives it.
    pub const fn driver(self) -> Driver {
        LINK_SIGNALS[self as usize].3
    }
}

impl Port {
    /// Position in [`ALL_PORTS`] (and the index the Verilator shim uses).
    pub const fn index(self) -> usize {
        match self {
            Port::Reset => 0,
            Port::Link(l, s) => 1 + (l as usize) * 8 + s as usize,
            Port::UartRx => 65,
            Port::UartTx => 66,
            Port::Irq => 67,
        }
    }

    /// The port at `index` in [`ALL_PORTS`].
    pub fn from_index(index: usize) -> Option<Port> {
        ALL_PORTS.get(index).copied()
    }

    fn other(self) -> Option<&'static (Port, &'static str, Dir, u32)> {
        OTHER_PORTS.iter().find(|o| o.0 == self)
    }

    /// The flat Verilog name, e.g. `disk_b_rx_ready`.
    pub fn name(self) -> String {
        match self {
            Port::Link(l, s) => format!("{}_{}", l.name(), s.name()),
            other => other.other().expect("in OTHER_PORTS").1.to_string(),
        }
    }

    /// Input (driven by the testbench) or output (driven by the core).
    pub fn dir(self) -> Dir {
        match self {
            Port::Link(l, s) => match (l.flow(), s.driver()) {
                (Flow::IntoCore, Driver::Source) | (Flow::OutOfCore, Driver::Sink) => Dir::In,
                _ => Dir::Out,
            },
            other => other.other().expect("in OTHER_PORTS").2,
        }
    }

    /// Width in bits (at most 32).
    pub fn width(self) -> u32 {
        match self {
            Port::Link(_, s) => s.width(),
            other => other.other().expect("in OTHER_PORTS").3,
        }
    }

    /// All-ones of the port's width.
    pub fn mask(self) -> u64 {
        (1u64 << self.width()) - 1
    }

    /// Every input port.
    pub fn inputs() -> impl Iterator<Item = Port> {
        ALL_PORTS.into_iter().filter(|p| p.dir() == Dir::In)
    }

    /// Every output port.
    pub fn outputs() -> impl Iterator<Item = Port> {
        ALL_PORTS.into_iter().filter(|p| p.dir() == Dir::Out)
    }

    /// The port with flat Verilog name `name`.
    pub fn by_name(name: &str) -> Option<Port> {
        ALL_PORTS.into_iter().find(|p| p.name() == name)
    }
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// Why [`verilog_ports`] could not read the port list of the generated Verilog (rust-hdl
/// writes each port on a line of its own, `input`/`output`, an optional `[msb:lsb]`, a name).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PortsError {
    #[error("no `module ftio_core(` in the Verilog")]
    NoModule,
    #[error("module ftio_core has no endmodule")]
    NoEndmodule,
    #[error("bad range in `{0}`")]
    Range(String),
    #[error("no name in `{0}`")]
    NoName(String),
}

/// The port declarations of module `ftio_core` in generated Verilog: (name, direction,
/// width) in declaration order, `clock` included. Used to check [`ALL_PORTS`] against the
/// Verilog the hdl crate generates.
pub fn verilog_ports(verilog: &str) -> Result<Vec<(String, Dir, u32)>, PortsError> {
    let start = verilog.find("module ftio_core(").ok_or(PortsError::NoModule)?;
    let body = &verilog[start..];
    let end = body.find("endmodule").ok_or(PortsError::NoEndmodule)?;
    let mut ports = vec![];
    for line in body[..end].lines() {
        let line = line.trim();
        let dir = if line.starts_with("input ") {
            Dir::In
        } else if line.starts_with("output ") {
            Dir::Out
        } else {
            continue;
        };
        let decl = line.trim_end_matches(';');
        let width = match (decl.find('['), decl.find(']')) {
            (Some(a), Some(b)) => {
                let range = &decl[a + 1..b];
                let bad = || PortsError::Range(line.to_string());
                let (msb, lsb) = range.split_once(':').ok_or_else(bad)?;
                let msb: u32 = msb.trim().parse().map_err(|_| bad())?;
                let lsb: u32 = lsb.trim().parse().map_err(|_| bad())?;
                msb - lsb + 1
            }
            _ => 1,
        };
        let name = decl.split_whitespace().last().ok_or_else(|| PortsError::NoName(line.to_string()))?;
        ports.push((name.to_string(), dir, width));
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_the_table() {
        for (i, p) in ALL_PORTS.iter().enumerate() {
            assert_eq!(p.index(), i, "{p}");
            assert_eq!(Port::from_index(i), Some(*p));
            assert_eq!(Port::by_name(&p.name()), Some(*p));
        }
        assert_eq!(Port::Link(Link::CpuATx, LinkSignal::Ready).dir(), Dir::Out);
        assert_eq!(Port::Link(Link::DiskBTx, LinkSignal::Rpar).dir(), Dir::In);
        assert_eq!(Port::Link(Link::DiskBTx, LinkSignal::Data).dir(), Dir::Out);
        assert_eq!(Port::Link(Link::DiskARx, LinkSignal::Par).dir(), Dir::In);
        assert_eq!(Port::Link(Link::DiskARx, LinkSignal::Par).width(), 4);
        assert_eq!(Port::inputs().count() + Port::outputs().count(), PORT_COUNT);
        // 4 links in × 6 source signals + 4 links out × 2 sink signals + reset + uart_rx.
        assert_eq!(Port::inputs().count(), 4 * 6 + 4 * 2 + 2);
    }
}
