//! Randomized differential test: rust-hdl's simulation of the whole `FtioCore` against the
//! transaction-level model `ftio_sim::lockstep_model`, word for word on both disk links, plus
//! the final mode, the latched causes and the forwarding counters.
//!
//! Each seed draws: the commit kind (cut-through, or store-and-forward set over the UART
//! with a 16-word frame buffer, `frame_depth_log2 = 4`, so frames that are too long are
//! cheap), the lockstep form (elastic, or strict with OFFSET = D drawn from 0..OFFSET_MAX-1
//! of the build, both set over the UART), random frames (sometimes one longer than the
//! buffer), random gaps, random back-pressure on all four sinks, and at most one fault: a
//! parity error on CPU A or CPU B at a random word, or a mismatch (CPU B's word changed, good
//! parity) at a random word.
//!
//! Elastic: each CPU has its own gaps and start skew. Strict: CPU B is a replica of CPU A's
//! driver released D cycles later (same words, same gap stream, reacting to the `tx_ready` it
//! sees; its `rx_ready` is A's of D cycles before), so with a correct core it does exactly
//! what A did, D cycles later — which the test checks cycle by cycle up to the fault.
use ftio_hdl::link::{byte_parity, pack_word};
use ftio_hdl::BuildParams;
use ftio_sim::lockstep_model::{possible, Commit, Fault, Lockstep, Outcome, Side};
use rand::{rngs::StdRng, Rng, SeedableRng};

mod common;
use common::{Board, Source};

fn word(rng: &mut StdRng, last: bool) -> u64 {
    common::word(rng, last, false)
}

const FRAME_DEPTH_LOG2: u8 = 4;

/// One seed: returns (what was observed, the lockstep form, a description, the cycles run)
/// after checking the core against the model.
fn run_seed(seed: u64) -> (Outcome, Lockstep, String, usize) {
    let mut rng = StdRng::seed_from_u64(0x5AF0_0000 + seed);
    let commit = if seed % 2 == 0 {
        Commit::CutThrough
    } else {
        Commit::StoreAndForward { depth: 1 << FRAME_DEPTH_LOG2 }
    };
    let params = BuildParams { frame_depth_log2: FRAME_DEPTH_LOG2, ..BuildParams::default() };
    let offset_max = 1u64 << params.offset_max_log2;
    // Every other pair of seeds is strict; D covers both ends of its range for sure.
    let lockstep = match (seed / 2 % 2, seed / 4 % 6) {
        (0, _) => Lockstep::Elastic,
        (_, 0) => Lockstep::Strict { offset: 0 },
        (_, 1) => Lockstep::Strict { offset: offset_max - 1 },
        _ => Lockstep::Strict { offset: rng.gen_range(0..offset_max) },
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
    let (fault, b_stream, flip) = match rng.gen_range(0..4) {
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
    let allowed = possible(&golden, &b_stream, fault, commit, lockstep);

    let mut b = Board::new(seed, params);
    let saf = (commit != Commit::CutThrough) as u32;
    // CTRL.mode 7 keeps the mode (DUPLEX); CTRL first, then OFFSET, in one request.
    match lockstep {
        Lockstep::Elastic if saf == 1 => b.write("CTRL", &[(1 << 4) | 7]),
        Lockstep::Elastic => {}
        Lockstep::Strict { offset } => b.write("CTRL", &[saf << 4 | 1 << 3 | 7, offset as u32]),
    }
    let t0 = b.cycle;
    let gap = rng.gen_range(0.0..0.5);
    let start = t0 + rng.gen_range(0..5);
    match lockstep {
        Lockstep::Elastic => {
            b.cpu[0] = Source::new(golden.clone(), gap, start);
            b.cpu[1] = Source::new(b_stream.clone(), rng.gen_range(0.0..0.5), t0 + rng.gen_range(0..16));
        }
        Lockstep::Strict { offset } => {
            b.strict_cpus(golden.clone(), gap, start, offset as usize, rng.gen());
            b.cpu[1].queue = b_stream.clone().into();
        }
    }
    if let Some((side, k)) = flip {
        b.cpu[side].flip = Some(k);
    }
    for p in b.ready_p.iter_mut() {
        *p = rng.gen_range(0.3..1.0);
    }
    b.quiet = 0;
    while b.quiet < 200 && b.cycle < t0 + 20_000 {
        b.step();
    }
    let what = format!(
        "seed {seed}: {commit:?}, {lockstep:?}, {n_frames} frames ({} words, long frame {long_frame:?}), fault {fault:?}{}",
        golden.len(),
        if matches!(fault, Fault::None) && allowed[0].causes.contains(&3) { format!(", mismatch at word {k}") } else { String::new() }
    );
    let c = &b.core;
    assert_eq!(b.got[0], b.got[1], "{what}: the disks got different words");
    let faults = c.fault_log.faults.val().to_u64();
    let observed = Outcome {
        disk: b.got[0].clone(),
        mode: c.lockstep.mode.val().to_u64() as u8,
        causes: (0..64).filter(|&x| faults >> x & 1 == 1).map(|x| x as u8).collect(),
        first_cause: Some(c.fault_log.first_cause.val().to_u64() as u8).filter(|&x| x != 0),
        words_fwd: c.counters.regs.words_fwd.val().to_u32(),
        frames_fwd: c.counters.regs.frames_fwd.val().to_u32(),
        frames_aborted: c.counters.regs.frames_aborted.val().to_u32(),
    };
    if !allowed.iter().any(|o| o.admits(&observed)) {
        // The closest allowed outcome, for the message.
        let near = allowed.iter().min_by_key(|o| o.disk.len().abs_diff(observed.disk.len())).expect("one at least");
        assert_eq!(observed.disk, near.disk, "{what}: disk words");
        assert_eq!(
            (observed.mode, &observed.causes, observed.first_cause, observed.words_fwd, observed.frames_fwd, observed.frames_aborted),
            (near.mode, &near.causes, near.first_cause.or(observed.first_cause), near.words_fwd, near.frames_fwd, near.frames_aborted),
            "{what}: (mode, FAULTS, first cause, WORDS_FWD, FRAMES_FWD, FRAMES_ABORTED)"
        );
        panic!("{what}: no allowed outcome admits {observed:?}");
    }
    if let Lockstep::Strict { offset } = lockstep {
        // While the core is in strict DUPLEX, CPU B's words move exactly D cycles after CPU
        // A's: all of them without a fault; before its faulty or differing word k; before
        // CPU A's faulty word k was taken.
        let ta = &b.taken_at[0];
        let n = match (fault, flip) {
            (Fault::Parity { side: Side::A, .. }, Some((_, k))) => {
                let tk = ta.get(k).copied().unwrap_or(usize::MAX);
                (0..k).take_while(|&i| ta[i] + (offset as usize) < tk).count()
            }
            (_, Some((_, k))) => k,
            _ if observed.causes.contains(&3) => k,
            _ => golden.len(),
        };
        b.check_b_follows_a(n, 0, &what);
    }
    (observed, lockstep, what, b.cycle)
}

/// 100 seeds, each a fresh core; every outcome class must have been exercised, in both
/// lockstep forms.
#[test]
fn core_matches_the_lockstep_model_word_for_word() {
    let (mut mismatches, mut parities, mut too_long, mut saf, mut words) = (0, 0, 0, 0, 0);
    let (mut strict, mut strict_mismatches, mut strict_failovers, mut cycles) = (0, 0, [0, 0], 0);
    for seed in 0..100 {
        let (o, lockstep, what, n) = run_seed(seed);
        cycles += n;
        if let Lockstep::Strict { .. } = lockstep {
            strict += 1;
            strict_mismatches += o.causes.contains(&3) as usize;
            strict_failovers[0] += o.causes.contains(&1) as usize;
            strict_failovers[1] += o.causes.contains(&2) as usize;
        }
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
        "100 seeds ({saf} store-and-forward, {strict} strict): {mismatches} mismatches ({strict_mismatches} strict), \
         {parities} parity fail-overs (strict: {} from CPU A, {} from CPU B), {too_long} frames too long; {words} words checked per disk, {cycles} cycles simulated",
        strict_failovers[0], strict_failovers[1]
    );
    assert!(mismatches >= 10 && parities >= 15 && too_long >= 3 && saf == 50, "{mismatches} {parities} {too_long} {saf}");
    assert!(strict == 50 && strict_mismatches >= 4 && strict_failovers[0] >= 4 && strict_failovers[1] >= 4, "strict coverage");
}
