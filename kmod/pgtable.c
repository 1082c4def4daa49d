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
	pt->leaves[0] = pt->leaves[1] = 0;
	pt->root = mem->alloc(mem->ctx, &pt->root_pa);
	return pt->root ? 0 : -ENOMEM;
}

/*
 * The entry for @gpa at @target (1 or 2), creating the tables above it if
 * @create. NULL where a table is missing (or cannot be had), or where a
 * 2 MiB leaf, present or zapped, covers @gpa above @target: *@huge then
 * points at that leaf (else NULL). Tables are never zapped, so below the
 * root a non-present entry that is not 0 is a zapped 2 MiB leaf.
 */
static u64 *khv_pt_entry(const struct khv_pt *pt, u64 gpa, int target,
			 bool create, u64 **huge)
{
	u64 *table = pt->root;
	int level;

	*huge = NULL;
	if (gpa >> KHV_PT_GPA_BITS)	/* would alias a lower address */
		return NULL;
	for (level = KHV_PT_LEVELS; level > target; level--) {
		u64 *e = &table[khv_pt_index(gpa, level)];

		if (khv_pt_huge(pt, *e)) {
			*huge = e;
			return NULL;
		}
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
	return &table[khv_pt_index(gpa, target)];
}

static u64 khv_pt_leaf_bits(const struct khv_pt *pt, bool writable,
			    bool backing_rw)
{
	return (writable ? pt->fmt->leaf_rw : pt->fmt->leaf_ro) |
	       (writable || backing_rw ? pt->fmt->backing_rw : 0);
}

int khv_pt_map(struct khv_pt *pt, u64 gpa, u64 hpa, bool writable,
	       bool backing_rw)
{
	u64 *huge;
	u64 *e;

	if (gpa >> KHV_PT_GPA_BITS)
		return -EINVAL;
	e = khv_pt_entry(pt, gpa, 1, true, &huge);
	if (huge)
		return -EEXIST;
	if (!e)
		return -ENOMEM;
	if (*e)		/* mapped, or zapped and not yet reaped */
		return -EEXIST;
	*e = (hpa & KHV_PT_ADDR_MASK) | khv_pt_leaf_bits(pt, writable, backing_rw);
	pt->leaves[0]++;
	return 0;
}

int khv_pt_map_huge(struct khv_pt *pt, u64 gpa, u64 hpa, bool writable,
		    bool backing_rw)
{
	u64 *huge;
	u64 *e;

	if (!pt->fmt->huge || gpa >> KHV_PT_GPA_BITS ||
	    (gpa | hpa) & (KHV_PT_HUGE_SIZE - 1) || hpa & ~KHV_PT_ADDR_MASK)
		return -EINVAL;
	e = khv_pt_entry(pt, gpa, 2, true, &huge);
	if (!e)
		return -ENOMEM;
	if (*e)		/* a leaf table, or a 2 MiB leaf */
		return -EEXIST;
	*e = hpa | khv_pt_leaf_bits(pt, writable, backing_rw) | pt->fmt->huge;
	pt->leaves[1]++;
	return 0;
}

bool khv_pt_huge_free(const struct khv_pt *pt, u64 gpa)
{
	u64 *huge;
	u64 *e = khv_pt_entry(pt, gpa, 2, false, &huge);

	return !e || !*e;
}

/* The leaf for @gpa: a 4 KiB one's entry, a 2 MiB one's, or NULL. */
static u64 *khv_pt_leaf(const struct khv_pt *pt, u64 gpa)
{
	u64 *huge;
	u64 *e = khv_pt_entry(pt, gpa, 1, false, &huge);

	return huge ?: e;
}

int khv_pt_make_writable(struct khv_pt *pt, u64 gpa)
{
	u64 *e = khv_pt_leaf(pt, gpa);

	if (!e || !khv_pt_present(pt, *e) || !(*e & pt->fmt->backing_rw))
		return -EPERM;
	*e = (*e & (KHV_PT_ADDR_MASK | pt->fmt->huge)) | pt->fmt->leaf_rw |
	     pt->fmt->backing_rw;
	return 0;
}

u64 khv_pt_lookup(const struct khv_pt *pt, u64 gpa)
{
	u64 *e = khv_pt_leaf(pt, gpa);

	return e ? *e : 0;
}

enum khv_pt_op {
	KHV_PT_WP,		/* writable leaves: make read-only */
	KHV_PT_ZAP,		/* present leaves: clear the present bits */
	KHV_PT_REAP,		/* zapped leaves: release and clear */
	KHV_PT_DROP,		/* every leaf: release and clear */
	KHV_PT_SPLIT,		/* present 2 MiB leaves: into 4 KiB ones, else zap */
};

/*
 * A present 2 MiB leaf @e into a new leaf table of the same pages and
 * rights, published once it is filled (the hardware may walk it at any
 * time; both forms translate alike). False if no table could be had.
 */
static bool khv_pt_split_leaf(struct khv_pt *pt, u64 *e)
{
	u64 v = *e, bits = v & ~(KHV_PT_ADDR_MASK | pt->fmt->huge), pa;
	u64 *table = pt->mem.alloc(pt->mem.ctx, &pa);
	unsigned int i;

	if (!table)
		return false;
	for (i = 0; i < KHV_PT_ENTRIES; i++)
		table[i] = ((v & KHV_PT_ADDR_MASK) + ((u64)i << 12)) | bits;
	*e = pa | pt->fmt->table;
	pt->leaves[1]--;
	pt->leaves[0] += KHV_PT_ENTRIES;
	return true;
}

/* Apply @op to one leaf (@huge: a 2 MiB one); true if it counted. */
static bool khv_pt_leaf_op(struct khv_pt *pt, u64 *e, bool huge,
			   enum khv_pt_op op)
{
	u64 v = *e, keep = KHV_PT_ADDR_MASK | pt->fmt->huge;
	bool present = khv_pt_present(pt, v), zapped = !present && v;

	if (op == KHV_PT_SPLIT) {
		if (!present || !huge || khv_pt_split_leaf(pt, e))
			return false;
		op = KHV_PT_ZAP;
	}
	if (op == KHV_PT_WP) {
		if (!present || !(v & pt->fmt->writable))
			return false;
		*e = (v & keep) | pt->fmt->leaf_ro | pt->fmt->backing_rw;
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
	pt->leaves[huge]--;
	/* a page pinned for writing may have been written: release it dirty */
	pt->mem.release(pt->mem.ctx, v & KHV_PT_ADDR_MASK,
			huge ? KHV_PT_HUGE_PAGES : 1,
			v & (pt->fmt->writable | pt->fmt->backing_rw));
	return true;
}

unsigned int khv_pt_write_protect_mask(struct khv_pt *pt, u64 gpa,
				       unsigned long mask)
{
	u64 *table = NULL, *huge = NULL, region = ~0ULL;
	unsigned int n = 0;

	for (; mask; mask &= mask - 1) {
		u64 a = gpa + ((u64)__builtin_ctzl(mask) << 12);

		/* one walk per 2 MiB the pages fall in, not per page */
		if (a >> 21 != region) {
			region = a >> 21;
			table = NULL;
			huge = NULL;
			if (a >= gpa)
				table = khv_pt_entry(pt, a, 1, false, &huge);
			if (table)
				table -= khv_pt_index(a, 1);
			else if (huge)	/* as a whole: its writes log no page */
				n += khv_pt_leaf_op(pt, huge, true, KHV_PT_WP);
		}
		if (table)
			n += khv_pt_leaf_op(pt, &table[khv_pt_index(a, 1)],
					    false, KHV_PT_WP);
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
		if (level == 1 || khv_pt_huge(pt, table[i]))
			n += khv_pt_leaf_op(pt, &table[i], level > 1, op);
		else if (op != KHV_PT_SPLIT || level > 2)
			n += khv_pt_range_op(pt, khv_pt_table(pt, table[i]),
					     level - 1, lo, start, end, op);
	}
	/* a walk over a whole slot may take long: let the host breathe */
	if (level <= 2 && pt->mem.yield)
		pt->mem.yield(pt->mem.ctx);
	return n;
}

static u64 khv_pt_range(struct khv_pt *pt, u64 gpa, u64 size,
			enum khv_pt_op op)
{
	if (!pt->root || !size)
		return 0;
	/* a range up to the top of the address space ends at 0 */
	return khv_pt_range_op(pt, pt->root, KHV_PT_LEVELS, 0, gpa,
			       gpa + size ?: ~0ULL, op);
}

u64 khv_pt_write_protect_range(struct khv_pt *pt, u64 gpa, u64 size)
{
	return khv_pt_range(pt, gpa, size, KHV_PT_WP);
}

u64 khv_pt_split_range(struct khv_pt *pt, u64 gpa, u64 size)
{
	return khv_pt_range(pt, gpa, size, KHV_PT_SPLIT);
}

u64 khv_pt_zap_range(struct khv_pt *pt, u64 gpa, u64 size)
{
	return khv_pt_range(pt, gpa, size, KHV_PT_ZAP);
}

void khv_pt_reap_range(struct khv_pt *pt, u64 gpa, u64 size)
{
	khv_pt_range(pt, gpa, size, KHV_PT_REAP);
}

static void khv_pt_free_tables(struct khv_pt *pt, u64 *table, int level)
{
	unsigned int i;

	for (i = 0; level > 1 && i < KHV_PT_ENTRIES; i++)
		if (table[i] && !khv_pt_huge(pt, table[i]))
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
