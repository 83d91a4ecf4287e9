#!/usr/bin/env bash
# make check-sanitize: the module's guest suites on the sanitizer kernel
# (scripts/sanitizer-kernel.sh: KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak,
# UBSAN), one boot each, then a scan of each boot's kernel log and kmemleak
# report. Fails on any report the suppressions file does not name.
#
#   scripts/check-sanitize.sh
#
# Suites (SANITIZE_SUITES, in this order by default):
#   kmod      the selftests and unload checks (kmod/vm/check-kmod.sh), no
#             install test (this kernel has no module tree for dkms); each
#             selftest's time limit times SANITIZE_TIMEOUT_SCALE (10:
#             HARNESS_TIMEOUT_SCALE, kmod/selftests/harness.h)
#   fuzz      kmod/vm/fuzz.sh, one boot per seed of SANITIZE_SEEDS ("1 2 3"),
#             SANITIZE_FUZZ_SECONDS (600) shared out among them
#   cycles    the connect/close cycles (compat-tests/vm/soak.sh, SOAK_BYTES=0),
#             SANITIZE_CYCLES (20000) of them; the slab check counts the
#             caches' objects, not their slabs (CYCLES_SLAB=objects), since
#             KASAN's quarantine scatters the run's objects over more slabs
#   provider  the provider's suite on the spool backend
#             (provider/vm/check-provider.sh); JVMs under TCG on KASAN are slow
#             (2.5 times Debian's 6.1): the tests' own time limits (a forked
#             JVM's, the races') times SANITIZE_PROVIDER_SCALE (4:
#             TEST_TIME_SCALE, provider/vm/check-provider.sh); JUNIT_ARGS and
#             URING_CLASSES, if set, pick its classes as check-provider.sh says
# Output: SANITIZE_OUT (build/check-sanitize)/SUITE/{log.txt,dmesg.txt,
# console.log,kmemleak.txt,reports.txt}, and summary.txt: per suite the wall
# time, the suite's verdict, the fuzzer's calls, the reports.
#
# kmod/sanitize/suppressions: one extended regex a line (# comments), each
# matched against a report's title line, each with the reason above it.
#
# SANITIZER=kcsan runs the same suites on the KCSAN kernel (kmod/sanitize/
# kcsan.config), into build/check-sanitize-kcsan unless SANITIZE_OUT says;
# SANITIZE_KVER=6.1 on the one built from linux-source-6.1
# (build/check-sanitize-6.1, -6.1-kcsan).
# A KCSAN report fails the check when a frame of spool.ko ("[spool]") is in
# either access's stack. One with none is a race between two accesses of the
# kernel's own code, made by the JVM's or the tests' system calls: it goes
# to SUITE/kcsan-kernel.txt and the summary counts it, without failing.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# Which kernel: SANITIZE_KVER (6.12 or 6.1) and SANITIZER (kasan or kcsan),
# as scripts/sanitizer-kernel.sh takes them. Each has its own module build
# and its own output: sanitize, sanitize-kcsan, sanitize-6.1, ...
flavour=${SANITIZER:-kasan}
suffix=
[[ ${SANITIZE_KVER:-6.12} == 6.12 ]] || suffix=-$SANITIZE_KVER
[[ $flavour == kasan ]] || suffix+=-$flavour
out=${SANITIZE_OUT:-$repo/build/check-sanitize$suffix}
variant=sanitize$suffix
suites=${SANITIZE_SUITES:-kmod fuzz cycles provider}
seeds=${SANITIZE_SEEDS:-1 2 3}
fuzz_total=${SANITIZE_FUZZ_SECONDS:-600}
cycles=${SANITIZE_CYCLES:-20000}
threads=${THREADS:-4}
scale=${SANITIZE_TIMEOUT_SCALE:-10}
provider_scale=${SANITIZE_PROVIDER_SCALE:-4}
supp=$repo/kmod/sanitize/suppressions

kdir=$(scripts/sanitizer-kernel.sh) || exit 1	# takes SANITIZER, SANITIZE_KVER
# 6.12 boots from vmlinux (its PVH entry: no decompression under TCG). The
# 6.1 kernel's vmlinux, booted the same way, ends QEMU within a second with
# nothing on the console; its bzImage boots. Why is not known (its PVH
# entry has the fix that calls C code through the kernel's mapping).
image=$kdir/vmlinux
[[ ${SANITIZE_KVER:-6.12} == 6.1 ]] && image=$kdir/arch/x86/boot/bzImage
echo "check-sanitize: kernel $(cat "$kdir/include/config/kernel.release"), $image"

# --- builds: the module against the sanitizer tree, the user-space programs --
# Rebuilt only when a source or the kernel tree is newer than it, so that
# two runs (other SANITIZE_SUITES, another SANITIZE_OUT) may share it.
ko=$repo/build/kmod-variants/$variant/spool.ko
if [[ ! -f $ko ]] || [[ -n $(find kmod/Kbuild kmod/Makefile kmod/*.[ch] kmod/include \
	"$kdir/../done" -newer "$ko" -print -quit) ]]; then
	kmod/build-variant.sh "$variant" "$variant" KDIR="$kdir" SPOOL_PROC_STAT=1 || {
		echo "check-sanitize: spool.ko does not build against $kdir" >&2
		exit 1
	}
fi
make -s -C kmod selftests || exit 1
make -s -C kmod/fuzz || exit 1
case " $suites " in
*" provider "*) ${MVN:-mvn} -q -pl provider -am -DskipTests package || exit 1 ;;
esac

# --- the suites ----------------------------------------------------------
# kasan_multi_shot: every KASAN report, not the first only; a log buffer
# large enough for all of them.
append="log_buf_len=16M pci=noacpi"
[[ $flavour == kasan ]] && append="kasan_multi_shot $append"
# On KCSAN the guest suites' own kernel-log checks leave KCSAN's reports to
# this side, which tells the module's races from the kernel's (kcsan_split).
guest_env=()
[[ $flavour == kcsan ]] && guest_env=(--env KERNEL_LOG_SKIP_KCSAN=1)
mkdir -p "$out"
# absolute: the provider suite's guest script writes there after a cd
out=$(cd "$out" && pwd)
summary=$out/summary.txt
: >"$summary"
status=0

# Report titles: KASAN, KCSAN, UBSAN, lockdep's, might_sleep's, kmemleak's,
# and whatever else the kernel calls a bug or a warning.
titles='BUG: KASAN|BUG: KCSAN|UBSAN:|WARNING: possible (circular|recursive) locking|WARNING: inconsistent lock state|WARNING: (bad unlock balance|lock held when returning|suspicious RCU usage|held lock freed)|possible irq lock inversion|BUG: sleeping function called|BUG: scheduling while atomic|BUG: workqueue leaked lock|BUG: (soft|hard) lockup|INFO: task .* blocked|general protection fault|kernel BUG at|Oops|WARNING: CPU:|BUG: unable to handle|unreferenced object'

# kcsan_split DIR: takes out of DIR/reports.txt each KCSAN report of
# dmesg.txt with no spool.ko frame ("[spool]") in either access's stack (from
# its title to KCSAN's closing line of '='), and writes those blocks to
# DIR/kcsan-kernel.txt. A stack of an access made in an interrupt or a
# softirq goes on past its entry into the task it interrupted: those frames
# do not count.
kcsan_split() {
	local dir=$1 lines
	: >"$dir/kcsan-kernel.txt"
	[[ -f $dir/dmesg.txt ]] || return 0
	lines=$(awk -v out="$dir/kcsan-kernel.txt" '
		/BUG: KCSAN:/ { n = NR; block = $0; spool = 0; irq = 0; next }
		# each access stack starts with its "... bytes by task|interrupt"
		# line; frames after an interrupt entry (asm_sysvec_*, asm_exc_*)
		# or a softirq run (handle_softirqs, 6.1: __do_softirq; also run
		# inline when a task re-enables bottom halves) are the task it
		# interrupted, which made no access of its own
		n && / bytes by / { irq = 0 }
		n && / (asm_[a-z0-9_]+|handle_softirqs|__do_softirq)\+0x/ { irq = 1 }
		n && !irq && /\[spool\]/ { spool = 1 }
		n { block = block "\n" $0 }
		n && index($0, "========================================") {
			if (!spool) { print n; print block "\n" >out }
			n = 0
		}
		END { if (n && !spool) { print n; print block "\n" >out } }
	' "$dir/dmesg.txt")
	[[ -n $lines ]] || return 0
	grep -vE "^dmesg\.txt:($(paste -sd'|' <<<"$lines")):" "$dir/reports.txt" >"$dir/reports.tmp"
	mv "$dir/reports.tmp" "$dir/reports.txt"
}

scan() {	# scan DIR: writes DIR/reports.txt; prints the count not suppressed
	local dir=$1 f n=0 line
	: >"$dir/reports.txt"
	for f in dmesg.txt kmemleak.txt; do
		[[ -f $dir/$f ]] || continue
		# the console has what dmesg lost if the guest died
		grep -nE "$titles" "$dir/$f" | while IFS= read -r line; do
			echo "$f:$line"
		done >>"$dir/reports.txt"
	done
	if [[ -f $dir/lockdep.txt ]] && ! grep -q 'debug_locks: 1' "$dir/lockdep.txt"; then
		echo "lockdep.txt: lockdep turned itself off: $(cat "$dir/lockdep.txt")" >>"$dir/reports.txt"
	fi
	if [[ ! -f $dir/dmesg.txt && -f $dir/console.log ]]; then
		grep -nE "$titles" "$dir/console.log" | sed 's/^/console.log:/' >>"$dir/reports.txt"
	fi
	kcsan_split "$dir"
	if [[ -f $supp ]]; then
		local re
		re=$(grep -vE '^[[:space:]]*(#|$)' "$supp" | paste -sd'|')
		if [[ -n $re ]]; then
			grep -E "$re" "$dir/reports.txt" | sed 's/^/suppressed: /' >"$dir/suppressed.txt"
			grep -vE "$re" "$dir/reports.txt" >"$dir/reports.tmp"
			mv "$dir/reports.tmp" "$dir/reports.txt"
		fi
	fi
	wc -l <"$dir/reports.txt"
}

run_suite() {	# run_suite NAME TIMEOUT [run options] -- COMMAND...
	local name=$1 timeout=$2 dir=$out/$1 start rc n calls verdict kernel watched
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir"
	start=$(date +%s)
	scripts/vm-suite.sh "sanitize-$name" "$dir" "$timeout" "$dir" \
		--kernel "$image" --mem 4G --append "$append" "${guest_env[@]}" "$@"
	rc=$?
	n=$(scan "$dir")
	calls=$(grep -oE '^# [0-9]+ checked calls' "$dir/log.txt" | awk '{ print $2 }' | tail -n 1)
	verdict=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$dir/log.txt" | tail -n 1)
	kernel=$(grep -c 'BUG: KCSAN:' "$dir/kcsan-kernel.txt" 2>/dev/null)
	# and how hard KCSAN looked: the watchpoints it set while the suite ran
	# (kmod/sanitize/vm-wrap.sh)
	watched=$(awk '$1 == "setup_watchpoints" { print $2 }' "$dir/kcsan.txt" 2>/dev/null)
	[[ $flavour == kcsan ]] || kernel= watched=
	printf '%-10s %5d s  exit %-3d %-22s %s  %d report(s)%s%s\n' "$name" \
		$(($(date +%s) - start)) "$rc" "${verdict:-no summary}" \
		"${calls:+calls $calls,}" "$n" \
		"${kernel:+, $kernel KCSAN race(s) in the kernel alone}" \
		"${watched:+, $watched KCSAN watchpoints}" | tee -a "$summary"
	if ((n)); then
		sed 's/^/    /' "$dir/reports.txt" | head -n 40 | tee -a "$summary"
		status=1
	fi
	((rc == 0)) || status=1
}

wrap=(kmod/sanitize/vm-wrap.sh)
for s in $suites; do
	case $s in
	kmod)
		run_suite kmod 7200 --env INSTALL_TEST=0 --env HARNESS_TIMEOUT_SCALE="$scale" -- \
			"${wrap[@]}" kmod/vm/check-kmod.sh "$ko" ;;
	fuzz)
		set -- $seeds
		per=$((fuzz_total / $#))
		for seed; do
			run_suite "fuzz-$seed" $((per * 3 + 1800)) --tcg multi \
				--env SEED="$seed" --env DURATION="$per" --env THREADS="$threads" -- \
				"${wrap[@]}" kmod/vm/fuzz.sh "$ko"
		done ;;
	cycles)
		run_suite cycles 5400 --tcg multi --env SOAK_BYTES=0 --env CYCLES="$cycles" \
			--env CYCLES_SLAB=objects --env CYCLES_TIMEOUT=4800 \
			--env SOAK_OUT="$out/cycles" -- \
			"${wrap[@]}" compat-tests/vm/soak.sh "$ko" ;;
	provider)
		picks=()
		[[ -n ${JUNIT_ARGS+set} ]] && picks+=(--env "JUNIT_ARGS=$JUNIT_ARGS")
		[[ -n ${URING_CLASSES+set} ]] && picks+=(--env "URING_CLASSES=$URING_CLASSES")
		run_suite provider 14400 --env TEST_TIME_SCALE="$provider_scale" "${picks[@]}" -- \
			"${wrap[@]}" provider/vm/check-provider.sh "$ko" "$out/provider" ;;
	*) echo "check-sanitize: unknown suite '$s'" >&2; exit 2 ;;
	esac
done

echo "check-sanitize: summary in $summary"
cat "$summary" | grep -v '^    ' | sed 's/^/  /'
((status == 0)) && echo "check-sanitize: clean" || echo "check-sanitize: FAILED"
exit "$status"
