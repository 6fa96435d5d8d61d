//! The formal proofs (`ftio prove`, docs/verification.md) as part of the suite: the quick
//! (unbounded) ones and the bounded ones, each to the depth `ftio prove --list` gives. A test
//! fails when a property fails (the counterexample VCD is named in the output), when a
//! harness no longer fits its block (a renamed port: `ftio prove` stops on yosys's error) or
//! when the tools are missing (run scripts/setup.sh).
use std::process::Command;

/// Runs `ftio prove --only ONLY` (with `--quick` for the unbounded proofs) and returns its
/// output, after asserting it passed, reported `only` and left nothing failed or unreached.
fn run_prove(only: &str, quick: bool) -> String {
    let out = std::env::temp_dir().join(format!("ftio-prove-test-{}-{only}", std::process::id()));
    let mut args = vec!["prove"];
    if quick {
        args.push("--quick");
    }
    let result = Command::new(env!("CARGO_BIN_EXE_ftio"))
        .args(args)
        .args(["--only", only, "--out"])
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
    let _ = std::fs::remove_dir_all(&out);
    text
}

fn prove(only: &str) {
    let text = run_prove(only, true);
    // The quick proofs are all unbounded: every property proved by k-induction.
    assert!(text.contains("proved (k-induction)") && !text.contains("bounded") && !text.contains("NOT PROVED"), "{text}");
}

/// A bounded proof: every assertion holds from power-on to `depth` (the proof's own depth,
/// `ftio prove --list`) and every cover is reached.
fn holds_to(only: &str, proofs: &[(&str, u32)]) {
    let text = run_prove(only, false);
    for (name, depth) in proofs {
        let report: Vec<&str> = text
            .split(&format!("{name} ("))
            .nth(1)
            .unwrap_or_else(|| panic!("{name} not reported:\n{text}"))
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .collect();
        let asserts: Vec<&&str> = report.iter().filter(|l| !l.trim_start().starts_with("cover ")).collect();
        assert!(!asserts.is_empty(), "{name}: no assertion reported:\n{text}");
        for l in asserts {
            assert!(l.ends_with(&format!("bounded: holds to depth {depth}")), "{name}: {l}\n{text}");
        }
    }
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

/// The lockstep's two bounded proofs (SPEC §3/§4: the committed stream across a fail-over, and
/// strict DUPLEX's CPU B ready), about a minute.
#[test]
fn lockstep_holds_to_its_bounds() {
    holds_to("lockstep", &[("lockstep", 11), ("lockstep_strict_ready", 24)]);
}

/// The command parser's two bounded proofs (SPEC §5's frames), about half a minute.
#[test]
fn cmd_parser_holds_to_its_bounds() {
    holds_to("cmd_parser", &[("cmd_parser", 16), ("cmd_parser_response", 20)]);
}
