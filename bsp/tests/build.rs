//! Real builds through the external tools, with the stand-in core: board_top + core all the way
//! to a bitstream, and the report read back from nextpnr. Each build takes seconds with the
//! stand-in (ECP5 through YoWASP ~6 s once its WebAssembly is cached by scripts/setup.sh).
mod common;

use ftio_bsp::{board, build, synth_only_stats, BuildOpts, Family};
use std::path::PathBuf;

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ftio-bsp-build-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn check_report(r: &ftio_bsp::Report, lut_total: u64, bram_total: u64) {
    println!("{r}");
    let bits = std::fs::metadata(&r.bitstream).expect("bitstream written").len();
    assert!(bits > 10_000, "bitstream only {bits} bytes");
    assert_eq!(r.luts.total, lut_total);
    assert_eq!(r.brams.total, bram_total);
    // The stand-in has two 32-bit LFSRs, a 32-bit readback and compare, an 8-bit address, the
    // board top's 16-bit reset counter, heartbeat and UART-activity counters: not nothing, and
    // a small fraction of the device.
    assert!(r.ffs.used >= 100 && r.ffs.used < lut_total / 4, "FFs {:?}", r.ffs);
    assert!(r.luts.used >= 50 && r.luts.used < lut_total / 4, "LUTs {:?}", r.luts);
    assert!(r.brams.used >= 1, "the stand-in's 256x32 memory should be a block RAM: {:?}", r.brams);
    assert!(r.fmax_mhz > 10.0 && r.fmax_mhz < 1000.0, "Fmax {}", r.fmax_mhz);
    assert_eq!(r.timing_met, r.clocks.iter().all(|c| c.achieved_mhz >= c.target_mhz));
    assert_eq!(r.steps.iter().map(|s| s.step.as_str()).collect::<Vec<_>>(), ["synth", "pnr", "pack"]);
    let json = serde_json::to_value(r).unwrap();
    assert_eq!(json["board"], r.board.as_str());
    assert!(json["luts"]["used"].as_u64().is_some());
    for f in ["board_top.v", "ftio_core.v", "synth.log", "pnr.log", "pack.log", "report.json"] {
        assert!(r.out_dir.join(f).exists(), "{f} missing");
    }
}

#[test]
fn alchitry_cu_builds_to_a_bin_with_the_stand_in_core() {
    let dir = out_dir("cu");
    let r = build(board("alchitry-cu").unwrap(), &common::stand_in_core(), &dir, &BuildOpts::default())
        .unwrap_or_else(|e| panic!("{e:#}"));
    check_report(&r, 7680, 32);
    assert_eq!(r.target_mhz, 75.0);
    assert!(r.timing_met, "{r}");
    assert_eq!(r.bels.get("ICESTORM_PLL").map(|p| p.used), Some(1), "{:?}", r.bels);
    assert!(r.bitstream.ends_with("board_top.bin"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn icebreaker_builds_with_its_pll() {
    let dir = out_dir("icebreaker");
    let r = build(board("icebreaker").unwrap(), &common::stand_in_core(), &dir, &BuildOpts::default())
        .unwrap_or_else(|e| panic!("{e:#}"));
    check_report(&r, 5280, 30);
    assert_eq!(r.target_mhz, 24.0);
    assert!(r.timing_met, "the stand-in must close at 24 MHz on the UP5K:\n{r}");
    // The PLL made it into the netlist, placed on the device's PLL site.
    assert_eq!(r.bels.get("ICESTORM_PLL").map(|p| p.used), Some(1), "{:?}", r.bels);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn alchitry_cu_from_the_oscillator_at_100mhz() {
    let dir = out_dir("cu100");
    let b = board("alchitry-cu").unwrap().with_core_hz(100_000_000).unwrap();
    let r = build(&b, &common::stand_in_core(), &dir, &BuildOpts::default()).unwrap_or_else(|e| panic!("{e:#}"));
    check_report(&r, 7680, 32);
    assert_eq!(r.target_mhz, 100.0);
    assert!(r.timing_met, "the stand-in closes at 100 MHz on the HX8K:\n{r}");
    assert_eq!(r.bels.get("ICESTORM_PLL").map(|p| p.used), Some(0), "{:?}", r.bels);
    // The iCE40-HX8K image is always 135100 bytes (icepack, no compression).
    assert_eq!(std::fs::metadata(&r.bitstream).unwrap().len(), 135_100);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_core_without_the_module_is_refused_before_any_tool_runs() {
    let e = build(board("alchitry-cu").unwrap(), "module other(); endmodule", &out_dir("bad"), &BuildOpts::default())
        .unwrap_err();
    assert!(e.to_string().contains("module ftio_core"), "{e:#}");
}

#[test]
fn a_synthesis_error_reports_the_log() {
    let dir = out_dir("synth-error");
    let core = common::stand_in_core().replace("assign irq = fault;", "assign irq = no_such_net +;");
    let e = build(board("alchitry-cu").unwrap(), &core, &dir, &BuildOpts::default()).unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("yosys failed") && msg.contains("synth.log"), "{msg}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn synth_only_stats_counts_a_block_for_ice40() {
    let v = "module counter(input clk, output reg [15:0] q = 0);\n always @(posedge clk) q <= q + 1;\nendmodule\n";
    let s = synth_only_stats(v, "counter", Family::Ice40).unwrap();
    println!("{s}");
    assert_eq!(s.ffs, 16);
    assert!(s.carries >= 14 && s.carries <= 16, "{s}");
    assert!(s.luts >= 15 && s.luts <= 20, "{s}");
    assert_eq!(s.brams, 0);
    let e = synth_only_stats(v, "nope", Family::Ice40).unwrap_err();
    assert!(format!("{e:#}").contains("nope"), "{e:#}");
}

#[test]
fn ulx3s_builds_to_a_bit_with_the_stand_in_core() {
    let dir = out_dir("ulx3s");
    let r = build(board("ulx3s").unwrap(), &common::stand_in_core(), &dir, &BuildOpts::default())
        .unwrap_or_else(|e| panic!("{e:#}"));
    check_report(&r, 83_640, 208);
    assert!(r.bitstream.ends_with("board_top.bit"));
    assert!(r.timing_met, "{r}");
    assert_eq!(r.bels.get("EHXPLLL").map(|p| p.used), Some(1), "{:?}", r.bels);
    let s = synth_only_stats(
        "module counter(input clk, output reg [15:0] q = 0);\n always @(posedge clk) q <= q + 1;\nendmodule\n",
        "counter",
        Family::Ecp5,
    )
    .unwrap();
    assert_eq!(s.ffs, 16, "{s}");
    let _ = std::fs::remove_dir_all(&dir);
}
