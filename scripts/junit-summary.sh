#!/usr/bin/env bash
# Sums JUnit XML reports (Surefire's TEST-*.xml, or the console launcher's
# legacy XML) into the line "N passed, N failed".  A skipped test counts as
# failed: a test that does not run proves nothing.  Exits 1 if any failed or
# if there is no report at all.
#
#   scripts/junit-summary.sh DIR...
set -uo pipefail

tests=0 bad=0 files=0
for dir in "$@"; do
	for f in "$dir"/TEST-*.xml; do
		[[ -f $f ]] || continue
		files=$((files + 1))
		# The <testsuite ...> element's own attributes only.
		read -r t fl e s < <(grep -m1 -o '<testsuite [^>]*>' "$f" |
			awk '{
				for (i = 1; i <= NF; i++) {
					split($i, kv, "=")
					gsub(/[">]/, "", kv[2])
					v[kv[1]] = kv[2]
				}
				print v["tests"] + 0, v["failures"] + 0, v["errors"] + 0, v["skipped"] + 0
			}')
		tests=$((tests + t))
		bad=$((bad + fl + e + s))
		((s > 0)) && echo "# $f: $s skipped"
	done
done
if ((files == 0)); then
	echo "# no JUnit reports in $*"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$((tests - bad)) passed, $bad failed"
((bad == 0))
