/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel IOAPIC as a pure state machine (see khv_pure.h): an
 * 82093AA-style IOAPIC with 24 pins, version 0x11, as KVM's
 * KVM_CREATE_IRQCHIP models it, and the decoding of MSIs into interrupt
 * messages. No locks, no timers, no vCPUs here: the glue (irqchip.c) holds
 * the VM's irqchip lock around every call, delivers the messages these
 * functions return and runs the one timer the storm guard below asks for.
 *
 * What is emulated
 *   - IOREGSEL at offset 0x00 and IOWIN at 0x10 of the MMIO window, and
 *     through them the ID (index 0x00, bits 27:24 writable), version
 *     (0x01, reads 0x00170011: 24 entries, version 0x11), arbitration
 *     (0x02, reads the ID as KVM does; writes ignored) and the 24
 *     redirection entries at 0x10 + 2n (low dword) / 0x11 + 2n (high).
 *     An index with no register reads all ones and ignores writes, as KVM.
 *     Only these two exact offsets decode: any other offset in the window
 *     reads 0 and ignores writes, which is what KVM does for the 0x100
 *     bytes it claims (KHV_IOAPIC_MMIO_LEN). A byte or word access at 0x00
 *     or 0x10 reads the low bytes of the register and writes the whole
 *     register with the value zero-extended; an 8-byte access reads the
 *     register zero-extended and writes its low dword (KVM's behaviour;
 *     the 82093AA itself wants dword accesses). Other lengths read 0 and
 *     write nothing.
 *   - Redirection entries: every bit is stored as written (KVM keeps the
 *     reserved bits too, and a guest reads them back), except delivery
 *     status (bit 12, always 0: delivery here is instantaneous) and remote
 *     IRR (bit 14), which writes do not change. Making an entry
 *     edge-triggered clears its remote IRR: Linux and Xen rely on that to
 *     unstick a level interrupt on IOAPICs without an EOI register.
 *   - Pins: the input level of each pin is the irr field of
 *     struct kvm_ioapic_state. Polarity (bit 13) is stored and ignored:
 *     the level passed to khv_ioapic_set_irq() is "asserted", as in KVM.
 *     An edge-triggered pin sends a message on a rising edge when
 *     unmasked; an edge that arrives while masked is lost (82093AA and
 *     KVM alike). A level-triggered pin sends when asserted, unmasked and
 *     remote IRR is clear, and then sets remote IRR; the local APIC's EOI
 *     of the vector (khv_ioapic_eoi) clears it and, if the pin is still
 *     asserted, sends again. Unmasking (any write to the entry, in fact)
 *     of a level pin that is asserted with remote IRR clear sends too.
 *   - KVM_GET/SET_IRQCHIP (struct kvm_ioapic_state): get reports irr
 *     without the edge pins whose current assertion was already
 *     delivered, so that set, which re-asserts every pin in irr, does not
 *     deliver those twice (KVM does the same).
 *
 * What is not
 *   - The EOI register at 0x40: it exists only from version 0x20 on;
 *     KVM's IOAPIC, version 0x11, has none, and neither has this one.
 *     Guests EOI through the local APIC (or rewrite the entry as edge).
 *   - Extended destination IDs in redirection entries: KVM's IOAPIC
 *     takes the 8-bit destination of bits 63:56 only.
 *   - KVM's RTC special case for KVM_IRQ_LINE_STATUS on pin 8 (tracking
 *     which vCPUs have not yet EOI'd the last RTC interrupt, to report
 *     coalescing to the RTC emulation): it needs the set of vCPUs a
 *     message reached, which only the glue knows. Pin 8 behaves as any
 *     edge pin here.
 *   - irqfd resamplers on unmask (KVM drops the stale level of a pin that
 *     has a resampler instead of re-sending it): khv has no resampler.
 *   - Interrupt remapping (MSI address bit 4): decoded as compatibility
 *     format, as KVM does without an IOMMU.
 *
 * Messages: every function that can make messages writes them to a
 * caller's array and returns how many. An array of KHV_IOAPIC_MAX_MSGS
 * entries never runs out (each pin sends at most once per call); when a
 * smaller one does, the pins that did not fit are left in ->pending and
 * khv_ioapic_flush() sends them later.
 */
#ifndef KHV_IOAPIC_H
#define KHV_IOAPIC_H

#include "khv_pure.h"
#include <linux/kvm.h>		/* struct kvm_ioapic_state, KVM_IOAPIC_NUM_PINS */
#include "irq_msg.h"

#define KHV_IOAPIC_DEFAULT_BASE	0xfec00000ULL
/* The MMIO bytes the IOAPIC claims from its base, as KVM (0x100). */
#define KHV_IOAPIC_MMIO_LEN	0x100
#define KHV_IOAPIC_MAX_MSGS	KVM_IOAPIC_NUM_PINS

/* MMIO offsets and indirect register indices */
#define KHV_IOAPIC_IOREGSEL	0x00
#define KHV_IOAPIC_IOWIN	0x10
#define KHV_IOAPIC_REG_ID	0x00
#define KHV_IOAPIC_REG_VERSION	0x01
#define KHV_IOAPIC_REG_ARB	0x02
#define KHV_IOAPIC_REG_REDTBL	0x10
#define KHV_IOAPIC_VERSION	0x11
/* version register: maximum redirection entry (23) in 23:16, version */
#define KHV_IOAPIC_VERSION_REG	((u32)(KVM_IOAPIC_NUM_PINS - 1) << 16 | \
				 KHV_IOAPIC_VERSION)

/* Redirection entry bits */
#define KHV_IOAPIC_RTE_VECTOR		0xffULL
#define KHV_IOAPIC_RTE_DM_SHIFT		8
#define KHV_IOAPIC_RTE_DM_MASK		(7ULL << 8)
#define KHV_IOAPIC_RTE_LOGICAL		BIT_ULL(11)
#define KHV_IOAPIC_RTE_DELIVS		BIT_ULL(12)	/* read-only */
#define KHV_IOAPIC_RTE_POLARITY		BIT_ULL(13)
#define KHV_IOAPIC_RTE_REMOTE_IRR	BIT_ULL(14)	/* read-only */
#define KHV_IOAPIC_RTE_LEVEL		BIT_ULL(15)
#define KHV_IOAPIC_RTE_MASKED		BIT_ULL(16)
#define KHV_IOAPIC_RTE_DEST_SHIFT	56

/*
 * EOIs that find a level pin still asserted and send it again, in a row,
 * before the storm guard holds the next one back (KVM's count).
 */
#define KHV_IOAPIC_STORM_EOIS	10000
/* How long the glue holds it back, in microseconds (KVM: HZ / 100). */
#define KHV_IOAPIC_STORM_DELAY_US	10000

struct khv_ioapic {
	/*
	 * ioregsel, id, irr (pin levels asserted), redirtbl[24] with remote
	 * IRR (bit 14) and delivery status (bit 12), base_address.
	 * base_address is kept for KVM_GET/SET_IRQCHIP only: the glue
	 * decides where the window is.
	 */
	struct kvm_ioapic_state s;
	/* edge pins whose current assertion has been sent */
	u32 irr_delivered;
	/* pins owed a delivery attempt: khv_ioapic_flush() makes it */
	u32 pending;
	/*
	 * Level pins the storm guard held back. When khv_ioapic_eoi() or
	 * khv_ioapic_eoi_pins() leaves this non-zero, the glue arms a timer
	 * of KHV_IOAPIC_STORM_DELAY_US and, when it fires, calls
	 * khv_ioapic_eoi_deferred() under the lock. Reset and set_state
	 * clear it; the glue then cancels the timer (or lets a late
	 * khv_ioapic_eoi_deferred() find nothing to do, which is harmless).
	 */
	u32 deferred;
	/*
	 * The pin the last message of khv_ioapic_set_irq() or
	 * khv_ioapic_mmio_write() came from, for khv_ioapic_delivered().
	 */
	u8 last_pin;
	/* successive EOIs that re-sent each pin (the storm guard's count) */
	u16 eoi_resent[KVM_IOAPIC_NUM_PINS];
};

/* Power-on state as KVM_CREATE_IRQCHIP leaves it: every entry masked. */
void khv_ioapic_reset(struct khv_ioapic *io);

/*
 * A pin's input changed (KVM_IRQ_LINE, irqfd, PIT). The glue ORs the
 * levels of all sources driving the pin first (KVM's irq_source_id) and
 * passes the result. Returns 1 and fills *@msg if a message goes out now
 * (remote IRR of a level pin is then already set, see
 * khv_ioapic_delivered), 0 if not, -EINVAL for a pin >= 24 (nothing
 * changes). *@coalesced (may be NULL) is true when the assertion merged
 * with one still pending: an edge pin asserted again while its input is
 * still high. KVM_IRQ_LINE_STATUS then reports 0. KVM reports the other
 * cases as:
 *   level false                          1 (whatever the entry says)
 *   returned 1                           the delivery's result: how many
 *                                        local APICs took it, -1 if none
 *                                        was addressed
 *   returned 0, !*coalesced, level true  -1 (masked, or a level pin whose
 *                                        remote IRR is still set: KVM
 *                                        says -1 there, not 0)
 */
int khv_ioapic_set_irq(struct khv_ioapic *io, u32 pin, bool level,
		       struct khv_irq_msg *msg, bool *coalesced);

/*
 * The glue reports how the delivery of a level pin's message went: KVM
 * sets remote IRR when its delivery returned non-zero, so a message that
 * reached local APICs none of which took it (a software-disabled APIC:
 * result 0) leaves remote IRR clear and the pin sends again on its next
 * assertion or EOI. Call with the pin the message came from (the pin
 * passed to set_irq, ->last_pin after mmio_write, pins[] of the others)
 * and the delivery's result; a result other than 0 changes nothing.
 * Ignores pins >= 24 and edge pins.
 */
void khv_ioapic_delivered(struct khv_ioapic *io, u32 pin, int result);

/*
 * Guest MMIO at @offset from the base (0..KHV_IOAPIC_MMIO_LEN - 1 is the
 * IOAPIC's; anything else reads 0 and ignores writes). @len 1, 2, 4, 8.
 * A write may make a message (an unmasked, asserted level pin with
 * remote IRR clear): then mmio_write returns 1 and fills *@msg, else 0.
 */
u64 khv_ioapic_mmio_read(struct khv_ioapic *io, u32 offset, u8 len);
int khv_ioapic_mmio_write(struct khv_ioapic *io, u32 offset, u8 len, u64 val,
			  struct khv_irq_msg *msg);

/*
 * A local APIC EOI'd level-triggered @vector (its TMR bit was set; the
 * glue does not call this when the LAPIC suppresses EOI broadcasts,
 * SVR bit 12, as KVM). Every level entry with that vector gets remote
 * IRR cleared; those still asserted and unmasked send again: up to @max
 * messages into @msgs (the rest wait in ->pending), returns how many.
 *
 * The storm guard: a guest that EOIs a level interrupt without quieting
 * the device gets it again at once, forever. Real IOAPICs do not
 * re-deliver at once during the EOI broadcast, so such a guest still
 * makes progress there; KVM emulates that by counting successive EOIs
 * that re-send a pin and, at the KHV_IOAPIC_STORM_EOIS-th, holding the
 * interrupt back for 10 ms instead. Same here: the pin goes to
 * ->deferred (see there) and its count restarts. An EOI that finds the
 * pin deasserted or masked restarts the count too.
 */
int khv_ioapic_eoi(struct khv_ioapic *io, u8 vector, struct khv_irq_msg *msgs,
		   int max);
/* The same, with the pin of each message in @pins (may be NULL). */
int khv_ioapic_eoi_pins(struct khv_ioapic *io, u8 vector,
			struct khv_irq_msg *msgs, u8 *pins, int max);
/*
 * The storm guard's timer fired: every level pin asserted, unmasked and
 * with remote IRR clear sends (KVM services them all, not only the
 * deferred ones). Clears ->deferred. Returns the number of messages.
 */
int khv_ioapic_eoi_deferred(struct khv_ioapic *io, struct khv_irq_msg *msgs,
			    u8 *pins, int max);
/*
 * Send what ->pending owes: after khv_ioapic_set_state() (which re-asserts
 * the restored pins, as KVM's KVM_SET_IRQCHIP does) and after a call
 * whose array was too small. Returns the number of messages.
 */
int khv_ioapic_flush(struct khv_ioapic *io, struct khv_irq_msg *msgs,
		     u8 *pins, int max);

/* Pins whose entry has @vector, whatever their trigger (ack notifiers). */
u32 khv_ioapic_vector_pins(const struct khv_ioapic *io, u8 vector);

/* KVM_GET_IRQCHIP */
void khv_ioapic_get_state(const struct khv_ioapic *io,
			  struct kvm_ioapic_state *s);
/*
 * KVM_SET_IRQCHIP. KVM takes any bytes; values no IOAPIC can hold are
 * refused here with -EINVAL and nothing changes: ioregsel above 0xff
 * (IOREGSEL is an 8-bit register), an ID above 0xf (4 bits).
 * Pins >= 24 in irr are dropped, delivery status is cleared, remote IRR
 * of edge entries too (neither can be set by the guest or by KVM);
 * base_address is kept as given. Then every pin in irr is asserted again
 * from a low level: the resulting messages are owed in ->pending, for
 * khv_ioapic_flush(). The storm guard's state is cleared.
 */
int khv_ioapic_set_state(struct khv_ioapic *io,
			 const struct kvm_ioapic_state *s);

/*
 * An MSI (KVM_SIGNAL_MSI, an MSI routing entry, a device's MSI write):
 * address bits 19:12 destination, bit 3 redirection hint, bit 2 logical;
 * data bits 7:0 vector, 10:8 delivery mode, 15 level-triggered.
 *   @x2apic_api: KVM_CAP_X2APIC_API's format, where address_hi bits 31:8
 *   are destination bits 31:8 and bits 7:0 must be 0 (KVM returns -EINVAL
 *   otherwise, and so does this); without it address_hi is ignored and
 *   the destination has 8 bits.
 *   Address bits 11:5 are never destination bits: the guest's extended
 *   destination ID (KVM_FEATURE_MSI_EXT_DEST_ID) is the VMM's to move
 *   into address_hi before the ioctl, as KVM 6.1 and 6.12 leave it.
 *   The redirection hint with logical destination makes a fixed message
 *   lowest-priority: the SDM's "redirect to the lowest-priority processor
 *   of the logical group"; with physical destination it changes nothing.
 *   msg->assert is always set and msg->x2apic is @x2apic_api.
 * Returns 0, or -EINVAL for an address outside 0xfee00000-0xfeefffff
 * (not an interrupt message: KVM does not check and decodes the bits
 * anyway) or reserved address_hi bits under @x2apic_api.
 */
int khv_msi_to_msg(u32 address_lo, u32 address_hi, u32 data, bool x2apic_api,
		   struct khv_irq_msg *msg);

#endif /* KHV_IOAPIC_H */
