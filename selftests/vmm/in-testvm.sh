#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test machine (selftests/testvm): boots the guest of
# selftests/vmm/mkguest with khv-vmm on $KHV_DEVICE and prints TAP.
# Files (put there by selftests/vmm/boot-test or make check) in $VMM_DIR
# (default /vmm): vmlinuz, initramfs.cpio, disk.img, tun.ko, and vmlinux
# (mkguest's uncompressed ELF of the same kernel) for VMM_KERNEL=vmlinux,
# which boots that instead of the bzImage (no decompressor to run).
# The host end of the guest's NIC is tap khvtap0, 169.254.100.1/24 (IPv4
# link-local); the guest is 169.254.100.2.
# VMM_CPUS (default 1) is khv-vmm's --cpus; the guest must see that many
# CPUs online. VMM_ARGS adds khv-vmm options: with --no-irqchip the
# guest's interrupts go through khv-vmm's PIC (XT-PIC), else through the
# in-kernel IOAPIC, PCI INTx level-triggered (fasteoi). khv-vmm runs with
# -v, so that its set-up line and, at the end, its virtio devices' counts
# show that the ioeventfds and irqfds carried the traffic (unless
# --no-eventfd, or --no-irqchip for the irqfds). VMM_END=reboot makes the
# guest reboot instead of powering off: khv-vmm must then exit 2.
#
# The guest's kernel lines reach the test machine's console as
# "guest[  1.234567]: ...", so that testvm, which takes any "[  1.234567] "
# for its own kernel's, leaves them alone; this script checks them for
# oopses, BUGs, warnings and stalls itself. On stock KVM
# (the reference lane) a boot that fails the way the test machine's TCG
# makes stock KVM fail (Documentation/vmm.md, "Tests") boots once more,
# and a second such failure skips the test (exit 4): an interrupt
# delivered twice (the guest dies of "ENTRY_TRAMPOLINE stack guard page
# was hit"), or a guest stuck with every vCPU in KVM_RUN.

dev=${KHV_DEVICE:-/dev/kvm}
d=${VMM_DIR:-/vmm}	# make demo on a real host points this elsewhere
kernel=$d/${VMM_KERNEL:-vmlinuz}
cmdline=${VMM_CMDLINE:-"console=ttyS0 reboot=k panic=-1 acpi=off io_delay=none pci=noearly quiet"}
end=poweroff want_rc=0
if [ "${VMM_END:-}" = reboot ]; then
	cmdline="$cmdline khv_end=reboot"
	end=reboot want_rc=2
fi
log=/tmp/guest.log
# The guest writes to its disk: each run gets a fresh copy.
disk=/tmp/vmm-disk.img
cpus=${VMM_CPUS:-1}
vmm_timeout=${VMM_TIMEOUT:-180}
n=0
fails=0

tap() {	# tap ok|fail NAME [DETAIL]
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2${3:+ # $3}"
	else
		echo "not ok $n - $2${3:+ # $3}"
		fails=$((fails + 1))
	fi
}

echo "TAP version 13"
[ -e /sys/module/tun ] || modprobe tun 2>/dev/null || insmod $d/tun.ko ||
	echo "# loading tun failed"
{ ip tuntap add dev khvtap0 mode tap 2>/dev/null || tunctl -t khvtap0 >/dev/null; } &&
	ip addr add 169.254.100.1/24 dev khvtap0 &&
	ip link set khvtap0 up
[ $? = 0 ] && tap ok "host tap khvtap0 up" || tap fail "host tap khvtap0 up"

# One line of console input once the guest's init has opened the console
# (bytes sent earlier are lost: Linux clears the UART FIFO when it opens
# ttyS0). Gives up when khv-vmm is gone or after two minutes.
feed_console() {
	i=0
	while ! grep -q "KHV-GUEST: init started" $log 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 1200 ] && return
		[ $i -gt 20 ] && ! pidof khv-vmm >/dev/null && return
		usleep 100000 2>/dev/null || sleep 0.1
	done
	echo "khv-console-check"
}

# A hung guest (still running after $vmm_timeout seconds, or its kernel
# reports a stalled CPU or a blocked task): two state dumps (SIGUSR2) two
# seconds apart, then SIGTERM.
watchdog() {
	i=0
	while [ $i -lt "$vmm_timeout" ]; do
		sleep 1
		i=$((i + 1))
		grep -qE "guest\[ *[0-9.]+\]: .*(rcu: INFO:|blocked for more than|soft lockup)" \
			$log && break
	done
	pid=$(pidof khv-vmm) || return
	echo "# khv-vmm: the guest hangs (${i}s): state dumps, then SIGTERM"
	echo "KHV-VMM-HUNG" >>$log
	kill -USR2 $pid; sleep 2; kill -USR2 $pid; sleep 2; kill -TERM $pid
}

# On khv, with khv-stat at hand: one snapshot of the booting guest, two
# seconds into khv-vmm's run, while Linux boots.
stat_snapshot() {
	i=0
	while ! pidof khv-vmm >/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return
		usleep 100000 2>/dev/null || sleep 0.1
	done
	sleep 2
	khv-stat --once -d 1 >/tmp/khv-stat.txt 2>&1
}
snap=
if [ "${KHV_MODULE:-}" = khv ] && command -v khv-stat >/dev/null; then
	rm -f /tmp/khv-stat.txt
	stat_snapshot &
	snap=$!
fi

# One boot on a fresh disk; the console and khv-vmm's messages in $log.
boot_guest() {
	cp "$d/disk.img" $disk
	: >$log
	watchdog &
	wd=$!
	t0=$(cut -d' ' -f1 /proc/uptime)
	{
		feed_console | khv-vmm -v ${VMM_ARGS:-} --cpus "$cpus" --device "$dev" \
			--kernel "$kernel" --initrd $d/initramfs.cpio --mem 256M \
			--disk $disk --net khvtap0 --cmdline "$cmdline"
		echo "KHV-VMM-EXIT $?"
	} 2>&1 | awk -v t0="$t0" '
		{
			while (match($0, /\[ *[0-9]+\.[0-9]+\] /))
				$0 = substr($0, 1, RSTART - 1) "guest" \
				     substr($0, RSTART, RLENGTH - 1) ":" \
				     substr($0, RSTART + RLENGTH - 1)
			# KHV-GUEST lines, stamped with the test machine seconds
			# since khv-vmm started (where the time goes)
			if (/KHV-GUEST: /) {
				getline up <"/proc/uptime"; close("/proc/uptime")
				split(up, a, " ")
				printf "+%.1fs %s\n", a[1] - t0, $0
			} else {
				print
			}
			print >>"'$log'"; fflush()
		}
		/KHV-GUEST: init started/ && !seen {
			getline up <"/proc/uptime"; close("/proc/uptime")
			split(up, a, " ")
			line = sprintf("KHV-BOOT-TO-MARKER %.2f", a[1] - t0)
			print "# " line; print line >>"'$log'"; seen = 1; fflush()
		}'
	t1=$(cut -d' ' -f1 /proc/uptime)
	kill $wd 2>/dev/null
}

# How the test machine's TCG makes stock KVM's guests fail, if this boot did.
tcg_failure() {
	if grep -q "ENTRY_TRAMPOLINE stack guard page was hit" $log; then
		echo "the guest took an interrupt twice (ENTRY_TRAMPOLINE stack guard page was hit)"
	elif grep -q "^KHV-VMM-HUNG" $log && grep -q "khv-vmm: state:" $log &&
	     ! grep -q "vCPU [0-9]*: in user space" $log; then
		echo "the guest stopped with every vCPU in KVM_RUN"
	else
		return 1
	fi
}

echo "# khv-vmm on $dev, $cpus vCPUs, kernel ${kernel##*/}, ${VMM_ARGS:+options $VMM_ARGS, }cmdline: $cmdline"
boot_guest
if [ "${KHV_MODULE:-}" = kvm_amd ] && why=$(tcg_failure); then
	echo "# stock KVM: $why, as the test machine's TCG makes it; booting once more"
	boot_guest
	if why=$(tcg_failure); then
		echo "# stock KVM: again $why: skipped (the reference cannot run here)"
		ip link del khvtap0 2>/dev/null || tunctl -d khvtap0 >/dev/null 2>&1
		exit 4
	fi
fi

rc=$(sed -n 's/^KHV-VMM-EXIT //p' $log)
boot=$(sed -n 's/^KHV-BOOT-TO-MARKER //p' $log)
whole=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
check() {	# check NAME PATTERN
	if grep -q "$2" $log; then tap ok "$1"; else tap fail "$1"; fi
}
check "guest reached init" "KHV-GUEST: init started"
if grep -E "guest\[ *[0-9.]+\]: .*(BUG:|WARNING:|Oops|general protection fault|Kernel panic|blocked for more than|soft lockup|rcu: INFO:|detected stall|refcount_t:|list_add corruption|list_del corruption)" $log >/tmp/guest-splat; then
	tap fail "the guest's kernel: no oops, BUG, warning or stall"
	sed 's/^/# /' /tmp/guest-splat | head -n 5
else
	tap ok "the guest's kernel: no oops, BUG, warning or stall"
fi
echo "# boot-to-marker: ${boot:-none} s, whole run: $whole s"
online=0
[ "$cpus" -gt 1 ] && online="0-$((cpus - 1))"
check "guest has $cpus CPUs online" "KHV-GUEST: cpus online: $online (nproc $cpus)"
check "console input reaches the guest (COM1 receive)" "KHV-GUEST: console input: khv-console-check"
check "virtio modules loaded" "modules loaded: .*virtio_blk.*virtio_net"
check "virtio-blk read: disk content matches" "KHV-GUEST: disk read ok"
check "virtio-blk get-id: serial" "KHV-GUEST: disk serial: khv-disk0"
check "virtio-blk write + flush" "KHV-GUEST: disk write done"
if [ "$(dd if=$disk bs=512 skip=1 count=1 2>/dev/null | head -c 12)" = KHV-WRITE-OK ]; then
	tap ok "guest write reached the disk file"
else
	tap fail "guest write reached the disk file"
fi
check "virtio-net: guest pings host tap" "KHV-GUEST: ping ok"
# What khv-vmm chose, and where the guest's interrupts went.
irqchip=in-kernel eventfd=yes
case " ${VMM_ARGS:-} " in *" --no-irqchip "*) irqchip=user-space ;; esac
case " ${VMM_ARGS:-} " in *" --no-eventfd "*) eventfd=no ;; esac
if [ $irqchip = in-kernel ]; then
	check "in-kernel irqchip and PIT" "khv-vmm: in-kernel irqchip, in-kernel PIT"
	check "virtio interrupts through the IOAPIC, level-triggered" \
		"KHV-GUEST: interrupt: 10: [0-9 ]*IO-APIC 10-fasteoi virtio"
	check "COM1 interrupts through the IOAPIC, edge-triggered" \
		"KHV-GUEST: interrupt: 4: [0-9 ]*IO-APIC 4-edge ttyS0"
else
	check "khv-vmm's PIC and PIT" "khv-vmm: user-space irqchip, user-space PIT"
	check "virtio interrupts through khv-vmm's PIC" \
		"KHV-GUEST: interrupt: 10: [0-9 ]*XT-PIC.*virtio"
	check "COM1 interrupts through khv-vmm's PIC" \
		"KHV-GUEST: interrupt: 4: [0-9 ]*XT-PIC.*ttyS0"
fi
if [ $eventfd = no ]; then
	check "virtio notified by exits" "khv-vmm: .*PIT, virtio notify exits and"
elif [ $irqchip = in-kernel ]; then
	check "virtio-blk's queue notified through its ioeventfd, interrupting through its irqfd" \
		"khv-vmm: virtio-blk: ioeventfds, irqfd, [1-9][0-9]* ioeventfd notifies, [1-9][0-9]* resamples"
else
	check "virtio-blk's queue notified through its ioeventfd" \
		"khv-vmm: virtio-blk: ioeventfds, [1-9][0-9]* ioeventfd notifies"
fi
if [ $end = reboot ]; then
	check "guest rebooted" "KHV-GUEST: rebooting"
else
	check "guest powered off" "KHV-GUEST: powering off"
fi
if [ "$rc" != $want_rc ]; then
	# Just before the failure, where make check's summary shows it: the
	# guest's last console line and the last state dump's vCPUs, a line.
	echo "# the guest's last line: $(grep -v -e '^  ' -e '^khv-vmm' -e '^KHV-' $log | tail -n 1)"
	awk '/khv-vmm: state:/ { n = 0; delete l }
	     /^  vCPU [0-9]+: / { sub(/^  /, ""); l[n++] = $0 }
	     END { s = ""; for (i = 0; i < n; i++) s = s (i ? "; " : "") l[i];
		   print "# last state dump: " (n ? s : "none") }' $log
fi
[ "$rc" = $want_rc ] && tap ok "khv-vmm exit status $want_rc" ||
	tap fail "khv-vmm exit status $want_rc" "got ${rc:-none}"
if [ -n "$snap" ]; then
	wait $snap
	sed 's/^/# khv-stat: /' /tmp/khv-stat.txt 2>/dev/null
	# the VM's line: PID-FD, command khv-vmm, exits per second > 0
	if awk '$2 == "khv-vmm" && $3 > 0 { found = 1 } END { exit !found }' /tmp/khv-stat.txt 2>/dev/null; then
		tap ok "khv-stat shows the booting guest's exits"
	else
		tap fail "khv-stat shows the booting guest's exits"
	fi
fi
echo "1..$n"
ip link del khvtap0 2>/dev/null || tunctl -d khvtap0 >/dev/null 2>&1
[ $fails = 0 ]
