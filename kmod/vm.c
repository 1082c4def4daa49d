// SPDX-License-Identifier: GPL-2.0
/*
 * VMs: creation, the VM fd's ioctls, and teardown when the last reference
 * (VM fd or vCPU fd) goes away.
 */
#include <linux/module.h>
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/math64.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "khv.h"
#include "caps.h"

static void khv_vm_destroy(struct kref *ref)
{
	struct khv_vm *vm = container_of(ref, struct khv_vm, ref);
	struct khv_vcpu *vcpu;
	unsigned long id;

	khv_debugfs_vm_remove(vm);	/* waits for debugfs readers */
	khv_eventfd_vm_destroy(vm);	/* irqfds inject into vCPUs: first */
	/*
	 * The PIT's ticks and the IOAPIC's storm-guard timer reach vCPUs:
	 * stopped (and the irqchip gone) before the vCPUs go. Nothing else
	 * uses the irqchip now: no vCPU runs, no irqfd is left.
	 */
	khv_irqchip_destroy(vm);
	xa_for_each(&vm->vcpus, id, vcpu)
		khv_vcpu_free(vcpu);
	xa_destroy(&vm->vcpus);
	khv_mmu_destroy(vm);
	khv_coalesced_vm_destroy(vm);
	khv_vm_free_msr_filter(vm);
	mmdrop(vm->mm);
	kfree(vm);
	atomic_dec(&khv_stats.vms);
}

void khv_vm_put(struct khv_vm *vm)
{
	kref_put(&vm->ref, khv_vm_destroy);
}

static int khv_vm_release(struct inode *inode, struct file *filp)
{
	khv_vm_put(filp->private_data);
	return 0;
}

/*
 * Every vCPU leaves the guest and flushes its TLB before entering again.
 * Called with mmu_lock held.
 */
void khv_vm_flush_tlbs(struct khv_vm *vm)
{
	struct khv_vcpu *vcpu;
	unsigned long id;

	vm->stat.remote_tlb_flush++;
	xa_for_each(&vm->vcpus, id, vcpu) {
		set_bit(KHV_REQ_TLB_FLUSH, &vcpu->requests);
		khv_vcpu_kick(vcpu);
	}
}

static long khv_vm_create_vcpu(struct khv_vm *vm, unsigned long id)
{
	return khv_vcpu_create_fd(vm, id);
}

/*
 * KVM's vm86 helpers for VMX without unrestricted guest: khv needs
 * neither (SVM runs real mode; VMX requires unrestricted guest), so the
 * addresses are recorded and accepted, as QEMU requires.
 */
static long khv_vm_set_tss_addr(struct khv_vm *vm, unsigned long addr)
{
	if (addr > 0xffffffffUL - 3 * PAGE_SIZE)
		return -EINVAL;
	vm->tss_addr = addr;
	return 0;
}

/*
 * KVM_SET/GET_NR_MMU_PAGES: KVM's bound on its shadow-page cache. khv
 * builds nested page tables only (each bounded by the memslots), so the
 * number is recorded, checked as KVM checks it (at least 64) and given
 * back; until set, GET answers KVM's default, 2% of the memslots' pages
 * and at least 64.
 */
#define KHV_MIN_MMU_PAGES	64

static long khv_vm_set_nr_mmu_pages(struct khv_vm *vm, unsigned long nr)
{
	if (nr < KHV_MIN_MMU_PAGES)
		return -EINVAL;
	vm->nr_mmu_pages = nr;
	return 0;
}

static long khv_vm_get_nr_mmu_pages(struct khv_vm *vm, unsigned long arg)
{
	u64 pages = 0;
	u32 i;

	if (vm->nr_mmu_pages)
		return vm->nr_mmu_pages;
	mutex_lock(&vm->mmu_lock);
	for (i = 0; i < vm->slots.nr; i++)
		pages += vm->slots.slot[i].npages;
	mutex_unlock(&vm->mmu_lock);
	return max_t(u64, div_u64(pages * 20, 1000), KHV_MIN_MMU_PAGES);
}

static long khv_vm_set_identity_map_addr(struct khv_vm *vm, unsigned long arg)
{
	u64 addr;

	if (copy_from_user(&addr, (void __user *)arg, sizeof(addr)))
		return -EFAULT;
	vm->identity_map_addr = addr;
	return 0;
}

static long khv_vm_irq_line_nostatus(struct khv_vm *vm, unsigned long arg)
{
	return khv_vm_irq_line(vm, arg, false);
}

static long khv_vm_irq_line_status(struct khv_vm *vm, unsigned long arg)
{
	return khv_vm_irq_line(vm, arg, true);
}

/*
 * KVM_CAP_MAX_VCPU_ID: vCPU ids below @max only, set once (setting the
 * value it has is no change), as KVM; 0 leaves the default. Refused too
 * when it would leave out the boot vCPU's id or one already created.
 */
static long khv_vm_set_max_vcpu_ids(struct khv_vm *vm, u64 max)
{
	unsigned long id = max;
	long r = 0;

	if (max > KHV_MAX_VCPU_IDS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (max == vm->max_vcpu_ids)
		goto out_unlock;
	r = -EINVAL;
	if (vm->max_vcpu_ids || vm->bsp_vcpu_id >= max ||
	    xa_find(&vm->vcpus, &id, ULONG_MAX, XA_PRESENT))
		goto out_unlock;
	vm->max_vcpu_ids = max;
	r = 0;
out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * KVM_SET_BOOT_CPU_ID: which vCPU id is the bootstrap processor (its APIC
 * base has the BSP flag; with the in-kernel LAPIC it alone starts
 * runnable), before any vCPU exists (EBUSY after, as KVM). Under
 * vm->lock. khv refuses an id no vCPU could have.
 */
static long khv_vm_set_boot_cpu_id(struct khv_vm *vm, unsigned long id)
{
	if (vm->nr_vcpus)
		return -EBUSY;
	if (id >= (vm->max_vcpu_ids ? vm->max_vcpu_ids : KHV_MAX_VCPU_IDS))
		return -EINVAL;
	vm->bsp_vcpu_id = id;
	return 0;
}

/* KVM_ENABLE_CAP's argument, read once; flags must be 0 (VM and vCPU). */
int khv_read_enable_cap(unsigned long arg, struct kvm_enable_cap *cap)
{
	if (copy_from_user(cap, (void __user *)arg, sizeof(*cap)))
		return -EFAULT;
	return cap->flags ? -EINVAL : 0;
}

/* KVM_ENABLE_CAP on a VM: only what khv lets user space switch on. */
static long khv_vm_enable_cap(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_enable_cap cap;
	int r = khv_read_enable_cap(arg, &cap);

	if (r)
		return r;
	switch (cap.cap) {
	case KVM_CAP_SPLIT_IRQCHIP:
		return khv_vm_enable_split_irqchip(vm, cap.args[0]);
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return khv_enable_manual_dirty_log(vm, cap.args[0]);
	case KVM_CAP_MAX_VCPU_ID:
		return khv_vm_set_max_vcpu_ids(vm, cap.args[0]);
	case KVM_CAP_X2APIC_API:
		return khv_vm_enable_x2apic_api(vm, cap.args[0]);
	case KVM_CAP_MSR_PLATFORM_INFO:
		/* as KVM: any non-zero args[0] lets the guest read it */
		WRITE_ONCE(vm->platform_info_hidden, !cap.args[0]);
		return 0;
	case KVM_CAP_X86_USER_SPACE_MSR:
		/* which failed guest RDMSR/WRMSR go to user space, as KVM */
		if (cap.args[0] & ~(u64)(KVM_MSR_EXIT_REASON_INVAL |
					 KVM_MSR_EXIT_REASON_UNKNOWN |
					 KVM_MSR_EXIT_REASON_FILTER))
			return -EINVAL;
		WRITE_ONCE(vm->user_space_msrs, cap.args[0]);
		return 0;
	case KVM_CAP_DISABLE_QUIRKS2:
		/* as KVM: the mask replaces the last one; unknown quirks refused */
		if (cap.args[0] & ~(u64)KHV_QUIRKS)
			return -EINVAL;
		WRITE_ONCE(vm->quirks_disabled, cap.args[0]);
		return 0;
	}
	return -EINVAL;
}

/*
 * VM ioctls. Locks: CREATE_VCPU, the irqchip's creation and routing take
 * vm->lock themselves; SET_USER_MEMORY_REGION and GET/CLEAR_DIRTY_LOG take
 * vm->mmu_lock; interrupt lines and irqchip state take the irqchip's
 * spinlock; the others run under vm->lock.
 */
static const struct {
	unsigned int cmd;
	long (*fn)(struct khv_vm *vm, unsigned long arg);
	bool vm_lock;
} khv_vm_ioctls[] = {
	{ KVM_CREATE_VCPU,		khv_vm_create_vcpu,		false },
	{ KVM_SET_USER_MEMORY_REGION,	khv_set_memory_region,		false },
	{ KVM_GET_DIRTY_LOG,		khv_get_dirty_log,		false },
	{ KVM_CLEAR_DIRTY_LOG,		khv_clear_dirty_log,		false },
	{ KVM_SET_GSI_ROUTING,		khv_vm_set_gsi_routing,		false },
	{ KVM_CREATE_IRQCHIP,		khv_vm_create_irqchip,		false },
	{ KVM_IRQ_LINE,			khv_vm_irq_line_nostatus,	false },
	{ KVM_IRQ_LINE_STATUS,		khv_vm_irq_line_status,		false },
	{ KVM_SIGNAL_MSI,		khv_vm_signal_msi,		false },
	{ KVM_IRQFD,			khv_vm_irqfd,			false },
	{ KVM_IOEVENTFD,		khv_vm_ioeventfd,		false },
	{ KVM_REGISTER_COALESCED_MMIO,	khv_vm_register_coalesced,	false },
	{ KVM_UNREGISTER_COALESCED_MMIO, khv_vm_unregister_coalesced,	false },
	{ KVM_GET_IRQCHIP,		khv_vm_get_irqchip,		false },
	{ KVM_SET_IRQCHIP,		khv_vm_set_irqchip,		false },
	{ KVM_CREATE_PIT2,		khv_vm_create_pit2,		false },
	{ KVM_GET_PIT2,			khv_vm_get_pit2,		true },
	{ KVM_SET_PIT2,			khv_vm_set_pit2,		true },
	{ KVM_GET_PIT,			khv_vm_get_pit,			true },
	{ KVM_SET_PIT,			khv_vm_set_pit,			true },
	{ KVM_REINJECT_CONTROL,		khv_vm_reinject_control,	true },
	{ KVM_ENABLE_CAP,		khv_vm_enable_cap,		false },
	{ KVM_GET_STATS_FD,		khv_vm_stats_fd,		false },
	{ KVM_SET_BOOT_CPU_ID,		khv_vm_set_boot_cpu_id,		true },
	{ KVM_X86_SET_MSR_FILTER,	khv_vm_set_msr_filter,		true },
	{ KVM_SET_TSS_ADDR,		khv_vm_set_tss_addr,		true },
	{ KVM_SET_NR_MMU_PAGES,		khv_vm_set_nr_mmu_pages,	true },
	{ KVM_GET_NR_MMU_PAGES,		khv_vm_get_nr_mmu_pages,	true },
	{ KVM_SET_IDENTITY_MAP_ADDR,	khv_vm_set_identity_map_addr,	true },
	{ KVM_GET_CLOCK,		khv_vm_get_clock,		false },
	{ KVM_SET_CLOCK,		khv_vm_set_clock,		false },
};

static long khv_vm_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	struct khv_vm *vm = filp->private_data;
	size_t i;
	long r;

	/* As KVM: a VM belongs to the process (mm) that created it. */
	if (vm->mm != current->mm)
		return -EIO;
	if (cmd == KVM_CHECK_EXTENSION)
		return khv_check_extension(arg);
	for (i = 0; i < ARRAY_SIZE(khv_vm_ioctls); i++)
		if (khv_vm_ioctls[i].cmd == cmd)
			break;
	if (i == ARRAY_SIZE(khv_vm_ioctls))
		return -ENOTTY;	/* what KVM answers for an unknown VM ioctl */
	if (!khv_vm_ioctls[i].vm_lock)
		return khv_vm_ioctls[i].fn(vm, arg);
	mutex_lock(&vm->lock);
	r = khv_vm_ioctls[i].fn(vm, arg);
	mutex_unlock(&vm->lock);
	return r;
}

static const struct file_operations khv_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= khv_vm_release,
	.unlocked_ioctl	= khv_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct khv_vm *khv_vm_alloc(void)
{
	struct khv_vm *vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);

	if (!vm)
		return NULL;
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	xa_init(&vm->vcpus);
	khv_eventfd_vm_init(vm);
	spin_lock_init(&vm->tsc_lock);
	khv_kvmclock_vm_init(vm);
	vm->pid = task_tgid_nr(current);
	vm->debugfs = ERR_PTR(-ENOENT);
	mmgrab(current->mm);
	vm->mm = current->mm;
	atomic_inc(&khv_stats.vms);
	if (khv_coalesced_vm_init(vm) || khv_mmu_init(vm)) {
		khv_vm_put(vm);
		return NULL;
	}
	return vm;
}

/*
 * The file of a new VM, vCPU or stats fd on a reserved (O_CLOEXEC) fd in
 * *@fd, not yet installed: the caller finishes what can fail, then
 * fd_install()s. On error nothing is left reserved.
 */
struct file *khv_anon_file(const char *name, const struct file_operations *fops,
			   void *priv, int flags, int *fd)
{
	struct file *file;

	*fd = get_unused_fd_flags(O_CLOEXEC);
	if (*fd < 0)
		return ERR_PTR(*fd);
	file = anon_inode_getfile(name, fops, priv, flags);
	if (IS_ERR(file))
		put_unused_fd(*fd);
	return file;
}

/*
 * KVM_CREATE_VM. The fd is reserved before the VM is published so that
 * its debugfs directory can carry the number, as KVM's does (<pid>-<fd>);
 * fd_install() comes last, when nothing can fail any more.
 */
long khv_vm_create_fd(unsigned long type)
{
	struct khv_vm *vm;
	struct file *file;
	int fd;

	if (type)		/* x86 KVM knows only the default VM type, 0 */
		return -EINVAL;
	vm = khv_vm_alloc();
	if (!vm)
		return -ENOMEM;
	file = khv_anon_file("khv-vm", &khv_vm_fops, vm, O_RDWR, &fd);
	if (IS_ERR(file)) {
		khv_vm_put(vm);
		return PTR_ERR(file);
	}
	khv_debugfs_vm_add(vm, fd);	/* optional: failure leaves it out */
	fd_install(fd, file);
	return fd;
}
