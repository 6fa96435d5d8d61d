//! The board loop: the core in Verilator stepped in batches of cycles, the host UART fed from
//! the pty reader with the host's pauses kept, the built-in traffic, real-time pacing and the
//! idle sleep.
use super::pty::{Arrival, Pty, PtyReader, ReaderPriority};
use super::signals::signals_seen;
use super::{
    BoardConfig, BoardControl, BoardSummary, HostUart, Traffic, BATCH_CYCLES, IDLE_POLL_MS, IDLE_QUIET_BITS,
    MAX_CARRIED_PAUSE_BITS, OUTPUT_QUEUE_BYTES,
};
use super::traffic::drive_links_idle;
use crate::core_sim::CoreSim;
use crate::error::BoardError;
use crate::port::Port;
use crate::verilator::VerilatorCore;
use ftio_hdl::BuildParams;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A board slower than real time by more than this lets its clock fall behind for good
/// (it never races to catch up).
const PACING_SLACK: Duration = Duration::from_millis(50);
/// Wall time a board runs before it says whether it keeps up with real time.
const SPEED_REPORT_AFTER: Duration = Duration::from_secs(2);

/// Whether `link` may become the board's symlink: free, or an old symlink (a board that was
/// killed leaves one behind). Anything else is refused and left alone.
fn check_link(link: &Path) -> Result<bool, BoardError> {
    match std::fs::symlink_metadata(link) {
        Ok(m) if m.file_type().is_symlink() => Ok(true),
        Ok(_) => Err(BoardError::LinkNotSymlink(link.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(BoardError::Link { path: link.to_path_buf(), what: "cannot check it", source }),
    }
}

/// Makes `link` a symlink to `target`, replacing an old symlink.
fn make_link(link: &Path, target: &Path) -> Result<(), BoardError> {
    let err = |what| move |source| BoardError::Link { path: link.to_path_buf(), what, source };
    if check_link(link)? {
        std::fs::remove_file(link).map_err(err("cannot replace the old symlink"))?
    }
    std::os::unix::fs::symlink(target, link).map_err(err("cannot create the symlink"))
}

/// The core in Verilator with its UART on a pty; see the module documentation.
pub struct VirtualBoard {
    core: VerilatorCore,
    pty: Arc<Pty>,
    reader: PtyReader,
    uart: HostUart,
    /// When the host's previous chunk arrived: the next chunk's pause is measured from there.
    last_arrival: Option<Instant>,
    /// Bytes taken from the reader that have begun on `uart_rx`.
    bytes_begun: u64,
    /// Start of the stretch the clock has run without an idle sleep: wall time and cycle.
    pace_epoch: Option<(Instant, u64)>,
    /// Wall time with the clock running (simulating or pacing), for the speed report.
    running: Duration,
    speed_reported: bool,
    traffic: Option<Traffic>,
    config: BoardConfig,
    control: Arc<BoardControl>,
    link: Option<PathBuf>,
    cycle: u64,
    uart_rx_level: bool,
    quiet_cycles: u64,
    irq: bool,
    fault_at_pending: Option<u64>,
    output: Vec<u8>,
    /// First and latest cycle of the UART exchange in progress.
    exchange: Option<(u64, u64)>,
    summary: BoardSummary,
}

impl VirtualBoard {
    /// Builds (or finds in the cache) the core's Verilator model, opens the pty, makes the
    /// symlink, drives every link idle and correct.
    pub fn new(config: BoardConfig) -> Result<Self, BoardError> {
        if config.fault_at.is_some() && config.traffic.is_none() {
            return Err(BoardError::FaultNeedsTraffic("--fault-at"));
        }
        if config.fault_bit > 31 {
            return Err(BoardError::FaultBit(config.fault_bit));
        }
        config.params.validate()?;
        // Checked before the (possibly long) model build; made once the pty exists.
        if let Some(l) = &config.link {
            check_link(l)?;
        }
        let cpb = ftio_hdl::uart::clocks_per_bit(config.params.clock_hz, config.params.baud);
        let mut core = VerilatorCore::new(&config.params)?;
        let pty = Arc::new(Pty::open().map_err(|source| BoardError::Pty { what: "cannot open a pseudo-terminal", source })?);
        let reader = PtyReader::start(pty.clone())
            .map_err(|source| BoardError::Pty { what: "cannot start the pty reader thread", source })?;
        let link = match &config.link {
            Some(l) => {
                make_link(l, pty.path())?;
                Some(l.clone())
            }
            None => None,
        };
        drive_links_idle(&mut core);
        let traffic = config.traffic.clone().map(Traffic::new);
        Ok(Self {
            core,
            pty,
            reader,
            uart: HostUart::new(cpb),
            last_arrival: None,
            bytes_begun: 0,
            pace_epoch: None,
            running: Duration::ZERO,
            speed_reported: false,
            traffic,
            fault_at_pending: config.fault_at,
            config,
            control: Arc::new(BoardControl::default()),
            link,
            cycle: 0,
            uart_rx_level: true,
            quiet_cycles: 0,
            irq: false,
            output: vec![],
            exchange: None,
            summary: BoardSummary::default(),
        })
    }

    /// The pty slave's path (`/dev/pts/N`).
    pub fn path(&self) -> &Path {
        self.pty.path()
    }

    /// The symlink made for [`BoardConfig::link`].
    pub fn link(&self) -> Option<&Path> {
        self.link.as_deref()
    }

    /// Clock cycles per UART bit of this build.
    pub fn clocks_per_bit(&self) -> u64 {
        self.uart.clocks_per_bit()
    }

    /// What the scheduler gave the thread that stamps the host's bytes (how short a host
    /// pause the board sees on a busy machine).
    pub fn reader_priority(&self) -> ReaderPriority {
        self.reader.priority
    }

    /// The handle to stop it, inject faults, and watch its progress from another thread.
    pub fn control(&self) -> Arc<BoardControl> {
        self.control.clone()
    }

    /// The core's build parameters.
    pub fn params(&self) -> &BuildParams {
        &self.config.params
    }

    /// Cycles run.
    pub fn cycles(&self) -> u64 {
        self.cycle
    }

    fn log(&self, what: &str) {
        if self.config.verbose {
            eprintln!("virtual board: cycle {}: {what}", self.cycle);
        }
    }

    /// One clock cycle: drive `uart_rx` and the links, settle, read `uart_tx` and the links,
    /// rising edge. Whether a byte from the core was completed.
    fn step(&mut self) -> bool {
        let level = self.uart.drive();
        if level != self.uart_rx_level {
            self.core.set_bit(Port::UartRx, level);
            self.uart_rx_level = level;
            if !level && self.exchange.is_none() {
                self.exchange = Some((self.cycle, self.cycle));
            }
        }
        if let Some(t) = &mut self.traffic {
            t.drive(self.cycle, &mut self.core);
        }
        self.core.low();
        let tx = self.core.get_bit(Port::UartTx);
        let byte = self.uart.observe(tx);
        if let Some(b) = byte {
            self.output.push(b);
            if let Some((_, end)) = &mut self.exchange {
                *end = self.cycle;
            }
        }
        if let Some(t) = &mut self.traffic {
            t.observe(self.cycle, &self.core);
        }
        self.core.edge();
        self.cycle += 1;
        if self.uart.busy() || !tx || !level {
            self.quiet_cycles = 0;
        } else {
            self.quiet_cycles += 1;
            if self.quiet_cycles == IDLE_QUIET_BITS * self.uart.clocks_per_bit() {
                if let Some((start, end)) = self.exchange.take() {
                    self.control.exchange_cycles.store(end - start, Ordering::SeqCst);
                }
            }
        }
        byte.is_some()
    }

    /// Moves what the reader thread got onto the host UART's queue, each chunk after the
    /// pause the host made before it (up to [`MAX_CARRIED_PAUSE_BITS`]); waits up to
    /// `wait` for the first chunk.
    fn take_input(&mut self, wait: Duration) -> Result<(), BoardError> {
        let mut next = if wait.is_zero() {
            self.reader.arrivals.try_recv().ok()
        } else {
            self.reader.arrivals.recv_timeout(wait).ok()
        };
        while let Some(arrival) = next {
            self.queue_arrival(arrival.map_err(|source| BoardError::Pty { what: "reading the pty", source })?);
            next = self.reader.arrivals.try_recv().ok();
        }
        Ok(())
    }

    fn queue_arrival(&mut self, a: Arrival) {
        let baud = self.config.params.baud as f64;
        let cpb = self.uart.clocks_per_bit();
        // The host's pause is the time from its previous chunk's arrival to this one's. A pty
        // has no wire: write() returns once the bytes are in the pty, so the host cannot have
        // meant a longer silence (on a real line the previous bytes' own transmission would
        // take part of it). Bytes the reader left in the kernel while the board was behind
        // arrived earlier than they were read: they follow with no pause.
        let pause_bits = match self.last_arrival {
            _ if a.held_back => 0.0,
            Some(prev) => a.at.saturating_duration_since(prev).as_secs_f64() * baud,
            None => f64::INFINITY,
        };
        self.last_arrival = Some(a.at);
        let idle_cycles = (pause_bits.min(MAX_CARRIED_PAUSE_BITS as f64) * cpb as f64).ceil() as u64;
        self.uart.send_after_idle(&a.bytes, idle_cycles);
        let n = a.bytes.len() as u64;
        self.summary.bytes_in += n;
        self.control.bytes_in.fetch_add(n, Ordering::SeqCst);
        self.quiet_cycles = 0;
    }

    /// Tells the reader how many of its bytes have begun on the wire (so it reads more).
    fn release_input(&mut self) {
        let begun = self.summary.bytes_in - self.uart.queued() as u64;
        self.reader.held.fetch_sub((begun - self.bytes_begun) as usize, Ordering::SeqCst);
        self.bytes_begun = begun;
    }

    /// Holds the clock to real time at the build's `CLOCK_HZ` when the simulation is faster;
    /// when it is slower the clock falls behind (never racing to catch up) and the board
    /// says so once, on stderr, and on its stop line.
    fn pace(&mut self, batch_started: Instant) {
        let now = Instant::now();
        let (t0, c0) = self.pace_epoch.expect("set before the batch");
        let simulated = Duration::from_secs_f64((self.cycle - c0) as f64 / self.config.params.clock_hz as f64);
        let wall = now - t0;
        if simulated > wall {
            // In slices, so a stop request is seen within one.
            let until = t0 + simulated;
            while Instant::now() < until && !self.control.stop.load(Ordering::SeqCst) {
                std::thread::sleep((until - Instant::now()).min(Duration::from_millis(IDLE_POLL_MS as u64)));
            }
        } else if wall - simulated > PACING_SLACK {
            self.pace_epoch = Some((now, self.cycle));
        }
        self.running += batch_started.elapsed();
        if !self.speed_reported && self.running >= SPEED_REPORT_AFTER {
            self.speed_reported = true;
            let ratio = self.real_time_ratio();
            if ratio < 0.95 {
                eprintln!(
                    "virtual board: slower than real time: {ratio:.3}x ({:.0} of {} cycles/s); the UART's wire time runs {:.0}x slower than a real {} baud line (host pauses still reach uart_rx in full up to {} bit times: docs/virtual-board.md)",
                    ratio * self.config.params.clock_hz as f64,
                    self.config.params.clock_hz,
                    1.0 / ratio,
                    self.config.params.baud,
                    MAX_CARRIED_PAUSE_BITS
                );
                if self.config.params.clock_hz > super::BOARD_CLOCK_HZ {
                    eprintln!(
                        "virtual board: the default build ({} Hz, {} baud) keeps real time with traffic on a loaded 2-core machine",
                        super::BOARD_CLOCK_HZ,
                        super::BOARD_BAUD
                    );
                }
            }
        }
    }

    /// Simulated time over the wall time the clock ran: 1 when paced to real time.
    fn real_time_ratio(&self) -> f64 {
        let secs = self.running.as_secs_f64();
        if secs == 0.0 {
            return 0.0;
        }
        (self.cycle as f64 / self.config.params.clock_hz as f64 / secs).min(1.0)
    }

    fn flush_output(&mut self) -> Result<(), BoardError> {
        while !self.output.is_empty() {
            let n = self.pty.write(&self.output).map_err(|source| BoardError::Pty { what: "writing the pty", source })?;
            if n == 0 {
                break;
            }
            self.output.drain(..n);
            self.summary.bytes_out += n as u64;
            self.control.bytes_out.fetch_add(n as u64, Ordering::SeqCst);
        }
        if self.output.len() > OUTPUT_QUEUE_BYTES {
            let drop = self.output.len() - OUTPUT_QUEUE_BYTES;
            self.output.drain(..drop);
            self.summary.bytes_dropped += drop as u64;
        }
        Ok(())
    }

    fn idle(&self) -> bool {
        self.traffic.is_none()
            && self.config.max_cycles.is_none()
            && !self.uart.busy()
            && self.output.is_empty()
            && self.quiet_cycles >= IDLE_QUIET_BITS * self.uart.clocks_per_bit()
    }

    fn stop_requested(&self, signals_at_start: u64) -> bool {
        self.control.stop.load(Ordering::SeqCst)
            || (self.config.stop_on_signal && signals_seen() != signals_at_start)
            || self.config.max_cycles.is_some_and(|m| self.cycle >= m)
    }

    /// Runs until [`BoardControl::request_stop`], a signal (with
    /// [`BoardConfig::stop_on_signal`]), or [`BoardConfig::max_cycles`].
    pub fn run(&mut self) -> Result<BoardSummary, BoardError> {
        let start = Instant::now();
        let mut busy = Duration::ZERO;
        let signals_at_start = signals_seen();
        while !self.stop_requested(signals_at_start) {
            self.take_input(Duration::ZERO)?;
            if self.idle() {
                self.flush_output()?;
                // The clock stops while the board sleeps; pacing starts afresh when it wakes.
                self.pace_epoch = None;
                self.take_input(Duration::from_millis(IDLE_POLL_MS as u64))?;
                continue;
            }
            if self.control.inject_cpu_a.swap(false, Ordering::SeqCst) {
                self.arm_fault("on request")?;
            }
            let mut n = BATCH_CYCLES;
            if let Some(at) = self.fault_at_pending {
                if self.cycle >= at {
                    self.fault_at_pending = None;
                    self.arm_fault("--fault-at")?;
                } else {
                    n = n.min(at - self.cycle);
                }
            }
            if let Some(m) = self.config.max_cycles {
                n = n.min(m - self.cycle);
            }
            // At most 1 ms of simulated time per batch: a paced board is never further ahead
            // of the wall than that.
            n = n.min((self.config.params.clock_hz as u64 / 1000).max(1));
            let t0 = Instant::now();
            self.pace_epoch.get_or_insert((t0, self.cycle));
            for _ in 0..n {
                // Each byte goes to the pty as soon as its stop bit is sampled, as a UART's
                // would: a reply is complete for the client at its last byte, not a batch later.
                if self.step() {
                    self.flush_output()?;
                }
            }
            busy += t0.elapsed();
            self.flush_output()?;
            self.release_input();
            self.after_batch();
            self.pace(t0);
        }
        self.flush_output()?;
        self.summary.cycles = self.cycle;
        self.summary.seconds = start.elapsed().as_secs_f64();
        self.summary.busy_seconds = busy.as_secs_f64();
        self.summary.framing_errors = self.uart.framing_errors;
        self.summary.traffic = self.traffic.as_ref().map(|t| t.stats().clone());
        self.summary.irq = self.irq;
        self.summary.real_time = self.real_time_ratio();
        self.summary.clock_hz = self.config.params.clock_hz;
        Ok(self.summary.clone())
    }

    fn arm_fault(&mut self, why: &'static str) -> Result<(), BoardError> {
        let bit = self.config.fault_bit;
        let Some(t) = &mut self.traffic else {
            return Err(BoardError::FaultNeedsTraffic(why));
        };
        t.arm_cpu_a_fault(bit);
        self.log(&format!(
            "CPU A fault armed ({why}): data bit {bit} of the first word of its next frame sent with nothing in flight, parity unchanged"
        ));
        Ok(())
    }

    fn after_batch(&mut self) {
        self.control.cycles.store(self.cycle, Ordering::SeqCst);
        let irq = self.core.get_bit(Port::Irq);
        if irq != self.irq {
            self.irq = irq;
            self.log(if irq { "irq high (fault latched)" } else { "irq low" });
        }
        self.control.irq.store(irq, Ordering::SeqCst);
        if let Some(t) = &self.traffic {
            *self.control.traffic.lock().unwrap_or_else(|p| p.into_inner()) = Some(t.stats().clone());
            let injected = t.stats().faults_injected;
            if injected != self.control.faults_injected.swap(injected, Ordering::SeqCst) {
                *self.control.last_fault.lock().unwrap_or_else(|p| p.into_inner()) = t.stats().last_fault;
                if let Some(f) = t.stats().last_fault {
                    let committed = match f.committed {
                        Some(n) => format!("{n} words committed toward the disks before it, none in flight"),
                        None => format!("the datapath was not empty in {} frame slots: committed words unknown", super::traffic::FAULT_WAIT_FRAMES),
                    };
                    self.log(&format!(
                        "CPU A word {} sent as {:#010x} instead of {:#010x} at cycle {} ({committed}), parity left as computed for the true word",
                        f.word_index, f.sent, f.data, f.cycle
                    ));
                }
            }
        }
    }
}

impl Drop for VirtualBoard {
    fn drop(&mut self) {
        // Remove the symlink only if it still points at this board's pty.
        if let Some(l) = &self.link {
            if std::fs::read_link(l).is_ok_and(|t| t == self.pty.path()) {
                let _ = std::fs::remove_file(l);
            }
        }
    }
}

