#!/usr/bin/env bash
# One suite in the VM, as every VM target of the Makefile runs it:
#
#   scripts/vm-suite.sh NAME OUT TIMEOUT WHERE [scripts/vm/run options] -- COMMAND [ARGS...]
#
# Boots the VM once (scripts/vm/run --timeout TIMEOUT --out OUT ...), runs
# COMMAND in it, shows its output and keeps it in OUT/log.txt; then prints
# "NAME on KERNEL: N s wall, exit RC; WHERE" (KERNEL: the one KVER names,
# scripts/vm/kver, or the file --kernel names) and the suite's last "N passed, N failed"
# line, or "0 passed, 1 failed" when it printed none. Exits with COMMAND's
# status.
set -uo pipefail

if (($# < 5)); then
	echo "usage: $0 NAME OUT TIMEOUT WHERE [run options] -- COMMAND [ARGS...]" >&2
	exit 2
fi
name=$1 out=$2 timeout=$3 where=$4
shift 4
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$out"
start=$(date +%s)
"$repo/scripts/vm/run" --timeout "$timeout" --out "$out" "$@" | tee "$out/log.txt"
rc=${PIPESTATUS[0]}
# With --kernel FILE (scripts/vm/run), that file is the kernel.
kernel=$("$repo/scripts/vm/kver" 2>&1)
for ((i = 1; i < $#; i++)); do
	j=$((i + 1))
	[[ ${!i} == --kernel ]] && kernel=${!j}
	[[ ${!i} == -- ]] && break
done
echo "$name on $kernel: $(($(date +%s) - start)) s wall, exit $rc; $where"
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out/log.txt" | tail -n 1)
echo "${summary:-0 passed, 1 failed}"
exit "$rc"
