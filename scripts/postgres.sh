#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL 15 for the registry tests: Debian's binaries, a temp data dir owned by an
# unprivileged user (postgres when we are root), trust auth, listening on 127.0.0.1 on a free port.
#   eval "$(bash scripts/postgres.sh start)"   # exports S3R_TEST_POSTGRES (an Npgsql connection string)
#   bash scripts/postgres.sh stop
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
STATE="${TMPDIR:-/tmp}/s3router-postgres.state"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    [ -x "$BIN/initdb" ] || { echo "postgres.sh: $BIN/initdb not found (apt-get install postgresql-15)" >&2; exit 1; }
    if [ -f "$STATE" ]; then bash "$0" stop >/dev/null 2>&1 || true; fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/s3router-pg.XXXXXX")
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "$dir" >"$STATE"
    echo "export S3R_TEST_POSTGRES='Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=100'"
    ;;
  stop)
    [ -f "$STATE" ] || exit 0
    dir=$(cat "$STATE")
    as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir" "$STATE"
    ;;
  *)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
