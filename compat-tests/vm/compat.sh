#!/usr/bin/env bash
# Guest side of `make compat`; runs inside the VM through scripts/vm/run:
#
#   compat-tests/vm/compat.sh /abs/path/spool.ko [CompatDriver options...]
#
# Loads spool.ko, then runs CompatDriver: every
# server on the JDK's default provider and on SPOOL, the checks, wrk, the
# table. EXPECT_BACKEND (default spool) is the backend SPOOL runs must use.
# Output: build/compat/compat.md and the logs beside it; the last line is
# "N passed, N failed".
set -uo pipefail

ko=${1:?usage: compat.sh /abs/path/spool.ko [CompatDriver options...]}
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${COMPAT_OUT:-$repo/build/compat}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
target=$repo/compat-tests/target

fail() {
	echo "compat: $*"
	echo "0 passed, 1 failed"
	exit 1
}

[[ -f $target/compat-tests.jar ]] || fail "no $target/compat-tests.jar (mvn package on the host first)"
insmod "$ko" 2>&1 || fail "insmod $ko failed"
[[ -c /dev/spool ]] || fail "/dev/spool missing after insmod"
[[ -r /proc/spool-stat ]] || echo "compat: no /proc/spool-stat (a module older than statistics in every build?)"
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
echo "# kernel $(uname -r); $("$java" -version 2>&1 | head -n 1); EXPECT_BACKEND=${EXPECT_BACKEND:-spool}"

export EXPECT_BACKEND=${EXPECT_BACKEND:-spool}
mkdir -p "$out"

# Never show an earlier run's table as this run's.
run_driver() {
	rm -f "$out/compat.md"
	"$java" -XX:ErrorFile="$out/hs_err_driver_%p.log" \
		-cp "$target/compat-tests.jar:$target/lib/*" io.spool.compat.CompatDriver \
		--out "$out" --root "$repo" "$@" 2>&1 | tee "$out/driver.log" | grep -v '^|' >&2
	rc=${PIPESTATUS[0]}
}

run_driver "$@"
# HotSpot under QEMU's software emulation now and then dies of SIGSEGV or
# SIGILL in JIT code, with any provider (the driver itself runs on the
# JDK's own). As the driver does for a crashed server, run once more, and
# say so; the crash report stays beside the logs.
if ((rc >= 128)) && compgen -G "$out/hs_err_driver_*.log" >/dev/null; then
	echo "compat: note: the driver JVM crashed (exit $rc):" \
		"$(grep -h -m1 -A1 'Problematic frame' "$out"/hs_err_driver_*.log | tail -n 1);" \
		"running it once more"
	pkill -f 'io[.]spool[.]compat' 2>/dev/null
	sleep 2
	mkdir -p "$out/crashed-run"
	mv "$out"/hs_err_driver_*.log "$out/driver.log" "$out/crashed-run/" 2>/dev/null
	run_driver "$@"
fi
# The table, and the summary as the very last line for scripts/check.sh.
cat "$out/compat.md" 2>/dev/null || fail "the driver wrote no table (exit $rc)"
rmmod spool 2>/dev/null || echo "compat: rmmod spool failed (a pool still open?)"
exit "$rc"
