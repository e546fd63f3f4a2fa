#!/bin/sh
# with_postgres.sh STATE COMMAND...: runs COMMAND with SOLO_TEST_POSTGRES set
# to the URI of the server postgres_server.sh started with STATE (ctest's
# fixture `postgres`). Fails, saying so, when that server is not running.
set -eu
state=$1
shift
if [ ! -s "$state/uri" ]; then
  echo "with_postgres.sh: no test PostgreSQL server ($state/uri is missing: did postgres_start fail?)" >&2
  exit 1
fi
SOLO_TEST_POSTGRES=$(cat "$state/uri")
export SOLO_TEST_POSTGRES
exec "$@"
