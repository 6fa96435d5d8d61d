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
    assert_eq!(r.verilator_replay.words_moved, r.rust_hdl.words_moved);
    assert!(r.verilator_replay.cycles_per_second() > r.rust_hdl.cycles_per_second(), "{r}");
    println!("{r}");
}
