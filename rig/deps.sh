#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/deps.sh - install what building pvmx, the test rig and the tests need
# (Debian 12, as root).  Idempotent: apt is only called when a package is
# missing.  Set PVMX_DEPS_SKIP=1 to skip entirely.
set -euo pipefail

[ "${PVMX_DEPS_SKIP:-0}" = 1 ] && exit 0

PKGS=(
	# toolchain and kernel build
	build-essential gcc-multilib make bc flex bison libelf-dev libssl-dev
	dwarves kmod cpio binutils util-linux coreutils xz-utils
	# the Linux device tests' ext2 disk (selftests/linux/mkdisk.sh: mke2fs -d)
	e2fsprogs
	# host fuzzers (libFuzzer)
	clang libclang-rt-14-dev
	# test kernel source and the build-matrix header trees
	linux-source-6.1 linux-headers-amd64 linux-headers-6.12-amd64
	# emulators and boot media
	bochs bochsbios vgabios bochs-term isolinux syslinux-common xorriso
	qemu-system-x86 busybox-static
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ "${#missing[@]}" = 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" != 0 ]; then
	echo "deps: error: not root; run: apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
