#!/usr/bin/env bash
# corral-agent's footprint in a container-sized PID namespace: one Gunicorn
# master with 3 workers, the agent sampling every 5 s and streaming to a
# local corral-server. Prints the agent's RSS and its CPU use over the run.
#
# Usage: bash bench/agent_footprint.sh [BUILD_DIR] [SECONDS] [statsd]
# With "statsd", Gunicorn sends its statsd to the agent (--statsd-listen).
set -euo pipefail
build=${1:-build}
seconds=${2:-60}
mode=${3:-}
gunicorn_extra=""
agent_extra=""
if [[ "$mode" == statsd ]]; then
  gunicorn_extra="--statsd-host 127.0.0.1:8125"
  agent_extra="--statsd-listen 127.0.0.1:8125"
fi
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  exec 2>/dev/null  # no "Killed" notices for our own background jobs
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/app.py" <<'PY'
def app(environ, start_response):
    start_response("200 OK", [])
    return [b"ok"]
PY
"$root/$build/bin/corral-server" --listen 127.0.0.1:0 --listen "unix:$work/corral.sock" --data-dir "$work/data" --http 127.0.0.1:0 \
  >"$work/server.log" 2>&1 &
pids+=($!)
sleep 0.5
unshare --pid --fork --mount-proc --net --kill-child sh -c '
  ip link set lo up; cd "$1"
  /usr/bin/gunicorn -w 3 -b 127.0.0.1:8000 $3 app:app >/dev/null 2>&1 &
  exec "$2" --server "unix:$1/corral.sock" --service bench --instance footprint --interval 5s $4' \
  container "$work" "$root/$build/bin/corral-agent" "$gunicorn_extra" "$agent_extra" >"$work/agent.log" 2>&1 &
pids+=($!)
agent=""
for _ in $(seq 50); do
  agent=$(pgrep -f "corral-agent --server unix:$work" || true)
  [[ -n "$agent" ]] && break
  sleep 0.1
done
sleep 6  # discovery and a first report
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
start=$(ticks "$agent")
sleep "$seconds"
end=$(ticks "$agent")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent/status")
echo "\$ bash bench/agent_footprint.sh $build $seconds $mode"
echo "corral-agent, 1 master + 3 workers, 5 s interval, streaming to a local server, ${seconds} s${mode:+, $mode}:"
awk -v r="$rss" -v h="$hwm" 'BEGIN { printf "  RSS %.1f MiB (peak %.1f MiB)\n", r / 1024, h / 1024 }'
awk -v t=$((end - start)) -v hz="$hz" -v s="$seconds" \
  'BEGIN { printf "  CPU %.3f s over %d s = %.4f%% of one core\n", t / hz, s, 100 * t / hz / s }'
