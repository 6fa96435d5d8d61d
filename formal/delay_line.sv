// Formal harness for DelayLine<AW> (hdl/src/delay_line.rs), as generated (module
// `delay_line`); `ftio prove` passes AW. The delay D is any constant from 0 to 2^AW - 1
// (`anyconst`), held from power-on, as strict lockstep uses it (OFFSET is set while idle).
//
// VeeR EL2 style constant-offset assertion (the check its lockstep delay lacked when the
// delay turned out one cycle longer than configured):
//   exact_delay  from cycle D on, `data_out` is exactly `data_in` of D cycles before: not
//                D - 1, not D + 1, for every D and every input sequence
//   direct_iff_zero  the line says it is a wire exactly when D is 0
// The harness keeps its own history of the last 2^AW inputs.
module delay_line_formal (
    input clock,
    input [40:0] data_in
);
    localparam N = 1 << `AW;

    (* anyconst *) reg [`AW-1:0] f_delay;
    wire [40:0] data_out;
    wire direct;

    delay_line dut (.clock(clock), .delay(f_delay), .data_in(data_in), .data_out(data_out), .direct(direct));

    // hist[41*i +: 41] is data_in of i + 1 cycles ago.
    reg [41*N-1:0] hist = 0;
    reg [15:0] f_age = 0; // cycles since power-on, saturating
    always @(posedge clock) begin
        hist <= {hist[41*(N-1)-1:0], data_in};
        if (f_age != 16'hffff) f_age <= f_age + 1;
    end

    wire [40:0] expected = (f_delay == 0) ? data_in : hist[41*(f_delay-1) +: 41];
    always @(*) begin
        if (f_age >= f_delay) exact_delay: assert(data_out == expected);
        if (f_age >= 1) direct_iff_zero: assert(direct == (f_delay == 0));
    end

    always @(*) begin
        cover_longest: cover(f_delay == N - 1 && f_age == N && data_in != 0 && data_out != 0);
        cover_two: cover(f_delay == 2 && f_age == 4 && data_out != data_in);
    end
endmodule
