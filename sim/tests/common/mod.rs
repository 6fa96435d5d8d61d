//! Pieces shared by the randomized differential tests (`lockstep_model`, `return_model`):
//! a link source that offers words with random gaps, and random link words.
#![allow(dead_code)] // each test binary uses its own subset

use ftio_hdl::link::{byte_parity, pack_word};
use rand::{rngs::StdRng, Rng};
use std::collections::VecDeque;

/// A SPEC §2 source: offers its words in order with random gaps after `start`; `flip`
/// corrupts a data bit of that word (parity as it was: a link parity error); after
/// `stop_after` words it offers nothing more.
pub struct Source {
    pub queue: VecDeque<u64>,
    pub offering: bool,
    pub gap: f64,
    pub start: usize,
    pub sent: usize,
    pub flip: Option<usize>,
    pub stop_after: Option<usize>,
}

impl Source {
    pub fn new(words: Vec<u64>, gap: f64, start: usize) -> Self {
        Self { queue: words.into(), offering: false, gap, start, sent: 0, flip: None, stop_after: None }
    }
    pub fn idle() -> Self {
        Self::new(vec![], 0.0, 0)
    }
    pub fn offer(&mut self, t: usize, rng: &mut StdRng) -> (u64, bool) {
        let stopped = self.stop_after == Some(self.sent);
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
