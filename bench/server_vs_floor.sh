#!/usr/bin/env bash
# corral-server against the floor -- a minimal gRPC server that reads and
# drops the same bytes -- under the same load generator, in one invocation:
# 1,000, 10,000 and 50,000 agent streams over 16 HTTP/2 connections, every
# stream writing steady-state messages back to back (saturated).
#
#   bash bench/server_vs_floor.sh [BUILD_DIR] [SECONDS] [STREAMS]
#
# BUILD_DIR defaults to build (needs bin/corral-server and bench/fleet_load),
# SECONDS (5) is each measured phase, STREAMS (1000,10000,50000) the stream
# counts. Prints fleet_load's own lines, then a table, and as its last line
# `corral/floor at 10000 streams: R` (corral's reports/s over the floor's
# messages/s).
#
# Pinning: on two or more CPUs both servers run on CPU 1 (taskset, started
# by fleet_load) and the load generator on CPU 0, so the generator never
# takes the server's core and each server is measured on one whole core.
# On one CPU nothing is pinned. Each server is a fresh process per count.
set -euo pipefail

build=${1:-build}
seconds=${2:-5}
streams=${3:-1000,10000,50000}
load="$build/bench/fleet_load"
[[ -x $load && -x $build/bin/corral-server ]] || {
  echo "server_vs_floor.sh: build $load and $build/bin/corral-server first" >&2
  exit 2
}

# 16 connections need few descriptors, but raise the limit for the
# generator's and the servers' other files all the same.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

pin=()
if (($(nproc) >= 2)); then pin=(--server-cpus 1 --load-cpus 0); fi

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $load --mode saturated --instances $streams --seconds $seconds --connections 16 ${pin[*]}"
out=$("$load" --mode saturated --instances "$streams" --seconds "$seconds" --connections 16 "${pin[@]}")
grep -v '^RESULT ' <<<"$out"
echo
awk '
  $1 == "RESULT" && $2 == "floor" { floor[$3] = $4; floor_cpu[$3] = $5; order[++n] = $3 }
  $1 == "RESULT" && $2 == "corral" { corral[$3] = $4; corral_cpu[$3] = $5 }
  END {
    printf "| streams | floor msgs/s | floor CPU/msg | corral reports/s | corral CPU/report | corral/floor |\n"
    printf "|---|---|---|---|---|---|\n"
    for (i = 1; i <= n; i++) {
      s = order[i]
      ratio = floor[s] > 0 ? corral[s] / floor[s] : 0
      printf "| %s | %.0f | %.1f us | %.0f | %.1f us | %.2f |\n", s, floor[s], floor_cpu[s], corral[s], corral_cpu[s], ratio
    }
    if (floor[10000] > 0) printf "corral/floor at 10000 streams: %.2f\n", corral[10000] / floor[10000]
    else print "corral/floor at 10000 streams: n/a (10000 not among the stream counts)"
  }' <<<"$out"
