#!/usr/bin/env bash
# Host side of the module's checks (no kernel needed):
#  - spool.ko builds with -Werror and W=1 in every configuration of the
#    seed's build switches, and each switch does what it says;
#  - the ABI header has one layout for 64-bit, 32-bit and x32 callers.
# Each check prints "ok" or "not ok"; the last line is "N passed, N failed".
#
#   kmod/check-build.sh KVER
set -uo pipefail

kver=${1:?usage: kmod/check-build.sh KVER}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here/../build/kmod-variants
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - build: $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - build: $*"; }

# variant NAME MAKE-ARGS...: builds a copy of the module in out/NAME.
variant() {
	local name=$1
	"$here/build-variant.sh" "$kver" "$@" && return 0
	not_ok "$name: does not build:"
	grep -E 'error|warning' "$out/$name/build.log" | head -n 20 |
		sed 's/^/#   /'
	return 1
}

# has NAME STRING: the built module contains STRING.
has() { strings "$out/$1/spool.ko" | grep -F "$2" >/dev/null; }
# debug NAME: built with -DDEBUG, which turns the pr_debug()s on at load.
debug() { grep -qw -e -DDEBUG "$out/$1/.spool_main.o.cmd"; }

# Statistics are in every build; the seed's switches for them still build.
for v in "plain" "stat SPOOL_PROC_STAT=1" "cflags-stat CFLAGS=_SPOOL_PROC_STAT"; do
	set -- $v
	if variant "$@"; then
		if ! has "$1" spool-stat; then
			not_ok "$1${2:+ ($2)}: no /proc/spool-stat in the module"
		elif ! has "$1" 'registered fd'; then
			not_ok "$1${2:+ ($2)}: no pr_debug() sites for dynamic debug"
		elif debug "$1"; then
			not_ok "$1${2:+ ($2)}: built with -DDEBUG, which it did not ask for"
		else
			ok "$1${2:+ ($2)}: builds, with /proc/spool-stat and pr_debug() sites, off"
		fi
	fi
done
for v in "debug SPOOL_DEBUG=1" "cflags-debug CFLAGS=_SPOOL_DEBUG"; do
	set -- $v
	if variant "$@"; then
		if has "$1" 'registered fd' && debug "$1"; then
			ok "$1 ($2): builds, with its pr_debug()s on (-DDEBUG)"
		else
			not_ok "$1 ($2): not built with -DDEBUG and its pr_debug()s"
		fi
	fi
done

for m in -m64 -m32 -mx32; do
	if log=$(${CC:-gcc} "$m" -c -Wall -Werror -I"$here/include" -o /dev/null \
		"$here/selftests/abi_layout.c" 2>&1); then
		ok "ABI layout is the same for $m callers"
	else
		not_ok "ABI layout for $m callers:"
		echo "$log" | head -n 20 | sed 's/^/#   /'
	fi
done

echo "$passed passed, $failed failed"
((failed == 0))
