// Formal harness for StreamFifo<AW> (hdl/src/stream_fifo.rs), as generated (module
// `stream_fifo`). `ftio prove` passes AW. The FIFO holds 2^AW words in RAM plus the head.
//
// Inputs are free every cycle (any handshake: the source may drop `in_valid` or change
// `in_data` while not taken, the sink may pop at any time, reset may come at any cycle), and
// the power-on state is the one the generated Verilog's initial values give.
//
// Properties (labels are what `ftio prove` reports):
//   fill_exact / fill_bound  the fill output is the number of words taken and not yet popped,
//                            and never above 2^AW + 1
//   no_overflow              `in_ready` is high exactly while a word fits (so no word is
//                            taken into a full FIFO, and none refused while one fits)
//   no_underflow             `out_valid` is high exactly while a word is held (no word offered
//                            from an empty FIFO, no held word hidden)
//   out_holds                SPEC §2 on the output side: a word offered and not popped is
//                            offered again, unchanged, the next cycle
//   first_at_head / twin_in_order
//                            ZipCPU's twin-write contract: two values written back to back at
//                            an arbitrary moment come out in the same order, one right after
//                            the other (with nothing lost, repeated or reordered before them:
//                            the first is at the head exactly when all the words ahead of it
//                            have been popped)
module stream_fifo_formal (
    input clock,
    input reset,
    input in_valid,
    input [39:0] in_data,
    input out_pop
);
    localparam CAP = (1 << `AW) + 1;

    wire in_ready, out_valid;
    wire [39:0] out_data;
    wire [15:0] fill;

    // Internal state, exposed by `ftio prove` for the induction invariants (inv_*) only.
    wire [15:0] i_count;
    wire i_head_valid, i_stored, i_full;
    wire [39:0] i_head, i_fwd_data, i_read_data, i_m0, i_m1, i_m2, i_m3;
    wire [`AW-1:0] i_rptr, i_wptr;

    stream_fifo dut (
        .clock(clock), .reset(reset),
        .in_valid(in_valid), .in_data(in_data), .in_ready(in_ready),
        .out_valid(out_valid), .out_data(out_data), .out_pop(out_pop),
        .fill(fill),
        .\count$q (i_count), .\head_valid$q (i_head_valid), .\head$q (i_head),
        .\rptr$q (i_rptr), .\wptr$q (i_wptr), .\fwd_data$q (i_fwd_data),
        .\stored$q (i_stored), .\full$q (i_full), .\ram.read_data (i_read_data),
        .\ram.mem[0] (i_m0), .\ram.mem[1] (i_m1), .\ram.mem[2] (i_m2), .\ram.mem[3] (i_m3)
    );
    function [39:0] mem_at(input [`AW-1:0] a);
        case (a)
            0: mem_at = i_m0;
            1: mem_at = i_m1;
            2: mem_at = i_m2;
            default: mem_at = i_m3;
        endcase
    endfunction
    wire [`AW-1:0] i_used = i_wptr - i_rptr;

    wire push = in_valid && in_ready;
    wire pop = out_valid && out_pop;

    // The harness's own count of words held.
    reg [15:0] f_count = 0;
    always @(posedge clock)
        if (reset) f_count <= 0;
        else f_count <= f_count + push - pop;

    reg f_past = 0;
    always @(posedge clock) f_past <= 1;

    always @(*) begin
        fill_exact: assert(fill == f_count);
        fill_bound: assert(f_count <= CAP);
        no_overflow: assert(in_ready == (f_count != CAP));
        no_underflow: assert(out_valid == (f_count != 0));
    end

    reg p_offer = 0;
    reg [39:0] p_data = 0;
    always @(posedge clock) begin
        p_offer <= out_valid && !out_pop && !reset;
        p_data <= out_data;
    end
    always @(*) if (f_past && p_offer) out_holds: assert(out_valid && out_data == p_data);

    // --- twin write -----------------------------------------------------------------------
    // At a moment the solver picks (`f_pick`), the word `f_first` is taken; if the next word
    // taken is `f_second` the pair is tracked until both have left. `f_ahead` counts the
    // words taken before `f_first` and not yet popped.
    (* anyconst *) reg [39:0] f_first;
    (* anyconst *) reg [39:0] f_second;
    (* anyseq *) reg f_pick;
    localparam IDLE = 0, FIRST_IN = 1, BOTH_IN = 2, FIRST_OUT = 3;
    reg [1:0] f_state = IDLE;
    reg [15:0] f_ahead = 0;
    always @(posedge clock) begin
        case (f_state)
            IDLE:
                if (push && f_pick && in_data == f_first) begin
                    f_state <= FIRST_IN;
                    f_ahead <= f_count - pop;
                end
            FIRST_IN:
                if (pop && f_ahead == 0) f_state <= IDLE; // left before a second was taken
                else if (push) f_state <= (in_data == f_second) ? BOTH_IN : IDLE;
            BOTH_IN:
                if (pop && f_ahead == 0) f_state <= FIRST_OUT;
            FIRST_OUT:
                if (pop) f_state <= IDLE;
        endcase
        if (f_state != IDLE && pop && f_ahead != 0) f_ahead <= f_ahead - 1;
        if (reset) f_state <= IDLE;
    end

    always @(*) begin
        if (f_state == FIRST_IN || f_state == BOTH_IN) begin
            tracked_held: assert(f_ahead + (f_state == BOTH_IN ? 2 : 1) <= f_count);
            // Until the second is taken, the first is the newest word.
            if (f_state == FIRST_IN) inv_first_newest: assert(f_ahead + 1 == f_count);
            if (f_ahead == 0) first_at_head: assert(out_valid && out_data == f_first);
        end
        if (f_state == FIRST_OUT) twin_in_order: assert(out_valid && out_data == f_second);
    end

    // Induction invariants: the RAM, pointers and flags agree with the harness's count, and the
    // tracked words are where their position says.
    always @(*) begin
        inv_count: assert(i_count + i_head_valid == f_count && i_count <= (1 << `AW));
        inv_flags: assert(i_stored == (i_count != 0) && i_full == (i_count == (1 << `AW)));
        inv_head: assert(i_count == 0 || i_head_valid);
        inv_pointers: assert(i_stored ? (i_used == i_count[`AW-1:0]) : (i_used <= 1 && (!i_head_valid || i_used == 1)));
        // The read port shows the RAM's word xor the forward register.
        if (i_stored) inv_read_port: assert((i_read_data ^ i_fwd_data) == mem_at(i_rptr));
        // The RAM still holds the head's word, just before the stored ones (at `rptr` while
        // none is stored), unless the RAM is full: what a forward is read against.
        if (i_head_valid && !i_full) inv_head_copy: assert(mem_at(i_stored ? i_rptr - 1 : i_rptr) == i_head);
        if ((f_state == FIRST_IN || f_state == BOTH_IN) && f_ahead != 0)
            inv_first_in_ram: assert(mem_at(i_rptr + f_ahead - 1) == f_first);
        if (f_state == BOTH_IN)
            inv_second_in_ram: assert(mem_at(i_rptr + f_ahead) == f_second);
    end

    always @(*) begin
        cover_full: cover(f_count == CAP && !reset);
        cover_twin_out: cover(f_state == FIRST_OUT && pop && f_first != f_second);
        // The pair taken into a FIFO with 2^AW - 1 words ahead of it: full behind them.
        cover_twin_deep: cover(f_state == BOTH_IN && f_ahead == CAP - 2 && f_first != f_second);
    end
endmodule
