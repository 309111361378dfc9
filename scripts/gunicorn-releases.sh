#!/usr/bin/env bash
# Fetches the Gunicorn releases Corral is tested against besides Debian
# bookworm's own 20.1, and caches them. They are pure Python and run on
# bookworm's python3 through PYTHONPATH:
#
#   PYTHONPATH=$(scripts/gunicorn-releases.sh --path 26) /usr/bin/python3 -m gunicorn ...
#
# Debian's later suites carry them as python3-gunicorn: trixie has 23.0,
# sid the newest 26.x. 21.x, 22.x, 24.x and 25.x are in no Debian suite, so
# they cannot be run here; their settings tables come from the release tags
# (see scripts/gunicorn-settings-table.py).
#
#   scripts/gunicorn-releases.sh            fetch what is missing (idempotent)
#   scripts/gunicorn-releases.sh --list     print "VERSION PYTHONPATH" per cached release
#   scripts/gunicorn-releases.sh --path M   print the PYTHONPATH of the cached release
#                                           whose version starts with M (23, 26, 26.2)
#
# The cache lives in $CORRAL_CACHE_DIR (default /var/cache/corral when
# writable, else ~/.cache/corral), under gunicorn/VERSION/site.
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

CACHE="$(cache_root)/gunicorn"
# suite -> the release line it must carry (checked after download).
SUITES=("trixie:23." "sid:26.")

list_cached() {
  [[ -d "$CACHE" ]] || return 0
  for dir in "$CACHE"/*/; do
    [[ -f "$dir/site/gunicorn/__init__.py" ]] || continue
    echo "$(basename "$dir") ${dir%/}/site"
  done | sort -V
}

case "${1:-}" in
  --list)
    list_cached
    exit 0
    ;;
  --path)
    prefix="${2:?--path needs a version prefix such as 26}"
    match=$(list_cached | awk -v p="$prefix" 'index($1, p) == 1 {line = $2} END {print line}')
    if [[ -z "$match" ]]; then
      echo "gunicorn-releases: no cached Gunicorn $prefix.x in $CACHE; run scripts/gunicorn-releases.sh" >&2
      exit 1
    fi
    echo "$match"
    exit 0
    ;;
  "") ;;
  *)
    echo "gunicorn-releases: unknown argument '$1' (--list, --path VERSION)" >&2
    exit 2
    ;;
esac

missing=()
for entry in "${SUITES[@]}"; do
  suite="${entry%%:*}"
  line="${entry#*:}"
  list_cached | awk '{print $1}' | grep -q "^${line//./\\.}" || missing+=("$entry")
done
((${#missing[@]} == 0)) && exit 0

# A private apt configuration: the machine's own sources and state stay
# untouched, and no package is installed, only downloaded and unpacked.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$CACHE"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
: >"$work/sources.list"
for entry in "${missing[@]}"; do
  echo "deb [signed-by=$keyring] http://deb.debian.org/debian ${entry%%:*} main" >>"$work/sources.list"
done
# sid's Release file is valid for a week only: a mirror that lags behind
# (or a snapshot) serves an expired one, which apt refuses by default. It is
# still checked against Debian's keyring; only the package is taken from it.
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Debug::NoLocking=1
  -o APT::Sandbox::User=root -o Acquire::Check-Valid-Until=false)
echo "gunicorn-releases: fetching python3-gunicorn from ${missing[*]%%:*} into $CACHE"
apt-get "${apt_opts[@]}" -qq update
for entry in "${missing[@]}"; do
  suite="${entry%%:*}"
  line="${entry#*:}"
  version=$(apt-cache "${apt_opts[@]}" madison python3-gunicorn | awk -v s="$suite" '$0 ~ s {print $3; exit}')
  if [[ -z "$version" || "$version" != "$line"* ]]; then
    echo "gunicorn-releases: $suite carries python3-gunicorn '${version:-none}', not ${line}x" >&2
    exit 1
  fi
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download "python3-gunicorn=$version")
  unpacked="$work/unpacked-$suite"
  dpkg-deb -x "$work"/python3-gunicorn_"${version//:/%3a}"_all.deb "$unpacked"
  site="$unpacked/usr/lib/python3/dist-packages"
  upstream=$(sed -n 's/^Version: //p' "$site"/gunicorn-*.dist-info/METADATA | head -n1)
  rm -rf "${CACHE:?}/$upstream"
  mkdir -p "$CACHE/$upstream"
  cp -a "$site" "$CACHE/$upstream/site"
  echo "gunicorn-releases: Gunicorn $upstream ($suite, python3-gunicorn $version) -> $CACHE/$upstream/site"
done
