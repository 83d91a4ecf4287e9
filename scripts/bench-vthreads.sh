#!/usr/bin/env bash
# `make bench-vthreads`: blocking channels on virtual threads, on this host
# (native speed; SPOOL on its epoll backend, as there is no module here),
# the JDK's provider against SPOOL, A B A B, on the newest JDK (21 or later)
# under /usr/lib/jvm. Each run is one JVM of io.spool.compat.VirtualThreadBench:
#
#   heartbeat  ticks/s of a virtual thread sleeping 10 ms while 2,000
#              virtual threads are blocked in read on idle connections
#   echo       round trips/s through a thread-per-connection echo server on
#              virtual threads, 40 idle clients and 4 busy ones
#   fds        descriptors gained after 3,000 short-lived platform threads
#              each blocked once in read, with no GC in between
#
# Writes compat-tests/bench/results/vthreads.md; raw runs in build/bench-vthreads/.
# Environment: BENCH_VT_PAIRS (3), BENCH_VT_SECONDS (5 per measure),
# BENCH_NO_BUILD=1 uses the jars as built; BENCH_VT_SPOOL_CP replaces SPOOL's
# class path (to measure another build, e.g. an older commit's jars).
set -uo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
out=$repo/build/bench-vthreads
results=$repo/compat-tests/bench/results
mkdir -p "$out" "$results"
pairs=${BENCH_VT_PAIRS:-3}
seconds=${BENCH_VT_SECONDS:-5}

fail() {
	echo "bench-vthreads: FAILED: $*"
	exit 1
}

java=java
source compat-tests/vm/servers.sh
vjava=$(newest_java 21) || fail "no JDK 21 or later under /usr/lib/jvm"
if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
	mvn -B -q -Dstyle.color=never -f "$repo/pom.xml" -DskipTests package >"$out/build-mvn.log" 2>&1 ||
		fail "building the jars; see build/bench-vthreads/build-mvn.log"
fi
bench_cp=$repo/compat-tests/target/compat-tests.jar
spool_cp=${BENCH_VT_SPOOL_CP:-$repo/provider/target/spool-provider.jar:$repo/provider/target/lib/*}
[[ -r $bench_cp ]] || fail "no $bench_cp (run without BENCH_NO_BUILD)"

# run NAME CLASSPATH [FLAGS...]: one JVM; its line goes to $out/NAME.txt
run() {
	local name=$1 cp=$2
	shift 2
	timeout 600 "$vjava" "$@" -cp "$cp" io.spool.compat.VirtualThreadBench "$seconds" \
		>"$out/$name.txt" 2>"$out/$name.err" || fail "$name; see $out/$name.err"
	grep -q '^heartbeat=' "$out/$name.txt" || fail "$name printed no figures; see $out/$name.err"
	echo "$name: $(cat "$out/$name.txt")"
}

rm -f "$out"/*.txt "$out"/*.err
for ((i = 1; i <= pairs; i++)); do
	run "jdk-$i" "$bench_cp"
	run "spool-$i" "$bench_cp:$spool_cp" --enable-native-access=ALL-UNNAMED \
		-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider
done

# median FIELD SIDE: the median of one figure over the pairs
median() {
	for f in "$out/$2"-*.txt; do
		sed -n "s/.*$1=\([-0-9]*\).*/\1/p" "$f"
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }

{
	echo "# Blocking channels on virtual threads (host, native)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $("$vjava" -version 2>&1 | head -1),"
	echo "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores;"
	echo "SPOOL on its epoll backend. Median of $pairs runs each, interleaved JDK, SPOOL."
	echo "Command: \`make bench-vthreads\` (scripts/bench-vthreads.sh)."
	echo
	echo "| measure | JDK's provider | SPOOL | SPOOL / JDK |"
	echo "|---|---:|---:|---:|"
	for m in heartbeat echo fds; do
		j=$(median "$m" jdk)
		s=$(median "$m" spool)
		case $m in
		heartbeat) label="heartbeat ticks/s, 2,000 virtual threads blocked in read" ;;
		echo) label="echo round trips/s, virtual-thread server, 40 idle + 4 busy clients" ;;
		fds) label="fds gained after 3,000 threads each blocked once in read (no GC)" ;;
		esac
		echo "| $label | $j | $s | $(ratio "$s" "$j") |"
	done
	echo
	echo "Each run:"
	echo
	for f in "$out"/jdk-*.txt "$out"/spool-*.txt; do
		echo "- $(basename "$f" .txt): $(cat "$f")"
	done
} >"$results/vthreads.md"
cat "$results/vthreads.md"
