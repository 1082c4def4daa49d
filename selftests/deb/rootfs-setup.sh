#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the chroot of the package test's root filesystem
# (selftests/rootfs/build-rootfs.sh --name deb, from selftests/deb/run-deb-test),
# after apt. The image boots as an ordinary Debian 12 system (systemd as
# PID 1); what makes it a test machine is one unit, khv-testvm.service:
# when the machine has a virtio disk whose serial is "khv-testvm"
# (selftests/deb/testvm-boot puts testvm's archive on it: plan, scripts,
# files), the unit unpacks it to /var/lib/khv-testvm/run and runs its
# khv/testvm-systemd-init, which runs the plan like the busybox
# test machine's init. Without that disk the unit does nothing.
set -eu

echo khv-deb >/etc/hostname
echo 'LABEL=khv-rootfs / ext4 errors=remount-ro 0 1' >/etc/fstab

cat >/usr/local/sbin/khv-testvm-hook <<'EOF'
#!/bin/sh
# khv-testvm.service (selftests/deb/rootfs-setup.sh): run testvm's plan
# from the disk with serial khv-testvm, if there is one. Unpacked on the
# root file system: the initramfs mounts /run noexec.
set -eu
DIR=/var/lib/khv-testvm/run
for d in /sys/block/vd*; do
	[ "$(cat "$d/serial" 2>/dev/null)" = khv-testvm ] || continue
	rm -rf "$DIR"
	mkdir -p "$DIR"
	cd "$DIR"
	cpio -idm --quiet <"/dev/${d##*/}"
	exec /bin/bash "$DIR/khv/testvm-systemd-init"
done
EOF
chmod 755 /usr/local/sbin/khv-testvm-hook

# Started once basic.target is up (systemd-modules-load and udev's
# coldplug have run by then); Type=simple, so that booting does not wait
# for the tests.
cat >/etc/systemd/system/khv-testvm.service <<'EOF'
[Unit]
Description=khv test machine: the plan testvm handed this boot

[Service]
Type=simple
ExecStart=/usr/local/sbin/khv-testvm-hook
StandardInput=null
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/console

[Install]
WantedBy=multi-user.target
EOF
systemctl enable khv-testvm.service

# The console is the tests' (the markers testvm reads): no login prompt on
# it. No timers that run apt or scrub file systems in the middle of a test.
systemctl mask serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
	e2scrub_all.timer fstrim.timer dpkg-db-backup.timer
