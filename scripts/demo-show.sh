#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What make demo shows, with khv loaded: its dmesg lines, the device, and
# the system-ioctl selftest and a long-mode C guest against /dev/khv.
echo "== dmesg"
dmesg | grep 'khv:' | tail -n 3
echo "== device"
ls -l /dev/khv
echo "== system_ioctls on /dev/khv"
system_ioctls --device /dev/khv
echo "== a long-mode guest written in C, running on khv"
guest_long_mode --device /dev/khv
