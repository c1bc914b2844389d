#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/tests/kernel_build_test.sh - host test of rig/kernel.sh (make rig-test)
# against a stub kernel source tarball whose Makefile only pretends to build:
# a fresh build's exit status and output, its progress lines, the cache,
# --print, and a failed build.  KTAP on stdout; exit 1 on any failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$(dirname "$HERE")")
KS=$REPO/rig/kernel.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/pvmx-kerneltest.XXXXXX")
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/ktap.sh"

echo "KTAP version 1"

# ---- a stub source tree: every target rig/kernel.sh makes -------------------
S=$T/linux-stub
mkdir -p "$S/scripts/kconfig"
cat >"$S/Makefile" <<'MK'
# STUB_FAIL=<target> makes that target fail; bzImage takes STUB_SECS seconds.
tinyconfig:
	@test "$(STUB_FAIL)" != $@ && : >.config
olddefconfig:
	@test "$(STUB_FAIL)" != $@
bzImage:
	@test "$(STUB_FAIL)" != $@ && mkdir -p arch/x86/boot && sleep $(STUB_SECS) && echo stub >arch/x86/boot/bzImage
modules:
	@test "$(STUB_FAIL)" != $@ && : >Module.symvers
MK
cat >"$S/scripts/kconfig/merge_config.sh" <<'MC'
#!/bin/sh
# merge_config.sh -m -O DIR BASE FRAGMENT...: the fragments, appended.
base=$4
shift 4
cat "$@" >>"$base"
MC
chmod +x "$S/scripts/kconfig/merge_config.sh"
tar -C "$T" -cJf "$T/stub.tar.xz" linux-stub
rm -rf "$S"

kernel() { # ARGS...: rig/kernel.sh on the stub; stdout $T/out, stderr $T/err
	PVMX_KERNEL_SRC=$T/stub.tar.xz PVMX_CACHE=$T/cache PVMX_PROGRESS_SECS=1 \
		STUB_SECS=${STUB_SECS:-3} "$KS" "$@" >"$T/out" 2>"$T/err"
}
show() { sed 's/^/#   /' "$T/err" | tail -n 20; }

# ---- a fresh build, the cache, a failed build -----------------------------------
fresh_build() {
	local rc
	kernel; rc=$?
	DIR=$(cat "$T/out")
	[ "$rc" = 0 ] && [ -d "$DIR" ] && [ -f "$DIR/.done" ] && [ -f "$DIR/bzImage" ] &&
		[ -f "$DIR/src/Module.symvers" ] && return 0
	echo "# exit $rc, stdout '$DIR'"; show; return 1
}
progress() {
	grep -qE '^kernel: building bzImage, [0-9]+ s so far, [0-9]+ objects built$' "$T/err" ||
		{ show; return 1; }
}
times_kept() { [ -f "$DIR/times" ] && ! [ -e "$DIR/stage" ]; }
cached() {
	local rc
	kernel; rc=$?
	[ "$rc" = 0 ] && [ "$(cat "$T/out")" = "$DIR" ] && grep -qxF "kernel: cached: $DIR" "$T/err" &&
		return 0
	echo "# exit $rc, stdout '$(cat "$T/out")'"; show; return 1
}
print_only() { kernel --print && [ "$(cat "$T/out")" = "$DIR" ] && ! [ -s "$T/err" ]; }
debug_dir() { kernel --debug --print && [ -n "$(cat "$T/out")" ] && [ "$(cat "$T/out")" != "$DIR" ]; }
failed_build() {
	local rc ddir
	STUB_FAIL=bzImage kernel --debug; rc=$?
	ddir=$(PVMX_KERNEL_SRC=$T/stub.tar.xz PVMX_CACHE=$T/cache "$KS" --debug --print)
	[ "$rc" != 0 ] && ! [ -f "$ddir/.done" ] && grep -qF "kernel: error: make -j" "$T/err" &&
		return 0
	echo "# exit $rc"; show; return 1
}

check fresh_build_exits_0_and_prints_its_dir fresh_build
check fresh_build_prints_progress progress
check fresh_build_records_times_and_clears_its_stage times_kept
check second_run_uses_the_cache cached
check print_names_the_cache_dir_silently print_only
check debug_kernel_has_its_own_cache_dir debug_dir
check failed_build_exits_nonzero_without_done failed_build
ktap_done kernel_build_test
