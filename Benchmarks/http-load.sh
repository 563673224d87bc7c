#!/usr/bin/env bash
# HTTP load figures of real Safeguards node processes, taken with wrk.
#
#   Benchmarks/http-load.sh [--quick] [--duration S] [--connections N] [--threads N]
#                           [--settle-connections N] [--only http|settle] [--skip-build] [--binary PATH]
#
# One line per figure on stdout (`name key=value ...`, as safeguards-bench prints them); context
# as `# ...` lines on stderr. See Benchmarks/README.md, "HTTP load with wrk". Exit status: 0 when
# every figure was taken and every check held, 1 when a check failed or a figure could not be
# taken, 2 for a bad argument or a missing tool.
#
# Only loopback is used. Every node runs in a fresh temporary folder with its own token, is ended
# by its pid when the script exits, and its log is printed only when something failed.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: Benchmarks/http-load.sh [options]

  --quick                  2 s per figure, to check that every path works
  --duration S             seconds per figure (default 10)
  --connections N          wrk connections for the one-node figures (default 50)
  --threads N              wrk threads (default 2)
  --settle-connections N   connections of the concurrent settlement and ping figures (default 16)
  --only GROUP             http or settle (repeatable; default both)
  --skip-build             use the release build that is there (.build/release/safeguards)
  --binary PATH            the safeguards binary to run (implies --skip-build)
  -h, --help               this text
USAGE
}

bad_usage() {
    echo "error: $*" >&2
    usage >&2
    exit 2
}

duration=10
connections=50
threads=2
settle_connections=16
skip_build=0
binary=""
groups=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) duration=2 ;;
        --duration) [ $# -ge 2 ] || bad_usage "--duration needs a value"; duration=${2%s}; shift ;;
        --connections) [ $# -ge 2 ] || bad_usage "--connections needs a value"; connections=$2; shift ;;
        --threads) [ $# -ge 2 ] || bad_usage "--threads needs a value"; threads=$2; shift ;;
        --settle-connections)
            [ $# -ge 2 ] || bad_usage "--settle-connections needs a value"; settle_connections=$2; shift ;;
        --only)
            [ $# -ge 2 ] || bad_usage "--only needs a value"
            case "$2" in http | settle) groups="$groups $2" ;; *) bad_usage "--only takes http or settle, not '$2'" ;; esac
            shift ;;
        --skip-build) skip_build=1 ;;
        --binary) [ $# -ge 2 ] || bad_usage "--binary needs a value"; binary=$2; skip_build=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) bad_usage "unknown argument '$1'" ;;
    esac
    shift
done
for pair in "duration:$duration" "connections:$connections" "threads:$threads" \
    "settle-connections:$settle_connections"; do
    value=${pair#*:}
    [[ $value =~ ^[1-9][0-9]{0,5}$ ]] || bad_usage "--${pair%%:*} must be a positive whole number, not '$value'"
done
[ "$connections" -ge "$threads" ] || bad_usage "--connections must be at least --threads"
[ "$settle_connections" -ge 2 ] || bad_usage "--settle-connections must be at least 2 (one is callers_1)"
# A relative --binary is the caller's, from the folder the script was started in.
case "$binary" in "" | /*) ;; *) binary="$PWD/$binary" ;; esac
[ -n "$groups" ] || groups="http settle"
wants() { [[ " $groups " == *" $1 "* ]]; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
script="$here/http-load/load.lua"
[ -f "$root/Package.swift" ] && [ -f "$script" ] || { echo "error: run this from a Safeguards checkout" >&2; exit 2; }

for tool in wrk curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: '$tool' is not on PATH. Install it, e.g. 'sudo apt-get install $tool' (Debian, Ubuntu)" \
            "or 'brew install $tool' (macOS)." >&2
        exit 2
    fi
done

cd "$root"
if [ "$skip_build" = 0 ]; then
    echo "# building: swift build -c release --product safeguards" >&2
    swift build -c release --product safeguards >&2
    binary="$(swift build -c release --show-bin-path)/safeguards"
elif [ -z "$binary" ]; then
    binary="$root/.build/release/safeguards"
fi
[ -x "$binary" ] || { echo "error: no safeguards binary at $binary (build it, or pass --binary)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/safeguards-http-load.XXXXXX")
node_pids=""
failed=0

# Clean-up at exit, API calls, ports, starting and stopping nodes.
source "$here/lib/nodes.sh"

# A value from the result file wrk's done() wrote: `result FILE KEY`.
result() {
    sed -n "s/^$2=//p" "$1" | head -n 1
}

# `run_wrk LABEL MODE THREADS CONNECTIONS URL [VAR=VALUE...]`: one wrk run of `duration` seconds
# with the Lua script in MODE; its results are in $work/LABEL.result (see load.lua).
run_wrk() {
    local label=$1 mode=$2 wrk_threads=$3 wrk_connections=$4 url=$5
    shift 5
    echo "# $label: wrk -t$wrk_threads -c$wrk_connections -d${duration}s --latency" \
        "($(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo "?") loadavg before)" >&2
    if ! env SG_LOAD_MODE="$mode" SG_LOAD_THREADS="$wrk_threads" SG_LOAD_RESULT="$work/$label.result" "$@" \
        wrk -t"$wrk_threads" -c"$wrk_connections" -d"${duration}s" --timeout 10s --latency \
        -s "$script" "$url" >"$work/$label.wrk" 2>&1; then
        fail "wrk failed for $label"
    fi
    [ -s "$work/$label.result" ] || fail "wrk wrote no results for $label"
}

# Fields of the timed lines, from a result file. `per_second FILE COUNT`: COUNT over the run.
per_second() {
    awk -v n="$(result "$1" "$2")" -v us="$(result "$1" duration_us)" 'BEGIN { printf "%.1f", (us > 0 ? n / (us / 1e6) : 0) }'
}
ms_of() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'; }
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
latency_fields() {
    local file=$1
    printf 'p50_ms=%s p99_ms=%s max_ms=%s' "$(ms_of "$(result "$file" p50_us)")" \
        "$(ms_of "$(result "$file" p99_us)")" "$(ms_of "$(result "$file" max_us)")"
}
seconds_of() { awk -v us="$(result "$1" duration_us)" 'BEGIN { printf "%.3f", us / 1e6 }'; }

# --- context -----------------------------------------------------------------------------------

cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "unknown")
echo "# http-load: cores=$cores loadavg=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || uptime)" \
    "commit=$commit duration=${duration}s threads=$threads connections=$connections" \
    "settle_connections=$settle_connections" >&2
echo "# binary: $binary; $(wrk --version 2>&1 | head -n 1 | awk '{ print $1, $2 }')" >&2
echo "# nodes, logs and wrk output in $work (removed at exit)" >&2

token="load-$(date +%s)-$RANDOM$RANDOM-token"

# --- one node: /healthz, an agent, a spend --------------------------------------------------------

agent_count=50
spend_amount="0.01"

http_figures() {
    start_node http "system_id: load
data_dir: $work/http/data
log_level: info
api:
  listen: 127.0.0.1:0
  token: $token" || fail "the node did not start"
    local url=$node_url status pool

    status=$(call POST "$url/v1/pools" "$token" '{"name":"load","initial_budget":"100000000","priority":5}')
    expect_status 201 "$status" "creating the pool"
    pool=$(json_string id <"$work/body")
    [ -n "$pool" ] || fail "the pool's answer has no id"
    for ((i = 0; i < agent_count; i++)); do
        status=$(call POST "$url/v1/agents" "$token" \
            "{\"agent_id\":\"agent$i\",\"pool_id\":\"$pool\",\"priority\":\"MEDIUM\",\"initial_budget\":\"1000000\"}")
        expect_status 201 "$status" "registering agent$i"
    done
    echo "# http: one node at $url, a pool and $agent_count agents of 1000000 each" >&2

    local common=(SG_LOAD_TOKEN="$token" SG_LOAD_AGENTS="$agent_count" SG_LOAD_AGENT=agent)
    run_wrk http.healthz healthz "$threads" "$connections" "$url" "${common[@]}"
    run_wrk http.agent_get agent_get "$threads" "$connections" "$url" "${common[@]}"
    run_wrk http.spend spend "$threads" "$connections" "$url" "${common[@]}" \
        SG_LOAD_AMOUNT="$spend_amount" SG_LOAD_KEYS=s

    local healthz_rate name file rate line
    healthz_rate=$(per_second "$work/http.healthz.result" requests)
    for name in healthz agent_get spend; do
        file="$work/http.$name.result"
        rate=$(per_second "$file" requests)
        line="http.$name requests_per_sec=$rate $(latency_fields "$file") requests=$(result "$file" requests)"
        line="$line errors=$(result "$file" errors) seconds=$(seconds_of "$file")"
        [ "$name" = healthz ] || line="$line ratio_to_healthz=$(ratio_of "$rate" "$healthz_rate")"
        echo "$line"
    done
    local first
    first=$(result "$work/http.spend.result" first_other)
    [ -z "$first" ] || echo "# http.spend: the first answer that was not 2xx: $first" >&2

    check_http "$url" "$pool"
    stop_node http
}

# What the agents spent, summed exactly: sets $spent_total (micro-units) and $spent_count (agents
# listed), and $spent_paged=1 when the list did not fit one page.
read_spent() {
    local url=$1 pool=$2 status value
    status=$(call GET "$url/v1/agents?pool_id=$pool&limit=1000" "$token")
    expect_status 200 "$status" "listing the agents"
    spent_total=0
    spent_count=0
    spent_paged=0
    grep -q '"next":null' "$work/body" || spent_paged=1
    while IFS= read -r value; do
        [ -n "$value" ] || continue
        value=$(micros "$value")
        spent_total=$((spent_total + value))
        spent_count=$((spent_count + 1))
    done < <(grep -o '"spent":"[^"]*"' "$work/body" | cut -d '"' -f 4)
}

# Looks up every spend wrk sent without getting a 2xx answer by its transfer id `spd:KEY`, in
# one curl (one keep-alive connection, a status code a line). Sets $applied (found) and
# $unknown (neither found nor not found).
look_up_unanswered() {
    local url=$1 keys="$work/http.spend.result.unresolved" looked=0 status
    applied=0
    unknown=0
    [ -s "$keys" ] || return 0
    awk -v base="$url/v1/transfers/spd:" '{ printf "url = \"%s%s\"\noutput = \"/dev/null\"\n", base, $0 }' \
        "$keys" >"$work/lookups.curl"
    while IFS= read -r status; do
        looked=$((looked + 1))
        case $status in
            200) applied=$((applied + 1)) ;;
            404) ;;
            *) unknown=$((unknown + 1)) ;;
        esac
    done < <(curl -sS --max-time 30 -H "Authorization: Bearer $token" -w '%{http_code}\n' -K "$work/lookups.curl" || true)
    unknown=$((unknown + $(wc -l <"$keys") - looked))
}

# After the spends: the ledger is balanced, and what the agents spent is exactly the acknowledged
# spends plus those wrk left unanswered (in flight at its stop, or refused) that the node did
# carry out. Requests still in the node when wrk stopped finish a moment later, so the sum is read
# before and after the look-ups, again until both agree.
check_http() {
    local url=$1 pool=$2 file="$work/http.spend.result" problems=""
    local acknowledged unmatched attempt before
    acknowledged=$(result "$file" ok)
    unmatched=$(result "$file" unmatched)
    [ "$unmatched" = 0 ] || problems="$problems $unmatched 2xx answers named no key that was sent;"
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        sleep 0.3
        read_spent "$url" "$pool"
        before=$spent_total
        look_up_unanswered "$url"
        read_spent "$url" "$pool"
        [ "$before" != "$spent_total" ] || break
    done
    [ "$before" = "$spent_total" ] || problems="$problems the agents' spending was still changing after 10 tries;"
    [ "$unknown" = 0 ] || problems="$problems $unknown unanswered spends could not be looked up;"
    [ "$spent_count" = "$agent_count" ] || problems="$problems the list holds $spent_count agents, not $agent_count;"
    [ "$spent_paged" = 0 ] || problems="$problems the agent list has more than one page;"

    local unit expected
    unit=$(micros "$spend_amount")
    expected=$(((acknowledged + applied) * unit))
    [ "$spent_total" = "$expected" ] ||
        problems="$problems the agents spent $(decimal "$spent_total"), not $(decimal "$expected");"

    local balanced=false status
    status=$(call GET "$url/v1/ledger/check" "$token")
    expect_status 200 "$status" "the ledger check"
    grep -q '"balanced":true' "$work/body" && balanced=true
    [ "$balanced" = true ] || problems="$problems the ledger is not balanced: $(head -c 300 "$work/body");"

    local line="check http acknowledged=$acknowledged unanswered_applied=$applied"
    line="$line spent=$(decimal "$spent_total") expected=$(decimal "$expected") balanced=$balanced"
    if [ -z "$problems" ]; then
        echo "$line ok"
    else
        echo "$line FAILED"
        echo "# check http FAILED:$problems" >&2
        failed=1
    fi
}

# --- two nodes: remote settlement over mutual TLS ------------------------------------------------

settle_amount="1"
offer="1000000000"

# The YAML of one federation node. `federation_node SYSTEM PORT PEER PEER_PORT EXTRA`
federation_node() {
    local system=$1 port=$2 peer=$3 peer_port=$4 extra=$5 certs="$root/Certs"
    local key
    key=$(tr -d '[:space:]' <"$certs/$peer.signing.pub")
    cat <<YAML
system_id: $system
data_dir: $work/$system/data
log_level: info
api:
  listen: 127.0.0.1:0
  token: $token
federation:
  listen: 127.0.0.1:$port
  ca: $certs/ca.pem
  certificate: $certs/$system.pem
  private_key: $certs/$system.key
  signing_key: $certs/$system.signing.key
$extra
  peers:
    - system_id: $peer
      address: 127.0.0.1:$peer_port
      trust_level: 0.8
      public_key: $key
YAML
}

# Starts system_b (the giver) and system_a (the requester) on free federation ports, trying new
# ports when one was taken between the check and the bind. Sets $giver_url and $requester_url.
start_federation() {
    local attempt port_a port_b giver_extra
    giver_extra="  offers:
    system_a: \"$offer\"
  settlement:
    per_request_cap: \"1000000\"
    rate_limit: 1000000000
    rate_window: 1s"
    for attempt in 1 2 3 4 5; do
        port_a=$(free_port)
        port_b=$(free_port)
        [ "$port_a" != "$port_b" ] || continue
        if start_node system_b "$(federation_node system_b "$port_b" system_a "$port_a" "$giver_extra")"; then
            giver_url=$node_url
            if start_node system_a "$(federation_node system_a "$port_a" system_b "$port_b" "")"; then
                requester_url=$node_url
                return 0
            fi
        fi
        stop_node system_a
        stop_node system_b
        grep -qs "is in use" "$work"/system_*/node.log || fail "a federation node did not start"
        echo "# a federation port was taken; trying others" >&2
        rm -rf "$work/system_a" "$work/system_b"
    done
    fail "no free federation ports after 5 attempts"
}

# This side's remote transactions with PEER, as `id status amount` lines sorted by id, through
# the CLI (which pages through the whole list).
transactions() {
    local url=$1 peer=$2
    "$binary" federation transactions --url "$url" --token "$token" --peer "$peer" >"$work/transactions.txt" ||
        fail "listing the transactions of $url failed"
    awk 'NR > 1 && NF >= 7 { print $1, $7, $6 }' "$work/transactions.txt" | LC_ALL=C sort
}

settle_figures() {
    start_federation
    local status pool caller_count=$settle_connections
    status=$(call POST "$requester_url/v1/pools" "$token" '{"name":"settle","initial_budget":"1000","priority":5}')
    expect_status 201 "$status" "creating the requester's pool"
    pool=$(json_string id <"$work/body")
    for ((i = 0; i < caller_count; i++)); do
        status=$(call POST "$requester_url/v1/agents" "$token" \
            "{\"agent_id\":\"caller$i\",\"pool_id\":\"$pool\",\"priority\":\"HIGH\",\"initial_budget\":\"1\"}")
        expect_status 201 "$status" "registering caller$i"
    done
    # The first request opens the federation connection (its handshake is not timed).
    status=$(call POST "$requester_url/v1/federation/requests" "$token" \
        "{\"agent_id\":\"caller0\",\"remote_system_id\":\"system_b\",\"amount\":\"$settle_amount\",\"metadata\":{},\"idempotency_key\":\"warm-up\"}")
    expect_status 200 "$status" "the first remote request"
    [ "$(json_string status <"$work/body")" = accepted ] || fail "the first remote request was not accepted"
    echo "# settle: system_a at $requester_url asks system_b at $giver_url over mutual TLS" >&2

    local common=(SG_LOAD_TOKEN="$token" SG_LOAD_AGENTS="$caller_count" SG_LOAD_AGENT=caller
        SG_LOAD_AMOUNT="$settle_amount" SG_LOAD_PEER=system_b)
    local concurrent_threads=$((threads < caller_count ? threads : caller_count))
    local many="callers_$caller_count" ping="ping_$caller_count"
    run_wrk settle.http.callers_1 settle 1 1 "$requester_url" "${common[@]}" SG_LOAD_KEYS=c1
    run_wrk "settle.http.$many" settle "$concurrent_threads" "$caller_count" "$requester_url" "${common[@]}" \
        SG_LOAD_KEYS="c$caller_count"
    run_wrk "settle.http.$ping" ping "$concurrent_threads" "$caller_count" "$requester_url" "${common[@]}"

    local ping_file="$work/settle.http.$ping.result" ping_rate
    ping_rate=$(per_second "$ping_file" requests)
    local label file rate line
    for label in callers_1 "$many"; do
        file="$work/settle.http.$label.result"
        rate=$(per_second "$file" accepted)
        line="settle.http.$label settled_per_sec=$rate $(latency_fields "$file") settled=$(result "$file" accepted)"
        line="$line rejected=$(result "$file" rejected) pending=$(result "$file" answered_pending)"
        line="$line errors=$(result "$file" errors) seconds=$(seconds_of "$file")"
        [ "$label" = callers_1 ] || line="$line ratio_to_ping=$(ratio_of "$rate" "$ping_rate")"
        echo "$line"
        local first
        first=$(result "$file" first_other)
        [ -z "$first" ] || echo "# settle.http.$label: the first unexpected answer: $first" >&2
    done
    echo "settle.http.$ping requests_per_sec=$ping_rate $(latency_fields "$ping_file")" \
        "requests=$(result "$ping_file" requests) errors=$(result "$ping_file" errors) seconds=$(seconds_of "$ping_file")"

    check_settle "$many"
    stop_node system_a
    stop_node system_b
}

# After the settlement runs: once nothing is pending, both nodes list the same transaction ids
# with the same status and amount; the requester's accepted ones are exactly the accepted
# answers, plus the warm-up, plus those wrk left unanswered that were accepted; and what the
# giver gave system_a is their sum.
check_settle() {
    local many=$1 problems="" tries=0 mine="" previous theirs
    # Until nothing is pending and the list stays the same for half a second: requests still in
    # the requester when wrk stopped are written and decided a moment later.
    while :; do
        sleep 0.5
        previous=$mine
        mine=$(transactions "$requester_url" system_b)
        if ! grep -q ' pending ' <<<"$mine" && [ "$mine" = "$previous" ]; then break; fi
        [ $tries -lt 120 ] || { problems="$problems requests still pending or changing after 60 s;"; break; }
        tries=$((tries + 1))
    done
    theirs=$(transactions "$giver_url" system_a)
    [ "$mine" = "$theirs" ] || problems="$problems the two nodes' transaction lists differ;"

    local answered=1 unmatched=0 label file key
    for label in callers_1 "$many"; do
        file="$work/settle.http.$label.result"
        answered=$((answered + $(result "$file" accepted)))
        unmatched=$((unmatched + $(result "$file" unmatched)))
    done
    [ "$unmatched" = 0 ] || problems="$problems $unmatched answers named no key that was sent;"
    local late
    late=$(cat "$work/settle.http.callers_1.result.unresolved" "$work/settle.http.$many.result.unresolved" |
        sed 's/^/tx:/' | LC_ALL=C sort)
    local late_accepted=0
    if [ -n "$late" ]; then
        late_accepted=$(awk '$2 == "accepted" { print $1 }' <<<"$mine" | LC_ALL=C sort |
            LC_ALL=C comm -12 - <(printf '%s\n' "$late") | wc -l | tr -d ' ')
    fi

    local accepted=0 accepted_sum=0 id decided amount rows=0
    while read -r id decided amount; do
        [ -n "$id" ] || continue
        rows=$((rows + 1))
        if [ "$decided" = accepted ]; then
            accepted=$((accepted + 1))
            amount=$(micros "$amount")
            accepted_sum=$((accepted_sum + amount))
        fi
    done <<<"$mine"
    local expected=$((answered + late_accepted))
    [ "$accepted" = "$expected" ] ||
        problems="$problems system_a lists $accepted accepted, the answers say $expected;"

    local status given
    status=$(call GET "$giver_url/v1/ledger/accounts?prefix=given:system_a" "$token")
    expect_status 200 "$status" "the giver's accounts"
    given=$(json_string balance <"$work/body")
    [ -n "$given" ] || given=0
    local given_micros
    given_micros=$(micros "$given")
    [ "$given_micros" = "$accepted_sum" ] ||
        problems="$problems system_b gave $given, system_a received $(decimal "$accepted_sum");"
    local url
    for url in "$requester_url" "$giver_url"; do
        status=$(call GET "$url/v1/ledger/check" "$token")
        expect_status 200 "$status" "the ledger check"
        grep -q '"balanced":true' "$work/body" || problems="$problems the ledger of $url is not balanced;"
    done

    local line="check settle transactions=$rows accepted=$accepted answered_accepted=$answered"
    line="$line unanswered_accepted=$late_accepted given_b=$(decimal "$given_micros")"
    if [ -z "$problems" ]; then
        echo "$line ok"
    else
        echo "$line FAILED"
        echo "# check settle FAILED:$problems" >&2
        failed=1
    fi
}

if wants http; then http_figures; fi
if wants settle; then settle_figures; fi
echo "# done: loadavg=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || uptime)" >&2
[ "$failed" = 0 ] || exit 1
