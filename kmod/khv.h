/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khv core: objects behind the KVM ioctl ABI.
 *
 * Object lifetimes: /dev/khv fd -> (KVM_CREATE_VM) VM fd -> (KVM_CREATE_VCPU)
 * vCPU fd. Every VM and vCPU fd holds one reference on its khv_vm; vCPUs live
 * as long as their VM and are freed with it. Every fd also pins the module
 * (fops->owner), so rmmod waits for the last close.
 *
 * Lock order: khv_vm.lock -> khv_vcpu.lock.
 */
#ifndef KHV_H
#define KHV_H

#include <linux/kvm.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <linux/atomic.h>

#include "backend.h"

/* vCPU mmap: page 0 is struct kvm_run, page KVM_PIO_PAGE_OFFSET the PIO data. */
#define KHV_VCPU_MMAP_PAGES	2

struct khv_vm {
	struct kref ref;		/* VM fd + one per vCPU fd */
	struct mm_struct *mm;		/* creator's (mmgrab); const */
	struct mutex lock;		/* vCPU creation */
	struct xarray vcpus;		/* vcpu_id -> khv_vcpu; insert under lock */
	u32 nr_vcpus;			/* under lock */
};

struct khv_vcpu {
	struct khv_vm *vm;		/* const */
	u32 id;				/* KVM_CREATE_VCPU argument; const */
	struct mutex lock;		/* serializes this vCPU's ioctls */
	struct kvm_run *run;		/* shared with user space: read once */
	void *pio_data;			/* shared with user space */
};

/* Live objects, for debugfs khv/ and the selftests that check teardown. */
struct khv_stats {
	atomic_t vms;
	atomic_t vcpus;
};

extern const struct khv_backend_ops *khv_ops;
extern struct khv_stats khv_stats;
extern const struct file_operations khv_dev_fops;

long khv_check_extension(unsigned long cap);
long khv_vm_create_fd(unsigned long type);
void khv_vm_put(struct khv_vm *vm);
long khv_vcpu_create_fd(struct khv_vm *vm, unsigned long id);
void khv_vcpu_free(struct khv_vcpu *vcpu);

#endif /* KHV_H */
