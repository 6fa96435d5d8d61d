//! Value Change Dump (IEEE 1364 §18) of recorded port values, for GTKWave and friends.
//!
//! One sample per cycle (every port, as [`crate::equivalence::record`] takes them, after the
//! clock went low and the logic settled). In the dump the rising edge that ends cycle `c` is
//! at time `(c + 1) * period`; cycle `c`'s values are shown from `c * period`, when the edge
//! before it made them, and `clock` falls half a period later. Times are absolute cycle
//! numbers, so a cycle in a demo timeline is found at `cycle * period` in the viewer.
use crate::port::{Port, ALL_PORTS, PORT_COUNT};
use std::fmt::Write as _;

/// One recorded cycle: its number and every port's value ([`Port::index`] order).
pub type Sample = (u64, [u64; PORT_COUNT]);

/// A one-bit testbench signal drawn beside the ports (high in the listed cycles), e.g. the
/// cycles in which a fault was being injected.
#[derive(Clone, Debug)]
pub struct Marker {
    /// Signal name (a Verilog identifier).
    pub name: String,
    /// Cycles in which it is high.
    pub cycles: Vec<u64>,
}

fn id(i: usize) -> String {
    // Printable ASCII from '!' (33) to '~' (126): base-94 identifiers.
    let mut i = i;
    let mut s = String::new();
    loop {
        s.push((33 + (i % 94)) as u8 as char);
        i /= 94;
        if i == 0 {
            return s;
        }
        i -= 1;
    }
}

fn value(width: u32, v: u64, id: &str) -> String {
    if width == 1 {
        format!("{}{id}\n", v & 1)
    } else {
        format!("b{:b} {id}\n", v)
    }
}

/// The VCD text of `samples` (consecutive cycles) with `markers`, `period_ns` per cycle.
pub fn vcd(samples: &[Sample], markers: &[Marker], period_ns: u64, comment: &str) -> String {
    assert!(period_ns >= 2 && period_ns % 2 == 0, "period must be an even number of ns");
    let mut out = String::new();
    let _ = writeln!(out, "$comment {} $end", comment.replace("$end", "$ end"));
    let _ = writeln!(out, "$date (simulated) $end");
    let _ = writeln!(out, "$version ftio-sim {} $end", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(out, "$timescale 1ns $end");
    let _ = writeln!(out, "$scope module ftio_core $end");
    let clock_id = id(0);
    let _ = writeln!(out, "$var wire 1 {clock_id} clock $end");
    let port_ids: Vec<String> = (0..PORT_COUNT).map(|i| id(i + 1)).collect();
    for p in ALL_PORTS {
        let w = p.width();
        let range = if w > 1 { format!(" [{}:0]", w - 1) } else { String::new() };
        let _ = writeln!(out, "$var wire {w} {} {}{range} $end", port_ids[p.index()], p.name());
    }
    let _ = writeln!(out, "$upscope $end");
    let marker_ids: Vec<String> = (0..markers.len()).map(|i| id(PORT_COUNT + 1 + i)).collect();
    if !markers.is_empty() {
        let _ = writeln!(out, "$scope module testbench $end");
        for (m, mid) in markers.iter().zip(&marker_ids) {
            let _ = writeln!(out, "$var wire 1 {mid} {} $end", m.name);
        }
        let _ = writeln!(out, "$upscope $end");
    }
    let _ = writeln!(out, "$enddefinitions $end");
    let marked: Vec<std::collections::HashSet<u64>> = markers.iter().map(|m| m.cycles.iter().copied().collect()).collect();
    let mut prev: Option<&[u64; PORT_COUNT]> = None;
    let mut prev_marks = vec![u64::MAX; markers.len()];
    for (k, (cycle, s)) in samples.iter().enumerate() {
        let t = cycle * period_ns;
        let _ = writeln!(out, "#{t}");
        if k == 0 {
            out.push_str("$dumpvars\n");
        }
        out += &value(1, 1, &clock_id);
        for p in ALL_PORTS {
            let i = p.index();
            if prev.map_or(true, |q| q[i] != s[i]) {
                out += &value(p.width(), s[i], &port_ids[i]);
            }
        }
        for j in 0..markers.len() {
            let v = marked[j].contains(cycle) as u64;
            if prev_marks[j] != v {
                out += &value(1, v, &marker_ids[j]);
                prev_marks[j] = v;
            }
        }
        if k == 0 {
            out.push_str("$end\n");
        }
        let _ = writeln!(out, "#{}", t + period_ns / 2);
        out += &value(1, 0, &clock_id);
        prev = Some(s);
    }
    if let Some((cycle, _)) = samples.last() {
        let _ = writeln!(out, "#{}", (cycle + 1) * period_ns);
    }
    out
}

/// Where `port`'s value changes in a VCD written by [`vcd`] (for tests): (time, value).
pub fn changes(text: &str, port: Port) -> Vec<(u64, u64)> {
    let name = port.name();
    let mut ident = None;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 5 && f[0] == "$var" && f[4] == name {
            ident = Some(f[3].to_string());
        }
    }
    let ident = ident.expect("port declared");
    let mut t = 0;
    let mut out = vec![];
    for line in text.lines() {
        if let Some(x) = line.strip_prefix('#') {
            t = x.parse().unwrap_or(t);
        } else if let Some(b) = line.strip_prefix('b') {
            let (v, i) = b.split_once(' ').unwrap_or(("", ""));
            if i == ident {
                out.push((t, u64::from_str_radix(v, 2).unwrap()));
            }
        } else if line.len() > 1 && (line.starts_with('0') || line.starts_with('1')) && line[1..] == ident {
            out.push((t, line[..1].parse().unwrap()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::{Link, LinkSignal as S};

    #[test]
    fn ids_are_unique_and_printable() {
        let ids: Vec<String> = (0..500).map(id).collect();
        let set: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(set.len(), ids.len());
        assert!(ids.iter().all(|s| s.chars().all(|c| ('!'..='~').contains(&c))));
    }

    #[test]
    fn dumps_changes_at_cycle_times() {
        let data = Link::DiskATx.port(S::Data);
        let irq = Port::Irq;
        let mut a = [0u64; PORT_COUNT];
        a[data.index()] = 0xDEAD_BEEF;
        let mut b = a;
        b[irq.index()] = 1;
        let text = vcd(&[(100, a), (101, a), (102, b)], &[Marker { name: "fault".into(), cycles: vec![101] }], 10, "t");
        assert!(text.contains("$var wire 32 "));
        assert!(text.contains(" disk_a_tx_data [31:0] $end"));
        assert!(text.contains("$scope module testbench $end"));
        assert_eq!(changes(&text, data), vec![(1000, 0xDEAD_BEEF)]);
        assert_eq!(changes(&text, irq), vec![(1000, 0), (1020, 1)]);
        assert!(text.trim_end().ends_with("#1030"));
    }
}
