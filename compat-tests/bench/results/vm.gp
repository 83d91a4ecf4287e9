# gnuplot vm.gp (from its directory): writes vm.png
set terminal pngcairo size 1400,560 font 'sans,10'
set output 'vm.png'
set multiplot layout 1,2 title 'SPOOL vs the JDK default provider, in the VM (spool backend)'
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
plot 'vm.dat' using 3:xtic(1) title 'spool' lc 2
unset arrow 1
set title 'system calls per request (median, log scale)'
set logscale y
set key top right
set yrange [0.1:100]
plot 'vm.dat' using 4:xtic(1) title 'default' lc 1, '' using 5 title 'spool' lc 2
unset multiplot
