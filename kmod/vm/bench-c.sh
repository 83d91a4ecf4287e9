#!/usr/bin/env bash
# The C experiment of the benchmark: the same small HTTP/1.1 keep-alive
# server on epoll (kmod/httpd/httpd_epoll) and on the SPOOL cycle call
# (kmod/httpd/httpd_spool), under wrk, in the QEMU guest.  Runs INSIDE the
# guest, as root:
#
#   make -C kmod && make -C kmod/httpd &&
#   scripts/vm/run --out build/httpd --timeout 1800 -- \
#       kmod/vm/bench-c.sh $PWD/kmod/spool.ko
#
# (add --env OUT_DIR=$PWD/build/httpd to get the table in bench-c.md, and
# --env CONNS=..., PAIRS=..., DURATION=... to change the defaults).
#
# $1: spool.ko.
# Environment:
#   CONNS      connection counts (default "100 1000 5000")
#   PAIRS      A B pairs per count, epoll then spool (default 2)
#   DURATION   seconds per wrk run (default 10)
#   OUT_DIR    if set: writes bench-c.md (and the raw logs under bench-c/)
#   WRK_TIMEOUT  wrk's per-request timeout (default 10s; its default of 2s
#              counts slow answers of the emulated guest as socket errors)
#
# First a functional check of both servers (GET / is 200 with the same
# body, 404 otherwise, pipelined requests, Connection: close, HTTP/1.0),
# then the load: for each count, PAIRS pairs of runs, the server pinned to
# CPU 0 and wrk (-t1, a ~66-byte request) to CPU 1, while
# `perf stat -e raw_syscalls:sys_enter -p SERVER` counts the server's
# system calls over the whole wrk run.  For spool, /proc/spool-stat deltas
# give the average batch per cycle call.  Prints a Markdown table and ends
# with "N passed, N failed": one item per functional check, one per
# (server, conns) cell (0 socket errors, 0 non-2xx, req/s > 0 in every
# run), and one for a kernel log free of WARNING/BUG/Oops.
set -uo pipefail

ko=${1:?usage: bench-c.sh /path/to/spool.ko}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
httpd=$here/../httpd
CONNS=${CONNS:-100 1000 5000}
PAIRS=${PAIRS:-2}
DURATION=${DURATION:-10}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
PORT_BASE=${PORT_BASE:-9100}
UA='User-Agent: wrk-bench-c1'	# with wrk's "GET / ... Host:" = 66 bytes

work=$(mktemp -d /tmp/bench-c.XXXXXX)
if [[ -n ${OUT_DIR:-} ]]; then
	logs=$OUT_DIR/bench-c
	mkdir -p "$logs"
else
	logs=$work
fi
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

for b in httpd_epoll httpd_spool; do
	[[ -x $httpd/$b ]] || { echo "bench-c: $httpd/$b missing: make -C kmod/httpd" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "bench-c: wrk missing" >&2; exit 2; }
command -v perf >/dev/null || { echo "bench-c: perf missing" >&2; exit 2; }

if ! grep -q '^spool ' /proc/modules; then
	insmod "$ko" || { echo "bench-c: insmod $ko failed" >&2; exit 2; }
fi
[[ -r /proc/spool-stat ]] ||
	{ echo "bench-c: no /proc/spool-stat (a module older than statistics in every build?)" >&2; exit 2; }
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
sysctl -q -w net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535 2>/dev/null

port=$PORT_BASE
srv_pid= srv_log=

# start_server NAME: starts httpd_NAME on a fresh port, pinned to CPU 0.
start_server() {
	port=$((port + 1))
	srv_log=$work/srv-$1-$port.log
	taskset -c 0 "$httpd/httpd_$1" -p "$port" -b 8192 >"$srv_log" 2>&1 &
	srv_pid=$!
	for _ in $(seq 100); do
		grep -q '^listening on' "$srv_log" && return 0
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-c: httpd_$1 did not start:" >&2
	cat "$srv_log" >&2
	return 1
}

# stop_server: SIGTERM, wait; its counter line stays in $srv_log.
stop_server() {
	[[ -n $srv_pid ]] || return 0
	kill -TERM "$srv_pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_pid=
}
trap 'stop_server' EXIT

# ---- functional check -------------------------------------------------------

# get PATH [extra-header]: one request, the whole answer on stdout.
get() {
	printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$1" |
		timeout 10 busybox nc 127.0.0.1 "$port"
}

functional() {
	local s=$1 f=$work/func-$1 ok=1
	start_server "$s" || { fail "functional $s: server did not start"; return; }

	# 1. GET / -> 200, keep the body to compare servers; Connection: close
	#    must end the connection (timeout would kill nc otherwise).
	if get / >"$f.root" && head -n1 "$f.root" | grep -q '^HTTP/1.1 200 OK' &&
	   grep -aq '^Content-Length: 1024' "$f.root"; then
		sed '1,/^\r$/d' "$f.root" >"$f.body"
		if [[ $(wc -c <"$f.body") -eq 1024 ]]; then
			pass "functional $s: GET / is 200 with a 1024-byte body ($(wc -c <"$f.root") bytes on the wire)"
		else
			fail "functional $s: GET / body is $(wc -c <"$f.body") bytes"
		fi
	else
		fail "functional $s: GET / (rc or status): $(head -c 200 "$f.root" 2>/dev/null)"
	fi

	# 2. Another path -> 404.
	if get /nope | head -n1 | grep -q '^HTTP/1.1 404'; then
		pass "functional $s: GET /nope is 404"
	else
		fail "functional $s: GET /nope is not 404"
	fi

	# 3. Pipelined: three requests in one write, the last with
	#    Connection: close; a fourth after it must be ignored.
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n' |
		timeout 10 busybox nc 127.0.0.1 "$port" >"$f.pipe"
	local rc=$? st
	st=$(grep -a '^HTTP/1.1 ' "$f.pipe" | awk '{print $2}' | tr '\n' ' ')
	if [[ $rc -eq 0 && $st == "200 404 200 " ]]; then
		pass "functional $s: pipelined GET / GET /x GET / (close) -> $st and close"
	else
		fail "functional $s: pipelined: rc $rc, statuses '$st'"
	fi

	# 4. Pipelined keep-alive in pieces: a request split across two
	#    writes, then 50 at once, read back over one connection.
	{
		printf 'GET / HTTP/1.1\r\nHo'
		sleep 0.3
		printf 'st: x\r\n\r\n'
		for _ in $(seq 50); do printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'; done
		sleep 1.5
		printf 'GET / HTTP/1.0\r\n\r\n'
	} | timeout 15 busybox nc 127.0.0.1 "$port" >"$f.many"
	rc=$?
	st=$(grep -ac '^HTTP/1.1 200 OK' "$f.many")
	if [[ $rc -eq 0 && $st -eq 52 ]]; then
		pass "functional $s: split + 50 pipelined + HTTP/1.0 close -> 52 answers"
	else
		fail "functional $s: split/pipelined: rc $rc, $st answers of 52"
	fi

	# 5. Back-pressure: 10,000 pipelined requests (the last with
	#    Connection: close) read by a client that stalls for 2 s, so that
	#    ~11 MB of answers meet full socket buffers: short sends, waiting
	#    for SPOOL_OUT/EPOLLOUT, reading paused above HTTP_OUT_HIGH.
	{
		for _ in $(seq 9999); do printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'; done
		printf 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	} >"$f.bigreq"
	st=$(timeout 60 busybox nc 127.0.0.1 "$port" <"$f.bigreq" | { sleep 2; cat; } |
		grep -ac '^HTTP/1.1 200 OK')
	if [[ $st -eq 10000 ]]; then
		pass "functional $s: 10000 pipelined requests to a stalled reader -> 10000 answers"
	else
		fail "functional $s: stalled reader: $st answers of 10000"
	fi

	# 6. Connection ends: half close, idle half close (the FIN must come
	#    within 0.9 s: spool drops a stale registration at the next
	#    cycle), RST, 200 Connection: close at once.
	if command -v python3 >/dev/null; then
		local line
		while IFS= read -r line; do
			case $line in
			ok*) pass "functional $s: ${line#ok   }" ;;
			*) fail "functional $s: ${line#FAIL }" ;;
			esac
		done < <(timeout 120 python3 "$httpd/check_close.py" "$port" 2>&1)
	fi

	# 7. A short wrk run.
	taskset -c 1 wrk -t1 -c4 -d1s -H "$UA" "http://127.0.0.1:$port/" >"$f.wrk" 2>&1
	if grep -q '^Requests/sec' "$f.wrk" && ! grep -q 'Socket errors\|Non-2xx' "$f.wrk"; then
		pass "functional $s: wrk -c4 -d1s: $(awk '/^Requests\/sec/{print $2}' "$f.wrk") req/s, no errors"
	else
		fail "functional $s: wrk -c4 -d1s: $(tr '\n' ' ' <"$f.wrk")"
	fi

	stop_server
	cp "$srv_log" "$logs/func-$s.log" 2>/dev/null
}

echo "# bench-c: $(uname -r), $(nproc) CPUs, module $ko"
functional epoll
functional spool
if [[ -s $work/func-epoll.body ]] && cmp -s "$work/func-epoll.body" "$work/func-spool.body"; then
	pass "functional: both servers send the same body"
else
	fail "functional: the bodies differ"
fi

# ---- load ---------------------------------------------------------------------

# proc_cpu PID: "utime stime" in clock ticks.
proc_cpu() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'
}
# cpu_busy: "busy0 total0 busy1 total1" ticks of CPU 0 and CPU 1.
cpu_busy() {
	awk '$1 == "cpu0" || $1 == "cpu1" { t = 0; for (i = 2; i <= 9; i++) t += $i; printf "%d %d ", t - $5 - $6, t }' /proc/stat
}
HZ=$(getconf CLK_TCK)

stat_get() {	# stat_get FILE NAME
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

results=$work/results.tsv	# conns server pair rps reqs sockerr non2xx syscalls batch sends
: >"$results"

# run_one SERVER CONNS PAIR
run_one() {
	local s=$1 c=$2 p=$3 tag="$1-c$2-p$3" threads=1
	local w=$work/$tag.wrk pf=$work/$tag.perf sb=$work/$tag.stat0 sa=$work/$tag.stat1
	start_server "$s" || { echo -e "$c\t$s\t$p\t0\t0\t-1\t-1\t0\t-\t-\t-\t-\t-" >>"$results"; return; }

	cat /proc/spool-stat >"$sb"
	local cpu0 cpu1 st0 st1
	perf stat -e raw_syscalls:sys_enter -x, -o "$pf" -p "$srv_pid" &
	local perf_pid=$!
	sleep 2		# perf attaches; the idle server makes no calls
	st0=$(proc_cpu "$srv_pid") cpu0=$(cpu_busy)
	taskset -c 1 wrk -t$threads -c"$c" -d"${DURATION}s" --timeout "$WRK_TIMEOUT" \
		--latency -H "$UA" "http://127.0.0.1:$port/" >"$w" 2>&1
	st1=$(proc_cpu "$srv_pid") cpu1=$(cpu_busy)
	kill -INT "$perf_pid" 2>/dev/null
	wait "$perf_pid" 2>/dev/null
	cat /proc/spool-stat >"$sa"
	stop_server
	cp "$w" "$logs/$tag.wrk" 2>/dev/null
	cp "$srv_log" "$logs/$tag.server" 2>/dev/null

	local rps reqs serr non2xx sys calls evs sends batch bsends
	rps=$(awk '/^Requests\/sec/ { print $2 }' "$w")
	reqs=$(awk '/requests in/ { print $1 }' "$w")
	serr=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$w")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$w")
	sys=$(awk -F, '/raw_syscalls:sys_enter/ { print $1 }' "$pf")
	[[ $sys =~ ^[0-9]+$ ]] || sys=-1
	calls=$(( $(stat_get "$sa" cycle_calls) - $(stat_get "$sb" cycle_calls) ))
	evs=$(( $(stat_get "$sa" cycle_events) - $(stat_get "$sb" cycle_events) ))
	sends=$(( $(stat_get "$sa" cycle_sends) - $(stat_get "$sb" cycle_sends) ))
	if ((calls > 0)); then
		batch=$(awk -v e="$evs" -v c="$calls" 'BEGIN { printf "%.1f", e / c }')
		bsends=$(awk -v e="$sends" -v c="$calls" 'BEGIN { printf "%.1f", e / c }')
	else
		batch=- bsends=-
	fi
	local usr sys_t cpuk busy
	read -r u0 s0 <<<"$st0"; read -r u1 s1 <<<"$st1"
	usr=$((u1 - u0)) sys_t=$((s1 - s0))
	cpuk=$(awk -v u="$usr" -v k="$sys_t" -v r="${reqs:-0}" -v hz="$HZ" 'BEGIN { if (r > 0) printf "%.3f", (u + k) / hz * 1000 / r; else print "-" }')
	busy=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { split(a, x, " "); split(b, y, " "); for (i = 1; i <= 3; i += 2) { d = y[i + 1] - x[i + 1]; printf "%s%d", (i > 1 ? "/" : ""), (d > 0 ? 100 * (y[i] - x[i]) / d : 0) } }')
	echo -e "$c\t$s\t$p\t${rps:-0}\t${reqs:-0}\t${serr:-0}\t${non2xx:-0}\t$sys\t$batch\t$bsends\t$cpuk\t$usr/$sys_t\t$busy" >>"$results"
	printf '%-5s c=%-5s pair %s: %10s req/s  %8s reqs  syscalls %9s  sockerr %s non2xx %s  batch %s/%s  cpu-s/1k %s (usr/sys ticks %s)  busy%% cpu0/cpu1 %s\n' \
		"$s" "$c" "$p" "${rps:-0}" "${reqs:-0}" "$sys" "${serr:-0}" "${non2xx:-0}" "$batch" "$bsends" "$cpuk" "$usr/$sys_t" "$busy"
	sed -n 's/^httpd_[a-z]*: /    server: /p' "$srv_log"
}

start=$SECONDS
for c in $CONNS; do
	for p in $(seq "$PAIRS"); do
		run_one epoll "$c" "$p"
		run_one spool "$c" "$p"
	done
done

# ---- the table ----------------------------------------------------------------

median() { sort -g | awk '{ a[NR] = $1 } END { if (!NR) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

md=$work/bench-c.md
{
	echo "### C HTTP server: epoll vs SPOOL cycle ($(date -u +%Y-%m-%d), guest $(uname -r), $(nproc) vCPUs under QEMU TCG)"
	echo
	echo "wrk -t1 -c N -d ${DURATION}s --timeout $WRK_TIMEOUT, 66-byte request, $(wc -c <"$work/func-epoll.root" 2>/dev/null || echo '~1100')-byte response (1,024-byte body; 1,112 bytes keep-alive);"
	echo "server on CPU 0, wrk on CPU 1; $PAIRS pairs per count, run epoll then spool; medians over the pairs."
	echo "syscalls/req: perf stat -e raw_syscalls:sys_enter -p SERVER over the wrk run / requests wrk completed."
	echo "batch (spool): /proc/spool-stat cycle_events/cycle_calls (sends/cycle_calls)."
	echo "server CPU: utime + stime of the server from /proc/PID/stat over the wrk run (${HZ} ticks/s)."
	echo
	echo "| conns | server | req/s (median) | syscalls/req | batch (events/sends per cycle) | server CPU s / 1k req | errors (socket / non-2xx) |"
	echo "|---:|---|---:|---:|---:|---:|---:|"
	for c in $CONNS; do
		for s in epoll spool; do
			rows=$(awk -F'\t' -v c="$c" -v s="$s" '$1 == c && $2 == s' "$results")
			rps=$(cut -f4 <<<"$rows" | median)
			spr=$(awk -F'\t' '$5 > 0 && $8 >= 0 { printf "%.3f\n", $8 / $5 }' <<<"$rows" | median)
			b=$(awk -F'\t' '$9 != "-" { print $9 }' <<<"$rows" | median)
			bs=$(awk -F'\t' '$10 != "-" { print $10 }' <<<"$rows" | median)
			se=$(awk -F'\t' '{ t += $6 } END { print t + 0 }' <<<"$rows")
			nx=$(awk -F'\t' '{ t += $7 } END { print t + 0 }' <<<"$rows")
			ck=$(awk -F'\t' '$11 != "-" { print $11 }' <<<"$rows" | median)
			if [[ $s == spool ]]; then bb="$b / $bs"; else bb=-; fi
			echo "| $c | $s | $rps | $spr | $bb | $ck | $se / $nx |"
		done
	done
	echo
	echo "spool/epoll ratio of req/s, per pair:"
	echo
	echo "| conns | $(for p in $(seq "$PAIRS"); do printf 'pair %s | ' "$p"; done)median |"
	echo "|---:|$(for p in $(seq "$PAIRS"); do printf -- '---:|'; done)---:|"
	for c in $CONNS; do
		ratios=()
		for p in $(seq "$PAIRS"); do
			e=$(awk -F'\t' -v c="$c" -v p="$p" '$1 == c && $2 == "epoll" && $3 == p { print $4 }' "$results")
			k=$(awk -F'\t' -v c="$c" -v p="$p" '$1 == c && $2 == "spool" && $3 == p { print $4 }' "$results")
			ratios+=("$(awk -v e="${e:-0}" -v k="${k:-0}" 'BEGIN { if (e > 0) printf "%.2f", k / e; else print "-" }')")
		done
		med=$(printf '%s\n' "${ratios[@]}" | grep -v '^-$' | median)
		echo "| $c | $(printf '%s | ' "${ratios[@]}")$med |"
	done
	echo
	echo "Runs:"
	echo
	echo "| conns | server | pair | req/s | requests | syscalls | syscalls/req | socket errors | non-2xx | events/cycle | sends/cycle | server CPU s / 1k req (usr/sys ticks) | busy % CPU 0 / CPU 1 |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s |\n", $1, $2, $3, $4, $5, $8, ($5 > 0 && $8 >= 0 ? sprintf("%.3f", $8 / $5) : "-"), $6, $7, $9, $10, $11, $12, $13 }' "$results"
} >"$md"
echo
cat "$md"
[[ -n ${OUT_DIR:-} ]] && cp "$md" "$OUT_DIR/bench-c.md"
echo
echo "load phase: $((SECONDS - start)) s"

for c in $CONNS; do
	for s in epoll spool; do
		bad=$(awk -F'\t' -v c="$c" -v s="$s" '$1 == c && $2 == s && ($6 != 0 || $7 != 0 || !($4 > 0)) { n++ } END { print n + 0 }' "$results")
		runs=$(awk -F'\t' -v c="$c" -v s="$s" '$1 == c && $2 == s { n++ } END { print n + 0 }' "$results")
		if ((runs > 0 && bad == 0)); then
			pass "load $s c=$c: $runs runs, 0 socket errors, 0 non-2xx, req/s > 0"
		else
			fail "load $s c=$c: $bad of $runs runs with errors or no requests"
		fi
	done
done

if dmesg | grep -E 'WARNING|BUG|Oops|general protection|spool.*(leak|error)' >"$work/dmesg.bad"; then
	fail "kernel log: $(wc -l <"$work/dmesg.bad") suspicious lines:"
	sed 's/^/    /' "$work/dmesg.bad" | head -40
else
	pass "kernel log: no WARNING/BUG/Oops"
fi
echo "/proc/spool-stat at the end:"
sed 's/^/    /' /proc/spool-stat | tr '\n' ' '
echo
echo "$passed passed, $failed failed"
((failed == 0))
