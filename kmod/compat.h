/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel interfaces that differ between the kernels khv builds for,
 * Debian 12's 6.1 and Debian 13's 6.12: each behind one helper here, so
 * that no other file tests a version or a feature. A kernel outside that
 * range stops the build with the list of what to check.
 */
#ifndef KHV_COMPAT_H
#define KHV_COMPAT_H

#include <linux/compiler.h>
#include <linux/kvm.h>
#include <linux/smp.h>
#include <linux/version.h>
/* 6.12's smp_send_reschedule() is a macro that traces ipi_send_cpu */
#include <trace/events/ipi.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "khv builds for Linux 6.1 to 6.12; this kernel is older"
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#error "khv knows Linux 6.1 to 6.12; for a newer kernel check kmod/compat.h (kvm_run.immediate_exit) and the interfaces Documentation/kernels.md lists, then raise this bound"
#endif

/*
 * kvm_run.immediate_exit, written by user space. 6.12's <linux/kvm.h>
 * names it immediate_exit__unsafe inside the kernel (HINT_UNSAFE_IN_KVM),
 * a reminder that user space may change it at any time: read it once.
 */
#ifdef HINT_UNSAFE_IN_KVM
#define khv_run_immediate_exit(run)	READ_ONCE((run)->immediate_exit__unsafe)
#else
#define khv_run_immediate_exit(run)	READ_ONCE((run)->immediate_exit)
#endif

/* eventfd_signal() lost its count argument in 6.8 (it always added 1) */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define khv_eventfd_signal(ctx)		eventfd_signal(ctx)
#else
#define khv_eventfd_signal(ctx)		eventfd_signal(ctx, 1)
#endif

#endif /* KHV_COMPAT_H */
