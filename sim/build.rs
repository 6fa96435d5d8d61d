//! Builds the firmware in `firmware/` (C for rv32i, run by the PicoRV32 system of
//! `ftio demo --cpu picorv32`) with Debian's `riscv64-unknown-elf-gcc` and picolibc, into
//! `$OUT_DIR/firmware.{elf,bin}`; `ftio_sim::firmware` includes the image. The image is a
//! build output, never a checked-in file. A missing compiler stops the build with an error
//! naming scripts/setup.sh, which installs it.
use std::path::{Path, PathBuf};
use std::process::Command;

const CC: &str = "riscv64-unknown-elf-gcc";
const OBJCOPY: &str = "riscv64-unknown-elf-objcopy";
/// rv32i (PicoRV32 built without MUL/DIV/compressed), size-optimised, freestanding, with our
/// own start-up and linker script; picolibc only for what the compiler may call (memset...).
const FLAGS: &[&str] = &[
    "-march=rv32i",
    "-mabi=ilp32",
    "-Os",
    "-ffreestanding",
    "-nostartfiles",
    "--specs=picolibc.specs",
    "-Wall",
    "-Wextra",
    "-Werror",
];

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "\n\nftio-sim: cannot run {what} ({e}).\nThe firmware in firmware/ needs Debian's gcc-riscv64-unknown-elf and \
             picolibc-riscv64-unknown-elf: run `bash scripts/setup.sh`.\n\n"
        )
    });
    if !out.status.success() {
        panic!(
            "\n\nftio-sim: {what} failed ({}):\n{}{}\n(the compiler comes from `bash scripts/setup.sh`)\n",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn main() {
    let fw = Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let sources = ["start.S", "main.c"];
    for f in ["start.S", "main.c", "ftio_port.h", "workload.h", "link.ld"] {
        println!("cargo:rerun-if-changed={}", fw.join(f).display());
    }
    let elf = out.join("firmware.elf");
    let bin = out.join("firmware.bin");
    run(
        Command::new(CC)
            .args(FLAGS)
            .arg("-T")
            .arg(fw.join("link.ld"))
            .arg("-o")
            .arg(&elf)
            .args(sources.iter().map(|s| fw.join(s))),
        CC,
    );
    run(Command::new(OBJCOPY).args(["-O", "binary"]).arg(&elf).arg(&bin), OBJCOPY);
}
