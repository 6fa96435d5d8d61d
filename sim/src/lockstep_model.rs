//! A transaction-level reference model of the core's write path (SPEC §4) in elastic
//! lockstep, power-on policy (auto fail-over), both disks healthy: given the word streams
//! both CPUs offer and at most one fault, it predicts the exact word sequence each disk must
//! receive, the final mode, the fault causes latched and the forwarding counters — for
//! cut-through and for store-and-forward commit. Plain Rust, no rust-hdl: it knows nothing
//! of cycles, only of the order of words, which is all the SPEC promises at the disk links.
//!
//! The rules it encodes (see `docs/lockstep.md`):
//! * Pairs are compared in order. The first pair that differs in data, `last` or `abort`,
//!   with no parity error, is a mismatch: the core halts; the pairs before it were committed;
//!   if the frame was in flight (the pair before it was not a `last`) the committed stream
//!   ends with the abort word.
//! * A parity error on one CPU's word names that CPU: the core fails over to the other
//!   (SIMPLEX), whose whole stream is committed, hitless.
//! * Cut-through: the disks get the committed stream. Store-and-forward with a buffer of
//!   `depth` words: only frames that end with `last` without `abort` and are at most `depth`
//!   words long; a longer frame is dropped whole (FRAME_TOO_LONG), so is one ended by the
//!   abort word.
//! * Both disks get the same words (mirror).
use std::collections::BTreeSet;

/// Bit positions in a core word (`ftio_hdl::link::Word`).
const LAST: u32 = 36;
const ABORT: u32 = 37;

/// The containment word (`ftio_hdl::lockstep::ABORT_WORD`).
pub const ABORT_WORD: u64 = (0xF << 32) | (1 << LAST) | (1 << ABORT);

/// CTRL.mode codes.
pub mod mode {
    /// Both CPUs compared, mirrored.
    pub const DUPLEX: u8 = 0;
    /// CPU A alone.
    pub const SIMPLEX_A: u8 = 1;
    /// CPU B alone.
    pub const SIMPLEX_B: u8 = 2;
    /// Nothing forwarded.
    pub const HALTED: u8 = 4;
}

/// Cause codes (`ftio_proto::Cause`).
pub mod cause {
    /// Parity error on CPU A's link.
    pub const CPU_A_PARITY: u8 = 1;
    /// Parity error on CPU B's link.
    pub const CPU_B_PARITY: u8 = 2;
    /// Unattributable mismatch.
    pub const MISMATCH: u8 = 3;
    /// Store-and-forward frame longer than the buffer.
    pub const FRAME_TOO_LONG: u8 = 13;
}

/// CPU side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// CPU A.
    A,
    /// CPU B.
    B,
}

/// Commit kind (CTRL.commit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    /// Agreed words go on at once.
    CutThrough,
    /// Frames held until their `last`; the buffer holds `depth` words.
    StoreAndForward {
        /// 2^frame_depth_log2.
        depth: usize,
    },
}

/// What happens to the streams besides their contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Nothing.
    None,
    /// The word with this index on this side's link carries a parity error.
    Parity {
        /// The side.
        side: Side,
        /// Index of the word in that side's stream.
        word: usize,
    },
}

/// The model's prediction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The words each disk receives, in order (both disks alike).
    pub disk: Vec<u64>,
    /// The mode at the end.
    pub mode: u8,
    /// Every cause latched (the FAULTS bitmap as a set).
    pub causes: BTreeSet<u8>,
    /// The first cause, when the order of the faults is fixed by the word order (`None`
    /// with no fault, or when it depends on timing: a parity fault and a too-long frame).
    pub first_cause: Option<u8>,
    /// WORDS_FWD.
    pub words_fwd: u32,
    /// FRAMES_FWD.
    pub frames_fwd: u32,
    /// FRAMES_ABORTED.
    pub frames_aborted: u32,
}

fn is_last(w: u64) -> bool {
    w >> LAST & 1 == 1
}

fn is_abort(w: u64) -> bool {
    w >> ABORT & 1 == 1
}

/// What the comparator looks at: data, `last`, `abort` (not parity, not `perr`).
fn compared(w: u64) -> u64 {
    w & (0xFFFF_FFFF | 1 << LAST | 1 << ABORT)
}

/// The committed stream (Lockstep output), whether the Lockstep appended its abort word to
/// it, the mode and the lockstep's cause.
fn lockstep(a: &[u64], b: &[u64], fault: Fault) -> (Vec<u64>, bool, u8, Option<u8>) {
    match fault {
        Fault::Parity { side, .. } => {
            // Fail-over: the healthy side's stream, whole.
            let (healthy, mode, cause) = match side {
                Side::A => (b, mode::SIMPLEX_B, cause::CPU_A_PARITY),
                Side::B => (a, mode::SIMPLEX_A, cause::CPU_B_PARITY),
            };
            (healthy.to_vec(), false, mode, Some(cause))
        }
        Fault::None => {
            assert_eq!(a.len(), b.len(), "streams of different lengths end in a TIMEOUT: not modelled");
            match (0..a.len()).find(|&i| compared(a[i]) != compared(b[i])) {
                None => (a.to_vec(), false, mode::DUPLEX, None),
                Some(k) => {
                    let mut c = a[..k].to_vec();
                    let in_flight = k > 0 && !is_last(a[k - 1]);
                    if in_flight {
                        c.push(ABORT_WORD);
                    }
                    (c, in_flight, mode::HALTED, Some(cause::MISMATCH))
                }
            }
        }
    }
}

/// Predicts what the disks receive.
pub fn predict(a: &[u64], b: &[u64], fault: Fault, commit: Commit) -> Outcome {
    let (committed, appended, mode, ls_cause) = lockstep(a, b, fault);
    let mut causes = BTreeSet::new();
    causes.extend(ls_cause);
    let (disk, words_fwd, frames_fwd, frames_aborted, too_long) = match commit {
        Commit::CutThrough => {
            let words = committed.len() - appended as usize;
            let frames = committed.iter().filter(|&&w| is_last(w) && !is_abort(w)).count();
            (committed.clone(), words, frames, appended as usize, 0)
        }
        Commit::StoreAndForward { depth } => {
            let (mut out, mut frames, mut dropped, mut too_long) = (vec![], 0, 0, 0);
            let mut cur: Vec<u64> = vec![];
            let mut dropping = false;
            for &w in &committed {
                let ends = is_last(w);
                if dropping {
                    dropping = !ends;
                    continue;
                }
                if ends && is_abort(w) {
                    dropped += 1;
                    cur.clear();
                } else if cur.len() == depth {
                    // Word depth + 1 of the frame: dropped whole, the rest skipped.
                    too_long += 1;
                    dropped += 1;
                    cur.clear();
                    dropping = !ends;
                } else {
                    cur.push(w);
                    if ends {
                        out.append(&mut cur);
                        frames += 1;
                    }
                }
            }
            let n = out.len();
            (out, n, frames, dropped, too_long)
        }
    };
    if too_long > 0 {
        causes.insert(cause::FRAME_TOO_LONG);
    }
    let first_cause = match (ls_cause, too_long > 0) {
        (None, false) => None,
        (Some(c), false) => Some(c),
        (None, true) => Some(cause::FRAME_TOO_LONG),
        // A too-long frame before the mismatching pair is taken by the gate before that
        // pair is compared; one at or after it never gets there.
        (Some(cause::MISMATCH), true) => Some(cause::FRAME_TOO_LONG),
        (Some(_), true) => None,
    };
    Outcome {
        disk,
        mode,
        causes,
        first_cause,
        words_fwd: words_fwd as u32,
        frames_fwd: frames_fwd as u32,
        frames_aborted: frames_aborted as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(d: u32, last: bool) -> u64 {
        d as u64 | (last as u64) << LAST
    }

    fn frames(lens: &[usize]) -> Vec<u64> {
        let mut v = vec![];
        for (f, &n) in lens.iter().enumerate() {
            for i in 0..n {
                v.push(w((f * 100 + i) as u32, i + 1 == n));
            }
        }
        v
    }

    #[test]
    fn clean_streams_go_through_whole() {
        let g = frames(&[3, 1, 5]);
        for commit in [Commit::CutThrough, Commit::StoreAndForward { depth: 8 }] {
            let o = predict(&g, &g, Fault::None, commit);
            assert_eq!(o.disk, g);
            assert_eq!((o.mode, o.words_fwd, o.frames_fwd, o.frames_aborted), (mode::DUPLEX, 9, 3, 0));
            assert!(o.causes.is_empty());
        }
    }

    #[test]
    fn mismatch_mid_frame() {
        let a = frames(&[3, 4, 2]);
        let mut b = a.clone();
        b[5] ^= 1;
        let ct = predict(&a, &b, Fault::None, Commit::CutThrough);
        assert_eq!(ct.disk, [&a[..5], &[ABORT_WORD]].concat());
        assert_eq!((ct.mode, ct.first_cause, ct.words_fwd, ct.frames_fwd, ct.frames_aborted), (mode::HALTED, Some(3), 5, 1, 1));
        let saf = predict(&a, &b, Fault::None, Commit::StoreAndForward { depth: 8 });
        assert_eq!(saf.disk, a[..3].to_vec());
        assert_eq!((saf.words_fwd, saf.frames_fwd, saf.frames_aborted), (3, 1, 1));
        // On a frame boundary: no abort word, nothing dropped.
        let mut b = a.clone();
        b[3] ^= 1;
        let ct = predict(&a, &b, Fault::None, Commit::CutThrough);
        assert_eq!((ct.disk.len(), ct.frames_aborted), (3, 0));
    }

    #[test]
    fn parity_fails_over_and_too_long_drops() {
        let g = frames(&[3, 10, 2]);
        let o = predict(&g, &g, Fault::Parity { side: Side::B, word: 4 }, Commit::StoreAndForward { depth: 8 });
        assert_eq!(o.disk, [&g[..3], &g[13..]].concat());
        assert_eq!(o.mode, mode::SIMPLEX_A);
        assert_eq!(o.causes, [2, 13].into_iter().collect());
        assert_eq!(o.first_cause, None);
        assert_eq!((o.words_fwd, o.frames_fwd, o.frames_aborted), (5, 2, 1));
    }
}
