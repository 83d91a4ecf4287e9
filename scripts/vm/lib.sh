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

# The counts a leak would raise; TIME_WAIT ("tw") is not among them, and
# neither are TCP's orphans. An orphan is a closed socket still sending its
# last bytes or its FIN: it belongs to no file, and only TCP's timers free
# it. One whose peer advertised a zero window and then went to TIME_WAIT
# probes that peer with a doubling interval until it is gone, about 100 s
# (the fuzzer's random shutdowns and closes make such pairs). What a
# module could hold, a file's socket or a reference to one, is in what is
# left. The orphan count is TCP's, for IPv4 and IPv6 together, so TCP and
# TCP6 are counted together too.
sockstat() {
	awk '/^sockets:/ { used = $3 }
	     /^TCP:/ { tcp += $3; orphans = $5 }
	     /^TCP6:/ { tcp += $3 }
	     /^(UDP|UDP6|UDPLITE|RAW|FRAG):/ { other = other sprintf("%s %s ", $1, $3) }
	     END { printf "sockets %d TCP+TCP6 %d %s", used - orphans, tcp - orphans, other }' \
		/proc/net/sockstat /proc/net/sockstat6 2>/dev/null
}
# TCP's orphans now, and as notes the lines of /proc/net/tcp{,6} with no
# inode that are not TIME_WAIT (06): the orphans (state, send queue, timer)
# and the TIME_WAITs entered from FIN_WAIT2, which show as 05 and are often
# an orphan's peer.
note_orphans() {
	local n
	n=$(awk '/^TCP:/ { print $5 }' /proc/net/sockstat)
	note "TCP orphans now: ${n:-?}"
	if [[ ${n:-0} != 0 ]]; then
		awk 'FNR > 1 && $4 != "06" && $10 == 0 { print "#   " $0 }' /proc/net/tcp /proc/net/tcp6
	fi
}
gauges() { awk '$1 == "pools" || $1 == "files"' "$stat" 2>/dev/null; }

# Waiting for what a suite opened to be gone: a closed file's release may
# run a moment late (task work, deferred fput), and a socket's slower still.
# Each waits up to $1 tenths of a second and tells by its status whether
# it got there.
gauges_zero() {	# the gauges "pools" and "files" both read 0
	local _
	for _ in $(seq "$1"); do
		[[ -n $(gauges) && -z $(gauges | awk '$2 != 0') ]] && return 0
		sleep 0.1
	done
	[[ -n $(gauges) && -z $(gauges | awk '$2 != 0') ]]
}
sockets_settle() {	# sockstat is back at $sock_base, which the caller took
	local _
	for _ in $(seq "$1"); do
		[[ $(sockstat) == "$sock_base" ]] && return 0
		sleep 0.1
	done
	[[ $(sockstat) == "$sock_base" ]]
}
pattern='(^|[^[:alpha:]_])BUG|WARNING|Oops|[Ll][Ee][Aa][Kk]|general protection|soft lockup|hung task|Call Trace'

# Marks the kernel log; the checks below read only what comes after it.
mark_kernel_log() {
	marker="$check_name: start $$ $RANDOM"
	echo "$marker" >/dev/kmsg
}
since_mark() { # the kernel log after the last mark
	dmesg | awk -v m="$marker" -v skip="${KERNEL_LOG_SKIP_KCSAN:-0}" '
		index($0, m) { n = NR }
		# KERNEL_LOG_SKIP_KCSAN=1 (check-sanitize on its KCSAN kernel, whose
		# host side judges each race by its stacks): KCSAN reports left out
		skip == 1 && /BUG: KCSAN:/ { in_kcsan = 1 }
		in_kcsan { if (index($0, "=========================")) in_kcsan = 0; next }
		{ l[NR] = $0 }
		END { for (i = n + 1; i <= NR; i++) if (i in l) print l[i] }'
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
