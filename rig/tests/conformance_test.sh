#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/tests/conformance_test.sh - host test of the conformance harness
# without an emulator or third-party guests (make rig-test):
# rig/conformance-manifest.sh on made-up guest directories, and
# selftests/conformance.sh judging a stub launcher that plays every outcome
# (each expected result, wrong results, crash, hang, idle, missing image,
# a dirty kernel log).  KTAP on stdout; exit 1 on any failure.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$(dirname "$HERE")")
MANIFEST_SH=$REPO/rig/conformance-manifest.sh
RUNNER=$REPO/selftests/conformance.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/pvmx-conftest.XXXXXX")
trap 'rm -rf "$T"' EXIT

. "$(dirname "$0")/ktap.sh"
has_line() { grep -qxF -- "$2" "$1" || { echo "# $1 lacks the line: $2"; sed 's/^/#   /' "$1" | head -n 60; return 1; }; }
lacks() { ! grep -qF -- "$2" "$1" || { echo "# $1 has: $2"; return 1; }; }

echo "KTAP version 1"

# ---- a made-up guests directory ---------------------------------------------------
G=$T/guests
mkxtf() { # TEST [CFG-SUFFIX] [EXTRA CFG LINES]
	mkdir -p "$G/xtf/$1"
	: >"$G/xtf/$1/test-pv32pae-$1"
	{
		echo "name=\"test-pv32pae-$1${2:-}\""
		echo ""
		echo "vcpus=1 "
		echo "type=\"pv\""
		echo "loader=\"generic\" # Legacy for before Xen 4.10"
		echo "memory=128"
		echo "kernel=\"$1/test-pv32pae-$1\""
		printf '%b' "${3:-}"
	} >"$G/xtf/$1/test-pv32pae-$1${2:-}.cfg"
}
mkxtf example
mkxtf argo
mkxtf pv-iopl "~hypercall" '# Test Variation Configuration:\ncmdline="hypercall"\n'
mkxtf spaced "" 'cmdline = "a b  c" # comment\n'
mkxtf smp "" 'vcpus=2\n'
mkxtf crash
mkxtf panic
mkxtf hang
mkxtf skipper
mkxtf wrongres
mkdir -p "$G/xtf/broken"
printf 'name="x"\nkernel="broken/nothere"\nmemory=128\n' >"$G/xtf/broken/test-pv32pae-broken.cfg"
mkdir -p "$G/minios" "$G/linux-pv32"
: >"$G/minios/minios-app.elf"
: >"$G/minios/minios-stock.elf"
: >"$G/linux-pv32/vmlinux"

M=$T/manifest
"$MANIFEST_SH" "$G" >"$M"
rc=$?
check "manifest: exit 0" [ "$rc" = 0 ]
TAB=$'\t'
row() { local IFS="$TAB"; echo "$*"; }
check "manifest: plain XTF test, expect SUCCESS" \
	has_line "$M" "$(row xtf/example xtf xtf/example/test-pv32pae-example 1 128 20 SUCCESS '')"
check "manifest: argo expects SKIP" \
	has_line "$M" "$(row xtf/argo xtf xtf/argo/test-pv32pae-argo 1 128 20 SKIP '')"
check "manifest: a variant keeps its cmdline and shares the image" \
	has_line "$M" "$(row 'xtf/pv-iopl~hypercall' xtf xtf/pv-iopl/test-pv32pae-pv-iopl 1 128 20 SUCCESS hypercall)"
check "manifest: a quoted cmdline keeps its blanks, a comment is dropped" \
	has_line "$M" "$(row xtf/spaced xtf xtf/spaced/test-pv32pae-spaced 1 128 20 SUCCESS 'a b  c')"
check "manifest: the last vcpus= wins" \
	has_line "$M" "$(row xtf/smp xtf xtf/smp/test-pv32pae-smp 2 128 20 SUCCESS '')"
check "manifest: a config naming a missing image is an error" \
	grep -q "^xtf/broken${TAB}error${TAB}.*no such file" "$M"
check "manifest: Mini-OS app and stock" bash -c "
	grep -qxF '$(row minios/app marker minios/minios-app.elf 1 64 30 'MINIOS-TEST: PASS' '')' '$M' &&
	grep -qxF '$(row minios/stock idle minios/minios-stock.elf 1 64 15 'kernel.c: dummy main' '')' '$M'"
check "manifest: Linux with 1 and 2 vCPUs" bash -c "
	grep -qxF '$(row linux/vmlinux-1vcpu marker linux-pv32/vmlinux 1 128 300 'LINUX-PV32: PASS' 'console=hvc0 earlyprintk=xen')' '$M' &&
	grep -qxF '$(row linux/vmlinux-2vcpu marker linux-pv32/vmlinux 2 128 300 'LINUX-PV32: PASS' 'console=hvc0 earlyprintk=xen')' '$M'"
check "manifest: no vmlinux-smp is a skip with its reason" \
	grep -q "^linux/vmlinux-smp-2vcpu${TAB}skip${TAB}.*vmlinux-smp is absent" "$M"
check "manifest: every line has eight fields" \
	awk -F '\t' '!/^#/ && NF != 8 { print "# bad line: " $0; bad = 1 } END { exit bad }' "$M"
check "manifest: timeouts from the environment" bash -c \
	"PVMX_CONF_TIMEOUT_XTF=7 '$MANIFEST_SH' '$G' | grep -q '^xtf/example${TAB}xtf${TAB}[^${TAB}]*${TAB}1${TAB}128${TAB}7${TAB}'"
: >"$G/linux-pv32/vmlinux-smp"
check "manifest: vmlinux-smp, when present, runs with 2 vCPUs" bash -c \
	"'$MANIFEST_SH' '$G' | grep -qxF '$(row linux/vmlinux-smp-2vcpu marker linux-pv32/vmlinux-smp 2 128 300 'LINUX-PV32: PASS' 'console=hvc0 earlyprintk=xen')'"
check "manifest: vmlinux-smp, when present, runs with 4 vCPUs" bash -c \
	"'$MANIFEST_SH' '$G' | grep -qxF '$(row linux/vmlinux-smp-4vcpu marker linux-pv32/vmlinux-smp 4 128 300 'LINUX-PV32: PASS' 'console=hvc0 earlyprintk=xen')'"
rm -f "$G/linux-pv32/vmlinux-smp"
check "manifest: no vmlinux-fe: the device tests are skips with the reason" bash -c "
	[ \$(grep -c '^linux/fe-[a-z-]*${TAB}skip${TAB}-${TAB}1${TAB}1${TAB}1${TAB}vmlinux-fe is absent (build.sh with the front-end config, testing.rst)${TAB}\$' '$M') = 5 ]"
: >"$G/linux-pv32/vmlinux-fe"
"$MANIFEST_SH" "$G" >"$T/m-fe"
FE='console=hvc0 earlyprintk=xen root=/dev/xvda rw rdinit=/nonexistent init=/devinit devtest'
check "manifest: vmlinux-fe: write, verify, ro, bench, then net (read-only) on one disk, in that order" bash -c "
	grep '^linux/fe-' '$T/m-fe' | cut -f1,2 | tr '\t\n' ' ;' |
		grep -qxF 'linux/fe-disk-write disk:linuxfe.img;linux/fe-disk-verify disk:linuxfe.img;linux/fe-disk-ro disk:linuxfe.img,ro;linux/fe-disk-bench disk:linuxfe.img;linux/fe-net disk:linuxfe.img,ro+net;' &&
	grep -qxF '$(row linux/fe-disk-ro disk:linuxfe.img,ro linux-pv32/vmlinux-fe 1 128 300 'DEVINIT: ro PASS' "$FE=ro")' '$T/m-fe' &&
	grep -qxF '$(row linux/fe-net disk:linuxfe.img,ro+net linux-pv32/vmlinux-fe 1 128 300 'DEVINIT: net PASS' "$FE=net")' '$T/m-fe'"
rm -f "$G/linux-pv32/vmlinux-fe"

check "manifest: no minios-fe.elf: Mini-OS's front-end tests are skips with the reason" bash -c "
	[ \$(grep -c '^minios/fe-\(disk\|net\)${TAB}skip${TAB}-${TAB}1${TAB}1${TAB}1${TAB}minios-fe.elf is absent (Mini-OS with its front ends, Documentation/testing.rst)${TAB}\$' '$M') = 2 ]"
: >"$G/minios/minios-fe.elf"
"$MANIFEST_SH" "$G" >"$T/m-fe-minios"
MFE_DISK='^[0-9]+ sectors of 512 bytes$ && ^[1-9][0-9]* read, [1-9][0-9]* write$ && !bogus data|got error code|error -?[0-9]+ on |Block device is read-only|backend not available'
MFE_NET='^backend at /local/domain/0/backend/vif/[0-9]+/0$ && ^mac is 00:16:3e(:[0-9a-f]{2}){3}$ && ^[*]{26}$ && ^Shutting down \(poweroff\)$ && ^close network: backend at /local/domain/0/backend/vif/[0-9]+/0$ && !backend not avalable|backend/mac failed|packet error|shutdown_netfront: error'
check "manifest: minios-fe.elf: fe-disk (a scratch copy as hda) and fe-net (xvda read-only, a network, asked to power off)" bash -c "
	grep -qxF '$(row minios/fe-disk disk:linuxfe.img,vdev=hda+copy+timeout minios/minios-fe.elf 1 64 30 "$MFE_DISK" '')' '$T/m-fe-minios' &&
	grep -qxF '$(row minios/fe-net disk:linuxfe.img,ro+net+shutdown=15 minios/minios-fe.elf 1 64 30 "$MFE_NET" '')' '$T/m-fe-minios'"
rm -f "$G/minios/minios-fe.elf"

E=$T/empty
mkdir -p "$E"
"$MANIFEST_SH" "$E" >"$T/m-empty"
check "manifest: an empty directory gives only skips, with reasons" bash -c "
	[ \$(grep -vc '^#' '$T/m-empty') = 13 ] && ! grep -v '^#' '$T/m-empty' | grep -qv '${TAB}skip${TAB}' &&
	grep -q 'no $E/xtf directory' '$T/m-empty'"
"$MANIFEST_SH" "$T/absent" >/dev/null 2>&1
check "manifest: a missing directory is exit 2" [ "$?" = 2 ]

# The rig itself: no guests directory is one skip with the reason, before
# anything is built or booted.
PVMX_GUESTS_DIR=$T/absent PVMX_RIG_SUMMARY=$T/summary "$REPO/rig/vmtest.sh" --conformance \
	>"$T/rig-absent.out" 2>&1
rc=$?
check "rig: an absent guests directory is a skip with its reason, counted" bash -c "
	[ $rc = 0 ] && grep -qxF \"ok 1 conformance # SKIP no third-party guests: '$T/absent' is not a directory (set PVMX_GUESTS_DIR or --guests DIR)\" '$T/rig-absent.out' &&
	grep -qxF '0 0 1 conformance' '$T/summary'"

# ---- the runner against a stub launcher ------------------------------------------
# The stub's behaviour follows the image's name; it records its arguments.
STUB=$T/pvmx
cat >"$STUB" <<'EOF'
#!/bin/sh
echo "$*" >>"$STUB_LOG"
for img; do :; done
xtf() { echo "--- Xen Test Framework ---"; echo "Environment: PV 32bit (PAE 3 levels)"; echo "$1"; echo "Test result: $2"; }
case $img in
*-example|*-pv-iopl|*-spaced|*-smp) xtf "all good" SUCCESS ;;
*-argo) xtf "Skip: Argo support has not been enabled in this hypervisor" SKIP ;;
*-skipper) xtf "Skip: no feature" SKIP ;;
*-wrongres) xtf "Error: Expected #DB, got nothing" ERROR ;;
*-crash) echo "--- Xen Test Framework ---"
	echo "pvmx: guest crashed: #GP in ring 1 with no trap table" >&2; exit 20 ;;
*-panic) echo "--- Xen Test Framework ---"; echo "Test initial debug state"; echo "******************************"
	printf 'PANIC: PANIC: Unhandled exception at e019:00103064\nVec 13 #GP[0000]\nUnhandled exception at e019:00103064\n'
	echo "pvmx: guest shut down: crash (reason 3)" >&2; exit 13 ;;
*-hang) printf 'Xenstore read'; echo "pvmx: timeout after 20 s" >&2; exit 124 ;;
*minios-fe.elf) d=; prev=
	for a; do [ "$prev" != --disk ] || d=${a%%,*}; prev=$a; done
	[ -z "$d" ] || { echo "$d" >>"$STUB_LOG.disks"; echo written >>"$d"; }
	printf '8192 sectors of 512 bytes\r\n**************************\n0 read, 1536 write\n'
	[ "${STUB_MINIOS:-}" = noread ] || echo "21662720 read, 21663232 write"
	[ "${STUB_MINIOS:-}" != bogus ] || echo "bogus data at offset 1234"
	[ "${STUB_MINIOS:-}" != exit0 ] || exit 0
	case " $* " in *" --shutdown-after "*)
		[ "${STUB_MINIOS:-}" != ignore ] || { echo "pvmx: timeout after 30 s" >&2; exit 124; }
		echo "close network: backend at /local/domain/0/backend/vif/1/0"
		echo "Shutting down (poweroff)"; exit 0 ;;
	esac
	echo "pvmx: timeout after 30 s" >&2; exit 124 ;;
*minios-app.elf) echo "MINIOS-TEST: PASS"; exit 0 ;;
*minios-stock.elf) printf 'Xen Minimal OS (pv)!\r\nkernel.c: dummy main: par=0\r\n'
	echo "pvmx: timeout after 15 s" >&2
	echo '{"version":1,"hypercalls":{"sched_op_compat":{"count":9},"sched_op":{"count":7,"cycles":1}}}' >&2
	exit 124 ;;
*vmlinux) echo "[    1.000000] BUG: unable to handle kernel paging request at c7ef0000"
	echo "(early) [    1.000000] BUG: unable to handle kernel paging request at c7ef0000"
	echo "[    3.600000] Kernel panic - not syncing: Attempted to kill the idle task!"
	echo "pvmx: guest shut down: crash (reason 3)" >&2; exit 13 ;;
esac
exit 0
EOF
chmod +x "$STUB"
mkdir -p "$T/bin"
KLOG=$T/kmsg
printf '#!/bin/sh\ncat "%s"\n' "$KLOG" >"$T/bin/dmesg"
chmod +x "$T/bin/dmesg"
: >"$KLOG"
O=$T/ktap
STUB_LOG=$T/args PATH="$T/bin:$PATH" PVMX=$STUB PVMX_CONF_GUESTS=$G PVMX_CONF_KMSG=$KLOG \
	sh "$RUNNER" "$M" >"$O" 2>"$T/runner.err"
rc=$?
check "runner: exit 1 when a guest failed" [ "$rc" = 1 ]
check "runner: plan covers every guest and the log check" has_line "$O" "1..25"
check "runner: passes" bash -c "
	grep -qE '^ok [0-9]+ xtf/example$' '$O' && grep -qE '^ok [0-9]+ xtf/argo$' '$O' &&
	grep -qE '^ok [0-9]+ xtf/pv-iopl~hypercall$' '$O' && grep -qE '^ok [0-9]+ minios/app$' '$O' &&
	grep -qE '^ok [0-9]+ host_log_clean$' '$O'"
check "runner: a SKIP where SUCCESS is expected fails, with the guest's reason" \
	grep -qE '^not ok [0-9]+ xtf/skipper # Test result: SKIP, want SUCCESS: Skip: no feature$' "$O"
check "runner: a wrong result names it" \
	grep -qE '^not ok [0-9]+ xtf/wrongres # Test result: ERROR, want SUCCESS: Error: Expected #DB, got nothing$' "$O"
check "runner: a crash names the hypervisor's reason" \
	grep -qE "^not ok [0-9]+ xtf/crash # no 'Test result:' line; the hypervisor crashed the guest: #GP in ring 1 with no trap table; last line: --- Xen Test Framework ---$" "$O"
check "runner: an XTF panic names its exception" \
	grep -qF "xtf/panic # no 'Test result:' line; the guest shut down with reason crash (exit 13); PANIC: Unhandled exception at e019:00103064 Vec 13 #GP[0000]" "$O"
check "runner: a hang is reported as such, with the console tail (its last line unfinished)" bash -c "
	grep -qE '^not ok [0-9]+ xtf/hang # no .Test result:. line; timeout: no result within 20 s \(hang\); last line: Xenstore read$' '$O' &&
	grep -qxF '#   Xenstore read' '$O' && grep -qxF '# launcher:' '$O'"
check "runner: Mini-OS stock idle (timeout, last boot line, blocked)" grep -qE '^ok [0-9]+ minios/stock$' "$O"
check "runner: a guest's panic is a failure with its status" \
	grep -qE "^not ok [0-9]+ linux/vmlinux-1vcpu # no 'LINUX-PV32: PASS'; the guest shut down with reason crash \(exit 13\); first: BUG: unable to handle kernel paging request at c7ef0000$" "$O"
check "runner: a manifest error is a failure" grep -qE '^not ok [0-9]+ xtf/broken # .*no such file$' "$O"
check "runner: a manifest skip is a KTAP skip" grep -qE '^ok [0-9]+ linux/vmlinux-smp-2vcpu # SKIP no SMP kernel' "$O"
check "runner: per-guest times" grep -qE '^# time xtf/example [0-9]+\.[0-9]{2} s, exit 0$' "$O"
check "runner: totals" has_line "$O" "# Totals: pass:8 fail:8 xfail:0 xpass:0 skip:9 error:0"
check "runner: the config's settings reach the launcher" bash -c "
	grep -qxF -- 'run --timeout 20 --vcpus 1 --memory 128M --cmdline hypercall $G/xtf/pv-iopl/test-pv32pae-pv-iopl' '$T/args' &&
	grep -qxF -- 'run --timeout 20 --vcpus 1 --memory 128M --cmdline a b  c $G/xtf/spaced/test-pv32pae-spaced' '$T/args' &&
	grep -qxF -- 'run --timeout 20 --vcpus 2 --memory 128M $G/xtf/smp/test-pv32pae-smp' '$T/args' &&
	grep -qxF -- 'run --timeout 15 --vcpus 1 --memory 64M --stats=json $G/minios/minios-stock.elf' '$T/args' &&
	grep -qxF -- 'run --timeout 300 --vcpus 2 --memory 128M --cmdline console=hvc0 earlyprintk=xen $G/linux-pv32/vmlinux' '$T/args'"

# A disk:SPEC guest gets --disk DISKS/SPEC; a missing disk image fails.
D=$T/disks
mkdir -p "$D"
: >"$D/linuxfe.img"
: >"$G/linux-pv32/vmlinux-fe"
printf '%s\n' "$(row linux/fe-disk-ro disk:linuxfe.img,ro linux-pv32/vmlinux-fe 1 128 300 'DEVINIT: ro PASS' 'devtest=ro')" \
	"$(row linux/fe-nodisk disk:absent.img linux-pv32/vmlinux-fe 1 128 300 'DEVINIT: ro PASS' 'devtest=ro')" >"$T/m-disk"
sed -i 's|^\*vmlinux) |*vmlinux-fe) echo "DEVINIT: ro PASS"; exit 0 ;;\n&|' "$STUB"
STUB_LOG=$T/args-disk PATH="$T/bin:$PATH" PVMX=$STUB PVMX_CONF_GUESTS=$G PVMX_CONF_KMSG=$KLOG \
	PVMX_CONF_DISKS=$D sh "$RUNNER" "$T/m-disk" >"$O.disk" 2>&1
check "runner: a disk guest runs with --disk and passes on its marker" bash -c "
	grep -qxF -- 'run --timeout 300 --vcpus 1 --memory 128M --cmdline devtest=ro --disk $D/linuxfe.img,ro $G/linux-pv32/vmlinux-fe' '$T/args-disk' &&
	grep -qE '^ok 1 linux/fe-disk-ro$' '$O.disk'"
check "runner: a disk guest without its image fails, not run" bash -c "
	grep -qE '^not ok 2 linux/fe-nodisk # .*disk image $D/absent.img: no such file' '$O.disk' &&
	[ \$(wc -l <'$T/args-disk') = 1 ]"

# A disk:SPEC+net guest also gets --net: a tap made with tunctl and ip where
# the VM can (removed after the run), else net_peer runs the launcher on
# pipes (fd=3:4); with neither it fails, not run.
printf '%s\n' "$(row linux/fe-net disk:linuxfe.img,ro+net linux-pv32/vmlinux-fe 1 128 300 'DEVINIT: ro PASS' 'devtest=net')" >"$T/m-net"
NB=$T/netbin
mkdir -p "$NB"
for t in tunctl ip; do printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$t" "$T/net-log" >"$NB/$t"; done
printf '#!/bin/sh\necho "net_peer $*" >>"%s"\nexec "$@"\n' "$T/net-log" >"$NB/peer"
chmod +x "$NB"/*
runnet() { # LOG [VAR=VALUE...]: the runner on m-net, the stub tools in PATH
	local log=$1
	shift
	: >"$T/net-log"
	env STUB_LOG="$T/$log" PATH="$NB:$T/bin:$PATH" PVMX=$STUB PVMX_CONF_GUESTS=$G \
		PVMX_CONF_KMSG=$KLOG PVMX_CONF_DISKS=$D "$@" sh "$RUNNER" "$T/m-net" >"$O.$log" 2>&1
}
NETARGS="run --timeout 300 --vcpus 1 --memory 128M --cmdline devtest=net --disk $D/linuxfe.img,ro"
runnet args-tap PVMX_CONF_TUN=/dev/null
check "runner: a +net guest gets a tap with 10.0.2.1/24, removed after the run" bash -c "
	grep -qxF -- '$NETARGS --net tap=pvmxtap0 $G/linux-pv32/vmlinux-fe' '$T/args-tap' &&
	grep -qE '^ok 1 linux/fe-net$' '$O.args-tap' &&
	tr '\n' ';' <'$T/net-log' | grep -qxF 'tunctl -d pvmxtap0;tunctl -t pvmxtap0;ip addr add 10.0.2.1/24 dev pvmxtap0;ip link set pvmxtap0 up;tunctl -d pvmxtap0;'"
runnet args-peer PVMX_CONF_TUN=$T/absent PVMX_NET_PEER=$NB/peer
check "runner: a +net guest without a tap runs under net_peer on pipes" bash -c "
	grep -qxF -- '$NETARGS --net fd=3:4 $G/linux-pv32/vmlinux-fe' '$T/args-peer' &&
	grep -qxF -- 'net_peer $STUB $NETARGS --net fd=3:4 $G/linux-pv32/vmlinux-fe' '$T/net-log' &&
	grep -qE '^ok 1 linux/fe-net$' '$O.args-peer'"
runnet args-none PVMX_CONF_TUN=$T/absent PVMX_NET_PEER=$T/absent
check "runner: a +net guest with neither a tap nor net_peer fails, not run" bash -c "
	grep -qE '^not ok 1 linux/fe-net # .*no network peer: no tap in this VM .* and no net_peer' '$O.args-none' &&
	[ ! -e '$T/args-none' ]"
rm -f "$G/linux-pv32/vmlinux-fe"

# A disk:SPEC+copy+timeout guest (Mini-OS's front ends): --disk gets a
# scratch copy of the image (the shared one unchanged, the copy removed
# after); it passes on exit 124 with every ERE matched and no '!' one.
printf 'shared image\n' >"$D/linuxfe.img"
: >"$G/minios/minios-fe.elf"
grep -E '^(#|minios/fe-disk)' "$T/m-fe-minios" >"$T/m-mfe"
runmfe() { # NAME [VAR=VALUE...]
	local name=$1
	shift
	rm -f "$T/args-$name" "$T/args-$name.disks"
	env STUB_LOG="$T/args-$name" PATH="$T/bin:$PATH" PVMX="$STUB" PVMX_CONF_GUESTS="$G" \
		PVMX_CONF_KMSG="$KLOG" PVMX_CONF_DISKS="$D" "$@" sh "$RUNNER" "$T/m-mfe" >"$O.$name" 2>&1
}
runmfe mfe
check "runner: a +copy+timeout guest writes a scratch copy (vdev kept), passes on its EREs at --timeout" bash -c "
	grep -qE '^ok 1 minios/fe-disk$' '$O.mfe' &&
	grep -qE -- '^run --timeout 30 --vcpus 1 --memory 64M --disk /tmp/.*/[0-9]+\.img,vdev=hda $G/minios/minios-fe.elf$' '$T/args-mfe' &&
	[ \$(wc -l <'$T/args-mfe.disks') = 1 ] && [ ! -e \$(cat '$T/args-mfe.disks') ] &&
	[ \"\$(cat '$D/linuxfe.img')\" = 'shared image' ]"
runmfe mfe-bogus STUB_MINIOS=bogus
check "runner: a +timeout guest printing a '!' line fails, naming it" \
	grep -qE "^not ok 1 minios/fe-disk # console has 'bogus data at offset 1234'$" "$O.mfe-bogus"
runmfe mfe-noread STUB_MINIOS=noread
check "runner: a +timeout guest missing a line fails, naming the ERE" \
	grep -qF "not ok 1 minios/fe-disk # no line matching '^[1-9][0-9]* read, [1-9][0-9]* write\$' within 30 s; last line: 0 read, 1536 write" "$O.mfe-noread"
runmfe mfe-exit0 STUB_MINIOS=exit0
check "runner: a +timeout guest that stops by itself fails" \
	grep -qE '^not ok 1 minios/fe-disk # stopped before --timeout: exit status 0' "$O.mfe-exit0"

# A disk:SPEC+shutdown=S guest: --shutdown-after S; it passes on exit 0
# (it powered off when asked) with its EREs matched.
grep -E '^(#|minios/fe-disk)' "$T/m-fe-minios" | sed 's/+copy+timeout/+shutdown=15/' >"$T/m-mfe"
runmfe mfe-sd
check "runner: a +shutdown=S guest gets --shutdown-after S and passes when it powers off" bash -c "
	grep -qE '^ok 1 minios/fe-disk$' '$O.mfe-sd' &&
	grep -qE -- '^run --timeout 30 --vcpus 1 --memory 64M --disk $D/linuxfe.img,vdev=hda --shutdown-after 15 $G/minios/minios-fe.elf$' '$T/args-mfe-sd'"
runmfe mfe-sd-ignore STUB_MINIOS=ignore
check "runner: a +shutdown=S guest that does not power off fails" \
	grep -qE '^not ok 1 minios/fe-disk # did not power off when asked: timeout' "$O.mfe-sd-ignore"
rm -f "$G/minios/minios-fe.elf"

# Mini-OS stock that does not block, and one that stops by itself.
grep -E '^(#|minios/stock)' "$M" >"$T/m-idle"
sed -i 's/"sched_op":{"count":7/"sched_op":{"count":1/' "$STUB"
STUB_LOG=$T/args PATH="$T/bin:$PATH" PVMX=$STUB PVMX_CONF_GUESTS=$G PVMX_CONF_KMSG=$KLOG \
	sh "$RUNNER" "$T/m-idle" >"$O.idle" 2>&1
check "runner: idle without blocking fails" \
	grep -qE '^not ok 1 minios/stock # booted but did not block \(sched_op count 1, want >= 2\)$' "$O.idle"
sed -i 's/exit 124 ;;$/exit 0 ;;/' "$STUB"
STUB_LOG=$T/args PATH="$T/bin:$PATH" PVMX=$STUB PVMX_CONF_GUESTS=$G PVMX_CONF_KMSG=$KLOG \
	sh "$RUNNER" "$T/m-idle" >"$O.idle2" 2>&1
check "runner: an idle guest that stops by itself fails" \
	grep -qE '^not ok 1 minios/stock # stopped before --timeout: exit status 0' "$O.idle2"

sed -i -e 's/kernel.c: dummy main: par=0\\r\\n/Initialising console ... /' -e 's/exit 0 ;;$/exit 124 ;;/' "$STUB"
STUB_LOG=$T/args PATH="$T/bin:$PATH" PVMX=$STUB PVMX_CONF_GUESTS=$G PVMX_CONF_KMSG=$KLOG \
	sh "$RUNNER" "$T/m-idle" >"$O.idle3" 2>&1
check "runner: an idle guest whose boot does not finish says where it stopped" \
	grep -qE "^not ok 1 minios/stock # no 'kernel.c: dummy main' within 15 s \(boot did not finish\); last line: Initialising console \.\.\.$" "$O.idle3"

# A splat in the kernel log after the start mark fails host_log_clean.
grep -E '^(#|xtf/example)' "$M" >"$T/m-one"
printf '#!/bin/sh\ncat "%s"\necho "[ 1.0] WARNING: CPU: 0 PID: 1 at module/x.c:1"\n' "$KLOG" >"$T/bin/dmesg"
STUB_LOG=$T/args PATH="$T/bin:$PATH" PVMX=$STUB PVMX_CONF_GUESTS=$G PVMX_CONF_KMSG=$KLOG \
	sh "$RUNNER" "$T/m-one" >"$O.klog" 2>&1
rc=$?
check "runner: a kernel splat fails host_log_clean" bash -c "
	[ $rc = 1 ] && grep -qE '^not ok 2 host_log_clean # 1 splat lines' '$O.klog' &&
	grep -qF '#   [ 1.0] WARNING: CPU: 0' '$O.klog'"

echo "1..$nr"
ktap_done conformance_test
