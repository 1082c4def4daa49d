#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the root filesystem's chroot (build-rootfs.sh), after apt.
# Does what libvirt-daemon-system's maintainer scripts would (it is not
# installed: it drags systemd units, polkit and iptables in), nothing more.
set -eu

# Debian's libvirt runs QEMU as libvirt-qemu:libvirt-qemu (its build
# options qemu_user/qemu_group); /dev/kvm belongs to group kvm, which
# libvirt-qemu is a member of, as libvirt-daemon-system's postinst makes it.
getent group kvm >/dev/null || groupadd --system kvm
getent group libvirt >/dev/null || groupadd --system libvirt
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
	useradd --system --gid libvirt-qemu --groups kvm --home-dir /var/lib/libvirt \
		--no-create-home --shell /usr/sbin/nologin --comment "Libvirt Qemu" libvirt-qemu
getent group libvirt-dnsmasq >/dev/null || groupadd --system libvirt-dnsmasq

# The directories libvirt-daemon-system would ship.
mkdir -p /var/lib/libvirt/images /var/lib/libvirt/qemu /var/cache/libvirt/qemu \
	/var/log/libvirt/qemu /etc/libvirt/qemu
chown libvirt-qemu:libvirt-qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu
echo khv-rootfs >/etc/hostname

# libvirtd runs chrooted into this tree by the test machine's busybox init:
# QEMU's private mount namespace (libvirt's default: its own /dev with only
# the domain's devices) cannot be built from inside a chroot. A real host
# needs nothing of the kind (Documentation/qemu-libvirt.md).
cat >/etc/libvirt/qemu.conf <<'CONF'
# selftests/rootfs/rootfs-setup.sh: all defaults but one.
namespaces = [ ]
CONF
