//! `ftio build --board ulx3s --top system`: the bitstream with the real system (SPEC §7) —
//! two PicoRV32 with the firmware image in their block RAM, their CPU ports, the generated
//! `ftio_core`, two block-RAM disks, the UART, two consoles and the LEDs — synthesised once
//! (`--synth-only`: place and route and the clock rating are measured by hand, see below), then
//! the netlist that goes into the bitstream simulated gate by gate from power-on: both CPUs run the firmware to its PASS, and the host reads over the UART
//! what `ftctl status` and `ftctl counters` would show; then, as `ftctl inject` and the
//! restart button would on a board, a parity fault on CPU A's link in the firmware's second
//! run: a live fail-over to CPU B, whose firmware passes again.
use ftio_bsp::gate_sim::{simulate_system, SystemRun};
use ftio_bsp::system::{system_board, SystemLed, CONSOLE_BAUD};
use ftio_proto::frame::{Request, Response, Status};
use ftio_proto::reg;
use ftio_sim::firmware;
use std::path::Path;
use std::process::Command;

/// The host's reads after the firmware finished, after a counter snapshot as `ftctl counters`
/// takes one: (register, count).
const READS: [(&str, u8); 4] = [("ID", 1), ("STATUS", 2), ("WORDS_FWD", 10), ("WORDS_RETURNED", 1)];

/// The word of CPU A's link the injected fault hits in the second run, and the data bit: as
/// `ftio demo --cpu picorv32 --scenario failover` (write #4's Data FIS).
const FAULT_WORD: u32 = 1373;
const FAULT_BIT: u32 = 13;

/// After the reads: arm a data-bit flip on CPU A's link at its FAULT_WORD-th word, as
/// `ftctl inject --link cpu-a --kind data --bit 13 --count 1373` does.
fn inject_requests() -> Vec<Request> {
    let ctrl = reg("INJ_CTRL");
    let arm = ctrl.f("arm").insert(ctrl.f("bit").insert(ctrl.f("kind").insert(ctrl.f("link").insert(0, 0), 0), FAULT_BIT), 1);
    vec![Request::write(reg("INJ_COUNT").addr, &[FAULT_WORD]), Request::write(ctrl.addr, &[arm])]
}

/// CTRL with the mode left as it is (MODE_KEEP) and `cnt_snapshot`: the live counters are
/// copied to the registers the host reads.
fn snapshot_request() -> Request {
    let ctrl = reg("CTRL");
    let word = ctrl.f("cnt_snapshot").insert(ctrl.f("mode").insert(0, 7), 1);
    Request::write(ctrl.addr, &[word])
}

/// Runs the system top built in `dir` (netlist, or its sources with `rtl`) and checks what
/// the SPEC and the firmware promise. Returns the run for its numbers.
fn run_and_check(dir: &Path, rtl: bool) -> SystemRun {
    let sys = system_board("ulx3s").unwrap();
    let board = sys.clocked_board().unwrap();
    let mut script = vec![snapshot_request()];
    script.extend(READS.iter().map(|(n, c)| Request::read(reg(n).addr, *c)));
    script.extend(inject_requests());
    let frames: Vec<Vec<u8>> = script.iter().map(Request::encode).collect();
    let after = [Request::read(reg("STATUS").addr, 1), Request::read(reg("CAP_CAUSE").addr, 1)];
    let after_frames: Vec<Vec<u8>> = after.iter().map(Request::encode).collect();
    let bit = ftio_hdl::uart::clocks_per_bit(board.core_hz, 115_200);
    let console_bit = (board.core_hz + CONSOLE_BAUD / 2) / CONSOLE_BAUD;
    let start = std::time::Instant::now();
    let run = simulate_system(&sys, &board, dir, &frames, Some(&after_frames), bit, console_bit as u64, 6_000_000, rtl).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let led = |l: SystemLed| sys.leds.iter().position(|(x, _)| *x == l).unwrap();
    let console_a = String::from_utf8_lossy(&run.console_a).into_owned();
    let console_b = String::from_utf8_lossy(&run.console_b).into_owned();
    println!(
        "{} run: {} cycles in {seconds:.1} s (with Verilator's build); first run: PASS A at cycle {:?}, PASS B at {:?}; \
         restart released at {:?}, irq at {:?}, verdicts at {:?}\nconsole A:\n{console_a}",
        if rtl { "RTL" } else { "gate-level" },
        run.cycles,
        run.lit_at[led(SystemLed::PassA)],
        run.lit_at[led(SystemLed::PassB)],
        run.restarted_at,
        run.lit_at[led(SystemLed::Irq)],
        run.firmware_done_at
    );
    assert_eq!(run.firmware_done_at.len(), 2, "a verdict before and after the restart");
    let restarted = run.restarted_at.expect("the restart button was pressed");
    assert_eq!(run.lit_at[led(SystemLed::Fail)], None, "the FAIL LED lit: a firmware failed, trapped or made a bus error");
    assert!(run.lit_at[led(SystemLed::PassA)].is_some(), "CPU A's firmware did not report PASS");
    assert!(run.lit_at[led(SystemLed::PassB)].is_some(), "CPU B's firmware did not report PASS");
    assert!(run.lit_at[led(SystemLed::Irq)].is_some_and(|c| c > restarted), "irq rose before the injected fault, or never");
    // The firmware's report on both consoles: the first run's whole and the same; then the
    // second run's, which the simulation leaves in the middle (CPU A's stopped by the fail-over).
    let header = "ftio firmware: block-storage self-test, 8 writes then read-back\n";
    let pass_line = "PASS: 20 sectors written, read back and checked\n";
    let first_run = &console_a[..console_a.find(pass_line).map(|i| i + pass_line.len()).unwrap_or(0)];
    assert!(first_run.starts_with(header), "{console_a:?}");
    assert_eq!(first_run.matches(" ok\n").count(), 2 * firmware::WRITES as usize, "{console_a:?}");
    let twice = first_run.repeat(2);
    for (cpu, text) in [("A", &console_a), ("B", &console_b)] {
        assert!(text.len() > first_run.len() && twice.starts_with(text.as_str()), "CPU {cpu}'s console: {text:?}");
    }
    // The end: CPU B passed again, CPU A did not finish, nothing failed, irq lit.
    assert!(run.leds[led(SystemLed::Running)] && run.leds[led(SystemLed::PassB)] && run.leds[led(SystemLed::Irq)]);
    assert!(!run.leds[led(SystemLed::PassA)], "CPU A's firmware finished despite its link's fault");

    // The host's frames in order: each answered OK, the reads with their values.
    let mut rest = &run.received[..];
    let mut replies = Vec::new();
    for req in script.iter().chain(&after) {
        let (resp, used) = Response::decode(rest, req.cmd).unwrap_or_else(|e| panic!("reply to {req:?}: {e:?}; bytes {:02x?}", run.received));
        assert_eq!(resp.status, Status::Ok, "{req:?}");
        assert_eq!(resp.data.len(), if req.cmd == script[0].cmd { 0 } else { req.count as usize }, "{req:?}");
        replies.push(resp.data);
        rest = &rest[used..];
    }
    assert!(rest.is_empty(), "extra bytes {rest:02x?}");
    // After the first run (what `ftctl status` and `ftctl counters` show): DUPLEX, no fault,
    // and the firmware's traffic in the counters.
    let mut values = std::collections::BTreeMap::new();
    for ((name, _), data) in READS.iter().zip(&replies[1..]) {
        for (i, v) in data.iter().enumerate() {
            values.insert(reg(name).addr + i as u16, *v);
        }
    }
    let v = |name: &str| values[&reg(name).addr];
    println!("registers after the first run: {:x?}", values);
    assert_eq!(v("ID"), 0x4654_494F, "ID");
    assert_eq!(v("STATUS") & 7, 0, "STATUS mode: DUPLEX");
    assert_eq!(v("FAULTS"), 0, "FAULTS");
    let words: u64 = (0..firmware::WRITES).map(firmware::write_words).sum::<u64>() + 5 * firmware::WRITES as u64;
    let sectors: u64 = (0..firmware::WRITES).map(|i| firmware::write_sectors(i) as u64).sum();
    // Returned: a completion (5 words) per write; per read one Data FIS (header and the
    // sectors: at most 4, under the disks' 16 a FIS) and a completion.
    let returned = 5 * firmware::WRITES as u64 + firmware::WRITES as u64 * (1 + 5) + 128 * sectors;
    assert_eq!(v("WORDS_FWD") as u64, words, "WORDS_FWD: every word of every command and write");
    assert_eq!(v("FRAMES_FWD"), 3 * firmware::WRITES, "FRAMES_FWD: a command and a Data FIS per write, a command per read");
    assert_eq!(v("WORDS_RETURNED") as u64, returned, "WORDS_RETURNED: completions and read data");
    for n in ["FRAMES_ABORTED", "MISMATCHES", "PERR_CPU_A", "PERR_CPU_B", "PERR_DISK_A", "PERR_DISK_B", "PERR_EGRESS", "TIMEOUTS"] {
        assert_eq!(v(n), 0, "{n}");
    }
    // After the second run with the injected fault: SIMPLEX_B, CPU A failed, the cause.
    let status = replies[script.len()][0];
    let cap_cause = replies[script.len() + 1][0];
    println!("after the fault: STATUS {status:#x}, CAP_CAUSE {cap_cause}");
    let st = reg("STATUS");
    assert_eq!(st.f("mode").get(status), 2, "STATUS mode: SIMPLEX_B");
    assert_eq!(st.f("cpu_a_failed").get(status), 1, "STATUS cpu_a_failed");
    assert_eq!(st.f("cpu_b_failed").get(status), 0, "STATUS cpu_b_failed");
    assert_eq!(st.f("fault").get(status), 1, "STATUS fault (irq)");
    assert_eq!(st.f("cause").get(status), 1, "STATUS cause: CPU_A_PARITY");
    assert_eq!(cap_cause, 1, "CAP_CAUSE: CPU_A_PARITY");
    run
}

/// One synthesis (`ftio build --top system --synth-only`), its netlist run gate by gate
/// (2.46 million cycles; about 25 minutes on the 2-core build machine under load, 8-10 idle:
/// docs/boards.md, "What the gate-level simulation checks"). Place
/// and route is not in the test: nextpnr takes the system top 4-5 CPU minutes, 21 minutes of
/// wall time on the shared 2-core build machine, more than the suite can spend on one test;
/// the clock rating is measured with `ftio build --board ulx3s --top system --seeds N`
/// (docs/boards.md, "The system top"), as every board's is.
#[test]
fn ulx3s_system_netlist_runs_the_firmware_and_fails_over_live() {
    let dir = std::env::temp_dir().join(format!("ftio-test-ulx3s-system-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let start = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_ftio"))
        .args(["build", "--board", "ulx3s", "--top", "system", "--synth-only", "--json", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ftio build failed ({}):\n{stderr}\n{stdout}", out.status);
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    println!("synthesis: {:.0} s\n{}", start.elapsed().as_secs_f64(), serde_json::to_string_pretty(&r).unwrap());
    let params = r["core_params"].as_str().unwrap_or_else(|| panic!("no core_params: {r}"));
    assert!(params.contains("clock_hz=50000000 "), "{params}");
    // Both CPUs' 64 KiB (32 DP16KD each), both disks' 32 KiB and 8 KiB staging (16 + 4 each)
    // and the consoles' buffers (1 each) are in block RAM, beside the core's.
    let cells = &r["synth_cells"];
    assert!(cells["DP16KD"].as_u64().unwrap_or(0) >= 2 * 32 + 2 * 20 + 2, "{cells}");
    assert_eq!(cells["EHXPLLL"], 1, "{cells}");
    run_and_check(&dir, false);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same checks on a directory `ftio build --top system` wrote, by hand: the netlist
/// (`FTIO_SYSTEM_SIM=gate`) or, minutes faster to compile, the top's Verilog sources
/// (`FTIO_SYSTEM_SIM=rtl`, the default) — a development aid for changing the top:
/// `FTIO_SYSTEM_BUILD=DIR cargo test --release --test system_build -- --ignored --nocapture`.
#[test]
#[ignore]
fn system_top_build_dir_runs_the_firmware() {
    let dir = std::env::var_os("FTIO_SYSTEM_BUILD").expect("FTIO_SYSTEM_BUILD=<a directory `ftio build --top system` wrote>");
    let rtl = std::env::var("FTIO_SYSTEM_SIM").map(|s| s != "gate").unwrap_or(true);
    run_and_check(Path::new(&dir), rtl);
}
