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
