// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: creation, the vCPU fd (ioctls and the kvm_run mmap), and freeing
 * with their VM.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/khv.h>
#include <asm/fpu/types.h>

#include "khv.h"
#include "caps.h"

void khv_vcpu_free(struct khv_vcpu *vcpu)
{
	khv_vlapic_free(vcpu);
	put_pid(rcu_dereference_protected(vcpu->pid, true));
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
	kvfree(vcpu->cpuid);
	kfree(vcpu->msrs);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	khv_ops->vcpu_free(vcpu);
	atomic_dec(&khv_stats.vcpus);
}

static struct page *khv_vcpu_mmap_page(struct khv_vcpu *vcpu, pgoff_t pgoff)
{
	if (pgoff == 0)
		return virt_to_page(vcpu->run);
	if (pgoff == KVM_PIO_PAGE_OFFSET)
		return virt_to_page(vcpu->pio_data);
	if (pgoff == KVM_COALESCED_MMIO_PAGE_OFFSET)
		return khv_coalesced_ring_page(vcpu->vm);
	return NULL;
}

static vm_fault_t khv_vcpu_fault(struct vm_fault *vmf)
{
	struct khv_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page = khv_vcpu_mmap_page(vcpu, vmf->pgoff);

	if (!page)
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct khv_vcpu_vm_ops = {
	.fault = khv_vcpu_fault,
};

static int khv_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	vma->vm_ops = &khv_vcpu_vm_ops;
	return 0;
}

static int khv_vcpu_release(struct inode *inode, struct file *filp)
{
	struct khv_vcpu *vcpu = filp->private_data;

	khv_vm_put(vcpu->vm);
	return 0;
}

static long khv_vcpu_run_ioctl(struct khv_vcpu *vcpu, unsigned long arg)
{
	return arg ? -EINVAL : khv_vcpu_run(vcpu);
}

/* KVM_SET_SIGNAL_MASK: the signals blocked while KVM_RUN runs the guest. */
static long khv_vcpu_set_signal_mask(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_signal_mask __user *um = (void __user *)arg;
	struct kvm_signal_mask km;
	sigset_t set;

	if (!arg) {
		vcpu->sigmask_set = false;
		return 0;
	}
	if (copy_from_user(&km, um, sizeof(km)))
		return -EFAULT;
	if (km.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, um->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigmask = set;
	vcpu->sigmask_set = true;
	return 0;
}

static long khv_vcpu_has_attr(struct khv_vcpu *vcpu, unsigned long arg)
{
	return khv_vcpu_device_attr(vcpu, KVM_HAS_DEVICE_ATTR, arg);
}

static long khv_vcpu_get_attr(struct khv_vcpu *vcpu, unsigned long arg)
{
	return khv_vcpu_device_attr(vcpu, KVM_GET_DEVICE_ATTR, arg);
}

static long khv_vcpu_set_attr(struct khv_vcpu *vcpu, unsigned long arg)
{
	return khv_vcpu_device_attr(vcpu, KVM_SET_DEVICE_ATTR, arg);
}

/* KVM_ENABLE_CAP on a vCPU: KVM_CAP_ENFORCE_PV_FEATURE_CPUID only. */
static long khv_vcpu_enable_cap(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_enable_cap cap;
	int r = khv_read_enable_cap(arg, &cap);

	if (!r && cap.cap != KVM_CAP_ENFORCE_PV_FEATURE_CPUID)
		r = -EINVAL;
	if (!r)
		vcpu->pv_enforce = cap.args[0];	/* non-zero: on, as KVM */
	return r;
}

/*
 * vCPU ioctls, all under vcpu->lock. RUN may sleep in the guest for as
 * long as the guest runs; a pending signal ends it.
 */
static const struct {
	unsigned int cmd;
	long (*fn)(struct khv_vcpu *vcpu, unsigned long arg);
} khv_vcpu_ioctls[] = {
	{ KVM_RUN,		khv_vcpu_run_ioctl },
	{ KVM_GET_REGS,		khv_vcpu_get_regs },
	{ KVM_SET_REGS,		khv_vcpu_set_regs },
	{ KVM_GET_SREGS,	khv_vcpu_get_sregs },
	{ KVM_SET_SREGS,	khv_vcpu_set_sregs },
	{ KVM_GET_FPU,		khv_vcpu_get_fpu },
	{ KVM_SET_FPU,		khv_vcpu_set_fpu },
	{ KVM_GET_XSAVE,	khv_vcpu_get_xsave },
	{ KVM_GET_XSAVE2,	khv_vcpu_get_xsave2 },
	{ KVM_SET_XSAVE,	khv_vcpu_set_xsave },
	{ KVM_GET_XCRS,		khv_vcpu_get_xcrs },
	{ KVM_SET_XCRS,		khv_vcpu_set_xcrs },
	{ KVM_GET_DEBUGREGS,	khv_vcpu_get_debugregs },
	{ KVM_SET_DEBUGREGS,	khv_vcpu_set_debugregs },
	{ KVM_SET_GUEST_DEBUG,	khv_vcpu_set_guest_debug },
	{ KVM_GET_TSC_KHZ,	khv_vcpu_get_tsc_khz },
	{ KVM_SET_TSC_KHZ,	khv_vcpu_set_tsc_khz },
	{ KVM_HAS_DEVICE_ATTR,	khv_vcpu_has_attr },
	{ KVM_GET_DEVICE_ATTR,	khv_vcpu_get_attr },
	{ KVM_SET_DEVICE_ATTR,	khv_vcpu_set_attr },
	{ KVM_X86_SETUP_MCE,	khv_vcpu_setup_mce },
	{ KVM_X86_SET_MCE,	khv_vcpu_set_mce },
	{ KVM_GET_MSRS,		khv_vcpu_get_msrs },
	{ KVM_SET_MSRS,		khv_vcpu_set_msrs },
	{ KVM_SET_CPUID2,	khv_vcpu_set_cpuid2 },
	{ KVM_GET_CPUID2,	khv_vcpu_get_cpuid2 },
	{ KVM_INTERRUPT,	khv_vcpu_interrupt },
	{ KVM_NMI,		khv_vcpu_nmi },
	{ KVM_GET_VCPU_EVENTS,	khv_vcpu_get_events },
	{ KVM_SET_VCPU_EVENTS,	khv_vcpu_set_events },
	{ KVM_GET_MP_STATE,	khv_vcpu_get_mp_state },
	{ KVM_SET_MP_STATE,	khv_vcpu_set_mp_state },
	{ KVM_SET_SIGNAL_MASK,	khv_vcpu_set_signal_mask },
	{ KVM_GET_LAPIC,	khv_vcpu_get_lapic },
	{ KVM_SET_VAPIC_ADDR,	khv_vcpu_set_vapic_addr },
	{ KVM_SET_LAPIC,	khv_vcpu_set_lapic },
	{ KVM_ENABLE_CAP,	khv_vcpu_enable_cap },
	{ KHV_BENCH_VMRUN,	khv_bench_vmrun },	/* benchmark only */
};

static long khv_vcpu_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct khv_vcpu *vcpu = filp->private_data;
	long r = -EINVAL;	/* KVM's answer for an unknown vCPU ioctl */
	size_t i;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	/* reads counters only: not behind a KVM_RUN that holds the lock */
	if (cmd == KVM_GET_STATS_FD)
		return khv_vcpu_stats_fd(vcpu, arg);
	for (i = 0; i < ARRAY_SIZE(khv_vcpu_ioctls); i++)
		if (khv_vcpu_ioctls[i].cmd == cmd)
			break;
	if (i == ARRAY_SIZE(khv_vcpu_ioctls))
		return r;
	if (mutex_lock_killable(&vcpu->lock))
		return -EINTR;
	r = khv_vcpu_ioctls[i].fn(vcpu, arg);
	mutex_unlock(&vcpu->lock);
	return r;
}

static const struct file_operations khv_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= khv_vcpu_release,
	.unlocked_ioctl	= khv_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= khv_vcpu_mmap,
	.llseek		= noop_llseek,
};

/* The core's part of a new vCPU; the backend allocated and zeroed it. */
static int khv_vcpu_setup(struct khv_vcpu *vcpu, struct khv_vm *vm, u32 id)
{
	int r;

	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->irq_offer = -1;
	vcpu->cpu = -1;
	vcpu->kvmclock_cpu = -1;
	vcpu->guest_time_mult = khv_guest_time_mult();
	mutex_init(&vcpu->lock);
	init_waitqueue_head(&vcpu->wq);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run || !vcpu->pio_data)
		return -ENOMEM;
	if (!fpu_alloc_guest_fpstate(&vcpu->guest_fpu))
		return -ENOMEM;
	if (khv_msrs_alloc(vcpu))
		return -ENOMEM;
	khv_vcpu_reset_regs(vcpu);
	/* the irqchip mode is fixed once a vCPU exists (vm->lock held) */
	if (vm->irqchip_mode != KHV_IRQCHIP_NONE && khv_vlapic_create(vcpu))
		return -ENOMEM;
	r = khv_ops->vcpu_init(vcpu);
	if (r)
		return r;
	vcpu->xcr0 = XFEATURE_MASK_FP;	/* power-on; INIT keeps XCR0 */
	khv_cpuid_update_runtime(vcpu);
	/* as KVM: a new vCPU's TSC is 0, or its VM's if vCPUs came before */
	khv_tsc_host_write(vcpu, 0);
	return 0;
}

static struct khv_vcpu *khv_vcpu_alloc(struct khv_vm *vm, u32 id)
{
	struct khv_vcpu *vcpu = khv_ops->vcpu_alloc();

	if (!vcpu)
		return NULL;
	atomic_inc(&khv_stats.vcpus);
	if (khv_vcpu_setup(vcpu, vm, id)) {
		khv_vcpu_free(vcpu);
		return NULL;
	}
	return vcpu;
}

/*
 * The vCPU's file, holding a VM reference for it, on a reserved fd: the
 * last steps of creation that can fail, done before anyone can see it.
 */
static struct file *khv_vcpu_file(struct khv_vcpu *vcpu, int *fd)
{
	struct file *file;
	char name[24];

	snprintf(name, sizeof(name), "khv-vcpu:%u", vcpu->id);
	kref_get(&vcpu->vm->ref);
	file = khv_anon_file(name, &khv_vcpu_fops, vcpu, O_RDWR, fd);
	if (IS_ERR(file))
		khv_vm_put(vcpu->vm);	/* never the last: the VM fd holds one */
	return file;
}

/*
 * KVM_CREATE_VCPU: the same limits and errors as KVM. Takes vm->lock.
 * The vCPU is published (vm->vcpus, where TLB-flush walks find it, then
 * its fd) only once nothing can fail any more: its xarray slot is
 * reserved first, so storing into it cannot fail, and no error path ever
 * frees a vCPU another thread may have seen.
 */
long khv_vcpu_create_fd(struct khv_vm *vm, unsigned long id)
{
	struct khv_vcpu *vcpu;
	struct file *file;
	int fd;
	long r;

	if (id >= KHV_MAX_VCPU_IDS)
		return -EINVAL;
	if (!khv_ops->vcpu_alloc)
		return -EOPNOTSUPP;	/* this backend cannot run guests yet */
	mutex_lock(&vm->lock);
	r = -EINVAL;
	if (vm->nr_vcpus >= KHV_MAX_VCPUS ||
	    (vm->max_vcpu_ids && id >= vm->max_vcpu_ids))
		goto out_unlock;
	r = -EEXIST;
	if (xa_load(&vm->vcpus, id))
		goto out_unlock;
	r = xa_reserve(&vm->vcpus, id, GFP_KERNEL_ACCOUNT);
	if (r)
		goto out_unlock;
	r = -ENOMEM;
	vcpu = khv_vcpu_alloc(vm, id);
	if (!vcpu)
		goto out_release_id;
	file = khv_vcpu_file(vcpu, &fd);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto out_free_vcpu;
	}
	/* the MSR filter set before it (KVM_X86_SET_MSR_FILTER holds vm->lock) */
	set_bit(KHV_REQ_MSR_FILTER, &vcpu->requests);
	/* cannot fail: the slot is reserved */
	WARN_ON_ONCE(xa_err(xa_store(&vm->vcpus, id, vcpu, GFP_KERNEL_ACCOUNT)));
	vm->nr_vcpus++;
	khv_debugfs_vcpu_add(vcpu);	/* optional: failure leaves it out */
	fd_install(fd, file);
	mutex_unlock(&vm->lock);
	return fd;

out_free_vcpu:
	khv_vcpu_free(vcpu);
out_release_id:
	xa_release(&vm->vcpus, id);
out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}
