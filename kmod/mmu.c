// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: memslots (KVM_SET_USER_MEMORY_REGION), the nested page
 * table filled on demand from the VM process's own memory, and guest
 * memory access for emulation.
 *
 * Every page the nested page table maps is pinned (FOLL_LONGTERM) and
 * counted in khv_vm.held_pages and khv_stats.pages; unmapping releases it
 * only after every vCPU has left the guest with its TLB to be flushed.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/userfaultfd_k.h>
#include <linux/module.h>
#include <linux/capability.h>
#include <linux/sched/signal.h>

#include "khv.h"

static void *khv_npt_alloc(void *ctx, u64 *pa)
{
	struct page *p = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	struct khv_vm *vm = ctx;

	if (!p)
		return NULL;
	vm->stat.npt_table_pages++;
	*pa = page_to_phys(p);
	return page_address(p);
}

static void khv_npt_free(void *ctx, void *table)
{
	struct khv_vm *vm = ctx;

	vm->stat.npt_table_pages--;
	free_page((unsigned long)table);
}

static void *khv_npt_va(void *ctx, u64 pa)
{
	return __va(pa);
}

/*
 * Pinned guest pages cannot be swapped or migrated, so they count as
 * locked memory of the VM's process: in its mm->pinned_vm (VmPin in
 * /proc/PID/status), held to its RLIMIT_MEMLOCK unless it has
 * CAP_IPC_LOCK, as for other long-term pins (RDMA, io_uring).
 */
static bool enforce_memlock = true;
module_param(enforce_memlock, bool, 0444);
MODULE_PARM_DESC(enforce_memlock,
		 "hold pinned guest memory to the VMM's RLIMIT_MEMLOCK (default: on)");

static int khv_charge_pins(struct khv_vm *vm, u64 n)
{
	u64 limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	s64 now = atomic64_add_return(n, &vm->mm->pinned_vm);

	if (enforce_memlock && now > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(n, &vm->mm->pinned_vm);
		pr_info_ratelimited("khv: pid %d: guest memory over RLIMIT_MEMLOCK (%llu pages); raise it or grant CAP_IPC_LOCK\n",
				    task_pid_nr(current), limit);
		return -ENOMEM;
	}
	vm->held_pages += n;
	vm->stat.pages_pinned_peak = max(vm->stat.pages_pinned_peak, vm->held_pages);
	atomic64_add(n, &khv_stats.pages);
	return 0;
}

static void khv_uncharge_pins(struct khv_vm *vm, u64 n)
{
	atomic64_sub(n, &vm->mm->pinned_vm);
	vm->held_pages -= n;
	atomic64_sub(n, &khv_stats.pages);
}

static void khv_npt_release(void *ctx, u64 hpa, u64 npages, bool writable)
{
	struct khv_vm *vm = ctx;

	unpin_user_page_range_dirty_lock(pfn_to_page(hpa >> PAGE_SHIFT),
					 npages, writable);
	khv_uncharge_pins(vm, npages);
	vm->stat.pages_unmapped += npages;
}

static void khv_npt_yield(void *ctx)
{
	cond_resched();
}

/*
 * The last gfn a slot may cover, as KVM's: what the host's MAXPHYADDR
 * (CPUID, which SME/MKTME do not reduce) reaches, and no more than khv's
 * nested page table does. Hardware reports nested faults only below it.
 */
static u64 khv_max_gfn(void)
{
	unsigned int bits = boot_cpu_data.x86_phys_bits;

	if (boot_cpu_data.extended_cpuid_level >= 0x80000008)
		bits = cpuid_eax(0x80000008) & 0xff;
	bits = clamp(bits, 32U, (unsigned int)KHV_PT_GPA_BITS);
	return (1ULL << (bits - PAGE_SHIFT)) - 1;
}

int khv_mmu_init(struct khv_vm *vm)
{
	struct khv_pt_mem mem = {
		.alloc = khv_npt_alloc, .free = khv_npt_free,
		.va = khv_npt_va, .release = khv_npt_release,
		.yield = khv_npt_yield, .ctx = vm,
	};

	mutex_init(&vm->mmu_lock);
	vm->slots.cap = KHV_USER_MEM_SLOTS;
	vm->slots.max_gfn = khv_max_gfn();
	vm->slots.slot = kvcalloc(vm->slots.cap, sizeof(*vm->slots.slot),
				  GFP_KERNEL_ACCOUNT);
	if (!vm->slots.slot)
		return -ENOMEM;
	if (!khv_ops->pt_format)	/* this backend runs no guests yet */
		return 0;
	return khv_pt_init(&vm->npt, khv_ops->pt_format, &mem);
}

/* No vCPU runs any more: release everything at once. */
void khv_mmu_destroy(struct khv_vm *vm)
{
	u32 i;

	for (i = 0; i < vm->slots.nr; i++)
		kvfree(vm->slots.slot[i].dirty);
	khv_pt_destroy(&vm->npt);
	WARN_ON_ONCE(vm->held_pages);
	kvfree(vm->slots.slot);
}

#define KHV_UNMAP_CHUNK	(1ULL << 30)	/* reschedule between 1 GiB pieces */

/*
 * Unmap a slot's range: zap, make every vCPU flush, then release. The
 * walk goes by what is left, never by comparing with the range's end: a
 * slot may end just below 2^64, where an address stepped past its end
 * wraps to a small one.
 */
static void khv_mmu_unmap_slot(struct khv_vm *vm, const struct khv_memslot *m)
{
	u64 start = m->base_gfn << PAGE_SHIFT, size = m->npages << PAGE_SHIFT;
	u64 off, n, zapped = 0;

	lockdep_assert_held(&vm->mmu_lock);
	for (off = 0; off < size; off += n) {
		n = min(KHV_UNMAP_CHUNK, size - off);
		zapped += khv_pt_zap_range(&vm->npt, start + off, n);
		cond_resched();
	}
	if (zapped)
		khv_vm_flush_tlbs(vm);
	for (off = 0; off < size; off += n) {
		n = min(KHV_UNMAP_CHUNK, size - off);
		khv_pt_reap_range(&vm->npt, start + off, n);
		cond_resched();
	}
}

static size_t khv_dirty_bytes(const struct khv_memslot *m)
{
	return BITS_TO_LONGS(m->npages) * sizeof(long);
}

/* The manual-protect flags KVM_ENABLE_CAP may set (KVM_DIRTY_LOG_MANUAL_CAPS) */
#define KHV_DIRTY_LOG_MANUAL_CAPS \
	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET)

static bool khv_dirty_initially_set(const struct khv_vm *vm)
{
	return vm->manual_dirty_log ==
	       (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
}

/*
 * Give a slot a dirty bitmap if it logs dirty pages: clear, or with
 * KVM_DIRTY_LOG_INITIALLY_SET every page dirty (user space then protects
 * the slot piece by piece with KVM_CLEAR_DIRTY_LOG).
 */
static int khv_slot_dirty_alloc(struct khv_vm *vm, struct khv_memslot *m)
{
	if (!(m->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return 0;
	m->dirty = kvzalloc(khv_dirty_bytes(m), GFP_KERNEL_ACCOUNT);
	if (!m->dirty)
		return -ENOMEM;
	if (khv_dirty_initially_set(vm))
		bitmap_set(m->dirty, 0, m->npages);
	return 0;
}

static void khv_slot_dirty_free(struct khv_memslot *m)
{
	kvfree(m->dirty);
	m->dirty = NULL;
}

/*
 * The 2 MiB leaves of [gpa, gpa + size) into 4 KiB ones; one that gets no
 * table is unmapped (zapped, the TLBs flushed, released) and faults again.
 */
static void khv_mmu_split(struct khv_vm *vm, u64 gpa, u64 size)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (!khv_pt_split_range(&vm->npt, gpa, size))
		return;
	khv_vm_flush_tlbs(vm);
	khv_pt_reap_range(&vm->npt, gpa, size);
}

/*
 * Logging starts: a logged slot has no 2 MiB mappings (a write logs one
 * page); its writable mappings must fault again on write, unless every
 * page starts dirty (KVM_CLEAR_DIRTY_LOG protects them).
 */
static void khv_slot_start_logging(struct khv_vm *vm, struct khv_memslot *m)
{
	u64 start = m->base_gfn << PAGE_SHIFT, size = m->npages << PAGE_SHIFT;

	khv_mmu_split(vm, start, size);
	if (khv_dirty_initially_set(vm))
		return;
	if (khv_pt_write_protect_range(&vm->npt, start, size))
		khv_vm_flush_tlbs(vm);
}

static int khv_slot_set_flags(struct khv_vm *vm, struct khv_memslot *m,
			      u32 flags)
{
	bool was = m->dirty, now = flags & KVM_MEM_LOG_DIRTY_PAGES;

	m->flags = flags;
	if (now && !was) {
		if (khv_slot_dirty_alloc(vm, m))
			return -ENOMEM;
		khv_slot_start_logging(vm, m);
	} else if (!now) {
		khv_slot_dirty_free(m);
	}
	return 0;
}

static int khv_region_apply(struct khv_vm *vm, const struct khv_region_req *req,
			    enum khv_slot_change change, int index)
{
	struct khv_memslot m = {
		.id = req->slot & 0xffff, .flags = req->flags,
		.base_gfn = req->gpa >> PAGE_SHIFT,
		.npages = req->size >> PAGE_SHIFT, .uaddr = req->uaddr,
	};

	switch (change) {
	case KHV_SLOT_CREATE:
		if (khv_slot_dirty_alloc(vm, &m))
			return -ENOMEM;
		khv_memslot_insert(&vm->slots, &m);
		break;
	case KHV_SLOT_DELETE:
	case KHV_SLOT_MOVE:
		khv_mmu_unmap_slot(vm, &vm->slots.slot[index]);
		khv_slot_dirty_free(&vm->slots.slot[index]);
		khv_memslot_remove(&vm->slots, index);
		if (change == KHV_SLOT_DELETE)
			break;
		if (khv_slot_dirty_alloc(vm, &m))
			return -ENOMEM;
		khv_memslot_insert(&vm->slots, &m);
		break;
	case KHV_SLOT_FLAGS:
		return khv_slot_set_flags(vm, &vm->slots.slot[index], req->flags);
	case KHV_SLOT_NONE:
		break;
	}
	return 0;
}

/* The KVM_MEM_* flags khv implements. */
#define KHV_MEM_FLAGS	(KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES)

long khv_set_memory_region(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_userspace_memory_region u;
	struct khv_region_req req;
	enum khv_slot_change change;
	int index, r;

	if (copy_from_user(&u, (void __user *)arg, sizeof(u)))
		return -EFAULT;
	req = (struct khv_region_req){ .slot = u.slot, .flags = u.flags,
		.gpa = u.guest_phys_addr, .size = u.memory_size,
		.uaddr = u.userspace_addr };
	if (req.size && !access_ok((void __user *)req.uaddr, req.size))
		return -EINVAL;
	mutex_lock(&vm->mmu_lock);
	r = khv_memslot_check(&vm->slots, &req, KHV_MEM_FLAGS, &change, &index);
	if (!r)
		r = khv_region_apply(vm, &req, change, index);
	mutex_unlock(&vm->mmu_lock);
	return r;
}

static u64 khv_slot_hva(const struct khv_memslot *m, u64 gpa)
{
	return m->uaddr + gpa - (m->base_gfn << PAGE_SHIFT);
}

/* Pin the page behind @hva: writable if it can be, else read-only. */
static struct page *khv_pin_page(u64 hva, bool *writable, bool need_write)
{
	struct page *page;

	if (*writable &&
	    pin_user_pages_fast(hva, 1, FOLL_WRITE | FOLL_LONGTERM, &page) == 1)
		return page;
	*writable = false;
	if (need_write)
		return NULL;
	if (pin_user_pages_fast(hva, 1, FOLL_LONGTERM, &page) == 1)
		return page;
	return NULL;
}

static void khv_mark_dirty(const struct khv_memslot *m, u64 gpa)
{
	if (m->dirty)
		set_bit((gpa >> PAGE_SHIFT) - m->base_gfn, m->dirty);
}

/*
 * A write to a present read-only mapping: a logged page's first write
 * (upgrade it and log it), a race with another vCPU, or a page the host
 * itself has read-only (-EFAULT, as KVM).
 */
static int khv_mmu_write_fault(struct khv_vm *vm, const struct khv_memslot *m,
			       u64 gpa)
{
	u64 e = khv_pt_lookup(&vm->npt, gpa);

	if (e & khv_ops->pt_format->writable)
		return 0;
	/*
	 * A read-only 2 MiB leaf cannot be: none is mapped so, and a slot
	 * that starts logging has its leaves split first. A write must log
	 * one page, so split it should one appear.
	 */
	if (WARN_ON_ONCE(khv_pt_huge(&vm->npt, e))) {
		khv_mmu_split(vm, gpa & ~(KHV_PT_HUGE_SIZE - 1), KHV_PT_HUGE_SIZE);
		if (!khv_pt_lookup(&vm->npt, gpa))
			return 0;	/* unmapped instead: fault again */
	}
	if (khv_pt_make_writable(&vm->npt, gpa))
		return -EFAULT;
	khv_mark_dirty(m, gpa);
	return 0;
}

/*
 * Fault-around: a fault in ordinary RAM pins and maps the aligned block of
 * KHV_FAULT_AROUND pages around it, with one pin_user_pages_fast() call,
 * so a guest walking fresh memory takes one nested page fault per block.
 */
#define KHV_FAULT_AROUND	16

/*
 * The run of unmapped pages around @gfn that fault-around may fill: inside
 * the aligned block, the slot and one VMA of plain anonymous, writable
 * memory that no userfaultfd watches (the VMM sees those faults itself).
 * Read-only and dirty-logged slots fault page by page. Returns the number
 * of pages, the first in *@first; 1 (just @gfn) where it does not apply.
 */
static u64 khv_fault_block(struct khv_vm *vm, const struct khv_memslot *m,
			   u64 gfn, u64 *first)
{
	u64 start = max(ALIGN_DOWN(gfn, KHV_FAULT_AROUND), m->base_gfn);
	u64 end = min(ALIGN_DOWN(gfn, KHV_FAULT_AROUND) + KHV_FAULT_AROUND,
		      m->base_gfn + m->npages);
	unsigned long hva = khv_slot_hva(m, gfn << PAGE_SHIFT);
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	u64 lo = gfn, hi = gfn + 1;

	*first = gfn;
	if (m->flags & (KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES) || m->dirty)
		return 1;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, hva);
	if (vma && vma_is_anonymous(vma) && !userfaultfd_armed(vma) &&
	    (vma->vm_flags & VM_WRITE)) {
		unsigned long lo_hva = khv_slot_hva(m, start << PAGE_SHIFT);

		lo_hva = max(lo_hva, vma->vm_start);
		start = gfn - ((hva - lo_hva) >> PAGE_SHIFT);
		end = min(end, gfn + ((vma->vm_end - hva) >> PAGE_SHIFT));
	} else {
		start = gfn;
		end = gfn + 1;
	}
	mmap_read_unlock(mm);
	while (lo > start && !khv_pt_lookup(&vm->npt, (lo - 1) << PAGE_SHIFT))
		lo--;
	while (hi < end && !khv_pt_lookup(&vm->npt, hi << PAGE_SHIFT))
		hi++;
	*first = lo;
	return hi - lo;
}

/*
 * Pin the block around @gfn writable and map what is pinned. 0 if @gfn is
 * mapped now; -EAGAIN if the block could not be pinned as far as @gfn (the
 * caller maps the page alone); another error if mapping @gfn failed.
 */
static int khv_map_around(struct khv_vm *vm, const struct khv_memslot *m,
			  u64 gfn, u64 first, u64 n, u64 *counted)
{
	struct page *pages[KHV_FAULT_AROUND];
	u64 mapped = 0;
	int got, i, r = 0;

	got = pin_user_pages_fast(khv_slot_hva(m, first << PAGE_SHIFT), n,
				  FOLL_WRITE | FOLL_LONGTERM, pages);
	if (got <= 0)
		return -EAGAIN;
	if ((u64)got <= gfn - first) {
		unpin_user_pages(pages, got);
		return -EAGAIN;
	}
	/* over the limit as a block: the page alone may still fit */
	if (khv_charge_pins(vm, got)) {
		unpin_user_pages(pages, got);
		return -EAGAIN;
	}
	for (i = 0; i < got; i++) {
		int e = khv_pt_map(&vm->npt, (first + i) << PAGE_SHIFT,
				   page_to_phys(pages[i]), true, true);

		if (e) {
			unpin_user_page(pages[i]);
			if (first + i == gfn)
				r = e;
			continue;
		}
		mapped++;
	}
	khv_uncharge_pins(vm, got - mapped);
	vm->stat.pages_mapped += mapped;
	*counted += mapped;
	return r;
}

/*
 * 2 MiB at once, where the host has them: a fault in a writable slot that
 * logs no dirty pages, whose page lies in a folio of 2 MiB or more (a
 * transparent huge page, hugetlbfs), pins the 512 pages of the aligned
 * 2 MiB around it and, if they are one physically contiguous, aligned run,
 * maps them with one 2 MiB leaf. Nothing changes for the guest or the host
 * (the same pages are pinned and mapped as 512 4 KiB leaves would map
 * them), but the guest takes one fault per 2 MiB and the CPU's nested walks
 * are a level shorter, as with KVM's huge mappings. The guest-physical and
 * the user addresses must be congruent modulo 2 MiB and the whole 2 MiB in
 * the slot. Returns 0 if mapped, -EAGAIN where it does not apply (the
 * caller maps 4 KiB pages).
 */
#define KHV_HUGE_PIN_CHUNK	64

static int khv_map_huge(struct khv_vm *vm, const struct khv_memslot *m,
			u64 gpa, u64 *counted)
{
	u64 base = gpa & ~(KHV_PT_HUGE_SIZE - 1), gfn = base >> PAGE_SHIFT;
	unsigned long hva = khv_slot_hva(m, base);
	struct page *pages[KHV_HUGE_PIN_CHUNK], *probe, *first = NULL;
	unsigned int flags = FOLL_WRITE | FOLL_LONGTERM;
	u64 pinned = 0;
	int got, i;

	if (!khv_ops->pt_format->huge || !khv_ops->pt_huge() ||
	    hva & (KHV_PT_HUGE_SIZE - 1) ||
	    gfn < m->base_gfn ||
	    gfn + KHV_PT_HUGE_PAGES > m->base_gfn + m->npages ||
	    !khv_pt_huge_free(&vm->npt, base))
		return -EAGAIN;
	/* only where the page faulted on is part of a large folio */
	if (pin_user_pages_fast(khv_slot_hva(m, gpa & PAGE_MASK), 1, flags,
				&probe) != 1)
		return -EAGAIN;
	got = folio_nr_pages(page_folio(probe)) >= KHV_PT_HUGE_PAGES;
	unpin_user_page(probe);
	if (!got)
		return -EAGAIN;
	while (pinned < KHV_PT_HUGE_PAGES) {
		got = pin_user_pages_fast(hva + (pinned << PAGE_SHIFT),
					  KHV_HUGE_PIN_CHUNK, flags, pages);
		if (got > 0 && !first)
			first = pages[0];
		for (i = 0; i < got; i++)
			if (page_to_pfn(pages[i]) != page_to_pfn(first) + pinned + i)
				break;
		if (i < KHV_HUGE_PIN_CHUNK) {
			if (got > 0)
				unpin_user_pages(pages, got);
			goto out_unpin;
		}
		pinned += got;
	}
	if (page_to_pfn(first) & (KHV_PT_HUGE_PAGES - 1) ||
	    khv_charge_pins(vm, KHV_PT_HUGE_PAGES))
		goto out_unpin;
	if (khv_pt_map_huge(&vm->npt, base, page_to_phys(first), true, true)) {
		khv_uncharge_pins(vm, KHV_PT_HUGE_PAGES);
		goto out_unpin;
	}
	vm->stat.pages_mapped += KHV_PT_HUGE_PAGES;
	*counted += KHV_PT_HUGE_PAGES;
	return 0;

out_unpin:
	if (pinned)
		unpin_user_page_range_dirty_lock(first, pinned, false);
	return -EAGAIN;
}

/*
 * A nested page fault at @gpa: map the page from its slot, or report
 * that no slot (or a read-only slot, for a write) backs it: MMIO.
 */
int khv_mmu_fault(struct khv_vcpu *vcpu, u64 gpa, u64 error, bool *mmio)
{
	struct khv_vm *vm = vcpu->vm;
	bool write = error & BIT(1), writable;
	const struct khv_memslot *m;
	struct page *page;
	int r = 0;

	mutex_lock(&vm->mmu_lock);
	m = khv_memslot_find(&vm->slots, gpa >> PAGE_SHIFT);
	writable = m && !(m->flags & KVM_MEM_READONLY);
	if (!m || (write && !writable)) {
		*mmio = true;
		goto out_unlock;
	}
	if (khv_pt_lookup(&vm->npt, gpa)) {
		r = write ? khv_mmu_write_fault(vm, m, gpa) : 0;
		goto out_unlock;
	}
	if (writable && !m->dirty) {
		r = khv_map_huge(vm, m, gpa, &vcpu->stat.npt_pages_mapped);
		if (r != -EAGAIN)
			goto out_unlock;
		r = 0;
	}
	if (writable) {
		u64 gfn = gpa >> PAGE_SHIFT, first, n;

		n = khv_fault_block(vm, m, gfn, &first);
		if (n > 1) {
			r = khv_map_around(vm, m, gfn, first, n,
					   &vcpu->stat.npt_pages_mapped);
			if (r != -EAGAIN)
				goto out_unlock;
			r = 0;
		}
	}
	page = khv_pin_page(khv_slot_hva(m, gpa & PAGE_MASK), &writable, write);
	r = -EFAULT;
	if (!page)
		goto out_unlock;
	r = khv_charge_pins(vm, 1);
	if (r)
		goto out_unpin;
	/* a logged slot maps read-only until the guest writes */
	r = khv_pt_map(&vm->npt, gpa & PAGE_MASK, page_to_phys(page),
		       writable && (write || !m->dirty), writable);
	if (r)
		goto out_uncharge;
	vm->stat.pages_mapped++;
	vcpu->stat.npt_pages_mapped++;
	if (write)
		khv_mark_dirty(m, gpa);
	goto out_unlock;

out_uncharge:
	khv_uncharge_pins(vm, 1);
out_unpin:
	unpin_user_page(page);
out_unlock:
	mutex_unlock(&vm->mmu_lock);
	return r;
}

/*
 * Copy to or from guest memory through the slots' user mappings, with
 * mmu_lock held: the slots stay as they are while it copies.
 */
int khv_guest_copy_locked(struct khv_vcpu *vcpu, u64 gpa, void *buf, u32 len,
			  bool write)
{
	struct khv_vm *vm = vcpu->vm;
	int r = 0;

	lockdep_assert_held(&vm->mmu_lock);
	while (len && !r) {
		const struct khv_memslot *m = khv_memslot_find(&vm->slots, gpa >> PAGE_SHIFT);
		u32 n = min_t(u32, len, PAGE_SIZE - (gpa & ~PAGE_MASK));
		void __user *hva;

		if (!m || (write && (m->flags & KVM_MEM_READONLY))) {
			r = -ENOENT;
			break;
		}
		hva = (void __user *)khv_slot_hva(m, gpa);
		if (write ? copy_to_user(hva, buf, n) : copy_from_user(buf, hva, n))
			r = -EFAULT;
		else if (write)
			khv_mark_dirty(m, gpa);
		gpa += n;
		buf += n;
		len -= n;
	}
	return r;
}

static int khv_guest_copy(struct khv_vcpu *vcpu, u64 gpa, void *buf, u32 len,
			  bool write)
{
	int r;

	mutex_lock(&vcpu->vm->mmu_lock);
	r = khv_guest_copy_locked(vcpu, gpa, buf, len, write);
	mutex_unlock(&vcpu->vm->mmu_lock);
	return r;
}

/* Does a memslot back @gpa (writably, for @write)? Else it is MMIO. */
bool khv_gpa_is_ram(struct khv_vcpu *vcpu, u64 gpa, bool write)
{
	const struct khv_memslot *m;
	bool ram;

	mutex_lock(&vcpu->vm->mmu_lock);
	m = khv_memslot_find(&vcpu->vm->slots, gpa >> PAGE_SHIFT);
	ram = m && !(write && (m->flags & KVM_MEM_READONLY));
	mutex_unlock(&vcpu->vm->mmu_lock);
	return ram;
}

int khv_read_guest(struct khv_vcpu *vcpu, u64 gpa, void *buf, u32 len)
{
	return khv_guest_copy(vcpu, gpa, buf, len, false);
}

int khv_write_guest(struct khv_vcpu *vcpu, u64 gpa, const void *buf, u32 len)
{
	return khv_guest_copy(vcpu, gpa, (void *)buf, len, true);
}

/* The slot a dirty-log ioctl names (address space 0 only), or an error. */
static int khv_dirty_slot(struct khv_vm *vm, u32 slot, struct khv_memslot **m)
{
	int index;

	if (slot >> 16 || (slot & 0xffff) >= KHV_USER_MEM_SLOTS)
		return -EINVAL;
	index = khv_memslot_by_id(&vm->slots, slot);
	if (index < 0 || !vm->slots.slot[index].dirty)
		return -ENOENT;
	*m = &vm->slots.slot[index];
	return 0;
}

/*
 * Write-protect the pages of @m at @first + the set bits of @mask whose
 * dirty bits are set, and clear those bits. Returns whether a mapping
 * changed (the TLBs need a flush).
 */
static bool khv_dirty_reprotect(struct khv_vm *vm, struct khv_memslot *m,
				u64 first, unsigned long mask)
{
	unsigned long *word = &m->dirty[first / BITS_PER_LONG];

	mask &= *word;
	*word &= ~mask;
	return mask && khv_pt_write_protect_mask(&vm->npt,
						 (m->base_gfn + first) << PAGE_SHIFT,
						 mask);
}

/*
 * khv_dirty_reprotect() over @words words of @bits, the first for page
 * @first of @m, then one TLB flush if a mapping changed.
 */
static void khv_dirty_reprotect_words(struct khv_vm *vm, struct khv_memslot *m,
				      u64 first, const unsigned long *bits,
				      u64 words)
{
	bool flush = false;
	u64 i;

	for (i = 0; i < words; i++) {
		if (bits[i])
			flush |= khv_dirty_reprotect(vm, m, first + i * BITS_PER_LONG,
						     bits[i]);
		if (!((i + 1) & 63))
			cond_resched();
	}
	if (flush)
		khv_vm_flush_tlbs(vm);
}

/*
 * KVM_GET_DIRTY_LOG: the pages written since the last call, one bit each;
 * they are write-protected again so the next write is seen. With
 * KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE the bitmap is only read: user space
 * clears and protects with KVM_CLEAR_DIRTY_LOG.
 */
long khv_get_dirty_log(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_dirty_log log;
	struct khv_memslot *m;
	unsigned long *snap = NULL;
	size_t bytes = 0;
	long r;

	if (copy_from_user(&log, (void __user *)arg, sizeof(log)))
		return -EFAULT;
	mutex_lock(&vm->mmu_lock);
	r = khv_dirty_slot(vm, log.slot, &m);
	if (r)
		goto out_unlock;
	bytes = khv_dirty_bytes(m);
	r = -ENOMEM;
	snap = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!snap)
		goto out_unlock;
	memcpy(snap, m->dirty, bytes);
	if (!(vm->manual_dirty_log & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
		khv_dirty_reprotect_words(vm, m, 0, snap, bytes / sizeof(long));
	r = 0;
out_unlock:
	mutex_unlock(&vm->mmu_lock);
	if (!r && copy_to_user(log.dirty_bitmap, snap, bytes))
		r = -EFAULT;
	kvfree(snap);
	return r;
}

/*
 * KVM_CLEAR_DIRTY_LOG: clear and write-protect the pages of a slot's range
 * that user space's bitmap names. The range starts at a multiple of 64
 * pages and is a multiple of 64 long unless it runs to the slot's end; bits
 * beyond the slot are ignored (as KVM).
 */
long khv_clear_dirty_log(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_clear_dirty_log log;
	struct khv_memslot *m;
	unsigned long *mask = NULL;
	size_t bytes;
	u64 words;
	long r;

	if (copy_from_user(&log, (void __user *)arg, sizeof(log)))
		return -EFAULT;
	if (log.first_page & 63)
		return -EINVAL;
	mutex_lock(&vm->mmu_lock);
	r = khv_dirty_slot(vm, log.slot, &m);
	if (r)
		goto out_unlock;
	r = -EINVAL;
	if (log.first_page > m->npages ||
	    log.num_pages > m->npages - log.first_page ||
	    (log.num_pages < m->npages - log.first_page && log.num_pages & 63))
		goto out_unlock;
	words = BITS_TO_LONGS(log.num_pages);
	bytes = ALIGN(log.num_pages, 64) / 8;
	r = 0;
	if (!bytes)
		goto out_unlock;
	r = -ENOMEM;
	mask = kvmalloc(words * sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!mask)
		goto out_unlock;
	r = -EFAULT;
	if (copy_from_user(mask, log.dirty_bitmap, bytes))
		goto out_unlock;
	/* the slot's last word: no bits past its end */
	if (log.first_page + words * BITS_PER_LONG > m->npages)
		mask[words - 1] &= BITMAP_LAST_WORD_MASK(m->npages);
	khv_dirty_reprotect_words(vm, m, log.first_page, mask, words);
	r = 0;
out_unlock:
	mutex_unlock(&vm->mmu_lock);
	kvfree(mask);
	return r;
}

/*
 * KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): args[0] is the
 * KVM_DIRTY_LOG_* flags; INITIALLY_SET only with MANUAL_PROTECT_ENABLE.
 */
int khv_enable_manual_dirty_log(struct khv_vm *vm, u64 flags)
{
	u64 allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	if (flags & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		allowed = KHV_DIRTY_LOG_MANUAL_CAPS;
	if (flags & ~allowed)
		return -EINVAL;
	mutex_lock(&vm->mmu_lock);
	vm->manual_dirty_log = flags;
	mutex_unlock(&vm->mmu_lock);
	return 0;
}
