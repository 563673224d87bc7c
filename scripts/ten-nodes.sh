#!/usr/bin/env bash
# Ten Safeguards nodes on loopback, for a person to watch: issues a federation CA and ten node
# identities with `safeguards certs`, starts ten `safeguards node run` processes (every node a
# peer of every other, each offering the others a credit line, gossip every 200 ms), creates a
# pool on each, and shows through `safeguards sync status` that every node sees the others alive
# with their balances. Then one remote budget request, node_9 killed with SIGKILL until the others
# call it dead, and node_9 started again until they call it alive.
#
#   scripts/ten-nodes.sh            # builds the safeguards binary first (swift build)
#   SAFEGUARDS_BINARY=path scripts/ten-nodes.sh
#   KEEP=1 scripts/ten-nodes.sh     # keeps the nodes running until Enter is pressed
#
# Everything lives in a fresh temporary folder, printed at the start; the nodes it started are
# ended by their pids when the script exits.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${SAFEGUARDS_BINARY:-}" ]; then
    (cd "$root" && swift build --product safeguards >/dev/null)
    SAFEGUARDS_BINARY="$(cd "$root" && swift build --show-bin-path)/safeguards"
fi
bin="$SAFEGUARDS_BINARY"
work="$(mktemp -d "${TMPDIR:-/tmp}/safeguards-ten-nodes.XXXXXX")"
token="ten-nodes-demo-token-0123456789"
systems=(node_0 node_1 node_2 node_3 node_4 node_5 node_6 node_7 node_8 node_9)
declare -A pids ports
echo "working folder: $work"

stop_all() {
    for system in "${!pids[@]}"; do kill "${pids[$system]}" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop_all EXIT

# A loopback port nothing listens on, below the ephemeral range.
free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
    done
}

echo "== certificates (safeguards certs)"
"$bin" certs init-ca --dir "$work/ca" --name "Ten-node demo federation CA" | tail -1
for system in "${systems[@]}"; do "$bin" certs issue --system-id "$system" --dir "$work/ca" >/dev/null; done
echo "issued ${#systems[@]} node identities in $work/ca"
for system in "${systems[@]}"; do ports[$system]=$(free_port); done

write_config() {
    local system=$1 dir="$work/$1"
    mkdir -p "$dir"
    {
        echo "system_id: $system"
        echo "data_dir: $dir"
        echo "log_level: info"
        echo "api:"
        echo "  listen: 127.0.0.1:0"
        echo "  token: $token"
        echo "federation:"
        echo "  listen: 127.0.0.1:${ports[$system]}"
        echo "  ca: $work/ca/ca.pem"
        echo "  certificate: $work/ca/$system.pem"
        echo "  private_key: $work/ca/$system.key"
        echo "  signing_key: $work/ca/$system.signing.key"
        echo "  peers:"
        for peer in "${systems[@]}"; do
            [ "$peer" = "$system" ] && continue
            echo "    - system_id: $peer"
            echo "      address: 127.0.0.1:${ports[$peer]}"
            echo "      trust_level: 0.8"
            echo "      public_key: $(cat "$work/ca/$peer.signing.pub")"
        done
        echo "  offers:"
        for peer in "${systems[@]}"; do [ "$peer" = "$system" ] || echo "    $peer: \"10000\""; done
        echo "gossip:"
        echo "  interval: 200ms"
        echo "  suspect_after: 2s"
        echo "  dead_after: 4s"
    } >"$dir/node.yaml"
}

start_node() {
    local system=$1 dir="$work/$1"
    rm -f "$dir/api-address"
    "$bin" node run --config "$dir/node.yaml" >>"$dir/node.log" 2>&1 &
    pids[$system]=$!
    for _ in $(seq 1 600); do
        [ -s "$dir/api-address" ] && return 0
        sleep 0.1
    done
    echo "$system did not start; its log:" >&2
    cat "$dir/node.log" >&2
    exit 1
}

cli() { local system=$1; shift; SAFEGUARDS_API_TOKEN="$token" "$bin" "$@" --data-dir "$work/$system"; }

# Waits (up to 120 s) until `safeguards sync status` on every node in $2.. names peer $1 with state $state.
wait_for_state() {
    local state=$1 peer=$2; shift 2
    for _ in $(seq 1 600); do
        local all=1
        for system in "$@"; do
            if ! cli "$system" sync status --json 2>/dev/null | tr -d ' \n' \
                | grep -q "\"state\":\"$state\",\"system_id\":\"$peer\"\|\"system_id\":\"$peer\"[^}]*\"state\":\"$state\""; then
                all=0
                break
            fi
        done
        [ "$all" = 1 ] && return 0
        sleep 0.2
    done
    echo "$peer did not become $state everywhere" >&2
    exit 1
}

echo "== starting ten nodes"
for system in "${systems[@]}"; do write_config "$system"; start_node "$system"; done
echo "pids: $(for s in "${systems[@]}"; do printf '%s=%s ' "$s" "${pids[$s]}"; done)"

echo "== a pool on each node"
budget=100
for system in "${systems[@]}"; do
    cli "$system" pool create --name "pool-$system" --budget "$budget" --priority 5 >/dev/null
    budget=$((budget + 100))
done

echo "== waiting until every node sees every other alive"
start=$SECONDS
for peer in "${systems[@]}"; do
    others=()
    for system in "${systems[@]}"; do [ "$system" = "$peer" ] || others+=("$system"); done
    wait_for_state alive "$peer" "${others[@]}"
done
echo "every node sees the nine others alive (after $((SECONDS - start)) s)"
cli node_0 sync status

echo "== a remote budget request: node_0 asks node_5 for 3"
cli node_0 federation pool --name shared --local-budget 100 --remote node_5=1000 >/dev/null
cli node_0 agent register --id worker --pool shared --priority HIGH --budget 10 >/dev/null
cli node_0 federation request --agent worker --from node_5 --amount 3 --idempotency-key demo-1
echo "-- on node_5:"
cli node_5 federation transactions --peer node_0

echo "== node_9 killed with SIGKILL (pid ${pids[node_9]})"
kill -9 "${pids[node_9]}"
wait "${pids[node_9]}" 2>/dev/null || true
unset 'pids[node_9]'
start=$SECONDS
wait_for_state dead node_9 node_0 node_1 node_2 node_3 node_4 node_5 node_6 node_7 node_8
echo "node_9 is dead on every other node (after $((SECONDS - start)) s)"
cli node_0 sync status

echo "== node_9 started again"
start_node node_9
start=$SECONDS
wait_for_state alive node_9 node_0 node_1 node_2 node_3 node_4 node_5 node_6 node_7 node_8
echo "node_9 is alive again on every other node (after $((SECONDS - start)) s)"
cli node_0 sync status

if [ "${KEEP:-0}" = "1" ]; then
    echo "the nodes keep running; their data and logs are in $work. Press Enter to stop them."
    read -r
fi
