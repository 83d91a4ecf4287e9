#!/usr/bin/env bash
# `make bench`: the benchmarks of SPOOL against the JDK's default provider.
#
#   1. In the VM (Debian's kernel under QEMU, spool.ko loaded, built with
#      statistics): the JDK HttpServer, Netty's NIO HTTP server and a plain
#      NIO echo server, unmodified, at 100, 1,000 and 5,000 connections, the
#      two providers interleaved A B A B (compat-tests/vm/bench.sh).
#   2. On this host, where there is no module: the same servers on the
#      default provider and on SPOOL's epoll fallback.
#
# Writes compat-tests/bench/results/{vm,host}.{md,png,dat,gp} and
# results/README.md (both tables); raw runs stay in build/bench/.
#
# Environment: BENCH_PAIRS (3), BENCH_SERVERS, BENCH_CONNS ("100 1000 5000"),
# BENCH_WINDOW (10 s), BENCH_WARMUP (30 s), BENCH_JVM_FLAGS (both
# providers' JVMs; default -XX:TieredStopAtLevel=1, see compat-tests/vm/bench.sh);
# BENCH_HOST_CONNS ("100 1000"), BENCH_HOST_WINDOW (5 s); BENCH_SKIP_HOST=1
# or BENCH_SKIP_VM=1 to run one half (the other's table stays as it was);
# BENCH_NO_BUILD=1 uses the jars and module as built (to run both halves at
# once: a build would replace the jars under the other half's JVMs).
set -uo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
out=$repo/build/bench
results=$repo/compat-tests/bench/results
mkdir -p "$out" "$results"
start=$SECONDS

say() { printf '==> [%d:%02d] %s\n' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)) "$*"; }
fail() {
	echo "bench: FAILED: $*"
	exit 1
}

for tool in wrk perf gnuplot java; do
	command -v "$tool" >/dev/null || fail "$tool is missing (run 'make setup')"
done
kver=$(scripts/vm/kver) || fail "no usable kernel for the VM (run 'make setup')"
if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
	say "building spool.ko (with /proc/spool-stat) and the jars"
	make -C kmod KVER="$kver" SPOOL_PROC_STAT=1 >"$out/build-kmod.log" 2>&1 ||
		fail "building spool.ko; see build/bench/build-kmod.log"
	mvn -B -q -Dstyle.color=never -f "$repo/pom.xml" -DskipTests package >"$out/build-mvn.log" 2>&1 ||
		fail "building the jars; see build/bench/build-mvn.log"
fi

# What the runs load, copied: a build during the run cannot change it.
jars=$out/jars
rm -rf "$jars"
mkdir -p "$jars/provider"
cp -r compat-tests/target/compat-tests.jar compat-tests/target/lib "$jars/" &&
	cp -r provider/target/spool-provider.jar provider/target/lib "$jars/provider/" &&
	cp kmod/spool.ko "$jars/spool.ko" || fail "copying the jars and spool.ko to $jars"
export BENCH_JARS=$jars

host_cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')

# report RUN-DIR NAME TITLE MACHINE: the table and the chart of one run
report() {
	local dir=$1 name=$2 title=$3 machine=$4
	{
		echo "date $date_utc"
		echo "machine $machine"
	} >>"$dir/env.txt"
	java -cp "$jars/compat-tests.jar" io.spool.compat.BenchReport \
		"$dir" "$results/$name" "$title" >"$dir/report.txt" 2>&1 ||
		fail "the report of $name: $(tail -n 3 "$dir/report.txt")"
	(cd "$results" && gnuplot "$name.gp") >"$dir/gnuplot.log" 2>&1 ||
		fail "gnuplot $name.gp: $(tail -n 3 "$dir/gnuplot.log")"
	[[ -s $results/$name.png ]] || fail "gnuplot wrote no $name.png"
	say "wrote compat-tests/bench/results/$name.md and $name.png"
}

if [[ ${BENCH_SKIP_VM:-0} != 1 ]]; then
	say "booting the VM (Debian $kver, QEMU/TCG) for the benchmark (about 35 minutes)"
	rm -rf "$out/vm"
	mkdir -p "$out/vm"
	envs=()
	for v in BENCH_PAIRS BENCH_SERVERS BENCH_CONNS BENCH_WINDOW BENCH_WARMUP BENCH_RAMP BENCH_RAMP_PER; do
		[[ -n ${!v:-} ]] && envs+=(--env "$v=${!v}")
	done
	[[ -n ${BENCH_JVM_FLAGS+set} ]] && envs+=(--env "BENCH_JVM_FLAGS=$BENCH_JVM_FLAGS")
	# tsc=reliable: the guest's TSC is one host clock under single-threaded
	# TCG; without it the kernel falls back to HPET, clock_gettime() becomes
	# a real system call and System.nanoTime() is counted as one.
	scripts/vm/run --timeout 7200 --out "$out/vm" --append "tsc=reliable clocksource=tsc" "${envs[@]}" \
		--env "BENCH_JARS=$jars" -- compat-tests/vm/bench.sh "$jars/spool.ko" "$out/vm" 2>&1 |
		tee "$out/vm/log.txt" | sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	((rc == 0)) || fail "the VM run (exit $rc): $(grep -m1 '^bench: ' "$out/vm/log.txt")"
	report "$out/vm" vm "SPOOL vs the JDK default provider, in the VM (spool backend)" \
		"QEMU/TCG guest, 2 vCPUs on one host thread, 3 GiB; host: $(nproc) x $host_cpu"
fi

if [[ ${BENCH_SKIP_HOST:-0} != 1 ]]; then
	say "on this host (no module: SPOOL runs on its epoll fallback)"
	rm -rf "$out/host"
	mkdir -p "$out/host"
	# natively C2 settles within the warm-up: the JVMs' own default JIT
	BENCH_CONNS=${BENCH_HOST_CONNS:-100 1000} BENCH_WINDOW=${BENCH_HOST_WINDOW:-5} \
		BENCH_RAMP=2 BENCH_RAMP_PER=1000 BENCH_WARMUP=10 BENCH_JVM_FLAGS= \
		compat-tests/vm/bench.sh host "$out/host" 2>&1 | tee "$out/host/log.txt" | sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	((rc == 0)) || fail "the host run (exit $rc): $(grep -m1 '^bench: ' "$out/host/log.txt")"
	report "$out/host" host "SPOOL's epoll fallback vs the JDK default provider, on the host (no module)" \
		"this host: $(nproc) x $host_cpu, kernel $(uname -r)"
fi

{
	echo "# SPOOL benchmarks"
	echo
	echo "Written by \`make bench\` (scripts/bench.sh). Charts: vm.png, host.png."
	echo
	[[ -f $results/vm.md ]] && cat "$results/vm.md" && echo
	[[ -f $results/host.md ]] && cat "$results/host.md"
} >"$results/README.md"
echo
cat "$results/README.md"
say "done"
