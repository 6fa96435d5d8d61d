//! SPEC §5 under abuse on the virtual board, in a test binary of its own so that the memory
//! it measures is the board's and this test's alone (other tests running beside it in one
//! process start and drop boards and Verilator models of their own).
mod board_client;
use board_client::{bit_time, pause, start, status_mode, Uart};
use ftio_proto::frame::{Request, Response, Status, CMD_READ, CMD_WRITE};
use ftio_proto::{reg, Mode};
use ftio_sim::virtual_board::{BoardConfig, TrafficConfig};
use std::io::Write;
use std::time::{Duration, Instant};

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
