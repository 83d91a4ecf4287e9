# gnuplot host.gp (from its directory): writes host.png
set terminal pngcairo size 1200,520 font 'sans,10'
set output 'host.png'
set multiplot layout 1,2 title 'SPOOLs epoll fallback vs the JDK default provider, on the host (no module)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set key top left
set xtics font ',8'
set title 'requests per second, SPOOL / JDK default (median of the pairs)'
set yrange [0:*]
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb 'black'
set arrow 2 from graph 0, first 1.5 to graph 1, first 1.5 nohead dt 3 lc rgb 'dark-green'
plot 'host.dat' using 6:xtic(1) title 'SPOOL/default' lc rgb '#2a9d8f'
unset arrow 1
unset arrow 2
set title 'system calls per request (median, log scale)'
set logscale y
set key top right
set yrange [0.001:100]
plot 'host.dat' using 4:xtic(1) title 'JDK default', '' using 5 title 'SPOOL'
unset multiplot
