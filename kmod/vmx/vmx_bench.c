// SPDX-License-Identifier: GPL-2.0
/*
 * VMX's part of KHV_BENCH_VMRUN (benchmark only): back-to-back VMRESUMEs
 * on a guest that exits at CPUID every time. Mirrors svm/svm_bench.c.
 *
 * One ordinary entry (vmx_vcpu_enter) first makes the VMCS current,
 * writes the guest state and switches the host state VM exit does not
 * restore (until the vCPU's put). From then on the VMCS already holds what
 * the next entry needs, because CPUID exits before it executes: the
 * guest's state does not change. So the loop is only what every entry of
 * khv's must do: vmx_vmenter (GPR switch, VMRESUME, return stack refill)
 * and the host's DEBUGCTL after the exit. Interrupts stay off: a host
 * interrupt makes the guest exit, which ends the loop.
 */
#include <linux/ktime.h>

#include "vmx.h"

u32 vmx_bench_vmrun(struct khv_vcpu *vcpu, u64 pt_root, bool flush, u32 n,
		    u64 *ns, struct khv_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 t0;
	u32 i;

	*ns = 0;
	vmx_vcpu_enter(vcpu, pt_root, flush, exit);
	if (exit->kind != KHV_EXIT_CPUID)
		return 0;

	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		bool failed;

		failed = vmx_vmenter(vcpu->gprs, true);
		vmx_host_after_exit(vmx);
		if (failed || (u16)vmcs_read(VMCS_EXIT_REASON) != VMX_EXIT_CPUID)
			break;
	}
	*ns = ktime_get_ns() - t0;
	/*
	 * Stopped by a host interrupt (or anything else): the guest is
	 * still at its CPUID, and an ordinary entry deals with the rest; an
	 * NMI or machine check the exit took goes to the host now.
	 */
	if (i < n) {
		vmx_host_events_after_exit();
		exit->kind = KHV_EXIT_RESUME;
	}
	return i;
}
