#!/usr/bin/env bash
# `make demo`: builds spool.ko and the jars, boots the VM, runs unmodified NIO
# HTTP servers on the JDK's default provider and on SPOOL under wrk, and
# prints the comparison. `make` has already run `make setup`.
#
# Environment: DEMO_SERVERS (default "jdk-httpserver netty-http"),
# DEMO_CONNS ("100 1000"), DEMO_SECONDS (12 per wrk run), DEMO_WARMUP (15), DEMO_JVM_FLAGS (-XX:TieredStopAtLevel=1).
set -uo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
out=$repo/build/demo
mkdir -p "$out"
rm -f "$out"/results.tsv "$out"/*.txt "$out"/*.out "$out"/*.err "$out"/*.crashed "$out"/hs_err_*.log
start=$SECONDS
tty=0
[[ -t 1 ]] && tty=1

elapsed() { local s=$((SECONDS - ${1:-$start})); printf '%d:%02d' $((s / 60)) $((s % 60)); }

fail() {
	echo
	echo "demo: FAILED: $*"
	echo "demo: logs in build/demo/ (the failing step's log is named above)"
	exit 1
}

# step NAME LOG CMD...: runs CMD with its output in LOG, showing the step and
# its elapsed time until it ends.
step() {
	local name=$1 log=$2 t=$SECONDS pid rc
	shift 2
	"$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if ((tty)); then
			printf '\r==> %-44s %s ' "$name" "$(elapsed "$t")"
		elif (((SECONDS - t) % 30 == 29)); then
			printf '==> %-44s still running, %s\n' "$name" "$(elapsed "$t")"
		fi
		sleep 1
	done
	wait "$pid"
	rc=$?
	((tty)) && printf '\r'
	if ((rc != 0)); then
		printf '==> %-44s FAILED after %s\n' "$name" "$(elapsed "$t")"
		tail -n 15 "$log" | sed 's/^/    | /'
		fail "$name (exit $rc); log: ${log#"$repo"/}"
	fi
	printf '==> %-44s done in %s\n' "$name" "$(elapsed "$t")"
}

kver=$(scripts/vm/kver) || fail "no usable kernel for the VM (run 'make setup')"
# Its own copy of the sources (kmod/build-variant.sh), so the demo and make
# check can run side by side without one's build replacing the other's module.
step "build spool.ko (with /proc/spool-stat)" "$out/build-kmod.log" \
	kmod/build-variant.sh "$kver" "demo-$kver"
step "build the provider and the servers (Maven)" "$out/build-mvn.log" \
	mvn -B -q -f "$repo/pom.xml" -DskipTests package

# The VM step streams the guest's own progress lines, each with its time.
echo "==> boot the VM (Debian $kver, QEMU/TCG) and run the servers under wrk"
vm_t=$SECONDS
# tsc=reliable: see scripts/bench.sh (without it clock_gettime() is a real
# system call in the guest, and perf counts every System.nanoTime()).
scripts/vm/run --timeout 1800 --out "$out" --append "tsc=reliable clocksource=tsc" \
	${DEMO_SERVERS:+--env "DEMO_SERVERS=$DEMO_SERVERS"} \
	${DEMO_CONNS:+--env "DEMO_CONNS=$DEMO_CONNS"} \
	${DEMO_SECONDS:+--env "DEMO_SECONDS=$DEMO_SECONDS"} \
	${DEMO_WARMUP:+--env "DEMO_WARMUP=$DEMO_WARMUP"} \
	${DEMO_JVM_FLAGS+--env "DEMO_JVM_FLAGS=$DEMO_JVM_FLAGS"} \
	-- compat-tests/vm/demo.sh "$repo/build/kmod-variants/demo-$kver/spool.ko" "$out" 2>&1 |
	tee "$out/vm.log" | sed -u 's/^/    /'
rc=${PIPESTATUS[0]}
if ((rc != 0)); then
	why=$(grep -m1 '^demo: ' "$out/vm.log" | sed 's/^demo: //')
	case $rc in
	124) why="the VM timed out${why:+: $why}" ;;
	125) why="the VM failed to boot or crashed; see build/demo/console.log" ;;
	esac
	fail "${why:-the run in the VM failed (exit $rc)}; log: build/demo/vm.log"
fi
printf '==> %-44s done in %s\n' "VM run" "$(elapsed "$vm_t")"
[[ -s $out/results.tsv ]] || fail "the VM run wrote no results (build/demo/results.tsv)"

# --- summary ---------------------------------------------------------------
summary() {
	local env
	env=$(paste -sd';' "$out/env.txt" 2>/dev/null | sed 's/;/; /g')
	echo
	echo "SPOOL demo: unmodified NIO HTTP servers, JDK default provider vs SPOOL"
	echo "$env"
	echo "wrk -t2 keep-alive GET /small (1 KiB), ${DEMO_SECONDS:-12} s per run after a warm-up;" \
		"syscalls: perf stat -e raw_syscalls:sys_enter on the server"
	echo
	awk -F'\t' '
	{ k = $1 SUBSEP $2; if (!(k in seen)) { seen[k] = 1; order[n++] = k }
	  rps[k, $3] = $7; sys[k, $3] = ($5 > 0 ? $10 / $5 : 0); be[k, $3] = $4
	  err[k, $3] = $8 + $9
	  if ($3 == "spool") batch[k] = ($11 > 0 ? sprintf("%.1f", $12 / $11) : "-") }
	END {
		printf "%-21s | %-26s | %-17s | %-6s | %-7s | %s\n", "", "requests per second", "syscalls/request",
			"batch", "backend", "errors"
		printf "%-15s %5s | %8s %8s %8s | %8s %8s | %6s | %-7s | %s\n", "server", "conns",
			"default", "SPOOL", "ratio", "default", "SPOOL", "SPOOL", "SPOOL", "dflt/SPOOL"
		printf "%s\n", "----------------------+----------------------------+-------------------+--------+---------+-----------"
		for (i = 0; i < n; i++) {
			k = order[i]; split(k, p, SUBSEP)
			d = rps[k, "default"]; s = rps[k, "spool"]
			printf "%-15s %5s | %8.0f %8.0f %7.2fx | %8.2f %8.2f | %6s | %-7s | %s/%s\n", p[1], p[2],
				d, s, (d > 0 ? s / d : 0), sys[k, "default"], sys[k, "spool"],
				batch[k], be[k, "spool"], err[k, "default"], err[k, "spool"]
		}
	}' "$out/results.tsv"
	echo
	echo "ratio: SPOOL req/s over default; sys/req: system calls per request;" \
		"batch: /proc/spool-stat cycle_events / cycle_calls during the run;"
	echo "backend: what the provider logged (spool = /dev/spool; epoll = fallback);" \
		"errors: wrk socket errors + non-2xx, default/SPOOL"
	# the servers' own flags, the same on both providers (compat-tests/servers.tsv)
	awk -F'\t' '!/^#/ && NF && $5 != "-" && ($1 == "jdk-httpserver" || $1 == "netty-http") {
		print $1 " runs with " $5 " on both providers." }' compat-tests/servers.tsv
	local f
	for f in "$out"/*-spool.mxbean.txt; do
		[[ -s $f ]] || continue
		echo "$(basename "$f" -spool.mxbean.txt): $(head -n 1 "$f")"
	done
	[[ -s $out/notes.txt ]] && sed 's/^/note: /' "$out/notes.txt"
	echo "Raw results: build/demo/results.tsv; logs: build/demo/. Total time $(elapsed)."
}
summary | tee "$out/summary.txt"

# A SPOOL run that fell back to epoll, or that had errors, is not a
# successful demo; the default provider's errors are only shown.
bad=$(awk -F'\t' '$3 == "spool" && $4 != "spool" { print $1 " at " $2 " connections ran on backend " $4 }
	$3 == "spool" && ($8 + $9) > 0 { print $1 " on SPOOL at " $2 " connections: " $8 " socket errors, " $9 " non-2xx" }' \
	"$out/results.tsv")
[[ -z $bad ]] || fail "$(echo "$bad" | paste -sd';' | sed 's/;/; /g')"
