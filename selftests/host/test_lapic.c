// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of kmod/irq/lapic.c, the local APIC. The expectations
 * come from the SDM's register descriptions (vol. 3 ch. 10: Tables 10-1
 * and 10-6, figures of ICR, LVT, TDCR, IA32_APIC_BASE, the x2APIC state
 * diagram) and from KVM's documented behaviour, written out here as
 * numbers, not computed with lapic.c's own helpers: reset values, every
 * register's bits in both modes, EOI/PPR/TPR ordering, ICR encodings,
 * destination matching, base MSR transitions, timer arithmetic,
 * KVM_GET/SET_LAPIC, and every MMIO offset and MSR with hostile values.
 */
#include <stdio.h>
#include <string.h>

#include "ksft.h"
#include "irq/lapic.h"

static struct khv_lapic la, lb;
static struct khv_lapic_action act;
static struct kvm_lapic_state st, st2;
static u64 now;

#define NO_TIMER	KHV_LAPIC_NO_TIMER

/* The page as stored, little-endian, independent of lapic.c's helpers. */
static u32 raw(const struct khv_lapic *l, u32 off)
{
	const u8 *p = &l->regs[off];

	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static u32 sraw(const struct kvm_lapic_state *s, u32 off)
{
	const u8 *p = (const u8 *)&s->regs[off];

	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static void sput(struct kvm_lapic_state *s, u32 off, u32 v)
{
	u8 *p = (u8 *)&s->regs[off];

	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static u32 rd(struct khv_lapic *l, u32 off)
{
	return (u32)khv_lapic_mmio_read(l, off, 4, now);
}

static void wr(struct khv_lapic *l, u32 off, u32 v)
{
	khv_lapic_mmio_write(l, off, 4, v, now, &act);
}

static u64 rdm(struct khv_lapic *l, u32 msr)
{
	u64 v = 0xdeadbeef;

	if (khv_lapic_rdmsr(l, msr, &v, now))
		return ~0ULL;
	return v;
}

static int wrm(struct khv_lapic *l, u32 msr, u64 v)
{
	return khv_lapic_wrmsr(l, msr, v, now, &act);
}

/* A zeroed LAPIC after RESET, software-enabled (SVR 0x1ff), at time 0. */
static void fresh(struct khv_lapic *l, u32 id, bool bsp)
{
	memset(l, 0, sizeof(*l));
	now = 0;
	khv_lapic_reset(l, id, bsp, true);
	wr(l, KHV_APIC_SVR, 0x1ff);
}

/* The same, switched to x2APIC mode through IA32_APIC_BASE. */
static int fresh_x2(struct khv_lapic *l, u32 id)
{
	fresh(l, id, false);
	CHECK(!khv_lapic_set_base(l, 0xfee00000ULL | 0xc00, 0, false, &act),
	      "entering x2APIC");
	CHECK(khv_lapic_x2apic_mode(l), "x2APIC mode");
	return KSFT_PASS;
}

static bool irr(const struct khv_lapic *l, u8 v)
{
	return raw(l, 0x200 + (v / 32) * 16) & (1U << (v % 32));
}

static bool isr(const struct khv_lapic *l, u8 v)
{
	return raw(l, 0x100 + (v / 32) * 16) & (1U << (v % 32));
}

static bool tmr(const struct khv_lapic *l, u8 v)
{
	return raw(l, 0x180 + (v / 32) * 16) & (1U << (v % 32));
}

/* SDM 10.4.7.1 and KVM's reset. */
static int t_reset(void)
{
	static const u32 lvts[] = { 0x320, 0x330, 0x340, 0x350, 0x360, 0x370 };
	u32 off;
	size_t i;

	memset(&la, 0, sizeof(la));
	khv_lapic_reset(&la, 3, false, false);
	CHECK(la.apic_base == 0xfee00800ULL, "base %#llx", (unsigned long long)la.apic_base);
	CHECK(raw(&la, 0x20) == 0x03000000, "ID %#x", raw(&la, 0x20));
	CHECK(raw(&la, 0x30) == 0x00050014, "version %#x", raw(&la, 0x30));
	CHECK(raw(&la, 0xe0) == 0xffffffff, "DFR");
	CHECK(raw(&la, 0xf0) == 0xff, "SVR %#x", raw(&la, 0xf0));
	for (i = 0; i < ARRAY_SIZE(lvts); i++)
		CHECK(raw(&la, lvts[i]) == 0x10000, "LVT %#x = %#x", lvts[i], raw(&la, lvts[i]));
	for (off = 0; off < 0x400; off += 0x10) {
		bool nonzero = off == 0x20 || off == 0x30 || off == 0xe0 || off == 0xf0 ||
			       (off >= 0x320 && off <= 0x370);

		if (!nonzero)
			CHECK(raw(&la, off) == 0, "%#x = %#x after reset", off, raw(&la, off));
	}
	for (off = 0; off < 0x400; off++)
		CHECK((off & 0xf) < 4 || !la.regs[off], "byte %#x", off);
	CHECK(la.timer_expire_ns == NO_TIMER && la.tsc_deadline == 0, "timer stopped");
	CHECK(khv_lapic_mmio_active(&la) && !khv_lapic_x2apic_mode(&la), "xAPIC mode");
	CHECK(khv_lapic_id(&la) == 3, "id");
	CHECK(!khv_lapic_accept_extint(&la), "LVT0 masked on an AP");

	/* the BSP: base bit 8, LVT0 ExtINT unmasked (KVM's LINT0 quirk) */
	memset(&la, 0, sizeof(la));
	khv_lapic_reset(&la, 0, true, true);
	CHECK(la.apic_base == 0xfee00900ULL, "BSP base");
	CHECK(raw(&la, 0x350) == 0x700, "BSP LVT0 %#x", raw(&la, 0x350));
	CHECK(khv_lapic_accept_extint(&la), "8259 to the BSP after reset");
	/* with the quirk disabled, the BSP's LVT0 is masked at reset and INIT */
	memset(&la, 0, sizeof(la));
	la.lint0_quirk_off = true;
	khv_lapic_reset(&la, 0, true, true);
	CHECK(raw(&la, 0x350) == 0x10000, "BSP LVT0 without the quirk %#x",
	      raw(&la, 0x350));
	la.lint0_quirk_off = false;
	khv_lapic_init_signal(&la);
	CHECK(raw(&la, 0x350) == 0x700, "BSP LVT0 after INIT with the quirk %#x",
	      raw(&la, 0x350));

	/* the xAPIC ID is the low 8 bits of vcpu_id */
	memset(&la, 0, sizeof(la));
	khv_lapic_reset(&la, 300, false, true);
	CHECK(raw(&la, 0x20) == 44U << 24, "ID of vcpu 300: %#x", raw(&la, 0x20));
	return KSFT_PASS;
}

struct mask_case {
	u32 off, val, want;
};

/* xAPIC: what each register keeps of a write (SDM Table 10-1, KVM). */
static int t_xapic_masks(void)
{
	static const struct mask_case cases[] = {
		{ 0x20, 0xffffffff, 0xff000000 },	/* ID 31:24 */
		{ 0x20, 0x12345678, 0x12000000 },
		{ 0x80, 0xffffffff, 0xff },		/* TPR 7:0 */
		{ 0xd0, 0xffffffff, 0xff000000 },	/* LDR 31:24 */
		{ 0xe0, 0x00000000, 0x0fffffff },	/* DFR 27:0 read as ones */
		{ 0xe0, 0xf0000000, 0xffffffff },
		{ 0xf0, 0xffffffff, 0x3ff },		/* SVR 9:0, no bit 12 offered */
		{ 0x310, 0xffffffff, 0xff000000 },	/* ICR2 31:24 */
		{ 0x320, 0xffffffff, 0x000710ff },	/* timer: mask, mode 18:17, status, vector */
		{ 0x330, 0xffffffff, 0x000117ff },	/* thermal: + delivery mode */
		{ 0x340, 0xffffffff, 0x000117ff },	/* PMC */
		{ 0x350, 0xffffffff, 0x0001f7ff },	/* LINT0: + polarity, remote IRR, trigger */
		{ 0x360, 0xffffffff, 0x0001f7ff },	/* LINT1 */
		{ 0x370, 0xffffffff, 0x000110ff },	/* error */
		{ 0x370, 0x000000e3, 0x000000e3 },
		{ 0x380, 0xffffffff, 0xffffffff },	/* TMICT */
		{ 0x3e0, 0xffffffff, 0x0000000b },	/* TDCR 3, 1:0 */
		{ 0x300, 0xffffffff, 0xffffefff },	/* ICR: all but delivery status */
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		fresh(&la, 1, false);
		khv_lapic_set_cpuid(&la, true, true, false, &act);
		wr(&la, cases[i].off, cases[i].val);
		CHECK(rd(&la, cases[i].off) == cases[i].want, "%#x: wrote %#x read %#x want %#x",
		      cases[i].off, cases[i].val, rd(&la, cases[i].off), cases[i].want);
		CHECK(raw(&la, cases[i].off) == cases[i].want, "stored");
	}
	/* without the TSC-deadline timer in CPUID, timer mode bit 18 is reserved */
	fresh(&la, 1, false);
	wr(&la, 0x320, 0xffffffff);
	CHECK(rd(&la, 0x320) == 0x000310ff, "LVTT %#x", rd(&la, 0x320));
	CHECK(khv_lapic_timer_mode(&la) == KHV_TIMER_PERIODIC, "periodic");

	/* software-disabled: LVT writes keep the mask bit set (SDM 10.4.7.2) */
	fresh(&la, 1, false);
	wr(&la, 0x350, 0x700);
	CHECK(rd(&la, 0x350) == 0x700, "unmasked while enabled");
	wr(&la, 0xf0, 0xff);
	CHECK(rd(&la, 0xf0) == 0xff, "SVR");
	CHECK(rd(&la, 0x350) == 0x10700, "disabling masks every LVT: %#x", rd(&la, 0x350));
	wr(&la, 0x350, 0x700);
	wr(&la, 0x320, 0x30);
	CHECK(rd(&la, 0x350) == 0x10700 && rd(&la, 0x320) == 0x10030, "stays masked");
	wr(&la, 0xf0, 0x100);
	wr(&la, 0x320, 0x30);
	CHECK(rd(&la, 0x320) == 0x30, "enabled again");

	/* read-only registers ignore writes; absent ones read 0 */
	fresh(&la, 1, false);
	khv_lapic_accept(&la, 0x41, false);
	memcpy(&lb, &la, sizeof(la));
	wr(&la, 0x30, 0);		/* version */
	wr(&la, 0x90, 0xff);		/* APR */
	wr(&la, 0xa0, 0xff);		/* PPR */
	wr(&la, 0xc0, 0xff);		/* RRD */
	wr(&la, 0x200 + 0x20, 0);	/* IRR row 2 */
	wr(&la, 0x100, ~0U);		/* ISR */
	wr(&la, 0x180, ~0U);		/* TMR */
	wr(&la, 0x390, 5);		/* TMCCT */
	wr(&la, 0x2f0, 0x30);		/* CMCI: KVM has 6 LVTs */
	wr(&la, 0x3f0, 0x41);		/* SELF IPI: x2APIC only */
	wr(&la, 0x00, ~0U);
	wr(&la, 0x3a0, ~0U);
	CHECK(!memcmp(&la, &lb, sizeof(la)), "read-only writes changed something");
	CHECK(rd(&la, 0x220) == 2, "IRR row 2 holds vector 0x41");
	CHECK(rd(&la, 0x90) == 0 && rd(&la, 0xb0) == 0 && rd(&la, 0xc0) == 0 &&
	      rd(&la, 0x2f0) == 0 && rd(&la, 0x3f0) == 0 && rd(&la, 0x00) == 0 &&
	      rd(&la, 0x290) == 0, "absent and write-only registers read 0");
	return KSFT_PASS;
}

/* Sub-dword reads give that part; other lengths and alignments do nothing. */
static int t_mmio_sizes(void)
{
	fresh(&la, 1, false);
	wr(&la, 0x300, 0xa5b6c7d8);	/* ICR keeps these bits (bit 12 is clear) */
	CHECK(act.flags == KHV_LAPIC_ACT_IPI, "IPI sent");
	CHECK(khv_lapic_mmio_read(&la, 0x300, 1, now) == 0xd8, "byte 0");
	CHECK(khv_lapic_mmio_read(&la, 0x301, 1, now) == 0xc7, "byte 1");
	CHECK(khv_lapic_mmio_read(&la, 0x302, 1, now) == 0xb6, "byte 2");
	CHECK(khv_lapic_mmio_read(&la, 0x303, 1, now) == 0xa5, "byte 3");
	CHECK(khv_lapic_mmio_read(&la, 0x300, 2, now) == 0xc7d8, "word 0");
	CHECK(khv_lapic_mmio_read(&la, 0x301, 2, now) == 0xb6c7, "word 1");
	CHECK(khv_lapic_mmio_read(&la, 0x302, 2, now) == 0xa5b6, "word 2");
	CHECK(khv_lapic_mmio_read(&la, 0x303, 2, now) == 0, "word across the dword");
	CHECK(khv_lapic_mmio_read(&la, 0x301, 4, now) == 0, "unaligned dword");
	CHECK(khv_lapic_mmio_read(&la, 0x304, 1, now) == 0, "bytes 4-15 of a row");
	CHECK(khv_lapic_mmio_read(&la, 0x30f, 1, now) == 0, "last byte of a row");
	CHECK(khv_lapic_mmio_read(&la, 0x300, 8, now) == 0, "qword");
	CHECK(khv_lapic_mmio_read(&la, 0x300, 3, now) == 0, "3 bytes");
	CHECK(khv_lapic_mmio_read(&la, 0x300, 0, now) == 0, "0 bytes");
	CHECK(khv_lapic_mmio_read(&la, 0x300, 16, now) == 0, "16 bytes");
	CHECK(khv_lapic_mmio_read(&la, 0x400, 4, now) == 0, "past the registers");
	CHECK(khv_lapic_mmio_read(&la, 0xff0, 4, now) == 0, "end of page");
	CHECK(khv_lapic_mmio_read(&la, 0x10000, 4, now) == 0, "off the page");

	/* writes: only 4 bytes at a 16-byte aligned offset */
	wr(&la, 0x80, 0x20);
	khv_lapic_mmio_write(&la, 0x80, 1, 0x40, now, &act);
	khv_lapic_mmio_write(&la, 0x80, 2, 0x40, now, &act);
	khv_lapic_mmio_write(&la, 0x80, 8, 0x40, now, &act);
	khv_lapic_mmio_write(&la, 0x84, 4, 0x40, now, &act);
	khv_lapic_mmio_write(&la, 0x81, 4, 0x40, now, &act);
	khv_lapic_mmio_write(&la, 0x80, 3, 0x40, now, &act);
	khv_lapic_mmio_write(&la, 0x80, 0, 0x40, now, &act);
	CHECK(rd(&la, 0x80) == 0x20, "TPR changed by an odd write: %#x", rd(&la, 0x80));
	khv_lapic_mmio_write(&la, 0x80, 4, 0xffffffff00000030ULL, now, &act);
	CHECK(rd(&la, 0x80) == 0x30, "a 4-byte write takes the low 32 bits of val");

	/* not in xAPIC mode: reads all ones, writes dropped (KVM's MMIO hole) */
	CHECK(!khv_lapic_set_base(&la, 0xfee00000ULL, 0, false, &act), "disable");
	CHECK(!khv_lapic_mmio_active(&la), "inactive when disabled");
	CHECK(khv_lapic_mmio_read(&la, 0x30, 4, now) == 0xffffffff, "disabled read");
	CHECK(khv_lapic_mmio_read(&la, 0x30, 1, now) == 0xff, "disabled byte read");
	CHECK(khv_lapic_mmio_read(&la, 0x30, 8, now) == ~0ULL, "disabled qword read");
	memcpy(&lb, &la, sizeof(la));
	wr(&la, 0x80, 0x50);
	CHECK(!memcmp(&la, &lb, sizeof(la)), "write to a disabled APIC");
	CHECK(fresh_x2(&la, 1) == KSFT_PASS, "x2");
	CHECK(!khv_lapic_mmio_active(&la), "inactive in x2APIC mode");
	CHECK(khv_lapic_mmio_read(&la, 0x80, 4, now) == 0xffffffff, "x2APIC MMIO read");
	memcpy(&lb, &la, sizeof(la));
	wr(&la, 0x80, 0x50);
	CHECK(!memcmp(&la, &lb, sizeof(la)), "MMIO write in x2APIC mode");
	return KSFT_PASS;
}

/* SDM 10.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
static int t_priority(void)
{
	fresh(&la, 1, false);
	CHECK(khv_lapic_pending(&la) == -1, "nothing pending");
	CHECK(khv_lapic_accept(&la, 0x31, false) == 1, "accept 0x31");
	CHECK(khv_lapic_accept(&la, 0x45, false) == 1, "accept 0x45");
	CHECK(khv_lapic_accept(&la, 0x52, false) == 1, "accept 0x52");
	CHECK(khv_lapic_accept(&la, 0x52, false) == 0, "0x52 coalesced");
	CHECK(khv_lapic_pending(&la) == 0x52, "highest first");

	wr(&la, 0x80, 0x50);
	CHECK(rd(&la, 0xa0) == 0x50, "PPR = TPR");
	CHECK(khv_lapic_pending(&la) == -1, "class 5 does not beat PPR class 5");
	wr(&la, 0x80, 0x4f);
	CHECK(rd(&la, 0xa0) == 0x4f, "PPR = TPR with its low bits");
	CHECK(khv_lapic_pending(&la) == 0x52, "class 5 beats class 4");
	CHECK(act.flags == KHV_LAPIC_ACT_EVENT, "lowering TPR: event %#x", act.flags);

	khv_lapic_ack(&la, 0x52);
	CHECK(!irr(&la, 0x52) && isr(&la, 0x52), "IRR -> ISR");
	CHECK(rd(&la, 0xa0) == 0x50, "PPR = ISRV class: %#x", rd(&la, 0xa0));
	CHECK(khv_lapic_pending(&la) == -1, "0x45 below PPR");
	CHECK(khv_lapic_accept(&la, 0x61, false) == 1, "accept 0x61");
	CHECK(khv_lapic_pending(&la) == 0x61, "0x61 nests");
	khv_lapic_ack(&la, 0x61);
	CHECK(rd(&la, 0xa0) == 0x60, "PPR 0x60");

	wr(&la, 0xb0, 0);
	CHECK(act.flags & KHV_LAPIC_ACT_EOI, "EOI");
	CHECK(act.eoi_vector == 0x61 && !isr(&la, 0x61) && isr(&la, 0x52), "EOI clears the highest");
	CHECK(!(act.flags & KHV_LAPIC_ACT_EOI_LEVEL), "edge");
	CHECK(rd(&la, 0xa0) == 0x50, "PPR back to 0x50");
	wr(&la, 0xb0, 0x12345678);	/* xAPIC: the value written does not matter */
	CHECK(act.eoi_vector == 0x52 && !isr(&la, 0x52), "second EOI");
	CHECK(rd(&la, 0xa0) == 0x4f, "PPR = TPR again");
	CHECK(khv_lapic_pending(&la) == -1, "0x45: class 4 vs TPR 0x4f");
	memcpy(&lb, &la, sizeof(la));
	wr(&la, 0xb0, 0);
	CHECK(act.flags == 0 && !memcmp(&la, &lb, sizeof(la)), "EOI of nothing");

	wr(&la, 0x80, 0x3f);
	CHECK(khv_lapic_pending(&la) == 0x45, "0x45 beats 0x3f");
	khv_lapic_ack(&la, 0x45);
	wr(&la, 0x80, 0x45);
	CHECK(rd(&la, 0xa0) == 0x45, "TPR class = ISRV class: PPR = TPR");
	wr(&la, 0x80, 0x35);
	CHECK(rd(&la, 0xa0) == 0x40, "ISRV wins: %#x", rd(&la, 0xa0));
	wr(&la, 0xb0, 0);
	CHECK(rd(&la, 0xa0) == 0x35, "PPR = TPR 0x35");
	CHECK(khv_lapic_pending(&la) == -1, "0x31: class 3 vs PPR class 3");
	wr(&la, 0x80, 0x2f);
	CHECK(khv_lapic_pending(&la) == 0x31, "0x31 vs 0x2f");
	wr(&la, 0x80, 0x30);

	/* CR8 is TPR[7:4] */
	khv_lapic_set_cr8(&la, 2, &act);
	CHECK(rd(&la, 0x80) == 0x20 && khv_lapic_get_cr8(&la) == 2, "CR8 2");
	CHECK(act.flags == KHV_LAPIC_ACT_EVENT && khv_lapic_pending(&la) == 0x31, "CR8 unblocks");
	khv_lapic_set_cr8(&la, 0xff, &act);
	CHECK(rd(&la, 0x80) == 0xf0, "CR8 bits 3:0 only: %#x", rd(&la, 0x80));
	wr(&la, 0x80, 0x5a);
	CHECK(khv_lapic_get_cr8(&la) == 5, "CR8 of TPR 0x5a");

	/* hardware-disabled: nothing goes to the CPU */
	wr(&la, 0x80, 0);
	CHECK(khv_lapic_pending(&la) == 0x31, "pending");
	la.apic_base &= ~KHV_APIC_BASE_EN;
	CHECK(khv_lapic_pending(&la) == -1, "disabled");
	return KSFT_PASS;
}

/* Acceptance: enable states, illegal vectors, TMR, and the error LVT. */
static int t_accept_esr(void)
{
	fresh(&la, 1, false);
	CHECK(khv_lapic_accept(&la, 0x80, true) == 1 && tmr(&la, 0x80), "level sets TMR");
	CHECK(khv_lapic_accept(&la, 0x80, false) == 0 && !tmr(&la, 0x80), "edge clears TMR");
	CHECK(khv_lapic_accept(&la, 0x10, false) == 1, "16 is legal");
	CHECK(khv_lapic_accept(&la, 0xff, true) == 1 && tmr(&la, 0xff), "255");

	/* vectors 0-15: dropped, receive illegal vector, latched by an ESR write */
	CHECK(khv_lapic_accept(&la, 0x0f, false) == -1 && !irr(&la, 0x0f), "vector 15");
	CHECK(rd(&la, 0x280) == 0, "ESR before the write");
	wr(&la, 0x280, 0);
	CHECK(rd(&la, 0x280) == 0x40, "receive illegal vector: %#x", rd(&la, 0x280));
	wr(&la, 0x280, 0xffffffff);
	CHECK(rd(&la, 0x280) == 0, "cleared by the next write");

	/* the error LVT raises its vector on each error */
	wr(&la, 0x370, 0xee);
	CHECK(khv_lapic_accept(&la, 0, false) == -1, "vector 0");
	CHECK(irr(&la, 0xee), "error interrupt");
	/* an illegal vector in the error LVT is logged, not delivered */
	wr(&la, 0x370, 0x05);
	CHECK(khv_lapic_accept(&la, 3, false) == -1 && !irr(&la, 5), "no error storm");
	wr(&la, 0x280, 0);
	CHECK(rd(&la, 0x280) == 0x40, "ESR %#x", rd(&la, 0x280));

	/* send illegal vector: the ICR still sends (receivers log their own) */
	wr(&la, 0x370, 0x10000 | 0xee);
	wr(&la, 0x300, 0x40003);	/* fixed, vector 3, self */
	CHECK(act.flags & KHV_LAPIC_ACT_IPI, "sent");
	wr(&la, 0x300, 0x40103);	/* lowest priority, vector 3 */
	wr(&la, 0x300, 0x40403);	/* NMI: the vector is ignored, no error */
	wr(&la, 0x280, 0);
	CHECK(rd(&la, 0x280) == 0x20, "send illegal vector: %#x", rd(&la, 0x280));
	wr(&la, 0x300, 0x40403);
	wr(&la, 0x280, 0);
	CHECK(rd(&la, 0x280) == 0, "NMI vector 3 is no error");

	/* software-disabled drops fixed interrupts, silently */
	wr(&la, 0xf0, 0xff);
	CHECK(khv_lapic_accept(&la, 0x90, false) == -1 && !irr(&la, 0x90), "sw disabled");
	CHECK(khv_lapic_accept(&la, 3, false) == -1, "sw disabled, illegal");
	wr(&la, 0x280, 0);
	CHECK(rd(&la, 0x280) == 0, "a disabled APIC takes no message, logs nothing");
	/* ... but IRR bits already set are still delivered (SDM 10.4.7.2) */
	CHECK(khv_lapic_pending(&la) == 0xff, "held interrupts stay deliverable");
	la.apic_base &= ~KHV_APIC_BASE_EN;
	CHECK(khv_lapic_accept(&la, 0x90, false) == -1, "hw disabled");
	return KSFT_PASS;
}

/* Level EOI to the IOAPIC, and EOI-broadcast suppression. */
static int t_eoi_level(void)
{
	fresh(&la, 1, false);
	khv_lapic_accept(&la, 0x61, true);
	khv_lapic_accept(&la, 0x51, false);
	khv_lapic_ack(&la, 0x61);
	wr(&la, 0xb0, 0);
	CHECK(act.flags == (KHV_LAPIC_ACT_EOI | KHV_LAPIC_ACT_EOI_LEVEL | KHV_LAPIC_ACT_EVENT),
	      "level EOI with 0x51 pending: %#x", act.flags);
	CHECK(act.eoi_vector == 0x61, "vector");
	khv_lapic_ack(&la, 0x51);
	wr(&la, 0xb0, 0);
	CHECK(act.flags == KHV_LAPIC_ACT_EOI && act.eoi_vector == 0x51, "edge EOI");

	/* suppression is not offered with the in-kernel IOAPIC: bit 12 dropped */
	wr(&la, 0xf0, 0x11ff);
	CHECK(rd(&la, 0xf0) == 0x1ff, "SVR bit 12 not writable");
	CHECK(!(rd(&la, 0x30) & (1U << 24)), "no directed EOI in LVR");

	/* x2APIC in CPUID and a user-space IOAPIC: offered (KVM's split irqchip) */
	khv_lapic_set_cpuid(&la, true, false, true, &act);
	CHECK(rd(&la, 0x30) == 0x01050014, "LVR %#x", rd(&la, 0x30));
	wr(&la, 0xf0, 0x11ff);
	CHECK(rd(&la, 0xf0) == 0x11ff, "SVR bit 12 writable");
	khv_lapic_accept(&la, 0x62, true);
	khv_lapic_ack(&la, 0x62);
	wr(&la, 0xb0, 0);
	CHECK(act.flags == KHV_LAPIC_ACT_EOI && act.eoi_vector == 0x62, "suppressed: %#x",
	      act.flags);
	khv_lapic_set_cpuid(&la, false, false, true, &act);
	CHECK(rd(&la, 0x30) == 0x00050014, "no x2APIC, no directed EOI");
	return KSFT_PASS;
}

/* SDM Figure 10-12: ICR fields -> the message; delivery status reads 0. */
static int t_icr(void)
{
	u32 dm, sh, lg, lv, as, lo, i;
	u64 x;

	fresh(&la, 1, false);
	wr(&la, 0x310, 0x5a123456);
	CHECK(rd(&la, 0x310) == 0x5a000000, "ICR2");
	/* every delivery mode, shorthand, destination mode, trigger and level */
	for (i = 0; i < 8 * 4 * 2 * 2 * 2; i++) {
		dm = i >> 5;
		sh = (i >> 3) & 3;
		lg = (i >> 2) & 1;
		lv = (i >> 1) & 1;
		as = i & 1;
		lo = (0x40 + dm) | dm << 8 | lg << 11 | as << 14 | lv << 15 | sh << 18;
		wr(&la, 0x300, lo | 0x1000);
		CHECK(act.flags == KHV_LAPIC_ACT_IPI, "ICR %#x: flags %#x", lo, act.flags);
		CHECK(act.ipi.dest == 0x5a && act.ipi.vector == 0x40 + dm &&
		      act.ipi.delivery == dm && act.ipi.shorthand == sh &&
		      act.ipi.logical == lg && act.ipi.level == lv && act.ipi.assert == as &&
		      act.ipi.ipi, "ICR %#x: message", lo);
		CHECK(rd(&la, 0x300) == lo, "ICR %#x reads %#x", lo, rd(&la, 0x300));
	}
	/* writing ICR2 sends nothing */
	wr(&la, 0x310, 0x01000000);
	CHECK(act.flags == 0, "ICR2 write");

	/* x2APIC: one 64-bit MSR, 32-bit destination */
	CHECK(fresh_x2(&la, 7) == KSFT_PASS, "x2");
	for (i = 0; i < 8 * 4; i++) {
		dm = i >> 2;
		sh = i & 3;
		lo = 0x80 | dm << 8 | 1 << 11 | 1 << 14 | sh << 18;
		x = 0x12345678ULL << 32 | lo;
		CHECK(wrm(&la, 0x830, x | 0x1000) == 0, "ICR %#x", lo);
		CHECK(act.flags == KHV_LAPIC_ACT_IPI && act.ipi.dest == 0x12345678 &&
		      act.ipi.delivery == dm && act.ipi.shorthand == sh && act.ipi.logical &&
		      act.ipi.assert && !act.ipi.level && act.ipi.ipi && act.ipi.vector == 0x80,
		      "x2APIC ICR %#x", lo);
		CHECK(rdm(&la, 0x830) == x, "ICR reads %#llx", (unsigned long long)rdm(&la, 0x830));
	}
	/* reserved bits 31:20, 17:16, 13: #GP, nothing sent, ICR unchanged */
	{
		static const u64 bad[] = { 1ULL << 13, 1ULL << 16, 1ULL << 17, 1ULL << 20,
					   1ULL << 31, 0xfff00000ULL };
		size_t b;

		for (b = 0; b < ARRAY_SIZE(bad); b++) {
			CHECK(wrm(&la, 0x830, 0x40 | bad[b]) == -EINVAL, "bit %#llx",
			      (unsigned long long)bad[b]);
			CHECK(act.flags == 0 && rdm(&la, 0x830) == x, "unchanged");
		}
	}
	CHECK(wrm(&la, 0x831, 0) == -EINVAL && rdm(&la, 0x831) == ~0ULL, "no ICR2 in x2APIC");
	return KSFT_PASS;
}

/* @ipi: from an ICR; else from the IOAPIC or an MSI (the broadcast quirk's) */
static struct khv_irq_msg msg(u32 dest, bool logical, u8 sh, bool ipi)
{
	struct khv_irq_msg m = { .dest = dest, .vector = 0x40, .logical = logical,
				 .shorthand = sh, .ipi = ipi };
	return m;
}

static bool MATCH(const struct khv_lapic *l, u32 dest, bool logical, bool ipi)
{
	struct khv_irq_msg m = msg(dest, logical, KHV_SH_NONE, ipi);

	return khv_lapic_match(l, &m, false);
}

static int t_match(void)
{
	struct khv_irq_msg m;

	/* xAPIC physical: the 8-bit ID, 0xff for all */
	fresh(&la, 5, false);
	CHECK(MATCH(&la, 5, false, false) && !MATCH(&la, 6, false, false), "physical 5");
	CHECK(MATCH(&la, 0xff, false, false), "xAPIC broadcast");
	CHECK(!MATCH(&la, 0xffffffff, false, true), "x2APIC broadcast to an xAPIC APIC");
	CHECK(!MATCH(&la, 0x105, false, true), "no aliasing of 0x105 to 5");
	wr(&la, 0x20, 0x07000000);	/* the xAPIC ID is writable */
	CHECK(MATCH(&la, 7, false, false) && !MATCH(&la, 5, false, false), "new ID 7");
	/* vcpu 300 in xAPIC mode: ID 44, and 300 by KVM's hotplug rule */
	fresh(&la, 300, false);
	CHECK(MATCH(&la, 44, false, false), "xAPIC ID 44");
	CHECK(MATCH(&la, 300, false, true), "vcpu_id 300");
	CHECK(!MATCH(&la, 301, false, true), "vcpu_id 301");

	/* logical flat: LDR[31:24] & MDA */
	fresh(&la, 1, false);
	wr(&la, 0xd0, 0x02000000);
	CHECK(MATCH(&la, 0x02, true, false) && MATCH(&la, 0x03, true, false), "flat bit 1");
	CHECK(!MATCH(&la, 0x04, true, false) && !MATCH(&la, 0, true, false), "flat miss");
	CHECK(MATCH(&la, 0xff, true, false), "flat broadcast");
	CHECK(!MATCH(&la, 0x02, false, false), "physical 2 is not logical 2");
	/* logical cluster: cluster 31:28 equal, bits 27:24 intersect */
	wr(&la, 0xe0, 0x0fffffff);
	wr(&la, 0xd0, 0x21000000);
	CHECK(MATCH(&la, 0x21, true, false) && MATCH(&la, 0x23, true, false), "cluster 2");
	CHECK(!MATCH(&la, 0x31, true, false) && !MATCH(&la, 0x22, true, false), "cluster miss");
	CHECK(MATCH(&la, 0xff, true, false), "cluster broadcast");
	/* a DFR model that is neither: no logical match but broadcast */
	wr(&la, 0xe0, 0x7fffffff);
	CHECK(!MATCH(&la, 0x21, true, false) && MATCH(&la, 0xff, true, false), "bad model");

	/* x2APIC physical: 32-bit ID; 0xffffffff for all; KVM's quirk for 0xff */
	CHECK(fresh_x2(&la, 0x123) == KSFT_PASS, "x2");
	CHECK(MATCH(&la, 0x123, false, true) && !MATCH(&la, 0x23, false, true), "x2 physical");
	CHECK(MATCH(&la, 0xffffffff, false, true), "x2APIC broadcast");
	CHECK(MATCH(&la, 0xff, false, false), "IOAPIC 0xff: broadcast quirk");
	CHECK(MATCH(&la, 0xff, true, false), "IOAPIC logical 0xff: broadcast quirk");
	CHECK(!MATCH(&la, 0xff, false, true), "an IPI to 0xff is APIC 0xff (any sender's mode)");
	/* as KVM, the quirk spares IPIs only, whatever their format */
	la.x2apic_broadcast_quirk_off = true;
	CHECK(!MATCH(&la, 0xff, false, false), "quirk off");
	CHECK(fresh_x2(&la, 0xff) == KSFT_PASS, "x2");
	CHECK(MATCH(&la, 0xff, false, true), "x2APIC ID 0xff");
	/* x2APIC cluster: LDR = cluster (id >> 4) in 31:16, bit (id & 15) */
	CHECK(fresh_x2(&la, 0x23) == KSFT_PASS, "x2");
	CHECK(rdm(&la, 0x80d) == 0x00020008, "LDR %#llx", (unsigned long long)rdm(&la, 0x80d));
	CHECK(MATCH(&la, 0x20008, true, true) && MATCH(&la, 0x2000c, true, true), "cluster 2");
	CHECK(!MATCH(&la, 0x30008, true, true) && !MATCH(&la, 0x20004, true, true), "miss");
	CHECK(MATCH(&la, 0xffffffff, true, true), "logical broadcast");

	/* shorthands */
	fresh(&la, 1, false);
	m = msg(9, false, KHV_SH_SELF, false);
	CHECK(khv_lapic_match(&la, &m, true) && !khv_lapic_match(&la, &m, false), "self");
	m.shorthand = KHV_SH_ALL;
	CHECK(khv_lapic_match(&la, &m, true) && khv_lapic_match(&la, &m, false), "all");
	m.shorthand = KHV_SH_OTHERS;
	CHECK(!khv_lapic_match(&la, &m, true) && khv_lapic_match(&la, &m, false), "others");
	m.shorthand = 4;
	CHECK(!khv_lapic_match(&la, &m, false), "bogus shorthand");
	/* a hardware-disabled APIC is not on the bus */
	CHECK(!khv_lapic_set_base(&la, 0xfee00000ULL, 0, false, &act), "disable");
	m.shorthand = KHV_SH_ALL;
	CHECK(!khv_lapic_match(&la, &m, false) && !MATCH(&la, 0xff, false, false), "disabled");
	return KSFT_PASS;
}

/* SDM 10.12.5: every transition between the four EN/EXTD states. */
static int t_base(void)
{
	/* state index: 0 disabled, 1 xAPIC, 2 x2APIC, 3 invalid (EXTD without EN) */
	static const u64 bits[4] = { 0, 0x800, 0xc00, 0x400 };
	/* ok[host][from][to] */
	static const bool ok[2][3][4] = {
		{ { 1, 1, 0, 0 }, { 1, 1, 1, 0 }, { 1, 0, 1, 0 } },	/* guest */
		{ { 1, 1, 1, 0 }, { 1, 1, 1, 0 }, { 1, 1, 1, 0 } },	/* user space */
	};
	int host, from, to, i;

	for (i = 0; i < 2 * 3 * 4; i++) {
		u64 before;
		int r;

		host = i / 12;
		from = i / 4 % 3;
		to = i % 4;

		fresh(&la, 0x35, false);
		CHECK(!khv_lapic_set_base(&la, 0xfee00000ULL | bits[from], 0, true, &act),
		      "reach state %d", from);
		before = la.apic_base;
		r = khv_lapic_set_base(&la, 0xfee00000ULL | bits[to], 0, host, &act);
		CHECK(r == (ok[host][from][to] ? 0 : -EINVAL), "host %d %d -> %d: %d",
		      host, from, to, r);
		CHECK(la.apic_base == (r ? before : (0xfee00000ULL | bits[to])), "base");
		if (r)
			continue;
		CHECK(khv_lapic_x2apic_mode(&la) == (to == 2), "x2 mode");
		CHECK(khv_lapic_mmio_active(&la) == (to == 1), "MMIO");
		if (to == 2)
			CHECK(raw(&la, 0x20) == 0x35 && raw(&la, 0xd0) == 0x30020,
			      "x2APIC ID %#x LDR %#x", raw(&la, 0x20), raw(&la, 0xd0));
		else
			CHECK(raw(&la, 0x20) == 0x35000000, "xAPIC ID %#x", raw(&la, 0x20));
	}

	/* no x2APIC in CPUID: EXTD is reserved, for user space too */
	fresh(&la, 1, false);
	khv_lapic_set_cpuid(&la, false, false, false, &act);
	CHECK(khv_lapic_set_base(&la, 0xfee00c00ULL, 0, false, &act) == -EINVAL, "guest");
	CHECK(khv_lapic_set_base(&la, 0xfee00c00ULL, 0, true, &act) == -EINVAL, "host");
	/* reserved bits 7:0 and 9, and those the caller names */
	fresh(&la, 1, false);
	for (i = 0; i < 10; i++) {
		if (i == 8)
			continue;
		CHECK(khv_lapic_set_base(&la, 0xfee00800ULL | 1ULL << i, 0, true, &act) ==
		      -EINVAL, "bit %d", i);
	}
	CHECK(khv_lapic_set_base(&la, 0xfee00800ULL | 1ULL << 45, ~((1ULL << 40) - 1), false,
				 &act) == -EINVAL, "above MAXPHYADDR");
	CHECK(la.apic_base == 0xfee00800ULL, "unchanged");
	CHECK(!khv_lapic_set_base(&la, 0xfed00900ULL, ~((1ULL << 40) - 1), false, &act) &&
	      la.apic_base == 0xfed00900ULL, "move and set BSP");
	CHECK(!khv_lapic_set_base(&la, 0xfee00800ULL, 0, false, &act), "BSP clear");

	/* the xAPIC ID written by the guest gives way to the x2APIC ID */
	fresh(&la, 2, false);
	wr(&la, 0x20, 0x09000000);
	CHECK(!khv_lapic_set_base(&la, 0xfee00c00ULL, 0, false, &act), "x2");
	CHECK(rdm(&la, 0x802) == 2, "x2APIC ID");

	/* disabling returns every register to its power-on value */
	fresh(&la, 2, false);
	khv_lapic_set_cpuid(&la, true, true, false, &act);
	wr(&la, 0x20, 0x09000000);
	wr(&la, 0x80, 0x40);
	wr(&la, 0xd0, 0x01000000);
	wr(&la, 0x350, 0x400);
	wr(&la, 0x3e0, 3);
	wr(&la, 0x380, 1000);
	khv_lapic_accept(&la, 0x66, true);
	khv_lapic_ack(&la, 0x66);
	khv_lapic_accept(&la, 0x67, false);
	memset(&lb, 0, sizeof(lb));
	khv_lapic_reset(&lb, 2, false, true);
	CHECK(!khv_lapic_set_base(&la, 0xfee00000ULL, 0, false, &act), "disable");
	CHECK(act.flags & KHV_LAPIC_ACT_TIMER, "timer re-armed (stopped)");
	CHECK(!memcmp(la.regs, lb.regs, sizeof(la.regs)), "registers at power-on");
	CHECK(la.timer_expire_ns == NO_TIMER, "timer stopped");
	CHECK(!khv_lapic_set_base(&la, 0xfee00800ULL, 0, false, &act), "enable");
	CHECK(rd(&la, 0x20) == 0x02000000 && rd(&la, 0xf0) == 0xff, "power-on state");
	return KSFT_PASS;
}

/* SDM 10.4.7.3: INIT keeps the ID and the base, resets the rest. */
static int t_init(void)
{
	fresh(&la, 4, true);
	wr(&la, 0x20, 0x0a000000);
	wr(&la, 0x80, 0x30);
	wr(&la, 0xd0, 0x04000000);
	wr(&la, 0x350, 0x400);
	wr(&la, 0x380, 1000);
	khv_lapic_accept(&la, 0x44, false);
	CHECK(!khv_lapic_set_base(&la, 0xfed00900ULL, 0, false, &act), "moved base");
	khv_lapic_init_signal(&la);
	CHECK(la.apic_base == 0xfed00900ULL, "base kept");
	CHECK(rd(&la, 0x20) == 0x0a000000, "ID kept");
	CHECK(rd(&la, 0x80) == 0 && rd(&la, 0xd0) == 0 && rd(&la, 0xf0) == 0xff &&
	      rd(&la, 0xe0) == 0xffffffff && rd(&la, 0x380) == 0 && !irr(&la, 0x44),
	      "registers reset");
	CHECK(rd(&la, 0x350) == 0x700, "BSP LVT0 ExtINT after INIT (as KVM)");
	CHECK(la.timer_expire_ns == NO_TIMER, "timer stopped");

	CHECK(fresh_x2(&la, 0x41) == KSFT_PASS, "x2");
	wrm(&la, 0x808, 0x20);
	khv_lapic_init_signal(&la);
	CHECK(khv_lapic_x2apic_mode(&la), "INIT keeps x2APIC mode");
	CHECK(rdm(&la, 0x802) == 0x41 && rdm(&la, 0x80d) == 0x40002, "ID and LDR kept");
	CHECK(rdm(&la, 0x808) == 0 && rdm(&la, 0x835) == 0x10000, "reset");
	return KSFT_PASS;
}

/* LINT pins and the 8259's INTR. */
static int t_lint(void)
{
	u8 vec = 0;
	bool lvl = false;

	fresh(&la, 1, false);
	CHECK(khv_lapic_lint(&la, 0, &vec, &lvl) == -1, "masked");
	wr(&la, 0x350, 0x400);
	CHECK(khv_lapic_lint(&la, 0, &vec, &lvl) == KHV_DM_NMI && !lvl, "LINT0 NMI");
	CHECK(!khv_lapic_accept_extint(&la), "not ExtINT");
	wr(&la, 0x350, 0x8031);
	CHECK(khv_lapic_lint(&la, 0, &vec, &lvl) == KHV_DM_FIXED && vec == 0x31 && lvl,
	      "LINT0 fixed level");
	wr(&la, 0x360, 0x8032);
	CHECK(khv_lapic_lint(&la, 1, &vec, &lvl) == KHV_DM_FIXED && vec == 0x32 && !lvl,
	      "LINT1 is never level");
	wr(&la, 0x350, 0xa700);
	CHECK(khv_lapic_lint(&la, 0, &vec, &lvl) == KHV_DM_EXTINT && lvl, "ExtINT is level");
	CHECK(khv_lapic_accept_extint(&la), "ExtINT unmasked");
	wr(&la, 0x350, 0x10700);
	CHECK(!khv_lapic_accept_extint(&la), "ExtINT masked");
	wr(&la, 0x360, 0x400);
	CHECK(khv_lapic_lint(&la, 1, &vec, &lvl) == KHV_DM_NMI, "LINT1 NMI");
	CHECK(khv_lapic_lint(&la, 2, &vec, &lvl) == -1 && khv_lapic_lint(&la, -1, &vec, &lvl) == -1,
	      "no such pin");
	CHECK(!khv_lapic_set_base(&la, 0xfee00000ULL, 0, false, &act), "disable");
	CHECK(khv_lapic_accept_extint(&la), "disabled: INTR goes straight to the CPU");
	CHECK(khv_lapic_lint(&la, 0, &vec, &lvl) == KHV_DM_EXTINT, "disabled LINT0");
	CHECK(khv_lapic_lint(&la, 1, &vec, &lvl) == KHV_DM_NMI, "disabled LINT1");
	return KSFT_PASS;
}

/* The LVT CMCI entry, there only with MCG_CMCI_P (KVM_X86_SETUP_MCE). */
static int t_cmci(void)
{
	struct khv_irq_msg m;

	fresh(&la, 1, false);
	CHECK(rd(&la, 0x30) == 0x50014 && !rd(&la, 0x2f0), "no CMCI: version %#x",
	      rd(&la, 0x30));
	wr(&la, 0x2f0, 0x40);
	CHECK(!raw(&la, 0x2f0) && !khv_lapic_cmci_msg(&la, &m), "no CMCI: not writable");
	khv_lapic_set_cmci(&la, true);
	CHECK(rd(&la, 0x30) == 0x60014, "CMCI: max LVT 6, version %#x", rd(&la, 0x30));
	CHECK(rd(&la, 0x2f0) == 0x10000 && !khv_lapic_cmci_msg(&la, &m), "appears masked");
	wr(&la, 0x2f0, 0xffffffff);
	CHECK(rd(&la, 0x2f0) == 0x117ff, "keeps mask, status, mode, vector: %#x",
	      rd(&la, 0x2f0));
	wr(&la, 0x2f0, 0x4a);
	CHECK(khv_lapic_cmci_msg(&la, &m) && m.vector == 0x4a &&
	      m.delivery == KHV_DM_FIXED && !m.level, "fixed vector 0x4a");
	wr(&la, 0x2f0, 0x400);
	CHECK(khv_lapic_cmci_msg(&la, &m) && m.delivery == KHV_DM_NMI, "NMI");
	wr(&la, 0xf0, 0xff);
	CHECK(raw(&la, 0x2f0) & 0x10000, "software-disabled: masked");
	CHECK(!khv_lapic_cmci_msg(&la, &m), "masked: no message");
	wr(&la, 0xf0, 0x1ff);
	wr(&la, 0x2f0, 0x4b);
	khv_lapic_init_signal(&la);
	CHECK(raw(&la, 0x2f0) == 0x10000, "INIT masks it: %#x", raw(&la, 0x2f0));
	CHECK(!fresh_x2(&la, 2), "x2APIC");
	khv_lapic_set_cmci(&la, true);
	CHECK(!wrm(&la, 0x82f, 0x4c) && rdm(&la, 0x82f) == 0x4c, "x2APIC MSR 0x82f");
	CHECK(wrm(&la, 0x82f, 0x20000) == -EINVAL, "x2APIC: reserved bit");
	khv_lapic_set_cmci(&la, false);
	CHECK(rdm(&la, 0x82f) == ~0ULL && rdm(&la, 0x803) == 0x50014,
	      "gone again with MCG_CMCI_P");
	return KSFT_PASS;
}

/* x2APIC MSRs (SDM Table 10-6): who may read, who may write, reserved bits. */
static int t_x2apic_msrs(void)
{
	/* 'r' readable, 'w' writable, 'b' both; absent: #GP both ways */
	static const struct { u32 msr; char rw; } regs[] = {
		{ 0x802, 'r' }, { 0x803, 'r' }, { 0x808, 'b' }, { 0x80a, 'r' },
		{ 0x80b, 'w' }, { 0x80d, 'r' }, { 0x80f, 'b' },
		{ 0x810, 'r' }, { 0x811, 'r' }, { 0x812, 'r' }, { 0x813, 'r' },
		{ 0x814, 'r' }, { 0x815, 'r' }, { 0x816, 'r' }, { 0x817, 'r' },
		{ 0x818, 'r' }, { 0x819, 'r' }, { 0x81a, 'r' }, { 0x81b, 'r' },
		{ 0x81c, 'r' }, { 0x81d, 'r' }, { 0x81e, 'r' }, { 0x81f, 'r' },
		{ 0x820, 'r' }, { 0x821, 'r' }, { 0x822, 'r' }, { 0x823, 'r' },
		{ 0x824, 'r' }, { 0x825, 'r' }, { 0x826, 'r' }, { 0x827, 'r' },
		{ 0x828, 'b' }, { 0x830, 'b' }, { 0x832, 'b' }, { 0x833, 'b' },
		{ 0x834, 'b' }, { 0x835, 'b' }, { 0x836, 'b' }, { 0x837, 'b' },
		{ 0x838, 'b' }, { 0x839, 'r' }, { 0x83e, 'b' }, { 0x83f, 'w' },
	};
	u32 msr;
	size_t i;

	for (msr = 0x7f0; msr <= 0x910; msr++) {
		char rw = 0;
		u64 v = 0x1234;
		int r;

		for (i = 0; i < ARRAY_SIZE(regs); i++)
			if (regs[i].msr == msr)
				rw = regs[i].rw;
		CHECK(fresh_x2(&la, 3) == KSFT_PASS, "x2");
		r = khv_lapic_rdmsr(&la, msr, &v, now);
		CHECK(r == ((rw == 'r' || rw == 'b') ? 0 : -EINVAL), "rdmsr %#x: %d", msr, r);
		CHECK(r == 0 || v == 0x1234, "a failed rdmsr leaves *val");
		/* writing 0 is legal for every writable register */
		r = wrm(&la, msr, 0);
		CHECK(r == ((rw == 'w' || rw == 'b') ? 0 : -EINVAL), "wrmsr %#x: %d", msr, r);
		/* bits 63:32 are reserved in all but ICR */
		if (msr != 0x830)
			CHECK(wrm(&la, msr, 1ULL << 32) == -EINVAL, "wrmsr %#x 63:32", msr);
		/* not in x2APIC mode: every one is #GP */
		fresh(&la, 3, false);
		CHECK(khv_lapic_rdmsr(&la, msr, &v, now) == -EINVAL && wrm(&la, msr, 0) == -EINVAL,
		      "xAPIC mode %#x", msr);
	}

	/* read-only values and reserved bits */
	CHECK(fresh_x2(&la, 0x1234) == KSFT_PASS, "x2");
	CHECK(rdm(&la, 0x802) == 0x1234, "ID: all 32 bits");
	CHECK(rdm(&la, 0x803) == 0x50014, "version");
	CHECK(rdm(&la, 0x80d) == 0x1230010, "LDR %#llx", (unsigned long long)rdm(&la, 0x80d));
	CHECK(wrm(&la, 0x808, 0x100) == -EINVAL && wrm(&la, 0x808, 0xff) == 0 &&
	      rdm(&la, 0x808) == 0xff, "TPR 7:0");
	wrm(&la, 0x808, 0);
	CHECK(wrm(&la, 0x80f, 0x1ff | 0x1000) == -EINVAL, "SVR bit 12 not offered");
	CHECK(wrm(&la, 0x80f, 0x800) == -EINVAL && wrm(&la, 0x80f, 0x3ff) == 0, "SVR 9:0");
	CHECK(wrm(&la, 0x80b, 1) == -EINVAL, "EOI: only 0");
	CHECK(wrm(&la, 0x828, 1) == -EINVAL, "ESR: only 0");
	CHECK(wrm(&la, 0x832, 0x400) == -EINVAL, "timer has no delivery mode");
	CHECK(wrm(&la, 0x832, 0x40000) == -EINVAL, "no TSC deadline in CPUID: bit 18");
	CHECK(wrm(&la, 0x832, 0x300ff) == 0 && rdm(&la, 0x832) == 0x300ff, "timer bits");
	CHECK(wrm(&la, 0x833, 0x117ff) == 0 && wrm(&la, 0x833, 0x2000) == -EINVAL, "thermal");
	CHECK(wrm(&la, 0x834, 0x117ff) == 0 && wrm(&la, 0x834, 0x8000) == -EINVAL, "PMC");
	CHECK(wrm(&la, 0x835, 0x1f7ff) == 0 && wrm(&la, 0x835, 0x20000) == -EINVAL, "LINT0");
	CHECK(wrm(&la, 0x836, 0x1f7ff) == 0 && wrm(&la, 0x836, 0x800) == -EINVAL, "LINT1");
	CHECK(wrm(&la, 0x837, 0x110ff) == 0 && wrm(&la, 0x837, 0x100) == -EINVAL, "error");
	CHECK(wrm(&la, 0x83e, 0xb) == 0 && wrm(&la, 0x83e, 0x4) == -EINVAL &&
	      wrm(&la, 0x83e, 0x10) == -EINVAL, "TDCR");
	CHECK(wrm(&la, 0x838, 0xffffffff) == 0 && rdm(&la, 0x838) == 0xffffffff, "TMICT");
	CHECK(wrm(&la, 0x83f, 0x100) == -EINVAL, "SELF IPI 31:8");
	CHECK(rdm(&la, 0x802) == 0x1234 && rdm(&la, 0x80d) == 0x1230010, "ID/LDR unchanged");

	/* SELF IPI: fixed, edge, into our own IRR */
	CHECK(fresh_x2(&la, 1) == KSFT_PASS, "x2");
	khv_lapic_accept(&la, 0x50, true);
	CHECK(wrm(&la, 0x83f, 0x50) == 0 && irr(&la, 0x50) && !tmr(&la, 0x50), "self IPI edge");
	CHECK(act.flags == KHV_LAPIC_ACT_EVENT, "no ACT_IPI: %#x", act.flags);
	CHECK(rdm(&la, 0x820 + 2) == 0x10000, "IRR row 2 via MSR");
	CHECK(wrm(&la, 0x83f, 5) == 0 && !irr(&la, 5), "illegal self IPI");
	CHECK(wrm(&la, 0x828, 0) == 0 && rdm(&la, 0x828) == 0x60, "send + receive illegal");
	/* EOI through the MSR */
	khv_lapic_ack(&la, 0x50);
	CHECK(wrm(&la, 0x80b, 0) == 0 && act.eoi_vector == 0x50 && !isr(&la, 0x50), "EOI MSR");
	return KSFT_PASS;
}

/* TDCR encodings (SDM Figure 10-10), through the one-shot period. */
static int t_timer_divide(void)
{
	static const u32 div[16] = { 2, 4, 8, 16, 2, 4, 8, 16, 32, 64, 128, 1, 32, 64, 128, 1 };
	u32 t;

	for (t = 0; t < 16; t++) {
		fresh(&la, 1, false);
		now = 5000;
		wr(&la, 0x3e0, t);
		wr(&la, 0x380, 10);
		CHECK(act.flags == KHV_LAPIC_ACT_TIMER, "armed");
		CHECK(la.timer_expire_ns == 5000 + 10ULL * div[t], "TDCR %#x: %llu", t,
		      (unsigned long long)la.timer_expire_ns);
		CHECK(la.timer_start_ns == 5000, "start");
		CHECK(rd(&la, 0x3e0) == (t & 0xb), "TDCR reads %#x", rd(&la, 0x3e0));
	}
	return KSFT_PASS;
}

static int t_timer_oneshot(void)
{
	fresh(&la, 1, false);
	wr(&la, 0x320, 0x41);			/* one-shot, vector 0x41 */
	wr(&la, 0x3e0, 3);			/* divide by 16 */
	now = 1000;
	CHECK(rd(&la, 0x390) == 0, "TMCCT 0 before TMICT");
	wr(&la, 0x380, 1000);
	CHECK(la.timer_expire_ns == 17000 && (act.flags & KHV_LAPIC_ACT_TIMER), "armed");
	CHECK(rd(&la, 0x390) == 1000, "TMCCT = TMICT at the start: %u", rd(&la, 0x390));
	now = 9000;
	CHECK(rd(&la, 0x390) == 500, "half way: %u", rd(&la, 0x390));
	now = 16999;
	CHECK(rd(&la, 0x390) == 0, "under one count left reads 0");
	CHECK(!khv_lapic_timer_fire(&la, now) && la.timer_expire_ns == 17000, "early call");
	now = 17000;
	CHECK(khv_lapic_timer_fire(&la, now) && irr(&la, 0x41) && !tmr(&la, 0x41), "fired");
	CHECK(la.timer_expire_ns == NO_TIMER && rd(&la, 0x390) == 0, "stays 0");
	CHECK(rd(&la, 0x380) == 1000, "TMICT kept");
	CHECK(!khv_lapic_timer_fire(&la, 20000), "no second expiry");
	/* a TDCR change after the end does not start it again */
	wr(&la, 0x3e0, 0);
	CHECK(la.timer_expire_ns == NO_TIMER && !(act.flags & KHV_LAPIC_ACT_TIMER), "ended");
	/* rewriting TMICT restarts; 0 stops */
	now = 30000;
	wr(&la, 0x380, 100);
	CHECK(la.timer_expire_ns == 30200, "restart");
	wr(&la, 0x380, 0);
	CHECK(la.timer_expire_ns == NO_TIMER && act.flags == KHV_LAPIC_ACT_TIMER, "stop");
	CHECK(rd(&la, 0x390) == 0, "stopped reads 0");

	/* masked: the count ends, no interrupt */
	fresh(&la, 1, false);
	wr(&la, 0x320, 0x10042);
	wr(&la, 0x380, 10);
	CHECK(!khv_lapic_timer_fire(&la, 100) && !irr(&la, 0x42), "masked");
	CHECK(la.timer_expire_ns == NO_TIMER, "ended");
	/* coalesced: already in IRR */
	wr(&la, 0x320, 0x43);
	khv_lapic_accept(&la, 0x43, false);
	wr(&la, 0x380, 10);
	CHECK(!khv_lapic_timer_fire(&la, 200) && irr(&la, 0x43), "coalesced");
	/* illegal vector: receive illegal vector */
	wr(&la, 0x320, 0x07);
	wr(&la, 0x380, 10);
	CHECK(!khv_lapic_timer_fire(&la, 300), "vector 7");
	wr(&la, 0x280, 0);
	CHECK(rd(&la, 0x280) == 0x40, "ESR %#x", rd(&la, 0x280));
	/* no clamping of one-shot counts */
	now = 1000;
	wr(&la, 0x3e0, 0xb);
	wr(&la, 0x380, 1);
	CHECK(la.timer_expire_ns == 1001, "1 ns one-shot");
	return KSFT_PASS;
}

static int t_timer_periodic(void)
{
	fresh(&la, 1, false);
	wr(&la, 0x320, 0x20051);		/* periodic, vector 0x51 */
	wr(&la, 0x3e0, 0xb);			/* divide by 1 */
	wr(&la, 0x380, 1000000);		/* 1 ms */
	CHECK(la.timer_expire_ns == 1000000, "first expiry");
	/* 300 ns late: the next period still starts at the expiry */
	CHECK(khv_lapic_timer_fire(&la, 1000300), "fire 1");
	CHECK(la.timer_expire_ns == 2000000 && la.timer_start_ns == 1000000, "no drift: %llu",
	      (unsigned long long)la.timer_expire_ns);
	now = 1500000;
	CHECK(rd(&la, 0x390) == 500000, "TMCCT mid-period: %u", rd(&la, 0x390));
	khv_lapic_ack(&la, 0x51);
	wr(&la, 0xb0, 0);
	/* 3.5 periods late: one interrupt, next expiry on the grid after now */
	CHECK(khv_lapic_timer_fire(&la, 5500000), "catch-up fire");
	CHECK(la.timer_expire_ns == 6000000, "skip to 6 ms: %llu",
	      (unsigned long long)la.timer_expire_ns);
	CHECK(!khv_lapic_timer_fire(&la, 6000000) && irr(&la, 0x51), "coalesced tick");
	CHECK(la.timer_expire_ns == 7000000, "7 ms");
	/* exactly on a later expiry: that one counts as passed */
	CHECK(!khv_lapic_timer_fire(&la, 9000000) && la.timer_expire_ns == 10000000, "10 ms");

	/* periods under 200 us are held to 200 us (KVM's min_timer_period_us) */
	fresh(&la, 1, false);
	wr(&la, 0x320, 0x20051);
	wr(&la, 0x3e0, 0xb);
	now = 1000;
	wr(&la, 0x380, 10);
	CHECK(la.timer_expire_ns == 201000, "clamped: %llu", (unsigned long long)la.timer_expire_ns);
	now = 101000;
	CHECK(rd(&la, 0x390) == 5, "TMCCT over the longer period: %u", rd(&la, 0x390));
	CHECK(khv_lapic_timer_fire(&la, 201000) && la.timer_expire_ns == 401000, "reload");

	/* one-shot <-> periodic keeps the count running */
	fresh(&la, 1, false);
	wr(&la, 0x3e0, 0xb);
	wr(&la, 0x320, 0x51);
	wr(&la, 0x380, 1000000);
	wr(&la, 0x320, 0x20051);
	CHECK(la.timer_expire_ns == 1000000 && !(act.flags & KHV_LAPIC_ACT_TIMER), "to periodic");
	CHECK(khv_lapic_timer_fire(&la, 1000000) && la.timer_expire_ns == 2000000, "reloads");
	wr(&la, 0x320, 0x51);
	CHECK(la.timer_expire_ns == 2000000, "to one-shot");
	CHECK(!khv_lapic_timer_fire(&la, 2000000) && la.timer_expire_ns == NO_TIMER, "ends");

	/* software-disabled: the count goes on, masked */
	fresh(&la, 1, false);
	wr(&la, 0x3e0, 0xb);
	wr(&la, 0x320, 0x20051);
	wr(&la, 0x380, 1000000);
	wr(&la, 0xf0, 0xff);
	CHECK(!khv_lapic_timer_fire(&la, 1000000) && !irr(&la, 0x51), "masked tick");
	CHECK(la.timer_expire_ns == 2000000, "still counting");
	return KSFT_PASS;
}

/* A TDCR write mid-count keeps the counts left (KVM rescales the time). */
static int t_timer_tdcr(void)
{
	fresh(&la, 1, false);
	wr(&la, 0x320, 0x41);
	wr(&la, 0x3e0, 0);			/* by 2 */
	wr(&la, 0x380, 1000);
	CHECK(la.timer_expire_ns == 2000, "2000 ns");
	now = 1000;
	CHECK(rd(&la, 0x390) == 500, "500 left");
	wr(&la, 0x3e0, 2);			/* by 8 */
	CHECK(act.flags == KHV_LAPIC_ACT_TIMER && la.timer_expire_ns == 5000, "rescaled: %llu",
	      (unsigned long long)la.timer_expire_ns);
	CHECK(rd(&la, 0x390) == 500, "still 500 left: %u", rd(&la, 0x390));
	wr(&la, 0x3e0, 6);			/* bit 2 ignored: still by 8 */
	CHECK(act.flags == 0 && la.timer_expire_ns == 5000, "same divisor");
	wr(&la, 0x3e0, 0xb);			/* by 1 */
	CHECK(la.timer_expire_ns == 1500, "by 1: %llu", (unsigned long long)la.timer_expire_ns);
	CHECK(khv_lapic_timer_fire(&la, 1500) && irr(&la, 0x41), "fires");
	return KSFT_PASS;
}

/* SDM 10.5.4.1: TSC-deadline mode. */
static int t_timer_tsc(void)
{
	fresh(&la, 1, false);
	khv_lapic_set_cpuid(&la, true, true, false, &act);
	wr(&la, 0x320, 0x61);
	wr(&la, 0x380, 1000);
	CHECK(la.timer_expire_ns != NO_TIMER, "one-shot running");
	khv_lapic_set_tsc_deadline(&la, 5000, &act);
	CHECK(act.flags == 0 && la.tsc_deadline == 0, "deadline ignored in one-shot mode");
	CHECK(khv_lapic_get_tsc_deadline(&la) == 0, "reads 0");

	wr(&la, 0x320, 0x40061);
	CHECK(khv_lapic_timer_mode(&la) == KHV_TIMER_TSC_DEADLINE, "TSC mode");
	CHECK(act.flags == KHV_LAPIC_ACT_TIMER && la.timer_expire_ns == NO_TIMER, "stopped");
	CHECK(rd(&la, 0x380) == 0 && rd(&la, 0x390) == 0, "TMICT cleared");
	wr(&la, 0x380, 1000);
	CHECK(rd(&la, 0x380) == 0 && la.timer_expire_ns == NO_TIMER, "TMICT write ignored");
	khv_lapic_set_tsc_deadline(&la, 123456, &act);
	CHECK(act.flags == KHV_LAPIC_ACT_TIMER && khv_lapic_get_tsc_deadline(&la) == 123456,
	      "armed");
	CHECK(khv_lapic_timer_fire(&la, 0) && irr(&la, 0x61), "fired");
	CHECK(khv_lapic_get_tsc_deadline(&la) == 0 && la.tsc_deadline == 0, "disarmed");
	CHECK(!khv_lapic_timer_fire(&la, 0), "nothing armed");
	khv_lapic_set_tsc_deadline(&la, 7, &act);
	khv_lapic_set_tsc_deadline(&la, 0, &act);
	CHECK(la.tsc_deadline == 0 && act.flags == KHV_LAPIC_ACT_TIMER, "0 disarms");
	khv_lapic_set_tsc_deadline(&la, 7, &act);
	wr(&la, 0x320, 0x10050061);		/* masked (bit 28 is not kept) */
	CHECK(rd(&la, 0x320) == 0x50061 && la.tsc_deadline == 7, "mask keeps the deadline");
	CHECK(!khv_lapic_timer_fire(&la, 0) && la.tsc_deadline == 0, "masked expiry");

	/* leaving TSC-deadline mode disarms it */
	wr(&la, 0x320, 0x40061);
	khv_lapic_set_tsc_deadline(&la, 99, &act);
	wr(&la, 0x320, 0x20061);
	CHECK(act.flags == KHV_LAPIC_ACT_TIMER && la.tsc_deadline == 0, "left");
	/* ... so does losing it from CPUID */
	wr(&la, 0x320, 0x40061);
	khv_lapic_set_tsc_deadline(&la, 99, &act);
	khv_lapic_set_cpuid(&la, true, false, false, &act);
	CHECK(act.flags == KHV_LAPIC_ACT_TIMER && la.tsc_deadline == 0, "CPUID");
	CHECK(khv_lapic_timer_mode(&la) == KHV_TIMER_ONESHOT && rd(&la, 0x320) == 0x61, "LVTT");
	/* hardware-disabled: the MSR does nothing */
	khv_lapic_set_cpuid(&la, true, true, false, &act);
	wr(&la, 0x320, 0x40061);
	la.apic_base &= ~KHV_APIC_BASE_EN;
	khv_lapic_set_tsc_deadline(&la, 99, &act);
	CHECK(la.tsc_deadline == 0 && act.flags == 0, "disabled");
	return KSFT_PASS;
}

/* KVM_GET_LAPIC / KVM_SET_LAPIC */
static int t_state(void)
{
	u32 off;

	/* a busy xAPIC: round trip into another LAPIC is exact */
	fresh(&la, 6, false);
	wr(&la, 0x20, 0x16000000);
	wr(&la, 0x80, 0x21);
	wr(&la, 0xd0, 0x40000000);
	wr(&la, 0xe0, 0x0fffffff);
	wr(&la, 0x350, 0x8731);
	wr(&la, 0x370, 0x100fe);
	wr(&la, 0x310, 0x03000000);
	wr(&la, 0x300, 0x4041);
	khv_lapic_accept(&la, 0x71, true);
	khv_lapic_ack(&la, 0x71);
	khv_lapic_accept(&la, 0x33, false);
	khv_lapic_accept(&la, 0, false);
	wr(&la, 0x280, 0);
	wr(&la, 0x320, 0x20099);
	wr(&la, 0x3e0, 3);
	now = 1000;
	wr(&la, 0x380, 100000);			/* 1.6 ms by 16 */
	now = 401000;				/* 25000 counts gone */
	khv_lapic_get_state(&la, &st, now);
	CHECK(sraw(&st, 0x390) == 75000, "TMCCT %u", sraw(&st, 0x390));
	CHECK(sraw(&st, 0x20) == 0x16000000 && sraw(&st, 0xa0) == 0x70 && sraw(&st, 0x280) == 0x40,
	      "ID, PPR, ESR");
	for (off = 0; off < 0x400; off++)
		if (off < 0x390 || off >= 0x3a0)
			CHECK(st.regs[off] == (char)la.regs[off], "byte %#x", off);

	memset(&lb, 0, sizeof(lb));
	khv_lapic_reset(&lb, 6, false, true);
	now = 10000000;
	CHECK(khv_lapic_set_state(&lb, &st, now, &act) == 0, "set");
	CHECK(act.flags == (KHV_LAPIC_ACT_TIMER | KHV_LAPIC_ACT_EVENT), "act %#x", act.flags);
	CHECK(lb.timer_expire_ns == 10000000 + 75000 * 16, "resumes the count: %llu",
	      (unsigned long long)lb.timer_expire_ns);
	khv_lapic_get_state(&lb, &st2, now);
	CHECK(!memcmp(&st, &st2, sizeof(st)), "round trip");
	CHECK(khv_lapic_pending(&lb) == -1 && rd(&lb, 0xa0) == 0x70, "PPR recomputed");
	wr(&lb, 0xb0, 0);
	CHECK(act.flags & KHV_LAPIC_ACT_EOI_LEVEL, "TMR came along");
	CHECK(khv_lapic_pending(&lb) == 0x33, "IRR came along");

	/* TMCCT rounds up in get, so a count about to end is not lost */
	fresh(&la, 1, false);
	wr(&la, 0x3e0, 3);
	wr(&la, 0x380, 10);			/* ends at 160 */
	now = 155;
	CHECK(rd(&la, 0x390) == 0, "MMIO read rounds down");
	khv_lapic_get_state(&la, &st, now);
	CHECK(sraw(&st, 0x390) == 1, "state rounds up");
	/*
	 * One-shot with TMCCT 0 fires at once (as KVM: the interrupt may be
	 * owed, KVM's state cannot say), periodic restarts a period.
	 */
	sput(&st, 0x390, 0);
	CHECK(!khv_lapic_set_state(&lb, &st, now, &act) && lb.timer_expire_ns == now,
	      "ended one-shot fires at once: %llu", (unsigned long long)lb.timer_expire_ns);
	sput(&st, 0x320, 0x20030);
	CHECK(!khv_lapic_set_state(&lb, &st, 1000000, &act), "periodic");
	CHECK(lb.timer_expire_ns == 1000000 + 200000, "a whole (clamped) period: %llu",
	      (unsigned long long)lb.timer_expire_ns);
	sput(&st, 0x390, 0xffffffff);
	sput(&st, 0x320, 0x30);
	CHECK(!khv_lapic_set_state(&lb, &st, 1000, &act) && lb.timer_expire_ns == 1000 + 160,
	      "TMCCT above TMICT: one period");

	/* garbage: every byte 0xff is normalized to what a guest can write */
	memset(&st, 0xff, sizeof(st));
	fresh(&lb, 9, false);
	CHECK(!khv_lapic_set_state(&lb, &st, 0, &act), "garbage accepted (as KVM)");
	CHECK(rd(&lb, 0x20) == 0xff000000 && rd(&lb, 0x30) == 0x50014 && rd(&lb, 0x80) == 0xff &&
	      rd(&lb, 0xd0) == 0xff000000 && rd(&lb, 0xf0) == 0x13ff && rd(&lb, 0x3e0) == 0xb &&
	      rd(&lb, 0x320) == 0x310ff && rd(&lb, 0x350) == 0x1f7ff && rd(&lb, 0x280) == 0xff &&
	      rd(&lb, 0x300) == 0xffffefff && rd(&lb, 0x310) == 0xff000000, "normalized");
	CHECK(rd(&lb, 0xa0) == 0xff && rd(&lb, 0x90) == 0, "PPR = TPR (same class as ISRV)");
	for (off = 0; off < 0x400; off++)
		CHECK((off & 0xf) < 4 || !lb.regs[off], "byte %#x of a row", off);
	CHECK(raw(&lb, 0x00) == 0 && raw(&lb, 0xb0) == 0 && raw(&lb, 0x2f0) == 0 &&
	      raw(&lb, 0x390) == 0 && raw(&lb, 0x3f0) == 0, "absent rows");
	CHECK(khv_lapic_pending(&lb) == -1, "PPR 0xff... blocks");
	/* SVR bit 12 from user space: level EOIs are not broadcast */
	khv_lapic_accept(&lb, 0xff, true);
	wr(&lb, 0xb0, 0);
	CHECK(act.flags == KHV_LAPIC_ACT_EOI, "suppressed by state");

	/* x2APIC: ID shown as vcpu_id << 24 unless the x2APIC API is on */
	CHECK(fresh_x2(&la, 0x123) == KSFT_PASS, "x2");
	wrm(&la, 0x830, 0xabcdef0000004041ULL);
	khv_lapic_get_state(&la, &st, now);
	CHECK(sraw(&st, 0x20) == 0x23000000, "compat ID %#x", sraw(&st, 0x20));
	CHECK(sraw(&st, 0x300) == 0x4041 && sraw(&st, 0x310) == 0xabcdef00, "ICR halves");
	la.x2apic_format = true;
	khv_lapic_get_state(&la, &st, now);
	CHECK(sraw(&st, 0x20) == 0x123, "32-bit ID");
	sput(&st, 0x20, 0x124);
	memcpy(&lb, &la, sizeof(la));
	CHECK(khv_lapic_set_state(&la, &st, now, &act) == -EINVAL, "wrong ID refused");
	CHECK(!memcmp(&la, &lb, sizeof(la)), "nothing changed");
	sput(&st, 0x20, 0x123);
	sput(&st, 0xd0, 0x5);
	CHECK(!khv_lapic_set_state(&la, &st, now, &act), "right ID");
	CHECK(rdm(&la, 0x80d) == 0x120008, "LDR recomputed: %#llx",
	      (unsigned long long)rdm(&la, 0x80d));
	CHECK(rdm(&la, 0x830) == 0xabcdef0000004041ULL, "64-bit ICR restored");
	la.x2apic_format = false;
	sput(&st, 0x20, 0x55000000);
	CHECK(!khv_lapic_set_state(&la, &st, now, &act) && rdm(&la, 0x802) == 0x123,
	      "without the API the ID given is ignored");

	/* TSC-deadline mode: the deadline stays if the mode does */
	fresh(&la, 1, false);
	khv_lapic_set_cpuid(&la, true, true, false, &act);
	wr(&la, 0x320, 0x40061);
	khv_lapic_set_tsc_deadline(&la, 4242, &act);
	khv_lapic_get_state(&la, &st, now);
	sput(&st, 0x380, 77);
	CHECK(!khv_lapic_set_state(&la, &st, now, &act) && la.tsc_deadline == 4242, "kept");
	CHECK(rd(&la, 0x380) == 0 && la.timer_expire_ns == NO_TIMER, "no TMICT in TSC mode");
	sput(&st, 0x320, 0x61);
	CHECK(!khv_lapic_set_state(&la, &st, now, &act) && la.tsc_deadline == 0, "mode left");
	return KSFT_PASS;
}

static u64 rng = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* What must hold whatever was done: checked after every hostile access. */
static int invariants(const struct khv_lapic *l, u32 ver)
{
	u32 off, tpr = raw(l, 0x80), ppr = tpr;
	int isrv = -1, v;

	for (off = 0; off < 0x400; off++)
		CHECK((off & 0xf) < 4 || !l->regs[off], "byte %#x of a row is %#x", off,
		      l->regs[off]);
	CHECK(raw(l, 0x30) == ver, "version %#x", raw(l, 0x30));
	CHECK(tpr <= 0xff, "TPR %#x", tpr);
	for (v = 255; v >= 0 && isrv < 0; v--)
		if (isr(l, v))
			isrv = v;
	if (isrv >= 0 && (isrv & 0xf0) > (int)(tpr & 0xf0))
		ppr = isrv & 0xf0;
	CHECK(raw(l, 0xa0) == ppr, "PPR %#x, want %#x", raw(l, 0xa0), ppr);
	CHECK(!raw(l, 0x390) && !raw(l, 0x90) && !raw(l, 0x2f0), "computed/absent rows stored");
	CHECK(!(act.flags & ~0x1fU), "unknown action %#x", act.flags);
	return KSFT_PASS;
}

/* Every offset x length, every MSR, in every mode, with hostile values. */
static int t_hostile(void)
{
	static const u8 lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 16, 255 };
	static const u64 vals[] = { 0, ~0ULL, 0x5a5a5a5a5a5a5a5aULL, 0xff, 0x1ff, 0x100000000ULL };
	u64 n = 0;
	u32 off, msr;
	size_t i, j;
	int mode;

	for (mode = 0; mode < 3; mode++) {
		fresh(&la, 1 + mode * 0x100, mode == 0);
		if (mode == 1)
			CHECK(!khv_lapic_set_base(&la, 0xfee00000ULL, 0, false, &act), "disable");
		if (mode == 2)
			CHECK(!khv_lapic_set_base(&la, 0xfee00c00ULL, 0, false, &act), "x2");
		for (off = 0; off < 0x1010; off++) {
			for (i = 0; i < ARRAY_SIZE(lens); i++) {
				u64 r = khv_lapic_mmio_read(&la, off, lens[i], now);

				CHECK(lens[i] >= 8 || r < 1ULL << (lens[i] * 8),
				      "read %#x/%u: %#llx", off, lens[i], (unsigned long long)r);
				for (j = 0; j < ARRAY_SIZE(vals); j++) {
					u64 val = j ? vals[j] : rnd();

					khv_lapic_mmio_write(&la, off, lens[i], val, now, &act);
					/* keep it enabled, or most writes do nothing */
					if (mode == 0 && !(raw(&la, 0xf0) & 0x100))
						wr(&la, 0xf0, 0x1ff);
					now += rnd() % 1000;
					khv_lapic_timer_fire(&la, now);
					n++;
				}
			}
			if (invariants(&la, 0x50014))
				return KSFT_FAIL;
		}
		for (msr = 0x700; msr <= 0x9ff; msr++) {
			u64 v;

			khv_lapic_rdmsr(&la, msr, &v, now);
			for (j = 0; j < ARRAY_SIZE(vals); j++) {
				khv_lapic_wrmsr(&la, msr, j ? vals[j] : rnd(), now, &act);
				khv_lapic_wrmsr(&la, msr, rnd() & 0xffffffff, now, &act);
				if (mode == 2 && !(raw(&la, 0xf0) & 0x100))
					wrm(&la, 0x80f, 0x1ff);
				n++;
			}
			if (invariants(&la, 0x50014))
				return KSFT_FAIL;
		}
		/* random interrupts, acks, EOIs and time */
		for (i = 0; i < 20000; i++) {
			u64 r = rnd();
			int p;

			khv_lapic_accept(&la, r & 0xff, r & 0x100);
			p = khv_lapic_pending(&la);
			if (p >= 0 && (r & 0x200))
				khv_lapic_ack(&la, p);
			if (r & 0x400) {
				if (mode == 2)
					wrm(&la, 0x80b, 0);
				else
					wr(&la, 0xb0, 0);
			}
			if (r & 0x800)
				khv_lapic_set_cr8(&la, r >> 12, &act);
			khv_lapic_timer_fire(&la, now += r % 5000);
			if (invariants(&la, 0x50014))
				return KSFT_FAIL;
		}
		/* random state from user space */
		for (i = 0; i < 2000; i++) {
			for (off = 0; off < sizeof(st.regs); off++)
				st.regs[off] = rnd();
			khv_lapic_set_state(&la, &st, now, &act);
			CHECK(la.timer_expire_ns == NO_TIMER || la.timer_expire_ns <= now +
			      0xffffffffULL * 128, "expiry beyond the longest count");
			if (invariants(&la, 0x50014))
				return KSFT_FAIL;
			khv_lapic_get_state(&la, &st2, now);
		}
	}
	ksft_diag("%llu hostile accesses", (unsigned long long)n);
	return KSFT_PASS;
}

/* The TSC-deadline timer advance's adaptation (the glue's, kept pure). */
static int t_timer_advance(void)
{
	const u32 max = 50000, ignore = 1000000;
	const s64 s64_max = (s64)(~0ULL >> 1);
	u32 adv = 1000;
	int i;

	/* an eighth of the miss, either way */
	CHECK(khv_lapic_advance_next(1000, 80000, max, ignore) == 11000, "late");
	CHECK(khv_lapic_advance_next(5000, -8000, max, ignore) == 4000, "early");
	CHECK(khv_lapic_advance_next(5000, 7, max, ignore) == 5000, "tiny miss");
	/* bounds */
	CHECK(khv_lapic_advance_next(100, -10000, max, ignore) == 0, "floor");
	CHECK(khv_lapic_advance_next(49000, 900000, max, ignore) == max, "cap");
	CHECK(khv_lapic_advance_next(3000, 999999, 0, ignore) == 0, "max 0");
	/* misses beyond the limit are not the timer path */
	CHECK(khv_lapic_advance_next(3000, 1000001, max, ignore) == 3000, "ignored late");
	CHECK(khv_lapic_advance_next(3000, -1000001, max, ignore) == 3000, "ignored early");
	CHECK(khv_lapic_advance_next(3000, s64_max, max, ignore) == 3000, "s64 max");
	CHECK(khv_lapic_advance_next(3000, -s64_max - 1, max, ignore) == 3000, "s64 min");
	CHECK(khv_lapic_advance_next(~0u, 0, max, ignore) == max, "above the cap");
	/* a path 3 us long: the advance settles within 8 ns of it */
	for (i = 0; i < 200; i++)
		adv = khv_lapic_advance_next(adv, 3000 - (s64)adv, max, ignore);
	CHECK(adv >= 2992 && adv <= 3000, "settled at %u for 3000", adv);
	/* one longer than the cap: it stays at the cap, never waits */
	for (i = 0; i < 200; i++)
		adv = khv_lapic_advance_next(adv, 120000 - (s64)adv, max, ignore);
	CHECK(adv == max, "settled at %u for 120000", adv);
	return KSFT_PASS;
}

/*
 * khv_lapic_reg_timed() lets the glue skip the clock: every register it
 * calls untimed must read and write the same at any time, with a timer
 * running; and the timer's three must be timed.
 */
static int t_timed_regs(void)
{
	static struct khv_lapic a, b;
	struct khv_lapic_action aa, ab;
	u32 off, msr;
	u64 va, vb;
	int ra, rb;

	for (off = 0; off < 0x1000; off += 0x10) {
		if (khv_lapic_reg_timed(off))
			continue;
		fresh(&a, 1, false);
		wr(&a, 0x320, 0x20041);		/* periodic, vector 0x41 */
		now = 500;
		wr(&a, 0x380, 1000);		/* running */
		b = a;
		va = khv_lapic_mmio_read(&a, off, 4, 600);
		vb = khv_lapic_mmio_read(&b, off, 4, 987654);
		CHECK(va == vb, "read %#x differs with the time", off);
		memset(&aa, 0, sizeof(aa));
		memset(&ab, 0, sizeof(ab));
		khv_lapic_mmio_write(&a, off, 4, 0x1ff, 600, &aa);
		khv_lapic_mmio_write(&b, off, 4, 0x1ff, 987654, &ab);
		CHECK(!memcmp(&a, &b, sizeof(a)) && !memcmp(&aa, &ab, sizeof(aa)),
		      "write %#x differs with the time", off);
	}
	for (msr = 0x800; msr < 0x900; msr++) {
		if (khv_lapic_msr_timed(msr))
			continue;
		CHECK(fresh_x2(&a, 1) == KSFT_PASS, "x2APIC");
		CHECK(!khv_lapic_wrmsr(&a, 0x832, 0x20041, 0, &act) &&
		      !khv_lapic_wrmsr(&a, 0x838, 1000, 500, &act), "timer");
		b = a;
		va = vb = 0;
		ra = khv_lapic_rdmsr(&a, msr, &va, 600);
		rb = khv_lapic_rdmsr(&b, msr, &vb, 987654);
		CHECK(ra == rb && va == vb, "RDMSR %#x differs with the time", msr);
		memset(&aa, 0, sizeof(aa));
		memset(&ab, 0, sizeof(ab));
		ra = khv_lapic_wrmsr(&a, msr, 0xff, 600, &aa);
		rb = khv_lapic_wrmsr(&b, msr, 0xff, 987654, &ab);
		CHECK(ra == rb && !memcmp(&a, &b, sizeof(a)) &&
		      !memcmp(&aa, &ab, sizeof(aa)), "WRMSR %#x differs with the time", msr);
	}
	CHECK(khv_lapic_reg_timed(0x380) && khv_lapic_reg_timed(0x390) &&
	      khv_lapic_reg_timed(0x3e0) && khv_lapic_reg_timed(0x384) &&
	      khv_lapic_msr_timed(0x838) && khv_lapic_msr_timed(0x839) &&
	      khv_lapic_msr_timed(0x83e) && !khv_lapic_reg_timed(0x300) &&
	      !khv_lapic_msr_timed(0x830), "the timer's registers are timed");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "lapic_reset", t_reset },
	{ "lapic_cmci", t_cmci },
	{ "lapic_xapic_masks", t_xapic_masks },
	{ "lapic_mmio_sizes", t_mmio_sizes },
	{ "lapic_priority", t_priority },
	{ "lapic_accept_esr", t_accept_esr },
	{ "lapic_eoi_level", t_eoi_level },
	{ "lapic_icr", t_icr },
	{ "lapic_match", t_match },
	{ "lapic_base", t_base },
	{ "lapic_init", t_init },
	{ "lapic_lint", t_lint },
	{ "lapic_x2apic_msrs", t_x2apic_msrs },
	{ "lapic_timer_divide", t_timer_divide },
	{ "lapic_timer_oneshot", t_timer_oneshot },
	{ "lapic_timer_periodic", t_timer_periodic },
	{ "lapic_timer_tdcr", t_timer_tdcr },
	{ "lapic_timer_tsc", t_timer_tsc },
	{ "lapic_timer_advance", t_timer_advance },
	{ "lapic_state", t_state },
	{ "lapic_timed_regs", t_timed_regs },
	{ "lapic_hostile", t_hostile },
};

int main(void)
{
	return KSFT_RUN(cases);
}
