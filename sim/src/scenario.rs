//! Reusable input generators ([`Stimulus`]) for the core: link traffic from [`LinkSource`]s
//! into the core, [`LinkSink`]s taking what leaves it, reset pulses, and a UART line.
//!
//! The named scenarios at the bottom are the ones the equivalence tests run. New ones (strict
//! lockstep with an offset: two sources with the same seed and words, the second with
//! `start_delay = D`; fault campaigns: [`SourceFault`]s and sink `rpar` flips) are built
//! from the same parts.
use crate::core_sim::CoreSim;
use crate::equivalence::Stimulus;
use crate::link::{drive_beat, drive_ready, read_beat, read_ready, Beat, LinkSink, LinkSource, SourceFault, Word};
use crate::port::{Flow, Link, Port};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::ops::Range;

/// Drives `uart_rx` with 8N1 bytes (LSB first, idle high) at `divider` clock cycles per bit.
#[derive(Clone, Debug)]
pub struct UartLine {
    /// Clock cycles per bit.
    pub divider: u64,
    bytes: VecDeque<u8>,
    /// Bits of the byte on the line (start, 8 data, stop), and cycles left in the current bit.
    shifting: Option<(u16, u32, u64)>,
    /// Idle cycles before the first byte.
    pub start_delay: u64,
    cycle: u64,
}

impl UartLine {
    /// A line that stays idle (high) until bytes are queued.
    pub fn idle(divider: u64) -> Self {
        Self { divider, bytes: VecDeque::new(), shifting: None, start_delay: 0, cycle: 0 }
    }

    /// Queues bytes to send.
    pub fn send(&mut self, bytes: &[u8]) {
        self.bytes.extend(bytes);
    }

    /// Everything sent.
    pub fn is_idle(&self) -> bool {
        self.bytes.is_empty() && self.shifting.is_none()
    }

    /// The line level for this cycle (call once per cycle).
    pub fn level(&mut self) -> bool {
        self.cycle += 1;
        if self.shifting.is_none() && self.cycle > self.start_delay {
            if let Some(b) = self.bytes.pop_front() {
                // frame: bit 0 start (0), bits 1..=8 data LSB first, bit 9 stop (1)
                self.shifting = Some((((b as u16) << 1) | (1 << 9), 0, self.divider));
            }
        }
        match self.shifting.as_mut() {
            None => true,
            Some((bits, index, left)) => {
                let level = (*bits >> *index) & 1 == 1;
                *left -= 1;
                if *left == 0 {
                    *index += 1;
                    *left = self.divider;
                    if *index == 10 {
                        self.shifting = None;
                    }
                }
                level
            }
        }
    }
}

/// Link traffic around the core: a source on any into-core link, a sink on any out-of-core
/// link, reset pulses and a UART line. Links without a source are driven idle with correct
/// parity; links without a sink are always ready.
#[derive(Clone, Debug)]
pub struct LinkTraffic {
    /// Sources on into-core links.
    pub sources: Vec<(Link, LinkSource)>,
    /// Sinks on out-of-core links.
    pub sinks: Vec<(Link, LinkSink)>,
    /// Cycles in which `reset` is high.
    pub reset: Vec<Range<u64>>,
    /// The `uart_rx` line.
    pub uart: UartLine,
}

impl LinkTraffic {
    /// No traffic, sinks always ready, UART idle at `uart_divider` cycles per bit.
    pub fn quiet(uart_divider: u64) -> Self {
        Self { sources: vec![], sinks: vec![], reset: vec![], uart: UartLine::idle(uart_divider) }
    }

    /// The source on `link`.
    pub fn source(&mut self, link: Link) -> &mut LinkSource {
        &mut self.sources.iter_mut().find(|s| s.0 == link).expect("no source on that link").1
    }

    /// The sink on `link`.
    pub fn sink(&mut self, link: Link) -> &mut LinkSink {
        &mut self.sinks.iter_mut().find(|s| s.0 == link).expect("no sink on that link").1
    }

    /// Every source has sent everything.
    pub fn sources_done(&self) -> bool {
        self.sources.iter().all(|(_, s)| s.is_idle())
    }
}

impl Stimulus for LinkTraffic {
    fn drive(&mut self, cycle: u64, sim: &mut dyn CoreSim) {
        sim.set_bit(Port::Reset, self.reset.iter().any(|r| r.contains(&cycle)));
        sim.set_bit(Port::UartRx, self.uart.level());
        for link in Link::all() {
            match link.flow() {
                Flow::IntoCore => {
                    let b = match self.sources.iter_mut().find(|s| s.0 == link) {
                        Some((_, s)) => s.drive(),
                        None => Beat::IDLE,
                    };
                    drive_beat(sim, link, b);
                }
                Flow::OutOfCore => {
                    let r = match self.sinks.iter_mut().find(|s| s.0 == link) {
                        Some((_, s)) => s.drive(),
                        None => (true, false),
                    };
                    drive_ready(sim, link, r);
                }
            }
        }
    }

    fn observe(&mut self, _cycle: u64, sim: &dyn CoreSim) {
        for (link, s) in &mut self.sources {
            let (ready, rpar) = read_ready(sim, *link);
            s.observe(ready, rpar);
        }
        for (link, s) in &mut self.sinks {
            s.observe(read_beat(sim, *link));
        }
    }
}

/// `n` words of random data in frames of 1..=`max_len` words; a frame is aborted (its last
/// word carries `abort`) with probability `abort_p`.
pub fn random_frames(seed: u64, n: usize, max_len: usize, abort_p: f64) -> Vec<Word> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let len = rng.gen_range(1..=max_len).min(n - out.len());
        let abort = rng.gen_bool(abort_p);
        for i in 0..len {
            let last = i + 1 == len;
            out.push(Word { data: rng.gen(), last, abort: last && abort });
        }
    }
    out
}

/// Traffic on all four into-core links (random frames, `words` each) into sinks on all four
/// out-of-core links. `gap` and `stall` are the sources' gap and the sinks' stall
/// probabilities.
pub fn traffic(seed: u64, words: usize, gap: f64, stall: f64) -> LinkTraffic {
    let mut t = LinkTraffic::quiet(868);
    for (i, link) in Link::into_core().enumerate() {
        let mut s = LinkSource::new(seed ^ (0x100 + i as u64), gap);
        s.push(random_frames(seed ^ (0x200 + i as u64), words, 12, 0.1));
        t.sources.push((link, s));
    }
    for (i, link) in Link::out_of_core().enumerate() {
        t.sinks.push((link, LinkSink::new(seed ^ (0x300 + i as u64), stall)));
    }
    t
}

/// Lockstep traffic: CPU A and CPU B send the same frames with the same gap pattern, B
/// starting `offset` cycles after A (the stimulus of strict lockstep with offset D, or of
/// elastic lockstep with a skew); both disks return their own random frames; every sink
/// stalls with probability `stall`.
pub fn lockstep_traffic(seed: u64, words: usize, offset: u64, gap: f64, stall: f64) -> LinkTraffic {
    let mut t = traffic(seed, words, gap, stall);
    let frames = random_frames(seed ^ 0x400, words, 12, 0.1);
    for (link, delay) in [(Link::CpuATx, 0), (Link::CpuBTx, offset)] {
        let mut s = LinkSource::new(seed ^ 0x500, gap);
        s.start_delay = delay;
        s.push(frames.clone());
        *t.source(link) = s;
    }
    t
}

/// A named scenario: an input generator and how many cycles to run it.
pub struct Scenario {
    /// Name, for reports.
    pub name: &'static str,
    /// Cycles to run.
    pub cycles: u64,
    /// The generator.
    pub stimulus: LinkTraffic,
}

/// Full-rate traffic on every link, every sink always ready.
pub fn full_rate(seed: u64) -> Scenario {
    Scenario { name: "full_rate", cycles: 700, stimulus: traffic(seed, 600, 0.0, 0.0) }
}

/// Random gaps at every source and random back-pressure at every sink.
pub fn random_backpressure(seed: u64) -> Scenario {
    Scenario { name: "random_backpressure", cycles: 2000, stimulus: traffic(seed, 500, 0.3, 0.4) }
}

/// Traffic with a corrupted data bit, a corrupted `par` bit, a corrupted `cpar` and a
/// corrupted `rpar`, each on a different link.
pub fn parity_faults(seed: u64) -> Scenario {
    let mut t = traffic(seed, 300, 0.2, 0.2);
    t.source(Link::CpuBTx).faults.push(SourceFault::FlipData { word: 5, bit: 9 });
    t.source(Link::DiskARx).faults.push(SourceFault::FlipPar { word: 40, bit: 2 });
    t.source(Link::CpuATx).faults.push(SourceFault::FlipCpar { cycle: 120 });
    t.sink(Link::DiskBTx).flip_rpar_cycles.push(200);
    Scenario { name: "parity_faults", cycles: 600, stimulus: t }
}

/// No link traffic; `uart_rx` idle high for long enough to cover several UART bit times at
/// the default 100 MHz / 115200 baud.
pub fn uart_rx_idle() -> Scenario {
    Scenario { name: "uart_rx_idle", cycles: 3000, stimulus: LinkTraffic::quiet(868) }
}

/// Bytes on `uart_rx` at `divider` cycles per bit (an `ID` read request of SPEC §5, then
/// garbage), with traffic on the links.
pub fn uart_rx_bytes(seed: u64, divider: u64) -> Scenario {
    let mut t = traffic(seed, 200, 0.2, 0.2);
    t.uart = UartLine::idle(divider);
    t.uart.start_delay = 20;
    // A5 | read | addr 0 | count 1 | crc: a complete request, then bytes that are not one.
    let request = [0xA5, 0x01, 0x00, 0x00, 0x01];
    let crc = crc16_ibm3740(&request[1..]);
    t.uart.send(&request);
    t.uart.send(&crc.to_be_bytes());
    t.uart.send(&[0x00, 0xFF, 0xA5, 0x5A]);
    let cycles = 20 + 11 * divider * 11 + 40 * divider;
    Scenario { name: "uart_rx_bytes", cycles, stimulus: t }
}

/// [`lockstep_traffic`] with CPU B 3 cycles behind CPU A, every sink always ready.
pub fn lockstep_offset(seed: u64) -> Scenario {
    Scenario { name: "lockstep_offset", cycles: 700, stimulus: lockstep_traffic(seed, 500, 3, 0.2, 0.0) }
}

/// Synchronous reset pulses in the middle of traffic with back-pressure.
pub fn reset_during_traffic(seed: u64) -> Scenario {
    let mut t = traffic(seed, 400, 0.2, 0.3);
    t.reset = vec![150..151, 400..404];
    Scenario { name: "reset_during_traffic", cycles: 1200, stimulus: t }
}

/// CRC-16/IBM-3740 (SPEC §5): poly 0x1021, init 0xFFFF, no reflection, xorout 0.
pub fn crc16_ibm3740(bytes: &[u8]) -> u16 {
    let mut crc = 0xFFFFu16;
    for &b in bytes {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16_ibm3740(b"123456789"), 0x29B1);
    }

    #[test]
    fn uart_line_sends_8n1_lsb_first() {
        let mut u = UartLine::idle(3);
        u.send(&[0b1010_0011]);
        let levels: Vec<bool> = (0..36).map(|_| u.level()).collect();
        let bits: Vec<bool> = levels.chunks(3).map(|c| {
            assert!(c.iter().all(|&x| x == c[0]), "a bit lasts `divider` cycles");
            c[0]
        }).collect();
        assert_eq!(bits, [false, true, true, false, false, false, true, false, true, true, true, true]);
        assert!(u.is_idle());
    }
}
