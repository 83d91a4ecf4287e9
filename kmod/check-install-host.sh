#!/usr/bin/env bash
# Host half of the install test (make check-kmod runs it before the VM boots;
# kmod/vm/check-install.sh is the guest half and reports these results too):
#
#   kmod/check-install-host.sh KVER OUT [KO]
#
# KO is the spool.ko built for KVER that make install installs (default
# kmod/spool.ko; make check-kmod gives the one its VM loads, as a build
# per kernel lets two kernels' checks run at once).
#  - `make -C kmod dkms-source` makes a DKMS source tree of the sources and
#    dkms.conf only;
#  - `dkms add` and `dkms build` for KVER, in a DKMS tree of our own under OUT
#    (--dkmstree, --sourcetree), build spool.ko of the ABI's version
#    (spool.ko.xz where the kernel's own modules are compressed: 6.12), signed
#    with a MOK key that DKMS generates as it does /var/lib/dkms/mok.* (here
#    at OUT/mok.*: this machine's /var/lib/dkms is not touched); the guest
#    then runs `dkms install` and `dkms remove` on that tree, since building
#    under TCG would take minutes;
#  - `make install KO=...` and `make uninstall` into a DESTDIR, signed with that
#    key as the README says, and refusals with a message that names the fix.
#
# Writes its "ok"/"not ok" lines and "N passed, N failed" to OUT/log.txt, its
# exit status to OUT/rc, and prints one line; exit 0 unless a check failed.
set -uo pipefail

kver=${1:?usage: kmod/check-install-host.sh KVER OUT}
out=${2:?usage: kmod/check-install-host.sh KVER OUT}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
module=${3:-$here/spool.ko}
check_name=install-host
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $check_name: $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $check_name: $*"; }
quote() { sed 's/^/#   /'; }

rm -rf "$out"
mkdir -p "$out/dkms"
exec 3>&1 >"$out/log.txt" 2>&1

abi=$(sed -n 's/^#define[[:space:]]*SPOOL_ABI_VERSION[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
	"$here/include/uapi/spool.h")
[[ -n $abi ]] || not_ok "no SPOOL_ABI_VERSION in $here/include/uapi/spool.h"
src=$out/root/usr/src
tree=$out/dkms
dkms=(dkms --dkmstree "$tree" --sourcetree "$src")
# DKMS refuses to run unless root; fakeroot satisfies it (make setup).
((EUID == 0)) || dkms=(fakeroot "${dkms[@]}")
export mok_signing_key=$out/mok.key mok_certificate=$out/mok.pub

# --- the DKMS source tree ---------------------------------------------------
if ! log=$(make -s -C "$here" dkms-source DESTDIR="$out/root" 2>&1); then
	not_ok "make -C kmod dkms-source failed:"
	echo "$log" | quote
elif [[ ! -f $src/spool-$abi/dkms.conf || ! -f $src/spool-$abi/Kbuild ]]; then
	not_ok "dkms-source: no dkms.conf or Kbuild in $src/spool-$abi"
elif junk=$(cd "$src/spool-$abi" && find . -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd') &&
     [[ -n $junk ]]; then
	not_ok "dkms-source: build products in the source tree: $(echo $junk)"
else
	ok "make -C kmod dkms-source: /usr/src/spool-$abi (under DESTDIR) holds dkms.conf, Kbuild and the sources only"
fi

# --- dkms add, build ------------------------------------------------------------
built=$tree/spool/$abi/$kver/$(uname -m)/module/spool.ko
# compressed FILE: FILE, or FILE.xz (.zst, .gz) if that is there
compressed() {
	local f
	for f in "$1".{xz,zst,gz}; do
		[[ -f $f ]] && { echo "$f"; return; }
	done
	echo "$1"
}
if ! command -v dkms >/dev/null; then
	not_ok "dkms: not installed (make setup installs it)"
elif ((EUID != 0)) && ! command -v fakeroot >/dev/null; then
	not_ok "dkms: refuses to run unless root, and fakeroot is missing (make setup installs it)"
elif ! log=$("${dkms[@]}" add "spool/$abi" 2>&1); then
	not_ok "dkms add spool/$abi failed:"
	echo "$log" | quote
elif ! status=$("${dkms[@]}" status spool 2>&1) || [[ $status != "spool/$abi: added" ]]; then
	not_ok "dkms add: status is '$status', want 'spool/$abi: added' (dkms.conf's version is the ABI's)"
else
	ok "dkms add spool/$abi: dkms.conf names spool, version $abi (SPOOL_ABI_VERSION)"
	start=$SECONDS
	if ! log=$("${dkms[@]}" build "spool/$abi" -k "$kver" 2>&1); then
		not_ok "dkms build spool/$abi -k $kver failed:"
		echo "$log" | quote
		cat "$tree/spool/$abi/build/make.log" 2>/dev/null | tail -n 30 | quote
	# DKMS compresses the module as the kernel's own are: xz on 6.12, not on 6.1.
	elif built=$(compressed "$built") && [[ ! -f $built ]]; then
		not_ok "dkms build: no $built"
	elif info=$(modinfo -F version "$built"):$(modinfo -F vermagic "$built" | cut -d' ' -f1):$(modinfo -F signer "$built") &&
	     [[ $info != "$abi:$kver:DKMS module signing key" ]]; then
		not_ok "dkms build: version:vermagic:signer is '$info', want '$abi:$kver:DKMS module signing key'"
	elif [[ ! -f $mok_signing_key || ! -f $mok_certificate ]]; then
		not_ok "dkms build: DKMS made no MOK key pair at $out/mok.key, mok.pub"
	else
		ok "dkms build spool/$abi -k $kver ($((SECONDS - start)) s): version $abi, signed with the MOK key DKMS generated"
	fi
fi

# --- make install / uninstall into a DESTDIR ---------------------------------
# Signed with DKMS's key, as the README shows (a key of our own if DKMS made
# none, failed above); the module the VM's check-kmod loads (KO).
if [[ ! -f $mok_signing_key || ! -f $mok_certificate ]]; then
	openssl req -new -x509 -nodes -days 1 -subj "/CN=DKMS module signing key" \
		-newkey rsa:2048 -keyout "$mok_signing_key" -outform DER -out "$mok_certificate" 2>&1 | quote
fi
dest=$out/destdir
files=("lib/modules/$kver/updates/spool.ko" etc/udev/rules.d/60-spool.rules
	etc/modules-load.d/spool.conf)
group_before=$(getent group spool)
if ! log=$(make -s -C "$here" install KVER="$kver" KO="$module" DESTDIR="$dest" \
		SIGN_KEY="$mok_signing_key" SIGN_CERT="$mok_certificate" 2>&1); then
	not_ok "make -C kmod install DESTDIR=... failed:"
	echo "$log" | quote
else
	missing=()
	for f in "${files[@]}"; do
		[[ -f $dest/$f ]] || missing+=("$f")
	done
	ko=$dest/${files[0]}
	if ((${#missing[@]})); then
		not_ok "make install DESTDIR=...: missing ${missing[*]}"
	elif ! cmp -s "$here/install/60-spool.rules" "$dest/${files[1]}" ||
	     ! cmp -s "$here/install/spool.conf" "$dest/${files[2]}"; then
		not_ok "make install DESTDIR=...: the installed rule or modules-load.d file differs from kmod/install/"
	elif [[ $(modinfo -F signer "$ko") != "DKMS module signing key" ]]; then
		not_ok "make install SIGN_KEY=... SIGN_CERT=...: the module's signer is '$(modinfo -F signer "$ko")'"
	elif ! grep -q "^updates/spool.ko:" "$dest/lib/modules/$kver/modules.dep"; then
		not_ok "make install DESTDIR=...: depmod -b did not index updates/spool.ko"
	elif [[ $(getent group spool) != "$group_before" ]]; then
		not_ok "make install DESTDIR=...: changed this machine's group spool"
	else
		ok "make install DESTDIR=... SIGN_KEY=... SIGN_CERT=...: module (signed), udev rule, modules-load.d file; depmod -b; no group made here"
	fi
fi
if ! log=$(make -s -C "$here" uninstall KVER="$kver" DESTDIR="$dest" 2>&1); then
	not_ok "make -C kmod uninstall DESTDIR=... failed:"
	echo "$log" | quote
else
	left=()
	for f in "${files[@]}"; do
		[[ -e $dest/$f ]] && left+=("$f")
	done
	if ((${#left[@]})); then
		not_ok "make uninstall DESTDIR=...: left ${left[*]}"
	elif grep -q spool "$dest/lib/modules/$kver/modules.dep" 2>/dev/null; then
		not_ok "make uninstall DESTDIR=...: spool still in modules.dep"
	else
		ok "make uninstall DESTDIR=...: the three files gone, spool out of modules.dep"
	fi
fi

# --- refusals, each with its fix ------------------------------------------------
# refused WHAT WANT MAKE-ARGS...: make -C kmod MAKE-ARGS fails, installs
# nothing under DESTDIR, and its message matches WANT.
refused() {
	local what=$1 want=$2 log rc
	shift 2
	rm -rf "$out/refused"
	log=$(make -s -C "$here" "$@" DESTDIR="$out/refused" 2>&1)
	rc=$?
	if ((rc == 0)); then
		not_ok "$what: make $* succeeded"
	elif [[ -n $(find "$out/refused" -type f 2>/dev/null) ]]; then
		not_ok "$what: make $* failed but installed $(find "$out/refused" -type f | paste -sd' ')"
	elif ! grep -qE "$want" <<<"$log"; then
		not_ok "$what: the message does not match '$want':"
		echo "$log" | quote
	else
		ok "$what: refused: $(grep -E "$want" <<<"$log" | head -n 1)"
	fi
}
refused "a module built for another kernel" "built for kernel ${kver//[.+]/\\&}, not 6\.99\.0-1-amd64: rebuild it" \
	install-module KVER=6.99.0-1-amd64 KO="$module"
refused "a key without its certificate" "SIGN_KEY and SIGN_CERT go together" \
	install-module KVER="$kver" KO="$module" SIGN_KEY="$out/mok.key"
refused "a certificate for a key" "SIGN_KEY must be the private key" \
	install-module KVER="$kver" KO="$module" SIGN_KEY="$out/mok.pub" SIGN_CERT="$out/mok.key"

echo "$passed passed, $failed failed"
echo $((failed ? 1 : 0)) >"$out/rc"
exec >&3
echo "check-install-host: $passed passed, $failed failed (kmod/vm/check-install.sh reports them; log in $out/log.txt)"
((failed == 0))
