# SPDX-License-Identifier: GPL-2.0
#
# Per-entry multicall cost against batch size, for bench/run.sh.
# Variables (gnuplot -e): outfile, datafile (N per-entry), ptefile (N
# per-PTE of a multicall of update_va_mapping), hypercall, bare, subtitle.

set terminal pngcairo size 960,600 font "sans,11" noenhanced
set output outfile
set title sprintf("pvmx multicall: cost per entry vs batch size\n%s", subtitle)
set xlabel "batch size N (entries per multicall)"
set ylabel "guest TSC ticks per entry (median)"
set logscale x 2
set xrange [0.8:160]
set yrange [0:*]
set xtics (1, 2, 4, 8, 16, 32, 64, 128)
set grid ytics xtics lc rgb "#dddddd"
set key top right box opaque
set label 1 sprintf("single hypercall %.0f", hypercall) at 1.0, hypercall offset 0, 0.7 tc rgb "#c0392b"
set label 2 sprintf("bare exit (cpuid) %.0f", bare) at 1.0, bare offset 0, 0.7 tc rgb "#7f8c8d"
set label 3 sprintf("target at N=32: 1/20 of a hypercall = %.0f", hypercall / 20) \
	at 1.0, hypercall / 20 offset 0, 0.7 tc rgb "#27ae60"
plot hypercall title "single hypercall (xen_version via page)" with lines lw 2 dt 2 lc rgb "#c0392b", \
     bare title "bare VM exit (cpuid)" with lines lw 2 dt 3 lc rgb "#7f8c8d", \
     hypercall / 20 title "target: hypercall / 20" with lines lw 1 dt 4 lc rgb "#27ae60", \
     datafile using 1:2 title "multicall of xen_version, per entry" with linespoints lw 2 pt 7 ps 1.2 lc rgb "#2c3e50", \
     ptefile using 1:2 title "multicall of update_va_mapping, per PTE" with linespoints lw 2 pt 5 ps 1.2 lc rgb "#2980b9"
