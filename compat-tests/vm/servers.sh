# Sourced by the guest scripts (bench.sh, demo.sh): the server registry,
# compat-tests/servers.tsv, which CompatDriver reads too.
#
#   server_lookup NAME   sets main, mode (http|echo), path, sflags (JVM flags) and
#                        sjava (the java to run it with: $java, or for a server that
#                        needs release 21 or later the newest JDK under /usr/lib/jvm),
#                        or returns 1 for a name the registry does not have
#   server_names         prints every name, space-separated
#   ready_port LOG       prints the port of the READY line in a server's output
#                        file LOG, or nothing while there is none (or no file yet)
servers_tsv=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/servers.tsv

server_lookup() {
	local row
	row=$(awk -F'\t' -v n="$1" '!/^#/ && $1 == n' "$servers_tsv")
	[[ -n $row ]] || return 1
	local release
	IFS=$'\t' read -r _ main mode path sflags release <<<"$row"
	[[ $sflags == - ]] && sflags=
	sjava=$java
	if ((release > 17)); then
		sjava=$(newest_java "$release") || return 1
	fi
	return 0
}

newest_java() {	# newest_java RELEASE: the newest bin/java under /usr/lib/jvm of at least RELEASE
	local best= bestv=0 d v
	for d in /usr/lib/jvm/*/; do
		[[ -x $d/bin/java && -r $d/release ]] || continue
		v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$d/release")
		((v > bestv)) && best=$d/bin/java bestv=$v
	done
	((bestv >= $1)) || { echo "servers.sh: no JDK $1 or later under /usr/lib/jvm" >&2; return 1; }
	echo "$best"
}

server_names() {
	awk -F'\t' '!/^#/ && NF { printf "%s%s", sep, $1; sep = " " } END { print "" }' "$servers_tsv"
}

ready_port() {
	# the server starts in the background: its output file may not exist yet
	[[ -f $1 ]] || return 0
	awk '/^READY/ { print $2; exit }' "$1"
}
