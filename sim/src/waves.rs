//! Timing diagrams of the core, measured (`ftio waves`, docs/waves/).
//!
//! Each diagram is a short scenario run on the Verilator model of the generated `ftio_core`
//! (the [`datapath_bench`](crate::datapath_bench) harness: the mode set over the UART with
//! SPEC §5 frames, then cycle-exact sources and sinks on the links). Every port is recorded
//! every cycle, after the clock went low and the logic settled, and the chosen pins are turned
//! into WaveJSON (WaveDrom's input format) that `yowasp-wavedrom` renders to SVG. Nothing in a
//! diagram is drawn by hand: the columns are the core's cycles, the words and levels are what
//! its pins carried, and each arrow joins two recorded events with the measured distance as
//! its label. Each scenario also checks the SPEC promise it illustrates, so a core that broke
//! it produces an error, not a picture.
//!
//! Only the core's top-level ports are used (SPEC §3), never an internal signal.
//!
//! Drawing conventions (also in docs/simulation.md, "Timing diagrams"):
//! - Column 0 is the first cycle shown; the tick numbers count cycles from there.
//! - A link's `data` (and `par`) lane shows the word while `valid` is high and `x` while it is
//!   low (the SPEC gives the lanes no meaning then). A word held under back-pressure
//!   (`valid & !ready`) is one box across the cycles it waits; a new box starts after every
//!   cycle in which a word moved, even when the next word carries the same value.
//! - The UART diagram is compressed in time: one column is one byte time (10 bit times); a
//!   byte is drawn in the column its start bit falls in, rounded to the nearest; the exact
//!   cycles are in its caption.
use crate::error::{check, RunError};
use crate::datapath_bench::{beats, harness, BenchMode, DatapathConfig, Harness, Kind, Src, OUT};
use crate::link::{frame, Beat, Word};
use crate::port::{Link, LinkSignal as S, Port};
use crate::vcd::Sample;
use crate::verilator::{load, VerilatedLib};
use ftio_proto::{reg, Mode};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

/// The diagrams, by file name (docs/waves/NAME.json and NAME.svg), with what each shows.
pub const DIAGRAMS: [(&str, &str); 6] = [
    ("handshake", "link handshake: disk A back-pressures, disk B and the CPUs go on"),
    ("cut_through", "cut-through commit: a pair leaves on the disk links 3 cycles after its later take"),
    ("store_and_forward", "store-and-forward commit: a frame leaves after its last pair agreed"),
    ("parity_failover", "a parity error on CPU A: irq, and hitless fail-over to CPU B"),
    ("strict_offset", "strict lockstep: CPU B runs D cycles behind CPU A, on its tx and its rx"),
    ("uart_read", "a register read over the UART (ID), one column per byte time"),
];

/// D of the strict-offset diagram.
pub const STRICT_D: u64 = 3;

/// One lane of a diagram.
#[derive(Clone, Debug)]
enum Lane {
    /// The clock, one period per column.
    Clock,
    /// A one-bit port: its level.
    Bit(&'static str, Port),
    /// A link's multi-bit field (`data` or `par`), shown while `valid`, one box per word.
    Field(&'static str, Link, S),
    /// A group of lanes under a name (a link).
    Group(&'static str, Vec<Lane>),
    /// A blank line between groups.
    Gap,
}

/// A labelled arrow along one lane (its name path, `group.lane`) from the start of cycle `from`
/// to the start of cycle `to`: two recorded events and the measured distance between them.
#[derive(Clone, Debug)]
struct Arrow {
    lane: &'static str,
    from: u64,
    to: u64,
    label: String,
}

/// A diagram before rendering.
#[derive(Clone, Debug)]
pub struct Diagram {
    /// File name without extension.
    pub name: &'static str,
    /// WaveJSON text.
    pub wavejson: String,
    /// What the run measured, in words (printed by `ftio waves`, quoted in the docs).
    pub summary: String,
    /// Cycles the scenario simulated, set-up over the UART included.
    pub cycles: u64,
}

/// The lanes of one link: `valid`, `ready`, `data`, plus `last` when `with_last`.
fn link_lanes(link: Link, name: &'static str, with_last: bool) -> Lane {
    let mut lanes = vec![
        Lane::Bit("valid", link.port(S::Valid)),
        Lane::Bit("ready", link.port(S::Ready)),
        Lane::Field("data", link, S::Data),
    ];
    if with_last {
        lanes.push(Lane::Bit("last", link.port(S::Last)));
    }
    Lane::Group(name, lanes)
}

fn get(s: &Sample, p: Port) -> u64 {
    s.1[p.index()]
}

/// WaveDrom's wave string (and data labels) of one lane over `win`.
fn wave(lane: &Lane, win: &[Sample]) -> (String, Vec<String>) {
    let mut w = String::new();
    let mut data = vec![];
    match lane {
        Lane::Clock => {
            w.push('p');
            w.extend(std::iter::repeat_n('.', win.len().saturating_sub(1)));
        }
        Lane::Bit(_, p) => {
            let mut prev = None;
            for s in win {
                let v = get(s, *p) & 1;
                w.push(if prev == Some(v) { '.' } else if v == 1 { '1' } else { '0' });
                prev = Some(v);
            }
        }
        Lane::Field(_, link, sig) => {
            let (valid, ready, field) = (link.port(S::Valid), link.port(S::Ready), link.port(*sig));
            for (i, s) in win.iter().enumerate() {
                let prev = i.checked_sub(1).map(|j| &win[j]);
                if get(s, valid) & 1 == 0 {
                    let was_x = prev.is_some_and(|p| get(p, valid) & 1 == 0);
                    w.push(if was_x { '.' } else { 'x' });
                    continue;
                }
                // The same word as last cycle: offered then and not taken.
                let held = prev.is_some_and(|p| get(p, valid) & 1 == 1 && get(p, ready) & 1 == 0);
                if held {
                    w.push('.');
                } else {
                    w.push('=');
                    data.push(format!("{:x}", get(s, field)));
                }
            }
        }
        Lane::Group(..) | Lane::Gap => {}
    }
    (w, data)
}

fn js(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// The WaveJSON of `lanes` over `win`, with `arrows`, a title and a caption. One lane per
/// line, so that a change in the core shows as a readable diff of the file.
fn wavejson(title: &str, lanes: &[Lane], win: &[Sample], arrows: &[Arrow], foot: &str) -> Result<String, RunError> {
    let t0 = win.first().ok_or_else(|| check("nothing recorded".into()))?.0;
    // Node letters: one per arrow end, placed on the arrow's lane. Upper case: WaveDrom
    // draws the arrow without printing the letters.
    let mut nodes: Vec<(&str, usize, char)> = vec![];
    let mut edges = vec![];
    for (k, a) in arrows.iter().enumerate() {
        let (f, t) = ((b'A' + 2 * k as u8) as char, (b'A' + 2 * k as u8 + 1) as char);
        for (lane, cycle, c) in [(a.lane, a.from, f), (a.lane, a.to, t)] {
            let col = cycle.checked_sub(t0).filter(|&c| (c as usize) < win.len()).ok_or_else(|| check(format!(
                "{title}: arrow end {lane} at cycle {cycle} is outside the window {t0}..{}",
                t0 + win.len() as u64
            )))?;
            nodes.push((lane, col as usize, c));
        }
        edges.push(js(&format!("{f}<->{t} {}", a.label)));
    }
    let lane_line = |path: &str, name: &str, l: &Lane| {
        let (w, data) = wave(l, win);
        let mut node: Vec<char> = vec!['.'; win.len()];
        let mut has_node = false;
        for (lane, col, c) in &nodes {
            if *lane == path {
                node[*col] = *c;
                has_node = true;
            }
        }
        let mut line = format!("{{\"name\": {}, \"wave\": {}", js(name), js(&w));
        if !data.is_empty() {
            let d: Vec<String> = data.iter().map(|x| js(x)).collect();
            line += &format!(", \"data\": [{}]", d.join(", "));
        }
        if has_node {
            line += &format!(", \"node\": {}", js(&node.iter().collect::<String>()));
        }
        line + "}"
    };
    let mut sig = vec![];
    for l in lanes {
        match l {
            Lane::Gap => sig.push("  {}".to_string()),
            Lane::Group(g, inner) => {
                let mut s = format!("  [{}", js(g));
                for i in inner {
                    let name = match i {
                        Lane::Bit(n, _) | Lane::Field(n, _, _) => *n,
                        _ => return Err(check(format!("{title}: only bits and fields go in a group"))),
                    };
                    s += &format!(",\n    {}", lane_line(&format!("{g}.{name}"), name, i));
                }
                sig.push(s + "]");
            }
            Lane::Clock => sig.push(format!("  {}", lane_line("clock", "clock", l))),
            Lane::Bit(n, _) | Lane::Field(n, _, _) => sig.push(format!("  {}", lane_line(n, n, l))),
        }
    }
    for (lane, _, _) in &nodes {
        let known = lanes.iter().any(|l| match l {
            Lane::Clock => *lane == "clock",
            Lane::Bit(n, _) | Lane::Field(n, _, _) => lane == n,
            Lane::Group(g, inner) => inner.iter().any(|i| match i {
                Lane::Bit(n, _) | Lane::Field(n, _, _) => *lane == format!("{g}.{n}"),
                _ => false,
            }),
            Lane::Gap => false,
        });
        if !known {
            return Err(check(format!("{title}: an arrow names lane {lane}, which the diagram does not have")));
        }
    }
    Ok(format!(
        "{{\"signal\": [\n{}\n],\n\"edge\": [{}],\n\"head\": {{\"text\": {}, \"tick\": 0}},\n\"foot\": {{\"text\": {}}},\n\"config\": {{\"hscale\": 1}}}}\n",
        sig.join(",\n"),
        edges.join(", "),
        js(title),
        js(foot)
    ))
}

/// Checks SPEC §2 on every link the core drives, over the recording: a word offered and not
/// taken is offered again, unchanged, in the next cycle.
fn check_holds(name: &str, rec: &[Sample]) -> Result<(), RunError> {
    for l in OUT {
        for p in rec.windows(2) {
            let (a, b) = (&p[0], &p[1]);
            if get(a, l.port(S::Valid)) & 1 == 1 && get(a, l.port(S::Ready)) & 1 == 0 {
                for s in [S::Valid, S::Data, S::Last, S::Abort, S::Par] {
                    if get(a, l.port(s)) != get(b, l.port(s)) {
                        return Err(check(format!(
                            "{name}: {} changed {} at cycle {} while its word waited for ready (SPEC §2)",
                            l.name(),
                            l.port(s),
                            b.0
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

fn cfg(offset: u64) -> DatapathConfig {
    DatapathConfig { offset, ..DatapathConfig::default() }
}

/// A fresh core in `mode`, recording from the first cycle after set-up.
fn start(lib: &Arc<VerilatedLib>, mode: BenchMode, offset: u64) -> Result<Harness, RunError> {
    let mut h = harness(lib, &cfg(offset), mode)?;
    h.record = Some(vec![]);
    Ok(h)
}

/// The recorded window from `from` (a cycle number), `len` cycles.
fn window(h: &Harness, from: u64, len: usize) -> Result<&[Sample], RunError> {
    let rec = h.record.as_deref().ok_or_else(|| check("not recording".into()))?;
    let i = rec.iter().position(|s| s.0 == from).ok_or_else(|| check(format!("cycle {from} not recorded")))?;
    rec.get(i..i + len).ok_or_else(|| check(format!("fewer than {len} cycles recorded from {from}")))
}

fn take(h: &Harness, l: Link, k: usize, what: &str) -> Result<u64, RunError> {
    h.takes(l).get(k).map(|x| x.0).ok_or_else(|| check(format!("{what}: word {k} never moved on {}", l.name())))
}

fn frame_at(base: u32, n: usize) -> Vec<Word> {
    frame(&(0..n as u32).map(|i| base + i).collect::<Vec<_>>())
}

/// A DUPLEX scenario: CPU A offers `cpu_a` from t0 + 1, CPU B offers `words` from
/// t0 + 1 + `b_after`, disk A is not ready in the cycles `stall_disk_a` (counted from t0), and
/// `len` cycles are run and shown.
struct Duplex<'w> {
    kind: Kind,
    cpu_a: Vec<Beat>,
    b_after: u64,
    stall_disk_a: Range<u64>,
    len: usize,
    words: &'w [Word],
}

/// A scenario recorded from its first cycle `t0`, `len` cycles shown.
struct Run {
    h: Harness,
    t0: u64,
    len: usize,
}

impl Run {
    /// `d` on a fresh core in DUPLEX with its lockstep and commit kind; both disk links must
    /// then have carried CPU B's `words` once each, in order, every held word unchanged
    /// (SPEC §2).
    fn duplex(lib: &Arc<VerilatedLib>, d: Duplex, name: &str) -> Result<Run, RunError> {
        let mut h = start(lib, BenchMode::Duplex(d.kind), 0)?;
        let t0 = h.cycle;
        h.src[0] = Src::queue(d.cpu_a, t0 + 1);
        h.src[1] = Src::queue(beats(d.words), t0 + 1 + d.b_after);
        let disk_a = OUT.iter().position(|&l| l == Link::DiskATx).expect("in OUT");
        h.stalls[disk_a].push(t0 + d.stall_disk_a.start..t0 + d.stall_disk_a.end);
        h.run(d.len as u64);
        for l in [Link::DiskATx, Link::DiskBTx] {
            h.check_words(l, d.words, name)?;
        }
        check_holds(name, h.record.as_deref().unwrap_or_default())?;
        Ok(Run { h, t0, len: d.len })
    }

    /// The diagram of the run's window.
    fn diagram(&self, name: &'static str, title: &str, lanes: &[Lane], arrows: &[Arrow], foot: &str, summary: String) -> Result<Diagram, RunError> {
        let wavejson = wavejson(title, lanes, window(&self.h, self.t0, self.len)?, arrows, foot)?;
        Ok(Diagram { name, wavejson, summary, cycles: self.h.cycle })
    }

    fn take(&self, l: Link, k: usize, what: &str) -> Result<u64, RunError> {
        take(&self.h, l, k, what)
    }
}

/// Both CPU links, then both disk links (`last` on disk A; on the CPUs when `cpu_last`).
fn duplex_lanes(cpu_last: bool) -> Vec<Lane> {
    vec![
        Lane::Clock,
        link_lanes(Link::CpuATx, "cpu_a_tx", cpu_last),
        link_lanes(Link::CpuBTx, "cpu_b_tx", cpu_last),
        Lane::Gap,
        link_lanes(Link::DiskATx, "disk_a_tx", true),
        link_lanes(Link::DiskBTx, "disk_b_tx", false),
    ]
}

/// Link handshake with back-pressure: DUPLEX, both CPUs send one 6-word frame; disk A is not
/// ready for 3 cycles in the middle of it.
fn handshake(lib: &Arc<VerilatedLib>) -> Result<Diagram, RunError> {
    let name = "handshake";
    let words = frame_at(0xa0, 6);
    let d = Duplex { kind: Kind::ElasticCut, cpu_a: beats(&words), b_after: 0, stall_disk_a: 7..10, len: 18, words: &words };
    let run = Run::duplex(lib, d, name)?;
    let h = &run.h;
    if let Some(t) = h.irq_at {
        return Err(check(format!("{name}: irq rose at cycle {t}")));
    }
    let cpu_a = h.cycles_of(Link::CpuATx);
    if cpu_a.windows(2).any(|w| w[1] != w[0] + 1) {
        return Err(check(format!("{name}: CPU A was stalled by disk A's 3 stalled cycles (its buffer should absorb them)")));
    }
    let a = h.cycles_of(Link::DiskATx);
    let b = h.cycles_of(Link::DiskBTx);
    let held = a.iter().zip(&b).map(|(x, y)| x - y).max().unwrap_or(0);
    let lanes = [
        Lane::Clock,
        link_lanes(Link::CpuATx, "cpu_a_tx", true),
        Lane::Gap,
        Lane::Group(
            "disk_a_tx",
            vec![
                Lane::Bit("valid", Link::DiskATx.port(S::Valid)),
                Lane::Bit("ready", Link::DiskATx.port(S::Ready)),
                Lane::Field("data", Link::DiskATx, S::Data),
                Lane::Bit("last", Link::DiskATx.port(S::Last)),
                Lane::Field("par", Link::DiskATx, S::Par),
                Lane::Bit("cpar", Link::DiskATx.port(S::Cpar)),
                Lane::Bit("rpar", Link::DiskATx.port(S::Rpar)),
            ],
        ),
        Lane::Gap,
        link_lanes(Link::DiskBTx, "disk_b_tx", true),
    ];
    let summary = format!(
        "disk A not ready for 3 cycles: disk_a_tx held its word ({held} cycles behind disk B at the end), \
         disk B and both CPUs went on at one word per cycle; all 6 words once, in order, on both disks"
    );
    let foot = "DUPLEX. disk_a_tx holds its word while ready is low; disk B and the CPUs go on.";
    run.diagram(name, "Link handshake with back-pressure (SPEC §2)", &lanes, &[], foot, summary)
}

/// Cut-through: CPU B 2 cycles behind CPU A (elastic skew), one 4-word frame.
fn cut_through(lib: &Arc<VerilatedLib>) -> Result<Diagram, RunError> {
    let name = "cut_through";
    let words = frame_at(0xc0, 4);
    let d = Duplex { kind: Kind::ElasticCut, cpu_a: beats(&words), b_after: 2, stall_disk_a: 0..0, len: 14, words: &words };
    let run = Run::duplex(lib, d, name)?;
    let mut lat = vec![];
    for k in 0..words.len() {
        let later = run.take(Link::CpuATx, k, name)?.max(run.take(Link::CpuBTx, k, name)?);
        lat.push(run.take(Link::DiskATx, k, name)? - later);
        if run.take(Link::DiskBTx, k, name)? != run.take(Link::DiskATx, k, name)? {
            return Err(check(format!("{name}: word {k} did not leave on both disk links in the same cycle")));
        }
    }
    if lat.iter().any(|&l| l > 3) {
        return Err(check(format!("{name}: latencies {lat:?}, SPEC §4 guarantee 2 says by t+3")));
    }
    let (t, d) = (run.take(Link::CpuBTx, 0, name)?, run.take(Link::DiskATx, 0, name)?);
    let arrows = [Arrow { lane: "disk_a_tx.valid", from: t, to: d, label: format!("t+{}", d - t) }];
    let summary = format!("each pair on both disk links {} cycles after its later take (every word: {lat:?})", d - t);
    let foot = "DUPLEX, elastic, cut-through; CPU B 2 cycles behind. t: later take of a pair.";
    run.diagram(name, "Cut-through commit latency (SPEC §4, guarantee 2)", &duplex_lanes(false), &arrows, foot, summary)
}

/// Store-and-forward: one 4-word frame, CPU B a cycle behind.
fn store_and_forward(lib: &Arc<VerilatedLib>) -> Result<Diagram, RunError> {
    let name = "store_and_forward";
    let words = frame_at(0x50, 4);
    let d = Duplex { kind: Kind::ElasticSaf, cpu_a: beats(&words), b_after: 1, stall_disk_a: 0..0, len: 16, words: &words };
    let run = Run::duplex(lib, d, name)?;
    let n = words.len() - 1;
    let t = run.take(Link::CpuATx, n, name)?.max(run.take(Link::CpuBTx, n, name)?);
    let d = run.take(Link::DiskATx, 0, name)?;
    if d <= t {
        return Err(check(format!("{name}: the frame's first word left at {d}, before its last pair agreed at {t}")));
    }
    let arrows = [Arrow { lane: "disk_a_tx.valid", from: t, to: d, label: format!("t+{}", d - t) }];
    let summary = format!("first word of the frame on both disk links {} cycles after its last pair's later take", d - t);
    let foot = "DUPLEX, elastic, store-and-forward. t: later take of the last pair.";
    run.diagram(name, "Store-and-forward commit (SPEC §4)", &duplex_lanes(true), &arrows, foot, summary)
}

/// A parity error on CPU A's third word (one data bit flipped, `par` as sent): irq, and the
/// frame goes on with CPU B's words (auto policy, DUPLEX to SIMPLEX_B).
fn parity_failover(lib: &Arc<VerilatedLib>) -> Result<Diagram, RunError> {
    let name = "parity_failover";
    let words = frame_at(0xe0, 6);
    let mut bad = beats(&words);
    let k = 2;
    bad[k].data ^= 0x10;
    let d = Duplex { kind: Kind::ElasticCut, cpu_a: bad, b_after: 0, stall_disk_a: 0..0, len: 16, words: &words };
    let mut run = Run::duplex(lib, d, name)?;
    let t = run.take(Link::CpuATx, k, name)?;
    let status = read_register(&mut run.h, "STATUS", name)?;
    let mode = Mode::from_code(reg("STATUS").f("mode").get(status));
    if mode != Some(Mode::SimplexB) {
        return Err(check(format!("{name}: STATUS reads {status:#x} (mode {mode:?}) after CPU A's parity error, not SIMPLEX_B")));
    }
    let irq = run.h.irq_at.ok_or_else(|| check(format!("{name}: irq never rose")))?;
    if irq > t + 3 {
        return Err(check(format!("{name}: irq at t+{}, SPEC §4 guarantee 3 says by t+3", irq - t)));
    }
    let mut lanes = duplex_lanes(false);
    lanes.extend([Lane::Gap, Lane::Bit("irq", Port::Irq)]);
    let arrows = [Arrow { lane: "irq", from: t, to: irq, label: format!("t+{}", irq - t) }];
    let summary = format!(
        "CPU A's word {k} taken at t with a data bit flipped: irq at t+{}; both disks got CPU B's 6 words once, in order, no abort; STATUS.mode read after: SIMPLEX_B",
        irq - t
    );
    let foot = "DUPLEX, auto policy. t: CPU A's e2 taken as f2 with e2's par. STATUS after: SIMPLEX_B.";
    run.diagram(name, "Parity fault and fail-over (SPEC §4, guarantee 3)", &lanes, &arrows, foot, summary)
}

/// Strict lockstep with D = [`STRICT_D`]: CPU B drives what CPU A drove D cycles earlier; a
/// disk A answer reaches CPU B exactly D cycles after CPU A.
fn strict_offset(lib: &Arc<VerilatedLib>) -> Result<Diagram, RunError> {
    let name = "strict_offset";
    let d = STRICT_D;
    let mut h = start(lib, BenchMode::Duplex(Kind::StrictCut), d)?;
    let t0 = h.cycle;
    let cmd = frame_at(0x30, 3);
    let answer = frame_at(0x70, 3);
    h.src[0] = Src::queue(beats(&cmd), t0 + 1);
    h.src[1] = Src::FollowA { delay: d, change: vec![] };
    // Both disks answer the same words (they executed the same command); disk A is primary.
    h.src[2] = Src::queue(beats(&answer), t0 + 10);
    h.src[3] = Src::queue(beats(&answer), t0 + 10);
    h.run(24);
    for l in [Link::DiskATx, Link::DiskBTx] {
        h.check_words(l, &cmd, name)?;
    }
    for l in [Link::CpuARx, Link::CpuBRx] {
        h.check_words(l, &answer, name)?;
    }
    let (xa, xb) = (h.cycles_of(Link::CpuATx), h.cycles_of(Link::CpuBTx));
    if xa.len() != cmd.len() || xa.iter().zip(&xb).any(|(a, b)| a + d != *b) {
        return Err(check(format!("{name}: cpu_b_tx took {xb:?}, cpu_a_tx {xa:?}: not exactly D = {d} later (SPEC §4)")));
    }
    check_holds(name, h.record.as_deref().unwrap_or_default())?;
    let (ta, tb) = (h.cycles_of(Link::CpuARx), h.cycles_of(Link::CpuBRx));
    if ta.iter().zip(&tb).any(|(a, b)| a + d != *b) {
        return Err(check(format!("{name}: cpu_b_rx took {tb:?}, cpu_a_rx {ta:?}: not exactly D = {d} later (SPEC §4)")));
    }
    if let Some(t) = h.irq_at {
        return Err(check(format!("{name}: irq rose at cycle {t}")));
    }
    let lanes = [
        Lane::Clock,
        link_lanes(Link::CpuATx, "cpu_a_tx", false),
        link_lanes(Link::CpuBTx, "cpu_b_tx", false),
        Lane::Field("disk_a_tx data", Link::DiskATx, S::Data),
        Lane::Gap,
        Lane::Group("disk_a_rx", vec![Lane::Bit("valid", Link::DiskARx.port(S::Valid)), Lane::Field("data", Link::DiskARx, S::Data)]),
        link_lanes(Link::CpuARx, "cpu_a_rx", false),
        link_lanes(Link::CpuBRx, "cpu_b_rx", false),
    ];
    let arrows = [
        Arrow { lane: "cpu_b_tx.valid", from: take(&h, Link::CpuATx, 0, name)?, to: take(&h, Link::CpuBTx, 0, name)?, label: format!("D={d}") },
        Arrow { lane: "cpu_b_rx.valid", from: ta[0], to: tb[0], label: format!("D={d}") },
    ];
    let summary = format!(
        "OFFSET = {d}: CPU B's words taken {d} cycles after CPU A's; disk A's answer on cpu_a_rx from cycle +{} and on cpu_b_rx exactly {d} cycles later",
        ta[0] - take(&h, Link::DiskARx, 0, name)?
    );
    let foot = format!("DUPLEX, strict lockstep, OFFSET = {d}: CPU B drives what CPU A drove {d} cycles earlier; cpu_b_rx is cpu_a_rx {d} cycles later.");
    Run { h, t0, len: 24 }.diagram(name, "Strict lockstep, offset D (SPEC §4)", &lanes, &arrows, &foot, summary)
}

/// Reads register `reg_name` over the UART (a SPEC §5 request from the harness's host),
/// stepping until the answer is complete.
fn read_register(h: &mut Harness, reg_name: &str, what: &str) -> Result<u32, RunError> {
    let before = h.host.answers.len();
    h.host.read(&format!("read {reg_name}"), reg_name, 1);
    let limit = h.cycle + 100_000;
    while h.host.answers.len() == before {
        if h.cycle > limit {
            return Err(check(format!("{what}: no answer to the read of {reg_name}")));
        }
        h.step();
    }
    match &h.host.answers.last().expect("answered").result {
        Ok(d) if d.len() == 1 => Ok(d[0]),
        other => Err(check(format!("{what}: reading {reg_name} gave {other:?}"))),
    }
}

/// The 8N1 bytes on a UART line: (cycle of the start bit's first clock, byte). The line is
/// taken to have been idle before its first sample.
fn uart_bytes(line: &[(u64, bool)], divider: u64) -> Vec<(u64, u8)> {
    let mut out = vec![];
    let level = |i: usize| line.get(i).map(|x| x.1);
    let mut i = 0;
    while i < line.len() {
        let idle_before = i == 0 || level(i - 1) == Some(true);
        if idle_before && level(i) == Some(false) {
            let mid = |bit: u64| i + (bit * divider + divider / 2) as usize;
            let bits: Option<Vec<bool>> = (1..=8).map(|b| level(mid(b))).collect();
            let (Some(bits), Some(true)) = (bits, level(mid(9))) else { break };
            let byte = bits.iter().enumerate().fold(0u8, |v, (b, &x)| v | (x as u8) << b);
            out.push((line[i].0, byte));
            i = mid(9);
        }
        i += 1;
    }
    out
}

/// A read of `ID` over the UART, compressed to one column per byte time.
fn uart_read(lib: &Arc<VerilatedLib>) -> Result<Diagram, RunError> {
    let name = "uart_read";
    let cfg = cfg(0);
    let div = cfg.uart_divider;
    let mut h = start(lib, BenchMode::Duplex(Kind::ElasticCut), 0)?;
    h.run(2 * 10 * div);
    let id = read_register(&mut h, "ID", name)?;
    if id != ftio_proto::ID_VALUE {
        return Err(check(format!("{name}: ID reads {id:#010x}")));
    }
    h.run(2 * 10 * div);
    let answer = h.host.answers.last().expect("answered");
    let rec = h.record.as_deref().unwrap_or_default();
    let line = |p: Port| rec.iter().map(|s| (s.0, get(s, p) & 1 == 1)).collect::<Vec<_>>();
    let req = uart_bytes(&line(Port::UartRx), div);
    let resp = uart_bytes(&line(Port::UartTx), div);
    let want_req = answer.req.encode();
    if req.iter().map(|x| x.1).collect::<Vec<_>>() != want_req {
        return Err(check(format!("{name}: uart_rx carried {req:x?}, the request was {want_req:x?}")));
    }
    if resp.len() != 9 || resp[0].1 != 0x5a {
        return Err(check(format!("{name}: uart_tx carried {resp:x?}, not a 9-byte response")));
    }
    let byte = 10 * div;
    // One idle column before the request.
    let first = req[0].0 - byte;
    let req_end = req.last().expect("checked").0 + byte;
    let resp_end = resp.last().expect("checked").0 + byte;
    let cols = ((resp_end - first) / byte + 2) as usize;
    let lane = |bytes: &[(u64, u8)]| -> Result<(String, Vec<String>), RunError> {
        let mut slot: Vec<Option<u8>> = vec![None; cols];
        for &(t, b) in bytes {
            let c = ((t - first + byte / 2) / byte) as usize;
            if c >= cols || slot[c].is_some() {
                return Err(check(format!("{name}: byte {b:02x} at cycle {t} has no column of its own")));
            }
            slot[c] = Some(b);
        }
        let mut w = String::new();
        let mut data = vec![];
        for (i, s) in slot.iter().enumerate() {
            match s {
                Some(b) => {
                    w.push('=');
                    data.push(format!("{b:02X}"));
                }
                None if i > 0 && slot[i - 1].is_none() => w.push('.'),
                None => w.push('1'),
            }
        }
        Ok((w, data))
    };
    let line_json = |n: &str, (w, d): (String, Vec<String>)| {
        let d: Vec<String> = d.iter().map(|x| js(x)).collect();
        format!("  {{\"name\": {}, \"wave\": {}, \"data\": [{}]}}", js(n), js(&w), d.join(", "))
    };
    let turnaround = resp[0].0 - req_end;
    let foot = format!(
        "8N1, {div} clocks a bit; one column = one byte time ({byte} cycles). Answer {turnaround} cycles after the request; {} in all.",
        resp_end - req[0].0
    );
    let wj = format!(
        "{{\"signal\": [\n{},\n{}\n],\n\"head\": {{\"text\": {}, \"tick\": 0}},\n\"foot\": {{\"text\": {}}},\n\"config\": {{\"hscale\": 1}}}}\n",
        line_json("uart_rx", lane(&req)?),
        line_json("uart_tx", lane(&resp)?),
        js("UART register read: ID at address 0 (SPEC §5)"),
        js(&foot)
    );
    let summary = format!(
        "read of ID ({id:#010x}): request {} bytes, response {} bytes; first response start bit {turnaround} cycles after the request's last stop bit; the exchange took {} cycles",
        req.len(),
        resp.len(),
        resp_end - req[0].0
    );
    Ok(Diagram { name, wavejson: wj, summary, cycles: h.cycle })
}

/// One diagram's scenario, run on a model of the core.
type Scenario = fn(&Arc<VerilatedLib>) -> Result<Diagram, RunError>;

/// Runs every scenario on the Verilator model of the default core (with the fast UART of the
/// other simulation tests: 8 clocks per bit; the datapath is the default one, cycle for cycle).
pub fn record_all() -> Result<Vec<Diagram>, RunError> {
    let verilog = ftio_hdl::core_verilog(&cfg(0).params)?;
    let lib = load(&verilog)?;
    let runs: [Scenario; 6] =
        [handshake, cut_through, store_and_forward, parity_failover, strict_offset, uart_read];
    let out: Vec<Diagram> = runs.iter().map(|f| f(&lib)).collect::<Result<_, _>>()?;
    debug_assert!(out.iter().zip(DIAGRAMS).all(|(d, (n, _))| d.name == n));
    Ok(out)
}

const RENDERER: &str = "yowasp-wavedrom";
const INSTALL_HINT: &str = "run `bash scripts/setup.sh` (it pip-installs yowasp-wavedrom into the project's .venv; \
     by hand: .venv/bin/python -m pip install yowasp-wavedrom)";

/// Why the WaveDrom renderer could not be found or could not render a diagram.
#[derive(Debug, thiserror::Error)]
pub enum RendererError {
    /// Not in any venv looked in (`looked`).
    #[error("the WaveDrom renderer `{RENDERER}` is not installed (looked in {looked}/bin): {INSTALL_HINT}")]
    NotInstalled { looked: String },
    /// Found but could not be started.
    #[error("cannot run {}; {INSTALL_HINT}", path.display())]
    Spawn {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The pipe to or from it broke (`what`: "writing to", "waiting for").
    #[error("{what} {RENDERER}")]
    Pipe {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// It ran and failed; its stderr is in the message.
    #[error("{RENDERER} failed ({status}): {stderr}; {INSTALL_HINT}")]
    Failed { status: std::process::ExitStatus, stderr: String },
    #[error("{RENDERER} wrote something that is not UTF-8")]
    NotUtf8,
    /// Its output does not start with `<svg` (the first 200 characters are in the message).
    #[error("{RENDERER} wrote no SVG: {start}")]
    NoSvg { start: String },
}

/// The WaveDrom renderer in the project venv, or an error naming the install command.
pub fn renderer() -> Result<PathBuf, RendererError> {
    renderer_in(&crate::venv::candidates())
}

/// The WaveDrom renderer in the first of `venvs` that has it.
pub fn renderer_in(venvs: &[PathBuf]) -> Result<PathBuf, RendererError> {
    for v in venvs {
        let p = v.join("bin").join(RENDERER);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(RendererError::NotInstalled { looked: crate::venv::listed(venvs) })
}

/// Renders WaveJSON to SVG with `yowasp-wavedrom` (WaveDrom's own JavaScript run in QuickJS:
/// no browser, no network).
pub fn render_svg(renderer: &Path, wavejson: &str) -> Result<String, RendererError> {
    use std::io::Write as _;
    let mut child = Command::new(renderer)
        .args(["-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| RendererError::Spawn { path: renderer.to_path_buf(), source })?;
    let pipe = |what| move |source| RendererError::Pipe { what, source };
    child.stdin.take().expect("piped").write_all(wavejson.as_bytes()).map_err(pipe("writing to"))?;
    let out = child.wait_with_output().map_err(pipe("waiting for"))?;
    if !out.status.success() {
        return Err(RendererError::Failed { status: out.status, stderr: String::from_utf8_lossy(&out.stderr).trim().to_string() });
    }
    let svg = String::from_utf8(out.stdout).map_err(|_| RendererError::NotUtf8)?;
    if !svg.starts_with("<svg") {
        return Err(RendererError::NoSvg { start: svg.chars().take(200).collect() });
    }
    Ok(svg + "\n")
}

/// Where the diagrams live in the source tree.
pub fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/waves")
}

/// A diagram as files: (file name, contents) for its WaveJSON and its SVG.
pub fn files(renderer: &Path, d: &Diagram) -> Result<[(String, String); 2], RendererError> {
    Ok([(format!("{}.json", d.name), d.wavejson.clone()), (format!("{}.svg", d.name), render_svg(renderer, &d.wavejson)?)])
}

/// The files of `dir` that differ from `diagrams` (missing ones included), by name.
pub fn stale(renderer: &Path, diagrams: &[Diagram], dir: &Path) -> Result<Vec<String>, RendererError> {
    let mut out = vec![];
    for d in diagrams {
        for (f, text) in files(renderer, d)? {
            if std::fs::read_to_string(dir.join(&f)).ok().as_deref() != Some(text.as_str()) {
                out.push(f);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::port::{ALL_PORTS, PORT_COUNT};

    fn sample(c: u64, set: &[(Port, u64)]) -> Sample {
        let mut s = [0u64; PORT_COUNT];
        for (p, v) in set {
            s[p.index()] = *v;
        }
        assert!(ALL_PORTS.len() == PORT_COUNT);
        (c, s)
    }

    #[test]
    fn a_held_word_is_one_box_and_a_repeated_word_two() {
        let l = Link::DiskATx;
        let (v, r, d) = (l.port(S::Valid), l.port(S::Ready), l.port(S::Data));
        let win = [
            sample(0, &[]),
            sample(1, &[(v, 1), (d, 0xa)]),           // offered, not ready
            sample(2, &[(v, 1), (d, 0xa), (r, 1)]),   // held, moves
            sample(3, &[(v, 1), (d, 0xa), (r, 1)]),   // the same value again: a new word
            sample(4, &[(r, 1)]),
            sample(5, &[(r, 1)]),
        ];
        let (w, data) = wave(&Lane::Field("data", l, S::Data), &win);
        assert_eq!(w, "x=.=x.");
        assert_eq!(data, ["a", "a"]);
        let (w, _) = wave(&Lane::Bit("ready", r), &win);
        assert_eq!(w, "0.1...");
    }

    #[test]
    fn uart_bytes_decodes_8n1() {
        let div = 4;
        let mut line = vec![true; 3];
        for b in [0xa5u8, 0x01] {
            let bits = std::iter::once(false).chain((0..8).map(|i| b >> i & 1 == 1)).chain(std::iter::once(true));
            for bit in bits {
                line.extend(std::iter::repeat(bit).take(div));
            }
        }
        line.extend([true; 5]);
        let line: Vec<(u64, bool)> = line.into_iter().enumerate().map(|(i, x)| (100 + i as u64, x)).collect();
        assert_eq!(uart_bytes(&line, div as u64), [(103, 0xa5), (143, 0x01)]);
    }
}
