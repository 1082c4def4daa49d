// SPDX-License-Identifier: GPL-2.0
/*
 * khv module: picks the backend for this CPU, refuses to load when another
 * hypervisor owns SVM/VMX or /dev/kvm, switches virtualization on for every
 * online CPU (following hotplug) and off again at unload and reboot, and
 * registers /dev/khv (and /dev/kvm with
 * kvm_compat=1).
 */
#define pr_fmt(fmt) "khv: " fmt

#include <linux/module.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/miscdevice.h>
#include <linux/rcupdate.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <asm/processor.h>
#include <asm/reboot.h>

#include <linux/khv.h>

#include "khv.h"

static bool kvm_compat;
module_param(kvm_compat, bool, 0444);
MODULE_PARM_DESC(kvm_compat, "Also answer at /dev/kvm (misc minor 232) when it is free");

const struct khv_backend_ops *khv_ops;
struct khv_stats khv_stats;

/* Whether this CPU has virtualization switched on by khv. */
DEFINE_PER_CPU(bool, khv_cpu_on);
static int khv_cpuhp_state;

static struct miscdevice khv_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KHV_DEVICE_NAME,
	.fops	= &khv_dev_fops,
	.mode	= 0600,
};

static struct miscdevice khv_kvm_misc = {
	.minor	= KVM_MINOR,
	.name	= "kvm",
	.fops	= &khv_dev_fops,
	.mode	= 0600,
};

int khv_percpu_pages_alloc(struct page * __percpu *pages)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page *p = alloc_pages_node(cpu_to_node(cpu),
						  GFP_KERNEL | __GFP_ZERO, 0);

		if (!p) {
			khv_percpu_pages_free(pages);
			return -ENOMEM;
		}
		*per_cpu_ptr(pages, cpu) = p;
	}
	return 0;
}

void khv_percpu_pages_free(struct page * __percpu *pages)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page **p = per_cpu_ptr(pages, cpu);

		if (*p)
			__free_page(*p);
		*p = NULL;
	}
}

static const struct khv_backend_ops *khv_pick_backend(void)
{
	switch (boot_cpu_data.x86_vendor) {
	case X86_VENDOR_AMD:
	case X86_VENDOR_HYGON:
		return &khv_svm_ops;
	case X86_VENDOR_INTEL:
	case X86_VENDOR_CENTAUR:
	case X86_VENDOR_ZHAOXIN:
		return &khv_vmx_ops;
	default:
		return NULL;
	}
}

static int khv_hw_errno(enum khv_hw_verdict v)
{
	return v == KHV_HW_ABSENT ? -ENODEV : -EOPNOTSUPP;
}

/* cpuhp callbacks run on @cpu itself, in its hotplug thread. */
static int khv_cpu_online(unsigned int cpu)
{
	int r = 0;

	preempt_disable();
	if (khv_ops->cpu_in_use()) {
		pr_err("%s is already in use on CPU %u (kvm_amd or kvm_intel loaded, or another hypervisor); not loading\n",
		       khv_ops->name, cpu);
		r = -EBUSY;
	} else {
		r = khv_ops->cpu_enable();
		if (r)
			pr_err("could not switch %s on, CPU %u: %d\n",
			       khv_ops->name, cpu, r);
	}
	if (!r)
		this_cpu_write(khv_cpu_on, true);
	preempt_enable();
	return r;
}

static void khv_cpu_off_this(void *unused)
{
	if (!this_cpu_read(khv_cpu_on))
		return;
	khv_ops->cpu_disable();
	this_cpu_write(khv_cpu_on, false);
}

static int khv_cpu_offline(unsigned int cpu)
{
	preempt_disable();
	khv_cpu_off_this(NULL);
	preempt_enable();
	return 0;
}

static int khv_reboot(struct notifier_block *nb, unsigned long code, void *v)
{
	on_each_cpu(khv_cpu_off_this, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block khv_reboot_nb = {
	.notifier_call = khv_reboot,
};

/*
 * kvm_amd/kvm_intel register /dev/kvm at load but (in 6.1) switch SVM/VMX
 * on only while a VM exists, so the per-CPU check alone would let khv load
 * beside an idle kvm_amd. The KVM misc minor being taken tells us. (Since
 * 6.12 they switch it on at load, and the per-CPU check refuses first.)
 */
static int khv_kvm_minor_check(void)
{
	struct miscdevice probe = {
		.minor	= KVM_MINOR,
		.name	= "khv-kvm-probe",
		.fops	= &khv_dev_fops,
	};
	int r = misc_register(&probe);

	if (r == -EBUSY) {
		pr_err("/dev/kvm (misc 10:%d) belongs to another module (kvm_amd or kvm_intel loaded?); not loading\n",
		       KVM_MINOR);
		return r;
	}
	if (r)
		return r;
	misc_deregister(&probe);
	return 0;
}

static int khv_pages_get(void *data, u64 *val)
{
	*val = atomic64_read(&khv_stats.pages);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(khv_pages_fops, khv_pages_get, NULL, "%llu\n");

static void khv_debugfs_init(void)
{
	khv_debugfs_dir = debugfs_create_dir(KHV_DEBUGFS_DIR, NULL);
	debugfs_create_atomic_t(KHV_DEBUGFS_VMS, 0444, khv_debugfs_dir,
				&khv_stats.vms);
	debugfs_create_atomic_t(KHV_DEBUGFS_VCPUS, 0444, khv_debugfs_dir,
				&khv_stats.vcpus);
	debugfs_create_file_unsafe(KHV_DEBUGFS_PAGES, 0444, khv_debugfs_dir, NULL,
				   &khv_pages_fops);
	khv_debugfs_stats_init();
}

static int khv_register_devices(void)
{
	int r = misc_register(&khv_misc);

	if (r)
		return r;
	if (!kvm_compat)
		return 0;
	r = misc_register(&khv_kvm_misc);
	if (r) {
		pr_err("kvm_compat=1 but /dev/kvm could not be registered: %d\n", r);
		misc_deregister(&khv_misc);
	}
	return r;
}

static void khv_unregister_devices(void)
{
	if (kvm_compat)
		misc_deregister(&khv_kvm_misc);
	misc_deregister(&khv_misc);
}

static int __init khv_init(void)
{
	struct khv_hw_result hw;
	int r;

	khv_ops = khv_pick_backend();
	if (!khv_ops) {
		pr_err("CPU vendor has neither AMD SVM nor Intel VMX; not loading\n");
		return -ENODEV;
	}
	hw = khv_ops->hw_check();
	if (hw.verdict != KHV_HW_OK) {
		pr_err("%s; not loading\n", hw.what);
		return khv_hw_errno(hw.verdict);
	}
	r = khv_cpuid_init();
	if (r)
		return r;
	r = khv_eventfd_module_init();
	if (r)
		return r;
	r = khv_ops->hw_setup();
	if (r)
		goto out_eventfd;
	if (khv_ops->vcpu_put)		/* khv_vcpu_thread_enter() */
		preempt_notifier_inc();
	/* Fails with -EBUSY if any CPU already has SVM/VMX on. */
	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "khv:online",
			      khv_cpu_online, khv_cpu_offline);
	if (r < 0)
		goto out_unsetup;
	khv_cpuhp_state = r;
	r = khv_kvm_minor_check();
	if (r)
		goto out_cpus_off;
	/*
	 * Crash/emergency restart needs nothing from us: the kernel's own
	 * cpu_emergency_disable_virtualization() turns SVM/VMX off by
	 * hardware state. Its one callback slot is kvm_intel's (VMCLEAR).
	 */
	register_reboot_notifier(&khv_reboot_nb);
	/* before /dev/khv: a VM created at once finds khv/vm/ */
	khv_debugfs_init();
	r = khv_register_devices();
	if (r)
		goto out_remove_debugfs;
	pr_info("loaded: %s, /dev/khv%s\n", hw.what,
		kvm_compat ? " and /dev/kvm" : "");
	return 0;

out_remove_debugfs:
	debugfs_remove_recursive(khv_debugfs_dir);
	unregister_reboot_notifier(&khv_reboot_nb);
out_cpus_off:
	cpuhp_remove_state(khv_cpuhp_state);
out_unsetup:
	if (khv_ops->vcpu_put)
		preempt_notifier_dec();
	khv_ops->hw_unsetup();
out_eventfd:
	khv_eventfd_module_exit();
	return r;
}

static void __exit khv_exit(void)
{
	khv_unregister_devices();
	debugfs_remove_recursive(khv_debugfs_dir);
	unregister_reboot_notifier(&khv_reboot_nb);
	cpuhp_remove_state(khv_cpuhp_state);
	if (khv_ops->vcpu_put)
		preempt_notifier_dec();
	khv_ops->hw_unsetup();
	khv_eventfd_module_exit();
	rcu_barrier();	/* call_rcu()s: routing tables, thread records */
	pr_info("unloaded\n");
}

module_init(khv_init);
module_exit(khv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("khv: a hypervisor speaking KVM's ioctl ABI");
