//! The virtual board (SPEC §7): the generated `ftio_core` running under Verilator, its UART
//! offered on a pseudo-terminal, so `ftctl --port /dev/pts/N` works unchanged against it.
//!
//! - [`Pty`]: a raw-mode pseudo-terminal pair (`posix_openpt`); the board keeps the slave
//!   open itself so the master never sees a hangup between two `ftctl` runs.
//! - [`HostUart`]: the far end of the core's UART at `clock_hz / baud` clocks per bit: bytes
//!   from the pty become 8N1 bit-serial levels on `uart_rx`; `uart_tx` is sampled mid-bit and
//!   decoded back into bytes for the pty.
//! - [`Traffic`]: optional link-level load: two identical CPU streams (DUPLEX lockstep, CPU B
//!   optionally a fixed number of cycles behind CPU A), two disks that answer every frame, and
//!   a link-level fault (one data bit of one CPU A word flipped, its parity left as it was).
//! - [`VirtualBoard`]: the loop. Cycles run in batches; a reader thread stamps the host's
//!   bytes as they arrive, and between batches they are queued on the wire after the pause
//!   the host made before them (so SPEC §5's drop-on-silence works whatever the simulation's
//!   speed); the clock is paced to real time when the simulation is faster. When nothing at
//!   all is happening (no traffic, no byte in flight, the UART quiet for [`IDLE_QUIET_BITS`]
//!   bit times) it sleeps until a byte arrives, so an idle board costs no CPU; its clock stops
//!   while it sleeps, so `CYCLES` counts the time the board ran.
//! - [`spawn`]: a board on its own thread with a [`BoardHandle`] (path, cycle count, fault
//!   injection, clean stop), as the tests use it; [`stop_on_signals`] makes SIGINT/SIGTERM
//!   end [`VirtualBoard::run`] cleanly, as `ftio sim board` uses it.
//!
//! See `docs/virtual-board.md`.
use crate::core_sim::CoreSim;
use crate::link::{drive_beat, drive_ready, read_beat, read_ready, Beat, LinkSink, LinkSource, Word};
use crate::port::{Link, LinkSignal, Port};
use crate::verilator::VerilatorCore;
use ftio_hdl::BuildParams;
use std::collections::VecDeque;
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Core clock of the virtual board's build, Hz: 16 × 115200, so one UART bit is 16 cycles.
pub const BOARD_CLOCK_HZ: u32 = 1_843_200;
/// UART baud of the virtual board's build (what `ftctl --baud` defaults to).
pub const BOARD_BAUD: u32 = 115_200;
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
/// Largest chunk read from the pty at once.
const READ_CHUNK_BYTES: usize = 4096;
/// Longest host pause carried onto `uart_rx` at its full length, in bit times: twice the
/// parser's 64-bit-time drop (SPEC §5), the only timer the core runs on its UART input, so a
/// longer pause has the same effect. Carried in full, every second a host thinks would cost
/// the board `CLOCK_HZ` simulated cycles before its next byte.
pub const MAX_CARRIED_PAUSE_BITS: u64 = IDLE_QUIET_BITS;
/// A board slower than real time by more than this lets its clock fall behind for good
/// (it never races to catch up).
const PACING_SLACK: Duration = Duration::from_millis(50);
/// Wall time a board runs before it says whether it keeps up with real time.
const SPEED_REPORT_AFTER: Duration = Duration::from_secs(2);
/// Bytes from the core kept while the pty cannot take them; beyond this they are dropped,
/// as a real UART's are when nobody listens.
pub const OUTPUT_QUEUE_BYTES: usize = 64 * 1024;

/// The core's build parameters on the virtual board: the defaults with a 1.8432 MHz clock,
/// so that 115200 baud is 16 clocks per bit (a register read is a few thousand cycles instead
/// of the 100 MHz build's 14 000 cycles per byte). `CLOCK_HZ` and `BAUD` read these values.
pub fn board_params() -> BuildParams {
    BuildParams { clock_hz: BOARD_CLOCK_HZ, baud: BOARD_BAUD, ..BuildParams::default() }
}

fn errno() -> io::Error {
    io::Error::last_os_error()
}

fn check(rc: libc::c_int, what: &str) -> io::Result<libc::c_int> {
    if rc < 0 {
        let e = errno();
        Err(io::Error::new(e.kind(), format!("{what}: {e}")))
    } else {
        Ok(rc)
    }
}

/// A pseudo-terminal pair in raw mode. The master is the board's end (non-blocking); the
/// slave (`path`, e.g. `/dev/pts/7`) is the serial port `ftctl` opens. The board holds the
/// slave open too, so the pty lives as long as the board whatever its clients do.
pub struct Pty {
    master: OwnedFd,
    // Held open for the lifetime of the pty; never read or written.
    slave: OwnedFd,
    path: PathBuf,
}

impl Pty {
    /// A fresh pty pair, slave in raw mode (no echo, no line editing, no CR/LF mapping).
    pub fn open() -> io::Result<Pty> {
        // SAFETY: plain libc calls on descriptors this function owns; every result is checked.
        unsafe {
            let m = check(libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC), "posix_openpt")?;
            let master = OwnedFd::from_raw_fd(m);
            check(libc::grantpt(m), "grantpt")?;
            check(libc::unlockpt(m), "unlockpt")?;
            let mut name = [0 as libc::c_char; 128];
            let rc = libc::ptsname_r(m, name.as_mut_ptr(), name.len());
            if rc != 0 {
                return Err(io::Error::from_raw_os_error(rc));
            }
            let cpath = CStr::from_ptr(name.as_ptr());
            let path = PathBuf::from(cpath.to_string_lossy().into_owned());
            let s = check(libc::open(cpath.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC), "open pty slave")?;
            let slave = OwnedFd::from_raw_fd(s);
            let mut t: libc::termios = std::mem::zeroed();
            check(libc::tcgetattr(s, &mut t), "tcgetattr")?;
            libc::cfmakeraw(&mut t);
            check(libc::tcsetattr(s, libc::TCSANOW, &t), "tcsetattr")?;
            let flags = check(libc::fcntl(m, libc::F_GETFL), "fcntl")?;
            check(libc::fcntl(m, libc::F_SETFL, flags | libc::O_NONBLOCK), "fcntl")?;
            Ok(Pty { master, slave, path })
        }
    }

    /// The slave's path: what `ftctl --port` takes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads what the client wrote, without blocking: `Ok(0)` when there is nothing.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe { libc::read(self.master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = errno();
        match e.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(0),
            // EIO: no slave open. Cannot happen while `slave` is held; treat as nothing to read.
            Some(libc::EIO) => Ok(0),
            _ => Err(e),
        }
    }

    /// Writes towards the client without blocking; how many bytes the pty took (0 when its
    /// buffer is full).
    pub fn write(&self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe { libc::write(self.master.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = errno();
        match e.raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(0),
            _ => Err(e),
        }
    }

    /// Sleeps until the client writes something or `timeout_ms` pass (or a signal arrives).
    pub fn wait_readable(&self, timeout_ms: i32) -> io::Result<bool> {
        let mut p = libc::pollfd { fd: self.master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if rc < 0 {
            let e = errno();
            return if e.raw_os_error() == Some(libc::EINTR) { Ok(false) } else { Err(e) };
        }
        Ok(rc > 0 && p.revents & libc::POLLIN != 0)
    }

    /// The slave descriptor the board holds (for tests of the terminal settings).
    pub fn slave_fd(&self) -> i32 {
        self.slave.as_raw_fd()
    }
}

/// Bytes the host wrote, stamped when they arrived on the pty.
struct Arrival {
    at: Instant,
    bytes: Vec<u8>,
    /// The reader had stopped reading (its queue was full) before these bytes: they may have
    /// waited in the kernel's pty buffer since before `at`.
    held_back: bool,
}

/// A thread asleep in `poll(2)` on the pty that stamps each chunk the host writes the moment
/// it wakes with it, so the board knows the host's pauses however long its own batches of
/// cycles take (a batch loop that looked at the pty between batches would see a pause
/// shorter than a batch as no pause at all). How precise the stamp is depends on how soon the
/// kernel runs the thread after the host writes: see docs/virtual-board.md, "Wire time".
struct PtyReader {
    arrivals: mpsc::Receiver<Result<Arrival, String>>,
    /// Bytes read from the pty and not yet begun on `uart_rx`: the reader stops reading at
    /// [`INPUT_QUEUE_BYTES`], so the kernel's pty buffer holds the writer back.
    held: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Asks the scheduler for a short time slice (100 µs) for the calling thread: Linux's EEVDF
/// scheduler (6.12 and later) lets a waking task with a shorter slice preempt the running
/// one sooner. Unprivileged; a kernel without it refuses the hint harmlessly.
fn ask_for_short_slice() {
    let attr = libc::sched_attr {
        size: std::mem::size_of::<libc::sched_attr>() as u32,
        sched_policy: libc::SCHED_OTHER as u32,
        sched_flags: 0,
        sched_nice: 0,
        sched_priority: 0,
        sched_runtime: 100_000,
        sched_deadline: 0,
        sched_period: 0,
    };
    // SAFETY: sched_setattr(2) on the calling thread (pid 0) with a valid, sized sched_attr.
    unsafe {
        libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const libc::sched_attr, 0);
    }
}

impl PtyReader {
    fn start(pty: Arc<Pty>) -> io::Result<PtyReader> {
        let (tx, arrivals) = mpsc::channel();
        let held = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, st) = (held.clone(), stop.clone());
        let (up_tx, up) = mpsc::channel();
        let thread = std::thread::Builder::new().name("virtual-board-uart-in".into()).spawn(move || {
            ask_for_short_slice();
            let _ = up_tx.send(());
            let mut buf = [0u8; READ_CHUNK_BYTES];
            let mut held_back = false;
            while !st.load(Ordering::SeqCst) {
                let room = INPUT_QUEUE_BYTES.saturating_sub(h.load(Ordering::SeqCst));
                if room == 0 {
                    held_back = true;
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                let room = room.min(READ_CHUNK_BYTES);
                let got = pty.wait_readable(IDLE_POLL_MS).and_then(|ready| if ready { pty.read(&mut buf[..room]) } else { Ok(0) });
                match got {
                    Ok(0) => {}
                    Ok(n) => {
                        let at = Instant::now();
                        h.fetch_add(n, Ordering::SeqCst);
                        if tx.send(Ok(Arrival { at, bytes: buf[..n].to_vec(), held_back })).is_err() {
                            break;
                        }
                        held_back = false;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!("reading the pty: {e}")));
                        break;
                    }
                }
            }
        })?;
        // Running before the pty is handed out, so the host's first pause is seen too.
        let _ = up.recv();
        Ok(PtyReader { arrivals, held, stop, thread: Some(thread) })
    }
}

impl Drop for PtyReader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The host's end of the core's UART, stepped once per clock cycle: shifts queued bytes onto
/// `uart_rx` (start bit, 8 data bits LSB first, stop bit; idle high) and decodes `uart_tx`,
/// sampling each bit at its middle (as `ftio_hdl::testbench::UartHost` does).
#[derive(Clone, Debug)]
pub struct HostUart {
    clocks_per_bit: u64,
    /// Bytes not yet started, each with the idle cycles the line must have had before it.
    queue: VecDeque<(u8, u64)>,
    /// Cycles the line has been idle (high, no byte shifting) since the last stop bit.
    idle_cycles: u64,
    /// Frame bits of the byte going out (bit 0 first), its bit index, cycles left in the bit.
    shifting: Option<(u16, u8, u64)>,
    /// Decoding a byte from the core: cycles to the next sample, bits so far, count.
    receiving: Option<(u64, u16, u8)>,
    /// Bytes from the core whose stop bit was low (dropped).
    pub framing_errors: u64,
}

impl HostUart {
    /// A UART of `clocks_per_bit` clocks per bit, line idle.
    pub fn new(clocks_per_bit: u64) -> Self {
        assert!(clocks_per_bit >= 2);
        // The line has been idle since before power-on: a first byte need not wait.
        let idle_cycles = u64::MAX / 2;
        Self { clocks_per_bit, queue: VecDeque::new(), idle_cycles, shifting: None, receiving: None, framing_errors: 0 }
    }

    /// Clocks per bit.
    pub fn clocks_per_bit(&self) -> u64 {
        self.clocks_per_bit
    }

    /// Queues bytes for `uart_rx`, back to back after whatever is queued.
    pub fn send(&mut self, bytes: &[u8]) {
        self.send_after_idle(bytes, 0);
    }

    /// Queues bytes for `uart_rx`; the first starts only once the line has been idle for at
    /// least `idle_cycles` cycles after the byte before it (a host's pause), the rest follow
    /// back to back.
    pub fn send_after_idle(&mut self, bytes: &[u8], idle_cycles: u64) {
        for (i, &b) in bytes.iter().enumerate() {
            self.queue.push_back((b, if i == 0 { idle_cycles } else { 0 }));
        }
    }

    /// Bytes queued and not yet started.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// A byte is going out or coming in, or bytes are queued.
    pub fn busy(&self) -> bool {
        !self.queue.is_empty() || self.shifting.is_some() || self.receiving.is_some()
    }

    /// The `uart_rx` level for this cycle.
    pub fn drive(&mut self) -> bool {
        if self.shifting.is_none() {
            if let Some(&(b, idle)) = self.queue.front() {
                if self.idle_cycles >= idle {
                    self.queue.pop_front();
                    self.shifting = Some(((b as u16) << 1 | 1 << 9, 0, self.clocks_per_bit));
                }
            }
        }
        let Some((bits, index, left)) = self.shifting.as_mut() else {
            self.idle_cycles = self.idle_cycles.saturating_add(1);
            return true;
        };
        let level = *bits >> *index & 1 == 1;
        *left -= 1;
        if *left == 0 {
            *index += 1;
            *left = self.clocks_per_bit;
            if *index == 10 {
                self.shifting = None;
                self.idle_cycles = 0;
            }
        }
        level
    }

    /// This cycle's `uart_tx` level; a whole byte when its stop bit has been sampled.
    pub fn observe(&mut self, tx: bool) -> Option<u8> {
        let cpb = self.clocks_per_bit;
        match self.receiving.as_mut() {
            None => {
                if !tx {
                    // The first low cycle of a start bit: the middle of data bit 0 is 1.5 bits on.
                    self.receiving = Some((cpb + cpb / 2, 0, 0));
                }
                None
            }
            Some((left, bits, n)) => {
                *left -= 1;
                if *left > 0 {
                    return None;
                }
                *bits |= (tx as u16) << *n;
                *n += 1;
                *left = cpb;
                if *n < 9 {
                    return None;
                }
                let byte = (*bits & 0xFF) as u8;
                let stop = *bits >> 8 & 1 == 1;
                self.receiving = None;
                if stop {
                    Some(byte)
                } else {
                    self.framing_errors += 1;
                    None
                }
            }
        }
    }
}

/// The shape of the built-in traffic (`ftio sim board --traffic`).
#[derive(Clone, Debug)]
pub struct TrafficConfig {
    /// Cycles from the start of one CPU frame to the start of the next.
    pub period: u64,
    /// Words per CPU frame.
    pub frame_words: usize,
    /// CPU B's stream is CPU A's delayed by exactly this many cycles. 0 suits the power-on
    /// (elastic) lockstep; for strict lockstep set the core's OFFSET to the same value.
    pub skew: u64,
    /// Cycles from a disk receiving a frame's last word to its reply.
    pub disk_latency: u64,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        Self { period: 32, frame_words: 8, skew: 0, disk_latency: 16 }
    }
}

/// First word of CPU frame `n`: `0xC0DE` and the frame number's low 16 bits.
pub fn cpu_frame_tag(n: u64) -> u32 {
    0xC0DE_0000 | (n as u32 & 0xFFFF)
}

/// CPU frame `n`: a tag word ([`cpu_frame_tag`]) then pseudo-random words (so every parity
/// bit toggles), the same on both CPUs.
pub fn cpu_frame(n: u64, words: usize) -> Vec<Word> {
    let data: Vec<u32> = (0..words as u64)
        .map(|i| {
            if i == 0 {
                cpu_frame_tag(n)
            } else {
                let x = (n << 16 | i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                (x >> 32) as u32
            }
        })
        .collect();
    crate::link::frame(&data)
}

/// A disk's reply to a frame it received: `0xD15C` and the low 16 bits of the frame's first
/// word, then the XOR of all its words. Two disks given the same frame reply the same.
pub fn disk_reply(frame: &[u32]) -> Vec<Word> {
    let tag = 0xD15C_0000 | (frame.first().copied().unwrap_or(0) & 0xFFFF);
    let sum = frame.iter().fold(0u32, |a, &w| a ^ w);
    crate::link::frame(&[tag, sum])
}

/// The CPU frame that `reply` answers, if `reply` is exactly [`disk_reply`] to one: the
/// frame number whose low 16 bits are the reply's tag, taken next to `near` (the number
/// expected, when known).
pub fn reply_frame_number(reply: &[u32], frame_words: usize, near: Option<u64>) -> Option<u64> {
    let tag = (*reply.first()? & 0xFFFF) as u64;
    let n = match near {
        Some(e) => e & !0xFFFF | tag,
        None => tag,
    };
    let words: Vec<u32> = cpu_frame(n, frame_words).iter().map(|w| w.data).collect();
    let expect: Vec<u32> = disk_reply(&words).iter().map(|w| w.data).collect();
    (reply == expect.as_slice()).then_some(n)
}

/// One SATA controller: takes what the core sends on `disk_x_tx` and answers each complete
/// frame on `disk_x_rx` after a latency.
#[derive(Clone, Debug)]
struct DiskEnd {
    tx_link: Link,
    rx_link: Link,
    sink: LinkSink,
    source: LinkSource,
    due: VecDeque<(u64, Vec<Word>)>,
    frames: u64,
}

impl DiskEnd {
    fn new(tx_link: Link, rx_link: Link) -> Self {
        Self {
            tx_link,
            rx_link,
            sink: LinkSink::new(0, 0.0).counting_only(),
            source: LinkSource::new(0, 0.0),
            due: VecDeque::new(),
            frames: 0,
        }
    }
}

/// Counts of the built-in traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrafficStats {
    /// CPU frames queued on each CPU.
    pub cpu_frames: u64,
    /// Words taken by the core from CPU A and CPU B.
    pub cpu_words: [u64; 2],
    /// Frames received by disk A and disk B (aborted ones not counted).
    pub disk_frames: [u64; 2],
    /// Words delivered to CPU A and CPU B on their return links.
    pub returned_words: [u64; 2],
    /// Reply frames each CPU received whole and correct (a disk's reply to the CPU frame
    /// after the one the previous reply answered).
    pub replies_in_order: [u64; 2],
    /// Reply frames each CPU received out of sequence (a reply lost, repeated or reordered),
    /// malformed (not a disk reply, spliced) or with a parity error.
    pub reply_errors: [u64; 2],
    /// Words of CPU A sent with a flipped data bit.
    pub faults_injected: u64,
    /// The last of them.
    pub last_fault: Option<InjectedFault>,
}

/// A CPU A word the board sent corrupted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InjectedFault {
    /// Cycle it was first offered.
    pub cycle: u64,
    /// Words the core had taken from CPU A before it (its 0-based index in CPU A's stream).
    pub word_index: u64,
    /// The word as the CPU meant it (its `par` is this word's).
    pub data: u32,
    /// The word as driven on `cpu_a_tx_data`.
    pub sent: u32,
}

/// The built-in traffic around the core: CPU A and B send the same frames (B's
/// [`TrafficConfig::skew`] cycles later), the disks reply, the CPUs take their returns. Every
/// link obeys SPEC §2 (a word is held until it moves; correct `par`/`cpar`/`rpar`), except
/// the one deliberately corrupted word.
#[derive(Clone, Debug)]
pub struct Traffic {
    config: TrafficConfig,
    cpu_a: LinkSource,
    cpu_b: LinkSource,
    /// Frames for CPU B and the cycle they are queued: A's, `skew` cycles later.
    cpu_b_due: VecDeque<(u64, Vec<Word>)>,
    cpu_a_rx: LinkSink,
    cpu_b_rx: LinkSink,
    /// The CPU frame number the next reply on each CPU's return link answers, once known.
    next_reply: [Option<u64>; 2],
    disks: [DiskEnd; 2],
    next_frame: u64,
    /// Flip a data bit of CPU A's next newly offered word.
    fault_armed: bool,
    fault_bit: u8,
    /// The word now offered on cpu_a_tx carries the flipped bit (held until it moves).
    corrupting: bool,
    a_beat: Beat,
    a_held: bool,
    stats: TrafficStats,
}

impl Traffic {
    /// Traffic of `config`, nothing sent yet.
    pub fn new(config: TrafficConfig) -> Self {
        assert!(config.frame_words >= 1 && config.period >= 1);
        Self {
            config,
            cpu_a: LinkSource::new(0, 0.0),
            cpu_b: LinkSource::new(0, 0.0),
            cpu_b_due: VecDeque::new(),
            cpu_a_rx: LinkSink::new(0, 0.0).counting_only(),
            cpu_b_rx: LinkSink::new(0, 0.0).counting_only(),
            next_reply: [None; 2],
            disks: [DiskEnd::new(Link::DiskATx, Link::DiskARx), DiskEnd::new(Link::DiskBTx, Link::DiskBRx)],
            next_frame: 0,
            fault_armed: false,
            fault_bit: 0,
            corrupting: false,
            a_beat: Beat::IDLE,
            a_held: false,
            stats: TrafficStats::default(),
        }
    }

    /// Flip data bit `bit` (0-31) of the next word CPU A newly offers, leaving its parity as
    /// computed for the true data: a data parity error on `cpu_a_tx` that names CPU A.
    pub fn arm_cpu_a_fault(&mut self, bit: u8) {
        assert!(bit < 32);
        self.fault_armed = true;
        self.fault_bit = bit;
    }

    /// Counts so far.
    pub fn stats(&self) -> &TrafficStats {
        &self.stats
    }

    /// Drive half of `cycle`.
    pub fn drive(&mut self, cycle: u64, sim: &mut dyn CoreSim) {
        let c = &self.config;
        // A new frame every `period` cycles, unless CPU A's words are not moving (HALTED
        // back-pressures both CPUs): the queues stay bounded, and what CPU A gets CPU B gets.
        if cycle.is_multiple_of(c.period) && self.cpu_a.pending() < 4 * c.frame_words {
            let f = cpu_frame(self.next_frame, c.frame_words);
            self.next_frame += 1;
            self.stats.cpu_frames += 1;
            self.cpu_a.push(f.iter().copied());
            self.cpu_b_due.push_back((cycle + c.skew, f));
        }
        while self.cpu_b_due.front().is_some_and(|(due, _)| *due <= cycle) {
            let (_, f) = self.cpu_b_due.pop_front().unwrap();
            self.cpu_b.push(f);
        }
        let mut a = self.cpu_a.drive();
        // Only a newly offered word is corrupted (a held word must stay as it was offered).
        if self.fault_armed && a.valid && !self.a_held {
            self.fault_armed = false;
            self.corrupting = true;
            self.stats.faults_injected += 1;
            self.stats.last_fault = Some(InjectedFault {
                cycle,
                word_index: self.stats.cpu_words[0],
                data: a.data,
                sent: a.data ^ 1 << self.fault_bit,
            });
        }
        if self.corrupting {
            a.data ^= 1 << self.fault_bit;
        }
        self.a_beat = a;
        drive_beat(sim, Link::CpuATx, a);
        drive_beat(sim, Link::CpuBTx, self.cpu_b.drive());
        drive_ready(sim, Link::CpuARx, self.cpu_a_rx.drive());
        drive_ready(sim, Link::CpuBRx, self.cpu_b_rx.drive());
        for d in &mut self.disks {
            while d.due.front().is_some_and(|(due, _)| *due <= cycle) {
                let (_, r) = d.due.pop_front().unwrap();
                d.source.push(r);
            }
            drive_beat(sim, d.rx_link, d.source.drive());
            drive_ready(sim, d.tx_link, d.sink.drive());
        }
    }

    /// Observe half of `cycle` (after `low`).
    pub fn observe(&mut self, cycle: u64, sim: &dyn CoreSim) {
        let (ready, rpar) = read_ready(sim, Link::CpuATx);
        self.a_held = self.a_beat.valid && !ready;
        if self.a_beat.valid && ready {
            self.corrupting = false;
            self.stats.cpu_words[0] += 1;
        }
        self.cpu_a.observe(ready, rpar);
        let (ready, rpar) = read_ready(sim, Link::CpuBTx);
        let b_valid = sim.get_bit(Link::CpuBTx.port(LinkSignal::Valid));
        if b_valid && ready {
            self.stats.cpu_words[1] += 1;
        }
        self.cpu_b.observe(ready, rpar);
        for (i, (link, sink)) in [(Link::CpuARx, &mut self.cpu_a_rx), (Link::CpuBRx, &mut self.cpu_b_rx)].into_iter().enumerate() {
            let before = sink.taken;
            sink.observe(read_beat(sim, link));
            self.stats.returned_words[i] += sink.taken - before;
            // Each reply is checked against the CPU frame it answers, then dropped.
            while let Some((f, bad)) = sink.pop_frame() {
                let expected = self.next_reply[i];
                let n = reply_frame_number(&f, self.config.frame_words, expected);
                match n {
                    Some(n) if !bad && expected.is_none_or(|e| e == n) => {
                        self.stats.replies_in_order[i] += 1;
                        self.next_reply[i] = Some(n + 1);
                    }
                    _ => {
                        self.stats.reply_errors[i] += 1;
                        // Resynchronise on this reply, so one error counts once.
                        self.next_reply[i] = n.map(|n| n + 1);
                    }
                }
            }
            sink.errors.clear();
        }
        let latency = self.config.disk_latency;
        for (i, d) in self.disks.iter_mut().enumerate() {
            let (ready, rpar) = read_ready(sim, d.rx_link);
            d.source.observe(ready, rpar);
            d.sink.observe(read_beat(sim, d.tx_link));
            d.sink.errors.clear();
            while let Some((f, _bad)) = d.sink.pop_frame() {
                d.frames += 1;
                self.stats.disk_frames[i] += 1;
                // Bounded: a disk that cannot deliver its replies stops queueing more.
                if d.due.len() < 64 && d.source.pending() < 256 {
                    d.due.push_back((cycle + latency, disk_reply(&f)));
                }
            }
        }
    }
}

/// Drives every link idle and correct: sources `valid` 0 with `cpar` 1, sinks `ready` 1 with
/// `rpar` 0; `reset` low, `uart_rx` idle high.
pub fn drive_links_idle(sim: &mut dyn CoreSim) {
    sim.set_bit(Port::Reset, false);
    sim.set_bit(Port::UartRx, true);
    for l in Link::into_core() {
        drive_beat(sim, l, Beat::IDLE);
    }
    for l in Link::out_of_core() {
        drive_ready(sim, l, (true, false));
    }
}

/// How to run a virtual board.
#[derive(Clone, Debug)]
pub struct BoardConfig {
    /// The core's build parameters ([`board_params`] unless told otherwise).
    pub params: BuildParams,
    /// Also make this path a symlink to the pty (replacing an old symlink; never a file).
    pub link: Option<PathBuf>,
    /// Built-in traffic; `None`: every link idle and correct.
    pub traffic: Option<TrafficConfig>,
    /// Flip a data bit of CPU A's first word offered at or after this cycle (needs traffic).
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
    stop: AtomicBool,
    inject_cpu_a: AtomicBool,
    cycles: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    faults_injected: AtomicU64,
    last_fault: std::sync::Mutex<Option<InjectedFault>>,
    irq: AtomicBool,
    exchange_cycles: AtomicU64,
    traffic: std::sync::Mutex<Option<TrafficStats>>,
}

impl BoardControl {
    /// Asks the board to stop (seen within one batch or one idle poll).
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }
    /// Asks for a CPU A fault at its next newly offered word (needs traffic).
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
        if self.real_time >= 0.95 {
            write!(f, "; kept real time")
        } else if self.real_time > 0.0 {
            write!(f, "; {:.3}x real time: could not keep up, the wire ran {:.0}x slower than real", self.real_time, 1.0 / self.real_time)
        } else {
            Ok(())
        }
    }
}

static SIGNALS: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(_sig: libc::c_int) {
    SIGNALS.fetch_add(1, Ordering::SeqCst);
}

/// Installs handlers so SIGINT, SIGTERM and SIGHUP end every board run with
/// [`BoardConfig::stop_on_signal`] cleanly (pty closed, symlink removed) instead of killing
/// the process. Without `SA_RESTART`, so a board asleep in `poll(2)` wakes at once.
pub fn stop_on_signals() -> io::Result<()> {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: a zeroed sigaction with a handler that only touches an atomic.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = 0;
            check(libc::sigaction(sig, &sa, std::ptr::null_mut()), "sigaction")?;
        }
    }
    Ok(())
}

/// Signals seen by the handlers of [`stop_on_signals`] so far.
pub fn signals_seen() -> u64 {
    SIGNALS.load(Ordering::SeqCst)
}

/// Whether `link` may become the board's symlink: free, or an old symlink (a board that was
/// killed leaves one behind). Anything else is refused and left alone.
fn check_link(link: &Path) -> Result<bool, String> {
    match std::fs::symlink_metadata(link) {
        Ok(m) if m.file_type().is_symlink() => Ok(true),
        Ok(_) => Err(format!("--link {}: exists and is not a symlink; not replacing it", link.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("--link {}: {e}", link.display())),
    }
}

/// Makes `link` a symlink to `target`, replacing an old symlink.
fn make_link(link: &Path, target: &Path) -> Result<(), String> {
    if check_link(link)? {
        std::fs::remove_file(link).map_err(|e| format!("cannot replace the old symlink {}: {e}", link.display()))?
    }
    std::os::unix::fs::symlink(target, link)
        .map_err(|e| format!("cannot create the symlink {} -> {}: {e}", link.display(), target.display()))
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
    pub fn new(config: BoardConfig) -> Result<Self, String> {
        if config.fault_at.is_some() && config.traffic.is_none() {
            return Err("a CPU A fault (--fault-at) needs traffic (--traffic): with every link idle no word is offered to corrupt".into());
        }
        if config.fault_bit > 31 {
            return Err(format!("fault bit {} is not a data bit (0-31)", config.fault_bit));
        }
        config.params.validate()?;
        // Checked before the (possibly long) model build; made once the pty exists.
        if let Some(l) = &config.link {
            check_link(l)?;
        }
        let cpb = ftio_hdl::uart::clocks_per_bit(config.params.clock_hz, config.params.baud);
        let mut core = VerilatorCore::new(&config.params)?;
        let pty = Arc::new(Pty::open().map_err(|e| format!("cannot open a pseudo-terminal: {e}"))?);
        let reader = PtyReader::start(pty.clone()).map_err(|e| format!("cannot start the pty reader thread: {e}"))?;
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
    fn take_input(&mut self, wait: Duration) -> Result<(), String> {
        let mut next = if wait.is_zero() {
            self.reader.arrivals.try_recv().ok()
        } else {
            self.reader.arrivals.recv_timeout(wait).ok()
        };
        while let Some(arrival) = next {
            self.queue_arrival(arrival?);
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

    fn flush_output(&mut self) -> Result<(), String> {
        while !self.output.is_empty() {
            let n = self.pty.write(&self.output).map_err(|e| format!("writing the pty: {e}"))?;
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
    pub fn run(&mut self) -> Result<BoardSummary, String> {
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
        Ok(self.summary.clone())
    }

    fn arm_fault(&mut self, why: &str) -> Result<(), String> {
        let bit = self.config.fault_bit;
        let Some(t) = &mut self.traffic else {
            return Err("a CPU A fault needs traffic: with every link idle no word is offered to corrupt".into());
        };
        t.arm_cpu_a_fault(bit);
        self.log(&format!("CPU A fault armed ({why}): data bit {bit} of its next word, parity unchanged"));
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
                    self.log(&format!(
                        "CPU A word {} sent as {:#010x} instead of {:#010x} at cycle {}, parity left as computed for the true word",
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

/// A virtual board running on its own thread. Dropping it stops the board and waits for it.
pub struct BoardHandle {
    path: PathBuf,
    clocks_per_bit: u64,
    control: Arc<BoardControl>,
    thread: Option<std::thread::JoinHandle<Result<BoardSummary, String>>>,
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
    /// The shared control block.
    pub fn control(&self) -> &BoardControl {
        &self.control
    }
    /// Cycles run so far.
    pub fn cycles(&self) -> u64 {
        self.control.cycles()
    }
    /// Flip a data bit of CPU A's next newly offered word (needs traffic).
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
    pub fn stop(mut self) -> Result<BoardSummary, String> {
        self.control.request_stop();
        let t = self.thread.take().expect("joined once");
        t.join().map_err(|_| "the virtual board thread panicked".to_string())?
    }
    /// Waits for a board with [`BoardConfig::max_cycles`] to finish by itself.
    pub fn join(mut self) -> Result<BoardSummary, String> {
        let t = self.thread.take().expect("joined once");
        t.join().map_err(|_| "the virtual board thread panicked".to_string())?
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
pub fn spawn(config: BoardConfig) -> Result<BoardHandle, String> {
    let mut board = VirtualBoard::new(config)?;
    let path = board.path().to_path_buf();
    let clocks_per_bit = board.clocks_per_bit();
    let control = board.control();
    let thread = std::thread::Builder::new()
        .name("virtual-board".into())
        .spawn(move || board.run())
        .map_err(|e| format!("cannot start the virtual board thread: {e}"))?;
    Ok(BoardHandle { path, clocks_per_bit, control, thread: Some(thread) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes shifted out by one HostUart and decoded by another (as the core's line would
    /// carry them) come back intact, at exactly 10 bit times per byte.
    #[test]
    fn host_uart_round_trip() {
        let mut a = HostUart::new(16);
        let mut b = HostUart::new(16);
        let bytes: Vec<u8> = (0..=255u8).collect();
        a.send(&bytes);
        let mut got = vec![];
        let mut cycles = 0;
        while got.len() < bytes.len() && cycles < 100_000 {
            let level = a.drive();
            if let Some(x) = b.observe(level) {
                got.push(x);
            }
            cycles += 1;
        }
        assert_eq!(got, bytes);
        assert_eq!(b.framing_errors, 0);
        // The last stop bit is sampled at its middle: 255 whole bytes + 9.5 bits.
        assert_eq!(cycles, 255 * 160 + 9 * 16 + 8 + 1);
        assert!(!a.busy() || a.queued() == 0);
    }

    /// A byte queued after a pause starts only once the line has been idle that long after
    /// the byte before it; bytes queued together go back to back; the first byte after
    /// power-on does not wait.
    #[test]
    fn host_uart_keeps_the_hosts_pauses() {
        let mut a = HostUart::new(8);
        // 0xFF: the start bit is the byte's only low bit, so every falling edge is a start.
        a.send_after_idle(&[0xFF], 1000);
        a.send(&[0xFF]);
        a.send_after_idle(&[0xFF, 0xFF], 300);
        let mut starts = vec![];
        let mut prev = true;
        for cycle in 0..2000u64 {
            let level = a.drive();
            if prev && !level {
                starts.push(cycle);
            }
            prev = level;
        }
        // The first at once, the second right after it, the third 300 idle cycles after the
        // second's stop bit, the fourth right after the third.
        assert_eq!(starts, vec![0, 80, 160 + 300, 160 + 300 + 80]);
        assert!(!a.busy());
    }

    #[test]
    fn host_uart_counts_a_low_stop_bit() {
        let mut b = HostUart::new(8);
        // Start bit, 8 zero data bits, and a stop bit still low when sampled at its middle
        // (cycle 0.5 + 9 bits = 76), then idle.
        for _ in 0..77 {
            assert_eq!(b.observe(false), None);
        }
        for _ in 0..40 {
            b.observe(true);
        }
        assert_eq!(b.framing_errors, 1);
        assert!(!b.busy());
    }

    #[test]
    fn pty_is_raw_and_carries_bytes_both_ways() {
        use std::io::{Read, Write};
        let pty = Pty::open().unwrap();
        let mut client = std::fs::OpenOptions::new().read(true).write(true).open(pty.path()).unwrap();
        // Raw: no echo, no CR/LF mapping, bytes as written.
        let data = [0xA5, 0x0D, 0x0A, 0x03, 0x04, 0x11, 0x13, 0x00, 0xFF];
        client.write_all(&data).unwrap();
        assert!(pty.wait_readable(1000).unwrap());
        let mut buf = [0u8; 64];
        let mut got = vec![];
        let end = Instant::now() + Duration::from_secs(2);
        while got.len() < data.len() && Instant::now() < end {
            let n = pty.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, data);
        assert_eq!(pty.write(&data).unwrap(), data.len());
        let mut back = [0u8; 9];
        client.read_exact(&mut back).unwrap();
        assert_eq!(back, data);
        // Nothing echoed back to the master.
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(pty.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn frames_and_replies() {
        let f = cpu_frame(0x12345, 4);
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].data, 0xC0DE_2345);
        assert!(f[3].last && !f[0].last);
        assert_eq!(f, cpu_frame(0x12345, 4));
        assert_ne!(f[1].data, cpu_frame(0x12346, 4)[1].data);
        let data: Vec<u32> = f.iter().map(|w| w.data).collect();
        let r = disk_reply(&data);
        assert_eq!(r[0].data, 0xD15C_2345);
        assert_eq!(r[1].data, data.iter().fold(0, |a, w| a ^ w));
        assert!(r[1].last);
    }
}
