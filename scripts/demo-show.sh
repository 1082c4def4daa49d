#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What make demo shows, with khv loaded: its dmesg line, the device, then
# khv-vmm booting Debian's stock kernel on /dev/khv with the boot test's
# guest (selftests/vmm): its console, then the checks as TAP.
echo "== khv"
dmesg | grep 'khv:' | tail -n 1
ls -l /dev/khv
echo "== khv-vmm boots Debian's kernel on /dev/khv with 2 vCPUs; the guest's console follows"
KHV_DEVICE=/dev/khv VMM_CPUS=${VMM_CPUS:-2} \
VMM_CMDLINE="console=ttyS0 reboot=k panic=-1 acpi=off io_delay=none pci=noearly" \
	exec sh "${VMM_SCRIPT:-/vmm/in-testvm.sh}"
