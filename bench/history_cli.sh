#!/usr/bin/env bash
# `corral history --since 1h` against a corral-server whose database holds
# 1,000,000 events (built by history_bench --keep): the whole CLI process,
# from exec to exit, as a person or script sees it.
#
#   bash bench/history_cli.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-20}
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$build/bench/history_bench" --keep "$work/corral.db" --runs 3 >"$work/fill.txt"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$build/bin/corral-server" --listen "127.0.0.1:$port" --data-dir "$work/data" --http 127.0.0.1:0 --database "$work/corral.db" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/server.log" && break
  sleep 0.1
done

# time_cli LABEL ARGS...: median and max wall time of `corral ARGS` over RUNS runs.
time_cli() {
  local label=$1
  shift
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$build/bin/corral" "$@" --server "127.0.0.1:$port" >"$work/out.txt"
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))
  done
  local sorted
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  local median max lines
  median=$(echo "$sorted" | sed -n "$(((runs + 1) / 2))p")
  max=$(echo "$sorted" | tail -1)
  lines=$(wc -l <"$work/out.txt")
  awk -v what="corral $* ($label)" -v median="$median" -v max="$max" -v lines="$lines" \
    'BEGIN { printf "%-62s median %6.1f ms  max %6.1f ms  (%d lines)\n", what, median / 1000, max / 1000, lines }'
}

grep -iE "events|fill" "$work/fill.txt" | head -3
echo "corral-server on that database; $runs runs each"
time_cli "all services" history --since 1h
time_cli "one service" history --since 1h --service api-backend
time_cli "json" history --since 1h --json
time_cli "one service, a day" history --since 24h --service api-backend
