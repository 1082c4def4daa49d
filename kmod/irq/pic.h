/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's two cascaded 8259A interrupt controllers as a pure state
 * machine (see khv_pure.h), as KVM's KVM_CREATE_IRQCHIP models them: the
 * master at ports 0x20/0x21, the slave at 0xa0/0xa1, the slave's INT
 * wired to the master's IR2, and the chipset's edge/level control
 * registers (ELCR, PIIX3 style) at 0x4d0 (master) and 0x4d1 (slave). No
 * locks, no vCPUs: the glue holds the VM's irqchip lock, kicks the vCPU
 * that takes ExtINT when khv_pic_output() rises and runs the INTA cycle
 * (khv_pic_ack) when that vCPU takes the interrupt.
 *
 * What is emulated (8259A datasheet; KVM's choices where it is silent)
 *   - Initialization: ICW1 (port A0 = 0 with bit 4 set) starts it: the
 *     edge detectors forget the inputs' past (an edge input must rise
 *     again), IMR, rotation, special mask mode and the read-register
 *     choice are cleared, the chip waits for ICW2 (vector base: bits 7:3),
 *     ICW3 (cascade; skipped if ICW1's SNGL bit is set), ICW4 if ICW1's
 *     IC4 bit asked for it (SFNM bit 4, AEOI bit 1; without ICW4 both are
 *     0). ISR and the requests of level inputs survive it; requests of
 *     edge inputs are dropped. ICW1's LTIM bit is ignored: on a PC the
 *     ELCR decides (Intel's PIIX/ICH datasheets: LTIM is disabled there),
 *     and so does KVM. ADI and the 8085 mode of ICW4 do not apply to x86.
 *     The wiring is fixed: ICW3's value, the M/S and BUF bits change
 *     nothing.
 *   - OCW1: IMR. OCW2: non-specific EOI, specific EOI, rotate on
 *     non-specific / specific EOI, set priority, rotate in automatic EOI
 *     mode set / clear. OCW3: read IRR or ISR on the next read of port
 *     A0 = 0, poll (the next read of either port is an interrupt
 *     acknowledge of that chip and returns 0x80 | level, or 0x07 when
 *     nothing is requested: KVM's value, the datasheet says only that
 *     bit 7 is clear), special mask mode set / reset.
 *   - Priority: fully nested with rotation (priority_add is the level
 *     with the highest priority); special fully nested mode on the
 *     master (a slave request gets through while IR2 is in service);
 *     special mask mode (a masked level in service does not hold back
 *     lower levels, the datasheet's meaning: KVM ignores the mode).
 *   - Inputs: edge-triggered by default, level-triggered when the ELCR
 *     bit is set. IRQ 0, 1, 2, 8 and 13 cannot be level (the ELCR bits
 *     are read-only zero: masks 0xf8 and 0xde). An edge input latches its
 *     request until acknowledged; a level input's request follows the
 *     input, and is not cleared by the acknowledge. The slave's INT is
 *     latched into the master's IRR bit 2 whenever it is up.
 *   - INTA (khv_pic_ack): the master's highest request is put in
 *     service (and cleared if edge); for IR2 the slave does the same and
 *     gives the vector. With nothing left to give (the request went
 *     away, or was masked, after INT rose) the chip answers IR7 without
 *     setting ISR: the spurious vectors base + 7 of the master, or of the
 *     slave with the master's IR2 in service. AEOI ends the interrupt at
 *     once, rotating if asked to.
 *   - Power-on state: what KVM_GET_IRQCHIP reports after
 *     KVM_CREATE_IRQCHIP: everything 0 (vector base 0, IMR 0, ELCR 0),
 *     elcr_mask 0xf8 / 0xde. A real 8259A is undefined until ICW1.
 *
 * What is not
 *   - The buffered mode, the 8080/8085 mode, cascading beyond one slave.
 *   - Single mode is only honoured for the ICW sequence: struct
 *     kvm_pic_state has no field for it, so KVM_SET_IRQCHIP resets it to
 *     cascade (a PC board is always cascaded; KVM ignores SNGL and always
 *     waits for ICW3).
 *
 * Where this differs from KVM's in-kernel PIC (all guest-visible only to
 * guests that use these features, and all toward the datasheet):
 *   - a poll read sets ISR as an INTA does (KVM clears it);
 *   - special mask mode is honoured;
 *   - ICW1 with SNGL skips ICW3.
 */
#ifndef KHV_PIC_H
#define KHV_PIC_H

#include "khv_pure.h"
#include <linux/kvm.h>		/* struct kvm_pic_state */

#define KHV_PIC_NUM_PINS	16
#define KHV_PIC_ELCR_MASK_MASTER 0xf8
#define KHV_PIC_ELCR_MASK_SLAVE	0xde
#define KHV_PIC_CASCADE_IRQ	2

struct khv_pic {
	/*
	 * 0 master (0x20/0x21, ELCR 0x4d0), 1 slave (0xa0/0xa1, ELCR 0x4d1),
	 * cascade on master IRQ2. last_irr holds each input's level as last
	 * seen (edge detection).
	 */
	struct kvm_pic_state chip[2];
	/* ICW1 said single mode: the next ICW2 is not followed by ICW3 */
	bool single[2];
	/*
	 * IRQs (bit n = IRQ n, 8-15 the slave's) whose in-service bit an EOI
	 * (any kind, or AEOI) has cleared, or whose edge request ICW1
	 * dropped, since the glue last looked: KVM's ack notifiers (the
	 * PIT's reinjection counts its interrupts out by them). The glue
	 * reads and zeroes it after each call that can EOI: khv_pic_write,
	 * khv_pic_read (poll), khv_pic_ack.
	 */
	u16 acked;
};

/* The power-on state (KVM_CREATE_IRQCHIP's). */
void khv_pic_reset(struct khv_pic *p);

/*
 * Input @irq (0-7 master, 8-15 slave) is now at @level. The glue ORs the
 * levels of all sources driving the pin first. Returns what KVM's
 * KVM_IRQ_LINE_STATUS says for the PIC: -1 if the input is masked in IMR
 * (whatever else happened), else 0 if it was an assertion (a rising
 * edge, or a level input asserted) that found its request already in
 * IRR (coalesced), else 1 (a new request, and also every deassertion and
 * an edge input asserted again while still high, as KVM). -EINVAL for
 * @irq >= 16 (nothing changes).
 */
int khv_pic_set_irq(struct khv_pic *p, u32 irq, bool level);

/* The master's INT output (to the BSP's LINT0 / ExtINT). */
bool khv_pic_output(const struct khv_pic *p);

/*
 * The INTA cycle: returns the vector the CPU gets (spurious IRQ7 / IRQ15
 * as the 8259A gives them when nothing is left to acknowledge) and
 * updates IRR / ISR, with automatic EOI if programmed. The glue calls it
 * only when it takes the interrupt; called with the output low it
 * answers the master's spurious vector, as an 8259A would.
 */
int khv_pic_ack(struct khv_pic *p);

/*
 * One-byte guest accesses to 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1; any
 * other port: -EINVAL, nothing done, *@val untouched. A read can change
 * state (poll). The glue passes accesses of other sizes to
 * khv_pic_pio_read/write below.
 */
int khv_pic_read(struct khv_pic *p, u16 port, u8 *val);
int khv_pic_write(struct khv_pic *p, u16 port, u8 val);
/*
 * Accesses of any size @len to the PIC's ports, as KVM treats them: the
 * registers are bytes, and a wider (or empty) access is dropped: a read
 * gives 0 with no side effect (no poll acknowledge), a write does
 * nothing. -EINVAL for a port not the PIC's.
 */
int khv_pic_pio_read(struct khv_pic *p, u16 port, u8 len, u32 *val);
int khv_pic_pio_write(struct khv_pic *p, u16 port, u8 len, u32 val);

/* KVM_GET_IRQCHIP: @chip 0 master, 1 slave; any other gives zeros. */
void khv_pic_get_state(const struct khv_pic *p, int chip,
		       struct kvm_pic_state *s);
/*
 * KVM_SET_IRQCHIP. KVM copies any bytes; here values no 8259A can hold
 * are refused with -EINVAL and nothing changes: init_state above 3,
 * priority_add above 7, vector base with bits 2:0 set, any of the flag
 * fields (read_reg_select, poll, special_mask, auto_eoi,
 * rotate_on_auto_eoi, special_fully_nested_mode, init4) above 1, @chip
 * not 0 or 1. The ELCR's read-only bits are a property of the chipset,
 * not state: elcr_mask is kept at 0xf8 / 0xde whatever is passed, and
 * elcr is masked with it (the rule a guest's ELCR write follows).
 */
int khv_pic_set_state(struct khv_pic *p, int chip,
		      const struct kvm_pic_state *s);

#endif /* KHV_PIC_H */
