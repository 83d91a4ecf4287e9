#!/usr/bin/env bash
# Guest side of `make check-sanitize` (scripts/check-sanitize.sh), inside the
# VM on the sanitizer kernel:
#
#   kmod/sanitize/vm-wrap.sh COMMAND [ARGS...]
#
# Forgets what kmemleak finds left over from boot (a scan, then clear: clear
# only forgets objects a scan has reported), runs COMMAND (one of the guest
# suites), then asks kmemleak for what leaked while it ran: two scans, more
# than kmemleak's minimum object age (5 s) apart, so that an object freed a
# moment late is not reported. The report goes to $VM_OUT/kmemleak.txt;
# the host side reads it with the kernel log. Exits with COMMAND's status.
set -uo pipefail

kml=/sys/kernel/debug/kmemleak
if [[ -w $kml ]]; then
	echo scan >"$kml"
	echo clear >"$kml"
else
	echo "# kmemleak: $kml is not writable; no leak scan"
fi
# KCSAN's counters (the KCSAN kernel): how many accesses it watched while
# the suite ran, so that "no race found" is read beside how hard it looked.
kcsan=/sys/kernel/debug/kcsan
kcsan_counts() { awk '$1 ~ /^(setup_watchpoints|data_races|races_unknown_origin):?$/ { sub(":", "", $1); print $1, $2 }' "$kcsan"; }
[[ -r $kcsan ]] && kcsan_counts >/tmp/kcsan.before
"$@"
rc=$?
if [[ -r $kcsan ]]; then
	kcsan_counts | awk 'NR == FNR { b[$1] = $2; next } { printf "%s %d\n", $1, $2 - b[$1] }' \
		/tmp/kcsan.before - >"$VM_OUT/kcsan.txt"
	echo "# kcsan while the suite ran: $(echo $(cat "$VM_OUT/kcsan.txt"))"
fi
if [[ -w $kml ]]; then
	# spool.ko is unloaded by every suite: its memory is freed or leaked.
	sleep 6
	echo scan >"$kml"
	sleep 6
	echo scan >"$kml"
	cat "$kml" >"$VM_OUT/kmemleak.txt"
	echo "# kmemleak: $(grep -c '^unreferenced object' "$VM_OUT/kmemleak.txt") unreferenced objects"
fi
# lockdep turns itself off after its first report, or when it runs out of
# room (MAX_LOCKDEP_*): then it has stopped looking, and the host side fails.
if [[ -r /proc/lockdep_stats ]]; then
	grep -E 'debug_locks:' /proc/lockdep_stats | tr -s ' ' >"$VM_OUT/lockdep.txt"
	echo "# lockdep: $(cat "$VM_OUT/lockdep.txt")"
fi
exit "$rc"
