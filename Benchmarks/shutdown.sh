#!/usr/bin/env bash
# How long a node process takes to stop after SIGTERM, and what its stop keeps.
#
#   Benchmarks/shutdown.sh [--runs R] [--clients C] [--binary PATH]
#
# Three figures, each the time from SIGTERM to the process's exit (median and slowest of R runs):
#   shutdown.idle         a node with nothing in flight;
#   shutdown.federated    system_a of the development federation (Certs/), gossiping with
#                         system_b, which is up, and listing system_c, which is down;
#   shutdown.under_load   a node taking spends from C clients, each sending the next spend as
#                         soon as the last one is answered, signalled in the middle of the load.
# After each loaded stop the node starts again on its data folder, and the agent's `spent` must
# lie between the spends the clients saw acknowledged (201) and the spends they sent: nothing
# acknowledged is lost, and nothing is counted twice.
#
# One line per figure on stdout (`name key=value ...`, as safeguards-bench prints them); context
# as `# ...` lines on stderr. Exit status: 0 when every figure was taken and every check held, 1
# when a check failed or a figure could not be taken, 2 for a bad argument or a missing tool.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: Benchmarks/shutdown.sh [options]

  --runs R         stops per figure (default 5)
  --clients C      concurrent spenders of the loaded stop (default 16)
  --binary PATH    the safeguards binary (default .build/release/safeguards)
  -h, --help       this text
USAGE
}

bad_usage() {
    echo "error: $*" >&2
    usage >&2
    exit 2
}

runs=5
clients=16
binary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) [ $# -ge 2 ] || bad_usage "--runs needs a value"; runs=$2; shift ;;
        --clients) [ $# -ge 2 ] || bad_usage "--clients needs a value"; clients=$2; shift ;;
        --binary) [ $# -ge 2 ] || bad_usage "--binary needs a value"; binary=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) bad_usage "unknown argument '$1'" ;;
    esac
    shift
done
[[ $runs =~ ^[1-9][0-9]?$ ]] || bad_usage "--runs must be a whole number from 1 to 99, not '$runs'"
[[ $clients =~ ^[1-9][0-9]?$ ]] || bad_usage "--clients must be a whole number from 1 to 99, not '$clients'"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
certs="$root/Certs"
command -v curl >/dev/null 2>&1 || { echo "error: 'curl' is not on PATH" >&2; exit 2; }
case "$binary" in "") binary="$root/.build/release/safeguards" ;; /*) ;; *) binary="$PWD/$binary" ;; esac
[ -x "$binary" ] || { echo "error: no safeguards binary at $binary (build it, or pass --binary)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/safeguards-shutdown.XXXXXX")
node_pids=""
failed=0
spender_pids=""

# Clean-up at exit, API calls, ports, starting and stopping nodes.
source "$here/lib/nodes.sh"

echo "# shutdown: cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")" \
    "loadavg=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || uptime) runs=$runs clients=$clients" >&2
echo "# binary: $binary" >&2

token="shutdown-$(date +%s)-$RANDOM$RANDOM-token"

# `plain_config NAME PORT`: a node of its own, data in $work/NAME/data.
plain_config() {
    printf 'system_id: %s\ndata_dir: %s\nlog_level: info\napi:\n  listen: 127.0.0.1:%s\n  token: %s\n' \
        "$1" "$work/$1/data" "$2" "$token"
}

# `federated_config SYSTEM API_PORT FED_PORT PEER PEER_PORT ...`: a node of the development
# federation listing the given peers.
federated_config() {
    local system=$1 api=$2 listen=$3
    shift 3
    plain_config "$system" "$api"
    printf 'federation:\n  listen: 127.0.0.1:%s\n  ca: %s/ca.pem\n  certificate: %s/%s.pem\n' \
        "$listen" "$certs" "$certs" "$system"
    printf '  private_key: %s/%s.key\n  signing_key: %s/%s.signing.key\n  peers:\n' \
        "$certs" "$system" "$certs" "$system"
    while [ $# -ge 2 ]; do
        printf '    - system_id: %s\n      address: 127.0.0.1:%s\n      trust_level: 0.8\n      public_key: %s\n' \
            "$1" "$2" "$(tr -d '[:space:]' <"$certs/$1.signing.pub")"
        shift 2
    done
}

# `timed_stop NAME`: SIGTERM to the node NAME; sets $stop_seconds to the time until the process
# exited (polled every 5 ms) and forgets its pid.
timed_stop() {
    local pid started tries=0
    eval "pid=\${pid_$1-}"
    [ -n "$pid" ] || fail "node $1 is not running"
    started=$(date +%s%N)
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        [ $tries -lt 12000 ] || fail "node $1 did not stop within 60 s of SIGTERM"
        sleep 0.005
        tries=$((tries + 1))
    done
    stop_seconds=$(awk -v a="$started" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    wait "$pid" 2>/dev/null || true
    local kept="" other
    for other in $node_pids; do [ "$other" = "$pid" ] || kept="$kept $other"; done
    node_pids=$kept
    eval "pid_$1="
}

# `figure NAME SECONDS...`: the median and the slowest of the runs, as one line.
figure() {
    local name=$1
    shift
    local sorted
    sorted=$(printf '%s\n' "$@" | sort -n)
    echo "$name seconds_median=$(awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' <<<"$sorted")" \
        "seconds_slowest=$(tail -n 1 <<<"$sorted") runs=$#"
}

# --- nothing in flight ----------------------------------------------------------------------------

times=()
for ((run = 1; run <= runs; run++)); do
    rm -rf "$work/idle"
    start_node idle "$(plain_config idle "$(free_port)")" || fail "the idle node did not start"
    timed_stop idle
    times+=("$stop_seconds")
done
figure shutdown.idle "${times[@]}"

# --- federated, one peer up and one down -----------------------------------------------------------

times=()
for ((run = 1; run <= runs; run++)); do
    rm -rf "$work/system_a" "$work/system_b"
    a_fed=$(free_port)
    b_fed=$(free_port)
    c_fed=$(free_port)  # nothing listens there: system_c is down
    start_node system_b "$(federated_config system_b "$(free_port)" "$b_fed" system_a "$a_fed")" \
        || fail "system_b did not start"
    start_node system_a "$(federated_config system_a "$(free_port)" "$a_fed" system_b "$b_fed" system_c "$c_fed")" \
        || fail "system_a did not start"
    a_url=$node_url
    status=$(call POST "$a_url/v1/peers/system_b/ping" "$token")
    expect_status 200 "$status" "system_a's ping of system_b"
    timed_stop system_a
    times+=("$stop_seconds")
    stop_node system_b
done
figure shutdown.federated "${times[@]}"

# --- spends in flight --------------------------------------------------------------------------------

# `spender N URL`: sends spends of 0.01 one after another until the node stops answering, and
# writes one status code per spend to $work/spends.N.
spender() {
    local n=$1 url=$2 code
    : >"$work/spends.$n"
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X POST \
            -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
            --data-binary '{"amount":"0.01"}' "$url/v1/agents/spender/spend" || true)
        echo "$code" >>"$work/spends.$n"
        [ "$code" = 201 ] || [ "$code" = 503 ] || [ "$code" = 429 ] || break
    done
}

times=()
for ((run = 1; run <= runs; run++)); do
    rm -rf "$work/loaded" "$work"/spends.*
    port=$(free_port)
    config=$(plain_config loaded "$port")
    start_node loaded "$config" || fail "the loaded node did not start"
    url=$node_url
    status=$(call POST "$url/v1/pools" "$token" '{"name":"load","initial_budget":"1000000","priority":5}')
    expect_status 201 "$status" "creating the pool"
    pool=$(json_string id <"$work/body")
    status=$(call POST "$url/v1/agents" "$token" \
        "{\"agent_id\":\"spender\",\"pool_id\":\"$pool\",\"priority\":\"MEDIUM\",\"initial_budget\":\"100000\"}")
    expect_status 201 "$status" "registering the spender"

    spender_pids=""
    for ((c = 1; c <= clients; c++)); do
        spender "$c" "$url" &
        spender_pids="$spender_pids $!"
    done
    sleep 2
    timed_stop loaded
    times+=("$stop_seconds")
    for pid in $spender_pids; do wait "$pid" 2>/dev/null || true; done

    sent=$(cat "$work"/spends.* | wc -l)
    acknowledged=$(cat "$work"/spends.* | grep -c '^201$' || true)
    refused=$(cat "$work"/spends.* | grep -c '^503$' || true)
    start_node loaded "$config" || fail "the loaded node did not start again"
    status=$(call GET "$node_url/v1/agents/spender" "$token")
    expect_status 200 "$status" "reading the spender"
    spent=$(micros "$(json_string spent <"$work/body")")
    stop_node loaded
    if [ "$spent" -ge $((acknowledged * 10000)) ] && [ "$spent" -le $((sent * 10000)) ]; then
        echo "# run $run: $sent spends sent, $acknowledged acknowledged, $refused refused while stopping," \
            "spent $(decimal "$spent") after the restart" >&2
    else
        failed=1
        echo "check shutdown.under_load run=$run acknowledged=$acknowledged sent=$sent" \
            "spent=$(decimal "$spent") FAILED"
    fi
done
figure shutdown.under_load "${times[@]}"
[ "$failed" = 0 ] && echo "check shutdown.under_load runs=$runs ok"
[ "$failed" = 0 ]
