//! The commands, written against [`Client`] so they run on a serial port or on the model.
use crate::cli::{BistCmd, Command, DiskCmd, InjectArgs, RegCmd, RegsCmd, Setting};
use crate::client::{Client, CoreInfo};
use crate::error::{Error, EXIT_FAIL};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Map, Value};
use crate::transport::Transport;
use ftio_proto::{
    by_addr, by_name, counters, reg, Access, Cause, Commit, Disk, Field, InjKind, InjLink, Lockstep, Mode, Policy,
    Register, COUNTER_FIRST, COUNTER_LAST, MAX_COUNT, REGISTERS, VERSION_VALUE,
};
use std::io::Write;
use std::time::{Duration, Instant};

/// Where a command prints.
pub struct Ctx<'a> {
    /// JSON output.
    pub json: bool,
    /// Draw progress bars (only on a terminal).
    pub progress: bool,
    /// Results.
    pub out: &'a mut dyn Write,
    /// Warnings and progress.
    pub err: &'a mut dyn Write,
}

macro_rules! outln {
    ($ctx:expr, $($t:tt)*) => { writeln!($ctx.out, $($t)*).map_err(Error::Output)? };
}

/// Runs one command; returns the process exit code (0 or EXIT_FAIL) or an error.
pub fn run_command<T: Transport>(client: &mut Client<T>, cmd: &Command, ctx: &mut Ctx) -> Result<u8, Error> {
    match cmd {
        Command::Info => info(client, ctx),
        Command::Status => status(client, ctx),
        Command::Counters { watch, clear, iterations } => counters_cmd(client, ctx, *watch, *clear, *iterations),
        Command::Set { setting, value } => set(client, ctx, *setting, value),
        Command::Clear => clear(client, ctx),
        Command::Lock => lock(client, ctx),
        Command::Disk { cmd: DiskCmd::Readmit { disk } } => disk_cmd(client, ctx, disk, DiskAction::Readmit),
        Command::Disk { cmd: DiskCmd::Done { disk } } => disk_cmd(client, ctx, disk, DiskAction::Done),
        Command::Capture => capture(client, ctx),
        Command::Inject(a) => inject(client, ctx, a),
        Command::Bist { cmd: BistCmd::Run { frames, len, skew, seed, max_wait, poll_ms } } => {
            let frames = parse_num(frames, "--frames")?;
            let len = parse_num(len, "--len")?;
            let skew = parse_num(skew, "--skew")?;
            let seed = parse_num(seed, "--seed")?;
            bist_run(client, ctx, [frames, len, skew, seed], *max_wait, Duration::from_millis(*poll_ms))
        }
        Command::Bist { cmd: BistCmd::Abort } => {
            client.probe()?;
            client.write_reg("BIST_CTRL", reg("BIST_CTRL").f("abort").insert(0, 1))?;
            let st = client.read_reg("BIST_STATUS")?;
            if ctx.json {
                outln!(ctx, "{}", json!({ "aborted": true, "bist_status": fields_json(reg("BIST_STATUS"), st) }));
            } else {
                outln!(ctx, "self-test abort sent; BIST_STATUS running={}", reg("BIST_STATUS").f("running").get(st));
            }
            Ok(0)
        }
        Command::Reg { cmd: RegCmd::Read { target, count } } => reg_read(client, ctx, target, count),
        Command::Reg { cmd: RegCmd::Write { target, value, force } } => reg_write(client, ctx, target, value, *force),
        Command::Regs { cmd: RegsCmd::Dump } => regs_dump(client, ctx),
    }
}

/// Parses a number: decimal, 0x hex or 0b binary, `_` allowed.
pub fn parse_num(s: &str, what: &str) -> Result<u32, Error> {
    let t = s.trim().replace('_', "");
    let r = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u32::from_str_radix(h, 16)
    } else if let Some(b) = t.strip_prefix("0b") {
        u32::from_str_radix(b, 2)
    } else {
        t.parse::<u32>()
    };
    r.map_err(|_| Error::Usage(format!("{what}: {s:?} is not a number (decimal, 0x hex or 0b binary, 0..=4294967295)")))
}

fn version_text(v: u32) -> String {
    format!("{}.{}.{}", v >> 16 & 0xFF, v >> 8 & 0xFF, v & 0xFF)
}

fn mhz(hz: u32) -> String {
    format!("{} MHz", hz as f64 / 1e6)
}

fn warn_version<T: Transport>(_c: &Client<T>, ctx: &mut Ctx, info: &CoreInfo) -> Result<(), Error> {
    let (core_major, core_minor) = (info.version >> 16, info.version >> 8 & 0xFF);
    let (our_major, our_minor) = (VERSION_VALUE >> 16, VERSION_VALUE >> 8 & 0xFF);
    if core_major != our_major || (our_major == 0 && core_minor != our_minor) {
        writeln!(
            ctx.err,
            "ftctl: warning: the core's register map is version {}, this ftctl knows {}; fields may differ",
            version_text(info.version),
            version_text(VERSION_VALUE)
        )
        .map_err(Error::Output)?;
    }
    Ok(())
}

fn probe<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx) -> Result<CoreInfo, Error> {
    let info = c.probe()?;
    warn_version(c, ctx, &info)?;
    Ok(info)
}

fn info<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx) -> Result<u8, Error> {
    let info = probe(c, ctx)?;
    let p = info.params;
    let params_word = p.params_word();
    let skew_depth = 1u64 << p.skew_depth_log2;
    let frame_depth = 1u64 << p.frame_depth_log2;
    let locked = reg("CTRL").f("lock").get(c.read_reg("CTRL")?) == 1;
    if ctx.json {
        outln!(
            ctx,
            "{}",
            json!({
                "id": "FTIO",
                "version": version_text(info.version),
                "version_raw": info.version,
                "clock_hz": p.clock_hz,
                "baud": p.baud,
                "params_raw": params_word,
                "skew_depth": skew_depth,
                "frame_depth": frame_depth,
                "counter_width": p.counter_width,
                "offset_max": p.offset_max(),
                "injection": p.injection,
                "bist": p.bist,
                "bist_return": p.bist && p.bist_return,
                "harden": p.harden,
                "pipeline": p.pipeline,
                "locked": locked,
            })
        );
        return Ok(0);
    }
    outln!(ctx, "ftio core on {}", c.transport().describe());
    outln!(ctx, "  ID        0x{:08X} \"FTIO\"", ftio_proto::ID_VALUE);
    outln!(ctx, "  VERSION   {} (0x{:06X})", version_text(info.version), info.version);
    outln!(ctx, "  CLOCK_HZ  {} Hz ({})", p.clock_hz, mhz(p.clock_hz));
    outln!(ctx, "  BAUD      {}", p.baud);
    outln!(ctx, "  PARAMS    0x{params_word:08X}");
    outln!(ctx, "    skew FIFO depth     {skew_depth} words per CPU");
    outln!(ctx, "    frame buffer depth  {frame_depth} words (longest store-and-forward frame)");
    outln!(ctx, "    counter width       {} bits", p.counter_width);
    outln!(ctx, "    offset max          {} cycles", p.offset_max());
    let built = |b: bool| if b { "built" } else { "left out (a production build, or a board without room for it: its register writes answer 0x06)" };
    outln!(ctx, "    fault injection     {}", built(p.injection));
    outln!(ctx, "    BIST                {}", built(p.bist));
    if p.bist {
        outln!(
            ctx,
            "    BIST return path    {}",
            if p.bist_return { "built (disk-side generators, checkers on the CPU outputs)" } else { "not built (the self-test leaves the disk inputs alone; BIST_RET_* read 0)" }
        );
    }
    outln!(ctx, "    hardened            {}", if p.harden { "yes (checks its own state: cause INTERNAL)" } else { "no" });
    match p.pipeline {
        0 => outln!(ctx, "    pipeline stages     0 (cut-through and detection by t+3)"),
        n => outln!(ctx, "    pipeline stages     {n} (cut-through and mismatch detection by t+{})", 3 + n as u32),
    }
    outln!(ctx, "  CTRL.lock {}", if locked { "set: configuration locked until reset (changes answer 0x05)" } else { "clear: configuration writable (`ftctl lock` locks it)" });
    Ok(0)
}

fn causes_in(bitmap: u32) -> Vec<Cause> {
    (0..32).filter(|n| bitmap >> n & 1 == 1).filter_map(Cause::from_code).collect()
}

fn cause_list(bitmap: u32) -> String {
    let names: Vec<String> = (1..32).filter(|n| bitmap >> n & 1 == 1).map(Cause::name_of).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

struct Side {
    name: &'static str,
    key: &'static str,
    failed: bool,
    why: Vec<Cause>,
    note: Option<String>,
}

fn status<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx) -> Result<u8, Error> {
    let info = probe(c, ctx)?;
    let v = c.read(reg("CTRL").addr, 7)?; // CTRL OFFSET TIMEOUT DISK_TIMEOUT STATUS FAULTS SKEW
    let (ctrl_w, offset, timeout, disk_timeout, st, faults, skew) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    let ctrl = reg("CTRL");
    let s = reg("STATUS");
    let bit = |name: &str| s.f(name).get(st) == 1;
    let mode = Mode::from_field(s.f("mode").get(st));
    let lockstep = Lockstep::from_code(ctrl.f("lockstep").get(ctrl_w)).unwrap();
    let commit = Commit::from_code(ctrl.f("commit").get(ctrl_w)).unwrap();
    let policy = Policy::from_code(ctrl.f("policy").get(ctrl_w)).unwrap();
    let read_verify = ctrl.f("read_verify").get(ctrl_w) == 1;
    let primary = Disk::from_code(ctrl.f("primary").get(ctrl_w)).unwrap();
    let cause_code = s.f("cause").get(st);
    let fault = bit("fault");
    let seen = causes_in(faults);
    let why = |cs: &[Cause]| seen.iter().copied().filter(|x| cs.contains(x)).collect::<Vec<_>>();
    let isolated = |m: Mode| if mode == m { Some(format!("isolated ({})", mode.name())) } else { None };
    let sides = [
        Side { name: "CPU A", key: "cpu_a", failed: bit("cpu_a_failed"), why: why(&[Cause::CpuAParity, Cause::CpuATimeout]), note: isolated(Mode::SimplexB) },
        Side { name: "CPU B", key: "cpu_b", failed: bit("cpu_b_failed"), why: why(&[Cause::CpuBParity, Cause::CpuBTimeout]), note: isolated(Mode::SimplexA) },
    ];
    let disks = [
        DiskRow::new(Disk::A, st, primary, why(&[Cause::DiskAParity, Cause::DiskATimeout])),
        DiskRow::new(Disk::B, st, primary, why(&[Cause::DiskBParity, Cause::DiskBTimeout])),
    ];
    let array = ArrayState::of(&disks);
    let fill_a = reg("SKEW").f("fill_a").get(skew);
    let fill_b = reg("SKEW").f("fill_b").get(skew);
    let degraded = sides.iter().any(|x| x.failed)
        || disks.iter().any(|d| d.state != DiskState::Healthy)
        || matches!(mode, Mode::SimplexA | Mode::SimplexB);
    let mut state = vec![if mode == Mode::Halted { "halted" } else if degraded { "degraded" } else { "active" }];
    if fault {
        state.push("fault latched");
    }
    if bit("bist_running") {
        state.push("self-test running");
    }
    let side_state = |x: &Side| -> String {
        if x.failed {
            let why: Vec<&str> = x.why.iter().map(|c| c.name()).collect();
            if why.is_empty() { "FAILED".into() } else { format!("FAILED ({})", why.join(", ")) }
        } else if let Some(n) = &x.note {
            if n == "primary" { "healthy, primary".into() } else { n.clone() }
        } else {
            "healthy".into()
        }
    };
    if ctx.json {
        let names = |cs: &[Cause]| cs.iter().map(|c| c.name()).collect::<Vec<_>>();
        let side_json = |x: &Side| json!({ "failed": x.failed, "state": side_state(x), "causes": names(&x.why) });
        let disk_json = |d: &DiskRow| {
            json!({
                "failed": d.state == DiskState::Failed || d.state == DiskState::Readmitted,
                "rebuilding": d.state == DiskState::Rebuilding || d.state == DiskState::Readmitted,
                "disk_state": d.state.name(),
                "state": d.text(),
                "primary": d.primary,
                "causes": names(&d.why),
            })
        };
        let faults_seen: Vec<String> = (1..32).filter(|n| faults >> n & 1 == 1).map(Cause::name_of).collect();
        let j = json!({
            "mode": mode.name(),
            "state": state.join(", "),
            "lockstep": lockstep.name(),
            "offset": offset,
            "commit": commit.name(),
            "policy": policy.name(),
            "read_verify": read_verify,
            "primary": primary.name(),
            "timeout": timeout,
            "disk_timeout": disk_timeout,
            "skew_a": fill_a,
            "skew_b": fill_b,
            "fault": fault,
            "irq": fault,
            "cause": Cause::name_of(cause_code),
            "cause_code": cause_code,
            "faults_seen": faults_seen,
            "bist_running": bit("bist_running"),
            (sides[0].key): side_json(&sides[0]),
            (sides[1].key): side_json(&sides[1]),
            "array": {
                "state": array.text(),
                "active_devices": array.active,
                "failed_devices": array.failed,
                "spare_devices": array.spare,
            },
            (disks[0].key()): disk_json(&disks[0]),
            (disks[1].key()): disk_json(&disks[1]),
        });
        outln!(ctx, "{}", j);
        return Ok(0);
    }
    let cyc = |n: u32| format!("{n} cycles ({})", human_time(n as f64 / info.params.clock_hz as f64));
    outln!(ctx, "ftio core on {}", c.transport().describe());
    outln!(ctx, "          Mode : {}", mode.name());
    outln!(ctx, "         State : {}", state.join(", "));
    match lockstep {
        Lockstep::Strict => outln!(ctx, "      Lockstep : strict, CPU B {} behind CPU A", cyc(offset)),
        Lockstep::Elastic => outln!(ctx, "      Lockstep : elastic, timeout {}", cyc(timeout)),
    }
    outln!(ctx, "        Commit : {}", commit.name());
    outln!(ctx, "        Policy : {}", policy.name());
    outln!(ctx, "   Read verify : {}", if read_verify { "on" } else { "off" });
    outln!(ctx, "  Disk timeout : {}", cyc(disk_timeout));
    outln!(ctx, "          Skew : A {fill_a} words pending, B {fill_b} words pending");
    outln!(ctx, "         Fault : {}", if fault { "latched, irq high (ftctl clear to acknowledge)" } else { "none, irq low" });
    if cause_code != 0 {
        let desc = Cause::from_code(cause_code).map(|c| c.description()).unwrap_or("unknown cause code");
        outln!(ctx, "   First cause : {} ({cause_code}): {desc}", Cause::name_of(cause_code));
    }
    outln!(ctx, "   Causes seen : {}", cause_list(faults));
    outln!(ctx, "");
    outln!(ctx, "    Side      State");
    for x in &sides {
        outln!(ctx, "    {:<9} {}", x.name, side_state(x));
    }
    outln!(ctx, "");
    outln!(ctx, "   Array State : {}", array.text());
    outln!(ctx, "Active Devices : {}", array.active);
    outln!(ctx, "Failed Devices : {}", array.failed);
    outln!(ctx, " Spare Devices : {}", array.spare);
    outln!(ctx, "");
    outln!(ctx, "    Disk      State");
    for d in &disks {
        outln!(ctx, "    {:<9} {}", d.name(), d.text());
    }
    if let Some(d) = disks.iter().find(|d| d.state == DiskState::Rebuilding) {
        outln!(ctx, "");
        outln!(ctx, "Rebuild: copy every sector onto {} through the CPUs (read it from the healthy disk, write it back), then `ftctl disk done {}`.", d.name(), d.disk.name().to_ascii_lowercase());
    }
    Ok(0)
}

/// A disk's state as STATUS gives it (SPEC §4: healthy, failed, rebuilding; a readmitted
/// disk waits for a frame boundary with both bits set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskState {
    /// In sync: takes writes, answers reads if primary, compared with read-verify.
    Healthy,
    /// Out of service until readmitted.
    Failed,
    /// Readmitted; joins at the next frame boundary of the committed stream.
    Readmitted,
    /// Takes every mirrored write; never answers reads.
    Rebuilding,
}

impl DiskState {
    /// From STATUS.
    pub fn of(status: u32, disk: Disk) -> DiskState {
        let s = reg("STATUS");
        let (f, r) = match disk {
            Disk::A => (s.f("disk_a_failed").get(status), s.f("disk_a_rebuilding").get(status)),
            Disk::B => (s.f("disk_b_failed").get(status), s.f("disk_b_rebuilding").get(status)),
        };
        match (f, r) {
            (0, 0) => DiskState::Healthy,
            (1, 0) => DiskState::Failed,
            (1, _) => DiskState::Readmitted,
            _ => DiskState::Rebuilding,
        }
    }

    /// Lower-case name (JSON).
    pub fn name(self) -> &'static str {
        match self {
            DiskState::Healthy => "healthy",
            DiskState::Failed => "failed",
            DiskState::Readmitted => "readmitted",
            DiskState::Rebuilding => "rebuilding",
        }
    }
}

struct DiskRow {
    disk: Disk,
    state: DiskState,
    primary: bool,
    why: Vec<Cause>,
}

impl DiskRow {
    fn new(disk: Disk, status: u32, primary: Disk, why: Vec<Cause>) -> DiskRow {
        let state = DiskState::of(status, disk);
        DiskRow { disk, state, primary: primary == disk, why }
    }
    fn name(&self) -> &'static str {
        match self.disk {
            Disk::A => "Disk A",
            Disk::B => "Disk B",
        }
    }
    fn key(&self) -> &'static str {
        match self.disk {
            Disk::A => "disk_a",
            Disk::B => "disk_b",
        }
    }
    /// As `mdadm --detail` words a member: active sync, spare rebuilding, faulty.
    fn text(&self) -> String {
        let why = || {
            let why: Vec<&str> = self.why.iter().map(|c| c.name()).collect();
            if why.is_empty() { String::new() } else { format!(" ({})", why.join(", ")) }
        };
        match self.state {
            DiskState::Healthy if self.primary => "active sync, primary".into(),
            DiskState::Healthy => "active sync".into(),
            DiskState::Failed => format!("faulty{}", why()),
            DiskState::Readmitted => "spare, readmitted (joins at the next frame boundary)".into(),
            DiskState::Rebuilding => "spare rebuilding".into(),
        }
    }
}

/// The mirror as `mdadm --detail` sums it up.
struct ArrayState {
    active: u32,
    failed: u32,
    spare: u32,
}

impl ArrayState {
    fn of(disks: &[DiskRow]) -> ArrayState {
        let n = |f: &dyn Fn(DiskState) -> bool| disks.iter().filter(|d| f(d.state)).count() as u32;
        ArrayState {
            active: n(&|s| s == DiskState::Healthy),
            failed: n(&|s| s == DiskState::Failed),
            spare: n(&|s| matches!(s, DiskState::Rebuilding | DiskState::Readmitted)),
        }
    }
    /// clean; clean, degraded; clean, degraded, recovering; or FAILED with no disk in sync.
    fn text(&self) -> String {
        if self.active == 0 {
            return "FAILED (no disk in sync)".into();
        }
        let mut t = vec!["clean"];
        if self.active < 2 {
            t.push("degraded");
        }
        if self.spare > 0 {
            t.push("recovering");
        }
        t.join(", ")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DiskAction {
    Readmit,
    Done,
}

fn parse_disk(s: &str) -> Result<Disk, Error> {
    Disk::parse(s).ok_or_else(|| bad_value("disk", s, &["a", "b"]))
}

/// `ftctl disk readmit|done a|b`: checks the disk is in the state the command is for (a
/// readmit of a disk that is not failed, or a done for one that is not rebuilding, is
/// refused and sends nothing), fires the CTRL command bit, and reads the state back.
fn disk_cmd<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx, disk: &str, action: DiskAction) -> Result<u8, Error> {
    let disk = parse_disk(disk)?;
    probe(c, ctx)?;
    let before = DiskState::of(c.read_reg("STATUS")?, disk);
    let letter = disk.name().to_ascii_lowercase();
    let (field, ok) = match action {
        DiskAction::Readmit => (format!("readmit_{letter}"), before == DiskState::Failed),
        DiskAction::Done => (format!("rebuilt_{letter}"), before == DiskState::Rebuilding),
    };
    if !ok {
        let want = if action == DiskAction::Readmit { "failed" } else { "rebuilding" };
        return Err(Error::Usage(format!(
            "disk {} is {}, not {want}: nothing sent{}",
            disk.name(),
            before.name(),
            if before == DiskState::Readmitted { " (it joins at the next frame boundary)" } else { "" }
        )));
    }
    c.ctrl_update(&[(field.as_str(), 1)])?;
    let after = DiskState::of(c.read_reg("STATUS")?, disk);
    if ctx.json {
        outln!(ctx, "{}", json!({ "disk": disk.name(), "before": before.name(), "state": after.name() }));
    } else {
        outln!(ctx, "disk {}: {} -> {}", disk.name(), before.name(), after.name());
        match (action, after) {
            (DiskAction::Readmit, DiskState::Rebuilding | DiskState::Readmitted) => outln!(
                ctx,
                "now copy every sector onto disk {} through the CPUs (read from the healthy disk, write back), then `ftctl disk done {letter}`",
                disk.name()
            ),
            (DiskAction::Done, DiskState::Rebuilding) => {
                outln!(ctx, "(it becomes healthy once both disks' return links are between frames)")
            }
            _ => {}
        }
    }
    Ok(0)
}

fn human_time(secs: f64) -> String {
    if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.3} ms", secs * 1e3)
    } else if secs >= 1e-6 {
        format!("{:.3} us", secs * 1e6)
    } else {
        format!("{:.1} ns", secs * 1e9)
    }
}

fn snapshot<T: Transport>(c: &mut Client<T>, clear: bool) -> Result<Vec<u32>, Error> {
    let mut bits = vec![("cnt_snapshot", 1)];
    if clear {
        bits.push(("cnt_clear", 1));
    }
    c.ctrl_update(&bits)?;
    c.read(COUNTER_FIRST, (COUNTER_LAST - COUNTER_FIRST + 1) as u8)
}

fn counters_cmd<T: Transport>(
    c: &mut Client<T>,
    ctx: &mut Ctx,
    watch: Option<f64>,
    clear: bool,
    iterations: Option<u64>,
) -> Result<u8, Error> {
    let info = probe(c, ctx)?;
    let regs: Vec<&'static Register> = counters().collect();
    let Some(interval) = watch else {
        let v = snapshot(c, clear)?;
        print_counters(ctx, &regs, &v, None, false)?;
        return Ok(0);
    };
    if !(interval.is_finite() && interval >= 0.0) {
        return Err(Error::Usage(format!("--watch {interval}: give a number of seconds")));
    }
    // Event counters stop at 2^counter_width - 1 (a stopped counter shows rate 0); CYCLES is
    // 32 bits of a free-running counter and wraps at 2^32 whatever the width.
    let width = info.params.counter_width.clamp(1, 32) as u32;
    let cycles_idx = regs.iter().position(|r| r.name == "CYCLES").unwrap();
    let wrap_of = |i: usize| if i == cycles_idx || width >= 32 { 1u64 << 32 } else { 1u64 << width };
    let mut prev: Option<(Vec<u32>, Instant)> = None;
    let mut n = 0u64;
    loop {
        let v = snapshot(c, clear && n == 0)?;
        let now = Instant::now();
        let rates = prev.as_ref().map(|(p, t)| {
            let delta = |i: usize| (v[i] as u64 + wrap_of(i) - p[i] as u64) % wrap_of(i);
            let wall = now.duration_since(*t).as_secs_f64();
            // The core's own cycle counter gives the exact interval, unless it may have wrapped.
            let wrap_secs = wrap_of(cycles_idx) as f64 / info.params.clock_hz as f64;
            let dt = if wall < wrap_secs / 2.0 && delta(cycles_idx) > 0 {
                delta(cycles_idx) as f64 / info.params.clock_hz as f64
            } else {
                wall
            };
            (0..v.len()).map(|i| if dt > 0.0 { delta(i) as f64 / dt } else { 0.0 }).collect::<Vec<f64>>()
        });
        print_counters(ctx, &regs, &v, rates.as_deref(), true)?;
        ctx.out.flush().map_err(Error::Output)?;
        n += 1;
        if iterations.is_some_and(|max| n >= max) {
            return Ok(0);
        }
        prev = Some((v, now));
        std::thread::sleep(Duration::from_secs_f64(interval));
    }
}

fn print_counters(ctx: &mut Ctx, regs: &[&'static Register], v: &[u32], rates: Option<&[f64]>, watching: bool) -> Result<(), Error> {
    let has_rate = |r: &Register| r.name != "MAX_SKEW";
    if ctx.json {
        let mut pairs: Map<String, Value> = regs.iter().zip(v).map(|(r, &x)| (r.name.to_ascii_lowercase(), json!(x))).collect();
        if let Some(rates) = rates {
            let rs = regs.iter().zip(rates).filter(|(r, _)| has_rate(r)).map(|(r, &x)| (r.name.to_ascii_lowercase(), json!(x)));
            pairs.insert("rates_per_s".into(), Value::Object(rs.collect()));
        }
        outln!(ctx, "{}", Value::Object(pairs));
        return Ok(());
    }
    if watching {
        // Redraw in place: cursor home, clear screen.
        write!(ctx.out, "\x1b[H\x1b[2J").map_err(Error::Output)?;
    }
    if watching {
        outln!(ctx, "{:<16} {:>12} {:>14}", "counter", "value", "per second");
    } else {
        outln!(ctx, "{:<16} {:>12}", "counter", "value");
    }
    for (i, r) in regs.iter().enumerate() {
        if watching {
            let rate = match rates {
                Some(rs) if has_rate(r) => format!("{:.1}", rs[i]),
                _ => "-".into(),
            };
            outln!(ctx, "{:<16} {:>12} {:>14}", r.name, v[i], rate);
        } else {
            outln!(ctx, "{:<16} {:>12}", r.name, v[i]);
        }
    }
    Ok(())
}

fn parse_bool(s: &str) -> Option<u32> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "1" | "true" | "yes" => Some(1),
        "off" | "0" | "false" | "no" => Some(0),
        _ => None,
    }
}

fn bad_value(what: &str, value: &str, valid: &[&str]) -> Error {
    Error::Usage(format!("bad value {value:?} for {what}: valid values are {}", valid.join(", ")))
}

fn set<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx, setting: Setting, value: &str) -> Result<u8, Error> {
    let ctrl_field = |s: Setting| -> Option<&'static str> {
        Some(match s {
            Setting::Mode => "mode",
            Setting::Lockstep => "lockstep",
            Setting::Commit => "commit",
            Setting::Policy => "policy",
            Setting::ReadVerify => "read_verify",
            Setting::Primary => "primary",
            _ => return None,
        })
    };
    let parsed = parse_setting(setting, value)?;
    let info = probe(c, ctx)?;


    let name = clap::ValueEnum::to_possible_value(&setting).unwrap().get_name().to_string();
    let (before, after) = if let Some(field) = ctrl_field(setting) {
        let ctrl = reg("CTRL");
        let f = ctrl.f(field);
        let old = c.read_reg("CTRL")?;
        c.ctrl_update(&[(field, parsed)])?;
        let now = c.read_reg("CTRL")?;
        (f.get(old), f.get(now))
    } else {
        let (r, min) = match setting {
            Setting::Offset => ("OFFSET", 0),
            Setting::Timeout => ("TIMEOUT", 1),
            _ => ("DISK_TIMEOUT", 1),
        };
        let field = &reg(r).fields[0];
        if parsed < min || parsed > field.max() {
            return Err(Error::Usage(format!("{name} {parsed} is out of range: {min}..={}", field.max())));
        }
        if setting == Setting::Offset && parsed > info.params.offset_max() {
            return Err(Error::Usage(format!(
                "offset {parsed} is above this core's maximum {} (PARAMS.offset_max_log2 = {})",
                info.params.offset_max(),
                info.params.offset_max_log2
            )));
        }
        let old = c.read_reg(r)?;
        c.write_reg(r, parsed)?;
        (old, c.read_reg(r)?)
    };
    let show = |v: u32| -> String {
        match setting {
            Setting::Mode => Mode::from_field(v).name().to_string(),
            Setting::Lockstep => Lockstep::from_code(v).map(|x| x.name()).unwrap_or("?").to_string(),
            Setting::Commit => Commit::from_code(v).map(|x| x.name()).unwrap_or("?").to_string(),
            Setting::Policy => Policy::from_code(v).map(|x| x.name()).unwrap_or("?").to_string(),
            Setting::Primary => Disk::from_code(v).map(|x| x.name()).unwrap_or("?").to_string(),
            Setting::ReadVerify => (if v == 1 { "on" } else { "off" }).to_string(),
            _ => v.to_string(),
        }
    };
    if ctx.json {
        outln!(ctx, "{}", json!({ "setting": &name, "before": show(before), "after": show(after), "requested": show(parsed) }));
    } else {
        outln!(ctx, "{name}: {} -> {}", show(before), show(after));
    }
    if after != parsed {
        writeln!(ctx.err, "ftctl: warning: {name} reads back {} (requested {}): the core changed it", show(after), show(parsed)).map_err(Error::Output)?;
    }
    Ok(0)
}

/// Parses the value of `ftctl set`, without touching the core.
fn parse_setting(setting: Setting, value: &str) -> Result<u32, Error> {
    Ok(match setting {
        Setting::Mode => Mode::parse(value).ok_or_else(|| bad_value("mode", value, &Mode::names()))?.code(),
        Setting::Lockstep => Lockstep::parse(value).ok_or_else(|| bad_value("lockstep", value, &Lockstep::names()))?.code(),
        Setting::Commit => Commit::parse(value).ok_or_else(|| bad_value("commit", value, &Commit::names()))?.code(),
        Setting::Policy => Policy::parse(value).ok_or_else(|| bad_value("policy", value, &Policy::names()))?.code(),
        Setting::Primary => Disk::parse(value).ok_or_else(|| bad_value("primary", value, &["a", "b"]))?.code(),
        Setting::ReadVerify => parse_bool(value).ok_or_else(|| bad_value("read-verify", value, &["on", "off"]))?,
        Setting::Offset | Setting::Timeout | Setting::DiskTimeout => {
            parse_num(value, &format!("{setting:?}").to_ascii_lowercase())?
        }
    })
}

/// Checks the arguments that need no core, so bad input is reported before the port is
/// opened and nothing is sent.
pub fn validate(cmd: &Command) -> Result<(), Error> {
    match cmd {
        Command::Set { setting, value } => parse_setting(*setting, value).map(|_| ()),
        Command::Inject(a) => parse_inject(a).map(|_| ()),
        Command::Bist { cmd: BistCmd::Run { frames, len, skew, seed, .. } } => {
            for (v, n) in [(frames, "--frames"), (len, "--len"), (skew, "--skew"), (seed, "--seed")] {
                parse_num(v, n)?;
            }
            Ok(())
        }
        Command::Reg { cmd: RegCmd::Read { target, count } } => {
            parse_num(count, "--count")?;
            parse_target(target).map(|_| ())
        }
        Command::Reg { cmd: RegCmd::Write { target, value, .. } } => {
            parse_num(value, "value")?;
            parse_target(target).map(|_| ())
        }
        Command::Disk { cmd: DiskCmd::Readmit { disk } | DiskCmd::Done { disk } } => parse_disk(disk).map(|_| ()),
        _ => Ok(()),
    }
}

fn parse_inject(a: &InjectArgs) -> Result<(InjLink, InjKind, u32, u32), Error> {
    let link = InjLink::parse(&a.link).ok_or_else(|| bad_value("--link", &a.link, &InjLink::names()))?;
    let kind = InjKind::parse(&a.kind).ok_or_else(|| bad_value("--kind", &a.kind, &InjKind::names()))?;
    let bit = parse_num(&a.bit, "--bit")?;
    let count = parse_num(&a.count, "--count")?;
    match kind {
        InjKind::Data if bit > 31 => return Err(Error::Usage(format!("--bit {bit}: a data bit is 0..=31"))),
        InjKind::Par if bit > 3 => return Err(Error::Usage(format!("--bit {bit}: a parity bit is 0..=3"))),
        InjKind::Silence if count == 0 => {
            return Err(Error::Usage("--kind silence needs --count N: the cycles to hold the link silent (1 or more)".into()))
        }
        _ => {}
    }
    Ok((link, kind, bit, count))
}

fn clear<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx) -> Result<u8, Error> {
    probe(c, ctx)?;
    c.ctrl_update(&[("fault_clear", 1)])?;
    let st = c.read_reg("STATUS")?;
    let s = reg("STATUS");
    let fault = s.f("fault").get(st) == 1;
    let mode = Mode::from_field(s.f("mode").get(st));
    if ctx.json {
        outln!(ctx, "{}", json!({ "cleared": true, "fault": fault, "mode": mode.name() }));
    } else {
        outln!(ctx, "faults cleared; mode {}; fault {}", mode.name(), if fault { "latched again (a new fault)" } else { "none" });
        if mode != Mode::Duplex {
            outln!(ctx, "(the mode is not changed by clear: `ftctl set mode duplex` after a resync)");
        }
        for disk in [Disk::A, Disk::B] {
            if DiskState::of(st, disk) == DiskState::Failed {
                let l = disk.name().to_ascii_lowercase();
                outln!(ctx, "(disk {} stays failed through a clear: `ftctl disk readmit {l}` to rebuild it)", disk.name());
            }
        }
    }
    Ok(0)
}

fn lock<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx) -> Result<u8, Error> {
    probe(c, ctx)?;
    let was = reg("CTRL").f("lock").get(c.read_reg("CTRL")?) == 1;
    c.ctrl_update(&[("lock", 1)])?;
    let now = reg("CTRL").f("lock").get(c.read_reg("CTRL")?) == 1;
    if !now {
        return Err(Error::Protocol("CTRL.lock reads 0 after writing 1".into()));
    }
    if ctx.json {
        outln!(ctx, "{}", json!({"locked": true, "already": was}));
    } else {
        outln!(ctx, "configuration locked{} until the core's reset", if was { " (it already was)" } else { "" });
        outln!(ctx, "(refused from now on, status 0x05: any write of OFFSET, TIMEOUT, DISK_TIMEOUT, INJ_*, BIST_*; a change of CTRL's mode, lockstep, commit, policy, read-verify)");
    }
    Ok(0)
}

/// Refuses, before anything is sent, a command for a block this core was built without.
fn needs_part(info: &CoreInfo, part: ftio_proto::Part, command: &str) -> Result<(), Error> {
    if info.params.builds(part) {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "this core was built without {} (PARAMS.{} = 0: a production build, or a board without room for it such as the iCEBreaker): `{command}` has nothing to drive, and the core refuses writes of its registers with status 0x06",
        part.name(),
        if part == ftio_proto::Part::Injection { "injection" } else { "bist" }
    )))
}

fn flags_text(prefix: &str, flags: u32) -> (String, Value) {
    let f = |n: &str| reg("CAP_FLAGS").f(&format!("{prefix}_{n}")).get(flags);
    let mut parts = vec![];
    for n in ["valid", "last", "abort", "perr"] {
        if f(n) == 1 {
            parts.push(n.to_string());
        }
    }
    parts.push(format!("par=0x{:X}", f("par")));
    let j = json!({
        "valid": f("valid") == 1,
        "last": f("last") == 1,
        "abort": f("abort") == 1,
        "par": f("par"),
        "perr": f("perr") == 1,
    });
    (parts.join(" "), j)
}

fn capture<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx) -> Result<u8, Error> {
    let info = probe(c, ctx)?;
    let v = c.read(reg("CAP_CAUSE").addr, 7)?;
    let (cause, lo, hi, word, a, b, flags) = (v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
    let cycle = (hi as u64) << 32 | lo as u64;
    let secs = cycle as f64 / info.params.clock_hz as f64;
    let (ta, ja) = flags_text("a", flags);
    let (tb, jb) = flags_text("b", flags);
    if ctx.json {
        outln!(ctx, "{}", json!({
            "captured": cause != 0,
            "cause": Cause::name_of(cause),
            "cause_code": cause,
            "cycle": cycle,
            "seconds": secs,
            "word": word,
            "data_a": a,
            "data_b": b,
            "flags_a": ja,
            "flags_b": jb,
        }));
        return Ok(0);
    }
    if cause == 0 {
        outln!(ctx, "no fault captured since power-on or the last clear");
        return Ok(0);
    }
    let desc = Cause::from_code(cause).map(|c| c.description()).unwrap_or("unknown cause code");
    outln!(ctx, "First fault");
    outln!(ctx, "  Cause     : {} ({cause}): {desc}", Cause::name_of(cause));
    outln!(ctx, "  Cycle     : {cycle} ({} after power-on)", human_time(secs));
    outln!(ctx, "  Word pair : {word}");
    outln!(ctx, "  Side A    : 0x{a:08X}  {ta}");
    outln!(ctx, "  Side B    : 0x{b:08X}  {tb}");
    let diff = a ^ b;
    if diff != 0 {
        let bits: Vec<String> = (0..32).rev().filter(|i| diff >> i & 1 == 1).map(|i| i.to_string()).collect();
        outln!(ctx, "  Differ    : 0x{diff:08X} (bit {})", bits.join(", "));
    }
    Ok(0)
}

fn inject<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx, a: &InjectArgs) -> Result<u8, Error> {
    let (link, kind, bit, count) = parse_inject(a)?;
    let info = probe(c, ctx)?;
    needs_part(&info, ftio_proto::Part::Injection, "ftctl inject")?;
    fits_counter_width(&info, "N", count, "INJ_COUNT")?;
    let r = reg("INJ_CTRL");
    let mut w = r.f("link").insert(0, link.code());
    w = r.f("kind").insert(w, kind.code());
    w = r.f("bit").insert(w, if kind == InjKind::Silence { 0 } else { bit });
    w = r.f("arm").insert(w, 1);
    // INJ_COUNT first: the injection may fire as soon as it is armed.
    c.write_reg("INJ_COUNT", count)?;
    c.write_reg("INJ_CTRL", w)?;
    let what = match kind {
        InjKind::Data => format!("flip data bit {bit} of word {count} (0 = the next) on {}", link.name()),
        InjKind::Par => format!("flip par bit {bit} of word {count} (0 = the next) on {}", link.name()),
        InjKind::Silence => format!("hold {} silent for {count} cycles", link.name()),
    };
    let deadline = a.wait.map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)));
    let st = loop {
        let st = c.read_reg("INJ_STATUS")?;
        let fired = reg("INJ_STATUS").f("fired").get(st) == 1;
        match deadline {
            Some(d) if !fired && Instant::now() < d => std::thread::sleep(Duration::from_millis(20)),
            _ => break st,
        }
    };
    let fired = reg("INJ_STATUS").f("fired").get(st) == 1;
    let armed = reg("INJ_STATUS").f("armed").get(st) == 1;
    if ctx.json {
        outln!(ctx, "{}", json!({ "injection": &what, "armed": armed, "fired": fired }));
    } else {
        outln!(ctx, "injection: {what}: {}", if fired { "fired" } else if armed { "armed, waiting" } else { "not armed" });
    }
    match a.wait {
        Some(w) if !fired => Err(Error::Protocol(format!("the injection did not fire within {w} s (no traffic on the link?)"))),
        _ => Ok(0),
    }
}

/// A value for a counter-wide register must fit this core's counter width (a larger one
/// would lose its upper bits).
fn fits_counter_width(info: &CoreInfo, what: &str, value: u32, register: &str) -> Result<(), Error> {
    let top = info.params.counter_mask();
    if value > top {
        return Err(Error::Usage(format!(
            "{what} {value} is out of range for this core: {register} has its {}-bit counter width (at most {top})",
            info.params.counter_width
        )));
    }
    Ok(())
}

fn bist_run<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx, cfg: [u32; 4], max_wait: f64, poll: Duration) -> Result<u8, Error> {
    let [frames, len, skew, seed] = cfg;
    for (name, v, r) in [("--frames", frames, "BIST_FRAMES"), ("--len", len, "BIST_LEN"), ("--skew", skew, "BIST_SKEW"), ("--seed", seed, "BIST_SEED")] {
        let max = reg(r).fields[0].max();
        if v > max {
            return Err(Error::Usage(format!("{name} {v} is out of range (at most {max})")));
        }
    }
    if frames == 0 || len == 0 {
        return Err(Error::Usage("--frames and --len must be at least 1".into()));
    }
    let info = probe(c, ctx)?;
    needs_part(&info, ftio_proto::Part::Bist, "ftctl bist run")?;
    // BIST_FRAMES keeps the core's counter width, and BIST_WORDS stops at its top.
    fits_counter_width(&info, "--frames", frames, "BIST_FRAMES")?;
    let top = info.params.counter_mask();
    let bs = reg("BIST_STATUS");
    if bs.f("running").get(c.read_reg("BIST_STATUS")?) == 1 {
        return Err(Error::Usage("a self-test is already running (stop it with `ftctl bist abort`)".into()));
    }
    c.write(reg("BIST_FRAMES").addr, &[frames, len, skew, seed])?;
    c.write_reg("BIST_CTRL", reg("BIST_CTRL").f("start").insert(0, 1))?;
    let expected = frames as u64 * len as u64;
    let countable = expected.min(top as u64);
    let started = Instant::now();
    // Drawn by indicatif on the terminal's stderr, ticked at each poll (no thread of its own).
    let bar = if ctx.progress && !ctx.json {
        let style = ProgressStyle::with_template("[{bar:30}] {pos}/{len} words checked, {msg} ({per_sec}, {eta} left)")
            .expect("a valid template")
            .progress_chars("#>.");
        ProgressBar::new(countable).with_style(style)
    } else {
        ProgressBar::hidden()
    };
    // BIST_STATUS, BIST_WORDS, BIST_ERRORS, BIST_RET_WORDS, BIST_RET_ERRORS: one request.
    debug_assert_eq!(reg("BIST_RET_ERRORS").addr, bs.addr + 4);
    let (st, words, errors, ret_words, ret_errors) = loop {
        let v = c.read(bs.addr, 5)?;
        let (st, words, errors, ret_words, ret_errors) = (v[0], v[1], v[2], v[3], v[4]);
        bar.set_position((words as u64).min(countable));
        bar.set_message(format!("{} errors", errors as u64 + ret_errors as u64));
        if bs.f("running").get(st) == 0 {
            break (st, words, errors, ret_words, ret_errors);
        }
        if started.elapsed().as_secs_f64() > max_wait {
            c.write_reg("BIST_CTRL", reg("BIST_CTRL").f("abort").insert(0, 1))?;
            bar.abandon();
            return Err(Error::Protocol(format!(
                "the self-test did not finish within {max_wait} s ({words}/{expected} words checked); aborted it"
            )));
        }
        std::thread::sleep(poll);
    };
    bar.finish();
    let done = bs.f("done").get(st) == 1;
    let ret_built = info.params.bist_return;
    let pass = done && bs.f("pass").get(st) == 1 && bs.f("fail").get(st) == 0 && errors == 0 && ret_errors == 0;
    let verdict = if pass { "PASS" } else { "FAIL" };
    // Why it failed, as BIST_STATUS says it.
    let reasons: Vec<&str> = [("write_error", "write path"), ("return_error", "return path"), ("fault", "a fault latched during the run")]
        .into_iter()
        .filter(|(f, _)| bs.f(f).get(st) == 1)
        .map(|(_, why)| why)
        .collect();
    let why = if pass {
        String::new()
    } else if !done && bs.f("fail").get(st) == 0 {
        " (stopped before completion: aborted, or the core never started it)".into()
    } else if reasons.is_empty() {
        format!(" ({} errors)", errors as u64 + ret_errors as u64)
    } else {
        format!(" ({})", reasons.join(", "))
    };
    if ctx.json {
        outln!(ctx, "{}", json!({
            "result": verdict,
            "words": words,
            "expected_words": expected,
            "errors": errors,
            "return_path_built": ret_built,
            "return_words": ret_words,
            "return_errors": ret_errors,
            "frames": frames,
            "len": len,
            "skew": skew,
            "seed": seed,
            "bist_status": fields_json(bs, st),
            "seconds": started.elapsed().as_secs_f64(),
        }));
    } else {
        outln!(ctx, "BIST {verdict}{why}: {words} of {expected} words checked on both disks, {errors} errors ({frames} frames x {len} words, skew {skew}, seed {seed})");
        if ret_built {
            outln!(ctx, "  return path: {ret_words} of {expected} words checked on both CPUs, {ret_errors} errors");
        } else {
            outln!(ctx, "  return path: not tested (this core is built without it: PARAMS.bist_return = 0)");
        }
        if expected > countable {
            outln!(ctx, "  (BIST_WORDS stops at {top}: this core's counts are {} bits)", info.params.counter_width);
        }
    }
    if pass && (words as u64 != countable || (ret_built && ret_words as u64 != countable)) {
        writeln!(ctx.err, "ftctl: warning: the core reports PASS but checked {words} words (return path {ret_words}), expected {expected}")
            .map_err(Error::Output)?;
    }
    Ok(if pass { 0 } else { EXIT_FAIL })
}

/// A register, or a field of one, or a bare address, as named on the command line.
enum Target {
    Reg(&'static Register),
    Field(&'static Register, &'static Field),
    Addr(u16),
}

fn parse_target(s: &str) -> Result<Target, Error> {
    if let Some((r, f)) = s.split_once('.') {
        let r = by_name(r).ok_or_else(|| unknown_reg(r))?;
        let f = r.fields.iter().find(|x| x.name.eq_ignore_ascii_case(f)).ok_or_else(|| {
            let names: Vec<&str> = r.fields.iter().map(|x| x.name).collect();
            Error::Usage(format!("register {} has no field {f:?}: fields are {}", r.name, names.join(", ")))
        })?;
        return Ok(Target::Field(r, f));
    }
    if let Some(r) = by_name(s) {
        return Ok(Target::Reg(r));
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        let a = parse_num(s, "address")?;
        let a = u16::try_from(a).map_err(|_| Error::Usage(format!("address {a} is above 65535")))?;
        return Ok(match by_addr(a) {
            Some(r) => Target::Reg(r),
            None => Target::Addr(a),
        });
    }
    Err(unknown_reg(s))
}

fn unknown_reg(s: &str) -> Error {
    let names: Vec<&str> = REGISTERS.iter().map(|r| r.name).collect();
    Error::Usage(format!("no register {s:?}; registers are {}", names.join(", ")))
}

/// A field's value with its meaning where the field is an enumeration.
fn meaning(r: &Register, f: &Field, v: u32) -> Option<String> {
    Some(match (r.name, f.name) {
        ("CTRL" | "STATUS", "mode") => Mode::from_field(v).name().to_string(),
        ("CTRL", "lockstep") => Lockstep::from_code(v)?.name().to_string(),
        ("CTRL", "commit") => Commit::from_code(v)?.name().to_string(),
        ("CTRL", "policy") => Policy::from_code(v)?.name().to_string(),
        ("CTRL", "primary") => format!("disk {}", Disk::from_code(v)?.name()),
        ("STATUS", "cause") | ("CAP_CAUSE", "cap_cause") => Cause::name_of(v),
        ("FAULTS", "faults") => cause_list(v),
        ("INJ_CTRL", "link") => InjLink::from_code(v)?.name().to_string(),
        ("INJ_CTRL", "kind") => InjKind::from_code(v).map(|k| k.name()).unwrap_or("reserved").to_string(),
        _ => return None,
    })
}

fn fields_json(r: &Register, v: u32) -> Value {
    Value::Object(r.fields.iter().map(|f| (f.name.to_string(), json!(f.get(v)))).collect())
}

fn reg_json(r: &Register, v: u32) -> Value {
    json!({ "name": r.name, "addr": r.addr, "value": v, "fields": fields_json(r, v) })
}

fn print_reg(ctx: &mut Ctx, r: &Register, v: u32) -> Result<(), Error> {
    outln!(ctx, "{} ({}) = 0x{v:08X} ({v})", r.name, r.addr);
    if r.fields.len() > 1 || meaning(r, &r.fields[0], v).is_some() {
        for f in r.fields {
            let x = f.get(v);
            let m = meaning(r, f, x).map(|m| format!("  {m}")).unwrap_or_default();
            outln!(ctx, "  {:<18} {:<8} = {x}{m}", f.name, f.bits());
        }
    }
    Ok(())
}

fn reg_read<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx, target: &str, count: &str) -> Result<u8, Error> {
    let count = parse_num(count, "--count")?;
    if count == 0 || count > MAX_COUNT as u32 {
        return Err(Error::Usage(format!("--count {count}: 1..={MAX_COUNT} registers per read")));
    }
    let t = parse_target(target)?;
    if let Target::Field(r, f) = t {
        let v = f.get(c.read(r.addr, 1)?[0]);
        if ctx.json {
            outln!(ctx, "{}", json!({ "register": r.name, "field": f.name, "value": v }));
        } else {
            let m = meaning(r, f, v).map(|m| format!("  {m}")).unwrap_or_default();
            outln!(ctx, "{}.{} {} = {v} (0x{v:X}){m}", r.name, f.name, f.bits());
        }
        return Ok(0);
    }
    let addr = match t {
        Target::Reg(r) => r.addr,
        Target::Addr(a) => a,
        Target::Field(..) => unreachable!(),
    };
    if addr as u32 + count > 0x1_0000 {
        return Err(Error::Usage("the range runs past address 65535".into()));
    }
    let v = c.read(addr, count as u8)?;
    let mut items = vec![];
    for (i, &x) in v.iter().enumerate() {
        let a = addr + i as u16;
        match by_addr(a) {
            Some(r) if ctx.json => items.push(reg_json(r, x)),
            Some(r) => print_reg(ctx, r, x)?,
            None if ctx.json => items.push(json!({ "addr": a, "value": x })),
            None => outln!(ctx, "[{a}] = 0x{x:08X} ({x})"),
        }
    }
    if ctx.json {
        outln!(ctx, "{}", Value::Array(items));
    }
    Ok(0)
}

fn reg_write<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx, target: &str, value: &str, force: bool) -> Result<u8, Error> {
    let value = parse_num(value, "value")?;
    let t = parse_target(target)?;
    let (addr, word, r) = match t {
        Target::Field(r, f) => {
            if f.access == Access::RO && !force {
                return Err(Error::Usage(format!("{}.{} is read-only (--force sends it anyway)", r.name, f.name)));
            }
            if value > f.max() {
                return Err(Error::Usage(format!("{value} does not fit {}.{} ({} bits, at most {})", r.name, f.name, f.width, f.max())));
            }
            let old = c.read(r.addr, 1)?[0];
            let mut w = f.insert(old & r.store_mask(), value);
            if r.name == "CTRL" && f.name != "mode" {
                w = r.f("mode").insert(w, ftio_proto::MODE_KEEP);
            }
            (r.addr, w, Some(r))
        }
        Target::Reg(r) => {
            if !r.is_writable() && !force {
                return Err(Error::Usage(format!("{} is read-only (--force sends it anyway; the core answers 0x03)", r.name)));
            }
            (r.addr, value, Some(r))
        }
        Target::Addr(a) => {
            if !force {
                return Err(Error::Usage(format!("no register at address {a} (--force sends it anyway)")));
            }
            (a, value, None)
        }
    };
    if let Some(r) = r {
        if ftio_proto::refused_value(r, word) && !force {
            return Err(Error::Usage(format!(
                "{} mode {} is reserved: the core refuses it (--force sends it anyway; the core answers 0x03)",
                r.name,
                r.f("mode").get(word)
            )));
        }
    }
    c.write(addr, &[word])?;
    let back = c.read(addr, 1).ok().map(|v| v[0]);
    if ctx.json {
        outln!(ctx, "{}", json!({ "addr": addr, "written": word, "readback": back }));
    } else {
        let name = r.map(|r| r.name.to_string()).unwrap_or_else(|| format!("[{addr}]"));
        outln!(ctx, "{name} <- 0x{word:08X}");
        match (back, r) {
            (Some(b), Some(r)) => print_reg(ctx, r, b)?,
            (Some(b), None) => outln!(ctx, "[{addr}] = 0x{b:08X}"),
            _ => {}
        }
    }
    Ok(0)
}

/// Runs of consecutive addresses in the table, at most 16 long.
fn bursts() -> Vec<(u16, u8)> {
    let mut out: Vec<(u16, u8)> = vec![];
    for r in REGISTERS {
        match out.last_mut() {
            Some((start, n)) if *start + *n as u16 == r.addr && *n < MAX_COUNT => *n += 1,
            _ => out.push((r.addr, 1)),
        }
    }
    out
}

fn regs_dump<T: Transport>(c: &mut Client<T>, ctx: &mut Ctx) -> Result<u8, Error> {
    let mut values = vec![];
    for (addr, n) in bursts() {
        let v = c.read(addr, n)?;
        values.extend((0..n as u16).map(|i| (addr + i, v[i as usize])));
    }
    if ctx.json {
        let items = values.iter().map(|&(a, v)| reg_json(by_addr(a).unwrap(), v)).collect();
        outln!(ctx, "{}", Value::Array(items));
        return Ok(0);
    }
    for (a, v) in values {
        let r = by_addr(a).unwrap();
        let fields = if r.fields.len() > 1 || meaning(r, &r.fields[0], v).is_some() {
            let parts: Vec<String> = r
                .fields
                .iter()
                .map(|f| {
                    let x = f.get(v);
                    match meaning(r, f, x) {
                        Some(m) => format!("{}={x}({m})", f.name),
                        None => format!("{}={x}", f.name),
                    }
                })
                .collect();
            parts.join(" ")
        } else {
            String::new()
        };
        outln!(ctx, "{}", format!("{:>3} {:<15} 0x{v:08X} {fields}", a, r.name).trim_end());
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_cover_the_table() {
        let b = bursts();
        let total: usize = b.iter().map(|&(_, n)| n as usize).sum();
        assert_eq!(total, REGISTERS.len());
        assert!(b.iter().all(|&(a, n)| (a..a + n as u16).all(|x| by_addr(x).is_some())));
        assert_eq!(b[0], (0, 6));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_num("0x10", "x").unwrap(), 16);
        assert_eq!(parse_num("1_000", "x").unwrap(), 1000);
        assert_eq!(parse_num("0b101", "x").unwrap(), 5);
        assert!(parse_num("-1", "x").is_err());
        assert!(parse_num("4294967296", "x").is_err());
    }
}
