// The system's memory map (docs/cpu.md): what a computing element's PicoRV32 sees on its
// memory bus apart from its RAM and CPU port — the address decode, the console and RESULT
// stores, the bus error, and the ready / read-data mux. The one place it is written: the
// simulation's CPU side (sim/verilog/ftio_cpu_side.v, `ftio demo --cpu picorv32`) and the
// board's (`ftio_board_cpu_side`, bsp/src/system.rs, `ftio build --top system`) both
// instantiate it, so the firmware that passes in simulation finds the same map on the board.
//
// Memory map (byte addresses):
//   0x0000_0000 .. 4*MEM_WORDS-1   RAM: code, data, stack (firmware/link.ld)
//   0x1000_0000 .. 0x1000_000F     CPU port: TX, TX_LAST, RX, STATUS (hdl/src/cpu_port.rs)
//   0x2000_0000                    CONSOLE: a store prints its low byte
//   0x2000_0004                    RESULT: a store reports the firmware's result (and ends it)
// Any other address completes at once (loads read 0) and sets bus_error, which stays set
// until `reset`.
`default_nettype none
module ftio_cpu_bus #(
    parameter integer MEM_WORDS = 16384
) (
    input  wire        clock,
    input  wire        reset,
    // PicoRV32's native memory interface.
    input  wire        mem_valid,
    input  wire [31:0] mem_addr,
    input  wire [31:0] mem_wdata,
    input  wire [3:0]  mem_wstrb,
    output wire        mem_ready,
    output wire [31:0] mem_rdata,
    // The RAM (the caller's: a block RAM with the image on the board, a debug port in
    // simulation): selected, and its answer.
    output wire        sel_ram,
    input  wire        ram_ready,
    input  wire [31:0] ram_rdata,
    // The CPU port: selected, and its answer.
    output wire        sel_port,
    input  wire        port_ready,
    input  wire [31:0] port_rdata,
    output wire        console_valid,
    output wire [7:0]  console_char,
    output wire        result_valid,
    output wire [31:0] result,
    output reg         bus_error = 1'b0
);
    // Address decode.
    assign sel_ram  = mem_addr < 4 * MEM_WORDS;
    assign sel_port = mem_addr[31:4] == 28'h1000_000;
    wire sel_con  = mem_addr[31:3] == 29'h0400_0000;
    wire sel_none = !sel_ram && !sel_port && !sel_con;

    // Console and RESULT: a store completes at once.
    wire con_store = mem_valid && sel_con && mem_wstrb != 4'b0;
    assign console_valid = con_store && !mem_addr[2];
    assign console_char  = mem_wdata[7:0];
    assign result_valid  = con_store && mem_addr[2];
    assign result        = mem_wdata;

    always @(posedge clock) begin
        if (reset) bus_error <= 1'b0;
        else if (mem_valid && sel_none) bus_error <= 1'b1;
    end

    assign mem_ready = sel_ram ? ram_ready : sel_port ? port_ready : mem_valid;
    assign mem_rdata = sel_ram ? ram_rdata : sel_port ? port_rdata : 32'b0;
endmodule
`default_nettype wire
