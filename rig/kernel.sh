#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/kernel.sh - build (or reuse) the minimal pvmx test kernel.
#
# Usage: rig/kernel.sh [--debug]            build if needed, print the cache dir
#        rig/kernel.sh [--debug] --print    print the cache dir only (no build)
#
# --debug adds rig/kernel-debug.config (KASAN, lockdep, kmemleak, ...) on top
# of rig/kernel.config: a separate cached kernel.
#
# The kernel is Debian's linux-source-6.1, `make tinyconfig` plus the
# fragment rig/kernel.config.  It lives in
#   ${PVMX_CACHE:-$HOME/.cache/pvmx}/kernel-<hash>/
#     bzImage      the kernel to boot
#     src/         the configured, built tree: KDIR for out-of-tree modules
#     build.log    the build's output
#     .done        present when the build completed
# where <hash> covers the fragment, the recipe version and the source package
# version, so every checkout on the machine shares one build.
set -euo pipefail

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAGS=("$RIG_DIR/kernel.config")
PRINT=0
for arg in "$@"; do
	case "$arg" in
	--debug) FRAGS+=("$RIG_DIR/kernel-debug.config") ;;
	--print) PRINT=1 ;;
	*) echo "kernel: unknown option $arg" >&2; exit 2 ;;
	esac
done
SRC_TAR=${PVMX_KERNEL_SRC:-/usr/src/linux-source-6.1.tar.xz}
CACHE=${PVMX_CACHE:-${HOME:-/root}/.cache/pvmx}
JOBS=$(nproc)

log() { echo "kernel: $*" >&2; }
die() { echo "kernel: error: $*" >&2; exit 1; }

[ -f "$SRC_TAR" ] || die "$SRC_TAR missing (apt-get install linux-source-6.1, or run rig/deps.sh)"

src_version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
[ -n "$src_version" ] || src_version=$(stat -c '%s-%Y' "$SRC_TAR")
# Bump RECIPE when this script's build steps change in a way that matters.
RECIPE=1
hash=$( { cat "${FRAGS[@]}"; echo "recipe=$RECIPE"; echo "$src_version"; echo "$SRC_TAR"; } \
	| sha256sum | cut -c1-16)
OUT="$CACHE/kernel-$hash"

if [ "$PRINT" = 1 ]; then
	echo "$OUT"
	exit 0
fi

mkdir -p "$CACHE"
# Serialise concurrent builds of the same kernel (parallel checkouts / CI).
exec 9>"$CACHE/kernel-$hash.lock"
flock 9

if [ -f "$OUT/.done" ] && [ -f "$OUT/bzImage" ] && [ -f "$OUT/src/Module.symvers" ]; then
	log "cached: $OUT"
	echo "$OUT"
	exit 0
fi

rm -rf "$OUT"
mkdir -p "$OUT"
t0=$(date +%s)
log "building in $OUT (log: $OUT/build.log; 6-12 minutes the first time)"
# A progress line every PVMX_PROGRESS_SECS (30) seconds: stage, time, objects.
echo extracting >"$OUT/stage"
( trap 'kill $s 2>/dev/null; exit 0' TERM
  while :; do
	sleep "${PVMX_PROGRESS_SECS:-30}" & s=$!
	wait $s
	log "$(cat "$OUT/stage" 2>/dev/null), $(($(date +%s) - t0)) s so far," \
	    "$(find "$OUT/src" -name '*.o' 2>/dev/null | wc -l) objects built"
  done ) 9>&- >&2 &
ticker=$!
# `|| true`: under set -e a failed kill (ticker already gone) in the EXIT
# trap would turn a finished build into exit status 1.
stop_ticker() { kill "$ticker" 2>/dev/null || true; }
trap stop_ticker EXIT
tmp="$OUT/extract"
mkdir -p "$tmp"
tar -C "$tmp" -xf "$SRC_TAR"
top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
[ -n "$top" ] || die "empty source tarball $SRC_TAR"
mv "$top" "$OUT/src"
rm -rf "$tmp"
S="$OUT/src"
t1=$(date +%s)
log "extracted in $((t1 - t0)) s"
echo configuring >"$OUT/stage"

cfg() {
	make -C "$S" -s "$@" >>"$OUT/build.log" 2>&1 ||
		{ tail -n 40 "$OUT/build.log" >&2; die "make $* failed"; }
}
cfg tinyconfig
"$S/scripts/kconfig/merge_config.sh" -m -O "$S" "$S/.config" "${FRAGS[@]}" \
	>>"$OUT/build.log" 2>&1 || die "merge_config failed"
cfg olddefconfig

# Verify: every option the fragment asks for is in the merged .config.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		opt=${line%%=*}
		if ! grep -qxF "$line" "$S/.config"; then
			got=$(grep -E "^(# )?${opt}[= ]" "$S/.config" || echo "(absent)")
			echo "kernel: fragment wants '$line', merged .config has '$got'" >&2
			bad=1
		fi
		;;
	"# CONFIG_"*" is not set")
		opt=${line#"# "}
		opt=${opt%% *}
		if grep -qE "^$opt=" "$S/.config"; then
			echo "kernel: fragment wants $opt unset, merged .config has '$(grep -E "^$opt=" "$S/.config")'" >&2
			bad=1
		fi
		;;
	esac
done < <(cat "${FRAGS[@]}")
[ "$bad" = 0 ] || die "merged .config lacks options of ${FRAGS[*]} (see above); fix the fragment"
t2=$(date +%s)
log "configured and verified in $((t2 - t1)) s"
echo "building bzImage" >"$OUT/stage"

cfg -j"$JOBS" bzImage
t3=$(date +%s)
log "bzImage built in $((t3 - t2)) s"
echo "building modules/Module.symvers" >"$OUT/stage"
# `make modules` builds nothing in-tree here but writes Module.symvers and
# prepares the tree for M= builds.
cfg -j"$JOBS" modules
cp "$S/arch/x86/boot/bzImage" "$OUT/bzImage"
t4=$(date +%s)
log "modules/Module.symvers in $((t4 - t3)) s; total $((t4 - t0)) s"
echo "extract=$((t1 - t0)) config=$((t2 - t1)) bzImage=$((t3 - t2)) modules=$((t4 - t3)) total=$((t4 - t0))" >"$OUT/times"
stop_ticker
rm -f "$OUT/stage"
touch "$OUT/.done"
echo "$OUT"
