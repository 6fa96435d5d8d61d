// One computing element of the real-CPU system (docs/cpu.md): a PicoRV32 (module
// ftio_picorv32, ftio_picorv32.v: the configuration the board's CPU side uses too) with its own
// memory, its CPU port onto ftio (module ftio_cpu_port, generated from hdl/src/cpu_port.rs)
// and a console. Two of these, each with the same firmware image, face ftio_core's cpu_a_*
// and cpu_b_* links.
//
// The memory map — RAM, CPU port, CONSOLE, RESULT, a bus error for any other address — is
// module ftio_cpu_bus (ftio_cpu_bus.v), which the board's CPU side instantiates too.
//
// The RAM answers one cycle after mem_valid (a registered read, as a block RAM does).
// dbg_*: a word port into the RAM, used by the simulation to load the firmware image while
// `reset` holds the CPU, and to model an upset (a flipped bit) during a run; on a board the
// image comes from the bitstream's RAM initialisation instead.
module ftio_cpu_side #(
    parameter integer MEM_WORDS = 16384
) (
    input         clock,
    input         reset,          // high: CPU held (not started); low: running
    output        tx_valid,
    output [31:0] tx_data,
    output        tx_last,
    output        tx_abort,
    output [3:0]  tx_par,
    output        tx_cpar,
    input         tx_ready,
    input         tx_rpar,
    input         rx_valid,
    input  [31:0] rx_data,
    input         rx_last,
    input         rx_abort,
    input  [3:0]  rx_par,
    input         rx_cpar,
    output        rx_ready,
    output        rx_rpar,
    output        console_valid,
    output [7:0]  console_char,
    output        result_valid,
    output [31:0] result,
    output        trap,
    output        bus_error,
    output [31:0] bus_addr,       // address of the access in progress (for timelines)
    input         dbg_we,
    input  [31:0] dbg_addr,       // word index
    input  [31:0] dbg_wdata,
    output [31:0] dbg_rdata
);
    wire        mem_valid, mem_instr;
    wire [31:0] mem_addr, mem_wdata;
    wire [3:0]  mem_wstrb;
    wire        mem_ready;
    wire [31:0] mem_rdata;

    // PicoRV32 in the system's configuration (ftio_picorv32.v, shared with the board's CPU side).
    ftio_picorv32 #(.MEM_WORDS(MEM_WORDS)) cpu (
        .clk(clock), .resetn(!reset), .trap(trap),
        .mem_valid(mem_valid), .mem_instr(mem_instr), .mem_ready(mem_ready), .mem_addr(mem_addr),
        .mem_wdata(mem_wdata), .mem_wstrb(mem_wstrb), .mem_rdata(mem_rdata)
    );

    // The memory map (ftio_cpu_bus.v, shared with the board's CPU side).
    wire        sel_ram, sel_port;
    reg         ram_ready;
    reg  [31:0] ram_rdata;
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

    // RAM: registered read, byte-enabled write, answers one cycle after mem_valid.
    reg [31:0] ram [0:MEM_WORDS-1];
    wire [31:0] word = mem_addr[31:2];
    always @(posedge clock) begin
        ram_ready <= 1'b0;
        if (mem_valid && sel_ram && !ram_ready) begin
            ram_ready <= 1'b1;
            ram_rdata <= ram[word];
            if (mem_wstrb[0]) ram[word][7:0]   <= mem_wdata[7:0];
            if (mem_wstrb[1]) ram[word][15:8]  <= mem_wdata[15:8];
            if (mem_wstrb[2]) ram[word][23:16] <= mem_wdata[23:16];
            if (mem_wstrb[3]) ram[word][31:24] <= mem_wdata[31:24];
        end
        if (dbg_we) ram[dbg_addr] <= dbg_wdata;
        if (reset) ram_ready <= 1'b0;
    end
    assign dbg_rdata = ram[dbg_addr];

    // The CPU port.
    ftio_cpu_port port (
        .clock(clock),
        .reset(reset),
        .mem_valid(mem_valid && sel_port),
        .mem_addr(mem_addr),
        .mem_wdata(mem_wdata),
        .mem_wstrb(mem_wstrb),
        .mem_ready(port_ready),
        .mem_rdata(port_rdata),
        .tx_valid(tx_valid),
        .tx_data(tx_data),
        .tx_last(tx_last),
        .tx_abort(tx_abort),
        .tx_par(tx_par),
        .tx_cpar(tx_cpar),
        .tx_ready(tx_ready),
        .tx_rpar(tx_rpar),
        .rx_valid(rx_valid),
        .rx_data(rx_data),
        .rx_last(rx_last),
        .rx_abort(rx_abort),
        .rx_par(rx_par),
        .rx_cpar(rx_cpar),
        .rx_ready(rx_ready),
        .rx_rpar(rx_rpar)
    );

    assign bus_addr  = mem_valid ? mem_addr : 32'hFFFF_FFFF;
endmodule
