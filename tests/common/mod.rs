//! What the board-build tests (tests/board_build.rs, tests/system_build.rs) share.
use std::path::Path;
use std::process::Command;

/// Runs `ftio build ARGS --json --out DIR` (the binary this package builds), asserts that it
/// succeeded (the failure shows its stderr and stdout) and returns its JSON report.
pub fn ftio_build_report(args: &[&str], dir: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_ftio"))
        .arg("build")
        .args(args)
        .args(["--json", "--out"])
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ftio build failed ({}):\n{stderr}\n{stdout}", out.status);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
