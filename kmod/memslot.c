// SPDX-License-Identifier: GPL-2.0
/* Guest memory slots: see memslot.h. Pure. */
#include "memslot.h"

#define KHV_PAGE_MASK	((1ULL << KHV_PAGE_SHIFT) - 1)

int khv_memslot_by_id(const struct khv_memslots *s, u32 id)
{
	u32 i;

	for (i = 0; i < s->nr; i++)
		if (s->slot[i].id == id)
			return (int)i;
	return -1;
}

/* First slot whose end lies above @gfn (binary search). */
static u32 khv_memslot_lower_bound(const struct khv_memslots *s, u64 gfn)
{
	u32 lo = 0, hi = s->nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct khv_memslot *m = &s->slot[mid];

		if (m->base_gfn + m->npages <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct khv_memslot *khv_memslot_find(const struct khv_memslots *s, u64 gfn)
{
	u32 i = khv_memslot_lower_bound(s, gfn);

	if (i < s->nr && s->slot[i].base_gfn <= gfn)
		return &s->slot[i];
	return NULL;
}

/* Does [gfn, gfn + npages) overlap a slot other than @self? */
static bool khv_memslot_overlaps(const struct khv_memslots *s, u64 gfn,
				 u64 npages, u32 self)
{
	u32 i;

	for (i = khv_memslot_lower_bound(s, gfn); i < s->nr; i++) {
		if (s->slot[i].base_gfn >= gfn + npages)
			break;
		if (s->slot[i].id != self)
			return true;
	}
	return false;
}

/* Checks that do not depend on existing slots, in KVM's order. */
static int khv_region_req_valid(const struct khv_region_req *req,
				u32 supported_flags)
{
	u32 id = req->slot & 0xffff, as_id = req->slot >> 16;

	if (req->flags & ~supported_flags)
		return -EINVAL;
	if (req->size & KHV_PAGE_MASK || req->gpa & KHV_PAGE_MASK ||
	    req->uaddr & KHV_PAGE_MASK)
		return -EINVAL;
	if (as_id != 0 || id >= KHV_USER_MEM_SLOTS)
		return -EINVAL;
	if (req->gpa + req->size < req->gpa)
		return -EINVAL;
	if ((req->size >> KHV_PAGE_SHIFT) > KHV_MEM_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

/* An existing slot may only move or change flags other than READONLY. */
static int khv_memslot_modify(const struct khv_memslot *old,
			      const struct khv_region_req *req, u32 readonly,
			      enum khv_slot_change *change)
{
	if (req->uaddr != old->uaddr || req->size >> KHV_PAGE_SHIFT != old->npages ||
	    (req->flags ^ old->flags) & readonly)
		return -EINVAL;
	if (req->gpa >> KHV_PAGE_SHIFT != old->base_gfn)
		*change = KHV_SLOT_MOVE;
	else if (req->flags != old->flags)
		*change = KHV_SLOT_FLAGS;
	else
		*change = KHV_SLOT_NONE;
	return 0;
}

int khv_memslot_check(const struct khv_memslots *s,
		      const struct khv_region_req *req, u32 supported_flags,
		      enum khv_slot_change *change, int *index)
{
	u32 id = req->slot & 0xffff;
	u32 readonly = 2;	/* KVM_MEM_READONLY */
	u64 gfn = req->gpa >> KHV_PAGE_SHIFT, npages = req->size >> KHV_PAGE_SHIFT;
	int r = khv_region_req_valid(req, supported_flags);

	if (r)
		return r;
	*index = khv_memslot_by_id(s, id);
	if (!req->size) {
		if (*index < 0)
			return -EINVAL;
		*change = KHV_SLOT_DELETE;
		return 0;
	}
	if (*index < 0) {
		*change = KHV_SLOT_CREATE;
	} else {
		r = khv_memslot_modify(&s->slot[*index], req, readonly, change);
		if (r)
			return r;
	}
	if (*change != KHV_SLOT_CREATE && *change != KHV_SLOT_MOVE)
		return 0;
	if (khv_memslot_overlaps(s, gfn, npages, id))
		return -EEXIST;
	if (gfn + npages - 1 > s->max_gfn)
		return -EINVAL;
	return 0;
}

void khv_memslot_insert(struct khv_memslots *s, const struct khv_memslot *m)
{
	u32 i = khv_memslot_lower_bound(s, m->base_gfn), j;

	for (j = s->nr; j > i; j--)
		s->slot[j] = s->slot[j - 1];
	s->slot[i] = *m;
	s->nr++;
}

void khv_memslot_remove(struct khv_memslots *s, int index)
{
	u32 j;

	for (j = (u32)index; j + 1 < s->nr; j++)
		s->slot[j] = s->slot[j + 1];
	s->nr--;
}
