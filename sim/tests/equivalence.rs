//! rust-hdl's simulation of FtioCore and Verilator's simulation of the generated `ftio_core`
//! agree on every output in every cycle, for every scenario. Each test also checks that its
//! scenario did what the power-on DUPLEX core must do with it (words mirrored, returns
//! replicated, faults flagged and handled), so agreement is not agreement on silence.
use ftio_hdl::BuildParams;
use ftio_proto::{reg, Cause, Mode};
use ftio_sim::equivalence::{record, replay, rust_hdl_vs_verilator, Trace};
use ftio_sim::link::Word;
use ftio_sim::port::{Link, LinkSignal as S, Port};
use ftio_sim::scenario::{self, fast_uart_params, read_response, Scenario};
use ftio_sim::{CoreSim, RustHdlCore, VerilatorCore};

fn moved(trace: &Trace, link: Link) -> usize {
    (0..trace.len())
        .filter(|&c| trace.get(c, link.port(S::Valid)) == 1 && trace.get(c, link.port(S::Ready)) == 1)
        .count()
}

fn first_high(trace: &Trace, port: Port) -> Option<usize> {
    (0..trace.len()).find(|&c| trace.get(c, port) != 0)
}

fn run(params: &BuildParams, mut sc: Scenario) -> (Trace, Scenario) {
    let trace = match rust_hdl_vs_verilator(params, &mut sc.stimulus, sc.cycles) {
        Ok(t) => t,
        Err(e) => panic!("scenario {}: {e}", sc.name),
    };
    (trace, sc)
}

/// `got == want`, reported as the first differing word rather than two long lists.
fn same(got: &[Word], want: &[Word], what: &str) {
    if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
        panic!("{what}: word {i} is {:?}, want {:?}", got[i], want[i]);
    }
    assert_eq!(got.len(), want.len(), "{what}: word count");
}

/// The words that moved on `link` from cycle `from` on, as the trace shows them.
fn moved_words(trace: &Trace, link: Link, from: usize) -> Vec<Word> {
    (from..trace.len())
        .filter(|&c| trace.get(c, link.port(S::Valid)) == 1 && trace.get(c, link.port(S::Ready)) == 1)
        .map(|c| Word {
            data: trace.get(c, link.port(S::Data)) as u32,
            last: trace.get(c, link.port(S::Last)) == 1,
            abort: trace.get(c, link.port(S::Abort)) == 1,
        })
        .collect()
}

/// The words the source on `link` of a fresh copy of a scenario will send.
fn queued(mut fresh: Scenario, link: Link) -> Vec<Word> {
    let mut s = fresh.stimulus.source(link).clone();
    let mut out = vec![];
    // Drain a copy of the source into a sink that is always ready.
    while !s.is_idle() {
        let b = s.drive();
        if b.valid {
            out.push(b.word());
        }
        s.observe(true, false);
    }
    out
}

/// STATUS as the core answered the scenario's final UART read.
fn status(sc: &Scenario) -> (Mode, u32, u32) {
    let data = read_response(&sc.stimulus.uart_out.bytes).unwrap_or_else(|e| panic!("{}: STATUS read: {e}", sc.name));
    let s = data[0];
    let f = |n| reg("STATUS").f(n).get(s);
    (Mode::from_field(f("mode")), f("cause"), s)
}

fn st_bit(s: u32, name: &str) -> bool {
    reg("STATUS").f(name).get(s) == 1
}

/// DUPLEX at full rate: both CPUs' identical streams reach both disks whole, disk A's
/// returns reach both CPUs whole, disk B's returns are drained; nothing flagged.
#[test]
fn full_rate_traffic_agrees() {
    full_rate_traffic_agrees_in(BuildParams::default());
}

fn full_rate_traffic_agrees_in(params: BuildParams) {
    let (trace, mut sc) = run(&params, scenario::full_rate(1));
    for link in Link::all() {
        assert!(moved(&trace, link) >= 550, "{}: {} words moved", link.name(), moved(&trace, link));
    }
    assert!(sc.stimulus.sources_done());
    let cpu = queued(scenario::full_rate(1), Link::CpuATx);
    let disk_a = queued(scenario::full_rate(1), Link::DiskARx);
    assert_eq!(cpu.len(), 600);
    for link in [Link::DiskATx, Link::DiskBTx] {
        same(&sc.stimulus.sink(link).words, &cpu, link.name());
    }
    for link in [Link::CpuARx, Link::CpuBRx] {
        same(&sc.stimulus.sink(link).words, &disk_a, link.name());
    }
    for link in Link::out_of_core() {
        assert!(sc.stimulus.sink(link).errors.is_empty());
    }
    assert_eq!(trace.count_high(Port::Irq), 0);
}

/// The same with the BIST's CPU-side skid stages and no return-path test (the Alchitry Cu's
/// build, `Board::bist_skids`): the stages' Verilog agrees beside the CPU handshake.
#[test]
fn full_rate_traffic_agrees_with_the_bist_skids() {
    let params = BuildParams { bist_skids: true, bist_return: false, ..BuildParams::default() };
    let (trace, mut sc) = run(&params, scenario::full_rate(1));
    let cpu = queued(scenario::full_rate(1), Link::CpuATx);
    assert_eq!(cpu.len(), 600);
    for link in [Link::DiskATx, Link::DiskBTx] {
        same(&sc.stimulus.sink(link).words, &cpu, link.name());
    }
    assert_eq!(trace.count_high(Port::Irq), 0);
}

/// DUPLEX with gaps (each CPU its own pattern, so the skew wanders) and back-pressure on
/// every sink: everything delivered, mirrored and replicated; back-pressure reached every
/// source.
#[test]
fn random_backpressure_agrees() {
    random_backpressure_agrees_in(BuildParams::default());
}

fn random_backpressure_agrees_in(params: BuildParams) {
    let (trace, mut sc) = run(&params, scenario::random_backpressure(2));
    assert!(sc.stimulus.sources_done(), "all words delivered in the scenario's cycles");
    let cpu = queued(scenario::random_backpressure(2), Link::CpuATx);
    let disk_a = queued(scenario::random_backpressure(2), Link::DiskARx);
    for link in Link::out_of_core() {
        let sink = sc.stimulus.sink(link);
        assert!(sink.errors.is_empty(), "{}: {:?}", link.name(), sink.errors);
        let want = if matches!(link, Link::DiskATx | Link::DiskBTx) { &cpu } else { &disk_a };
        same(&sink.words, want, link.name());
    }
    // Back-pressure reached both CPUs and the primary disk. The secondary (disk B) is kept
    // in step with the primary's returns (it waits only when ahead of them) and was drained
    // to the end: `sources_done` above.
    for link in Link::into_core() {
        let stalls = (0..trace.len())
            .filter(|&c| trace.get(c, link.port(S::Valid)) == 1 && trace.get(c, link.port(S::Ready)) == 0)
            .count();
        if link != Link::DiskBRx {
            assert!(stalls > 10, "{}: {stalls} stalled offers", link.name());
        }
    }
    assert_eq!(trace.count_high(Port::Irq), 0);
}

/// A parity fault on CPU A's link (a data bit flipped, parity left): irq within a cycle of
/// the bad word's first offer, fail-over to SIMPLEX_B without losing, repeating or
/// reordering a word of CPU B's stream, and STATUS says so over the UART.
#[test]
fn cpu_parity_fault_fails_over_hitlessly() {
    cpu_parity_fault_fails_over_hitlessly_in(fast_uart_params());
}

fn cpu_parity_fault_fails_over_hitlessly_in(params: BuildParams) {
    const WORD: u64 = 150;
    let mk = || scenario::cpu_a_parity_failover(3, WORD);
    let (trace, mut sc) = run(&params, mk());
    let cpu = queued(mk(), Link::CpuBTx);
    // The cycle CPU A first offered word 150.
    let offers: Vec<usize> = (0..trace.len())
        .filter(|&c| {
            trace.get(c, Link::CpuATx.port(S::Valid)) == 1
                && (c == 0
                    || trace.get(c - 1, Link::CpuATx.port(S::Valid)) == 0
                    || trace.get(c - 1, Link::CpuATx.port(S::Ready)) == 1)
        })
        .collect();
    let bad_at = offers[WORD as usize];
    let irq = first_high(&trace, Port::Irq).expect("irq rises");
    assert!(irq > bad_at && irq <= bad_at + 3, "irq at {irq}, bad word offered at {bad_at}");
    assert!(sc.stimulus.sources_done(), "the isolated CPU's words are taken and dropped");
    for link in [Link::DiskATx, Link::DiskBTx] {
        let sink = sc.stimulus.sink(link);
        assert_eq!(sink.words, cpu, "{}: CPU B's stream, whole", link.name());
        assert!(sink.errors.is_empty(), "{}: the bad word never reached a disk: {:?}", link.name(), sink.errors);
    }
    let disk_a = queued(mk(), Link::DiskARx);
    assert_eq!(sc.stimulus.sink(Link::CpuBRx).words, disk_a, "CPU B gets every return");
    let to_a = sc.stimulus.sink(Link::CpuARx).words.clone();
    assert!(to_a.len() < disk_a.len() && to_a[..] == disk_a[..to_a.len()], "CPU A's returns stop at the fail-over");
    let (mode, cause, s) = status(&sc);
    assert_eq!(mode, Mode::SimplexB);
    assert_eq!(cause, Cause::CpuAParity.code());
    assert!(st_bit(s, "cpu_a_failed") && !st_bit(s, "cpu_b_failed") && st_bit(s, "fault"));
}

/// A parity fault on CPU B's return link's ready pair (`rpar` wrong for one cycle): CPU B is
/// isolated, SIMPLEX_A, nothing lost.
#[test]
fn cpu_ready_parity_fault_fails_over() {
    let mk = || scenario::cpu_b_ready_parity_failover(4, 300);
    let (trace, mut sc) = run(&fast_uart_params(), mk());
    let irq = first_high(&trace, Port::Irq).expect("irq rises");
    assert!(irq > 300 && irq <= 303, "irq at {irq}, rpar wrong at 300");
    let cpu = queued(mk(), Link::CpuATx);
    for link in [Link::DiskATx, Link::DiskBTx] {
        assert_eq!(sc.stimulus.sink(link).words, cpu, "{}: CPU A's stream, whole", link.name());
    }
    let disk_a = queued(mk(), Link::DiskARx);
    assert_eq!(sc.stimulus.sink(Link::CpuARx).words, disk_a);
    let (mode, cause, _) = status(&sc);
    assert_eq!(mode, Mode::SimplexA);
    assert_eq!(cause, Cause::CpuBParity.code());
}

/// A content mismatch (CPU B's word differs, parity good): HALTED, the disagreeing word
/// reaches neither disk, the frame in flight is ended on both disks with the abort word
/// (data 0, par 0xF, last, abort), and the CPUs are back-pressured from then on.
#[test]
fn mismatch_halts_and_aborts_the_frame_in_flight() {
    mismatch_halts_and_aborts_the_frame_in_flight_in(fast_uart_params());
}

fn mismatch_halts_and_aborts_the_frame_in_flight_in(params: BuildParams) {
    let mk = |w| scenario::mismatch_halts(5, w);
    let cpu = queued(mk(0), Link::CpuATx);
    // A word in the middle of a frame, so a frame is in flight when the pair disagrees.
    let word = (120..cpu.len()).find(|&i| !cpu[i - 1].last).unwrap();
    let (trace, mut sc) = run(&params, mk(word as u64));
    let mut expect = cpu[..word].to_vec();
    expect.push(Word { data: 0, last: true, abort: true });
    for link in [Link::DiskATx, Link::DiskBTx] {
        let sink = sc.stimulus.sink(link);
        assert_eq!(sink.words, expect, "{}", link.name());
        assert_eq!(sink.aborted_frames as usize, 1 + cpu[..word].iter().filter(|w| w.abort).count());
        assert!(sink.errors.is_empty(), "the abort word has good parity: {:?}", sink.errors);
    }
    let abort_at = (0..trace.len())
        .find(|&c| trace.get(c, Link::DiskATx.port(S::Valid)) == 1 && trace.get(c, Link::DiskATx.port(S::Abort)) == 1
            && trace.get(c, Link::DiskATx.port(S::Data)) == 0)
        .unwrap();
    assert_eq!(trace.get(abort_at, Link::DiskATx.port(S::Par)), 0xF);
    let irq = first_high(&trace, Port::Irq).expect("irq");
    for c in irq + 2..trace.len() {
        assert_eq!(trace.get(c, Link::CpuATx.port(S::Ready)), 0, "CPU A back-pressured at {c}");
        assert_eq!(trace.get(c, Link::CpuBTx.port(S::Ready)), 0, "CPU B back-pressured at {c}");
    }
    let (mode, cause, s) = status(&sc);
    assert_eq!(mode, Mode::Halted);
    assert_eq!(cause, Cause::Mismatch.code());
    assert!(st_bit(s, "halted"));
}

/// Store-and-forward set over the UART, then a content mismatch mid-frame: both simulators
/// agree cycle for cycle, and the disks get exactly the whole frames before the divergent
/// one (less those the CPUs voided with `last & abort`, which store-and-forward drops too):
/// nothing of the divergent frame, no abort word.
#[test]
fn store_and_forward_drops_a_divergent_frame() {
    let mk = |w| scenario::saf_mismatch_drops_the_frame(6, w);
    let cpu = queued(mk(0), Link::CpuATx);
    let word = (300..cpu.len()).find(|&i| !cpu[i - 1].last).unwrap();
    let (trace, mut sc) = run(&fast_uart_params(), mk(word as u64));
    let frame_start = (0..word).rev().find(|&i| cpu[i].last).map_or(0, |i| i + 1);
    let (mut expect, mut cur) = (vec![], vec![]);
    for w in &cpu[..frame_start] {
        cur.push(*w);
        if w.last {
            if !w.abort {
                expect.append(&mut cur);
            }
            cur.clear();
        }
    }
    assert!(expect.len() > 100, "{} words before the divergent frame", expect.len());
    assert!(cpu[..frame_start].iter().any(|w| w.abort), "the scenario has a voided frame to drop");
    for link in [Link::DiskATx, Link::DiskBTx] {
        let sink = sc.stimulus.sink(link);
        same(&sink.words, &expect, link.name());
        assert_eq!(sink.aborted_frames, 0, "{}: no abort word", link.name());
        assert!(sink.errors.is_empty(), "{}: {:?}", link.name(), sink.errors);
    }
    assert!(first_high(&trace, Port::Irq).is_some(), "the mismatch raised irq");
}

/// A parity error on disk B's return link: disk B is marked failed, writes go on to disk A
/// alone without loss, the CPUs still get all of disk A's returns; the mode stays DUPLEX.
#[test]
fn disk_parity_fault_degrades_the_mirror() {
    disk_parity_fault_degrades_the_mirror_in(fast_uart_params());
}

fn disk_parity_fault_degrades_the_mirror_in(params: BuildParams) {
    let mk = || scenario::disk_b_parity_degrades(6, 60);
    let (trace, mut sc) = run(&params, mk());
    assert!(first_high(&trace, Port::Irq).is_some());
    let cpu = queued(mk(), Link::CpuATx);
    assert_eq!(sc.stimulus.sink(Link::DiskATx).words, cpu, "disk A: everything");
    let b = sc.stimulus.sink(Link::DiskBTx).words.clone();
    assert!(b.len() < cpu.len() && b[..] == cpu[..b.len()], "disk B: a clean prefix, then nothing");
    let disk_a = queued(mk(), Link::DiskARx);
    assert_eq!(sc.stimulus.sink(Link::CpuARx).words, disk_a);
    assert_eq!(sc.stimulus.sink(Link::CpuBRx).words, disk_a);
    let (mode, cause, s) = status(&sc);
    assert_eq!(mode, Mode::Duplex, "a disk fault isolates no CPU");
    assert_eq!(cause, Cause::DiskBParity.code());
    assert!(st_bit(s, "disk_b_failed") && !st_bit(s, "disk_a_failed"));
}

/// Disk A (the primary) stops taking words: after DISK_TIMEOUT = 4096 cycles with a word
/// waiting it is marked failed (not one cycle earlier), writes go on to disk B, and the
/// returns come from disk B from then on.
#[test]
fn disk_stall_timeout_fails_the_disk_and_switches_the_primary() {
    const FROM: u64 = 100;
    let mk = || scenario::disk_a_stall_timeout(7, FROM);
    let (trace, mut sc) = run(&fast_uart_params(), mk());
    let ready = Link::DiskATx.port(S::Ready);
    let valid = Link::DiskATx.port(S::Valid);
    let stall_start = (FROM as usize..trace.len()).find(|&c| trace.get(c, valid) == 1 && trace.get(c, ready) == 0).unwrap();
    let irq = first_high(&trace, Port::Irq).expect("irq");
    // Held low for DISK_TIMEOUT cycles (stall_start .. +4095) is fine; the next cycle fails
    // the disk, and irq shows the latched fault the cycle after that.
    assert_eq!(irq, stall_start + 4096 + 1, "stall from {stall_start}");
    let cpu = queued(mk(), Link::CpuATx);
    assert!(sc.stimulus.sources_done());
    assert_eq!(sc.stimulus.sink(Link::DiskBTx).words, cpu, "disk B: everything");
    // The CPUs get disk A's returns up to the failure, then disk B's.
    let ret_a = queued(mk(), Link::DiskARx);
    let ret_b = queued(mk(), Link::DiskBRx);
    let got = sc.stimulus.sink(Link::CpuARx).words.clone();
    assert_eq!(sc.stimulus.sink(Link::CpuBRx).words, got, "both CPUs get the same returns");
    let i = got.iter().zip(&ret_a).take_while(|(x, y)| x == y).count();
    assert!(i > 0 && i < got.len(), "a prefix from disk A ({i} words), then disk B");
    let tail = &got[i..];
    let j = ret_b.len() - tail.len();
    assert_eq!(tail, &ret_b[j..], "the rest is the tail of disk B's returns");
    let (mode, cause, s) = status(&sc);
    assert_eq!(mode, Mode::Duplex);
    assert_eq!(cause, Cause::DiskATimeout.code());
    assert!(st_bit(s, "disk_a_failed"));
}

#[test]
fn uart_rx_idle_agrees() {
    let (trace, _) = run(&BuildParams::default(), scenario::uart_rx_idle());
    assert_eq!(trace.count_high(Port::UartRx), trace.len());
    assert_eq!(trace.count_high(Port::Irq), 0);
}

/// An `ID` read request then garbage on the UART, with DUPLEX traffic: the core answers the
/// request with the ID, and the garbage disturbs nothing.
#[test]
fn uart_rx_bytes_agree() {
    let sc = scenario::uart_rx_bytes(4, 8);
    let (trace, sc) = run(&fast_uart_params(), sc);
    assert!(sc.stimulus.uart.is_idle(), "every byte was sent");
    assert!(trace.toggles(Port::UartRx) > 30);
    let id = read_response(&sc.stimulus.uart_out.bytes).expect("a response to the ID read");
    assert_eq!(id, vec![ftio_proto::ID_VALUE]);
    assert_eq!(trace.count_high(Port::Irq), 0);
}

/// Reset pulses in DUPLEX traffic: a reset empties both skew FIFOs at the same point of the
/// two streams (so no mismatch follows) and every disk and return buffer (so whatever a
/// slow disk had not yet taken is lost, a different amount for each disk); from the last
/// reset on, both disks get the same stream again and nothing is flagged.
#[test]
fn reset_during_traffic_agrees() {
    reset_during_traffic_agrees_in(BuildParams::default());
}

fn reset_during_traffic_agrees_in(params: BuildParams) {
    let (trace, _) = run(&params, scenario::reset_during_traffic(5));
    assert_eq!(trace.count_high(Port::Reset), 5);
    let a = moved_words(&trace, Link::DiskATx, 405);
    same(&moved_words(&trace, Link::DiskBTx, 405), &a, "disk B after the last reset");
    assert!(a.len() > 100, "{} words forwarded after the last reset", a.len());
    assert_eq!(trace.count_high(Port::Irq), 0);
}

/// The comparison can fail: a recorded output altered in one cycle is reported at exactly
/// that cycle and port.
#[test]
fn replay_reports_the_first_differing_cycle_and_port() {
    let params = BuildParams::default();
    let mut sc = scenario::random_backpressure(6);
    let mut golden = RustHdlCore::new(&params);
    let mut trace = record(&mut golden, &mut sc.stimulus, 300);
    let port = Link::DiskBTx.port(S::Data);
    let cycle = (0..trace.len()).find(|&c| c > 100 && trace.get(c, Link::DiskBTx.port(S::Valid)) == 1).unwrap();
    trace.samples[cycle][port.index()] ^= 0x10;
    let mut model = VerilatorCore::new(&params).expect("verilator model");
    let d = replay(&trace, &mut model, "rust-hdl").expect_err("must diverge");
    assert_eq!(d.cycle, cycle);
    assert_eq!(d.ports.len(), 1);
    assert_eq!(d.ports[0].0, port);
    assert_eq!(d.ports[0].1 ^ d.ports[0].2, 0x10);
    assert!(d.to_string().contains("disk_b_tx_data"), "{d}");
}

/// Inputs all left at 0 from power-on (so `cpar` = 0: a control parity error on every
/// into-core link every cycle): both simulators start from the same state and flag it alike.
#[test]
fn power_on_with_inputs_at_zero_agrees() {
    struct Untouched;
    impl ftio_sim::equivalence::Stimulus for Untouched {
        fn drive(&mut self, _: u64, _: &mut dyn CoreSim) {}
        fn observe(&mut self, _: u64, _: &dyn CoreSim) {}
    }
    let trace = rust_hdl_vs_verilator(&BuildParams::default(), &mut Untouched, 50).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(trace.get(0, Port::Irq), 0, "irq is a register: low in cycle 0");
    assert_eq!(trace.get(2, Port::Irq), 1, "the parity errors of cycle 0 are flagged");
}

/// CPU B sends CPU A's frames 3 cycles later, with the same gaps: DUPLEX mirrors the agreed
/// stream to both disks, whole; B's first offer is A's + 3.
#[test]
fn lockstep_offset_agrees() {
    let (trace, mut sc) = run(&BuildParams::default(), scenario::lockstep_offset(7));
    let a = sc.stimulus.sink(Link::DiskATx).words.clone();
    assert_eq!(a.len(), 500);
    assert_eq!(sc.stimulus.sink(Link::DiskBTx).words, a);
    let first = |l: Link| first_high(&trace, l.port(S::Valid)).unwrap();
    assert_eq!(first(Link::CpuBTx), first(Link::CpuATx) + 3);
    assert_eq!(trace.count_high(Port::Irq), 0);
}

// The pipelined build (`--pipeline 1`: a registered stage behind each input link's checks)
// in the scenarios that move words, fail over and reset: the same checks, on its Verilog and
// its model.
#[test]
fn full_rate_traffic_agrees_pipelined() {
    full_rate_traffic_agrees_in(BuildParams { pipeline: 1, ..BuildParams::default() });
}

#[test]
fn random_backpressure_agrees_pipelined() {
    random_backpressure_agrees_in(BuildParams { pipeline: 1, ..BuildParams::default() });
}

#[test]
fn cpu_parity_fault_fails_over_hitlessly_pipelined() {
    cpu_parity_fault_fails_over_hitlessly_in(BuildParams { pipeline: 1, ..fast_uart_params() });
}

#[test]
fn mismatch_halts_and_aborts_the_frame_in_flight_pipelined() {
    mismatch_halts_and_aborts_the_frame_in_flight_in(BuildParams { pipeline: 1, ..fast_uart_params() });
}

#[test]
fn disk_parity_fault_degrades_the_mirror_pipelined() {
    disk_parity_fault_degrades_the_mirror_in(BuildParams { pipeline: 1, ..fast_uart_params() });
}

#[test]
fn reset_during_traffic_agrees_pipelined() {
    reset_during_traffic_agrees_in(BuildParams { pipeline: 1, ..BuildParams::default() });
}

// The iCE40 boards' build (`--capture-choice before --disk-stage off`: the capture's choice
// before its registers, no stage behind the disk links) in the scenarios that move returned
// words and fail a disk: the same checks, on its Verilog and its model.
fn ice40_build(params: BuildParams) -> BuildParams {
    BuildParams { capture_choice: ftio_hdl::CaptureChoice::Before, disk_stage: false, ..params }
}

#[test]
fn random_backpressure_agrees_in_the_ice40_build() {
    random_backpressure_agrees_in(ice40_build(BuildParams::default()));
}

#[test]
fn disk_parity_fault_degrades_the_mirror_in_the_ice40_build() {
    disk_parity_fault_degrades_the_mirror_in(ice40_build(fast_uart_params()));
}

/// The variables at which Verilator breaks the combinational cycles of `text` (module
/// `ftio_core`), at the granularity its scheduler sees them (its UNOPTFLAT warnings), from
/// `verilator --lint-only`.
fn verilator_cycle_cuts(text: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("ftio-cycle-cuts-{}-{}", std::process::id(), text.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ftio_core.v");
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new("verilator")
        .args(["--lint-only", "-Wno-WIDTH", "-Wno-fatal", "--top-module", "ftio_core"])
        .arg(&path)
        .output()
        .expect("verilator (bash scripts/setup.sh)");
    let _ = std::fs::remove_dir_all(&dir);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "verilator --lint-only failed: {log}");
    let mut cuts: Vec<String> = log
        .lines()
        .filter_map(|l| l.split("Circular combinational logic: '").nth(1))
        .map(|v| v.trim_end_matches('\'').to_string())
        .collect();
    cuts.sort();
    cuts
}

/// The CPU ingresses' handshake is no combinational cycle of the Verilog, not even at the
/// block level (an always block reading a `valid` and writing a `ready`): Verilator 5.006
/// breaks such a cycle at some variable, and where it broke the CPU one at the ingresses'
/// `injector$valid` its model stopped agreeing with rust-hdl after the power-on evaluation
/// (docs/simulation.md, "Block-level cycles"). The default core, the core with the BIST's
/// CPU-side skid stages (`bist_skids`, as the Alchitry Cu builds it), both at the Cu's
/// return-path choice too, the production core and the pipelined build (`--pipeline 1`); the check itself on a seeded cycle.
#[test]
fn the_cpu_handshake_is_no_verilator_cycle() {
    let seeded = "module ftio_core(input a, output y);\n  wire p, q;\n  assign p = q & a;\n  assign q = p;\n  assign y = q;\nendmodule\n";
    assert_eq!(verilator_cycle_cuts(seeded).len(), 1, "a seeded cycle is found");
    let d = BuildParams::default();
    for params in [
        d,
        BuildParams { bist_skids: true, ..d },
        BuildParams { bist_return: false, ..d },
        BuildParams { bist_return: false, bist_skids: true, ..d },
        BuildParams { injection: false, bist: false, ..d },
        BuildParams { pipeline: 1, ..d },
        BuildParams { disk_stage: false, ..d },
    ] {
        let cuts = verilator_cycle_cuts(&ftio_hdl::core_verilog(&params).unwrap());
        let cpu = |v: &&String| v.contains(".in_cpu_") || v.contains(".lockstep.readies") || v.contains(".bist.gen_");
        let bad: Vec<&String> = cuts.iter().filter(cpu).collect();
        assert!(bad.is_empty(), "{params:?}: the CPU handshake is cut at {bad:?} (all cuts: {cuts:?})");
    }
}
