//! `ftio demo` end to end through the Verilator model: every scenario passes its own checks,
//! and the report, the waveforms and the disk images say what happened. The core is the
//! default build with a fast UART (8 clocks per bit) so the host's register reads take
//! thousands of cycles instead of hundreds of thousands; the datapath is cycle for cycle the
//! same.
use ftio_proto::{Cause, Mode};
use ftio_sim::demo::{demo_workload, run_demo, DemoConfig, DemoKind};
use ftio_sim::models::golden_sha256;
use ftio_sim::models::image::DiskImage;
use ftio_sim::port::{Link, LinkSignal as S, Port};
use ftio_sim::scenario::fast_uart_params;
use ftio_sim::vcd::changes;

fn hex(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn demo_scenarios_pass_and_their_reports_say_why() {
    let out = std::env::temp_dir().join(format!("ftio-demo-test-{}", std::process::id()));
    let cfg = DemoConfig { params: fast_uart_params(), seed: 7, writes: 10, ..DemoConfig::default() };
    let mut calls = 0;
    let report = run_demo(&cfg, &out, &mut |_| calls += 1).unwrap();
    assert!(calls > 3, "progress reported");
    for sc in &report.scenarios {
        assert!(sc.passed(), "{}", sc.text(1, 1));
    }
    let ops = demo_workload(7, 10, cfg.capacity, cfg.max_sectors);
    let golden = hex(&golden_sha256(cfg.capacity, &ops));
    let before = hex(&golden_sha256(cfg.capacity, &ops[..5]));
    let [fo, mm, df, rb] = &report.scenarios[..] else { panic!("four scenarios") };
    assert_eq!(fo.kind, DemoKind::Failover);
    assert_eq!((fo.mode, fo.cause), (Some(Mode::SimplexB), Some(Cause::CpuAParity.code())));
    assert_eq!(mm.mode, Some(Mode::Halted));
    assert_eq!(mm.cause, Some(Cause::Mismatch.code()));
    assert_eq!(df.cause, Some(Cause::DiskBTimeout.code()));
    // Rebuild: disk B failed, replaced blank, readmitted and rebuilt; both disks healthy at
    // the end and both images golden.
    assert_eq!(rb.kind, DemoKind::Rebuild);
    assert_eq!(rb.mode, Some(Mode::Duplex));
    let status = rb.register("STATUS").unwrap();
    for f in ["disk_a_failed", "disk_b_failed", "disk_a_rebuilding", "disk_b_rebuilding", "fault"] {
        assert_eq!(ftio_proto::reg("STATUS").f(f).get(status), 0, "rebuild: STATUS.{f}");
    }
    let timeline: Vec<&str> = rb.timeline.iter().map(|e| e.text.as_str()).collect();
    let at = |what: &str| timeline.iter().position(|t| t.contains(what)).unwrap_or_else(|| panic!("{what} in the rebuild timeline"));
    assert!(at("replaced by a blank one") < at("readmit disk B") && at("readmit disk B") < at("disk B is rebuilding"));
    assert!(at("disk B is rebuilding") < at("every sector copied") && at("every sector copied") < at("disk B is healthy"));
    // The images on disk are the ones hashed, and hold what each scenario says.
    for (sc, a, b) in [(fo, &golden, &golden), (mm, &before, &before), (df, &golden, &before), (rb, &golden, &golden)] {
        for (img, want) in sc.images.iter().zip([a, b]) {
            let file = DiskImage::load(img.file.as_ref().unwrap()).unwrap();
            assert_eq!(&hex(&file.sha256()), want, "{} {}", sc.kind.name(), img.disk);
        }
    }
    // The waveform shows the fault and the core's answer at their cycles (10 ns each at the
    // default clock; this build's 1 MHz clock makes it 1000 ns).
    for sc in &report.scenarios {
        let (path, first, last) = sc.vcd.clone().expect("a waveform");
        let text = std::fs::read_to_string(&path).unwrap();
        let irq = sc.irq_cycle.unwrap();
        assert!(first + cfg.vcd_before <= sc.fault_cycle.unwrap() + 1 && last == irq + cfg.vcd_after, "{first}..{last}");
        assert!(changes(&text, Port::Irq).contains(&(irq * 1000, 1)), "{}", sc.kind.name());
    }
    let text = std::fs::read_to_string(&mm.vcd.as_ref().unwrap().0).unwrap();
    let aborts = changes(&text, Link::DiskATx.port(S::Abort));
    assert!(aborts.iter().any(|&(_, v)| v == 1), "the abort word is in the mismatch waveform");
    let json = serde_json::to_string_pretty(&report.json()).unwrap();
    assert!(json.contains("\"scenario\": \"disk-fault\"") && json.contains("\"passed\": true"));
    assert!(json.contains("\"scenario\": \"rebuild\""));
    assert!(report.text().contains("4/4 scenarios passed"));
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn bad_demo_input_is_refused() {
    assert!(DemoKind::parse("nope").unwrap_err().to_string().contains("failover, mismatch, disk-fault, rebuild"));
    let out = std::env::temp_dir().join("ftio-demo-never-written");
    let cfg = DemoConfig { writes: 1, ..DemoConfig::default() };
    assert!(run_demo(&cfg, &out, &mut |_| {}).unwrap_err().to_string().contains("at least 2 writes"));
    let cfg = DemoConfig { kinds: vec![], ..DemoConfig::default() };
    assert!(run_demo(&cfg, &out, &mut |_| {}).is_err());
    assert!(!out.exists(), "nothing written for bad input");
}
