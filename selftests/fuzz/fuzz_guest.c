// SPDX-License-Identifier: GPL-2.0
/*
 * khv_fuzz: the guest side. A scenario takes a vCPU, writes a guest into
 * its VM's main RAM (GDT, IDT with handlers that step over the faulting
 * byte, page tables for the mode, sometimes corrupted, and a stream of
 * instructions: port and MMIO accesses, string I/O, CPUID, RDMSR/WRMSR,
 * MOV CR/DR, descriptor-table loads, SVM and other intercepted
 * instructions, control flow, raw random bytes), sets registers,
 * segments and control registers for one of the x86 modes (real, 16- and
 * 32-bit protected, paging without and with PAE, long and compatibility
 * mode, virtual-8086, or none at all: random), with targeted
 * corruptions, then MSRs, FPU, debug state and events, and runs it,
 * completing I/O and MMIO exits with random data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fuzz.h"

/* Guest physical layout of the main RAM (slot 0, GPA 0). */
#define G_GDT		0x1000
#define G_IDT		0x2000
#define G_PML4		0x3000
#define G_PDPT		0x4000
#define G_PD		0x5000		/* 4 pages */
#define G_PT		0x9000
#define G_TSS		0x9800
#define G_HANDLERS	0xa000		/* 256 x 16 bytes */
#define G_CODE		0x10000
#define G_CODE_MAX	0x4000
#define G_DATA		0x20000
#define G_STACK		0x30000
#define G_IST		0x38000

/*
 * Debugging only: $KHV_FUZZ_NO turns groups of guest features off, to
 * find which one a problem needs (how the --guest tcg profile was found).
 * Bits: NO_SYS system
 * instructions, NO_WEIRD random and mutated sregs and page tables,
 * NO_EVENTS interrupts, NMIs, events and debug state, NO_MSRS MSR writes,
 * NO_LONG long and compatibility mode, NO_IO I/O and MMIO instructions.
 */
enum { NO_SYS = 1, NO_WEIRD = 2, NO_EVENTS = 4, NO_MSRS = 8, NO_LONG = 16,
       NO_IO = 32, NO_FLOW = 64, NO_RAW = 128 };

/* A debugging bit mask from the environment, read once into *@cache. */
static unsigned int env_bits(const char *name, int *cache)
{
	if (*cache < 0) {
		const char *e = getenv(name);

		*cache = e ? (int)strtoul(e, NULL, 0) : 0;
	}
	return (unsigned int)*cache;
}

static unsigned int no_mask(void)
{
	static int v = -1;

	return env_bits("KHV_FUZZ_NO", &v);
}

enum gmode {
	M_REAL, M_PM16, M_PM32, M_PG32, M_PAE32, M_LONG64, M_COMPAT, M_VM86,
	M_RANDOM, NR_MODES
};

static const uint32_t mode_weight[NR_MODES] = {
	[M_REAL] = 12, [M_PM16] = 4, [M_PM32] = 10, [M_PG32] = 5, [M_PAE32] = 6,
	[M_LONG64] = 30, [M_COMPAT] = 6, [M_VM86] = 4, [M_RANDOM] = 6,
};

/* ------------------------------------------------------------------ */
/* Random vCPU state (also for the plain ioctl generators)             */
/* ------------------------------------------------------------------ */

/*
 * The one thing about a guest the fuzzer keeps sane: TR present, type 9.
 * QEMU's TCG (the test machine's CPU) aborts the whole machine
 * (cpu_abort "invalid tss", "invalid tss type") when an interrupt needs
 * the ring-0 stack and TR is not present or, outside long mode, not an
 * available TSS; real CPUs raise #TS. khv only passes TR through.
 */
void sanitize_tr(struct kvm_sregs *s)
{
	s->tr.present = 1;
	s->tr.type = 9;
	s->tr.s = 0;
	s->tr.unusable = 0;
	if (cfg.guest != GUEST_TCG)
		return;
	/*
	 * What else stalls the test machine's QEMU (CPUs stay in the guest,
	 * deaf to interrupts, on stock KVM as on khv): EFER.LME left on
	 * outside long mode, for the guest to switch paging on itself, and
	 * CR3 (the guest's page tables) outside its RAM.
	 */
	if ((s->efer & 0x500) == 0x100)
		s->efer &= ~0x100ull;
	if (s->cr3 >= MAIN_RAM)
		s->cr3 &= (MAIN_RAM - 1) & ~0xfffull;
}

/* Host-set MSRs the test machine survives (see gen_msrs()). */
bool tcg_msr_ok(uint32_t index)
{
	return cfg.guest != GUEST_TCG ||
	       !(index == 0x10 || (index >> 8) == 0x4b564d || (index >> 12) == 0x40000);
}

/*
 * And their values: EFER.LME set by KVM_SET_MSRS outside long mode stalls
 * it as it does through KVM_SET_SREGS (replayed op 0x66cc3038e66c8a1: a
 * real-mode guest of HLTs after EFER = 0x100 hangs the machine on stock
 * KVM and on khv alike).
 */
uint64_t tcg_msr_value(uint32_t index, uint64_t data)
{
	if (cfg.guest == GUEST_TCG && index == 0xc0000080)
		data &= ~0x100ull;
	return data;
}

static void rnd_seg(struct rng *r, struct kvm_segment *s)
{
	s->base = one_in(r, 2) ? 0 : rnd_value(r, 64);
	s->limit = one_in(r, 2) ? 0xffffffff : (uint32_t)rnd_value(r, 32);
	s->selector = (uint16_t)rnd_value(r, 16);
	s->type = rnd_below(r, 16);
	s->present = rnd_below(r, 2);
	s->dpl = rnd_below(r, 4);
	s->db = rnd_below(r, 2);
	s->s = rnd_below(r, 2);
	s->l = rnd_below(r, 2);
	s->g = rnd_below(r, 2);
	s->avl = rnd_below(r, 2);
	s->unusable = one_in(r, 4);
	s->padding = one_in(r, 16) ? (uint8_t)rnd32(r) : 0;
}

void gen_regs_random(struct rng *r, struct kvm_regs *regs)
{
	__u64 *g = &regs->rax;
	int i;

	for (i = 0; i < 16; i++)
		g[i] = rnd_value(r, 64);
	regs->rip = one_in(r, 2) ? G_CODE + rnd_below(r, G_CODE_MAX) : rnd_value(r, 64);
	regs->rflags = rnd_value(r, 64) | 2;
}

void gen_sregs_random(struct rng *r, struct kvm_sregs *s)
{
	struct kvm_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs, &s->gs,
				       &s->ss, &s->tr, &s->ldt };
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < ARRAY_SIZE(segs); i++)
		rnd_seg(r, segs[i]);
	s->gdt.base = rnd_value(r, 64);
	s->gdt.limit = (uint16_t)rnd_value(r, 16);
	s->idt.base = rnd_value(r, 64);
	s->idt.limit = (uint16_t)rnd_value(r, 16);
	s->cr0 = rnd_value(r, 64);
	s->cr2 = rnd_value(r, 64);
	s->cr3 = rnd_value(r, 64);
	s->cr4 = rnd_value(r, 64);
	s->cr8 = rnd_value(r, 64);
	s->efer = rnd_value(r, 64);
	s->apic_base = rnd_value(r, 64);
	if (one_in(r, 4))
		s->interrupt_bitmap[rnd_below(r, 4)] = 1ull << rnd_below(r, 64);
	sanitize_tr(s);
}

void gen_events(struct rng *r, struct kvm_vcpu_events *e)
{
	memset(e, 0, sizeof(*e));
	e->flags = one_in(r, 6) ? rnd32(r) : rnd_below(r, 64) &
		   (one_in(r, 3) ? 0x3f : KVM_VCPUEVENT_VALID_NMI_PENDING |
		    KVM_VCPUEVENT_VALID_SHADOW);
	if (one_in(r, 4)) {
		e->exception.injected = rnd_below(r, 2);
		e->exception.pending = rnd_below(r, 2);
		e->exception.nr = one_in(r, 4) ? (uint8_t)rnd32(r) : rnd_below(r, 32);
		e->exception.has_error_code = rnd_below(r, 2);
		e->exception.error_code = rnd32(r);
		e->exception_has_payload = one_in(r, 4);
		e->exception_payload = rnd_value(r, 64);
	}
	/* not on the test machine: see fz_ioctl() on KVM_INTERRUPT */
	e->interrupt.injected = one_in(r, 3) && cfg.guest != GUEST_TCG;
	e->interrupt.nr = (uint8_t)rnd32(r);
	e->interrupt.soft = one_in(r, 4);
	e->interrupt.shadow = rnd_below(r, 4);
	e->nmi.injected = one_in(r, 4);
	e->nmi.pending = one_in(r, 3);
	e->nmi.masked = one_in(r, 3);
	e->sipi_vector = rnd32(r);
	if (one_in(r, 8)) {
		e->smi.smm = rnd_below(r, 2);
		e->smi.pending = rnd_below(r, 2);
		e->smi.smm_inside_nmi = rnd_below(r, 2);
		e->smi.latched_init = rnd_below(r, 2);
	}
	e->triple_fault.pending = one_in(r, 16);
}

/* ------------------------------------------------------------------ */
/* Code generation                                                     */
/* ------------------------------------------------------------------ */

struct cg {
	struct rng *r;
	uint8_t *buf;
	size_t pos, cap;
	int bits;		/* 16, 32, 64 */
};

static void b1(struct cg *c, uint8_t v)
{
	if (c->pos < c->cap)
		c->buf[c->pos++] = v;
}

static void bn(struct cg *c, uint64_t v, int n)
{
	while (n--) {
		b1(c, (uint8_t)v);
		v >>= 8;
	}
}

/* An operand value: addresses of interest, ports, counts, noise. */
static uint64_t pool_value(struct rng *r)
{
	static const uint16_t ports[] = { 0x1000, 0x7e, 0x3f8, 0x3fd, 0xcf8, 0xcfc,
		0x60, 0x64, 0x70, 0x71, 0x80, 0xe9, 0x510, 0x20, 0x21, 0xa0, 0x40,
		0x43, 0x61, 0x92, 0x402, 0xffff, 0xfffe };

	switch (rnd_below(r, 16)) {
	case 0 ... 1:	/* RAM data, sometimes at a page end */
		return G_DATA + (one_in(r, 3) ? 0x1000 - rnd_below(r, 8) : rnd_below(r, 0x2000));
	case 2:		/* RAM: code, tables */
		return PAGE * rnd_below(r, 16) + rnd_below(r, 64);
	case 3 ... 5:	/* MMIO */
		switch (rnd_below(r, 6)) {
		case 0:
			return 0xfee00000 + 16 * rnd_below(r, 64);
		case 1:
			return 0xfec00000 + rnd_below(r, 0x40);
		case 2:		/* across the end of RAM */
			return MAIN_RAM - rnd_below(r, 8);
		case 3:
			return 0xfffff000 + rnd_below(r, 0x1000);
		default:
			return 0xd0000000 + (one_in(r, 3) ? 0x1000 - rnd_below(r, 8) :
					     rnd_below(r, 0x10000));
		}
	case 6 ... 7:
		return ports[rnd_below(r, ARRAY_SIZE(ports))];
	case 8:
		return rnd_below(r, 0x10000);
	case 9:		/* counts */
		return one_in(r, 2) ? rnd_below(r, 8) : rnd_interesting(r);
	case 10:
		return rnd_msr_index(r);
	case 11:	/* non-canonical, high */
		return one_in(r, 2) ? 0x0000800000000000ull + rnd_below(r, 0x1000) :
		       0xffff800000000000ull + rnd_below(r, 0x1000);
	default:
		return rnd_value(r, 64);
	}
}

static void emit_prefixes(struct cg *c, bool *p66, bool *p67)
{
	static const uint8_t pfx[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36,
				       0x3e, 0x26, 0x64, 0x65 };
	int n = one_in(c->r, 4) ? 1 + rnd_below(c->r, 2) : 0;

	*p66 = *p67 = false;
	while (n--) {
		uint8_t p = pfx[rnd_below(c->r, sizeof(pfx))];

		*p66 |= p == 0x66;
		*p67 |= p == 0x67;
		b1(c, p);
	}
	if (c->bits == 64 && one_in(c->r, 3))
		b1(c, 0x40 | rnd_below(c->r, 16));
}

/* mov reg32/64, imm: reg 0-7 */
static void emit_mov_imm(struct cg *c, int reg, uint64_t v)
{
	if (c->bits == 16) {
		b1(c, 0x66);
		b1(c, 0xb8 + reg);
		bn(c, v, 4);
	} else if (c->bits == 64 && v > 0xffffffffull) {
		b1(c, 0x48);
		b1(c, 0xb8 + reg);
		bn(c, v, 8);
	} else {
		b1(c, 0xb8 + reg);
		bn(c, v, 4);
	}
}

static void emit_mov_dx(struct cg *c, uint16_t port)
{
	if (c->bits != 16)
		b1(c, 0x66);
	b1(c, 0xba);
	bn(c, port, 2);
}

/* A ModRM byte (and SIB/displacement) addressing memory, reg field @reg. */
static void emit_modrm_mem(struct cg *c, int reg, bool p67)
{
	bool addr16 = (c->bits == 16) != p67;
	int mod = one_in(c->r, 4) ? 1 + rnd_below(c->r, 2) : 0;
	int rm;

	reg &= 7;
	if (addr16) {
		static const uint8_t rms[] = { 4, 5, 7, 0, 1, 6 };

		rm = rms[rnd_below(c->r, sizeof(rms))];
		b1(c, (uint8_t)(mod << 6 | reg << 3 | rm));
		if (mod == 1)
			b1(c, (uint8_t)rnd32(c->r));
		else if (mod == 2 || (mod == 0 && rm == 6))
			bn(c, rnd32(c->r), 2);
		return;
	}
	switch (rnd_below(c->r, 10)) {
	case 0:		/* SIB */
		rm = 4;
		b1(c, (uint8_t)(mod << 6 | reg << 3 | rm));
		b1(c, (uint8_t)(rnd_below(c->r, 4) << 6 | rnd_below(c->r, 8) << 3 |
				(3 + rnd_below(c->r, 2) * 3)));	/* base rbx or rsi */
		break;
	case 1:		/* disp32 (RIP-relative in 64-bit mode) */
		b1(c, (uint8_t)(reg << 3 | 5));
		bn(c, one_in(c->r, 2) ? rnd32(c->r) : (uint32_t)rnd_below(c->r, 0x100), 4);
		return;
	default:	{
		static const uint8_t rms[] = { 0, 1, 2, 3, 6, 7 };

		rm = rms[rnd_below(c->r, sizeof(rms))];
		b1(c, (uint8_t)(mod << 6 | reg << 3 | rm));
		break;
	}
	}
	if (mod == 1)
		b1(c, (uint8_t)rnd32(c->r));
	else if (mod == 2)
		bn(c, one_in(c->r, 2) ? rnd32(c->r) : rnd_below(c->r, 0x1000), 4);
}

/* Memory-operand instructions: opcode bytes, /reg (-1: any), immediate. */
struct memop {
	uint8_t n, op[3];
	int8_t reg;
	uint8_t imm;		/* 0, 1, 2, or 'z' (operand size) */
};

static const struct memop memops[] = {
	{ 1, { 0x88 }, -1, 0 }, { 1, { 0x89 }, -1, 0 }, { 1, { 0x8a }, -1, 0 },
	{ 1, { 0x8b }, -1, 0 }, { 1, { 0xc6 }, 0, 1 }, { 1, { 0xc7 }, 0, 'z' },
	{ 2, { 0x0f, 0xb6 }, -1, 0 }, { 2, { 0x0f, 0xb7 }, -1, 0 },
	{ 2, { 0x0f, 0xbe }, -1, 0 }, { 2, { 0x0f, 0xbf }, -1, 0 },
	{ 1, { 0x63 }, -1, 0 }, { 2, { 0x0f, 0xc3 }, -1, 0 },
	{ 1, { 0x00 }, -1, 0 }, { 1, { 0x01 }, -1, 0 }, { 1, { 0x03 }, -1, 0 },
	{ 1, { 0x09 }, -1, 0 }, { 1, { 0x11 }, -1, 0 }, { 1, { 0x19 }, -1, 0 },
	{ 1, { 0x21 }, -1, 0 }, { 1, { 0x29 }, -1, 0 }, { 1, { 0x31 }, -1, 0 },
	{ 1, { 0x39 }, -1, 0 }, { 1, { 0x3b }, -1, 0 }, { 1, { 0x84 }, -1, 0 },
	{ 1, { 0x85 }, -1, 0 }, { 1, { 0x86 }, -1, 0 }, { 1, { 0x87 }, -1, 0 },
	{ 1, { 0x80 }, -1, 1 }, { 1, { 0x81 }, -1, 'z' }, { 1, { 0x83 }, -1, 1 },
	{ 1, { 0xf6 }, 0, 1 }, { 1, { 0xf6 }, 2, 0 }, { 1, { 0xf6 }, 3, 0 },
	{ 1, { 0xf7 }, 0, 'z' }, { 1, { 0xf7 }, 2, 0 }, { 1, { 0xf7 }, 3, 0 },
	{ 1, { 0xf7 }, 6, 0 }, { 1, { 0xfe }, 0, 0 }, { 1, { 0xfe }, 1, 0 },
	{ 1, { 0xff }, 0, 0 }, { 1, { 0xff }, 1, 0 }, { 1, { 0xff }, 6, 0 },
	{ 1, { 0xff }, 2, 0 }, { 1, { 0xff }, 4, 0 }, { 1, { 0xff }, 3, 0 },
	{ 1, { 0xff }, 5, 0 }, { 1, { 0x8f }, 0, 0 },
	{ 2, { 0x0f, 0xb0 }, -1, 0 }, { 2, { 0x0f, 0xb1 }, -1, 0 },
	{ 2, { 0x0f, 0xc0 }, -1, 0 }, { 2, { 0x0f, 0xc1 }, -1, 0 },
	{ 2, { 0x0f, 0xa3 }, -1, 0 }, { 2, { 0x0f, 0xab }, -1, 0 },
	{ 2, { 0x0f, 0xba }, 5, 1 }, { 1, { 0xd1 }, -1, 0 }, { 1, { 0xd3 }, -1, 0 },
	{ 2, { 0x0f, 0x10 }, -1, 0 }, { 2, { 0x0f, 0x11 }, -1, 0 },
	{ 2, { 0x0f, 0x29 }, -1, 0 }, { 2, { 0x0f, 0x6f }, -1, 0 },
	{ 2, { 0x0f, 0x7f }, -1, 0 }, { 2, { 0x0f, 0x2b }, -1, 0 },
	{ 1, { 0x8c }, -1, 0 }, { 1, { 0x8e }, -1, 0 },
	{ 2, { 0x0f, 0x18 }, -1, 0 }, { 1, { 0xd9 }, 0, 0 }, { 1, { 0xdd }, 3, 0 },
	{ 2, { 0x0f, 0x01 }, 0, 0 }, { 2, { 0x0f, 0x01 }, 1, 0 },
	{ 2, { 0x0f, 0x01 }, 2, 0 }, { 2, { 0x0f, 0x01 }, 3, 0 },
	{ 2, { 0x0f, 0x01 }, 4, 0 }, { 2, { 0x0f, 0x01 }, 6, 0 },
	{ 2, { 0x0f, 0x01 }, 7, 0 }, { 2, { 0x0f, 0x00 }, 0, 0 },
	{ 2, { 0x0f, 0x00 }, 1, 0 }, { 2, { 0x0f, 0x00 }, 2, 0 },
	{ 2, { 0x0f, 0x00 }, 4, 0 }, { 2, { 0x0f, 0x00 }, 5, 0 },
	{ 2, { 0x0f, 0xc7 }, 1, 0 }, { 2, { 0x0f, 0xae }, -1, 0 },
	{ 1, { 0xc4 }, -1, 0 }, { 1, { 0xc5 }, -1, 0 }, { 1, { 0x62 }, -1, 0 },
	{ 2, { 0x0f, 0xb2 }, -1, 0 },
};

static void emit_memop(struct cg *c)
{
	const struct memop *m = &memops[rnd_below(c->r, ARRAY_SIZE(memops))];
	bool p66, p67;
	int i, reg;

	if (one_in(c->r, 2))	/* point a register somewhere first */
		emit_mov_imm(c, one_in(c->r, 2) ? 3 : rnd_below(c->r, 8), pool_value(c->r));
	emit_prefixes(c, &p66, &p67);
	for (i = 0; i < m->n; i++)
		b1(c, m->op[i]);
	reg = m->reg >= 0 ? m->reg : (int)rnd_below(c->r, 8);
	emit_modrm_mem(c, reg, p67);
	if (m->imm == 'z')
		bn(c, rnd_value(c->r, 32), (c->bits == 16) != p66 ? 2 : 4);
	else if (m->imm)
		bn(c, rnd_value(c->r, 16), m->imm);
}

static void emit_io(struct cg *c)
{
	static const uint8_t ops[] = { 0xec, 0xed, 0xee, 0xef, 0x6c, 0x6d, 0x6e, 0x6f };
	uint8_t op;

	if (!one_in(c->r, 4))
		emit_mov_dx(c, (uint16_t)pool_value(c->r));
	if (one_in(c->r, 4)) {	/* immediate port */
		b1(c, 0xe4 + rnd_below(c->r, 4));
		b1(c, (uint8_t)pool_value(c->r));
		return;
	}
	op = ops[rnd_below(c->r, sizeof(ops))];
	if (op >= 0x6c) {	/* string I/O: a count, a buffer, maybe REP */
		if (one_in(c->r, 2))
			emit_mov_imm(c, 1, one_in(c->r, 2) ? rnd_below(c->r, 40) : pool_value(c->r));
		if (one_in(c->r, 2))
			emit_mov_imm(c, op < 0x6e ? 7 : 6, pool_value(c->r));
		if (one_in(c->r, 2))
			b1(c, 0xf3);
	}
	if (one_in(c->r, 4))
		b1(c, 0x66);
	if (one_in(c->r, 8))
		b1(c, 0x67);
	b1(c, op);
}

static uint64_t cr_value(struct rng *r, int cr)
{
	uint64_t v = rnd_value(r, 64);

	if (one_in(r, 3))
		return v;
	switch (cr) {
	case 0:
		return 0x80000033 ^ (1ull << rnd_below(r, 32));
	case 4:
		return (1ull << rnd_below(r, 26)) | (one_in(r, 2) ? 0x20 : 0);
	case 3:
		return PAGE * rnd_below(r, 16) | rnd_below(r, 0x20);
	default:
		return rnd_below(r, 16);
	}
}

static void emit_system(struct cg *c)
{
	static const uint8_t fixed[][4] = {
		/* length, bytes */
		{ 1, 0xf4 }, { 2, 0xfb, 0xf4 }, { 1, 0xfb }, { 1, 0xfa },
		{ 2, 0x0f, 0x31 }, { 3, 0x0f, 0x01, 0xf9 }, { 2, 0x0f, 0x33 },
		{ 3, 0x0f, 0x01, 0xd8 }, { 3, 0x0f, 0x01, 0xd9 }, { 3, 0x0f, 0x01, 0xda },
		{ 3, 0x0f, 0x01, 0xdb }, { 3, 0x0f, 0x01, 0xdc }, { 3, 0x0f, 0x01, 0xdd },
		{ 3, 0x0f, 0x01, 0xde }, { 3, 0x0f, 0x01, 0xdf }, { 3, 0x0f, 0x01, 0xc8 },
		{ 3, 0x0f, 0x01, 0xc9 }, { 3, 0x0f, 0x01, 0xd0 }, { 3, 0x0f, 0x01, 0xfd },
		{ 3, 0x0f, 0x01, 0xf8 }, { 2, 0x0f, 0x05 }, { 2, 0x0f, 0x07 },
		{ 2, 0x0f, 0x34 }, { 2, 0x0f, 0x35 }, { 2, 0x0f, 0x06 }, { 2, 0x0f, 0x08 },
		{ 2, 0x0f, 0x09 }, { 1, 0xcc }, { 1, 0xce }, { 1, 0xf1 }, { 2, 0x0f, 0x0b },
		{ 1, 0xcf }, { 2, 0x48, 0xcf }, { 1, 0xc3 }, { 1, 0xcb }, { 1, 0x9c },
		{ 1, 0x9d }, { 2, 0x8e, 0xd0 }, { 1, 0x17 }, { 2, 0x0f, 0xa1 },
		{ 3, 0x0f, 0x01, 0xca }, { 3, 0x0f, 0x01, 0xcb }, { 3, 0x0f, 0x01, 0xee },
		{ 3, 0x0f, 0x01, 0xef }, { 3, 0x0f, 0xc7, 0xf0 }, { 3, 0x0f, 0x01, 0xc1 },
		{ 3, 0x0f, 0x00, 0xc0 }, { 3, 0x0f, 0x00, 0xd0 }, { 3, 0x0f, 0x01, 0xf0 },
		{ 3, 0x0f, 0x01, 0xe0 }, { 2, 0xd4, 0x00 }, { 2, 0xf7, 0xf1 }, { 1, 0xfd },
		{ 1, 0xfc }, { 2, 0xf3, 0x90 }, { 2, 0x0f, 0x37 }, { 2, 0x0f, 0xaa },
		{ 3, 0x0f, 0x01, 0xe8 }, { 1, 0xd6 }, { 2, 0x0f, 0xff }, { 1, 0xf4 },
		{ 3, 0x0f, 0x01, 0xd1 }, { 2, 0x0f, 0x0e }, { 2, 0x0f, 0x77 },
	};
	int k = rnd_below(c->r, 12), i, cr;

	/*
	 * The test machine's QEMU dies of an assertion once a guest's DR7
	 * arms breakpoints: stock KVM hands the guest its debug registers,
	 * khv loads the guest's DR0-3 and DR7 for the entry.
	 */
	if (k == 3 && cfg.guest == GUEST_TCG)
		k = 0;
	switch (k) {
	case 0:		/* CPUID leaf, subleaf */
		emit_mov_imm(c, 0, one_in(c->r, 2) ? rnd_below(c->r, 0x20) |
			     (one_in(c->r, 2) ? 0x80000000 : 0) : rnd32(c->r));
		if (one_in(c->r, 2))
			emit_mov_imm(c, 1, rnd_below(c->r, 4));
		b1(c, 0x0f);
		b1(c, 0xa2);
		break;
	case 1:		/* RDMSR / WRMSR */
		emit_mov_imm(c, 1, rnd_msr_index(c->r));
		if (one_in(c->r, 2)) {
			uint64_t v = rnd_msr_value(c->r, 0);

			emit_mov_imm(c, 0, (uint32_t)v);
			emit_mov_imm(c, 2, v >> 32);
			b1(c, 0x0f);
			b1(c, 0x30);
		} else {
			b1(c, 0x0f);
			b1(c, 0x32);
		}
		break;
	case 2:		/* MOV to/from CR0, 2, 3, 4, 8 (and invalid ones) */
		cr = one_in(c->r, 8) ? (int)rnd_below(c->r, 8) :
		     (int)"\0\0\2\3\4\4\10"[rnd_below(c->r, 7)];
		/*
		 * The test machine's QEMU asserts (cpu_interrupt() without its
		 * big lock) on a guest's CR8 write while a virtual interrupt
		 * waits: only reads of CR8 there.
		 */
		if (cr == 8 && cfg.guest == GUEST_TCG) {
			b1(c, 0x44);
			b1(c, 0x0f);
			b1(c, 0x20);
			b1(c, 0xc0);
			break;
		}
		if (one_in(c->r, 3)) {
			if (cr & 8)
				b1(c, 0x44);
			b1(c, 0x0f);
			b1(c, 0x20);
			b1(c, (uint8_t)(0xc0 | (cr & 7) << 3 | rnd_below(c->r, 8)));
		} else {
			emit_mov_imm(c, 0, cr_value(c->r, cr));
			if (cr & 8)
				b1(c, 0x44);
			b1(c, 0x0f);
			b1(c, 0x22);
			b1(c, (uint8_t)(0xc0 | (cr & 7) << 3));
		}
		break;
	case 3:		/* MOV to/from DR0-7 */
		if (one_in(c->r, 2))
			emit_mov_imm(c, 0, one_in(c->r, 2) ? G_CODE + rnd_below(c->r, 0x100) :
				     rnd_value(c->r, 64));
		b1(c, 0x0f);
		b1(c, one_in(c->r, 2) ? 0x23 : 0x21);
		b1(c, (uint8_t)(0xc0 | rnd_below(c->r, 8) << 3));
		break;
	case 4:		/* POPF with interesting flags (TF, AC, NT, IOPL, VM, IF) */
		b1(c, 0x68);
		bn(c, (rnd32(c->r) & 0x247fd7) | 2, 4);
		b1(c, 0x9d);
		break;
	case 5:		/* INT n */
		b1(c, 0xcd);
		b1(c, (uint8_t)rnd32(c->r));
		break;
	case 6:		/* XSETBV */
		emit_mov_imm(c, 1, rnd_below(c->r, 2));
		emit_mov_imm(c, 0, rnd_below(c->r, 8));
		emit_mov_imm(c, 2, 0);
		b1(c, 0x0f);
		b1(c, 0x01);
		b1(c, 0xd1);
		break;
	case 7:		/* MOV Sreg, r16 */
		emit_mov_imm(c, 0, rnd_below(c->r, 0x80));
		b1(c, 0x8e);
		b1(c, (uint8_t)(0xc0 | rnd_below(c->r, 6) << 3));
		break;
	default:
		i = rnd_below(c->r, ARRAY_SIZE(fixed));
		for (k = 1; k <= fixed[i][0]; k++)
			b1(c, fixed[i][k]);
		break;
	}
}

static void emit_flow(struct cg *c)
{
	switch (rnd_below(c->r, 8)) {
	case 0:
		b1(c, 0xeb);
		b1(c, (uint8_t)rnd_below(c->r, 16));
		break;
	case 1:
		b1(c, 0x70 + rnd_below(c->r, 16));
		b1(c, (uint8_t)rnd_below(c->r, 16));
		break;
	case 2:		/* loop back a little: bounded by the timer */
		b1(c, 0xe2);
		b1(c, (uint8_t)-(int)rnd_below(c->r, 8));
		break;
	case 3:
		b1(c, 0xe8);
		bn(c, rnd_below(c->r, 64), c->bits == 16 ? 2 : 4);
		break;
	case 4:		/* jmp reg */
		emit_mov_imm(c, 0, one_in(c->r, 2) ? G_CODE + rnd_below(c->r, G_CODE_MAX) :
			     pool_value(c->r));
		b1(c, 0xff);
		b1(c, 0xe0);
		break;
	case 5:
		if (one_in(c->r, 8)) {		/* spin */
			b1(c, 0xeb);
			b1(c, 0xfe);
		} else {
			b1(c, 0x90);
		}
		break;
	default:	/* far jump/call to a selector */
		b1(c, c->bits == 64 ? 0xff : one_in(c->r, 2) ? 0xea : 0x9a);
		if (c->bits == 64) {
			b1(c, 0x2b);	/* jmp far [rbx] */
		} else {
			bn(c, G_CODE + rnd_below(c->r, 0x100), c->bits == 16 ? 2 : 4);
			bn(c, 8 * rnd_below(c->r, 12) | rnd_below(c->r, 4), 2);
		}
		break;
	}
}

static void emit_string(struct cg *c)
{
	static const uint8_t ops[] = { 0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad, 0xa6, 0xa7,
				       0xae, 0xaf };

	if (one_in(c->r, 2))
		emit_mov_imm(c, 6, pool_value(c->r));
	if (one_in(c->r, 2))
		emit_mov_imm(c, 7, pool_value(c->r));
	if (one_in(c->r, 2))
		emit_mov_imm(c, 1, one_in(c->r, 2) ? rnd_below(c->r, 32) : pool_value(c->r));
	if (one_in(c->r, 2))
		b1(c, one_in(c->r, 4) ? 0xf2 : 0xf3);
	if (one_in(c->r, 4))
		b1(c, 0x66);
	if (one_in(c->r, 6))
		b1(c, 0x67);
	b1(c, ops[rnd_below(c->r, sizeof(ops))]);
}

/* Instructions until @len bytes: the guest's program. */
static void gen_code(struct cg *c, size_t len)
{
	static const uint32_t w[] = { 16, 24, 20, 8, 8, 10, 12 };

	if (len > c->cap)
		len = c->cap;
	while (c->pos < len) {
		int k = rnd_weighted(c->r, w, ARRAY_SIZE(w));

		if ((k == 2 && no_mask() & NO_SYS) || ((k == 0 || k == 1 || k == 4) &&
		    no_mask() & NO_IO) || (k == 3 && no_mask() & NO_FLOW) ||
		    (k == 6 && no_mask() & NO_RAW))
			k = 5;
		switch (k) {
		case 0:
			emit_io(c);
			break;
		case 1:
			emit_memop(c);
			break;
		case 2:
			emit_system(c);
			break;
		case 3:
			emit_flow(c);
			break;
		case 4:
			emit_string(c);
			break;
		case 5:
			emit_mov_imm(c, rnd_below(c->r, 8), pool_value(c->r));
			break;
		default: {
			int n = 1 + rnd_below(c->r, 8);

			while (n--)
				b1(c, (uint8_t)rnd32(c->r));
			break;
		}
		}
	}
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */
/* ------------------------------------------------------------------ */

/* The guest's low memory image, built here, then copied in. */
struct gimage {
	uint8_t lo[0xc000];		/* 0 .. G_HANDLERS + 0x1000 */
	uint8_t code[G_CODE_MAX];
	uint8_t data[0x2000];
	size_t code_len;
};

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void build_gdt(struct rng *r, uint8_t *m)
{
	static const uint64_t gdt[] = {
		0, 0x00af9b000000ffffull, 0x00cf93000000ffffull,
		0x00cf9b000000ffffull, 0x00009b010000ffffull, 0x000093020000ffffull,
		0, 0, 0x00affb000000ffffull, 0x00cff3000000ffffull,
		0x00cffb000000ffffull,
	};
	uint8_t *g = m + G_GDT;
	int i;

	memcpy(g, gdt, sizeof(gdt));
	/* 64-bit TSS at 0x30 */
	put64(g + 0x30, 0x0000890000000067ull | (uint64_t)(G_TSS & 0xffffff) << 16);
	put64(g + 0x38, 0);
	if (one_in(r, 4)) {	/* a few random descriptors */
		for (i = 0; i < 1 + (int)rnd_below(r, 4); i++)
			put64(g + 8 * rnd_below(r, 16), rnd64(r));
	}
	/* TSS: RSP0 and IST1 */
	put64(m + G_TSS + 4, G_STACK);
	put64(m + G_TSS + 0x24, G_IST);
	m[G_TSS + 0x66] = 0x68;		/* no I/O permission map */
}

/*
 * IDT whose handlers step over one byte of the instruction that faulted
 * (so the program advances), or random code, or none at all.
 */
static void build_idt(struct rng *r, uint8_t *m, int mode)
{
	static const uint8_t err_vec[] = { 8, 10, 11, 12, 13, 14, 17, 21, 29, 30 };
	uint8_t *h = m + G_HANDLERS;
	int v, i;

	if (one_in(r, 6))
		return;		/* no handlers: faults end in a shutdown */
	for (v = 0; v < 256; v++) {
		uint8_t *s = h + v * 16, *e = s;
		uint64_t off = G_HANDLERS + v * 16;
		bool err = false;

		for (i = 0; i < (int)sizeof(err_vec); i++)
			err |= err_vec[i] == v;
		if (one_in(r, 32)) {
			rnd_fill(r, s, 16);
		} else if (cfg.handlers == 1) {
			*e++ = 0xf4; *e++ = 0xeb; *e++ = 0xfd;	/* hlt; jmp back */
		} else if (mode == M_REAL || mode == M_VM86) {
			/* push bp; mov bp,sp; inc word [bp+2]; pop bp; iret */
			static const uint8_t rm[] = { 0x55, 0x89, 0xe5, 0xff, 0x46, 0x02,
						      0x5d, 0xcf };

			memcpy(s, rm, sizeof(rm));
		} else if (mode == M_LONG64 || mode == M_COMPAT) {
			if (err) {	/* add rsp, 8 */
				*e++ = 0x48; *e++ = 0x83; *e++ = 0xc4; *e++ = 0x08;
			}
			/* add qword [rsp], 1; iretq */
			*e++ = 0x48; *e++ = 0x83; *e++ = 0x04; *e++ = 0x24; *e++ = 0x01;
			*e++ = 0x48; *e++ = 0xcf;
		} else {
			if (err) {	/* add esp, 4 */
				*e++ = 0x83; *e++ = 0xc4; *e++ = 0x04;
			}
			/* add dword [esp], 1; iret */
			*e++ = 0x83; *e++ = 0x04; *e++ = 0x24; *e++ = 0x01; *e++ = 0xcf;
		}
		if (mode == M_REAL || mode == M_VM86) {
			/* IVT at 0: offset, segment */
			uint16_t ivt[2] = { (uint16_t)(off & 0xf), (uint16_t)(off >> 4) };

			memcpy(m + v * 4, ivt, 4);
		} else if (mode == M_LONG64 || mode == M_COMPAT) {
			uint8_t *g = m + G_IDT + v * 16;
			uint64_t lo = (off & 0xffff) | (uint64_t)0x08 << 16 |
				      (uint64_t)(one_in(r, 16) ? 1 : 0) << 32 |
				      (uint64_t)(one_in(r, 8) ? 0xef : 0x8e) << 40 |
				      (off >> 16 & 0xffff) << 48;

			put64(g, lo);
			put64(g + 8, off >> 32);
		} else {
			uint8_t *g = m + G_IDT + v * 8;
			uint64_t d = (off & 0xffff) | (uint64_t)(mode == M_PM16 ? 0x20 : 0x18) << 16 |
				     (uint64_t)(one_in(r, 8) ? 0xef : 0x8e) << 40 |
				     (off >> 16 & 0xffff) << 48;

			put64(g, d);
		}
	}
}

static void corrupt_tables(struct rng *r, uint8_t *m, uint64_t lo, uint64_t hi)
{
	int k = rnd_below(r, 5);

	while (k--) {
		uint64_t off = lo + rnd_below(r, (uint32_t)(hi - lo));

		m[off] ^= 1u << rnd_below(r, 8);
	}
	if (one_in(r, 8))	/* a whole table of noise */
		rnd_fill(r, m + lo + PAGE * rnd_below(r, (uint32_t)((hi - lo) / PAGE)), PAGE);
}

static void build_paging(struct rng *r, uint8_t *m, int mode)
{
	uint64_t i, j, us = one_in(r, 4) ? 4 : 0, nx = one_in(r, 8) ? 1ull << 63 : 0;

	if (mode == M_PG32) {		/* 4 MiB pages (PSE), else 4 KiB tables */
		for (i = 0; i < 1024; i++) {
			uint32_t e = (uint32_t)(i << 22) | 0x83 | (uint32_t)us;

			memcpy(m + G_PML4 + 4 * i, &e, 4);
		}
		if (one_in(r, 3)) {	/* first 4 MiB through a page table */
			uint32_t e = G_PT | 3 | (uint32_t)us;

			memcpy(m + G_PML4, &e, 4);
			for (i = 0; i < 1024 && G_PT + 4 * i < G_TSS; i++) {
				e = (uint32_t)(i << 12) | 3;
				memcpy(m + G_PT + 4 * i, &e, 4);
			}
		}
	} else if (mode == M_PAE32) {
		for (i = 0; i < 4; i++)
			put64(m + G_PDPT + 8 * i, (G_PD + PAGE * i) | 1);
	} else {
		put64(m + G_PML4, G_PDPT | 7);
		if (one_in(r, 16))	/* self-reference */
			put64(m + G_PML4 + 8 * 511, G_PML4 | 3);
		for (i = 0; i < 4; i++)
			put64(m + G_PDPT + 8 * i, (G_PD + PAGE * i) | 7);
	}
	if (mode == M_PAE32 || mode == M_LONG64 || mode == M_COMPAT) {
		for (i = 0; i < 4; i++)
			for (j = 0; j < 512; j++)
				put64(m + G_PD + PAGE * i + 8 * j,
				      ((i * 512 + j) << 21) | 0x83 | us |
				      (mode == M_PAE32 ? 0 : nx * (j == 3)));
		if (one_in(r, 3)) {	/* first 2 MiB through 4 KiB pages */
			put64(m + G_PD, G_PT | 7);
			for (j = 0; j < 256; j++)
				put64(m + G_PT + 8 * j, (j << 12) | 3 | (one_in(r, 64) ? nx : 0));
		}
	}
	if (one_in(r, 4) && !(no_mask() & NO_WEIRD))
		corrupt_tables(r, m, G_PML4, G_PT + 0x800);
}

/* Descriptor-table pointers and far pointers for the program to load. */
static void build_data(struct rng *r, uint8_t *d)
{
	int i;

	rnd_fill(r, d, 0x2000);
	for (i = 0; i < 8; i++) {
		uint8_t *p = d + 0x100 * i;
		uint16_t lim = one_in(r, 2) ? 0x3f + 8 * rnd_below(r, 8) : (uint16_t)rnd32(r);
		uint64_t base = one_in(r, 2) ? (i & 1 ? G_IDT : G_GDT) : rnd_value(r, 64);

		memcpy(p, &lim, 2);
		memcpy(p + 2, &base, 8);
	}
}

/* ------------------------------------------------------------------ */
/* Segments, control registers per mode                                */
/* ------------------------------------------------------------------ */

static struct kvm_segment seg(uint64_t base, uint32_t limit, uint16_t sel,
			      uint8_t type, uint8_t s, uint8_t dpl, uint8_t db,
			      uint8_t l, uint8_t g)
{
	return (struct kvm_segment){ .base = base, .limit = limit, .selector = sel,
		.type = type, .present = 1, .dpl = dpl, .db = db, .s = s, .l = l,
		.g = g };
}

static void mode_sregs(struct rng *r, int mode, struct kvm_sregs *s)
{
	bool user = one_in(r, 8) && mode != M_REAL && mode != M_VM86;
	uint8_t dpl = user ? 3 : 0;
	uint16_t rpl = user ? 3 : 0;

	if (mode == M_RANDOM) {
		gen_sregs_random(r, s);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->gdt.base = G_GDT;
	s->gdt.limit = 0x5f;
	s->idt.base = G_IDT;
	s->idt.limit = mode == M_LONG64 || mode == M_COMPAT ? 0xfff : 0x7ff;
	s->tr = seg(G_TSS, 0x67, 0x30, 9, 0, 0, 0, 0, 0);
	s->ldt = seg(0, 0xffff, 0, 2, 0, 0, 0, 0, 0);
	s->cr0 = 0x10;		/* ET */
	s->apic_base = 0xfee00900;
	switch (mode) {
	case M_REAL:
	case M_VM86:
		s->cs = seg(G_CODE, 0xffff, G_CODE >> 4, 11, 1, mode == M_VM86 ? 3 : 0, 0, 0, 0);
		s->ds = seg(G_DATA, 0xffff, G_DATA >> 4, 3, 1, mode == M_VM86 ? 3 : 0, 0, 0, 0);
		s->es = s->fs = s->gs = s->ds;
		s->ss = s->ds;
		s->idt.base = 0;
		s->idt.limit = 0x3ff;
		if (mode == M_VM86) {
			s->cr0 |= 1;
			s->idt.base = G_IDT;
			if (one_in(r, 2))
				s->cr4 |= 1;	/* VME */
		}
		break;
	case M_PM16:
		s->cr0 |= 1;
		s->cs = seg(G_CODE, 0xffff, 0x20, 11, 1, 0, 0, 0, 0);
		s->ds = seg(G_DATA, 0xffff, 0x28, 3, 1, 0, 0, 0, 0);
		s->es = s->fs = s->gs = s->ss = s->ds;
		break;
	case M_PM32:
	case M_PG32:
	case M_PAE32:
		s->cr0 |= 1 | 0x20;
		s->cs = seg(0, 0xffffffff, user ? 0x53 : 0x18, 11, 1, dpl, 1, 0, 1);
		s->ds = seg(0, 0xffffffff, user ? 0x4b : 0x10, 3, 1, dpl, 1, 0, 1);
		s->es = s->fs = s->gs = s->ss = s->ds;
		if (mode == M_PG32) {
			s->cr0 |= 0x80010000;
			s->cr4 = one_in(r, 6) ? 0 : 0x10;	/* PSE */
			s->cr3 = G_PML4;
		} else if (mode == M_PAE32) {
			s->cr0 |= 0x80010000;
			s->cr4 = 0x20;
			s->cr3 = G_PDPT;
		}
		break;
	case M_LONG64:
	case M_COMPAT:
		s->cr0 |= 0x80050033;
		s->cr4 = 0x20 | (one_in(r, 2) ? 0x600 : 0) | (one_in(r, 4) ? 0x80 : 0);
		s->cr3 = G_PML4;
		s->efer = 0x500 | (one_in(r, 2) ? 1 : 0) | (one_in(r, 2) ? 0x800 : 0);
		if (mode == M_LONG64)
			s->cs = seg(0, 0xffffffff, user ? 0x43 : 0x08, 11, 1, dpl, 0, 1, 1);
		else
			s->cs = seg(0, 0xffffffff, user ? 0x53 : 0x18, 11, 1, dpl, 1, 0, 1);
		s->ds = seg(0, 0xffffffff, user ? 0x4b : 0x10, 3, 1, dpl, 1, 0, 1);
		s->es = s->fs = s->gs = s->ss = s->ds;
		break;
	}
	(void)rpl;
}

/* 1-3 targeted changes: invalid combinations of CR0/CR4/EFER, segments. */
static void mutate_sregs(struct rng *r, struct kvm_sregs *s)
{
	struct kvm_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs, &s->gs,
				       &s->ss, &s->tr, &s->ldt };
	int k = 1 + rnd_below(r, 3);

	while (k--) {
		struct kvm_segment *g = segs[rnd_below(r, ARRAY_SIZE(segs))];
		int c = rnd_below(r, 14);

		/*
		 * On the test machine, EFER (LME left on in 32-bit modes, for the
		 * guest to switch paging itself) and CR3 corruptions stall its
		 * QEMU: CPUs stay in the guest, deaf to interrupts. Stock KVM
		 * and khv alike; see the report of the fuzzer's first runs.
		 */
		if (cfg.guest == GUEST_TCG && (c == 3 || c == 4))
			c = 0;
		switch (c) {
		case 0:
			s->cr0 ^= 1ull << rnd_below(r, 32);
			break;
		case 1:
			s->cr0 ^= 1ull << (32 + rnd_below(r, 32));
			break;
		case 2:
			s->cr4 ^= 1ull << rnd_below(r, one_in(r, 4) ? 64 : 26);
			break;
		case 3:
			s->efer ^= 1ull << (one_in(r, 4) ? rnd_below(r, 64) :
				    (uint32_t)"\0\10\12\13\14\15\16\17"[rnd_below(r, 8)]);
			break;
		case 4:
			s->cr3 = one_in(r, 2) ? rnd_value(r, 64) : s->cr3 | 1ull << rnd_below(r, 64);
			break;
		case 5:
			g->type = rnd_below(r, 16);
			break;
		case 6:
			g->present ^= 1;
			g->unusable = one_in(r, 2);
			break;
		case 7:
			g->l ^= 1;
			g->db = rnd_below(r, 2);
			break;
		case 8:
			g->dpl = rnd_below(r, 4);
			g->selector ^= rnd_below(r, 4);
			break;
		case 9:
			g->base = rnd_value(r, 64);
			g->limit = (uint32_t)rnd_value(r, 32);
			g->g = rnd_below(r, 2);
			break;
		case 10:
			g->s ^= 1;
			break;
		case 11:
			s->gdt.limit = (uint16_t)rnd_value(r, 16);
			s->idt.base = rnd_value(r, 64);
			break;
		case 12:
			s->apic_base = rnd_msr_value(r, 0x1b);
			s->cr8 = rnd_value(r, 64);
			break;
		default:
			s->interrupt_bitmap[rnd_below(r, 4)] |= 1ull << rnd_below(r, 64);
			s->cr2 = rnd_value(r, 64);
			break;
		}
	}
}

static void mode_regs(struct rng *r, int mode, size_t code_len, struct kvm_regs *regs)
{
	__u64 *g = &regs->rax;
	int i;

	for (i = 0; i < 16; i++)
		g[i] = one_in(r, 3) ? rnd_value(r, 64) : pool_value(r);
	regs->rsp = mode == M_REAL || mode == M_VM86 || mode == M_PM16 ?
		    0xfff0 - 2 * rnd_below(r, 8) : G_STACK - 8 * rnd_below(r, 8);
	regs->rip = rnd_below(r, (uint32_t)(code_len > 16 ? code_len / 4 : 1));
	if (mode != M_REAL && mode != M_VM86 && mode != M_PM16)
		regs->rip += G_CODE;
	regs->rflags = 2;
	if (mode == M_VM86)
		regs->rflags |= 1u << 17;
	if (one_in(r, 3))
		regs->rflags |= 0x200;		/* IF */
	if (one_in(r, 12))
		regs->rflags |= 0x100;		/* TF */
	if (one_in(r, 8))
		regs->rflags |= rnd32(r) & 0x3f7fd5;
	if (one_in(r, 16))
		regs->rip = rnd_value(r, 64);
}

/* ------------------------------------------------------------------ */
/* Running                                                             */
/* ------------------------------------------------------------------ */

static void set_running(int v, int vm, int delta)
{
	pthread_mutex_lock(&objs_lock);
	objs[v].running += delta;
	if (vm >= 0)
		objs[vm].running += delta;
	pthread_mutex_unlock(&objs_lock);
}

/* GET_SREGS, sanitize_tr(), SET_SREGS: a vCPU after reset or INIT. */
void fix_tr(struct fthread *t, int fd)
{
	struct kvm_sregs *s = (void *)t->scratch;

	if (fz_ioctl(t, fd, KVM_GET_SREGS, (unsigned long)s))
		return;
	sanitize_tr(s);
	fz_ioctl(t, fd, KVM_SET_SREGS, (unsigned long)s);
}

void handle_exit(struct fthread *t, struct rng *r, int v, long ret)
{
	struct kvm_run run;
	uint64_t base = objs[v].run, len = objs[v].run_len;
	int fd = obj_fd(v);

	if (ret < 0) {
		t->exits[ret == -EINTR ? EX_EINTR : ret == -EFAULT ? EX_EFAULT : EX_EOTHER]++;
		feature(t, 0xe0000 ^ (uint64_t)-ret);
		return;
	}
	if (!base || !prot_copy(&run, (void *)base, sizeof(run))) {
		t->exits[EX_OTHER]++;
		return;
	}
	feature(t, 0xf0000 ^ run.exit_reason);
	switch (run.exit_reason) {
	case KVM_EXIT_IO: {
		uint64_t n = (uint64_t)run.io.size * run.io.count;

		t->exits[EX_IO]++;
		feature(t, 0xf1000 ^ run.io.port ^ (uint64_t)run.io.direction << 16);
		if (run.io.direction == KVM_EXIT_IO_IN && n <= 4096 &&
		    run.io.data_offset < len && run.io.data_offset + n <= len)
			prot_fill((void *)(base + run.io.data_offset), r, n);
		break;
	}
	case KVM_EXIT_MMIO:
		t->exits[EX_MMIO]++;
		feature(t, 0xf2000 ^ run.mmio.len ^ (uint64_t)run.mmio.is_write << 8);
		if (!run.mmio.is_write)
			prot_fill((void *)(base + offsetof(struct kvm_run, mmio.data)), r, 8);
		break;
	case KVM_EXIT_HLT:
		t->exits[EX_HLT]++;
		if (no_mask() & NO_EVENTS)
			break;
		if (one_in(r, 2)) {
			struct kvm_interrupt *irq = (void *)t->scratch;

			irq->irq = rnd_below(r, 256);
			fz_ioctl(t, fd, KVM_INTERRUPT, (unsigned long)irq);
		} else if (one_in(r, 4)) {
			fz_ioctl(t, fd, KVM_NMI, 0);
		}
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN: {
		struct kvm_interrupt *irq = (void *)t->scratch;

		t->exits[EX_IRQ_WINDOW]++;
		irq->irq = 0x20 + rnd_below(r, 0xe0);
		fz_ioctl(t, fd, KVM_INTERRUPT, (unsigned long)irq);
		break;
	}
	case KVM_EXIT_SHUTDOWN:
		t->exits[EX_SHUTDOWN]++;
		fix_tr(t, fd);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		t->exits[EX_FAIL_ENTRY]++;
		feature(t, 0xf3000 ^ run.fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		t->exits[EX_INTERNAL]++;
		feature(t, 0xf4000 ^ run.internal.suberror);
		break;
	case KVM_EXIT_INTR:
		t->exits[EX_INTR]++;
		break;
	case KVM_EXIT_DEBUG:
		t->exits[EX_DEBUG]++;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		t->exits[EX_SYSTEM]++;
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR: {
		uint8_t err = rnd_below(r, 2);
		uint64_t data = rnd_value(r, 64);

		t->exits[EX_OTHER]++;
		prot_copy((void *)(base + offsetof(struct kvm_run, msr.error)), &err, 1);
		prot_copy((void *)(base + offsetof(struct kvm_run, msr.data)), &data, 8);
		break;
	}
	case KVM_EXIT_HYPERCALL: {
		uint64_t v64 = rnd_value(r, 64);

		t->exits[EX_OTHER]++;
		prot_copy((void *)(base + offsetof(struct kvm_run, hypercall.ret)), &v64, 8);
		break;
	}
	default:
		t->exits[EX_OTHER]++;
		break;
	}
	/* the exit forgotten: RIP moved by user space, as VMMs may */
	if (one_in(r, 16)) {
		struct kvm_regs *regs = (void *)t->scratch;

		if (!fz_ioctl(t, fd, KVM_GET_REGS, (unsigned long)regs)) {
			regs->rip += rnd_below(r, 4);
			fz_ioctl(t, fd, KVM_SET_REGS, (unsigned long)regs);
		}
	}
}

/* What user space writes into kvm_run before KVM_RUN. */
static void prepare_run(struct rng *r, int v)
{
	uint64_t base = objs[v].run;
	uint8_t b;

	if (!base)
		return;
	b = one_in(r, 12);
	prot_copy((void *)(base + offsetof(struct kvm_run, immediate_exit)), &b, 1);
	b = one_in(r, 6) && !(no_mask() & NO_EVENTS);
	prot_copy((void *)(base + offsetof(struct kvm_run, request_interrupt_window)), &b, 1);
	if (one_in(r, 8)) {
		uint64_t cr8 = rnd_value(r, 64);

		prot_copy((void *)(base + offsetof(struct kvm_run, cr8)), &cr8, 8);
	}
}

static void run_once(struct fthread *t, struct rng *r, int v, int vm)
{
	long ret;

	prepare_run(r, v);
	t->run_obj = v;
	t->run_op_seed = t->cur_op_seed;
	set_running(v, vm, 1);
	ret = fz_run_ioctl(t, obj_fd(v), KVM_RUN, one_in(r, 64) ? rnd_value(r, 64) : 0);
	set_running(v, vm, -1);
	handle_exit(t, r, v, ret);
}

void op_run(struct fthread *t, struct rng *r)
{
	int v = obj_get(t, r, OBJ_VCPU, false), vm, n;

	if (v < 0)
		return;
	t->run_mode = -1;
	vm = obj_get_vm_of(v);
	for (n = 1 + rnd_below(r, 3); n-- && !should_stop();)
		run_once(t, r, v, vm);
	obj_put(vm);
	obj_put(v);
}

/*
 * Debugging a replayed operation: $KHV_FUZZ_SKIP leaves out steps of a
 * scenario while drawing the same random numbers, so the rest stays the
 * same. Bits: SK_MUTATE sregs mutation, SK_MSRS, SK_FPU, SK_EVENTS,
 * SK_INTR KVM_INTERRUPT, SK_NMI, SK_DEBUG, SK_CPUID; SK_CODE replaces the
 * program by HLTs.
 */
enum { SK_MUTATE = 1, SK_MSRS = 2, SK_FPU = 4, SK_EVENTS = 8, SK_INTR = 16,
       SK_NMI = 32, SK_DEBUG = 64, SK_CPUID = 128, SK_CODE = 256 };

static unsigned int skip_mask(void)
{
	static int v = -1;

	return env_bits("KHV_FUZZ_SKIP", &v);
}

static void seg_trace(struct fthread *t, const char *n, const struct kvm_segment *g)
{
	trace(t, "  %s sel %#x base %#llx limit %#x type %u s %u dpl %u p %u l %u db %u g %u unusable %u",
	      n, g->selector, (unsigned long long)g->base, g->limit, g->type,
	      g->s, g->dpl, g->present, g->l, g->db, g->g, g->unusable);
}

static void scenario_state(struct fthread *t, struct rng *r, int fd, int mode,
			   size_t code_len)
{
	struct kvm_sregs *s = (void *)t->scratch;
	struct kvm_regs *regs = (void *)t->scratch;
	uint8_t *buf = t->scratch;

	mode_sregs(r, mode, s);
	if (one_in(r, 3) && !(no_mask() & NO_WEIRD)) {
		static __thread struct kvm_sregs keep;

		keep = *s;
		mutate_sregs(r, s);
		if (skip_mask() & SK_MUTATE)
			*s = keep;
	}
	sanitize_tr(s);
	trace(t, "  sregs cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx cr8 %#llx efer %#llx apic %#llx",
	      (unsigned long long)s->cr0, (unsigned long long)s->cr2,
	      (unsigned long long)s->cr3, (unsigned long long)s->cr4,
	      (unsigned long long)s->cr8, (unsigned long long)s->efer,
	      (unsigned long long)s->apic_base);
	if (cfg.trace) {
		seg_trace(t, "cs", &s->cs);
		seg_trace(t, "ss", &s->ss);
		seg_trace(t, "ds", &s->ds);
		seg_trace(t, "tr", &s->tr);
		trace(t, "  gdt %#llx/%#x idt %#llx/%#x", (unsigned long long)s->gdt.base,
		      s->gdt.limit, (unsigned long long)s->idt.base, s->idt.limit);
	}
	fz_ioctl(t, fd, KVM_SET_SREGS, (unsigned long)s);
	mode_regs(r, mode, code_len, regs);
	trace(t, "  rip %#llx rsp %#llx rflags %#llx", (unsigned long long)regs->rip,
	      (unsigned long long)regs->rsp, (unsigned long long)regs->rflags);
	fz_ioctl(t, fd, KVM_SET_REGS, (unsigned long)regs);
	if (one_in(r, 3) && !(no_mask() & NO_MSRS)) {
		gen_msrs(r, (void *)buf, 1 + rnd_below(r, 6));
		/*
		 * On the test machine only architectural MSRs before a run:
		 * some others (TSC, KVM's and Hyper-V's) stall its QEMU once the
		 * guest runs; KVM_SET_MSRS of any MSR still comes from the plain
		 * vCPU ioctls.
		 */
		if (cfg.guest == GUEST_TCG) {
			static const uint32_t plain[] = { 0x174, 0x175, 0x176, 0x277,
				0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
				0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0x1b, 0x2ff,
				0x200, 0x250, 0x17a, 0x17b, 0x1a0, 0xc0010015 };
			struct kvm_msrs *m = (void *)buf;
			uint32_t i;

			for (i = 0; i < m->nmsrs; i++) {
				m->entries[i].index = plain[rnd_below(r, ARRAY_SIZE(plain))];
				m->entries[i].data = tcg_msr_value(m->entries[i].index,
								   m->entries[i].data);
			}
		}
		if (cfg.trace) {
			struct kvm_msrs *m = (void *)buf;
			uint32_t i;

			for (i = 0; i < m->nmsrs && i < 256; i++)
				trace(t, "  msr %#x = %#llx", m->entries[i].index,
				      (unsigned long long)m->entries[i].data);
		}
		if (!(skip_mask() & SK_MSRS))
			fz_ioctl(t, fd, KVM_SET_MSRS, (unsigned long)buf);
	}
	if (one_in(r, 6)) {
		struct kvm_fpu *f = (void *)buf;

		memset(f, 0, sizeof(*f));
		rnd_fill(r, f->xmm, sizeof(f->xmm));
		f->fcw = 0x37f;
		f->mxcsr = one_in(r, 3) ? (uint32_t)rnd_value(r, 32) : 0x1f80;
		if (!(skip_mask() & SK_FPU))
			fz_ioctl(t, fd, KVM_SET_FPU, (unsigned long)f);
	}
	if (no_mask() & NO_EVENTS)
		return;
	if (one_in(r, 5)) {
		struct kvm_vcpu_events *e = (void *)buf;

		gen_events(r, e);
		trace(t, "  events flags %#x exc inj %u pend %u nr %u ec %u/%#x irq inj %u nr %u soft %u shadow %u nmi inj %u pend %u masked %u smi smm %u pend %u tf %u",
		      e->flags, e->exception.injected, e->exception.pending,
		      e->exception.nr, e->exception.has_error_code,
		      e->exception.error_code, e->interrupt.injected,
		      e->interrupt.nr, e->interrupt.soft, e->interrupt.shadow,
		      e->nmi.injected, e->nmi.pending, e->nmi.masked,
		      e->smi.smm, e->smi.pending, e->triple_fault.pending);
		if (!(skip_mask() & SK_EVENTS))
			fz_ioctl(t, fd, KVM_SET_VCPU_EVENTS, (unsigned long)buf);
	}
	if (one_in(r, 6)) {
		struct kvm_interrupt *irq = (void *)buf;

		irq->irq = one_in(r, 16) ? rnd32(r) : rnd_below(r, 256);
		trace(t, "  KVM_INTERRUPT %u", irq->irq);
		if (!(skip_mask() & SK_INTR))
			fz_ioctl(t, fd, KVM_INTERRUPT, (unsigned long)irq);
	}
	if (one_in(r, 8)) {
		trace(t, "  KVM_NMI");
		if (!(skip_mask() & SK_NMI))
			fz_ioctl(t, fd, KVM_NMI, 0);
	}
	if (one_in(r, 10)) {	/* debug state: KVM_SET_GUEST_DEBUG with any valid control */
		struct kvm_guest_debug *d = (void *)buf;

		memset(d, 0, sizeof(*d));
		d->control = rnd_below(r, 2) ? KVM_GUESTDBG_ENABLE | (rnd32(r) & 0x001f0003) : 0;
		d->arch.debugreg[0] = G_CODE + rnd_below(r, 0x100);
		d->arch.debugreg[7] = rnd32(r) & 0xffff03ff;
		/*
		 * The test machine's QEMU (7.2, TCG) aborts in its translator
		 * (translate.c:547) or stalls with a guest run under USE_HW_BP
		 * (even with no breakpoint enabled: every #DB then goes to user
		 * space, on stock KVM as on khv) or BLOCKIRQ: not under TCG.
		 */
		if (cfg.guest == GUEST_TCG)
			d->control &= ~(KVM_GUESTDBG_USE_HW_BP | KVM_GUESTDBG_BLOCKIRQ);
		trace(t, "  guest debug %#x dr7 %#llx", d->control,
		      (unsigned long long)d->arch.debugreg[7]);
		if (!(skip_mask() & SK_DEBUG))
			fz_ioctl(t, fd, KVM_SET_GUEST_DEBUG, (unsigned long)d);
	}
	if (one_in(r, 12)) {
		gen_cpuid(r, (void *)buf, true);
		trace(t, "  KVM_SET_CPUID2");
		if (!(skip_mask() & SK_CPUID))
			fz_ioctl(t, fd, KVM_SET_CPUID2, (unsigned long)buf);
	}
}

void op_scenario(struct fthread *t, struct rng *r)
{
	static __thread struct gimage *img;
	int v = obj_get(t, r, OBJ_VCPU, false), vm, fd, mode, n;
	struct cg c;
	uint64_t ram = 0;

	if (v < 0)
		return;
	if (!img)
		img = malloc(sizeof(*img));
	vm = obj_get_vm_of(v);
	fd = obj_fd(v);
	mode = rnd_weighted(r, mode_weight, NR_MODES);
	if (no_mask() & NO_WEIRD && mode == M_RANDOM)
		mode = M_PM32;
	if (no_mask() & NO_LONG && (mode == M_LONG64 || mode == M_COMPAT))
		mode = M_PAE32;
	if (vm >= 0)
		ram = objs[vm].ram;
	trace(t, "scenario obj %d mode %d", v, mode);
	t->run_mode = mode;

	/* the program */
	c = (struct cg){ .r = r, .buf = img->code, .cap = G_CODE_MAX,
		.bits = mode == M_LONG64 ? 64 : mode == M_REAL || mode == M_VM86 ||
			mode == M_PM16 ? 16 : 32 };
	gen_code(&c, 64 + rnd_below(r, one_in(r, 4) ? G_CODE_MAX - 64 : 1024));
	img->code_len = c.pos;
	if (skip_mask() & SK_CODE)
		memset(img->code, 0xf4, img->code_len);
	if (cfg.trace) {
		char hex[3 * 48 + 1];
		size_t i;

		for (i = 0; i < img->code_len && i < 48; i++)
			sprintf(hex + 3 * i, "%02x ", img->code[i]);
		hex[3 * i] = 0;
		trace(t, "  code %zu bytes: %s", img->code_len, hex);
	}
	if (ram) {
		memset(img->lo, 0, sizeof(img->lo));
		build_gdt(r, img->lo);
		build_idt(r, img->lo, mode);
		build_paging(r, img->lo, mode);
		build_data(r, img->data);
		prot_copy((void *)ram, img->lo, sizeof(img->lo));
		prot_copy((void *)(ram + G_CODE), img->code, img->code_len);
		prot_copy((void *)(ram + G_DATA), img->data, sizeof(img->data));
		if (!objs[vm].slots[0].used && one_in(r, 2)) {
			struct kvm_userspace_memory_region *m = (void *)t->scratch;

			*m = (struct kvm_userspace_memory_region){ .slot = 0,
				.memory_size = MAIN_RAM, .userspace_addr = ram };
			if (!fz_ioctl(t, obj_fd(vm), KVM_SET_USER_MEMORY_REGION,
				      (unsigned long)m)) {
				pthread_mutex_lock(&objs_lock);
				objs[vm].slots[0] = (struct gslot){ .used = true,
					.size = MAIN_RAM, .uaddr = ram };
				pthread_mutex_unlock(&objs_lock);
			}
		}
	}
	scenario_state(t, r, fd, mode, img->code_len);
	for (n = 1 + rnd_below(r, 6); n-- && !should_stop();)
		run_once(t, r, v, vm);
	obj_put(vm);
	obj_put(v);
}

/* Self-check: the generators stay in their buffers in every mode. */
int guest_codegen_check(void)
{
	static struct gimage img;
	struct rng r = { 5 };
	struct kvm_sregs s;
	struct kvm_regs regs;
	int i, mode;

	for (i = 0; i < 20000; i++) {
		struct cg c;

		mode = rnd_weighted(&r, mode_weight, NR_MODES);
		c = (struct cg){ .r = &r, .buf = img.code, .cap = G_CODE_MAX,
			.bits = i % 3 == 0 ? 16 : i % 3 == 1 ? 32 : 64 };
		gen_code(&c, 1 + rnd_below(&r, G_CODE_MAX + 100));
		if (c.pos > G_CODE_MAX)
			return 1;
		if (i % 50 == 0) {
			memset(img.lo, 0, sizeof(img.lo));
			build_gdt(&r, img.lo);
			build_idt(&r, img.lo, mode);
			build_paging(&r, img.lo, mode);
			build_data(&r, img.data);
			mode_sregs(&r, mode, &s);
			mutate_sregs(&r, &s);
			mode_regs(&r, mode, c.pos, &regs);
		}
	}
	return 0;
}
