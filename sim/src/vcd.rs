//! Value Change Dump (IEEE 1364 §18) of recorded port values, for GTKWave and friends.
//!
//! One sample per cycle (every port, as [`crate::equivalence::record`] takes them, after the
//! clock went low and the logic settled). In the dump the rising edge that ends cycle `c` is
//! at time `(c + 1) * period`; cycle `c`'s values are shown from `c * period`, when the edge
//! before it made them, and `clock` falls half a period later. Times are absolute cycle
//! numbers, so a cycle in a demo timeline is found at `cycle * period` in the viewer.
//!
//! The text is written and read by the `vcd` crate; this module maps the port table onto it.
use crate::port::{Port, ALL_PORTS, PORT_COUNT};
use vcd::{Command, IdCode, Parser, ReferenceIndex, SimulationCommand, TimescaleUnit, Value, VarType, Writer};

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

/// `v` as the bits of a `width`-bit vector, most significant first, leading zeros dropped.
fn bits(width: u32, v: u64) -> Vec<Value> {
    let used = (64 - v.leading_zeros()).clamp(1, width);
    (0..used).rev().map(|i| Value::from(v >> i & 1 == 1)).collect()
}

fn change(w: &mut Writer<&mut Vec<u8>>, width: u32, id: IdCode, v: u64) -> std::io::Result<()> {
    if width == 1 {
        w.change_scalar(id, v & 1 == 1)
    } else {
        w.change_vector(id, &bits(width, v))
    }
}

/// The VCD text of `samples` (consecutive cycles) with `markers`, `period_ns` per cycle.
pub fn vcd(samples: &[Sample], markers: &[Marker], period_ns: u64, comment: &str) -> String {
    assert!(period_ns >= 2 && period_ns % 2 == 0, "period must be an even number of ns");
    let mut out = Vec::new();
    write(&mut Writer::new(&mut out), samples, markers, period_ns, comment).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("VCD is ASCII")
}

fn write(w: &mut Writer<&mut Vec<u8>>, samples: &[Sample], markers: &[Marker], period_ns: u64, comment: &str) -> std::io::Result<()> {
    w.comment(&comment.replace("$end", "$ end"))?;
    w.date("(simulated)")?;
    w.version(&format!("ftio-sim {}", env!("CARGO_PKG_VERSION")))?;
    w.timescale(1, TimescaleUnit::NS)?;
    w.add_module("ftio_core")?;
    let clock = w.add_wire(1, "clock")?;
    let mut port_ids = Vec::with_capacity(PORT_COUNT);
    for p in ALL_PORTS {
        let width = p.width();
        let range = (width > 1).then(|| ReferenceIndex::Range(width - 1, 0));
        port_ids.push(w.add_var(VarType::Wire, width, &p.name(), range)?);
    }
    w.upscope()?;
    let mut marker_ids = vec![];
    if !markers.is_empty() {
        w.add_module("testbench")?;
        for m in markers {
            marker_ids.push(w.add_wire(1, &m.name)?);
        }
        w.upscope()?;
    }
    w.enddefinitions()?;
    let marked: Vec<std::collections::HashSet<u64>> = markers.iter().map(|m| m.cycles.iter().copied().collect()).collect();
    let mut prev: Option<&[u64; PORT_COUNT]> = None;
    let mut prev_marks = vec![u64::MAX; markers.len()];
    for (k, (cycle, s)) in samples.iter().enumerate() {
        let t = cycle * period_ns;
        w.timestamp(t)?;
        if k == 0 {
            w.begin(SimulationCommand::Dumpvars)?;
        }
        w.change_scalar(clock, true)?;
        for p in ALL_PORTS {
            let i = p.index();
            if prev.is_none_or(|q| q[i] != s[i]) {
                change(w, p.width(), port_ids[i], s[i])?;
            }
        }
        for (j, id) in marker_ids.iter().enumerate() {
            let v = marked[j].contains(cycle) as u64;
            if prev_marks[j] != v {
                change(w, 1, *id, v)?;
                prev_marks[j] = v;
            }
        }
        if k == 0 {
            w.end()?;
        }
        w.timestamp(t + period_ns / 2)?;
        w.change_scalar(clock, false)?;
        prev = Some(s);
    }
    if let Some((cycle, _)) = samples.last() {
        w.timestamp((cycle + 1) * period_ns)?;
    }
    Ok(())
}

/// Where `port`'s value changes in a VCD written by [`vcd`] (for tests): (time, value).
pub fn changes(text: &str, port: Port) -> Vec<(u64, u64)> {
    let mut parser = Parser::new(text.as_bytes());
    let header = parser.parse_header().expect("a VCD header");
    let var = header.find_var(&["ftio_core", &port.name()]).expect("port declared");
    let ident = var.code;
    let mut t = 0;
    let mut out = vec![];
    for command in parser {
        match command.expect("a VCD command") {
            Command::Timestamp(x) => t = x,
            Command::ChangeScalar(i, v) if i == ident => out.push((t, (v == Value::V1) as u64)),
            Command::ChangeVector(i, v) if i == ident => {
                out.push((t, v.iter().fold(0, |acc, b| acc << 1 | (*b == Value::V1) as u64)));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::{Link, LinkSignal as S};

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
