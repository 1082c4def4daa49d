/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest-physical page table khv builds (AMD nested page table, Intel
 * EPT): 4 levels, 4 KiB leaves and, where the format has them, 2 MiB
 * leaves one level up. The entry bits come from a format the backend
 * gives; memory for tables from callbacks. Pure (khv_pure.h), so the walk
 * logic is unit-tested on the host.
 */
#ifndef KHV_PGTABLE_H
#define KHV_PGTABLE_H

#include "khv_pure.h"

#define KHV_PT_ADDR_MASK	0x000ffffffffff000ULL
#define KHV_PT_GPA_BITS		48	/* what 4 levels of 512 entries reach */
#define KHV_PT_HUGE_SIZE	(1ULL << 21)	/* a leaf at level 2 */
#define KHV_PT_HUGE_PAGES	512

/* Entry bits, besides the address, as the hardware wants them. */
struct khv_pt_format {
	u64 table;		/* a non-leaf entry */
	u64 leaf_ro;		/* a read-only 4 KiB leaf */
	u64 leaf_rw;		/* a writable 4 KiB leaf */
	u64 present;		/* any of these set: the entry is present */
	u64 writable;		/* this set in a leaf: writable */
	u64 backing_rw;		/* a bit the CPU ignores: the page may be made writable */
	u64 huge;		/* set with the leaf bits at level 2: a 2 MiB leaf; 0: none */
};

struct khv_pt_mem {
	void *(*alloc)(void *ctx, u64 *pa);	/* a zeroed 4 KiB table, or NULL */
	void (*free)(void *ctx, void *table);
	void *(*va)(void *ctx, u64 pa);		/* a table's address */
	/* a leaf is being removed: drop the @npages pages from @hpa behind it */
	void (*release)(void *ctx, u64 hpa, u64 npages, bool writable);
	/* optional: called after each leaf table of a long walk (reschedule) */
	void (*yield)(void *ctx);
	void *ctx;
};

struct khv_pt {
	const struct khv_pt_format *fmt;
	struct khv_pt_mem mem;
	u64 *root;
	u64 root_pa;
	u64 leaves[2];		/* 4 KiB and 2 MiB leaves, zapped ones too */
};

int khv_pt_init(struct khv_pt *pt, const struct khv_pt_format *fmt,
		const struct khv_pt_mem *mem);
/*
 * Map one 4 KiB page: 0, -ENOMEM, -EEXIST if @gpa is mapped already, or
 * -EINVAL if @gpa lies beyond KHV_PT_GPA_BITS (lookups there find nothing).
 * @backing_rw: the page behind it is writable even if mapped read-only
 * now (dirty logging); khv_pt_make_writable() may then upgrade it.
 */
int khv_pt_map(struct khv_pt *pt, u64 gpa, u64 hpa, bool writable,
	       bool backing_rw);
/*
 * Map 2 MiB at once, one leaf for the KHV_PT_HUGE_PAGES pages from @hpa:
 * both addresses 2 MiB aligned. 0; -EEXIST if anything in that range is
 * mapped, or was, so that a leaf table is there; -EINVAL if the format has
 * no 2 MiB leaves or an address is not aligned or too high; -ENOMEM.
 */
int khv_pt_map_huge(struct khv_pt *pt, u64 gpa, u64 hpa, bool writable,
		    bool backing_rw);
/* Is nothing mapped, nor a leaf table made, in the 2 MiB around @gpa? */
bool khv_pt_huge_free(const struct khv_pt *pt, u64 gpa);
/*
 * Turn the present 2 MiB leaves in [gpa, gpa + size) into leaf tables of
 * 512 4 KiB leaves with the same pages and rights (nothing changes for the
 * guest; dirty logging then protects page by page). A leaf that cannot
 * get a table is zapped instead: returns how many were, which then need a
 * TLB flush and khv_pt_reap_range() as any zap.
 */
u64 khv_pt_split_range(struct khv_pt *pt, u64 gpa, u64 size);
/* Upgrade a present read-only leaf with writable backing: 0 or -EPERM. */
int khv_pt_make_writable(struct khv_pt *pt, u64 gpa);
/*
 * Make the leaves of [gpa, gpa + size) read-only again (their backing
 * stays writable); returns how many were writable (a TLB flush is due).
 */
u64 khv_pt_write_protect_range(struct khv_pt *pt, u64 gpa, u64 size);
/*
 * The same for the pages at @gpa + 4 KiB * i, for each set bit i of
 * @mask (a dirty bitmap's word), walking once per 2 MiB they fall in.
 */
unsigned int khv_pt_write_protect_mask(struct khv_pt *pt, u64 gpa,
				       unsigned long mask);
/* The leaf entry for @gpa, a 4 KiB or a 2 MiB one (khv_pt_huge()), or 0. */
u64 khv_pt_lookup(const struct khv_pt *pt, u64 gpa);
/* Is @e, from khv_pt_lookup(), a 2 MiB leaf (present or zapped)? */
static inline bool khv_pt_huge(const struct khv_pt *pt, u64 e)
{
	return pt->fmt->huge && (e & pt->fmt->huge);
}
/*
 * Unmapping is two steps, so that nothing backing a mapping is released
 * while a CPU may still hold it in its TLB:
 * zap makes the leaves in [gpa, gpa + size) not present but keeps their
 * address (returns how many); after every TLB that might cache them is
 * flushed, reap releases them and clears the entries.
 * These range operations, and write protection, take a 2 MiB leaf the
 * range touches as a whole: khv maps one only inside one memslot, and the
 * ranges are a slot's.
 */
u64 khv_pt_zap_range(struct khv_pt *pt, u64 gpa, u64 size);
void khv_pt_reap_range(struct khv_pt *pt, u64 gpa, u64 size);
/* Release every leaf, zapped or not, and free every table. */
void khv_pt_destroy(struct khv_pt *pt);

#endif /* KHV_PGTABLE_H */
