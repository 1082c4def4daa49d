// SPDX-License-Identifier: GPL-2.0
/*
 * Guest pages khv holds: every page a guest touches is pinned and counted
 * in debugfs khv/pages; deleting a slot releases exactly its pages, and
 * closing the VM releases the rest, back to the count before. Stock KVM
 * has no such counter: skipped there.
 */
#include <stdio.h>
#include <linux/khv.h>

#include "guest.h"

#define PAGES_FILE	"/sys/kernel/debug/" KHV_DEBUGFS_DIR "/" KHV_DEBUGFS_PAGES
#define SLOT_GPA	0x10000000ull	/* 256 MiB: inside the guest's 1 GiB map */
#define SLOT_PAGES	16
#define RAM_TOUCHES	64

static int sys_fd;
static volatile uint8_t guest_buf[RAM_TOUCHES * 4096] __attribute__((aligned(4096)));

static long held_pages(void)
{
	FILE *f = fopen(PAGES_FILE, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Touch @n pages from @base: each one a first touch for the guest. */
GUEST_CODE static void guest_touch(uint64_t base, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		((volatile uint8_t *)base)[i * 4096] = (uint8_t)i;
	GUEST_SYNC(1, n);
	for (i = 0; i < SLOT_PAGES; i++)
		((volatile uint8_t *)SLOT_GPA)[i * 4096] = (uint8_t)i;
	GUEST_DONE();
}

static int t_held_pages(void)
{
	long p0 = held_pages(), p1, p2, p3;
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t n;

	CHECK(vm && gvm_add_slot(vm, 1, SLOT_GPA, SLOT_PAGES * 4096, 0), "VM");
	v = gvcpu_create_long(vm, 0, guest_touch, (uint64_t)guest_buf,
			      RAM_TOUCHES);
	CHECK(v, "vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &n), "touching RAM");
	p1 = held_pages();
	CHECK(p1 >= p0 + RAM_TOUCHES, "%ld pages held after %d touches (%ld before)",
	      p1, RAM_TOUCHES, p0);
	CHECK(!gvcpu_run_done(v), "touching the second slot");
	p2 = held_pages();
	CHECK(p2 == p1 + SLOT_PAGES, "%ld pages after the slot, want %ld",
	      p2, p1 + SLOT_PAGES);
	CHECK(!gvm_delete_slot(vm, 1), "delete slot 1");
	p3 = held_pages();
	CHECK(p3 == p1, "%ld pages after deleting the slot, want %ld", p3, p1);
	gvcpu_destroy(v);
	gvm_destroy(vm);
	CHECK(held_pages() == p0, "%ld pages after the VM closed, want %ld",
	      held_pages(), p0);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "held_pages", t_held_pages },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	if (held_pages() < 0)
		ksft_exit_skip("no " PAGES_FILE " (not khv)");
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
