#!/usr/bin/env bash
# `make demo`: a real local fleet on loopback, no Docker needed.
#
#   corral-server                      state in .demo/server
#   api-backend/replica-1, replica-2   gunicorn --workers 3 --timeout 120 --preload wsgi:application
#   api-backend/replica-3              gunicorn --workers 1 --reload app:app   (the stale image)
#   billing/billing-1                  gunicorn with a gunicorn.conf.py, setproctitle on
#
# The containers stand in for examples/incident's compose project, whose
# Dockerfile.dev declares the good command; the demo imports it as
# expectations and diagnoses api-backend.
#
# Each "container" is its own PID, mount and network namespace (unshare), with
# Gunicorn and a corral-agent inside; agents reach the server through a unix
# socket, since each container has its own loopback. `make demo-down` stops
# everything this script started.
#
# CORRAL_BIN_DIR (default build/bin) says which build's binaries run, and
# CORRAL_DEMO_DIR (default .demo) where the state and logs go: the end-to-end
# test runs its own build's binaries in a directory of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo="${CORRAL_DEMO_DIR:-$root/.demo}"
bin="${CORRAL_BIN_DIR:-$root/build/bin}"

down() {
  if [[ -f "$demo/pids" ]]; then
    while read -r pid; do kill -TERM "$pid" 2>/dev/null || true; done <"$demo/pids"
    # Up to 10 s to exit on their own (the server records its stop first).
    for _ in $(seq 100); do
      alive=0
      while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$demo/pids"
      [[ $alive -eq 0 ]] && break
      sleep 0.1
    done
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$demo/pids"
    rm -f "$demo/pids"
    echo "demo stopped"
  fi
}

if [[ "${1:-up}" == "down" ]]; then
  down
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "make demo needs root (it creates PID and network namespaces with unshare)" >&2
  exit 2
fi
down >/dev/null
mkdir -p "$demo/server" "$demo/apps" "$demo/logs" "$demo/workdir"
rm -f "$demo/corral.sock"

port=${CORRAL_DEMO_PORT:-7400}
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
server="127.0.0.1:$port"
server_flag=()
hint=""
if [[ "$port" != 7400 ]]; then
  server_flag=(--server "$server")
  hint=" --server $server"
fi

http_port=7401
if [[ "$port" != 7400 ]] || (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null; then
  http_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
"$bin/corral-server" --listen "$server" --listen "unix:$demo/corral.sock" --data-dir "$demo/server" \
  --http "127.0.0.1:$http_port" \
  --agent-interval 1s >"$demo/logs/server.log" 2>&1 &
echo $! >>"$demo/pids"

# Most images built with pip run Gunicorn without setproctitle: the stub
# below keeps it out, so argv stays visible (billing shows the other case).
mkdir -p "$demo/nospt/setproctitle"
echo 'raise ImportError("setproctitle is not installed in this container")' >"$demo/nospt/setproctitle/__init__.py"

app='def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]
application = app
'

# container SERVICE INSTANCE SETPROCTITLE(yes|no) GUNICORN-ARGS...
container() {
  local service=$1 instance=$2 spt=$3
  shift 3
  local dir="$demo/apps/$instance"
  mkdir -p "$dir"
  printf '%s' "$app" >"$dir/app.py"
  printf '%s' "$app" >"$dir/wsgi.py"
  local pythonpath=""
  [[ "$spt" == no ]] && pythonpath="$demo/nospt"
  # Like a container image's WORKDIR, every container sees its app at the
  # same path: its own directory bind-mounted in its own mount namespace.
  unshare --pid --fork --mount-proc --net --kill-child \
    env PYTHONPATH="$pythonpath" sh -c '
      ip link set lo up
      mount --bind "$1" "$0" && cd "$0"; shift
      agent="$1"; sock="$2"; service="$3"; instance="$4"; shift 4
      /usr/bin/gunicorn "$@" &
      "$agent" --server "unix:$sock" --service "$service" --instance "$instance" --interval 1s &
      wait' "$demo/workdir" "$dir" "$bin/corral-agent" "$demo/corral.sock" "$service" "$instance" "$@" \
    >"$demo/logs/$instance.log" 2>&1 &
  echo $! >>"$demo/pids"
}

good=(--workers 3 --timeout 120 --preload --bind 0.0.0.0:8000 wsgi:application)
container api-backend replica-1 no "${good[@]}"
container api-backend replica-2 no "${good[@]}"
container api-backend replica-3 no --workers 1 --bind 0.0.0.0:8000 --reload app:app
mkdir -p "$demo/apps/billing-1"
cat >"$demo/apps/billing-1/gunicorn.conf.py" <<'PY'
bind = "0.0.0.0:8000"
workers = 2
timeout = 60
wsgi_app = "wsgi:application"
PY
container billing billing-1 yes

echo "waiting for the fleet to report..."
for _ in $(seq 60); do
  online=$("$bin/corral" instances "${server_flag[@]}" --json 2>/dev/null | grep -c '"state": "online"' || true)
  [[ "$online" -ge 4 ]] && break
  sleep 0.5
done
sleep 1.5  # two samples, so restart history exists

echo
echo "\$ corral status"
"$bin/corral" status "${server_flag[@]}"
echo
echo "\$ corral service api-backend"
"$bin/corral" service api-backend "${server_flag[@]}"
# What the repository declares (examples/incident is the compose project these
# containers stand in for), then the diagnosis against it.
echo
echo "\$ corral expect import examples/incident/docker-compose.yml"
"$bin/corral" expect import examples/incident/docker-compose.yml "${server_flag[@]}" 2>&1
echo
echo "\$ corral diagnose api-backend"
"$bin/corral" diagnose api-backend "${server_flag[@]}" || true
cat <<EOF2

The fleet page: http://127.0.0.1:$http_port/  (open it in a browser; it follows changes live)
  the stale replica and its diagnosis: http://127.0.0.1:$http_port/service/api-backend

The fleet keeps running. Try:
  build/bin/corral check$hint             # exit status 1: a critical finding
  build/bin/corral history --since 1h$hint
  build/bin/corral watch$hint             # live events; Ctrl-C to stop
  curl -s http://127.0.0.1:$http_port/metrics  # Prometheus metrics
  build/bin/corral instances$hint
  build/bin/corral status --json$hint
  build/bin/corral inspect                  # no server: every Gunicorn this host can see
Logs are in .demo/logs. Stop everything with: make demo-down
EOF2
