#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# trixie-kernel.sh: Debian 13's stock kernel (the linux-image package that
# trixie's linux-image-amd64 depends on), fetched with apt from the same
# registry and unpacked, for the test machine to boot: its stock kvm_amd
# is the reference of the 6.12 lanes.
#
#   scripts/trixie-kernel.sh     fetch and unpack if missing; print
#                                KVER=, KERNEL= and MODULES_DIR= (for eval)
#
# Cached in $KHV_TRIXIE_KERNEL_CACHE (default /var/cache/khv/trixie-kernel)
# /<kver>. Uses the root scripts/trixie-root.sh makes (for apt).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KHV_TRIXIE_KERNEL_CACHE:-/var/cache/khv/trixie-kernel}

log() { echo "trixie-kernel: $*" >&2; }
die() { log "$*"; exit 1; }

eval "$("$HERE/trixie-root.sh")"
mkdir -p "$CACHE"
exec 9> "$CACHE/.lock"
flock 9

# the kernel package linux-image-amd64 depends on, per the root's apt lists
kernel_pkg() {
	chroot "$ROOT" apt-cache depends linux-image-amd64 2> /dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1
}
pkg=$(kernel_pkg)
[ -n "$pkg" ] || {
	chroot "$ROOT" apt-get update -q >&2 || die "apt-get update failed"
	pkg=$(kernel_pkg)
}
[ -n "$pkg" ] || die "trixie's linux-image-amd64 depends on no kernel package"
kver=${pkg#linux-image-}
dir=$CACHE/$kver

if [ ! -f "$dir/.complete" ]; then
	log "fetching $pkg"
	rm -rf "$dir" "$ROOT/tmp/khv-kernel" && mkdir -p "$ROOT/tmp/khv-kernel"
	chroot "$ROOT" sh -c "cd /tmp/khv-kernel && apt-get download -q -o APT::Sandbox::User=root $pkg" >&2 ||
		die "apt-get download $pkg failed"
	mkdir -p "$dir"
	dpkg-deb -x "$ROOT"/tmp/khv-kernel/*.deb "$dir" || die "dpkg-deb -x failed"
	rm -rf "$ROOT/tmp/khv-kernel"
	touch "$dir/.complete"
fi
# trixie's merged /usr: modules under usr/lib/modules
mods=$dir/usr/lib/modules/$kver
[ -d "$mods" ] || mods=$dir/lib/modules/$kver
echo "KVER=$kver"
echo "KERNEL=$dir/boot/vmlinuz-$kver"
echo "MODULES_DIR=$mods"
