#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install, with apt, whatever khv's build and test machine need and this
# machine lacks. Prints nothing when nothing is missing.
#   scripts/deps.sh            the build and the test machine's packages
#   scripts/deps.sh PKG...     just these packages (make deb: dpkg-dev lintian)
set -eu

# The stock kernel the test machine boots: what linux-image-amd64 depends on.
stock_kver() {
	dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
		sed -n 's/^linux-image-\([^ ,]*\).*/\1/p'
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

missing() {
	for p in "$@"; do
		installed "$p" || printf '%s ' "$p"
	done
}

apt_install() {
	echo "deps: installing $*"
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e lock -e partial)" ] ||
		apt-get update -qq
	apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
}

sudo_needed() {
	[ "$(id -u)" = 0 ] || { echo "deps: missing $*; run 'make deps' as root" >&2; exit 1; }
}

# ensure PKG...: install those of them that are missing.
ensure() {
	need=$(missing "$@")
	[ -z "$need" ] || { sudo_needed $need; apt_install $need; }
}

if [ $# -gt 0 ]; then
	ensure "$@"
	exit 0
fi

# bochs ... xorriso: the Intel test machine (selftests/testvm --machine bochs)
PKGS="build-essential libc6-dev linux-image-amd64 linux-headers-amd64
qemu-system-x86 busybox-static cpio sparse python3 kmod
bochs bochsbios vgabios isolinux syslinux-common xorriso"
ensure $PKGS
# The headers must match the stock kernel exactly, whatever the meta
# packages resolved to.
kver=$(stock_kver)
[ -n "$kver" ] || { echo "deps: cannot tell the stock kernel version" >&2; exit 1; }
ensure "linux-image-$kver" "linux-headers-$kver"
