//! Odd-parity generator and checker for the link (SPEC §2).
use rust_hdl::prelude::*;

/// Generates `par` for a data word: `par[i] = ~^data[8i+7:8i]`.
///
/// Used wherever the core originates a word itself (the `last & abort` word that ends a
/// frame in flight, BIST words). Words that pass through the core keep the parity they
/// arrived with.
#[derive(LogicBlock, Default)]
pub struct ParityGen {
    /// The data word.
    pub data: Signal<In, Bits<32>>,
    /// Odd parity per byte.
    pub par: Signal<Out, Bits<4>>,
}

impl Logic for ParityGen {
    #[hdl_gen]
    fn update(&mut self) {
        self.par.next = bit_cast::<4, 1>((!self.data.val().get_bits::<8>(0).xor()).into())
            | (bit_cast::<4, 1>((!self.data.val().get_bits::<8>(8).xor()).into()) << 1)
            | (bit_cast::<4, 1>((!self.data.val().get_bits::<8>(16).xor()).into()) << 2)
            | (bit_cast::<4, 1>((!self.data.val().get_bits::<8>(24).xor()).into()) << 3);
    }
}

/// Checks one offered word against its parity bits.
#[derive(LogicBlock, Default)]
pub struct ParityCheck {
    /// The data word.
    pub data: Signal<In, Bits<32>>,
    /// The parity that came with it.
    pub par: Signal<In, Bits<4>>,
    /// High when any byte's parity is wrong (combinational; qualify with `valid`).
    pub error: Signal<Out, Bit>,
    gen: ParityGen,
}

impl Logic for ParityCheck {
    #[hdl_gen]
    fn update(&mut self) {
        self.gen.data.next = self.data.val();
        self.error.next = self.gen.par.val() != self.par.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::byte_parity;

    #[test]
    fn parity_gen_matches_reference_and_synthesizes() {
        let mut uut = ParityGen::default();
        uut.connect_all();
        yosys_validate("ftio_parity_gen", &generate_verilog(&uut)).unwrap();
        for &d in &[0u32, 1, 0x80, 0xFFFF_FFFF, 0x1234_5678, 0xDEAD_BEEF, 0x0101_0101] {
            uut.data.next = (d as u64).into();
            assert!(simulate(&mut uut, 10));
            assert_eq!(uut.par.val().to_u8(), byte_parity(d), "data {d:#x}");
        }
    }

    #[test]
    fn parity_check_flags_every_single_bit_flip() {
        let mut uut = ParityCheck::default();
        uut.connect_all();
        yosys_validate("ftio_parity_check", &generate_verilog(&uut)).unwrap();
        let d = 0xC0FF_EE42u32;
        let p = byte_parity(d);
        uut.data.next = (d as u64).into();
        uut.par.next = (p as u64).into();
        assert!(simulate(&mut uut, 10));
        assert!(!uut.error.val());
        for bit in 0..36 {
            let (dd, pp) = if bit < 32 { (d ^ (1 << bit), p) } else { (d, p ^ (1 << (bit - 32))) };
            uut.data.next = (dd as u64).into();
            uut.par.next = (pp as u64).into();
            assert!(simulate(&mut uut, 10));
            assert!(uut.error.val(), "flip of bit {bit} not caught");
        }
    }
}
