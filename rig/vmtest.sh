#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/vmtest.sh - the pvmx emulated-VMX test rig.
#
# Builds the minimal test kernel (cached), pvmx.ko against it, the static
# launcher, the guest images and the selftests; packs them into an
# initramfs; boots it in Bochs (which emulates VMX + EPT) and runs one of:
#
#   rig/vmtest.sh                 the in-VM selftest suite (make vmtest),
#                                 preceded by a QEMU check that the module
#                                 refuses to load without VMX
#   rig/vmtest.sh --demo          insmod + `pvmx run /guests/hello.elf`
#   rig/vmtest.sh [--guests DIR] --cmd 'CMD'
#                                 insmod, then CMD (make vmrun)
#   rig/vmtest.sh --conformance [--guests DIR]
#                                 the third-party guests of DIR
#                                 ($PVMX_GUESTS_DIR, ../shared/guests)
#                                 (make conformance)
#
# The kernel's console is the first serial port; what the mode's commands
# print goes to the second one, so the host tells the kernel's own messages
# (a panic) from a guest's.  The run is judged only by the sentinel line
# PVMX-RIG-EXIT=<n> on the kernel's console.  See Documentation/rig.rst.
set -euo pipefail

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${PVMX_REPO:-$(dirname "$RIG_DIR")}

usage() {
	cat <<'EOF'
usage: rig/vmtest.sh [MODE] [OPTIONS]
modes:
  (none)            run the in-VM selftest suite (/selftests/run_all.sh)
  --demo            insmod pvmx.ko, then pvmx run /guests/hello.elf
  --cmd 'CMD'       insmod pvmx.ko, then run CMD (busybox sh)
  --conformance     insmod pvmx.ko, then run every third-party guest of the
                    guests directory (rig/conformance-manifest.sh) through
                    selftests/conformance.sh
options:
  --select ERE      (suite) run only the tests whose name matches ERE
                    (PVMX_SELFTESTS; the others are reported as skipped);
                    (conformance) only the guests whose id matches ERE
  --env NAME=VALUE  (suite, cmd, conformance) export this in the VM before
                    the run (e.g. PVMX_FUZZ_R1_GUESTS=8); repeatable
  --guests DIR      put DIR's files in /guests (default: selftests/guests/*.elf);
                    (conformance) the third-party guests directory (default
                    $PVMX_GUESTS_DIR, else ../shared/guests next to the checkout);
                    only the images the manifest names are copied
  --cpus N          Bochs CPU count (default 2 for the suite, 1 otherwise;
                    conformance: the most vCPUs a guest has, at most 4)
  --mem MB          guest memory (default 256; conformance: at least the
                    largest guest's memory + 192)
  --timeout S       wall-clock limit of the Bochs run (default 1500 suite, 300
                    otherwise; conformance: 180 + 3 s per second of every
                    guest's own time limit + 10 s per guest)
  --keep            keep the work dir (always kept on failure)
  -v, --verbose     stream the whole serial log (kernel boot included, no 'quiet')
  --append ARGS     extra kernel command-line arguments
  --no-refuse       skip the QEMU refuse-to-load check in suite mode
  --no-insmod       (--cmd) do not insmod pvmx.ko before CMD
  --no-deps         do not run rig/deps.sh
  --module FILE     use this pvmx.ko instead of building it
  --launcher FILE   use this static launcher instead of building it
  --selftests DIR   use DIR (containing run_all.sh) instead of `make install`
  --repo DIR        project checkout to build from (default: this rig's)
  --debug-kernel    boot the debug kernel (rig/kernel-debug.config: KASAN,
                    lockdep, kmemleak, ...; 512 MB, 6x the time limits); a
                    kernel splat or a pvmx kmemleak report fails the run
  --kernel NAME     the VM's kernel: rig (default: the minimal 6.1 kernel of
                    rig/kernel.sh) or debian-6.12 (Debian's stock 6.12 kernel
                    with its KVM modules, rig/stock-kernel.sh; pvmx.ko is built
                    against the installed linux-headers-6.12 tree; 384 MB, the
                    default time limit 300 s longer for its 1-2-minute boot)
  --kvm-coexist     (suite; --kernel debian-6.12) after the suite,
                    rig/kvm-coexist.sh: KVM's refusal path and the
                    enable_virt_at_load=0 turn-taking, KTAP, counted with
                    the suite's results (with --cmd: sh /rig/kvm-coexist.sh)
  --mitigations     boot with the kernel's speculation mitigations on
                    (mitigations=auto instead of the rig's mitigations=off);
                    (suite) then rig/spec-check.sh after the suite: what pvmx
                    applies at VM entry/exit against the host's report, each
                    L1D flush mode, KTAP, counted with the suite's results
                    (with --cmd: sh /rig/spec-check.sh)
  --host-panic-test (the rig's self-check) /init exits after the mode: the
                    kernel panics, and the run must end as a kernel panic
  -h, --help        this text
environment: PVMX_CACHE (kernel cache, default ~/.cache/pvmx),
  PVMX_RIG_SUMMARY (file to append "passed failed skipped mode" counts to),
  PVMX_GUESTS_DIR (conformance: the third-party guests directory)
EOF
}

MODE=suite
CMD=
GUESTS_SRC=
CPUS=
MEM=
TIMEOUT=
DEBUG_KERNEL=0
KERNEL=rig
KVM_COEXIST=0
MITIGATIONS=0
TIMEOUT_SET=0
KEEP=0
VERBOSE=0
REFUSE=1
INSMOD=1
DEPS=1
PRE_MODULE=
PRE_LAUNCHER=
PRE_SELFTESTS=
APPEND=
SELECT=
VM_ENV=()
HOST_PANIC_TEST=0

need_arg() { [ "$#" -ge 2 ] || { echo "vmtest: $1 needs an argument" >&2; exit 2; }; }
while [ "$#" -gt 0 ]; do
	case "$1" in
	--demo) MODE=demo ;;
	--cmd) need_arg "$@"; MODE=cmd; CMD=$2; shift ;;
	--conformance) MODE=conformance ;;
	--host-panic-test) HOST_PANIC_TEST=1 ;;
	--guests) need_arg "$@"; GUESTS_SRC=$2; shift ;;
	--select) need_arg "$@"; SELECT=$2; shift ;;
	--env)
		need_arg "$@"
		[[ "$2" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { echo "vmtest: --env wants NAME=VALUE, got '$2'" >&2; exit 2; }
		VM_ENV+=("$2"); shift ;;
	--cpus) need_arg "$@"; CPUS=$2; shift ;;
	--mem) need_arg "$@"; MEM=$2; shift ;;
	--timeout) need_arg "$@"; TIMEOUT=$2; TIMEOUT_SET=1; shift ;;
	--keep) KEEP=1 ;;
	-v|--verbose) VERBOSE=1 ;;
	--no-refuse) REFUSE=0 ;;
	--append) need_arg "$@"; APPEND=$2; shift ;;
	--no-insmod) INSMOD=0 ;;
	--no-deps) DEPS=0 ;;
	--module) need_arg "$@"; PRE_MODULE=$(realpath "$2"); shift ;;
	--launcher) need_arg "$@"; PRE_LAUNCHER=$(realpath "$2"); shift ;;
	--selftests) need_arg "$@"; PRE_SELFTESTS=$(realpath "$2"); shift ;;
	--repo) need_arg "$@"; REPO=$(realpath "$2"); shift ;;
	--debug-kernel) DEBUG_KERNEL=1 ;;
	--kernel) need_arg "$@"; KERNEL=$2; shift ;;
	--kvm-coexist) KVM_COEXIST=1 ;;
	--mitigations) MITIGATIONS=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "vmtest: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

# The debug kernel: KASAN's shadow and kmemleak's pools need room; checks
# slow everything down.
KERNEL_OPT=()
if [ "$DEBUG_KERNEL" = 1 ]; then
	KERNEL_OPT=(--debug)
	MEM=${MEM:-512}
	# The suite's own limits, as the rig's (forks cost ~0.5 s there).
	VM_ENV=("PVMX_TIME_SCALE=6" ${VM_ENV[@]+"${VM_ENV[@]}"})
fi
case "$KERNEL" in
rig) ;;
debian-6.12)
	[ "$DEBUG_KERNEL" = 0 ] || { echo "vmtest: --debug-kernel is the rig's kernel; not with --kernel $KERNEL" >&2; exit 2; }
	# Debian's kernel: more memory to boot, about two minutes of boot.
	MEM=${MEM:-384}
	;;
*) echo "vmtest: --kernel takes rig or debian-6.12, got '$KERNEL'" >&2; exit 2 ;;
esac
if [ "$KVM_COEXIST" = 1 ]; then
	[ "$KERNEL" = debian-6.12 ] || { echo "vmtest: --kvm-coexist needs a kernel with KVM modules (--kernel debian-6.12)" >&2; exit 2; }
	[ "$MODE" = suite ] || { echo "vmtest: --kvm-coexist goes with the suite (with --cmd: sh /rig/kvm-coexist.sh)" >&2; exit 2; }
fi
MEM=${MEM:-256}

if [ "$MODE" = cmd ] && [ -z "$CMD" ]; then
	echo "vmtest: --cmd needs a command (make vmrun GUESTS=dir CMD='pvmx run /guests/x.elf')" >&2
	exit 2
fi
# Conformance: the manifest is made here, so that an absent guests
# directory is reported (a skip, never a pass) before anything is built, and
# the VM's size and time limit follow the guests.
CONF_DIR=
CONF_MANIFEST=
if [ "$MODE" = conformance ]; then
	CONF_DIR=${GUESTS_SRC:-${PVMX_GUESTS_DIR:-$(dirname "$REPO")/shared/guests}}
	GUESTS_SRC=
	if [ ! -d "$CONF_DIR" ]; then
		printf 'KTAP version 1\n1..1\nok 1 conformance # SKIP %s\n' \
			"no third-party guests: '$CONF_DIR' is not a directory (set PVMX_GUESTS_DIR or --guests DIR)"
		echo "conformance: 0 passed, 0 failed, 1 skipped"
		[ -z "${PVMX_RIG_SUMMARY:-}" ] || echo "0 0 1 conformance" >>"$PVMX_RIG_SUMMARY"
		exit 0
	fi
	CONF_DIR=$(realpath "$CONF_DIR")
	CONF_MANIFEST=$("$RIG_DIR/conformance-manifest.sh" "$CONF_DIR") ||
		{ echo "vmtest: rig/conformance-manifest.sh $CONF_DIR failed" >&2; exit 1; }
	if [ -n "$SELECT" ]; then
		# Guests not selected stay in the report, as skips.
		CONF_MANIFEST=$(printf '%s\n' "$CONF_MANIFEST" | SELECT=$SELECT awk -F '\t' -v OFS='\t' '
			/^#/ || $1 ~ ENVIRON["SELECT"] { print; next }
			{ print $1, "skip", "-", 1, 1, 1, "not selected (--select)", "" }')
	fi
	# Largest vCPU count and memory, and the sum of the guests' limits.
	read -r conf_vcpus conf_mem conf_time < <(printf '%s\n' "$CONF_MANIFEST" | awk -F '\t' '
		!/^#/ && ($2 == "xtf" || $2 == "marker" || $2 == "idle" || $2 ~ /^disk:/) {
			if ($4 > v) v = $4; if ($5 > m) m = $5; t += 3 * $6 + 10 }
		END { print v + 0, m + 0, t + 0 }')
	if [ -z "$CPUS" ]; then
		CPUS=$((conf_vcpus < 1 ? 1 : conf_vcpus > 4 ? 4 : conf_vcpus))
	elif [ "$CPUS" -lt "$conf_vcpus" ] 2>/dev/null; then
		echo "vmtest: warning: --cpus $CPUS is fewer than the $conf_vcpus vCPUs a guest has" >&2
	fi
	[ -n "$MEM" ] || MEM=$((conf_mem + 192 > 256 ? conf_mem + 192 : 256))
	[ -n "$TIMEOUT" ] || { TIMEOUT=$((180 + conf_time))
		[ "$DEBUG_KERNEL" = 0 ] || TIMEOUT=$((TIMEOUT * 6)); }
fi
if [ -n "$GUESTS_SRC" ] && [ ! -d "$GUESTS_SRC" ]; then
	echo "vmtest: --guests '$GUESTS_SRC' is not a directory" >&2
	exit 2
fi
[ -n "$CPUS" ] || { [ "$MODE" = suite ] && CPUS=2 || CPUS=1; }
[ -n "$TIMEOUT" ] || { [ "$MODE" = suite ] && TIMEOUT=1500 || TIMEOUT=300
	[ "$DEBUG_KERNEL" = 0 ] || TIMEOUT=$((TIMEOUT * 6)); }
# Debian's kernel boots for about a minute or two: on top of the default
# limits (a --timeout given is the limit).
[ "$KERNEL" = rig ] || [ "$TIMEOUT_SET" = 1 ] || TIMEOUT=$((TIMEOUT + 300))
case "$CPUS$MEM$TIMEOUT" in *[!0-9]*) echo "vmtest: --cpus/--mem/--timeout take numbers" >&2; exit 2 ;; esac
if [ "$CPUS" -lt 1 ] || [ "$CPUS" -gt 4 ]; then
	echo "vmtest: --cpus must be 1..4 (NR_CPUS=4)" >&2
	exit 2
fi

T_START=$(date +%s)
say() { echo "rig: $*" >&2; }
die() { echo "rig: error: $*" >&2; exit 1; }
now() { date +%s; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pvmx-rig.XXXXXX")
RESULT=1
SCRIPT_PID=
declare -a KILL_PIDS=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local p
	if [ -n "${SCRIPT_PID:-}" ] && kill -0 "$SCRIPT_PID" 2>/dev/null; then
		kill_vm
	fi
	for p in "${KILL_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	if [ "$KEEP" = 1 ] || [ "$RESULT" != 0 ]; then
		say "work dir kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
# 128 + the signal's number, as a shell reports a process the signal ended.
trap 'exit 130' INT
trap 'exit 143' TERM

declare -A TIMES=()

# ---------------------------------------------------------------- deps
if [ "$DEPS" = 1 ]; then
	"$RIG_DIR/deps.sh" || die "rig/deps.sh failed"
fi

# ---------------------------------------------------------------- kernel
t=$(now)
KMODS=()
# kernel_from WHAT SCRIPT ARGS...: KOUT = the script's cache dir, made first
# (its progress on stderr) unless cached.
kernel_from() {
	local what=$1 script=$2
	shift 2
	KOUT=$("$script" "$@" --print) || die "$script --print failed"
	if [ -f "$KOUT/.done" ]; then
		TIMES[kernel]=cached
		KOUT=$("$script" "$@" 2>/dev/null) || die "$script failed"
	else
		say "$what"
		KOUT=$("$script" "$@") || die "$script failed"
		TIMES[kernel]="$(($(now) - t))s"
	fi
}
if [ "$KERNEL" = rig ]; then
	kernel_from "building the test kernel (first time: ~5 min on 2 cores)" \
		"$RIG_DIR/kernel.sh" "${KERNEL_OPT[@]}"
	KDIR=$KOUT/src
	BZIMAGE=$KOUT/bzImage
else
	# Debian's stock kernel, fetched (not installed) once into the cache.
	kernel_from "fetching Debian's 6.12 kernel (first time)" "$RIG_DIR/stock-kernel.sh"
	KDIR=$(readlink -f "$KOUT/kdir")
	BZIMAGE=$KOUT/vmlinuz
	KMODS=("$KOUT"/modules/*.ko)
fi
KREL=$(cat "$KDIR/include/config/kernel.release")
say "kernel $KREL (${TIMES[kernel]}): $KOUT"

# ---------------------------------------------------------------- builds
t=$(now)
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,dev,proc,sys,tmp,pvmx,guests,rig,etc,root}
BUILDLOG=$WORK/build.log
: >"$BUILDLOG"

build() { # build WHAT make-args...
	local what=$1
	shift
	say "building $what: make $*"
	if ! make "$@" >>"$BUILDLOG" 2>&1; then
		tail -n 30 "$BUILDLOG" >&2
		die "building $what failed (make $*); full log: $BUILDLOG"
	fi
}

# pvmx.ko, against the test kernel.
if [ -n "$PRE_MODULE" ]; then
	KO=$PRE_MODULE
else
	[ -f "$REPO/Kbuild" ] || die "$REPO/Kbuild missing: nothing to build pvmx.ko from"
	# In a private copy of the module sources: other builds of the checkout
	# (for another kernel, another rig run) must not mix objects with ours.
	MODSRC=$WORK/modsrc
	mkdir -p "$MODSRC"
	cp -a "$REPO/Kbuild" "$REPO/module" "$REPO/include" "$MODSRC/"
	find "$MODSRC" \( -name '*.o' -o -name '.*.cmd' -o -name '*.d' \) -delete
	build pvmx.ko -C "$KDIR" M="$MODSRC" modules
	KO=$MODSRC/pvmx.ko
fi
[ -f "$KO" ] || die "pvmx.ko not produced ($KO): 'make -C $REPO module KDIR=...' must build it"
vermagic=$(modinfo -F vermagic "$KO" 2>/dev/null || true)
case "$vermagic" in
"$KREL "*) ;;
*) die "$KO was built for '${vermagic:-?}', not the test kernel $KREL" ;;
esac
cp "$KO" "$ROOT/pvmx/pvmx.ko"
# The stock kernel's KVM modules (irqbypass, kvm, kvm-intel) in /kmod, with
# the coexistence checks (/rig/kvm-coexist.sh) and their KVM user
# (/bin/kvm-vm, built below).
if [ "${#KMODS[@]}" -gt 0 ]; then
	mkdir -p "$ROOT/kmod"
	cp "${KMODS[@]}" "$ROOT/kmod/"
	cp "$RIG_DIR/kvm-coexist.sh" "$ROOT/rig/kvm-coexist.sh"
fi
[ "$MITIGATIONS" = 0 ] || cp "$RIG_DIR/spec-check.sh" "$ROOT/rig/spec-check.sh"

# The launcher, statically linked.
if [ -n "$PRE_LAUNCHER" ]; then
	LAUNCHER=$PRE_LAUNCHER
else
	[ -f "$REPO/userspace/Makefile" ] || die "userspace/Makefile missing: the launcher is built by 'make -C userspace STATIC=1'"
	build launcher -C "$REPO/userspace" STATIC=1
	LAUNCHER=$REPO/userspace/pvmx
fi
[ -x "$LAUNCHER" ] || die "launcher $LAUNCHER not produced by 'make -C userspace STATIC=1'"
if readelf -l "$LAUNCHER" 2>/dev/null | grep -q 'program interpreter'; then
	die "$LAUNCHER is dynamically linked; 'make -C userspace STATIC=1' must link it statically"
fi
cp "$LAUNCHER" "$ROOT/bin/pvmx"

# Guest images.
if [ "$MODE" = conformance ]; then
	# Only the images the manifest names, at their paths under /guests;
	# the runner and the manifest in /rig.
	[ -f "$REPO/selftests/conformance.sh" ] || die "selftests/conformance.sh missing: the conformance runner"
	cp "$REPO/selftests/conformance.sh" "$ROOT/rig/conformance.sh"
	printf '%s\n' "$CONF_MANIFEST" >"$ROOT/rig/conformance.manifest"
	cp "$ROOT/rig/conformance.manifest" "$WORK/conformance.manifest"
	while IFS=$'\t' read -r _ kind img _; do
		case "$kind" in xtf | marker | idle | disk:*) ;; *) continue ;; esac
		[ -f "$ROOT/guests/$img" ] && continue
		mkdir -p "$(dirname "$ROOT/guests/$img")"
		cp "$CONF_DIR/$img" "$ROOT/guests/$img" || die "cannot copy $CONF_DIR/$img"
	done < <(grep -v '^#' "$WORK/conformance.manifest")
	# The Linux device tests' ext2 disk (selftests/linux), in /rig/disks.
	if cut -f2 "$WORK/conformance.manifest" | grep -q '^disk:'; then
		build "the device tests' disk" -C "$REPO/selftests/linux"
		mkdir -p "$ROOT/rig/disks"
		cp "$REPO/selftests/linux/disk.img" "$ROOT/rig/disks/linuxfe.img"
	fi
	say "conformance: $(grep -vc '^#' "$WORK/conformance.manifest") guests from $CONF_DIR" \
		"($(du -sh "$ROOT/guests" | cut -f1) of images)"
elif [ -n "$GUESTS_SRC" ]; then
	cp -a "$GUESTS_SRC"/. "$ROOT/guests/"
else
	[ -f "$REPO/selftests/guests/Makefile" ] || die "selftests/guests/Makefile missing: guest images come from 'make -C selftests/guests'"
	build guests -C "$REPO/selftests/guests"
	shopt -s nullglob
	elfs=("$REPO"/selftests/guests/*.elf)
	shopt -u nullglob
	[ "${#elfs[@]}" -gt 0 ] || die "'make -C selftests/guests' produced no *.elf"
	cp "${elfs[@]}" "$ROOT/guests/"
fi
if [ "$MODE" = demo ] && [ ! -f "$ROOT/guests/hello.elf" ]; then
	die "demo guest hello.elf missing (expected selftests/guests/hello.elf or in --guests DIR)"
fi

# Selftests: required by the suite; also installed for --cmd (so CMD can run
# single tests), where a failure is reported but does not stop the run.
if [ "$MODE" = suite ]; then
	if [ -n "$PRE_SELFTESTS" ]; then
		mkdir -p "$ROOT/selftests"
		cp -a "$PRE_SELFTESTS"/. "$ROOT/selftests/"
	else
		[ -f "$REPO/selftests/Makefile" ] || die "selftests/Makefile missing: the suite is installed by 'make -C selftests install DESTDIR=...'"
		build selftests -C "$REPO/selftests" install DESTDIR="$ROOT"
	fi
	[ -f "$ROOT/selftests/run_all.sh" ] || die "selftests install put no run_all.sh in <DESTDIR>/selftests/"
elif [ "$MODE" = cmd ]; then
	if [ -n "$PRE_SELFTESTS" ]; then
		mkdir -p "$ROOT/selftests"
		cp -a "$PRE_SELFTESTS"/. "$ROOT/selftests/"
	elif [ -f "$REPO/selftests/Makefile" ] &&
		make -C "$REPO/selftests" install DESTDIR="$ROOT" >>"$BUILDLOG" 2>&1; then
		:
	else
		say "WARNING: 'make -C selftests install' failed: /selftests is not in this VM (see $BUILDLOG)"
	fi
fi

# The rig's own helper: load a module with a single finit_module() call.
gcc -static -O2 -Wall -o "$ROOT/bin/insmod-once" "$RIG_DIR/insmod-once.c" >>"$BUILDLOG" 2>&1 ||
	die "building rig/insmod-once.c failed (gcc -static; see $BUILDLOG)"
if [ "${#KMODS[@]}" -gt 0 ]; then
	gcc -static -O2 -Wall -Wextra -Werror -o "$ROOT/bin/kvm-vm" "$RIG_DIR/kvm-vm.c" >>"$BUILDLOG" 2>&1 ||
		die "building rig/kvm-vm.c failed (gcc -static; see $BUILDLOG)"
fi
TIMES[build]="$(($(now) - t))s"

# ---------------------------------------------------------------- initramfs
t=$(now)
BB=$(command -v busybox) || die "busybox missing (apt-get install busybox-static)"
if readelf -l "$BB" 2>/dev/null | grep -q 'program interpreter'; then
	die "$BB is not static (apt-get install busybox-static)"
fi
cp "$BB" "$ROOT/bin/busybox"
for applet in $("$BB" --list); do
	[ -e "$ROOT/bin/$applet" ] || ln -s busybox "$ROOT/bin/$applet"
done
ln -s bin "$ROOT/sbin"
mkdir -p "$ROOT/usr"
ln -s ../bin "$ROOT/usr/bin"
ln -s ../bin "$ROOT/usr/sbin"
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOT/etc/passwd"
echo 'root:x:0:' >"$ROOT/etc/group"

cat >"$ROOT/init" <<'EOF'
#!/bin/sh
# pvmx rig /init: mount, run /rig/mode.sh, report PVMX-RIG-EXIT=<n>, power off.
export PATH=/bin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
# Every printk (pvmx's too) reaches the serial console.
echo 8 >/proc/sys/kernel/printk
stty -F /dev/ttyS0 115200 -echo 2>/dev/null
# What the mode's commands print goes to the second serial port (ttyS1 ->
# the host's out.log); the kernel's console (ttyS0 -> serial.log) carries
# only the kernel's messages and this script's PVMX-RIG-* lines.  So the
# host tells the kernel's own panic from a guest's panic message, and
# kernel messages never land in the middle of a line it parses.
OUT=/dev/console
if [ -f /rig/outport ] && [ -c /dev/ttyS1 ] && stty -F /dev/ttyS1 115200 raw -echo 2>/dev/null; then
	OUT=/dev/ttyS1
fi
read -r up _ </proc/uptime
echo "PVMX-RIG-BEGIN uptime=$up cpus=$(grep -c ^processor /proc/cpuinfo) out=$OUT"
cd /
sh /rig/mode.sh </dev/null >"$OUT" 2>&1
echo $? >/tmp/.rc
rc=$(cat /tmp/.rc 2>/dev/null || echo 255)
[ "$OUT" = /dev/console ] || echo "PVMX-RIG-END" >"$OUT"
# The rig's self-check (--host-panic-test): init exits, the kernel panics.
if [ -f /rig/host-panic-test ]; then
	echo "PVMX-RIG-HOST-PANIC-TEST: /init exits now"
	exit 1
fi
# Debug kernel: a kmemleak scan once everything has ended (the host judges
# the report, and every splat, from the serial log).
if [ -f /rig/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null &&
   [ -e /sys/kernel/debug/kmemleak ]; then
	# Marked with the uptime: a run that goes idle shows whether the
	# suite's end or the scan (minutes under Bochs with KASAN) is slow.
	read -r up _ </proc/uptime
	echo "PVMX-RIG-KMEMLEAK-SCAN uptime=$up"
	echo scan >/sys/kernel/debug/kmemleak
	sleep 2
	echo scan >/sys/kernel/debug/kmemleak
	read -r up _ </proc/uptime
	echo "PVMX-RIG-KMEMLEAK-BEGIN uptime=$up"
	sed 's/^/PVMX-RIG-KMEMLEAK: /' /sys/kernel/debug/kmemleak
	echo "PVMX-RIG-KMEMLEAK-END"
fi
# Drain the console's output queue (stty uses TCSADRAIN), then report
# through the kernel log, which is written synchronously to the UART.
stty -F /dev/ttyS0 115200 2>/dev/null
[ "$OUT" = /dev/console ] || stty -F "$OUT" 115200 2>/dev/null
sync
echo "PVMX-RIG-EXIT=$rc" >/dev/kmsg
echo "PVMX-RIG-EXIT=$rc"
sleep 1
poweroff -f
EOF
chmod 755 "$ROOT/init"

mk_cpio() { # DIR OUT
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$2"
}
mk_cpio "$ROOT" "$WORK/base.cpio"

# The mode: a script in a second, concatenated cpio archive (no cmdline quoting).
mk_mode() { # NAME OUTPORT(0/1: its output on the second serial port) ; script on stdin
	local d=$WORK/mode-$1
	mkdir -p "$d/rig"
	cat >"$d/rig/mode.sh"
	[ "$2" = 1 ] && : >"$d/rig/outport"
	[ "$DEBUG_KERNEL" = 1 ] && : >"$d/rig/debug"
	[ "$2" = 1 ] && [ "$HOST_PANIC_TEST" = 1 ] && : >"$d/rig/host-panic-test"
	mk_cpio "$d" "$WORK/mode-$1.cpio"
	cat "$WORK/base.cpio" "$WORK/mode-$1.cpio" >"$WORK/initramfs-$1.cpio"
}

# An export line for the VM's shell: the value single-quoted (' as '\'').
vm_export() { # NAME=VALUE
	local v=${1#*=} q="'\\''"
	printf "export %s='%s'\n" "${1%%=*}" "${v//\'/$q}"
}
vm_env() {
	local e
	for e in ${VM_ENV[@]+"${VM_ENV[@]}"}; do
		vm_export "$e"
	done
}

case "$MODE" in
suite)
	{
		echo 'export PVMX_KO=/pvmx/pvmx.ko'
		[ -z "$SELECT" ] || vm_export "PVMX_SELFTESTS=$SELECT"
		vm_env
		echo 'cd /selftests && sh ./run_all.sh'
		# Their own KTAP documents after the suite's; all are counted.
		if [ "$KVM_COEXIST" = 1 ] || [ "$MITIGATIONS" = 1 ]; then
			echo 'rc=$?'
			[ "$KVM_COEXIST" = 0 ] || echo 'sh /rig/kvm-coexist.sh || [ "$rc" != 0 ] || rc=1'
			[ "$MITIGATIONS" = 0 ] || echo 'sh /rig/spec-check.sh || [ "$rc" != 0 ] || rc=1'
			echo 'exit $rc'
		fi
	} | mk_mode run 1
	;;
demo)
	mk_mode run 1 <<'EOF'
insmod /pvmx/pvmx.ko || exit $?
pvmx run /guests/hello.elf
EOF
	;;
cmd)
	{
		echo 'export PVMX_KO=/pvmx/pvmx.ko'
		vm_env
		[ "$INSMOD" = 1 ] && echo 'insmod /pvmx/pvmx.ko || exit $?'
		echo 'cd /guests'
		printf '%s\n' "$CMD"
	} | mk_mode run 1
	;;
conformance)
	{
		echo 'export PVMX_KO=/pvmx/pvmx.ko'
		vm_env
		echo 'insmod /pvmx/pvmx.ko || echo "# insmod /pvmx/pvmx.ko failed: status $?"'
		echo 'sh /rig/conformance.sh /rig/conformance.manifest'
	} | mk_mode run 1
	;;
esac
mk_mode refuse 0 <<'EOF'
echo "PVMX-RIG-CPUINFO-VMX=$(grep -cw vmx /proc/cpuinfo)"
dmesg -c >/dev/null
insmod-once /pvmx/pvmx.ko
echo "PVMX-RIG-INSMOD=$?"
# The kernel's own one-time taint notices also start with "pvmx:" (an
# out-of-tree module; on a kernel with module signing, an unsigned one); they
# are not the module's messages, so leave them out.
dmesg | sed 's/^\[[^]]*\] //' | grep '^pvmx:' |
	grep -vE 'loading out-of-tree module taints kernel|module verification failed' |
	sed 's/^/PVMX-RIG-KLOG: /'
rmmod pvmx 2>/dev/null
exit 0
EOF

# idle=halt: with 2+ Bochs CPUs, an idle CPU in MWAIT is not woken by a
# write to the monitored line (the kernel then sends no IPI), so with
# NO_HZ_IDLE the boot hangs in the first stop_machine() (clocksource
# switch).  HLT idle is woken by IPIs.  tsc=reliable: no TSC watchdog or
# late clocksource switch under emulation.
CMDLINE=${PVMX_RIG_CMDLINE:-"console=ttyS0,115200 nokaslr mitigations=off panic=-1 printk.devkmsg=on idle=halt tsc=reliable"}
[ "$VERBOSE" = 1 ] || CMDLINE="$CMDLINE quiet"
# The last mitigations= wins.
[ "$MITIGATIONS" = 0 ] || CMDLINE="$CMDLINE mitigations=auto"
[ -z "$APPEND" ] || CMDLINE="$CMDLINE $APPEND"
ISO=$WORK/iso
mkdir -p "$ISO/isolinux"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$ISO/isolinux/" ||
	die "isolinux files missing (apt-get install isolinux syslinux-common)"
cp "$BZIMAGE" "$ISO/bzimage"
cp "$WORK/initramfs-run.cpio" "$ISO/initrd"
cat >"$ISO/isolinux/isolinux.cfg" <<EOF
SERIAL 0 115200
PROMPT 0
TIMEOUT 0
DEFAULT pvmx
LABEL pvmx
  KERNEL /bzimage
  APPEND initrd=/initrd $CMDLINE
EOF
xorriso -as mkisofs -quiet -o "$WORK/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table -R -J "$ISO" >>"$BUILDLOG" 2>&1 ||
	die "xorriso failed (see $BUILDLOG)"
TIMES[initramfs]="$(($(now) - t))s"

# ---------------------------------------------------------------- KTAP helpers
PASS=0
FAIL=0
SKIP=0
count_ktap() { # FILE: add its top-level KTAP/TAP results to the counters
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		case "$line" in
		"ok "[0-9]*)
			shopt -s nocasematch
			if [[ "$line" == *"# skip"* ]]; then
				SKIP=$((SKIP + 1))
			else
				PASS=$((PASS + 1))
			fi
			shopt -u nocasematch
			;;
		"not ok "[0-9]*) FAIL=$((FAIL + 1)) ;;
		esac
	done <"$1"
}

# ---------------------------------------------------------------- the emulator lock
# One emulator run at a time on the machine (2 cores): every rig run takes
# this lock for its QEMU and Bochs phases; builds above run unlocked.
RIG_LOCK=${PVMX_RIG_LOCK:-/tmp/pvmx-rig.lock}
exec 7>>"$RIG_LOCK" || die "cannot open the rig lock $RIG_LOCK"
if ! flock -n 7; then
	say "waiting for another rig run (lock $RIG_LOCK)"
	t=$(now)
	flock 7
	TIMES[lock-wait]="$(($(now) - t))s"
fi

# ---------------------------------------------------------------- QEMU: refuse without VMX
RIG_KTAP=()
if [ "$MODE" = suite ] && [ "$REFUSE" = 1 ]; then
	t=$(now)
	QLOG=$WORK/qemu-serial.log
	timeout 120 qemu-system-x86_64 -cpu qemu64 -m "$MEM" -smp 1 -nographic -no-reboot \
		-kernel "$BZIMAGE" -initrd "$WORK/initramfs-refuse.cpio" -append "$CMDLINE" \
		</dev/null >"$QLOG" 2>&1 || true
	tr -d '\r' <"$QLOG" >"$QLOG.txt"
	why=
	ins=$(sed -n 's/.*PVMX-RIG-INSMOD=\([0-9]*\).*/\1/p' "$QLOG.txt" | head -n1)
	cpuvmx=$(sed -n 's/.*PVMX-RIG-CPUINFO-VMX=\([0-9]*\).*/\1/p' "$QLOG.txt" | head -n1)
	klines=$(grep -c '^PVMX-RIG-KLOG: ' "$QLOG.txt" || true)
	if ! grep -q 'PVMX-RIG-EXIT=' "$QLOG.txt"; then
		why="QEMU run did not complete (see $QLOG)"
	elif [ "$cpuvmx" != 0 ]; then
		why="QEMU guest CPU unexpectedly has vmx"
	elif [ -z "$ins" ] || [ "$ins" = 0 ]; then
		why="insmod succeeded without VMX (status ${ins:-?})"
	elif [ "$klines" != 1 ]; then
		why="expected exactly one 'pvmx:' kernel log line, got $klines"
	elif ! grep '^PVMX-RIG-KLOG: ' "$QLOG.txt" | grep -qi 'vmx'; then
		why="the 'pvmx:' line does not mention VMX"
	fi
	grep '^PVMX-RIG-KLOG: ' "$QLOG.txt" | sed 's/^PVMX-RIG-KLOG: /# /' >"$WORK/refuse.diag" || true
	if [ -z "$why" ]; then
		RIG_KTAP+=("ok 1 refuse to load without VMX")
	else
		RIG_KTAP+=("not ok 1 refuse to load without VMX # $why")
	fi
	TIMES[refuse]="$(($(now) - t))s"
	{
		echo "KTAP version 1"
		echo "1..1"
		echo "# insmod without VMX (QEMU TCG, -cpu qemu64): status ${ins:-?}"
		cat "$WORK/refuse.diag"
		printf '%s\n' "${RIG_KTAP[@]}"
	} | tee "$WORK/rig.ktap"
	count_ktap "$WORK/rig.ktap"
fi

# ---------------------------------------------------------------- Bochs
SERIAL=$WORK/serial.log
OUTLOG=$WORK/out.log
: >"$SERIAL"
: >"$OUTLOG"
cat >"$WORK/bochsrc" <<EOF
megs: $MEM
cpu: model=corei7_haswell_4770, count=$CPUS, ips=100000000, reset_on_triple_fault=0, ignore_bad_msrs=1
romimage: file=/usr/share/bochs/BIOS-bochs-latest, options=fastboot
vgaromimage: file=/usr/share/vgabios/vgabios.bin
pci: enabled=1, chipset=i440fx
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path="$WORK/boot.iso", status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev="$SERIAL"
com2: enabled=1, mode=file, dev="$OUTLOG"
display_library: term
clock: sync=none, time0=local
log: $WORK/bochs.log
panic: action=fatal
error: action=ignore
info: action=ignore
debug: action=ignore
speaker: enabled=0
mouse: enabled=0
EOF
printf 'c\nquit\n' >"$WORK/bochs.rc"

say "booting Bochs: $CPUS CPU(s), ${MEM} MB, timeout ${TIMEOUT} s"
t_boot=$(now)
setsid script -qfec "bochs-bin -q -f '$WORK/bochsrc' -rc '$WORK/bochs.rc'" /dev/null \
	</dev/null >"$WORK/bochs-term.out" 2>&1 &
SCRIPT_PID=$!
KILL_PIDS+=("$SCRIPT_PID")

# Bochs built with its debugger keeps stdio for the debugger and draws the
# term display on a pty of its own that nobody reads: its cursor updates
# (even with the kernel's console on serial) fill that pty in about 20
# minutes, Bochs blocks writing to it and the VM stops.  Read it away.
drain_screen() {
	local pts= _
	for _ in $(seq 1 120); do
		pts=$(sed -n 's/^Bochs connected to screen "\(\/dev\/pts\/[0-9]*\)".*/\1/p' \
			"$WORK/bochs-term.out" 2>/dev/null | head -n 1)
		[ -z "$pts" ] || break
		sleep 0.5
	done
	[ -n "$pts" ] || return 0
	stty -F "$pts" raw -echo 2>/dev/null || true
	exec cat "$pts" >/dev/null 2>&1
}
drain_screen </dev/null &
KILL_PIDS+=("$!")

# Stream the kernel's console: everything with -v, else what follows
# PVMX-RIG-BEGIN.
stream_console() {
	local line on=$VERBOSE
	while IFS= read -r line; do
		line=${line%$'\r'}
		case "$line" in
		*PVMX-RIG-EXIT=*)
			[ "$VERBOSE" = 0 ] || printf '%s\n' "$line"
			return 0
			;;
		*PVMX-RIG-BEGIN*)
			[ "$VERBOSE" = 0 ] || printf '%s\n' "$line"
			on=1
			;;
		*) [ "$on" = 0 ] || printf '%s\n' "$line" ;;
		esac
	done
}
tail -n +1 -F --pid=$$ "$SERIAL" 2>/dev/null | stream_console &
STREAM_PID=$!
KILL_PIDS+=("$STREAM_PID")

# Stream what the mode's commands print (the second serial port) up to
# /init's PVMX-RIG-END; in conformance mode, note the wall-clock time at
# which each guest starts ("# run ...") and gets its result.
WALLTIMES=
[ "$MODE" != conformance ] || { WALLTIMES=$WORK/walltimes; : >"$WALLTIMES"; }
# It notes how many lines it printed, so that the end can be caught up.
stream_output() {
	local line n=0
	while IFS= read -r line; do
		case "$line" in
		*PVMX-RIG-END)
			line=${line%PVMX-RIG-END}
			[ -z "$line" ] || printf '%s\n' "$line"
			echo "end" >"$WORK/out.streamed"
			return 0
			;;
		esac
		printf '%s\n' "$line"
		n=$((n + 1))
		echo "$n" >"$WORK/out.streamed"
		if [ -n "$WALLTIMES" ]; then
			case "$line" in
			"# run "* | "ok "* | "not ok "*) printf '%s %s\n' "$EPOCHREALTIME" "$line" >>"$WALLTIMES" ;;
			esac
		fi
	done
}
tail -n +1 -F --pid=$$ "$OUTLOG" 2>/dev/null | stream_output &
OUTSTREAM_PID=$!
KILL_PIDS+=("$OUTSTREAM_PID")

bochs_pids() { # the Bochs processes under our script(1)
	cat "/proc/$SCRIPT_PID/task/"*/children 2>/dev/null | tr ' ' '\n' | grep . || true
}
kill_vm() {
	local p
	# Bochs first: script(1) then reaps it and exits by itself.
	for p in $(bochs_pids); do
		kill "$p" 2>/dev/null || true
	done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$SCRIPT_PID" 2>/dev/null || break
		sleep 0.2
	done
	for p in $(bochs_pids); do
		kill -9 "$p" 2>/dev/null || true
	done
	sleep 0.2
	kill "$SCRIPT_PID" 2>/dev/null || true
	wait "$SCRIPT_PID" 2>/dev/null || true
}

serial_tail() { # shown on failures, when the streamed output lacks it
	if [ "$VERBOSE" = 1 ]; then
		return 0
	fi
	if [ -n "$t_init" ]; then
		say "(the VM's output since /init is above; kernel console: $SERIAL, commands: $OUTLOG)"
	else
		say "serial log tail (boot did not reach /init):"
		tail -n 40 "$SERIAL" | tr -d '\r' >&2
	fi
}

STATUS=
OUTCOME=
t_init=
deadline=$((t_boot + TIMEOUT))
while :; do
	if [ -z "$t_init" ] && grep -q 'PVMX-RIG-BEGIN' "$SERIAL"; then
		t_init=$(now)
	fi
	if grep -q 'PVMX-RIG-EXIT=' "$SERIAL"; then
		STATUS=$(sed -n 's/.*PVMX-RIG-EXIT=\([0-9]*\).*/\1/p' "$SERIAL" | head -n1)
		OUTCOME=finished
		break
	fi
	# The kernel's console only: a guest's panic message is on the other port.
	if grep -q 'Kernel panic' "$SERIAL"; then
		sleep 1
		OUTCOME=panic
		break
	fi
	if ! kill -0 "$SCRIPT_PID" 2>/dev/null; then
		sleep 0.5
		grep -q 'PVMX-RIG-EXIT=' "$SERIAL" && continue
		OUTCOME=exited
		break
	fi
	if [ "$(now)" -ge "$deadline" ]; then
		OUTCOME=timeout
		break
	fi
	sleep 0.5
done
t_end=$(now)

# Let the VM power off by itself (a few s), then make sure it is gone.
if [ "$OUTCOME" = finished ]; then
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$SCRIPT_PID" 2>/dev/null || break
		sleep 0.5
	done
fi
kill_vm
if [ "$OUTCOME" = finished ]; then
	# The streamers stop by themselves at their sentinels.
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		kill -0 "$STREAM_PID" 2>/dev/null || kill -0 "$OUTSTREAM_PID" 2>/dev/null || break
		sleep 0.2
	done
fi
kill "$STREAM_PID" "$OUTSTREAM_PID" 2>/dev/null || true
wait "$STREAM_PID" "$OUTSTREAM_PID" 2>/dev/null || true
# What the output streamer had not shown yet (tail -F can lag behind the
# end of a run): the rest of out.log up to PVMX-RIG-END.
streamed=$(cat "$WORK/out.streamed" 2>/dev/null || echo 0)
if [ "$streamed" != end ]; then
	tail -n +"$((streamed + 1))" "$OUTLOG" | sed -e '/^PVMX-RIG-END$/d' -e 's/PVMX-RIG-END$//'
fi
if [ -n "$t_init" ] && ! grep -q 'PVMX-RIG-BEGIN.* out=/dev/ttyS1' "$SERIAL"; then
	say "warning: no second serial port in the VM: the commands' output shared the kernel's" \
		"console, where a guest's panic message reads as the kernel's"
fi

if [ -n "$t_init" ]; then
	TIMES[boot]="$((t_init - t_boot))s"
	TIMES[run]="$((t_end - t_init))s"
else
	TIMES[boot]="-"
	TIMES[run]="-"
fi

rc=0
case "$OUTCOME" in
finished)
	say "VM finished: exit status $STATUS"
	[ "$STATUS" = 0 ] || rc=1
	;;
panic)
	say "error: kernel panic in the VM; serial log tail:"
	tail -n 60 "$SERIAL" | tr -d '\r' >&2
	rc=1
	;;
exited)
	say "error: Bochs exited without the PVMX-RIG-EXIT sentinel; Bochs log tail:"
	grep -iE 'panic|error|fatal' "$WORK/bochs.log" | tail -n 15 >&2 || true
	serial_tail
	rc=1
	;;
timeout)
	say "error: TIMEOUT after ${TIMEOUT} s: the VM was killed"
	serial_tail
	rc=1
	;;
esac

# ---------------------------------------------------------------- debug kernel
# Any splat fails the run: KASAN, UBSAN, lockdep, debugobjects, list
# corruption, sleeping in atomic context, oopses; and a kmemleak report
# whose backtrace names pvmx (the kernel's own boot-time reports are shown
# but not held against pvmx).
if [ "$DEBUG_KERNEL" = 1 ]; then
	# From /init on: the kernel's own boot-time reports under Bochs (UBSAN
	# in apic_flat_64.c) are not pvmx's.
	tr -d '\r' <"$SERIAL" | sed -n '/PVMX-RIG-BEGIN/,$p' >"$WORK/serial.txt"
	grep -E 'BUG:|WARNING:|Oops|general protection|UBSAN:|KASAN:|kernel BUG|refcount_t:|INFO: (possible|inconsistent|trying|task .* blocked)|ODEBUG:|list_(add|del) corruption|invoked oom-killer' \
		"$WORK/serial.txt" >"$WORK/splats.txt" || true
	sed -n 's/^.*PVMX-RIG-KMEMLEAK: //p' "$WORK/serial.txt" >"$WORK/kmemleak.txt"
	nleak=$(grep -c '^unreferenced object' "$WORK/kmemleak.txt" || true)
	# One report per "unreferenced object" paragraph: count those naming pvmx.
	pvmx_leaks=$(awk '/^unreferenced object/ { if (p) n++; p = 0 } /pvmx/ { p = 1 }
		END { if (p) n++; print n + 0 }' "$WORK/kmemleak.txt")
	if [ -s "$WORK/splats.txt" ]; then
		say "error: debug kernel splats:"
		head -n 40 "$WORK/splats.txt" >&2
		rc=1
		echo "not ok - debug kernel: $(wc -l <"$WORK/splats.txt") splat lines"
		FAIL=$((FAIL + 1))
	else
		echo "ok - debug kernel: no splats"
		PASS=$((PASS + 1))
	fi
	if grep -q 'PVMX-RIG-KMEMLEAK-END' "$WORK/serial.txt"; then
		say "kmemleak: $nleak unreferenced objects, $pvmx_leaks with pvmx in the backtrace"
		if [ "$pvmx_leaks" != 0 ]; then
			echo "not ok - debug kernel: kmemleak: $pvmx_leaks pvmx leaks"
			head -n 60 "$WORK/kmemleak.txt" >&2
			rc=1
			FAIL=$((FAIL + 1))
		else
			echo "ok - debug kernel: kmemleak: no pvmx leaks"
			PASS=$((PASS + 1))
		fi
	else
		echo "not ok - debug kernel: no kmemleak report"
		say "error: no kmemleak report (debugfs or kmemleak missing?)"
		rc=1
		FAIL=$((FAIL + 1))
	fi
	# --cmd/--demo report the command's status: a splat or leak makes it 1.
	[ "$MODE" = suite ] || [ "$MODE" = conformance ] || [ "$rc" = 0 ] || [ "${STATUS:-0}" != 0 ] || STATUS=1
fi

# ---------------------------------------------------------------- results
if [ "$MODE" = suite ] || [ "$MODE" = conformance ]; then
	if [ "$MODE" = suite ]; then
		what="in-VM suite" runner=run_all.sh
	else
		what="conformance run" runner=conformance.sh
	fi
	KTAP=$WORK/$MODE.ktap
	tr -d '\r' <"$OUTLOG" | sed 's/PVMX-RIG-END$//' >"$KTAP"
	if [ ! -s "$KTAP" ]; then
		# No second serial port?  Fall back to the console log.
		tr -d '\r' <"$SERIAL" | sed -n '/PVMX-RIG-BEGIN/,/PVMX-RIG-EXIT=/p' >"$KTAP"
	fi
	before=$((PASS + FAIL + SKIP))
	count_ktap "$KTAP"
	if [ "$OUTCOME" != finished ]; then
		FAIL=$((FAIL + 1))
		# The guest that was running: its "# run" line has no result after it.
		during=$(awk '/^# run / { id = $3; sub(/:$/, "", id) } /^(not )?ok / { id = "" }
			END { if (id != "") print " while " id " ran" }' "$KTAP")
		echo "not ok - $what did not complete ($OUTCOME)$during"
	elif [ "$((PASS + FAIL + SKIP))" = "$before" ]; then
		FAIL=$((FAIL + 1))
		rc=1
		echo "not ok - $what printed no KTAP results"
	elif [ "$STATUS" != 0 ] && [ "$FAIL" = 0 ]; then
		FAIL=$((FAIL + 1))
		echo "not ok - $runner exited with status $STATUS"
	fi
	[ "$FAIL" = 0 ] || rc=1
fi
# Conformance: each guest's wall-clock time, from its "# run" line to its
# result (the in-VM times above are the VM's own, slower clock).
if [ "$MODE" = conformance ] && [ -s "$WALLTIMES" ]; then
	awk '$2 == "#" && $3 == "run" { id = $4; sub(/:$/, "", id); t0[id] = $1; next }
		$2 == "ok" || ($2 == "not" && $3 == "ok") {
			id = ($2 == "ok") ? $4 : $5
			if (id in t0) {
				printf "# wall %-32s %7.1f s  %s\n", id, $1 - t0[id], ($2 == "ok") ? "ok" : "not ok"
				sum += $1 - t0[id]
			}
		}
		END { printf "# wall total of the guests: %.1f s\n", sum }' "$WALLTIMES" |
		tee "$WORK/conformance-times.txt"
fi
if [ "${#RIG_KTAP[@]}" -gt 0 ] && [[ "${RIG_KTAP[0]}" == "not ok"* ]]; then
	rc=1
fi

T_TOTAL=$(($(now) - T_START))
say "timings: kernel=${TIMES[kernel]} build=${TIMES[build]} initramfs+iso=${TIMES[initramfs]}" \
	"refuse(qemu)=${TIMES[refuse]:--} boot-to-init=${TIMES[boot]} run=${TIMES[run]} total=${T_TOTAL}s"
if [ "$MODE" = suite ] || [ "$MODE" = conformance ]; then
	if [ "$MODE" = suite ]; then
		echo "vmtest: $PASS passed, $FAIL failed, $SKIP skipped"
	else
		echo "conformance: $PASS passed, $FAIL failed, $SKIP skipped"
	fi
	# One line per run, so that several runs can share the file (.ci/run).
	if [ -n "${PVMX_RIG_SUMMARY:-}" ]; then
		echo "$PASS $FAIL $SKIP $MODE" >>"$PVMX_RIG_SUMMARY"
	fi
fi

if [ "$MODE" = suite ] || [ "$MODE" = conformance ] || [ "$OUTCOME" != finished ]; then
	RESULT=$rc
	exit "$rc"
fi
# demo / cmd: the command's own status.
RESULT=$STATUS
exit "$STATUS"
