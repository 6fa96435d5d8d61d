#!/usr/bin/env bash
# Measures what scripts/test.sh's choice of cargo profile costs: for the test profile (dev) and
# release, a clean build of every test binary and then the test suite run twice (the second run
# has warm caches, e.g. compiled Verilator models). Uses a throwaway target directory, so it
# does not disturb target/. Takes several minutes on 2 cores. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export CARGO_TARGET_DIR="$tmp/target"
now() { date +%s.%N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
echo "| profile | clean build of all tests (s) | suite, 1st run (s) | suite, 2nd run (s) | tests | load avg at end |"
echo "|---|---|---|---|---|---|"
for profile in dev release; do
    flag=(); [[ $profile == release ]] && flag=(--release)
    t0=$(now)
    cargo test --workspace "${flag[@]}" --no-run >"$tmp/build-$profile.log" 2>&1 || { cat "$tmp/build-$profile.log"; exit 1; }
    t1=$(now)
    cargo test --workspace "${flag[@]}" --no-fail-fast >"$tmp/run1-$profile.log" 2>&1 || true
    t2=$(now)
    cargo test --workspace "${flag[@]}" --no-fail-fast >"$tmp/run2-$profile.log" 2>&1 || true
    t3=$(now)
    tests=$(awk '/^test result:/ {p += $4; f += $6} END {printf "%d passed, %d failed", p, f}' "$tmp/run2-$profile.log")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$profile" "$(minus "$t1" "$t0")" \
        "$(minus "$t2" "$t1")" "$(minus "$t3" "$t2")" "$tests" "$(cut -d' ' -f1 /proc/loadavg)"
done
