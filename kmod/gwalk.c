// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walker. Pure code: see khv_pure.h; the contract is in
 * gwalk.h. Facts from the SDM vol. 3 chapter 4 (Paging) and the APM vol. 2
 * chapter 5.
 *
 * The three paging modes differ in entry size, bits per level, where
 * PS=1 maps a page and which bits are reserved; khv_pgmode_*() describe
 * the guest's mode in a struct khv_pgmode and one loop walks any of them.
 * x86 only, so entries are read as little-endian host integers.
 */
#include "gwalk.h"

#define GW_CR0_WP	BIT_ULL(16)
#define GW_CR0_PG	BIT_ULL(31)
#define GW_CR4_PSE	BIT_ULL(4)
#define GW_CR4_PAE	BIT_ULL(5)
#define GW_CR4_LA57	BIT_ULL(12)
#define GW_CR4_SMEP	BIT_ULL(20)
#define GW_EFER_LMA	BIT_ULL(10)
#define GW_EFER_NXE	BIT_ULL(11)

#define GW_PTE_P	BIT_ULL(0)
#define GW_PTE_RW	BIT_ULL(1)
#define GW_PTE_US	BIT_ULL(2)
#define GW_PTE_PS	BIT_ULL(7)
#define GW_PTE_XD	BIT_ULL(63)

#define GW_MAX_LEVELS	4
#define GW_ACCESS_ALL	(KHV_GWALK_WRITE | KHV_GWALK_USER | KHV_GWALK_FETCH)

/* One paging mode as this guest configures it. Levels count from 1 (PTE). */
struct khv_pgmode {
	u64 addr_mask;				/* next-table/page address bits */
	u64 rsvd[GW_MAX_LEVELS + 1][2];		/* reserved bits; [1]: PS=1 */
	bool large[GW_MAX_LEVELS + 1];		/* PS=1 maps a page here */
	const u64 *pdptes;			/* PAE top level from registers */
	u8 levels;
	u8 entry_size;				/* 4 or 8 bytes */
	u8 index_bits;				/* 10 or 9 per level */
	u8 rights_top;				/* highest level with R/W, U/S, XD */
	u8 pse36_bits;				/* 32-bit paging: 4M PDE bits 20:13 used */
	bool xd;				/* XD honoured (PAE/4-level and NXE) */
};

/* Bits hi..lo set; none when hi < lo. */
static u64 khv_bits(u32 hi, u32 lo)
{
	if (hi < lo)
		return 0;
	return (~0ULL >> (63 - hi)) & (~0ULL << lo);
}

/* The low n bits set. */
static u64 khv_low_bits(u32 n)
{
	return n ? khv_bits(n - 1, 0) : 0;
}

/* 32-bit paging: 2 levels of 1024 4-byte entries; 4M pages with CR4.PSE. */
static void khv_pgmode_32(const struct khv_gwalk_ctx *ctx, struct khv_pgmode *m)
{
	u32 m36 = ctx->phys_bits < 40 ? ctx->phys_bits : 40;

	m->levels = 2;
	m->entry_size = 4;
	m->index_bits = 10;
	m->rights_top = 2;
	m->addr_mask = khv_bits(31, 12);
	m->large[2] = ctx->cr4 & GW_CR4_PSE;
	/* 4M PDE: bits (M-20):13 are address bits (M-1):32, 21:(M-19) reserved. */
	m->pse36_bits = m36 - 32;
	m->rsvd[2][1] = khv_bits(21, 13 + m->pse36_bits);
}

/* Bits above MAXPHYADDR (up to 51 or 62), and XD when NXE is off. */
static u64 khv_rsvd_high(const struct khv_gwalk_ctx *ctx, u32 top)
{
	u64 r = khv_bits(top, ctx->phys_bits);

	if (!(ctx->efer & GW_EFER_NXE))
		r |= GW_PTE_XD;
	return r;
}

/* PAE: 4 PDPTEs (no rights, bits 63:M, 8:5, 2:1 reserved), then 2 levels of 512. */
static void khv_pgmode_pae(const struct khv_gwalk_ctx *ctx, struct khv_pgmode *m)
{
	u64 hi = khv_rsvd_high(ctx, 62);

	m->levels = 3;
	m->entry_size = 8;
	m->index_bits = 9;
	m->rights_top = 2;
	m->addr_mask = khv_bits(ctx->phys_bits - 1, 12);
	m->pdptes = ctx->pdptes;
	m->rsvd[3][0] = khv_bits(63, ctx->phys_bits) | khv_bits(8, 5) | khv_bits(2, 1);
	m->rsvd[2][0] = hi;
	m->rsvd[2][1] = hi | khv_bits(20, 13);
	m->rsvd[1][0] = hi;
	m->large[2] = true;
	m->xd = ctx->efer & GW_EFER_NXE;
}

/* 4-level: 4 levels of 512; PS reserved in the PML4E, 1G pages optional. */
static void khv_pgmode_4level(const struct khv_gwalk_ctx *ctx,
			      struct khv_pgmode *m)
{
	u64 hi = khv_rsvd_high(ctx, 51);

	m->levels = 4;
	m->entry_size = 8;
	m->index_bits = 9;
	m->rights_top = 4;
	m->addr_mask = khv_bits(ctx->phys_bits - 1, 12);
	m->rsvd[4][0] = hi | GW_PTE_PS;
	m->rsvd[3][0] = ctx->gbpages ? hi : hi | GW_PTE_PS;
	m->rsvd[3][1] = hi | khv_bits(29, 13);
	m->rsvd[2][0] = hi;
	m->rsvd[2][1] = hi | khv_bits(20, 13);
	m->rsvd[1][0] = hi;
	m->large[3] = ctx->gbpages;
	m->large[2] = true;
	m->xd = ctx->efer & GW_EFER_NXE;
}

/* khv_gwalk_levels(): the walk ended in a #PF (w->error_code says why). */
#define KHV_WALK_FAULT	1

/*
 * Read the entry at level `level`, index idx, address gpa. A callback's
 * -EFAULT becomes -EIO: -EFAULT from the walker means a guest #PF. Its
 * -ENOENT (no RAM at gpa) ends the walk as a not-present entry would.
 */
static int khv_gwalk_entry(const struct khv_gwalk_ctx *ctx,
			   const struct khv_pgmode *m, u32 level, u64 gpa,
			   u64 idx, u64 *entry)
{
	u32 e32 = 0;
	int r;

	if (m->pdptes && level == 3) {
		*entry = m->pdptes[idx];
		return 0;
	}
	if (m->entry_size == 8) {
		r = ctx->read_gpa(ctx->opaque, gpa, entry, 8);
	} else {
		r = ctx->read_gpa(ctx->opaque, gpa, &e32, 4);
		*entry = e32;
	}
	if (r == -ENOENT)
		return KHV_WALK_FAULT;
	if (r == -EFAULT || r > 0)
		return -EIO;
	return r;
}

/* Physical address of a page mapped by entry e at a level with `shift`. */
static u64 khv_gwalk_page(const struct khv_pgmode *m, u64 e, u32 shift)
{
	u64 base = e & m->addr_mask & ~khv_low_bits(shift);

	if (m->entry_size == 4 && shift == 22)	/* PSE-36 */
		base |= ((e >> 13) & khv_low_bits(m->pse36_bits)) << 32;
	return base;
}

/* What the walk found: the rights ANDed (R/W, U/S) and ORed (XD) over levels. */
struct khv_walk {
	u64 allow;
	u64 xd;
	u32 error_code;		/* fault found during the walk, or 0 */
};

static int khv_gwalk_levels(const struct khv_gwalk_ctx *ctx,
			    const struct khv_pgmode *m, u64 table, u64 gla,
			    struct khv_walk *w, struct khv_gwalk_result *res)
{
	u32 level, shift;
	u64 idx, e;
	bool ps;
	int r;

	for (level = m->levels; ; level--) {
		shift = 12 + m->index_bits * (level - 1);
		idx = (gla >> shift) & khv_low_bits(m->index_bits);
		r = khv_gwalk_entry(ctx, m, level, table + idx * m->entry_size,
				    idx, &e);
		if (r)
			return r;
		if (!(e & GW_PTE_P))
			return KHV_WALK_FAULT;
		ps = m->large[level] && (e & GW_PTE_PS);
		if (e & m->rsvd[level][ps]) {
			w->error_code = KHV_PFERR_PRESENT | KHV_PFERR_RSVD;
			return KHV_WALK_FAULT;
		}
		if (level <= m->rights_top) {
			w->allow &= e;
			w->xd |= e;
		}
		if (ps || level == 1)
			break;
		table = e & m->addr_mask;
	}
	res->page_size = 1ULL << shift;
	res->gpa = khv_gwalk_page(m, e, shift) | (gla & khv_low_bits(shift));
	return 0;
}

/* Protection checks on the combined rights (SDM 4.6). */
static bool khv_gwalk_allowed(const struct khv_gwalk_ctx *ctx,
			      const struct khv_pgmode *m,
			      const struct khv_walk *w, u32 access)
{
	bool user = access & KHV_GWALK_USER;
	bool user_page = w->allow & GW_PTE_US;

	if (user && !user_page)
		return false;
	if ((access & KHV_GWALK_WRITE) && !(w->allow & GW_PTE_RW) &&
	    (user || (ctx->cr0 & GW_CR0_WP)))
		return false;
	if (!(access & KHV_GWALK_FETCH))
		return true;
	if (m->xd && (w->xd & GW_PTE_XD))
		return false;
	return user || !user_page || !(ctx->cr4 & GW_CR4_SMEP);
}

/* The access bits of the error code; I/D only with SMEP or PAE+NXE. */
static u32 khv_pferr_access(const struct khv_gwalk_ctx *ctx, u32 access)
{
	u32 ec = access & (KHV_PFERR_WRITE | KHV_PFERR_USER);
	bool id = (ctx->cr4 & GW_CR4_SMEP) ||
		  ((ctx->cr4 & GW_CR4_PAE) && (ctx->efer & GW_EFER_NXE));

	if ((access & KHV_GWALK_FETCH) && id)
		ec |= KHV_PFERR_FETCH;
	return ec;
}

/* Pick the mode; returns the top table's GPA, or a negative errno. */
static s64 khv_pgmode_init(const struct khv_gwalk_ctx *ctx, u64 *gla,
			   struct khv_pgmode *m)
{
	if (!(ctx->cr4 & GW_CR4_PAE)) {
		if (ctx->efer & GW_EFER_LMA)
			return -EINVAL;
		khv_pgmode_32(ctx, m);
		*gla &= 0xffffffffULL;
		return ctx->cr3 & khv_bits(31, 12);
	}
	if (!(ctx->efer & GW_EFER_LMA)) {
		khv_pgmode_pae(ctx, m);
		*gla &= 0xffffffffULL;
		return ctx->cr3 & khv_bits(31, 5);
	}
	if (ctx->cr4 & GW_CR4_LA57)
		return -EOPNOTSUPP;
	if ((u64)((s64)(*gla << 16) >> 16) != *gla)
		return -EINVAL;
	khv_pgmode_4level(ctx, m);
	return ctx->cr3 & khv_bits(ctx->phys_bits - 1, 12);
}

int khv_gwalk(const struct khv_gwalk_ctx *ctx, u64 gla, u32 access,
	      struct khv_gwalk_result *res)
{
	struct khv_walk w = { .allow = GW_PTE_RW | GW_PTE_US };
	struct khv_pgmode m = { 0 };
	s64 top;
	int r;

	*res = (struct khv_gwalk_result){ 0 };
	if (ctx->phys_bits < 32 || ctx->phys_bits > 52 ||
	    (access & ~GW_ACCESS_ALL) ||
	    (access & (KHV_GWALK_WRITE | KHV_GWALK_FETCH)) ==
	    (KHV_GWALK_WRITE | KHV_GWALK_FETCH))
		return -EINVAL;
	if (!(ctx->cr0 & GW_CR0_PG)) {
		res->gpa = gla & 0xffffffffULL;
		res->page_size = 4096;
		return 0;
	}
	top = khv_pgmode_init(ctx, &gla, &m);
	if (top < 0)
		return top;
	r = khv_gwalk_levels(ctx, &m, top, gla, &w, res);
	if (!r && !khv_gwalk_allowed(ctx, &m, &w, access)) {
		w.error_code = KHV_PFERR_PRESENT;
		r = KHV_WALK_FAULT;
	}
	if (r != KHV_WALK_FAULT)
		return r;
	*res = (struct khv_gwalk_result){
		.error_code = w.error_code | khv_pferr_access(ctx, access),
	};
	return -EFAULT;
}
