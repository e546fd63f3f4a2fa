#!/bin/sh
# make cluster-demo: a throwaway PostgreSQL server and three solo nodes
# (a, b, c on 127.0.0.1:8081-8083) sharing it and one data directory
# (docs/cluster.md). Ctrl-C stops the nodes and deletes the server.
#   examples/cluster-demo.sh SOLO_BINARY
set -eu
solo=$1
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/solo-cluster-demo.XXXXXX)
SOLO_PG_FSYNC=on sh "$here/tests/support/postgres_server.sh" start "$work/pg" >/dev/null
uri=$(cat "$work/pg/uri")
pids=""
stop() {
  trap - INT TERM EXIT
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $pids; do wait "$pid" 2>/dev/null || true; done
  sh "$here/tests/support/postgres_server.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop INT TERM EXIT
port=8081
for node in a b c; do
  "$solo" serve --data "$work/data" --store "$uri" --listen "127.0.0.1:$port" --node "$node" --lease-ttl-ms 3000 --shards 6 \
    >"$work/$node.log" 2>&1 &
  pids="$pids $!"
  port=$((port + 1))
done
i=0
until [ -s "$work/data/admin.token" ] && "$solo" health --url http://127.0.0.1:8081 >/dev/null 2>&1 ||
  "$solo" health --url http://127.0.0.1:8082 >/dev/null 2>&1 || "$solo" health --url http://127.0.0.1:8083 >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 100 ]; then echo "the cluster did not start; logs in $work" >&2; exit 1; fi
  sleep 0.2
done
cat <<INFO
three nodes on one PostgreSQL store split into 6 shards, two per node (logs: $work/{a,b,c}.log):
  export SOLO_TOKEN=\$(cat $work/data/admin.token)
  $solo cluster status --url http://127.0.0.1:8082     # any node will do
  $solo deploy examples/kv.lua --id kv --tenant acme --url http://127.0.0.1:8083
  $solo call kv '{"op":"put","key":"a","value":1}' --tenant acme --url http://127.0.0.1:8081
  $solo cluster status --url http://127.0.0.1:8081     # which node holds acme's shard
  kill -9 <that node's pid>; after ~4 s another node holds its shards, the data still there
pids:$pids   Ctrl-C stops everything.
INFO
wait
