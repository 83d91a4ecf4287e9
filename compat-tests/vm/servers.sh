# Sourced by the guest scripts (bench.sh, demo.sh): the server registry,
# compat-tests/servers.tsv, which CompatDriver reads too.
#
#   server_lookup NAME   sets main, mode (http|echo), path and sflags (JVM flags), or
#                        returns 1 for a name the registry does not have
#   server_names         prints every name, space-separated
servers_tsv=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/servers.tsv

server_lookup() {
	local row
	row=$(awk -F'\t' -v n="$1" '!/^#/ && $1 == n' "$servers_tsv")
	[[ -n $row ]] || return 1
	IFS=$'\t' read -r _ main mode path sflags <<<"$row"
	[[ $sflags == - ]] && sflags=
	return 0
}

server_names() {
	awk -F'\t' '!/^#/ && NF { printf "%s%s", sep, $1; sep = " " } END { print "" }' "$servers_tsv"
}
