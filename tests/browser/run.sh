#!/usr/bin/env bash
# The web client's journeys in headless Chromium against the real binary: builds the server,
# starts `vodokanal serve` on a free port with a temporary SQLite database, the demo registry
# and an SMS outbox, runs the journeys with node's test runner, and stops the server.
# Needs: cargo, node 20+, `npm ci` done here, Chromium at $CHROMIUM (default /usr/bin/chromium).
# Screenshots (360x740) go to tests/browser/screenshots/. The server has a reading window of
# 1-31 (every day open, so the journeys may submit any day, and the window's .ics is served).
# Arguments, if any, are the test files to run instead of all.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

cargo build --locked -p vodokanal-server --manifest-path "$root/Cargo.toml"
binary="${CARGO_TARGET_DIR:-$root/target}/debug/vodokanal"

work="$(mktemp -d)"
port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
export VODOKANAL_URL="http://127.0.0.1:$port"
export VODOKANAL_SMS_OUTBOX="$work/outbox.jsonl"
# The payment QR code's bank details (made up, with valid keys: the README's example);
# payment-qr.test.mjs reads the name back from the decoded code.
export PAYEE_NAME="МУП «Водоканал»"

VODOKANAL_DATABASE_URL="sqlite://$work/vodokanal.db" \
VODOKANAL_LISTEN="127.0.0.1:$port" \
VODOKANAL_PUBLIC_URL="$VODOKANAL_URL" \
VODOKANAL_DEMO=on \
VODOKANAL_READING_WINDOW=1-31 \
VODOKANAL_LOG=warn \
VODOKANAL_PAYEE_NAME="$PAYEE_NAME" \
VODOKANAL_PAYEE_ACCOUNT=40702810600000012345 \
VODOKANAL_PAYEE_BANK="ПАО «Банк Пример»" \
VODOKANAL_PAYEE_BIC=042406999 \
VODOKANAL_PAYEE_CORR_ACCOUNT=30101810900000000999 \
VODOKANAL_PAYEE_INN=3702012348 \
VODOKANAL_PAYEE_KPP=370201001 \
    "$binary" serve >"$work/server.log" 2>&1 &
server=$!
stop() {
    kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap stop EXIT

for _ in $(seq 1 100); do
    curl -sf "$VODOKANAL_URL/health/ready" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
done
curl -sf "$VODOKANAL_URL/health/ready" >/dev/null || { cat "$work/server.log"; exit 1; }

rm -rf "$here/screenshots"
cd "$here"
status=0
# The files given (e.g. `./run.sh journeys/visits.test.mjs`), or every test.
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(unit/ journeys/)
node --test --test-concurrency=1 --test-reporter=spec "${targets[@]}" || status=$?
if [[ $status -ne 0 ]]; then
    echo "== server log"
    cat "$work/server.log"
fi
echo "screenshots: $here/screenshots"
exit $status
