//! Named values of register fields: modes, cause codes, injection links and kinds.

/// Implements `code`, `from_code`, `name`, `parse` and `ALL` for a field enum.
macro_rules! field_enum {
    ($(#[$m:meta])* $ty:ident { $($(#[$vm:meta])* $var:ident = $code:literal, $name:literal, [$($alias:literal),*];)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $ty { $($(#[$vm])* $var = $code,)* }

        impl $ty {
            /// Every value, in code order.
            pub const ALL: &'static [$ty] = &[$($ty::$var,)*];

            /// The field encoding.
            pub const fn code(self) -> u32 { self as u32 }

            /// The value with this encoding.
            pub fn from_code(code: u32) -> Option<$ty> {
                match code { $($code => Some($ty::$var),)* _ => None }
            }

            /// Canonical name as used in docs and by ftctl.
            pub const fn name(self) -> &'static str {
                match self { $($ty::$var => $name,)* }
            }

            /// Parses a name (case-insensitive, `-` and `_` equivalent), an alias, or a number.
            pub fn parse(s: &str) -> Option<$ty> {
                let norm = s.trim().to_ascii_lowercase().replace('-', "_");
                $(
                    if norm == $name.to_ascii_lowercase().replace('-', "_") $(|| norm == $alias)* {
                        return Some($ty::$var);
                    }
                )*
                norm.parse::<u32>().ok().and_then($ty::from_code)
            }

            /// The accepted names, for error messages.
            pub fn names() -> Vec<&'static str> {
                vec![$($name,)*]
            }
        }

        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

field_enum! {
    /// CTRL.mode / STATUS.mode.
    Mode {
        /// Compare both CPUs, mirror to both disks.
        Duplex = 0, "DUPLEX", [];
        /// CPU A drives both disks; CPU B is isolated.
        SimplexA = 1, "SIMPLEX_A", ["simplexa"];
        /// CPU B drives both disks; CPU A is isolated.
        SimplexB = 2, "SIMPLEX_B", ["simplexb"];
        /// A to disk A, B to disk B, no compare (bring-up and resync).
        Split = 3, "SPLIT", [];
        /// Nothing forwarded, CPUs back-pressured.
        Halted = 4, "HALTED", ["halt"];
    }
}

impl Mode {
    /// Decodes a mode field as read. Codes 5 and 6 are reserved (the core refuses a write of
    /// them and never reads them back); should one be seen, it is shown as HALTED.
    pub fn from_field(code: u32) -> Mode {
        Mode::from_code(code).unwrap_or(Mode::Halted)
    }
}

field_enum! {
    /// CTRL.lockstep.
    Lockstep {
        /// Streams compared word by word; either side may run ahead up to the skew FIFO depth.
        Elastic = 0, "elastic", [];
        /// CPU B exactly OFFSET cycles behind CPU A.
        Strict = 1, "strict", [];
    }
}

field_enum! {
    /// CTRL.commit.
    Commit {
        /// Agreed words go on at once; a mismatch aborts the frame in flight.
        CutThrough = 0, "cut-through", ["cut", "cutthrough"];
        /// Frames held until their last pair agreed.
        StoreAndForward = 1, "store-and-forward", ["saf", "store", "storeandforward"];
    }
}

field_enum! {
    /// CTRL.policy.
    Policy {
        /// Attributable faults fail over to SIMPLEX; unattributable ones halt.
        Auto = 0, "auto", [];
        /// Every fault halts.
        Halt = 1, "halt", [];
    }
}

field_enum! {
    /// CTRL.primary: the disk whose returns go to the CPUs.
    Disk {
        /// Disk A.
        A = 0, "A", ["disk_a", "a"];
        /// Disk B.
        B = 1, "B", ["disk_b", "b"];
    }
}

field_enum! {
    /// INJ_CTRL.link.
    InjLink {
        /// cpu_a_tx.
        CpuA = 0, "cpu-a", ["cpu_a_tx", "cpua"];
        /// cpu_b_tx.
        CpuB = 1, "cpu-b", ["cpu_b_tx", "cpub"];
        /// disk_a_rx.
        DiskA = 2, "disk-a", ["disk_a_rx", "diska"];
        /// disk_b_rx.
        DiskB = 3, "disk-b", ["disk_b_rx", "diskb"];
    }
}

field_enum! {
    /// INJ_CTRL.kind.
    InjKind {
        /// Flip a data bit of the Nth word.
        Data = 0, "data", [];
        /// Flip a parity bit of the Nth word.
        Par = 1, "par", ["parity"];
        /// Hold the link silent for N cycles.
        Silence = 2, "silence", ["silent"];
    }
}

field_enum! {
    /// Fault cause codes (STATUS.cause, CAP_CAUSE, bit n of FAULTS).
    Cause {
        /// No fault.
        None = 0, "NONE", [];
        /// Parity error on CPU A's link (attributes the fault to CPU A).
        CpuAParity = 1, "CPU_A_PARITY", [];
        /// Parity error on CPU B's link.
        CpuBParity = 2, "CPU_B_PARITY", [];
        /// The two CPUs' streams disagreed with no parity error (not attributable).
        Mismatch = 3, "MISMATCH", [];
        /// CPU A offered nothing for TIMEOUT cycles while CPU B had words pending.
        CpuATimeout = 4, "CPU_A_TIMEOUT", [];
        /// CPU B offered nothing for TIMEOUT cycles while CPU A had words pending.
        CpuBTimeout = 5, "CPU_B_TIMEOUT", [];
        /// Parity error on disk A's rx words or its ready/rpar.
        DiskAParity = 6, "DISK_A_PARITY", [];
        /// Parity error on disk B's rx words or its ready/rpar.
        DiskBParity = 7, "DISK_B_PARITY", [];
        /// Disk A held tx_ready low with a word waiting for more than DISK_TIMEOUT cycles.
        DiskATimeout = 8, "DISK_A_TIMEOUT", [];
        /// Disk B held tx_ready low with a word waiting for more than DISK_TIMEOUT cycles.
        DiskBTimeout = 9, "DISK_B_TIMEOUT", [];
        /// Read-verify: the two disks returned different words.
        DiskDivergence = 10, "DISK_DIVERGENCE", [];
        /// A word that entered clean left an egress with bad parity (fault inside the core).
        EgressParity = 12, "EGRESS_PARITY", [];
        /// Store-and-forward: a frame longer than the frame buffer.
        FrameTooLong = 13, "FRAME_TOO_LONG", [];
        /// Hardened build: the core found its own state inconsistent (a shadow copy, a check
        /// code or a check bit disagrees, or a word bound for a disk fails its check).
        Internal = 14, "INTERNAL", [];
    }
}

impl Cause {
    /// One-line explanation for users.
    pub const fn description(self) -> &'static str {
        match self {
            Cause::None => "no fault",
            Cause::CpuAParity => "parity error on CPU A's link: CPU A is faulty",
            Cause::CpuBParity => "parity error on CPU B's link: CPU B is faulty",
            Cause::Mismatch => "the CPUs' streams disagreed with no parity error (cannot tell which CPU is faulty)",
            Cause::CpuATimeout => "CPU A fell silent while CPU B had words pending (TIMEOUT)",
            Cause::CpuBTimeout => "CPU B fell silent while CPU A had words pending (TIMEOUT)",
            Cause::DiskAParity => "parity error on disk A's link",
            Cause::DiskBParity => "parity error on disk B's link",
            Cause::DiskATimeout => "disk A stalled (tx_ready low beyond DISK_TIMEOUT)",
            Cause::DiskBTimeout => "disk B stalled (tx_ready low beyond DISK_TIMEOUT)",
            Cause::DiskDivergence => "read-verify: the disks returned different data or frame lengths, or the secondary fell silent",
            Cause::EgressParity => "a word was corrupted inside the core (bad parity at an egress)",
            Cause::FrameTooLong => "store-and-forward: a frame was longer than the frame buffer",
            Cause::Internal => "hardened build: the core's own state was found inconsistent (an upset inside the core); forwarding stopped, the frame in flight ended with last & abort on both disks, HALTED",
        }
    }

    /// What the first-fault capture holds for this cause: (side A, side B) as CAP_DATA_A /
    /// CAP_DATA_B and CAP_FLAGS show them.
    pub const fn capture(self) -> (&'static str, &'static str) {
        match self {
            Cause::None => ("0", "0"),
            Cause::Mismatch => ("CPU A's word of the pair that disagreed", "CPU B's word of the pair"),
            Cause::CpuAParity | Cause::CpuBParity | Cause::CpuATimeout | Cause::CpuBTimeout => (
                "CPU A's word at its tx port in the cycle the error was seen there (for CPU_A_PARITY the faulty word; a_valid 0 if CPU A offered none)",
                "CPU B's word at its tx port in that cycle (for CPU_B_PARITY the faulty word)",
            ),
            Cause::DiskAParity | Cause::DiskBParity => (
                "disk A's word at its rx port in the cycle the error was seen (for DISK_A_PARITY the faulty word; a_valid 0 if disk A offered none, as for an rpar error)",
                "disk B's word at its rx port in that cycle (for DISK_B_PARITY the faulty word)",
            ),
            Cause::DiskATimeout | Cause::DiskBTimeout => {
                ("the word waiting on disk A's tx link (a_valid 0 if none)", "the word waiting on disk B's tx link (b_valid 0 if none)")
            }
            Cause::DiskDivergence => ("disk A's word on its rx port in the cycle the divergence was found", "disk B's word at that cycle"),
            Cause::EgressParity | Cause::FrameTooLong | Cause::Internal => {
                ("CPU A's word at its tx port the cycle before the fault was raised (the fault is inside the core)", "CPU B's word at its tx port that cycle")
            }
        }
    }

    /// Name of a cause code, `CAUSE_<n>` for codes not defined.
    pub fn name_of(code: u32) -> String {
        match Cause::from_code(code) {
            Some(c) => c.name().to_string(),
            None => format!("CAUSE_{code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_architecture() {
        assert_eq!(Mode::Duplex.code(), 0);
        assert_eq!(Mode::Halted.code(), 4);
        assert_eq!(Mode::from_field(6), Mode::Halted);
        assert_eq!(Cause::Mismatch.code(), 3);
        assert_eq!(Cause::DiskDivergence.code(), 10);
        assert_eq!(Cause::EgressParity.code(), 12);
        assert_eq!(Cause::FrameTooLong.code(), 13);
        assert_eq!(Cause::from_code(11), None);
        assert_eq!(Cause::name_of(11), "CAUSE_11");
        assert_eq!(InjLink::DiskB.code(), 3);
        assert_eq!(InjKind::Silence.code(), 2);
    }

    #[test]
    fn parse_names() {
        assert_eq!(Mode::parse("simplex-a"), Some(Mode::SimplexA));
        assert_eq!(Mode::parse("SIMPLEX_B"), Some(Mode::SimplexB));
        assert_eq!(Mode::parse("3"), Some(Mode::Split));
        assert_eq!(Mode::parse("7"), None);
        assert_eq!(Mode::parse("bogus"), None);
        assert_eq!(Commit::parse("store_and_forward"), Some(Commit::StoreAndForward));
        assert_eq!(Commit::parse("cut-through"), Some(Commit::CutThrough));
        assert_eq!(Disk::parse("b"), Some(Disk::B));
        assert_eq!(InjLink::parse("cpu_a"), Some(InjLink::CpuA));
        assert_eq!(Lockstep::names(), vec!["elastic", "strict"]);
        assert_eq!(Mode::SimplexA.to_string(), "SIMPLEX_A");
    }
}
