# SPDX-License-Identifier: MIT
# The scaling curves of a benchmark run, as SVG, from the data
# vramshare-bench-report --plots wrote into DIR:
#   gnuplot -c bench/plots.gp DIR
datadir = ARG1
set terminal svg size 720,440 dynamic font "sans,12"
set grid
set key top left
set logscale xy
set xtics ("4 KiB" 4096, "64 KiB" 65536, "1 MiB" 1048576, "16 MiB" 16777216, "64 MiB" 67108864)

set output datadir."/share.svg"
set title "Making N bytes of GPU A's VRAM usable by GPU B (P50)"
set xlabel "N (bytes)"
set ylabel "microseconds"
plot datadir."/share.dat" using 1:2 with linespoints title "share (broker + PRIME + map)", \
     "" using 1:5 with linespoints title "share right after a free (broker clears)", \
     "" using 1:6 with linespoints title "bounce: memcpy into a staging buffer", \
     "" using 1:3 with linespoints title "bounce: new buffer, vfio mmap + memcpy", \
     "" using 1:4 with linespoints title "bounce: new buffer, vfio pread"

set output datadir."/revoke.svg"
set title "Revocation and restore of GPU A's memory (minimum of 25)"
set xlabel "attachments (N dma-bufs x M importers)"
set xtics auto
plot datadir."/revoke.dat" index 0 using 1:3 with linespoints title "revoke, M=1", \
     "" index 1 using 1:3 with linespoints title "revoke, M=2", \
     "" index 2 using 1:3 with linespoints title "revoke, M=4", \
     "" index 2 using 1:4 with linespoints title "restore, M=4"

set output datadir."/broker.svg"
set title "vramshared under load: 4 KiB allocations"
set xlabel "clients"
set xtics (1, 8, 64)
set ylabel "allocations per second"
set y2label "latency (microseconds)"
unset logscale y
set logscale y2
set ytics nomirror
set y2tics
set yrange [0:*]
plot datadir."/broker.dat" using 1:2 axes x1y1 with linespoints title "allocations/s", \
     "" using 1:3 axes x1y2 with linespoints title "P50 latency", \
     "" using 1:4 axes x1y2 with linespoints title "P99 latency"
