//! PLL settings for the two families, checked against the vendors' legal ranges, and the
//! search that finds them (the same search `icepll` / `ecppll` do, so a board's table entry can
//! be reproduced and cross-checked against those tools in the tests).
use anyhow::{bail, Result};
use serde::Serialize;

/// iCE40 `SB_PLL40_*` in SIMPLE feedback mode: `f_out = f_in * (DIVF+1) / ((DIVR+1) * 2^DIVQ)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ice40Pll {
    pub divr: u8,
    pub divf: u8,
    pub divq: u8,
    pub filter_range: u8,
    /// `true`: `SB_PLL40_PAD` (the clock pin is the PLL's dedicated input pad);
    /// `false`: `SB_PLL40_CORE` fed from the fabric/global network.
    pub from_pad: bool,
}

/// iCE40 datasheet (DS1040 / DS1048, sysCLOCK PLL): PFD 10..133 MHz, VCO 533..1066 MHz,
/// output 16..275 MHz.
const ICE40_PFD_HZ: (f64, f64) = (10e6, 133e6);
const ICE40_VCO_HZ: (f64, f64) = (533e6, 1066e6);
const ICE40_OUT_HZ: (f64, f64) = (16e6, 275e6);

impl Ice40Pll {
    pub fn pfd_hz(&self, in_hz: u64) -> f64 {
        in_hz as f64 / (self.divr as f64 + 1.0)
    }
    pub fn vco_hz(&self, in_hz: u64) -> f64 {
        self.pfd_hz(in_hz) * (self.divf as f64 + 1.0)
    }
    pub fn out_hz(&self, in_hz: u64) -> f64 {
        self.vco_hz(in_hz) / f64::from(1u32 << self.divq)
    }

    /// The loop-filter setting the PLL needs for its PFD frequency (the table `icepll` uses).
    pub fn filter_range_for(pfd_hz: f64) -> u8 {
        let mhz = pfd_hz / 1e6;
        match mhz {
            m if m < 17.0 => 1,
            m if m < 26.0 => 2,
            m if m < 44.0 => 3,
            m if m < 66.0 => 4,
            m if m < 101.0 => 5,
            _ => 6,
        }
    }

    /// Checks every divider range, the PFD/VCO/output windows and the filter setting.
    pub fn validate(&self, in_hz: u64) -> Result<()> {
        let (pfd, vco, out) = (self.pfd_hz(in_hz), self.vco_hz(in_hz), self.out_hz(in_hz));
        if self.divr > 15 || self.divf > 127 || !(1..=6).contains(&self.divq) {
            bail!("iCE40 PLL dividers out of range: DIVR {} (0..15) DIVF {} (0..127) DIVQ {} (1..6)", self.divr, self.divf, self.divq);
        }
        for (what, v, (lo, hi)) in [("PFD", pfd, ICE40_PFD_HZ), ("VCO", vco, ICE40_VCO_HZ), ("output", out, ICE40_OUT_HZ)] {
            if v < lo || v > hi {
                bail!("iCE40 PLL {what} {:.3} MHz outside {:.0}..{:.0} MHz", v / 1e6, lo / 1e6, hi / 1e6);
            }
        }
        if self.filter_range != Self::filter_range_for(pfd) {
            bail!("iCE40 PLL FILTER_RANGE {} but PFD {:.3} MHz needs {}", self.filter_range, pfd / 1e6, Self::filter_range_for(pfd));
        }
        Ok(())
    }

    /// The settings whose output is closest to `out_hz` (first found on a tie, searching DIVR,
    /// DIVF, DIVQ upward, as `icepll` does), or an error when no setting is legal.
    pub fn search(in_hz: u64, out_hz: u64, from_pad: bool) -> Result<Self> {
        let mut best: Option<(f64, Self)> = None;
        for divr in 0..=15u8 {
            for divf in 0..=127u8 {
                for divq in 1..=6u8 {
                    let mut p = Self { divr, divf, divq, filter_range: 0, from_pad };
                    p.filter_range = Self::filter_range_for(p.pfd_hz(in_hz));
                    if p.validate(in_hz).is_err() {
                        continue;
                    }
                    let err = (p.out_hz(in_hz) - out_hz as f64).abs();
                    if best.map_or(true, |(e, _)| err < e) {
                        best = Some((err, p));
                    }
                }
            }
        }
        match best {
            Some((_, p)) => Ok(p),
            None => bail!("no legal iCE40 PLL setting from {in_hz} Hz"),
        }
    }
}

/// ECP5 `EHXPLLL` with CLKOP fed back: `f_out = f_in * CLKFB_DIV / CLKI_DIV`,
/// `f_vco = f_out * CLKOP_DIV`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ecp5Pll {
    pub clki_div: u8,
    pub clkfb_div: u8,
    pub clkop_div: u8,
    pub clkop_cphase: u8,
}

/// ECP5 family datasheet (FPGA-DS-02012, sysCLOCK PLL timing): PFD 3.125..400 MHz,
/// VCO 400..800 MHz, output 3.125..400 MHz.
const ECP5_PFD_HZ: (f64, f64) = (3.125e6, 400e6);
const ECP5_VCO_HZ: (f64, f64) = (400e6, 800e6);
const ECP5_OUT_HZ: (f64, f64) = (3.125e6, 400e6);

impl Ecp5Pll {
    pub fn pfd_hz(&self, in_hz: u64) -> f64 {
        in_hz as f64 / self.clki_div as f64
    }
    pub fn out_hz(&self, in_hz: u64) -> f64 {
        self.pfd_hz(in_hz) * self.clkfb_div as f64
    }
    pub fn vco_hz(&self, in_hz: u64) -> f64 {
        self.out_hz(in_hz) * self.clkop_div as f64
    }

    pub fn validate(&self, in_hz: u64) -> Result<()> {
        if [self.clki_div, self.clkfb_div, self.clkop_div].iter().any(|&d| !(1..=128).contains(&d)) {
            bail!("ECP5 PLL dividers out of 1..128: CLKI {} CLKFB {} CLKOP {}", self.clki_div, self.clkfb_div, self.clkop_div);
        }
        if self.clkop_cphase >= self.clkop_div {
            bail!("ECP5 PLL CLKOP_CPHASE {} must be below CLKOP_DIV {}", self.clkop_cphase, self.clkop_div);
        }
        let (pfd, vco, out) = (self.pfd_hz(in_hz), self.vco_hz(in_hz), self.out_hz(in_hz));
        for (what, v, (lo, hi)) in [("PFD", pfd, ECP5_PFD_HZ), ("VCO", vco, ECP5_VCO_HZ), ("output", out, ECP5_OUT_HZ)] {
            if v < lo || v > hi {
                bail!("ECP5 PLL {what} {:.3} MHz outside {:.3}..{:.0} MHz", v / 1e6, lo / 1e6, hi / 1e6);
            }
        }
        Ok(())
    }

    /// Closest output to `out_hz`, preferring (as `ecppll` does) the VCO nearest 600 MHz on a tie.
    pub fn search(in_hz: u64, out_hz: u64) -> Result<Self> {
        let mut best: Option<(f64, f64, Self)> = None;
        for clki_div in 1..=128u8 {
            let pfd = in_hz as f64 / clki_div as f64;
            if pfd < ECP5_PFD_HZ.0 || pfd > ECP5_PFD_HZ.1 {
                continue;
            }
            for clkfb_div in 1..=128u8 {
                let out = pfd * clkfb_div as f64;
                if out < ECP5_OUT_HZ.0 || out > ECP5_OUT_HZ.1 {
                    continue;
                }
                let err = (out - out_hz as f64).abs();
                if best.map_or(false, |(e, _, _)| err > e + 1e-3) {
                    continue;
                }
                // Only the CLKOP divider that puts the VCO nearest 600 MHz can win.
                let clkop_div = ((600e6 / out).round() as u32).clamp(1, 128) as u8;
                let p = Self { clki_div, clkfb_div, clkop_div, clkop_cphase: clkop_div / 2 - u8::from(clkop_div >= 2) };
                if p.validate(in_hz).is_err() {
                    continue;
                }
                let vco_dist = (p.vco_hz(in_hz) - 600e6).abs();
                let better = match best {
                    None => true,
                    Some((e, v, _)) => err < e - 1e-3 || ((err - e).abs() <= 1e-3 && vco_dist < v),
                };
                if better {
                    best = Some((err, vco_dist, p));
                }
            }
        }
        match best {
            Some((_, _, p)) => Ok(p),
            None => bail!("no legal ECP5 PLL setting from {in_hz} Hz"),
        }
    }
}

/// The clock generator between a board's oscillator and the core clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pll {
    /// The oscillator drives the core directly (core clock = oscillator).
    None,
    Ice40(Ice40Pll),
    Ecp5(Ecp5Pll),
}

impl Pll {
    pub fn out_hz(&self, in_hz: u64) -> f64 {
        match self {
            Pll::None => in_hz as f64,
            Pll::Ice40(p) => p.out_hz(in_hz),
            Pll::Ecp5(p) => p.out_hz(in_hz),
        }
    }
    pub fn validate(&self, in_hz: u64) -> Result<()> {
        match self {
            Pll::None => Ok(()),
            Pll::Ice40(p) => p.validate(in_hz),
            Pll::Ecp5(p) => p.validate(in_hz),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ice40_search_finds_exact_36mhz_from_12() {
        let p = Ice40Pll::search(12_000_000, 36_000_000, true).unwrap();
        assert_eq!(p.out_hz(12_000_000), 36e6);
        p.validate(12_000_000).unwrap();
    }

    #[test]
    fn ice40_validate_rejects_vco_out_of_range() {
        // 12 MHz * 128 = 1536 MHz VCO: too fast.
        let p = Ice40Pll { divr: 0, divf: 127, divq: 4, filter_range: 1, from_pad: true };
        assert!(p.validate(12_000_000).unwrap_err().to_string().contains("VCO"));
    }

    #[test]
    fn ecp5_search_and_validate() {
        let p = Ecp5Pll::search(25_000_000, 100_000_000).unwrap();
        assert_eq!(p.out_hz(25_000_000), 100e6);
        p.validate(25_000_000).unwrap();
        let bad = Ecp5Pll { clki_div: 1, clkfb_div: 4, clkop_div: 2, clkop_cphase: 0 }; // VCO 200 MHz
        assert!(bad.validate(25_000_000).is_err());
    }
}
