// SPDX-License-Identifier: GPL-2.0
/*
 * SVM's part of KHV_BENCH_VMRUN (benchmark only): back-to-back VMRUNs on
 * a guest that exits at an intercepted CPUID every time.
 *
 * One ordinary entry (svm_vcpu_enter) first loads the VMCB: ASID, nested
 * CR3, RIP/RSP/RAX/RFLAGS, and leaves TLB_CONTROL clear. From then on the
 * VMCB already holds what the next entry needs, because the intercept
 * fires before CPUID executes: the guest's state does not change. So the
 * loop is only what every entry of khv's must do: svm_vmrun (VMSAVE host,
 * VMLOAD guest, VMRUN, VMSAVE guest, VMLOAD host, GPR switch, return
 * stack refill), with GIF clear. The VMCB clean bits stay 0, as
 * svm_vcpu_enter leaves them; the host's TSC_AUX stays loaded (the guest
 * executes no RDTSCP).
 */
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/ktime.h>

#include "svm.h"

u32 svm_bench_vmrun(struct khv_vcpu *vcpu, u64 pt_root, bool flush, u32 n,
		    u64 *ns, struct khv_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 host_pa = page_to_phys(this_cpu_read(svm_vmsave_page));
	u64 t0;
	u32 i;

	*ns = 0;
	svm_vcpu_enter(vcpu, pt_root, flush, exit);
	if (exit->kind != KHV_EXIT_CPUID)
		return 0;

	t0 = ktime_get_ns();
	asm volatile("clgi" : : : "memory");
	/* IF=1 with GIF=0: a host interrupt ends the guest and the loop */
	raw_local_irq_enable();
	for (i = 0; i < n; i++) {
		if (svm_vmrun(vcpu->gprs, svm->vmcb_pa, host_pa) ||
		    svm->vmcb->control.exit_code != SVM_EXIT_CPUID)
			break;
	}
	raw_local_irq_disable();
	asm volatile("stgi" : : : "memory");
	*ns = ktime_get_ns() - t0;
	/*
	 * Stopped by a host interrupt (or anything else): the guest is
	 * still at its CPUID, and an ordinary entry deals with the rest.
	 */
	if (i < n)
		exit->kind = KHV_EXIT_RESUME;
	return i;
}
