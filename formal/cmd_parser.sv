// Formal harness for CmdParser (hdl/src/cmd_parser.rs), as generated (module `cmd_parser`).
//
// SPEC §5: "A frame whose bytes stop arriving for more than 64 bit times is dropped and the
// parser hunts for A5 again. No input, however malformed, hangs the parser." The UartBridge
// measures the silence and tags the next byte (`rx_gap`); the parser, when it takes a tagged
// byte, drops the frame in progress and takes the byte as if hunting. This harness proves
// that this is a return to idle from ANY state the parser can be in, by a miter: `dut` runs
// from power-on on free input (any bytes, any pacing, any bus answers, any transmitter
// busy time); `fresh` is held in reset until the cycle `dut` takes a tagged byte while
// reading a request, then gets the same inputs. From then on the two must be
// indistinguishable at every output that means anything:
//   gap_is_idle_ready     `rx_ready` equal
//   gap_is_idle_tx        a response byte sent by one is sent, with the same value, by the other
//   gap_is_idle_bus       a register write by one is done, with the same index and data, by
//                         the other (so a dropped frame never writes a register)
//   gap_is_idle_executed  `executed` equal
// Every frame the fresh parser would answer, the old one answers the same, whatever it was
// doing before the silence. Lemmas (labelled `inv_*`, checked like the rest, over the
// parsers' exposed `state`, `crc` and `tx_idx`): from the cycle after the gap byte the two
// are in the same state with the same CRC register (in a frame) and response index, and a
// parser reading a request has no response under way. The solver then need not unroll two
// CRC networks and two parsers side by side to see it: depth 16 takes seconds, not minutes.
// Environment: the transmitter is busy the cycle after it takes a byte (UartTx is).
module cmd_parser_formal (
    input clock,
    input rx_strobe,
    input [7:0] rx_data,
    input rx_gap,
    input tx_busy,
    input [31:0] bus_rdata,
    input bus_readable,
    input bus_writable,
    input [2:0] bus_write_refusal
);
    reg f_init = 1;
    always @(posedge clock) f_init <= 0;

    // The bridge decodes these from the byte.
    wire rx_sync = rx_data == 8'hA5;
    wire rx_nonzero = rx_data != 8'h00;

    wire d_rx_ready, d_tx_start, d_bus_we, d_executed, d_dropped;
    wire [7:0] d_tx_data;
    wire [15:0] d_bus_addr;
    wire [31:0] d_bus_wdata;
    wire f_rx_ready, f_tx_start, f_bus_we, f_executed, f_dropped;
    wire [7:0] f_tx_data;
    wire [15:0] f_bus_addr;
    wire [31:0] f_bus_wdata;

    // The transmitter (UartTx) is busy from the cycle after it takes a byte (for the byte's
    // time): no byte is taken in two cycles in a row.
    reg f_tx_started = 0;
    always @(posedge clock) f_tx_started <= d_tx_start || f_tx_start;
    always @(*) if (f_tx_started) assume(tx_busy);

    // The parser takes a byte only while `rx_ready` (the bridge holds it in a register).
    wire d_strobe = rx_strobe && d_rx_ready;

    wire [3:0] d_state, f_state;
    wire [15:0] d_crc, f_crc;
    wire [7:0] d_tx_idx, f_tx_idx;
    reg started = 0;
    wire trigger = !started && !f_init && d_strobe && rx_gap;
    always @(posedge clock) if (trigger) started <= 1;
    wire live = started || trigger;

    cmd_parser dut (
        .clock(clock), .reset(f_init),
        .rx_strobe(d_strobe), .rx_data(rx_data), .rx_gap(rx_gap), .rx_sync(rx_sync), .rx_nonzero(rx_nonzero),
        .rx_ready(d_rx_ready), .tx_start(d_tx_start), .tx_data(d_tx_data), .tx_busy(tx_busy),
        .\bus$addr (d_bus_addr), .\bus$wdata (d_bus_wdata), .\bus$we (d_bus_we), .\bus$rdata (bus_rdata),
        .\bus$readable (bus_readable), .\bus$writable (bus_writable), .\bus$write_refusal (bus_write_refusal), .executed(d_executed), .dropped(d_dropped),
        .\state$q (d_state), .\crc$q (d_crc), .\tx_idx$q (d_tx_idx)
    );
    cmd_parser fresh (
        .clock(clock), .reset(!live),
        .rx_strobe(live && d_strobe), .rx_data(rx_data), .rx_gap(rx_gap), .rx_sync(rx_sync), .rx_nonzero(rx_nonzero),
        .rx_ready(f_rx_ready), .tx_start(f_tx_start), .tx_data(f_tx_data), .tx_busy(tx_busy),
        .\bus$addr (f_bus_addr), .\bus$wdata (f_bus_wdata), .\bus$we (f_bus_we), .\bus$rdata (bus_rdata),
        .\bus$readable (bus_readable), .\bus$writable (bus_writable), .\bus$write_refusal (bus_write_refusal), .executed(f_executed), .dropped(f_dropped),
        .\state$q (f_state), .\crc$q (f_crc), .\tx_idx$q (f_tx_idx)
    );

    always @(*) if (started) begin
        inv_same_state: assert(d_state == f_state);
        if (f_state != 0) inv_same_crc: assert(d_crc == f_crc);
        inv_same_tx_idx: assert(d_tx_idx == f_tx_idx);
    end
    always @(*) if (!f_init && d_rx_ready) inv_tx_idx_idle: assert(d_tx_idx == 0);
    always @(*) if (live) begin
        gap_is_idle_ready: assert(d_rx_ready == f_rx_ready);
        gap_is_idle_tx: assert(d_tx_start == f_tx_start && (!d_tx_start || d_tx_data == f_tx_data));
        gap_is_idle_bus: assert(d_bus_we == f_bus_we && (!d_bus_we || (d_bus_addr == f_bus_addr && d_bus_wdata == f_bus_wdata)));
        gap_is_idle_executed: assert(d_executed == f_executed);
    end

    // Words that show the miter is not vacuous: the old parser was inside a frame, and
    // after the gap both answer a request.
    always @(*) begin
        cover_dropped_then_answer: cover(started && d_tx_start && d_tx_data == 8'h5A);
        cover_dropped_mid_frame: cover(trigger && d_dropped);
    end
endmodule
