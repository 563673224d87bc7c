#!/usr/bin/env bash
# Builds every fuzz target with the fuzzer sanitizer into .build-fuzz (incremental after the first build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# SwiftPM does not notice a source file added to a path dependency: a changed manifest makes it
# plan the build again.
touch "$root/Fuzz/Package.swift"
swift build --package-path "$root/Fuzz" --scratch-path "$root/.build-fuzz" -c debug \
    -Xswiftc -sanitize=fuzzer 2>&1 | grep -v '^\[' | tail -40
exit "${PIPESTATUS[0]}"
