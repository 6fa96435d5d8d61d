//! The benchmark runs, moves words in both simulators, and its figures are consistent.
use ftio_sim::bench::{run_bench, BenchConfig};

#[test]
fn bench_measures_both_simulators_on_a_busy_workload() {
    let cfg = BenchConfig { rust_hdl_cycles: 2_000, verilator_cycles: 50_000, ..BenchConfig::default() };
    let r = run_bench(&cfg).unwrap();
    assert_eq!(r.rust_hdl.cycles, 2_000);
    assert_eq!(r.verilator.cycles, 50_000);
    // Busy: more than one word per cycle across the eight links.
    assert!(r.rust_hdl.words_moved > 2_000, "{r}");
    assert!(r.verilator.words_moved > 50_000, "{r}");
    // The rust-hdl run's cycles replayed until as many cycles as the models run.
    assert_eq!(r.verilator_replay.cycles, 50_000);
    assert_eq!(r.verilator_replay.words_moved, r.rust_hdl.words_moved * 25);
    assert!(r.verilator_replay.cycles_per_second() > r.rust_hdl.cycles_per_second(), "{r}");
    println!("{r}");
}

/// docs/simulation.md's speed table is the one `ftio bench --speed --write-docs` writes, of
/// the default command, consistent in itself, and of a core of today's size (checked without
/// measuring anything).
#[test]
fn docs_speed_table_is_current() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/simulation.md")).unwrap();
    let verilog = ftio_hdl::core_verilog(&ftio_hdl::BuildParams::default()).unwrap();
    if let Err(e) = ftio_sim::bench::check_docs_table(&doc, verilog.lines().count()) {
        panic!("{e}");
    }
}
