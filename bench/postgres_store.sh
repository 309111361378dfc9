#!/usr/bin/env bash
# The history store on SQLite and on PostgreSQL 15, same events, same
# machine: starts a throwaway PostgreSQL (as the postgres user when run as
# root; fsync and synchronous_commit at their defaults, so a commit is as
# durable as SQLite's) on a free port in a temporary directory, runs
# build/bench/history_bench on both engines, and stops it.
#
#   bash bench/postgres_store.sh [BUILD_DIR] [history_bench flags...]
#   (default: build --events 100000 --runs 10)
set -euo pipefail

build=${1:-build}
shift || true
flags=("$@")
((${#flags[@]} > 0)) || flags=(--events 100000 --runs 10)
bin=/usr/lib/postgresql/15/bin
dir=$(mktemp -d /tmp/corral-pg-bench.XXXXXX)
as_owner=()
if [[ $(id -u) == 0 ]]; then
  chown postgres:postgres "$dir"
  as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pid=
cleanup() {
  [[ -n "$pid" ]] && kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
"${as_owner[@]}" "$bin/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses=127.0.0.1 \
  >"$dir/postgres.log" 2>&1 &
pid=$!
for _ in $(seq 100); do "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break; sleep 0.1; done
"$bin/psql" -X -q -d "postgresql://postgres@127.0.0.1:$port/postgres" -c "CREATE DATABASE bench"

echo "== SQLite"
"$build/bench/history_bench" "${flags[@]}"
echo
echo "== PostgreSQL 15 (TCP over loopback, same machine)"
"$build/bench/history_bench" "${flags[@]}" --database "postgresql://postgres@127.0.0.1:$port/bench"
