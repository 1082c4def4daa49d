/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * khv's additions to the KVM ABI. khv speaks <linux/kvm.h> unchanged (same
 * ioctl numbers and structures); this header holds only what khv adds
 * beside it.
 */
#ifndef _UAPI_LINUX_KHV_H
#define _UAPI_LINUX_KHV_H

#include <linux/ioctl.h>
#include <linux/types.h>

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

/*
 * debugfs: <debugfs>/khv/vm/<pid>-<fd>/ for every VM (its creator's
 * process id and the VM's fd number there), holding "stats", the VM's
 * statistics, and vcpu<N>/stats for each vCPU: the same bytes as the fd
 * KVM_GET_STATS_FD returns (KVM's binary statistics format). Root only.
 */
#define KHV_DEBUGFS_VM_DIR	"vm"
#define KHV_DEBUGFS_STATS	"stats"
#define KHV_DEBUGFS_VCPU	"vcpu"

/*
 * Benchmark only (make bench): not part of the KVM ABI, not for VMMs, and
 * free to change. Its own ioctl type, apart from KVMIO (0xAE); only khv's
 * vCPU fds answer it (stock KVM says EINVAL).
 *
 * KHV_BENCH_VMRUN makes @iterations guest entries and exits back to back
 * inside the kernel, never returning to user space, on a guest that sits
 * at a CPUID instruction: khv intercepts CPUID and does not move RIP past
 * it here, so the guest runs that one instruction again at every entry.
 * That is the floor under every exit khv handles: the world switch alone.
 * Set RIP to a CPUID (KVM_SET_REGS) before calling it; nothing may be
 * pending for injection. @ns counts only the tight loops (the first entry
 * of each batch, an ordinary one, is left out).
 *
 * Only a caller with CAP_SYS_ADMIN may use it (-EPERM otherwise). The
 * guest's FPU state is loaded as for KVM_RUN.
 *
 * Returns 0; -EINTR with the counts so far on a pending signal; -EINVAL
 * if the guest exits for anything but CPUID (RIP not at a CPUID, an event
 * to deliver); -EBUSY if an interrupt or NMI is queued; -ENOTTY where the
 * backend has no such loop.
 */
struct khv_bench_vmrun {
	__u64 iterations;	/* in: round trips to make */
	__u64 done;		/* out: round trips made in the tight loops */
	__u64 ns;		/* out: time those took */
	__u64 breaks;		/* out: loops cut short for the host (interrupts) */
};

#define KHVIO			0xCB
#define KHV_BENCH_VMRUN		_IOWR(KHVIO, 0x00, struct khv_bench_vmrun)

#endif /* _UAPI_LINUX_KHV_H */
