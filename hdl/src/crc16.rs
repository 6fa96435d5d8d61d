//! CRC-16/IBM-3740 (poly 0x1021, init 0xFFFF, no reflection, xorout 0), one byte per cycle.
use rust_hdl::prelude::*;

/// Combinational: the CRC after feeding `byte` to `crc`.
#[derive(LogicBlock, Default)]
pub struct Crc16Byte {
    /// CRC so far.
    pub crc: Signal<In, Bits<16>>,
    /// The next byte.
    pub data_in: Signal<In, Bits<8>>,
    /// CRC including `byte`.
    pub out: Signal<Out, Bits<16>>,
    s0: Signal<Local, Bits<16>>,
    s1: Signal<Local, Bits<16>>,
    s2: Signal<Local, Bits<16>>,
    s3: Signal<Local, Bits<16>>,
    s4: Signal<Local, Bits<16>>,
    s5: Signal<Local, Bits<16>>,
    s6: Signal<Local, Bits<16>>,
    s7: Signal<Local, Bits<16>>,
}

impl Logic for Crc16Byte {
    #[hdl_gen]
    fn update(&mut self) {
        // Eight shift-and-conditionally-xor steps, MSB first.
        self.s0.next = self.crc.val() ^ (bit_cast::<16, 8>(self.data_in.val()) << 8);
        if self.s0.val().get_bit(15) {
            self.s1.next = (self.s0.val() << 1) ^ 0x1021_u64;
        } else {
            self.s1.next = self.s0.val() << 1;
        }
        if self.s1.val().get_bit(15) {
            self.s2.next = (self.s1.val() << 1) ^ 0x1021_u64;
        } else {
            self.s2.next = self.s1.val() << 1;
        }
        if self.s2.val().get_bit(15) {
            self.s3.next = (self.s2.val() << 1) ^ 0x1021_u64;
        } else {
            self.s3.next = self.s2.val() << 1;
        }
        if self.s3.val().get_bit(15) {
            self.s4.next = (self.s3.val() << 1) ^ 0x1021_u64;
        } else {
            self.s4.next = self.s3.val() << 1;
        }
        if self.s4.val().get_bit(15) {
            self.s5.next = (self.s4.val() << 1) ^ 0x1021_u64;
        } else {
            self.s5.next = self.s4.val() << 1;
        }
        if self.s5.val().get_bit(15) {
            self.s6.next = (self.s5.val() << 1) ^ 0x1021_u64;
        } else {
            self.s6.next = self.s5.val() << 1;
        }
        if self.s6.val().get_bit(15) {
            self.s7.next = (self.s6.val() << 1) ^ 0x1021_u64;
        } else {
            self.s7.next = self.s6.val() << 1;
        }
        if self.s7.val().get_bit(15) {
            self.out.next = (self.s7.val() << 1) ^ 0x1021_u64;
        } else {
            self.out.next = self.s7.val() << 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_of_123456789_is_29b1() {
        let mut c = Crc16Byte::default();
        c.connect_all();
        yosys_validate("ftio_crc16", &generate_verilog(&c)).unwrap();
        let mut crc = 0xFFFFu64;
        for &b in b"123456789" {
            c.crc.next = crc.into();
            c.data_in.next = (b as u64).into();
            crate::testbench::settle(&mut c);
            crc = c.out.val().to_u64();
        }
        assert_eq!(crc, 0x29B1);
        assert_eq!(crc as u16, ftio_proto::crc16(b"123456789"));
    }
}
