// SPDX-License-Identifier: GPL-2.0
/*
 * Binary statistics (KVM_CAP_BINARY_STATS_FD, KVM_GET_STATS_FD on VM and
 * vCPU fds): the file's layout (header, id string, descriptors, data) and
 * every field's range, reads at any offset and length, counters that move
 * with what a guest does (exits, I/O and MMIO exits, HLT exits), the fd
 * keeping its VM alive, the VM's debugfs directory (khv/vm/<pid>-<fd>/
 * on khv, kvm/<pid>-<fd>/ on stock KVM), and pages_4k/pages_2m with guest
 * RAM on host huge pages, dirty-logged too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "guest.h"

static int sys_fd;
static void *volatile bad_buf = (void *)8;	/* unmapped: page 0 */

/* A stats file read whole: header, id, descriptors, data. */
struct stats {
	struct kvm_stats_header h;
	char id[256];
	size_t desc_size;
	void *descs;
	uint64_t *data;
	size_t ndata;		/* u64 elements */
};

static struct kvm_stats_desc *desc_at(const struct stats *s, uint32_t i)
{
	return (void *)((char *)s->descs + i * s->desc_size);
}

static void stats_free(struct stats *s)
{
	free(s->descs);
	free(s->data);
	memset(s, 0, sizeof(*s));
}

/* pread exactly @len bytes, or say what happened. */
static int pread_all(int fd, void *buf, size_t len, off_t off, const char *what)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n != (ssize_t)len) {
		ksft_diag("pread of %s (%zu bytes at %lld): %zd (%s)", what, len,
			  (long long)off, n, n < 0 ? strerror(errno) : "short");
		return -1;
	}
	return 0;
}

/*
 * Read and check a stats file as a tool would: the header and id with
 * read() from the start, the rest with pread() at the header's offsets.
 */
static int stats_read(int fd, struct stats *s)
{
	const struct kvm_stats_header *h = &s->h;
	size_t desc_bytes, data_bytes = 0;
	uint32_t i;

	memset(s, 0, sizeof(*s));
	CHECK(read(fd, &s->h, sizeof(s->h)) == sizeof(s->h), "read header: %s",
	      strerror(errno));
	CHECK(h->name_size >= 8 && h->name_size <= sizeof(s->id),
	      "name_size %u", h->name_size);
	CHECK(h->flags == 0, "header flags %#x", h->flags);
	CHECK(h->id_offset == sizeof(*h), "id_offset %u: the id follows the header",
	      h->id_offset);
	/* the id comes next, by plain read() */
	CHECK(read(fd, s->id, h->name_size) == (ssize_t)h->name_size, "read id");
	CHECK(memchr(s->id, 0, h->name_size), "id not terminated");
	CHECK(!strncmp(s->id, "kvm", 3), "id \"%s\" does not begin with kvm", s->id);
	CHECK(h->num_desc > 0 && h->num_desc < 4096, "num_desc %u", h->num_desc);
	s->desc_size = sizeof(struct kvm_stats_desc) + h->name_size;
	desc_bytes = s->desc_size * h->num_desc;
	CHECK(h->desc_offset >= sizeof(*h) + h->name_size, "desc_offset %u", h->desc_offset);
	CHECK(h->data_offset >= h->desc_offset + desc_bytes ||
	      h->data_offset + h->num_desc * 8 <= h->desc_offset,
	      "descriptors (%u + %zu) and data (%u) overlap", h->desc_offset,
	      desc_bytes, h->data_offset);
	s->descs = calloc(1, desc_bytes);
	CHECK(s->descs, "calloc");
	if (pread_all(fd, s->descs, desc_bytes, h->desc_offset, "descriptors"))
		return KSFT_FAIL;
	for (i = 0; i < h->num_desc; i++) {
		struct kvm_stats_desc *d = desc_at(s, i);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
		uint32_t unit = d->flags & KVM_STATS_UNIT_MASK;
		uint32_t base = d->flags & KVM_STATS_BASE_MASK;

		CHECK(memchr(d->name, 0, h->name_size) && d->name[0],
		      "descriptor %u: name empty or not terminated", i);
		CHECK(type <= KVM_STATS_TYPE_MAX && unit <= KVM_STATS_UNIT_MAX &&
		      base <= KVM_STATS_BASE_MAX, "%s: flags %#x", d->name, d->flags);
		CHECK(!(d->flags & ~(KVM_STATS_TYPE_MASK | KVM_STATS_UNIT_MASK |
				     KVM_STATS_BASE_MASK)),
		      "%s: unknown flags %#x", d->name, d->flags);
		if (unit == KVM_STATS_UNIT_SECONDS)
			CHECK(d->exponent <= 0, "%s: seconds with exponent %d",
			      d->name, d->exponent);
		else if (unit == KVM_STATS_UNIT_BOOLEAN)
			CHECK(d->exponent == 0, "%s: boolean exponent %d", d->name,
			      d->exponent);
		else
			CHECK(d->exponent >= 0, "%s: exponent %d", d->name, d->exponent);
		CHECK(d->size > 0, "%s: size 0", d->name);
		if (type == KVM_STATS_TYPE_LINEAR_HIST)
			CHECK(d->bucket_size, "%s: linear histogram without buckets", d->name);
		else
			CHECK(!d->bucket_size, "%s: bucket_size %u", d->name, d->bucket_size);
		CHECK(d->offset % 8 == 0, "%s: offset %u not u64-aligned", d->name,
		      d->offset);
		data_bytes += d->size * 8;
	}
	for (i = 0; i < h->num_desc; i++) {
		struct kvm_stats_desc *d = desc_at(s, i);

		CHECK(d->offset + d->size * 8 <= data_bytes, "%s: offset %u past data (%zu)",
		      d->name, d->offset, data_bytes);
	}
	s->ndata = data_bytes / 8;
	s->data = calloc(s->ndata, 8);
	CHECK(s->data, "calloc");
	if (pread_all(fd, s->data, data_bytes, h->data_offset, "data"))
		return KSFT_FAIL;
	return KSFT_PASS;
}

/* The value of counter @name (first element), or -1 with a diagnostic. */
static int stat_get(const struct stats *s, const char *name, uint64_t *val)
{
	uint32_t i;

	for (i = 0; i < s->h.num_desc; i++) {
		struct kvm_stats_desc *d = desc_at(s, i);

		if (!strcmp(d->name, name)) {
			*val = s->data[d->offset / 8];
			return 0;
		}
	}
	ksft_diag("no statistic named %s", name);
	return -1;
}

static int stats_fd_of(int fd)
{
	return (int)khv_ioctl(fd, KVM_GET_STATS_FD, 0);
}

/* Everything a reader can do with offsets and lengths, on @fd. */
static int check_reads(int fd, const struct stats *s)
{
	size_t size = s->h.data_offset + s->ndata * 8;
	char *whole = malloc(size + 64), *part = malloc(size + 64);
	uint32_t i;
	off_t off;

	CHECK(whole && part, "malloc");
	/* the whole file at once: the size is all there is */
	CHECK(pread(fd, whole, size + 64, 0) == (ssize_t)size,
	      "pread of %zu + 64 bytes did not stop at %zu", size, size);
	CHECK(!memcmp(whole, &s->h, sizeof(s->h)), "header differs on a second read");
	/* byte by byte at odd offsets: the same bytes, data aside */
	for (off = 0; off < (off_t)s->h.data_offset; off += 7) {
		size_t n = 5;

		if (off + n > s->h.data_offset)
			n = s->h.data_offset - off;
		CHECK(pread(fd, part, n, off) == (ssize_t)n, "pread at %lld",
		      (long long)off);
		CHECK(!memcmp(part, whole + off, n), "bytes at %lld differ",
		      (long long)off);
	}
	/* each counter by itself */
	for (i = 0; i < s->h.num_desc; i++) {
		struct kvm_stats_desc *d = desc_at(s, i);

		if (pread_all(fd, part, d->size * 8, s->h.data_offset + d->offset, d->name))
			return KSFT_FAIL;
	}
	/* at and past the end: nothing, no error */
	CHECK(pread(fd, part, 8, size) == 0, "pread at the end");
	CHECK(pread(fd, part, 8, 1ll << 40) == 0, "pread far past the end");
	CHECK(pread(fd, part, 0, 0) == 0, "pread of 0 bytes");
	CHECK(pread(fd, part, 8, -1) == -1 && errno == EINVAL, "pread at -1");
	CHECK(pread(fd, bad_buf, 8, 0) == -1 && errno == EFAULT, "pread to page 0");
	CHECK(write(fd, part, 8) == -1, "write succeeded");
	free(whole);
	free(part);
	return KSFT_PASS;
}

static int check_stats_fd(int owner_fd, const char *what)
{
	struct stats s;
	int fd = stats_fd_of(owner_fd), r;

	CHECK(fd >= 0, "KVM_GET_STATS_FD on the %s fd: %s", what, strerror(-fd));
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "stats fd without O_CLOEXEC");
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY, "stats fd not read-only");
	r = stats_read(fd, &s);
	if (r == KSFT_PASS)
		r = check_reads(fd, &s);
	if (r == KSFT_PASS)
		ksft_diag("%s: id \"%s\", %u statistics", what, s.id, s.h.num_desc);
	stats_free(&s);
	close(fd);
	return r;
}

static int t_vm_fd(void)
{
	int vm = khv_create_vm(sys_fd), r;

	CHECK(vm >= 0, "KVM_CREATE_VM: %s", strerror(-vm));
	r = check_stats_fd(vm, "VM");
	close(vm);
	return r;
}

static int t_vcpu_fd(void)
{
	int vm = khv_create_vm(sys_fd), vcpu, r;

	CHECK(vm >= 0, "KVM_CREATE_VM: %s", strerror(-vm));
	vcpu = khv_create_vcpu(vm, 3);
	CHECK(vcpu >= 0, "KVM_CREATE_VCPU: %s", strerror(-vcpu));
	r = check_stats_fd(vcpu, "vCPU");
	close(vcpu);
	close(vm);
	return r;
}

#define GUEST_OUTS	50
#define MMIO_GPA	0xe0000000ull

GUEST_CODE static void guest_work(uint64_t n, uint64_t mmio)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		GUEST_SYNC(1, i);
	*(volatile uint32_t *)mmio = 0x1234;
	__asm__ volatile("hlt");
	GUEST_DONE();
}

struct counters {
	uint64_t exits, io_exits, mmio_exits, halt_exits;
};

static int read_counters(int stats_fd, struct counters *c)
{
	struct stats s;
	int r;

	r = stats_read(stats_fd, &s);
	if (r == KSFT_PASS && (stat_get(&s, "exits", &c->exits) ||
			       stat_get(&s, "io_exits", &c->io_exits) ||
			       stat_get(&s, "mmio_exits", &c->mmio_exits) ||
			       stat_get(&s, "halt_exits", &c->halt_exits)))
		r = KSFT_FAIL;
	stats_free(&s);
	return r;
}

/*
 * The guest makes GUEST_OUTS port I/O exits, one MMIO write exit and one
 * HLT exit; each counter moves by at least that (KVM may count more exits:
 * host interrupts, faults that map memory). Stats fds are opened fresh for
 * each read: noop_llseek leaves the file position where reads left it.
 */
static int t_counters_follow_the_guest(void)
{
	struct counters before, after;
	struct gvm *vm = gvm_create(sys_fd, 0);
	struct gvcpu *v;
	uint64_t i, val;
	int fd, r = KSFT_FAIL;

	CHECK(vm, "gvm_create");
	v = gvcpu_create_long(vm, 0, guest_work, GUEST_OUTS, MMIO_GPA);
	CHECK(v, "gvcpu_create_long");
	fd = stats_fd_of(v->fd);
	CHECK(fd >= 0, "KVM_GET_STATS_FD: %s", strerror(-fd));
	if (read_counters(fd, &before))
		goto out;
	close(fd);
	for (i = 0; i < GUEST_OUTS; i++)
		if (gvcpu_run_sync(v, 1, &val) || val != i)
			goto out_nofd;
	if (gvcpu_run_expect(v, KVM_EXIT_MMIO))
		goto out_nofd;
	if (gvcpu_run_expect(v, KVM_EXIT_HLT))
		goto out_nofd;
	if (gvcpu_run_done(v))
		goto out_nofd;
	fd = stats_fd_of(v->fd);
	if (fd < 0 || read_counters(fd, &after))
		goto out;
	ksft_diag("exits %lu -> %lu, io_exits %lu -> %lu, mmio_exits %lu -> %lu, halt_exits %lu -> %lu",
		  before.exits, after.exits, before.io_exits, after.io_exits,
		  before.mmio_exits, after.mmio_exits, before.halt_exits, after.halt_exits);
	if (after.io_exits - before.io_exits < GUEST_OUTS + 1 ||
	    after.mmio_exits - before.mmio_exits < 1 ||
	    after.halt_exits - before.halt_exits < 1 ||
	    after.exits - before.exits < GUEST_OUTS + 3) {
		ksft_diag("a counter moved less than the guest's exits");
		goto out;
	}
	r = KSFT_PASS;
out:
	if (fd >= 0)
		close(fd);
out_nofd:
	gvcpu_destroy(v);
	gvm_destroy(vm);
	return r;
}

/* The stats fd keeps the VM alive: it outlives the VM and vCPU fds. */
static int t_fd_outlives_vm(void)
{
	int base = khv_live_vms(), vm, vcpu, vm_stats, vcpu_stats, r;
	struct stats s;

	SKIP_IF(base < 0, "live VMs not countable (no debugfs)");
	vm = khv_create_vm(sys_fd);
	CHECK(vm >= 0, "KVM_CREATE_VM: %s", strerror(-vm));
	vcpu = khv_create_vcpu(vm, 0);
	CHECK(vcpu >= 0, "KVM_CREATE_VCPU: %s", strerror(-vcpu));
	vm_stats = stats_fd_of(vm);
	vcpu_stats = stats_fd_of(vcpu);
	CHECK(vm_stats >= 0 && vcpu_stats >= 0, "KVM_GET_STATS_FD");
	close(vcpu);
	close(vm);
	CHECK(khv_live_vms() == base + 1, "VM gone (%d live, %d before) with its stats fds open",
	      khv_live_vms(), base);
	r = stats_read(vcpu_stats, &s);
	stats_free(&s);
	if (r == KSFT_PASS)
		r = stats_read(vm_stats, &s);
	stats_free(&s);
	close(vcpu_stats);
	CHECK(khv_live_vms() == base + 1, "VM gone with the VM's stats fd open");
	close(vm_stats);
	CHECK(khv_live_vms() == base, "%d VMs live after every fd closed, %d before",
	      khv_live_vms(), base);
	return r;
}

/*
 * The VM shows in debugfs, named by its creator's pid and its fd: khv's
 * khv/vm/<pid>-<fd>/ with the same binary stats as the fd, stock KVM's
 * kvm/<pid>-<fd>/ with a file per statistic; both with vcpu<N>.
 */
static int t_debugfs(void)
{
	const char *module = khv_module();
	bool khv = module && !strcmp(module, "khv");
	char path[256];
	struct stats s;
	struct stat st;
	int vm, vcpu, fd, r = KSFT_PASS;

	SKIP_IF(khv_live_vms() < 0, "no debugfs");
	vm = khv_create_vm(sys_fd);
	CHECK(vm >= 0, "KVM_CREATE_VM: %s", strerror(-vm));
	vcpu = khv_create_vcpu(vm, 2);
	CHECK(vcpu >= 0, "KVM_CREATE_VCPU: %s", strerror(-vcpu));
	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%d-%d/%s",
		 khv ? "khv/vm" : "kvm", getpid(), vm, khv ? "vcpu2/stats" : "vcpu2");
	CHECK(!stat(path, &st), "%s: %s", path, strerror(errno));
	if (khv) {
		fd = open(path, O_RDONLY);
		CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
		r = stats_read(fd, &s);
		if (r == KSFT_PASS && !strstr(s.id, "vcpu-2"))
			r = KSFT_FAIL, ksft_diag("vCPU id \"%s\"", s.id);
		stats_free(&s);
		close(fd);
	}
	close(vcpu);
	close(vm);
	*strrchr(path, '/') = 0;
	if (khv)
		*strrchr(path, '/') = 0;
	CHECK(stat(path, &st) && errno == ENOENT, "%s still there after close", path);
	return r;
}

/*
 * pages_4k and pages_2m, as KVM counts them: guest RAM that the host backs
 * with transparent huge pages, its user and guest-physical addresses
 * congruent modulo 2 MiB, is mapped 2 MiB at a time; the guest sees every
 * page where it belongs, reading and writing; dirty logging then logs
 * exactly the 4 KiB pages written, which 2 MiB mappings cannot do, so they
 * give way to 4 KiB ones.
 */
#define HUGE_GPA	0x10000000ull	/* inside the guest's 1 GiB identity map */
#define HUGE_REGIONS	4
#define HUGE_PAGES	(HUGE_REGIONS * 512)
#define HUGE_BYTES	(HUGE_PAGES * 4096ull)
#define HUGE_PATTERN(i)	((i) * 0x100000001ull + 0x5a5a)

/* what stage 2 writes (one page in each 2 MiB), and stage 3 */
#define HUGE_W0		5
#define HUGE_W1		(512 + 511)
#define HUGE_W2		(1024 + 0)
#define HUGE_W3		(1536 + 300)
#define HUGE_W4		(1024 + 7)

GUEST_CODE static void guest_huge(uint64_t a, uint64_t b)
{
	volatile uint64_t *p;
	uint64_t i, bad = 0;

	/* 1: every page's first and last words as the host wrote them */
	for (i = 0; i < HUGE_PAGES; i++) {
		p = (volatile uint64_t *)(HUGE_GPA + i * 4096);
		bad += p[0] != HUGE_PATTERN(i);
		bad += p[511] != ~HUGE_PATTERN(i);
	}
	for (i = 0; i < HUGE_REGIONS; i++)
		*(volatile uint64_t *)(HUGE_GPA + (i * 512 + 3) * 4096 + 8) = 0xc0de0000 + i;
	GUEST_SYNC(1, bad);
	/* 2: one write in each 2 MiB */
	*(volatile uint64_t *)(HUGE_GPA + HUGE_W0 * 4096ull) = 1;
	*(volatile uint64_t *)(HUGE_GPA + HUGE_W1 * 4096ull + 4000) = 2;
	*(volatile uint64_t *)(HUGE_GPA + HUGE_W2 * 4096ull) = 3;
	*(volatile uint64_t *)(HUGE_GPA + HUGE_W3 * 4096ull + 64) = 4;
	GUEST_SYNC(2, 0);
	/* 3: everything read again, one more write */
	for (i = 0; i < HUGE_PAGES; i++)
		bad += ((volatile uint64_t *)(HUGE_GPA + i * 4096))[511] != ~HUGE_PATTERN(i);
	*(volatile uint64_t *)(HUGE_GPA + HUGE_W4 * 4096ull) = 5;
	GUEST_SYNC(3, bad);
	*(volatile uint64_t *)(HUGE_GPA + HUGE_W4 * 4096ull + 8) = 6;
	GUEST_DONE();
}

static int vm_stat(struct gvm *vm, const char *name, uint64_t *val)
{
	int fd = stats_fd_of(vm->fd), r;
	struct stats s;

	CHECK(fd >= 0, "KVM_GET_STATS_FD: %s", strerror(-fd));
	r = stats_read(fd, &s);
	close(fd);
	if (r == KSFT_PASS)
		r = stat_get(&s, name, val) ? KSFT_FAIL : KSFT_PASS;
	stats_free(&s);
	return r;
}

/* Kilobytes of AnonHugePages in the mapping that holds @addr. */
static long anon_huge_kb(const void *addr)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	bool in = false;
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* The guest's stages on @mem, mapped at HUGE_GPA in slot 1 of @vm. */
static int pages_2m_stages(struct gvm *vm, struct gvcpu *v, uint64_t *mem)
{
	uint64_t bits[HUGE_PAGES / 64], want[HUGE_PAGES / 64] = { 0 };
	uint64_t n2m, n2m_logged, n4k, bad, i;
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bits };

	CHECK(!vm_stat(vm, "pages_2m", &n2m) && !vm_stat(vm, "pages_4k", &n4k),
	      "the pages_2m and pages_4k statistics");
	CHECK(!gvcpu_run_sync(v, 1, &bad), "stage 1");
	CHECK(!bad, "the guest read %llu words wrong", (unsigned long long)bad);
	for (i = 0; i < HUGE_REGIONS; i++)
		CHECK(mem[(i * 512 + 3) * 512 + 1] == 0xc0de0000 + i,
		      "the guest's write in 2 MiB number %llu is not in memory",
		      (unsigned long long)i);
	CHECK(!vm_stat(vm, "pages_2m", &n2m), "pages_2m");
	ksft_diag("after the guest's reads: pages_2m %llu, pages_4k %llu before",
		  (unsigned long long)n2m, (unsigned long long)n4k);
	CHECK(n2m >= HUGE_REGIONS, "pages_2m %llu: not mapped 2 MiB at a time",
	      (unsigned long long)n2m);

	CHECK(!gvm_set_region(vm->fd, 1, KVM_MEM_LOG_DIRTY_PAGES, HUGE_GPA,
			      HUGE_BYTES, mem), "logging on");
	CHECK(!gvcpu_run_sync(v, 2, NULL), "stage 2");
	CHECK(!khv_ioctl(vm->fd, KVM_GET_DIRTY_LOG, (unsigned long)&log),
	      "KVM_GET_DIRTY_LOG");
	want[HUGE_W0 / 64] |= 1ull << (HUGE_W0 % 64);
	want[HUGE_W1 / 64] |= 1ull << (HUGE_W1 % 64);
	want[HUGE_W2 / 64] |= 1ull << (HUGE_W2 % 64);
	want[HUGE_W3 / 64] |= 1ull << (HUGE_W3 % 64);
	for (i = 0; i < HUGE_PAGES / 64; i++)
		CHECK(bits[i] == want[i], "dirty word %llu: %#llx, want %#llx",
		      (unsigned long long)i, (unsigned long long)bits[i],
		      (unsigned long long)want[i]);
	CHECK(!vm_stat(vm, "pages_2m", &n2m_logged), "pages_2m");
	CHECK(n2m_logged + HUGE_REGIONS <= n2m,
	      "pages_2m %llu with logging, %llu before", (unsigned long long)n2m_logged,
	      (unsigned long long)n2m);
	CHECK(mem[HUGE_W1 * 512 + 500] == 2 && mem[HUGE_W3 * 512 + 8] == 4,
	      "stage 2's writes in memory");
	CHECK(!gvcpu_run_sync(v, 3, &bad), "stage 3");
	CHECK(!bad, "the guest read %llu words wrong", (unsigned long long)bad);
	CHECK(!khv_ioctl(vm->fd, KVM_GET_DIRTY_LOG, (unsigned long)&log),
	      "KVM_GET_DIRTY_LOG");
	CHECK(bits[HUGE_W4 / 64] & 1ull << (HUGE_W4 % 64), "stage 3's write not logged");
	CHECK(!gvm_set_region(vm->fd, 1, 0, HUGE_GPA, HUGE_BYTES, mem), "logging off");
	CHECK(!gvcpu_run_done(v), "DONE");
	CHECK(mem[HUGE_W4 * 512] == 5 && mem[HUGE_W4 * 512 + 1] == 6,
	      "the last writes in memory");
	return KSFT_PASS;
}

static int t_pages_2m(void)
{
	struct gvcpu *v = NULL;
	struct gvm *vm;
	uint64_t *mem, i;
	char *raw;
	long kb;
	int r = KSFT_FAIL;

	raw = mmap(NULL, HUGE_BYTES + (2u << 20), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(raw != MAP_FAILED, "mmap: %s", strerror(errno));
	mem = (uint64_t *)(((unsigned long)raw + (2u << 20) - 1) & ~((2ul << 20) - 1));
	madvise(mem, HUGE_BYTES, MADV_HUGEPAGE);
	for (i = 0; i < HUGE_PAGES; i++) {
		mem[i * 512] = HUGE_PATTERN(i);
		mem[i * 512 + 511] = ~HUGE_PATTERN(i);
	}
	kb = anon_huge_kb(mem);
	if (kb < (long)(HUGE_BYTES >> 10)) {
		munmap(raw, HUGE_BYTES + (2u << 20));
		SKIP_IF(true, "the host gave %ld of %llu KiB as huge pages (THP off?)",
			kb, HUGE_BYTES >> 10);
	}
	vm = gvm_create(sys_fd, 0);
	if (!vm)
		ksft_diag("VM");
	else if (gvm_set_region(vm->fd, 1, 0, HUGE_GPA, HUGE_BYTES, mem))
		ksft_diag("KVM_SET_USER_MEMORY_REGION");
	else if (!(v = gvcpu_create_long(vm, 0, guest_huge, 0, 0)))
		ksft_diag("vCPU");
	else
		r = pages_2m_stages(vm, v, mem);
	if (v)
		gvcpu_destroy(v);
	if (vm)
		gvm_destroy(vm);
	munmap(raw, HUGE_BYTES + (2u << 20));
	return r;
}

static const struct ksft_case cases[] = {
	{ "vm_fd_layout_and_reads", t_vm_fd },
	{ "vcpu_fd_layout_and_reads", t_vcpu_fd },
	{ "counters_follow_the_guest", t_counters_follow_the_guest },
	{ "fd_outlives_vm", t_fd_outlives_vm },
	{ "debugfs", t_debugfs },
	{ "pages_2m", t_pages_2m },
};

int main(int argc, char **argv)
{
	khv_test_init(argc, argv);
	sys_fd = khv_open_dev();
	if (khv_cap(sys_fd, KVM_CAP_BINARY_STATS_FD) <= 0)
		ksft_exit_skip("no KVM_CAP_BINARY_STATS_FD");
	return KSFT_RUN(cases);
}
