# Storage growth chart of benches/storage_sizes.sh: gnuplot -e "csv='results/storage_sizes.csv'; png='results/storage_sizes.png'" storage_sizes.gp
set terminal pngcairo size 800,500 font "sans,10" noenhanced
set datafile separator ","
set output png
set title "Bytes on disk for the numbers 1..N (circled: extrapolated from the bytes per term)"
set logscale xy
set xlabel "N (stored sequences)"
set ylabel "MiB (heap, TOAST and indexes)"
set grid
set key left top
form(f) = sprintf("< awk -F, '$2 == \"%s\"' %s", f, csv)
plot form("sequences") using 1:($4/1048576) with linespoints lw 2 pt 7 title "collatz_sequences (no steps)", \
     form("compact steps") using 1:($4/1048576) with linespoints lw 2 pt 7 title "steps, one numeric[] per sequence (0.6.0)", \
     form("row steps") using 1:($4/1048576) with linespoints lw 2 pt 7 title "steps, one row per step (0.5.0)", \
     "< awk -F, '$3 == \"extrapolated\"' ".csv using 1:($4/1048576) with points pt 6 ps 2 lc rgb "black" title "extrapolated"
