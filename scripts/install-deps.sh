#!/usr/bin/env bash
# Installs the Debian packages Corral needs, by group. Idempotent: when
# everything is present it only runs dpkg-query and exits.
#
#   scripts/install-deps.sh [GROUP...]     install (default: build test containers browser)
#   scripts/install-deps.sh --list GROUP   print a group's packages
#
# Groups:
#   build           compilers and the -dev packages Corral builds against
#   test            what tests, benchmarks and `make demo` run: Gunicorn
#                   (Debian's 20.1, and the worker classes Debian packages:
#                   gevent, uvicorn), Prometheus, docker-compose (no
#                   engine), debootstrap for the pristine-root test,
#                   PostgreSQL 15 for the shared store's tests, ...;
#                   then scripts/gunicorn-releases.sh fetches
#                   the newer Gunicorn releases the tests also run (23.0,
#                   26.x) from Debian's later suites, once.
#   containers      a container engine for tests/containers: Debian's podman
#                   (runc, cgroupfs, netavark; catatonit for the pause
#                   container of `podman kube play`), debootstrap for the local
#                   debian:bookworm base image, docker-compose
#   browser         Debian's Chromium and its chromedriver, for the tests that
#                   drive corral-server's pages in headless Chromium over
#                   WebDriver (tests/support/webdriver.h)
#   fuzz            clang and its libFuzzer/sanitizer runtimes for `make fuzz`
#                   (not installed by default)
set -euo pipefail

group_packages() {
  case "$1" in
    build)
      echo build-essential cmake pkg-config ccache \
        libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
        libabsl-dev libspdlog-dev libfmt-dev libsqlite3-dev libpq-dev libyaml-cpp-dev libcpp-httplib-dev libssl-dev zlib1g-dev
      ;;
    test)
      echo libgtest-dev libgmock-dev libbenchmark-dev \
        gunicorn python3-setproctitle python3-psutil python3-grpcio python3-gevent python3-uvicorn \
        python3-packaging debian-archive-keyring \
        prometheus docker-compose curl wrk openssl iproute2 util-linux procps debootstrap postgresql
      ;;
    containers)
      echo podman runc conmon catatonit netavark aardvark-dns containernetworking-plugins iptables debootstrap \
        debian-archive-keyring docker-compose curl
      ;;
    browser)
      echo chromium chromium-driver
      ;;
    fuzz)
      echo clang libclang-rt-14-dev
      ;;
    *)
      echo "install-deps: unknown group '$1' (build, test, containers, browser, fuzz)" >&2
      return 2
      ;;
  esac
}

if [[ "${1:-}" == "--list" ]]; then
  group_packages "${2:?--list needs a group}"
  exit 0
fi

groups=("$@")
((${#groups[@]} > 0)) || groups=(build test containers browser)
packages=()
for g in "${groups[@]}"; do
  read -r -a listed <<<"$(group_packages "$g")"
  packages+=("${listed[@]}")
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

fetch_releases() {
  for g in "${groups[@]}"; do
    if [[ "$g" == test ]]; then
      bash "$(dirname "$0")/gunicorn-releases.sh"
      return
    fi
  done
}

if ((${#missing[@]} == 0)); then
  fetch_releases
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fetch_releases
