// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: creation, the vCPU fd (ioctls and the kvm_run mmap), and freeing
 * with their VM.
 */
#include <linux/module.h>
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "khv.h"
#include "caps.h"

void khv_vcpu_free(struct khv_vcpu *vcpu)
{
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
	atomic_dec(&khv_stats.vcpus);
}

static struct page *khv_vcpu_mmap_page(struct khv_vcpu *vcpu, pgoff_t pgoff)
{
	if (pgoff == 0)
		return virt_to_page(vcpu->run);
	if (pgoff == KVM_PIO_PAGE_OFFSET)
		return virt_to_page(vcpu->pio_data);
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

static long khv_vcpu_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct khv_vcpu *vcpu = filp->private_data;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	return -EINVAL;		/* what KVM answers for an unknown vCPU ioctl */
}

static const struct file_operations khv_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= khv_vcpu_release,
	.unlocked_ioctl	= khv_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= khv_vcpu_mmap,
	.llseek		= noop_llseek,
};

static struct khv_vcpu *khv_vcpu_alloc(struct khv_vm *vm, u32 id)
{
	struct khv_vcpu *vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);

	if (!vcpu)
		return NULL;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run || !vcpu->pio_data) {
		free_page((unsigned long)vcpu->run);
		free_page((unsigned long)vcpu->pio_data);
		kfree(vcpu);
		return NULL;
	}
	vcpu->vm = vm;
	vcpu->id = id;
	mutex_init(&vcpu->lock);
	atomic_inc(&khv_stats.vcpus);
	return vcpu;
}

static int khv_vcpu_install_fd(struct khv_vcpu *vcpu)
{
	char name[24];
	int fd;

	snprintf(name, sizeof(name), "khv-vcpu:%u", vcpu->id);
	kref_get(&vcpu->vm->ref);
	fd = anon_inode_getfd(name, &khv_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		khv_vm_put(vcpu->vm);	/* never the last: the VM fd holds one */
	return fd;
}

/* KVM_CREATE_VCPU: the same limits and errors as KVM. Takes vm->lock. */
long khv_vcpu_create_fd(struct khv_vm *vm, unsigned long id)
{
	struct khv_vcpu *vcpu;
	long r;

	if (id >= KHV_MAX_VCPU_IDS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = -EINVAL;
	if (vm->nr_vcpus >= KHV_MAX_VCPUS)
		goto out_unlock;
	r = -EEXIST;
	if (xa_load(&vm->vcpus, id))
		goto out_unlock;
	r = -ENOMEM;
	vcpu = khv_vcpu_alloc(vm, id);
	if (!vcpu)
		goto out_unlock;
	r = xa_insert(&vm->vcpus, id, vcpu, GFP_KERNEL_ACCOUNT);
	if (r)
		goto out_free_vcpu;
	r = khv_vcpu_install_fd(vcpu);
	if (r < 0)
		goto out_erase;
	vm->nr_vcpus++;
	mutex_unlock(&vm->lock);
	return r;

out_erase:
	xa_erase(&vm->vcpus, id);
out_free_vcpu:
	khv_vcpu_free(vcpu);
out_unlock:
	mutex_unlock(&vm->lock);
	return r;
}
