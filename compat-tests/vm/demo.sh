#!/usr/bin/env bash
# Guest side of `make demo`; runs inside the VM through scripts/vm/run:
#
#   compat-tests/vm/demo.sh /abs/path/spool.ko OUT-DIR
#
# Loads spool.ko and, for each server in
# DEMO_SERVERS, starts it unmodified on the JDK's default provider and then on
# SPOOL, warms it up, and drives it with wrk at each of DEMO_CONNS while perf
# counts the server's system calls. Prints progress lines "[demo m:ss] ...";
# writes one tab-separated row per run to OUT-DIR/results.tsv:
#   server conns provider backend requests seconds req_per_s socket_errors
#   non2xx syscalls cycle_calls cycle_events
# Exits non-zero with a "demo: ..." line when a step fails.
set -uo pipefail

ko=${1:?usage: demo.sh /abs/path/spool.ko OUT-DIR}
out=${2:?usage: demo.sh /abs/path/spool.ko OUT-DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
servers=${DEMO_SERVERS:-jdk-httpserver netty-http}
conns=${DEMO_CONNS:-100 1000}
secs=${DEMO_SECONDS:-12}
warm=${DEMO_WARMUP:-15}
# Both providers' JVMs: C1 only, as in `make bench` (under emulation C2 is
# still compiling long after a short warm-up, and the figures would be the JIT's).
jvm_flags=${DEMO_JVM_FLAGS--XX:TieredStopAtLevel=1}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
cp="$repo/compat-tests/target/compat-tests.jar:$repo/compat-tests/target/lib/*"
pcp="$repo/provider/target/spool-provider.jar:$repo/provider/target/lib/*"
results=$out/results.tsv
server_pid=

say() { printf '[demo %d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
die() {
	echo "demo: $*"
	[[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
	exit 1
}

# main, mode, path and flags of a server, from compat-tests/servers.tsv
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
main_class() {
	server_lookup "$1" || die "unknown server '$1' (known: $(server_names))"
}

stat_get() {	# stat_get NAME: a counter of /proc/spool-stat, 0 without it
	awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }' \
		/proc/spool-stat 2>/dev/null || echo 0
}

[[ -f $repo/compat-tests/target/compat-tests.jar ]] ||
	die "no compat-tests/target/compat-tests.jar: the host build did not run"
[[ -f $repo/provider/target/spool-provider.jar ]] ||
	die "no provider/target/spool-provider.jar: the host build did not run"
for server in $servers; do main_class "$server"; done
command -v wrk >/dev/null || die "wrk is missing (make setup installs it)"
command -v perf >/dev/null || die "perf is missing (make setup installs linux-perf)"

say "loading $ko"
insmod "$ko" 2>&1 || die "insmod $ko failed"
[[ -c /dev/spool ]] || die "/dev/spool is missing after insmod"
[[ -r /proc/spool-stat ]] || die "no /proc/spool-stat: a module older than statistics in every build?"
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
mkdir -p "$out"
: >"$results"
{
	echo "kernel $(uname -r)"
	"$java" -version 2>&1 | head -n 1
	wrk --version 2>&1 | head -n 1 | awk '{ print "wrk " $2 }'
	echo "cpus $(nproc)"
} >"$out/env.txt"

# A failed pass: when the server's JVM died of a fatal signal (HotSpot under
# QEMU's TCG now and then does, on either provider and without the module
# too), returns so that the pass runs again, noted; anything else ends the demo.
fail_pass() {
	grep -q 'A fatal error has been detected' "$log.out" 2>/dev/null || die "$@"
	local sig
	sig=$(grep -o 'SIG[A-Z]* (0x[0-9a-f]*) at pc=0x[0-9a-f]*' "$log.out" | head -n 1)
	say "$server on $provider: the server's JVM crashed ($sig); this pass runs again"
	echo "$server on $provider: the server's JVM crashed ($sig) and the pass ran again" >>"$out/notes.txt"
	for f in "$log".*; do mv -f "$f" "$f.crashed"; done 2>/dev/null
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
}

# pass SERVER PROVIDER: one server on one provider, every connection count.
# Appends its rows to results.tsv only when the whole pass succeeded.
pass() {
	local server=$1 provider=$2 rows=$out/rows.tmp
	: >"$rows"
	flags=(-Xmx512m "-XX:ErrorFile=$out/hs_err_%p.log" $jvm_flags $sflags)
	classpath=$cp
	if [[ $provider == spool ]]; then
		flags+=(-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider)
		classpath=$cp:$pcp
	fi
	log=$out/$server-$provider
	say "$server on $provider: starting the JVM"
	"$sjava" "${flags[@]}" -cp "$classpath" "$main" 0 >"$log.out" 2>"$log.err" &
	server_pid=$!
	port=
	for ((i = 0; i < 600; i++)); do
		port=$(ready_port "$log.out")
		[[ -n $port ]] && break
		kill -0 "$server_pid" 2>/dev/null || {
			fail_pass "$server on $provider exited at start: $(tail -n 3 "$log.err")"
			return 2
		}
		sleep 0.5
	done
	[[ -n $port ]] || die "$server on $provider did not print READY in 300 s"
	backend=jdk
	if [[ $provider == spool ]]; then
		backend=$(grep -o 'SPOOL: backend [a-z]*' "$log.err" | head -n 1 | awk '{print $3}')
		[[ -n $backend ]] || die "$server on SPOOL logged no backend: $(tail -n 3 "$log.err")"
	fi
	say "$server on $provider: READY on port $port, backend $backend; warming up ${warm} s"
	wrk -t2 -c100 -d"${warm}s" --timeout 30s "http://127.0.0.1:$port/small" >"$log.warmup.txt" 2>&1 ||
		die "wrk warm-up failed: $(tail -n 3 "$log.warmup.txt")"
	kill -0 "$server_pid" 2>/dev/null || {
		fail_pass "$server on $provider exited during the warm-up: $(tail -n 3 "$log.err")"
		return 2
	}
	for c in $conns; do
		say "$server on $provider: wrk -t2 -c$c -d${secs}s, perf counting syscalls"
		calls0=$(stat_get cycle_calls) events0=$(stat_get cycle_events)
		perf stat -e raw_syscalls:sys_enter -x, -o "$log.c$c.perf.txt" -p "$server_pid" &
		perf_pid=$!
		sleep 0.5
		wrk -t2 -c"$c" -d"${secs}s" --timeout 30s "http://127.0.0.1:$port/small" \
			>"$log.c$c.wrk.txt" 2>&1
		wrc=$?
		kill -INT "$perf_pid" 2>/dev/null
		wait "$perf_pid" 2>/dev/null
		calls1=$(stat_get cycle_calls) events1=$(stat_get cycle_events)
		kill -0 "$server_pid" 2>/dev/null || {
			fail_pass "$server on $provider exited during wrk: $(tail -n 3 "$log.err")"
			return 2
		}
		((wrc == 0)) || die "wrk failed: $(tail -n 3 "$log.c$c.wrk.txt")"
		w=$log.c$c.wrk.txt
		reqs=$(awk '/requests in/ { print $1 }' "$w")
		dur=$(awk '/requests in/ { sub(/s,$/, "", $4); print $4 }' "$w")
		rps=$(awk '/^Requests\/sec/ { print $2 }' "$w")
		errs=$(awk '/Socket errors/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$w")
		non2xx=$(awk '/Non-2xx/ { print $NF }' "$w")
		sys=$(awk -F, '/raw_syscalls:sys_enter/ { print $1 }' "$log.c$c.perf.txt")
		[[ -n $reqs && -n $rps ]] || die "wrk printed no result: $(tail -n 3 "$w")"
		[[ $sys =~ ^[0-9]+$ ]] || die "perf counted nothing: $(tail -n 3 "$log.c$c.perf.txt")"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$c" "$provider" \
			"$backend" "$reqs" "$dur" "$rps" "${errs:-0}" "${non2xx:-0}" "$sys" \
			$((calls1 - calls0)) $((events1 - events0)) >>"$rows"
		say "$server on $provider, $c connections: $rps req/s, $sys syscalls," \
			"socket errors ${errs:-0}, non-2xx ${non2xx:-0}"
	done
	if [[ $provider == spool ]]; then
		# After the measured runs: SPOOL's MXBean, read live by another JVM
		# (as jconsole would) while wrk drives the server once more.
		say "$server on $provider: reading the MXBean io.spool:type=Provider from another JVM"
		wrk -t2 -c100 -d60s --timeout 30s "http://127.0.0.1:$port/small" >"$log.mxbean-wrk.txt" 2>&1 &
		local wrk_pid=$!
		sleep 2
		"$java" -cp "$cp" io.spool.compat.MXBeanRead "$server_pid" 3 >"$log.mxbean.txt" 2>&1
		local mrc=$?
		kill "$wrk_pid" 2>/dev/null
		wait "$wrk_pid" 2>/dev/null
		((mrc == 0)) && grep -q '^MXBean io.spool:type=Provider' "$log.mxbean.txt" ||
			die "reading the MXBean of $server failed: $(tail -n 3 "$log.mxbean.txt")"
		say "$(head -n 1 "$log.mxbean.txt")"
	fi
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
	cat "$rows" >>"$results"
}

: >"$out/notes.txt"
for server in $servers; do
	main_class "$server"
	for provider in default spool; do
		pass "$server" "$provider" && continue
		pass "$server" "$provider" || die "$server on $provider: the server's JVM crashed twice"
	done
done
cat /proc/spool-stat >"$out/spool-stat.txt"
rmmod spool 2>/dev/null || say "rmmod spool failed (a pool still open?)"
say "done"
