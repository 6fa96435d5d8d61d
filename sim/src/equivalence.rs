//! Cross-simulator equivalence: run a scenario on one simulator while recording every port
//! every cycle, replay the recorded inputs into another, and require identical outputs in
//! every cycle.
//!
//! A scenario is a [`Stimulus`]: it sets the inputs before `low` and looks at the outputs
//! after it. Because it may react to outputs (a source holds a word until the core's
//! `ready`), replaying only the recorded inputs is exact up to the first differing output,
//! which is what is reported.
use crate::core_sim::{CoreSim, RustHdlCore};
use crate::port::{Port, PORT_COUNT};
use crate::verilator::VerilatorCore;
use ftio_hdl::BuildParams;
use crate::error::RunError;

/// An input generator for the core.
pub trait Stimulus {
    /// Sets the inputs of cycle `cycle` (called before `low`).
    fn drive(&mut self, cycle: u64, sim: &mut dyn CoreSim);
    /// Sees the outputs of cycle `cycle` (called after `low`, before `edge`).
    fn observe(&mut self, cycle: u64, sim: &dyn CoreSim);
}

/// Every port's value in every cycle, sampled after `low`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// `samples[cycle][port.index()]`.
    pub samples: Vec<[u64; PORT_COUNT]>,
}

impl Trace {
    /// Number of cycles recorded.
    pub fn len(&self) -> usize {
        self.samples.len()
    }
    /// Nothing recorded.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
    /// `port` in `cycle`.
    pub fn get(&self, cycle: usize, port: Port) -> u64 {
        self.samples[cycle][port.index()]
    }
    /// Cycles in which `port` was non-zero.
    pub fn count_high(&self, port: Port) -> usize {
        self.samples.iter().filter(|s| s[port.index()] != 0).count()
    }
    /// Number of cycles in which `port` differs from the cycle before.
    pub fn toggles(&self, port: Port) -> usize {
        self.samples.windows(2).filter(|w| w[0][port.index()] != w[1][port.index()]).count()
    }
}


/// Runs `stim` on `sim` for `cycles` cycles, recording every port.
pub fn record(sim: &mut dyn CoreSim, stim: &mut dyn Stimulus, cycles: u64) -> Trace {
    let mut trace = Trace { samples: Vec::with_capacity(cycles as usize) };
    for cycle in 0..cycles {
        stim.drive(cycle, sim);
        sim.low();
        trace.samples.push(sim.sample());
        stim.observe(cycle, sim);
        sim.edge();
    }
    trace
}

/// Runs `stim` on `sim` for `cycles` cycles without recording.
pub fn run(sim: &mut dyn CoreSim, stim: &mut dyn Stimulus, cycles: u64) {
    for cycle in 0..cycles {
        stim.drive(cycle, sim);
        sim.low();
        stim.observe(cycle, sim);
        sim.edge();
    }
}

/// The first cycle where two simulators disagree.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("simulators diverge at cycle {cycle}:{}", differing(ports, expected_from, actual_from))]
pub struct Divergence {
    /// Cycle (0 = first).
    pub cycle: usize,
    /// Every output that differs in that cycle: (port, recorded, replayed).
    pub ports: Vec<(Port, u64, u64)>,
    /// Simulator that recorded.
    pub expected_from: String,
    /// Simulator that replayed.
    pub actual_from: String,
}

/// ` port: recorder value, replayer value;` for each port of a [`Divergence`].
fn differing(ports: &[(Port, u64, u64)], expected_from: &str, actual_from: &str) -> String {
    ports.iter().map(|(p, e, a)| format!(" {p}: {expected_from} {e:#x}, {actual_from} {a:#x};")).collect()
}

/// Drives the recorded inputs of `trace` into `sim` and compares every output every cycle.
pub fn replay(trace: &Trace, sim: &mut dyn CoreSim, recorded_by: &str) -> Result<(), Divergence> {
    let outputs: Vec<Port> = Port::outputs().collect();
    // All ones at every output's index: one pass over the sample, with no branch per port,
    // finds whether any output differs (the check runs every cycle; docs/simulation.md,
    // "Simulation speed", lever 6).
    let mut is_output = [0u64; PORT_COUNT];
    for p in &outputs {
        is_output[p.index()] = !0;
    }
    for (cycle, s) in trace.samples.iter().enumerate() {
        sim.set_inputs(s);
        sim.low();
        let got = sim.sample();
        let differs = got.iter().zip(s).zip(&is_output).fold(0, |acc, ((g, e), m)| acc | ((g ^ e) & m));
        if differs != 0 {
            let diff: Vec<(Port, u64, u64)> = outputs
                .iter()
                .filter(|&&p| got[p.index()] != s[p.index()])
                .map(|&p| (p, s[p.index()], got[p.index()]))
                .collect();
            return Err(Divergence {
                cycle,
                ports: diff,
                expected_from: recorded_by.to_string(),
                actual_from: sim.kind().to_string(),
            });
        }
        sim.edge();
    }
    Ok(())
}

/// Runs `stim` for `cycles` in rust-hdl's simulator of the core built with `params`, replays
/// it into the Verilator model of the same build, and returns the trace when every output
/// agrees in every cycle.
pub fn rust_hdl_vs_verilator(
    params: &BuildParams,
    stim: &mut dyn Stimulus,
    cycles: u64,
) -> Result<Trace, RunError> {
    let mut golden = RustHdlCore::new(params);
    let trace = record(&mut golden, stim, cycles);
    let mut model = VerilatorCore::new(params)?;
    replay(&trace, &mut model, golden.kind())?;
    Ok(trace)
}
