#!/usr/bin/env bash
# PgBouncer in transaction pooling mode (issue 16): the store contract suite through it
# (crates/postgres/tests/pgbouncer.rs) and two `serve` processes through it (tests/pgbouncer.rs).
# Installs Debian's pgbouncer when it is missing; each test starts its own PgBouncer in front of
# DATABASE_URL's PostgreSQL. Both test files are built only with the `pgbouncer-tests` features.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/sbin/pgbouncer ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y pgbouncer || { apt-get update && apt-get install -y pgbouncer; }
fi

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
features=(--features vodokanal-postgres/pgbouncer-tests,vodokanal-e2e/pgbouncer-tests)
cargo clippy -p vodokanal-postgres -p vodokanal-e2e "${features[@]}" --tests --locked -- -D warnings
# The e2e test starts the built binary.
cargo build -p vodokanal-server --locked
cargo nextest run -p vodokanal-postgres -p vodokanal-e2e "${features[@]}" --locked --no-fail-fast \
    -E 'binary(pgbouncer)'
