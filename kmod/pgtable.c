// SPDX-License-Identifier: GPL-2.0
/* The guest-physical page table: see pgtable.h. Pure. */
#include "pgtable.h"

#define KHV_PT_LEVELS	4
#define KHV_PT_ENTRIES	512

static unsigned int khv_pt_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (KHV_PT_ENTRIES - 1);
}

static u64 khv_pt_level_size(int level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

static bool khv_pt_present(const struct khv_pt *pt, u64 e)
{
	return e & pt->fmt->present;
}

static u64 *khv_pt_table(const struct khv_pt *pt, u64 e)
{
	return pt->mem.va(pt->mem.ctx, e & KHV_PT_ADDR_MASK);
}

int khv_pt_init(struct khv_pt *pt, const struct khv_pt_format *fmt,
		const struct khv_pt_mem *mem)
{
	pt->fmt = fmt;
	pt->mem = *mem;
	pt->root = mem->alloc(mem->ctx, &pt->root_pa);
	return pt->root ? 0 : -ENOMEM;
}

/* The level-1 table covering @gpa, creating tables on the way if @create. */
static u64 *khv_pt_walk(const struct khv_pt *pt, u64 gpa, bool create)
{
	u64 *table = pt->root;
	int level;

	if (gpa >> KHV_PT_GPA_BITS)	/* would alias a lower address */
		return NULL;
	for (level = KHV_PT_LEVELS; level > 1; level--) {
		u64 *e = &table[khv_pt_index(gpa, level)];

		if (!khv_pt_present(pt, *e)) {
			u64 pa;
			u64 *next;

			if (!create)
				return NULL;
			next = pt->mem.alloc(pt->mem.ctx, &pa);
			if (!next)
				return NULL;
			*e = pa | pt->fmt->table;
		}
		table = khv_pt_table(pt, *e);
	}
	return table;
}

int khv_pt_map(struct khv_pt *pt, u64 gpa, u64 hpa, bool writable,
	       bool backing_rw)
{
	u64 *table;
	u64 *e;

	if (gpa >> KHV_PT_GPA_BITS)
		return -EINVAL;
	table = khv_pt_walk(pt, gpa, true);
	if (!table)
		return -ENOMEM;
	e = &table[khv_pt_index(gpa, 1)];
	if (*e)		/* mapped, or zapped and not yet reaped */
		return -EEXIST;
	*e = (hpa & KHV_PT_ADDR_MASK) |
	     (writable ? pt->fmt->leaf_rw : pt->fmt->leaf_ro) |
	     (writable || backing_rw ? pt->fmt->backing_rw : 0);
	return 0;
}

static u64 *khv_pt_leaf(const struct khv_pt *pt, u64 gpa)
{
	u64 *table = khv_pt_walk(pt, gpa, false);

	return table ? &table[khv_pt_index(gpa, 1)] : NULL;
}

int khv_pt_make_writable(struct khv_pt *pt, u64 gpa)
{
	u64 *e = khv_pt_leaf(pt, gpa);

	if (!e || !khv_pt_present(pt, *e) || !(*e & pt->fmt->backing_rw))
		return -EPERM;
	*e = (*e & KHV_PT_ADDR_MASK) | pt->fmt->leaf_rw | pt->fmt->backing_rw;
	return 0;
}

u64 khv_pt_lookup(const struct khv_pt *pt, u64 gpa)
{
	u64 *table = khv_pt_walk(pt, gpa, false);

	return table ? table[khv_pt_index(gpa, 1)] : 0;
}

enum khv_pt_op {
	KHV_PT_WP,		/* writable leaves: make read-only */
	KHV_PT_ZAP,		/* present leaves: clear the present bits */
	KHV_PT_REAP,		/* zapped leaves: release and clear */
	KHV_PT_DROP,		/* every leaf: release and clear */
};

/* Apply @op to one leaf; true if it counted. */
static bool khv_pt_leaf_op(struct khv_pt *pt, u64 *e, enum khv_pt_op op)
{
	u64 v = *e;
	bool present = khv_pt_present(pt, v), zapped = !present && v;

	if (op == KHV_PT_WP) {
		if (!present || !(v & pt->fmt->writable))
			return false;
		*e = (v & KHV_PT_ADDR_MASK) | pt->fmt->leaf_ro | pt->fmt->backing_rw;
		return true;
	}
	if (op == KHV_PT_ZAP) {
		if (present)
			*e = v & ~pt->fmt->present;
		return present;
	}
	if (!zapped && !(op == KHV_PT_DROP && present))
		return false;
	*e = 0;
	/* a page pinned for writing may have been written: release it dirty */
	pt->mem.release(pt->mem.ctx, v & KHV_PT_ADDR_MASK,
			v & (pt->fmt->writable | pt->fmt->backing_rw));
	return true;
}

unsigned int khv_pt_write_protect_mask(struct khv_pt *pt, u64 gpa,
				       unsigned long mask)
{
	u64 *table = NULL, region = ~0ULL;
	unsigned int n = 0;

	for (; mask; mask &= mask - 1) {
		u64 a = gpa + ((u64)__builtin_ctzl(mask) << 12);

		/* one walk per level-1 table the pages fall in, not per page */
		if (a >> 21 != region) {
			region = a >> 21;
			table = a < gpa ? NULL : khv_pt_walk(pt, a, false);
		}
		if (table)
			n += khv_pt_leaf_op(pt, &table[khv_pt_index(a, 1)], KHV_PT_WP);
	}
	return n;
}

/* Apply @op to the leaves of [start, end) below @table at @level. */
static u64 khv_pt_range_op(struct khv_pt *pt, u64 *table, int level, u64 base,
			   u64 start, u64 end, enum khv_pt_op op)
{
	u64 size = khv_pt_level_size(level), n = 0;
	unsigned int i;

	for (i = 0; i < KHV_PT_ENTRIES; i++) {
		u64 lo = base + i * size;

		if (lo + size <= start || lo >= end || !table[i])
			continue;
		if (level > 1)
			n += khv_pt_range_op(pt, khv_pt_table(pt, table[i]),
					     level - 1, lo, start, end, op);
		else
			n += khv_pt_leaf_op(pt, &table[i], op);
	}
	/* a walk over a whole slot may take long: let the host breathe */
	if (level == 1 && pt->mem.yield)
		pt->mem.yield(pt->mem.ctx);
	return n;
}

u64 khv_pt_write_protect_range(struct khv_pt *pt, u64 gpa, u64 size)
{
	if (!pt->root)
		return 0;
	return khv_pt_range_op(pt, pt->root, KHV_PT_LEVELS, 0, gpa, gpa + size,
			       KHV_PT_WP);
}

u64 khv_pt_zap_range(struct khv_pt *pt, u64 gpa, u64 size)
{
	if (!pt->root)
		return 0;
	return khv_pt_range_op(pt, pt->root, KHV_PT_LEVELS, 0, gpa, gpa + size,
			       KHV_PT_ZAP);
}

void khv_pt_reap_range(struct khv_pt *pt, u64 gpa, u64 size)
{
	if (pt->root)
		khv_pt_range_op(pt, pt->root, KHV_PT_LEVELS, 0, gpa, gpa + size,
				KHV_PT_REAP);
}

static void khv_pt_free_tables(struct khv_pt *pt, u64 *table, int level)
{
	unsigned int i;

	for (i = 0; level > 1 && i < KHV_PT_ENTRIES; i++)
		if (table[i])
			khv_pt_free_tables(pt, khv_pt_table(pt, table[i]),
					   level - 1);
	pt->mem.free(pt->mem.ctx, table);
	if (level == 2 && pt->mem.yield)
		pt->mem.yield(pt->mem.ctx);
}

void khv_pt_destroy(struct khv_pt *pt)
{
	if (!pt->root)
		return;
	khv_pt_range_op(pt, pt->root, KHV_PT_LEVELS, 0, 0, ~0ULL, KHV_PT_DROP);
	khv_pt_free_tables(pt, pt->root, KHV_PT_LEVELS);
	pt->root = NULL;
}
