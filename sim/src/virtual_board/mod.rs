//! The virtual board (SPEC §7): the generated `ftio_core` running under Verilator, its UART
//! offered on a pseudo-terminal, so `ftctl --port /dev/pts/N` works unchanged against it.
//!
//! One file a job:
//!
//! - [`Pty`] (`pty.rs`): a raw-mode pseudo-terminal pair (`posix_openpt`); the board keeps the slave
//!   open itself so the master never sees a hangup between two `ftctl` runs.
//! - [`HostUart`] (`host_uart.rs`): the far end of the core's UART at `clock_hz / baud` clocks per bit: bytes
//!   from the pty become 8N1 bit-serial levels on `uart_rx`; `uart_tx` is sampled mid-bit and
//!   decoded back into bytes for the pty.
//! - [`Traffic`] (`traffic.rs`): optional link-level load: two identical CPU streams (DUPLEX lockstep, CPU B
//!   optionally a fixed number of cycles behind CPU A), two disks that answer every frame, and
//!   a link-level fault (one data bit of one CPU A word flipped, its parity left as it was).
//! - [`VirtualBoard`] (`board_loop.rs`): the loop. Cycles run in batches; a reader thread stamps the host's
//!   bytes as they arrive, and between batches they are queued on the wire after the pause
//!   the host made before them (so SPEC §5's drop-on-silence works whatever the simulation's
//!   speed); the clock is paced to real time when the simulation is faster. When nothing at
//!   all is happening (no traffic, no byte in flight, the UART quiet for [`IDLE_QUIET_BITS`]
//!   bit times) it sleeps until a byte arrives, so an idle board costs no CPU; its clock stops
//!   while it sleeps, so `CYCLES` counts the time the board ran.
//! - [`spawn`] (`control.rs`): a board on its own thread with a [`BoardHandle`] (path, cycle
//!   count, fault injection, clean stop), as the tests use it, beside [`BoardConfig`],
//!   [`BoardControl`] and [`BoardSummary`].
//! - [`stop_on_signals`] (`signals.rs`): SIGINT/SIGTERM/SIGHUP end [`VirtualBoard::run`]
//!   cleanly, as `ftio sim board` uses it.
//!
//! See `docs/virtual-board.md`.

mod board_loop;
mod control;
mod host_uart;
mod pty;
mod signals;
mod traffic;

pub use board_loop::VirtualBoard;
pub use control::{spawn, BoardConfig, BoardControl, BoardHandle, BoardSummary};
pub use host_uart::HostUart;
pub use pty::{Pty, ReaderPriority};
pub use signals::{signals_seen, stop_on_signals};
pub use traffic::{
    cpu_frame, cpu_frame_tag, disk_reply, drive_links_idle, reply_frame_number, InjectedFault, Traffic, TrafficConfig, FAULT_WAIT_FRAMES,
    TrafficStats,
};

use ftio_hdl::BuildParams;

/// Core clock of the virtual board's default build, Hz: 8 × 19200, the fewest clocks per bit
/// the gateware's UART builds. Chosen so the board keeps real time with `--traffic` running
/// on the team's loaded 2-core machine: the Verilator model with the traffic models runs
/// about 0.22-0.30 M cycles/s there (docs/virtual-board.md, "The core's build"), so every
/// 115200-baud build (at least 921 600 Hz) runs 3-8× slower than its wire.
pub const BOARD_CLOCK_HZ: u32 = 153_600;
/// UART baud of the virtual board's default build. On a pty the baud is not a line rate
/// (ftctl's `--baud` is irrelevant there); it sets how many simulated cycles a byte costs.
pub const BOARD_BAUD: u32 = 19_200;
/// The UART counts as quiet after this many bit times with no byte in flight either way:
/// longer than the parser's inter-byte drop timeout (SPEC §5, 64 bit times) and the gap
/// between a request's last byte and its reply, so an idle board never sleeps in the middle
/// of an exchange.
pub const IDLE_QUIET_BITS: u64 = 128;
/// Cycles per batch between two looks at the pty.
pub const BATCH_CYCLES: u64 = 1024;
/// Longest sleep in `poll(2)` while idle (a stop request is seen within this).
pub const IDLE_POLL_MS: i32 = 20;
/// Bytes taken from the pty but not yet shifted onto `uart_rx` before the board stops
/// reading the pty (the kernel's pty buffer then holds the writer back, like RTS/CTS). Large:
/// the board is usually slower than the wire, so a host is often ahead of it, and every byte
/// must be read (and stamped) when it arrives for the host's pauses to be known; bytes left
/// in the kernel lose their timing.
pub const INPUT_QUEUE_BYTES: usize = 1 << 20;
/// Longest host pause carried onto `uart_rx` at its full length, in bit times: twice the
/// parser's 64-bit-time drop (SPEC §5), the only timer the core runs on its UART input, so a
/// longer pause has the same effect. Carried in full, every second a host thinks would cost
/// the board `CLOCK_HZ` simulated cycles before its next byte.
pub const MAX_CARRIED_PAUSE_BITS: u64 = IDLE_QUIET_BITS;
/// Bytes from the core kept while the pty cannot take them; beyond this they are dropped,
/// as a real UART's are when nobody listens.
pub const OUTPUT_QUEUE_BYTES: usize = 64 * 1024;

/// The core's build parameters on the virtual board: the defaults with [`BOARD_CLOCK_HZ`] and
/// [`BOARD_BAUD`] (19200 baud at 8 clocks per bit; a register read is about 1 300 cycles
/// instead of the 100 MHz build's 139 000), slow enough that the simulation keeps real time with
/// traffic running. `CLOCK_HZ` and `BAUD` read these values.
pub fn board_params() -> BuildParams {
    BuildParams { clock_hz: BOARD_CLOCK_HZ, baud: BOARD_BAUD, ..BuildParams::default() }
}
