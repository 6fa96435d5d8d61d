//! FtioCore at the cycle level: the SPEC §4 guarantees at the pins, in the power-on
//! configuration (DUPLEX, elastic, cut-through, auto fail-over, primary disk A).
use ftio_hdl::link::{byte_parity, control_parity};
use ftio_hdl::testbench::{edge, low, UartHost};
use ftio_hdl::{BuildParams, CaptureChoice, FtioCore};
use ftio_proto::{reg, Request, Response, Status};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rust_hdl::prelude::*;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq)]
struct W {
    data: u32,
    par: u8,
    last: bool,
    abort: bool,
}

fn w(data: u32, last: bool) -> W {
    W { data, par: byte_parity(data), last, abort: false }
}

fn frames(n: usize, len: usize, base: u32) -> Vec<W> {
    (0..n * len).map(|i| w(base + i as u32, i % len == len - 1)).collect()
}

macro_rules! drive {
    ($link:expr, $w:expr, $valid:expr) => {{
        let w: W = $w;
        let v: bool = $valid;
        $link.valid.next = v;
        $link.data.next = (w.data as u64).into();
        $link.par.next = (w.par as u64).into();
        $link.last.next = w.last;
        $link.abort.next = w.abort;
        $link.cpar.next = control_parity(v, w.last, w.abort);
    }};
}

macro_rules! sample {
    ($link:expr) => {
        W { data: $link.data.val().to_u32(), par: $link.par.val().to_u8(), last: $link.last.val(), abort: $link.abort.val() }
    };
}

/// A SPEC §2 source with random gaps; `flip` corrupts one data bit of the word with that
/// index (parity left as it was), `change` alters one word's content with good parity.
struct Source {
    queue: VecDeque<W>,
    offering: bool,
    gap: f64,
    sent: usize,
    flip: Option<usize>,
    change: Option<usize>,
    /// Flips one `par` bit of the word with this index (its data left as it was).
    par_flip: Option<usize>,
    taken_at: Vec<usize>,
}

impl Source {
    fn new(words: Vec<W>, gap: f64) -> Self {
        Self { queue: words.into(), offering: false, gap, sent: 0, flip: None, change: None, par_flip: None, taken_at: vec![] }
    }
    fn offer(&mut self, rng: &mut StdRng) -> (W, bool) {
        if !self.offering && !self.queue.is_empty() && !rng.gen_bool(self.gap) {
            self.offering = true;
        }
        let mut word = self.queue.front().copied().unwrap_or(w(0, false));
        if self.flip == Some(self.sent) {
            word.data ^= 1 << 9;
        }
        if self.par_flip == Some(self.sent) {
            word.par ^= 1;
        }
        if self.change == Some(self.sent) {
            word = w(word.data ^ 0x00F0_0000, word.last);
        }
        (word, self.offering)
    }
    fn moved(&mut self, ready: bool, cycle: usize) {
        if self.offering && ready {
            self.queue.pop_front();
            self.offering = false;
            self.sent += 1;
            self.taken_at.push(cycle);
        }
    }
}

struct Board {
    core: Box<FtioCore>,
    rng: StdRng,
    cpu_a: Source,
    cpu_b: Source,
    disk_a: Source,
    disk_b: Source,
    /// Probability each sink is ready: disk A, disk B, CPU A, CPU B.
    ready_p: [f64; 4],
    /// Cycle-stamped words each sink took.
    got: [Vec<(usize, W)>; 4],
    irq_at: Option<usize>,
    cycle: usize,
    host: UartHost,
    /// Strict lockstep: while the mode is DUPLEX, CPU B's `rx_ready` is CPU A's this many
    /// cycles earlier (after a fail-over it runs free).
    b_rx_follows_a: Option<usize>,
    /// CPU A's `rx_ready`, cycle by cycle.
    a_rx_ready: Vec<bool>,
}

impl Board {
    fn new(seed: u64) -> Self {
        Self::with_params(seed, &BuildParams::default())
    }

    /// A board whose UART runs at 8 clocks per bit, so register access is quick to simulate.
    fn fast_uart(seed: u64) -> Self {
        Self::with_params(seed, &BuildParams { clock_hz: 1_000_000, baud: 125_000, ..BuildParams::default() })
    }

    /// `new` with the capture's choice made where `choice` says (the tests that read CAP_*
    /// run both: the same registers, cycle for cycle).
    fn with_choice(seed: u64, choice: CaptureChoice) -> Self {
        println!("capture choice {}", choice.name());
        Self::with_params(seed, &BuildParams { capture_choice: choice, ..BuildParams::default() })
    }

    /// `fast_uart` with the capture's choice made where `choice` says.
    fn fast_uart_with_choice(seed: u64, choice: CaptureChoice) -> Self {
        println!("capture choice {}", choice.name());
        Self::with_params(seed, &BuildParams { clock_hz: 1_000_000, baud: 125_000, capture_choice: choice, ..BuildParams::default() })
    }

    fn with_params(seed: u64, params: &BuildParams) -> Self {
        let mut core = Box::new(FtioCore::new(params));
        core.connect_all();
        let cpb = ftio_hdl::uart::clocks_per_bit(params.clock_hz, params.baud);
        Self {
            core,
            rng: StdRng::seed_from_u64(seed),
            cpu_a: Source::new(vec![], 0.0),
            cpu_b: Source::new(vec![], 0.0),
            disk_a: Source::new(vec![], 0.0),
            disk_b: Source::new(vec![], 0.0),
            ready_p: [1.0; 4],
            got: Default::default(),
            irq_at: None,
            cycle: 0,
            host: UartHost::new(cpb),
            b_rx_follows_a: None,
            a_rx_ready: vec![],
        }
    }

    fn step(&mut self) {
        let t = self.cycle;
        let r = &mut self.rng;
        let (wa, va) = self.cpu_a.offer(r);
        let (wb, vb) = self.cpu_b.offer(r);
        let (wda, vda) = self.disk_a.offer(r);
        let (wdb, vdb) = self.disk_b.offer(r);
        let mut ready: Vec<bool> = self.ready_p.iter().map(|&p| r.gen_bool(p)).collect();
        self.a_rx_ready.push(ready[2]);
        if let Some(d) = self.b_rx_follows_a.filter(|_| self.core.lockstep.mode.val().to_u64() == 0) {
            ready[3] = t >= d && self.a_rx_ready[t - d];
        }
        let c = &mut self.core;
        drive!(c.cpu_a_tx, wa, va);
        drive!(c.cpu_b_tx, wb, vb);
        drive!(c.disk_a_rx, wda, vda);
        drive!(c.disk_b_rx, wdb, vdb);
        c.disk_a_tx.ready.next = ready[0];
        c.disk_b_tx.ready.next = ready[1];
        c.cpu_a_rx.ready.next = ready[2];
        c.cpu_b_rx.ready.next = ready[3];
        c.disk_a_tx.rpar.next = !ready[0];
        c.disk_b_tx.rpar.next = !ready[1];
        c.cpu_a_rx.rpar.next = !ready[2];
        c.cpu_b_rx.rpar.next = !ready[3];
        c.uart_rx.next = self.host.drive();
        low(c.as_mut(), |c| &mut c.clock);
        self.host.observe(c.uart_tx.val());
        let outs = [
            (c.disk_a_tx.valid.val(), sample!(c.disk_a_tx), c.disk_a_tx.cpar.val()),
            (c.disk_b_tx.valid.val(), sample!(c.disk_b_tx), c.disk_b_tx.cpar.val()),
            (c.cpu_a_rx.valid.val(), sample!(c.cpu_a_rx), c.cpu_a_rx.cpar.val()),
            (c.cpu_b_rx.valid.val(), sample!(c.cpu_b_rx), c.cpu_b_rx.cpar.val()),
        ];
        for (i, (valid, word, cpar)) in outs.into_iter().enumerate() {
            assert_eq!(cpar, control_parity(valid, word.last, word.abort), "cpar of output {i} at {t}");
            if valid && ready[i] {
                self.got[i].push((t, word));
            }
        }
        for (name, ready, rpar) in [
            ("cpu_a_tx", c.cpu_a_tx.ready.val(), c.cpu_a_tx.rpar.val()),
            ("cpu_b_tx", c.cpu_b_tx.ready.val(), c.cpu_b_tx.rpar.val()),
            ("disk_a_rx", c.disk_a_rx.ready.val(), c.disk_a_rx.rpar.val()),
            ("disk_b_rx", c.disk_b_rx.ready.val(), c.disk_b_rx.rpar.val()),
        ] {
            assert_eq!(rpar, !ready, "rpar = ~ready on {name} at {t}");
        }
        if c.irq.val() && self.irq_at.is_none() {
            self.irq_at = Some(t);
        }
        let readies = [c.cpu_a_tx.ready.val(), c.cpu_b_tx.ready.val(), c.disk_a_rx.ready.val(), c.disk_b_rx.ready.val()];
        self.cpu_a.moved(readies[0], t);
        self.cpu_b.moved(readies[1], t);
        self.disk_a.moved(readies[2], t);
        self.disk_b.moved(readies[3], t);
        edge(c.as_mut(), |c| &mut c.clock);
        self.cycle += 1;
    }

    fn run(&mut self, n: usize) {
        for _ in 0..n {
            self.step();
        }
    }

    /// One request over the UART, traffic running meanwhile; the decoded response.
    fn uart(&mut self, req: &Request) -> Response {
        self.host.received.clear();
        self.host.send(&req.encode());
        let len = if req.cmd == 0x01 { 5 + 4 * req.count as usize } else { 5 };
        for _ in 0..200_000 {
            self.step();
            let got = &self.host.received;
            if got.len() >= 5 && (got[1] != 0 || got.len() >= len) {
                let (resp, _) = Response::decode(got, req.cmd).expect("well-formed response");
                return resp;
            }
        }
        panic!("no response to {req:?}");
    }

    fn read(&mut self, name: &str) -> u32 {
        let r = self.uart(&Request::read(reg(name).addr, 1));
        assert_eq!(r.status, Status::Ok, "read {name}");
        r.data[0]
    }

    fn write(&mut self, name: &str, value: u32) {
        let r = self.uart(&Request::write(reg(name).addr, &[value]));
        assert_eq!(r.status, Status::Ok, "write {name}");
    }

    fn words(&self, sink: usize) -> Vec<W> {
        self.got[sink].iter().map(|&(_, w)| w).collect()
    }

    fn mode(&self) -> u64 {
        self.core.lockstep.mode.val().to_u64()
    }
}

/// DUPLEX: both CPUs' identical streams (random skew) reach both disks exactly once, in
/// order, under independent random back-pressure; disk A's returns reach both CPUs, each at
/// its own pace; disk B's are drained.
#[test]
fn duplex_mirrors_writes_and_returns_reads_to_both_cpus() {
    for disk_stage in [true, false] {
        println!("disk stage {disk_stage}");
        duplex_mirrors(disk_stage);
    }
}

fn duplex_mirrors(disk_stage: bool) {
    let mut b = Board::with_params(1, &BuildParams { disk_stage, ..BuildParams::default() });
    let g = frames(30, 7, 0x1000);
    let r = frames(20, 5, 0x9000);
    b.cpu_a = Source::new(g.clone(), 0.3);
    b.cpu_b = Source::new(g.clone(), 0.5);
    b.disk_a = Source::new(r.clone(), 0.2);
    b.disk_b = Source::new(frames(20, 5, 0xB000), 0.2);
    b.ready_p = [0.7, 0.4, 0.8, 0.5];
    b.run(2500);
    assert_eq!(b.words(0), g, "disk A");
    assert_eq!(b.words(1), g, "disk B");
    assert_eq!(b.words(2), r, "CPU A gets the primary's returns");
    assert_eq!(b.words(3), r, "CPU B too");
    assert!(b.disk_b.queue.is_empty(), "the secondary's returns are drained");
    assert_eq!(b.irq_at, None);
    assert_eq!(b.core.counters.regs.words_fwd.val().to_u32() as usize, g.len());
    assert_eq!(b.core.counters.regs.frames_fwd.val().to_u32(), 30);
    assert_eq!(b.core.counters.regs.words_returned.val().to_u32() as usize, r.len());
}

/// The statistics count what moves in every mode: in SPLIT each CPU's own frames count as
/// forwarded, and in SIMPLEX_B the returns delivered to CPU B count as returned.
#[test]
fn counters_follow_the_words_in_split_and_simplex_b() {
    let mut b = Board::new(11);
    b.write("CTRL", 3);
    assert_eq!(b.mode(), 3, "SPLIT");
    let ga = frames(6, 5, 0x1100);
    let gb = frames(4, 7, 0x2200);
    b.cpu_a = Source::new(ga.clone(), 0.2);
    b.cpu_b = Source::new(gb.clone(), 0.3);
    b.run(300);
    assert_eq!(b.words(0), ga, "SPLIT: A to disk A");
    assert_eq!(b.words(1), gb, "SPLIT: B to disk B");
    assert_eq!(b.core.counters.regs.words_fwd.val().to_u32() as usize, ga.len() + gb.len());
    assert_eq!(b.core.counters.regs.frames_fwd.val().to_u32(), 10);

    b.write("CTRL", 2);
    assert_eq!(b.mode(), 2, "SIMPLEX_B");
    let r = frames(5, 6, 0x3300);
    b.disk_a = Source::new(r.clone(), 0.2);
    b.disk_b = Source::new(r.clone(), 0.2);
    b.run(300);
    assert_eq!(b.words(3), r, "CPU B gets the primary's returns");
    assert!(b.words(2).is_empty(), "CPU A is isolated");
    assert_eq!(b.core.counters.regs.words_returned.val().to_u32() as usize, r.len());
}

/// Issue 4: parity travels through the fabric untouched and is checked again at every
/// egress, so a word corrupted inside the fabric is caught there (EGRESS_PARITY), and the
/// sink gets it with its original parity bits, i.e. sees the error too.
#[test]
fn a_word_corrupted_inside_the_fabric_is_caught_at_the_egress() {
    for sink in [0usize, 2] {
        let mut b = Board::new(12);
        let g = frames(10, 6, 0x7000);
        let r = frames(6, 5, 0x7700);
        b.cpu_a = Source::new(g.clone(), 0.0);
        b.cpu_b = Source::new(g.clone(), 0.0);
        b.disk_a = Source::new(r.clone(), 0.0);
        b.disk_b = Source::new(r.clone(), 0.0);
        // The sink stalls, so a word waits at the head of its buffer in the fabric.
        b.ready_p = [1.0; 4];
        b.ready_p[sink] = 0.0;
        b.run(30);
        b.core.fabric.sim_corrupt(sink, 1 << 5);
        b.ready_p = [1.0; 4];
        b.run(200);
        let (got, want) = (b.words(sink), if sink == 0 { &g } else { &r });
        assert_eq!(got.len(), want.len(), "sink {sink}: nothing lost");
        let diffs: Vec<usize> = (0..want.len()).filter(|&i| got[i] != want[i]).collect();
        assert_eq!(diffs.len(), 1, "sink {sink}: exactly the corrupted word differs");
        let i = diffs[0];
        assert_eq!((got[i].data, got[i].par), (want[i].data ^ (1 << 5), want[i].par), "bit flipped, parity as carried");
        assert_eq!(b.words(sink + 1), *want, "the other copy is untouched");
        assert_eq!(b.core.counters.regs.perr_egress.val().to_u32(), 1, "sink {sink}");
        assert_eq!(b.core.fault_log.first_cause.val().to_u32(), 12, "EGRESS_PARITY");
        assert!(b.irq_at.is_some());
    }
}

/// SPEC §4 guarantees 1 and 2 at the pins: one word per cycle sustained, and a pair whose
/// later word is taken at t is on both disk links at t+3 (documented figure: 3 cycles).
#[test]
fn full_rate_and_cut_through_latency_of_three_cycles() {
    let mut b = Board::new(2);
    let g = frames(25, 8, 0x2000);
    b.cpu_a = Source::new(g.clone(), 0.0);
    b.cpu_b = Source::new(g.clone(), 0.0);
    b.run(g.len() + 10);
    for sink in 0..2 {
        assert_eq!(b.words(sink), g);
        for (i, &(t, _)) in b.got[sink].iter().enumerate() {
            let later = b.cpu_a.taken_at[i].max(b.cpu_b.taken_at[i]);
            assert_eq!(t, later + 3, "disk {sink} word {i}");
        }
        let first = b.got[sink][0].0;
        let last = b.got[sink].last().unwrap().0;
        assert_eq!(last - first + 1, g.len(), "one word per cycle");
    }
    assert_eq!(b.cpu_a.taken_at.last().unwrap() - b.cpu_a.taken_at[0] + 1, g.len());
}

/// SPEC §4 guarantee 3: a parity error taken at t raises irq at t+2 (≤ t+3), and the
/// auto policy fails over to the healthy CPU without losing a word.
#[test]
fn parity_error_raises_irq_within_two_cycles_and_fails_over_hitlessly() {
    for choice in CaptureChoice::ALL {
        let mut b = Board::with_choice(3, choice);
        let g = frames(12, 6, 0x3000);
        b.cpu_a = Source::new(g.clone(), 0.2);
        b.cpu_b = Source::new(g.clone(), 0.3);
        b.cpu_a.flip = Some(31);
        b.ready_p = [0.9, 0.8, 1.0, 1.0];
        b.run(600);
        let t = b.cpu_a.taken_at[31];
        assert_eq!(b.irq_at, Some(t + 2), "irq at {:?}, error taken at {t}", b.irq_at);
        assert_eq!(b.words(0), g, "disk A: the healthy stream, whole");
        assert_eq!(b.words(1), g, "disk B");
        assert_eq!(b.mode(), 2, "SIMPLEX_B");
        assert_eq!(b.core.fault_log.first_cause.val().to_u32(), 1, "CPU_A_PARITY");
        assert_eq!(b.core.counters.regs.perr_cpu_a.val().to_u32(), 1);
        // The capture shows the bad word as it came in on CPU A's port, its flags as the
        // register table packs them: valid[0] last[1] abort[2] par[6:3] perr[7].
        assert_eq!(b.core.fault_log.latch.cap_data_a.val().to_u32(), g[31].data ^ (1 << 9));
        let flags = b.core.fault_log.latch.cap_flags.val().to_u32();
        let a = flags & 0xFF;
        assert_eq!(a & 1, 1, "a_valid");
        assert_eq!((a >> 1) & 1, g[31].last as u32, "a_last");
        assert_eq!((a >> 2) & 1, 0, "a_abort");
        assert_eq!((a >> 3) & 0xF, g[31].par as u32, "a_par as sent (data bit 9 flipped under it)");
        assert_eq!(a >> 7, 1, "a_perr");
        assert_eq!(b.core.counters.regs.words_returned.val().to_u32(), 0, "no returns in this test");
    }
}

/// Guarantee 3 for a mismatch: the later word taken at t, irq at t+3 (≤ t+3); the
/// disagreeing word never reaches a disk and the frame in flight ends with last & abort.
#[test]
fn mismatch_raises_irq_within_three_cycles_and_is_contained() {
    for choice in CaptureChoice::ALL {
        let mut b = Board::with_choice(4, choice);
        let g = frames(12, 6, 0x4000);
        b.cpu_a = Source::new(g.clone(), 0.1);
        b.cpu_b = Source::new(g.clone(), 0.1);
        b.cpu_b.change = Some(40);
        b.run(300);
        let t = b.cpu_a.taken_at[40].max(b.cpu_b.taken_at[40]);
        let irq = b.irq_at.expect("irq");
        assert_eq!(irq, t + 3, "irq at {irq}, later word taken at {t}");
        let mut expect = g[..40].to_vec();
        expect.push(W { data: 0, par: 0xF, last: true, abort: true });
        assert_eq!(b.words(0), expect);
        assert_eq!(b.words(1), expect);
        assert_eq!(b.mode(), 4, "HALTED");
        assert_eq!(b.core.fault_log.first_cause.val().to_u32(), 3, "MISMATCH");
        assert_eq!(b.core.fault_log.latch.cap_word.val().to_u32(), 40, "captured pair index");
        assert_eq!(b.core.fault_log.latch.cap_data_a.val().to_u32(), g[40].data);
        assert_eq!(b.core.fault_log.latch.cap_data_b.val().to_u32(), g[40].data ^ 0x00F0_0000);
        let flags = b.core.fault_log.latch.cap_flags.val().to_u32();
        let want = |x: &W| 1 | (x.last as u32) << 1 | (x.par as u32) << 3;
        assert_eq!(flags & 0xFF, want(&g[40]), "A's flags: valid, last, par, no perr");
        assert_eq!(flags >> 8, want(&w(g[40].data ^ 0x00F0_0000, g[40].last)), "B's flags");
        assert_eq!(b.core.counters.regs.frames_aborted.val().to_u32(), 1);
    }
}

/// Guarantee 4: a disk that stalls holds up the CPUs only once its buffer (64 words + head)
/// is full; nothing is lost when it resumes.
#[test]
fn a_stalled_disk_stalls_the_cpus_only_when_its_buffer_is_full() {
    let mut b = Board::new(5);
    let g = frames(40, 5, 0x5000);
    b.cpu_a = Source::new(g.clone(), 0.0);
    b.cpu_b = Source::new(g.clone(), 0.0);
    b.ready_p = [1.0, 0.0, 1.0, 1.0];
    b.run(150);
    // 65 words in disk B's buffer, 65 + 1 in each skew FIFO... the CPUs keep going until
    // the disk buffer is full, then the skew FIFOs fill, then the CPUs see ready low.
    let n_fwd = b.got[0].len();
    assert_eq!(n_fwd, 65, "disk A got exactly what disk B's buffer could absorb");
    assert!(b.cpu_a.queue.len() > 0);
    b.ready_p = [1.0, 1.0, 1.0, 1.0];
    b.run(400);
    assert_eq!(b.words(0), g);
    assert_eq!(b.words(1), g);
    assert_eq!(b.irq_at, None, "a stall shorter than DISK_TIMEOUT is no fault");
}

/// A disk whose rx words carry a parity error is marked failed; writes go on to the other
/// disk (degraded mirror) without loss.
#[test]
fn disk_parity_error_degrades_the_mirror_without_loss() {
    let mut b = Board::new(6);
    let g = frames(20, 5, 0x6000);
    b.cpu_a = Source::new(g.clone(), 0.1);
    b.cpu_b = Source::new(g.clone(), 0.1);
    // Both disks answer the same (the secondary is kept in step with the primary's
    // returns); disk B's copy carries a parity error.
    b.disk_a = Source::new(frames(1, 3, 0xD00D), 0.0);
    b.disk_b = Source::new(frames(1, 3, 0xD00D), 0.0);
    b.disk_b.flip = Some(1);
    b.ready_p = [0.8, 0.8, 1.0, 1.0];
    b.run(400);
    assert!(b.core.disk_b.state.failed.val());
    assert_eq!(b.core.fault_log.first_cause.val().to_u32(), 7, "DISK_B_PARITY");
    assert_eq!(b.words(0), g, "disk A gets everything");
    let got_b = b.words(1);
    assert_eq!(got_b, g[..got_b.len()].to_vec(), "disk B got a clean prefix before it failed");
    assert_eq!(b.mode(), 0, "still DUPLEX: a disk fault does not isolate a CPU");
}

/// The control plane at the pins: ID over the UART, then SPLIT set through CTRL routes each
/// CPU to its own disk, and STATUS reads the mode.
#[test]
fn uart_reads_id_and_ctrl_switches_to_split() {
    let mut b = Board::fast_uart(7);
    assert_eq!(b.read("ID"), 0x4654_494F);
    assert_eq!(b.read("STATUS") & 7, 0, "power-on DUPLEX");
    b.write("CTRL", 3);
    assert_eq!(b.read("STATUS") & 7, 3, "SPLIT");
    let ga = frames(6, 4, 0xA000);
    let gb = frames(5, 3, 0xB000);
    b.cpu_a = Source::new(ga.clone(), 0.2);
    b.cpu_b = Source::new(gb.clone(), 0.4);
    b.run(300);
    assert_eq!(b.words(0), ga);
    assert_eq!(b.words(1), gb);
}

/// A fault seen through the registers: STATUS, FAULTS and the capture, then a fault clear
/// (sent with MODE_KEEP, as ftctl does) drops irq, and writing DUPLEX re-arms.
#[test]
fn fault_status_capture_and_clear_over_uart() {
    for choice in CaptureChoice::ALL {
        let mut b = Board::fast_uart_with_choice(8, choice);
        let g = frames(10, 4, 0x7700);
        b.cpu_a = Source::new(g.clone(), 0.0);
        b.cpu_b = Source::new(g.clone(), 0.0);
        b.cpu_b.change = Some(9);
        b.run(100);
        assert!(b.core.irq.val());
        let status = b.read("STATUS");
        assert_eq!(status & 7, 4, "HALTED");
        assert_eq!(status >> 3 & 1, 1, "halted bit");
        assert_eq!(status >> 8 & 0xFF, 3, "cause MISMATCH");
        assert_eq!(status >> 16 & 1, 1, "fault latched");
        assert_eq!(b.read("FAULTS"), 1 << 3);
        assert_eq!(b.read("CAP_CAUSE"), 3);
        assert_eq!(b.read("CAP_WORD"), 9);
        assert_eq!(b.read("CAP_DATA_A"), g[9].data);
        assert_eq!(b.read("CAP_DATA_B"), g[9].data ^ 0x00F0_0000);
        b.write("CTRL", (1 << 9) | 7); // counter snapshot, mode kept
        assert_eq!(b.read("MISMATCHES"), 1);
        assert_eq!(b.read("WORDS_FWD"), 9);
        b.write("CTRL", (1 << 8) | 7); // fault clear, mode kept
        assert!(!b.core.irq.val(), "irq drops with the fault clear");
        assert_eq!(b.read("STATUS") & 7, 4, "still HALTED: clearing a fault does not resume");
        b.write("CTRL", 0);
        assert_eq!(b.read("STATUS") & 0x1_FFFF, 0, "DUPLEX, healthy");
    }
}

/// Strict lockstep configured over the UART: with OFFSET = 5, CPU B's words move exactly five
/// cycles after CPU A's, and nothing is flagged.
#[test]
fn strict_lockstep_set_over_uart() {
    let mut b = Board::fast_uart(9);
    b.write("OFFSET", 5);
    b.write("CTRL", (1 << 3) | 7);
    assert_eq!(b.read("CTRL") & 0xFF, 1 << 3, "strict, DUPLEX");
    let start = b.cycle + 10;
    let g = frames(8, 4, 0x3300);
    b.cpu_a = Source::new(vec![], 0.0);
    b.run(10);
    b.cpu_a = Source::new(g.clone(), 0.0);
    b.run(5);
    b.cpu_b = Source::new(g.clone(), 0.0);
    b.run(80);
    assert_eq!(b.words(0), g);
    assert_eq!(b.irq_at, None);
    let a: Vec<usize> = b.cpu_a.taken_at.iter().map(|t| t + 5).collect();
    assert_eq!(b.cpu_b.taken_at, a, "B exactly D = 5 cycles behind A");
    assert!(start > 0);
}

/// BIST over the UART on a bare core: identical pseudo-random frames into both CPU inputs
/// (B 3 cycles behind), both disk outputs checked: pass, every word counted.
#[test]
fn bist_proves_the_data_path_over_uart() {
    let mut b = Board::fast_uart(10);
    b.write("BIST_FRAMES", 4);
    b.write("BIST_LEN", 6);
    b.write("BIST_SKEW", 3);
    b.write("BIST_SEED", 0xC0DE);
    b.write("BIST_CTRL", 1);
    let mut status = 0;
    for _ in 0..20 {
        status = b.read("BIST_STATUS");
        if status & 2 != 0 {
            break;
        }
    }
    assert_eq!(status & 0xF, 0b0110, "done and pass");
    assert_eq!(b.read("BIST_WORDS"), 4 * 6, "each word checked on both disks");
    assert_eq!(b.read("BIST_ERRORS"), 0);
    assert_eq!(b.read("STATUS") & 0x1_FFFF, 0, "DUPLEX, no fault");
    assert_eq!(b.words(0).len(), 24, "the BIST words went out on disk A's link");
}

/// Fault injection over the UART: flip data bit 7 of CPU B's 5th word. The core names CPU B,
/// fails over to SIMPLEX_A, INJ_STATUS shows it fired, and the disks still get every word.
#[test]
fn injected_parity_fault_fails_over_and_is_reported() {
    let mut b = Board::fast_uart(11);
    b.write("INJ_COUNT", 5);
    b.write("INJ_CTRL", (1 << 31) | (7 << 4) | 1); // arm, bit 7, kind data, link cpu_b
    assert_eq!(b.read("INJ_STATUS"), 0b10, "armed, not fired");
    let g = frames(8, 4, 0x6100);
    b.cpu_a = Source::new(g.clone(), 0.1);
    b.cpu_b = Source::new(g.clone(), 0.2);
    b.run(200);
    assert_eq!(b.words(0), g, "disk A: every word");
    assert_eq!(b.words(1), g, "disk B: every word");
    assert_eq!(b.read("INJ_STATUS"), 0b01, "fired, disarmed");
    assert_eq!(b.read("INJ_CTRL") >> 31, 0);
    let status = b.read("STATUS");
    assert_eq!(status & 7, 1, "SIMPLEX_A");
    assert_eq!(status >> 5 & 1, 1, "CPU B failed");
    assert_eq!(status >> 8 & 0xFF, 2, "cause CPU_B_PARITY");
    b.write("CTRL", (1 << 9) | 7);
    assert_eq!(b.read("PERR_CPU_B"), 1);
}

/// BIST with an injected fault on CPU A's input: the core fails over to CPU B mid-run. Every
/// word still reaches both disks intact (the fail-over is hitless), and the run reports
/// FAIL only because a fault was latched during it, as BIST_STATUS.fail says.
#[test]
fn bist_words_survive_a_hitless_fail_over() {
    let mut b = Board::fast_uart(12);
    b.write("BIST_FRAMES", 5);
    b.write("BIST_LEN", 7);
    b.write("INJ_COUNT", 11);
    b.write("INJ_CTRL", (1 << 31) | (1 << 2) | (2 << 4)); // arm, kind parity, bit 2, link cpu_a
    b.write("BIST_CTRL", 1);
    let mut status = 0;
    for _ in 0..20 {
        status = b.read("BIST_STATUS");
        if status & 2 != 0 {
            break;
        }
    }
    assert_eq!(status & 0xF, 0b1010, "done, failed by the fault");
    assert_eq!(b.read("BIST_WORDS"), 5 * 7, "every word on both disks");
    assert_eq!(b.read("BIST_ERRORS"), 0, "none wrong or missing");
    assert_eq!(b.read("STATUS") & 7, 2, "SIMPLEX_B");
    assert_eq!(b.read("CAP_CAUSE"), 1, "CPU_A_PARITY");
}

/// Runs the BIST set up by the caller to its end over the UART; BIST_STATUS.
fn bist_run(b: &mut Board) -> u32 {
    b.write("BIST_CTRL", 1);
    let mut status = 0;
    for _ in 0..40 {
        status = b.read("BIST_STATUS");
        if status & 2 != 0 {
            break;
        }
    }
    status
}

/// The sequence the BIST's disk-side generators answer: `frames` frames of `len` words from
/// `!seed`, as the CPUs must receive them.
fn bist_return_words(seed: u32, frames: usize, len: usize) -> Vec<W> {
    let mut x = if !seed == 0 { 1 } else { !seed };
    (0..frames * len)
        .map(|i| {
            let word = w(x, i % len == len - 1);
            x = ftio_hdl::bist::lfsr_next(x);
            word
        })
        .collect()
}

/// BIST_STATUS bits: running, done, pass, fail, write_error, return_error, fault.
const BIST_DONE_PASS: u32 = 0b000_0110;

/// The BIST proves the return path too: the disk-side generators answer on both disk inputs,
/// and both CPU outputs receive exactly their sequence (from `!BIST_SEED`), counted in
/// BIST_RET_WORDS; with read-verify on, the two disks' identical answers raise no divergence.
/// The CPUs take at random (back-pressure through the fabric's return buffers).
#[test]
fn bist_proves_the_return_path_over_uart() {
    for read_verify in [false, true] {
        let mut b = Board::fast_uart(13);
        b.ready_p = [1.0, 1.0, 0.7, 0.6];
        if read_verify {
            b.write("CTRL", (1 << 6) | 7);
        }
        b.write("BIST_FRAMES", 3);
        b.write("BIST_LEN", 5);
        b.write("BIST_SEED", 0x1234_5678);
        let status = bist_run(&mut b);
        assert_eq!(status & 0x7F, BIST_DONE_PASS, "done and pass (read-verify {read_verify})");
        assert_eq!(b.read("BIST_WORDS"), 15, "write path: every word on both disks");
        assert_eq!(b.read("BIST_RET_WORDS"), 15, "return path: every word on both CPUs");
        assert_eq!(b.read("BIST_RET_ERRORS"), 0);
        let expect = bist_return_words(0x1234_5678, 3, 5);
        assert_eq!(b.words(2), expect, "CPU A got the disks' answers");
        assert_eq!(b.words(3), expect, "CPU B got them too (DUPLEX)");
        assert_eq!(b.read("STATUS") & 0x1_FFFF, 0, "DUPLEX, no fault");
        assert_eq!(b.read("PARAMS") >> 31, 1, "PARAMS.bist_return");
    }
}

/// A word corrupted on its way back: fault injection flips a data bit of disk A's (the
/// primary's) 4th return word during the BIST. Its parity gives it away: disk A is failed
/// (DISK_A_PARITY) and the returns come from disk B, so both CPUs still get every word intact
/// (BIST_RET_ERRORS 0). The run fails, and BIST_STATUS says why: the fault latched during it,
/// and the write path (failed disk A gets no more writes: its checker misses them).
#[test]
fn bist_return_corrupted_on_the_primary_fails_over_and_fails_the_run() {
    let mut b = Board::fast_uart(14);
    b.write("BIST_FRAMES", 3);
    b.write("BIST_LEN", 4);
    b.write("INJ_COUNT", 4);
    b.write("INJ_CTRL", (1 << 31) | (5 << 4) | 2); // arm, kind data, bit 5, link disk_a
    let status = bist_run(&mut b);
    assert_eq!(b.read("INJ_STATUS") & 1, 1, "the injection fired");
    assert_eq!(status & 0xF, 0b1010, "done, failed");
    assert_eq!(status >> 4 & 7, 0b101, "fault and write_error, no return_error");
    assert!(b.read("BIST_ERRORS") > 0, "disk A's write checker missed words");
    assert_eq!((b.read("BIST_RET_WORDS"), b.read("BIST_RET_ERRORS")), (12, 0), "every word returned intact");
    assert_eq!(b.read("CAP_CAUSE"), 6, "DISK_A_PARITY");
    assert_eq!(b.read("STATUS") >> 6 & 1, 1, "disk A failed");
    assert_eq!(b.words(1).len(), 12, "disk B: every word");
    assert_eq!(b.words(2), bist_return_words(1, 3, 4), "CPU A: the disks' answers, intact");
}

/// A return path that loses words fails the run with `return_error` alone: fault injection
/// holds disk A's input (the primary's returns) silent for longer than the run, so no return
/// reaches a CPU; the run drains after 4096 quiet cycles and counts every missing word on both
/// CPU outputs. The write path is clean and no fault is latched.
#[test]
fn bist_fails_with_return_error_when_the_returns_are_lost() {
    let mut b = Board::fast_uart(16);
    b.write("BIST_FRAMES", 3);
    b.write("BIST_LEN", 4);
    b.write("INJ_COUNT", 30_000);
    b.write("INJ_CTRL", (1 << 31) | (2 << 2) | 2); // arm, kind silence, link disk_a
    let status = bist_run(&mut b);
    assert_eq!(status & 0x7F, 0b010_1010, "done, failed, return_error only");
    assert_eq!((b.read("BIST_WORDS"), b.read("BIST_ERRORS")), (12, 0), "the write path is clean");
    assert_eq!((b.read("BIST_RET_WORDS"), b.read("BIST_RET_ERRORS")), (0, 24), "12 words missing on each CPU");
    assert!(b.words(2).is_empty() && b.words(3).is_empty());
    assert_eq!(b.read("STATUS") & 0x1_FFFF, 0, "DUPLEX, no fault");
}

/// A build without the return path's test (`bist_return: false`, as the iCEBreaker's): the
/// BIST leaves the disk inputs alone, passes on the write path, and BIST_RET_* read 0.
#[test]
fn bist_without_the_return_path_still_passes() {
    let params = BuildParams { clock_hz: 1_000_000, baud: 125_000, bist_return: false, ..BuildParams::default() };
    let mut b = Board::with_params(15, &params);
    b.write("BIST_FRAMES", 3);
    b.write("BIST_LEN", 5);
    let status = bist_run(&mut b);
    assert_eq!(status & 0x7F, BIST_DONE_PASS);
    assert_eq!(b.read("BIST_WORDS"), 15);
    assert_eq!((b.read("BIST_RET_WORDS"), b.read("BIST_RET_ERRORS")), (0, 0));
    assert!(b.words(2).is_empty() && b.words(3).is_empty(), "nothing returned to the CPUs");
    assert_eq!(b.read("PARAMS") >> 31, 0, "PARAMS.bist_return");
}

/// CTRL with store-and-forward commit (bit 4) and the mode kept (MODE_KEEP = 7).
const CTRL_SAF: u32 = (1 << 4) | 7;

/// Store-and-forward set over the UART, random skew and back-pressure: a mismatch injected
/// mid-frame (CPU B's word 27, frame 4 word 3) halts the core, and the disks get nothing of
/// that frame — no word, no abort word — while the four frames before it arrive intact. The
/// counters count what reached the disks.
#[test]
fn store_and_forward_sends_nothing_of_a_divergent_frame() {
    let mut b = Board::fast_uart(20);
    b.write("CTRL", CTRL_SAF);
    assert_eq!(b.read("CTRL") >> 4 & 1, 1, "commit = store-and-forward");
    let g = frames(10, 6, 0x5A00);
    b.cpu_a = Source::new(g.clone(), 0.2);
    b.cpu_b = Source::new(g.clone(), 0.4);
    b.cpu_b.change = Some(27);
    b.ready_p = [0.7, 0.5, 1.0, 1.0];
    b.run(500);
    assert_eq!(b.words(0), g[..24].to_vec(), "disk A: frames 0-3, nothing of frame 4");
    assert_eq!(b.words(1), g[..24].to_vec(), "disk B");
    assert_eq!(b.mode(), 4, "HALTED");
    assert_eq!(b.core.fault_log.first_cause.val().to_u32(), 3, "MISMATCH");
    assert_eq!(b.core.counters.regs.words_fwd.val().to_u32(), 24);
    assert_eq!(b.core.counters.regs.frames_fwd.val().to_u32(), 4);
    assert_eq!(b.core.counters.regs.frames_aborted.val().to_u32(), 1, "the divergent frame, dropped");
    assert_eq!(b.core.gate.fill.val().to_u32(), 0, "nothing of it left in the buffer");
}

/// Store-and-forward with an attributable fault: CPU A's parity error mid-frame fails over
/// to CPU B hitlessly, and the frame in flight completes with B's words, so every frame
/// reaches both disks whole.
#[test]
fn store_and_forward_fail_over_keeps_every_frame() {
    let mut b = Board::fast_uart(21);
    b.write("CTRL", CTRL_SAF);
    let g = frames(12, 7, 0x6B00);
    b.cpu_a = Source::new(g.clone(), 0.2);
    b.cpu_b = Source::new(g.clone(), 0.3);
    b.cpu_a.flip = Some(38);
    b.ready_p = [0.8, 0.6, 1.0, 1.0];
    b.run(600);
    assert_eq!(b.words(0), g);
    assert_eq!(b.words(1), g);
    assert_eq!(b.mode(), 2, "SIMPLEX_B");
    assert_eq!(b.core.counters.regs.frames_fwd.val().to_u32(), 12);
    assert_eq!(b.core.counters.regs.frames_aborted.val().to_u32(), 0);
}

/// The store-and-forward figures at the pins, all sinks ready: the first word of a frame
/// is on both disk links 4 cycles after the later word of its `last` pair was taken
/// (cut-through: 3 cycles after each pair), each frame's words leave on consecutive cycles,
/// and back-to-back frames keep one word per cycle on the CPU and disk links.
#[test]
fn store_and_forward_latency_is_four_cycles() {
    let mut b = Board::fast_uart(22);
    b.write("CTRL", CTRL_SAF);
    let len = 8;
    let g = frames(25, len, 0x7C00);
    b.cpu_a = Source::new(g.clone(), 0.0);
    b.cpu_b = Source::new(g.clone(), 0.0);
    b.run(g.len() + 20);
    for sink in 0..2 {
        assert_eq!(b.words(sink), g);
        for k in 0..25 {
            let i = k * len + len - 1;
            let later = b.cpu_a.taken_at[i].max(b.cpu_b.taken_at[i]);
            for j in 0..len {
                assert_eq!(b.got[sink][k * len + j].0, later + 4 + j, "disk {sink} frame {k} word {j}");
            }
        }
        let (first, last) = (b.got[sink][0].0, b.got[sink].last().unwrap().0);
        assert_eq!(last - first + 1, g.len(), "one word per cycle on the disk link");
    }
    assert_eq!(b.cpu_a.taken_at.last().unwrap() - b.cpu_a.taken_at[0] + 1, g.len(), "and from the CPUs");
}

/// A frame longer than the frame buffer (2^frame_depth_log2 = 512 words) under
/// store-and-forward: cause FRAME_TOO_LONG (13) in STATUS, irq, the mode unchanged; nothing
/// of that frame reaches a disk, and the frames before and after it (one of exactly 512
/// words) arrive intact.
#[test]
fn store_and_forward_frame_too_long_gives_cause_13() {
    let mut b = Board::fast_uart(23);
    b.write("CTRL", CTRL_SAF);
    let f0 = frames(1, 5, 0x1_0000);
    let long = frames(1, 513, 0x2_0000);
    let f2 = frames(1, 4, 0x3_0000);
    let max = frames(1, 512, 0x4_0000);
    let g = [f0.clone(), long, f2.clone(), max.clone()].concat();
    b.cpu_a = Source::new(g.clone(), 0.1);
    b.cpu_b = Source::new(g.clone(), 0.1);
    b.run(2500);
    let expect = [f0, f2, max].concat();
    assert_eq!(b.words(0).len(), expect.len(), "disk A: word count");
    assert_eq!(b.words(0), expect, "disk A");
    assert_eq!(b.words(1), expect, "disk B");
    assert!(b.irq_at.is_some(), "irq");
    let status = b.read("STATUS");
    assert_eq!(status >> 8 & 0xFF, 13, "cause FRAME_TOO_LONG");
    assert_eq!(status & 7, 0, "still DUPLEX: the frame is dropped, no side is blamed");
    assert_eq!(b.read("FAULTS"), 1 << 13);
    assert_eq!(b.core.counters.regs.frames_aborted.val().to_u32(), 1);
    assert_eq!(b.core.counters.regs.frames_fwd.val().to_u32(), 3);
    assert_eq!(b.core.counters.regs.words_fwd.val().to_u32() as usize, expect.len());
}

/// CTRL: strict lockstep (bit 3), mode kept (MODE_KEEP = 7).
const CTRL_STRICT: u32 = (1 << 3) | 7;

/// Strict lockstep at offset `d` set over the UART, then (optionally TIMEOUT and) the injector
/// armed on `link` (0 CPU A, 1 CPU B) with `kind`/`bit`/`count`; then both CPUs send `g` at
/// full rate, B exactly `d` cycles behind A, for 200 cycles after B starts. Returns the board
/// and the cycle CPU A first offers (B first offers at that + d).
fn strict_with_injection(seed: u64, d: u32, timeout: Option<u32>, link: u32, kind: u32, bit: u32, count: u32, g: &[W]) -> (Board, usize) {
    let mut b = Board::fast_uart(seed);
    b.write("OFFSET", d);
    b.write("CTRL", CTRL_STRICT);
    if let Some(t) = timeout {
        b.write("TIMEOUT", t);
    }
    b.write("INJ_COUNT", count);
    b.write("INJ_CTRL", (1 << 31) | (bit << 4) | (kind << 2) | link);
    let start = b.cycle;
    b.cpu_a = Source::new(g.to_vec(), 0.0);
    b.run(d as usize);
    b.cpu_b = Source::new(g.to_vec(), 0.0);
    b.run(200);
    (b, start)
}

/// What STATUS, FAULTS and the frame counters say after a strict fail-over: SIMPLEX on the
/// healthy side, only the faulty side's cause, every frame on both disks, none aborted.
fn assert_strict_fail_over(b: &mut Board, g: &[W], faulty_a: bool, cause: u32) {
    assert_eq!(b.words(0), g, "disk A: every word, once, in order");
    assert_eq!(b.words(1), g, "disk B: every word, once, in order");
    let status = b.read("STATUS");
    assert_eq!(status & 7, if faulty_a { 2 } else { 1 }, "SIMPLEX on the healthy side");
    assert_eq!(status >> 4 & 3, if faulty_a { 0b01 } else { 0b10 }, "only the faulty CPU failed");
    assert_eq!(status >> 8 & 0xFF, cause, "first cause");
    assert_eq!(b.read("FAULTS"), 1 << cause, "no other cause (no MISMATCH)");
    b.write("CTRL", (1 << 9) | CTRL_STRICT);
    assert_eq!(b.read("FRAMES_ABORTED"), 0, "no frame aborted");
    assert_eq!(b.read("MISMATCHES"), 0);
    let frames = g.iter().filter(|w| w.last).count() as u32;
    assert_eq!(b.read("FRAMES_FWD"), frames);
}

/// Issue 23's reproduction at the core's pins: strict lockstep at D = 4 and the injector
/// flipping data bit 3 of CPU B's 6th word. CPU B is named (CPU_B_PARITY alone), the core
/// goes SIMPLEX_A, and both disks get every word with no frame aborted.
#[test]
fn strict_cpu_b_data_flip_fails_over_to_simplex_a() {
    let g = frames(10, 6, 0x2300);
    let (mut b, _) = strict_with_injection(31, 4, None, 1, 0, 3, 5, &g);
    assert_eq!(b.read("INJ_STATUS"), 0b01, "fired");
    assert_strict_fail_over(&mut b, &g, false, 2);
}

/// The same on CPU A at D = 0, where A's corrupted word meets B's good one at the strict check
/// in the same cycle: CPU A is named, SIMPLEX_B, nothing lost or aborted.
#[test]
fn strict_cpu_a_data_flip_at_offset_0_fails_over_to_simplex_b() {
    let g = frames(10, 6, 0x2400);
    let (mut b, _) = strict_with_injection(32, 0, None, 0, 0, 3, 5, &g);
    assert_eq!(b.read("INJ_STATUS"), 0b01, "fired");
    assert_strict_fail_over(&mut b, &g, true, 1);
}

/// Strict silence (docs/lockstep.md): the injector holds CPU B's link silent (1000 cycles from
/// its arming) with TIMEOUT = 40, at D = 4; CPU A then sends from cycle s - 4, so CPU B's
/// first missing offer is at s, where the check marks it missing. CPU B times out at
/// s + TIMEOUT and `irq` rises the cycle after; SIMPLEX_A, CPU_B_TIMEOUT alone, every word on
/// both disks.
#[test]
fn strict_cpu_b_silence_times_out_at_the_stated_cycle() {
    let g = frames(10, 6, 0x2500);
    let (mut b, start) = strict_with_injection(33, 4, Some(40), 1, 2, 0, 1000, &g);
    let s = start + 4;
    assert_eq!(b.irq_at, Some(s + 40 + 1), "B silent from {s}");
    assert!(b.cpu_b.taken_at.is_empty(), "B was held silent throughout");
    assert_strict_fail_over(&mut b, &g, false, 5);
}

/// CPU A silent at D = 4 from s, the cycle it would first offer: CPU B offers that word at
/// s + D, where the check marks A missing; CPU A times out at s + D + TIMEOUT, SIMPLEX_B, and
/// CPU B's stream reaches both disks whole.
#[test]
fn strict_cpu_a_silence_times_out_at_the_stated_cycle() {
    let g = frames(10, 6, 0x2600);
    let (mut b, s) = strict_with_injection(34, 4, Some(40), 0, 2, 0, 1000, &g);
    assert_eq!(b.irq_at, Some(s + 4 + 40 + 1), "A silent from {s}");
    assert!(b.cpu_a.taken_at.is_empty(), "A was held silent throughout");
    assert_strict_fail_over(&mut b, &g, true, 4);
}

/// Strict lockstep, D = 4: a parity error on CPU A's write word 20 (a `par` bit flipped)
/// fails over to SIMPLEX_B while returns are in flight. CPU B's `rx_ready` follows CPU A's
/// D cycles behind until the switch, then runs free: CPU B still receives every return word
/// exactly once, in order — including the words CPU A had taken in the D cycles before the
/// switch and those still queued for CPU A. CPU A, isolated, got a prefix.
#[test]
fn strict_fail_over_to_simplex_b_delivers_every_return_word_to_cpu_b() {
    let d = 4;
    let mut b = Board::fast_uart(21);
    b.write("OFFSET", d as u32);
    b.write("CTRL", (1 << 3) | 7);
    assert_eq!(b.read("CTRL") & 0xFF, 1 << 3, "strict, DUPLEX");
    b.b_rx_follows_a = Some(d);
    b.ready_p = [1.0, 1.0, 0.6, 0.6];
    b.run(20);
    let g = frames(8, 4, 0x4400);
    let r = frames(24, 5, 0x9900);
    b.disk_a = Source::new(r.clone(), 0.1);
    b.disk_b = Source::new(r.clone(), 0.1);
    b.cpu_a = Source::new(g.clone(), 0.0);
    b.cpu_a.par_flip = Some(20);
    b.run(d);
    b.cpu_b = Source::new(g.clone(), 0.0);
    let mut switch = None;
    for _ in 0..500 {
        b.step();
        if switch.is_none() && b.mode() != 0 {
            switch = Some(b.cycle);
        }
    }
    assert_eq!(b.mode(), 2, "SIMPLEX_B");
    assert_eq!(b.core.fault_log.first_cause.val().to_u32(), 1, "CPU_A_PARITY");
    assert_eq!(b.words(0), g, "disk A: the healthy stream");
    assert_eq!(b.words(3), r, "CPU B: every return word once, in order");
    assert!(r.starts_with(&b.words(2)), "CPU A, isolated, got a prefix");
    let s = switch.unwrap();
    let a_before = b.got[2].iter().filter(|&&(t, _)| t < s).count();
    let b_before = b.got[3].iter().filter(|&&(t, _)| t < s).count();
    assert!(a_before > b_before, "CPU A was ahead at the switch ({a_before} vs {b_before}): words were in the delay line");
    assert_eq!(b.irq_at.is_some(), true);
}

/// HALTED drains the disks' returns: a controller offering words is not held back, and no
/// CPU gets them.
#[test]
fn halted_drains_the_disks_returns() {
    let mut b = Board::fast_uart(22);
    b.write("CTRL", 4);
    assert_eq!(b.mode(), 4, "HALTED");
    let r = frames(10, 5, 0x5500);
    b.disk_a = Source::new(r.clone(), 0.2);
    b.disk_b = Source::new(r.clone(), 0.4);
    b.run(150);
    assert!(b.disk_a.queue.is_empty() && b.disk_b.queue.is_empty(), "both controllers drained");
    assert!(b.words(2).is_empty() && b.words(3).is_empty(), "no CPU gets a return in HALTED");
}

/// Read-verify with a secondary (disk B) that stops returning while the primary goes on:
/// DISK_DIVERGENCE is latched and `irq` raised at a fixed number of cycles after the primary's
/// first word alone is taken on its link (DISK_TIMEOUT + 3: the word waits alone in the fabric
/// from the next cycle, out of the disk input stage; the fabric flags it in the
/// (DISK_TIMEOUT + 1)-th silent cycle, STATUS and `irq` follow 2 cycles later; DISK_TIMEOUT + 2
/// in the build without the disk stage, `--disk-stage off`), and the CPUs still get the
/// primary's whole stream.
#[test]
fn a_silent_secondary_raises_disk_divergence_within_disk_timeout_plus_two_cycles() {
    for disk_stage in [true, false] {
        println!("disk stage {disk_stage}");
        silent_secondary(disk_stage);
    }
}

fn silent_secondary(disk_stage: bool) {
    let mut b = Board::with_params(23, &BuildParams { clock_hz: 1_000_000, baud: 125_000, disk_stage, ..BuildParams::default() });
    b.write("DISK_TIMEOUT", 40);
    b.write("CTRL", (1 << 6) | 7);
    let r = frames(6, 5, 0x6600);
    b.disk_a = Source::new(r.clone(), 0.0);
    b.disk_b = Source::new(r[..17].to_vec(), 0.0);
    b.run(200);
    assert_eq!(b.words(2), r, "CPU A: the primary's stream");
    assert_eq!(b.words(3), r, "CPU B");
    assert_eq!(b.core.fault_log.first_cause.val().to_u32(), 10, "DISK_DIVERGENCE");
    let t0 = b.disk_a.taken_at[16] + 1;
    let stage = disk_stage as usize;
    assert_eq!(b.irq_at, Some(t0 + 40 + 2 + stage), "irq at {:?}, primary's word 17 taken alone at {t0}", b.irq_at);
}

// --- Control does what the register docs say (issue 23, deliverable 4) --------------------

const CTRL_KEEP: u32 = 7;
const FAULT_CLEAR: u32 = 1 << 8;
const POLICY_HALT: u32 = 1 << 5;
const READ_VERIFY: u32 = 1 << 6;
const PRIMARY_B: u32 = 1 << 7;
const READMIT_B: u32 = 1 << 12;
const REBUILT_B: u32 = 1 << 14;

fn status_field(status: u32, name: &str) -> u32 {
    reg("STATUS").f(name).get(status)
}

/// SPEC §4: with the halt policy every fault halts, disk faults included. A parity error on
/// disk B's rx link (which under the auto policy only degrades the mirror) halts the core:
/// STATUS reads HALTED and halted, the CPUs are held off, and disk B is marked failed too.
#[test]
fn halt_policy_halts_on_a_disk_fault() {
    let mut b = Board::fast_uart(31);
    b.write("CTRL", POLICY_HALT | CTRL_KEEP);
    let g = frames(40, 5, 0x3100);
    b.cpu_a = Source::new(g.clone(), 0.1);
    b.cpu_b = Source::new(g.clone(), 0.1);
    b.disk_a = Source::new(frames(1, 3, 0xD00D), 0.0);
    b.disk_b = Source::new(frames(1, 3, 0xD00D), 0.0);
    b.disk_b.flip = Some(1);
    b.run(60);
    let status = b.read("STATUS");
    assert_eq!(status_field(status, "cause"), 7, "DISK_B_PARITY");
    assert_eq!(status_field(status, "mode"), 4, "HALTED");
    assert_eq!(status_field(status, "halted"), 1);
    assert_eq!(status_field(status, "disk_b_failed"), 1);
    let taken = (b.cpu_a.sent, b.cpu_b.sent);
    b.run(300);
    assert_eq!((b.cpu_a.sent, b.cpu_b.sent), taken, "HALTED holds the CPUs off");
    assert!(taken.0 < g.len(), "the halt came before the workload ended");
}

/// The same policy halts on a divergence of the disks' returns (read-verify), a fault the
/// auto policy only reports.
#[test]
fn halt_policy_halts_on_a_disk_divergence() {
    let mut b = Board::fast_uart(32);
    b.write("CTRL", POLICY_HALT | READ_VERIFY | CTRL_KEEP);
    b.disk_a = Source::new(frames(2, 3, 0xD000), 0.0);
    b.disk_b = Source::new(frames(2, 3, 0xD000), 0.0);
    b.disk_b.change = Some(4);
    b.run(50);
    let status = b.read("STATUS");
    assert_eq!(status_field(status, "cause"), 10, "DISK_DIVERGENCE");
    assert_eq!(status_field(status, "mode"), 4, "HALTED");
    // And the auto policy does not halt on it.
    let mut b = Board::fast_uart(32);
    b.write("CTRL", READ_VERIFY | CTRL_KEEP);
    b.disk_a = Source::new(frames(2, 3, 0xD000), 0.0);
    b.disk_b = Source::new(frames(2, 3, 0xD000), 0.0);
    b.disk_b.change = Some(4);
    b.run(50);
    let status = b.read("STATUS");
    assert_eq!(status_field(status, "cause"), 10);
    assert_eq!(status_field(status, "mode"), 0, "auto: still DUPLEX");
}

/// SPEC §4: a mode value CTRL does not define is refused. A raw write of CTRL with mode 5 or
/// 6 answers 0x03 over the UART and changes nothing: not the mode (the CPUs keep moving,
/// STATUS.halted stays 0), not the other fields, and its command bits do not fire.
#[test]
fn reserved_mode_write_is_refused_over_the_uart() {
    let mut b = Board::fast_uart(33);
    b.write("CTRL", READ_VERIFY | CTRL_KEEP);
    let g = frames(6000, 4, 0x3300);
    b.cpu_a = Source::new(g.clone(), 0.2);
    b.cpu_b = Source::new(g.clone(), 0.2);
    // A fault latched (disk B parity), the core still in DUPLEX.
    b.disk_b = Source::new(frames(1, 2, 0xD00D), 0.0);
    b.disk_b.flip = Some(0);
    b.run(60);
    assert_eq!(b.mode(), 0);
    assert!(b.core.irq.val());
    let ctrl = b.read("CTRL");
    for mode in [5u32, 6] {
        let sent = b.cpu_a.sent;
        let r = b.uart(&Request::write(reg("CTRL").addr, &[mode | FAULT_CLEAR | POLICY_HALT]));
        assert_eq!(r, Response::error(Status::BadAddress), "mode {mode} refused with 0x03");
        assert_eq!(b.read("CTRL"), ctrl, "mode {mode}: CTRL unchanged");
        let status = b.read("STATUS");
        assert_eq!(status_field(status, "mode"), 0, "mode {mode}: still DUPLEX");
        assert_eq!(status_field(status, "halted"), 0);
        assert_eq!(status_field(status, "fault"), 1, "mode {mode}: fault_clear did not fire");
        assert!(b.cpu_a.sent > sent, "mode {mode}: the CPUs' words are still taken");
    }
    // CTRL and OFFSET in one frame, CTRL's value refused: OFFSET is not written either.
    let r = b.uart(&Request::write(reg("CTRL").addr, &[6, 3]));
    assert_eq!(r.status, Status::BadAddress);
    assert_eq!(b.read("OFFSET"), 0, "OFFSET in the same frame was not written");
    b.write("CTRL", 4);
    assert_eq!(status_field(b.read("STATUS"), "halted"), 1, "4 is HALTED");
}

/// CAP_WORD is the word index of the first fault, counted from the last fault clear in every
/// mode (SIMPLEX too), and a fault clear empties the capture. The capture of a disk parity
/// error holds the disk's word (CAP_DATA_A = disk A's rx word, its flags a_valid and a_perr).
#[test]
fn cap_word_counts_from_the_fault_clear_and_a_disk_parity_fault_captures_the_disks_word() {
    for choice in CaptureChoice::ALL {
        let mut b = Board::fast_uart_with_choice(34, choice);
        let g1 = frames(5, 4, 0x3400);
        b.cpu_a = Source::new(g1.clone(), 0.0);
        b.cpu_b = Source::new(g1.clone(), 0.0);
        b.cpu_a.flip = Some(6); // CPU A parity: SIMPLEX_B
        b.run(100);
        assert_eq!(b.mode(), 2, "SIMPLEX_B");
        assert!(b.read("CAP_WORD") <= 6);
        b.write("CTRL", FAULT_CLEAR | CTRL_KEEP);
        for name in ["CAP_CAUSE", "CAP_WORD", "CAP_DATA_A", "CAP_DATA_B", "CAP_FLAGS", "CAP_CYCLE_LO"] {
            assert_eq!(b.read(name), 0, "{name} after a fault clear");
        }
        // 13 words in SIMPLEX_B, all committed, then disk A returns a word with a parity error.
        let g2 = frames(1, 13, 0x5500);
        b.cpu_a = Source::new(g2.clone(), 0.0);
        b.cpu_b = Source::new(g2.clone(), 0.0);
        b.run(100);
        assert_eq!(b.words(0).len(), g1.len() + g2.len());
        let bad = w(0xBAD0_0001, true);
        b.disk_a = Source::new(vec![bad], 0.0);
        b.disk_a.flip = Some(0);
        b.run(20);
        assert_eq!(b.read("CAP_CAUSE"), 6, "DISK_A_PARITY");
        assert_eq!(b.read("CAP_WORD"), 13, "13 words committed since the clear, in SIMPLEX_B");
        assert_eq!(b.read("CAP_DATA_A"), bad.data ^ (1 << 9), "disk A's word as it arrived");
        let flags = b.read("CAP_FLAGS");
        let f = |n: &str| reg("CAP_FLAGS").f(n).get(flags);
        assert_eq!((f("a_valid"), f("a_perr"), f("a_last"), f("a_par")), (1, 1, 1, bad.par as u32));
        assert_eq!(f("b_valid"), 0, "disk B offered nothing");
    }
}

/// The capture of a disk timeout holds the word waiting on the stalled disk's tx link.
#[test]
fn a_disk_timeout_captures_the_word_waiting_on_the_disk() {
    let mut b = Board::fast_uart(35);
    b.write("DISK_TIMEOUT", 30);
    let g = frames(4, 4, 0x3500);
    b.cpu_a = Source::new(g.clone(), 0.0);
    b.cpu_b = Source::new(g.clone(), 0.0);
    b.ready_p = [1.0, 0.0, 1.0, 1.0];
    b.run(100);
    assert_eq!(b.read("CAP_CAUSE"), 9, "DISK_B_TIMEOUT");
    assert_eq!(b.read("CAP_DATA_B"), g[0].data, "the first word, never taken by disk B");
    let flags = b.read("CAP_FLAGS");
    assert_eq!(reg("CAP_FLAGS").f("b_valid").get(flags), 1);
    assert_eq!(reg("CAP_FLAGS").f("b_par").get(flags), g[0].par as u32);
}

// --- Disk states: healthy, failed, rebuilding (issue 23, deliverable 5) --------------------

/// Disk B's words after its failure: an optional `last & abort` word ending the frame it had
/// half received, then what it got after readmission. Returns (prefix, suffix).
fn split_at_failure(got: &[W], g: &[W]) -> (usize, Vec<W>) {
    let prefix = got.iter().zip(g).take_while(|(a, b)| a == b).count();
    let mut rest = &got[prefix..];
    if rest.first().is_some_and(|w| w.last && w.abort) {
        rest = &rest[1..];
    }
    (prefix, rest.to_vec())
}

/// A failed disk stays failed through a fault clear (no writes reach it, its stale buffered
/// words are discarded); readmitted, it becomes rebuilding and joins at a frame boundary of
/// the committed stream, so it gets whole frames only, every one from there on; while
/// rebuilding its returns are neither delivered nor compared (read-verify on, different
/// data, no fault) and it is never primary (CTRL.primary = B still answers from disk A);
/// rebuilt, it is healthy and primary again.
#[test]
fn a_failed_disk_is_readmitted_at_a_frame_boundary_rebuilds_and_becomes_healthy() {
    let mut b = Board::fast_uart(36);
    let len = 9;
    let g = frames(1500, len, 0x10_0000);
    b.cpu_a = Source::new(g.clone(), 0.05);
    b.cpu_b = Source::new(g.clone(), 0.05);
    b.disk_a = Source::new(frames(1, 3, 0xD00D), 0.0);
    b.disk_b = Source::new(frames(1, 3, 0xD00D), 0.0);
    b.disk_b.flip = Some(1);
    b.ready_p = [1.0, 0.7, 1.0, 1.0];
    b.run(60);
    assert_eq!(status_field(b.read("STATUS"), "disk_b_failed"), 1);
    let failed_words = b.words(1).len();
    b.write("CTRL", FAULT_CLEAR | CTRL_KEEP);
    let status = b.read("STATUS");
    assert_eq!((status_field(status, "disk_b_failed"), status_field(status, "disk_b_rebuilding")), (1, 0), "failed through the clear");
    assert_eq!(status_field(status, "fault"), 0);
    b.run(200);
    assert!(b.words(1).len() <= failed_words + 1, "a failed disk gets nothing (but an abort word)");
    // Readmit: the write lands at some cycle mid-frame; disk B joins at the next boundary.
    b.write("CTRL", READMIT_B | CTRL_KEEP | READ_VERIFY | PRIMARY_B);
    b.run(100);
    let status = b.read("STATUS");
    assert_eq!((status_field(status, "disk_b_failed"), status_field(status, "disk_b_rebuilding")), (0, 1), "rebuilding");
    // Its returns differ from disk A's: with read-verify on they would diverge if compared.
    let ra = frames(3, 4, 0xAA00);
    b.disk_a = Source::new(ra.clone(), 0.1);
    b.disk_b = Source::new(frames(3, 4, 0xBB00), 0.1);
    let before = (b.words(2).len(), b.words(3).len());
    b.run(300);
    assert!(b.disk_b.queue.is_empty(), "the rebuilding disk's returns are taken");
    assert_eq!(b.words(2)[before.0..].to_vec(), ra, "CPU A gets disk A's returns only, though primary is B");
    assert_eq!(b.words(3)[before.1..].to_vec(), ra, "CPU B too");
    let status = b.read("STATUS");
    assert_eq!(status_field(status, "fault"), 0, "not compared: no divergence");
    assert_eq!(status_field(status, "mode"), 0);
    for _ in 0..20 {
        if b.cpu_a.queue.is_empty() && b.cpu_b.queue.is_empty() {
            break;
        }
        b.run(1000);
    }
    b.run(200);
    assert!(b.cpu_a.queue.is_empty(), "the workload ran to the end");
    assert_eq!(b.words(0), g, "disk A got every word");
    let got_b = b.words(1);
    let (prefix, joined) = split_at_failure(&got_b, &g);
    assert!(prefix <= failed_words);
    assert!(!joined.is_empty(), "disk B took writes again");
    let start = g.len() - joined.len();
    assert_eq!(start % len, 0, "disk B joined at a frame boundary");
    assert!(start > prefix, "words buffered when it failed were discarded");
    assert_eq!(joined, g[start..].to_vec(), "every frame from there on, whole and in order");
    // Rebuilt: healthy; primary B now answers.
    b.write("CTRL", REBUILT_B | CTRL_KEEP);
    let status = b.read("STATUS");
    assert_eq!((status_field(status, "disk_b_failed"), status_field(status, "disk_b_rebuilding")), (0, 0), "healthy");
    let rb = frames(2, 4, 0xCC00);
    b.disk_a = Source::new(rb.clone(), 0.1);
    b.disk_b = Source::new(rb.clone(), 0.1);
    let before = b.words(2).len();
    b.run(200);
    assert_eq!(b.words(2)[before..].to_vec(), rb);
    assert_eq!(status_field(b.read("STATUS"), "fault"), 0, "in step: read-verify agrees");
}

/// A rebuilding disk that faults is failed again (and readmit is ignored for a healthy disk).
#[test]
fn a_fault_while_rebuilding_fails_the_disk_again() {
    let mut b = Board::fast_uart(37);
    b.write("CTRL", READMIT_B | CTRL_KEEP);
    let status = b.read("STATUS");
    assert_eq!((status_field(status, "disk_b_failed"), status_field(status, "disk_b_rebuilding")), (0, 0), "readmit of a healthy disk: ignored");
    b.disk_b = Source::new(frames(1, 2, 0xD00D), 0.0);
    b.disk_b.flip = Some(0);
    b.run(30);
    assert_eq!(status_field(b.read("STATUS"), "disk_b_failed"), 1);
    b.write("CTRL", READMIT_B | FAULT_CLEAR | CTRL_KEEP);
    assert_eq!(status_field(b.read("STATUS"), "disk_b_rebuilding"), 1);
    b.disk_b = Source::new(frames(1, 2, 0xD00D), 0.0);
    b.disk_b.flip = Some(1);
    b.run(30);
    let status = b.read("STATUS");
    assert_eq!((status_field(status, "disk_b_failed"), status_field(status, "disk_b_rebuilding")), (1, 0), "failed again");
    assert_eq!(status_field(status, "cause"), 7, "DISK_B_PARITY");
}
