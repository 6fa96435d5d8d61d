//! The behavioural DP16KD of the ECP5 gate-level simulation (bsp/verilog/dp16kd_sim.v), on its
//! own under Verilator: the 36-bit pseudo-dual-port mode, wired as yosys's `$__PDPW16KD_`
//! mapping (share/lattice/brams_map_16kd.v) wires it — the core's commit-gate frame buffer
//! on the ULX3S is two of these — reads back what was written byte by byte and what
//! INITVAL held, against a reference array; and a width the model does not know stops the
//! simulation. A few seconds of Verilator build each.
use ftio_bsp::gate_sim::DP16KD_SIM_VERILOG;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sim_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ftio-bsp-dp16kd-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Verilates `tb.v` with the model in `dir` and runs it.
fn run(dir: &Path, tb: &str) -> Output {
    std::fs::write(dir.join("tb.v"), tb).unwrap();
    std::fs::write(dir.join("dp16kd_sim.v"), DP16KD_SIM_VERILOG).unwrap();
    let build = Command::new("verilator")
        .current_dir(dir)
        .args(["--binary", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", "tb", "--Mdir", "obj", "-o", "tb", "tb.v", "dp16kd_sim.v"])
        .output()
        .expect("verilator on PATH (scripts/setup.sh)");
    assert!(build.status.success(), "verilator:\n{}", String::from_utf8_lossy(&build.stderr));
    Command::new(dir.join("obj/tb")).current_dir(dir).output().unwrap()
}

/// `.{pin}0(expr[0]), .{pin}1(expr[1]), ...` for `n` bits, bit `i` of `expr` at `offset + i`.
fn pins(pin: &str, n: usize, expr: &str, offset: usize) -> String {
    (0..n).map(|i| format!(".{pin}{i}({expr}[{}])", offset + i)).collect::<Vec<_>>().join(", ")
}

/// Row `i` (18 bits) of the INITVAL_00 the test loads: distinct and not all ones or zeros.
fn init_row(i: u64) -> u64 {
    (0x2_5A5A ^ (i * 0x1_0309)) & 0x3_FFFF
}

#[test]
fn pseudo_dual_port_36_bit_mode_reads_back_what_was_written_and_its_initval() {
    // INITVAL_00: 16 rows of 20 bits (18 used); 36-bit word w is rows 2w (low) and 2w+1.
    let mut initval = [0u8; 40];
    for i in 0..16u64 {
        let v = init_row(i);
        for b in 0..18 {
            let bit = i * 20 + b;
            if v >> b & 1 == 1 {
                initval[(bit / 8) as usize] |= 1 << (bit % 8);
            }
        }
    }
    let initval_hex: String = initval.iter().rev().map(|b| format!("{b:02x}")).collect();
    let init_words: String =
        (0..8u64).map(|w| format!("        ref_mem[{w}] = 36'h{:09x};\n", init_row(2 * w + 1) << 18 | init_row(2 * w))).collect();
    let tb = format!(
        r#"`timescale 1ns/1ps
module tb;
    reg clk = 1'b0;
    always #5 clk = ~clk;
    reg we = 1'b0, re = 1'b0;
    reg [3:0] be = 4'd0;
    reg [8:0] waddr = 9'd0, raddr = 9'd0;
    reg [35:0] wdata = 36'd0;
    wire [35:0] rdata;
    wire [4:0] zero5 = 5'd0;
    FTIO_DP16KD_SIM #(.DATA_WIDTH_A(36), .DATA_WIDTH_B(36), .INITVAL_00(320'h{initval_hex})) ram (
        .CLKA(clk), .WEA(1'b1), .CEA(we), .OCEA(1'b0), .RSTA(1'b0), .CSA0(1'b0), .CSA1(1'b0), .CSA2(1'b0),
        {ada_be}, .ADA4(1'b0), {ada_addr}, {dia}, {dib},
        .CLKB(clk), .WEB(1'b0), .CEB(re), .OCEB(1'b1), .RSTB(1'b0), .CSB0(1'b0), .CSB1(1'b0), .CSB2(1'b0),
        {adb_low}, {adb_addr}, {doa}, {dob}
    );
    reg [35:0] ref_mem [0:511];
    reg [35:0] expect_q;
    integer i, n, errors = 0, checked = 0;
    initial begin
        for (i = 0; i < 512; i = i + 1) ref_mem[i] = 36'd0;
{init_words}        @(negedge clk);
        // INITVAL first: the first 8 words as configured.
        for (i = 0; i < 8; i = i + 1) begin
            re = 1'b1; raddr = i;
            @(posedge clk); #1;
            if (rdata !== ref_mem[i]) begin
                $display("MISMATCH init word %0d: %h, want %h", i, rdata, ref_mem[i]);
                errors = errors + 1;
            end
            checked = checked + 1;
            @(negedge clk);
        end
        // Then writes with random byte enables, and reads of other addresses in the same cycle.
        for (n = 0; n < 4000; n = n + 1) begin
            we = $urandom % 2; be = $urandom; waddr = $urandom % 24; wdata = {{$urandom, $urandom}};
            re = $urandom % 2; raddr = $urandom % 24;
            if (re && we && raddr == waddr) raddr = (raddr + 1) % 24;
            expect_q = ref_mem[raddr];
            @(posedge clk); #1;
            if (we) begin
                if (be[0]) ref_mem[waddr][8:0] = wdata[8:0];
                if (be[1]) ref_mem[waddr][17:9] = wdata[17:9];
                if (be[2]) ref_mem[waddr][26:18] = wdata[26:18];
                if (be[3]) ref_mem[waddr][35:27] = wdata[35:27];
            end
            if (re) begin
                if (rdata !== expect_q) begin
                    $display("MISMATCH word %0d: %h, want %h", raddr, rdata, expect_q);
                    errors = errors + 1;
                end
                checked = checked + 1;
            end
            @(negedge clk);
        end
        $display("CHECKED %0d ERRORS %0d", checked, errors);
        $finish;
    end
endmodule
"#,
        ada_be = pins("ADA", 4, "be", 0),
        ada_addr = (5..14).map(|i| format!(".ADA{i}(waddr[{}])", i - 5)).collect::<Vec<_>>().join(", "),
        dia = pins("DIA", 18, "wdata", 0),
        dib = pins("DIB", 18, "wdata", 18),
        adb_low = pins("ADB", 5, "zero5", 0),
        adb_addr = (5..14).map(|i| format!(".ADB{i}(raddr[{}])", i - 5)).collect::<Vec<_>>().join(", "),
        doa = pins("DOA", 18, "rdata", 0),
        dob = pins("DOB", 18, "rdata", 18),
    );
    let out = run(&sim_dir("pdp36"), &tb);
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().find(|l| l.starts_with("CHECKED")).unwrap_or_else(|| panic!("no result: {stdout}"));
    let w: Vec<&str> = line.split_whitespace().collect();
    let checked: u32 = w[1].parse().unwrap();
    assert!(checked > 1500, "{line}");
    assert_eq!(w[3], "0", "{stdout}");
}

#[test]
fn a_width_the_model_does_not_know_stops_the_simulation() {
    let tb = r#"module tb;
    /* verilator lint_off PINMISSING */
    FTIO_DP16KD_SIM #(.DATA_WIDTH_A(8), .DATA_WIDTH_B(9)) ram ();
    initial begin
        #10 $display("RAN");
        $finish;
    end
endmodule
"#;
    let out = run(&sim_dir("bad-width"), tb);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() && !text.contains("RAN"), "{text}");
    assert!(text.contains("DATA_WIDTH_A 8 / DATA_WIDTH_B 9 is not modelled"), "{text}");
}
