//! The pseudo-terminal the virtual board offers its UART on, and the thread that stamps the
//! host's bytes as they arrive on it. System calls through `nix` (safe wrappers); the one
//! call nix has no wrapper for, `sched_setattr(2)`, goes through `libc`.
use super::{IDLE_POLL_MS, INPUT_QUEUE_BYTES};
use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt, PtyMaster};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Largest chunk read from the pty at once.
const READ_CHUNK_BYTES: usize = 4096;

/// `what: error`, keeping the error's kind.
fn failed(what: &str, e: Errno) -> io::Error {
    let e = io::Error::from(e);
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// A pseudo-terminal pair in raw mode. The master is the board's end (non-blocking); the
/// slave (`path`, e.g. `/dev/pts/7`) is the serial port `ftctl` opens. The board holds the
/// slave open too, so the pty lives as long as the board whatever its clients do.
pub struct Pty {
    master: PtyMaster,
    // Held open for the lifetime of the pty; never read or written.
    slave: File,
    path: PathBuf,
}

impl Pty {
    /// A fresh pty pair, slave in raw mode (no echo, no line editing, no CR/LF mapping).
    pub fn open() -> io::Result<Pty> {
        let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC).map_err(|e| failed("posix_openpt", e))?;
        grantpt(&master).map_err(|e| failed("grantpt", e))?;
        unlockpt(&master).map_err(|e| failed("unlockpt", e))?;
        let path = PathBuf::from(ptsname_r(&master).map_err(|e| failed("ptsname_r", e))?);
        // std opens with O_CLOEXEC; O_NOCTTY so the board never gains a controlling terminal.
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(OFlag::O_NOCTTY.bits())
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("open pty slave {}: {e}", path.display())))?;
        let mut t = tcgetattr(slave.as_raw_fd()).map_err(|e| failed("tcgetattr", e))?;
        cfmakeraw(&mut t);
        tcsetattr(slave.as_raw_fd(), SetArg::TCSANOW, &t).map_err(|e| failed("tcsetattr", e))?;
        let m = master.as_raw_fd();
        let flags = OFlag::from_bits_truncate(fcntl(m, FcntlArg::F_GETFL).map_err(|e| failed("fcntl", e))?);
        fcntl(m, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK)).map_err(|e| failed("fcntl", e))?;
        Ok(Pty { master, slave, path })
    }

    /// The slave's path: what `ftctl --port` takes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads what the client wrote, without blocking: `Ok(0)` when there is nothing.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match nix::unistd::read(self.master.as_raw_fd(), buf) {
            Ok(n) => Ok(n),
            Err(Errno::EAGAIN | Errno::EINTR) => Ok(0),
            // EIO: no slave open. Cannot happen while `slave` is held; treat as nothing to read.
            Err(Errno::EIO) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes towards the client without blocking; how many bytes the pty took (0 when its
    /// buffer is full).
    pub fn write(&self, buf: &[u8]) -> io::Result<usize> {
        match nix::unistd::write(self.master.as_raw_fd(), buf) {
            Ok(n) => Ok(n),
            Err(Errno::EAGAIN | Errno::EINTR) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// Sleeps until the client writes something or `timeout_ms` pass (or a signal arrives).
    pub fn wait_readable(&self, timeout_ms: i32) -> io::Result<bool> {
        let mut fds = [PollFd::new(self.master.as_raw_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout_ms) {
            Ok(n) => Ok(n > 0 && fds[0].revents().is_some_and(|r| r.contains(PollFlags::POLLIN))),
            Err(Errno::EINTR) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The slave descriptor the board holds (for tests of the terminal settings).
    pub fn slave_fd(&self) -> i32 {
        self.slave.as_raw_fd()
    }
}

/// Bytes the host wrote, stamped when they arrived on the pty.
pub(super) struct Arrival {
    pub(super) at: Instant,
    pub(super) bytes: Vec<u8>,
    /// The reader had stopped reading (its queue was full) before these bytes: they may have
    /// waited in the kernel's pty buffer since before `at`.
    pub(super) held_back: bool,
}

/// A thread asleep in `poll(2)` on the pty that stamps each chunk the host writes the moment
/// it wakes with it, so the board knows the host's pauses however long its own batches of
/// cycles take (a batch loop that looked at the pty between batches would see a pause
/// shorter than a batch as no pause at all). How precise the stamp is depends on how soon the
/// kernel runs the thread after the host writes: see docs/virtual-board.md, "Wire time".
pub(super) struct PtyReader {
    pub(super) arrivals: mpsc::Receiver<io::Result<Arrival>>,
    /// Bytes read from the pty and not yet begun on `uart_rx`: the reader stops reading at
    /// [`INPUT_QUEUE_BYTES`], so the kernel's pty buffer holds the writer back.
    pub(super) held: Arc<AtomicUsize>,
    /// What the reader thread got from the scheduler.
    pub(super) priority: ReaderPriority,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How soon the kernel runs the pty reader after the host writes: what decides the shortest
/// host pause the board can see on a busy machine (docs/virtual-board.md, "Wire time").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReaderPriority {
    /// Real-time (`SCHED_FIFO` priority 1): the reader preempts every ordinary task the moment
    /// the host's bytes arrive. Needs root, `CAP_SYS_NICE` or `RLIMIT_RTPRIO` of at least 1.
    RealTime,
    /// An ordinary thread that asked for a short time slice (100 µs): Linux's EEVDF scheduler
    /// (6.12 and later) lets it preempt the running task sooner; no unprivileged setting does more.
    ShortSlice,
}

impl std::fmt::Display for ReaderPriority {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            ReaderPriority::RealTime => "real-time priority (SCHED_FIFO 1): on a busy machine a host pause of a few ms is nearly always seen (rates: docs/virtual-board.md, Wire time)",
            ReaderPriority::ShortSlice => {
                "ordinary priority (no permission for SCHED_FIFO: root, CAP_SYS_NICE or `ulimit -r` >= 1 gives it): on a busy machine a host pause of a few ms is missed more often (rates: docs/virtual-board.md, Wire time)"
            }
        })
    }
}

/// Puts the calling thread at the lowest real-time priority if the process may; otherwise
/// asks for a short time slice. The reader only wakes for the host's bytes, reads them and
/// stamps them (microseconds), then sleeps in `poll(2)` again, so a real-time priority
/// takes nothing from the rest of the machine that matters.
fn raise_reader_priority() -> ReaderPriority {
    let param = libc::sched_param { sched_priority: 1 };
    // SAFETY: sched_setscheduler(2) on the calling thread (pid 0) with a valid sched_param.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } == 0 {
        return ReaderPriority::RealTime;
    }
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
    // SAFETY: sched_setattr(2) on the calling thread (pid 0) with a valid, sized sched_attr. A
    // kernel without the slice hint refuses it harmlessly.
    unsafe {
        libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const libc::sched_attr, 0);
    }
    ReaderPriority::ShortSlice
}

impl PtyReader {
    pub(super) fn start(pty: Arc<Pty>) -> io::Result<PtyReader> {
        let (tx, arrivals) = mpsc::channel();
        let held = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, st) = (held.clone(), stop.clone());
        let (up_tx, up) = mpsc::channel();
        let thread = std::thread::Builder::new().name("virtual-board-uart-in".into()).spawn(move || {
            let _ = up_tx.send(raise_reader_priority());
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
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
        })?;
        // Running before the pty is handed out, so the host's first pause is seen too.
        let priority = up.recv().unwrap_or(ReaderPriority::ShortSlice);
        Ok(PtyReader { arrivals, held, priority, stop, thread: Some(thread) })
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
