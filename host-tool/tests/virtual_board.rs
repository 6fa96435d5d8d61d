//! The real `ftctl` binary against the virtual board: the generated core in Verilator, its
//! UART on a pseudo-terminal (`ftio_sim::virtual_board`), exactly what `ftio sim board --pty` runs.
//! Nothing here is a model: every answer comes from the gateware's parser and registers,
//! every fault from its checkers, fail-over FSM and first-fault capture.
mod status_text;
use status_text::field;

use ftio_sim::virtual_board::{self as board, BoardConfig, BoardHandle, TrafficConfig};
use std::process::Command;
use std::time::{Duration, Instant};

fn start(traffic: bool) -> BoardHandle {
    let traffic = traffic.then(TrafficConfig::default);
    board::spawn(BoardConfig { traffic, ..BoardConfig::default() }).unwrap_or_else(|e| panic!("virtual board: {e}"))
}

/// Runs ftctl on the board's pty: (exit code, stdout, stderr).
fn ftctl(b: &BoardHandle, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_ftctl"))
        .args(args)
        .env("FTCTL_PORT", b.path())
        .output()
        .expect("run ftctl");
    (o.status.code().unwrap_or(-1), String::from_utf8(o.stdout).unwrap(), String::from_utf8(o.stderr).unwrap())
}

/// ftctl that must succeed; its stdout.
fn ok(b: &BoardHandle, args: &[&str]) -> String {
    let (code, out, err) = ftctl(b, args);
    assert_eq!(code, 0, "ftctl {args:?} exited {code}: {err}\n{out}");
    assert!(err.is_empty(), "ftctl {args:?} warned: {err}");
    out
}

/// The state column of one side in ftctl status (`CPU A     healthy`).
fn side(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(name).filter(|r| r.starts_with(' ')).map(|r| r.trim().to_string()))
        .unwrap_or_else(|| panic!("no `{name}` side in:\n{text}"))
}

/// One counter from `ftctl counters` (one consistent snapshot).
fn counters(b: &BoardHandle) -> std::collections::HashMap<String, u64> {
    ok(b, &["counters"])
        .lines()
        .skip(1)
        .map(|l| {
            let mut it = l.split_whitespace();
            (it.next().unwrap().to_string(), it.next().unwrap().parse().unwrap())
        })
        .collect()
}

fn wait_irq(b: &BoardHandle, high: bool) {
    let end = Instant::now() + Duration::from_secs(10);
    while b.control().irq() != high && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(b.control().irq(), high, "irq");
}

#[test]
fn info_status_registers_and_modes() {
    let b = start(false);
    let path = b.path().display().to_string();
    let out = ok(&b, &["info"]);
    assert!(out.starts_with(&format!("ftio core on {path}\n")), "{out}");
    assert!(out.contains("  ID        0x4654494F \"FTIO\"\n"), "{out}");
    assert!(out.contains(&format!("  VERSION   {}.", ftio_proto::VERSION_VALUE >> 16)), "{out}");
    // The virtual board's default build (19200 baud at 8 clocks per bit), as the core reports it.
    assert!(out.contains("  CLOCK_HZ  153600 Hz"), "{out}");
    assert!(out.contains("  BAUD      19200\n"), "{out}");
    assert!(out.contains("    skew FIFO depth     64 words per CPU\n"), "{out}");

    let st = ok(&b, &["status"]);
    assert_eq!(field(&st, "Mode"), "DUPLEX");
    assert_eq!(field(&st, "State"), "active");
    assert_eq!(field(&st, "Fault"), "none, irq low");
    assert_eq!(field(&st, "Causes seen"), "none");
    assert_eq!(side(&st, "CPU A"), "healthy");
    assert_eq!(side(&st, "CPU B"), "healthy");
    assert_eq!(side(&st, "Disk A"), "active sync, primary");
    assert_eq!(side(&st, "Disk B"), "active sync");

    let out = ok(&b, &["reg", "write", "SCRATCH", "0x1234"]);
    assert_eq!(out, "SCRATCH <- 0x00001234\nSCRATCH (2) = 0x00001234 (4660)\n");
    assert_eq!(ok(&b, &["reg", "read", "SCRATCH"]), "SCRATCH (2) = 0x00001234 (4660)\n");
    // Forced write of a read-only register: the core itself refuses it (status 0x03).
    let (code, _, err) = ftctl(&b, &["reg", "write", "ID", "1", "--force"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("0x03"), "{err}");

    assert_eq!(ok(&b, &["set", "mode", "split"]), "mode: DUPLEX -> SPLIT\n");
    assert_eq!(field(&ok(&b, &["status"]), "Mode"), "SPLIT");
    assert_eq!(ok(&b, &["set", "lockstep", "strict"]), "lockstep: elastic -> strict\n");
    assert_eq!(ok(&b, &["set", "offset", "5"]), "offset: 0 -> 5\n");
    let st = ok(&b, &["status"]);
    assert!(field(&st, "Lockstep").starts_with("strict, CPU B 5 cycles"), "{st}");

    let dump = ok(&b, &["regs", "dump"]);
    for line in [
        "  0 ID              0x4654494F",
        "  2 SCRATCH         0x00001234",
        "  3 CLOCK_HZ        0x00025800", // 153600: the board's default build
        "  4 BAUD            0x00004B00", // 19200
        "  9 OFFSET          0x00000005",
    ] {
        assert!(dump.lines().any(|l| l.starts_with(line)), "no `{line}` in:\n{dump}");
    }
    assert_eq!(dump.lines().count(), ftio_proto::REGISTERS.len(), "{dump}");
}

#[test]
fn counters_move_with_traffic() {
    let b = start(true);
    assert!(b.wait_cycles(10_000, Duration::from_secs(20)));
    let c1 = counters(&b);
    let c2 = counters(&b);
    for name in ["WORDS_FWD", "FRAMES_FWD", "WORDS_RETURNED", "CYCLES"] {
        assert!(c1[name] > 0 && c2[name] > c1[name], "{name}: {} then {}", c1[name], c2[name]);
    }
    // Identical streams: nothing wrong anywhere.
    for name in ["FRAMES_ABORTED", "MISMATCHES", "PERR_CPU_A", "PERR_CPU_B", "PERR_DISK_A", "PERR_DISK_B", "PERR_EGRESS", "TIMEOUTS"] {
        assert_eq!(c2[name], 0, "{name}");
    }
    // 8-word frames: words forwarded are 8 per frame (give or take the frame in flight).
    assert!(c2["WORDS_FWD"].abs_diff(8 * c2["FRAMES_FWD"]) <= 8, "{c2:?}");
    assert_eq!(field(&ok(&b, &["status"]), "State"), "active");
}

/// SPEC §4 auto policy end to end: a parity fault on CPU A's link, seen by ftctl as a
/// fail-over to SIMPLEX_B with the cause and the captured words; clear; back to DUPLEX.
#[test]
fn cpu_a_fault_round_trip() {
    let b = start(true);
    assert!(b.wait_cycles(5_000, Duration::from_secs(20)));
    let st = ok(&b, &["status"]);
    assert_eq!((field(&st, "Mode"), field(&st, "State")), ("DUPLEX".into(), "active".into()), "{st}");
    assert_eq!(ok(&b, &["capture"]), "no fault captured since power-on or the last clear\n");

    b.inject_cpu_a_fault();
    wait_irq(&b, true);
    let st = ok(&b, &["status"]);
    assert_eq!(field(&st, "Mode"), "SIMPLEX_B", "{st}");
    assert_eq!(field(&st, "State"), "degraded, fault latched");
    assert!(field(&st, "First cause").starts_with("CPU_A_PARITY (1)"), "{st}");
    assert_eq!(field(&st, "Causes seen"), "CPU_A_PARITY");
    assert_eq!(side(&st, "CPU A"), "FAILED (CPU_A_PARITY)");
    assert_eq!(side(&st, "CPU B"), "healthy");
    assert_eq!(side(&st, "Disk A"), "active sync, primary");
    assert_eq!(side(&st, "Disk B"), "active sync");

    // The capture places the word the board corrupted: CAP_WORD, the words committed toward
    // the disks when it was detected (docs/registers.md), is what the board counted at the
    // disks with nothing in flight (so also the word's index in CPU A's stream), and the
    // cycle is the one it was offered in, detection by t+3 (SPEC §4).
    let f = b.control().last_fault().expect("the board records the word it corrupted");
    let committed = f.committed.expect("the default traffic leaves the datapath empty between frames");
    assert_eq!(committed, f.word_index, "{f:?}");
    let cap = ok(&b, &["capture"]);
    assert!(field(&cap, "Cause").starts_with("CPU_A_PARITY (1)"), "{cap}");
    assert_eq!(field(&cap, "Word pair"), committed.to_string(), "{cap}\n{f:?}");
    let cycle: u64 = field(&cap, "Cycle").split_whitespace().next().unwrap().parse().unwrap();
    assert!((f.cycle..=f.cycle + 3).contains(&cycle), "captured at cycle {cycle}; the word was offered at {}", f.cycle);

    // The healthy stream keeps going in SIMPLEX_B.
    let w = counters(&b)["WORDS_FWD"];
    assert!(counters(&b)["WORDS_FWD"] > w);

    let out = ok(&b, &["clear"]);
    assert!(out.starts_with("faults cleared; mode SIMPLEX_B; fault none\n"), "{out}");
    wait_irq(&b, false);
    assert_eq!(ok(&b, &["set", "mode", "duplex"]), "mode: SIMPLEX_B -> DUPLEX\n");
    // Both CPUs' streams stayed in step (the isolated CPU's words are taken and dropped),
    // so after the mode write flushes the skew FIFOs they agree again.
    let c0 = b.cycles();
    assert!(b.wait_cycles(c0 + 20_000, Duration::from_secs(20)));
    let st = ok(&b, &["status"]);
    assert_eq!(field(&st, "Mode"), "DUPLEX", "{st}");
    assert_eq!(field(&st, "State"), "active", "{st}");
    assert_eq!(field(&st, "Fault"), "none, irq low");
    for s in ["CPU A", "CPU B"] {
        assert_eq!(side(&st, s), "healthy", "{st}");
    }
    assert_eq!(side(&st, "Disk B"), "active sync", "{st}");
    assert!(!b.control().irq());
    assert_eq!(counters(&b)["MISMATCHES"], 0);
}

/// The words of the first fault: side A is the word as CPU A sent it (bit 0 flipped, parity
/// error flagged), side B CPU B's copy of the same word.
#[test]
fn capture_shows_the_corrupted_cpu_a_word() {
    let b = start(true);
    assert!(b.wait_cycles(5_000, Duration::from_secs(20)));
    b.inject_cpu_a_fault();
    wait_irq(&b, true);
    let f = b.control().last_fault().unwrap();
    let cap = ok(&b, &["capture"]);
    let word = |k: &str| u32::from_str_radix(field(&cap, k).split_whitespace().next().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert_eq!(word("Side A"), f.sent, "{cap}\n{f:?}");
    assert_eq!(word("Side B"), f.data, "{cap}\n{f:?}");
    assert!(field(&cap, "Side A").contains("valid") && field(&cap, "Side A").contains("perr"), "{cap}");
    assert!(!field(&cap, "Side B").contains("perr"), "{cap}");
    assert_eq!(field(&cap, "Differ"), "0x00000001 (bit 0)");
}

/// The gateware's own fault injector (INJ_CTRL), armed by ftctl, on the board's traffic.
#[test]
fn gateware_injection_on_cpu_b_fails_over_to_simplex_a() {
    let b = start(true);
    assert!(b.wait_cycles(5_000, Duration::from_secs(20)));
    let out = ok(&b, &["inject", "--link", "cpu-b", "--kind", "data", "--bit", "7", "--count", "3", "--wait", "5"]);
    assert_eq!(out, "injection: flip data bit 7 of word 3 (0 = the next) on cpu-b: fired\n");
    wait_irq(&b, true);
    let st = ok(&b, &["status"]);
    assert_eq!(field(&st, "Mode"), "SIMPLEX_A", "{st}");
    assert_eq!(side(&st, "CPU B"), "FAILED (CPU_B_PARITY)", "{st}");
    assert_eq!(side(&st, "CPU A"), "healthy");
    let cap = ok(&b, &["capture"]);
    assert!(field(&cap, "Cause").starts_with("CPU_B_PARITY (2)"), "{cap}");
}

/// The built-in self-test over the UART: the gateware's generators feed both CPU inputs,
/// its checkers watch both disk outputs; ftctl starts it and reads the verdict.
#[test]
fn bist_passes_on_the_virtual_board() {
    let b = start(false);
    let (code, out, err) = ftctl(&b, &["bist", "run", "--frames", "4", "--len", "16", "--skew", "3", "--seed", "0x1234", "--max-wait", "20"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("BIST PASS: ") && out.contains(" checked on both disks, 0 errors (4 frames x 16 words, skew 3, seed 4660)"), "{out}");
    let st = ok(&b, &["status"]);
    assert_eq!((field(&st, "Mode"), field(&st, "Fault")), ("DUPLEX".into(), "none, irq low".into()), "{st}");
}

/// BIST_WORDS counts a word once when both disks' copies are checked (register table).
#[test]
fn bist_words_count_each_word_once() {
    let b = start(false);
    let out = ok(&b, &["bist", "run", "--frames", "4", "--len", "16", "--skew", "3", "--seed", "0x1234", "--max-wait", "20"]);
    assert!(out.starts_with("BIST PASS: 64 of 64 words checked on both disks, 0 errors"), "{out}");
}
