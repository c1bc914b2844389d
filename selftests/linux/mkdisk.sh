#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkdisk.sh IMAGE DEVINIT SIZE_MB: an ext2 file system image whose /devinit is
# DEVINIT, with the directories the kernel and devinit mount on (/dev for
# CONFIG_DEVTMPFS_MOUNT, /proc, /sys) and /data for the test files.  Built
# without root: mke2fs -d copies a directory, its files owned by root.
set -eu
img=${1:?usage: mkdisk.sh IMAGE DEVINIT SIZE_MB}
init=${2:?usage: mkdisk.sh IMAGE DEVINIT SIZE_MB}
mb=${3:?usage: mkdisk.sh IMAGE DEVINIT SIZE_MB}
MKE2FS=$(command -v mke2fs || echo /sbin/mke2fs)
[ -x "$MKE2FS" ] || { echo "mkdisk.sh: mke2fs missing (apt-get install e2fsprogs)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pvmx-mkdisk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/dev" "$tmp/root/proc" "$tmp/root/sys" "$tmp/root/data"
cp "$init" "$tmp/root/devinit"
chmod 0755 "$tmp/root/devinit"
rm -f "$img.tmp"
# root_owner: files owned by root whoever builds it; no journal (ext2).
"$MKE2FS" -q -F -t ext2 -b 4096 -L pvmx-devtest -E root_owner=0:0 -d "$tmp/root" \
	"$img.tmp" "${mb}M"
mv "$img.tmp" "$img"
