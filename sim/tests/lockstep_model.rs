//! Randomized differential test: rust-hdl's simulation of the whole `FtioCore` against the
//! transaction-level model `ftio_sim::lockstep_model`, word for word on both disk links, plus
//! the final mode, the latched causes and the forwarding counters.
//!
//! Each seed draws: the commit kind (cut-through, or store-and-forward set over the UART
//! with a 16-word frame buffer, `frame_depth_log2 = 4`, so frames that are too long are
//! cheap), random frames (sometimes one longer than the buffer), random gaps and start skew
//! per CPU, random back-pressure per disk, and at most one fault: a parity error on CPU A or
//! CPU B at a random word, or a mismatch (CPU B's word changed, good parity) at a random word.
use ftio_hdl::link::{byte_parity, control_parity, pack_word};
use ftio_hdl::testbench::{edge, low, UartHost};
use ftio_hdl::{CoreParams, FtioCore};
use ftio_proto::{reg, Request, Response, Status};
use ftio_sim::lockstep_model::{predict, Commit, Fault, Outcome, Side};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rust_hdl::prelude::*;

mod common;
use common::Source;

fn word(rng: &mut StdRng, last: bool) -> u64 {
    common::word(rng, last, false)
}

const FRAME_DEPTH_LOG2: u8 = 4;

struct Board {
    core: Box<FtioCore>,
    rng: StdRng,
    cpu: [Source; 2],
    disk_ready_p: [f64; 2],
    disk: [Vec<u64>; 2],
    host: UartHost,
    cycle: usize,
    quiet: usize,
}

macro_rules! drive {
    ($link:expr, $w:expr, $valid:expr) => {{
        let w: u64 = $w;
        let v: bool = $valid;
        let (last, abort) = (w >> 36 & 1 == 1, w >> 37 & 1 == 1);
        $link.valid.next = v;
        $link.data.next = (w & 0xFFFF_FFFF).into();
        $link.par.next = (w >> 32 & 0xF).into();
        $link.last.next = last;
        $link.abort.next = abort;
        $link.cpar.next = control_parity(v, last, abort);
    }};
}

impl Board {
    fn new(seed: u64) -> Self {
        let params = CoreParams {
            clock_hz: 1_000_000,
            baud: 125_000,
            frame_depth_log2: FRAME_DEPTH_LOG2,
            ..CoreParams::default()
        };
        let mut core = Box::new(FtioCore::new(&params));
        core.connect_all();
        Self {
            core,
            rng: StdRng::seed_from_u64(seed),
            cpu: [Source::new(vec![], 0.0, 0), Source::new(vec![], 0.0, 0)],
            disk_ready_p: [1.0; 2],
            disk: Default::default(),
            host: UartHost::new(ftio_hdl::uart::clocks_per_bit(params.clock_hz, params.baud)),
            cycle: 0,
            quiet: 0,
        }
    }

    fn step(&mut self) {
        let t = self.cycle;
        let (wa, va) = self.cpu[0].offer(t, &mut self.rng);
        let (wb, vb) = self.cpu[1].offer(t, &mut self.rng);
        let ready = [self.rng.gen_bool(self.disk_ready_p[0]), self.rng.gen_bool(self.disk_ready_p[1])];
        let c = &mut self.core;
        drive!(c.cpu_a_tx, wa, va);
        drive!(c.cpu_b_tx, wb, vb);
        drive!(c.disk_a_rx, 0, false);
        drive!(c.disk_b_rx, 0, false);
        c.disk_a_tx.ready.next = ready[0];
        c.disk_b_tx.ready.next = ready[1];
        c.disk_a_tx.rpar.next = !ready[0];
        c.disk_b_tx.rpar.next = !ready[1];
        c.cpu_a_rx.ready.next = true;
        c.cpu_b_rx.ready.next = true;
        c.cpu_a_rx.rpar.next = false;
        c.cpu_b_rx.rpar.next = false;
        c.uart_rx.next = self.host.drive();
        low(c.as_mut(), |c| &mut c.clock);
        self.host.observe(c.uart_tx.val());
        let mut moved = false;
        for (i, link) in [&c.disk_a_tx, &c.disk_b_tx].into_iter().enumerate() {
            if link.valid.val() && ready[i] {
                let w = pack_word(
                    link.data.val().to_u32(),
                    link.par.val().to_u8(),
                    link.last.val(),
                    link.abort.val(),
                    false,
                );
                self.disk[i].push(w);
                moved = true;
            }
        }
        let (ra, rb) = (c.cpu_a_tx.ready.val(), c.cpu_b_tx.ready.val());
        moved |= self.cpu[0].moved(ra);
        moved |= self.cpu[1].moved(rb);
        edge(c.as_mut(), |c| &mut c.clock);
        self.cycle += 1;
        self.quiet = if moved { 0 } else { self.quiet + 1 };
    }

    fn write(&mut self, name: &str, value: u32) {
        let req = Request::write(reg(name).addr, &[value]);
        self.host.received.clear();
        self.host.send(&req.encode());
        for _ in 0..10_000 {
            self.step();
            if self.host.received.len() >= 5 {
                let (resp, _) = Response::decode(&self.host.received, req.cmd).expect("response");
                assert_eq!(resp.status, Status::Ok, "write {name}");
                return;
            }
        }
        panic!("no response to the write of {name}");
    }
}


/// One seed: returns (the prediction, a description) after checking the core against it.
fn run_seed(seed: u64) -> (Outcome, String) {
    let mut rng = StdRng::seed_from_u64(0x5AF0_0000 + seed);
    let commit = if seed % 2 == 0 {
        Commit::CutThrough
    } else {
        Commit::StoreAndForward { depth: 1 << FRAME_DEPTH_LOG2 }
    };
    let n_frames = rng.gen_range(6..14);
    let long_frame = if rng.gen_bool(0.3) { Some(rng.gen_range(0..n_frames)) } else { None };
    let mut golden = vec![];
    for f in 0..n_frames {
        let len = if long_frame == Some(f) { rng.gen_range(17..=26) } else { rng.gen_range(1..=12) };
        for i in 0..len {
            golden.push(word(&mut rng, i + 1 == len));
        }
    }
    let k = rng.gen_range(0..golden.len());
    let (fault, mut b_stream, flip) = match rng.gen_range(0..4) {
        0 => (Fault::None, golden.clone(), None),
        1 => (Fault::Parity { side: Side::A, word: k }, golden.clone(), Some((0, k))),
        2 => (Fault::Parity { side: Side::B, word: k }, golden.clone(), Some((1, k))),
        _ => {
            let mut b = golden.clone();
            let d = (b[k] as u32) ^ 0x0010_0000;
            b[k] = pack_word(d, byte_parity(d), b[k] >> 36 & 1 == 1, false, false);
            (Fault::None, b, None)
        }
    };
    let expect = predict(&golden, &b_stream, fault, commit);

    let mut b = Board::new(seed);
    if commit != Commit::CutThrough {
        b.write("CTRL", (1 << 4) | 7);
    }
    let t0 = b.cycle;
    b.cpu[0] = Source::new(golden.clone(), rng.gen_range(0.0..0.5), t0 + rng.gen_range(0..5));
    b.cpu[1] = Source::new(std::mem::take(&mut b_stream), rng.gen_range(0.0..0.5), t0 + rng.gen_range(0..16));
    if let Some((side, k)) = flip {
        b.cpu[side].flip = Some(k);
    }
    b.disk_ready_p = [rng.gen_range(0.3..1.0), rng.gen_range(0.3..1.0)];
    b.quiet = 0;
    while b.quiet < 200 && b.cycle < t0 + 20_000 {
        b.step();
    }
    let what = format!(
        "seed {seed}: {commit:?}, {n_frames} frames ({} words, long frame {long_frame:?}), fault {fault:?}{}",
        golden.len(),
        if matches!(fault, Fault::None) && expect.causes.contains(&3) { format!(", mismatch at word {k}") } else { String::new() }
    );
    let c = &b.core;
    for (i, name) in ["disk A", "disk B"].iter().enumerate() {
        assert_eq!(b.disk[i].len(), expect.disk.len(), "{what}: {name} word count");
        assert_eq!(b.disk[i], expect.disk, "{what}: {name} words");
    }
    assert_eq!(c.lockstep.mode.val().to_u64() as u8, expect.mode, "{what}: mode");
    let faults = c.fault_log.faults.val().to_u64();
    let want: u64 = expect.causes.iter().map(|&x| 1u64 << x).sum();
    assert_eq!(faults, want, "{what}: FAULTS");
    if let Some(first) = expect.first_cause {
        assert_eq!(c.fault_log.first_cause.val().to_u64() as u8, first, "{what}: first cause");
    }
    assert_eq!(c.words_fwd.count.val().to_u32(), expect.words_fwd, "{what}: WORDS_FWD");
    assert_eq!(c.frames_fwd.count.val().to_u32(), expect.frames_fwd, "{what}: FRAMES_FWD");
    assert_eq!(c.frames_aborted.count.val().to_u32(), expect.frames_aborted, "{what}: FRAMES_ABORTED");
    (expect, what)
}

/// 100 seeds, each a fresh core; every outcome class must have been exercised.
#[test]
fn core_matches_the_lockstep_model_word_for_word() {
    let (mut mismatches, mut parities, mut too_long, mut saf, mut words) = (0, 0, 0, 0, 0);
    for seed in 0..100 {
        let (o, what) = run_seed(seed);
        if o.causes.contains(&3) {
            mismatches += 1;
        }
        if o.causes.contains(&1) || o.causes.contains(&2) {
            parities += 1;
        }
        if o.causes.contains(&13) {
            too_long += 1;
        }
        if what.contains("StoreAndForward") {
            saf += 1;
        }
        words += o.disk.len();
    }
    eprintln!(
        "100 seeds ({saf} store-and-forward): {mismatches} mismatches, {parities} parity fail-overs, \
         {too_long} frames too long; {words} words checked per disk"
    );
    assert!(mismatches >= 10 && parities >= 15 && too_long >= 3 && saf == 50, "{mismatches} {parities} {too_long} {saf}");
}
