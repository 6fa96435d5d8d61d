//! Each gateware block on its own, as Verilog, so its cost can be measured apart from the
//! core (`ftio verilog --block NAME`, `python3 scripts/measure-blocks.py`). Blocks are built
//! with the default build parameters (skew and buffer depth 64, offset range 16, the UART
//! divider of 100 MHz / 115 200 baud).
use crate::bist::{BistChecker, BistGenerator};
use crate::uart_bridge::UartBridge;
use crate::commit_gate::CommitGate;
use crate::core::{BuildParams, DEFAULT_OW, DEFAULT_SW};
use crate::egress::Egress;
use crate::event_counter::EventCounter;
use crate::delay_line::DelayLine;
use crate::disk_monitor::DiskMonitor;
use crate::fabric::Fabric;
use crate::fault_log::FaultLog;
use crate::inject::{InjectCount, Injector};
use crate::link_check::{LinkChecker, ReadyChecker};
use crate::lockstep::Lockstep;
use crate::regfile::RegFile;
use crate::stream_fifo::StreamFifo;
use crate::uart::clocks_per_bit;
use crate::verilog::rename_idents;
use rust_hdl::prelude::*;

/// One block of the core.
pub struct BlockInfo {
    /// Its name (`ftio verilog --block NAME`).
    pub name: &'static str,
    /// How many the default core holds.
    pub count: usize,
    /// The block it sits inside, if it is part of another block in this list (so a sum of
    /// the top-level blocks does not count it twice).
    pub inside: Option<&'static str>,
    /// What it is.
    pub what: &'static str,
}

const fn b(name: &'static str, count: usize, inside: Option<&'static str>, what: &'static str) -> BlockInfo {
    BlockInfo { name, count, inside, what }
}

/// The blocks [`block_verilog`] builds.
pub const BLOCKS: [BlockInfo; 17] = [
    b("link_checker", 4, None, "ingress: data parity of every offered word, cpar every cycle"),
    b("egress", 4, None, "output link: carried-parity re-check, cpar, rpar check"),
    b("ready_checker", 4, Some("egress"), "rpar == ~ready on an output link"),
    b("injector", 4, None, "fault injection on an input link"),
    b("inject_count", 1, None, "the injectors' shared N counter"),
    b("lockstep", 1, None, "skew FIFOs, comparator, cut-through commit, mode FSM"),
    b("commit_gate", 1, None, "store-and-forward frame buffer (512 words) and pass-through"),
    b("fabric", 1, None, "routing, 4 sink buffers, return select, read-verify, strict replica"),
    b("stream_fifo", 6, Some("lockstep x2, fabric x4"), "one 64-word block-RAM FIFO"),
    b("delay_line", 2, Some("lockstep, fabric"), "strict-offset delay line (D < 16)"),
    b("disk_monitor", 2, None, "disk health: rx parity, rpar, DISK_TIMEOUT"),
    b("fault_log", 1, None, "irq latch, cause bitmap, first-fault capture"),
    b("event_counter", 11, None, "one 32-bit saturating statistics counter"),
    b("uart_bridge", 1, None, "UART rx/tx + SPEC §5 frame parser with CRC"),
    b("regfile", 1, None, "register file decoded from the ftio-proto table, counter snapshot"),
    b("bist_generator", 2, None, "BIST: LFSR frames into one CPU input"),
    b("bist_checker", 2, None, "BIST: checks one disk output"),
];

fn gen<B: Block>(mut b: B) -> String {
    b.connect_all();
    generate_verilog(&b)
}

/// `block_verilog` was asked for a block that is not in [`BLOCKS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown block `{name}`; the blocks are: {}", BLOCKS.map(|b| b.name).join(", "))]
pub struct UnknownBlock {
    pub name: String,
}

/// The Verilog of block `name` (see [`BLOCKS`]) with its top module called `name`.
pub fn block_verilog(name: &str) -> Result<String, UnknownBlock> {
    let p = BuildParams::default();
    let cpb = clocks_per_bit(p.clock_hz, p.baud);
    let text = match name {
        "link_checker" => gen(LinkChecker::default()),
        "ready_checker" => gen(ReadyChecker::default()),
        "egress" => gen(Egress::default()),
        "injector" => gen(Injector::default()),
        "inject_count" => gen(InjectCount::default()),
        "lockstep" => gen(Lockstep::<DEFAULT_SW, DEFAULT_OW>::default()),
        "commit_gate" => gen(CommitGate::new(p.frame_depth_log2 as usize)),
        "fabric" => gen(Fabric::<DEFAULT_SW, DEFAULT_OW>::default()),
        "stream_fifo" => gen(StreamFifo::<DEFAULT_SW>::default()),
        "delay_line" => gen(DelayLine::<DEFAULT_OW>::default()),
        "disk_monitor" => gen(DiskMonitor::default()),
        "fault_log" => gen(FaultLog::default()),
        "event_counter" => gen(EventCounter::default()),
        "uart_bridge" => gen(UartBridge::new(cpb)),
        "regfile" => gen(RegFile::new(&p)),
        "bist_generator" => gen(BistGenerator::default()),
        "bist_checker" => gen(BistChecker::default()),
        _ => return Err(UnknownBlock { name: name.to_string() }),
    };
    Ok(rename_top(&text, name))
}

/// The Verilog of `block` (any instance, e.g. a small one for a formal proof) with its top
/// module called `name` and its children `name$...`.
pub fn module_verilog<B: Block>(block: B, name: &str) -> String {
    rename_top(&gen(block), name)
}

fn rename_top(generated: &str, name: &str) -> String {
    let text = rename_idents(generated, "top$", &format!("{name}$"), true);
    rename_idents(&text, "top", name, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_generates_a_module_of_its_name() {
        for name in BLOCKS.map(|b| b.name) {
            let v = block_verilog(name).unwrap();
            assert!(v.contains(&format!("module {name}(")), "{name}");
            assert!(!v.contains("module top("), "{name}");
        }
        assert!(block_verilog("nope").unwrap_err().to_string().contains("link_checker"));
    }
}
