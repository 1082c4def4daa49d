// SPDX-License-Identifier: GPL-2.0
/*
 * The system fd (/dev/khv, and /dev/kvm with kvm_compat=1): KVM's system
 * ioctls. Each fd pins the module through fops.owner.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/cpumask.h>

#include "khv.h"
#include "caps.h"

long khv_check_extension(unsigned long cap)
{
	struct khv_host_info host = {
		.online_cpus = num_online_cpus(),
		.can_run = khv_ops->vcpu_alloc != NULL,
		.xsave_size = khv_xsave_uabi_size,
		.xsave = khv_xcr0_supported != 0,
	};

	return khv_cap_value((long)cap, &host);
}

static long khv_sys_api_version(unsigned long arg)
{
	return arg ? -EINVAL : KVM_API_VERSION;
}

static long khv_sys_vcpu_mmap_size(unsigned long arg)
{
	return arg ? -EINVAL : KHV_VCPU_MMAP_PAGES * PAGE_SIZE;
}

/* System ioctls; none takes a lock of khv's. */
static const struct {
	unsigned int cmd;
	long (*fn)(unsigned long arg);
} khv_sys_ioctls[] = {
	{ KVM_GET_API_VERSION,		khv_sys_api_version },
	{ KVM_CHECK_EXTENSION,		khv_check_extension },
	{ KVM_CREATE_VM,		khv_vm_create_fd },
	{ KVM_GET_VCPU_MMAP_SIZE,	khv_sys_vcpu_mmap_size },
	{ KVM_GET_SUPPORTED_CPUID,	khv_get_supported_cpuid },
	{ KVM_GET_MSR_INDEX_LIST,	khv_get_msr_index_list },
	{ KVM_GET_MSR_FEATURE_INDEX_LIST, khv_get_msr_feature_index_list },
	{ KVM_GET_MSRS,			khv_get_feature_msrs },
	{ KVM_X86_GET_MCE_CAP_SUPPORTED, khv_get_mce_cap_supported },
};

static long khv_dev_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khv_sys_ioctls); i++)
		if (khv_sys_ioctls[i].cmd == cmd)
			return khv_sys_ioctls[i].fn(arg);
	return -EINVAL;		/* what KVM answers for an unknown system ioctl */
}

const struct file_operations khv_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= khv_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};
