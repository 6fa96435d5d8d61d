// The system's CPU: PicoRV32 in the one configuration both computing elements use — the
// simulation's (sim/verilog/ftio_cpu_side.v, `ftio demo --cpu picorv32`) and the board's
// (`ftio_board_cpu_side`, bsp/src/system.rs, `ftio build --top system`) — so the firmware that
// passes in simulation is built for, and runs on, the same CPU on the board. docs/cpu.md.
//
// RV32I (no compressed instructions, no MUL/DIV: the firmware is built -march=rv32i), the
// cycle and instret counters, a dual-port register file and barrel shifter (speed, not
// behaviour), no interrupts, a trap on a misaligned access or an illegal instruction (a
// failure the board's FAIL LED shows), started at address 0 with the stack at the top of its
// MEM_WORDS words of RAM. Only the native memory interface is used: PCPI and the look-ahead
// and trace outputs are tied off here.
module ftio_picorv32 #(
    parameter integer MEM_WORDS = 16384
) (
    input         clk,
    input         resetn,
    output        trap,
    output        mem_valid,
    output        mem_instr,
    input         mem_ready,
    output [31:0] mem_addr,
    output [31:0] mem_wdata,
    output [3:0]  mem_wstrb,
    input  [31:0] mem_rdata
);
    picorv32 #(
        .ENABLE_COUNTERS(1),
        .ENABLE_REGS_DUALPORT(1),
        .BARREL_SHIFTER(1),
        .COMPRESSED_ISA(0),
        .ENABLE_MUL(0),
        .ENABLE_DIV(0),
        .ENABLE_IRQ(0),
        .CATCH_MISALIGN(1),
        .CATCH_ILLINSN(1),
        .PROGADDR_RESET(32'h0000_0000),
        .STACKADDR(4 * MEM_WORDS)
    ) cpu (
        .clk(clk),
        .resetn(resetn),
        .trap(trap),
        .mem_valid(mem_valid),
        .mem_instr(mem_instr),
        .mem_ready(mem_ready),
        .mem_addr(mem_addr),
        .mem_wdata(mem_wdata),
        .mem_wstrb(mem_wstrb),
        .mem_rdata(mem_rdata),
        .mem_la_read(),
        .mem_la_write(),
        .mem_la_addr(),
        .mem_la_wdata(),
        .mem_la_wstrb(),
        .pcpi_valid(),
        .pcpi_insn(),
        .pcpi_rs1(),
        .pcpi_rs2(),
        .pcpi_wr(1'b0),
        .pcpi_rd(32'b0),
        .pcpi_wait(1'b0),
        .pcpi_ready(1'b0),
        .irq(32'b0),
        .eoi(),
        .trace_valid(),
        .trace_data()
    );
endmodule
