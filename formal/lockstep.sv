// Formal harness for Lockstep<SW, OW> (hdl/src/lockstep.rs), as generated (module
// `lockstep`); `ftio prove` passes SW and OW. Depends on the lockstep's ports as of this
// harness: mode_set/mode_value/strict/to_strict/policy_halt/offset/timeout, a_*/b_* (valid,
// word, ready, error), return_mismatch, c_*, sa_*/sb_*, mode, fault_*, word_out.
//
// Both CPUs' inputs are free: any words, any parity errors (`a_error`/`b_error` and the
// word's `perr` bit 38), offered at any time; the commit side and SPLIT sinks stall at will;
// the policy, `return_mismatch` and TIMEOUT are free. Held constant from power-on: the
// lockstep kind (entered by a CTRL write at cycle 1, as the host does) and D (`offset`,
// anyconst). Excluded: further host mode writes (`mode_set`, which empty the skew FIFOs by
// design) and reset after power-on. Exposed, from the strict check (lockstep/strict_check.rs):
// `b_dropping_q` (B's words dropped after the write into strict), to leave them out of B's
// count, and the marks `a_missing_q`/`b_missing_q` (a timing difference seen).
//
// Two proofs use this harness: `lockstep` (the commit properties) and, with STRICT_READY
// defined, `lockstep_strict_ready` (the constant-offset property alone, so a failure of one
// leaves the other settled).
//
// The harness counts the words each CPU's port hands over (`valid & ready`) and the words
// committed (`word_out`), and remembers the N-th word of each side, N any constant:
//   committed_word_is_healthy_sides  the N-th committed word is the N-th word of CPU A while
//                       the mode is DUPLEX or SIMPLEX_A, of CPU B in SIMPLEX_B: nothing lost,
//                       repeated or reordered, across a fail-over too (the healthy stream
//                       goes on where it was), and only the healthy side's words after it
//   committed_pair_agreed  a word committed in DUPLEX is of a pair whose two words agree
//                       (data, last, abort): a pair whose words differ never reaches the
//                       commit output
//   nothing_from_isolated  only fault-free pairs commit in DUPLEX: a committed DUPLEX word
//                       carries no parity error from either side
//   strict_b_ready_is_a_delayed  strict DUPLEX, from the first cycle after the CTRL write,
//                       while still DUPLEX and until the strict check has seen a difference
//                       (a side marked missing, or a mismatch flagged): CPU B's `ready` is
//                       CPU A's of exactly D cycles before. (Not after the CPUs diverged: B's
//                       ready is A's delayed AND skew FIFO B has room, and a B that offers
//                       words A did not, while A is marked missing and counting to its
//                       timeout, fills skew FIFO B first; docs/lockstep.md.)
module lockstep_formal (
    input clock,
    input policy_halt,
    input [31:0] timeout,
    input a_valid, input [39:0] a_word, input a_error,
    input b_valid, input [39:0] b_word, input b_error,
    input return_mismatch,
    input c_ready, input sa_ready, input sb_ready
);
    localparam DUPLEX = 0, SIMPLEX_A = 1, SIMPLEX_B = 2, SPLIT = 3, HALTED = 4;

    (* anyconst *) reg f_strict;
    (* anyconst *) reg [`OW-1:0] f_offset;
    wire [15:0] f_offset16 = f_offset; // OFFSET as the register holds it (the low OW bits used)

    // Cycle 0: reset (power-on, elastic DUPLEX). Cycle 1: the host writes CTRL: DUPLEX with
    // the lockstep kind `f_strict` (the way strict lockstep is entered). From cycle 2 on the
    // harness counts words.
    reg f_init = 1, f_write = 0;
    always @(posedge clock) begin
        f_init <= 0;
        f_write <= f_init;
    end
    reg f_strict_now = 0;
    always @(posedge clock) if (f_write) f_strict_now <= f_strict;
    wire i_b_dropping, i_a_missing, i_b_missing;

    wire a_ready, b_ready, c_valid, sa_valid, sb_valid;
    wire [39:0] c_word, sa_word, sb_word, head_a, head_b;
    wire [2:0] mode;
    wire fault_a_parity, fault_b_parity, fault_a_timeout, fault_b_timeout, fault_mismatch;
    wire word_out, frame_out, frame_aborted, head_a_valid, head_b_valid;
    wire [31:0] pair_index;
    wire [15:0] fill_a, fill_b;

    lockstep dut (
        .clock(clock), .reset(f_init),
        .\cfg$mode_set (f_write), .\cfg$mode_value (3'd0), .\cfg$strict (f_strict_now),
        .\cfg$to_strict (f_write && f_strict), .\cfg$policy_halt (policy_halt),
        .\cfg$offset (f_offset16), .\cfg$timeout (timeout),
        .\a$valid (a_valid), .\a$data (a_word), .\a$ready (a_ready), .a_error(a_error),
        .\b$valid (b_valid), .\b$data (b_word), .\b$ready (b_ready), .b_error(b_error),
        .return_mismatch(return_mismatch),
        .\c$valid (c_valid), .\c$data (c_word), .\c$ready (c_ready),
        .\sa$valid (sa_valid), .\sa$data (sa_word), .\sa$ready (sa_ready),
        .\sb$valid (sb_valid), .\sb$data (sb_word), .\sb$ready (sb_ready),
        .mode(mode), .\events$fault_a_parity (fault_a_parity), .\events$fault_b_parity (fault_b_parity),
        .\events$fault_a_timeout (fault_a_timeout), .\events$fault_b_timeout (fault_b_timeout),
        .\events$fault_mismatch (fault_mismatch), .\events$word_out (word_out), .\events$frame_out (frame_out),
        .\events$frame_aborted (frame_aborted), .pair_index(pair_index),
        .head_a(head_a), .head_b(head_b), .head_a_valid(head_a_valid), .head_b_valid(head_b_valid),
        .\events$fill_a (fill_a), .\events$fill_b (fill_b),
        .\strict_check.b_dropping_q$q (i_b_dropping),
        .\strict_check.a_missing_q$q (i_a_missing), .\strict_check.b_missing_q$q (i_b_missing)
    );

    // Data independence: the lockstep compares data bits with a bitwise equality and
    // otherwise only moves them; two data bits per word give equal and different pairs as 32
    // would. `last`, `abort` and the parity-error bit 38 stay free.
    always @(*) assume(a_word[31:2] == 0 && b_word[31:2] == 0 && a_word[35:32] == 0 && b_word[35:32] == 0 && !a_word[39] && !b_word[39]);

    // --- the N-th word of each side and the N-th committed word ---------------------------
    (* anyconst *) reg [7:0] f_n;
    reg [7:0] na = 0, nb = 0, nc = 0;
    reg [39:0] wa = 0, wb = 0;
    reg got_a = 0, got_b = 0;
    // B's words taken while the lockstep drops them (the D cycles after the write into
    // strict, paired with A's words the write flushed) are not part of B's stream.
    wire counting = !f_init && !f_write;
    wire take_a = a_valid && a_ready && counting;
    wire take_b = b_valid && b_ready && counting && !i_b_dropping;
    always @(posedge clock) begin
        if (take_a) begin
            na <= na + 1;
            if (na == f_n) begin wa <= a_word; got_a <= 1; end
        end
        if (take_b) begin
            nb <= nb + 1;
            if (nb == f_n) begin wb <= b_word; got_b <= 1; end
        end
        if (word_out && counting) nc <= nc + 1;
    end
    // The counters stay below their wrap within the depth proved.
    always @(*) assume(na != 8'hff && nb != 8'hff);

    wire [39:0] compared = 40'h30_ffff_ffff; // data, last, abort
    wire committing_n = word_out && nc == f_n && counting;
`ifndef STRICT_READY
    always @(*) begin
        if (committing_n && (mode == DUPLEX || mode == SIMPLEX_A))
            committed_word_is_healthy_sides: assert(got_a && c_word == wa);
        if (committing_n && mode == SIMPLEX_B)
            committed_word_is_b: assert(got_b && c_word == wb);
        if (committing_n && mode == DUPLEX)
            committed_pair_agreed: assert(got_b && (wa & compared) == (wb & compared));
        if (committing_n && mode == DUPLEX)
            nothing_from_isolated: assert(!wa[38] && !wb[38]);
        commit_only_when_running: assert(!word_out || mode == DUPLEX || mode == SIMPLEX_A || mode == SIMPLEX_B);
    end
`endif

    // --- strict offset: B's ready is A's, D cycles late ------------------------------------
    localparam ND = 1 << `OW;
    reg [ND-1:0] a_ready_hist = 0; // bit i: a_ready of i + 1 cycles ago
    reg left_duplex = 0;
    reg mismatch_seen = 0;
    always @(posedge clock) if (fault_mismatch && counting) mismatch_seen <= 1;
    always @(posedge clock) begin
        a_ready_hist <= {a_ready_hist[ND-2:0], a_ready};
        if (mode != DUPLEX) left_duplex <= 1;
        if (f_init || f_write) left_duplex <= 0;
    end
    wire a_ready_d = (f_offset == 0) ? a_ready : a_ready_hist[f_offset - 1];
`ifdef STRICT_READY
    always @(*)
        if (f_strict && counting && !left_duplex && mode == DUPLEX
            && !mismatch_seen && !fault_mismatch && !i_a_missing && !i_b_missing)
            strict_b_ready_is_a_delayed: assert(b_ready == a_ready_d);
`endif

    always @(*) begin
        cover_failover_b: cover(mode == SIMPLEX_A && committing_n && f_n == 2 && na >= 3);
        cover_failover_a: cover(mode == SIMPLEX_B && committing_n && f_n == 2);
        cover_strict_commit: cover(f_strict && f_offset == ND - 1 && committing_n && f_n == 1 && mode == DUPLEX);
        cover_mismatch_halt: cover(mode == HALTED && fault_mismatch == 0 && got_a && got_b && wa != wb);
        // The depth reaches a full skew FIFO (5 words) as a fault takes the other side out,
        // and, at the largest D, strict DUPLEX with skew FIFO B full.
        cover_full_fifo_failover: cover(counting && mode == DUPLEX && fill_a == 5 && fault_b_parity && !fault_a_parity);
        cover_strict_full_b: cover(f_strict && f_offset == ND - 1 && counting && mode == DUPLEX && fill_b == 5);
    end
endmodule
