//! A transaction-level reference model of the core's write path (SPEC §4) in elastic and in
//! strict lockstep, power-on policy (auto fail-over), both disks healthy: given the word
//! streams both CPUs offer and at most one fault, it predicts the exact word sequence each
//! disk must receive, the final mode, the fault causes latched and the forwarding counters —
//! for cut-through and for store-and-forward commit. Plain Rust, no rust-hdl: it knows
//! nothing of cycles, only of the order of words, which is all the SPEC promises at the disk
//! links. (What strict lockstep promises in cycles — CPU B's `tx_ready` and everything on its
//! `rx` link are CPU A's, D cycles later — is a rule about the CPU links that the
//! differential tests check cycle by cycle.)
//!
//! The rules it encodes (see `docs/lockstep.md`):
//! * Pairs are compared in order. The first pair that differs in data, `last` or `abort`,
//!   with no parity error, is a mismatch: the core halts. Elastic: the mismatch is found at
//!   the comparator, so the pairs before it were committed. Strict: it is found at CPU B's
//!   port, where B's offer is checked against A's of D cycles before, as soon as B offers the
//!   word — pairs before it still waiting in the skew FIFOs (how many depends on the
//!   back-pressure) are never committed: the committed stream is `a[..j]` for some j ≤ k.
//!   Either way, if the frame was in flight (the last committed word was not a `last`) the
//!   committed stream ends with the abort word.
//! * A parity error on one CPU's word (data, `par`, or a control bit caught by `cpar`) names
//!   that CPU, in either lockstep form and at every D, including 0: the core fails over to
//!   the other (SIMPLEX), whose whole stream is committed, hitless. In strict lockstep the
//!   faulty word is never taken for a mismatch.
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

/// Lockstep kind (CTRL.lockstep) and, for strict, OFFSET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lockstep {
    /// Streams compared word by word; either side may run ahead.
    Elastic,
    /// CPU B exactly `offset` cycles behind CPU A, its offers checked against A's.
    Strict {
        /// D.
        offset: u64,
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
/// it, the mode and the lockstep's cause. `cut`: for a mismatch at pair k, how many pairs
/// were committed before the halt (`None`: all k of them).
fn lockstep(a: &[u64], b: &[u64], fault: Fault, cut: Option<usize>) -> (Vec<u64>, bool, u8, Option<u8>) {
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
                    let j = cut.unwrap_or(k).min(k);
                    let mut c = a[..j].to_vec();
                    let in_flight = j > 0 && !is_last(a[j - 1]);
                    if in_flight {
                        c.push(ABORT_WORD);
                    }
                    (c, in_flight, mode::HALTED, Some(cause::MISMATCH))
                }
            }
        }
    }
}

/// The index of the first pair that differs with no parity fault (a mismatch), if any.
pub fn mismatch_at(a: &[u64], b: &[u64], fault: Fault) -> Option<usize> {
    match fault {
        Fault::Parity { .. } => None,
        Fault::None => (0..a.len().min(b.len())).find(|&i| compared(a[i]) != compared(b[i])),
    }
}

/// Predicts what the disks receive, in elastic lockstep (the one outcome).
pub fn predict(a: &[u64], b: &[u64], fault: Fault, commit: Commit) -> Outcome {
    outcome(a, b, fault, commit, None)
}

/// Every outcome the rules allow in lockstep form `lockstep`: one, except for a mismatch in
/// strict lockstep, where the pairs committed before the halt are `a[..j]` for any j up to
/// the mismatching pair k (those still in the skew FIFOs are never sent).
pub fn possible(a: &[u64], b: &[u64], fault: Fault, commit: Commit, lockstep: Lockstep) -> Vec<Outcome> {
    match (lockstep, mismatch_at(a, b, fault)) {
        (Lockstep::Strict { .. }, Some(k)) => (0..=k).map(|j| outcome(a, b, fault, commit, Some(j))).collect(),
        _ => vec![outcome(a, b, fault, commit, None)],
    }
}

impl Outcome {
    /// `observed` is this prediction (a first cause of `None` here admits any).
    pub fn admits(&self, observed: &Outcome) -> bool {
        let first_ok = self.first_cause.is_none() || self.first_cause == observed.first_cause;
        first_ok && Outcome { first_cause: observed.first_cause, ..self.clone() } == *observed
    }
}

fn outcome(a: &[u64], b: &[u64], fault: Fault, commit: Commit, cut: Option<usize>) -> Outcome {
    let (committed, appended, mode, ls_cause) = lockstep(a, b, fault, cut);
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
    fn strict_parity_fails_over_and_a_mismatch_may_leave_pairs_uncommitted() {
        let g = frames(&[3, 4, 2]);
        let strict = Lockstep::Strict { offset: 0 };
        for side in [Side::A, Side::B] {
            let o = possible(&g, &g, Fault::Parity { side, word: 4 }, Commit::CutThrough, strict);
            assert_eq!(o.len(), 1);
            assert_eq!(o[0].disk, g, "the healthy stream, whole, at every D");
            assert_eq!(o[0].mode, if side == Side::A { mode::SIMPLEX_B } else { mode::SIMPLEX_A });
        }
        let mut b = g.clone();
        b[5] ^= 1;
        let o = possible(&g, &b, Fault::None, Commit::CutThrough, strict);
        assert_eq!(o.len(), 6, "0 to 5 pairs committed before the halt");
        assert_eq!(o[5], predict(&g, &b, Fault::None, Commit::CutThrough), "all of them: as elastic");
        assert_eq!((o[0].disk.len(), o[0].frames_aborted), (0, 0));
        assert_eq!(o[3].disk, g[..3].to_vec(), "on a frame boundary: no abort word");
        assert_eq!(o[4].disk, [&g[..4], &[ABORT_WORD]].concat());
        assert!(o.iter().all(|x| x.mode == mode::HALTED && x.first_cause == Some(cause::MISMATCH)));
        assert!(o[2].admits(&o[2]) && !o[2].admits(&o[1]));
        let saf = possible(&g, &b, Fault::None, Commit::StoreAndForward { depth: 8 }, strict);
        assert!(saf.iter().all(|x| x.disk.is_empty() || x.disk == g[..3]), "only whole frames");
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
