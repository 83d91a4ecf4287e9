#!/usr/bin/env bash
# Guest side of `make bench`; runs inside the VM through scripts/vm/run:
#
#   compat-tests/vm/bench.sh /abs/path/spool.ko OUT-DIR
#   compat-tests/vm/bench.sh host OUT-DIR     (on the host: the epoll fallback)
#
# Loads spool.ko and runs, for each of
# BENCH_PAIRS pairs, each server in BENCH_SERVERS once on each configuration
# in BENCH_CONFIGS, in that order (A B C A B C ...). A pass starts the
# server's JVM, warms it up, then measures every connection count in
# BENCH_CONNS, then (servers in BENCH_SCALE_SERVERS) the scale row.
#
# Configurations (BENCH_CONFIGS, default "default spool"):
#   default       the JDK's default provider
#   spool         SPOOL, the backend it chooses (-Dspool.backend=auto)
#   spool-B       SPOOL with -Dspool.backend=B; the backend it logs must be B
#   netty-epoll, netty-iouring
#                 anchors, for the servers that take -Dcompat.transport
#                 (netty-http): Netty 4.2's native epoll or io_uring
#                 transport on the default provider, lib-netty42/ instead of
#                 lib/; the channel class it prints must be that transport's.
#                 Other servers have no such pass.
# A configuration whose JVM does not start ends the run.
#
# The scale row (BENCH_IDLE, e.g. "0 10000 50000"; empty: none):
# BENCH_SCALE_BUSY (100) busy connections under wrk while N idle ones,
# opened before by io.spool.compat.IdleClients from 127.0.0.2-9, stay open
# (the server accepts them and keeps them registered for reading, as any
# client). An N the file-descriptor limit cannot hold is lowered to what it
# can, noted in env.txt.
#
# One measurement: wrk runs RAMP + BENCH_WINDOW + 2 seconds; RAMP (BENCH_RAMP
# plus a second per BENCH_RAMP_PER connections) lets every connection be
# made, and only the BENCH_WINDOW seconds after it count (wrk's closing of
# its connections, after the window, does not either):
#   - responses: compat-tests/bench/window.lua counts those inside the window;
#   - system calls: perf stat --per-thread -e raw_syscalls:sys_enter on the
#     server's pid, enabled after RAMP (-D) for BENCH_WINDOW seconds; the
#     JVM's own housekeeping threads (JIT compilers, GC, VM thread, ...) are
#     counted apart from the threads that serve;
#   - CPU: utime + stime of the server's threads (/proc/PID/task/*/stat) at
#     both ends, the JVM's own threads apart;
#   - batches: /proc/spool-stat and the provider's counters
#     (-Dspool.countersFile, written when the bench deletes it) just before and just after
#     the wrk run (ramp and all).
#
# wrk's latency percentiles (p50, p99) are its own, over the whole run (ramp
# and tail too; window.lua prints them).
#
# Writes OUT-DIR/results.tsv (header line first), OUT-DIR/env.txt, and the
# raw files per run. Prints "[bench m:ss] ..." progress lines. Exits non-zero
# with a "bench: ..." line when a step fails.
set -uo pipefail

ko=${1:?usage: bench.sh /abs/path/spool.ko OUT-DIR}
out=${2:?usage: bench.sh /abs/path/spool.ko OUT-DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
servers=${BENCH_SERVERS:-jdk-httpserver netty-http nio-echo nio-wakeup}
conns=${BENCH_CONNS:-100 1000 5000}
pairs=${BENCH_PAIRS:-3}
window=${BENCH_WINDOW:-10}
ramp0=${BENCH_RAMP:-4}
ramp_per=${BENCH_RAMP_PER:-500}
warm=${BENCH_WARMUP:-30}
# The warm-up's connections and wrk runs (its seconds shared among them):
# with connections made and closed more than once, and as many as a
# measurement makes, the JIT has compiled the paths of a burst of accepts
# and closes before a window starts, not in it.
warm_conns=${BENCH_WARMUP_CONNS:-100}
warm_runs=${BENCH_WARMUP_RUNS:-1}
configs=${BENCH_CONFIGS:-default spool}
idle_counts=${BENCH_IDLE:-}
scale_servers=${BENCH_SCALE_SERVERS:-nio-echo netty-http}
scale_busy=${BENCH_SCALE_BUSY:-100}
tail=2	# wrk runs on after the window: its closing is not measured
# Both providers' JVMs get these. Under emulation C2 was still compiling
# 90 s into a run at 1,000 connections (its threads took a third of the
# CPU), so the window would measure the JIT; with C1 alone the compiler
# threads were idle 20 s in. BENCH_JVM_FLAGS="" runs C2 (then give it a long
# BENCH_WARMUP).
jvm_flags=${BENCH_JVM_FLAGS--XX:TieredStopAtLevel=1}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
# BENCH_JARS: a copy of the jars (scripts/bench.sh makes one, so that a
# build during the run cannot change what the JVMs load)
cdir=$repo/compat-tests/target pdir=$repo/provider/target
if [[ -n ${BENCH_JARS:-} ]]; then
	cdir=$BENCH_JARS pdir=$BENCH_JARS/provider
fi
cp="$cdir/compat-tests.jar:$cdir/lib/*"
cp42="$cdir/compat-tests.jar:$cdir/lib-netty42/*"	# the netty-* anchors
pcp="$pdir/spool-provider.jar:$pdir/lib/*"
lua=$repo/compat-tests/bench/window.lua
results=$out/results.tsv
server_pid=
idle_pid=

say() { printf '[bench %d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
die() {
	echo "bench: $*"
	[[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
	[[ -n $idle_pid ]] && kill "$idle_pid" 2>/dev/null
	exit 1
}

# main, mode, path and flags of a server, from compat-tests/servers.tsv
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
server_setup() {
	server_lookup "$1" || die "unknown server '$1' (known: $(server_names))"
}

# The JVM's own threads, by the 15-character names perf shows; everything
# else (event loops, dispatchers, workers, main) serves.
jvm_threads='^(C1 CompilerThre|C2 CompilerThre|VM Thread|VM Periodic Tas|GC Thread#|G1 |Signal Dispatch|Service Thread|Monitor Deflati|Common-Cleaner|Finalizer|Reference Handl|Notification Th|Sweeper thread|Attach Listener)'

ticks() {	# ticks PID: "name<TAB>utime+stime" per thread, in clock ticks (one awk: fast)
	awk '{ name = $0; sub(/^[^(]*\(/, "", name); sub(/\) [A-Z] .*$/, "", name)
		rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
		print name "\t" f[12] + f[13] }' /proc/"$1"/task/*/stat 2>/dev/null
}

sum_ticks() {	# sum_ticks FILE [RE]: ticks of the threads whose name matches RE
	awk -F'\t' -v re="${2:-}" 're == "" || $1 ~ re { s += $2 } END { print s + 0 }' "$1"
}

cpu() {	# cpu A B [RE]: clock ticks between two ticks() files (threads matching RE)
	echo $(($(sum_ticks "$2" "${3:-}") - $(sum_ticks "$1" "${3:-}")))
}

counters() {	# counters DEST: the provider's counters (spool only), else empty
	: >"$1"
	[[ $provider == spool* ]] || return 0
	# the provider writes the file whenever it is missing (spool.countersFile)
	rm -f "$cfile"
	for ((k = 0; k < 100; k++)); do
		[[ -s $cfile ]] && { cp "$cfile" "$1"; return 0; }
		sleep 0.1
	done
	die "$server on SPOOL wrote no counters to $cfile within 10 s"
}

spool_stat() { cat /proc/spool-stat 2>/dev/null || :; }

diff_stat() {	# diff_stat A B: "name=delta,..." of two "name value" files
	awk 'NR == FNR { a[$1] = $2; next } { d = $2 - a[$1]; if (d) s = s (s ? "," : "") $1 "=" sprintf("%.0f", d) }
		END { print s ? s : "-" }' "$1" "$2"
}

[[ -f ${cp%%:*} ]] || die "no ${cp%%:*}: the host build did not run"
[[ -f ${pcp%%:*} ]] || die "no ${pcp%%:*}: the host build did not run"
for server in $servers; do server_setup "$server"; done
for provider in $configs; do
	case $provider in
	default | spool | spool-?* | netty-epoll | netty-iouring) ;;
	*) die "unknown configuration '$provider' in BENCH_CONFIGS (default, spool, spool-BACKEND, netty-epoll, netty-iouring)" ;;
	esac
	[[ $provider == netty-* && ! -d $cdir/lib-netty42 ]] && die "no $cdir/lib-netty42: the host build did not run"
done
command -v wrk >/dev/null || die "wrk is missing (make setup installs it)"
command -v perf >/dev/null || die "perf is missing (make setup installs linux-perf)"

if [[ $ko == host ]]; then
	# The host table: no module, SPOOL's provider falls back to epoll.
	[[ -c /dev/spool ]] && die "host run, but /dev/spool exists: the table is of the epoll fallback"
else
	say "loading $ko"
	insmod "$ko" 2>&1 || die "insmod $ko failed"
	[[ -c /dev/spool ]] || die "/dev/spool is missing after insmod"
	[[ -r /proc/spool-stat ]] || die "no /proc/spool-stat: a module older than statistics in every build?"
	sysctl -qw net.core.somaxconn=8192 net.ipv4.tcp_max_syn_backlog=8192 2>/dev/null
fi
ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# The scale row's idle connections: as many as the fd limit lets one
# process (the server) hold beside the busy ones.
idle_max=$((($(ulimit -n) - scale_busy - 1000) / 1000 * 1000))
idle_list= idle_note=
for n in $idle_counts; do
	if ((n > idle_max)); then
		idle_note+="${idle_note:+; }$n idle asked, $idle_max opened (ulimit -n $(ulimit -n) here, the hard limit)"
		n=$idle_max
	fi
	idle_list+="${idle_list:+ }$n"
done
mkdir -p "$out/runs"
printf '%s\n' pair server conns provider backend responses non2xx window_s syscalls \
	syscalls_jvm cpu_ticks cpu_ticks_jvm clk_tck wrk_requests wrk_errors cycle_calls cycle_events \
	cycle_sends cycle_recvs counters idle lat_p50_us lat_p99_us | paste -sd '\t' >"$results"
{
	echo "kernel $(uname -r)"
	echo "jdk $("$java" -version 2>&1 | head -n 1)"
	echo "wrk $(wrk --version 2>&1 | head -n 1 | awk '{ print $2 }')"
	echo "cpus $(nproc)"
	echo "cpu $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	echo "window_s $window"
	echo "jvm_flags ${jvm_flags:-(none)}"
	echo "warmup_s $warm"
	echo "warmup_runs $warm_runs x $warm_conns connections"
	echo "pairs $pairs"
	echo "configs $configs"
	[[ -n $idle_list ]] && echo "scale $scale_busy busy connections; idle: $idle_list (servers: $scale_servers)"
	[[ -n $idle_note ]] && echo "idle_note $idle_note"
} >"$out/env.txt"
clk=$(getconf CLK_TCK)

start_error() {	# start_error LOG: the root cause of a JVM that did not start, else its last lines
	local e
	e=$(grep -E '^Caused by: |^Exception in|^Error:' "$1" | tail -n 1)
	[[ -n $e ]] && echo "$e" || tail -n 3 "$1"
}

# A failed pass: when the server's JVM died of a fatal signal (HotSpot under
# QEMU's TCG now and then does, on either provider), returns 2 so that the
# pass runs again, noted; anything else ends the run.
fail_pass() {
	grep -q 'A fatal error has been detected' "$log.out" 2>/dev/null || die "$@"
	say "$server on $provider: the server's JVM crashed; this pass runs again"
	echo "pair $pair: $server on $provider: the server's JVM crashed and the pass ran again" >>"$out/notes.txt"
	for f in "$log".*; do mv -f "$f" "$f.crashed"; done 2>/dev/null
	[[ -n $idle_pid ]] && kill "$idle_pid" 2>/dev/null
	idle_pid=
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
	return 2
}

# measure C [IDLE]: one connection count on the running server (IDLE: the
# idle connections open beside it, a scale row); appends a row.
measure() {
	local c=$1 idle=${2:--} ramp rl=$log.c$1
	[[ $idle != - ]] && rl+=-idle$idle
	ramp=$((ramp0 + c / ramp_per))
	say "$server on $provider, pair $pair: wrk -c$c for ${ramp}+${window}+${tail} s${2:+, $idle idle}"
	counters "$rl.counters0"
	spool_stat >"$rl.stat0"
		perf stat --per-thread -e raw_syscalls:sys_enter -x, -o "$rl.perf.txt" \
		-D $((ramp * 1000)) -p "$server_pid" -- sleep $((ramp + window)) 2>"$rl.perf.err" &
	local perf_pid=$!
	(
		sleep "$ramp"
		spool_stat >"$rl.statw0"
		ticks "$server_pid" >"$rl.ticks0"
		sleep "$window"
		spool_stat >"$rl.statw1"
		ticks "$server_pid" >"$rl.ticks1"
	) &
	local sampler=$!
	BENCH_RAMP=$ramp BENCH_WINDOW=$window BENCH_MODE=$mode \
		wrk -t2 -c"$c" -d$((ramp + window + tail))s --timeout 30s \
		-s "$lua" "http://127.0.0.1:$port$path" >"$rl.wrk.txt" 2>&1
	local wrc=$?
	wait "$perf_pid" "$sampler"
	counters "$rl.counters1"
	spool_stat >"$rl.stat1"
	kill -0 "$server_pid" 2>/dev/null || {
		fail_pass "$server on $provider exited during wrk: $(tail -n 3 "$log.err")"
		return
	}
	((wrc == 0)) || die "wrk failed: $(tail -n 3 "$rl.wrk.txt")"
	local w resp bad span reqs errs sys jvm p50 p99
	w=$(awk '/^WINDOW/ { print $2, $3, $4, $6, $7 }' "$rl.wrk.txt")
	read -r resp bad span p50 p99 <<<"$w"
	reqs=$(awk '/requests in/ { print $1 }' "$rl.wrk.txt")
	errs=$(awk '/Socket errors/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$rl.wrk.txt")
	[[ $resp =~ ^[0-9]+$ && $resp -gt 0 ]] ||
		die "wrk counted no response in the window: $(tail -n 3 "$rl.wrk.txt")"
	sys=$(awk -F, '$4 ~ /raw_syscalls:sys_enter/ && $2 ~ /^[0-9]+$/ { s += $2 } END { printf "%.0f\n", s }' "$rl.perf.txt")
	jvm=$(awk -F, -v re="$jvm_threads" '$4 ~ /raw_syscalls:sys_enter/ && $2 ~ /^[0-9]+$/ {
			name = $1; sub(/-[0-9]+$/, "", name); if (name ~ re) s += $2 } END { printf "%.0f\n", s }' "$rl.perf.txt")
	((sys > 0)) || die "perf counted nothing: $(tail -n 3 "$rl.perf.txt" "$rl.perf.err")"
	local cpu_all cpu_jvm
	cpu_all=$(cpu "$rl.ticks0" "$rl.ticks1")
	cpu_jvm=$(cpu "$rl.ticks0" "$rl.ticks1" "$jvm_threads")
	local -A st
	# over the whole wrk run, as the provider's counters: a window's edges
	# would cut long cycles (counted at entry, their events at exit)
	for k in cycle_calls cycle_events cycle_sends cycle_recvs; do
		st[$k]=$(awk -v n=$k 'NR == FNR { if ($1 == n) a = $2; next } $1 == n { printf "%.0f\n", $2 - a }' \
			"$rl.stat0" "$rl.stat1")
	done
	local cdiff=-
	[[ $provider == spool* ]] && cdiff=$(diff_stat "$rl.counters0" "$rl.counters1")
	printf '%s\t' "$pair" "$server" "$c" "$provider" "$backend" "$resp" "$bad" "$span" \
		"$sys" "$jvm" "$cpu_all" "$cpu_jvm" "$clk" "${reqs:-0}" "${errs:-0}" "${st[cycle_calls]:-0}" \
		"${st[cycle_events]:-0}" "${st[cycle_sends]:-0}" "${st[cycle_recvs]:-0}" >>"$rows"
	printf '%s\t' "$cdiff" "$idle" "${p50:--}" >>"$rows"
	printf '%s\n' "${p99:--}" >>"$rows"
	say "  $resp responses in the window ($(awk -v r="$resp" -v w="$window" 'BEGIN { printf "%.0f", r / w }')/s)," \
		"$sys syscalls ($((sys - jvm)) serving, $jvm JVM), non-200 $bad, socket errors ${errs:-0}"
}

# anchor SERVER-MAIN: whether the server takes -Dcompat.transport (the netty-* configurations)
anchor() { [[ $1 == *.NettyHttpServerMain ]]; }

# open_idle N: N idle connections to the running server (IdleClients), held
# by idle_pid; returns when the server holds them all: N more fds than it had
# when it printed READY (fds0).
open_idle() {
	local n=$1 k
	# C1 and one GC thread: this JVM should not compete for the CPU once its connections are made
	"$java" -Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cdir/compat-tests.jar" \
		io.spool.compat.IdleClients "$port" "$n" >"$log.idle$n.out" 2>&1 &
	idle_pid=$!
	for ((k = 0; k < 1200; k++)); do
		grep -qs '^IDLE' "$log.idle$n.out" && (($(ls /proc/"$server_pid"/fd | wc -l) >= fds0 + n)) && break
		kill -0 "$idle_pid" 2>/dev/null || die "IdleClients $n: $(tail -n 3 "$log.idle$n.out")"
		sleep 0.1
	done
	((k < 1200)) || die "$server on $provider holds $(($(ls /proc/"$server_pid"/fd | wc -l) - fds0)) of $n idle connections after 120 s"
	sleep 2	# the accepts' and the helper's start-up work done before the measurement
}

# close_idle: ends IdleClients; returns when the server has closed its side.
close_idle() {
	local fds k
	kill "$idle_pid" 2>/dev/null
	wait "$idle_pid" 2>/dev/null
	idle_pid=
	for ((k = 0; k < 300; k++)); do
		fds=$(ls /proc/"$server_pid"/fd | wc -l)
		((fds < 1000)) && return 0
		sleep 0.1
	done
	say "  $server on $provider still holds $fds fds 30 s after the idle connections closed"
}

# pass SERVER CONFIG: one server on one configuration, every connection
# count, then the scale row; returns 3 (nothing run) for an anchor
# configuration on a server without one.
pass() {
	local server=$1 provider=$2 transport=
	rows=$out/rows.tmp
	: >"$rows"
	server_setup "$server"
	if [[ $provider == netty-* ]]; then
		anchor "$main" || return 3
		transport=${provider#netty-}
	fi
	log=$out/runs/p$pair-$server-$provider
	cfile=$log.counters
	flags=(-Xmx1g "-XX:ErrorFile=$out/hs_err_%p.log" $jvm_flags $sflags)
	classpath=$cp
	case $provider in
	spool*)
		flags+=(-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider
			"-Dspool.countersFile=$cfile")
		[[ $provider == spool-* ]] && flags+=("-Dspool.backend=${provider#spool-}")
		classpath=$cp:$pcp
		;;
	netty-*)
		flags+=("-Dcompat.transport=$transport")
		classpath=$cp42
		;;
	esac
	say "$server on $provider, pair $pair: starting the JVM"
	"$sjava" "${flags[@]}" -cp "$classpath" "$main" 0 >"$log.out" 2>"$log.err" &
	server_pid=$!
	port=
	for ((i = 0; i < 600; i++)); do
		port=$(ready_port "$log.out")
		[[ -n $port ]] && break
		kill -0 "$server_pid" 2>/dev/null || {
			fail_pass "$server on $provider exited at start: $(start_error "$log.err")"
			return
		}
		sleep 0.5
	done
	[[ -n $port ]] || die "$server on $provider did not print READY in 300 s"
	fds0=$(ls /proc/"$server_pid"/fd | wc -l)
	backend=jdk
	case $provider in
	spool*)
		backend=$(grep -o 'SPOOL: backend [a-z]*' "$log.err" | head -n 1 | awk '{print $3}')
		[[ -n $backend ]] || die "$server on SPOOL logged no backend: $(tail -n 3 "$log.err")"
		[[ $provider == spool-* && $backend != "${provider#spool-}" ]] &&
			die "$server on $provider runs on backend $backend"
		;;
	netty-*)
		local want=epoll.Epoll
		[[ $transport == iouring ]] && want=uring.IoUring
		backend=$(awk '/^TRANSPORT/ { print $2; exit }' "$log.out")
		[[ $backend == "io.netty.channel.${want}ServerSocketChannel" ]] ||
			die "$server on $provider runs on '$backend'"
		backend=netty-$transport
		;;
	esac
	say "$server on $provider: READY on port $port, backend $backend; warming up ${warm} s" \
		"(${warm_runs} x wrk -c${warm_conns})"
	local w
	for ((w = 0; w < warm_runs; w++)); do
		BENCH_MODE=$mode wrk -t2 -c"$warm_conns" -d"$(((warm + warm_runs - 1) / warm_runs))s" --timeout 30s \
			-s "$lua" "http://127.0.0.1:$port$path" >"$log.warmup.txt" 2>&1 ||
			die "wrk warm-up failed: $(tail -n 3 "$log.warmup.txt")"
	done
	for c in $conns; do
		measure "$c" || return
	done
	if [[ " $scale_servers " == *" $server "* ]]; then
		for n in $idle_list; do
			((n > 0)) && open_idle "$n"
			measure "$scale_busy" "$n" || return
			((n > 0)) && close_idle
		done
	fi
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
	cat "$rows" >>"$results"
}

: >"$out/notes.txt"
for ((pair = 1; pair <= pairs; pair++)); do
	for server in $servers; do
		for provider in $configs; do
			pass "$server" "$provider"
			case $? in
			0 | 3) continue ;;
			esac
			pass "$server" "$provider" || die "$server on $provider: the server's JVM crashed twice"
		done
	done
done
if [[ $ko != host ]]; then
	spool_stat >"$out/spool-stat.txt"
	rmmod spool 2>/dev/null || say "rmmod spool failed (a pool still open?)"
fi
say "done"
