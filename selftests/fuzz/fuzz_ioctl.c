// SPDX-License-Identifier: GPL-2.0
/*
 * khv_fuzz: the ioctl descriptions. One table entry per ioctl of the
 * three fd kinds that khv or x86 KVM 6.1 implements, with a generator
 * that builds a mostly valid argument and then corrupts it: boundary
 * values, counts of 0/1/huge, bad pointers (NULL, kernel, non-canonical,
 * unmapped, a page another thread maps and unmaps), misalignment. A SET
 * whose GET exists starts half the time from the GET's result with a few
 * fields changed. Every struct lives in the thread's scratch buffer (the
 * arena), and every user pointer inside one is an arena address or a bad
 * one: see the memory rule in fuzz.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/khv.h>

#include "fuzz.h"

/* A generator's context. */
struct gctx {
	struct fthread *t;
	struct rng *r;
	const struct idesc *d;
	int obj;		/* object the fd belongs to */
	int fd;
	uint8_t *buf;		/* the argument, in scratch */
	size_t size;		/* bytes the kernel may read or write there */
	uint64_t value;		/* the argument, if is_value */
	bool is_value;
	bool valid;		/* pointers inside the struct are valid */
	bool run;		/* enters the guest: bounded by the timer */
	bool skip;		/* nothing to do */
	uint32_t aux;		/* generator's note for post() */
};

struct idesc {
	const char *name;
	unsigned long cmd;
	uint8_t fds;		/* FD_* */
	uint8_t flags;
	uint16_t weight;
	void (*gen)(struct gctx *g);
	unsigned long get;	/* the matching GET, for get-and-mutate */
	void (*post)(struct gctx *g, long ret);
};

#define I_KHV		1	/* khv implements it: valid pointers never EFAULT */
#define I_PTRS		2	/* user pointers inside: no blind mutation */
#define I_VALUE		4	/* the argument is a value */

/* ------------------------------------------------------------------ */
/* Values and pointers                                                 */
/* ------------------------------------------------------------------ */

static bool unsafe_addr(uint64_t v)
{
	return v >= 0x10000 && v < 0x7ffffffff000ull && !in_arena(v);
}

uint64_t safe_value(struct rng *r)
{
	uint64_t v = rnd_value(r, 64);

	if (unsafe_addr(v))
		v = one_in(r, 2) ? ARENA_BASE + v % ARENA_SIZE : v & 0xffff;
	return v;
}

static uint64_t safe_u64(struct rng *r, uint64_t v)
{
	return unsafe_addr(v) ? safe_value(r) : v;
}

uint64_t arg_ptr(struct fthread *t, struct rng *r, size_t need, uint64_t valid_ptr,
		 bool *valid)
{
	*valid = true;
	if (!one_in(r, 12))
		return valid_ptr;
	*valid = false;
	switch (rnd_below(r, 11)) {
	case 0:
		return 0;
	case 1:
		return rnd_below(r, 0x10000);
	case 2:		/* the direct map */
		return 0xffff888000000000ull + PAGE * rnd_below(r, 1u << 18);
	case 3:		/* kernel text */
		return 0xffffffff81000000ull + rnd_below(r, 1u << 24);
	case 4:		/* non-canonical */
		return 0x0000800000000000ull + rnd64(r) % (0xffff800000000000ull -
							   0x0000800000000000ull);
	case 5:		/* at and just above the end of user space */
		return 0x7ffffffff000ull + rnd_below(r, 2 * PAGE);
	case 6:
		return HOLE_PAGE + rnd_below(r, PAGE);
	case 7:		/* mapped and unmapped by other threads */
		return FLAKY_PAGE + rnd_below(r, PAGE);
	case 8:		/* runs into the guard after the scratch buffer */
		return (uint64_t)t->scratch + SCRATCH_SIZE -
		       rnd_below(r, (uint32_t)(need < PAGE ? need + 1 : PAGE));
	case 9:		/* guest memory, or a hole between chunks */
		return GMEM_BASE + PAGE * rnd_below(r, 1u << 20) + rnd_below(r, 64);
	default:	/* a kvm_run mapping, or none */
		return RUNMAP_BASE + rnd_below(r, RUNMAP_SIZE);
	}
}

/* An embedded pointer to @need bytes: scratch at @off, or a bad one. */
static uint64_t inner_ptr(struct gctx *g, size_t off, size_t need)
{
	bool ok;
	uint64_t p = arg_ptr(g->t, g->r, need, (uint64_t)g->t->scratch + off, &ok);

	g->valid &= ok;
	return p;
}

/* Mostly zeros, a few safe random words. */
static void fill_sparse(struct rng *r, void *buf, size_t size)
{
	uint64_t *w = buf;
	size_t i, n = size / 8;

	memset(buf, 0, size);
	if (one_in(r, 3))
		return;
	for (i = 0; i < n; i++)
		if (one_in(r, 4))
			w[i] = safe_value(r);
	for (i = n * 8; i < size; i++)
		if (one_in(r, 4))
			((uint8_t *)buf)[i] = (uint8_t)rnd_value(r, 8);
}

/* Change 1-4 fields of a struct; 8-byte fields never become our addresses. */
static void mutate_struct(struct rng *r, void *buf, size_t size)
{
	int k = 1 + rnd_below(r, 4);

	while (k-- && size) {
		static const int widths[] = { 1, 2, 4, 8 };
		int w = widths[rnd_below(r, 4)];
		size_t off;
		uint64_t v;

		if ((size_t)w > size)
			w = 1;
		off = rnd_below(r, (uint32_t)(size / w)) * w;
		if (one_in(r, 3)) {
			memcpy(&v, (uint8_t *)buf + off, w);
			v ^= 1ull << rnd_below(r, w * 8);
		} else {
			v = rnd_value(r, w * 8);
		}
		if (w == 8)
			v = safe_u64(r, v);
		memcpy((uint8_t *)buf + off, &v, w);
	}
}

static const uint32_t msr_pool[] = {
	0x10, 0x11, 0x12, 0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xfe, 0x174, 0x175,
	0x176, 0x179, 0x17a, 0x17b, 0x1a0, 0x1d9, 0x200, 0x201, 0x20e, 0x20f,
	0x210, 0x250, 0x258, 0x259, 0x268, 0x26f, 0x270, 0x277, 0x2ff, 0x400,
	0x401, 0x402, 0x403, 0x427, 0x428, 0x6e0, 0x800, 0x802, 0x808, 0x80b,
	0x830, 0x838, 0x8ff, 0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083,
	0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103,
	0xc0000104, 0xc0010000, 0xc0010004, 0xc0010010, 0xc0010015,
	0xc0010114, 0xc0010117, 0xc0010140, 0xc0010141, 0xc0010200,
	0xc001020b, 0xc0011029, 0xc001100c, 0x4b564d00, 0x4b564d01,
	0x4b564d02, 0x4b564d03, 0x4b564d04, 0x4b564d05, 0x4b564d06,
	0x4b564d07, 0x4b564d08, 0x40000000, 0x40000001, 0x40000002,
	0x40000003, 0x40000020, 0x40000070, 0x40000073, 0x400000b0,
	0x400000f0, 0, 0x1fff, 0x2000, 0x80000000, 0xc0001fff, 0xc0002000,
	0xc0011fff, 0xc0012000, 0xffffffff,
};

uint32_t rnd_msr_index(struct rng *r)
{
	uint32_t x = rnd_below(r, 20);

	if (x < 8 && nmsr_list)
		return msr_list[rnd_below(r, nmsr_list)];
	if (x < 18)
		return msr_pool[rnd_below(r, ARRAY_SIZE(msr_pool))];
	return rnd32(r);
}

uint64_t rnd_msr_value(struct rng *r, uint32_t index)
{
	static const uint64_t efer_bits[] = { 1, 1 << 8, 1 << 10, 1 << 11, 1 << 12,
					      1 << 13, 1 << 14, 1 << 15 };
	uint64_t v = 0;
	int i;

	if (one_in(r, 4))
		return rnd_value(r, 64);
	switch (index) {
	case 0xc0000080:	/* EFER */
		for (i = 0; i < 8; i++)
			if (one_in(r, 2))
				v |= efer_bits[i];
		return v;
	case 0x277:		/* PAT: valid types, now and then one that is not */
		for (i = 0; i < 8; i++) {
			static const uint8_t t[] = { 0, 1, 4, 5, 6, 7, 2, 3, 8 };

			v |= (uint64_t)t[rnd_below(r, one_in(r, 8) ? 9 : 6)] << (i * 8);
		}
		return v;
	case 0x1b:		/* APIC base */
		return 0xfee00000 | (one_in(r, 2) ? 1 << 8 : 0) |
		       (one_in(r, 4) ? 0 : 1 << 11) | (one_in(r, 4) ? 1 << 10 : 0) |
		       (one_in(r, 8) ? rnd_value(r, 64) : 0);
	case 0xc0000081 ... 0xc0000084:
	case 0xc0000100 ... 0xc0000102:
		return one_in(r, 2) ? 0xffffffff80000000ull + rnd_below(r, 1u << 30) :
		       rnd_interesting(r);
	default:
		return rnd_value(r, 64);
	}
}

void gen_msrs(struct rng *r, struct kvm_msrs *m, uint32_t n)
{
	uint32_t i;

	m->nmsrs = n;
	m->pad = one_in(r, 16) ? rnd32(r) : 0;
	for (i = 0; i < n && i < 256; i++) {
		do
			m->entries[i].index = rnd_msr_index(r);
		while (!tcg_msr_ok(m->entries[i].index));
		m->entries[i].reserved = one_in(r, 16) ? rnd32(r) : 0;
		m->entries[i].data = tcg_msr_value(m->entries[i].index,
						   rnd_msr_value(r, m->entries[i].index));
	}
}

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

void gen_cpuid(struct rng *r, struct kvm_cpuid2 *c, bool mutate)
{
	static const uint8_t maxphy[] = { 0, 1, 12, 31, 32, 36, 39, 40, 46, 48,
					  52, 53, 57, 63, 64, 255 };
	uint32_t n = supported_cpuid->nent, k;
	struct kvm_cpuid_entry2 *e;

	if (n > 250)
		n = 250;
	c->nent = n;
	c->padding = 0;
	memcpy(c->entries, supported_cpuid->entries, n * sizeof(*c->entries));
	for (k = mutate ? 1 + rnd_below(r, 4) : 0; k--;) {
		switch (rnd_below(r, 9)) {
		case 0:		/* a random bit of a random register */
			if (c->nent) {
				uint32_t *reg = &c->entries[rnd_below(r, c->nent)].eax;

				reg[rnd_below(r, 4)] ^= 1u << rnd_below(r, 32);
			}
			break;
		case 1:		/* MAXPHYADDR */
			e = find_leaf(c, 0x80000008);
			if (e)
				e->eax = (e->eax & ~0xffu) | maxphy[rnd_below(r, sizeof(maxphy))];
			break;
		case 2:		/* drop an entry */
			if (c->nent) {
				uint32_t i = rnd_below(r, c->nent);

				c->entries[i] = c->entries[--c->nent];
			}
			break;
		case 3:		/* a leaf nobody asked for */
			if (c->nent < 256) {
				e = &c->entries[c->nent++];
				memset(e, 0, sizeof(*e));
				e->function = one_in(r, 2) ? rnd32(r) : rnd_below(r, 0x20) |
					      (one_in(r, 2) ? 0x80000000 : 0x40000000);
				e->index = rnd_below(r, 4);
				e->flags = rnd_below(r, 8);
				rnd_fill(r, &e->eax, 16);
			}
			break;
		case 4:		/* long mode, NX, SYSCALL */
			e = find_leaf(c, 0x80000001);
			if (e)
				e->edx ^= 1u << (one_in(r, 2) ? 29 : one_in(r, 2) ? 20 : 11);
			break;
		case 5:		/* XSAVE/OSXSAVE, x2APIC, PCID, TSC deadline, hypervisor */
			e = find_leaf(c, 1);
			if (e) {
				static const uint8_t b[] = { 26, 27, 21, 17, 24, 31, 5 };

				e->ecx ^= 1u << b[rnd_below(r, sizeof(b))];
			}
			break;
		case 6:		/* SMEP, SMAP, FSGSBASE, PKU, LA57, UMIP */
			e = find_leaf(c, 7);
			if (e) {
				if (one_in(r, 2))
					e->ebx ^= 1u << (one_in(r, 2) ? 7 : one_in(r, 2) ? 20 : 0);
				else
					e->ecx ^= 1u << (one_in(r, 2) ? 3 : one_in(r, 2) ? 16 : 2);
			}
			break;
		case 7:		/* the highest leaves */
			e = find_leaf(c, one_in(r, 2) ? 0 : 0x80000000);
			if (e)
				e->eax = (uint32_t)rnd_value(r, 32) | (e->function & 0x80000000);
			break;
		default:	/* flags */
			if (c->nent)
				c->entries[rnd_below(r, c->nent)].flags = rnd_below(r, 8);
			break;
		}
	}
	if (one_in(r, 8))	/* garbage entries past the filled ones */
		c->nent = (uint32_t)rnd_range(r, c->nent, 256);
	/*
	 * No SVM for guests: with it, stock KVM runs whatever VMCB a random
	 * guest points VMRUN at, and QEMU's TCG aborts on some such states
	 * (see sanitize_tr()).
	 */
	e = find_leaf(c, 0x80000001);
	if (e)
		e->ecx &= ~(1u << 2);
}

/* A count for a list ioctl: 0, 1, near @n, the limits, huge. */
static uint32_t rnd_count(struct rng *r, uint32_t n, uint32_t limit)
{
	switch (rnd_below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return n ? n - 1 : 0;
	case 3:
		return limit - 1;
	case 4:
		return limit;
	case 5:
		return limit + 1;
	case 6:
		return (uint32_t)rnd_value(r, 32);
	default:
		return n + rnd_below(r, 3);
	}
}

/* ------------------------------------------------------------------ */
/* Generators                                                          */
/* ------------------------------------------------------------------ */

static void g_value(struct gctx *g, uint64_t v)
{
	g->is_value = true;
	g->value = v;
}

/* _IO ioctls taking nothing: 0, now and then something else. */
static void gen_zero(struct gctx *g)
{
	g_value(g, one_in(g->r, 8) ? safe_value(g->r) : 0);
}

static void gen_any_value(struct gctx *g)
{
	g_value(g, safe_value(g->r));
}

static void gen_cap(struct gctx *g)
{
	g_value(g, one_in(g->r, 8) ? safe_value(g->r) : rnd_below(g->r, 240));
}

static void gen_vm_type(struct gctx *g)
{
	g_value(g, one_in(g->r, 8) ? safe_value(g->r) : 0);
}

static void gen_vcpu_id(struct gctx *g)
{
	static const uint32_t odd[] = { 1023, 1024, 4095, 4096, 0xffffffff };

	g_value(g, one_in(g->r, 8) ? odd[rnd_below(g->r, ARRAY_SIZE(odd))] :
		   one_in(g->r, 16) ? safe_value(g->r) : rnd_below(g->r, VCPUS_PER_VM + 1));
}

static void gen_tss_addr(struct gctx *g)
{
	static const uint64_t a[] = { 0xfffbd000, 0xfeffd000, 0xfffff000 - 3 * 4096,
				      0xfffff000 - 3 * 4096 + 1, 0xfffff000 };

	g_value(g, one_in(g->r, 2) ? a[rnd_below(g->r, ARRAY_SIZE(a))] : safe_value(g->r));
}

static void gen_u64_ptr(struct gctx *g)
{
	uint64_t v = rnd_value(g->r, 64);

	g->size = 8;
	memcpy(g->buf, &v, 8);
}

/* kvm_cpuid2 read back by the kernel (GET_SUPPORTED/EMULATED/HV, GET_CPUID2). */
static void gen_cpuid_out(struct gctx *g)
{
	struct kvm_cpuid2 *c = (void *)g->buf;

	memset(c, 0, sizeof(*c));
	c->nent = rnd_count(g->r, supported_cpuid->nent, 256);
	g->size = sizeof(*c) + 256 * sizeof(c->entries[0]);
}

static void gen_set_cpuid2(struct gctx *g)
{
	struct kvm_cpuid2 *c = (void *)g->buf;

	memset(c, 0, sizeof(*c));
	c->nent = 256;
	if (one_in(g->r, 2) && g->fd >= 0 &&
	    !fz_ioctl(g->t, g->fd, KVM_GET_CPUID2, (unsigned long)c)) {
		/* the vCPU's own table, a little changed */
		if (c->nent && !one_in(g->r, 3)) {
			uint32_t *reg = &c->entries[rnd_below(g->r, c->nent)].eax;

			reg[rnd_below(g->r, 4)] ^= 1u << rnd_below(g->r, 32);
		}
	} else {
		gen_cpuid(g->r, c, !one_in(g->r, 3));
	}
	if (one_in(g->r, 16))
		c->nent = rnd_count(g->r, c->nent, 256);
	g->size = sizeof(*c) + 256 * sizeof(c->entries[0]);
}

/* The old KVM_SET_CPUID: kvm_cpuid_entry without index and flags. */
static void gen_set_cpuid(struct gctx *g)
{
	struct kvm_cpuid *c = (void *)g->buf;
	uint32_t i, n = supported_cpuid->nent;

	c->nent = n;
	c->padding = 0;
	for (i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *s = &supported_cpuid->entries[i];

		c->entries[i] = (struct kvm_cpuid_entry){ .function = s->function,
			.eax = s->eax, .ebx = s->ebx, .ecx = s->ecx, .edx = s->edx };
		if (s->function == 0x80000001)	/* no SVM: see gen_cpuid() */
			c->entries[i].ecx &= ~(1u << 2);
	}
	if (one_in(g->r, 3))
		c->nent = rnd_count(g->r, n, 256);
	g->size = sizeof(*c) + 256 * sizeof(c->entries[0]);
}

static void gen_msr_list(struct gctx *g)
{
	struct kvm_msr_list *l = (void *)g->buf;

	l->nmsrs = rnd_count(g->r, nmsr_list, 256);
	g->size = sizeof(*l) + 1024 * 4;
}

static void gen_msrs_io(struct gctx *g)
{
	struct kvm_msrs *m = (void *)g->buf;
	uint32_t n = one_in(g->r, 4) ? rnd_count(g->r, 4, 256) : 1 + rnd_below(g->r, 8);

	gen_msrs(g->r, m, n);
	/* from the vCPU's own values, now and then */
	if (g->d->cmd == KVM_SET_MSRS && one_in(g->r, 3) && g->fd >= 0 &&
	    fz_ioctl(g->t, g->fd, KVM_GET_MSRS, (unsigned long)m) > 0)
		m->entries[rnd_below(g->r, m->nmsrs < 256 ? m->nmsrs : 1)].data ^=
			1ull << rnd_below(g->r, 64);
	g->size = sizeof(*m) + 256 * sizeof(m->entries[0]);
}

static void gen_interrupt(struct gctx *g)
{
	struct kvm_interrupt *i = (void *)g->buf;

	i->irq = one_in(g->r, 8) ? (uint32_t)rnd_value(g->r, 32) : rnd_below(g->r, 256);
}

static void gen_signal_mask(struct gctx *g)
{
	struct kvm_signal_mask *m = (void *)g->buf;
	uint64_t set = rnd_value(g->r, 64);

	if (one_in(g->r, 4)) {
		g_value(g, 0);		/* no mask */
		return;
	}
	/* SIGUSR1 bounds KVM_RUN: never blocked */
	set &= ~(1ull << (SIGUSR1 - 1));
	m->len = one_in(g->r, 6) ? (uint32_t)rnd_value(g->r, 32) : 8;
	memcpy(m->sigset, &set, 8);
	memset(m->sigset + 8, 0, 8);
	g->size = sizeof(*m) + 16;
}

static void gen_mp_state(struct gctx *g)
{
	struct kvm_mp_state *m = (void *)g->buf;

	m->mp_state = one_in(g->r, 3) ? (uint32_t)rnd_value(g->r, 32) : rnd_below(g->r, 10);
}

static void gen_events_wrap(struct gctx *g)
{
	gen_events(g->r, (void *)g->buf);
}

static void gen_regs_wrap(struct gctx *g)
{
	gen_regs_random(g->r, (void *)g->buf);
}

static void gen_sregs_wrap(struct gctx *g)
{
	gen_sregs_random(g->r, (void *)g->buf);
}

static void gen_fpu(struct gctx *g)
{
	struct kvm_fpu *f = (void *)g->buf;

	fill_sparse(g->r, f, sizeof(*f));
	f->fcw = one_in(g->r, 2) ? 0x37f : (uint16_t)rnd32(g->r);
	f->mxcsr = one_in(g->r, 2) ? 0x1f80 : (uint32_t)rnd_value(g->r, 32);
}

static void gen_guest_debug(struct gctx *g)
{
	struct kvm_guest_debug *d = (void *)g->buf;
	int i;

	memset(d, 0, sizeof(*d));
	d->control = one_in(g->r, 6) ? rnd32(g->r) :
		     KVM_GUESTDBG_ENABLE | (rnd32(g->r) & 0x001f0003);
	/* see fuzz_guest.c: the test machine's QEMU dies of guests under it */
	if (cfg.guest == GUEST_TCG)
		d->control &= ~(KVM_GUESTDBG_USE_HW_BP | KVM_GUESTDBG_BLOCKIRQ);
	for (i = 0; i < 4; i++)
		d->arch.debugreg[i] = one_in(g->r, 2) ? 0x10000 + rnd_below(g->r, 0x8000) :
				      rnd_value(g->r, 64);
	d->arch.debugreg[6] = rnd_value(g->r, 64);
	d->arch.debugreg[7] = one_in(g->r, 2) ? rnd32(g->r) & 0xffff03ff :
			      rnd_value(g->r, 64);
}

static void gen_debugregs(struct gctx *g)
{
	struct kvm_debugregs *d = (void *)g->buf;
	int i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < 4; i++)
		d->db[i] = rnd_value(g->r, 64);
	d->dr6 = one_in(g->r, 2) ? 0xffff0ff0 | (rnd32(g->r) & 0xf00f) : rnd_value(g->r, 64);
	d->dr7 = one_in(g->r, 2) ? 0x400 | (rnd32(g->r) & 0xffff2bff) : rnd_value(g->r, 64);
	d->flags = one_in(g->r, 8) ? rnd32(g->r) : 0;
}

static void gen_xcrs(struct gctx *g)
{
	struct kvm_xcrs *x = (void *)g->buf;
	uint32_t i;

	memset(x, 0, sizeof(*x));
	x->nr_xcrs = one_in(g->r, 4) ? (uint32_t)rnd_value(g->r, 32) : rnd_below(g->r, 3);
	for (i = 0; i < KVM_MAX_XCRS; i++) {
		x->xcrs[i].xcr = one_in(g->r, 4) ? rnd32(g->r) : 0;
		x->xcrs[i].value = one_in(g->r, 2) ? (rnd32(g->r) & 7) | 1 : rnd_value(g->r, 64);
	}
}

static void gen_translate(struct gctx *g)
{
	struct kvm_translation *tr = (void *)g->buf;

	memset(tr, 0, sizeof(*tr));
	tr->linear_address = rnd_value(g->r, 64);
}

static void gen_mce(struct gctx *g)
{
	uint64_t cap = one_in(g->r, 2) ? rnd_below(g->r, 40) | (rnd32(g->r) & 0x1ff0000) :
		       rnd_value(g->r, 64);

	memcpy(g->buf, &cap, 8);
}

static void gen_set_mce(struct gctx *g)
{
	struct kvm_x86_mce *m = (void *)g->buf;

	memset(m, 0, sizeof(*m));
	m->status = rnd_value(g->r, 64) | (one_in(g->r, 2) ? 1ull << 63 : 0);
	m->addr = rnd_value(g->r, 64);
	m->misc = rnd_value(g->r, 64);
	m->mcg_status = rnd_below(g->r, 8);
	m->bank = one_in(g->r, 4) ? (uint8_t)rnd32(g->r) : rnd_below(g->r, 12);
}

static void gen_tsc_khz(struct gctx *g)
{
	static const uint64_t k[] = { 0, 1, 1000, 1000000, 2500000, 4000000, 0xffffffff };

	g_value(g, one_in(g->r, 2) ? k[rnd_below(g->r, ARRAY_SIZE(k))] : safe_value(g->r));
}

static void gen_nested_get(struct gctx *g)
{
	struct kvm_nested_state *s = (void *)g->buf;
	static const uint32_t sz[] = { 0, 8, sizeof(*s), sizeof(*s) + 0x1000,
				       sizeof(*s) + 0x2000, 0x10000 };

	memset(s, 0, sizeof(*s));
	s->size = one_in(g->r, 4) ? (uint32_t)rnd_value(g->r, 32) :
		  sz[rnd_below(g->r, ARRAY_SIZE(sz))];
	g->size = sizeof(*s) + 0x2000;
}

static void gen_nested_set(struct gctx *g)
{
	struct kvm_nested_state *s = (void *)g->buf;

	if (one_in(g->r, 2) && g->fd >= 0) {
		memset(s, 0, sizeof(*s));
		s->size = sizeof(*s) + 0x2000;
		if (!fz_ioctl(g->t, g->fd, KVM_GET_NESTED_STATE, (unsigned long)s)) {
			mutate_struct(g->r, s, sizeof(*s) + (one_in(g->r, 2) ? 0x2000 : 0));
			g->size = sizeof(*s) + 0x2000;
			return;
		}
	}
	fill_sparse(g->r, s, sizeof(*s) + 0x100);
	s->format = rnd_below(g->r, 3);
	s->flags = rnd_below(g->r, 8);
	s->size = one_in(g->r, 2) ? sizeof(*s) + 0x1000 : (uint32_t)rnd_value(g->r, 32);
	g->size = sizeof(*s) + 0x2000;
}

static void gen_enable_cap(struct gctx *g)
{
	static const uint32_t vm_caps[] = {
		KVM_CAP_DISABLE_QUIRKS, KVM_CAP_SPLIT_IRQCHIP, KVM_CAP_X2APIC_API,
		KVM_CAP_X86_DISABLE_EXITS, KVM_CAP_MSR_PLATFORM_INFO,
		KVM_CAP_EXCEPTION_PAYLOAD, KVM_CAP_X86_USER_SPACE_MSR,
		KVM_CAP_EXIT_HYPERCALL, KVM_CAP_EXIT_ON_EMULATION_FAILURE,
		KVM_CAP_MAX_VCPU_ID, KVM_CAP_HALT_POLL, KVM_CAP_DIRTY_LOG_RING,
		KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_CAP_X86_TRIPLE_FAULT_EVENT,
		KVM_CAP_PMU_CAPABILITY, KVM_CAP_DISABLE_QUIRKS2,
		KVM_CAP_VM_DISABLE_NX_HUGE_PAGES, KVM_CAP_X86_BUS_LOCK_EXIT,
		KVM_CAP_SGX_ATTRIBUTE, KVM_CAP_VM_COPY_ENC_CONTEXT_FROM,
		KVM_CAP_X86_NOTIFY_VMEXIT, KVM_CAP_IRQCHIP, KVM_CAP_USER_MEMORY,
	};
	static const uint32_t vcpu_caps[] = {
		KVM_CAP_HYPERV_SYNIC, KVM_CAP_HYPERV_SYNIC2,
		KVM_CAP_HYPERV_ENLIGHTENED_VMCS, KVM_CAP_HYPERV_DIRECT_TLBFLUSH,
		KVM_CAP_HYPERV_ENFORCE_CPUID, KVM_CAP_ENFORCE_PV_FEATURE_CPUID,
		KVM_CAP_IMMEDIATE_EXIT,
	};
	struct kvm_enable_cap *c = (void *)g->buf;
	int i;

	memset(c, 0, sizeof(*c));
	if (objs[g->obj].kind == OBJ_VCPU)
		c->cap = vcpu_caps[rnd_below(g->r, ARRAY_SIZE(vcpu_caps))];
	else
		c->cap = vm_caps[rnd_below(g->r, ARRAY_SIZE(vm_caps))];
	if (one_in(g->r, 16))
		c->cap = (uint32_t)rnd_value(g->r, 32);
	c->flags = one_in(g->r, 8) ? rnd32(g->r) : 0;
	for (i = 0; i < 4; i++)
		c->args[i] = one_in(g->r, 2) ? 0 : safe_value(g->r);
	if (c->cap == KVM_CAP_DIRTY_LOG_RING)	/* a sane size, mostly */
		c->args[0] = one_in(g->r, 2) ? 4096u << rnd_below(g->r, 5) : c->args[0];
}

static void gen_device_attr(struct gctx *g)
{
	struct kvm_device_attr *a = (void *)g->buf;

	a->flags = one_in(g->r, 8) ? rnd32(g->r) : 0;
	a->group = one_in(g->r, 4) ? (uint32_t)rnd_value(g->r, 32) : 0;
	a->attr = one_in(g->r, 4) ? rnd_value(g->r, 64) : rnd_below(g->r, 2);
	a->addr = inner_ptr(g, 2048, 8);
}

static void gen_tpr_access(struct gctx *g)
{
	struct kvm_tpr_access_ctl *c = (void *)g->buf;

	memset(c, 0, sizeof(*c));
	c->enabled = rnd_below(g->r, 3);
	c->flags = one_in(g->r, 4) ? rnd32(g->r) : 0;
}

static void gen_vapic(struct gctx *g)
{
	struct kvm_vapic_addr *v = (void *)g->buf;

	v->vapic_addr = one_in(g->r, 2) ? PAGE * rnd_below(g->r, MAIN_RAM / PAGE) :
			rnd_value(g->r, 64);
}

static void gen_bench(struct gctx *g)
{
	struct khv_bench_vmrun *b = (void *)g->buf;

	memset(b, 0, sizeof(*b));
	b->iterations = one_in(g->r, 8) ? rnd_value(g->r, 64) : rnd_below(g->r, 2000);
	g->run = true;
}

static void gen_xen_attr(struct gctx *g)
{
	fill_sparse(g->r, g->buf, g->size);
	*(uint16_t *)g->buf = (uint16_t)rnd_below(g->r, one_in(g->r, 8) ? 0x10000 : 10);
}

static void gen_one_reg(struct gctx *g)
{
	struct kvm_one_reg *o = (void *)g->buf;

	o->id = rnd_value(g->r, 64);
	o->addr = inner_ptr(g, 2048, 8);
}

/* ---- VM ---- */

static uint32_t slot_id_of(int k)
{
	static const uint32_t high[] = { 509, 510, 511, 512 };

	return k < 16 ? (uint32_t)k : high[k - 16];
}

/* Where a new slot's memory comes from. */
static uint64_t slot_uaddr(struct gctx *g, struct obj *vm, uint64_t size, bool *fresh)
{
	*fresh = false;
	switch (rnd_below(g->r, 16)) {
	case 0 ... 7:	/* fresh memory, if the VM's budget allows */
		if (size <= (4ul << 20) && vm->mem_used + size <= VM_MEM_BUDGET &&
		    vm->nchunks + 2 <= (int)ARRAY_SIZE(vm->chunks)) {
			uint64_t a = gmem_alloc(size);

			if (a) {
				*fresh = true;
				return a;
			}
		}
		/* fall through */
	case 8 ... 9:	/* the main RAM again (an alias) */
		return vm->ram + PAGE * rnd_below(g->r, MAIN_RAM / PAGE);
	case 10:	/* anywhere in the guest area: others' memory, holes */
		return GMEM_BASE + PAGE * rnd_below(g->r, 1u << 22);
	case 11:	/* a kvm_run mapping (or where one was) */
		return RUNMAP_BASE + PAGE * rnd_below(g->r, RUNMAP_SIZE / PAGE);
	case 12:	/* the NULL page, small */
		return 0;
	case 13:	/* never user memory: kernel, non-canonical, end of user */
		return one_in(g->r, 2) ? 0xffff888000000000ull :
		       one_in(g->r, 2) ? 0x0000800000000000ull : 0x7ffffffff000ull;
	case 14:	/* a hole */
		return HOLE_PAGE;
	default:	/* misaligned */
		return vm->ram + 1 + rnd_below(g->r, 4095);
	}
}

static uint64_t slot_gpa(struct rng *r)
{
	static const uint64_t odd[] = { 0, MAIN_RAM, 0xa0000, 0xc0000, 0xfee00000,
		0xfec00000, 0xfffff000, 0xffffe000, 0x100000000ull, 1ull << 36,
		(1ull << 40) - PAGE, 1ull << 46, (1ull << 48) - PAGE, (1ull << 52) - PAGE,
		1ull << 52, 0xfffffffffffff000ull, 0x8000000000000000ull };

	switch (rnd_below(r, 8)) {
	case 0 ... 3:	/* above main RAM, below 4 GiB */
		return MAIN_RAM + PAGE * rnd_below(r, (0xf0000000 - MAIN_RAM) / PAGE);
	case 4:		/* close to it: overlaps and neighbours */
		return PAGE * rnd_below(r, 2 * MAIN_RAM / PAGE);
	case 5:
		return rnd_value(r, 64) & ~(PAGE - 1);
	default:
		return odd[rnd_below(r, ARRAY_SIZE(odd))];
	}
}

static uint64_t slot_size(struct rng *r)
{
	switch (rnd_below(r, 16)) {
	case 0 ... 9:
		return PAGE * (1 + rnd_below(r, 64));
	case 10 ... 11:
		return PAGE * (1 + rnd_below(r, 1024));
	case 12:
		return 0;
	case 13:	/* huge: unbacked mostly */
		return (PAGE << rnd_below(r, 25)) & (HUGE_SLOT * 2 - 1);
	case 14:	/* KVM_MEM_MAX_NR_PAGES and around it */
		return one_in(r, 8) ? ((1ull << 31) - 1) * PAGE : ((1ull << 31) + 1) * PAGE;
	default:
		return rnd_value(r, 64) & ~(PAGE - 1);
	}
}

/*
 * KVM_SET_USER_MEMORY_REGION: create, delete, move, change flags of the
 * slots the fuzzer tracks (ids 0-15, 509-512), with the corruptions KVM's
 * rules reject (misaligned, overlapping, changed size or address,
 * READONLY toggled, unknown flags, address spaces, wrap-around).
 */
static void gen_memslot(struct gctx *g)
{
	struct kvm_userspace_memory_region *m = (void *)g->buf;
	struct obj *vm = &objs[g->obj];
	struct gslot old;
	bool fresh = false, log_ok;
	uint64_t uaddr;
	int k = one_in(g->r, 8) ? 16 + rnd_below(g->r, 4) : rnd_below(g->r, 16);

	if (vm->kind != OBJ_VM) {
		g->skip = true;
		return;
	}
	pthread_mutex_lock(&objs_lock);
	old = vm->slots[k];
	pthread_mutex_unlock(&objs_lock);
	*m = (struct kvm_userspace_memory_region){ .slot = slot_id_of(k) };
	g->aux = k;
	switch (old.used ? rnd_below(g->r, 10) : 0) {
	case 0 ... 2:	/* create (or, for a used id, a conflicting change) */
		m->guest_phys_addr = slot_gpa(g->r);
		m->memory_size = slot_size(g->r);
		uaddr = slot_uaddr(g, vm, m->memory_size, &fresh);
		if (!uaddr && m->memory_size > (1ul << 20))
			m->memory_size = 1ul << 20;	/* never reach our binary */
		m->userspace_addr = uaddr;
		break;
	case 3 ... 4:	/* delete */
		m->memory_size = 0;
		m->guest_phys_addr = one_in(g->r, 4) ? slot_gpa(g->r) : old.gpa;
		m->userspace_addr = one_in(g->r, 4) ? 0 : old.uaddr;
		m->flags = one_in(g->r, 4) ? rnd_below(g->r, 8) : old.flags;
		break;
	case 5 ... 6:	/* move */
		*m = (struct kvm_userspace_memory_region){ .slot = old.id,
			.flags = old.flags, .guest_phys_addr = slot_gpa(g->r),
			.memory_size = old.size, .userspace_addr = old.uaddr };
		break;
	case 7 ... 8:	/* flags: dirty logging on/off, READONLY (refused) */
		*m = (struct kvm_userspace_memory_region){ .slot = old.id,
			.flags = old.flags ^ (one_in(g->r, 4) ? KVM_MEM_READONLY :
					      KVM_MEM_LOG_DIRTY_PAGES),
			.guest_phys_addr = old.gpa,
			.memory_size = old.size, .userspace_addr = old.uaddr };
		break;
	default:	/* changed size or address: refused */
		*m = (struct kvm_userspace_memory_region){ .slot = old.id,
			.flags = old.flags, .guest_phys_addr = old.gpa,
			.memory_size = old.size + PAGE * (rnd_below(g->r, 3) + 1),
			.userspace_addr = one_in(g->r, 2) ? old.uaddr : old.uaddr + PAGE };
		if (m->memory_size > (1ul << 20) && !in_arena(m->userspace_addr))
			m->memory_size = 1ul << 20;
		break;
	}
	if (!old.used && !one_in(g->r, 4))
		m->flags = one_in(g->r, 6) ? KVM_MEM_READONLY :
			   one_in(g->r, 5) ? KVM_MEM_LOG_DIRTY_PAGES : 0;
	if (one_in(g->r, 32))
		m->flags |= 1u << rnd_below(g->r, 32);
	/* odd corruptions */
	switch (rnd_below(g->r, 24)) {
	case 0:
		m->guest_phys_addr += 1 + rnd_below(g->r, PAGE - 1);
		break;
	case 1:
		m->memory_size += 1 + rnd_below(g->r, PAGE - 1);
		break;
	case 2:
		m->slot |= (1 + rnd_below(g->r, 2)) << 16;	/* address space 1, 2 */
		break;
	case 3:
		m->slot = rnd32(g->r);
		break;
	}
	/* a dirty bitmap for more than HUGE_SLOT would be too much memory */
	log_ok = m->memory_size <= HUGE_SLOT;
	if (!log_ok)
		m->flags &= ~KVM_MEM_LOG_DIRTY_PAGES;
	/* memory the guest may write must be the arena's or nobody's */
	if (unsafe_addr(m->userspace_addr) ||
	    (!in_arena(m->userspace_addr) && m->userspace_addr < 0x10000 &&
	     m->userspace_addr + m->memory_size > (1ul << 20)))
		m->memory_size = 0, m->userspace_addr = 0;
	if (in_arena(m->userspace_addr) && m->memory_size > (1ull << 43))
		m->memory_size = 1ull << 43;
	if (fresh) {
		pthread_mutex_lock(&objs_lock);
		if (vm->nchunks + 2 <= (int)ARRAY_SIZE(vm->chunks)) {
			vm->chunks[vm->nchunks++] = m->userspace_addr & ~(PAGE - 1);
			vm->chunks[vm->nchunks++] = (m->memory_size + PAGE - 1) & ~(PAGE - 1);
			vm->mem_used += m->memory_size;
		} else {
			arena_unmap(m->userspace_addr, m->memory_size);
		}
		pthread_mutex_unlock(&objs_lock);
	}
	g->size = sizeof(*m);
}

static void post_memslot(struct gctx *g, long ret)
{
	struct kvm_userspace_memory_region m;
	struct obj *vm = &objs[g->obj];
	struct gslot *s;

	if (ret || g->is_value || g->skip)
		return;
	memcpy(&m, g->buf, sizeof(m));
	if (m.slot != slot_id_of(g->aux))
		return;
	pthread_mutex_lock(&objs_lock);
	if (vm->kind == OBJ_VM) {
		s = &vm->slots[g->aux];
		if (!m.memory_size)
			s->used = false;
		else
			*s = (struct gslot){ .used = true, .id = m.slot, .flags = m.flags,
				.gpa = m.guest_phys_addr, .size = m.memory_size,
				.uaddr = m.userspace_addr };
	}
	pthread_mutex_unlock(&objs_lock);
}

static int pick_slot(struct gctx *g, bool want_log)
{
	struct obj *vm = &objs[g->obj];
	int k, best = -1;

	for (k = 0; k < VM_SLOTS && vm->kind == OBJ_VM; k++) {
		if (!vm->slots[k].used)
			continue;
		if (best < 0 || !want_log || vm->slots[k].flags & KVM_MEM_LOG_DIRTY_PAGES)
			best = k;
		if (one_in(g->r, 3))
			break;
	}
	return best;
}

static void gen_dirty_log(struct gctx *g)
{
	struct kvm_dirty_log *l = (void *)g->buf;
	int k = pick_slot(g, true);

	memset(l, 0, sizeof(*l));
	l->slot = k >= 0 && !one_in(g->r, 6) ? slot_id_of(k) :
		  one_in(g->r, 2) ? rnd_below(g->r, 16) : (uint32_t)rnd_value(g->r, 32);
	/* room for the bitmap of a HUGE_SLOT slot (2 MiB) */
	l->dirty_bitmap = (void *)inner_ptr(g, 8192, HUGE_SLOT / PAGE / 8);
}

static void gen_clear_dirty_log(struct gctx *g)
{
	struct kvm_clear_dirty_log *l = (void *)g->buf;
	int k = pick_slot(g, true);

	memset(l, 0, sizeof(*l));
	l->slot = k >= 0 ? slot_id_of(k) : rnd_below(g->r, 16);
	l->first_page = one_in(g->r, 2) ? 64 * rnd_below(g->r, 16) : (uint64_t)rnd_value(g->r, 64);
	l->num_pages = one_in(g->r, 2) ? 64 * rnd_below(g->r, 8) : (uint32_t)rnd_value(g->r, 32);
	l->dirty_bitmap = (void *)inner_ptr(g, 8192, 1 << 16);
	rnd_fill(g->r, g->t->scratch + 8192, 64);
}

static void gen_identity_map(struct gctx *g)
{
	uint64_t a = one_in(g->r, 2) ? 0xfeffc000 : rnd_value(g->r, 64);

	memcpy(g->buf, &a, 8);
}

static void gen_gsi_routing(struct gctx *g)
{
	struct kvm_irq_routing *rt = (void *)g->buf;
	uint32_t i, n;

	memset(rt, 0, sizeof(*rt));
	rt->nr = rnd_count(g->r, 4, 4096);
	n = rt->nr < 64 ? rt->nr : 64;
	for (i = 0; i < n; i++) {
		struct kvm_irq_routing_entry *e = &rt->entries[i];

		memset(e, 0, sizeof(*e));
		e->gsi = one_in(g->r, 4) ? rnd32(g->r) : rnd_below(g->r, 32);
		e->type = one_in(g->r, 8) ? rnd32(g->r) : 1 + rnd_below(g->r, 5);
		e->flags = one_in(g->r, 8) ? rnd32(g->r) : 0;
		rnd_fill(g->r, &e->u, 16);
		if (e->type == KVM_IRQ_ROUTING_IRQCHIP) {
			e->u.irqchip.irqchip = rnd_below(g->r, 4);
			e->u.irqchip.pin = rnd_below(g->r, 26);
		}
	}
	g->size = sizeof(*rt) + 4096 * sizeof(rt->entries[0]);
}

static void gen_irq_level(struct gctx *g)
{
	struct kvm_irq_level *l = (void *)g->buf;

	l->irq = one_in(g->r, 4) ? rnd32(g->r) : rnd_below(g->r, 26);
	l->level = rnd_below(g->r, one_in(g->r, 4) ? 0xffffffff : 2);
}

static void gen_irqchip(struct gctx *g)
{
	struct kvm_irqchip *c = (void *)g->buf;

	fill_sparse(g->r, c, sizeof(*c));
	c->chip_id = one_in(g->r, 4) ? rnd32(g->r) : rnd_below(g->r, 3);
}

static int pick_eventfd(struct rng *r)
{
	return one_in(r, 6) ? (int)rnd_value(r, 32) : eventfds[rnd_below(r, 4)];
}

static void gen_irqfd(struct gctx *g)
{
	struct kvm_irqfd *f = (void *)g->buf;

	memset(f, 0, sizeof(*f));
	f->fd = pick_eventfd(g->r);
	f->gsi = one_in(g->r, 4) ? rnd32(g->r) : rnd_below(g->r, 26);
	f->flags = one_in(g->r, 4) ? rnd32(g->r) : rnd_below(g->r, 4);
	f->resamplefd = pick_eventfd(g->r);
}

static void gen_ioeventfd(struct gctx *g)
{
	static const uint32_t len[] = { 0, 1, 2, 4, 8, 3, 16 };
	struct kvm_ioeventfd *e = (void *)g->buf;

	memset(e, 0, sizeof(*e));
	e->datamatch = rnd_value(g->r, 64);
	e->flags = one_in(g->r, 4) ? rnd32(g->r) : rnd_below(g->r, 16);
	e->addr = e->flags & KVM_IOEVENTFD_FLAG_PIO ? rnd_below(g->r, 0x10000) :
		  0xd0000000 + 8 * rnd_below(g->r, 512);
	if (one_in(g->r, 8))
		e->addr = rnd_value(g->r, 64);
	e->len = len[rnd_below(g->r, ARRAY_SIZE(len))];
	e->fd = pick_eventfd(g->r);
}

static void gen_coalesced(struct gctx *g)
{
	struct kvm_coalesced_mmio_zone *z = (void *)g->buf;

	z->addr = one_in(g->r, 2) ? 0xd0000000 + PAGE * rnd_below(g->r, 16) : rnd_value(g->r, 64);
	z->size = one_in(g->r, 2) ? PAGE : (uint32_t)rnd_value(g->r, 32);
	z->pio = rnd_below(g->r, one_in(g->r, 4) ? 0xffffffff : 2);
}

static void gen_create_device(struct gctx *g)
{
	struct kvm_create_device *c = (void *)g->buf;

	c->type = one_in(g->r, 4) ? rnd32(g->r) : rnd_below(g->r, 12);
	c->fd = 0;
	c->flags = one_in(g->r, 2) ? KVM_CREATE_DEVICE_TEST : one_in(g->r, 4) ? rnd32(g->r) : 0;
}

/* A KVM device's fd (kvm-vfio, ...): not one of the fuzzer's objects. */
static void post_create_device(struct gctx *g, long ret)
{
	struct kvm_create_device c;

	memcpy(&c, g->buf, sizeof(c));
	if (ret || c.flags & KVM_CREATE_DEVICE_TEST || (int)c.fd <= 2)
		return;
	if (fd_link_is(c.fd, "anon_inode:kvm-") &&
	    !fd_link_is(c.fd, "anon_inode:kvm-vm") &&
	    !fd_link_is(c.fd, "anon_inode:kvm-vcpu"))
		close(c.fd);
}

static void post_stats_fd(struct gctx *g, long ret)
{
	if (ret > 2 && fd_link_is((int)ret, "anon_inode:kvm-"))
		close((int)ret);
}

static void post_create_vm(struct gctx *g, long ret)
{
	if (ret < 0)
		return;
	if (objs[g->obj].kind == OBJ_SYS)
		adopt_vm(g->t, g->r, g->obj, (int)ret);
	else
		close((int)ret);
}

static void post_create_vcpu(struct gctx *g, long ret)
{
	if (ret >= 0)
		adopt_vcpu(g->t, g->r, g->obj, (int)ret, (uint32_t)g->value);
}

static void gen_pmu_filter(struct gctx *g)
{
	struct kvm_pmu_event_filter *f = (void *)g->buf;
	uint32_t i;

	memset(f, 0, sizeof(*f));
	f->action = rnd_below(g->r, one_in(g->r, 4) ? 0xffffffff : 2);
	f->nevents = rnd_count(g->r, 4, 300);
	f->fixed_counter_bitmap = rnd32(g->r);
	f->flags = one_in(g->r, 4) ? rnd32(g->r) : 0;
	for (i = 0; i < 302; i++)
		f->events[i] = rnd_value(g->r, 64) & 0xffffffffffull;
	g->size = sizeof(*f) + 302 * 8;
}

static void gen_msr_filter(struct gctx *g)
{
	struct kvm_msr_filter *f = (void *)g->buf;
	int i;

	memset(f, 0, sizeof(*f));
	f->flags = rnd_below(g->r, one_in(g->r, 4) ? 0xffffffff : 2);
	for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES && !one_in(g->r, 3); i++) {
		f->ranges[i].flags = one_in(g->r, 8) ? rnd32(g->r) : 1 + rnd_below(g->r, 3);
		f->ranges[i].nmsrs = one_in(g->r, 4) ? rnd32(g->r) : rnd_below(g->r, 0x3000);
		f->ranges[i].base = rnd_msr_index(g->r);
		f->ranges[i].bitmap = (void *)inner_ptr(g, 16384, 0x600);
	}
	rnd_fill(g->r, g->t->scratch + 16384, 0x600);
}

static void gen_clock(struct gctx *g)
{
	struct kvm_clock_data *c = (void *)g->buf;

	memset(c, 0, sizeof(*c));
	c->clock = rnd_value(g->r, 64);
	c->flags = one_in(g->r, 4) ? rnd32(g->r) : rnd_below(g->r, 8) << 1;
	c->realtime = rnd_value(g->r, 64);
	c->host_tsc = rnd_value(g->r, 64);
}

static void gen_xen_config(struct gctx *g)
{
	struct kvm_xen_hvm_config *c = (void *)g->buf;

	memset(c, 0, sizeof(*c));
	c->flags = one_in(g->r, 4) ? rnd32(g->r) : rnd_below(g->r, 4);
	c->msr = one_in(g->r, 2) ? 0x40000000 + rnd_below(g->r, 0x300) : rnd_msr_index(g->r);
	c->blob_addr_32 = inner_ptr(g, 32768, PAGE);
	c->blob_addr_64 = inner_ptr(g, 32768, PAGE);
	c->blob_size_32 = rnd_below(g->r, 4);
	c->blob_size_64 = rnd_below(g->r, 4);
}

static void gen_sev(struct gctx *g)
{
	struct kvm_sev_cmd *c = (void *)g->buf;

	c->id = rnd_below(g->r, 40);
	c->data = inner_ptr(g, 32768, PAGE);
	c->error = 0;
	c->sev_fd = one_in(g->r, 2) ? -1 : eventfds[0];
}

static void gen_enc_region(struct gctx *g)
{
	struct kvm_enc_region *e = (void *)g->buf;

	e->addr = inner_ptr(g, 32768, PAGE);
	e->size = one_in(g->r, 2) ? PAGE : rnd_value(g->r, 64);
}

static void gen_hv_eventfd(struct gctx *g)
{
	struct kvm_hyperv_eventfd *e = (void *)g->buf;

	memset(e, 0, sizeof(*e));
	e->conn_id = rnd_value(g->r, 32);
	e->fd = pick_eventfd(g->r);
	e->flags = rnd_below(g->r, one_in(g->r, 4) ? 0xffffffff : 2);
}

static void gen_reinject(struct gctx *g)
{
	struct kvm_reinject_control *c = (void *)g->buf;

	memset(c, 0, sizeof(*c));
	c->pit_reinject = (uint8_t)rnd32(g->r);
	g->size = sizeof(*c);
}

static void gen_mmu_pages(struct gctx *g)
{
	static const uint64_t n[] = { 0, 1, 63, 64, 1000, 1ull << 32 };

	g_value(g, one_in(g->r, 2) ? n[rnd_below(g->r, ARRAY_SIZE(n))] : safe_value(g->r));
}

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

#define S FD_SYS
#define V FD_VM
#define C FD_VCPU
#define D(n, f, fl, w, ...) { .name = #n, .cmd = n, .fds = f, .flags = fl, .weight = w, __VA_ARGS__ }

static const struct idesc idescs[] = {
	/* system fd */
	D(KVM_GET_API_VERSION, S, I_KHV | I_VALUE, 10, .gen = gen_zero),
	D(KVM_CREATE_VM, S, I_VALUE, 2, .gen = gen_vm_type, .post = post_create_vm),
	D(KVM_CHECK_EXTENSION, S | V, I_KHV | I_VALUE, 20, .gen = gen_cap),
	D(KVM_GET_VCPU_MMAP_SIZE, S, I_KHV | I_VALUE, 8, .gen = gen_zero),
	D(KVM_GET_SUPPORTED_CPUID, S, I_KHV, 12, .gen = gen_cpuid_out),
	D(KVM_GET_EMULATED_CPUID, S, 0, 4, .gen = gen_cpuid_out),
	D(KVM_GET_MSR_INDEX_LIST, S, I_KHV, 12, .gen = gen_msr_list),
	D(KVM_GET_MSR_FEATURE_INDEX_LIST, S, 0, 4, .gen = gen_msr_list),
	D(KVM_GET_MSRS, S | C, I_KHV, 24, .gen = gen_msrs_io),
	D(KVM_X86_GET_MCE_CAP_SUPPORTED, S, 0, 3, .gen = gen_u64_ptr),
	D(KVM_GET_SUPPORTED_HV_CPUID, S | C, 0, 3, .gen = gen_cpuid_out),
	D(KVM_GET_DEVICE_ATTR, S | C, I_PTRS, 3, .gen = gen_device_attr),
	D(KVM_HAS_DEVICE_ATTR, S | C, I_PTRS, 3, .gen = gen_device_attr),

	/* VM fd */
	D(KVM_CREATE_VCPU, V, I_VALUE, 3, .gen = gen_vcpu_id, .post = post_create_vcpu),
	D(KVM_SET_USER_MEMORY_REGION, V, I_KHV | I_PTRS, 30, .gen = gen_memslot,
	  .post = post_memslot),
	D(KVM_GET_DIRTY_LOG, V, I_KHV | I_PTRS, 14, .gen = gen_dirty_log),
	D(KVM_CLEAR_DIRTY_LOG, V, I_KHV | I_PTRS, 8, .gen = gen_clear_dirty_log),
	D(KVM_SET_TSS_ADDR, V, I_KHV | I_VALUE, 6, .gen = gen_tss_addr),
	D(KVM_SET_IDENTITY_MAP_ADDR, V, I_KHV, 6, .gen = gen_identity_map),
	D(KVM_SET_GSI_ROUTING, V, I_KHV, 6, .gen = gen_gsi_routing),
	D(KVM_SET_NR_MMU_PAGES, V, I_VALUE, 2, .gen = gen_mmu_pages),
	D(KVM_GET_NR_MMU_PAGES, V, I_VALUE, 2, .gen = gen_zero),
	D(KVM_CREATE_IRQCHIP, V, I_VALUE, 2, .gen = gen_zero),
	D(KVM_IRQ_LINE, V, 0, 3, .gen = gen_irq_level),
	D(KVM_IRQ_LINE_STATUS, V, 0, 3, .gen = gen_irq_level),
	D(KVM_GET_IRQCHIP, V, 0, 2, .gen = gen_irqchip),
	D(KVM_SET_IRQCHIP, V, 0, 2, .gen = gen_irqchip, .get = KVM_GET_IRQCHIP),
	D(KVM_CREATE_PIT2, V, 0, 2),
	D(KVM_GET_PIT2, V, 0, 2),
	D(KVM_SET_PIT2, V, 0, 2, .get = KVM_GET_PIT2),
	D(KVM_GET_PIT, V, 0, 1),
	D(KVM_SET_PIT, V, 0, 1, .get = KVM_GET_PIT),
	D(KVM_REINJECT_CONTROL, V, 0, 1, .gen = gen_reinject),
	D(KVM_SET_BOOT_CPU_ID, V, I_VALUE, 1, .gen = gen_any_value),
	D(KVM_XEN_HVM_CONFIG, V, I_PTRS, 1, .gen = gen_xen_config),
	D(KVM_SET_CLOCK, V, 0, 2, .gen = gen_clock),
	D(KVM_GET_CLOCK, V, 0, 2),
	D(KVM_IRQFD, V, 0, 2, .gen = gen_irqfd),
	D(KVM_IOEVENTFD, V, 0, 3, .gen = gen_ioeventfd),
	D(KVM_REGISTER_COALESCED_MMIO, V, 0, 2, .gen = gen_coalesced),
	D(KVM_UNREGISTER_COALESCED_MMIO, V, 0, 2, .gen = gen_coalesced),
	D(KVM_SIGNAL_MSI, V, 0, 2),
	D(KVM_ENABLE_CAP, V | C, 0, 5, .gen = gen_enable_cap),
	D(KVM_CREATE_DEVICE, V, 0, 2, .gen = gen_create_device,
	  .post = post_create_device),
	D(KVM_SET_PMU_EVENT_FILTER, V, 0, 1, .gen = gen_pmu_filter),
	D(KVM_X86_SET_MSR_FILTER, V, I_PTRS, 2, .gen = gen_msr_filter),
	D(KVM_SET_TSC_KHZ, V | C, I_VALUE, 2, .gen = gen_tsc_khz),
	D(KVM_GET_TSC_KHZ, V | C, I_VALUE, 2, .gen = gen_zero),
	D(KVM_GET_STATS_FD, V | C, I_VALUE, 1, .gen = gen_zero, .post = post_stats_fd),
	D(KVM_XEN_HVM_GET_ATTR, V, 0, 1, .gen = gen_xen_attr),
	D(KVM_XEN_HVM_SET_ATTR, V, 0, 1, .gen = gen_xen_attr),
	D(KVM_XEN_HVM_EVTCHN_SEND, V, 0, 1),
	D(KVM_HYPERV_EVENTFD, V, 0, 1, .gen = gen_hv_eventfd),
	D(KVM_MEMORY_ENCRYPT_OP, V, I_PTRS, 1, .gen = gen_sev),
	D(KVM_MEMORY_ENCRYPT_REG_REGION, V, I_PTRS, 1, .gen = gen_enc_region),
	D(KVM_MEMORY_ENCRYPT_UNREG_REGION, V, I_PTRS, 1, .gen = gen_enc_region),
	D(KVM_RESET_DIRTY_RINGS, V, I_VALUE, 2, .gen = gen_zero),

	/* vCPU fd (KVM_RUN is op_run's) */
	D(KVM_GET_REGS, C, I_KHV, 20),
	D(KVM_SET_REGS, C, I_KHV, 20, .gen = gen_regs_wrap, .get = KVM_GET_REGS),
	D(KVM_GET_SREGS, C, I_KHV, 16),
	D(KVM_SET_SREGS, C, I_KHV, 24, .gen = gen_sregs_wrap, .get = KVM_GET_SREGS),
	D(KVM_GET_SREGS2, C, 0, 3),
	D(KVM_SET_SREGS2, C, 0, 4, .get = KVM_GET_SREGS2),
	D(KVM_TRANSLATE, C, 0, 3, .gen = gen_translate),
	D(KVM_INTERRUPT, C, I_KHV, 14, .gen = gen_interrupt),
	D(KVM_SET_MSRS, C, I_KHV, 24, .gen = gen_msrs_io),
	D(KVM_SET_CPUID, C, 0, 2, .gen = gen_set_cpuid),
	D(KVM_SET_CPUID2, C, I_KHV, 8, .gen = gen_set_cpuid2),
	D(KVM_GET_CPUID2, C, I_KHV, 8, .gen = gen_cpuid_out),
	D(KVM_SET_SIGNAL_MASK, C, I_KHV, 8, .gen = gen_signal_mask),
	D(KVM_GET_FPU, C, I_KHV, 8),
	D(KVM_SET_FPU, C, I_KHV, 10, .gen = gen_fpu, .get = KVM_GET_FPU),
	D(KVM_GET_LAPIC, C, 0, 2),
	D(KVM_SET_LAPIC, C, 0, 3, .get = KVM_GET_LAPIC),
	D(KVM_NMI, C, I_KHV | I_VALUE, 10, .gen = gen_zero),
	D(KVM_GET_MP_STATE, C, I_KHV, 6),
	D(KVM_SET_MP_STATE, C, I_KHV, 6, .gen = gen_mp_state),
	D(KVM_SET_GUEST_DEBUG, C, 0, 4, .gen = gen_guest_debug),
	D(KVM_X86_SETUP_MCE, C, 0, 2, .gen = gen_mce),
	D(KVM_X86_SET_MCE, C, 0, 2, .gen = gen_set_mce),
	D(KVM_GET_VCPU_EVENTS, C, I_KHV, 10),
	D(KVM_SET_VCPU_EVENTS, C, I_KHV, 14, .gen = gen_events_wrap,
	  .get = KVM_GET_VCPU_EVENTS),
	D(KVM_GET_DEBUGREGS, C, 0, 2),
	D(KVM_SET_DEBUGREGS, C, 0, 3, .gen = gen_debugregs),
	D(KVM_GET_XSAVE, C, 0, 2),
	D(KVM_SET_XSAVE, C, 0, 2, .get = KVM_GET_XSAVE),
	D(KVM_GET_XSAVE2, C, 0, 2),
	D(KVM_GET_XCRS, C, 0, 2),
	D(KVM_SET_XCRS, C, 0, 2, .gen = gen_xcrs),
	D(KVM_KVMCLOCK_CTRL, C, I_VALUE, 1, .gen = gen_zero),
	D(KVM_GET_NESTED_STATE, C, 0, 2, .gen = gen_nested_get),
	D(KVM_SET_NESTED_STATE, C, 0, 2, .gen = gen_nested_set),
	D(KVM_TPR_ACCESS_REPORTING, C, 0, 1, .gen = gen_tpr_access),
	D(KVM_SET_VAPIC_ADDR, C, 0, 1, .gen = gen_vapic),
	D(KVM_SMI, C, I_VALUE, 2, .gen = gen_zero),
	D(KVM_SET_DEVICE_ATTR, C, I_PTRS, 2, .gen = gen_device_attr),
	D(KVM_XEN_VCPU_GET_ATTR, C, 0, 1, .gen = gen_xen_attr),
	D(KVM_XEN_VCPU_SET_ATTR, C, 0, 1, .gen = gen_xen_attr),
	D(KVM_GET_ONE_REG, C, I_PTRS, 1, .gen = gen_one_reg),
	D(KVM_SET_ONE_REG, C, I_PTRS, 1, .gen = gen_one_reg),
	D(KHV_BENCH_VMRUN, C, 0, 2, .gen = gen_bench),
};

#undef S
#undef V
#undef C

static const struct idesc *find_desc(unsigned long cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(idescs); i++)
		if (idescs[i].cmd == cmd)
			return &idescs[i];
	return NULL;
}

const char *ioctl_name(unsigned long cmd)
{
	static __thread char buf[24];
	const struct idesc *d = find_desc(cmd);

	if (cmd == KVM_RUN)
		return "KVM_RUN";
	if (d)
		return d->name;
	snprintf(buf, sizeof(buf), "ioctl(%#lx)", cmd);
	return buf;
}

int ioctl_table_check(void)
{
	size_t i, j;
	int bad = 0;

	for (i = 0; i < ARRAY_SIZE(idescs); i++) {
		const struct idesc *d = &idescs[i];

		if (!d->name || !d->fds || !d->weight) {
			printf("# %s: incomplete entry\n", d->name);
			bad++;
		}
		if (!(d->flags & I_VALUE) && !_IOC_SIZE(d->cmd) && !d->gen) {
			printf("# %s: no size and no generator\n", d->name);
			bad++;
		}
		if (_IOC_SIZE(d->cmd) > SCRATCH_SIZE / 4) {
			printf("# %s: argument larger than scratch\n", d->name);
			bad++;
		}
		for (j = i + 1; j < ARRAY_SIZE(idescs); j++)
			if (idescs[j].cmd == d->cmd) {
				printf("# %s and %s: same number\n", d->name, idescs[j].name);
				bad++;
			}
	}
	printf("# %zu ioctls described\n", ARRAY_SIZE(idescs));
	return bad;
}

/* ------------------------------------------------------------------ */
/* Issuing                                                             */
/* ------------------------------------------------------------------ */

static void do_desc(struct fthread *t, struct rng *r, const struct idesc *d, int obj)
{
	struct gctx g = { .t = t, .r = r, .d = d, .obj = obj, .valid = true };
	uint64_t arg;
	bool ok = true;
	long ret;

	g.fd = obj_fd(obj);
	g.buf = t->scratch + (one_in(r, 16) ? 1 + rnd_below(r, 63) : 0);
	g.size = _IOC_SIZE(d->cmd);
	if (d->get && one_in(r, 2) && g.fd >= 0) {
		/* from the current state, a few fields changed */
		memset(g.buf, 0, g.size);
		if (!fz_ioctl(t, g.fd, d->get, (unsigned long)g.buf) &&
		    !(d->flags & I_PTRS)) {
			mutate_struct(r, g.buf, g.size);
			goto issue;
		}
	}
	if (d->gen)
		d->gen(&g);
	else if (_IOC_DIR(d->cmd) & _IOC_WRITE)
		fill_sparse(r, g.buf, g.size);
	if (g.skip)
		return;
	if (!g.is_value && !(d->flags & I_PTRS) && one_in(r, 16))
		mutate_struct(r, g.buf, g.size);
issue:
	/* kvm_sregs2 starts as kvm_sregs does */
	if (d->cmd == KVM_SET_SREGS || d->cmd == KVM_SET_SREGS2)
		sanitize_tr((void *)g.buf);
	if (g.is_value)
		arg = g.value;
	else
		arg = arg_ptr(t, r, g.size, (uint64_t)g.buf, &ok);
	ret = g.run ? fz_run_ioctl(t, g.fd, d->cmd, arg) : fz_ioctl(t, g.fd, d->cmd, arg);
	if (d->post)
		d->post(&g, ret);
	if ((d->flags & I_KHV) && ret == -EFAULT && ok && g.valid && !g.is_value &&
	    g.fd == objs[obj].fd)
		unexpected(t, "%s on fd %d: EFAULT with valid pointers (arg %#lx)",
			   d->name, g.fd, (unsigned long)arg);
}

static void op_ioctl_kind(struct fthread *t, struct rng *r, enum obj_kind kind,
			  uint8_t fdk)
{
	uint32_t w[ARRAY_SIZE(idescs)];
	size_t i;
	int obj;

	for (i = 0; i < ARRAY_SIZE(idescs); i++) {
		w[i] = idescs[i].fds & fdk ? idescs[i].weight : 0;
		/* what the device does not know costs little: keep it rarer */
		if (cfg.is_khv && !(idescs[i].flags & I_KHV) && w[i] > 1)
			w[i] /= 2;
	}
	obj = obj_get(t, r, kind, one_in(r, 2));
	if (obj < 0)
		return;
	do_desc(t, r, &idescs[rnd_weighted(r, w, ARRAY_SIZE(idescs))], obj);
	obj_put(obj);
}

void op_sys_ioctl(struct fthread *t, struct rng *r)
{
	op_ioctl_kind(t, r, OBJ_SYS, FD_SYS);
}

void op_vm_ioctl(struct fthread *t, struct rng *r)
{
	op_ioctl_kind(t, r, OBJ_VM, FD_VM);
}

void op_vcpu_ioctl(struct fthread *t, struct rng *r)
{
	op_ioctl_kind(t, r, OBJ_VCPU, FD_VCPU);
}

void op_memslot(struct fthread *t, struct rng *r)
{
	int vm = obj_get(t, r, OBJ_VM, true), n = 1 + rnd_below(r, 4);

	if (vm < 0)
		return;
	while (n--)
		do_desc(t, r, find_desc(KVM_SET_USER_MEMORY_REGION), vm);
	if (one_in(r, 3))
		do_desc(t, r, find_desc(KVM_GET_DIRTY_LOG), vm);
	obj_put(vm);
}

/*
 * Numbers nobody defined, numbers one bit away from real ones, real ones
 * on the wrong fd kind. A number that turns out to be a known ioctl goes
 * through its generator (its pointers must be safe).
 */
void op_random_ioctl(struct fthread *t, struct rng *r)
{
	static const enum obj_kind kinds[] = { OBJ_SYS, OBJ_VM, OBJ_VCPU };
	const struct idesc *d = &idescs[rnd_below(r, ARRAY_SIZE(idescs))];
	unsigned long cmd;
	uint64_t arg;
	int obj, i;
	long ret;

	obj = obj_get(t, r, kinds[rnd_below(r, 3)], false);
	if (obj < 0)
		return;
	switch (rnd_below(r, 10)) {
	case 0 ... 2:
		cmd = rnd32(r);
		break;
	case 3 ... 4:
		cmd = _IOC(rnd_below(r, 4), KVMIO, rnd_below(r, 256), rnd_below(r, 4096));
		break;
	case 5 ... 6:	/* one bit off a real number */
		cmd = d->cmd ^ (1ul << rnd_below(r, 32));
		break;
	case 7:
		cmd = _IOC(rnd_below(r, 4), KHVIO, rnd_below(r, 8), rnd_below(r, 256));
		break;
	case 8:
		cmd = _IOC(_IOC_DIR(d->cmd), _IOC_TYPE(d->cmd), _IOC_NR(d->cmd),
			   rnd_below(r, 4096));
		break;
	default:	/* a real one, on whatever fd kind this is */
		cmd = d->cmd;
		break;
	}
	d = find_desc(cmd);
	if (d || cmd == KVM_RUN) {
		if (d)
			do_desc(t, r, d, obj);
		obj_put(obj);
		return;
	}
	if (one_in(r, 2)) {
		uint64_t *w = (uint64_t *)t->scratch;

		for (i = 0; i < 512; i++)
			w[i] = one_in(r, 2) ? 0 : safe_value(r);
		arg = (uint64_t)t->scratch;
	} else {
		arg = safe_value(r);
	}
	ret = fz_ioctl(t, obj_fd(obj), cmd, arg);
	/* an fd from a number nobody described: not ours to keep */
	if (ret > 2 && fd_link_is((int)ret, "anon_inode:k")) {
		unexpected(t, "%s on %d returned fd %ld", ioctl_name(cmd), obj_fd(obj), ret);
		close((int)ret);
	}
	obj_put(obj);
}
