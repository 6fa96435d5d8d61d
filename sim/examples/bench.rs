//! Measures simulation speed (cycles/s) of the core in rust-hdl and Verilator on the same
//! workload. `cargo run --release -p ftio-sim --example bench -- [RUST_HDL_CYCLES [VERILATOR_CYCLES]]`
fn main() {
    let mut cfg = ftio_sim::bench::BenchConfig::default();
    let args: Vec<u64> = std::env::args().skip(1).map(|a| a.parse().expect("cycle counts are numbers")).collect();
    if let Some(&n) = args.first() {
        cfg.rust_hdl_cycles = n;
    }
    if let Some(&n) = args.get(1) {
        cfg.verilator_cycles = n;
    }
    match ftio_sim::bench::run_bench(&cfg) {
        Ok(r) => println!("{r}"),
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
    }
}
