//! ftio gateware: the blocks of SPEC §1 and the core that composes them.
pub mod link;
pub mod parity;
pub mod link_check;
