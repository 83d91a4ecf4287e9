#!/usr/bin/env bash
# Guest side of `make fuzz` and `make check-fuzz`; runs inside the VM through
# scripts/vm/run:
#
#   kmod/vm/fuzz.sh /abs/path/spool.ko
#
# Loads spool.ko, runs kmod/fuzz/spool_fuzz,
# then checks what the fuzzer cannot see: the /proc/spool-stat gauges and
# /proc/net/sockstat (less TCP's orphans, see scripts/vm/lib.sh) back to
# where they were, a clean kernel log, rmmod.
# Then the isolation tests and the regression tests of module bugs the
# fuzzing found.  One line per check; ends with "N passed, N failed".
#
# Environment: SEED (default 1), DURATION (seconds of fuzzing, default 120),
# THREADS (worker threads, default 4), FUZZ_DIR (default kmod/fuzz),
# EPOLL_WAKE_CHECK=0 skips the epoll wake-loop reproducer, which locks
# up the whole VM on an affected module (it is on by default).
set -uo pipefail

ko=${1:?usage: fuzz.sh /abs/path/spool.ko}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fuzzdir=${FUZZ_DIR:-$here/../fuzz}
testdir=$here/../selftests	# isolation and the reproducers
seed=${SEED:-1} duration=${DURATION:-120} threads=${THREADS:-4}
check_name=fuzz
. "$here/../../scripts/vm/lib.sh"

mark_kernel_log
sock_base=$(sockstat)
note "sockstat baseline: $sock_base"
note "kernel $(uname -r), module $ko, seed $seed, $duration s, $threads threads"

for prog in "$fuzzdir/spool_fuzz" "$testdir/isolation" \
	"$testdir/repro_cycle_efault" "$testdir/repro_epoll_loop"; do
	if [[ ! -x $prog ]]; then
		not_ok "$prog missing (make -C kmod/fuzz; make -C kmod/selftests)"
		finish
	fi
done
if ! out=$(insmod "$ko" 2>&1); then
	not_ok "load: insmod failed: $out"
	finish
fi
if [[ ! -r $stat ]]; then
	not_ok "load: $stat missing (a module older than statistics in every build?)"
	rmmod spool
	finish
fi

# --- the fuzzer -----------------------------------------------------------------
log=/tmp/spool_fuzz.log
start=$SECONDS
timeout -k 10 $((duration + 120)) "$fuzzdir/spool_fuzz" -s "$seed" -d "$duration" \
	-t "$threads" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
note "spool_fuzz: $((SECONDS - start)) s, exit $rc"
add_summary spool_fuzz "$log" "$rc"

if gauges_zero 100; then
	ok "gauges: pools and files back to 0 after the fuzzer"
else
	not_ok "gauges: not back to 0 after the fuzzer: $(echo $(gauges))"
fi
if sockets_settle 300; then
	ok "sockets: /proc/net/sockstat back to its baseline after the fuzzer"
else
	not_ok "sockets: /proc/net/sockstat was '$sock_base', now '$(sockstat)'"
fi
note_orphans
sed 's/^/#   /' "$stat" | grep -E ' (pools|files|registers|wait_calls|cycle_calls|accepts|bytes_in|bytes_out|stale_dropped) '

# --- isolation ------------------------------------------------------------------
log=/tmp/spool_isolation.log
timeout -k 10 300 "$testdir/isolation" 2>&1 | tee "$log"
add_summary isolation "$log" "${PIPESTATUS[0]}"

# --- regression tests of bugs the fuzzing found -----------------------------------
log=/tmp/spool_cycle_efault.log
timeout -k 10 60 "$testdir/repro_cycle_efault" >"$log" 2>&1
rc=$?
cat "$log"
if ((rc == 0)); then
	ok "cycle EFAULT on the out-fields leaves no accepted fd installed"
else
	not_ok "cycle EFAULT on the out-fields leaves accepted fds installed (exit $rc)"
fi

if gauges_zero 100 && sockets_settle 300; then
	ok "gauges and sockets back to baseline after the isolation tests"
else
	not_ok "after the isolation tests: gauges '$(echo $(gauges))', sockstat '$(sockstat)' (was '$sock_base')"
fi
note_orphans

# --- kernel log and unload --------------------------------------------------------
check_kernel_log
if out=$(rmmod spool 2>&1) && ! loaded; then
	ok "unload: rmmod works after the run"
else
	not_ok "unload: rmmod failed: $out"
fi

# --- last: a pool in an epoll file registered in the same pool --------------------
# On an affected module the task hangs for good (and the module stays in use),
# so this runs after everything else.
loaded || insmod "$ko"
"$testdir/repro_epoll_loop" register >/tmp/spool_epoll_loop.log 2>&1 &
pid=$!
for _ in $(seq 100); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	not_ok "epoll loop: REGISTER of an epoll file holding the pool hangs (task in state" \
		"$(awk '{print $3}' /proc/$pid/stat) at $(cat /proc/$pid/wchan 2>/dev/null)," \
		"unkillable; see kmod/selftests/repro_epoll_loop.c)"
	kill -9 "$pid" 2>/dev/null
else
	wait "$pid"
	rc=$?
	# The header: registering an epoll file is EINVAL (it could close a loop).
	if grep -q '^REGISTER epoll in pool: -1 Invalid argument' /tmp/spool_epoll_loop.log; then
		ok "epoll loop: REGISTER of an epoll file holding the pool returns EINVAL (exit $rc)"
	else
		not_ok "epoll loop: REGISTER of an epoll file holding the pool did not fail with EINVAL"
	fi
	sed 's/^/#   /' /tmp/spool_epoll_loop.log
	# Since the fix the wake variant cannot loop either (its REGISTER is
	# refused too); EPOLL_WAKE_CHECK=0 skips it on a module known to lock up.
	if [[ ${EPOLL_WAKE_CHECK:-1} == 1 ]]; then
		timeout -k 5 20 "$testdir/repro_epoll_loop" wake >/tmp/spool_epoll_wake.log 2>&1
		rc=$?
		if ((rc == 0)) &&
			grep -q '^REGISTER epoll in pool: -1 Invalid argument' /tmp/spool_epoll_wake.log; then
			ok "epoll loop: the wake variant is refused (EINVAL) and returns"
		else
			not_ok "epoll loop: wake variant: exit $rc"
			sed 's/^/#   /' /tmp/spool_epoll_wake.log
		fi
	fi
	rmmod spool 2>/dev/null
fi

finish
