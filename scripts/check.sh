#!/usr/bin/env bash
# Runs the parts of `make check` (make targets given as arguments), all of
# them even when one fails, then prints a summary. Each part ends its output
# with "N passed, N failed"; a part that fails without one counts as one
# failure. The last line is the total, in the same form.
set -uo pipefail

cd "$(dirname "$0")/.."
logs=build/check
mkdir -p "$logs"

declare -a rows
total_p=0 total_f=0 status=0 start=$SECONDS
for part in "$@"; do
	echo "=== $part"
	t=$SECONDS
	make --no-print-directory "$part" 2>&1 | tee "$logs/$part.log"
	rc=${PIPESTATUS[0]}
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$logs/$part.log" | tail -n 1)
	p=0 f=0
	[[ -n $summary ]] && read -r p _ f _ <<<"$summary"
	((rc != 0 && f == 0)) && f=1
	((rc != 0 || f != 0)) && status=1
	total_p=$((total_p + p)) total_f=$((total_f + f))
	rows+=("$(printf '%-16s %5d passed %5d failed %6d s  %s' "$part" "$p" "$f" \
		$((SECONDS - t)) "$( ((rc == 0)) && echo ok || echo "FAILED (exit $rc)")")")
done

echo
echo "=== summary ($((SECONDS - start)) s; logs in $logs/)"
printf '%s\n' "${rows[@]}"
echo "$total_p passed, $total_f failed"
exit "$status"
