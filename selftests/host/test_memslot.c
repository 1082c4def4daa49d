// SPDX-License-Identifier: GPL-2.0
/* Host unit test of kmod/memslot.c: KVM 6.1's memslot rules. */
#include <stdlib.h>

#include "ksft.h"
#include "memslot.h"

#define RO	2u	/* KVM_MEM_READONLY */
#define DIRTY	1u	/* KVM_MEM_LOG_DIRTY_PAGES */
#define PG	4096ull

static struct khv_memslot storage[KHV_USER_MEM_SLOTS];
#define MAX_GFN	((1ull << (40 - 12)) - 1)	/* a host with MAXPHYADDR 40 */

static struct khv_memslots s = { storage, 0, KHV_USER_MEM_SLOTS, MAX_GFN };

static int check(u32 slot, u32 flags, u64 gpa, u64 size, u64 uaddr,
		 enum khv_slot_change *change, int *index)
{
	struct khv_region_req r = { slot, flags, gpa, size, uaddr };

	return khv_memslot_check(&s, &r, RO, change, index);
}

/* Apply a request the way mmu.c does. */
static int apply(u32 slot, u32 flags, u64 gpa, u64 size, u64 uaddr)
{
	struct khv_memslot m = { slot & 0xffff, flags, gpa / PG, size / PG, uaddr, NULL };
	enum khv_slot_change c;
	int i, r = check(slot, flags, gpa, size, uaddr, &c, &i);

	if (r)
		return r;
	if (c == KHV_SLOT_DELETE || c == KHV_SLOT_MOVE)
		khv_memslot_remove(&s, i);
	if (c == KHV_SLOT_CREATE || c == KHV_SLOT_MOVE)
		khv_memslot_insert(&s, &m);
	if (c == KHV_SLOT_FLAGS)
		s.slot[i].flags = flags;
	return 0;
}

static int t_validation(void)
{
	enum khv_slot_change c;
	int i;

	s.nr = 0;
	CHECK(check(0, DIRTY, 0, PG, 0x10000, &c, &i) == -EINVAL, "unsupported flag");
	CHECK(check(0, 0, 0, PG + 1, 0x10000, &c, &i) == -EINVAL, "size");
	CHECK(check(0, 0, 1, PG, 0x10000, &c, &i) == -EINVAL, "gpa");
	CHECK(check(0, 0, 0, PG, 0x10001, &c, &i) == -EINVAL, "uaddr");
	CHECK(check(1u << 16, 0, 0, PG, 0x10000, &c, &i) == -EINVAL, "as_id 1");
	CHECK(check(KHV_USER_MEM_SLOTS, 0, 0, PG, 0x10000, &c, &i) == -EINVAL, "id");
	CHECK(check(KHV_USER_MEM_SLOTS - 1, 0, 0, PG, 0x10000, &c, &i) == 0 &&
	      c == KHV_SLOT_CREATE, "last id");
	CHECK(check(0, 0, ~0ull - PG + 1, 2 * PG, 0x10000, &c, &i) == -EINVAL, "wrap");
	CHECK(check(0, 0, 0, 0, 0, &c, &i) == -EINVAL, "delete nothing");
	CHECK(check(0, 0, (MAX_GFN - 3) * PG, 4 * PG, 0x10000, &c, &i) == 0 &&
	      c == KHV_SLOT_CREATE, "ending at the last gfn");
	CHECK(check(0, 0, (MAX_GFN - 3) * PG, 5 * PG, 0x10000, &c, &i) == -EINVAL,
	      "one page past it");
	CHECK(check(0, 0, ~0ull - 2 * PG + 1, PG, 0x10000, &c, &i) == -EINVAL,
	      "just below 2^64");
	return KSFT_PASS;
}

/* The reach applies to created and moved slots; other changes pass. */
static int t_reach(void)
{
	u64 top = (MAX_GFN + 1) * PG;
	enum khv_slot_change c;
	int i;

	s.nr = 0;
	CHECK(!apply(0, 0, top - 8 * PG, 8 * PG, 0x100000), "top 8 pages");
	CHECK(check(0, 0, top - 4 * PG, 8 * PG, 0x100000, &c, &i) == -EINVAL,
	      "moved half past the top");
	CHECK(check(1, 0, top - 4 * PG, 8 * PG, 0x200000, &c, &i) == -EEXIST,
	      "overlap is judged first");
	CHECK(check(0, RO, top - 8 * PG, 8 * PG, 0x100000, &c, &i) == -EINVAL,
	      "READONLY cannot change");
	CHECK(!check(0, 0, top - 8 * PG, 0, 0, &c, &i) && c == KHV_SLOT_DELETE,
	      "delete");
	CHECK(!check(0, 0, 0, 8 * PG, 0x100000, &c, &i) && c == KHV_SLOT_MOVE,
	      "move down");
	return KSFT_PASS;
}

static int t_changes(void)
{
	enum khv_slot_change c;
	int i;

	s.nr = 0;
	CHECK(!apply(0, 0, 0, 16 * PG, 0x100000), "create 0");
	CHECK(!apply(1, RO, 32 * PG, 4 * PG, 0x200000), "create 1");
	CHECK(apply(2, 0, 8 * PG, 16 * PG, 0x300000) == -EEXIST, "overlap 0");
	CHECK(apply(2, 0, 34 * PG, PG, 0x300000) == -EEXIST, "inside 1");
	CHECK(!check(0, 0, 0, 16 * PG, 0x100000, &c, &i) && c == KHV_SLOT_NONE, "same");
	CHECK(check(0, 0, 0, 8 * PG, 0x100000, &c, &i) == -EINVAL, "resize");
	CHECK(check(0, 0, 0, 16 * PG, 0x400000, &c, &i) == -EINVAL, "new uaddr");
	CHECK(check(1, 0, 32 * PG, 4 * PG, 0x200000, &c, &i) == -EINVAL, "drop RO");
	CHECK(!check(0, 0, 64 * PG, 16 * PG, 0x100000, &c, &i) && c == KHV_SLOT_MOVE,
	      "move");
	CHECK(check(0, 0, 30 * PG, 16 * PG, 0x100000, &c, &i) == -EEXIST,
	      "move onto 1");
	CHECK(!apply(0, 0, 8 * PG, 16 * PG, 0x100000), "move over its own range");
	CHECK(khv_memslot_find(&s, 8) && !khv_memslot_find(&s, 7) &&
	      khv_memslot_find(&s, 23) && !khv_memslot_find(&s, 24), "moved");
	CHECK(!apply(1, RO, 32 * PG, 0, 0), "delete 1");
	CHECK(!khv_memslot_find(&s, 33) && s.nr == 1, "deleted");
	return KSFT_PASS;
}

/* Many slots stay sorted; lookups find the right one. */
static int t_sorted_lookup(void)
{
	int k;

	s.nr = 0;
	for (k = 0; k < 100; k++) {
		u64 gpa = (u64)((k * 37) % 100) * 8 * PG;

		CHECK(!apply(k, 0, gpa, 4 * PG, 0x1000000 + k * 4 * PG), "slot %d", k);
	}
	for (k = 1; k < (int)s.nr; k++)
		CHECK(s.slot[k - 1].base_gfn < s.slot[k].base_gfn, "order at %d", k);
	for (k = 0; k < 100; k++) {
		const struct khv_memslot *m = khv_memslot_find(&s, k * 8 + 3);

		CHECK(m && m->base_gfn == (u64)k * 8, "gfn %d", k * 8 + 3);
		CHECK(!khv_memslot_find(&s, k * 8 + 5), "hole after %d", k);
	}
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "memslot_validation", t_validation },
	{ "memslot_changes", t_changes },
	{ "memslot_reach", t_reach },
	{ "memslot_sorted_lookup", t_sorted_lookup },
};

int main(void)
{
	return KSFT_RUN(cases);
}
