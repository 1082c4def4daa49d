// SPDX-License-Identifier: GPL-2.0
/*
 * Events without an in-kernel irqchip: user space injects external
 * interrupts (KVM_INTERRUPT, when kvm_run says the guest is ready) and
 * NMIs; khv delivers them at the next entry the guest can take them, and
 * reports and restores the state with KVM_GET/SET_VCPU_EVENTS and
 * KVM_GET/SET_MP_STATE.
 */
#include <linux/uaccess.h>
#include <asm/processor-flags.h>

#include "khv.h"
#include "khv_trace.h"

/* IF set and no STI/MOV SS shadow: the guest's side of taking one. */
bool khv_interrupts_open(struct khv_vcpu *vcpu)
{
	return (vcpu->rflags & X86_EFLAGS_IF) && !khv_ops->interrupt_shadow(vcpu);
}

/* The guest can take an external interrupt at its next instruction. */
bool khv_interrupt_allowed(struct khv_vcpu *vcpu)
{
	return khv_interrupts_open(vcpu) && !khv_ops->event_in_flight(vcpu);
}

/*
 * An interrupt on its way in that the guest, able to take it now, has not
 * taken yet: the next entry delivers it, so an HLT must not wait for
 * another event, nor a halted vCPU sleep. Two ways there: VMX holds an
 * interrupt queued while the guest could not take it (KVM_INTERRUPT,
 * KVM_SET_VCPU_EVENTS) for the interrupt window, and a guest that opens
 * the window with "sti; hlt" exits for the HLT first; SVM injects one the
 * guest can take as V_IRQ (svm_inject_irq()), which a CPU delivers before
 * the guest's first instruction, but the test machine's TCG (QEMU 7.2)
 * can lose the request its VMRUN makes for it, and the guest then runs
 * on to its next HLT (testing.md, the irqfd_resample hang).
 */
bool khv_injected_irq_waits(struct khv_vcpu *vcpu)
{
	return khv_ops->event_in_flight(vcpu) && khv_interrupts_open(vcpu);
}

/* kvm_run->ready_for_interrupt_injection: KVM_INTERRUPT would be taken now. */
bool khv_ready_for_interrupt(struct khv_vcpu *vcpu)
{
	/* split irqchip: user space's PIC needs the LAPIC to take ExtINT */
	return khv_interrupt_allowed(vcpu) && !vcpu->irq_pending &&
	       (!vcpu->apic || khv_vlapic_accept_extint(vcpu));
}

/* The guest can take an NMI at its next instruction. */
bool khv_nmi_allowed(struct khv_vcpu *vcpu)
{
	return !vcpu->nmi_masked && !khv_ops->interrupt_shadow(vcpu);
}

/*
 * Before each entry: deliver one pending event, ask for the windows that
 * let the others in. As KVM, an interrupt queued by KVM_INTERRUPT (user
 * space saw the guest ready) goes in at the next entry, whatever IF says.
 * Returns true if an event went in and another waits: the caller makes
 * the entry exit at once, so the next one follows without delay.
 */
bool khv_inject_events(struct khv_vcpu *vcpu, bool want_window)
{
	/*
	 * KVM_GUESTDBG_BLOCKIRQ: user space steps without the guest's NMIs
	 * and interrupts; as KVM, one KVM_INTERRUPT queued still goes in.
	 */
	bool blocked = vcpu->guest_debug & KVM_GUESTDBG_BLOCKIRQ;
	bool injected = false, apic_irq = false, apic_none = false;
	bool in_flight, allowed;
	int v;

	/* clear first: an event that comes after this is seen at entry */
	if (vcpu->apic) {
		clear_bit(KHV_REQ_EVENT, &vcpu->requests);
		smp_mb__after_atomic();
	}
	/* khv_interrupt_allowed(), asked of the backend once per entry */
	in_flight = khv_ops->event_in_flight(vcpu);
	allowed = !in_flight && khv_interrupts_open(vcpu);
	if (!in_flight) {
		if (vcpu->irq_pending) {
			trace_khv_inj_irq(vcpu->id, vcpu->irq_vector);
			vcpu->stat.irq_injections++;
			khv_ops->inject_irq(vcpu, vcpu->irq_vector);
			vcpu->irq_pending = false;
			injected = true;
		} else if (!blocked && vcpu->nmi_pending && khv_nmi_allowed(vcpu)) {
			khv_ops->inject_nmi(vcpu);
			vcpu->stat.nmi_injections++;
			vcpu->nmi_pending = false;
			vcpu->nmi_masked = true;
			injected = true;
		} else if (!blocked && vcpu->apic && allowed) {
			v = khv_vlapic_next_irq(vcpu, true);
			if (v >= 0) {
				trace_khv_inj_irq(vcpu->id, v);
				vcpu->stat.irq_injections++;
				khv_ops->inject_irq(vcpu, v);
				injected = true;
			} else {
				apic_none = true;
			}
		}
	}
	/* what went in is in flight: no other can be taken at this entry */
	if (injected) {
		in_flight = true;
		allowed = false;
	}
	/*
	 * The in-kernel LAPIC or PIC has one the guest cannot take yet. Not
	 * looked for again when the look above found none: one arriving
	 * since sets KHV_REQ_EVENT, and khv_enter() sees that.
	 */
	if (vcpu->apic && !blocked && !apic_none)
		apic_irq = khv_vlapic_next_irq(vcpu, false) >= 0;
	/*
	 * Rather than exit when the guest's IF=0 or shadow ends, to inject
	 * then, offer the LAPIC's vector to the CPU (SVM's V_IRQ): delivered
	 * when the guest can take it, acknowledged after the next exit
	 * (khv_vlapic_offer_done()). Only with nothing else on the way, no
	 * window user space waits for and no NMI first.
	 */
	if (apic_irq && !injected && !want_window && !vcpu->irq_pending &&
	    !vcpu->nmi_pending && !allowed && !in_flight) {
		v = khv_vlapic_offer_vector(vcpu);
		if (v >= 0 && khv_ops->offer_irq(vcpu, v))
			vcpu->irq_offer = v;
	}
	khv_ops->want_irq_window(vcpu, (want_window || apic_irq) &&
				 vcpu->irq_offer < 0 && !allowed);
	khv_ops->want_nmi_window(vcpu, vcpu->nmi_masked && !vcpu->nmi_iret_wait);
	/*
	 * As KVM: a TPR-blocked interrupt makes CR8 writes exit; so does an
	 * offered one, whose delivery the CPU does not weigh against the TPR.
	 */
	if (vcpu->apic)
		khv_ops->want_cr8_exit(vcpu, vcpu->irq_offer >= 0 ||
				       khv_vlapic_tpr_blocks(vcpu));
	return injected && (vcpu->irq_pending || vcpu->nmi_pending || apic_irq);
}

/* KVM_INTERRUPT without an in-kernel irqchip: queue one external vector. */
long khv_vcpu_interrupt(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, (void __user *)arg, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= 256)
		return -EINVAL;
	vcpu->irq_pending = true;	/* a second one replaces it, as KVM */
	vcpu->irq_vector = irq.irq;
	return 0;
}

long khv_vcpu_nmi(struct khv_vcpu *vcpu, unsigned long arg)
{
	vcpu->nmi_pending = true;
	return 0;
}

void khv_events_get(struct khv_vcpu *vcpu, struct kvm_vcpu_events *e)
{
	int queued = khv_ops->queued_irq(vcpu, false);

	memset(e, 0, sizeof(*e));
	e->interrupt.injected = vcpu->irq_pending || queued >= 0;
	e->interrupt.nr = vcpu->irq_pending ? vcpu->irq_vector :
			  queued >= 0 ? queued : 0;
	e->interrupt.shadow = khv_ops->interrupt_shadow(vcpu);
	e->nmi.pending = vcpu->nmi_pending;
	e->nmi.masked = vcpu->nmi_masked;
	e->flags = KVM_VCPUEVENT_VALID_SHADOW;
}

long khv_vcpu_get_events(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vcpu_events e;

	khv_events_get(vcpu, &e);
	return copy_to_user((void __user *)arg, &e, sizeof(e)) ? -EFAULT : 0;
}

#define KHV_EVENT_FLAGS	(KVM_VCPUEVENT_VALID_NMI_PENDING | \
			 KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
			 KVM_VCPUEVENT_VALID_SHADOW)

/* @e is the caller's own copy, read from user memory once. */
int khv_events_set(struct khv_vcpu *vcpu, const struct kvm_vcpu_events *e)
{
	if (e->flags & ~KHV_EVENT_FLAGS)
		return -EINVAL;
	/* khv holds no exception for user space to see or set */
	if (e->exception.injected || e->exception.pending)
		return -EINVAL;
	/* the state given replaces whatever khv had queued */
	khv_ops->queued_irq(vcpu, true);
	vcpu->irq_pending = e->interrupt.injected;
	vcpu->irq_vector = e->interrupt.nr;
	if (e->flags & KVM_VCPUEVENT_VALID_SHADOW)
		khv_ops->set_interrupt_shadow(vcpu, e->interrupt.shadow);
	if (e->flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		vcpu->nmi_pending = e->nmi.pending;
	vcpu->nmi_masked = e->nmi.masked;
	vcpu->nmi_iret_wait = false;
	return 0;
}

long khv_vcpu_set_events(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_vcpu_events e;

	if (copy_from_user(&e, (void __user *)arg, sizeof(e)))
		return -EFAULT;
	return khv_events_set(vcpu, &e);
}

/*
 * With an in-kernel LAPIC, INIT and SIPI messages that arrived are acted
 * on first, as KVM does, so the state read is the one the vCPU would run
 * with (SIPI_RECEIVED is never read back).
 */
long khv_vcpu_get_mp_state(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_mp_state mp;

	if (vcpu->apic)
		khv_vlapic_sync_requests(vcpu);
	mp.mp_state = vcpu->mp_state;
	return copy_to_user((void __user *)arg, &mp, sizeof(mp)) ? -EFAULT : 0;
}

/*
 * Without an in-kernel APIC only RUNNABLE exists, as in KVM. With one,
 * the states x86 has: SIPI_RECEIVED means "wait for SIPI, one came".
 * khv refuses the other architectures' states, which KVM would take and
 * then never run the vCPU.
 */
long khv_vcpu_set_mp_state(struct khv_vcpu *vcpu, unsigned long arg)
{
	struct kvm_mp_state mp;

	if (copy_from_user(&mp, (void __user *)arg, sizeof(mp)))
		return -EFAULT;
	if (mp.mp_state == KVM_MP_STATE_RUNNABLE) {
		vcpu->mp_state = mp.mp_state;
		return 0;
	}
	if (!vcpu->apic || mp.mp_state > KVM_MP_STATE_SIPI_RECEIVED)
		return -EINVAL;
	if (mp.mp_state == KVM_MP_STATE_SIPI_RECEIVED) {
		vcpu->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		khv_vlapic_latch_sipi(vcpu, vcpu->sipi_vector);
		return 0;
	}
	vcpu->mp_state = mp.mp_state;
	return 0;
}
