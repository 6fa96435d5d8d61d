//! A small fault campaign through the Verilator model: every run is classified, none is a
//! silent failure, the draw is reproducible, and the classes are the ones the faults call
//! for.
use ftio_proto::Mode;
use ftio_sim::campaign::{draw_fault, run_campaign, CampaignConfig, Fault, Outcome};
use ftio_sim::port::{Link, LinkSignal as S};
use ftio_sim::system::Unit;

#[test]
fn small_campaign_has_no_silent_failure() {
    let cfg = CampaignConfig { faults: 120, seed: 3, ..CampaignConfig::default() };
    let mut seen = 0;
    let r = run_campaign(&cfg, &mut |done, _| seen = done).unwrap();
    assert_eq!(seen, 120);
    assert_eq!(r.runs.len(), 120);
    assert_eq!(r.failures(), 0, "{}", r.text());
    assert_eq!(Outcome::ALL.iter().map(|&o| r.count(o)).sum::<usize>(), 120);
    let mut disk_return_flips = 0;
    let mut halted = 0;
    for run in &r.runs {
        assert_eq!(run.fault, draw_fault(3, run.index, r.golden_cycles), "reproducible draw");
        // A flagged run latched irq; a masked (or silent-disk) one never did.
        assert_eq!(run.irq_cycle.is_some(), !matches!(run.outcome, Outcome::Masked | Outcome::DiskSilent), "{}", r.text());
        // A parity-covered flip on a CPU link while in DUPLEX isolates that CPU.
        // A CPU word that differs with good parity cannot be attributed: halt, or masked when
        // the word was not taken in that cycle.
        if let Fault::Diverge { .. } = run.fault {
            assert!(matches!(run.outcome, Outcome::Halted | Outcome::Masked), "{}", r.text());
            halted += (run.outcome == Outcome::Halted) as usize;
        }
        if let Fault::Flip { port, .. } = run.fault {
            if port == Link::CpuATx.port(S::Cpar) {
                assert_eq!(run.mode, Some(Mode::SimplexB), "{}", r.text());
            }
            // A parity-covered flip on a disk's return fails that disk and, the other disk
            // being kept in step, loses nothing: the CPUs complete as in the golden run.
            if [S::Cpar, S::Par, S::Data].iter().any(|&s| port == Link::DiskARx.port(s) || port == Link::DiskBRx.port(s)) {
                assert!(matches!(run.outcome, Outcome::Recovered | Outcome::Masked), "{}", r.text());
                disk_return_flips += (run.outcome == Outcome::Recovered) as usize;
            }
        }
    }
    assert!(halted >= 1, "the draw hit a CPU word with a divergence: {halted}");
    assert!(disk_return_flips >= 3, "the draw hit a disk's return words: {disk_return_flips}");
    assert!(r.text().contains("silent-corruption"));
    assert!(r.json().pretty().contains("\"silent_failures\": 0"));
}

#[test]
fn draw_covers_every_kind_of_fault() {
    let faults: Vec<Fault> = (0..400).map(|i| draw_fault(9, i, 10_000)).collect();
    assert!(faults.iter().any(|f| matches!(f, Fault::Flip { .. })));
    assert!(faults.iter().any(|f| matches!(f, Fault::Diverge { unit: Unit::CpuA, .. })));
    assert!(faults.iter().any(|f| matches!(f, Fault::Diverge { unit: Unit::CpuB, .. })));
    assert!(faults.iter().any(|f| matches!(f, Fault::Stop { unit: Unit::CpuA | Unit::CpuB, .. })));
    assert!(faults.iter().any(|f| matches!(f, Fault::Stop { unit: Unit::DiskB, cycles: None, .. })));
    for l in Link::all() {
        assert!(faults.iter().any(|f| matches!(f, Fault::Flip { port: ftio_sim::Port::Link(x, _), .. } if *x == l)), "{}", l.name());
    }
    assert!(faults.iter().all(|f| match f {
        Fault::Flip { cycle, .. } | Fault::Stop { cycle, .. } | Fault::Diverge { cycle, .. } => (1..10_000).contains(cycle),
    }));
}
