//! A/B harness for the simulation-speed levers of docs/simulation.md: the Verilator model of
//! the default core with the models in the loop, and replaying a trace recorded on the same
//! model (no rust-hdl run needed), timed as the thread's CPU time.
//!
//! `cargo run --release -p ftio-sim --example speed_levers -- ROUNDS CYCLES [VARIANT...]`
//!
//! A VARIANT is `default` (this crate's Verilator options) or one string of Verilator options
//! separated by spaces (`-MAKEFLAGS` takes the rest of the string), optionally after a source
//! of the Verilog other than the default core: `file:PATH` (a `ftio_core.v` written by
//! `ftio verilog`, e.g. at an older commit, or edited by hand) or `params:KEY[,KEY...]` with
//! the keys `no-injection`, `no-bist`, `no-bist-return`, `harden` (the build parameters of
//! `ftio verilog`). Each round runs every variant in turn, CYCLES cycles with the models and
//! then replaying a CYCLES-cycle trace recorded on that variant's model, so on a loaded machine
//! all variants see the same load; the medians over the rounds are printed, with the time to
//! make and drop a model (`ftio bench` replays on a fresh model per pass).
use ftio_sim::bench::workload;
use ftio_sim::core_sim::CoreSim;
use ftio_sim::equivalence::{record, replay, run};
use ftio_sim::verilator::{load, load_with_flags, VerilatedLib};
use std::sync::Arc;

/// Models made and dropped per round to time a fresh model.
const FRESH: usize = 10;

fn thread_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// The Verilog a variant names (`file:PATH`, `params:KEYS`, or the default core) and the rest
/// of the variant (its Verilator options, `default` or empty for this crate's).
fn verilog_of(variant: &str) -> (String, &str) {
    let (first, rest) = variant.split_once(' ').unwrap_or((variant, ""));
    if let Some(path) = first.strip_prefix("file:") {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        return (text, rest.trim());
    }
    let mut params = ftio_hdl::BuildParams::default();
    if let Some(keys) = first.strip_prefix("params:") {
        for key in keys.split(',') {
            match key {
                "no-injection" => params.injection = false,
                "no-bist" => params.bist = false,
                "no-bist-return" => params.bist_return = false,
                "harden" => params.harden = true,
                _ => panic!("unknown build parameter `{key}` (no-injection, no-bist, no-bist-return, harden)"),
            }
        }
        return (ftio_hdl::core_verilog(&params).unwrap(), rest.trim());
    }
    (ftio_hdl::core_verilog(&params).unwrap(), variant)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.first().map_or(3, |a| a.parse().expect("ROUNDS is a number"));
    let cycles: u64 = args.get(1).map_or(200_000, |a| a.parse().expect("CYCLES is a number"));
    let mut variants: Vec<String> = args.iter().skip(2).cloned().collect();
    if variants.is_empty() {
        variants.push("default".into());
    }
    let libs: Vec<Arc<VerilatedLib>> = variants
        .iter()
        .map(|v| {
            let (verilog, v) = verilog_of(v);
            if v.is_empty() || v == "default" {
                return load(&verilog).unwrap();
            }
            let mut flags: Vec<&str> = vec![];
            let mut rest = v;
            while let Some(f) = rest.split_whitespace().next() {
                let at = rest.find(f).unwrap();
                rest = rest[at + f.len()..].trim_start();
                flags.push(f);
                if f == "-MAKEFLAGS" {
                    flags.push(rest);
                    break;
                }
            }
            load_with_flags(&verilog, &flags).unwrap()
        })
        .collect();
    let traces: Vec<_> = libs.iter().map(|lib| record(&mut lib.instantiate(), &mut workload(1, cycles), cycles)).collect();
    let mut models = vec![vec![]; libs.len()];
    let mut replays = vec![vec![]; libs.len()];
    let mut fresh = vec![vec![]; libs.len()];
    for _ in 0..rounds {
        for (i, lib) in libs.iter().enumerate() {
            let mut sys = workload(1, cycles);
            let mut model = lib.instantiate();
            let c = thread_cpu();
            run(&mut model as &mut dyn CoreSim, &mut sys, cycles);
            models[i].push(cycles as f64 / (thread_cpu() - c));
            assert!(sys.cpu_a.errors.is_empty() && sys.cpu_b.errors.is_empty());
            let mut model = lib.instantiate();
            let c = thread_cpu();
            replay(&traces[i], &mut model, "verilator").unwrap();
            replays[i].push(cycles as f64 / (thread_cpu() - c));
            // What `ftio bench` adds to a replay pass: a fresh model (made, and dropped).
            let c = thread_cpu();
            for _ in 0..FRESH {
                drop(lib.instantiate());
            }
            fresh[i].push((thread_cpu() - c) / FRESH as f64);
        }
    }
    for (i, v) in variants.iter().enumerate() {
        println!(
            "models {:>8.0} cycles/s  replay {:>8.0} cycles/s  new model {:>6.2} ms  (CPU time, median of {rounds})  {v}",
            median(&mut models[i]),
            median(&mut replays[i]),
            median(&mut fresh[i]) * 1e3
        );
    }
}
