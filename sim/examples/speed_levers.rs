//! A/B harness for the simulation-speed levers of docs/simulation.md: times the Verilator model
//! of the default core with the models in the loop, and replaying a trace recorded on the same
//! model (no rust-hdl run needed), as wall time and as the thread's CPU time.
//!
//! `cargo run --release -p ftio-sim --example speed_levers -- CYCLES REPLAYS [VERILATOR OPTIONS...]`
//!
//! Runs the models CYCLES cycles, then replays a 100 000-cycle trace REPLAYS times. Further
//! arguments replace the default Verilator options (one option per argument). On a loaded
//! machine wall and CPU time are noisy; user-space instructions are not:
//! `perf stat -e instructions:u` of two runs that differ only in CYCLES (or REPLAYS) gives the
//! instructions per simulated cycle of that part alone.
use ftio_sim::bench::workload;
use ftio_sim::core_sim::CoreSim;
use ftio_sim::equivalence::{record, replay, run};
use std::time::Instant;

const TRACE_CYCLES: u64 = 100_000;

fn thread_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cycles: u64 = args.first().map_or(300_000, |a| a.parse().expect("CYCLES is a number"));
    let replays: u64 = args.get(1).map_or(2, |a| a.parse().expect("REPLAYS is a number"));
    let verilog = ftio_hdl::core_verilog(&ftio_hdl::BuildParams::default()).unwrap();
    let lib = if args.len() > 2 {
        let flags: Vec<&str> = args[2..].iter().map(|s| s.as_str()).collect();
        ftio_sim::verilator::load_with_flags(&verilog, &flags).unwrap()
    } else {
        ftio_sim::verilator::load(&verilog).unwrap()
    };
    if cycles > 0 {
        let mut sys = workload(1, cycles);
        let mut model = lib.instantiate();
        let (t, c) = (Instant::now(), thread_cpu());
        run(&mut model as &mut dyn CoreSim, &mut sys, cycles);
        let (wall, cpu) = (t.elapsed().as_secs_f64(), thread_cpu() - c);
        assert!(sys.cpu_a.errors.is_empty() && sys.cpu_b.errors.is_empty());
        print!("models: {:>8.0} cycles/s wall {:>8.0} cpu", cycles as f64 / wall, cycles as f64 / cpu);
    }
    let mut sys = workload(1, TRACE_CYCLES);
    let trace = record(&mut lib.instantiate(), &mut sys, TRACE_CYCLES);
    if replays > 0 {
        let (t, c) = (Instant::now(), thread_cpu());
        for _ in 0..replays {
            replay(&trace, &mut lib.instantiate(), "verilator").unwrap();
        }
        let (wall, cpu) = (t.elapsed().as_secs_f64(), thread_cpu() - c);
        let n = (replays * TRACE_CYCLES) as f64;
        print!(" | replay: {:>8.0} cycles/s wall {:>8.0} cpu", n / wall, n / cpu);
    }
    println!();
}
