// Formal harness for Fabric<AW, OW> (hdl/src/fabric.rs), as generated (module `fabric`),
// write side; `ftio prove` passes AW and OW. Depends on the fabric's ports as of this
// harness: mode, cfg (primary, read_verify, strict, offset, disk_timeout, resync), disk_*_failed, the streams c, sa/sb,
// ra/rb, da/db, ca/cb (StreamRx/StreamTx: `x$valid`, `x$data`, `x$ready`), divergence*.
//
// Free: the committed stream (any words; it keeps SPEC §2's source rule), both disks'
// back-pressure (`da_ready`/`db_ready` at any cycle), the return side, DISK_TIMEOUT, the
// fault clear, the mode (held from power-on, any mode but SPLIT: the committed stream is
// mirrored in all of them), and each disk's state as the core drives it (SPEC §4): healthy
// → failed (at any cycle) → readmitted, rebuilding (at any cycle while failed: the fabric
// sees `disk_x_failed` and `disk_x_rebuilding` both high, as the core drives them) →
// healthy (at any cycle while rebuilding), and failed again from rebuilding.
//
// Per disk X in {A, B} the harness counts the committed words taken while X was in service
// (healthy or rebuilding: owed) and the words X's link took (delivered); while X is failed
// the words still owed to it are written off (delivered := owed), as the fabric discards
// them. It remembers the N-th word owed to X, N any constant:
//   X_gets_committed_in_order  the N-th word X's link takes is the N-th word committed while
//                    X was in service (none written off at a failure comes back, and a
//                    readmitted disk's first word is the first one mirrored after it
//                    joined): every word once, in order, whatever the back-pressure
//   X_offered_iff_owed  while in service, X's link is offered a word exactly while one is
//                    owed to it: nothing lost, nothing extra
//   X_nothing_while_failed  a failed disk's link is offered nothing, from the cycle it is
//                    marked failed to the cycle it is readmitted (SPEC §4: out of service)
//   X_never_ahead    X never takes more words than it was owed
//
// `stop` (the hardened core's internal-fault stop) is free in every cycle. The default build
// (`Fabric::default()`) must ignore it: its proof counts nothing for it, so every property
// above holds whatever `stop` does. With `HARDEN` defined (`Fabric::hardened(true)`, proof
// `fabric_hardened`), a cycle with `stop` empties the disk buffers: the harness writes off
// every word owed to each disk (as at a failure, the committed word of that cycle included),
// and each disk buffer's shadow (its `ShadowCheck`, hdl/src/shadow.rs; the stored code is
// `shadow.code`) is checked:
//   X_shadow_agrees  the shadow is the code (`shadow_code`: bit i = !v[i] ^ v[i-1] ^ v[i+1])
//                    of the buffer's control flops in every cycle of an upset-free run: the
//                    hardened check (`write_error`, cause INTERNAL) never fires on its own
module fabric_formal (
    input clock,
    input primary, input read_verify, input strict,
    input ca_ready, input cb_ready,
    input fail_a, input fail_b, input readmit_a, input readmit_b, input rebuilt_a, input rebuilt_b,
    input [31:0] disk_timeout, input resync,
    input c_valid, input [39:0] c_word,
    input sa_valid, input [39:0] sa_word, input sb_valid, input [39:0] sb_word,
    input ra_valid, input [39:0] ra_word, input rb_valid, input [39:0] rb_word,
    input da_ready, input db_ready,
    input stop
);
    localparam SPLIT = 3;
    (* anyconst *) reg [2:0] f_mode;
    (* anyconst *) reg [`OW-1:0] f_offset;
    wire [15:0] f_offset16 = f_offset; // OFFSET as the register holds it (the low OW bits used)
    always @(*) assume(f_mode != SPLIT && f_mode <= 4);

    reg f_init = 1;
    always @(posedge clock) f_init <= 0;

    // Disk states: healthy → failed → rebuilding (readmitted) → healthy; a fault while
    // rebuilding fails it again.
    reg failed_a = 0, failed_b = 0, rebuilding_a = 0, rebuilding_b = 0;
    always @(posedge clock) begin
        if (fail_a) begin failed_a <= 1; rebuilding_a <= 0; end
        else if (readmit_a && failed_a) begin failed_a <= 0; rebuilding_a <= 1; end
        else if (rebuilt_a && rebuilding_a) rebuilding_a <= 0;
        if (fail_b) begin failed_b <= 1; rebuilding_b <= 0; end
        else if (readmit_b && failed_b) begin failed_b <= 0; rebuilding_b <= 1; end
        else if (rebuilt_b && rebuilding_b) rebuilding_b <= 0;
        if (f_init) begin failed_a <= 0; failed_b <= 0; rebuilding_a <= 0; rebuilding_b <= 0; end
    end
    wire disk_a_failed = failed_a || rebuilding_a, disk_b_failed = failed_b || rebuilding_b;

    wire c_ready, sa_ready, sb_ready, ra_ready, rb_ready;
    wire da_valid, db_valid, ca_valid, cb_valid;
    wire [39:0] da_word, db_word, ca_word, cb_word;
    wire strict_ready_mismatch, divergence, divergence_perr_a, divergence_perr_b;

    fabric dut (
        .clock(clock), .reset(f_init), .mode(f_mode), .\cfg$primary (primary),
        .\cfg$read_verify (read_verify), .\cfg$strict (strict), .\cfg$offset (f_offset16),
        .strict_ready_mismatch(strict_ready_mismatch),
        .disk_a_failed(disk_a_failed), .disk_b_failed(disk_b_failed),
        .\cfg$disk_timeout (disk_timeout), .\cfg$resync (resync),
        .disk_a_rebuilding(rebuilding_a), .disk_b_rebuilding(rebuilding_b),
        .\c$valid (c_valid), .\c$data (c_word), .\c$ready (c_ready),
        .\sa$valid (sa_valid), .\sa$data (sa_word), .\sa$ready (sa_ready),
        .\sb$valid (sb_valid), .\sb$data (sb_word), .\sb$ready (sb_ready),
        .\ra$valid (ra_valid), .\ra$data (ra_word), .\ra$ready (ra_ready),
        .\rb$valid (rb_valid), .\rb$data (rb_word), .\rb$ready (rb_ready),
        .\da$valid (da_valid), .\da$data (da_word), .\da$ready (da_ready),
        .\db$valid (db_valid), .\db$data (db_word), .\db$ready (db_ready),
        .\ca$valid (ca_valid), .\ca$data (ca_word), .\ca$ready (ca_ready),
        .\cb$valid (cb_valid), .\cb$data (cb_word), .\cb$ready (cb_ready),
        .divergence(divergence), .divergence_perr_a(divergence_perr_a), .divergence_perr_b(divergence_perr_b),
        .stop(stop),
`ifdef HARDEN
        .\write.buf_da.shadow.code$q (ia_shadow), .\write.buf_db.shadow.code$q (ib_shadow),
`endif
        .\write.buf_da.count$q (ia_count), .\write.buf_da.head_valid$q (ia_head_valid), .\write.buf_da.head$q (ia_head),
        .\write.buf_da.rptr$q (ia_rptr), .\write.buf_da.wptr$q (ia_wptr),
        .\write.buf_da.fwd_data$q (ia_fwd_data), .\write.buf_da.stored$q (ia_stored), .\write.buf_da.full$q (ia_full),
        .\write.buf_da.ram.read_data (ia_read_data), .\write.buf_da.ram.mem[0] (ia_m0), .\write.buf_da.ram.mem[1] (ia_m1),
        .\write.buf_da.ram.mem[2] (ia_m2), .\write.buf_da.ram.mem[3] (ia_m3),
        .\write.buf_db.count$q (ib_count), .\write.buf_db.head_valid$q (ib_head_valid), .\write.buf_db.head$q (ib_head),
        .\write.buf_db.rptr$q (ib_rptr), .\write.buf_db.wptr$q (ib_wptr),
        .\write.buf_db.fwd_data$q (ib_fwd_data), .\write.buf_db.stored$q (ib_stored), .\write.buf_db.full$q (ib_full),
        .\write.buf_db.ram.read_data (ib_read_data), .\write.buf_db.ram.mem[0] (ib_m0), .\write.buf_db.ram.mem[1] (ib_m1),
        .\write.buf_db.ram.mem[2] (ib_m2), .\write.buf_db.ram.mem[3] (ib_m3)
    );
    // The disk buffers' internal state (StreamFifo<AW>), exposed by `ftio prove` for the
    // induction invariants (inv_*) only.
    wire [15:0] ia_count, ib_count;
    wire ia_head_valid, ia_stored, ia_full, ib_head_valid, ib_stored, ib_full;
    wire [39:0] ia_head, ia_fwd_data, ia_read_data, ia_m0, ia_m1, ia_m2, ia_m3;
    wire [39:0] ib_head, ib_fwd_data, ib_read_data, ib_m0, ib_m1, ib_m2, ib_m3;
    wire [`AW-1:0] ia_rptr, ia_wptr, ib_rptr, ib_wptr;
    function [39:0] mem_a(input [`AW-1:0] x);
        case (x) 0: mem_a = ia_m0; 1: mem_a = ia_m1; 2: mem_a = ia_m2; default: mem_a = ia_m3; endcase
    endfunction
    function [39:0] mem_b(input [`AW-1:0] x);
        case (x) 0: mem_b = ib_m0; 1: mem_b = ib_m1; 2: mem_b = ib_m2; default: mem_b = ib_m3; endcase
    endfunction

    // SPEC §2: the committed stream holds a word until it is taken.
    reg p_wait = 0;
    reg [39:0] p_word = 0;
    always @(posedge clock) begin
        p_wait <= c_valid && !c_ready && !f_init;
        p_word <= c_word;
    end
    always @(*) if (p_wait) assume(c_valid && c_word == p_word);

    // Data independence: the write side never looks at a word; two bits tell words apart.
    always @(*) assume(c_word[39:2] == 0);

    wire commit = c_valid && c_ready && !f_init;
    wire deliver_a = da_valid && da_ready && !f_init;
    wire deliver_b = db_valid && db_ready && !f_init;

    (* anyconst *) reg [7:0] f_n;
    reg [7:0] nc = 0, owed_a = 0, owed_b = 0, got_a = 0, got_b = 0;
    reg [39:0] wa_n = 0, wb_n = 0;
    reg have_a_n = 0, have_b_n = 0, dropped_a = 0, dropped_b = 0;
    always @(posedge clock) begin
        if (commit) nc <= nc + 1;
        if (commit && !failed_a) begin
            owed_a <= owed_a + 1;
            if (owed_a == f_n) begin wa_n <= c_word; have_a_n <= 1; end
        end
        if (commit && !failed_b) begin
            owed_b <= owed_b + 1;
            if (owed_b == f_n) begin wb_n <= c_word; have_b_n <= 1; end
        end
        if (deliver_a) got_a <= got_a + 1;
        if (deliver_b) got_b <= got_b + 1;
        // Failed: what is still owed is written off.
        if (failed_a) begin got_a <= owed_a; if (got_a != owed_a) dropped_a <= 1; end
        if (failed_b) begin got_b <= owed_b; if (got_b != owed_b) dropped_b <= 1; end
`ifdef HARDEN
        // Hardened: `stop` empties both disk buffers (the word committed in that cycle too).
        if (stop) begin
            got_a <= owed_a + (commit && !failed_a);
            got_b <= owed_b + (commit && !failed_b);
        end
`endif
    end
    always @(*) assume(nc != 8'hff);

    always @(*) begin
        if (!f_init) begin
            if (!failed_a) A_offered_iff_owed: assert(da_valid == (got_a != owed_a));
            if (!failed_b) B_offered_iff_owed: assert(db_valid == (got_b != owed_b));
            if (failed_a) A_nothing_while_failed: assert(!da_valid);
            if (failed_b) B_nothing_while_failed: assert(!db_valid);
            A_never_ahead: assert(got_a <= owed_a);
            B_never_ahead: assert(got_b <= owed_b);
        end
        if (deliver_a && got_a == f_n) A_gets_committed_in_order: assert(have_a_n && da_word == wa_n);
        if (deliver_b && got_b == f_n) B_gets_committed_in_order: assert(have_b_n && db_word == wb_n);
    end

    // Induction invariants: each disk buffer holds exactly the words owed to its disk and not
    // yet delivered (its RAM, pointers and flags as the stream FIFO's proof has them), and
    // the N-th word owed, while held, is where its position says.
    wire [`AW-1:0] ia_used = ia_wptr - ia_rptr, ib_used = ib_wptr - ib_rptr;
    wire [7:0] held_a = owed_a - got_a, held_b = owed_b - got_b;
    wire [7:0] pos_a = f_n - got_a, pos_b = f_n - got_b;
    always @(*) begin
        inv_init: assert(!f_init || (nc == 0 && owed_a == 0 && owed_b == 0 && got_a == 0 && got_b == 0
                                     && !have_a_n && !have_b_n && ia_count == 0 && !ia_head_valid
                                     && ib_count == 0 && !ib_head_valid));
        inv_disk_states: assert(!(failed_a && rebuilding_a) && !(failed_b && rebuilding_b));
        inv_owed: assert(owed_a <= nc && owed_b <= nc);
        inv_have_n: assert(have_a_n == (owed_a > f_n) && have_b_n == (owed_b > f_n));
        inv_a_count: assert(ia_count + ia_head_valid == held_a && ia_count <= (1 << `AW));
        inv_b_count: assert(ib_count + ib_head_valid == held_b && ib_count <= (1 << `AW));
        inv_a_flags: assert(ia_stored == (ia_count != 0) && ia_full == (ia_count == (1 << `AW))
                            && (ia_count == 0 || ia_head_valid));
        inv_b_flags: assert(ib_stored == (ib_count != 0) && ib_full == (ib_count == (1 << `AW))
                            && (ib_count == 0 || ib_head_valid));
        inv_a_pointers: assert(ia_stored ? (ia_used == ia_count[`AW-1:0]) : (ia_used <= 1 && (!ia_head_valid || ia_used == 1)));
        inv_b_pointers: assert(ib_stored ? (ib_used == ib_count[`AW-1:0]) : (ib_used <= 1 && (!ib_head_valid || ib_used == 1)));
        if (ia_stored) inv_a_read_port: assert((ia_read_data ^ ia_fwd_data) == mem_a(ia_rptr));
        if (ib_stored) inv_b_read_port: assert((ib_read_data ^ ib_fwd_data) == mem_b(ib_rptr));
        if (ia_head_valid && !ia_full) inv_a_head_copy: assert(mem_a(ia_stored ? ia_rptr - 1 : ia_rptr) == ia_head);
        if (ib_head_valid && !ib_full) inv_b_head_copy: assert(mem_b(ib_stored ? ib_rptr - 1 : ib_rptr) == ib_head);
        if (have_a_n && got_a <= f_n && f_n < owed_a)
            inv_a_nth_held: assert(pos_a == 0 ? (ia_head_valid && ia_head == wa_n) : (mem_a(ia_rptr + pos_a - 1) == wa_n));
        if (have_b_n && got_b <= f_n && f_n < owed_b)
            inv_b_nth_held: assert(pos_b == 0 ? (ib_head_valid && ib_head == wb_n) : (mem_b(ib_rptr + pos_b - 1) == wb_n));
    end

`ifdef HARDEN
    // The disk buffers' stored shadow codes against the code of their control flops, packed as
    // `StreamFifo` packs them (`ctl_now`: head_valid, stored, full, count at 4, rptr at 20,
    // wptr at 35).
    wire [63:0] ia_shadow, ib_shadow;
    function [63:0] shadow_code(input [63:0] v);
        shadow_code = ~v ^ (v << 1) ^ (v >> 1);
    endfunction
    function [63:0] ctl(input hv, input st, input fu, input [15:0] cnt, input [`AW-1:0] rp, input [`AW-1:0] wp);
        ctl = {63'b0, hv} | ({63'b0, st} << 1) | ({63'b0, fu} << 2) | ({48'b0, cnt} << 4)
              | ({{(64 - `AW){1'b0}}, rp} << 20) | ({{(64 - `AW){1'b0}}, wp} << 35);
    endfunction
    // The hardened disk buffers unfold the `last`/`abort` check out of parity bit 3 as a word
    // leaves (da_word is the stored word with bit 35 flipped when last ^ abort): the N-th
    // word, as remembered, has the bits the data-independence assumption leaves it, so the
    // word it is compared with leaves unchanged.
    always @(*) begin
        inv_a_nth_clean: assert(wa_n[39:2] == 0);
        inv_b_nth_clean: assert(wb_n[39:2] == 0);
    end
    always @(*) begin
        A_shadow_agrees: assert(ia_shadow == shadow_code(ctl(ia_head_valid, ia_stored, ia_full, ia_count, ia_rptr, ia_wptr)));
        B_shadow_agrees: assert(ib_shadow == shadow_code(ctl(ib_head_valid, ib_stored, ib_full, ib_count, ib_rptr, ib_wptr)));
        cover_stopped: cover(!f_init && stop && held_a == 3 && !failed_a);
    end
`endif

    always @(*) begin
        cover_both_stalled: cover(!f_init && owed_a - got_a == 5 && owed_b - got_b == 0);
        cover_readmitted_b: cover(deliver_b && rebuilding_b && dropped_b && got_b == f_n && have_b_n);
    end
endmodule
