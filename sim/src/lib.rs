//! ftio-sim: system simulation of the ftio core.
//!
//! - [`port`]: the SPEC §3 port table, the single source of port names, directions, widths.
//! - [`CoreSim`]: one cycle-level testbench API, implemented by [`RustHdlCore`] (rust-hdl's
//!   simulator of `FtioCore`) and [`VerilatorCore`] (the generated Verilog under Verilator).
//! - [`equivalence`]: record a scenario in one simulator, replay it in the other, compare
//!   every output every cycle.
//! - [`lockstep_model`]: transaction-level reference model of the write path (disk words,
//!   mode, causes, counters) for cut-through and store-and-forward; [`return_model`] the
//!   same for the return path (CPU words, failed disk, causes, return counters).
//! - [`link`], [`scenario`]: link-level sources, sinks and reusable input generators.
//! - [`models`]: CPU and disk behavioural models (SATA-like FIS frames, sparse disk image);
//!   [`system`] puts them around a simulated core.
//! - [`bench`]: simulation speed of the core in both simulators on the same workload;
//!   [`datapath_bench`]: the datapath figures (throughput, latency, detection, back-pressure)
//!   measured at the pins of the Verilator model.
//! - [`rig`]: models + a register host on the UART around one core; [`demo`] (`ftio demo`)
//!   runs fault scenarios on it, [`campaign`] (`ftio campaign`) random single faults,
//!   [`vcd`] writes waveforms; [`state`] enumerates every state bit of
//!   the core for the upset campaign.
//! - [`waves`]: the timing diagrams of docs/waves/ (`ftio waves`), measured on the Verilator
//!   model and rendered with WaveDrom.
//!
//! See `docs/simulation.md`.
pub mod bench;
pub mod campaign;
pub mod core_sim;
pub mod cpu_demo;
pub mod cpu_side;
pub mod datapath_bench;
pub mod demo;
pub mod equivalence;
pub mod error;
pub mod firmware;
pub mod link;
pub mod lockstep_model;
pub mod models;
pub mod port;
pub mod return_model;
pub mod rig;
pub mod scenario;
pub mod state;
pub mod system;
pub mod vcd;
pub mod venv;
pub mod verilator;
pub mod virtual_board;
pub mod waves;

pub use core_sim::{CoreSim, RustHdlCore};
pub use error::{BoardError, IoAt, SimError};
pub use port::{Link, LinkSignal, Port};
pub use verilator::VerilatorCore;
