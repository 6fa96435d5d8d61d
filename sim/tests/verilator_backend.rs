//! The Verilator backend: the port table matches the generated Verilog, builds are cached by
//! content, and the model behaves like a clocked design.
use ftio_hdl::BuildParams;
use ftio_sim::port::{verilog_ports, Dir, Link, LinkSignal as S, Port, ALL_PORTS};
use ftio_sim::verilator::{build_library, shim_source};
use ftio_sim::{CoreSim, VerilatorCore};

/// The table in `ftio_sim::port` is exactly the port list of `ftio_core` as generated
/// (names, directions, widths, order), plus `clock` first.
#[test]
fn port_table_matches_generated_verilog() {
    let v = ftio_hdl::core_verilog(&BuildParams::default()).unwrap();
    let ports = verilog_ports(&v).unwrap();
    let mut want = vec![("clock".to_string(), Dir::In, 1)];
    want.extend(ALL_PORTS.iter().map(|p| (p.name(), p.dir(), p.width())));
    assert_eq!(ports, want);
}

#[test]
fn shim_has_an_accessor_for_every_port() {
    let shim = shim_source();
    for p in ALL_PORTS {
        assert!(shim.contains(&format!("case {}: return m->top.{};", p.index(), p.name())), "{p}");
        let sets = shim.contains(&format!("case {}: m->top.{} =", p.index(), p.name()));
        assert_eq!(sets, p.dir() == Dir::In, "{p}");
    }
}

/// A second build of the same Verilog compiles nothing; different Verilog is a different
/// build.
#[test]
fn builds_are_cached_by_content() {
    let v = ftio_hdl::core_verilog(&BuildParams::default()).unwrap();
    let first = build_library(&v).unwrap();
    let again = build_library(&v).unwrap();
    assert!(again.cached);
    assert_eq!(first.path, again.path);
    assert!(again.seconds < 1.0, "a cache hit took {} s", again.seconds);
    let other = ftio_hdl::core_verilog(&BuildParams { counter_width: 16, ..BuildParams::default() }).unwrap();
    if other != v {
        assert_ne!(build_library(&other).unwrap().path, first.path);
    }
}

/// The same word offered on cpu_a_tx and cpu_b_tx and taken at cycle t is on both disk
/// links at t+3 (the DUPLEX cut-through latency), seen through the Verilator model alone;
/// one CPU alone moves nothing.
#[test]
fn verilator_model_moves_a_word() {
    let mut m = VerilatorCore::new(&BuildParams::default()).unwrap();
    for l in Link::out_of_core() {
        m.set_bit(l.port(S::Ready), true);
        m.set_bit(l.port(S::Rpar), false);
    }
    for l in Link::into_core() {
        m.set_bit(l.port(S::Cpar), true);
    }
    m.set_bit(Port::UartRx, true);
    m.cycle();
    let offer = |m: &mut VerilatorCore, l: Link, on: bool| {
        m.set_bit(l.port(S::Valid), on);
        m.set(l.port(S::Data), if on { 0xDEAD_BEEF } else { 0 });
        m.set(l.port(S::Par), if on { ftio_hdl::link::byte_parity(0xDEAD_BEEF) as u64 } else { 0 });
        m.set_bit(l.port(S::Last), on);
        m.set_bit(l.port(S::Cpar), true); // ~(1 ^ 1 ^ 0) offered, ~(0 ^ 0 ^ 0) idle
    };
    // CPU A alone: taken into its skew FIFO, but nothing leaves without CPU B's word.
    offer(&mut m, Link::CpuATx, true);
    m.low();
    assert!(m.get_bit(Link::CpuATx.port(S::Ready)));
    m.edge();
    offer(&mut m, Link::CpuATx, false);
    for _ in 0..5 {
        m.low();
        assert!(!m.get_bit(Link::DiskATx.port(S::Valid)));
        m.edge();
    }
    // CPU B's copy taken at t: both disks at t+3, not before.
    offer(&mut m, Link::CpuBTx, true);
    m.low();
    assert!(m.get_bit(Link::CpuBTx.port(S::Ready)));
    m.edge();
    offer(&mut m, Link::CpuBTx, false);
    m.low();
    assert!(!m.get_bit(Link::DiskATx.port(S::Valid)), "t+1");
    m.edge();
    m.low();
    assert!(!m.get_bit(Link::DiskATx.port(S::Valid)), "t+2");
    m.edge();
    m.low();
    for d in [Link::DiskATx, Link::DiskBTx] {
        assert!(m.get_bit(d.port(S::Valid)), "{} at t+3", d.name());
        assert_eq!(m.get(d.port(S::Data)), 0xDEAD_BEEF);
        assert!(m.get_bit(d.port(S::Last)));
    }
    m.edge();
    m.low();
    assert!(!m.get_bit(Link::DiskATx.port(S::Valid)), "once");
    assert!(!m.get_bit(Port::Irq));
}
