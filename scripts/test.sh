#!/usr/bin/env bash
# The test suite (what CI runs through .ci/run). Release profile: measured faster overall for
# this workspace than the test profile — rust-hdl simulations run ~25% faster and a clean build
# of the workspace takes less time (docs/boards.md, "Test profile"), and `cargo run --release`
# reuses the same artifacts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

start=$(date +%s)
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --release --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?

# Sum the per-binary "test result:" lines into one closing line.
read -r passed failed ignored < <(awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i) ~ /^passed;?$/)  p += $(i-1);
            if ($(i) ~ /^failed;?$/)  f += $(i-1);
            if ($(i) ~ /^ignored;?$/) g += $(i-1);
        }
    } END { printf "%d %d %d\n", p, f, g }' "$log")
elapsed=$(( $(date +%s) - start ))
if [[ $status -ne 0 && $failed -eq 0 ]]; then
    echo "scripts/test.sh: cargo test exited $status without a failed test (build error?)" >&2
    failed=1
fi
echo
echo "scripts/test.sh: cargo test --workspace --release took ${elapsed}s"
echo "tests: ${passed} passed, ${failed} failed, ${ignored} skipped"
exit "$status"
