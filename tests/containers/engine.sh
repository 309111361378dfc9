#!/usr/bin/env bash
# The container engine tests/containers runs on: Debian's podman as root
# (runc, cgroupfs, ulimits within this machine's limits), serving the Docker
# API that docker-compose speaks on a unix socket, with debian:bookworm and
# debian:bookworm-slim made locally by debootstrap (no registry is reachable
# here; scripts/bookworm-minbase.sh makes and caches the root). Everything
# else lives in $CORRAL_ENGINE_DIR (default /var/lib/corral-engine); the base
# image is made once and reused.
#
#   tests/containers/engine.sh setup   config + base images (idempotent)
#   tests/containers/engine.sh start   start the API service (idempotent)
#   tests/containers/engine.sh stop    stop the API service
#   tests/containers/engine.sh env     print the variables clients need
set -euo pipefail
dir=${CORRAL_ENGINE_DIR:-/var/lib/corral-engine}
conf="$dir/containers.conf"
socket="$dir/podman.sock"
export CONTAINERS_CONF="$conf"

setup() {
  mkdir -p "$dir"
  cat >"$conf" <<'CONF'
# Written by tests/containers/engine.sh. crun and podman's default ulimits
# fail on this kind of machine; runc with cgroupfs and these limits work.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"
CONF
  if ! podman image exists docker.io/library/debian:bookworm; then
    # The same minbase root the pristine-root test starts from, made once.
    local tarball
    tarball=$(bash "$(dirname "$0")/../../scripts/bookworm-minbase.sh")
    podman import "$tarball" docker.io/library/debian:bookworm >/dev/null
  fi
  podman image exists docker.io/library/debian:bookworm-slim ||
    podman tag docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim
}

start() {
  if curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1; then return; fi
  rm -f "$socket"
  nohup podman system service --time=0 "unix://$socket" >"$dir/service.log" 2>&1 &
  echo $! >"$dir/service.pid"
  for _ in $(seq 100); do
    curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "engine: the API service did not start; $dir/service.log:" >&2
  tail -20 "$dir/service.log" >&2
  exit 1
}

stop() {
  if [[ -f "$dir/service.pid" ]]; then
    kill "$(cat "$dir/service.pid")" 2>/dev/null || true
    rm -f "$dir/service.pid"
  fi
  rm -f "$socket"
}

case "${1:-}" in
  setup) setup ;;
  start) start ;;
  stop) stop ;;
  env)
    echo "CONTAINERS_CONF=$conf"
    echo "DOCKER_HOST=unix://$socket"
    ;;
  *)
    echo "usage: engine.sh setup|start|stop|env" >&2
    exit 2
    ;;
esac
