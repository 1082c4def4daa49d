// SPDX-License-Identifier: GPL-2.0
/* Host unit test of kmod/pgtable.c: map, lookup, zap/reap, destroy. */
#include <stdlib.h>
#include <string.h>

#include "ksft.h"
#include "pgtable.h"
#include "hw_support.h"

/* Tables live in a pool; a table's "physical address" is 4096 * (index + 1). */
#define POOL 64
static u64 pool[POOL][512] __attribute__((aligned(4096)));
static bool used[POOL];
static int released, released_writable;
static u64 released_hpa[8], released_n[8];	/* the first calls' pages */
static int release_calls;

static void *t_alloc(void *ctx, u64 *pa)
{
	int i;

	for (i = 0; i < POOL; i++) {
		if (!used[i]) {
			used[i] = true;
			memset(pool[i], 0, sizeof(pool[i]));
			*pa = 4096ull * (i + 1);
			return pool[i];
		}
	}
	return NULL;
}

static void t_free(void *ctx, void *table)
{
	used[((u64 (*)[512])table) - pool] = false;
}

static void *t_va(void *ctx, u64 pa)
{
	return pool[pa / 4096 - 1];
}

static void t_release(void *ctx, u64 hpa, u64 npages, bool writable)
{
	if (release_calls < 8) {
		released_hpa[release_calls] = hpa;
		released_n[release_calls] = npages;
	}
	release_calls++;
	released += npages;
	released_writable += writable ? npages : 0;
}

/* the backend's formats (svm_support.c, vmx_support.c); each case runs with both */
static const struct khv_pt_format *fmt = &svm_npt_format;
static const struct khv_pt_mem mem = {
	.alloc = t_alloc, .free = t_free, .va = t_va, .release = t_release,
};

static int tables_in_use(void)
{
	int i, n = 0;

	for (i = 0; i < POOL; i++)
		n += used[i];
	return n;
}

static int t_map_lookup(void)
{
	struct khv_pt pt;

	CHECK(!khv_pt_init(&pt, fmt, &mem), "init");
	CHECK(!khv_pt_map(&pt, 0x1000, 0xabc000, true, true), "map");
	CHECK(khv_pt_map(&pt, 0x1000, 0xdef000, true, true) == -EEXIST, "again");
	CHECK(!khv_pt_map(&pt, 0x7fff0000000ull, 0x123000, false, false), "far, ro");
	CHECK(khv_pt_lookup(&pt, 0x1000) == (0xabc000 | fmt->leaf_rw | fmt->backing_rw), "rw leaf");
	CHECK(khv_pt_lookup(&pt, 0x1fff) == (0xabc000 | fmt->leaf_rw | fmt->backing_rw), "same page");
	CHECK(khv_pt_lookup(&pt, 0x7fff0000000ull) == (0x123000 | fmt->leaf_ro), "ro leaf");
	CHECK(!khv_pt_lookup(&pt, 0x2000), "unmapped");
	CHECK(tables_in_use() == 7, "root + 3 + 3 tables: %d", tables_in_use());
	released = 0;
	khv_pt_destroy(&pt);
	CHECK(released == 2 && !tables_in_use(), "destroy: %d released", released);
	return KSFT_PASS;
}

/* Zapped leaves are not present but keep their page until reaped. */
static int t_zap_reap(void)
{
	struct khv_pt pt;
	u64 gpa;

	CHECK(!khv_pt_init(&pt, fmt, &mem), "init");
	for (gpa = 0; gpa < 0x400000; gpa += 0x1000)	/* 4 MiB: two leaf tables */
		CHECK(!khv_pt_map(&pt, gpa, 0x10000000 + gpa, gpa & 0x1000, gpa & 0x1000), "map");
	released = released_writable = 0;
	CHECK(khv_pt_zap_range(&pt, 0x100000, 0x200000) == 512, "zap 2 MiB");
	CHECK(released == 0, "zap releases nothing");
	CHECK(!(khv_pt_lookup(&pt, 0x100000) & fmt->present) && khv_pt_lookup(&pt, 0x100000),
	      "zapped entry kept");
	CHECK(khv_pt_lookup(&pt, 0xff000) & 1, "below the range kept");
	CHECK(khv_pt_lookup(&pt, 0x300000) & 1, "above the range kept");
	CHECK(khv_pt_map(&pt, 0x100000, 0x5000, true, true) == -EEXIST, "no map over zapped");
	CHECK(khv_pt_zap_range(&pt, 0x100000, 0x200000) == 0, "zap again: none");
	khv_pt_reap_range(&pt, 0, 0x400000);
	CHECK(released == 512 && released_writable == 256, "reaped %d", released);
	CHECK(!khv_pt_lookup(&pt, 0x100000), "reaped entry cleared");
	released = 0;
	khv_pt_destroy(&pt);
	CHECK(released == 512 && !tables_in_use(), "destroy releases the rest");
	return KSFT_PASS;
}

/* Dirty logging: read-only with writable backing, upgrade, protect again. */
static int t_write_protect(void)
{
	struct khv_pt pt;

	CHECK(!khv_pt_init(&pt, fmt, &mem), "init");
	CHECK(!khv_pt_map(&pt, 0x1000, 0xa000, false, true), "logged, not written");
	CHECK(!khv_pt_map(&pt, 0x2000, 0xb000, false, false), "host read-only");
	CHECK(!(khv_pt_lookup(&pt, 0x1000) & fmt->writable), "mapped read-only");
	CHECK(!khv_pt_make_writable(&pt, 0x1000), "upgrade");
	CHECK(khv_pt_lookup(&pt, 0x1000) == (0xa000 | fmt->leaf_rw | fmt->backing_rw), "now writable");
	CHECK(khv_pt_make_writable(&pt, 0x2000) == -EPERM, "no writable backing");
	CHECK(khv_pt_make_writable(&pt, 0x3000) == -EPERM, "not mapped");
	CHECK(khv_pt_write_protect_mask(&pt, 0x1000, 1) == 1, "protect");
	CHECK(!khv_pt_write_protect_mask(&pt, 0x1000, 1), "protect twice");
	CHECK(khv_pt_lookup(&pt, 0x1000) == (0xa000 | fmt->leaf_ro | fmt->backing_rw), "read-only again");
	CHECK(!khv_pt_make_writable(&pt, 0x1000), "upgrade again");
	CHECK(khv_pt_write_protect_range(&pt, 0, 0x10000) == 1, "range protect");
	released = released_writable = 0;
	khv_pt_destroy(&pt);
	CHECK(released == 2 && released_writable == 1, "released dirty: %d",
	      released_writable);
	return KSFT_PASS;
}

/*
 * A dirty bitmap's word at once: the pages of its set bits, across a
 * 2 MiB boundary (two level-1 tables), whatever their state; the pages of
 * clear bits untouched; no wrap past 2^64 to low addresses.
 */
static int t_write_protect_mask(void)
{
	const u64 base = 0x1f0000;	/* bit 16 is 0x200000 */
	u64 rw = fmt->leaf_rw | fmt->backing_rw, ro = fmt->leaf_ro | fmt->backing_rw;
	unsigned long mask = BIT(0) | BIT(5) | BIT(7) | BIT(15) | BIT(16) | BIT(63);
	struct khv_pt pt;

	CHECK(!khv_pt_init(&pt, fmt, &mem), "init");
	CHECK(!khv_pt_map(&pt, base, 0xa000, true, true), "bit 0");
	CHECK(!khv_pt_map(&pt, base + 7 * 0x1000, 0xb000, false, true), "bit 7, read-only");
	CHECK(!khv_pt_map(&pt, base + 15 * 0x1000, 0xc000, true, true), "bit 15");
	CHECK(!khv_pt_map(&pt, base + 16 * 0x1000, 0xd000, true, true), "bit 16");
	CHECK(!khv_pt_map(&pt, base + 17 * 0x1000, 0xe000, true, true), "bit 17, not in the mask");
	CHECK(!khv_pt_map(&pt, base + 63 * 0x1000, 0xf000, true, true), "bit 63");
	CHECK(khv_pt_write_protect_mask(&pt, base, mask) == 4, "four protected");
	CHECK(khv_pt_lookup(&pt, base) == (0xa000 | ro), "bit 0 read-only");
	CHECK(khv_pt_lookup(&pt, base + 7 * 0x1000) == (0xb000 | ro), "bit 7 as it was");
	CHECK(khv_pt_lookup(&pt, base + 15 * 0x1000) == (0xc000 | ro), "bit 15 read-only");
	CHECK(khv_pt_lookup(&pt, 0x200000) == (0xd000 | ro), "bit 16, next table, read-only");
	CHECK(khv_pt_lookup(&pt, base + 17 * 0x1000) == (0xe000 | rw), "bit 17 still writable");
	CHECK(khv_pt_lookup(&pt, base + 63 * 0x1000) == (0xf000 | ro), "bit 63 read-only");
	CHECK(!khv_pt_lookup(&pt, base + 5 * 0x1000), "bit 5 still unmapped");
	CHECK(khv_pt_write_protect_mask(&pt, base, mask) == 0, "again: none");
	CHECK(khv_pt_write_protect_mask(&pt, base, 0) == 0, "empty mask");
	CHECK(!khv_pt_map(&pt, 0, 0x10000, true, true) &&
	      !khv_pt_map(&pt, 0x1000, 0x11000, true, true), "low pages");
	CHECK(khv_pt_write_protect_mask(&pt, -0x2000ull, 0xf) == 0,
	      "the last two pages of 2^64 and past it: none");
	CHECK(khv_pt_lookup(&pt, 0) == (0x10000 | rw) &&
	      khv_pt_lookup(&pt, 0x1000) == (0x11000 | rw), "no wrap to page 0 and 1");
	khv_pt_destroy(&pt);
	CHECK(!tables_in_use(), "destroy");
	return KSFT_PASS;
}

/*
 * The reach: 48 bits. Beyond it nothing maps or is found (no alias of a
 * lower address); range operations up to 2^64 - 4096 touch only what
 * lies inside them.
 */
static int t_reach(void)
{
	u64 last = (1ull << KHV_PT_GPA_BITS) - 0x1000;
	struct khv_pt pt;

	CHECK(!khv_pt_init(&pt, fmt, &mem), "init");
	CHECK(!khv_pt_map(&pt, 0x5000, 0xa000, true, true), "low page");
	CHECK(!khv_pt_map(&pt, last, 0xb000, true, true), "last page in reach");
	CHECK(khv_pt_map(&pt, last + 0x1000, 0xc000, true, true) == -EINVAL,
	      "first page beyond");
	CHECK(khv_pt_map(&pt, (1ull << 63) | 0x5000, 0xc000, true, true) == -EINVAL,
	      "an alias of the low page");
	CHECK(!khv_pt_lookup(&pt, (1ull << KHV_PT_GPA_BITS) | 0x5000), "no alias found");
	CHECK(!khv_pt_write_protect_mask(&pt, (1ull << 52) | 0x5000, 1), "no alias protected");
	CHECK(khv_pt_make_writable(&pt, (1ull << 52) | last) == -EPERM,
	      "no alias upgraded");
	CHECK(khv_pt_zap_range(&pt, 1ull << KHV_PT_GPA_BITS,
			       -(1ull << KHV_PT_GPA_BITS) - 0x1000) == 0,
	      "zap beyond the reach, to 2^64 - 4096: none");
	CHECK(khv_pt_write_protect_range(&pt, last, -last - 0x1000) == 1,
	      "protect from the last page to 2^64 - 4096");
	CHECK(khv_pt_zap_range(&pt, 0x6000, -0x6000ull - 0x1000) == 1,
	      "zap above the low page: the last one");
	released = 0;
	khv_pt_reap_range(&pt, 0, -0x1000ull);
	CHECK(released == 1 && (khv_pt_lookup(&pt, 0x5000) & fmt->present),
	      "reap: the zapped one");
	released = 0;
	khv_pt_destroy(&pt);
	CHECK(released == 1 && !tables_in_use(), "destroy");
	return KSFT_PASS;
}

/*
 * 2 MiB leaves: mapped only on an empty, aligned level-2 entry; found by
 * every address they cover; zapped, reaped and destroyed as one leaf of
 * 512 pages; never under or over 4 KiB leaves.
 */
static int t_huge(void)
{
	const u64 g = 0x40000000, h = 0x80000000, rw = fmt->leaf_rw | fmt->backing_rw;
	struct khv_pt pt;

	CHECK(fmt->huge, "the format has 2 MiB leaves");
	CHECK(!khv_pt_init(&pt, fmt, &mem), "init");
	CHECK(khv_pt_map_huge(&pt, g + 0x1000, h, true, true) == -EINVAL, "gpa unaligned");
	CHECK(khv_pt_map_huge(&pt, g, h + 0x1000, true, true) == -EINVAL, "hpa unaligned");
	CHECK(khv_pt_map_huge(&pt, 1ull << KHV_PT_GPA_BITS, h, true, true) == -EINVAL,
	      "beyond the reach");
	CHECK(khv_pt_huge_free(&pt, g + 0x1000), "free before");
	CHECK(!khv_pt_map_huge(&pt, g, h, true, true), "map");
	CHECK(!khv_pt_huge_free(&pt, g + 0x1ff000), "not free: a 2 MiB leaf");
	CHECK(tables_in_use() == 3, "root and two tables, no leaf table: %d", tables_in_use());
	CHECK(khv_pt_lookup(&pt, g) == (h | rw | fmt->huge), "first page");
	CHECK(khv_pt_lookup(&pt, g + 0x1ff000) == (h | rw | fmt->huge), "last page");
	CHECK(khv_pt_huge(&pt, khv_pt_lookup(&pt, g + 0x12345)), "a 2 MiB leaf");
	CHECK(!khv_pt_lookup(&pt, g + 0x200000) && !khv_pt_lookup(&pt, g - 0x1000),
	      "nothing around it");
	CHECK(khv_pt_map_huge(&pt, g, h, true, true) == -EEXIST, "again");
	CHECK(khv_pt_map(&pt, g + 0x5000, 0x5000, true, true) == -EEXIST, "no 4 KiB under it");
	CHECK(tables_in_use() == 3, "and no table made for one");
	CHECK(!khv_pt_map(&pt, g + 0x200000, 0x5000, true, true), "4 KiB next to it");
	CHECK(!khv_pt_huge_free(&pt, g + 0x3ff000), "not free: a leaf table");
	CHECK(khv_pt_huge_free(&pt, g + 0x400000), "free: the next 2 MiB");
	CHECK(khv_pt_map_huge(&pt, g + 0x200000, h, true, true) == -EEXIST,
	      "no 2 MiB over 4 KiB leaves");
	CHECK(pt.leaves[0] == 1 && pt.leaves[1] == 1, "counted: %llu, %llu",
	      (unsigned long long)pt.leaves[0], (unsigned long long)pt.leaves[1]);
	CHECK(khv_pt_make_writable(&pt, g + 0x3000) == 0 &&
	      khv_pt_lookup(&pt, g) == (h | rw | fmt->huge), "writable stays 2 MiB");
	/* zap: the whole leaf, whatever part of it the range covers */
	release_calls = released = released_writable = 0;
	CHECK(khv_pt_zap_range(&pt, g + 0x100000, 0x1000) == 1, "zap one page of it");
	CHECK(!(khv_pt_lookup(&pt, g) & fmt->present) && khv_pt_lookup(&pt, g),
	      "zapped as a whole, kept");
	CHECK(khv_pt_map(&pt, g, 0x6000, true, true) == -EEXIST &&
	      khv_pt_map_huge(&pt, g, h, true, true) == -EEXIST, "nothing over zapped");
	CHECK(khv_pt_lookup(&pt, g + 0x200000) & fmt->present, "the 4 KiB leaf kept");
	CHECK(released == 0, "zap releases nothing");
	khv_pt_reap_range(&pt, g + 0x1ff000, 0x1000);
	CHECK(release_calls == 1 && released == 512 && released_hpa[0] == h &&
	      released_n[0] == 512 && released_writable == 512, "reaped: 512 pages, once");
	CHECK(!khv_pt_lookup(&pt, g), "entry cleared");
	CHECK(pt.leaves[0] == 1 && !pt.leaves[1], "no 2 MiB leaf counted");
	CHECK(!khv_pt_map_huge(&pt, g, h, false, false), "map again, read-only");
	CHECK(khv_pt_lookup(&pt, g) == (h | fmt->leaf_ro | fmt->huge), "read-only leaf");
	CHECK(khv_pt_make_writable(&pt, g) == -EPERM, "no writable backing");
	release_calls = released = released_writable = 0;
	khv_pt_destroy(&pt);
	CHECK(released == 513 && released_writable == 1 && !tables_in_use(),
	      "destroy: %d released, %d dirty", released, released_writable);
	return KSFT_PASS;
}

/*
 * Dirty logging over 2 MiB leaves: split into 512 leaves of the same pages
 * and rights, then protected page by page; write protection of a word that
 * meets a 2 MiB leaf protects it whole.
 */
static int t_huge_split(void)
{
	const u64 g = 0x600000, h = 0xc00000, rw = fmt->leaf_rw | fmt->backing_rw,
		  ro = fmt->leaf_ro | fmt->backing_rw;
	struct khv_pt pt;
	int i;

	CHECK(!khv_pt_init(&pt, fmt, &mem), "init");
	CHECK(!khv_pt_map_huge(&pt, g, h, true, true), "map");
	CHECK(!khv_pt_map_huge(&pt, g + 0x200000, h + 0x200000, true, true), "map the next");
	CHECK(khv_pt_write_protect_mask(&pt, g + 0x200000, 0x6) == 1, "a word: the leaf whole");
	CHECK(khv_pt_lookup(&pt, g + 0x3ff000) == ((h + 0x200000) | ro | fmt->huge),
	      "read-only as a whole");
	CHECK(khv_pt_split_range(&pt, g, 0x400000) == 0, "split both: no zap");
	CHECK(pt.leaves[0] == 1024 && !pt.leaves[1], "counted as 4 KiB");
	CHECK(tables_in_use() == 5, "two leaf tables: %d", tables_in_use());
	for (i = 0; i < 512; i++) {
		CHECK(khv_pt_lookup(&pt, g + i * 0x1000ull) == ((h + i * 0x1000ull) | rw),
		      "page %d as it was, 4 KiB", i);
		CHECK(khv_pt_lookup(&pt, g + 0x200000 + i * 0x1000ull) ==
		      ((h + 0x200000 + i * 0x1000ull) | ro), "page %d read-only, 4 KiB", i);
	}
	CHECK(khv_pt_split_range(&pt, g, 0x400000) == 0 && tables_in_use() == 5,
	      "split again: nothing to do");
	CHECK(khv_pt_write_protect_range(&pt, g, 0x200000) == 512, "protect 512 pages");
	CHECK(!khv_pt_make_writable(&pt, g + 0x7000), "one page upgraded");
	CHECK(khv_pt_lookup(&pt, g + 0x7000) == ((h + 0x7000) | rw) &&
	      khv_pt_lookup(&pt, g + 0x8000) == ((h + 0x8000) | ro), "only that one");
	release_calls = released = released_writable = 0;
	khv_pt_destroy(&pt);
	CHECK(released == 1024 && release_calls == 1024 && released_writable == 1024 &&
	      !tables_in_use(), "destroy: %d released", released);
	return KSFT_PASS;
}

/* Split with no memory for a table: the leaf is zapped, to fault again. */
static bool pool_dry;

static void *t_alloc_dry(void *ctx, u64 *pa)
{
	return pool_dry ? NULL : t_alloc(ctx, pa);
}

static int t_huge_split_nomem(void)
{
	const struct khv_pt_mem dry = {
		.alloc = t_alloc_dry, .free = t_free, .va = t_va, .release = t_release,
	};
	struct khv_pt pt;

	CHECK(!khv_pt_init(&pt, fmt, &dry), "init");
	CHECK(!khv_pt_map_huge(&pt, 0x200000, 0x400000, true, true), "map");
	pool_dry = true;
	CHECK(khv_pt_map(&pt, 0x400000, 0x1000, true, true) == -ENOMEM, "no table: -ENOMEM");
	CHECK(khv_pt_split_range(&pt, 0, 1ull << 30) == 1, "one zapped");
	pool_dry = false;
	CHECK(!(khv_pt_lookup(&pt, 0x200000) & fmt->present), "not present");
	release_calls = released = 0;
	khv_pt_reap_range(&pt, 0, 1ull << 30);
	CHECK(released == 512 && !khv_pt_lookup(&pt, 0x200000), "reaped");
	khv_pt_destroy(&pt);
	CHECK(!tables_in_use() && !pt.leaves[0] && !pt.leaves[1], "destroy");
	return KSFT_PASS;
}

/* The same cases with EPT's entries: several present bits, a high software bit. */
static int t_ept(void)
{
	int (*const fns[])(void) = { t_reach, t_write_protect, t_write_protect_mask,
				     t_map_lookup, t_zap_reap, t_huge, t_huge_split,
				     t_huge_split_nomem };
	int i, r = KSFT_PASS;

	fmt = &vmx_ept_format;
	for (i = 0; i < (int)ARRAY_SIZE(fns) && r == KSFT_PASS; i++)
		r = fns[i]();
	fmt = &svm_npt_format;
	return r;
}

/* What each format's leaves say to the CPU. */
static int t_formats(void)
{
	const struct khv_pt_format *n = &svm_npt_format, *e = &vmx_ept_format;

	CHECK(n->leaf_rw & n->writable && !(n->leaf_ro & n->writable), "NPT R/W");
	CHECK((n->leaf_ro & 0x5) == 0x5, "NPT leaves present and user");
	CHECK((e->leaf_ro & 7) == 5 && (e->leaf_rw & 7) == 7, "EPT RX and RWX");
	CHECK((e->leaf_rw >> 3 & 7) == 6 && (e->leaf_ro >> 3 & 7) == 6 &&
	      (e->leaf_rw & 0x40), "EPT leaves write-back, guest PAT ignored");
	CHECK((e->table & 7) == 7 && !(e->table & 0x78), "EPT tables RWX, no memory type");
	CHECK(!(e->backing_rw & (KHV_PT_ADDR_MASK | 0xfff)) &&
	      !(n->backing_rw & (n->leaf_rw | n->present)), "software bits apart");
	CHECK(n->huge == 0x80 && !(n->table & n->huge) && !(n->leaf_rw & n->huge),
	      "NPT 2 MiB leaves: PS, bit 7, only where asked");
	CHECK(e->huge == 0x80 && !(e->table & e->huge) && !(e->leaf_rw & e->huge),
	      "EPT 2 MiB leaves: bit 7, only where asked");
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "pgtable_reach", t_reach },
	{ "pgtable_write_protect", t_write_protect },
	{ "pgtable_write_protect_mask", t_write_protect_mask },
	{ "pgtable_map_lookup", t_map_lookup },
	{ "pgtable_zap_reap", t_zap_reap },
	{ "pgtable_huge", t_huge },
	{ "pgtable_huge_split", t_huge_split },
	{ "pgtable_huge_split_nomem", t_huge_split_nomem },
	{ "pgtable_ept", t_ept },
	{ "pgtable_formats", t_formats },
};

int main(void)
{
	return KSFT_RUN(cases);
}
