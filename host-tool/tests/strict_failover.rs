//! Strict lockstep fails over like elastic (SPEC §4), end to end as a user meets it: the
//! virtual board with traffic whose CPU B runs D cycles behind CPU A, configured and faulted
//! with the real `ftctl` (`set offset D`, `set lockstep strict`, `clear`, `inject`), at D = 0,
//! 4 and 9, a data flip on either CPU. Each run must end in SIMPLEX on the healthy side with
//! only the faulty side's parity cause, no frame aborted, the traffic still flowing, and the
//! healthy CPU receiving every reply frame exactly once and in order.
mod status_text;
use status_text::field;

use ftio_sim::virtual_board::{self as board, BoardConfig, TrafficConfig};
use std::process::Command;
use std::time::{Duration, Instant};

fn ftctl(port: &std::path::Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_ftctl")).args(args).env("FTCTL_PORT", port).output().expect("run ftctl");
    let (out, err) = (String::from_utf8(o.stdout).unwrap(), String::from_utf8(o.stderr).unwrap());
    assert!(o.status.success() && err.is_empty(), "ftctl {args:?} exited {:?}: {err}\n{out}", o.status.code());
    out
}

/// One counter from `ftctl counters`.
fn counter(port: &std::path::Path, name: &str) -> u64 {
    ftctl(port, &["counters"])
        .lines()
        .find_map(|l| {
            let mut it = l.split_whitespace();
            (it.next()? == name).then(|| it.next().unwrap().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no counter {name}"))
}

fn strict_fault(offset: u64, faulty: char) {
    let traffic = TrafficConfig { skew: offset, ..TrafficConfig::default() };
    let b = board::spawn(BoardConfig { traffic: Some(traffic), ..BoardConfig::default() })
        .unwrap_or_else(|e| panic!("virtual board: {e}"));
    let port = b.path().to_path_buf();
    let d = offset.to_string();
    ftctl(&port, &["set", "offset", &d]);
    ftctl(&port, &["set", "lockstep", "strict"]);
    ftctl(&port, &["clear"]);
    assert!(b.wait_cycles(b.cycles() + 20_000, Duration::from_secs(30)));
    let st = ftctl(&port, &["status"]);
    assert_eq!((field(&st, "Mode"), field(&st, "Fault")), ("DUPLEX".into(), "none, irq low".into()), "D={offset} before the fault:\n{st}");
    let before = b.control().traffic_stats().expect("traffic");

    let link = format!("cpu-{faulty}");
    ftctl(&port, &["inject", "--link", &link, "--kind", "data", "--bit", "3", "--count", "50", "--wait", "5"]);
    let end = Instant::now() + Duration::from_secs(10);
    while !b.control().irq() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    let st = ftctl(&port, &["status"]);
    let (healthy, mode, cause) = if faulty == 'a' { (1, "SIMPLEX_B", "CPU_A_PARITY") } else { (0, "SIMPLEX_A", "CPU_B_PARITY") };
    assert_eq!(field(&st, "Mode"), mode, "D={offset}, fault on CPU {faulty}:\n{st}");
    assert_eq!(field(&st, "Causes seen"), cause, "D={offset}, fault on CPU {faulty}:\n{st}");
    assert_eq!(counter(&port, "FRAMES_ABORTED"), 0, "D={offset}: a frame was aborted");
    let w = counter(&port, "WORDS_FWD");
    assert!(b.wait_cycles(b.cycles() + 20_000, Duration::from_secs(30)));
    assert!(counter(&port, "WORDS_FWD") > w + 1000, "D={offset}: traffic stopped after the fail-over");
    let t = b.stop().unwrap().traffic.unwrap();
    assert_eq!(before.reply_errors, [0, 0], "D={offset}: replies before the fault {before:?}");
    assert_eq!(t.reply_errors[healthy], 0, "D={offset}, CPU {faulty} faulty: the healthy CPU's replies {t:?}");
    // Every frame the disks took was answered to the healthy CPU (but the few replies still
    // in flight when the board stopped).
    let disk_frames = t.disk_frames[0].min(t.disk_frames[1]);
    assert!(disk_frames > 1000 && t.replies_in_order[healthy] + 4 >= disk_frames, "D={offset}: replies {t:?}");
    assert!(t.disk_frames[0].abs_diff(t.disk_frames[1]) <= 1, "D={offset}: both disks got every frame {t:?}");
}

#[test]
fn strict_cpu_b_fault_fails_over_to_simplex_a_at_d_0_4_9() {
    for d in [0, 4, 9] {
        strict_fault(d, 'b');
    }
}

#[test]
fn strict_cpu_a_fault_fails_over_to_simplex_b_at_d_0_4_9() {
    for d in [0, 4, 9] {
        strict_fault(d, 'a');
    }
}
