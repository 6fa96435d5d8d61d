//! A minimal SPEC §5 client for the virtual board's pty, shared by the tests that run one.
#![allow(dead_code)]
use ftio_proto::frame::{Request, Response, Status};
use ftio_proto::{reg, Mode};
use ftio_sim::virtual_board::{self as board, BoardConfig, BoardHandle};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// A minimal SPEC §5 client on the pty slave.
pub struct Uart {
    pub f: File,
}

impl Uart {
    pub fn open(path: &Path) -> Uart {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        Uart { f }
    }

    /// Bytes that arrive within `timeout`, until `done` says the buffer is complete.
    pub fn read_until(&mut self, timeout: Duration, mut done: impl FnMut(&[u8]) -> bool) -> Vec<u8> {
        let end = Instant::now() + timeout;
        let mut got = vec![];
        while !done(&got) {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let mut p = libc::pollfd { fd: self.f.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd.
            let rc = unsafe { libc::poll(&mut p, 1, left.as_millis().max(1) as i32) };
            if rc > 0 {
                let mut buf = [0u8; 256];
                let n = self.f.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
            }
        }
        got
    }

    pub fn transact(&mut self, req: &Request) -> Response {
        self.f.write_all(&req.encode()).unwrap();
        let cmd = req.cmd;
        let bytes = self.read_until(Duration::from_secs(5), |b| {
            !matches!(Response::decode(b, cmd), Err(ftio_proto::frame::FrameError::Incomplete { .. }))
        });
        let (resp, used) = Response::decode(&bytes, cmd).unwrap_or_else(|e| panic!("reply {bytes:02X?}: {e}"));
        assert_eq!(used, bytes.len(), "bytes after the reply: {bytes:02X?}");
        resp
    }

    pub fn read(&mut self, name: &str, count: u8) -> Vec<u32> {
        let r = self.transact(&Request::read(reg(name).addr, count));
        assert_eq!(r.status, Status::Ok, "read {name}");
        r.data
    }

    pub fn get(&mut self, name: &str) -> u32 {
        self.read(name, 1)[0]
    }

    pub fn write(&mut self, name: &str, v: u32) -> Status {
        let r = self.transact(&Request::write(reg(name).addr, &[v]));
        r.status
    }

    /// A counter snapshot (CTRL.cnt_snapshot, mode left as it is) and one counter.
    pub fn counter(&mut self, name: &str) -> u32 {
        let ctrl = reg("CTRL");
        let w = ctrl.f("mode").insert(self.get("CTRL"), ftio_proto::MODE_KEEP);
        assert_eq!(self.write("CTRL", ctrl.f("cnt_snapshot").insert(w, 1)), Status::Ok);
        self.get(name)
    }
}

pub fn start(config: BoardConfig) -> BoardHandle {
    board::spawn(config).unwrap_or_else(|e| panic!("virtual board: {e}"))
}

pub fn status_mode(st: u32) -> Mode {
    Mode::from_field(reg("STATUS").f("mode").get(st))
}

/// One bit time of the board's default build (`BOARD_BAUD`).
pub fn bit_time() -> Duration {
    Duration::from_secs_f64(1.0 / board::BOARD_BAUD as f64)
}

/// Sleeps at least `d` (the client's pause on its own line).
pub fn pause(d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        std::thread::sleep(end - Instant::now());
    }
}

