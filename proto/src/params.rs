//! The build parameters of the core (SPEC §3): their defaults, the values the generator can
//! build, and the check. One definition for the `ftio` CLI (its options, defaults and ranges),
//! the gateware (`ftio_hdl::core_verilog`, `Core::new`) and the register table (CLOCK_HZ,
//! BAUD and PARAMS read them).
use crate::regs::reg;
use std::ops::RangeInclusive;

/// Build parameters of the core. The defaults are the generator's (SPEC §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BuildParams {
    /// Core clock frequency in Hz (sets the UART divider; CLOCK_HZ reads it).
    pub clock_hz: u32,
    /// UART baud rate (BAUD reads it).
    pub baud: u32,
    /// log2 of the skew FIFO depth in words (per CPU side); also each disk and return buffer.
    pub skew_depth_log2: u8,
    /// log2 of the store-and-forward frame buffer depth in words.
    pub frame_depth_log2: u8,
    /// Width of the statistics counters (and the BIST and injection counts) in bits.
    pub counter_width: u8,
    /// log2 of the strict-lockstep offset range: OFFSET is 0 up to 2^n - 1.
    pub offset_max_log2: u8,
    /// The fault injectors (SPEC §6) are built. A production bitstream leaves them out
    /// (`--no-injection`): the links pass straight through, synthesis removes the injectors,
    /// and a write of an injection register answers status 0x06 (not built).
    pub injection: bool,
    /// The BIST generator and checker are built (`--no-bist` leaves them out, as
    /// `injection`: a write of a BIST register answers 0x06).
    pub bist: bool,
    /// The BIST also proves the return path (`--no-bist-return` leaves it out): two
    /// disk-side generators feed both disk inputs while it runs and two checkers watch the
    /// CPU outputs (BIST_RET_WORDS, BIST_RET_ERRORS). Without it the BIST leaves the disk
    /// inputs alone, BIST_RET_* read 0, and a board top whose disk inputs are idle loses the
    /// return path to synthesis. Needs `bist`.
    pub bist_return: bool,
    /// The hardened build (`--harden`): the core checks its own state — complemented shadow
    /// copies of the stream buffers' pointers and the lockstep's pair stage, the mode as a
    /// checked one-hot code, a check on `last`/`abort` beside each buffered word, and the
    /// words leaving for the disks — and an inconsistency is the fault cause INTERNAL
    /// (docs/upsets.md).
    pub harden: bool,
    /// Register stages added for a faster clock (`--pipeline N`, SPEC §4 "Pipelining"):
    /// each adds one cycle to guarantees 2 (cut-through) and 3 (mismatch detection). 0 is the
    /// default build (t+3). 1: each input link's checked word passes a registered skid stage
    /// before the lockstep and the disk sides (docs/architecture.md). Deeper is not built yet.
    pub pipeline: u8,
    /// The BIST's CPU-side generators feed the CPU ingresses through skid stages
    /// (`--bist-skids`; hdl `BistSkid`): the CPU ingresses' `ready` (through the skew FIFO or
    /// the strict offset) ends at a stage's flops instead of reaching a generator's LFSR and
    /// counters. A timing cut for a board that needs it (the Alchitry Cu at 75 MHz) at
    /// about 270 logic cells (the iCEBreaker has no room for it). Both CPU links are a cycle
    /// later together, so a run means what it did: no register reads it differently and PARAMS
    /// has no bit for it ([`BuildParams::from_registers`] gives the default).
    pub bist_skids: bool,
    /// Where the first-fault capture chooses between the CPU ports' and the disks' rx words
    /// (`--capture-choice`, hdl `FaultCapture`): before its registers (smaller) or after them
    /// (faster). A structure, not a behaviour: both capture the same CAP_* values cycle for
    /// cycle, so no register reads it and PARAMS has no bit for it
    /// ([`BuildParams::from_registers`] gives the default).
    pub capture_choice: CaptureChoice,
    /// A registered stage behind each disk link's checks (`--disk-stage on|off`, hdl
    /// `InputStage`; default on): the return path starts at its flops, so with live disk links
    /// the BIST's disk-input select, the injector and the parity check are not in front of the
    /// return select (the ULX3S's clock needs it). A return word reaches the CPUs 2 cycles
    /// after its take on the disk link (1 without the stage); SPEC §4 gives the return path
    /// no cycle figure, and no write-path or detection figure moves. About 260 logic cells on
    /// the HX8K, which the iCE40 boards leave out (docs/boards.md "The disk links' input
    /// stage"). No register reads it and PARAMS has no bit for it
    /// ([`BuildParams::from_registers`] gives the default).
    pub disk_stage: bool,
}

/// Where the first-fault capture makes its choice between the CPU ports' words and the disks'
/// rx words (which one a fault shows depends on this cycle's parity evidence: SPEC §5 CAP_DATA,
/// `ftio_proto::Cause::capture`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaptureChoice {
    /// Before the registers: one registered pair, loaded from the CPU ports or the disks' rx
    /// links as this cycle's evidence says. The smaller (the iCE40's, docs/boards.md): the
    /// evidence, deep behind the parity checks, selects the pair's 80 register inputs.
    Before,
    /// After the registers: both pairs registered every cycle with the evidence, the choice
    /// made from the registered evidence. The faster (the ECP5's, and the generator's default):
    /// the parity checks end at one flop.
    After,
}

impl CaptureChoice {
    /// Both, as `--capture-choice` names them.
    pub const ALL: [CaptureChoice; 2] = [CaptureChoice::Before, CaptureChoice::After];

    /// Its name on the command line and in the Verilog header: `before` or `after`.
    pub fn name(&self) -> &'static str {
        match self {
            CaptureChoice::Before => "before",
            CaptureChoice::After => "after",
        }
    }

    /// The choice named `name` (`before` or `after`).
    pub fn from_name(name: &str) -> Option<CaptureChoice> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl BuildParams {
    /// The generator's defaults.
    pub const DEFAULT: BuildParams = BuildParams {
        clock_hz: 100_000_000,
        baud: 115_200,
        skew_depth_log2: 6,
        frame_depth_log2: 9,
        counter_width: 32,
        offset_max_log2: 4,
        injection: true,
        bist: true,
        bist_return: true,
        harden: false,
        pipeline: 0,
        bist_skids: false,
        capture_choice: CaptureChoice::After,
        disk_stage: true,
    };
    /// Core clocks the generator accepts, Hz (CLOCK_HZ is a 32-bit register; the UART needs
    /// 8 clocks per bit, checked against the baud by [`BuildParams::validate`]).
    pub const CLOCK_HZ: RangeInclusive<u32> = 1_000..=1_000_000_000;
    /// Baud rates the generator accepts: up to the fastest clock at 8 clocks per bit (the
    /// 8-clocks-per-bit rule against the actual clock is checked by [`BuildParams::validate`];
    /// 100 MHz builds 12.5 Mbaud).
    pub const BAUD: RangeInclusive<u32> = 300..=125_000_000;
    /// Skew FIFO depths (log2) the generator builds: 16 to 1024 words.
    pub const SKEW_DEPTH_LOG2: RangeInclusive<u8> = 4..=10;
    /// Frame buffer depths (log2) the generator builds: 16 to 4096 words.
    pub const FRAME_DEPTH_LOG2: RangeInclusive<u8> = 4..=12;
    /// Counter widths the generator builds, bits.
    pub const COUNTER_WIDTH: RangeInclusive<u8> = 16..=32;
    /// Strict-offset ranges (log2) the generator builds: D below 16, 64 or 256.
    pub const OFFSET_MAX_LOG2: [u8; 3] = [4, 6, 8];
    /// Pipeline depths the generator builds (stage 1 of docs/timing-history.md's design).
    pub const PIPELINE: RangeInclusive<u8> = 0..=1;
    /// The fewest core clocks per UART bit the receiver samples with.
    pub const MIN_CLOCKS_PER_BIT: u32 = 8;

    /// Refuses a parameter set the gateware cannot be built with, saying why.
    pub fn validate(&self) -> Result<(), ParamsError> {
        if !Self::CLOCK_HZ.contains(&self.clock_hz) {
            return Err(ParamsError::ClockHz(self.clock_hz));
        }
        if !Self::BAUD.contains(&self.baud) {
            return Err(ParamsError::Baud(self.baud));
        }
        if !Self::SKEW_DEPTH_LOG2.contains(&self.skew_depth_log2) {
            return Err(ParamsError::SkewDepth(self.skew_depth_log2));
        }
        if !Self::FRAME_DEPTH_LOG2.contains(&self.frame_depth_log2) {
            return Err(ParamsError::FrameDepth(self.frame_depth_log2));
        }
        if !Self::COUNTER_WIDTH.contains(&self.counter_width) {
            return Err(ParamsError::CounterWidth(self.counter_width));
        }
        if !Self::OFFSET_MAX_LOG2.contains(&self.offset_max_log2) {
            return Err(ParamsError::OffsetMax(self.offset_max_log2));
        }
        if !Self::PIPELINE.contains(&self.pipeline) {
            return Err(ParamsError::Pipeline(self.pipeline));
        }
        let divider = self.clock_hz / self.baud;
        if divider < Self::MIN_CLOCKS_PER_BIT {
            return Err(ParamsError::BaudTooFast { baud: self.baud, clock_hz: self.clock_hz, divider });
        }
        Ok(())
    }

    /// The PARAMS register value.
    pub fn params_word(&self) -> u32 {
        let r = reg("PARAMS");
        let mut w = 0;
        w = r.f("skew_depth_log2").insert(w, self.skew_depth_log2 as u32);
        w = r.f("frame_depth_log2").insert(w, self.frame_depth_log2 as u32);
        w = r.f("counter_width").insert(w, self.counter_width as u32);
        w = r.f("offset_max_log2").insert(w, self.offset_max_log2 as u32);
        w = r.f("injection").insert(w, self.injection as u32);
        w = r.f("bist").insert(w, self.bist as u32);
        w = r.f("bist_return").insert(w, (self.bist && self.bist_return) as u32);
        w = r.f("pipeline").insert(w, self.pipeline as u32);
        r.f("harden").insert(w, self.harden as u32)
    }

    /// Whether the blocks of `part` are in this build (the core's own always are).
    pub fn builds(&self, part: crate::regs::Part) -> bool {
        match part {
            crate::regs::Part::Core => true,
            crate::regs::Part::Injection => self.injection,
            crate::regs::Part::Bist => self.bist,
        }
    }

    /// Decodes CLOCK_HZ, BAUD and PARAMS as read from a core.
    pub fn from_registers(clock_hz: u32, baud: u32, params: u32) -> Self {
        let r = reg("PARAMS");
        BuildParams {
            clock_hz,
            baud,
            skew_depth_log2: r.f("skew_depth_log2").get(params) as u8,
            frame_depth_log2: r.f("frame_depth_log2").get(params) as u8,
            counter_width: r.f("counter_width").get(params) as u8,
            offset_max_log2: r.f("offset_max_log2").get(params) as u8,
            injection: r.f("injection").get(params) != 0,
            bist: r.f("bist").get(params) != 0,
            bist_return: r.f("bist_return").get(params) != 0,
            harden: r.f("harden").get(params) != 0,
            pipeline: r.f("pipeline").get(params) as u8,
            bist_skids: Self::DEFAULT.bist_skids,
            capture_choice: Self::DEFAULT.capture_choice,
            disk_stage: Self::DEFAULT.disk_stage,
        }
    }

    /// The bits a counter of the build has: 2^counter_width - 1.
    pub fn counter_mask(&self) -> u32 {
        if self.counter_width >= 32 {
            u32::MAX
        } else {
            (1u32 << self.counter_width) - 1
        }
    }

    /// Largest OFFSET the build supports.
    pub fn offset_max(&self) -> u32 {
        if self.offset_max_log2 >= 32 {
            u32::MAX
        } else {
            (1u32 << self.offset_max_log2) - 1
        }
    }
}

impl Default for BuildParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a [`BuildParams`] set cannot be built; the message names the range that can.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    #[error("clock {0} Hz is not buildable: {lo} to {hi} Hz", lo = BuildParams::CLOCK_HZ.start(), hi = BuildParams::CLOCK_HZ.end())]
    ClockHz(u32),
    #[error("baud {0} is not buildable: {lo} to {hi}", lo = BuildParams::BAUD.start(), hi = BuildParams::BAUD.end())]
    Baud(u32),
    #[error("skew FIFO depth 2^{0} is not buildable: 16 to 1024 words")]
    SkewDepth(u8),
    #[error("frame buffer depth 2^{0} is not buildable: 16 to 4096 words")]
    FrameDepth(u8),
    #[error("counter width {0} is not buildable: 16 to 32 bits")]
    CounterWidth(u8),
    #[error("strict offset range 2^{0} is not buildable: 16, 64 or 256")]
    OffsetMax(u8),
    #[error("pipeline depth {0} is not built: 0 (the default) or 1 (an input stage)")]
    Pipeline(u8),
    #[error("baud {baud} is too fast for a {clock_hz} Hz clock: need at least {min} clocks per bit (got {divider})", min = BuildParams::MIN_CLOCKS_PER_BIT)]
    BaudTooFast { baud: u32, clock_hz: u32, divider: u32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_buildable_and_each_range_is_checked() {
        BuildParams::DEFAULT.validate().unwrap();
        let d = BuildParams::DEFAULT;
        for (p, msg) in [
            (BuildParams { clock_hz: 999, ..d }, "clock"),
            (BuildParams { baud: 125_000_001, ..d }, "125000000"),
            (BuildParams { skew_depth_log2: 11, ..d }, "skew FIFO depth"),
            (BuildParams { frame_depth_log2: 3, ..d }, "16 to 4096"),
            (BuildParams { counter_width: 15, ..d }, "counter width"),
            (BuildParams { offset_max_log2: 5, ..d }, "16, 64 or 256"),
            (BuildParams { pipeline: 2, ..d }, "pipeline depth 2 is not built"),
            (BuildParams { clock_hz: 1_000_000, baud: 921_600, ..d }, "at least 8 clocks per bit"),
        ] {
            let e = p.validate().unwrap_err().to_string();
            assert!(e.contains(msg), "{p:?}: {e}");
        }
    }
}
