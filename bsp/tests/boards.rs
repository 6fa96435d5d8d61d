//! The board table, the constraint files and the generated board top agree with each other and
//! with the tools: pins unique and constrained, PLL settings what icepll/ecppll compute,
//! board_top elaborates around a core with the SPEC §3 ports.
mod common;

use ftio_bsp::constraints::{parse_lpf, parse_pcf};
use ftio_bsp::{board, board_names, board_top_verilog, check_constraints, Family, LedRole, Pll, BOARDS};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn constraints_of(b: &ftio_bsp::Board) -> BTreeMap<String, String> {
    let parsed = match b.family {
        Family::Ice40 => parse_pcf(b.constraint_text),
        Family::Ecp5 => parse_lpf(b.constraint_text),
    }
    .unwrap_or_else(|e| panic!("{}: {e:#}", b.constraint_file));
    parsed.into_iter().map(|(k, v)| (k, v.pin)).collect()
}

/// The ports of `module board_top (...)` in the generated text.
fn top_ports(verilog: &str) -> Vec<(String, String)> {
    let start = verilog.find("module board_top (").expect("module board_top");
    let body = &verilog[start..];
    let end = body.find(");").unwrap();
    body[..end]
        .lines()
        .skip(1)
        .map(|l| {
            let w: Vec<&str> = l.trim().trim_end_matches(',').split_whitespace().collect();
            assert_eq!(w.len(), 3, "port line `{l}`");
            (w[0].to_string(), w[2].to_string())
        })
        .collect()
}

#[test]
fn the_three_boards_of_the_brief_are_in_the_table() {
    assert_eq!(board_names(), vec!["alchitry-cu", "icebreaker", "ulx3s"]);
    let cu = board("alchitry-cu").unwrap();
    assert_eq!((cu.family, cu.osc_hz), (Family::Ice40, 100_000_000));
    assert!(matches!(cu.pll, Pll::Ice40(_)));
    // From the oscillator directly at 100 MHz when asked.
    assert_eq!(cu.with_core_hz(100_000_000).unwrap().pll, Pll::None);
    let ib = board("icebreaker").unwrap();
    assert_eq!((ib.family, ib.osc_hz), (Family::Ice40, 12_000_000));
    assert!(matches!(ib.pll, Pll::Ice40(_)));
    let ulx = board("ulx3s").unwrap();
    assert_eq!((ulx.family, ulx.osc_hz), (Family::Ecp5, 25_000_000));
    assert!(matches!(ulx.pll, Pll::Ecp5(_)));
}

#[test]
fn every_board_is_internally_consistent() {
    for b in BOARDS {
        b.validate().unwrap_or_else(|e| panic!("{}: {e:#}", b.name));
        for role in [LedRole::Irq, LedRole::Heartbeat, LedRole::UartActivity, LedRole::Running] {
            assert!(b.led(role).is_some(), "{} has no {role:?} LED", b.name);
        }
        // The UART divider must be near exact at the core clock: 115200 baud within 2%.
        let div = (b.core_hz as f64 / 115_200.0).round();
        let err = (b.core_hz as f64 / div - 115_200.0).abs() / 115_200.0;
        assert!(err < 0.02, "{}: 115200 baud off by {:.2}%", b.name, err * 100.0);
    }
}

#[test]
fn constraint_files_exist_and_are_what_the_binary_embeds() {
    for b in BOARDS {
        let path = repo_root().join(b.constraint_file);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(on_disk, b.constraint_text, "{}", b.constraint_file);
        assert!(on_disk.contains("Source:"), "{} names no source", b.constraint_file);
    }
}

#[test]
fn every_board_top_port_is_constrained_to_the_table_pin_and_nothing_else() {
    for b in BOARDS {
        let cons = constraints_of(b);
        let ports = top_ports(&board_top_verilog(b));
        let table: BTreeMap<&str, &str> = b.top_pins().into_iter().map(|(p, pin)| (p, pin.pin)).collect();
        assert_eq!(ports.len(), cons.len(), "{}: ports {ports:?} vs constraints {cons:?}", b.name);
        for (_, port) in &ports {
            let pin = cons.get(port).unwrap_or_else(|| panic!("{}: `{port}` unconstrained", b.name));
            assert_eq!(table.get(port.as_str()), Some(&pin.as_str()), "{}: `{port}`", b.name);
        }
        check_constraints(b).unwrap();
        let pins: std::collections::BTreeSet<&String> = cons.values().collect();
        assert_eq!(pins.len(), cons.len(), "{}: a pin is used twice", b.name);
    }
}

#[test]
fn check_constraints_catches_a_wrong_or_missing_pin() {
    let mut b = board("alchitry-cu").unwrap().clone();
    b.constraint_text = Box::leak(b.constraint_text.replace("set_io led_irq J11", "set_io led_irq J12").into_boxed_str());
    let e = check_constraints(&b).unwrap_err().to_string();
    assert!(e.contains("led_irq") && e.contains("J12") && e.contains("J11"), "{e}");
    b.constraint_text = Box::leak(b.constraint_text.replace("set_io led_irq J12\n", "").into_boxed_str());
    let e = check_constraints(&b).unwrap_err().to_string();
    assert!(e.contains("`led_irq` is not constrained"), "{e}");
    let mut b = board("ulx3s").unwrap().clone();
    b.constraint_text = Box::leak(format!("{}LOCATE COMP \"extra\" SITE \"A1\";\n", b.constraint_text).into_boxed_str());
    let e = check_constraints(&b).unwrap_err().to_string();
    assert!(e.contains("`extra` is not a port of board_top"), "{e}");
}

#[test]
fn unknown_board_is_an_error_listing_the_known_ones() {
    let e = board("de10-nano").unwrap_err().to_string();
    assert!(e.contains("unknown board `de10-nano`"), "{e}");
    for name in board_names() {
        assert!(e.contains(name), "{e}");
    }
}

#[test]
fn a_bad_pll_entry_is_rejected() {
    let mut b = board("icebreaker").unwrap().clone();
    if let Pll::Ice40(p) = &mut b.pll {
        p.divq = 3; // 72 MHz, not the table's core clock
    }
    assert!(b.validate().unwrap_err().to_string().contains("core clock"));
    let mut b = board("ulx3s").unwrap().clone();
    b.pll = Pll::Ice40(ftio_bsp::Ice40Pll { divr: 0, divf: 47, divq: 4, filter_range: 1, from_pad: true });
    assert!(b.validate().unwrap_err().to_string().contains("family"));
}

/// `icepll` (fpga-icestorm) is the reference for iCE40 PLL settings.
#[test]
fn ice40_pll_entries_match_icepll() {
    for b in BOARDS {
        let Pll::Ice40(p) = b.pll else { continue };
        let out = Command::new("icepll")
            .args(["-i", &(b.osc_hz as f64 / 1e6).to_string(), "-o", &(b.core_hz as f64 / 1e6).to_string()])
            .output()
            .expect("icepll not found: run scripts/setup.sh");
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |name: &str| -> u8 {
            let line = text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("icepll: no {name}: {text}"));
            line[name.len()..].trim_start_matches(':').split_whitespace().next().unwrap().parse().unwrap()
        };
        assert_eq!(
            (p.divr, p.divf, p.divq, p.filter_range),
            (field("DIVR"), field("DIVF"), field("DIVQ"), field("FILTER_RANGE")),
            "{}: {text}",
            b.name
        );
        assert!(text.contains("(achieved)"), "{}: icepll cannot make {} Hz exactly", b.name, b.core_hz);
        assert_eq!(ftio_bsp::Ice40Pll::search(b.osc_hz, b.core_hz, p.from_pad).unwrap(), p);
    }
}

/// `ecppll` (Project Trellis, from the venv) is the reference for ECP5 PLL settings.
#[test]
fn ecp5_pll_entries_match_ecppll() {
    let ecppll = ftio_bsp::flow::venv_bin().unwrap_or_else(|e| panic!("{e:#}")).join("yowasp-ecppll");
    assert!(ecppll.exists(), "{} missing: run scripts/setup.sh", ecppll.display());
    for b in BOARDS {
        let Pll::Ecp5(p) = b.pll else { continue };
        let dir = std::env::temp_dir().join(format!("ftio-ecppll-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let st = Command::new(&ecppll)
            .current_dir(&dir)
            .args(["-i", &(b.osc_hz as f64 / 1e6).to_string(), "-o", &(b.core_hz as f64 / 1e6).to_string(), "-f", "pll.v"])
            .output()
            .unwrap();
        assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
        let v = std::fs::read_to_string(dir.join("pll.v")).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let param = |name: &str| -> u8 {
            let at = v.find(&format!(".{name}(")).unwrap_or_else(|| panic!("no {name} in {v}"));
            let rest = &v[at + name.len() + 2..];
            rest[..rest.find(')').unwrap()].parse().unwrap()
        };
        assert_eq!(
            (p.clki_div, p.clkfb_div, p.clkop_div, p.clkop_cphase),
            (param("CLKI_DIV"), param("CLKFB_DIV"), param("CLKOP_DIV"), param("CLKOP_CPHASE")),
            "{}",
            b.name
        );
        let found = ftio_bsp::Ecp5Pll::search(b.osc_hz, b.core_hz).unwrap();
        assert_eq!((found.clki_div, found.clkfb_div, found.clkop_div), (p.clki_div, p.clkfb_div, p.clkop_div));
    }
}

/// Every board top elaborates with yosys around a core with exactly the SPEC §3 ports, with
/// no implicit nets and every core port connected.
#[test]
fn board_tops_elaborate_around_the_spec_port_list() {
    for b in BOARDS {
        let dir = std::env::temp_dir().join(format!("ftio-bsp-elab-{}-{}", std::process::id(), b.name));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("core.v"), common::stand_in_core()).unwrap();
        std::fs::write(dir.join("top.v"), board_top_verilog(b)).unwrap();
        let lib = match b.family {
            Family::Ice40 => "read_verilog -lib +/ice40/cells_sim.v",
            Family::Ecp5 => "read_verilog -lib +/ecp5/cells_sim.v +/ecp5/cells_bb.v",
        };
        // Debian's yosys 0.23 has the ECP5 cell library too; only parse and check here.
        let out = Command::new("yosys")
            .current_dir(&dir)
            .args(["-q", "-p", &format!("{lib}; read_verilog core.v top.v; hierarchy -check -top board_top; check -assert")])
            .output()
            .expect("yosys not found: run scripts/setup.sh");
        let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{}: {log}", b.name);
        assert!(!log.contains("implicit"), "{}: {log}", b.name);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A core missing a SPEC port is a loud elaboration error, not a silently dangling pin.
#[test]
fn a_core_without_a_spec_port_fails_elaboration() {
    let dir = std::env::temp_dir().join(format!("ftio-bsp-elab-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let core = common::stand_in_core().replace("    input  wire cpu_a_tx_abort,\n", "");
    assert!(!core.contains("cpu_a_tx_abort,"));
    std::fs::write(dir.join("core.v"), core).unwrap();
    std::fs::write(dir.join("top.v"), board_top_verilog(board("alchitry-cu").unwrap())).unwrap();
    let out = Command::new("yosys")
        .current_dir(&dir)
        .args(["-q", "-p", "read_verilog core.v top.v; hierarchy -check -top board_top"])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cpu_a_tx_abort"));
}

/// The board top itself is clean under the project's lint (`verilator --lint-only -Wall`), for
/// the board without a PLL primitive (Verilator has no model of the vendor PLLs).
#[test]
fn board_top_is_verilator_lint_clean() {
    let dir = std::env::temp_dir().join(format!("ftio-bsp-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ftio_core.v"), common::stand_in_core()).unwrap();
    std::fs::write(dir.join("board_top.v"), board_top_verilog(board("alchitry-cu").unwrap())).unwrap();
    let out = Command::new("verilator")
        .current_dir(&dir)
        .args(["--lint-only", "-Wall", "--top-module", "board_top", "board_top.v", "ftio_core.v"])
        .output()
        .expect("verilator not found: run scripts/setup.sh");
    let _ = std::fs::remove_dir_all(&dir);
    let log = String::from_utf8_lossy(&out.stderr);
    // The stand-in ignores most of its inputs (Verilator says so); board_top must say nothing.
    let about_top: Vec<&str> = log.lines().filter(|l| l.starts_with('%') && l.contains("board_top.v")).collect();
    assert!(about_top.is_empty(), "{log}");
}

#[test]
fn a_board_can_be_reclocked_through_its_pll() {
    // The Alchitry Cu's P7 is not the PLL pad: 25 MHz (the table says 60) comes from
    // SB_PLL40_CORE, as icepll says.
    let cu = board("alchitry-cu").unwrap().with_core_hz(25_000_000).unwrap();
    assert_eq!(cu.core_hz, 25_000_000);
    match cu.pll {
        Pll::Ice40(p) => {
            assert!(!p.from_pad);
            assert_eq!((p.divr, p.divf, p.divq, p.filter_range), (0, 7, 5, 5)); // icepll -i 100 -o 25
        }
        other => panic!("{other:?}"),
    }
    assert!(board_top_verilog(&cu).contains("SB_PLL40_CORE"));
    // Same clock as the oscillator: no PLL at all.
    let ib = board("icebreaker").unwrap().with_core_hz(12_000_000).unwrap();
    assert_eq!(ib.pll, Pll::None);
    // The iCEBreaker keeps its pad PLL; the ULX3S its EHXPLLL.
    assert!(matches!(board("icebreaker").unwrap().with_core_hz(24_000_000).unwrap().pll, Pll::Ice40(p) if p.from_pad));
    let u = board("ulx3s").unwrap().with_core_hz(50_000_000).unwrap();
    assert!(matches!(u.pll, Pll::Ecp5(p) if (p.clki_div, p.clkfb_div, p.clkop_div) == (1, 2, 12))); // ecppll -i 25 -o 50
    // Nothing legal near 1 MHz (below the iCE40 PLL's 16 MHz output floor).
    let e = board("alchitry-cu").unwrap().with_core_hz(1_000_000).unwrap_err().to_string();
    assert!(e.contains("no PLL setting makes 1.000 MHz"), "{e}");
}
