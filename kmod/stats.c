// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics: KVM's binary stats format on the fd KVM_GET_STATS_FD returns
 * (VM and vCPU), the same bytes in debugfs khv/vm/<pid>-<fd>/ for tools
 * that watch every VM on the host (khv-stat), and the khv: tracepoints.
 *
 * A stats file is one byte range: the header, the id string (name_size
 * bytes), one descriptor per counter (16 bytes + name_size), then the
 * counters, u64 each. Everything but the counters is fixed when the file
 * is opened; the counters are read afresh whenever a read reaches them.
 */
#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/khv.h>

#include "khv.h"

#define CREATE_TRACE_POINTS
#include "khv_trace.h"

/* the header says it; 48 bytes, as KVM's (kvm_host.h, not uapi) */
#define KHV_STATS_NAME_SIZE	48

struct dentry *khv_debugfs_dir;		/* <debugfs>/khv, set up by main.c */
static struct dentry *khv_debugfs_vms;	/* <debugfs>/khv/vm */

struct khv_stat_def {
	const char *name;
	u32 flags;		/* KVM_STATS_TYPE_*, _UNIT_*, _BASE_* */
	s16 exponent;
	u16 offset;		/* in the counters' struct */
};

#define CUMULATIVE	(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE)
#define INSTANT		(KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_NONE)
#define PEAK		(KVM_STATS_TYPE_PEAK | KVM_STATS_UNIT_NONE)
#define NANOSECONDS	(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS)
#define INSTANT_NS	(KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_SECONDS)

#define VM_STAT(field, flags) \
	{ #field, flags, 0, offsetof(struct khv_vm_stat, field) }
#define VCPU_STAT(field, flags, exp) \
	{ #field, flags, exp, offsetof(struct khv_vcpu_stat, field) }

static const struct khv_stat_def khv_vm_stat_defs[] = {
	VM_STAT(remote_tlb_flush, CUMULATIVE),	/* every vCPU's TLB flushed */
	VM_STAT(pages_mapped, CUMULATIVE),	/* guest pages put in the NPT */
	VM_STAT(pages_unmapped, CUMULATIVE),	/* ... and taken out again */
	VM_STAT(pages_pinned, INSTANT),		/* held now (all mapped ones) */
	VM_STAT(pages_pinned_peak, PEAK),
	VM_STAT(npt_table_pages, INSTANT),	/* the NPT's own pages */
	VM_STAT(pages_4k, INSTANT),		/* 4 KiB mappings now, as KVM's */
	VM_STAT(pages_2m, INSTANT),		/* 2 MiB mappings now */
	VM_STAT(vcpus, INSTANT),
};

static const struct khv_stat_def khv_vcpu_stat_defs[] = {
	VCPU_STAT(runs, CUMULATIVE, 0),			/* KVM_RUN calls */
	VCPU_STAT(exits, CUMULATIVE, 0),		/* every VM exit */
	VCPU_STAT(exits_io, CUMULATIVE, 0),		/* IN/OUT/INS/OUTS */
	VCPU_STAT(exits_npt_fault, CUMULATIVE, 0),	/* memory not mapped, MMIO */
	VCPU_STAT(exits_hlt, CUMULATIVE, 0),
	VCPU_STAT(exits_cpuid, CUMULATIVE, 0),
	VCPU_STAT(exits_msr, CUMULATIVE, 0),		/* RDMSR, WRMSR */
	VCPU_STAT(exits_host_irq, CUMULATIVE, 0),	/* host interrupt, NMI, SMI */
	VCPU_STAT(exits_irq_window, CUMULATIVE, 0),
	VCPU_STAT(exits_nmi_window, CUMULATIVE, 0),
	VCPU_STAT(exits_cr, CUMULATIVE, 0),		/* CR accesses emulated */
	VCPU_STAT(exits_dr, CUMULATIVE, 0),		/* MOV to/from DRn */
	VCPU_STAT(exits_exception, CUMULATIVE, 0),	/* #DB, #AC, #MC */
	VCPU_STAT(exits_shutdown, CUMULATIVE, 0),	/* triple fault */
	VCPU_STAT(exits_pause, CUMULATIVE, 0),		/* PAUSE loop */
	VCPU_STAT(exits_other, CUMULATIVE, 0),
	VCPU_STAT(io_exits, CUMULATIVE, 0),		/* to user space: KVM_EXIT_IO */
	VCPU_STAT(mmio_exits, CUMULATIVE, 0),		/* KVM_EXIT_MMIO */
	VCPU_STAT(halt_exits, CUMULATIVE, 0),		/* KVM_EXIT_HLT */
	VCPU_STAT(signal_exits, CUMULATIVE, 0),		/* EINTR, KVM_EXIT_INTR */
	VCPU_STAT(request_irq_exits, CUMULATIVE, 0),	/* KVM_EXIT_IRQ_WINDOW_OPEN */
	VCPU_STAT(irq_injections, CUMULATIVE, 0),
	VCPU_STAT(nmi_injections, CUMULATIVE, 0),
	VCPU_STAT(exception_injections, CUMULATIVE, 0),
	VCPU_STAT(npt_pages_mapped, CUMULATIVE, 0),	/* by this vCPU's faults */
	VCPU_STAT(tlb_flush, CUMULATIVE, 0),		/* entries with a flush */
	VCPU_STAT(insn_emulation, CUMULATIVE, 0),	/* instructions khv decoded */
	VCPU_STAT(insn_emulation_fail, CUMULATIVE, 0),
	VCPU_STAT(guest_time_ns, NANOSECONDS, -9),	/* in guest mode */
	VCPU_STAT(timer_advance_ns, INSTANT_NS, -9),	/* TSC-deadline timer advance now */
	VCPU_STAT(timer_advance_waits, CUMULATIVE, 0),	/* deadlines waited out before entry */
};

/* Every counter has a descriptor, in order, and nothing else is there. */
static_assert(sizeof(struct khv_vm_stat) == ARRAY_SIZE(khv_vm_stat_defs) * sizeof(u64));
static_assert(sizeof(struct khv_vcpu_stat) ==
	      ARRAY_SIZE(khv_vcpu_stat_defs) * sizeof(u64));

/* One open stats file. @vcpu NULL: the VM's. */
struct khv_stats_file {
	struct khv_vm *vm;
	struct khv_vcpu *vcpu;
	size_t size;
	size_t data_offset;
	size_t data_size;
	u8 image[];		/* header, id, descriptors; the data is read live */
};

static struct khv_stats_file *khv_stats_file_alloc(struct khv_vm *vm,
						   struct khv_vcpu *vcpu)
{
	const struct khv_stat_def *defs = vcpu ? khv_vcpu_stat_defs : khv_vm_stat_defs;
	u32 n = vcpu ? ARRAY_SIZE(khv_vcpu_stat_defs) : ARRAY_SIZE(khv_vm_stat_defs);
	/*
	 * 16 bytes and the name: 6.12's kernel-side struct has a fixed
	 * 48-byte name array where 6.1's has a flexible one, so sizeof differs
	 */
	size_t desc_size = offsetof(struct kvm_stats_desc, name) + KHV_STATS_NAME_SIZE;
	size_t id_offset = sizeof(struct kvm_stats_header);
	size_t desc_offset = id_offset + KHV_STATS_NAME_SIZE;
	size_t data_offset = desc_offset + n * desc_size;
	struct kvm_stats_header *h;
	struct khv_stats_file *f;
	u32 i;

	f = kzalloc(struct_size(f, image, data_offset), GFP_KERNEL_ACCOUNT);
	if (!f)
		return NULL;
	f->vm = vm;
	f->vcpu = vcpu;
	f->data_offset = data_offset;
	f->data_size = n * sizeof(u64);
	f->size = data_offset + f->data_size;
	h = (void *)f->image;
	h->name_size = KHV_STATS_NAME_SIZE;
	h->num_desc = n;
	h->id_offset = id_offset;
	h->desc_offset = desc_offset;
	h->data_offset = data_offset;
	/* KVM's id strings; its own selftest wants them to begin "kvm" */
	if (vcpu)
		snprintf(f->image + id_offset, KHV_STATS_NAME_SIZE, "kvm-%d/vcpu-%u",
			 vm->pid, vcpu->id);
	else
		snprintf(f->image + id_offset, KHV_STATS_NAME_SIZE, "kvm-%d", vm->pid);
	for (i = 0; i < n; i++) {
		struct kvm_stats_desc *d = (void *)(f->image + desc_offset + i * desc_size);

		d->flags = defs[i].flags | KVM_STATS_BASE_POW10;
		d->exponent = defs[i].exponent;
		d->size = 1;
		d->offset = defs[i].offset;
		strscpy(d->name, defs[i].name, KHV_STATS_NAME_SIZE);
	}
	return f;
}

/* The counters as they are now. */
static void khv_stats_snapshot(const struct khv_stats_file *f, u64 *data)
{
	struct khv_vm *vm = f->vm;

	if (f->vcpu) {
		memcpy(data, &f->vcpu->stat, sizeof(f->vcpu->stat));
		return;
	}
	memcpy(data, &vm->stat, sizeof(vm->stat));
	((struct khv_vm_stat *)data)->pages_pinned = READ_ONCE(vm->held_pages);
	((struct khv_vm_stat *)data)->vcpus = READ_ONCE(vm->nr_vcpus);
	((struct khv_vm_stat *)data)->pages_4k = READ_ONCE(vm->npt.leaves[0]);
	((struct khv_vm_stat *)data)->pages_2m = READ_ONCE(vm->npt.leaves[1]);
}

static ssize_t khv_stats_read(struct file *filp, char __user *buf, size_t len,
			      loff_t *ppos)
{
	struct khv_stats_file *f = filp->private_data;
	u64 data[ARRAY_SIZE(khv_vcpu_stat_defs)];
	size_t pos, done = 0, n;

	static_assert(ARRAY_SIZE(khv_vcpu_stat_defs) >= ARRAY_SIZE(khv_vm_stat_defs));
	if (*ppos < 0)
		return -EINVAL;
	if (*ppos >= f->size)
		return 0;
	pos = *ppos;
	len = min(len, f->size - pos);
	if (pos < f->data_offset) {
		n = min(len, f->data_offset - pos);
		if (copy_to_user(buf, f->image + pos, n))
			return -EFAULT;
		done = n;
	}
	if (done < len) {
		khv_stats_snapshot(f, data);
		pos += done;
		n = len - done;
		if (copy_to_user(buf + done, (u8 *)data + (pos - f->data_offset), n))
			return -EFAULT;
		done += n;
	}
	*ppos += done;
	return done;
}

/* The stats fd's file holds a VM reference; debugfs' does not (below). */
static int khv_stats_release(struct inode *inode, struct file *filp)
{
	struct khv_stats_file *f = filp->private_data;

	khv_vm_put(f->vm);
	kfree(f);
	return 0;
}

static const struct file_operations khv_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= khv_stats_read,
	.release	= khv_stats_release,
	.llseek		= noop_llseek,
};

/* KVM_GET_STATS_FD: a read-only fd that keeps the VM alive. */
static long khv_stats_fd(struct khv_vm *vm, struct khv_vcpu *vcpu)
{
	struct khv_stats_file *f = khv_stats_file_alloc(vm, vcpu);
	struct file *file;
	int fd;

	if (!f)
		return -ENOMEM;
	file = khv_anon_file(vcpu ? "khv-vcpu-stats" : "khv-vm-stats",
			     &khv_stats_fops, f, O_RDONLY, &fd);
	if (IS_ERR(file)) {
		kfree(f);
		return PTR_ERR(file);
	}
	kref_get(&vm->ref);	/* dropped by khv_stats_release() */
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}

long khv_vm_stats_fd(struct khv_vm *vm, unsigned long arg)
{
	return khv_stats_fd(vm, NULL);
}

long khv_vcpu_stats_fd(struct khv_vcpu *vcpu, unsigned long arg)
{
	return khv_stats_fd(vcpu->vm, vcpu);
}

/*
 * debugfs: the same files, for whoever may read debugfs (root). Removal
 * waits for reads in progress (debugfs' file proxy), and the VM is freed
 * only after its directory is gone, so an open file never needs a VM
 * reference; reads after the removal fail with EIO.
 */
static int khv_debugfs_open(struct file *filp, struct khv_vm *vm,
			    struct khv_vcpu *vcpu)
{
	filp->private_data = khv_stats_file_alloc(vm, vcpu);
	return filp->private_data ? 0 : -ENOMEM;
}

static int khv_debugfs_release(struct inode *inode, struct file *filp)
{
	kfree(filp->private_data);
	return 0;
}

static int khv_debugfs_vm_open(struct inode *inode, struct file *filp)
{
	return khv_debugfs_open(filp, inode->i_private, NULL);
}

static int khv_debugfs_vcpu_open(struct inode *inode, struct file *filp)
{
	struct khv_vcpu *vcpu = inode->i_private;

	return khv_debugfs_open(filp, vcpu->vm, vcpu);
}

static const struct file_operations khv_debugfs_vm_fops = {
	.owner		= THIS_MODULE,
	.open		= khv_debugfs_vm_open,
	.read		= khv_stats_read,
	.release	= khv_debugfs_release,
	.llseek		= default_llseek,
};

static const struct file_operations khv_debugfs_vcpu_fops = {
	.owner		= THIS_MODULE,
	.open		= khv_debugfs_vcpu_open,
	.read		= khv_stats_read,
	.release	= khv_debugfs_release,
	.llseek		= default_llseek,
};

void khv_debugfs_vm_add(struct khv_vm *vm, int fd)
{
	struct dentry *dup;
	char name[32];

	if (IS_ERR_OR_NULL(khv_debugfs_vms)) {
		vm->debugfs = ERR_PTR(-ENOENT);
		return;
	}
	snprintf(name, sizeof(name), "%d-%d", vm->pid, fd);
	/*
	 * A VM whose fd was closed lives on while a vCPU fd holds it, and a
	 * new VM may get its number: that one goes without a directory.
	 */
	dup = debugfs_lookup(name, khv_debugfs_vms);
	if (dup) {
		dput(dup);
		vm->debugfs = ERR_PTR(-EEXIST);
		return;
	}
	vm->debugfs = debugfs_create_dir(name, khv_debugfs_vms);
	debugfs_create_file(KHV_DEBUGFS_STATS, 0400, vm->debugfs, vm,
			    &khv_debugfs_vm_fops);
}

void khv_debugfs_vcpu_add(struct khv_vcpu *vcpu)
{
	struct dentry *dir;
	char name[24];

	if (IS_ERR_OR_NULL(vcpu->vm->debugfs))
		return;
	snprintf(name, sizeof(name), KHV_DEBUGFS_VCPU "%u", vcpu->id);
	dir = debugfs_create_dir(name, vcpu->vm->debugfs);
	debugfs_create_file(KHV_DEBUGFS_STATS, 0400, dir, vcpu,
			    &khv_debugfs_vcpu_fops);
}

void khv_debugfs_vm_remove(struct khv_vm *vm)
{
	debugfs_remove_recursive(vm->debugfs);
}

void khv_debugfs_stats_init(void)
{
	khv_debugfs_vms = debugfs_create_dir(KHV_DEBUGFS_VM_DIR, khv_debugfs_dir);
}

/*
 * Each exit kind's exits_* counter; kinds not listed (0: no exits_*
 * counter is first in the struct) count in exits_other.
 */
static_assert(KHV_STAT_IDX(runs) == 0);
const u8 khv_exit_stat[KHV_EXIT_UNHANDLED + 1] = {
	[KHV_EXIT_IO]		= KHV_STAT_IDX(exits_io),
	[KHV_EXIT_NPF]		= KHV_STAT_IDX(exits_npt_fault),
	[KHV_EXIT_HLT]		= KHV_STAT_IDX(exits_hlt),
	[KHV_EXIT_CPUID]	= KHV_STAT_IDX(exits_cpuid),
	[KHV_EXIT_RDMSR]	= KHV_STAT_IDX(exits_msr),
	[KHV_EXIT_WRMSR]	= KHV_STAT_IDX(exits_msr),
	[KHV_EXIT_HOST_EVENT]	= KHV_STAT_IDX(exits_host_irq),
	[KHV_EXIT_IRQ_WINDOW]	= KHV_STAT_IDX(exits_irq_window),
	[KHV_EXIT_NMI_WINDOW]	= KHV_STAT_IDX(exits_nmi_window),
	[KHV_EXIT_CR_WRITE]	= KHV_STAT_IDX(exits_cr),
	[KHV_EXIT_CR_READ]	= KHV_STAT_IDX(exits_cr),
	[KHV_EXIT_DR_ACCESS]	= KHV_STAT_IDX(exits_dr),
	[KHV_EXIT_EXCEPTION]	= KHV_STAT_IDX(exits_exception),
	[KHV_EXIT_SHUTDOWN]	= KHV_STAT_IDX(exits_shutdown),
	[KHV_EXIT_PAUSE]	= KHV_STAT_IDX(exits_pause),
	[KHV_EXIT_UNHANDLED]	= 0,	/* sizes the table to every kind */
};

