//! A small fault campaign through the Verilator model, half elastic and half strict
//! lockstep: every run is classified, none is a silent failure, the draw is reproducible,
//! and the classes are the ones the faults call for.
use ftio_proto::Mode;
use ftio_sim::campaign::{draw_fault, draw_form, run_campaign, CampaignConfig, Fault, Form, Forms, Outcome};
use ftio_sim::port::{Link, LinkSignal as S};
use ftio_sim::system::Unit;

#[test]
fn small_campaign_has_no_silent_failure_in_either_lockstep_form() {
    let cfg = CampaignConfig { faults: 120, seed: 3, forms: Forms::Both, ..CampaignConfig::default() };
    let offset_max = 1u64 << cfg.params.offset_max_log2;
    let mut seen = 0;
    let r = run_campaign(&cfg, &mut |done, _| seen = done).unwrap();
    assert_eq!(seen, 120);
    assert_eq!(r.runs.len(), 120);
    assert_eq!(r.failures(), 0, "{}", r.text());
    assert_eq!(Outcome::ALL.iter().map(|&o| r.count(o)).sum::<usize>(), 120);
    let (elastic, strict) = (r.runs_in("elastic"), r.runs_in("strict"));
    assert_eq!(elastic + strict, 120);
    assert!(elastic >= 40 && strict >= 40, "{elastic} elastic, {strict} strict runs");
    let mut disk_return_flips = 0;
    let mut halted = 0;
    let mut strict_failovers = [0; 2];
    let mut offsets = std::collections::BTreeSet::new();
    for run in &r.runs {
        assert_eq!(run.form, draw_form(3, run.index, Forms::Both, offset_max), "reproducible form");
        let golden = r.golden_cycles(run.form).expect("a golden run per form drawn");
        assert_eq!(run.fault, draw_fault(3, run.index, run.form.start(), golden), "reproducible draw");
        assert!(run.fault.cycle() > run.form.start(), "strict faults come after the set-up");
        if let Form::Strict { offset } = run.form {
            assert!(offset < offset_max);
            offsets.insert(offset);
        }
        // A flagged run latched irq; a masked (or silent-disk) one never did.
        assert_eq!(run.irq_cycle.is_some(), !matches!(run.outcome, Outcome::Masked | Outcome::DiskSilent), "{}", r.text());
        // A CPU word that differs with good parity cannot be attributed: halt, or masked when
        // the word was not offered in that cycle.
        if let Fault::Diverge { .. } = run.fault {
            assert!(matches!(run.outcome, Outcome::Halted | Outcome::Masked), "{}", r.text());
            halted += (run.outcome == Outcome::Halted) as usize;
        }
        if let Fault::Flip { port: ftio_sim::Port::Link(l, sig), .. } = run.fault {
            // A flip on a CPU's tx link that the core saw is a parity error on that side (par
            // per offered word, cpar every cycle): in either lockstep form, at every D, the
            // core fails over to the other CPU, which completes the whole workload.
            if (l == Link::CpuATx || l == Link::CpuBTx) && sig != S::Ready && run.irq_cycle.is_some() {
                let healthy = if l == Link::CpuATx { Mode::SimplexB } else { Mode::SimplexA };
                assert_eq!((run.mode, run.outcome), (Some(healthy), Outcome::Recovered), "run {}: {}", run.index, r.text());
                if run.form != Form::Elastic {
                    strict_failovers[(l == Link::CpuBTx) as usize] += 1;
                }
            }
            // A parity-covered flip on a disk's return fails that disk and, the other disk
            // being kept in step, loses nothing: the CPUs complete as in the golden run.
            if [S::Cpar, S::Par, S::Data].iter().any(|&s| l.port(sig) == Link::DiskARx.port(s) || l.port(sig) == Link::DiskBRx.port(s)) {
                assert!(matches!(run.outcome, Outcome::Recovered | Outcome::Masked), "{}", r.text());
                disk_return_flips += (run.outcome == Outcome::Recovered) as usize;
            }
        }
    }
    assert!(halted >= 1, "the draw hit a CPU word with a divergence: {halted}");
    assert!(disk_return_flips >= 3, "the draw hit a disk's return words: {disk_return_flips}");
    assert!(strict_failovers[0] >= 1 && strict_failovers[1] >= 1, "strict fail-overs from CPU A / CPU B: {strict_failovers:?}");
    assert!(offsets.len() >= 8, "D values drawn: {offsets:?}");
    let text = r.text();
    assert!(text.contains("silent-corruption") && text.contains("strict: by fault kind"));
    let json = r.json();
    assert!(json.contains("\"silent_failures\": 0") && json.contains("\"totals_by_lockstep\""));
}

#[test]
fn draw_covers_every_kind_of_fault_and_form() {
    let faults: Vec<Fault> = (0..400).map(|i| draw_fault(9, i, 0, 10_000)).collect();
    assert!(faults.iter().any(|f| matches!(f, Fault::Flip { .. })));
    assert!(faults.iter().any(|f| matches!(f, Fault::Diverge { unit: Unit::CpuA, .. })));
    assert!(faults.iter().any(|f| matches!(f, Fault::Diverge { unit: Unit::CpuB, .. })));
    assert!(faults.iter().any(|f| matches!(f, Fault::Stop { unit: Unit::CpuA | Unit::CpuB, .. })));
    assert!(faults.iter().any(|f| matches!(f, Fault::Stop { unit: Unit::DiskB, cycles: None, .. })));
    for l in Link::all() {
        assert!(faults.iter().any(|f| matches!(f, Fault::Flip { port: ftio_sim::Port::Link(x, _), .. } if *x == l)), "{}", l.name());
    }
    assert!(faults.iter().all(|f| (1..10_000).contains(&f.cycle())));
    assert!((0..100).map(|i| draw_fault(9, i, 3_000, 10_000)).all(|f| (3_001..10_000).contains(&f.cycle())));
    // Forms: both kinds, every D of a 16-cycle range, and nothing else.
    let forms: Vec<Form> = (0..400).map(|i| draw_form(9, i, Forms::Both, 16)).collect();
    let strict = forms.iter().filter(|f| f.kind() == "strict").count();
    assert!((150..250).contains(&strict), "{strict} of 400 strict");
    for d in 0..16 {
        assert!(forms.contains(&Form::Strict { offset: d }), "D = {d}");
    }
    assert!(forms.iter().all(|f| f.offset().is_none_or(|d| d < 16)));
    assert!((0..50).all(|i| draw_form(9, i, Forms::Elastic, 16) == Form::Elastic));
    assert!((0..50).all(|i| draw_form(9, i, Forms::Strict, 16) != Form::Elastic));
}
