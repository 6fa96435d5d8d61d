//! The CPU and disk models against each other with no core between them, and around the
//! core in both simulators.
use ftio_hdl::BuildParams;
use ftio_sim::equivalence::{record, replay, Stimulus};
use ftio_sim::link::{Beat, SourceFault};
use ftio_sim::models::cpu::{CpuConfig, CpuModel, Op};
use ftio_sim::models::disk::{DiskConfig, DiskModel};
use ftio_sim::models::fis::{ERROR_ICRC, ERROR_IDNF, STATUS_ERR};
use ftio_sim::models::image::DiskImage;
use ftio_sim::models::{connect, golden_sha256, random_workload, Endpoint};
use ftio_sim::system::System;
use ftio_sim::{CoreSim, RustHdlCore, VerilatorCore};

const CAPACITY: u64 = 256;

fn pair(cpu: CpuConfig, disk: DiskConfig, ops: &[Op]) -> (CpuModel, DiskModel, u64) {
    let mut c = CpuModel::new(cpu);
    let mut d = DiskModel::new(disk, DiskImage::new(CAPACITY));
    c.queue(ops.iter().cloned());
    let cycles = connect(&mut c, &mut d, 2_000_000, |c, d| c.done() && d.idle());
    (c, d, cycles)
}

fn read_data_matches_written(c: &CpuModel) {
    // Replay the completions in order against a software image: every read returns exactly
    // what the image held at that point.
    let mut img = vec![0u8; CAPACITY as usize * 512];
    let mut reads = 0;
    for comp in &c.completions {
        match &comp.op {
            Op::Write { lba, data } => {
                let at = *lba as usize * 512;
                img[at..at + data.len()].copy_from_slice(data);
            }
            Op::Read { lba, sectors } => {
                let at = *lba as usize * 512;
                assert_eq!(comp.read_data, img[at..at + *sectors as usize * 512], "read at {lba}");
                reads += 1;
            }
        }
    }
    assert!(reads > 10);
}

#[test]
fn write_then_read_back_direct_full_rate() {
    let ops = random_workload(1, 40, CAPACITY, 24);
    let (c, d, cycles) = pair(CpuConfig::default(), DiskConfig::default(), &ops);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    assert_eq!(c.completions.len(), ops.len());
    assert!(c.completions.iter().all(|x| x.status == 0x50 && x.error == 0));
    assert_eq!(d.image.sha256(), golden_sha256(CAPACITY, &ops));
    read_data_matches_written(&c);
    assert!(cycles < 2_000_000);
}

#[test]
fn write_then_read_back_direct_with_gaps_backpressure_and_latency() {
    let ops = random_workload(2, 30, CAPACITY, 40);
    let cpu = CpuConfig { seed: 5, gap: 0.3, stall: 0.35, data_fis_sectors: 3, think: 4, ..Default::default() };
    let disk = DiskConfig { seed: 6, gap: 0.25, stall: 0.4, latency: 17, data_fis_sectors: 5 };
    let (c, d, _) = pair(cpu, disk, &ops);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    assert!(c.rx.errors.is_empty() && d.rx.errors.is_empty(), "link errors");
    assert_eq!(c.completions.len(), ops.len());
    assert_eq!(d.image.sha256(), golden_sha256(CAPACITY, &ops));
    read_data_matches_written(&c);
    // Data FIS sizes as configured: 40-sector writes come in 3-sector FISes (≤ 385 dwords).
    assert!(d.commands.len() == ops.len());
}

#[test]
fn golden_differs_when_the_image_does() {
    let ops = random_workload(3, 10, CAPACITY, 8);
    let (_, mut d, _) = pair(CpuConfig::default(), DiskConfig::default(), &ops);
    assert_eq!(d.image.sha256(), golden_sha256(CAPACITY, &ops));
    let mut s = d.image.read(200);
    s[0] ^= 1;
    d.image.write(200, &s);
    assert_ne!(d.image.sha256(), golden_sha256(CAPACITY, &ops));
}

#[test]
fn out_of_range_command_fails_with_idnf() {
    let ops = vec![Op::Write { lba: CAPACITY - 1, data: vec![1; 1024] }, Op::Read { lba: 0, sectors: 1 }];
    let (c, d, _) = pair(CpuConfig::default(), DiskConfig::default(), &ops);
    assert_eq!(c.completions.len(), 2);
    assert_eq!(c.completions[0].status & STATUS_ERR, STATUS_ERR);
    assert_eq!(c.completions[0].error & ERROR_IDNF, ERROR_IDNF);
    assert_eq!(c.errors.len(), 1, "{:?}", c.errors);
    assert!(c.errors[0].contains("failed"));
    assert_eq!(c.completions[1].status, 0x50);
    assert_eq!(d.image.used(), 0, "nothing written");
    // The disk still got the data FIS of the refused write: it says so rather than hang.
    assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
}

#[test]
fn parity_error_in_write_data_is_reported_and_not_written() {
    let ops = vec![Op::Write { lba: 10, data: vec![0x5A; 512] }, Op::Write { lba: 11, data: vec![0x33; 512] }];
    let mut c = CpuModel::new(CpuConfig::default());
    c.tx.faults.push(SourceFault::FlipData { word: 5 + 1 + 7, bit: 4 }); // 7th data dword of op 1
    let mut d = DiskModel::new(DiskConfig::default(), DiskImage::new(CAPACITY));
    c.queue(ops.clone());
    connect(&mut c, &mut d, 100_000, |c, d| c.done() && d.idle());
    assert_eq!(c.completions.len(), 2);
    assert_eq!(c.completions[0].error & ERROR_ICRC, ERROR_ICRC);
    assert_eq!(c.completions[1].status, 0x50);
    assert_eq!(d.image.read(10), [0; 512], "damaged data is not written");
    assert_eq!(d.image.read(11), [0x33; 512]);
    assert_eq!(d.rx.errors.len(), 1);
}

/// Two CPUs with the same config and work, the second started 7 cycles later, each facing an
/// identical disk: B's link activity is A's shifted by exactly 7 cycles.
#[test]
fn skewed_cpus_behave_identically_shifted() {
    let skew = 7;
    let ops = random_workload(4, 8, CAPACITY, 10);
    let cfg = CpuConfig { seed: 9, gap: 0.2, stall: 0.3, ..Default::default() };
    let dcfg = DiskConfig { seed: 10, gap: 0.1, stall: 0.2, latency: 3, data_fis_sectors: 16 };
    let mut a = CpuModel::new(cfg.clone());
    let mut b = CpuModel::new(CpuConfig { start_delay: skew, ..cfg });
    a.queue(ops.clone());
    b.queue(ops.clone());
    let mut da = DiskModel::new(dcfg.clone(), DiskImage::new(CAPACITY));
    // B's disk sees B's requests `skew` cycles late, so it starts `skew` cycles late too.
    let mut db = DiskModel::new(dcfg, DiskImage::new(CAPACITY));
    let mut trace_a: Vec<Beat> = vec![];
    let mut trace_b: Vec<Beat> = vec![];
    let idle = ftio_sim::models::EndpointPins { tx: Beat::IDLE, rx_ready: (true, false) };
    for cycle in 0..40_000u64 {
        let pa = a.drive();
        let pda = da.drive();
        a.observe(pda.rx_ready, pda.tx);
        da.observe(pa.rx_ready, pa.tx);
        trace_a.push(pa.tx);
        let pb = b.drive();
        let pdb = if cycle < skew { idle } else { db.drive() };
        b.observe(pdb.rx_ready, pdb.tx);
        if cycle >= skew {
            db.observe(pb.rx_ready, pb.tx);
        }
        trace_b.push(pb.tx);
        if a.done() && b.done() && da.idle() && db.idle() {
            break;
        }
    }
    assert!(a.done() && b.done());
    assert!(trace_b[..skew as usize].iter().all(|x| *x == Beat::IDLE));
    assert_eq!(trace_a[..trace_a.len() - skew as usize], trace_b[skew as usize..]);
    assert_eq!(a.completions.len(), b.completions.len());
    for (x, y) in a.completions.iter().zip(&b.completions) {
        assert_eq!((x.issued_at, x.completed_at), (y.issued_at, y.completed_at), "cycles counted from each CPU's start");
    }
    assert_eq!(da.image.sha256(), db.image.sha256());
}

/// Elastic lockstep around the core: both CPUs with the same `ops`, CPU B `skew` cycles
/// behind, gaps and back-pressure on every link, disk latency.
fn lockstep_system(seed: u64, ops: &[Op], skew: u64, capacity: u64) -> System {
    let cpu = CpuConfig { seed: seed + 1, gap: 0.1, stall: 0.2, data_fis_sectors: 4, ..Default::default() };
    let disk = DiskConfig { seed: seed + 3, stall: 0.2, gap: 0.1, latency: 5, data_fis_sectors: 4 };
    System::lockstep(cpu, ops, skew, disk, capacity)
}

/// What DUPLEX must give: both CPUs finished every op with good status and read back what
/// was written, saw identical completions (op, status, data), and both disks hold the golden
/// image.
fn check_duplex(sys: &System, ops: &[Op], capacity: u64) {
    assert!(sys.done());
    for (name, c) in [("A", &sys.cpu_a), ("B", &sys.cpu_b)] {
        assert!(c.errors.is_empty(), "CPU {name}: {:?}", c.errors);
        assert!(c.rx.errors.is_empty(), "CPU {name} link: {:?}", c.rx.errors);
        assert!(c.tx.ready_parity_errors.is_empty());
        assert_eq!(c.completions.len(), ops.len());
    }
    for (x, y) in sys.cpu_a.completions.iter().zip(&sys.cpu_b.completions) {
        assert_eq!((&x.op, x.status, x.error, &x.read_data), (&y.op, y.status, y.error, &y.read_data));
    }
    let golden = golden_sha256(capacity, ops);
    assert_eq!(sys.disk_a.image.sha256(), golden, "disk A");
    assert_eq!(sys.disk_b.image.sha256(), golden, "disk B");
    assert!(sys.disk_a.errors.is_empty() && sys.disk_b.errors.is_empty());
    assert_eq!(sys.disk_a.commands.len(), ops.len(), "disk A executed every command once");
    assert_eq!(sys.disk_b.commands.len(), ops.len(), "disk B too");
}

/// The models through the core in DUPLEX (CPU B 9 cycles behind) in rust-hdl, the same run
/// replayed into Verilator with identical outputs every cycle, and the same system run on
/// Verilator alone reaching the same end state, cycle for cycle.
#[test]
fn models_through_the_core_in_both_simulators() {
    let params = BuildParams::default();
    let ops = random_workload(20, 5, CAPACITY, 6);
    let mut sys = lockstep_system(20, &ops, 9, CAPACITY);
    let mut probe = sys.clone();
    let cycles = probe.run(&mut RustHdlCore::new(&params), 100_000) + 10;
    assert!(cycles < 100_000, "workload finishes");
    let mut golden = RustHdlCore::new(&params);
    let trace = record(&mut golden, &mut sys as &mut dyn Stimulus, cycles);
    check_duplex(&sys, &ops, CAPACITY);
    let mut model = VerilatorCore::new(&params).unwrap();
    if let Err(d) = replay(&trace, &mut model, "rust-hdl") {
        panic!("{d}");
    }
    let mut sys_v = lockstep_system(20, &ops, 9, CAPACITY);
    let mut model = VerilatorCore::new(&params).unwrap();
    let cycles_v = sys_v.run(&mut model, 100_000);
    assert_eq!(cycles_v + 10, cycles);
    check_duplex(&sys_v, &ops, CAPACITY);
    assert!(!model.get_bit(ftio_sim::Port::Irq));
}

/// A longer lockstep workload in Verilator: 120 writes and their read-backs on a 4096-sector
/// disk, CPU B 24 cycles behind, gaps and back-pressure everywhere: both images golden, both
/// CPUs identical, no fault flagged.
#[test]
fn lockstep_system_through_the_core() {
    let capacity = 4096;
    let ops = random_workload(30, 120, capacity, 16);
    let mut sys = lockstep_system(31, &ops, 24, capacity);
    let mut model = VerilatorCore::new(&BuildParams::default()).unwrap();
    let cycles = sys.run(&mut model, 5_000_000);
    assert!(cycles < 5_000_000);
    check_duplex(&sys, &ops, capacity);
    assert!(!model.get_bit(ftio_sim::Port::Irq));
}
