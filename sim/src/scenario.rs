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

/// Decodes what the core sends on `uart_tx` (8N1, LSB first, sampled mid-bit) at `divider`
/// clock cycles per bit.
#[derive(Clone, Debug)]
pub struct UartReceiver {
    /// Clock cycles per bit.
    pub divider: u64,
    /// (cycles to the next sample, bits sampled so far) while a byte is coming in.
    shifting: Option<(u64, Vec<bool>)>,
    /// Every byte received.
    pub bytes: Vec<u8>,
    /// Bytes whose stop bit was low.
    pub framing_errors: u64,
}

impl UartReceiver {
    /// A receiver at `divider` cycles per bit.
    pub fn new(divider: u64) -> Self {
        Self { divider, shifting: None, bytes: vec![], framing_errors: 0 }
    }

    /// Samples the line once per cycle.
    pub fn observe(&mut self, level: bool) {
        match &mut self.shifting {
            None => {
                if !level {
                    // The start bit's edge: sample the first data bit 1.5 bit times later.
                    self.shifting = Some((self.divider + self.divider / 2, vec![]));
                }
            }
            Some((left, bits)) => {
                *left -= 1;
                if *left == 0 {
                    bits.push(level);
                    *left = self.divider;
                    if bits.len() == 9 {
                        if !bits[8] {
                            self.framing_errors += 1;
                        }
                        self.bytes.push(bits[..8].iter().rev().fold(0u8, |b, &x| (b << 1) | x as u8));
                        self.shifting = None;
                    }
                }
            }
        }
    }

    /// No byte is coming in.
    pub fn is_idle(&self) -> bool {
        self.shifting.is_none()
    }
}

/// The bytes of a SPEC §5 read request for `count` registers from `addr`.
pub fn read_request(addr: u16, count: u8) -> Vec<u8> {
    ftio_proto::Request::read(addr, count).encode()
}

/// Decodes the response to a read request from `bytes` (what the core sent).
pub fn read_response(bytes: &[u8]) -> Result<Vec<u32>, ResponseError> {
    let (r, _) = ftio_proto::Response::decode(bytes, ftio_proto::CMD_READ)?;
    if r.status != ftio_proto::Status::Ok {
        return Err(ResponseError::Status(r.status));
    }
    Ok(r.data)
}

/// Why [`read_response`] found no data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// The bytes are not a response frame.
    #[error(transparent)]
    Frame(#[from] ftio_proto::FrameError),
    /// The core answered with an error status.
    #[error("status {0}")]
    Status(ftio_proto::Status),
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
    /// What the core sends on `uart_tx`, decoded at the same divider as `uart`.
    pub uart_out: UartReceiver,
}

impl LinkTraffic {
    /// No traffic, sinks always ready, UART idle at `uart_divider` cycles per bit.
    pub fn quiet(uart_divider: u64) -> Self {
        Self {
            sources: vec![],
            sinks: vec![],
            reset: vec![],
            uart: UartLine::idle(uart_divider),
            uart_out: UartReceiver::new(uart_divider),
        }
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

    /// Sets the UART divider of both directions.
    pub fn uart_divider(&mut self, divider: u64) {
        self.uart = UartLine::idle(divider);
        self.uart_out = UartReceiver::new(divider);
    }

    /// Queues a read of `count` registers from `addr`, sent from cycle `at`.
    pub fn read_registers_at(&mut self, at: u64, addr: u16, count: u8) {
        self.uart.start_delay = at;
        self.uart.send(&read_request(addr, count));
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
        self.uart_out.observe(sim.get_bit(Port::UartTx));
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

/// Independent traffic on all four into-core links (random frames, `words` each) into sinks
/// on all four out-of-core links: the stimulus of SPLIT mode (in DUPLEX the two CPU streams
/// differ at once and the core halts). `gap` and `stall` are the sources' gap and the
/// sinks' stall probabilities.
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

/// DUPLEX traffic: CPU A and CPU B send the same frames, B starting `skew` cycles after A;
/// with `same_gaps` both leave the same gaps (B's pattern is A's shifted by `skew`),
/// otherwise each has its own random gap pattern, so the skew wanders. Both disks return
/// their own random frames; every sink stalls with probability `stall`.
pub fn duplex_traffic(seed: u64, words: usize, skew: u64, gap: f64, stall: f64, same_gaps: bool) -> LinkTraffic {
    let mut t = traffic(seed, words, gap, stall);
    let frames = random_frames(seed ^ 0x400, words, 12, 0.1);
    for (link, delay, gap_seed) in [(Link::CpuATx, 0, 0x500), (Link::CpuBTx, skew, if same_gaps { 0x500 } else { 0x501 })] {
        let mut s = LinkSource::new(seed ^ gap_seed, gap);
        s.start_delay = delay;
        s.push(frames.clone());
        *t.source(link) = s;
    }
    t
}

/// Lockstep traffic: [`duplex_traffic`] with the same gap pattern on both CPUs, B starting
/// `offset` cycles after A (the stimulus of strict lockstep with offset D, or of elastic
/// lockstep with a fixed skew).
pub fn lockstep_traffic(seed: u64, words: usize, offset: u64, gap: f64, stall: f64) -> LinkTraffic {
    duplex_traffic(seed, words, offset, gap, stall, true)
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

/// Clock cycles per UART bit of [`fast_uart_params`]: the fault scenarios read `STATUS`
/// over the UART at the end, and at 8 cycles per bit a read takes about 1 500 cycles.
pub const FAST_UART_DIVIDER: u64 = 8;

/// The default core with a UART of 8 clocks per bit (1 MHz / 125 kBd), so that register
/// reads fit in a short simulation. The datapath is the default one, cycle for cycle.
pub fn fast_uart_params() -> ftio_hdl::BuildParams {
    ftio_hdl::BuildParams { clock_hz: 1_000_000, baud: 125_000, ..ftio_hdl::BuildParams::default() }
}

/// Cycles a read of `count` registers takes on the fast UART, request to last response
/// byte, with some slack for the parser.
pub fn fast_read_cycles(count: u8) -> u64 {
    (7 + 5 + 4 * count as u64) * 10 * FAST_UART_DIVIDER + 200
}

/// Full-rate DUPLEX traffic on every link (CPU B 3 cycles behind A), every sink always ready.
pub fn full_rate(seed: u64) -> Scenario {
    Scenario { name: "full_rate", cycles: 700, stimulus: lockstep_traffic(seed, 600, 3, 0.0, 0.0) }
}

/// DUPLEX with random gaps at every source (each CPU its own pattern, so the skew between
/// them wanders) and random back-pressure at every sink, heavy enough (60 %) that the skew
/// FIFOs and buffers fill and the sources are held up too.
pub fn random_backpressure(seed: u64) -> Scenario {
    Scenario { name: "random_backpressure", cycles: 2500, stimulus: duplex_traffic(seed, 500, 7, 0.3, 0.6, false) }
}

/// Appends a `STATUS` read (fast UART) after `cycles` of traffic; returns the new length.
fn then_read_status(t: &mut LinkTraffic, cycles: u64) -> u64 {
    t.uart_divider(FAST_UART_DIVIDER);
    t.read_registers_at(cycles, ftio_proto::reg("STATUS").addr, 1);
    cycles + fast_read_cycles(1)
}

/// DUPLEX traffic in which CPU A's word `word` arrives with data bit 13 flipped (parity
/// left as it was): a parity fault on CPU A's link, so the core fails over to SIMPLEX_B.
/// Ends with a `STATUS` read over the UART (run it with [`fast_uart_params`]).
pub fn cpu_a_parity_failover(seed: u64, word: u64) -> Scenario {
    let mut t = duplex_traffic(seed, 400, 4, 0.2, 0.2, false);
    t.source(Link::CpuATx).faults.push(SourceFault::FlipData { word, bit: 13 });
    let cycles = then_read_status(&mut t, 1200);
    Scenario { name: "cpu_a_parity_failover", cycles, stimulus: t }
}

/// DUPLEX traffic in which CPU B's return link has its `rpar` wrong in cycle `cycle` (a
/// parity fault on CPU B's ready pair): fail-over to SIMPLEX_A. Ends with a `STATUS` read.
pub fn cpu_b_ready_parity_failover(seed: u64, cycle: u64) -> Scenario {
    let mut t = duplex_traffic(seed, 400, 2, 0.2, 0.2, false);
    t.sink(Link::CpuBRx).flip_rpar_cycles.push(cycle);
    let cycles = then_read_status(&mut t, 1200);
    Scenario { name: "cpu_b_ready_parity_failover", cycles, stimulus: t }
}

/// DUPLEX traffic in which CPU B's word `word` carries different data with good parity: a
/// content mismatch no parity check sees, so the core halts and ends the frame in flight
/// with an abort word on both disks. Ends with a `STATUS` read.
pub fn mismatch_halts(seed: u64, word: u64) -> Scenario {
    let mut t = duplex_traffic(seed, 400, 5, 0.2, 0.2, false);
    t.source(Link::CpuBTx).faults.push(SourceFault::ChangeData { word, xor: 0x0100_0000 });
    let cycles = then_read_status(&mut t, 1000);
    Scenario { name: "mismatch_halts", cycles, stimulus: t }
}

/// Store-and-forward commit (CTRL.commit = 1, written over the fast UART first; the CPUs
/// start once the write has been answered), then DUPLEX traffic in which CPU B's word
/// `word` carries different data with good parity: the core halts and the divergent frame
/// reaches neither disk, not even as an abort word. Run it with [`fast_uart_params`].
pub fn saf_mismatch_drops_the_frame(seed: u64, word: u64) -> Scenario {
    let mut t = duplex_traffic(seed, 400, 5, 0.2, 0.2, false);
    t.uart_divider(FAST_UART_DIVIDER);
    let ctrl = ftio_proto::reg("CTRL");
    t.uart.send(&ftio_proto::Request::write(ctrl.addr, &[(1 << 4) | 7]).encode());
    // Write request (10 bytes) and response (5 bytes), with slack for the parser.
    let start = 15 * 10 * FAST_UART_DIVIDER + 200;
    for link in [Link::CpuATx, Link::CpuBTx] {
        t.source(link).start_delay += start;
    }
    t.source(Link::CpuBTx).faults.push(SourceFault::ChangeData { word, xor: 0x0100_0000 });
    Scenario { name: "saf_mismatch_drops_the_frame", cycles: start + 1200, stimulus: t }
}

/// DUPLEX traffic in which disk B's return word `word` arrives with a `par` bit flipped: disk
/// B is marked failed and writes go on to disk A alone. Ends with a `STATUS` read.
pub fn disk_b_parity_degrades(seed: u64, word: u64) -> Scenario {
    let mut t = duplex_traffic(seed, 400, 3, 0.2, 0.2, false);
    t.source(Link::DiskBRx).faults.push(SourceFault::FlipPar { word, bit: 1 });
    let cycles = then_read_status(&mut t, 1200);
    Scenario { name: "disk_b_parity_degrades", cycles, stimulus: t }
}

/// DUPLEX traffic in which disk A (the primary) stops taking words from cycle `from` on:
/// after DISK_TIMEOUT (4096) cycles with a word waiting it is marked failed, writes go on
/// to disk B and the returns come from disk B. Ends with a `STATUS` read.
pub fn disk_a_stall_timeout(seed: u64, from: u64) -> Scenario {
    let mut t = duplex_traffic(seed, 600, 3, 0.2, 0.1, false);
    t.sink(Link::DiskATx).dead_from = Some(from);
    // Slow returns (about one word in eight cycles), so both disks are still answering when
    // disk A is failed, some 4 200 cycles in.
    t.source(Link::DiskARx).gap = 0.88;
    t.source(Link::DiskBRx).gap = 0.88;
    let cycles = then_read_status(&mut t, from + 4096 + 900);
    Scenario { name: "disk_a_stall_timeout", cycles, stimulus: t }
}

/// No link traffic; `uart_rx` idle high for long enough to cover several UART bit times at
/// the default 100 MHz / 115200 baud.
pub fn uart_rx_idle() -> Scenario {
    Scenario { name: "uart_rx_idle", cycles: 3000, stimulus: LinkTraffic::quiet(868) }
}

/// Bytes on `uart_rx` at `divider` cycles per bit (an `ID` read request of SPEC §5, then
/// garbage), with DUPLEX traffic on the links.
pub fn uart_rx_bytes(seed: u64, divider: u64) -> Scenario {
    let mut t = duplex_traffic(seed, 200, 2, 0.2, 0.2, false);
    t.uart_divider(divider);
    t.uart.start_delay = 20;
    // A5 | read | addr 0 | count 1 | crc: a complete request, then bytes that are not one.
    let request = [0xA5, 0x01, 0x00, 0x00, 0x01];
    let crc = crc16_ibm3740(&request[1..]);
    t.uart.send(&request);
    t.uart.send(&crc.to_be_bytes());
    t.uart.send(&[0x00, 0xFF, 0xA5, 0x5A]);
    // The 11 bytes sent, then the 9-byte reply to the read: it starts a few cycles after the
    // request's last stop bit (the parser checks each address in two cycles), so it ends
    // well inside 60 more bit times after the garbage.
    let cycles = 20 + 11 * divider * 11 + 60 * divider;
    Scenario { name: "uart_rx_bytes", cycles, stimulus: t }
}

/// [`lockstep_traffic`] with CPU B 3 cycles behind CPU A, every sink always ready.
pub fn lockstep_offset(seed: u64) -> Scenario {
    Scenario { name: "lockstep_offset", cycles: 700, stimulus: lockstep_traffic(seed, 500, 3, 0.2, 0.0) }
}

/// Synchronous reset pulses in the middle of DUPLEX traffic with back-pressure. Both CPUs
/// leave the same gaps with no skew, so a reset empties both skew FIFOs at the same point
/// of the two streams and they stay aligned.
pub fn reset_during_traffic(seed: u64) -> Scenario {
    let mut t = duplex_traffic(seed, 600, 0, 0.2, 0.3, true);
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
