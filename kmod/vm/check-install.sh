#!/usr/bin/env bash
# Guest half of the install test; kmod/vm/check-kmod.sh runs it in its boot:
#
#   kmod/vm/check-install.sh HOST-OUT [KO]
#
# HOST-OUT is where kmod/check-install-host.sh, run on the host before the
# boot, left its log and a DKMS tree with spool.ko built for this kernel.
# KO is the spool.ko built for this kernel that make install installs
# (default kmod/spool.ko).
# As root, as a user would: `make -C kmod install` (module, depmod, udev
# rule, modules-load.d file, group spool), systemd-modules-load loads the
# module, systemd-udevd gives /dev/spool its group and mode, a member of the
# group opens it and another user cannot, `modprobe -r`, `make uninstall`;
# then `dkms install` of the host's build, modprobe, `dkms remove`.
#
# The guest's root is the host's, read-only. So /etc gets an overlay on a
# tmpfs, and /lib/modules/KVER a stand-in holding only the kernel's index
# files (modules.builtin*, modules.order) and its build link: depmod then
# reads one module, not the kernel's 4,000 (40 s under TCG, each time).
# Both are gone when the script ends. Prints "ok"/"not ok" lines, the host
# half's among them, and "N passed, N failed".
set -uo pipefail

host=${1:?usage: check-install.sh HOST-OUT, the OUT of kmod/check-install-host.sh}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kmod=$(cd "$here/.." && pwd)
ko=${2:-$kmod/spool.ko}
check_name=install
# ok, not_ok, note, finish, loaded
. "$here/../../scripts/vm/lib.sh"
# udevadm ignores requests in a chroot, which the guest's root is.
export SYSTEMD_IGNORE_CHROOT=1

kver=$(uname -r)
dev=/dev/spool
abi=$(sed -n 's/^#define[[:space:]]*SPOOL_ABI_VERSION[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
	"$kmod/include/uapi/spool.h")
want_dev="character special file root:spool 660"
quote() { sed 's/^/#   /'; }
devstate() { stat -c '%F %U:%G %a' "$dev" 2>/dev/null; }

# --- the host half --------------------------------------------------------------
if [[ -f $host/log.txt ]]; then
	cat "$host/log.txt"
	add_summary "the host half (kmod/check-install-host.sh)" "$host/log.txt" "$(cat "$host/rc" 2>/dev/null || echo 1)"
else
	not_ok "no $host/log.txt: kmod/check-install-host.sh did not run (make check-kmod runs it)"
fi

# --- writable /etc and a stand-in module tree --------------------------------------
work=$(mktemp -d /tmp/check-install.XXXXXX)
mounted=()
udevd=
cleanup() {
	local m
	if [[ -n $udevd ]]; then
		kill "$udevd" 2>/dev/null
		wait "$udevd" 2>/dev/null
	fi
	loaded && rmmod spool 2>/dev/null
	for ((m = ${#mounted[@]} - 1; m >= 0; m--)); do
		umount "${mounted[m]}" || not_ok "cleanup: cannot unmount ${mounted[m]}"
	done
	rm -rf "$work"
}
on_finish=cleanup

if loaded; then
	rmmod spool 2>/dev/null || { not_ok "spool is loaded and will not unload"; finish; }
fi
mkdir -p "$work/etc-up" "$work/etc-work" "$work/modules"
if ! out=$(modprobe overlay 2>&1 &&
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$work/etc-up,workdir=$work/etc-work" /etc 2>&1); then
	not_ok "setup: cannot put an overlay on /etc: $out"
	finish
fi
mounted+=(/etc)
for f in modules.builtin modules.builtin.modinfo modules.order build source; do
	[[ -e /lib/modules/$kver/$f ]] && cp -P "/lib/modules/$kver/$f" "$work/modules/"
done
# DKMS reads from modules.dep whether the kernel's modules are compressed
# (xz on 6.12), and looks for its build under that name; the stand-in's own
# depmod runs rewrite it, so dkms install gets the kernel's back.
cp "/lib/modules/$kver/modules.dep" "$work/modules.dep.kernel"
if ! out=$(mount --bind "$work/modules" "/lib/modules/$kver" 2>&1); then
	not_ok "setup: cannot mount a stand-in on /lib/modules/$kver: $out"
	finish
fi
mounted+=("/lib/modules/$kver")
getent group spool >/dev/null && note "the group spool exists before make install"

# --- make install ---------------------------------------------------------------
start=$SECONDS
if ! out=$(make -s -C "$kmod" install KVER="$kver" KO="$ko" 2>&1); then
	not_ok "make -C kmod install failed:"
	echo "$out" | quote
	finish
fi
echo "$out" | quote
files=("/lib/modules/$kver/updates/spool.ko" /etc/udev/rules.d/60-spool.rules
	/etc/modules-load.d/spool.conf)
if ! cmp -s "$ko" "${files[0]}" || ! cmp -s "$kmod/install/60-spool.rules" "${files[1]}" ||
   ! cmp -s "$kmod/install/spool.conf" "${files[2]}"; then
	not_ok "make install: ${files[*]} are not all there, as in kmod/"
else
	ok "make install ($((SECONDS - start)) s): ${files[*]}"
fi
gid=$(getent group spool | cut -d: -f3)
if [[ -z $gid ]]; then
	not_ok "make install: no group spool"
elif ((gid >= 1000)); then
	not_ok "make install: the group spool has gid $gid, not a system group's"
else
	ok "make install: the system group spool (gid $gid)"
fi
mod_file=$(modinfo -F filename spool 2>&1)
version=$(modinfo -F version spool 2>&1)
if [[ $mod_file != "${files[0]}" ]]; then
	not_ok "depmod: modinfo spool finds '$mod_file', want ${files[0]}"
elif [[ $version != "$abi" ]]; then
	not_ok "modinfo: spool's version is '$version', want the ABI version $abi (SPOOL_ABI_VERSION)"
else
	ok "depmod indexed it: modinfo spool shows ${files[0]}, version $version (SPOOL_ABI_VERSION)"
fi
if ! out=$(make -s -C "$kmod" install KVER="$kver" KO="$ko" 2>&1); then
	not_ok "make install a second time failed:"
	echo "$out" | quote
elif (($(grep -c '^spool:' /etc/group) != 1)); then
	not_ok "make install a second time: $(grep -c '^spool:' /etc/group) groups spool in /etc/group"
else
	ok "make install a second time: succeeds, one group spool"
fi

# --- boot-time load and udev ---------------------------------------------------------
/lib/systemd/systemd-udevd >"$work/udevd.log" 2>&1 &
udevd=$!
for _ in $(seq 100); do
	[[ -S /run/udev/control ]] && break
	sleep 0.1
done
[[ -S /run/udev/control ]] || note "systemd-udevd made no /run/udev/control in 10 s"
# wait_dev STATE: up to 10 s for /dev/spool to be in STATE ("" for gone)
wait_dev() {
	udevadm settle -t 10 2>/dev/null
	for _ in $(seq 50); do
		[[ $(devstate) == "$1" ]] && return 0
		sleep 0.2
	done
	return 1
}
out=$(/lib/systemd/systemd-modules-load 2>&1)
rc=$?
if ((rc != 0)) || ! loaded; then
	not_ok "modules-load.d: systemd-modules-load (exit $rc) did not load spool: $out"
	modprobe spool 2>/dev/null
else
	ok "modules-load.d: systemd-modules-load loads spool"
fi
if wait_dev "$want_dev"; then
	ok "udev: $dev is $want_dev"
else
	not_ok "udev: $dev is '$(devstate)', want '$want_dev'"
	quote <"$work/udevd.log"
fi
# as_nobody GROUPS: nobody, with those supplementary groups, opens /dev/spool
as_nobody() {
	setpriv --reuid=65534 --regid=65534 "$@" -- bash -c "exec 3<>$dev" 2>&1
}
if [[ -z $gid ]]; then
	not_ok "access: no group spool to test with"
elif ! member=$(as_nobody --groups="$gid"); then
	not_ok "access: a member of spool cannot open $dev: $member"
elif outsider=$(as_nobody --clear-groups); then
	not_ok "access: a user outside the group spool opened $dev"
elif [[ $outsider != *"Permission denied"* ]]; then
	not_ok "access: a user outside the group spool: '$outsider', want Permission denied"
else
	ok "access: a member of spool opens $dev; a user outside it gets EACCES"
fi
# A device made before the rule was there gets it from make install at once.
chgrp root "$dev" && chmod 0600 "$dev"
if ! out=$(make -s -C "$kmod" install-config KVER="$kver" 2>&1); then
	not_ok "make -C kmod install-config with spool loaded failed:"
	echo "$out" | quote
elif ! wait_dev "$want_dev"; then
	not_ok "make install-config with spool loaded: $dev stays '$(devstate)', want '$want_dev'"
	echo "$out" | quote
else
	ok "make install-config with spool loaded: the rule applies to $dev at once (udevadm trigger)"
fi
if ! out=$(modprobe -r spool 2>&1) || loaded; then
	not_ok "modprobe -r spool failed: $out"
elif ! wait_dev ""; then
	not_ok "modprobe -r spool: $dev still there"
else
	ok "modprobe -r spool: unloaded, $dev gone"
fi

# --- make uninstall -----------------------------------------------------------------
# not_indexed WHAT: modprobe no longer finds spool
not_indexed() {
	local out
	if out=$(modprobe -n spool 2>&1); then
		not_ok "$1: modprobe still finds spool"
		return 1
	elif [[ $out != *"not found"* ]]; then
		not_ok "$1: modprobe -n spool says '$out', want 'not found'"
		return 1
	fi
}
if ! out=$(make -s -C "$kmod" uninstall KVER="$kver" 2>&1); then
	not_ok "make -C kmod uninstall failed:"
	echo "$out" | quote
else
	echo "$out" | quote
	left=()
	for f in "${files[@]}"; do
		[[ -e $f ]] && left+=("$f")
	done
	if ((${#left[@]})); then
		not_ok "make uninstall: left ${left[*]}"
	elif not_indexed "make uninstall"; then
		ok "make uninstall: files gone, modprobe finds no spool; the group stays"
	fi
fi

# --- dkms install and remove of the host's build ---------------------------------------
tree=$host/dkms src=$host/root/usr/src
dkms=(dkms --dkmstree "$tree" --sourcetree "$src")
# spool.ko, or spool.ko.xz where the kernel's own modules are compressed (6.12)
built=$(ls "$tree/spool/$abi/$kver/$(uname -m)/module/"spool.ko* 2>/dev/null | head -n 1)
dkms_ko=/lib/modules/$kver/updates/dkms/${built##*/}
if [[ -z $built ]]; then
	not_ok "dkms: the host built no spool.ko for $kver in $tree (see the host half above)"
elif ! out=$(make -s -C "$kmod" install-config KVER="$kver" 2>&1); then
	not_ok "dkms: make -C kmod install-config failed:"
	echo "$out" | quote
else
	start=$SECONDS
	cp "$work/modules.dep.kernel" "/lib/modules/$kver/modules.dep"
	if ! out=$("${dkms[@]}" install "spool/$abi" -k "$kver" 2>&1); then
		not_ok "dkms install spool/$abi -k $kver failed:"
		echo "$out" | quote
	elif [[ $(modinfo -F filename spool 2>&1) != "$dkms_ko" ]]; then
		not_ok "dkms install: modinfo spool finds '$(modinfo -F filename spool 2>&1)', want $dkms_ko"
	elif ! out=$(modprobe spool 2>&1) || ! loaded; then
		not_ok "dkms install: modprobe spool failed: $out"
	elif ! wait_dev "$want_dev"; then
		not_ok "dkms install: $dev is '$(devstate)', want '$want_dev'"
	else
		ok "dkms install ($((SECONDS - start)) s): modprobe spool loads $dkms_ko (signer '$(modinfo -F signer spool)'), $dev $want_dev"
	fi
	modprobe -r spool 2>/dev/null
	start=$SECONDS
	if ! out=$("${dkms[@]}" remove "spool/$abi" --all 2>&1); then
		not_ok "dkms remove spool/$abi --all failed:"
		echo "$out" | quote
	elif [[ -e $dkms_ko ]]; then
		not_ok "dkms remove: $dkms_ko still there"
	elif not_indexed "dkms remove"; then
		ok "dkms remove spool/$abi --all ($((SECONDS - start)) s): module gone, modprobe finds no spool"
	fi
	make -s -C "$kmod" uninstall KVER="$kver" >/dev/null 2>&1
fi

finish
