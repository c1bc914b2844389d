# SPDX-License-Identifier: GPL-2.0
#
# Summarise a `pvmx run --trace` of the Linux PV guest (bench/linux.sh,
# Documentation/benchmarks.rst "Linux").  The run is split in two phases at
# the first system call from ring 3 (a sysenter/syscall32 callback or a trap
# int 0x80): "boot" before it, "work" from it on (/init's fork+execve loop).
# Output lines, one per counter:  <phase> <name> <value>
#   records     top-level records (hypercalls, traps, upcalls, callbacks)
#   hc          hypercalls issued directly (each one is a VM exit)
#   hc:<op>     by name, direct and inside multicalls
#   mc          multicalls, mc_entries their entries, mc_hist:<N> batches of N
#   pt          page-table updates: mmu_update requests + update_va_mapping
#               (direct or in multicalls), mmuext_op operations counted apart
#   mmuext      mmuext_op operations
#   traps, upcalls, fastcalls   deliveries
#   int80       traps int 0x80 (system calls that exited; with the int $0x80
#               fast path the hardware gate's do not exit and are not seen)
#   usec        microseconds of the VM's clock from the phase's first record
#               to the next phase's (or the last record); the rig runs 100
#               ticks per microsecond (rig/vmtest.sh ips=100000000)
function bump(k, n) { cnt[phase, k] += n; keys[k] = 1 }
function arg(s, i,    a, n) {		# the i-th argument of "name(a, b, c)"
	sub(/^[^(]*\(/, "", s); sub(/\).*$/, "", s)
	n = split(s, a, /, /)
	return i <= n ? a[i] : ""
}
function close_mc() { if (mc_open) { bump("mc_hist:" mc_n, 1); mc_open = 0 } }
BEGIN { phase = "boot"; mc_open = 0 }
# Trace version 2 lines begin "   0.001234 v0 ": drop that (one space after
# the vCPU keeps a multicall entry's indentation), and the duration, buffer
# and EIP after the call.
match($0, /^ *[0-9]+\.[0-9]+ v[0-9]+ /) {
	ts = $1 + 0
	if (!(phase in t0)) t0[phase] = ts
	t1[phase] = ts
}
{ sub(/^ *[0-9]+\.[0-9]+ v[0-9]+ /, "") }
!/^ +\[[0-9]+\] / { close_mc() }
/^--- (sysenter|syscall32) callback/ || /^--- trap int 0x80/ {
	if (phase == "boot") phase = "work"
}
/^--- / {
	bump("records", 1)
	if ($0 ~ /callback, at/ && $0 !~ /failsafe/) bump("fastcalls", 1)
	else if ($0 ~ /event upcall/) bump("upcalls", 1)
	else if ($0 ~ /^--- trap/) {
		bump("traps", 1)
		if ($0 ~ /^--- trap int 0x80/) bump("int80", 1)
	}
	next
}
/^ +\[[0-9]+\] / {			# a multicall entry
	line = $0; sub(/^ +\[[0-9]+\] /, "", line)
	name = line; sub(/\(.*/, "", name)
	bump("hc:" name, 1); bump("mc_entries", 1); mc_n++
	if (name == "mmu_update" || name == "mmuext_op") {
		n = arg(line, 2) + 0
		bump(name == "mmu_update" ? "pt" : "mmuext", n)
	} else if (name ~ /^update_va_mapping/) bump("pt", 1)
	next
}
/^[a-z_]+\(/ {
	name = $0; sub(/\(.*/, "", name)
	bump("records", 1); bump("hc", 1); bump("hc:" name, 1)
	if (name == "multicall") {
		bump("mc", 1); mc_open = 1; mc_n = 0
	} else if (name == "mmu_update" || name == "mmuext_op") {
		n = arg($0, 2) + 0
		bump(name == "mmu_update" ? "pt" : "mmuext", n)
	} else if (name ~ /^update_va_mapping/) bump("pt", 1)
	next
}
END {
	close_mc()
	for (p in t0) { cnt[p, "usec"] = int((t1[p] - t0[p]) * 1000000 + 0.5); keys["usec"] = 1 }
	for (k in keys) {
		if (cnt["boot", k]) print "boot", k, cnt["boot", k]
		if (cnt["work", k]) print "work", k, cnt["work", k]
	}
}
