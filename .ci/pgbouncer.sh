#!/usr/bin/env bash
# Starts PgBouncer in transaction mode on a loopback port, in front of the local PostgreSQL, and prints its
# URL on stdout (everything else goes to stderr). Installs Debian's pgbouncer when it is missing. Already
# running (started by this script on the same port): reused. Usage: url="$(bash .ci/pgbouncer.sh)"
#   PGBOUNCER_PORT         port to listen on, 127.0.0.1 only (default 6432; it must be free)
#   PGBOUNCER_SERVER_HOST  PostgreSQL host PgBouncer forwards to (default 127.0.0.1)
#   PGBOUNCER_SERVER_PORT  PostgreSQL port (default 5432); the server must trust user postgres from there
set -euo pipefail

port="${PGBOUNCER_PORT:-6432}"
server_host="${PGBOUNCER_SERVER_HOST:-127.0.0.1}"
server_port="${PGBOUNCER_SERVER_PORT:-5432}"
dir="${TMPDIR:-/tmp}/secretstore-pgbouncer-${port}"
url="postgres://postgres@127.0.0.1:${port}/postgres"

say() { printf 'pgbouncer.sh: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# PgBouncer refuses to run as root: root runs it as postgres, anyone else as themselves.
as_runner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

answers() {
  psql "$url" -XAtqc 'SELECT 1' >/dev/null 2>&1
}

find_pgbouncer() {
  command -v pgbouncer 2>/dev/null || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; } || true
}

if [ -f "$dir/pgbouncer.pid" ] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null && answers; then
  say "reusing PgBouncer (pid $(cat "$dir/pgbouncer.pid")) on 127.0.0.1:${port}"
  echo "$url"
  exit 0
fi

pgbouncer="$(find_pgbouncer)"
if [ -z "$pgbouncer" ]; then
  say "installing pgbouncer (apt-get)"
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends pgbouncer >&2
  # The package may start its own instance on localhost:6432, with no databases: stop it, it is not ours.
  as_root invoke-rc.d --skip-systemd-native pgbouncer stop >/dev/null 2>&1 ||
    as_root systemctl stop pgbouncer >/dev/null 2>&1 || true
  pgbouncer="$(find_pgbouncer)"
  [ -n "$pgbouncer" ] || { say "pgbouncer is still missing after apt-get install"; exit 1; }
fi

if listening "$port"; then
  say "127.0.0.1:${port} is taken by something else; choose another port with PGBOUNCER_PORT"
  exit 1
fi

rm -rf "$dir"
mkdir -p "$dir"
# Only the user's name matters with auth_type trust, but PgBouncer still wants it listed.
echo '"postgres" ""' >"$dir/userlist.txt"
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
; Every database name, so that each test file's scratch database is reachable through PgBouncer.
* = host=${server_host} port=${server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${dir}/userlist.txt
admin_users = postgres
pool_mode = transaction
; Many clients (a parallel test run), few server connections: clients really do share them.
max_client_conn = 1000
default_pool_size = 5
max_user_connections = 40
query_wait_timeout = 60
logfile = ${dir}/pgbouncer.log
pidfile = ${dir}/pgbouncer.pid
EOF
if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi

say "starting $("$pgbouncer" --version | head -n 1) on 127.0.0.1:${port} (transaction mode) → ${server_host}:${server_port}"
as_runner "$pgbouncer" -d "$dir/pgbouncer.ini"
for _ in $(seq 1 50); do
  if answers; then
    echo "$url"
    exit 0
  fi
  sleep 0.2
done
say "PgBouncer did not answer on 127.0.0.1:${port}; its log:"
tail -n 20 "$dir/pgbouncer.log" >&2 || true
exit 1
