//! `ftio demo --cpu picorv32` end to end: two PicoRV32 running the firmware of `firmware/`
//! through the Verilator model of the core to two disk models. Every scenario passes its own
//! checks, and the report, images and waveforms say what happened. The core is the default
//! build with a fast UART (8 clocks per bit, as `tests/demo.rs`), so the host's register
//! reads are short; the datapath is cycle for cycle the same.
use ftio_proto::{Cause, Mode};
use ftio_sim::cpu_demo::{fault_word, run_cpu_demo, CpuDemoConfig, CpuScenario, CAPACITY, FAULT_WRITE};
use ftio_sim::firmware::{self, RESULT_PASS};
use ftio_sim::scenario::fast_uart_params;

fn hex(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn picorv32_system_runs_the_firmware_through_every_scenario() {
    let out = std::env::temp_dir().join(format!("ftio-cpu-demo-test-{}", std::process::id()));
    let cfg = CpuDemoConfig { params: fast_uart_params(), offset: 5, ..CpuDemoConfig::default() };
    let report = run_cpu_demo(&cfg, &out, &mut |_, _| {}).unwrap();
    for sc in &report.scenarios {
        assert!(sc.passed(), "{}", sc.text(1, 1));
    }
    let golden = hex(&firmware::golden_sha256(CAPACITY, firmware::WRITES));
    let before = hex(&firmware::golden_sha256(CAPACITY, FAULT_WRITE));
    assert_ne!(golden, before);
    let [duplex, strict, failover, upset, disk] = &report.scenarios[..] else { panic!("five scenarios") };
    let pass = |r: &Option<(u64, u32)>| r.is_some_and(|r| r.1 == RESULT_PASS);
    // Fault-free: both firmwares pass, both disks golden; strict: B exactly D cycles after A.
    for sc in [duplex, strict] {
        assert!(pass(&sc.results[0]) && pass(&sc.results[1]));
        assert!(sc.images.iter().all(|i| i.sha256 == golden));
        assert!(sc.consoles[0].ends_with("PASS: 20 sectors written, read back and checked\n"), "{}", sc.consoles[0]);
    }
    assert_eq!(strict.scenario, CpuScenario::Strict);
    let (a, b) = (strict.results[0].unwrap().0, strict.results[1].unwrap().0);
    assert_eq!(b, a + 5, "strict: CPU B finishes OFFSET cycles after CPU A");
    // Fail-over: CPU B alone finishes, both disks golden.
    assert_eq!((failover.mode, failover.cause), (Some(Mode::SimplexB), Some(Cause::CpuAParity.code())));
    assert!(failover.results[0].is_none() && pass(&failover.results[1]));
    assert!(failover.images.iter().all(|i| i.sha256 == golden));
    // The isolated CPU A ends the frame it was in (the core takes its words and forwards none)
    // and then waits for a completion that never comes.
    let through_fault_write: u64 = (0..=FAULT_WRITE).map(firmware::write_words).sum();
    assert!(fault_word() < through_fault_write);
    assert_eq!(failover.cpu_words[0], through_fault_write);
    assert_eq!(failover.cpu_words[1], 5 * FAULT_WRITE as u64, "CPU A took the completions before the fault write only");
    // Upset in CPU B's RAM: halted, no word of the diverging write on either disk.
    assert_eq!((upset.mode, upset.cause), (Some(Mode::Halted), Some(Cause::Mismatch.code())));
    assert!(upset.images.iter().all(|i| i.sha256 == before));
    assert_eq!(upset.disk_commands, (FAULT_WRITE as usize, FAULT_WRITE as usize));
    // Hung disk: degraded mirror; disk A golden, disk B the writes before.
    assert_eq!(disk.cause, Some(Cause::DiskBTimeout.code()));
    assert!(pass(&disk.results[0]) && pass(&disk.results[1]));
    assert_eq!((disk.images[0].sha256.as_str(), disk.images[1].sha256.as_str()), (golden.as_str(), before.as_str()));
    // A waveform around each fault, with the fault marked.
    for sc in [failover, upset, disk] {
        let (path, first, last) = sc.vcd.as_ref().expect("waveform");
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("fault_injected") && text.contains("cpu_a_tx_data"));
        assert!(*first <= sc.fault_cycle.unwrap() && *last >= sc.irq_cycle.unwrap(), "{first}..{last}");
    }
    let _ = std::fs::remove_dir_all(&out);
}
