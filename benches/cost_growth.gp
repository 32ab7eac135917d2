# Cost growth chart of benches/cost_growth.sh: gnuplot -e "csv='results/cost_growth.csv'; png='results/cost_growth.png'" cost_growth.gp
set terminal pngcairo size 800,500 font "sans,10" noenhanced
set datafile separator ","
set output png
set title "Range analysis of [1, N]: time of analyze_range and sp_analyze_range, peak backend memory"
set logscale xy
set xlabel "N (numbers analysed)"
set ylabel "milliseconds (wall)"
set y2label "peak backend memory, MiB"
set logscale y2
set ytics nomirror
set y2tics
set grid
set key left top
plot csv skip 1 using 1:2 with linespoints lw 2 title "analyze_range (one call)", \
     csv skip 1 using 1:3 with linespoints lw 2 title "sp_analyze_range (segments committed)", \
     csv skip 1 using 1:($4/1048576) axes x1y2 with linespoints lw 2 dt 2 title "memory (analyze_range)"
