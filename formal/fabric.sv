// Formal harness for Fabric<AW, OW> (hdl/src/fabric.rs), as generated (module `fabric`),
// write side; `ftio prove` passes AW and OW. Depends on the fabric's ports as of this
// harness: mode, primary, read_verify, strict, offset, ca_ready/cb_ready, disk_*_failed,
// c_*, sa_*/sb_*, ra_*/rb_*, da_*/db_*, ca_*/cb_*, divergence*.
//
// Free: the committed stream (any words; it keeps SPEC §2's source rule), both disks'
// back-pressure (`da_take`/`db_take` at any cycle), the return side, DISK_TIMEOUT, the
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
module fabric_formal (
    input clock,
    input primary, input read_verify, input strict,
    input ca_ready, input cb_ready,
    input fail_a, input fail_b, input readmit_a, input readmit_b, input rebuilt_a, input rebuilt_b,
    input [31:0] disk_timeout, input resync,
    input c_valid, input [39:0] c_word,
    input sa_valid, input [39:0] sa_word, input sb_valid, input [39:0] sb_word,
    input ra_valid, input [39:0] ra_word, input rb_valid, input [39:0] rb_word,
    input da_take, input db_take, input ca_take, input cb_take
);
    localparam SPLIT = 3;
    (* anyconst *) reg [2:0] f_mode;
    (* anyconst *) reg [`OW-1:0] f_offset;
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
        .clock(clock), .reset(f_init), .mode(f_mode), .primary(primary), .read_verify(read_verify),
        .strict(strict), .offset(f_offset), .ca_ready(ca_ready), .cb_ready(cb_ready),
        .strict_ready_mismatch(strict_ready_mismatch),
        .disk_a_failed(disk_a_failed), .disk_b_failed(disk_b_failed),
        .disk_timeout(disk_timeout), .resync(resync),
        .disk_a_rebuilding(rebuilding_a), .disk_b_rebuilding(rebuilding_b),
        .c_valid(c_valid), .c_word(c_word), .c_ready(c_ready),
        .sa_valid(sa_valid), .sa_word(sa_word), .sa_ready(sa_ready),
        .sb_valid(sb_valid), .sb_word(sb_word), .sb_ready(sb_ready),
        .ra_valid(ra_valid), .ra_word(ra_word), .ra_ready(ra_ready),
        .rb_valid(rb_valid), .rb_word(rb_word), .rb_ready(rb_ready),
        .da_valid(da_valid), .da_word(da_word), .da_take(da_take),
        .db_valid(db_valid), .db_word(db_word), .db_take(db_take),
        .ca_valid(ca_valid), .ca_word(ca_word), .ca_take(ca_take),
        .cb_valid(cb_valid), .cb_word(cb_word), .cb_take(cb_take),
        .divergence(divergence), .divergence_perr_a(divergence_perr_a), .divergence_perr_b(divergence_perr_b)
    );

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
    wire deliver_a = da_valid && da_take && !f_init;
    wire deliver_b = db_valid && db_take && !f_init;

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

    always @(*) begin
        cover_both_stalled: cover(!f_init && owed_a - got_a == 5 && owed_b - got_b == 0);
        cover_readmitted_b: cover(deliver_b && rebuilding_b && dropped_b && got_b == f_n && have_b_n);
    end
endmodule
