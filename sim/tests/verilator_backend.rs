//! The Verilator backend: the port table matches the generated Verilog, builds are cached by
//! content, and the model behaves like a clocked design.
use ftio_hdl::CoreParams;
use ftio_sim::port::{verilog_ports, Dir, Link, LinkSignal as S, Port, ALL_PORTS};
use ftio_sim::verilator::{build_library, shim_source};
use ftio_sim::{CoreSim, VerilatorCore};

/// The table in `ftio_sim::port` is exactly the port list of `ftio_core` as generated
/// (names, directions, widths, order), plus `clock` first.
#[test]
fn port_table_matches_generated_verilog() {
    let v = ftio_hdl::core_verilog(&CoreParams::default()).unwrap();
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
    let v = ftio_hdl::core_verilog(&CoreParams::default()).unwrap();
    let first = build_library(&v).unwrap();
    let again = build_library(&v).unwrap();
    assert!(again.cached);
    assert_eq!(first.path, again.path);
    assert!(again.seconds < 1.0, "a cache hit took {} s", again.seconds);
    let other = ftio_hdl::core_verilog(&CoreParams { counter_width: 16, ..CoreParams::default() }).unwrap();
    if other != v {
        assert_ne!(build_library(&other).unwrap().path, first.path);
    }
}

/// A word offered on cpu_a_tx at cycle t comes out on disk_a_tx at t+1 (SPLIT routing),
/// seen through the Verilator model alone.
#[test]
fn verilator_model_moves_a_word() {
    let mut m = VerilatorCore::new(&CoreParams::default()).unwrap();
    for l in Link::out_of_core() {
        m.set_bit(l.port(S::Ready), true);
        m.set_bit(l.port(S::Rpar), false);
    }
    for l in Link::into_core() {
        m.set_bit(l.port(S::Cpar), true);
    }
    m.set_bit(Port::UartRx, true);
    m.cycle();
    let a = Link::CpuATx;
    m.set_bit(a.port(S::Valid), true);
    m.set(a.port(S::Data), 0xDEAD_BEEF);
    m.set(a.port(S::Par), ftio_hdl::link::byte_parity(0xDEAD_BEEF) as u64);
    m.set_bit(a.port(S::Last), true);
    m.set_bit(a.port(S::Cpar), true); // ~(1 ^ 1 ^ 0)
    m.low();
    assert!(m.get_bit(a.port(S::Ready)));
    assert!(!m.get_bit(Link::DiskATx.port(S::Valid)));
    m.edge();
    m.set_bit(a.port(S::Valid), false);
    m.set_bit(a.port(S::Last), false);
    m.low();
    assert!(m.get_bit(Link::DiskATx.port(S::Valid)));
    assert_eq!(m.get(Link::DiskATx.port(S::Data)), 0xDEAD_BEEF);
    assert!(m.get_bit(Link::DiskATx.port(S::Last)));
    assert!(!m.get_bit(Port::Irq));
}
