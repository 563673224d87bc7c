#!/usr/bin/env bash
# The contract check: docs/openapi.yaml against a running node.
#
# Starts one node process of the debug binary (loopback, a port the kernel picks, a temporary
# data folder, a known token), then lets schemathesis (from PyPI, in a venv under .build) send
# every documented operation generated requests, valid and invalid. The run fails on any 5xx,
# any answer whose body does not match its documented schema, and any status the file does not
# document for that operation. Bounded: a few examples per operation and a hard time limit.
# The node is ended by its pid; its log is printed only when the run fails.
#
# Without network (pip cannot install schemathesis) the step is skipped with a notice; a failure
# of the run itself fails CI. SAFEGUARDS_BIN names another binary; SAFEGUARDS_CONTRACT_EXAMPLES
# (default 8) and SAFEGUARDS_CONTRACT_TIMEOUT (default 240 s) bound the run; SAFEGUARDS_CONTRACT_SEED
# (default 1) picks another sequence of generated requests.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${SAFEGUARDS_BIN:-.build/debug/safeguards}"
[ -x "$binary" ] || { echo "contract: no binary at $binary (build first)" >&2; exit 1; }

venv=.build/schemathesis-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
    if ! { python3 -m venv "$venv" &&
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check schemathesis; }; then
        echo "::: contract check skipped: pip could not install schemathesis (no network?)"
        exit 0
    fi
fi

work="$(mktemp -d)"
token="contract-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
cat >"$work/node.yaml" <<EOF
system_id: contract
data_dir: $work/data
log_level: info
api:
  listen: 127.0.0.1:0
  token: $token
EOF

"$binary" node run --config "$work/node.yaml" >"$work/node.log" 2>&1 </dev/null &
node=$!
stop_node() {
    if kill -0 "$node" 2>/dev/null; then
        kill -TERM "$node" 2>/dev/null || true
        for _ in $(seq 150); do kill -0 "$node" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$node" 2>/dev/null || true
    fi
    wait "$node" 2>/dev/null || true
}
print_log() {
    echo "::: the node's log (last 200 lines)" >&2
    tail -n 200 "$work/node.log" >&2 || true
}
trap 'stop_node; rm -rf "$work"' EXIT

# The node writes the address it listens on once every listener is up; then /healthz must answer.
address=""
for _ in $(seq 600); do
    [ -s "$work/data/api-address" ] && address="$(cat "$work/data/api-address")" && break
    kill -0 "$node" 2>/dev/null || { echo "contract: the node exited at start" >&2; print_log; exit 1; }
    sleep 0.1
done
[ -n "$address" ] || { echo "contract: the node did not start listening" >&2; print_log; exit 1; }
url="http://${address#http://}"
"$venv/bin/python" - "$url/healthz" <<'EOF' || { echo "contract: /healthz does not answer" >&2; print_log; exit 1; }
import sys, time, urllib.request
for _ in range(100):
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as answer:
            if answer.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
EOF

# Run from the temporary folder, so schemathesis's caches (.schemathesis, .hypothesis) go with it
# and every run starts afresh from the same seed.
root="$(pwd)"
started=$(date +%s)
status=0
(cd "$work" && timeout --kill-after=15 "${SAFEGUARDS_CONTRACT_TIMEOUT:-240}" \
    "$root/$venv/bin/schemathesis" run "$root/docs/openapi.yaml" \
    --url "$url" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance \
    --max-examples "${SAFEGUARDS_CONTRACT_EXAMPLES:-8}" \
    --seed "${SAFEGUARDS_CONTRACT_SEED:-1}" \
    --workers 1 \
    --request-timeout 30 \
    --generation-database none \
    --no-color) || status=$?
echo "contract: schemathesis ran $(($(date +%s) - started)) s, exit status $status"
if [ "$status" -ne 0 ]; then
    print_log
    exit "$status"
fi
