//! Simulation and Verilog agree on sums (docs/architecture.md). rust-hdl wraps `a + 1` at
//! `a`'s own width, but the generated Verilog writes the constant as `32'h1`, so inside a
//! comparison the sum is taken at 32 bits and never wraps: the stream FIFO's
//! `wptr == rptr + 1` differed from the simulator exactly at the pointer's wrap, which only
//! the Verilator bench showed (as corrupted read-back data). This test finds every comparison
//! in the core's Verilog that widens a narrower variable's sum or difference with a constant.
//! Each must be rewritten (the sum into a signal of the variable's width, or masked) or
//! listed in [`ALLOWED`] with the reason the wrap cannot happen.
use ftio_hdl::verilog::OFFSET_RANGES_LOG2;
use ftio_hdl::{core_verilog, BuildParams};
use std::collections::BTreeMap;

/// (module name ending, statement text, why simulation and Verilog still agree).
const ALLOWED: &[(&str, &str, &str)] = &[];

/// Declared widths in one module: `[input|output] wire|reg [h:l] name;` and
/// `localparam name = W'h…;`.
fn widths(module: &str) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for line in module.lines() {
        let mut l = line.trim();
        if let Some(rest) = l.strip_prefix("localparam") {
            let mut parts = rest.splitn(2, '=');
            let (name, value) = (parts.next().unwrap_or("").trim(), parts.next().unwrap_or("").trim());
            if let Some((w, _)) = value.split_once('\'') {
                if let Ok(w) = w.trim().parse() {
                    out.insert(name.to_string(), w);
                }
            }
            continue;
        }
        for p in ["input ", "output "] {
            l = l.strip_prefix(p).unwrap_or(l).trim();
        }
        let Some(rest) = l.strip_prefix("wire ").or_else(|| l.strip_prefix("reg ")) else { continue };
        let Some(decl) = rest.trim().strip_suffix(';') else { continue };
        let decl = decl.trim();
        let (width, name) = match decl.strip_prefix('[') {
            Some(r) => {
                let (range, name) = r.split_once(']').unwrap();
                let (hi, lo) = range.split_once(':').unwrap();
                (hi.trim().parse::<u32>().unwrap() - lo.trim().parse::<u32>().unwrap() + 1, name.trim())
            }
            None => (1, decl),
        };
        out.insert(name.to_string(), width);
    }
    out
}

/// The comparisons of `text` that add a 32-bit constant to (or take it from) a narrower
/// variable: (module, statement).
fn widened_sums(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for module in text.split("\nmodule ").skip(1) {
        let name = module.split('(').next().unwrap().trim().to_string();
        let w = widths(module);
        for line in module.lines() {
            let stmt = line.trim();
            let compares = [" == ", " != ", " < ", " > ", " >= "].iter().any(|op| stmt.contains(op));
            if !compares {
                continue;
            }
            let words: Vec<&str> = stmt.split_whitespace().collect();
            for i in 0..words.len().saturating_sub(2) {
                let (var, op, k) = (words[i].trim_start_matches('('), words[i + 1], words[i + 2]);
                if (op == "+" || op == "-") && k.starts_with("32'h") && w.get(var).is_some_and(|&b| b < 32) {
                    found.push((name.clone(), stmt.to_string()));
                    break;
                }
            }
        }
    }
    found
}

#[test]
fn the_checker_finds_the_stream_fifo_wrap() {
    let text = "\nmodule top$fifo(clock);\n    reg  [5:0] wptr$q;\n    reg  [5:0] rptr$q;\n    reg  [31:0] wide;\n\
                always @(*) begin\n        eq = wptr$q == rptr$q + 32'h1;\n        ok = wide + 32'h2 == wide;\n        \
                ok2 = wptr$q + 32'h1;\n    end\nendmodule\n";
    assert_eq!(widened_sums(text), vec![("top$fifo".to_string(), "eq = wptr$q == rptr$q + 32'h1;".to_string())]);
}

#[test]
fn no_comparison_widens_a_sum_the_simulator_wraps() {
    // Each strict-offset range, and the pipelined build (`--pipeline 1`).
    let builds = OFFSET_RANGES_LOG2.iter().map(|&ow| (ow, 0)).chain([(BuildParams::DEFAULT.offset_max_log2, 1)]);
    for (ow, pipeline) in builds {
        let p = BuildParams { offset_max_log2: ow, pipeline, ..BuildParams::default() };
        let text = core_verilog(&p).unwrap();
        let found = widened_sums(&text);
        for (end, stmt, _) in ALLOWED {
            assert!(
                found.iter().any(|(m, s)| m.ends_with(end) && s == stmt),
                "offset_max_log2 {ow} pipeline {pipeline}: allowed `{stmt}` in *{end} no longer occurs: drop it"
            );
        }
        let unexplained: Vec<_> = found
            .into_iter()
            .filter(|(m, s)| !ALLOWED.iter().any(|(end, stmt, _)| m.ends_with(end) && s == stmt))
            .collect();
        assert!(unexplained.is_empty(), "offset_max_log2 {ow} pipeline {pipeline}: comparisons of widened sums: {unexplained:#?}");
    }
}
