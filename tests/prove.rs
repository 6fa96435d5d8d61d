//! The quick formal proofs (`ftio prove --quick`, docs/verification.md) as part of the suite:
//! the test fails when a property fails (the counterexample VCD is named in the output) or
//! when the tools are missing (run scripts/setup.sh).
use std::process::Command;

fn prove(only: &str) {
    let out = std::env::temp_dir().join(format!("ftio-prove-test-{}-{only}", std::process::id()));
    let result = Command::new(env!("CARGO_BIN_EXE_ftio"))
        .args(["prove", "--quick", "--only", only, "--out"])
        .arg(&out)
        .output()
        .expect("run ftio prove");
    let text = String::from_utf8_lossy(&result.stdout).into_owned() + &String::from_utf8_lossy(&result.stderr);
    println!("{text}");
    assert!(result.status.success(), "ftio prove --only {only} failed:\n{text}");
    // Every property of the proof is reported, none failed, every cover reached.
    assert!(text.contains(&format!("{only} (")), "{text}");
    if only == "fabric" {
        assert!(text.contains("fabric_hardened ("), "{text}");
    }
    assert!(!text.contains("FAILED") && !text.contains("UNREACHED"), "{text}");
    // The quick proofs are all unbounded: every property proved by k-induction.
    assert!(text.contains("proved (k-induction)") && !text.contains("bounded") && !text.contains("NOT PROVED"), "{text}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn stream_fifo_is_proved() {
    prove("stream_fifo");
}

#[test]
fn commit_gate_is_proved() {
    prove("commit_gate");
}

/// The default build's fabric and the hardened one (`--only fabric` selects both proofs:
/// `fabric`, `fabric_hardened`).
#[test]
fn fabric_is_proved() {
    prove("fabric");
}

#[test]
fn delay_line_is_proved() {
    prove("delay_line");
}
