#!/usr/bin/env bash
# Installs spool.ko like any out-of-tree module (README.md, "Installing the
# module"); kmod/Makefile's install targets run it:
#
#   install.sh module       spool.ko into $DESTDIR/lib/modules/$KVER/$INSTALL_MOD_DIR
#                           (signed first when SIGN_KEY and SIGN_CERT are set), then depmod
#   install.sh config       the udev rule, the modules-load.d file and the group spool
#   install.sh uninstall    removes what module and config installed (not the group), then depmod
#   install.sh dkms-source  the module's sources and dkms.conf into $DESTDIR/usr/src/spool-VERSION
#
# Environment (kmod/Makefile passes its variables): KVER, the kernel
# (required); KDIR, its build directory (default /lib/modules/$KVER/build);
# KO, the module to install (default kmod/spool.ko);
# DESTDIR, a staging root (INSTALL_MOD_PATH, kbuild's name, works too); as
# kbuild's modules_install, depmod then runs with -b DESTDIR, and DEPMOD=true
# skips it; INSTALL_MOD_DIR (default updates); SIGN_KEY, SIGN_CERT;
# UDEV_RULES_DIR (default /etc/udev/rules.d), MODULES_LOAD_DIR (default
# /etc/modules-load.d). The group is created only when DESTDIR is empty.
# Every failure prints "install.sh: ..." with what to do, and exits 1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kmod=$(dirname "$here")
group=spool	# the udev rule's GROUP

die() {
	echo "install.sh: $*" >&2
	exit 1
}
say() { echo "install.sh: $*"; }

action=${1:-}
case $action in
module|config|uninstall|dkms-source) ;;
*) die "usage: install.sh module|config|uninstall|dkms-source (got '$action')" ;;
esac

destdir=${DESTDIR:-${INSTALL_MOD_PATH:-}}
destdir=${destdir%/}
kver=${KVER:-}
kdir=${KDIR:-/lib/modules/$kver/build}
mod_dir=${INSTALL_MOD_DIR:-updates}
depmod=${DEPMOD:-depmod}
rules_dir=${UDEV_RULES_DIR:-/etc/udev/rules.d}
load_dir=${MODULES_LOAD_DIR:-/etc/modules-load.d}
ko=${KO:-$kmod/spool.ko}
tmp=
trap 'rm -f "$tmp"' EXIT
rules=60-spool.rules
load_conf=spool.conf

# The ABI version, as the module's MODULE_VERSION and dkms.conf read it.
abi_version() {
	local v
	v=$(sed -n 's/^#define[[:space:]]*SPOOL_ABI_VERSION[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
		"$kmod/include/uapi/spool.h")
	[[ -n $v ]] || die "no '#define SPOOL_ABI_VERSION N' in $kmod/include/uapi/spool.h"
	echo "$v"
}

# writable DIR: DIR, or the nearest directory above it that exists, may be
# written by us; else the fix (root, or DESTDIR).
writable() {
	local d=$1
	while [[ ! -e $d ]]; do
		d=$(dirname "$d")
	done
	[[ $d == "$1" ]] || d="$d (for $1)"
	[[ -w ${d%% (*} ]] || die "cannot write $d: run as root (sudo make install), or set DESTDIR to stage the files"
}

need_kver() {
	[[ -n $kver ]] || die "KVER is not set: the kernel version to install for (e.g. KVER=\$(uname -r))"
	if [[ -z $destdir && ! -d /lib/modules/$kver ]]; then
		die "/lib/modules/$kver does not exist: no kernel $kver is installed here; set KVER to one of: $(ls /lib/modules 2>/dev/null | paste -sd' ')"
	fi
}

run_depmod() {
	local args=(-a)
	command -v "$depmod" >/dev/null ||
		die "$depmod not found: install kmod (Debian: apt-get install kmod), or DEPMOD=true to skip it"
	if [[ -n $destdir ]]; then
		args=(-a -b "$destdir")
		say "DESTDIR: depmod indexes what is staged there (it may warn that the kernel's modules.order and modules.builtin are not)"
	fi
	say "$depmod ${args[*]} $kver"
	"$depmod" "${args[@]}" "$kver" || die "'$depmod ${args[*]} $kver' failed (above)"
}

# sign FILE: appends a signature with SIGN_KEY and SIGN_CERT, as the
# kernel's own modules are signed (its sign-file, its hash).
sign() {
	local sign_file=$kdir/scripts/sign-file hash
	[[ -n ${SIGN_KEY:-} && -n ${SIGN_CERT:-} ]] ||
		die "SIGN_KEY and SIGN_CERT go together: the private key and its certificate (e.g. /var/lib/dkms/mok.key and /var/lib/dkms/mok.pub)"
	[[ -r $SIGN_KEY ]] || die "SIGN_KEY=$SIGN_KEY: no such readable file"
	[[ -r $SIGN_CERT ]] || die "SIGN_CERT=$SIGN_CERT: no such readable file"
	[[ -x $sign_file ]] ||
		die "no $sign_file: the kernel's headers for $kver bring it (KDIR=$kdir)"
	hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$kdir/.config" 2>/dev/null)
	[[ -n $hash ]] ||
		die "$kdir/.config has no CONFIG_MODULE_SIG_HASH: kernel $kver does not check module signatures"
	"$sign_file" "$hash" "$SIGN_KEY" "$SIGN_CERT" "$1" ||
		die "$sign_file $hash $SIGN_KEY $SIGN_CERT failed (above): SIGN_KEY must be the private key (PEM), SIGN_CERT its certificate (DER or PEM)"
}

install_module() {
	local built_for dest
	need_kver
	[[ -f $ko ]] ||
		die "$ko is not built: build it first, as your own user: make -C kmod KVER=$kver (or make)"
	built_for=$(modinfo -F vermagic "$ko" 2>/dev/null) || die "modinfo cannot read $ko; rebuild it"
	built_for=${built_for%% *}
	[[ $built_for == "$kver" ]] ||
		die "$ko was built for kernel $built_for, not $kver: rebuild it (make -C kmod KVER=$kver) or set KVER=$built_for"
	dest=$destdir/lib/modules/$kver/$mod_dir/spool.ko
	writable "$(dirname "$dest")"
	tmp=$(mktemp)
	cp "$ko" "$tmp"
	[[ -n ${SIGN_KEY:-}${SIGN_CERT:-} ]] && sign "$tmp"
	install -D -m 0644 "$tmp" "$dest"
	say "installed $dest (version $(modinfo -F version "$dest")${SIGN_KEY:+, signed by '$(modinfo -F signer "$dest")'})"
	run_depmod
}

install_config() {
	writable "$destdir$rules_dir"
	writable "$destdir$load_dir"
	install -D -m 0644 "$here/$rules" "$destdir$rules_dir/$rules"
	say "installed $destdir$rules_dir/$rules (/dev/spool: group $group, mode 0660)"
	install -D -m 0644 "$here/$load_conf" "$destdir$load_dir/$load_conf"
	say "installed $destdir$load_dir/$load_conf (spool loads at boot)"
	if [[ -n $destdir ]]; then
		say "DESTDIR is set, so no group is created here; on the target system: groupadd --system $group"
		return
	fi
	if getent group "$group" >/dev/null; then
		say "group $group exists"
	else
		command -v groupadd >/dev/null ||
			die "groupadd not found (Debian: apt-get install passwd); create the system group $group, then rerun"
		groupadd --system "$group" || die "groupadd --system $group failed (above)"
		say "created the system group $group; add users with: usermod -aG $group USER"
	fi
	# udevd reads rules when told; a device that exists now gets the rule now.
	if command -v udevadm >/dev/null && udevadm control --reload 2>/dev/null; then
		if [[ -e /dev/spool ]] && ! udevadm trigger --subsystem-match=misc --sysname-match=spool; then
			say "udevadm trigger failed: the rule applies when spool is next loaded"
		fi
	else
		say "udevd did not answer: the rule applies once it runs"
	fi
	return 0
}

uninstall() {
	local f removed=0
	need_kver
	for f in "$destdir/lib/modules/$kver/$mod_dir/spool.ko" \
		"$destdir$rules_dir/$rules" "$destdir$load_dir/$load_conf"; do
		[[ -e $f ]] || continue
		writable "$(dirname "$f")"
		rm -f "$f"
		say "removed $f"
		removed=1
	done
	((removed)) || say "nothing of spool's installed for $kver under '${destdir:-/}'"
	[[ -d $destdir/lib/modules/$kver ]] && run_depmod
	[[ -z $destdir ]] && getent group "$group" >/dev/null &&
		say "the group $group stays (files may belong to it); groupdel $group removes it"
	grep -q '^spool ' /proc/modules 2>/dev/null &&
		say "spool is still loaded: modprobe -r spool unloads it"
	return 0
}

dkms_source() {
	local v dest
	v=$(abi_version)
	dest=$destdir/usr/src/spool-$v
	writable "$(dirname "$dest")"
	rm -rf "$dest"
	mkdir -p "$dest"
	cp "$kmod/Kbuild" "$kmod/dkms.conf" "$kmod"/spool_*.c "$kmod"/*.h "$dest/"
	cp -r "$kmod/include" "$dest/"
	say "copied the module's sources and dkms.conf to $dest; then: dkms add spool/$v"
}

case $action in
module) install_module ;;
config) install_config ;;
uninstall) uninstall ;;
dkms-source) dkms_source ;;
esac
