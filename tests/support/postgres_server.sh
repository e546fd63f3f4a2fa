#!/bin/sh
# A throwaway PostgreSQL server for the tests (ctest fixture `postgres`):
#   postgres_server.sh start STATE   initdb + start; writes STATE/uri
#   postgres_server.sh stop STATE    stop, and delete everything it made
#   postgres_server.sh halt STATE    stop at once (as a crash would), keep the data
#   postgres_server.sh resume STATE  start again on the kept data, same socket
# The cluster lives in a fresh /tmp/solo-pg.XXXXXX (a Unix socket path must be
# short and reachable by the postgres user), listens on its Unix socket only
# (no TCP port to collide with), trusts local connections, and runs with
# fsync off (SOLO_PG_FSYNC=on for solo-bench postgres): the tests kill solo,
# never the database server. PostgreSQL
# refuses to run as root, so as root it runs as the postgres user that
# Debian's package creates (`make deps` installs postgresql).
set -eu
command=$1
state=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "postgres_server.sh: no PostgreSQL server in /usr/lib/postgresql (make deps installs postgresql)" >&2
  exit 1
fi
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$command" in
start)
  if [ -f "$state/dir" ]; then sh "$0" stop "$state" || true; fi
  mkdir -p "$state"
  dir=$(mktemp -d /tmp/solo-pg.XXXXXX)
  echo "$dir" >"$state/dir"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U solo --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  echo "${SOLO_PG_FSYNC:-off}" >"$state/fsync"
  sh "$0" resume "$state"
  echo "postgresql://solo@/postgres?host=$dir" >"$state/uri"
  cat "$state/uri"
  ;;
resume)
  dir=$(cat "$state/dir")
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -c listen_addresses= -c fsync=$(cat "$state/fsync") -c max_connections=200" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  ;;
halt)
  dir=$(cat "$state/dir")
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  ;;
stop)
  [ -f "$state/dir" ] || exit 0
  dir=$(cat "$state/dir")
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir" "$state/dir" "$state/uri" "$state/fsync"
  ;;
*)
  echo "usage: postgres_server.sh start|stop|halt|resume STATE_DIR" >&2
  exit 2
  ;;
esac
