# Sourced by scripts/check-readme.sh and scripts/check-packaging.sh: the
# README's fenced blocks, each with the check its tag asks for.
#
# The rule (DESIGN.md says it too, at "The README is tested"): every fenced
# block in README.md stands right under a tag line
#
#   <!-- check: KIND[ REASON] -->
#
# and KIND says what tests it:
#   maven     the dependency snippet: check-packaging builds a project outside
#             the clone with it
#   launch    java/jfr command lines, each under "# JDK N, class path" or
#             "# JDK N, module path": check-packaging runs them, as written,
#             in that project's target/ (app.jar, lib/, a link to provider/)
#   gradle    compared with the maven snippet's coordinates (no Gradle here)
#   java      Java statements: compiled against the provider jar
#   c         C: compiled against kmod/include, inside a function
#   run       shell commands: run from the clone's root, must exit 0
#   no-run    not run; REASON says why (needs root, a VM, half an hour, ...)
# Whatever the kind, the make targets, spool.* properties, io.spool names and
# repository paths a block names are checked by check-readme.

# readme_blocks README DIR: writes each fenced block of README into
# DIR/LINE.KIND (LINE: the line of its opening fence; its indentation
# removed), KIND "untagged" when no tag stands right above it; the tag's
# REASON goes to DIR/LINE.KIND.reason.
readme_blocks() {
	mkdir -p "$2"
	awk -v dir="$2" '
		!inblock && /^[ \t]*<!-- check: [a-z-]+/ {
			line = $0
			sub(/^[ \t]*<!-- check: /, "", line)
			sub(/[ \t]*-->[ \t]*$/, "", line)
			kind = line
			sub(/[ \t].*/, "", kind)
			reason = substr(line, length(kind) + 1)
			sub(/^[ \t]+/, "", reason)
			tagged = NR
			next
		}
		!inblock && /^[ \t]*```/ {
			inblock = 1
			match($0, /^[ \t]*/)
			indent = RLENGTH
			k = (tagged == NR - 1) ? kind : "untagged"
			file = dir "/" NR "." k
			printf "" >file
			if (tagged == NR - 1 && reason != "") {
				print reason >(file ".reason")
				close(file ".reason")
			}
			next
		}
		inblock && /^[ \t]*```[ \t]*$/ {
			inblock = 0
			close(file)
			next
		}
		inblock { print substr($0, indent + 1) >file }
	' "$1"
}

# readme_commands FILE: the block's commands, one a line, continuation
# lines ("\" at the end) joined; comment lines are kept as they are.
readme_commands() {
	awk '
		/\\$/ { sub(/\\$/, ""); acc = acc $0; next }
		{ print acc $0; acc = "" }
		END { if (acc != "") print acc }
	' "$1"
}
