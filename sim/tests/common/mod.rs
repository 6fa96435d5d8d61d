//! Pieces shared by the randomized differential tests (`lockstep_model`, `return_model`):
//! the simulated board (the core, a source per input link, a random-ready sink per output
//! link, a UART host), the link source that offers words with random gaps, random link words;
//! in strict lockstep, CPU B as a replica of CPU A's driver released D cycles later.
#![allow(dead_code)] // each test binary uses its own subset

use ftio_hdl::link::{byte_parity, control_parity, pack_word};
use ftio_hdl::testbench::{edge, low, UartHost};
use ftio_hdl::{BuildParams, FtioCore};
use ftio_proto::{reg, Request, Response, Status};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rust_hdl::prelude::*;
use std::collections::VecDeque;

/// A SPEC §2 source: offers its words in order with random gaps after `start`; `flip`
/// corrupts a data bit of that word (parity as it was: a link parity error); after
/// `stop_after` words it offers nothing more. With a random stream of its own (`rng`), its
/// gaps depend only on what it has seen, so a clone started D cycles later that sees the
/// same `ready`s D cycles later does exactly the same thing D cycles later.
#[derive(Clone)]
pub struct Source {
    pub queue: VecDeque<u64>,
    pub offering: bool,
    pub gap: f64,
    pub start: usize,
    pub sent: usize,
    pub flip: Option<usize>,
    pub stop_after: Option<usize>,
    /// Its own random stream for the gaps (otherwise the board's).
    pub rng: Option<StdRng>,
}

impl Source {
    pub fn new(words: Vec<u64>, gap: f64, start: usize) -> Self {
        Self { queue: words.into(), offering: false, gap, start, sent: 0, flip: None, stop_after: None, rng: None }
    }
    pub fn idle() -> Self {
        Self::new(vec![], 0.0, 0)
    }
    pub fn offer(&mut self, t: usize, rng: &mut StdRng) -> (u64, bool) {
        let stopped = self.stop_after == Some(self.sent);
        let rng = self.rng.as_mut().unwrap_or(rng);
        if !self.offering && !stopped && t >= self.start && !self.queue.is_empty() && !rng.gen_bool(self.gap) {
            self.offering = true;
        }
        let mut w = self.queue.front().copied().unwrap_or(0);
        if self.offering && self.flip == Some(self.sent) {
            w ^= 1 << 9;
        }
        (w, self.offering)
    }
    pub fn moved(&mut self, ready: bool) -> bool {
        if self.offering && ready {
            self.queue.pop_front();
            self.offering = false;
            self.sent += 1;
            return true;
        }
        false
    }
}

/// A random data word with good parity.
pub fn word(rng: &mut StdRng, last: bool, abort: bool) -> u64 {
    let d: u32 = rng.gen();
    pack_word(d, byte_parity(d), last, abort, false)
}

/// `FtioCore` in rust-hdl simulation with a source on each of its four input links, a
/// random-ready sink on each of its four output links, and a UART host.
pub struct Board {
    pub core: Box<FtioCore>,
    pub rng: StdRng,
    pub cpu: [Source; 2],
    pub disk: [Source; 2],
    /// Probability that each sink is ready in a cycle: disk A tx, disk B tx, CPU A rx, CPU B rx.
    pub ready_p: [f64; 4],
    /// Words each sink took, same order.
    pub got: [Vec<u64>; 4],
    /// The cycle of each of those takes.
    pub got_at: [Vec<usize>; 4],
    /// The cycles CPU A's and CPU B's tx words were taken.
    pub taken_at: [Vec<usize>; 2],
    /// Strict lockstep with this D: CPU B's `rx_ready` is CPU A's of D cycles before (CPU B
    /// is a replica of CPU A released D cycles later; see [`Board::strict_cpus`]).
    pub strict: Option<usize>,
    /// CPU A's `rx_ready` of every cycle.
    ready_a: Vec<bool>,
    /// (disk, m): this disk takes no write after its m-th.
    pub stop_writes: Option<(usize, usize)>,
    /// (disk, cycle): this disk's `rpar` equals its `ready` in that cycle.
    pub rpar_error: Option<(usize, usize)>,
    pub host: UartHost,
    pub cycle: usize,
    pub quiet: usize,
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
    /// A core at 1 MHz with a 125 kbaud UART (8 clocks a bit); `params` sets the rest.
    pub fn new(seed: u64, params: BuildParams) -> Self {
        let params = BuildParams { clock_hz: 1_000_000, baud: 125_000, ..params };
        let mut core = Box::new(FtioCore::new(&params));
        core.connect_all();
        Self {
            core,
            rng: StdRng::seed_from_u64(seed),
            cpu: [Source::idle(), Source::idle()],
            disk: [Source::idle(), Source::idle()],
            ready_p: [1.0; 4],
            got: Default::default(),
            got_at: Default::default(),
            taken_at: Default::default(),
            strict: None,
            ready_a: vec![],
            stop_writes: None,
            rpar_error: None,
            host: UartHost::new(ftio_hdl::uart::clocks_per_bit(params.clock_hz, params.baud)),
            cycle: 0,
            quiet: 0,
        }
    }

    /// One clock cycle.
    pub fn step(&mut self) {
        let t = self.cycle;
        let (wa, va) = self.cpu[0].offer(t, &mut self.rng);
        let (wb, vb) = self.cpu[1].offer(t, &mut self.rng);
        let (ra, rva) = self.disk[0].offer(t, &mut self.rng);
        let (rb, rvb) = self.disk[1].offer(t, &mut self.rng);
        let mut ready = [false; 4];
        for (r, &p) in ready.iter_mut().zip(&self.ready_p) {
            *r = self.rng.gen_bool(p);
        }
        self.ready_a.push(ready[2]);
        if let Some(d) = self.strict {
            ready[3] = t < d || self.ready_a[t - d];
        }
        if let Some((d, m)) = self.stop_writes {
            if self.got[d].len() >= m {
                ready[d] = false;
            }
        }
        let mut rpar: Vec<bool> = ready.iter().map(|&r| !r).collect();
        if let Some((d, at)) = self.rpar_error {
            if at == t {
                rpar[d] = ready[d];
            }
        }
        let c = &mut self.core;
        drive!(c.cpu_a_tx, wa, va);
        drive!(c.cpu_b_tx, wb, vb);
        drive!(c.disk_a_rx, ra, rva);
        drive!(c.disk_b_rx, rb, rvb);
        c.disk_a_tx.ready.next = ready[0];
        c.disk_b_tx.ready.next = ready[1];
        c.cpu_a_rx.ready.next = ready[2];
        c.cpu_b_rx.ready.next = ready[3];
        c.disk_a_tx.rpar.next = rpar[0];
        c.disk_b_tx.rpar.next = rpar[1];
        c.cpu_a_rx.rpar.next = rpar[2];
        c.cpu_b_rx.rpar.next = rpar[3];
        c.uart_rx.next = self.host.drive();
        low(c.as_mut(), |c| &mut c.clock);
        self.host.observe(c.uart_tx.val());
        let mut moved = false;
        for (i, link) in [&c.disk_a_tx, &c.disk_b_tx, &c.cpu_a_rx, &c.cpu_b_rx].into_iter().enumerate() {
            if link.valid.val() && ready[i] {
                let w = pack_word(
                    link.data.val().to_u32(),
                    link.par.val().to_u8(),
                    link.last.val(),
                    link.abort.val(),
                    false,
                );
                self.got[i].push(w);
                self.got_at[i].push(t);
                moved = true;
            }
        }
        let ready_in = [c.cpu_a_tx.ready.val(), c.cpu_b_tx.ready.val(), c.disk_a_rx.ready.val(), c.disk_b_rx.ready.val()];
        for i in 0..2 {
            if self.cpu[i].moved(ready_in[i]) {
                self.taken_at[i].push(t);
                moved = true;
            }
        }
        moved |= self.disk[0].moved(ready_in[2]);
        moved |= self.disk[1].moved(ready_in[3]);
        edge(c.as_mut(), |c| &mut c.clock);
        self.cycle += 1;
        self.quiet = if moved { 0 } else { self.quiet + 1 };
    }

    /// Strict lockstep with offset `d` (OFFSET must be written too): CPU A offers `words`
    /// from cycle `start` with gaps of probability `gap` drawn from a random stream of its own
    /// (seeded `seed`), and CPU B is its replica released `d` cycles later — same words, same
    /// stream, so it gaps exactly as A did as long as it sees A's `tx_ready` D cycles later —
    /// and takes its returns as A did D cycles before. Faults go on `cpu[side]` afterwards.
    pub fn strict_cpus(&mut self, words: Vec<u64>, gap: f64, start: usize, d: usize, seed: u64) {
        let mut a = Source::new(words, gap, start);
        a.rng = Some(StdRng::seed_from_u64(seed));
        let mut b = a.clone();
        b.start = start + d;
        self.cpu = [a, b];
        self.strict = Some(d);
    }

    /// Strict lockstep: CPU B's first `n_tx` tx words were each taken exactly D cycles after
    /// CPU A's, and its first `n_rx` return words each exactly D cycles after CPU A's.
    pub fn check_b_follows_a(&self, n_tx: usize, n_rx: usize, what: &str) {
        let d = self.strict.expect("strict");
        for (link, n, a, b) in [("tx", n_tx, &self.taken_at[0], &self.taken_at[1]), ("rx", n_rx, &self.got_at[2], &self.got_at[3])] {
            for i in 0..n {
                assert_eq!(b.get(i).copied(), a.get(i).map(|t| t + d), "{what}: CPU B's {link} word {i} not taken D = {d} cycles after CPU A's");
            }
        }
    }

    /// Writes consecutive registers from `name` in one request.
    pub fn write(&mut self, name: &str, values: &[u32]) {
        let req = Request::write(reg(name).addr, values);
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
