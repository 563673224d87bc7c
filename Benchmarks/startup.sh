#!/usr/bin/env bash
# Start-up time of a real node process whose database holds a long history.
#
#   Benchmarks/startup.sh [--transfers N] [--days D] [--agents A] [--runs R]
#                         [--binary PATH] [--data-binary PATH]
#
# Makes a node's data folder once: the data binary (default: the binary) starts, a pool and A
# agents are created through the API with one real spend each, and the node stops; then N more
# spends, the same rows a spend writes, are added to its journal with sqlite3, their creation
# times spread evenly over the last D days. The binary then starts on that folder R + 1 times:
# the first start (which applies the binary's migrations when the data binary is older) is
# reported on its own, the other R are the start-up figure: the time from the process's spawn to
# the first `200` from `/healthz`, and the node's resident memory at that moment. After each
# start the agents' `spent` must equal the journal's sums exactly.
#
# One line per figure on stdout (`name key=value ...`, as safeguards-bench prints them); context
# as `# ...` lines on stderr. Exit status: 0 when every figure was taken and every check held, 1
# when a check failed or a figure could not be taken, 2 for a bad argument or a missing tool.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: Benchmarks/startup.sh [options]

  --transfers N       spends added to the journal (default 1000000)
  --days D            their creation times spread over the last D days (default 30)
  --agents A          agents they are spread over (default 100)
  --runs R            timed starts after the first (default 3)
  --binary PATH       the safeguards binary to start (default .build/release/safeguards)
  --data-binary PATH  the binary that makes the data folder (default: --binary); pass an older
                      build to measure the migration of its database at the first start
  -h, --help          this text
USAGE
}

bad_usage() {
    echo "error: $*" >&2
    usage >&2
    exit 2
}

transfers=1000000
days=30
agents=100
runs=3
binary=""
data_binary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --transfers) [ $# -ge 2 ] || bad_usage "--transfers needs a value"; transfers=$2; shift ;;
        --days) [ $# -ge 2 ] || bad_usage "--days needs a value"; days=$2; shift ;;
        --agents) [ $# -ge 2 ] || bad_usage "--agents needs a value"; agents=$2; shift ;;
        --runs) [ $# -ge 2 ] || bad_usage "--runs needs a value"; runs=$2; shift ;;
        --binary) [ $# -ge 2 ] || bad_usage "--binary needs a value"; binary=$2; shift ;;
        --data-binary) [ $# -ge 2 ] || bad_usage "--data-binary needs a value"; data_binary=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) bad_usage "unknown argument '$1'" ;;
    esac
    shift
done
for pair in "transfers:$transfers" "days:$days" "agents:$agents" "runs:$runs"; do
    value=${pair#*:}
    [[ $value =~ ^[1-9][0-9]{0,8}$ ]] || bad_usage "--${pair%%:*} must be a positive whole number, not '$value'"
done
[ "$agents" -le 10000 ] || bad_usage "--agents must be at most 10000"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
for tool in sqlite3 curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: '$tool' is not on PATH. Install it, e.g. 'sudo apt-get install $tool'." >&2
        exit 2
    fi
done
# Relative paths are the caller's, from the folder the script was started in.
case "$binary" in "") binary="$root/.build/release/safeguards" ;; /*) ;; *) binary="$PWD/$binary" ;; esac
case "$data_binary" in "") data_binary=$binary ;; /*) ;; *) data_binary="$PWD/$data_binary" ;; esac
for file in "$binary" "$data_binary"; do
    [ -x "$file" ] || { echo "error: no safeguards binary at $file (build it, or pass --binary)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/safeguards-startup.XXXXXX")
node_pids=""
failed=0

# Clean-up at exit, API calls, ports, starting and stopping nodes.
source "$here/lib/nodes.sh"

echo "# startup: cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")" \
    "loadavg=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || uptime) transfers=$transfers days=$days agents=$agents" >&2
echo "# binary: $binary; data made by: $data_binary" >&2

token="startup-$(date +%s)-$RANDOM$RANDOM-token"
data="$work/node/data"
database="$data/safeguards.sqlite"

# The node's configuration, on a port of its own.
node_config() {
    printf 'system_id: startup\ndata_dir: %s\nlog_level: info\napi:\n  listen: 127.0.0.1:%s\n  token: %s\n' \
        "$data" "$1" "$token"
}

# --- the data folder -----------------------------------------------------------------------------

make_data() {
    local saved=$binary url status pool
    binary=$data_binary
    start_node node "$(node_config 0)" || fail "the data binary's node did not start"
    binary=$saved
    url=$node_url
    status=$(call POST "$url/v1/pools" "$token" '{"name":"history","initial_budget":"1000000000","priority":5}')
    expect_status 201 "$status" "creating the pool"
    pool=$(json_string id <"$work/body")
    [ -n "$pool" ] || fail "the pool's answer has no id"
    for ((i = 0; i < agents; i++)); do
        status=$(call POST "$url/v1/agents" "$token" \
            "{\"agent_id\":\"a$i\",\"pool_id\":\"$pool\",\"priority\":\"MEDIUM\",\"initial_budget\":\"1000000\"}")
        expect_status 201 "$status" "registering a$i"
        status=$(call POST "$url/v1/agents/a$i/spend" "$token" '{"amount":"0.01"}')
        expect_status 201 "$status" "a spend of a$i"
    done
    stop_node node
    [ -f "$database" ] || fail "no database at $database"

    # The rows a spend of 0.01 writes (`spd_<hex>`, agent account to its spent account), with
    # creation times from D days ago up to now; and, when the data binary's schema has them (a
    # node refuses to start on a checkpoint that disagrees with its journal), what the spend's
    # commit writes with its row: the history columns and the accounts' checkpointed balances.
    # An older schema gets them from the binary's migrations at its first start.
    local now_ms span_ms started last_seq extra=""
    now_ms=$(($(date +%s%N) / 1000000))
    span_ms=$((days * 86400000))
    started=$(date +%s%N)
    last_seq=$(sqlite3 "$database" "SELECT COALESCE(MAX(seq), 0) FROM transfers")
    if [ "$(sqlite3 "$database" "SELECT count(*) FROM pragma_table_info('transfers') WHERE name = 'agent_id'")" = 1 ]; then
        extra+="UPDATE transfers SET agent_id = substr(debit_account, 7), pool_id = '$pool', kind = 'spend'
            WHERE seq > $last_seq;"
    fi
    if [ "$(sqlite3 "$database" "SELECT count(*) FROM pragma_table_info('accounts') WHERE name = 'debits_posted'")" = 1 ]; then
        local side
        for side in debit credit; do
            extra+="UPDATE accounts SET ${side}s_posted = ${side}s_posted + added.total
                FROM (SELECT ${side}_account AS id, SUM(posted_amount) AS total FROM transfers
                    WHERE seq > $last_seq GROUP BY ${side}_account) AS added
                WHERE accounts.id = added.id;"
        done
    fi
    sqlite3 "$database" >/dev/null <<SQL
PRAGMA foreign_keys = ON;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $transfers)
INSERT INTO transfers(id, debit_account, credit_account, amount, is_pending, timeout_ms, reason, metadata,
    created_at, state, posted_amount, resolved_at)
SELECT printf('spd_%032x', i), 'agent:a' || (i % $agents), 'spent:a' || (i % $agents), 10000, 0, NULL,
    'spend by agent a' || (i % $agents), '{"agent_id":"a' || (i % $agents) || '","kind":"spend"}',
    $now_ms - $span_ms + (i * $span_ms) / $transfers, 'posted', 10000, NULL
FROM n;
$extra
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
    echo "# data: $transfers spends added in $(seconds_since "$started") s;" \
        "database $(($(stat -c %s "$database") / 1048576)) MiB" >&2
}

# Seconds since a `date +%s%N` reading, with millisecond places.
seconds_since() {
    awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}

# --- one timed start ----------------------------------------------------------------------------

# `timed_start`: starts the binary on the data folder and polls `/healthz` every 10 ms until it
# answers 200. Sets $start_seconds, $start_rss_kib and $node_url; the node keeps running.
timed_start() {
    local port dir="$work/node" started tries=0
    port=$(free_port)
    node_config "$port" >"$dir/node.yaml"
    started=$(date +%s%N)
    "$binary" node run --config "$dir/node.yaml" >>"$dir/node.log" 2>&1 &
    local pid=$!
    node_pids="$node_pids $pid"
    pid_node=$pid
    node_url="http://127.0.0.1:$port"
    until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$node_url/healthz" || true)" = 200 ]; do
        kill -0 "$pid" 2>/dev/null || fail "the node exited while starting (log below)"
        [ $tries -lt 30000 ] || fail "the node did not answer /healthz within 5 minutes"
        sleep 0.01
        tries=$((tries + 1))
    done
    start_seconds=$(seconds_since "$started")
    start_rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
}

# Every agent's `spent` through the API must equal the journal's sum for its spent account.
check_spent() {
    local expected got status mismatches=0
    while IFS='|' read -r agent micros_spent; do
        status=$(call GET "$node_url/v1/agents/$agent" "$token")
        expect_status 200 "$status" "reading $agent"
        got=$(grep -o '"spent":"[^"]*"' "$work/body" | head -n 1 | cut -d '"' -f 4)
        expected=$(decimal "$micros_spent")
        if [ "$got" != "$expected" ]; then
            echo "# check: $agent spent $got through the API, $expected in the journal" >&2
            mismatches=$((mismatches + 1))
        fi
    done < <(sqlite3 "$database" \
        "SELECT substr(credit_account, 7), SUM(posted_amount) FROM transfers
         WHERE credit_account LIKE 'spent:%' GROUP BY credit_account")
    if [ "$mismatches" = 0 ]; then
        echo "check startup.spent agents=$agents ok"
    else
        failed=1
        echo "check startup.spent agents=$agents mismatches=$mismatches FAILED"
    fi
}

make_data

timed_start
echo "startup.first_start transfers=$transfers seconds=$start_seconds rss_mib=$((start_rss_kib / 1024))"
check_spent
stop_node node

times=()
rss=()
for ((run = 1; run <= runs; run++)); do
    timed_start
    times+=("$start_seconds")
    rss+=("$start_rss_kib")
    stop_node node
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
fastest=$(printf '%s\n' "${times[@]}" | sort -n | head -n 1)
rss_median=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "startup.healthz transfers=$transfers seconds_median=$median seconds_fastest=$fastest" \
    "rss_mib=$((rss_median / 1024)) runs=$runs"
timed_start
check_spent
stop_node node
[ "$failed" = 0 ]
