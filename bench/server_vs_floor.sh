#!/usr/bin/env bash
# corral-server against the floor -- a minimal gRPC server that reads and
# drops the same bytes -- under the same load generator, in one invocation:
# 1,000, 10,000 and 50,000 agent streams over 16 HTTP/2 connections, every
# stream writing steady-state messages back to back (saturated).
#
#   bash bench/server_vs_floor.sh [BUILD_DIR] [SECONDS] [STREAMS] [ROUNDS]
#
# BUILD_DIR defaults to build (needs bin/corral-server and bench/fleet_load),
# SECONDS (5) is each measured phase, STREAMS (1000,10000,50000) the stream
# counts, ROUNDS (3) the measurements of each server per count. Prints
# fleet_load's own lines, then a table, and as its last line
# `corral/floor at 10000 streams: R`.
#
# A round measures the two servers back to back, on the same machine a few
# seconds apart; R is the median over the rounds of corral's reports/s
# divided by the floor's messages/s. One pair alone moves by a fifth from
# run to run on a shared virtual machine (either server's rate does, by as
# much), and the order of a pair alternates from round to round.
#
# Pinning: on two or more CPUs both servers run on CPU 1 (taskset, started
# by fleet_load) and the load generator on CPU 0, so the generator never
# takes the server's core and each server is measured on one whole core.
# On one CPU nothing is pinned. Each server is a fresh process per
# measurement, and each measured phase starts once the server is idle after
# its streams connected (their first messages read).
set -euo pipefail

build=${1:-build}
seconds=${2:-5}
streams=${3:-1000,10000,50000}
rounds=${4:-3}
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
args=(--mode saturated --instances "$streams" --seconds "$seconds" --rounds "$rounds" --connections 16 "${pin[@]}")
echo "# $load ${args[*]}"
out=$("$load" "${args[@]}")
grep -v '^RESULT ' <<<"$out"
echo
awk '
  function median(a, k,    i, j, t, b) {
    for (i = 1; i <= k; i++) b[i] = a[i]
    for (i = 2; i <= k; i++) for (j = i; j > 1 && b[j - 1] > b[j]; j--) { t = b[j]; b[j] = b[j - 1]; b[j - 1] = t }
    return k % 2 ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2
  }
  $1 == "RESULT" && $2 == "floor" {
    s = $3
    if (!(s in rounds)) order[++n] = s
    k = ++rounds[s]
    floor[s, k] = $4; floor_cpu[s, k] = $5
  }
  $1 == "RESULT" && $2 == "corral" { s = $3; k = rounds[s]; corral[s, k] = $4; corral_cpu[s, k] = $5 }
  END {
    printf "| streams | floor msgs/s | floor CPU/msg | corral reports/s | corral CPU/report | corral/floor |\n"
    printf "|---|---|---|---|---|---|\n"
    for (i = 1; i <= n; i++) {
      s = order[i]
      for (k = 1; k <= rounds[s]; k++) {
        f[k] = floor[s, k]; fc[k] = floor_cpu[s, k]; c[k] = corral[s, k]; cc[k] = corral_cpu[s, k]
        r[k] = f[k] > 0 ? c[k] / f[k] : 0
        ratios = (k == 1 ? "" : ratios " ") sprintf("%.2f", r[k])
      }
      k = rounds[s]
      R[s] = median(r, k)
      printf "| %s | %.0f | %.1f us | %.0f | %.1f us | %.2f (rounds: %s) |\n", s, median(f, k), median(fc, k),
             median(c, k), median(cc, k), R[s], ratios
    }
    print "(medians over the rounds)"
    if (10000 in R) printf "corral/floor at 10000 streams: %.2f\n", R[10000]
    else print "corral/floor at 10000 streams: n/a (10000 not among the stream counts)"
  }' <<<"$out"
