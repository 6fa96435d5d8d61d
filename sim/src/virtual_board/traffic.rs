//! The built-in link-level load around the core: two lockstep CPU streams, two disks that
//! answer every frame, and the one deliberately corrupted CPU A word.
use crate::core_sim::CoreSim;
use crate::link::{drive_beat, drive_ready, read_beat, read_ready, Beat, LinkSink, LinkSource, Word};
use crate::port::{Link, LinkSignal, Port};
use std::collections::VecDeque;


/// The shape of the built-in traffic (`ftio sim board --traffic`).
#[derive(Clone, Debug)]
pub struct TrafficConfig {
    /// Cycles from the start of one CPU frame to the start of the next.
    pub period: u64,
    /// Words per CPU frame.
    pub frame_words: usize,
    /// CPU B's stream is CPU A's delayed by exactly this many cycles. 0 suits the power-on
    /// (elastic) lockstep; for strict lockstep set the core's OFFSET to the same value.
    pub skew: u64,
    /// Cycles from a disk receiving a frame's last word to its reply.
    pub disk_latency: u64,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        Self { period: 32, frame_words: 8, skew: 0, disk_latency: 16 }
    }
}

/// First word of CPU frame `n`: `0xC0DE` and the frame number's low 16 bits.
pub fn cpu_frame_tag(n: u64) -> u32 {
    0xC0DE_0000 | (n as u32 & 0xFFFF)
}

/// CPU frame `n`: a tag word ([`cpu_frame_tag`]) then pseudo-random words (so every parity
/// bit toggles), the same on both CPUs.
pub fn cpu_frame(n: u64, words: usize) -> Vec<Word> {
    let data: Vec<u32> = (0..words as u64)
        .map(|i| {
            if i == 0 {
                cpu_frame_tag(n)
            } else {
                let x = (n << 16 | i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                (x >> 32) as u32
            }
        })
        .collect();
    crate::link::frame(&data)
}

/// A disk's reply to a frame it received: `0xD15C` and the low 16 bits of the frame's first
/// word, then the XOR of all its words. Two disks given the same frame reply the same.
pub fn disk_reply(frame: &[u32]) -> Vec<Word> {
    let tag = 0xD15C_0000 | (frame.first().copied().unwrap_or(0) & 0xFFFF);
    let sum = frame.iter().fold(0u32, |a, &w| a ^ w);
    crate::link::frame(&[tag, sum])
}

/// The CPU frame that `reply` answers, if `reply` is exactly [`disk_reply`] to one: the
/// frame number whose low 16 bits are the reply's tag, taken next to `near` (the number
/// expected, when known).
pub fn reply_frame_number(reply: &[u32], frame_words: usize, near: Option<u64>) -> Option<u64> {
    let tag = (*reply.first()? & 0xFFFF) as u64;
    let n = match near {
        Some(e) => e & !0xFFFF | tag,
        None => tag,
    };
    let words: Vec<u32> = cpu_frame(n, frame_words).iter().map(|w| w.data).collect();
    let expect: Vec<u32> = disk_reply(&words).iter().map(|w| w.data).collect();
    (reply == expect.as_slice()).then_some(n)
}

/// One SATA controller: takes what the core sends on `disk_x_tx` and answers each complete
/// frame on `disk_x_rx` after a latency.
#[derive(Clone, Debug)]
struct DiskEnd {
    tx_link: Link,
    rx_link: Link,
    sink: LinkSink,
    source: LinkSource,
    due: VecDeque<(u64, Vec<Word>)>,
    frames: u64,
}

impl DiskEnd {
    fn new(tx_link: Link, rx_link: Link) -> Self {
        Self {
            tx_link,
            rx_link,
            sink: LinkSink::new(0, 0.0).counting_only(),
            source: LinkSource::new(0, 0.0),
            due: VecDeque::new(),
            frames: 0,
        }
    }
}

/// Counts of the built-in traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrafficStats {
    /// CPU frames queued on each CPU.
    pub cpu_frames: u64,
    /// Words taken by the core from CPU A and CPU B.
    pub cpu_words: [u64; 2],
    /// Frames received by disk A and disk B (aborted ones not counted).
    pub disk_frames: [u64; 2],
    /// Words delivered to CPU A and CPU B on their return links.
    pub returned_words: [u64; 2],
    /// Reply frames each CPU received whole and correct (a disk's reply to the CPU frame
    /// after the one the previous reply answered).
    pub replies_in_order: [u64; 2],
    /// Reply frames each CPU received out of sequence (a reply lost, repeated or reordered),
    /// malformed (not a disk reply, spliced) or with a parity error.
    pub reply_errors: [u64; 2],
    /// Words of CPU A sent with a flipped data bit.
    pub faults_injected: u64,
    /// The last of them.
    pub last_fault: Option<InjectedFault>,
}

/// Frame slots an armed CPU A fault waits for an empty datapath before the board corrupts
/// the next frame's first word anyway (its [`InjectedFault::committed`] then unknown). With the
/// default traffic the first slot finds it empty; frames with no gap between them, a CPU skew
/// longer than the gap, or a history in which the core dropped or cut words never do.
pub const FAULT_WAIT_FRAMES: u32 = 16;

/// A CPU A word the board sent corrupted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InjectedFault {
    /// Cycle it was first offered.
    pub cycle: u64,
    /// Words the core had taken from CPU A before it (its 0-based index in CPU A's stream).
    pub word_index: u64,
    /// What CAP_WORD captures for it (docs/registers.md): the words the core had committed
    /// toward the disks when it was detected, here counted where they come out: the words
    /// (abort words not counted) each disk had taken when it was offered. The board corrupts
    /// the first word of a frame queued when the datapath was empty (every word taken from
    /// either CPU had reached both disks), so no word is between a port and the commit
    /// point at detection and the count is exact; `None` when no such moment came within
    /// [`FAULT_WAIT_FRAMES`] frame slots. Counted from the board's power-on: equal to
    /// CAP_WORD for a fault with no fault_clear since power-on (the core restarts its count
    /// at a clear, which the board does not see).
    pub committed: Option<u64>,
    /// The word as the CPU meant it (its `par` is this word's).
    pub data: u32,
    /// The word as driven on `cpu_a_tx_data`.
    pub sent: u32,
}

/// The built-in traffic around the core: CPU A and B send the same frames (B's
/// [`TrafficConfig::skew`] cycles later), the disks reply, the CPUs take their returns. Every
/// link obeys SPEC §2 (a word is held until it moves; correct `par`/`cpar`/`rpar`), except
/// the one deliberately corrupted word.
#[derive(Clone, Debug)]
pub struct Traffic {
    config: TrafficConfig,
    cpu_a: LinkSource,
    cpu_b: LinkSource,
    /// Frames for CPU B and the cycle they are queued: A's, `skew` cycles later.
    cpu_b_due: VecDeque<(u64, Vec<Word>)>,
    cpu_a_rx: LinkSink,
    cpu_b_rx: LinkSink,
    /// The CPU frame number the next reply on each CPU's return link answers, once known.
    next_reply: [Option<u64>; 2],
    disks: [DiskEnd; 2],
    next_frame: u64,
    /// A CPU A fault is armed: the board looks for a frame slot with an empty datapath.
    fault_armed: bool,
    fault_bit: u8,
    /// Frame slots the armed fault has waited.
    fault_slots: u32,
    /// The word to corrupt (its index in CPU A's stream) and its committed count.
    fault_target: Option<(u64, Option<u64>)>,
    /// Words (abort words not counted) disk A and disk B have taken.
    disk_words: [u64; 2],
    /// The word now offered on cpu_a_tx carries the flipped bit (held until it moves).
    corrupting: bool,
    a_beat: Beat,
    a_held: bool,
    stats: TrafficStats,
}

impl Traffic {
    /// Traffic of `config`, nothing sent yet.
    pub fn new(config: TrafficConfig) -> Self {
        assert!(config.frame_words >= 1 && config.period >= 1);
        Self {
            config,
            cpu_a: LinkSource::new(0, 0.0),
            cpu_b: LinkSource::new(0, 0.0),
            cpu_b_due: VecDeque::new(),
            cpu_a_rx: LinkSink::new(0, 0.0).counting_only(),
            cpu_b_rx: LinkSink::new(0, 0.0).counting_only(),
            next_reply: [None; 2],
            disks: [DiskEnd::new(Link::DiskATx, Link::DiskARx), DiskEnd::new(Link::DiskBTx, Link::DiskBRx)],
            next_frame: 0,
            fault_armed: false,
            fault_bit: 0,
            fault_slots: 0,
            fault_target: None,
            disk_words: [0; 2],
            corrupting: false,
            a_beat: Beat::IDLE,
            a_held: false,
            stats: TrafficStats::default(),
        }
    }

    /// Flip data bit `bit` (0-31) of the first word of CPU A's next frame queued with the
    /// datapath empty (or, after [`FAULT_WAIT_FRAMES`] slots without, of the next frame's),
    /// leaving its parity as computed for the true data: a data parity error on `cpu_a_tx`
    /// that names CPU A, whose CAP_WORD the board knows ([`InjectedFault::committed`]).
    pub fn arm_cpu_a_fault(&mut self, bit: u8) {
        assert!(bit < 32);
        self.fault_armed = true;
        self.fault_bit = bit;
        self.fault_slots = 0;
        self.fault_target = None;
    }

    /// Nothing between the CPUs and the disks: both CPUs have sent everything queued, took
    /// as many words each, and both disks have taken that many (abort words not counted).
    /// Then every word the core took has been committed and nothing else has.
    fn datapath_empty(&self) -> bool {
        let [a, b] = self.stats.cpu_words;
        self.cpu_a.pending() == 0
            && self.cpu_b.pending() == 0
            && self.cpu_b_due.is_empty()
            && a == b
            && self.disk_words == [a, a]
    }

    /// Counts so far.
    pub fn stats(&self) -> &TrafficStats {
        &self.stats
    }

    /// Drive half of `cycle`.
    pub fn drive(&mut self, cycle: u64, sim: &mut dyn CoreSim) {
        let c = &self.config;
        // A new frame every `period` cycles, unless CPU A's words are not moving (HALTED
        // back-pressures both CPUs): the queues stay bounded, and what CPU A gets CPU B gets.
        if cycle.is_multiple_of(c.period) && self.cpu_a.pending() < 4 * c.frame_words {
            // An armed fault takes this frame's first word if nothing is in flight (CAP_WORD
            // then counts exactly the words before it), or after waiting too long.
            if self.fault_armed {
                self.fault_slots += 1;
                let empty = self.datapath_empty();
                if empty || self.fault_slots >= FAULT_WAIT_FRAMES {
                    self.fault_armed = false;
                    let index = self.stats.cpu_words[0] + self.cpu_a.pending() as u64;
                    self.fault_target = Some((index, empty.then_some(self.disk_words[0])));
                }
            }
            let f = cpu_frame(self.next_frame, c.frame_words);
            self.next_frame += 1;
            self.stats.cpu_frames += 1;
            self.cpu_a.push(f.iter().copied());
            self.cpu_b_due.push_back((cycle + c.skew, f));
        }
        while self.cpu_b_due.front().is_some_and(|(due, _)| *due <= cycle) {
            let (_, f) = self.cpu_b_due.pop_front().unwrap();
            self.cpu_b.push(f);
        }
        let mut a = self.cpu_a.drive();
        // The target word when it is first offered (a held word must stay as it was offered).
        if let Some((index, committed)) = self.fault_target {
            if a.valid && !self.a_held && self.stats.cpu_words[0] == index {
                self.fault_target = None;
                self.corrupting = true;
                self.stats.faults_injected += 1;
                self.stats.last_fault = Some(InjectedFault {
                    cycle,
                    word_index: index,
                    committed,
                    data: a.data,
                    sent: a.data ^ 1 << self.fault_bit,
                });
            }
        }
        if self.corrupting {
            a.data ^= 1 << self.fault_bit;
        }
        self.a_beat = a;
        drive_beat(sim, Link::CpuATx, a);
        drive_beat(sim, Link::CpuBTx, self.cpu_b.drive());
        drive_ready(sim, Link::CpuARx, self.cpu_a_rx.drive());
        drive_ready(sim, Link::CpuBRx, self.cpu_b_rx.drive());
        for d in &mut self.disks {
            while d.due.front().is_some_and(|(due, _)| *due <= cycle) {
                let (_, r) = d.due.pop_front().unwrap();
                d.source.push(r);
            }
            drive_beat(sim, d.rx_link, d.source.drive());
            drive_ready(sim, d.tx_link, d.sink.drive());
        }
    }

    /// Observe half of `cycle` (after `low`).
    pub fn observe(&mut self, cycle: u64, sim: &dyn CoreSim) {
        let (ready, rpar) = read_ready(sim, Link::CpuATx);
        self.a_held = self.a_beat.valid && !ready;
        if self.a_beat.valid && ready {
            self.corrupting = false;
            self.stats.cpu_words[0] += 1;
        }
        self.cpu_a.observe(ready, rpar);
        let (ready, rpar) = read_ready(sim, Link::CpuBTx);
        let b_valid = sim.get_bit(Link::CpuBTx.port(LinkSignal::Valid));
        if b_valid && ready {
            self.stats.cpu_words[1] += 1;
        }
        self.cpu_b.observe(ready, rpar);
        for (i, (link, sink)) in [(Link::CpuARx, &mut self.cpu_a_rx), (Link::CpuBRx, &mut self.cpu_b_rx)].into_iter().enumerate() {
            let before = sink.taken;
            sink.observe(read_beat(sim, link));
            self.stats.returned_words[i] += sink.taken - before;
            // Each reply is checked against the CPU frame it answers, then dropped.
            while let Some((f, bad)) = sink.pop_frame() {
                let expected = self.next_reply[i];
                let n = reply_frame_number(&f, self.config.frame_words, expected);
                match n {
                    Some(n) if !bad && expected.is_none_or(|e| e == n) => {
                        self.stats.replies_in_order[i] += 1;
                        self.next_reply[i] = Some(n + 1);
                    }
                    _ => {
                        self.stats.reply_errors[i] += 1;
                        // Resynchronise on this reply, so one error counts once.
                        self.next_reply[i] = n.map(|n| n + 1);
                    }
                }
            }
            sink.errors.clear();
        }
        let latency = self.config.disk_latency;
        for (i, d) in self.disks.iter_mut().enumerate() {
            let (ready, rpar) = read_ready(sim, d.rx_link);
            d.source.observe(ready, rpar);
            let beat = read_beat(sim, d.tx_link);
            let taken = d.sink.taken;
            d.sink.observe(beat);
            if d.sink.taken > taken && !beat.abort {
                self.disk_words[i] += 1;
            }
            d.sink.errors.clear();
            while let Some((f, _bad)) = d.sink.pop_frame() {
                d.frames += 1;
                self.stats.disk_frames[i] += 1;
                // Bounded: a disk that cannot deliver its replies stops queueing more.
                if d.due.len() < 64 && d.source.pending() < 256 {
                    d.due.push_back((cycle + latency, disk_reply(&f)));
                }
            }
        }
    }
}

/// Drives every link idle and correct: sources `valid` 0 with `cpar` 1, sinks `ready` 1 with
/// `rpar` 0; `reset` low, `uart_rx` idle high.
pub fn drive_links_idle(sim: &mut dyn CoreSim) {
    sim.set_bit(Port::Reset, false);
    sim.set_bit(Port::UartRx, true);
    for l in Link::into_core() {
        drive_beat(sim, l, Beat::IDLE);
    }
    for l in Link::out_of_core() {
        drive_ready(sim, l, (true, false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_replies() {
        let f = cpu_frame(0x12345, 4);
        assert_eq!(f.len(), 4);
        assert_eq!(f[0].data, 0xC0DE_2345);
        assert!(f[3].last && !f[0].last);
        assert_eq!(f, cpu_frame(0x12345, 4));
        assert_ne!(f[1].data, cpu_frame(0x12346, 4)[1].data);
        let data: Vec<u32> = f.iter().map(|w| w.data).collect();
        let r = disk_reply(&data);
        assert_eq!(r[0].data, 0xD15C_2345);
        assert_eq!(r[1].data, data.iter().fold(0, |a, w| a ^ w));
        assert!(r[1].last);
    }
}
