#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: load khv and show it answering KVM's ABI. Natively when this
# host can load modules and has SVM/VMX; otherwise inside the test machine.
# (Booting a Linux guest arrives with khv-vmm.)
# Usage: KVER=… KDIR=… TEST_KO=… scripts/demo.sh SELFTEST_BINARIES…
set -euo pipefail
cd "$(dirname "$0")/.."

native_ok() {
	[ "$(id -u)" = 0 ] && [ -r /proc/modules ] &&
		! grep -qw nomodule /proc/cmdline &&
		grep -qwE 'svm|vmx' /proc/cpuinfo &&
		[ -f "$KDIR/Makefile" ]
}

if native_ok; then
	make --no-print-directory module
	insmod khv.ko
	trap 'rmmod khv' EXIT
	PATH="$PWD/build/selftests:$PATH" scripts/demo-show.sh
	exit 0
fi

echo "demo: this host cannot load modules or lacks SVM/VMX; running in the test machine"
bins=()
for b in "$@"; do bins+=(--bin "$b"); done
exec selftests/testvm --kver "$KVER" --khv-ko "$TEST_KO" "${bins[@]}" \
	--bin scripts/demo-show.sh --modules khv -- demo-show.sh
