// Formal harness for CommitGate (hdl/src/commit_gate.rs), as generated (module
// `commit_gate`) with a frame buffer of 2^FW words; `ftio prove` passes FW.
//
// Inputs are free (the committed stream may offer anything, `saf` may be requested at any
// cycle, the fabric may stall at any time, reset at any cycle) except that the upstream keeps
// SPEC §2's source rule: a word offered and not taken is offered again, unchanged. Power-on
// state: the generated Verilog's initial values.
//
// The harness keeps its own account of store-and-forward, from the words it sees taken while
// the gate is in store-and-forward (`saf_active`):
//   f_partial  words of the frame on the input, written so far
//   f_over     the frame on the input grew past 2^FW words and is being dropped
//   f_avail    words of frames whose `last` (without `abort`) was written, not yet left
// A taken word ends the frame with `last & abort` (discarded), is word 2^FW + 1 of its frame
// (the frame is discarded, the rest of it dropped up to its `last`), or is written; a written
// `last` releases its frame.
//
// Properties:
//   saf_released_only   store-and-forward: the gate offers a word exactly while a released
//                       word is held; so no word of a frame leaves before its `last` was
//                       written, and a frame ended by `last & abort` or too long (whose words
//                       never join f_avail) leaves nothing
//   saf_word_in_order   an arbitrary word taken in store-and-forward (`f_pick`) whose frame
//                       is released leaves exactly when the words ahead of it have left, and
//                       unchanged: released frames leave whole, in order, nothing lost or
//                       repeated
//   saf_unreleased_stays  the same tracked word, while its frame is not released, stays
//                       behind every released word (with saf_released_only: it never leaves;
//                       if its frame is then discarded it is forgotten, never sent)
//   cut_through_stream  cut-through: a word leaves exactly when one is taken, and it is the
//                       word taken (the out stream is the in stream)
//   out_holds           SPEC §2 on the output: a word offered and not taken is offered again,
//                       unchanged, also across a change of kind
module commit_gate_formal (
    input clock,
    input reset,
    input saf,
    input in_valid,
    input [39:0] in_word,
    input out_ready
);
    localparam CAP = 1 << `FW;

    wire in_ready, out_valid, saf_active, word_out, frame_out, frame_dropped, frame_too_long;
    wire [39:0] out_word;
    wire [15:0] fill;

    commit_gate dut (
        .clock(clock), .reset(reset), .saf(saf),
        .\rx$valid (in_valid), .\rx$data (in_word), .\rx$ready (in_ready),
        .\tx$valid (out_valid), .\tx$data (out_word), .\tx$ready (out_ready),
        .\events$saf_active (saf_active), .\events$word_out (word_out), .\events$frame_out (frame_out),
        .\events$frame_dropped (frame_dropped), .\events$frame_too_long (frame_too_long), .fill(fill),
        .\saf_q$q (i_saf_q), .\in_frame$q (i_in_frame), .\dropping$q (i_dropping),
        .\ct_offer_held$q (i_ct_offer_held), .\wptr$q (i_wptr), .\fstart$q (i_fstart),
        .\rptr$q (i_rptr), .\avail$q (i_avail), .\partial$q (i_partial),
        .\occupied$q (i_occupied), .\frame_full$q (i_frame_full), .\full$q (i_full),
        .\head$q (i_head), .\fwd_data$q (i_fwd_data), .\ram.read_data (i_read_data),
        .\ram.mem[0] (i_m0), .\ram.mem[1] (i_m1), .\ram.mem[2] (i_m2), .\ram.mem[3] (i_m3)
    );
    // Internal state, exposed by `ftio prove` for the induction invariants (inv_*) only (its
    // RAM is then mapped to registers, which the solver handles far faster than an array).
    wire i_saf_q, i_in_frame, i_dropping, i_ct_offer_held, i_frame_full, i_full;
    wire [11:0] i_wptr, i_fstart, i_rptr;
    wire [15:0] i_avail, i_partial, i_occupied;
    wire [39:0] i_head, i_fwd_data, i_read_data, i_m0, i_m1, i_m2, i_m3;
    function [39:0] mem_at(input [`FW-1:0] a);
        case (a)
            0: mem_at = i_m0;
            1: mem_at = i_m1;
            2: mem_at = i_m2;
            default: mem_at = i_m3;
        endcase
    endfunction
    always @(*) inv_saf_shown: assert(i_saf_q == saf_active);

    reg f_past = 0;
    always @(posedge clock) f_past <= 1;
    // Reset last cycle: the RAM's read port then shows the word after the read pointer as it
    // was before the reset, not after it (the read address is not reset; nothing reads it
    // until a word is written, which the head register takes directly).
    reg p_reset = 0;
    always @(posedge clock) p_reset <= reset;

    // SPEC §2: the upstream holds a word until it is taken.
    reg p_in_wait = 0;
    reg [39:0] p_in_word = 0;
    always @(posedge clock) begin
        p_in_wait <= in_valid && !in_ready && !reset;
        p_in_word <= in_word;
    end
    always @(*) if (p_in_wait) assume(in_valid && in_word == p_in_word);

    // Data independence: the gate moves data bits 0-35 and 38-39 without looking at them
    // (it branches on `last` and `abort` only), so two data bits tell the words apart as well
    // as all 38 would and keep the solver fast; `last` and `abort` stay free.
    always @(*) assume(in_word[35:2] == 0 && in_word[39:38] == 0);

    wire take = in_valid && in_ready;
    wire pop = out_valid && out_ready;
    wire in_last = in_word[36];
    wire in_abort = in_word[37];

    // What a word taken in store-and-forward does.
    wire t_abort = saf_active && take && !f_over && in_last && in_abort;
    wire t_too_long = saf_active && take && !f_over && !(in_last && in_abort) && f_partial == CAP;
    wire t_write = saf_active && take && !f_over && !(in_last && in_abort) && f_partial != CAP;
    wire t_release = t_write && in_last;

    reg [15:0] f_partial = 0;
    reg f_over = 0;
    reg [15:0] f_avail = 0;
    always @(posedge clock) begin
        if (saf_active && take && f_over && in_last) f_over <= 0;
        if (t_abort) f_partial <= 0;
        if (t_too_long) begin
            f_partial <= 0;
            f_over <= !in_last;
        end
        if (t_write) f_partial <= in_last ? 0 : f_partial + 1;
        f_avail <= f_avail + (t_release ? f_partial + 1 : 0) - (saf_active && pop);
        if (reset) begin
            f_partial <= 0;
            f_over <= 0;
            f_avail <= 0;
        end
    end

    always @(*) begin
        if (saf_active) saf_released_only: assert(out_valid == (f_avail != 0));
        account_bound: assert(f_avail + f_partial <= CAP);
        if (!saf_active) begin
            cut_through_stream: assert(pop == take && (!out_valid || out_word == in_word));
            cut_through_nothing_held: assert(f_avail == 0 && f_partial == 0 && !f_over);
        end
    end

    reg p_saf_active = 0;
    always @(posedge clock) p_saf_active <= saf_active;

    reg p_out_wait = 0;
    reg [39:0] p_out_word = 0;
    always @(posedge clock) begin
        p_out_wait <= out_valid && !out_ready && !reset;
        p_out_word <= out_word;
    end
    // Also across a change of kind (finding 1, docs/verification.md: the gate withdrew a
    // word offered in cut-through when it switched to store-and-forward).
    always @(*) if (f_past && p_out_wait)
        out_holds: assert(out_valid && out_word == p_out_word);

    // --- one tracked word ------------------------------------------------------------------
    (* anyseq *) reg f_pick;
    localparam IDLE = 0, WRITTEN = 1, RELEASED = 2;
    reg [1:0] f_state = IDLE;
    reg [39:0] f_word = 0;
    reg [15:0] f_ahead = 0; // words ahead of it in the buffer
    always @(posedge clock) begin
        case (f_state)
            IDLE:
                if (t_write && f_pick) begin
                    f_state <= in_last ? RELEASED : WRITTEN;
                    f_word <= in_word;
                    f_ahead <= f_avail + f_partial - pop;
                end
            WRITTEN:
                if (t_release) f_state <= RELEASED;
                else if (t_abort || t_too_long) f_state <= IDLE;
            RELEASED:
                if (pop && f_ahead == 0) f_state <= IDLE;
        endcase
        if (f_state != IDLE && pop && f_ahead != 0) f_ahead <= f_ahead - 1;
        if (reset) f_state <= IDLE;
    end
    always @(*) begin
        if (f_state == RELEASED && f_ahead == 0) saf_word_in_order: assert(out_valid && out_word == f_word);
        if (f_state == WRITTEN) saf_unreleased_stays: assert(f_ahead >= f_avail);
        if (f_state == RELEASED) tracked_released: assert(f_ahead < f_avail);
        if (f_state != IDLE) tracked_mode: assert(saf_active);
    end

    // Induction invariants: the gate's counters, flags and pointers are the harness's account,
    // the RAM's read port shows the word at the read pointer, and the tracked word is where
    // its position says. (The harness's own `f_in_frame` mirrors the input's frame position.)
    reg f_in_frame = 0;
    always @(posedge clock) begin
        if (take) f_in_frame <= !in_last;
        if (reset) f_in_frame <= 0;
    end
    localparam [11:0] MASK = CAP - 1;
    wire [`FW-1:0] i_rptr_lo = i_rptr[`FW-1:0];
    always @(*) begin
        inv_counts: assert(i_avail == f_avail && i_partial == f_partial && i_occupied == f_avail + f_partial);
        inv_flags: assert(i_full == (f_avail + f_partial == CAP) && i_frame_full == (f_partial == CAP)
                          && i_dropping == f_over && i_in_frame == f_in_frame);
        inv_frame: assert((!f_over || (f_in_frame && f_partial == 0)) && (f_partial == 0 || f_in_frame));
        inv_pointers_masked: assert((i_wptr & ~MASK) == 0 && (i_fstart & ~MASK) == 0 && (i_rptr & ~MASK) == 0);
        inv_pointers: assert(((i_fstart - i_rptr) & MASK) == (f_avail & MASK)
                             && ((i_wptr - i_fstart) & MASK) == (f_partial & MASK));
        inv_ct_offer_held: assert(i_ct_offer_held == (f_past && p_out_wait && !p_saf_active));
        if (f_past && p_out_wait && !p_saf_active) inv_ct_upstream: assert(p_in_wait && p_in_word == p_out_word);
        if (f_past && p_out_wait && p_saf_active && saf_active)
            inv_saf_offer: assert(p_out_word == mem_at(i_rptr_lo));
        if (!saf_active) inv_ct_no_forward: assert(i_fwd_data == 0);
        // The head register is the word at the read pointer whenever one is held; the RAM's
        // read port (its word xor the forwarding register) is the word after it whenever
        // that one is held too.
        if (f_avail + f_partial != 0) inv_head: assert(i_head == mem_at(i_rptr_lo));
        if (f_avail + f_partial >= 2)
            inv_read_port: assert((i_read_data ^ i_fwd_data) == mem_at(i_rptr_lo + 1));
        inv_tracked_state: assert(f_state <= RELEASED);
        if (f_state == WRITTEN) inv_tracked_written: assert(f_ahead < f_avail + f_partial && !f_over);
        if (f_state != IDLE) inv_tracked_in_ram: assert(mem_at(i_rptr_lo + f_ahead) == f_word);
    end

    always @(*) begin
        cover_frame_out: cover(f_state == RELEASED && f_ahead == 0 && pop && f_past);
        cover_too_long: cover(t_too_long);
        cover_abort: cover(t_abort && f_partial != 0);
        cover_full_frame_out: cover(saf_active && t_release && f_partial == CAP - 1);
        cover_back_to_cut: cover(f_past && !saf_active && take && p_saf_active);
    end
endmodule
