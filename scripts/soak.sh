#!/usr/bin/env bash
# The soak: mixed load against a release build for 10 minutes (or `--minutes N`), printing the
# server's resident memory and open file descriptors every minute. `--postgres` runs it on a
# fresh database of DATABASE_URL's server instead of SQLite. The figures of a run are in
# docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
cargo build --release --locked -p vodokanal-server -p vodokanal-e2e --bin vodokanal --bin soak
E2E_VODOKANAL_BINARY="$PWD/target/release/vodokanal" exec target/release/soak "$@"
