#!/usr/bin/env bash
# Sums JUnit XML reports (Surefire's TEST-*.xml, or the console launcher's
# legacy XML) into the line "N passed, N failed".  A skipped test counts as
# failed: a test that does not run proves nothing.  Each test that failed, or
# did not run, is named first on a line "# failed: CLASS.METHOD: MESSAGE",
# so that the summary at the end of `make check` can name it.  Exits 1 if any
# failed or if there is no report at all.
#
#   scripts/junit-summary.sh DIR...
set -uo pipefail

# failed_cases FILE: a "# failed:" line for each <testcase> of FILE with a
# <failure>, <error> or <skipped> element
failed_cases() {
	awk 'BEGIN { RS = "<testcase" }
		NR > 1 && /<(failure|error|skipped)/ {
			name = attr($0, "name"); cls = attr($0, "classname")
			what = match($0, /<(failure|error|skipped)/) ? substr($0, RSTART + 1, RLENGTH - 1) : ""
			msg = attr(substr($0, RSTART), "message")
			if (msg == "") msg = what
			gsub(/&quot;/, "\"", msg); gsub(/&lt;/, "<", msg); gsub(/&gt;/, ">", msg)
			gsub(/&#10;|&#13;|\n/, " ", msg); gsub(/&amp;/, "\\&", msg)
			printf "# failed: %s.%s: %s\n", cls, name, substr(msg, 1, 300)
		}
		function attr(s, a,   m) {
			if (!match(s, " " a "=\"[^\"]*\"")) return ""
			m = substr(s, RSTART + length(a) + 3, RLENGTH - length(a) - 4)
			return m
		}' "$1"
}

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
		((fl + e + s > 0)) && failed_cases "$f"
	done
done
if ((files == 0)); then
	echo "# no JUnit reports in $*"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$((tests - bad)) passed, $bad failed"
((bad == 0))
