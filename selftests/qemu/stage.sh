#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stage.sh [--qemu] [--rootfs] KVER OUTDIR: the tree selftests/testvm puts
# into the test machine (`--add OUTDIR:/`) for the QEMU and libvirt tests.
#   always    /khv/qemu/vmlinuz (Debian's stock kernel KVER, the nested
#             guest's too), /khv/qemu/guest-initrd.cpio (mkguest.sh), the
#             domain XML templates and the scripts of selftests/qemu/
#   --qemu    this machine's /usr/bin/qemu-system-x86_64 with the libraries
#             ldd lists, at the same paths, and its firmware directories
#             (/usr/share/qemu, /usr/share/seabios, /usr/lib/ipxe/qemu)
#   --rootfs  /khv/rootfs-modules/: the test machine kernel's modules that
#             mounting the root filesystem image needs (virtio-blk, ext4),
#             load order in /khv/rootfs-modules/order
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
qemu=0 rootfs=0
while [ $# -gt 2 ]; do
	case $1 in
	--qemu) qemu=1 ;;
	--rootfs) rootfs=1 ;;
	*) echo "stage: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ $# = 2 ] || { echo "usage: stage.sh [--qemu] [--rootfs] KVER OUTDIR" >&2; exit 2; }
KVER=$1 OUT=$2

rm -rf "$OUT"
mkdir -p "$OUT/khv/qemu"
cp "/boot/vmlinuz-$KVER" "$OUT/khv/qemu/vmlinuz"
"$HERE/mkguest.sh" "$KVER" "$OUT/khv/qemu/guest-initrd.cpio"
cp "$HERE"/qemu-boot-test "$HERE"/libvirt-test "$HERE"/rootfs-enter "$HERE"/*.xml.in \
	"$OUT/khv/qemu/"

if [ $qemu = 1 ]; then
	bin=$(command -v qemu-system-x86_64)
	mkdir -p "$OUT/usr/bin"
	cp "$bin" "$OUT/usr/bin/"
	for lib in $(ldd "$bin" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
		mkdir -p "$OUT$(dirname "$lib")"
		cp -L "$lib" "$OUT$lib"
	done
	for d in /usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu; do
		mkdir -p "$OUT$(dirname "$d")"
		cp -a "$d" "$OUT$d"
	done
fi

if [ $rootfs = 1 ]; then
	M=$OUT/khv/rootfs-modules
	mkdir -p "$M"
	declare -A done=()
	add() {
		local m=$1 f dep
		[ -z "${done[$m]:-}" ] || return 0
		done[$m]=1
		f=$(modinfo -k "$KVER" -n "$m" 2>/dev/null) || return 0
		[ "$f" != "(builtin)" ] || return 0
		for dep in $(modinfo -k "$KVER" -F depends "$m" | tr , ' '); do add "$dep"; done
		cp "$f" "$M/$m.ko"
		echo "$m" >>"$M/order"
	}
	# crc32c_generic: ext4 and jbd2 ask the crypto API for crc32c, which
	# nobody can modprobe in the busybox test machine.
	for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
		virtio_blk crc32c_generic ext4; do
		add "$m"
	done
fi
