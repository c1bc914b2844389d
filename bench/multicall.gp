# SPDX-License-Identifier: GPL-2.0
#
# Batching figures for bench/run.sh: cost per multicall entry against batch
# size (left), cost per page-table update against batch size (right).
# Every point is the median of the guest's repetitions, its bar the fastest
# and the slowest repetition (min-max).
#
# Variables (gnuplot -e): fmt ("png" or "svg"), outfile, dir (holds
# multicall.dat, pte_uvm.dat, pte_mc.dat, pte_mmu_update.dat: "n median min
# max"), hypercall (hypercall_page median), bare (cpuid median), uvm1
# (pte_uvm_1 median: one update_va_mapping call), reps, subtitle.
#
# Unit: rig ticks.  In the rig the guest's TSC is Bochs's instruction
# counter: one tick per emulated instruction, guest and host alike -- a
# path length, not CPU cycles (Documentation/benchmarks.rst, "Method").

if (fmt eq "svg") {
	set terminal svg size 1400,600 font "sans,12" noenhanced dynamic background rgb "white"
} else {
	set terminal pngcairo size 1400,600 font "sans,11" noenhanced
}
set output outfile

set multiplot layout 1,2 title sprintf("pvmx batching (%s)\nmedian of %s repetitions, bars: min-max", subtitle, reps)
set logscale x 2
set xrange [0.8:160]
set yrange [0:*]
set xtics (1, 2, 4, 8, 16, 32, 64, 128)
set grid ytics xtics lc rgb "#dddddd"
set key top right box opaque
set xlabel "batch size N"
set bars 2

# ---- left: multicall of N null hypercalls (xen_version) ----
set title "multicall of N xen_version: cost per entry"
set ylabel "rig ticks per entry (1 tick = 1 emulated instruction)"
plot hypercall title sprintf("one xen_version hypercall (%.0f)", hypercall) with lines lw 2 dt 2 lc rgb "#c0392b", \
     bare title sprintf("bare VM exit, cpuid (%.0f)", bare) with lines lw 2 dt 3 lc rgb "#7f8c8d", \
     hypercall / 20 title "target at N=32: hypercall / 20" with lines lw 1 dt 4 lc rgb "#27ae60", \
     dir."/multicall.dat" using 1:2:3:4 title "multicall entry" with yerrorlines lw 2 pt 7 ps 1.0 lc rgb "#2c3e50"

# ---- right: page-table updates, against one update_va_mapping call ----
set title "page-table updates: cost per PTE"
set ylabel "rig ticks per PTE (1 tick = 1 emulated instruction)"
plot uvm1 title sprintf("one update_va_mapping call (%.0f)", uvm1) with lines lw 2 dt 2 lc rgb "#c0392b", \
     dir."/pte_uvm.dat" using 1:2:3:4 title "N update_va_mapping calls" with yerrorlines lw 2 pt 9 ps 1.0 lc rgb "#8e44ad", \
     dir."/pte_mc.dat" using 1:2:3:4 title "multicall of N update_va_mapping" with yerrorlines lw 2 pt 5 ps 1.0 lc rgb "#2980b9", \
     dir."/pte_mmu_update.dat" using 1:2:3:4 title "mmu_update of N requests" with yerrorlines lw 2 pt 13 ps 1.0 lc rgb "#d35400"

unset multiplot
