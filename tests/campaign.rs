//! `ftio campaign --pipeline N`: the campaign runs on the pipelined build as `ftio build` and
//! `ftio bench` take it (the same option and range), says so in its report, and refuses a
//! depth the generator does not build. A few runs only: seconds once the Verilator model of
//! the pipelined core is cached (target/ftio-sim/verilator), a minute or two the first time.
use std::process::Command;

fn campaign(args: &[&str], name: &str) -> (bool, String, String) {
    let dir = std::env::temp_dir().join(format!("ftio-test-campaign-{name}-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_ftio"))
        .arg("campaign")
        .args(args)
        .args(["--jobs", "1", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn report(args: &[&str], name: &str) -> serde_json::Value {
    let (ok, stdout, stderr) = campaign(args, name);
    assert!(ok, "ftio campaign {args:?} failed:\n{stderr}\n{stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn a_campaign_runs_on_the_pipelined_build_and_says_so() {
    let common = ["--faults", "3", "--writes", "2", "--lockstep", "elastic", "--seed", "2", "--json"];
    let piped = report(&[&common[..], &["--pipeline", "1"]].concat(), "p1");
    assert_eq!(piped["pipeline"], 1, "{piped}");
    assert_eq!(piped["runs"].as_array().map(|r| r.len()), Some(3), "{piped}");
    assert_eq!(piped["silent_failures"], 0, "{piped}");
    // The default build's report has no `pipeline` (its JSON is as before the option), and
    // its golden run is another build's: the input stage moves every forwarded word a cycle.
    let default = report(&common, "p0");
    assert!(default.get("pipeline").is_none(), "{default}");
    assert_ne!(piped["golden_cycles"], default["golden_cycles"], "the same golden run: --pipeline did not reach the model");
}

#[test]
fn a_pipeline_the_generator_does_not_build_is_refused() {
    let (ok, _, stderr) = campaign(&["--faults", "1", "--pipeline", "2"], "p2");
    assert!(!ok, "--pipeline 2 accepted");
    assert!(stderr.contains("--pipeline") && stderr.contains("0..=1"), "{stderr}");
}
