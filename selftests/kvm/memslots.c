// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_USER_MEMORY_REGION as the guest sees it: create, move, delete,
 * KVM_MEM_READONLY (reads from memory, writes become MMIO exits), flag
 * changes, the KVM_CAP_NR_MEMSLOTS limit, overlaps, argument checks and
 * slots at the top of the host's physical address reach.
 */
#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest.h"

static int sys_fd;

#define SLOT_A		1
#define GPA_A		0x10000000ull	/* above RAM, below 4 GiB */
#define GPA_B		0x20000000ull
#define SLOT_SIZE	0x10000ull
#define PATTERN		0x0123456789abcdefull

/* A VM running fn(@arg0, @arg1), slot SLOT_A at @gpa holding PATTERN. */
static struct gvcpu *vm_with_slot(struct gvm **vm, const void *fn,
				  uint64_t arg0, uint64_t arg1, uint64_t gpa,
				  uint32_t flags)
{
	uint64_t *mem;

	*vm = gvm_create(sys_fd, 0);
	if (!*vm)
		return NULL;
	mem = gvm_add_slot(*vm, SLOT_A, gpa, SLOT_SIZE, flags);
	if (!mem)
		return NULL;
	mem[0] = PATTERN;
	mem[SLOT_SIZE / 8 - 1] = ~PATTERN;
	return gvcpu_create_long(*vm, 0, fn, arg0, arg1);
}

static void put_vcpu(struct gvm *vm, struct gvcpu *v)
{
	gvcpu_destroy(v);
	gvm_destroy(vm);
}

/* Expect a read of @len at @gpa, answer @data. */
static int mmio_read(struct gvcpu *v, uint64_t gpa, uint32_t len, uint64_t data)
{
	struct kvm_run *run = v->run;

	if (gvcpu_run_expect(v, KVM_EXIT_MMIO))
		return -1;
	if (run->mmio.is_write || run->mmio.phys_addr != gpa || run->mmio.len != len) {
		gvcpu_describe_exit(v, "wrong MMIO exit");
		return -1;
	}
	memcpy(run->mmio.data, &data, len);
	return 0;
}

GUEST_CODE static void guest_rw(uint64_t addr, uint64_t b)
{
	volatile uint64_t *p = (void *)addr;

	GUEST_SYNC(1, p[0]);
	GUEST_SYNC(2, p[SLOT_SIZE / 8 - 1]);
	p[1] = 0x600d600d600d600dull;
	GUEST_SYNC(3, p[1]);
}

static int t_create(void)
{
	struct gvm *vm;
	struct gvcpu *v = vm_with_slot(&vm, guest_rw, GPA_A, 0, GPA_A, 0);
	uint64_t val;

	CHECK(v, "VM/slot/vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == PATTERN, "first word %#lx", val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == ~PATTERN, "last word %#lx", val);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 0x600d600d600d600dull,
	      "read back %#lx", val);
	CHECK(*(uint64_t *)gvm_hva(vm, GPA_A + 8) == 0x600d600d600d600dull,
	      "guest write not in the slot's memory");
	put_vcpu(vm, v);
	return KSFT_PASS;
}

GUEST_CODE static void guest_readonly(uint64_t addr, uint64_t b)
{
	volatile uint64_t *p = (void *)addr;
	uint64_t before = p[0];

	*(volatile uint32_t *)p = 0xdead;
	p[1] = 0x1111;
	GUEST_SYNC(1, before);
	GUEST_SYNC(2, p[0]);
	GUEST_SYNC(3, p[1]);
}

/* Reads see memory; each write is an MMIO exit and changes nothing. */
static int t_readonly(void)
{
	struct gvm *vm;
	struct gvcpu *v;
	struct kvm_run *run;
	uint64_t val;

	SKIP_IF(!khv_cap(sys_fd, KVM_CAP_READONLY_MEM), "no KVM_CAP_READONLY_MEM");
	v = vm_with_slot(&vm, guest_readonly, GPA_A, 0, GPA_A,
			 KVM_MEM_READONLY);
	CHECK(v, "VM/slot/vCPU");
	run = v->run;
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_MMIO), "write exit");
	CHECK(run->mmio.is_write && run->mmio.phys_addr == GPA_A &&
	      run->mmio.len == 4 && *(uint32_t *)run->mmio.data == 0xdead,
	      "write: gpa %#llx len %u", run->mmio.phys_addr, run->mmio.len);
	CHECK(!gvcpu_run_expect(v, KVM_EXIT_MMIO), "second write exit");
	CHECK(run->mmio.is_write && run->mmio.phys_addr == GPA_A + 8 &&
	      run->mmio.len == 8 && *(uint64_t *)run->mmio.data == 0x1111,
	      "write: gpa %#llx len %u", run->mmio.phys_addr, run->mmio.len);
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == PATTERN, "read %#lx", val);
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == PATTERN, "after write %#lx", val);
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 0, "word 1 %#lx", val);
	CHECK(*(uint64_t *)gvm_hva(vm, GPA_A) == PATTERN, "memory changed");
	put_vcpu(vm, v);
	return KSFT_PASS;
}

GUEST_CODE static void guest_read_twice(uint64_t addr, uint64_t b)
{
	GUEST_SYNC(1, *(volatile uint64_t *)addr);
	GUEST_SYNC(2, *(volatile uint64_t *)addr);
}

/* After a delete, the same guest access is an MMIO exit. */
static int t_delete(void)
{
	struct gvm *vm;
	struct gvcpu *v = vm_with_slot(&vm, guest_read_twice, GPA_A, 0, GPA_A, 0);
	uint64_t val;

	CHECK(v, "VM/slot/vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == PATTERN, "before %#lx", val);
	CHECK(!gvm_delete_slot(vm, SLOT_A), "delete");
	CHECK(!mmio_read(v, GPA_A, 8, 0x5151), "MMIO read after delete");
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == 0x5151, "after %#lx", val);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

GUEST_CODE static void guest_move(uint64_t a, uint64_t b)
{
	GUEST_SYNC(1, *(volatile uint64_t *)a);
	GUEST_SYNC(2, *(volatile uint64_t *)b);
	GUEST_SYNC(3, *(volatile uint64_t *)a);
}

/* Moving a slot moves what the guest sees; the old range becomes MMIO. */
static int t_move(void)
{
	struct gvm *vm;
	struct gvcpu *v = vm_with_slot(&vm, guest_move, GPA_A, GPA_B, GPA_A, 0);
	uint64_t val;

	CHECK(v, "VM/slot/vCPU");
	CHECK(!gvcpu_run_sync(v, 1, &val) && val == PATTERN, "at A %#lx", val);
	CHECK(!gvm_move_slot(vm, SLOT_A, GPA_B), "move");
	CHECK(!gvcpu_run_sync(v, 2, &val) && val == PATTERN, "at B %#lx", val);
	CHECK(!mmio_read(v, GPA_A, 8, 0xa0a0), "MMIO read at the old place");
	CHECK(!gvcpu_run_sync(v, 3, &val) && val == 0xa0a0, "at A after %#lx", val);
	put_vcpu(vm, v);
	return KSFT_PASS;
}

/*
 * Flag changes on a live slot: dirty logging on and off is allowed (QEMU
 * toggles it), READONLY cannot change (QEMU deletes and re-adds), nor can
 * the size or the host address of an existing slot.
 */
static int t_flag_changes(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	uint8_t *hva;

	CHECK(vm, "VM");
	hva = gvm_add_slot(vm, SLOT_A, GPA_A, SLOT_SIZE, 0);
	CHECK(hva, "slot");
	CHECK(!gvm_set_region(vm->fd, SLOT_A, KVM_MEM_LOG_DIRTY_PAGES, GPA_A,
			      SLOT_SIZE, hva), "dirty logging on");
	CHECK(!gvm_set_region(vm->fd, SLOT_A, 0, GPA_A, SLOT_SIZE, hva),
	      "dirty logging off");
	if (khv_cap(sys_fd, KVM_CAP_READONLY_MEM))
		CHECK(gvm_set_region(vm->fd, SLOT_A, KVM_MEM_READONLY, GPA_A,
				     SLOT_SIZE, hva) == -EINVAL, "READONLY added");
	CHECK(gvm_set_region(vm->fd, SLOT_A, 0, GPA_A, SLOT_SIZE * 2, hva) == -EINVAL,
	      "size changed");
	CHECK(gvm_set_region(vm->fd, SLOT_A, 0, GPA_A, SLOT_SIZE, hva + 4096) == -EINVAL,
	      "host address changed");
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * Slot ids run from 0 to KVM_CAP_NR_MEMSLOTS - 1, one page each, all in
 * one VM; slot N is refused. Up to MAX_SLOTS_ALL every id is used; past
 * that (stock KVM says 32764, and each of its slot updates waits for an
 * SRCU grace period: minutes under Bochs) the first MAX_SLOTS_ALL, then
 * every MAX_SLOTS_STRIDE-th id, then the last.
 */
#define MAX_SLOTS_ALL		1024
#define MAX_SLOTS_STRIDE	61

static long max_slots_next(long i, long n)
{
	if (n <= MAX_SLOTS_ALL || i + 1 < MAX_SLOTS_ALL)
		return i + 1;
	if (i == n - 1)
		return n;
	return i + MAX_SLOTS_STRIDE < n - 1 ? i + MAX_SLOTS_STRIDE : n - 1;
}

static int t_max_slots(void)
{
	long n = khv_cap(sys_fd, KVM_CAP_NR_MEMSLOTS), i, used = 0;
	int vm = khv_create_vm(sys_fd), r = 0;
	uint8_t *mem;

	CHECK(vm >= 0, "KVM_CREATE_VM");
	CHECK(n >= 32 && n <= 32768, "KVM_CAP_NR_MEMSLOTS %ld", n);
	mem = mmap(NULL, (n + 1) * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(mem != MAP_FAILED, "mmap");
	for (i = 0; i < n; i = max_slots_next(i, n), used++) {
		r = gvm_set_region(vm, i, 0, i * 4096, 4096, mem + i * 4096);
		if (r)
			break;
	}
	CHECK(!r, "slot %ld of %ld: %s", i, n, strerror(-r));
	r = gvm_set_region(vm, n, 0, n * 4096, 4096, mem + n * 4096);
	CHECK(r == -EINVAL, "slot %ld (one too many): %d", n, r);
	ksft_diag("%ld slots of ids 0-%ld in one VM", used, n - 1);
	close(vm);
	munmap(mem, (n + 1) * 4096);
	return KSFT_PASS;
}

static int t_overlap(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	uint8_t *hva;

	CHECK(vm, "VM");
	hva = gvm_add_slot(vm, SLOT_A, GPA_A, SLOT_SIZE, 0);
	CHECK(hva, "slot");
	CHECK(gvm_set_region(vm->fd, 2, 0, GPA_A + SLOT_SIZE / 2, SLOT_SIZE,
			     hva) == -EEXIST, "overlapping the end");
	CHECK(gvm_set_region(vm->fd, 2, 0, GPA_A - 4096, 8192, hva) == -EEXIST,
	      "overlapping the start");
	CHECK(gvm_set_region(vm->fd, 2, 0, GPA_A, SLOT_SIZE, hva) == -EEXIST,
	      "the same range");
	CHECK(gvm_set_region(vm->fd, 2, 0, 0, 4096, hva) == -EEXIST,
	      "inside RAM (slot 0)");
	CHECK(gvm_add_slot(vm, 2, GPA_A + SLOT_SIZE, SLOT_SIZE, 0), "adjacent slot");
	CHECK(gvm_move_slot(vm, 2, GPA_A + 4096) == -EEXIST, "moving onto slot 1");
	gvm_destroy(vm);
	return KSFT_PASS;
}

static int t_bad_args(void)
{
	struct gvm *vm = gvm_create(sys_fd, 0);
	long n = khv_cap(sys_fd, KVM_CAP_NR_MEMSLOTS);
	uint8_t *hva;

	CHECK(vm, "VM");
	hva = mmap(NULL, 2 * SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(hva != MAP_FAILED, "mmap");
	CHECK(gvm_set_region(vm->fd, 2, 0, GPA_A, 0x1800, hva) == -EINVAL,
	      "size not page-aligned");
	CHECK(gvm_set_region(vm->fd, 2, 0, GPA_A + 0x800, SLOT_SIZE, hva) == -EINVAL,
	      "GPA not page-aligned");
	CHECK(gvm_set_region(vm->fd, 2, 0, GPA_A, SLOT_SIZE, hva + 8) == -EINVAL,
	      "host address not page-aligned");
	CHECK(gvm_set_region(vm->fd, 2, 1u << 7, GPA_A, SLOT_SIZE, hva) == -EINVAL,
	      "unknown flag");
	CHECK(gvm_set_region(vm->fd, n, 0, GPA_A, SLOT_SIZE, hva) == -EINVAL,
	      "slot id KVM_CAP_NR_MEMSLOTS");
	CHECK(gvm_set_region(vm->fd, 2, 0, ~0ull << 12, SLOT_SIZE, hva) == -EINVAL,
	      "GPA range wraps");
	CHECK(gvm_set_region(vm->fd, 2, 0, GPA_A, 0, hva) == -EINVAL,
	      "deleting a slot that does not exist");
	CHECK(gvm_set_region(vm->fd, 2, 0, GPA_A, SLOT_SIZE, hva) == 0,
	      "the good one");
	munmap(hva, 2 * SLOT_SIZE);
	gvm_destroy(vm);
	return KSFT_PASS;
}

/*
 * The top of the reach: a slot may end at the host's MAXPHYADDR (CPUID
 * 0x80000008, which nested page faults are reported below), not past it,
 * and never near 2^64. Slots of several GiB up there are logged, toggled,
 * moved and deleted at once (a walk that wrapped past 2^64 would never end).
 */
#define TOP_SLOT	2
#define TOP_SIZE	((3ull << 30) + 4096)

static int t_top_of_reach(void)
{
	unsigned int a, b, c, d, phys;
	struct kvm_dirty_log log = { .slot = TOP_SLOT };
	uint64_t top, gpa, *bits;
	struct gvm *vm;
	uint8_t *hva;
	size_t i;

	SKIP_IF(!__get_cpuid(0x80000008, &a, &b, &c, &d), "no CPUID 0x80000008");
	phys = a & 0xff;
	SKIP_IF(phys > 48, "MAXPHYADDR %u: past khv's 4-level reach", phys);
	top = 1ull << phys;
	gpa = top - TOP_SIZE;
	ksft_diag("host MAXPHYADDR %u: a %llu MiB slot at %#llx", phys,
		  (unsigned long long)(TOP_SIZE >> 20), (unsigned long long)gpa);
	vm = gvm_create(sys_fd, 0);
	CHECK(vm, "VM");
	hva = mmap(NULL, TOP_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(hva != MAP_FAILED, "mmap");
	bits = calloc(1, TOP_SIZE / 4096 / 8 + 8);
	CHECK(bits, "calloc");
	CHECK(gvm_set_region(vm->fd, TOP_SLOT, KVM_MEM_LOG_DIRTY_PAGES, gpa + 4096,
			     TOP_SIZE, hva) == -EINVAL, "one page past the top");
	CHECK(gvm_set_region(vm->fd, TOP_SLOT, 0, -TOP_SIZE - 4096, TOP_SIZE,
			     hva) == -EINVAL, "ending at 2^64 - 4096");
	CHECK(gvm_set_region(vm->fd, TOP_SLOT, KVM_MEM_LOG_DIRTY_PAGES, gpa,
			     TOP_SIZE, hva) == 0, "ending at the top, logged");
	log.dirty_bitmap = bits;
	CHECK(!khv_ioctl(vm->fd, KVM_GET_DIRTY_LOG, (unsigned long)&log),
	      "KVM_GET_DIRTY_LOG");
	for (i = 0; i < TOP_SIZE / 4096 / 64; i++)
		CHECK(!bits[i], "page %zu dirty, never written", i * 64);
	CHECK(gvm_set_region(vm->fd, TOP_SLOT, 0, gpa, TOP_SIZE, hva) == 0,
	      "logging off");
	CHECK(gvm_set_region(vm->fd, TOP_SLOT, KVM_MEM_LOG_DIRTY_PAGES, gpa,
			     TOP_SIZE, hva) == 0, "logging on again");
	CHECK(gvm_set_region(vm->fd, TOP_SLOT, KVM_MEM_LOG_DIRTY_PAGES, gpa + 4096,
			     TOP_SIZE, hva) == -EINVAL, "moved one page past the top");
	CHECK(gvm_set_region(vm->fd, TOP_SLOT, KVM_MEM_LOG_DIRTY_PAGES, gpa - (1ull << 30),
			     TOP_SIZE, hva) == 0, "moved 1 GiB down");
	CHECK(gvm_set_region(vm->fd, TOP_SLOT, 0, gpa - (1ull << 30), 0, hva) == 0,
	      "deleted");
	CHECK(gvm_set_region(vm->fd, TOP_SLOT, 0, gpa, TOP_SIZE, hva) == 0,
	      "created again");
	free(bits);
	gvm_destroy(vm);	/* with the slot still there */
	munmap(hva, TOP_SIZE);
	return KSFT_PASS;
}

static const struct ksft_case cases[] = {
	{ "create", t_create },
	{ "readonly", t_readonly },
	{ "delete", t_delete },
	{ "move", t_move },
	{ "flag_changes", t_flag_changes },
	{ "max_slots", t_max_slots },
	{ "overlap", t_overlap },
	{ "bad_args", t_bad_args },
	{ "top_of_reach", t_top_of_reach },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	return KSFT_RUN(cases);
}
