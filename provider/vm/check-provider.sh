#!/usr/bin/env bash
# Guest side of `make check-provider`; runs inside the VM through scripts/vm/run:
#
#   provider/vm/check-provider.sh /abs/path/spool.ko OUTDIR
#
# Loads spool.ko, runs the provider's JUnit
# suite with the JUnit console launcher on the spool backend
# (-Dspool.backend=spool, which forked scenario JVMs inherit): every test,
# including those tagged "spool" that the host run excludes, but not those
# tagged "host" (independent of the backend, and slow to start JVMs for
# under emulation: FreshJvmTest's but its virtual threads). Then checks that the
# module's cycle counter moved. Prints one line per check and ends with
# exactly one line "N passed, N failed" (the JUnit tests plus these checks).
# Then, in the same boot, the uring backend on this kernel (Debian's 6.1):
# every conformance scenario and the batching and reliability tests
# (URING_CLASSES; empty: none).
# Environment: JAVA (default: java on PATH), JUNIT_ARGS (extra launcher args,
# e.g. "--select-class io.spool.batching.SpoolBatchingTest"), BACKEND
# (default spool; epoll runs the same suite on the epoll backend, for
# comparison), URING_CLASSES, TEST_TIME_SCALE (default 1: what the tests'
# own time limits, a forked JVM's 240 s and the races' 600 s, are multiplied
# by; the sanitizer kernel's check sets it).
set -uo pipefail

ko=${1:?usage: check-provider.sh /abs/path/spool.ko OUTDIR}
out=${2:?usage: check-provider.sh /abs/path/spool.ko OUTDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
t=$repo/provider/target
java=${JAVA:-java}
backend=${BACKEND:-spool}
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - provider: $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - provider: $*"; }
finish() {
	echo "$passed passed, $failed failed"
	((failed == 0))
	exit
}
stat() { awk -v k="$1" '$1 == k { print $2 }' /proc/spool-stat; }

if ! msg=$(insmod "$ko" 2>&1); then
	not_ok "insmod $ko: $msg"
	finish
fi
ok "module loaded"
# SpoolAcceptLsmTest confines a thread with this AppArmor profile.
aa_profile=$repo/kmod/selftests/deny-accept.apparmor
if ! msg=$(apparmor_parser -r -K "$aa_profile" 2>&1); then
	not_ok "apparmor_parser -r $aa_profile: $msg (AppArmor active? make setup?)"
fi
for f in "$t/classes" "$t/test-classes" "$t/junit-console/junit-platform-console-standalone.jar"; do
	[[ -e $f ]] || { not_ok "missing $f (run: mvn -DskipTests package)"; finish; }
done

cycles0=$(stat cycle_calls)
reports=$out/junit
rm -rf "$reports"
mkdir -p "$reports"
# On the JVM's own class path (not the launcher's --class-path), as under
# Surefire: then the provider's META-INF/services entry makes SPOOL the
# default provider of the test JVM too.
cp="$t/test-classes:$t/classes"
for j in "$t"/lib/*.jar "$t"/test-lib/*.jar; do cp+=":$j"; done
start=$(date +%s)
# shellcheck disable=SC2086
# from provider/, as under Maven (tests read ../kmod/include/uapi/spool.h)
cd "$repo/provider" || exit 1
# -ea:io.spool...: the provider's lock and thread invariants are asserted, as under Surefire.
# -Dspool.jmx=false, passed on to the JVMs the tests start: the platform MBean
# server costs seconds of CPU per JVM under emulation; ProviderMXBeanTest
# checks the bean on the host.
"$java" -ea:io.spool... -Dspool.jmx=false -Dspool.test.timeScale="${TEST_TIME_SCALE:-1}" -Dspool.backend="$backend" -Dspool.expectBackend="$backend" \
	-Dspool.test.classes="$t/classes" -Dspool.test.testClasses="$t/test-classes" \
	-Dspool.test.lib="$t/lib" \
	-cp "$t/junit-console/junit-platform-console-standalone.jar:$cp" \
	org.junit.platform.console.ConsoleLauncher execute \
	${JUNIT_ARGS:---scan-class-path "$t/test-classes" --exclude-tag host} \
	--reports-dir "$reports" --details=tree --disable-banner \
	>"$out/junit.log" 2>&1
rc=$?
echo "# JUnit console launcher: exit $rc, $(( $(date +%s) - start )) s; log in $out/junit.log"
grep -E '✘|\[X\]|MethodSource|=>' "$out/junit.log" | head -n 60 | sed 's/^/# /'
grep -E '^(native calls|# )' "$out/junit.log" | sed 's/^/# /'
grep -F 'SPOOL-MEASURE' "$out/junit.log" | sed 's/^/# /'

cycles1=$(stat cycle_calls)
if [[ $backend != spool ]]; then
	echo "# backend $backend: cycle_calls $cycles0 -> $cycles1"
elif [[ -n $cycles0 && -n $cycles1 ]] && ((cycles1 > cycles0)); then
	ok "/proc/spool-stat cycle_calls moved: $cycles0 -> $cycles1"
else
	not_ok "/proc/spool-stat cycle_calls did not move ($cycles0 -> $cycles1)"
fi
echo "# /proc/spool-stat after the suite:"
sed 's/^/#   /' /proc/spool-stat

# The uring backend on this kernel, as the host runs it natively on its own.
uring_classes=${URING_CLASSES-io.spool.conformance.ConformanceTest io.spool.batching.SpoolBatchingTest io.spool.batching.ReadOrderHazardTest io.spool.reliability.WriteBehindLossTest io.spool.reliability.ResetAfterStagedWriteTest io.spool.backend.UringPollerTest}
reports_uring=$out/junit-uring
rm -rf "$reports_uring"
if [[ -n $uring_classes ]]; then
	sel=()
	for c in $uring_classes; do sel+=(--select-class "$c"); done
	start=$(date +%s)
	"$java" -ea:io.spool... -Dspool.jmx=false -Dspool.test.timeScale="${TEST_TIME_SCALE:-1}" -Dspool.backend=uring -Dspool.expectBackend=uring \
		-Dspool.test.classes="$t/classes" -Dspool.test.testClasses="$t/test-classes" \
		-Dspool.test.lib="$t/lib" \
		-cp "$t/junit-console/junit-platform-console-standalone.jar:$cp" \
		org.junit.platform.console.ConsoleLauncher execute "${sel[@]}" --exclude-tag host \
		--reports-dir "$reports_uring" --details=tree --disable-banner \
		>"$out/junit-uring.log" 2>&1
	urc=$?
	echo "# uring backend: JUnit console launcher: exit $urc, $(( $(date +%s) - start )) s; log in $out/junit-uring.log"
	grep -E '✘|\[X\]|MethodSource|=>' "$out/junit-uring.log" | head -n 40 | sed 's/^/# /'
	((urc == 0)) || rc=$urc
else
	reports_uring=
fi

# The JUnit reports, as "N passed, N failed", merged with our own checks.
junit=$("$repo/scripts/junit-summary.sh" "$reports" $reports_uring)
grep '^# failed: ' <<<"$junit"
summary=$(tail -n 1 <<<"$junit")
echo "# JUnit: $summary"
if [[ $summary =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	passed=$((passed + BASH_REMATCH[1]))
	failed=$((failed + BASH_REMATCH[2]))
else
	not_ok "no JUnit summary"
fi
((rc == 0)) || { [[ $summary =~ \ 0\ failed$ ]] && not_ok "launcher exit status $rc"; }
finish
