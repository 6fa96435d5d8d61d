//! `InjectControl`: INJ_CTRL / INJ_COUNT / INJ_STATUS (SPEC §6) for the four injectors, one in
//! each [`crate::ingress::Ingress`].
use crate::inject::InjectCount;
use crate::regfile::InjectRegs;
use rust_hdl::prelude::*;

/// What the control sends one ingress's injector, and what it hears back.
#[derive(LogicInterface, Default, Clone)]
#[join = "InjectPort"]
pub struct InjectDrive {
    /// INJ_CTRL.arm.
    pub arm: Signal<Out, Bit>,
    /// INJ_CTRL.link: the link armed.
    pub link: Signal<Out, Bits<2>>,
    /// INJ_CTRL.kind.
    pub kind: Signal<Out, Bits<2>>,
    /// INJ_CTRL.bit.
    pub bit_sel: Signal<Out, Bits<5>>,
    /// The shared N counter is at 0.
    pub left_zero: Signal<Out, Bit>,
    /// It is at 1.
    pub left_one: Signal<Out, Bit>,
    /// N (INJ_COUNT) is 0.
    pub count_zero: Signal<Out, Bit>,
    /// Count a word or a cycle of silence off N.
    pub step: Signal<In, Bit>,
    /// The injector stays armed into the next cycle (the shared counter keeps N).
    pub keep: Signal<In, Bit>,
    /// Pulse: the injection happened.
    pub fired: Signal<In, Bit>,
}

/// The injector's side of [`InjectDrive`].
#[derive(LogicInterface, Default, Clone)]
#[join = "InjectDrive"]
pub struct InjectPort {
    /// INJ_CTRL.arm.
    pub arm: Signal<In, Bit>,
    /// INJ_CTRL.link.
    pub link: Signal<In, Bits<2>>,
    /// INJ_CTRL.kind.
    pub kind: Signal<In, Bits<2>>,
    /// INJ_CTRL.bit.
    pub bit_sel: Signal<In, Bits<5>>,
    /// The shared N counter is at 0.
    pub left_zero: Signal<In, Bit>,
    /// It is at 1.
    pub left_one: Signal<In, Bit>,
    /// N (INJ_COUNT) is 0.
    pub count_zero: Signal<In, Bit>,
    /// Count a word or a cycle of silence off N.
    pub step: Signal<Out, Bit>,
    /// Stay armed into the next cycle.
    pub keep: Signal<Out, Bit>,
    /// Pulse: the injection happened.
    pub fired: Signal<Out, Bit>,
}

/// Fans INJ_CTRL out to the four injectors, runs their shared N counter ([`InjectCount`]),
/// clears INJ_CTRL.arm when one fires and keeps INJ_STATUS.fired until the next arming.
#[derive(LogicBlock)]
pub struct InjectControl {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// INJ_CTRL, INJ_COUNT and INJ_STATUS (generated from the register table, `hdl/build.rs`):
    /// INJ_CTRL.arm is cleared a cycle after an injector fired; INJ_STATUS.fired is sticky
    /// until the next arming, INJ_STATUS.armed mirrors INJ_CTRL.arm.
    pub regs: InjectRegs,
    /// To CPU A's ingress.
    pub cpu_a: InjectDrive,
    /// To CPU B's ingress.
    pub cpu_b: InjectDrive,
    /// To disk A's ingress.
    pub disk_a: InjectDrive,
    /// To disk B's ingress.
    pub disk_b: InjectDrive,
    /// The injectors' shared N counter (one link is armed at a time).
    n: InjectCount,
    /// Any injector fired, a cycle ago: registered so the four injectors' compares stay off
    /// the register file's paths (the injector's `done` keeps it from firing twice while
    /// INJ_CTRL.arm is cleared a cycle later).
    fired_q: DFF<Bit>,
    fired_seen: DFF<Bit>,
    was_armed: DFF<Bit>,
}

impl InjectControl {
    /// Control for a core whose counters are `width` bits wide (INJ_COUNT's width).
    pub fn new(width: u8) -> Self {
        Self {
            clock: Default::default(),
            regs: Default::default(),
            cpu_a: Default::default(),
            cpu_b: Default::default(),
            disk_a: Default::default(),
            disk_b: Default::default(),
            n: InjectCount::new(width),
            fired_q: Default::default(),
            fired_seen: Default::default(),
            was_armed: Default::default(),
        }
    }
}

impl Logic for InjectControl {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, n);
        dff_setup!(self, clock, fired_q, fired_seen, was_armed);
        // Every injector sees INJ_CTRL; the one whose link it names arms.
        self.cpu_a.arm.next = self.regs.inj_ctrl_arm.val();
        self.cpu_a.link.next = self.regs.inj_ctrl_link.val();
        self.cpu_a.kind.next = self.regs.inj_ctrl_kind.val();
        self.cpu_a.bit_sel.next = self.regs.inj_ctrl_bit.val();
        self.cpu_a.left_zero.next = self.n.zero.val();
        self.cpu_a.left_one.next = self.n.one.val();
        self.cpu_a.count_zero.next = self.n.count_zero.val();
        self.cpu_b.arm.next = self.regs.inj_ctrl_arm.val();
        self.cpu_b.link.next = self.regs.inj_ctrl_link.val();
        self.cpu_b.kind.next = self.regs.inj_ctrl_kind.val();
        self.cpu_b.bit_sel.next = self.regs.inj_ctrl_bit.val();
        self.cpu_b.left_zero.next = self.n.zero.val();
        self.cpu_b.left_one.next = self.n.one.val();
        self.cpu_b.count_zero.next = self.n.count_zero.val();
        self.disk_a.arm.next = self.regs.inj_ctrl_arm.val();
        self.disk_a.link.next = self.regs.inj_ctrl_link.val();
        self.disk_a.kind.next = self.regs.inj_ctrl_kind.val();
        self.disk_a.bit_sel.next = self.regs.inj_ctrl_bit.val();
        self.disk_a.left_zero.next = self.n.zero.val();
        self.disk_a.left_one.next = self.n.one.val();
        self.disk_a.count_zero.next = self.n.count_zero.val();
        self.disk_b.arm.next = self.regs.inj_ctrl_arm.val();
        self.disk_b.link.next = self.regs.inj_ctrl_link.val();
        self.disk_b.kind.next = self.regs.inj_ctrl_kind.val();
        self.disk_b.bit_sel.next = self.regs.inj_ctrl_bit.val();
        self.disk_b.left_zero.next = self.n.zero.val();
        self.disk_b.left_one.next = self.n.one.val();
        self.disk_b.count_zero.next = self.n.count_zero.val();
        // The shared N counter follows INJ_COUNT until an injector keeps its arming.
        self.n.count.next = self.regs.inj_count.val();
        self.n.load.next = !(self.cpu_a.keep.val() | self.cpu_b.keep.val() | self.disk_a.keep.val() | self.disk_b.keep.val());
        self.n.step.next = self.cpu_a.step.val() | self.cpu_b.step.val() | self.disk_a.step.val() | self.disk_b.step.val();
        // INJ_STATUS.fired is sticky until the next arming; a firing clears INJ_CTRL.arm.
        self.fired_q.d.next = self.cpu_a.fired.val() | self.cpu_b.fired.val() | self.disk_a.fired.val() | self.disk_b.fired.val();
        self.regs.inj_ctrl_arm_clear.next = self.fired_q.q.val();
        if self.fired_q.q.val() {
            self.fired_seen.d.next = true;
        }
        self.was_armed.d.next = self.regs.inj_ctrl_arm.val();
        if self.regs.inj_ctrl_arm.val() & !self.was_armed.q.val() {
            self.fired_seen.d.next = false;
        }
        self.regs.inj_status_fired.next = self.fired_seen.q.val();
        self.regs.inj_status_armed.next = self.regs.inj_ctrl_arm.val();
    }
}
