// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging: a slot with KVM_MEM_LOG_DIRTY_PAGES reports, through
 * KVM_GET_DIRTY_LOG, exactly the pages the guest wrote since the last
 * call (reads do not count), including a page written again after it was
 * reported; slots without logging answer ENOENT. With
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (what QEMU's migration uses),
 * KVM_GET_DIRTY_LOG only reads the log and KVM_CLEAR_DIRTY_LOG clears and
 * re-protects the pages user space names, 64 pages aligned; with
 * KVM_DIRTY_LOG_INITIALLY_SET a slot starts with every page dirty.
 */
#include <errno.h>
#include <string.h>

#include "guest.h"

#define SLOT		1
#define SLOT_GPA	0x10000000ull	/* inside the guest's 1 GiB identity map */
#define SLOT_PAGES	64

static int sys_fd;

#define PAGE(n)	((volatile uint8_t *)(SLOT_GPA + (n) * 4096ull))

GUEST_CODE static void guest_writes(uint64_t a, uint64_t b)
{
	uint64_t i, sum = 0;

	*PAGE(0) = 1;
	*PAGE(5) = 2;
	*PAGE(63) = 3;
	GUEST_SYNC(1, 0);
	for (i = 1; i <= 10; i++)
		sum += *PAGE(i);
	*PAGE(7) = 4;
	GUEST_SYNC(2, sum);
	*PAGE(0) = 5;
	GUEST_SYNC(3, 0);
	*PAGE(9) = 6;
	GUEST_DONE();
}

/* The set bits of the slot's log, as a 64-bit mask (one bit per page). */
static long dirty_log(struct gvm *vm, uint32_t slot, uint64_t *bits)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bits };

	*bits = 0;
	return khv_ioctl(vm->fd, KVM_GET_DIRTY_LOG, (unsigned long)&log);
}

static int expect(struct gvm *vm, uint64_t want, const char *when)
{
	uint64_t bits;
	long r = dirty_log(vm, SLOT, &bits);

	CHECK(r == 0, "%s: KVM_GET_DIRTY_LOG %ld", when, r);
	CHECK(bits == want, "%s: dirty %#lx, want %#lx", when,
	      (unsigned long)bits, (unsigned long)want);
	return KSFT_PASS;
}

static int t_dirty_log(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t bits;
	void *hva;

	CHECK(vm, "VM");
	hva = gvm_add_slot(vm, SLOT, SLOT_GPA, SLOT_PAGES * 4096,
			   KVM_MEM_LOG_DIRTY_PAGES);
	CHECK(hva, "logged slot");
	v = gvcpu_create_long(vm, 0, guest_writes, 0, 0);
	CHECK(v, "vCPU");
	CHECK(!expect(vm, 0, "before running"), "see above");
	CHECK(!gvcpu_run_sync(v, 1, NULL), "stage 1");
	CHECK(!expect(vm, 1ull << 0 | 1ull << 5 | 1ull << 63, "three writes"), "see above");
	CHECK(!expect(vm, 0, "read again at once"), "see above");
	CHECK(!gvcpu_run_sync(v, 2, NULL), "stage 2");
	CHECK(!expect(vm, 1ull << 7, "reads and one write"), "see above");
	CHECK(!gvcpu_run_sync(v, 3, NULL), "stage 3");
	CHECK(!expect(vm, 1ull << 0, "page 0 written again"), "see above");
	CHECK(!gvm_set_region(vm->fd, SLOT, 0, SLOT_GPA, SLOT_PAGES * 4096, hva),
	      "logging off");
	CHECK(!gvcpu_run_done(v), "DONE");
	CHECK(dirty_log(vm, SLOT, &bits) == -ENOENT, "log of an unlogged slot");
	CHECK(((uint8_t *)hva)[9 * 4096] == 6, "the write went to memory");
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static int t_no_log(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	uint64_t bits;

	CHECK(vm, "VM");
	CHECK(dirty_log(vm, 0, &bits) == -ENOENT, "slot 0 does not log");
	CHECK(dirty_log(vm, 77, &bits) == -ENOENT, "no slot 77");
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * The manual-protect guest: at each stage it writes the pages listed in
 * the mailbox (page indexes, 0xff ends the list), which sits in the
 * guest's ordinary RAM, outside the logged slot. (Inside it, a guest read
 * of a page the host has written may log it: stock KVM maps such a page
 * writable at once and logs it then. The log may over-report; this test
 * checks the writes are in it and pages cleared and not written are not.)
 */
#define MPAGES		100	/* not a multiple of 64: the last word is partial */
#define MAILBOX_GPA	0x310000ull	/* in the guest's free RAM */
#define MAILBOX		((volatile uint8_t *)MAILBOX_GPA)

GUEST_CODE static void guest_mailbox(uint64_t a, uint64_t b)
{
	uint64_t stage, i;

	for (stage = 1;; stage++) {
		for (i = 0; i < 8 && MAILBOX[i] != 0xff; i++)
			*PAGE(MAILBOX[i]) = stage;
		GUEST_SYNC(stage, 0);
	}
}

struct mlog {
	struct gvm *vm;
	struct gvcpu *v;
	uint8_t *hva;
	uint64_t stage;
};

/* Run the guest's next stage, writing @pages (0xff-terminated). */
static int mrun(struct mlog *m, const uint8_t *pages)
{
	int i;

	volatile uint8_t *mb = gvm_hva(m->vm, MAILBOX_GPA);

	for (i = 0; i < 8; i++) {
		mb[i] = pages[i];
		if (pages[i] == 0xff)
			break;
	}
	return gvcpu_run_sync(m->v, ++m->stage, NULL);
}

/* The slot's log as two words (pages 0-63, 64-99). */
static long mget(struct mlog *m, uint64_t bits[2])
{
	struct kvm_dirty_log log = { .slot = SLOT, .dirty_bitmap = bits };

	bits[0] = bits[1] = 0;
	return khv_ioctl(m->vm->fd, KVM_GET_DIRTY_LOG, (unsigned long)&log);
}

static long mclear(struct mlog *m, uint32_t slot, uint64_t first, uint32_t num,
		   const uint64_t *bits)
{
	struct kvm_clear_dirty_log c = {
		.slot = slot, .num_pages = num, .first_page = first,
		.dirty_bitmap = (void *)bits,
	};

	return khv_ioctl(m->vm->fd, KVM_CLEAR_DIRTY_LOG, (unsigned long)&c);
}

static int enable_manual(struct gvm *vm, uint64_t flags, uint32_t cap_flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .flags = cap_flags,
		.args = { flags },
	};

	return khv_ioctl(vm->fd, KVM_ENABLE_CAP, (unsigned long)&cap);
}

#define LOG_IS(m, w0, w1, when) do {					\
	uint64_t b_[2];							\
	long r_ = mget(m, b_);						\
	CHECK(r_ == 0, "%s: KVM_GET_DIRTY_LOG %ld", when, r_);		\
	CHECK(b_[0] == (w0) && b_[1] == (w1),				\
	      "%s: dirty %#lx %#lx, want %#lx %#lx", when,		\
	      (unsigned long)b_[0], (unsigned long)b_[1],		\
	      (unsigned long)(w0), (unsigned long)(w1));		\
} while (0)

static int mlog_start(struct mlog *m, uint64_t flags)
{
	long cap;

	memset(m, 0, sizeof(*m));
	m->vm = gvm_create(sys_fd, 0);
	CHECK(m->vm, "VM");
	cap = khv_ioctl(m->vm->fd, KVM_CHECK_EXTENSION,
			KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	if (cap <= 0) {
		gvm_destroy(m->vm);
		return KSFT_SKIP;
	}
	CHECK(cap == 3, "KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 %ld", cap);
	CHECK(!enable_manual(m->vm, flags, 0), "enable %#lx", (unsigned long)flags);
	m->hva = gvm_add_slot(m->vm, SLOT, SLOT_GPA, MPAGES * 4096,
			      KVM_MEM_LOG_DIRTY_PAGES);
	CHECK(m->hva, "logged slot");
	m->v = gvcpu_create_long(m->vm, 0, guest_mailbox, 0, 0);
	CHECK(m->v, "vCPU");
	return KSFT_PASS;
}

static const uint64_t ALL[2] = { ~0ull, ~0ull };
#define LAST_WORD	((1ull << (MPAGES - 64)) - 1)	/* pages 64-99 */

/* Manual protect with every page initially dirty, as QEMU enables it. */
static int t_manual_initially_set(void)
{
	static const uint8_t w1[] = { 0, 5, 70, 0xff }, w2[] = { 3, 70, 98, 0xff },
		w3[] = { 64, 98, 0xff }, w4[] = { 0xff };
	uint64_t bits[2];
	struct mlog m;
	int r = mlog_start(&m, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
			      KVM_DIRTY_LOG_INITIALLY_SET);

	if (r)
		return r;
	LOG_IS(&m, ~0ull, LAST_WORD, "a new slot: every page dirty");
	CHECK(!mrun(&m, w1), "stage 1");
	LOG_IS(&m, ~0ull, LAST_WORD, "GET does not clear");
	/* bits past the slot's end in user space's bitmap are ignored */
	CHECK(!mclear(&m, SLOT, 0, MPAGES, ALL), "clear all");
	LOG_IS(&m, 0, 0, "cleared");
	CHECK(!mrun(&m, w2), "stage 2");
	LOG_IS(&m, 1ull << 3, 1ull << 6 | 1ull << 34, "three writes");
	LOG_IS(&m, 1ull << 3, 1ull << 6 | 1ull << 34, "read again: still there");
	/* the tail from page 64 (36 pages, to the slot's end), page 70 only */
	bits[0] = 1ull << 6;
	CHECK(!mclear(&m, SLOT, 64, MPAGES - 64, bits), "clear page 70");
	LOG_IS(&m, 1ull << 3, 1ull << 34, "page 70 cleared");
	/* clearing a clean page changes nothing */
	bits[0] = 1ull << 1;
	CHECK(!mclear(&m, SLOT, 0, 64, bits), "clear a clean page");
	LOG_IS(&m, 1ull << 3, 1ull << 34, "nothing else cleared");
	CHECK(!mclear(&m, SLOT, 0, MPAGES, ALL), "clear all");
	/* pages cleared are protected again: their next write is seen */
	CHECK(!mrun(&m, w3), "stage 3");
	LOG_IS(&m, 0, 1ull << 0 | 1ull << 34, "writes after clearing");
	/* a page dirty and not cleared stays dirty (and writable) */
	CHECK(!mrun(&m, w4), "stage 4");
	LOG_IS(&m, 0, 1ull << 0 | 1ull << 34, "no writes");
	CHECK(m.hva[70 * 4096] == 2 && m.hva[64 * 4096] == 3, "memory");
	gvm_teardown(m.vm, m.v);
	return KSFT_PASS;
}

/* Manual protect alone: the slot starts clean; errors as KVM's. */
static int t_manual_protect(void)
{
	static const uint8_t w1[] = { 5, 98, 0xff }, w2[] = { 5, 0xff };
	uint64_t bits[2] = { 0, 0 };
	struct mlog m;
	int r = mlog_start(&m, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);

	if (r)
		return r;
	LOG_IS(&m, 0, 0, "a new slot: clean");
	CHECK(!mrun(&m, w1), "stage 1");
	LOG_IS(&m, 1ull << 5, 1ull << 34, "two writes");
	LOG_IS(&m, 1ull << 5, 1ull << 34, "GET does not clear");
	bits[0] = 1ull << 5;
	CHECK(!mclear(&m, SLOT, 0, 64, bits), "clear page 5");
	LOG_IS(&m, 0, 1ull << 34, "page 5 cleared");
	CHECK(!mrun(&m, w2), "stage 2");
	LOG_IS(&m, 1ull << 5, 1ull << 34, "page 5 written again");

	CHECK(mclear(&m, SLOT, 1, 63, bits) == -EINVAL, "first page not 64-aligned");
	CHECK(mclear(&m, SLOT, 0, 10, bits) == -EINVAL,
	      "a range neither 64-page multiple nor to the end");
	CHECK(mclear(&m, SLOT, 0, MPAGES + 1, ALL) == -EINVAL, "past the end");
	CHECK(mclear(&m, SLOT, 128, 0, bits) == -EINVAL, "first page past the end");
	CHECK(mclear(&m, SLOT, 64, 0, bits) == 0, "empty range");
	CHECK(mclear(&m, 0, 0, 64, bits) == -ENOENT, "slot 0 does not log");
	CHECK(mclear(&m, 77, 0, 64, bits) == -ENOENT, "no slot 77");
	CHECK(mclear(&m, SLOT, 0, 64, NULL) == -EFAULT, "bitmap NULL");
	LOG_IS(&m, 1ull << 5, 1ull << 34, "the failed calls cleared nothing");

	CHECK(enable_manual(m.vm, KVM_DIRTY_LOG_INITIALLY_SET, 0) == -EINVAL,
	      "INITIALLY_SET without MANUAL_PROTECT_ENABLE");
	CHECK(enable_manual(m.vm, 4, 0) == -EINVAL, "unknown flag");
	CHECK(enable_manual(m.vm, 1, 1) == -EINVAL, "cap flags");
	/* off again: GET clears and protects as before */
	CHECK(!enable_manual(m.vm, 0, 0), "off");
	LOG_IS(&m, 1ull << 5, 1ull << 34, "GET without manual protect");
	LOG_IS(&m, 0, 0, "and it cleared");
	gvm_teardown(m.vm, m.v);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "dirty_log", t_dirty_log },
	{ "no_log", t_no_log },
	{ "manual_initially_set", t_manual_initially_set },
	{ "manual_protect", t_manual_protect },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
