/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory slots (KVM_SET_USER_MEMORY_REGION): the set of slots and
 * the rules a change must obey, with KVM 6.1's semantics and errors.
 * Pure (see khv_pure.h): the caller owns storage and does access_ok().
 */
#ifndef KHV_MEMSLOT_H
#define KHV_MEMSLOT_H

#include "khv_pure.h"

#define KHV_PAGE_SHIFT		12
#define KHV_USER_MEM_SLOTS	512	/* KVM_CAP_NR_MEMSLOTS */
#define KHV_MEM_MAX_NR_PAGES	((1ULL << 31) - 1)

/* The fields of struct kvm_userspace_memory_region khv looks at. */
struct khv_region_req {
	u32 slot;		/* id in bits 15:0, address space in 31:16 */
	u32 flags;
	u64 gpa;
	u64 size;
	u64 uaddr;
};

struct khv_memslot {
	u32 id;
	u32 flags;		/* KVM_MEM_* */
	u64 base_gfn;
	u64 npages;
	u64 uaddr;
	unsigned long *dirty;	/* KVM_MEM_LOG_DIRTY_PAGES: a bit per page; owned by mmu.c */
};

/* Sorted by base_gfn; non-overlapping. */
struct khv_memslots {
	struct khv_memslot *slot;
	u32 nr;
	u32 cap;
	u64 max_gfn;		/* the last gfn nested paging can map */
};

enum khv_slot_change {
	KHV_SLOT_NONE,		/* nothing changes */
	KHV_SLOT_CREATE,
	KHV_SLOT_DELETE,
	KHV_SLOT_MOVE,
	KHV_SLOT_FLAGS,
};

/*
 * Judge a request: 0 and *change (and *index of the existing slot for
 * DELETE/MOVE/FLAGS), or -EINVAL / -EEXIST as KVM would answer. As KVM's,
 * a slot that would be created or moved past @s->max_gfn is refused
 * (-EINVAL, after the overlap check).
 * @supported_flags: the KVM_MEM_* flags khv implements.
 */
int khv_memslot_check(const struct khv_memslots *s,
		      const struct khv_region_req *req, u32 supported_flags,
		      enum khv_slot_change *change, int *index);

/* Index of the slot with @id, or -1. */
int khv_memslot_by_id(const struct khv_memslots *s, u32 id);
/* The slot containing @gfn, or NULL. */
const struct khv_memslot *khv_memslot_find(const struct khv_memslots *s, u64 gfn);
/* Insert keeping order; the caller made room (nr < cap). */
void khv_memslot_insert(struct khv_memslots *s, const struct khv_memslot *m);
void khv_memslot_remove(struct khv_memslots *s, int index);

#endif /* KHV_MEMSLOT_H */
