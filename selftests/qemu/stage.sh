#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stage.sh [--qemu] [--rootfs] [--modules-dir DIR] KVER OUTDIR: the tree
# selftests/testvm puts into the test machine (`--add OUTDIR:/`) for the
# QEMU and libvirt tests.
#   always    /khv/qemu/vmlinuz (Debian's stock kernel KVER, the nested
#             guest's too), /khv/qemu/guest-initrd.cpio (mkguest.sh), the
#             domain XML templates and the scripts of selftests/qemu/
#   --qemu    this machine's /usr/bin/qemu-system-x86_64 with the libraries
#             ldd lists, at the same paths, and its firmware directories
#             (/usr/share/qemu, /usr/share/seabios, /usr/lib/ipxe/qemu)
#   --rootfs  /khv/rootfs-modules/: the test machine kernel's modules that
#             mounting the root filesystem image needs (virtio-blk, ext4),
#             load order in /khv/rootfs-modules/order, decompressed
#   --modules-dir DIR  where those modules are: the test machine kernel's
#             module tree, as testvm's --modules-dir (Debian 13's unpacked
#             6.12, for instance); default /lib/modules/KVER. The nested
#             guest's kernel and modules stay KVER's.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
qemu=0 rootfs=0 MODDIR=
while [ $# -gt 2 ]; do
	case $1 in
	--qemu) qemu=1 ;;
	--rootfs) rootfs=1 ;;
	--modules-dir) MODDIR=$2; shift ;;
	*) echo "stage: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ $# = 2 ] || { echo "usage: stage.sh [--qemu] [--rootfs] [--modules-dir DIR] KVER OUTDIR" >&2; exit 2; }
KVER=$1 OUT=$2
MODDIR=${MODDIR:-/lib/modules/$KVER}

rm -rf "$OUT"
mkdir -p "$OUT/khv/qemu"
cp "/boot/vmlinuz-$KVER" "$OUT/khv/qemu/vmlinuz"
"$HERE/mkguest.sh" "$KVER" "$OUT/khv/qemu/guest-initrd.cpio"
cp "$HERE"/qemu-boot-test "$HERE"/qemu-migrate-test "$HERE"/libvirt-test "$HERE"/rootfs-enter "$HERE"/*.xml.in \
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
	[ -d "$MODDIR/kernel" ] || { echo "stage: no modules in $MODDIR" >&2; exit 1; }
	# Module name -> file, from the tree itself: an unpacked kernel package
	# has no modules.dep for modinfo -k to look names up in. File names
	# may say - where module names say _.
	declare -A file=() done=()
	while IFS= read -r f; do
		m=${f##*/}
		m=${m%%.ko*}
		file[${m//-/_}]=$f
	done < <(find "$MODDIR/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')
	add() {
		local m=$1 f=${file[$1]:-} dep
		[ -z "${done[$m]:-}" ] || return 0
		done[$m]=1
		if [ -z "$f" ]; then
			# (awk reads the file itself: grep -q in a pipe can end
			# before its writer, whose SIGPIPE pipefail would report)
			awk -v m="/$m.ko" '{ gsub("-", "_") } substr($0, length($0) - length(m) + 1) == m { f = 1 }
				END { exit !f }' "$MODDIR/modules.builtin" 2>/dev/null ||
				{ echo "stage: module $m is neither in $MODDIR nor built in" >&2; exit 1; }
			return 0
		fi
		for dep in $(modinfo -F depends "$f" | tr , ' '); do add "$dep"; done
		case $f in
		*.ko) cp "$f" "$M/$m.ko" ;;
		*.ko.xz) xz -dc "$f" >"$M/$m.ko" ;;
		*.ko.zst) zstd -qdc "$f" >"$M/$m.ko" ;;
		esac
		echo "$m" >>"$M/order"
	}
	# crc32c_generic: ext4 and jbd2 ask the crypto API for crc32c, which
	# nobody can modprobe in the busybox test machine.
	for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
		virtio_blk crc32c_generic ext4; do
		add "$m"
	done
fi
