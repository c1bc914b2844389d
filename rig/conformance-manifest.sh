#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rig/conformance-manifest.sh GUESTS_DIR - the third-party guests of a
# conformance run (make conformance), one line per guest, on stdout.
#
# GUESTS_DIR is laid out as ../shared/guests (its README.md): xtf/<test>/
# with Xen xl configs test-pv32pae-<test>[~variant].cfg, minios/ and
# linux-pv32/.  Each manifest line holds eight tab-separated fields:
#
#   id  kind  image  vcpus  memory_mb  timeout_s  expect  cmdline
#
#   id        xtf/<test>[~variant], minios/app, linux/vmlinux-2vcpu, ...
#   kind      xtf     pass iff exit 0 and the last "Test result: X" is expect
#             marker  pass iff exit 0 and a console line contains expect
#             idle    pass iff stopped by --timeout (124), a console line
#                     contains expect and the guest blocked (>= 2 sched_op)
#             disk:SPEC  a marker guest given `--disk DISKS/SPEC` (SPEC is
#                     FILE[,OPTS], OPTS those of --disk; DISKS is the
#                     runner's disk directory, /rig/disks, where the rig puts
#                     selftests/linux's ext2 image as linuxfe.img); entries
#                     on one FILE share it, in manifest order.  Suffixes, in
#                     any order: +net and a network (--net; a tap with
#                     10.0.2.1 in the VM where it has one, else
#                     selftests/net_peer on pipes); +copy: a scratch copy of
#                     FILE instead (removed after the run); +timeout: judged
#                     as a guest that runs until --timeout: pass iff exit
#                     124 and, expect being " && "-separated EREs, each
#                     matches a console line and each "!ERE" none
#             skip    not run; expect is the reason
#             error   not run, a failure; expect is the reason
#   image     path relative to GUESTS_DIR ("-" for skip/error)
#   timeout_s the guest's --timeout, in the VM's seconds
#   cmdline   last, may be empty
#
# No field but cmdline is empty and none holds a tab or a newline.  Lines
# starting with '#' are comments.  Exit 0 with a manifest (possibly all
# skips), 2 when GUESTS_DIR is not a directory.
#
# Timeouts (PVMX_CONF_TIMEOUT_XTF, _MINIOS, _IDLE, _LINUX override them)
# are in the VM's own seconds: under Bochs one of those takes about 2.8 s.
set -euo pipefail

GDIR=${1:-}
if [ -z "$GDIR" ] || [ ! -d "$GDIR" ]; then
	echo "conformance-manifest: '${GDIR}' is not a directory" >&2
	exit 2
fi

T_XTF=${PVMX_CONF_TIMEOUT_XTF:-20}
T_MINIOS=${PVMX_CONF_TIMEOUT_MINIOS:-30}
T_IDLE=${PVMX_CONF_TIMEOUT_IDLE:-15}
T_LINUX=${PVMX_CONF_TIMEOUT_LINUX:-300}

# XTF tests whose expected result on Xen is SKIP.  argo: Xen without Argo
# (CONFIG_ARGO off, the default) answers XEN_ARGO_OP_register_ring with
# -ENOSYS and the test skips (xtf tests/argo/main.c, probe_for_argo()).
XTF_EXPECT_SKIP=" argo "

TAB=$'\t'
emit() { # id kind image vcpus memory timeout expect cmdline
	local f
	for f in "$@"; do
		case "$f" in
		*"$TAB"* | *$'\n'*)
			printf '%s\terror\t-\t1\t1\t1\tfield with a tab or newline in its config\t\n' "$1"
			return
			;;
		esac
	done
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@"
}
skip() { emit "$1" skip - 1 1 1 "$2" ""; }
err() { emit "$1" error - 1 1 1 "$2" ""; }

# cfg_value FILE KEY: the value of KEY = VALUE in an xl config (quotes
# removed; a trailing comment or blanks dropped); empty when absent.
cfg_value() {
	sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1 |
		sed -e 's/^"\([^"]*\)".*/\1/;t' -e "s/^'\([^']*\)'.*/\1/;t" \
			-e 's/^\([^#[:space:]]*\).*/\1/'
}

is_uint() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }

echo "# conformance manifest of $GDIR"
echo "# id	kind	image	vcpus	memory_mb	timeout_s	expect	cmdline"

# ---- XTF ---------------------------------------------------------------------
if [ ! -d "$GDIR/xtf" ]; then
	skip xtf "no $GDIR/xtf directory"
else
	shopt -s nullglob
	cfgs=("$GDIR"/xtf/*/*.cfg)
	shopt -u nullglob
	[ "${#cfgs[@]}" -gt 0 ] || err xtf "no xtf/*/*.cfg in $GDIR/xtf"
	for cfg in "${cfgs[@]}"; do
		base=$(basename "$cfg" .cfg)
		test=${base#test-pv32pae-}
		id=xtf/$test
		kernel=$(cfg_value "$cfg" kernel)
		vcpus=$(cfg_value "$cfg" vcpus)
		memory=$(cfg_value "$cfg" memory)
		cmdline=$(cfg_value "$cfg" cmdline)
		vcpus=${vcpus:-1}
		if [ "$base" = "$test" ]; then
			err "$id" "$cfg: not a pv32pae config (test-pv32pae-*.cfg)"
			continue
		fi
		if [ -z "$kernel" ]; then
			err "$id" "$cfg: no kernel="
			continue
		fi
		case "$kernel" in
		/* | *..*) err "$id" "$cfg: kernel=$kernel is not inside xtf/"; continue ;;
		esac
		if [ ! -f "$GDIR/xtf/$kernel" ]; then
			err "$id" "$cfg: kernel=$kernel: no such file"
			continue
		fi
		if ! is_uint "$vcpus" || ! is_uint "$memory"; then
			err "$id" "$cfg: vcpus=$vcpus memory=$memory: want positive numbers"
			continue
		fi
		name=${test%%~*}
		expect=SUCCESS
		[[ "$XTF_EXPECT_SKIP" != *" $name "* ]] || expect=SKIP
		emit "$id" xtf "xtf/$kernel" "$vcpus" "$memory" "$T_XTF" "$expect" "$cmdline"
	done
fi

# ---- Mini-OS -----------------------------------------------------------------
# The stock kernel's last boot line comes from its weak app_main(); then
# run_idle_thread() blocks (SCHEDOP_block with a timer) forever.
#
# minios-fe.elf (built with its front ends and test.c, BLKTEST_WRITE:
# Documentation/testing.rst, "Mini-OS's front ends") is absent from
# ../shared/guests and CI: its entries skip then.  Its test.c never ends
# by itself: it loops until the toolstack writes control/shutdown.
#   fe-disk: a scratch copy of linuxfe.img as hda (vbd 768, the node
#   Mini-OS's blkfront opens), no network: blkfront connects, writes random
#   sectors and reads each back, comparing ("bogus data" on a mismatch),
#   and prints its byte counts every 10 s of its clock.  Its loop never
#   yields the CPU (the ring never fills), so its shutdown thread could
#   not run: it runs until --timeout.
#   fe-net: a network and linuxfe.img read-only as xvda, which Mini-OS's
#   blkfront does not look for (it gives up): with hda its loop, served
#   synchronously, would never yield the CPU and netfront would not get to
#   connect.  netfront connects and prints its banner once Connected; after
#   15 s the launcher asks it to power off (--shutdown-after, as `xl
#   shutdown`): its shutdown thread takes netfront through Closing, Closed
#   and back to Initialising (it waits for the back end's InitWait) and
#   powers off.
FE_MINIOS_SKIP="minios-fe.elf is absent (Mini-OS with its front ends, Documentation/testing.rst)"
FE_MINIOS_DISK='^[0-9]+ sectors of 512 bytes$ && ^[1-9][0-9]* read, [1-9][0-9]* write$ && !bogus data|got error code|error -?[0-9]+ on |Block device is read-only|backend not available'
FE_MINIOS_NET='^backend at /local/domain/0/backend/vif/[0-9]+/0$ && ^mac is 00:16:3e(:[0-9a-f]{2}){3}$ && ^[*]{26}$ && ^Shutting down \(poweroff\)$ && ^close network: backend at /local/domain/0/backend/vif/[0-9]+/0$ && !backend not avalable|backend/mac failed|packet error|shutdown_netfront: error'
if [ ! -d "$GDIR/minios" ]; then
	skip minios/app "no $GDIR/minios directory"
	skip minios/stock "no $GDIR/minios directory"
	skip minios/fe-disk "no $GDIR/minios directory"
	skip minios/fe-net "no $GDIR/minios directory"
else
	if [ -f "$GDIR/minios/minios-fe.elf" ]; then
		emit minios/fe-disk "disk:linuxfe.img,vdev=hda+copy+timeout" minios/minios-fe.elf 1 64 \
			"$T_MINIOS" "$FE_MINIOS_DISK" ""
		emit minios/fe-net "disk:linuxfe.img,ro+net+shutdown=15" minios/minios-fe.elf 1 64 \
			"$T_MINIOS" "$FE_MINIOS_NET" ""
	else
		skip minios/fe-disk "$FE_MINIOS_SKIP"
		skip minios/fe-net "$FE_MINIOS_SKIP"
	fi
	if [ -f "$GDIR/minios/minios-app.elf" ]; then
		emit minios/app marker minios/minios-app.elf 1 64 "$T_MINIOS" "MINIOS-TEST: PASS" ""
	else
		err minios/app "no $GDIR/minios/minios-app.elf"
	fi
	if [ -f "$GDIR/minios/minios-stock.elf" ]; then
		emit minios/stock idle minios/minios-stock.elf 1 64 "$T_IDLE" "kernel.c: dummy main" ""
	else
		err minios/stock "no $GDIR/minios/minios-stock.elf"
	fi
fi

# ---- Linux -------------------------------------------------------------------
LCMD="console=hvc0 earlyprintk=xen"
# The device tests: vmlinux-fe (build.sh with the block and net front ends,
# Documentation/testing.rst) boots selftests/linux's devinit from the disk
# (the built-in initramfs's /init is bypassed: rdinit names no file, so the
# kernel mounts root=).  Boot 1 writes a file, boot 2 finds it on the same
# image, boot 3 gets the image read-only, boot 4 measures throughput; the
# network test boots from the image read-only with a network as well.
FE_SKIP="vmlinux-fe is absent (build.sh with the front-end config, testing.rst)"
FE_CMD="$LCMD root=/dev/xvda rw rdinit=/nonexistent init=/devinit devtest="
fe() { # id disk-spec mode
	if [ -f "$GDIR/linux-pv32/vmlinux-fe" ]; then
		emit "$1" "disk:$2" linux-pv32/vmlinux-fe 1 128 "$T_LINUX" "DEVINIT: $3 PASS" "$FE_CMD$3"
	else
		skip "$1" "$FE_SKIP"
	fi
}
if [ ! -d "$GDIR/linux-pv32" ]; then
	skip linux/vmlinux-1vcpu "no $GDIR/linux-pv32 directory"
	skip linux/vmlinux-2vcpu "no $GDIR/linux-pv32 directory"
	skip linux/vmlinux-smp-2vcpu "no $GDIR/linux-pv32 directory"
	for t in disk-write disk-verify disk-ro disk-bench net; do
		skip "linux/fe-$t" "no $GDIR/linux-pv32 directory"
	done
else
	if [ -f "$GDIR/linux-pv32/vmlinux" ]; then
		emit linux/vmlinux-1vcpu marker linux-pv32/vmlinux 1 128 "$T_LINUX" "LINUX-PV32: PASS" "$LCMD"
		emit linux/vmlinux-2vcpu marker linux-pv32/vmlinux 2 128 "$T_LINUX" "LINUX-PV32: PASS" "$LCMD"
	else
		err linux/vmlinux-1vcpu "no $GDIR/linux-pv32/vmlinux"
		err linux/vmlinux-2vcpu "no $GDIR/linux-pv32/vmlinux"
	fi
	if [ -f "$GDIR/linux-pv32/vmlinux-smp" ]; then
		emit linux/vmlinux-smp-2vcpu marker linux-pv32/vmlinux-smp 2 128 "$T_LINUX" "LINUX-PV32: PASS" "$LCMD"
		emit linux/vmlinux-smp-4vcpu marker linux-pv32/vmlinux-smp 4 128 "$T_LINUX" "LINUX-PV32: PASS" "$LCMD"
	else
		skip linux/vmlinux-smp-2vcpu "no SMP kernel: $GDIR/linux-pv32/vmlinux-smp is absent (linux-pv32/build.sh builds one)"
		skip linux/vmlinux-smp-4vcpu "no SMP kernel: $GDIR/linux-pv32/vmlinux-smp is absent (linux-pv32/build.sh builds one)"
	fi
	fe linux/fe-disk-write linuxfe.img write
	fe linux/fe-disk-verify linuxfe.img verify
	fe linux/fe-disk-ro linuxfe.img,ro ro
	fe linux/fe-disk-bench linuxfe.img bench
	fe linux/fe-net linuxfe.img,ro+net net
fi
