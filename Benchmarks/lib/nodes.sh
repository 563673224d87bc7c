# Shared by the scripts in Benchmarks/ that run real node processes: clean-up by pid, API calls,
# free loopback ports, starting and stopping a node. Sourced after the script has set `binary`
# (the safeguards binary), `work` (its temporary folder), `node_pids` (empty) and `failed` (0).
# shellcheck shell=bash

# Ends every node this script started, by pid, and removes the temporary folder. The nodes' logs
# (and wrk's output) are printed only when something failed.
finish() {
    local status=$?
    set +e
    trap - EXIT INT TERM
    # A reader that went away (`| head`) must not stop the clean-up: writes fail instead.
    trap '' PIPE
    for pid in $node_pids; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $node_pids; do
        local tries=0
        while kill -0 "$pid" 2>/dev/null && [ $tries -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" != 0 ] || [ "$failed" != 0 ]; then
        for log in "$work"/*/node.log "$work"/*.wrk; do
            [ -f "$log" ] || continue
            echo "# ---- ${log#"$work"/}" >&2
            sed 's/^/# /' "$log" >&2
        done
        [ "$status" != 0 ] || status=1
    fi
    rm -rf "$work"
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

fail() {
    echo "error: $*" >&2
    exit 1
}

# --- small helpers ---------------------------------------------------------------------------

# The first string value of FIELD in a JSON text on stdin. The node writes compact JSON, and the
# fields read here are ids, statuses and decimal amounts, which never hold a quote or a backslash.
json_string() {
    grep -o "\"$1\":\"[^\"\\\\]*\"" | head -n 1 | cut -d '"' -f 4 || true
}

# A decimal amount (`12.5`, `0.010000`) in micro-units, exactly, in shell integers.
micros() {
    local text=$1 sign=1 whole fraction=""
    [[ $text =~ ^-?[0-9]{1,13}(\.[0-9]{1,6})?$ ]] || fail "not an amount: '$text'"
    if [ "${text:0:1}" = "-" ]; then sign=-1; text=${text:1}; fi
    whole=${text%%.*}
    [[ $text == *.* ]] && fraction=${text#*.}
    fraction="${fraction}000000"
    echo $((sign * (10#$whole * 1000000 + 10#${fraction:0:6})))
}

# Micro-units as a decimal string with six places.
decimal() {
    local value=$1 sign=""
    if [ "$value" -lt 0 ]; then sign="-"; value=$((-value)); fi
    printf '%s%d.%06d' "$sign" $((value / 1000000)) $((value % 1000000))
}

# One API call: `call METHOD URL TOKEN [BODY]`. Prints the status code; the body is in $work/body.
call() {
    local method=$1 url=$2 token=$3 body=${4-}
    local args=(-sS -o "$work/body" -w '%{http_code}' --max-time 30 -X "$method" -H "Authorization: Bearer $token")
    [ -z "$body" ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
    # On a failed connection curl writes 000 as the code.
    curl "${args[@]}" "$url" || true
}

# `expect_status WANT ACTUAL WHAT`: stops the run when a set-up call did not answer as it should.
expect_status() {
    [ "$2" = "$1" ] || fail "$3 answered $2, not $1: $(head -c 300 "$work/body" 2>/dev/null)"
}

# A loopback port that nothing listens on now (a start that still finds it taken is retried).
free_port() {
    local port tries=0
    while [ $tries -lt 200 ]; do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
        tries=$((tries + 1))
    done
    fail "no free loopback port found"
}

# `start_node NAME CONFIG`: runs a node with CONFIG (YAML) in $work/NAME and waits until
# /healthz answers. Sets $node_url. Returns 1 (leaving the log) when the node exits at start.
start_node() {
    local name=$1 config=$2 dir="$work/$1"
    mkdir -p "$dir"
    rm -f "$dir/data/api-address"
    printf '%s\n' "$config" >"$dir/node.yaml"
    "$binary" node run --config "$dir/node.yaml" >>"$dir/node.log" 2>&1 &
    local pid=$!
    node_pids="$node_pids $pid"
    eval "pid_$name=$pid"
    local tries=0
    while [ ! -s "$dir/data/api-address" ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            return 1
        fi
        [ $tries -lt 600 ] || fail "node $name did not start listening within 60 s"
        sleep 0.1
        tries=$((tries + 1))
    done
    node_url="http://$(tr -d '[:space:]' <"$dir/data/api-address")"
    tries=0
    until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$node_url/healthz" || true)" = 200 ]; do
        [ $tries -lt 100 ] || fail "node $name does not answer /healthz at $node_url"
        sleep 0.1
        tries=$((tries + 1))
    done
}

# `stop_node NAME`: ends a node of this script by its pid, waits for it, and forgets the pid
# (so a later clean-up never signals a process that reused it).
stop_node() {
    local pid kept="" other
    eval "pid=\${pid_$1-}"
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for other in $node_pids; do [ "$other" = "$pid" ] || kept="$kept $other"; done
    node_pids=$kept
    eval "pid_$1="
}
