//! What a caller gives a board and gets back: its [`BoardConfig`], the [`BoardControl`]
//! shared with the running loop, the [`BoardSummary`] when it stops, and [`spawn`] with its
//! [`BoardHandle`] for a board on its own thread.
use crate::error::BoardError;
use super::{board_params, InjectedFault, ReaderPriority, TrafficConfig, TrafficStats, VirtualBoard};
use ftio_hdl::BuildParams;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to run a virtual board.
#[derive(Clone, Debug)]
pub struct BoardConfig {
    /// The core's build parameters ([`board_params`] unless told otherwise).
    pub params: BuildParams,
    /// Also make this path a symlink to the pty (replacing an old symlink; never a file).
    pub link: Option<PathBuf>,
    /// Built-in traffic; `None`: every link idle and correct.
    pub traffic: Option<TrafficConfig>,
    /// Flip a data bit of the first word of CPU A's first frame sent at or after this cycle
    /// with nothing in flight (needs traffic; [`super::Traffic::arm_cpu_a_fault`]).
    pub fault_at: Option<u64>,
    /// Data bit flipped by a CPU A fault.
    pub fault_bit: u8,
    /// Stop after this many cycles; the clock then runs without pause (no idle sleep).
    pub max_cycles: Option<u64>,
    /// Stop when SIGINT/SIGTERM/SIGHUP arrive (after [`stop_on_signals`]).
    pub stop_on_signal: bool,
    /// Report events (irq changes, injected faults) on stderr.
    pub verbose: bool,
}

impl Default for BoardConfig {
    fn default() -> Self {
        Self {
            params: board_params(),
            link: None,
            traffic: None,
            fault_at: None,
            fault_bit: 0,
            max_cycles: None,
            stop_on_signal: false,
            verbose: false,
        }
    }
}

/// Shared between a running board and whoever controls it.
#[derive(Debug, Default)]
pub struct BoardControl {
    pub(super) stop: AtomicBool,
    pub(super) inject_cpu_a: AtomicBool,
    pub(super) cycles: AtomicU64,
    pub(super) bytes_in: AtomicU64,
    pub(super) bytes_out: AtomicU64,
    pub(super) faults_injected: AtomicU64,
    pub(super) last_fault: std::sync::Mutex<Option<InjectedFault>>,
    pub(super) irq: AtomicBool,
    pub(super) exchange_cycles: AtomicU64,
    pub(super) traffic: std::sync::Mutex<Option<TrafficStats>>,
}

impl BoardControl {
    /// Asks the board to stop (seen within one batch or one idle poll).
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }
    /// Asks for a CPU A fault on the first word of its next frame sent with nothing in flight
    /// (needs traffic; [`super::Traffic::arm_cpu_a_fault`]).
    pub fn inject_cpu_a_fault(&self) {
        self.inject_cpu_a.store(true, Ordering::SeqCst);
    }
    /// Cycles run so far (updated after every batch).
    pub fn cycles(&self) -> u64 {
        self.cycles.load(Ordering::SeqCst)
    }
    /// Bytes from the pty shifted into the core.
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in.load(Ordering::SeqCst)
    }
    /// Bytes from the core written to the pty.
    pub fn bytes_out(&self) -> u64 {
        self.bytes_out.load(Ordering::SeqCst)
    }
    /// CPU A words sent corrupted so far.
    pub fn faults_injected(&self) -> u64 {
        self.faults_injected.load(Ordering::SeqCst)
    }
    /// The last CPU A word sent corrupted (as of the end of the last batch).
    pub fn last_fault(&self) -> Option<InjectedFault> {
        *self.last_fault.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Cycles of the last UART exchange: from the first start bit the host sent after a quiet
    /// line to the middle of the stop bit of the core's last reply byte (0 before any).
    pub fn exchange_cycles(&self) -> u64 {
        self.exchange_cycles.load(Ordering::SeqCst)
    }
    /// The core's `irq` output at the end of the last batch.
    pub fn irq(&self) -> bool {
        self.irq.load(Ordering::SeqCst)
    }
    /// The built-in traffic's counts as of the end of the last batch (None without traffic).
    pub fn traffic_stats(&self) -> Option<TrafficStats> {
        self.traffic.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// What a board did, when it stops.
#[derive(Clone, Debug, Default)]
pub struct BoardSummary {
    /// Cycles simulated.
    pub cycles: u64,
    /// Wall time of [`VirtualBoard::run`], seconds.
    pub seconds: f64,
    /// Wall time spent simulating (not sleeping), seconds.
    pub busy_seconds: f64,
    /// Bytes from the pty into the core.
    pub bytes_in: u64,
    /// Bytes from the core to the pty.
    pub bytes_out: u64,
    /// Bytes from the core dropped because nobody read the pty.
    pub bytes_dropped: u64,
    /// Bytes from the core with a low stop bit.
    pub framing_errors: u64,
    /// Traffic counts, if traffic ran.
    pub traffic: Option<TrafficStats>,
    /// `irq` at the end.
    pub irq: bool,
    /// Simulated time over the wall time the clock ran (sleeps while idle excluded): 1 when
    /// the board kept real time, below 1 when it could not.
    pub real_time: f64,
    /// The build's `CLOCK_HZ`: the rate real time asks for.
    pub clock_hz: u32,
}

impl std::fmt::Display for BoardSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rate = if self.busy_seconds > 0.0 { self.cycles as f64 / self.busy_seconds } else { 0.0 };
        write!(
            f,
            "{} cycles in {:.2} s ({:.2} s simulating, {:.0} cycles/s); uart {} bytes in, {} out",
            self.cycles, self.seconds, self.busy_seconds, rate, self.bytes_in, self.bytes_out
        )?;
        if self.bytes_dropped > 0 {
            write!(f, ", {} dropped (nobody reading)", self.bytes_dropped)?;
        }
        if self.framing_errors > 0 {
            write!(f, ", {} framing errors", self.framing_errors)?;
        }
        if let Some(t) = &self.traffic {
            write!(
                f,
                "; traffic: {} CPU frames, words taken A {} B {}, disk frames A {} B {}, returned A {} B {} (reply frames in order A {} B {}, out of order or bad A {} B {}), faults injected {}",
                t.cpu_frames,
                t.cpu_words[0],
                t.cpu_words[1],
                t.disk_frames[0],
                t.disk_frames[1],
                t.returned_words[0],
                t.returned_words[1],
                t.replies_in_order[0],
                t.replies_in_order[1],
                t.reply_errors[0],
                t.reply_errors[1],
                t.faults_injected
            )?;
        }
        write!(f, "; irq {}", if self.irq { "high" } else { "low" })?;
        // While simulating the board ran at `rate`; real time asks for `clock_hz`.
        let headroom = if self.clock_hz > 0 { rate / self.clock_hz as f64 } else { 0.0 };
        if self.real_time >= 0.95 {
            write!(f, "; kept real time at {} Hz (simulating at {headroom:.2}x that)", self.clock_hz)
        } else if self.real_time > 0.0 {
            write!(f, "; {:.3}x real time: could not keep up, the wire ran {:.0}x slower than real", self.real_time, 1.0 / self.real_time)?;
            if self.clock_hz > super::BOARD_CLOCK_HZ {
                write!(
                    f,
                    " (the default build, {} Hz at {} baud, is the one that keeps up on a loaded 2-core machine: docs/virtual-board.md)",
                    super::BOARD_CLOCK_HZ,
                    super::BOARD_BAUD
                )?;
            }
            Ok(())
        } else {
            Ok(())
        }
    }
}

/// A virtual board running on its own thread. Dropping it stops the board and waits for it.
pub struct BoardHandle {
    path: PathBuf,
    clocks_per_bit: u64,
    reader_priority: ReaderPriority,
    control: Arc<BoardControl>,
    thread: Option<std::thread::JoinHandle<Result<BoardSummary, BoardError>>>,
}

impl BoardHandle {
    /// The pty slave's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Clock cycles per UART bit.
    pub fn clocks_per_bit(&self) -> u64 {
        self.clocks_per_bit
    }
    /// What the scheduler gave the thread that stamps the host's bytes.
    pub fn reader_priority(&self) -> ReaderPriority {
        self.reader_priority
    }
    /// The shared control block.
    pub fn control(&self) -> &BoardControl {
        &self.control
    }
    /// Cycles run so far.
    pub fn cycles(&self) -> u64 {
        self.control.cycles()
    }
    /// Flip a data bit of the first word of CPU A's next frame sent with nothing in flight
    /// (needs traffic; [`BoardControl::inject_cpu_a_fault`]).
    pub fn inject_cpu_a_fault(&self) {
        self.control.inject_cpu_a_fault()
    }
    /// Waits until the board has run at least `cycles` cycles, or `timeout` passes; whether
    /// it got there.
    pub fn wait_cycles(&self, cycles: u64, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while self.cycles() < cycles {
            if Instant::now() > end || self.thread.as_ref().is_some_and(|t| t.is_finished()) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }
    /// Stops the board and returns its summary.
    pub fn stop(mut self) -> Result<BoardSummary, BoardError> {
        self.control.request_stop();
        let t = self.thread.take().expect("joined once");
        t.join().map_err(|_| BoardError::Thread("panicked".into()))?
    }
    /// Waits for a board with [`BoardConfig::max_cycles`] to finish by itself.
    pub fn join(mut self) -> Result<BoardSummary, BoardError> {
        let t = self.thread.take().expect("joined once");
        t.join().map_err(|_| BoardError::Thread("panicked".into()))?
    }
}

impl Drop for BoardHandle {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.control.request_stop();
            let _ = t.join();
        }
    }
}

/// Builds a board (errors come back here, before any thread starts) and runs it on a new
/// thread.
pub fn spawn(config: BoardConfig) -> Result<BoardHandle, BoardError> {
    let mut board = VirtualBoard::new(config)?;
    let path = board.path().to_path_buf();
    let clocks_per_bit = board.clocks_per_bit();
    let reader_priority = board.reader_priority();
    let control = board.control();
    let thread = std::thread::Builder::new()
        .name("virtual-board".into())
        .spawn(move || board.run())
        .map_err(|e| BoardError::Thread(format!("cannot start: {e}")))?;
    Ok(BoardHandle { path, clocks_per_bit, reader_priority, control, thread: Some(thread) })
}

