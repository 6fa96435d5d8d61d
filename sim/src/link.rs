//! Link-level building blocks for testbenches and models (SPEC §2): a [`LinkSource`] that
//! offers words and holds each until it moves, a [`LinkSink`] that takes them with optional
//! back-pressure and checks everything the SPEC says a sink can check, and helpers that put
//! them on a [`CoreSim`]'s ports.
//!
//! Every cycle has two halves, matching [`CoreSim`]: *drive* (before `low`: the source picks
//! its [`Beat`], the sink its `ready`) and *observe* (after `low`: each end learns what the
//! other end did this cycle). Decisions depend only on earlier cycles, never on the other
//! end's signals in the same cycle, so two ends can be wired straight together.
use crate::core_sim::CoreSim;
use crate::port::{Flow, Link};
use ftio_hdl::link::{byte_parity, control_parity};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;

/// A word of a frame, as the source means it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Word {
    /// The 32 data bits.
    pub data: u32,
    /// Final word of its frame.
    pub last: bool,
    /// With `last`: the frame is void.
    pub abort: bool,
}

impl Word {
    /// A word in the middle of a frame.
    pub fn mid(data: u32) -> Self {
        Self { data, last: false, abort: false }
    }
    /// The final word of a frame.
    pub fn last(data: u32) -> Self {
        Self { data, last: true, abort: false }
    }
}

/// Words of one frame from its data (the last one gets `last`).
pub fn frame(data: &[u32]) -> Vec<Word> {
    let n = data.len();
    data.iter().enumerate().map(|(i, &d)| Word { data: d, last: i + 1 == n, abort: false }).collect()
}

/// What a source drives onto a link in one cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Beat {
    /// A word is offered.
    pub valid: bool,
    /// The word.
    pub data: u32,
    /// Final word of a frame.
    pub last: bool,
    /// Frame void.
    pub abort: bool,
    /// Odd parity per data byte.
    pub par: u8,
    /// Odd parity over control.
    pub cpar: bool,
}

impl Beat {
    /// Nothing offered, control parity correct (`cpar` = 1).
    pub const IDLE: Beat = Beat { valid: false, data: 0, last: false, abort: false, par: 0, cpar: true };

    /// `w` offered with correct parity.
    pub fn offer(w: Word) -> Beat {
        Beat {
            valid: true,
            data: w.data,
            last: w.last,
            abort: w.abort,
            par: byte_parity(w.data),
            cpar: control_parity(true, w.last, w.abort),
        }
    }

    /// The word it carries.
    pub fn word(&self) -> Word {
        Word { data: self.data, last: self.last, abort: self.abort }
    }

    /// `par` disagrees with `data` (only meaningful while `valid`).
    pub fn data_parity_error(&self) -> bool {
        self.par & 0xF != byte_parity(self.data)
    }

    /// `cpar` disagrees with `valid`/`last`/`abort`.
    pub fn control_parity_error(&self) -> bool {
        self.cpar != control_parity(self.valid, self.last, self.abort)
    }
}

/// A deliberate corruption a [`LinkSource`] applies to what it drives, to exercise the
/// checkers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFault {
    /// Flip data bit `bit` of the `word`-th word offered (0-based), for as long as it is held.
    FlipData { word: u64, bit: u8 },
    /// Flip `par` bit `bit` of the `word`-th word.
    FlipPar { word: u64, bit: u8 },
    /// Flip `cpar` in cycle `cycle` (counted from the source's first cycle).
    FlipCpar { cycle: u64 },
    /// XOR `xor` into the data of the `word`-th word and send it with parity that matches
    /// the altered data: a source that computed a different value, which no parity check can
    /// see (in DUPLEX only the lockstep comparator can).
    ChangeData { word: u64, xor: u32 },
}

/// A link source obeying SPEC §2: offers the words of its queue in order, holds each
/// (`valid` and all of `data/last/abort/par`) until the sink takes it, and may leave random
/// gaps between words.
#[derive(Clone, Debug)]
pub struct LinkSource {
    queue: VecDeque<Word>,
    holding: Option<Beat>,
    rng: StdRng,
    /// Probability of offering nothing in a cycle in which a word could be offered.
    pub gap: f64,
    /// Cycles to stay idle before the first offer (skew between otherwise identical sources).
    pub start_delay: u64,
    /// Corruptions to apply.
    pub faults: Vec<SourceFault>,
    cycle: u64,
    offered: u64,
    driven: Beat,
    /// Words that moved.
    pub sent: u64,
    /// Cycles in which the sink's `rpar` was not `~ready`.
    pub ready_parity_errors: Vec<u64>,
}

impl LinkSource {
    /// An empty source; `seed` fixes its gap pattern.
    pub fn new(seed: u64, gap: f64) -> Self {
        Self {
            queue: VecDeque::new(),
            holding: None,
            rng: StdRng::seed_from_u64(seed),
            gap,
            start_delay: 0,
            faults: vec![],
            cycle: 0,
            offered: 0,
            driven: Beat::IDLE,
            sent: 0,
            ready_parity_errors: vec![],
        }
    }

    /// Queues words to send.
    pub fn push(&mut self, words: impl IntoIterator<Item = Word>) {
        self.queue.extend(words);
    }

    /// Words not yet sent (the held one included).
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Nothing left to send.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// Words offered so far (the one being held included): the index the next new word
    /// will have, as [`SourceFault`]s count them.
    pub fn offered(&self) -> u64 {
        self.offered
    }

    /// What the source drove in its last `drive`.
    pub fn driven(&self) -> Beat {
        self.driven
    }

    /// Drive half: what the source puts on the link this cycle.
    pub fn drive(&mut self) -> Beat {
        if self.holding.is_none() && self.cycle >= self.start_delay {
            if let Some(&w) = self.queue.front() {
                // One draw per cycle whatever happens, so identical sources stay identical.
                let gap = self.gap > 0.0 && self.rng.gen_bool(self.gap);
                if !gap {
                    let mut b = Beat::offer(w);
                    for f in &self.faults {
                        match *f {
                            SourceFault::FlipData { word, bit } if word == self.offered => {
                                b.data ^= 1 << bit
                            }
                            SourceFault::FlipPar { word, bit } if word == self.offered => b.par ^= 1 << bit,
                            SourceFault::ChangeData { word, xor } if word == self.offered => {
                                b.data ^= xor;
                                b.par = byte_parity(b.data);
                            }
                            _ => {}
                        }
                    }
                    self.offered += 1;
                    self.holding = Some(b);
                }
            }
        }
        let mut b = self.holding.unwrap_or(Beat::IDLE);
        if self.faults.contains(&SourceFault::FlipCpar { cycle: self.cycle }) {
            b.cpar = !b.cpar;
        }
        self.driven = b;
        b
    }

    /// Observe half: the sink's `ready` and `rpar` this cycle.
    pub fn observe(&mut self, ready: bool, rpar: bool) {
        if rpar == ready {
            self.ready_parity_errors.push(self.cycle);
        }
        if self.driven.valid && ready {
            self.queue.pop_front();
            self.holding = None;
            self.sent += 1;
        }
        self.cycle += 1;
    }
}

/// Something a [`LinkSink`] found wrong with what it received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// An offered word's `par` is wrong.
    DataParity { cycle: u64, data: u32, par: u8 },
    /// `cpar` is wrong (any cycle).
    ControlParity { cycle: u64 },
    /// The source changed or withdrew a word it offered without it moving (SPEC §2 hold rule).
    NotHeld { cycle: u64 },
    /// `abort` without `last`.
    AbortWithoutLast { cycle: u64 },
}

/// A link sink: takes words with optional random back-pressure, checks parity every cycle,
/// the hold rule, and assembles frames (an aborted frame is discarded whole).
#[derive(Clone, Debug)]
pub struct LinkSink {
    rng: StdRng,
    /// Probability of not being ready in a cycle.
    pub stall: f64,
    /// Cycles in which `rpar` is driven wrong (a fault on the ready pair).
    pub flip_rpar_cycles: Vec<u64>,
    /// From this cycle on the sink is never ready again (a hung receiver), `rpar` correct.
    pub dead_from: Option<u64>,
    ready: bool,
    cycle: u64,
    prev: Option<Beat>,
    /// Every word taken, in order (aborted frames included), while `record_words` is on.
    pub words: Vec<Word>,
    /// Keep every word in `words` (on by default; long runs turn it off).
    pub record_words: bool,
    /// Words taken.
    pub taken: u64,
    partial: Vec<u32>,
    frames: VecDeque<Vec<u32>>,
    /// Frames discarded because they ended with `abort`.
    pub aborted_frames: u64,
    /// The frame being assembled has at least one word with a parity error.
    partial_bad: bool,
    bad_frames: VecDeque<bool>,
    /// Everything found wrong.
    pub errors: Vec<LinkError>,
}

impl LinkSink {
    /// A sink; `seed` fixes its stall pattern.
    pub fn new(seed: u64, stall: f64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            stall,
            flip_rpar_cycles: vec![],
            dead_from: None,
            ready: true,
            cycle: 0,
            prev: None,
            words: vec![],
            record_words: true,
            taken: 0,
            partial: vec![],
            frames: VecDeque::new(),
            aborted_frames: 0,
            partial_bad: false,
            bad_frames: VecDeque::new(),
            errors: vec![],
        }
    }

    /// Drive half: (`ready`, `rpar`) for this cycle.
    pub fn drive(&mut self) -> (bool, bool) {
        self.ready = !(self.stall > 0.0 && self.rng.gen_bool(self.stall));
        if self.dead_from.is_some_and(|c| self.cycle >= c) {
            self.ready = false;
        }
        let rpar = !self.ready ^ self.flip_rpar_cycles.contains(&self.cycle);
        (self.ready, rpar)
    }

    /// Observe half: what the source drives this cycle.
    pub fn observe(&mut self, b: Beat) {
        let cycle = self.cycle;
        if b.control_parity_error() {
            self.errors.push(LinkError::ControlParity { cycle });
        }
        if let Some(p) = self.prev.take() {
            if !b.valid || b.data != p.data || b.last != p.last || b.abort != p.abort || b.par != p.par {
                self.errors.push(LinkError::NotHeld { cycle });
            }
        }
        if b.valid {
            if b.abort && !b.last {
                self.errors.push(LinkError::AbortWithoutLast { cycle });
            }
            let bad = b.data_parity_error();
            if bad {
                self.errors.push(LinkError::DataParity { cycle, data: b.data, par: b.par });
            }
            if self.ready {
                self.taken += 1;
                if self.record_words {
                    self.words.push(b.word());
                }
                self.partial.push(b.data);
                self.partial_bad |= bad;
                if b.last {
                    let f = std::mem::take(&mut self.partial);
                    if b.abort {
                        self.aborted_frames += 1;
                    } else {
                        self.frames.push_back(f);
                        self.bad_frames.push_back(self.partial_bad);
                    }
                    self.partial_bad = false;
                }
            } else {
                self.prev = Some(b);
            }
        }
        self.cycle += 1;
    }

    /// The next complete frame, with whether any of its words had a parity error.
    pub fn pop_frame(&mut self) -> Option<(Vec<u32>, bool)> {
        let f = self.frames.pop_front()?;
        Some((f, self.bad_frames.pop_front().unwrap_or(false)))
    }

    /// Complete frames waiting to be popped.
    pub fn frames_waiting(&self) -> usize {
        self.frames.len()
    }

    /// The same sink, not keeping every word (for long runs).
    pub fn counting_only(mut self) -> Self {
        self.record_words = false;
        self
    }

    /// Words of an unfinished frame.
    pub fn partial_len(&self) -> usize {
        self.partial.len()
    }
}

/// Puts a source's beat on an into-core link of the simulator.
pub fn drive_beat(sim: &mut dyn CoreSim, link: Link, b: Beat) {
    debug_assert_eq!(link.flow(), Flow::IntoCore);
    sim.set_beat(link, b);
}

/// Puts a sink's `ready`/`rpar` on an out-of-core link of the simulator.
pub fn drive_ready(sim: &mut dyn CoreSim, link: Link, ready: (bool, bool)) {
    debug_assert_eq!(link.flow(), Flow::OutOfCore);
    sim.set_ready(link, ready);
}

/// What the core drives on an out-of-core link this cycle.
pub fn read_beat(sim: &dyn CoreSim, link: Link) -> Beat {
    debug_assert_eq!(link.flow(), Flow::OutOfCore);
    sim.beat(link)
}

/// The core's (`ready`, `rpar`) on an into-core link this cycle.
pub fn read_ready(sim: &dyn CoreSim, link: Link) -> (bool, bool) {
    debug_assert_eq!(link.flow(), Flow::IntoCore);
    sim.ready_pair(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Source straight into sink with gaps and stalls: every word arrives once, in order,
    /// with no protocol errors; an injected data flip is reported.
    #[test]
    fn source_to_sink_is_lossless_and_checked() {
        let mut src = LinkSource::new(1, 0.3);
        let mut sink = LinkSink::new(2, 0.4);
        let words: Vec<Word> = (0..500u32).map(|i| Word { data: i * 7919, last: i % 5 == 4, abort: false }).collect();
        src.push(words.clone());
        src.faults.push(SourceFault::FlipData { word: 17, bit: 3 });
        for _ in 0..3000 {
            let b = src.drive();
            let r = sink.drive();
            sink.observe(b);
            src.observe(r.0, r.1);
        }
        assert!(src.is_idle());
        let mut expect = words.clone();
        expect[17].data ^= 1 << 3;
        assert_eq!(sink.words, expect);
        assert_eq!(sink.errors.len(), 1, "{:?}", sink.errors);
        assert!(matches!(sink.errors[0], LinkError::DataParity { .. }));
        let mut n = 0;
        while let Some((f, bad)) = sink.pop_frame() {
            assert_eq!(f.len(), 5);
            assert_eq!(bad, n == 3, "frame 3 holds word 17");
            n += 1;
        }
        assert_eq!(n, 100);
    }

    #[test]
    fn sink_catches_a_source_that_does_not_hold() {
        let mut sink = LinkSink::new(0, 1.0);
        sink.drive();
        sink.observe(Beat::offer(Word::mid(1)));
        sink.drive();
        sink.observe(Beat::offer(Word::mid(2)));
        assert_eq!(sink.errors, vec![LinkError::NotHeld { cycle: 1 }]);
    }
}
