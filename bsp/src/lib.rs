//! `ftio-bsp`: board support for ftio — the board table (pins, clocks, PLLs), the `board_top`
//! Verilog that puts `ftio_core` on a board, the constraint-file readers, and the
//! yosys/nextpnr/packer flows with their resource and timing report. No rust-hdl: the core
//! arrives as Verilog text.
pub mod board;
pub mod constraints;
pub mod flow;
pub mod gate_sim;
pub mod pll;
pub mod system;
pub mod top;

pub use board::{board, board_names, Board, CoreSize, Family, Led, LedRole, Pin, BOARDS};
pub use flow::{
    build, build_top, check_constraints, core_params, place_and_route, synth_command, synth_only_stats, synthesise, synthesise_top, tools, TopSources, BuildOpts, Report,
    Resource, SynthStats, Synthesis,
};
pub use pll::{Ecp5Pll, Ice40Pll, Pll};
pub use top::{board_top_verilog, core_ports, CorePort, Dir};
