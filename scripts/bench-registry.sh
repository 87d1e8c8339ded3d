#!/usr/bin/env bash
# The registry benchmark of issue 3 (see docs/performance.md): generates a registry of
# METERS meter rows (default 1,000,000, about 600,000 accounts), then, each under
# /usr/bin/time (wall time and peak resident memory):
#   1. psql \copy of the file into a plain table of its 9 columns (all text): the yardstick;
#   2. `vodokanal import-registry` into a fresh, migrated PostgreSQL database, then the same
#      file again (idempotent: the state is compared);
#   3. the floor: the import's own statements (crates/postgres/sql/registry/) run inside psql
#      on the whole file staged at once, in another fresh database (no client, no batches);
#   4. `vodokanal import-registry` into a fresh SQLite file;
#   5. after inserting one subscriber reading per meter for period 2026-12 straight with SQL
#      (set-up, not measured), `vodokanal export readings` of that period from each database.
# The release binary is the one operators run: the figures are the command's, start-up included.
# Prints a table. Everything it creates (a temporary folder, the database) is removed at exit.
#
# Environment: METERS (default 1000000), PG_URL (the server, default
# postgres://postgres@127.0.0.1:5432), BENCH_DB (default vodokanal_bench), BENCH_KEEP=1 keeps
# the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -d "$HOME/.cargo/bin" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

METERS="${METERS:-1000000}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
BENCH_DB="${BENCH_DB:-vodokanal_bench}"
FLOOR_DB="${BENCH_DB}_floor"
PERIOD="2026-12"
export PGOPTIONS="${PGOPTIONS:---client-min-messages=warning}"

if [[ ! -x /usr/bin/time ]]; then
    echo "== installing GNU time (the Debian package 'time')"
    apt-get install -y -qq time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-registry.XXXXXX")"
cleanup() {
    psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" \
        -c "DROP DATABASE IF EXISTS $FLOOR_DB WITH (FORCE)" >/dev/null 2>&1 || true
    if [[ "${BENCH_KEEP:-0}" != 1 ]]; then
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

echo "== build (release)"
cargo build --release --locked -q -p vodokanal-registry-csv --bin generate-registry \
    -p vodokanal-server --bin vodokanal
TARGET="${CARGO_TARGET_DIR:-target}/release"
VODOKANAL="$TARGET/vodokanal"
# Only the database comes from the environment: nothing else of the caller's configuration.
for name in $(env | sed -n 's/^\(VODOKANAL_[A-Z_]*\)=.*/\1/p'); do
    unset "$name"
done
export VODOKANAL_LOG=warn

REGISTRY="$WORK/registry.csv"
PG_DB_URL="$PG_URL/$BENCH_DB"
SQLITE_FILE="$WORK/bench.db"
SQLITE_URL="sqlite://$SQLITE_FILE"

declare -a NAMES=() SECONDS_=() PEAKS=()

# measure NAME COMMAND...: runs the command under /usr/bin/time and records its wall time and
# peak resident memory; the command's own output goes to $WORK/NAME.log.
measure() {
    local name="$1"
    shift
    local log="$WORK/${name// /_}.log"
    if ! /usr/bin/time -f "%e s %M KB" -o "$WORK/time" "$@" >"$log" 2>&1; then
        cat "$log" >&2
        echo "bench-registry: '$name' failed" >&2
        exit 1
    fi
    read -r secs _ kb _ <"$WORK/time"
    NAMES+=("$name")
    SECONDS_+=("$secs")
    PEAKS+=("$kb")
    printf '   %-34s %9s s %9s KB   %s\n' "$name" "$secs" "$kb" "$(tail -n 1 "$log")"
}

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== generate the registry ($METERS meters)"
"$TARGET/generate-registry" --meters "$METERS" --out "$REGISTRY"

echo "== a fresh PostgreSQL database $BENCH_DB, migrated"
psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB" >/dev/null
VODOKANAL_DATABASE_URL="$PG_DB_URL" "$VODOKANAL" migrate
CREATE_COPY_TABLE="CREATE TABLE registry_copy (account_number text, address text, debt text, \
    balance_as_of text, meter_number text, meter_service text, verification_due text, \
    last_reading text, last_reading_date text)"
COPY_FILE="\\copy registry_copy FROM '$REGISTRY' WITH (FORMAT csv, DELIMITER ';', HEADER true)"
psql -q "$PG_DB_URL" -c "$CREATE_COPY_TABLE" >/dev/null

# The state the registry leaves: every account, meter and reading, hashed.
pg_state() {
    psql -qAt "$PG_DB_URL" -c "SELECT md5(string_agg(t, E'\n' ORDER BY t)) FROM ( \
        SELECT concat_ws('|', 'a', number, address, balance_kopecks, balance_as_of) AS t FROM accounts \
        UNION ALL SELECT concat_ws('|', 'm', number, account_number, service, verification_due) FROM meters \
        UNION ALL SELECT concat_ws('|', 'r', id, account_number, meter_number, period, value_litres, \
            submitted_at, source) FROM readings) s"
}

echo "== measured"
measure "psql \\copy" psql -q "$PG_DB_URL" -c "$COPY_FILE"
measure "PostgreSQL import" env VODOKANAL_DATABASE_URL="$PG_DB_URL" "$VODOKANAL" import-registry "$REGISTRY"
first_state="$(pg_state)"
measure "PostgreSQL re-import" env VODOKANAL_DATABASE_URL="$PG_DB_URL" "$VODOKANAL" import-registry "$REGISTRY"
second_state="$(pg_state)"
if [[ "$first_state" != "$second_state" ]]; then
    echo "bench-registry: the re-import changed the state ($first_state -> $second_state)" >&2
    exit 1
fi
echo "   (re-import left the same state: $second_state)"

# The floor: what the import's statements cost on their own, the file staged in one go
# (converted from the \copy table the way the import encodes a row; set-up, not measured).
echo "== the floor: the import's statements inside psql, on the whole file staged at once"
psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $FLOOR_DB WITH (FORCE)" -c "CREATE DATABASE $FLOOR_DB" >/dev/null
VODOKANAL_DATABASE_URL="$PG_URL/$FLOOR_DB" "$VODOKANAL" migrate >/dev/null
psql -q "$PG_URL/$FLOOR_DB" -c "$CREATE_COPY_TABLE" -c "$COPY_FILE" >/dev/null
SQL_DIR=crates/postgres/sql/registry
{
    echo "BEGIN;"
    echo "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off;"
    cat "$SQL_DIR/create_staging.sql"
    echo ";"
    echo "INSERT INTO registry_staging SELECT row_number() OVER (), account_number, address,
        round(debt::numeric * 100)::bigint, balance_as_of::date, meter_number, meter_service,
        verification_due::date, round(last_reading::numeric * 1000)::bigint,
        to_char(last_reading_date::date, 'YYYYMM')::integer,
        last_reading_date::date::timestamp AT TIME ZONE 'UTC'
        FROM registry_copy;"
    echo "\\timing on"
    for step in upsert_accounts upsert_meters upsert_readings; do
        echo "\\echo floor $step"
        cat "$SQL_DIR/$step.sql"
        echo ";"
    done
    echo "\\timing off"
    echo "COMMIT;"
} >"$WORK/floor.sql"
psql -q -v ON_ERROR_STOP=1 "$PG_URL/$FLOOR_DB" -f "$WORK/floor.sql" >"$WORK/floor.log"
floor_secs=$(awk '/^floor / { step = $2 } /^Time: / { s = $2 / 1000; total += s; printf "   %-34s %9.2f s\n", step, s > "/dev/stderr" } END { printf "%.2f", total }' "$WORK/floor.log")
echo "   floor, the three upserts            $floor_secs s"
counts() {
    psql -qAt "$1" -c "SELECT (SELECT count(*) FROM accounts) || ' accounts, ' || \
        (SELECT count(*) FROM meters) || ' meters, ' || (SELECT count(*) FROM readings) || ' readings'"
}
if [[ "$(counts "$PG_URL/$FLOOR_DB")" != "$(counts "$PG_DB_URL")" ]]; then
    echo "bench-registry: the floor wrote $(counts "$PG_URL/$FLOOR_DB"), the import $(counts "$PG_DB_URL")" >&2
    exit 1
fi
echo "   (the floor wrote what the import wrote: $(counts "$PG_DB_URL"))"
NAMES+=("import SQL alone (floor)")
SECONDS_+=("$floor_secs")
PEAKS+=("")

VODOKANAL_DATABASE_URL="$SQLITE_URL" "$VODOKANAL" migrate
measure "SQLite import" env VODOKANAL_DATABASE_URL="$SQLITE_URL" "$VODOKANAL" import-registry "$REGISTRY"

echo "== set-up, not measured: one subscriber reading (source 'cabinet') per meter for $PERIOD"
psql -q "$PG_DB_URL" -c "INSERT INTO readings (id, account_number, meter_number, period, \
    value_litres, previous_litres, consumption_litres, submitted_at, source, warnings) \
    SELECT gen_random_uuid(), account_number, number, 202612, 500000, NULL, NULL, \
        timestamptz '2026-12-20 09:00:00+00' + (row_number() OVER (ORDER BY number)) * interval '1 ms', \
        'cabinet', '' FROM meters" -c "ANALYZE readings" >/dev/null
# SQLite has no UUID function: a random version-4 UUID made of randomblob().
python3 - "$SQLITE_FILE" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""
    INSERT INTO readings (id, account_number, meter_number, period, value_litres,
        submitted_at, source, warnings)
    SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
            substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) || '-' ||
            hex(randomblob(6))),
        account_number, number, 202612, 500000,
        strftime('%Y-%m-%dT%H:%M:%f000Z', '2026-12-20 09:00:00', '+' || (rowid % 86400) || ' seconds'),
        'cabinet', ''
    FROM meters""")
db.commit()
db.execute("ANALYZE")
db.close()
PY

measure "PostgreSQL export" env VODOKANAL_DATABASE_URL="$PG_DB_URL" "$VODOKANAL" export readings --period "$PERIOD" --out "$WORK/pg_export.csv"
measure "SQLite export" env VODOKANAL_DATABASE_URL="$SQLITE_URL" "$VODOKANAL" export readings --period "$PERIOD" --out "$WORK/sqlite_export.csv"
for f in pg_export sqlite_export; do
    lines=$(wc -l <"$WORK/$f.csv")
    if [[ "$lines" -ne $((METERS + 1)) ]]; then
        echo "bench-registry: $f.csv has $lines lines, expected $((METERS + 1))" >&2
        exit 1
    fi
done

echo
echo "== results ($METERS meters, $(($(wc -l <"$REGISTRY") - 1)) registry rows, $(du -m "$REGISTRY" | cut -f1) MB; load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
copy_secs="${SECONDS_[0]}"
printf '| %-24s | %10s | %13s | %12s |\n' "step" "time, s" "peak RSS, MB" "vs \\copy"
printf '| %-24s | %10s | %13s | %12s |\n' "---" "---:" "---:" "---:"
for i in "${!NAMES[@]}"; do
    mb=$(awk -v kb="${PEAKS[$i]}" 'BEGIN { if (kb == "") print "-"; else printf "%.1f", kb / 1024 }')
    ratio=$(awk -v s="${SECONDS_[$i]}" -v c="$copy_secs" 'BEGIN { printf "%.2fx", s / c }')
    printf '| %-24s | %10s | %13s | %12s |\n' "${NAMES[$i]}" "${SECONDS_[$i]}" "$mb" "$ratio"
done
