#!/usr/bin/env bash
# What the metrics cost a request (issue 19; docs/performance.md, "Metrics"): the release
# server on a fresh SQLite file with the demo registry, without VODOKANAL_METRICS_LISTEN (no
# recorder: each metric call is a no-op) and with it (every request counted and timed), in
# alternating rounds, under wrk on GET /api/v1/info (no database: the middleware's share is
# the largest there is) and GET /health/ready (one database round trip). Prints req/s and p99
# per round, and the scrape's size at the end. A benchmark, not a test.
#
# Usage: scripts/bench-metrics.sh   (about 3 minutes after the release build)
# Environment: ROUNDS (3), DURATION (10 s), CONNECTIONS (16).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-3}
scrape=""
duration=${DURATION:-10}
connections=${CONNECTIONS:-16}
command -v wrk >/dev/null || apt-get install -y wrk

cargo build --release --locked -p vodokanal-server
binary=${CARGO_TARGET_DIR:-target}/release/vodokanal
work=$(mktemp -d)
server_pid=""
cleanup() {
    [[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start METRICS_ADDRESS|"" : a fresh server, its port in $port.
start() {
    port=$(free_port)
    rm -f "$work"/db*
    env -i PATH="$PATH" VODOKANAL_DATABASE_URL="sqlite://$work/db.sqlite" VODOKANAL_DEMO=on \
        VODOKANAL_LISTEN="127.0.0.1:$port" VODOKANAL_LOG=warn \
        ${1:+VODOKANAL_METRICS_LISTEN=$1} "$binary" serve 2>>"$work/server.log" &
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && return
        sleep 0.1
    done
    echo "the server did not start" >&2
    exit 1
}

stop() {
    kill "$server_pid"
    wait "$server_pid" || true
    server_pid=""
}

measure() {
    local label=$1 path=$2
    wrk -t2 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$port$path" \
        | awk -v label="$label" -v path="$path" '
            /Requests\/sec/ { rps = $2 }
            $1 == "99%" { p99 = $2 }
            END { printf "| %s | %s | %s | %s |\n", label, path, rps, p99 }'
}

echo "| metrics | path | req/s | p99 |"
echo "| --- | --- | --- | --- |"
for round in $(seq 1 "$rounds"); do
    for mode in off on; do
        address=""
        [[ $mode == off ]] || address="127.0.0.1:$(free_port)"
        start "$address"
        measure "$mode (round $round)" /api/v1/info
        measure "$mode (round $round)" /health/ready
        if [[ -n $address ]]; then
            scrape=$(curl -sf "http://$address/metrics")
        fi
        stop
    done
done
echo
echo "the last scrape: $(wc -c <<<"$scrape") bytes, $(grep -vc '^#' <<<"$scrape") series"
