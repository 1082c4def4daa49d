/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest-physical page table khv builds (AMD nested page table, later
 * Intel EPT): 4 levels, 4 KiB leaves. The entry bits come from a format
 * the backend gives; memory for tables from callbacks. Pure (khv_pure.h),
 * so the walk logic is unit-tested on the host.
 */
#ifndef KHV_PGTABLE_H
#define KHV_PGTABLE_H

#include "khv_pure.h"

#define KHV_PT_ADDR_MASK	0x000ffffffffff000ULL
#define KHV_PT_GPA_BITS		48	/* what 4 levels of 512 entries reach */

/* Entry bits, besides the address, as the hardware wants them. */
struct khv_pt_format {
	u64 table;		/* a non-leaf entry */
	u64 leaf_ro;		/* a read-only 4 KiB leaf */
	u64 leaf_rw;		/* a writable 4 KiB leaf */
	u64 present;		/* any of these set: the entry is present */
	u64 writable;		/* this set in a leaf: writable */
	u64 backing_rw;		/* a bit the CPU ignores: the page may be made writable */
};

struct khv_pt_mem {
	void *(*alloc)(void *ctx, u64 *pa);	/* a zeroed 4 KiB table, or NULL */
	void (*free)(void *ctx, void *table);
	void *(*va)(void *ctx, u64 pa);		/* a table's address */
	/* a present leaf is being removed: drop what backs it */
	void (*release)(void *ctx, u64 hpa, bool writable);
	/* optional: called after each leaf table of a long walk (reschedule) */
	void (*yield)(void *ctx);
	void *ctx;
};

struct khv_pt {
	const struct khv_pt_format *fmt;
	struct khv_pt_mem mem;
	u64 *root;
	u64 root_pa;
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
/* The leaf entry for @gpa, or 0. */
u64 khv_pt_lookup(const struct khv_pt *pt, u64 gpa);
/*
 * Unmapping is two steps, so that nothing backing a mapping is released
 * while a CPU may still hold it in its TLB:
 * zap makes the leaves in [gpa, gpa + size) not present but keeps their
 * address (returns how many); after every TLB that might cache them is
 * flushed, reap releases them and clears the entries.
 */
u64 khv_pt_zap_range(struct khv_pt *pt, u64 gpa, u64 size);
void khv_pt_reap_range(struct khv_pt *pt, u64 gpa, u64 size);
/* Release every leaf, zapped or not, and free every table. */
void khv_pt_destroy(struct khv_pt *pt);

#endif /* KHV_PGTABLE_H */
