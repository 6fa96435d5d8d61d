// Formal harness for CmdParser (hdl/src/cmd_parser.rs), as generated (module `cmd_parser`):
// what it answers, and for what.
//
// SPEC §5: "A frame with a bad CRC is never executed", and a response is `5A | status |
// count | data | crc(2)` with status 0x00 ok, 0x01 bad CRC, 0x02 unknown command, 0x03 bad
// address or not writable, 0x04 bad count; an error carries count 0 and no data. The parser
// runs from power-on on free input: any bytes, any pacing, any silence tags, any bus
// answers, any transmitter busy time. The harness frames the requests itself, from the SPEC
// alone — `A5 | cmd | addr(2) | count | data(4×count, writes) | crc(2)`, a byte tagged with
// more than 64 bit times of silence ending the frame in progress and being taken as if
// hunting — and runs CRC-16/IBM-3740 over every byte after the sync byte, the CRC included
// (a good frame leaves residue 0). Properties:
//   response_only_for_a_request  a response begins (its `5A`) only after a whole request
//                    was read and not yet answered: one response per request, none for a
//                    dropped or partial frame, none from nowhere
//   status_bad_crc_iff  the response's status is 0x01 (bad CRC) exactly when the request's
//                    CRC is bad: a request with a good CRC is answered on its merits, one
//                    with a bad CRC only with the documented error
//   status_documented  the status is one SPEC §5 defines (0x00 to 0x04) or the register
//                    file's refusals add (0x05 locked, 0x06 not built; it answers 0, 3, 5 or 6)
//   error_carries_nothing  an error response carries count 0 and no data (it is 5 bytes)
//   ok_echoes_count  a good response echoes the request's count
//   write_only_good_crc  a register is written only for a request with a good CRC that is a
//                    write (cmd 0x02), while it is being answered (before its response)
//   executed_only_good_crc  `executed` pulses only for a request with a good CRC
//   no_read_while_answering  no byte is taken between a request's last byte and the end of
//                    its response
// Environment: the transmitter is busy the cycle after it takes a byte (UartTx is, for the
// byte's time). Exposed: the parser's CRC register, for the lemma `inv_crc_tracks`.
module cmd_parser_response_formal (
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

    wire rx_ready, tx_start, bus_we, executed, dropped;
    wire [7:0] tx_data;
    wire [15:0] bus_addr;
    wire [31:0] bus_wdata;
    wire take = rx_strobe && rx_ready && !f_init;
    wire [15:0] i_crc; // the parser's CRC register (exposed)

    cmd_parser dut (
        .clock(clock), .reset(f_init),
        .rx_strobe(rx_strobe && rx_ready), .rx_data(rx_data), .rx_gap(rx_gap),
        .rx_sync(rx_data == 8'hA5), .rx_nonzero(rx_data != 8'h00),
        .rx_ready(rx_ready), .tx_start(tx_start), .tx_data(tx_data), .tx_busy(tx_busy),
        .\bus$addr (bus_addr), .\bus$wdata (bus_wdata), .\bus$we (bus_we), .\bus$rdata (bus_rdata),
        .\bus$readable (bus_readable), .\bus$writable (bus_writable), .\bus$write_refusal (bus_write_refusal),
        .executed(executed), .dropped(dropped),
        .\crc$q (i_crc)
    );

    // The transmitter (UartTx) is busy from the cycle after it takes a byte for the byte's
    // time: a byte is never taken in two cycles in a row (the parser's `tx_data` is
    // registered from its byte index, so it relies on that).
    reg f_tx_started = 0;
    always @(posedge clock) f_tx_started <= tx_start;
    always @(*) if (f_tx_started) assume(tx_busy);
    // The register file refuses a write with 0x03, 0x05 or 0x06, or not at all.
    always @(*) assume(bus_write_refusal == 0 || bus_write_refusal == 3 || bus_write_refusal == 5 || bus_write_refusal == 6);

    // CRC-16/IBM-3740: poly 0x1021, MSB first.
    function [15:0] crc_byte(input [15:0] c, input [7:0] b);
        integer i;
        reg [15:0] x;
        begin
            x = c ^ {b, 8'h00};
            for (i = 0; i < 8; i = i + 1) x = x[15] ? ((x << 1) ^ 16'h1021) : (x << 1);
            crc_byte = x;
        end
    endfunction

    // --- the request framing, from SPEC §5 ---------------------------------------------------
    localparam H_HUNT = 0, H_CMD = 1, H_AHI = 2, H_ALO = 3, H_CNT = 4, H_DATA = 5, H_CHI = 6, H_CLO = 7;
    reg [2:0] h = H_HUNT;
    reg [7:0] h_cmd = 0;
    reg [10:0] h_left = 0;
    reg [15:0] h_crc = 0;
    // Complete requests read and not yet answered, and the last one's CRC, command and count.
    reg [1:0] owed = 0;
    reg req_good = 0;
    reg [7:0] req_cmd = 0, req_count = 0;
    wire [2:0] h_in = (rx_gap && h != H_HUNT) ? H_HUNT : h;
    wire [15:0] h_crc_next = crc_byte(h_crc, rx_data);
    // The response being sent: its byte index, its status and its length.
    reg [10:0] r_idx = 0;
    reg [7:0] r_status = 0;
    wire [10:0] r_len = (r_status == 0 && req_cmd == 8'h01) ? 11'd5 + {req_count, 2'b00} : 11'd5;
    wire resp_first = tx_start && r_idx == 0;
    always @(posedge clock) begin
        if (take) begin
            h_crc <= h_crc_next;
            case (h_in)
                H_HUNT: if (rx_data == 8'hA5) begin h <= H_CMD; h_crc <= 16'hFFFF; end else h <= H_HUNT;
                H_CMD: begin h_cmd <= rx_data; h <= H_AHI; end
                H_AHI: h <= H_ALO;
                H_ALO: h <= H_CNT;
                H_CNT: begin
                    req_count <= rx_data;
                    h_left <= {1'b0, rx_data, 2'b00};
                    h <= (h_cmd == 8'h02 && rx_data != 0) ? H_DATA : H_CHI;
                end
                H_DATA: begin h_left <= h_left - 1; if (h_left == 1) h <= H_CHI; end
                H_CHI: h <= H_CLO;
                default: begin
                    h <= H_HUNT;
                    owed <= owed + 1;
                    req_good <= h_crc_next == 0;
                    req_cmd <= h_cmd;
                end
            endcase
        end
        if (tx_start) begin
            r_idx <= r_idx + 1;
            if (r_idx == 0) owed <= owed - 1;
            if (r_idx == 1) r_status <= tx_data;
            if (r_idx != 0 && r_idx + 1 == r_len) r_idx <= 0;
        end
        if (f_init) begin h <= H_HUNT; owed <= 0; r_idx <= 0; end
    end
    // The parser reads no byte while it answers (rx_ready low), so a request and its response
    // never overlap and `req_*` is the answered request's throughout its response.
    always @(*) if (!f_init) begin
        response_only_for_a_request: assert(!resp_first || (owed == 1 && tx_data == 8'h5A));
        if (tx_start && r_idx == 1) begin
            status_bad_crc_iff: assert((tx_data == 8'h01) == !req_good);
            status_documented: assert(tx_data <= 8'h06);
        end
        if (tx_start && r_idx == 2) begin
            error_carries_nothing: assert(r_status == 0 || (tx_data == 0 && r_len == 5));
            ok_echoes_count: assert(r_status != 0 || tx_data == req_count);
        end
        write_only_good_crc: assert(!bus_we || (owed == 1 && r_idx == 0 && req_good && req_cmd == 8'h02));
        executed_only_good_crc: assert(!executed || req_good);
        no_read_while_answering: assert(!(rx_ready && (owed != 0 || r_idx != 0)));
        // The parser's CRC register is the harness's CRC over the frame so far (a lemma: the
        // solver then need not unroll two CRC networks side by side).
        if (h != H_HUNT) inv_crc_tracks: assert(i_crc == h_crc);
    end

    always @(*) begin
        cover_bad_crc_answered: cover(tx_start && r_idx == 1 && tx_data == 8'h01);
        cover_good_read_answered: cover(tx_start && r_idx == 1 && tx_data == 8'h00 && req_cmd == 8'h01);
        cover_write_done: cover(bus_we);
    end
endmodule
