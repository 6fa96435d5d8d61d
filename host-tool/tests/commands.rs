//! Every ftctl command against the reference register model.
mod common;
use common::{model, run};
use ftio_proto::{reg, Cause, Mode, Pulse, Request, RegisterModel, Status, MODE_KEEP};
use std::cell::RefCell;
use std::rc::Rc;

fn status_word(fields: &[(&str, u32)]) -> u32 {
    let s = reg("STATUS");
    fields.iter().fold(0, |w, (f, v)| s.f(f).insert(w, *v))
}

#[test]
fn info_decodes_the_identity_registers() {
    let mut t = model();
    let r = run(&mut t, &["info"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("0x4654494F \"FTIO\""), "{}", r.out);
    assert!(r.out.contains("VERSION   0.1.0"));
    assert!(r.out.contains("CLOCK_HZ  100000000 Hz (100 MHz)"));
    assert!(r.out.contains("BAUD      115200"));
    assert!(r.out.contains("skew FIFO depth     64 words"));
    assert!(r.out.contains("frame buffer depth  512 words"));
    assert!(r.out.contains("counter width       32 bits"));
    assert!(r.out.contains("offset max          15 cycles"));
    assert!(r.out.contains("fault injection     built"), "{}", r.out);
    assert!(r.out.contains("BIST                built"));
    assert!(r.out.contains("CTRL.lock clear: configuration writable"));
    assert!(r.out.contains("hardened            no"), "{}", r.out);
    assert!(r.out.contains("pipeline stages     0 (cut-through and detection by t+3)"), "{}", r.out);
    let j = run(&mut t, &["info", "--json"]);
    assert_eq!(j.out.trim(), r#"{"id":"FTIO","version":"0.1.0","version_raw":256,"clock_hz":100000000,"baud":115200,"params_raw":3021998342,"skew_depth":64,"frame_depth":512,"counter_width":32,"offset_max":15,"injection":true,"bist":true,"bist_return":true,"harden":false,"pipeline":0,"locked":false}"#);
}

/// `ftctl lock`, then every command that would change a locked setting is refused by the core
/// (0x05, explained) and changes nothing; clear, counters, primary and disk commands still work.
#[test]
fn lock_refuses_configuration_changes_and_keeps_operation() {
    let mut t = model();
    assert_eq!(run(&mut t, &["set", "lockstep", "strict"]).code, 0);
    let r = run(&mut t, &["lock"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.starts_with("configuration locked until the core's reset"), "{}", r.out);
    assert!(t.model.locked());
    let ctrl = t.model.get("CTRL");
    for args in [
        &["set", "mode", "split"][..],
        &["set", "lockstep", "elastic"],
        &["set", "commit", "store-and-forward"],
        &["set", "policy", "halt"],
        &["set", "read-verify", "on"],
        &["set", "offset", "3"],
        &["set", "timeout", "1000"],
        &["set", "disk-timeout", "1000"],
        &["set", "timeout", "256"], // the value it holds: a locked register takes no write
        &["inject", "--link", "cpu-a", "--kind", "data"],
        &["bist", "run"],
        &["bist", "abort"],
        &["reg", "write", "BIST_SEED", "7"],
    ] {
        let r = run(&mut t, args);
        assert_eq!(r.code, 3, "{args:?}: {} {}", r.out, r.err);
        assert!(r.err.contains("status 0x05 (the configuration is locked (CTRL.lock"), "{args:?}: {}", r.err);
        assert_eq!(r.err.lines().count(), 1, "{}", r.err);
    }
    assert_eq!(t.model.get("CTRL"), ctrl, "nothing written");
    assert_eq!((t.model.get("OFFSET"), t.model.get("TIMEOUT"), t.model.get("INJ_CTRL")), (0, 256, 0));
    assert!(t.model.take_pulses().is_empty());
    for args in [&["clear"][..], &["counters", "--clear"], &["set", "primary", "b"], &["set", "lockstep", "strict"], &["lock"], &["info"]] {
        let r = run(&mut t, args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.err);
    }
    assert!(run(&mut t, &["info"]).out.contains("CTRL.lock set: configuration locked until reset"));
    let fired: Vec<_> = t.model.take_pulses().iter().map(|p| p.field).collect();
    assert_eq!(fired, vec!["fault_clear", "cnt_snapshot", "cnt_clear"]);
}

/// A production build without injection and BIST: `ftctl info` says so, the commands that
/// need them are refused before anything is sent, and a raw write is answered 0x06.
#[test]
fn a_build_without_injection_or_bist_is_explained() {
    let production = ftio_proto::BuildParams { injection: false, bist: false, ..Default::default() };
    let mut t = ftctl::transport::ModelTransport::new(RegisterModel::new(production));
    let r = run(&mut t, &["info"]);
    assert!(r.out.contains("fault injection     left out (a production build, or a board without room for it: its register writes answer 0x06)"), "{}", r.out);
    assert!(r.out.contains("BIST                left out"), "{}", r.out);
    let r = run(&mut t, &["inject", "--link", "cpu-a", "--kind", "data"]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("this core was built without fault injection (PARAMS.injection = 0: a production build, or a board without room for it such as the iCEBreaker)"), "{}", r.err);
    let r = run(&mut t, &["bist", "run"]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("built without BIST (PARAMS.bist = 0"), "{}", r.err);
    let r = run(&mut t, &["reg", "write", "INJ_COUNT", "5"]);
    assert_eq!(r.code, 3);
    assert_eq!(r.err.trim(), "ftctl: the core refused the write to INJ_COUNT: status 0x06 (this build leaves that block out (PARAMS.injection / PARAMS.bist is 0): nothing written)");
    assert!(t.model.take_pulses().is_empty());
}

#[test]
fn info_refuses_a_core_that_is_not_ftio() {
    let mut t = model();
    t.model.poke("ID", 0x1234_5678);
    let r = run(&mut t, &["info"]);
    assert_eq!(r.code, 3);
    assert_eq!(r.out, "");
    assert_eq!(r.err.lines().count(), 1, "{}", r.err);
    assert!(r.err.contains("not an ftio core: ID reads 0x12345678"), "{}", r.err);
    // Every high-level command checks, and writes nothing.
    let r = run(&mut t, &["set", "mode", "split"]);
    assert_eq!(r.code, 3);
    assert_eq!(t.model.get("CTRL"), 0);
}

#[test]
fn info_warns_about_another_register_map_version() {
    let mut t = model();
    t.model.poke("VERSION", 0x00_02_00);
    let r = run(&mut t, &["info"]);
    assert_eq!(r.code, 0);
    assert!(r.err.contains("register map is version 0.2.0, this ftctl knows 0.1.0"), "{}", r.err);
}

#[test]
fn status_healthy_at_power_on() {
    let mut t = model();
    let r = run(&mut t, &["status"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("          Mode : DUPLEX"), "{}", r.out);
    assert!(r.out.contains("         State : active"));
    assert!(r.out.contains("      Lockstep : elastic, timeout 256 cycles (2.560 us)"));
    assert!(r.out.contains("        Commit : cut-through"));
    assert!(r.out.contains("        Policy : auto"));
    assert!(r.out.contains("   Read verify : off"));
    assert!(r.out.contains("  Disk timeout : 4096 cycles (40.960 us)"));
    assert!(r.out.contains("         Fault : none, irq low"));
    assert!(r.out.contains("    CPU A     healthy"));
    assert!(r.out.contains("    CPU B     healthy"));
    assert!(r.out.contains("    Disk A    active sync, primary"));
    assert!(r.out.contains("    Disk B    active sync"));
    assert!(r.out.contains("   Array State : clean\n"), "{}", r.out);
    assert!(r.out.contains("Active Devices : 2"));
}

#[test]
fn status_after_a_fail_over_names_the_faulty_side_and_why() {
    let mut t = model();
    t.model.poke("CTRL", Mode::SimplexA.code() | reg("CTRL").f("lockstep").insert(0, 1));
    t.model.poke("OFFSET", 5);
    t.model.poke(
        "STATUS",
        status_word(&[("mode", Mode::SimplexA.code()), ("cpu_b_failed", 1), ("disk_a_failed", 1), ("cause", Cause::CpuBParity.code()), ("fault", 1)]),
    );
    t.model.poke("FAULTS", 1 << Cause::CpuBParity.code() | 1 << Cause::DiskATimeout.code());
    t.model.poke("SKEW", 3 << 16 | 2);
    let r = run(&mut t, &["status"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Mode : SIMPLEX_A"), "{}", r.out);
    assert!(r.out.contains("State : degraded, fault latched"));
    assert!(r.out.contains("Lockstep : strict, CPU B 5 cycles (50.0 ns) behind CPU A"));
    assert!(r.out.contains("Skew : A 2 words pending, B 3 words pending"));
    assert!(r.out.contains("Fault : latched, irq high"));
    assert!(r.out.contains("First cause : CPU_B_PARITY (2): parity error on CPU B's link"));
    assert!(r.out.contains("Causes seen : CPU_B_PARITY, DISK_A_TIMEOUT"));
    assert!(r.out.contains("    CPU A     healthy"));
    assert!(r.out.contains("    CPU B     FAILED (CPU_B_PARITY)"));
    assert!(r.out.contains("    Disk A    faulty (DISK_A_TIMEOUT)"));
    assert!(r.out.contains("   Array State : clean, degraded\n"), "{}", r.out);
    assert!(r.out.contains("Failed Devices : 1"));
    let j = run(&mut t, &["status", "--json"]);
    assert!(j.out.contains(r#""mode":"SIMPLEX_A""#), "{}", j.out);
    assert!(j.out.contains(r#""cpu_b":{"failed":true,"state":"FAILED (CPU_B_PARITY)","causes":["CPU_B_PARITY"]}"#), "{}", j.out);
    assert!(j.out.contains(r#""irq":true"#));
    // Status writes nothing.
    assert!(t.requests.iter().all(|q| q[1] == ftio_proto::CMD_READ));
}

#[test]
fn status_halted_after_a_mismatch() {
    let mut t = model();
    t.model.poke("CTRL", Mode::Halted.code());
    t.model.poke("STATUS", status_word(&[("mode", 4), ("halted", 1), ("cause", 3), ("fault", 1)]));
    t.model.poke("FAULTS", 1 << 3);
    let r = run(&mut t, &["status"]);
    assert!(r.out.contains("Mode : HALTED"));
    assert!(r.out.contains("State : halted, fault latched"));
    assert!(r.out.contains("First cause : MISMATCH (3)"));
}

#[test]
fn counters_take_one_snapshot_without_touching_the_config() {
    let mut t = model();
    t.model.poke("CTRL", Mode::SimplexB.code() | 1 << 4); // store-and-forward
    t.model.set_counter("WORDS_FWD", 1000);
    t.model.set_counter("MISMATCHES", 2);
    t.model.set_counter("CYCLES", 123_456);
    let r = run(&mut t, &["counters"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("WORDS_FWD                1000"), "{}", r.out);
    assert!(r.out.contains("MISMATCHES                  2"));
    assert!(r.out.contains("CYCLES                 123456"));
    assert_eq!(t.model.take_pulses(), vec![Pulse { register: "CTRL", field: "cnt_snapshot" }]);
    assert_eq!(t.model.get("CTRL"), Mode::SimplexB.code() | 1 << 4, "config and mode kept");
    // The snapshot write carries MODE_KEEP, so it cannot undo a fail-over.
    let writes: Vec<&Vec<u8>> = t.requests.iter().filter(|q| q[1] == ftio_proto::CMD_WRITE).collect();
    assert_eq!(writes.len(), 1);
    let (req, _) = Request::decode(writes[0]).unwrap();
    assert_eq!(reg("CTRL").f("mode").get(req.data[0]), MODE_KEEP);
    assert_eq!(t.model.counter("WORDS_FWD"), 1000, "no clear without --clear");
}

#[test]
fn counters_clear_is_an_atomic_read_and_clear() {
    let mut t = model();
    t.model.set_counter("WORDS_FWD", 77);
    let r = run(&mut t, &["counters", "--clear", "--json"]);
    assert_eq!(r.code, 0);
    assert!(r.out.contains(r#""words_fwd":77"#), "{}", r.out);
    assert_eq!(t.model.counter("WORDS_FWD"), 0);
    assert_eq!(t.model.get("WORDS_FWD"), 77);
}

#[test]
fn counters_watch_shows_rates_from_the_core_cycle_counter() {
    // Each snapshot, the "core" advances 1 000 000 cycles (10 ms at 100 MHz) and forwards 5000
    // words: 500 000 words/s whatever the host's wall clock does.
    let mut t = model().with_hook(|m: &mut RegisterModel| {
        for p in m.take_pulses() {
            if p.field == "cnt_snapshot" {
                let (w, c) = (m.counter("WORDS_FWD"), m.counter("CYCLES"));
                m.set_counter("WORDS_FWD", w + 5000);
                m.set_counter("CYCLES", c + 1_000_000);
            }
        }
    });
    let r = run(&mut t, &["counters", "--watch", "0.001", "--iterations", "3"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let frames: Vec<&str> = r.out.split("\x1b[H\x1b[2J").filter(|s| !s.is_empty()).collect();
    assert_eq!(frames.len(), 3);
    assert!(frames[0].contains("WORDS_FWD") && frames[0].lines().any(|l| l.starts_with("WORDS_FWD") && l.ends_with(" -")));
    let line = frames[2].lines().find(|l| l.starts_with("WORDS_FWD")).unwrap();
    assert!(line.ends_with("500000.0"), "{line}");
    let line = frames[2].lines().find(|l| l.starts_with("MAX_SKEW")).unwrap();
    assert!(line.ends_with(" -"), "no rate for a high-water mark: {line}");
    let j = run(&mut t, &["counters", "--watch", "0", "--iterations", "2", "--json"]);
    let last = j.out.lines().last().unwrap();
    assert!(last.contains(r#""rates_per_s":{"words_fwd":500000"#), "{last}");
}

#[test]
fn set_each_ctrl_field_by_name() {
    let mut t = model();
    let ctrl = reg("CTRL");
    let cases: &[(&str, &str, &str, u32)] = &[
        ("lockstep", "strict", "lockstep", 1),
        ("commit", "store-and-forward", "commit", 1),
        ("policy", "halt", "policy", 1),
        ("read-verify", "on", "read_verify", 1),
        ("primary", "b", "primary", 1),
        ("mode", "split", "mode", 3),
        ("mode", "simplex-b", "mode", 2),
        ("read-verify", "off", "read_verify", 0),
    ];
    for (setting, value, field, want) in cases {
        let r = run(&mut t, &["set", setting, value]);
        assert_eq!(r.code, 0, "{setting} {value}: {}", r.err);
        assert_eq!(ctrl.f(field).get(t.model.get("CTRL")), *want, "{setting} {value}");
    }
    assert_eq!(t.model.get("CTRL"), 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 7);
    let r = run(&mut t, &["set", "lockstep", "elastic"]);
    assert_eq!(r.out.trim(), "lockstep: strict -> elastic");
    assert_eq!(ctrl.f("mode").get(t.model.get("CTRL")), 2, "other fields kept");
    assert!(t.model.take_pulses().is_empty(), "set fires no command bits");
}

#[test]
fn set_a_field_keeps_a_fail_over_that_happened_meanwhile() {
    // The core fails over between ftctl's read of CTRL and its write.
    let mut t = model();
    let reads = Rc::new(RefCell::new(0));
    let r2 = reads.clone();
    t = t.with_hook(move |m: &mut RegisterModel| {
        *r2.borrow_mut() += 1;
        if *r2.borrow() == 2 {
            m.poke("CTRL", Mode::SimplexA.code());
        }
    });
    let r = run(&mut t, &["set", "policy", "halt"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(Mode::from_field(reg("CTRL").f("mode").get(t.model.get("CTRL"))), Mode::SimplexA);
    assert_eq!(reg("CTRL").f("policy").get(t.model.get("CTRL")), 1);
}

#[test]
fn set_registers_and_range_checks() {
    let mut t = model();
    assert_eq!(run(&mut t, &["set", "offset", "15"]).code, 0);
    assert_eq!(t.model.get("OFFSET"), 15);
    let r = run(&mut t, &["set", "offset", "16"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("offset 16 is above this core's maximum 15"), "{}", r.err);
    assert_eq!(t.model.get("OFFSET"), 15);
    assert_eq!(run(&mut t, &["set", "timeout", "0x400"]).code, 0);
    assert_eq!(t.model.get("TIMEOUT"), 1024);
    assert_eq!(run(&mut t, &["set", "disk-timeout", "100000"]).code, 0);
    assert_eq!(t.model.get("DISK_TIMEOUT"), 100_000);
    let r = run(&mut t, &["set", "timeout", "0"]);
    assert_eq!(r.code, 2);
    assert_eq!(t.model.get("TIMEOUT"), 1024);
}

#[test]
fn set_bad_values_list_the_valid_ones_and_send_nothing() {
    let mut t = model();
    for (setting, value, listed) in [
        ("mode", "triplex", "DUPLEX, SIMPLEX_A, SIMPLEX_B, SPLIT, HALTED"),
        ("lockstep", "loose", "elastic, strict"),
        ("commit", "later", "cut-through, store-and-forward"),
        ("policy", "panic", "auto, halt"),
        ("read-verify", "maybe", "on, off"),
        ("primary", "c", "a, b"),
        ("offset", "ten", "not a number"),
    ] {
        let r = run(&mut t, &["set", setting, value]);
        assert_eq!(r.code, 2, "{setting} {value}");
        assert!(r.err.contains(listed), "{}", r.err);
        assert_eq!(r.err.lines().count(), 1);
    }
    assert!(t.requests.is_empty());
}

#[test]
fn clear_fires_fault_clear_only() {
    let mut t = model().with_hook(|m: &mut RegisterModel| {
        let pulses = m.take_pulses();
        if pulses.iter().any(|p| p.field == "fault_clear") {
            m.poke("STATUS", m.get("STATUS") & !(reg("STATUS").f("fault").mask() | reg("STATUS").f("cause").mask()));
            m.poke("FAULTS", 0);
            // keep a record for the test
            m.poke("SCRATCH", pulses.len() as u32);
        }
    });
    t.model.poke("CTRL", Mode::SimplexA.code() | 1 << 6);
    t.model.poke("STATUS", status_word(&[("mode", 1), ("fault", 1), ("cause", 2)]));
    let r = run(&mut t, &["clear"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("faults cleared; mode SIMPLEX_A; fault none"), "{}", r.out);
    assert!(r.out.contains("set mode duplex"));
    assert_eq!(t.model.get("SCRATCH"), 1, "exactly one pulse: fault_clear");
    assert_eq!(t.model.get("CTRL"), Mode::SimplexA.code() | 1 << 6);
}

#[test]
fn capture_decodes_the_first_fault() {
    let mut t = model();
    let r = run(&mut t, &["capture"]);
    assert_eq!(r.out.trim(), "no fault captured since power-on or the last clear");
    t.model.poke("CAP_CAUSE", 3);
    t.model.poke("CAP_CYCLE_LO", 200_000_000);
    t.model.poke("CAP_CYCLE_HI", 1);
    t.model.poke("CAP_WORD", 42);
    t.model.poke("CAP_DATA_A", 0x1234_5678);
    t.model.poke("CAP_DATA_B", 0x1234_5679);
    let f = reg("CAP_FLAGS");
    let flags = [("a_valid", 1), ("a_last", 1), ("a_par", 0xA), ("b_valid", 1), ("b_par", 0x5), ("b_perr", 1)]
        .iter()
        .fold(0, |w, (n, v)| f.f(n).insert(w, *v));
    t.model.poke("CAP_FLAGS", flags);
    let r = run(&mut t, &["capture"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Cause     : MISMATCH (3)"), "{}", r.out);
    assert!(r.out.contains("Cycle     : 4494967296 (44.950 s after power-on)"));
    assert!(r.out.contains("Word pair : 42"));
    assert!(r.out.contains("Side A    : 0x12345678  valid last par=0xA"));
    assert!(r.out.contains("Side B    : 0x12345679  valid perr par=0x5"));
    assert!(r.out.contains("Differ    : 0x00000001 (bit 0)"));
    let j = run(&mut t, &["capture", "--json"]);
    assert!(j.out.contains(r#""cycle":4494967296"#) && j.out.contains(r#""flags_b":{"valid":true,"last":false,"abort":false,"par":5,"perr":true}"#), "{}", j.out);
}

#[test]
fn inject_programs_count_then_arms() {
    let mut t = model();
    let r = run(&mut t, &["inject", "--link", "cpu-b", "--kind", "data", "--bit", "17", "--count", "5"]);
    assert_eq!(r.code, 0, "{}", r.err);
    let i = reg("INJ_CTRL");
    let w = t.model.get("INJ_CTRL");
    assert_eq!(i.f("link").get(w), 1);
    assert_eq!(i.f("kind").get(w), 0);
    assert_eq!(i.f("bit").get(w), 17);
    assert_eq!(i.f("arm").get(w), 1);
    assert_eq!(t.model.get("INJ_COUNT"), 5);
    // INJ_COUNT is written before INJ_CTRL.
    let writes: Vec<u16> = t.requests.iter().filter(|q| q[1] == 2).map(|q| u16::from_be_bytes([q[2], q[3]])).collect();
    assert_eq!(writes, vec![41, 40]);
    assert!(r.out.contains("flip data bit 17 of word 5 (0 = the next) on cpu-b"), "{}", r.out);

    let r = run(&mut t, &["inject", "--link", "disk-a", "--kind", "silence", "--count", "300"]);
    assert_eq!(r.code, 0);
    assert_eq!(i.f("kind").get(t.model.get("INJ_CTRL")), 2);
    assert_eq!(i.f("link").get(t.model.get("INJ_CTRL")), 2);
    assert!(r.out.contains("hold disk-a silent for 300 cycles"));

    for bad in [
        vec!["inject", "--link", "cpu-a", "--kind", "par", "--bit", "4"],
        vec!["inject", "--link", "cpu-a", "--kind", "data", "--bit", "32"],
        vec!["inject", "--link", "cpu-a", "--kind", "silence"],
        vec!["inject", "--link", "cpu-z", "--kind", "data"],
        vec!["inject", "--link", "cpu-a", "--kind", "smoke"],
    ] {
        let n = t.requests.len();
        let r = run(&mut t, &bad);
        assert_eq!(r.code, 2, "{bad:?}");
        assert_eq!(t.requests.len(), n, "nothing sent for {bad:?}");
    }
}

#[test]
fn inject_wait_reports_firing() {
    let mut t = model().with_hook(|m: &mut RegisterModel| {
        let i = reg("INJ_CTRL");
        if i.f("arm").get(m.get("INJ_CTRL")) == 1 {
            m.poke("INJ_CTRL", i.f("arm").insert(m.get("INJ_CTRL"), 0));
            m.poke("INJ_STATUS", 1);
        }
    });
    let r = run(&mut t, &["inject", "--link", "cpu-a", "--kind", "par", "--bit", "2", "--wait", "1"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains(": fired"), "{}", r.out);
}

/// A core whose BIST runs `words_per_poll` words per request (on both paths) and fails on the
/// write path at word `fail_at`.
fn bist_core(words_per_poll: u32, fail_at: Option<u32>) -> ftctl::transport::ModelTransport {
    bist_core_failing(words_per_poll, fail_at, None)
}

/// As [`bist_core`], and fails on the return path at word `ret_fail_at`.
fn bist_core_failing(words_per_poll: u32, fail_at: Option<u32>, ret_fail_at: Option<u32>) -> ftctl::transport::ModelTransport {
    bist_core_of(ftio_proto::BuildParams::default(), words_per_poll, fail_at, ret_fail_at)
}

/// As [`bist_core_failing`], of a core built with `params`.
fn bist_core_of(params: ftio_proto::BuildParams, words_per_poll: u32, fail_at: Option<u32>, ret_fail_at: Option<u32>) -> ftctl::transport::ModelTransport {
    let ret = params.bist_return;
    ftctl::transport::ModelTransport::new(RegisterModel::new(params)).with_hook(move |m: &mut RegisterModel| {
        let st = reg("BIST_STATUS");
        for p in m.take_pulses() {
            if p.register == "BIST_CTRL" && p.field == "start" {
                m.poke("BIST_STATUS", st.f("running").insert(0, 1));
                m.poke("BIST_WORDS", 0);
                m.poke("BIST_ERRORS", 0);
                m.poke("BIST_RET_WORDS", 0);
                m.poke("BIST_RET_ERRORS", 0);
                return;
            }
        }
        if st.f("running").get(m.get("BIST_STATUS")) == 1 {
            let total = m.get("BIST_FRAMES") * m.get("BIST_LEN");
            let words = (m.get("BIST_WORDS") + words_per_poll).min(total);
            m.poke("BIST_WORDS", words);
            m.poke("BIST_RET_WORDS", if ret { words } else { 0 });
            if fail_at.is_some_and(|at| words >= at) {
                m.poke("BIST_ERRORS", 1);
            }
            if ret_fail_at.is_some_and(|at| words >= at) {
                m.poke("BIST_RET_ERRORS", 2);
            }
            if words == total {
                let (write_failed, ret_failed) = (m.get("BIST_ERRORS") != 0, m.get("BIST_RET_ERRORS") != 0);
                let mut w = st.f("done").insert(0, 1);
                w = if write_failed || ret_failed { st.f("fail").insert(w, 1) } else { st.f("pass").insert(w, 1) };
                w = st.f("write_error").insert(w, write_failed as u32);
                w = st.f("return_error").insert(w, ret_failed as u32);
                m.poke("BIST_STATUS", w);
            }
        }
    })
}

#[test]
fn bist_run_pass() {
    let mut t = bist_core(10, None);
    let r = run(&mut t, &["bist", "run", "--frames", "4", "--len", "16", "--skew", "3", "--seed", "0x1234", "--poll-ms", "0"]);
    assert_eq!(r.code, 0, "{} {}", r.out, r.err);
    assert_eq!(
        r.out.trim(),
        "BIST PASS: 64 of 64 words checked on both disks, 0 errors (4 frames x 16 words, skew 3, seed 4660)\n  return path: 64 of 64 words checked on both CPUs, 0 errors"
    );
    assert!(r.err.is_empty(), "{}", r.err);
    assert_eq!([t.model.get("BIST_FRAMES"), t.model.get("BIST_LEN"), t.model.get("BIST_SKEW"), t.model.get("BIST_SEED")], [4, 16, 3, 0x1234]);
}

#[test]
fn bist_run_fail_exits_1() {
    let mut t = bist_core(8, Some(20));
    let r = run(&mut t, &["bist", "run", "--poll-ms", "0", "--json"]);
    assert_eq!(r.code, 1, "{} {}", r.out, r.err);
    assert!(r.out.contains(r#""result":"FAIL""#), "{}", r.out);
    assert!(r.out.contains(r#""errors":1"#));
    assert!(r.out.contains(r#""expected_words":128"#));
}

/// A run that fails on the return path says so, in text and JSON, with its counts.
#[test]
fn bist_run_return_failure_names_the_return_path() {
    let mut t = bist_core_failing(10, None, Some(30));
    let r = run(&mut t, &["bist", "run", "--frames", "4", "--len", "16", "--poll-ms", "0"]);
    assert_eq!(r.code, 1, "{} {}", r.out, r.err);
    assert!(r.out.starts_with("BIST FAIL (return path): 64 of 64 words checked on both disks, 0 errors"), "{}", r.out);
    assert!(r.out.contains("return path: 64 of 64 words checked on both CPUs, 2 errors"), "{}", r.out);
    let mut t = bist_core_failing(10, Some(5), Some(30));
    let r = run(&mut t, &["bist", "run", "--frames", "4", "--len", "16", "--poll-ms", "0", "--json"]);
    assert_eq!(r.code, 1);
    assert!(r.out.contains(r#""return_errors":2"#) && r.out.contains(r#""return_words":64"#), "{}", r.out);
    assert!(r.out.contains(r#""return_error":1"#) && r.out.contains(r#""write_error":1"#), "{}", r.out);
}

/// A core built without the return path's test: `ftctl bist run` says it was not tested, and
/// `ftctl info` says it is not built.
#[test]
fn bist_without_the_return_path_says_so() {
    let params = ftio_proto::BuildParams { bist_return: false, ..Default::default() };
    let mut t = ftctl::transport::ModelTransport::new(RegisterModel::new(params));
    let r = run(&mut t, &["info"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("BIST return path    not built"), "{}", r.out);
    let r = run(&mut t, &["info", "--json"]);
    assert!(r.out.contains(r#""bist_return":false"#), "{}", r.out);
    let mut t = bist_core_of(params, 64, None, None);
    let r = run(&mut t, &["bist", "run", "--frames", "4", "--len", "16", "--poll-ms", "0"]);
    assert_eq!(r.code, 0, "{} {}", r.out, r.err);
    assert!(r.out.contains("\n  return path: not tested (this core is built without it: PARAMS.bist_return = 0)"), "{}", r.out);
    assert!(r.err.is_empty(), "no warning: {}", r.err);
    let mut t = bist_core(64, None);
    let r = run(&mut t, &["info"]);
    assert!(r.out.contains("BIST return path    built"), "{}", r.out);
}

#[test]
fn bist_run_that_never_finishes_is_aborted() {
    let mut t = bist_core(0, None);
    let r = run(&mut t, &["bist", "run", "--poll-ms", "1", "--max-wait", "0.05"]);
    assert_eq!(r.code, 3);
    assert!(r.err.contains("did not finish within 0.05 s (0/128 words checked); aborted it"), "{}", r.err);
}

/// A 16-bit build (the Cu's and the iCEBreaker's): a count it cannot hold is refused before anything is
/// written, and a run longer than its counts says why BIST_WORDS stops.
#[test]
fn counts_beyond_a_narrow_cores_counter_width_are_refused() {
    let narrow = ftio_proto::BuildParams { counter_width: 16, ..Default::default() };
    let mut t = ftctl::transport::ModelTransport::new(RegisterModel::new(narrow));
    let r = run(&mut t, &["bist", "run", "--frames", "70000", "--len", "1"]);
    assert_eq!(r.code, 2, "{} {}", r.out, r.err);
    assert!(r.err.contains("--frames 70000 is out of range for this core: BIST_FRAMES has its 16-bit counter width (at most 65535)"), "{}", r.err);
    let r = run(&mut t, &["inject", "--link", "cpu-a", "--kind", "data", "--bit", "3", "--count", "65536"]);
    assert_eq!(r.code, 2, "{} {}", r.out, r.err);
    assert!(r.err.contains("at most 65535"), "{}", r.err);
    assert!(t.model.take_pulses().is_empty(), "nothing started or armed");
    assert_eq!(t.model.get("BIST_FRAMES"), 16, "nothing written");
}

#[test]
fn bist_refuses_to_start_twice() {
    let mut t = model();
    t.model.poke("BIST_STATUS", 1);
    let r = run(&mut t, &["bist", "run"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("already running"));
    assert!(t.model.take_pulses().is_empty());
}

#[test]
fn reg_read_by_name_address_and_field() {
    let mut t = model();
    t.model.poke("CTRL", 3 | 1 << 3);
    let r = run(&mut t, &["reg", "read", "ctrl"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.starts_with("CTRL (8) = 0x0000000B (11)"), "{}", r.out);
    assert!(r.out.contains("mode               [2:0]    = 3  SPLIT"), "{}", r.out);
    assert!(r.out.contains("lockstep           [3]      = 1  strict"));
    let r = run(&mut t, &["reg", "read", "0x0A", "--count", "2"]);
    assert_eq!(r.out, "TIMEOUT (10) = 0x00000100 (256)\nDISK_TIMEOUT (11) = 0x00001000 (4096)\n");
    let r = run(&mut t, &["reg", "read", "CTRL.mode"]);
    assert_eq!(r.out.trim(), "CTRL.mode [2:0] = 3 (0x3)  SPLIT");
    let r = run(&mut t, &["reg", "read", "0", "--json"]);
    assert_eq!(r.out.trim(), r#"[{"name":"ID","addr":0,"value":1179928911,"fields":{"id":1179928911}}]"#);
    // A range with a hole: the core refuses.
    let r = run(&mut t, &["reg", "read", "12", "--count", "4"]);
    assert_eq!(r.code, 3);
    assert!(r.err.contains("the core refused the read of 4 registers from STATUS: status 0x03"), "{}", r.err);
    let r = run(&mut t, &["reg", "read", "NOPE"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("no register \"NOPE\"; registers are ID, VERSION"));
    let r = run(&mut t, &["reg", "read", "CTRL.nope"]);
    assert!(r.err.contains("fields are mode, lockstep"));
}

#[test]
fn reg_write_checks_access_and_fits() {
    let mut t = model();
    let r = run(&mut t, &["reg", "write", "SCRATCH", "0xCAFEF00D"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(t.model.get("SCRATCH"), 0xCAFE_F00D);
    assert!(r.out.contains("SCRATCH <- 0xCAFEF00D"));
    let r = run(&mut t, &["reg", "write", "ID", "1"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("ID is read-only"));
    // --force sends it; the core refuses with 0x03 and writes nothing.
    let r = run(&mut t, &["reg", "write", "ID", "1", "--force"]);
    assert_eq!(r.code, 3);
    assert!(r.err.contains("status 0x03"), "{}", r.err);
    assert_eq!(t.model.get("ID"), ftio_proto::ID_VALUE);
    let r = run(&mut t, &["reg", "write", "6", "1"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("no register at address 6"));
    // Field write: read-modify-write, MODE_KEEP for CTRL fields other than mode.
    t.model.poke("CTRL", Mode::SimplexB.code());
    assert_eq!(run(&mut t, &["reg", "write", "CTRL.primary", "1"]).code, 0);
    assert_eq!(t.model.get("CTRL"), Mode::SimplexB.code() | 1 << 7);
    let r = run(&mut t, &["reg", "write", "CTRL.mode", "8"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("does not fit CTRL.mode (3 bits, at most 7)"));
    assert_eq!(run(&mut t, &["reg", "write", "CTRL.mode", "0"]).code, 0);
    assert_eq!(t.model.get("CTRL"), 1 << 7);
    assert_eq!(run(&mut t, &["reg", "write", "CTRL.cnt_clear", "1"]).code, 0);
    assert_eq!(t.model.take_pulses(), vec![Pulse { register: "CTRL", field: "cnt_clear" }]);
}

#[test]
fn regs_dump_reads_every_register() {
    let mut t = model();
    t.model.poke("STATUS", status_word(&[("cause", 10), ("fault", 1)]));
    let r = run(&mut t, &["regs", "dump"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(r.out.lines().count(), ftio_proto::REGISTERS.len());
    assert!(r.out.contains("  0 ID              0x4654494F"), "{}", r.out);
    assert!(r.out.contains(" 12 STATUS          0x00010A00 mode=0(DUPLEX) halted=0 cpu_a_failed=0 cpu_b_failed=0 disk_a_failed=0 disk_b_failed=0 cause=10(DISK_DIVERGENCE) fault=1 bist_running=0 disk_a_rebuilding=0 disk_b_rebuilding=0"), "{}", r.out);
    assert!(r.out.contains(" 49 BIST_FRAMES     0x00000010"));
    // One read per run of consecutive addresses.
    assert_eq!(t.requests.len(), 6);
    let j = run(&mut t, &["regs", "dump", "--json"]);
    assert!(j.out.starts_with(r#"[{"name":"ID","addr":0,"value":1179928911"#));
    assert_eq!(j.out.matches(r#""name":"#).count(), ftio_proto::REGISTERS.len());
}

#[test]
fn device_status_errors_are_one_line() {
    let mut t = model();
    // A core that answers every request with "bad count": a protocol mismatch, reported.
    t.fault(ftctl::transport::LinkFault::ReplaceReply(ftio_proto::Response::error(Status::BadCount).encode()));
    let r = run(&mut t, &["info"]);
    assert_eq!(r.code, 3);
    assert_eq!(r.err.trim(), "ftctl: the core refused the read of 6 registers from ID: status 0x04 (bad count (must be 1..=16))");
}

/// `ftctl status` shows the mirror as `mdadm --detail` does while disk B rebuilds.
#[test]
fn status_shows_a_rebuilding_disk_as_mdadm_does() {
    let mut t = model();
    t.model.poke("STATUS", status_word(&[("disk_b_rebuilding", 1)]));
    let r = run(&mut t, &["status"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("   Array State : clean, degraded, recovering\n"), "{}", r.out);
    assert!(r.out.contains("Active Devices : 1"));
    assert!(r.out.contains(" Spare Devices : 1"));
    assert!(r.out.contains("    Disk A    active sync, primary"));
    assert!(r.out.contains("    Disk B    spare rebuilding"));
    assert!(r.out.contains("`ftctl disk done b`"));
    assert!(r.out.contains("State : degraded"));
    let j = run(&mut t, &["status", "--json"]);
    assert!(j.out.contains(r#""disk_b":{"failed":false,"rebuilding":true,"disk_state":"rebuilding","state":"spare rebuilding","primary":false,"causes":[]}"#), "{}", j.out);
    assert!(j.out.contains(r#""array":{"state":"clean, degraded, recovering","active_devices":1,"failed_devices":0,"spare_devices":1}"#), "{}", j.out);
    // Readmitted, not yet joined; and both disks out: FAILED.
    t.model.poke("STATUS", status_word(&[("disk_a_failed", 1), ("disk_b_failed", 1), ("disk_b_rebuilding", 1)]));
    let r = run(&mut t, &["status"]);
    assert!(r.out.contains("    Disk B    spare, readmitted (joins at the next frame boundary)"), "{}", r.out);
    assert!(r.out.contains("    Disk A    faulty"));
    assert!(r.out.contains("   Array State : FAILED (no disk in sync)"), "{}", r.out);
}

/// The core's disk state machine, as far as the register model needs it: readmit_x makes a
/// failed disk rebuilding, rebuilt_x makes a rebuilding one healthy.
fn disk_core() -> ftctl::transport::ModelTransport {
    model().with_hook(|m: &mut RegisterModel| {
        let s = reg("STATUS");
        for p in m.take_pulses() {
            let mut st = m.get("STATUS");
            for l in ["a", "b"] {
                let (f, r) = (s.f(&format!("disk_{l}_failed")), s.f(&format!("disk_{l}_rebuilding")));
                if p.field == format!("readmit_{l}") && f.get(st) == 1 {
                    st = r.insert(f.insert(st, 0), 1);
                }
                if p.field == format!("rebuilt_{l}") && r.get(st) == 1 && f.get(st) == 0 {
                    st = r.insert(st, 0);
                }
            }
            m.poke("STATUS", st);
        }
    })
}

#[test]
fn disk_readmit_then_done() {
    let mut t = disk_core();
    t.model.poke("CTRL", Mode::Duplex.code() | 1 << 6);
    t.model.poke("STATUS", status_word(&[("disk_b_failed", 1)]));
    let r = run(&mut t, &["disk", "readmit", "b"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("disk B: failed -> rebuilding"), "{}", r.out);
    assert!(r.out.contains("then `ftctl disk done b`"), "{}", r.out);
    // One write: CTRL with readmit_b, MODE_KEEP and the settings kept.
    let writes: Vec<_> = t.requests.iter().filter(|q| q[1] == ftio_proto::CMD_WRITE).cloned().collect();
    assert_eq!(writes.len(), 1);
    let req = Request::decode(&writes[0]).unwrap().0;
    let ctrl = reg("CTRL");
    assert_eq!(req.addr, ctrl.addr);
    assert_eq!(ctrl.f("readmit_b").get(req.data[0]), 1);
    assert_eq!(ctrl.f("readmit_a").get(req.data[0]) | ctrl.f("fault_clear").get(req.data[0]), 0);
    assert_eq!(ctrl.f("mode").get(req.data[0]), MODE_KEEP);
    assert_eq!(ctrl.f("read_verify").get(req.data[0]), 1);
    let r = run(&mut t, &["status"]);
    assert!(r.out.contains("    Disk B    spare rebuilding"), "{}", r.out);
    let r = run(&mut t, &["disk", "done", "b", "--json"]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(r.out.trim(), r#"{"disk":"B","before":"rebuilding","state":"healthy"}"#);
    assert_eq!(reg("STATUS").f("disk_b_rebuilding").get(t.model.get("STATUS")), 0);
}

#[test]
fn disk_commands_in_the_wrong_state_send_nothing() {
    let mut t = disk_core();
    let r = run(&mut t, &["disk", "readmit", "a"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("disk A is healthy, not failed: nothing sent"), "{}", r.err);
    let r = run(&mut t, &["disk", "done", "b"]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("disk B is healthy, not rebuilding"), "{}", r.err);
    assert!(t.requests.iter().all(|q| q[1] == ftio_proto::CMD_READ));
    let r = run(&mut t, &["disk", "readmit", "c"]);
    assert_eq!(r.code, 2);
    assert!(t.requests.iter().all(|q| q[1] == ftio_proto::CMD_READ));
}

/// A raw write of a reserved mode: ftctl refuses to send it; forced, the core refuses it
/// (0x03) and ftctl says so.
#[test]
fn raw_write_of_a_reserved_mode_is_refused_by_the_core() {
    let mut t = model();
    let r = run(&mut t, &["reg", "write", "CTRL", "5"]);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("CTRL mode 5 is reserved: the core refuses it"), "{}", r.err);
    assert!(t.requests.iter().all(|q| q[1] == ftio_proto::CMD_READ), "nothing sent");
    let r = run(&mut t, &["reg", "write", "CTRL", "6", "--force"]);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(r.err.contains("0x03"), "{}", r.err);
    assert_eq!(t.model.get("CTRL"), 0);
    let r = run(&mut t, &["set", "mode", "6"]);
    assert_eq!(r.code, 2, "ftctl refuses a mode it does not know: {}", r.err);
}
