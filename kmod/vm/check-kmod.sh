#!/usr/bin/env bash
# Guest side of `make check-kmod`; runs inside the VM through scripts/vm/run:
#
#   kmod/vm/check-kmod.sh /abs/path/spool.ko [SELFTEST-FILTER...]
#
# Loads spool.ko, runs the selftests, then checks
# what they cannot see from user space: unloading, gauges back to zero, sockets
# back to baseline and a clean kernel log; then installing it as users do
# (kmod/vm/check-install.sh). Prints one line per check and ends with exactly
# one line "N passed, N failed". Environment: SPOOL_SELFTEST (the selftest
# binary; default kmod/selftests/spool_test), SELFTEST_TIMEOUT (s; default
# 1200 times HARNESS_TIMEOUT_SCALE, which the harness applies to each test),
# INSTALL_HOST_OUT (where kmod/check-install-host.sh left its results),
# INSTALL_TEST=0 (skips the install test: make check-sanitize's kernel has
# no module tree for dkms and depmod).
set -uo pipefail

ko=${1:?usage: check-kmod.sh /abs/path/spool.ko [SELFTEST-FILTER...]}
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
selftest=${SPOOL_SELFTEST:-$here/../selftests/spool_test}
dev=/dev/spool
check_name=kmod
# ok, not_ok, note, finish, loaded, sockstat, gauges, the kernel-log pattern
. "$here/../../scripts/vm/lib.sh"

mark_kernel_log

sock_base=$(sockstat)
note "sockstat baseline: $sock_base"
note "kernel $(uname -r), module $ko"

# --- load -----------------------------------------------------------------
if [[ ! -f $ko ]]; then
	not_ok "load: $ko does not exist"
	finish
fi
if ! out=$(insmod "$ko" 2>&1); then
	not_ok "load: insmod failed: $out"
	dmesg | tail -n 20 | sed 's/^/# /'
	finish
fi
# The module's own default, no udev here: root only, until the udev rule of
# make install gives the group spool (check-install.sh).
mode=$(stat -c '%F %U:%G %a' "$dev" 2>/dev/null)
if [[ $mode != "character special file root:root 660" ]]; then
	not_ok "load: $dev is '${mode:-missing}', want a character device root:root 0660"
elif [[ ! -r $stat ]]; then
	not_ok "load: $stat missing (a module older than statistics in every build?)"
else
	ok "load: $dev is a character device root:root 0660, $stat exists"
fi

# --- the LSM policy the selftests in lsm.c run under ------------------------
# AppArmor is Debian's LSM; apparmor_parser (package apparmor) compiles the
# profile, without a cache, as the guest's root is read-only.
aa_profile=$here/../selftests/deny-accept.apparmor
if [[ ! -d /sys/kernel/security/apparmor ]]; then
	not_ok "lsm: AppArmor inactive in the guest (securityfs not mounted?)"
elif ! command -v apparmor_parser >/dev/null; then
	not_ok "lsm: apparmor_parser missing; run 'make setup'"
elif ! out=$(apparmor_parser -r -K "$aa_profile" 2>&1); then
	not_ok "lsm: apparmor_parser could not load $aa_profile: $out"
else
	ok "lsm: AppArmor active, profile spool-deny-accept loaded"
fi

# --- selftests ------------------------------------------------------------
if [[ ! -x $selftest ]]; then
	not_ok "selftests: $selftest missing or not executable"
else
	log=/tmp/spool_test.log
	limit=${SELFTEST_TIMEOUT:-$(awk -v s="${HARNESS_TIMEOUT_SCALE:-1}" \
		'BEGIN { s += 0; printf "%d", 1200 * (s > 1 ? s : 1) }')}
	timeout -k 10 "$limit" "$selftest" "$@" 2>&1 | tee "$log"
	add_summary "selftests: $selftest" "$log" "${PIPESTATUS[0]}"
fi

# --- (c) gauges back to zero, module still loaded ---------------------------
if ! loaded || [[ ! -r $stat ]]; then
	not_ok "gauges: $stat unreadable after the selftests"
else
	# Releases of files closed by exiting processes may still be in flight.
	gauges_zero 50
	nonzero=$(gauges | awk '$2 != 0')
	if (($(gauges | wc -l) != 2)); then
		not_ok "gauges: $stat lacks the 'pools' or 'files' line"
		sed 's/^/#   /' "$stat"
	elif [[ -n $nonzero ]]; then
		not_ok "gauges: not back to zero after the selftests: $(echo $nonzero)"
		sed 's/^/#   /' "$stat"
	else
		ok "gauges: pools and files back to zero after the selftests"
	fi
fi

# --- sockets back to baseline ---------------------------------------------
# A closed socket's file may take a moment to be released (task work).
if sockets_settle 100; then
	ok "sockets: /proc/net/sockstat back to its baseline"
else
	not_ok "sockets: /proc/net/sockstat was '$sock_base', now '$(sockstat)'"
fi

# --- (a) rmmod refused while a pool is open --------------------------------
if ! loaded; then
	insmod "$ko" 2>/dev/null
fi
sleep 1000 3<>"$dev" &
holder=$!
for _ in $(seq 100); do
	[[ $(readlink "/proc/$holder/fd/3" 2>/dev/null) == "$dev" ]] && break
	sleep 0.05
done
if [[ $(readlink "/proc/$holder/fd/3" 2>/dev/null) != "$dev" ]]; then
	not_ok "unload: could not hold $dev open"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
elif rmmod spool 2>/dev/null; then
	not_ok "unload: rmmod succeeded while a pool was open"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
else
	kill "$holder"
	wait "$holder" 2>/dev/null
	if ! out=$(rmmod spool 2>&1); then
		not_ok "unload: rmmod refused after the last pool closed: $out"
	elif loaded || [[ -e $dev ]]; then
		not_ok "unload: module or $dev still present after rmmod"
	else
		ok "unload: rmmod refused while a pool is open, succeeds after close"
	fi
fi

# --- (b) 20 load/unload cycles ----------------------------------------------
loaded && rmmod spool 2>/dev/null
why=
for i in $(seq 20); do
	if ! out=$(insmod "$ko" 2>&1); then
		why="insmod #$i failed: $out"; break
	fi
	if [[ ! -c $dev ]]; then
		why="$dev missing after insmod #$i"; break
	fi
	if ! out=$(rmmod spool 2>&1); then
		why="rmmod #$i failed: $out"; break
	fi
	if [[ -e $dev || -e $stat ]]; then
		why="$dev or $stat still present after rmmod #$i"; break
	fi
done
if [[ -n $why ]]; then
	not_ok "reload: $why"
	loaded && rmmod spool 2>/dev/null
else
	ok "reload: 20 insmod/rmmod cycles"
fi

# --- pr_debug: on in the debug build, on at will in every build ------------
# SPOOL_DEBUG_KO names a spool.ko built with SPOOL_DEBUG=1 (-DDEBUG: its
# pr_debug()s print from the start); the module users build prints them
# only when dynamic debug is asked to (dyndbg=+p), and else nothing.
# debug_lines KO [ARGS...]: loads KO with ARGS, registers a socket, prints
# how many 'spool: registered fd' lines the kernel logged (-1: it failed).
debug_lines() {
	local marker="check-kmod: pr_debug $$ $RANDOM" ko=$1 rc n
	shift
	echo "$marker" >/dev/kmsg
	if ! insmod "$ko" "$@" >/tmp/spool_debug.log 2>&1; then
		echo -1
		return
	fi
	"$selftest" register_tcp >>/tmp/spool_debug.log 2>&1
	rc=$?
	n=$(dmesg | awk -v m="$marker" 'index($0, m) { on = 1 } on' |
		grep -c 'spool: registered fd')
	rmmod spool 2>/dev/null
	((rc == 0)) && echo "$n" || echo -1
}
loaded && rmmod spool 2>/dev/null
if [[ -n ${SPOOL_DEBUG_KO:-} ]]; then
	n=$(debug_lines "$SPOOL_DEBUG_KO")
	if ((n > 0)); then
		ok "pr_debug: the debug build (SPOOL_DEBUG=1) prints ($n lines)"
	else
		not_ok "pr_debug: the debug build printed no 'spool: registered fd' line ($n)"
		sed 's/^/#   /' /tmp/spool_debug.log
	fi
fi
n=$(debug_lines "$ko" dyndbg=+p)
if ((n > 0)); then
	ok "pr_debug: the module as built prints with dyndbg=+p ($n lines)"
else
	not_ok "pr_debug: dyndbg=+p made the module print no 'spool: registered fd' line ($n)"
	sed 's/^/#   /' /tmp/spool_debug.log
fi
n=$(debug_lines "$ko")
if ((n == 0)); then
	ok "pr_debug: the module as built prints nothing by default"
else
	not_ok "pr_debug: the module as built printed $n debug lines unasked"
	sed 's/^/#   /' /tmp/spool_debug.log
fi
loaded && rmmod spool 2>/dev/null

# --- make install, udev, dkms: as users install it -----------------------------
loaded && rmmod spool 2>/dev/null
if [[ ${INSTALL_TEST:-1} != 0 ]]; then
	log=/tmp/check-install.log
	start=$SECONDS
	timeout -k 10 300 "$here/check-install.sh" "${INSTALL_HOST_OUT:-}" "$ko" 2>&1 | tee "$log"
	add_summary "install: kmod/vm/check-install.sh" "$log" "${PIPESTATUS[0]}"
	note "check-install.sh: $((SECONDS - start)) s"
else
	note "install test skipped (INSTALL_TEST=0)"
fi

# --- (d) kernel log ---------------------------------------------------------
check_kernel_log

finish
