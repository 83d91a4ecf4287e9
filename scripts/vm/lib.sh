# Helpers shared by the guest scripts that check the module (sourced):
# kmod/vm/check-kmod.sh, kmod/vm/fuzz.sh and compat-tests/vm/soak.sh. The sourcing script sets
# check_name (the prefix of its "ok - NAME: ..." lines) and may set
# on_finish (a command finish runs first).
stat=/proc/spool-stat
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok - $check_name: $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $check_name: $*"; }
note() { echo "# $*"; }
finish() {
	${on_finish:-:}
	echo "$passed passed, $failed failed"
	((failed == 0))
	exit
}
loaded() { grep -q '^spool ' /proc/modules; }

# The counts a leak would raise; TIME_WAIT ("tw") is not among them.
sockstat() {
	awk '/^sockets:/ { printf "sockets %s ", $3 }
	     /^(TCP|TCP6|UDP|UDP6|UDPLITE|RAW|FRAG):/ { printf "%s %s ", $1, $3 }' \
		/proc/net/sockstat /proc/net/sockstat6 2>/dev/null
}
gauges() { awk '$1 == "pools" || $1 == "files"' "$stat" 2>/dev/null; }
pattern='(^|[^[:alpha:]_])BUG|WARNING|Oops|[Ll][Ee][Aa][Kk]|general protection|soft lockup|hung task|Call Trace'

# Marks the kernel log; the checks below read only what comes after it.
mark_kernel_log() {
	marker="$check_name: start $$ $RANDOM"
	echo "$marker" >/dev/kmsg
}
since_mark() { # the kernel log after the last mark
	dmesg | awk -v m="$marker" 'index($0, m) { n = NR } { l[NR] = $0 }
		END { for (i = n + 1; i <= NR; i++) print l[i] }'
}
# One check: the kernel logged no sign of a bug since the mark; the
# offending lines, with a little context, if it did.
check_kernel_log() {
	if since_mark | grep -q -E "$pattern"; then
		not_ok "dmesg: the kernel logged problems:"
		since_mark | grep -E -B2 -A20 "$pattern" | head -n 200 | sed 's/^/#   /'
	else
		ok "dmesg: no BUG, WARNING, Oops, leak, lockup, hung task or Call Trace"
	fi
}

# Adds a sub-program's "N passed, N failed" to ours.
add_summary() {	# name log rc
	local summary p f
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$2" | tail -n 1)
	if [[ -z $summary ]]; then
		not_ok "$1 ended (exit $3) without its summary line"
		return
	fi
	read -r p _ f _ <<<"$summary"
	passed=$((passed + p)) failed=$((failed + f))
	if (($3 != 0 && f == 0)); then
		not_ok "$1 exited $3 but reported no failure"
	elif (($3 == 0 && f != 0)); then
		not_ok "$1 exited 0 but reported $f failed"
	fi
}
