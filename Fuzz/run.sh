#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer and runs one of them.
# usage: Fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags...]
#   TARGET   one of: amount json frame envelope config (or the executable name, e.g. FuzzAmount)
#   SECONDS  how long to fuzz (default 60); 0 runs until a crash or Ctrl-C
# New inputs are kept in .build-fuzz/corpus/TARGET (seeded from Fuzz/corpus/TARGET, which stays
# as committed); a crashing input is written to .build-fuzz/crashes/TARGET/ and the script fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$root/.build-fuzz"

target="${1:?usage: Fuzz/run.sh TARGET [SECONDS]}"
seconds="${2:-60}"
shift $(( $# >= 2 ? 2 : 1 ))
case "$target" in
    amount|Amount|FuzzAmount) name=amount; product=FuzzAmount ;;
    json|JSON|FuzzJSON) name=json; product=FuzzJSON ;;
    frame|Frame|FuzzFrame) name=frame; product=FuzzFrame ;;
    envelope|Envelope|FuzzEnvelope) name=envelope; product=FuzzEnvelope ;;
    config|Config|FuzzConfig) name=config; product=FuzzConfig ;;
    *) echo "unknown fuzz target '$target' (amount, json, frame, envelope, config)" >&2; exit 2 ;;
esac

# smoke.sh builds once for all targets.
[ "${SAFEGUARDS_FUZZ_BUILT:-0}" = 1 ] || "$root/Fuzz/build.sh" >&2

work="$scratch/corpus/$name"
crashes="$scratch/crashes/$name"
mkdir -p "$work" "$crashes"
dictionary=()
[ -f "$root/Fuzz/dictionaries/$name.dict" ] && dictionary=(-dict="$root/Fuzz/dictionaries/$name.dict")
# -max_total_time=0 means no limit to libFuzzer.
exec "$scratch/debug/$product" "$work" "$root/Fuzz/corpus/$name" \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "${dictionary[@]}" "$@"
