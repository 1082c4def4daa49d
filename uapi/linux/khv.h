/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * khv's additions to the KVM ABI. khv speaks <linux/kvm.h> unchanged (same
 * ioctl numbers and structures); this header holds only what khv adds
 * beside it.
 */
#ifndef _UAPI_LINUX_KHV_H
#define _UAPI_LINUX_KHV_H

/* The system device: /dev/khv (and /dev/kvm with kvm_compat=1). */
#define KHV_DEVICE_NAME		"khv"

/*
 * debugfs: <debugfs>/khv/ holds counters of live objects, each a decimal
 * number. They return to 0 when every VM has been closed.
 */
#define KHV_DEBUGFS_DIR		"khv"
#define KHV_DEBUGFS_VMS		"vms"		/* live VMs */
#define KHV_DEBUGFS_VCPUS	"vcpus"		/* live vCPUs */
#define KHV_DEBUGFS_PAGES	"pages"		/* guest pages khv holds pinned */

#endif /* _UAPI_LINUX_KHV_H */
