#!/usr/bin/env bash
# The README works as written (make check-readme). The rule is in
# scripts/readme-blocks.sh: every fenced block of README.md carries a tag
# "<!-- check: KIND -->" saying how it is tested. This script:
#
#  - fails on a block without a tag, with an unknown KIND, or a no-run block
#    without its reason;
#  - runs the "run" blocks from the clone's root (make provider), then
#    compiles the "java" blocks against the jar it built and the "c" blocks
#    against kmod/include; compares the "gradle" and "maven" coordinates with
#    the POMs'; checks that every "launch" line has its "# JDK N, class
#    path|module path" label (make check-packaging runs them and builds the
#    maven snippet);
#  - in the whole README, code and prose: every make target named in code
#    (`make X`, and the parts `check-*`) exists; every spool.* property is one
#    the provider reads (or a test property); every io.spool name is a class,
#    package or name (a JFR event's) in the sources; every path into kmod/,
#    provider/, compat-tests/, scripts/ exists; the JNR-FFI version and the
#    count of dependency jars it gives are the build's.
#
# Prints the failures, a line per kind of check, and "N passed, N failed".
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
source scripts/readme-blocks.sh
readme=README.md
out=$repo/build/check-readme
rm -rf "$out"
mkdir -p "$out"
readme_blocks "$readme" "$out/blocks"

passed=0 failed=0
pass() { echo "ok    $*"; passed=$((passed + 1)); }
fail() { echo "FAIL  $*"; failed=$((failed + 1)); }
# tally WHAT N_OK: after a loop that called fail for each bad item
tally() {
	passed=$((passed + $2))
	echo "ok    $2 $1"
}

pom_value() { # pom_value FILE ELEMENT: the project's own (first top-level) value
	sed -n "s|^  <$2>\(.*\)</$2>.*|\1|p" "$1" | head -n 1
}
group=$(pom_value pom.xml groupId)
artifact=$(pom_value provider/pom.xml artifactId)
version=$(pom_value pom.xml version)

# --- the blocks, by kind ------------------------------------------------------
blocks=("$out"/blocks/*.*)
runs=() javas=() cs=()
for f in "${blocks[@]}"; do
	[[ $f == *.reason ]] && continue
	base=${f##*/} line=${base%%.*} kind=${base#*.}
	where="README.md:$line"
	case $kind in
	run) runs+=("$f") ;;
	java) javas+=("$f") ;;
	c) cs+=("$f") ;;
	maven)
		coords=$(sed -n 's|.*<groupId>\(.*\)</groupId>.*|\1|p; s|.*<artifactId>\(.*\)</artifactId>.*|\1|p; s|.*<version>\(.*\)</version>.*|\1|p' "$f" | paste -sd:)
		if [[ $coords == "$group:$artifact:$version" ]]; then
			pass "$where: the Maven snippet names $coords, the POMs' coordinates"
		else
			fail "$where: the Maven snippet names $coords, the POMs say $group:$artifact:$version"
		fi
		;;
	gradle)
		if grep -qF "\"$group:$artifact:$version\"" "$f" && grep -q 'mavenLocal()' "$f"; then
			pass "$where: the Gradle snippet names $group:$artifact:$version and mavenLocal() (not run: $(cat "$f.reason" 2>/dev/null))"
		else
			fail "$where: the Gradle snippet does not name \"$group:$artifact:$version\" with mavenLocal()"
		fi
		;;
	launch)
		unlabelled=$(readme_commands "$f" | awk '
			/^# JDK [0-9]+, (class path|module path)/ { ok = 1; next }
			/^[ \t]*(#|$)/ { next }
			!ok { print }')
		if [[ -z $unlabelled ]]; then
			pass "$where: every launch line has its JDK and path (make check-packaging runs them)"
		else
			fail "$where: launch lines without '# JDK N, class path|module path' above them: $unlabelled"
		fi
		;;
	no-run)
		if [[ -s $f.reason ]]; then
			pass "$where: not run: $(cat "$f.reason")"
		else
			fail "$where: a no-run block must say why (<!-- check: no-run REASON -->)"
		fi
		;;
	untagged) fail "$where: a fenced block with no <!-- check: KIND --> line right above it" ;;
	*) fail "$where: unknown check kind '$kind'" ;;
	esac
done

for f in "${runs[@]}"; do
	base=${f##*/}
	log=$out/run-${base%%.*}.log
	if bash -euo pipefail "$f" >"$log" 2>&1; then
		pass "README.md:${base%%.*}: ran $(grep -cv '^[[:space:]]*\(#\|$\)' "$f") command(s): $(grep -v '^[[:space:]]*\(#\|$\)' "$f" | sed 's/[[:space:]]*#.*//' | paste -sd';')"
	else
		fail "README.md:${base%%.*}: $(paste -sd';' "$f") failed; see $log"
	fi
done

# compile BLOCK LANGUAGE AGAINST SOURCE COMPILER...: writes the block, wrapped
# by wrap_LANGUAGE, to SOURCE and compiles it with COMPILER... SOURCE
compile() {
	local f=$1 language=$2 against=$3 src=$4 line=${1##*/}
	shift 4
	line=${line%%.*}
	mkdir -p "${src%/*}"
	"wrap_$language" "$f" "$line" >"$src"
	if "$@" "$src" >"$src.log" 2>&1; then
		pass "README.md:$line: the $language lines compile against $against"
	else
		fail "README.md:$line: the $language lines do not compile against $against:"
		sed 's/^/      /' "$src.log"
	fi
}
wrap_Java() { # statements, in a method
	echo "class Readme$2 {"
	echo "    static void snippet() throws Exception {"
	sed 's/^/        /' "$1"
	echo "    }"
	echo "}"
}
wrap_C() { # the includes first, the rest in a function
	echo '#include <stdint.h>'
	echo '#include <unistd.h>'
	grep '^#include' "$1"
	echo 'void readme_example(int listen_fd);'
	echo 'void readme_example(int listen_fd) {'
	grep -v '^#include' "$1"
	echo '}'
}
jar=provider/target/spool-provider.jar
for f in "${javas[@]}"; do
	line=${f##*/}
	compile "$f" Java "$jar" "$out/java/Readme${line%%.*}.java" \
		javac -Xlint:all -Werror -d "$out/java" -cp "$jar"
done
for f in "${cs[@]}"; do
	line=${f##*/}
	compile "$f" C "kmod/include (inside a function)" "$out/c/readme${line%%.*}.c" \
		gcc -std=gnu11 -Wall -Wextra -Werror -fsyntax-only -I kmod/include
done

# --- names in the whole README ----------------------------------------------
# the code: inline spans, and the fenced blocks' lines
{
	grep -o '`[^`]*`' "$readme" | tr -d '`'
	cat "$out"/blocks/*.* 2>/dev/null
} >"$out/code.txt"

# each WHAT TEST PROBLEM < LIST: every line of LIST passes "TEST LINE",
# else a failure "the README names LINE: PROBLEM"
each() {
	local n=0 item
	while read -r item; do
		if "$2" "$item"; then
			n=$((n + 1))
		else
			fail "the README names $item: $3"
		fi
	done
	tally "$1" "$n"
}

targets_of() { # targets_of DIR: the targets its Makefile defines
	make -pRrq -C "$1" : 2>/dev/null |
		awk -F: '/^[a-zA-Z0-9][^$#\/\t=]*:([^=]|$)/ { print $1 }' | sort -u
}
targets_of . >"$out/targets-..txt"
targets_of kmod >"$out/targets-kmod.txt"
is_target() { # is_target "DIR TARGET"
	grep -qx -- "${1#* }" "$out/targets-${1%% *}.txt"
}
is_property() {
	grep -q "define(\"$1\"" provider/src/main/java/io/spool/sys/Config.java ||
		grep -rqF -- "$1" provider/src/test/java provider/pom.xml Makefile
}
sources=(provider/src/main/java provider/src/test/java compat-tests/src/main/java compat-tests/src/test/java)
is_name() { # a package, a class, a class's member, or a string in the sources
	local path=${1//.//} s
	for s in "${sources[@]}"; do
		[[ -d $s/$path || -f $s/$path.java || -f $s/${path%/*}.java ]] && return 0
		grep -rqF -- "\"$1\"" "$s" && return 0
	done
	return 1
}
# a path exists, or is a build product (kmod/spool.ko, kmod/fuzz/cycles): one
# that git ignores, in a directory that exists, since a fresh clone has not built it
is_path() { compgen -G "$1" >/dev/null || { [[ -d $(dirname "$1") ]] && git check-ignore -q -- "$1"; }; }

# the lists: each in a process substitution, so that each's counts stay here
made() { # make [-C DIR] [VAR=value ...] TARGET in code, and the parts check-*
	awk '{
		for (i = 1; i <= NF; i++) {
			if ($i != "make") continue
			dir = ""
			for (j = i + 1; j <= NF; j++) {
				if ($j == "-C") { dir = $(j + 1); j++; continue }
				if ($j ~ /=/ || $j ~ /^-/) continue
				if ($j ~ /^[a-z][a-z0-9-]*$/) print (dir == "" ? "." : dir), $j
				break
			}
		}
	}' "$out/code.txt"
	grep -oE '(^|[^a-z-])check-[a-z]+(-[a-z]+)*' "$out/code.txt" | sed 's/^[^c]*/. /'
}
properties() {
	grep -oE '(^|[^A-Za-z0-9_./-])spool\.[a-z][A-Za-z0-9.]*[A-Za-z0-9]' "$readme" |
		sed 's/^[^s]//' | grep -vxE 'spool\.(ko|h|c)'
}
names() { grep -oE '(^|[^A-Za-z0-9_.])io\.spool(\.[A-Za-z_][A-Za-z0-9_]*)+' "$readme" | sed 's/^[^i]//'; }
paths() {
	grep -oE '(^|[^A-Za-z0-9_./-])(kmod|provider|compat-tests|scripts|META-INF-services)/[A-Za-z0-9_.*/-]*' "$readme" |
		sed 's/^[^kpcsM]//; s/[.]$//' | grep -vE '(^|/)(target|build)(/|$)'
}
each "make targets named in code exist (DIR TARGET)" is_target "no such target in DIR/Makefile" < <(made | sort -u)
each "spool.* properties the README names are the provider's or the tests'" is_property \
	"a property that Config and the tests do not know" < <(properties | sort -u)
each "io.spool names are classes, packages or names in the sources" is_name \
	"no class, package or name in the sources" < <(names | sort -u)
each "paths into the repository exist" is_path "a path that does not exist" < <(paths | sort -u)

jnr=$(sed -n 's|.*<jnr-ffi.version>\(.*\)</jnr-ffi.version>.*|\1|p' pom.xml)
named=$(grep -oE 'JNR-FFI [0-9]+\.[0-9]+\.[0-9]+' "$readme" | sort -u | cut -d' ' -f2 | paste -sd' ')
if [[ $named == "$jnr" ]]; then
	pass "the README's JNR-FFI version is the POM's ($jnr)"
else
	fail "the README names JNR-FFI '$named', the POM $jnr"
fi

jars=$(find provider/target/lib -name '*.jar' | wc -l)
named=$(grep -oE '[0-9]+ jars besides SPOOL' "$readme" | cut -d' ' -f1 | sort -u | paste -sd' ')
if [[ $named == "$jars" ]]; then
	pass "the README's count of dependency jars is provider/target/lib's ($jars)"
else
	fail "the README says '$named' jars besides SPOOL's, provider/target/lib has $jars"
fi

echo "$passed passed, $failed failed"
((failed == 0))
