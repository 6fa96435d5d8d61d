//! ftio gateware: the blocks of SPEC §1 and the core that composes them.
pub mod inject;
pub mod link;
pub mod lockstep;
pub mod parity;
pub mod regfile;
pub mod link_check;
pub mod crc16;
pub mod delay_line;
pub mod disk_monitor;
pub mod fabric;
pub mod fault_log;
pub mod stage;
pub mod stream_fifo;
pub mod testbench;
pub mod uart;
pub mod bist;
pub mod blocks;
pub mod bram;
pub mod comb_order;
pub mod cmd_parser;
pub mod commit_gate;
pub mod core;
pub mod cpu_port;
pub mod verilog;

pub use crate::core::{BuildParams, FtioCore};
pub use crate::verilog::core_verilog;
