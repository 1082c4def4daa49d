#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkguest.sh KVER OUT.cpio: the nested guest's initramfs (uncompressed newc):
# busybox-static as /bin/busybox, selftests/qemu/guest-init as /init,
# guest-memcheck.c built static as /bin/memcheck, and
# Debian's virtio-blk modules (and the ACPI power button's) for kernel KVER
# with everything they depend on (modinfo's depends=), in load order in
# /modules/order.
set -euo pipefail

KVER=$1 OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
WANT="virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk button"

busybox=$(dpkg -L busybox-static 2>/dev/null | grep '/bin/busybox$' | head -n1)
[ -x "$busybox" ] || { echo "mkguest: busybox-static is not installed" >&2; exit 1; }

stage=$(mktemp -d "${OUT}.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,modules}
cp "$busybox" "$stage/bin/busybox"
cp "$HERE/guest-init" "$stage/init"
${CC:-cc} -static -O2 -Wall -o "$stage/bin/memcheck" "$HERE/guest-memcheck.c"
chmod 755 "$stage/init" "$stage/bin/busybox"

declare -A done=()
add() {	# add MODULE: its dependencies first, then itself
	local m=$1 f dep
	[ -z "${done[$m]:-}" ] || return 0
	done[$m]=1
	f=$(modinfo -k "$KVER" -n "$m" 2>/dev/null) || return 0	# absent: fine
	for dep in $(modinfo -k "$KVER" -F depends "$m" | tr , ' '); do
		add "$dep"
	done
	case $f in
	*.ko) cp "$f" "$stage/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$f" >"$stage/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$stage/modules/$m.ko" ;;
	*) echo "mkguest: unexpected module file $f" >&2; exit 1 ;;
	esac
	echo "$m" >>"$stage/modules/order"
}
for m in $WANT; do add "$m"; done
grep -qx virtio_blk "$stage/modules/order" ||
	{ echo "mkguest: no virtio_blk module for $KVER" >&2; exit 1; }

(cd "$stage" && find . -mindepth 1 | sed 's,^\./,,' | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
