#!/usr/bin/env bash
# schemathesis against the OpenAPI document the built binary serves (/api/v1/openapi.json), on
# SQLite and on PostgreSQL (a fresh database each): every check, the examples, coverage,
# fuzzing and stateful phases, a fixed seed and a bounded number of examples per operation,
# signed in as a registered subscriber with the demo account 100001 linked. Fails on any
# finding (a 5xx, an answer the document does not describe, ...). Issue 15, point 5.
#
#   scripts/schemathesis.sh [sqlite] [postgres]     (default: both)
#
# Needs the binary (`cargo build -p vodokanal-server`), schemathesis in a venv (.ci/run:
# `python3 -m venv target/schemathesis && target/schemathesis/bin/pip install -r
# scripts/schemathesis-requirements.txt`), curl, psql, and for PostgreSQL `DATABASE_URL` (a server
# where databases can be created; default postgres://postgres@127.0.0.1:5432/postgres).
# Settings: ST_SEED, ST_EXAMPLES (per operation), ST_WORKERS, ST (the `st` executable),
# VODOKANAL_BIN. The report of each run (JUnit, NDJSON) and the server's log stay in
# target/schemathesis-report/<backend>/.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=${CARGO_TARGET_DIR:-target}
bin=$(realpath -m "${VODOKANAL_BIN:-$target_dir/debug/vodokanal}")
st=${ST:-target/schemathesis/bin/st}
seed=${ST_SEED:-20261115}
examples=${ST_EXAMPLES:-50}
workers=${ST_WORKERS:-1}
database_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
backends=("$@")
[[ ${#backends[@]} -gt 0 ]] || backends=(sqlite postgres)

[[ -x $bin ]] || { echo "$bin is missing: cargo build -p vodokanal-server" >&2; exit 1; }
[[ -x $st ]] || { echo "$st is missing: see the header of $0" >&2; exit 1; }

# The subscriber of the run (tests/src/demo.rs).
# The subscriber of the run: not the document's example phone or e-mail, which the fuzzer sends
# with wrong passwords.
phone="+7 (916) 555-12-34"
phone_e164="+79165551234"
email="schemathesis@example.ru"
password="Lezhnevskaya-120-kv15"
# Sessions signed in before the run, one taken after each logout (scripts/schemathesis_hooks.py).
sessions=${ST_SESSIONS:-25}

server_pid=""
work=""
pg_name=""
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [[ -z $pg_name ]] || psql "$database_url" -q -c "DROP DATABASE IF EXISTS \"$pg_name\" WITH (FORCE)" >/dev/null || true
    [[ -z $work ]] || rm -rf "$work"
    server_pid="" pg_name="" work=""
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# POST $1 with the JSON $2 (and the bearer token $3): the body; fails unless the status is $4.
post() {
    local path=$1 body=$2 token=${3:-} expected=$4 out status
    out=$(mktemp)
    status=$(curl -sS -o "$out" -w '%{http_code}' -X POST "$base/api/v1$path" \
        -H 'content-type: application/json' ${token:+-H "authorization: Bearer $token"} -d "$body")
    if [[ $status != "$expected" ]]; then
        echo "POST $path: $status, expected $expected: $(cat "$out")" >&2
        rm -f "$out"
        return 1
    fi
    cat "$out"
    rm -f "$out"
}

# The `token` of a JSON answer on standard input.
json_token() {
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

# The code of the newest SMS to the subscriber, waiting for the server's sender (every second).
sms_code() {
    local code=""
    for _ in $(seq 1 150); do
        code=$(python3 -c 'import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    sms = json.loads(line)
    if sms["to"] == sys.argv[2]:
        print(sms["text"])' "$work/outbox.jsonl" "$phone_e164" 2>/dev/null \
            | tail -1 | sed -n 's/.*: \([0-9]\{6\}\).*/\1/p' || true)
        [[ -z $code ]] || { echo "$code"; return 0; }
        sleep 0.1
    done
    echo "no SMS to $phone_e164 in 15 s" >&2
    return 1
}

run_backend() {
    local backend=$1 database port report
    work=$(mktemp -d)
    case $backend in
        sqlite) database="sqlite://$work/db.sqlite" ;;
        postgres)
            pg_name="st_$(date +%s)_$$"
            psql "$database_url" -q -c "CREATE DATABASE \"$pg_name\"" >/dev/null
            database="${database_url%/*}/$pg_name"
            ;;
        *) echo "unknown backend $backend" >&2; exit 1 ;;
    esac
    port=$(free_port)
    base="http://127.0.0.1:$port"
    report="target/schemathesis-report/$backend"
    rm -rf "$report"
    mkdir -p "$report"

    echo "== schemathesis on $backend ($base, seed $seed, $examples examples per operation)"
    (
        for name in $(env | sed -n 's/^\(VODOKANAL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$name"; done
        cd "$work"
        exec env VODOKANAL_DATABASE_URL="$database" VODOKANAL_LISTEN="127.0.0.1:$port" \
            VODOKANAL_PUBLIC_URL="$base" VODOKANAL_DEMO=on VODOKANAL_SMS_OUTBOX="$work/outbox.jsonl" \
            VODOKANAL_LOG="${VODOKANAL_LOG:-info}" \
            VODOKANAL_PAYEE_NAME="МУП «Водоканал»" VODOKANAL_PAYEE_ACCOUNT=40702810600000012345 \
            VODOKANAL_PAYEE_BANK="ПАО «Банк Пример»" VODOKANAL_PAYEE_BIC=042406999 \
            VODOKANAL_PAYEE_CORR_ACCOUNT=30101810900000000999 VODOKANAL_PAYEE_INN=3702012348 \
            VODOKANAL_PAYEE_KPP=370201001 "$bin" serve >/dev/null 2>"$OLDPWD/$report/server.log"
    ) &
    server_pid=$!
    for _ in $(seq 1 300); do
        curl -sf "$base/health/ready" >/dev/null 2>&1 && break
        kill -0 "$server_pid" 2>/dev/null || { echo "the server exited:" >&2; cat "$report/server.log" >&2; exit 1; }
        sleep 0.1
    done
    curl -sf "$base/health/ready" >/dev/null

    post /auth/registration "{\"phone\":\"$phone\",\"email\":\"$email\",\"consent_personal_data\":true}" "" 202 >/dev/null
    local code token tokens
    code=$(sms_code)
    token=$(post /auth/registration/confirm "{\"phone\":\"$phone\",\"code\":\"$code\",\"password\":\"$password\"}" "" 201 | json_token)
    post /accounts '{"account_number":"100001","meter_last4":"1234"}' "$token" 201 >/dev/null
    tokens=$token
    for _ in $(seq 2 "$sessions"); do
        tokens+=" $(post /auth/login "{\"login\":\"$email\",\"password\":\"$password\"}" "" 200 | json_token)"
    done

    local status=0
    ST_TOKENS="$tokens" ST_BASE="$base" PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}" \
        "$st" --config-file scripts/schemathesis.toml run "$base/api/v1/openapi.json" \
        --seed "$seed" \
        --max-examples "$examples" \
        --workers "$workers" \
        --request-timeout 20 \
        --no-color \
        --report junit,ndjson --report-dir "$report" \
        || status=$?

    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server died during the run" >&2
        status=1
    fi
    if grep -q 'panicked' "$report/server.log"; then
        echo "the server panicked:" >&2
        grep -n 'panicked' "$report/server.log" >&2
        status=1
    fi
    cleanup
    return "$status"
}

failed=0
for backend in "${backends[@]}"; do
    run_backend "$backend" || failed=1
done
exit "$failed"
