#!/usr/bin/env bash
# Guest side of `make soak` and `make check-soak`; runs inside the VM through
# scripts/vm/run:
#
#   compat-tests/vm/soak.sh /abs/path/spool.ko
#
# Loads spool.ko, then:
#  A. the provider soak (io.spool.compat.soak.SoakMain): one JVM with the
#     SPOOL flag, an NIO echo server on the spool backend and a client with
#     SOAK_CONNS connections (on the JDK's own provider) pushing SOAK_BYTES
#     through it, every byte verified, SOAK_KILLS peers reset mid-transfer;
#     its own leak checks (fds, direct memory, gauges) are among its lines;
#  B. kmod/fuzz/cycles: CYCLES connect/accept/exchange/close cycles through
#     one pool, some peers resetting, with its gauge, sockstat and slab
#     checks;
# then what neither can see: gauges back to 0 and /proc/net/sockstat back to
# its baseline after each, a clean kernel log, rmmod. One "ok"/"not ok" line
# per check; the last line is "N passed, N failed".
#
# Environment: SOAK_BYTES (default 32M), SOAK_CONNS (1000), SOAK_KILLS (10),
# SOAK_CLIENT (jdk or spool), SOAK_SEED (1), SOAK_PROGRESS (seconds between
# progress lines, 30); SOAK_BYTES=0 skips A; CYCLES (20000; 0 skips B),
# CYCLES_BATCH (64), CYCLES_TW_WAIT (seconds to let TIME_WAIT drain before
# the slab is measured; 0), CYCLES_SLAB (pages, the default: the slab check
# measures SUnreclaim; objects: the caches' active objects, for KASAN kernels,
# kmod/fuzz/cycles -o), CYCLES_TIMEOUT (s; 1800),
# SOAK_OUT (where logs and HotSpot crash reports go; default /tmp).
set -uo pipefail

ko=${1:?usage: soak.sh /abs/path/spool.ko}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
out=${SOAK_OUT:-/tmp}
bytes=${SOAK_BYTES:-32M} conns=${SOAK_CONNS:-1000} kills=${SOAK_KILLS:-10}
client=${SOAK_CLIENT:-jdk} seed=${SOAK_SEED:-1} progress=${SOAK_PROGRESS:-30}
cycles=${CYCLES:-20000} cycles_batch=${CYCLES_BATCH:-64} cycles_tw=${CYCLES_TW_WAIT:-0}
cycles_opts=()
case ${CYCLES_SLAB:-pages} in
pages) ;;
objects) cycles_opts=(-o) ;;
*) echo "soak.sh: CYCLES_SLAB is pages or objects, not '$CYCLES_SLAB'" >&2; exit 2 ;;
esac
cyclesbin=$repo/kmod/fuzz/cycles
check_name=soak
on_finish=unload_if_loaded
unload_if_loaded() { if loaded; then rmmod spool 2>/dev/null; fi; }
. "$here/../../scripts/vm/lib.sh"

# Waits up to $1 tenths of a second for the gauges to read zero, then for
# /proc/net/sockstat to be back at its baseline; one line each.
settled() {	# tenths what
	if gauges_zero "$1"; then
		ok "gauges: pools and files back to 0 after $2"
	else
		not_ok "gauges: not back to 0 after $2: $(echo $(gauges))"
	fi
	if sockets_settle "$1"; then
		ok "sockets: /proc/net/sockstat back to its baseline after $2"
	else
		not_ok "sockets: /proc/net/sockstat was '$sock_base', after $2 '$(sockstat)'"
	fi
}

mark_kernel_log
mkdir -p "$out"
t=$repo/compat-tests/target p=$repo/provider/target
if [[ $bytes != 0 ]]; then
	for f in "$t/compat-tests.jar" "$p/spool-provider.jar"; do
		[[ -f $f ]] || { not_ok "missing $f (mvn -DskipTests package on the host first)"; finish; }
	done
fi
if ((cycles > 0)) && [[ ! -x $cyclesbin ]]; then
	not_ok "missing $cyclesbin (make -C kmod/fuzz cycles)"
	finish
fi
if ! out_insmod=$(insmod "$ko" 2>&1); then
	not_ok "load: insmod $ko failed: $out_insmod"
	finish
fi
if [[ ! -r $stat ]]; then
	not_ok "load: $stat missing (a module older than statistics in every build?)"
	finish
fi
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
sock_base=$(sockstat)
note "kernel $(uname -r); ulimit -n $(ulimit -n)"
note "sockstat baseline: $sock_base; $(grep -E '^TCP:' /proc/net/sockstat)"

# --- A. the provider soak ----------------------------------------------------------
cp="$t/compat-tests.jar:$t/lib/*:$p/spool-provider.jar:$p/lib/*"
log=$out/soak-java.log
run_java() {
	rm -f "$out"/hs_err_soak_*.log
	start=$SECONDS
	"$java" -XX:ErrorFile="$out/hs_err_soak_%p.log" \
		-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider \
		-Dspool.backend=spool --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
		-cp "$cp" io.spool.compat.soak.SoakMain --conns "$conns" --bytes "$bytes" \
		--kills "$kills" --client "$client" --seed "$seed" --progress "$progress" \
		--expect-backend spool 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	note "SoakMain: exit $rc, $((SECONDS - start)) s"
}
if [[ $bytes != 0 ]]; then
	run_java
	# HotSpot under QEMU's software emulation now and then dies of SIGSEGV or
	# SIGILL in JIT code, with any provider (see README); run once more, and say so.
	if ((rc >= 128)) && compgen -G "$out/hs_err_soak_*.log" >/dev/null; then
		note "note: the soak JVM crashed (exit $rc):" \
			"$(grep -h -m1 -A1 'Problematic frame' "$out"/hs_err_soak_*.log | tail -n 1);" \
			"running it once more"
		mkdir -p "$out/crashed-run"
		mv "$out"/hs_err_soak_*.log "$log" "$out/crashed-run/" 2>/dev/null
		sleep 2
		run_java
	fi
	add_summary SoakMain "$log" "$rc"
	settled 300 "the provider soak"
fi

# --- B. connect/close cycles through one pool ----------------------------------------
if ((cycles > 0)); then
	log=$out/cycles.log
	start=$SECONDS
	timeout -k 10 "${CYCLES_TIMEOUT:-1800}" "$cyclesbin" -n "$cycles" -b "$cycles_batch" -s "$seed" \
		-w "$cycles_tw" "${cycles_opts[@]}" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	note "cycles: exit $rc, $((SECONDS - start)) s"
	add_summary cycles "$log" "$rc"
	settled 300 "the connect/close cycles"
	note "after: $(grep -E '^TCP:' /proc/net/sockstat)"
fi

# --- kernel log and unload ----------------------------------------------------------
check_kernel_log
other=$(since_mark | grep -v -E "$pattern" |
	grep -v -E 'spool: (loaded|unloaded)' | head -n 20)
[[ -n $other ]] && echo "$other" | sed 's/^/# kernel: /'
if out_rmmod=$(rmmod spool 2>&1) && ! loaded; then
	ok "unload: rmmod works after the soak"
else
	not_ok "unload: rmmod failed: $out_rmmod"
fi
finish
