#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# conformance.sh MANIFEST: run unmodified third-party Xen PV guests (XTF,
# Mini-OS, Linux) through the launcher and judge each by what it prints and
# how it ends (busybox sh compatible).  MANIFEST comes from
# rig/conformance-manifest.sh (its header says what each field means);
# `make conformance` runs this in the rig.  The module must be loaded.
#
# KTAP on stdout: per guest a "# run" line (the command), for a failure the
# reason and the tail of its console as "# " diagnostics, then one result
# line; at the end a check that the kernel log stayed clean and a summary.
# Exit 0 when nothing failed, 1 otherwise.
#
# Environment:
#   PVMX              launcher                  (pvmx in PATH, /pvmx/pvmx, ...)
#   PVMX_CONF_GUESTS  directory the manifest's image paths are relative to
#                     (/guests)
#   PVMX_CONF_TAIL    console lines shown for a failure (20)
#   PVMX_CONF_KMSG    where the start mark for the kernel-log check is
#                     written (/dev/kmsg; the check reads dmesg from it on)
#   PVMX_CONF_DISKS   directory of the disk images of the disk:SPEC kinds
#                     (/rig/disks)
#   PVMX_CONF_TUN     the tun device whose presence means a tap can be made
#                     (/dev/net/tun)
#   PVMX_NET_PEER     net_peer, the network peer of a disk:SPEC+net guest
#                     where the VM has no tap (net_peer in PATH,
#                     /selftests/net_peer)

MANIFEST=$1
GROOT=${PVMX_CONF_GUESTS:-/guests}
DISKS=${PVMX_CONF_DISKS:-/rig/disks}
TAIL_N=${PVMX_CONF_TAIL:-20}
TAB=$(printf '\t')
TMP=$(mktemp -d /tmp/pvmx-conformance.XXXXXX 2>/dev/null || echo /tmp/pvmx-conformance.$$)
mkdir -p "$TMP"

if [ -z "$MANIFEST" ] || [ ! -r "$MANIFEST" ]; then
	echo "usage: conformance.sh MANIFEST (from rig/conformance-manifest.sh)" >&2
	exit 2
fi
if [ -z "$PVMX" ]; then
	for p in "$(command -v pvmx 2>/dev/null)" /pvmx/pvmx /usr/local/bin/pvmx; do
		if [ -n "$p" ] && [ -x "$p" ]; then PVMX=$p; break; fi
	done
fi
PVMX=${PVMX:-pvmx}
GUARD=
command -v timeout >/dev/null 2>&1 && GUARD="timeout -s KILL"

# Time in hundredths of a second since boot.
now_cs() {
	read -r up _ </proc/uptime
	echo $((${up%.*} * 100 + 1${up#*.} - 100))
}
fmt_cs() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }

nr=0; pass=0; fail=0; skip=0
results=$TMP/results

result() { # pass|fail|skip ID DETAIL
	nr=$((nr + 1))
	case $1 in
	pass) pass=$((pass + 1)); echo "ok $nr $2" ;;
	fail) fail=$((fail + 1)); echo "not ok $nr $2 # $3" ;;
	skip) skip=$((skip + 1)); echo "ok $nr $2 # SKIP $3" ;;
	esac
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"
}

# Console tail of a failed guest, then the launcher's own lines.
tail_diag() {
	if [ -s "$out" ]; then
		echo "# console (last $TAIL_N lines):"
		tr -d '\r' <"$out" | tail -n "$TAIL_N" | awk '{ print "#   " $0 }'
	else
		echo "# console: (nothing)"
	fi
	if [ -s "$err" ]; then
		echo "# launcher:"
		grep -v '^{"version"' "$err" | tail -n 8 | awk '{ print "#   " $0 }'
	fi
}

# A one-line reason for a launcher status that is not the expected one.
status_reason() { # RC
	case $1 in
	124) echo "timeout: no result within ${tmo} s (hang)" ;;
	137) echo "hang: killed after $((tmo + 30)) s, the launcher's --timeout did not stop it" ;;
	13) echo "the guest shut down with reason crash (exit 13)" ;;
	20) echo "the hypervisor crashed the guest: $(sed -n 's/^pvmx: guest crashed: //p' "$err" | head -n 1)" ;;
	21) echo "pvmx internal error: $(grep '^pvmx:' "$err" | head -n 2 | tr '\n' ' ')" ;;
	1[1-9]) echo "the guest shut down with status $1 ($(grep '^pvmx: guest shut down' "$err" | head -n 1))" ;;
	*) echo "exit status $1: $(grep '^pvmx:' "$err" | tail -n 1)" ;;
	esac
}

# The network of a disk:SPEC+net guest, as selftests/run_all.sh's
# net_setup: a tap with the peer's address 10.0.2.1/24 where the VM can
# make one (/dev/net/tun, IPv4, busybox tunctl and ip), its own IPv4 stack
# answering; else net_peer answering ARP and ICMP echo on pipes
# (--net fd=3:4).  Sets NET (the --net value) and NET_PEER; NET empty and
# net_why set when there is neither.
NET_TAP=pvmxtap0
net_setup() {
	NET= NET_PEER= net_why=
	if [ -c "${PVMX_CONF_TUN:-/dev/net/tun}" ] && [ -d /proc/sys/net/ipv4 ] &&
		command -v tunctl >/dev/null 2>&1 && command -v ip >/dev/null 2>&1; then
		tunctl -d "$NET_TAP" >/dev/null 2>&1
		if tunctl -t "$NET_TAP" >/dev/null 2>&1 &&
			ip addr add 10.0.2.1/24 dev "$NET_TAP" && ip link set "$NET_TAP" up; then
			NET="tap=$NET_TAP"
			return 0
		fi
		tunctl -d "$NET_TAP" >/dev/null 2>&1
		net_why="cannot set up tap $NET_TAP (tunctl, ip)"
	fi
	for p in "$PVMX_NET_PEER" "$(command -v net_peer 2>/dev/null)" /selftests/net_peer; do
		if [ -n "$p" ] && [ -x "$p" ]; then
			NET_PEER=$p NET="fd=3:4"
			echo "# no tap in this VM: the peer is $p on pipes"
			return 0
		fi
	done
	net_why="no network peer: ${net_why:-no tap in this VM (/dev/net/tun, IPv4, tunctl, ip)} and no net_peer"
	return 1
}
net_untap() { [ "$NET" != "tap=$NET_TAP" ] || tunctl -d "$NET_TAP" >/dev/null 2>&1; }

# expect as " && "-separated EREs: each must match a console line, one
# starting with '!' none.  Sets verdict and why.
match_expect() {
	verdict=pass
	rest=$expect
	while [ -n "$rest" ]; do
		part=${rest%% && *}
		case $rest in *" && "*) rest=${rest#* && } ;; *) rest= ;; esac
		case $part in
		'!'*)
			bad=$(tr -d '\r' <"$out" | grep -m 1 -E -- "${part#!}")
			if [ -n "$bad" ]; then
				verdict=fail why="console has '$bad'"
				return
			fi
			;;
		*)
			if ! tr -d '\r' <"$out" | grep -qE -- "$part"; then
				verdict=fail why="no line matching '$part' within ${tmo} s; last line: $last"
				return
			fi
			;;
		esac
	done
}

judge() { # sets verdict (pass/fail) and why
	verdict=fail
	why=
	# The guest's last message (before its result, where XTF prints why).
	last=$(tr -d '\r' <"$out" | grep -v '^Test result:' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$' | tail -n 1)
	case $kind in
	xtf)
		res=$(tr -d '\r' <"$out" | sed -n 's/^Test result: \([A-Z]*\).*/\1/p' | tail -n 1)
		# XTF's panic() prints "PANIC: <what>" and a line with the vector.
		panic=$(tr -d '\r' <"$out" | awk '/^PANIC: / { sub(/^(PANIC: )+/, ""); p = $0
			getline n; print "PANIC: " p " " n; exit }')
		if [ "$rc" = 0 ] && [ "$res" = "$expect" ]; then
			verdict=pass
		elif [ -n "$res" ] && [ "$res" != "$expect" ]; then
			why="Test result: $res, want $expect: $last"
			[ "$rc" = 0 ] || why="$why; $(status_reason "$rc")"
		elif [ -z "$res" ]; then
			why="no 'Test result:' line; $(status_reason "$rc")"
			[ "$rc" != 0 ] || why="no 'Test result:' line (exit 0)"
			if [ -n "$panic" ]; then
				why="$why; $panic"
			elif [ -n "$last" ]; then
				why="$why; last line: $last"
			fi
		else
			why="Test result: $res but $(status_reason "$rc")"
		fi
		;;
	marker)
		# A kernel's first oops or panic line says most (Linux prints
		# each line twice with earlyprintk=xen: "(early) " marks one).
		oops=$(tr -d '\r' <"$out" | sed 's/^(early) //' |
			grep -m 1 -E 'Kernel panic - not syncing|BUG: |Oops|general protection|invalid opcode|kernel BUG' |
			sed 's/^\[ *[0-9.]*\] //')
		if [ "$rc" = 0 ] && grep -qF -- "$expect" "$out"; then
			verdict=pass
		elif grep -qF -- "$expect" "$out"; then
			why="printed '$expect' but $(status_reason "$rc")"
		elif [ "$rc" = 0 ]; then
			why="exit 0 without '$expect'"
		else
			why="no '$expect'; $(status_reason "$rc")"
		fi
		if [ "$verdict" = pass ]; then
			:
		elif [ -n "$oops" ]; then
			why="$why; first: $oops"
		elif [ -n "$last" ]; then
			why="$why; last line: $last"
		fi
		;;
	idle)
		# Idle = its last boot line printed, then it blocks (sched_op:
		# SCHEDOP_block on its timer), and only --timeout stops it.
		nblock=$(sed -n 's/.*"sched_op":{"count":\([0-9]*\).*/\1/p' "$err" | tail -n 1)
		if [ "$rc" != 124 ]; then
			why="stopped before --timeout: $(status_reason "$rc")"
		elif ! grep -qF -- "$expect" "$out"; then
			why="no '$expect' within ${tmo} s (boot did not finish); last line: $last"
		elif [ -z "$nblock" ]; then
			why="no statistics from --stats=json"
		elif [ "$nblock" -lt 2 ]; then
			why="booted but did not block (sched_op count $nblock, want >= 2)"
		else
			verdict=pass
		fi
		;;
	timeout)
		# A guest with no end of its own (Mini-OS's test.c loops until
		# the toolstack asks it to shut down): pass iff --timeout stopped
		# it and its console matches expect (match_expect).
		if [ "$rc" != 124 ]; then
			why="stopped before --timeout: $(status_reason "$rc")"
		else
			match_expect
		fi
		;;
	poweroff)
		# Asked to power off (--shutdown-after, as `xl shutdown`): pass
		# iff it did (exit 0) and its console matches expect.
		if [ "$rc" != 0 ]; then
			why="did not power off when asked: $(status_reason "$rc"); last line: $last"
		else
			match_expect
		fi
		;;
	*)
		why="unknown kind '$kind' in the manifest"
		;;
	esac
}

entries=$(grep -cv '^#' "$MANIFEST")
echo "KTAP version 1"
echo "1..$((entries + 1))"
echo "# conformance: $entries guests from $MANIFEST, images in $GROOT"

MARK="pvmx-conformance-start-$$"
echo "$MARK" >"${PVMX_CONF_KMSG:-/dev/kmsg}" 2>/dev/null || MARK=
: >"$results"
t_all=$(now_cs)

while IFS="$TAB" read -r id kind img vcpus mem tmo expect cmdline; do
	case $id in '#'* | '') continue ;; esac
	case $kind in
	skip) result skip "$id" "$expect"; continue ;;
	error) echo "# $id: $expect"; result fail "$id" "$expect"; continue ;;
	esac
	out=$TMP/$nr.out
	err=$TMP/$nr.err
	# disk:SPEC = a marker guest with --disk DISKS/SPEC (SPEC: FILE[,OPTS]);
	# +net: and a network (net_setup); +copy: a scratch copy of FILE, so a
	# guest that writes leaves the shared image alone; +timeout: judged as
	# a guest that runs until --timeout (kind timeout); +shutdown=S (last):
	# --shutdown-after S, judged as a guest that powers off (kind poweroff).
	disk= net= copy= NET= NET_PEER= net_why= shutdown_after=
	case $kind in disk:*) disk=${kind#disk:}; kind=marker ;; esac
	while :; do
		case $disk in
		*+net) disk=${disk%+net}; net=1 ;;
		*+copy) disk=${disk%+copy}; copy=$TMP/$nr.img ;;
		*+timeout) disk=${disk%+timeout}; kind=timeout ;;
		*+shutdown=*) shutdown_after=${disk##*+shutdown=}; disk=${disk%+shutdown=*}
			kind=poweroff ;;
		*) break ;;
		esac
	done
	[ -z "$disk" ] || disk=$DISKS/$disk
	if [ -n "$copy" ] && [ -f "${disk%%,*}" ]; then
		cp "${disk%%,*}" "$copy" || echo "# cannot copy ${disk%%,*} to $copy"
		disk=$copy${disk#"${disk%%,*}"}
	fi
	[ -z "$net" ] || net_setup
	set -- run --timeout "$tmo" --vcpus "$vcpus" --memory "${mem}M"
	[ -z "$cmdline" ] || set -- "$@" --cmdline "$cmdline"
	[ -z "$disk" ] || set -- "$@" --disk "$disk"
	[ -z "$NET" ] || set -- "$@" --net "$NET"
	[ -z "$shutdown_after" ] || set -- "$@" --shutdown-after "$shutdown_after"
	[ "$kind" != idle ] || set -- "$@" --stats=json
	set -- "$@" "$GROOT/$img"
	echo "# run $id: ${NET_PEER:+$NET_PEER }pvmx $*"
	t0=$(now_cs)
	if [ ! -f "$GROOT/$img" ]; then
		: >"$out"; echo "pvmx: $GROOT/$img: no such file" >"$err"; rc=1
	elif [ -n "$disk" ] && [ ! -f "${disk%%,*}" ]; then
		: >"$out"; echo "pvmx: disk image ${disk%%,*}: no such file" >"$err"; rc=1
	elif [ -n "$net" ] && [ -z "$NET" ]; then
		: >"$out"; echo "pvmx: $net_why" >"$err"; rc=1
	elif [ -n "$GUARD" ]; then
		$GUARD $((tmo + 30)) $NET_PEER "$PVMX" "$@" >"$out" 2>"$err" </dev/null
		rc=$?
	else
		$NET_PEER "$PVMX" "$@" >"$out" 2>"$err" </dev/null
		rc=$?
	fi
	[ -z "$net" ] || net_untap
	[ -z "$copy" ] || rm -f "$copy"
	dt=$(($(now_cs) - t0))
	judge
	echo "# time $id $(fmt_cs "$dt") s, exit $rc"
	if [ "$verdict" = pass ]; then
		result pass "$id"
	else
		echo "# $id: $why"
		tail_diag
		result fail "$id" "$why"
	fi
done <"$MANIFEST"

# The host must not have noticed anything: no oops, warning or splat.
if [ -n "$MARK" ]; then
	dmesg | sed -n "/$MARK/,\$p" >"$TMP/dmesg"
else
	dmesg >"$TMP/dmesg"
fi
grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:|UBSAN:|KASAN:|kernel BUG|refcount_t:|INFO: (possible|inconsistent|trying|task .* blocked)|ODEBUG:|list_(add|del) corruption|invoked oom-killer' \
	"$TMP/dmesg" >"$TMP/dmesg.bad"
if [ -s "$TMP/dmesg.bad" ]; then
	echo "# host kernel log problems:"
	head -n 40 "$TMP/dmesg.bad" | sed 's/^/#   /'
	result fail host_log_clean "$(wc -l <"$TMP/dmesg.bad") splat lines in the kernel log"
else
	result pass host_log_clean
fi

t_all=$(($(now_cs) - t_all))
echo "# conformance summary (VM time $(fmt_cs "$t_all") s):"
while IFS="$TAB" read -r v id detail; do
	case $v in
	pass) echo "#   PASS  $id" ;;
	fail) echo "#   FAIL  $id: $detail" ;;
	skip) echo "#   SKIP  $id: $detail" ;;
	esac
done <"$results"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
rm -rf "$TMP"
[ "$fail" = 0 ]
