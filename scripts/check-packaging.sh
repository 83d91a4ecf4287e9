#!/usr/bin/env bash
# The provider as a user gets it (make check-packaging):
#
#  1. `mvn install` of the clone installs what users consume, and only that:
#     the parent POM and spool-provider with its sources and javadoc jars
#     (not spool-compat-tests); the jar is the automatic module io.spool and
#     provides the SelectorProvider.
#  2. A Maven project outside the clone (scripts/consumer/, copied to a
#     temporary directory) gets the README's dependency snippet, as written,
#     and is built from the local repository: a plain NIO echo over a
#     Selector, in a module that requires java.base only.
#  3. The README's launch lines ("Use it in your build"), as written, run in
#     that project's target/ on the JDK each names (17, and 25: the newest JDK
#     of at least that release under /usr/lib/jvm), on the class path and on
#     the module path. Each must serve the echo on io.spool.SpoolSelectorProvider
#     with the backend EXPECT_BACKEND (default uring: io_uring is native on
#     this host and there is no module), which the MXBean io.spool:type=Provider
#     must report too (on the module path the JDK binds java.management,
#     though the app requires java.base only); print no WARNING (the flags
#     are complete); and have the provider in the module io.spool on the
#     module path. Then each flag is shown to be needed: without it the line
#     fails or warns as the README says.
#
# Prints one line per check and "N passed, N failed".
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/readme-blocks.sh"
source "$repo/compat-tests/vm/servers.sh" # newest_java
out=$repo/build/check-packaging
expect=${EXPECT_BACKEND:-uring}
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/spool-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
pass() { echo "ok    $*"; passed=$((passed + 1)); }
fail() { echo "FAIL  $*"; failed=$((failed + 1)); }
finish() {
	echo "$passed passed, $failed failed"
	((failed == 0))
	exit
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

version=$(sed -n '/<artifactId>spool-parent<\/artifactId>/,/<version>/s/.*<version>\(.*\)<\/version>.*/\1/p' "$repo/pom.xml")

# --- 1. what `mvn install` installs ----------------------------------------
echo "=== mvn install (log: build/check-packaging/install.log)"
if ! mvn -B -Dstyle.color=never -f "$repo/pom.xml" -DskipTests install >"$out/install.log" 2>&1; then
	fail "mvn -DskipTests install; see $out/install.log"
	finish
fi
installed=$(sed -n 's/^\[INFO\] Installing .* to \(.*\)$/\1/p' "$out/install.log")
expected="spool-parent-$version.pom
spool-provider-$version-javadoc.jar
spool-provider-$version-sources.jar
spool-provider-$version.jar
spool-provider-$version.pom"
got=$(xargs -rn1 basename <<<"$installed" | sort)
check "mvn install installs exactly the parent POM, spool-provider's jar, pom, sources and javadoc${got:+ (got: $(tr '\n' ' ' <<<"$got"))}" \
	test "$got" == "$expected"
check "mvn install skips spool-compat-tests" \
	grep -q 'maven-install-plugin.*@ spool-compat-tests' "$out/install.log"
jar_of() { grep -- "/spool-provider-$version$1.jar\$" <<<"$installed"; }
jar=$(jar_of "")
parent_pom=$(grep -- "/spool-parent-$version.pom\$" <<<"$installed")
jar --describe-module --file "$jar" >"$out/describe-module.txt" 2>&1
check "the jar is the automatic module io.spool" grep -q "^io.spool@.* automatic" "$out/describe-module.txt"
check "the module provides the SelectorProvider" \
	grep -q "^provides java.nio.channels.spi.SelectorProvider with io.spool.SpoolSelectorProvider" "$out/describe-module.txt"
check "the jar carries the LICENSE" bash -c "jar tf '$jar' | grep -qx META-INF/LICENSE"
check "the sources jar has the provider's source" \
	bash -c "jar tf '$(jar_of -sources)' | grep -qx io/spool/SpoolSelectorProvider.java"
check "the javadoc jar documents the provider and its MXBean" \
	bash -c "jar tf '$(jar_of -javadoc)' | grep -c -e '^io/spool/SpoolSelectorProvider.html' -e '^io/spool/SpoolProviderMXBean.html' | grep -qx 2"
for element in name description url licenses developers scm; do
	check "the parent POM has <$element>" grep -q "<$element[ >]" "$parent_pom"
done

# --- 2. a project outside the clone, by coordinates -------------------------
readme_blocks "$repo/README.md" "$out/readme"
snippets=("$out"/readme/*.maven)
if [[ ${#snippets[@]} != 1 || ! -f ${snippets[0]} ]]; then
	fail "the README has one Maven snippet (<!-- check: maven -->); found ${#snippets[@]}"
	finish
fi
cp -r "$repo/scripts/consumer/." "$work/"
awk -v snippet="${snippets[0]}" '
	/README_MAVEN_SNIPPET/ { while ((getline l <snippet) > 0) print "    " l; skip = 1 }
	skip && /-->/ { skip = 0; next }
	!skip
' "$repo/scripts/consumer/pom.xml" >"$work/pom.xml"
echo "=== the project outside the clone: $work (log: build/check-packaging/consumer.log)"
if ! mvn -B -Dstyle.color=never -f "$work/pom.xml" package >"$out/consumer.log" 2>&1; then
	fail "building a project with the README's Maven snippet; see $out/consumer.log"
	finish
fi
check "the project resolves spool-provider $version by its coordinates" \
	test -f "$work/target/lib/spool-provider-$version.jar"
# the README's in-clone lines name provider/target/...
ln -s "$repo/provider" "$work/target/provider"

# --- 3. the README's launch lines ------------------------------------------
# java_for N: the JDK the README means by "JDK N": 17 is the java on PATH
# (make setup installs it); a later one, the newest under /usr/lib/jvm of at
# least that release.
java_for() {
	if (($1 == 17)); then
		local home
		home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
		grep -q '^JAVA_VERSION="17' "$home/release" 2>/dev/null || {
			echo "java_for: the java on PATH ($home) is not JDK 17" >&2
			return 1
		}
		echo "$home/bin/java"
	else
		newest_java "$1"
	fi
}

# launch N LABEL COMMAND [EXPECT]: runs COMMAND in the project's target/ on
# JDK N; output in $out/LABEL.{out,err}; returns its exit code
launch() {
	local java
	java=$(java_for "$1") || return 99
	(cd "$work/target" && PATH=$(dirname "$java"):$PATH timeout 120 bash -c "$3") \
		>"$out/$2.out" 2>"$out/$2.err"
}

# expect_serves LABEL MODE: the app's output says SPOOL served, as it should
# in MODE (class path or module path), and nothing warned
expect_serves() {
	local o=$out/$1.out e=$out/$1.err module=unnamed app=unnamed why=
	if [[ $2 == "module path" ]]; then module=io.spool app=com.example.app; fi
	grep -qx 'provider=io.spool.SpoolSelectorProvider' "$o" || why+=" not served by SPOOL;"
	grep -qx "backend=$expect" "$o" || why+=" backend not $expect;"
	grep -qx 'echo=ok' "$o" || why+=" no echo;"
	grep -qx "mxbean=$expect" "$o" || why+=" the MXBean io.spool:type=Provider does not say $expect;"
	grep -qx "providerModule=$module" "$o" || why+=" provider not in module $module;"
	grep -qx "appModule=$app" "$o" || why+=" app not in module $app;"
	if grep -q '^WARNING' "$e"; then why+=" warned: $(grep -m1 '^WARNING' "$e");"; fi
	[[ -z $why ]] && return 0
	echo "      $1:$why (see $o, $e)"
	return 1
}

served= n=0
for block in "$out"/readme/*.launch; do
	[[ -f $block ]] || continue
	jdk= mode=
	while IFS= read -r cmd; do
		if [[ $cmd =~ ^#\ JDK\ ([0-9]+),\ (class\ path|module\ path) ]]; then
			jdk=${BASH_REMATCH[1]} mode=${BASH_REMATCH[2]}
			continue
		fi
		[[ $cmd =~ ^[[:space:]]*(#|$) ]] && continue
		n=$((n + 1))
		label=launch-$n
		if [[ -z $jdk ]]; then
			fail "README.md block at line ${block##*/}: '$cmd' has no '# JDK N, class path|module path' line above it"
			continue
		fi
		launch "$jdk" "$label" "$cmd"
		rc=$?
		if [[ $cmd == java\ * && $cmd == *com.example.Main* ]]; then
			if ((rc == 0)) && expect_serves "$label" "$mode"; then
				pass "JDK $jdk, $mode: $cmd"
				served+=" $jdk/${mode// /-}"
			else
				fail "JDK $jdk, $mode (exit $rc): $cmd"
				((rc == 0)) || tail -n 3 "$out/$label.err" | sed 's/^/      /'
			fi
			# each flag is needed: the line without it fails or warns
			case "$jdk/$mode/$cmd" in
			*"/module path/"*--add-modules\ ALL-MODULE-PATH*)
				launch "$jdk" "$label-no-add-modules" "${cmd/--add-modules ALL-MODULE-PATH /}"
				check "JDK $jdk, module path: without --add-modules ALL-MODULE-PATH JNR misses ASM" \
					grep -q 'NoClassDefFoundError: org/objectweb/asm/' "$out/$label-no-add-modules.err"
				;;&
			*--enable-native-access=*)
				flag=$(grep -o -- '--enable-native-access=[^ ]*' <<<"$cmd")
				launch "$jdk" "$label-no-native-access" "${cmd/$flag /}"
				[[ $mode == "module path" ]] && who=org.jnrproject.jffi || who=ALL-UNNAMED
				check "JDK $jdk, $mode: without $flag the JDK asks for --enable-native-access=$who" \
					grep -q -- "Use --enable-native-access=$who " "$out/$label-no-native-access.err"
				;;
			esac
		elif [[ $cmd =~ ^jfr\ print\ --events\ ([A-Za-z.]+) ]]; then
			event=${BASH_REMATCH[1]}
			if ((rc == 0)) && grep -q "^$event {" "$out/$label.out"; then
				pass "JDK $jdk: '$cmd' shows $event events"
			else
				fail "JDK $jdk: '$cmd' shows no $event event (exit $rc; see $out/$label.out)"
			fi
		else
			check "JDK $jdk: $cmd" test "$rc" == 0
		fi
	done < <(readme_commands "$block")
done
for want in 17/class-path 17/module-path 25/class-path 25/module-path; do
	check "a README line served the app on JDK ${want/\// on the }" grep -qw "$want" <<<"$served"
done
finish
