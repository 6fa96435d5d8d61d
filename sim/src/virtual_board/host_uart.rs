//! The host's end of the core's UART: bytes to 8N1 levels on `uart_rx`, `uart_tx` levels
//! back to bytes, cycle by cycle.
use std::collections::VecDeque;

/// The host's end of the core's UART, stepped once per clock cycle: shifts queued bytes onto
/// `uart_rx` (start bit, 8 data bits LSB first, stop bit; idle high) and decodes `uart_tx`,
/// sampling each bit at its middle (as `ftio_hdl::testbench::UartHost` does).
#[derive(Clone, Debug)]
pub struct HostUart {
    clocks_per_bit: u64,
    /// Bytes not yet started, each with the idle cycles the line must have had before it.
    queue: VecDeque<(u8, u64)>,
    /// Cycles the line has been idle (high, no byte shifting) since the last stop bit.
    idle_cycles: u64,
    /// Frame bits of the byte going out (bit 0 first), its bit index, cycles left in the bit.
    shifting: Option<(u16, u8, u64)>,
    /// Decoding a byte from the core: cycles to the next sample, bits so far, count.
    receiving: Option<(u64, u16, u8)>,
    /// Bytes from the core whose stop bit was low (dropped).
    pub framing_errors: u64,
}

impl HostUart {
    /// A UART of `clocks_per_bit` clocks per bit, line idle.
    pub fn new(clocks_per_bit: u64) -> Self {
        assert!(clocks_per_bit >= 2);
        // The line has been idle since before power-on: a first byte need not wait.
        let idle_cycles = u64::MAX / 2;
        Self { clocks_per_bit, queue: VecDeque::new(), idle_cycles, shifting: None, receiving: None, framing_errors: 0 }
    }

    /// Clocks per bit.
    pub fn clocks_per_bit(&self) -> u64 {
        self.clocks_per_bit
    }

    /// Queues bytes for `uart_rx`, back to back after whatever is queued.
    pub fn send(&mut self, bytes: &[u8]) {
        self.send_after_idle(bytes, 0);
    }

    /// Queues bytes for `uart_rx`; the first starts only once the line has been idle for at
    /// least `idle_cycles` cycles after the byte before it (a host's pause), the rest follow
    /// back to back.
    pub fn send_after_idle(&mut self, bytes: &[u8], idle_cycles: u64) {
        for (i, &b) in bytes.iter().enumerate() {
            self.queue.push_back((b, if i == 0 { idle_cycles } else { 0 }));
        }
    }

    /// Bytes queued and not yet started.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// A byte is going out or coming in, or bytes are queued.
    pub fn busy(&self) -> bool {
        !self.queue.is_empty() || self.shifting.is_some() || self.receiving.is_some()
    }

    /// The `uart_rx` level for this cycle.
    pub fn drive(&mut self) -> bool {
        if self.shifting.is_none() {
            if let Some(&(b, idle)) = self.queue.front() {
                if self.idle_cycles >= idle {
                    self.queue.pop_front();
                    self.shifting = Some(((b as u16) << 1 | 1 << 9, 0, self.clocks_per_bit));
                }
            }
        }
        let Some((bits, index, left)) = self.shifting.as_mut() else {
            self.idle_cycles = self.idle_cycles.saturating_add(1);
            return true;
        };
        let level = *bits >> *index & 1 == 1;
        *left -= 1;
        if *left == 0 {
            *index += 1;
            *left = self.clocks_per_bit;
            if *index == 10 {
                self.shifting = None;
                self.idle_cycles = 0;
            }
        }
        level
    }

    /// This cycle's `uart_tx` level; a whole byte when its stop bit has been sampled.
    pub fn observe(&mut self, tx: bool) -> Option<u8> {
        let cpb = self.clocks_per_bit;
        match self.receiving.as_mut() {
            None => {
                if !tx {
                    // The first low cycle of a start bit: the middle of data bit 0 is 1.5 bits on.
                    self.receiving = Some((cpb + cpb / 2, 0, 0));
                }
                None
            }
            Some((left, bits, n)) => {
                *left -= 1;
                if *left > 0 {
                    return None;
                }
                *bits |= (tx as u16) << *n;
                *n += 1;
                *left = cpb;
                if *n < 9 {
                    return None;
                }
                let byte = (*bits & 0xFF) as u8;
                let stop = *bits >> 8 & 1 == 1;
                self.receiving = None;
                if stop {
                    Some(byte)
                } else {
                    self.framing_errors += 1;
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes shifted out by one HostUart and decoded by another (as the core's line would
    /// carry them) come back intact, at exactly 10 bit times per byte.
    #[test]
    fn host_uart_round_trip() {
        let mut a = HostUart::new(16);
        let mut b = HostUart::new(16);
        let bytes: Vec<u8> = (0..=255u8).collect();
        a.send(&bytes);
        let mut got = vec![];
        let mut cycles = 0;
        while got.len() < bytes.len() && cycles < 100_000 {
            let level = a.drive();
            if let Some(x) = b.observe(level) {
                got.push(x);
            }
            cycles += 1;
        }
        assert_eq!(got, bytes);
        assert_eq!(b.framing_errors, 0);
        // The last stop bit is sampled at its middle: 255 whole bytes + 9.5 bits.
        assert_eq!(cycles, 255 * 160 + 9 * 16 + 8 + 1);
        assert!(!a.busy() || a.queued() == 0);
    }

    /// A byte queued after a pause starts only once the line has been idle that long after
    /// the byte before it; bytes queued together go back to back; the first byte after
    /// power-on does not wait.
    #[test]
    fn host_uart_keeps_the_hosts_pauses() {
        let mut a = HostUart::new(8);
        // 0xFF: the start bit is the byte's only low bit, so every falling edge is a start.
        a.send_after_idle(&[0xFF], 1000);
        a.send(&[0xFF]);
        a.send_after_idle(&[0xFF, 0xFF], 300);
        let mut starts = vec![];
        let mut prev = true;
        for cycle in 0..2000u64 {
            let level = a.drive();
            if prev && !level {
                starts.push(cycle);
            }
            prev = level;
        }
        // The first at once, the second right after it, the third 300 idle cycles after the
        // second's stop bit, the fourth right after the third.
        assert_eq!(starts, vec![0, 80, 160 + 300, 160 + 300 + 80]);
        assert!(!a.busy());
    }

    #[test]
    fn host_uart_counts_a_low_stop_bit() {
        let mut b = HostUart::new(8);
        // Start bit, 8 zero data bits, and a stop bit still low when sampled at its middle
        // (cycle 0.5 + 9 bits = 76), then idle.
        for _ in 0..77 {
            assert_eq!(b.observe(false), None);
        }
        for _ in 0..40 {
            b.observe(true);
        }
        assert_eq!(b.framing_errors, 1);
        assert!(!b.busy());
    }
}
