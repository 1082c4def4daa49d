// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU that moves between host CPUs, while the memory behind one of its
 * guest-physical pages changes under it, always sees the current memory:
 * the guest's TLB must not keep the old translation on either CPU.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "guest.h"

#define SLOT		1
#define SLOT_GPA	0x20000000ull
#define ROUNDS		24

static int sys_fd;

GUEST_CODE static void guest_reader(uint64_t a, uint64_t b)
{
	for (;;)
		GUEST_SYNC(1, *(volatile uint64_t *)SLOT_GPA);
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int t_migrate(void)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), i;
	struct gvm *vm = gvm_create(sys_fd, 0);
	uint64_t *pages[2], val;
	struct gvcpu *v;

	SKIP_IF(ncpu < 2, "one CPU");
	CHECK(vm, "VM");
	for (i = 0; i < 2; i++) {
		pages[i] = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(pages[i] != MAP_FAILED, "mmap");
	}
	v = gvcpu_create_long(vm, 0, guest_reader, 0, 0);
	CHECK(v, "vCPU");
	for (i = 0; i < ROUNDS; i++) {
		uint64_t *p = pages[i & 1];

		*p = 0x1000 + i;
		CHECK(!gvm_set_region(vm->fd, SLOT, 0, SLOT_GPA, 4096, p),
		      "map page %d", i & 1);
		CHECK(!pin_to(i % ncpu), "CPU %d", i % ncpu);
		CHECK(!gvcpu_run_sync(v, 1, &val), "round %d", i);
		CHECK(val == 0x1000u + i, "round %d on CPU %d: guest read %#lx", i,
		      i % ncpu, (unsigned long)val);
		CHECK(!gvm_set_region(vm->fd, SLOT, 0, SLOT_GPA, 0, p), "unmap");
	}
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "migrate_with_remaps", t_migrate },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
