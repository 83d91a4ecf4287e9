# gnuplot host.gp (from its directory): writes host.png
set terminal pngcairo size 1400,560 font 'sans,10'
set output 'host.png'
set multiplot layout 1,2 title 'NIO providers and native anchors on the host (no module)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set datafile missing 'NaN'
set grid ytics
set key top left
set xtics font ',8'
set title 'requests per second / default (median of the pairs)'
set yrange [0:*]
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb 'black'
plot 'host.dat' using 3:xtic(1) title 'spool-epoll' lc 2, '' using 4 title 'spool-uring' lc 3, '' using 5 title 'netty-epoll' lc 4, '' using 6 title 'netty-iouring' lc 5
unset arrow 1
set title 'system calls per request (median, log scale)'
set logscale y
set key top right
set yrange [0.01:100]
plot 'host.dat' using 7:xtic(1) title 'default' lc 1, '' using 8 title 'spool-epoll' lc 2, '' using 9 title 'spool-uring' lc 3, '' using 10 title 'netty-epoll' lc 4, '' using 11 title 'netty-iouring' lc 5
unset multiplot
