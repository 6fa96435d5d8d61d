//! `FtioCore`: the whole gateware of SPEC §3, with the eight links, the UART and `irq`,
//! composed of blocks of one job each: per input link an [`Ingress`], per output link an
//! [`Egress`], the write path ([`Lockstep`], [`CommitGate`], [`Fabric`]), per disk a
//! [`DiskSide`], the [`FaultLog`] (causes, latch, first-fault capture), the [`Counters`], the
//! [`BistControl`] and the control plane ([`UartBridge`], [`RegFile`], [`CoreConfig`],
//! [`Status`]). `update` wires them, bundle to bundle where a block's ports are one (links,
//! streams, register groups, configuration and event bundles, taps), and holds the little that
//! joins them: each port's parity evidence, and the egress errors registered.
use crate::bist_control::BistControl;
use crate::commit_gate::{CommitGate, GateEvents};
use crate::core_config::CoreConfig;
use crate::counters::Counters;
use crate::disk_side::{DiskConfigDrive, DiskSide, DiskState};
use crate::skid::Skid;
use crate::egress::Egress;
use crate::fabric::{Fabric, FabricConfigDrive};
use crate::fault_log::FaultLog;
use crate::ingress::Ingress;
use crate::inject_control::{InjectControl, InjectDrive};
use crate::link::{LinkRx, LinkTx, StreamTx, WordTap};
use crate::lockstep::{Lockstep, LockstepConfigDrive, LockstepEvents};
use crate::pipeline::{IfBuilt, InputStage};
use crate::regfile::{BistRegs, CapFlagsRegs, CaptureRegs, CounterRegs, CtrlRegs, InjectRegs, RegBus, RegFile, StatusRegs};
use crate::status::Status;
use crate::uart::clocks_per_bit;
use crate::uart_bridge::UartBridge;
use ftio_proto::InjLink;
use rust_hdl::prelude::*;

pub use ftio_proto::BuildParams;

/// Skew FIFO depth (log2) of the core the rust-hdl simulator runs; `core_verilog` builds
/// any supported depth.
pub const DEFAULT_SW: usize = 6;
/// Strict-offset range (log2) of the default core.
pub const DEFAULT_OW: usize = 4;

/// The core with the default build parameters.
pub type FtioCore = Core<DEFAULT_SW, DEFAULT_OW>;

/// The core. Port names follow SPEC §3; the generated Verilog flattens `cpu_a_tx$data` to
/// `cpu_a_tx_data` (see [`crate::verilog`]). `SW`: log2 of every stream buffer's depth
/// (skew FIFOs, disk and return buffers). `OW`: log2 of the strict-offset range. The
/// store-and-forward frame buffer's depth is a run-time build parameter
/// (`BuildParams::frame_depth_log2`), not a type parameter, so it does not multiply the
/// instances `core_verilog` dispatches over.
///
/// Path of a write: port → [`Ingress`] → [`Lockstep`] (skew FIFOs, comparator, commit,
/// modes) → [`CommitGate`] (cut-through pass-through or store-and-forward frame buffer) →
/// [`Fabric`] (per-disk buffers, mirroring) → [`Egress`] → disk port. Returns:
/// disk port → ingress → fabric (primary select, read-verify, per-CPU buffers, strict
/// replica) → egress → CPU port.
#[derive(LogicBlock)]
pub struct Core<const SW: usize, const OW: usize> {
    /// Core clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, active high (power-on state also comes from initial values).
    pub reset: Signal<In, Bit>,
    /// CPU A → core: storage commands and write data.
    pub cpu_a_tx: LinkRx,
    /// CPU B → core.
    pub cpu_b_tx: LinkRx,
    /// Core → CPU A: completions and read data.
    pub cpu_a_rx: LinkTx,
    /// Core → CPU B.
    pub cpu_b_rx: LinkTx,
    /// Core → SATA controller A: commands and write data.
    pub disk_a_tx: LinkTx,
    /// Core → SATA controller B.
    pub disk_b_tx: LinkTx,
    /// SATA controller A → core: completions and read data.
    pub disk_a_rx: LinkRx,
    /// SATA controller B → core.
    pub disk_b_rx: LinkRx,
    /// UART receive (8N1, idle high).
    pub uart_rx: Signal<In, Bit>,
    /// UART transmit (8N1, idle high).
    pub uart_tx: Signal<Out, Bit>,
    /// High while any unacknowledged fault is latched.
    pub irq: Signal<Out, Bit>,
    in_cpu_a: Ingress,
    in_cpu_b: Ingress,
    in_disk_a: Ingress,
    in_disk_b: Ingress,
    /// Each disk ingress's checked words into its side through a skid buffer: the disk's
    /// `ready` is a flop, so the fabric's return select → `ready` path ends there (issue 26).
    skid_disk_a: Skid,
    skid_disk_b: Skid,
    /// The pipelined build (`--pipeline 1`): each CPU link's checked word through a
    /// registered stage before the lockstep (SPEC §4 "Pipelining"); not in the default build.
    stage_cpu_a: IfBuilt<InputStage>,
    stage_cpu_b: IfBuilt<InputStage>,
    /// Each disk link's checked word through a registered stage before its skid, in the builds
    /// with `BuildParams::disk_stage` (the default; the ECP5 boards', not the iCE40's: docs/boards.md
    /// "The disk links' input stage"): the BIST's disk-input select, the injector and the
    /// parity check end at its flops, so the return path (no cycle figure in SPEC §4) starts
    /// at them (issue 26). A return word reaches its CPU a cycle later; the disk's parity
    /// evidence does not wait for it.
    stage_disk_a: IfBuilt<InputStage>,
    stage_disk_b: IfBuilt<InputStage>,
    /// The disk stages' shadow checks (hardened build), low where they are not built.
    disk_stage_error: Signal<Local, Bit>,
    /// INJ_CTRL for the four ingresses' injectors, their shared N counter, INJ_STATUS.
    inj: InjectControl,
    /// The lockstep write path and the mode state machine.
    pub lockstep: Lockstep<SW, OW>,
    /// The commit gate (CTRL.commit: cut-through or store-and-forward).
    pub gate: CommitGate,
    /// The switching fabric.
    pub fabric: Fabric<SW, OW>,
    out_disk_a: Egress,
    out_disk_b: Egress,
    out_cpu_a: Egress,
    out_cpu_b: Egress,
    /// Disk A's side: health, frames on its links, its returns while rebuilding.
    pub disk_a: DiskSide,
    /// Disk B's side.
    pub disk_b: DiskSide,
    /// The fault causes, their latch and the first-fault capture; the hardened build's stop.
    pub fault_log: FaultLog,
    /// The statistics counters and MAX_SKEW.
    pub counters: Counters,
    /// The built-in self-test.
    pub bist: BistControl,
    /// UART, command parser.
    bridge: UartBridge,
    /// The register file (SPEC §5).
    pub regs: RegFile,
    /// STATUS, FAULTS, SKEW, CYCLES.
    status: Status,
    /// CTRL and OFFSET as the core applies them (registered), the halt policy's mode
    /// command, and their shadow check in the hardened build.
    pub cfg: CoreConfig,
    /// Parity evidence on each port's links this cycle: its words in, and `rpar` of its
    /// return link.
    link_error_cpu_a: Signal<Local, Bit>,
    link_error_cpu_b: Signal<Local, Bit>,
    link_error_disk_a: Signal<Local, Bit>,
    link_error_disk_b: Signal<Local, Bit>,
    /// Any egress parity error, registered: the four 32-bit parity checks at the ports stay
    /// off the fault log's capture enables (an internal fault is seen a cycle later).
    egress_q: DFF<Bit>,
}

impl<const SW: usize, const OW: usize> Core<SW, OW> {
    /// A core built with `params`; its buffer sizes must be the type's (`SW`, `OW`).
    pub fn new(params: &BuildParams) -> Self {
        params.validate().expect("invalid core parameters");
        assert_eq!(params.skew_depth_log2 as usize, SW, "skew depth does not match the core type");
        assert_eq!(params.offset_max_log2 as usize, OW, "offset range does not match the core type");
        let cpb = clocks_per_bit(params.clock_hz, params.baud);
        Self {
            clock: Default::default(),
            reset: Default::default(),
            cpu_a_tx: Default::default(),
            cpu_b_tx: Default::default(),
            cpu_a_rx: Default::default(),
            cpu_b_rx: Default::default(),
            disk_a_tx: Default::default(),
            disk_b_tx: Default::default(),
            disk_a_rx: Default::default(),
            disk_b_rx: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            irq: Default::default(),
            in_cpu_a: Ingress::for_build(InjLink::CpuA, params),
            in_cpu_b: Ingress::for_build(InjLink::CpuB, params),
            in_disk_a: Ingress::for_build(InjLink::DiskA, params),
            in_disk_b: Ingress::for_build(InjLink::DiskB, params),
            skid_disk_a: Skid::hardened(params.harden),
            skid_disk_b: Skid::hardened(params.harden),
            stage_cpu_a: IfBuilt::new(params.pipeline >= 1, || InputStage::hardened(params.harden)),
            stage_cpu_b: IfBuilt::new(params.pipeline >= 1, || InputStage::hardened(params.harden)),
            stage_disk_a: IfBuilt::new(params.disk_stage, || InputStage::hardened(params.harden)),
            stage_disk_b: IfBuilt::new(params.disk_stage, || InputStage::hardened(params.harden)),
            disk_stage_error: Default::default(),
            inj: InjectControl::new(params.counter_width),
            lockstep: Lockstep::hardened(params.harden),
            gate: CommitGate::new(params.frame_depth_log2 as usize),
            fabric: Fabric::hardened(params.harden),
            out_disk_a: Default::default(),
            out_disk_b: Default::default(),
            out_cpu_a: Default::default(),
            out_cpu_b: Default::default(),
            disk_a: Default::default(),
            disk_b: Default::default(),
            fault_log: FaultLog::new(params.harden, params.capture_choice),
            counters: Counters::new(params.counter_width, SW),
            bist: BistControl::for_build(params),
            bridge: UartBridge::new(cpb),
            regs: RegFile::new(params),
            status: Default::default(),
            cfg: CoreConfig::hardened(params.harden),
            link_error_cpu_a: Default::default(),
            link_error_cpu_b: Default::default(),
            link_error_disk_a: Default::default(),
            link_error_disk_b: Default::default(),
            egress_q: Default::default(),
        }
    }
}

impl<const SW: usize, const OW: usize> Default for Core<SW, OW> {
    fn default() -> Self {
        Self::new(&BuildParams {
            skew_depth_log2: SW as u8,
            offset_max_log2: OW as u8,
            ..BuildParams::DEFAULT
        })
    }
}

/// Runs `$method` of each part of the core's wiring ([`wiring::Wiring`]) in order, the input
/// links' parts chosen by the build, and collects what each returns.
macro_rules! each_wiring_part {
    ($core:expr, $method:ident) => {{
        let staged = $core.stage_cpu_a.is_built();
        let mut results = vec![wiring::Wiring::<{ wiring::INGRESS }>::$method($core)];
        results.push(if staged {
            wiring::Wiring::<{ wiring::CPU_WORDS_STAGED }>::$method($core)
        } else {
            wiring::Wiring::<{ wiring::CPU_WORDS }>::$method($core)
        });
        results.push(wiring::Wiring::<{ wiring::WRITE_PATH }>::$method($core));
        results.push(if $core.stage_disk_a.is_built() {
            wiring::Wiring::<{ wiring::DISK_WORDS_STAGED }>::$method($core)
        } else {
            wiring::Wiring::<{ wiring::DISK_WORDS }>::$method($core)
        });
        results.push(wiring::Wiring::<{ wiring::REST }>::$method($core));
        if staged {
            results.push(wiring::Wiring::<{ wiring::STAGES }>::$method($core));
        }
        results
    }};
}

impl<const SW: usize, const OW: usize> Logic for Core<SW, OW> {
    fn update(&mut self) {
        each_wiring_part!(self, wire);
    }

    fn connect(&mut self) {
        each_wiring_part!(self, connect);
    }

    fn hdl(&self) -> ast::Verilog {
        let mut block = vec![];
        for part in each_wiring_part!(self, hdl) {
            match part {
                ast::Verilog::Combinatorial(statements) => block.extend(statements),
                _ => unreachable!("#[hdl_gen] makes combinatorial Verilog"),
            }
        }
        ast::Verilog::Combinatorial(block)
    }
}

/// The parts of the core's wiring (a module of their own: each part's `#[hdl_gen]` makes a
/// `connect` and an `hdl`, which must not be in scope where the `LogicBlock` derive calls the
/// core's own).
mod wiring {
    use super::*;

    /// The core's wiring in parts, each generated by `#[hdl_gen]` (its simulation, `connect` and
    /// Verilog): [`Logic`] for the core runs them in order, the CPU links' part chosen by the
    /// build.
    pub(super) trait Wiring<const PART: usize> {
        fn wire(&mut self);
        fn connect(&mut self);
        fn hdl(&self) -> ast::Verilog;
    }

    /// The control plane, the ingresses and their parity evidence.
    pub(super) const INGRESS: usize = 0;
    /// The CPU inputs' checked words to the lockstep: directly (default build) or staged.
    pub(super) const CPU_WORDS: usize = 1;
    pub(super) const CPU_WORDS_STAGED: usize = 2;
    /// The write path and the fabric.
    pub(super) const WRITE_PATH: usize = 3;
    /// The disk inputs' checked words to their skids: directly, or through their stages
    /// (`BuildParams::disk_stage`).
    pub(super) const DISK_WORDS: usize = 4;
    pub(super) const DISK_WORDS_STAGED: usize = 5;
    /// The disk sides, egresses, counters, fault log, BIST and status.
    pub(super) const REST: usize = 6;
    /// The pipelined build's CPU-link stages: clock, flush and their shadow checks.
    pub(super) const STAGES: usize = 7;

    impl<const SW: usize, const OW: usize> Wiring<INGRESS> for Core<SW, OW> {
        #[hdl_gen]
        fn wire(&mut self) {
            clock!(self, clock, in_cpu_a, in_cpu_b, in_disk_a, in_disk_b, inj, lockstep, gate, fabric, disk_a, disk_b);
            clock!(self, clock, cfg, fault_log, counters, bist, bridge, regs, skid_disk_a, skid_disk_b);
            dff_setup!(self, clock, egress_q);

            // Control plane: UART ⇄ parser ⇄ register file.
            self.bridge.reset.next = self.reset.val();
            self.bridge.uart_rx.next = self.uart_rx.val();
            self.uart_tx.next = self.bridge.uart_tx.val();
            self.regs.reset.next = self.reset.val();
            RegBus::join(&mut self.bridge.bus, &mut self.regs.bus);
            // Configuration from the registers, registered; the halt policy (see CoreConfig).
            CtrlRegs::join(&mut self.cfg.regs, &mut self.regs.ctrl);
            self.cfg.mode_now.next = self.lockstep.mode.val();

            // Ingress: pins (or, while BIST runs, its generators: the CPU inputs', and the disk
            // inputs' where the return path's test is built) → fault injector → link checker.
            LinkRx::link(&mut self.cpu_a_tx, &mut self.in_cpu_a.link);
            LinkRx::link(&mut self.cpu_b_tx, &mut self.in_cpu_b.link);
            LinkRx::link(&mut self.disk_a_rx, &mut self.in_disk_a.link);
            LinkRx::link(&mut self.disk_b_rx, &mut self.in_disk_b.link);
            LinkTx::join(&mut self.bist.cpu_a, &mut self.in_cpu_a.bist);
            LinkTx::join(&mut self.bist.cpu_b, &mut self.in_cpu_b.bist);
            LinkTx::join(&mut self.bist.disk_a, &mut self.in_disk_a.bist);
            LinkTx::join(&mut self.bist.disk_b, &mut self.in_disk_b.bist);
            self.in_cpu_a.bist_select.next = self.bist.active.val();
            self.in_cpu_b.bist_select.next = self.bist.active.val();
            self.in_disk_a.bist_select.next = self.bist.disk_active.val();
            self.in_disk_b.bist_select.next = self.bist.disk_active.val();
            InjectDrive::join(&mut self.inj.cpu_a, &mut self.in_cpu_a.inj);
            InjectDrive::join(&mut self.inj.cpu_b, &mut self.in_cpu_b.inj);
            InjectDrive::join(&mut self.inj.disk_a, &mut self.in_disk_a.inj);
            InjectDrive::join(&mut self.inj.disk_b, &mut self.in_disk_b.inj);
            InjectRegs::join(&mut self.inj.regs, &mut self.regs.inj);
            // Each port's parity evidence: its words in, and `rpar` of its return link.
            self.link_error_cpu_a.next = self.in_cpu_a.error.val() | self.out_cpu_a.ready_error.val();
            self.link_error_cpu_b.next = self.in_cpu_b.error.val() | self.out_cpu_b.ready_error.val();
            self.link_error_disk_a.next = self.in_disk_a.error.val() | self.out_disk_a.ready_error.val();
            self.link_error_disk_b.next = self.in_disk_b.error.val() | self.out_disk_b.ready_error.val();

            // Write path: the lockstep takes both CPUs' words. A host mode write, or the halt
            // policy halting on a fault the lockstep does not halt on itself (a disk fault, a
            // divergence, ...): the same path as a host write of HALTED.
            self.lockstep.reset.next = self.reset.val();
            LockstepConfigDrive::join(&mut self.cfg.lockstep, &mut self.lockstep.cfg);
        }
    }

    impl<const SW: usize, const OW: usize> Wiring<CPU_WORDS> for Core<SW, OW> {
        #[hdl_gen]
        fn wire(&mut self) {
            StreamTx::join(&mut self.in_cpu_a.word, &mut self.lockstep.a);
            StreamTx::join(&mut self.in_cpu_b.word, &mut self.lockstep.b);
        }
    }

    /// The pipelined build: a CPU's checked words reach the lockstep through its stage, a cycle
    /// later; its parity evidence (`a_error`, STATUS and `irq`) does not wait for them.
    impl<const SW: usize, const OW: usize> Wiring<CPU_WORDS_STAGED> for Core<SW, OW> {
        #[hdl_gen]
        fn wire(&mut self) {
            StreamTx::join(&mut self.in_cpu_a.word, &mut self.stage_cpu_a.rx);
            StreamTx::join(&mut self.in_cpu_b.word, &mut self.stage_cpu_b.rx);
            StreamTx::join(&mut self.stage_cpu_a.tx, &mut self.lockstep.a);
            StreamTx::join(&mut self.stage_cpu_b.tx, &mut self.lockstep.b);
        }
    }

    impl<const SW: usize, const OW: usize> Wiring<WRITE_PATH> for Core<SW, OW> {
        #[hdl_gen]
        fn wire(&mut self) {
            self.lockstep.a_error.next = self.link_error_cpu_a.val();
            self.lockstep.b_error.next = self.link_error_cpu_b.val();
            self.lockstep.return_mismatch.next = self.fabric.strict_ready_mismatch.val();

            // Fabric: committed and SPLIT streams to the disks, returns to the CPUs. A rebuilding
            // disk is out of the return path (never primary, never compared) but takes every
            // mirrored write; read-verify gives a silent secondary the patience a disk's tx_ready
            // gets; a fault clear puts a secondary that diverged back in step.
            self.fabric.reset.next = self.reset.val();
            self.fabric.mode.next = self.lockstep.mode.val();
            FabricConfigDrive::join(&mut self.cfg.fabric, &mut self.fabric.cfg);
            self.fabric.disk_a_failed.next = self.disk_a.state.failed.val() | self.disk_a.state.rebuilding.val();
            self.fabric.disk_b_failed.next = self.disk_b.state.failed.val() | self.disk_b.state.rebuilding.val();
            self.fabric.disk_a_rebuilding.next = self.disk_a.state.rebuilding.val();
            self.fabric.disk_b_rebuilding.next = self.disk_b.state.rebuilding.val();
            // Hardened build: an internal fault stops forwarding (see FaultLog).
            self.fabric.stop.next = self.fault_log.stopped.val();
            // Commit gate between the committed stream and the fabric: CTRL.commit = 1 holds each
            // frame until its last pair has agreed (store-and-forward).
            self.gate.reset.next = self.reset.val();
            self.gate.saf.next = self.cfg.saf.val();
            StreamTx::join(&mut self.lockstep.c, &mut self.gate.rx);
            StreamTx::join(&mut self.gate.tx, &mut self.fabric.c);
            StreamTx::join(&mut self.lockstep.sa, &mut self.fabric.sa);
            StreamTx::join(&mut self.lockstep.sb, &mut self.fabric.sb);

            // Each disk's side: its returns into the fabric (a rebuilding disk's dropped), the
            // fabric's buffer for it out to its egress (nothing for a failed disk), its health.
        }
    }

    /// Without the disk stages (`--disk-stage off`): a disk's checked words go straight to
    /// its skid.
    impl<const SW: usize, const OW: usize> Wiring<DISK_WORDS> for Core<SW, OW> {
        #[hdl_gen]
        fn wire(&mut self) {
            StreamTx::join(&mut self.in_disk_a.word, &mut self.skid_disk_a.rx);
            StreamTx::join(&mut self.in_disk_b.word, &mut self.skid_disk_b.rx);
            self.disk_stage_error.next = false;
        }
    }

    /// A disk's checked words reach its skid (and side) through its stage, a cycle later; its
    /// parity evidence (`rx_error`, STATUS and `irq`) does not wait for them.
    impl<const SW: usize, const OW: usize> Wiring<DISK_WORDS_STAGED> for Core<SW, OW> {
        #[hdl_gen]
        fn wire(&mut self) {
            clock!(self, clock, stage_disk_a, stage_disk_b);
            self.stage_disk_a.flush.next = self.reset.val();
            self.stage_disk_b.flush.next = self.reset.val();
            self.disk_stage_error.next = self.stage_disk_a.internal_error.val() | self.stage_disk_b.internal_error.val();
            StreamTx::join(&mut self.in_disk_a.word, &mut self.stage_disk_a.rx);
            StreamTx::join(&mut self.in_disk_b.word, &mut self.stage_disk_b.rx);
            StreamTx::join(&mut self.stage_disk_a.tx, &mut self.skid_disk_a.rx);
            StreamTx::join(&mut self.stage_disk_b.tx, &mut self.skid_disk_b.rx);
        }
    }

    impl<const SW: usize, const OW: usize> Wiring<REST> for Core<SW, OW> {
        #[hdl_gen]
        fn wire(&mut self) {
            StreamTx::join(&mut self.skid_disk_a.tx, &mut self.disk_a.rx);
            StreamTx::join(&mut self.skid_disk_b.tx, &mut self.disk_b.rx);
            self.skid_disk_a.flush.next = self.reset.val();
            self.skid_disk_b.flush.next = self.reset.val();
            StreamTx::join(&mut self.disk_a.tx, &mut self.out_disk_a.word);
            StreamTx::join(&mut self.disk_b.tx, &mut self.out_disk_b.word);
            StreamTx::join(&mut self.disk_a.returns, &mut self.fabric.ra);
            StreamTx::join(&mut self.disk_b.returns, &mut self.fabric.rb);
            StreamTx::join(&mut self.fabric.da, &mut self.disk_a.buf);
            StreamTx::join(&mut self.fabric.db, &mut self.disk_b.buf);
            self.disk_a.reset.next = self.reset.val();
            self.disk_a.rx_error.next = self.in_disk_a.error.val();
            self.disk_a.ready_error.next = self.out_disk_a.ready_error.val();
            DiskConfigDrive::join(&mut self.cfg.disk_a, &mut self.disk_a.cfg);
            self.disk_a.boundary.next = self.gate.boundary.val();
            self.disk_a.stop.next = self.fault_log.stop.val();
            self.disk_a.returns_idle.next = self.disk_a.rx_quiet.val() & self.disk_b.rx_quiet.val();
            self.disk_b.reset.next = self.reset.val();
            self.disk_b.rx_error.next = self.in_disk_b.error.val();
            self.disk_b.ready_error.next = self.out_disk_b.ready_error.val();
            DiskConfigDrive::join(&mut self.cfg.disk_b, &mut self.disk_b.cfg);
            self.disk_b.boundary.next = self.gate.boundary.val();
            self.disk_b.stop.next = self.fault_log.stop.val();
            self.disk_b.returns_idle.next = self.disk_a.rx_quiet.val() & self.disk_b.rx_quiet.val();

            // Egress: each words-out port, with its own checks (the disks' fed by their sides).
            LinkTx::link(&mut self.disk_a_tx, &mut self.out_disk_a.link);
            LinkTx::link(&mut self.disk_b_tx, &mut self.out_disk_b.link);
            LinkTx::link(&mut self.cpu_a_rx, &mut self.out_cpu_a.link);
            LinkTx::link(&mut self.cpu_b_rx, &mut self.out_cpu_b.link);
            StreamTx::join(&mut self.fabric.ca, &mut self.out_cpu_a.word);
            StreamTx::join(&mut self.fabric.cb, &mut self.out_cpu_b.word);

            // Statistics.
            self.counters.reset.next = self.reset.val();
            self.counters.cnt_clear.next = self.cfg.cnt_clear.val();
            self.counters.mode.next = self.lockstep.mode.val();
            self.counters.mode_set.next = self.cfg.host_mode_set.val();
            self.counters.perr_cpu_a.next = self.link_error_cpu_a.val();
            self.counters.perr_cpu_b.next = self.link_error_cpu_b.val();
            self.counters.perr_disk_a.next = self.link_error_disk_a.val();
            self.counters.perr_disk_b.next = self.link_error_disk_b.val();
            self.egress_q.d.next = self.out_disk_a.egress_error.val()
                | self.out_disk_b.egress_error.val()
                | self.out_cpu_a.egress_error.val()
                | self.out_cpu_b.egress_error.val();
            self.counters.perr_egress.next = self.egress_q.q.val();
            GateEvents::join(&mut self.gate.events, &mut self.counters.gate);
            LockstepEvents::join(&mut self.lockstep.events, &mut self.counters.lockstep);
            self.counters.split_a_moved.next = self.lockstep.sa.valid.val() & self.fabric.sa.ready.val();
            self.counters.split_a_word.next = self.lockstep.sa.data.val();
            self.counters.split_b_moved.next = self.lockstep.sb.valid.val() & self.fabric.sb.ready.val();
            self.counters.split_b_word.next = self.lockstep.sb.data.val();
            self.counters.disk_timeout.next = self.disk_a.state.fail_timeout.val() | self.disk_b.state.fail_timeout.val();
            self.counters.returned_a.next = self.fabric.ca.valid.val() & self.out_cpu_a.word.ready.val();
            self.counters.returned_b.next = self.fabric.cb.valid.val() & self.out_cpu_b.word.ready.val();

            // Faults: each detector's pulse on its cause, latched; the first fault's capture.
            self.fault_log.reset.next = self.reset.val();
            self.fault_log.clear.next = self.cfg.fault_clear.val();
            LockstepEvents::join(&mut self.lockstep.events, &mut self.fault_log.lockstep);
            self.fault_log.frame_too_long.next = self.gate.events.frame_too_long.val();
            DiskState::join(&mut self.disk_a.state, &mut self.fault_log.disk_a);
            DiskState::join(&mut self.disk_b.state, &mut self.fault_log.disk_b);
            self.fault_log.divergence.next = self.fabric.divergence.val();
            self.fault_log.egress_parity.next = self.egress_q.q.val();
            self.fault_log.internal_error.next =
                self.lockstep.internal_error.val() | self.fabric.internal_error.val() | self.cfg.shadow_bad.val()
                    | self.skid_disk_a.internal_error.val() | self.skid_disk_b.internal_error.val()
                    | self.disk_stage_error.val();
            self.fault_log.write_error.next = self.fabric.write_error.val();
            self.fault_log.cpu_error.next = self.link_error_cpu_a.val() | self.link_error_cpu_b.val();
            self.fault_log.disk_error.next = self.link_error_disk_a.val() | self.link_error_disk_b.val();
            WordTap::join(&mut self.in_cpu_a.tap, &mut self.fault_log.cpu_a);
            WordTap::join(&mut self.in_cpu_b.tap, &mut self.fault_log.cpu_b);
            WordTap::join(&mut self.in_disk_a.tap, &mut self.fault_log.disk_a_rx);
            WordTap::join(&mut self.in_disk_b.tap, &mut self.fault_log.disk_b_rx);
            WordTap::join(&mut self.disk_a.tx_tap, &mut self.fault_log.disk_a_tx);
            WordTap::join(&mut self.disk_b.tx_tap, &mut self.fault_log.disk_b_tx);
            self.fault_log.pair_a_word.next = self.lockstep.head_a.val();
            self.fault_log.pair_a_valid.next = self.lockstep.head_a_valid.val();
            self.fault_log.pair_b_word.next = self.lockstep.head_b.val();
            self.fault_log.pair_b_valid.next = self.lockstep.head_b_valid.val();
            // Every fault halts under the halt policy (SPEC §4), whatever its cause and mode; an
            // internal fault halts whatever the policy, and holds the core HALTED until the host
            // clears the faults.
            self.cfg.fault.next = self.fault_log.any.val();
            self.cfg.stop.next = self.fault_log.stop.val();
            self.irq.next = self.fault_log.fault.val();

            // BIST: generators feed both CPU inputs and both disk inputs (joined above), checkers
            // watch both disk outputs and both CPU outputs.
            self.bist.reset.next = self.reset.val();
            BistRegs::join(&mut self.bist.regs, &mut self.regs.bist);
            self.bist.fault.next = self.fault_log.fault.val();
            self.bist.disk_a_word.next = self.disk_a.tx.data.val();
            self.bist.disk_a_moved.next = self.disk_a.tx_moved.val();
            self.bist.disk_b_word.next = self.disk_b.tx.data.val();
            self.bist.disk_b_moved.next = self.disk_b.tx_moved.val();
            self.bist.cpu_a_word.next = self.fabric.ca.data.val();
            self.bist.cpu_a_moved.next = self.fabric.ca.valid.val() & self.out_cpu_a.word.ready.val();
            self.bist.cpu_b_word.next = self.fabric.cb.data.val();
            self.bist.cpu_b_moved.next = self.fabric.cb.valid.val() & self.out_cpu_b.word.ready.val();

            // What the registers read: each block's fields by name.
            self.status.mode.next = self.lockstep.mode.val();
            self.status.bist_running.next = self.bist.active.val();
            DiskState::join(&mut self.disk_a.state, &mut self.status.disk_a);
            DiskState::join(&mut self.disk_b.state, &mut self.status.disk_b);
            LockstepEvents::join(&mut self.lockstep.events, &mut self.status.lockstep);
            self.status.fault.next = self.fault_log.fault.val();
            self.status.first_cause.next = self.fault_log.first_cause.val();
            self.status.faults.next = self.fault_log.faults.val();
            self.status.cycle.next = self.fault_log.cycle.val();
            StatusRegs::join(&mut self.status.regs, &mut self.regs.status);
            CaptureRegs::join(&mut self.fault_log.regs, &mut self.regs.capture);
            CapFlagsRegs::join(&mut self.fault_log.cap_flags_regs, &mut self.regs.cap_flags);
            CounterRegs::join(&mut self.counters.regs, &mut self.regs.counters);
        }
    }

    impl<const SW: usize, const OW: usize> Wiring<STAGES> for Core<SW, OW> {
        #[hdl_gen]
        fn wire(&mut self) {
            clock!(self, clock, stage_cpu_a, stage_cpu_b);
            self.stage_cpu_a.flush.next = self.reset.val();
            self.stage_cpu_b.flush.next = self.reset.val();
            // REST's internal causes and the CPU stages' shadow checks (this drive of the input
            // replaces REST's: the last one in the always block, as in simulation).
            self.fault_log.internal_error.next =
                self.lockstep.internal_error.val() | self.fabric.internal_error.val() | self.cfg.shadow_bad.val()
                    | self.skid_disk_a.internal_error.val() | self.skid_disk_b.internal_error.val()
                    | self.stage_cpu_a.internal_error.val() | self.stage_cpu_b.internal_error.val()
                    | self.disk_stage_error.val();
        }
    }
}
