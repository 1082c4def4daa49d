/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backend interface: everything the core asks of SVM or VMX, listed
 * once. Each backend defines exactly one const table of these; the core
 * includes this header and never a backend's own. Members say on which
 * CPU and in which context they are called.
 */
#ifndef KHV_BACKEND_H
#define KHV_BACKEND_H

#include <linux/types.h>
#include <linux/percpu.h>

struct page;
#include "hw_support.h"

struct khv_backend_ops {
	const char *name;

	/* Boot CPU: gather CPUID/MSR facts and judge them (pure checker). */
	struct khv_hw_result (*hw_check)(void);
	/* Process context, once: allocate per-CPU areas for possible CPUs. */
	int (*hw_setup)(void);
	void (*hw_unsetup)(void);

	/* This CPU, preemption off: SVM/VMX already switched on by someone? */
	bool (*cpu_in_use)(void);
	/* This CPU, preemption off: switch SVM/VMX on, 0 or -errno. */
	int (*cpu_enable)(void);
	/* This CPU, preemption off or IPI context (reboot): off. */
	void (*cpu_disable)(void);
};

/* Services the core offers backends. */
int khv_percpu_pages_alloc(struct page * __percpu *pages);	/* zeroed, node-local */
void khv_percpu_pages_free(struct page * __percpu *pages);

extern const struct khv_backend_ops khv_svm_ops;
extern const struct khv_backend_ops khv_vmx_ops;

#endif /* KHV_BACKEND_H */
