//! The system top (`ftio build --board ulx3s --top system`): the real system of SPEC §7 on a
//! board — two PicoRV32, each with its own block RAM initialised with the firmware image and
//! its own CPU port, the generated `ftio_core`, two block-RAM disk stand-ins that answer the
//! frame format of docs/frame-format.md, the UART for `ftctl`, a console per CPU and LEDs.
//! Like the rest of this crate it takes its parts as text: the core, PicoRV32 (`picorv32.v`
//! from the PyPI package in the project venv), the CPU port (`ftio_cpu_port`, generated from
//! hdl/src/cpu_port.rs) and the firmware image come from the caller (`ftio build`).
use crate::board::{Board, Family, Pin, PORT_CLOCK, PORT_RESET_BUTTON, PORT_UART_RX, PORT_UART_TX};
use crate::constraints::parse_lpf;
use crate::flow::{core_params, TopSources};
use crate::top::{clock_reset_uart_verilog, core_ports, Dir, LINKS_INTO_CORE, LINKS_OUT_OF_CORE};
use anyhow::{bail, Context, Result};
use std::fmt::Write;

/// The disks, the console and the firmware's memory map: sim/verilog/ftio_cpu_side.v's, so
/// the same image runs here and in `ftio demo --cpu picorv32`.
pub const SYSTEM_PARTS_VERILOG: &str = include_str!("../verilog/system_parts.v");

/// Words of RAM per CPU (64 KiB, `firmware/link.ld`): the same as the simulation's CPU side.
pub const MEM_WORDS: usize = 16384;
/// log2 of each disk stand-in's sectors: 64 sectors (32 KiB), enough for the firmware's
/// workload (`firmware/workload.h`: LBAs 5..57).
pub const DISK_SECTORS_LOG2: u32 = 6;
/// Console baud (both consoles), 8N1.
pub const CONSOLE_BAUD: u64 = 115_200;

/// The system top's ports beyond the BIST top's clock, reset and UART.
pub const PORT_RESTART_BUTTON: &str = "btn_restart";
pub const PORT_CONSOLE_A: &str = "console_a_tx";
pub const PORT_CONSOLE_B: &str = "console_b_tx";

/// What a system-top LED shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemLed {
    /// The core's `irq`: a fault latched and not yet acknowledged.
    Irq,
    /// Toggles about once a second while the clock runs.
    Heartbeat,
    /// ~20 ms after any activity on the `ftctl` UART.
    Uart,
    /// The core is out of reset.
    Running,
    /// CPU A's firmware stored RESULT = 0 (pass) since its last start.
    PassA,
    /// CPU B's likewise.
    PassB,
    /// Either CPU's firmware reported a failure (RESULT ≠ 0), trapped or made a bus error.
    Fail,
    /// ~20 ms after a word moved on either disk link.
    Disk,
}

impl SystemLed {
    pub fn port(self) -> &'static str {
        match self {
            SystemLed::Irq => "led_irq",
            SystemLed::Heartbeat => "led_heartbeat",
            SystemLed::Uart => "led_uart",
            SystemLed::Running => "led_running",
            SystemLed::PassA => "led_pass_a",
            SystemLed::PassB => "led_pass_b",
            SystemLed::Fail => "led_fail",
            SystemLed::Disk => "led_disk",
        }
    }
}

/// A board that can carry the system: its extra pins and its constraint file.
#[derive(Clone, Debug)]
pub struct SystemBoard {
    pub board: &'static str,
    pub restart_button: Pin,
    pub console_a: Pin,
    pub console_b: Pin,
    /// LEDs in the board's LED order (all active high on the ULX3S).
    pub leds: Vec<(SystemLed, Pin)>,
    pub constraint_file: &'static str,
    pub constraint_text: &'static str,
    /// The clock the system runs at (the board's PLL is set for it).
    pub clock_hz: u64,
}

const fn pin(pin: &'static str) -> Pin {
    Pin { pin, active_low: false }
}

/// The system clock on the ULX3S: 50 MHz. See docs/boards.md, "The system top".
pub const ULX3S_SYSTEM_HZ: u64 = 50_000_000;

/// The board table's entry for the system top on `board` (the ULX3S only: the iCE40 boards
/// have 32 and 30 4-kbit block RAMs, and each CPU's RAM alone needs 128 of them).
pub fn system_board(board: &str) -> Result<SystemBoard> {
    match board {
        "ulx3s" => Ok(SystemBoard {
            board: "ulx3s",
            restart_button: pin("T1"), // FIRE2, pulled down, high when pressed
            console_a: pin("B11"),     // gp[0], J1 pin 5
            console_b: pin("A10"),     // gp[1], J1 pin 7
            leds: vec![
                (SystemLed::Irq, pin("B2")),
                (SystemLed::Heartbeat, pin("C2")),
                (SystemLed::Uart, pin("C1")),
                (SystemLed::Running, pin("D2")),
                (SystemLed::PassA, pin("D1")),
                (SystemLed::PassB, pin("E2")),
                (SystemLed::Fail, pin("E1")),
                (SystemLed::Disk, pin("H3")),
            ],
            constraint_file: "constraints/ulx3s-system.lpf",
            constraint_text: include_str!("../../constraints/ulx3s-system.lpf"),
            clock_hz: ULX3S_SYSTEM_HZ,
        }),
        other => bail!(
            "--top system is built for the ulx3s only (`{other}` has too little block RAM for two CPUs' 64 KiB and the disks)"
        ),
    }
}

impl SystemBoard {
    /// The board of the table with the system's clock, placed at nextpnr's default seed: a
    /// board's placer seed (`Board::placer_seed`) is chosen for its BIST top's netlist, not
    /// this one (the system top's own figures: docs/boards.md, "Clock: 50 MHz").
    pub fn clocked_board(&self) -> Result<Board> {
        let mut board = crate::board::board(self.board)?.with_core_hz(self.clock_hz)?;
        board.placer_seed = None;
        Ok(board)
    }

    /// Every port of the system top with its pin.
    pub fn top_pins(&self, board: &Board) -> Vec<(&'static str, Pin)> {
        let mut v = vec![
            (PORT_CLOCK, pin(board.clock_pin)),
            (PORT_RESET_BUTTON, board.reset_button),
            (PORT_RESTART_BUTTON, self.restart_button),
            (PORT_UART_RX, board.uart_rx),
            (PORT_UART_TX, board.uart_tx),
            (PORT_CONSOLE_A, self.console_a),
            (PORT_CONSOLE_B, self.console_b),
        ];
        v.extend(self.leds.iter().map(|(l, p)| (l.port(), *p)));
        v
    }

    /// The constraint file constrains exactly the system top's ports, each to its pin.
    pub fn check_constraints(&self, board: &Board) -> Result<()> {
        if board.family != Family::Ecp5 {
            bail!("the system top's constraint file is an ECP5 .lpf");
        }
        let parsed = parse_lpf(self.constraint_text).with_context(|| format!("in {}", self.constraint_file))?;
        let top = self.top_pins(board);
        for (port, p) in &top {
            match parsed.get(*port) {
                None => bail!("{}: system top port `{port}` is not constrained", self.constraint_file),
                Some(c) if c.pin != p.pin => {
                    bail!("{}:{}: `{port}` is on pin {} but the table says {}", self.constraint_file, c.line, c.pin, p.pin)
                }
                Some(_) => {}
            }
        }
        for (port, c) in &parsed {
            if !top.iter().any(|(p, _)| p == port) {
                bail!("{}:{}: `{port}` is not a port of the system top", self.constraint_file, c.line);
            }
        }
        Ok(())
    }
}

/// The parts of the system that come from elsewhere.
pub struct SystemParts<'a> {
    /// `ftio_core` generated for the system clock.
    pub core_verilog: &'a str,
    /// `picorv32.v` (module `picorv32`).
    pub picorv32_verilog: &'a str,
    /// `ftio_picorv32.v` (module `ftio_picorv32`): PicoRV32 in the system's configuration,
    /// the one the simulation's CPU side instantiates too (`ftio_sim::cpu_side::PICORV32_CONFIG_VERILOG`).
    pub picorv32_config_verilog: &'a str,
    /// `ftio_cpu_bus.v` (module `ftio_cpu_bus`): the memory map — address decode, CONSOLE
    /// and RESULT, the bus error — the simulation's CPU side instantiates too
    /// (`ftio_sim::cpu_side::CPU_BUS_VERILOG`).
    pub cpu_bus_verilog: &'a str,
    /// `ftio_cpu_port` (`ftio_hdl::cpu_port::cpu_port_verilog()`).
    pub cpu_port_verilog: &'a str,
    /// The firmware image as little-endian words, loaded at address 0 of both CPUs' RAM.
    pub firmware: &'a [u32],
}

/// Everything yosys reads for the system top, and its constraint file.
pub fn system_sources(sys: &SystemBoard, board: &Board, parts: &SystemParts) -> Result<TopSources> {
    sys.check_constraints(board)?;
    if !parts.core_verilog.contains("module ftio_core") {
        bail!("the core Verilog has no `module ftio_core`");
    }
    if !parts.picorv32_verilog.contains("module picorv32") {
        bail!("the PicoRV32 Verilog has no `module picorv32`");
    }
    if !parts.picorv32_config_verilog.contains("module ftio_picorv32") {
        bail!("the PicoRV32 configuration Verilog has no `module ftio_picorv32`");
    }
    if !parts.cpu_bus_verilog.contains("module ftio_cpu_bus") {
        bail!("the memory map Verilog has no `module ftio_cpu_bus`");
    }
    if !parts.cpu_port_verilog.contains("module ftio_cpu_port") {
        bail!("the CPU port Verilog has no `module ftio_cpu_port`");
    }
    if parts.firmware.is_empty() || parts.firmware.len() > MEM_WORDS {
        bail!("the firmware image has {} words; the RAM holds 1..={MEM_WORDS}", parts.firmware.len());
    }
    Ok(TopSources {
        files: vec![
            ("ftio_core.v".into(), parts.core_verilog.to_string()),
            ("picorv32.v".into(), parts.picorv32_verilog.to_string()),
            ("ftio_picorv32.v".into(), parts.picorv32_config_verilog.to_string()),
            ("ftio_cpu_bus.v".into(), parts.cpu_bus_verilog.to_string()),
            ("ftio_cpu_port.v".into(), parts.cpu_port_verilog.to_string()),
            ("system_parts.v".into(), SYSTEM_PARTS_VERILOG.to_string()),
            ("cpu_side.v".into(), cpu_side_verilog(parts.firmware)),
            ("board_top.v".into(), system_top_verilog(sys, board)),
        ],
        constraint_name: std::path::Path::new(sys.constraint_file).file_name().unwrap().to_string_lossy().into_owned(),
        constraint_text: sys.constraint_text.to_string(),
        core_params: core_params(parts.core_verilog),
    })
}

/// `ftio_board_cpu_side`: one computing element on the board — sim/verilog/ftio_cpu_side.v
/// without the simulation's debug port: the same PicoRV32 (`ftio_picorv32`), the same memory
/// map with its console, RESULT and bus error (`ftio_cpu_bus`), 64 KiB of block RAM holding
/// `firmware` from configuration on (a registered read, answering one cycle after
/// `mem_valid`, as in the simulation) and the CPU port.
pub fn cpu_side_verilog(firmware: &[u32]) -> String {
    let mut init = String::new();
    for (i, w) in firmware.iter().enumerate() {
        if *w != 0 {
            let _ = writeln!(init, "        ram[{i}] = 32'h{w:08x};");
        }
    }
    format!(
        r#"// ftio_board_cpu_side, generated by ftio-bsp (bsp/src/system.rs) with the firmware image
// ({words} words) as the RAM's initial contents; do not edit.
`default_nettype none
module ftio_board_cpu_side (
    input  wire        clock,
    input  wire        reset,          // high: CPU held; low: running (from address 0)
    output wire        tx_valid,
    output wire [31:0] tx_data,
    output wire        tx_last,
    output wire        tx_abort,
    output wire [3:0]  tx_par,
    output wire        tx_cpar,
    input  wire        tx_ready,
    input  wire        tx_rpar,
    input  wire        rx_valid,
    input  wire [31:0] rx_data,
    input  wire        rx_last,
    input  wire        rx_abort,
    input  wire [3:0]  rx_par,
    input  wire        rx_cpar,
    output wire        rx_ready,
    output wire        rx_rpar,
    output wire        console_valid,
    output wire [7:0]  console_char,
    output wire        result_valid,
    output wire [31:0] result,
    output wire        trap,
    output wire        bus_error
);
    localparam integer MEM_WORDS = {mem_words};
    wire        mem_valid, mem_instr;
    wire [31:0] mem_addr, mem_wdata;
    wire [3:0]  mem_wstrb;
    wire        mem_ready;
    wire [31:0] mem_rdata;

    // PicoRV32 in the system's configuration, the simulation's too (ftio_picorv32.v).
    ftio_picorv32 #(.MEM_WORDS(MEM_WORDS)) cpu (
        .clk(clock), .resetn(!reset), .trap(trap),
        .mem_valid(mem_valid), .mem_instr(mem_instr), .mem_ready(mem_ready), .mem_addr(mem_addr),
        .mem_wdata(mem_wdata), .mem_wstrb(mem_wstrb), .mem_rdata(mem_rdata)
    );

    // The memory map, the simulation's too (ftio_cpu_bus.v).
    wire        sel_ram, sel_port;
    reg         ram_ready = 1'b0;
    reg  [31:0] ram_rdata = 32'd0;
    wire        port_ready;
    wire [31:0] port_rdata;
    ftio_cpu_bus #(.MEM_WORDS(MEM_WORDS)) bus (
        .clock(clock), .reset(reset),
        .mem_valid(mem_valid), .mem_addr(mem_addr), .mem_wdata(mem_wdata), .mem_wstrb(mem_wstrb),
        .mem_ready(mem_ready), .mem_rdata(mem_rdata),
        .sel_ram(sel_ram), .ram_ready(ram_ready), .ram_rdata(ram_rdata),
        .sel_port(sel_port), .port_ready(port_ready), .port_rdata(port_rdata),
        .console_valid(console_valid), .console_char(console_char),
        .result_valid(result_valid), .result(result), .bus_error(bus_error)
    );

    // RAM: block RAM, registered read, byte-enabled write, answers one cycle after mem_valid.
    reg [31:0] ram [0:MEM_WORDS-1];
    initial begin
{init}    end
    wire [13:0] word = mem_addr[15:2];
    wire        ram_access = mem_valid && sel_ram && !ram_ready;
    always @(posedge clock) begin
        if (ram_access) begin
            ram_rdata <= ram[word];
            if (mem_wstrb[0]) ram[word][7:0]   <= mem_wdata[7:0];
            if (mem_wstrb[1]) ram[word][15:8]  <= mem_wdata[15:8];
            if (mem_wstrb[2]) ram[word][23:16] <= mem_wdata[23:16];
            if (mem_wstrb[3]) ram[word][31:24] <= mem_wdata[31:24];
        end
    end
    always @(posedge clock) ram_ready <= ram_access && !reset;

    ftio_cpu_port port (
        .clock(clock), .reset(reset),
        .mem_valid(mem_valid && sel_port), .mem_addr(mem_addr), .mem_wdata(mem_wdata), .mem_wstrb(mem_wstrb),
        .mem_ready(port_ready), .mem_rdata(port_rdata),
        .tx_valid(tx_valid), .tx_data(tx_data), .tx_last(tx_last), .tx_abort(tx_abort), .tx_par(tx_par),
        .tx_cpar(tx_cpar), .tx_ready(tx_ready), .tx_rpar(tx_rpar),
        .rx_valid(rx_valid), .rx_data(rx_data), .rx_last(rx_last), .rx_abort(rx_abort), .rx_par(rx_par),
        .rx_cpar(rx_cpar), .rx_ready(rx_ready), .rx_rpar(rx_rpar)
    );

endmodule
`default_nettype wire
"#,
        words = firmware.len(),
        mem_words = MEM_WORDS,
    )
}

fn clog2_floor(x: u64) -> u32 {
    63 - x.leading_zeros()
}

/// The Verilog of the system top, module `board_top`.
pub fn system_top_verilog(sys: &SystemBoard, board: &Board) -> String {
    let hz = board.core_hz;
    let heartbeat_bit = clog2_floor(hz);
    let stretch_bits = clog2_floor(hz / 50);
    let console_cpb = (hz + CONSOLE_BAUD / 2) / CONSOLE_BAUD;
    let mut v = String::new();
    let _ = writeln!(v, "// board_top with the real system for {} ({}) — generated by ftio-bsp (bsp/src/system.rs); do not edit.", board.name, board.description);
    let _ = writeln!(v, "// Clock {hz} Hz from the {} Hz oscillator on pin {}. Two PicoRV32 with the firmware in", board.osc_hz, board.clock_pin);
    let _ = writeln!(v, "// block RAM, each through its CPU port on ftio_core's cpu_a/cpu_b links; two block-RAM disks");
    let _ = writeln!(v, "// on disk_a/disk_b; ftio_core's UART for ftctl; a console per CPU; LEDs. docs/boards.md.");
    let _ = writeln!(v, "`default_nettype none\nmodule board_top (");
    let mut ports = vec![
        format!("    input  wire {PORT_CLOCK}"),
        format!("    input  wire {PORT_RESET_BUTTON}"),
        format!("    input  wire {PORT_RESTART_BUTTON}"),
        format!("    input  wire {PORT_UART_RX}"),
        format!("    output wire {PORT_UART_TX}"),
        format!("    output wire {PORT_CONSOLE_A}"),
        format!("    output wire {PORT_CONSOLE_B}"),
    ];
    ports.extend(sys.leds.iter().map(|(l, _)| format!("    output wire {}", l.port())));
    let _ = writeln!(v, "{}\n);", ports.join(",\n"));
    v.push_str(&clock_reset_uart_verilog(board));

    // The links, as wires named after the core's ports.
    let _ = writeln!(v, "\n    // Every port of ftio_core as a wire of the same name.");
    for p in core_ports().iter().skip(5) {
        if p.width == 1 {
            let _ = writeln!(v, "    wire {};", p.name);
        } else {
            let _ = writeln!(v, "    wire [{}:0] {};", p.width - 1, p.name);
        }
    }
    let restart_pressed = if sys.restart_button.active_low { format!("~{PORT_RESTART_BUTTON}") } else { PORT_RESTART_BUTTON.to_string() };
    let _ = writeln!(
        v,
        r#"
    // CPU reset: both CPUs (and their ports) are held while the core is in reset or the restart
    // button is pressed, and start together from address 0 when both are released: the
    // firmware runs once after configuration and again at every press. (Press it when the
    // firmware has finished: a CPU stopped in the middle of a frame leaves the frame open.)
    reg [1:0] restart_sync = 2'b00;
    always @(posedge clk) restart_sync <= {{restart_sync[0], {restart_pressed}}};
    reg cpu_reset = 1'b1;
    always @(posedge clk) cpu_reset <= core_reset | restart_sync[1];
"#
    );
    for (side, up) in [("a", "A"), ("b", "B")] {
        let _ = writeln!(
            v,
            r#"    // CPU {up}.
    wire cpu_{side}_console_valid, cpu_{side}_result_valid, cpu_{side}_trap, cpu_{side}_bus_error;
    wire [7:0] cpu_{side}_console_char;
    wire [31:0] cpu_{side}_result;
    ftio_board_cpu_side cpu_{side} (
        .clock(clk), .reset(cpu_reset),
        .tx_valid(cpu_{side}_tx_valid), .tx_data(cpu_{side}_tx_data), .tx_last(cpu_{side}_tx_last),
        .tx_abort(cpu_{side}_tx_abort), .tx_par(cpu_{side}_tx_par), .tx_cpar(cpu_{side}_tx_cpar),
        .tx_ready(cpu_{side}_tx_ready), .tx_rpar(cpu_{side}_tx_rpar),
        .rx_valid(cpu_{side}_rx_valid), .rx_data(cpu_{side}_rx_data), .rx_last(cpu_{side}_rx_last),
        .rx_abort(cpu_{side}_rx_abort), .rx_par(cpu_{side}_rx_par), .rx_cpar(cpu_{side}_rx_cpar),
        .rx_ready(cpu_{side}_rx_ready), .rx_rpar(cpu_{side}_rx_rpar),
        .console_valid(cpu_{side}_console_valid), .console_char(cpu_{side}_console_char),
        .result_valid(cpu_{side}_result_valid), .result(cpu_{side}_result),
        .trap(cpu_{side}_trap), .bus_error(cpu_{side}_bus_error)
    );
    /* verilator lint_off PINCONNECTEMPTY */
    ftio_console_uart #(.CLOCKS_PER_BIT({console_cpb})) console_{side} (
        .clock(clk), .reset(core_reset), .put(cpu_{side}_console_valid), .char(cpu_{side}_console_char),
        .tx(console_{side}_tx), .dropped()
    );
    /* verilator lint_on PINCONNECTEMPTY */
    // The firmware's verdict since the CPU last started: RESULT = 0 is a pass; another RESULT,
    // a trap or a bus error a failure.
    reg pass_{side} = 1'b0, fail_{side} = 1'b0;
    always @(posedge clk)
        if (cpu_reset) begin
            pass_{side} <= 1'b0;
            fail_{side} <= 1'b0;
        end else begin
            if (cpu_{side}_result_valid && cpu_{side}_result == 32'd0) pass_{side} <= 1'b1;
            if ((cpu_{side}_result_valid && cpu_{side}_result != 32'd0) || cpu_{side}_trap || cpu_{side}_bus_error) fail_{side} <= 1'b1;
        end
"#
        );
    }
    for (side, up) in [("a", "A"), ("b", "B")] {
        let _ = writeln!(
            v,
            r#"    // Disk {up}: 2^{log2} sectors of block RAM.
    wire disk_{side}_active;
    ftio_bram_disk #(.SECTORS_LOG2({log2})) disk_{side} (
        .clock(clk), .reset(core_reset),
        .in_valid(disk_{side}_tx_valid), .in_data(disk_{side}_tx_data), .in_last(disk_{side}_tx_last),
        .in_abort(disk_{side}_tx_abort), .in_par(disk_{side}_tx_par), .in_cpar(disk_{side}_tx_cpar),
        .in_ready(disk_{side}_tx_ready), .in_rpar(disk_{side}_tx_rpar),
        .out_valid(disk_{side}_rx_valid), .out_data(disk_{side}_rx_data), .out_last(disk_{side}_rx_last),
        .out_abort(disk_{side}_rx_abort), .out_par(disk_{side}_rx_par), .out_cpar(disk_{side}_rx_cpar),
        .out_ready(disk_{side}_rx_ready), .out_rpar(disk_{side}_rx_rpar),
        .active(disk_{side}_active)
    );
"#,
            log2 = DISK_SECTORS_LOG2
        );
    }
    let mut conns = vec![
        "        .clock(clk)".to_string(),
        "        .reset(core_reset)".to_string(),
        "        .uart_rx(core_uart_rx)".to_string(),
        "        .uart_tx(core_uart_tx)".to_string(),
        "        .irq(core_irq)".to_string(),
    ];
    for p in core_ports().iter().skip(5) {
        conns.push(format!("        .{0}({0})", p.name));
    }
    debug_assert!(core_ports().iter().skip(5).all(|p| {
        let link = p.name.rsplitn(2, '_').nth(1).unwrap_or("");
        LINKS_INTO_CORE.contains(&link) || LINKS_OUT_OF_CORE.contains(&link) || p.dir == Dir::Input
    }));
    let _ = writeln!(v, "    ftio_core core (\n{}\n    );", conns.join(",\n"));
    let _ = writeln!(
        v,
        r#"
    // LEDs. Heartbeat: bit {hb} of a free-running counter. UART and disk activity: stretched to
    // 2^{sb} cycles (10-20 ms).
    reg [{hb}:0] heartbeat = {hbw}'d0;
    always @(posedge clk) heartbeat <= heartbeat + {hbw}'d1;
    reg [{sbm}:0] uart_activity = {sb}'d0, disk_activity = {sb}'d0;
    always @(posedge clk) begin
        if (!core_uart_rx || !core_uart_tx) uart_activity <= {{{sb}{{1'b1}}}};
        else if (uart_activity != {sb}'d0) uart_activity <= uart_activity - {sb}'d1;
        if (disk_a_active || disk_b_active) disk_activity <= {{{sb}{{1'b1}}}};
        else if (disk_activity != {sb}'d0) disk_activity <= disk_activity - {sb}'d1;
    end"#,
        hb = heartbeat_bit,
        hbw = heartbeat_bit + 1,
        sb = stretch_bits,
        sbm = stretch_bits - 1,
    );
    for (led, p) in &sys.leds {
        let on = match led {
            SystemLed::Irq => "core_irq".to_string(),
            SystemLed::Heartbeat => format!("heartbeat[{heartbeat_bit}]"),
            SystemLed::Uart => "(uart_activity != 0)".to_string(),
            SystemLed::Running => "reset_done".to_string(),
            SystemLed::PassA => "pass_a".to_string(),
            SystemLed::PassB => "pass_b".to_string(),
            SystemLed::Fail => "(fail_a | fail_b)".to_string(),
            SystemLed::Disk => "(disk_activity != 0)".to_string(),
        };
        let drive = if p.active_low { format!("~{on}") } else { on };
        let _ = writeln!(v, "    assign {} = {drive};", led.port());
    }
    let _ = writeln!(v, "endmodule\n`default_nettype wire");
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulx3s_system_pins_match_its_constraint_file() {
        let sys = system_board("ulx3s").unwrap();
        let board = sys.clocked_board().unwrap();
        sys.check_constraints(&board).unwrap();
        assert_eq!(board.core_hz, ULX3S_SYSTEM_HZ);
        assert!(system_board("alchitry-cu").is_err());
    }

    #[test]
    fn cpu_side_holds_the_image() {
        let v = cpu_side_verilog(&[0x0000_0013, 0, 0xDEAD_BEEF]);
        assert!(v.contains("ram[0] = 32'h00000013;"));
        assert!(!v.contains("ram[1] ="));
        assert!(v.contains("ram[2] = 32'hdeadbeef;"));
    }

    /// PicoRV32's parameters are written once, in `ftio_picorv32` (sim/verilog/ftio_picorv32.v):
    /// the board's CPU side and the simulation's instantiate that module, neither `picorv32`
    /// with parameters of its own.
    #[test]
    fn both_cpu_sides_use_the_one_picorv32_configuration() {
        let board = cpu_side_verilog(&[0x0000_0013]);
        let sim = include_str!("../../sim/verilog/ftio_cpu_side.v");
        for (name, v) in [("ftio_board_cpu_side", board.as_str()), ("ftio_cpu_side", sim)] {
            assert!(v.contains("ftio_picorv32 #(.MEM_WORDS(MEM_WORDS)) cpu ("), "{name}:\n{v}");
            assert_eq!(v.matches("picorv32 #(").count(), 1, "{name} instantiates PicoRV32 only through ftio_picorv32:\n{v}");
        }
    }

    /// The memory map — address decode, CONSOLE, RESULT, the bus error, the ready / read-data
    /// mux — is written once, in `ftio_cpu_bus` (sim/verilog/ftio_cpu_bus.v): both CPU sides
    /// instantiate it and decode no address of their own.
    #[test]
    fn both_cpu_sides_use_the_one_memory_map() {
        let bus = include_str!("../../sim/verilog/ftio_cpu_bus.v");
        assert!(bus.contains("module ftio_cpu_bus") && bus.contains("29'h0400_0000"), "{bus}");
        let board = cpu_side_verilog(&[0x0000_0013]);
        let sim = include_str!("../../sim/verilog/ftio_cpu_side.v");
        for (name, v) in [("ftio_board_cpu_side", board.as_str()), ("ftio_cpu_side", sim)] {
            assert_eq!(v.matches("ftio_cpu_bus #(.MEM_WORDS(MEM_WORDS)) bus (").count(), 1, "{name}:\n{v}");
            for own in ["sel_con", "sel_none", "con_store", "bus_error <=", "28'h1000_000", "29'h0400_0000"] {
                assert!(!v.contains(own), "{name} has its own `{own}`:\n{v}");
            }
        }
    }
}
