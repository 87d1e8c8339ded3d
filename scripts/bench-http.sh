#!/usr/bin/env bash
# The HTTP benchmark of issue 16 (see docs/performance.md): the hot endpoints of the release
# server against PostgreSQL running the very statements the server sends, in one run:
#   1. installs wrk (Debian's package) when it is missing; pgbench and psql are
#      postgresql-client's, the sqlite3 shell is Debian's sqlite3;
#   2. builds the release binaries, generates a registry of METERS meters (50,000), imports it
#      with `vodokanal import-registry` into a fresh PostgreSQL database and a fresh SQLite
#      file, and registers SUBSCRIBERS subscribers (300) through the API on each (the SMS code
#      from the outbox file), each with a linked account and a session token;
#   3. captures, from PostgreSQL's log (`log_statement = 'all'` set on the benchmark's database
#      alone, for a server started for the capture), the statements of CAPTURE requests of each
#      endpoint (scripts/bench-http/capture.py): counts the statements and connections per
#      request, writes a pgbench script of the server's very statements (a branch per request
#      shape), each pgbench client running one captured request's, and runs every
#      statement of one request of each under EXPLAIN (ANALYZE, BUFFERS) into explain.txt;
#   4. with the log back to normal, a fresh release server on PostgreSQL, and for each of
#      GET /accounts/{n}, GET /accounts, POST /accounts/{n}/readings, POST /public/readings,
#      at 16 and 64 connections: wrk for DURATION seconds, then `pgbench -M prepared` on the
#      captured scripts at the same concurrency for as long; the ratio of the two;
#   5. on a fresh server: p99 of GET /accounts/{n} at 8 connections alone, then during a login
#      flood (POST /auth/login) at 32 connections for FLOOD seconds, the flood's 503s, and the
#      server's RSS idle, after the flood and at its peak (VmHWM);
#   6. on SQLite: POST /accounts/{n}/readings at 16 connections (req/s, p99, max), the same
#      p99s alone and during the login flood, the flood's RSS, and the disk's limit: a loop of single-row transactions in the
#      sqlite3 shell (WAL, synchronous = FULL, as the server) on the same file system;
#   7. prints the table and saves it to ${CARGO_TARGET_DIR:-target}/bench-http/results.md,
#      with explain.txt and the captured statements (statements/) beside it; a second table
#      says where the CPU went in each run (the client's, the server's, the rest of the
#      machine's, per request or transaction, and the cores busy), which bounds the ratios.
# It exits non-zero when a step fails (a request refused, a pgbench client aborted), not when a
# target of the issue is missed. The benchmark is not a test: nothing in `cargo test` runs it.
#
# Usage: scripts/bench-http.sh [--short]   (about 10 minutes; --short or BENCH_SHORT=1: about 3)
# Environment: PG_URL (the server, default postgres://postgres@127.0.0.1:5432; a superuser:
# the script sets log_statement on its database), PG_LOG (PostgreSQL's log file, default
# Debian's /var/log/postgresql/postgresql-15-main.log), BENCH_DB (default vodokanal_bench_http),
# METERS, SUBSCRIBERS, BENCH_DURATION, BENCH_FLOOD, BENCH_CAPTURE (requests captured per
# endpoint: 100, 16 with --short), BENCH_LOG (the server's VODOKANAL_LOG, default info, as deployed),
# BENCH_KEEP=1 keeps the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -d "$HOME/.cargo/bin" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

SHORT="${BENCH_SHORT:-0}"
for arg in "$@"; do
    case "$arg" in
        --short) SHORT=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench-http: unknown argument $arg (usage: scripts/bench-http.sh [--short])" >&2
            exit 2
            ;;
    esac
done
if [[ "$SHORT" == 1 ]]; then
    DURATION="${BENCH_DURATION:-4}" FLOOD="${BENCH_FLOOD:-8}" CAPTURE="${BENCH_CAPTURE:-16}"
    WARMUP=1 DISK_SECONDS=3
else
    DURATION="${BENCH_DURATION:-20}" FLOOD="${BENCH_FLOOD:-30}" CAPTURE="${BENCH_CAPTURE:-100}"
    WARMUP=3 DISK_SECONDS=10
fi
if ((FLOOD < 8)); then
    echo "bench-http: BENCH_FLOOD is at least 8 seconds" >&2
    exit 2
fi
METERS="${METERS:-50000}"
SUBSCRIBERS="${SUBSCRIBERS:-300}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
PG_LOG="${PG_LOG:-/var/log/postgresql/postgresql-15-main.log}"
BENCH_DB="${BENCH_DB:-vodokanal_bench_http}"
PG_DB_URL="$PG_URL/$BENCH_DB"
PASSWORD="bench-чистая-вода-2026"
LUA=scripts/bench-http
OUT="${CARGO_TARGET_DIR:-target}/bench-http"
export PGOPTIONS="${PGOPTIONS:---client-min-messages=warning}"

fail() {
    echo "bench-http: $*" >&2
    exit 1
}

install_package() { # PACKAGE
    echo "== installing $1 (Debian's package)"
    apt-get install -y -qq "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$1" >/dev/null; }
}
command -v wrk >/dev/null || install_package wrk
command -v sqlite3 >/dev/null || install_package sqlite3
for tool in wrk pgbench psql sqlite3 python3 curl; do
    command -v "$tool" >/dev/null || fail "$tool is missing (pgbench and psql: postgresql-client)"
done
[[ -r "$PG_LOG" ]] || fail "PostgreSQL's log $PG_LOG can't be read: set PG_LOG"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-http.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" >/dev/null 2>&1 || true
    if [[ "${BENCH_KEEP:-0}" != 1 ]]; then
        rm -rf "$WORK"
    else
        echo "bench-http: kept $WORK" >&2
    fi
}
trap cleanup EXIT

echo "== build (release)"
cargo build --release --locked -q -p vodokanal-registry-csv --bin generate-registry \
    -p vodokanal-server --bin vodokanal
TARGET="$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)"
VODOKANAL="$TARGET/vodokanal"
# Only what the benchmark sets: nothing of the caller's configuration.
for name in $(env | sed -n 's/^\(VODOKANAL_[A-Z_]*\)=.*/\1/p'); do
    unset "$name"
done
# Every server of the benchmark: 127.0.0.1 is a trusted proxy, so that requests may come from
# addresses of their own (X-Forwarded-For) and the per-network limits refuse none (as the
# load of tests/src/load.rs); a fixed secret, so that no secret file is written.
export VODOKANAL_TRUSTED_PROXIES=127.0.0.1
export VODOKANAL_SECRET="bench-http: a secret of at least 32 bytes, not a real one"
export VODOKANAL_LOG="${BENCH_LOG:-info}"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME DATABASE_URL: `vodokanal serve` on a free port (BASE), its log in
# $WORK/server-NAME.log, its pid in SERVER_PID; returns once /health/ready answers.
start_server() {
    local name="$1" url="$2" port
    port="$(free_port)"
    BASE="http://127.0.0.1:$port"
    (cd "$WORK" && exec env VODOKANAL_DATABASE_URL="$url" VODOKANAL_LISTEN="127.0.0.1:$port" \
        VODOKANAL_PUBLIC_URL="$BASE" VODOKANAL_SMS_OUTBOX="$WORK/outbox-$name.jsonl" \
        "$VODOKANAL" serve >"$WORK/server-$name.log" 2>&1) &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        if curl -sf -o /dev/null "$BASE/health/ready"; then
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 20 "$WORK/server-$name.log" >&2
            SERVER_PID=""
            fail "the server ($name) did not start"
        fi
        sleep 0.1
    done
    fail "the server ($name) was not ready within 60 s"
}

stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
    SERVER_PID=""
}

# rss_mb FIELD: the server's VmRSS or VmHWM in MB.
rss_mb() {
    awk -v field="$1:" '$1 == field { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"
}

# Where the CPU goes in a run (`measured`): the client's own (wrk's or pgbench's user and
# system time, from bash's `time`), the server's (its /proc stat), and the whole machine's busy
# time (/proc/stat: every state but idle and iowait), whose rest is PostgreSQL's backends and
# the kernel's work for them. Per request (or transaction), in microseconds; with how busy the
# cores were, so that a run that left a core idle shows it.
CLK_TCK="$(getconf CLK_TCK)"
machine_ticks() { # busy and all ticks of every core
    awk '$1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6 }' /proc/stat
}
server_ticks() {
    if [[ -n "$SERVER_PID" ]]; then awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; else echo 0; fi
}
# measured LOG CMD...: runs CMD, its output into LOG, and sets M_client, M_server and M_busy
# (CPU seconds) and M_cores (how many cores' worth were busy).
measured() {
    local log="$1" server0 busy0 all0 server1 busy1 all1 status=0
    shift
    server0="$(server_ticks)"
    read -r busy0 all0 < <(machine_ticks)
    local TIMEFORMAT='%3U %3S'
    { time "$@" >"$log" 2>&1; } 2>"$log.cpu" || status=$?
    server1="$(server_ticks)"
    read -r busy1 all1 < <(machine_ticks)
    M_client="$(awk '{ print $1 + $2 }' "$log.cpu")"
    M_server="$(awk -v a="$server0" -v b="$server1" -v hz="$CLK_TCK" 'BEGIN { print (b - a) / hz }')"
    M_busy="$(awk -v a="$busy0" -v b="$busy1" -v hz="$CLK_TCK" 'BEGIN { print (b - a) / hz }')"
    M_cores="$(awk -v b="$((busy1 - busy0))" -v t="$((all1 - all0))" -v n="$(nproc)" 'BEGIN { printf "%.2f", (t > 0 ? n * b / t : 0) }')"
    return "$status"
}
# cpu_per COUNT: "client / server / database and the rest" in µs per request, and the cores.
cpu_per() {
    awk -v n="$1" -v c="$M_client" -v s="$M_server" -v b="$M_busy" -v k="$M_cores" 'BEGIN {
        r = b - c - s; if (r < 0) r = 0
        printf "%.0f / %.0f / %.0f µs (%s cores busy)", 1e6 * c / n, 1e6 * s / n, 1e6 * r / n, k }'
}

# read_bench LOG: the fields of wrk's BENCH line (common.lua) as W_requests, W_rps, W_p99_ms...
read_bench() {
    local line field
    line="$(grep '^BENCH ' "$1")" || { cat "$1" >&2; fail "wrk printed no summary in $1"; }
    for field in ${line#BENCH }; do
        printf -v "W_${field%%=*}" '%s' "${field#*=}"
    done
}

# run_wrk LABEL SCRIPT DATA CONNECTIONS SECONDS START: wrk against BASE, its output in
# $WORK/wrk-LABEL.log and its summary read by read_bench. Fails when more than 1% of the
# answers are errors, unless ALLOW_ERRORS=1 (the login flood, whose 503s are the point).
run_wrk() {
    local label="$1" script="$2" data="$3" connections="$4" seconds="$5" start="$6" log
    log="$WORK/wrk-$(tr -c 'A-Za-z0-9\n' '_' <<<"$label").log"
    BENCH_DATA="$data" BENCH_THREADS=2 BENCH_START="$start" BENCH_PASSWORD="$PASSWORD" \
        measured "$log" wrk -t 2 -c "$connections" -d "${seconds}s" --timeout 30s -s "$LUA/$script" "$BASE" ||
        { cat "$log" >&2; fail "wrk ($label) failed"; }
    read_bench "$log"
    W_cpu="$(cpu_per "$W_requests")"
    # shellcheck disable=SC2154 # set by read_bench
    if [[ "${ALLOW_ERRORS:-0}" != 1 ]] && ((100 * (W_non2xx + W_socket_errors) > W_requests)); then
        cat "$log" >&2
        fail "wrk ($label): $W_non2xx error answers and $W_socket_errors socket errors of $W_requests"
    fi
    printf '   %-46s %8s req/s  p50 %7s ms  p99 %7s ms  max %7s ms  (%s requests, %s errors, %s of them 503)\n' \
        "$label" "$W_rps" "$W_p50_ms" "$W_p99_ms" "$W_max_ms" "$W_requests" "$((W_non2xx + W_socket_errors))" "$W_s503"
    printf '   %-46s CPU a request, wrk / server / database and the rest: %s\n' "" "$W_cpu"
}

# run_pgbench KIND CONNECTIONS SECONDS: pgbench on the captured statements of KIND (capture.py
# wrote its arguments: the script and the variable that starts each client); sets P_tps.
run_pgbench() {
    local kind="$1" connections="$2" seconds="$3" log scripts
    log="$WORK/pgbench-$kind-$connections.log"
    mapfile -t scripts <"$WORK/statements/$kind.args"
    measured "$log" pgbench -n -M prepared -c "$connections" -j 2 -T "$seconds" "${scripts[@]}" "$PG_DB_URL" ||
        { tail -n 30 "$log" >&2; fail "pgbench ($kind, $connections connections) failed"; }
    P_tps="$(awk '/^tps = / { printf "%.1f", $3 }' "$log")"
    [[ -n "$P_tps" ]] || { cat "$log" >&2; fail "pgbench ($kind) printed no tps"; }
    P_cpu="$(cpu_per "$(awk '/^number of transactions actually processed:/ { print $6 }' "$log")")"
    printf '   %-46s %8s tps  (%s request shapes)\n' "pgbench, $connections connections" "$P_tps" "${SHAPES[$kind]}"
    printf '   %-46s CPU a transaction, pgbench / server / database and the rest: %s\n' "" "$P_cpu"
}

# login_flood DATA LABEL: on the running server, GET /accounts/{n} at 8 connections alone, then
# again during a login flood at 32 connections (FLOOD seconds); sets F_p99_alone, F_p99_flood,
# F_s503 and F_logins (the flood's 503s and answers).
login_flood() {
    local data="$1" label="$2" flood
    run_wrk "warm-up" account.lua "$data" 8 "$WARMUP" 0 >/dev/null
    run_wrk "${label}GET /accounts/{n}, 8 connections, alone" account.lua "$data" 8 "$((FLOOD - 4))" 0
    F_p99_alone="$W_p99_ms"
    (ALLOW_ERRORS=1 run_wrk "${label}POST /auth/login, 32 connections" login.lua "$data" 32 "$FLOOD" 0) &
    flood=$!
    sleep 2
    run_wrk "${label}GET /accounts/{n}, 8 connections, in the flood" account.lua "$data" 8 "$((FLOOD - 4))" 0
    F_p99_flood="$W_p99_ms"
    wait "$flood" || fail "the login flood failed"
    read_bench "$WORK/wrk-$(tr -c 'A-Za-z0-9\n' '_' <<<"${label}POST /auth/login, 32 connections").log"
    F_s503="$W_s503" F_logins="$W_requests"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== generate the registry ($METERS meters)"
REGISTRY="$WORK/registry.csv"
"$TARGET/generate-registry" --meters "$METERS" --out "$REGISTRY"
python3 "$LUA/subscribers.py" plan "$REGISTRY" "$SUBSCRIBERS" "$WORK"

# import_registry NAME DATABASE_URL: `vodokanal import-registry`, its output in a log.
import_registry() {
    VODOKANAL_DATABASE_URL="$2" "$VODOKANAL" import-registry "$REGISTRY" >"$WORK/import-$1.log" 2>&1 ||
        { cat "$WORK/import-$1.log" >&2; fail "the import into $1 failed"; }
    echo "   $(grep -o 'registry imported.*' "$WORK/import-$1.log")"
}

echo "== a fresh PostgreSQL database $BENCH_DB, the registry imported"
psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB" >/dev/null
import_registry pg "$PG_DB_URL"
echo "== a fresh SQLite file, the registry imported"
mkdir -p "$WORK/sqlite"
SQLITE_URL="sqlite://$WORK/sqlite/bench.db"
import_registry sqlite "$SQLITE_URL"

echo "== $SUBSCRIBERS subscribers on PostgreSQL, through the API"
start_server setup-pg "$PG_DB_URL"
python3 "$LUA/subscribers.py" register "$BASE" "$WORK/outbox-setup-pg.jsonl" "$WORK/plan.tsv" "$PASSWORD" "$WORK/subscribers-pg.tsv"
stop_server
psql -q "$PG_DB_URL" -c "VACUUM ANALYZE" >/dev/null

# The anonymous readings of the whole run take meters in turn (3 a meter a day are allowed):
# each run starts where the last stopped, and so do the client addresses.
ANON_NEXT=0

# capture_request KIND N: one request of KIND with the N-th subscriber (or meter); fails unless
# it succeeds.
capture_request() {
    local kind="$1" n="$2" phone token account meters values status wanted body items=() i m v
    IFS=$'\t' read -r phone token account meters values < <(sed -n "$((n % SUBSCRIBERS + 1))p" "$WORK/subscribers-pg.tsv")
    local auth=(-H "authorization: Bearer $token")
    local json=(-H "content-type: application/json")
    case "$kind" in
        account) status="$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$BASE/api/v1/accounts/$account")" wanted=200 ;;
        accounts) status="$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$BASE/api/v1/accounts")" wanted=200 ;;
        readings)
            IFS=, read -ra m <<<"$meters"
            IFS=, read -ra v <<<"$values"
            for i in "${!m[@]}"; do
                items+=("{\"meter_number\":\"${m[$i]}\",\"value\":\"${v[$i]}\"}")
            done
            body="{\"readings\":[$(
                IFS=,
                echo "${items[*]}"
            )]}"
            status="$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "${json[@]}" -d "$body" "$BASE/api/v1/accounts/$account/readings")" wanted=201
            ;;
        public_readings)
            local meter value a=$((ANON_NEXT % 16777216))
            IFS=$'\t' read -r meter value < <(sed -n "$((ANON_NEXT % ANON_METERS + 1))p" "$WORK/anonymous.tsv")
            ANON_NEXT=$((ANON_NEXT + 1))
            body="{\"full_name\":\"Иванов Иван Иванович\",\"phone\":\"+79161234567\",\"meter_number\":\"$meter\",\"value\":\"$value\"}"
            status="$(curl -s -o /dev/null -w '%{http_code}' "${json[@]}" -H "x-forwarded-for: 10.$((a / 65536)).$((a / 256 % 256)).$((a % 256))" -d "$body" "$BASE/api/v1/public/readings")" wanted=201
            ;;
        login)
            status="$(curl -s -o /dev/null -w '%{http_code}' "${json[@]}" -H "x-forwarded-for: 10.255.0.$((n % 256))" \
                -d "{\"login\":\"$phone\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/login")" wanted=200
            ;;
    esac
    [[ "$status" == "$wanted" ]] || fail "captured request $kind $n: HTTP $status, wanted $wanted"
}
ANON_METERS=$(wc -l <"$WORK/anonymous.tsv")

echo "== capture: the statements of $CAPTURE requests of each endpoint, from PostgreSQL's log"
KINDS=(account accounts readings public_readings login)
psql -q "$PG_URL/postgres" -c "ALTER DATABASE $BENCH_DB SET log_statement = 'all'" >/dev/null
LOG_OFFSET=$(stat -c %s "$PG_LOG")
start_server capture-pg "$PG_DB_URL"
coproc MARKER { psql -X -qAt "$PG_DB_URL"; }
MARKER_PSQL=$MARKER_PID # bash unsets MARKER_PID once psql has exited
mark() {
    echo "SELECT 'bench-mark|$1|$2';" >&"${MARKER[1]}"
    read -r _ <&"${MARKER[0]}"
}
sleep 2 # the start-up's own work (the purge) is done
mark idle 0
sleep 3 # what the server sends without a request: the background jobs, left out below
for kind in "${KINDS[@]}"; do
    for n in $(seq 1 "$CAPTURE"); do
        mark "$kind" "$n"
        capture_request "$kind" "$n"
    done
done
mark end 0
echo '\q' >&"${MARKER[1]}"
wait "$MARKER_PSQL" 2>/dev/null || true
stop_server
psql -q "$PG_URL/postgres" -c "ALTER DATABASE $BENCH_DB RESET log_statement" >/dev/null
# marks_logged: how many end marks the log has since the capture began (grep reads it whole:
# `grep -q` would stop early and fail the pipe).
marks_logged() {
    tail -c "+$((LOG_OFFSET + 1))" "$PG_LOG" | grep -c "bench-mark|end|0" || true
}
for _ in $(seq 1 100); do
    (($(marks_logged) > 0)) && break
    sleep 0.1
done
(($(marks_logged) > 0)) || fail "the capture's marks are not in $PG_LOG: is it PostgreSQL's log (set PG_LOG)?"
python3 "$LUA/capture.py" "$PG_LOG" "$LOG_OFFSET" "$BENCH_DB" "$WORK/statements" account accounts readings public_readings
psql -q -v ON_ERROR_STOP=1 "$PG_DB_URL" -f "$WORK/statements/params.sql" >/dev/null
mkdir -p "$OUT"
rm -rf "$OUT/statements"
cp -r "$WORK/statements" "$OUT/statements"
{
    echo "EXPLAIN (ANALYZE, BUFFERS) of every statement of one request of each endpoint, as the"
    echo "server sent it (captured by scripts/bench-http.sh, the parameters written in), each"
    echo "request in one transaction that is rolled back; a statement that can't run twice (a login's"
    echo "new session, whose token digest is taken) shows its error. $(date -u '+%Y-%m-%d %H:%M UTC'),"
    echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' with changes')."
    echo
    psql -X -e "$PG_DB_URL" -f "$WORK/statements/explain.sql" 2>&1
} >"$OUT/explain.txt" || fail "EXPLAIN of the captured statements failed: see $OUT/explain.txt"
if grep -q ' ERROR: ' "$OUT/explain.txt"; then
    echo "   (EXPLAIN: $(grep -c ' ERROR: ' "$OUT/explain.txt") statements failed when run again, such as a login's new session: see $OUT/explain.txt)"
fi
declare -A STATEMENTS CONTROL CONNECTIONS SHAPES
while IFS=$'\t' read -r kind requests low high control connections shapes; do
    SHAPES[$kind]="$shapes"
    STATEMENTS[$kind]="$low"
    [[ "$low" == "$high" ]] || STATEMENTS[$kind]="$low-$high"
    CONTROL[$kind]="$control"
    CONNECTIONS[$kind]="$connections"
    printf '   %-16s %3s requests: %s statements each (%s of them transaction control), at most %s connections\n' \
        "$kind" "$requests" "${STATEMENTS[$kind]}" "$control" "$connections"
done <"$WORK/statements/counts.tsv"
for kind in "${KINDS[@]}"; do
    [[ -n "${STATEMENTS[$kind]:-}" ]] || fail "no statement captured for $kind"
done

echo "== PostgreSQL: the server (wrk) and the database alone (pgbench), $DURATION s each"
declare -A SERVER_RPS DB_TPS SERVER_CPU DB_CPU
start_server pg "$PG_DB_URL"
declare -A SCRIPT=([account]=account.lua [accounts]=accounts.lua [readings]=readings.lua [public_readings]=public-readings.lua)
declare -A TITLE=([account]="GET /accounts/{n}" [accounts]="GET /accounts" [readings]="POST /accounts/{n}/readings" [public_readings]="POST /public/readings")
for kind in account accounts readings public_readings; do
    data="$WORK/subscribers-pg.tsv"
    [[ "$kind" == public_readings ]] && data="$WORK/anonymous.tsv"
    run_wrk "warm-up ${TITLE[$kind]}" "${SCRIPT[$kind]}" "$data" 16 "$WARMUP" "$ANON_NEXT" >/dev/null
    [[ "$kind" == public_readings ]] && ANON_NEXT=$((ANON_NEXT + W_requests))
    for connections in 16 64; do
        run_wrk "${TITLE[$kind]}, $connections connections" "${SCRIPT[$kind]}" "$data" "$connections" "$DURATION" "$ANON_NEXT"
        [[ "$kind" == public_readings ]] && ANON_NEXT=$((ANON_NEXT + W_requests))
        SERVER_RPS[$kind.$connections]="$W_rps" SERVER_CPU[$kind.$connections]="$W_cpu"
        run_pgbench "$kind" "$connections" "$DURATION"
        DB_TPS[$kind.$connections]="$P_tps" DB_CPU[$kind.$connections]="$P_cpu"
    done
done
stop_server

echo "== PostgreSQL: GET /accounts/{n} at 8 connections, alone and during a login flood at 32"
start_server pg-flood "$PG_DB_URL"
sleep 2
RSS_IDLE="$(rss_mb VmRSS)"
login_flood "$WORK/subscribers-pg.tsv" ""
P99_ALONE="$F_p99_alone" P99_FLOOD="$F_p99_flood" FLOOD_S503="$F_s503" FLOOD_LOGINS="$F_logins"
sleep 2
RSS_AFTER="$(rss_mb VmRSS)"
RSS_PEAK="$(rss_mb VmHWM)"
printf '   server RSS: idle %s MB, 2 s after the flood %s MB, peak (VmHWM) %s MB\n' "$RSS_IDLE" "$RSS_AFTER" "$RSS_PEAK"
stop_server

echo "== SQLite: $SUBSCRIBERS subscribers through the API, then POST /accounts/{n}/readings at 16 connections"
start_server setup-sqlite "$SQLITE_URL"
python3 "$LUA/subscribers.py" register "$BASE" "$WORK/outbox-setup-sqlite.jsonl" "$WORK/plan.tsv" "$PASSWORD" "$WORK/subscribers-sqlite.tsv"
stop_server
start_server sqlite "$SQLITE_URL"
run_wrk "warm-up" readings.lua "$WORK/subscribers-sqlite.tsv" 16 "$WARMUP" 0 >/dev/null
run_wrk "SQLite: POST /accounts/{n}/readings, 16 connections" readings.lua "$WORK/subscribers-sqlite.tsv" 16 "$DURATION" 0
SQLITE_RPS="$W_rps" SQLITE_P99="$W_p99_ms" SQLITE_MAX="$W_max_ms" SQLITE_CPU="$W_cpu"
echo "== SQLite: the disk's limit, single-row transactions in the sqlite3 shell for $DISK_SECONDS s"
# As the server writes: WAL, synchronous = FULL, a transaction per row, on the file system of
# its database; batches of 250 (one shell each) until DISK_SECONDS have passed.
DISK_DB="$WORK/sqlite/disk-limit.db"
sqlite3 "$DISK_DB" "PRAGMA journal_mode = WAL;" "CREATE TABLE readings_loop (id TEXT PRIMARY KEY,
    account_number TEXT NOT NULL, meter_number TEXT NOT NULL, period INTEGER NOT NULL,
    value_litres INTEGER NOT NULL, submitted_at TEXT NOT NULL, UNIQUE (meter_number, period));" >/dev/null
DISK_TRANSACTIONS=0
start_ns=$(date +%s%N)
while (($(date +%s%N) - start_ns < DISK_SECONDS * 1000000000)); do
    {
        echo "PRAGMA synchronous = FULL;"
        awk -v from="$DISK_TRANSACTIONS" -v q="'" 'BEGIN { for (i = from + 1; i <= from + 250; i++)
            printf "BEGIN; INSERT INTO readings_loop VALUES (%s%08d-0000-4000-8000-000000000000%s, %s1000000007%s, %sХВС-%08d%s, 202612, 500000, %s2026-12-20T09:00:00.000000Z%s); COMMIT;\n",
                q, i, q, q, q, q, i, q, q, q }'
    } | sqlite3 "$DISK_DB" >/dev/null
    DISK_TRANSACTIONS=$((DISK_TRANSACTIONS + 250))
done
end_ns=$(date +%s%N)
DISK_TPS="$(awk -v n="$DISK_TRANSACTIONS" -v ns=$((end_ns - start_ns)) 'BEGIN { printf "%.1f", n / (ns / 1e9) }')"
[[ "$(sqlite3 "$DISK_DB" "SELECT count(*) FROM readings_loop")" == "$DISK_TRANSACTIONS" ]] ||
    fail "the disk loop did not write its $DISK_TRANSACTIONS rows"
echo "   $DISK_TPS transactions/s ($DISK_TRANSACTIONS in $(awk -v ns=$((end_ns - start_ns)) 'BEGIN { printf "%.1f", ns / 1e9 }') s; $(df --output=source,fstype "$WORK/sqlite" | tail -n 1 | tr -s ' '))"

login_flood "$WORK/subscribers-sqlite.tsv" "SQLite: "
SQLITE_P99_ALONE="$F_p99_alone" SQLITE_P99_FLOOD="$F_p99_flood" SQLITE_S503="$F_s503" SQLITE_LOGINS="$F_logins"
sleep 2
SQLITE_RSS_AFTER="$(rss_mb VmRSS)"
SQLITE_RSS_PEAK="$(rss_mb VmHWM)"
printf '   server RSS: 2 s after the flood %s MB, peak (VmHWM) %s MB\n' "$SQLITE_RSS_AFTER" "$SQLITE_RSS_PEAK"
stop_server

# The table.
# num X: X rounded, with thousands separated by commas.
num() {
    awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); t = ""
        while (length(s) > 3) { t = "," substr(s, length(s) - 2) t; s = substr(s, 1, length(s) - 3) }
        print s t }'
}
RESULTS="$OUT/results.md"
{
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' with changes'); $(nproc) cores; load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "$METERS meters, $SUBSCRIBERS subscribers; wrk and pgbench $DURATION s a row$([[ "$SHORT" == 1 ]] && echo ' (--short)'); login flood $FLOOD s; the server's pool at its default of 10 connections (VODOKANAL_DB_MAX_CONNECTIONS); \`scripts/bench-http.sh$([[ "$SHORT" == 1 ]] && echo ' --short')\`."
    echo
    echo "| what | server | the database alone | ratio | statements a request |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    for kind in account accounts readings public_readings; do
        for connections in 16 64; do
            echo "| ${TITLE[$kind]}, $connections connections | $(num "${SERVER_RPS[$kind.$connections]}") req/s | $(num "${DB_TPS[$kind.$connections]}") tps | $(ratio "${SERVER_RPS[$kind.$connections]}" "${DB_TPS[$kind.$connections]}") | ${STATEMENTS[$kind]} |"
        done
    done
    echo "| GET /accounts/{n}, 8 connections, alone / during 32 concurrent logins | p99 $P99_ALONE ms / $P99_FLOOD ms | | $(ratio "$P99_FLOOD" "$P99_ALONE")x | |"
    echo "| the login flood: 503s / answers | $(num "$FLOOD_S503") / $(num "$FLOOD_LOGINS") | | | ${STATEMENTS[login]} |"
    echo "| server RSS on PostgreSQL: idle / after the flood / peak | $RSS_IDLE / $RSS_AFTER / $RSS_PEAK MB | | | |"
    echo "| SQLite, POST readings at 16 connections | $(num "$SQLITE_RPS") req/s, p99 $SQLITE_P99 ms, max $SQLITE_MAX ms | the disk: $(num "$DISK_TPS") tx/s | $(ratio "$SQLITE_RPS" "$DISK_TPS") | |"
    echo "| SQLite: GET /accounts/{n}, 8 connections, alone / during 32 concurrent logins | p99 $SQLITE_P99_ALONE ms / $SQLITE_P99_FLOOD ms | | $(ratio "$SQLITE_P99_FLOOD" "$SQLITE_P99_ALONE")x | |"
    echo "| server RSS on SQLite: after the flood ($(num "$SQLITE_S503") 503s of $(num "$SQLITE_LOGINS")) / peak | $SQLITE_RSS_AFTER / $SQLITE_RSS_PEAK MB | | | |"
    echo
    echo "Where the CPU goes, per request (the server) or transaction (pgbench): the client's own (wrk's or pgbench's user and system time), the server process's, and the rest of the machine's busy time (PostgreSQL's backends, the kernel's work for them; on SQLite the sqlite3 work is the server's); and how many of the $(nproc) cores were busy:"
    echo
    echo "| what | the server: wrk / server / the rest | pgbench / server / the rest |"
    echo "| --- | --- | --- |"
    for kind in account accounts readings public_readings; do
        for connections in 16 64; do
            echo "| ${TITLE[$kind]}, $connections connections | ${SERVER_CPU[$kind.$connections]} | ${DB_CPU[$kind.$connections]} |"
        done
    done
    echo "| SQLite, POST readings at 16 connections | $SQLITE_CPU | |"
    echo
    echo "Statements per request, as captured from PostgreSQL's log ($CAPTURE requests of each; transaction control is BEGIN, COMMIT and the like; connections: the most backends one request used):"
    echo
    echo "| request | statements | of them transaction control | connections |"
    echo "| --- | ---: | ---: | ---: |"
    for kind in "${KINDS[@]}"; do
        title="${TITLE[$kind]:-POST /auth/login}"
        echo "| $title | ${STATEMENTS[$kind]} | ${CONTROL[$kind]} | ${CONNECTIONS[$kind]} |"
    done
} >"$RESULTS"
echo
echo "== results (also in $RESULTS; EXPLAIN in $OUT/explain.txt)"
echo
cat "$RESULTS"
