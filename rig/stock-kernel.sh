#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/stock-kernel.sh - fetch (or reuse) Debian's stock 6.12 kernel for the
# rig: the host kernel most users of pvmx on Debian 12 run, with KVM.
#
# Usage: rig/stock-kernel.sh [--print]
#
# The kernel is the linux-image package of exactly the header tree that
# linux-headers-6.12-amd64 (rig/deps.sh) installed, so pvmx.ko built against
# /usr/src/linux-headers-<abi> matches its vermagic and symbol versions.  The
# package is fetched with `apt-get download` (never installed: the host's
# /boot and boot loader are left alone) and only what the rig boots is kept:
#   ${PVMX_CACHE:-$HOME/.cache/pvmx}/debian-<abi>-<version>/
#     vmlinuz      the kernel to boot
#     kdir         the header tree (KDIR for out-of-tree modules)
#     release      the kernel release (uname -r)
#     modules/     irqbypass.ko kvm.ko kvm-intel.ko, decompressed
#     times        how long fetching and unpacking took
#     .done        present when complete
# --print prints the directory without fetching.
set -euo pipefail

PRINT=0
for arg in "$@"; do
	case "$arg" in
	--print) PRINT=1 ;;
	*) echo "stock-kernel: unknown option $arg" >&2; exit 2 ;;
	esac
done

CACHE=${PVMX_CACHE:-${HOME:-/root}/.cache/pvmx}
# The meta package of the header tree, and where header trees live (both
# overridable for rig/tests/stock_kernel_test.sh).
META=${PVMX_STOCK_HEADERS:-linux-headers-6.12-amd64}
USR_SRC=${PVMX_USR_SRC:-/usr/src}

log() { echo "stock-kernel: $*" >&2; }
die() { echo "stock-kernel: error: $*" >&2; exit 1; }

# The meta package names the header tree it pulled in:
# "linux-headers-6.12.118+deb12-amd64 (= 6.12.118-1~deb12u1)".
dep=$(dpkg-query -W -f='${Depends}' "$META" 2>/dev/null) ||
	die "$META is not installed (rig/deps.sh installs it)"
hdr_pkg=$(sed -n 's/^\(linux-headers-[^ ,]*\) (= \([^)]*\)).*/\1/p' <<<"$dep")
version=$(sed -n 's/^\(linux-headers-[^ ,]*\) (= \([^)]*\)).*/\2/p' <<<"$dep")
[ -n "$hdr_pkg" ] && [ -n "$version" ] ||
	die "cannot read the header package from $META's Depends: '$dep'"
abi=${hdr_pkg#linux-headers-}
KDIR=$USR_SRC/$hdr_pkg
[ -f "$KDIR/include/config/kernel.release" ] || die "$KDIR is not a header tree ($hdr_pkg not installed?)"
release=$(cat "$KDIR/include/config/kernel.release")
OUT="$CACHE/debian-$abi-$version"

if [ "$PRINT" = 1 ]; then
	echo "$OUT"
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/debian-$abi.lock"
flock 9

if [ -f "$OUT/.done" ]; then
	log "cached: $OUT"
	echo "$OUT"
	exit 0
fi

rm -rf "$OUT"
mkdir -p "$OUT"
t0=$(date +%s)
img_pkg=linux-image-$abi
log "fetching $img_pkg=$version (apt-get download; not installed)"
dl="$OUT/download"
mkdir -p "$dl"
# apt's _apt user cannot write into a root-only cache: fetch as is.
if ! (cd "$dl" && apt-get download -q "$img_pkg=$version") >"$OUT/fetch.log" 2>&1; then
	cat "$OUT/fetch.log" >&2
	die "apt-get download $img_pkg=$version failed (network, or apt-get update needed)"
fi
deb=$(find "$dl" -name '*.deb' | head -n1)
[ -n "$deb" ] || die "apt-get download left no .deb"
t1=$(date +%s)
x="$OUT/x"
mkdir -p "$x"
mods="lib/modules/$release/kernel"
dpkg-deb --fsys-tarfile "$deb" |
	tar -C "$x" -xf - "./boot/vmlinuz-$release" "./$mods/virt/lib/irqbypass.ko.xz" \
		"./$mods/arch/x86/kvm/kvm.ko.xz" "./$mods/arch/x86/kvm/kvm-intel.ko.xz" ||
	die "$deb lacks vmlinuz-$release or the KVM modules"
mv "$x/boot/vmlinuz-$release" "$OUT/vmlinuz"
mkdir -p "$OUT/modules"
for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-intel; do
	xz -dc "$x/$mods/$m.ko.xz" >"$OUT/modules/$(basename "$m").ko"
done
rm -rf "$x" "$dl"
ln -s "$KDIR" "$OUT/kdir"
echo "$release" >"$OUT/release"
t2=$(date +%s)
log "fetched in $((t1 - t0)) s, unpacked in $((t2 - t1)) s: $OUT"
echo "fetch=$((t1 - t0)) unpack=$((t2 - t1))" >"$OUT/times"
touch "$OUT/.done"
echo "$OUT"
