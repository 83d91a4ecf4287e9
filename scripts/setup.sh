#!/usr/bin/env bash
# Installs from Debian's packages whatever the build and the test VM need.
# Idempotent: a quick no-op when everything is present.
set -euo pipefail

packages=(
	gcc make binutils xz-utils gcc-multilib	# gcc-multilib: the ABI layout check
	linux-image-amd64 linux-headers-amd64	# the kernels the VM boots: 6.1, the default,
	linux-image-6.12-amd64 linux-headers-6.12-amd64	# and the newest 6.12 (bookworm-security)
	qemu-system-x86 busybox-static cpio kmod zstd	# the VM (zstd: 6.12's image and modules)
	dkms udev passwd openssl fakeroot	# check-kmod's install test: dkms, udevd, groupadd, MOK keys; fakeroot runs dkms as non-root
	wrk linux-perf gnuplot-nox		# benchmarks
	maven openjdk-17-jdk-headless		# the provider
	python3-minimal				# the inherited-channel tests start the JVM with a socket on fd 0
	iproute2				# the multicast tests set up "lo" in a network namespace (unshare: util-linux)
	apparmor				# check-kmod: apparmor_parser loads the selftests' deny-accept profile
	linux-source-6.12 linux-source-6.1 bc bison flex libelf-dev libssl-dev	# make sanitizer-kernel builds a kernel (6.12; SANITIZE_SOURCE_PKG picks 6.1)
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[[ $status == installed ]] || missing+=("$p")
done

if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	sudo=
	((EUID == 0)) || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
fi

# The VM needs each kernel with a readable image, modules and headers. kver
# explains what is missing.
for k in 6.1 6.12; do
	"$(dirname "$0")/../scripts/vm/kver" "$k" >/dev/null
done
