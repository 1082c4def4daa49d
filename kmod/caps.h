/* SPDX-License-Identifier: GPL-2.0 */
/* KVM_CHECK_EXTENSION answers (pure: see khv_pure.h). */
#ifndef KHV_CAPS_H
#define KHV_CAPS_H

#include "khv_pure.h"

/* Limits khv really enforces in KVM_CREATE_VCPU (same numbers as KVM 6.1). */
#define KHV_MAX_VCPUS		1024
#define KHV_MAX_VCPU_IDS	4096
#define KHV_MAX_IRQ_ROUTES	4096	/* KVM_CAP_IRQ_ROUTING, as KVM */
/*
 * The KVM_X86_QUIRK_* user space may disable (KVM_CAP_DISABLE_QUIRKS2):
 * KVM 6.1's seven. CD_NW_CLEARED matters on SVM only (svm_load_cr0()); on
 * VMX, as KVM without non-coherent DMA, it changes nothing.
 */
#define KHV_QUIRKS		(KVM_X86_QUIRK_LINT0_REENABLED |	\
				 KVM_X86_QUIRK_CD_NW_CLEARED |		\
				 KVM_X86_QUIRK_LAPIC_MMIO_HOLE |	\
				 KVM_X86_QUIRK_OUT_7E_INC_RIP |		\
				 KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT |	\
				 KVM_X86_QUIRK_FIX_HYPERCALL_INSN |	\
				 KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS)

/* What a capability's value may depend on, sampled by the caller. */
struct khv_host_info {
	u32 online_cpus;
	bool can_run;		/* the backend runs guests (else only the basics) */
	u32 xsave_size;		/* KVM_GET_XSAVE2's buffer size */
	bool xsave;		/* the host has XSAVE (XCR0 for guests) */
};

long khv_cap_value(long cap, const struct khv_host_info *host);

/* KVM_SET_GUEST_DEBUG's control bits khv takes (KVM_CAP_SET_GUEST_DEBUG2) */
#define KHV_GUESTDBG_VALID	(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | \
				 KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP | \
				 KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP | \
				 KVM_GUESTDBG_BLOCKIRQ)

#endif /* KHV_CAPS_H */
