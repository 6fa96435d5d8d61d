//! FtioCore at the cycle level, as far as the core is built: SPLIT routing through
//! registered stages, parity carried end to end, parity errors counted, irq.
use ftio_hdl::link::{byte_parity, control_parity};
use ftio_hdl::testbench::{edge, low};
use ftio_hdl::{CoreParams, FtioCore};
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

fn word(rng: &mut StdRng) -> W {
    let data = rng.gen();
    let last = rng.gen_bool(0.25);
    W { data, par: byte_parity(data), last, abort: last && rng.gen_bool(0.1) }
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
        W {
            data: $link.data.val().to_u32(),
            par: $link.par.val().to_u8(),
            last: $link.last.val(),
            abort: $link.abort.val(),
        }
    };
}

/// Every link idle and correct: no offers (`cpar` = 1), every sink ready with `rpar` = 0.
fn idle_links(core: &mut FtioCore) {
    let idle = W { data: 0, par: 0, last: false, abort: false };
    drive!(core.cpu_a_tx, idle, false);
    drive!(core.cpu_b_tx, idle, false);
    drive!(core.disk_a_rx, idle, false);
    drive!(core.disk_b_rx, idle, false);
    for sink in [&mut core.cpu_a_rx, &mut core.cpu_b_rx, &mut core.disk_a_tx, &mut core.disk_b_tx] {
        sink.ready.next = true;
        sink.rpar.next = false;
    }
}

/// A source that follows SPEC §2: holds its word until it moves.
struct Source {
    queue: VecDeque<W>,
    offering: bool,
}

#[test]
fn split_routes_each_link_losslessly_with_random_backpressure() {
    let mut core = FtioCore::new(&CoreParams::default());
    core.connect_all();
    let mut rng = StdRng::seed_from_u64(11);
    let n = 600;
    // sources: cpu_a_tx, cpu_b_tx, disk_a_rx, disk_b_rx; sinks: disk_a_tx, disk_b_tx, cpu_a_rx, cpu_b_rx
    let mut srcs: Vec<Source> = (0..4)
        .map(|_| Source { queue: (0..n).map(|_| word(&mut rng)).collect(), offering: false })
        .collect();
    let expect: Vec<Vec<W>> = srcs.iter().map(|s| s.queue.iter().copied().collect()).collect();
    let mut got: Vec<Vec<W>> = vec![vec![]; 4];
    for cycle in 0..4000 {
        for s in srcs.iter_mut() {
            if !s.offering && !s.queue.is_empty() && rng.gen_bool(0.7) {
                s.offering = true;
            }
        }
        let idle = W { data: 0, par: 0, last: false, abort: false };
        drive!(core.cpu_a_tx, *srcs[0].queue.front().unwrap_or(&idle), srcs[0].offering);
        drive!(core.cpu_b_tx, *srcs[1].queue.front().unwrap_or(&idle), srcs[1].offering);
        drive!(core.disk_a_rx, *srcs[2].queue.front().unwrap_or(&idle), srcs[2].offering);
        drive!(core.disk_b_rx, *srcs[3].queue.front().unwrap_or(&idle), srcs[3].offering);
        let readies: Vec<bool> = (0..4).map(|_| rng.gen_bool(0.6)).collect();
        core.disk_a_tx.ready.next = readies[0];
        core.disk_b_tx.ready.next = readies[1];
        core.cpu_a_rx.ready.next = readies[2];
        core.cpu_b_rx.ready.next = readies[3];
        core.disk_a_tx.rpar.next = !readies[0];
        core.disk_b_tx.rpar.next = !readies[1];
        core.cpu_a_rx.rpar.next = !readies[2];
        core.cpu_b_rx.rpar.next = !readies[3];
        low(&mut core, |c| &mut c.clock);
        let outs = [
            (core.disk_a_tx.valid.val(), sample!(core.disk_a_tx), core.disk_a_tx.cpar.val()),
            (core.disk_b_tx.valid.val(), sample!(core.disk_b_tx), core.disk_b_tx.cpar.val()),
            (core.cpu_a_rx.valid.val(), sample!(core.cpu_a_rx), core.cpu_a_rx.cpar.val()),
            (core.cpu_b_rx.valid.val(), sample!(core.cpu_b_rx), core.cpu_b_rx.cpar.val()),
        ];
        for (i, (valid, w, cpar)) in outs.iter().enumerate() {
            assert_eq!(*cpar, control_parity(*valid, w.last, w.abort), "cpar on output {i} at {cycle}");
            if *valid && readies[i] {
                got[i].push(*w);
            }
        }
        let takes = [
            core.cpu_a_tx.ready.val(),
            core.cpu_b_tx.ready.val(),
            core.disk_a_rx.ready.val(),
            core.disk_b_rx.ready.val(),
        ];
        let rpars = [
            core.cpu_a_tx.rpar.val(),
            core.cpu_b_tx.rpar.val(),
            core.disk_a_rx.rpar.val(),
            core.disk_b_rx.rpar.val(),
        ];
        for i in 0..4 {
            assert_eq!(rpars[i], !takes[i], "rpar = ~ready on input {i}");
            if srcs[i].offering && takes[i] {
                srcs[i].queue.pop_front();
                srcs[i].offering = false;
            }
        }
        edge(&mut core, |c| &mut c.clock);
    }
    // source i lands on sink i: cpu_a_tx→disk_a_tx, cpu_b_tx→disk_b_tx, disk_a_rx→cpu_a_rx, disk_b_rx→cpu_b_rx
    for i in 0..4 {
        assert_eq!(got[i], expect[i], "stream {i}: nothing lost, repeated or reordered");
    }
    assert!(!core.irq.val(), "no fault on a clean run");
    assert_eq!(core.perr_cpu_a.count.val().to_u32(), 0);
}

/// With all sinks ready, a word taken at cycle t is on the far link at t+1, one per cycle.
#[test]
fn split_latency_is_one_cycle_at_full_rate() {
    let mut core = FtioCore::default();
    core.connect_all();
    idle_links(&mut core);
    let mut seen = vec![];
    for cycle in 0..20u32 {
        let w = W { data: cycle, par: byte_parity(cycle), last: false, abort: false };
        drive!(core.cpu_a_tx, w, cycle < 10);
        low(&mut core, |c| &mut c.clock);
        if cycle < 10 {
            assert!(core.cpu_a_tx.ready.val(), "never back-pressures at full rate");
        }
        if core.disk_a_tx.valid.val() {
            seen.push((cycle, core.disk_a_tx.data.val().to_u32()));
        }
        edge(&mut core, |c| &mut c.clock);
    }
    let expect: Vec<(u32, u32)> = (0..10).map(|t| (t + 1, t)).collect();
    assert_eq!(seen, expect);
}

/// A word with a flipped data bit is counted against its link, raises irq, and is carried
/// with its parity untouched (the sink sees the same error).
#[test]
fn parity_errors_are_counted_carried_and_raise_irq() {
    let mut core = FtioCore::default();
    core.connect_all();
    idle_links(&mut core);
    let mut out = vec![];
    for cycle in 0..8u32 {
        let mut w = W { data: 0x1000 + cycle, par: byte_parity(0x1000 + cycle), last: false, abort: false };
        if cycle == 3 {
            w.data ^= 1 << 17;
        }
        drive!(core.cpu_b_tx, w, cycle < 6);
        low(&mut core, |c| &mut c.clock);
        if core.disk_b_tx.valid.val() {
            out.push(sample!(core.disk_b_tx));
        }
        if cycle == 4 {
            assert!(core.irq.val(), "irq by t+1 after the bad word at t=3");
        }
        edge(&mut core, |c| &mut c.clock);
    }
    assert_eq!(core.perr_cpu_b.count.val().to_u32(), 1);
    assert_eq!(core.perr_cpu_a.count.val().to_u32(), 0);
    assert_eq!(core.perr_disk_a.count.val().to_u32(), 0);
    assert_eq!(core.perr_disk_b.count.val().to_u32(), 0);
    assert_eq!(core.perr_egress.count.val().to_u32(), 0, "an ingress error is not an internal one");
    let bad = out[3];
    assert_eq!(bad.data, 0x1003 ^ (1 << 17));
    assert_eq!(bad.par, byte_parity(0x1003), "parity carried, not regenerated");
    // A corrupt ready pair on a return link counts against that link.
    core.cpu_a_rx.ready.next = true;
    core.cpu_a_rx.rpar.next = true;
    low(&mut core, |c| &mut c.clock);
    edge(&mut core, |c| &mut c.clock);
    assert_eq!(core.perr_cpu_a.count.val().to_u32(), 1);
}
