//! The board table: every fact about a board the flow needs, in one place. The constraint
//! files in `constraints/` name the same pins; a test checks they agree.
use crate::pll::{Ecp5Pll, Ice40Pll, Pll};
use anyhow::{bail, Result};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Ice40,
    Ecp5,
}

impl Family {
    /// Where the first-fault capture chooses between the CPU ports' and the disks' rx words in
    /// the core `ftio build` generates for this family's boards (`--capture-choice`,
    /// `BuildParams::capture_choice`; docs/boards.md "The capture's choice"). Both choices
    /// capture the same CAP_* values cycle for cycle; they differ in size and speed.
    /// - iCE40: `before` the registers. One registered pair instead of two saves ~100 logic
    ///   cells on the HX8K, whose full core is over its 95 % line (issue 26); the iCE40 boards'
    ///   clocks are not limited by the parity checks that then select the pair's inputs.
    /// - ECP5: `after` the registers. The LUTs are plenty; with the choice before them the
    ///   80-bit select behind the ports' parity checks was the full core's slowest endpoints
    ///   (docs/timing-history.md, ca8b55c: +6.5-11 MHz after).
    pub fn capture_choice(&self) -> &'static str {
        match self {
            Family::Ice40 => "before",
            Family::Ecp5 => "after",
        }
    }

    /// Whether the core `ftio build` generates for this family's boards has the registered
    /// stage behind each disk link (`--disk-stage`, `BuildParams::disk_stage`; docs/boards.md
    /// "The disk links' input stage"). A return word reaches the CPUs a cycle later with it;
    /// SPEC §4 gives the return path no cycle figure.
    /// - iCE40: off. About 260 logic cells on the HX8K, whose full core is over its 95 % line
    ///   with it (issue 26); the iCE40 boards' tops tie the disk inputs idle, so their
    ///   bitstreams are the same either way (synthesis removes the return path's input side).
    /// - ECP5: on. The ULX3S's board top feeds the disk inputs from its BIST; the stage took the
    ///   return path's chain off its critical paths (65 MHz: 76.51 / 79.81 / 78.62 MHz at seeds
    ///   1-3, from 69.19 / 68.84 / 71.89 without it).
    pub fn disk_stage(&self) -> bool {
        matches!(self, Family::Ecp5)
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Family::Ice40 => "ice40",
            Family::Ecp5 => "ecp5",
        })
    }
}

/// What an LED on the board shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedRole {
    /// The core's `irq`: a fault is latched and not yet acknowledged.
    Irq,
    /// Toggles about once a second while the core clock runs.
    Heartbeat,
    /// Lit for ~20 ms after any UART line activity (either direction).
    UartActivity,
    /// The core is out of reset (PLL locked, reset button released).
    Running,
}

impl LedRole {
    /// The `board_top` port that drives this LED.
    pub fn port(&self) -> &'static str {
        match self {
            LedRole::Irq => "led_irq",
            LedRole::Heartbeat => "led_heartbeat",
            LedRole::UartActivity => "led_uart",
            LedRole::Running => "led_running",
        }
    }
}

/// A pin of the board top: the package pin and the level that means "on"/"pressed".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Pin {
    pub pin: &'static str,
    pub active_low: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Led {
    pub role: LedRole,
    pub pin: Pin,
}

/// Fixed `board_top` port names, used by the generator and the constraint files.
pub const PORT_CLOCK: &str = "clk_osc";
pub const PORT_RESET_BUTTON: &str = "btn_reset";
pub const PORT_UART_RX: &str = "uart_rx";
pub const PORT_UART_TX: &str = "uart_tx";

#[derive(Clone, Debug, Serialize)]
pub struct Board {
    /// The name `ftio build --board` takes.
    pub name: &'static str,
    pub description: &'static str,
    pub family: Family,
    /// Device and package as the vendor writes them (for people).
    pub device: &'static str,
    pub package: &'static str,
    /// Device/package arguments to nextpnr (`--hx8k --package cb132`).
    pub nextpnr_args: &'static [&'static str],
    pub clock_pin: &'static str,
    pub osc_hz: u64,
    /// The core clock frequency the build targets (the core's UART divider is set from it).
    pub core_hz: u64,
    /// The core build parameters `ftio build` generates for this board where they differ
    /// from the generator's defaults (SPEC §3): `None` builds the default core.
    pub core_size: Option<CoreSize>,
    /// `ftio build` builds the hardened core (`--harden`, docs/upsets.md) here by default:
    /// where it fits and meets the board's core clock (`--no-harden` builds the default core).
    pub harden: bool,
    /// The BIST proves the return path too (`BuildParams::bist_return`): its disk-side
    /// generators keep the return path in a board top whose disk inputs are idle, so the
    /// board's rating is the full core's. `false` where the part has no room for it, or where
    /// the full core does not meet the board's clock yet.
    pub bist_return: bool,
    /// The BIST's CPU-side generators feed the CPU ingresses through skid stages
    /// (`BuildParams::bist_skids`): a timing cut, the CPU ingresses' `ready` ends at the
    /// stages' flops, for about 270 logic cells. On where the board's clock needs it and the
    /// part has room (docs/boards.md, "BIST skid stages").
    pub bist_skids: bool,
    /// Whether `ftio build` generates this board's BIST top with fault injection
    /// (`BuildParams::injection`, SPEC §6): off only where the part has no room for it
    /// (docs/boards.md, "The iCEBreaker"); PARAMS.injection reads it, and without it a write
    /// of INJ_CTRL or INJ_COUNT answers status 0x06. The system top keeps it.
    pub injection: bool,
    /// The register stages `ftio build` generates this board's BIST top with
    /// (`BuildParams::pipeline`, SPEC §4 "Pipelining"; `--pipeline N` overrides it): 1 where the
    /// board's clock needs the input stage behind each link, at one cycle more on the write
    /// path's latency and on mismatch detection (docs/boards.md, "The pipelined build on a
    /// board"). The system top keeps the default build its firmware run was measured with.
    pub pipeline: u8,
    /// The nextpnr placer seed `ftio build` uses here when none is given (`--seed`): `None`
    /// leaves nextpnr's default. A board filled to the brim needs one measured to place.
    pub placer_seed: Option<u64>,
    pub pll: Pll,
    /// Into the FPGA (the USB bridge's TXD).
    pub uart_rx: Pin,
    /// Out of the FPGA (the USB bridge's RXD).
    pub uart_tx: Pin,
    pub leds: &'static [Led],
    pub reset_button: Pin,
    /// Constraint file, relative to the repository root.
    pub constraint_file: &'static str,
    /// Its text, embedded at compile time so `ftio build` works from any directory.
    #[serde(skip)]
    pub constraint_text: &'static str,
    /// Where the pins come from.
    pub pin_source: &'static str,
}

/// Core build parameters for a part too small for the default core: the buffers and
/// counters sized down, every SPEC feature kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CoreSize {
    /// log2 of the skew FIFO depth (also each disk and return buffer).
    pub skew_depth_log2: u8,
    /// log2 of the store-and-forward frame buffer depth.
    pub frame_depth_log2: u8,
    /// Width of the statistics counters (and the BIST and injection counts) in bits.
    pub counter_width: u8,
}

const fn pin(pin: &'static str) -> Pin {
    Pin { pin, active_low: false }
}
const fn pin_n(pin: &'static str) -> Pin {
    Pin { pin, active_low: true }
}
const fn led(role: LedRole, pin: Pin) -> Led {
    Led { role, pin }
}

pub static BOARDS: &[Board] = &[
    Board {
        name: "alchitry-cu",
        description: "Alchitry Cu (SparkFun DEV-16526): Lattice iCE40-HX8K, 100 MHz oscillator, FTDI USB-UART",
        family: Family::Ice40,
        device: "iCE40-HX8K",
        package: "CB132",
        nextpnr_args: &["--hx8k", "--package", "cb132"],
        clock_pin: "P7",
        osc_hz: 100_000_000,
        // SATA Gen2's 32-bit rate (75 MHz, issue 26) with the pipelined build (`pipeline` below):
        // built for 75 it met timing at 8 of 8 placer seeds (77.76 / 81.82 / 84.63 MHz,
        // docs/results.md "Alchitry Cu"). The default build does not hold 75 at every seed (6
        // of 8 at 50a2e72: CTRL.lockstep → CPU B's ready → the BIST stage's and CPU B
        // injector's next-state enables), and a rating that fails at some seeds would fail CI
        // at random on a one-line change: `--pipeline 0` builds it, for 60 MHz
        // (`--clock-mhz 60`, 75.59 / 75.76 / 84.03 MHz over seeds 1-3).
        // icepll -i 100 -o 75: PFD 100 MHz, VCO 600 MHz, /8. P7 is not the PLL pad: CORE.
        core_hz: 75_000_000,
        // The full core with every link live needs 8 380 of the HX8K's 7 680 logic cells at the
        // generator's defaults; issue 26 asks for it to fit within 95 % (7 296) with room for a
        // board top. The cheapest loss that gets there (`scripts/measure-core.py --pack-only`,
        // 33f2a15; docs/boards.md "The Alchitry Cu's core size"): 16-bit counters (7 373, 96.0 %)
        // and 16-word skew FIFOs and disk/return buffers (7 219, 94.0 %). The frame buffer keeps
        // its 512 words: halving it saves 2 cells. 32-word skew FIFOs give 7 292, 4 cells under
        // the line, too close for a core that still grows. It grew: 7 495 (97.6 %) at d9afb86,
        // 7 757 at 5adb727; with the iCE40's settings (`Family::capture_choice` before the
        // registers, `Family::disk_stage` off), CAP_WORD's frozen count and the FIFOs' forward
        // registers that pack, it is under the line again (docs/boards.md "The Alchitry Cu's
        // core size").
        core_size: Some(CoreSize { skew_depth_log2: 4, frame_depth_log2: 9, counter_width: 16 }),
        harden: false,
        // Not yet: with the return path's test the board top has the whole core (7 534 LCs,
        // 98 %) and reached 49.29 MHz at placer seed 1 for 60: with the skid buffer at each disk
        // ingress (hdl/src/skid.rs) the valid-to-ready chain is cut, and the critical path is
        // the return path's forward chain, 14 LUT levels, 20.3 ns, three quarters routing: a
        // disk ingress's injector state → the returned word → the fabric's primary select, the
        // secondary's frame position and read-verify → the secondary lag's clock enable
        // (docs/results.md, "Alchitry Cu"). The rating stays that of the core without the
        // return path until that chain is cut.
        bist_return: false,
        // The CPU-side BIST skid stages: the board's 75 MHz was measured with them (they took
        // CPU B's ready off the BIST's next-state logic, docs/results.md "Alchitry Cu").
        bist_skids: true,
        injection: true,
        // The input stage behind each link (cut-through t+4 = 53.3 ns at 75 MHz, mismatch
        // detection t+4; a parity error's irq stays t+2): what 75 MHz at every seed needs.
        pipeline: 1,
        placer_seed: None,
        pll: Pll::Ice40(Ice40Pll { divr: 0, divf: 5, divq: 3, filter_range: 5, from_pad: false }),
        uart_rx: pin("P14"),
        uart_tx: pin("M9"),
        leds: &[
            led(LedRole::Irq, pin("J11")),
            led(LedRole::Heartbeat, pin("K11")),
            led(LedRole::UartActivity, pin("K12")),
            led(LedRole::Running, pin("K14")),
        ],
        reset_button: pin_n("P8"),
        constraint_file: "constraints/alchitry-cu.pcf",
        constraint_text: include_str!("../../constraints/alchitry-cu.pcf"),
        pin_source: "Alchitry Cu schematic (alchitry_cu_sch_update.pdf, SparkFun DEV-16526) and Alchitry's Cu pin \
                     constraints; clock and LED pins also in samitbasu/rust-hdl rust-hdl-bsp-alchitry-cu/src/pins.rs",
    },
    Board {
        name: "icebreaker",
        description: "1BitSquared iCEBreaker v1.0: Lattice iCE40UP5K, 12 MHz oscillator, FTDI FT2232H channel B UART",
        family: Family::Ice40,
        device: "iCE40UP5K",
        package: "SG48",
        nextpnr_args: &["--up5k", "--package", "sg48"],
        clock_pin: "35",
        osc_hz: 12_000_000,
        // The UP5K holds the core with 16-word buffers and 16-bit counts, its disk inputs idle
        // and no fault injection (90 % of its logic cells; the full core with every link live
        // needs 135 % even so, docs/boards.md "The iCEBreaker"), and that closes at 26.84 /
        // 27.36 / 28.35 / 28.72 MHz at placer seeds 1 / 3 / 4 / 2 (docs/results.md,
        // "Bitstreams"): 24 MHz keeps 11 % in hand.
        // icepll -i 12 -o 24: PFD 12 MHz, VCO 768 MHz, /32.
        core_hz: 24_000_000,
        core_size: Some(CoreSize { skew_depth_log2: 4, frame_depth_log2: 4, counter_width: 16 }),
        harden: false,
        // At 89.7 % of the UP5K's logic cells without the return path, and 135 % with every
        // link live (docs/boards.md, "The iCEBreaker"): its BIST leaves the disk inputs alone.
        bist_return: false,
        // No room for the CPU-side BIST skid stages (5 262 of 5 280 LCs with them), nor need at 24 MHz.
        bist_skids: false,
        // Without fault injection (about 180 LUTs: 4 736 of 5 280 LCs, 89.7 %, against 4 982,
        // 94.4 %, with it): at 94 % nextpnr-ice40 found no legal placement at placer seeds 1-5
        // with either 0.4 or 0.11 once the HX8K's cuts were in (the stream FIFOs' forward
        // registers that pack, the capture's choice before its registers), where 96 % had
        // placed at some seeds before; 89.7 % placed at the first seed tried (docs/boards.md,
        // "The iCEBreaker"). Its BIST proves the data path; a fault injected on a board, and
        // the fail-over it causes, needs the Cu or the ULX3S (or `ftio demo`, Verilator).
        injection: false,
        // 24 MHz is the part's, not the datapath's: the default build keeps t+3.
        pipeline: 0,
        // Seed 2: at 96 % of the UP5K's logic cells (before injection went) nextpnr-ice40 0.4
        // placed at some seeds and not at others, and the default seed was one that failed.
        // At 89.7 % every seed tried places (1-4); when the core changes, re-measure
        // (`ftio build --board icebreaker --seeds 4`).
        placer_seed: Some(2),
        pll: Pll::Ice40(Ice40Pll { divr: 0, divf: 63, divq: 5, filter_range: 1, from_pad: true }),
        uart_rx: pin("6"),
        uart_tx: pin("9"),
        leds: &[
            led(LedRole::Irq, pin_n("11")),      // LEDR_N, red, on the main board
            led(LedRole::Heartbeat, pin_n("37")), // LEDG_N, green, on the main board
            led(LedRole::UartActivity, pin("27")), // LED1 on the snap-off PMOD2 board
            led(LedRole::Running, pin("25")),      // LED2 on the snap-off PMOD2 board
        ],
        reset_button: pin_n("10"), // BTN_N, the user button on the main board
        constraint_file: "constraints/icebreaker.pcf",
        constraint_text: include_str!("../../constraints/icebreaker.pcf"),
        pin_source: "iCEBreaker v1.0 pin file, YosysHQ/icestorm examples/icebreaker/icebreaker.pcf, and the \
                     icebreaker-fpga/icebreaker v1.0e schematic",
    },
    Board {
        name: "ulx3s",
        description: "Radiona ULX3S v3.x, 85F: Lattice ECP5 LFE5U-85F-6BG381C, 25 MHz oscillator, FT231X USB-UART",
        family: Family::Ecp5,
        device: "LFE5U-85F-6",
        package: "CABGA381",
        nextpnr_args: &["--85k", "--package", "CABGA381", "--speed", "6"],
        clock_pin: "G2",
        osc_hz: 25_000_000,
        // The board top is hardened (below) and carries a core that checks itself; built for
        // 75 MHz it reached 73.37 / 73.93 / 78.68 MHz over placer seeds 1-3 (33f2a15) and 70.42
        // MHz at nextpnr's default seed (23cc1b1): 75 does not hold at every seed, so the board
        // runs at 65 MHz. Built for 65 (23cc1b1): 71.96 / 67.32 / 70.52 MHz at seeds 1 / 2 / 3,
        // and 64.89 MHz at nextpnr's default seed, 0.2 % short: hence the board's placer seed
        // below (docs/boards.md, "Clock rates"). The default (unhardened) core closed at 86-88
        // MHz: `--no-harden --clock-mhz 75` is SATA Gen2's rate on this board.
        // ecppll -i 25 -o 65: PFD 5 MHz, VCO 585 MHz, /9.
        core_hz: 65_000_000,
        core_size: None,
        // The hardened core fits (8 545 of 83 640 LUTs): an ECP5-85F has the room, so it checks
        // itself (docs/upsets.md, "Cost").
        harden: true,
        // The BIST's return-path test: the board top carries the whole (hardened) core. With the
        // return path's forward chain cut (each injector's drop/corrupt decision a flop, the
        // secondary lag's enable off read-verify's compare) and the disk buffers' shadow check
        // registered but for `head_valid`'s (`DiskWrite::bad_da_q`, hdl/src/fabric.rs), and the
        // disk links' input stage in every build (the return path starts at its flops), it meets
        // 65 MHz at placer seeds 1-3: 76.51 / 79.81 / 78.62 MHz (docs/results.md, "ULX3S").
        bist_return: true,
        // Not measured with the CPU-side BIST skid stages: the board meets 65 MHz without them.
        bist_skids: false,
        injection: true,
        // The default build (t+3): it meets the board's 65 MHz.
        pipeline: 0,
        // Seed 1, the one the earlier builds used: it meets 65 MHz with 17.7 % in hand (76.51
        // MHz, the sweep's slowest), as do seeds 2 and 3 (tests/board_build.rs builds it there).
        // Re-measure with `--seeds` when the core changes.
        placer_seed: Some(1),
        pll: Pll::Ecp5(Ecp5Pll { clki_div: 5, clkfb_div: 13, clkop_div: 9, clkop_cphase: 4 }),
        uart_rx: pin("M1"), // ftdi_txd: FPGA receives
        uart_tx: pin("L4"), // ftdi_rxd: FPGA transmits
        leds: &[
            led(LedRole::Irq, pin("B2")),
            led(LedRole::Heartbeat, pin("C2")),
            led(LedRole::UartActivity, pin("C1")),
            led(LedRole::Running, pin("D2")),
        ],
        reset_button: pin("R1"), // FIRE1, pulled down, high when pressed
        constraint_file: "constraints/ulx3s.lpf",
        constraint_text: include_str!("../../constraints/ulx3s.lpf"),
        pin_source: "emard/ulx3s doc/constraints/ulx3s_v20.lpf (ULX3S v2.x/v3.x reference constraints) and the ULX3S \
                     schematic",
    },
];

/// The names of all boards, in table order.
pub fn board_names() -> Vec<&'static str> {
    BOARDS.iter().map(|b| b.name).collect()
}

/// The board called `name`, or an error listing the known boards.
pub fn board(name: &str) -> Result<&'static Board> {
    match BOARDS.iter().find(|b| b.name == name) {
        Some(b) => Ok(b),
        None => bail!("unknown board `{name}`; known boards: {}", board_names().join(", ")),
    }
}

impl Board {
    /// Every `board_top` port with its pin, in port order (clock, reset, UART, LEDs).
    pub fn top_pins(&self) -> Vec<(&'static str, Pin)> {
        let mut v = vec![
            (PORT_CLOCK, pin(self.clock_pin)),
            (PORT_RESET_BUTTON, self.reset_button),
            (PORT_UART_RX, self.uart_rx),
            (PORT_UART_TX, self.uart_tx),
        ];
        v.extend(self.leds.iter().map(|l| (l.role.port(), l.pin)));
        v
    }

    pub fn led(&self, role: LedRole) -> Option<&Led> {
        self.leds.iter().find(|l| l.role == role)
    }

    /// Internal consistency: the PLL is legal and makes exactly `core_hz`, the PLL kind suits
    /// the family, pins are unique.
    pub fn validate(&self) -> Result<()> {
        match (self.family, &self.pll) {
            (_, Pll::None) | (Family::Ice40, Pll::Ice40(_)) | (Family::Ecp5, Pll::Ecp5(_)) => {}
            _ => bail!("{}: PLL kind does not match family {}", self.name, self.family),
        }
        self.pll.validate(self.osc_hz)?;
        let out = self.pll.out_hz(self.osc_hz);
        if (out - self.core_hz as f64).abs() > 0.5 {
            bail!("{}: PLL makes {out} Hz, table says core clock {} Hz", self.name, self.core_hz);
        }
        let pins = self.top_pins();
        for (i, (port, p)) in pins.iter().enumerate() {
            if let Some((other, _)) = pins[..i].iter().find(|(_, q)| q.pin == p.pin) {
                bail!("{}: pin {} used by both {other} and {port}", self.name, p.pin);
            }
        }
        Ok(())
    }

    /// This board with the core clocked at `core_hz` instead of the table's clock: the
    /// oscillator directly when they are equal, else the family's PLL set for it (the search
    /// `icepll` / `ecppll` do; on an iCE40 board without a PLL entry, `SB_PLL40_CORE` fed from
    /// the clock pin). An error when no legal setting comes within 0.1 % of `core_hz`.
    pub fn with_core_hz(&self, core_hz: u64) -> Result<Board> {
        let mut b = self.clone();
        if core_hz == self.osc_hz {
            b.pll = Pll::None;
            b.core_hz = core_hz;
            return Ok(b);
        }
        let pll = match self.family {
            Family::Ice40 => {
                let from_pad = matches!(self.pll, Pll::Ice40(p) if p.from_pad);
                Pll::Ice40(Ice40Pll::search(self.osc_hz, core_hz, from_pad)?)
            }
            Family::Ecp5 => Pll::Ecp5(Ecp5Pll::search(self.osc_hz, core_hz)?),
        };
        let out = pll.out_hz(self.osc_hz);
        if (out - core_hz as f64).abs() > core_hz as f64 * 1e-3 {
            bail!(
                "{}: no PLL setting makes {:.3} MHz from the {:.3} MHz oscillator (nearest {:.3} MHz)",
                self.name,
                core_hz as f64 / 1e6,
                self.osc_hz as f64 / 1e6,
                out / 1e6
            );
        }
        b.pll = pll;
        b.core_hz = out.round() as u64;
        b.validate()?;
        Ok(b)
    }

    /// The core clock in MHz (nextpnr's `--freq`).
    pub fn core_mhz(&self) -> f64 {
        self.core_hz as f64 / 1e6
    }
}
