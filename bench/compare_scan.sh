#!/usr/bin/env bash
# Whole-process scan comparison on this machine, in one run:
#   floor (C++ readdir + every stat), corral full discovery, corral
#   steady-state sample, and psutil as Datadog's Gunicorn check does it --
# first with the machine as it is, then with ~1,000 extra idle processes, so
# the steady-state sample's independence from unrelated processes shows.
#
# Usage: bash bench/compare_scan.sh [BUILD_DIR] [EXTRA_PROCESSES]
set -euo pipefail
build=${1:-build}
extra=${2:-1000}
cd "$(dirname "$0")/.."
scan="$build/bench/scan_bench"
[[ -x "$scan" ]] || { echo "build first: make build" >&2; exit 2; }

workdir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f "$workdir/g.pid" ]] && kill "$(cat "$workdir/g.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

cat > "$workdir/app.py" <<'PY'
def app(environ, start_response):
    start_response('200 OK', [])
    return [b'ok']
PY
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$workdir" && /usr/bin/gunicorn -w 3 -n benchapp -b "127.0.0.1:$port" -p "$workdir/g.pid" app:app \
   >"$workdir/g.log" 2>&1 &)
for _ in $(seq 50); do [[ -f "$workdir/g.pid" ]] && break; sleep 0.1; done
sleep 1

echo "== $(nproc) cores, $(uname -r); Gunicorn master with 3 workers (setproctitle title 'benchapp')"
echo "-- as the machine is"
"$scan" 200
/usr/bin/python3 bench/psutil_gunicorn_check.py benchapp 50

for _ in $(seq "$extra"); do
  sleep 600 &
  pids+=($!)
done
sleep 0.5
echo "-- with $extra extra idle processes"
"$scan" 100
/usr/bin/python3 bench/psutil_gunicorn_check.py benchapp 20
