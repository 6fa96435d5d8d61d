//! Randomized differential test: rust-hdl's simulation of the whole `FtioCore` against the
//! transaction-level model `ftio_sim::lockstep_model`, word for word on both disk links, plus
//! the final mode, the latched causes and the forwarding counters.
//!
//! Each seed draws: the commit kind (cut-through, or store-and-forward set over the UART
//! with a 16-word frame buffer, `frame_depth_log2 = 4`, so frames that are too long are
//! cheap), random frames (sometimes one longer than the buffer), random gaps and start skew
//! per CPU, random back-pressure per disk, and at most one fault: a parity error on CPU A or
//! CPU B at a random word, or a mismatch (CPU B's word changed, good parity) at a random word.
use ftio_hdl::link::{byte_parity, pack_word};
use ftio_hdl::CoreParams;
use ftio_sim::lockstep_model::{predict, Commit, Fault, Outcome, Side};
use rand::{rngs::StdRng, Rng, SeedableRng};

mod common;
use common::{Board, Source};

fn word(rng: &mut StdRng, last: bool) -> u64 {
    common::word(rng, last, false)
}

const FRAME_DEPTH_LOG2: u8 = 4;

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

    let mut b = Board::new(seed, CoreParams { frame_depth_log2: FRAME_DEPTH_LOG2, ..CoreParams::default() });
    if commit != Commit::CutThrough {
        b.write("CTRL", &[(1 << 4) | 7]);
    }
    let t0 = b.cycle;
    b.cpu[0] = Source::new(golden.clone(), rng.gen_range(0.0..0.5), t0 + rng.gen_range(0..5));
    b.cpu[1] = Source::new(std::mem::take(&mut b_stream), rng.gen_range(0.0..0.5), t0 + rng.gen_range(0..16));
    if let Some((side, k)) = flip {
        b.cpu[side].flip = Some(k);
    }
    b.ready_p[0] = rng.gen_range(0.3..1.0);
    b.ready_p[1] = rng.gen_range(0.3..1.0);
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
        assert_eq!(b.got[i].len(), expect.disk.len(), "{what}: {name} word count");
        assert_eq!(b.got[i], expect.disk, "{what}: {name} words");
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
