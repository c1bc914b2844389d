#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/tests/stock_kernel_test.sh - host test of the 6.12-host plumbing
# without network or emulator (make rig-test): rig/stock-kernel.sh against a
# stub dpkg-query and apt-get serving a made-up linux-image package (which
# package and version it fetches, what it keeps, the cache, every refusal),
# and rig/vmtest.sh's checks of --kernel and --kvm-coexist.
# KTAP on stdout; exit 1 on any failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$(dirname "$HERE")")
SK=$REPO/rig/stock-kernel.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/pvmx-stocktest.XXXXXX")
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/ktap.sh"
has() { grep -qF -- "$2" "$1" || { echo "# $1 lacks: $2"; sed 's/^/#   /' "$1" | head -n 20; return 1; }; }

echo "KTAP version 1"

# ---- a made-up header tree, meta package and image package -------------------
ABI=9.9.9+test-amd64
VER=9.9.9-1~test1
REL=$ABI
mkdir -p "$T/src/linux-headers-$ABI/include/config" "$T/bin" "$T/debs"
echo "$REL" >"$T/src/linux-headers-$ABI/include/config/kernel.release"
mkpkg() { # NAME [LEAVE-OUT]: $T/debs/NAME.deb with vmlinuz and the KVM modules
	local r=$T/pkg-$1 m
	m="$r/lib/modules/$REL/kernel"
	mkdir -p "$r/DEBIAN" "$r/boot" "$m/virt/lib" "$m/arch/x86/kvm"
	printf 'Package: linux-image-%s\nVersion: %s\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n' \
		"$ABI" "$VER" >"$r/DEBIAN/control"
	echo "kernel $1" >"$r/boot/vmlinuz-$REL"
	for k in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-intel arch/x86/kvm/kvm-amd; do
		[ "$(basename "$k")" = "${2:-}" ] && continue
		echo "module $(basename "$k") of $1" | xz -c >"$m/$k.ko.xz"
	done
	dpkg-deb -b -Zgzip "$r" "$T/debs/$1.deb" >/dev/null
}
mkpkg good
mkpkg nointel kvm-intel

# Stubs: dpkg-query answers for the meta package; apt-get download copies
# $STUB_DEB into the current directory and logs its arguments.
cat >"$T/bin/dpkg-query" <<EOF
#!/bin/bash
[ "\${*: -1}" = "\${STUB_META:-linux-headers-6.12-amd64}" ] || exit 1
[ -n "\${STUB_NO_META:-}" ] && { echo "dpkg-query: no packages found matching \${*: -1}" >&2; exit 1; }
echo "linux-headers-$ABI (= $VER), linux-headers-9.9.9+test-common (= $VER)"
EOF
cat >"$T/bin/apt-get" <<EOF
#!/bin/bash
echo "\$*" >>"$T/apt.log"
[ "\$1" = download ] || exit 100
[ -n "\${STUB_APT_FAIL:-}" ] && { echo "E: Unable to locate package" >&2; exit 100; }
cp "\$STUB_DEB" "./linux-image-${ABI}_${VER}_amd64.deb"
EOF
chmod +x "$T/bin/dpkg-query" "$T/bin/apt-get"

run_sk() { # OUT-PREFIX ARGS...: stock-kernel.sh in the stub world, status in $rc
	local o=$1
	shift
	PATH=$T/bin:$PATH PVMX_CACHE=$T/cache PVMX_USR_SRC=$T/src "$SK" "$@" >"$T/$o.out" 2>"$T/$o.err"
	rc=$?
}
OUT=$T/cache/debian-$ABI-$VER

# ---- rig/stock-kernel.sh -----------------------------------------------------------
t_print() {
	: >"$T/apt.log"
	STUB_DEB=$T/debs/good.deb run_sk print --print
	[ "$rc" = 0 ] && [ "$(cat "$T/print.out")" = "$OUT" ] && [ ! -s "$T/apt.log" ] && [ ! -e "$OUT" ] ||
		{ echo "# --print: status $rc, printed '$(cat "$T/print.out")', want $OUT without fetching"; return 1; }
}
check "stock-kernel --print names the cache dir of the headers' exact version, fetches nothing" t_print

t_fetch() {
	: >"$T/apt.log"
	STUB_DEB=$T/debs/good.deb run_sk fetch
	[ "$rc" = 0 ] || { echo "# status $rc"; sed 's/^/#   /' "$T/fetch.err"; return 1; }
	[ "$(cat "$T/fetch.out")" = "$OUT" ] || { echo "# printed '$(cat "$T/fetch.out")'"; return 1; }
	has "$T/apt.log" "download -q linux-image-$ABI=$VER" || return 1
	[ "$(cat "$OUT/vmlinuz")" = "kernel good" ] || { echo "# vmlinuz wrong"; return 1; }
	for m in irqbypass kvm kvm-intel; do
		[ "$(cat "$OUT/modules/$m.ko")" = "module $m of good" ] || { echo "# modules/$m.ko not the decompressed module"; return 1; }
	done
	[ ! -e "$OUT/modules/kvm-amd.ko" ] || { echo "# kept kvm-amd.ko"; return 1; }
	[ "$(readlink "$OUT/kdir")" = "$T/src/linux-headers-$ABI" ] || { echo "# kdir -> $(readlink "$OUT/kdir")"; return 1; }
	[ "$(cat "$OUT/release")" = "$REL" ] && [ -f "$OUT/.done" ] && [ -f "$OUT/times" ] ||
		{ echo "# release/.done/times missing"; return 1; }
	[ ! -e "$OUT/download" ] && [ ! -e "$OUT/x" ] || { echo "# the .deb or its tree was kept"; return 1; }
}
check "stock-kernel fetches linux-image-<abi>=<version>, keeps vmlinuz and the 3 KVM modules decompressed" t_fetch

t_cached() {
	: >"$T/apt.log"
	STUB_DEB=$T/debs/nointel.deb run_sk cached
	[ "$rc" = 0 ] && [ "$(cat "$T/cached.out")" = "$OUT" ] && [ ! -s "$T/apt.log" ] &&
		[ "$(cat "$OUT/modules/kvm-intel.ko")" = "module kvm-intel of good" ] ||
		{ echo "# second run: status $rc, apt.log: $(cat "$T/apt.log")"; return 1; }
	has "$T/cached.err" "cached: $OUT"
}
check "stock-kernel reuses a complete cache entry without fetching" t_cached

t_no_meta() {
	rm -rf "$T/cache"
	STUB_NO_META=1 STUB_DEB=$T/debs/good.deb run_sk nometa
	[ "$rc" = 1 ] && [ ! -s "$T/nometa.out" ] || { echo "# status $rc"; return 1; }
	has "$T/nometa.err" "linux-headers-6.12-amd64 is not installed"
}
check "stock-kernel without the 6.12 header meta package: status 1, says which package" t_no_meta

t_no_tree() {
	mv "$T/src/linux-headers-$ABI" "$T/src/moved"
	STUB_DEB=$T/debs/good.deb run_sk notree
	mv "$T/src/moved" "$T/src/linux-headers-$ABI"
	[ "$rc" = 1 ] || { echo "# status $rc"; return 1; }
	has "$T/notree.err" "$T/src/linux-headers-$ABI is not a header tree"
}
check "stock-kernel without the header tree itself: status 1, names it" t_no_tree

t_apt_fails() {
	STUB_APT_FAIL=1 STUB_DEB=$T/debs/good.deb run_sk aptfail
	[ "$rc" = 1 ] && [ ! -f "$OUT/.done" ] || { echo "# status $rc"; return 1; }
	has "$T/aptfail.err" "apt-get download linux-image-$ABI=$VER failed" &&
		has "$T/aptfail.err" "E: Unable to locate package"
}
check "stock-kernel when apt-get download fails: status 1, apt's reason shown, nothing cached" t_apt_fails

t_incomplete_deb() {
	STUB_DEB=$T/debs/nointel.deb run_sk nointel
	[ "$rc" = 1 ] && [ ! -f "$OUT/.done" ] || { echo "# status $rc"; return 1; }
	has "$T/nointel.err" "lacks vmlinuz-$REL or the KVM modules"
	# And a later good fetch replaces the half-done entry.
	STUB_DEB=$T/debs/good.deb run_sk refetch
	[ "$rc" = 0 ] && [ -f "$OUT/.done" ] && [ -f "$OUT/modules/kvm-intel.ko" ] ||
		{ echo "# refetch after the failure: status $rc"; return 1; }
}
check "stock-kernel with a package lacking kvm-intel: status 1, not cached; the next fetch completes" t_incomplete_deb

t_bad_option() {
	run_sk badopt --debug
	[ "$rc" = 2 ] && has "$T/badopt.err" "unknown option --debug"
}
check "stock-kernel rejects an unknown option with status 2" t_bad_option

# ---- rig/vmtest.sh: the options (refused before anything is built) ---------
vmt() { # WANT-STATUS WANT-TEXT ARGS...
	local want=$1 text=$2
	shift 2
	PVMX_CACHE=$T/cache "$REPO/rig/vmtest.sh" --no-deps "$@" >"$T/vmt.out" 2>"$T/vmt.err"
	local st=$?
	[ "$st" = "$want" ] || { echo "# rig/vmtest.sh $*: status $st, want $want"; sed 's/^/#   /' "$T/vmt.err" | head; return 1; }
	has "$T/vmt.err" "$text"
}
check "vmtest --kernel takes rig or debian-6.12" vmt 2 "--kernel takes rig or debian-6.12, got 'debian-5.10'" --kernel debian-5.10
check "vmtest --kvm-coexist needs the kernel with KVM modules" vmt 2 "--kvm-coexist needs a kernel with KVM modules" --kvm-coexist
check "vmtest --kvm-coexist goes with the suite only" vmt 2 "--kvm-coexist goes with the suite" --kernel debian-6.12 --kvm-coexist --demo
check "vmtest --debug-kernel is not Debian's kernel" vmt 2 "--debug-kernel is the rig's kernel" --kernel debian-6.12 --debug-kernel

echo "1..$nr"
ktap_done stock_kernel_test
