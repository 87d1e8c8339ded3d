#!/usr/bin/env bash
# Memory and fairness under a login flood: starts the release `vodokanal` on a fresh SQLite
# file (or, with `--postgres`, a fresh database of DATABASE_URL's server), registers a few
# subscribers, and prints the server's RSS (VmRSS, and VmHWM: the peak) idle, during and after
# a login flood (wrk, 32 connections, right passwords), and GET /accounts/{n}'s latency at
# 8 connections alone and during the flood. It measures and asserts nothing: a script, not a
# test. Flags: `--postgres`, `--seconds N` (the flood's length, 30 by default), `--binary PATH`
# (default target/release/vodokanal, built when missing), `--set VODOKANAL_X=value` (a server
# setting, repeatable). Figures: docs/performance.md, "Memory and logins under a flood".
set -euo pipefail
cd "$(dirname "$0")/.."

BACKEND=sqlite
SECONDS_FLOOD=30
BINARY=""
SETTINGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --postgres) BACKEND=postgres ;;
        --seconds) SECONDS_FLOOD="$2"; shift ;;
        --binary) BINARY="$2"; shift ;;
        --set) SETTINGS+=("$2"); shift ;;
        *) echo "usage: $0 [--postgres] [--seconds N] [--binary PATH] [--set VODOKANAL_X=value]" >&2; exit 2 ;;
    esac
    shift
done
USERS=16
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if [ -z "$BINARY" ]; then
    BINARY="${CARGO_TARGET_DIR:-$PWD/target}/release/vodokanal"
    [ -x "$BINARY" ] || cargo build --release --locked -p vodokanal-server
fi
command -v wrk >/dev/null || { sudo apt-get install -y wrk || apt-get install -y wrk; }

WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
B="http://127.0.0.1:$PORT/api/v1"
DB_NAME=""
SERVER=""
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
    [ -n "$DB_NAME" ] && psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $DB_NAME" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ "$BACKEND" = postgres ]; then
    DB_NAME="bench_memory_$$"
    psql "$DATABASE_URL" -qc "CREATE DATABASE $DB_NAME" >/dev/null
    DB_URL="${DATABASE_URL%/*}/$DB_NAME"
else
    DB_URL="sqlite://$WORK/vodokanal.db"
fi

# Only what the run needs; no MALLOC_* or other tuning of the process.
env -i PATH="$PATH" HOME="$WORK" \
    VODOKANAL_DATABASE_URL="$DB_URL" VODOKANAL_LISTEN="127.0.0.1:$PORT" \
    VODOKANAL_DEMO=on VODOKANAL_SMS_OUTBOX="$WORK/outbox.jsonl" VODOKANAL_LOG=warn \
    VODOKANAL_SECRET=0123456789abcdef0123456789abcdef VODOKANAL_TRUSTED_PROXIES=127.0.0.1 \
    ${SETTINGS[@]+"${SETTINGS[@]}"} \
    "$BINARY" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "$B/info" >/dev/null && break; sleep 0.2; done

status() { awk -v k="$1:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$SERVER/status"; }
rss() { status VmRSS; }
anon() { status RssAnon; }

echo "backend $BACKEND, binary $BINARY, settings: ${SETTINGS[*]:-none}, $(nproc) cores, hasher threads: $(ls /proc/$SERVER/task | while read -r t; do cat /proc/$SERVER/task/$t/comm; done | grep -c argon2)"
echo "rss at start: $(rss) MiB (anon $(anon))"

# Subscribers: registration, the code from the outbox, confirmation.
password() { echo "Flood-$1-clean-water"; }
for i in $(seq 0 $((USERS - 1))); do
    phone=$(printf '+7916777%04d' "$i")
    curl -sf -o /dev/null -X POST "$B/auth/registration" -H 'content-type: application/json' \
        -d "{\"phone\":\"$phone\",\"email\":\"flood$i@example.ru\",\"consent_personal_data\":true}"
done
for _ in $(seq 100); do
    [ "$(wc -l <"$WORK/outbox.jsonl" 2>/dev/null || echo 0)" -ge "$USERS" ] && break
    sleep 0.2
done
TOKEN=""
for i in $(seq 0 $((USERS - 1))); do
    phone=$(printf '+7916777%04d' "$i")
    code=$(grep "\"$phone\"" "$WORK/outbox.jsonl" | tail -1 | grep -o '[0-9]\{6\}' | tail -1)
    answer=$(curl -sf -X POST "$B/auth/registration/confirm" -H 'content-type: application/json' \
        -d "{\"phone\":\"$phone\",\"code\":\"$code\",\"password\":\"$(password "$i")\"}")
    [ -z "$TOKEN" ] && TOKEN=$(echo "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
done
curl -sf -o /dev/null -X POST "$B/accounts" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: application/json' -d '{"account_number":"100001","meter_last4":"1234"}'
curl -sf -o /dev/null "$B/accounts/100001" -H "authorization: Bearer $TOKEN"
sleep 2
echo "rss idle after set-up ($USERS registrations): $(rss) MiB (anon $(anon))"

# The flood: each request logs one of the subscribers in, with the right password, from a
# network of its own (X-Forwarded-For, the proxy trusted), so that the per-network limit of
# failed logins, which counts the logins in flight, answers none of them; the statuses of
# every thread are summed at the end.
cat >"$WORK/flood.lua" <<LUA
local n = 0
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function() counts = {} end
request = function()
    n = n + 1
    local i = n % $USERS
    local body = string.format('{"login":"+7916777%04d","password":"Flood-%d-clean-water"}', i, i)
    local from = string.format("10.%d.%d.1", math.random(0, 255), math.random(0, 255))
    local headers = {["content-type"] = "application/json", ["x-forwarded-for"] = from}
    return wrk.format("POST", "/api/v1/auth/login", headers, body)
end
response = function(status) counts[status] = (counts[status] or 0) + 1 end
done = function()
    local total = {}
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("counts")) do
            total[status] = (total[status] or 0) + count
        end
    end
    local line = "statuses:"
    for status, count in pairs(total) do line = line .. " " .. status .. "=" .. count end
    print(line)
end
LUA

p99() { awk '/^ *99%/ { print $2 }' "$1"; }
GET=(wrk -t2 -c8 --latency -H "authorization: Bearer $TOKEN" "$B/accounts/100001")

"${GET[@]}" -d"${SECONDS_FLOOD}s" >"$WORK/alone.txt"
echo "GET /accounts/{n} alone, 8 connections: $(awk '/Requests\/sec/ {print $2}' "$WORK/alone.txt") req/s, p99 $(p99 "$WORK/alone.txt")"
echo "rss after GET alone: $(rss) MiB"

wrk -t2 -c32 -d"${SECONDS_FLOOD}s" --timeout 30s -s "$WORK/flood.lua" "http://127.0.0.1:$PORT" >"$WORK/flood.txt" &
FLOOD=$!
"${GET[@]}" -d"${SECONDS_FLOOD}s" >"$WORK/during.txt" &
DURING=$!
PEAK=0
while kill -0 "$FLOOD" 2>/dev/null; do
    now=$(rss)
    PEAK=$(awk -v a="$PEAK" -v b="$now" 'BEGIN { print (b > a) ? b : a }')
    sleep 0.5
done
wait "$FLOOD" "$DURING"
echo "login flood, 32 connections, ${SECONDS_FLOOD} s: $(awk '/Requests\/sec/ {print $2}' "$WORK/flood.txt") req/s, $(grep statuses "$WORK/flood.txt"), latency avg $(awk '/^ *Latency/ {print $2}' "$WORK/flood.txt") max $(awk '/^ *Latency/ {print $4}' "$WORK/flood.txt"), wrk's $(grep -o 'timeout [0-9]*' "$WORK/flood.txt" || echo 'timeout 0')"
echo "GET /accounts/{n} during the flood: $(awk '/Requests\/sec/ {print $2}' "$WORK/during.txt") req/s, p99 $(p99 "$WORK/during.txt")"
echo "rss during the flood, highest sample: $PEAK MiB"
echo "rss right after the flood: $(rss) MiB (anon $(anon))"
sleep 5
echo "rss 5 s after the flood: $(rss) MiB (anon $(anon)); peak (VmHWM): $(status VmHWM) MiB"
