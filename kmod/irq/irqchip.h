/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel interrupt controllers, as the core sees them.
 *
 * A VM gets them with KVM_CREATE_IRQCHIP (a local APIC per vCPU, an
 * IOAPIC and the 8259 pair) or KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)
 * (local APICs only; the IOAPIC and PIC stay in user space), before any
 * vCPU exists, as KVM requires. KVM_CREATE_PIT2 adds the 8254.
 *
 * The register-level behaviour lives in pure files (lapic.c, ioapic.c,
 * pic.c, pit.c, unit-tested on the host); the files here add locks,
 * timers, routing and delivery to vCPUs:
 *   irqchip.c  the VM's IOAPIC and PIC, GSI routing, message delivery,
 *              the VM ioctls
 *   vlapic.c   a vCPU's local APIC: MMIO/MSR access, timer, injection,
 *              INIT/SIPI, HLT in the kernel, the vCPU ioctls
 *   vpit.c     the PIT and its tick
 *
 * Locks: khv_irqchip.lock (IOAPIC, PIC) may be held while taking a
 * vlapic's lock (delivery), never the other way round: a LAPIC's EOI is
 * passed to the IOAPIC after its lock is dropped. Both are irq-safe
 * spinlocks: timers deliver from hard interrupt context.
 */
#ifndef KHV_IRQCHIP_H
#define KHV_IRQCHIP_H

#include <linux/types.h>

struct khv_vm;
struct khv_vcpu;
struct khv_irq_msg;
struct kvm_enable_cap;

enum khv_irqchip_mode {
	KHV_IRQCHIP_NONE,	/* user space does it all (KVM_INTERRUPT) */
	KHV_IRQCHIP_KERNEL,	/* KVM_CREATE_IRQCHIP */
	KHV_IRQCHIP_SPLIT,	/* KVM_CAP_SPLIT_IRQCHIP */
};

/* Interrupt sources whose levels an irqchip pin ORs (as KVM's). */
enum khv_irq_source {
	KHV_IRQ_SRC_USER,	/* KVM_IRQ_LINE, irqfd */
	KHV_IRQ_SRC_PIT,
	KHV_IRQ_SRC_RESAMPLE,	/* resampled irqfds, until the EOI */
	KHV_IRQ_SRC_NR,
};

/* irqchip.c: VM ioctls and lifetime */
long khv_vm_create_irqchip(struct khv_vm *vm, unsigned long arg);
long khv_vm_enable_split_irqchip(struct khv_vm *vm, u64 nr_pins);
long khv_vm_irq_line(struct khv_vm *vm, unsigned long arg, bool status);
long khv_vm_set_gsi_routing(struct khv_vm *vm, unsigned long arg);
long khv_vm_signal_msi(struct khv_vm *vm, unsigned long arg);
long khv_vm_get_irqchip(struct khv_vm *vm, unsigned long arg);
long khv_vm_set_irqchip(struct khv_vm *vm, unsigned long arg);
void khv_irqchip_destroy(struct khv_vm *vm);

/* irqchip.c: delivery, for the other files here and the eventfds */
int khv_irq_set_gsi(struct khv_vm *vm, int src, u32 gsi, bool level);
int khv_irq_deliver(struct khv_vm *vm, const struct khv_irq_msg *m,
		    struct khv_vcpu *sender);
void khv_irq_eoi(struct khv_vcpu *vcpu, u8 vector, bool level);
bool khv_irq_eoi_wanted(struct khv_vm *vm, u8 vector);
bool khv_irqchip_pio(struct khv_vcpu *vcpu, u16 port, u8 size, bool in,
		     u32 *val);
bool khv_irqchip_mmio(struct khv_vcpu *vcpu, u64 gpa, u8 len, bool write,
		      void *data);
int khv_irqchip_extint(struct khv_vcpu *vcpu, bool ack);

/* vlapic.c: per vCPU */
int khv_vlapic_create(struct khv_vcpu *vcpu);
void khv_vlapic_free(struct khv_vcpu *vcpu);
bool khv_vlapic_mmio(struct khv_vcpu *vcpu, u64 gpa, u8 len, bool write,
		     void *data);
int khv_vlapic_rdmsr(struct khv_vcpu *vcpu, u32 msr, u64 *data);
int khv_vlapic_wrmsr(struct khv_vcpu *vcpu, u32 msr, u64 data, bool host);
void khv_vlapic_set_cmci(struct khv_vcpu *vcpu, bool cmci);
void khv_vlapic_cmci(struct khv_vcpu *vcpu);
int khv_vlapic_accept(struct khv_vcpu *vcpu, const struct khv_irq_msg *m);
bool khv_vlapic_match(struct khv_vcpu *vcpu, const struct khv_irq_msg *m,
		      bool self);
int khv_vlapic_before_entry(struct khv_vcpu *vcpu);
void khv_vlapic_after_exit(struct khv_vcpu *vcpu);
bool khv_vlapic_quiet_after_exit(struct khv_vcpu *vcpu);
void khv_vlapic_pv_eoi_before_entry(struct khv_vcpu *vcpu);
void khv_vlapic_pv_eoi_after_exit(struct khv_vcpu *vcpu);
bool khv_vlapic_has_events(struct khv_vcpu *vcpu);
bool khv_vlapic_tpr_blocks(struct khv_vcpu *vcpu);
void khv_vlapic_hlt(struct khv_vcpu *vcpu);
int khv_vlapic_next_irq(struct khv_vcpu *vcpu, bool ack);
int khv_vlapic_offer_vector(struct khv_vcpu *vcpu);
void khv_vlapic_offer_done(struct khv_vcpu *vcpu);
bool khv_vlapic_accept_extint(struct khv_vcpu *vcpu);
void khv_vlapic_cpuid_changed(struct khv_vcpu *vcpu);
void khv_vlapic_sync_requests(struct khv_vcpu *vcpu);
void khv_vlapic_latch_sipi(struct khv_vcpu *vcpu, u8 vector);
int khv_vm_enable_x2apic_api(struct khv_vm *vm, u64 flags);
long khv_vcpu_get_lapic(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_lapic(struct khv_vcpu *vcpu, unsigned long arg);
long khv_vcpu_set_vapic_addr(struct khv_vcpu *vcpu, unsigned long arg);
void khv_vcpu_event_kick(struct khv_vcpu *vcpu);

/* vpit.c */
long khv_vm_create_pit2(struct khv_vm *vm, unsigned long arg);
long khv_vm_get_pit2(struct khv_vm *vm, unsigned long arg);
long khv_vm_set_pit2(struct khv_vm *vm, unsigned long arg);
long khv_vm_get_pit(struct khv_vm *vm, unsigned long arg);
long khv_vm_set_pit(struct khv_vm *vm, unsigned long arg);
long khv_vm_reinject_control(struct khv_vm *vm, unsigned long arg);
bool khv_vpit_pio(struct khv_vm *vm, u16 port, u8 size, bool in, u32 *val);
bool khv_vpit_reinjecting(struct khv_vm *vm);
void khv_vpit_ack(struct khv_vm *vm);
void khv_vpit_unmasked(struct khv_vm *vm);
void khv_vpit_destroy(struct khv_vm *vm);

#endif /* KHV_IRQCHIP_H */
