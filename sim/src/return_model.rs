//! A transaction-level reference model of the core's return path (SPEC §4 "Return path" and
//! the disk-link faults) in DUPLEX, elastic or strict lockstep: given the word streams both disks offer
//! on their `rx` links, the primary disk, read-verify and at most one fault (on a disk link,
//! or a CPU isolated by the write path's fail-over), it predicts the exact word sequence each
//! CPU receives, which disk ends up failed, the causes latched and the return counters. Plain
//! Rust, no rust-hdl, no cycles: it speaks only of the order of words, which is all the SPEC
//! promises at the CPU links. It is the companion of [`crate::lockstep_model`] (the write
//! path); `docs/lockstep.md` states the rules.
//!
//! The rules:
//! * Both CPUs receive the primary disk's stream, whole, in order: in elastic lockstep each
//!   at its own pace; in strict lockstep CPU B's `rx` link is CPU A's delayed by exactly D
//!   cycles (its `valid` included), so B takes each word exactly D cycles after A took it,
//!   for as long as the core is in DUPLEX.
//! * A disk fault (a parity error on one of its `rx` words or on its `ready`/`rpar`, or its
//!   `tx_ready` held low with a write waiting beyond DISK_TIMEOUT) marks that disk failed and
//!   latches its cause; the mode stays DUPLEX. The disks executed the same commands, so they
//!   return the same words: when the failed disk is the primary the CPUs carry on with the
//!   secondary's copy, hitless — no word lost, repeated or spliced — and a primary word that
//!   arrived with a parity error is never delivered, the secondary's copy goes instead. When
//!   the failed disk is the secondary nothing changes for the CPUs.
//! * Read-verify compares each delivered primary word with the secondary's (data, `par`,
//!   `last`, `abort`); a difference latches DISK_DIVERGENCE and the primary's word is still
//!   delivered. A primary word held back for its parity error is never compared. A secondary
//!   word with a parity error may or may not be compared before its disk is failed (that
//!   depends on when the primary's copy arrives); the parity cause is latched first either way.
//! * When the write path isolates a CPU (auto fail-over to SIMPLEX on a CPU fault), the
//!   served CPU still receives the whole stream, hitless — every word exactly once, in order,
//!   whichever side it is and in either lockstep form (in strict, CPU B after a fail-over to
//!   SIMPLEX_B also gets the words that were still queued for CPU A or inside the delay
//!   line); nothing enters the isolated one's return buffer after the switch, so it receives
//!   a prefix.
//! * WORDS_RETURNED counts each delivered word once, whichever CPUs take it. A disk word with
//!   bad data parity counts in that disk's PERR counter once per cycle it is offered (so at
//!   least once); a `ready`/`rpar` error counts once per cycle it lasts.
//!
//! Not modelled: cycles (beyond strict's "B takes each word D cycles after A"), SIMPLEX or
//! SPLIT set by the host, host writes of CTRL.primary with returns in flight, two faults, and
//! streams of different contents around a fail-over (the hitless switch assumes the disks
//! agree).
pub use crate::lockstep_model::Lockstep;
use std::collections::BTreeSet;
use std::ops::RangeInclusive;

/// Bit of the internal word that marks a parity error found at ingress.
const PERR: u32 = 38;

/// Cause codes of the disk faults (`ftio_proto::Cause`).
pub mod cause {
    /// Parity error on disk A's rx words or its ready/rpar.
    pub const DISK_A_PARITY: u8 = 6;
    /// Parity error on disk B's links.
    pub const DISK_B_PARITY: u8 = 7;
    /// Disk A stalled beyond DISK_TIMEOUT.
    pub const DISK_A_TIMEOUT: u8 = 8;
    /// Disk B stalled beyond DISK_TIMEOUT.
    pub const DISK_B_TIMEOUT: u8 = 9;
    /// Read-verify: the disks returned different words.
    pub const DISK_DIVERGENCE: u8 = 10;
}

/// A disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disk {
    /// Disk A.
    A,
    /// Disk B.
    B,
}

impl Disk {
    /// 0 for disk A, 1 for disk B.
    pub fn index(self) -> usize {
        self as usize
    }
    /// The other disk.
    pub fn other(self) -> Disk {
        match self {
            Disk::A => Disk::B,
            Disk::B => Disk::A,
        }
    }
    fn parity_cause(self) -> u8 {
        [cause::DISK_A_PARITY, cause::DISK_B_PARITY][self.index()]
    }
    fn timeout_cause(self) -> u8 {
        [cause::DISK_A_TIMEOUT, cause::DISK_B_TIMEOUT][self.index()]
    }
}

/// The one disk-side fault of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskFault {
    /// Nothing (the streams may still differ: that is a divergence, seen with read-verify).
    None,
    /// Word `word` of this disk's return stream arrives with bad data parity.
    RxParity {
        /// The disk.
        disk: Disk,
        /// Index of the word in its return stream.
        word: usize,
    },
    /// This disk's `rpar` equals its `ready` for one cycle, at any moment.
    ReadyParity {
        /// The disk.
        disk: Disk,
    },
    /// The disk stops for good: it offers no return word after its first `returned`, and
    /// holds `tx_ready` low while the core has a write waiting for it (so it times out).
    Stop {
        /// The disk.
        disk: Disk,
        /// Return words it offers before it stops.
        returned: usize,
    },
}

impl DiskFault {
    fn disk(self) -> Option<Disk> {
        match self {
            DiskFault::None => None,
            DiskFault::RxParity { disk, .. } | DiskFault::ReadyParity { disk } | DiskFault::Stop { disk, .. } => {
                Some(disk)
            }
        }
    }
}

/// A CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cpu {
    /// CPU A.
    A,
    /// CPU B.
    B,
}

/// The model's prediction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnOutcome {
    /// The words each served CPU receives, in order (both CPUs alike in DUPLEX).
    pub cpu: Vec<u64>,
    /// The CPU isolated by a fail-over of the write path: it receives a prefix of `cpu`.
    pub isolated: Option<Cpu>,
    /// Strict lockstep: D. While the core is in DUPLEX, CPU B takes return word i exactly D
    /// cycles after CPU A took it (for every word both take when no CPU is isolated).
    pub b_after_a: Option<u64>,
    /// The disk marked failed at the end (STATUS.disk_a_failed / disk_b_failed).
    pub failed: Option<Disk>,
    /// Causes that must be latched (FAULTS as a set).
    pub causes: BTreeSet<u8>,
    /// Causes that may be latched as well, depending on timing.
    pub may_also: BTreeSet<u8>,
    /// STATUS.cause (`None`: no fault).
    pub first_cause: Option<u8>,
    /// WORDS_RETURNED.
    pub words_returned: u32,
    /// TIMEOUTS.
    pub timeouts: u32,
    /// The range PERR_DISK_A and PERR_DISK_B must lie in.
    pub perr_disk: [RangeInclusive<u32>; 2],
}

/// What read-verify compares: data, `par`, `last`, `abort`.
fn compared(w: u64) -> u64 {
    w & ((1 << PERR) - 1)
}

/// Predicts what the CPUs receive from disk streams `a` and `b` (words as the disks mean to
/// send them: good parity, no `perr` bit; the fault says what goes wrong on the wire).
/// `isolated`: the CPU the write path fails over from at some moment, if any (its causes
/// are the write model's, [`crate::lockstep_model`]).
pub fn predict_returns(
    a: &[u64],
    b: &[u64],
    primary: Disk,
    read_verify: bool,
    fault: DiskFault,
    isolated: Option<Cpu>,
    lockstep: Lockstep,
) -> ReturnOutcome {
    let streams = [a, b];
    let p = streams[primary.index()];
    let s = streams[primary.other().index()];
    assert!(
        a.iter().chain(b).all(|&w| w >> PERR & 1 == 0),
        "streams are the disks' intent; parity faults come from `fault`"
    );
    if fault != DiskFault::None {
        // A fail-over continues on the other disk from where the primary stopped: only
        // defined when both disks return the same words.
        assert_eq!(a, b, "a disk fault with diverging disks: not modelled");
    }
    assert!(isolated.is_none() || fault == DiskFault::None, "two faults: not modelled");
    if read_verify {
        // The primary's extra words would wait for the secondary's for ever.
        assert_eq!(a.len(), b.len(), "read-verify of streams of different lengths: not modelled");
    }
    match fault {
        DiskFault::RxParity { disk, word } => assert!(word < streams[disk.index()].len()),
        DiskFault::Stop { disk, returned } => assert!(returned <= streams[disk.index()].len()),
        _ => {}
    }

    let mut causes = BTreeSet::new();
    let mut may_also = BTreeSet::new();
    let mut perr_disk = [0..=0, 0..=0];
    let mut timeouts = 0;
    match fault {
        DiskFault::None => {
            if read_verify && p.iter().zip(s).any(|(&x, &y)| compared(x) != compared(y)) {
                causes.insert(cause::DISK_DIVERGENCE);
            }
        }
        DiskFault::RxParity { disk, .. } => {
            causes.insert(disk.parity_cause());
            perr_disk[disk.index()] = 1..=u32::MAX;
            if read_verify && disk != primary {
                may_also.insert(cause::DISK_DIVERGENCE);
            }
        }
        DiskFault::ReadyParity { disk } => {
            causes.insert(disk.parity_cause());
            perr_disk[disk.index()] = 1..=1;
        }
        DiskFault::Stop { disk, .. } => {
            causes.insert(disk.timeout_cause());
            timeouts = 1;
        }
    }
    // With one fault there is at most one certain cause, and it comes first.
    let first_cause = causes.iter().next().copied();
    ReturnOutcome {
        // Whatever fails, the CPUs get the primary's stream as it was meant: a fail-over
        // carries on with the secondary's identical copy.
        cpu: p.to_vec(),
        isolated,
        b_after_a: match lockstep {
            Lockstep::Elastic => None,
            Lockstep::Strict { offset } => Some(offset),
        },
        failed: fault.disk(),
        causes,
        may_also,
        first_cause,
        words_returned: p.len() as u32,
        timeouts,
        perr_disk,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftio_proto::Cause;

    fn words(base: u64, n: usize) -> Vec<u64> {
        (0..n as u64).map(|i| base + i | ((i % 4 == 3) as u64) << 36).collect()
    }

    #[test]
    fn cause_codes_are_the_register_tables() {
        assert_eq!(cause::DISK_A_PARITY, Cause::DiskAParity.code() as u8);
        assert_eq!(cause::DISK_B_PARITY, Cause::DiskBParity.code() as u8);
        assert_eq!(cause::DISK_A_TIMEOUT, Cause::DiskATimeout.code() as u8);
        assert_eq!(cause::DISK_B_TIMEOUT, Cause::DiskBTimeout.code() as u8);
        assert_eq!(cause::DISK_DIVERGENCE, Cause::DiskDivergence.code() as u8);
    }

    #[test]
    fn the_primary_answers_and_divergence_needs_read_verify() {
        let a = words(0x100, 9);
        let mut b = a.clone();
        b[4] ^= 1 << 37;
        let o = predict_returns(&a, &b, Disk::B, false, DiskFault::None, None, Lockstep::Elastic);
        assert_eq!((o.cpu, o.failed, o.causes.len(), o.words_returned), (b.clone(), None, 0, 9));
        let o = predict_returns(&a, &b, Disk::A, true, DiskFault::None, None, Lockstep::Elastic);
        assert_eq!(o.cpu, a);
        assert_eq!(o.causes, [cause::DISK_DIVERGENCE].into());
        assert_eq!(o.first_cause, Some(cause::DISK_DIVERGENCE));
    }

    #[test]
    fn disk_faults_fail_the_disk_and_the_cpus_see_one_seamless_stream() {
        let g = words(0x200, 12);
        let o = predict_returns(&g, &g, Disk::A, true, DiskFault::RxParity { disk: Disk::A, word: 5 }, None, Lockstep::Elastic);
        assert_eq!((o.cpu.clone(), o.failed), (g.clone(), Some(Disk::A)));
        assert_eq!(o.causes, [cause::DISK_A_PARITY].into());
        assert!(o.may_also.is_empty(), "a held primary word is never compared");
        let o = predict_returns(&g, &g, Disk::A, true, DiskFault::RxParity { disk: Disk::B, word: 5 }, None, Lockstep::Elastic);
        assert_eq!(o.may_also, [cause::DISK_DIVERGENCE].into());
        assert_eq!((o.first_cause, o.perr_disk), (Some(cause::DISK_B_PARITY), [0..=0, 1..=u32::MAX]));
        let o = predict_returns(&g, &g, Disk::B, false, DiskFault::Stop { disk: Disk::B, returned: 3 }, None, Lockstep::Elastic);
        assert_eq!((o.cpu, o.failed, o.timeouts), (g, Some(Disk::B), 1));
        assert_eq!(o.causes, [cause::DISK_B_TIMEOUT].into());
    }

    #[test]
    fn a_cpu_fail_over_keeps_serving_the_healthy_cpu() {
        let g = words(0x300, 7);
        let o = predict_returns(&g, &g, Disk::A, false, DiskFault::None, Some(Cpu::A), Lockstep::Elastic);
        assert_eq!((o.cpu, o.isolated, o.words_returned, o.failed), (g, Some(Cpu::A), 7, None));
        assert!(o.causes.is_empty(), "the CPU's cause is the write path's");
        assert_eq!(o.b_after_a, None);
    }

    #[test]
    fn strict_lockstep_gives_b_a_s_returns_d_cycles_later_and_the_same_words() {
        let g = words(0x400, 9);
        for (iso, fault) in [(None, DiskFault::RxParity { disk: Disk::A, word: 2 }), (Some(Cpu::A), DiskFault::None), (Some(Cpu::B), DiskFault::None)] {
            let o = predict_returns(&g, &g, Disk::A, true, fault, iso, Lockstep::Strict { offset: 7 });
            assert_eq!((o.cpu.clone(), o.b_after_a, o.isolated), (g.clone(), Some(7), iso), "the served CPU gets every word once, in order");
            assert_eq!(ReturnOutcome { b_after_a: None, ..o }, predict_returns(&g, &g, Disk::A, true, fault, iso, Lockstep::Elastic));
        }
    }
}
