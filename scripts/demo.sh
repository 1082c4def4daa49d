#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: load khv and boot Debian's stock kernel with khv-vmm on it,
# showing the guest's console: natively when this host can load modules
# and has SVM (khv's VMX backend cannot run guests yet), otherwise inside
# the test machine (selftests/testvm).
# Usage: KVER=… KDIR=… TEST_KO=… VMM_BIN=… VMM_GUEST=… VMM_ADD=… scripts/demo.sh
# (VMM_ADD: the testvm options that put khv-vmm and its guest in the
# test machine, as make check uses them)
set -euo pipefail
cd "$(dirname "$0")/.."

native_ok() {
	[ "$(id -u)" = 0 ] && [ -r /proc/modules ] &&
		! grep -qw nomodule /proc/cmdline &&
		grep -qw svm /proc/cpuinfo &&
		[ -f "$KDIR/Makefile" ] && [ -f "/boot/vmlinuz-$KVER" ]
}

if native_ok; then
	make --no-print-directory module
	dir=$(mktemp -d)
	trap 'rmmod khv 2>/dev/null; rm -rf "$dir"' EXIT
	insmod khv.ko
	ln -s "/boot/vmlinuz-$KVER" "$dir/vmlinuz"
	cp "$VMM_GUEST/initramfs.cpio" "$VMM_GUEST/disk.img" "$VMM_GUEST/tun.ko" "$dir/"
	PATH="$PWD/$(dirname "$VMM_BIN"):$PATH" VMM_DIR=$dir \
		VMM_SCRIPT=$PWD/selftests/vmm/in-testvm.sh \
		scripts/demo-show.sh
	exit 0
fi

echo "demo: this host cannot load modules or lacks AMD-V; running in the test machine"
# shellcheck disable=SC2086 # VMM_ADD: testvm options, one word each
exec selftests/testvm --kver "$KVER" --khv-ko "$TEST_KO" --modules khv \
	--test-timeout 600 $VMM_ADD \
	--bin scripts/demo-show.sh -- demo-show.sh
