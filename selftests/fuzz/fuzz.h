/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khv_fuzz: shared definitions. See khv_fuzz.c for the design.
 *
 * Memory rule, the one that keeps the fuzzer alive while it hands the
 * kernel hostile pointers: everything the kernel or a guest may write on
 * the fuzzer's behalf (ioctl output buffers, guest RAM, memslot backing,
 * kvm_run mappings) lives in the *arena*, a fixed range far from the
 * binary, heap, stacks and libc's mappings. Pointers and memslot addresses
 * are either in the arena or certainly invalid (NULL page, kernel,
 * non-canonical). So no ioctl argument, however corrupted, and no guest,
 * however wild, can write into the fuzzer's own memory; and every access
 * the fuzzer itself makes to arena memory goes through prot_copy(), which
 * survives another thread having unmapped it.
 */
#ifndef KHV_FUZZ_H
#define KHV_FUZZ_H

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <linux/kvm.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096ul

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64, one stream per thread and one per operation       */
/* ------------------------------------------------------------------ */

struct rng {
	uint64_t s;
};

static inline uint64_t rnd64(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t rnd32(struct rng *r)
{
	return (uint32_t)(rnd64(r) >> 32);
}

/* Uniform in [0, n); 0 for n = 0. */
static inline uint32_t rnd_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((uint64_t)rnd32(r) * n) >> 32);
}

static inline bool one_in(struct rng *r, uint32_t n)
{
	return rnd_below(r, n) == 0;
}

static inline uint64_t rnd_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + (hi > lo ? rnd64(r) % (hi - lo + 1) : 0);
}

uint64_t rnd_interesting(struct rng *r);
/* A value for a field of @bits bits: boundary, small, random, bit flips. */
uint64_t rnd_value(struct rng *r, int bits);
void rnd_fill(struct rng *r, void *p, size_t n);
/* Index from a weight table. */
int rnd_weighted(struct rng *r, const uint32_t *w, int n);

/* ------------------------------------------------------------------ */
/* The arena (see the memory rule above)                               */
/* ------------------------------------------------------------------ */

#define ARENA_BASE	0x200000000000ull		/* 32 TiB */
#define ARENA_SIZE	(64ull << 30)
#define ARENA_END	(ARENA_BASE + ARENA_SIZE)
/* Per-thread scratch buffers, each followed by an unmapped guard. */
#define SCRATCH_BASE	ARENA_BASE
#define SCRATCH_SIZE	(4ul << 20)
#define SCRATCH_STRIDE	(SCRATCH_SIZE + (1ul << 20))
#define MAX_THREADS	16
/* One page another thread maps and unmaps all the time. */
#define FLAKY_PAGE	(ARENA_BASE + MAX_THREADS * SCRATCH_STRIDE)
/* Always unmapped. */
#define HOLE_PAGE	(FLAKY_PAGE + (1ul << 20))
/* kvm_run mappings, 64 KiB apart, reused round robin. */
#define RUNMAP_BASE	(ARENA_BASE + (1ull << 30))
#define RUNMAP_SIZE	(16ull << 20)
#define RUNMAP_STRIDE	(64ul << 10)
/* Guest memory chunks, allocated round robin. */
#define GMEM_BASE	(ARENA_BASE + (2ull << 30))
#define GMEM_SIZE	(ARENA_SIZE - (2ull << 30))
/* The largest memslot the fuzzer asks for with a valid user address. */
#define HUGE_SLOT	(64ull << 30)

static inline bool in_arena(uint64_t a)
{
	return a >= ARENA_BASE && a < ARENA_END;
}

/*
 * Copy to or from memory another thread may unmap at any moment: false
 * if it faulted (the copy may be partial).
 */
bool prot_copy(void *dst, const void *src, size_t n);
bool prot_fill(void *dst, struct rng *r, size_t n);

void *arena_map(uint64_t addr, size_t len, int prot, bool shared);
void arena_unmap(uint64_t addr, size_t len);
uint64_t gmem_alloc(size_t len);
uint64_t runmap_alloc(void);

/* ------------------------------------------------------------------ */
/* Objects: the fds the threads share                                  */
/* ------------------------------------------------------------------ */

enum obj_kind { OBJ_FREE, OBJ_SYS, OBJ_VM, OBJ_VCPU };

#define MAX_OBJS	48
#define MAX_SYS		3
#define MAX_VMS		4
#define MAX_VCPUS	12	/* in all VMs */
#define VCPUS_PER_VM	4
#define VM_SLOTS	20	/* slot ids the fuzzer tracks: 0..15, 509..511, 512 */
#define VM_MEM_BUDGET	(16ul << 20)	/* backed guest memory per VM */
#define MAIN_RAM	(2ul << 20)	/* slot 0 at GPA 0 */

struct gslot {
	bool used;
	uint32_t id;
	uint32_t flags;
	uint64_t gpa, size, uaddr;
};

struct obj {
	enum obj_kind kind;
	int fd;			/* -1 once closed */
	int old_fd;		/* the number it had */
	uint32_t gen;
	int users;		/* threads holding it */
	int running;		/* threads in KVM_RUN on it (VM: on its vCPUs) */
	/* vCPU */
	int vm;			/* its VM's index and generation */
	uint32_t vm_gen;
	uint32_t vcpu_id;
	uint64_t run;		/* primary kvm_run mapping (arena), or 0 */
	uint64_t run_len;
	/* VM */
	uint64_t ram;		/* slot 0's memory (arena) */
	uint64_t mem_used;	/* backed chunk bytes */
	struct gslot slots[VM_SLOTS];
	int nvcpus;		/* vCPU objects pointing here */
	uint64_t chunks[24];	/* chunks to unmap when the VM goes */
	int nchunks;
};

extern struct obj objs[MAX_OBJS];
extern pthread_mutex_t objs_lock;

struct fthread;
/* Take an object of @kind (users++), preferring running ones: index or -1. */
int obj_get(struct fthread *t, struct rng *r, enum obj_kind kind, bool prefer_running);
void obj_put(int i);
/* The VM of vCPU object @i, taken too, or -1. */
int obj_get_vm_of(int i);
/* Register a new fd (closes it if the table is full): index or -1. */
int obj_add_sys(int fd);
int obj_add_vm(struct fthread *t, int fd);
int obj_add_vcpu(struct fthread *t, int vm, int fd, uint32_t id);
int obj_fd(int i);
/* close() the fd now (once); resources go when the last user leaves. */
void obj_close(int i);

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

enum exit_kind {
	EX_IO, EX_MMIO, EX_HLT, EX_SHUTDOWN, EX_FAIL_ENTRY, EX_INTERNAL,
	EX_INTR, EX_IRQ_WINDOW, EX_DEBUG, EX_SYSTEM, EX_OTHER,
	EX_EINTR, EX_EFAULT, EX_EOTHER, NR_EXIT_KINDS
};

/* What a thread is doing, for the watchdog. */
enum busy_kind { BUSY_NONE, BUSY_IOCTL, BUSY_RUN, BUSY_WAIT, BUSY_OTHER };

#define HIST 32

struct hist_ent {
	uint16_t op;
	unsigned long cmd;
	long ret;
};

struct fthread {
	int id;
	pthread_t pt;
	pid_t tid;
	struct rng rng;
	timer_t timer;
	bool timer_ok;
	uint8_t *scratch;	/* SCRATCH_SIZE in the arena */

	/* the watchdog reads these */
	volatile int busy;
	volatile uint64_t busy_seq;
	volatile unsigned long busy_cmd;
	uint64_t stuck_seq;	/* busy_seq of a call reported stuck */

	/* coverage */
	int kcov_fd;
	uint64_t *kcov_area;
	uint64_t *feat;		/* features of the current sequence */
	uint32_t nfeat;

	/* counts */
	uint64_t ioctls, runs, exits[NR_EXIT_KINDS];
	uint64_t forks, kills, faults_caught, seqs, new_cov;
	uint64_t unexpected;

	struct hist_ent hist[HIST];
	unsigned int hpos;
	uint64_t cur_seq_seed;
	int cur_op;
	uint64_t cur_op_seed;	/* the operation word being run */
	int run_obj;		/* the vCPU of the current/last KVM_RUN */
	int run_mode;		/* its scenario's guest mode, or -1 */
	uint64_t run_op_seed;	/* the operation that ran it */
};

extern __thread struct fthread *self;

/* ------------------------------------------------------------------ */
/* Global state and options                                            */
/* ------------------------------------------------------------------ */

struct fuzz_cfg {
	uint64_t seed;
	uint64_t max_ioctls;
	double max_seconds;
	int threads;
	bool trace;
	bool is_khv;
	const char *dev;
	int guide;		/* GUIDE_* */
	uint32_t op_mask;	/* ops allowed (--ops) */
	int handlers;		/* IDT handlers: 0 step over, 1 halt (--handlers) */
	int guest;		/* GUEST_*: what guests may do (--guest) */
};

/*
 * GUEST_TCG: what the test machine (QEMU 7.2 TCG emulating SVM) survives;
 * GUEST_FULL: everything, for real hardware. See fuzz_guest.c.
 */
enum { GUEST_FULL, GUEST_TCG };

enum { GUIDE_NONE, GUIDE_RESULTS, GUIDE_KCOV };

extern struct fuzz_cfg cfg;
extern volatile int stop_now;

/* What the device said at start. */
extern struct kvm_cpuid2 *supported_cpuid;
extern uint32_t msr_list[256];
extern int nmsr_list;
extern long vcpu_mmap_size;

/* ------------------------------------------------------------------ */
/* Calls                                                               */
/* ------------------------------------------------------------------ */

/* ioctl with the watchdog told, counted and recorded: result or -errno. */
long fz_ioctl(struct fthread *t, int fd, unsigned long cmd, unsigned long arg);
/* KVM_RUN (or another guest-entering ioctl) bounded by the thread's timer. */
long fz_run_ioctl(struct fthread *t, int fd, unsigned long cmd, unsigned long arg);
void busy_begin(struct fthread *t, int kind, unsigned long cmd);
void busy_end(struct fthread *t);
/* An unexpected result: printed (the first few), counted, fails the run. */
void unexpected(struct fthread *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void trace(struct fthread *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A coverage feature for the current sequence (GUIDE_RESULTS). */
void feature(struct fthread *t, uint64_t f);
bool should_stop(void);

/* khv_fuzz.c: new fds from ioctls go into the table (or are closed) */
void adopt_vm(struct fthread *t, struct rng *r, int sys, int fd);
void adopt_vcpu(struct fthread *t, struct rng *r, int vm, int fd, uint32_t id);
extern int eventfds[4];

/* fuzz_ioctl.c */
enum fd_kind { FD_SYS = 1, FD_VM = 2, FD_VCPU = 4 };
void op_sys_ioctl(struct fthread *t, struct rng *r);
void op_vm_ioctl(struct fthread *t, struct rng *r);
void op_vcpu_ioctl(struct fthread *t, struct rng *r);
void op_random_ioctl(struct fthread *t, struct rng *r);
void op_memslot(struct fthread *t, struct rng *r);
/* A pointer argument: valid scratch (*valid = true) or a bad one. */
uint64_t arg_ptr(struct fthread *t, struct rng *r, size_t need, uint64_t valid_ptr,
		 bool *valid);
/* A value that may be taken for a pointer: never one into our own memory. */
uint64_t safe_value(struct rng *r);
const char *ioctl_name(unsigned long cmd);
int ioctl_table_check(void);
/* A mutated copy of the supported CPUID into @c (room for 256 entries). */
void gen_cpuid(struct rng *r, struct kvm_cpuid2 *c, bool mutate);
uint32_t rnd_msr_index(struct rng *r);
uint64_t rnd_msr_value(struct rng *r, uint32_t index);
/* Fill a kvm_msrs with @n entries (indices and values random). */
void gen_msrs(struct rng *r, struct kvm_msrs *m, uint32_t n);

/* fuzz_guest.c */
void op_scenario(struct fthread *t, struct rng *r);
void op_run(struct fthread *t, struct rng *r);
/* After a KVM_RUN that returned 0: count the exit, complete it randomly. */
void handle_exit(struct fthread *t, struct rng *r, int vcpu, long ret);
void gen_regs_random(struct rng *r, struct kvm_regs *regs);
void gen_sregs_random(struct rng *r, struct kvm_sregs *s);
void gen_events(struct rng *r, struct kvm_vcpu_events *e);
void sanitize_tr(struct kvm_sregs *s);
bool tcg_msr_ok(uint32_t index);
bool fd_link_is(int fd, const char *prefix);
uint64_t tcg_msr_value(uint32_t index, uint64_t data);
void fix_tr(struct fthread *t, int fd);
int guest_codegen_check(void);

#endif /* KHV_FUZZ_H */
