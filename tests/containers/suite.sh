#!/usr/bin/env bash
# Set-up and clean-up of the containers suite (ctest fixtures around
# tests/containers/containers_test.cc):
#
#   suite.sh setup    engine (engine.sh setup + start), then the images as a
#                     user builds them: docker-compose build of
#                     docker/compose.yaml (Prometheus from Debian's package),
#                     tagged corral-agent:test, corral-server:test,
#                     corral-prometheus:test, corral-example-app:test
#   suite.sh cleanup  every container and network of the suite's compose
#                     projects (corraltest*), every pod and container named
#                     corraltest-*, then the engine service
set -euo pipefail
cd "$(dirname "$0")/../.."
engine=tests/containers/engine.sh
bash scripts/install-deps.sh containers >/dev/null
eval "$(bash "$engine" env | sed 's/^/export /')"
project=corraltest-images

case "${1:-}" in
  setup)
    bash "$engine" setup
    bash "$engine" start
    started=$(date +%s)
    docker-compose -p "$project" -f docker/compose.yaml -f docker/compose.debian-prometheus.yaml build
    echo "suite: images built in $(($(date +%s) - started)) s"
    podman tag "${project}_api-backend-corral" localhost/corral-agent:test
    podman tag "${project}_corral-server" localhost/corral-server:test
    podman tag "${project}_api-backend" localhost/corral-example-app:test
    podman tag localhost/corral-prometheus-debian:latest localhost/corral-prometheus:test
    podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'corral-(agent|server):test'
    ;;
  cleanup)
    # Only what the suite's compose projects made.
    podman ps -a --format '{{.ID}} {{index .Labels "com.docker.compose.project"}}' |
      awk '$2 ~ /^corraltest/ {print $1}' | xargs -r podman rm -f -t 2 >/dev/null || true
    # And what kubernetes_test.cc played (pods) or ran beside them.
    podman pod ls --format '{{.Name}}' | grep '^corraltest-' | xargs -r podman pod rm -f >/dev/null || true
    podman ps -a --format '{{.Names}}' | grep '^corraltest-' | xargs -r podman rm -f -t 2 >/dev/null || true
    podman network ls --format '{{.Name}}' | grep '^corraltest' | xargs -r podman network rm -f >/dev/null || true
    podman volume ls --format '{{.Name}}' | grep '^corraltest' | xargs -r podman volume rm -f >/dev/null || true
    bash "$engine" stop
    ;;
  *)
    echo "usage: suite.sh setup|cleanup" >&2
    exit 2
    ;;
esac
