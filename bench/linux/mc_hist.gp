# SPDX-License-Identifier: GPL-2.0
#
# Multicall batch sizes of the Linux PV guest (bench/linux.sh):
# datafile has "N boot work" lines (batches of N entries in each phase).
set terminal pngcairo size 960,600 font "sans,11" noenhanced
set output outfile
set title "Linux 4.19 PV on pvmx: multicall batch sizes"
set xlabel "entries per multicall"
set ylabel "multicalls"
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -45
set grid ytics lc rgb "#dddddd"
set key top right
plot datafile using 2:xtic(1) title "boot", '' using 3 title "/init: 200 fork+execve"
