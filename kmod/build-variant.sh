#!/usr/bin/env bash
# Builds a copy of the module in build/kmod-variants/NAME with the given
# make arguments (W=1 and -Werror always), so that several configurations
# can exist side by side.  The log is build/kmod-variants/NAME/build.log.
#
#   kmod/build-variant.sh KVER NAME [MAKE-ARGS...]
set -euo pipefail

kver=${1:?usage: kmod/build-variant.sh KVER NAME [MAKE-ARGS...]}
name=${2:?usage: kmod/build-variant.sh KVER NAME [MAKE-ARGS...]}
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$here/../build/kmod-variants/$name

rm -rf "$dir"
mkdir -p "$dir"
cp -r "$here"/Kbuild "$here"/Makefile "$here"/*.c "$here"/*.h \
	"$here"/include "$dir"/
# On failure the log's tail goes to stderr too, so a caller that keeps
# only our output (make demo's step log, make bench's) still shows why.
if ! make -C "$dir" KVER="$kver" W=1 KCFLAGS=-Werror "$@" module \
	>"$dir/build.log" 2>&1; then
	tail -n 20 "$dir/build.log" >&2
	echo "build-variant: $name for $kver failed; log: $dir/build.log" >&2
	exit 1
fi
