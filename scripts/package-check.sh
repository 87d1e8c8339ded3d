#!/usr/bin/env bash
# The Debian package (issue 19), checked on this machine as root: built with cargo-deb,
# installed with dpkg, its unit checked by `systemd-analyze verify`, the installed binary's
# `migrate` and `serve` run as the packaged user with /etc/vodokanal/env against a scratch
# PostgreSQL database, then purged: the binary, the unit and the settings go, the data stays.
# For CI and development machines only: it purges an installed `vodokanal` package first.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) != 0 ]]; then
    echo "package-check: run as root (it installs the package)" >&2
    exit 1
fi

database_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
state=/var/lib/vodokanal
# Left in the state directory by this script: a directory holding it is a leftover of a run
# that could not clean up, not an operator's data.
marker="$state/.package-check"
pg_name="" server_pid="" made_state="" made_user=""

cleanup() {
    local status=$?
    if [[ -n $server_pid ]]; then
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    dpkg --purge vodokanal >/dev/null 2>&1 || true
    [[ -z $pg_name ]] || psql "$database_url" -q -c "DROP DATABASE IF EXISTS \"$pg_name\" WITH (FORCE)" >/dev/null || true
    [[ -z $made_state ]] || rm -rf "$state"
    if [[ -n $made_user ]]; then
        userdel vodokanal 2>/dev/null || true
        groupdel vodokanal 2>/dev/null || true
    fi
    exit "$status"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs "$@" as the packaged user the way the unit does: in its working directory, umask 077,
# with the settings of /etc/vodokanal/env (read by the user itself: the file is 0640
# root:vodokanal) and nothing of this shell's environment but SCRATCH_* (which override the
# file's). setpriv, not runuser: runuser forks and does not pass SIGTERM on. It execs: call it
# in a subshell, whose process becomes the command's.
exec_as_service_user() {
    # shellcheck disable=SC2016 # expanded by the user's own sh, after the settings file
    exec env -i PATH=/usr/bin:/bin "${scratch[@]}" \
        setpriv --reuid=vodokanal --regid=vodokanal --init-groups -- \
        sh -c 'umask 077 && cd /var/lib/vodokanal && set -a && . /etc/vodokanal/env \
            && VODOKANAL_DATABASE_URL=$SCRATCH_DATABASE_URL VODOKANAL_LISTEN=$SCRATCH_LISTEN \
            && VODOKANAL_PUBLIC_URL=$SCRATCH_PUBLIC_URL && exec "$@"' sh "$@"
}

echo "== package: a leftover install is removed"
dpkg --purge vodokanal >/dev/null 2>&1 || true
[[ ! -e $marker ]] || rm -rf "$state"
[[ -e $state ]] || made_state=yes
getent passwd vodokanal >/dev/null || made_user=yes

echo "== package: cargo deb"
started=$SECONDS
# PACKAGE_BINARY=tested (CI): package the debug binary the tests have just built instead of a
# release build, which takes 10 to 30 minutes on two cores. Everything this script checks (the
# files, the unit, the user, the settings, install and purge) is the same; only the binary's
# optimisation differs. cargo-deb warns that it is meant for release builds.
build=(--profile release)
if [[ ${PACKAGE_BINARY:-release} == tested ]]; then
    [[ -x target/debug/vodokanal ]] || { echo "no target/debug/vodokanal: run the tests first" >&2; exit 1; }
    build=(--profile dev --no-build)
fi
# cargo-deb prints the package's path on standard output, its progress on standard error.
deb=$(cargo deb -p vodokanal-server --locked "${build[@]}" | tail -n 1)
echo "built $deb in $((SECONDS - started)) s"
[[ -f $deb ]] || { echo "no package at '$deb'" >&2; exit 1; }
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"

echo "== package: dpkg -i"
dpkg -i "$deb"
[[ -z $made_state ]] || touch "$marker"
unit=$(dpkg -L vodokanal | grep '/systemd/system/vodokanal\.service$')
[[ -x /usr/bin/vodokanal ]]
getent passwd vodokanal
[[ $(stat -c '%U:%G %a' /etc/vodokanal/env) == "root:vodokanal 640" ]] \
    || { echo "/etc/vodokanal/env is $(stat -c '%U:%G %a' /etc/vodokanal/env)" >&2; exit 1; }
[[ $(stat -c '%U:%G' "$state") == "vodokanal:vodokanal" ]]
/usr/bin/vodokanal --version

echo "== package: systemd-analyze verify $unit"
verify=$(systemd-analyze verify "$unit" 2>&1) || { echo "$verify" >&2; exit 1; }
[[ -z $verify ]] || echo "$verify"
if grep -q 'vodokanal' <<<"$verify"; then
    echo "systemd-analyze has something to say about the unit (above)" >&2
    exit 1
fi

echo "== package: migrate and serve as the packaged user on PostgreSQL"
pg_name="vodokanal_package_$(date +%s)_$$"
psql "$database_url" -q -c "CREATE DATABASE \"$pg_name\"" >/dev/null
port=$(free_port)
base="http://127.0.0.1:$port"
scratch=(SCRATCH_DATABASE_URL="${database_url%/*}/$pg_name" SCRATCH_LISTEN="127.0.0.1:$port"
    SCRATCH_PUBLIC_URL="$base")
(exec_as_service_user /usr/bin/vodokanal migrate)
log=$(mktemp)
(exec_as_service_user /usr/bin/vodokanal serve 2>"$log") &
server_pid=$!
for _ in $(seq 1 300); do
    curl -sf "$base/health/ready" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { echo "the server exited:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.1
done
curl -sS -f -o /dev/null -w 'GET /health/ready: %{http_code}\n' "$base/health/ready"
info=$(curl -sS -f "$base/api/v1/info")
echo "GET /api/v1/info: $info"
grep -q '"timezone"' <<<"$info"
# The server's process runs as the user (the subshell, env, setpriv and sh exec'd into it).
[[ $(stat -c %U "/proc/$server_pid") == vodokanal ]]
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
grep -q 'stopped' "$log" || { cat "$log" >&2; exit 1; }
[[ $status == 0 ]] || { echo "serve exited with $status after SIGTERM" >&2; cat "$log" >&2; exit 1; }
echo "serve stopped on SIGTERM with exit code 0"
# Without VODOKANAL_SECRET on PostgreSQL, the secret was generated into the working directory.
[[ $(stat -c '%U %a' "$state/vodokanal.secret") == "vodokanal 600" ]]
rm -f "$log"

echo "== package: dpkg --purge"
dpkg --purge vodokanal
for gone in /usr/bin/vodokanal "$unit" /etc/vodokanal/env /usr/lib/sysusers.d/vodokanal.conf; do
    [[ ! -e $gone ]] || { echo "$gone is still there after the purge" >&2; exit 1; }
done
# The subscribers' data is never deleted by the package, even on purge.
[[ -f $state/vodokanal.secret ]] || { echo "the purge deleted $state" >&2; exit 1; }
echo "purged: binary, unit and settings gone; $state kept"
