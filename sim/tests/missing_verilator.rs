//! Without Verilator on PATH the backend fails loudly and names the setup script.
//! (Its own test binary: it changes PATH for the whole process.)
use ftio_hdl::BuildParams;
use ftio_sim::VerilatorCore;

#[test]
fn missing_verilator_names_the_setup_script() {
    let empty = std::env::temp_dir().join(format!("ftio-sim-empty-path-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    std::env::set_var("PATH", &empty);
    let err = VerilatorCore::new(&BuildParams::default()).err().expect("must fail without verilator").to_string();
    assert!(err.contains("bash scripts/setup.sh"), "{err}");
    assert!(err.contains("Verilator is not installed"), "{err}");
    let _ = std::fs::remove_dir(&empty);
}
