//! The timing diagrams in docs/waves/ are the core's: the scenarios of `ftio waves` are run
//! again on the Verilator model and their WaveJSON and SVG must equal the committed files.
//! A missing renderer fails the test with the install command (never a skip).
use ftio_sim::waves;

fn first_difference(got: &str, want: &str) -> String {
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    let i = g.iter().zip(&w).position(|(a, b)| a != b).unwrap_or(g.len().min(w.len()));
    format!("line {}:\n  now:       {}\n  committed: {}", i + 1, g.get(i).unwrap_or(&"(end)"), w.get(i).unwrap_or(&"(end)"))
}

#[test]
fn docs_waves_are_the_cores_timing() {
    let renderer = waves::renderer().unwrap_or_else(|e| panic!("{e}"));
    let diagrams = waves::record_all().unwrap_or_else(|e| panic!("a scenario failed: {e}"));
    assert_eq!(diagrams.iter().map(|d| d.name).collect::<Vec<_>>(), waves::DIAGRAMS.map(|d| d.0));
    let dir = waves::docs_dir();
    for d in &diagrams {
        for (name, text) in waves::files(&renderer, d).unwrap_or_else(|e| panic!("{e}")) {
            let path = dir.join(&name);
            let committed = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}; generate it with `cargo run --release -- waves`", path.display()));
            assert!(
                text == committed,
                "docs/waves/{name} is stale: regenerate with `cargo run --release -- waves` and update the \
                 sentences that cite its cycles (docs/simulation.md lists where); {}",
                first_difference(&text, &committed)
            );
        }
        let json: serde_json::Value = serde_json::from_str(&d.wavejson).unwrap_or_else(|e| panic!("{}: {e}", d.name));
        assert!(json["signal"].as_array().is_some_and(|s| !s.is_empty()), "{}: no signals", d.name);
    }
    // A directory without the files: every one of them is named stale.
    let empty = std::env::temp_dir().join(format!("ftio-waves-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let stale = waves::stale(&renderer, &diagrams, &empty).unwrap();
    let _ = std::fs::remove_dir(&empty);
    assert_eq!(stale.len(), 2 * diagrams.len(), "{stale:?}");
}

#[test]
fn a_missing_renderer_names_the_install_command() {
    let nowhere = std::env::temp_dir().join(format!("ftio-waves-no-venv-{}", std::process::id()));
    let err = waves::renderer_in(&[nowhere]).expect_err("no venv, no renderer").to_string();
    assert!(err.contains("yowasp-wavedrom"), "{err}");
    assert!(err.contains("bash scripts/setup.sh"), "{err}");
    assert!(err.contains("pip install yowasp-wavedrom"), "{err}");
}
