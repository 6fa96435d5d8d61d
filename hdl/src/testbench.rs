//! Cycle-stepping helpers for testbenches that drive a block directly (no threads): set the
//! inputs, `settle` with the clock low and sample what the block shows this cycle, then
//! `edge` to clock it. Faster and easier to reason about than rust-hdl's threaded
//! `Simulation` for cycle-exact checks.
use rust_hdl::prelude::*;

/// Propagates combinational logic until nothing changes.
pub fn settle<B: Block>(uut: &mut B) {
    assert!(simulate(uut, 200), "logic did not settle (combinational loop?)");
}

/// Lowers the clock and settles: outputs now show this cycle's values for the inputs set.
pub fn low<B: Block>(uut: &mut B, clock: fn(&mut B) -> &mut Signal<In, Clock>) {
    clock(uut).next = Clock { clk: false };
    settle(uut);
}

/// Raises the clock (the rising edge ends the cycle) and settles.
pub fn edge<B: Block>(uut: &mut B, clock: fn(&mut B) -> &mut Signal<In, Clock>) {
    clock(uut).next = Clock { clk: true };
    settle(uut);
}

/// A host on the other end of the core's UART, for testbenches: queues bytes to send as 8N1
/// at `clocks_per_bit`, and decodes what the core sends back (sampling mid-bit).
pub struct UartHost {
    clocks_per_bit: u64,
    line: std::collections::VecDeque<bool>,
    rx: Option<(u64, Vec<bool>)>,
    /// Bytes received from the core so far.
    pub received: Vec<u8>,
}

impl UartHost {
    /// A host at `clocks_per_bit` clocks per bit.
    pub fn new(clocks_per_bit: u64) -> Self {
        Self { clocks_per_bit, line: Default::default(), rx: None, received: vec![] }
    }

    /// Queues `bytes` (start bit, 8 data bits LSB first, stop bit each).
    pub fn send(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let mut bits = vec![false];
            bits.extend((0..8).map(|i| b >> i & 1 == 1));
            bits.push(true);
            for bit in bits {
                self.line.extend(std::iter::repeat(bit).take(self.clocks_per_bit as usize));
            }
        }
    }

    /// Queues `bits` bit times of idle line.
    pub fn idle(&mut self, bits: u64) {
        self.line.extend(std::iter::repeat(true).take((bits * self.clocks_per_bit) as usize));
    }

    /// Nothing left to send and no byte coming in.
    pub fn quiet(&self) -> bool {
        self.line.is_empty() && self.rx.is_none()
    }

    /// The level to drive on the core's `uart_rx` this cycle.
    pub fn drive(&mut self) -> bool {
        self.line.pop_front().unwrap_or(true)
    }

    /// Samples the core's `uart_tx` this cycle.
    pub fn observe(&mut self, tx: bool) {
        let cpb = self.clocks_per_bit;
        match &mut self.rx {
            None => {
                if !tx {
                    self.rx = Some((cpb + cpb / 2, vec![]));
                }
            }
            Some((count, bits)) => {
                *count -= 1;
                if *count == 0 {
                    bits.push(tx);
                    *count = cpb;
                    if bits.len() == 9 {
                        assert!(tx, "stop bit of a byte from the core");
                        let byte = bits[..8].iter().rev().fold(0u8, |b, &x| b << 1 | x as u8);
                        self.received.push(byte);
                        self.rx = None;
                    }
                }
            }
        }
    }
}

/// Drives 40 words through a block that passes one word stream (`rx` in, `tx` out: a skid, a
/// registered stage), the sink stalling one cycle in every `stall_every` (0: never), and
/// checks the stream: the words come out in order, none lost or doubled; the source's `ready`
/// does not follow the sink's in the same cycle; at most `max_held` words are inside; with
/// no stalls a word a cycle passes `latency` cycles after it was taken, so the 40 take
/// 40 + `latency` cycles.
#[cfg(test)]
pub fn check_stream_under_stalls<B: Block>(
    s: &mut B,
    ports: fn(&mut B) -> (&mut crate::link::StreamRx, &mut crate::link::StreamTx),
    clock: fn(&mut B) -> &mut Signal<In, Clock>,
    stall_every: usize,
    latency: u64,
    max_held: u64,
) {
    let (mut next_in, mut next_out, mut t) = (0u64, 0u64, 0u64);
    while next_out < 40 && t < 400 {
        let ready = stall_every == 0 || t % stall_every as u64 != 0;
        let (rx, tx) = ports(s);
        tx.ready.next = ready;
        rx.valid.next = next_in < 40;
        rx.data.next = (next_in | 0xAB_0000_0000).into();
        low(s, clock);
        let in_ready = ports(s).0.ready.val();
        ports(s).1.ready.next = !ready;
        low(s, clock);
        assert_eq!(ports(s).0.ready.val(), in_ready, "rx.ready follows the sink's ready");
        ports(s).1.ready.next = ready;
        low(s, clock);
        let (out_valid, out_data) = (ports(s).1.valid.val(), ports(s).1.data.val().to_u64());
        if stall_every == 0 && t >= latency {
            assert!(in_ready && out_valid && next_in == next_out + latency, "a word a cycle, {latency} cycles after it is taken");
        }
        if out_valid && ready {
            assert_eq!(out_data, next_out | 0xAB_0000_0000);
            next_out += 1;
        }
        if next_in < 40 && in_ready {
            next_in += 1;
        }
        assert!(next_in - next_out <= max_held, "{max_held} words held at most");
        edge(s, clock);
        t += 1;
    }
    assert_eq!(next_out, 40, "stall every {stall_every}");
    if stall_every == 0 {
        assert_eq!(t, 40 + latency, "a word a cycle after {latency} cycles of latency");
    }
}
