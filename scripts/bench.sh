#!/usr/bin/env bash
# `make bench`: the benchmarks of SPOOL against the JDK's default provider.
#
#   1. In the VM (Debian's kernel under QEMU, spool.ko loaded, built with
#      statistics): the JDK HttpServer, Netty's NIO HTTP server, a plain
#      NIO echo server and its wakeup-heavy twin (nio-wakeup), unmodified, at
#      100, 1,000 and 5,000 connections, the two providers interleaved
#      A B A B (compat-tests/vm/bench.sh).
#   2. On this host, where there is no module: the servers (and nio-wakeup)
#      on several configurations, A B C ... per pair: the default provider,
#      SPOOL on each of its backends that run here, and for Netty's HTTP
#      server the native anchors, Netty 4.2's own epoll and io_uring
#      transports; at 100, 1,000 and 10,000 connections, then a scale row:
#      100 busy connections beside 0, 10,000 and 50,000 idle ones.
#
# Writes compat-tests/bench/results/{vm,host}.{md,png,dat,gp} and
# results/README.md (both tables); raw runs stay in build/bench/.
#
# Environment: BENCH_PAIRS (3), BENCH_SERVERS, BENCH_CONNS ("100 1000 5000"),
# BENCH_WINDOW (10 s), BENCH_WARMUP (30 s), BENCH_JVM_FLAGS (both
# providers' JVMs; default -XX:TieredStopAtLevel=1, see compat-tests/vm/bench.sh);
# The host half: BENCH_HOST_CONFIGS ("default spool-epoll spool-uring
# netty-epoll netty-iouring", see compat-tests/vm/bench.sh; a configuration
# that cannot start fails the run), BENCH_HOST_SERVERS ("jdk-httpserver
# netty-http nio-echo nio-wakeup", else BENCH_SERVERS), BENCH_HOST_CONNS ("100 1000 10000"),
# BENCH_HOST_WINDOW (5 s), BENCH_HOST_WARMUP (20 s, in two wrk runs of
# BENCH_HOST_WARMUP_CONNS, 1000, connections), BENCH_HOST_IDLE ("0 10000 50000"; lowered to what
# the fd limit allows, and said so), BENCH_HOST_SCALE_SERVERS ("nio-echo
# netty-http"). BENCH_SKIP_HOST=1 or BENCH_SKIP_VM=1 to run one half (the
# other's table stays as it was); BENCH_NO_BUILD=1 uses the jars and module
# as built (to run both halves at once: a build would replace the jars under
# the other half's JVMs).
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
vm=1
[[ ${BENCH_SKIP_VM:-0} == 1 ]] && vm=0
if ((vm)); then
	kver=$(scripts/vm/kver) || fail "no usable kernel for the VM (run 'make setup')"
fi
if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
	say "building ${kver:+spool.ko (with /proc/spool-stat) and }the jars"
	if ((vm)); then
		# Its own copy of the sources (kmod/build-variant.sh): a build
		# for another target (make check's VMs) cannot replace it mid-run.
		kmod/build-variant.sh "$kver" "bench-$kver" >"$out/build-kmod.log" 2>&1 ||
			fail "building spool.ko; see build/kmod-variants/bench-$kver/build.log"
	fi
	mvn -B -q -Dstyle.color=never -f "$repo/pom.xml" -DskipTests package >"$out/build-mvn.log" 2>&1 ||
		fail "building the jars; see build/bench/build-mvn.log"
fi

# What the runs load, copied: a build during the run cannot change it.
jars=$out/jars
rm -rf "$jars"
mkdir -p "$jars/provider"
cp -r compat-tests/target/compat-tests.jar compat-tests/target/lib compat-tests/target/lib-netty42 "$jars/" &&
	cp -r provider/target/spool-provider.jar provider/target/lib "$jars/provider/" ||
	fail "copying the jars to $jars"
if ((vm)); then
	cp "build/kmod-variants/bench-$kver/spool.ko" "$jars/spool.ko" ||
		fail "copying spool.ko to $jars (BENCH_NO_BUILD=1 needs an earlier make bench's build)"
fi
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

if ((vm)); then
	say "booting the VM (Debian $kver, QEMU/TCG) for the benchmark (about 50 minutes)"
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
	host_configs=${BENCH_HOST_CONFIGS:-default spool-epoll spool-uring netty-epoll netty-iouring}
	say "on this host (no module): $host_configs"
	rm -rf "$out/host"
	mkdir -p "$out/host"
	# the JVMs' own default JIT. Under SPOOL-uring, Netty's first burst of
	# 1,000 connections deoptimized the poller's hot methods, and on 2 cores
	# C2 took seconds to compile them again: the warm-up makes and closes
	# BENCH_HOST_WARMUP_CONNS (1,000) connections twice, so that happens in it
	BENCH_CONFIGS=$host_configs \
		BENCH_SERVERS=${BENCH_HOST_SERVERS:-${BENCH_SERVERS:-jdk-httpserver netty-http nio-echo nio-wakeup}} \
		BENCH_CONNS=${BENCH_HOST_CONNS:-100 1000 10000} BENCH_WINDOW=${BENCH_HOST_WINDOW:-5} \
		BENCH_IDLE=${BENCH_HOST_IDLE-0 10000 50000} \
		BENCH_SCALE_SERVERS=${BENCH_HOST_SCALE_SERVERS:-nio-echo netty-http} \
		BENCH_RAMP=2 BENCH_RAMP_PER=1000 BENCH_WARMUP=${BENCH_HOST_WARMUP:-20} BENCH_WARMUP_RUNS=2 \
		BENCH_WARMUP_CONNS=${BENCH_HOST_WARMUP_CONNS:-1000} BENCH_JVM_FLAGS= \
		compat-tests/vm/bench.sh host "$out/host" 2>&1 | tee "$out/host/log.txt" | sed -u 's/^/    /'
	rc=${PIPESTATUS[0]}
	((rc == 0)) || fail "the host run (exit $rc): $(grep -m1 '^bench: ' "$out/host/log.txt")"
	report "$out/host" host "NIO providers and native anchors on the host (no module)" \
		"this host: $(nproc) x $host_cpu, kernel $(uname -r)"
fi

{
	echo "# SPOOL benchmarks"
	echo
	echo "Written by \`make bench\` (scripts/bench.sh). Charts: vm.png, host.png."
	echo
	cat <<'EOF'
How to read the host table. Its columns are configurations, each run once
per pair, one after another (A B C ... A B C ...), and every ratio is to
`default` in the same pair:

- `default`: the JDK's own provider (epoll), the reference;
- `spool-epoll`, `spool-uring`: SPOOL's provider
  (`-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider`)
  forced onto one backend with `-Dspool.backend=`; the run fails if the
  provider logs another backend;
- `netty-epoll`, `netty-iouring`: anchors, Netty's HTTP server only. Not NIO
  providers: Netty 4.2.18's own native transports (`-Dcompat.transport=`,
  with compat-tests/target/lib-netty42/ on the class path), on the default
  provider: what a server gains by leaving NIO for epoll or io_uring
  directly. The run checks the channel class the server prints.

Servers: `nio-wakeup` is the echo server whose replies come back from a
worker thread through a queue and one `selector.wakeup()` each, as in NIO
frameworks. Connection counts are wrk's; p50 and p99 are wrk's latency
percentiles over its whole run (ramp included), syscalls/req is perf's count
of system calls in the measuring window over the responses in it, CPU µs/req
is the server JVM's utime + stime over the same responses.

The scale table: 100 busy connections under wrk while N idle ones
(io.spool.compat.IdleClients, from 127.0.0.2 to 127.0.0.9) are open and
accepted, the server holding them registered for reading; each cell is
req/s with N idle over req/s with none, same configuration and pair (the
issue's target: within 10%). Where the file-descriptor limit cannot hold N,
N is lowered and the table's `idle_note` says so.

EOF
	[[ -f $results/vm.md ]] && cat "$results/vm.md" && echo
	[[ -f $results/host.md ]] && cat "$results/host.md"
} >"$results/README.md"
echo
cat "$results/README.md"
say "done"
