// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging: a slot with KVM_MEM_LOG_DIRTY_PAGES reports, through
 * KVM_GET_DIRTY_LOG, exactly the pages the guest wrote since the last
 * call (reads do not count), including a page written again after it was
 * reported; slots without logging answer ENOENT.
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

static const struct ksft_case cases[] = {
	{ "dirty_log", t_dirty_log },
	{ "no_log", t_no_log },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
