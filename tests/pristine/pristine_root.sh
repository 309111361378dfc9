#!/usr/bin/env bash
# The README's commands on a pristine Debian bookworm root: a fresh copy of
# scripts/bookworm-minbase.sh's root (debootstrap --variant=minbase, as
# Debian's container images start: no make, no compiler, empty apt lists)
# with Debian's image sources (bookworm, -updates, -security) gets a clean
# copy of this checkout (no build directories) at the same path, and in a
# chroot runs, as a user would:
#
#   ./dev test       install everything, configure, build everything, run the tests
#   ./dev demo       start the local fleet (in its own network namespace)
#   ./dev demo-down  stop it
#
# asserting on what each prints, that the root had no make, cmake or g++
# before, and that nothing of the demo is left running. Everything runs in
# private mount and PID namespaces: every mount and process goes when the run
# ends, whatever happens; the root is deleted.
#
#   tests/pristine/pristine_root.sh
#
# PRISTINE_CTEST_ARGS (default "-L unit") chooses the tests ctest runs inside
# the root (passed as `./dev test CTEST_ARGS=...`): the container suite and
# this test itself cannot run in a chroot, so by default the unit tests run;
# the build is always complete. Speed-ups that leave the root's installed
# packages pristine: dpkg's force-unsafe-io (as in Debian's images), the
# .deb files it downloads are kept in $CORRAL_CACHE_DIR/pristine-debs (and
# the host's own apt archives are offered too), and the host's ccache
# directory is shared with the root --
# the checkout's path is the same inside, so a build in the checkout's
# build/ and the root's build hit each other's entries. PRISTINE_KEEP=1
# keeps the root and its logs (until the next run) to look into a failure.
set -euo pipefail
self=$(readlink -f "$0")
src=$(cd "$(dirname "$self")/../.." && pwd)

log() { echo "pristine: $*"; }
stamp() { while IFS= read -r line || [[ -n "$line" ]]; do printf '%(%T)T %s\n' -1 "$line"; done; }
fail() {
  echo "pristine: FAIL: $*" >&2
  exit 1
}

# --- Inside the private mount and PID namespaces ---------------------------
inside() {
  # Globals: the EXIT trap below runs after this function has returned.
  work=$1 root=$1/root
  local ctest_args=${PRISTINE_CTEST_ARGS:--L unit}
  unmount_all() {
    # Deepest first; the namespace's end would drop them anyway.
    grep -F " $root" /proc/self/mountinfo | awk '{print $5}' | sort -r |
      while read -r m; do umount -l "$m" 2>/dev/null || true; done
  }
  trap unmount_all EXIT

  # A machine's or a container's / is a mount point; a plain directory is
  # not, and `unshare --mount` (make demo's containers) then fails with
  # "cannot change root filesystem propagation".
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount --rbind /dev "$root/dev"
  mount --make-rslave "$root/dev"
  mount -t tmpfs tmpfs "$root/run"
  local ccache_dir ccache_env=()
  ccache_dir=$(ccache --get-config cache_dir 2>/dev/null || true)
  if [[ -n "$ccache_dir" ]]; then
    mkdir -p "$ccache_dir" "$root$ccache_dir"
    mount --bind "$ccache_dir" "$root$ccache_dir"
    # The root's compilations alone, to tell how much the shared cache saved.
    ccache_env=(CCACHE_DIR="$ccache_dir" CCACHE_STATSLOG=/var/log/ccache-stats.log)
  fi

  # As the user would: a login shell's environment, nothing from this one
  # but the locale (which ccache hashes).
  in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG="${LANG:-C.UTF-8}" \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${ccache_env[@]}" \
      bash -c 'cd "$0" && "$@"' "$src" "$@"
  }

  log "before: $(in_root bash -c 'for t in make cmake g++ gcc ccache gunicorn; do command -v $t || echo "no $t"; done' | tr '\n' ' ')"
  local found
  found=$(in_root bash -c 'for t in make cmake g++ c++ gcc; do command -v $t; done' || true)
  [[ -z "$found" ]] || fail "the root is not pristine: $found"
  in_root bash -c '[[ -z "$(ls /var/lib/apt/lists | grep -v -e ^lock$ -e ^partial$ || true)" ]]' ||
    fail "the root's apt lists are not empty"

  local started elapsed out=$work/test.log
  started=$(date +%s)
  log "./dev test CTEST_ARGS='$ctest_args' (log: $out)"
  # Each line stamped with the time, to tell where the minutes go.
  if ! in_root ./dev test CTEST_ARGS="$ctest_args" 2>&1 | stamp >"$out"; then
    tail -60 "$out"
    fail "./dev test failed in the pristine root"
  fi
  elapsed=$(($(date +%s) - started))
  grep -E 'install-deps: installing .*build-essential' "$out" >/dev/null ||
    fail "./dev test did not install the build packages"
  local summary
  summary=$(grep -oE '100% tests passed, 0 tests failed out of [0-9]+$' "$out" || true)
  [[ -n "$summary" ]] || { tail -40 "$out"; fail "./dev test printed no passing ctest summary"; }
  (($(awk '{print $NF}' <<<"$summary") >= 20)) || fail "too few tests ran: $summary"
  [[ -x "$root$src/build/bin/corral-server" && -x "$root$src/build/bin/corral-agent" && -x "$root$src/build/bin/corral" ]] ||
    fail "the build in the root lacks corral-server, corral-agent or corral"
  log "./dev test: $summary ($elapsed s)"
  if [[ -s "$root/var/log/ccache-stats.log" ]]; then
    log "ccache in the root: $(CCACHE_STATSLOG="$root/var/log/ccache-stats.log" ccache --show-log-stats |
      awk '$1 == "Hits:" {print $2 " hits of " $4 " compilations " $5}')"
  fi

  # The demo listens on fixed ports when free: in its own network namespace
  # it neither meets this machine's services nor leaves anything behind.
  out=$work/demo.log
  started=$(date +%s)
  log "./dev demo; ./dev demo-down (log: $out)"
  export -f in_root
  export root src
  if ! unshare --net bash -c 'ip link set lo up && in_root ./dev demo && in_root ./dev demo-down' >"$out" 2>&1; then
    cat "$out"
    fail "./dev demo or ./dev demo-down failed in the pristine root"
  fi
  elapsed=$(($(date +%s) - started))
  local expect
  for expect in '^\$ corral status$' \
    '^api-backend +3/3 +3,3,1 +1,3 +critical +REPLICAS_DISAGREE' \
    '^billing +1/1 +2 +2 +ok' \
    'api-backend: confirmed: stale Docker image \(replica-3\)' \
    '^demo stopped$'; do
    grep -Eq "$expect" "$out" || { cat "$out"; fail "the demo's output lacks /$expect/"; }
  done
  log "./dev demo: the fleet's status printed, then stopped ($elapsed s)"
  # This namespace's /proc: nothing the demo started may survive demo-down.
  # Its containers die by SIGKILL as their PID namespaces end, which the
  # kernel completes just after demo-down returns: a moment's grace.
  local left deadline=$((SECONDS + 10))
  while :; do
    left=$(grep -hE '^(gunicorn|corral-server|corral-agent)' "$root"/proc/[0-9]*/comm 2>/dev/null || true)
    [[ -n "$left" && $SECONDS -lt $deadline ]] || break
    sleep 0.2
  done
  [[ -z "$left" ]] || fail "still running 10 s after ./dev demo-down: $(tr '\n' ' ' <<<"$left")"
  log "PASS"
}

if [[ "${1:-}" == --inside ]]; then
  inside "$2"
  exit
fi

# --- On the host ------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || fail "needs root (debootstrap, chroot, mounts)"
for tool in unshare chroot ip; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh test installs it)"
done
status=0
tarball=$(bash "$src/scripts/bookworm-minbase.sh") || status=$?
if ((status == 3)); then
  # ctest's SKIP_RETURN_CODE: no network to Debian's mirror is no verdict.
  echo "pristine: SKIP: debootstrap cannot reach Debian's mirror, so no pristine root can be made" >&2
  exit 77
fi
((status == 0)) || fail "scripts/bookworm-minbase.sh could not make the pristine root"
cache=$(dirname "$tarball")
debs=$cache/pristine-debs
mkdir -p "$debs"

# Roots of earlier runs killed before their clean-up: a run holds its lock.
for old in /var/tmp/corral-pristine.*; do
  [[ -d "$old" ]] || continue
  if flock -n "$old/lock" true 2>/dev/null; then rm -rf --one-file-system "$old"; fi
done
work=$(mktemp -d /var/tmp/corral-pristine.XXXXXX)
exec 8>"$work/lock"
flock 8
if [[ "${PRISTINE_KEEP:-}" == 1 ]]; then
  trap 'log "kept $work (root, test.log, demo.log) until the next run"' EXIT
else
  trap 'rm -rf --one-file-system "$work"' EXIT
fi
root=$work/root
mkdir "$root"

started=$(date +%s)
tar -C "$root" -xf "$tarball"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Debian's container images carry these sources (debian.sources), as this
# machine does.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
# They also tell dpkg not to sync each file it writes: faster installs, the
# same packages installed.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"

# The checkout as git sees it -- tracked files and files not ignored, as they
# are in the working tree, so the same sources the host's build/ compiles --
# without build directories or anything else .gitignore names. Same path.
mkdir -p "$root$src"
if command -v git >/dev/null && git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$src" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"
  done | tar --null -T - -cf -) | tar -C "$root$src" -xf -
else
  tar -C "$src" --exclude='./build*' --exclude=./.demo --exclude=./.git -cf - . | tar -C "$root$src" -xf -
fi
[[ -x "$root$src/dev" && ! -e "$root$src/build" ]] || fail "the copy of the checkout is not clean"

# Downloaded .debs from earlier runs and from this machine's apt: apt checks
# each against the lists before use, and installs nothing it was not asked to.
archives=$root/var/cache/apt/archives
for d in "$debs" /var/cache/apt/archives; do
  find "$d" -maxdepth 1 -name '*.deb' -print0 | xargs -0r ln -f -t "$archives" 2>/dev/null ||
    find "$d" -maxdepth 1 -name '*.deb' -print0 | xargs -0r cp -n -t "$archives"
done
log "root ready in $(($(date +%s) - started)) s: $root (from $tarball)"

status=0
# In the background so that a signal reaches the trap below at once; env
# undoes the SIGINT and SIGQUIT a background command ignores.
env --default-signal=INT,QUIT unshare --mount --propagation private --pid --fork --kill-child \
  bash "$self" --inside "$work" &
inside_pid=$!
# Stopped by a signal (ctest's --stop-time, Ctrl-C): end every process in the
# root before it is deleted. unshare ignores SIGTERM while it waits; killed,
# it takes its PID namespace down with it (--kill-child).
stop_inside() {
  kill -KILL "$inside_pid" 2>/dev/null || true
  wait "$inside_pid" 2>/dev/null || true
  local _
  for _ in $(seq 50); do
    in_root_pids=$(for p in /proc/[0-9]*; do
      [[ "$(readlink "$p/root" 2>/dev/null)" == "$root" ]] && echo "${p#/proc/}"
    done || true)
    [[ -z "$in_root_pids" ]] && break
    sleep 0.1
  done
  echo "pristine: stopped by a signal" >&2
  exit 143
}
trap stop_inside TERM INT HUP
wait "$inside_pid" || status=$?
trap - TERM INT HUP
# Keep what the root downloaded (files not linked from elsewhere) for the next run.
find "$archives" -maxdepth 1 -name '*.deb' -links 1 -print0 | xargs -0r ln -t "$debs" 2>/dev/null || true
log "total $(($(date +%s) - started)) s"
exit "$status"
