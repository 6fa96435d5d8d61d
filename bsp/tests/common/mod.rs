//! A stand-in `ftio_core` for testing the board flows: the exact SPEC §3 port list (taken from
//! `ftio_bsp::core_ports`, so it cannot drift from what `board_top` instantiates) around a little
//! real logic — two LFSRs compared every cycle, a block RAM written and read back, a sticky
//! `irq`, a registered UART loopback — so synthesis, placement, timing and packing all have
//! something to do. Test-only: it is not the product core.
#![allow(dead_code)]
use ftio_bsp::{core_ports, Dir};

pub fn stand_in_core() -> String {
    let mut ports = Vec::new();
    let mut drive_zero = Vec::new();
    for p in core_ports() {
        let dir = match p.dir {
            Dir::Input => "input  wire",
            Dir::Output => "output wire",
        };
        let range = if p.width > 1 { format!("[{}:0] ", p.width - 1) } else { String::new() };
        ports.push(format!("    {dir} {range}{}", p.name));
        if p.dir == Dir::Output && !["uart_tx", "irq", "disk_a_tx_data"].contains(&p.name.as_str()) {
            drive_zero.push(format!("    assign {} = {}'d0;", p.name, p.width));
        }
    }
    format!(
        "// Stand-in ftio_core for the ftio-bsp flow tests (not the product).\n\
         module ftio_core (\n{}\n);\n\
         \x20   reg [31:0] lfsr_a = 32'd1, lfsr_b = 32'd1;\n\
         \x20   reg [7:0] addr = 8'd0;\n\
         \x20   reg [31:0] mem [0:255];\n\
         \x20   reg [31:0] readback = 32'd0, expect = 32'd0;\n\
         \x20   reg fault = 1'b0, tx = 1'b1;\n\
         \x20   always @(posedge clock) begin\n\
         \x20       lfsr_a <= {{lfsr_a[30:0], lfsr_a[31] ^ lfsr_a[21] ^ lfsr_a[1] ^ lfsr_a[0]}};\n\
         \x20       lfsr_b <= {{lfsr_b[30:0], lfsr_b[31] ^ lfsr_b[21] ^ lfsr_b[1] ^ lfsr_b[0]}};\n\
         \x20       mem[addr] <= lfsr_a;\n\
         \x20       readback <= mem[addr - 8'd1];\n\
         \x20       expect <= readback ^ lfsr_b;\n\
         \x20       addr <= addr + 8'd1;\n\
         \x20       tx <= uart_rx;\n\
         \x20       if (reset) fault <= 1'b0;\n\
         \x20       else if (lfsr_a != lfsr_b || expect == 32'hdeadbeef) fault <= 1'b1;\n\
         \x20   end\n\
         \x20   assign irq = fault;\n\
         \x20   assign uart_tx = tx;\n\
         \x20   assign disk_a_tx_data = expect;\n{}\n\
         endmodule\n",
        ports.join(",\n"),
        drive_zero.join("\n")
    )
}
