#!/usr/bin/env bash
# Builds the sanitizer kernel (make sanitizer-kernel): Debian's
# linux-source-6.12 (or linux-source-6.1 with SANITIZE_KVER=6.1, which adds
# kmod/sanitize/6.1.config), tinyconfig plus kmod/sanitize/sanitize.config
# (KASAN, lockdep, DEBUG_ATOMIC_SLEEP, kmemleak, UBSAN; the VM's drivers
# built in), in a cache outside the clone. SANITIZER picks the flavour:
#
#   kasan  (the default) sanitize.config alone
#   kcsan  sanitize.config, then kcsan.config over it: KCSAN in place of
#          KASAN, which the kernel cannot have at the same time
#
#   ${XDG_CACHE_HOME:-$HOME/.cache}/spool/sanitizer-kernel/KEY/
#       src/      the unpacked source
#       build/    the O= build tree: KDIR for spool.ko, build/vmlinux to boot
#       build.log the build's log
#       done      written last; its presence means the tree is complete
#
# KEY hashes the inputs: the source package's version, the fragments, the
# base config's name and the compiler's version (for kasan, exactly what it
# hashed before there were flavours, so that its cached tree stays valid). A tree with the same KEY is
# reused; any change makes a new one. Prints the build directory.
#
#   scripts/sanitizer-kernel.sh [--dir]   build if needed; print build/
#   --dir only prints where it would be, building nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
case ${SANITIZE_KVER:-6.12} in
6.1 | 6.12) pkg=${SANITIZE_SOURCE_PKG:-linux-source-${SANITIZE_KVER:-6.12}} ;;
*)
	echo "sanitizer-kernel: KVER=$SANITIZE_KVER: the sanitizer kernel is 6.1 or 6.12" >&2
	exit 2 ;;
esac
fragment=$repo/kmod/sanitize/sanitize.config
fragments=("$fragment")
# What one source needs besides (6.1's tinyconfig picks SLOB, which KASAN
# cannot work with); none for 6.12, whose key stays what it was.
[[ -f $repo/kmod/sanitize/${pkg#linux-source-}.config ]] &&
	fragments+=("$repo/kmod/sanitize/${pkg#linux-source-}.config")
flavour=${SANITIZER:-kasan}
case $flavour in
kasan) ;;
kcsan) fragments+=("$repo/kmod/sanitize/kcsan.config") ;;
*)
	echo "sanitizer-kernel: SANITIZER=$flavour: not kasan or kcsan" >&2
	exit 2 ;;
esac
base=tinyconfig
root=${XDG_CACHE_HOME:-$HOME/.cache}/spool/sanitizer-kernel

version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) || version=
tarball=$(ls /usr/src/"$pkg".tar.xz 2>/dev/null || true)
if [[ -z $version || -z $tarball ]]; then
	echo "sanitizer-kernel: $pkg is not installed; run 'make setup'" >&2
	exit 1
fi
key=$({
	echo "$pkg $version $base"
	gcc --version | head -n 1
	cat "${fragments[@]}"
} | sha256sum | cut -c1-16)
dir=$root/$key

if [[ ${1:-} == --dir ]]; then
	echo "$dir/build"
	exit 0
fi
if [[ -f $dir/done ]]; then
	echo "$dir/build"
	exit 0
fi

jobs=${SANITIZE_JOBS:-$(nproc)}
echo "sanitizer-kernel: building $pkg $version, $flavour ($key) in $dir;" \
     "log in $dir/build.log" >&2
rm -rf "$dir"
mkdir -p "$dir/src" "$dir/build"
# The steps, in a subshell with errexit of its own, so that the first step
# to fail stops the build. (They were once a `{ ...; } || handler` group:
# bash turns errexit off on the left of ||, and a failed step, the config
# check included, let the build go on.)
steps() {
	echo "# $pkg $version, $flavour: $base + ${fragments[*]##*/}, -j$jobs"
	tar -xf "$tarball" -C "$dir/src" --strip-components=1
	cd "$dir/src"
	make O="$dir/build" "$base"
	scripts/kconfig/merge_config.sh -m -O "$dir/build" \
		"$dir/build/.config" "${fragments[@]}"
	make O="$dir/build" olddefconfig
	# Every symbol the fragments set must have its last fragment's value
	# after olddefconfig: a symbol the kernel dropped or a dependency
	# missed is an error here, not a sanitizer silently absent.
	local -A want=() from=()
	local f line sym missing=0
	for f in "${fragments[@]}"; do
		while IFS= read -r line; do
			[[ $line == CONFIG_* ]] || continue
			want[${line%%=*}]=$line from[${line%%=*}]=${f##*/}
		done <"$f"
	done
	for sym in "${!want[@]}"; do
		line=${want[$sym]}
		if [[ ${line#*=} == n ]]; then
			if grep -q "^$sym=" "$dir/build/.config"; then
				echo "${from[$sym]}: $sym is not off"
				missing=1
			fi
		elif ! grep -qxF "$line" "$dir/build/.config"; then
			echo "${from[$sym]}: $line did not take"
			missing=1
		fi
	done
	if ((missing)); then
		echo "# the config lacks what the fragments ask for; not built"
		return 1
	fi
	echo "# every line of the fragments took"
	# modules: no module of its own, but it writes Module.symvers,
	# which modpost needs to build spool.ko against this tree
	nice make O="$dir/build" -j"$jobs" vmlinux bzImage modules
}
start=$SECONDS
set +e
(set -e; steps) >"$dir/build.log" 2>&1
rc=$?
set -e
if ((rc != 0)); then
	echo "sanitizer-kernel: the build failed; the end of $dir/build.log:" >&2
	tail -n 30 "$dir/build.log" >&2
	exit 1
fi
echo "# built in $((SECONDS - start)) s" >>"$dir/build.log"
du -sh "$dir" | sed 's/^/sanitizer-kernel: size /' >&2
echo "sanitizer-kernel: built in $((SECONDS - start)) s" >&2
date -u +%FT%TZ >"$dir/done"
echo "$dir/build"
