#!/usr/bin/env bash
# Makes, once, a pristine Debian bookworm root as Debian's container images
# start from -- `debootstrap --variant=minbase` (Essential packages and apt),
# without documentation or apt lists -- and prints the path of its tarball.
# The container engine's debian:bookworm image (tests/containers/engine.sh)
# and the pristine-root test (tests/pristine/pristine_root.sh) both start
# from it.
#
#   scripts/bookworm-minbase.sh      print the tarball's path, making it first when missing
#
# The tarball lives in $CORRAL_CACHE_DIR (default /var/cache/corral when
# writable, else ~/.cache/corral) as bookworm-minbase.tar. Needs root and
# debootstrap. Exits 3 when debootstrap cannot reach Debian's mirror (no
# network), 1 on any other failure.
set -euo pipefail

cache_root() {
  if [[ -n "${CORRAL_CACHE_DIR:-}" ]]; then
    echo "$CORRAL_CACHE_DIR"
  elif mkdir -p /var/cache/corral 2>/dev/null && [[ -w /var/cache/corral ]]; then
    echo /var/cache/corral
  else
    echo "${XDG_CACHE_HOME:-$HOME/.cache}/corral"
  fi
}

mirror=http://deb.debian.org/debian
cache=$(cache_root)
tarball="$cache/bookworm-minbase.tar"
mkdir -p "$cache"
# Two callers at once (ctest runs tests in parallel) make it only once.
exec 9>"$cache/bookworm-minbase.lock"
flock 9
if [[ ! -f "$tarball" ]]; then
  if ! command -v debootstrap >/dev/null; then
    echo "bookworm-minbase: debootstrap is missing (scripts/install-deps.sh test installs it)" >&2
    exit 1
  fi
  work=$(mktemp -d "$cache/bookworm-minbase.XXXXXX")
  trap 'rm -rf --one-file-system "$work"' EXIT
  echo "bookworm-minbase: debootstrap --variant=minbase bookworm (once) into $tarball" >&2
  if ! debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -20 "$work/debootstrap.log" >&2
    # Its first download is the suite's Release file: failing that, it never
    # reached the mirror.
    if grep -q 'Failed getting release' "$work/debootstrap.log"; then
      echo "bookworm-minbase: debootstrap cannot reach $mirror" >&2
      exit 3
    fi
    exit 1
  fi
  # What a slim image leaves out: documentation and the apt lists.
  rm -rf "$work"/root/usr/share/doc/* "$work"/root/usr/share/man/* "$work"/root/usr/share/info/* \
    "$work"/root/var/lib/apt/lists/* "$work"/root/var/cache/apt/*.bin
  tar -C "$work/root" -cf "$work/bookworm-minbase.tar" .
  mv "$work/bookworm-minbase.tar" "$tarball"
fi
echo "$tarball"
