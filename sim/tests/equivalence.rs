//! rust-hdl's simulation of FtioCore and Verilator's simulation of the generated `ftio_core`
//! agree on every output in every cycle, for every scenario. Each test also checks that its
//! scenario really exercised the core (words moved, faults flagged), so agreement is not
//! agreement on silence.
use ftio_hdl::CoreParams;
use ftio_sim::equivalence::{record, replay, rust_hdl_vs_verilator, Trace};
use ftio_sim::link::LinkError;
use ftio_sim::port::{Link, LinkSignal as S, Port};
use ftio_sim::scenario::{self, Scenario};
use ftio_sim::{CoreSim, RustHdlCore, VerilatorCore};

fn moved(trace: &Trace, link: Link) -> usize {
    (0..trace.len())
        .filter(|&c| trace.get(c, link.port(S::Valid)) == 1 && trace.get(c, link.port(S::Ready)) == 1)
        .count()
}

fn run(params: &CoreParams, mut sc: Scenario) -> (Trace, Scenario) {
    let trace = match rust_hdl_vs_verilator(params, &mut sc.stimulus, sc.cycles) {
        Ok(t) => t,
        Err(e) => panic!("scenario {}: {e}", sc.name),
    };
    (trace, sc)
}

#[test]
fn full_rate_traffic_agrees() {
    let (trace, mut sc) = run(&CoreParams::default(), scenario::full_rate(1));
    for link in Link::all() {
        assert!(moved(&trace, link) >= 550, "{}: {} words moved", link.name(), moved(&trace, link));
    }
    assert!(sc.stimulus.sources_done());
    for link in Link::out_of_core() {
        assert_eq!(sc.stimulus.sink(link).words.len(), 600);
        assert!(sc.stimulus.sink(link).errors.is_empty());
    }
    assert_eq!(trace.count_high(Port::Irq), 0);
}

#[test]
fn random_backpressure_agrees() {
    let (trace, mut sc) = run(&CoreParams::default(), scenario::random_backpressure(2));
    assert!(sc.stimulus.sources_done(), "all words delivered in the scenario's cycles");
    for link in Link::out_of_core() {
        let sink = sc.stimulus.sink(link);
        assert_eq!(sink.words.len(), 500);
        assert!(sink.errors.is_empty(), "{}: {:?}", link.name(), sink.errors);
    }
    // Back-pressure reached the sources: the core said not-ready on every into-core link.
    for link in Link::into_core() {
        let stalls = (0..trace.len())
            .filter(|&c| trace.get(c, link.port(S::Valid)) == 1 && trace.get(c, link.port(S::Ready)) == 0)
            .count();
        assert!(stalls > 10, "{}: {stalls} stalled offers", link.name());
    }
}

#[test]
fn parity_faults_agree() {
    let (trace, mut sc) = run(&CoreParams::default(), scenario::parity_faults(3));
    let first_irq = (0..trace.len()).find(|&c| trace.get(c, Port::Irq) == 1).expect("irq rises");
    assert!(trace.count_high(Port::Irq) > 100, "irq stays latched");
    assert!(first_irq < 120, "the first fault (data bit of cpu_b_tx word 5) is flagged early: {first_irq}");
    // The corrupted words reach their sinks with the parity error carried, not repaired.
    let errs = |s: &mut Scenario, l: Link| s.stimulus.sink(l).errors.clone();
    assert!(errs(&mut sc, Link::DiskBTx).iter().any(|e| matches!(e, LinkError::DataParity { .. })));
    assert!(errs(&mut sc, Link::CpuARx).iter().any(|e| matches!(e, LinkError::DataParity { .. })));
}

#[test]
fn uart_rx_idle_agrees() {
    let (trace, _) = run(&CoreParams::default(), scenario::uart_rx_idle());
    assert_eq!(trace.count_high(Port::UartRx), trace.len());
    assert_eq!(trace.count_high(Port::Irq), 0);
}

#[test]
fn uart_rx_bytes_agree() {
    // A fast UART (8 clocks per bit) so a whole request fits in a short run.
    let params = CoreParams { clock_hz: 1_000_000, baud: 125_000, ..CoreParams::default() };
    let sc = scenario::uart_rx_bytes(4, 8);
    let (trace, sc) = run(&params, sc);
    assert!(sc.stimulus.uart.is_idle(), "every byte was sent");
    assert!(trace.toggles(Port::UartRx) > 30);
}

#[test]
fn reset_during_traffic_agrees() {
    let (trace, _) = run(&CoreParams::default(), scenario::reset_during_traffic(5));
    assert_eq!(trace.count_high(Port::Reset), 5);
    assert!(moved(&trace, Link::DiskATx) > 100);
}

/// The comparison can fail: a recorded output altered in one cycle is reported at exactly
/// that cycle and port.
#[test]
fn replay_reports_the_first_differing_cycle_and_port() {
    let params = CoreParams::default();
    let mut sc = scenario::random_backpressure(6);
    let mut golden = RustHdlCore::new(&params);
    let mut trace = record(&mut golden, &mut sc.stimulus, 300);
    let port = Link::DiskBTx.port(S::Data);
    let cycle = (0..trace.len()).find(|&c| c > 100 && trace.get(c, Link::DiskBTx.port(S::Valid)) == 1).unwrap();
    trace.samples[cycle][port.index()] ^= 0x10;
    let mut model = VerilatorCore::new(&params).expect("verilator model");
    let d = replay(&trace, &mut model, "rust-hdl").expect_err("must diverge");
    assert_eq!(d.cycle, cycle);
    assert_eq!(d.ports.len(), 1);
    assert_eq!(d.ports[0].0, port);
    assert_eq!(d.ports[0].1 ^ d.ports[0].2, 0x10);
    assert!(d.to_string().contains("disk_b_tx_data"), "{d}");
}

/// Inputs all left at 0 from power-on (so `cpar` = 0: a control parity error on every
/// into-core link every cycle): both simulators start from the same state and flag it alike.
#[test]
fn power_on_with_inputs_at_zero_agrees() {
    struct Untouched;
    impl ftio_sim::equivalence::Stimulus for Untouched {
        fn drive(&mut self, _: u64, _: &mut dyn CoreSim) {}
        fn observe(&mut self, _: u64, _: &dyn CoreSim) {}
    }
    let trace = rust_hdl_vs_verilator(&CoreParams::default(), &mut Untouched, 50).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(trace.get(0, Port::Irq), 0, "irq is a register: low in cycle 0");
    assert_eq!(trace.get(2, Port::Irq), 1, "the parity errors of cycle 0 are flagged");
}

/// CPU B sends CPU A's frames 3 cycles later: the stimulus of strict lockstep with offset 3.
/// Both disk links get the same word stream (SPLIT routes each CPU to its disk; DUPLEX
/// mirrors the agreed stream to both).
#[test]
fn lockstep_offset_agrees() {
    let (trace, mut sc) = run(&CoreParams::default(), scenario::lockstep_offset(7));
    let a = sc.stimulus.sink(Link::DiskATx).words.clone();
    assert_eq!(a.len(), 500);
    assert_eq!(sc.stimulus.sink(Link::DiskBTx).words, a);
    let first = |l: Link| (0..trace.len()).find(|&c| trace.get(c, l.port(S::Valid)) == 1).unwrap();
    assert_eq!(first(Link::CpuBTx), first(Link::CpuATx) + 3);
}
