//! The virtual board through its pseudo-terminal: SPEC §5 frames written to `/dev/pts/N`
//! reach the core in Verilator bit by bit and its replies come back; the built-in traffic
//! moves the counters; a link-level fault on CPU A fails the core over to SIMPLEX_B; the
//! board sleeps when idle, makes and removes its symlink, and stops on request or on a signal.
//! (The real `ftctl` binary against the board: `host-tool/tests/virtual_board.rs`.)
use ftio_proto::frame::{Request, Response, Status, CMD_READ, CMD_WRITE};
use ftio_proto::{reg, Mode, ID_VALUE, VERSION_VALUE};
use ftio_sim::board::{self, BoardConfig, BoardHandle, TrafficConfig};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// A minimal SPEC §5 client on the pty slave.
struct Uart {
    f: File,
}

impl Uart {
    fn open(path: &Path) -> Uart {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(path)
            .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        Uart { f }
    }

    /// Bytes that arrive within `timeout`, until `done` says the buffer is complete.
    fn read_until(&mut self, timeout: Duration, mut done: impl FnMut(&[u8]) -> bool) -> Vec<u8> {
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

    fn transact(&mut self, req: &Request) -> Response {
        self.f.write_all(&req.encode()).unwrap();
        let cmd = req.cmd;
        let bytes = self.read_until(Duration::from_secs(5), |b| {
            !matches!(Response::decode(b, cmd), Err(ftio_proto::frame::FrameError::Incomplete { .. }))
        });
        let (resp, used) = Response::decode(&bytes, cmd).unwrap_or_else(|e| panic!("reply {bytes:02X?}: {e}"));
        assert_eq!(used, bytes.len(), "bytes after the reply: {bytes:02X?}");
        resp
    }

    fn read(&mut self, name: &str, count: u8) -> Vec<u32> {
        let r = self.transact(&Request::read(reg(name).addr, count));
        assert_eq!(r.status, Status::Ok, "read {name}");
        r.data
    }

    fn get(&mut self, name: &str) -> u32 {
        self.read(name, 1)[0]
    }

    fn write(&mut self, name: &str, v: u32) -> Status {
        let r = self.transact(&Request::write(reg(name).addr, &[v]));
        r.status
    }

    /// A counter snapshot (CTRL.cnt_snapshot, mode left as it is) and one counter.
    fn counter(&mut self, name: &str) -> u32 {
        let ctrl = reg("CTRL");
        let w = ctrl.f("mode").insert(self.get("CTRL"), ftio_proto::MODE_KEEP);
        assert_eq!(self.write("CTRL", ctrl.f("cnt_snapshot").insert(w, 1)), Status::Ok);
        self.get(name)
    }
}

fn start(config: BoardConfig) -> BoardHandle {
    board::spawn(config).unwrap_or_else(|e| panic!("virtual board: {e}"))
}

fn status_mode(st: u32) -> Mode {
    Mode::from_field(reg("STATUS").f("mode").get(st))
}

#[test]
fn identifies_itself_over_the_pty() {
    let b = start(BoardConfig::default());
    let mut u = Uart::open(b.path());
    let v = u.read("ID", 6);
    let params = board::board_params();
    assert_eq!(v[0], ID_VALUE);
    assert_eq!(v[1], VERSION_VALUE);
    assert_eq!(v[2], 0, "SCRATCH powers on 0");
    assert_eq!(v[3], 1_843_200, "CLOCK_HZ");
    assert_eq!(v[4], 115_200, "BAUD");
    assert_eq!(v[5], params.params_word(), "PARAMS");
    assert_eq!(b.clocks_per_bit(), 16);
    let st = u.get("STATUS");
    assert_eq!(status_mode(st), Mode::Duplex);
    assert_eq!(reg("STATUS").f("fault").get(st), 0, "idle, correct links raise no fault");
    let s = b.stop().unwrap();
    assert_eq!(s.framing_errors, 0);
    assert_eq!(s.bytes_in, 2 * 7);
    assert_eq!(s.bytes_out, (5 + 24) + (5 + 4));
    assert!(!s.irq);
}

#[test]
fn writes_read_back_and_bad_frames_are_answered() {
    let b = start(BoardConfig::default());
    let mut u = Uart::open(b.path());
    assert_eq!(u.write("SCRATCH", 0x1234), Status::Ok);
    assert_eq!(u.get("SCRATCH"), 0x1234);
    assert_eq!(u.write("ID", 1), Status::BadAddress, "ID is read-only");
    // A corrupted CRC is answered 0x01 and not executed.
    let mut bad = Request::write(reg("SCRATCH").addr, &[0xDEAD]).encode();
    let n = bad.len();
    bad[n - 1] ^= 0xFF;
    u.f.write_all(&bad).unwrap();
    let bytes = u.read_until(Duration::from_secs(5), |b| b.len() >= 5);
    let (r, _) = Response::decode(&bytes, CMD_WRITE).unwrap();
    assert_eq!(r.status, Status::BadCrc);
    assert_eq!(u.get("SCRATCH"), 0x1234);
    // Garbage, then half a frame left to time out (64 bit times), then a good request.
    u.f.write_all(&[0x00, 0xFF, 0x13, 0xA5, 0x01]).unwrap();
    let stray = u.read_until(Duration::from_millis(100), |_| false);
    assert!(stray.is_empty(), "no reply to garbage: {stray:02X?}");
    let r = u.transact(&Request::read(reg("SCRATCH").addr, 1));
    assert_eq!((r.status, r.data), (Status::Ok, vec![0x1234]));
    let r = u.transact(&Request { cmd: CMD_READ, addr: 0, count: 17, data: vec![] });
    assert_eq!(r.status, Status::BadCount);
}

/// With nothing to do the board sleeps in poll(2): its clock stops.
#[test]
fn idle_board_sleeps_and_wakes_on_a_byte() {
    let b = start(BoardConfig::default());
    let mut u = Uart::open(b.path());
    assert_eq!(u.get("ID"), ID_VALUE);
    std::thread::sleep(Duration::from_millis(100));
    let c0 = b.cycles();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(b.cycles(), c0, "an idle board keeps running its clock");
    // It ran the request, the reply and 128 quiet bit times, nothing more.
    assert!(c0 < 40 * 160 + (board::IDLE_QUIET_BITS + 10) * 16 + board::BATCH_CYCLES, "{c0} cycles");
    assert_eq!(u.get("BAUD"), 115_200);
    assert!(b.cycles() > c0);
}

#[test]
fn traffic_moves_the_counters_and_a_cpu_a_fault_fails_over_to_simplex_b() {
    let b = start(BoardConfig { traffic: Some(TrafficConfig::default()), ..BoardConfig::default() });
    assert!(b.wait_cycles(20_000, Duration::from_secs(20)));
    let mut u = Uart::open(b.path());
    let st = u.get("STATUS");
    assert_eq!(status_mode(st), Mode::Duplex);
    assert_eq!(reg("STATUS").f("fault").get(st), 0, "identical streams agree: {st:#x}");
    let words = u.counter("WORDS_FWD");
    let frames = u.get("FRAMES_FWD");
    let returned = u.get("WORDS_RETURNED");
    assert!(words > 1000 && frames > 100 && returned > 100, "words {words} frames {frames} returned {returned}");
    assert_eq!(u.get("MISMATCHES"), 0);
    assert!(u.counter("WORDS_FWD") > words, "counters move");

    b.inject_cpu_a_fault();
    let end = Instant::now() + Duration::from_secs(10);
    while !b.control().irq() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(b.control().irq(), "irq after the CPU A fault");
    assert_eq!(b.control().faults_injected(), 1);
    let st = u.get("STATUS");
    let s = reg("STATUS");
    assert_eq!(status_mode(st), Mode::SimplexB, "{st:#x}");
    assert_eq!(s.f("cpu_a_failed").get(st), 1);
    assert_eq!(s.f("cpu_b_failed").get(st), 0);
    assert_eq!(s.f("cause").get(st), ftio_proto::Cause::CpuAParity.code());
    assert_eq!(u.get("CAP_CAUSE"), ftio_proto::Cause::CpuAParity.code());
    // The healthy stream goes on.
    let w1 = u.counter("WORDS_FWD");
    let perr_a = u.get("PERR_CPU_A");
    assert!(perr_a >= 1, "PERR_CPU_A {perr_a}");
    assert!(u.counter("WORDS_FWD") > w1);
    let summary = b.stop().unwrap();
    let t = summary.traffic.unwrap();
    assert_eq!(t.faults_injected, 1);
    // Mirrored writes: both disks got every frame, and each CPU's returns kept coming.
    assert!(t.disk_frames[0] > 100 && t.disk_frames[0].abs_diff(t.disk_frames[1]) <= 1, "{t:?}");
    assert!(t.returned_words[0] > 0 && t.returned_words[1] > 0, "{t:?}");
    // CPU B, served after the fail-over, got every reply exactly once and in order; CPU A
    // (isolated) a prefix of them.
    assert_eq!(t.reply_errors, [0, 0], "{t:?}");
    assert!(t.replies_in_order[1] + 4 >= t.disk_frames[0], "{t:?}");
    assert!(summary.irq);
}

/// `fault_at` and `max_cycles`: a bounded run that ends by itself with the fault latched.
#[test]
fn fault_at_a_cycle_in_a_bounded_run() {
    let b = start(BoardConfig {
        traffic: Some(TrafficConfig::default()),
        fault_at: Some(10_000),
        max_cycles: Some(30_000),
        ..BoardConfig::default()
    });
    let s = b.join().unwrap();
    assert_eq!(s.cycles, 30_000);
    assert!(s.irq, "{s}");
    assert_eq!(s.traffic.as_ref().unwrap().faults_injected, 1);
    // Without the fault the same run stays clean.
    let b = start(BoardConfig { traffic: Some(TrafficConfig::default()), max_cycles: Some(30_000), ..BoardConfig::default() });
    let s = b.join().unwrap();
    assert!(!s.irq, "{s}");
}

#[test]
fn bad_configs_are_refused_before_anything_runs() {
    let e = board::spawn(BoardConfig { fault_at: Some(5), ..BoardConfig::default() }).err().unwrap();
    assert!(e.contains("needs traffic"), "{e}");
    let mut params = board::board_params();
    params.clock_hz = 500_000;
    let e = board::spawn(BoardConfig { params, ..BoardConfig::default() }).err().unwrap();
    assert!(e.contains("at least 8 clocks per bit"), "{e}");
    let dir = std::env::temp_dir().join(format!("ftio-vb-file-{}", std::process::id()));
    std::fs::write(&dir, b"keep me").unwrap();
    let e = board::spawn(BoardConfig { link: Some(dir.clone()), ..BoardConfig::default() }).err().unwrap();
    assert!(e.contains("not a symlink"), "{e}");
    assert_eq!(std::fs::read(&dir).unwrap(), b"keep me", "the file is left alone");
    std::fs::remove_file(&dir).unwrap();
}

#[test]
fn symlink_points_at_the_pty_and_goes_away() {
    let link = std::env::temp_dir().join(format!("ftio-vb-link-{}", std::process::id()));
    // A stale symlink from a killed board is replaced.
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("/dev/pts/nonexistent", &link).unwrap();
    let b = start(BoardConfig { link: Some(link.clone()), ..BoardConfig::default() });
    assert_eq!(std::fs::read_link(&link).unwrap(), b.path());
    let mut u = Uart::open(&link);
    assert_eq!(u.get("ID"), ID_VALUE);
    b.stop().unwrap();
    assert!(std::fs::symlink_metadata(&link).is_err(), "symlink left behind");
}

/// SIGINT ends a board that asked for it, cleanly (its thread returns a summary).
#[test]
fn sigint_stops_the_board() {
    board::stop_on_signals().unwrap();
    let link = std::env::temp_dir().join(format!("ftio-vb-sig-{}", std::process::id()));
    let b = start(BoardConfig { stop_on_signal: true, link: Some(link.clone()), ..BoardConfig::default() });
    let mut u = Uart::open(b.path());
    assert_eq!(u.get("ID"), ID_VALUE);
    // SAFETY: the handler installed above only bumps an atomic.
    assert_eq!(unsafe { libc::raise(libc::SIGINT) }, 0);
    let end = Instant::now() + Duration::from_secs(5);
    while std::fs::symlink_metadata(&link).is_ok() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(std::fs::symlink_metadata(&link).is_err(), "the board did not stop on SIGINT");
    let s = b.join().unwrap();
    assert_eq!(s.bytes_in, 7);
}

/// Register read round trip through the pty: the cycles one read takes on the wire and in
/// the core, and the wall time a client waits. Printed for docs/virtual-board.md
/// (`cargo test -p ftio-sim --test virtual_board round_trip -- --nocapture`); the bounds are
/// the wire time plus a parser latency far beyond the core's, and ftctl's default timeout.
#[test]
fn register_read_round_trip() {
    let b = start(BoardConfig::default());
    let mut u = Uart::open(b.path());
    assert_eq!(u.get("ID"), ID_VALUE);
    let wait_exchange = |b: &BoardHandle| {
        // The exchange is published once the line has been quiet for IDLE_QUIET_BITS.
        let end = Instant::now() + Duration::from_secs(5);
        while b.control().exchange_cycles() == 0 && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(1));
        }
        b.control().exchange_cycles()
    };
    let first = wait_exchange(&b);
    // Request 7 bytes + reply 9 bytes, 10 bits of 16 cycles each; the last stop bit is
    // sampled at its middle.
    let wire = 16 * 10 * 16 - 8;
    assert!(first >= wire && first < wire + 200, "a 1-register read took {first} cycles (wire {wire})");
    let mut times = vec![];
    let c0 = b.cycles();
    for _ in 0..50 {
        let t = Instant::now();
        assert_eq!(u.get("SCRATCH"), 0);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let busy = b.cycles() - c0;
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let s = b.stop().unwrap();
    println!(
        "1-register read: {first} cycles from the request's first start bit to the reply's last stop bit ({wire} on the wire)"
    );
    println!(
        "50 reads over the pty: mean {mean:.2} ms, min {:.2} ms, median {:.2} ms, max {:.2} ms; {busy} cycles run; board {s}",
        times[0], times[25], times[49]
    );
    assert!(times[49] < 500.0, "slowest read {} ms is past ftctl's default timeout", times[49]);
}

/// `skew`: CPU B's stream is CPU A's delayed by exactly D cycles, which is what strict
/// lockstep with OFFSET = D checks cycle by cycle; a wrong OFFSET is a mismatch.
#[test]
fn skewed_traffic_matches_strict_lockstep_at_its_offset() {
    let b = start(BoardConfig { traffic: Some(TrafficConfig { skew: 5, ..TrafficConfig::default() }), ..BoardConfig::default() });
    let mut u = Uart::open(b.path());
    let ctrl = reg("CTRL");
    let strict = |u: &mut Uart, offset: u32| {
        assert_eq!(u.write("OFFSET", offset), Status::Ok);
        // Mode written (DUPLEX) so the skew FIFOs restart empty under the new rule.
        let w = ctrl.f("lockstep").insert(ctrl.f("mode").insert(0, Mode::Duplex.code()), 1);
        assert_eq!(u.write("CTRL", ctrl.f("fault_clear").insert(w, 1)), Status::Ok);
    };
    strict(&mut u, 5);
    let c = b.cycles();
    assert!(b.wait_cycles(c + 30_000, Duration::from_secs(20)));
    let st = u.get("STATUS");
    assert_eq!((status_mode(st), reg("STATUS").f("fault").get(st)), (Mode::Duplex, 0), "OFFSET 5: {st:#x}");
    assert!(u.counter("WORDS_FWD") > 1000);
    strict(&mut u, 4);
    let c = b.cycles();
    assert!(b.wait_cycles(c + 30_000, Duration::from_secs(20)));
    let st = u.get("STATUS");
    assert_eq!(reg("STATUS").f("cause").get(st), ftio_proto::Cause::Mismatch.code(), "OFFSET 4: {st:#x}");
    assert_eq!(status_mode(st), Mode::Halted);
}

/// SPEC §5 round trip at 100 MHz, at 115 200 baud and at the fastest UART the gateware
/// builds (8 clocks per bit: 12.5 Mbaud): a 1-register read (7 request bytes, 9 reply bytes)
/// takes the wire time plus a few cycles of the core's own.
#[test]
fn register_read_round_trip_at_100_mhz() {
    for baud in [115_200u32, 12_500_000] {
        let params = ftio_hdl::BuildParams { clock_hz: 100_000_000, baud, ..ftio_hdl::BuildParams::default() };
        let cpb = ftio_hdl::uart::clocks_per_bit(params.clock_hz, params.baud);
        let b = start(BoardConfig { params, ..BoardConfig::default() });
        let mut u = Uart::open(b.path());
        assert_eq!(u.get("ID"), ID_VALUE);
        let end = Instant::now() + Duration::from_secs(10);
        while b.control().exchange_cycles() == 0 && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(1));
        }
        let cycles = b.control().exchange_cycles();
        // 160 bit times, less half a bit at each end: the core takes the request's last byte
        // in the middle of its stop bit, and the exchange ends in the middle of the reply's.
        let wire = 16 * 10 * cpb - cpb;
        println!(
            "100 MHz, {baud} baud ({cpb} clocks per bit): 1-register read {cycles} cycles = {:.3} us; wire {wire} cycles = {:.3} us; the core adds {}",
            cycles as f64 / 100.0,
            wire as f64 / 100.0,
            cycles as i64 - wire as i64
        );
        assert!(cycles >= wire && cycles < wire + 40, "{baud} baud: {cycles} cycles, wire {wire}");
        b.stop().unwrap();
    }
}

/// One bit time of the board's 115 200-baud build.
fn bit_time() -> Duration {
    Duration::from_secs_f64(1.0 / board::BOARD_BAUD as f64)
}

/// Sleeps at least `d` (the client's pause on its own line).
fn pause(d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        std::thread::sleep(end - Instant::now());
    }
}

/// SPEC §5's resynchronisation, as a host does it: garbage ending in half a frame, a pause
/// (wall time on the host's side), then a good request — answered, and nothing else. The
/// simulation runs far slower than the wire (with traffic about a tenth of real time on this
/// machine), so this holds only because the board carries the host's pause onto `uart_rx`
/// in bit times; with and without traffic. The pauses are 10 to 50 ms: on a loaded machine
/// the kernel may run the board's reader a few ms after the host wrote, and two writes that
/// close together are one chunk to it (docs/virtual-board.md, "Wire time", has the measured
/// rates for shorter pauses: `FTIO_PAUSE_BITS=66,80,128` runs this test with those).
#[test]
fn a_host_pause_drops_a_partial_frame() {
    let pauses: Vec<u32> = std::env::var("FTIO_PAUSE_BITS")
        .map(|v| v.split(',').map(|b| b.trim().parse().expect("FTIO_PAUSE_BITS: bit times, comma-separated")).collect())
        .unwrap_or_else(|_| vec![1200, 2400, 6000]);
    let (mut tries, mut failed) = (0, vec![]);
    for traffic in [None, Some(TrafficConfig::default())] {
        let with = if traffic.is_some() { "with traffic" } else { "idle links" };
        let b = start(BoardConfig { traffic, ..BoardConfig::default() });
        let mut u = Uart::open(b.path());
        for (i, &bits) in pauses.iter().enumerate() {
            u.f.write_all(&[0x00, 0xFF, 0x5A, 0x13, 0xA5, 0x01]).unwrap();
            pause(bit_time() * bits);
            let v = 0x5EED_0000 | i as u32;
            tries += 1;
            // A pause the board did not see swallows the write into the half frame (a bad
            // CRC); the host then pauses again, as a host that got no good reply would.
            if u.write("SCRATCH", v) != Status::Ok {
                failed.push(format!("{with}, {bits} bit times"));
                pause(bit_time() * 1200);
                continue;
            }
            assert_eq!(u.get("SCRATCH"), v, "{with}, pause of {bits} bit times");
        }
        let s = b.stop().unwrap();
        assert_eq!(s.framing_errors, 0, "{with}: {s}");
        println!("{with}: {s}");
    }
    println!("pauses {pauses:?} bit times: {} of {tries} not seen: {failed:?}", failed.len());
    assert!(failed.is_empty(), "pauses not carried: {failed:?}");
}

/// Without the pause the garbage's half frame swallows the request (the same bytes back to
/// back are one frame to the parser): the pause above is what makes the difference.
#[test]
fn without_a_pause_the_partial_frame_swallows_the_request() {
    let b = start(BoardConfig::default());
    let mut u = Uart::open(b.path());
    let mut bytes = vec![0x00, 0xFF, 0x5A, 0x13, 0xA5, 0x01];
    bytes.extend(Request::read(reg("ID").addr, 1).encode());
    u.f.write_all(&bytes).unwrap();
    // A5 01 then the request's bytes: a read of register (0xA5 << 8 | 0x02)... whatever it
    // parses as, the good request is not answered as itself.
    let got = u.read_until(Duration::from_millis(500), |_| false);
    let answered_id = Response::decode(&got, CMD_READ).is_ok_and(|(r, _)| r.status == Status::Ok && r.data == vec![ID_VALUE]);
    assert!(!answered_id, "{got:02X?}");
    b.stop().unwrap();
}

/// A board whose simulation is faster than its build's clock paces itself to real time:
/// a 9 600 Hz build (1 200 baud, 8 clocks per bit) asked for 4 800 cycles takes half a
/// second of wall time, and says it kept real time.
#[test]
fn a_board_faster_than_its_clock_keeps_real_time() {
    let params = ftio_hdl::BuildParams { clock_hz: 9_600, baud: 1_200, ..ftio_hdl::BuildParams::default() };
    let t0 = Instant::now();
    let b = start(BoardConfig { params, max_cycles: Some(4_800), ..BoardConfig::default() });
    let built = t0.elapsed();
    let s = b.join().unwrap();
    println!("{s} (model ready after {built:?})");
    assert_eq!(s.cycles, 4_800);
    assert!(s.seconds >= 0.45, "{s}");
    assert!(s.real_time >= 0.95, "{s}");
    assert!(s.to_string().contains("kept real time"), "{s}");
}

/// Resident set size of this process, bytes.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

/// A malformed request of one of the kinds a confused or hostile host sends. None of them is
/// a request the core may execute, and none writes anything but SCRATCH even if its bytes ran
/// into the next frame's, so nothing a good request reads back can change.
fn malformed_frame(rng: &mut impl rand::Rng) -> Vec<u8> {
    let scratch = reg("SCRATCH").addr;
    let mut f = match rng.gen_range(0..7) {
        // Random bytes (never starting with a request's sync byte, so they are garbage the
        // parser hunts through, whatever follows).
        0 => (0..rng.gen_range(1..40)).map(|_| rng.gen_range(0..=255u8)).map(|b| if b == 0xA5 { 0x5A } else { b }).collect(),
        // A read cut short (its tail never comes: dropped after 64 bit times of silence, or
        // completed by the next frame's bytes into a frame with a bad CRC).
        1 => {
            let mut f = Request::read(reg("ID").addr, 1).encode();
            f.truncate(rng.gen_range(1..f.len()));
            f
        }
        // A bad CRC (0x01).
        2 => {
            let mut f = Request::write(scratch, &[rng.gen()]).encode();
            let n = f.len();
            f[n - 1 - rng.gen_range(0..2)] ^= 1 << rng.gen_range(0..8);
            f
        }
        // An unknown command (0x02), CRC right.
        3 => Request { cmd: rng.gen_range(3..=255), addr: scratch, count: 1, data: vec![] }.encode(),
        // A count of 0 or above 16 (0x04), CRC right.
        4 => Request::read(scratch, if rng.gen() { 0 } else { rng.gen_range(17..=255) }).encode(),
        // An address with no register behind it (0x03), CRC right.
        5 => Request::read(rng.gen_range(0x200..=0xFFFF), 1).encode(),
        // Overlong: a write of SCRATCH with more data than its count says.
        _ => {
            let words: Vec<u32> = (0..rng.gen_range(2..6)).map(|_| rng.gen()).collect();
            Request { cmd: CMD_WRITE, addr: scratch, count: 1, data: words }.encode()
        }
    };
    if f.is_empty() {
        f.push(0);
    }
    f
}

/// The host's check after a burst of abuse: a pause of 10 ms (1 200 bit times: any frame
/// left open is dropped; long enough that a loaded machine's scheduling cannot hide it,
/// see `a_host_pause_drops_a_partial_frame`), then a write of SCRATCH and a read back. Replies still due to the malformed
/// frames come first (the board runs slower than the wire) and must be error replies; then
/// the two good replies.
fn check_after_abuse(u: &mut Uart, v: u32) -> usize {
    pause(bit_time() * 1200);
    let mut req = Request::write(reg("SCRATCH").addr, &[v]).encode();
    req.extend(Request::read(reg("SCRATCH").addr, 1).encode());
    u.f.write_all(&req).unwrap();
    let mut skipped = 0;
    let mut got = vec![];
    let mut want = [(CMD_WRITE, vec![]), (CMD_READ, vec![v])].into_iter();
    let mut next = want.next();
    let end = Instant::now() + Duration::from_secs(20);
    while let Some((cmd, data)) = &next {
        // An error reply is 5 bytes whatever the command; a good one is ours.
        match Response::decode(&got, *cmd) {
            Ok((r, n)) if r.status != Status::Ok => {
                if std::env::var_os("FTIO_ABUSE_LOG").is_some() { eprintln!("skipped {:02X?}", &got[..n]); }
                got.drain(..n);
                skipped += 1;
            }
            Ok((r, n)) => {
                assert_eq!(&r.data, data, "reply {r:?}");
                got.drain(..n);
                next = want.next();
            }
            Err(ftio_proto::frame::FrameError::Incomplete { .. }) => {
                assert!(Instant::now() < end, "no reply to the good requests: {got:02X?}");
                got.extend(u.read_until(Duration::from_millis(50), |b| !b.is_empty()));
            }
            Err(e) => {
                let more = u.read_until(Duration::from_millis(2000), |_| false);
                panic!("a reply that is not one: {e}: {got:02X?} then {more:02X?} (writing {v:#x})")
            }
        }
    }
    assert!(u.read_until(Duration::from_millis(20), |_| false).is_empty() && got.is_empty(), "bytes after the good replies");
    skipped
}

/// SPEC §5 under abuse, with traffic running: malformed requests of every kind (random bytes,
/// cut short, bad CRC, unknown command, bad count, no such address, overlong) with random
/// pauses (0 to 200 bit times) between them; every 25 a good write and read back. The board
/// answers every good request correctly, no reply byte is malformed on the wire, the data
/// path's counters show no disturbance and the memory stays flat. `FTIO_ABUSE_FRAMES` sets
/// the count (CI: 300; the soak in docs/virtual-board.md: 10 000); `FTIO_ABUSE_LOG=1` prints
/// every frame, its pause and the error replies skipped.
#[test]
fn malformed_frames_with_pauses_disturb_nothing() {
    use rand::{Rng, SeedableRng};
    let frames: usize = std::env::var("FTIO_ABUSE_FRAMES").ok().map_or(300, |v| v.parse().expect("FTIO_ABUSE_FRAMES: a count"));
    let b = start(BoardConfig { traffic: Some(TrafficConfig::default()), ..BoardConfig::default() });
    let mut u = Uart::open(b.path());
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xAB05E);
    let t0 = Instant::now();
    let mut rss_after_warmup = 0;
    let (mut checks, mut error_replies) = (0, 0);
    for i in 0..frames {
        let f = malformed_frame(&mut rng);
        u.f.write_all(&f).unwrap();
        let p = rng.gen_range(0..=200);
        if std::env::var_os("FTIO_ABUSE_LOG").is_some() { eprintln!("frame {i}: {f:02X?} pause {p}"); }
        pause(bit_time() * p);
        // Replies to the abuse are read and dropped as they come, as a host that gave up on
        // them would.
        if i % 25 == 24 || i + 1 == frames {
            error_replies += check_after_abuse(&mut u, rng.gen());
            checks += 1;
            if checks == 2 {
                rss_after_warmup = rss_bytes();
            }
        }
    }
    let rss_end = rss_bytes();
    let st = u.get("STATUS");
    assert_eq!(status_mode(st), Mode::Duplex, "{st:#x}");
    assert_eq!(reg("STATUS").f("fault").get(st), 0, "{st:#x}");
    for c in ["FRAMES_ABORTED", "MISMATCHES", "PERR_CPU_A", "PERR_CPU_B", "PERR_DISK_A", "PERR_DISK_B", "PERR_EGRESS", "TIMEOUTS"] {
        assert_eq!(u.counter(c), 0, "{c}");
    }
    let s = b.stop().unwrap();
    let t = s.traffic.clone().unwrap();
    println!(
        "{frames} malformed frames, {checks} checks, {error_replies} error replies in {:.1} s; RSS {} KiB after warm-up, {} KiB at the end; {s}",
        t0.elapsed().as_secs_f64(),
        rss_after_warmup / 1024,
        rss_end / 1024
    );
    assert_eq!(s.framing_errors, 0, "{s}");
    assert_eq!(t.reply_errors, [0, 0], "{t:?}");
    assert!(t.cpu_frames > 0 && t.replies_in_order[0] > 0, "{t:?}");
    assert!(rss_end < rss_after_warmup + 4 * 1024 * 1024, "RSS grew from {rss_after_warmup} to {rss_end} bytes");
}
