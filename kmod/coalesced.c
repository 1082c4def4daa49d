// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_REGISTER_COALESCED_MMIO / KVM_UNREGISTER_COALESCED_MMIO: guest
 * writes to a registered MMIO range (or, with zone.pio, port range) do not
 * exit; they are appended to a ring page that user space maps from every
 * vCPU fd at page KVM_COALESCED_MMIO_PAGE_OFFSET and drains when it next
 * handles an exit (QEMU does so before every exit it handles). Reads, and
 * writes while the ring is full, exit as before: nothing is lost and the
 * order holds. What a VMM puts there is device memory whose writes need no
 * answer: VGA's window, the RTC's index port.
 *
 * The ring page is shared with user space, which writes ->first (what it
 * consumed) and may write anything anywhere: the kernel reads ->first and
 * ->last once each per insertion and checks them, and never trusts an
 * entry. Full is last + 1 == first (one slot stays free, as the ABI says).
 *
 * Locks: vm->coalesced.lock (spinlock) guards the zones and the insertion;
 * vCPUs take it on a write that may be coalesced, the ioctls to change the
 * zones.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "khv.h"

int khv_coalesced_vm_init(struct khv_vm *vm)
{
	struct khv_coalesced *c = &vm->coalesced;

	spin_lock_init(&c->lock);
	c->ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return c->ring ? 0 : -ENOMEM;
}

void khv_coalesced_vm_destroy(struct khv_vm *vm)
{
	free_page((unsigned long)vm->coalesced.ring);
}

struct page *khv_coalesced_ring_page(struct khv_vm *vm)
{
	return virt_to_page(vm->coalesced.ring);
}

/* Does @z hold the @len bytes at @addr (on its bus, port or MMIO)? */
static bool khv_zone_covers(const struct kvm_coalesced_mmio_zone *z, bool pio,
			    u64 addr, u32 len)
{
	return !!z->pio == pio && addr >= z->addr &&
	       addr - z->addr <= z->size && len <= z->size - (addr - z->addr);
}

bool khv_coalesced_write(struct khv_vm *vm, bool pio, u64 addr, u32 len,
			 const void *data)
{
	struct khv_coalesced *c = &vm->coalesced;
	struct kvm_coalesced_mmio *e;
	bool taken = false;
	u32 i, first, last;

	/* the common case, no zone at all, takes no lock */
	if (!READ_ONCE(c->nzones) || !len || len > sizeof(e->data))
		return false;
	spin_lock(&c->lock);
	for (i = 0; i < c->nzones; i++)
		if (khv_zone_covers(&c->zones[i], pio, addr, len))
			break;
	if (i == c->nzones)
		goto out_unlock;
	/* user space's words: read once, checked */
	first = READ_ONCE(c->ring->first);
	last = READ_ONCE(c->ring->last);
	if (first >= KVM_COALESCED_MMIO_MAX || last >= KVM_COALESCED_MMIO_MAX ||
	    (last + 1) % KVM_COALESCED_MMIO_MAX == first)
		goto out_unlock;	/* full (or garbage): an ordinary exit */
	e = &c->ring->coalesced_mmio[last];
	e->phys_addr = addr;
	e->len = len;
	e->pio = pio;
	memset(e->data, 0, sizeof(e->data));
	memcpy(e->data, data, len);
	/* the entry before the index that publishes it */
	smp_wmb();
	WRITE_ONCE(c->ring->last, (last + 1) % KVM_COALESCED_MMIO_MAX);
	taken = true;
out_unlock:
	spin_unlock(&c->lock);
	return taken;
}

static long khv_coalesced_zone(unsigned long arg,
			       struct kvm_coalesced_mmio_zone *z)
{
	if (copy_from_user(z, (void __user *)arg, sizeof(*z)))
		return -EFAULT;
	/* the union's other name, pad, must be 0 or 1 too (as KVM) */
	return z->pio > 1 ? -EINVAL : 0;
}

long khv_vm_register_coalesced(struct khv_vm *vm, unsigned long arg)
{
	struct khv_coalesced *c = &vm->coalesced;
	struct kvm_coalesced_mmio_zone z;
	long r = khv_coalesced_zone(arg, &z);

	if (r)
		return r;
	spin_lock(&c->lock);
	if (c->nzones == KHV_COALESCED_ZONES) {
		r = -ENOSPC;
	} else {
		c->zones[c->nzones] = z;
		WRITE_ONCE(c->nzones, c->nzones + 1);
	}
	spin_unlock(&c->lock);
	return r;
}

/*
 * Every zone of the same bus that contains the whole range goes, as KVM
 * has it (QEMU names the zone it registered); a range in no zone is no
 * error.
 */
long khv_vm_unregister_coalesced(struct khv_vm *vm, unsigned long arg)
{
	struct khv_coalesced *c = &vm->coalesced;
	struct kvm_coalesced_mmio_zone z;
	long r = khv_coalesced_zone(arg, &z);
	u32 i = 0;

	if (r)
		return r;
	spin_lock(&c->lock);
	while (i < c->nzones) {
		const struct kvm_coalesced_mmio_zone *old = &c->zones[i];

		if (khv_zone_covers(old, z.pio, z.addr, z.size)) {
			c->zones[i] = c->zones[c->nzones - 1];
			WRITE_ONCE(c->nzones, c->nzones - 1);
			continue;
		}
		i++;
	}
	spin_unlock(&c->lock);
	return 0;
}
