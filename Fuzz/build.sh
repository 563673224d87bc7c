#!/usr/bin/env bash
# Builds every fuzz target with the fuzzer sanitizer into .build-fuzz (incremental after the first build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# SwiftPM does not notice a source file added to a path dependency: a changed manifest makes it
# plan the build again.
touch "$root/Fuzz/Package.swift"
mkdir -p "$root/.build-fuzz"
log="$root/.build-fuzz/build.log"
if ! swift build --package-path "$root/Fuzz" --scratch-path "$root/.build-fuzz" -c debug \
    -Xswiftc -sanitize=fuzzer >"$log" 2>&1; then
    grep -v '^\[' "$log" | tail -60 >&2
    echo "the fuzz targets did not build (full log: $log)" >&2
    exit 1
fi
tail -1 "$log"
