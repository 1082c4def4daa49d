#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the Debian 13 root filesystem's chroot (build-rootfs.sh
# --suite trixie), after apt. Nothing needs configuring for QEMU run as
# root; this only fails the build, with the name, when a command that
# selftests/qemu/qemu-boot-test or rootfs-enter runs in the chroot is
# missing, instead of every test failing later in the test machine.
set -eu

missing=
for c in sh env awk sed grep cut head tail tr wc dd sha256sum mktemp ls rm sleep \
	cat dmesg taskset qemu-system-x86_64; do
	command -v "$c" >/dev/null || missing="$missing $c"
done
[ -z "$missing" ] || { echo "rootfs-setup-trixie: missing:$missing" >&2; exit 1; }
for d in /usr/share/seabios /usr/share/qemu; do
	[ -d "$d" ] || { echo "rootfs-setup-trixie: no $d (QEMU's firmware)" >&2; exit 1; }
done
qemu-system-x86_64 --version | head -n 1
echo khv-rootfs-trixie >/etc/hostname
