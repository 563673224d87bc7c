#!/usr/bin/env bash
# A short fuzz run of every target, for CI: builds once, then fuzzes each target for
# SAFEGUARDS_FUZZ_SECONDS (default 20) seconds from its committed seed corpus. Fails on the
# first crash, broken invariant or timeout, printing the input that caused it.
# SAFEGUARDS_SKIP_FUZZ=1 skips it (a machine without the fuzzer runtime, or a hurried run).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${SAFEGUARDS_SKIP_FUZZ:-0}" = "1" ]; then
    echo "fuzz smoke run skipped (SAFEGUARDS_SKIP_FUZZ=1)"
    exit 0
fi
seconds="${SAFEGUARDS_FUZZ_SECONDS:-20}"
"$root/Fuzz/build.sh"
export SAFEGUARDS_FUZZ_BUILT=1
for target in amount json frame envelope config; do
    log="$root/.build-fuzz/smoke-$target.log"
    echo "fuzzing $target for ${seconds}s"
    if ! "$root/Fuzz/run.sh" "$target" "$seconds" >"$log" 2>&1; then
        tail -60 "$log" >&2
        echo "fuzz target '$target' failed; the input is in .build-fuzz/crashes/$target/" >&2
        exit 1
    fi
    grep -E '^(stat::number_of_executed_units|Done [0-9]+ runs)' "$log" || true
done
