#!/usr/bin/env bash
# Runs the parts of `make check` (make targets), all of them even when one
# fails, then prints a summary:
#
#   scripts/check.sh PART... [-- LANE...]
#
# The PARTs run one after another. Then `make check-vm-build` builds
# everything the LANEs load, once, and the LANEs run at the same time, each
# a "+"-joined list of parts run in order, with CHECK_BUILT=1 so that no
# part rebuilds a file a VM in the other lane is reading. A VM is one host
# thread (single-threaded TCG), so two lanes keep both of CI's two cores
# busy. CHECK_SERIAL=1 runs the lanes one after another instead.
#
# A PART named TARGET@K is `make TARGET KVER=K`: TARGET on kernel K (6.1,
# 6.12; scripts/vm/kver), with its log and summary row under that name.
#
# Each part ends its output with "N passed, N failed"; a part that fails
# without one counts as one failure. The last line is the total, in the same
# form. A lane's output is shown part by part, each when it ends; its log
# is build/check/PART.log as for every part. Under the summary, each failed
# part's failures are named again (its "not ok" and "# failed:" lines), so
# that the end of the output says what failed.
set -uo pipefail

cd "$(dirname "$0")/.."
logs=build/check
mkdir -p "$logs"
rm -f "$logs"/*.row

start=$SECONDS
status=0

# run_part PART: runs it, keeps its log, writes its summary row (PART.row:
# "passed failed seconds rc")
run_part() {
	local part=$1 t=$SECONDS rc make=(make --no-print-directory "${1%@*}")
	[[ $part == *@* ]] && make+=("KVER=${part#*@}")
	if [[ ${2:-} == quiet ]]; then
		"${make[@]}" >"$logs/$part.log" 2>&1
		rc=$?
	else
		"${make[@]}" 2>&1 | tee "$logs/$part.log"
		rc=${PIPESTATUS[0]}
	fi
	local summary p=0 f=0
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logs/$part.log" | tail -n 1)
	[[ -n $summary ]] && read -r p _ f _ <<<"$summary"
	((rc != 0 && f == 0)) && f=1
	echo "$p $f $((SECONDS - t)) $rc" >"$logs/$part.row"
}

# run_lane A+B+...: the parts in order, each shown when it ends (under a
# lock, so that two lanes' logs never interleave)
run_lane() {
	local part
	for part in ${1//+/ }; do
		run_part "$part" quiet
		{
			flock 9
			echo "=== $part (lane $1; $(cut -d' ' -f3 "$logs/$part.row") s)"
			cat "$logs/$part.log"
		} 9>"$logs/.lock"
	done
}

serial=() lanes=()
while (($#)); do
	if [[ $1 == -- ]]; then
		shift
		lanes=("$@")
		break
	fi
	serial+=("$1")
	shift
done

for part in "${serial[@]}"; do
	echo "=== $part"
	run_part "$part"
done

order=("${serial[@]}")
if ((${#lanes[@]})); then
	echo "=== check-vm-build (what the parallel parts load: ${lanes[*]})"
	if ! make --no-print-directory check-vm-build 2>&1 | tee "$logs/check-vm-build.log"; then
		echo "check: the build for the parallel parts failed; running nothing more"
		echo "0 1 0 1" >"$logs/check-vm-build.row"
		order+=(check-vm-build)
	else
		export CHECK_BUILT=1
		echo "=== ${#lanes[@]} lanes at once: ${lanes[*]}"
		pids=()
		for lane in "${lanes[@]}"; do
			if [[ ${CHECK_SERIAL:-0} == 1 ]]; then
				run_lane "$lane"
			else
				run_lane "$lane" &
				pids+=($!)
			fi
		done
		((${#pids[@]})) && wait "${pids[@]}"
		unset CHECK_BUILT
		for lane in "${lanes[@]}"; do
			order+=(${lane//+/ })
		done
	fi
fi

total_p=0 total_f=0 rows=()
for part in "${order[@]}"; do
	p=0 f=1 s=0 rc=1
	[[ -f $logs/$part.row ]] && read -r p f s rc <"$logs/$part.row"
	((rc != 0 || f != 0)) && status=1
	total_p=$((total_p + p)) total_f=$((total_f + f))
	rows+=("$(printf '%-20s %5d passed %5d failed %6d s  %s' "$part" "$p" "$f" "$s" \
		"$( ((rc == 0)) && echo ok || echo "FAILED (exit $rc)")")")
done

echo
echo "=== summary ($((SECONDS - start)) s; logs in $logs/)"
printf '%s\n' "${rows[@]}"
for part in "${order[@]}"; do
	p=0 f=1 s=0 rc=1
	[[ -f $logs/$part.row ]] && read -r p f s rc <"$logs/$part.row"
	((rc != 0 || f != 0)) || continue
	echo "# $part failed:"
	grep -E '^(not ok|# failed: )' "$logs/$part.log" 2>/dev/null | head -n 20 | sed 's/^/#   /'
done
echo "$total_p passed, $total_f failed"
exit "$status"
