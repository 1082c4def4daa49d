// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD and KVM_IOEVENTFD: eventfds that connect device models in
 * other threads or processes to a VM without an exit to the VMM.
 *
 * An irqfd injects its GSI whenever its eventfd is signalled, straight
 * from the eventfd's wakeup (delivery in khv only takes irq-safe
 * spinlocks, so it needs no worker). With a resample fd the GSI stays
 * asserted until the guest EOIs it at the in-kernel IOAPIC; then the line
 * drops and the resample fd is signalled, so user space can check the
 * device and signal the irqfd again (level-triggered INTx).
 *
 * An ioeventfd turns a guest's write to a port or an MMIO address (of one
 * length or any, with or without a value to match) into a signal on its
 * eventfd; the write completes in the kernel.
 *
 * Locks: irqfd_lock (spinlock) guards vm->irqfds and is held while an
 * irqfd joins its eventfd's wait queue (so a deassign cannot slip in
 * between); the wakeup, which runs under the wait queue's lock, never
 * takes it. eventfd_lock (mutex) guards changes to vm->resamplers and
 * vm->ioeventfds, which readers walk under RCU. An irqfd is freed by one
 * worker run, queued by whoever first marks it dead (deassign, the
 * eventfd's close, the VM's end).
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "khv.h"
#include "compat.h"

/* KVM's per-bus limit (NR_IOBUS_DEVS) */
#define KHV_MAX_IOEVENTFDS	1000

static struct workqueue_struct *khv_irqfd_wq;

/* The irqfds of one GSI that share a resampled line. */
struct khv_resampler {
	struct list_head link;		/* vm->resamplers (RCU) */
	struct list_head irqfds;	/* struct khv_irqfd.rlink (RCU) */
	u32 gsi;
	struct rcu_head rcu;
};

struct khv_irqfd {
	struct khv_vm *vm;
	struct list_head link;		/* vm->irqfds */
	unsigned long dead;		/* bit 0: shutdown queued */
	struct list_head rlink;		/* resampler->irqfds */
	struct eventfd_ctx *ctx;
	struct eventfd_ctx *resample_ctx;	/* NULL: plain irqfd */
	struct khv_resampler *resampler;
	u32 gsi;
	wait_queue_entry_t wait;
	wait_queue_head_t *wqh;
	poll_table pt;
	struct work_struct shutdown;
};

struct khv_ioeventfd {
	struct list_head link;		/* vm->ioeventfds (RCU) */
	struct eventfd_ctx *ctx;
	u64 addr;
	u64 datamatch;
	u32 len;			/* 0: any length */
	bool pio;
	bool wildcard;			/* no datamatch */
	struct rcu_head rcu;
};

int khv_eventfd_module_init(void)
{
	khv_irqfd_wq = alloc_workqueue("khv-irqfd", 0, 0);
	return khv_irqfd_wq ? 0 : -ENOMEM;
}

void khv_eventfd_module_exit(void)
{
	destroy_workqueue(khv_irqfd_wq);
}

void khv_eventfd_vm_init(struct khv_vm *vm)
{
	spin_lock_init(&vm->irqfd_lock);
	INIT_LIST_HEAD(&vm->irqfds);
	mutex_init(&vm->eventfd_lock);
	INIT_LIST_HEAD(&vm->resamplers);
	INIT_LIST_HEAD(&vm->ioeventfds);
}

/* ---- irqfd ---- */

static void khv_irqfd_inject(struct khv_irqfd *f)
{
	if (f->resample_ctx) {
		/* stays asserted until the guest's EOI (khv_irqfd_ack) */
		khv_irq_set_gsi(f->vm, KHV_IRQ_SRC_RESAMPLE, f->gsi, true);
		return;
	}
	/* an edge: KVM's irqfd asserts and deasserts */
	khv_irq_set_gsi(f->vm, KHV_IRQ_SRC_USER, f->gsi, true);
	khv_irq_set_gsi(f->vm, KHV_IRQ_SRC_USER, f->gsi, false);
}

/* The first to mark @f dead has the worker take it down. Any context. */
static void khv_irqfd_deactivate(struct khv_irqfd *f)
{
	if (!test_and_set_bit(0, &f->dead))
		queue_work(khv_irqfd_wq, &f->shutdown);
}

/* The eventfd was signalled (EPOLLIN) or closed (EPOLLHUP). Any context. */
static int khv_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			    int sync, void *key)
{
	struct khv_irqfd *f = container_of(wait, struct khv_irqfd, wait);
	__poll_t events = key_to_poll(key);
	u64 cnt;

	if (events & EPOLLIN) {
		eventfd_ctx_do_read(f->ctx, &cnt);
		khv_irqfd_inject(f);
	}
	if (events & EPOLLHUP)
		khv_irqfd_deactivate(f);
	return 0;
}

static void khv_irqfd_queue(struct file *file, wait_queue_head_t *wqh,
			    poll_table *pt)
{
	struct khv_irqfd *f = container_of(pt, struct khv_irqfd, pt);

	f->wqh = wqh;
	add_wait_queue(wqh, &f->wait);
}

/* Leave @f's resampler; the last one out drops the line and frees it. */
static void khv_resampler_leave(struct khv_irqfd *f)
{
	struct khv_resampler *rs = f->resampler;
	struct khv_vm *vm = f->vm;

	mutex_lock(&vm->eventfd_lock);
	list_del_rcu(&f->rlink);
	if (list_empty(&rs->irqfds)) {
		list_del_rcu(&rs->link);
		khv_irq_set_gsi(vm, KHV_IRQ_SRC_RESAMPLE, rs->gsi, false);
		kfree_rcu(rs, rcu);
	}
	mutex_unlock(&vm->eventfd_lock);
	synchronize_rcu_expedited();	/* no EOI walks f->rlink any more */
}

static void khv_irqfd_shutdown(struct work_struct *work)
{
	struct khv_irqfd *f = container_of(work, struct khv_irqfd, shutdown);
	u64 cnt;

	spin_lock_irq(&f->vm->irqfd_lock);
	list_del(&f->link);
	spin_unlock_irq(&f->vm->irqfd_lock);
	/* after this the wakeup cannot run any more */
	eventfd_ctx_remove_wait_queue(f->ctx, &f->wait, &cnt);
	if (f->resampler)
		khv_resampler_leave(f);
	if (f->resample_ctx)
		eventfd_ctx_put(f->resample_ctx);
	eventfd_ctx_put(f->ctx);
	kfree(f);
}

/* Join (or start) the resampler of @f's GSI. */
static int khv_resampler_join(struct khv_irqfd *f)
{
	struct khv_vm *vm = f->vm;
	struct khv_resampler *rs;

	mutex_lock(&vm->eventfd_lock);
	list_for_each_entry(rs, &vm->resamplers, link)
		if (rs->gsi == f->gsi)
			goto join;
	rs = kzalloc(sizeof(*rs), GFP_KERNEL_ACCOUNT);
	if (!rs) {
		mutex_unlock(&vm->eventfd_lock);
		return -ENOMEM;
	}
	rs->gsi = f->gsi;
	INIT_LIST_HEAD(&rs->irqfds);
	list_add_rcu(&rs->link, &vm->resamplers);
join:
	f->resampler = rs;
	list_add_rcu(&f->rlink, &rs->irqfds);
	mutex_unlock(&vm->eventfd_lock);
	return 0;
}

/*
 * The guest EOI'd level-triggered @gsi at the IOAPIC: before remote IRR
 * clears, resampled irqfds drop the line (so the EOI does not re-send it)
 * and tell user space through their resample fds.
 */
void khv_irqfd_ack(struct khv_vm *vm, u32 gsi)
{
	struct khv_resampler *rs;
	struct khv_irqfd *f;

	rcu_read_lock();
	list_for_each_entry_rcu(rs, &vm->resamplers, link) {
		if (rs->gsi != gsi)
			continue;
		khv_irq_set_gsi(vm, KHV_IRQ_SRC_RESAMPLE, gsi, false);
		list_for_each_entry_rcu(f, &rs->irqfds, rlink)
			khv_eventfd_signal(f->resample_ctx);
	}
	rcu_read_unlock();
}

bool khv_irqfd_has_resamplers(struct khv_vm *vm)
{
	return !list_empty_careful(&vm->resamplers);
}

static long khv_irqfd_assign(struct khv_vm *vm, const struct kvm_irqfd *a)
{
	struct eventfd_ctx *ctx;
	struct khv_irqfd *f, *tmp;
	struct file *file;
	__poll_t events;
	long r;

	file = fget(a->fd);
	if (!file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		r = PTR_ERR(ctx);
		goto out_put_file;
	}
	r = -ENOMEM;
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		goto out_put_ctx;
	f->vm = vm;
	f->ctx = ctx;
	f->gsi = a->gsi;
	INIT_LIST_HEAD(&f->link);
	INIT_WORK(&f->shutdown, khv_irqfd_shutdown);
	init_waitqueue_func_entry(&f->wait, khv_irqfd_wakeup);
	init_poll_funcptr(&f->pt, khv_irqfd_queue);
	if (a->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		f->resample_ctx = eventfd_ctx_fdget(a->resamplefd);
		if (IS_ERR(f->resample_ctx)) {
			r = PTR_ERR(f->resample_ctx);
			goto out_free;
		}
		r = khv_resampler_join(f);
		if (r)
			goto out_put_resample;
	}

	spin_lock_irq(&vm->irqfd_lock);
	/* one GSI per eventfd, as KVM */
	list_for_each_entry(tmp, &vm->irqfds, link) {
		if (tmp->ctx == ctx && !test_bit(0, &tmp->dead)) {
			spin_unlock_irq(&vm->irqfd_lock);
			r = -EBUSY;
			goto out_leave;
		}
	}
	list_add_tail(&f->link, &vm->irqfds);
	/*
	 * From here on the eventfd's wakeups inject. An eventfd's poll does
	 * not sleep; with the lock held no deassign runs before the wait
	 * entry is in place. A signal already pending injects below.
	 */
	events = vfs_poll(file, &f->pt);
	spin_unlock_irq(&vm->irqfd_lock);
	if (events & EPOLLIN)
		khv_irqfd_inject(f);
	fput(file);
	return 0;

out_leave:
	if (f->resampler)
		khv_resampler_leave(f);
out_put_resample:
	if (f->resample_ctx)
		eventfd_ctx_put(f->resample_ctx);
out_free:
	kfree(f);
out_put_ctx:
	eventfd_ctx_put(ctx);
out_put_file:
	fput(file);
	return r;
}

static long khv_irqfd_deassign(struct khv_vm *vm, const struct kvm_irqfd *a)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fdget(a->fd);
	struct khv_irqfd *f;

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	spin_lock_irq(&vm->irqfd_lock);
	list_for_each_entry(f, &vm->irqfds, link)
		if (f->ctx == ctx && f->gsi == a->gsi)
			khv_irqfd_deactivate(f);
	spin_unlock_irq(&vm->irqfd_lock);
	eventfd_ctx_put(ctx);
	/* gone when this returns: no injection after KVM_IRQFD(DEASSIGN) */
	flush_workqueue(khv_irqfd_wq);
	return 0;
}

long khv_vm_irqfd(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_irqfd a;
	enum khv_irqchip_mode mode;

	if (copy_from_user(&a, (void __user *)arg, sizeof(a)))
		return -EFAULT;
	if (a.flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (a.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return khv_irqfd_deassign(vm, &a);
	/*
	 * As KVM: an in-kernel irqchip is needed, and for a resampled line
	 * the in-kernel IOAPIC that sees the EOI.
	 */
	mode = READ_ONCE(vm->irqchip_mode);
	if (mode == KHV_IRQCHIP_NONE ||
	    (a.flags & KVM_IRQFD_FLAG_RESAMPLE && mode != KHV_IRQCHIP_KERNEL))
		return -EINVAL;
	return khv_irqfd_assign(vm, &a);
}

/* ---- ioeventfd ---- */

/* Does a write of @len bytes @data to @addr signal @p? */
static bool khv_ioeventfd_match(const struct khv_ioeventfd *p, bool pio,
				u64 addr, u32 len, const void *data)
{
	u64 val = 0;

	if (p->pio != pio || p->addr != addr)
		return false;
	if (!p->len)
		return true;
	if (p->len != len)
		return false;
	if (p->wildcard)
		return true;
	memcpy(&val, data, len);	/* x86: little-endian */
	return val == p->datamatch;
}

/*
 * A guest write: signal the first ioeventfd it matches. True when one
 * did: the write is done. The caller reads the list as an RCU reader:
 * deassigning waits for a grace period before it frees an entry.
 */
static __always_inline bool __khv_ioeventfd_write(struct khv_vm *vm, bool pio,
						  u64 addr, u32 len,
						  const void *data)
{
	struct khv_ioeventfd *p;

	list_for_each_entry_rcu(p, &vm->ioeventfds, link) {
		if (khv_ioeventfd_match(p, pio, addr, len, data)) {
			khv_eventfd_signal(p->ctx);
			return true;
		}
	}
	return false;
}

bool khv_ioeventfd_write(struct khv_vm *vm, bool pio, u64 addr, u32 len,
			 const void *data)
{
	bool hit;

	if (len > 8 || list_empty_careful(&vm->ioeventfds))
		return false;
	rcu_read_lock();
	hit = __khv_ioeventfd_write(vm, pio, addr, len, data);
	rcu_read_unlock();
	return hit;
}

/*
 * The same from the exit fast path, which runs with interrupts off: a
 * section with interrupts off is an RCU read-side critical section for
 * every grace period (synchronize_rcu*() and call_rcu() wait for it), so
 * no rcu_read_lock() call is needed per write.
 */
bool khv_ioeventfd_write_irqoff(struct khv_vm *vm, u16 port, u32 len,
				const void *data)
{
	lockdep_assert_irqs_disabled();
	if (len > 8 || list_empty_careful(&vm->ioeventfds))
		return false;
	return __khv_ioeventfd_write(vm, true, port, len, data);
}

/* KVM refuses two ioeventfds one write could both match. */
static bool khv_ioeventfd_collides(const struct khv_ioeventfd *a,
				   const struct khv_ioeventfd *b)
{
	return a->pio == b->pio && a->addr == b->addr &&
	       (!a->len || !b->len ||
		(a->len == b->len &&
		 (a->wildcard || b->wildcard || a->datamatch == b->datamatch)));
}

static long khv_ioeventfd_assign(struct khv_vm *vm, struct khv_ioeventfd *n)
{
	struct khv_ioeventfd *p;
	unsigned int count = 0;

	mutex_lock(&vm->eventfd_lock);
	list_for_each_entry(p, &vm->ioeventfds, link) {
		if (khv_ioeventfd_collides(p, n)) {
			mutex_unlock(&vm->eventfd_lock);
			return -EEXIST;
		}
		count += p->pio == n->pio;
	}
	if (count >= KHV_MAX_IOEVENTFDS) {
		mutex_unlock(&vm->eventfd_lock);
		return -ENOSPC;
	}
	list_add_tail_rcu(&n->link, &vm->ioeventfds);
	mutex_unlock(&vm->eventfd_lock);
	return 0;
}

static long khv_ioeventfd_deassign(struct khv_vm *vm,
				   const struct khv_ioeventfd *key)
{
	struct khv_ioeventfd *p;

	mutex_lock(&vm->eventfd_lock);
	list_for_each_entry(p, &vm->ioeventfds, link) {
		if (p->ctx != key->ctx || p->pio != key->pio ||
		    p->addr != key->addr || p->len != key->len ||
		    p->wildcard != key->wildcard ||
		    (!p->wildcard && p->datamatch != key->datamatch))
			continue;
		list_del_rcu(&p->link);
		mutex_unlock(&vm->eventfd_lock);
		/*
		 * No vCPU signals it once this returns (as KVM). Expedited,
		 * as KVM's SRCU wait: QEMU deassigns its virtio queues'
		 * ioeventfds while a migrating VM stops, one by one, and a
		 * normal grace period each (12 ms in the test machine) was
		 * most of khv's extra downtime.
		 */
		synchronize_rcu_expedited();
		eventfd_ctx_put(p->ctx);
		kfree(p);
		return 0;
	}
	mutex_unlock(&vm->eventfd_lock);
	return -ENOENT;
}

long khv_vm_ioeventfd(struct khv_vm *vm, unsigned long arg)
{
	struct kvm_ioeventfd a;
	struct khv_ioeventfd key, *n;
	long r;

	if (copy_from_user(&a, (void __user *)arg, sizeof(a)))
		return -EFAULT;
	/* the virtio-ccw notification bus is s390's: not on x86 */
	if (a.flags & ~(KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_PIO |
			KVM_IOEVENTFD_FLAG_DEASSIGN))
		return -EINVAL;
	switch (a.len) {
	case 0: case 1: case 2: case 4: case 8:
		break;
	default:
		return -EINVAL;
	}
	if (a.addr + a.len < a.addr)
		return -EINVAL;
	/* a value to match needs a length to match it at */
	if (!a.len && a.flags & KVM_IOEVENTFD_FLAG_DATAMATCH)
		return -EINVAL;
	if (a.flags & KVM_IOEVENTFD_FLAG_PIO && a.addr > 0xffff)
		return -EINVAL;
	key = (struct khv_ioeventfd){
		.addr = a.addr, .len = a.len,
		.pio = a.flags & KVM_IOEVENTFD_FLAG_PIO,
		.wildcard = !(a.flags & KVM_IOEVENTFD_FLAG_DATAMATCH),
		.datamatch = a.datamatch,
	};
	key.ctx = eventfd_ctx_fdget(a.fd);
	if (IS_ERR(key.ctx))
		return PTR_ERR(key.ctx);
	if (a.flags & KVM_IOEVENTFD_FLAG_DEASSIGN) {
		r = khv_ioeventfd_deassign(vm, &key);
		eventfd_ctx_put(key.ctx);
		return r;
	}
	r = -ENOMEM;
	n = kmemdup(&key, sizeof(key), GFP_KERNEL_ACCOUNT);
	if (!n)
		goto out_put;
	r = khv_ioeventfd_assign(vm, n);
	if (r)
		goto out_free;
	return 0;

out_free:
	kfree(n);
out_put:
	eventfd_ctx_put(key.ctx);
	return r;
}

/* ---- teardown ---- */

/* The VM is going away: no eventfd reaches it after this returns. */
void khv_eventfd_vm_destroy(struct khv_vm *vm)
{
	struct khv_ioeventfd *p, *ptmp;
	struct khv_irqfd *f;

	spin_lock_irq(&vm->irqfd_lock);
	list_for_each_entry(f, &vm->irqfds, link)
		khv_irqfd_deactivate(f);
	spin_unlock_irq(&vm->irqfd_lock);
	flush_workqueue(khv_irqfd_wq);
	/* no vCPU runs: nothing walks the list */
	list_for_each_entry_safe(p, ptmp, &vm->ioeventfds, link) {
		list_del(&p->link);
		eventfd_ctx_put(p->ctx);
		kfree(p);
	}
}
