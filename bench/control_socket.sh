#!/usr/bin/env bash
# Per-master costs of what discovery adds on top of the process scan, on
# real masters started here: Debian's Gunicorn 20.1 and a cached 26.x
# (scripts/gunicorn-releases.sh), each with 3 workers and setproctitle on.
# Prints, per master, the median and p90 of finding its release, finding
# its control socket, and one control-socket exchange (26.x only).
#
# Usage: bash bench/control_socket.sh [BUILD_DIR] [ITERATIONS]
set -euo pipefail
build=${1:-build}
iterations=${2:-200}
cd "$(dirname "$0")/.."
bench="$build/bench/master_probe_bench"
[[ -x "$bench" ]] || { echo "build first: make build" >&2; exit 2; }
site26=$(bash scripts/gunicorn-releases.sh --path 26)

workdir=$(mktemp -d)
cleanup() {
  for f in "$workdir"/*.pid; do [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 0.5
  rm -rf "$workdir"
}
trap cleanup EXIT
cat > "$workdir/app.py" <<'PY'
def app(environ, start_response):
    start_response('200 OK', [])
    return [b'ok']
PY
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
(cd "$workdir" && HOME="$workdir" XDG_RUNTIME_DIR= /usr/bin/gunicorn -w 3 -b "127.0.0.1:$(free_port)" \
   -p "$workdir/g20.pid" app:app >"$workdir/g20.log" 2>&1 &)
(cd "$workdir" && HOME="$workdir" XDG_RUNTIME_DIR= PYTHONPATH="$site26" /usr/bin/python3 -m gunicorn -w 3 \
   -b "127.0.0.1:$(free_port)" -p "$workdir/g26.pid" app:app >"$workdir/g26.log" 2>&1 &)
for _ in $(seq 100); do [[ -f "$workdir/g20.pid" && -f "$workdir/g26.pid" ]] && break; sleep 0.1; done
sleep 1.5
echo "== $(nproc) cores, $(uname -r); $iterations iterations per step"
"$bench" "$iterations" "$(cat "$workdir/g20.pid")" "$(cat "$workdir/g26.pid")"
