#!/usr/bin/env bash
# Builds the root filesystem of one of Corral's runtime images: the given
# binaries in /usr/local/bin and exactly the shared libraries they load
# (ldd), copied from the Debian packages installed in the build stage, plus
# the few files a process expects (/etc/passwd with the service user, /tmp).
# The image is then `FROM scratch` + this tree: no shell, no package
# manager, nothing to patch but what runs.
#
#   scripts/image-root.sh ROOTFS BINARY...
set -euo pipefail
root=${1:?usage: image-root.sh ROOTFS BINARY...}
shift
mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/etc"
chmod 1777 "$root/tmp"
copy() {
  local source=$1
  local target="$root$source"
  [[ -e "$target" ]] && return
  mkdir -p "$(dirname "$target")"
  cp -L "$source" "$target"
}
for binary in "$@"; do
  cp -L "$binary" "$root/usr/local/bin/"
  # "libx.so => /lib/.../libx.so (0x...)" and the loader's own line.
  while read -r lib; do
    copy "$lib"
  done < <(ldd "$binary" | awk '/=> \// {print $3} /^\t\// {print $1}')
done
# The loader is looked up under /lib64 on x86_64.
if [[ -e /lib64/ld-linux-x86-64.so.2 ]]; then
  mkdir -p "$root/lib64"
  cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
fi
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/nonexistent
corral:x:7400:7400:corral:/var/lib/corral:/nonexistent
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
corral:x:7400:
GROUP
echo "image-root: $(du -sh "$root" | cut -f1) in $root"
