//! `ftio verilog` output: module `ftio_core` with the SPEC §3 flat ports, clean under
//! Verilator's lint (with the documented exceptions) and synthesisable by yosys for iCE40.
use std::path::Path;
use std::process::Command;

fn tool(name: &str) {
    let ok = Command::new(name).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
        || Command::new(name).arg("-V").output().map(|o| o.status.success()).unwrap_or(false);
    assert!(ok, "`{name}` is not installed: run `bash scripts/setup.sh` (apt-get install verilator yosys)");
}

fn generate(dir: &Path, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ftio"))
        .args(["verilog", "--out"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "ftio verilog failed: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(dir.join("ftio_core.v")).unwrap()
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ftio-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every port SPEC §3 names, with its direction and width.
fn spec_ports() -> Vec<(String, &'static str, u32)> {
    let mut v = vec![
        ("clock".to_string(), "input", 1),
        ("reset".to_string(), "input", 1),
        ("uart_rx".to_string(), "input", 1),
        ("uart_tx".to_string(), "output", 1),
        ("irq".to_string(), "output", 1),
    ];
    for (port, into_core) in [
        ("cpu_a_tx", true), ("cpu_b_tx", true), ("disk_a_rx", true), ("disk_b_rx", true),
        ("cpu_a_rx", false), ("cpu_b_rx", false), ("disk_a_tx", false), ("disk_b_tx", false),
    ] {
        let (fwd, back) = if into_core { ("input", "output") } else { ("output", "input") };
        for (sig, w) in [("valid", 1), ("data", 32), ("last", 1), ("abort", 1), ("par", 4), ("cpar", 1)] {
            v.push((format!("{port}_{sig}"), fwd, w));
        }
        v.push((format!("{port}_ready"), back, 1));
        v.push((format!("{port}_rpar"), back, 1));
    }
    v
}

#[test]
fn ftio_core_has_the_spec_ports() {
    let dir = tempdir("ports");
    let v = generate(&dir, &[]);
    let start = v.find("module ftio_core(").expect("module ftio_core");
    let body = &v[start..v[start..].find("endmodule").unwrap() + start];
    for (name, dir, width) in spec_ports() {
        let decl = body
            .lines()
            .map(str::trim)
            .find(|l| (l.starts_with("input") || l.starts_with("output")) && l.trim_end_matches(';').ends_with(&format!(" {name}")))
            .unwrap_or_else(|| panic!("port {name} missing"));
        assert!(decl.starts_with(dir), "{name} should be an {dir}: {decl}");
        let w = if width == 1 { !decl.contains('[') } else { decl.contains(&format!("[{}:0]", width - 1)) };
        assert!(w, "{name} should be {width} bits: {decl}");
    }
    let header = &body[..body.find(");").unwrap()];
    assert_eq!(header.matches(',').count() + 1, spec_ports().len(), "no ports beyond SPEC §3");
}

/// Warning classes accepted on rust-hdl output (docs/architecture.md, "Verilog"):
/// DECLFILENAME (all modules are in one file), UNUSEDSIGNAL (generic sub-blocks with
/// outputs a particular use leaves unread) and UNOPTFLAT (rust-hdl writes one combinational
/// always block per module, so two modules exchanging valid and ready look circular to
/// Verilator although no signal depends on itself; rust-hdl's own loop check passes).
const ACCEPTED_WARNINGS: [&str; 3] = ["DECLFILENAME", "UNUSEDSIGNAL", "UNOPTFLAT"];

#[test]
fn verilator_lint_is_clean() {
    tool("verilator");
    // The default build, the pipelined one (`--pipeline 1`) and the iCE40 boards' capture
    // choice and disk links without their stage (`--capture-choice before --disk-stage off`).
    for extra in [&[][..], &["--pipeline", "1"][..], &["--capture-choice", "before", "--disk-stage", "off", "--harden"][..]] {
        let dir = tempdir(&format!("lint{}", extra.len()));
        generate(&dir, extra);
        let out = Command::new("verilator")
            .args(["--lint-only", "-Wall", "-Wno-WIDTH", "-Wno-fatal", "--top-module", "ftio_core"])
            .arg(dir.join("ftio_core.v"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        for line in text.lines().filter(|l| l.starts_with("%Warning-") || l.starts_with("%Error")) {
            let class = line.trim_start_matches("%Warning-").split(':').next().unwrap();
            assert!(ACCEPTED_WARNINGS.contains(&class), "{extra:?}: unexpected lint finding: {line}");
        }
        assert!(out.status.success(), "{extra:?}: verilator failed: {text}");
    }
}

/// `--pipeline 0` is the default build, with nothing of the CPU links' stages in its Verilog
/// (no module, no wire: `IfBuilt`) and the disk links' stages (every build, issue 26);
/// `--pipeline 1` has the four input stages and names its depth in the header.
#[test]
fn the_pipeline_parameter_adds_the_input_stages_only_when_set() {
    let default = generate(&tempdir("pipe-default"), &[]);
    let zero = generate(&tempdir("pipe-0"), &["--pipeline", "0"]);
    assert!(default == zero, "--pipeline 0 is the default build");
    for port in ["cpu_a", "cpu_b"] {
        assert!(!default.contains(&format!("stage_{port}")), "no stage_{port} in the default build");
    }
    for port in ["disk_a", "disk_b"] {
        assert!(default.contains(&format!("ftio_core$stage_{port} stage_{port}(")), "stage_{port} in every build");
    }
    assert!(!default.contains("pipeline="), "the default build's header is as before the parameter");
    let one = generate(&tempdir("pipe-1"), &["--pipeline", "1"]);
    assert!(one.lines().nth(1).unwrap().ends_with(" harden=false bist_skids=false pipeline=1"), "header: {}", one.lines().nth(1).unwrap());
    for port in ["cpu_a", "cpu_b", "disk_a", "disk_b"] {
        assert!(one.contains(&format!("ftio_core$stage_{port} stage_{port}(")), "stage_{port} instantiated");
    }
}

/// `--capture-choice after` is the default build; `before` (the iCE40 boards') builds the
/// capture's choice before its registers and names itself in the header.
#[test]
fn the_capture_choice_names_itself_only_when_before() {
    let default = generate(&tempdir("cap-default"), &[]);
    let after = generate(&tempdir("cap-after"), &["--capture-choice", "after"]);
    assert!(default == after, "--capture-choice after is the default build");
    assert!(!default.contains("capture_choice="), "the default build's header is as before the parameter");
    assert!(default.contains("localparam  choice_before = 1'b0;"), "the capture's choice after the registers");
    let before = generate(&tempdir("cap-before"), &["--capture-choice", "before", "--pipeline", "1"]);
    let header = before.lines().nth(1).unwrap();
    assert!(header.ends_with(" bist_skids=false pipeline=1 capture_choice=before"), "header: {header}");
    assert!(before.contains("localparam  choice_before = 1'b1;"), "the capture's choice before the registers");
}

/// `--disk-stage on` is the default build, with a stage behind each disk link; `off` (the
/// iCE40 boards') has none (no module, no wire: `IfBuilt`) and names itself in the header.
#[test]
fn the_disk_stage_is_left_out_only_when_off() {
    let default = generate(&tempdir("ds-default"), &[]);
    let on = generate(&tempdir("ds-on"), &["--disk-stage", "on"]);
    assert!(default == on, "--disk-stage on is the default build");
    assert!(!default.contains("disk_stage="), "the default build's header is as before the parameter");
    let off = generate(&tempdir("ds-off"), &["--disk-stage", "off"]);
    let header = off.lines().nth(1).unwrap();
    assert!(header.ends_with(" bist_skids=false disk_stage=off"), "header: {header}");
    for port in ["disk_a", "disk_b"] {
        assert!(default.contains(&format!("ftio_core$stage_{port} stage_{port}(")), "stage_{port} in the default build");
        assert!(!off.contains(&format!("stage_{port}")), "no stage_{port} with --disk-stage off");
    }
}

#[test]
fn yosys_synthesises_for_ice40_with_non_default_parameters() {
    tool("yosys");
    let dir = tempdir("synth");
    generate(&dir, &["--clock-hz", "48000000", "--baud", "1000000", "--skew-depth", "32"]);
    let out = Command::new("yosys")
        .args(["-p", "read_verilog ftio_core.v; synth_ice40 -top ftio_core; stat"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "yosys failed: {}{}", text, String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("SB_LUT4") && text.contains("SB_DFF"), "no logic synthesised:\n{text}");
}

#[test]
fn bad_parameters_are_refused_with_a_clear_error() {
    let dir = tempdir("bad");
    for (args, msg) in [
        (vec!["--skew-depth", "33"], "power of two"),
        (vec!["--baud", "200000000"], "125000000"),
        (vec!["--clock-hz", "1000000", "--baud", "921600"], "too fast"),
        (vec!["--pipeline", "2"], "0..=1"),
        (vec!["--capture-choice", "late"], "[possible values: before, after]"),
        (vec!["--disk-stage", "yes"], "[possible values: on, off]"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ftio")).args(["verilog", "--out"]).arg(&dir).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}
